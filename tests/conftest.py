"""Shared fixtures: one real run of the whole demo pipeline per test session."""

import shutil
from dataclasses import dataclass
from pathlib import Path

import pytest

from ingestion.home import Home


@dataclass
class DemoRun:
    home: Home
    delivered: Path     # the delivered files as laid out in the inbox (<source>/<file>)


def generate_delivery(root: Path, scale: str = "small") -> Path:
    """Generate the synthetic county into `root/inbox` (+ `root/config`); returns the inbox."""
    from ingestion.synth import generate_county

    generate_county(root / "inbox", scale=scale)
    return root / "inbox"


def fresh_home(root: Path, delivered: Path) -> Home:
    """A new home whose inbox holds a copy of the delivered files."""
    from dagster_project.environment import activate

    home = activate(root)
    shutil.copytree(delivered, home.inbox, dirs_exist_ok=True)
    config = delivered.parent / "config"
    if config.is_dir():
        shutil.copytree(config, home.config, dirs_exist_ok=True)
    return home


@pytest.fixture(scope="session")
def delivered_small(tmp_path_factory) -> Path:
    return generate_delivery(tmp_path_factory.mktemp("delivered"))


@pytest.fixture(scope="session")
def demo_run(tmp_path_factory, delivered_small) -> DemoRun:
    """The `small` county through the whole nightly job, in-process through Dagster."""
    from dagster_project.cli.main import run_pipeline

    home = fresh_home(tmp_path_factory.mktemp("demo") / "home", delivered_small)
    assert run_pipeline(home), "the nightly job failed on the demo county"
    return DemoRun(home=home, delivered=delivered_small)


@pytest.fixture(scope="session")
def dbt_fixture_warehouse(tmp_path_factory) -> Path:
    """The hand-made warehouse (tests/fixtures/make_fixture_warehouse.py) after a real
    `dbt build`; tests open it read-only. Built once per session."""
    import os
    import subprocess
    import sys

    from ingestion.warehouse import dbt_environment
    from tests.fixtures.make_fixture_warehouse import make_fixture_warehouse

    home = Home(tmp_path_factory.mktemp("dbt_fixture") / "home").create()
    make_fixture_warehouse(home.warehouse)
    env = dict(os.environ, **dbt_environment(home), DBT_SEND_ANONYMOUS_USAGE_STATS="False")
    result = subprocess.run(
        [str(Path(sys.executable).parent / "dbt"), "build", "--project-dir", "dbt_spm",
         "--profiles-dir", "dbt_spm", "--target-path", str(home.root / "dbt_target"),
         "--log-path", str(home.logs)],
        cwd=Path(__file__).resolve().parent.parent, env=env, capture_output=True, text=True)
    assert result.returncode == 0, result.stdout[-5000:]
    assert "WARN=0" in result.stdout and "ERROR=0" in result.stdout
    assert "deprecat" not in result.stdout.lower(), result.stdout[-5000:]
    return home.warehouse


@pytest.fixture
def restore_environment():
    """The process environment as it was before the test (runs that call `activate` change
    DAGSTER_HOME, SPM_HOME and the dbt variables)."""
    import os

    saved = dict(os.environ)
    yield
    os.environ.clear()
    os.environ.update(saved)

