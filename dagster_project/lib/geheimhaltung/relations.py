"""Relations of the standard tables: the area hierarchy and breakdowns with a total."""

from collections.abc import Sequence

import numpy as np
import pandas as pd

from dagster_project.lib.geheimhaltung.config import GeheimhaltungError


def _group_key(frame: pd.DataFrame, gruppe: Sequence[str]) -> pd.Series:
    key = pd.Series("", index=frame.index, dtype=object)
    for i, column in enumerate(gruppe):
        key = key + ("" if i == 0 else "|") + frame[column].astype(str)
    return key


def hierarchy_relations(frame: pd.DataFrame, gruppe: Sequence[str] = ("code", "berichtsjahr"),
                        *, cell_id: str = "cell_id", gliederung: str = "gliederung",
                        raum_id: str = "raum_id", ags: str = "ags",
                        kommune: str = "kommune", kreis: str = "kreis",
                        prefix: str = "") -> pd.DataFrame:
    """Additive relations of the area hierarchy, per group (e.g. code × Berichtsjahr).

    `frame` holds one row per cell with the `gruppe` columns, `gliederung`, `raum_id`, the
    area's `ags` (NULL for an area that crosses municipal borders) and `cell_id`. Rows with
    `gliederung == kommune` have the 8-digit AGS as `raum_id`; rows with
    `gliederung == kreis` the 5-digit one. `<ags>-OZ` areas count for their municipality
    (their ags is taken from the raum_id when the column is empty). Per group:

    - a Gliederung whose areas all carry an ags: per municipality, its areas incl. `<ags>-OZ`
      add up to the municipality cell (`<group>|<gliederung>|<ags>`);
    - a Gliederung with an area without ags: all its areas incl. every OZ add up to the
      county cell (`<group>|<gliederung>|<kreis>`);
    - all municipality cells add up to the county cell (`<group>|kommune|<kreis>`).

    Only for numerators that are sums over records (not S02's distinct BGs, not averages).
    A relation is built only where its total exists.
    """
    df = frame[[*gruppe, gliederung, raum_id, ags, cell_id]].copy()
    df.columns = [*gruppe, "_gl", "_raum", "_ags", "_cell"]
    df["_raum"] = df["_raum"].astype(str)
    df["_key"] = prefix + _group_key(df, gruppe)
    oz = df["_raum"].str.endswith("-OZ")
    df["_ags"] = df["_ags"].where(df["_ags"].notna() & (df["_ags"].astype(str) != ""),
                                  df["_raum"].str[:-3].where(oz))
    is_kommune, is_kreis = df["_gl"] == kommune, df["_gl"] == kreis
    areas = df[~is_kommune & ~is_kreis].copy()
    kommunen = df[is_kommune].copy()
    kreise = df[is_kreis].copy()
    if kreise.duplicated("_key").any():
        raise GeheimhaltungError("hierarchy_relations: more than one kreis cell in a group")

    # a Gliederung crosses municipal borders as a whole (also in a group where its crossing
    # area has no cell, e.g. no data that year)
    crossing = areas.assign(_no=areas["_ags"].isna()).groupby("_gl")["_no"].transform("any")
    parts = []
    # municipal Gliederungen: areas of one ags = municipality
    local = areas[~crossing].copy()
    local["relation_id"] = local["_key"] + "|" + local["_gl"] + "|" + local["_ags"].astype(str)
    totals = local[["_key", "_ags", "relation_id"]].drop_duplicates("relation_id").merge(
        kommunen[["_key", "_raum", "_cell"]], left_on=["_key", "_ags"],
        right_on=["_key", "_raum"])
    local = local[local["relation_id"].isin(totals["relation_id"])]
    parts += [local[["relation_id", "_cell"]].assign(koeffizient=-1.0),
              totals[["relation_id", "_cell"]].assign(koeffizient=1.0)]
    # Gliederungen crossing borders, and the municipalities: = county
    wide = areas[crossing].copy()
    wide["_level"] = wide["_gl"]
    kommunen["_level"] = kommune
    upper = pd.concat([wide, kommunen])
    upper = upper.merge(kreise[["_key", "_raum", "_cell"]].rename(
        columns={"_raum": "_kreis", "_cell": "_kreis_cell"}), on="_key")
    upper["relation_id"] = upper["_key"] + "|" + upper["_level"] + "|" + upper["_kreis"]
    totals = upper[["relation_id", "_kreis_cell"]].drop_duplicates("relation_id").rename(
        columns={"_kreis_cell": "_cell"})
    parts += [upper[["relation_id", "_cell"]].assign(koeffizient=-1.0),
              totals.assign(koeffizient=1.0)]
    out = pd.concat(parts, ignore_index=True).rename(columns={"_cell": "cell_id"})
    return (out[["relation_id", "cell_id", "koeffizient"]]
            .sort_values(["relation_id", "koeffizient", "cell_id"], ascending=[True, False, True])
            .reset_index(drop=True))


def summen_relations(frame: pd.DataFrame, gruppe: Sequence[str], teil: str, summe: str,
                     *, cell_id: str = "cell_id", prefix: str = "") -> pd.DataFrame:
    """Breakdown tables: within each group the row with `teil == summe` is the total of
    the other rows (e.g. hze_hilfearten per area, year and measure: the Hilfearten add up
    to the row `insgesamt`). Relation id `<prefix><group>|<teil>`."""
    df = frame[[*gruppe, teil, cell_id]].copy()
    df["relation_id"] = prefix + _group_key(df, gruppe) + "|" + teil
    is_total = df[teil].astype(str) == str(summe)
    has_total = df.loc[is_total, "relation_id"]
    if has_total.duplicated().any():
        raise GeheimhaltungError("summen_relations: more than one total in a group")
    df = df[df["relation_id"].isin(has_total)]
    out = pd.DataFrame({"relation_id": df["relation_id"], "cell_id": df[cell_id],
                        "koeffizient": np.where(is_total[df.index], 1.0, -1.0)})
    return out.sort_values(["relation_id", "koeffizient", "cell_id"],
                           ascending=[True, False, True]).reset_index(drop=True)
