"""The data tests of the models rebuilt per Stichtag check the Stichtage the run rebuilt.

In a nightly run that rebuilds only some Stichtage (`SPM_STICHTAGE`, docs/architecture.md
"Only what changed"), the key and value tests of the five incremental person-level tables
check only those Stichtage' rows: the other rows come from the last complete build, whose
tests all passed. A copy of the hand-made warehouse gets a repeated key and a NULL in one
Stichtag; a real `dbt test` must find both when that Stichtag is rebuilt and in a plain
run (every Stichtag), and leave them alone when only another Stichtag is.
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

REPO = Path(__file__).resolve().parents[2]
MODEL = "intermediate.int_haushalte__personen"


@pytest.fixture(scope="module")
def broken_home(dbt_fixture_warehouse, tmp_path_factory):
    """(home, the broken Stichtag, another Stichtag)."""
    home = Home(tmp_path_factory.mktemp("nur_neue") / "home").create()
    shutil.copy(dbt_fixture_warehouse, home.warehouse)
    con = duckdb.connect(str(home.warehouse))
    stichtage = [r[0] for r in con.execute(
        f"select distinct stichtag from {MODEL} order by stichtag").fetchall()]
    assert len(stichtage) >= 2
    broken, other = stichtage[-1], stichtage[0]
    # one person twice (the key repeats), and one person without an age (a required value)
    assert con.execute(f"insert into {MODEL} select * from {MODEL} where stichtag = ? "
                       "order by person_id limit 1", [broken]).fetchone()[0] == 1
    assert con.execute(f"""update {MODEL} set alter = null where stichtag = ? and person_id =
                           (select max(person_id) from {MODEL} where stichtag = ?)""",
                       [broken, broken]).fetchone()[0] == 1
    con.close()
    return home, broken, other


def _dbt_test(home: Home, stichtage: str | None) -> set[str]:
    """The rules of the model's columns_valid that `dbt test` finds broken."""
    env = dict(os.environ, **dbt_environment(home), DBT_SEND_ANONYMOUS_USAGE_STATS="False")
    env.pop("SPM_STICHTAGE", None)
    if stichtage is not None:
        env["SPM_STICHTAGE"] = stichtage
    target = home.root / "dbt_target"
    result = subprocess.run(
        [str(Path(sys.executable).parent / "dbt"), "test", "--store-failures",
         "--select", "int_haushalte__personen",
         "--exclude-resource-type", "unit_test",
         "--project-dir", "dbt_spm", "--profiles-dir", "dbt_spm",
         "--target-path", str(target), "--log-path", str(home.logs)],
        cwd=REPO, env=env, capture_output=True, text=True)
    results = {r["unique_id"].split(".")[2]: r for r in
               json.loads((target / "run_results.json").read_text())["results"]}
    # a failing test is a result; a test that cannot run is not
    assert {r["status"] for r in results.values()} <= {"pass", "fail"}, result.stdout[-3000:]
    test = results["columns_valid_int_haushalte__personen"]
    if test["status"] == "pass":
        return set()
    con = duckdb.connect(str(home.warehouse), read_only=True)
    try:
        return {r[0] for r in con.execute(f"select regel from {test['relation_name']}").fetchall()}
    finally:
        con.close()


def test_the_rebuilt_stichtag_is_checked(broken_home):
    home, broken, other = broken_home
    assert _dbt_test(home, f"{other.isoformat()},{broken.isoformat()}") == {"unique", "not_null"}


def test_a_plain_run_checks_every_stichtag(broken_home):
    home, _, _ = broken_home
    # (no variable is the same as `alle`: spm_stichtage_liste's default)
    assert _dbt_test(home, None) == {"unique", "not_null"}


def test_stichtage_not_rebuilt_are_left_to_the_build_that_made_them(broken_home):
    home, _, other = broken_home
    assert _dbt_test(home, other.isoformat()) == set()
    assert _dbt_test(home, "keine") == set()
