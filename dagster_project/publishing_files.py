"""Versioned outputs of the published zone: DuckDB file, Parquet, Excel and CSV.

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
(`qualitaet.Pruefergebnis`, passed in by the publishing asset) must not hold a failed check
of severity `error`. The new `spm.duckdb` gets the table `qualitaet` (those results plus the
leak check) and then the leak check (`publishing_leaks.check_leaks`), before Parquet, Excel
and CSV are written from it. A failure before step 1 removes the half-written version and
leaves the published files (`spm.duckdb` byte for byte, the symlinks, the versions) as they
were. After the swap the oldest versions beyond `versionen_behalten` (settings) are
deleted; the current one never.

"As published on date X": the newest version whose time is at or before the end of day X
(`version_am(home, X)`).
"""

import contextlib
import csv
import datetime as dt
import fcntl
import json
import os
import re
import shutil
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path

import duckdb
import numpy as np

from dagster_project import qualitaet
from dagster_project.publishing import PublishError, build_published_db
from dagster_project.publishing_excel import (
    ERKLAERUNG_KEIN_WERT,
    TEXT_GESPERRT,
    ZEICHEN_GESPERRT,
    write_workbook,
)
from dagster_project.publishing_gebiete import (
    GESPERRT,
    KEIN_WERT,
    Gebiet,
    columns,
    gebiete,
    select_rows,
    stichtage,
    tables,
)
from dagster_project.publishing_leaks import check_leaks
from ingestion.home import Home
from ingestion.settings import load_settings

VERSION_FORMAT = "%Y-%m-%dT%H%M%SZ"
VERSION_NAME = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{6}Z$")
CURRENT = "aktuell"
LINKED_FOLDERS = ("parquet", "excel", "csv")
VERSION_FILE = "version.json"
CSV_README = "LIESMICH.txt"
_TABLE_NAME = re.compile(r"^[a-z_][a-z0-9_]*$")
_TEMP = re.compile(r"^\..*\.(\d+)\.tmp$")

Log = Callable[[str], None]


@dataclass
class Veroeffentlichung:
    """What one publication wrote."""

    version: str
    ordner: Path
    zeitpunkt: dt.datetime                  # UTC
    tabellen: dict[str, int]                # rows per published table
    dateien: dict[str, int] = field(default_factory=dict)    # files per kind
    geloescht: list[str] = field(default_factory=list)       # versions removed afterwards


# ---------------------------------------------------------------------------------------
# versions


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


def _pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _remove(path: Path) -> None:
    if path.is_symlink() or path.is_file():
        path.unlink(missing_ok=True)
    elif path.is_dir():
        shutil.rmtree(path, ignore_errors=True)


def _remove_stale_temporaries(home: Home) -> None:
    """Leftovers of a publication that was killed (its process is gone)."""
    for folder in (home.published, home.published_versions):
        for path in folder.iterdir():
            match = _TEMP.match(path.name)
            if match and int(match.group(1)) != os.getpid() \
                    and not _pid_alive(int(match.group(1))):
                _remove(path)
                wal = Path(str(path) + ".wal")
                if wal.exists():
                    wal.unlink()


def _new_version_name(home: Home) -> str:
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


def _replace_current(home: Home, new_link: Path, log: Log) -> None:
    """Swap the link `aktuell`. A home copied without keeping symlinks (`cp -r`, some
    backups) holds `aktuell` as a real folder, a copy of an old version: it is removed
    first (the versions themselves are in `versions/`)."""
    link = home.published / CURRENT
    if link.is_dir() and not link.is_symlink():
        shutil.rmtree(link)
        log(f"{link} war ein Ordner statt eines Verweises (kopierter Bestand); ersetzt.")
    os.replace(new_link, link)


def _ensure_folder_links(home: Home, log: Log) -> None:
    for name in LINKED_FOLDERS:
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


def _prune(home: Home, keep: int, current: str, log: Log) -> list[str]:
    removed = []
    complete = [p for p in versionen(home) if p.name != current]
    for path in complete[:max(0, len(complete) - (keep - 1))]:
        shutil.rmtree(path)
        removed.append(path.name)
        log(f"Alte Fassung gelöscht: {path.name} (aufbewahrt werden {keep}).")
    return removed


@contextlib.contextmanager
def _publish_lock(home: Home):
    """One publication at a time (a second one waits)."""
    with open(home.published / ".veroeffentlichung.lock", "w") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


# ---------------------------------------------------------------------------------------
# the outputs of one version


def _literal(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def _csv_value(value) -> str:
    """German CSV format: decimal comma, no thousands separator, dates TT.MM.JJJJ."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "ja" if value else "nein"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        if value != value or value in (float("inf"), float("-inf")):
            return ""
        if value.is_integer() and abs(value) < 1e15:
            return str(int(value))
        return np.format_float_positional(value, trim="-").replace(".", ",")
    if isinstance(value, Decimal):
        return format(value, "f").replace(".", ",")
    if isinstance(value, dt.datetime):
        return value.strftime("%d.%m.%Y %H:%M:%S")
    if isinstance(value, dt.date):
        return value.strftime("%d.%m.%Y")
    if isinstance(value, list | tuple):
        return ", ".join(_csv_value(v) for v in value)
    return str(value)


def write_csv(con: duckdb.DuckDBPyConnection, table: str, gebiet: Gebiet, path: Path) -> int:
    """The rows of `table` for `gebiet` as German CSV (`;`, decimal comma, UTF-8 with BOM,
    dates TT.MM.JJJJ, headers = the published column names); returns the rows written.
    Suppressed values are empty; the `status` column says why."""
    cursor = con.execute(select_rows(con, table, gebiet))
    names = [d[0] for d in cursor.description]
    rows = 0
    with open(path, "w", encoding="utf-8-sig", newline="") as handle:
        writer = csv.writer(handle, delimiter=";", lineterminator="\r\n")
        writer.writerow(names)
        while batch := cursor.fetchmany(10_000):
            writer.writerows([_csv_value(v) for v in row] for row in batch)
            rows += len(batch)
    return rows


def _csv_readme(con: duckdb.DuckDBPyConnection, gebiet: Gebiet, version: str,
                zeitpunkt: dt.datetime, counts: dict[str, int]) -> str:
    scope = ("alle Zeilen (der ganze Kreis)" if gebiet.ist_kreis else
             "die Zeilen der Räume aller Gliederungen der Gemeinde (einschließlich „ohne "
             "Zuordnung“), der Gemeinde selbst und des Kreises; Tabellen ohne Raumbezug "
             "(z. B. indikatoren) vollständig. Räume über Gemeindegrenzen stehen in den "
             f"Dateien des Kreises (csv/{gebiet.kreis_ags}/)")
    lines = [
        f"Kleinräumiges Sozialmonitoring – {gebiet.bezeichnung}",
        "",
        f"Veröffentlicht am {zeitpunkt.astimezone():%d.%m.%Y, %H:%M} Uhr "
        f"(Fassung {version}).",
        "",
        f"Inhalt: je veröffentlichter Tabelle eine Datei; sie enthält {scope}.",
        *(f"  {table}.csv: {rows} Zeilen" for table, rows in counts.items()),
        "",
        "Format: Trennzeichen Semikolon (;), Dezimalkomma, ohne Tausenderpunkte, Zeichensatz "
        "UTF-8 mit BOM, Datumsangaben TT.MM.JJJJ, ja/nein für Wahrheitswerte. Die "
        "Spaltenüberschriften sind die Spaltennamen der veröffentlichten Tabellen (wie in "
        "spm.duckdb, Parquet und PostgreSQL). Werte ungerundet.",
        "",
        "Zeichenerklärung (Spalte status):",
        f"  {GESPERRT}: {TEXT_GESPERRT} In Excel „{ZEICHEN_GESPERRT}“. In indikatorwerte "
        "sind zaehler und wert leer, der nenner wird veröffentlicht; in hze_hilfearten sind "
        "die gesperrten Angaben leer.",
        f"  {' / '.join(KEIN_WERT)}: {ERKLAERUNG_KEIN_WERT} Der Wert ist leer.",
        "",
        "Datenstand (Stichtag je Quelle und Berichtsjahr):",
        *(f"  {quelle}, {jahr}: {tage}" for quelle, jahr, tage in stichtage(con, gebiet)),
    ]
    if "datenstand" in tables(con):
        lines.append("  Einzelheiten je Lieferung: datenstand.csv")
    return "\n".join(lines) + "\n"


def write_outputs(db: Path, folder: Path, *, version: str, zeitpunkt: dt.datetime,
                  log: Log) -> tuple[dict[str, int], list[Gebiet]]:
    """Parquet, CSV and Excel of the published file `db` into `folder`; returns the number
    of files per kind and the Gebiete."""
    con = duckdb.connect(str(db), read_only=True)
    try:
        names = tables(con)
        bad = [t for t in names if not _TABLE_NAME.match(t)]
        if bad:
            raise PublishError("Tabellenname(n) nicht als Dateiname verwendbar: "
                               + ", ".join(bad))
        missing = {"indikatoren", "raeume", "indikatorwerte"} - set(names)
        if missing:
            raise PublishError("Es fehlen veröffentlichte Tabellen: " + ", ".join(sorted(missing)))
        if "ags" not in columns(con, "raeume"):
            raise PublishError("Die Tabelle raeume hat keine Spalte ags.")

        (folder / "parquet").mkdir()
        for table in names:
            target = folder / "parquet" / f"{table}.parquet"
            con.execute(f'copy main."{table}" to {_literal(str(target))} (format parquet)')
            log(f"Parquet: {target.name}")

        kreise_und_gemeinden = gebiete(con)
        if not kreise_und_gemeinden:
            raise PublishError("Die Tabelle raeume enthält keine Gemeinde (gliederung = "
                               "'kommune').")
        (folder / "csv").mkdir()
        csv_files = 0
        for gebiet in kreise_und_gemeinden:
            target = folder / "csv" / gebiet.ags
            target.mkdir()
            counts = {t: write_csv(con, t, gebiet, target / f"{t}.csv") for t in names}
            (target / CSV_README).write_text(
                _csv_readme(con, gebiet, version, zeitpunkt, counts), encoding="utf-8")
            csv_files += len(counts)
            log(f"CSV: csv/{gebiet.ags}/ ({gebiet.name}, {len(counts)} Dateien, "
                f"{sum(counts.values())} Zeilen)")

        (folder / "excel").mkdir()
        for gebiet in kreise_und_gemeinden:
            target = folder / "excel" / f"{gebiet.dateiname}.xlsx"
            sheets = write_workbook(con, target, gebiet, version=version, zeitpunkt=zeitpunkt)
            log(f"Excel: {target.name} ({len(sheets)} Bereiche, "
                f"{sum(sheets.values())} Zeilen)")
    finally:
        con.close()
    files = {"parquet": len(names), "csv": csv_files, "excel": len(kreise_und_gemeinden)}
    return files, kreise_und_gemeinden


# ---------------------------------------------------------------------------------------
# one publication


def check_gate(pruefungen: Sequence[qualitaet.Pruefergebnis]) -> None:
    """The quality gate: PublishError when a check of severity error did not pass."""
    failed = qualitaet.blocking(pruefungen)
    if failed:
        raise PublishError(qualitaet.gate_message(failed))


def add_quality_table(db: Path, lauf: qualitaet.Lauf,
                      pruefungen: Sequence[qualitaet.Pruefergebnis], min_count: int,
                      log: Log) -> int:
    """Write `qualitaet` into the new file `db`, run the leak check on the whole file and
    add its figures; returns the rows of `qualitaet`. Raises PublishError on a leak."""
    con = duckdb.connect(str(db))
    try:
        qualitaet.write_table(con, lauf, pruefungen)
        bericht = check_leaks(con, min_count)
        now = dt.datetime.now().replace(microsecond=0)
        leck = [qualitaet.Pruefergebnis(
            "leckpruefung", qualitaet.ART_LECK, "published/spm_duckdb", qualitaet.ERROR,
            qualitaet.BESTANDEN, kennzahl=name, wert=float(value), zeitpunkt=now,
            hinweis="Keine Spalte mit Einzeldaten, keine sensible Fallzahl unter "
                    f"{min_count}, nichts Gesperrtes sichtbar.")
            for name, value in bericht.kennzahlen().items()]
        rows = qualitaet.write_table(con, lauf, [*pruefungen, *leck])
        con.execute("checkpoint")
    finally:
        con.close()
    log(f"Leckprüfung bestanden: {bericht.tabellen} Tabellen, {bericht.zeilen} Zeilen, "
        f"{bericht.sensible_werte} sensible Werte, {bericht.gesperrte_zeilen} gesperrte Zeilen")
    return rows


def publish_all(home: Home, log: Log | None = None, *,
                pruefungen: Sequence[qualitaet.Pruefergebnis] = (),
                lauf: qualitaet.Lauf | None = None) -> Veroeffentlichung:
    """Build a new version from the warehouse's `published` schema and make it current
    (see the module's docstring). `pruefungen`: the results of the run's checks (quality
    gate and table `qualitaet`); `lauf`: the publishing run (default: `fassung-<version>`).
    Raises PublishError; then nothing published changed."""
    log = log or (lambda message: None)
    check_gate(pruefungen)
    settings = load_settings(home.config)
    min_count = int(settings.geheimhaltung.min_count)
    keep = int(settings.versionen_behalten)
    if keep < 1:
        raise PublishError(f"versionen_behalten muss mindestens 1 sein (ist {keep}).")
    home.published_versions.mkdir(parents=True, exist_ok=True)
    with _publish_lock(home):
        _remove_stale_temporaries(home)
        name = _new_version_name(home)
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
            lauf = lauf or qualitaet.Lauf(f"fassung-{name}", zeitpunkt.astimezone()
                                          .replace(tzinfo=None))
            counts[qualitaet.TABELLE] = add_quality_table(
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
                _remove(path)
            if not isinstance(exc, Exception):
                raise
            reason = str(exc).rstrip(".")
            raise PublishError(f"Veröffentlichung abgebrochen ({step}): {reason}. Die bisher "
                               "veröffentlichte Fassung bleibt unverändert.") from exc
        _replace_current(home, new_link, log)
        _ensure_folder_links(home, log)
        log(f"Fassung {name} ist jetzt die aktuelle: {home.published_db}, "
            f"{home.published / 'parquet'}, {home.published / 'excel'}, "
            f"{home.published / 'csv'}")
        removed = _prune(home, keep, name, log)
    return Veroeffentlichung(version=name, ordner=final, zeitpunkt=zeitpunkt, tabellen=counts,
                             dateien=files, geloescht=removed)

