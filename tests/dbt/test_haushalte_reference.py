"""H indicators (derived households) agree with the independent reference implementation.

``demo_run`` (session fixture, tests/conftest.py) has run the whole pipeline on the
synthetic county; the reference (tests/reference/haushalte.py) generates the households
from the delivered ``einwohner`` files in plain pandas (union-find) and recomputes H01–H07.
Both must agree on every key, ``zaehler`` and ``nenner``, and ``wert``/``status`` must
follow from them.

The reference itself is checked by hand on a tiny inbox (tests/fixtures/kleines_postfach.py)
with one case of every household rule.
"""

from __future__ import annotations

import csv
from pathlib import Path

import duckdb
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
from tests.reference.bevoelkerung import load_einwohner
from tests.reference.common import load_geography
from tests.reference.compare import differences, private_warehouse, read_mart
from tests.reference.haushalte import (
    COUNTS,
    FAKTOR,
    H_CODES,
    generate_households,
    household_table,
    recompute_h_indicators,
)

SEED = Path(__file__).resolve().parents[2] / "dbt_spm" / "seeds" / "indikatoren_katalog.csv"

EINWOHNER_HEADER = ["person_id", "geburtsdatum", "geschlecht", "staatsangehoerigkeit",
                    "familienstand", "ehegatte_id", "elternteil1_id", "elternteil2_id",
                    "wohnungsstatus", "ags", "strasse", "hausnummer"]
NEU_1 = ("Neue Straße", "1")   # not in the register: ohne Zuordnung
NEU_3 = ("Neue Straße", "3")   # another unmatched address of the same municipality
HAUPT_1A = ("Hauptstraße", "1a")  # no 1a in the register: Hauptstraße 1 (fallback)

# (person, age at 31.12.2024, familienstand, spouse, parent 1, parent 2, status, address)
PERSONEN = [
    # Hauptstraße 1 (SR01)
    ("f1", 40, "VH", "f2", "", "", "H", HAUPT),      # married couple with a child: PAAR_MK
    ("f2", 38, "VH", "f1", "", "", "H", HAUPT),
    ("f3", 8, "LD", "", "f1", "f2", "H", HAUPT),
    ("u1", 35, "LD", "", "", "", "H", HAUPT),        # unmarried parents of one child: PAAR_MK
    ("u2", 33, "LD", "", "", "", "H", HAUPT),
    ("u3", 3, "LD", "", "u1", "u2", "H", HAUPT),
    ("a1", 38, "GS", "", "", "", "H", HAUPT),        # single parent of three: AE, kinderreich
    ("a2", 10, "LD", "", "a1", "", "H", HAUPT),
    ("a3", 12, "LD", "", "a1", "", "H", HAUPT),
    ("a4", 15, "LD", "", "a1", "weg", "H", HAUPT_1A),  # same register address via fallback
    ("o1", 70, "VW", "", "", "", "H", HAUPT),        # one person 65+
    ("k1", 12, "LD", "", "weg", "", "H", HAUPT),     # minor, parent elsewhere: no household
    ("n1", 30, "LD", "", "o1", "", "N", HAUPT),      # Nebenwohnung: not a resident
    # Bahnhofstraße 5 (SR02)
    ("s1", 60, "VW", "", "", "", "H", BAHNHOF),      # parent with an adult ledig child: SONST
    ("s2", 25, "LD", "", "s1", "", "H", BAHNHOF),
    ("v1", 30, "VH", "v2", "s1", "", "H", BAHNHOF),  # married child of s1: own PAAR_OK
    ("v2", 29, "VH", "v1", "", "", "H", BAHNHOF),
    ("g1", 65, "VH", "g2", "", "", "H", BAHNHOF),    # three generations with a couple: PAAR_MK
    ("g2", 66, "VH", "g1", "", "", "H", BAHNHOF),
    ("g3", 22, "LD", "", "g1", "g2", "H", BAHNHOF),
    ("g4", 1, "LD", "", "g3", "", "H", BAHNHOF),
    # unmatched addresses (05999004-OZ)
    ("z1", 8, "LD", "", "z2", "", "H", NEU_1),       # parent at another unmatched address
    ("z2", 35, "GS", "", "", "", "H", NEU_3),
]

TYP = {"f1": "PAAR_MK", "u1": "PAAR_MK", "a1": "AE", "o1": "EPH", "s1": "SONST",
       "v1": "PAAR_OK", "g1": "PAAR_MK", "z2": "EPH"}
MEMBERS = {"f1": {"f1", "f2", "f3"}, "u1": {"u1", "u2", "u3"},
           "a1": {"a1", "a2", "a3", "a4"}, "o1": {"o1"}, "s1": {"s1", "s2"},
           "v1": {"v1", "v2"}, "g1": {"g1", "g2", "g3", "g4"}, "z2": {"z2"}}


@pytest.fixture(scope="module")
def postfach(tmp_path_factory) -> Path:
    inbox = write_base(tmp_path_factory.mktemp("postfach_haushalte") / "inbox")
    rows = [[pid, f"01.01.{2024 - age}", "w", "000", fs, eh, e1, e2, ws, AGS, *adr]
            for pid, age, fs, eh, e1, e2, ws, adr in PERSONEN]
    # replaces the base file of the same Stichtag (same name)
    write_source(inbox, "einwohner", "2024-12-31", EINWOHNER_HEADER, rows)
    return inbox


def test_households_by_hand(postfach):
    einwohner = load_einwohner(postfach)
    persons = generate_households(einwohner, load_geography(postfach).register)
    assert "n1" not in set(persons["person_id"])  # Nebenwohnung
    excluded = set(persons.loc[persons["haushalt"] < 0, "person_id"])
    assert excluded == {"k1", "z1"}
    groups = {frozenset(g["person_id"]) for _, g in
              persons.loc[persons["haushalt"] >= 0].groupby("haushalt")}
    assert groups == {frozenset(m) for m in MEMBERS.values()}

    households = household_table(persons)
    by_person = persons.set_index("person_id")["haushalt"]
    typ = households.set_index("haushalt")["typ"]
    assert {pid: typ[by_person[pid]] for pid in TYP} == TYP
    kinder = households.set_index("haushalt")["kinder_u18"]
    assert {pid: int(kinder[by_person[pid]]) for pid in TYP} == {
        "f1": 1, "u1": 1, "a1": 3, "o1": 0, "s1": 0, "v1": 0, "g1": 1, "z2": 0}
    roles = persons.set_index("person_id")
    assert bool(roles.loc["g3", "is_kind"]) and bool(roles.loc["g3", "is_elternteil"])
    assert set(roles.index[roles["is_in_paar"]]) == {"f1", "f2", "u1", "u2", "v1", "v2",
                                                     "g1", "g2"}


def test_h_reference_by_hand(postfach):
    values = {(r.code, r.gliederung, r.raum_id): (r.zaehler, r.nenner)
              for r in recompute_h_indicators(postfach).itertuples(index=False)
              if r.berichtsjahr == 2024}
    gesamt = {"H01": (8, None), "H02": (20, 8), "H03": (4, 8), "H04": (1, 4),
              "H05": (1, 4), "H06": (3, 6), "H07": (1, 8)}
    expected = {
        # f, u (PAAR_MK), a (AE, 3 children), o1 (EPH 65+); under 18: f3 u3 a2 a3 a4
        ("sozialraum", SR01): {"H01": (4, None), "H02": (11, 4), "H03": (3, 4),
                               "H04": (1, 3), "H05": (1, 3), "H06": (3, 5), "H07": (1, 4)},
        # s (SONST), v (PAAR_OK), g (PAAR_MK); under 18: g4
        ("sozialraum", SR02): {"H01": (3, None), "H02": (8, 3), "H03": (1, 3),
                               "H04": (0, 1), "H05": (0, 1), "H06": (0, 1), "H07": (0, 3)},
        # z2 alone; z1 (parent at another unmatched address) in no household
        ("sozialraum", f"{AGS}-OZ"): {"H01": (1, None), "H02": (1, 1), "H03": (0, 1),
                                      "H04": (0, 0), "H05": (0, 0), "H06": (0, 0),
                                      "H07": (0, 1)},
        ("kommune", AGS): gesamt,
        ("kreis", AGS[:5]): gesamt,
    }
    for (gliederung, raum_id), codes in expected.items():
        for code, (zaehler, nenner) in codes.items():
            got = values[(code, gliederung, raum_id)]
            assert got[0] == zaehler, (raum_id, code, got)
            assert (None if pd.isna(got[1]) else got[1]) == nenner, (raum_id, code, got)


def test_h_faktor_matches_catalogue():
    with SEED.open(encoding="utf-8") as handle:
        rows = {r["code"]: r for r in csv.DictReader(handle) if r["code"] in H_CODES}
    assert set(rows) == set(H_CODES)
    assert {c: float(r["faktor"]) for c, r in rows.items()} == {
        c: float(f) for c, f in FAKTOR.items()}
    assert {c for c, r in rows.items() if r["einheit"] == "Anzahl"} == COUNTS
    assert all(r["berechnet"] == "true" for r in rows.values())


def test_h_indicators_equal_reference(demo_run):
    reference = recompute_h_indicators(Path(demo_run.delivered))
    mart = read_mart(private_warehouse(demo_run.home), H_CODES)
    problems = differences(mart, reference, FAKTOR, COUNTS)
    if problems:
        pytest.fail("\n\n".join(problems), pytrace=False)


def test_demo_county_has_every_household_type(demo_run):
    """The synthetic county yields every type, Kinderreich, three generations and minors
    without a parent at the address in every Berichtsjahr (else the comparison above would
    not exercise those rules)."""
    con = duckdb.connect(str(private_warehouse(demo_run.home)), read_only=True)
    try:
        typen = con.execute(
            "select berichtsjahr, haushaltstyp, count(*) from "
            "intermediate.int_haushalte__haushalte group by all").fetchall()
        extra = con.execute(
            "select berichtsjahr, sum(is_kind_ohne_elternteil::int), "
            "sum((rolle = 'kind_und_elternteil')::int) from "
            "intermediate.int_haushalte__personen group by all").fetchall()
        kinderreich = dict(con.execute(
            "select berichtsjahr, sum(is_kinderreich::int) from "
            "intermediate.int_haushalte__haushalte group by all").fetchall())
    finally:
        con.close()
    years = {y for y, _, _ in typen}
    assert years
    for year in years:
        assert {t for y, t, n in typen if y == year and n > 0} == {
            "EPH", "PAAR_MK", "AE", "PAAR_OK", "SONST"}, year
        assert kinderreich[year] > 0
    assert all(ohne > 0 for _, ohne, _ in extra)
    assert any(drei > 0 for _, _, drei in extra)
