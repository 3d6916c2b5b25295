"""Failures are loud: a failed run leaves one German message in logs/fehlermeldungen/, on the
console of `spm run` and in `spm status`, and tells the office by e-mail and webhook
(dagster_project/betrieb/meldungen.py, defs/fehlersensor.py).

Real parts only: copies of the demo home, real failed runs of the nightly job (a delivery
that breaks a dbt test, a rejected delivery, PostgreSQL unreachable after publishing),
the home's Dagster instance, an SMTP and an HTTP server on 127.0.0.1 in this process."""

import email
import email.policy
import http.server
import json
import os
import re
import shutil
import socket
import socketserver
import subprocess
import sys
import threading
from dataclasses import dataclass, field
from pathlib import Path

import dagster as dg
import duckdb
import pytest
import yaml

from dagster_project.betrieb import meldungen
from dagster_project.betrieb.meldungen import (
    LETZTE,
    BenachrichtigungConfigError,
    benachrichtigung_config,
    fehlermeldung,
    lade_benachrichtigung,
    lieferungen_des_laufs,
    melden,
)
from dagster_project.publishing.versions import aktuelle_version
from ingestion.contracts import TABULAR_CONTRACTS
from ingestion.home import Home
from ingestion.settings import DEFAULT_SETTINGS_TEXT
from tests.betrieb.einstellungen import abschnitt_setzen

SPM = str(Path(sys.executable).parent / "spm")
BAD_GEOJSON = "raumgliederung_sozialraum_2021-01-01.geojson"
REJECTED_CSV = "einwohner_2024-12-31_05999008.csv"


# ---------------------------------------------------------------------------------------
# a small SMTP server and an HTTP server on 127.0.0.1


@dataclass
class Mail:
    mail_from: str
    rcpt_to: list[str]
    data: bytes

    def message(self) -> email.message.EmailMessage:
        return email.message_from_bytes(self.data, policy=email.policy.default)


class SmtpServer:
    """EHLO/HELO, MAIL, RCPT, DATA, RSET, NOOP, QUIT – enough for smtplib."""

    def __init__(self):
        self.mails: list[Mail] = []
        outer = self

        class Handler(socketserver.StreamRequestHandler):
            def reply(self, text: str) -> None:
                self.wfile.write(text.encode("ascii") + b"\r\n")

            def handle(self):
                self.reply("220 127.0.0.1 ESMTP Test")
                mail_from, rcpts = "", []
                while line := self.rfile.readline():
                    command = line.decode("ascii", "replace").strip()
                    verb = command[:4].upper()
                    if verb == "EHLO":
                        self.reply("250-127.0.0.1")
                        self.reply("250 8BITMIME")
                    elif verb == "HELO":
                        self.reply("250 127.0.0.1")
                    elif verb == "MAIL":
                        mail_from, rcpts = command.split(":", 1)[1].strip().strip("<>"), []
                        self.reply("250 OK")
                    elif verb == "RCPT":
                        rcpts.append(command.split(":", 1)[1].strip().strip("<>"))
                        self.reply("250 OK")
                    elif verb == "DATA":
                        self.reply("354 Ende mit <CRLF>.<CRLF>")
                        data = []
                        while (part := self.rfile.readline()) not in (b".\r\n", b""):
                            data.append(part[1:] if part.startswith(b"..") else part)
                        outer.mails.append(Mail(mail_from, rcpts, b"".join(data)))
                        self.reply("250 OK angenommen")
                    elif verb in ("RSET", "NOOP"):
                        self.reply("250 OK")
                    elif verb == "QUIT":
                        self.reply("221 Bye")
                        return
                    else:
                        self.reply("502 nicht unterstützt")

        self.server = socketserver.ThreadingTCPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.port = self.server.server_address[1]
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@dataclass
class Post:
    path: str
    content_type: str
    body: dict = field(default_factory=dict)


class WebhookServer:
    def __init__(self):
        self.posts: list[Post] = []
        outer = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_POST(self):
                body = self.rfile.read(int(self.headers["Content-Length"]))
                outer.posts.append(Post(self.path, self.headers["Content-Type"],
                                        json.loads(body.decode("utf-8"))))
                self.send_response(200)
                self.send_header("Content-Length", "2")
                self.end_headers()
                self.wfile.write(b"ok")

            def log_message(self, *args):
                pass

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.port = self.server.server_address[1]
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def url(self, path: str = "/hook/geheim-token-123") -> str:
        return f"http://127.0.0.1:{self.port}{path}"

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


def closed_port() -> int:
    """A port on 127.0.0.1 where nothing listens (connection refused)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


# ---------------------------------------------------------------------------------------
# homes with failed runs


def copy_home(source: Home, target: Path) -> Home:
    shutil.copytree(source.root, target, symlinks=True,
                    ignore=shutil.ignore_patterns("duckdb_ext_repo", "duckdb_extensions"))
    return Home(target)


def set_benachrichtigung(home: Home, section: dict, **top) -> None:
    abschnitt_setzen(home, "benachrichtigung", section, **top)


def bad_deliveries(home: Home, delivered: Path) -> None:
    """A boundary file whose third area is called like the pseudo-area `<ags>-OZ`: it loads
    (the loader checks geometry and uniqueness within the file) and breaks the dbt test of
    int_geo__raeume; and a residents file without its column geburtsdatum: rejected."""
    data = json.loads((delivered / "raumgliederung" /
                       "raumgliederung_sozialraum_2020-01-01.geojson").read_text("utf-8"))
    props = data["features"][2]["properties"]
    props["raum_id"] = f"{props['ags']}-OZ"
    (home.inbox / "raumgliederung" / BAD_GEOJSON).write_text(json.dumps(data), "utf-8")
    columns = [c for c in TABULAR_CONTRACTS["einwohner"].names if c != "geburtsdatum"]
    row = {"person_id": "P1", "geschlecht": "w", "staatsangehoerigkeit": "000",
           "familienstand": "LD", "wohnungsstatus": "H", "ags": "05999008",
           "strasse": "Mühlenstraße", "hausnummer": "12", "plz": "32756"}
    (home.inbox / "einwohner" / REJECTED_CSV).write_text(
        ";".join(columns) + "\n" + ";".join(row.get(c, "") for c in columns) + "\n",
        encoding="utf-8")


@dataclass
class Fehllauf:
    home: Home
    run_id: str
    kept: str                  # the published version before the run
    stdout: str
    returncode: int
    smtp: SmtpServer
    webhook: WebhookServer


@pytest.fixture(scope="module")
def servers():
    smtp, webhook = SmtpServer(), WebhookServer()
    yield smtp, webhook
    smtp.close()
    webhook.close()


@pytest.fixture(scope="module")
def fehllauf(demo_run, tmp_path_factory, servers) -> Fehllauf:
    """`spm run` (a real process) on a copy of the demo home with the two bad deliveries,
    e-mail and webhook set to the servers here."""
    smtp, webhook = servers
    home = copy_home(demo_run.home, tmp_path_factory.mktemp("meldung") / "home")
    kept = aktuelle_version(home).name
    bad_deliveries(home, demo_run.delivered)
    set_benachrichtigung(home, {
        "email": {"an": ["statistik@kreis.example", "leitung@kreis.example"],
                  "absender": "spm@kreis.example", "smtp_host": "127.0.0.1",
                  "smtp_port": smtp.port},
        "webhook": webhook.url(), "zeitlimit_sekunden": 5,
        "kontakt": "IT-Service, Tel. 1234"})
    result = subprocess.run([SPM, "--home", str(home.root), "run"], capture_output=True,
                            text=True, timeout=900)
    saved = dict(os.environ)
    os.environ["DAGSTER_HOME"] = str(home.dagster_home)
    try:
        instance = dg.DagsterInstance.get()
        records = instance.get_run_records(limit=1)
        run_id = records[0].dagster_run.run_id
        assert records[0].dagster_run.status == dg.DagsterRunStatus.FAILURE
        instance.dispose()
    finally:
        os.environ.clear()
        os.environ.update(saved)
    return Fehllauf(home, run_id, kept, result.stdout, result.returncode, smtp, webhook)


@pytest.fixture
def instance_of(restore_environment):
    instances = []

    def get(home: Home) -> dg.DagsterInstance:
        from dagster_project.environment import activate

        activate(home.root)
        instance = dg.DagsterInstance.get()
        instances.append(instance)
        return instance

    yield get
    for instance in instances:
        instance.dispose()



def message_files(home: Home) -> list[Path]:
    return sorted((home.logs / "fehlermeldungen").glob("*.txt"))


def failure_context(instance, run_id: str):
    run = instance.get_run_by_id(run_id)
    event = instance.all_logs(run_id, of_type=dg.DagsterEventType.RUN_FAILURE)[-1].dagster_event
    return dg.build_run_status_sensor_context(
        sensor_name="fehlermeldung_sensor", dagster_event=event, dagster_instance=instance,
        dagster_run=run)


# ---------------------------------------------------------------------------------------
# `spm run`


def test_spm_run_exits_1_and_prints_the_german_message(fehllauf):
    out = fehllauf.stdout
    assert fehllauf.returncode == 1, out[-3000:]
    assert re.search(r"^Lauf vom \d\d\.\d\d\.\d{4} \d\d:\d\d fehlgeschlagen$", out, re.M)
    assert "Gestartet durch: den Befehl „spm run“" in out
    assert f"Lauf-Nr.: {fehllauf.run_id[:8]} ({fehllauf.run_id})" in out
    # what failed
    assert ("Prüfung columns_valid_int_geo__raeume (intermediate/int_geo__raeume) nicht "
            "bestanden") in re.sub(r"\s+", " ", out)
    assert "Schritt spm_dbt_assets fehlgeschlagen: dbt build:" in out
    # which deliveries
    section = re.sub(r"\s+", " ",
                     out.split("Lieferungen dieses Laufs:")[1].split("Was ist zu tun:")[0])
    assert f"{BAD_GEOJSON} (Quelle raumgliederung, gültig ab 01.01.2021): geladen" in section
    assert f"{REJECTED_CSV} (Quelle einwohner, Stichtag 31.12.2024): ABGEWIESEN" in section
    assert "geburtsdatum" in section.split(REJECTED_CSV)[-1]
    assert "einwohner_2023-12-31" not in section     # only what this run received
    # what to do
    todo = re.sub(r"\s+", " ", out.split("Was ist zu tun:")[1])
    assert "berichtigte Lieferung anfordern und in inbox/einwohner/ legen" in todo
    assert f"Wahrscheinliche Ursache sind die neuen Lieferungen dieses Laufs ({BAD_GEOJSON})" \
        in todo
    assert "logs/dbt/dbt.log" in todo and "quality/bericht.html" in todo
    assert "docs/betrieb.md" in todo and "„spm run“ erneut starten" in todo
    assert f"Die zuletzt veröffentlichte Fassung {fehllauf.kept} vom " in todo
    assert "bleibt gültig" in todo
    assert "Die Daten dieses Laufs SIND veröffentlicht" not in todo
    assert "FEHLER: " not in out.split("Was ist fehlgeschlagen:")[1]
    assert aktuelle_version(fehllauf.home).name == fehllauf.kept


def test_the_message_is_written_once_with_letzte_json(fehllauf):
    files = message_files(fehllauf.home)
    assert [f.name for f in files] == [
        f.name for f in files if re.fullmatch(
            r"\d{4}-\d\d-\d\dT\d{6}_" + fehllauf.run_id[:8] + r"\.txt", f.name)]
    assert len(files) == 1
    text = files[0].read_text(encoding="utf-8")
    message, notified = text.split("\nBenachrichtigung:\n")
    assert message.strip() in fehllauf.stdout
    assert f"Meldung gespeichert: {files[0]}" in fehllauf.stdout
    assert "E-Mail an statistik@kreis.example, leitung@kreis.example gesendet" in notified
    assert f"Webhook http://127.0.0.1:{fehllauf.webhook.port} benachrichtigt" in notified
    assert "geheim-token" not in text            # the webhook's path is never written
    letzte = json.loads((fehllauf.home.logs / "fehlermeldungen" / LETZTE).read_text("utf-8"))
    assert letzte["lauf_id"] == fehllauf.run_id
    assert letzte["datei"] == str(files[0])
    assert letzte["text"].strip() == message.strip()
    assert files[0].name.startswith(letzte["zeitpunkt"].replace(":", "")[:17])
    assert len(letzte["benachrichtigung"]) == 2
    assert not list((fehllauf.home.logs / "fehlermeldungen").glob(".*"))   # no temp files


def test_the_office_gets_one_mail_in_german_naming_the_delivery(fehllauf):
    mails = fehllauf.smtp.mails
    assert len(mails) == 1
    mail = mails[0]
    assert mail.mail_from == "spm@kreis.example"
    assert mail.rcpt_to == ["statistik@kreis.example", "leitung@kreis.example"]
    message = mail.message()
    assert re.fullmatch(r"SPM-Data-Warehouse: Lauf vom \d\d\.\d\d\.\d{4} \d\d:\d\d "
                        r"fehlgeschlagen", message["Subject"])
    body = message.get_body().get_content()
    assert BAD_GEOJSON in body and REJECTED_CSV in body and "ABGEWIESEN" in body
    assert "Was ist zu tun:" in body and "bleibt gültig" in body
    assert "Mühlenstraße" not in body      # the rejected file's rows are not in the message


def test_the_webhook_gets_the_message_as_json(fehllauf):
    posts = fehllauf.webhook.posts
    assert len(posts) == 1
    post = posts[0]
    assert post.path == "/hook/geheim-token-123"
    assert post.content_type.startswith("application/json")
    body = post.body
    assert body["lauf_id"] == fehllauf.run_id
    assert body["ergebnis"] == "fehlgeschlagen" and body["ausloeser"] == "spm run"
    assert body["veroeffentlicht"] is False
    assert body["text"].startswith("Lauf vom ") and BAD_GEOJSON in body["text"]
    assert body["datei"] == str(message_files(fehllauf.home)[0])
    rejected = [d for d in body["lieferungen"] if d["status"] == "rejected"]
    assert [d["datei"] for d in rejected] == [REJECTED_CSV]
    assert "geburtsdatum" in rejected[0]["grund"]
    assert {d["datei"] for d in body["lieferungen"]} == {BAD_GEOJSON, REJECTED_CSV}


def test_spm_status_shows_what_to_do_and_the_message_file(fehllauf):
    result = subprocess.run([SPM, "--home", str(fehllauf.home.root), "status"],
                            capture_output=True, text=True)
    text = result.stdout
    runs = text.split("Letzte Läufe")[1]
    assert "ist fehlgeschlagen" in runs
    todo = re.sub(r"\s+", " ", runs.split("Was ist zu tun:")[1])
    assert "berichtigte Lieferung anfordern und in inbox/einwohner/ legen" in todo
    assert f"Fehlermeldung: {message_files(fehllauf.home)[0]}" in runs


def test_the_sensor_on_the_same_run_writes_and_sends_nothing_again(fehllauf, instance_of,
                                                                   monkeypatch):
    from dagster_project.defs.fehlersensor import fehlermeldung_sensor

    home = fehllauf.home
    instance = instance_of(home)
    monkeypatch.setenv("SPM_HOME", str(home.root))
    before = {f: f.read_bytes() for f in (home.logs / "fehlermeldungen").iterdir()}
    fehlermeldung_sensor(failure_context(instance, fehllauf.run_id))
    after = {f: f.read_bytes() for f in (home.logs / "fehlermeldungen").iterdir()}
    assert after == before
    assert len(fehllauf.smtp.mails) == 1 and len(fehllauf.webhook.posts) == 1
    again = melden(home, instance, fehllauf.run_id)
    assert not again.neu and again.datei == message_files(home)[0]
    assert len(fehllauf.smtp.mails) == 1 and len(fehllauf.webhook.posts) == 1


def test_two_callers_at_once_write_one_file(fehllauf, instance_of, tmp_path):
    """Both the sensor and `spm run` may see the same failed run at the same moment."""
    home = copy_home(fehllauf.home, tmp_path / "home")
    shutil.rmtree(home.logs / "fehlermeldungen")
    set_benachrichtigung(home, {})
    instance = instance_of(home)
    callers = 6
    for _ in range(5):      # several rounds: the race is in the last milliseconds
        shutil.rmtree(home.logs / "fehlermeldungen", ignore_errors=True)
        results = []
        barrier = threading.Barrier(callers)

        def call(barrier, results):
            barrier.wait()
            results.append(melden(home, instance, fehllauf.run_id))

        threads = [threading.Thread(target=call, args=(barrier, results))
                   for _ in range(callers)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        assert sorted(r.neu for r in results) == [False] * (callers - 1) + [True]
        assert len(message_files(home)) == 1
        assert {r.datei for r in results} == {message_files(home)[0]}
        assert not list((home.logs / "fehlermeldungen").glob(".*.tmp"))


# ---------------------------------------------------------------------------------------
# the sensor on runs of the schedule


@pytest.fixture(scope="module")
def geplant(demo_run, tmp_path_factory):
    """A copy of the demo home whose PostgreSQL is unreachable: publishing to DuckDB
    succeeds, then published/postgres fails."""
    home = copy_home(demo_run.home, tmp_path_factory.mktemp("geplant") / "home")
    return home


def test_sensor_reports_a_scheduled_run_that_published_and_then_failed(
        geplant, servers, instance_of, monkeypatch):
    from dagster_project.definitions import defs
    from dagster_project.defs.fehlersensor import fehlermeldung_sensor

    sensor = defs.resolve_sensor_def("fehlermeldung_sensor")
    assert sensor is fehlermeldung_sensor
    assert sensor.default_status == dg.DefaultSensorStatus.RUNNING
    smtp, webhook = servers
    home = geplant
    mails, posts = len(smtp.mails), len(webhook.posts)
    unreachable = closed_port()
    set_benachrichtigung(
        home, {"email": {"an": "statistik@kreis.example", "absender": "spm@kreis.example",
                         "smtp_host": "127.0.0.1", "smtp_port": unreachable},
               "webhook": webhook.url("/geplant"), "zeitlimit_sekunden": 3},
        postgres_url=f"postgresql://spm@127.0.0.1:{closed_port()}/spm")
    instance = instance_of(home)
    monkeypatch.setenv("SPM_HOME", str(home.root))
    # the daemon's first tick sets the cursor; a later tick sees the failure
    tick = fehlermeldung_sensor.evaluate_tick(dg.build_sensor_context(instance=instance))
    cursor = tick.cursor
    assert cursor

    job = defs.resolve_job_def("spm_nightly")
    result = job.execute_in_process(
        instance=instance, raise_on_error=False, tags={"spm/ausloeser": "zeitplan"},
        asset_selection=[dg.AssetKey(["published", "spm_duckdb"]),
                         dg.AssetKey(["published", "postgres"])])
    assert not result.success
    published = aktuelle_version(home).name
    assert not message_files(home)

    tick = fehlermeldung_sensor.evaluate_tick(
        dg.build_sensor_context(instance=instance, cursor=cursor))
    files = message_files(home)
    assert len(files) == 1 and files[0].name.endswith(f"_{result.run_id[:8]}.txt")
    text = files[0].read_text(encoding="utf-8")
    flat = re.sub(r"\s+", " ", text)
    assert "Gestartet durch: den nächtlichen Zeitplan (02:00 Uhr)" in text
    assert "Schritt published__postgres fehlgeschlagen:" in flat
    assert f"Die Daten dieses Laufs SIND veröffentlicht (Fassung {published} vom" in flat
    assert "Fehlgeschlagen ist nur die Veröffentlichung nach PostgreSQL" in flat
    assert "„spm publish“" in flat and "bleibt gültig" not in flat
    assert "In diesem Lauf ist keine neue Lieferung eingegangen." in text
    # the unreachable mail server is reported, the webhook still went out
    notified = text.split("\nBenachrichtigung:\n")[1]
    assert (f"E-Mail an statistik@kreis.example NICHT gesendet (SMTP-Server "
            f"127.0.0.1:{unreachable})") in notified
    assert "benachrichtigt (Antwort 200)" in notified
    assert len(smtp.mails) == mails
    assert len(webhook.posts) == posts + 1
    assert webhook.posts[-1].body["veroeffentlicht"] is True
    assert webhook.posts[-1].body["betreff"].endswith("(Daten veröffentlicht)")
    # the next tick and a direct call find the message and do nothing
    fehlermeldung_sensor.evaluate_tick(
        dg.build_sensor_context(instance=instance, cursor=tick.cursor))
    fehlermeldung_sensor(failure_context(instance, result.run_id))
    assert message_files(home) == files and files[0].read_text(encoding="utf-8") == text
    assert len(webhook.posts) == posts + 1


@pytest.mark.parametrize("reason, expected", [
    ("Detected run worker status WorkerStatus.FAILED. Marking run as failed.",
     "Der Lauf wurde abgebrochen, bevor ein Schritt fehlschlug"),
    ("OSError: [Errno 28] No space left on device: '/srv/spm/warehouse/spm.duckdb.wal'",
     "Der Speicherplatz des Laufwerks mit "),
])
def test_a_run_marked_failed_from_outside_gets_its_hint(geplant, instance_of, monkeypatch,
                                                        reason, expected):
    """As Dagster's run monitoring marks a run whose worker died (no step failed)."""
    from dagster_project.definitions import defs
    from dagster_project.defs.fehlersensor import fehlermeldung_sensor

    home = geplant
    set_benachrichtigung(home, {})
    instance = instance_of(home)
    monkeypatch.setenv("SPM_HOME", str(home.root))
    run = instance.create_run_for_job(job_def=defs.resolve_job_def("spm_nightly"),
                                      status=dg.DagsterRunStatus.STARTED,
                                      tags={"spm/ausloeser": "eingang"})
    instance.report_run_failed(run, reason)
    fehlermeldung_sensor(failure_context(instance, run.run_id))
    [datei] = [f for f in message_files(home) if f.name.endswith(f"_{run.run_id[:8]}.txt")]
    flat = re.sub(r"\s+", " ", datei.read_text(encoding="utf-8"))
    assert "Gestartet durch: neue Dateien im Eingang (Eingangssensor)" in flat
    assert expected in flat
    assert reason.split(":")[0] in flat
    assert "„spm run“ erneut starten" in flat
    assert ("Der Lauf wurde abgebrochen" in flat) == ("No space" not in reason)
    assert "Die zuletzt veröffentlichte Fassung" in flat and "bleibt gültig" in flat
    assert "nicht Teil des Laufs" not in flat
    assert ("Speicherplatz" in flat) == ("No space" in reason)


# ---------------------------------------------------------------------------------------
# the warehouse missing, locked or damaged


def test_deliveries_say_when_the_warehouse_cannot_be_read(fehllauf, instance_of, tmp_path):
    import datetime as dt

    home = copy_home(fehllauf.home, tmp_path / "home")
    instance = instance_of(home)
    von, bis = dt.datetime(2000, 1, 1), dt.datetime(2100, 1, 1)
    rows, why = lieferungen_des_laufs(home, von, bis)
    assert rows is not None and not why and len(rows) > 20

    # locked: another process writes it
    holder = subprocess.Popen(
        [sys.executable, "-c", "import duckdb, sys; con = duckdb.connect(sys.argv[1]); "
         "print('offen', flush=True); sys.stdin.read()", str(home.warehouse)],
        stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout.readline().strip() == "offen"
        rows, why = lieferungen_des_laufs(home, von, bis)
        assert rows is None and "gesperrt" in why
        text = fehlermeldung(home, instance, fehllauf.run_id).text
        assert "Die Lieferungen dieses Laufs konnten nicht gelesen werden: das Warehouse ist " \
               "gerade von einem anderen Vorgang gesperrt" in re.sub(r"\s+", " ", text)
        assert "Was ist zu tun:" in text and "bleibt gültig" in text
    finally:
        holder.communicate("", timeout=30)

    saved = home.warehouse.with_name("gesichert.duckdb")
    home.warehouse.rename(saved)
    rows, why = lieferungen_des_laufs(home, von, bis)
    assert rows is None and why == "das Warehouse (warehouse/spm.duckdb) fehlt"

    home.warehouse.write_bytes(b"kein DuckDB" * 1000)
    rows, why = lieferungen_des_laufs(home, von, bis)
    assert rows is None and why.startswith("das Warehouse ist nicht lesbar")
    text = fehlermeldung(home, instance, fehllauf.run_id).text
    assert "konnten nicht gelesen werden: das Warehouse ist nicht lesbar" in \
        re.sub(r"\s+", " ", text)

    # a warehouse without the delivery log
    home.warehouse.unlink()
    duckdb.connect(str(home.warehouse)).close()
    rows, why = lieferungen_des_laufs(home, von, bis)
    assert rows is None and why.startswith("das Lieferprotokoll ist nicht lesbar")


def test_a_message_that_cannot_be_written_is_still_printed_and_sent(
        fehllauf, instance_of, tmp_path, servers):
    _, webhook = servers
    home = copy_home(fehllauf.home, tmp_path / "home")
    shutil.rmtree(home.logs / "fehlermeldungen")
    (home.logs / "fehlermeldungen").write_text("eine Datei, kein Ordner")
    set_benachrichtigung(home, {"webhook": webhook.url("/ohne-ordner")})
    posts = len(webhook.posts)
    gemeldet = melden(home, instance_of(home), fehllauf.run_id)
    assert gemeldet.datei is None and gemeldet.neu
    assert "konnte nicht in" in gemeldet.ausgabe and BAD_GEOJSON in gemeldet.ausgabe
    assert len(webhook.posts) == posts + 1 and webhook.posts[-1].path == "/ohne-ordner"


def test_broken_settings_do_not_hide_the_failure(fehllauf, instance_of, tmp_path):
    home = copy_home(fehllauf.home, tmp_path / "home")
    shutil.rmtree(home.logs / "fehlermeldungen")
    set_benachrichtigung(home, {"email": {"an": ["x@y.example"], "absender": "a@b.example",
                                          "smtp_host": "h", "passwort": "geheim"}})
    gemeldet = melden(home, instance_of(home), fehllauf.run_id)
    assert gemeldet.neu and gemeldet.datei is not None
    assert gemeldet.datei.read_text(encoding="utf-8").startswith("Lauf vom ")
    assert any("Benachrichtigung nicht möglich" in line and "benachrichtigung.email.passwort"
               in line for line in gemeldet.protokoll)
    assert "geheim" not in gemeldet.datei.read_text(encoding="utf-8")


# ---------------------------------------------------------------------------------------
# the settings section


def test_default_settings_notify_nobody():
    config = benachrichtigung_config(yaml.safe_load(DEFAULT_SETTINGS_TEXT)["benachrichtigung"])
    assert config.email is None and config.webhook == "" and config.zeitlimit_sekunden == 10


def test_a_full_section_is_read():
    config = benachrichtigung_config({
        "email": {"an": "statistik@kreis.example", "absender": "spm@kreis.example",
                  "smtp_host": "mail.kreis.example", "smtp_port": 587, "starttls": True,
                  "benutzer": "spm"},
        "webhook": "https://chat.kreis.example/hooks/abc", "zeitlimit_sekunden": 2.5,
        "kontakt": "IT-Service"})
    assert config.email.an == ("statistik@kreis.example",)
    assert config.email.smtp_port == 587 and config.email.starttls and config.email.benutzer
    assert config.webhook.startswith("https://") and config.zeitlimit_sekunden == 2.5
    assert config.kontakt == "IT-Service"


EMAIL = {"an": ["statistik@kreis.example"], "absender": "spm@kreis.example",
         "smtp_host": "mail.kreis.example"}


@pytest.mark.parametrize("section, key", [
    ({"mail": {}}, "benachrichtigung: unbekannte Einstellung(en): mail"),
    ({"email": "statistik@kreis.example"}, "benachrichtigung.email: Abschnitt"),
    ({"email": {**EMAIL, "an": []}}, "benachrichtigung.email.an: fehlt"),
    ({"email": {**EMAIL, "an": ["statistik"]}}, "benachrichtigung.email.an: E-Mail-Adresse"),
    ({"email": {**EMAIL, "absender": ""}}, "benachrichtigung.email.absender: fehlt"),
    ({"email": {**EMAIL, "smtp_host": "mail kreis"}}, "benachrichtigung.email.smtp_host:"),
    ({"email": {**EMAIL, "smtp_port": "25"}}, "benachrichtigung.email.smtp_port: ganze Zahl"),
    ({"email": {**EMAIL, "smtp_port": 70000}}, "benachrichtigung.email.smtp_port: ganze Zahl"),
    ({"email": {**EMAIL, "starttls": "ja"}}, "benachrichtigung.email.starttls: true oder"),
    ({"email": {**EMAIL, "passwort": "x"}}, "benachrichtigung.email.passwort: das Passwort "
                                            "gehört nicht in settings.yaml"),
    ({"email": {**EMAIL, "benutzer": "spm"}}, "benachrichtigung.email.benutzer: Anmeldung "
                                              "nur mit starttls: true"),
    ({"email": {**EMAIL, "port": 25}}, "benachrichtigung.email: unbekannte Einstellung(en): "
                                       "port"),
    ({"webhook": "chat.kreis.example/hook"}, "benachrichtigung.webhook: Adresse mit http://"),
    ({"webhook": "ftp://chat.kreis.example/"}, "benachrichtigung.webhook: Adresse mit http://"),
    ({"zeitlimit_sekunden": 0}, "benachrichtigung.zeitlimit_sekunden: Zahl über 0 bis 120"),
    ({"zeitlimit_sekunden": True}, "benachrichtigung.zeitlimit_sekunden: Zahl über 0 bis 120"),
    ({"kontakt": ["a"]}, "benachrichtigung.kontakt: Text erwartet"),
])
def test_a_wrong_setting_names_its_key(section, key):
    with pytest.raises(BenachrichtigungConfigError) as error:
        benachrichtigung_config(section)
    assert str(error.value).startswith(key), str(error.value)


def test_a_wrong_setting_in_the_file_names_the_file(tmp_path):
    home = Home(tmp_path / "home").create()
    (home.config / "settings.yaml").write_text(
        "benachrichtigung:\n  webhook: nirgendwo\n", encoding="utf-8")
    with pytest.raises(ValueError) as error:
        lade_benachrichtigung(home)
    assert str(error.value).startswith(f"{home.config / 'settings.yaml'}: "
                                       "benachrichtigung.webhook:")


def test_password_comes_from_the_environment_only(monkeypatch):
    """A user without SPM_SMTP_PASSWORT: the mail is not sent, and the reason says why
    (the server here accepts mail without login, so only the missing password stops it)."""
    smtp = SmtpServer()
    try:
        config = benachrichtigung_config({"email": {
            **EMAIL, "smtp_host": "127.0.0.1", "smtp_port": smtp.port, "starttls": True,
            "benutzer": "spm"}, "zeitlimit_sekunden": 3})
        monkeypatch.delenv(meldungen.PASSWORT_VARIABLE, raising=False)
        meldung = meldungen._notfall_meldung(Home(Path("/tmp/x")), "0" * 36,
                                             RuntimeError("Test"))
        [line] = meldungen.benachrichtigen(config, meldung, None)
        assert "NICHT gesendet" in line and "SPM_SMTP_PASSWORT ist nicht gesetzt" in line
        assert smtp.mails == []
    finally:
        smtp.close()


def test_spm_testmeldung_sends_on_every_way_set_and_says_which_failed(tmp_path, capsys):
    """The office checks its settings without waiting for a failed run."""
    from dagster_project.cli.main import main

    home = Home(tmp_path / "home").create()
    (home.config / "settings.yaml").write_text(DEFAULT_SETTINGS_TEXT, encoding="utf-8")

    def testmeldung() -> tuple[int, str]:
        capsys.readouterr()
        code = main(["--home", str(home.root), "testmeldung"])
        return code, " ".join(capsys.readouterr().out.split())

    code, out = testmeldung()
    assert code == 1 and "Keine Benachrichtigung eingestellt" in out

    smtp, webhook = SmtpServer(), WebhookServer()
    try:
        set_benachrichtigung(home, {
            "email": {**EMAIL, "smtp_host": "127.0.0.1", "smtp_port": smtp.port},
            "webhook": webhook.url(), "zeitlimit_sekunden": 5, "kontakt": "IT, Tel. 99"})
        code, out = testmeldung()
        assert code == 0, out
        assert f"E-Mail an {', '.join(EMAIL['an'])} gesendet" in out
        assert f"Webhook http://127.0.0.1:{webhook.port} benachrichtigt (Antwort 200)" in out
        assert "geheim-token" not in out
        [mail] = smtp.mails
        message = mail.message()
        assert message["Subject"] == "SPM-Data-Warehouse: Testmeldung (kein Fehler)"
        body = message.get_content()
        assert "Testmeldung" in body and str(home.root) in body and "IT, Tel. 99" in body
        [post] = webhook.posts
        assert post.body["ergebnis"] == "test" and post.body["betreff"] == message["Subject"]
        assert str(home.root) in post.body["text"]

        # one way fails: exit 1, the other is still sent
        set_benachrichtigung(home, {
            "email": {**EMAIL, "smtp_host": "127.0.0.1", "smtp_port": smtp.port},
            "webhook": f"http://127.0.0.1:{closed_port()}/hook", "zeitlimit_sekunden": 3})
        code, out = testmeldung()
        assert code == 1
        assert "gesendet" in out and "NICHT benachrichtigt" in out
        assert len(smtp.mails) == 2
    finally:
        smtp.close()
        webhook.close()
    assert not home.warehouse.exists(), "the test message does not open the warehouse"
    assert not meldungen.meldungsordner(home).exists(), "nor write a failure message"

    (home.config / "settings.yaml").write_text("benachrichtigung:\n  webhook: nirgendwo\n",
                                               encoding="utf-8")
    code, out = testmeldung()
    assert code == 1 and "benachrichtigung.webhook:" in out
