"""Cells and relations in numeric form, a-priori bounds and interval propagation.

A *cell* is one number that would be published; a *relation* a linear equation
`sum(koeffizient * zaehler) = 0` that holds on the true values and that the attacker
knows (areas add up to their municipality, parts of a breakdown to their total, ...).
"""

import hashlib
from dataclasses import dataclass, replace

import numpy as np
import pandas as pd

from dagster_project.lib.geheimhaltung.config import (
    ENGINE_VERSION,
    WERT_ARTEN,
    GeheimhaltungConfig,
    GeheimhaltungError,
)

_EPS = 1e-4                 # slack when rounding LP bounds of whole numbers (the LP's
#                             feasibility tolerance on sums of money is 1e-5)
_MOVE = 1e-6               # propagation has converged when no bound moves more
_PROPAGATION_ROUNDS = 200   # interval propagation stops earlier once nothing moves
# columns that decide a block's pattern (hashed for the cache)
_KEY_COLUMNS = ("cell_id", "tabelle", "wert_art", "sensibel", "zaehler", "nenner",
                "n_beitraege", "max_beitrag", "fest", "verborgen", "untergrenze",
                "obergrenze", "ebene", "gebiet", "reihe")


@dataclass
class Tabellensystem:
    """Cells and relations as arrays (cell index = position in `cell_ids`).

    Relation r reads `sum(m_coef * zaehler[m_cell] for the rows with m_rel == r) == rel_b[r]`.
    """

    cell_ids: np.ndarray
    wert_art: np.ndarray
    lb: np.ndarray            # a-priori lower bound known to the attacker
    ub: np.ndarray            # a-priori upper bound known to the attacker (inf: none)
    ganzzahlig: np.ndarray    # counts and numerators of shares are whole numbers
    rel_ids: np.ndarray
    m_rel: np.ndarray         # membership rows, sorted by relation
    m_cell: np.ndarray
    m_coef: np.ndarray
    rel_b: np.ndarray         # right-hand side per relation (0 but for `konstante`)

    @property
    def n(self) -> int:
        return len(self.cell_ids)

    @property
    def nrel(self) -> int:
        return len(self.rel_ids)


def numeric(frame: pd.DataFrame, column: str) -> np.ndarray:
    """A column as floats (NaN where missing or not a number; all NaN without the column)."""
    if column not in frame.columns:
        return np.full(len(frame), np.nan)
    return pd.to_numeric(frame[column], errors="coerce").to_numpy(float)


def flag(frame: pd.DataFrame, column: str) -> np.ndarray:
    """A boolean column (False where missing; all False without the column)."""
    if column not in frame.columns:
        return np.zeros(len(frame), dtype=bool)
    return frame[column].fillna(False).astype(bool).to_numpy()


def build_system(cells: pd.DataFrame, relations: pd.DataFrame) -> Tabellensystem:
    """Check the input contract and turn cells and relations into arrays.

    `cells` needs `cell_id` (unique), `wert_art` ('anzahl', 'anteil', 'geld') and, for
    'anteil', `nenner` (published: the attacker's upper bound of the numerator). Optional
    `untergrenze` / `obergrenze` override the a-priori bounds (default 0 and, for
    'anteil', the `nenner`; NaN = default; `obergrenze` inf for ratios whose numerator may
    exceed the denominator). `relations` needs `relation_id`, `cell_id`, `koeffizient`,
    optional `konstante` (the relation's right-hand side, the same on all its rows).
    """
    for column in ("cell_id", "wert_art"):
        if column not in cells.columns:
            raise GeheimhaltungError(f"cells: column {column!r} missing")
    for column in ("relation_id", "cell_id", "koeffizient"):
        if column not in relations.columns:
            raise GeheimhaltungError(f"relations: column {column!r} missing")
    cell_ids = cells["cell_id"].astype(str).to_numpy()
    index = pd.Index(cell_ids)
    if not index.is_unique:
        dupes = index[index.duplicated()].unique()[:5].tolist()
        raise GeheimhaltungError(f"cells: cell_id not unique, e.g. {dupes}")
    wert_art = cells["wert_art"].astype(str).to_numpy()
    bad = ~np.isin(wert_art, WERT_ARTEN)
    if bad.any():
        raise GeheimhaltungError(
            f"cells: wert_art must be one of {WERT_ARTEN}, got {sorted(set(wert_art[bad]))}")
    nenner = numeric(cells, "nenner")
    lower_given, upper_given = numeric(cells, "untergrenze"), numeric(cells, "obergrenze")
    share = wert_art == "anteil"
    no_nenner = share & np.isnan(nenner) & np.isnan(upper_given)
    if no_nenner.any():
        raise GeheimhaltungError(
            f"cells: 'anteil' without nenner, e.g. {cell_ids[no_nenner][:5].tolist()}")
    lb = np.where(np.isnan(lower_given), 0.0, lower_given)
    ub = np.where(share & ~np.isnan(nenner), nenner, np.inf)
    ub = np.where(np.isnan(upper_given), ub, upper_given)
    if (lb > ub).any():
        raise GeheimhaltungError(
            f"cells: lower bound above upper bound, e.g. {cell_ids[lb > ub][:5].tolist()}")

    rel = relations[["relation_id", "cell_id", "koeffizient"]].copy()
    rel["konstante"] = (pd.to_numeric(relations["konstante"], errors="coerce").fillna(0.0)
                        .to_numpy(float) if "konstante" in relations.columns else 0.0)
    rel["relation_id"] = rel["relation_id"].astype(str)
    rel["cell_id"] = rel["cell_id"].astype(str)
    rel["koeffizient"] = pd.to_numeric(rel["koeffizient"], errors="coerce").astype(float)
    if not np.isfinite(rel["koeffizient"]).all():
        raise GeheimhaltungError("relations: koeffizient must be a finite number")
    position = index.get_indexer(rel["cell_id"])
    if (position < 0).any():
        missing = rel.loc[position < 0, "cell_id"].unique()[:5].tolist()
        raise GeheimhaltungError(f"relations: unknown cell_id, e.g. {missing}")
    rel["cell"] = position
    constant = rel.groupby("relation_id", sort=True)["konstante"].agg(["min", "max"])
    if (constant["max"] - constant["min"]).abs().max() > 1e-9:
        raise GeheimhaltungError("relations: konstante differs within a relation")
    # a cell listed twice in one relation: add its coefficients
    rel = rel.groupby(["relation_id", "cell"], sort=True)["koeffizient"].sum().reset_index()
    rel = rel[rel["koeffizient"] != 0]
    rel_codes, rel_ids = pd.factorize(rel["relation_id"], sort=True)
    rel_b = constant["max"].reindex(rel_ids).to_numpy(float)
    return Tabellensystem(
        cell_ids=cell_ids, wert_art=wert_art, lb=lb, ub=ub, ganzzahlig=wert_art != "geld",
        rel_ids=np.asarray(rel_ids, dtype=object), m_rel=rel_codes.astype(np.int64),
        m_cell=rel["cell"].to_numpy(np.int64), m_coef=rel["koeffizient"].to_numpy(float),
        rel_b=rel_b)


def check_values(system: Tabellensystem, values: np.ndarray) -> None:
    """The true values must satisfy every relation (else the caller built it wrongly) and
    lie within their a-priori bounds."""
    terms = system.m_coef * values[system.m_cell]
    total = np.bincount(system.m_rel, weights=terms, minlength=system.nrel) - system.rel_b
    scale = np.bincount(system.m_rel, weights=np.abs(terms), minlength=system.nrel)
    broken = np.abs(total) > 1e-9 * np.maximum(scale, 1.0)
    if broken.any():
        ids = system.rel_ids[broken][:5].tolist()
        raise GeheimhaltungError(
            f"{int(broken.sum())} Relationen gelten nicht für die wahren Werte (Summe der Teile"
            f" ungleich Gesamtwert), z. B. {ids}")
    outside = (values < system.lb - 1e-9) | (values > system.ub + 1e-9)
    if outside.any():
        bad = system.cell_ids[outside][:5].tolist()
        raise GeheimhaltungError(
            f"cells: zaehler outside its a-priori bounds (0..nenner for 'anteil'), e.g. {bad};"
            " give an `obergrenze` (inf) for ratios whose numerator may exceed the nenner")


# the most slack a comparison allows, in units of the cell: a quarter of the one unit of
# room a secondary cell needs
MAX_SLACK = 0.25


def tolerance(values: np.ndarray) -> np.ndarray:
    """Numerical slack of a comparison with a value of this size: 1e-6 of it, but never
    more than `MAX_SLACK` (above a million the relative slack alone was more than the one
    unit a secondary cell needs, and an exactly derivable cell passed the audit)."""
    return np.minimum(1e-6 * np.maximum(np.abs(values), 1.0), MAX_SLACK)


def round_inwards(ganzzahlig: np.ndarray, lower: np.ndarray, upper: np.ndarray
                  ) -> tuple[np.ndarray, np.ndarray]:
    """What the attacker gets from LP bounds knowing that counts are whole numbers."""
    with np.errstate(invalid="ignore"):
        lower = np.where(ganzzahlig & np.isfinite(lower), np.ceil(lower - _EPS), lower)
        upper = np.where(ganzzahlig & np.isfinite(upper), np.floor(upper + _EPS), upper)
    return lower, upper


def relation_rhs(system: Tabellensystem, supp: np.ndarray, values: np.ndarray) -> np.ndarray:
    """Per relation, what its suppressed cells add up to: minus the published part."""
    m_supp = supp[system.m_cell]
    return system.rel_b - np.bincount(system.m_rel, weights=np.where(m_supp, 0.0,
                                                       system.m_coef * values[system.m_cell]),
                        minlength=system.nrel)


@dataclass
class Propagation:
    lower: np.ndarray         # per cell (NaN for published cells)
    upper: np.ndarray
    limit: np.ndarray         # (n, 2): membership row giving the lower / upper bound, -1: none
    moving: np.ndarray        # per cell: still narrowed in the last round (not converged)


def propagate(s: Tabellensystem, supp: np.ndarray, lb: np.ndarray, ub: np.ndarray,
              rows: np.ndarray, rhs: np.ndarray, rounds: int = _PROPAGATION_ROUNDS
              ) -> Propagation:
    """Interval propagation over the relations (bounds consistency).

    In a relation `sum(c_k x_k) = b` the term c_j x_j lies between b minus the largest and
    b minus the smallest sum the other unknown cells can reach within their bounds. Starting
    from [lb, ub], every suppressed cell's bounds are narrowed by each of its relations,
    repeated while that narrows them. The result always contains the attacker's exact
    interval (no feasible point is ever cut off). Where the cells and relations of a
    component form a forest (no cycle in the graph of cells and relations) and propagation
    has converged, the bounds are exact: every value between them extends, relation by
    relation away from the cell, to a feasible point (docs/datenschutz.md).
    """
    r, j, c = s.m_rel[rows], s.m_cell[rows], s.m_coef[rows]
    lower = np.where(supp, lb, np.nan)
    upper = np.where(supp, ub, np.nan)
    moving = np.zeros(s.n, dtype=bool)
    row_lower = row_upper = np.empty(0)
    for _ in range(max(rounds, 1)):
        row_lower, row_upper = _row_bounds(s.nrel, r, j, c, lower, upper, rhs)
        before_lo, before_up = lower.copy(), upper.copy()
        np.maximum.at(lower, j, row_lower)
        np.minimum.at(upper, j, row_upper)
        with np.errstate(invalid="ignore"):
            moving = (lower - before_lo > _MOVE) | (before_up - upper > _MOVE)
        if not moving.any():
            break
    limit = np.full((s.n, 2), -1, dtype=np.int64)
    if len(rows):
        for k, bound, row_bound in ((0, -lower, -row_lower), (1, upper, row_upper)):
            first = np.lexsort((row_bound, j))
            _, at = np.unique(j[first], return_index=True)
            pick = first[at]
            given = row_bound[pick] <= bound[j[pick]] + tolerance(bound[j[pick]])
            limit[j[pick[given]], k] = rows[pick[given]]
    return Propagation(lower, upper, limit, moving)


def _row_bounds(nrel: int, r, j, c, lower, upper, rhs):
    """Per membership row, the bounds its relation alone gives its cell."""
    lb, ub = lower[j], upper[j]
    cmin = np.where(c > 0, c * lb, c * ub)
    cmax = np.where(c > 0, c * ub, c * lb)
    min_inf, max_inf = np.isneginf(cmin), np.isposinf(cmax)
    fin_min = np.bincount(r, weights=np.where(min_inf, 0.0, cmin), minlength=nrel)
    fin_max = np.bincount(r, weights=np.where(max_inf, 0.0, cmax), minlength=nrel)
    n_min_inf = np.bincount(r, weights=min_inf, minlength=nrel)
    n_max_inf = np.bincount(r, weights=max_inf, minlength=nrel)
    others_min = np.where(n_min_inf[r] - min_inf > 0, -np.inf,
                          fin_min[r] - np.where(min_inf, 0.0, cmin))
    others_max = np.where(n_max_inf[r] - max_inf > 0, np.inf,
                          fin_max[r] - np.where(max_inf, 0.0, cmax))
    lo_cx, hi_cx = rhs[r] - others_max, rhs[r] - others_min
    with np.errstate(invalid="ignore"):
        return (np.where(c > 0, lo_cx / c, hi_cx / c), np.where(c > 0, hi_cx / c, lo_cx / c))


def with_relation_bounds(system: Tabellensystem) -> Tabellensystem:
    """The a-priori bounds narrowed by what the relations imply when no value is published
    (the nenner of the parts bound their total): the attacker knows that much anyway."""
    everything = np.ones(system.n, dtype=bool)
    result = propagate(system, everything, system.lb, system.ub,
                       np.arange(len(system.m_rel)), system.rel_b, rounds=20)
    # a bound derived from sums of money carries their rounding error: loosened by it, so
    # that the true values never lie outside (whole numbers are rounded inwards later)
    slack = 1e-9 * np.maximum(np.abs(result.lower), np.abs(result.upper).clip(max=1e15)) + 1e-9
    lower = np.where(result.lower > system.lb, result.lower - slack, system.lb)
    upper = np.where(result.upper < system.ub, result.upper + slack, system.ub)
    return replace(system, lb=lower, ub=upper)


def bloecke(cells: pd.DataFrame, relations: pd.DataFrame
            ) -> list[tuple[object, np.ndarray, np.ndarray]]:
    """(Berichtsjahr, cell positions, relation row positions) per year, in ascending
    order; one block if there is no `berichtsjahr` or a relation links two years."""
    everything = [(None, np.arange(len(cells)), np.arange(len(relations)))]
    if "berichtsjahr" not in cells.columns or cells["berichtsjahr"].isna().any():
        return everything
    years = cells["berichtsjahr"].to_numpy()
    where = pd.Index(cells["cell_id"].astype(str)).get_indexer(
        relations["cell_id"].astype(str))
    if (where < 0).any():
        return everything
    rel_year = pd.Series(years[where])
    if (rel_year.groupby(relations["relation_id"].to_numpy()).nunique() > 1).any():
        return everything
    rel_year = rel_year.to_numpy()
    return [(y, np.flatnonzero(years == y), np.flatnonzero(rel_year == y))
            for y in sorted(pd.unique(years))]


def block_key(cells: pd.DataFrame, relations: pd.DataFrame, config: GeheimhaltungConfig,
              extra: tuple[str, ...] = ()) -> str:
    """A hash of everything that decides a block's result: the cells' columns that the
    engine reads (and `extra` ones), the relations, the rules and the engine version."""
    columns = [c for c in (*_KEY_COLUMNS, *extra) if c in cells.columns]
    rel_columns = [c for c in ("relation_id", "cell_id", "koeffizient", "konstante")
                   if c in relations.columns]
    digest = hashlib.sha256()
    digest.update(f"{ENGINE_VERSION}|{config.to_json()}|{','.join(columns)}".encode())
    # one hash per row, sorted: the order of the rows does not matter
    for frame in (cells[columns], relations[rel_columns]):
        rows = pd.util.hash_pandas_object(frame, index=False, categorize=False).to_numpy()
        digest.update(np.sort(rows).tobytes())
    return digest.hexdigest()
