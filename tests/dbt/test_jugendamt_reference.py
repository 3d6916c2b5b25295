"""K and E indicators and the HzE breakdown agree with the independent reference.

``demo_run`` (session fixture, tests/conftest.py) has run the whole pipeline on the
synthetic county; the reference (tests/reference/jugendamt.py) recomputes K01–K04,
E01–E09 and the breakdown by ``hilfeart`` from the delivered files in plain pandas. Both
must agree on every key, ``zaehler`` and ``nenner`` (euros to 1e-6) and every column of
``marts.mart_hze_hilfearten``.

The reference itself is checked by hand on a tiny inbox (tests/fixtures/kleines_postfach.py)
where the subtle rules matter: laufend on the Stichtag, ``ende`` on the Stichtag, ended in
the year, begun in the year, age 18 on the Stichtag, ages of the children at the ``kita``
Stichtag against the population at its own Stichtag, code and number variants, row errors.
"""

from __future__ import annotations

from pathlib import Path

import duckdb
import numpy as np
import pandas as pd
import pytest

from tests.fixtures.kleines_postfach import (
    AGS,
    BAHNHOF,
    HAUPT,
    SR01,
    SR02,
    write_base,
    write_source,
)
from tests.reference.bevoelkerungsnenner import nenner_stichtage
from tests.reference.common import read_delivery
from tests.reference.compare import as_float, differences, private_warehouse, read_mart
from tests.reference.jugendamt import (
    E_CODES,
    FAKTOR,
    HILFEARTEN,
    HILFEARTEN_COLUMNS,
    K_CODES,
    hze_rows,
    load_hze,
    load_kita,
    recompute_e_indicators,
    recompute_hze_hilfearten,
    recompute_k_indicators,
)

HZE_HEADER = ["fall_id", "person_id", "geburtsdatum", "geschlecht", "hilfeart", "beginn", "ende",
              "kosten_euro", "ags", "strasse", "hausnummer"]
# Stichtag 31.12.2024; ages at the Stichtag in the comments
HZE_ROWS = [
    # 14, begun on the Stichtag
    ["f1", "j1", "01.01.2010", "m", "31", "31.12.2024", "", "1.234,56", AGS, *HAUPT],
    # ends on the Stichtag
    ["f2", "j2", "01.01.2010", "w", "33", "01.05.2020", "31.12.2024", "1234.50", AGS, *HAUPT],
    # ended the day before
    ["f3", "j3", "01.01.2008", "m", "30", "01.03.2023", "30.12.2024", "800", AGS, *HAUPT],
    ["f4", "j4", "01.01.2012", "w", "28", "01.02.2024", "", "100,00", AGS, *HAUPT],
    ["f5", "j5", "01.01.2011", "m", "42", "01.06.2024", "20.06.2024", "1000", AGS, *HAUPT],
    ["f6", "j6", "31.12.2006", "m", "34", "01.01.2022", "", "", AGS, *HAUPT],  # 18 on the Stichtag
    ["f7", "j7", "01.01.2004", "w", "41", "2024-01-01", "", "2000", AGS, *BAHNHOF],
    ["f8", "j8", "01.01.2012", "m", "35A", "01.01.2023", "", "8.000,00", AGS, *HAUPT],
    # ended last year
    ["f9", "j9", "01.01.2012", "w", "32", "01.01.2023", "15.12.2023", "", AGS, *HAUPT],
]
KITA_HEADER = ["kind_id", "geburtsdatum", "geschlecht", "betreuungsart", "wochenstunden", "ags",
               "strasse", "hausnummer"]
# Stichtag 01.03.2025, population 31.12.2024 (e4: 2, e5: 5 there)
KITA_ROWS = [
    ["k1", "15.01.2022", "m", "KITA", "45", AGS, *HAUPT],  # e4: 3 on 01.03.2025 -> K02
    ["k2", "01.05.2023", "w", "ktp", "35,0", AGS, *HAUPT],  # under 3 in Kindertagespflege
    ["k3", "01.09.2018", "m", "KITA", "", AGS, *HAUPT],  # 6, hours unknown
]


@pytest.fixture(scope="module")
def postfach(tmp_path_factory) -> Path:
    inbox = write_base(tmp_path_factory.mktemp("postfach") / "inbox")
    write_source(inbox, "hze", "2024-12-31", HZE_HEADER, HZE_ROWS)
    write_source(inbox, "kita", "2025-03-01", KITA_HEADER, KITA_ROWS)
    return inbox


def _values(frame: pd.DataFrame) -> dict:
    return {(r.code, r.gliederung, r.raum_id, r.berichtsjahr):
            (float(r.zaehler), None if pd.isna(r.nenner) else float(r.nenner))
            for r in frame.itertuples(index=False)}


def _expect(values: dict, expected: dict, jahr: int) -> None:
    for (gliederung, raum_id), codes in expected.items():
        for code, (zaehler, nenner) in codes.items():
            got = values[(code, gliederung, raum_id, jahr)]
            assert got[0] == pytest.approx(zaehler, abs=1e-9), (raum_id, code, got)
            assert got[1] == nenner, (raum_id, code, got)


# --------------------------------------------------------------------------- by hand


def test_e_reference_by_hand(postfach):
    values = _values(recompute_e_indicators(postfach))
    _expect(values, {
        ("sozialraum", SR01): {
            "E01": (2, 3),   # f1 (laufend from the Stichtag), f2 (ends on it); f6 is 18
            "E02": (1, 3), "E03": (1, 3), "E04": (1, 3), "E05": (1, 3),  # f1 / f2 / f4 / f8
            "E06": (1, 3),   # f5
            "E07": (1, 3),   # f1 (f2, f3, f6 begun earlier)
            "E08": (12269.06, 4),  # f1 f2 f3 f5 f8; not f4 (28), f6 and f9 without costs
            "E09": (6, 4),   # f1 f2 f3 f4 f6 f8; not f5 (42), not f9 (ended last year)
        },
        ("sozialraum", SR02): {"E01": (0, 0), "E08": (2000.0, 1), "E09": (1, 1)},
        ("sozialraum", f"{AGS}-OZ"): {"E01": (0, 0), "E08": (0.0, 0)},
        ("kommune", AGS): {"E01": (2, 3), "E08": (14269.06, 5), "E09": (7, 5)},
        ("kreis", AGS[:5]): {"E07": (1, 3), "E09": (7, 5)},
    }, 2024)
    assert {k[0] for k in values} == set(E_CODES)


def test_hilfearten_reference_by_hand(postfach):
    frame = recompute_hze_hilfearten(postfach)
    assert list(frame.columns) == HILFEARTEN_COLUMNS
    assert len(frame) == 5 * 12  # SR01, SR02, OZ, municipality, county; every hilfeart
    rows = {(r.raum_id, r.hilfeart): r for r in frame.itertuples(index=False)
            if r.gliederung == "sozialraum"}
    cols = ["anzahl_faelle", "anzahl_laufend", "anzahl_neu", "ausgaben_euro",
            "anzahl_mit_ausgaben", "max_ausgaben_euro"]
    expected = {
        (SR01, "31"): (1, 1, 1, 1234.56, 1, 1234.56),
        (SR01, "33"): (1, 1, 0, 1234.5, 1, 1234.5),
        (SR01, "30"): (1, 0, 0, 800.0, 1, 800.0),
        (SR01, "42"): (1, 0, 1, 1000.0, 1, 1000.0),
        (SR01, "34"): (1, 1, 0, 0.0, 0, 0.0),
        (SR01, "32"): (1, 0, 0, 0.0, 0, 0.0),
        (SR01, "35a"): (1, 1, 0, 8000.0, 1, 8000.0),
        (SR01, "41"): (0, 0, 0, 0.0, 0, 0.0),
        (SR02, "41"): (1, 1, 1, 2000.0, 1, 2000.0),
    }
    for key, values in expected.items():
        assert tuple(getattr(rows[key], c) for c in cols) == pytest.approx(values), key
    assert (frame["stichtag"] == pd.Timestamp("2024-12-31")).all()


def test_k_reference_by_hand(postfach):
    values = _values(recompute_k_indicators(postfach))
    _expect(values, {
        # the child's age at 01.03.2025, the population's at 31.12.2024
        ("sozialraum", SR01): {"K01": (1, 1), "K02": (1, 1), "K03": (1, 1), "K04": (1, 2)},
        ("sozialraum", SR02): {"K01": (0, 0), "K04": (0, 0)},
        ("kommune", AGS): {"K01": (1, 1), "K02": (1, 1)},
    }, 2025)


def test_hze_row_checks(tmp_path):
    """Row errors per contract and docs/decisions.md; decimals in every allowed form."""
    rows = [
        ["r01", "01.01.2012", "31", "01.02.2024", "", "1.234.567"],   # thousands: valid
        ["r02", "01.01.2012", "31", "01.05.2024", "01.04.2024", ""],  # ende before beginn
        ["r03", "01.01.2012", "31", "01.02.2024", "", "-5,00"],        # negative costs
        ["r04", "01.01.2012", "99", "01.02.2024", "", ""],             # unknown hilfeart
        ["r05", "01.01.2012", "31", "05.01.2025", "", ""],             # beginn after Stichtag
        ["r06", "01.01.2012", "31", "01.02.2024", "", ""],             # duplicate key ...
        ["r06", "01.01.2012", "28", "01.02.2024", "", ""],             # ... both rows
        ["r08", "01.01.2012", "31", "01.02.2024", "02.01.2025", ""],  # ende after Stichtag
        ["r09", "01.01.2012", "31", "01.02.2024", "", "12,3,4"],       # unreadable number
        ["r10", "01.01.2012", "31", "", "", ""],                       # beginn missing
        ["r11", "01.01.2012", "35a", "01.02.2024", "01.02.2024", "8.000"],  # valid: 8 EUR
        ["r12", "31.02.2012", "31", "01.02.2024", "", ""],             # impossible date
    ]
    text = "fall_id;person_id;geburtsdatum;geschlecht;hilfeart;beginn;ende;kosten_euro;" \
           "ags;strasse;hausnummer\n" + "\n".join(
               f"{r[0]};p;{r[1]};m;{r[2]};{r[3]};{r[4]};{r[5]};{AGS};Weg;1" for r in rows)
    path = tmp_path / "hze_2024-12-31.csv"
    path.write_text(text, encoding="utf-8")
    parsed, error = hze_rows(read_delivery(path), pd.Timestamp("2024-12-31"))
    assert error.tolist() == [False, True, True, True, True, True, True, True, True, True,
                              False, True]
    assert parsed.loc[0, "kosten_euro"] == 1234567.0
    assert parsed.loc[10, "kosten_euro"] == 8.0


def test_population_stichtag_rule():
    """Newest ``einwohner`` Stichtag on or before the source's, at most 12 months before."""
    st = pd.Timestamp
    quelle = pd.DataFrame({
        "ags": ["a", "b", "c", "d", "e"],
        "berichtsjahr": [2025, 2025, 2024, 2025, 2024],
        "stichtag": [st("2025-03-01"), st("2025-03-01"), st("2024-12-31"), st("2025-01-01"),
                     st("2024-09-30")],
    })
    einwohner = pd.DataFrame({
        "ags": ["a", "a", "b", "c", "d", "e", "e", "e"],
        "stichtag": [st("2023-12-31"), st("2024-12-31"), st("2023-12-31"), st("2023-12-31"),
                     st("2023-12-31"), st("2023-12-31"), st("2024-06-30"), st("2024-12-31")],
    })
    got = nenner_stichtage(quelle, einwohner)["stichtag_einwohner"].tolist()
    assert got[0] == st("2024-12-31")   # Kita 01.03.2025 -> 31.12.2024
    assert pd.isna(got[1])              # 14 months before: none
    assert got[2] == st("2023-12-31")   # exactly 12 months before: allowed
    assert pd.isna(got[3])              # 12 months and a day: none
    assert got[4] == st("2024-06-30")   # a mid-year register counts, a later one does not


# --------------------------------------------------------------------------- demo county


@pytest.fixture(scope="module")
def warehouse(demo_run) -> Path:
    return private_warehouse(demo_run.home)


def _fail_if(problems: list[str]) -> None:
    if problems:
        pytest.fail("\n\n".join(problems), pytrace=False)


def test_k_indicators_equal_reference(demo_run, warehouse):
    reference = recompute_k_indicators(Path(demo_run.delivered))
    _fail_if(differences(read_mart(warehouse, K_CODES), reference, FAKTOR, set()))


def test_e_indicators_equal_reference(demo_run, warehouse):
    reference = recompute_e_indicators(Path(demo_run.delivered))
    _fail_if(differences(read_mart(warehouse, E_CODES), reference, FAKTOR, set(),
                         tolerance=1e-6))


def test_hilfearten_mart_equals_reference(demo_run, warehouse):
    reference = recompute_hze_hilfearten(Path(demo_run.delivered))
    con = duckdb.connect(str(warehouse), read_only=True)
    try:
        mart = con.execute("select * from marts.mart_hze_hilfearten").df()
    finally:
        con.close()
    key = ["gliederung", "raum_id", "berichtsjahr", "hilfeart"]
    mart["berichtsjahr"] = mart["berichtsjahr"].astype("int64")
    assert not mart.duplicated(key).any()
    # rows without data (keine_daten) are not in the reference, every other row is
    present = mart.loc[mart["status"] == "ok"]
    assert set(mart["status"]) <= {"ok", "keine_daten"}
    assert mart.loc[mart["status"] != "ok", HILFEARTEN_COLUMNS[5:]].isna().all().all()
    joined = reference.merge(present, on=key, how="outer", suffixes=("_ref", "_mart"),
                             indicator=True)
    unmatched = joined.loc[joined["_merge"] != "both", key + ["_merge"]]
    _fail_if([f"{len(unmatched)} keys only on one side:\n{unmatched.head(20)}"]
             if len(unmatched) else [])
    problems = []
    bad = pd.to_datetime(joined["stichtag_ref"]) != pd.to_datetime(joined["stichtag_mart"])
    if bad.any():
        problems.append(f"stichtag differs in {int(bad.sum())} rows")
    for column in HILFEARTEN_COLUMNS[5:]:
        a, b = as_float(joined[f"{column}_ref"]), as_float(joined[f"{column}_mart"])
        bad = ~np.isclose(a, b, rtol=0, atol=1e-6)
        if bad.any():
            shown = joined.loc[bad, key + [f"{column}_ref", f"{column}_mart"]].head(20)
            problems.append(f"{column} differs in {int(bad.sum())} rows:\n{shown}")
    _fail_if(problems)
    assert set(present["hilfeart"]) == set(HILFEARTEN)


def test_demo_county_exercises_the_rules(demo_run):
    """The comparison above is only as good as the cases it meets: the demo county holds
    every hilfeart in every year, a case ending on the Stichtag, cases ended and begun in
    the year, laufend narrow HzE of young adults, both kinds of day care and unknown hours."""
    cases = load_hze(Path(demo_run.delivered))
    per_year = cases.groupby("berichtsjahr")["hilfeart"].agg(set)
    assert all(arten == set(HILFEARTEN) for arten in per_year), per_year
    assert (cases["ende"] == cases["stichtag"]).any()
    ended_in_year = (cases["ende"].dt.year == cases["berichtsjahr"]) & (
        cases["ende"] < cases["stichtag"])
    assert ended_in_year.any()
    assert (cases["beginn"].dt.year == cases["berichtsjahr"]).any()
    assert ((cases["alter"] >= 18) & cases["hilfeart"].isin(["31", "33", "34"])
            & cases["ende"].isna()).any()
    assert cases["kosten_euro"].isna().any()
    kinder = load_kita(Path(demo_run.delivered))
    assert set(kinder["betreuungsart"]) == {"KITA", "KTP"}
    assert ((kinder["alter"] < 3) & (kinder["betreuungsart"] == "KTP")).any()
    assert kinder["wochenstunden"].isna().any() and (kinder["wochenstunden"] > 45).any()
