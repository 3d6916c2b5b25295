"""Publishing to PostgreSQL: the tables of the published DuckDB file into schema `spm_public`.

Only the published DuckDB file (`<home>/published/spm.duckdb`) is read, never the private
warehouse: PostgreSQL gets exactly its tables, columns and German comments.

One transaction does everything, so readers see the old or the new version entirely:
1. the tables are created and filled (COPY) in a new schema `<schema>__neu`, which nobody
   sees before the commit;
2. the reader role (`spm_leser`, LOGIN, created if missing) gets USAGE on that schema and
   SELECT on its tables, nothing else; its privileges in the whole database are checked;
3. in a savepoint with a short `lock_timeout`, the tables of the old schema are locked, the
   old schema is renamed and dropped and the new one renamed to `<schema>`. A reader that
   holds a table of the old version (a long query or transaction) is waited for by retrying
   the savepoint, so a reader never runs into a deadlock with the publisher and never sees
   an error; readers queued behind the lock wait at most `lock_timeout`.
A failure anywhere rolls the transaction back: the previous version stays untouched.

Readers in READ COMMITTED (the default of every BI tool) see a complete version per
statement. A REPEATABLE READ transaction that started before the swap and touches a table
only after it sees that table empty (PostgreSQL's catalog is not versioned with the
snapshot); such readers should use short transactions.
"""

import os
import re
import time
from datetime import datetime
from pathlib import Path

import duckdb
import psycopg
from psycopg import sql

from dagster_project.publishing.database import PublishError, check_no_private_columns

DEFAULT_SCHEMA = "spm_public"
DEFAULT_READER_ROLE = "spm_leser"
# Optional password of the reader role; without it the role's password is left as it is.
READER_PASSWORD_ENV = "SPM_POSTGRES_LESER_PASSWORT"
SCHEMA_MARKER = "SPM – abgestimmtes Datenset"
BATCH_ROWS = 50_000
LOCK_TIMEOUT_MS = 500
SWAP_WAIT_SECONDS = 120
CONNECT_TIMEOUT_SECONDS = 10

_NAME = re.compile(r"^[a-z_][a-z0-9_]{0,50}$")
_RESERVED_SCHEMAS = {"public", "information_schema"}

_TYPES = {
    "VARCHAR": "text",
    "JSON": "json",
    "DOUBLE": "double precision",
    "FLOAT": "real",
    "BIGINT": "bigint",
    "INTEGER": "integer",
    "SMALLINT": "smallint",
    "TINYINT": "smallint",
    "UTINYINT": "smallint",
    "USMALLINT": "integer",
    "UINTEGER": "bigint",
    "UBIGINT": "numeric(20,0)",
    "HUGEINT": "numeric(39,0)",
    "UHUGEINT": "numeric(39,0)",
    "BOOLEAN": "boolean",
    "DATE": "date",
    "TIME": "time",
    "TIMESTAMP": "timestamp",
    "TIMESTAMP_S": "timestamp",
    "TIMESTAMP_MS": "timestamp",
    "TIMESTAMP_NS": "timestamp",
    "TIMESTAMP WITH TIME ZONE": "timestamptz",
    "INTERVAL": "interval",
    "UUID": "uuid",
    "BLOB": "bytea",
}
_DECIMAL = re.compile(r"^DECIMAL\((\d+),(\d+)\)$")


class PostgresUnreachable(PublishError):
    """The server could not be reached or refused the connection."""


def postgres_type(duckdb_type: str) -> str:
    """The PostgreSQL column type for a DuckDB column type of the published file."""
    if duckdb_type in _TYPES:
        return _TYPES[duckdb_type]
    decimal = _DECIMAL.match(duckdb_type)
    if decimal:
        return f"numeric({decimal.group(1)},{decimal.group(2)})"
    raise PublishError(f"Spaltentyp {duckdb_type} kann nicht nach PostgreSQL übertragen werden.")


def describe_target(url: str) -> str:
    """`host:port/dbname` of a connection string, without user or password (for messages)."""
    try:
        info = psycopg.conninfo.conninfo_to_dict(url)
    except psycopg.ProgrammingError:
        return "(ungültige Verbindungsangabe)"
    host = info.get("host") or info.get("hostaddr") or "localhost"
    return f"{host}:{info.get('port') or 5432}/{info.get('dbname') or '?'}"


def check_name(kind: str, name: str) -> None:
    if not _NAME.match(name) or name in _RESERVED_SCHEMAS or name.startswith("pg_"):
        raise PublishError(f"Ungültiger Name für {kind}: {name!r} (erlaubt: Kleinbuchstaben, "
                           "Ziffern, _; nicht public, information_schema, pg_*).")


def _read_published(con: duckdb.DuckDBPyConnection) -> list[dict]:
    """Tables of the published file with columns, types and comments, in name order."""
    tables = []
    for name, comment in con.execute(
            "select table_name, comment from duckdb_tables() where database_name = "
            "current_database() and schema_name = 'main' order by table_name").fetchall():
        columns = con.execute(
            "select column_name, data_type, comment from duckdb_columns() where database_name "
            "= current_database() and schema_name = 'main' and table_name = ? "
            "order by column_index", [name]).fetchall()
        tables.append({"name": name, "comment": comment, "columns": columns})
    return tables


def _comment(text: str | None) -> sql.Composable:
    return sql.Literal(text.strip()) if text and text.strip() else sql.SQL("null")


def _load_table(cur: psycopg.Cursor, dcon: duckdb.DuckDBPyConnection, schema: str,
                table: dict) -> int:
    target = sql.Identifier(schema, table["name"])
    cur.execute(sql.SQL("create table {} ({})").format(target, sql.SQL(", ").join(
        sql.SQL("{} {}").format(sql.Identifier(column), sql.SQL(postgres_type(kind)))
        for column, kind, _ in table["columns"])))
    names = [column for column, _, _ in table["columns"]]
    select = ", ".join('"' + n.replace('"', '""') + '"' for n in names)
    result = dcon.execute(f'select {select} from main."{table["name"]}"')
    copy_sql = sql.SQL("copy {} ({}) from stdin").format(
        target, sql.SQL(", ").join(map(sql.Identifier, names)))
    with cur.copy(copy_sql) as copy:
        while rows := result.fetchmany(BATCH_ROWS):
            for row in rows:
                copy.write_row(row)
    expected = dcon.execute(f'select count(*) from main."{table["name"]}"').fetchone()[0]
    loaded = cur.execute(sql.SQL("select count(*) from {}").format(target)).fetchone()[0]
    if loaded != expected:
        raise PublishError(f"{table['name']}: {loaded} statt {expected} Zeilen geladen.")
    cur.execute(sql.SQL("comment on table {} is {}").format(target, _comment(table["comment"])))
    for column, _, comment in table["columns"]:
        cur.execute(sql.SQL("comment on column {}.{} is {}").format(
            target, sql.Identifier(column), _comment(comment)))
    cur.execute(sql.SQL("analyze {}").format(target))
    return loaded


def _ensure_reader_role(conn: psycopg.Connection, role: str, password: str | None) -> None:
    cur = conn.cursor()
    row = cur.execute(
        "select rolsuper or rolcreatedb or rolcreaterole or rolreplication or rolbypassrls, "
        "exists (select 1 from pg_auth_members m where m.member = r.oid) "
        "from pg_roles r where rolname = %s", [role]).fetchone()
    if row is None:
        cur.execute(sql.SQL("create role {} login nosuperuser nocreatedb nocreaterole "
                            "noreplication nobypassrls").format(sql.Identifier(role)))
    elif row[0] or row[1]:
        raise PublishError(
            f"Die Rolle {role} hat weitergehende Rechte (Superuser, CREATEDB, CREATEROLE, "
            "REPLICATION, BYPASSRLS) oder gehört einer anderen Rolle an; als Leserolle "
            "wird sie so nicht verwendet.")
    if password:
        # hashed on the client (SCRAM), so the plain password appears in no server log
        hashed = conn.pgconn.encrypt_password(password.encode(), role.encode()).decode()
        cur.execute(sql.SQL("alter role {} password {}").format(
            sql.Identifier(role), sql.Literal(hashed)))


def _reader_problems(cur: psycopg.Cursor, role: str, ours: list[str]) -> list[str]:
    """Everything the reader role could do beyond reading our schemas `ours` and other
    published SPM schemas (marked by their comment); empty when all is well."""
    problems = []
    if cur.execute("select has_database_privilege(%s, current_database(), 'CREATE')",
                   [role]).fetchone()[0]:
        problems.append("darf Schemas in der Datenbank anlegen (CREATE)")
    for (name,) in cur.execute(
            "select nspname from pg_namespace where has_schema_privilege(%s, oid, 'CREATE') "
            "order by 1", [role]).fetchall():
        problems.append(f"darf im Schema {name} Objekte anlegen (CREATE)")
    for name, table in cur.execute(
            "select n.nspname, c.relname from pg_class c join pg_namespace n "
            "on n.oid = c.relnamespace where c.relkind in ('r', 'v', 'm', 'p', 'f') "
            "and n.nspname not in ('pg_catalog', 'information_schema') "
            "and n.nspname <> all(%s) and has_schema_privilege(%s, n.oid, 'USAGE') "
            "and has_table_privilege(%s, c.oid, 'SELECT') "
            "and coalesce(obj_description(n.oid, 'pg_namespace'), '') not like %s "
            "order by 1, 2", [ours, role, role, SCHEMA_MARKER + "%"]).fetchall():
        problems.append(f"darf {name}.{table} lesen")
    for name, table in cur.execute(
            "select n.nspname, c.relname from pg_class c join pg_namespace n "
            "on n.oid = c.relnamespace where c.relkind in ('r', 'v', 'm', 'p', 'f') "
            "and n.nspname not in ('pg_catalog', 'information_schema') "
            "and has_table_privilege(%s, c.oid, "
            "'INSERT, UPDATE, DELETE, TRUNCATE, REFERENCES, TRIGGER') order by 1, 2",
            [role]).fetchall():
        problems.append(f"darf {name}.{table} ändern")
    return problems


def _schema_comment(cur: psycopg.Cursor, schema: str) -> str | None:
    row = cur.execute("select obj_description(oid, 'pg_namespace') from pg_namespace "
                      "where nspname = %s", [schema]).fetchone()
    if row is None:
        return None
    return row[0] or ""


def _swap(cur: psycopg.Cursor, schema: str, new: str, old: str) -> None:
    """Replace `schema` by `new` inside the open transaction (see the module docstring)."""
    deadline = time.monotonic() + SWAP_WAIT_SECONDS
    while True:
        cur.execute("savepoint spm_tausch")
        try:
            cur.execute(f"set local lock_timeout = {LOCK_TIMEOUT_MS}")
            tables = [sql.Identifier(schema, t) for (t,) in cur.execute(
                "select c.relname from pg_class c join pg_namespace n on n.oid = c.relnamespace "
                "where n.nspname = %s and c.relkind in ('r', 'v', 'm', 'p', 'f') order by 1",
                [schema]).fetchall()]
            exists = _schema_comment(cur, schema) is not None
            if tables:
                cur.execute(sql.SQL("lock table {} in access exclusive mode").format(
                    sql.SQL(", ").join(tables)))
            if exists:
                cur.execute(sql.SQL("alter schema {} rename to {}").format(
                    sql.Identifier(schema), sql.Identifier(old)))
            cur.execute(sql.SQL("alter schema {} rename to {}").format(
                sql.Identifier(new), sql.Identifier(schema)))
            if exists:
                cur.execute(sql.SQL("drop schema {} cascade").format(sql.Identifier(old)))
            cur.execute("release savepoint spm_tausch")
            return
        except psycopg.errors.LockNotAvailable:
            cur.execute("rollback to savepoint spm_tausch")
            if time.monotonic() > deadline:
                raise PublishError(
                    f"Das Schema {schema} ist seit {SWAP_WAIT_SECONDS} s durch Leser gesperrt "
                    "(lange Transaktion?); die bisherige Fassung bleibt bestehen.") from None
            time.sleep(0.05)


def publish_postgres(published_db: Path, url: str, schema: str = DEFAULT_SCHEMA,
                     reader_role: str = DEFAULT_READER_ROLE,
                     reader_password: str | None = None) -> dict[str, int]:
    """Load every table of the published DuckDB file into `schema`; returns rows per table.

    `reader_password` (else the environment variable `SPM_POSTGRES_LESER_PASSWORT`) sets the
    password of the reader role; without one its password is left unchanged.
    """
    check_name("das Schema", schema)
    check_name("die Leserolle", reader_role)
    published_db = Path(published_db)
    if not published_db.exists():
        raise PublishError(f"Es gibt noch keine veröffentlichte Fassung ({published_db} fehlt); "
                           "zuerst den nächtlichen Lauf ausführen (spm run).")
    if reader_password is None:
        reader_password = os.environ.get(READER_PASSWORD_ENV) or None
    new, old = f"{schema}__neu", f"{schema}__alt"

    dcon = duckdb.connect(str(published_db), read_only=True)
    try:
        check_no_private_columns(dcon)
        tables = _read_published(dcon)
        if not tables:
            raise PublishError(f"{published_db} enthält keine Tabellen.")
        try:
            conn = psycopg.connect(url, connect_timeout=CONNECT_TIMEOUT_SECONDS,
                                   application_name="spm publish")
        except psycopg.Error as exc:
            raise PostgresUnreachable(
                f"PostgreSQL-Server nicht erreichbar ({describe_target(url)}): "
                f"{str(exc).strip()}") from exc
        try:
            cur = conn.cursor()
            # one publisher per database and schema at a time
            cur.execute("select pg_advisory_xact_lock(hashtext(%s))", [f"spm_publish:{schema}"])
            current = _schema_comment(cur, schema)
            if current is not None and not current.startswith(SCHEMA_MARKER):
                raise PublishError(f"Das Schema {schema} existiert bereits und wurde nicht von "
                                   "SPM angelegt; es wird nicht ersetzt.")
            cur.execute(sql.SQL("drop schema if exists {} cascade").format(sql.Identifier(new)))
            cur.execute(sql.SQL("create schema {}").format(sql.Identifier(new)))
            cur.execute(sql.SQL("comment on schema {} is {}").format(sql.Identifier(new), sql.Literal(
                f"{SCHEMA_MARKER} des Sozialräumlichen Präventionsmonitorings (nur geschützte "
                f"Aggregate), veröffentlicht {datetime.now():%d.%m.%Y %H:%M}. Wird bei jeder "
                "Veröffentlichung vollständig ersetzt.")))
            counts = {t["name"]: _load_table(cur, dcon, new, t) for t in tables}

            _ensure_reader_role(conn, reader_role, reader_password)
            if cur.execute("select exists (select 1 from pg_namespace where nspname = 'public' "
                           "and has_schema_privilege('public', oid, 'CREATE'))").fetchone()[0]:
                # not granted since PostgreSQL 15; databases from older versions still do
                cur.execute("revoke create on schema public from public")
            role = sql.Identifier(reader_role)
            cur.execute(sql.SQL("revoke all on schema {} from public").format(sql.Identifier(new)))
            cur.execute(sql.SQL("grant usage on schema {} to {}").format(sql.Identifier(new), role))
            cur.execute(sql.SQL("grant select on all tables in schema {} to {}").format(
                sql.Identifier(new), role))
            problems = _reader_problems(cur, reader_role, [new, schema, old])
            if problems:
                raise PublishError(f"Die Leserolle {reader_role} hätte zu viele Rechte: "
                                   + "; ".join(problems)
                                   + ". Bitte eine eigene Datenbank für SPM verwenden.")
            _swap(cur, schema, new, old)
            conn.commit()
        except psycopg.Error as exc:
            conn.rollback()
            raise PublishError(f"Veröffentlichung nach PostgreSQL ({describe_target(url)}) "
                               f"fehlgeschlagen: {str(exc).strip()}; die bisherige Fassung "
                               "bleibt bestehen.") from exc
        except BaseException:
            conn.rollback()
            raise
        finally:
            conn.close()
    finally:
        dcon.close()
    return counts
