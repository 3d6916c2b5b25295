"""`spm status`: what the office needs to see each morning, as German text or, with
`--json`, as one JSON document for monitoring (its keys: docs/betrieb.md).

Both come from one collection (`collect_status`): the warehouse (read-only, closed again at
once), the published version, the Dagster instance (the runs of the job `spm_nightly`),
the last failure message in `logs/fehlermeldungen/letzte.json` and the Lieferfristen.
The exit code is 0 when nothing needs attention, else 1; every reason is a problem with a
kind code and a German message.
"""

import contextlib
import datetime as dt
import json
import os
import re
import sys
import time
from collections.abc import Callable
from pathlib import Path

import duckdb

from dagster_project.betrieb import fristen, sperre
from dagster_project.betrieb.laufbericht import run_problems
from dagster_project.betrieb.meldungen import (  # noqa: F401 (published_version re-exported)
    published_version,
    status_zeilen,
    veroeffentlichte_fassung,
)
from ingestion import warehouse
from ingestion.home import SOURCES, Home

SCHEMA_VERSION = 1
NIGHTLY_JOB = "spm_nightly"
TRIGGER_TAG = "spm/ausloeser"
FAILURE_MESSAGE = Path("fehlermeldungen") / "letzte.json"   # under logs/
IN_PROGRESS = ("QUEUED", "NOT_STARTED", "STARTING", "STARTED", "CANCELING")
# a run still "in progress" without any event for this long has died (its process was
# killed or the machine went down): Dagster cannot mark an in-process run as failed then
STALE_AFTER = dt.timedelta(hours=4)
RECENT_RUNS = 5
RECENT_DELIVERIES = 15
GX_SHOWN = 10


# ---------------------------------------------------------------------------------------
# collecting


def _problem(doc: dict, kind: str, message: str, **details) -> None:
    doc["problems"].append({"kind": kind, "message": message, **details})


def _moment(timestamp: float | None) -> dt.datetime | None:
    return None if timestamp is None else dt.datetime.fromtimestamp(timestamp).astimezone()


def collect_status(home: Home, heute: dt.date | None = None,
                   jetzt: dt.datetime | None = None,
                   stale_after: dt.timedelta = STALE_AFTER) -> dict:
    """The whole status as one document (Python values; dates and times as `date` and
    aware `datetime`). `heute` is the day the Lieferfristen are judged on (default: the
    local date); a run in progress without an event for `stale_after` counts as died."""
    jetzt = jetzt or dt.datetime.now().astimezone()
    heute = heute or jetzt.date()
    doc = {
        "schema_version": SCHEMA_VERSION,
        "generated_at": jetzt,
        "home": str(home.root),
        "ok": True,
        "exit_code": 0,
        "problems": [],
        "notes": [],
        "settings": {"path": str(home.config / "settings.yaml"), "valid": True, "error": None},
        "warehouse": {"path": str(home.warehouse), "state": "ok", "message": None,
                      "locked_by_pid": None},
        "last_run": None,
        "run_in_progress": None,
        "recent_runs": [],
        "last_failure_message": None,
        "published_version": None,
        "deadlines": {"reference_date": heute, "configured": {}, "error": None,
                      "basis": None, "entries": []},
        "sources": None,
        "match_rate_minimum_percent": None,
        "match_rates": None,
        "gx": None,
        "deliveries": None,
    }
    settings, frist_config = _settings(home, doc)
    _published(home, doc)
    _runs(home, doc, jetzt, stale_after)
    _verdict(doc)
    _warehouse(home, doc, settings, frist_config)
    _deadlines(home, doc, frist_config, heute)
    doc["exit_code"] = 1 if doc["problems"] else 0
    doc["ok"] = not doc["problems"]
    return doc


def _settings(home: Home, doc: dict):
    """(settings or None, checked Lieferfristen); a wrong value is a problem, the rest of
    the status is still collected (with default settings where needed)."""
    from dagster_project.settings import load_settings
    from ingestion import settings as file_settings

    path = home.config / "settings.yaml"
    settings = None
    try:
        settings = load_settings(home.config)
    except ValueError as exc:
        doc["settings"].update(valid=False, error=str(exc))
        _problem(doc, "settings_invalid", f"Einstellungen fehlerhaft: {exc}")
        with contextlib.suppress(ValueError):
            settings = file_settings.load_settings(home.config)
    if settings is None:
        doc["deadlines"]["error"] = doc["settings"]["error"]
        return None, {}
    try:
        config = fristen.lieferfristen(settings.lieferfristen, path)
    except ValueError as exc:
        doc["deadlines"]["error"] = str(exc)
        if doc["settings"]["valid"]:
            doc["settings"].update(valid=False, error=str(exc))
            _problem(doc, "settings_invalid", f"Einstellungen fehlerhaft: {exc}")
        return settings, {}
    doc["deadlines"]["configured"] = {
        q: {"intervall_monate": f.intervall_monate, "frist_tage": f.frist_tage}
        for q, f in config.items()}
    return settings, config


def _published(home: Home, doc: dict) -> None:
    fassung = veroeffentlichte_fassung(home)
    if fassung is None:
        return
    from dagster_project.publishing.versions import aktuelle_version

    folder = aktuelle_version(home) if fassung.version else None
    doc["published_version"] = {
        "version": fassung.version, "published_at": fassung.zeitpunkt.astimezone(),
        "run_id": fassung.lauf_id, "path": str(home.published_db),
        "folder": str(folder) if folder else None}


def _version_text(version: dict | None) -> str | None:
    if version is None:
        return None
    when = version["published_at"]
    if version["version"] is None:
        return f"Stand {when:%d.%m.%Y %H:%M}"
    run = f", Lauf {version['run_id'][:8]}" if version["run_id"] else ""
    return f"Fassung {version['version']} vom {when:%d.%m.%Y %H:%M}{run}"


def _run_entry(record) -> dict:
    run = record.dagster_run
    return {"run_id": run.run_id, "job_name": run.job_name, "status": run.status.value,
            "start_time": _moment(record.start_time), "end_time": _moment(record.end_time),
            "trigger": run.tags.get(TRIGGER_TAG)}


# a run that started this long ago and holds no writer lock has died (a run takes the lock
# within seconds of its start: betrieb/sperre.py)
OHNE_SPERRE = dt.timedelta(minutes=2)


def _in_progress(home: Home, instance, record, jetzt: dt.datetime,
                 stale_after: dt.timedelta) -> dict:
    entry = _run_entry(record)
    events = instance.get_records_for_run(record.dagster_run.run_id, limit=1,
                                          ascending=False).records
    last = (_moment(events[0].event_log_entry.timestamp) if events
            else record.create_timestamp.astimezone())
    entry["last_event_at"] = last
    # its process is gone when nobody holds the home's writer lock (the kernel released
    # the lock of a killed process); else only a long silence tells
    entry["stale"] = (jetzt - last > stale_after
                      or sperre.ohne_sperre_seit(home, record, jetzt.timestamp(),
                                                 OHNE_SPERRE.total_seconds()))
    return entry


# SQLite run storage: a reader may find the database locked while a run writes its events
# (more often on a loaded machine); `spm status` tries again before it reports a problem
LESEVERSUCHE = 4


def _runs_lesen(home: Home, instance, doc: dict, jetzt: dt.datetime,
                stale_after: dt.timedelta) -> None:
    import dagster as dg

    doc["recent_runs"] = [_run_entry(r) for r in instance.get_run_records(limit=RECENT_RUNS)]
    nightly = instance.get_run_records(filters=dg.RunsFilter(job_name=NIGHTLY_JOB), limit=50)
    for record in nightly:
        if record.dagster_run.status.value in IN_PROGRESS:
            doc["run_in_progress"] = doc["run_in_progress"] or _in_progress(
                home, instance, record, jetzt, stale_after)
            continue
        last = _run_entry(record)
        last["published"], last["reasons"] = run_problems(instance, record.dagster_run.run_id)
        # what to do, as the failure message says it (empty unless it failed)
        last["what_to_do"] = status_zeilen(home, instance, record.dagster_run.run_id)
        doc["last_run"] = last
        break


def _runs(home: Home, doc: dict, jetzt: dt.datetime, stale_after: dt.timedelta) -> None:
    """The recent runs, the newest run of the nightly job in progress (if any) and the
    newest finished one with its verdict (published? why not?)."""
    if not (home.dagster_home / "dagster.yaml").exists():
        return
    os.environ["DAGSTER_HOME"] = str(home.dagster_home)
    import dagster as dg

    for versuch in range(1, LESEVERSUCHE + 1):
        doc.update(recent_runs=[], run_in_progress=None, last_run=None)
        try:
            instance = dg.DagsterInstance.get()
            try:
                _runs_lesen(home, instance, doc, jetzt, stale_after)
            finally:
                instance.dispose()
            break
        except Exception as exc:  # noqa: BLE001 - the status must still say what it knows
            if versuch < LESEVERSUCHE and "database is locked" in str(exc):
                time.sleep(versuch)     # a run is writing its events (SQLite): try again
                continue
            _problem(doc, "runs_unreadable",
                     f"Die Läufe im Orchestrator ({home.dagster_home}) sind nicht lesbar: "
                     f"{str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__}")
            return
    _failure_message(home, doc)
    running = doc["run_in_progress"]
    if running is not None and running["stale"]:
        _problem(doc, "run_stale",
                 f"Der Lauf {running['run_id'][:8]}"
                 + (f" (gestartet {_when(running['start_time'])})"
                    if running["start_time"] else "")
                 + " gilt noch als laufend, zeigt aber seit "
                 f"{_when(running['last_event_at'])} keine Aktivität mehr: sein Prozess wurde "
                 "vermutlich beendet. In der Dagster-Oberfläche beenden (Terminate) und "
                 "spm run starten.", run_id=running["run_id"])


def _failure_message(home: Home, doc: dict) -> None:
    """`logs/fehlermeldungen/letzte.json` when it belongs to the newest finished run."""
    path = home.logs / FAILURE_MESSAGE
    if doc["last_run"] is None or not path.is_file():
        return
    try:
        meta = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return
    if not isinstance(meta, dict) or meta.get("lauf_id") != doc["last_run"]["run_id"]:
        return
    doc["last_failure_message"] = {"run_id": meta.get("lauf_id"),
                                   "created_at": meta.get("zeitpunkt"),
                                   "text": meta.get("text"), "file": meta.get("datei"),
                                   "record": str(path)}


_LOCK_PID = re.compile(r"PID (\d+)")


def _warehouse(home: Home, doc: dict, settings, frist_config) -> None:
    state = doc["warehouse"]
    # damaged, or lost although deliveries were received: the way out (spm rebuild)
    problem = warehouse.check(home)
    if problem is not None:
        state.update(state="damaged" if home.warehouse.exists() else "lost", message=problem)
        _problem(doc, "warehouse_damaged" if home.warehouse.exists() else "warehouse_lost",
                 problem)
        return
    if not home.warehouse.exists():
        state.update(state="missing", message="Noch kein Warehouse vorhanden: es wurde noch "
                     "nichts geladen (spm run oder spm demo).")
        _problem(doc, "no_warehouse", state["message"])
        return
    try:
        con = duckdb.connect(str(home.warehouse), read_only=True)
    except duckdb.Error as exc:
        text = str(exc)
        if isinstance(exc, duckdb.IOException) and "lock" in text.lower():
            pid = _LOCK_PID.search(text)
            state.update(state="locked", locked_by_pid=int(pid.group(1)) if pid else None)
            who = f" (Prozess {state['locked_by_pid']})" if state["locked_by_pid"] else ""
            running = doc["run_in_progress"]
            if running is not None and not running["stale"]:
                state["message"] = (
                    f"Das Warehouse wird gerade vom laufenden Lauf beschrieben{who}; "
                    "Datenstand, Adresszuordnung und Lieferungen sind danach wieder lesbar.")
            else:
                state["message"] = (
                    f"Das Warehouse wird gerade von einem anderen Prozess beschrieben{who}, "
                    "nicht von einem nächtlichen Lauf (z. B. spm ingest); bitte später "
                    "erneut versuchen.")
                _problem(doc, "warehouse_locked", state["message"])
        else:
            state.update(state="unreadable",
                         message=f"Das Warehouse ist nicht lesbar: {text.splitlines()[0]}")
            _problem(doc, "warehouse_unreadable", state["message"])
        return
    try:
        doc["sources"] = _sources(con)
        minimum = settings.min_zuordnungsquote if settings is not None else 95.0
        doc["match_rate_minimum_percent"] = minimum
        doc["match_rates"] = _match_rates(con, minimum)
        doc["gx"] = _gx(con)
        doc["deliveries"] = _deliveries(con)
        if frist_config:
            doc["deadlines"]["entries"] = fristen.neueste_stichtage(con, list(frist_config))
            doc["deadlines"]["basis"] = "warehouse"
    except duckdb.Error as exc:
        state.update(state="unreadable",
                     message=f"Das Warehouse ist nicht lesbar: {str(exc).splitlines()[0]}")
        _problem(doc, "warehouse_unreadable", state["message"])
    finally:
        con.close()


def _sources(con) -> list[dict]:
    result = []
    for source in SOURCES:
        if source == "raumgliederung":
            rows = con.execute("""
                select gliederung, list(distinct gueltig_ab order by gueltig_ab), count(*)
                from raw.raumgliederung group by gliederung order by 1""").fetchall()
            result.append({"source": source, "delivered": bool(rows), "gliederungen": [
                {"gliederung": g, "gueltig_ab": dates, "rows": n} for g, dates, n in rows]})
            continue
        rows = con.execute(f"""
            select ags, list(distinct stichtag order by stichtag), count(*)
            from raw.{source} group by ags order by ags""").fetchall()
        quarantined = dict(con.execute("""
            select q.ags, count(distinct (q.delivery_id, q.line_no))
            from raw.quarantine q join raw.delivery_log l using (delivery_id)
            where q.source = ? and l.status in ('loaded', 'replaced') group by 1""",
                                       [source]).fetchall())
        result.append({"source": source, "delivered": bool(rows), "municipalities": [
            {"ags": ags, "stichtage": dates, "newest_stichtag": dates[-1] if dates else None,
             "rows": count, "quarantined_rows": quarantined.get(ags, 0),
             "due_date": None, "overdue": None}
            for ags, dates, count in rows]})
    return result


def _match_rates(con, minimum: float) -> list[dict]:
    from dagster_project.quality.report import match_rates

    return [{"source": quelle, "stichtag": stichtag, "ags": ags, "records": records,
             "unmatched": unmatched, "rate_percent": rate,
             "below_minimum": rate is not None and rate < minimum}
            for quelle, stichtag, ags, records, unmatched, rate in match_rates(con)]


def _gx(con) -> dict:
    failed = con.execute("""
        select suite, failed, evaluated from raw.gx_results where not success
        order by suite""").fetchall()
    total = con.execute(
        "select count(*), count(*) filter (where success) from raw.gx_results").fetchone()
    return {"suites_checked": total[0], "suites_passed": total[1],
            "failed": [{"suite": s, "failed": f, "evaluated": e} for s, f, e in failed]}


def _deliveries(con) -> list[dict]:
    rows = con.execute(f"""
        select delivery_id, source, stichtag, file_name, status, rows_loaded, rows_quarantined,
               received_at, message
        from raw.delivery_log order by delivery_id desc limit {RECENT_DELIVERIES}""").fetchall()
    return [{"delivery_id": d, "source": s, "stichtag": st, "file_name": f, "status": status,
             "rows_loaded": loaded or 0, "rows_quarantined": quarantined or 0,
             "received_at": received,
             "rejection_reason": message if status == "rejected" else None}
            for d, s, st, f, status, loaded, quarantined, received, message in rows]


def _deadlines(home: Home, doc: dict, config: dict, heute: dt.date) -> None:
    """Judge the Lieferfristen on the warehouse's newest Stichtage, or, when the warehouse
    cannot be read, on the published table `datenstand`."""
    section = doc["deadlines"]
    if not config:
        return
    neueste = section["entries"]
    if section["basis"] is None:        # the warehouse could not be read
        section["entries"] = []
        if not home.published_db.exists():
            return
        try:
            neueste = fristen.neueste_stichtage_veroeffentlicht(home.published_db, config)
        except duckdb.Error:
            return
        section["basis"] = "published_version"
    verdicts = fristen.fristen_pruefen(config, neueste, heute)
    section["entries"] = [
        {"source": v.quelle, "ags": v.ags, "newest_stichtag": v.neuester_stichtag,
         "next_stichtag": v.naechster_stichtag, "due_date": v.faellig_bis,
         "overdue": v.ueberfaellig, "overdue_since": v.ueberfaellig_seit,
         "never_delivered": v.nie_geliefert, "message": v.meldung()}
        for v in verdicts]
    by_key = {(v.quelle, v.ags): v for v in verdicts}
    for source in doc["sources"] or []:
        for entry in source.get("municipalities", []):
            verdict = by_key.get((source["source"], entry["ags"]))
            if verdict is not None:
                entry.update(due_date=verdict.faellig_bis, overdue=verdict.ueberfaellig)
    for verdict in verdicts:
        if verdict.ueberfaellig:
            _problem(doc, "never_delivered" if verdict.nie_geliefert else "overdue",
                     verdict.meldung(), source=verdict.quelle, ags=verdict.ags)


def _when(moment: dt.datetime | None) -> str:
    return "" if moment is None else f"{moment:%d.%m.%Y %H:%M}"


def _verdict(doc: dict) -> None:
    """The problem of the newest finished nightly run (a run in progress is none)."""
    last, kept = doc["last_run"], _version_text(doc["published_version"])
    if last is None:
        if kept is None:
            _problem(doc, "no_run", "Noch kein abgeschlossener nächtlicher Lauf und keine "
                                    "veröffentlichte Fassung (spm run).")
        elif doc["run_in_progress"] is None:
            doc["notes"].append("Kein abgeschlossener nächtlicher Lauf im Protokoll des "
                                f"Orchestrators; es gilt die veröffentlichte Fassung ({kept}).")
        return
    if last["published"] and last["status"] == "SUCCESS":
        return
    outcome = {"FAILURE": "ist fehlgeschlagen", "CANCELED": "wurde abgebrochen"}.get(
        last["status"], "hat nicht veröffentlicht")
    kind = {"FAILURE": "run_failed", "CANCELED": "run_canceled"}.get(
        last["status"], "run_not_published")
    message = (f"Der letzte Lauf vom {_when(last['start_time'])} ({last['run_id'][:8]}) "
               f"{outcome}; "
               + ("die zuletzt veröffentlichte Fassung wurde beibehalten "
                  f"({kept})." if kept and not last["published"] else
                  "es gibt noch keine veröffentlichte Fassung." if not kept else
                  "die Veröffentlichung ist erfolgt, danach schlug ein Schritt fehl."))
    _problem(doc, kind, message, run_id=last["run_id"])


# ---------------------------------------------------------------------------------------
# output


def _json_value(value):
    if isinstance(value, dt.datetime):
        return value.isoformat(timespec="seconds")
    if isinstance(value, dt.date):
        return value.isoformat()
    raise TypeError(f"not JSON serialisable: {value!r}")


def status_json(doc: dict) -> str:
    return json.dumps(doc, ensure_ascii=False, indent=2, default=_json_value)


def print_status_json(home: Home, heute: dt.date | None = None) -> int:
    """The status as one JSON document (UTF-8) on stdout, nothing else; the exit code."""
    with contextlib.redirect_stdout(sys.stderr):    # a stray print must not break the JSON
        doc = collect_status(home, heute)
    sys.stdout.buffer.write((status_json(doc) + "\n").encode("utf-8"))
    sys.stdout.flush()
    return doc["exit_code"]


def _fmt_date(value) -> str:
    return value.strftime("%d.%m.%Y") if value is not None else "–"


def _date_span(dates: list) -> str:
    """`31.12.2021, 31.12.2022` or, for more than three, `31.12.2021 … 31.12.2025 (5)`."""
    if len(dates) <= 3:
        return ", ".join(_fmt_date(d) for d in dates)
    return f"{_fmt_date(dates[0])} … {_fmt_date(dates[-1])} ({len(dates)})"


def print_status(home: Home, say: Callable[[str], None], heute: dt.date | None = None) -> int:
    """The status as German text; the exit code (0: nothing needs attention)."""
    doc = collect_status(home, heute)
    say(f"SPM-Home: {home.root}")
    if doc["warehouse"]["message"]:
        say(doc["warehouse"]["message"])
    if doc["sources"] is not None:
        _say_sources(doc, say)
    _say_deadlines(doc, say)
    if doc["sources"] is not None:
        _say_match_rates(doc, say)
        _say_gx(doc, say)
        _say_deliveries(doc, say)
    _say_published(home, doc, say)
    _say_runs(home, doc, say)
    _say_result(doc, say)
    return doc["exit_code"]


def _say_sources(doc: dict, say) -> None:
    say("")
    say("Datenstand je Quelle und Gemeinde")
    say(f"  {'Quelle':<15} {'Gemeinde':<10} {'Stichtage':<40} {'Zeilen':>9} {'Quarantäne':>10}")
    for entry in doc["sources"]:
        source = entry["source"]
        if not entry["delivered"]:
            say(f"  {source:<15} {'–':<10} {'keine Lieferung':<40}")
        for g in entry.get("gliederungen", []):
            dates = ", ".join(_fmt_date(d) for d in g["gueltig_ab"])
            say(f"  {source:<15} {g['gliederung']:<10} {'gültig ab ' + dates:<40} "
                f"{g['rows']:>9} {'':>10}")
        for m in entry.get("municipalities", []):
            say(f"  {source:<15} {m['ags']:<10} {_date_span(m['stichtage']):<40} "
                f"{m['rows']:>9} {m['quarantined_rows']:>10}")


def _say_deadlines(doc: dict, say) -> None:
    section = doc["deadlines"]
    say("")
    say(f"Lieferfristen (Stand {_fmt_date(section['reference_date'])})")
    if section["error"]:
        say(f"  nicht geprüft: {section['error']}")
        return
    if not section["configured"]:
        say(f"  keine eingestellt: keine Quelle wird überwacht (Abschnitt lieferfristen: in "
            f"{doc['settings']['path']})")
        return
    say("  eingestellt: " + "; ".join(
        f"{q} " + ("jeden Monat" if c["intervall_monate"] == 1
                   else f"alle {c['intervall_monate']} Monate")
        + f", Frist {c['frist_tage']} Tag{'' if c['frist_tage'] == 1 else 'e'}"
        for q, c in section["configured"].items()))
    if section["basis"] is None:
        say("  nicht beurteilbar: weder das Warehouse noch eine veröffentlichte Fassung ist "
            "lesbar")
        return
    if section["basis"] == "published_version":
        say("  (beurteilt nach der veröffentlichten Fassung, Tabelle datenstand: das Warehouse "
            "ist gerade nicht lesbar)")
    for e in section["entries"]:
        if e["never_delivered"]:
            say(f"  {e['source']:<15} {'–':<10} keine Lieferung                     "
                "ÜBERFÄLLIG (noch nie geliefert)")
            continue
        verdict = (f"ÜBERFÄLLIG seit {_fmt_date(e['overdue_since'])}" if e["overdue"]
                   else f"fällig bis {_fmt_date(e['due_date'])}")
        say(f"  {e['source']:<15} {e['ags']:<10} Stichtag {_fmt_date(e['newest_stichtag'])}, "
            f"nächster {_fmt_date(e['next_stichtag'])}: {verdict}")


def _say_match_rates(doc: dict, say) -> None:
    minimum = doc["match_rate_minimum_percent"]
    say("")
    say(f"Adresszuordnung je Quelle, Stichtag und Gemeinde (Mindestquote {minimum:g} %)")
    if not doc["match_rates"]:
        say("  noch nicht berechnet (nach dem nächsten spm run)")
    for r in doc["match_rates"]:
        rate = r["rate_percent"]
        mark = "  UNTER MINDESTQUOTE" if r["below_minimum"] else ""
        rate_text = "–" if rate is None else f"{rate:.1f}".replace(".", ",") + " %"
        say(f"  {r['source']:<15} {_fmt_date(r['stichtag']):<10} {r['ags']:<10} "
            f"{r['records']:>8} Datensätze {r['unmatched']:>6} ohne Zuordnung  "
            f"{rate_text:>8}{mark}")


def _say_gx(doc: dict, say) -> None:
    gx = doc["gx"]
    say("")
    say(f"Datenprüfungen (Great Expectations): {gx['suites_checked']} Quellen geprüft, "
        f"{gx['suites_passed']} bestanden")
    for f in gx["failed"][:GX_SHOWN]:
        say(f"  NICHT BESTANDEN: {f['suite']}: {f['failed']} von {f['evaluated']} Erwartungen "
            "verletzt")


def _say_deliveries(doc: dict, say) -> None:
    say("")
    say("Letzte Lieferungen")
    if not doc["deliveries"]:
        say("  keine")
    labels = {"loaded": "geladen", "rejected": "ABGEWIESEN", "duplicate": "doppelt",
              "replaced": "ersetzt"}
    for d in doc["deliveries"]:
        say(f"  #{d['delivery_id']:<4} {d['received_at']:%d.%m.%Y %H:%M}  {d['source']:<15} "
            f"{_fmt_date(d['stichtag']):<10} {labels.get(d['status'], d['status']):<10} "
            f"{d['rows_loaded']:>8} geladen {d['rows_quarantined']:>6} Quar.  {d['file_name']}")
        if d["status"] == "rejected":
            say(f"        Grund: {d['rejection_reason']}")


def _say_published(home: Home, doc: dict, say) -> None:
    say("")
    say("Veröffentlichte Fassung")
    version = _version_text(doc["published_version"])
    if version is None:
        say("  noch keine")
        return
    say(f"  {home.published_db} ({version})")


def _say_runs(home: Home, doc: dict, say) -> None:
    say("")
    say("Letzte Läufe")
    running, last = doc["run_in_progress"], doc["last_run"]
    if running is not None and running["stale"]:
        say(f"  ACHTUNG: Ein Lauf gilt noch als laufend (gestartet "
            f"{_when(running['start_time'])}, {running['run_id'][:8]}), zeigt aber seit "
            f"{_when(running['last_event_at'])} keine Aktivität mehr.")
    elif running is not None:
        say(f"  Ein Lauf läuft gerade (gestartet {_when(running['start_time'])}, "
            f"{running['run_id'][:8]}).")
    if last is not None:
        prefix = "Davor: " if running is not None else ""
        run_problem = next((p for p in doc["problems"]
                            if p.get("run_id") == last["run_id"]), None)
        if run_problem is None:
            say(f"  {prefix}Der letzte Lauf vom {_when(last['start_time'])} "
                f"({last['run_id'][:8]}) hat veröffentlicht.")
        else:
            say(f"  {prefix}ACHTUNG: {run_problem['message']}")
            say("  Grund:")
            for reason in last["reasons"]:
                say(f"    - {reason}")
            for line in last.get("what_to_do", []):
                say(line)
            if doc["last_failure_message"] is not None:
                say(f"  Fehlermeldung: {doc['last_failure_message']['file']}")
    if not doc["recent_runs"]:
        say("  keine")
        return
    for run in doc["recent_runs"]:
        say(f"  {_when(run['start_time']):<16} {run['job_name']:<12} {run['status']:<10} "
            f"{run['run_id'][:8]}")


def _say_result(doc: dict, say) -> None:
    say("")
    for note in doc["notes"]:
        say(f"Hinweis: {note}")
    if not doc["problems"]:
        say("Ergebnis: in Ordnung (Exit-Code 0)")
        return
    count = len(doc["problems"])
    say(f"Ergebnis: {count} {'Problem' if count == 1 else 'Probleme'} (Exit-Code 1)")
    for problem in doc["problems"]:
        say(f"  - {problem['message']}")
