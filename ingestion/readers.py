"""Reading delivered files: file names, encodings, delimiters, headers, dates."""

import csv
import io
import re
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path

import pandas as pd

from ingestion.errors import DeliveryRejected

_FILE_NAME = re.compile(
    r"^(?P<source>[a-z0-9]+)_(?P<date>\d{4}-\d{2}-\d{2})(?:_(?P<text>[^.]*))?\.(?P<ext>csv|xlsx)$",
    re.IGNORECASE,
)
_GEO_FILE_NAME = re.compile(
    r"^raumgliederung_(?P<gliederung>[a-z0-9]+)_(?P<date>\d{4}-\d{2}-\d{2})(?:_[^.]*)?\.geojson$",
    re.IGNORECASE,
)


@dataclass(frozen=True)
class FileName:
    source: str
    stichtag: date
    extension: str
    gliederung: str | None = None


def _parse_iso(file_name: str, text: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise DeliveryRejected(
            file_name, f"Das Datum im Dateinamen ({text}) ist kein gültiges Datum."
        ) from None


def parse_file_name(file_name: str, known_sources: tuple[str, ...]) -> FileName:
    """Source and Stichtag from `<source>_<YYYY-MM-DD>[_<text>].csv|xlsx` (or the GeoJSON form)."""
    geo = _GEO_FILE_NAME.match(file_name)
    if geo:
        return FileName("raumgliederung", _parse_iso(file_name, geo["date"]), "geojson",
                        geo["gliederung"].lower())
    match = _FILE_NAME.match(file_name)
    if not match:
        raise DeliveryRejected(
            file_name,
            "Der Dateiname folgt nicht dem Muster <quelle>_<JJJJ-MM-TT>[_<text>].csv "
            "(bzw. .xlsx oder raumgliederung_<gliederung>_<JJJJ-MM-TT>.geojson); "
            "ohne gültigen Stichtag im Namen kann die Lieferung nicht zugeordnet werden.",
        )
    source = match["source"].lower()
    if source not in known_sources:
        raise DeliveryRejected(
            file_name,
            f"Unbekannte Quelle {source!r} im Dateinamen; erlaubt sind: {', '.join(known_sources)}.",
        )
    return FileName(source, _parse_iso(file_name, match["date"]), match["ext"].lower())


def decode(file_name: str, data: bytes) -> tuple[str, str]:
    """Text and encoding name: UTF-8 (with or without BOM) or Windows-1252, else rejected."""
    if not data.strip():
        raise DeliveryRejected(file_name, "Die Datei ist leer.")
    if data.startswith((b"\xff\xfe", b"\xfe\xff")) or b"\x00" in data:
        raise DeliveryRejected(
            file_name,
            "Die Datei ist keine Textdatei in UTF-8 oder Windows-1252 (z. B. UTF-16 oder binär).",
        )
    if data.startswith(b"\xef\xbb\xbf"):
        encoding = "utf-8-sig"
    else:
        encoding = "utf-8"
    try:
        text = data.decode(encoding)
    except UnicodeDecodeError:
        try:
            text = data.decode("cp1252")
            encoding = "cp1252"
        except UnicodeDecodeError as exc:
            raise DeliveryRejected(
                file_name,
                "Die Zeichenkodierung ist weder UTF-8 noch Windows-1252 "
                f"(unbekanntes Byte an Position {exc.start}).",
            ) from None
    controls = sum(1 for ch in text[:4096] if ord(ch) < 32 and ch not in "\r\n\t")
    if controls > 8:
        raise DeliveryRejected(file_name, "Die Datei enthält Binärdaten und ist keine CSV-Datei.")
    return text, encoding


def _header_names(line: str, delimiter: str) -> list[str]:
    return [name.strip().strip('"').strip().lower() for name in line.split(delimiter)]


def detect_delimiter(file_name: str, header_line: str, expected: list[str]) -> str:
    """`;` by default; `,` or tab if that header is unambiguous (it holds known column names)."""
    expected_set = set(expected)
    best, best_hits = None, 0
    for delimiter in (";", ",", "\t"):
        names = _header_names(header_line, delimiter)
        hits = len(expected_set.intersection(names))
        if hits > best_hits:
            best, best_hits = delimiter, hits
    if best is None or best_hits < 2:
        raise DeliveryRejected(
            file_name,
            "Die Kopfzeile enthält keine bekannten Spaltennamen; erwartet wird eine Kopfzeile "
            f"mit Semikolon als Trennzeichen, z. B. {';'.join(expected[:4])};…",
            line=1,
        )
    return best


@dataclass
class Table:
    """A delivered table as text cells, with the file's line number of every row."""

    frame: pd.DataFrame          # all columns as str ('' for empty), canonical lower-case names
    line_numbers: list[int]
    lines: dict[int, str]        # original text of every line, by line number
    extra_columns: list[str]
    encoding: str
    ragged_rows: list[int]       # line numbers of rows whose field count differs from the header


@dataclass(frozen=True)
class Mapping:
    """A per-source mapping file: column renames and value recodes (config/mappings/<source>.yaml)."""

    name: str
    columns: dict[str, str]                  # delivered name (lower case) -> canonical name
    values: dict[str, dict[str, str]]        # canonical column -> delivered value -> code

    def rename(self, name: str) -> str:
        return self.columns.get(name, name)


NO_MAPPING = Mapping("", {}, {})


def read_table(file_name: str, extension: str, data: bytes, expected: list[str],
               required: list[str], mapping: Mapping = NO_MAPPING) -> Table:
    """Parse a CSV or XLSX delivery into a `Table`; a structural problem rejects the file."""
    if extension == "xlsx":
        return _xlsx_table(file_name, data, expected, required, mapping)
    return _csv_table(file_name, data, expected, required, mapping)


def _csv_table(file_name: str, data: bytes, expected: list[str], required: list[str],
               mapping: Mapping) -> Table:
    text, encoding = decode(file_name, data)
    lines_list = text.splitlines()
    header_index = next((i for i, line in enumerate(lines_list) if line.strip()), None)
    if header_index is None:
        raise DeliveryRejected(file_name, "Die Datei ist leer.")
    known_names = list(dict.fromkeys([*expected, *mapping.columns]))
    delimiter = detect_delimiter(file_name, lines_list[header_index], known_names)
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    header: list[str] | None = None
    rows: list[list[str]] = []
    line_numbers: list[int] = []
    ragged_rows: list[int] = []
    for fields in reader:
        if header is None:
            if not any(f.strip() for f in fields):
                continue
            header = [f.strip().strip("\ufeff") for f in fields]
            continue
        if not any(f.strip() for f in fields):
            continue
        line_no = reader.line_num
        if len(fields) != len(header):
            ragged_rows.append(line_no)
            fields = (fields + [""] * len(header))[: len(header)]
        rows.append([f.strip() for f in fields])
        line_numbers.append(line_no)
    assert header is not None
    lines = {n: lines_list[n - 1] if n - 1 < len(lines_list) else "" for n in line_numbers}
    return _build_table(file_name, header, rows, line_numbers, lines, expected, required,
                        mapping, encoding, ragged_rows)


def _xlsx_cell(value) -> str:
    if value is None:
        return ""
    if isinstance(value, datetime):
        return value.date().isoformat() if value.time() == datetime.min.time() else value.isoformat()
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value).strip()


def _xlsx_table(file_name: str, data: bytes, expected: list[str], required: list[str],
                mapping: Mapping) -> Table:
    import zipfile

    from openpyxl import load_workbook

    try:
        workbook = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except (zipfile.BadZipFile, KeyError, ValueError, OSError) as exc:
        raise DeliveryRejected(file_name, f"Die Datei ist keine lesbare Excel-Datei (xlsx): {exc}") from None
    try:
        if not workbook.worksheets:
            raise DeliveryRejected(file_name, "Die Excel-Datei enthält kein Tabellenblatt.")
        sheet = workbook.worksheets[0]
        header: list[str] | None = None
        rows, line_numbers, lines, ragged_rows = [], [], {}, []
        for row_no, values in enumerate(sheet.iter_rows(values_only=True), start=1):
            cells = [_xlsx_cell(v) for v in values]
            if header is None:
                if not any(cells):
                    raise DeliveryRejected(
                        file_name, "Das erste Tabellenblatt ist leer oder die Kopfzeile steht "
                        "nicht in Zeile 1.", line=1)
                while cells and not cells[-1]:
                    cells.pop()
                header = cells
                continue
            if not any(cells):
                continue
            if len(cells) < len(header):
                cells += [""] * (len(header) - len(cells))
            elif any(cells[len(header):]):
                ragged_rows.append(row_no)
            cells = cells[: len(header)]
            rows.append(cells)
            line_numbers.append(row_no)
            lines[row_no] = ";".join(cells)
        if header is None:
            raise DeliveryRejected(file_name, "Das erste Tabellenblatt der Excel-Datei ist leer.")
    finally:
        workbook.close()
    return _build_table(file_name, header, rows, line_numbers, lines, expected, required,
                        mapping, "xlsx", ragged_rows)


def _build_table(file_name: str, raw_header: list[str], rows: list[list[str]],
                 line_numbers: list[int], lines: dict[int, str], expected: list[str],
                 required: list[str], mapping: Mapping, encoding: str,
                 ragged_rows: list[int]) -> Table:
    header = [mapping.rename(name.strip().lower()) for name in raw_header]
    _check_header(file_name, header, required)
    if not rows:
        raise DeliveryRejected(file_name, "Die Datei enthält nur die Kopfzeile und keine Datenzeilen.")
    frame = pd.DataFrame(rows, columns=header, dtype="str")
    known = [c for c in header if c in expected]
    extra = [c for c in header if c not in expected and c]
    frame = frame[known]
    for column, recodes in mapping.values.items():
        if column in frame.columns and recodes:
            frame[column] = frame[column].map(lambda v, r=recodes: r.get(v, r.get(v.lower(), v)))
    return Table(frame, line_numbers, lines, extra, encoding, ragged_rows)


def _check_header(file_name: str, header: list[str], required: list[str]) -> None:
    seen: set[str] = set()
    for name in header:
        if name and name in seen:
            raise DeliveryRejected(
                file_name, f"Die Spalte {name!r} kommt in der Kopfzeile mehrfach vor.",
                line=1, column=name,
            )
        seen.add(name)
    missing = [name for name in required if name not in seen]
    if missing:
        label = "Pflichtspalte fehlt" if len(missing) == 1 else "Pflichtspalten fehlen"
        raise DeliveryRejected(
            file_name, f"{label}: {', '.join(missing)}. Es wurde nichts geladen.",
            line=1, column=", ".join(missing),
        )


_DATE_DE = re.compile(r"^\d{1,2}\.\d{1,2}\.\d{4}$")
_DATE_ISO = re.compile(r"^\d{4}-\d{2}-\d{2}$")


def parse_dates(values: pd.Series) -> pd.Series:
    """`TT.MM.JJJJ` or `JJJJ-MM-TT` to datetime64; '' and impossible dates become NaT."""
    values = values.astype("str")
    result = pd.Series(pd.NaT, index=values.index, dtype="datetime64[s]")
    german = values.str.match(_DATE_DE)
    iso = values.str.match(_DATE_ISO)
    if german.any():
        result[german] = pd.to_datetime(values[german], format="%d.%m.%Y", errors="coerce")
    if iso.any():
        result[iso] = pd.to_datetime(values[iso], format="%Y-%m-%d", errors="coerce")
    return result


def read_path(path: Path) -> bytes:
    return path.read_bytes()
