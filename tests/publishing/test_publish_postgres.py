"""Publishing to PostgreSQL (real server): content, comments, types, the reader role, a
failed publish, the CLI and the Dagster asset."""

import os
import subprocess
import sys
from pathlib import Path

import dagster as dg
import duckdb
import pandas as pd
import psycopg
import pytest
import yaml
from psycopg import sql

from dagster_project.publishing.database import PublishError
from dagster_project.publishing.postgres import publish_postgres
from ingestion.home import Home
from tests.postgres_support import admin_connect, postgres_lock, scratch_database, url_for


@pytest.fixture(scope="module", autouse=True)
def _one_postgres_module_at_a_time():
    with postgres_lock():
        yield


SPM = str(Path(sys.executable).parent / "spm")
DB = f"spm_test_{os.getpid()}"


@pytest.fixture(scope="module")
def pg():
    """A throw-away database holding, besides what we publish, private data of its own."""
    with scratch_database(DB) as url:
        with psycopg.connect(url, autocommit=True) as con:
            con.execute("create schema privat")
            con.execute("create table privat.personen as select 'P000001' as person_id, "
                        "'Musterweg' as strasse")
            con.execute("create table public.geheim as select 42 as zahl")
        yield url


@pytest.fixture(scope="module")
def demo_published(demo_run, pg):
    counts = publish_postgres(demo_run.home.published_db, pg)
    return demo_run.home.published_db, counts


def reader(pg_url: str) -> psycopg.Connection:
    """A connection of the planning units' role to the database of `pg_url`."""
    dbname = psycopg.conninfo.conninfo_to_dict(pg_url)["dbname"]
    return psycopg.connect(url_for(dbname, user="spm_leser"), autocommit=True)


def make_published(path: Path, tables: dict[str, str]) -> Path:
    """A small published DuckDB file: table name -> select statement."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.unlink(missing_ok=True)
    con = duckdb.connect(str(path))
    for name, select in tables.items():
        con.execute(f'create table "{name}" as {select}')
    con.close()
    return path


def schema_oid(url: str, schema: str):
    with psycopg.connect(url) as con:
        row = con.execute("select oid from pg_namespace where nspname = %s", [schema]).fetchone()
    return row[0] if row else None


def pg_tables(url: str, schema: str) -> dict[str, int]:
    with psycopg.connect(url) as con:
        names = [t for (t,) in con.execute(
            "select tablename from pg_tables where schemaname = %s order by 1", [schema])]
        return {t: con.execute(sql.SQL("select count(*) from {}").format(
            sql.Identifier(schema, t))).fetchone()[0] for t in names}


def _sort_key(row):
    return tuple((value is None, str(value)) for value in row)


def test_demo_county_published_with_every_table_row_and_value(demo_published, pg):
    published_db, counts = demo_published
    duck = duckdb.connect(str(published_db), read_only=True)
    tables = [t for (t,) in duck.execute(
        "select table_name from duckdb_tables() where schema_name = 'main' order by 1").fetchall()]
    assert {"indikatoren", "raeume", "indikatorwerte"} <= set(tables)
    assert list(counts) == tables
    assert pg_tables(pg, "spm_public") == {
        t: duck.execute(f'select count(*) from "{t}"').fetchone()[0] for t in tables}
    with psycopg.connect(pg) as con:
        for table in tables:
            duck_columns = duck.execute(
                "select column_name, data_type from duckdb_columns() where schema_name = 'main' "
                "and table_name = ? order by column_index", [table]).fetchall()
            pg_columns = con.execute(
                "select column_name, data_type from information_schema.columns where "
                "table_schema = 'spm_public' and table_name = %s order by ordinal_position",
                [table]).fetchall()
            assert [c for c, _ in pg_columns] == [c for c, _ in duck_columns], table
            # json comes back as text, so both sides compare as the same Python values
            select = sql.SQL(", ").join(
                sql.SQL("{}::text").format(sql.Identifier(c)) if kind == "json"
                else sql.Identifier(c) for c, kind in pg_columns)
            pg_rows = con.execute(sql.SQL("select {} from {}").format(
                select, sql.Identifier("spm_public", table))).fetchall()
            duck_rows = duck.execute(f'select * from "{table}"').fetchall()
            assert sorted(pg_rows, key=_sort_key) == sorted(duck_rows, key=_sort_key), table
    duck.close()


def test_types_are_mapped(demo_published, pg):
    with psycopg.connect(pg) as con:
        types = dict(((t, c), d) for t, c, d in con.execute(
            "select table_name, column_name, data_type from information_schema.columns "
            "where table_schema = 'spm_public'").fetchall())
    assert types[("indikatorwerte", "code")] == "text"
    assert types[("indikatorwerte", "berichtsjahr")] == "integer"
    assert types[("indikatorwerte", "stichtag")] == "date"
    assert types[("indikatorwerte", "wert")] == "double precision"
    assert types[("indikatoren", "sensibel")] == "boolean"
    assert types[("raeume", "geometrie")] == "json"


def test_german_comments_are_carried_from_dbt_docs(demo_published, pg):
    published_db, _ = demo_published
    duck = duckdb.connect(str(published_db), read_only=True)
    duck_tables = dict(duck.execute("select table_name, comment from duckdb_tables() "
                                    "where schema_name = 'main'").fetchall())
    duck_columns = {(t, c): comment for t, c, comment in duck.execute(
        "select table_name, column_name, comment from duckdb_columns() "
        "where schema_name = 'main' and not internal").fetchall()}
    duck.close()
    # the published DuckDB file carries the comments of the warehouse (dbt persist_docs)
    for table in ("indikatoren", "raeume", "indikatorwerte"):
        assert duck_tables[table] and "Grain" in duck_tables[table]
    assert "gesperrt" in duck_columns[("indikatorwerte", "status")]
    assert "gesperrt_sekundaer" not in duck_columns[("indikatorwerte", "status")]
    with psycopg.connect(pg) as con:
        pg_tables_ = dict(con.execute(
            "select c.relname, obj_description(c.oid, 'pg_class') from pg_class c "
            "join pg_namespace n on n.oid = c.relnamespace where n.nspname = 'spm_public' "
            "and c.relkind = 'r'").fetchall())
        pg_columns = {(t, c): comment for t, c, comment in con.execute(
            "select c.relname, a.attname, col_description(c.oid, a.attnum) from pg_class c "
            "join pg_namespace n on n.oid = c.relnamespace join pg_attribute a "
            "on a.attrelid = c.oid and a.attnum > 0 and not a.attisdropped "
            "where n.nspname = 'spm_public' and c.relkind = 'r'").fetchall()}
        schema_comment = con.execute(
            "select obj_description(oid, 'pg_namespace') from pg_namespace "
            "where nspname = 'spm_public'").fetchone()[0]
    assert pg_tables_ == {t: (c.strip() if c else None) for t, c in duck_tables.items()}
    assert pg_columns == {k: (c.strip() if c else None) for k, c in duck_columns.items()}
    assert "Einheit des Werts" in pg_columns[("indikatorwerte", "einheit")]
    assert "veröffentlicht" in schema_comment


def test_reader_role_reads_every_published_table(demo_published, pg):
    _, counts = demo_published
    with reader(pg) as con:
        for table, rows in counts.items():
            assert con.execute(sql.SQL("select count(*) from {}").format(
                sql.Identifier("spm_public", table))).fetchone()[0] == rows
        visible = {n for (n,) in con.execute(
            "select nspname from pg_namespace "
            "where has_schema_privilege(current_user, oid, 'USAGE')").fetchall()}
        role = con.execute("select rolsuper, rolcreatedb, rolcreaterole, rolcanlogin "
                           "from pg_roles where rolname = current_user").fetchone()
    assert visible == {"spm_public", "public", "pg_catalog", "information_schema"}
    assert role == (False, False, False, True)


@pytest.mark.parametrize("statement", [
    "insert into spm_public.indikatorwerte (code) values ('X99')",
    "update spm_public.indikatorwerte set wert = 0",
    "delete from spm_public.indikatorwerte",
    "truncate spm_public.indikatorwerte",
    "drop table spm_public.indikatorwerte",
    "alter table spm_public.raeume add column notiz text",
    "comment on table spm_public.raeume is 'x'",
    "create table spm_public.eigene (a int)",
    "create view spm_public.eigene as select 1 as a",
    "create table public.eigene (a int)",
    "create schema eigenes",
    "drop schema spm_public cascade",
    "select * from privat.personen",
    "select * from public.geheim",
])
def test_reader_role_cannot_write_or_read_anything_else(demo_published, pg, statement):
    _, counts = demo_published
    with reader(pg) as con:
        with pytest.raises(psycopg.errors.InsufficientPrivilege):
            con.execute(statement)
    assert pg_tables(pg, "spm_public") == counts
    with psycopg.connect(pg) as con:     # the private data is still there, for the owner
        assert con.execute("select count(*) from privat.personen").fetchone()[0] == 1


def test_publish_refuses_when_the_reader_could_read_other_data(demo_published, pg):
    before = schema_oid(pg, "spm_public")
    admin = psycopg.connect(pg, autocommit=True)
    try:
        admin.execute("grant usage on schema privat to public")
        admin.execute("grant select on privat.personen to public")
        with pytest.raises(PublishError, match="privat.personen"):
            publish_postgres(demo_published[0], pg)
    finally:
        admin.execute("revoke select on privat.personen from public")
        admin.execute("revoke usage on schema privat from public")
        admin.close()
    assert schema_oid(pg, "spm_public") == before


def test_publish_refuses_to_replace_a_foreign_schema_or_public(tmp_path, pg):
    published = make_published(tmp_path / "spm.duckdb", {"a": "select 1 as x"})
    with psycopg.connect(pg, autocommit=True) as con:
        con.execute("create schema fremd")
        con.execute("create table fremd.wichtig as select 1 as x")
    with pytest.raises(PublishError, match="nicht von SPM angelegt"):
        publish_postgres(published, pg, schema="fremd")
    with pytest.raises(PublishError, match="Ungültiger Name"):
        publish_postgres(published, pg, schema="public")
    assert pg_tables(pg, "fremd") == {"wichtig": 1}


def test_failed_publish_leaves_previous_version_intact(tmp_path, pg):
    schema = "spm_fehlertest"
    good = make_published(tmp_path / "gut" / "spm.duckdb", {
        "a_werte": "select range as n, 'v1' as fassung from range(3)",
        "b_raeume": "select 'R1' as raum_id",
    })
    assert publish_postgres(good, pg, schema=schema) == {"a_werte": 3, "b_raeume": 1}
    before = schema_oid(pg, schema)
    # a_werte and b_raeume load, then c_kaputt fails inside COPY (text cannot hold NUL)
    bad = make_published(tmp_path / "schlecht" / "spm.duckdb", {
        "a_werte": "select range as n, 'v2' as fassung from range(5)",
        "b_raeume": "select 'R1' as raum_id union all select 'R2'",
        "c_kaputt": "select 'gut' as text union all select 'schl' || chr(0) || 'echt'",
    })
    with pytest.raises(PublishError, match="bisherige Fassung bleibt bestehen"):
        publish_postgres(bad, pg, schema=schema)
    assert schema_oid(pg, schema) == before
    assert pg_tables(pg, schema) == {"a_werte": 3, "b_raeume": 1}
    assert schema_oid(pg, f"{schema}__neu") is None
    assert schema_oid(pg, f"{schema}__alt") is None
    with reader(pg) as con:
        assert con.execute("select distinct fassung from spm_fehlertest.a_werte").fetchall() \
            == [("v1",)]


def test_reader_role_is_created_with_a_hashed_password(tmp_path, pg):
    role = f"spm_leser_t{os.getpid()}"
    published = make_published(tmp_path / "spm.duckdb", {"a": "select 1 as x"})
    admin = admin_connect()
    try:
        assert admin.execute("select count(*) from pg_roles where rolname = %s",
                             [role]).fetchone()[0] == 0
        publish_postgres(published, pg, schema="spm_rolle", reader_role=role,
                         reader_password="Geheim-123")
        attributes = admin.execute(
            "select rolcanlogin, rolsuper, rolcreatedb, rolcreaterole, rolpassword "
            "from pg_authid where rolname = %s", [role]).fetchone()
        assert attributes[:4] == (True, False, False, False)
        assert attributes[4].startswith("SCRAM-SHA-256$")
        with psycopg.connect(url_for(DB, user=role)) as con:
            assert con.execute("select x from spm_rolle.a").fetchall() == [(1,)]
            with pytest.raises(psycopg.errors.InsufficientPrivilege):
                con.execute("select * from privat.personen")
    finally:
        with psycopg.connect(pg, autocommit=True) as con:
            con.execute("drop schema if exists spm_rolle cascade")
        admin.execute(sql.SQL("drop role if exists {}").format(sql.Identifier(role)))
        admin.close()


def test_cli_publish(demo_run, pg, tmp_path):
    home = demo_run.home
    ok = subprocess.run([SPM, "--home", str(home.root), "publish", "--postgres", pg,
                         "--schema", "spm_cli"], capture_output=True, text=True)
    assert ok.returncode == 0, ok.stdout + ok.stderr
    for table in ("indikatoren", "raeume", "indikatorwerte"):
        assert f"spm_cli.{table}" in ok.stdout
    duck = duckdb.connect(str(home.published_db), read_only=True)
    expected = {t: duck.execute(f'select count(*) from "{t}"').fetchone()[0] for (t,) in
                duck.execute("select table_name from duckdb_tables() order by 1").fetchall()}
    duck.close()
    assert pg_tables(pg, "spm_cli") == expected

    down = subprocess.run([SPM, "--home", str(home.root), "publish", "--postgres",
                           "postgresql://postgres@127.0.0.1:1/spm"], capture_output=True, text=True)
    assert down.returncode != 0
    assert "PostgreSQL-Server nicht erreichbar" in down.stdout

    empty = subprocess.run([SPM, "--home", str(tmp_path / "leer"), "publish", "--postgres", pg],
                           capture_output=True, text=True)
    assert empty.returncode != 0
    assert "noch keine veröffentlichte Fassung" in empty.stdout

    unset = subprocess.run([SPM, "--home", str(tmp_path / "leer"), "publish"],
                           capture_output=True, text=True)
    assert unset.returncode != 0
    assert "keine PostgreSQL-Verbindung" in unset.stdout

    helptext = subprocess.run([SPM, "publish", "--help"], capture_output=True, text=True)
    assert helptext.returncode == 0 and "Leser" in helptext.stdout


def test_dagster_asset_publishes_only_when_configured(tmp_path, pg, monkeypatch):
    from dagster_project.defs.publishing.postgres import published_postgres
    from dagster_project.defs.resources import SpmHomeResource

    home = Home(tmp_path / "home").create()
    make_published(home.published_db, {"a": "select range as n from range(4)"})
    resources = {"spm": SpmHomeResource(root=str(home.root))}

    result = dg.materialize([published_postgres], resources=resources)
    metadata = result.asset_materializations_for_node("published__postgres")[0].metadata
    assert metadata["status"].value == "nicht eingestellt"
    assert "postgres_url" in metadata["hinweis"].value
    assert schema_oid(pg, "spm_asset") is None

    (home.config / "settings.yaml").write_text(
        yaml.safe_dump({"postgres_url": pg, "postgres_schema": "spm_asset"}), encoding="utf-8")
    result = dg.materialize([published_postgres], resources=resources)
    metadata = result.asset_materializations_for_node("published__postgres")[0].metadata
    assert metadata["status"].value == "veröffentlicht"
    assert metadata["zeilen_a"].value == 4
    assert pg_tables(pg, "spm_asset") == {"a": 4}


def test_postgres_asset_runs_after_the_duckdb_file(tmp_path, monkeypatch):
    monkeypatch.setenv("SPM_HOME", str(tmp_path / "home"))
    from dagster_project.definitions import defs

    graph = defs.resolve_asset_graph()
    node = graph.get(dg.AssetKey(["published", "postgres"]))
    assert node.parent_keys == {dg.AssetKey(["published", "spm_duckdb"])}
    job = defs.resolve_job_def("spm_nightly")
    assert "published__postgres" in {n.name for n in job.nodes}


def test_nothing_leaks_through_postgres(demo_run, demo_published, pg):
    """The leak test of tests/publishing/test_leak.py on every table as the reader role sees it."""
    from tests.publishing.test_leak import Befund, geheimnisse, leaks_in_frame

    secrets = geheimnisse(Path(demo_run.delivered))
    assert secrets.dateien > 0
    befund = Befund()
    with reader(pg) as con:
        names = [t for (t,) in con.execute(
            "select tablename from pg_tables where schemaname = 'spm_public' order by 1")]
        assert {"indikatorwerte", "hze_hilfearten", "sozialindex", "datenstand",
                "qualitaet"} <= set(names)
        frames = {}
        for table in names:
            cursor = con.execute(sql.SQL("select * from {}").format(
                sql.Identifier("spm_public", table)))
            frames[table] = pd.DataFrame(cursor.fetchall(),
                                         columns=[c.name for c in cursor.description])
    for table, frame in frames.items():
        befund.add(leaks_in_frame(table, frame, frames["indikatoren"], secrets))
    assert befund.leaks == []
    assert befund.sensible_werte > 1000 and befund.gesperrte_zeilen > 100


def test_demo_publishes_to_a_local_postgres_and_psql_reads_as_spm_leser(demo_run, pg):
    """The acceptance of the issue: after the demo, `psql -U spm_leser` counts the
    published values and cannot create a table. The demo creates its database itself."""
    import shutil as sh

    from dagster_project.cli.main import _demo_postgres

    dbname = f"spm_demo_test_{os.getpid()}"
    url = url_for(dbname)
    try:
        _demo_postgres(demo_run.home, url)
        psql = sh.which("psql") or "/usr/bin/psql"
        base = [psql, "-h", "127.0.0.1", "-U", "spm_leser", "-d", dbname, "-tA", "-c"]
        count = subprocess.run([*base, "select count(*) from spm_public.indikatorwerte"],
                               capture_output=True, text=True)
        assert count.returncode == 0, count.stderr
        duck = duckdb.connect(str(demo_run.home.published_db), read_only=True)
        expected = duck.execute("select count(*) from indikatorwerte").fetchone()[0]
        duck.close()
        assert int(count.stdout.strip()) == expected > 0
        create = subprocess.run([*base, "create table spm_public.x(i int)"],
                                capture_output=True, text=True)
        assert create.returncode != 0 and "permission denied" in create.stderr
    finally:
        with admin_connect() as con:
            con.execute(sql.SQL("drop database if exists {} with (force)").format(
                sql.Identifier(dbname)))


def test_demo_without_postgres_says_so_and_keeps_duckdb(demo_run, capsys):
    from dagster_project.cli.main import _demo_postgres

    _demo_postgres(demo_run.home, "postgresql://postgres@127.0.0.1:1/spm_demo")
    err = capsys.readouterr()
    assert "keine Veröffentlichung nach PostgreSQL" in err.out + err.err
    assert demo_run.home.published_db.exists()
