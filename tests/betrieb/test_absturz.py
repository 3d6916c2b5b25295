"""Crash safety with real processes: `spm run` killed with SIGKILL during ingestion, during
the dbt build and during publishing, then run again. Nothing of a killed run survives it
(no dbt, no file writer), the published version stays the previous one byte for byte
after every kill, the next run takes over the stale lock and marks the killed run as
failed, and the last run completes: every new delivery loaded exactly once, one new
complete version, no temporary leftovers."""

import hashlib
import re
import shutil
import time

import dagster as dg
import duckdb
import pytest

from dagster_project.betrieb import sperre
from dagster_project.publishing.versions import CURRENT, VERSION_FILE, aktuelle_version, versionen
from ingestion.home import Home
from tests.betrieb.prozesse import (
    SpmProzess,
    prozesse_des_homes,
    warte_bis_keine_prozesse,
)

GEMEINDE = "05999004"       # the largest municipality of the demo county: the longest files
WEGGELASSEN = 5             # rows left out of each re-delivered file (new content)


def _sha(path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


@pytest.fixture(scope="module")
def home(demo_run, tmp_path_factory) -> Home:
    root = tmp_path_factory.mktemp("absturz") / "home"
    shutil.copytree(demo_run.home.root, root, symlinks=True)
    return Home(root)


def _neu_liefern(home: Home, delivered) -> dict[str, str]:
    """Re-deliver the residents' files of GEMEINDE (every Stichtag) without their first
    rows; returns sha256 -> file name."""
    neu = {}
    for path in sorted(delivered.glob(f"einwohner/einwohner_*_{GEMEINDE}.csv")):
        lines = path.read_bytes().splitlines(keepends=True)
        data = lines[0] + b"".join(lines[1 + WEGGELASSEN:])
        (home.inbox / "einwohner" / path.name).write_bytes(data)
        neu[hashlib.sha256(data).hexdigest()] = path.name
    assert len(neu) >= 2
    return neu


class Veroeffentlicht:
    """The published zone as it was: the file's bytes, the link, the complete versions."""

    def __init__(self, home: Home):
        self.home = home
        self.sha = _sha(home.published_db)
        self.aktuell = (home.published / CURRENT).readlink()
        self.versionen = [p.name for p in versionen(home)]

    def unveraendert(self) -> None:
        home = self.home
        assert _sha(home.published_db) == self.sha
        assert (home.published / CURRENT).readlink() == self.aktuell
        assert [p.name for p in versionen(home)] == self.versionen
        con = duckdb.connect(str(home.published_db), read_only=True)
        try:
            assert con.execute("select count(*) from indikatorwerte").fetchone()[0] > 0
        finally:
            con.close()


def _getoetet_und_aufgeraeumt(home: Home, lauf: SpmProzess, zuvor: Veroeffentlicht,
                              schritt: str) -> str:
    """Kill the run, check that nothing of it survives; returns its Dagster run id."""
    lauf.toeten()
    assert f"Schritt fertig: {schritt}" not in lauf.ausgabe(), \
        f"der Lauf war schon über {schritt} hinaus"
    left = warte_bis_keine_prozesse(home.root, timeout=5)
    assert not left, f"Prozesse des abgebrochenen Laufs leben weiter: {left}"
    zuvor.unveraendert()
    stale = sperre.verfallen(home)
    assert stale is not None and stale.pid == lauf.pid and stale.zweck == "spm run"
    assert stale.lauf_id
    assert sperre.halter(home) is None
    return stale.lauf_id


def _dbt_laeuft(home: Home) -> bool:
    return any(re.search(r"/dbt build ", command) for _, command in prozesse_des_homes(home.root))


def test_spm_run_killed_during_ingestion_dbt_and_publishing_then_completes(home, demo_run):
    zuvor = Veroeffentlicht(home)
    neu = _neu_liefern(home, demo_run.delivered)
    laeufe, getoetet = [], []

    # 1. during ingestion: the re-delivered residents' files are being read
    lauf = SpmProzess(home.root, "run")
    lauf.warte_auf("Schritt gestartet: raw__einwohner")
    # at the last file: the loader commits a file once it has read the next one (each has its
    # own Stichtag), so the first files are committed and the last two are not yet
    lauf.warte_auf(f"[{len(neu)}/{len(neu)}] einwohner/")
    getoetet.append(_getoetet_und_aufgeraeumt(home, lauf, zuvor, "raw__einwohner"))
    laeufe.append(lauf)
    con = duckdb.connect(str(home.warehouse), read_only=True)
    try:
        committed = con.execute(
            "select count(*) from raw.delivery_log where status = 'loaded' and sha256 in "
            f"({', '.join('?' * len(neu))})", list(neu)).fetchone()[0]
    finally:
        con.close()
    assert 1 <= committed < len(neu), "the kill comes between the files' commits: the next " \
        "run must neither load a committed file again nor lose an uncommitted one"

    # 2. during the dbt build, once dbt itself runs
    lauf = SpmProzess(home.root, "run")
    lauf.warte_auf("Schritt gestartet: spm_dbt_assets")
    deadline = time.monotonic() + 120
    while not _dbt_laeuft(home):
        assert time.monotonic() < deadline, lauf.ausgabe()[-2000:]
        time.sleep(0.1)
    time.sleep(2)
    assert "nicht ordentlich beendet" in lauf.ausgabe()       # the stale lock was recognised
    getoetet.append(_getoetet_und_aufgeraeumt(home, lauf, zuvor, "spm_dbt_assets"))
    laeufe.append(lauf)

    # 3. during publishing, while the file writers build Excel and CSV
    lauf = SpmProzess(home.root, "run")
    lauf.warte_auf("Parquet: sozialindex.parquet")
    getoetet.append(_getoetet_und_aufgeraeumt(home, lauf, zuvor, "published__spm_duckdb"))
    assert "ist jetzt die aktuelle" not in lauf.ausgabe()
    laeufe.append(lauf)

    # 4. the next run completes
    lauf = SpmProzess(home.root, "run")
    assert lauf.ende() == 0, lauf.ausgabe()[-3000:]
    assert sperre.verfallen(home) is None and sperre.halter(home) is None

    # one new complete version, current, and nothing half-written left
    nach = [p.name for p in versionen(home)]
    assert nach[:-1] == zuvor.versionen[-(len(nach) - 1):] and nach[-1] not in zuvor.versionen
    assert aktuelle_version(home).name == nach[-1]
    assert (aktuelle_version(home) / VERSION_FILE).is_file()
    assert _sha(home.published_db) == _sha(aktuelle_version(home) / "spm.duckdb")
    leftovers = [p.name for folder in (home.published, home.published_versions)
                 for p in folder.iterdir() if p.name.endswith(".tmp")]
    assert leftovers == []

    # every new delivery loaded exactly once, nothing lost, nothing doubled
    assert not any((home.inbox / "einwohner").iterdir())
    con = duckdb.connect(str(home.warehouse), read_only=True)
    try:
        for digest, name in neu.items():
            rows = con.execute("""select status, stichtag, rows_loaded from raw.delivery_log
                                  where sha256 = ? and status <> 'duplicate'""",
                               [digest]).fetchall()
            assert len(rows) == 1 and rows[0][0] == "loaded", (name, rows)
            _, stichtag, loaded = rows[0]
            in_raw = con.execute("select count(*) from raw.einwohner where stichtag = ? "
                                 "and ags = ?", [stichtag, GEMEINDE]).fetchone()[0]
            assert in_raw == loaded, (name, in_raw, loaded)
            earlier = con.execute("""select status from raw.delivery_log where source =
                'einwohner' and stichtag = ? and file_name = ? and sha256 <> ?""",
                                  [stichtag, name, digest]).fetchall()
            assert earlier == [("replaced",)], (name, earlier)
    finally:
        con.close()

    # the killed runs are marked as failed in Dagster, the last one succeeded
    instance = dg.DagsterInstance.from_config(str(home.dagster_home))
    try:
        records = instance.get_run_records(filters=dg.RunsFilter(job_name="spm_nightly"),
                                           limit=len(laeufe) + 1)
        statuses = [r.dagster_run.status for r in records]
    finally:
        instance.dispose()
    assert statuses == [dg.DagsterRunStatus.SUCCESS] + [dg.DagsterRunStatus.FAILURE] * 3
    assert [r.dagster_run.run_id for r in records[1:]] == getoetet[::-1]
    # each killed run got its failure message (written by the run that found it killed)
    for run_id in getoetet:
        files = list((home.logs / "fehlermeldungen").glob(f"*_{run_id[:8]}.txt"))
        assert len(files) == 1, (run_id, files)
        text = " ".join(files[0].read_text(encoding="utf-8").split())
        assert "abgebrochen" in text and "bleibt gültig" in text, text


# A kill can also land between the two atomic steps of the swap (publish.py: first
# `published/spm.duckdb`, then the link `aktuell`); that window is too short to hit with a
# signal, so these tests lay out exactly what such a kill leaves and let the next
# publication's repair (`versions.reparieren`) deal with it.

def _toter_pid() -> int:
    import subprocess
    import sys

    process = subprocess.Popen([sys.executable, "-c", "pass"])
    process.wait()
    return process.pid


@pytest.fixture()
def zone(demo_run, tmp_path) -> tuple[Home, str]:
    """A copy of the demo home's published zone plus a complete version that a killed
    publication renamed into place; returns the home and that version's name."""
    from dagster_project.publishing.versions import VERSION_FORMAT, version_time

    home = Home(tmp_path / "home")
    home.root.mkdir()
    shutil.copytree(demo_run.home.published, home.published, symlinks=True)
    current = aktuelle_version(home)
    newer = (version_time(current.name) + __import__("datetime").timedelta(hours=1)
             ).strftime(VERSION_FORMAT)
    shutil.copytree(current, home.published_versions / newer)
    # a different file, so that the two can be told apart
    con = duckdb.connect(str(home.published_versions / newer / "spm.duckdb"))
    con.execute("create table kennung as select 'neu' as fassung")
    con.close()
    return home, newer


def test_a_version_that_never_became_current_is_removed(zone):
    from dagster_project.publishing.versions import (
        publish_lock,
        remove_stale_temporaries,
        reparieren,
    )

    home, newer = zone
    zuvor = _sha(home.published_db), (home.published / CURRENT).readlink()
    pid = _toter_pid()
    # killed while copying its file: the copy and the prepared link are there
    shutil.copyfile(home.published_versions / newer / "spm.duckdb",
                    home.published / f".spm.duckdb.{pid}.tmp")
    (home.published / f".{CURRENT}.{pid}.tmp").symlink_to(f"versions/{newer}")
    said = []
    with publish_lock(home):
        reparieren(home, said.append)
        remove_stale_temporaries(home)
    assert not (home.published_versions / newer).exists()
    assert (_sha(home.published_db), (home.published / CURRENT).readlink()) == zuvor
    assert not [p for p in home.published.iterdir() if p.name.endswith(".tmp")]
    assert any("nie zur aktuellen" in s for s in said)


def test_a_swap_killed_after_the_file_was_replaced_is_finished(zone):
    from dagster_project.publishing.versions import (
        publish_lock,
        remove_stale_temporaries,
        reparieren,
    )

    home, newer = zone
    pid = _toter_pid()
    # killed after `published/spm.duckdb` was replaced, before the link `aktuell`
    (home.published / f".{CURRENT}.{pid}.tmp").symlink_to(f"versions/{newer}")
    shutil.copyfile(home.published_versions / newer / "spm.duckdb", home.published_db)
    said = []
    with publish_lock(home):
        reparieren(home, said.append)
        remove_stale_temporaries(home)
    assert aktuelle_version(home).name == newer
    assert _sha(home.published_db) == _sha(home.published_versions / newer / "spm.duckdb")
    assert (home.published / "parquet").resolve() == (home.published_versions / newer
                                                      / "parquet")
    assert any("abgeschlossen" in s for s in said)
    assert not [p for p in home.published.iterdir() if p.name.endswith(".tmp")]


def test_without_a_trace_of_a_swap_a_newer_version_is_removed(zone):
    from dagster_project.publishing.versions import publish_lock, reparieren

    home, newer = zone
    with publish_lock(home):
        reparieren(home, lambda _: None)
    assert not (home.published_versions / newer).exists()
