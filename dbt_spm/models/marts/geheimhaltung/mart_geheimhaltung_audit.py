"""The attacker audit (privacy-and-publishing.md, "Audit"), private.

Reads what the published tables show — a cell counts as suppressed when its number is
blank in `published.indikatorwerte` / `published.hze_hilfearten`, whatever the suppression
log says — and derives by linear programming, from every published number and every
relation (`int_geheimhaltung__relationen`), the tightest interval of each suppressed cell
(`dagster_project.audit.audit`). One row per suppressed cell checked; the dbt test on
`geschuetzt` blocks publishing when any interval is narrower than the protection range.
"""

import json

import numpy as np

from dagster_project.audit import audit
from dagster_project.geheimhaltung_tabellen import config_from_mapping

KENNZAHLEN = ("anzahl_faelle", "anzahl_laufend", "anzahl_neu", "ausgaben_euro")


def model(dbt, session):
    dbt.config(materialized="table")
    raw = dbt.config.meta_get("geheimhaltung")
    config = config_from_mapping(json.loads(raw) if isinstance(raw, str) else raw,
                                 prefix="var geheimhaltung")
    cells = (dbt.ref("int_geheimhaltung__zellen").df()
             .sort_values("cell_id", kind="stable").reset_index(drop=True))
    relations = (dbt.ref("int_geheimhaltung__relationen").df()
                 .sort_values(["relation_id", "cell_id"], kind="stable")
                 .reset_index(drop=True))
    werte = (dbt.ref("pub_indikatorwerte")
             .project("code, gliederung, raum_id, berichtsjahr, zaehler, nenner").df())
    hilfearten = dbt.ref("pub_hze_hilfearten").df()

    # what is blank in the published tables
    shown = {}
    key = ("iw|" + werte["code"] + "|" + werte["gliederung"] + "|" + werte["raum_id"] + "|"
           + werte["berichtsjahr"].astype(str))
    shown.update(zip(key + "|z", werte["zaehler"].notna(), strict=True))
    shown.update(zip(key + "|n", werte["nenner"].notna(), strict=True))
    base = ("|" + hilfearten["gliederung"] + "|" + hilfearten["raum_id"] + "|"
            + hilfearten["berichtsjahr"].astype(str))
    for kennzahl in KENNZAHLEN:
        ids = "ha|" + hilfearten["hilfeart"] + "|" + kennzahl + base
        shown.update(zip(ids, hilfearten[kennzahl].notna(), strict=True))
    hidden = cells["verborgen"].astype(bool)
    visible = cells["cell_id"].map(shown).where(~hidden, False)
    if visible.isna().any():
        missing = cells.loc[visible.isna(), "cell_id"].head(5).tolist()
        raise ValueError(f"cells missing from the published tables, e.g. {missing}")

    # blank cells keep the kind of their suppression from the log (a zero suppressed only
    # to protect others needs no protection itself, see audit.judge)
    log = dbt.ref("mart_geheimhaltung_protokoll").project("cell_id, status").df()
    kind = cells["cell_id"].map(log.set_index("cell_id")["status"])
    kind = kind.where(kind.isin(["gesperrt", "gesperrt_sekundaer"]), "gesperrt")
    published = cells.copy()
    published["status"] = np.where(hidden, "verborgen",
                                   np.where(visible.astype(bool), "ok", kind))
    truth = cells.set_index("cell_id")["zaehler"]
    published.loc[~visible.astype(bool) & ~hidden, "zaehler"] = np.nan
    result = audit(published, relations, config, true_values=truth)
    out = result.intervalle.merge(cells[["cell_id", "tabelle"]], on="cell_id", how="left")
    out = out[["cell_id", "tabelle", "unten", "oben", "bedarf_unten", "bedarf_oben",
               "geschuetzt"]].copy()
    for column in ("unten", "oben", "bedarf_unten", "bedarf_oben"):
        out[column] = out[column].astype("float64")
    out["geschuetzt"] = out["geschuetzt"].astype(bool)
    out["regelwerk"] = config.to_json()
    return out
