"""One writer at a time: the lock of a home's warehouse and published zone.

Every process that writes the warehouse or publishes (`spm run`, a run started by the
Dagster daemon, `spm ingest`, `spm report`, `spm rebuild`) holds an exclusive `flock` on
`<home>/warehouse/lauf.lock` while it works. The kernel releases that lock when the process
ends in any way, also by SIGKILL, so a killed run never blocks the next one. The file holds
a record of the holder (process, machine, since when, what, Dagster run id): a second writer
names the running one in its message, and a record found under a free lock is the trace of a
holder that did not end cleanly (killed, power cut): it is reported, and its Dagster run,
still marked as running, is marked as failed (`abgebrochenen_lauf_vermerken`).

Within one process the lock is reentrant: `spm run` takes it before Dagster starts, and the
run's home resource (`defs/resources.py`), which takes it in runs started by the daemon,
finds it held by its own process.
"""

import contextlib
import datetime as dt
import fcntl
import json
import os
import socket
import time
from collections.abc import Callable, Iterator
from dataclasses import asdict, dataclass
from pathlib import Path

from ingestion.home import Home

LOCK_FILE = "lauf.lock"
# a run started by the daemon waits at most this long for a writer before it fails
WARTEN_HOECHSTENS = 2 * 3600.0
_PAUSE = 0.5


@dataclass(frozen=True)
class Halter:
    """Who holds (or held) the lock."""

    pid: int
    rechner: str
    seit: str                      # ISO time, local
    zweck: str                     # "spm run", "Lauf (Zeitplan)", "spm ingest", ...
    lauf_id: str | None = None     # the Dagster run, if any

    def beschreibung(self) -> str:
        try:
            seit = dt.datetime.fromisoformat(self.seit).strftime("%d.%m.%Y %H:%M:%S")
        except ValueError:
            seit = self.seit
        lauf = f", Lauf {self.lauf_id[:8]}" if self.lauf_id else ""
        return f"{self.zweck} (Prozess {self.pid} auf {self.rechner}, seit {seit}{lauf})"


class LaufGesperrt(RuntimeError):
    """Another process writes this home."""

    def __init__(self, halter: Halter | None, lock: Path):
        self.halter = halter
        wer = halter.beschreibung() if halter else "ein anderer Prozess"
        super().__init__(
            f"Ein anderer Lauf schreibt gerade in dieses SPM-Home: {wer}. Es schreibt immer "
            "nur ein Lauf; bitte warten, bis er fertig ist (spm status zeigt ihn), oder mit "
            f"--warten starten. Sperrdatei: {lock}")


@dataclass
class Sperre:
    """The lock held by this process."""

    pfad: Path
    halter: Halter
    # the record of an earlier holder that did not end cleanly (None: it was released)
    vorgaenger: Halter | None = None
    _fd: int = -1
    _tiefe: int = 0

    def lauf_id_setzen(self, lauf_id: str) -> None:
        """Record the Dagster run that now works under the lock."""
        self.halter = Halter(**{**asdict(self.halter), "lauf_id": lauf_id})
        _schreiben(self._fd, self.halter)


_GEHALTEN: dict[Path, Sperre] = {}


def sperrdatei(home: Home) -> Path:
    return home.warehouse_dir / LOCK_FILE


def _lesen(path: Path) -> Halter | None:
    try:
        text = path.read_text(encoding="utf-8").strip()
    except OSError:
        return None
    if not text:
        return None
    try:
        data = json.loads(text)
        return Halter(int(data["pid"]), str(data["rechner"]), str(data["seit"]),
                      str(data["zweck"]), data.get("lauf_id"))
    except (ValueError, KeyError, TypeError):
        return Halter(0, "?", "?", f"unlesbarer Eintrag {text[:60]!r}")


def _schreiben(fd: int, halter: Halter | None) -> None:
    data = b"" if halter is None else (json.dumps(asdict(halter)) + "\n").encode()
    os.ftruncate(fd, 0)
    if data:
        os.pwrite(fd, data, 0)
    os.fsync(fd)


@contextlib.contextmanager
def schreibsperre(home: Home, zweck: str, *, warten: float = 0.0,
                  lauf_id: str | None = None,
                  log: Callable[[str], None] | None = None) -> Iterator[Sperre]:
    """Hold the home's writer lock. `warten`: seconds to wait for another writer (0: raise
    LaufGesperrt at once). Reentrant within the process."""
    path = sperrdatei(home)
    held = _GEHALTEN.get(path)
    if held is not None:
        held._tiefe += 1
        try:
            if lauf_id and held.halter.lauf_id != lauf_id:
                held.lauf_id_setzen(lauf_id)
            yield held
        finally:
            held._tiefe -= 1
        return
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
    try:
        _nehmen(fd, path, warten, log)
    except BaseException:
        os.close(fd)
        raise
    vorgaenger = _lesen(path)
    halter = Halter(os.getpid(), socket.gethostname(),
                    dt.datetime.now().replace(microsecond=0).isoformat(), zweck, lauf_id)
    sperre = Sperre(path, halter, vorgaenger, fd, 1)
    try:
        _schreiben(fd, halter)
        if vorgaenger is not None and log:
            log(f"Hinweis: Ein früherer Lauf wurde nicht ordentlich beendet (abgebrochen oder "
                f"Rechner ausgefallen): {vorgaenger.beschreibung()}. Seine Sperre ist "
                "verfallen; dieser Lauf macht dort weiter.")
        _GEHALTEN[path] = sperre
        yield sperre
    finally:
        _GEHALTEN.pop(path, None)
        try:
            _schreiben(fd, None)
        finally:
            fcntl.flock(fd, fcntl.LOCK_UN)
            os.close(fd)


def _nehmen(fd: int, path: Path, warten: float, log) -> None:
    deadline = time.monotonic() + max(0.0, warten)
    said = False
    while True:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            return
        except BlockingIOError:
            if time.monotonic() >= deadline:
                raise LaufGesperrt(_lesen(path), path) from None
            if log and not said:
                halter = _lesen(path)
                log(f"Wartet auf einen anderen Lauf: "
                    f"{halter.beschreibung() if halter else 'ein anderer Prozess'} …")
                said = True
            time.sleep(_PAUSE)


def halter(home: Home) -> Halter | None:
    """Who writes this home now (None: nobody). Takes nothing."""
    path = sperrdatei(home)
    if path in _GEHALTEN:
        return _GEHALTEN[path].halter
    if not path.exists():
        return None
    fd = os.open(path, os.O_RDONLY)
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_SH | fcntl.LOCK_NB)
        except BlockingIOError:
            return _lesen(path) or Halter(0, "?", "?", "ein anderer Prozess")
        fcntl.flock(fd, fcntl.LOCK_UN)
        return None
    finally:
        os.close(fd)


def verfallen(home: Home) -> Halter | None:
    """The record of a holder that did not end cleanly, while nobody holds the lock."""
    path = sperrdatei(home)
    if path in _GEHALTEN or not path.exists() or halter(home) is not None:
        return None
    return _lesen(path)


def abgebrochenen_lauf_vermerken(home: Home, instance, vorgaenger: Halter | None,
                                 log: Callable[[str], None] | None = None) -> str | None:
    """Mark the Dagster run of a holder that was killed as failed (it still shows as running:
    a killed process writes no end) and report it like any failed run (failure message,
    notification; `meldungen.py`). Returns its run id if one was marked."""
    if vorgaenger is None or not vorgaenger.lauf_id:
        return None
    return _als_abgebrochen_vermerken(
        home, instance, vorgaenger.lauf_id,
        f"der Prozess endete, ohne den Lauf abzuschließen ({vorgaenger.beschreibung()}); "
        "festgestellt vom nächsten Lauf", log)


# Every asset of the code location needs the home resource, which takes the writer lock at
# its set-up, within seconds of the run's start (tests/pipeline/test_definitions.py checks
# that no asset goes without it). A run marked as running that holds no lock long after its
# start and has logged nothing for a while has no process any more: it died before it took
# the lock (machine down or run worker killed while the run started), so no lock record
# names it. Dagster's run monitoring cannot see this with the default run launcher; only
# its `max_runtime_seconds` (12 h) would end such a run, and until then it holds the queue
# (one run at a time) and keeps the inbox sensor waiting.
OHNE_SPERRE_VERWAIST = 600.0      # seconds after the run's start
STILLE = 120.0                    # seconds without an event of the run


def ohne_sperre_seit(home: Home, record, jetzt: float, sekunden: float) -> bool:
    """Whether a run marked STARTED began more than `sekunden` ago while nobody holds the
    lock: a live run holds it (or waits for its holder) within seconds of its start.
    `spm status` calls such a run died after 2 minutes; the inbox sensor acts on it later
    (`verwaiste_laeufe`)."""
    import dagster as dg

    if record.dagster_run.status != dg.DagsterRunStatus.STARTED:
        return False
    start = record.start_time or record.create_timestamp.timestamp()
    return jetzt - start > sekunden and halter(home) is None


def verwaiste_laeufe(home: Home, instance, jetzt: float | None = None) -> list[str]:
    """Ids of runs marked STARTED that have no process any more (see above); none while
    anybody holds the lock."""
    import dagster as dg

    jetzt = time.time() if jetzt is None else jetzt
    verwaist = []
    for record in instance.get_run_records(
            filters=dg.RunsFilter(statuses=[dg.DagsterRunStatus.STARTED]), limit=20):
        if not ohne_sperre_seit(home, record, jetzt, OHNE_SPERRE_VERWAIST):
            continue
        letzte = instance.get_records_for_run(record.dagster_run.run_id, limit=1,
                                              ascending=False).records
        if letzte and jetzt - letzte[0].event_log_entry.timestamp < STILLE:
            continue
        verwaist.append(record.dagster_run.run_id)
    # the lock may have been taken meanwhile (a run that was just starting after all)
    return verwaist if halter(home) is None else []


def verwaiste_laeufe_vermerken(home: Home, instance,
                               log: Callable[[str], None] | None = None) -> list[str]:
    """Mark every run of `verwaiste_laeufe` as failed and report it; returns their ids."""
    return [run_id for run_id in verwaiste_laeufe(home, instance)
            if _als_abgebrochen_vermerken(
                home, instance, run_id,
                f"der Prozess ist seit mindestens {OHNE_SPERRE_VERWAIST / 60:.0f} Minuten nach "
                "dem Start nicht mehr vorhanden und hat die Schreibsperre nie genommen (z. B. "
                "Rechner während des Starts ausgefallen); festgestellt vom Eingangssensor", log)]


def _als_abgebrochen_vermerken(home: Home, instance, run_id: str, grund: str,
                               log: Callable[[str], None] | None) -> str | None:
    import dagster as dg

    run = instance.get_run_by_id(run_id)
    if run is None or run.status not in (dg.DagsterRunStatus.STARTED,
                                         dg.DagsterRunStatus.STARTING,
                                         dg.DagsterRunStatus.NOT_STARTED,
                                         dg.DagsterRunStatus.CANCELING):
        return None
    instance.report_run_failed(run, message=f"Lauf abgebrochen: {grund}.")
    if log:
        log(f"Der abgebrochene Lauf {run_id[:8]} ist jetzt als fehlgeschlagen vermerkt.")
    from dagster_project.betrieb.meldungen import melden

    gemeldet = melden(home, instance, run_id)
    if log and gemeldet.datei is not None:
        log(f"Fehlermeldung zum abgebrochenen Lauf: {gemeldet.datei}")
    return run_id
