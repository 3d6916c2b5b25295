"""Publishing: copy the warehouse's `published` schema into a new DuckDB file, swap it in.

Readers open `<home>/published/spm.duckdb` read-only. The nightly run never writes to that
file: it builds a new one under a temporary name and `os.replace`s it, which is atomic on
one filesystem, so a reader sees the old or the new version, never a half-written one (a
reader that has the old file open keeps reading the old version).

The file is built here (`build_published_db`); one whole publication (gate, leak check,
files, swap) is `publish.py`, the versions `versions.py`, the file outputs (Parquet, Excel,
CSV) `files.py`.
"""

import re
from pathlib import Path

import duckdb

PUBLISHED_SCHEMA = "published"

# Column names that must never appear in the published zone (microdata, pseudonyms, addresses).
FORBIDDEN_COLUMNS = re.compile(
    r"^(person_id|ehegatte_id|elternteil\d_id|bg_id|fall_id|kind_id|schueler_id|geburtsdatum|"
    r"strasse|strasse_norm|hausnummer|hausnummer_zusatz|hausnummer_zusatz_norm|plz|ostwert|"
    r"nordwert|line_no|delivery_id|zuzug_datum)$"
)


class PublishError(RuntimeError):
    pass


def published_tables(con: duckdb.DuckDBPyConnection, catalog: str) -> list[str]:
    rows = con.execute(
        "select table_name from information_schema.tables where table_catalog = ? "
        "and table_schema = ? order by table_name", [catalog, PUBLISHED_SCHEMA]).fetchall()
    return [r[0] for r in rows]


def check_no_private_columns(con: duckdb.DuckDBPyConnection) -> None:
    rows = con.execute(
        "select table_name, column_name from information_schema.columns "
        "where table_schema = 'main'").fetchall()
    leaks = [f"{t}.{c}" for t, c in rows if FORBIDDEN_COLUMNS.match(c)]
    if leaks:
        raise PublishError("Private Spalten im veröffentlichten Bereich: " + ", ".join(leaks))


def _literal(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def copy_comments(con: duckdb.DuckDBPyConnection, catalog: str) -> None:
    """Carry the German table and column comments (dbt `persist_docs`) into `main`."""
    tables = con.execute(
        "select table_name, comment from duckdb_tables() where database_name = $1 "
        "and schema_name = $2 and comment is not null union all "
        "select view_name, comment from duckdb_views() where database_name = $1 "
        "and schema_name = $2 and comment is not null", [catalog, PUBLISHED_SCHEMA]).fetchall()
    for table, comment in tables:
        con.execute(f'comment on table main."{table}" is {_literal(comment.strip())}')
    columns = con.execute(
        "select table_name, column_name, comment from duckdb_columns() where database_name = ? "
        "and schema_name = ? and comment is not null", [catalog, PUBLISHED_SCHEMA]).fetchall()
    for table, column, comment in columns:
        con.execute(f'comment on column main."{table}"."{column}" is {_literal(comment.strip())}')


def build_published_db(warehouse: Path, target: Path) -> dict[str, int]:
    """Write the warehouse's `published` schema into a new DuckDB file `target` (schema
    `main`, with the comments); returns rows per table. `target` must not exist yet."""
    for leftover in (target, Path(str(target) + ".wal")):
        leftover.unlink(missing_ok=True)
    con = duckdb.connect(str(target))
    try:
        con.execute(f"attach {_literal(str(warehouse))} as wh (read_only)")
        tables = published_tables(con, "wh")
        if not tables:
            raise PublishError("Das Warehouse enthält kein Schema 'published'; nichts zu veröffentlichen.")
        counts = {}
        for table in tables:
            con.execute(f'create table main."{table}" as select * from wh.{PUBLISHED_SCHEMA}."{table}"')
            counts[table] = con.execute(f'select count(*) from main."{table}"').fetchone()[0]
        copy_comments(con, "wh")
        con.execute("detach wh")
        check_no_private_columns(con)
        con.execute("checkpoint")
    finally:
        con.close()
    return counts

