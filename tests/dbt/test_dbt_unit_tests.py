"""dbt unit tests (fixed fixtures, the models' SQL): run in the test suite, not nightly."""

import json
from pathlib import Path


def _results(target: Path) -> dict[str, str]:
    run_results = json.loads((target / "run_results.json").read_text(encoding="utf-8"))
    return {r["unique_id"]: r["status"] for r in run_results["results"]}


def _unit_tests(target: Path) -> set[str]:
    manifest = json.loads((target / "manifest.json").read_text(encoding="utf-8"))
    return set(manifest.get("unit_tests", {}))


def test_every_unit_test_passes_in_the_fixture_build(dbt_fixture_warehouse):
    # the fixture warehouse is built with a plain `dbt build`, which runs the unit tests
    target = dbt_fixture_warehouse.parent.parent / "dbt_target"
    unit_tests = _unit_tests(target)
    assert len(unit_tests) >= 20, sorted(unit_tests)
    results = _results(target)
    assert {u: results.get(u) for u in unit_tests} == {u: "pass" for u in unit_tests}


def test_the_nightly_build_runs_every_data_test_but_no_unit_test(demo_run):
    target = demo_run.home.dbt_target
    results = _results(target)
    manifest = json.loads((target / "manifest.json").read_text(encoding="utf-8"))
    data_tests = {k for k, n in manifest["nodes"].items() if n["resource_type"] == "test"}
    models = {k for k, n in manifest["nodes"].items() if n["resource_type"] == "model"}
    assert not [u for u in results if u.startswith("unit_test.")]
    assert data_tests and data_tests <= set(results)
    assert models <= set(results)
