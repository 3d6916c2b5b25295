"""Disclosure control, step 2: the linear relations between the cells that an attacker
knows (area hierarchy, overlaps of Gliederungen, identities between figures). See
dagster_project/geheimhaltung_tabellen.py."""

from dagster_project.geheimhaltung_tabellen import relationen


def model(dbt, session):
    dbt.config(materialized="table")
    cells = dbt.ref("int_geheimhaltung__zellen").df()
    zuordnung = dbt.ref("int_geo__zuordnung_gebiete").df()
    out = relationen(cells, zuordnung)
    out["koeffizient"] = out["koeffizient"].astype("float64")
    return out
