"""Reference implementation of household generation and the H indicators, in plain pandas.

Written only from ``shared/spec/indicators.md`` ("Household generation", H01–H07),
``shared/spec/contracts.md`` and ``docs/decisions.md``; it shares no code with
``ingestion/`` or the dbt models. Connected components by a plain union-find.

Entry point: :func:`recompute_h_indicators`, which reads a folder laid out like an inbox
(``adressen/``, ``raumgliederung/``, ``einwohner/``) and returns one row per
(code, gliederung, raum_id, berichtsjahr) with ``zaehler`` and ``nenner``.

Readings of the rules where the texts leave room:

- Households are formed per municipality and Berichtsjahr at the Stichtag the B
  indicators use (the newest ``einwohner`` Stichtag of the year, ``load_einwohner``).
- "Same address": the matched register address; for an unmatched record its normalised
  delivered address (``ags``, ``strasse_norm``, number, suffix).
- A spouse link needs one of the two to name the other; a reference to oneself links
  nothing. "No spouse at the address" = no spouse link. A person whose ``familienstand``
  is not ``LD`` (also unknown) is linked to its parents only when under 18.
- A *child* is a person linked to a parent (any age); "children under 18" of a household
  are its members linked as child and under 18. "Under 18 in households" (H06
  denominator) are all household members under 18, also a minor who is there only as a
  spouse or as a parent.
- A couple: two spouses linked and both 18+, or the two distinct parents one child is
  linked to (no age condition on them). A minor linked only as a spouse is in a household
  but not in a couple.
- Excluded (``Kinder ohne Elternteil im Haushalt``): a minor without any link; a minor
  with a link is in a household even without a parent (e.g. a teenage mother).
- A household lives at its members' address; it counts in that address's area.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from tests.reference.bevoelkerung import load_einwohner
from tests.reference.common import (
    OUTPUT_COLUMNS,
    indicator_rows,
    load_geography,
    match_addresses,
    sum_by_area,
)

H_CODES = tuple(f"H{i:02d}" for i in range(1, 8))

#: (code, numerator column, denominator column or None for a count)
H_DEFINITIONS: tuple[tuple[str, str, str | None], ...] = (
    ("H01", "haushalte", None),
    ("H02", "personen", "haushalte"),
    ("H03", "mit_kindern", "haushalte"),
    ("H04", "ae", "mit_kindern"),
    ("H05", "kinderreich", "mit_kindern"),
    ("H06", "kinder_ae", "unter_18"),
    ("H07", "eph_65", "haushalte"),
)

#: wert = FAKTOR[code] * zaehler / nenner (H01 is a count, H02 an average)
FAKTOR = {code: (1 if code in ("H01", "H02") else 100) for code in H_CODES}
COUNTS = {"H01"}


# --------------------------------------------------------------------------- households


def address_keys(persons: pd.DataFrame, register: pd.DataFrame) -> np.ndarray:
    """The address of every person: ``R<index>`` of the matched register address, else
    ``D|ags|strasse_norm|nr|suffix`` of the delivered one."""
    persons = persons.reset_index(drop=True)
    if len(persons) == 0:
        return np.array([], dtype=object)
    addr = match_addresses(persons, register)
    delivered = ("D|" + persons["ags"] + "|" + persons["strasse_norm"] + "|"
                 + persons["nr"].astype(str) + "|" + persons["suffix"]).to_numpy(dtype=object)
    registered = np.array([f"R{a}" for a in addr], dtype=object)
    return np.where(addr >= 0, registered, delivered)


class _UnionFind:
    def __init__(self, n: int):
        self.parent = list(range(n))

    def find(self, x: int) -> int:
        parent = self.parent
        while parent[x] != x:
            parent[x] = parent[parent[x]]
            x = parent[x]
        return x

    def union(self, a: int, b: int) -> None:
        ra, rb = self.find(a), self.find(b)
        if ra != rb:
            self.parent[max(ra, rb)] = min(ra, rb)


def _links(res: pd.DataFrame) -> tuple[pd.DataFrame, pd.DataFrame]:
    """(spouse pairs ``a`` < ``b``, parent links ``kind`` -> ``elternteil``) as row numbers."""
    who = res[["stichtag", "adresse", "person_id", "_i"]]
    spouse = res.loc[(res["ehegatte_id"] != "") & (res["ehegatte_id"] != res["person_id"]),
                     ["stichtag", "adresse", "ehegatte_id", "_i"]]
    spouse = spouse.merge(
        who.rename(columns={"person_id": "ehegatte_id", "_i": "_j"}),
        on=["stichtag", "adresse", "ehegatte_id"],
    )
    pairs = pd.DataFrame({"a": np.minimum(spouse["_i"], spouse["_j"]),
                          "b": np.maximum(spouse["_i"], spouse["_j"])}).drop_duplicates()
    with_spouse = set(pairs["a"]) | set(pairs["b"])

    parts = []
    for col in ("elternteil1_id", "elternteil2_id"):
        named = res.loc[(res[col] != "") & (res[col] != res["person_id"]),
                        ["stichtag", "adresse", col, "_i"]]
        found = named.merge(who.rename(columns={"person_id": col, "_i": "elternteil"}),
                            on=["stichtag", "adresse", col])
        parts.append(found[["_i", "elternteil"]].rename(columns={"_i": "kind"}))
    parents = pd.concat(parts, ignore_index=True).drop_duplicates()
    kind = res.loc[parents["kind"]]
    eligible = (kind["alter"].to_numpy() < 18) | (
        (kind["familienstand"].to_numpy() == "LD")
        & ~np.isin(parents["kind"].to_numpy(), list(with_spouse))
    )
    return pairs.reset_index(drop=True), parents.loc[eligible].reset_index(drop=True)


def generate_households(einwohner: pd.DataFrame, register: pd.DataFrame) -> pd.DataFrame:
    """Household generation on residents rows (``load_einwohner``): every resident with
    Hauptwohnung and a column ``haushalt`` (an integer per household, -1 for a minor
    without a parent at the address), ``is_kind``, ``is_elternteil``, ``is_in_paar``."""
    res = einwohner.loc[einwohner["is_hauptwohnung"]].reset_index(drop=True).copy()
    res["alter"] = res["alter"].astype("int64")
    res["adresse"] = address_keys(res, register)
    res["_i"] = np.arange(len(res))
    pairs, parents = _links(res)

    uf = _UnionFind(len(res))
    for a, b in zip(pairs["a"], pairs["b"], strict=True):
        uf.union(int(a), int(b))
    for k, e in zip(parents["kind"], parents["elternteil"], strict=True):
        uf.union(int(k), int(e))

    linked = np.zeros(len(res), dtype=bool)
    for frame in (pairs[["a", "b"]], parents[["kind", "elternteil"]]):
        linked[frame.to_numpy().ravel()] = True

    alter = res["alter"].to_numpy()
    couple = set()
    for a, b in zip(pairs["a"], pairs["b"], strict=True):
        if alter[a] >= 18 and alter[b] >= 18:
            couple |= {int(a), int(b)}
    for _, group in parents.groupby("kind"):
        if group["elternteil"].nunique() >= 2:
            couple |= set(map(int, group["elternteil"]))

    res["haushalt"] = [uf.find(i) if linked[i] or alter[i] >= 18 else -1
                       for i in range(len(res))]
    res["is_kind"] = res["_i"].isin(set(parents["kind"]))
    res["is_elternteil"] = res["_i"].isin(set(parents["elternteil"]))
    res["is_in_paar"] = res["_i"].isin(couple)
    return res


def household_table(persons: pd.DataFrame) -> pd.DataFrame:
    """One row per household (``generate_households`` output): size, children under 18,
    members under 18, couple, type, and the address parts of a member."""
    members = persons.loc[persons["haushalt"] >= 0].copy()
    members["kind_u18"] = members["is_kind"] & (members["alter"] < 18)
    members["u18"] = members["alter"] < 18
    grouped = members.groupby("haushalt", sort=True)
    hh = grouped.agg(
        ags=("ags", "first"), strasse_norm=("strasse_norm", "first"), nr=("nr", "first"),
        suffix=("suffix", "first"), berichtsjahr=("berichtsjahr", "first"),
        personen=("_i", "size"), kinder_u18=("kind_u18", "sum"), unter_18=("u18", "sum"),
        paar=("is_in_paar", "any"), alter_max=("alter", "max"),
    ).reset_index()

    def typ(row) -> str:
        if row.personen == 1:
            return "EPH"
        if row.paar and row.kinder_u18 >= 1:
            return "PAAR_MK"
        if not row.paar and row.kinder_u18 >= 1:
            return "AE"
        if row.paar and row.personen == 2:
            return "PAAR_OK"
        return "SONST"

    hh["typ"] = [typ(r) for r in hh.itertuples(index=False)]
    return hh


# --------------------------------------------------------------------------- indicators


def recompute_h_indicators(delivered: Path) -> pd.DataFrame:
    """H01–H07 for every area, municipality and the county, every Berichtsjahr.

    Returns columns ``code, gliederung, raum_id, berichtsjahr, zaehler, nenner`` (nullable
    integers; ``nenner`` is None for the count H01).
    """
    einwohner = load_einwohner(Path(delivered))
    if einwohner.empty:
        return pd.DataFrame(columns=OUTPUT_COLUMNS)
    geo = load_geography(Path(delivered), set(einwohner["ags"]))
    years = sorted(einwohner["berichtsjahr"].unique().tolist())
    hh = household_table(generate_households(einwohner, geo.register))

    flags = pd.DataFrame({
        "berichtsjahr": hh["berichtsjahr"].astype("int64"),
        "haushalte": 1,
        "personen": hh["personen"],
        "mit_kindern": (hh["kinder_u18"] >= 1).astype("int64"),
        "ae": (hh["typ"] == "AE").astype("int64"),
        "kinderreich": (hh["kinder_u18"] >= 3).astype("int64"),
        "kinder_ae": hh["kinder_u18"].where(hh["typ"] == "AE", 0),
        "unter_18": hh["unter_18"],
        "eph_65": ((hh["personen"] == 1) & (hh["alter_max"] >= 65)).astype("int64"),
    })
    sums = sum_by_area(flags, geo.levels(hh), years)
    result = indicator_rows(sums, H_DEFINITIONS)
    result = result.sort_values(["code", "gliederung", "raum_id", "berichtsjahr"])
    return result.reset_index(drop=True)[OUTPUT_COLUMNS]
