"""Publishing and the quality report: both run only after every dbt model and test succeeded."""

import dagster as dg

from dagster_project.assets_dbt import spm_dbt_assets
from dagster_project.publishing_files import publish_all
from dagster_project.quality_report import build_quality_report
from dagster_project.resources import SpmHomeResource


@dg.asset(
    key=["published", "spm_duckdb"],
    group_name="veroeffentlichung",
    deps=list(spm_dbt_assets.keys),
    description="Das abgestimmte Datenset als neue Fassung in published/versions/: DuckDB-Datei, "
                "Parquet je Tabelle, Excel und CSV je Gemeinde; dann atomar zur aktuellen "
                "gemacht (published/spm.duckdb, published/parquet, excel, csv).",
    kinds={"duckdb", "parquet", "excel", "csv"},
)
def published_spm_duckdb(context: dg.AssetExecutionContext, spm: SpmHomeResource):
    home = spm.home()
    result = publish_all(home, log=context.log.info)
    return dg.MaterializeResult(metadata={
        "pfad": dg.MetadataValue.path(str(home.published_db)),
        "fassung": result.version,
        "ordner": dg.MetadataValue.path(str(result.ordner)),
        **{f"dateien_{k}": n for k, n in result.dateien.items()},
        **{f"zeilen_{t}": r for t, r in result.tabellen.items()},
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
