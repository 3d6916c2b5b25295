"""The dbt project on a hand-made warehouse: a real `dbt build`, values worked out by hand."""


import duckdb
import pytest

from tests.fixtures.make_fixture_warehouse import DORF, EXPECTED_B, STADT


@pytest.fixture(scope="module")
def built(dbt_fixture_warehouse):
    con = duckdb.connect(str(dbt_fixture_warehouse), read_only=True)
    yield con
    con.close()


def test_point_on_shared_border_lands_in_exactly_one_area(built):
    rows = built.execute("""
        select a.strasse_norm, a.hausnummer, r.gliederung, r.raum_id
        from intermediate.int_geo__adressen_raeume r
        join intermediate.int_geo__adressen a using (adresse_id)
        where a.ostwert = 481000 and a.nordwert = 5760500 and r.gliederung = 'sozialraum'
    """).fetchall()
    # on the border x = 481000 between SR01 and SR02: the smaller raum_id wins, once
    assert rows == [("hauptstrasse", 2, "sozialraum", f"{STADT}-SR01")]


def test_every_address_has_exactly_one_area_per_gliederung(built):
    counts = built.execute("""
        select gliederung, count(*) = count(distinct adresse_id)
        from intermediate.int_geo__adressen_raeume group by gliederung
    """).fetchall()
    assert counts and all(unique for _, unique in counts)
    addresses = built.execute("select count(*) from intermediate.int_geo__adressen").fetchone()[0]
    per = built.execute("select count(*) from intermediate.int_geo__adressen_raeume "
                        "where gliederung = 'sozialraum'").fetchone()[0]
    assert per == addresses


def test_hand_computed_b_values(built):
    values = {
        (year, gliederung, raum_id, code): (zaehler, nenner)
        for year, gliederung, raum_id, code, zaehler, nenner in built.execute("""
            select berichtsjahr, gliederung, raum_id, code, zaehler, nenner
            from marts.mart_indikatorwerte""").fetchall()
    }
    checked = 0
    for year, areas in EXPECTED_B.items():
        for (gliederung, raum_id), codes in areas.items():
            for code, expected in codes.items():
                assert values[(year, gliederung, raum_id, code)] == expected, (
                    year, gliederung, raum_id, code)
                checked += 1
    assert checked >= 35


def test_unmatched_addresses_count_for_municipality_and_county(built):
    oz = built.execute("""
        select zaehler from marts.mart_indikatorwerte
        where code = 'B01' and raum_id = ? and berichtsjahr = 2024""", [f"{STADT}-OZ"]).fetchone()[0]
    assert oz == 2
    areas = built.execute("""
        select sum(zaehler) from marts.mart_indikatorwerte
        where code = 'B01' and gliederung = 'sozialraum' and berichtsjahr = 2024
          and (raum_id like ? or raum_id like ?)""", [f"{STADT}-%", f"{DORF}-%"]).fetchone()[0]
    county = built.execute("""
        select zaehler from marts.mart_indikatorwerte
        where code = 'B01' and gliederung = 'kreis' and berichtsjahr = 2024""").fetchone()[0]
    assert areas == county == 15


def test_published_schema_holds_only_aggregates(built):
    tables = {t for (t,) in built.execute(
        "select table_name from information_schema.tables where table_schema = 'published'"
    ).fetchall()}
    assert {"indikatoren", "raeume", "indikatorwerte", "bevoelkerung", "hze_hilfearten",
            "sozialindex"} <= tables
    # sensitive values (the catalogue's numerators, on every level) are published only
    # after disclosure control: no count 1..2 shown
    shown_small = built.execute("""
        select count(*) from published.indikatorwerte w
        join published.indikatoren i using (code)
        where i.sensibel and w.status = 'ok' and w.zaehler between 1 and 2""").fetchone()[0]
    assert shown_small == 0
    # one status for every suppressed value: no other status, no mark of its kind
    statuses = {s for (s,) in built.execute(
        "select distinct status from published.indikatorwerte").fetchall()}
    assert statuses <= {"ok", "gesperrt", "kein_nenner", "keine_daten"}, statuses
    # a suppressed value shows neither zaehler nor wert, and only a sensitive one is
    # suppressed
    suppressed = built.execute("""
        select count(*) filter (where w.wert is not null or w.zaehler is not null),
               count(*) filter (where not i.sensibel)
        from published.indikatorwerte w join published.indikatoren i using (code)
        where w.status = 'gesperrt'""").fetchone()
    assert suppressed == (0, 0)
    # denominators are never suppressed: every nenner is the mart's
    nenner = built.execute("""
        select count(*) filter (where p.nenner is distinct from m.nenner),
               count(*) filter (where p.status = 'gesperrt' and p.nenner is not null)
        from published.indikatorwerte p
        join marts.mart_indikatorwerte m using (code, gliederung, raum_id, berichtsjahr)
        """).fetchone()
    assert nenner[0] == 0
    assert nenner[1] > 0, "suppressed shares publish their denominator"
    # the tiny hand-made county has small counts: some are suppressed, and they are visible
    # as such
    assert built.execute("select count(*) from published.indikatorwerte "
                         "where status = 'gesperrt'").fetchone()[0] > 0
