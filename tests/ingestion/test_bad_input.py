"""The bad-input catalogue: every way a delivery can be broken, each as a real file.

Every case writes a real file (CSV bytes in a stated encoding, XLSX, GeoJSON) under a
correct delivery name, ingests it into a warehouse that already holds good deliveries of
several sources, and asserts the exact outcome:

* rejected: the German message names the file and, where they exist, line, column and
  value; no raw data table changed (fingerprint: row count and sum of row hashes), the
  quarantine did not grow, the earlier deliveries keep their status, the rejection is in
  the delivery log and the archive holds the error report next to the file;
* loaded with row errors: exactly the listed rows are in `raw.quarantine` (line, column,
  value, reason, original line), the target table grew by exactly the good rows and no
  other table changed.

Rules: shared/spec/contracts.md ("Row errors and quarantine", "Replacement and
idempotence") and docs/decisions.md.
"""

import hashlib
import os
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import duckdb
import pandas as pd
import pytest

from ingestion import loader, warehouse
from ingestion.home import Home
from ingestion.loader import IngestResult
from tests.bad_input.builders import (
    address_register,
    bow_tie,
    csv_bytes,
    csv_lines,
    feature,
    future_day,
    geojson_bytes,
    good_areas,
    header,
    row,
    rows,
    square,
    xlsx_bytes,
    xlsx_einwohner_table,
)

NOT_FINGERPRINTED = {"delivery_log", "quarantine", "gx_results"}

# Good deliveries already in the warehouse before every case (file name, bytes).
GOOD_DELIVERIES = [
    ("adressen_2024-12-31.csv", csv_bytes(csv_lines("adressen", address_register()))),
    ("raumgliederung_sozialraum_2020-01-01.geojson", geojson_bytes(good_areas())),
    ("einwohner_2023-12-31.csv", csv_bytes(csv_lines("einwohner", rows("einwohner", 10, "A")))),
    ("einwohner_2024-12-31_05999004.csv",
     csv_bytes(csv_lines("einwohner", rows("einwohner", 20, "A")))),
    ("einwohner_2024-12-31_05999008.csv",
     csv_bytes(csv_lines("einwohner", rows("einwohner", 10, "B", ags="05999008",
                                           strasse="Schützenweg", hausnummer="3")),
               encoding="cp1252", newline="\r\n")),
    ("sgb2_2024-12-31.csv", csv_bytes(csv_lines(
        "sgb2", rows("sgb2", 6, "A") + rows("sgb2", 4, "B", ags="05999008",
                                            strasse="Schützenweg", hausnummer="5")))),
    ("hze_2024-12-31.csv", csv_bytes(csv_lines("hze", rows("hze", 5, "A")))),
    ("kita_2024-03-01.csv", csv_bytes(csv_lines("kita", rows("kita", 5, "A")))),
    ("schule_2024-10-15.csv", csv_bytes(csv_lines("schule", rows("schule", 5, "A")))),
]


# --------------------------------------------------------------------------- fixtures


@pytest.fixture(scope="module")
def base_home(tmp_path_factory) -> Path:
    """A home with the good deliveries loaded; every case works on its own copy."""
    root = tmp_path_factory.mktemp("bad_input_base") / "home"
    home = Home(root).create()
    files = tmp_path_factory.mktemp("bad_input_good_files")
    con = warehouse.connect(home)
    try:
        for name, data in GOOD_DELIVERIES:
            path = files / name
            path.write_bytes(data)
            result = loader.ingest_file(con, home, path)
            assert result.status == "loaded", result.message
            assert result.rows_quarantined == 0, result.message
    finally:
        con.close()
    return root


@dataclass
class Warehouse:
    home: Home
    con: duckdb.DuckDBPyConnection
    files: Path

    def write(self, name: str, data: bytes) -> Path:
        path = self.files / name
        path.write_bytes(data)
        return path

    def ingest(self, name: str, data: bytes, **kwargs) -> IngestResult:
        return loader.ingest_file(self.con, self.home, self.write(name, data), **kwargs)


@pytest.fixture()
def wh(base_home, tmp_path):
    root = tmp_path / "home"
    shutil.copytree(base_home, root)
    home = Home(root)
    files = tmp_path / "files"
    files.mkdir()
    con = warehouse.connect(home)
    yield Warehouse(home, con, files)
    con.close()


# --------------------------------------------------------------------------- helpers


def data_tables(con) -> list[str]:
    names = [r[0] for r in con.execute(
        "select table_name from information_schema.tables where table_schema = 'raw' "
        "and table_type = 'BASE TABLE' order by 1").fetchall()]
    return [n for n in names if n not in NOT_FINGERPRINTED]


def table_fingerprint(con, table: str, where: str = "true", params=()) -> tuple[int, int]:
    count, total = con.execute(
        f"select count(*), coalesce(sum(hash(t)), 0) from raw.{table} t where {where}",
        list(params)).fetchone()
    return int(count), int(total)


def fingerprint(con) -> dict[str, tuple[int, int]]:
    return {table: table_fingerprint(con, table) for table in data_tables(con)}


@dataclass
class Snapshot:
    tables: dict[str, tuple[int, int]]
    log: list[tuple]                # (delivery_id, file_name, status) of every delivery
    quarantine: tuple[int, int]
    gx_results: int


def snapshot(con) -> Snapshot:
    return Snapshot(
        fingerprint(con),
        con.execute("select delivery_id, file_name, status from raw.delivery_log "
                    "order by 1").fetchall(),
        table_fingerprint(con, "quarantine"),
        con.execute("select count(*) from raw.gx_results").fetchone()[0],
    )


def log_row(con, delivery_id: int) -> dict:
    frame = con.execute("select * from raw.delivery_log where delivery_id = ?",
                        [delivery_id]).df()
    assert len(frame) == 1
    return frame.iloc[0].to_dict()


def error_report(home: Home, data: bytes, suffix: str) -> Path:
    return home.archive / f"{hashlib.sha256(data).hexdigest()}{suffix}.fehler.txt"


def assert_rejected(wh: Warehouse, before: Snapshot, result: IngestResult, name: str,
                    data: bytes, fragments: list[str]) -> None:
    """Rejected with all `fragments` in the message, and nothing else changed."""
    assert result.status == "rejected", result.message
    assert result.message.startswith(f"Datei {name}"), result.message
    for fragment in fragments:
        assert fragment in result.message, (fragment, result.message)
    assert result.rows_loaded == 0
    after = snapshot(wh.con)
    assert after.tables == before.tables
    assert after.quarantine == before.quarantine
    assert after.gx_results == before.gx_results
    assert after.log[:-1] == before.log, "earlier deliveries changed their status"
    logged = log_row(wh.con, result.delivery_id)
    assert after.log[-1] == (result.delivery_id, name, "rejected")
    assert logged["rows_loaded"] == 0
    assert result.message in logged["message"]
    assert logged["sha256"] == hashlib.sha256(data).hexdigest()
    archived = Path(logged["archive_path"])
    assert archived.read_bytes() == data, "the rejected file must stay in the archive unchanged"
    report = archived.with_name(archived.name + ".fehler.txt")
    assert result.message in report.read_text(encoding="utf-8")


def assert_partly_loaded(wh: Warehouse, before: Snapshot, result: IngestResult, table: str,
                         lines: list[str], good_lines: list[int],
                         expected_errors: list[tuple]) -> None:
    """Loaded; exactly `expected_errors` (line, column, value, reason) in quarantine with the
    original line; `table` grew by exactly the rows of `good_lines`; nothing else changed."""
    assert result.status == "loaded", result.message
    bad_lines = sorted({e[0] for e in expected_errors})
    assert (result.rows_loaded, result.rows_quarantined) == (len(good_lines), len(bad_lines))
    assert result.rows_total == len(good_lines) + len(bad_lines)
    quarantined = wh.con.execute(
        "select line_no, column_name, value, reason, original_line, file_name, source "
        "from raw.quarantine where delivery_id = ? order by line_no, column_name",
        [result.delivery_id]).fetchall()
    expected = sorted(((line, column, value, reason, lines[line - 1], result.file_name, table)
                       for line, column, value, reason in expected_errors),
                      key=lambda e: (e[0], e[1] is None, e[1] or ""))
    assert quarantined == expected
    total_quarantine = wh.con.execute("select count(*) from raw.quarantine").fetchone()[0]
    assert total_quarantine == before.quarantine[0] + len(expected_errors)
    after = snapshot(wh.con)
    for name, print_before in before.tables.items():
        if name != table:
            assert after.tables[name] == print_before, f"raw.{name} changed"
    old = table_fingerprint(wh.con, table, "delivery_id <> ?", [result.delivery_id])
    assert old == before.tables[table], f"earlier rows of raw.{table} changed"
    new_lines = [r[0] for r in wh.con.execute(
        f"select line_no from raw.{table} where delivery_id = ? order by line_no",
        [result.delivery_id]).fetchall()]
    assert new_lines == good_lines
    assert after.log[:-1] == before.log, "earlier deliveries changed their status"
    assert after.log[-1] == (result.delivery_id, result.file_name, "loaded")


def insert_bad(source: str, good: list[dict], position: int, bad: dict
               ) -> tuple[list[str], list[int], int]:
    """Lines of a delivery with `bad` inserted at `position` among the good rows; the good
    line numbers and the bad row's line number (header = line 1)."""
    records = [*good[:position], bad, *good[position:]]
    lines = csv_lines(source, records)
    bad_line = position + 2
    good_lines = [n for n in range(2, len(records) + 2) if n != bad_line]
    return lines, good_lines, bad_line


# --------------------------------------------------------------------------- rejected files

_EINWOHNER_LINES = csv_lines("einwohner", rows("einwohner", 5, "R"))
_EINWOHNER = csv_bytes(_EINWOHNER_LINES)
# 0x81 and 0x8D are undefined in Windows-1252 and no valid UTF-8 either
_INVALID_BOTH = csv_bytes(csv_lines("einwohner", rows("einwohner", 3, "R",
                                                      strasse="M\x81hlenstra\x8de")),
                          encoding="latin-1")
_INVALID_AT = _INVALID_BOTH.index(bytes([0x81]))


def _without(columns: list[str]) -> bytes:
    kept = [c for c in header("einwohner") if c not in columns]
    return csv_bytes(csv_lines("einwohner", rows("einwohner", 3, "R"), columns=kept))


def _duplicate_column() -> bytes:
    lines = csv_lines("einwohner", rows("einwohner", 3, "R"))
    return csv_bytes([lines[0] + ";Geschlecht"] + [line + ";m" for line in lines[1:]])


REJECTED_FILES = [
    # id, file name, bytes, fragments of the message
    ("empty file", "einwohner_2024-06-30.csv", b"", ["Die Datei ist leer."]),
    ("only blank lines", "einwohner_2024-06-30.csv", b"\r\n  \r\n\r\n", ["Die Datei ist leer."]),
    ("header only", "einwohner_2024-06-30.csv", csv_bytes(_EINWOHNER_LINES[:1]),
     ["nur die Kopfzeile und keine Datenzeilen"]),
    ("binary garbage", "einwohner_2024-06-30.csv", bytes(range(256)) * 8,
     ["keine Textdatei in UTF-8 oder Windows-1252"]),
    ("control characters", "einwohner_2024-06-30.csv", bytes(range(1, 32)) * 40,
     ["enthält Binärdaten"]),
    ("xlsx named csv", "einwohner_2024-06-30.csv", xlsx_bytes(xlsx_einwohner_table(3)),
     ["keine Textdatei in UTF-8 oder Windows-1252"]),
    ("utf-16 with BOM", "einwohner_2024-06-30.csv",
     csv_bytes(_EINWOHNER_LINES, encoding="utf-16"), ["UTF-16"]),
    ("invalid in utf-8 and cp1252", "einwohner_2024-06-30.csv", _INVALID_BOTH,
     ["weder UTF-8 noch Windows-1252",
      f"unbekanntes Byte an Position {_INVALID_AT}"]),
    ("pipe delimiter", "einwohner_2024-06-30.csv",
     csv_bytes(csv_lines("einwohner", rows("einwohner", 3, "R"), delimiter="|")),
     ["Zeile 1", "keine bekannten Spaltennamen", "Semikolon"]),
    ("missing required column", "einwohner_2024-06-30.csv", _without(["geburtsdatum"]),
     ["Zeile 1", "Spalte geburtsdatum", "Pflichtspalte fehlt: geburtsdatum"]),
    ("missing two required columns", "einwohner_2024-06-30.csv",
     _without(["geschlecht", "wohnungsstatus"]),
     ["Spalte geschlecht, wohnungsstatus", "Pflichtspalten fehlen: geschlecht, wohnungsstatus"]),
    ("duplicate column (case-insensitive)", "einwohner_2024-06-30.csv", _duplicate_column(),
     ["Zeile 1", "Spalte geschlecht", "'geschlecht' kommt in der Kopfzeile mehrfach vor"]),
    ("unknown source", "bewohner_2024-06-30.csv", _EINWOHNER, ["Unbekannte Quelle 'bewohner'"]),
    ("no Stichtag in the name", "einwohner.csv", _EINWOHNER,
     ["folgt nicht dem Muster", "ohne gültigen Stichtag"]),
    ("German date in the name", "einwohner_30.06.2024.csv", _EINWOHNER,
     ["folgt nicht dem Muster"]),
    ("impossible Stichtag", "einwohner_2024-02-30.csv", _EINWOHNER,
     ["Das Datum im Dateinamen (2024-02-30) ist kein gültiges Datum."]),
    ("Stichtag in the future", f"einwohner_{future_day().isoformat()}.csv", _EINWOHNER,
     [f"Der Stichtag {future_day():%d.%m.%Y} liegt in der Zukunft."]),
    ("xlsx with an empty sheet", "einwohner_2024-06-30.xlsx", xlsx_bytes(None),
     ["Das erste Tabellenblatt der Excel-Datei ist leer."]),
    ("xlsx header not in row 1", "einwohner_2024-06-30.xlsx",
     xlsx_bytes([[None]] + xlsx_einwohner_table(3)),
     ["Zeile 1", "Kopfzeile steht nicht in Zeile 1"]),
    ("xlsx that is no workbook", "einwohner_2024-06-30.xlsx", _EINWOHNER,
     ["keine lesbare Excel-Datei"]),
    ("geojson bow-tie polygon", "raumgliederung_sozialraum_2025-01-01.geojson",
     geojson_bytes([good_areas()[0], feature(
         {"raum_id": "05999004-SR02", "raum_name": "Süd", "ags": "05999004"},
         bow_tie(481000, 5760000))]),
     ["Raum Nr. 2 (05999004-SR02)", "ungültige Geometrie", "Self-intersection"]),
    ("geojson overlapping areas", "raumgliederung_sozialraum_2025-01-01.geojson",
     geojson_bytes([good_areas()[0], feature(
         {"raum_id": "05999004-SR02", "raum_name": "Süd", "ags": "05999004"},
         square(480500, 5760000))]),
     ["Die Räume 05999004-SR01 und 05999004-SR02 überlappen sich"]),
    ("geojson missing raum_id", "raumgliederung_sozialraum_2025-01-01.geojson",
     geojson_bytes([good_areas()[0], feature({"raum_name": "Süd", "ags": "05999004"},
                                             square(481000, 5760000))]),
     ["Spalte raum_id", "Raum Nr. 2: die Eigenschaft raum_id fehlt."]),
    ("geojson duplicate raum_id", "raumgliederung_sozialraum_2025-01-01.geojson",
     geojson_bytes([good_areas()[0], feature(
         {"raum_id": "05999004-SR01", "raum_name": "Süd", "ags": "05999004"},
         square(481000, 5760000))]),
     ["Spalte raum_id", "Wert '05999004-SR01'", "raum_id kommt mehrfach vor"]),
    ("geojson point feature", "raumgliederung_sozialraum_2025-01-01.geojson",
     geojson_bytes([feature({"raum_id": "05999004-SR01", "raum_name": "Nord"},
                            [480500.0, 5760500.0], "Point"), good_areas()[1]]),
     ["Raum Nr. 1 (05999004-SR01): Geometrie vom Typ 'Point'",
      "nur Polygon und MultiPolygon"]),
    ("geojson empty collection", "raumgliederung_sozialraum_2025-01-01.geojson",
     geojson_bytes([]), ["enthält keine Räume"]),
    ("geojson not json", "raumgliederung_sozialraum_2025-01-01.geojson",
     b'{"type": "FeatureCollection", "features": [', ["kein gültiges GeoJSON"]),
    ("geojson unsupported crs", "raumgliederung_sozialraum_2025-01-01.geojson",
     b'{"type": "FeatureCollection", "crs": {"type": "name", "properties": '
     b'{"name": "urn:ogc:def:crs:EPSG::31467"}}, "features": []}',
     ["EPSG::31467 wird nicht unterstützt"]),
]


@pytest.mark.parametrize("name, data, fragments",
                         [pytest.param(*case[1:], id=case[0]) for case in REJECTED_FILES])
def test_bad_file_is_rejected_and_changes_nothing(wh, name, data, fragments):
    before = snapshot(wh.con)
    result = wh.ingest(name, data)
    assert_rejected(wh, before, result, name, data, fragments)


def test_file_in_the_wrong_inbox_folder_is_rejected(wh):
    before = snapshot(wh.con)
    result = wh.ingest("einwohner_2024-06-30.csv", _EINWOHNER, expected_source="sgb2")
    assert_rejected(wh, before, result, "einwohner_2024-06-30.csv", _EINWOHNER,
                    ["im Eingangsordner 'sgb2'", "nennt aber die Quelle 'einwohner'"])


def test_more_than_five_percent_row_errors_reject_the_file_with_a_full_error_report(wh):
    records = rows("einwohner", 20, "T")
    records[2] = row("einwohner", person_id="T03", geburtsdatum="31.02.2010")   # line 4
    records[9] = row("einwohner", person_id="T10", geschlecht="x")              # line 11
    records[16] = row("einwohner", person_id="T17", hausnummer="ohne")          # line 18
    name, data = "einwohner_2024-06-30.csv", csv_bytes(csv_lines("einwohner", records))
    before = snapshot(wh.con)
    result = wh.ingest(name, data)
    assert_rejected(wh, before, result, name, data, [
        "3 von 20 Zeilen", "mehr als erlaubt (5,0 %)", "die ganze Datei wurde abgewiesen",
        "Erster Fehler: Zeile 4, Spalte geburtsdatum, Wert '31.02.2010'"])
    report = error_report(wh.home, data, ".csv").read_text(encoding="utf-8")
    listed = [line for line in report.splitlines() if line.startswith("Zeile ")]
    assert listed == [
        "Zeile 4, Spalte geburtsdatum, Wert '31.02.2010': "
        "ungültiges Datum (erwartet TT.MM.JJJJ oder JJJJ-MM-TT)",
        "Zeile 11, Spalte geschlecht, Wert 'x': unbekannter Code (erlaubt: m, w, d, o)",
        "Zeile 18, Spalte hausnummer, Wert 'ohne': Hausnummer enthält keine Zahl",
    ]


def test_mapping_to_an_unknown_code_rejects_and_names_the_mapping_file_and_code(wh):
    mappings = wh.home.config / "mappings"
    mappings.mkdir()
    (mappings / "einwohner.yaml").write_text(
        "werte:\n  geschlecht:\n    männlich: m\n    weiblich: x\n", encoding="utf-8")
    data = csv_bytes(csv_lines("einwohner", rows("einwohner", 3, "M", geschlecht="weiblich")))
    before = snapshot(wh.con)
    result = wh.ingest("einwohner_2024-06-30.csv", data)
    assert_rejected(wh, before, result, "einwohner_2024-06-30.csv", data, [
        "Spalte geschlecht", "Wert 'weiblich'", "Zuordnungsdatei config/mappings/einwohner.yaml",
        "auf den unbekannten Code 'x'"])


def test_mapping_that_renames_to_an_unknown_column_rejects(wh):
    mappings = wh.home.config / "mappings"
    mappings.mkdir()
    (mappings / "einwohner.yaml").write_text("spalten:\n  Geb.-Datum: geburtstag\n",
                                              encoding="utf-8")
    before = snapshot(wh.con)
    result = wh.ingest("einwohner_2024-06-30.csv", _EINWOHNER)
    assert_rejected(wh, before, result, "einwohner_2024-06-30.csv", _EINWOHNER, [
        "config/mappings/einwohner.yaml", "'geb.-datum'", "unbekannte Spalte 'geburtstag'"])


# --------------------------------------------------------------------------- row errors

ROW_ERRORS = [
    # id, source, file name, cells common to all rows, cells of the bad row,
    # (column, value, reason) of every error of the bad row
    ("impossible date in a row", "einwohner", "einwohner_2024-06-30.csv", {},
     {"geburtsdatum": "31.02.2010"},
     [("geburtsdatum", "31.02.2010", "ungültiges Datum (erwartet TT.MM.JJJJ oder JJJJ-MM-TT)")]),
    ("impossible ISO date in a row", "einwohner", "einwohner_2024-06-30.csv", {},
     {"zuzug_datum": "2023-13-01"},
     [("zuzug_datum", "2023-13-01", "ungültiges Datum (erwartet TT.MM.JJJJ oder JJJJ-MM-TT)")]),
    ("birth after the Stichtag", "einwohner", "einwohner_2024-06-30.csv", {},
     {"geburtsdatum": "01.07.2024"},
     [("geburtsdatum", "01.07.2024", "Datum liegt nach dem Stichtag")]),
    ("age over 115", "einwohner", "einwohner_2024-06-30.csv", {},
     {"geburtsdatum": "30.06.1908"},       # 116 on 30.06.2024 (the birthday counts)
     [("geburtsdatum", "30.06.1908", "Alter über 115 Jahre am Stichtag")]),
    ("unknown geschlecht", "einwohner", "einwohner_2024-06-30.csv", {}, {"geschlecht": "x"},
     [("geschlecht", "x", "unbekannter Code (erlaubt: m, w, d, o)")]),
    ("missing required value", "einwohner", "einwohner_2024-06-30.csv", {},
     {"wohnungsstatus": ""}, [("wohnungsstatus", "", "Pflichtwert fehlt")]),
    ("nationality not a 3-digit code", "einwohner", "einwohner_2024-06-30.csv", {},
     {"staatsangehoerigkeit": "DE"},
     [("staatsangehoerigkeit", "DE", "unbekannter Code (erwartet: 3-stelliger Schlüssel)")]),
    ("non-numeric house number", "einwohner", "einwohner_2024-06-30.csv", {},
     {"hausnummer": "ohne"}, [("hausnummer", "ohne", "Hausnummer enthält keine Zahl")]),
    ("ags with letters", "einwohner", "einwohner_2024-06-30.csv", {}, {"ags": "0599A004"},
     [("ags", "0599A004", "ungültiger Gemeindeschlüssel (8 Ziffern)")]),
    ("postcode with letters", "einwohner", "einwohner_2024-06-30.csv", {}, {"plz": "D-32756"},
     [("plz", "D-32756", "ungültige Postleitzahl (5 Ziffern)")]),
    ("unknown hilfeart", "hze", "hze_2023-12-31.csv", {}, {"hilfeart": "36"},
     [("hilfeart", "36", "unbekannter Code (erlaubt: 27_2, 28, 29, 30, 31, 32, 33, 34, 35, "
                         "35a, 41, 42)")]),
    ("ende before beginn", "hze", "hze_2023-12-31.csv", {},
     {"beginn": "01.06.2023", "ende": "31.05.2023"},
     [("ende", "31.05.2023", "Ende liegt vor dem Beginn")]),
    ("negative costs", "hze", "hze_2023-12-31.csv", {}, {"kosten_euro": "-1.200,50"},
     [("kosten_euro", "-1.200,50", "Wert kleiner als 0 (nicht erlaubt)")]),
    ("costs not a number", "hze", "hze_2023-12-31.csv", {}, {"kosten_euro": "ca. 500"},
     [("kosten_euro", "ca. 500", "keine gültige Zahl")]),
    ("arbeitslos vielleicht", "sgb2", "sgb2_2024-06-30.csv", {}, {"arbeitslos": "vielleicht"},
     [("arbeitslos", "vielleicht", "kein Ja/Nein-Wert (erwartet J oder N)")]),
    ("unknown leistungsberechtigung", "sgb2", "sgb2_2024-06-30.csv", {},
     {"leistungsberechtigung": "XYZ"},
     [("leistungsberechtigung", "XYZ", "unbekannter Code (erlaubt: ELB, NEF, SLB, KOL, AUS)")]),
    ("schuljahr 2024/26", "schule", "schule_2024-10-15.csv",
     {"ags": "05999008", "strasse": "Schützenweg", "hausnummer": "4"}, {"schuljahr": "2024/26"},
     [("schuljahr", "2024/26", "kein gültiges Schuljahr (erwartet z. B. 2024/25)")]),
    ("kita hours not a number", "kita", "kita_2025-03-01.csv", {}, {"wochenstunden": "viel"},
     [("wochenstunden", "viel", "keine gültige Zahl")]),
]


@pytest.mark.parametrize("source, name, common, bad_cells, errors",
                         [pytest.param(*case[1:], id=case[0]) for case in ROW_ERRORS])
def test_row_error_is_quarantined_and_the_rest_loads(wh, source, name, common, bad_cells, errors):
    good = rows(source, 20, "G", **common)
    bad = row(source, **{**common, **bad_cells})
    lines, good_lines, bad_line = insert_bad(source, good, 5, bad)
    assert bad_line == 7
    before = snapshot(wh.con)
    result = wh.ingest(name, csv_bytes(lines))
    assert_partly_loaded(wh, before, result, source, lines, good_lines,
                         [(bad_line, column, value, reason) for column, value, reason in errors])
    assert result.message == "20 Zeilen geladen, 1 in Quarantäne."


def test_age_115_exactly_is_no_error_and_116_is(wh):
    good = rows("einwohner", 20, "G")
    good[0]["geburtsdatum"] = "01.07.1908"     # 115 on 30.06.2024
    good[1]["geburtsdatum"] = "1909-06-30"     # 115, birthday on the Stichtag
    lines, good_lines, bad_line = insert_bad("einwohner", good, 20,
                                             row("einwohner", person_id="OLD",
                                                 geburtsdatum="30.06.1908"))
    before = snapshot(wh.con)
    result = wh.ingest("einwohner_2024-06-30.csv", csv_bytes(lines))
    assert_partly_loaded(wh, before, result, "einwohner", lines, good_lines,
                         [(22, "geburtsdatum", "30.06.1908", "Alter über 115 Jahre am Stichtag")])


def test_duplicate_key_quarantines_every_row_with_that_key(wh):
    records = rows("einwohner", 40, "D")
    records[9] = row("einwohner", person_id="D03", geburtsdatum="02.02.1990")   # line 11
    lines = csv_lines("einwohner", records)
    before = snapshot(wh.con)
    result = wh.ingest("einwohner_2024-06-30.csv", csv_bytes(lines))
    reason = "Schlüssel (person_id) mehrfach in der Lieferung"
    good_lines = [n for n in range(2, 42) if n not in (4, 11)]
    assert_partly_loaded(wh, before, result, "einwohner", lines, good_lines,
                         [(4, "person_id", "D03", reason), (11, "person_id", "D03", reason)])


def test_truncated_last_line_is_quarantined(wh):
    lines = csv_lines("einwohner", rows("einwohner", 20, "C"))
    lines[-1] = lines[-1][: lines[-1].index(";H;")]          # cut before wohnungsstatus
    data = "\n".join(lines).encode("utf-8")                   # and no final line end
    before = snapshot(wh.con)
    result = wh.ingest("einwohner_2024-06-30.csv", data)
    ragged = "Zeile hat nicht so viele Felder wie die Kopfzeile (abgeschnitten?)"
    missing = "Pflichtwert fehlt"
    assert_partly_loaded(wh, before, result, "einwohner", lines, list(range(2, 21)), [
        (21, None, None, ragged),
        (21, "ags", "", missing), (21, "hausnummer", "", missing),
        (21, "strasse", "", missing), (21, "wohnungsstatus", "", missing),
    ])


def test_exactly_five_percent_row_errors_still_load(wh):
    """1 of 20 rows is exactly 5 %: the rule rejects only *more* than 5 %."""
    lines, good_lines, bad_line = insert_bad(
        "einwohner", rows("einwohner", 19, "F"), 9, row("einwohner", person_id="BAD",
                                                          geschlecht="x"))
    before = snapshot(wh.con)
    result = wh.ingest("einwohner_2024-06-30.csv", csv_bytes(lines))
    assert result.rows_total == 20
    assert_partly_loaded(wh, before, result, "einwohner", lines, good_lines,
                         [(11, "geschlecht", "x", "unbekannter Code (erlaubt: m, w, d, o)")])


def test_two_of_twenty_rows_are_more_than_five_percent(wh):
    records = rows("einwohner", 20, "F")
    records[3]["geschlecht"] = "x"
    records[4]["geschlecht"] = "y"
    data = csv_bytes(csv_lines("einwohner", records))
    before = snapshot(wh.con)
    result = wh.ingest("einwohner_2024-06-30.csv", data)
    assert_rejected(wh, before, result, "einwohner_2024-06-30.csv", data,
                    ["2 von 20 Zeilen (10,0 %)", "Erster Fehler: Zeile 5, Spalte geschlecht"])


PLAUSIBILITY = [
    # A placeholder date (01.01.1900 for "unknown") is a possible date, and an implausible
    # einschulungsjahr is a valid JJJJ: neither breaks a row rule of the contract. One such
    # row among 21 must not reject the whole file: it either loads or is quarantined (1 of
    # 21 rows is below the 5 % rule). The GX suite (second line of defence) must not be
    # stricter than the loader's row checks.
    ("placeholder zuzug_datum 01.01.1900", "einwohner", "einwohner_2024-06-30.csv",
     {"zuzug_datum": "01.01.1900"}),
    ("einschulungsjahr far off", "seu", "seu_2024-06-30.csv", {"einschulungsjahr": "2052"}),
]


@pytest.mark.parametrize("source, name, bad_cells",
                         [pytest.param(*case[1:], id=case[0]) for case in PLAUSIBILITY])
def test_one_implausible_but_valid_value_does_not_reject_the_file(wh, source, name, bad_cells):
    lines, good_lines, bad_line = insert_bad(source, rows(source, 20, "G"), 5,
                                             row(source, **bad_cells))
    before = snapshot(wh.con)
    result = wh.ingest(name, csv_bytes(lines))
    assert result.status == "loaded", result.message
    assert result.rows_loaded + result.rows_quarantined == 21
    assert result.rows_quarantined <= 1
    after = snapshot(wh.con)
    assert {t: p for t, p in after.tables.items() if t != source} == {
        t: p for t, p in before.tables.items() if t != source}
    assert table_fingerprint(wh.con, source, "delivery_id <> ?", [result.delivery_id]) == \
        before.tables[source]
    loaded = wh.con.execute(f"select count(*) from raw.{source} where delivery_id = ?",
                            [result.delivery_id]).fetchone()[0]
    assert loaded == result.rows_loaded


def test_extra_columns_and_header_spelling_are_tolerated_with_a_warning(wh):
    records = rows("einwohner", 4, "H")
    lines = csv_lines("einwohner", records)
    lines[0] = ";".join(f" {c.upper()} " for c in header("einwohner")) + ";Bemerkung"
    lines[1:] = [line + ";frei" for line in lines[1:]]
    before = snapshot(wh.con)
    result = wh.ingest("einwohner_2024-06-30.csv", csv_bytes(lines, encoding="utf-8-sig"))
    assert_only_new_rows(wh, before, result, "einwohner", 4)
    assert result.warnings == ["Zusätzliche Spalten ignoriert: bemerkung"]
    logged = log_row(wh.con, result.delivery_id)
    assert "Zusätzliche Spalten ignoriert: bemerkung" in logged["message"]
    assert logged["encoding"] == "utf-8-sig"


def test_a_rejected_file_sent_again_is_rejected_again_not_a_duplicate(wh):
    data = _without(["geburtsdatum"])
    first = wh.ingest("einwohner_2024-06-30.csv", data)
    before = snapshot(wh.con)
    second = wh.ingest("einwohner_2024-06-30.csv", data)
    assert first.status == "rejected"
    assert_rejected(wh, before, second, "einwohner_2024-06-30.csv", data,
                    ["Pflichtspalte fehlt: geburtsdatum"])


# --------------------------------------------------------------------------- files that load


def assert_only_new_rows(wh: Warehouse, before: Snapshot, result: IngestResult, table: str,
                         count: int) -> None:
    """Loaded without row errors: `table` grew by exactly `count` rows, nothing else changed."""
    assert_partly_loaded(wh, before, result, table, [], list(range(2, count + 2)), [])


def test_unmatched_address_is_no_error_at_load_time(wh):
    """A street missing from the register loads; the person counts for the municipality,
    falls into `<ags>-OZ` and lowers the published match rate (dbt
    `mart_adressabgleich`, min_zuordnungsquote) -- contracts.md, "Address columns"."""
    records = rows("einwohner", 5, "U")
    records[2]["strasse"] = "Neue Gasse"
    records[2]["hausnummer"] = "7 b"
    before = snapshot(wh.con)
    result = wh.ingest("einwohner_2024-06-30.csv", csv_bytes(csv_lines("einwohner", records)))
    assert_only_new_rows(wh, before, result, "einwohner", 5)
    loaded = wh.con.execute(
        "select strasse, strasse_norm, hausnummer, hausnummer_zusatz_norm from raw.einwohner "
        "where delivery_id = ? and line_no = 4", [result.delivery_id]).fetchone()
    assert loaded == ("Neue Gasse", "neuegasse", 7, "b")
    in_register = wh.con.execute(
        "select count(*) from raw.adressen where strasse_norm = 'neuegasse'").fetchone()[0]
    assert in_register == 0


def test_reference_to_an_unknown_person_loads(wh):
    """`ehegatte_id` naming nobody in the delivery is no row error in the contract; the
    loader hashes it like any identifier and loads the row."""
    records = rows("einwohner", 5, "E")
    records[1]["ehegatte_id"] = "NIEMAND"
    records[1]["familienstand"] = "VH"
    before = snapshot(wh.con)
    result = wh.ingest("einwohner_2024-06-30.csv", csv_bytes(csv_lines("einwohner", records)))
    assert_only_new_rows(wh, before, result, "einwohner", 5)
    spouse, = wh.con.execute("select ehegatte_id from raw.einwohner where delivery_id = ? "
                             "and line_no = 3", [result.delivery_id]).fetchone()
    assert len(spouse) == 32 and spouse != "NIEMAND"
    unknown = wh.con.execute("select count(*) from raw.einwohner where person_id = ?",
                             [spouse]).fetchone()[0]
    assert unknown == 0


def test_valid_xlsx_delivery_loads(wh):
    before = snapshot(wh.con)
    result = wh.ingest("einwohner_2024-06-30_excel.xlsx", xlsx_bytes(xlsx_einwohner_table(6)))
    assert_only_new_rows(wh, before, result, "einwohner", 6)
    loaded = wh.con.execute(
        "select line_no, geburtsdatum, ags, hausnummer, plz from raw.einwohner "
        "where delivery_id = ? order by line_no", [result.delivery_id]).fetchall()
    assert [r[0] for r in loaded] == list(range(2, 8))
    assert [r[1].year for r in loaded] == list(range(1971, 1977))
    assert {(r[2], r[3], r[4]) for r in loaded} == {("05999004", 12, "32756")}
    assert log_row(wh.con, result.delivery_id)["encoding"] == "xlsx"


def test_mapping_that_renames_columns_and_recodes_values_loads(wh):
    mappings = wh.home.config / "mappings"
    mappings.mkdir()
    (mappings / "einwohner.yaml").write_text(
        "spalten:\n  Geb.-Datum: geburtsdatum\n  Geschlecht_Text: geschlecht\n"
        "werte:\n  geschlecht:\n    männlich: m\n    weiblich: w\n", encoding="utf-8")
    records = rows("einwohner", 4, "M", geschlecht="weiblich")
    records[0]["geschlecht"] = "Männlich"
    columns = ["Geb.-Datum" if c == "geburtsdatum" else "Geschlecht_Text" if c == "geschlecht"
               else c for c in header("einwohner")]
    lines = csv_lines("einwohner", records)
    lines[0] = ";".join(columns)
    before = snapshot(wh.con)
    result = wh.ingest("einwohner_2024-06-30.csv", csv_bytes(lines))
    assert_only_new_rows(wh, before, result, "einwohner", 4)
    loaded = wh.con.execute("select geschlecht, geburtsdatum from raw.einwohner "
                            "where delivery_id = ? order by line_no", [result.delivery_id]).fetchall()
    assert [r[0] for r in loaded] == ["m", "w", "w", "w"]
    assert all(str(r[1]) == "1980-01-01" for r in loaded)


def test_unknown_delivered_value_after_mapping_is_a_row_error(wh):
    mappings = wh.home.config / "mappings"
    mappings.mkdir()
    (mappings / "einwohner.yaml").write_text(
        "werte:\n  geschlecht:\n    männlich: m\n    weiblich: w\n", encoding="utf-8")
    good = rows("einwohner", 20, "G", geschlecht="weiblich")
    lines, good_lines, bad_line = insert_bad("einwohner", good, 3,
                                             row("einwohner", person_id="BAD",
                                                 geschlecht="unbestimmt"))
    before = snapshot(wh.con)
    result = wh.ingest("einwohner_2024-06-30.csv", csv_bytes(lines))
    assert_partly_loaded(wh, before, result, "einwohner", lines, good_lines,
                         [(5, "geschlecht", "unbestimmt", "unbekannter Code (erlaubt: m, w, d, o)")])


def test_same_file_twice_is_a_duplicate_and_changes_nothing(wh):
    name, data = GOOD_DELIVERIES[3]
    first_id = [r[0] for r in snapshot(wh.con).log if r[1] == name][0]
    before = snapshot(wh.con)
    result = wh.ingest(name, data)
    assert result.status == "duplicate", result.message
    assert f"bereits geladen (Lieferung {first_id})" in result.message
    after = snapshot(wh.con)
    assert after.tables == before.tables
    assert after.quarantine == before.quarantine
    assert after.log == [*before.log, (result.delivery_id, name, "duplicate")]
    # under another name, too: the content decides
    again = wh.ingest("einwohner_2024-12-31_nochmal.csv", data)
    assert again.status == "duplicate"
    assert snapshot(wh.con).tables == before.tables


def test_same_geojson_twice_is_a_duplicate(wh):
    name, data = GOOD_DELIVERIES[1]
    before = snapshot(wh.con)
    result = wh.ingest(name, data)
    assert result.status == "duplicate", result.message
    assert snapshot(wh.con).tables == before.tables


def test_redelivery_replaces_exactly_its_source_stichtag_and_municipality(wh):
    before = snapshot(wh.con)
    old = {r[1]: r[0] for r in before.log}
    old_id = old["einwohner_2024-12-31_05999004.csv"]

    def rows_of(where, params=()):
        return table_fingerprint(wh.con, "einwohner", where, params)

    untouched_before = rows_of("not (stichtag = '2024-12-31' and ags = '05999004')")
    assert rows_of("delivery_id = ?", [old_id])[0] == 20
    new = rows("einwohner", 7, "N")
    result = wh.ingest("einwohner_2024-12-31_05999004_korrektur.csv",
                       csv_bytes(csv_lines("einwohner", new)))
    assert result.status == "loaded", result.message
    assert f"ersetzt Lieferung(en) {old_id}" in result.message
    assert rows_of("delivery_id = ?", [old_id]) == (0, 0)
    assert rows_of("stichtag = '2024-12-31' and ags = '05999004'")[0] == 7
    assert rows_of("delivery_id = ?", [result.delivery_id])[0] == 7
    assert rows_of("not (stichtag = '2024-12-31' and ags = '05999004')") == untouched_before
    after = snapshot(wh.con)
    for table, print_before in before.tables.items():
        if table != "einwohner":
            assert after.tables[table] == print_before
    statuses = {r[0]: r[2] for r in after.log}
    assert statuses[old_id] == "replaced"
    assert {k: v for k, v in statuses.items() if k not in (old_id, result.delivery_id)} == {
        r[0]: r[2] for r in before.log if r[0] != old_id}
    # the replaced file stays in the archive and the log
    archived = Path(log_row(wh.con, old_id)["archive_path"])
    assert archived.read_bytes() == GOOD_DELIVERIES[3][1]


def test_partial_redelivery_keeps_the_other_municipality_of_a_multi_municipality_file(wh):
    """sgb2 2024-12-31 came as one file for 05999004 and 05999008; a correction for 05999004
    replaces only those rows, and the old delivery stays `loaded` (rows of it remain)."""
    before = snapshot(wh.con)
    old_id = {r[1]: r[0] for r in before.log}["sgb2_2024-12-31.csv"]
    kept = table_fingerprint(wh.con, "sgb2", "ags = '05999008'")
    result = wh.ingest("sgb2_2024-12-31_korrektur.csv",
                       csv_bytes(csv_lines("sgb2", rows("sgb2", 3, "K"))))
    assert result.status == "loaded", result.message
    assert table_fingerprint(wh.con, "sgb2", "ags = '05999008'") == kept
    assert table_fingerprint(wh.con, "sgb2", "ags = '05999004'")[0] == 3
    assert log_row(wh.con, old_id)["status"] == "loaded"


def test_rejected_redelivery_keeps_the_earlier_rows(wh):
    """A broken correction must not delete what it was meant to replace."""
    records = rows("einwohner", 20, "N")
    for i in (1, 2):
        records[i]["geburtsdatum"] = "31.02.2000"
    name = "einwohner_2024-12-31_05999004_korrektur.csv"
    data = csv_bytes(csv_lines("einwohner", records))
    before = snapshot(wh.con)
    result = wh.ingest(name, data)
    assert_rejected(wh, before, result, name, data, ["2 von 20 Zeilen"])


# --------------------------------------------------------------------------- the CLI


def test_spm_ingest_of_a_bad_file_exits_1_and_names_file_line_and_column(wh, tmp_path):
    records = rows("einwohner", 20, "T")
    records[5]["geburtsdatum"] = "31.02.2010"       # line 7
    records[6]["geschlecht"] = "x"                  # line 8
    path = wh.write("einwohner_2024-06-30.csv", csv_bytes(csv_lines("einwohner", records)))
    before = snapshot(wh.con)
    wh.con.close()
    spm = Path(sys.executable).with_name("spm")
    done = subprocess.run([str(spm), "--home", str(wh.home.root), "ingest", str(path)],
                          capture_output=True, text=True, timeout=120,
                          env={**os.environ, "PYTHONIOENCODING": "utf-8"})
    assert done.returncode == 1, done.stdout + done.stderr
    assert "ABGEWIESEN" in done.stdout
    for fragment in ("Datei einwohner_2024-06-30.csv", "Zeile 7", "Spalte geburtsdatum",
                     "Wert '31.02.2010'", "1 von 1 Datei(en) abgewiesen"):
        assert fragment in done.stdout, (fragment, done.stdout)
    wh.con = warehouse.connect(wh.home)
    after = snapshot(wh.con)
    assert after.tables == before.tables
    assert after.log[-1][1:] == ("einwohner_2024-06-30.csv", "rejected")


# --------------------------------------------------------------------------- end to end


def test_nightly_run_with_only_rejected_files_publishes_unchanged_values(demo_run, tmp_path):
    from dagster_project.cli.main import run_pipeline
    from dagster_project.environment import activate

    saved_environment = dict(os.environ)
    root = tmp_path / "home"
    # The DuckDB extensions installed in the home remember the absolute path of the
    # repository they came from; a copy at another path must install them again (else dbt:
    # "The extension is already installed but the origin is different").
    shutil.copytree(demo_run.home.root, root,
                    ignore=shutil.ignore_patterns(demo_run.home.ext_dir.name))
    try:
        home = activate(root)

        def published() -> pd.DataFrame:
            con = duckdb.connect(str(home.published_db), read_only=True)
            try:
                frame = con.execute("select * from indikatorwerte").df()
            finally:
                con.close()
            return frame.sort_values(list(frame.columns)).reset_index(drop=True)

        before = published()
        assert len(before) > 0
        over_threshold = rows("einwohner", 20, "Z", ags="05999004")
        for i in (2, 3):
            over_threshold[i]["geschlecht"] = "x"
        bad_files = {
            ("einwohner", "einwohner_2025-12-31_kaputt.csv"):
                csv_bytes(csv_lines("einwohner", over_threshold)),
            ("sgb2", "sgb2_2025-12-31.csv"): csv_bytes(csv_lines(
                "sgb2", rows("sgb2", 3, "S"),
                columns=[c for c in header("sgb2") if c != "leistungsberechtigung"])),
            ("hze", "sgb2_2025-12-31_falscher_ordner.csv"):
                csv_bytes(csv_lines("sgb2", rows("sgb2", 3, "S"))),
            ("kita", "kita.csv"): csv_bytes(csv_lines("kita", rows("kita", 3, "K"))),
            ("schule", "schule_2025-10-15.csv"): bytes(range(256)) * 4,
            ("raumgliederung", "raumgliederung_sozialraum_2026-01-01.geojson"): geojson_bytes(
                [good_areas()[0], feature({"raum_id": "X", "raum_name": "X"},
                                          square(480500, 5760000))]),
        }
        for (folder, name), data in bad_files.items():
            (home.inbox / folder / name).write_bytes(data)
        assert run_pipeline(home), "the nightly run must not fail because of rejected files"
        pd.testing.assert_frame_equal(published(), before)
        con = duckdb.connect(str(home.warehouse), read_only=True)
        try:
            logged = dict(con.execute(
                "select file_name, status from raw.delivery_log where file_name in "
                "(select unnest(?::varchar[]))", [[name for _, name in bad_files]]).fetchall())
        finally:
            con.close()
        assert logged == {name: "rejected" for _, name in bad_files}
        assert not [p for p in home.inbox.rglob("*") if p.is_file()], "inbox not emptied"
    finally:
        os.environ.clear()
        os.environ.update(saved_environment)
