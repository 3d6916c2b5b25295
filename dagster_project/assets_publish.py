"""Publishing and the quality report: both run only after every dbt model and test succeeded."""

import dagster as dg

from dagster_project.assets_dbt import spm_dbt_assets
from dagster_project.publishing import publish_duckdb
from dagster_project.quality_report import build_quality_report
from dagster_project.resources import SpmHomeResource


@dg.asset(
    key=["published", "spm_duckdb"],
    group_name="veroeffentlichung",
    deps=list(spm_dbt_assets.keys),
    description="Das abgestimmte Datenset als DuckDB-Datei published/spm.duckdb "
                "(neu gebaut und atomar ausgetauscht).",
    kinds={"duckdb"},
)
def published_spm_duckdb(context: dg.AssetExecutionContext, spm: SpmHomeResource):
    home = spm.home()
    counts = publish_duckdb(home)
    for table, rows in counts.items():
        context.log.info(f"veröffentlicht: {table} ({rows} Zeilen)")
    return dg.MaterializeResult(metadata={
        "pfad": dg.MetadataValue.path(str(home.published_db)),
        **{f"zeilen_{t}": r for t, r in counts.items()},
    })


@dg.asset(
    key=["quality", "bericht"],
    group_name="qualitaet",
    deps=list(spm_dbt_assets.keys),
    description="Qualitätsbericht quality/bericht.html: Lieferungen, Datenprüfungen, "
                "Quarantäne, Adresszuordnung (privat).",
    kinds={"html"},
)
def quality_report(context: dg.AssetExecutionContext, spm: SpmHomeResource):
    home = spm.home()
    path = build_quality_report(home)
    context.log.info(f"Qualitätsbericht: {path}")
    return dg.MaterializeResult(metadata={"pfad": dg.MetadataValue.path(str(path))})
