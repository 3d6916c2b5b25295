"""Publishing: copy the warehouse's `published` schema into a new DuckDB file, swap it in.

Readers open `<home>/published/spm.duckdb` read-only. The nightly run never writes to that
file: it builds a new one under a temporary name and `os.replace`s it, which is atomic on
one filesystem, so a reader sees the old or the new version, never a half-written one (a
reader that has the old file open keeps reading the old version).
"""

import os
import re
from pathlib import Path

import duckdb

from ingestion.home import Home

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


def publish_duckdb(home: Home) -> dict[str, int]:
    """Build the published file from the warehouse and swap it in; returns rows per table."""
    home.published.mkdir(parents=True, exist_ok=True)
    tmp = home.published / f".spm.duckdb.{os.getpid()}.tmp"
    for leftover in (tmp, Path(str(tmp) + ".wal")):
        leftover.unlink(missing_ok=True)
    con = duckdb.connect(str(tmp))
    try:
        con.execute(f"attach '{home.warehouse}' as wh (read_only)")
        tables = published_tables(con, "wh")
        if not tables:
            raise PublishError("Das Warehouse enthält kein Schema 'published'; nichts zu veröffentlichen.")
        counts = {}
        for table in tables:
            con.execute(f'create table main."{table}" as select * from wh.{PUBLISHED_SCHEMA}."{table}"')
            counts[table] = con.execute(f'select count(*) from main."{table}"').fetchone()[0]
        con.execute("detach wh")
        check_no_private_columns(con)
        con.execute("checkpoint")
    finally:
        con.close()
    os.replace(tmp, home.published_db)
    return counts
