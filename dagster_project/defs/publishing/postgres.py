"""Publishing to PostgreSQL (optional): after the DuckDB file, when `postgres_url` is set."""

import dagster as dg

from dagster_project.defs import bereiche
from dagster_project.defs.publishing.assets import published_spm_duckdb
from dagster_project.defs.resources import SpmHomeResource
from dagster_project.publishing.database import PublishError
from dagster_project.publishing.postgres import describe_target, publish_postgres
from dagster_project.settings import load_settings


@dg.asset(
    key=["published", "postgres"],
    group_name="veroeffentlichung",
    owners=bereiche.owners("veroeffentlichung"),
    deps=[published_spm_duckdb],
    description="Das abgestimmte Datenset in PostgreSQL (Schema spm_public, Leserolle "
                "spm_leser), aus published/spm.duckdb; nur wenn postgres_url eingestellt ist.",
    kinds={"postgres"},
)
def published_postgres(context: dg.AssetExecutionContext, spm: SpmHomeResource):
    home = spm.home()
    settings = load_settings(home.config)
    if not settings.postgres_url:
        message = ("Keine PostgreSQL-Veröffentlichung: postgres_url ist in "
                   "config/settings.yaml nicht gesetzt.")
        context.log.info(message)
        return dg.MaterializeResult(metadata={"status": "nicht eingestellt", "hinweis": message})
    target = describe_target(settings.postgres_url)
    try:
        counts = publish_postgres(home.published_db, settings.postgres_url,
                                  settings.postgres_schema)
    except PublishError as exc:
        raise dg.Failure(description=f"{exc} (Die DuckDB-Datei published/spm.duckdb ist "
                                     "bereits veröffentlicht.)") from exc
    for table, rows in counts.items():
        context.log.info(f"PostgreSQL {settings.postgres_schema}.{table}: {rows} Zeilen")
    return dg.MaterializeResult(metadata={
        "status": "veröffentlicht",
        "ziel": f"{target} (Schema {settings.postgres_schema})",
        **{f"zeilen_{t}": r for t, r in counts.items()},
    })
