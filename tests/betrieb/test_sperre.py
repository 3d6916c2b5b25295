"""One writer, always: two `spm run` at once never both write; the second names the first
and exits (code 3) or, with --warten, waits; a lock left by a killed process is recognised
as stale. Real processes on a copy of the demo home."""

import os
import shutil
import signal
import subprocess
import sys
import textwrap
import time

import pytest

from dagster_project.betrieb import sperre
from dagster_project.cli.main import EXIT_GESPERRT
from dagster_project.publishing.versions import versionen
from ingestion.home import Home
from tests.betrieb.prozesse import SpmProzess, warte_bis_keine_prozesse


@pytest.fixture(scope="module")
def home(demo_run, tmp_path_factory) -> Home:
    root = tmp_path_factory.mktemp("sperre") / "home"
    shutil.copytree(demo_run.home.root, root, symlinks=True)
    return Home(root)


def test_a_second_writer_names_the_running_one_and_exits(home):
    before = [p.name for p in versionen(home)]
    with sperre.schreibsperre(home, "Test der Sperre") as held:
        assert sperre.halter(home) == held.halter
        for args in (["run", "--erzwingen"], ["ingest", str(home.config / "gemeinden.csv")],
                     ["report"]):
            lauf = SpmProzess(home.root, *args)
            assert lauf.ende(timeout=120) == EXIT_GESPERRT, lauf.ausgabe()
            out = lauf.ausgabe()
            assert "Ein anderer Lauf schreibt gerade" in out, out
            assert f"Test der Sperre (Prozess {os.getpid()}" in out, out
            assert "--warten" in out
    assert sperre.halter(home) is None
    assert [p.name for p in versionen(home)] == before


def test_with_warten_the_second_run_waits_and_then_runs(home):
    before = [p.name for p in versionen(home)]
    with sperre.schreibsperre(home, "Test der Sperre"):
        lauf = SpmProzess(home.root, "run", "--erzwingen", "--warten")
        lauf.warte_auf("Wartet auf einen anderen Lauf: Test der Sperre")
        assert lauf.process.poll() is None
        assert "Schritt gestartet" not in lauf.ausgabe()
    assert lauf.ende() == 0, lauf.ausgabe()[-3000:]
    after = [p.name for p in versionen(home)]
    assert after[-1] not in before and after[:-1] == before[-(len(after) - 1):]


def test_two_runs_started_at_once_one_writes_the_other_names_it(home):
    before = [p.name for p in versionen(home)]
    erster = SpmProzess(home.root, "run", "--erzwingen")
    zweiter = SpmProzess(home.root, "run", "--erzwingen")
    try:
        # whichever got the lock works on; the other ends at once and names it
        deadline = time.monotonic() + 120
        while erster.process.poll() is None and zweiter.process.poll() is None:
            assert time.monotonic() < deadline
            time.sleep(0.1)
        verlierer, gewinner = ((erster, zweiter) if erster.process.poll() is not None
                               else (zweiter, erster))
        assert verlierer.ende() == EXIT_GESPERRT, verlierer.ausgabe()
        assert f"spm run (Prozess {gewinner.pid}" in verlierer.ausgabe(), verlierer.ausgabe()
        assert gewinner.process.poll() is None
        holder = sperre.halter(home)
        assert holder is not None and holder.pid == gewinner.pid
    finally:
        # the winner is not needed any further (killing it leaves a stale lock, which the
        # next test's run takes over)
        for lauf in (erster, zweiter):
            if lauf.process.poll() is None:
                lauf.toeten()
    assert not warte_bis_keine_prozesse(home.root, timeout=5)
    assert sperre.halter(home) is None
    assert [p.name for p in versionen(home)] == before


def test_a_lock_left_by_a_killed_process_is_stale(home):
    holder = subprocess.Popen([sys.executable, "-c", textwrap.dedent(f"""
        import sys, time
        from pathlib import Path
        from dagster_project.betrieb import sperre
        from ingestion.home import Home
        with sperre.schreibsperre(Home(Path({str(home.root)!r})), "spm ingest",
                                  lauf_id="0123456789abcdef"):
            print("gesperrt", flush=True)
            time.sleep(120)
    """)], stdout=subprocess.PIPE, text=True)
    assert holder.stdout.readline().strip() == "gesperrt"
    assert sperre.halter(home).pid == holder.pid
    with pytest.raises(sperre.LaufGesperrt, match=f"spm ingest \\(Prozess {holder.pid}"):
        with sperre.schreibsperre(home, "Test"):
            pass
    os.kill(holder.pid, signal.SIGKILL)
    holder.wait()
    # nobody holds it now; the record of the killed holder is still there: stale
    assert sperre.halter(home) is None
    stale = sperre.verfallen(home)
    assert stale is not None and stale.pid == holder.pid and stale.lauf_id == "0123456789abcdef"
    said = []
    with sperre.schreibsperre(home, "Test", log=said.append) as held:
        assert held.vorgaenger == stale
        assert any("nicht ordentlich beendet" in s and str(holder.pid) in s for s in said)
        # reentrant within the process
        with sperre.schreibsperre(home, "innen") as inner:
            assert inner is held
        assert sperre.halter(home).pid == os.getpid()
    assert sperre.verfallen(home) is None and sperre.halter(home) is None
    assert sperre.sperrdatei(home).read_text() == ""
