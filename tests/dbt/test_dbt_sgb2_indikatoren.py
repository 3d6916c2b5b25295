"""S indicators (SGB II) on the hand-made warehouse: a real `dbt build`, values by hand.

The fixture's SGB2_2024 rows (Stichtag 2024-12-31) are all born 1985-04-01 (39 years old),
German, `bg_typ = SONST`; `arbeitslos` is true for `ELB` rows on an even line number
(s01, s03, s07). Area assignment as in the address match fixture:
s01 ELB bg1, s02 KOL bg1, s03 ELB bg2 -> STADT-SR01; s04 ELB bg3, s05 NEF bg3 (not in the
register) and s06 SLB bg4 (Lindenweg, in no area) -> STADT-OZ; s07 ELB bg5 -> DORF-SR01;
s08 AUS bg6 (not in the register) -> DORF-OZ.
Population denominators: `einwohner` 2024-12-31 (same Stichtag), see EINWOHNER_2024.
"""


import duckdb
import pytest

from tests.fixtures.make_fixture_warehouse import DORF, KREIS, STADT

SR01 = ("sozialraum", f"{STADT}-SR01")
KREIS_GEBIET = ("kreis", KREIS)

# (gliederung, raum_id) -> code -> (zaehler, nenner), Berichtsjahr 2024
EXPECTED_S = {
    SR01: {
        "S01": (2, None),   # s01, s03 (s02 is KOL)
        "S02": (2, None),   # bg1, bg2
        "S03": (2, 6),      # RLB under 65 / residents under 65: p01 p02 p03 p06 p07 p08
        "S04": (0, 3),      # under 15: p03 (4), p06 (14), p07 (12)
        "S05": (0, 4),      # under 18: p02 p03 p06 p07 (p01 is 18 on the Stichtag)
        "S06": (2, 3),      # ELB 15-64 / residents 15-64: p01 p02 p08
        "S07": (2, 3),      # ELB 15-64 arbeitslos (s01, s03)
        "S08": (0, 0),      # no AE / PAAR_MK BG
        "S09": (0, 1),      # non-German under 65: p07 (p06 has 000 as second nationality)
        "S10": (0, 3),
    },
    ("sozialraum", f"{STADT}-OZ"): {"S01": (2, None), "S02": (2, None), "S03": (2, 1)},
    ("sozialraum", f"{DORF}-OZ"): {"S01": (0, None), "S02": (1, None), "S03": (0, 0)},
    ("kommune", STADT): {"S01": (4, None), "S02": (4, None), "S03": (4, 9)},
    ("kommune", DORF): {"S01": (1, None), "S02": (2, None), "S07": (1, 3)},
    KREIS_GEBIET: {
        "S01": (5, None),   # ELB + NEF: s01 s03 s04 s05 s07
        "S02": (6, None),   # bg1..bg6
        "S03": (5, 12),     # residents under 65: 15 minus p04, p05, p11
        "S06": (4, 8),      # ELB 15-64: s01 s03 s04 s07 / residents 15-64
        "S07": (3, 8),      # s01 s03 s07 / p01 p02 p08 p09 p12 p14 p15 p16
        "S10": (0, 4),      # under 15: p03 p06 p07 p10
    },
}


@pytest.fixture(scope="module")
def built(dbt_fixture_warehouse):
    con = duckdb.connect(str(dbt_fixture_warehouse), read_only=True)
    yield con
    con.close()


def _values(con):
    return {
        (gliederung, raum_id, code): (zaehler, nenner, status)
        for gliederung, raum_id, code, zaehler, nenner, status in con.execute("""
            select gliederung, raum_id, code, zaehler, nenner, status
            from marts.mart_indikatorwerte
            where berichtsjahr = 2024 and code like 'S%'""").fetchall()
    }


def test_hand_computed_s_values(built):
    values = _values(built)
    checked = 0
    for gebiet, codes in EXPECTED_S.items():
        for code, expected in codes.items():
            zaehler, nenner, _ = values[(*gebiet, code)]
            assert (zaehler, nenner) == expected, (gebiet, code)
            checked += 1
    assert checked >= 25


def test_s_statuses(built):
    values = _values(built)
    assert values[(*SR01, "S03")][2] == "ok"
    assert values[(*SR01, "S01")][2] == "ok"
    # no AE / PAAR_MK Bedarfsgemeinschaft: denominator 0
    assert values[(*SR01, "S08")][2] == "kein_nenner"


def test_every_gebiet_has_every_s_indicator(built):
    gebiete = built.execute("select count(*) from intermediate.int_geo__gebiete").fetchone()[0]
    per_code = built.execute("""
        select code, count(*), sum(case when status = 'keine_daten' then 1 else 0 end)
        from marts.mart_indikatorwerte where code like 'S%' and berichtsjahr = 2024
        group by code order by code""").fetchall()
    assert [c for c, _, _ in per_code] == [f"S{i:02d}" for i in range(1, 11)]
    for code, n, keine_daten in per_code:
        assert n == gebiete, code
        assert keine_daten == 0, code  # both municipalities delivered sgb2 2024
    # only the Berichtsjahr with an sgb2 delivery
    jahre = built.execute(
        "select distinct berichtsjahr from marts.mart_indikatorwerte where code like 'S%'").fetchall()
    assert jahre == [(2024,)]


def test_s_indicators_are_published_only_protected(built):
    # the hand-made county has tiny counts: no S count of 1 or 2 is shown, and every
    # suppressed value has no zaehler and no wert, its one status `gesperrt` and (for the
    # quotas) its denominator, which is never suppressed
    shown_small = built.execute("""
        select count(*) from published.indikatorwerte
        where code like 'S%' and status = 'ok' and zaehler between 1 and 2""").fetchone()[0]
    assert shown_small == 0
    blank = built.execute("""
        select count(*), count(wert), count(zaehler),
               count(*) filter (where code not in ('S01', 'S02')),
               count(nenner) filter (where code not in ('S01', 'S02'))
        from published.indikatorwerte
        where code like 'S%' and status = 'gesperrt'""").fetchone()
    assert blank[0] > 0 and blank[1] == 0 and blank[2] == 0
    assert blank[3] > 0 and blank[4] == blank[3]
    statuses = {s for (s,) in built.execute(
        "select distinct status from published.indikatorwerte where code like 'S%'").fetchall()}
    assert statuses <= {"ok", "gesperrt", "kein_nenner", "keine_daten"}, statuses
    sensibel = built.execute(
        "select bool_and(sensibel) from published.indikatoren where code like 'S%'").fetchone()[0]
    assert sensibel
