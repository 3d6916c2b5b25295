"""Disclosure control, step 2: the linear relations between the cells that an attacker
knows (area hierarchy, overlaps of Gliederungen, sums between figures, the inequalities of
hze_hilfearten). See dagster_project/lib/geheimhaltung/tables.py."""

from dagster_project.lib.geheimhaltung.tables import relationen


def model(dbt, session):
    dbt.config(materialized="table")
    cells = dbt.ref("int_geheimhaltung__zellen").df()
    zuordnung = dbt.ref("int_geo__zuordnung_gebiete").df()
    out = relationen(cells, zuordnung)
    out["koeffizient"] = out["koeffizient"].astype("float64")
    out["konstante"] = out["konstante"].astype("float64")
    return out
