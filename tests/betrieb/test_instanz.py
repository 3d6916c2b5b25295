"""The production instance of a home: its dagster.yaml (SQLite by default; PostgreSQL tested
on the real server with a real nightly run), run log retention on real aged runs, and the
systemd units in docs/systemd/."""

import datetime as dt
import getpass
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

import dagster as dg
import psycopg
import pytest

from dagster_project.betrieb.aufbewahrung import (
    aufraeumen,
)
from dagster_project.environment import (
    _EARLIER_DAGSTER_YAML,
    DAGSTER_YAML,
    DAGSTER_YAML_POSTGRES,
    OFFLINE,
    POSTGRES_PASSWORT,
    activate,
    dagster_yaml_postgres,
    sqlite_laufspeicher,
)
from dagster_project.event_log import SpmSqliteEventLogStorage
from dagster_project.publishing import eingaben
from tests.postgres_support import postgres_lock, scratch_database

ROOT = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent
PUBLISH_KEY = dg.AssetKey(["published", "spm_duckdb"])


def copy_home(demo_run, target: Path):
    shutil.copytree(demo_run.home.root, target, symlinks=True)
    return activate(target)


def altern(instance, run_id: str, tage: float) -> None:
    """Make a run `tage` days old: its creation time in Dagster's run storage."""
    from dagster._core.storage.runs.schema import RunsTable

    when = (dt.datetime.now(dt.UTC) - dt.timedelta(days=tage)).replace(tzinfo=None)
    with instance.run_storage.connect() as conn:
        conn.execute(RunsTable.update().where(RunsTable.c.run_id == run_id)
                     .values(create_timestamp=when, update_timestamp=when))


@dg.op
def leer():
    return None


@dg.job
def probe_job():
    leer()


@dg.op
def kaputt():
    raise RuntimeError("Absicht")


@dg.job
def kaputter_job():
    kaputt()


@dg.asset(key=["probe", "tabelle"])
def probe_tabelle():
    return dg.MaterializeResult(metadata={"zeilen": 1})


@dg.asset_check(asset=probe_tabelle)
def probe_pruefung():
    return dg.AssetCheckResult(passed=True)


def _run_id(result) -> str:
    return result.run_id if hasattr(result, "run_id") else result.dagster_run.run_id


def _gate_rows(instance):
    from dagster_project.definitions import defs
    from dagster_project.defs.publishing.checks import asset_check_results

    return asset_check_results(instance, defs.resolve_asset_graph(), PUBLISH_KEY)


# --- dagster.yaml ---------------------------------------------------------------------------


def test_dagster_yaml_sqlite_one_run_at_a_time_monitoring_and_tick_retention(tmp_path):
    home = activate(tmp_path / "home")
    path = home.dagster_home / "dagster.yaml"
    assert path.read_text(encoding="utf-8") == DAGSTER_YAML
    assert sqlite_laufspeicher(home)
    instance = dg.DagsterInstance.get()
    try:
        assert isinstance(instance.event_log_storage, SpmSqliteEventLogStorage)
        assert type(instance.run_storage).__name__ == "SqliteRunStorage"
        assert instance.get_concurrency_config().run_queue_config.max_concurrent_runs == 1
        assert instance.run_monitoring_enabled
        assert instance.run_monitoring_start_timeout_seconds == 300
        assert instance.run_monitoring_max_runtime_seconds == 12 * 3600
        assert instance.run_monitoring_max_resume_run_attempts == 0
        from dagster._core.definitions.run_request import InstigatorType
        from dagster._core.scheduler.instigation import TickStatus

        sensor = instance.get_tick_retention_settings(InstigatorType.SENSOR)
        assert sensor[TickStatus.SKIPPED] == 7 and sensor[TickStatus.SUCCESS] == 90
        schedule = instance.get_tick_retention_settings(InstigatorType.SCHEDULE)
        assert set(schedule.values()) == {90}
    finally:
        instance.dispose()
    # Dagster's own command reads the file as valid
    info = subprocess.run([str(BIN / "dagster"), "instance", "info"], capture_output=True,
                          text=True, env=dict(os.environ, DAGSTER_HOME=str(home.dagster_home)),
                          timeout=120)
    assert info.returncode == 0, info.stderr[-2000:]
    assert "SpmSqliteEventLogStorage" in info.stdout and "max_runtime_seconds: 43200" in \
        info.stdout


def test_earlier_defaults_are_replaced_an_edited_file_is_kept(tmp_path):
    home = activate(tmp_path / "home")
    path = home.dagster_home / "dagster.yaml"
    assert len(_EARLIER_DAGSTER_YAML) == 2
    for earlier in _EARLIER_DAGSTER_YAML:
        path.write_text(earlier, encoding="utf-8")
        activate(home.root)
        assert path.read_text(encoding="utf-8") == DAGSTER_YAML
    edited = DAGSTER_YAML.replace("max_concurrent_runs: 1", "max_concurrent_runs: 2")
    path.write_text(edited, encoding="utf-8")
    activate(home.root)
    assert path.read_text(encoding="utf-8") == edited
    # the PostgreSQL file is an edited one too: kept, and the runs are not in runs.db
    path.write_text(DAGSTER_YAML_POSTGRES, encoding="utf-8")
    activate(home.root)
    assert path.read_text(encoding="utf-8") == DAGSTER_YAML_POSTGRES
    assert not sqlite_laufspeicher(home)
    path.write_text("storage: [kaputt", encoding="utf-8")
    assert not sqlite_laufspeicher(home)


def test_operations_settings_are_checked_with_german_messages(tmp_path):
    from dagster_project.settings import betrieb_config, load_settings

    settings = tmp_path / "settings.yaml"
    settings.write_text("hoechstalter: 115\n", encoding="utf-8")
    assert betrieb_config(load_settings(tmp_path)).laufprotokolle_behalten_tage == 90
    settings.write_text("betrieb:\n  laufprotokolle_behalten_tage: 30\n"
                        "  eingang_ruhezeit_sekunden:\n", encoding="utf-8")
    config = betrieb_config(load_settings(tmp_path))
    assert (config.laufprotokolle_behalten_tage, config.eingang_ruhezeit_sekunden) == (30, 120)
    for key, wrong in (("laufprotokolle_behalten_tage", 0), ("laufprotokolle_behalten_tage", -5),
                       ("laufprotokolle_behalten_tage", '"90"'),
                       ("laufprotokolle_behalten_tage", 1.5),
                       ("laufprotokolle_behalten_tage", "true"),
                       ("eingang_ruhezeit_sekunden", -1)):
        settings.write_text(f"betrieb:\n  {key}: {wrong}\n", encoding="utf-8")
        with pytest.raises(ValueError) as error:
            load_settings(tmp_path)
        assert str(settings) in str(error.value)
        assert f"betrieb.{key}: ganze Zahl ab" in str(error.value)
    settings.write_text("betrieb:\n  laufprotokolle_tage: 30\n", encoding="utf-8")
    with pytest.raises(ValueError, match="betrieb: unbekannte Einstellung.*laufprotokolle_tage"):
        load_settings(tmp_path)


# --- retention ------------------------------------------------------------------------------


def test_retention_deletes_old_runs_and_logs_but_keeps_what_is_still_read(demo_run, tmp_path):
    home = copy_home(demo_run, tmp_path / "home")
    instance = dg.DagsterInstance.get()
    try:
        before = {r.dagster_run.run_id for r in instance.get_run_records()}
        nightly_id = instance.get_latest_materialization_event(PUBLISH_KEY).run_id
        gate_before = _gate_rows(instance)
        eingaben_before = eingaben.fingerprint(home)
        assert gate_before and all(r.ergebnis == "bestanden" for r in gate_before)
        # runs of all kinds, made old
        leer_alt = probe_job.execute_in_process(instance=instance).run_id
        kaputt_alt = kaputter_job.execute_in_process(instance=instance,
                                                     raise_on_error=False).run_id
        e = dg.materialize([probe_tabelle, probe_pruefung], instance=instance).run_id
        c = dg.materialize([probe_tabelle, probe_pruefung], instance=instance).run_id
        d = dg.materialize([probe_tabelle], instance=instance).run_id
        leer_neu = probe_job.execute_in_process(instance=instance).run_id
        for run_id, tage in ((leer_alt, 100), (kaputt_alt, 100), (e, 130), (c, 120),
                             (d, 110), (nightly_id, 100)):
            altern(instance, run_id, tage)
        runs_dir = home.dagster_home / "history" / "runs"
        for run_id in (leer_alt, kaputt_alt, e):
            assert (runs_dir / f"{run_id}.db").is_file()
        check = dg.AssetCheckKey(dg.AssetKey(["probe", "tabelle"]), "probe_pruefung")
        history = instance.event_log_storage.get_asset_check_execution_history(check, limit=10)
        assert {r.run_id for r in history} == {e, c}
        # files in logs/
        old = time.time() - 100 * 86400
        files = {name: home.logs / name for name in (
            "dbt/dbt.log.1", "fehlermeldungen/2025-01-01.json", "fehlermeldungen/letzte.json",
            "neu.txt")}
        for path in files.values():
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text("x", encoding="utf-8")
        for name in ("dbt/dbt.log.1", "fehlermeldungen/2025-01-01.json",
                     "fehlermeldungen/letzte.json"):
            os.utime(files[name], (old, old))

        ergebnis = aufraeumen(instance, home, tage=90)

        assert sorted(ergebnis.geloeschte_laeufe) == sorted([leer_alt, kaputt_alt, e])
        # c: latest check evaluation; d: latest materialization; the nightly run: latest
        # of every SPM asset and the run of the published version
        assert sorted(ergebnis.behaltene_alte_laeufe) == sorted([c, d, nightly_id])
        assert sorted(p.relative_to(home.logs).as_posix() for p in
                      ergebnis.geloeschte_dateien) == ["dbt/dbt.log.1",
                                                       "fehlermeldungen/2025-01-01.json"]
        assert files["fehlermeldungen/letzte.json"].exists() and files["neu.txt"].exists()
        for run_id in (leer_alt, kaputt_alt, e):
            assert not (runs_dir / f"{run_id}.db").exists()
            assert not (home.dagster_home / "storage" / run_id).exists()
        assert (runs_dir / f"{nightly_id}.db").is_file()
        print(ergebnis.meldung(), f"{ergebnis.sekunden:.3f} s")
    finally:
        instance.dispose()
    # a new instance sees the same; what the gate and `spm run` read is unchanged
    instance = dg.DagsterInstance.get()
    try:
        remaining = {r.dagster_run.run_id for r in instance.get_run_records()}
        assert remaining == before | {c, d, leer_neu}
        history = instance.event_log_storage.get_asset_check_execution_history(check, limit=10)
        assert {r.run_id for r in history} == {c}
        assert _gate_rows(instance) == gate_before
        from dagster_project.defs.laufstand import letzte_eingaben

        assert letzte_eingaben(instance) == eingaben_before
        assert instance.get_latest_materialization_event(PUBLISH_KEY).run_id == nightly_id
        # nothing more to delete: fast
        again = aufraeumen(instance, home, tage=90)
        assert again.geloeschte_laeufe == [] and again.geloeschte_dateien == []
        assert again.sekunden < 0.5
        print(f"again: {again.sekunden:.3f} s")
    finally:
        instance.dispose()


def test_retention_with_no_old_runs_costs_almost_nothing(tmp_path):
    home = activate(tmp_path / "home")
    instance = dg.DagsterInstance.get()
    try:
        probe_job.execute_in_process(instance=instance)
        start = time.perf_counter()
        ergebnis = aufraeumen(instance, home, tage=90)
        seconds = time.perf_counter() - start
    finally:
        instance.dispose()
    assert ergebnis.geloeschte_laeufe == [] and ergebnis.behaltene_alte_laeufe == []
    assert seconds < 0.1, seconds
    print(f"retention with nothing to do: {seconds * 1000:.1f} ms")


# --- PostgreSQL storage ---------------------------------------------------------------------


@pytest.fixture
def dagster_postgres():
    """A fresh database on the real server for the instance's storage (dropped after):
    its psycopg connection string."""
    with postgres_lock():
        with scratch_database("spm_test_dagster_instanz") as conninfo:
            yield conninfo


def test_postgres_storage_holds_a_real_nightly_run(demo_run, tmp_path, dagster_postgres,
                                                   monkeypatch):
    from dagster_project.cli.main import run_pipeline
    from dagster_project.defs.publishing.assets import AUDIT

    info = psycopg.conninfo.conninfo_to_dict(dagster_postgres)
    text = dagster_yaml_postgres(info.get("host", "127.0.0.1"), info["dbname"],
                                 info.get("user", "postgres"), int(info.get("port", 5432)),
                                 passwort=bool(info.get("password")))
    if info.get("password"):
        monkeypatch.setenv(POSTGRES_PASSWORT, info["password"])
    home = copy_home(demo_run, tmp_path / "home")
    # the note of the last successful run, while the runs are in the SQLite files
    eingaben.marke_schreiben(home, eingaben.fingerprint(home))
    assert eingaben.nichts_neues_laut_marke(home)
    (home.dagster_home / "dagster.yaml").write_text(text, encoding="utf-8")
    home = activate(home.root)
    assert (home.dagster_home / "dagster.yaml").read_text(encoding="utf-8") == text
    # the runs are in PostgreSQL now; the SQLite files stay untouched, so the note must
    # not answer any more (else it would say "nothing new" whatever runs later)
    assert (home.dagster_home / eingaben.MARKE).is_file()
    assert not eingaben.nichts_neues_laut_marke(home)
    runs_db = home.dagster_home / "history" / "runs.db"
    sqlite_state = (runs_db.stat().st_size, runs_db.stat().st_mtime_ns,
                    sorted(p.name for p in (home.dagster_home / "history" / "runs").iterdir()))

    assert run_pipeline(home), "the nightly job failed with PostgreSQL storage"

    # read back through a new instance
    instance = dg.DagsterInstance.get()
    try:
        assert type(instance.run_storage).__name__ == "PostgresRunStorage"
        assert type(instance.event_log_storage).__name__ == "PostgresEventLogStorage"
        assert instance.get_concurrency_config().run_queue_config.max_concurrent_runs == 1
        (record,) = instance.get_run_records(filters=dg.RunsFilter(job_name="spm_nightly"))
        run_id = record.dagster_run.run_id
        assert record.dagster_run.status == dg.DagsterRunStatus.SUCCESS
        assert instance.get_latest_materialization_event(PUBLISH_KEY).run_id == run_id
        audit = dg.AssetCheckKey(PUBLISH_KEY, AUDIT)
        contract = dg.AssetCheckKey(dg.AssetKey(["raw", "einwohner"]), "einwohner_contract")
        latest = instance.event_log_storage.get_latest_asset_check_execution_by_key(
            [audit, contract])
        assert {latest[audit].run_id, latest[contract].run_id} == {run_id}
        assert latest[audit].event.dagster_event.asset_check_evaluation_data.passed
        rows = _gate_rows(instance)
        assert len(rows) > 50 and all(r.ergebnis == "bestanden" for r in rows)
        from dagster_project.defs.laufstand import letzte_eingaben

        assert letzte_eingaben(instance) == eingaben.fingerprint(home)
    finally:
        instance.dispose()
    # in the database, not in the SQLite files
    with psycopg.connect(dagster_postgres) as con:
        assert con.execute("select count(*) from runs where run_id = %s",
                           [run_id]).fetchone()[0] == 1
        assert con.execute("select count(*) from event_logs where run_id = %s",
                           [run_id]).fetchone()[0] > 300
    assert (runs_db.stat().st_size, runs_db.stat().st_mtime_ns,
            sorted(p.name for p in (home.dagster_home / "history" / "runs").iterdir())) == \
        sqlite_state
    # no note for a run in PostgreSQL: `spm run` asks Dagster
    assert not (home.dagster_home / eingaben.MARKE).exists()
    env = dict(os.environ)
    status = subprocess.run([str(BIN / "spm"), "--home", str(home.root), "status"],
                            capture_output=True, text=True, env=env, timeout=300)
    assert status.returncode == 0, status.stdout[-3000:] + status.stderr[-3000:]
    assert f"({run_id[:8]}) hat veröffentlicht" in status.stdout
    nothing = subprocess.run([str(BIN / "spm"), "--home", str(home.root), "run"],
                             capture_output=True, text=True, env=env, timeout=300)
    assert nothing.returncode == 0, nothing.stdout[-3000:] + nothing.stderr[-3000:]
    assert eingaben.NICHTS_NEUES in nothing.stdout
    # retention against PostgreSQL
    instance = dg.DagsterInstance.get()
    try:
        old = probe_job.execute_in_process(instance=instance).run_id
        altern(instance, old, 100)
        altern(instance, run_id, 100)
        ergebnis = aufraeumen(instance, home, tage=90)
        assert ergebnis.geloeschte_laeufe == [old]
        assert ergebnis.behaltene_alte_laeufe == [run_id]
        assert len(instance.get_run_records(filters=dg.RunsFilter(job_name="spm_nightly"))) == 1
    finally:
        instance.dispose()
    with psycopg.connect(dagster_postgres) as con:
        for table in ("runs", "event_logs"):
            assert con.execute(f"select count(*) from {table} where run_id = %s",
                               [old]).fetchone()[0] == 0


# --- systemd --------------------------------------------------------------------------------

UNITS = ROOT / "docs" / "systemd"
INSTALL, HOME = "/opt/spm", "/srv/spm"


def _units_for_this_machine(target: Path) -> list[Path]:
    """The unit files with the example paths replaced by this checkout, a home and the
    current user."""
    user = getpass.getuser()
    out = []
    for unit in sorted(UNITS.iterdir()):
        text = unit.read_text(encoding="utf-8")
        text = (text.replace(INSTALL, str(ROOT)).replace(HOME, str(target / "home"))
                .replace("User=spm", f"User={user}").replace("Group=spm", f"Group={user}"))
        path = target / unit.name
        path.write_text(text, encoding="utf-8")
        out.append(path)
    return out


def _keys(path: Path) -> dict[str, list[str]]:
    keys: dict[str, list[str]] = {}
    for line in path.read_text(encoding="utf-8").splitlines():
        if line and not line.startswith(("#", "[")) and "=" in line:
            key, value = line.split("=", 1)
            keys.setdefault(key, []).append(value)
    return keys


def test_systemd_units_name_what_exists_and_verify(tmp_path):
    names = sorted(p.name for p in UNITS.iterdir())
    assert names == ["spm-dagster-daemon.service", "spm-dagster-webserver.service",
                     "spm-lauf.service", "spm-lauf.timer"]
    for name in names[:3]:
        keys = _keys(UNITS / name)
        environment = dict(v.split("=", 1) for v in keys["Environment"])
        assert environment["SPM_HOME"] == HOME
        assert environment["DAGSTER_HOME"] == f"{HOME}/dagster"
        assert {k: environment.get(k) for k in OFFLINE} == OFFLINE, name
        assert keys["User"] == ["spm"] and keys["WorkingDirectory"] == [INSTALL]
        for command in keys["ExecStart"] + keys.get("ExecStartPre", []):
            program = command.split()[0]
            assert program.startswith(f"{INSTALL}/.venv/bin/"), command
            assert (ROOT / program.removeprefix(f"{INSTALL}/")).is_file(), command
        for command in keys["ExecStart"]:
            if "-w" in command.split():
                workspace = command.split()[command.split().index("-w") + 1]
                assert (ROOT / workspace.removeprefix(f"{INSTALL}/")).is_file()
    assert _keys(UNITS / "spm-dagster-daemon.service")["Restart"] == ["on-failure"]
    assert _keys(UNITS / "spm-dagster-webserver.service")["Restart"] == ["on-failure"]
    assert "-h 127.0.0.1" in _keys(UNITS / "spm-dagster-webserver.service")["ExecStart"][0]
    timer = _keys(UNITS / "spm-lauf.timer")
    assert timer["Unit"] == ["spm-lauf.service"] and timer["Persistent"] == ["true"]
    # the command of ExecStartPre really activates a home
    pre = _keys(UNITS / "spm-dagster-daemon.service")["ExecStartPre"][0]
    code = pre.split(" -c ", 1)[1].strip('"')
    env = dict(os.environ, SPM_HOME=str(tmp_path / "pre"))
    subprocess.run([sys.executable, "-c", code], check=True, env=env, timeout=120)
    assert (tmp_path / "pre" / "dagster" / "dagster.yaml").read_text() == DAGSTER_YAML
    # systemd itself parses them (unknown keys, bad calendar, missing programs)
    analyze = shutil.which("systemd-analyze")
    if analyze is None:      # a machine without systemd: the checks above are all there is
        print("systemd-analyze fehlt: Unit-Dateien nur auf Schlüssel und Pfade geprüft")
        return
    units = _units_for_this_machine(tmp_path)
    result = subprocess.run([analyze, "verify", "--man=no", *map(str, units)],
                            capture_output=True, text=True, timeout=120)
    assert result.returncode == 0 and result.stdout + result.stderr == "", \
        result.stdout + result.stderr
    calendar = subprocess.run([analyze, "calendar", timer["OnCalendar"][0]],
                              capture_output=True, text=True, timeout=60)
    assert calendar.returncode == 0 and "02:00:00 Europe/Berlin" in calendar.stdout
