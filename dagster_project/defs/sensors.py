"""The inbox sensor: a run once new deliveries have arrived, one run per batch of files.

An agency often delivers several files (one per Stichtag or municipality), copied one after
the other. The sensor waits until nothing in the inbox has changed for
`betrieb.eingang_ruhezeit_sekunden` (settings, default 120 s) and until no run of the job is
queued or at work (nor any other writer of the home, `betrieb/sperre.py`); then it requests
one run for everything that lies there. A run whose process died (its lock record is stale,
or it never took the lock: `sperre.verwaiste_laeufe`) is marked failed first, so that it
does not hold the one-run queue. A run key made of the files' names, sizes and
times keeps it from requesting the same batch twice. The daemon evaluates it every
`SPM_EINGANG_INTERVALL` seconds (environment, default 60).
"""

import hashlib
import os
import time

import dagster as dg

from dagster_project.betrieb import sperre
from dagster_project.defs.schedules import nightly_job
from dagster_project.settings import betrieb_config, load_settings
from ingestion.home import inbox_files, resolve_home

INTERVALL = int(os.environ.get("SPM_EINGANG_INTERVALL", "60"))

_UNFERTIG = [dg.DagsterRunStatus.QUEUED, dg.DagsterRunStatus.NOT_STARTED,
             dg.DagsterRunStatus.STARTING, dg.DagsterRunStatus.STARTED,
             dg.DagsterRunStatus.CANCELING]


@dg.sensor(job=nightly_job, minimum_interval_seconds=INTERVALL,
           default_status=dg.DefaultSensorStatus.RUNNING,
           description="Startet einen Lauf, sobald neue Lieferungen im Eingangsordner liegen "
                       "und sich dort eine Weile nichts mehr geändert hat (ein Lauf für "
                       "mehrere Dateien; Ruhezeit: betrieb.eingang_ruhezeit_sekunden).")
def inbox_sensor(context: dg.SensorEvaluationContext):
    home = resolve_home(os.environ.get("SPM_HOME"))
    # a run whose process died still counts as running and would hold the run queue (one
    # run at a time) until run monitoring gives up on it: its stale lock record says so
    sperre.abgebrochenen_lauf_vermerken(home, context.instance, sperre.verfallen(home),
                                        log=context.log.info)
    # ... and so does one whose process died before it took the lock (no record names it)
    sperre.verwaiste_laeufe_vermerken(home, context.instance, log=context.log.info)
    files = inbox_files(home)
    if not files:
        return dg.SkipReason("Keine neuen Dateien im Eingangsordner.")
    try:
        ruhe = betrieb_config(load_settings(home.config)).eingang_ruhezeit_sekunden
    except ValueError as exc:
        return dg.SkipReason(f"Einstellungen fehlerhaft, kein Lauf: {exc}")
    stats = [(path, path.stat()) for _, path in files]
    seit = time.time() - max(stat.st_mtime for _, stat in stats)
    if seit < ruhe:
        return dg.SkipReason(
            f"{len(files)} Datei(en) im Eingang, die letzte vor {seit:.0f} s geändert; der "
            f"Lauf startet nach {ruhe} s ohne Änderung (weitere Dateien derselben Lieferung).")
    laufend = context.instance.get_run_records(
        filters=dg.RunsFilter(job_name=nightly_job.name, statuses=_UNFERTIG), limit=1)
    holder = sperre.halter(home)
    if laufend or holder is not None:
        wer = holder.beschreibung() if holder else f"Lauf {laufend[0].dagster_run.run_id[:8]}"
        return dg.SkipReason(f"Ein Lauf ist gerade in Arbeit ({wer}); die neuen Dateien "
                             "lädt der nächste.")
    fingerprint = hashlib.sha256("\n".join(
        f"{path}:{stat.st_size}:{stat.st_mtime_ns}" for path, stat in stats).encode()
    ).hexdigest()[:16]
    return dg.RunRequest(run_key=f"eingang-{fingerprint}",
                         tags={"spm/ausloeser": "eingang", "spm/dateien": str(len(files))})
