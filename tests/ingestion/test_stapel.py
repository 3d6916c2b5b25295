"""Loading an inbox in batches (issue 12): files of one source, Stichtag and layout are
checked together, each file is still its own transaction in file order.

An inbox with everything that can happen to a file in one batch (a clean file, a file with
quarantined rows, a file rejected for too many bad rows in the middle of a batch, a key that
repeats across files but not within one, another column order, the same bytes twice, a
re-delivery that replaces an earlier file, a second Stichtag, a structurally broken file)
must give exactly the raw rows, quarantine and delivery log that loading the files one by
one gives — with batches of every size down to one file.
"""

import pytest

from ingestion import loader, rows, warehouse
from ingestion.home import Home
from ingestion.settings import Settings
from tests.fixtures.einwohner_csv import HEADER, csv_text, person

STICHTAG = "2024-12-31"


def _inbox_files() -> dict[str, str]:
    clean = [person(f"A{i}", nr=str(i % 7 + 1), eltern1="A0" if i % 4 else "")
             for i in range(30)]
    quarantined = [person(f"B{i}", ags="05999008") for i in range(100)]
    quarantined[4] = person("B4", ags="05999008", born="31.02.2001")   # no such date
    quarantined[9] = person("B1", ags="05999008")                      # B1 twice in the file
    quarantined[12] = person("A2", ags="05999008")     # A2 as in the file before it (_neu)
    rejected = [person(f"C{i}", ags="05999012", geschlecht="x" if i % 2 else "w")
                for i in range(20)]
    columns = HEADER.split(";")
    reordered_header = ";".join(reversed(columns))
    reordered = [";".join(reversed(person(f"D{i}", ags="05999016").split(";")))
                 for i in range(25)]
    redelivered = [person(f"A{i}", nr="3") for i in range(0, 30, 2)]
    older = [person(f"A{i}", born="01.01.1979") for i in range(10)]
    return {
        "einwohner_2023-12-31_05999004.csv": csv_text(older),
        f"einwohner_{STICHTAG}_05999004.csv": csv_text(clean),
        f"einwohner_{STICHTAG}_05999004_kopie.csv": csv_text(clean),     # the same bytes
        f"einwohner_{STICHTAG}_05999004_neu.csv": csv_text(redelivered),  # replaces 004
        f"einwohner_{STICHTAG}_05999008.csv": csv_text(quarantined),
        f"einwohner_{STICHTAG}_05999010.csv": "name;vorname\nx;y\n",      # unknown header
        f"einwohner_{STICHTAG}_05999012.csv": csv_text(rejected),
        f"einwohner_{STICHTAG}_05999016.csv": csv_text(reordered, reordered_header),
    }


def _home(tmp_path, name: str) -> Home:
    home = Home(tmp_path / name).create()
    key = home.secrets / "pseudonym.key"
    key.write_text("cd" * 32)
    key.chmod(0o600)
    for file_name, text in _inbox_files().items():
        (home.inbox / "einwohner" / file_name).write_text(text, encoding="utf-8")
    return home


def _state(home: Home):
    con = warehouse.connect(home, read_only=True)
    try:
        raw = con.execute("select * from raw.einwohner order by delivery_id, line_no").fetchall()
        quarantine = con.execute("select * from raw.quarantine order by all").fetchall()
        log = con.execute(
            "select delivery_id, source, stichtag, file_name, sha256, status, rows_total, "
            "rows_loaded, rows_quarantined, municipalities, message "
            "from raw.delivery_log order by delivery_id").fetchall()
    finally:
        con.close()
    return raw, quarantine, log


def _one_by_one(tmp_path):
    home = _home(tmp_path, "einzeln")
    files = loader.inbox_files(home, "einwohner")
    con = warehouse.connect(home)
    try:
        results = [loader.ingest_file(con, home, path, Settings(), expected_source=source)
                   for source, path in sorted(files, key=lambda item: item[1].name)]
    finally:
        con.close()
    return results, _state(home)


@pytest.fixture(scope="module")
def einzeln(tmp_path_factory):
    return _one_by_one(tmp_path_factory.mktemp("stapel"))


def test_the_single_file_path_sees_every_case(einzeln):
    results, (raw, quarantine, log) = einzeln
    status = {r.file_name: r.status for r in results}
    assert status == {
        "einwohner_2023-12-31_05999004.csv": "loaded",
        f"einwohner_{STICHTAG}_05999004.csv": "loaded",
        f"einwohner_{STICHTAG}_05999004_kopie.csv": "duplicate",
        f"einwohner_{STICHTAG}_05999004_neu.csv": "loaded",
        f"einwohner_{STICHTAG}_05999008.csv": "loaded",
        f"einwohner_{STICHTAG}_05999010.csv": "rejected",
        f"einwohner_{STICHTAG}_05999012.csv": "rejected",
        f"einwohner_{STICHTAG}_05999016.csv": "loaded",
    }
    by_name = {r.file_name: r for r in results}
    assert by_name[f"einwohner_{STICHTAG}_05999008.csv"].rows_quarantined == 3
    assert {(q[4], q[6]) for q in quarantine} == {
        ("geburtsdatum", "ungültiges Datum (erwartet TT.MM.JJJJ oder JJJJ-MM-TT)"),
        ("person_id", "Schlüssel (person_id) mehrfach in der Lieferung")}
    assert "mehr als erlaubt" in by_name[f"einwohner_{STICHTAG}_05999012.csv"].message
    replaced = [row for row in log if row[5] == "replaced"]
    assert [row[3] for row in replaced] == [f"einwohner_{STICHTAG}_05999004.csv"]
    assert [row[0] for row in log] == sorted(row[0] for row in log)


@pytest.mark.parametrize("batch_rows, cache_rows",
                         [(500_000, rows.PSEUDONYM_CACHE_ROWS), (40, rows.PSEUDONYM_CACHE_ROWS),
                          (1, rows.PSEUDONYM_CACHE_ROWS), (40, 1)])
def test_an_inbox_in_batches_loads_exactly_as_file_by_file(tmp_path, monkeypatch, einzeln,
                                                          batch_rows, cache_rows):
    # cache_rows=1: the pseudonym cache is emptied after every batch
    monkeypatch.setattr(loader, "BATCH_ROWS", batch_rows)
    monkeypatch.setattr(rows, "PSEUDONYM_CACHE_ROWS", cache_rows)
    home = _home(tmp_path, "stapel")
    con = warehouse.connect(home)
    try:
        results = loader.ingest_inbox(con, home, "einwohner")
    finally:
        con.close()
    expected_results, expected_state = einzeln
    assert [(r.file_name, r.status, r.delivery_id, r.rows_total, r.rows_loaded,
             r.rows_quarantined, r.municipalities, r.message) for r in results] == \
        [(r.file_name, r.status, r.delivery_id, r.rows_total, r.rows_loaded,
          r.rows_quarantined, r.municipalities, r.message) for r in expected_results]
    assert _state(home) == expected_state
    assert not any((home.inbox / "einwohner").iterdir())   # every file left the inbox


def test_a_load_broken_off_leaves_exactly_the_uncommitted_files_in_the_inbox(tmp_path):
    """A failure that is not a delivery's fault (here: a file vanishes before it is read)
    ends the load: what was committed stays and has left the inbox; the files of the batch
    still waiting are neither committed nor gone, so the next run loads them."""
    home = _home(tmp_path, "abbruch")
    files = sorted(loader.inbox_files(home, "einwohner"), key=lambda item: item[1].name)
    con = warehouse.connect(home)
    try:
        with pytest.raises(FileNotFoundError):
            loader.ingest_files(con, home, files + [("einwohner", tmp_path / "weg.csv")],
                                finished=lambda path, result: path.unlink())
        logged = {row[0] for row in con.execute(
            "select file_name from raw.delivery_log").fetchall()}
    finally:
        con.close()
    remaining = {p.name for p in (home.inbox / "einwohner").iterdir()}
    assert logged and remaining                      # some committed, some waiting
    assert logged | remaining == {path.name for _, path in files}
    assert not logged & remaining
    assert f"einwohner_{STICHTAG}_05999016.csv" in remaining   # the last batch was waiting
