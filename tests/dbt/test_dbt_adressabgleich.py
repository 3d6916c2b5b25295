"""Address match report on the hand-made warehouse: a real `dbt build`, rows worked out by hand.

The fixture (tests/fixtures/make_fixture_warehouse.py) delivers residents for two Stichtage,
SGB II records for 2024-12-31 and HzE cases for 2024-12-31 and 2025-12-31; the other agency
tables (seu, kita, schule, schulabgang) are empty. Register: Hauptstraße 1, 1a, 2,
Bahnhofstraße 5, Lindenweg 3 (old extract only) in Musterstadt, Dorfstraße 1, 2 in
Beispieldorf.
"""

import datetime as dt

import duckdb
import pytest

from tests.fixtures.make_fixture_warehouse import DORF, STADT

D24, D25 = dt.date(2024, 12, 31), dt.date(2025, 12, 31)

# (quelle, stichtag, ags) -> (datensaetze, exakt, ohne_zusatz, nicht_zugeordnet, zuordnungsquote)
EXPECTED_REPORT = {
    # p01-p04, p13 Hauptstraße 1; p05, p06 1a; p08 2; p09, p10 Bahnhofstraße 5; p11 Lindenweg 3
    # exakt; p07 2b -> 2; p12 Gibtsnichtweg 7 unmatched (the Nebenwohnung p13 counts as a record)
    ("einwohner", D24, STADT): (13, 11, 1, 1, 100 * 12 / 13),
    ("einwohner", D24, DORF): (3, 3, 0, 0, 100.0),
    ("einwohner", D25, STADT): (12, 10, 1, 1, 100 * 11 / 12),
    ("einwohner", D25, DORF): (4, 4, 0, 0, 100.0),
    # s01 "Hauptstr." 1, s02 1a, s06 Lindenweg 3 exakt; s03 2c -> 2; s04, s05 Gibtsnichtweg 7
    ("sgb2", D24, STADT): (6, 3, 1, 2, 100 * 4 / 6),
    # s07 "Dorfstr." 1 exakt; s08 Kirchweg 4 unmatched
    ("sgb2", D24, DORF): (2, 1, 0, 1, 50.0),
    # f01 Bahnhofstraße 5 exakt; f02 5a -> 5; f04 Hauptstraße 1b -> 1; f03 Hauptstraße 3 unmatched
    ("hze", D24, STADT): (4, 1, 2, 1, 75.0),
    ("hze", D25, DORF): (1, 1, 0, 0, 100.0),
}

# (quelle, stichtag, ags, strasse, hausnummer, hausnummer_zusatz_norm, plz, anzahl)
EXPECTED_UNMATCHED = sorted([
    ("einwohner", D24, STADT, "Gibtsnichtweg", 7, "", None, 1),
    ("einwohner", D25, STADT, "Gibtsnichtweg", 7, "", None, 1),
    ("hze", D24, STADT, "Hauptstraße", 3, "", "12345", 1),
    ("sgb2", D24, DORF, "Kirchweg", 4, "", None, 1),
    ("sgb2", D24, STADT, "Gibtsnichtweg", 7, "", "12345", 2),
])


@pytest.fixture(scope="module")
def built(dbt_fixture_warehouse):
    con = duckdb.connect(str(dbt_fixture_warehouse), read_only=True)
    yield con
    con.close()


def test_match_report_rows(built):
    rows = built.execute("""
        select quelle, stichtag, ags, datensaetze, exakt, ohne_zusatz, nicht_zugeordnet,
               zuordnungsquote
        from marts.mart_adressabgleich""").fetchall()
    report = {(q, s, a): rest for q, s, a, *rest in rows}
    assert set(report) == set(EXPECTED_REPORT)
    for key, (n, exakt, ohne, keine, quote) in EXPECTED_REPORT.items():
        assert tuple(report[key][:4]) == (n, exakt, ohne, keine), key
        assert report[key][4] == pytest.approx(quote), key


def test_empty_sources_give_no_rows_but_build(built):
    for model in ("stg_gesundheitsamt__seu", "stg_jugendamt__kita", "stg_schultraeger__schule",
                  "stg_schultraeger__schulabgang"):
        assert built.execute(f"select count(*) from staging.{model}").fetchone()[0] == 0
    quellen = {q for (q,) in built.execute(
        "select distinct quelle from marts.mart_adressabgleich").fetchall()}
    assert quellen == {"einwohner", "sgb2", "hze"}


def test_unmatched_address_list(built):
    rows = built.execute("""
        select quelle, stichtag, ags, strasse, hausnummer, hausnummer_zusatz_norm, plz, anzahl
        from marts.mart_adressen_ohne_zuordnung""").fetchall()
    assert sorted(rows, key=repr) == sorted(EXPECTED_UNMATCHED, key=repr)


def test_agency_records_use_the_same_match_as_residents(built):
    rows = dict(built.execute("""
        select fall_id, zuordnung_id || ' ' || adress_abgleich
        from intermediate.int_personen__hze""").fetchall())
    assert rows == {
        "hash_f01": f"{STADT}|bahnhofstrasse|5| exakt",
        "hash_f02": f"{STADT}|bahnhofstrasse|5| ohne_zusatz",
        "hash_f03": f"{STADT}-OZ keine",
        "hash_f04": f"{STADT}|hauptstrasse|1| ohne_zusatz",
        "hash_f05": f"{DORF}|dorfstrasse|2| exakt",
    }
    sgb2 = dict(built.execute("""
        select person_id, zuordnung_id from intermediate.int_personen__sgb2""").fetchall())
    assert sgb2["hash_s02"] == f"{STADT}|hauptstrasse|1|a"
    assert sgb2["hash_s03"] == f"{STADT}|hauptstrasse|2|"
    assert sgb2["hash_s08"] == f"{DORF}-OZ"


def test_berichtsjahr_of_agency_sources(built):
    assert built.execute(
        "select distinct berichtsjahr from staging.stg_jobcenter__sgb2").fetchall() == [(2024,)]
    assert sorted(built.execute(
        "select distinct berichtsjahr from staging.stg_jugendamt__hze").fetchall()) == [(2024,), (2025,)]


def test_register_findings(built):
    rows = built.execute("""
        select gliederung, adresse, befund, raum_id from marts.mart_adressen_raumbefunde""").fetchall()
    assert sorted(rows) == [
        # on the border x = 481000: SR01 | SR02 and ST01 | ST02; the smallest raum_id got it
        ("sozialraum", "Hauptstraße 2", "mehrere_raeume", f"{STADT}-SR01"),
        ("sozialraum", "Lindenweg 3", "kein_raum", f"{STADT}-OZ"),
        ("stadtteil", "Hauptstraße 2", "mehrere_raeume", "05999-ST02"),
        ("stadtteil", "Lindenweg 3", "kein_raum", f"{STADT}-OZ"),
    ]


def test_reports_are_private(built):
    published = {t for (t,) in built.execute(
        "select table_name from information_schema.tables where table_schema = 'published'"
    ).fetchall()}
    assert published >= {"indikatoren", "raeume", "indikatorwerte", "bevoelkerung"}
    assert not any(t.startswith(("mart_", "int_", "stg_")) for t in published)
    marts = {t for (t,) in built.execute(
        "select table_name from information_schema.tables where table_schema = 'marts'"
    ).fetchall()}
    assert {"mart_adressabgleich", "mart_adressen_ohne_zuordnung",
            "mart_adressen_raumbefunde"} <= marts
