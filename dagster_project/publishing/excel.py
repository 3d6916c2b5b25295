"""Excel workbook per municipality (and one for the county) from the published DuckDB file.

Layout, chosen for planners who compare areas and years:
- sheet "Hinweise": title, Gebiet, time of publication, version, contents, legend of the
  signs, Datenstand (Stichtag per source and Berichtsjahr; the table `datenstand` too when
  it is published);
- one sheet per Bereich of the catalogue (in catalogue order) that has published values:
  one row per indicator and area, one column per Berichtsjahr holding `wert`. Per
  indicator first the areas of every Gliederung (`ohne Zuordnung` last), then the
  municipality and the county for comparison. Header row frozen, autofilter on it,
  footnotes (signs, Stichtage, Bezugszeitraum of pooled values) below the table;
- sheet "Räume": the areas with Gliederung, name, validity and area.
Values are numbers (unrounded, as published) with the number format `#,##0.0` (counts
`#,##0`): Excel and LibreOffice show them with the decimal comma and thousands points of a
German locale. Suppressed cells (the one status `gesperrt`, whether suppressed primarily
or secondarily: the footnote does not tell) show "•", cells without a value for want of a
denominator or a delivery (`kein_nenner`, `keine_daten`) show "–".

Written with XlsxWriter (about 5 times faster than openpyxl, which spent 25 µs a cell).
Every text goes in with `write_string`: a name from a delivery that starts with "=" stays
text and never becomes a formula.
"""

import datetime as dt
import re
from collections import defaultdict
from decimal import Decimal
from pathlib import Path

import duckdb
import xlsxwriter

from dagster_project.publishing.gebiete import (
    GESPERRT,
    KEIN_WERT,
    Gebiet,
    area_filter,
    columns,
    datum,
    select_rows,
    stichtage,
    tables,
)

ZEICHEN_GESPERRT = "•"
ZEICHEN_KEIN_WERT = "–"
FORMAT_WERT = "#,##0.0"
FORMAT_ANZAHL = "#,##0"
FORMAT_DATUM = "DD.MM.YYYY"

TEXT_GESPERRT = "Wert aus Gründen der Geheimhaltung gesperrt."
ERKLAERUNG_GESPERRT = f"gesperrt: {TEXT_GESPERRT}"
ERKLAERUNG_KEIN_WERT = (
    "kein Wert: Der Nenner fehlt oder ist 0 (z. B. keine Einwohnerlieferung zum passenden "
    "Stichtag, Vorjahr fehlt) oder für den Raum liegt keine Lieferung der Quelle vor.")
ERKLAERUNG_LEER = "für dieses Berichtsjahr wird der Indikator nicht berechnet."
FUSSNOTE_GESPERRT = f"{ZEICHEN_GESPERRT} = {ERKLAERUNG_GESPERRT}"
FUSSNOTE_KEIN_WERT = f"{ZEICHEN_KEIN_WERT} = {ERKLAERUNG_KEIN_WERT}"
FUSSNOTE_LEER = f"Leeres Feld: {ERKLAERUNG_LEER}"
FUSSNOTE_ZAHLEN = (
    "Werte ungerundet gespeichert; angezeigt mit einer Nachkommastelle wie in den Berichten "
    "(Anzahlen ohne).")

GLIEDERUNG_NAMEN = {"kommune": "Gemeinde", "kreis": "Kreis"}
KOPF = ["Gliederung", "Raum-ID", "Raum", "Code", "Indikator", "Einheit"]

# cell formats by name, made once per workbook (XlsxWriter keeps one format per style)
FORMATE = {
    "kopf": {"bold": True, "bg_color": "#DDE4EE", "pattern": 1},
    "fett": {"bold": True},
    "titel": {"bold": True, "font_size": 14, "valign": "top"},
    "abschnitt": {"bold": True, "valign": "top"},
    "oben": {"valign": "top"},
    "kursiv": {"italic": True},
    "rechts": {"align": "right"},
    "links": {"align": "left"},
    "umbruch": {"text_wrap": True, "valign": "top"},
    "wert": {"num_format": FORMAT_WERT},
    "index": {"num_format": "0.00"},
    "anzahl": {"num_format": FORMAT_ANZAHL},
    "datum": {"num_format": FORMAT_DATUM},
    "zeitpunkt": {"num_format": "DD.MM.YYYY HH:MM"},
}


class _Blatt:
    """A worksheet with the workbook's formats; rows and columns counted from 1."""

    def __init__(self, ws, formate: dict):
        self.ws = ws
        self.formate = formate
        self.title = ws.get_name()

    def write(self, row: int, col: int, value, fmt: str | None = None) -> None:
        cell_format = self.formate[fmt] if fmt else None
        if value is None:
            if cell_format is not None:
                self.ws.write_blank(row - 1, col - 1, None, cell_format)
        elif isinstance(value, str):
            self.ws.write_string(row - 1, col - 1, value, cell_format)
        elif isinstance(value, bool):
            self.ws.write_boolean(row - 1, col - 1, value, cell_format)
        elif isinstance(value, int | float | Decimal):
            self.ws.write_number(row - 1, col - 1, float(value), cell_format)
        elif isinstance(value, dt.date):
            self.ws.write_datetime(row - 1, col - 1, value, cell_format)
        else:
            self.ws.write_string(row - 1, col - 1, str(value), cell_format)

    def width(self, col: int, width: float) -> None:
        self.ws.set_column(col - 1, col - 1, width)

    def header_frozen_with_filter(self, last_row: int, last_col: int) -> None:
        self.ws.freeze_panes(1, 0)
        self.ws.autofilter(0, 0, last_row - 1, last_col - 1)


def gliederung_name(gliederung: str) -> str:
    return GLIEDERUNG_NAMEN.get(gliederung, gliederung[:1].upper() + gliederung[1:])


def _sheet_title(text: str, taken: set[str]) -> str:
    title = re.sub(r"[\[\]:*?/\\]", "", text).strip()[:31] or "Blatt"
    base, n = title, 2
    while title.lower() in taken:
        suffix = f" ({n})"
        title, n = base[:31 - len(suffix)] + suffix, n + 1
    taken.add(title.lower())
    return title


def _area_order(gliederung: str, raum_id: str) -> tuple:
    """Sozialräume first, then the other Gliederungen (each `ohne Zuordnung` last), then the
    municipalities and the county."""
    rank = {"sozialraum": 0, "kommune": 2, "kreis": 3}.get(gliederung, 1)
    return (rank, gliederung, raum_id.endswith("-OZ"), raum_id)


def _header(ws: _Blatt, labels: list[str], row: int = 1) -> None:
    for col, label in enumerate(labels, start=1):
        ws.write(row, col, label, "kopf")


def _widths(ws: _Blatt, widths: dict[int, float]) -> None:
    for col, width in widths.items():
        ws.width(col, width)


def _fit(values, minimum: float = 8, maximum: float = 60) -> float:
    longest = max((len(str(v)) for v in values if v is not None), default=0)
    return max(minimum, min(maximum, longest + 2))


def _values(con: duckdb.DuckDBPyConnection, gebiet: Gebiet) -> list[dict]:
    condition = area_filter(con, "indikatorwerte", gebiet, alias="w")
    where = f"where {condition}" if condition else ""
    sql = f"""
        with katalog as (
            select code, name, bereich, rowid as reihenfolge from indikatoren
        )
        select w.code, k.name as indikator, coalesce(k.bereich, 'Sonstige') as bereich,
               k.reihenfolge, w.gliederung, w.raum_id, coalesce(w.raum_name, w.raum_id)
               as raum_name, w.berichtsjahr, w.stichtag, w.bezugszeitraum, w.wert,
               w.einheit, w.status
        from indikatorwerte w join katalog k using (code)
        {where}
    """
    cursor = con.execute(sql)
    names = [d[0] for d in cursor.description]
    return [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]


def _bereiche(con: duckdb.DuckDBPyConnection) -> list[str]:
    rows = con.execute("select coalesce(bereich, 'Sonstige') from indikatoren "
                       "order by rowid").fetchall()
    return list(dict.fromkeys(r[0] for r in rows))


def _cell_value(row: dict | None):
    """(value, format name) of one Berichtsjahr's cell: numbers with their number format,
    the signs right-aligned like numbers."""
    if row is None:
        return None, None
    if row["status"] == GESPERRT:
        return ZEICHEN_GESPERRT, "rechts"
    if row["wert"] is None:
        return (ZEICHEN_KEIN_WERT, "rechts") if row["status"] in KEIN_WERT else (None, None)
    return float(row["wert"]), "anzahl" if row["einheit"] == "Anzahl" else "wert"


def _bereich_sheet(ws: _Blatt, rows: list[dict], stand: str) -> int:
    """Fill one Bereich's sheet; returns the number of table rows."""
    years = sorted({r["berichtsjahr"] for r in rows})
    _header(ws, KOPF + [str(y) for y in years])
    lines: dict[tuple, dict] = {}
    for r in rows:
        key = (r["reihenfolge"], r["code"], *_area_order(r["gliederung"], r["raum_id"]))
        line = lines.setdefault(key, {"row": r, "jahre": {}})
        line["jahre"][r["berichtsjahr"]] = r
    stichtage_je_jahr: dict[int, set] = defaultdict(set)
    pooled: dict[str, set] = defaultdict(set)
    for r in rows:
        if r["stichtag"] is not None:
            stichtage_je_jahr[r["berichtsjahr"]].add(r["stichtag"])
        if r["bezugszeitraum"] and r["bezugszeitraum"] != str(r["berichtsjahr"]):
            pooled[r["code"]].add((r["berichtsjahr"], r["bezugszeitraum"]))
    row_no = 1
    for key in sorted(lines):
        first = lines[key]["row"]
        row_no += 1
        labels = [gliederung_name(first["gliederung"]), first["raum_id"], first["raum_name"],
                  first["code"], first["indikator"], first["einheit"]]
        for col, label in enumerate(labels, start=1):
            ws.write(row_no, col, label)
        for offset, year in enumerate(years):
            value, fmt = _cell_value(lines[key]["jahre"].get(year))
            ws.write(row_no, len(KOPF) + 1 + offset, value, fmt)
    ws.header_frozen_with_filter(row_no, len(KOPF) + len(years))
    notes = [FUSSNOTE_GESPERRT, FUSSNOTE_KEIN_WERT, FUSSNOTE_LEER, FUSSNOTE_ZAHLEN]
    tage = "; ".join(f"{y}: " + ", ".join(datum(d) for d in sorted(stichtage_je_jahr[y]))
                     for y in years if stichtage_je_jahr[y])
    notes.append(f"Datenstand: Stichtag je Berichtsjahr – {tage}. {stand}" if tage else stand)
    for code in sorted(pooled):
        spans = ", ".join(f"{y}: {z}" for y, z in sorted(pooled[code]))
        notes.append(f"{code}: Werte über mehrere Jahre zusammengefasst (Berichtsjahr: "
                     f"Bezugszeitraum) – {spans}.")
    note_row = row_no + 2
    for offset, text in enumerate(notes):
        ws.write(note_row + offset, 1, text, "kursiv")
    table = [[gliederung_name(v["row"]["gliederung"]), v["row"]["raum_id"],
              v["row"]["raum_name"], v["row"]["code"], v["row"]["indikator"],
              v["row"]["einheit"]] for v in lines.values()]
    for col in range(len(KOPF)):
        _widths(ws, {col + 1: _fit([KOPF[col], *(t[col] for t in table)])})
    _widths(ws, {len(KOPF) + 1 + i: 12 for i in range(len(years))})
    return len(lines)


def _raeume_sheet(ws: _Blatt, con: duckdb.DuckDBPyConnection, gebiet: Gebiet) -> None:
    cursor = con.execute(select_rows(con, "raeume", gebiet))
    names = [d[0] for d in cursor.description]
    rows = [dict(zip(names, r, strict=True)) for r in cursor.fetchall()]
    rows.sort(key=lambda r: _area_order(r["gliederung"], r["raum_id"]))
    labels = ["Gliederung", "Raum-ID", "Raum", "Gemeinde", "Gültig ab", "Fläche (km²)"]
    _header(ws, labels)
    for row_no, r in enumerate(rows, start=2):
        values = [gliederung_name(r["gliederung"]), r["raum_id"], r.get("raum_name"),
                  r.get("kommune"), r.get("gueltig_ab"), r.get("flaeche_km2")]
        for col, value in enumerate(values, start=1):
            fmt = {5: "datum", 6: "wert"}.get(col) if value is not None else None
            ws.write(row_no, col, value, fmt)
    ws.header_frozen_with_filter(len(rows) + 1, len(labels))
    table = [[gliederung_name(r["gliederung"]), r["raum_id"], r.get("raum_name"),
              r.get("kommune")] for r in rows]
    for col in range(4):
        _widths(ws, {col + 1: _fit([labels[col], *(t[col] for t in table)])})
    _widths(ws, {5: 12, 6: 14})


def _hinweise_sheet(ws: _Blatt, con: duckdb.DuckDBPyConnection, gebiet: Gebiet, *, version: str,
                    zeitpunkt: dt.datetime, inhalt: list[tuple[str, str]],
                    ohne_werte: list[str]) -> None:
    lines: list[tuple] = []     # (label, text, style): style "titel", "kopf", "text", "tabelle"

    def text(label, value):
        lines.append((label, value, "text"))

    lines.append((f"Kleinräumiges Sozialmonitoring – {gebiet.name}", None, "titel"))
    if gebiet.ist_kreis:
        lines.append((f"{gebiet.bezeichnung}: alle Gemeinden und Räume", None, "zeile"))
    else:
        lines.append((f"{gebiet.bezeichnung}, {gebiet.kreis_name} ({gebiet.kreis_ags})", None,
                      "zeile"))
    lines.append((None, None, "leer"))
    text("Veröffentlicht am", f"{zeitpunkt.astimezone():%d.%m.%Y, %H:%M} Uhr")
    text("Fassung", f"{version} (Ordner published/versions/{version})")
    text("Datenstand", "Stichtage der Werte je Quelle und Berichtsjahr: siehe unten und in "
                       "jedem Blatt unter der Tabelle.")
    lines.append((None, None, "leer"))
    lines.append(("Inhalt", None, "kopf"))
    for title, description in inhalt:
        text(title, description)
    if ohne_werte:
        text("Noch ohne Werte", ", ".join(ohne_werte) + ".")
    lines.append((None, None, "leer"))
    lines.append(("Aufbau der Blätter", None, "kopf"))
    scope = ("alle Räume aller Gliederungen im Kreis, auch die über Gemeindegrenzen, dazu "
             "alle Gemeinden und der Kreis" if gebiet.ist_kreis else
             "die Räume aller Gliederungen der Gemeinde einschließlich „ohne Zuordnung“ "
             "(Adressen, die keinem Raum zugeordnet werden konnten), zum Vergleich die Gemeinde "
             "und der Kreis. Räume, die über Gemeindegrenzen reichen, stehen in der Mappe des "
             "Kreises")
    text("Zeilen", f"Je Indikator {scope}.")
    text("Spalten", "Je Berichtsjahr der Wert des Indikators (Einheit in der Spalte "
                    "„Einheit“).")
    text("Zahlen", FUSSNOTE_ZAHLEN + " Dezimalkomma und Tausenderpunkte nach den "
                                     "Ländereinstellungen.")
    lines.append((None, None, "leer"))
    lines.append(("Zeichenerklärung", None, "kopf"))
    text(ZEICHEN_GESPERRT, ERKLAERUNG_GESPERRT)
    text(ZEICHEN_KEIN_WERT, ERKLAERUNG_KEIN_WERT)
    text("(leer)", ERKLAERUNG_LEER)
    lines.append((None, None, "leer"))
    lines.append(("Datenstand", None, "kopf"))
    lines.append((("Quelle", "Berichtsjahr", "Stichtag"), None, "tabellenkopf"))
    for quelle, jahr, tage in stichtage(con, gebiet):
        lines.append(((quelle, jahr, tage), None, "tabelle"))
    if "datenstand" in tables(con):
        lines.append((None, None, "leer"))
        lines.append(("Lieferungen (Tabelle datenstand)", None, "kopf"))
        lines.append((tuple(columns(con, "datenstand")), None, "tabellenkopf"))
        for values in con.execute(select_rows(con, "datenstand", gebiet)).fetchall():
            lines.append((values, None, "tabelle"))

    for row, (label, value, style) in enumerate(lines, start=1):
        if style in ("tabelle", "tabellenkopf"):
            for col, item in enumerate(label, start=1):
                value_ = _plain(item)
                if style == "tabellenkopf":
                    fmt = "fett"
                elif isinstance(value_, dt.datetime):
                    fmt = "zeitpunkt"
                elif isinstance(value_, dt.date):
                    fmt = "datum"
                elif isinstance(value_, float):
                    fmt = "wert"
                elif isinstance(value_, int) and not isinstance(value_, bool):
                    fmt = "links"
                else:
                    fmt = None
                ws.write(row, col, value_, fmt)
            continue
        if label is not None:
            ws.write(row, 1, label, {"titel": "titel", "kopf": "abschnitt"}.get(style, "oben"))
        if value is not None:
            ws.write(row, 2, value, "umbruch")
    _widths(ws, {1: 34, 2: 100, 3: 24})


# the further tables of the published schema, one sheet each: (table, sheet title,
# [(column, header, format)], order); what a Gebiet's files hold (`select_rows`)
WEITERE_BLAETTER = (
    ("sozialindex", "Sozialindex", [
        ("gliederung", "Gliederung", None), ("raum_id", "Raum-ID", None),
        ("raum_name", "Raum", None), ("berichtsjahr", "Berichtsjahr", "links"),
        ("status_index", "Status-Index", "index"), ("status_klasse", "Statusklasse", None),
        ("dynamik_index", "Dynamik-Index", "index"), ("dynamik_klasse", "Dynamikklasse", None),
        ("hinweis", "Hinweis", None)],
     "gliederung, raum_id, berichtsjahr"),
    ("hze_hilfearten", "Hilfearten", [
        ("gliederung", "Gliederung", None), ("raum_id", "Raum-ID", None),
        ("raum_name", "Raum", None), ("berichtsjahr", "Berichtsjahr", "links"),
        ("hilfeart", "Hilfeart", None), ("anzahl_faelle", "Fälle im Jahr", "anzahl"),
        ("anzahl_laufend", "laufend am Stichtag", "anzahl"),
        ("anzahl_neu", "neu im Jahr", "anzahl"), ("ausgaben_euro", "Ausgaben (EUR)", "anzahl"),
        ("status", "Status", None)],
     "gliederung, raum_id, berichtsjahr, hilfeart"),
    ("bevoelkerung", "Bevölkerung", "breit", None),
    ("datenstand", "Datenstand", None, None),
    ("qualitaet", "Qualität", None, None),
)


def _tabellen_sheet(ws: _Blatt, con: duckdb.DuckDBPyConnection, gebiet: Gebiet, table: str,
                    spalten: list | None, order: str | None) -> int:
    """One published table as a sheet: the Gebiet's rows, German headers, a blank value of
    a row with status `gesperrt` as "•"; returns the rows."""
    present = columns(con, table)
    if spalten is None:
        spalten = [(c, c, None) for c in present]
    spalten = [s for s in spalten if s[0] in present]
    query = select_rows(con, table, gebiet, order=tuple(order.split(", ")) if order else ())
    names = [c for c, _, _ in spalten]
    status = present.index("status") if "status" in present else None
    cursor = con.execute(query)
    _header(ws, [label for _, label, _ in spalten])
    rows = 0
    index = [present.index(c) for c in names]
    numbers = [fmt in ("anzahl", "wert", "index") for _, _, fmt in spalten]
    formats = [ws.formate[fmt] if fmt else None for _, _, fmt in spalten]
    rechts = ws.formate["rechts"]
    sheet = ws.ws
    while batch := cursor.fetchmany(10_000):
        for record in batch:
            gesperrt = status is not None and record[status] == GESPERRT
            for col, i in enumerate(index):
                value = record[i]
                if value is None:
                    if gesperrt and numbers[col]:
                        sheet.write_string(rows + 1, col, ZEICHEN_GESPERRT, rechts)
                elif numbers[col] or isinstance(value, int | float | Decimal) \
                        and not isinstance(value, bool):
                    sheet.write_number(rows + 1, col, float(value),
                                       formats[col] or ws.formate["wert"])
                elif isinstance(value, str):
                    if names[col] == "gliederung":
                        value = gliederung_name(value)
                    sheet.write_string(rows + 1, col, value, formats[col])
                else:
                    value = _plain(value)
                    fmt = ("zeitpunkt" if isinstance(value, dt.datetime) else
                           "datum" if isinstance(value, dt.date) else None)
                    ws.write(rows + 2, col + 1, value, fmt)
            rows += 1
    ws.header_frozen_with_filter(rows + 1, len(spalten))
    for col, (_, label, _) in enumerate(spalten, start=1):
        _widths(ws, {col: max(12, min(40, len(label) + 4))})
    return rows


GESCHLECHT = {"m": "männlich", "w": "weiblich", "d": "divers", "o": "ohne Angabe"}


def _bevoelkerung_sheet(ws: _Blatt, con: duckdb.DuckDBPyConnection, gebiet: Gebiet) -> int:
    """The population by area, Berichtsjahr and age group in rows, sex and nationality in
    columns (a fifth of the cells of the long table, and how people read it)."""
    query = select_rows(con, "bevoelkerung", gebiet).replace(
        "select t.* ", "select t.gliederung, t.raum_id, t.raum_name, t.berichtsjahr, "
        "t.altersgruppe, t.alter_von, t.geschlecht, t.staatsangehoerigkeit, t.anzahl ")
    records = con.execute(query).fetchall()
    spalten = sorted({(r[6], r[7]) for r in records},
                     key=lambda k: (list(GESCHLECHT).index(k[0]) if k[0] in GESCHLECHT
                                    else 9, k))
    lines: dict[tuple, dict] = {}
    for g, raum_id, name, jahr, gruppe, von, geschlecht, staat, anzahl in records:
        key = (_area_order(g, raum_id), jahr, von if von is not None else -1, gruppe)
        line = lines.setdefault(key, {"kopf": (gliederung_name(g), raum_id, name, jahr,
                                               gruppe), "werte": {}})
        line["werte"][(geschlecht, staat)] = anzahl
    labels = ["Gliederung", "Raum-ID", "Raum", "Berichtsjahr", "Altersgruppe",
              *(f"{GESCHLECHT.get(g, g)}, {st}" for g, st in spalten)]
    _header(ws, labels)
    sheet, anzahl_format = ws.ws, ws.formate["anzahl"]
    for row, key in enumerate(sorted(lines), start=1):
        line = lines[key]
        for col, value in enumerate(line["kopf"]):
            if isinstance(value, str):
                sheet.write_string(row, col, value)
            elif value is not None:
                sheet.write_number(row, col, value)
        for offset, spalte in enumerate(spalten, start=5):
            value = line["werte"].get(spalte)
            if value is not None:
                sheet.write_number(row, offset, float(value), anzahl_format)
    ws.header_frozen_with_filter(len(lines) + 1, len(labels))
    _widths(ws, {1: 14, 2: 16, 3: 30, 4: 12, 5: 13})
    _widths(ws, {6 + i: 20 for i in range(len(spalten))})
    return len(lines)


def _diagramme(wb, daten: _Blatt, bereiche: list[str], by_bereich: dict,
               gebiet: Gebiet, taken: set[str]) -> list[str]:
    """One chart sheet per Bereich: its first rate, the newest Berichtsjahr, per Sozialraum
    of the Gebiet, with the municipality and the county for comparison. The chart reads a
    hidden sheet of its own numbers where a suppressed or missing value is a blank cell
    (Excel draws a gap, never a bar of 0)."""
    titles = []
    for col, label in enumerate(("Code", "Berichtsjahr", "Raum-ID", "Raum", "Wert"), start=1):
        daten.write(1, col, label, "fett")
    row = 1
    for bereich in bereiche:
        rows = by_bereich.get(bereich) or []
        rates = [r for r in rows if r["einheit"] != "Anzahl"]
        if not rates:
            continue
        code = min(rates, key=lambda r: (r["reihenfolge"], r["code"]))["code"]
        mine = [r for r in rates if r["code"] == code]
        jahr = max(r["berichtsjahr"] for r in mine)
        areas = sorted((r for r in mine if r["berichtsjahr"] == jahr
                        and r["gliederung"] in ("sozialraum", "kommune", "kreis")
                        and not r["raum_id"].endswith("-OZ")),
                       key=lambda r: _area_order(r["gliederung"], r["raum_id"]))
        if not areas:
            continue
        first = row
        for r in areas:
            row += 1
            label = r["raum_name"] if r["gliederung"] == "sozialraum" else (
                f"{r['raum_name']} ({gliederung_name(r['gliederung'])})")
            shown = r["wert"] if r["status"] == "ok" and r["wert"] is not None else None
            for col, value in enumerate((code, jahr, r["raum_id"], label), start=1):
                daten.write(row, col, value)
            daten.write(row, 5, None if shown is None else float(shown), "wert")
        title = _sheet_title(f"Diagramm {bereich}", taken)
        chart = wb.add_chart({"type": "bar"})
        chart.add_series({
            "name": f"{code} {jahr}",
            "categories": [daten.title, first, 3, row - 1, 3],
            "values": [daten.title, first, 4, row - 1, 4],
            "fill": {"color": "#6B8FB5"},
            "data_labels": {"value": True, "num_format": "#,##0.0"},
        })
        chart.set_title({"name": f"{code} {mine[0]['indikator']} ({mine[0]['einheit']}), "
                                 f"{jahr} – {gebiet.name}"})
        chart.set_legend({"none": True})
        chart.set_y_axis({"reverse": True})
        chart.set_x_axis({"num_format": "#,##0.0"})
        chart.show_blanks_as("gap")
        sheet = wb.add_chartsheet(title)
        sheet.set_chart(chart)
        titles.append(title)
    return titles


def _plain(value):
    """A value the workbook can store: dates without time zone, other types as text."""
    if isinstance(value, dt.datetime):
        return value.replace(tzinfo=None)
    if value is None or isinstance(value, int | float | dt.date | str):
        return value
    return str(value)


def write_workbook(con: duckdb.DuckDBPyConnection, path: Path, gebiet: Gebiet, *,
                   version: str, zeitpunkt: dt.datetime) -> dict[str, int]:
    """Write the workbook of `gebiet` to `path`; returns the table rows per sheet."""
    values = _values(con, gebiet)
    by_bereich: dict[str, list[dict]] = defaultdict(list)
    for r in values:
        by_bereich[r["bereich"]].append(r)
    bereiche = _bereiche(con)
    stand = (f"Veröffentlicht am {zeitpunkt.astimezone():%d.%m.%Y}; Einzelheiten im Blatt "
             "„Hinweise“.")
    # no URL or formula guessing: every text is written as text (_Blatt.write); the sheets
    # are assembled in memory, not in temporary files
    wb = xlsxwriter.Workbook(str(path), {"in_memory": True, "strings_to_urls": False,
                                         "strings_to_formulas": False,
                                         "strings_to_numbers": False})
    formate = {name: wb.add_format(props) for name, props in FORMATE.items()}

    def blatt(title: str) -> _Blatt:
        return _Blatt(wb.add_worksheet(title), formate)

    hinweise = blatt("Hinweise")
    taken = {"hinweise", "räume"}
    sheets: dict[str, int] = {}
    inhalt = []
    for bereich in bereiche:
        rows = by_bereich.get(bereich)
        if not rows:
            continue
        ws = blatt(_sheet_title(bereich, taken))
        sheets[ws.title] = _bereich_sheet(ws, rows, stand)
        codes = sorted({r["code"] for r in rows})
        years = sorted({r["berichtsjahr"] for r in rows})
        inhalt.append((ws.title, f"{len(codes)} Indikatoren ({', '.join(codes)}), "
                                 f"Berichtsjahre {years[0]}–{years[-1]}"
                       if len(years) > 1 else f"{len(codes)} Indikatoren, Berichtsjahr "
                                              f"{years[0]}"))
    raeume = blatt("Räume")
    _raeume_sheet(raeume, con, gebiet)
    inhalt.append(("Räume", "die Räume mit Gliederung, Gemeinde, Gültigkeit der Gliederung "
                            "und Fläche"))
    vorhanden = tables(con)
    for table, title, spalten, order in WEITERE_BLAETTER:
        if table not in vorhanden:
            continue
        ws = blatt(_sheet_title(title, taken))
        if spalten == "breit":
            sheets[ws.title] = _bevoelkerung_sheet(ws, con, gebiet)
        else:
            sheets[ws.title] = _tabellen_sheet(ws, con, gebiet, table, spalten, order)
        inhalt.append((ws.title, f"die Tabelle {table} ({sheets[ws.title]} Zeilen)"))
    daten = blatt(_sheet_title("Diagrammdaten", taken))
    daten.ws.hide()
    for title in _diagramme(wb, daten, bereiche, by_bereich, gebiet, taken):
        inhalt.append((title, "Balkendiagramm des ersten Anteils des Bereichs im neuesten "
                              "Berichtsjahr je Sozialraum, mit Gemeinde und Kreis; gesperrte "
                              "Werte als Lücke"))
    _hinweise_sheet(hinweise, con, gebiet, version=version, zeitpunkt=zeitpunkt, inhalt=inhalt,
                    ohne_werte=[b for b in bereiche if b not in by_bereich])
    wb.close()
    return sheets
