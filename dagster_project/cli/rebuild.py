"""`spm rebuild`: a lost or damaged warehouse rebuilt from the archive (docs/betrieb.md,
„Warehouse wiederherstellen“).

1. The warehouse is checked (`ingestion.warehouse.check`). A healthy one is rebuilt only
   with `--erzwingen`; a brand-new home has nothing to restore.
2. The delivery journal and the archived files are checked (`ingestion.wiederaufbau.pruefen`);
   anything missing is listed and nothing is changed or published.
3. A new warehouse is built beside the old one (`warehouse/spm.duckdb.neuaufbau`) by
   replaying every delivery of the journal (`wiederaufbau.wiedergeben`, German progress
   lines). A difference from the journal stops here; the old state stays as it was.
4. The old file (and its write-ahead log) is moved aside, never deleted:
   `warehouse/spm.duckdb.beschaedigt-<JJJJMMTT-HHMMSS>` (`…ersetzt-…` for a healthy one
   rebuilt with `--erzwingen`); the new one takes its place.
5. The nightly job runs forced (`run_pipeline(home, erzwungen=True)`): the new warehouse
   holds no record of a complete build (`defs/dbt/aufbau.py`), and the forced run rebuilds
   every Stichtag with `--full-refresh` anyway, so nothing of dbt's state outside the
   warehouse (`dbt_target/`: only the parse state) is taken for built tables. Files waiting
   in the inbox are loaded by this run as usual. It publishes a new version.
"""

import argparse
import time
from collections.abc import Callable
from pathlib import Path

HILFE = "Warehouse aus dem Archiv neu aufbauen (nach Verlust oder Beschädigung)"
BESCHREIBUNG = """\
Baut das private Warehouse (warehouse/spm.duckdb) aus dem Archiv neu auf, wenn es fehlt
oder beschädigt ist: Jede Lieferung des Lieferjournals (archive/lieferungen.jsonl) wird
in der ursprünglichen Reihenfolge, mit Dateiname, Quelle und Eingangszeit erneut geladen;
danach läuft der nächtliche Lauf (erzwungen) und veröffentlicht eine neue Fassung mit
denselben Werten. Das alte Warehouse wird nicht gelöscht, sondern als
warehouse/spm.duckdb.beschaedigt-<JJJJMMTT-HHMMSS> beiseitegelegt. Fehlt eine
archivierte Datei, wird nichts verändert. Siehe docs/betrieb.md, Abschnitt
„Warehouse wiederherstellen“."""

NEU = "spm.duckdb.neuaufbau"


def add_parser(sub) -> argparse.ArgumentParser:
    parser = sub.add_parser("rebuild", help=HILFE, description=BESCHREIBUNG,
                            formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--home", default=argparse.SUPPRESS, help=argparse.SUPPRESS)
    parser.add_argument("--erzwingen", action="store_true",
                        help="auch ein Warehouse neu aufbauen, das sich öffnen lässt (z. B. wenn "
                             "ein Lauf mit „Corrupt database file“ scheitert)")
    parser.add_argument("--abweichungen-erlauben", action="store_true",
                        help="weitermachen, wenn eine Lieferung beim erneuten Laden ein anderes "
                             "Ergebnis ergibt als ursprünglich (die Abweichungen werden "
                             "aufgelistet); die veröffentlichten Werte können sich dann ändern")
    return parser


def _aside(home, stamp: str, kind: str) -> Path | None:
    """Move the warehouse file and its write-ahead log aside (a stale log without its file
    too: DuckDB would replay it into the new file). Returns the new name of the file."""
    target = home.warehouse.with_name(f"{home.warehouse.name}.{kind}-{stamp}")
    wal = home.warehouse.with_name(home.warehouse.name + ".wal")
    moved = None
    if home.warehouse.exists():
        home.warehouse.rename(target)
        moved = target
    if wal.exists():
        wal.rename(target.with_name(target.name + ".wal"))
    return moved


def rebuild(args, run_pipeline: Callable[..., bool], say: Callable[[str], None],
            progress: Callable[[str], None]) -> int:
    import duckdb

    from dagster_project.environment import activate
    from ingestion import warehouse, wiederaufbau

    home = activate(args.home)
    problem = warehouse.check(home)
    if problem is None and home.warehouse.exists() and not args.erzwingen:
        say(f"Das Warehouse {home.warehouse} lässt sich öffnen; ein Neuaufbau ist nicht nötig "
            "und es wurde nichts verändert.")
        say("Scheitert ein Lauf trotzdem mit einem Lesefehler der Datenbank (z. B. „Corrupt "
            "database file“ oder „checksum“ in spm status), ist ein Teil der Datei beschädigt, "
            "den das Öffnen nicht liest. Dann neu aufbauen mit:")
        say(f"  spm --home {home.root} rebuild --erzwingen")
        say("Das bisherige Warehouse wird dabei nicht gelöscht, sondern als "
            f"{home.warehouse.name}.ersetzt-<Zeitpunkt> beiseitegelegt.")
        return 1
    if problem is None and not home.warehouse.exists():
        say(f"In {home.root} gibt es weder ein Warehouse noch Lieferungen im Archiv: nichts "
            "wiederherzustellen. Der nächste Lauf (spm run) legt das Warehouse an.")
        return 0
    if problem:
        say(problem)
    befund = wiederaufbau.pruefen(home)
    if befund.fehlend:
        say("FEHLER: Das Warehouse kann nicht vollständig aus dem Archiv wiederhergestellt "
            "werden:")
        for line in befund.fehlend:
            say(f"  - {line}")
        say("Es wurde nichts verändert und nichts veröffentlicht. Bitte die fehlenden Dateien "
            f"aus der Datensicherung nach {home.archive} zurückholen (Dateiname = Prüfsumme) "
            "und den Befehl wiederholen; siehe docs/betrieb.md, „Warehouse wiederherstellen“.")
        return 1
    for line in befund.hinweise:
        say(f"Hinweis: {line}")

    neu = home.warehouse_dir / NEU
    for stale in (neu, neu.with_name(NEU + ".wal")):
        stale.unlink(missing_ok=True)
    progress(f"Neuaufbau des Warehouse aus {len(befund.eintraege)} Lieferung(en) des "
             f"Lieferjournals {home.journal} …")
    con = duckdb.connect(str(neu))
    try:
        con.execute(warehouse.raw_schema_sql())
        abweichungen = wiederaufbau.wiedergeben(
            con, home, befund.eintraege, progress=progress,
            abweichungen_erlauben=args.abweichungen_erlauben)
        con.execute("checkpoint")
    except wiederaufbau.WiederaufbauFehler as exc:
        con.close()
        neu.unlink(missing_ok=True)
        say(f"FEHLER: {exc}")
        say("Der Neuaufbau wurde abgebrochen; es wurde nichts verändert und nichts "
            "veröffentlicht. Mit --abweichungen-erlauben wird trotzdem neu aufgebaut (die "
            "veröffentlichten Werte können sich dann ändern).")
        return 1
    except BaseException:
        con.close()
        neu.unlink(missing_ok=True)
        raise
    con.close()
    for line in abweichungen:
        say(f"ABWEICHUNG: {line}")

    stamp = time.strftime("%Y%m%d-%H%M%S")
    moved = _aside(home, stamp, "beschaedigt" if problem else "ersetzt")
    neu.replace(home.warehouse)
    progress(f"Warehouse neu aufgebaut: {home.warehouse}"
             + (f"; das bisherige liegt unter {moved}" if moved else "") + ".")
    progress("Starte den nächtlichen Lauf (erzwungen: alle Stichtage neu) …")
    if not run_pipeline(home, erzwungen=True):
        say("Das Warehouse ist wiederhergestellt, aber der Lauf ist fehlgeschlagen (siehe "
            "oben); nach der Behebung: spm run --erzwingen")
        return 1
    progress(f"Fertig. Aus dem wiederhergestellten Warehouse veröffentlicht: {home.published_db}")
    return 0
