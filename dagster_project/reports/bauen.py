"""Build the report site of the current published version and put it in place.

The site belongs to the version whose data it shows: it is written next to that version's
files (`published/versions/<version>/berichte/`), first into a temporary folder, then
renamed into place under the publication lock, and `published/berichte` is a fixed link to
`aktuell/berichte`, like `csv`, `excel` and `parquet`. A build that breaks off leaves the
previous site (or none) and a temporary folder that the next publication removes.
"""

import os
import time
from collections.abc import Callable
from pathlib import Path

from dagster_project.lib.karten import bericht_config
from dagster_project.publishing.versions import (
    aktuelle_version,
    ensure_folder_links,
    pid_alive,
    publish_lock,
    remove_path,
)
from dagster_project.reports.daten import lade
from dagster_project.reports.site import baue_site
from dagster_project.settings import load_settings
from ingestion.home import Home

ORDNER = "berichte"


class BerichtFehler(RuntimeError):
    pass


def _stale(version: Path) -> None:
    """Temporary folders of earlier builds whose process is gone."""
    for path in version.glob(f".{ORDNER}*.tmp"):
        try:
            pid = int(path.name.rsplit(".", 2)[-2])
        except ValueError:
            continue
        if pid != os.getpid() and pid_alive(pid):
            continue
        remove_path(path)


def berichte_bauen(home: Home, log: Callable[[str], None] = lambda _: None) -> dict:
    """Build the site of the current version; returns counts and the seconds it took."""
    start = time.perf_counter()
    version = aktuelle_version(home)
    if version is None or not (version / "spm.duckdb").is_file():
        raise BerichtFehler("Es gibt noch keine veröffentlichte Fassung; zuerst den "
                            "nächtlichen Lauf ausführen (spm run).")
    settings = load_settings(home.config)
    config = bericht_config(settings.berichte)
    daten = lade(version)
    _stale(version)
    neu = version / f".{ORDNER}.{os.getpid()}.tmp"
    if neu.exists():
        remove_path(neu)
    try:
        zahlen = baue_site(daten, config, neu)
    except BaseException:
        if neu.exists():
            remove_path(neu)
        raise
    with publish_lock(home):
        if not version.is_dir():        # pruned by a publication in the meantime
            remove_path(neu)
            raise BerichtFehler(f"Die Fassung {version.name} wurde während des Aufbaus "
                                "ersetzt; Berichte bitte neu erstellen (spm report).")
        ziel = version / ORDNER
        if ziel.exists():
            alt = version / f".{ORDNER}-alt.{os.getpid()}.tmp"
            ziel.rename(alt)
            neu.rename(ziel)
            remove_path(alt)
        else:
            neu.rename(ziel)
        ensure_folder_links(home, log, namen=(ORDNER,))
    zahlen["sekunden"] = round(time.perf_counter() - start, 2)
    zahlen["version"] = version.name
    log(f"Berichte der Fassung {version.name}: {zahlen['seiten']} Seiten "
        f"({zahlen['gemeinden']} Gemeinden, {zahlen['steckbriefe']} Steckbriefe) in "
        f"{zahlen['sekunden']:.1f} s: {home.published / ORDNER / 'index.html'}")
    return zahlen
