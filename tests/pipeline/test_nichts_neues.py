"""A night with nothing new: `spm run` and the schedule end at once, saying so in German,
and any new delivery, changed configuration or changed code makes them run again."""

import os
import shutil
import subprocess
import sys
import time

import dagster as dg

from dagster_project.cli.main import main
from dagster_project.definitions import defs
from dagster_project.defs.laufstand import NICHTS_NEUES, letzte_eingaben
from dagster_project.environment import activate, project_root
from dagster_project.publishing import eingaben
from dagster_project.publishing.versions import versionen
from ingestion.home import Home


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


def _in_new_process(home, call: str) -> tuple[int, str, bool]:
    """`call` (of dagster_project.cli.main, with the home's path as `home`) in a fresh
    interpreter: exit code, output, and whether Dagster was imported."""
    code = ("import sys\n"
            "from dagster_project.cli import main as cli\n"
            "from dagster_project.environment import activate\n"
            "home = sys.argv[1]\n"
            f"code = {call}\n"
            "print('DAGSTER-IMPORTIERT' if 'dagster' in sys.modules else 'OHNE-DAGSTER')\n"
            "sys.exit(code)\n")
    done = subprocess.run([sys.executable, "-c", code, str(home.root)], capture_output=True,
                          text=True, cwd=project_root(), timeout=300)
    return done.returncode, done.stdout, "DAGSTER-IMPORTIERT" in done.stdout


def _spm_run_in_new_process(home) -> tuple[int, str, bool]:
    return _in_new_process(home, "cli.main(['run', '--home', home])")


def test_nothing_new_is_answered_without_dagster_until_a_run_starts(demo_run, tmp_path):
    # a copy of the demo home: the note of the last successful run does not match the
    # copied run storage files, so the first answer asks Dagster and notes it again
    home = Home(tmp_path / "home")
    shutil.copytree(demo_run.home.root, home.root, symlinks=True)
    code, out, mit_dagster = _spm_run_in_new_process(home)
    assert code == 0 and eingaben.NICHTS_NEUES in out and mit_dagster, out
    assert eingaben.nichts_neues_laut_marke(home)
    # the same question again: answered from the note, without importing Dagster
    code, out, mit_dagster = _spm_run_in_new_process(home)
    assert code == 0 and eingaben.NICHTS_NEUES in out and not mit_dagster, out
    # the note does not stand for the inbox, the settings or the code: a file waiting in
    # the inbox means something new, note or not
    waiting = home.inbox / "einwohner" / "einwohner_2099-12-31.csv"
    waiting.parent.mkdir(parents=True, exist_ok=True)
    waiting.write_text("x\n", encoding="utf-8")
    assert not eingaben.nichts_neues_laut_marke(home)
    waiting.unlink()
    assert eingaben.nichts_neues_laut_marke(home)
    # a run that starts (and has not succeeded) makes the note worthless: the newest run
    # is no longer the successful one
    activate(home.root)
    instance = dg.DagsterInstance.get()
    try:
        instance.create_run_for_job(defs.resolve_job_def("spm_nightly"))
        assert letzte_eingaben(instance) is None
    finally:
        instance.dispose()
    assert not eingaben.nichts_neues_laut_marke(home)
    # asked once more (without running): Dagster answers "not nothing new", the note goes
    code, out, mit_dagster = _in_new_process(
        home, "3 if cli._nothing_new(activate(home)) else 0")
    assert code == 0 and mit_dagster and eingaben.NICHTS_NEUES not in out, out
    assert not (home.dagster_home / eingaben.MARKE).exists()
