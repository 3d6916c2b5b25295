"""The cross-cutting dbt tests catch what they are meant to catch.

The hand-made warehouse (``dbt_fixture_warehouse``) passes every dbt test (the fixture
asserts a clean ``dbt build``). Here a copy of it is broken on purpose, one value per rule,
and a real ``dbt test --store-failures`` must fail exactly the tests of
``mart_indikatorwerte`` / ``mart_bevoelkerung`` that guard those rules, naming the broken
rows, while the changes the rules allow (S02 is not additive, B10 may be negative) pass.
"""

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import duckdb
import pytest

from ingestion.home import Home
from ingestion.warehouse import dbt_environment
from tests.fixtures.make_fixture_warehouse import DORF, KREIS, STADT

REPO = Path(__file__).resolve().parents[2]

MART = "marts.mart_indikatorwerte"

BREAKS = [
    # an area of a municipality-bound Gliederung no longer sums to its municipality
    f"""update {MART} set zaehler = zaehler + 1
        where code = 'B02' and raum_id = '{STADT}-SR01' and berichtsjahr = 2024""",
    # an area crossing the municipal border: its Gliederung no longer sums to the county
    f"""update {MART} set zaehler = zaehler + 1
        where code = 'B01' and raum_id = '05999-ST02' and berichtsjahr = 2025""",
    # the county no longer is the sum of its municipalities
    f"""update {MART} set nenner = nenner + 1
        where code = 'B03' and gliederung = 'kreis' and berichtsjahr = 2025""",
    # allowed: S02 counts distinct Bedarfsgemeinschaften (not additive)
    f"""update {MART} set zaehler = zaehler + 1
        where code = 'S02' and raum_id = '{STADT}-SR01' and berichtsjahr = 2024""",
    # shares outside [0, 100]
    f"""update {MART} set wert = 100.5
        where code = 'B08' and raum_id = '{STADT}-SR02' and berichtsjahr = 2024""",
    f"""update {MART} set wert = -1
        where code = 'B04' and raum_id = '{DORF}' and berichtsjahr = 2025""",
    # allowed: B10 is a change in %
    f"""update {MART} set wert = -5
        where code = 'B10' and raum_id = '{STADT}-SR01' and berichtsjahr = 2025""",
    # numerator above the denominator, and a negative denominator
    f"""update {MART} set zaehler = nenner + 1
        where code = 'B09' and raum_id = '{STADT}-SR01' and berichtsjahr = 2025""",
    f"""update {MART} set nenner = -1
        where code = 'B11' and raum_id = '{DORF}-SR01' and berichtsjahr = 2025""",
    # a Gebiet that int_geo__gebiete does not know
    f"""update {MART} set raum_id = '{STADT}-SR99'
        where code = 'B12' and raum_id = '{STADT}-SR02' and berichtsjahr = 2024""",
    # value rules (columns_valid): a row without its area's name, a status outside the list
    f"""update {MART} set raum_name = null
        where code = 'B06' and raum_id = '{STADT}-SR01' and berichtsjahr = 2024""",
    f"""update {MART} set status = 'OK'
        where code = 'B05' and raum_id = '{STADT}-SR02' and berichtsjahr = 2024
          and status = 'ok'""",
    # the population table no longer sums to B01
    f"""update marts.mart_bevoelkerung set anzahl = anzahl + 1
        where gliederung = 'sozialraum' and raum_id = '{DORF}-SR01' and berichtsjahr = 2024
          and altersgruppe = '45-64' and geschlecht = 'o' and staatsangehoerigkeit = 'deutsch'""",
]


@pytest.fixture(scope="module")
def broken(dbt_fixture_warehouse, tmp_path_factory):
    """(run results by test name, failing rows by test name) of `dbt test` on the broken copy."""
    home = Home(tmp_path_factory.mktemp("broken") / "home").create()
    shutil.copy(dbt_fixture_warehouse, home.warehouse)
    con = duckdb.connect(str(home.warehouse))
    for sql in BREAKS:
        assert con.execute(sql).fetchone()[0] == 1, sql  # each break hits exactly one row
    con.close()
    target = home.root / "dbt_target"
    env = dict(os.environ, **dbt_environment(home), DBT_SEND_ANONYMOUS_USAGE_STATS="False")
    result = subprocess.run(
        [str(Path(sys.executable).parent / "dbt"), "test", "--store-failures",
         "--select", "mart_indikatorwerte", "mart_bevoelkerung",
         "--project-dir", "dbt_spm", "--profiles-dir", "dbt_spm",
         "--target-path", str(target), "--log-path", str(home.logs)],
        cwd=REPO, env=env, capture_output=True, text=True)
    assert result.returncode == 1, result.stdout[-3000:]  # some tests fail, none errors
    results = json.loads((target / "run_results.json").read_text())["results"]
    status, rows = {}, {}
    con = duckdb.connect(str(home.warehouse), read_only=True)
    for r in results:
        name = r["unique_id"].split(".")[2]
        status[name] = r["status"]
        if r["status"] == "fail":
            frame = con.execute(f"select * from {r['relation_name']}").df()
            rows[name] = frame
    con.close()
    return status, rows


def _named(status: dict, prefix: str) -> str:
    names = [n for n in status if n.startswith(prefix)]
    assert len(names) == 1, (prefix, sorted(status))
    return names[0]


def test_additivity_catches_each_level_and_spares_s02(broken):
    status, rows = broken
    name = _named(status, "additive_across_levels_mart_indikatorwerte")
    assert status[name] == "fail"
    found = {(r.code, r.berichtsjahr, r.ebene, r.gliederung, r.raum_id, r.spalte)
             for r in rows[name].itertuples()}
    assert (("B02", 2024, "sozialraum", "kommune", STADT, "zaehler") in found)
    assert (("B01", 2025, "stadtteil", "kreis", KREIS, "zaehler") in found)
    assert (("B03", 2025, "kommune", "kreis", KREIS, "nenner") in found)
    assert not {f for f in found if f[0] == "S02"}
    # the areas of a Gliederung with areas across municipal borders are not summed per
    # municipality, the untouched codes all add up
    assert not {f for f in found if f[2] == "stadtteil" and f[3] == "kommune"}
    assert {f[0] for f in found} == {"B01", "B02", "B03", "B09", "B11"}


def test_share_between_0_and_100_catches_both_ends_and_spares_b10(broken):
    status, rows = broken
    name = _named(status, "share_between_0_and_100_mart_indikatorwerte_wert")
    assert status[name] == "fail"
    found = {(r.code, r.raum_id, r.berichtsjahr) for r in rows[name].itertuples()}
    assert found == {("B08", f"{STADT}-SR02", 2024), ("B04", DORF, 2025)}


def test_zaehler_not_above_nenner(broken):
    status, rows = broken
    name = _named(status, "zaehler_not_above_nenner_mart_indikatorwerte")
    assert status[name] == "fail"
    found = {(r.code, r.raum_id, r.berichtsjahr) for r in rows[name].itertuples()}
    assert found == {("B09", f"{STADT}-SR01", 2025), ("B11", f"{DORF}-SR01", 2025)}


def test_gebiete_relationship(broken):
    """The reference to int_geo__gebiete (a rule of columns_valid) names the missing
    combination."""
    status, rows = broken
    name = _named(status, "columns_valid_mart_indikatorwerte")
    assert status[name] == "fail"
    found = [(r.spalte, r.anzahl, r.beispiel) for r in rows[name].itertuples()
             if r.regel == "relationships"]
    assert found == [("gliederung, raum_id -> int_geo__gebiete(gliederung, raum_id)", 1,
                      f"sozialraum | {STADT}-SR99")]


def test_population_table_must_sum_to_b01(broken):
    status, rows = broken
    assert status["assert_bevoelkerung_summe_gleich_b01"] == "fail"
    frame = rows["assert_bevoelkerung_summe_gleich_b01"]
    # the changed count, and the B01 value changed above for the additivity test
    assert set(frame[["gliederung", "raum_id", "berichtsjahr"]].itertuples(
        index=False, name=None)) == {("sozialraum", f"{DORF}-SR01", 2024),
                                     ("stadtteil", "05999-ST02", 2025)}


def test_the_other_tests_still_pass(broken):
    """The breaks are precise: the grain, not-null, code-list and catalogue tests pass."""
    status, _ = broken
    failed = {n for n, s in status.items() if s != "pass"}
    expected = {
        _named(status, "additive_across_levels_mart_indikatorwerte"),
        _named(status, "share_between_0_and_100_mart_indikatorwerte_wert"),
        _named(status, "zaehler_not_above_nenner_mart_indikatorwerte"),
        _named(status, "columns_valid_mart_indikatorwerte"),
        "assert_bevoelkerung_summe_gleich_b01",
    }
    assert expected <= failed
    # no other rule of the models' columns_valid fails: the grain, value and reference rules
    # of mart_bevoelkerung pass
    assert not {n for n in failed - expected if n.startswith("columns_valid")}
    assert status[_named(status, "columns_valid_mart_bevoelkerung")] == "pass"


def test_columns_valid_names_each_broken_rule_once(broken):
    status, rows = broken
    name = _named(status, "columns_valid_mart_indikatorwerte")
    assert status[name] == "fail"
    found = {(r.regel, r.spalte, r.anzahl, r.beispiel if isinstance(r.beispiel, str) else None)
             for r in rows[name].itertuples()}
    assert found == {("not_null", "raum_name", 1, None), ("accepted_values", "status", 1, "OK"),
                     ("relationships",
                      "gliederung, raum_id -> int_geo__gebiete(gliederung, raum_id)", 1,
                      f"sozialraum | {STADT}-SR99")}


def test_columns_valid_finds_repeated_keys_and_unknown_codes(dbt_fixture_warehouse, tmp_path):
    """The grain (unique) and the one-column reference of columns_valid, on another copy."""
    home = Home(tmp_path / "home").create()
    shutil.copy(dbt_fixture_warehouse, home.warehouse)
    con = duckdb.connect(str(home.warehouse))
    # a municipality twice; an indicator value whose code the catalogue does not know
    assert con.execute("insert into intermediate.int_geo__gemeinden select * from "
                       "intermediate.int_geo__gemeinden where ags = ?", [DORF]).fetchone()[0] == 1
    assert con.execute(f"update {MART} set code = 'X99' where code = 'B06' and raum_id = ? "
                       "and berichtsjahr = 2024", [DORF]).fetchone()[0] == 1
    con.close()
    target = home.root / "dbt_target"
    env = dict(os.environ, **dbt_environment(home), DBT_SEND_ANONYMOUS_USAGE_STATS="False")
    subprocess.run(
        [str(Path(sys.executable).parent / "dbt"), "test", "--store-failures",
         "--select", "int_geo__gemeinden", "mart_indikatorwerte", "--exclude-resource-type",
         "unit_test", "--project-dir", "dbt_spm", "--profiles-dir", "dbt_spm",
         "--target-path", str(target), "--log-path", str(home.logs)],
        cwd=REPO, env=env, capture_output=True, text=True)
    results = json.loads((target / "run_results.json").read_text())["results"]
    con = duckdb.connect(str(home.warehouse), read_only=True)
    rows = {}
    for r in results:
        name = r["unique_id"].split(".")[2]
        if name in ("columns_valid_int_geo__gemeinden", "columns_valid_mart_indikatorwerte"):
            short = name
            assert r["status"] == "fail", name
            rows[short] = {
                (x.regel, x.spalte, x.anzahl, x.beispiel)
                for x in con.execute(f"select * from {r['relation_name']}").df().itertuples()}
    con.close()
    assert rows["columns_valid_int_geo__gemeinden"] == {("unique", "ags", 1, DORF)}
    assert ("relationships", "code -> indikatoren_katalog(code)", 1, "X99") in \
        rows["columns_valid_mart_indikatorwerte"]
    assert ("accepted_values", "code", 1, "X99") in rows["columns_valid_mart_indikatorwerte"]
