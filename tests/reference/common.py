"""Shared parts of the independent reference implementation, in plain pandas.

Written only from ``shared/spec/contracts.md``, ``shared/spec/indicators.md`` and
``docs/decisions.md``; it deliberately shares no code with ``ingestion/`` or the dbt
models, so that agreement between the two is evidence, not an echo.

Here: reading delivered files (encodings, delimiters, xlsx), parsing values, the row checks
every person-level source shares, replacement per (Stichtag, municipality), the address
register, the newest version of each Gliederung, point in polygon, and summing flags per
area of every level (each Gliederung with ``<ags>-OZ``, ``kommune``, ``kreis``). The domain
modules (``bevoelkerung``, ...) add their own columns, rules and indicators.

Readings of the rules where the texts leave room:

- The same (Stichtag, municipality) in several files: the file delivered last (file
  modification time, then file name) replaces the earlier rows of that key.
- Row errors follow contracts.md: missing required value, impossible date, unknown code,
  birth after the Stichtag, age above 115, any date after the Stichtag, a key occurring
  twice within a file (every occurrence); a file with more than 5 % row errors is
  rejected whole.
- Point in polygon ignores an area's ``ags`` property; a municipality's persons whose
  address lies in no area go to ``<ags>-OZ`` of the person's own ``ags``.
- The register address used is the newest extract containing it, also an extract dated
  after the record's Stichtag.
- A GeoJSON without a ``crs`` member is EPSG:25832 unless all coordinates lie within
  ±180/±90 (then EPSG:4326); files of the same Gliederung and ``gueltig_ab`` are united.
"""

from __future__ import annotations

import io
import json
import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
import shapely

MAX_ERROR_SHARE = 0.05
MAX_AGE = 115

GESCHLECHT = {"m", "w", "d", "o"}
ADRESSEN_REQUIRED = ("ags", "strasse", "hausnummer", "ostwert", "nordwert")
ADDRESS_REQUIRED = ("ags", "strasse", "hausnummer")
YES = {"j", "ja", "1", "true"}
NO = {"n", "nein", "0", "false"}

OUTPUT_COLUMNS = ["code", "gliederung", "raum_id", "berichtsjahr", "zaehler", "nenner"]


# --------------------------------------------------------------------------- reading files


def _decode(raw: bytes) -> str | None:
    """UTF-8 (with or without BOM), else Windows-1252; anything else: None (rejected)."""
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        pass
    try:
        return raw.decode("cp1252")
    except UnicodeDecodeError:
        return None


def _read_csv_text(text: str) -> pd.DataFrame | None:
    """Parse a delimited text; rows with too many fields are counted as ``_malformed`` rows.

    A row with too few fields is read with its missing trailing cells empty.
    """
    header_line = text.split("\n", 1)[0]
    if not header_line.strip():
        return None
    if ";" in header_line:
        delimiter = ";"
    elif "\t" in header_line:
        delimiter = "\t"
    elif "," in header_line:
        delimiter = ","
    else:
        delimiter = ";"
    frame = pd.read_csv(
        io.StringIO(text),
        sep=delimiter,
        dtype=object,
        keep_default_na=False,
        na_filter=False,
        on_bad_lines="skip",
        skip_blank_lines=True,
        engine="c",
    )
    frame.columns = [str(c).strip().lower() for c in frame.columns]
    frame = frame.loc[:, ~frame.columns.duplicated()]
    for column in frame.columns:
        frame[column] = np.strings.strip(frame[column].to_numpy(dtype=str)).astype(object)
    data_lines = sum(1 for line in text.splitlines()[1:] if line.strip())
    skipped = data_lines - len(frame) if '"' not in text else 0
    frame = frame.loc[(frame != "").any(axis=1)].reset_index(drop=True)
    frame["_malformed"] = False
    if skipped > 0:  # lines with more fields than the header: row errors
        bad = pd.DataFrame("", index=range(skipped), columns=frame.columns[:-1], dtype=object)
        bad["_malformed"] = True
        frame = pd.concat([frame, bad], ignore_index=True)
    return frame


def read_delivery(path: Path) -> pd.DataFrame | None:
    """One delivered file as strings: canonical lower-case column names, cells stripped.

    Lines with more fields than the header are kept as empty rows with ``_malformed`` =
    True (they count as row errors). Returns None for a file that cannot be read (wrong
    encoding, empty).
    """
    if path.suffix.lower() == ".xlsx":
        frame = pd.read_excel(path, sheet_name=0, dtype=str, header=0).fillna("")
        frame.columns = [str(c).strip().lower() for c in frame.columns]
        frame = frame.astype(str).apply(lambda col: col.str.strip()).astype(object)
        frame["_malformed"] = False
        return frame
    text = _decode(path.read_bytes())
    if text is None:
        return None
    return _read_csv_text(text)


_STICHTAG_RE = r"^{source}_(\d{{4}}-\d{{2}}-\d{{2}})(?:_.*)?\.(?:csv|xlsx)$"


def _delivery_files(folder: Path, source: str) -> list[tuple[Path, pd.Timestamp]]:
    """Files of one source with their Stichtag, in delivery order (mtime, then name)."""
    if not folder.is_dir():
        return []
    pattern = re.compile(_STICHTAG_RE.format(source=re.escape(source)), re.IGNORECASE)
    found = []
    for path in folder.iterdir():
        m = pattern.match(path.name)
        if not path.is_file() or not m:
            continue
        stichtag = pd.to_datetime(m.group(1), format="%Y-%m-%d", errors="coerce")
        if pd.isna(stichtag):
            continue
        found.append((path, stichtag))
    found.sort(key=lambda item: (item[0].stat().st_mtime, item[0].name))
    return found


# --------------------------------------------------------------------------- value parsing


def _on_distinct(func):
    """Apply a Series -> Series/DataFrame parser once per distinct value (speed only)."""

    def wrapper(values: pd.Series, *rest):
        codes, uniques = pd.factorize(values.fillna("").astype(object))
        parsed = func(pd.Series(uniques, dtype=object), *rest)
        taken = parsed.take(codes)
        taken.index = values.index
        return taken

    wrapper.__doc__ = func.__doc__
    wrapper.__name__ = func.__name__
    return wrapper



@_on_distinct
def parse_dates(values: pd.Series) -> pd.Series:
    """``TT.MM.JJJJ`` or ``JJJJ-MM-TT``; empty or impossible dates give NaT."""
    s = values.fillna("").astype(str).str.strip().str.replace(r"[ T]00:00:00$", "", regex=True)
    german = s.where(s.str.fullmatch(r"\d{1,2}\.\d{1,2}\.\d{4}"))
    iso = s.where(s.str.fullmatch(r"\d{4}-\d{2}-\d{2}"))
    parsed_de = pd.to_datetime(german, format="%d.%m.%Y", errors="coerce")
    parsed_iso = pd.to_datetime(iso, format="%Y-%m-%d", errors="coerce")
    return parsed_de.fillna(parsed_iso)


def parse_decimal(values: pd.Series) -> pd.Series:
    """``1234,56``, ``1.234,56`` or ``1234.56`` → float (NaN if unreadable)."""
    s = values.fillna("").astype(str).str.strip().str.replace(" ", "", regex=False)
    with_comma = s.str.contains(",", regex=False)
    german = s.str.replace(".", "", regex=False).str.replace(",", ".", regex=False)
    s = s.where(~with_comma, german)
    return pd.to_numeric(s.replace("", np.nan), errors="coerce")


def completed_years(start: pd.Series, stichtag: pd.Series) -> pd.Series:
    """Completed years from ``start`` to ``stichtag`` (age; also Wohndauer).

    ``year(s) - year(b)``, minus one if (month, day) of the Stichtag is before (month, day)
    of ``start``; so the birthday on the Stichtag counts and a 29 February birthday is
    reached on 1 March in other years.
    """
    years = stichtag.dt.year - start.dt.year
    before = (stichtag.dt.month < start.dt.month) | (
        (stichtag.dt.month == start.dt.month) & (stichtag.dt.day < start.dt.day)
    )
    return (years - before.astype("Int64")).astype("Int64")


_UMLAUTS = (("ä", "ae"), ("ö", "oe"), ("ü", "ue"), ("ß", "ss"))


@_on_distinct
def normalise_strasse(values: pd.Series) -> pd.Series:
    """``strasse_norm`` of decisions.md: ``Mühlenstr.`` → ``muehlenstrasse``."""
    s = values.fillna("").astype(str).map(lambda v: unicodedata.normalize("NFC", v))
    s = s.str.lower().str.strip()
    for umlaut, replacement in _UMLAUTS:
        s = s.str.replace(umlaut, replacement, regex=False)
    s = s.str.replace(r"str\.?(?=[\s-]|$)", "strasse", regex=True)
    return s.str.replace(r"[^a-z0-9]", "", regex=True)


@_on_distinct
def _split_hausnummer(values: pd.Series) -> pd.DataFrame:
    parts = values.astype(str).str.lower().str.extract(r"(\d+)(?:\s*([a-z])(?![a-z]))?")
    return pd.DataFrame(
        {
            "nr": pd.to_numeric(parts[0], errors="coerce").astype("Int64"),
            "suffix": parts[1].fillna("").astype(object),
        }
    )


def parse_hausnummer(hausnummer: pd.Series, zusatz: pd.Series | None) -> pd.DataFrame:
    """First run of digits = number; a single letter right after it (blanks allowed) = suffix.

    A non-empty ``hausnummer_zusatz`` wins over a suffix inside ``hausnummer``. Returns
    columns ``nr`` (Int64, <NA> if there are no digits) and ``suffix`` (lower case, '' if none).
    """
    parsed = _split_hausnummer(hausnummer)
    suffix = parsed["suffix"]
    if zusatz is not None:
        z = zusatz.fillna("").astype(str).str.strip().str.lower().astype(object)
        suffix = z.where(z != "", suffix)
    return pd.DataFrame({"nr": parsed["nr"], "suffix": suffix}, index=hausnummer.index)


# --------------------------------------------------------------------------- row checks


def blank(frame: pd.DataFrame, column: str) -> pd.Series:
    if column not in frame.columns:
        return pd.Series(True, index=frame.index)
    return frame[column] == ""


def column(frame: pd.DataFrame, name: str) -> pd.Series:
    """A column as stripped strings; an absent optional column is all empty."""
    if name in frame.columns:
        return frame[name].fillna("").astype(str)
    return pd.Series("", index=frame.index, dtype=object)


def parse_yes_no(values: pd.Series) -> tuple[pd.Series, pd.Series]:
    """(value as nullable boolean, mask of unreadable non-empty cells)."""
    v = values.fillna("").astype(str).str.strip().str.lower()
    result = pd.Series(pd.NA, index=values.index, dtype="boolean")
    result[v.isin(YES)] = True
    result[v.isin(NO)] = False
    bad = (v != "") & ~v.isin(YES | NO)
    return result, bad


def parse_date_column(frame: pd.DataFrame, name: str, stichtag: pd.Timestamp,
                      required: bool = False) -> tuple[pd.Series, pd.Series]:
    """(dates, row-error mask): unreadable, missing when required, or after the Stichtag."""
    raw = column(frame, name)
    dates = parse_dates(raw)
    bad = (raw != "") & dates.isna()
    if required:
        bad |= raw == ""
    bad |= (dates > stichtag).fillna(False)
    return dates, bad


def person_rows(frame: pd.DataFrame, stichtag: pd.Timestamp, required: Iterable[str],
                key: str) -> tuple[pd.DataFrame, pd.Series]:
    """The checks every person-level source shares, and its common parsed columns.

    Row errors: a malformed line, a missing required value, ``ags`` not 8 digits, an
    unreadable ``geburtsdatum`` or one after the Stichtag, age above 115, ``geschlecht``
    not a code, no digits in ``hausnummer``, an unreadable ``plz``, the ``key`` column
    occurring more than once in the file (every occurrence).
    Returns columns ``key``, ``ags``, ``stichtag``, ``geburtsdatum``, ``alter``,
    ``strasse_norm``, ``nr``, ``suffix``; the caller adds the source's own columns and
    ORs its own errors into the mask.
    """
    error = frame["_malformed"].astype(bool).copy()
    for name in required:
        error |= blank(frame, name)
    out = pd.DataFrame(index=frame.index)
    out[key] = column(frame, key)
    out["ags"] = column(frame, "ags")
    error |= ~out["ags"].str.fullmatch(r"\d{8}")
    st = pd.Series(stichtag, index=frame.index)
    out["stichtag"] = st
    out["geburtsdatum"], bad = parse_date_column(frame, "geburtsdatum", stichtag, required=True)
    error |= bad
    out["alter"] = completed_years(out["geburtsdatum"], st)
    error |= (out["alter"] > MAX_AGE).fillna(False)
    error |= ~column(frame, "geschlecht").str.lower().isin(GESCHLECHT)
    out["strasse_norm"] = normalise_strasse(column(frame, "strasse"))
    zusatz = frame["hausnummer_zusatz"] if "hausnummer_zusatz" in frame.columns else None
    hnr = parse_hausnummer(column(frame, "hausnummer"), zusatz)
    out["nr"] = hnr["nr"]
    out["suffix"] = hnr["suffix"]
    error |= out["nr"].isna()
    plz = column(frame, "plz")
    error |= (plz != "") & ~plz.str.fullmatch(r"\d{5}")
    ids = out[key]
    error |= (ids != "") & ids.duplicated(keep=False)
    return out, error.astype(bool)


def _adressen_rows(frame: pd.DataFrame, stichtag: pd.Timestamp) -> tuple[pd.DataFrame, pd.Series]:
    error = frame["_malformed"].astype(bool).copy()
    for column in ADRESSEN_REQUIRED:
        error |= blank(frame, column)
    out = pd.DataFrame(index=frame.index)
    out["ags"] = frame["ags"]
    error |= ~frame["ags"].str.fullmatch(r"\d{8}")
    out["strasse_norm"] = normalise_strasse(frame["strasse"])
    zusatz = frame["hausnummer_zusatz"] if "hausnummer_zusatz" in frame.columns else None
    hnr = parse_hausnummer(frame["hausnummer"], zusatz)
    out["nr"] = hnr["nr"]
    out["suffix"] = hnr["suffix"]
    error |= out["nr"].isna()
    out["x"] = parse_decimal(frame["ostwert"])
    out["y"] = parse_decimal(frame["nordwert"])
    error |= out["x"].isna() | out["y"].isna()
    return out, error.astype(bool)


def load_source(folder: Path, source: str, required, parse_rows) -> pd.DataFrame:
    """All accepted rows of a source, after file rejection and per-(Stichtag, ags) replacement.

    ``parse_rows(frame, stichtag)`` returns the parsed rows (with an ``ags`` column) and the
    mask of row errors of one file; ``stichtag`` is the file name's date.
    """
    parts = []
    for rank, (path, stichtag) in enumerate(_delivery_files(folder, source)):
        frame = read_delivery(path)
        if frame is None or any(c not in frame.columns for c in required):
            continue  # unreadable or a required column missing: file rejected
        if len(frame) == 0:
            continue
        rows, error = parse_rows(frame, stichtag)
        if error.sum() > MAX_ERROR_SHARE * len(frame):
            continue  # too many row errors: nothing of the file is loaded
        rows = rows.loc[~error].copy()
        rows["_stichtag_file"] = stichtag
        rows["_rank"] = rank
        parts.append(rows)
    if not parts:
        return pd.DataFrame()
    rows = pd.concat(parts, ignore_index=True)
    # a later file for the same Stichtag and municipality replaces the earlier rows
    newest = rows.groupby(["_stichtag_file", "ags"])["_rank"].transform("max")
    return rows.loc[rows["_rank"] == newest].reset_index(drop=True)


# --------------------------------------------------------------------------- geography


@dataclass
class Gliederung:
    name: str
    raum_ids: np.ndarray  # one entry per polygon (an area may have several features)
    geometries: np.ndarray
    areas: set[str]  # every raum_id of the version, also one delivered without geometry


_GLIEDERUNG_RE = re.compile(
    r"^raumgliederung_(.+?)_(\d{4}-\d{2}-\d{2})(?:_.*)?\.geojson$", re.IGNORECASE
)


def _declares_wgs84(collection: dict) -> bool | None:
    name = str(((collection.get("crs") or {}).get("properties") or {}).get("name", ""))
    if not name:
        return None
    return "4326" in name or "CRS84" in name.upper()


def _to_25832(geometries: np.ndarray) -> np.ndarray:
    from pyproj import Transformer

    transformer = Transformer.from_crs("EPSG:4326", "EPSG:25832", always_xy=True)

    def project(coords: np.ndarray) -> np.ndarray:
        x, y = transformer.transform(coords[:, 0], coords[:, 1])
        return np.column_stack([x, y])

    return shapely.transform(geometries, project)


def load_gliederungen(folder: Path) -> list[Gliederung]:
    """The newest version (``gueltig_ab``) of every Gliederung, in EPSG:25832."""
    versions: dict[str, dict[str, list[Path]]] = {}
    if folder.is_dir():
        for path in sorted(folder.iterdir()):
            m = _GLIEDERUNG_RE.match(path.name)
            if path.is_file() and m:
                name = m.group(1).lower()
                versions.setdefault(name, {}).setdefault(m.group(2), []).append(path)
    result = []
    for name in sorted(versions):
        newest = max(versions[name])
        raum_ids: list[str] = []
        geoms = []
        areas: set[str] = set()
        for path in versions[name][newest]:
            collection = json.loads(path.read_bytes().decode("utf-8-sig"))
            areas |= {
                str(f["properties"]["raum_id"]).strip()
                for f in collection.get("features", [])
                if (f.get("properties") or {}).get("raum_id") not in (None, "")
            }
            features = [
                f
                for f in collection.get("features", [])
                if f.get("geometry") and (f.get("properties") or {}).get("raum_id") not in (None, "")
            ]
            file_ids = [str(f["properties"]["raum_id"]).strip() for f in features]
            file_geoms = shapely.from_geojson(
                [json.dumps(f["geometry"]) for f in features]
            ) if features else np.array([], dtype=object)
            wgs84 = _declares_wgs84(collection)
            if wgs84 is None and len(file_geoms):
                xmin, ymin, xmax, ymax = shapely.total_bounds(file_geoms)
                wgs84 = max(abs(xmin), abs(xmax)) <= 180 and max(abs(ymin), abs(ymax)) <= 90
            if wgs84 and len(file_geoms):
                file_geoms = _to_25832(np.asarray(file_geoms))
            raum_ids.extend(file_ids)
            geoms.extend(list(file_geoms))
        result.append(
            Gliederung(
                name, np.array(raum_ids, dtype=object), np.array(geoms, dtype=object), areas
            )
        )
    return result


def assign_areas(x: np.ndarray, y: np.ndarray, gliederung: Gliederung) -> np.ndarray:
    """raum_id per point: polygon contains or touches it; on a tie the smallest raum_id.

    Points in no area get None (the caller turns them into ``<ags>-OZ``).
    """
    result = np.full(len(x), None, dtype=object)
    if len(x) == 0 or len(gliederung.geometries) == 0:
        return result
    tree = shapely.STRtree(gliederung.geometries)
    points = shapely.points(np.asarray(x, dtype=float), np.asarray(y, dtype=float))
    # for a point and a polygon, "intersects" is exactly "contains or touches"
    point_idx, geom_idx = tree.query(points, predicate="intersects")
    if len(point_idx) == 0:
        return result
    # smallest raum_id per point, via the rank of each polygon's raum_id in sorted order
    order = np.argsort(gliederung.raum_ids.astype(str), kind="stable")
    rank = np.empty(len(order), dtype=np.int64)
    rank[order] = np.arange(len(order))
    smallest = pd.Series(rank[geom_idx]).groupby(point_idx).min()
    result[smallest.index.to_numpy()] = gliederung.raum_ids[order[smallest.to_numpy()]]
    return result


def load_register(folder: Path) -> pd.DataFrame:
    """Unique register addresses; coordinates from the newest extract containing each."""
    rows = load_source(folder, "adressen", ADRESSEN_REQUIRED, _adressen_rows)
    key = ["ags", "strasse_norm", "nr", "suffix"]
    if rows.empty:
        return pd.DataFrame(columns=key + ["x", "y"])
    rows = rows.sort_values(["_stichtag_file", "_rank"], ascending=False, kind="stable")
    rows = rows.drop_duplicates(key, keep="first")
    return rows[key + ["x", "y"]].reset_index(drop=True)


def match_addresses(persons: pd.DataFrame, register: pd.DataFrame) -> np.ndarray:
    """Index into ``register`` per person (-1 if unmatched), with the suffix fallback."""
    key = ["ags", "strasse_norm", "nr", "suffix"]
    reg = register[key].copy()
    reg["nr"] = reg["nr"].astype("Int64")
    reg["_addr"] = np.arange(len(reg))
    left = persons[key].copy()
    left["nr"] = left["nr"].astype("Int64")
    left["_row"] = np.arange(len(left))
    exact = left.merge(reg, on=key, how="inner")
    addr = np.full(len(left), -1, dtype=np.int64)
    addr[exact["_row"].to_numpy()] = exact["_addr"].to_numpy()
    fallback_left = left.loc[(addr == -1) & (left["suffix"] != "").to_numpy()]
    no_suffix = reg.loc[reg["suffix"] == ""].drop(columns="suffix")
    fallback = fallback_left.drop(columns="suffix").merge(
        no_suffix, on=["ags", "strasse_norm", "nr"], how="inner"
    )
    addr[fallback["_row"].to_numpy()] = fallback["_addr"].to_numpy()
    return addr




# --------------------------------------------------------------------------- areas


@dataclass
class Geography:
    """Address register, newest Gliederungen and municipalities of a delivered county."""

    register: pd.DataFrame
    gliederungen: list[Gliederung]
    municipalities: list[str]

    def levels(self, persons: pd.DataFrame) -> dict[str, tuple[np.ndarray, list[str]]]:
        """Per level (each Gliederung, ``kommune``, ``kreis``): the area of every person
        (row of ``persons``, which needs ``ags``, ``strasse_norm``, ``nr``, ``suffix``) and
        every area of the level (also those holding nobody, ``<ags>-OZ`` included)."""
        persons = persons.reset_index(drop=True)
        addr = match_addresses(persons, self.register) if len(persons) else np.array([], int)
        matched = addr >= 0
        municipalities = sorted(set(self.municipalities) | set(persons["ags"]))
        levels: dict[str, tuple[np.ndarray, list[str]]] = {}
        oz = (persons["ags"] + "-OZ").to_numpy(dtype=object)
        for gl in self.gliederungen:
            area_of_address = assign_areas(
                self.register["x"].to_numpy(), self.register["y"].to_numpy(), gl
            )
            raum = oz.copy()
            located = np.full(len(persons), None, dtype=object)
            located[matched] = area_of_address[addr[matched]]
            has_area = pd.notna(located)
            raum[has_area] = located[has_area]
            levels[gl.name] = (raum, sorted(gl.areas | {f"{a}-OZ" for a in municipalities}))
        levels["kommune"] = (persons["ags"].to_numpy(dtype=object), municipalities)
        levels["kreis"] = (
            persons["ags"].str[:5].to_numpy(dtype=object),
            sorted({a[:5] for a in municipalities}),
        )
        return levels


def load_geography(delivered: Path, extra_municipalities: Iterable[str] = ()) -> Geography:
    """Register and Gliederungen from ``delivered/adressen`` and ``delivered/raumgliederung``;
    the municipalities are those of the register plus ``extra_municipalities`` (e.g. every
    ``ags`` of the residents register)."""
    delivered = Path(delivered)
    register = load_register(delivered / "adressen")
    gliederungen = load_gliederungen(delivered / "raumgliederung")
    municipalities = set(register["ags"]) if len(register) else set()
    municipalities |= set(extra_municipalities)
    return Geography(register, gliederungen, sorted(municipalities))


def sum_by_area(flags: pd.DataFrame, levels: dict[str, tuple[np.ndarray, list[str]]],
                years: list[int]) -> dict[str, pd.DataFrame]:
    """Per level: the sum of every numeric column of ``flags`` (one row per record, with a
    ``berichtsjahr`` column, rows aligned with the persons given to ``levels``) for every
    area of the level and every year in ``years`` (zeros where nobody is)."""
    result = {}
    for level, (raum, areas) in levels.items():
        sums = flags.assign(raum_id=raum).groupby(["raum_id", "berichtsjahr"]).sum(numeric_only=True)
        grid = pd.MultiIndex.from_product([areas, years], names=["raum_id", "berichtsjahr"])
        extra = sums.index.difference(grid)
        if len(extra):  # records in an area the level does not list: keep them visible
            grid = grid.append(extra)
        result[level] = sums.reindex(grid, fill_value=0).reset_index()
    return result


def indicator_rows(sums: dict[str, pd.DataFrame],
                   definitions: Iterable[tuple[str, str, str | None]]) -> pd.DataFrame:
    """``OUTPUT_COLUMNS`` rows from per-level sums: for each (code, numerator column,
    denominator column or None for a count)."""
    out = []
    for level, frame in sums.items():
        for code, num, den in definitions:
            out.append(pd.DataFrame({
                "code": code,
                "gliederung": level,
                "raum_id": frame["raum_id"],
                "berichtsjahr": frame["berichtsjahr"].astype("int64"),
                "zaehler": frame[num].astype("Int64"),
                "nenner": (frame[den].astype("Int64") if den is not None
                           else pd.Series(pd.NA, index=frame.index, dtype="Int64")),
            }))
    if not out:
        return pd.DataFrame(columns=OUTPUT_COLUMNS)
    return pd.concat(out, ignore_index=True)[OUTPUT_COLUMNS]


def newest_stichtag_per_year(rows: pd.DataFrame) -> pd.DataFrame:
    """Keep, per municipality and ``berichtsjahr``, only the records of the newest Stichtag."""
    newest = rows.groupby(["berichtsjahr", "ags"])["stichtag"].transform("max")
    return rows.loc[rows["stichtag"] == newest].reset_index(drop=True)
