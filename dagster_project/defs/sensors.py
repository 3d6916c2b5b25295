"""The inbox sensor: a run as soon as new files lie in the inbox."""

import hashlib
import os

import dagster as dg

from dagster_project.defs.schedules import nightly_job
from ingestion import loader
from ingestion.home import resolve_home


@dg.sensor(job=nightly_job, minimum_interval_seconds=300,
           default_status=dg.DefaultSensorStatus.STOPPED,
           description="Startet einen Lauf, sobald neue Dateien im Eingangsordner liegen.")
def inbox_sensor(context: dg.SensorEvaluationContext):
    home = resolve_home(os.environ.get("SPM_HOME"))
    files = loader.inbox_files(home)
    if not files:
        return dg.SkipReason("Keine neuen Dateien im Eingangsordner.")
    fingerprint = hashlib.sha256(
        "\n".join(f"{p}:{p.stat().st_size}:{p.stat().st_mtime_ns}" for _, p in files).encode()
    ).hexdigest()[:16]
    return dg.RunRequest(run_key=f"inbox-{fingerprint}",
                         tags={"spm/ausloeser": "eingang", "spm/dateien": str(len(files))})
