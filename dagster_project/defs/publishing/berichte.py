"""The report site as an asset downstream of publishing (dagster_project/reports)."""

import dagster as dg

from dagster_project.defs import bereiche
from dagster_project.defs.publishing.assets import published_spm_duckdb
from dagster_project.defs.resources import SpmHomeResource
from dagster_project.reports.bauen import BerichtFehler, berichte_bauen


@dg.asset(
    key=["published", "berichte"],
    group_name="veroeffentlichung",
    owners=bereiche.owners("veroeffentlichung"),
    deps=[published_spm_duckdb],
    description="Sozialberichte je Gemeinde und Atlas des Kreises als statische HTML-Seiten "
                "(published/berichte/index.html): Karten, Diagramme, Tabellen, Steckbriefe "
                "je Sozialraum, Indikatorenbeschreibung. Nur aus der veröffentlichten "
                "(geschützten) Fassung; offline lesbar und druckbar.",
    kinds={"html"},
)
def published_berichte(context: dg.AssetExecutionContext, spm: SpmHomeResource):
    home = spm.home()
    try:
        zahlen = berichte_bauen(home, log=context.log.info)
    except BerichtFehler as exc:
        raise dg.Failure(description=str(exc)) from exc
    return dg.MaterializeResult(metadata={
        "pfad": dg.MetadataValue.path(str(home.published / "berichte" / "index.html")),
        "fassung": zahlen["version"],
        "seiten": zahlen["seiten"],
        "gemeinden": zahlen["gemeinden"],
        "steckbriefe": zahlen["steckbriefe"],
        "sekunden": zahlen["sekunden"],
    })
