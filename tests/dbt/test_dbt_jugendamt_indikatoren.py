"""K and E indicators and the HzE breakdown on a hand-made warehouse: a real `dbt build`,
values worked out by hand.

The warehouse is the one of tests/fixtures/make_fixture_warehouse.py (register, areas,
residents) with its `hze` rows replaced by the cases below and a `kita` delivery added,
so that every boundary of the rules is met once. Residents at 31.12.2024 (population of
`hze` 31.12.2024 and of `kita` 01.03.2025): STADT-SR01 holds p01 (18), p02 (17), p03 (4),
p06 (14), p07 (12) and adults; STADT-SR02 p09 (34), p10 (5); STADT-OZ adults only; DORF
p14 (64), p15 (62), p16 (20). So under 18: SR01 4, SR02 1, STADT 5, DORF 0, county 5;
under 21: SR01 5, SR02 1, STADT 6, DORF 1, county 7; aged 3-5: SR01 1 (p03), SR02 1 (p10);
nobody under 3.
Addresses: Hauptstraße 1 -> STADT-SR01; Bahnhofstraße 5 -> STADT-SR02; Gibtsnichtweg 7
(not in the register) -> STADT-OZ; Dorfstraße 2 -> DORF-SR01; `stadtteil` 05999-ST02 holds
SR02, the village and the border address Hauptstraße 2 (p07, 12).
"""

from __future__ import annotations

import datetime as dt
import os
import subprocess
import sys
from decimal import Decimal
from pathlib import Path

import duckdb
import pytest

from ingestion.home import Home
from ingestion.warehouse import dbt_environment
from tests.fixtures.make_fixture_warehouse import DORF, KREIS, STADT, make_fixture_warehouse

REPO = Path(__file__).resolve().parents[2]
HAUPT = ("Hauptstraße", "hauptstrasse", 1)
BAHNHOF = ("Bahnhofstraße", "bahnhofstrasse", 5)
NIRGENDS = ("Gibtsnichtweg", "gibtsnichtweg", 7)
DORFSTR = ("Dorfstraße", "dorfstrasse", 2)
DORFSTR1 = ("Dorfstraße", "dorfstrasse", 1)

# hze, Stichtag 31.12.2024 (both municipalities) and 31.12.2025 (DORF only):
# (stichtag, fall, ags, address, born, hilfeart, beginn, ende, kosten_euro)
HZE = [
    # begun on the Stichtag
    ("2024-12-31", "h01", STADT, HAUPT, "2010-01-01", "31", "2024-12-31", None, 1234.56),
    # ends on the Stichtag: laufend
    ("2024-12-31", "h02", STADT, HAUPT, "2010-01-01", "33", "2020-05-01", "2024-12-31", 1234.5),
    # ended the day before: E09 only
    ("2024-12-31", "h03", STADT, HAUPT, "2008-01-01", "30", "2023-03-01", "2024-12-30", 800.0),
    # E04; not in E08
    ("2024-12-31", "h04", STADT, HAUPT, "2012-01-01", "28", "2024-02-01", None, 100.0),
    # E06, E08; not E09
    ("2024-12-31", "h05", STADT, HAUPT, "2011-01-01", "42", "2024-06-01", "2024-06-20", 1000.0),
    # 18 on the Stichtag: not E01
    ("2024-12-31", "h06", STADT, HAUPT, "2006-12-31", "34", "2022-01-01", None, None),
    ("2024-12-31", "h07", STADT, BAHNHOF, "2004-01-01", "41", "2024-01-01", None, 2000.0),
    ("2024-12-31", "h08", STADT, HAUPT, "2012-01-01", "35a", "2023-01-01", None, 8000.0),
    # ended last year
    ("2024-12-31", "h09", STADT, HAUPT, "2012-01-01", "32", "2023-01-01", "2023-12-15", None),
    ("2024-12-31", "h10", STADT, HAUPT, "2012-01-01", "29", "2024-03-01", None, 0.0),     # costs 0
    ("2024-12-31", "h11", DORF, DORFSTR, "2009-01-01", "35", "2024-07-01", None, 5000.0),
    ("2024-12-31", "h12", STADT, NIRGENDS, "2013-01-01", "27_2", "2024-01-01", "2024-12-31", 300.0),
    ("2025-12-31", "h13", DORF, DORFSTR, "2015-01-01", "28", "2025-01-10", None, 50.0),
]

# kita, Stichtag 01.03.2025: (kind, ags, address, born, betreuungsart, wochenstunden)
KITA = [
    ("k1", STADT, HAUPT, "2022-01-15", "KITA", 45.0),    # 2 at 31.12.2024 but 3 at 01.03.2025: K02
    ("k2", STADT, HAUPT, "2023-05-01", "KTP", 35.0),     # under 3 in Kindertagespflege
    ("k3", STADT, BAHNHOF, "2018-09-01", "KITA", None),  # 6, hours unknown
    ("k4", DORF, DORFSTR1, "2022-03-01", "KITA", 50.0),  # 3rd birthday on the Stichtag
    ("k5", DORF, DORFSTR, "2024-03-02", "KTP", 25.0),    # 0
]

SR01 = ("sozialraum", f"{STADT}-SR01")
SR02 = ("sozialraum", f"{STADT}-SR02")
OZ = ("sozialraum", f"{STADT}-OZ")
DORF_SR01 = ("sozialraum", f"{DORF}-SR01")
ST02 = ("stadtteil", "05999-ST02")
KOMMUNE_STADT = ("kommune", STADT)
KOMMUNE_DORF = ("kommune", DORF)
KREIS_GEBIET = ("kreis", KREIS)

# (gliederung, raum_id) -> code -> (zaehler, nenner, status), Berichtsjahr 2024 (E), 2025 (K)
EXPECTED_E_2024 = {
    SR01: {
        "E01": (3, 4, "ok"),     # h01 h02 h10 (h06 is 18, h03 ended)
        "E02": (2, 4, "ok"),     # h01 h10
        "E03": (1, 4, "ok"),     # h02
        "E04": (1, 4, "ok"),     # h04
        "E05": (1, 4, "ok"),     # h08
        "E06": (1, 4, "ok"),     # h05
        "E07": (2, 4, "ok"),     # h01 h10
        "E08": (12269.06, 5, "ok"),  # h01 h02 h03 h05 h08 h10 (not h04: 28)
        "E09": (7, 5, "ok"),     # h01 h02 h03 h04 h06 h08 h10 (not h05: 42, not h09)
    },
    SR02: {"E01": (0, 1, "ok"), "E08": (2000.0, 1, "ok"), "E09": (1, 1, "ok")},
    OZ: {"E01": (1, 0, "kein_nenner"), "E02": (1, 0, "kein_nenner"),
         "E08": (300.0, 0, "kein_nenner")},
    KOMMUNE_STADT: {"E01": (4, 5, "ok"), "E02": (3, 5, "ok"), "E07": (3, 5, "ok"),
                    "E08": (14569.06, 6, "ok"), "E09": (9, 6, "ok")},
    KOMMUNE_DORF: {"E01": (1, 0, "kein_nenner"), "E08": (5000.0, 1, "ok"), "E09": (1, 1, "ok")},
    # Hauptstraße 2 (p07, 12) lies on the ST01|ST02 border and goes to "05999-ST02" (the
    # smaller raum_id): under 21 in ST02 = p07, p10, p16
    ST02: {"E09": (2, 3, "ok"), "E08": (7000.0, 3, "ok")},  # h07, h11
    KREIS_GEBIET: {
        "E01": (5, 5, "ok"), "E02": (4, 5, "ok"), "E03": (1, 5, "ok"), "E04": (1, 5, "ok"),
        "E05": (1, 5, "ok"), "E06": (1, 5, "ok"), "E07": (4, 5, "ok"),
        "E08": (19569.06, 7, "ok"), "E09": (10, 7, "ok"),
    },
}
EXPECTED_K_2025 = {
    SR01: {"K01": (1, 0, "kein_nenner"), "K02": (1, 1, "ok"), "K03": (1, 1, "ok"),
           "K04": (1, 2, "ok")},
    SR02: {"K02": (0, 1, "ok"), "K04": (0, 0, "kein_nenner")},
    KOMMUNE_DORF: {"K02": (1, 0, "kein_nenner"), "K03": (1, 1, "ok"), "K04": (1, 2, "ok")},
    KREIS_GEBIET: {"K01": (2, 0, "kein_nenner"), "K02": (2, 2, "ok"), "K03": (2, 2, "ok"),
                   "K04": (2, 4, "ok")},
}
# (gliederung, raum_id, berichtsjahr, hilfeart) -> (faelle, laufend, neu, ausgaben,
# mit_ausgaben, max_ausgaben, status)
EXPECTED_HILFEARTEN = {
    (*SR01, 2024, "31"): (1, 1, 1, 1234.56, 1, 1234.56, "ok"),
    (*SR01, 2024, "33"): (1, 1, 0, 1234.5, 1, 1234.5, "ok"),
    (*SR01, 2024, "30"): (1, 0, 0, 800.0, 1, 800.0, "ok"),
    (*SR01, 2024, "42"): (1, 0, 1, 1000.0, 1, 1000.0, "ok"),
    (*SR01, 2024, "34"): (1, 1, 0, 0.0, 0, 0.0, "ok"),
    (*SR01, 2024, "32"): (1, 0, 0, 0.0, 0, 0.0, "ok"),
    (*SR01, 2024, "29"): (1, 1, 1, 0.0, 0, 0.0, "ok"),
    (*SR01, 2024, "41"): (0, 0, 0, 0.0, 0, 0.0, "ok"),
    (*KREIS_GEBIET, 2024, "41"): (1, 1, 1, 2000.0, 1, 2000.0, "ok"),
    (*KREIS_GEBIET, 2024, "27_2"): (1, 1, 1, 300.0, 1, 300.0, "ok"),
    (*KREIS_GEBIET, 2024, "28"): (1, 1, 1, 100.0, 1, 100.0, "ok"),
    (*DORF_SR01, 2025, "28"): (1, 1, 1, 50.0, 1, 50.0, "ok"),
    (*KREIS_GEBIET, 2025, "28"): (None, None, None, None, None, None, "keine_daten"),
    (*SR01, 2025, "28"): (None, None, None, None, None, None, "keine_daten"),
}


def _date(value: str | None) -> dt.date | None:
    return None if value is None else dt.date.fromisoformat(value)


def _fill(con: duckdb.DuckDBPyConnection) -> None:
    """Replace the fixture's hze rows by HZE and add the kita delivery KITA."""
    con.execute("delete from raw.hze")
    con.execute("delete from raw.delivery_log where source = 'hze'")
    log = [(31, "hze", "2024-12-31", "hze_2024-12-31.csv", 12, f"{STADT},{DORF}"),
           (32, "hze", "2025-12-31", "hze_2025-12-31.csv", 1, DORF),
           (40, "kita", "2025-03-01", "kita_2025-03-01.csv", len(KITA), f"{STADT},{DORF}")]
    con.executemany(
        """
        insert into raw.delivery_log (delivery_id, source, stichtag, gliederung, file_name,
            sha256, archive_path, received_at, status, rows_total, rows_loaded,
            rows_quarantined, municipalities, encoding, message)
        values (?, ?, ?, null, ?, ?, ?, ?, 'loaded', ?, ?, 0, ?, 'utf-8', 'geladen')
        """,
        [(d, s, _date(st), f, f"{d:064x}", f"archive/{d:064x}",
          dt.datetime(2026, 1, 15, 8), n, n, m) for d, s, st, f, n, m in log])
    con.executemany(
        "insert into raw.hze (delivery_id, line_no, stichtag, fall_id, person_id, geburtsdatum, "
        "geschlecht, hilfeart, beginn, ende, kosten_euro, ags, strasse, strasse_norm, hausnummer, "
        "hausnummer_zusatz_norm, hausnummer_zusatz, plz) "
        "values (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, '', null, null)",
        [(31 if st.startswith("2024") else 32, line, _date(st), f"hash_{fall}", f"hash_j{fall}",
          _date(born), "w", art, _date(beginn), _date(ende), kosten, ags, *adresse)
         for line, (st, fall, ags, adresse, born, art, beginn, ende, kosten)
         in enumerate(HZE, start=2)])
    con.executemany(
        "insert into raw.kita (delivery_id, line_no, stichtag, kind_id, geburtsdatum, geschlecht, "
        "betreuungsart, einrichtung_id, wochenstunden, betreuungsbeginn, ags, strasse, "
        "strasse_norm, hausnummer, hausnummer_zusatz_norm, hausnummer_zusatz, plz) "
        "values (40, ?, ?, ?, ?, 'm', ?, null, ?, null, ?, ?, ?, ?, '', null, null)",
        [(line, _date("2025-03-01"), f"hash_{kind}", _date(born), art, stunden, ags, *adresse)
         for line, (kind, ags, adresse, born, art, stunden) in enumerate(KITA, start=2)])


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    home = Home(tmp_path_factory.mktemp("dbt_jugendamt") / "home").create()
    make_fixture_warehouse(home.warehouse)
    con = duckdb.connect(str(home.warehouse))
    try:
        _fill(con)
    finally:
        con.close()
    env = dict(os.environ, **dbt_environment(home), DBT_SEND_ANONYMOUS_USAGE_STATS="False")
    result = subprocess.run(
        [str(Path(sys.executable).parent / "dbt"), "build", "--project-dir", "dbt_spm",
         "--profiles-dir", "dbt_spm", "--target-path", str(home.root / "dbt_target"),
         "--log-path", str(home.logs), "--select",
         "+mart_indikatorwerte", "+mart_hze_hilfearten", "--indirect-selection", "cautious"],
        cwd=REPO, env=env, capture_output=True, text=True)
    assert result.returncode == 0, result.stdout[-5000:]
    assert "deprecat" not in result.stdout.lower(), result.stdout[-5000:]
    con = duckdb.connect(str(home.warehouse), read_only=True)
    yield con
    con.close()


def _indikatorwerte(con, jahr: int, prefix: str) -> dict:
    return {
        (gliederung, raum_id, code): (zaehler, nenner, status)
        for gliederung, raum_id, code, zaehler, nenner, status in con.execute(
            "select gliederung, raum_id, code, zaehler, nenner, status "
            "from marts.mart_indikatorwerte where berichtsjahr = ? and code like ?",
            [jahr, f"{prefix}%"]).fetchall()
    }


def _check(values: dict, expected: dict) -> int:
    checked = 0
    for gebiet, codes in expected.items():
        for code, (zaehler, nenner, status) in codes.items():
            got = values[(*gebiet, code)]
            assert got[0] == pytest.approx(zaehler, abs=1e-9), (gebiet, code, got)
            assert (got[1], got[2]) == (nenner, status), (gebiet, code, got)
            checked += 1
    return checked


def test_hand_computed_e_values(built):
    assert _check(_indikatorwerte(built, 2024, "E"), EXPECTED_E_2024) >= 30


def test_e_only_where_every_municipality_delivered(built):
    values = _indikatorwerte(built, 2025, "E")
    assert values[(*DORF_SR01, "E04")] == (1, 0, "kein_nenner")  # nobody under 18 in 2025
    assert values[(*KOMMUNE_STADT, "E01")][2] == "keine_daten"
    assert values[(*KREIS_GEBIET, "E09")][2] == "keine_daten"


def test_e02_plus_e03_is_e01(built):
    values = _indikatorwerte(built, 2024, "E")
    gebiete = {(g, r) for g, r, _ in values}
    for gebiet in gebiete:
        assert values[(*gebiet, "E02")][0] + values[(*gebiet, "E03")][0] == values[
            (*gebiet, "E01")][0], gebiet


def test_hand_computed_k_values(built):
    assert _check(_indikatorwerte(built, 2025, "K"), EXPECTED_K_2025) >= 12


def test_hand_computed_hilfearten(built):
    rows = {
        tuple(r[:4]): tuple(r[4:])
        for r in built.execute(
            "select gliederung, raum_id, berichtsjahr, hilfeart, anzahl_faelle, anzahl_laufend, "
            "anzahl_neu, ausgaben_euro, anzahl_mit_ausgaben, max_ausgaben_euro, status "
            "from marts.mart_hze_hilfearten").fetchall()
    }
    for key, expected in EXPECTED_HILFEARTEN.items():
        got = rows[key]
        assert got[:3] == expected[:3] and got[4] == expected[4] and got[6] == expected[6], key
        for i in (3, 5):                # euros: DECIMAL(18,2), exact to the cent
            assert (got[i] is None and expected[i] is None) or got[i] == Decimal(
                str(expected[i])), key
    gebiete = built.execute("select count(*) from intermediate.int_geo__gebiete").fetchone()[0]
    assert len(rows) == gebiete * 2 * 12  # every Gebiet, both years, all 12 hilfearten
