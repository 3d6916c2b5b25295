"""`spm`: the statistics office's command line (German help texts and messages)."""

import argparse
import os
import shutil
import sys
import time
import uuid
from pathlib import Path

from dagster_project.cli import rebuild
from ingestion.home import Home

DESCRIPTION = """\
SPM – Data Warehouse für das Sozialräumliche Präventionsmonitoring.

Lädt die Lieferungen der Fachämter, ordnet jeden Datensatz seinem Sozialraum zu, berechnet
die Indikatoren und veröffentlicht das abgestimmte Datenset.

Alle Befehle arbeiten in einem Home-Ordner (--home oder Umgebungsvariable SPM_HOME) mit
festen Unterordnern: inbox/<quelle>/ (neue Lieferungen), archive/, warehouse/ (privat),
published/ (spm.duckdb für die Planung), quality/, logs/, secrets/, config/.
"""


# exit code of a command that found another process writing the home
EXIT_GESPERRT = 3
WARTEN_UNBEGRENZT = 365 * 24 * 3600.0


def _say(message: str) -> None:
    print(message, flush=True)


def _progress(message: str) -> None:
    print(f"{time.strftime('%H:%M:%S')}  {message}", flush=True)


def _de(number: int) -> str:
    """German thousands separator: 30651 -> 30.651."""
    return f"{number:,}".replace(",", ".")


def run_pipeline(home: Home, erzwungen: bool = False, warten: float = 0.0) -> bool:
    """The nightly job through Dagster (in-process, one writer), with progress on stdout;
    `erzwungen` rebuilds every Stichtag even where nothing changed (`spm run --erzwingen`).
    Raises `sperre.LaufGesperrt` when another process writes the home (after waiting up to
    `warten` seconds)."""
    import dagster as dg

    from dagster_project.betrieb import sperre

    with sperre.schreibsperre(home, "spm run", warten=warten, log=_progress) as gehalten:
        from dagster_project.definitions import defs
        from dagster_project.defs.dbt.assets import ERZWUNGEN_TAG
        from dagster_project.defs.dbt.vorbereitung import hintergrund_abwarten

        job = defs.resolve_job_def("spm_nightly")
        instance = dg.DagsterInstance.get()
        sperre.abgebrochenen_lauf_vermerken(home, instance, gehalten.vorgaenger, log=_progress)
        run_id = str(uuid.uuid4())
        gehalten.lauf_id_setzen(run_id)
        tags = {"spm/ausloeser": "spm run", **({ERZWUNGEN_TAG: "ja"} if erzwungen else {})}
        try:
            result = job.execute_in_process(instance=instance, raise_on_error=False,
                                            run_config={"loggers": {"spm_console": {}}},
                                            tags=tags, run_id=run_id)
        finally:
            hintergrund_abwarten()
        if result.success:
            from dagster_project.defs.laufstand import letzte_eingaben
            from dagster_project.publishing.eingaben import marke_schreiben

            try:
                letzte = letzte_eingaben(instance)
            finally:
                instance.dispose()
            marke_schreiben(home, letzte)
        if not result.success:
            from dagster_project.betrieb.meldungen import melden

            _rebuild_quality_report(home)
            _say(melden(home, instance, result.run_id).ausgabe)
    return result.success


def _rebuild_quality_report(home: Home) -> None:
    """After a failed run the report still shows the deliveries and checks of this run."""
    from dagster_project.quality.report import build_quality_report

    try:
        _say(f"Qualitätsbericht: {build_quality_report(home)}")
    except Exception as exc:  # noqa: BLE001 - the run's own failure is what matters
        _say(f"Qualitätsbericht konnte nicht erstellt werden: {exc}")


def _summary(home: Home) -> None:
    import duckdb

    _say("")
    _say(f"Veröffentlichte Datenbank: {home.published_db}")
    if home.published_db.exists():
        con = duckdb.connect(str(home.published_db), read_only=True)
        try:
            for (table,) in con.execute(
                    "select table_name from information_schema.tables order by 1").fetchall():
                rows = con.execute(f'select count(*) from "{table}"').fetchone()[0]
                _say(f"  {table:<16} {rows:>8} Zeilen")
        finally:
            con.close()
    _say("")
    _say("Abfrage (nur lesend), z. B.:")
    _say(f"  python -c \"import duckdb; print(duckdb.connect('{home.published_db}', read_only=True)"
         ".sql('select * from indikatorwerte limit 5'))\"")
    _say("Dagster-Oberfläche mit Zeitplan und Eingangssensor (Assets, Läufe, Prüfungen):")
    _say(f"  SPM_HOME={home.root} DAGSTER_HOME={home.dagster_home} "
         ".venv/bin/dagster dev -w workspace.yaml -h 127.0.0.1 -p 3000")
    _say(f"Berichte und Atlas (im Browser öffnen): {home.published / 'berichte' / 'index.html'}")
    _say(f"Qualitätsbericht (privat): {home.quality / 'bericht.html'}")
    _say("Dokumentation: docs/betrieb.md (Betrieb), docs/lieferungen.md (für die Fachämter), "
         "docs/architecture.md (Aufbau)")
    _say(f"Status der Lieferungen: spm status --home {home.root}")


def cmd_demo(args) -> int:
    from dagster_project.environment import activate
    from ingestion.synth import generate_county

    root = Path(args.home or "spm_demo").expanduser().resolve()
    if root.exists() and any(root.iterdir()):
        if not ((root / "inbox").is_dir() and (root / "warehouse").is_dir()):
            _say(f"FEHLER: {root} existiert und ist kein SPM-Home-Ordner; bitte einen anderen "
                 "Ordner mit --home angeben.")
            return 2
        _say(f"Vorhandener Demo-Ordner {root} wird neu angelegt.")
        shutil.rmtree(root)
    home = activate(root)
    _progress(f"Erzeuge den synthetischen Kreis (Größe {args.scale}) in {home.inbox} …")
    summary = generate_county(home.inbox, scale=args.scale, seed=args.seed, progress=_progress)
    residents = ", ".join(f"{year}: {_de(count)}" for year, count in summary.residents.items())
    _progress(f"Erzeugt: {summary.municipalities} Gemeinden, {summary.areas} Sozialräume, "
              f"{_de(summary.addresses)} Adressen; Einwohner {residents}")
    _progress("Starte den nächtlichen Lauf (Dagster) …")
    ok = run_pipeline(home)
    if ok:
        _demo_postgres(home, args.postgres)
        _summary(home)
    return 0 if ok else 1


DEMO_POSTGRES = "postgresql://postgres@127.0.0.1:5432/spm_demo"


def _demo_postgres(home, url: str | None) -> None:
    """The demo also publishes into a local PostgreSQL when one answers (schema spm_public,
    reader role spm_leser; the database is created if missing). Without a server the demo
    stays on the embedded DuckDB file and says so."""
    import psycopg
    from psycopg import sql

    from dagster_project.publishing.database import PublishError
    from dagster_project.publishing.postgres import describe_target, publish_postgres

    url = url or os.environ.get("SPM_DEMO_POSTGRES") or DEMO_POSTGRES
    if url.lower() in ("", "aus", "off", "no", "none"):
        return
    info = psycopg.conninfo.conninfo_to_dict(url)
    dbname = info.get("dbname") or "spm_demo"
    try:
        admin = psycopg.conninfo.make_conninfo(url, dbname="postgres")
        with psycopg.connect(admin, autocommit=True, connect_timeout=3) as con:
            exists = con.execute("select 1 from pg_database where datname = %s",
                                 [dbname]).fetchone()
            if not exists:
                con.execute(sql.SQL("create database {}").format(sql.Identifier(dbname)))
        counts = publish_postgres(home.published_db, url)
    except (psycopg.Error, PublishError) as exc:
        _progress(f"Hinweis: keine Veröffentlichung nach PostgreSQL ({describe_target(url)}): "
                  f"{str(exc).strip().splitlines()[0]}. Die Demo nutzt die DuckDB-Datei; "
                  "PostgreSQL siehe docs/sql-zugang.md.")
        return
    _progress(f"Auch nach PostgreSQL veröffentlicht: {describe_target(url)}, Schema "
              f"spm_public ({len(counts)} Tabellen). Lesen als Planungsstelle: "
              f"psql -h {info.get('host', '127.0.0.1')} -U spm_leser -d {dbname}")


def _nothing_new(home: Home) -> bool:
    """True (and says so) when the last run succeeded with the same deliveries, settings and
    code and the inbox is empty: the run would publish the same values again."""
    from dagster_project.publishing import eingaben

    if not eingaben.nichts_neues_laut_marke(home):
        import dagster as dg

        from dagster_project.defs.laufstand import letzte_eingaben

        instance = dg.DagsterInstance.get()
        try:
            letzte = letzte_eingaben(instance)
        finally:
            instance.dispose()
        eingaben.marke_schreiben(home, letzte)
        if not eingaben.nothing_new(home, letzte):
            return False
    _say(eingaben.NICHTS_NEUES)
    _say("Einen Lauf trotzdem starten: spm run --erzwingen")
    return True


def cmd_run(args) -> int:
    from dagster_project.betrieb.sperre import LaufGesperrt
    from dagster_project.environment import activate
    from ingestion.warehouse import check

    home = activate(args.home)
    # a damaged warehouse, or a lost one (a new one would publish only the inbox): the
    # office gets the way out (spm rebuild) before anything starts
    problem = check(home)
    if problem:
        _say(f"FEHLER: {problem}")
        return 1
    if not args.erzwingen and _nothing_new(home):
        return 0
    _progress(f"Nächtlicher Lauf in {home.root}")
    try:
        ok = run_pipeline(home, erzwungen=args.erzwingen,
                          warten=WARTEN_UNBEGRENZT if args.warten else 0.0)
    except LaufGesperrt as exc:
        _say(f"FEHLER: {exc}")
        return EXIT_GESPERRT
    if ok:
        _progress(f"Fertig. Veröffentlicht: {home.published_db}")
    return 0 if ok else 1


def cmd_ingest(args) -> int:
    from dagster_project.betrieb import sperre
    from dagster_project.environment import activate
    from ingestion import loader, warehouse

    home = activate(args.home)
    paths = [Path(p) for p in args.paths]
    missing = [p for p in paths if not p.is_file()]
    if missing:
        for path in missing:
            _say(f"FEHLER: Datei nicht gefunden: {path}")
        return 2
    failed = 0
    try:
        with sperre.schreibsperre(home, "spm ingest", warten=WARTEN_UNBEGRENZT if args.warten
                                  else 0.0, log=_progress):
            con = warehouse.connect(home)
            try:
                for number, path in enumerate(paths, start=1):
                    _progress(f"[{number}/{len(paths)}] {path.name}")
                    result = loader.ingest_file(con, home, path)
                    label = {"loaded": "GELADEN", "duplicate": "BEREITS GELADEN",
                             "rejected": "ABGEWIESEN"}[result.status]
                    _say(f"  {label}: {result.message}")
                    for warning in result.warnings:
                        _say(f"  Hinweis: {warning}")
                    failed += result.status == "rejected"
            finally:
                con.close()
    except sperre.LaufGesperrt as exc:
        _say(f"FEHLER: {exc}")
        return EXIT_GESPERRT
    except warehouse.WarehouseFehler as exc:
        _say(f"FEHLER: {exc}")
        return 1
    if failed:
        _say(f"{failed} von {len(paths)} Datei(en) abgewiesen; von ihnen wurde nichts geladen.")
    return 1 if failed else 0


def cmd_publish(args) -> int:
    from dagster_project.publishing.database import PublishError
    from dagster_project.publishing.postgres import (
        DEFAULT_SCHEMA,
        describe_target,
        publish_postgres,
    )
    from dagster_project.settings import load_settings
    from ingestion.home import resolve_home

    home = resolve_home(args.home)
    settings = load_settings(home.config)
    url = args.postgres or settings.postgres_url
    schema = args.schema or settings.postgres_schema or DEFAULT_SCHEMA
    if not url:
        _say("FEHLER: keine PostgreSQL-Verbindung angegeben (--postgres URL oder postgres_url "
             "in config/settings.yaml).")
        return 2
    if not home.published_db.exists():
        _say(f"FEHLER: Es gibt noch keine veröffentlichte Fassung ({home.published_db} fehlt); "
             "zuerst den nächtlichen Lauf ausführen (spm run).")
        return 1
    _progress(f"Lade {home.published_db} nach PostgreSQL {describe_target(url)}, "
              f"Schema {schema} …")
    try:
        counts = publish_postgres(home.published_db, url, schema)
    except PublishError as exc:     # also PostgresUnreachable
        _say(f"FEHLER: {exc}")
        return 1
    for table, rows in counts.items():
        _say(f"  {schema}.{table:<16} {rows:>8} Zeilen")
    _progress(f"Fertig. Die Leserolle spm_leser kann das Schema {schema} lesen.")
    return 0


def cmd_report(args) -> int:
    from dagster_project.betrieb import sperre
    from dagster_project.environment import activate
    from dagster_project.reports.bauen import BerichtFehler, berichte_bauen

    home = activate(args.home)
    try:
        with sperre.schreibsperre(home, "spm report", warten=WARTEN_UNBEGRENZT if args.warten
                                  else 0.0, log=_progress):
            berichte_bauen(home, log=_progress)
    except sperre.LaufGesperrt as exc:
        _say(f"FEHLER: {exc}")
        return EXIT_GESPERRT
    except (BerichtFehler, ValueError) as exc:
        _say(f"FEHLER: {exc}")
        return 1
    return 0


def cmd_status(args) -> int:
    from dagster_project.cli.status import print_status, print_status_json
    from ingestion.home import resolve_home

    if args.json:
        return print_status_json(resolve_home(args.home))
    return print_status(resolve_home(args.home), _say)


def cmd_testmeldung(args) -> int:
    from dagster_project.betrieb import meldungen
    from ingestion.home import resolve_home

    home = resolve_home(args.home)
    try:
        config = meldungen.lade_benachrichtigung(home)
    except ValueError as exc:
        _say(f"FEHLER: {exc}")
        return 1
    if config.email is None and not config.webhook:
        _say(f"Keine Benachrichtigung eingestellt (Abschnitt benachrichtigung: in "
             f"{home.config / 'settings.yaml'}): es wurde nichts gesendet. Fehlermeldungen "
             f"stehen nur in {meldungen.meldungsordner(home)} und in „spm status“.")
        return 1
    protokoll = meldungen.benachrichtigen(
        config, meldungen.testmeldung(home, kontakt=config.kontakt), None)
    for line in protokoll:
        _say(line)
    return 1 if any(" NICHT " in line for line in protokoll) else 0


def cmd_rebuild(args) -> int:
    from dagster_project.betrieb import sperre
    from ingestion.home import resolve_home

    try:
        with sperre.schreibsperre(resolve_home(args.home), "spm rebuild",
                                  warten=WARTEN_UNBEGRENZT if args.warten else 0.0,
                                  log=_progress):
            return rebuild.rebuild(args, run_pipeline, _say, _progress)
    except sperre.LaufGesperrt as exc:
        _say(f"FEHLER: {exc}")
        return EXIT_GESPERRT


def _warten_option(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--warten", action="store_true",
                        help="schreibt gerade ein anderer Lauf, auf ihn warten (sonst endet "
                             "der Befehl mit Exit-Code 3 und nennt ihn)")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="spm", description=DESCRIPTION, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--home", help="Home-Ordner (Voreinstellung: $SPM_HOME, sonst ./spm_home)")
    sub = parser.add_subparsers(dest="command", metavar="BEFEHL", required=True)

    demo = sub.add_parser("demo", help="Demo: synthetischen Kreis erzeugen und den ganzen Lauf ausführen",
                          description="Erzeugt einen synthetischen Kreis in einem neuen Home-Ordner "
                                      "(Voreinstellung ./spm_demo) und führt den nächtlichen Lauf aus.")
    demo.add_argument("--scale", default="small", choices=["small", "kreis", "nrw"],
                      help="Größe des synthetischen Kreises (Voreinstellung: small)")
    demo.add_argument("--seed", type=int, default=20261122, help="Startwert des Zufallsgenerators")
    demo.add_argument("--postgres", metavar="URL",
                      help="zusätzlich nach PostgreSQL veröffentlichen, wenn der Server antwortet "
                           f"(Voreinstellung: {DEMO_POSTGRES}; 'aus' schaltet es ab)")
    demo.add_argument("--home", default=argparse.SUPPRESS, help=argparse.SUPPRESS)
    demo.set_defaults(func=cmd_demo)

    run = sub.add_parser("run", help="Nächtlicher Lauf: laden, bauen, prüfen, veröffentlichen",
                         description="Lädt alle neuen Dateien aus inbox/, baut die Modelle, prüft "
                                     "sie und veröffentlicht nur, wenn alle Prüfungen bestehen. "
                                     "Gibt es nichts Neues (keine Datei im Eingang, seit dem "
                                     "letzten erfolgreichen Lauf keine neue Lieferung, "
                                     "Einstellung oder Programmversion), endet er sofort.")
    run.add_argument("--home", default=argparse.SUPPRESS, help=argparse.SUPPRESS)
    run.add_argument("--erzwingen", action="store_true",
                     help="auch laufen, wenn es nichts Neues gibt, und alle Stichtage neu "
                          "aufbauen")
    _warten_option(run)
    run.set_defaults(func=cmd_run)

    ingest = sub.add_parser("ingest", help="Dateien sofort laden, mit Bericht je Datei",
                            description="Lädt die genannten Dateien (Quelle und Stichtag aus dem "
                                        "Dateinamen) ins Warehouse. Exit-Code 1, wenn eine Datei "
                                        "abgewiesen wurde.")
    ingest.add_argument("paths", nargs="+", metavar="DATEI", help="zu ladende Datei(en)")
    ingest.add_argument("--home", default=argparse.SUPPRESS, help=argparse.SUPPRESS)
    _warten_option(ingest)
    ingest.set_defaults(func=cmd_ingest)

    publish = sub.add_parser(
        "publish", help="Veröffentlichte Fassung nach PostgreSQL laden (Leserolle spm_leser)",
        description="Lädt alle Tabellen der veröffentlichten Fassung (published/spm.duckdb) in "
                    "ein PostgreSQL-Schema und tauscht es in einer Transaktion aus: Leser sehen "
                    "die alte oder die neue Fassung, nie eine halbe. Die Rolle spm_leser darf "
                    "nur lesen. Das private Warehouse wird nie übertragen. Siehe "
                    "docs/sql-zugang.md.")
    publish.add_argument("--postgres", metavar="URL",
                         help="Verbindung, z. B. postgresql://spm_publisher@db.kreis.local/spm "
                              "(Voreinstellung: postgres_url aus config/settings.yaml)")
    publish.add_argument("--schema", metavar="SCHEMA",
                         help="Zielschema (Voreinstellung: postgres_schema aus den "
                              "Einstellungen, sonst spm_public)")
    publish.add_argument("--home", default=argparse.SUPPRESS, help=argparse.SUPPRESS)
    publish.set_defaults(func=cmd_publish)

    report = sub.add_parser(
        "report", help="Sozialberichte und Atlas neu erstellen (published/berichte/)",
        description="Erstellt die HTML-Berichte (Atlas des Kreises, Sozialbericht je Gemeinde, "
                    "Steckbriefe) aus der aktuellen veröffentlichten Fassung neu, z. B. nach "
                    "einer Änderung der Klassen oder Farben (Abschnitt berichte: in "
                    "config/settings.yaml). Der nächtliche Lauf erstellt sie selbst. Siehe "
                    "docs/berichte.md.")
    report.add_argument("--home", default=argparse.SUPPRESS, help=argparse.SUPPRESS)
    _warten_option(report)
    report.set_defaults(func=cmd_report)

    status = sub.add_parser("status", help="Datenstand je Quelle und Gemeinde, Quarantäne, Läufe",
                            description="Zeigt je Quelle die Stichtage, Zeilen, Quarantäne, die "
                                        "Lieferfristen, die letzten Lieferungen, die letzten "
                                        "Läufe und die veröffentlichte Fassung. Exit-Code 1, "
                                        "wenn der letzte Lauf nicht veröffentlicht hat, eine "
                                        "Lieferung überfällig ist oder das Warehouse fehlt "
                                        "oder nicht lesbar ist; sonst 0.")
    status.add_argument("--json", action="store_true",
                        help="ein JSON-Dokument für die Überwachung ausgeben (UTF-8, "
                             "Schlüssel siehe docs/betrieb.md)")
    status.add_argument("--home", default=argparse.SUPPRESS, help=argparse.SUPPRESS)
    status.set_defaults(func=cmd_status)

    test = sub.add_parser(
        "testmeldung", help="Test-E-Mail bzw. Test-Webhook senden (Einstellungen prüfen)",
        description="Sendet eine Testmeldung über die im Abschnitt benachrichtigung: von "
                    "config/settings.yaml eingestellten Wege (E-Mail, Webhook) und sagt je Weg, "
                    "ob sie angekommen ist. Exit-Code 1, wenn ein Weg scheitert oder keiner "
                    "eingestellt ist. Das Warehouse wird dabei nicht geöffnet.")
    test.add_argument("--home", default=argparse.SUPPRESS, help=argparse.SUPPRESS)
    test.set_defaults(func=cmd_testmeldung)

    rebuilder = rebuild.add_parser(sub)
    _warten_option(rebuilder)
    rebuilder.set_defaults(func=cmd_rebuild)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        return args.func(args)
    except KeyboardInterrupt:
        _say("Abgebrochen; die zuletzt veröffentlichte Fassung bleibt unverändert.")
        return 130


if __name__ == "__main__":
    sys.exit(main())

