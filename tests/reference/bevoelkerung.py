"""Reference implementation of the B indicators (Bevölkerungsstruktur), in plain pandas.

Written only from ``shared/spec/contracts.md``, ``shared/spec/indicators.md`` and
``docs/decisions.md``; it deliberately shares no code with ``ingestion/`` or the dbt
models, so that agreement between the two is evidence, not an echo.

Entry point: :func:`recompute_b_indicators`, which reads a folder laid out like an inbox
(``adressen/``, ``raumgliederung/``, ``einwohner/``) and returns one row per
(code, gliederung, raum_id, berichtsjahr) with ``zaehler`` and ``nenner``.

Readings of the rules where the texts leave room:

- Several ``einwohner`` Stichtage in one calendar year: per municipality the newest
  Stichtag of the year is the Berichtsjahr's population.
- The same (Stichtag, municipality) in several files: the file delivered last (file
  modification time, then file name) replaces the earlier rows of that key.
- Row errors follow contracts.md: missing required value, impossible date, unknown code,
  birth after the Stichtag, age above 115, a repeated ``person_id`` within a file (every
  occurrence after the first); a file with more than 5 % row errors is rejected whole.
- B10 of the first Berichtsjahr (no previous year): ``zaehler`` and ``nenner`` are None;
  otherwise the previous year is Berichtsjahr - 1 (same geography, same rules).
- Point in polygon ignores an area's ``ags`` property; a municipality's persons whose
  address lies in no area go to ``<ags>-OZ`` of the person's own ``ags``.
- The register address used is the newest extract containing it, also an extract dated
  after the record's Stichtag.
- A GeoJSON without a ``crs`` member is EPSG:25832 unless all coordinates lie within
  ±180/±90 (then EPSG:4326); files of the same Gliederung and ``gueltig_ab`` are united.
- A municipality without a delivery in a year gets zero counts there (the published
  warehouse may mark such cells ``keine_daten`` instead).
"""

from __future__ import annotations

import io
import json
import re
import unicodedata
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
import shapely

MAX_ERROR_SHARE = 0.05
MAX_AGE = 115

EINWOHNER_REQUIRED = (
    "person_id",
    "geburtsdatum",
    "geschlecht",
    "staatsangehoerigkeit",
    "wohnungsstatus",
    "ags",
    "strasse",
    "hausnummer",
)
ADRESSEN_REQUIRED = ("ags", "strasse", "hausnummer", "ostwert", "nordwert")

GESCHLECHT = {"m", "w", "d", "o"}
FAMILIENSTAND = {"LD", "VH", "VW", "GS", "LP", "NB"}
WOHNUNGSSTATUS = {"H", "N"}

#: (code, numerator flag, denominator flag or None for a count)
B_DEFINITIONS: tuple[tuple[str, str, str | None], ...] = (
    ("B01", "pop", None),
    ("B02", "u18", "pop"),
    ("B03", "u6", "pop"),
    ("B04", "a65", "pop"),
    ("B05", "a80", "pop"),
    ("B06", "u20", "a20_64"),
    ("B07", "a65", "a20_64"),
    ("B08", "nd", "pop"),
    ("B09", "nd_u18", "u18"),
    # B10 is computed separately: (pop - pop of previous year) / pop of previous year
    ("B11", "zuzug_12m", "zuzug_known"),
    ("B12", "wohndauer_5", "a5_zuzug_known"),
)
B_CODES = tuple(f"B{i:02d}" for i in range(1, 13))

#: wert = FAKTOR[code] * zaehler / nenner (B01 is a count: wert = zaehler)
FAKTOR = {code: (1 if code == "B01" else 100) for code in B_CODES}

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


def _blank(frame: pd.DataFrame, column: str) -> pd.Series:
    if column not in frame.columns:
        return pd.Series(True, index=frame.index)
    return frame[column] == ""


def _einwohner_rows(frame: pd.DataFrame, stichtag: pd.Timestamp) -> tuple[pd.DataFrame, pd.Series]:
    """Parsed rows of one ``einwohner`` file and the mask of row errors."""
    error = frame["_malformed"].astype(bool).copy()
    for column in EINWOHNER_REQUIRED:
        error |= _blank(frame, column)

    out = pd.DataFrame(index=frame.index)
    out["person_id"] = frame["person_id"]
    out["ags"] = frame["ags"]
    error |= ~frame["ags"].str.fullmatch(r"\d{8}")

    out["geburtsdatum"] = parse_dates(frame["geburtsdatum"])
    error |= out["geburtsdatum"].isna()
    zuzug_raw = frame["zuzug_datum"] if "zuzug_datum" in frame.columns else pd.Series("", index=frame.index)
    out["zuzug_datum"] = parse_dates(zuzug_raw)
    error |= (zuzug_raw != "") & out["zuzug_datum"].isna()

    error |= ~frame["geschlecht"].str.lower().isin(GESCHLECHT)
    wohnungsstatus = frame["wohnungsstatus"].str.upper()
    error |= ~wohnungsstatus.isin(WOHNUNGSSTATUS)
    out["is_hauptwohnung"] = wohnungsstatus == "H"

    sta = frame["staatsangehoerigkeit"]
    error |= ~sta.str.fullmatch(r"\d{3}")
    weitere = (
        frame["weitere_staatsangehoerigkeit"]
        if "weitere_staatsangehoerigkeit" in frame.columns
        else pd.Series("", index=frame.index)
    )
    error |= (weitere != "") & ~weitere.str.fullmatch(r"\d{3}")
    out["is_nichtdeutsch"] = (sta != "000") & (weitere != "000")
    if "familienstand" in frame.columns:
        fs = frame["familienstand"].str.upper()
        error |= (fs != "") & ~fs.isin(FAMILIENSTAND)

    st = pd.Series(stichtag, index=frame.index)
    out["stichtag"] = st
    out["alter"] = completed_years(out["geburtsdatum"], st)
    error |= (out["geburtsdatum"] > st).fillna(False)
    error |= (out["alter"] > MAX_AGE).fillna(False)

    out["strasse_norm"] = normalise_strasse(frame["strasse"])
    zusatz = frame["hausnummer_zusatz"] if "hausnummer_zusatz" in frame.columns else None
    hnr = parse_hausnummer(frame["hausnummer"], zusatz)
    out["nr"] = hnr["nr"]
    out["suffix"] = hnr["suffix"]
    error |= out["nr"].isna()

    pid = frame["person_id"]
    # docs/decisions.md: every row of a key that occurs twice is an error
    error |= (pid != "") & pid.duplicated(keep=False)
    return out, error.astype(bool)


def _adressen_rows(frame: pd.DataFrame) -> tuple[pd.DataFrame, pd.Series]:
    error = frame["_malformed"].astype(bool).copy()
    for column in ADRESSEN_REQUIRED:
        error |= _blank(frame, column)
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


def _load_source(folder: Path, source: str, required, parse_rows) -> pd.DataFrame:
    """All accepted rows of a source, after file rejection and per-(Stichtag, ags) replacement."""
    parts = []
    for rank, (path, stichtag) in enumerate(_delivery_files(folder, source)):
        frame = read_delivery(path)
        if frame is None or any(c not in frame.columns for c in required):
            continue  # unreadable or a required column missing: file rejected
        if len(frame) == 0:
            continue
        if source == "einwohner":
            rows, error = parse_rows(frame, stichtag)
        else:
            rows, error = parse_rows(frame)
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
    rows = _load_source(folder, "adressen", ADRESSEN_REQUIRED, _adressen_rows)
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


# --------------------------------------------------------------------------- indicators


def _person_flags(persons: pd.DataFrame) -> pd.DataFrame:
    age = persons["alter"].astype("int64")
    st = persons["stichtag"]
    zuzug = persons["zuzug_datum"]
    known = zuzug.notna()
    days = (st - zuzug).dt.days
    wohndauer = completed_years(zuzug, st)
    flags = pd.DataFrame(index=persons.index)
    flags["pop"] = 1
    flags["u18"] = age < 18
    flags["u6"] = age < 6
    flags["u20"] = age < 20
    flags["a20_64"] = (age >= 20) & (age <= 64)
    flags["a65"] = age >= 65
    flags["a80"] = age >= 80
    flags["nd"] = persons["is_nichtdeutsch"]
    flags["nd_u18"] = persons["is_nichtdeutsch"] & (age < 18)
    flags["zuzug_known"] = known
    flags["zuzug_12m"] = (known & (days >= 0) & (days <= 364)).fillna(False)
    flags["a5_zuzug_known"] = known & (age >= 5)
    flags["wohndauer_5"] = (known & (age >= 5) & (wohndauer >= 5)).fillna(False)
    return flags.astype("int64")


def recompute_b_indicators(delivered: Path) -> pd.DataFrame:
    """B01–B12 for every area, municipality and the county, every Berichtsjahr.

    ``delivered`` holds ``adressen/``, ``raumgliederung/`` and ``einwohner/`` as delivered.
    Returns columns ``code, gliederung, raum_id, berichtsjahr, zaehler, nenner``
    (nullable integers; ``nenner`` is None for the count B01 and for B10 of the first year).
    """
    delivered = Path(delivered)
    register = load_register(delivered / "adressen")
    gliederungen = load_gliederungen(delivered / "raumgliederung")
    einwohner = _load_source(
        delivered / "einwohner", "einwohner", EINWOHNER_REQUIRED, _einwohner_rows
    )

    municipalities = set(register["ags"]) if len(register) else set()
    if len(einwohner):
        municipalities |= set(einwohner["ags"])
        einwohner["berichtsjahr"] = einwohner["stichtag"].dt.year.astype("int64")
        # per municipality and year the newest Stichtag is the year's population
        newest = einwohner.groupby(["berichtsjahr", "ags"])["stichtag"].transform("max")
        einwohner = einwohner.loc[einwohner["stichtag"] == newest]
        years = sorted(einwohner["berichtsjahr"].unique().tolist())
    else:
        years = []
    municipalities = sorted(municipalities)
    if not years:
        return pd.DataFrame(columns=OUTPUT_COLUMNS)

    persons = einwohner.loc[einwohner["is_hauptwohnung"]].reset_index(drop=True)
    addr = match_addresses(persons, register)
    matched = addr >= 0

    # level name -> (raum_id per person, every area of the level)
    levels: dict[str, tuple[np.ndarray, list[str]]] = {}
    oz = (persons["ags"] + "-OZ").to_numpy(dtype=object)
    for gl in gliederungen:
        area_of_address = assign_areas(register["x"].to_numpy(), register["y"].to_numpy(), gl)
        raum = oz.copy()
        located = np.full(len(persons), None, dtype=object)
        located[matched] = area_of_address[addr[matched]]
        has_area = pd.notna(located)
        raum[has_area] = located[has_area]
        areas = sorted(gl.areas | {f"{a}-OZ" for a in municipalities})
        levels[gl.name] = (raum, areas)
    levels["kommune"] = (persons["ags"].to_numpy(dtype=object), municipalities)
    levels["kreis"] = (
        persons["ags"].str[:5].to_numpy(dtype=object),
        sorted({a[:5] for a in municipalities}),
    )

    flags = _person_flags(persons)
    flags["berichtsjahr"] = persons["berichtsjahr"].to_numpy()
    out = []
    for level, (raum, areas) in levels.items():
        sums = flags.assign(raum_id=raum).groupby(["raum_id", "berichtsjahr"]).sum()
        grid = pd.MultiIndex.from_product([areas, years], names=["raum_id", "berichtsjahr"])
        extra = sums.index.difference(grid)
        if len(extra):  # persons in an area that the level does not list: keep them visible
            grid = grid.append(extra)
        sums = sums.reindex(grid, fill_value=0).reset_index()
        for code, num, den in B_DEFINITIONS:
            out.append(
                pd.DataFrame(
                    {
                        "code": code,
                        "gliederung": level,
                        "raum_id": sums["raum_id"],
                        "berichtsjahr": sums["berichtsjahr"],
                        "zaehler": sums[num].astype("Int64"),
                        "nenner": (
                            sums[den].astype("Int64")
                            if den is not None
                            else pd.Series(pd.NA, index=sums.index, dtype="Int64")
                        ),
                    }
                )
            )
        prev = sums[["raum_id", "berichtsjahr", "pop"]].copy()
        prev["berichtsjahr"] += 1
        b10 = sums[["raum_id", "berichtsjahr", "pop"]].merge(
            prev.rename(columns={"pop": "pop_vorjahr"}), on=["raum_id", "berichtsjahr"], how="left"
        )
        nenner = b10["pop_vorjahr"].astype("Int64")
        out.append(
            pd.DataFrame(
                {
                    "code": "B10",
                    "gliederung": level,
                    "raum_id": b10["raum_id"],
                    "berichtsjahr": b10["berichtsjahr"],
                    "zaehler": (b10["pop"].astype("Int64") - nenner),
                    "nenner": nenner,
                }
            )
        )
    result = pd.concat(out, ignore_index=True)
    result["berichtsjahr"] = result["berichtsjahr"].astype("int64")
    result = result.sort_values(["code", "gliederung", "raum_id", "berichtsjahr"])
    return result.reset_index(drop=True)[OUTPUT_COLUMNS]
