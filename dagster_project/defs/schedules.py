"""The nightly job and its schedule."""

import dagster as dg

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
