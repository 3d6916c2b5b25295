"""Published Sozialindex (`published.sozialindex`): the Berlin MSS method
(dagster_project.lib.sozialindex.index_table) on the *published* indicator values.

An area whose status indicator is suppressed by disclosure control has no published
value, so it is outside the universe ("Wert fehlt", relabelled `gesperrt (Geheimhaltung)`)
and the index of every other area is a function of published numbers only: nothing of a
suppressed value can be solved back from the index (docs/datenschutz.md). The private
`mart_sozialindex` is computed on the unprotected values and may differ slightly.
"""

import json

import pandas as pd

from dagster_project.lib.sozialindex import SozialindexConfig, index_table

GESPERRT = ("gesperrt",)


def read_config(dbt) -> SozialindexConfig:
    raw = dbt.config.meta_get("sozialindex")
    data = json.loads(raw) if isinstance(raw, str) else raw
    katalog = dbt.ref("indikatoren_katalog").df()
    codes = {row.code: (row.einheit, bool(row.berechnet)) for row in katalog.itertuples()}
    return SozialindexConfig.from_mapping(data, katalog=codes, prefix="var sozialindex")


def model(dbt, session):
    dbt.config(materialized="table")
    config = read_config(dbt)
    codes = [*config.indikatoren, "B01"]
    werte = (dbt.ref("pub_indikatorwerte")
             .filter("code in (" + ", ".join(f"'{code}'" for code in codes) + ")")
             .project("code, gliederung, raum_id, raum_name, ags, berichtsjahr, zaehler, wert, "
                      "status")
             .df())
    table = index_table(werte.drop(columns="status"), config)

    inputs = werte[werte.code.isin(list(config.indikatoren))]
    blocked = inputs[inputs.status.isin(GESPERRT)][["gliederung", "raum_id", "berichtsjahr"]]
    blocked = set(map(tuple, blocked.drop_duplicates().to_numpy().tolist()))
    key = list(zip(table.gliederung, table.raum_id, table.berichtsjahr, strict=True))
    before = list(zip(table.gliederung, table.raum_id, table.dynamik_vergleichsjahr,
                      strict=True))
    status_blocked = pd.Series([k in blocked for k in key], index=table.index)
    dynamik_blocked = pd.Series([k in blocked for k in before], index=table.index)
    table.loc[status_blocked & (table.hinweis == "Wert fehlt"), "hinweis"] = (
        "gesperrt (Geheimhaltung)")
    table.loc[~status_blocked & dynamik_blocked & (table.hinweis == "Dynamik: Wert fehlt"),
              "hinweis"] = "Dynamik: gesperrt (Geheimhaltung)"
    return table[["gliederung", "raum_id", "raum_name", "ags", "berichtsjahr", "status_index",
                  "status_klasse", "dynamik_vergleichsjahr", "dynamik_index",
                  "dynamik_klasse", "hinweis", "anzahl_raeume_universum",
                  "anzahl_raeume_universum_dynamik", "methode"]]
