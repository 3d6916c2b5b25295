"""Reading delivered files: file names, encodings, delimiters, headers; the cells of a
tabular delivery go into a DuckDB session table (`delivery_cells`), split set-wise where
every line is one record, through the csv module where quotes make that unsafe."""

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


# Unicode whitespace exactly as Python's `str.strip()` sees it, for DuckDB's `trim(s, chars)`
WHITESPACE = ("\t\n\x0b\x0c\r\x1c\x1d\x1e\x1f \x85\xa0\u1680\u2000\u2001\u2002\u2003\u2004"
              "\u2005\u2006\u2007\u2008\u2009\u200a\u2028\u2029\u202f\u205f\u3000")
# Whitespace other than the blank (and the line break between records): where a text has
# none, DuckDB's plain `trim` strips a cell as `str.strip()` would, at a tenth of the cost.
_OTHER_SPACE = WHITESPACE.replace(" ", "").replace("\n", "")
# Name of the session-local table that holds the delivery being loaded: its records as
# lines (`line_no`, `line`) where every line is one record, else its cells (below).
CELLS = "delivery_cells"


@dataclass
class Table:
    """A delivered table, as the temporary DuckDB table `delivery_cells` of the connection.

    `cells_sql.format(table=...)` is a select over a table shaped like `delivery_cells` (plus
    any further columns, which it keeps, e.g. a `file_no`) that gives `line_no` (the file's
    line number of the row), `original_line`, `ragged` (field count differs from the header)
    and one VARCHAR per known column in `columns`: trimmed, mapped values, '' for empty.
    Where every line is one record, `delivery_cells` holds only the lines and the select
    splits them (a table of one text per record is cheaper to build, copy and keep than one
    of a dozen cells); files with the same `cells_sql` can be checked together.
    """

    columns: list[str]           # known canonical columns of the header, in file order
    extra_columns: list[str]
    encoding: str
    rows: int
    cells_sql: str = "select * from {table}"


@dataclass(frozen=True)
class Mapping:
    """A per-source mapping file: column renames and value recodes (config/mappings/<source>.yaml)."""

    name: str
    columns: dict[str, str]                  # delivered name (lower case) -> canonical name
    values: dict[str, dict[str, str]]        # canonical column -> delivered value -> code

    def rename(self, name: str) -> str:
        return self.columns.get(name, name)


NO_MAPPING = Mapping("", {}, {})


def read_table(con, file_name: str, extension: str, data: bytes, expected: list[str],
               required: list[str], mapping: Mapping = NO_MAPPING) -> Table:
    """Parse a CSV or XLSX delivery into the session table `delivery_cells` of `con`.

    A structural problem (encoding, header, no data rows) rejects the file.
    """
    if extension == "xlsx":
        return _xlsx_table(con, file_name, data, expected, required, mapping)
    return _csv_table(con, file_name, data, expected, required, mapping)


# Characters that make a text more than "one record per line, fields split at the
# delimiter": quotes, and line breaks other than \n and \r\n (str.splitlines() would count
# them as lines; so is a \r not followed by \n). Such files take the csv module's path.
_NOT_PLAIN = "\"\x0b\x0c\x1c\x1d\x1e\x85\u2028\u2029"


def _contains_any(text: str, characters: str) -> bool:
    # one substring search per character: a fraction of a regular expression's time on
    # texts of megabytes
    return any(ch in text for ch in characters)


def _plain(text: str) -> bool:
    """Every line is one record, fields split at the delimiter (see _NOT_PLAIN)."""
    return not _contains_any(text, _NOT_PLAIN) and (
        "\r" not in text or text.count("\r") == text.count("\r\n"))


def _blank(fields: list[str]) -> bool:
    return not any(f.strip() for f in fields)


def _csv_table(con, file_name: str, data: bytes, expected: list[str], required: list[str],
               mapping: Mapping) -> Table:
    text, encoding = decode(file_name, data)
    plain = _plain(text)
    if plain:
        text = text.replace("\r\n", "\n")
        # the lines as str.splitlines() gives them for such a text
        lines_list = text.split("\n")
        if lines_list and lines_list[-1] == "":
            lines_list.pop()
    else:
        lines_list = text.splitlines()
    header_index = next((i for i, line in enumerate(lines_list) if line.strip()), None)
    if header_index is None:
        raise DeliveryRejected(file_name, "Die Datei ist leer.")
    known_names = list(dict.fromkeys([*expected, *mapping.columns]))
    delimiter = detect_delimiter(file_name, lines_list[header_index], known_names)
    if plain:
        # every line is one record: split the lines in DuckDB, set-wise
        header_line = next(i for i, line in enumerate(lines_list)
                           if not _blank(line.split(delimiter)))
        header = [f.strip().strip("\ufeff") for f in lines_list[header_line].split(delimiter)]
        columns, extra = _header(file_name, header, expected, required, mapping)
        renamed = [mapping.rename(name.strip().lower()) for name in header]
        # what stripping the cells takes: nothing, the blanks, or all Unicode whitespace
        strip = "all" if _contains_any(text, _OTHER_SPACE) else "blank"
        if strip == "blank" and not (f"{delimiter} " in text or f" {delimiter}" in text
                                     or "\n " in text or " \n" in text
                                     or text.startswith(" ") or text.endswith(" ")):
            strip = "none"
        # lines with nothing but delimiters and whitespace are no records (as csv would skip);
        # only a line that starts with one of those characters needs the full test
        blank_chars = delimiter + (WHITESPACE if strip == "all" else " ")
        stripped = _strip(f"replace(line, {_literal(delimiter)}, '')",
                          "all" if strip == "all" else "blank")
        record = (f"(case when line = '' then false "
                  f"when position(left(line, 1) in {_literal(blank_chars)}) > 0 "
                  f"then {stripped} <> '' else true end)")
        fields = ", ".join(
            _cell(f"coalesce(f[{renamed.index(name) + 1}], '')", name, mapping, strip)
            + f' as "{name}"' for name in columns)
        # no `order by`: the lines come out of the one list in order, and `line_no` keeps it
        con.execute(f"""
            create or replace temp table {CELLS} as
            select line_no::integer as line_no, line
            from (select generate_subscripts(l, 1) as line_no, unnest(l) as line
                  from (select string_split($text, chr(10)) as l))
            where line_no > $header_line and {record}""",
            {"text": text, "header_line": header_line + 1})
        split = (f"string_split(line, {_literal(delimiter)})").replace("{", "{{").replace("}", "}}")
        cells_sql = (
            f"select * exclude (line, f), line as original_line, len(f) <> {len(header)} as ragged"
            + (", " + fields.replace("{", "{{").replace("}", "}}") if fields else "")
            + f" from (select *, {split} as f from {{table}})")
        return _finish(con, file_name, columns, extra, encoding, cells_sql)
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    header: list[str] | None = None
    rows: list[list[str]] = []
    line_numbers: list[int] = []
    ragged: list[bool] = []
    for fields in reader:
        if header is None:
            if _blank(fields):
                continue
            header = [f.strip().strip("\ufeff") for f in fields]
            continue
        if _blank(fields):
            continue
        line_numbers.append(reader.line_num)
        ragged.append(len(fields) != len(header))
        rows.append((fields + [""] * len(header))[: len(header)])
    assert header is not None
    originals = [lines_list[n - 1] if n - 1 < len(lines_list) else "" for n in line_numbers]
    return _python_table(con, file_name, header, rows, line_numbers, originals, ragged,
                         expected, required, mapping, encoding)


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


def _xlsx_table(con, file_name: str, data: bytes, expected: list[str], required: list[str],
                mapping: Mapping) -> Table:
    # calamine (Rust) reads the sheet ~15-25 times faster than openpyxl, with the same values
    # (numbers, dates, times, text); the cells are turned into text as before (_xlsx_cell)
    import zipfile

    from python_calamine import CalamineError, CalamineWorkbook, PasswordError, XmlError, ZipError

    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            if "xl/workbook.xml" not in archive.namelist():
                raise DeliveryRejected(file_name, "Die Datei ist keine lesbare Excel-Datei "
                                       "(xlsx): die Arbeitsmappe xl/workbook.xml fehlt.")
        workbook = CalamineWorkbook.from_filelike(io.BytesIO(data))
        if not workbook.sheet_names:
            raise DeliveryRejected(file_name, "Die Excel-Datei enthält kein Tabellenblatt.")
        sheet_rows = workbook.get_sheet_by_index(0).to_python(skip_empty_area=False)
    except (zipfile.BadZipFile, CalamineError, PasswordError, XmlError, ZipError, KeyError,
            ValueError, OSError) as exc:
        raise DeliveryRejected(file_name, f"Die Datei ist keine lesbare Excel-Datei (xlsx): {exc}") from None
    header: list[str] | None = None
    rows, line_numbers, originals, ragged = [], [], [], []
    for row_no, values in enumerate(sheet_rows, start=1):
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
        ragged.append(any(cells[len(header):]))
        cells = cells[: len(header)]
        rows.append(cells)
        line_numbers.append(row_no)
        originals.append(";".join(cells))
    if header is None:
        raise DeliveryRejected(file_name, "Das erste Tabellenblatt der Excel-Datei ist leer.")
    return _python_table(con, file_name, header, rows, line_numbers, originals, ragged,
                         expected, required, mapping, "xlsx")


def _header(file_name: str, raw_header: list[str], expected: list[str], required: list[str],
            mapping: Mapping) -> tuple[list[str], list[str]]:
    """Known and extra columns of a header; a missing or repeated column rejects the file."""
    header = [mapping.rename(name.strip().lower()) for name in raw_header]
    _check_header(file_name, header, required)
    known = [c for c in header if c in expected]
    extra = [c for c in header if c not in expected and c]
    return known, extra


def _strip(expression: str, strip: str = "all") -> str:
    """SQL of `expression.strip()`, knowing that the text holds no whitespace to strip
    (`none`), none but blanks (`blank`), or any (`all`)."""
    if strip == "none":
        return expression
    if strip == "blank":
        return f"trim({expression})"
    return f"regexp_replace({expression}, '^[{_SPACE_CLASS}]+|[{_SPACE_CLASS}]+$', '', 'g')"


_SPACE_CLASS = WHITESPACE.replace("\n", "\\n")


def _cell(expression: str, column: str, mapping: Mapping, strip: str) -> str:
    """SQL of one cell: stripped like `str.strip()`, then the mapping's value recodes."""
    value = _strip(expression, strip)
    recodes = mapping.values.get(column)
    if not recodes:
        return value
    # the delivered value itself first, then its lower-case form (as `dict.get` twice)
    cases = " ".join(f"when {_literal(k)} then {_literal(v)}" for k, v in recodes.items())
    return f"(case {value} {cases} else (case lower({value}) {cases} else {value} end) end)"


def _literal(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def _python_table(con, file_name: str, raw_header: list[str], rows: list[list[str]],
                  line_numbers: list[int], originals: list[str], ragged: list[bool],
                  expected: list[str], required: list[str], mapping: Mapping,
                  encoding: str) -> Table:
    """`delivery_cells` from rows parsed in Python (quoted CSV, XLSX)."""
    columns, extra = _header(file_name, raw_header, expected, required, mapping)
    renamed = [mapping.rename(name.strip().lower()) for name in raw_header]
    frame = pd.DataFrame(rows, columns=[f"c{i}" for i in range(len(raw_header))], dtype="str")
    frame.insert(0, "line_no", line_numbers)
    frame.insert(1, "original_line", originals)
    frame.insert(2, "ragged", ragged)
    fields = ", ".join(
        _cell(f"c{renamed.index(name)}", name, mapping, "all") + f' as "{name}"'
        for name in columns)
    con.register("delivery_rows_frame", frame)
    try:
        con.execute(f"""
            create or replace temp table {CELLS} as
            select line_no::integer as line_no, original_line::varchar as original_line,
                   ragged::boolean as ragged{", " + fields if fields else ""}
            from delivery_rows_frame order by line_no""")
    finally:
        con.unregister("delivery_rows_frame")
    return _finish(con, file_name, columns, extra, encoding)


def _finish(con, file_name: str, columns: list[str], extra: list[str], encoding: str,
            cells_sql: str = Table.cells_sql) -> Table:
    rows = con.execute(f"select count(*) from {CELLS}").fetchone()[0]
    if not rows:
        raise DeliveryRejected(file_name, "Die Datei enthält nur die Kopfzeile und keine Datenzeilen.")
    return Table(columns, extra, encoding, rows, cells_sql)


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


def read_path(path: Path) -> bytes:
    return path.read_bytes()
