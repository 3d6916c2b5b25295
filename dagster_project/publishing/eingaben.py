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
import json
import os
from pathlib import Path

import duckdb

from dagster_project.environment import project_root, sqlite_laufspeicher
from ingestion.home import Home, inbox_files

NICHTS_NEUES = ("Nichts Neues seit dem letzten erfolgreichen Lauf: keine neue Lieferung im "
                "Eingang, keine geänderte Einstellung, kein geänderter Programmcode. Die "
                "veröffentlichte Fassung bleibt unverändert.")

# the code whose change must rebuild everything (relative to the project root)
CODE_FOLDERS = ("dagster_project", "ingestion", "expectations", "dbt_spm/models",
                "dbt_spm/macros", "dbt_spm/seeds", "dbt_spm/tests")
CODE_FILES = ("dbt_spm/dbt_project.yml", "dbt_spm/profiles.yml")
CODE_SUFFIXES = {".py", ".sql", ".yml", ".yaml", ".csv", ".md", ".json", ".css", ".js"}
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
    if last_successful is None or inbox_files(home) or not home.published_db.exists():
        return False
    return fingerprint(home) == last_successful


# --- the same answer without Dagster -------------------------------------------------------
# Asking Dagster's instance which run was the newest costs its import and storage set-up
# (about 2 s, most of a run with nothing new). After a run that succeeded, `spm run` notes
# the inputs' fingerprint together with the state of Dagster's run storage files; as long
# as those files are untouched, no run has started since (every run writes its start to
# them), and the note answers the question Dagster would answer. Any doubt — no note, a
# note from another state of the files, storage elsewhere than these SQLite files —
# falls back to asking Dagster.

MARKE = "nichts_neues_marke.json"


def _laufspeicher(home: Home) -> list[Path]:
    """Dagster's SQLite run storage of the home and its write-ahead log."""
    runs = home.dagster_home / "history" / "runs.db"
    return [runs, runs.with_name(runs.name + "-wal")]


def _zustand(home: Home) -> list | None:
    """Inode, size and modification time of the run storage files (None for a missing
    write-ahead log); None when the storage is not there at all, or when the instance
    keeps its runs elsewhere (PostgreSQL): a runs.db left from earlier no longer changes
    when a run starts."""
    if not sqlite_laufspeicher(home):
        return None
    zustand = []
    for path in _laufspeicher(home):
        try:
            stat = path.stat()
        except FileNotFoundError:
            zustand.append(None)
            continue
        zustand.append([stat.st_ino, stat.st_size, stat.st_mtime_ns])
    return zustand if zustand[0] is not None else None


def marke_schreiben(home: Home, eingaben: str | None) -> None:
    """Note that the newest nightly run succeeded and published with `eingaben` (call it
    only when Dagster said so, after the instance's connections are closed). Without a
    fingerprint the note is removed."""
    path = home.dagster_home / MARKE
    zustand = _zustand(home)
    if eingaben is None or zustand is None:
        path.unlink(missing_ok=True)
        return
    temp = path.with_name(path.name + ".tmp")
    temp.write_text(json.dumps({"eingaben": eingaben, "laufspeicher": zustand}),
                    encoding="utf-8")
    os.replace(temp, path)


def nichts_neues_laut_marke(home: Home) -> bool:
    """True when the note of the last successful run still holds (no run started since)
    and nothing changed since that run; False when that is not certain."""
    try:
        data = json.loads((home.dagster_home / MARKE).read_text(encoding="utf-8"))
        eingaben, zustand = data["eingaben"], data["laufspeicher"]
    except (OSError, ValueError, KeyError, TypeError):
        return False
    if not isinstance(eingaben, str) or zustand != _zustand(home):
        return False
    return nothing_new(home, eingaben)
