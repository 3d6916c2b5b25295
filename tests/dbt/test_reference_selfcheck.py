"""Checks the reference implementation of the B indicators against hand-computed values.

The reference (tests/reference/bevoelkerung.py) is the yardstick for the published
indicators, so it is checked itself here on small delivered folders built by hand.
"""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest
from pyproj import Transformer

from tests.reference.bevoelkerung import recompute_b_indicators
from tests.reference.common import completed_years, normalise_strasse, parse_dates, parse_hausnummer

A = "05999004"
B = "05999008"

EINWOHNER_HEADER = (
    "person_id;geburtsdatum;geschlecht;staatsangehoerigkeit;weitere_staatsangehoerigkeit;"
    "familienstand;wohnungsstatus;zuzug_datum;ags;strasse;hausnummer;hausnummer_zusatz;plz"
)


def _box(xmin: float, ymin: float, xmax: float, ymax: float) -> list:
    return [[[xmin, ymin], [xmax, ymin], [xmax, ymax], [xmin, ymax], [xmin, ymin]]]


def _write_geojson(path: Path, areas: list[tuple[str, str, list]], crs: str | None = None) -> None:
    collection: dict = {
        "type": "FeatureCollection",
        "features": [
            {
                "type": "Feature",
                "properties": {"raum_id": raum_id, "raum_name": raum_id, "ags": ags},
                "geometry": {"type": "Polygon", "coordinates": rings},
            }
            for raum_id, ags, rings in areas
        ],
    }
    if crs:
        collection["crs"] = {"type": "name", "properties": {"name": crs}}
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(collection), encoding="utf-8")


def _write(path: Path, lines: list[str], encoding: str = "utf-8") -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(("\n".join(lines) + "\n").encode(encoding))


def _wgs84(rings: list) -> list:
    to_wgs = Transformer.from_crs("EPSG:25832", "EPSG:4326", always_xy=True)
    return [[list(to_wgs.transform(x, y)) for x, y in ring] for ring in rings]


@pytest.fixture
def county(tmp_path: Path) -> Path:
    """Two municipalities, two Gliederungen, two register extracts, two Stichtage."""
    d = tmp_path / "delivered"
    geo = d / "raumgliederung"
    # an older version that must be ignored (time series use the newest version)
    _write_geojson(
        geo / "raumgliederung_sozialraum_2020-01-01.geojson",
        [(f"{A}-ALT", A, _box(470000, 5750000, 500000, 5780000))],
    )
    # SR01 and SR02 share the border x = 481000; SR03 holds nobody
    _write_geojson(
        geo / "raumgliederung_sozialraum_2024-01-01.geojson",
        [
            (f"{A}-SR02", A, _box(481000, 5760000, 482000, 5761000)),
            (f"{A}-SR01", A, _box(480000, 5760000, 481000, 5761000)),
            (f"{A}-SR03", A, _box(482000, 5760000, 483000, 5761000)),
        ],
    )
    # a second Gliederung, delivered in EPSG:4326 (declared)
    _write_geojson(
        geo / "raumgliederung_stadtteil_2023-01-01.geojson",
        [(f"{A}-ST1", A, _wgs84(_box(479000, 5759000, 482500, 5762000)))],
        crs="urn:ogc:def:crs:OGC:1.3:CRS84",
    )

    head = "ags;strasse;hausnummer;hausnummer_zusatz;plz;ostwert;nordwert"
    # newest extract: UTF-8 with BOM, decimal commas
    _write(
        d / "adressen" / "adressen_2024-06-30.csv",
        [
            head,
            f"{A};Mühlenstraße;1;;12345;480500,5;5760500,0",
            f"{A};Mühlenstraße;2;;;481000;5760500",  # on the border SR01 | SR02
            f"{A};Bahnhofstraße;5;;;481500;5760500",  # SR02
            f"{A};Bahnhofstraße;5;a;;480200;5760200",  # SR01
            f"{A};Feldweg;3;;;490000;5770000",  # in no area
            f"{B};Dorfstraße;1;;;485000;5760500",  # B has no areas
        ],
        encoding="utf-8-sig",
    )
    # older extract: Mühlenstraße 1 elsewhere (the newer extract wins); Alter Weg only here
    _write(
        d / "adressen" / "adressen_2022-12-31.csv",
        [
            head,
            f"{A};Mühlenstraße;1;;;481500;5760500",
            f"{A};Alter Weg;1;;;481700;5760700",
        ],
    )

    # Stichtag 31.12.2024: one file per municipality, ISO dates
    _write(
        d / "einwohner" / "einwohner_2024-12-31_05999004.csv",
        [
            EINWOHNER_HEADER,
            # 18th birthday on the Stichtag; moved in 364 days before; misspelt street
            f"a1;2006-12-31;w;000;;LD;H;2024-01-02;{A};Mühlenstr.;1;;",
            # German by the second nationality; exactly 5 years at the address; border
            f"a2;1980-05-05;m;100;000;VH;H;2019-12-31;{A};Muehlenstrasse;2;;",
            # non-German child, 4; suffix b unknown -> falls back to Bahnhofstraße 5 (SR02)
            f"a3;2020-03-01;w;100;;;H;2020-03-01;{A};Bahnhofstr.;5 b;;",
            # suffix a exists -> SR01; zuzug unknown
            f"a4;1940-01-01;m;000;;VW;H;;{A};Bahnhofstraße;5;a;",
            # unknown street -> ohne Zuordnung; moved in on the Stichtag
            f"a5;1990-01-01;d;200;;;H;2024-12-31;{A};Unbekannte Straße;9;;",
            # Nebenwohnung: not population
            f"a6;1985-01-01;w;000;;;N;2024-01-01;{A};Mühlenstraße;1;;",
            # matched, but the address lies in no area -> ohne Zuordnung
            f"a7;1950-06-15;w;000;;;H;2010-01-01;{A};Feldweg;3;;",
            # address only in the older register extract -> SR02
            f"a8;2012-01-01;m;000;;;H;2023-01-01;{A};Alter Weg;1;;",
        ],
    )
    _write(
        d / "einwohner" / "einwohner_2024-12-31_05999008.csv",
        [EINWOHNER_HEADER, f"b1;1970-01-01;m;000;;;H;2000-01-01;{B};Dorfstr.;1;;"],
    )
    # Stichtag 31.12.2023: one file for both, Windows-1252, German dates
    _write(
        d / "einwohner" / "einwohner_2023-12-31.csv",
        [
            EINWOHNER_HEADER,
            f"c1;01.01.1990;w;000;;;H;;{A};Mühlenstraße;1;;",
            f"c2;01.01.2000;m;000;;;H;;{A};Bahnhofstraße;5;;",
            f"c3;01.01.2001;m;000;;;H;;{A};Bahnhofstraße;5;;",
            f"c4;01.01.1960;w;000;;;H;;{B};Dorfstraße;1;;",
            f"c5;01.01.1970;w;000;;;H;;{A};Müllerweg;1;;",
        ],
        encoding="cp1252",
    )
    return d


def _values(result: pd.DataFrame) -> dict:
    return {
        (r.code, r.gliederung, r.raum_id, r.berichtsjahr): (
            None if pd.isna(r.zaehler) else int(r.zaehler),
            None if pd.isna(r.nenner) else int(r.nenner),
        )
        for r in result.itertuples(index=False)
    }


# flags per area, 2024: pop, u18, u6, a65, a80, u20, a20_64, nd, nd_u18, zk, zz12, a5zk, wd5
EXPECTED_2024 = {
    ("sozialraum", f"{A}-SR01"): (3, 0, 0, 1, 1, 1, 1, 0, 0, 2, 1, 2, 1),
    ("sozialraum", f"{A}-SR02"): (2, 2, 1, 0, 0, 2, 0, 1, 1, 2, 0, 1, 0),
    ("sozialraum", f"{A}-SR03"): (0,) * 13,
    ("sozialraum", f"{A}-OZ"): (2, 0, 0, 1, 0, 0, 1, 1, 0, 2, 1, 2, 1),
    ("sozialraum", f"{B}-OZ"): (1, 0, 0, 0, 0, 0, 1, 0, 0, 1, 0, 1, 1),
    ("stadtteil", f"{A}-ST1"): (5, 2, 1, 1, 1, 3, 1, 1, 1, 4, 1, 3, 1),
    ("stadtteil", f"{A}-OZ"): (2, 0, 0, 1, 0, 0, 1, 1, 0, 2, 1, 2, 1),
    ("stadtteil", f"{B}-OZ"): (1, 0, 0, 0, 0, 0, 1, 0, 0, 1, 0, 1, 1),
    ("kommune", A): (7, 2, 1, 2, 1, 3, 2, 2, 1, 6, 2, 5, 2),
    ("kommune", B): (1, 0, 0, 0, 0, 0, 1, 0, 0, 1, 0, 1, 1),
    ("kreis", "05999"): (8, 2, 1, 2, 1, 3, 3, 2, 1, 7, 2, 6, 3),
}
POP_2023 = {
    ("sozialraum", f"{A}-SR01"): 1,
    ("sozialraum", f"{A}-SR02"): 2,
    ("sozialraum", f"{A}-SR03"): 0,
    ("sozialraum", f"{A}-OZ"): 1,
    ("sozialraum", f"{B}-OZ"): 1,
    ("stadtteil", f"{A}-ST1"): 3,
    ("stadtteil", f"{A}-OZ"): 1,
    ("stadtteil", f"{B}-OZ"): 1,
    ("kommune", A): 4,
    ("kommune", B): 1,
    ("kreis", "05999"): 5,
}


def _b_pairs(flags: tuple) -> dict[str, tuple]:
    pop, u18, u6, a65, a80, u20, a20_64, nd, nd_u18, zk, zz12, a5zk, wd5 = flags
    return {
        "B01": (pop, None),
        "B02": (u18, pop),
        "B03": (u6, pop),
        "B04": (a65, pop),
        "B05": (a80, pop),
        "B06": (u20, a20_64),
        "B07": (a65, a20_64),
        "B08": (nd, pop),
        "B09": (nd_u18, u18),
        "B11": (zz12, zk),
        "B12": (wd5, a5zk),
    }


def test_reference_matches_hand_computed_values(county: Path) -> None:
    result = recompute_b_indicators(county)
    got = _values(result)

    expected = {}
    for (gliederung, raum_id), flags in EXPECTED_2024.items():
        for code, pair in _b_pairs(flags).items():
            expected[(code, gliederung, raum_id, 2024)] = pair
        pop_2023 = POP_2023[(gliederung, raum_id)]
        expected[("B10", gliederung, raum_id, 2024)] = (flags[0] - pop_2023, pop_2023)
        expected[("B10", gliederung, raum_id, 2023)] = (None, None)
        expected[("B01", gliederung, raum_id, 2023)] = (pop_2023, None)

    for key, pair in expected.items():
        assert got.get(key, "missing") == pair, key

    # the key set: 11 areas x 12 codes x 2 years, nothing else (no old-version area)
    assert len(got) == len(EXPECTED_2024) * 12 * 2
    assert set(got) >= set(expected)
    assert not any(raum_id.endswith("-ALT") for _, _, raum_id, _ in got)
    assert result.duplicated(["code", "gliederung", "raum_id", "berichtsjahr"]).sum() == 0


def test_areas_add_up_to_municipality_and_county(county: Path) -> None:
    result = recompute_b_indicators(county)
    pop = result[result["code"] == "B01"].copy()
    pop["ags"] = pop["raum_id"].str[:8]
    for gliederung in ("sozialraum", "stadtteil"):
        by_area = (
            pop[pop["gliederung"] == gliederung].groupby(["ags", "berichtsjahr"])["zaehler"].sum()
        )
        kommune = pop[pop["gliederung"] == "kommune"].set_index(["ags", "berichtsjahr"])["zaehler"]
        assert by_area.sort_index().tolist() == kommune.sort_index().tolist()
    kreis = pop[pop["gliederung"] == "kreis"]["zaehler"].sum()
    assert kreis == pop[pop["gliederung"] == "kommune"]["zaehler"].sum()


def test_29_february_and_birthday_on_stichtag(tmp_path: Path) -> None:
    d = tmp_path / "delivered"
    _write(
        d / "einwohner" / "einwohner_2022-02-28.csv",
        [
            EINWOHNER_HEADER,
            f"p1;29.02.2004;w;000;;;H;;{A};Weg;1;;",  # 17 until 1 March 2022
            f"p2;28.02.2004;w;000;;;H;;{A};Weg;1;;",  # 18 on the Stichtag
            f"p3;01.03.2004;w;000;;;H;;{A};Weg;1;;",  # 17
            f"p4;29.02.2016;m;000;;;H;;{A};Weg;1;;",  # 5 until 1 March 2022
            f"p5;28.02.2016;m;000;;;H;;{A};Weg;1;;",  # 6 on the Stichtag
        ],
    )
    got = _values(recompute_b_indicators(d))
    assert got[("B02", "kommune", A, 2022)] == (4, 5)
    assert got[("B03", "kommune", A, 2022)] == (1, 5)
    assert got[("B06", "kommune", A, 2022)] == (5, 0)
    # no register, no Gliederung: kommune and kreis only
    assert {k[1] for k in got} == {"kommune", "kreis"}
    assert got[("B10", "kreis", "05999", 2022)] == (None, None)


def test_row_errors_and_file_rejection(tmp_path: Path) -> None:
    d = tmp_path / "delivered"
    good = [f"g{i};01.01.1990;w;000;;;H;;{A};Weg;1;;" for i in range(24)]
    # 1 error in 25 rows (4 %): that row alone is left out
    _write(
        d / "einwohner" / "einwohner_2024-12-31_a.csv",
        [EINWOHNER_HEADER, *good, f"bad;31.02.1990;w;000;;;H;;{A};Weg;1;;"],
    )
    # 2 errors in 25 rows (8 %): the whole file is rejected
    other = [f"h{i};01.01.1990;w;000;;;H;;{B};Weg;1;;" for i in range(23)]
    _write(
        d / "einwohner" / "einwohner_2024-12-31_b.csv",
        [
            EINWOHNER_HEADER,
            *other,
            f"h0;01.01.1990;w;000;;;H;;{B};Weg;1;;",  # duplicate person_id
            f"x1;01.01.2025;w;000;;;H;;{B};Weg;1;;",  # born after the Stichtag
        ],
    )
    got = _values(recompute_b_indicators(d))
    assert got[("B01", "kommune", A, 2024)] == (24, None)
    assert ("B01", "kommune", B, 2024) not in got


def test_later_file_replaces_same_stichtag_and_municipality(tmp_path: Path) -> None:
    import os

    d = tmp_path / "delivered"
    first = d / "einwohner" / "einwohner_2024-12-31_erst.csv"
    second = d / "einwohner" / "einwohner_2024-12-31_korrektur.csv"
    _write(first, [EINWOHNER_HEADER] + [f"p{i};01.01.1990;w;000;;;H;;{A};Weg;1;;" for i in range(3)])
    _write(second, [EINWOHNER_HEADER, f"q1;01.01.2010;w;000;;;H;;{A};Weg;1;;"])
    os.utime(first, (1_700_000_000, 1_700_000_000))
    os.utime(second, (1_700_000_100, 1_700_000_100))
    got = _values(recompute_b_indicators(d))
    assert got[("B01", "kommune", A, 2024)] == (1, None)
    assert got[("B02", "kommune", A, 2024)] == (1, 1)


def test_helpers() -> None:
    streets = pd.Series(["Mühlenstr.", "Muehlenstrasse", "Mühlen-Straße", "Mühlenstraße"])
    assert set(normalise_strasse(streets)) == {"muehlenstrasse"}
    assert normalise_strasse(pd.Series(["Lange Str. "])).tolist() == ["langestrasse"]
    hnr = parse_hausnummer(pd.Series(["12a", "12 a", "12-14", "12", "7"]),
                           pd.Series(["", "", "", "", "C"]))
    assert hnr["nr"].tolist() == [12, 12, 12, 12, 7]
    assert hnr["suffix"].tolist() == ["a", "a", "", "", "c"]
    assert parse_dates(pd.Series(["31.02.2024"])).isna().all()
    born = parse_dates(pd.Series(["29.02.2004", "29.02.2004", "31.12.2006"]))
    at = pd.Series(pd.to_datetime(["2022-02-28", "2022-03-01", "2024-12-31"]))
    assert completed_years(born, at).tolist() == [17, 18, 18]
