"""Sozialindex per area of every Gliederung and Berichtsjahr (private, unprotected values).

Implements shared/spec/indicators.md "Sozialindex (composite)", Berlin MSS method, with the
engine `dagster_project.sozialindex` (the same code the Berlin MSS 2021 reference test
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

import pandas as pd

from dagster_project.sozialindex import SozialindexConfig, compute_sozialindex

GESAMT_GLIEDERUNGEN = ("kommune", "kreis")
OHNE_ZUORDNUNG = "-OZ"

COLUMNS = {
    "gliederung": "str",
    "raum_id": "str",
    "raum_name": "str",
    "ags": "str",
    "berichtsjahr": "int32",
    "einwohner": "float64",
    "status_summe": "float64",
    "status_index": "float64",
    "status_klasse": "str",
    "dynamik_vergleichsjahr": "int32",
    "dynamik_summe": "float64",
    "dynamik_index": "float64",
    "dynamik_klasse": "str",
    "hinweis": "str",
    "anzahl_raeume_universum": "int32",
    "anzahl_raeume_universum_dynamik": "int32",
    "methode": "str",
}


def read_config(dbt) -> SozialindexConfig:
    raw = dbt.config.meta_get("sozialindex")
    data = json.loads(raw) if isinstance(raw, str) else raw
    katalog = dbt.ref("indikatoren_katalog").df()
    codes = {row.code: (row.einheit, bool(row.berechnet)) for row in katalog.itertuples()}
    return SozialindexConfig.from_mapping(data, katalog=codes, prefix="var sozialindex")


def one_year(werte: pd.DataFrame, jahr: int, vergleich: pd.DataFrame | None,
             config: SozialindexConfig) -> pd.DataFrame:
    """The index of one Gliederung and Berichtsjahr (`werte`: that year's rows)."""
    codes = list(config.indikatoren)
    raeume = (werte[["raum_id", "raum_name", "ags"]].drop_duplicates("raum_id")
              .set_index("raum_id").sort_index())
    is_oz = raeume.index.str.endswith(OHNE_ZUORDNUNG)
    flaechen = raeume.index[~is_oz]
    status = (werte[werte.code.isin(codes)].pivot(index="raum_id", columns="code", values="wert")
              .reindex(index=flaechen, columns=codes).astype("float64"))
    einwohner = (werte[werte.code == "B01"].set_index("raum_id")["zaehler"]
                 .reindex(raeume.index).astype("float64"))
    if vergleich is not None:
        vorher = (vergleich[vergleich.code.isin(codes)]
                  .pivot(index="raum_id", columns="code", values="wert")
                  .reindex(index=flaechen, columns=codes).astype("float64"))
        dynamik = status - vorher
    else:
        dynamik = pd.DataFrame(float("nan"), index=flaechen, columns=codes)
    result = compute_sozialindex(status, dynamik, einwohner.reindex(flaechen), config)

    # hinweis: the engine's reason for leaving an area out of the status universe, else why
    # the area has no dynamics (its dynamics universe is a subset of the status universe)
    hinweis = result["hinweis"].astype("object")
    im_status = result["status_universum"]
    im_dynamik = result["dynamik_universum"]
    ohne_dynamik = im_status & ~im_dynamik
    if vergleich is None:
        hinweis[ohne_dynamik] = "Dynamik: Vergleichsjahr fehlt"
    else:
        hinweis[ohne_dynamik] = "Dynamik: " + hinweis[ohne_dynamik]
    # in the universe, but the index is undefined (fewer than two areas, or no spread)
    hinweis[im_status & result["status_index"].isna()] = "nicht berechenbar"
    hinweis[im_dynamik & result["status_index"].notna() & result["dynamik_index"].isna()] = (
        "Dynamik: nicht berechenbar")
    result["hinweis"] = hinweis

    result = result.reindex(raeume.index)
    result.loc[is_oz, "hinweis"] = "ohne Zuordnung"
    result["methode"] = config.to_json()
    result["anzahl_raeume_universum"] = int(im_status.sum())
    result["anzahl_raeume_universum_dynamik"] = int(im_dynamik.sum())
    result["raum_name"] = raeume["raum_name"]
    result["ags"] = raeume["ags"]
    result["einwohner"] = einwohner
    result["berichtsjahr"] = jahr
    result["dynamik_vergleichsjahr"] = jahr - config.dynamik_jahre
    return result.rename_axis("raum_id").reset_index()


def model(dbt, session):
    dbt.config(materialized="table")
    config = read_config(dbt)
    codes = [*config.indikatoren, "B01"]
    werte = (dbt.ref("mart_indikatorwerte")
             .filter("code in (" + ", ".join(f"'{code}'" for code in codes) + ")")
             .project("code, gliederung, raum_id, raum_name, ags, berichtsjahr, zaehler, wert")
             .df())
    werte = werte[~werte.gliederung.isin(GESAMT_GLIEDERUNGEN)]
    # Berichtsjahre in which every status indicator has rows
    jahre_je_code = [set(werte.loc[werte.code == code, "berichtsjahr"])
                     for code in config.indikatoren]
    jahre = sorted(set.intersection(*jahre_je_code))

    teile = []
    for gliederung, rows in werte.groupby("gliederung"):
        for jahr in jahre:
            vergleichsjahr = jahr - config.dynamik_jahre
            vergleich = (rows[rows.berichtsjahr == vergleichsjahr]
                         if vergleichsjahr in jahre else None)
            teil = one_year(rows[rows.berichtsjahr == jahr], jahr, vergleich, config)
            teil["gliederung"] = gliederung
            teile.append(teil)
    final = pd.concat(teile, ignore_index=True) if teile else pd.DataFrame(columns=list(COLUMNS))
    return final[list(COLUMNS)].astype(COLUMNS)
