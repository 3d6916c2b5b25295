"""Disclosure control, step 1: every published number that is protected, as a cell with its
true value (private). See dagster_project/lib/geheimhaltung/tables.py."""

from dagster_project.lib.geheimhaltung.tables import zellen


def model(dbt, session):
    dbt.config(materialized="table")
    werte = (dbt.ref("mart_indikatorwerte")
             .project("code, gliederung, raum_id, ags, berichtsjahr, zaehler, nenner, status")
             .df())
    katalog = dbt.ref("indikatoren_katalog").project("code, einheit, sensibel").df()
    hilfearten = dbt.ref("mart_hze_hilfearten").df()
    gebiete = dbt.ref("int_geo__gebiete").project("gliederung, raum_id, ags").df()
    hilfearten = hilfearten.merge(gebiete, on=["gliederung", "raum_id"], how="left")
    cells = zellen(werte, katalog, hilfearten)
    columns = ["cell_id", "tabelle", "code", "teil", "gliederung", "raum_id", "ags",
               "berichtsjahr", "ebene", "gebiet", "reihe", "wert_art", "sensibel",
               "verborgen", "zaehler", "nenner", "obergrenze", "n_beitraege", "max_beitrag"]
    out = cells[columns].copy()
    out["sensibel"] = out["sensibel"].astype(bool)
    out["verborgen"] = out["verborgen"].astype(bool)
    out["berichtsjahr"] = out["berichtsjahr"].astype("int32")
    for column in ("zaehler", "nenner", "obergrenze", "n_beitraege", "max_beitrag"):
        out[column] = out[column].astype("float64")
    return out
