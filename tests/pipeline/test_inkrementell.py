"""Only what changed is rebuilt, and rebuilding only that gives what rebuilding everything
gives (issue 12, "a re-delivery of an old Stichtag rebuilds that year only").

A copy of the demo home gets a re-delivery of the residents' file of one municipality at the
oldest Stichtag, with persons left out and one birth date changed. The nightly run rebuilds
that Stichtag alone; a forced run (`spm run --erzwingen`) then rebuilds every Stichtag of
the same warehouse. The published tables and the incremental person-level tables must be
the same after both, row for row (so the same inputs twice also give the same bytes, E08's
euro sums included); the other Stichtage are untouched by the first run. A reader holds the
published file open and queries it throughout the forced run: it never sees an error."""

import json
import re
import shutil
import subprocess
import sys
import textwrap
import time

import dagster as dg
import duckdb
import pytest

from dagster_project.cli.main import run_pipeline
from dagster_project.environment import activate
from dagster_project.publishing.eingaben import code_fingerprint

INCREMENTAL = ("int_personen__einwohner", "int_haushalte__verknuepfungen",
               "int_haushalte__personen", "int_haushalte__haushalte", "int_adressen__abgleich")
LEFT_OUT = 40


READER = textwrap.dedent("""
    import sys, time, duckdb
    path, stop_file = sys.argv[1], sys.argv[2]
    import os
    queries = errors = 0
    con = duckdb.connect(path, read_only=True)   # held open for the whole run
    while not os.path.exists(stop_file):
        try:
            con.execute("select count(*), sum(zaehler) from indikatorwerte").fetchall()
            fresh = duckdb.connect(path, read_only=True)
            fresh.execute("select count(*) from raeume").fetchall()
            fresh.close()
            queries += 1
        except Exception as exc:
            errors += 1
            print("ERROR", exc, file=sys.stderr)
        time.sleep(0.05)
    print(queries, errors)
""")


def published_tables(home) -> dict[str, bytes]:
    """Every published table except `qualitaet` (its rows carry the run), as the bytes of its
    rows in a fixed order (money is DECIMAL, so the same inputs give the same bytes)."""
    con = duckdb.connect(str(home.published_db), read_only=True)
    try:
        names = [r[0] for r in con.execute(
            "select table_name from information_schema.tables where table_schema = 'main' "
            "and table_name <> 'qualitaet' order by 1").fetchall()]
        return {name: repr(con.execute(f'select * from "{name}" order by all').fetchall())
                .encode() for name in names}
    finally:
        con.close()


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
        return dict(con.execute("select stichtag, count(*) "
                                "from intermediate.int_personen__einwohner group by 1").fetchall())
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


def test_rebuilding_everything_gives_the_same_tables(redelivered, tmp_path):
    home, _, _ = redelivered
    incremental_published = published_tables(home)
    assert {"indikatorwerte", "hze_hilfearten", "sozialindex", "bevoelkerung"} <= \
        set(incremental_published)
    incremental_tables = warehouse_tables(home)
    stop = tmp_path / "stop"
    reader = subprocess.Popen([sys.executable, "-c", READER, str(home.published_db), str(stop)],
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        time.sleep(1.0)
        assert run_pipeline(home, erzwungen=True)
    finally:
        stop.touch()
        out, err = reader.communicate(timeout=60)
    queries, errors = map(int, out.split())
    assert errors == 0, err
    assert queries > 10
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
