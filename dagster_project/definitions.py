"""Dagster definitions of the SPM warehouse (`dagster-webserver -w workspace.yaml`)."""

import sys
from pathlib import Path

import dagster as dg

from dagster_project.defs.aufbewahrung import betrieb_aufbewahrung
from dagster_project.defs.console import spm_console_logger
from dagster_project.defs.dbt.assets import spm_dbt_assets
from dagster_project.defs.dbt.project import dbt_project
from dagster_project.defs.dbt.resource import SpmDbtCliResource
from dagster_project.defs.fehlersensor import fehlermeldung_sensor
from dagster_project.defs.ingestion.assets import protokolle, raw_gemeinden, source_assets
from dagster_project.defs.ingestion.checks import contract_checks
from dagster_project.defs.publishing.assets import published_spm_duckdb, quality_report
from dagster_project.defs.publishing.berichte import published_berichte
from dagster_project.defs.publishing.postgres import published_postgres
from dagster_project.defs.resources import SpmHomeResource
from dagster_project.defs.schedules import nightly_job, nightly_schedule
from dagster_project.defs.sensors import inbox_sensor
from dagster_project.environment import activate

activate()

defs = dg.Definitions(
    assets=[*source_assets, raw_gemeinden, *protokolle, spm_dbt_assets, published_spm_duckdb,
            quality_report, published_postgres, published_berichte, betrieb_aufbewahrung],
    asset_checks=contract_checks,
    jobs=[nightly_job],
    schedules=[nightly_schedule],
    sensors=[inbox_sensor, fehlermeldung_sensor],
    resources={
        "spm": SpmHomeResource(),
        "dbt": SpmDbtCliResource(project_dir=dbt_project,
                                 dbt_executable=str(Path(sys.executable).parent / "spm-dbt")),
    },
    executor=dg.in_process_executor,
    loggers={"spm_console": spm_console_logger},
)
