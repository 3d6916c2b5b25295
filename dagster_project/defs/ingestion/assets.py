"""One asset per delivery source: load what waits in `<home>/inbox/<source>/`.

Each asset is in the Bereich of its source (`defs/bereiche.py`: `raw/hze` in
`jugendhilfe`, …), owned by the delivering agency and the Statistikstelle. Its metadata in
the UI: the files of this run (`dateien`, `geladen`, `abgewiesen`), the rows loaded and put
into quarantine by this run, the rows and quarantined rows of the source in the warehouse
and its Stichtage. The address match rate of a source is known only after dbt matched the
addresses: the quality report's step adds it as an observation of `raw/<source>`
(`defs/publishing/assets.py`).
"""

import dagster as dg

from dagster_project.defs import bereiche
from dagster_project.defs.dbt import vorbereitung
from dagster_project.defs.resources import SpmHomeResource
from ingestion import loader, warehouse
from ingestion.home import SOURCES


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
        stichtag = "gueltig_ab" if source == "raumgliederung" else "stichtag"
        rows, stichtage = con.execute(
            f"select count(*), list(distinct {stichtag} order by {stichtag}) "
            f"from raw.{source}").fetchone()
        # the quarantined rows of the deliveries in use (as `spm status` counts them)
        quarantined = con.execute("""
            select count(distinct (q.delivery_id, q.line_no))
            from raw.quarantine q join raw.delivery_log l using (delivery_id)
            where q.source = ? and l.status in ('loaded', 'replaced')""", [source]).fetchone()[0]
    finally:
        con.close()
    for result in results:
        log = context.log.info if result.ok else context.log.warning
        log(f"{source}: {result.file_name}: {result.status}: {result.message}")
    stichtage = [str(s) for s in stichtage or []]
    return dg.MaterializeResult(metadata={
        "dateien": len(results),
        "geladen": sum(r.status == "loaded" for r in results),
        "abgewiesen": sum(r.status == "rejected" for r in results),
        "zeilen_geladen": sum(r.rows_loaded for r in results if r.status == "loaded"),
        "zeilen_quarantaene": sum(r.rows_quarantined for r in results if r.status == "loaded"),
        "zeilen_gesamt": rows,
        "zeilen_quarantaene_gesamt": quarantined,
        "stichtage": ", ".join(stichtage),
        "neuester_stichtag": stichtage[-1] if stichtage else "–",
    })


def _make_source_asset(source: str) -> dg.AssetsDefinition:
    @dg.asset(
        key=["raw", source],
        group_name=bereiche.QUELLEN[source],
        owners=bereiche.raw_owners(source),
        description=bereiche.raw_beschreibung(source),
        kinds={"duckdb", "python"},
    )
    def _asset(context: dg.AssetExecutionContext, spm: SpmHomeResource):
        return _ingest_source(context, spm, source)

    return _asset


source_assets = [_make_source_asset(source) for source in SOURCES]


@dg.asset(
    key=["raw", "gemeinden"],
    group_name=bereiche.QUELLEN["gemeinden"],
    owners=bereiche.raw_owners("gemeinden"),
    description=bereiche.raw_beschreibung("gemeinden"),
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


# the delivery log and the quarantine: written by every loading step above, read by dbt
# (sources `statistikstelle.delivery_log`, `.quarantine`); declared here so that the UI
# shows them in their Bereich with owner and description instead of as unknown inputs
protokolle = [
    dg.AssetSpec(key=["raw", name], group_name=bereiche.QUELLEN[name],
                 owners=bereiche.raw_owners(name), description=bereiche.raw_beschreibung(name),
                 kinds={"duckdb"})
    for name in ("delivery_log", "quarantine")
]
