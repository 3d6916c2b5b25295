"""The home's Dagster instance: Dagster's SQLite event log with one engine per file
(dagster_project/event_log.py), on real instances and real materialisations."""

import os

import dagster as dg
import pytest
from dagster._core.storage.event_log.sqlite.sqlite_event_log import SqliteEventLogStorage

from dagster_project import event_log
from dagster_project.environment import DAGSTER_YAML, activate

CHECKS = 12


def _asset():
    specs = [dg.AssetCheckSpec(f"regel_{i}", asset="tabelle") for i in range(CHECKS)]

    @dg.asset(check_specs=specs)
    def tabelle():
        yield dg.Output(1)
        for i in range(CHECKS):
            yield dg.AssetCheckResult(check_name=f"regel_{i}", passed=i != 3)

    return tabelle


@pytest.fixture
def instance(tmp_path, monkeypatch):
    monkeypatch.setenv("DAGSTER_HOME", os.environ.get("DAGSTER_HOME", ""))
    home = activate(tmp_path / "home")
    with dg.DagsterInstance.get() as inst:
        yield home, inst


def test_an_activated_home_uses_the_pooled_event_log(instance):
    home, inst = instance
    assert isinstance(inst.event_log_storage, event_log.SpmSqliteEventLogStorage)
    assert inst.event_log_storage._base_dir == str(home.dagster_home / "history" / "runs")


def test_events_are_dagsters_own_and_readable_without_the_class(instance):
    home, inst = instance
    result = dg.materialize([_asset()], instance=inst, raise_on_error=False)
    key = dg.AssetCheckKey(dg.AssetKey("tabelle"), "regel_3")
    # through the instance (what the publishing gate reads) ...
    record = inst.event_log_storage.get_latest_asset_check_execution_by_key([key])[key]
    assert record.run_id == result.run_id and record.status.value == "FAILED"
    # ... and through Dagster's plain class on the same files: nothing of ours in them
    plain = SqliteEventLogStorage(str(home.dagster_home / "history" / "runs"))
    try:
        events = plain.get_logs_for_run(result.run_id)
        evaluations = [e for e in events
                       if e.dagster_event and e.dagster_event.event_type_value
                       == "ASSET_CHECK_EVALUATION"]
        assert len(evaluations) == CHECKS
        assert plain.get_latest_materialization_events([dg.AssetKey("tabelle")])[
            dg.AssetKey("tabelle")].run_id == result.run_id
    finally:
        plain.dispose()


def test_commits_do_not_wait_for_the_disk_and_the_log_stays_in_wal_mode(instance):
    """synchronous=NORMAL on every pooled connection (WAL mode is Dagster's own setting):
    commits go to the write-ahead log without an fsync each."""
    _home, inst = instance
    result = dg.materialize([_asset()], instance=inst, raise_on_error=False)
    storage = inst.event_log_storage
    for shard in (result.run_id, "index"):
        with storage._connect(shard) as conn:
            assert conn.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
            # 1 = NORMAL (2 = FULL, SQLite's default)
            assert conn.exec_driver_sql("PRAGMA synchronous").scalar() == 1


def test_a_long_lived_process_keeps_few_files_open(instance):
    _, inst = instance
    runs = [dg.materialize([_asset()], instance=inst, raise_on_error=False).run_id
            for _ in range(event_log.KEEP_ENGINES + 3)]
    storage = inst.event_log_storage
    assert len(storage._engines) <= event_log.KEEP_ENGINES
    # a run whose engine was let go is read again through a new one
    assert len(storage.get_logs_for_run(runs[0])) > CHECKS


def test_the_old_default_dagster_yaml_is_replaced_and_an_edited_one_kept(tmp_path):
    old = ("# Dagster instance of this SPM home (runs, events, schedules). Telemetry is off.\n"
           "telemetry:\n  enabled: false\n")
    home = activate(tmp_path / "alt")
    path = home.dagster_home / "dagster.yaml"
    path.write_text(old, encoding="utf-8")
    activate(tmp_path / "alt")
    assert path.read_text(encoding="utf-8") == DAGSTER_YAML
    edited = old + "run_monitoring:\n  enabled: true\n"
    path.write_text(edited, encoding="utf-8")
    activate(tmp_path / "alt")
    assert path.read_text(encoding="utf-8") == edited
