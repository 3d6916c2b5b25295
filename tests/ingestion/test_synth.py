"""Tests of the synthetic county generator (ingestion.synth) on the real files it writes."""

from __future__ import annotations

import json
import re
import unicodedata
from datetime import datetime
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import shapely
from openpyxl import load_workbook
from shapely.geometry import shape

from ingestion.synth import SCALES, county_model, generate_county

SEED = 20261122
YEARS = [2023, 2024, 2025]
ADDRESS_COLUMNS = ["ags", "strasse", "hausnummer", "hausnummer_zusatz", "plz"]
EINWOHNER_COLUMNS = [
    "person_id", "geburtsdatum", "geschlecht", "staatsangehoerigkeit",
    "weitere_staatsangehoerigkeit", "familienstand", "ehegatte_id", "elternteil1_id",
    "elternteil2_id", "wohnungsstatus", "zuzug_datum", *ADDRESS_COLUMNS,
]
ADRESSEN_COLUMNS = [*ADDRESS_COLUMNS, "ostwert", "nordwert"]


# --- independent implementation of docs/decisions.md (address normalisation) -------------
def norm_street(name: str) -> str:
    s = unicodedata.normalize("NFC", name).lower().strip()
    for a, b in (("ä", "ae"), ("ö", "oe"), ("ü", "ue"), ("ß", "ss")):
        s = s.replace(a, b)
    s = re.sub(r"str\.?(?=[ \-]|$)", "strasse", s)
    return re.sub(r"[^a-z0-9]", "", s)


def parse_number(hausnummer: str, zusatz: str) -> tuple[int, str]:
    m = re.match(r"\s*(\d+)\s*([A-Za-z](?![A-Za-z]))?", hausnummer)
    assert m, f"house number without digits: {hausnummer!r}"
    suffix = (m.group(2) or "").lower()
    if zusatz.strip():
        suffix = zusatz.strip().lower()
    return int(m.group(1)), suffix


def read_delivery(path: Path) -> tuple[pd.DataFrame, str]:
    raw = path.read_bytes()
    if raw.startswith(b"\xef\xbb\xbf"):
        enc = "utf-8-sig"
    else:
        try:
            raw.decode("utf-8")
            enc = "utf-8"
        except UnicodeDecodeError:
            enc = "cp1252"
    df = pd.read_csv(path, sep=";", dtype=str, keep_default_na=False, encoding=enc)
    df["_line"] = range(2, len(df) + 2)  # header = line 1
    return df, enc


def invalid_lines(summary, name: str) -> set[int]:
    return {r.line for r in summary.invalid_details.get(name, [])}


def parse_dates(col: pd.Series) -> pd.Series:
    iso = col.str.match(r"^\d{4}-\d{2}-\d{2}$")
    out = pd.to_datetime(col.where(iso), format="%Y-%m-%d", errors="coerce")
    return out.fillna(pd.to_datetime(col.where(~iso & (col != "")), format="%d.%m.%Y",
                                      errors="coerce"))


def file_hashes(home: Path) -> dict[str, bytes]:
    return {str(p.relative_to(home)): p.read_bytes() for p in sorted(home.rglob("*"))
            if p.is_file()}


# --- fixtures --------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def county(tmp_path_factory):
    home = tmp_path_factory.mktemp("synth") / "home"
    messages: list[str] = []
    summary = generate_county(home / "inbox", scale="small", seed=SEED, end_year=2025,
                              progress=messages.append)
    return home, summary, messages


@pytest.fixture(scope="module")
def register(county):
    home, _, _ = county
    files = sorted((home / "inbox" / "adressen").glob("*.csv"))
    assert [f.name for f in files] == ["adressen_2025-12-31.csv"]
    df, enc = read_delivery(files[0])
    df["key_street"] = df["strasse"].map(norm_street)
    df["x"] = df["ostwert"].str.replace(",", ".").astype(float)
    df["y"] = df["nordwert"].str.replace(",", ".").astype(float)
    return df


@pytest.fixture(scope="module")
def areas(county):
    home, _, _ = county
    path = home / "inbox" / "raumgliederung" / "raumgliederung_sozialraum_2020-01-01.geojson"
    data = json.loads(path.read_text(encoding="utf-8"))
    return data, [(f["properties"], shape(f["geometry"])) for f in data["features"]]


@pytest.fixture(scope="module")
def einwohner(county, register):
    """All einwohner files, each person with the register address it matches (or none)."""
    home, _, _ = county
    exact = {(a, s, int(n), z.lower()): i for i, (a, s, n, z) in enumerate(zip(
        register["ags"], register["key_street"], register["hausnummer"],
        register["hausnummer_zusatz"], strict=True))}
    _, summary, _ = county
    out = {}
    for path in sorted((home / "inbox" / "einwohner").glob("*.csv")):
        df, enc = read_delivery(path)
        df = df[~df["_line"].isin(invalid_lines(summary, path.name))].reset_index(drop=True)
        matched = []
        for a, s, h, z in zip(df["ags"], df["strasse"], df["hausnummer"],
                              df["hausnummer_zusatz"], strict=True):
            num, suf = parse_number(h, z)
            key = norm_street(s)
            i = exact.get((a, key, num, suf))
            if i is None:
                i = exact.get((a, key, num, ""))
            matched.append(-1 if i is None else i)
        df["reg"] = matched
        df["geb"] = parse_dates(df["geburtsdatum"])
        df["zuzug"] = parse_dates(df["zuzug_datum"])
        out[path.name] = (df, enc)
    return out


def stichtag_of(name: str) -> pd.Timestamp:
    return pd.Timestamp(re.search(r"_(\d{4}-\d{2}-\d{2})", name).group(1))


def age_at(geb: pd.Series, stichtag: pd.Timestamp) -> pd.Series:
    before = (geb.dt.month > stichtag.month) | (
        (geb.dt.month == stichtag.month) & (geb.dt.day > stichtag.day))
    return stichtag.year - geb.dt.year - before.astype(int)


# --- tests ----------------------------------------------------------------------------------
def test_scales_and_summary(county):
    home, summary, messages = county
    assert set(SCALES) == {"small", "kreis", "nrw"}
    assert summary.municipalities == 3
    assert 12 <= summary.areas <= 18
    assert sorted(summary.residents) == YEARS
    for n in summary.residents.values():
        assert 25_000 <= n <= 36_000
    assert summary.addresses > 1000
    assert messages, "progress callback not used"
    assert all(p.exists() for p in summary.files)
    names = sorted(p.name for p in (home / "inbox" / "einwohner").iterdir())
    assert names == sorted(f"einwohner_{y}-12-31_{ags}.csv" for y in YEARS
                           for ags in ("05999004", "05999008", "05999012"))


def test_gemeinden_config(county):
    home, _, _ = county
    lines = (home / "config" / "gemeinden.csv").read_text(encoding="utf-8").splitlines()
    assert lines[0] == "ags;name"
    rows = dict(line.split(";") for line in lines[1:])
    assert rows["05999"] == "Kreis Musterland"
    assert sorted(k for k in rows if len(k) == 8) == ["05999004", "05999008", "05999012"]
    assert len(set(rows.values())) == len(rows)


def test_deterministic(county, tmp_path):
    home, _, _ = county
    again = tmp_path / "again"
    generate_county(again / "inbox", scale="small", seed=SEED, end_year=2025)
    assert file_hashes(again) == file_hashes(home)
    other = tmp_path / "other"
    generate_county(other / "inbox", scale="small", seed=SEED + 1, end_year=2025, years=1)
    rel = "inbox/einwohner/einwohner_2025-12-31_05999004.csv"
    assert (other / rel).read_bytes() != (home / rel).read_bytes()
    geo = "inbox/raumgliederung/raumgliederung_sozialraum_2020-01-01.geojson"
    assert (other / geo).read_bytes() != (home / geo).read_bytes()


def test_headers_and_encodings(county, register, einwohner):
    home, _, _ = county
    raw = (home / "inbox" / "adressen" / "adressen_2025-12-31.csv").read_bytes()
    assert raw.decode("utf-8").splitlines()[0].split(";") == ADRESSEN_COLUMNS
    encodings = set()
    for name, (df, enc) in einwohner.items():
        assert list(df.columns[:16]) == EINWOHNER_COLUMNS, name  # (invalid rows dropped)
        encodings.add(enc)
        ags = name.split("_")[2][:8]
        assert (df["ags"] == ags).all()
        assert df["person_id"].is_unique
        assert df["plz"].str.fullmatch(r"\d{5}").all()
        assert df["geschlecht"].isin(["m", "w", "d", "o"]).all()
        assert df["staatsangehoerigkeit"].str.fullmatch(r"\d{3}").all()
        assert df["weitere_staatsangehoerigkeit"].str.fullmatch(r"(\d{3})?").all()
        assert df["familienstand"].isin(["LD", "VH", "VW", "GS", "LP", "NB"]).all()
        assert df["wohnungsstatus"].isin(["H", "N"]).all()
        assert df["geb"].notna().all()
    assert encodings == {"utf-8", "utf-8-sig", "cp1252"}
    assert register["ags"].str.fullmatch(r"05999\d{3}").all()
    assert register["hausnummer"].str.fullmatch(r"\d+").all()
    assert register["hausnummer_zusatz"].str.fullmatch(r"[a-z]?").all()
    assert not register.duplicated(["ags", "key_street", "hausnummer",
                                    "hausnummer_zusatz"]).any()


def test_addresses_match_register(register, einwohner):
    streets = {(a, s) for a, s in zip(register["ags"], register["key_street"], strict=True)}
    total = unmatched = variants = 0
    for name, (df, _) in einwohner.items():
        miss = df[df["reg"] < 0]
        # every unmatched record lives on a street the register does not know at all
        for a, s in zip(miss["ags"], miss["strasse"], strict=True):
            assert (a, norm_street(s)) not in streets, (name, s)
        total += len(df)
        unmatched += len(miss)
        hit = df[df["reg"] >= 0]
        variants += int((hit["strasse"].to_numpy()
                         != register["strasse"].to_numpy()[hit["reg"].to_numpy()]).sum())
    assert 0.002 <= unmatched / total <= 0.012
    assert 0.02 <= variants / total <= 0.08
    all_hn = pd.concat([df["hausnummer"] for df, _ in einwohner.values()])
    assert all_hn.str.contains(r"^\d+ [a-zA-Z]$").any()
    assert all_hn.str.contains(r"^\d+-\d+$").any()
    assert all_hn.str.contains(r"^\d+[a-zA-Z]$").any()


def test_links_and_households(einwohner):
    for name, (df, _) in einwohner.items():
        stichtag = stichtag_of(name)
        ids = dict(zip(df["person_id"], range(len(df)), strict=True))
        spouse = df["ehegatte_id"].to_numpy()
        has = spouse != ""
        partner_rows = [ids[s] for s in spouse[has]]
        assert (spouse[partner_rows] == df["person_id"].to_numpy()[has]).all(), name
        assert ((df["familienstand"] == "VH") == has).all(), name
        age = age_at(df["geb"], stichtag)
        assert (df.loc[age < 16, "familienstand"] == "LD").all()
        same_address = total = 0
        for col in ("elternteil1_id", "elternteil2_id"):
            refs = df[df[col] != ""]
            for i, p in zip(refs.index, refs[col], strict=True):
                assert p in ids, (name, col, p)
                j = ids[p]
                assert age[j] - age[i] >= 14
                if age[i] < 18:
                    total += 1
                    same_address += df.at[j, "reg"] == df.at[i, "reg"]
        assert same_address / total > 0.95
        assert (df.loc[df["elternteil2_id"] != "", "elternteil1_id"] != "").all()
        n_share = (df["wohnungsstatus"] == "N").mean()
        assert 0.01 <= n_share <= 0.03
        assert (df["zuzug"].dropna() <= stichtag).all()
        assert (df["zuzug"].dropna() >= df.loc[df["zuzug"].notna(), "geb"]).all()
        assert 0.01 <= df["zuzug"].isna().mean() <= 0.15
        # several households share apartment buildings
        assert df.loc[df["reg"] >= 0, "reg"].value_counts().max() >= 15


def test_geometry_tiles(areas):
    data, feats = areas
    assert data["type"] == "FeatureCollection"
    assert data["crs"] == {"type": "name", "properties": {"name": "urn:ogc:def:crs:EPSG::25832"}}
    model = county_model("small", SEED)
    ids = [p["raum_id"] for p, _ in feats]
    assert len(ids) == len(set(ids)) == len(model.areas)
    for props, geom in feats:
        assert geom.geom_type == "Polygon" and geom.is_valid
        assert re.fullmatch(r"05999\d{3}-SR\d{2}", props["raum_id"])
        assert props["raum_id"].startswith(props["ags"])
        assert re.fullmatch(r"Sozialraum \d+ \u2013 .+", props["raum_name"])
        assert len(geom.exterior.coords) > 6  # not plain rectangles
        assert 1.0e6 <= geom.area <= 12.0e6
        c = geom.centroid
        assert 380_000 < c.x < 580_000 and 5_660_000 < c.y < 5_860_000
    for m in model.municipalities:
        polys = [g for p, g in feats if p["ags"] == m.ags]
        union = shapely.union_all(polys)
        assert abs(sum(g.area for g in polys) - union.area) < 1.0  # no overlaps
        assert union.symmetric_difference(m.polygon).area < 1.0  # cover the municipality
    county_union = shapely.union_all([g for _, g in feats])
    assert county_union.geom_type == "Polygon"
    assert abs(county_union.area - sum(m.polygon.area for m in model.municipalities)) < 1.0


def test_points_inside_their_area(register, areas):
    _, feats = areas
    geoms = [g for _, g in feats]
    tree = shapely.STRtree(geoms)
    pts = shapely.points(register["x"].to_numpy(), register["y"].to_numpy())
    pairs = tree.query(pts, predicate="within")
    counts = np.bincount(pairs[0], minlength=len(pts))
    assert (counts == 1).all()
    area_of = np.empty(len(pts), dtype=int)
    area_of[pairs[0]] = pairs[1]
    ags = np.array([p["ags"] for p, _ in feats])[area_of]
    assert (ags == register["ags"].to_numpy()).all()
    boundary = shapely.boundary(np.array(geoms)[area_of])
    assert (shapely.distance(pts, boundary) > 1.0).all()


def test_realistic_shares(county, register, areas, einwohner):
    _, summary, _ = county
    _, feats = areas
    for year in YEARS:
        frames = [df for name, (df, _) in einwohner.items() if name.startswith(f"einwohner_{year}")]
        df = pd.concat(frames)
        df = df[df["wohnungsstatus"] == "H"]
        age = age_at(df["geb"], pd.Timestamp(f"{year}-12-31"))
        assert 0.12 <= (age < 18).mean() <= 0.25
        assert 0.15 <= (age >= 65).mean() <= 0.30
        non_german = (df["staatsangehoerigkeit"] != "000") & (
            df["weitere_staatsangehoerigkeit"] != "000")
        assert 0.06 <= non_german.mean() <= 0.18
        assert ((df["staatsangehoerigkeit"] != "000")
                & (df["weitere_staatsangehoerigkeit"] == "000")).any()
    # non-German share per Sozialraum (last year) against the latent belastung
    geoms = [g for _, g in feats]
    tree = shapely.STRtree(geoms)
    pts = shapely.points(register["x"].to_numpy(), register["y"].to_numpy())
    pairs = tree.query(pts, predicate="within")
    area_of = np.empty(len(pts), dtype=int)
    area_of[pairs[0]] = pairs[1]
    df = pd.concat([df for name, (df, _) in einwohner.items() if name.startswith("einwohner_2025")])
    df = df[(df["wohnungsstatus"] == "H") & (df["reg"] >= 0)]
    raum = np.array([p["raum_id"] for p, _ in feats])[area_of[df["reg"].to_numpy()]]
    ng = ((df["staatsangehoerigkeit"] != "000") & (df["weitere_staatsangehoerigkeit"] != "000"))
    share = ng.groupby(raum).mean()
    assert set(share.index) == set(summary.belastung)
    least = min(summary.belastung, key=summary.belastung.get)
    most = max(summary.belastung, key=summary.belastung.get)
    assert share[most] - share[least] >= 0.05
    bel = pd.Series(summary.belastung)
    assert np.corrcoef(bel[share.index], share)[0, 1] > 0.3


def test_ids_persist_across_years(einwohner):
    for ags in ("05999004", "05999008", "05999012"):
        frames = [einwohner[f"einwohner_{y}-12-31_{ags}.csv"][0] for y in YEARS]
        for a, b in zip(frames, frames[1:], strict=False):
            both = a.merge(b, on="person_id", suffixes=("_a", "_b"))
            assert len(both) / len(a) > 0.85
            assert (both["geburtsdatum_a"].ne("") & (both["geb_a"] == both["geb_b"])).all()
            assert (both["geschlecht_a"] == both["geschlecht_b"]).all()
            born = b.loc[~b["person_id"].isin(a["person_id"]), "geb"]
            assert (born.dt.year == b["geb"].max().year).any()  # births of the new year
        assert all(df["person_id"].str.fullmatch(r"[0-9a-f]{16}").all() for df in frames)


# --- agency sources (contracts.md section 3), written independently of the generator -------
ADDR = ["ags", "strasse", "hausnummer", "hausnummer_zusatz", "plz"]
CONTRACT = {
    "einwohner": EINWOHNER_COLUMNS,
    "sgb2": ["person_id", "bg_id", "geburtsdatum", "geschlecht", "staatsangehoerigkeit",
             "leistungsberechtigung", "arbeitslos", "bg_typ", *ADDR],
    "hze": ["fall_id", "person_id", "geburtsdatum", "geschlecht", "hilfeart", "beginn", "ende",
            "kosten_euro", *ADDR],
    "seu": ["kind_id", "geburtsdatum", "geschlecht", "untersuchungsdatum", "einschulungsjahr",
            "gewichtsklasse", "erstsprache_deutsch", "deutschkenntnisse",
            "sprachscreening_auffaellig", "koerperkoordination_auffaellig",
            "visuomotorik_auffaellig", "impfdokument_vorgelegt", "masern_vollstaendig",
            "u9_dokumentiert", "kita_dauer", *ADDR],
    "kita": ["kind_id", "geburtsdatum", "geschlecht", "betreuungsart", "einrichtung_id",
             "wochenstunden", "betreuungsbeginn", *ADDR],
    "schule": ["schueler_id", "geburtsdatum", "geschlecht", "schuljahr", "schulform",
               "foerderbedarf", *ADDR],
    "schulabgang": ["schueler_id", "geburtsdatum", "geschlecht", "schuljahr", "abschluss", *ADDR],
}
REQUIRED = {
    "einwohner": ["person_id", "geburtsdatum", "geschlecht", "staatsangehoerigkeit",
                  "wohnungsstatus", "ags", "strasse", "hausnummer"],
    "sgb2": ["person_id", "bg_id", "geburtsdatum", "geschlecht", "leistungsberechtigung"],
    "hze": ["fall_id", "person_id", "geburtsdatum", "geschlecht", "hilfeart", "beginn"],
    "seu": ["kind_id", "geburtsdatum", "geschlecht", "untersuchungsdatum", "einschulungsjahr"],
    "kita": ["kind_id", "geburtsdatum", "geschlecht", "betreuungsart"],
    "schule": ["schueler_id", "geburtsdatum", "geschlecht", "schuljahr", "schulform"],
    "schulabgang": ["schueler_id", "geburtsdatum", "geschlecht", "schuljahr", "abschluss"],
}
KEY = {"einwohner": "person_id", "sgb2": "person_id", "hze": "fall_id", "seu": "kind_id",
       "kita": "kind_id", "schule": "schueler_id", "schulabgang": "schueler_id"}
CODES = {
    "geschlecht": {"m", "w", "d", "o"},
    "wohnungsstatus": {"H", "N"},
    "familienstand": {"LD", "VH", "VW", "GS", "LP", "NB"},
    "leistungsberechtigung": {"ELB", "NEF", "SLB", "KOL", "AUS"},
    "bg_typ": {"SINGLE", "AE", "PAAR_OK", "PAAR_MK", "SONST"},
    "hilfeart": {"27_2", "28", "29", "30", "31", "32", "33", "34", "35", "35a", "41", "42"},
    "gewichtsklasse": {"1", "2", "3", "4", "5"},
    "deutschkenntnisse": {"1", "2", "3", "4"},
    "kita_dauer": {"0", "1", "2", "3"},
    "betreuungsart": {"KITA", "KTP"},
    "schulform": {"GY", "GE", "RS", "HS", "SK", "PR", "FS", "SO"},
    "abschluss": {"OA", "HSA", "MSA", "FHR", "AHR"},
}
DATES = {"geburtsdatum", "zuzug_datum", "beginn", "ende", "untersuchungsdatum",
         "betreuungsbeginn"}
YES_NO = {"j": True, "ja": True, "1": True, "true": True,
          "n": False, "nein": False, "0": False, "false": False}
YN_COLUMNS = {"arbeitslos", "erstsprache_deutsch", "sprachscreening_auffaellig",
              "koerperkoordination_auffaellig", "visuomotorik_auffaellig",
              "impfdokument_vorgelegt", "masern_vollstaendig", "u9_dokumentiert", "foerderbedarf"}
EXTRA_OK = {"lfd_nr", "bemerkung", "sachbearbeitung"}
LAST = YEARS[-1]


def xlsx_cell(v) -> str:
    if v is None:
        return ""
    if isinstance(v, datetime):
        return v.date().isoformat()
    if isinstance(v, float) and v.is_integer():
        return str(int(v))
    return str(v)


def read_any(path: Path) -> tuple[pd.DataFrame, list[str], str]:
    """A CSV or XLSX delivery: frame (lower-case columns, `_line`), raw header, encoding."""
    if path.suffix == ".xlsx":
        wb = load_workbook(path, read_only=True, data_only=True)
        rows = [[xlsx_cell(v) for v in r] for r in wb.worksheets[0].iter_rows(values_only=True)]
        wb.close()
        header = rows[0]
        df = pd.DataFrame(rows[1:], columns=[h.strip().lower() for h in header])
        df["_line"] = range(2, len(rows) + 1)
        return df, header, "xlsx"
    df, enc = read_delivery(path)
    header = [c for c in df.columns if c != "_line"]
    df.columns = [c.strip().lower() for c in header] + ["_line"]
    return df, header, enc


def parse_decimal(col: pd.Series) -> pd.Series:
    s = col.str.strip()
    comma = s.str.contains(",", regex=False)
    s = s.where(~comma, s.str.replace(".", "", regex=False).str.replace(",", ".", regex=False))
    return pd.to_numeric(s.replace("", np.nan), errors="coerce")


def row_errors(source: str, df: pd.DataFrame, stichtag: pd.Timestamp) -> set[int]:
    """Lines that break the contract, by an independent reading of contracts.md."""
    bad = pd.Series(False, index=df.index)
    for c in REQUIRED[source] + ["ags", "strasse", "hausnummer"]:
        bad |= df[c].str.strip() == ""
    for c in DATES & set(df.columns):
        bad |= (df[c] != "") & parse_dates(df[c]).isna()
    for c, allowed in CODES.items():
        if c in df.columns:
            bad |= (df[c] != "") & ~df[c].isin(allowed)
    for c in YN_COLUMNS & set(df.columns):
        bad |= (df[c] != "") & ~df[c].str.lower().isin(YES_NO)
    geb = parse_dates(df["geburtsdatum"])
    bad |= (geb > stichtag).fillna(False)
    bad |= (age_at(geb, stichtag) > 115).fillna(False)
    bad |= ~df["hausnummer"].str.contains(r"\d")
    bad |= df[KEY[source]].duplicated(keep="first") & (df[KEY[source]] != "")
    if source == "hze":
        bad |= (parse_dates(df["ende"]) < parse_dates(df["beginn"])).fillna(False)
        bad |= (parse_decimal(df["kosten_euro"]) < 0).fillna(False)
    return set(df.loc[bad, "_line"])


@pytest.fixture(scope="module")
def deliveries(county):
    """Every tabular delivery: name -> (source, frame with `_invalid`, raw header, encoding)."""
    home, summary, _ = county
    out = {}
    for path in sorted((home / "inbox").glob("*/*")):
        source = path.parent.name
        if source not in CONTRACT:
            continue
        df, header, enc = read_any(path)
        df["_invalid"] = df["_line"].isin(invalid_lines(summary, path.name))
        out[path.name] = (source, df, header, enc)
    return out


def valid(deliveries, prefix: str) -> pd.DataFrame:
    frames = [df[~df["_invalid"]] for name, (_, df, _, _) in deliveries.items()
              if name.startswith(prefix)]
    assert frames, prefix
    return pd.concat(frames, ignore_index=True)


def test_all_sources_written(county):
    home, summary, _ = county
    expected = {
        "sgb2": [f"sgb2_{y}-12-31.csv" for y in YEARS],
        "hze": ["hze_2023-12-31.xlsx", "hze_2024-12-31.csv", "hze_2025-12-31.csv"],
        "seu": ["seu_2023-07-31.csv", "seu_2024-07-31.csv", "seu_2025-07-31.xlsx"],
        "kita": ["kita_2024-03-01.xlsx", "kita_2025-03-01.csv"],
        "schule": [f"schule_{y}-10-15.csv" for y in YEARS],
        "schulabgang": [f"schulabgang_{y}-07-31.csv" for y in YEARS],
    }
    for source, names in expected.items():
        assert sorted(p.name for p in (home / "inbox" / source).iterdir()) == names
        assert summary.deliveries[source] == names
    assert sorted(p.name for p in (home / "inbox" / "raumgliederung").iterdir()) == [
        "raumgliederung_planungsraum_2022-01-01.geojson",
        "raumgliederung_sozialraum_2020-01-01.geojson"]
    assert len(summary.deliveries["einwohner"]) == 9
    assert all(p.exists() for p in summary.files)


def test_agency_headers_and_styles(deliveries):
    encodings, upper, extras = set(), 0, set()
    for name, (source, df, header, enc) in deliveries.items():
        canonical = [h.strip().lower() for h in header]
        assert [h for h in canonical if h not in EXTRA_OK] == CONTRACT[source], name
        encodings.add(enc)
        upper += any(h != h.lower() for h in header)
        extras |= set(canonical) & EXTRA_OK
        assert (df["ags"].str.fullmatch(r"05999\d{3}")).all(), name
        assert (df["plz"].str.fullmatch(r"\d{5}")).all(), name
    assert encodings == {"utf-8", "utf-8-sig", "cp1252", "xlsx"}
    assert upper >= 1 and extras == EXTRA_OK
    tokens = set()
    for _, (_, df, _, _) in deliveries.items():
        for c in YN_COLUMNS & set(df.columns):
            tokens |= set(df[c].str.lower())
    assert tokens - {""} == set(YES_NO)  # all yes/no spellings of the contract occur
    kosten = pd.concat([df["kosten_euro"] for _, (s, df, _, enc) in deliveries.items()
                        if s == "hze" and enc != "xlsx"])
    assert kosten.str.fullmatch(r"\d{1,3}(\.\d{3})+,\d\d").any()  # 1.234,56
    assert kosten.str.fullmatch(r"\d+,\d\d").any() and kosten.str.fullmatch(r"\d+\.\d\d").any()
    hn = pd.concat([df["hausnummer"] for _, (_, df, _, _) in deliveries.items()])
    assert hn.str.fullmatch(r"\d+ [a-z]").any() and hn.str.fullmatch(r"\d+[A-Za-z]").any()


def test_invalid_rows_exactly_as_reported(county, deliveries):
    _, summary, _ = county
    reasons = set()
    for name, (source, df, _, _) in deliveries.items():
        stichtag = stichtag_of(name)
        details = summary.invalid_details[name]
        assert summary.invalid_rows[name] == len(details)
        assert summary.rows[name] == len(df)
        assert {r.line for r in details} == row_errors(source, df, stichtag), name
        assert len(details) / len(df) < 0.01, name
        if len(df) >= 300:
            assert details, f"{name}: no invalid rows to quarantine"
        reasons |= {r.reason for r in details}
        key = KEY[source]
        for r in details:
            assert r.column in CONTRACT[source]
            if r.reason == "schluessel_doppelt":  # the later occurrence is the invalid one
                first = df.loc[df["_line"] == r.duplicate_of].iloc[0]
                again = df.loc[df["_line"] == r.line].iloc[0]
                assert r.duplicate_of < r.line and first[key] == again[key]
                assert r.duplicate_of not in {d.line for d in details}
            else:
                assert r.duplicate_of is None
    assert reasons == {"datum_unmoeglich", "code_unbekannt", "geburt_nach_stichtag",
                       "alter_ueber_115", "schluessel_doppelt", "hausnummer_ohne_ziffer",
                       "pflichtwert_fehlt", "ende_vor_beginn", "kosten_negativ"}


def test_agency_person_ids_are_residents(deliveries, einwohner):
    for y in YEARS:
        ids = set(pd.concat([df["person_id"] for name, (df, _) in einwohner.items()
                             if name.startswith(f"einwohner_{y}")]))
        for source in ("sgb2", "hze"):
            df = valid(deliveries, f"{source}_{y}")
            assert df["person_id"].isin(ids).all(), (source, y)
            bad = pd.concat([d[d["_invalid"]] for n, (_, d, _, _) in deliveries.items()
                             if n.startswith(f"{source}_{y}")])
            assert len(bad) >= 1
    # the agencies' own pseudonyms are stable: children in Kita in both years keep their id
    k1, k2 = valid(deliveries, "kita_2024"), valid(deliveries, "kita_2025")
    both = k1.merge(k2, on="kind_id")
    assert len(both) > 0.5 * len(k2)
    assert (both["geburtsdatum_x"].map(parse_dates_one) == both["geburtsdatum_y"].map(
        parse_dates_one)).all()


def parse_dates_one(text: str):
    return parse_dates(pd.Series([text])).iloc[0]


def county_rates(deliveries, einwohner, year: int) -> dict[str, float]:
    st = pd.Timestamp(f"{year}-12-31")
    ew = pd.concat([df for name, (df, _) in einwohner.items()
                    if name.startswith(f"einwohner_{year}")])
    ew = ew[ew["wohnungsstatus"] == "H"]
    age = age_at(ew["geb"], st)
    prev = pd.concat([df for name, (df, _) in einwohner.items()
                      if name.startswith(f"einwohner_{year - 1}")])
    prev = prev[prev["wohnungsstatus"] == "H"]
    age_prev = age_at(prev["geb"], pd.Timestamp(f"{year - 1}-12-31"))
    r: dict[str, float] = {}
    sg = valid(deliveries, f"sgb2_{year}")
    sg_age = age_at(parse_dates(sg["geburtsdatum"]), st)
    rlb = sg["leistungsberechtigung"].isin(["ELB", "NEF"])
    r["S03"] = (rlb & (sg_age < 65)).sum() / (age < 65).sum()
    r["S04"] = (rlb & (sg_age < 15)).sum() / (age < 15).sum()
    hz = valid(deliveries, f"hze_{year}")
    beg, end = parse_dates(hz["beginn"]), parse_dates(hz["ende"])
    laufend = (beg <= st) & (end.isna() | (end >= st))
    narrow = hz["hilfeart"].isin(["27_2", "29", "30", "31", "32", "33", "34", "35"])
    u18 = age_at(parse_dates(hz["geburtsdatum"]), st) < 18
    r["E01"] = 1000 * (laufend & narrow & u18).sum() / (age < 18).sum()
    full_year = hz[(beg < pd.Timestamp(f"{year}-01-01")) & end.isna()]
    cost = parse_decimal(full_year["kosten_euro"]).groupby(full_year["hilfeart"]).median()
    r["kosten_34"], r["kosten_31"] = cost["34"], cost["31"]
    # SEU and school cohorts are small (~350 children a year in `small`): pooled over the
    # Berichtsjahre, as the G indicators are (seu_pool_jahre)
    pool = [y for y in YEARS if y <= year]
    se = pd.concat([valid(deliveries, f"seu_{y}") for y in pool])
    g = se.loc[se["gewichtsklasse"] != "", "gewichtsklasse"]
    r["G01"], r["G02"] = g.isin(["4", "5"]).mean(), (g == "5").mean()
    ki = valid(deliveries, f"kita_{year}")
    ki_age = age_at(parse_dates(ki["geburtsdatum"]), pd.Timestamp(f"{year}-03-01"))
    r["K01"] = (ki_age < 3).sum() / (age_prev < 3).sum()
    r["K02"] = ki_age.between(3, 5).sum() / age_prev.between(3, 5).sum()
    r["K03"] = ((ki_age < 3) & (ki["betreuungsart"] == "KTP")).sum() / (ki_age < 3).sum()
    hours = pd.to_numeric(ki["wochenstunden"], errors="coerce").dropna()
    r["hours_25_35_45"] = hours.isin([25, 35, 45]).mean()
    sc = pd.concat([valid(deliveries, f"schule_{y}") for y in pool])
    r["GY"] = (sc["schulform"] == "GY").mean()
    fb = sc["foerderbedarf"].str.lower().map(YES_NO).dropna()
    r["BI04"] = fb.mean()
    r["grade5_per_cohort"] = (sc["schuljahr"] == f"{year}/{(year + 1) % 100:02d}").sum() / (
        age == 10).sum()
    sa = pd.concat([valid(deliveries, f"schulabgang_{y}") for y in pool])
    r["BI05"] = (sa["abschluss"] == "OA").mean()
    r["BI06"] = sa["abschluss"].isin(["FHR", "AHR"]).mean()
    r["leavers_per_cohort"] = (sa["schuljahr"] == f"{year - 1}/{year % 100:02d}").sum() / (
        age == 17).sum()
    return r


def test_realistic_agency_rates(deliveries, einwohner):
    r = county_rates(deliveries, einwohner, LAST)
    ranges = {  # realistic ranges, widened a little for the small county's sampling noise
        "S03": (0.06, 0.12), "S04": (0.10, 0.25), "E01": (15, 40),
        "kosten_34": (60_000, 80_000), "kosten_31": (15_000, 25_000),
        "G01": (0.07, 0.14), "G02": (0.02, 0.06), "K01": (0.25, 0.40), "K02": (0.85, 0.96),
        "K03": (0.12, 0.28), "hours_25_35_45": (0.9, 1.0), "GY": (0.30, 0.45),
        "BI04": (0.04, 0.085), "grade5_per_cohort": (0.9, 1.1), "BI05": (0.03, 0.10),
        "BI06": (0.32, 0.48), "leavers_per_cohort": (0.8, 1.2),
    }
    for code, (lo, hi) in ranges.items():
        assert lo <= r[code] <= hi, (code, r[code])


def test_sources_correlate_with_belastung(county, register, areas, deliveries, einwohner):
    """SGB II children up, Gymnasium down from the least to the most burdened third."""
    _, summary, _ = county
    _, feats = areas
    tree = shapely.STRtree([g for _, g in feats])
    pairs = tree.query(shapely.points(register["x"].to_numpy(), register["y"].to_numpy()),
                       predicate="within")
    raum_of_reg = np.empty(len(register), dtype=object)
    raum_of_reg[pairs[0]] = np.array([p["raum_id"] for p, _ in feats])[pairs[1]]
    exact = {(a, s, int(n), z.lower()): i for i, (a, s, n, z) in enumerate(zip(
        register["ags"], register["key_street"], register["hausnummer"],
        register["hausnummer_zusatz"], strict=True))}

    def raum(df: pd.DataFrame) -> pd.Series:
        out = []
        for a, s, h, z in zip(df["ags"], df["strasse"], df["hausnummer"],
                              df["hausnummer_zusatz"], strict=True):
            num, suf = parse_number(h, z)
            i = exact.get((a, norm_street(s), num, suf), exact.get((a, norm_street(s), num, "")))
            out.append(None if i is None else raum_of_reg[i])
        return pd.Series(out, index=df.index)

    bel = pd.Series(summary.belastung).sort_values()
    third = len(bel) // 3
    groups = {"low": set(bel.index[:third]), "high": set(bel.index[-third:])}
    share_sgb2, share_gy = {}, {}
    for g, ids in groups.items():
        kids = sgb2_kids = pupils = gy = 0
        for y in YEARS:
            st = pd.Timestamp(f"{y}-12-31")
            ew = pd.concat([df for n, (df, _) in einwohner.items()
                            if n.startswith(f"einwohner_{y}")])
            ew = ew[(ew["wohnungsstatus"] == "H") & (ew["reg"] >= 0)]
            in_g = pd.Series(raum_of_reg[ew["reg"].to_numpy()], index=ew.index).isin(ids)
            kids += (in_g & (age_at(ew["geb"], st) < 15)).sum()
            sg = valid(deliveries, f"sgb2_{y}")
            sg = sg[sg["leistungsberechtigung"].isin(["ELB", "NEF"])]
            sg = sg[age_at(parse_dates(sg["geburtsdatum"]), st) < 15]
            sgb2_kids += raum(sg).isin(ids).sum()
            sc = valid(deliveries, f"schule_{y}")
            sc = sc[raum(sc).isin(ids)]
            pupils += len(sc)
            gy += (sc["schulform"] == "GY").sum()
        share_sgb2[g], share_gy[g] = sgb2_kids / kids, gy / pupils
    assert share_sgb2["high"] > 1.8 * share_sgb2["low"], share_sgb2
    assert share_gy["high"] < share_gy["low"] - 0.08, share_gy


def test_planungsraum_crosses_municipal_borders(county, register, areas):
    home, summary, _ = county
    path = home / "inbox" / "raumgliederung" / "raumgliederung_planungsraum_2022-01-01.geojson"
    data = json.loads(path.read_text(encoding="utf-8"))
    assert data["crs"]["properties"]["name"] == "urn:ogc:def:crs:EPSG::25832"
    feats = [(f["properties"], shape(f["geometry"])) for f in data["features"]]
    assert len(feats) == summary.planungsraeume >= 3
    ids = [p["raum_id"] for p, _ in feats]
    assert len(set(ids)) == len(ids)
    geoms = [g for _, g in feats]
    assert all(g.is_valid and g.geom_type == "Polygon" for g in geoms)
    # tiles the county: no overlaps, same union as the Sozialräume
    union = shapely.union_all(geoms)
    assert abs(sum(g.area for g in geoms) - union.area) < 1.0
    assert union.symmetric_difference(shapely.union_all([g for _, g in areas[1]])).area < 1.0
    # every address point strictly inside exactly one area; some areas hold 2+ municipalities
    pts = shapely.points(register["x"].to_numpy(), register["y"].to_numpy())
    pairs = shapely.STRtree(geoms).query(pts, predicate="within")
    assert (np.bincount(pairs[0], minlength=len(pts)) == 1).all()
    area_of = np.empty(len(pts), dtype=int)
    area_of[pairs[0]] = pairs[1]
    assert (shapely.distance(pts, shapely.boundary(np.array(geoms)[area_of])) > 1.0).all()
    munis = pd.Series(register["ags"].to_numpy()).groupby(area_of).nunique()
    assert (munis >= 2).any()
    for k, (props, _) in enumerate(feats):
        assert ("ags" in props) == (munis.get(k, 1) == 1), props
        assert re.fullmatch(r"05999-PR\d{3}", props["raum_id"]) and props["raum_name"]


def test_clean_mode_without_messiness(tmp_path):
    summary = generate_county(tmp_path / "inbox", scale="small", seed=SEED, years=2,
                              messiness=0.0, invalid_rows=0.0)
    assert sum(summary.invalid_rows.values()) == 0
    names = [p.name for p in summary.files if p.parent.name in CONTRACT]
    assert names and all(n.endswith(".csv") for n in names)
    assert summary.deliveries["kita"] == ["kita_2025-03-01.csv"]
    for p in summary.files:
        if p.parent.name not in CONTRACT:
            continue
        raw = p.read_bytes()
        assert not raw.startswith(b"\xef\xbb\xbf") and b"\r\n" not in raw
        text = raw.decode("utf-8")
        assert text.splitlines()[0].split(";") == CONTRACT[p.parent.name]
        df = pd.read_csv(p, sep=";", dtype=str, keep_default_na=False)
        for c in YN_COLUMNS & set(df.columns):
            assert set(df[c]) <= {"J", "N", ""}
        assert not df["geburtsdatum"].str.contains("-").any()
