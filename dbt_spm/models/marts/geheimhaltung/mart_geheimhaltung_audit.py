"""The attacker audit (privacy-and-publishing.md, "Audit"), private.

Reads what the published tables show — a cell counts as suppressed when its number is
blank in `published.indikatorwerte` / `published.hze_hilfearten`, whatever the suppression
log says — and derives by linear programming, from every published number and every
relation (`int_geheimhaltung__relationen`), whether an attacker can narrow a suppressed
cell to within its protection range (`dagster_project.lib.geheimhaltung.audit`). One row
per suppressed cell judged; the dbt test on `geschuetzt` blocks publishing when any cell
fails. A Berichtsjahr whose cells, values, relations and pattern did not change keeps its
verdict (schema `geheimhaltung_cache` of the warehouse).
"""

import json

import numpy as np

from dagster_project.lib.geheimhaltung import audit, config_from_mapping
from dagster_project.lib.geheimhaltung.speicher import lade_audit, speichere_audit

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
             .project("code, gliederung, raum_id, berichtsjahr, zaehler").df())
    hilfearten = dbt.ref("pub_hze_hilfearten").df()

    # what is blank in the published tables
    shown = {}
    key = ("iw|" + werte["code"] + "|z|" + werte["gliederung"] + "|" + werte["raum_id"] + "|"
           + werte["berichtsjahr"].astype(str))
    shown.update(zip(key, werte["zaehler"].notna(), strict=True))
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
    visible = visible.astype(bool)

    # which requirement applies to a blank cell comes from the private log (a blank cell
    # the log does not know is judged as primary, the stricter)
    log = dbt.ref("mart_geheimhaltung_protokoll").project("cell_id, sperrart").df()
    kind = cells["cell_id"].map(log.set_index("cell_id")["sperrart"])
    published = cells.copy()
    published["status"] = np.where(hidden, "verborgen", np.where(visible, "ok", "gesperrt"))
    published["sperrart"] = kind.where(~visible & ~hidden)
    truth = cells.set_index("cell_id")["zaehler"]
    published.loc[~visible & ~hidden, "zaehler"] = np.nan
    cache = lade_audit(session)
    result = audit(published, relations, config, true_values=truth, exakt=False, cache=cache)
    speichere_audit(session, cache)
    out = result.intervalle.merge(cells[["cell_id", "tabelle"]], on="cell_id", how="left")
    out = out[["cell_id", "tabelle", "sperrart", "unten", "oben", "bedarf_unten",
               "bedarf_oben", "exakt", "geschuetzt"]].copy()
    for column in ("unten", "oben", "bedarf_unten", "bedarf_oben"):
        out[column] = out[column].astype("float64")
    out["exakt"] = out["exakt"].astype(bool)
    out["geschuetzt"] = out["geschuetzt"].astype(bool)
    out["regelwerk"] = config.to_json()
    return out
