"""The file outputs of one published version: Parquet per table, German CSV per
municipality and the county (with LIESMICH.txt), one Excel workbook per municipality and one
for the county (`excel.py`). Written from the version's `spm.duckdb` by `write_outputs`.
"""

import csv
import dataclasses
import datetime as dt
import functools
import json
import os
import re
import subprocess
import sys
import tempfile
from decimal import Decimal
from pathlib import Path

import duckdb
import numpy as np

from dagster_project.lib.prozesse import beim_tod_der_eltern_beenden
from dagster_project.publishing.database import PublishError
from dagster_project.publishing.excel import (
    ERKLAERUNG_KEIN_WERT,
    TEXT_GESPERRT,
    ZEICHEN_GESPERRT,
    write_workbook,
)
from dagster_project.publishing.gebiete import (
    GESPERRT,
    KEIN_WERT,
    Gebiet,
    columns,
    gebiete,
    select_rows,
    stichtage,
    tables,
)
from dagster_project.publishing.versions import Log

CSV_README = "LIESMICH.txt"
_TABLE_NAME = re.compile(r"^[a-z_][a-z0-9_]*$")



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


def _csv_float(value: float) -> str:
    """`_csv_value` of a float without numpy for the usual case: Python's repr holds the
    same shortest digits as `format_float_positional` unless it uses an exponent."""
    text = repr(value)
    if "e" in text or "n" in text:      # exponent, nan, inf
        return _csv_value(value)
    if text.endswith(".0"):
        return str(int(value))          # -0.0 too: "0"
    return text.replace(".", ",")


# the formatter per Python type of a column's values (a column's values share one type);
# anything else goes through `_csv_value`. Dates repeat (a few Stichtage): cached.
_CSV_FORMAT = {
    str: lambda value: value,
    int: str,
    bool: lambda value: "ja" if value else "nein",
    float: _csv_float,
    Decimal: lambda value: format(value, "f").replace(".", ","),
    dt.date: functools.lru_cache(maxsize=4096)(lambda value: value.strftime("%d.%m.%Y")),
    dt.datetime: lambda value: value.strftime("%d.%m.%Y %H:%M:%S"),
}


def _csv_rows(batch: list[tuple], formats: list) -> list[list[str]]:
    """The rows of `batch` as CSV fields; `formats` holds one formatter per column, chosen
    by the type of the column's first value that is not NULL (None until then)."""
    if None in formats:
        for row in batch:
            for index, value in enumerate(row):
                if formats[index] is None and value is not None:
                    formats[index] = _CSV_FORMAT.get(type(value), _csv_value)
    return [["" if value is None else format_(value) for format_, value in
             zip(formats, row, strict=True)] for row in batch]


# CSV files are read by people (issue 13): sorted by indicator, Gliederung, area and year,
# and the values of the indicator tables rounded as the reports show them (counts whole,
# everything else one decimal); DuckDB, Parquet and PostgreSQL keep full precision.
CSV_ORDER = ("code", "gliederung", "raum_id", "berichtsjahr", "hilfeart", "alter_von",
             "geschlecht", "staatsangehoerigkeit")
CSV_GANZ = {"indikatorwerte": ("zaehler", "nenner"),
            "hze_hilfearten": ("anzahl_faelle", "anzahl_laufend", "anzahl_neu",
                               "ausgaben_euro"),
            "bevoelkerung": ("anzahl",)}


def _ganz(value) -> str:
    text = f"{value:.0f}"
    return "0" if text == "-0" else text


def _eine_stelle(value) -> str:
    text = f"{value:.1f}".replace(".", ",")
    return "0,0" if text == "-0,0" else text


def _csv_select(con: duckdb.DuckDBPyConnection, table: str, gebiet: Gebiet) -> str:
    """The rows of `table` for `gebiet`, sorted for reading when the table has an area or
    indicator key (else in the table's stored order)."""
    if "raum_id" not in columns(con, table):     # the catalogue, the checks: their own order
        return select_rows(con, table, gebiet)
    return select_rows(con, table, gebiet, order=CSV_ORDER)


def _gerundet(table: str, names: list[str]):
    """A function that rounds the value columns of a row of `table` (as text), or None."""
    ganz = [names.index(c) for c in CSV_GANZ.get(table, ()) if c in names]
    wert = names.index("wert") if table == "indikatorwerte" and "wert" in names else None
    einheit = names.index("einheit") if "einheit" in names else None
    if not ganz and wert is None:
        return None

    def runden(row: tuple) -> tuple:
        row = list(row)
        for i in ganz:
            if row[i] is not None and row[i] == row[i]:
                row[i] = _ganz(row[i])
        if wert is not None and row[wert] is not None and row[wert] == row[wert]:
            anzahl = einheit is not None and row[einheit] == "Anzahl"
            row[wert] = _ganz(row[wert]) if anzahl else _eine_stelle(row[wert])
        return tuple(row)
    return runden


def write_csv(con: duckdb.DuckDBPyConnection, table: str, gebiet: Gebiet, path: Path) -> int:
    """The rows of `table` for `gebiet` as German CSV (`;`, decimal comma, UTF-8 with BOM,
    dates TT.MM.JJJJ, headers = the published column names); returns the rows written.
    Suppressed values are empty; the `status` column says why. Rows sorted and indicator
    values rounded for reading (`CSV_ORDER`, `CSV_GANZ`)."""
    cursor = con.execute(_csv_select(con, table, gebiet))
    names = [d[0] for d in cursor.description]
    runden = _gerundet(table, names)
    formats: list = [None] * len(names)
    rows = 0
    with open(path, "w", encoding="utf-8-sig", newline="") as handle:
        writer = csv.writer(handle, delimiter=";", lineterminator="\r\n")
        writer.writerow(names)
        while batch := cursor.fetchmany(10_000):
            if runden is not None:
                batch = [runden(row) for row in batch]
            writer.writerows(_csv_rows(batch, formats))
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
        "spm.duckdb, Parquet und PostgreSQL). Zeilen sortiert nach Indikator (code), "
        "Gliederung, Raum und Berichtsjahr. Werte der Indikatoren wie in den Berichten "
        "gerundet: Anzahlen, Zähler, Nenner, Fallzahlen und Ausgaben ganzzahlig, alle anderen "
        "Werte mit einer Nachkommastelle; ungerundet in spm.duckdb, Parquet und PostgreSQL.",
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


def _gebiet_schreiben(db: Path, folder: Path, art: str, gebiet: Gebiet, names: list[str],
                      version: str, zeitpunkt: dt.datetime) -> dict[str, int]:
    """One Gebiet's CSV folder (`art` "csv": rows per table) or workbook ("excel": rows per
    sheet), read from the published file `db` through a connection of its own."""
    con = duckdb.connect(str(db), read_only=True)
    try:
        if art == "excel":
            return write_workbook(con, folder / "excel" / f"{gebiet.dateiname}.xlsx", gebiet,
                                  version=version, zeitpunkt=zeitpunkt)
        target = folder / "csv" / gebiet.ags
        target.mkdir()
        counts = {t: write_csv(con, t, gebiet, target / f"{t}.csv") for t in names}
        (target / CSV_README).write_text(
            _csv_readme(con, gebiet, version, zeitpunkt, counts), encoding="utf-8")
        return counts
    finally:
        con.close()


def prozesse_fuer_dateien() -> int:
    """How many processes write the CSV folders and workbooks: one per core, at most four."""
    return max(1, min(os.cpu_count() or 1, 4))


def _gewichte(db: Path, gebiete_: list[Gebiet]) -> dict[str, int]:
    """Rows of `indikatorwerte` per Gebiet (the county: all), a measure of its files' size
    (all 0 without the column `ags`: then the groups have about the same number of tasks)."""
    con = duckdb.connect(str(db), read_only=True)
    try:
        per_ags = (dict(con.execute("select ags, count(*) from indikatorwerte "
                                    "group by ags").fetchall())
                   if "ags" in columns(con, "indikatorwerte") else {})
    finally:
        con.close()
    total = sum(per_ags.values())
    return {g.ags: total if g.ist_kreis else per_ags.get(g.ags, 0) for g in gebiete_}


def _verteilen(aufgaben: list[tuple[str, Gebiet]], gewichte: dict[str, int],
               anzahl: int) -> list[list[tuple[str, Gebiet]]]:
    """The tasks in `anzahl` groups of about the same weight (largest first, each to the
    lightest group so far); no group is empty."""
    gruppen: list[list[tuple[str, Gebiet]]] = [[] for _ in range(min(anzahl, len(aufgaben)))]
    last = [0] * len(gruppen)
    for aufgabe in sorted(aufgaben, key=lambda a: -gewichte.get(a[1].ags, 0)):
        i = last.index(min(last))
        gruppen[i].append(aufgabe)
        last[i] += gewichte.get(aufgabe[1].ags, 0) + 1
    return gruppen


def _dateien_schreiben(db: Path, folder: Path, aufgaben: list[tuple[str, Gebiet]],
                       names: list[str], version: str, zeitpunkt: dt.datetime,
                       prozesse: int | None) -> dict[tuple[str, str], dict[str, int]]:
    """Every (art, Gebiet) of `aufgaben`, keyed by (art, ags).

    The files of one Gebiet do not depend on another's, and formatting them is Python that
    holds one core: with more than one process the tasks are split into groups of about the
    same size, and each group is written by a new Python process of its own
    (`python -m dagster_project.publishing.files`: nothing of the running process is
    copied or imported into it). Each file is the same as written by this process. A
    process that fails makes this raise PublishError with its last error line."""
    prozesse = prozesse_fuer_dateien() if prozesse is None else prozesse
    if prozesse <= 1 or len(aufgaben) <= 2:
        return {(art, g.ags): _gebiet_schreiben(db, folder, art, g, names, version, zeitpunkt)
                for art, g in aufgaben}
    gruppen = _verteilen(aufgaben, _gewichte(db, [g for _, g in aufgaben]), prozesse)
    ergebnisse: dict[tuple[str, str], dict[str, int]] = {}
    fehler = []
    with tempfile.TemporaryDirectory(prefix="spm-dateien-") as auftraege:
        laeufe = []
        for nummer, gruppe in enumerate(gruppen):
            auftrag = Path(auftraege) / f"{nummer}.json"
            auftrag.write_text(json.dumps({
                "db": str(db), "folder": str(folder), "names": names, "version": version,
                "zeitpunkt": zeitpunkt.isoformat(),
                "aufgaben": [[art, dataclasses.asdict(g)] for art, g in gruppe]}),
                encoding="utf-8")
            ergebnis = auftrag.with_suffix(".ergebnis.json")
            laeufe.append((ergebnis, subprocess.Popen(
                [sys.executable, "-m", "dagster_project.publishing.files", str(auftrag),
                 str(ergebnis)], stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                stderr=subprocess.PIPE, text=True, encoding="utf-8", errors="replace",
                preexec_fn=beim_tod_der_eltern_beenden())))
        for ergebnis, lauf in laeufe:
            _, err = lauf.communicate()
            if lauf.returncode != 0:
                zeilen = [z for z in err.strip().splitlines() if z.strip()]
                fehler.append(zeilen[-1] if zeilen else f"Exit-Code {lauf.returncode}")
                continue
            for art, ags, werte in json.loads(ergebnis.read_text(encoding="utf-8")):
                ergebnisse[art, ags] = werte
    if fehler:
        raise PublishError("Dateien nicht geschrieben: " + "; ".join(fehler))
    return ergebnisse


def _prozess_main() -> int:
    """One writing process (`_dateien_schreiben`): the tasks in the JSON file named by the
    first argument, the rows per file or sheet as JSON into the file named by the second."""
    auftrag = json.loads(Path(sys.argv[1]).read_text(encoding="utf-8"))
    db, folder = Path(auftrag["db"]), Path(auftrag["folder"])
    zeitpunkt = dt.datetime.fromisoformat(auftrag["zeitpunkt"])
    ergebnisse = []
    for art, gebiet in auftrag["aufgaben"]:
        g = Gebiet(**gebiet)
        ergebnisse.append([art, g.ags, _gebiet_schreiben(db, folder, art, g, auftrag["names"],
                                                         auftrag["version"], zeitpunkt)])
    Path(sys.argv[2]).write_text(json.dumps(ergebnisse), encoding="utf-8")
    return 0


def write_outputs(db: Path, folder: Path, *, version: str, zeitpunkt: dt.datetime,
                  log: Log, prozesse: int | None = None) -> tuple[dict[str, int], list[Gebiet]]:
    """Parquet, CSV and Excel of the published file `db` into `folder`; returns the number
    of files per kind and the Gebiete. `prozesse`: processes writing the CSV folders and
    workbooks (default `prozesse_fuer_dateien()`; 1 writes them in this process)."""
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
        (folder / "excel").mkdir()
        aufgaben = [(art, gebiet) for gebiet in kreise_und_gemeinden for art in ("excel", "csv")]
        ergebnisse = _dateien_schreiben(db, folder, aufgaben, names, version, zeitpunkt,
                                        prozesse)
        csv_files = 0
        for gebiet in kreise_und_gemeinden:
            counts = ergebnisse["csv", gebiet.ags]
            csv_files += len(counts)
            log(f"CSV: csv/{gebiet.ags}/ ({gebiet.name}, {len(counts)} Dateien, "
                f"{sum(counts.values())} Zeilen)")
        for gebiet in kreise_und_gemeinden:
            sheets = ergebnisse["excel", gebiet.ags]
            log(f"Excel: {gebiet.dateiname}.xlsx ({len(sheets)} Bereiche, "
                f"{sum(sheets.values())} Zeilen)")
    finally:
        con.close()
    files = {"parquet": len(names), "csv": csv_files, "excel": len(kreise_und_gemeinden)}
    return files, kreise_und_gemeinden


if __name__ == "__main__":
    sys.exit(_prozess_main())
