"""The unattended night, as a new user starts it: `dagster dev` (webserver and daemon) on a
copy of the demo home; three files of one delivery are dropped into the inbox one after the
other. The inbox sensor (on by default) waits until the inbox is quiet and requests ONE
run; the daemon launches it; it publishes; the UI (the webserver's GraphQL API, which the
UI reads) shows the run and the new materialisation of the published asset; `spm status`
reports the run as published."""

import hashlib
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

from dagster_project.publishing.versions import aktuelle_version, versionen
from ingestion.home import Home
from tests.betrieb.prozesse import SpmProzess

ROOT = Path(__file__).resolve().parents[2]
GEMEINDE = "05999008"


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class Oberflaeche:
    """`dagster dev` for a home, and the webserver's GraphQL API."""

    def __init__(self, home: Home, log: Path):
        self.port = _free_port()
        env = dict(os.environ, SPM_HOME=str(home.root), DAGSTER_HOME=str(home.dagster_home),
                   DAGSTER_DISABLE_TELEMETRY="1", SPM_EINGANG_INTERVALL="3")
        self._log = log.open("w")
        self.process = subprocess.Popen(
            [str(Path(sys.executable).parent / "dagster"), "dev", "-w", "workspace.yaml",
             "-h", "127.0.0.1", "-p", str(self.port)],
            cwd=ROOT, env=env, stdout=self._log, stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL, start_new_session=True)

    def query(self, text: str, variables: dict | None = None) -> dict:
        body = json.dumps({"query": text, "variables": variables or {}}).encode()
        request = urllib.request.Request(f"http://127.0.0.1:{self.port}/graphql", data=body,
                                         headers={"Content-Type": "application/json"})
        with urllib.request.urlopen(request, timeout=30) as response:
            answer = json.load(response)
        assert "errors" not in answer, answer
        return answer["data"]

    def bereit(self, timeout: float = 180) -> None:
        deadline = time.monotonic() + timeout
        while True:
            assert self.process.poll() is None, "dagster dev endete"
            try:
                self.query("{ version }")
                return
            except OSError:
                assert time.monotonic() < deadline, "die Oberfläche antwortet nicht"
                time.sleep(1)

    def laeufe(self) -> list[dict]:
        data = self.query("""{ runsOrError(filter: {pipelineName: "spm_nightly"}) {
            ... on Runs { results { runId status tags { key value } } } } }""")
        return data["runsOrError"]["results"]

    def ende(self) -> None:
        if self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(timeout=60)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait()
        self._log.close()


@pytest.fixture()
def home(demo_run, tmp_path) -> Home:
    root = tmp_path / "home"
    shutil.copytree(demo_run.home.root, root, symlinks=True)
    home = Home(root)
    settings = home.config / "settings.yaml"
    settings.write_text(settings.read_text(encoding="utf-8").replace(
        "eingang_ruhezeit_sekunden: 120", "eingang_ruhezeit_sekunden: 6"), encoding="utf-8")
    assert "eingang_ruhezeit_sekunden: 6" in settings.read_text(encoding="utf-8")
    return home


def test_a_delivery_dropped_into_the_inbox_is_run_and_published_by_the_daemon(
        home, demo_run, tmp_path):
    before = [p.name for p in versionen(home)]
    ui = Oberflaeche(home, tmp_path / "dagster_dev.log")
    try:
        ui.bereit()
        vorher = {r["runId"] for r in ui.laeufe()}     # the demo's own (in-process) runs
        # one delivery, three files, copied one after the other
        neu = {}
        for path in sorted(demo_run.delivered.glob(f"einwohner/einwohner_*_{GEMEINDE}.csv")):
            lines = path.read_bytes().splitlines(keepends=True)
            data = lines[0] + b"".join(lines[4:])
            (home.inbox / "einwohner" / path.name).write_bytes(data)
            neu[hashlib.sha256(data).hexdigest()] = path.name
            time.sleep(1.5)
        assert len(neu) == 3

        deadline = time.monotonic() + 900
        while True:
            runs = [r for r in ui.laeufe() if r["runId"] not in vorher]
            if runs and runs[0]["status"] in ("SUCCESS", "FAILURE", "CANCELED"):
                break
            assert time.monotonic() < deadline, (runs, (tmp_path / "dagster_dev.log")
                                                 .read_text()[-3000:])
            time.sleep(2)
        assert runs[0]["status"] == "SUCCESS", runs
        run_id = runs[0]["runId"]
        # one run for the batch, started by the sensor, and no second one once it is done
        time.sleep(10)
        runs = [r for r in ui.laeufe() if r["runId"] not in vorher]
        assert [r["runId"] for r in runs] == [run_id], runs
        assert {"key": "spm/ausloeser", "value": "eingang"} in runs[0]["tags"]
        assert {"key": "spm/dateien", "value": "3"} in runs[0]["tags"]

        # the UI shows the publication of that run
        data = ui.query("""{ assetOrError(assetKey: {path: ["published", "spm_duckdb"]}) {
            ... on Asset { assetMaterializations(limit: 1) { runId
                metadataEntries { label ... on TextMetadataEntry { text } } } } } }""")
        materialisation = data["assetOrError"]["assetMaterializations"][0]
        assert materialisation["runId"] == run_id
        fassung = {e["label"]: e.get("text") for e in materialisation["metadataEntries"]}
        assert fassung["fassung"] == aktuelle_version(home).name
    finally:
        ui.ende()

    # published: a new version, the inbox is empty, every file loaded
    after = [p.name for p in versionen(home)]
    assert after[-1] not in before and aktuelle_version(home).name == after[-1]
    assert not any((home.inbox / "einwohner").iterdir())
    import duckdb

    con = duckdb.connect(str(home.warehouse), read_only=True)
    try:
        loaded = {row[0] for row in con.execute(
            "select sha256 from raw.delivery_log where status = 'loaded'").fetchall()}
    finally:
        con.close()
    assert set(neu) <= loaded

    status = SpmProzess(home.root, "status")
    assert status.ende(timeout=120) == 0, status.ausgabe()
    assert f"({run_id[:8]}) hat veröffentlicht" in status.ausgabe(), status.ausgabe()
