"""Disclosure control, step 3: primary, secondary and audit-driven suppression of every
cell (`dagster_project.lib.geheimhaltung.protect`); the suppression log of the private
zone: every cell with `status`, the private `sperrart` and `grund`, the rule set version
and the configuration (JSON). A Berichtsjahr whose inputs did not change keeps the pattern
it had (kept in the warehouse, schema `geheimhaltung_cache`). The configuration is the dbt
var `geheimhaltung` (defaults in dbt_project.yml; the nightly run passes the section
`geheimhaltung:` of config/settings.yaml), read through the model's `meta` because Python
models cannot call `var()`."""

import json

from dagster_project.lib.geheimhaltung import config_from_mapping, protect
from dagster_project.lib.geheimhaltung.speicher import lade_muster, speichere_muster


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
    cache = lade_muster(session)
    result, _ = protect(cells, relations, config, cache=cache)
    speichere_muster(session, cache)
    result = result[~result["verborgen"].astype(bool)]
    out = result[["cell_id", "tabelle", "code", "teil", "gliederung", "raum_id",
                  "berichtsjahr", "sensibel", "zaehler", "status", "sperrart",
                  "grund"]].copy()
    out["sperrart"] = out["sperrart"].astype(object)
    out["grund"] = out["grund"].astype(object)
    out["regelwerk_version"] = config.regelwerk_version
    out["regelwerk"] = config.to_json()
    return out
