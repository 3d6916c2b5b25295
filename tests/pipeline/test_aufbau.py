"""The plan of a dbt build (dagster_project/defs/dbt/aufbau.py): only the Stichtage of new or
replaced person-level deliveries, everything whenever anything else changed or the last
build is not known to be complete. On a real warehouse file with the real raw schema."""

from datetime import date, datetime

import pytest

from dagster_project.defs.dbt import aufbau
from ingestion import warehouse
from ingestion.home import Home

CODE, KONFIG = "code-1", "konfig-1"


@pytest.fixture
def con(tmp_path):
    home = Home(tmp_path / "home").create()
    con = warehouse.connect(home)
    yield con
    con.close()


def deliver(con, delivery_id: int, source: str, stichtag: date | None,
            status: str = "loaded") -> None:
    con.execute(
        "insert into raw.delivery_log (delivery_id, source, stichtag, file_name, sha256, "
        "archive_path, received_at, status) values (?, ?, ?, ?, ?, ?, ?, ?)",
        [delivery_id, source, stichtag, f"{source}_{stichtag}.csv", f"sha{delivery_id}",
         f"archive/{delivery_id}", datetime(2026, 1, 1), status])


def complete_build(con) -> None:
    aufbau.begin(con)
    aufbau.finish(con, CODE, KONFIG)


def test_first_build_and_a_broken_off_build_rebuild_everything(con):
    deliver(con, 1, "adressen", date(2024, 12, 31))
    deliver(con, 2, "einwohner", date(2024, 12, 31))
    first = aufbau.plan(con, CODE, KONFIG)
    assert first.vollstaendig and first.dbt_args() == ["--full-refresh"]
    assert first.stichtage_env() == "alle"
    assert "kein vollständiger Aufbau" in first.meldung()
    complete_build(con)
    assert aufbau.plan(con, CODE, KONFIG) == aufbau.Aufbau(False, (), "")
    # a build that began and never finished (failed, killed): everything again
    aufbau.begin(con)
    assert aufbau.plan(con, CODE, KONFIG).vollstaendig


def test_nothing_changed_rebuilds_no_stichtag(con):
    deliver(con, 1, "einwohner", date(2024, 12, 31))
    complete_build(con)
    # a rejected or duplicate file brings no rows
    deliver(con, 2, "einwohner", date(2025, 12, 31), status="rejected")
    deliver(con, 3, "sgb2", date(2024, 12, 31), status="duplicate")
    plan = aufbau.plan(con, CODE, KONFIG)
    assert not plan.vollstaendig and plan.stichtage == ()
    assert plan.stichtage_env() == "keine" and plan.dbt_args() == []
    assert "bleiben" in plan.meldung()


def test_new_deliveries_of_person_sources_rebuild_their_stichtage(con):
    deliver(con, 1, "adressen", date(2024, 12, 31))
    deliver(con, 2, "einwohner", date(2023, 12, 31))
    deliver(con, 3, "einwohner", date(2024, 12, 31))
    complete_build(con)
    deliver(con, 4, "einwohner", date(2025, 12, 31))
    deliver(con, 5, "sgb2", date(2025, 12, 31))
    deliver(con, 6, "kita", date(2026, 3, 1))
    plan = aufbau.plan(con, CODE, KONFIG)
    assert not plan.vollstaendig
    assert plan.stichtage == (date(2025, 12, 31), date(2026, 3, 1))
    assert plan.stichtage_env() == "2025-12-31,2026-03-01"
    assert "31.12.2025, 01.03.2026" in plan.meldung()
    complete_build(con)
    assert aufbau.plan(con, CODE, KONFIG).stichtage == ()


def test_a_re_delivered_old_stichtag_rebuilds_that_stichtag_only(con):
    deliver(con, 1, "einwohner", date(2022, 12, 31))
    deliver(con, 2, "einwohner", date(2023, 12, 31))
    complete_build(con)
    # the re-delivery replaces every row of delivery 1
    con.execute("update raw.delivery_log set status = 'replaced' where delivery_id = 1")
    deliver(con, 3, "einwohner", date(2022, 12, 31))
    plan = aufbau.plan(con, CODE, KONFIG)
    assert not plan.vollstaendig and plan.stichtage == (date(2022, 12, 31),)


@pytest.mark.parametrize("source", ["adressen", "raumgliederung", "unbekannt"])
def test_new_geography_rebuilds_everything(con, source):
    deliver(con, 1, "einwohner", date(2024, 12, 31))
    complete_build(con)
    deliver(con, 2, source, date(2025, 1, 1))
    plan = aufbau.plan(con, CODE, KONFIG)
    assert plan.vollstaendig and source in plan.grund


def test_changed_code_configuration_missing_delivery_or_force_rebuild_everything(con):
    deliver(con, 1, "einwohner", date(2023, 12, 31))
    deliver(con, 2, "einwohner", date(2024, 12, 31))
    complete_build(con)
    assert aufbau.plan(con, "code-2", KONFIG).vollstaendig
    assert aufbau.plan(con, CODE, "konfig-2").vollstaendig
    assert aufbau.plan(con, CODE, KONFIG, erzwungen=True).vollstaendig
    partial = aufbau.plan(con, CODE, KONFIG, teilauswahl=True)
    assert partial.vollstaendig and "ausgewählte Modelle" in partial.grund
    assert not aufbau.plan(con, CODE, KONFIG).vollstaendig
    # a delivery the last build rested on is gone from the log (or no longer has rows)
    con.execute("update raw.delivery_log set status = 'rejected' where delivery_id = 1")
    plan = aufbau.plan(con, CODE, KONFIG)
    assert plan.vollstaendig and "fehlen" in plan.grund
    con.execute("delete from raw.delivery_log where delivery_id = 1")
    assert aufbau.plan(con, CODE, KONFIG).vollstaendig
