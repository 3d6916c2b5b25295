"""Builders of real delivery files (CSV, XLSX, GeoJSON) for the bad-input catalogue.

Every builder returns the exact bytes a delivering agency would send; the tests write them
under a correct (or deliberately wrong) file name and ingest them.
"""

import io
import json
from datetime import date, datetime

from ingestion.contracts import TABULAR_CONTRACTS

# Default values of one valid row per source; a test overrides single cells.
_ADDRESS = {"ags": "05999004", "strasse": "Mühlenstraße", "hausnummer": "12",
            "hausnummer_zusatz": "", "plz": "32756"}

DEFAULTS: dict[str, dict[str, str]] = {
    "adressen": {**_ADDRESS, "ostwert": "480500,0", "nordwert": "5760500,0"},
    "einwohner": {
        "person_id": "P", "geburtsdatum": "01.01.1980", "geschlecht": "w",
        "staatsangehoerigkeit": "000", "weitere_staatsangehoerigkeit": "",
        "familienstand": "LD", "ehegatte_id": "", "elternteil1_id": "", "elternteil2_id": "",
        "wohnungsstatus": "H", "zuzug_datum": "", **_ADDRESS,
    },
    "sgb2": {
        "person_id": "S", "bg_id": "BG", "geburtsdatum": "01.01.1985", "geschlecht": "m",
        "staatsangehoerigkeit": "000", "leistungsberechtigung": "ELB", "arbeitslos": "J",
        "bg_typ": "SINGLE", **_ADDRESS,
    },
    "hze": {
        "fall_id": "F", "person_id": "K", "geburtsdatum": "01.01.2012", "geschlecht": "m",
        "hilfeart": "31", "beginn": "01.02.2023", "ende": "", "kosten_euro": "1.234,56",
        **_ADDRESS,
    },
    "kita": {
        "kind_id": "KK", "geburtsdatum": "01.05.2021", "geschlecht": "w", "betreuungsart": "KITA",
        "einrichtung_id": "KITA-7", "wochenstunden": "35", "betreuungsbeginn": "01.08.2023",
        **_ADDRESS,
    },
    "seu": {
        "kind_id": "SEU", "geburtsdatum": "01.04.2018", "geschlecht": "m",
        "untersuchungsdatum": "15.03.2024", "einschulungsjahr": "2024", "gewichtsklasse": "3",
        "erstsprache_deutsch": "J", "deutschkenntnisse": "", "sprachscreening_auffaellig": "N",
        "koerperkoordination_auffaellig": "N", "visuomotorik_auffaellig": "N",
        "impfdokument_vorgelegt": "J", "masern_vollstaendig": "J", "u9_dokumentiert": "J",
        "kita_dauer": "3", **_ADDRESS,
    },
    "schule": {
        "schueler_id": "SCH", "geburtsdatum": "01.03.2014", "geschlecht": "w",
        "schuljahr": "2024/25", "schulform": "GY", "foerderbedarf": "N", **_ADDRESS,
    },
}

ID_COLUMN = {"einwohner": "person_id", "sgb2": "person_id", "hze": "fall_id",
             "kita": "kind_id", "seu": "kind_id", "schule": "schueler_id"}


def header(source: str) -> list[str]:
    """The canonical column order of a source (that of the contract)."""
    return list(TABULAR_CONTRACTS[source].names)


def row(source: str, **cells: str) -> dict[str, str]:
    """One valid row of `source`, with the given cells replaced."""
    values = dict(DEFAULTS[source])
    unknown = set(cells) - set(values)
    assert not unknown, f"no such column in {source}: {unknown}"
    values.update(cells)
    return values


def rows(source: str, count: int, prefix: str, **cells: str) -> list[dict[str, str]]:
    """`count` valid rows with identifiers `<prefix>01`, `<prefix>02`, ..."""
    id_column = ID_COLUMN[source]
    return [row(source, **{id_column: f"{prefix}{i:02d}", **cells}) for i in range(1, count + 1)]


def csv_lines(source: str, records: list[dict[str, str]], columns: list[str] | None = None,
              delimiter: str = ";") -> list[str]:
    """The lines of a CSV delivery (header first), without line ends."""
    columns = columns or header(source)
    return [delimiter.join(columns)] + [delimiter.join(r[c] for c in columns) for r in records]


def csv_bytes(lines: list[str], encoding: str = "utf-8", newline: str = "\n") -> bytes:
    return (newline.join(lines) + newline).encode(encoding)


def xlsx_bytes(table: list[list[object]] | None) -> bytes:
    """An XLSX workbook whose first sheet holds `table` (None: an empty sheet)."""
    from openpyxl import Workbook

    workbook = Workbook()
    sheet = workbook.active
    sheet.title = "Lieferung"
    for values in table or []:
        sheet.append(values)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def square(x0: float, y0: float, size: float = 1000.0) -> list:
    return [[[x0, y0], [x0 + size, y0], [x0 + size, y0 + size], [x0, y0 + size], [x0, y0]]]


def bow_tie(x0: float, y0: float, size: float = 1000.0) -> list:
    """A self-intersecting ring (two triangles touching in the middle): invalid."""
    return [[[x0, y0], [x0 + size, y0 + size], [x0 + size, y0], [x0, y0 + size], [x0, y0]]]


def feature(properties: dict, coordinates, geometry_type: str = "Polygon") -> dict:
    return {"type": "Feature", "properties": properties,
            "geometry": {"type": geometry_type, "coordinates": coordinates}}


def geojson_bytes(features: list[dict]) -> bytes:
    collection = {"type": "FeatureCollection", "features": features}
    return json.dumps(collection, ensure_ascii=False).encode("utf-8")


def good_areas() -> list[dict]:
    """Three adjacent, valid Sozialräume of the fixture municipalities."""
    return [
        feature({"raum_id": "05999004-SR01", "raum_name": "Sozialraum 1 – Nord", "ags": "05999004"},
                square(480000, 5760000)),
        feature({"raum_id": "05999004-SR02", "raum_name": "Sozialraum 2 – Süd", "ags": "05999004"},
                square(481000, 5760000)),
        feature({"raum_id": "05999008-SR01", "raum_name": "Sozialraum 1", "ags": "05999008"},
                square(482000, 5760000)),
    ]


def address_register() -> list[dict[str, str]]:
    """Register rows: Mühlenstraße 1-30 in 05999004, Schützenweg 1-10 in 05999008."""
    found = []
    for number in range(1, 31):
        found.append(row("adressen", hausnummer=str(number),
                         ostwert=f"{480100 + 20 * number},5", nordwert="5760500,0"))
    for number in range(1, 11):
        found.append(row("adressen", ags="05999008", strasse="Schützenweg", plz="32758",
                         hausnummer=str(number), ostwert=f"{482100 + 20 * number}",
                         nordwert="5760400"))
    return found


def xlsx_einwohner_table(count: int) -> list[list[object]]:
    """An `einwohner` delivery as Excel cells: real dates, numbers where Excel puts numbers
    (the `ags` as a number loses its leading zero, as in real exports)."""
    columns = header("einwohner")
    table: list[list[object]] = [columns]
    for i in range(1, count + 1):
        values = row("einwohner", person_id=f"X{i:02d}")
        cells: list[object] = []
        for column in columns:
            if column == "geburtsdatum":
                cells.append(datetime(1970 + i, 3, 1))
            elif column == "ags":
                cells.append(5999004)
            elif column in ("hausnummer", "plz"):
                cells.append(int(values[column]))
            else:
                cells.append(values[column] or None)
        table.append(cells)
    return table


def future_day() -> date:
    """A Stichtag in the future; far enough that a test collected before midnight and run
    after it still sees a future day."""
    from datetime import timedelta

    return date.today() + timedelta(days=30)
