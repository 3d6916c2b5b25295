"""The versions of the published zone: names, the current version, the swap, pruning.

Every publication is a folder `<home>/published/versions/<version>/` named by its time of
publication in UTC (`JJJJ-MM-TTTHHMMSSZ`, strictly increasing, so names sort in time order).
`published/aktuell` is a symlink to the current version; `published/parquet`, `excel` and
`csv` are fixed symlinks to `aktuell/...`, so replacing `aktuell` (atomically) moves all
three. How one publication uses these steps: `publish.py`.

"As published on date X": the newest version whose time is at or before the end of day X
(`version_am(home, X)`).
"""

import contextlib
import datetime as dt
import fcntl
import os
import re
import shutil
from collections.abc import Callable
from pathlib import Path

from ingestion.home import Home

VERSION_FORMAT = "%Y-%m-%dT%H%M%SZ"
VERSION_NAME = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{6}Z$")
CURRENT = "aktuell"
LINKED_FOLDERS = ("parquet", "excel", "csv")
VERSION_FILE = "version.json"
_TEMP = re.compile(r"^\..*\.(\d+)\.tmp$")

Log = Callable[[str], None]



def version_time(name: str) -> dt.datetime:
    return dt.datetime.strptime(name, VERSION_FORMAT).replace(tzinfo=dt.UTC)


def versionen(home: Home) -> list[Path]:
    """The complete versions, oldest first."""
    folder = home.published_versions
    if not folder.is_dir():
        return []
    return sorted(p for p in folder.iterdir()
                  if VERSION_NAME.match(p.name) and (p / VERSION_FILE).is_file())


def aktuelle_version(home: Home) -> Path | None:
    link = home.published / CURRENT
    if not link.is_symlink():
        return None
    return (home.published / os.readlink(link)).resolve()


def _moment(wann: dt.date | dt.datetime | str) -> dt.datetime:
    """The moment meant by `wann`: a day means its end; naive times are local time."""
    if isinstance(wann, str):
        text = wann.strip()
        for pattern in ("%d.%m.%Y", "%Y-%m-%d"):
            try:
                wann = dt.datetime.strptime(text, pattern).date()
                break
            except ValueError:
                continue
        else:
            wann = dt.datetime.fromisoformat(text)
    if not isinstance(wann, dt.datetime):
        wann = dt.datetime.combine(wann, dt.time.max)
    return wann.astimezone(dt.UTC)      # naive: interpreted as local time


def version_am(home: Home, wann: dt.date | dt.datetime | str) -> Path | None:
    """The version folder that was published (current) at `wann`: the newest version whose
    time is at or before `wann` (a date means the end of that day, local time; text as
    `TT.MM.JJJJ`, `JJJJ-MM-TT` or ISO time). None if every kept version is younger."""
    moment = _moment(wann)
    found = [p for p in versionen(home) if version_time(p.name) <= moment]
    return found[-1] if found else None


def pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def remove_path(path: Path) -> None:
    if path.is_symlink() or path.is_file():
        path.unlink(missing_ok=True)
    elif path.is_dir():
        shutil.rmtree(path, ignore_errors=True)


def remove_stale_temporaries(home: Home) -> None:
    """Leftovers of a publication that was killed (its process is gone)."""
    for folder in (home.published, home.published_versions):
        for path in folder.iterdir():
            match = _TEMP.match(path.name)
            if match and int(match.group(1)) != os.getpid() \
                    and not pid_alive(int(match.group(1))):
                remove_path(path)
                wal = Path(str(path) + ".wal")
                if wal.exists():
                    wal.unlink()


def reparieren(home: Home, log: Log) -> None:
    """Finish or undo a swap that a killed publication left half done (call under
    `publish_lock`, before `remove_stale_temporaries`).

    A publication renames its complete folder to `versions/<v>`, copies its `spm.duckdb` to
    `published/.spm.duckdb.<pid>.tmp`, prepares the link `published/.aktuell.<pid>.tmp`,
    replaces `published/spm.duckdb`, then the link `aktuell` (publish.py). A version newer
    than the current one is the trace of a publication killed in between: if its process
    had already replaced `published/spm.duckdb` (its copy is gone, its prepared link is
    still there), the swap is finished, so that `aktuell` and `spm.duckdb` agree again;
    otherwise the version never became current and is removed."""
    current = aktuelle_version(home)
    if current is None and (home.published / CURRENT).exists():
        return      # a plain folder from a copied home: replace_current deals with it
    for version in reversed(versionen(home)):
        if current is not None and version.name <= current.name:
            break
        link = _verwaister_verweis(home, version)
        if link is not None and not (home.published / f".spm.duckdb.{link[1]}.tmp").exists():
            os.replace(link[0], home.published / CURRENT)
            ensure_folder_links(home, log)
            log(f"Die abgebrochene Veröffentlichung der Fassung {version.name} wurde "
                "abgeschlossen (spm.duckdb war schon ausgetauscht).")
            return
        shutil.rmtree(version)
        log(f"Fassung {version.name} wurde nie zur aktuellen (Veröffentlichung abgebrochen) "
            "und ist gelöscht.")


def _verwaister_verweis(home: Home, version: Path) -> tuple[Path, int] | None:
    """The link `.aktuell.<pid>.tmp` to `version` prepared by a process that is gone."""
    for path in home.published.iterdir():
        match = _TEMP.match(path.name)
        if match and path.name.startswith(f".{CURRENT}.") and path.is_symlink() \
                and not pid_alive(int(match.group(1))) \
                and (home.published / os.readlink(path)).resolve() == version.resolve():
            return path, int(match.group(1))
    return None


def new_version_name(home: Home) -> str:
    now = dt.datetime.now(dt.UTC).replace(microsecond=0)
    existing = [version_time(p.name) for p in home.published_versions.iterdir()
                if VERSION_NAME.match(p.name)]
    if existing and now <= max(existing):
        now = max(existing) + dt.timedelta(seconds=1)
    return now.strftime(VERSION_FORMAT)


def _symlink_atomic(link: Path, target: str) -> None:
    """Point `link` at `target` (relative), replacing an older link in one step."""
    tmp = link.parent / f".{link.name}.{os.getpid()}.tmp"
    tmp.unlink(missing_ok=True)
    os.symlink(target, tmp)
    os.replace(tmp, link)


def replace_current(home: Home, new_link: Path, log: Log) -> None:
    """Swap the link `aktuell`. A home copied without keeping symlinks (`cp -r`, some
    backups) holds `aktuell` as a real folder, a copy of an old version: it is removed
    first (the versions themselves are in `versions/`)."""
    link = home.published / CURRENT
    if link.is_dir() and not link.is_symlink():
        shutil.rmtree(link)
        log(f"{link} war ein Ordner statt eines Verweises (kopierter Bestand); ersetzt.")
    os.replace(new_link, link)


def ensure_folder_links(home: Home, log: Log, namen: tuple[str, ...] = LINKED_FOLDERS) -> None:
    """`published/<name>` as a fixed link to `aktuell/<name>` (a plain folder of an older
    home is replaced: removed when empty, moved aside otherwise)."""
    for name in namen:
        link, target = home.published / name, f"{CURRENT}/{name}"
        if link.is_symlink():
            if os.readlink(link) == target:
                continue
        elif link.is_dir():
            if any(link.iterdir()):
                aside = home.published / f"{name}.alt"
                n = 2
                while aside.exists():
                    aside, n = home.published / f"{name}.alt{n}", n + 1
                link.rename(aside)
                log(f"Alter Ordner {link} war nicht leer; verschoben nach {aside}.")
            else:
                link.rmdir()
        elif link.exists():
            link.unlink()
        _symlink_atomic(link, target)


def prune(home: Home, keep: int, current: str, log: Log) -> list[str]:
    removed = []
    complete = [p for p in versionen(home) if p.name != current]
    for path in complete[:max(0, len(complete) - (keep - 1))]:
        shutil.rmtree(path)
        removed.append(path.name)
        log(f"Alte Fassung gelöscht: {path.name} (aufbewahrt werden {keep}).")
    return removed


@contextlib.contextmanager
def publish_lock(home: Home):
    """One publication at a time (a second one waits)."""
    with open(home.published / ".veroeffentlichung.lock", "w") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


