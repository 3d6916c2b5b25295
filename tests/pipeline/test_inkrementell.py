"""Only what changed is rebuilt, and rebuilding only that gives what rebuilding everything
gives (issue 12, "a re-delivery of an old Stichtag rebuilds that year only").

A copy of the demo home gets a re-delivery of the residents' file of one municipality at the
oldest Stichtag, with persons left out and one birth date changed. The nightly run rebuilds
that Stichtag alone; a forced run (`spm run --erzwingen`) then rebuilds every Stichtag of
the same warehouse. The published tables and the incremental person-level tables must be
the same after both, row for row; the other Stichtage are untouched by the first run."""

import json
import re
import shutil

import dagster as dg
import duckdb
import pytest

from dagster_project.cli.main import run_pipeline
from dagster_project.environment import activate
from dagster_project.publishing.eingaben import code_fingerprint
from tests.pipeline.test_pipeline import published_tables

INCREMENTAL = ("int_personen__einwohner", "int_haushalte__verknuepfungen",
               "int_haushalte__personen", "int_haushalte__haushalte", "int_adressen__abgleich")
LEFT_OUT = 40


def run_messages(home) -> list[str]:
    """The log messages of the newest nightly run."""
    instance = dg.DagsterInstance.get()
    run = instance.get_run_records(filters=dg.RunsFilter(job_name="spm_nightly"), limit=1)[0]
    return [entry.user_message for entry in instance.all_logs(run.dagster_run.run_id)]


def warehouse_tables(home) -> dict[str, list]:
    con = duckdb.connect(str(home.warehouse), read_only=True)
    try:
        return {name: con.execute(f"select * from intermediate.{name} order by all").fetchall()
                for name in INCREMENTAL}
    finally:
        con.close()


def residents_per_stichtag(home) -> dict:
    con = duckdb.connect(str(home.warehouse), read_only=True)
    try:
        return dict(con.execute("select stichtag, count(*) from intermediate.int_personen__einwohner "
                                "group by 1").fetchall())
    finally:
        con.close()


@pytest.fixture(scope="module")
def redelivered(demo_run, tmp_path_factory):
    """A copy of the demo home after a run with one re-delivered residents' file."""
    root = tmp_path_factory.mktemp("inkrementell") / "home"
    shutil.copytree(demo_run.home.root, root, symlinks=True)
    home = activate(root)
    files = sorted(demo_run.delivered.glob("einwohner/*.csv"),
                   key=lambda p: re.search(r"\d{4}-\d{2}-\d{2}", p.name).group(0))
    oldest = files[0]
    stichtag = re.search(r"(\d{4})-(\d{2})-(\d{2})", oldest.name).groups()
    lines = oldest.read_bytes().splitlines(keepends=True)
    header, rows = lines[0], lines[1:]
    assert len(rows) > 10 * LEFT_OUT
    kept = rows[LEFT_OUT:]
    # a changed birth date: the person's age, and with it the household figures, change
    fields = kept[0].split(b";")
    fields[1] = b"01.01.1950"
    kept[0] = b";".join(fields)
    target = home.inbox / "einwohner" / oldest.name
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_bytes(header + b"".join(kept))
    before = residents_per_stichtag(home)
    assert run_pipeline(home)
    return home, "{2}.{1}.{0}".format(*stichtag), before


def test_a_re_delivered_stichtag_is_rebuilt_alone(redelivered):
    home, stichtag, before = redelivered
    messages = run_messages(home)
    assert any(f"Neu aufgebaut werden nur die Stichtage {stichtag} " in m for m in messages), \
        [m for m in messages if "aufgebaut" in m or "Neuaufbau" in m]
    # dbt read only that Stichtag's rows for every incremental model
    results = json.loads((home.dbt_target / "run_results.json").read_text(encoding="utf-8"))
    compiled = {r["unique_id"].split(".")[-1]: r["compiled_code"] for r in results["results"]}
    day, month, year = stichtag.split(".")
    for name in INCREMENTAL:
        assert f"stichtag in (date '{year}-{month}-{day}')" in compiled[name], name
    after = residents_per_stichtag(home)
    changed = {tag for tag in before if before[tag] != after.get(tag)}
    assert [f"{tag:%d.%m.%Y}" for tag in changed] == [stichtag]
    assert after.keys() == before.keys()
    # the complete build is recorded with the code it was built with
    con = duckdb.connect(str(home.warehouse), read_only=True)
    try:
        assert con.execute("select code from meta.build_state").fetchall() == \
            [(code_fingerprint(),)]
    finally:
        con.close()


def test_rebuilding_everything_gives_the_same_tables(redelivered):
    home, _, _ = redelivered
    incremental_published = published_tables(home)
    incremental_tables = warehouse_tables(home)
    assert run_pipeline(home, erzwungen=True)
    assert any(m.startswith("Vollständiger Neuaufbau aller Stichtage: der Lauf wurde erzwungen")
               for m in run_messages(home))
    full_published = published_tables(home)
    assert full_published.keys() == incremental_published.keys()
    assert [name for name in full_published
            if full_published[name] != incremental_published[name]] == []
    full_tables = warehouse_tables(home)
    for name in INCREMENTAL:
        assert len(full_tables[name]) == len(incremental_tables[name]) > 0, name
        assert full_tables[name] == incremental_tables[name], name
