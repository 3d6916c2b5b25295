"""What a publication rests on, as one fingerprint: the deliveries in the warehouse, the home's
configuration and the code (with the versions of the engines it runs on).

The publishing asset stores the fingerprint with every publication (`eingaben` in the
materialization's metadata). A nightly run whose inbox is empty and whose fingerprint equals
the one of the last successful run has nothing to do: the same deliveries, settings and code
would publish the same values again (`docs/betrieb.md`, „Nichts Neues“). Computing it reads
the small delivery log (read-only) and hashes a few hundred files: well under a second.
"""

import hashlib
import importlib.metadata
from pathlib import Path

import duckdb

from dagster_project.environment import project_root
from ingestion import loader
from ingestion.home import Home

# the code whose change must rebuild everything (relative to the project root)
CODE_FOLDERS = ("dagster_project", "ingestion", "expectations", "dbt_spm/models",
                "dbt_spm/macros", "dbt_spm/seeds", "dbt_spm/tests")
CODE_FILES = ("dbt_spm/dbt_project.yml", "dbt_spm/profiles.yml")
CODE_SUFFIXES = {".py", ".sql", ".yml", ".yaml", ".csv", ".md", ".json"}
PACKAGES = ("duckdb", "dbt-core", "dbt-duckdb", "dagster", "dagster-dbt", "great-expectations",
            "highspy", "pandas", "numpy", "scipy")


def _files(folder: Path, suffixes: set[str] | None = None):
    for path in sorted(folder.rglob("*")):
        if path.is_file() and "__pycache__" not in path.parts \
                and (suffixes is None or path.suffix in suffixes):
            yield path


def code_fingerprint(root: Path | None = None) -> str:
    """Hash of the code (file names and contents) and of the versions of the packages."""
    root = root or project_root()
    digest = hashlib.sha256()
    for name in CODE_FOLDERS:
        for path in _files(root / name, CODE_SUFFIXES):
            digest.update(str(path.relative_to(root)).encode() + b"\0" + path.read_bytes())
    for name in CODE_FILES:
        path = root / name
        if path.is_file():
            digest.update(name.encode() + b"\0" + path.read_bytes())
    for package in PACKAGES:
        try:
            version = importlib.metadata.version(package)
        except importlib.metadata.PackageNotFoundError:
            version = "-"
        digest.update(f"{package}={version}\n".encode())
    return digest.hexdigest()


def config_fingerprint(home: Home) -> str:
    """Hash of every file under the home's `config/` (settings, municipalities, mappings)."""
    digest = hashlib.sha256()
    if home.config.is_dir():
        for path in _files(home.config):
            digest.update(str(path.relative_to(home.config)).encode() + b"\0" + path.read_bytes())
    return digest.hexdigest()


def deliveries_fingerprint(home: Home) -> str | None:
    """Hash of the delivery log (every received file with its status); None without a
    warehouse or while it cannot be read."""
    if not home.warehouse.exists():
        return None
    try:
        con = duckdb.connect(str(home.warehouse), read_only=True)
    except duckdb.Error:
        return None
    try:
        rows = con.execute("select delivery_id, sha256, status from raw.delivery_log "
                           "order by delivery_id").fetchall()
    except duckdb.Error:
        return None
    finally:
        con.close()
    digest = hashlib.sha256()
    for row in rows:
        digest.update("|".join(map(str, row)).encode() + b"\n")
    return digest.hexdigest()


def fingerprint(home: Home) -> str | None:
    """The fingerprint of everything a publication rests on; None when it cannot be known
    (no warehouse yet)."""
    deliveries = deliveries_fingerprint(home)
    if deliveries is None:
        return None
    return hashlib.sha256(
        f"{deliveries}:{config_fingerprint(home)}:{code_fingerprint()}".encode()).hexdigest()


def nothing_new(home: Home, last_successful: str | None) -> bool:
    """True when a nightly run would publish nothing new: the inbox is empty, a version is
    published and the fingerprint equals `last_successful` (the one stored by the last run
    that succeeded as a whole)."""
    if last_successful is None or loader.inbox_files(home) or not home.published_db.exists():
        return False
    return fingerprint(home) == last_successful
