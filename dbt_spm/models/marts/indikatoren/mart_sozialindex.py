"""Sozialindex per area of every Gliederung and Berichtsjahr (private, unprotected values).

Implements shared/spec/indicators.md "Sozialindex (composite)", Berlin MSS method, with the
engine `dagster_project.lib.sozialindex` (the same code the Berlin MSS 2021 reference test
feeds):
1. Universe per Gliederung and Berichtsjahr: the areas with at least `min_einwohner`
   residents (B01 `zaehler` of the area and year), every status indicator known and not on
   the outlier list. The `<ags>-OZ` pseudo-areas are no areas: they keep a row, without
   index, with `hinweis = 'ohne Zuordnung'` (docs/decisions.md). Municipalities and the
   county are no Gliederung of areas and get no rows.
2./3. Status: each indicator's `wert` of `mart_indikatorwerte` z-standardised over the
   universe (population sd), weighted sum, z-standardised again.
4. Classes on the unrounded index, thresholds from the configuration.
5. Dynamik: the same on wert(Y) - wert(Y - dynamik_jahre) per indicator (percentage
   points); without that Berichtsjahr in the warehouse there is no dynamics.
6. The method (JSON of the configuration) and the universe sizes are stored in every row.

Berichtsjahre: those in which every configured status indicator has rows in
`mart_indikatorwerte`. The configuration is the dbt var `sozialindex` (defaults in
dbt_project.yml; the nightly run passes config/settings.yaml), read through the model's
`meta` because Python models cannot call `var()`.
"""

import json

from dagster_project.lib.sozialindex import SozialindexConfig, index_table


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
    werte = (dbt.ref("mart_indikatorwerte")
             .filter("code in (" + ", ".join(f"'{code}'" for code in codes) + ")")
             .project("code, gliederung, raum_id, raum_name, ags, berichtsjahr, zaehler, wert")
             .df())
    return index_table(werte, config)
