"""Every indicator of the catalogue is recomputed by the independent reference.

The domain tests (test_published_b_against_reference, test_haushalte_reference,
test_sgb2_reference, test_jugendamt_reference, test_seu_bildung_reference) each compare the
codes their reference module computes. This guard fails when an indicator is added to the
catalogue without a reference, and checks that the demo county gives every indicator real
values on every level the issue names, so the comparisons are not vacuous.
"""

import csv
from pathlib import Path

import duckdb
import pytest

from tests.reference.bevoelkerung import B_CODES
from tests.reference.compare import private_warehouse
from tests.reference.haushalte import H_CODES
from tests.reference.jugendamt import E_CODES, K_CODES
from tests.reference.seu_bildung import BI_CODES, G_CODES
from tests.reference.sgb2 import S_CODES

ROOT = Path(__file__).resolve().parents[2]
SEED = ROOT / "dbt_spm" / "seeds" / "indikatoren_katalog.csv"
REFERENCE_CODES = [*B_CODES, *H_CODES, *S_CODES, *K_CODES, *E_CODES, *G_CODES, *BI_CODES]
LEVELS = ("sozialraum", "planungsraum", "kommune", "kreis")


def catalogue() -> dict[str, dict]:
    with SEED.open(encoding="utf-8", newline="") as handle:
        return {row["code"]: row for row in csv.DictReader(handle)}


def test_every_catalogue_code_has_exactly_one_reference():
    assert len(REFERENCE_CODES) == len(set(REFERENCE_CODES))
    assert set(REFERENCE_CODES) == set(catalogue())


def test_every_catalogue_code_is_computed():
    not_computed = [code for code, row in catalogue().items() if row["berechnet"] != "true"]
    assert not_computed == []


@pytest.fixture(scope="module")
def covered(demo_run) -> dict[tuple[str, str], set[int]]:
    con = duckdb.connect(str(private_warehouse(demo_run.home)), read_only=True)
    try:
        rows = con.execute("""
            select code, gliederung, list(distinct berichtsjahr)
            from marts.mart_indikatorwerte
            where status = 'ok' and wert is not null
            group by code, gliederung""").fetchall()
    finally:
        con.close()
    return {(code, gliederung): set(jahre) for code, gliederung, jahre in rows}


@pytest.mark.parametrize("level", LEVELS)
def test_demo_county_gives_every_indicator_values_on_every_level(covered, level):
    missing = [code for code in REFERENCE_CODES if not covered.get((code, level))]
    assert missing == [], f"no value with status ok on level {level}: {missing}"


def test_demo_county_has_several_berichtsjahre_for_most_indicators(covered):
    # B10 needs a previous year, the G pools grow: every code has at least one year, and the
    # register-based codes have every year of the register
    b01 = covered[("B01", "kreis")]
    assert len(b01) >= 2
    for code in (*B_CODES[:9], *H_CODES):
        assert covered[(code, "kreis")] == b01, code
