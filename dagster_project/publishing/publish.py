"""One publication: a new version of the published zone (DuckDB file, Parquet, Excel, CSV).

Every publication writes a complete version into `<home>/published/versions/<version>/`:

    spm.duckdb                      the published tables (schema `main`)
    parquet/<tabelle>.parquet       one file per table, for BI tools
    excel/<ags>_<name>.xlsx         one workbook per municipality and one for the county
    csv/<ags>/<tabelle>.csv         per municipality (and the county) every table, German
                                    format; csv/<ags>/LIESMICH.txt explains it
    version.json                    time of publication, tables with row counts, Gebiete

`<version>` is the time of publication in UTC, `JJJJ-MM-TTTHHMMSSZ` (e.g.
`2025-03-01T010203Z`), strictly increasing from version to version, so the names sort in
time order. The version is built in a hidden folder `versions/.<version>.<pid>.tmp` and
renamed when complete; only then does it become current:
1. `published/spm.duckdb` is replaced by a copy of the version's file (`os.replace`, atomic:
   readers keep the path and see the old or the new file, a reader holding the old file
   open keeps reading it);
2. the symlink `published/aktuell` -> `versions/<version>` is replaced (new link under a
   temporary name, `os.replace`); `published/parquet`, `published/excel` and
   `published/csv` are fixed symlinks to `aktuell/parquet` etc., so one atomic step moves
   all three to the new version.
Before anything is written, the quality gate: the results of the run's checks
(`gate.Pruefergebnis`, passed in by the publishing asset) must not hold a failed check
of severity `error`. The new `spm.duckdb` gets the table `qualitaet` (those results plus the
leak check) and then the leak check (`leaks.check_leaks`), before Parquet, Excel
and CSV are written from it. A failure before step 1 removes the half-written version and
leaves the published files (`spm.duckdb` byte for byte, the symlinks, the versions) as they
were. After the swap the oldest versions beyond `versionen_behalten` (settings) are
deleted; the current one never.

"As published on date X": the newest version whose time is at or before the end of day X
(`version_am(home, X)`).
"""

import datetime as dt
import errno
import json
import os
import shutil
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

import duckdb

from dagster_project.publishing.database import PublishError, build_published_db
from dagster_project.publishing.files import write_outputs
from dagster_project.publishing.leaks import check_leaks
from dagster_project.publishing.versions import (
    CURRENT,
    VERSION_FILE,
    Log,
    ensure_folder_links,
    new_version_name,
    prune,
    publish_lock,
    remove_path,
    remove_stale_temporaries,
    reparieren,
    replace_current,
    version_time,
)
from dagster_project.quality import gate
from dagster_project.settings import geheimhaltung_config, load_settings
from ingestion.home import Home


@dataclass
class Veroeffentlichung:
    """What one publication wrote."""

    version: str
    ordner: Path
    zeitpunkt: dt.datetime                  # UTC
    tabellen: dict[str, int]                # rows per published table
    dateien: dict[str, int] = field(default_factory=dict)    # files per kind
    geloescht: list[str] = field(default_factory=list)       # versions removed afterwards






def platte_voll(exc: BaseException) -> bool:
    """Whether a failure is a full disk (an OSError, or DuckDB's or a file writer's message)."""
    return ((isinstance(exc, OSError) and exc.errno == errno.ENOSPC)
            or "No space left on device" in str(exc))


def check_gate(pruefungen: Sequence[gate.Pruefergebnis]) -> None:
    """The quality gate: PublishError when a check of severity error did not pass."""
    failed = gate.blocking(pruefungen)
    if failed:
        raise PublishError(gate.gate_message(failed))


def add_quality_table(db: Path, lauf: gate.Lauf,
                      pruefungen: Sequence[gate.Pruefergebnis], min_count: int,
                      log: Log) -> int:
    """Write `qualitaet` into the new file `db`, run the leak check on the whole file and
    add its figures; returns the rows of `qualitaet`. Raises PublishError on a leak."""
    con = duckdb.connect(str(db))
    try:
        gate.write_table(con, lauf, pruefungen)
        bericht = check_leaks(con, min_count)
        now = dt.datetime.now().replace(microsecond=0)
        leck = [gate.Pruefergebnis(
            "leckpruefung", gate.ART_LECK, "published/spm_duckdb", gate.ERROR,
            gate.BESTANDEN, kennzahl=name, wert=float(value), zeitpunkt=now,
            hinweis="Keine Spalte mit Einzeldaten, keine sensible Fallzahl unter "
                    f"{min_count}, nichts Gesperrtes sichtbar.")
            for name, value in bericht.kennzahlen().items()]
        rows = gate.write_table(con, lauf, [*pruefungen, *leck])
        con.execute("checkpoint")
    finally:
        con.close()
    log(f"Leckprüfung bestanden: {bericht.tabellen} Tabellen, {bericht.zeilen} Zeilen, "
        f"{bericht.sensible_werte} sensible Werte, {bericht.gesperrte_zeilen} gesperrte Zeilen")
    return rows


def publish_all(home: Home, log: Log | None = None, *,
                pruefungen: Sequence[gate.Pruefergebnis] = (),
                lauf: gate.Lauf | None = None) -> Veroeffentlichung:
    """Build a new version from the warehouse's `published` schema and make it current
    (see the module's docstring). `pruefungen`: the results of the run's checks (quality
    gate and table `qualitaet`); `lauf`: the publishing run (default: `fassung-<version>`).
    Raises PublishError; then nothing published changed."""
    log = log or (lambda message: None)
    check_gate(pruefungen)
    settings = load_settings(home.config)
    min_count = int(geheimhaltung_config(settings).min_count)
    keep = int(settings.versionen_behalten)
    if keep < 1:
        raise PublishError(f"versionen_behalten muss mindestens 1 sein (ist {keep}).")
    home.published_versions.mkdir(parents=True, exist_ok=True)
    with publish_lock(home):
        reparieren(home, log)
        remove_stale_temporaries(home)
        name = new_version_name(home)
        zeitpunkt = version_time(name)
        pid = os.getpid()
        building = home.published_versions / f".{name}.{pid}.tmp"
        final = home.published_versions / name
        new_db = home.published / f".spm.duckdb.{pid}.tmp"
        new_link = home.published / f".{CURRENT}.{pid}.tmp"
        step = "Aufbau der Datenbank"
        try:
            building.mkdir()
            counts = build_published_db(home.warehouse, building / "spm.duckdb")
            step = "Leckprüfung"
            lauf = lauf or gate.Lauf(f"fassung-{name}", zeitpunkt.astimezone()
                                          .replace(tzinfo=None))
            counts[gate.TABELLE] = add_quality_table(
                building / "spm.duckdb", lauf, pruefungen, min_count, log)
            counts = dict(sorted(counts.items()))
            for table, rows in counts.items():
                log(f"Veröffentlicht: {table} ({rows} Zeilen)")
            step = "Dateien (Parquet, CSV, Excel)"
            files, kreise_und_gemeinden = write_outputs(
                building / "spm.duckdb", building, version=name, zeitpunkt=zeitpunkt, log=log)
            step = "Abschluss der Fassung"
            (building / VERSION_FILE).write_text(json.dumps({
                "version": name,
                "veroeffentlicht_utc": zeitpunkt.isoformat(),
                "veroeffentlicht": zeitpunkt.astimezone().isoformat(),
                "lauf_id": lauf.lauf_id,
                "tabellen": counts,
                "dateien": files,
                "gebiete": [{"ags": g.ags, "name": g.name} for g in kreise_und_gemeinden],
            }, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
            os.rename(building, final)
            shutil.copyfile(final / "spm.duckdb", new_db)
            with open(new_db, "rb") as handle:
                os.fsync(handle.fileno())
            new_link.unlink(missing_ok=True)
            os.symlink(f"{home.published_versions.name}/{name}", new_link)
            step = "Austausch"
            os.replace(new_db, home.published_db)
        except BaseException as exc:
            for path in (building, final, new_db, new_link):
                remove_path(path)
            if not isinstance(exc, Exception):
                raise
            reason = str(exc).rstrip(".")
            if platte_voll(exc):
                reason = (f"Der Datenträger von {home.published} ist voll (kein Speicherplatz "
                          f"mehr): bitte Platz schaffen und den Lauf wiederholen ({reason})")
            raise PublishError(f"Veröffentlichung abgebrochen ({step}): {reason}. Die bisher "
                               "veröffentlichte Fassung bleibt unverändert.") from exc
        replace_current(home, new_link, log)
        ensure_folder_links(home, log)
        log(f"Fassung {name} ist jetzt die aktuelle: {home.published_db}, "
            f"{home.published / 'parquet'}, {home.published / 'excel'}, "
            f"{home.published / 'csv'}")
        removed = prune(home, keep, name, log)
    return Veroeffentlichung(version=name, ordner=final, zeitpunkt=zeitpunkt, tabellen=counts,
                             dateien=files, geloescht=removed)


def publish_duckdb(home: Home) -> dict[str, int]:
    """Publish a new version without check results (outside a Dagster run); returns rows
    per table."""
    return publish_all(home).tabellen
