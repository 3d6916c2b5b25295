"""The last step of a nightly run: delete run logs older than the retention setting
(`dagster_project/betrieb/aufbewahrung.py`). It runs only when everything before it
succeeded, under whatever started the run (`spm run`, schedule, sensor, web UI)."""

import dagster as dg

from dagster_project.betrieb.aufbewahrung import aufraeumen
from dagster_project.defs import bereiche
from dagster_project.defs.publishing.assets import quality_report
from dagster_project.defs.publishing.berichte import published_berichte
from dagster_project.defs.publishing.postgres import published_postgres
from dagster_project.defs.resources import SpmHomeResource
from dagster_project.settings import betrieb_config, load_settings


@dg.asset(
    key=["betrieb", "aufbewahrung"],
    group_name="betrieb",
    owners=bereiche.owners("betrieb"),
    deps=[published_berichte, published_postgres, quality_report],
    description="Aufbewahrung: löscht am Ende eines erfolgreichen Laufs Läufe des "
                "Orchestrators und Dateien in logs/, die älter sind als "
                "betrieb: laufprotokolle_behalten_tage (config/settings.yaml, Voreinstellung "
                "90 Tage). Behalten werden die Läufe mit dem letzten Ergebnis eines Assets "
                "oder einer Prüfung und die Läufe der veröffentlichten Fassungen.",
    kinds={"python"},
)
def betrieb_aufbewahrung(context: dg.AssetExecutionContext, spm: SpmHomeResource):
    home = spm.home()
    try:
        tage = betrieb_config(load_settings(home.config)).laufprotokolle_behalten_tage
    except ValueError as exc:
        raise dg.Failure(description=str(exc)) from exc
    ergebnis = aufraeumen(context.instance, home, tage)
    context.log.info(ergebnis.meldung())
    return dg.MaterializeResult(metadata={
        "behalten_tage": tage,
        "geloeschte_laeufe": len(ergebnis.geloeschte_laeufe),
        "behaltene_alte_laeufe": len(ergebnis.behaltene_alte_laeufe),
        "geloeschte_dateien": len(ergebnis.geloeschte_dateien),
        "sekunden": round(ergebnis.sekunden, 3),
    })
