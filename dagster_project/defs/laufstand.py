"""The state of the nightly runs in the Dagster instance: the fingerprint of the inputs of the
last run that succeeded as a whole (`dagster_project/publishing/eingaben.py`), so that a run
with nothing new can be skipped by the schedule and by `spm run`."""

import dagster as dg

from dagster_project.publishing.eingaben import NICHTS_NEUES  # noqa: F401 (re-exported)

JOB = "spm_nightly"
PUBLISH_KEY = dg.AssetKey(["published", "spm_duckdb"])
EINGABEN = "eingaben"


def letzte_eingaben(instance: dg.DagsterInstance) -> str | None:
    """The inputs' fingerprint of the newest nightly run, if that run succeeded and published;
    None otherwise (no run yet, the newest failed or is still running)."""
    records = instance.get_run_records(filters=dg.RunsFilter(job_name=JOB), limit=1)
    if not records or records[0].dagster_run.status != dg.DagsterRunStatus.SUCCESS:
        return None
    event = instance.get_latest_materialization_event(PUBLISH_KEY)
    if event is None or event.run_id != records[0].dagster_run.run_id:
        return None
    value = event.asset_materialization.metadata.get(EINGABEN)
    return getattr(value, "value", value)
