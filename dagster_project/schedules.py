"""Nightly schedule and inbox sensor."""

import hashlib
import os

import dagster as dg

from ingestion import loader
from ingestion.home import resolve_home

nightly_job = dg.define_asset_job(
    "spm_nightly",
    selection=dg.AssetSelection.all(),
    description="Nächtlicher Lauf: Lieferungen laden, Modelle bauen, prüfen, veröffentlichen.",
)

nightly_schedule = dg.ScheduleDefinition(
    name="spm_nightly_0200",
    job=nightly_job,
    cron_schedule="0 2 * * *",
    execution_timezone="Europe/Berlin",
    default_status=dg.DefaultScheduleStatus.RUNNING,
    description="Jede Nacht um 02:00 Uhr (Europe/Berlin).",
)


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
