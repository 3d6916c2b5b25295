"""Tests of the synthetic county generator (ingestion.synth) on the real files it writes."""

from __future__ import annotations

import json
import re
import unicodedata
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import shapely
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
    return df, enc


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
    out = {}
    for path in sorted((home / "inbox" / "einwohner").glob("*.csv")):
        df, enc = read_delivery(path)
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
    return pd.Timestamp(name.split("_")[1])


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
        assert list(df.columns[:16]) == EINWOHNER_COLUMNS, name
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
