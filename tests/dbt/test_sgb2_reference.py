"""S indicators (SGB II) agree with the independent reference implementation.

``demo_run`` (session fixture, tests/conftest.py) has run the whole pipeline on the
synthetic county; the reference (tests/reference/sgb2.py) recomputes S01–S10 from the
delivered files in plain pandas. Both must agree on every key, ``zaehler`` and ``nenner``,
and ``wert``/``status`` must follow from them.

The reference itself is checked by hand on a tiny inbox (tests/fixtures/kleines_postfach.py):
a Bedarfsgemeinschaft living in two areas counts once in each and once in the
municipality; S10 counts children without entitlement (``KOL``); an unknown nationality
is not non-German; yes/no and code variants.
"""

from __future__ import annotations

from pathlib import Path

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
from tests.reference.compare import differences, private_warehouse, read_mart
from tests.reference.sgb2 import COUNTS, FAKTOR, S_CODES, load_sgb2, recompute_s_indicators

SGB2_HEADER = ["person_id", "bg_id", "geburtsdatum", "geschlecht", "staatsangehoerigkeit",
               "leistungsberechtigung", "arbeitslos", "bg_typ", "ags", "strasse", "hausnummer"]
# Stichtag 31.12.2024; ages in the comments
SGB2_ROWS = [
    ["s1", "b1", "01.01.1990", "w", "000", "ELB", "ja", "AE", AGS, *HAUPT],       # 34, arbeitslos
    # 9, the same BG elsewhere
    ["s2", "b1", "01.01.2015", "m", "", "KOL", "", "AE", AGS, *BAHNHOF],
    ["s3", "b2", "01.01.2012", "w", "163", "nef", "", "PAAR_MK", AGS, *HAUPT],    # 12, non-German
    # 64, nationality unknown
    ["s4", "b3", "01.01.1960", "m", "", "ELB", "N", "", AGS, *HAUPT],
]


@pytest.fixture(scope="module")
def postfach(tmp_path_factory) -> Path:
    inbox = write_base(tmp_path_factory.mktemp("postfach_sgb2") / "inbox")
    write_source(inbox, "sgb2", "2024-12-31", SGB2_HEADER, SGB2_ROWS)
    return inbox


def test_s_reference_by_hand(postfach):
    values = {(r.code, r.gliederung, r.raum_id): (r.zaehler, r.nenner)
              for r in recompute_s_indicators(postfach).itertuples(index=False)
              if r.berichtsjahr == 2024}
    expected = {
        # population SR01: under 65 e1 e2 e4 e5; under 15 e1 e4 e5; 15-64 e2; all German
        ("sozialraum", SR01): {
            "S01": (3, None),  # s1 s3 s4
            "S02": (3, None),  # b1 b2 b3
            "S03": (3, 4), "S04": (1, 3), "S05": (1, 3),
            "S06": (2, 1),     # s1 s4 (ELB 15-64) / e2
            "S07": (1, 1),     # s1
            "S08": (1, 2),     # b1 (AE) / b1 b2
            "S09": (1, 0),     # s3 / no non-German residents
            "S10": (1, 3),     # s3
        },
        ("sozialraum", SR02): {"S01": (0, None), "S02": (1, None), "S08": (1, 1),
                               "S10": (1, 0)},  # s2 (KOL, 9) of b1
        ("kommune", AGS): {"S02": (3, None), "S08": (1, 2), "S10": (2, 3)},
        ("kreis", AGS[:5]): {"S02": (3, None), "S01": (3, None)},
    }
    for (gliederung, raum_id), codes in expected.items():
        for code, (zaehler, nenner) in codes.items():
            got = values[(code, gliederung, raum_id)]
            assert got[0] == zaehler, (raum_id, code, got)
            assert (None if pd.isna(got[1]) else got[1]) == nenner, (raum_id, code, got)


def test_sgb2_codes_and_yes_no_variants(postfach):
    rows = load_sgb2(postfach).set_index("person_id")
    assert rows.loc["s3", "leistungsberechtigung"] == "NEF"
    assert rows["is_arbeitslos"].to_dict() == {"s1": True, "s2": False, "s3": False, "s4": False}
    assert rows["is_nichtdeutsch"].to_dict() == {"s1": False, "s2": False, "s3": True,
                                                 "s4": False}


def test_s_indicators_equal_reference(demo_run):
    reference = recompute_s_indicators(Path(demo_run.delivered))
    mart = read_mart(private_warehouse(demo_run.home), S_CODES)
    problems = differences(mart, reference, FAKTOR, COUNTS)
    if problems:
        pytest.fail("\n\n".join(problems), pytrace=False)
