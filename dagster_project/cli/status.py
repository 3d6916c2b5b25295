"""`spm status`: what the office needs to see each morning."""

import datetime as dt
import json
from collections.abc import Callable

import duckdb

from dagster_project.betrieb.laufbericht import run_problems
from ingestion import warehouse
from ingestion.home import SOURCES, Home


def _fmt_date(value) -> str:
    return value.strftime("%d.%m.%Y") if value is not None else "–"


def print_status(home: Home, say: Callable[[str], None]) -> int:
    say(f"SPM-Home: {home.root}")
    try:
        con = warehouse.connect(home, read_only=True)
    except warehouse.WarehouseFehler as exc:
        # damaged, or lost although deliveries were received: the way out, and what readers
        # still have
        say(f"FEHLER: {exc}")
        _published(home, say)
        return 1
    except duckdb.IOException:
        if not home.warehouse.exists():
            say("Noch kein Warehouse vorhanden: es wurde noch nichts geladen (spm run oder "
                "spm demo).")
        else:
            say("Das Warehouse wird gerade von einem Lauf beschrieben; bitte später erneut "
                "versuchen.")
        return 1
    try:
        _sources(con, say)
        _match_rates(con, home, say)
        _gx(con, say)
        _deliveries(con, say)
    finally:
        con.close()
    _published(home, say)
    _runs(home, say)
    return 0


def _sources(con, say) -> None:
    say("")
    say("Datenstand je Quelle und Gemeinde")
    say(f"  {'Quelle':<15} {'Gemeinde':<10} {'Stichtage':<40} {'Zeilen':>9} {'Quarantäne':>10}")
    for source in SOURCES:
        if source == "raumgliederung":
            rows = con.execute(
                "select gliederung, string_agg(distinct strftime(gueltig_ab, '%d.%m.%Y'), ', '), "
                "count(*) from raw.raumgliederung group by gliederung order by 1").fetchall()
            if not rows:
                say(f"  {source:<15} {'–':<10} {'keine Lieferung':<40}")
            for gliederung, dates, count in rows:
                say(f"  {source:<15} {gliederung:<10} {'gültig ab ' + dates:<40} {count:>9} {'':>10}")
            continue
        rows = con.execute(f"""
            select ags, list(distinct stichtag order by stichtag), count(*)
            from raw.{source} group by ags order by ags""").fetchall()
        quarantined = dict(con.execute("""
            select q.ags, count(distinct (q.delivery_id, q.line_no))
            from raw.quarantine q join raw.delivery_log l using (delivery_id)
            where q.source = ? and l.status in ('loaded', 'replaced') group by 1""", [source]).fetchall())
        if not rows:
            say(f"  {source:<15} {'–':<10} {'keine Lieferung':<40}")
        for ags, dates, count in rows:
            say(f"  {source:<15} {ags:<10} {_date_span(dates):<40} {count:>9} "
                f"{quarantined.get(ags, 0):>10}")


def _date_span(dates: list) -> str:
    """`31.12.2021, 31.12.2022` or, for more than three, `31.12.2021 … 31.12.2025 (5)`."""
    if len(dates) <= 3:
        return ", ".join(_fmt_date(d) for d in dates)
    return f"{_fmt_date(dates[0])} … {_fmt_date(dates[-1])} ({len(dates)})"


def _match_rates(con, home: Home, say) -> None:
    from dagster_project.quality.report import match_rates
    from dagster_project.settings import load_settings

    minimum = load_settings(home.config).min_zuordnungsquote
    rates = match_rates(con)
    say("")
    say(f"Adresszuordnung je Quelle, Stichtag und Gemeinde (Mindestquote {minimum:g} %)")
    if not rates:
        say("  noch nicht berechnet (nach dem nächsten spm run)")
    for quelle, stichtag, ags, records, unmatched, rate in rates:
        mark = "  UNTER MINDESTQUOTE" if rate is not None and rate < minimum else ""
        rate_text = "–" if rate is None else f"{rate:.1f}".replace(".", ",") + " %"
        say(f"  {quelle:<15} {_fmt_date(stichtag):<10} {ags:<10} {records:>8} Datensätze "
            f"{unmatched:>6} ohne Zuordnung  {rate_text:>8}{mark}")


def _gx(con, say) -> None:
    rows = con.execute("""
        select suite, failed, evaluated from raw.gx_results where not success
        order by suite limit 10""").fetchall()
    total = con.execute("select count(*), count(*) filter (where success) from raw.gx_results").fetchone()
    say("")
    say(f"Datenprüfungen (Great Expectations): {total[0]} Quellen geprüft, {total[1]} bestanden")
    for suite, failed, evaluated in rows:
        say(f"  NICHT BESTANDEN: {suite}: {failed} von {evaluated} Erwartungen verletzt")


def _deliveries(con, say) -> None:
    say("")
    say("Letzte Lieferungen")
    rows = con.execute("""
        select delivery_id, source, stichtag, file_name, status, rows_loaded, rows_quarantined,
               received_at, message
        from raw.delivery_log order by delivery_id desc limit 15""").fetchall()
    if not rows:
        say("  keine")
    labels = {"loaded": "geladen", "rejected": "ABGEWIESEN", "duplicate": "doppelt",
              "replaced": "ersetzt"}
    for delivery_id, source, stichtag, file_name, status, loaded, quarantined, received, message in rows:
        say(f"  #{delivery_id:<4} {received:%d.%m.%Y %H:%M}  {source:<15} {_fmt_date(stichtag):<10} "
            f"{labels.get(status, status):<10} {loaded or 0:>8} geladen {quarantined or 0:>6} Quar.  "
            f"{file_name}")
        if status == "rejected":
            say(f"        Grund: {message}")


def published_version(home: Home) -> str | None:
    """`Fassung <version> vom TT.MM.JJJJ HH:MM` of the current published version, or None."""
    if not home.published_db.exists():
        return None
    from dagster_project.publishing.versions import VERSION_FILE, aktuelle_version

    folder = aktuelle_version(home)
    if folder is not None and (folder / VERSION_FILE).is_file():
        meta = json.loads((folder / VERSION_FILE).read_text(encoding="utf-8"))
        when = dt.datetime.fromisoformat(meta["veroeffentlicht_utc"]).astimezone()
        run = f", Lauf {meta['lauf_id'][:8]}" if meta.get("lauf_id") else ""
        return f"Fassung {meta['version']} vom {when:%d.%m.%Y %H:%M}{run}"
    stamp = dt.datetime.fromtimestamp(home.published_db.stat().st_mtime)
    return f"Stand {stamp:%d.%m.%Y %H:%M}"


def _published(home: Home, say) -> None:
    say("")
    say("Veröffentlichte Fassung")
    version = published_version(home)
    if version is None:
        say("  noch keine")
        return
    say(f"  {home.published_db} ({version})")


def _when(timestamp: float | None) -> str:
    return "" if timestamp is None else f"{dt.datetime.fromtimestamp(timestamp):%d.%m.%Y %H:%M}"


def _last_run(home: Home, instance, record, say) -> None:
    """The verdict on the newest run: published, running, or kept the old version and why."""
    import dagster as dg

    run = record.dagster_run
    when = _when(record.start_time)
    if run.status in (dg.DagsterRunStatus.QUEUED, dg.DagsterRunStatus.NOT_STARTED,
                      dg.DagsterRunStatus.STARTING, dg.DagsterRunStatus.STARTED):
        say(f"  Ein Lauf läuft gerade (gestartet {when}, {run.run_id[:8]}).")
        return
    published, reasons = run_problems(instance, run.run_id)
    if published and run.status == dg.DagsterRunStatus.SUCCESS:
        say(f"  Der letzte Lauf vom {when} ({run.run_id[:8]}) hat veröffentlicht.")
        return
    outcome = {dg.DagsterRunStatus.FAILURE: "ist fehlgeschlagen",
               dg.DagsterRunStatus.CANCELED: "wurde abgebrochen"}.get(
        run.status, "hat nicht veröffentlicht")
    kept = published_version(home)
    say(f"  ACHTUNG: Der letzte Lauf vom {when} ({run.run_id[:8]}) {outcome}; "
        + ("die zuletzt veröffentlichte Fassung wurde beibehalten "
           f"({kept})." if kept and not published else
           "es gibt noch keine veröffentlichte Fassung." if not kept else
           "die Veröffentlichung ist erfolgt, danach schlug ein Schritt fehl."))
    say("  Grund:")
    for reason in reasons:
        say(f"    - {reason}")


def _runs(home: Home, say) -> None:
    say("")
    say("Letzte Läufe")
    if not (home.dagster_home / "dagster.yaml").exists():
        say("  keine")
        return
    import os

    os.environ["DAGSTER_HOME"] = str(home.dagster_home)
    import dagster as dg

    instance = dg.DagsterInstance.get()
    runs = instance.get_run_records(limit=5)
    if not runs:
        say("  keine")
        return
    _last_run(home, instance, runs[0], say)
    for record in runs:
        run = record.dagster_run
        say(f"  {_when(record.start_time):<16} {run.job_name:<12} {run.status.value:<10} "
            f"{run.run_id[:8]}")
