"""Readers never see an error or a half-written version while publishing runs.

Reader processes query `published/spm.duckdb` (read-only, a new connection per query) and
PostgreSQL (role spm_leser) in a loop while new versions are published. Every answer must
be one complete version: its marker (`fassung`) and the row count and checksums of
`indikatorwerte` in the same query must belong to the same published version.
"""

import json
import os
import shutil
import subprocess
import sys
import textwrap
import threading
import time
from pathlib import Path

import duckdb
import psycopg
import pytest
import yaml
from psycopg import sql

from dagster_project.publishing.postgres import publish_postgres
from dagster_project.publishing.publish import publish_duckdb
from ingestion.home import Home
from tests.postgres_support import postgres_lock, scratch_database, url_for


@pytest.fixture(scope="module", autouse=True)
def _one_postgres_module_at_a_time():
    with postgres_lock():
        yield


DB = f"spm_test_readers_{os.getpid()}"

# one query: the version marker and a checksum of indikatorwerte, exact in both engines
VERSION_SQL = """
    select f.nr, c.n, c.jahre, c.zeichen
    from {schema}fassung f
    cross join (select count(*) as n, sum(berichtsjahr) as jahre,
                       sum(length(code || raum_id)) as zeichen
                from {schema}indikatorwerte) c
"""
CHECKSUM_SQL = """
    select count(*) as n, sum(berichtsjahr) as jahre, sum(length(code || raum_id)) as zeichen
    from {schema}indikatorwerte
"""

READER = textwrap.dedent("""
    import json, os, sys, time
    kind, target, query, stop_file, ready_file = sys.argv[1:6]
    answers, errors = {}, []
    if kind == "postgres":
        import psycopg
        con = psycopg.connect(target, autocommit=True)   # held open, like a BI tool's pool
    else:
        import duckdb
    while not os.path.exists(stop_file):
        try:
            if kind == "postgres":
                row = con.execute(query).fetchone()
            else:
                fresh = duckdb.connect(target, read_only=True)   # a new reader per query
                try:
                    row = fresh.execute(query).fetchone()
                finally:
                    fresh.close()
            key = json.dumps([int(v) for v in row])
            answers[key] = answers.get(key, 0) + 1
            if not os.path.exists(ready_file):
                open(ready_file, "w").close()
        except Exception as exc:
            errors.append(f"{type(exc).__name__}: {exc}")
        time.sleep(0.002)
    print(json.dumps({"answers": answers, "errors": errors[:20], "n_errors": len(errors)}))
""")


class Readers:
    """Reader processes, started together and stopped together."""

    def __init__(self, tmp_path: Path, specs: dict[str, tuple[str, str, str]]):
        self.stop = tmp_path / "stop"
        self.procs = {}
        for name, (kind, target, query) in specs.items():
            ready = tmp_path / f"ready_{name}"
            self.procs[name] = (ready, subprocess.Popen(
                [sys.executable, "-c", READER, kind, target, query, str(self.stop), str(ready)],
                stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True))

    def wait_ready(self, timeout: float = 30) -> None:
        deadline = time.monotonic() + timeout
        while not all(ready.exists() for ready, _ in self.procs.values()):
            for name, (_, proc) in self.procs.items():
                assert proc.poll() is None, f"Leser {name} beendet: {proc.communicate()}"
            assert time.monotonic() < deadline, "Leser liefern keine Antwort"
            time.sleep(0.05)

    def finish(self) -> dict[str, dict]:
        self.stop.touch()
        results = {}
        for name, (_, proc) in self.procs.items():
            out, err = proc.communicate(timeout=60)
            assert proc.returncode == 0, err
            result = json.loads(out)
            result["answers"] = {tuple(json.loads(k)): n for k, n in result["answers"].items()}
            results[name] = result
        return results


@pytest.fixture(scope="module")
def pg():
    with scratch_database(DB) as url:
        yield url


def warehouse_from(published_db: Path, home: Home) -> None:
    """A warehouse whose `published` schema holds the tables of a published file."""
    home.warehouse.unlink(missing_ok=True)
    con = duckdb.connect(str(home.warehouse))
    con.execute(f"attach '{published_db}' as src (read_only)")
    con.execute("create schema published")
    for (table,) in con.execute("select table_name from duckdb_tables() "
                                "where database_name = 'src'").fetchall():
        con.execute(f'create table published."{table}" as select * from src.main."{table}"')
    con.execute("create table published.fassung as select 0 as nr")
    con.close()


def next_version(home: Home, nr: int) -> tuple[int, int, int]:
    """Change the warehouse into version `nr` (fewer rows, new marker); its checksum."""
    con = duckdb.connect(str(home.warehouse))
    try:
        con.execute("""
            delete from published.indikatorwerte where rowid in (
                select rowid from published.indikatorwerte
                order by code, gliederung, raum_id, berichtsjahr limit 7)""")
        con.execute("update published.fassung set nr = ?", [nr])
        return tuple(int(v) for v in con.execute(
            CHECKSUM_SQL.format(schema="published.")).fetchone())
    finally:
        con.close()


def test_readers_see_complete_versions_while_three_versions_are_published(demo_run, pg,
                                                                          tmp_path):
    home = Home(tmp_path / "home").create()
    warehouse_from(demo_run.home.published_db, home)
    versions = {}
    versions[0] = next_version(home, 0)
    publish_duckdb(home)
    publish_postgres(home.published_db, pg)

    readers = Readers(tmp_path, {
        "duckdb": ("duckdb", str(home.published_db), VERSION_SQL.format(schema="")),
        "postgres": ("postgres", url_for(DB, user="spm_leser"),
                     VERSION_SQL.format(schema="spm_public.")),
    })
    try:
        readers.wait_ready()
        for nr in (1, 2, 3):
            versions[nr] = next_version(home, nr)
            publish_duckdb(home)
            publish_postgres(home.published_db, pg)
            time.sleep(0.3)
    finally:
        results = readers.finish()

    assert len(set(versions.values())) == 4, "the versions must be distinguishable"
    for name, result in results.items():
        assert result["n_errors"] == 0, (name, result["errors"])
        assert sum(result["answers"].values()) > 20, name
        for (nr, *checksum), _ in result["answers"].items():
            assert versions[nr] == tuple(checksum), (name, nr, checksum, versions)
        seen = {nr for nr, *_ in result["answers"]}
        assert 3 in seen and len(seen) >= 3, (name, seen)


def test_publisher_waits_for_a_long_reader_transaction_and_never_breaks_it(tmp_path, pg):
    """A reader holding a table of the old version (open transaction) is waited for; while
    the publisher waits, the reader can still read every other table; afterwards it gets the
    new version. A reader that locks tables in the opposite order never deadlocks."""
    path = tmp_path / "v1.duckdb"
    con = duckdb.connect(str(path))
    con.execute("create table a as select 1 as fassung")
    con.execute("create table b as select 1 as fassung")
    con.close()
    publish_postgres(path, pg, schema="spm_lang")
    con = duckdb.connect(str(tmp_path / "v2.duckdb"))
    con.execute("create table a as select 2 as fassung")
    con.execute("create table b as select 2 as fassung")
    con.close()

    for first, second in (("a", "b"), ("b", "a")):
        reader = psycopg.connect(url_for(DB, user="spm_leser"))    # not autocommit
        new_version = 2 if first == "a" else 1
        path_new = tmp_path / f"v{new_version}.duckdb"
        old_version = 3 - new_version
        assert reader.execute(f"select fassung from spm_lang.{first}").fetchone()[0] \
            == old_version
        errors = []
        publisher = threading.Thread(target=_publish, args=(path_new, pg, errors))
        publisher.start()
        time.sleep(1.5)
        assert publisher.is_alive(), "the publisher must wait for the open transaction"
        started = time.monotonic()
        assert reader.execute(f"select fassung from spm_lang.{second}").fetchone()[0] \
            == old_version
        assert time.monotonic() - started < 2
        reader.commit()
        publisher.join(timeout=30)
        assert not publisher.is_alive() and errors == []
        assert reader.execute(f"select fassung from spm_lang.{first}").fetchone()[0] \
            == new_version
        reader.close()


def _publish(path: Path, url: str, errors: list) -> None:
    try:
        publish_postgres(path, url, schema="spm_lang")
    except Exception as exc:  # noqa: BLE001 - reported to the test thread
        errors.append(exc)


def test_nightly_run_publishes_to_postgres_while_readers_read(demo_run, pg, tmp_path):
    """The real `spm run` path: the nightly job on a copy of the demo home with
    `postgres_url` set publishes the same tables to PostgreSQL; readers see no error."""
    from dagster_project.cli.main import run_pipeline
    from dagster_project.environment import activate

    root = tmp_path / "home"
    shutil.copytree(demo_run.home.root, root)
    settings_path = root / "config" / "settings.yaml"
    settings = yaml.safe_load(settings_path.read_text(encoding="utf-8")) or {}
    settings.update(postgres_url=pg, postgres_schema="spm_nacht")
    settings_path.write_text(yaml.safe_dump(settings), encoding="utf-8")
    home = Home(root)
    publish_postgres(home.published_db, pg, schema="spm_nacht")
    duck = duckdb.connect(str(home.published_db), read_only=True)
    expected = tuple(int(v) for v in duck.execute(CHECKSUM_SQL.format(schema="")).fetchone())
    duck.close()

    readers = Readers(tmp_path, {
        "duckdb": ("duckdb", str(home.published_db), CHECKSUM_SQL.format(schema="")),
        "postgres": ("postgres", url_for(DB, user="spm_leser"),
                     CHECKSUM_SQL.format(schema="spm_nacht.")),
    })
    old_oid = _schema_oid(pg, "spm_nacht")
    try:
        readers.wait_ready()
        activate(root)
        assert run_pipeline(home)
    finally:
        results = readers.finish()
        activate(demo_run.home.root)
    for name, result in results.items():
        assert result["n_errors"] == 0, (name, result["errors"])
        assert set(result["answers"]) == {expected}, name
    assert _schema_oid(pg, "spm_nacht") != old_oid, "the nightly run published anew"
    duck = duckdb.connect(str(home.published_db), read_only=True)
    tables = {t: duck.execute(f'select count(*) from "{t}"').fetchone()[0]
              for (t,) in duck.execute("select table_name from duckdb_tables()").fetchall()}
    duck.close()
    with psycopg.connect(pg) as con:
        assert {t: con.execute(sql.SQL("select count(*) from {}").format(
            sql.Identifier("spm_nacht", t))).fetchone()[0] for t in tables} == tables


def _schema_oid(url: str, schema: str):
    with psycopg.connect(url) as con:
        row = con.execute("select oid from pg_namespace where nspname = %s", [schema]).fetchone()
    return row[0] if row else None
