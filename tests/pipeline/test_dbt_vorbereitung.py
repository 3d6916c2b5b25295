"""dbt parses a new home's project in the background, and the build finds the state ready
(dagster_project/defs/dbt/vorbereitung.py), with real dbt processes."""

import os
import subprocess
import sys
from pathlib import Path

import pytest

from dagster_project.defs.dbt import vorbereitung
from dagster_project.environment import activate, project_root


@pytest.fixture
def home(tmp_path, monkeypatch):
    for name in ("SPM_HOME", "SPM_WAREHOUSE", "SPM_DUCKDB_EXT_REPO", "SPM_DUCKDB_EXT_DIR",
                 "DAGSTER_HOME", "DBT_LOG_PATH"):
        monkeypatch.setenv(name, os.environ.get(name, ""))
    return activate(tmp_path / "home")


def _parse_as_the_build(home) -> str:
    """`dbt --debug parse` with the build's vars, target and target folder: its log."""
    project = project_root() / "dbt_spm"
    result = subprocess.run(
        [str(Path(sys.executable).parent / "dbt"), "--debug", "parse",
         "--vars", vorbereitung.build_vars(home), "--target", vorbereitung.TARGET,
         "--project-dir", str(project), "--profiles-dir", str(project),
         "--target-path", str(home.dbt_target)],
        cwd=project, capture_output=True, text=True, check=True)
    return result.stdout


def test_the_background_parse_leaves_a_state_the_build_takes(home):
    assert not vorbereitung.ist_aktuell(home, vorbereitung.build_vars(home))
    process = vorbereitung.parse_starten(home)
    assert process is not None
    assert process.wait(timeout=120) == 0
    assert vorbereitung.ist_aktuell(home, vorbereitung.build_vars(home))
    assert vorbereitung.parse_starten(home) is None          # nothing left to do
    log = _parse_as_the_build(home)
    assert "Unable to do partial parsing" not in log
    assert "Partial parsing enabled, no changes found" in log


def test_new_settings_are_parsed_again(home):
    assert vorbereitung.parse_starten(home).wait(timeout=120) == 0
    settings = home.config / "settings.yaml"
    text = settings.read_text(encoding="utf-8")
    assert "seu_pool_jahre: 3" in text
    settings.write_text(text.replace("seu_pool_jahre: 3", "seu_pool_jahre: 2"), encoding="utf-8")
    assert not vorbereitung.ist_aktuell(home, vorbereitung.build_vars(home))
    assert vorbereitung.parse_starten(home).wait(timeout=120) == 0
    assert "Unable to do partial parsing" not in _parse_as_the_build(home)


def test_no_parse_while_a_build_holds_the_home(home):
    with vorbereitung.dbt_sperre(home):
        assert vorbereitung.parse_starten(home) is None
    # and a parse started just before the build's lock is skipped by the parse itself
    process = vorbereitung.parse_starten(home)
    with vorbereitung.dbt_sperre(home):
        pass            # waits for the parse if it took the lock first
    assert process.wait(timeout=120) == 0


def test_a_run_leaves_no_parse_behind(home):
    process = vorbereitung.parse_starten(home)
    vorbereitung.hintergrund_abwarten()
    assert process.poll() == 0
