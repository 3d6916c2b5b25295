"""The private warehouse DuckDB file: connection, raw schema, offline extensions."""

import glob
import os
import shutil
from importlib import resources
from pathlib import Path

import duckdb

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


def connect(home: Home, read_only: bool = False) -> duckdb.DuckDBPyConnection:
    """Connect to the warehouse; a writer makes sure the raw schema exists."""
    home.warehouse_dir.mkdir(parents=True, exist_ok=True)
    con = duckdb.connect(str(home.warehouse), read_only=read_only)
    if not read_only:
        con.execute(raw_schema_sql())
        # Every delivery is committed on its own (durable in the write-ahead log at once);
        # with DuckDB's default threshold of 16 MB a commit every few files also rewrote the
        # tables into the file (a checkpoint, 0.5 s and more once rows are replaced). The
        # checkpoint now comes once, when the step closes its connection.
        con.execute(f"set checkpoint_threshold = '{CHECKPOINT_THRESHOLD}'")
    return con
