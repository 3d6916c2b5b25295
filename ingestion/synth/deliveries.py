"""Delivery files in the format of shared/spec/contracts.md, written in streaming fashion.

Every tabular delivery (einwohner and the six agency sources) goes through `Delivery`:
typed column lists in, `;`-separated CSV or XLSX out, in the export style of the
agency (encoding, date format, yes/no tokens, decimal style, header case, extra columns).
A configurable share of deliberately invalid rows is mixed in; each is recorded as
`InvalidRow(line, column, reason)` so that tests can check the loader quarantines exactly
those. Files stay open across municipalities (`append`), so a county never has to be in
memory at once.
"""

from __future__ import annotations

import zipfile
import zlib
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import numpy as np

from .population import Rand
from .writer import GERMAN_DATE, ISO_DATE, FileStyle, format_dates

DATE, YN, DEC, NUM, TEXT = "date", "yn", "dec", "num", "text"
ADDRESS = [("ags", TEXT), ("strasse", TEXT), ("hausnummer", TEXT), ("hausnummer_zusatz", TEXT),
           ("plz", TEXT)]

SPECS: dict[str, list[tuple[str, str]]] = {
    "einwohner": [
        ("person_id", TEXT), ("geburtsdatum", DATE), ("geschlecht", TEXT),
        ("staatsangehoerigkeit", TEXT), ("weitere_staatsangehoerigkeit", TEXT),
        ("familienstand", TEXT), ("ehegatte_id", TEXT), ("elternteil1_id", TEXT),
        ("elternteil2_id", TEXT), ("wohnungsstatus", TEXT), ("zuzug_datum", DATE), *ADDRESS],
    "sgb2": [
        ("person_id", TEXT), ("bg_id", TEXT), ("geburtsdatum", DATE), ("geschlecht", TEXT),
        ("staatsangehoerigkeit", TEXT), ("leistungsberechtigung", TEXT), ("arbeitslos", YN),
        ("bg_typ", TEXT), *ADDRESS],
    "hze": [
        ("fall_id", TEXT), ("person_id", TEXT), ("geburtsdatum", DATE), ("geschlecht", TEXT),
        ("hilfeart", TEXT), ("beginn", DATE), ("ende", DATE), ("kosten_euro", DEC), *ADDRESS],
    "seu": [
        ("kind_id", TEXT), ("geburtsdatum", DATE), ("geschlecht", TEXT),
        ("untersuchungsdatum", DATE), ("einschulungsjahr", TEXT), ("gewichtsklasse", TEXT),
        ("erstsprache_deutsch", YN), ("deutschkenntnisse", TEXT),
        ("sprachscreening_auffaellig", YN), ("koerperkoordination_auffaellig", YN),
        ("visuomotorik_auffaellig", YN), ("impfdokument_vorgelegt", YN),
        ("masern_vollstaendig", YN), ("u9_dokumentiert", YN), ("kita_dauer", TEXT), *ADDRESS],
    "kita": [
        ("kind_id", TEXT), ("geburtsdatum", DATE), ("geschlecht", TEXT), ("betreuungsart", TEXT),
        ("einrichtung_id", TEXT), ("wochenstunden", NUM), ("betreuungsbeginn", DATE), *ADDRESS],
    "schule": [
        ("schueler_id", TEXT), ("geburtsdatum", DATE), ("geschlecht", TEXT), ("schuljahr", TEXT),
        ("schulform", TEXT), ("foerderbedarf", YN), *ADDRESS],
    "schulabgang": [
        ("schueler_id", TEXT), ("geburtsdatum", DATE), ("geschlecht", TEXT), ("schuljahr", TEXT),
        ("abschluss", TEXT), *ADDRESS],
}
COLUMNS: dict[str, list[str]] = {s: [c for c, _ in spec] for s, spec in SPECS.items()}
AGENCY_SOURCES = ["sgb2", "hze", "seu", "kita", "schule", "schulabgang"]
# the identifier that must be unique within a delivery (duplicates are row errors)
KEYS = {"einwohner": "person_id", "sgb2": "person_id", "hze": "fall_id", "seu": "kind_id",
        "kita": "kind_id", "schule": "schueler_id", "schulabgang": "schueler_id"}
# a code outside the contract's code list, per source
UNKNOWN_CODE = {"einwohner": ("wohnungsstatus", "X"), "sgb2": ("leistungsberechtigung", "XXX"),
                "hze": ("hilfeart", "99"), "seu": ("gewichtsklasse", "9"),
                "kita": ("betreuungsart", "XX"), "schule": ("schulform", "XX"),
                "schulabgang": ("abschluss", "XX")}
# extra columns some agencies export (ignored by the loader with a warning)
EXTRA_COLUMNS = ("lfd_nr", "bemerkung", "sachbearbeitung")
# one agency source per calendar year comes as XLSX (index: year % 5)
XLSX_ROTATION = ["seu", "schule", "schulabgang", "hze", "kita"]
YES_NO = [("J", "N"), ("ja", "nein"), ("1", "0"), ("true", "false")]

# reasons recorded for deliberately invalid rows
DATUM_UNMOEGLICH = "datum_unmoeglich"
CODE_UNBEKANNT = "code_unbekannt"
GEBURT_NACH_STICHTAG = "geburt_nach_stichtag"
ALTER_UEBER_115 = "alter_ueber_115"
SCHLUESSEL_DOPPELT = "schluessel_doppelt"
HAUSNUMMER_OHNE_ZIFFER = "hausnummer_ohne_ziffer"
PFLICHTWERT_FEHLT = "pflichtwert_fehlt"
ENDE_VOR_BEGINN = "ende_vor_beginn"
KOSTEN_NEGATIV = "kosten_negativ"


def defect_kinds(source: str) -> list[tuple[str, str]]:
    """(reason, column) of the invalid rows a source gets, cycled in this order."""
    kinds = [(CODE_UNBEKANNT, UNKNOWN_CODE[source][0])]
    if source == "hze":
        kinds += [(ENDE_VOR_BEGINN, "ende"), (KOSTEN_NEGATIV, "kosten_euro")]
    return kinds + [
        (DATUM_UNMOEGLICH, "geburtsdatum"), (SCHLUESSEL_DOPPELT, KEYS[source]),
        (GEBURT_NACH_STICHTAG, "geburtsdatum"), (ALTER_UEBER_115, "geburtsdatum"),
        (HAUSNUMMER_OHNE_ZIFFER, "hausnummer"), (CODE_UNBEKANNT, "geschlecht"),
        (PFLICHTWERT_FEHLT, "geschlecht")]


@dataclass(frozen=True)
class InvalidRow:
    """A deliberately invalid row: file line (CSV) or sheet row (XLSX), header = 1."""

    line: int
    column: str
    reason: str
    duplicate_of: int | None = None  # schluessel_doppelt: line of the key's first occurrence


@dataclass(frozen=True)
class ExportStyle:
    """How one delivery file is exported."""

    encoding: str = "utf-8"
    date_format: str = GERMAN_DATE
    line_end: str = "\n"
    xlsx: bool = False
    upper_header: bool = False
    extra: tuple[str, ...] = ()
    extra_first: bool = False
    yes_no: tuple[str, str] = ("J", "N")

    @classmethod
    def of(cls, style: FileStyle) -> ExportStyle:
        return cls(encoding=style.encoding, date_format=style.date_format,
                   line_end=style.line_end)

    @property
    def suffix(self) -> str:
        return ".xlsx" if self.xlsx else ".csv"


def agency_style(source: str, year: int, messiness: float) -> ExportStyle:
    """The export style of an agency source's delivery for one Stichtag year.

    With `messiness` 0 every file is canonical (UTF-8, `TT.MM.JJJJ`, `J`/`N`, CSV);
    otherwise the styles rotate deterministically over sources and years, so that even
    the small county holds every variant the contract allows.
    """
    if messiness <= 0:
        return ExportStyle()
    v = AGENCY_SOURCES.index(source) + year
    encoding = ["utf-8", "cp1252", "utf-8", "utf-8-sig"][v % 4]
    extra: tuple[str, ...] = ()
    if v % 4 == 1:
        extra = ("lfd_nr",)
    elif v % 3 == 0:
        extra = ("bemerkung", "sachbearbeitung")
    return ExportStyle(
        encoding=encoding, date_format=ISO_DATE if v % 3 == 1 else GERMAN_DATE,
        line_end="\r\n" if encoding == "cp1252" else "\n",
        xlsx=XLSX_ROTATION[year % len(XLSX_ROTATION)] == source,
        upper_header=v % 5 == 2, extra=extra, extra_first=v % 2 == 0,
        yes_no=YES_NO[v % len(YES_NO)] if v % 3 == 2 else YES_NO[0])


class XDate(int):
    """An Excel date serial number (written as a date cell)."""


_EXCEL_EPOCH = date(1899, 12, 30).toordinal()
_FIXED_TIME = (1980, 1, 1, 0, 0, 0)
_NS = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
_REL = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
_PKG = "http://schemas.openxmlformats.org/package/2006/relationships"
_XML = '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'


def _col_letter(k: int) -> str:
    s = ""
    k += 1
    while k:
        k, rem = divmod(k - 1, 26)
        s = chr(65 + rem) + s
    return s


def _esc(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


class XlsxStream:
    """A minimal, byte-deterministic XLSX writer: one sheet, rows streamed into the zip."""

    def __init__(self, path: Path, sheet: str):
        self.zf = zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED)
        self.sheet = sheet
        self.fh = self.zf.open(self._info("xl/worksheets/sheet1.xml"), "w")
        self.fh.write((_XML + f'<worksheet xmlns="{_NS}"><sheetData>').encode())
        self.n = 0
        self.letters = [_col_letter(k) for k in range(64)]

    @staticmethod
    def _info(name: str) -> zipfile.ZipInfo:
        info = zipfile.ZipInfo(name, date_time=_FIXED_TIME)
        info.compress_type = zipfile.ZIP_DEFLATED
        info.external_attr = 0o600 << 16
        return info

    def rows(self, rows) -> None:
        parts: list[str] = []
        letters = self.letters
        for values in rows:
            self.n += 1
            r = self.n
            parts.append(f'<row r="{r}">')
            for c, v in enumerate(values):
                if type(v) is str:
                    if v == "":
                        continue
                    space = ' xml:space="preserve"' if v != v.strip() else ""
                    parts.append(f'<c r="{letters[c]}{r}" t="inlineStr"><is><t{space}>'
                                 f'{_esc(v)}</t></is></c>')
                elif isinstance(v, XDate):
                    parts.append(f'<c r="{letters[c]}{r}" s="1"><v>{int(v)}</v></c>')
                else:
                    parts.append(f'<c r="{letters[c]}{r}"><v>{v!r}</v></c>')
            parts.append("</row>")
        self.fh.write("".join(parts).encode("utf-8"))

    def close(self) -> None:
        self.fh.write(b"</sheetData></worksheet>")
        self.fh.close()
        ct = "application/vnd.openxmlformats-officedocument.spreadsheetml"
        parts = {
            "[Content_Types].xml": (
                f'<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
                '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.'
                'relationships+xml"/><Default Extension="xml" ContentType="application/xml"/>'
                f'<Override PartName="/xl/workbook.xml" ContentType="{ct}.sheet.main+xml"/>'
                f'<Override PartName="/xl/worksheets/sheet1.xml" ContentType="{ct}.worksheet+xml"/>'
                f'<Override PartName="/xl/styles.xml" ContentType="{ct}.styles+xml"/></Types>'),
            "_rels/.rels": (
                f'<Relationships xmlns="{_PKG}"><Relationship Id="rId1" '
                f'Type="{_REL}/officeDocument" Target="xl/workbook.xml"/></Relationships>'),
            "xl/workbook.xml": (
                f'<workbook xmlns="{_NS}" xmlns:r="{_REL}"><sheets><sheet name="{_esc(self.sheet)}" '
                'sheetId="1" r:id="rId1"/></sheets></workbook>'),
            "xl/_rels/workbook.xml.rels": (
                f'<Relationships xmlns="{_PKG}"><Relationship Id="rId1" Type="{_REL}/worksheet" '
                'Target="worksheets/sheet1.xml"/><Relationship Id="rId2" '
                f'Type="{_REL}/styles" Target="styles.xml"/></Relationships>'),
            "xl/styles.xml": (
                f'<styleSheet xmlns="{_NS}"><fonts count="1"><font><sz val="11"/>'
                '<name val="Calibri"/></font></fonts><fills count="2"><fill><patternFill '
                'patternType="none"/></fill><fill><patternFill patternType="gray125"/></fill>'
                '</fills><borders count="1"><border><left/><right/><top/><bottom/><diagonal/>'
                '</border></borders><cellStyleXfs count="1"><xf numFmtId="0" fontId="0" '
                'fillId="0" borderId="0"/></cellStyleXfs><cellXfs count="2"><xf numFmtId="0" '
                'fontId="0" fillId="0" borderId="0" xfId="0"/><xf numFmtId="14" fontId="0" '
                'fillId="0" borderId="0" xfId="0" applyNumberFormat="1"/></cellXfs>'
                '<cellStyles count="1"><cellStyle name="Standard" xfId="0" builtinId="0"/>'
                '</cellStyles></styleSheet>'),
        }
        for name, xml in parts.items():
            self.zf.writestr(self._info(name), (_XML + xml).encode("utf-8"))
        self.zf.close()


def _quote(value: str) -> str:
    if ";" in value or '"' in value or "\n" in value:
        return '"' + value.replace('"', '""') + '"'
    return value


_SACHBEARBEITUNG = ["AB", "KM", "ST", "HW", "JL", "PR", "EN"]
_BEMERKUNG = ["Nachmeldung", "Korrektur", "Umzug gemeldet", "Prüfen"]


class Delivery:
    """One delivery file, written chunk by chunk (one chunk per municipality)."""

    def __init__(self, path: Path, source: str, stichtag: date, style: ExportStyle, seed: int,
                 messiness: float, invalid_share: float,
                 kind_counter: list[int] | None = None):
        self.path = path
        self.source = source
        self.spec = SPECS[source]
        self.columns = COLUMNS[source]
        self.style = style
        self.st_ord = stichtag.toordinal()
        self.messiness = messiness
        self.share = invalid_share
        self.kinds = defect_kinds(source)
        self.kind_counter = kind_counter if kind_counter is not None else [0]
        self.r = Rand(np.random.default_rng([seed, zlib.crc32(path.name.encode())]))
        self.rows = 0  # data rows written, invalid ones included
        self.invalid: list[InvalidRow] = []
        self._acc = 0.5
        header = list(self.columns)
        if style.upper_header:
            header = [h.upper() for h in header]
        extra = list(style.extra)
        header = extra + header if style.extra_first else header + extra
        self.header = header
        path.parent.mkdir(parents=True, exist_ok=True)
        if style.xlsx:
            self._x: XlsxStream | None = XlsxStream(path, source)
            self._x.rows([header])
            self._fh = None
        else:
            self._x = None
            self._fh = open(path, "w", encoding=style.encoding, newline="")  # noqa: SIM115
            self._fh.write(";".join(header) + style.line_end)

    # ------------------------------------------------------------------ formatting
    def _yes_no(self, values: list) -> list[str]:
        yes, no = self.style.yes_no
        m = self.messiness
        u = self.r.u
        out = []
        for v in values:
            if v is None:
                out.append("")
                continue
            if m > 0 and u() < m:
                alt = YES_NO[int(u() * len(YES_NO))]
                out.append(alt[0] if v else alt[1])
            else:
                out.append(yes if v else no)
        return out

    def _decimal(self, values: list) -> list[str]:
        m = self.messiness
        u = self.r.u
        out = []
        for v in values:
            if v is None:
                out.append("")
                continue
            text = f"{v:.2f}"
            w = u() if m > 0 else 1.0
            if w < m:  # 1.234,56
                whole, frac = text.split(".")
                sign = "-" if whole.startswith("-") else ""
                whole = f"{int(whole.lstrip('-')):,}".replace(",", ".")
                out.append(f"{sign}{whole},{frac}")
            elif w < 2 * m:  # 1234.56
                out.append(text)
            else:
                out.append(text.replace(".", ","))
        return out

    def _format(self, name: str, kind: str, values: list) -> list:
        xlsx = self._x is not None
        if kind == DATE:
            if xlsx:
                return [XDate(o - _EXCEL_EPOCH) if o > 0 else "" for o in values]
            return format_dates(values, self.style.date_format)
        if kind == YN:
            return self._yes_no(values)
        if kind == DEC:
            if xlsx:
                return [round(float(v), 2) if v is not None else "" for v in values]
            return self._decimal(values)
        if kind == NUM:
            if xlsx:
                return [v if v is not None else "" for v in values]
            return [str(v) if v is not None else "" for v in values]
        if name == "strasse" and not xlsx:
            return [_quote(v) for v in values]
        return values

    def _extra_values(self, first_row: int, n: int) -> list[list[str]]:
        cols = []
        for name in self.style.extra:
            if name == "lfd_nr":
                cols.append([str(first_row + i) for i in range(n)])
            elif name == "bemerkung":
                cols.append([self.r.pick(_BEMERKUNG) if self.r.u() < 0.03 else ""
                             for _ in range(n)])
            else:
                cols.append([f"{self.r.pick(_SACHBEARBEITUNG)}{self.r.int(10, 49)}"
                             for _ in range(n)])
        return cols

    # ------------------------------------------------------------------ invalid rows
    def _fresh_key(self, key: str) -> str:
        while True:
            tail = "".join(self.r.pick("0123456789abcdef") for _ in range(6))
            if key == key.upper():
                tail = tail.upper()
            new = key[:-6] + tail
            if new != key:
                return new

    def _defect(self, cols: dict[str, list], t: int, reason: str, column: str) -> list:
        values = {c: cols[c][t] for c in self.columns}
        raw: dict[str, str] = {}
        if reason != SCHLUESSEL_DOPPELT:
            key = KEYS[self.source]
            values[key] = self._fresh_key(values[key])
            if self.source == "einwohner":
                values["ehegatte_id"] = values["elternteil1_id"] = values["elternteil2_id"] = ""
        birth_year = date.fromordinal(values["geburtsdatum"]).year
        if reason == DATUM_UNMOEGLICH:
            raw[column] = (f"{birth_year}-02-31" if self.style.date_format == ISO_DATE
                           else f"31.02.{birth_year}")
        elif reason == GEBURT_NACH_STICHTAG:
            values[column] = self.st_ord + self.r.int(1, 200)
        elif reason == ALTER_UEBER_115:
            values[column] = self.st_ord - self.r.int(117 * 366, 125 * 365)
        elif reason == HAUSNUMMER_OHNE_ZIFFER:
            raw[column] = self.r.pick(["ohne Nr.", "o. Nr.", "unbekannt", "a"])
            values["hausnummer_zusatz"] = ""
        elif reason == CODE_UNBEKANNT:
            raw[column] = "x" if column == "geschlecht" else UNKNOWN_CODE[self.source][1]
        elif reason == PFLICHTWERT_FEHLT:
            raw[column] = ""
        elif reason == ENDE_VOR_BEGINN:
            values[column] = values["beginn"] - self.r.int(1, 90)
        elif reason == KOSTEN_NEGATIV:
            v = values[column]
            values[column] = -(abs(v) if v else 850.0)
        row = [self._format(c, k, [values[c]])[0] for c, k in self.spec]
        for c, text in raw.items():
            row[self.columns.index(c)] = text
        return row

    # ------------------------------------------------------------------ writing
    def write(self, cols: dict[str, list]) -> None:
        """Append equally long typed columns (one municipality), invalid rows mixed in."""
        n = len(cols[self.columns[0]])
        if n == 0:
            return
        formatted = [self._format(c, k, cols[c]) for c, k in self.spec]
        self._acc += n * self.share
        k = int(self._acc)
        self._acc -= k
        inserts = []
        for q in range(k):
            reason, column = self.kinds[self.kind_counter[0] % len(self.kinds)]
            self.kind_counter[0] += 1
            t = int(self.r.u() * n)
            after = t + int(self.r.u() * (n - t)) if reason == SCHLUESSEL_DOPPELT else int(
                self.r.u() * n)
            inserts.append((after, q, self._defect(cols, t, reason, column), reason, column, t))
        inserts.sort(key=lambda x: (x[0], x[1]))
        rows = list(zip(*formatted, strict=True))
        if inserts:
            merged: list = []
            position: list[int] = []  # index in `merged` of every valid row
            j = 0
            first_line = self.rows + 2  # line of the chunk's first data row (header = 1)
            for i, row in enumerate(rows):
                position.append(len(merged))
                merged.append(row)
                while j < len(inserts) and inserts[j][0] == i:
                    _, _, bad, reason, column, t = inserts[j]
                    original = first_line + position[t] if reason == SCHLUESSEL_DOPPELT else None
                    self.invalid.append(InvalidRow(first_line + len(merged), column, reason,
                                                   original))
                    merged.append(bad)
                    j += 1
            rows = merged
        if self.style.extra:
            extra = self._extra_values(self.rows + 1, len(rows))
            if self.style.extra_first:
                rows = [tuple(e) + tuple(r) for *e, r in zip(*extra, rows, strict=True)]
            else:
                rows = [tuple(r) + tuple(e) for r, *e in zip(rows, *extra, strict=True)]
        self.rows += len(rows)
        if self._x is not None:
            self._x.rows(rows)
        else:
            end = self.style.line_end
            assert self._fh is not None
            self._fh.writelines(";".join(r) + end for r in rows)

    def close(self) -> None:
        if self._x is not None:
            self._x.close()
        elif self._fh is not None:
            self._fh.close()
