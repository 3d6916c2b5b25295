"""The nightly job and its schedule (which skips a night with nothing new)."""

import os

import dagster as dg

from dagster_project.defs.laufstand import NICHTS_NEUES, letzte_eingaben
from dagster_project.publishing.eingaben import nothing_new
from ingestion.home import resolve_home

nightly_job = dg.define_asset_job(
    "spm_nightly",
    selection=dg.AssetSelection.all(),
    description="Nächtlicher Lauf: Lieferungen laden, Modelle bauen, prüfen, veröffentlichen.",
)

@dg.schedule(
    name="spm_nightly_0200",
    job=nightly_job,
    cron_schedule="0 2 * * *",
    execution_timezone="Europe/Berlin",
    default_status=dg.DefaultScheduleStatus.RUNNING,
    description="Jede Nacht um 02:00 Uhr (Europe/Berlin); ausgelassen, wenn es nichts Neues "
                "gibt (keine neue Lieferung, Einstellung oder Programmversion).",
)
def nightly_schedule(context: dg.ScheduleEvaluationContext):
    home = resolve_home(os.environ.get("SPM_HOME"))
    if nothing_new(home, letzte_eingaben(context.instance)):
        return dg.SkipReason(NICHTS_NEUES)
    return dg.RunRequest(tags={"spm/ausloeser": "zeitplan"})
