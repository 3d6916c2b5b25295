"""Dagster definitions: they load, wire sources to dbt, and the web UI serves the graph."""

import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import dagster as dg

ROOT = Path(__file__).resolve().parents[2]


def load_defs():
    from dagster_project.definitions import defs

    return defs


def test_definitions_load_and_graph_runs_from_files_to_publication(tmp_path, monkeypatch):
    monkeypatch.setenv("SPM_HOME", str(tmp_path / "home"))
    defs = load_defs()
    graph = defs.resolve_asset_graph()
    keys = {k.to_user_string() for k in graph.get_all_asset_keys()}
    for source in ("raw/einwohner", "raw/adressen", "raw/raumgliederung", "raw/gemeinden"):
        assert source in keys
    assert "published/spm_duckdb" in keys
    # the staging model of the residents register reads the raw asset (dbt source meta)
    staging = next(k for k in graph.get_all_asset_keys()
                   if k.path[-1] == "stg_einwohnermeldeamt__einwohner")
    assert dg.AssetKey(["raw", "einwohner"]) in graph.get(staging).parent_keys
    # publishing waits for every dbt model, so it sees no half-built warehouse
    publish = graph.get(dg.AssetKey(["published", "spm_duckdb"]))
    assert staging in publish.parent_keys
    assert len(publish.parent_keys) >= 10


def test_schedule_sensor_and_checks(tmp_path, monkeypatch):
    monkeypatch.setenv("SPM_HOME", str(tmp_path / "home"))
    defs = load_defs()
    schedule = defs.resolve_schedule_def("spm_nightly_0200")
    assert schedule.cron_schedule == "0 2 * * *"
    assert schedule.execution_timezone == "Europe/Berlin"
    assert defs.resolve_sensor_def("inbox_sensor").job_name == "spm_nightly"
    checks = {k.name for k in defs.resolve_asset_graph().asset_check_keys}
    assert "einwohner_contract" in checks
    assert any(name.startswith(("unique", "not_null")) for name in checks), "dbt tests as checks"


def test_inbox_sensor_requests_one_run_once_the_inbox_is_quiet(tmp_path, monkeypatch):
    from dagster_project.betrieb import sperre
    from dagster_project.defs.sensors import inbox_sensor
    from ingestion.home import Home

    home = Home(tmp_path / "home").create()
    monkeypatch.setenv("SPM_HOME", str(home.root))
    (home.config / "settings.yaml").write_text("betrieb:\n  eingang_ruhezeit_sekunden: 30\n",
                                               encoding="utf-8")
    with dg.DagsterInstance.ephemeral() as instance:
        context = dg.build_sensor_context(instance=instance)
        assert isinstance(inbox_sensor(context), dg.SkipReason)
        files = [home.inbox / "einwohner" / f"einwohner_{year}-12-31.csv"
                 for year in (2023, 2024)]
        files[0].write_text("x", encoding="utf-8")
        os.utime(files[0], (time.time() - 60, time.time() - 60))
        files[1].write_text("x", encoding="utf-8")
        # the second file has just arrived: more of the same delivery may follow
        skip = inbox_sensor(context)
        assert isinstance(skip, dg.SkipReason) and "2 Datei(en)" in skip.skip_message
        os.utime(files[1], (time.time() - 31, time.time() - 31))
        request = inbox_sensor(context)
        assert isinstance(request, dg.RunRequest) and request.run_key.startswith("eingang-")
        assert request.tags["spm/dateien"] == "2"
        assert inbox_sensor(context).run_key == request.run_key     # same batch, same key
        # nothing while another writer is at work ...
        with sperre.schreibsperre(home, "spm ingest"):
            skip = inbox_sensor(context)
            assert isinstance(skip, dg.SkipReason) and "spm ingest" in skip.skip_message
        # ... or a run of the job is queued or running
        job = load_defs().resolve_job_def("spm_nightly")
        run = instance.create_run_for_job(job, status=dg.DagsterRunStatus.STARTED)
        skip = inbox_sensor(context)
        assert isinstance(skip, dg.SkipReason) and run.run_id[:8] in skip.skip_message
        instance.report_run_failed(run)
        assert isinstance(inbox_sensor(context), dg.RunRequest)
        # a run whose process was killed still shows as running; its stale lock record
        # tells the sensor, which marks it failed instead of waiting behind it
        dead = instance.create_run_for_job(job, status=dg.DagsterRunStatus.STARTED)
        holder = subprocess.Popen([sys.executable, "-c", (
            "import sys, time; from pathlib import Path; "
            "from dagster_project.betrieb import sperre; from ingestion.home import Home; "
            f"cm = sperre.schreibsperre(Home(Path({str(home.root)!r})), 'Lauf (Zeitplan)', "
            f"lauf_id={dead.run_id!r}); cm.__enter__(); print('ok', flush=True); "
            "time.sleep(60)")], stdout=subprocess.PIPE, text=True)
        assert holder.stdout.readline().strip() == "ok"
        skip = inbox_sensor(context)
        assert isinstance(skip, dg.SkipReason) and "Lauf (Zeitplan)" in skip.skip_message
        holder.kill()
        holder.wait()
        assert isinstance(inbox_sensor(context), dg.RunRequest)
        assert instance.get_run_by_id(dead.run_id).status == dg.DagsterRunStatus.FAILURE
        assert list((home.logs / "fehlermeldungen").glob(f"*_{dead.run_id[:8]}.txt"))
        # a run whose process died before it took the lock: no record names it; once it is
        # long past its start and silent, the sensor marks it failed too
        orphan = instance.create_run_for_job(job, status=dg.DagsterRunStatus.STARTED)
        skip = inbox_sensor(context)
        assert isinstance(skip, dg.SkipReason) and orphan.run_id[:8] in skip.skip_message
        later = time.time() + sperre.OHNE_SPERRE_VERWAIST + sperre.STILLE
        assert sperre.verwaiste_laeufe(home, instance, jetzt=later) == [orphan.run_id]
        soon = time.time() + sperre.OHNE_SPERRE_VERWAIST - 60
        assert sperre.verwaiste_laeufe(home, instance, jetzt=soon) == [], "too soon"
        with sperre.schreibsperre(home, "spm ingest"):
            # somebody writes: the run may be waiting for the lock
            assert sperre.verwaiste_laeufe(home, instance, jetzt=later) == []
        monkeypatch.setattr(sperre, "OHNE_SPERRE_VERWAIST", 0.0)
        monkeypatch.setattr(sperre, "STILLE", 0.0)
        assert isinstance(inbox_sensor(context), dg.RunRequest)
        assert instance.get_run_by_id(orphan.run_id).status == dg.DagsterRunStatus.FAILURE
        [message] = (home.logs / "fehlermeldungen").glob(f"*_{orphan.run_id[:8]}.txt")
        assert "Schreibsperre nie genommen" in " ".join(
            message.read_text(encoding="utf-8").split())


def test_every_asset_takes_the_writer_lock():
    """Every asset needs the home resource, whose set-up takes the writer lock: a run that
    holds no lock long after its start has died (`sperre.verwaiste_laeufe`)."""
    defs = load_defs()
    graph = defs.resolve_asset_graph()
    materializable = [key for key in graph.get_all_asset_keys()
                      if graph.get(key).is_materializable]
    assert len(materializable) > 50
    without = sorted(key.to_user_string() for key in materializable
                     if "spm" not in graph.get(key).assets_def.required_resource_keys)
    assert without == []


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def test_webserver_serves_the_full_asset_graph(tmp_path):
    port = _free_port()
    env = dict(os.environ, SPM_HOME=str(tmp_path / "home"),
               DAGSTER_HOME=str(tmp_path / "dagster"), DAGSTER_DISABLE_TELEMETRY="1")
    (tmp_path / "dagster").mkdir()
    (tmp_path / "dagster" / "dagster.yaml").write_text("telemetry:\n  enabled: false\n")
    server = subprocess.Popen(
        [str(Path(sys.executable).parent / "dagster-webserver"), "-w", "workspace.yaml",
         "-h", "127.0.0.1", "-p", str(port)],
        cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, start_new_session=True)
    query = json.dumps({"query": "{ assetNodes { assetKey { path } groupName description "
                                 "owners { ... on TeamAssetOwner { team } "
                                 "... on UserAssetOwner { email } } } }"}).encode()
    nodes = None
    try:
        deadline = time.time() + 90
        while time.time() < deadline and nodes is None:
            try:
                request = urllib.request.Request(f"http://127.0.0.1:{port}/graphql", data=query,
                                                 headers={"Content-Type": "application/json"})
                with urllib.request.urlopen(request, timeout=10) as response:
                    nodes = json.load(response)["data"]["assetNodes"]
            except (OSError, KeyError, TypeError):
                time.sleep(1)
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        server.wait(timeout=30)
    assert nodes is not None, "the webserver did not answer"
    paths = {"/".join(n["assetKey"]["path"]) for n in nodes}
    assert {"raw/einwohner", "raw/adressen", "published/spm_duckdb"} <= paths
    assert any(p.endswith("mart_indikatorwerte") for p in paths)
    # as the office reads it: every asset in a Bereich, with owners and a description
    by_path = {"/".join(n["assetKey"]["path"]): n for n in nodes}
    assert all(n["groupName"] != "default" and n["owners"] and n["description"]
               for n in nodes), [p for p, n in by_path.items() if n["groupName"] == "default"]
    assert by_path["raw/hze"]["groupName"] == "jugendhilfe"
    assert {o.get("team") for o in by_path["raw/hze"]["owners"]} == {"Jugendamt",
                                                                     "Statistikstelle"}
