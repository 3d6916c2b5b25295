"""The published tables as cells and relations for disclosure control (docs/datenschutz.md).

Turns the private marts `mart_indikatorwerte` and `mart_hze_hilfearten` into the input of
`protect` / `audit`.

Cells (one per published number that is protected; everything else is published as it
is and is, for the attacker, a constant):
- `iw|<code>|z|<gliederung>|<raum_id>|<jahr>`: the `zaehler` of a sensitive indicator (the
  catalogue's `sensibel`: S, E, G, BI, H04, H06); `wert_art` 'anzahl' (counts), 'geld'
  (E08) or 'anteil' (every rate). The published `nenner` is the attacker's upper bound
  only for shares whose numerator is a subset of a denominator from the same delivery
  (`NENNER_AUS_QUELLE`); else there is none.
- `ha|<hilfeart>|<kennzahl>|<gliederung>|<raum_id>|<jahr>`: the four figures of
  `hze_hilfearten` (counts, and money with its contributing cases and largest case),
  and two hidden slack cells per row (`verborgen`, never published) that write the
  attacker's knowledge laufend <= faelle, neu <= faelle as equations.
Denominators are no cells: they are published and never suppressed (the spec).

Every cell also carries what the cost of secondary suppression needs: `ebene` ('oz',
'raum', 'kommune', 'kreis'), `gebiet` (the area) and `reihe` (the same figure of the same
area in every year).

Relations (equations on the true values that an attacker knows):
- the area hierarchy per figure and Berichtsjahr (`relations.hierarchy_relations`) and the
  overlaps of Gliederungen (`ueberlappungen`): a Planungsraum = the Sozialräume inside it;
- the inequalities of `hze_hilfearten` with their slack cells (`schlupf_relationen`);
- sums between figures of one Gebiet and Berichtsjahr (`SUMMEN`): E01 = E02 + E03; E06 =
  new cases of Hilfeart 42; E07 = new cases of the Hilfearten it counts; E08 = their
  expenditure.
S02 and S08 count distinct Bedarfsgemeinschaften: one whose members live in two areas
counts in both, so areas add up to a little more than their municipality. An attacker
who simply assumes additivity is nearly right, so they are protected as additive: their
relations carry the true difference as `konstante` (sum = konstante), which describes an
attacker who knows even that difference (docs/datenschutz.md).
"""

import numpy as np
import pandas as pd

from dagster_project.lib.geheimhaltung.relations import hierarchy_relations

GESAMT = ("kommune", "kreis")
HZE_ENG = ("27_2", "29", "30", "31", "32", "33", "34", "35")
KENNZAHLEN = ("anzahl_faelle", "anzahl_laufend", "anzahl_neu", "ausgaben_euro")

# indicators whose nenner is a count of the source itself (numerator a subset of it)
NENNER_AUS_QUELLE = (
    "H02", "H03", "H04", "H05", "H06", "H07", "S08", "K03", "K04",
    *(f"G{i:02d}" for i in range(1, 12)), *(f"BI{i:02d}" for i in range(1, 7)),
)
# counts of distinct Bedarfsgemeinschaften: nearly additive (see the module docstring)
NAHEZU_ADDITIV = ("S02", "S08")
# shares whose numerator can exceed the denominator (different Stichtage)
OHNE_OBERGRENZE = {"K02"}

# total = sum of parts, within one Gebiet and Berichtsjahr: (total, [parts]); parts are
# ("iw", code, part) or ("ha", hilfeart, kennzahl)
SUMMEN = [
    (("iw", "E01", "z"), [("iw", "E02", "z"), ("iw", "E03", "z")]),
    (("iw", "E06", "z"), [("ha", "42", "anzahl_neu")]),
    (("iw", "E07", "z"), [("ha", h, "anzahl_neu") for h in HZE_ENG]),
    (("iw", "E08", "z"), [("ha", h, "ausgaben_euro") for h in (*HZE_ENG, "35a", "41", "42")]),
]
RELATION_COLUMNS = ["relation_id", "cell_id", "koeffizient", "konstante"]


def _ebene(gliederung: pd.Series, raum_id: pd.Series) -> np.ndarray:
    return np.where(gliederung == "kommune", "kommune",
                    np.where(gliederung == "kreis", "kreis",
                             np.where(raum_id.astype(str).str.endswith("-OZ"), "oz", "raum")))


def _cost_columns(frame: pd.DataFrame, prefix: pd.Series) -> pd.DataFrame:
    frame = frame.copy()
    frame["ebene"] = _ebene(frame["gliederung"], frame["raum_id"])
    frame["gebiet"] = frame["gliederung"] + "|" + frame["raum_id"].astype(str)
    frame["reihe"] = prefix + "|" + frame["gebiet"]
    return frame


def indikator_zellen(werte: pd.DataFrame, katalog: pd.DataFrame) -> pd.DataFrame:
    """Cells of `mart_indikatorwerte` (columns code, gliederung, raum_id, ags, berichtsjahr,
    zaehler, nenner, status): the numerators of the sensitive indicators."""
    kat = katalog.set_index("code")
    codes = kat.index[kat["sensibel"].astype(bool)]
    rows = werte[werte["code"].isin(codes) & (werte["status"] != "keine_daten")
                 & werte["zaehler"].notna()].copy()
    einheit = rows["code"].map(kat["einheit"])
    prefix = "iw|" + rows["code"] + "|z"
    cells = rows[["code", "gliederung", "raum_id", "ags", "berichtsjahr"]].assign(
        tabelle="indikatorwerte", teil="z", zaehler=rows["zaehler"].astype(float),
        sensibel=True)
    cells["cell_id"] = (prefix + "|" + rows["gliederung"] + "|" + rows["raum_id"] + "|"
                        + rows["berichtsjahr"].astype(str))
    is_count = einheit == "Anzahl"
    is_money = rows["code"] == "E08"
    cells["wert_art"] = np.where(is_count, "anzahl", np.where(is_money, "geld", "anteil"))
    cells["nenner"] = rows["nenner"].where(~is_count).astype(float)
    # the numerator is a subset of the denominator only where both come from the same
    # delivery; a population denominator (another source, matched to addresses on its own)
    # can be smaller than the numerator in an area, e.g. in `ohne Zuordnung`
    share = ((einheit == "%") & rows["code"].isin(NENNER_AUS_QUELLE)
             & ~rows["code"].isin(OHNE_OBERGRENZE) & rows["nenner"].notna())
    cells["obergrenze"] = np.where(share | is_count | is_money, np.nan, np.inf)
    return _cost_columns(cells, prefix)


def hilfearten_zellen(hilfearten: pd.DataFrame) -> pd.DataFrame:
    """Cells of `mart_hze_hilfearten` (every figure sensitive on every level)."""
    rows = hilfearten[hilfearten["status"] != "keine_daten"]
    parts = []
    for kennzahl in KENNZAHLEN:
        money = kennzahl == "ausgaben_euro"
        parts.append(_hilfeart_zellen(
            rows, kennzahl, zaehler=rows[kennzahl].astype(float), sensibel=True,
            wert_art="geld" if money else "anzahl",
            n_beitraege=rows["anzahl_mit_ausgaben"].astype(float) if money else np.nan,
            max_beitrag=rows["max_ausgaben_euro"].astype(float) if money else np.nan))
    return pd.concat(parts, ignore_index=True)


def hilfearten_schlupf(hilfearten: pd.DataFrame) -> pd.DataFrame:
    """Hidden slack cells of the inequalities an attacker knows in `hze_hilfearten`:
    `anzahl_laufend` <= `anzahl_faelle` and `anzahl_neu` <= `anzahl_faelle`
    (faelle - laufend - schlupf = 0 with an unknown schlupf >= 0, never published)."""
    rows = hilfearten[hilfearten["status"] != "keine_daten"]
    parts = [_hilfeart_zellen(rows, "schlupf_" + kennzahl.removeprefix("anzahl_"),
                              zaehler=(rows["anzahl_faelle"] - rows[kennzahl]).astype(float),
                              sensibel=False, verborgen=True, wert_art="anzahl",
                              n_beitraege=np.nan, max_beitrag=np.nan)
             for kennzahl in ("anzahl_laufend", "anzahl_neu")]
    return pd.concat(parts, ignore_index=True)


def _hilfeart_zellen(rows: pd.DataFrame, teil: str, **columns) -> pd.DataFrame:
    """One figure (`teil`) of every `hze_hilfearten` row as cells
    `ha|<hilfeart>|<teil>|<gliederung>|<raum_id>|<jahr>`."""
    part = rows[["hilfeart", "gliederung", "raum_id", "ags", "berichtsjahr"]].assign(
        tabelle="hze_hilfearten", code=rows["hilfeart"], teil=teil, nenner=np.nan,
        obergrenze=np.nan, **columns)
    prefix = "ha|" + part["hilfeart"] + "|" + teil
    part["cell_id"] = (prefix + "|" + part["gliederung"] + "|" + part["raum_id"] + "|"
                       + part["berichtsjahr"].astype(str))
    return _cost_columns(part.drop(columns="hilfeart"), prefix)


def e08_beitraege(cells: pd.DataFrame) -> pd.DataFrame:
    """E08 (a money sum) gets the contributing cases and the largest case from the
    Hilfearten it sums (the same cases)."""
    cells = cells.copy()
    geld = cells[(cells["tabelle"] == "hze_hilfearten") & (cells["teil"] == "ausgaben_euro")
                 & cells["code"].isin((*HZE_ENG, "35a", "41", "42"))]
    per = geld.groupby(["gliederung", "raum_id", "berichtsjahr"]).agg(
        n_beitraege=("n_beitraege", "sum"), max_beitrag=("max_beitrag", "max"))
    is_e08 = (cells["code"] == "E08") & (cells["teil"] == "z")
    keys = pd.MultiIndex.from_frame(cells.loc[is_e08, ["gliederung", "raum_id", "berichtsjahr"]])
    for column in ("n_beitraege", "max_beitrag"):
        if column not in cells.columns:
            cells[column] = np.nan
        cells.loc[is_e08, column] = per[column].reindex(keys).to_numpy()
    # E08 without any Hilfearten rows (no hze figures): no contributing case
    cells.loc[is_e08 & cells["n_beitraege"].isna(), "n_beitraege"] = 0
    cells.loc[is_e08 & cells["max_beitrag"].isna(), "max_beitrag"] = 0
    return cells


def zellen(werte: pd.DataFrame, katalog: pd.DataFrame, hilfearten: pd.DataFrame) -> pd.DataFrame:
    cells = pd.concat([indikator_zellen(werte, katalog), hilfearten_zellen(hilfearten),
                       hilfearten_schlupf(hilfearten)], ignore_index=True)
    cells["verborgen"] = cells["verborgen"].fillna(False).astype(bool)
    cells = e08_beitraege(cells)
    # money (DECIMAL in the warehouse) as floats rounded to the cent, so that the same data
    # always gives the same pattern
    for column in ("zaehler", "max_beitrag"):
        cells[column] = cells[column].astype(float).round(6)
    return cells


def ueberlappungen(zuordnung: pd.DataFrame) -> pd.DataFrame:
    """Groups of areas of two Gliederungen that cover the same addresses.

    `zuordnung`: `zuordnung_id` (register address or `<ags>-OZ`), `gliederung`, `raum_id`
    (int_geo__zuordnung_gebiete). For every pair of Gliederungen of areas, and of a
    Gliederung crossing municipal borders with `kommune`, the areas linked by a shared
    address form connected groups; each group's areas of the one Gliederung add up to its
    areas of the other (a Planungsraum to the Sozialräume inside it, an `ohne Zuordnung`
    area to the same one of another Gliederung). Returns `gruppe`, `gliederung`,
    `raum_id`, `seite` (+1 / -1)."""
    from scipy.sparse import coo_matrix
    from scipy.sparse.csgraph import connected_components

    z = zuordnung[["zuordnung_id", "gliederung", "raum_id"]].drop_duplicates()
    flaechen = sorted(set(z["gliederung"]) - set(GESAMT))
    kommune = z[z["gliederung"] == "kommune"][["zuordnung_id", "raum_id"]]
    crossing = set()
    for gliederung in flaechen:
        areas = z[z["gliederung"] == gliederung][["zuordnung_id", "raum_id"]].merge(
            kommune, on="zuordnung_id", suffixes=("", "_kommune"))
        if (areas.groupby("raum_id")["raum_id_kommune"].nunique() > 1).any():
            crossing.add(gliederung)
    pairs = [(a, b) for i, a in enumerate(flaechen) for b in flaechen[i + 1:]]
    pairs += [(a, "kommune") for a in sorted(crossing)]
    out = []
    for a, b in pairs:
        left = z[z["gliederung"] == a][["zuordnung_id", "raum_id"]]
        right = z[z["gliederung"] == b][["zuordnung_id", "raum_id"]]
        edges = left.merge(right, on="zuordnung_id", suffixes=("_a", "_b"))[
            ["raum_id_a", "raum_id_b"]].drop_duplicates()
        if edges.empty:
            continue
        nodes_a = pd.Index(sorted(edges["raum_id_a"].unique()))
        nodes_b = pd.Index(sorted(edges["raum_id_b"].unique()))
        n = len(nodes_a) + len(nodes_b)
        rows = nodes_a.get_indexer(edges["raum_id_a"])
        cols = len(nodes_a) + nodes_b.get_indexer(edges["raum_id_b"])
        graph = coo_matrix((np.ones(len(rows)), (rows, cols)), shape=(n, n))
        _, label = connected_components(graph, directed=False)
        frame = pd.DataFrame({
            "gruppe": [f"{a}~{b}#{lab}" for lab in label],
            "gliederung": [a] * len(nodes_a) + [b] * len(nodes_b),
            "raum_id": [*nodes_a, *nodes_b],
            "seite": [1.0] * len(nodes_a) + [-1.0] * len(nodes_b)})
        out.append(frame)
    if not out:
        return pd.DataFrame(columns=["gruppe", "gliederung", "raum_id", "seite"])
    return pd.concat(out, ignore_index=True)


def ueberlappungs_relationen(cells: pd.DataFrame, gruppen: pd.DataFrame) -> pd.DataFrame:
    """Per overlap group (`ueberlappungen`), figure and Berichtsjahr: the group's areas of
    one Gliederung minus those of the other = 0 (only where every area of the group has
    the cell)."""
    if gruppen.empty:
        return pd.DataFrame(columns=["relation_id", "cell_id", "koeffizient"])
    size = gruppen.groupby("gruppe").size().rename("groesse")
    area_cells = cells[["tabelle", "code", "teil", "berichtsjahr", "gliederung", "raum_id",
                        "cell_id"]]
    joined = area_cells.merge(gruppen, on=["gliederung", "raum_id"])
    joined["relation_id"] = ("ov|" + joined["tabelle"] + "|" + joined["code"] + "|"
                             + joined["teil"] + "|" + joined["berichtsjahr"].astype(str)
                             + "|" + joined["gruppe"])
    complete = joined.groupby("relation_id")["cell_id"].transform("size") \
        == joined["gruppe"].map(size)
    joined = joined[complete]
    return pd.DataFrame({"relation_id": joined["relation_id"], "cell_id": joined["cell_id"],
                         "koeffizient": joined["seite"]})


def schlupf_relationen(cells: pd.DataFrame) -> pd.DataFrame:
    """faelle - laufend - schlupf_laufend = 0 and faelle - neu - schlupf_neu = 0 per row of
    `hze_hilfearten` (see `hilfearten_schlupf`)."""
    ha = cells[cells["tabelle"] == "hze_hilfearten"]
    key = ["code", "gliederung", "raum_id", "berichtsjahr"]
    wide = ha.pivot_table(index=key, columns="teil", values="cell_id", aggfunc="first")
    parts = []
    for kennzahl, schlupf in (("anzahl_laufend", "schlupf_laufend"),
                              ("anzahl_neu", "schlupf_neu")):
        if schlupf not in wide.columns:
            continue
        rows = wide[["anzahl_faelle", kennzahl, schlupf]].dropna()
        rid = "ug|" + rows[schlupf].to_numpy().astype(object)
        for column, koeffizient in (("anzahl_faelle", 1.0), (kennzahl, -1.0),
                                    (schlupf, -1.0)):
            parts.append(pd.DataFrame({"relation_id": rid, "cell_id": rows[column].to_numpy(),
                                       "koeffizient": koeffizient}))
    if not parts:
        return pd.DataFrame(columns=["relation_id", "cell_id", "koeffizient"])
    return pd.concat(parts, ignore_index=True)


def _ags_from_addresses(cells: pd.DataFrame, zuordnung: pd.DataFrame) -> pd.DataFrame:
    """The municipality an area lies in for the hierarchy: the one of all its addresses;
    none (NULL) when its addresses lie in several municipalities, whatever `ags` the
    boundary file gave the area (its figures then add up to the county)."""
    z = zuordnung[["zuordnung_id", "gliederung", "raum_id"]]
    kommune = z[z["gliederung"] == "kommune"][["zuordnung_id", "raum_id"]].rename(
        columns={"raum_id": "kommune"})
    areas = z[~z["gliederung"].isin(GESAMT)].merge(kommune, on="zuordnung_id")
    per = areas.groupby(["gliederung", "raum_id"])["kommune"].agg(["nunique", "first"])
    single = per["first"].where(per["nunique"] == 1)
    key = pd.MultiIndex.from_frame(cells[["gliederung", "raum_id"]])
    found = pd.Series(single.reindex(key).to_numpy(), index=cells.index)
    is_area = ~cells["gliederung"].isin(GESAMT)
    known = pd.Series(key.isin(per.index), index=cells.index)
    cells = cells.copy()
    cells["ags"] = cells["ags"].where(~(is_area & known), found)
    return cells


def _sum_relations(cells: pd.DataFrame) -> list[pd.DataFrame]:
    gebiet = ["gliederung", "raum_id", "berichtsjahr"]
    prefix = cells["tabelle"].map({"indikatorwerte": "iw", "hze_hilfearten": "ha"})
    lookup = cells.assign(_art=prefix).set_index(["_art", "code", "teil"])[gebiet + ["cell_id"]]

    def members(kind: str, code: str, part: str) -> pd.DataFrame:
        key = (kind, code, part)
        if key not in lookup.index:
            return pd.DataFrame(columns=[*gebiet, "cell_id"])
        return lookup.loc[[key]].reset_index(drop=True)

    def gebiet_id(frame: pd.DataFrame) -> pd.Series:
        return (frame["gliederung"] + "|" + frame["raum_id"] + "|"
                + frame["berichtsjahr"].astype(str))

    parts = []
    for total, summands in SUMMEN:
        head = members(*total)
        if head.empty:
            continue
        name = f"sum|{total[1]}.{total[2]}|"
        parts.append(pd.DataFrame({"relation_id": name + gebiet_id(head),
                                   "cell_id": head["cell_id"], "koeffizient": 1.0}))
        for summand in summands:
            found = members(*summand)
            if found.empty:
                continue
            # only where the total exists for the same Gebiet and year
            found = found.merge(head[gebiet], on=gebiet)
            parts.append(pd.DataFrame({"relation_id": name + gebiet_id(found),
                                       "cell_id": found["cell_id"], "koeffizient": -1.0}))
    return parts


def relationen(cells: pd.DataFrame, zuordnung: pd.DataFrame | None = None) -> pd.DataFrame:
    """Every relation of the published tables on `cells` (see the module docstring);
    with `zuordnung` (int_geo__zuordnung_gebiete) also the overlaps of Gliederungen.
    Columns `relation_id`, `cell_id`, `koeffizient`, `konstante` (the relation reads
    sum(koeffizient * zaehler) = konstante; 0 except for nearly additive figures)."""
    hidden = (cells["verborgen"].astype(bool) if "verborgen" in cells.columns
              else pd.Series(False, index=cells.index))
    published = cells[~hidden]
    if zuordnung is not None:
        published = _ags_from_addresses(published, zuordnung)
    parts = [hierarchy_relations(published, gruppe=("tabelle", "code", "teil", "berichtsjahr"))]
    if zuordnung is not None:
        parts.append(ueberlappungs_relationen(published, ueberlappungen(zuordnung)))
    parts.append(schlupf_relationen(cells))
    parts += _sum_relations(cells)
    out = pd.concat([p for p in parts if len(p)], ignore_index=True)[
        ["relation_id", "cell_id", "koeffizient"]]
    # nearly additive figures: the true difference as the relation's constant
    value = out["cell_id"].map(cells.set_index("cell_id")["zaehler"]).astype(float)
    code = out["cell_id"].map(cells.set_index("cell_id")["code"])
    residual = (out["koeffizient"] * value).groupby(out["relation_id"]).transform("sum")
    nahezu = code.isin(NAHEZU_ADDITIV).groupby(out["relation_id"]).transform("all")
    out["konstante"] = np.where(nahezu, residual.round(9), 0.0)
    return out[RELATION_COLUMNS]
