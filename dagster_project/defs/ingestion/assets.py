"""One asset per delivery source: load what waits in `<home>/inbox/<source>/`."""

import dagster as dg

from dagster_project.defs.dbt import vorbereitung
from dagster_project.defs.resources import SpmHomeResource
from ingestion import loader, warehouse
from ingestion.home import SOURCES

GROUP = "lieferungen"


def _connect(home):
    """The warehouse for writing; a damaged or lost one fails the step with the German
    message naming `spm rebuild` (the reason `spm status` and the notification show)."""
    try:
        return warehouse.connect(home)
    except warehouse.WarehouseFehler as exc:
        raise dg.Failure(description=str(exc)) from exc


def _ingest_source(context: dg.AssetExecutionContext, spm: SpmHomeResource, source: str):
    home = spm.home()
    # dbt's parse for a new home or new settings, on the other core while this loads
    vorbereitung.parse_starten(home)
    con = _connect(home)
    try:
        results = loader.ingest_inbox(con, home, source, progress=context.log.info)
        rows = con.execute(f"select count(*) from raw.{source}").fetchone()[0]
        stichtage = [str(r[0]) for r in con.execute(
            f"select distinct {'gueltig_ab' if source == 'raumgliederung' else 'stichtag'} "
            f"from raw.{source} order by 1").fetchall()]
    finally:
        con.close()
    for result in results:
        log = context.log.info if result.ok else context.log.warning
        log(f"{source}: {result.file_name}: {result.status}: {result.message}")
    return dg.MaterializeResult(metadata={
        "dateien": len(results),
        "geladen": sum(r.status == "loaded" for r in results),
        "abgewiesen": sum(r.status == "rejected" for r in results),
        "zeilen_gesamt": rows,
        "stichtage": ", ".join(stichtage),
    })


def _make_source_asset(source: str) -> dg.AssetsDefinition:
    @dg.asset(
        key=["raw", source],
        group_name=GROUP,
        description=f"Rohdaten der Quelle {source!r}: neue Dateien aus inbox/{source}/ werden "
                    "geprüft, archiviert und geladen.",
        kinds={"duckdb", "python"},
    )
    def _asset(context: dg.AssetExecutionContext, spm: SpmHomeResource):
        return _ingest_source(context, spm, source)

    return _asset


source_assets = [_make_source_asset(source) for source in SOURCES]


@dg.asset(
    key=["raw", "gemeinden"],
    group_name=GROUP,
    description="Namen der Gemeinden und des Kreises aus config/gemeinden.csv.",
    kinds={"duckdb", "python"},
)
def raw_gemeinden(context: dg.AssetExecutionContext, spm: SpmHomeResource):
    home = spm.home()
    con = _connect(home)
    try:
        count = loader.load_gemeinden(con, home)
    finally:
        con.close()
    return dg.MaterializeResult(metadata={"gemeinden": count})
