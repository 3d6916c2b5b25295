"""The home folder: one fixed layout that operators and tools can rely on."""

import os
from dataclasses import dataclass
from pathlib import Path

# Geography first: a run that brings both assigns persons with the new areas.
SOURCES = (
    "adressen",
    "raumgliederung",
    "einwohner",
    "sgb2",
    "hze",
    "seu",
    "kita",
    "schule",
    "schulabgang",
)


@dataclass(frozen=True)
class Home:
    """Paths inside an SPM home folder (`--home` or `SPM_HOME`)."""

    root: Path

    @property
    def inbox(self) -> Path:
        return self.root / "inbox"

    @property
    def archive(self) -> Path:
        return self.root / "archive"

    @property
    def journal(self) -> Path:
        """The delivery journal: which archived file was which delivery (ingestion/journal.py),
        kept outside the warehouse so that `spm rebuild` can rebuild it from the archive."""
        return self.archive / "lieferungen.jsonl"

    @property
    def warehouse_dir(self) -> Path:
        return self.root / "warehouse"

    @property
    def warehouse(self) -> Path:
        return self.warehouse_dir / "spm.duckdb"

    @property
    def published(self) -> Path:
        return self.root / "published"

    @property
    def published_db(self) -> Path:
        return self.published / "spm.duckdb"

    @property
    def published_versions(self) -> Path:
        return self.published / "versions"

    @property
    def quality(self) -> Path:
        return self.root / "quality"

    @property
    def logs(self) -> Path:
        return self.root / "logs"

    @property
    def secrets(self) -> Path:
        return self.root / "secrets"

    @property
    def dbt_target(self) -> Path:
        """dbt's target folder of the nightly runs (compiled SQL, run results, the parse
        state that lets the next run parse only what changed)."""
        return self.root / "dbt_target"

    @property
    def config(self) -> Path:
        return self.root / "config"

    @property
    def dagster_home(self) -> Path:
        return self.root / "dagster"

    @property
    def ext_repo(self) -> Path:
        return self.warehouse_dir / "duckdb_ext_repo"

    @property
    def ext_dir(self) -> Path:
        return self.warehouse_dir / "duckdb_extensions"

    def create(self) -> "Home":
        """Create every folder of the layout (idempotent)."""
        # published/parquet, excel, csv and berichte are symlinks into the current version
        # (written by the publishing and report steps), never plain folders.
        for path in (self.inbox, self.archive, self.warehouse_dir, self.published,
                     self.published_versions, self.quality, self.logs,
                     self.config, self.dagster_home):
            path.mkdir(parents=True, exist_ok=True)
        for source in SOURCES:
            (self.inbox / source).mkdir(exist_ok=True)
        self.secrets.mkdir(mode=0o700, exist_ok=True)
        os.chmod(self.secrets, 0o700)
        return self


def resolve_home(path: str | os.PathLike | None = None) -> Home:
    """The home from an explicit path, else `SPM_HOME`, else `./spm_home`."""
    if path is None:
        path = os.environ.get("SPM_HOME") or "spm_home"
    return Home(Path(path).expanduser().resolve())


def inbox_files(home: Home, source: str | None = None) -> list[tuple[str, Path]]:
    """(folder source, path) of every file waiting in the inbox, in a stable order."""
    found = []
    sources = [source] if source else list(SOURCES)
    for name in sources:
        folder = home.inbox / name
        if folder.is_dir():
            for path in sorted(folder.iterdir()):
                if path.is_file() and not path.name.startswith("."):
                    found.append((name, path))
    return found
