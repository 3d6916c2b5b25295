"""A night with nothing new: `spm run` and the schedule end at once, saying so in German,
and any new delivery, changed configuration or changed code makes them run again."""

import os
import shutil
import time

import dagster as dg

from dagster_project.cli.main import main
from dagster_project.defs.laufstand import NICHTS_NEUES, letzte_eingaben
from dagster_project.environment import activate
from dagster_project.publishing import eingaben
from dagster_project.publishing.versions import versionen


def test_spm_run_with_nothing_new_ends_at_once_and_publishes_nothing(demo_run, capsys):
    home = demo_run.home
    activate(home.root)
    instance = dg.DagsterInstance.get()
    last = letzte_eingaben(instance)
    assert last is not None and last == eingaben.fingerprint(home)
    before = [p.name for p in versionen(home)]
    runs_before = len(instance.get_run_records(filters=dg.RunsFilter(job_name="spm_nightly")))
    start = time.perf_counter()
    assert main(["run", "--home", str(home.root)]) == 0
    seconds = time.perf_counter() - start
    out = capsys.readouterr().out
    assert NICHTS_NEUES in out and "--erzwingen" in out
    assert [p.name for p in versionen(home)] == before
    assert len(instance.get_run_records(filters=dg.RunsFilter(job_name="spm_nightly"))) == \
        runs_before
    print(f"spm run with nothing new: {seconds:.2f} s")


def test_the_schedule_skips_a_night_with_nothing_new(demo_run, monkeypatch):
    from dagster_project.defs.schedules import nightly_schedule

    home = demo_run.home
    activate(home.root)
    monkeypatch.setenv("SPM_HOME", str(home.root))
    instance = dg.DagsterInstance.get()
    result = nightly_schedule(dg.build_schedule_context(instance=instance))
    assert isinstance(result, dg.SkipReason) and result.skip_message == NICHTS_NEUES


def test_new_delivery_config_or_code_means_something_new(demo_run, tmp_path):
    home = demo_run.home
    activate(home.root)
    last = letzte_eingaben(dg.DagsterInstance.get())
    assert eingaben.nothing_new(home, last)
    # a file waiting in the inbox
    waiting = home.inbox / "einwohner" / "einwohner_2099-12-31.csv"
    waiting.parent.mkdir(parents=True, exist_ok=True)
    waiting.write_text("x\n", encoding="utf-8")
    try:
        assert not eingaben.nothing_new(home, last)
    finally:
        waiting.unlink()
    # a changed setting
    settings = home.config / "settings.yaml"
    text = settings.read_text(encoding="utf-8")
    settings.write_text(text + "\n# geändert\n", encoding="utf-8")
    try:
        assert not eingaben.nothing_new(home, last)
    finally:
        settings.write_text(text, encoding="utf-8")
    assert eingaben.nothing_new(home, last)
    # no successful run known
    assert not eingaben.nothing_new(home, None)
    # changed code: the fingerprint of a copy of the code changes with one byte
    root = tmp_path / "code"
    shutil.copytree(os.path.dirname(eingaben.__file__), root / "dagster_project")
    first = eingaben.code_fingerprint(root)
    assert eingaben.code_fingerprint(root) == first
    module = root / "dagster_project" / "files.py"
    module.write_text(module.read_text(encoding="utf-8") + "\n", encoding="utf-8")
    assert eingaben.code_fingerprint(root) != first
