"""The run-failure sensor: a German message to logs/ and to the office for every failed run
of the nightly job (dagster_project/betrieb/meldungen.py). Runs of `spm run` report their
own failure the same way; the message is written once per run, whoever comes first."""

import os

import dagster as dg

from dagster_project.betrieb.meldungen import melden
from dagster_project.defs.schedules import nightly_job
from ingestion.home import resolve_home


@dg.run_failure_sensor(
    name="fehlermeldung_sensor",
    monitored_jobs=[nightly_job],
    default_status=dg.DefaultSensorStatus.RUNNING,
    description="Schreibt bei jedem fehlgeschlagenen Lauf eine Meldung nach "
                "logs/fehlermeldungen/ und benachrichtigt die Statistikstelle (E-Mail, "
                "Webhook; Abschnitt benachrichtigung: in config/settings.yaml).",
)
def fehlermeldung_sensor(context: dg.RunFailureSensorContext):
    home = resolve_home(os.environ.get("SPM_HOME"))
    gemeldet = melden(home, context.instance, context.dagster_run.run_id)
    if gemeldet.neu:
        context.log.info(f"Fehlermeldung geschrieben: {gemeldet.datei}")
    else:
        context.log.info(f"Fehlermeldung lag bereits vor: {gemeldet.datei}")
    for line in gemeldet.protokoll:
        context.log.info(line)
