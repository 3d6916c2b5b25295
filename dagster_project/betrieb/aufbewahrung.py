"""Retention of the run logs (docs/betrieb.md, „Aufbewahrung“): Dagster runs and files in
`logs/` older than `betrieb: laufprotokolle_behalten_tage` (config/settings.yaml, default 90)
are deleted at the end of every successful nightly run (asset `betrieb/aufbewahrung`).

Kept whatever their age, because something still reads them:
- the run that holds the latest materialization, observation or materialization attempt of
  an asset (the UI's state of the asset; the inputs' fingerprint of the last publication,
  `defs/laufstand.py`), and the run of the latest evaluation of every asset check (the
  quality gate reads the latest evaluation of every check, `defs/publishing/checks.py`);
- the runs of the published versions still in `published/versions/` (their `lauf_id` is
  in the table `qualitaet` and in `version.json`);
- runs not finished (queued, started, cancelling): run monitoring decides about them;
- `logs/fehlermeldungen/letzte.json` (the last failure message).

A deleted run loses its record, its events (Dagster's `delete_run`; with the SQLite storage
of `dagster_project/event_log.py` also its file under history/runs/), its asset check
executions and its captured compute logs. With nothing to delete, one query on the run
storage and a walk over `logs/`: a few milliseconds.
"""

import datetime as dt
import json
import os
import time
from dataclasses import dataclass, field
from pathlib import Path

from ingestion.home import Home

# the last failure message (dagster_project/betrieb, failure notification) stays
LETZTE_FEHLERMELDUNG = Path("fehlermeldungen") / "letzte.json"
# at most so many runs a call; the rest follows the next night (the first call on a home
# with years of runs stays short)
HOECHSTENS = 500


@dataclass
class Aufbewahrung:
    """What one clean-up did."""

    tage: int
    geloeschte_laeufe: list[str] = field(default_factory=list)
    behaltene_alte_laeufe: list[str] = field(default_factory=list)   # old, but still read
    geloeschte_dateien: list[Path] = field(default_factory=list)
    weitere_alte_laeufe: bool = False       # more than HOECHSTENS old runs: next time
    sekunden: float = 0.0

    def meldung(self) -> str:
        text = (f"Aufbewahrung ({self.tage} Tage): {len(self.geloeschte_laeufe)} alte(r) "
                f"Lauf/Läufe und {len(self.geloeschte_dateien)} Datei(en) in logs/ gelöscht")
        if self.behaltene_alte_laeufe:
            text += (f"; {len(self.behaltene_alte_laeufe)} alte(r) Lauf/Läufe behalten (letzte "
                     "Ergebnisse von Assets oder Prüfungen, veröffentlichte Fassungen)")
        if self.weitere_alte_laeufe:
            text += "; weitere alte Läufe beim nächsten Lauf"
        return text + "."


def aufraeumen(instance, home: Home, tage: int, jetzt: dt.datetime | None = None,
               ) -> Aufbewahrung:
    """Delete the runs and log files older than `tage` days (before `jetzt`, default now),
    except those still read (see the module's docstring)."""
    import dagster as dg

    start = time.perf_counter()
    jetzt = jetzt or dt.datetime.now(dt.UTC)
    grenze = jetzt - dt.timedelta(days=tage)
    ergebnis = Aufbewahrung(tage=tage)
    alte = instance.get_run_records(
        filters=dg.RunsFilter(created_before=grenze, statuses=[
            dg.DagsterRunStatus.SUCCESS, dg.DagsterRunStatus.FAILURE,
            dg.DagsterRunStatus.CANCELED]),
        limit=HOECHSTENS + 1, ascending=True)
    if alte:
        ergebnis.weitere_alte_laeufe = len(alte) > HOECHSTENS
        geschuetzt = noch_gelesene_laeufe(instance, home)
        pruefungen = _pruefungstabelle(instance)
        for record in alte[:HOECHSTENS]:
            run_id = record.dagster_run.run_id
            if run_id in geschuetzt:
                ergebnis.behaltene_alte_laeufe.append(run_id)
                continue
            lauf_loeschen(instance, run_id, pruefungen)
            ergebnis.geloeschte_laeufe.append(run_id)
    ergebnis.geloeschte_dateien = alte_logdateien_loeschen(home, grenze.timestamp())
    ergebnis.sekunden = time.perf_counter() - start
    return ergebnis


def noch_gelesene_laeufe(instance, home: Home) -> set[str]:
    """The runs that must stay: latest results of assets and checks, published versions."""
    runs: set[str] = set()
    for record in instance.get_asset_records():
        entry = record.asset_entry
        for event in (entry.last_materialization_record, entry.last_observation_record,
                      entry.last_failed_to_materialize_record):
            if event is not None:
                runs.add(event.run_id)
        runs.update(r for r in (entry.last_run_id, entry.last_planned_materialization_run_id)
                    if r)
    runs |= _letzte_pruefungslaeufe(instance)
    runs |= veroeffentlichte_laeufe(home)
    return runs


def _pruefungstabelle(instance):
    """Dagster's table of asset check executions, if the storage has one (SQL storages)."""
    from dagster._core.storage.event_log.schema import AssetCheckExecutionsTable
    from dagster._core.storage.event_log.sql_event_log import SqlEventLogStorage

    storage = instance.event_log_storage
    if isinstance(storage, SqlEventLogStorage) and \
            storage.has_table(AssetCheckExecutionsTable.name):
        return AssetCheckExecutionsTable
    return None


def _letzte_pruefungslaeufe(instance) -> set[str]:
    """The run of the latest execution of every asset check known to the storage (also of
    checks no longer defined), as Dagster picks it: the greatest id per check."""
    from sqlalchemy import func, select

    table = _pruefungstabelle(instance)
    if table is None:
        return set()
    latest = (select(func.max(table.c.id).label("id"))
              .group_by(table.c.asset_key, table.c.check_name).subquery())
    with instance.event_log_storage.index_connection() as conn:
        rows = conn.execute(select(table.c.run_id).where(table.c.id.in_(select(latest.c.id))))
        return {row[0] for row in rows}


def veroeffentlichte_laeufe(home: Home) -> set[str]:
    """The runs (`lauf_id`) of the versions kept under published/versions/."""
    runs = set()
    folder = home.published_versions
    if not folder.is_dir():
        return runs
    for path in folder.glob("*/version.json"):
        try:
            lauf_id = json.loads(path.read_text(encoding="utf-8")).get("lauf_id")
        except (OSError, ValueError, AttributeError):
            continue
        if isinstance(lauf_id, str) and lauf_id:
            runs.add(lauf_id)
    return runs


def lauf_loeschen(instance, run_id: str, pruefungen=None) -> None:
    """One run with its events, asset check executions (`pruefungen`: Dagster's table of
    them, `_pruefungstabelle`) and captured compute logs."""
    instance.delete_run(run_id)
    # Dagster's delete_run leaves the check executions of the run in the index
    if pruefungen is not None:
        with instance.event_log_storage.index_connection() as conn:
            conn.execute(pruefungen.delete().where(pruefungen.c.run_id == run_id))
    try:
        instance.compute_log_manager.delete_logs(prefix=[run_id])
    except (NotImplementedError, OSError):
        pass


def alte_logdateien_loeschen(home: Home, grenze: float) -> list[Path]:
    """Files under logs/ last changed before `grenze` (epoch seconds), except the last
    failure message."""
    geloescht = []
    keep = home.logs / LETZTE_FEHLERMELDUNG
    if not home.logs.is_dir():
        return geloescht
    for folder, _dirs, files in os.walk(home.logs):
        for name in files:
            path = Path(folder) / name
            if path == keep:
                continue
            try:
                if path.stat().st_mtime < grenze:
                    path.unlink()
                    geloescht.append(path)
            except FileNotFoundError:
                continue
    return geloescht
