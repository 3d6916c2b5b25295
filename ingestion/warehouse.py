"""The private warehouse DuckDB file: connection, raw schema, offline extensions."""

import glob
import os
import shutil
from importlib import resources
from pathlib import Path

import duckdb

from ingestion import journal
from ingestion.home import Home

DUCKDB_VERSION = duckdb.__version__


def ensure_extension_repo(home: Home) -> Path:
    """A local DuckDB extension repository built from the `duckdb-extension-spatial` wheel.

    dbt-duckdb installs `spatial` from it (`INSTALL spatial FROM '<repo>'`), so no network
    is needed at run time.
    """
    import duckdb_extension_spatial

    platform = duckdb.connect().sql("pragma platform").fetchone()[0]
    target_dir = home.ext_repo / f"v{DUCKDB_VERSION}" / platform
    target = target_dir / "spatial.duckdb_extension"
    if not target.exists():
        pattern = os.path.join(os.path.dirname(duckdb_extension_spatial.__file__),
                               "extensions", "*", "spatial.duckdb_extension")
        found = glob.glob(pattern)
        if not found:
            raise RuntimeError("Die DuckDB-Erweiterung 'spatial' ist nicht installiert.")
        target_dir.mkdir(parents=True, exist_ok=True)
        shutil.copy(found[0], target)
    _forget_foreign_install(home)
    home.ext_dir.mkdir(parents=True, exist_ok=True)
    return home.ext_repo


def _forget_foreign_install(home: Home) -> None:
    """A home copied or restored to another path keeps an installed extension whose recorded
    origin is the old repository; DuckDB then refuses `INSTALL ... FROM <new repo>`. Such an
    install is dropped (it is re-installed from the local repository on the next dbt run)."""
    repo = str(home.ext_repo).encode()
    for info in home.ext_dir.glob("v*/*/*.duckdb_extension.info"):
        if repo not in info.read_bytes():
            shutil.rmtree(home.ext_dir)
            return


def dbt_environment(home: Home) -> dict[str, str]:
    """Environment variables the dbt profile reads."""
    ensure_extension_repo(home)
    return {
        "SPM_HOME": str(home.root),
        "SPM_WAREHOUSE": str(home.warehouse),
        "SPM_DUCKDB_EXT_REPO": str(home.ext_repo),
        "SPM_DUCKDB_EXT_DIR": str(home.ext_dir),
    }


def raw_schema_sql() -> str:
    """DDL of the whole raw zone: the fixed tables plus one table per tabular source."""
    from ingestion.contracts import TABULAR_CONTRACTS, raw_table_ddl

    fixed = resources.files("ingestion").joinpath("raw_schema.sql").read_text(encoding="utf-8")
    return fixed + "\n" + "\n".join(raw_table_ddl(c) for c in TABULAR_CONTRACTS.values())


# write-ahead log size at which DuckDB writes committed changes into the database file
CHECKPOINT_THRESHOLD = "1GB"


REBUILD_DOC = "docs/betrieb.md, Abschnitt „Warehouse wiederherstellen“"


class WarehouseFehler(RuntimeError):
    """The warehouse cannot be used: it is damaged, or it is missing although the home has
    received deliveries. The German message names the file, the cause and `spm rebuild`."""


def _rebuild_hint(home: Home) -> str:
    return (f"Wiederherstellen aus dem Archiv mit: spm --home {home.root} rebuild "
            f"({REBUILD_DOC}). Die zuletzt veröffentlichte Fassung bleibt bis dahin unverändert.")


def _first_line(exc: BaseException) -> str:
    lines = [line.strip() for line in str(exc).splitlines() if line.strip()]
    return lines[0] if lines else type(exc).__name__


def _unreadable(exc: duckdb.Error) -> bool:
    """Whether DuckDB failed to open the file because of its content (not because another
    process holds it, or of the file system's permissions)."""
    if not isinstance(exc, duckdb.IOException | duckdb.SerializationException
                      | duckdb.InternalException | duckdb.FatalException):
        return False
    text = str(exc)
    return not ("Could not set lock" in text or "Conflicting lock" in text
                or "Permission denied" in text)


def missing_message(home: Home) -> str | None:
    """Why a missing warehouse must not simply be created anew (None: a new home)."""

    if home.warehouse.exists() or not journal.lieferungen_vorhanden(home):
        return None
    if home.journal.exists():
        try:
            count = f"{len(journal.lesen(home.journal))} Lieferungen im Lieferjournal {home.journal}"
        except journal.JournalFehler as exc:
            count = str(exc)
    else:
        count = (f"{len(journal.archivdateien_ohne_journal(home))} Dateien in {home.archive}, "
                 "aber kein Lieferjournal")
    return (f"Das Warehouse {home.warehouse} fehlt, obwohl dieser Home-Ordner schon Lieferungen "
            f"erhalten hat ({count}). Ein neues, leeres Warehouse würde nur die Dateien im "
            "Eingang veröffentlichen (ein unvollständiger Datenstand); es wird deshalb nicht "
            f"angelegt. {_rebuild_hint(home)}")


def damaged_message(home: Home, exc: BaseException) -> str:
    return (f"Das Warehouse {home.warehouse} ist beschädigt und kann nicht gelesen werden "
            f"(DuckDB: {_first_line(exc)}). Die Lieferungen sind im Archiv erhalten. "
            f"{_rebuild_hint(home)}")


def _open(home: Home, read_only: bool) -> duckdb.DuckDBPyConnection:
    message = missing_message(home)
    if message:
        raise WarehouseFehler(message)
    try:
        return duckdb.connect(str(home.warehouse), read_only=read_only)
    except duckdb.Error as exc:
        if _unreadable(exc) and home.warehouse.exists():
            raise WarehouseFehler(damaged_message(home, exc)) from exc
        raise


def check(home: Home) -> str | None:
    """A German message when the warehouse is damaged, or missing although the home has
    received deliveries; None when it opens (or another process holds it, or the home is
    new). Reads only the file's header and catalogue: a damaged data block further in is
    found by the query that reads it (`spm rebuild --erzwingen`)."""
    try:
        _open(home, read_only=True).close()
    except WarehouseFehler as exc:
        return str(exc)
    except duckdb.Error:
        return None       # a new home without a warehouse, or a writer holds the file
    return None


def connect(home: Home, read_only: bool = False) -> duckdb.DuckDBPyConnection:
    """Connect to the warehouse; a writer makes sure the raw schema exists.

    Raises WarehouseFehler (German) for a damaged file, and for a missing one when the home
    has received deliveries (journal or archive not empty): a new empty warehouse would
    publish only what waits in the inbox. A brand-new home gets a new warehouse. A writer
    also writes the delivery journal of an older home that has none (journal.nachtragen)."""

    if not read_only:
        home.warehouse_dir.mkdir(parents=True, exist_ok=True)
    con = _open(home, read_only)
    if not read_only:
        try:
            con.execute(raw_schema_sql())
        except duckdb.Error as exc:
            con.close()
            if _unreadable(exc):
                raise WarehouseFehler(damaged_message(home, exc)) from exc
            raise
        # Every delivery is committed on its own (durable in the write-ahead log at once);
        # with DuckDB's default threshold of 16 MB a commit every few files also rewrote the
        # tables into the file (a checkpoint, 0.5 s and more once rows are replaced). The
        # checkpoint now comes once, when the step closes its connection.
        con.execute(f"set checkpoint_threshold = '{CHECKPOINT_THRESHOLD}'")
        journal.nachtragen(con, home)
    return con
