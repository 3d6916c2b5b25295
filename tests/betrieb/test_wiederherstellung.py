"""A lost or damaged warehouse is detected and rebuilt from the archive (issue #14,
deliverable 5): `spm run` and `spm status` refuse it in German naming `spm rebuild`, and
leave the published version as it was; `spm rebuild` replays the delivery journal
(`archive/lieferungen.jsonl`) and publishes the same tables, row for row.

The home has a history: the demo county's first run, then a second night with a duplicate
file, a file in the wrong inbox folder (rejected), and a re-delivery of one municipality's
residents (fewer persons) whose export needs a mapping file (`config/mappings/einwohner.yaml`)
that the office deletes afterwards. So the replay must reproduce replacement, rejection,
duplicates, quarantine and arrival times, and load the re-delivery with the mapping it was
loaded with, not with today's configuration.
"""

import hashlib
import json
import os
import re
import shutil
from pathlib import Path

import dagster as dg
import duckdb
import pytest

from dagster_project.cli.main import main, run_pipeline
from dagster_project.environment import activate
from ingestion import journal, warehouse
from ingestion.home import Home

LEFT_OUT = 40
MAPPING = "spalten:\n  Geb.-Datum: geburtsdatum\n"
# The only run-specific values of the published file: `qualitaet` names the run that
# published the version (`lauf_id`, a new Dagster run id) and when each check was evaluated
# (`zeitpunkt`, a wall-clock time of that run). Every other column of `qualitaet` (check,
# subject, result, figure, value, note) and every column of every other table must be equal.
RUN_SPECIFIC = {"qualitaet": ("lauf_id", "zeitpunkt")}


def published_tables(path: Path) -> dict[str, list]:
    """Every table of a published file, its rows in a fixed order, without the run-specific
    columns."""
    con = duckdb.connect(str(path), read_only=True)
    try:
        tables = {}
        for (name,) in con.execute("select table_name from information_schema.tables "
                                   "where table_schema = 'main' order by 1").fetchall():
            columns = [c for (c,) in con.execute(
                "select column_name from information_schema.columns where table_name = ? "
                "order by ordinal_position", [name]).fetchall()
                if c not in RUN_SPECIFIC.get(name, ())]
            assert columns, name
            select = ", ".join(f'"{c}"' for c in columns)
            tables[name] = con.execute(f'select {select} from "{name}" order by all').fetchall()
        return tables
    finally:
        con.close()


def raw_zone(home: Home) -> dict[str, list]:
    """Every table of the raw zone but the run's contract results (`gx_results`, written by
    the run's checks with their time), rows in a fixed order; archive paths relative to the
    home (a copied home has another root)."""
    con = duckdb.connect(str(home.warehouse), read_only=True)
    try:
        names = [n for (n,) in con.execute(
            "select table_name from information_schema.tables where table_schema = 'raw' "
            "and table_name <> 'gx_results' order by 1").fetchall()]
        tables = {name: con.execute(f'select * from raw."{name}" order by all').fetchall()
                  for name in names}
    finally:
        con.close()
    tables["delivery_log"] = [row[:6] + (Path(row[6]).name,) + row[7:]
                              for row in tables["delivery_log"]]
    return tables


def published_state(home: Home) -> dict[str, str]:
    """Every file and link under published/ (content hashes, link targets)."""
    state = {}
    for folder, dirs, files in os.walk(home.published):
        for name in dirs + files:
            path = Path(folder) / name
            key = str(path.relative_to(home.published))
            if path.is_symlink():
                state[key] = "-> " + os.readlink(path)
            elif path.is_file():
                state[key] = hashlib.sha256(path.read_bytes()).hexdigest()
    return state


def spm(home: Home, *args: str, capsys) -> tuple[int, str]:
    """`spm --home <home> <args>` in this process; (exit code, stdout)."""
    capsys.readouterr()
    code = main(["--home", str(home.root), *args])
    return code, capsys.readouterr().out


def copy_home(source: Home, root: Path) -> Home:
    shutil.copytree(source.root, root, symlinks=True)
    return activate(root)


def last_run_messages() -> list[str]:
    instance = dg.DagsterInstance.get()
    try:
        run = instance.get_run_records(filters=dg.RunsFilter(job_name="spm_nightly"),
                                       limit=1)[0]
        return [entry.user_message for entry in instance.all_logs(run.dagster_run.run_id)]
    finally:
        instance.dispose()


@pytest.fixture(scope="module")
def geschichte(demo_run, tmp_path_factory):
    """A copy of the demo home after a second night: (home, published tables, raw zone)."""
    home = copy_home(demo_run.home, tmp_path_factory.mktemp("wiederherstellung") / "home")
    delivered = demo_run.delivered
    # the same bytes again: a duplicate
    sgb2 = sorted(delivered.glob("sgb2/*.csv"))[0]
    shutil.copy(sgb2, home.inbox / "sgb2" / sgb2.name)
    # a file in the wrong folder: rejected
    hze = sorted(delivered.glob("hze/*.csv"))[0]
    shutil.copy(hze, home.inbox / "kita" / hze.name)
    # a re-delivery of one municipality's residents at the oldest Stichtag, fewer persons, in
    # an export whose birth-date column needs the mapping file
    einwohner = sorted(delivered.glob("einwohner/*.csv"),
                       key=lambda p: re.search(r"\d{4}-\d{2}-\d{2}", p.name).group(0))[0]
    lines = einwohner.read_bytes().splitlines(keepends=True)
    header = lines[0].replace(b";geburtsdatum;", b";Geb.-Datum;")
    assert header != lines[0]
    (home.inbox / "einwohner" / einwohner.name).write_bytes(header + b"".join(lines[1 + LEFT_OUT:]))
    (home.config / "mappings").mkdir(exist_ok=True)
    (home.config / "mappings" / "einwohner.yaml").write_text(MAPPING, encoding="utf-8")
    assert run_pipeline(home), "the second night failed"
    con = duckdb.connect(str(home.warehouse), read_only=True)
    try:
        statuses = dict(con.execute("select status, count(*) from raw.delivery_log "
                                    "group by 1").fetchall())
    finally:
        con.close()
    # the history the replay has to reproduce
    assert statuses.get("duplicate") == 1 and statuses.get("rejected") == 1, statuses
    assert statuses.get("replaced") == 1, statuses
    # the office no longer needs the mapping: today's configuration could not load the
    # re-delivery, the journal holds the mapping it was loaded with
    (home.config / "mappings" / "einwohner.yaml").unlink()
    return home, published_tables(home.published_db), raw_zone(home)


def test_the_journal_records_every_delivery_before_its_commit(geschichte):
    home, _, raw = geschichte
    eintraege = journal.lesen(home.journal)
    log = raw["delivery_log"]
    assert [e.delivery_id for e in eintraege] == [row[0] for row in log]
    for e, row in zip(eintraege, log, strict=True):
        expected = e.log_row(home.archive)
        expected[6] = Path(expected[6]).name
        if row[8] == "replaced":
            assert e.status == "loaded"
            expected[8] = "replaced"
        assert tuple(expected) == row
        assert (home.archive / e.archivdatei).is_file()
        assert not e.nachgetragen and e.regeln["quarantaene_schwelle"] == 0.05
    rejected = [e for e in eintraege if e.status == "rejected"]
    assert [e.eingang for e in rejected] == ["kita"]
    redelivered = [e for e in eintraege if e.regeln["zuordnung"]]
    assert [e.regeln["zuordnung"] for e in redelivered] == [MAPPING]
    assert "ersetzt Lieferung" in redelivered[0].meldung


def test_a_deleted_warehouse_is_refused_and_rebuilt(geschichte, tmp_path, capsys):
    original, before, raw_before = geschichte
    home = copy_home(original, tmp_path / "home")
    published = published_state(home)
    journal_bytes = home.journal.read_bytes()
    home.warehouse.unlink()

    code, out = spm(home, "run", capsys=capsys)
    assert code == 1
    assert f"Das Warehouse {home.warehouse} fehlt" in out
    assert f"spm --home {home.root} rebuild" in out and "docs/betrieb.md" in out
    assert not home.warehouse.exists(), "a new empty warehouse must not be created"
    code, out = spm(home, "run", "--erzwingen", capsys=capsys)
    assert code == 1 and "fehlt" in out and not home.warehouse.exists()
    code, out = spm(home, "status", capsys=capsys)
    assert code == 1
    assert f"spm --home {home.root} rebuild" in out and "Veröffentlichte Fassung" in out
    # the loader refuses too (the nightly job started by the schedule or the sensor)
    with pytest.raises(warehouse.WarehouseFehler, match="rebuild"):
        warehouse.connect(home)
    # the nightly job started by the schedule or the sensor (`spm run` stops before it)
    # fails in its loading steps with the same message as the reason
    capsys.readouterr()
    assert not run_pipeline(home)
    out = " ".join(capsys.readouterr().out.split())     # the failure message is wrapped
    assert re.search(rf"Schritt raw__\w+ fehlgeschlagen: Das Warehouse "
                     rf"{re.escape(str(home.warehouse))} fehlt.*spm --home "
                     rf"{re.escape(str(home.root))} rebuild", out), out[-3000:]
    assert not home.warehouse.exists()
    assert published_state(home) == published

    code, out = spm(home, "rebuild", capsys=capsys)
    assert code == 0, out
    total = len(raw_before["delivery_log"])
    assert f"[{total}/{total}] Lieferung " in out
    assert "Vollständiger Neuaufbau aller Stichtage" in " ".join(last_run_messages())
    assert published_state(home) != published, "the rebuild publishes a new version"
    after = published_tables(home.published_db)
    assert after.keys() == before.keys()
    assert {"datenstand", "indikatorwerte", "qualitaet"} <= set(after)
    assert [name for name in after if after[name] != before[name]] == []
    assert raw_zone(home) == raw_before
    assert home.journal.read_bytes() == journal_bytes
    assert list(home.warehouse_dir.glob("spm.duckdb.*")) == []


def corrupt(path: Path) -> None:
    """Overwrite a block of the header and one in the middle of the file."""
    size = path.stat().st_size
    with open(path, "r+b") as f:
        f.seek(0)
        f.write(b"\xa5" * 8192)
        f.seek(size // 2)
        f.write(b"\x5a" * 65536)


def test_a_damaged_warehouse_of_an_older_home_is_refused_and_rebuilt(geschichte, tmp_path,
                                                                       capsys):
    """An older home (no journal yet) gets its journal written from the delivery log when a
    writer connects; its warehouse is damaged later and rebuilt from that journal."""
    original, before, raw_before = geschichte
    home = copy_home(original, tmp_path / "home")
    home.journal.unlink()
    warehouse.connect(home).close()
    nachgetragen = journal.lesen(home.journal)
    assert len(nachgetragen) == len(raw_before["delivery_log"])
    assert all(e.nachgetragen and e.regeln is None for e in nachgetragen)
    published = published_state(home)
    corrupt(home.warehouse)
    damaged = hashlib.sha256(home.warehouse.read_bytes()).hexdigest()

    code, out = spm(home, "run", capsys=capsys)
    assert code == 1
    assert f"Das Warehouse {home.warehouse} ist beschädigt" in out
    assert "(DuckDB: IO Error:" in out and f"spm --home {home.root} rebuild" in out
    code, out = spm(home, "status", capsys=capsys)
    assert code == 1 and "ist beschädigt" in out and "rebuild" in out
    assert published_state(home) == published

    # the journal written from the log holds no rules: the replay uses today's configuration,
    # whose missing mapping rejects the re-delivery; the rebuild stops and changes nothing
    code, out = spm(home, "rebuild", capsys=capsys)
    assert code == 1
    assert "ergibt beim Neuaufbau ein anderes Ergebnis als ursprünglich" in out
    assert "config/mappings/" in out and "nichts verändert" in out
    assert hashlib.sha256(home.warehouse.read_bytes()).hexdigest() == damaged
    assert sorted(p.name for p in home.warehouse_dir.glob("spm.duckdb*")) == ["spm.duckdb"]
    assert published_state(home) == published

    (home.config / "mappings").mkdir(exist_ok=True)
    (home.config / "mappings" / "einwohner.yaml").write_text(MAPPING, encoding="utf-8")
    code, out = spm(home, "rebuild", capsys=capsys)
    assert code == 0, out
    aside = list(home.warehouse_dir.glob("spm.duckdb.beschaedigt-*"))
    assert len(aside) == 1 and re.fullmatch(r"spm\.duckdb\.beschaedigt-\d{8}-\d{6}",
                                            aside[0].name)
    assert hashlib.sha256(aside[0].read_bytes()).hexdigest() == damaged
    after = published_tables(home.published_db)
    assert after.keys() == before.keys()
    assert [name for name in after if after[name] != before[name]] == []
    assert raw_zone(home) == raw_before


def corrupt_table_blocks(path: Path, table: str) -> int:
    """Overwrite the data blocks of one table and leave the header and catalogue intact:
    the file opens, the first query that reads the table fails DuckDB's checksum. Returns
    the number of blocks overwritten."""
    con = duckdb.connect(str(path), read_only=True)
    try:
        block_size = con.execute("select block_size from pragma_database_size()").fetchone()[0]
        blocks = [b for (b,) in con.execute(
            f"select distinct block_id from pragma_storage_info('{table}') "
            "where block_id is not null and block_id >= 0").fetchall()]
    finally:
        con.close()
    assert blocks, table
    header = 3 * 4096           # DuckDB's main header and its two database headers
    with open(path, "r+b") as f:
        for block in blocks:
            f.seek(header + block * block_size + 64)
            f.write(b"\x5a" * 4096)
    return len(blocks)


def test_a_damaged_data_block_is_reported_with_the_rebuild_command(geschichte, tmp_path,
                                                                   capsys):
    """A damaged block behind an intact header: the file opens, the run that reads the block
    fails; its message says the warehouse is damaged and names `spm rebuild --erzwingen`,
    which restores the same published tables."""
    original, before, raw_before = geschichte
    home = copy_home(original, tmp_path / "home")
    published = published_state(home)
    assert corrupt_table_blocks(home.warehouse, "raw.einwohner") > 0
    assert warehouse.check(home) is None, "the header is intact: the file opens"

    code, out = spm(home, "run", "--erzwingen", capsys=capsys)
    assert code == 1
    flat = " ".join(out.split())
    assert "Corrupt database file" in flat
    assert f"Ein Datenblock des Warehouse {home.warehouse} ist beschädigt" in flat
    assert f"„spm --home {home.root} rebuild --erzwingen“" in flat
    assert "keine der bekannten" not in flat
    assert published_state(home) == published
    code, out = spm(home, "status", capsys=capsys)
    flat = " ".join(out.split())
    assert code == 1 and "rebuild --erzwingen" in flat and "ist beschädigt" in flat

    code, out = spm(home, "rebuild", capsys=capsys)
    assert code == 1 and "rebuild --erzwingen" in " ".join(out.split())
    code, out = spm(home, "rebuild", "--erzwingen", capsys=capsys)
    assert code == 0, out
    aside = list(home.warehouse_dir.glob("spm.duckdb.ersetzt-*"))
    assert len(aside) == 1
    after = published_tables(home.published_db)
    assert after.keys() == before.keys()
    assert [name for name in after if after[name] != before[name]] == []
    assert raw_zone(home) == raw_before


def test_the_journal_written_from_the_log_equals_the_one_written_while_loading(geschichte,
                                                                              tmp_path):
    original, _, _ = geschichte
    home = copy_home(original, tmp_path / "home")
    home.journal.unlink()
    con = warehouse.connect(home, read_only=True)
    con.close()
    assert not home.journal.exists(), "a reader does not write the journal"
    warehouse.connect(home).close()
    written = {e.delivery_id: e for e in journal.lesen(original.journal)}
    backfilled = {e.delivery_id: e for e in journal.lesen(home.journal)}
    assert written.keys() == backfilled.keys()
    for key, e in written.items():
        b = backfilled[key]
        # what the log does not know: the inbox folder and the rules
        assert (b.eingang, b.regeln, b.nachgetragen) == (None, None, True)
        assert e == b.__class__(**{**b.__dict__, "eingang": e.eingang, "regeln": e.regeln,
                                   "nachgetragen": False})
    # written once: a second writer leaves it alone
    size = home.journal.stat().st_size
    warehouse.connect(home).close()
    assert home.journal.stat().st_size == size


def test_a_missing_or_changed_archived_file_stops_the_rebuild(geschichte, tmp_path, capsys):
    original, _, _ = geschichte
    home = copy_home(original, tmp_path / "home")
    published = published_state(home)
    eintraege = [e for e in journal.lesen(home.journal) if e.status == "loaded"]
    missing, changed = eintraege[1], eintraege[-1]
    (home.archive / missing.archivdatei).unlink()
    with open(home.archive / changed.archivdatei, "ab") as f:
        f.write(b"x")
    home.warehouse.unlink()
    code, out = spm(home, "rebuild", capsys=capsys)
    assert code == 1
    assert "kann nicht vollständig aus dem Archiv wiederhergestellt werden" in out
    assert (f"Lieferung {missing.delivery_id} ({missing.datei}" in out
            and f"archive/{missing.archivdatei} fehlt" in out)
    assert (f"Lieferung {changed.delivery_id} ({changed.datei}" in out
            and f"archive/{changed.archivdatei} ist verändert" in out)
    assert "nichts veröffentlicht" in out
    assert list(home.warehouse_dir.glob("spm.duckdb*")) == []
    assert published_state(home) == published


def test_without_a_journal_nothing_is_restored(geschichte, tmp_path, capsys):
    original, _, _ = geschichte
    home = copy_home(original, tmp_path / "home")
    published = published_state(home)
    home.journal.unlink()
    home.warehouse.unlink()
    code, out = spm(home, "run", capsys=capsys)
    assert code == 1 and "aber kein Lieferjournal" in out and "rebuild" in out
    code, out = spm(home, "rebuild", capsys=capsys)
    assert code == 1
    assert "Es gibt kein Lieferjournal" in out
    archived = [p for p in home.archive.iterdir() if p.suffix in (".csv", ".xlsx", ".geojson")]
    assert archived and all(f"archive/{p.name}: Lieferung unbekannt" in out for p in archived)
    assert not home.warehouse.exists()
    assert published_state(home) == published


def test_a_healthy_warehouse_is_rebuilt_only_when_forced(geschichte, tmp_path, capsys):
    """A damaged data block further in the file is not seen by opening it: the office
    rebuilds a warehouse that opens with --erzwingen (docs/betrieb.md)."""
    original, tables, raw_before = geschichte
    home = copy_home(original, tmp_path / "home")
    before = hashlib.sha256(home.warehouse.read_bytes()).hexdigest()
    code, out = spm(home, "rebuild", capsys=capsys)
    assert code == 1
    assert "lässt sich öffnen" in out and "rebuild --erzwingen" in out
    assert hashlib.sha256(home.warehouse.read_bytes()).hexdigest() == before
    assert list(home.warehouse_dir.glob("spm.duckdb.*")) == []

    code, out = spm(home, "rebuild", "--erzwingen", capsys=capsys)
    assert code == 0, out
    [aside] = home.warehouse_dir.glob("spm.duckdb.ersetzt-*")
    assert hashlib.sha256(aside.read_bytes()).hexdigest() == before
    after = published_tables(home.published_db)
    assert [name for name in after if after[name] != tables[name]] == []
    assert raw_zone(home) == raw_before


def test_a_new_home_gets_a_new_warehouse(tmp_path, capsys):
    home = activate(tmp_path / "neu")
    assert warehouse.check(home) is None
    code, out = spm(home, "rebuild", capsys=capsys)
    assert code == 0 and "nichts wiederherzustellen" in out
    con = warehouse.connect(home)
    try:
        assert con.execute("select count(*) from raw.delivery_log").fetchone() == (0,)
    finally:
        con.close()
    assert not home.journal.exists()


def test_a_journal_line_whose_commit_never_happened_is_revoked(delivered_small, tmp_path,
                                                               capsys):
    """The process ended between a journal line and its commit (the line is there, the
    delivery is not), once with a torn half line: the next ingestion revokes the line and
    the next delivery gets the same id."""
    home = activate(tmp_path / "home")
    adressen = sorted(delivered_small.glob("adressen/*"))[0]
    kita = sorted(delivered_small.glob("kita/*.csv"))
    code, out = spm(home, "ingest", str(adressen), capsys=capsys)
    assert code == 0, out
    [first] = journal.lesen(home.journal)
    ghost = first.__class__(**{**first.__dict__, "delivery_id": 2, "datei": "geist.csv",
                               "sha256": "0" * 64})
    journal.anhaengen(home.journal, ghost)
    with open(home.journal, "ab") as f:
        f.write(b'{"art": "lieferung", "delivery_id": 3, "dat')       # torn
    assert [e.delivery_id for e in journal.lesen(home.journal)] == [1, 2]
    code, out = spm(home, "ingest", str(kita[0]), capsys=capsys)
    assert code == 0, out
    lines = [json.loads(line) for line in home.journal.read_text(encoding="utf-8").splitlines()]
    assert [(d["art"], d["delivery_id"]) for d in lines] == [
        ("lieferung", 1), ("lieferung", 2), ("verworfen", 2), ("lieferung", 2)]
    eintraege = journal.lesen(home.journal)
    assert [(e.delivery_id, e.datei) for e in eintraege] == [(1, adressen.name), (2, kita[0].name)]
    con = warehouse.connect(home, read_only=True)
    try:
        assert con.execute("select delivery_id, file_name from raw.delivery_log order by 1"
                           ).fetchall() == [(1, adressen.name), (2, kita[0].name)]
    finally:
        con.close()
