"""Population denominators for the indicators of agency sources, in plain pandas.

Written only from ``shared/spec/indicators.md`` ("Population denominators"),
``shared/spec/contracts.md`` and ``docs/decisions.md``; it shares no code with
``ingestion/`` or the dbt models.

Rule: per municipality, the population of a source's delivery is the residents register
(``wohnungsstatus = H``) of the newest ``einwohner`` Stichtag on or before the source's
Stichtag and at most 12 months before it (Kita 01.03.2025 -> population 31.12.2024). Ages
of residents are completed years at the population's own Stichtag. An area whose
municipalities do not all have such a Stichtag has no denominator (NaN, ``kein_nenner``).

Entry point for the domain modules (``sgb2``, ``jugendamt``): :func:`bezug`, which loads
the geography and residents once and gives, for the records of one source, the areas of
every level, the population denominators of every area and year, and which areas the
source's delivery covers.

Readings of the rules where the texts leave room:

- Every ``einwohner`` Stichtag counts when choosing the population Stichtag (not only the
  newest of its year), e.g. a mid-year register for a mid-year source Stichtag.
- "12 months before": the same calendar day one year earlier (29 February -> 28 February).
- The municipalities of an area are those of the register addresses inside it, of the
  residents and of the source's records located in it; ``<ags>-OZ`` and ``kommune`` belong
  to their ``ags``, the county to every municipality.
- A source covers an area in a Berichtsjahr when every municipality of the area has
  records in the source for that year (docs/decisions.md, ``keine_daten``); per
  municipality only the newest Stichtag of the Berichtsjahr is used.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from tests.reference.bevoelkerung import EINWOHNER_REQUIRED, einwohner_rows
from tests.reference.common import (
    OUTPUT_COLUMNS,
    Geography,
    load_geography,
    load_source,
    sum_by_area,
)

#: population groups: name -> condition on (age, is_nichtdeutsch)
GRUPPEN = {
    "n_ew": lambda age, nd: np.ones(len(age), dtype=bool),
    "n_ew_unter_3": lambda age, nd: age < 3,
    "n_ew_3_bis_5": lambda age, nd: (age >= 3) & (age < 6),
    "n_ew_unter_15": lambda age, nd: age < 15,
    "n_ew_unter_18": lambda age, nd: age < 18,
    "n_ew_unter_21": lambda age, nd: age < 21,
    "n_ew_unter_65": lambda age, nd: age < 65,
    "n_ew_15_bis_64": lambda age, nd: (age >= 15) & (age < 65),
    "n_ew_nichtdeutsch_unter_65": lambda age, nd: nd & (age < 65),
}


def load_einwohner_alle(delivered: Path) -> pd.DataFrame:
    """Every accepted ``einwohner`` row of every Stichtag (after replacement)."""
    return load_source(Path(delivered) / "einwohner", "einwohner", EINWOHNER_REQUIRED,
                       einwohner_rows)


def nenner_stichtage(quelle_stichtage: pd.DataFrame, einwohner: pd.DataFrame) -> pd.DataFrame:
    """``quelle_stichtage`` (``ags``, ``berichtsjahr``, ``stichtag``: the source's Stichtag
    in use per municipality and year) plus ``stichtag_einwohner``: the newest ``einwohner``
    Stichtag of the municipality on or before ``stichtag`` and at most 12 months before it
    (NaT when there is none)."""
    out = quelle_stichtage[["ags", "berichtsjahr", "stichtag"]].copy().reset_index(drop=True)
    ew = (einwohner[["ags", "stichtag"]].drop_duplicates() if len(einwohner)
          else pd.DataFrame(columns=["ags", "stichtag"]))
    chosen = []
    for row in out.itertuples(index=False):
        earliest = row.stichtag - pd.DateOffset(months=12)
        candidates = ew.loc[(ew["ags"] == row.ags) & (ew["stichtag"] <= row.stichtag)
                            & (ew["stichtag"] >= earliest), "stichtag"]
        chosen.append(candidates.max() if len(candidates) else pd.NaT)
    out["stichtag_einwohner"] = pd.to_datetime(pd.Series(chosen, dtype="datetime64[ns]"))
    return out


def _register_as_records(geo: Geography) -> pd.DataFrame:
    return geo.register[["ags", "strasse_norm", "nr", "suffix"]].copy()


def gebiet_gemeinden(geo: Geography, *records: pd.DataFrame) -> dict[str, dict[str, set[str]]]:
    """Per level, the municipalities of every area (see the module's readings)."""
    located = [_register_as_records(geo)] + [
        r[["ags", "strasse_norm", "nr", "suffix"]] for r in records if len(r)]
    points = pd.concat(located, ignore_index=True)
    result: dict[str, dict[str, set[str]]] = {}
    for level, (raum, areas) in geo.levels(points).items():
        mapping: dict[str, set[str]] = {a: set() for a in areas}
        pairs = pd.DataFrame({"raum_id": raum, "ags": points["ags"].to_numpy()}).drop_duplicates()
        for raum_id, ags in pairs.itertuples(index=False):
            mapping.setdefault(raum_id, set()).add(ags)
        result[level] = mapping
    for ags in set(geo.municipalities) | set(points["ags"]):
        for level, mapping in result.items():
            key = {"kommune": ags, "kreis": ags[:5]}.get(level, f"{ags}-OZ")
            mapping.setdefault(key, set()).add(ags)
    return result


def _abgedeckt(mapping: dict[str, set[str]], geliefert: set[tuple[int, str]],
               raum_ids: pd.Series, jahre: pd.Series) -> np.ndarray:
    return np.array([
        all((int(j), a) in geliefert for a in mapping.get(r, set()))
        for r, j in zip(raum_ids, jahre, strict=True)
    ], dtype=bool)


@dataclass
class Bezug:
    """Areas, denominators and coverage for the records of one source."""

    geo: Geography
    jahre: list[int]
    levels: dict[str, tuple[np.ndarray, list[str]]]  # areas of the records, per level
    gemeinden: dict[str, dict[str, set[str]]]  # municipalities of every area, per level
    geliefert: set[tuple[int, str]]  # (Berichtsjahr, ags) with records
    stichtage: pd.DataFrame  # ags, berichtsjahr, stichtag, stichtag_einwohner
    nenner: dict[str, pd.DataFrame]  # per level: raum_id, berichtsjahr, GRUPPEN (NaN: none)

    def summen(self, flags: pd.DataFrame) -> dict[str, pd.DataFrame]:
        """Per level: sums of ``flags`` (one row per record, with ``berichtsjahr``) for every
        area and year, merged with the population denominators, covered areas only."""
        sums = sum_by_area(flags, self.levels, self.jahre)
        result = {}
        for level, frame in sums.items():
            frame = frame.merge(self.nenner[level], on=["raum_id", "berichtsjahr"], how="left")
            keep = _abgedeckt(self.gemeinden[level], self.geliefert, frame["raum_id"],
                              frame["berichtsjahr"])
            result[level] = frame.loc[keep].reset_index(drop=True)
        return result

    def gebiet_stichtag(self, level: str, raum_ids: pd.Series, jahre: pd.Series) -> pd.Series:
        """The source's Stichtag of an area: the newest of its municipalities' (the newest of
        the year when the area has no municipality)."""
        st = {(int(r.berichtsjahr), r.ags): r.stichtag for r in self.stichtage.itertuples()}
        jahr_max = self.stichtage.groupby("berichtsjahr")["stichtag"].max().to_dict()
        values = []
        for r, j in zip(raum_ids, jahre, strict=True):
            found = [st[(int(j), a)] for a in self.gemeinden[level].get(r, set())
                     if (int(j), a) in st]
            values.append(max(found) if found else jahr_max[int(j)])
        return pd.Series(pd.to_datetime(values), index=raum_ids.index)


def bezug(delivered: Path, records: pd.DataFrame) -> Bezug:
    """Everything the indicators of one source need besides its own flags.

    ``records``: the source's accepted rows of the Stichtag in use per municipality and
    Berichtsjahr (``ags``, ``stichtag``, ``berichtsjahr``, ``strasse_norm``, ``nr``,
    ``suffix``). The residents with Hauptwohnung of each municipality's population Stichtag
    give the denominators per group of :data:`GRUPPEN`, by age at that Stichtag.
    """
    einwohner = load_einwohner_alle(delivered)
    ew_ags = set(einwohner["ags"]) if len(einwohner) else set()
    geo = load_geography(delivered, ew_ags)
    records = records.reset_index(drop=True)
    jahre = sorted(int(j) for j in records["berichtsjahr"].unique())
    quelle_stichtage = (records.groupby(["ags", "berichtsjahr"], as_index=False)["stichtag"].max())
    stichtage = nenner_stichtage(quelle_stichtage, einwohner)

    # residents of each municipality's population Stichtag, counted for the source's year
    teile = []
    for row in stichtage.dropna(subset=["stichtag_einwohner"]).itertuples(index=False):
        sel = einwohner.loc[(einwohner["ags"] == row.ags)
                            & (einwohner["stichtag"] == row.stichtag_einwohner)
                            & einwohner["is_hauptwohnung"]]
        teile.append(sel.assign(berichtsjahr=row.berichtsjahr))
    bewohner = (pd.concat(teile, ignore_index=True) if teile
                else pd.DataFrame(columns=["ags", "strasse_norm", "nr", "suffix", "alter",
                                           "is_nichtdeutsch", "berichtsjahr"]))
    age = bewohner["alter"].astype("int64").to_numpy()
    nd = bewohner["is_nichtdeutsch"].astype(bool).to_numpy()
    flags = pd.DataFrame({name: cond(age, nd).astype("int64") for name, cond in GRUPPEN.items()})
    flags["berichtsjahr"] = bewohner["berichtsjahr"].astype("int64").to_numpy()

    gemeinden = gebiet_gemeinden(geo, records, bewohner)
    ohne = {(int(r.berichtsjahr), r.ags)
            for r in stichtage.itertuples() if pd.isna(r.stichtag_einwohner)}
    nenner = {}
    for level, frame in sum_by_area(flags, geo.levels(bewohner), jahre).items():
        frame = frame[["raum_id", "berichtsjahr", *GRUPPEN]].astype({g: "float64" for g in GRUPPEN})
        fehlt = np.array([
            any((int(j), a) in ohne for a in gemeinden[level].get(r, set()))
            for r, j in zip(frame["raum_id"], frame["berichtsjahr"], strict=True)
        ], dtype=bool)
        frame.loc[fehlt, list(GRUPPEN)] = np.nan
        nenner[level] = frame
    geliefert = {(int(j), a) for j, a in zip(records["berichtsjahr"], records["ags"], strict=True)}
    return Bezug(geo, jahre, geo.levels(records), gemeinden, geliefert, stichtage, nenner)


def werte_zeilen(summen: dict[str, pd.DataFrame],
                 definitionen: tuple[tuple[str, str, str | None], ...],
                 geld: frozenset[str] = frozenset()) -> pd.DataFrame:
    """``OUTPUT_COLUMNS`` rows: per (code, numerator column, denominator column or None for a
    count). Counts are nullable integers; codes in ``geld`` keep a float numerator (euros);
    a missing denominator is None."""
    out = []
    for level, frame in summen.items():
        for code, num, den in definitionen:
            zaehler = frame[num].astype("float64") if code in geld else frame[num].astype("Int64")
            nenner = (frame[den].astype("float64").round().astype("Int64") if den is not None
                      else pd.Series(pd.NA, index=frame.index, dtype="Int64"))
            out.append(pd.DataFrame({
                "code": code,
                "gliederung": level,
                "raum_id": frame["raum_id"],
                "berichtsjahr": frame["berichtsjahr"].astype("int64"),
                "zaehler": zaehler.astype(object),
                "nenner": nenner,
            }))
    if not out:
        return pd.DataFrame(columns=OUTPUT_COLUMNS)
    result = pd.concat(out, ignore_index=True)[OUTPUT_COLUMNS]
    return result.sort_values(["code", "gliederung", "raum_id", "berichtsjahr"]).reset_index(
        drop=True)
