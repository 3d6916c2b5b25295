"""`spm status` and `spm status --json`: exit codes, the JSON document, Lieferfristen.

Real homes (copies of the session's demo run), real `spm` processes, a real failing run of
the nightly job, a real second process holding the warehouse's write lock."""

import datetime as dt
import json
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import dagster as dg
import duckdb
import pytest
import yaml

from dagster_project.betrieb import fristen
from dagster_project.betrieb.fristen import Lieferfrist, fristen_pruefen, plus_monate
from dagster_project.cli.status import collect_status
from ingestion.home import Home
from tests.betrieb.einstellungen import abschnitt_setzen

SPM = os.path.join(os.path.dirname(sys.executable), "spm")

TOP_LEVEL_KEYS = {
    "schema_version", "generated_at", "home", "ok", "exit_code", "problems", "notes",
    "settings", "warehouse", "last_run", "run_in_progress", "recent_runs",
    "last_failure_message", "published_version", "deadlines", "sources",
    "match_rate_minimum_percent", "match_rates", "gx", "deliveries"}


def copy_home(source: Home, target: Path, *, ohne: tuple[str, ...] = ()) -> Home:
    """The whole home (warehouse, Dagster instance, published versions with their links),
    without the DuckDB extension folders (recreated on first use) and without `ohne`."""
    shutil.copytree(source.root, target, symlinks=True, ignore=shutil.ignore_patterns(
        "duckdb_ext_repo", "duckdb_extensions", *ohne))
    return Home(target)


def status(home: Home, *extra: str) -> subprocess.CompletedProcess:
    return subprocess.run([SPM, "--home", str(home.root), "status", *extra],
                          capture_output=True, env=dict(os.environ, LANG="C", LC_ALL="C"))


def status_json(home: Home) -> tuple[int, dict]:
    """Exit code and the parsed document; stdout must be exactly one JSON document."""
    result = status(home, "--json")
    assert result.returncode in (0, 1), result.stderr.decode("utf-8", "replace")
    return result.returncode, json.loads(result.stdout.decode("utf-8"))


def status_text(home: Home) -> tuple[int, str]:
    result = status(home)
    return result.returncode, result.stdout.decode("utf-8")


def set_lieferfristen(home: Home, section: dict | None, **other) -> None:
    """Replace the section `lieferfristen:` (and `other` settings), keeping the rest."""
    abschnitt_setzen(home, "lieferfristen", section, **other)


def kinds(doc: dict) -> list[str]:
    return [p["kind"] for p in doc["problems"]]


@pytest.fixture(scope="module")
def kopie(demo_run, tmp_path_factory) -> Home:
    """One copy of the demo home for the tests that only change settings."""
    home = copy_home(demo_run.home, tmp_path_factory.mktemp("status") / "home")
    yield home


@pytest.fixture
def einstellungen(kopie):
    """The copy's settings.yaml is restored after each test."""
    path = kopie.config / "settings.yaml"
    saved = path.read_bytes()
    yield kopie
    path.write_bytes(saved)


# ---------------------------------------------------------------------------------------
# Lieferfristen: the rules


@pytest.mark.parametrize("tag, monate, erwartet", [
    (dt.date(2025, 12, 31), 12, dt.date(2026, 12, 31)),
    (dt.date(2025, 12, 31), 1, dt.date(2026, 1, 31)),
    (dt.date(2025, 12, 31), 2, dt.date(2026, 2, 28)),     # month end stays month end
    (dt.date(2023, 2, 28), 12, dt.date(2024, 2, 29)),
    (dt.date(2024, 2, 29), 12, dt.date(2025, 2, 28)),
    (dt.date(2025, 6, 30), 6, dt.date(2025, 12, 31)),
    (dt.date(2025, 1, 30), 1, dt.date(2025, 2, 28)),      # cut to the shorter month
    (dt.date(2025, 3, 1), 12, dt.date(2026, 3, 1)),
    (dt.date(2025, 10, 15), 27, dt.date(2028, 1, 15)),
])
def test_plus_monate(tag, monate, erwartet):
    assert plus_monate(tag, monate) == erwartet


def test_each_municipality_is_judged_on_its_own_and_a_source_never_delivered_is_overdue():
    config = {"einwohner": Lieferfrist("einwohner", 12, 90),
              "hze": Lieferfrist("hze", 12, 0)}
    neueste = [("einwohner", "05999004", dt.date(2025, 12, 31)),
               ("einwohner", "05999008", dt.date(2024, 12, 31)),   # 2025 missing
               ("sgb2", "05999004", dt.date(2020, 12, 31))]        # not monitored
    heute = dt.date(2026, 4, 1)
    result = {(v.quelle, v.ags): v for v in fristen_pruefen(config, neueste, heute)}
    assert set(result) == {("einwohner", "05999004"), ("einwohner", "05999008"),
                           ("hze", None)}
    current = result["einwohner", "05999004"]
    assert (current.naechster_stichtag, current.faellig_bis, current.ueberfaellig) == (
        dt.date(2026, 12, 31), dt.date(2027, 3, 31), False)
    late = result["einwohner", "05999008"]
    assert (late.naechster_stichtag, late.faellig_bis, late.ueberfaellig,
            late.ueberfaellig_seit) == (dt.date(2025, 12, 31), dt.date(2026, 3, 31), True,
                                        dt.date(2026, 4, 1))
    assert "ÜBERFÄLLIG seit 01.04.2026" in late.meldung() and "05999008" in late.meldung()
    never = result["hze", None]
    assert never.ueberfaellig and never.nie_geliefert
    assert "noch nie geliefert" in never.meldung()
    # the due date itself is still on time
    on_the_day = fristen_pruefen(config, neueste, dt.date(2026, 3, 31))
    assert not next(v for v in on_the_day if v.ags == "05999008").ueberfaellig


@pytest.mark.parametrize("section, message", [
    ({"raumgliederung": {"intervall_monate": 12, "frist_tage": 0}},
     "lieferfristen: raumgliederung: für Raumgliederungen gibt es keine Lieferfrist"),
    ({"einwohnr": {"intervall_monate": 12, "frist_tage": 0}},
     "lieferfristen: unbekannte Quelle 'einwohnr' (möglich: adressen, einwohner"),
    ({"einwohner": 12}, "lieferfristen: einwohner: {intervall_monate: …, frist_tage: …} "
                        "erwartet, nicht 12"),
    ({"einwohner": None}, "lieferfristen: einwohner: {intervall_monate: …"),
    ({"einwohner": {"intervall_monate": "12", "frist_tage": 0}},
     "lieferfristen: einwohner: intervall_monate: ganze Zahl ab 1 erwartet, nicht '12'"),
    ({"einwohner": {"intervall_monate": 0, "frist_tage": 0}},
     "lieferfristen: einwohner: intervall_monate: ganze Zahl ab 1 erwartet, nicht 0"),
    ({"einwohner": {"intervall_monate": 12, "frist_tage": -5}},
     "lieferfristen: einwohner: frist_tage: ganze Zahl ab 0 erwartet, nicht -5"),
    ({"einwohner": {"intervall_monate": 12, "frist_tage": True}},
     "lieferfristen: einwohner: frist_tage: ganze Zahl ab 0 erwartet, nicht True"),
    ({"einwohner": {"intervall_monate": 12.5, "frist_tage": 3}},
     "intervall_monate: ganze Zahl ab 1 erwartet, nicht 12.5"),
    ({"einwohner": {"intervall_monate": 12}}, "lieferfristen: einwohner: frist_tage fehlt"),
    ({"einwohner": {"intervall_monate": 12, "frist_tage": 3, "frist": 2}},
     "lieferfristen: einwohner: unbekannte Einstellung(en): frist"),
    ([{"einwohner": 12}], "lieferfristen: Abschnitt mit Einstellungen erwartet"),
])
def test_wrong_lieferfristen_name_the_file_and_the_key(tmp_path, section, message):
    config = tmp_path / "config"
    config.mkdir()
    (config / "settings.yaml").write_text(
        yaml.safe_dump({"lieferfristen": section}, allow_unicode=True), encoding="utf-8")
    with pytest.raises(ValueError) as found:
        fristen.lieferfristen_laden(config)
    text = str(found.value)
    assert text.startswith(f"{config / 'settings.yaml'}: ")
    assert message in text


def test_empty_or_missing_section_monitors_nothing(tmp_path):
    config = tmp_path / "config"
    config.mkdir()
    assert fristen.lieferfristen_laden(config) == {}
    (config / "settings.yaml").write_text("lieferfristen:\n", encoding="utf-8")
    assert fristen.lieferfristen_laden(config) == {}
    (config / "settings.yaml").write_text(
        "lieferfristen:\n  sgb2: {intervall_monate: 6, frist_tage: 30}\n", encoding="utf-8")
    assert fristen.lieferfristen_laden(config) == {"sgb2": Lieferfrist("sgb2", 6, 30)}


def test_newest_stichtag_per_municipality_from_the_warehouse(demo_run, tmp_path):
    """One municipality's 2025 residents vanish from a copy of the warehouse: that
    municipality is overdue, the others are not."""
    warehouse = tmp_path / "spm.duckdb"
    shutil.copyfile(demo_run.home.warehouse, warehouse)
    con = duckdb.connect(str(warehouse))
    try:
        before = fristen.neueste_stichtage(con, ["einwohner"])
        late = min(ags for _, ags, _ in before)
        con.execute("delete from raw.einwohner where ags = ? and stichtag = ?",
                    [late, dt.date(2025, 12, 31)])
        rows = fristen.neueste_stichtage(con, ["einwohner", "sgb2"])
    finally:
        con.close()
    assert {s for _, _, s in before} == {dt.date(2025, 12, 31)} and len(before) == 3
    assert (("einwohner", late, dt.date(2024, 12, 31)) in rows)
    assert {q for q, _, _ in rows} == {"einwohner", "sgb2"}
    config = {"einwohner": Lieferfrist("einwohner", 12, 90)}
    verdicts = fristen_pruefen(config, rows, heute=dt.date(2026, 6, 1))
    assert [(v.ags, v.ueberfaellig) for v in verdicts] == [
        (ags, ags == late) for _, ags, _ in sorted(before)]
    assert next(v for v in verdicts if v.ags == late).ueberfaellig_seit == dt.date(2026, 4, 1)


# ---------------------------------------------------------------------------------------
# the command


def test_ok_home_exits_0_with_the_whole_document(demo_run):
    home = demo_run.home
    code, doc = status_json(home)
    assert code == 0 and doc["ok"] is True and doc["exit_code"] == 0, doc["problems"]
    assert set(doc) == TOP_LEVEL_KEYS
    assert doc["schema_version"] == 1 and doc["problems"] == []
    assert doc["home"] == str(home.root)
    assert dt.datetime.fromisoformat(doc["generated_at"]).tzinfo is not None
    meta = json.loads((home.published / "aktuell" / "version.json").read_text("utf-8"))
    version = doc["published_version"]
    assert (version["version"], version["run_id"]) == (meta["version"], meta["lauf_id"])
    last = doc["last_run"]
    assert last["run_id"] == meta["lauf_id"] and last["status"] == "SUCCESS"
    assert last["published"] is True and last["reasons"] == []
    assert last["trigger"] == "spm run" and last["job_name"] == "spm_nightly"
    assert doc["run_in_progress"] is None and doc["warehouse"]["state"] == "ok"
    assert doc["deadlines"]["configured"] == {} and doc["deadlines"]["entries"] == []

    con = duckdb.connect(str(home.warehouse), read_only=True)
    try:
        expected = con.execute("""
            select ags, list(distinct stichtag order by stichtag), count(*)
            from raw.einwohner group by ags order by ags""").fetchall()
        log = con.execute("select delivery_id, source, file_name, status from raw.delivery_log "
                          "order by delivery_id desc limit 15").fetchall()
        suites = con.execute("select count(*) from raw.gx_results").fetchone()[0]
    finally:
        con.close()
    einwohner = next(s for s in doc["sources"] if s["source"] == "einwohner")
    assert [(m["ags"], m["stichtage"], m["rows"]) for m in einwohner["municipalities"]] == [
        (ags, [d.isoformat() for d in dates], n) for ags, dates, n in expected]
    assert all(m["newest_stichtag"] == m["stichtage"][-1] for m in einwohner["municipalities"])
    assert sum(m["quarantined_rows"] for m in einwohner["municipalities"]) > 0
    raum = next(s for s in doc["sources"] if s["source"] == "raumgliederung")
    assert {g["gliederung"] for g in raum["gliederungen"]} >= {"sozialraum"}
    assert [(d["delivery_id"], d["source"], d["file_name"], d["status"])
            for d in doc["deliveries"]] == [tuple(r) for r in log]
    assert doc["gx"]["suites_checked"] == suites > 0
    assert any(r["source"] == "einwohner" and r["rate_percent"] > 90
               for r in doc["match_rates"])


def test_text_keeps_its_sections_and_says_nothing_is_monitored(demo_run):
    code, text = status_text(demo_run.home)
    assert code == 0
    for line in ("Datenstand je Quelle und Gemeinde", "Adresszuordnung je Quelle",
                 "Letzte Lieferungen", "Veröffentlichte Fassung", "Letzte Läufe",
                 "hat veröffentlicht.", "Ergebnis: in Ordnung (Exit-Code 0)"):
        assert line in text
    section = text.split("Lieferfristen (Stand ")[1].split("\n\n")[0]
    assert "keine eingestellt: keine Quelle wird überwacht (Abschnitt lieferfristen: in " \
           f"{demo_run.home.config / 'settings.yaml'})" in section


def test_an_overdue_source_exits_1(einstellungen):
    home = einstellungen
    # 31.12.2025 + 1 month + 0 days: overdue for every plausible today; 100 years: never
    set_lieferfristen(home, {"einwohner": {"intervall_monate": 1, "frist_tage": 0},
                             "sgb2": {"intervall_monate": 1200, "frist_tage": 30}})
    code, doc = status_json(home)
    assert code == 1 and doc["ok"] is False and doc["exit_code"] == 1
    overdue = [p for p in doc["problems"] if p["kind"] == "overdue"]
    assert {p["source"] for p in overdue} == {"einwohner"} and len(overdue) == 3
    assert kinds(doc) == ["overdue"] * 3
    assert all("ÜBERFÄLLIG seit 01.02.2026" in p["message"] for p in overdue)
    assert doc["deadlines"]["basis"] == "warehouse"
    assert doc["deadlines"]["configured"] == {
        "einwohner": {"intervall_monate": 1, "frist_tage": 0},
        "sgb2": {"intervall_monate": 1200, "frist_tage": 30}}
    entries = {(e["source"], e["ags"]): e for e in doc["deadlines"]["entries"]}
    assert len(entries) == 6
    assert all(e["overdue"] and e["due_date"] == "2026-01-31"
               and e["overdue_since"] == "2026-02-01"
               for (q, _), e in entries.items() if q == "einwohner")
    assert all(not e["overdue"] and e["due_date"] == "2126-01-30" and e["overdue_since"] is None
               for (q, _), e in entries.items() if q == "sgb2")
    einwohner = next(s for s in doc["sources"] if s["source"] == "einwohner")
    assert all(m["overdue"] is True and m["due_date"] == "2026-01-31"
               for m in einwohner["municipalities"])
    hze = next(s for s in doc["sources"] if s["source"] == "hze")
    assert all(m["overdue"] is None for m in hze["municipalities"])

    code, text = status_text(home)
    assert code == 1
    section = text.split("Lieferfristen (Stand ")[1].split("\n\n")[0]
    assert section.count("ÜBERFÄLLIG seit 01.02.2026") == 3
    assert section.count("fällig bis 30.01.2126") == 3
    assert "Ergebnis: 3 Probleme (Exit-Code 1)" in text


def test_deadlines_not_yet_reached_exit_0(einstellungen):
    home = einstellungen
    set_lieferfristen(home, {q: {"intervall_monate": 1200, "frist_tage": 0}
                             for q in ("einwohner", "sgb2", "hze", "seu", "kita", "schule",
                                       "schulabgang", "adressen")})
    code, doc = status_json(home)
    assert code == 0 and doc["problems"] == []
    assert len(doc["deadlines"]["entries"]) == 8 * 3
    assert not any(e["overdue"] for e in doc["deadlines"]["entries"])


def test_a_configured_source_never_delivered_is_overdue(einstellungen):
    home = einstellungen
    set_lieferfristen(home, {"hze": {"intervall_monate": 1200, "frist_tage": 0}})
    con = duckdb.connect(str(home.warehouse))
    try:
        con.execute("create table raw.hze_saved as select * from raw.hze")
        con.execute("delete from raw.hze")
    finally:
        con.close()
    try:
        code, doc = status_json(home)
    finally:
        con = duckdb.connect(str(home.warehouse))
        con.execute("insert into raw.hze select * from raw.hze_saved")
        con.execute("drop table raw.hze_saved")
        con.close()
    assert code == 1 and kinds(doc) == ["never_delivered"]
    assert "hze" in doc["problems"][0]["message"]
    assert "noch nie geliefert" in doc["problems"][0]["message"]
    assert doc["deadlines"]["entries"][0]["never_delivered"] is True


def test_wrong_lieferfristen_exit_1_and_say_where(einstellungen):
    home = einstellungen
    set_lieferfristen(home, {"raumgliederung": {"intervall_monate": 12, "frist_tage": 0}})
    code, doc = status_json(home)
    assert code == 1 and kinds(doc) == ["settings_invalid"]
    message = doc["problems"][0]["message"]
    assert f"{home.config / 'settings.yaml'}: lieferfristen: raumgliederung:" in message
    assert doc["settings"]["valid"] is False
    assert doc["deadlines"]["error"] == doc["settings"]["error"] == message.split(": ", 1)[1]
    # everything else is still there
    assert doc["last_run"]["status"] == "SUCCESS" and doc["sources"]

    set_lieferfristen(home, {"sgb2": {"intervall_monate": 12, "frist_tage": -1}})
    code, text = status_text(home)
    assert code == 1
    assert "lieferfristen: sgb2: frist_tage: ganze Zahl ab 0 erwartet, nicht -1" in text
    assert "Datenstand je Quelle und Gemeinde" in text

    # another section wrong: reported, and the Lieferfristen are still judged
    set_lieferfristen(home, {"einwohner": {"intervall_monate": 1, "frist_tage": 0}},
                      berichte={"anzahl_klassen": 99})
    code, doc = status_json(home)
    assert code == 1 and kinds(doc) == ["settings_invalid"] + ["overdue"] * 3
    assert "anzahl_klassen" in doc["problems"][0]["message"]
    assert doc["deadlines"]["error"] is None and doc["deadlines"]["basis"] == "warehouse"


def test_locked_warehouse_still_gives_valid_json(einstellungen):
    """Another process holds DuckDB's write lock: the runs and the published version are
    still reported, the Lieferfristen judged on the published `datenstand`."""
    home = einstellungen
    set_lieferfristen(home, {"einwohner": {"intervall_monate": 1, "frist_tage": 0}})
    holder = subprocess.Popen(
        [sys.executable, "-c",
         "import duckdb, sys, time\n"
         f"con = duckdb.connect({str(home.warehouse)!r})\n"
         "print('bereit', flush=True)\n"
         "time.sleep(120)\n"],
        stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout.readline().strip() == "bereit"
        code, doc = status_json(home)
        text_code, text = status_text(home)
    finally:
        holder.kill()
        holder.wait()
    assert code == 1 and text_code == 1
    assert doc["warehouse"]["state"] == "locked"
    assert doc["warehouse"]["locked_by_pid"] == holder.pid
    assert kinds(doc)[0] == "warehouse_locked"
    assert "von einem anderen Prozess beschrieben" in doc["problems"][0]["message"]
    assert doc["sources"] is None and doc["deliveries"] is None and doc["gx"] is None
    assert doc["last_run"]["status"] == "SUCCESS"
    assert doc["published_version"]["version"] is not None
    assert doc["deadlines"]["basis"] == "published_version"
    assert kinds(doc)[1:] == ["overdue"] * 3
    assert "Das Warehouse wird gerade von einem anderen Prozess beschrieben" in text
    assert "beurteilt nach der veröffentlichten Fassung" in text
    assert "hat veröffentlicht." in text
    # released again: readable
    code, doc = status_json(home)
    assert doc["warehouse"]["state"] == "ok" and "warehouse_locked" not in kinds(doc)


def test_no_warehouse(tmp_path):
    home = Home(tmp_path / "leer").create()
    code, doc = status_json(home)
    assert code == 1
    assert kinds(doc) == ["no_run", "no_warehouse"]
    assert doc["warehouse"]["state"] == "missing" and doc["sources"] is None
    assert doc["last_run"] is None and doc["published_version"] is None
    code, text = status_text(home)
    assert code == 1 and "Noch kein Warehouse vorhanden" in text


def test_no_run_in_the_log_but_a_published_version_is_fine(demo_run, tmp_path):
    """Run logs are pruned after `laufprotokolle_behalten_tage`, and a quiet schedule starts
    no run: the published version then stands on its own."""
    home = copy_home(demo_run.home, tmp_path / "home", ohne=("dagster",))
    code, doc = status_json(home)
    assert code == 0 and doc["problems"] == []
    assert doc["last_run"] is None and doc["recent_runs"] == []
    assert "es gilt die veröffentlichte Fassung" in doc["notes"][0]


def nightly_runs(home: Home) -> list:
    instance = dg.DagsterInstance.from_config(str(home.dagster_home))
    try:
        return [r.dagster_run for r in instance.get_run_records(
            filters=dg.RunsFilter(job_name="spm_nightly"))]
    finally:
        instance.dispose()


def _sqlite_free(path: Path) -> bool:
    """Whether no connection holds the write lock of a SQLite file (WAL mode: readers are
    never stopped, but the status reader's instance may write, e.g. at its set-up)."""
    import sqlite3

    try:
        con = sqlite3.connect(path, timeout=0.05, isolation_level=None)
        try:
            con.execute("begin immediate")
            con.execute("rollback")
        finally:
            con.close()
        return True
    except sqlite3.OperationalError:
        return False


def freeze_between_writes(run: subprocess.Popen, home: Home) -> bool:
    """SIGSTOP the run at a moment when it is not writing its SQLite files: a process
    frozen inside a write transaction would hold the lock for as long as it is stopped (a
    running process ends its write within milliseconds)."""
    for _ in range(200):
        run.send_signal(signal.SIGSTOP)
        if all(_sqlite_free(db) for db in (home.dagster_home / "history").rglob("*.db")):
            return True
        run.send_signal(signal.SIGCONT)
        time.sleep(0.02)
    raise AssertionError("the run never paused between two writes of its run storage")


def test_failed_run_exits_1_and_a_run_in_progress_is_no_failure(demo_run, tmp_path):
    """A row breaking the contract makes the next run fail. While it runs (frozen with
    SIGSTOP once the instance shows it), the verdict of the run before counts: exit 0.
    Afterwards exit 1 with the reasons and the failure message of that run."""
    home = copy_home(demo_run.home, tmp_path / "home")
    before = nightly_runs(home)[0]
    known = {r.run_id for r in nightly_runs(home)}
    con = duckdb.connect(str(home.warehouse))
    con.execute("update raw.einwohner set geschlecht = 'x' where rowid in "
                "(select rowid from raw.einwohner limit 3)")
    con.close()
    run = subprocess.Popen([SPM, "--home", str(home.root), "run", "--erzwingen"],
                           stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    frozen = False
    try:
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline and run.poll() is None:
            if {r.run_id for r in nightly_runs(home)} - known:
                frozen = freeze_between_writes(run, home)
                break
            time.sleep(0.2)
        assert frozen, "the run never showed up in the instance"
        (current,) = [r for r in nightly_runs(home) if r.run_id not in known]
        code, doc = status_json(home)
        # the same frozen run, judged as if it had been silent for longer than allowed
        # (its process killed): a problem of its own
        saved = dict(os.environ)
        try:
            stale = collect_status(home, stale_after=dt.timedelta(0))
        finally:
            os.environ.clear()
            os.environ.update(saved)
    finally:
        if frozen:
            run.send_signal(signal.SIGCONT)
        output = run.communicate(timeout=600)[0].decode("utf-8", "replace")
    assert current.status.value in ("NOT_STARTED", "STARTING", "STARTED")
    assert code == 0, doc["problems"]
    assert doc["run_in_progress"]["run_id"] == current.run_id
    assert doc["last_run"]["run_id"] == before.run_id
    assert doc["warehouse"]["state"] in ("ok", "locked")
    assert doc["run_in_progress"]["stale"] is False
    assert dt.datetime.fromisoformat(doc["run_in_progress"]["last_event_at"]) <= \
        dt.datetime.fromisoformat(doc["generated_at"]) + dt.timedelta(seconds=1)
    assert stale["run_in_progress"]["stale"] is True
    assert [p["kind"] for p in stale["problems"]] == ["run_stale"]
    assert stale["problems"][0]["run_id"] == current.run_id
    assert "keine Aktivität mehr" in stale["problems"][0]["message"]
    assert run.returncode == 1, output

    failed = current.run_id
    letzte = home.logs / "fehlermeldungen" / "letzte.json"
    letzte.parent.mkdir(parents=True, exist_ok=True)
    letzte.write_text(json.dumps({"lauf_id": failed, "zeitpunkt": "2026-03-02T02:05:00+01:00",
                                  "text": "Der nächtliche Lauf ist fehlgeschlagen.",
                                  "datei": str(letzte.parent / "lauf.txt")}), "utf-8")
    code, doc = status_json(home)
    assert code == 1 and kinds(doc) == ["run_failed"]
    last = doc["last_run"]
    assert (last["run_id"], last["status"], last["published"], last["trigger"]) == (
        failed, "FAILURE", False, "spm run")
    assert any("Prüfung einwohner_contract (raw/einwohner) nicht bestanden" in r
               for r in last["reasons"])
    assert doc["run_in_progress"] is None
    assert "ist fehlgeschlagen; die zuletzt veröffentlichte Fassung wurde beibehalten" in \
        doc["problems"][0]["message"]
    assert doc["published_version"]["run_id"] == before.run_id
    assert doc["last_failure_message"] == {
        "run_id": failed, "created_at": "2026-03-02T02:05:00+01:00",
        "text": "Der nächtliche Lauf ist fehlgeschlagen.",
        "file": str(letzte.parent / "lauf.txt"), "record": str(letzte)}
    code, text = status_text(home)
    assert code == 1
    assert "ACHTUNG: Der letzte Lauf" in text and "geschlecht mit unbekanntem Code: 3" in text
    assert f"Fehlermeldung: {letzte.parent / 'lauf.txt'}" in text

    # a failure message of an older run is not this run's
    letzte.write_text(json.dumps({"lauf_id": before.run_id, "zeitpunkt": "x", "text": "alt",
                                  "datei": "alt.txt"}), "utf-8")
    code, doc = status_json(home)
    assert code == 1 and doc["last_failure_message"] is None


def test_a_run_storage_locked_for_a_moment_is_read_after_waiting(kopie):
    """A run writing its events may hold SQLite's write lock for a moment; `spm status`
    waits and reads the runs instead of reporting them unreadable."""
    import sqlite3
    import threading

    runs_db = kopie.dagster_home / "history" / "runs.db"
    assert runs_db.is_file()
    locked, release = threading.Event(), threading.Event()

    def writer():
        con = sqlite3.connect(runs_db, timeout=5, isolation_level=None)
        # (the run storage is in WAL mode, where a plain write transaction does not stop
        # readers; the exclusive locking mode does, as a writer mid-checkpoint can)
        con.execute("pragma locking_mode = exclusive")
        con.execute("begin exclusive")
        locked.set()
        release.wait(30)
        con.execute("rollback")
        con.close()

    thread = threading.Thread(target=writer)
    thread.start()
    assert locked.wait(10)
    # longer than SQLite's busy timeout (5 s) of one attempt
    timer = threading.Timer(6.5, release.set)
    timer.start()
    saved = dict(os.environ)
    try:
        doc = collect_status(kopie)
    finally:
        os.environ.clear()
        os.environ.update(saved)
        release.set()
        timer.cancel()
        thread.join()
    assert "runs_unreadable" not in kinds(doc), doc["problems"]
    assert doc["last_run"] is not None and doc["recent_runs"]
