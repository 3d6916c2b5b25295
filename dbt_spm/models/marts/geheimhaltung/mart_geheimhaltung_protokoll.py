"""Disclosure control, step 3: primary, secondary and audit-driven suppression of every
cell (`dagster_project.geheimhaltung.protect`); the suppression log of the private zone:
every cell with `status`, `grund`, the rule set version and the configuration (JSON).
The configuration is the dbt var `geheimhaltung` (defaults in dbt_project.yml; the
nightly run passes the section `geheimhaltung:` of config/settings.yaml), read through
the model's `meta` because Python models cannot call `var()`."""

import json

from dagster_project.geheimhaltung import protect
from dagster_project.geheimhaltung_tabellen import config_from_mapping


def read_config(dbt):
    raw = dbt.config.meta_get("geheimhaltung")
    data = json.loads(raw) if isinstance(raw, str) else raw
    return config_from_mapping(data, prefix="var geheimhaltung")


def model(dbt, session):
    dbt.config(materialized="table")
    config = read_config(dbt)
    # a fixed order: the choice of secondary cells must not depend on how DuckDB returns rows
    cells = (dbt.ref("int_geheimhaltung__zellen").df()
             .sort_values("cell_id", kind="stable").reset_index(drop=True))
    relations = (dbt.ref("int_geheimhaltung__relationen").df()
                 .sort_values(["relation_id", "cell_id"], kind="stable")
                 .reset_index(drop=True))
    result, _ = protect(cells, relations, config)
    out = result[["cell_id", "tabelle", "code", "teil", "gliederung", "raum_id",
                  "berichtsjahr", "sensibel", "zaehler", "status", "grund"]].copy()
    out["regelwerk_version"] = config.regelwerk_version
    out["regelwerk"] = config.to_json()
    return out
