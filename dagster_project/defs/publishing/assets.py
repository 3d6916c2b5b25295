"""Publishing and the quality report: both run only after every dbt model and test succeeded.

Publishing passes the results of every check behind the warehouse (asset checks, dbt
tests, the `mart_pruefbeitrag__*` models; see `quality/gate.py`) to `publish_all`, which
refuses to publish while one of severity error failed and writes them into the published
table `qualitaet`.
"""

import datetime as dt

import dagster as dg

from dagster_project.defs.dbt.assets import spm_dbt_assets
from dagster_project.defs.dbt.project import dbt_project
from dagster_project.defs.laufstand import EINGABEN
from dagster_project.defs.publishing.checks import asset_check_results
from dagster_project.defs.resources import SpmHomeResource
from dagster_project.publishing import eingaben
from dagster_project.publishing.database import PublishError
from dagster_project.publishing.publish import publish_all
from dagster_project.quality import gate
from dagster_project.quality.report import build_quality_report


def run_checks(context: dg.AssetExecutionContext, home) -> tuple[gate.Lauf,
                                                                  list[gate.Pruefergebnis]]:
    """The publishing run and the results of every check the publication rests on."""
    record = context.instance.get_run_record_by_id(context.run.run_id)
    started = (record.start_time if record and record.start_time
               else dt.datetime.now().timestamp())
    lauf = gate.Lauf(context.run.run_id,
                          dt.datetime.fromtimestamp(started).replace(microsecond=0))
    # the whole graph the job was built from, not the run's selection: a run that only
    # publishes has no checks selected, but the latest results of every check upstream
    # still decide (the job's graph keeps its source graph; `repository_def` is not set
    # when a job is executed in process, as `spm run` does)
    whole = context.job_def.asset_layer.asset_graph.source_asset_graph
    rows = asset_check_results(context.instance, whole, context.asset_key,
                               lauf_id=context.run.run_id)
    rows += gate.contributed_results(
        home.warehouse, gate.contribution_relations(dbt_project.manifest_path))
    return lauf, rows


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
    lauf, pruefungen = run_checks(context, home)
    warnings = [r for r in pruefungen if r.ergebnis != gate.BESTANDEN and not r.blockiert]
    for row in warnings:
        context.log.warning(f"Hinweis: {row.beschreibung()}")
    try:
        result = publish_all(home, log=context.log.info, pruefungen=pruefungen, lauf=lauf)
    except PublishError as exc:
        raise dg.Failure(description=str(exc)) from exc
    inputs = eingaben.fingerprint(home)
    return dg.MaterializeResult(metadata={
        EINGABEN: inputs or "",
        "pfad": dg.MetadataValue.path(str(home.published_db)),
        "fassung": result.version,
        "pruefungen": len({(r.pruefung, r.gegenstand) for r in pruefungen}),
        "pruefungen_mit_hinweis": len({(r.pruefung, r.gegenstand) for r in warnings}),
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
