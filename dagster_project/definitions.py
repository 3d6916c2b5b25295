"""Dagster definitions of the SPM warehouse (`dagster-webserver -w workspace.yaml`)."""

import sys
from pathlib import Path

import dagster as dg
from dagster_dbt import DbtCliResource

from dagster_project.assets_dbt import spm_dbt_assets
from dagster_project.assets_ingestion import raw_gemeinden, source_assets
from dagster_project.assets_postgres import published_postgres
from dagster_project.assets_publish import published_spm_duckdb, quality_report
from dagster_project.checks import contract_checks
from dagster_project.console import spm_console_logger
from dagster_project.dbt_project import dbt_project
from dagster_project.environment import activate
from dagster_project.resources import SpmHomeResource
from dagster_project.schedules import inbox_sensor, nightly_job, nightly_schedule

activate()

defs = dg.Definitions(
    assets=[*source_assets, raw_gemeinden, spm_dbt_assets, published_spm_duckdb,
            quality_report, published_postgres],
    asset_checks=contract_checks,
    jobs=[nightly_job],
    schedules=[nightly_schedule],
    sensors=[inbox_sensor],
    resources={
        "spm": SpmHomeResource(),
        "dbt": DbtCliResource(project_dir=dbt_project,
                              dbt_executable=str(Path(sys.executable).parent / "dbt")),
    },
    executor=dg.in_process_executor,
    loggers={"spm_console": spm_console_logger},
)
