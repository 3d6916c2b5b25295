"""Attacker audit for disclosure control (shared/spec/privacy-and-publishing.md, "Audit").

The audit plays the attacker. The attacker knows every published `zaehler`, every relation
(a linear equation that holds on the true values: areas add up to their municipality, parts
of a breakdown to their row total, identities between tables), the a-priori bounds of every
cell (counts and money are non-negative; the numerator of a share lies between 0 and its
published `nenner`; `untergrenze` / `obergrenze` override both) and that counts are whole
numbers. For every suppressed cell it computes, by linear programming
(`scipy.optimize.linprog`, HiGHS), the tightest interval [unten, oben] the attacker can
derive, and checks it against the protection range p around the true value v:

    unten <= max(lb, v - p)   and   oben >= min(ub, v + p)   and   unten < oben

- counts and numerators of shares: p = `schutzbereich` (default 2),
- money: p = `schutzbereich_geld_anteil * v`, at least `schutzbereich_geld_min` EUR.

lb / ub are what the attacker knows before any value is published: the a-priori bounds,
narrowed by what the relations imply about them (a total of shares is at most the sum of
its parts' nenner). So a count of 1 can only be required to reach down to 0, a numerator of
9 with `nenner` 10 only up to 10 (its complement, 1, down to 0). `unten < oben`: never the
exact value. A suppressed cell that lb / ub fix already (a share with `nenner` 0) discloses
nothing and is not checked.

Integer reasoning: LP bounds of counts are rounded inwards (lower bound up, upper bound
down), which is what an attacker knowing that counts are whole numbers gets from the LP.
An attacker solving the integer programme could in principle know more where the relation
system is not totally unimodular (hierarchies and two-way tables are; identities across
tables may not be); this is not checked.

Speed (see `attacker_intervals`): suppressed cells fall into connected components (cells
linked by a relation they share; published cells are constants), which are independent.
Interval propagation over the relations gives outer bounds, exact for a component held
together by one relation. In larger components a bound is exact as soon as a feasible
point reaches its outer bound; feasible points come from the true values and from a few
LPs over batches of components; only the bounds still open get an LP of their own
(minimise / maximise the cell). `protect` only needs to know whether a side is wide enough,
not how wide, and keeps the results of unchanged components across its rounds.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd
from scipy import sparse
from scipy.optimize import linprog
from scipy.sparse.csgraph import connected_components

if TYPE_CHECKING:
    from dagster_project.geheimhaltung import GeheimhaltungConfig

GESPERRT = "gesperrt"
GESPERRT_SEKUNDAER = "gesperrt_sekundaer"
GESPERRT_STATUS = (GESPERRT, GESPERRT_SEKUNDAER)
# an auxiliary unknown that is never published and needs no protection itself, e.g. the
# slack of an inequality the attacker knows (laufend <= faelle: faelle - laufend - s = 0)
VERBORGEN = "verborgen"
WERT_ARTEN = ("anzahl", "anteil", "geld")

_EPS = 1e-6   # slack when rounding LP bounds of whole numbers


class GeheimhaltungError(ValueError):
    """Inputs that violate the engine's contract, or protection that cannot be reached."""


@dataclass
class Tabellensystem:
    """Cells and relations in numeric form (cell index = position in `cell_ids`).

    Relation r reads `sum(m_coef * zaehler[m_cell] for the rows with m_rel == r) == 0`.
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


def build_system(cells: pd.DataFrame, relations: pd.DataFrame) -> Tabellensystem:
    """Check the input contract and turn cells and relations into arrays.

    `cells` needs `cell_id` (unique), `wert_art` ('anzahl', 'anteil', 'geld') and, for
    'anteil', `nenner`. Optional `untergrenze` / `obergrenze` override the a-priori bounds
    (default 0 and, for 'anteil', the `nenner`; NaN = default; `obergrenze` inf for ratios
    whose numerator may exceed the denominator, such as persons per household).
    `relations` needs `relation_id`, `cell_id`, `koeffizient`: one row per cell of an
    equation `sum(koeffizient * zaehler) = 0` (a total +1, its parts -1).
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
    # a cell listed twice in one relation: add its coefficients
    rel = rel.groupby(["relation_id", "cell"], sort=True)["koeffizient"].sum().reset_index()
    rel = rel[rel["koeffizient"] != 0]
    rel_codes, rel_ids = pd.factorize(rel["relation_id"], sort=True)
    return Tabellensystem(
        cell_ids=cell_ids, wert_art=wert_art, lb=lb, ub=ub, ganzzahlig=wert_art != "geld",
        rel_ids=np.asarray(rel_ids, dtype=object), m_rel=rel_codes.astype(np.int64),
        m_cell=rel["cell"].to_numpy(np.int64), m_coef=rel["koeffizient"].to_numpy(float))


def check_values(system: Tabellensystem, values: np.ndarray) -> None:
    """The true values must satisfy every relation (else the caller built it wrongly) and
    lie within their a-priori bounds."""
    terms = system.m_coef * values[system.m_cell]
    total = np.bincount(system.m_rel, weights=terms, minlength=system.nrel)
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


def with_relation_bounds(system: Tabellensystem) -> Tabellensystem:
    """The a-priori bounds narrowed by what the relations imply when no value is published
    (the nenner of the parts bound their total): the attacker knows that much anyway."""
    everything = np.ones(system.n, dtype=bool)
    lb, ub, _ = _outer_bounds(system, everything, np.arange(len(system.m_rel)),
                              np.zeros(system.nrel))
    return replace(system, lb=lb, ub=ub)


def schutzbedarf(system: Tabellensystem, values: np.ndarray, config: GeheimhaltungConfig
                 ) -> tuple[np.ndarray, np.ndarray]:
    """Protection range [bedarf_unten, bedarf_oben] every suppressed cell's interval must cover."""
    geld = system.wert_art == "geld"
    p = np.where(geld, np.maximum(config.schutzbereich_geld_anteil * np.abs(values),
                                  config.schutzbereich_geld_min),
                 float(config.schutzbereich))
    return np.maximum(system.lb, values - p), np.minimum(system.ub, values + p)


def tolerance(values: np.ndarray) -> np.ndarray:
    """Numerical slack of a comparison with a value of this size."""
    return 1e-6 * np.maximum(np.abs(values), 1.0)


def round_inwards(system: Tabellensystem, lower: np.ndarray, upper: np.ndarray
                  ) -> tuple[np.ndarray, np.ndarray]:
    """What the attacker gets from LP bounds knowing that counts are whole numbers."""
    whole = system.ganzzahlig
    with np.errstate(invalid="ignore"):
        lower = np.where(whole & np.isfinite(lower), np.ceil(lower - _EPS), lower)
        upper = np.where(whole & np.isfinite(upper), np.floor(upper + _EPS), upper)
    return lower, upper


@dataclass
class Urteil:
    """The audit's verdict per cell (meaningful where `geprueft`)."""

    geprueft: np.ndarray      # suppressed and not fixed by its a-priori bounds
    geschuetzt: np.ndarray    # protected (True for cells not checked)
    unten: np.ndarray         # attacker's interval, rounded inwards for whole numbers
    oben: np.ndarray
    fehlt_unten: np.ndarray   # how far `unten` must still move down (> 0: missing)
    fehlt_oben: np.ndarray    # how far `oben` must still move up (> 0: missing)


def judge(system: Tabellensystem, supp: np.ndarray, values: np.ndarray, lower: np.ndarray,
          upper: np.ndarray, need_lo: np.ndarray, need_up: np.ndarray,
          status: np.ndarray | None = None) -> Urteil:
    """Compare the attacker's intervals with the protection ranges.

    A zero suppressed only to protect other cells (`status` `gesperrt_sekundaer`) is not
    checked: zero is published anyway ("Zero is published"), so recovering it discloses
    nothing; the cells it protects are checked on their own."""
    tol = tolerance(values)
    lower, upper = round_inwards(system, lower, upper)
    with np.errstate(invalid="ignore"):
        missing_lo = np.nan_to_num(lower - need_lo, nan=np.inf)
        missing_up = np.nan_to_num(need_up - upper, nan=np.inf)
        exact = ~(upper - lower > tol)
    checked = supp & (system.ub - system.lb > tol)
    if status is not None:
        status = np.asarray(status).astype(str)
        checked &= ~((status == GESPERRT_SEKUNDAER) & (values == 0)) & (status != VERBORGEN)
    protected = (missing_lo <= tol) & (missing_up <= tol) & ~exact
    return Urteil(checked, protected | ~checked, lower, upper, missing_lo, missing_up)


# ---------------------------------------------------------------------------------------
# the attacker's intervals
# ---------------------------------------------------------------------------------------
@dataclass
class Intervalle:
    """Attacker's intervals of the suppressed cells (NaN for published cells).

    Where the bounds come from, for `binding`: `duals[(cell, side)]`, side 'lo' or 'up', for
    a bound found by its own LP: the relations that limit it and their dual values
    (d objective / d right-hand side; objective +cell for 'lo', -cell for 'up').
    `grenze_rel[cell, 0 | 1]` for the lower / upper outer bound: the relation that gives it
    (-1: the a-priori bound), with the cell's coefficient in `grenze_koeff`.
    """

    lower: np.ndarray
    upper: np.ndarray
    labels: np.ndarray        # component per node (cells 0..n-1, then relations)
    grenze_rel: np.ndarray
    grenze_koeff: np.ndarray
    duals: dict[tuple[int, str], tuple[np.ndarray, np.ndarray]] = field(default_factory=dict)
    lp_count: int = 0

    def binding(self, cell: int, side: str) -> tuple[np.ndarray, np.ndarray]:
        """Relations limiting one bound of a cell and their dual values: the LP's, else the
        relation that gives the outer bound (exact for a component of one relation)."""
        if (cell, side) in self.duals:
            return self.duals[(cell, side)]
        k = 0 if side == "lo" else 1
        rel = self.grenze_rel[cell, k]
        if rel < 0:
            return np.array([], dtype=np.int64), np.array([])
        return np.array([rel]), np.array([(1.0 - 2 * k) / self.grenze_koeff[cell, k]])


def attacker_intervals(system: Tabellensystem, supp: np.ndarray, values: np.ndarray,
                       ziel_unten: np.ndarray | None = None,
                       ziel_oben: np.ndarray | None = None, *,
                       cache: dict | None = None) -> Intervalle:
    """The attacker's interval of every suppressed cell, given the published values.

    Without targets: the tightest interval (exact). With targets (the protection range)
    only the verdict is exact: a side that a feasible point shows to reach its target is
    left at that point's value (the bound is at least as wide), a side whose outer bound
    misses its target at the outer bound (the bound is at least as narrow); only the other
    sides get exact bounds. `values` of suppressed cells (the true values) serve only as a
    feasible point.

    Outer bounds come first: interval propagation over the relations (see `_outer_bounds`),
    exact for a component held together by one relation. In larger components a side is
    exact as soon as a feasible point reaches its outer bound. Feasible points come from the
    true values, from LPs over batches of components (minimise / maximise the sum of the
    cells whose side is still open) and from the solution of every per-cell LP; the sides
    still open after that get their own LP.

    `cache`: a dict the caller keeps across calls with the same system, values and targets;
    it holds the result per component, so that only components that changed are solved.
    """
    s = system
    m_supp = supp[s.m_cell]
    rhs = -np.bincount(s.m_rel, weights=np.where(m_supp, 0.0, s.m_coef * values[s.m_cell]),
                       minlength=s.nrel)
    nodes = s.n + s.nrel
    graph = sparse.coo_array(
        (np.ones(int(m_supp.sum())), (s.m_cell[m_supp], s.m_rel[m_supp] + s.n)),
        shape=(nodes, nodes))
    _, labels = connected_components(graph, directed=False)
    rows = np.flatnonzero(m_supp)               # membership rows of suppressed cells
    rels_per_comp = np.bincount(labels[s.n + np.unique(s.m_rel[rows])], minlength=nodes)
    row_rels = rels_per_comp[labels[s.n + s.m_rel[rows]]]

    lower, upper, limit = _outer_bounds(s, supp, rows, rhs)
    given = limit >= 0
    result = Intervalle(lower=lower, upper=upper, labels=labels,
                        grenze_rel=np.full(limit.shape, -1, dtype=np.int64),
                        grenze_koeff=np.full(limit.shape, np.nan))
    result.grenze_rel[given] = s.m_rel[limit[given]]
    result.grenze_koeff[given] = s.m_coef[limit[given]]
    multi = rows[row_rels >= 2]
    if cache is not None:
        multi = _from_cache(s, multi, labels, result, cache)
    if len(multi):
        components = _Components(s, multi, rhs, labels, values, result, ziel_unten, ziel_oben)
        components.solve()
        if cache is not None:
            components.store(cache)
    return result


def _from_cache(s: Tabellensystem, rows: np.ndarray, labels: np.ndarray, result: Intervalle,
                cache: dict) -> np.ndarray:
    """Fill in the components found in `cache`; returns the rows of the others."""
    rows = rows[np.argsort(labels[s.m_cell[rows]], kind="stable")]
    comp = labels[s.m_cell[rows]]
    bounds = np.flatnonzero(np.r_[True, comp[1:] != comp[:-1], True])
    left = []
    for a, b in zip(bounds[:-1].tolist(), bounds[1:].tolist(), strict=True):
        cells = np.unique(s.m_cell[rows[a:b]])
        hit = cache.get(cells.tobytes())
        if hit is None:
            left.append(rows[a:b])
            continue
        result.lower[cells], result.upper[cells], duals = hit
        result.duals.update(duals)
    return np.concatenate(left) if left else rows[:0]


def _outer_bounds(s: Tabellensystem, supp: np.ndarray, rows: np.ndarray, rhs: np.ndarray
                  ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Per suppressed cell, bounds that the attacker's interval lies within, and per cell
    and side (columns lower, upper) the membership row of the relation that gives the
    bound (-1: the a-priori bound).

    In a relation `sum(c_k x_k) = b`, c_j x_j lies between b minus the largest and b minus
    the smallest sum the other suppressed cells can reach within their bounds. Starting from
    the a-priori bounds, every cell's bounds are narrowed by each of its relations in turn,
    repeated while that narrows them (interval propagation). For a component held together
    by one relation, one pass gives the exact interval.
    """
    r, j, c = s.m_rel[rows], s.m_cell[rows], s.m_coef[rows]
    lower = np.where(supp, s.lb, np.nan)
    upper = np.where(supp, s.ub, np.nan)
    for _ in range(_PROPAGATION_ROUNDS):
        row_lower, row_upper = _row_bounds(s, r, j, c, lower, upper, rhs)
        before_lo, before_up = lower.copy(), upper.copy()
        np.maximum.at(lower, j, row_lower)
        np.minimum.at(upper, j, row_upper)
        with np.errstate(invalid="ignore"):
            moved = (lower - before_lo > _EPS) | (before_up - upper > _EPS)
        if not moved.any():
            break
    limit = np.full((s.n, 2), -1, dtype=np.int64)
    for k, bound, row_bound in ((0, -lower, -row_lower), (1, upper, row_upper)):
        first = np.lexsort((row_bound, j))
        _, at = np.unique(j[first], return_index=True)
        pick = first[at]
        given = row_bound[pick] <= bound[j[pick]] + tolerance(bound[j[pick]])
        limit[j[pick[given]], k] = rows[pick[given]]
    return lower, upper, limit


def _row_bounds(s: Tabellensystem, r, j, c, lower, upper, rhs):
    """Per membership row, the bounds its relation alone gives its cell."""
    lb, ub = lower[j], upper[j]
    cmin = np.where(c > 0, c * lb, c * ub)
    cmax = np.where(c > 0, c * ub, c * lb)
    min_inf, max_inf = np.isneginf(cmin), np.isposinf(cmax)
    fin_min = np.bincount(r, weights=np.where(min_inf, 0.0, cmin), minlength=s.nrel)
    fin_max = np.bincount(r, weights=np.where(max_inf, 0.0, cmax), minlength=s.nrel)
    n_min_inf = np.bincount(r, weights=min_inf, minlength=s.nrel)
    n_max_inf = np.bincount(r, weights=max_inf, minlength=s.nrel)
    others_min = np.where(n_min_inf[r] - min_inf > 0, -np.inf,
                          fin_min[r] - np.where(min_inf, 0.0, cmin))
    others_max = np.where(n_max_inf[r] - max_inf > 0, np.inf,
                          fin_max[r] - np.where(max_inf, 0.0, cmax))
    lo_cx, hi_cx = rhs[r] - others_max, rhs[r] - others_min
    with np.errstate(invalid="ignore"):
        return (np.where(c > 0, lo_cx / c, hi_cx / c), np.where(c > 0, hi_cx / c, lo_cx / c))


_PROPAGATION_ROUNDS = 20
_BATCH_CELLS = 2000   # cells of the components searched together by one LP
_ROUNDS = 50          # LPs per direction and batch at most that look for feasible points
_MIN_GAIN = 2         # an LP that settles fewer sides (at least one per component of the
#                       batch) costs more than their own LPs


class _Components:
    """Components of two or more relations, as one block-diagonal system (cells and
    relations sorted by component, so that every component is a contiguous block)."""

    def __init__(self, s, rows, rhs, labels, values, result, ziel_unten, ziel_oben):
        self.result = result
        cells = np.unique(s.m_cell[rows])
        self.cells = cells[np.argsort(labels[cells], kind="stable")]
        rels = np.unique(s.m_rel[rows])
        self.rels = rels[np.argsort(labels[s.n + rels], kind="stable")]
        col = np.full(s.n, -1, dtype=np.int64)
        col[self.cells] = np.arange(len(self.cells))
        row = np.full(s.nrel, -1, dtype=np.int64)
        row[self.rels] = np.arange(len(self.rels))
        self.a_eq = sparse.csr_array((s.m_coef[rows], (row[s.m_rel[rows]], col[s.m_cell[rows]])),
                                     shape=(len(self.rels), len(self.cells)))
        self.b_eq = rhs[self.rels]
        self.bounds = np.column_stack([s.lb[self.cells], s.ub[self.cells]])
        comp = labels[self.cells]
        self.starts = np.flatnonzero(np.r_[True, comp[1:] != comp[:-1]])
        self.ends = np.r_[self.starts[1:], len(self.cells)]
        rel_comp = labels[s.n + self.rels]
        self.rel_starts = np.searchsorted(rel_comp, comp[self.starts], side="left")
        self.rel_ends = np.searchsorted(rel_comp, comp[self.starts], side="right")
        # a side is settled once a feasible point reaches its target: its outer bound
        # (then the bound is exact) or the given target (then it is wide enough)
        self.t_lo = (result.lower if ziel_unten is None else ziel_unten)[self.cells]
        self.t_up = (result.upper if ziel_oben is None else ziel_oben)[self.cells]
        self.tol = tolerance(values[self.cells])
        self.seen_lo = values[self.cells].astype(float)
        self.seen_up = self.seen_lo.copy()
        self.done_lo, self.done_up = self._settled()
        # a side whose outer bound already misses its target fails: no LP needed for that
        outer_lo, outer_up = result.lower[self.cells], result.upper[self.cells]
        miss_lo, miss_up = outer_lo > self.t_lo + self.tol, outer_up < self.t_up - self.tol
        self.seen_lo[miss_lo], self.seen_up[miss_up] = outer_lo[miss_lo], outer_up[miss_up]
        self.done_lo |= miss_lo
        self.done_up |= miss_up
        # capped bounds for the searches, so that every LP has an optimum (a solution of
        # the capped system is still feasible); the true values lie well inside
        cap = 2.0 * (np.abs(values[self.cells]).sum() + np.abs(self.b_eq).sum()) + 10.0
        self.capped = np.column_stack([self.bounds[:, 0], np.minimum(self.bounds[:, 1], cap)])

    def _settled(self):
        return self.seen_lo <= self.t_lo + self.tol, self.seen_up >= self.t_up - self.tol

    def _witness(self, x: np.ndarray, at: slice) -> None:
        self.seen_lo[at] = np.minimum(self.seen_lo[at], x)
        self.seen_up[at] = np.maximum(self.seen_up[at], x)
        lo, up = self._settled()
        self.done_lo[at] |= lo[at]
        self.done_up[at] |= up[at]

    def solve(self) -> None:
        # feasible points from LPs over batches of neighbouring components, then an LP of
        # its own for every side still open
        for a, b, ra, rb, count in self._batches():
            self._search(self.a_eq[ra:rb, a:b], self.b_eq[ra:rb], slice(a, b),
                         max(_MIN_GAIN, count))
        for k in range(len(self.starts)):
            a, b = int(self.starts[k]), int(self.ends[k])
            if self.done_lo[a:b].all() and self.done_up[a:b].all():
                continue
            ra, rb = int(self.rel_starts[k]), int(self.rel_ends[k])
            block = (self.a_eq[ra:rb, a:b], self.b_eq[ra:rb], self.rels[ra:rb])
            for j in range(b - a):
                for side, done in (("lo", self.done_lo), ("up", self.done_up)):
                    if not done[a + j]:
                        self._own_lp(block, a, b, j, side)
        self.result.lower[self.cells] = self.seen_lo
        self.result.upper[self.cells] = self.seen_up

    def _batches(self):
        """(cells from, to, relations from, to, number of components) of runs of components
        with about `_BATCH_CELLS` cells together (an LP grows faster than its size)."""
        first = 0
        for k in range(len(self.starts)):
            last = k + 1 == len(self.starts)
            if last or self.ends[k + 1] - self.starts[first] > _BATCH_CELLS:
                yield (int(self.starts[first]), int(self.ends[k]), int(self.rel_starts[first]),
                       int(self.rel_ends[k]), k + 1 - first)
                first = k + 1

    def store(self, cache: dict) -> None:
        """Put the result of every component into `cache`, keyed by its cells."""
        duals = self.result.duals
        for a, b in zip(self.starts.tolist(), self.ends.tolist(), strict=True):
            cells = self.cells[a:b]
            own = {(cell, side): duals[(cell, side)] for cell in cells.tolist()
                   for side in ("lo", "up") if (cell, side) in duals}
            cache[cells.tobytes()] = (self.seen_lo[a:b].copy(), self.seen_up[a:b].copy(), own)

    def _search(self, a_eq, b_eq, at: slice, min_gain: int) -> None:
        """Feasible points that minimise (maximise) the sum of the cells in `at` whose lower
        (upper) side is still open, while each LP settles at least `min_gain` sides."""
        for sign, done in ((1.0, self.done_lo), (-1.0, self.done_up)):
            for _ in range(_ROUNDS):
                open_before = int((~done[at]).sum())
                if open_before < min_gain:
                    break
                self.result.lp_count += 1
                lp = linprog(sign * (~done[at]), A_eq=a_eq, b_eq=b_eq, bounds=self.capped[at],
                             method="highs")
                if lp.status != 0:
                    break
                self._witness(lp.x, at)
                if open_before - int((~done[at]).sum()) < min_gain:
                    break

    def _own_lp(self, block, a: int, b: int, j: int, side: str) -> None:
        """Exact bound of one side of one cell; the solution is a feasible point for the
        other cells of its component."""
        a_eq, b_eq, rels = block
        sign = 1.0 if side == "lo" else -1.0
        objective = np.zeros(b - a)
        objective[j] = sign
        self.result.lp_count += 1
        lp = linprog(objective, A_eq=a_eq, b_eq=b_eq, bounds=self.bounds[a:b], method="highs")
        seen, done = (self.seen_lo, self.done_lo) if side == "lo" else (self.seen_up, self.done_up)
        if lp.status == 3:        # unbounded: nothing limits this side
            seen[a + j] = -sign * np.inf
        elif lp.status == 0:
            self._witness(lp.x, slice(a, b))
            seen[a + j] = lp.x[j]
            marginals = np.asarray(lp.eqlin.marginals, dtype=float)
            limiting = np.abs(marginals) > 1e-9
            cell = int(self.cells[a + j])
            self.result.duals[(cell, side)] = (rels[limiting], marginals[limiting])
        else:
            raise GeheimhaltungError(f"audit LP failed: {lp.message}")
        done[a + j] = True


# ---------------------------------------------------------------------------------------
# audit of a publication
# ---------------------------------------------------------------------------------------
@dataclass
class AuditResult:
    """Outcome of the audit over all suppressed cells."""

    geprueft: int             # suppressed cells checked
    fehlerhaft: int           # of which not protected
    engste_breite: float      # narrowest interval width (oben - unten); inf: none checked;
    #                           with exakt=False only a lower bound
    # one row per checked cell: cell_id, status, wahr, unten, oben, bedarf_unten,
    # bedarf_oben, geschuetzt
    intervalle: pd.DataFrame
    lp_anzahl: int = 0
    exakt: bool = True        # False: a protected side shows a value the attacker can
    #                           reach, not the bound (the interval is at least that wide)

    @property
    def ok(self) -> bool:
        return self.fehlerhaft == 0

    @property
    def fehler(self) -> pd.DataFrame:
        """The rows of `intervalle` that are not protected."""
        return self.intervalle[~self.intervalle["geschuetzt"]].reset_index(drop=True)


def audit(published_cells: pd.DataFrame, relations: pd.DataFrame, config: GeheimhaltungConfig,
          *, true_values: pd.Series | None = None, exakt: bool = True) -> AuditResult:
    """Play the attacker against a publication.

    `published_cells`: `cell_id`, `wert_art`, `status` (`gesperrt` / `gesperrt_sekundaer`:
    unknown to the attacker; any other status: published), `zaehler`, `nenner` ('anteil'),
    optional `untergrenze` / `obergrenze`. The `zaehler` of suppressed cells is never shown
    to the attacker; it is the true value the intervals are judged against, so pass
    `protect`'s result as it is, or the published table (`zaehler` blank) together with
    `true_values` (true `zaehler` per `cell_id`, a Series indexed by `cell_id`).

    `exakt=False` is faster on large systems: `geschuetzt` is the same, but a side that is
    wide enough shows only a value the attacker can reach, not the attacker's bound.
    """
    if "status" not in published_cells.columns:
        raise GeheimhaltungError("published_cells: column 'status' missing")
    cells = published_cells.reset_index(drop=True)
    system = build_system(cells, relations)
    status = cells["status"].astype(str).to_numpy()
    supp = np.isin(status, (*GESPERRT_STATUS, VERBORGEN))
    values = numeric(cells, "zaehler")
    if true_values is not None:
        truth = pd.to_numeric(true_values, errors="coerce")
        truth.index = truth.index.astype(str)
        values = np.where(supp, truth.reindex(system.cell_ids).to_numpy(float), values)
    if np.isnan(values[~supp]).any():
        bad = system.cell_ids[~supp & np.isnan(values)][:5].tolist()
        raise GeheimhaltungError(f"published cells without zaehler, e.g. {bad}")
    if np.isnan(values[supp]).any():
        bad = system.cell_ids[supp & np.isnan(values)][:5].tolist()
        raise GeheimhaltungError(
            f"true zaehler missing for suppressed cells, e.g. {bad} (pass protect's result or"
            " true_values)")
    check_values(system, values)
    system = with_relation_bounds(system)
    need_lo, need_up = schutzbedarf(system, values, config)
    intervals = (attacker_intervals(system, supp, values) if exakt
                 else attacker_intervals(system, supp, values, need_lo, need_up))
    verdict = judge(system, supp, values, intervals.lower, intervals.upper, need_lo, need_up,
                    status)
    idx = np.flatnonzero(verdict.geprueft)
    table = pd.DataFrame({
        "cell_id": system.cell_ids[idx], "status": status[idx], "wahr": values[idx],
        "unten": verdict.unten[idx], "oben": verdict.oben[idx], "bedarf_unten": need_lo[idx],
        "bedarf_oben": need_up[idx], "geschuetzt": verdict.geschuetzt[idx]})
    width = float((table["oben"] - table["unten"]).min()) if len(table) else np.inf
    return AuditResult(geprueft=len(table), fehlerhaft=int((~table["geschuetzt"]).sum()),
                       engste_breite=width, intervalle=table, lp_anzahl=intervals.lp_count,
                       exakt=exakt)
