"""The attacker audit (shared/spec/privacy-and-publishing.md, "Audit"; docs/datenschutz.md).

The attacker knows every published number, every relation, the a-priori bounds of every
cell (counts and money are non-negative; a numerator lies between 0 and its published
`nenner`), that a suppressed count is never 0 (zero is always published, so the one
status `gesperrt` tells "at least 1") and that counts are whole numbers. For every
suppressed cell the attacker's tightest interval [unten, oben] is a pair of linear
programmes; integrality is used by rounding LP bounds of counts inwards.

Requirements (`anforderungen`): a primary cell's interval must reach its protection range
on both sides, each side as far as the attacker's prior knowledge allows; a secondary cell
must only not be derivable exactly; hidden auxiliary cells (`verborgen`) are not judged.

How the verdict is reached quickly, with every shortcut sound (proofs in
docs/datenschutz.md):
1. Suppressed cells fall into connected components (cells linked by a relation holding two
   of them; published cells are constants). Components are independent.
2. Interval propagation gives bounds that always contain the exact interval: a side whose
   propagated bound already misses its target fails, with no LP.
3. A component whose graph of cells and relations is a forest, once propagation has
   converged, has exact bounds from propagation alone: no LP.
4. Every other component gets one HiGHS model (highspy), kept while only the objective
   changes (warm start). Feasible points (the true values, and the optimum of LPs that
   push all open sides at once) settle every side they reach; only the sides left get an
   LP of their own, which gives the exact bound and the dual values of the relations that
   limit it (used by `protect` to choose more cells). A side that a feasible point found
   for another side already reaches needs no LP of its own.
   A component of more than `_REGIONS_FROM` cells first gets LPs per region with every
   cell outside the region fixed at its true value (`_Regionen`): a restriction of the
   attacker's feasible set, so its points are feasible points too. In `protect` a side
   first gets an LP of the region's relaxation (`_Huelle`: only the relations touching
   the region): a bound beyond the exact one, so a side missing its target there fails
   for certain, and its duals guide the choice of the next cell.
5. `cache` keeps component results across calls on the same system and values.
"""

import heapq
import os
import sys
from collections.abc import MutableMapping
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
from scipy import sparse
from scipy.sparse.csgraph import connected_components

from dagster_project.lib.geheimhaltung.config import (
    GESPERRT,
    PRIMAER,
    SEKUNDAER,
    VERBORGEN,
    GeheimhaltungConfig,
    GeheimhaltungError,
)
from dagster_project.lib.geheimhaltung.system import (
    Tabellensystem,
    block_key,
    bloecke,
    build_system,
    check_values,
    flag,
    numeric,
    propagate,
    relation_rhs,
    round_inwards,
    tolerance,
    with_relation_bounds,
)

_BANNER_SHOWN = False


def _highs():
    """A new HiGHS instance with its output off. HiGHS prints a copyright banner to the
    process's standard output when the first instance is made, before any option can be
    set; the nightly log does not need it."""
    import highspy

    global _BANNER_SHOWN
    if _BANNER_SHOWN:
        highs = highspy.Highs()
    else:
        sys.stdout.flush()
        saved = os.dup(1)
        try:
            with open(os.devnull, "w") as null:
                os.dup2(null.fileno(), 1)
                highs = highspy.Highs()
        finally:
            os.dup2(saved, 1)
            os.close(saved)
        _BANNER_SHOWN = True
    highs.setOptionValue("output_flag", False)
    # sums of money (millions of euros, cents) carry rounding errors above HiGHS's default
    # tolerance of 1e-7; 1e-5 is far below any protection range
    highs.setOptionValue("primal_feasibility_tolerance", 1e-5)
    return highs


def _highs_lp(matrix: sparse.csc_array, cost: np.ndarray, lb: np.ndarray, ub: np.ndarray,
              rhs: np.ndarray):
    """min cost·x subject to matrix·x = rhs, lb <= x <= ub, as a HiGHS model."""
    import highspy

    n_rows, n_cols = matrix.shape
    lp = highspy.HighsLp()
    lp.num_col_, lp.num_row_ = n_cols, n_rows
    lp.col_cost_ = np.asarray(cost, dtype=float)
    lp.col_lower_ = np.asarray(lb, dtype=float)
    lp.col_upper_ = np.asarray(ub, dtype=float)
    lp.row_lower_ = np.asarray(rhs, dtype=float)
    lp.row_upper_ = np.asarray(rhs, dtype=float)
    lp.a_matrix_.format_ = highspy.MatrixFormat.kColwise
    lp.a_matrix_.start_ = matrix.indptr.astype(np.int32)
    lp.a_matrix_.index_ = matrix.indices.astype(np.int32)
    lp.a_matrix_.value_ = matrix.data.astype(float)
    lp.a_matrix_.num_col_, lp.a_matrix_.num_row_ = n_cols, n_rows
    return lp


_WITNESS_ROUNDS = 8     # LPs per component that push all open sides at once
_REGIONS_FROM = 10000      # components of more cells try LPs per region first
_LOCAL_FROM = 20000        # components of more cells try local LPs before the full one
_REGION_CELLS = 1500       # cells of a region of a large component (`_Regionen`)
_LOCAL_RADII = (1, 2)      # neighbourhoods tried, in this order


def untergrenze_gesperrt(system: Tabellensystem, values: np.ndarray,
                         hidden: np.ndarray) -> np.ndarray:
    """Every cell's lower bound as the attacker sees it once the cell is suppressed: at
    least 1 for a count that is not 0 (zero is never suppressed), else the a-priori one.
    Hidden auxiliary cells (slack of an inequality) may be 0."""
    positive = ~hidden & system.ganzzahlig & (values > 0)
    return np.where(positive, np.maximum(system.lb, 1.0), system.lb)


def attacker_box(system: Tabellensystem, supp: np.ndarray, hidden: np.ndarray,
                 values: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Bounds the attacker knows for every cell before solving anything: the a-priori
    bounds, and at least 1 for a suppressed count (zero is never suppressed). A
    publication that suppresses a zero anyway (not ours) keeps 0 there, so that the true
    values stay feasible; `anforderungen` marks such a cell as failing."""
    return (np.where(supp, untergrenze_gesperrt(system, values, hidden), system.lb),
            system.ub.copy())


def sperrbar(cells: pd.DataFrame, system: Tabellensystem, values: np.ndarray) -> np.ndarray:
    """Cells the rules allow to suppress secondarily: sensitive, not `fest`, not hidden,
    not 0 (zero is always published), not a `kreis` value (`ebene`), not fixed by their
    bounds once suppressed (then suppressing them hides nothing)."""
    hidden = flag(cells, "verborgen")
    kreis = (cells["ebene"].astype(str).to_numpy() == "kreis" if "ebene" in cells.columns
             else np.zeros(len(cells), dtype=bool))
    fixed = system.ub - untergrenze_gesperrt(system, values, hidden) <= tolerance(values)
    return (flag(cells, "sensibel") & ~flag(cells, "fest") & ~hidden & (values != 0)
            & ~fixed & ~kreis)


@dataclass
class Bedarf:
    """What a cell's interval must reach if it is suppressed (every cell)."""

    primaer: np.ndarray       # needs its protection range (else: only not exact)
    bedarf_unten: np.ndarray  # the attacker's lower bound must be at most this
    bedarf_oben: np.ndarray   # the attacker's upper bound must be at least this
    boden_unten: np.ndarray   # what the attacker knows whatever is suppressed
    boden_oben: np.ndarray
    frei: np.ndarray | None = None
    lb_frei: np.ndarray | None = None
    _labels: np.ndarray | None = None
    _models: dict = field(default_factory=dict)
    _exact: dict = field(default_factory=dict)
    _regions: dict = field(default_factory=dict)

    def _component_labels(self, system: Tabellensystem) -> np.ndarray:
        if self._labels is None:
            rows = np.flatnonzero(self.frei[system.m_cell])
            nodes = system.n + system.nrel
            graph = sparse.coo_array((np.ones(len(rows)), (system.m_cell[rows],
                                                           system.n + system.m_rel[rows])),
                                     shape=(nodes, nodes))
            self._labels = connected_components(graph, directed=False)[1]
        return self._labels

    def boden_erreicht(self, system: Tabellensystem, values: np.ndarray, cell: int,
                       side: str, target: float, tol: float) -> bool:
        """Whether the exact bound of `exakter_boden` certainly lies at `target` or beyond
        (lo: at most, up: at least), shown without the LP over the whole component: in a
        component of more than `_REGIONS_FROM` cells, an LP over the cell's region of the
        all-suppressed publication with every other cell fixed at its true value (a
        restriction of its feasible set, so its bound lies within the exact one). False:
        not shown (the exact LP decides)."""
        labels = self._component_labels(system)
        label = labels[cell]
        if label not in self._regions:
            rows = np.flatnonzero(self.frei[system.m_cell])
            comp_rows = rows[labels[system.m_cell[rows]] == label]
            cells = np.unique(system.m_cell[comp_rows])
            rels = np.unique(system.m_rel[comp_rows])
            self._regions[label] = None if len(cells) <= _REGIONS_FROM else (
                cells, _Regionen(system, cells, rels, comp_rows, self.lb_frei[cells],
                                 system.ub[cells],
                                 relation_rhs(system, self.frei, values)[rels], values[cells]),
                {})
        found = self._regions[label]
        if found is None:
            return False
        cells, regions, models = found
        j = int(np.searchsorted(cells, cell))
        region = int(regions.label[j])
        if region not in models:
            free = np.flatnonzero(regions.label == region)
            models[region] = (free, regions.restricted(free)[1])
        free, model = models[region]
        bound, _, _ = model.side(int(np.searchsorted(free, j)), side)
        lower, upper = round_inwards(system.ganzzahlig[[cell]], np.array([bound]),
                                     np.array([bound]))
        if side == "lo":
            return bool(lower[0] <= target + tol)
        return bool(upper[0] >= target - tol)

    def exakter_boden(self, system: Tabellensystem, values: np.ndarray, cell: int,
                      side: str) -> float:
        """The attacker's exact bound of one side of `cell` in the publication in which
        every `frei` cell is suppressed: what no pattern can widen (an LP; cached)."""
        key = (cell, side)
        if key in self._exact:
            return self._exact[key]
        frei = self.frei
        rows = np.flatnonzero(frei[system.m_cell])
        label = self._component_labels(system)[cell]
        if label not in self._models:
            self._models[label] = _Modell.of_component(
                system, rows, self._labels, label, cell, self.lb_frei, system.ub,
                relation_rhs(system, frei, values))
        cells, model = self._models[label]
        bound, _, _ = model.side(int(np.searchsorted(cells, cell)), side)
        lower, upper = round_inwards(system.ganzzahlig[[cell]], np.array([bound]),
                                     np.array([bound]))
        self._exact[key] = float(lower[0] if side == "lo" else upper[0])
        return self._exact[key]


def bedarf(system: Tabellensystem, hidden: np.ndarray, primary: np.ndarray,
           values: np.ndarray, config: GeheimhaltungConfig,
           frei: np.ndarray | None = None) -> Bedarf:
    """What every cell's interval must reach once it is suppressed.

    Primary: [v - p, v + p] clipped to what the attacker knows anyway: 1 for a suppressed
    count (zero is never suppressed), the published `nenner`; p = `schutzbereich`, or for
    money `schutzbereich_geld_anteil * v`, at least `schutzbereich_geld_min`. Secondary:
    one side must reach one unit (one count, `schutzbereich_geld_min` EUR) beyond the value.

    `frei`: the cells that may be suppressed at all. What the attacker knows whatever is
    suppressed clips the range too: the published zeros, `kreis` values, non-sensitive
    figures and denominators (never suppressed) and that a suppressed count is at least 1.
    A municipality of 2 whose only non-zero Sozialräume are two 1s is known to be at least
    2 in every publication that follows the rules. These floors are the propagated bounds
    of the system in which every `frei` cell is suppressed (the widest the attacker's
    interval can be in any pattern).
    """
    whole = system.ganzzahlig
    lb = untergrenze_gesperrt(system, values, hidden)
    ub = system.ub.copy()
    if frei is not None:
        rows = np.flatnonzero(frei[system.m_cell])
        widest = propagate(system, frei, lb, ub, rows, relation_rhs(system, frei, values))
        floor_lo, floor_up = round_inwards(whole, widest.lower, widest.upper)
        lb = np.where(frei, np.fmax(lb, floor_lo), lb)
        ub = np.where(frei, np.fmin(ub, floor_up), ub)
    geld = system.wert_art == "geld"
    p = np.where(geld, np.maximum(config.schutzbereich_geld_anteil * np.abs(values),
                                  config.schutzbereich_geld_min), float(config.schutzbereich))
    step = np.where(geld, config.schutzbereich_geld_min, 1.0)
    # a relation with a `konstante` (S02, S08: nearly additive): an attacker who assumes
    # plain additivity is off by the constant; the range is widened by it, so that this
    # attacker too cannot narrow a primary cell below its protection range
    shift = np.zeros(system.n)
    np.maximum.at(shift, system.m_cell, np.abs(system.rel_b[system.m_rel]))
    reach = np.where(primary, p + shift, step)
    need_lo, need_up = values - reach, values + reach
    need_lo = np.where(whole, np.floor(need_lo + 1e-9), need_lo)
    need_up = np.where(whole, np.ceil(need_up - 1e-9), need_up)
    return Bedarf(primary, np.maximum(need_lo, lb), np.minimum(need_up, ub), lb, ub,
                  frei=frei, lb_frei=lb)


@dataclass
class Anforderung:
    geprueft: np.ndarray      # judged: suppressed, not hidden, not fixed by prior knowledge
    primaer: np.ndarray       # needs its protection range (else: only not exact)
    bedarf_unten: np.ndarray
    bedarf_oben: np.ndarray
    null: np.ndarray          # a suppressed zero: always failing


def anforderungen(need: Bedarf, supp: np.ndarray, hidden: np.ndarray, values: np.ndarray
                  ) -> Anforderung:
    """The requirements of the suppressed cells: judged unless hidden or fixed anyway."""
    zero = supp & ~hidden & (values == 0)
    checked = supp & ~hidden & ((need.boden_oben - need.boden_unten > tolerance(values))
                                | zero)
    return Anforderung(checked, need.primaer & checked, need.bedarf_unten, need.bedarf_oben,
                       zero)


@dataclass
class Pruefung:
    """The verdict per cell (meaningful where `geprueft`)."""

    geprueft: np.ndarray
    geschuetzt: np.ndarray    # True for cells not judged
    unten: np.ndarray         # attacker's interval, rounded inwards for whole numbers;
    oben: np.ndarray          # a side that is wide enough may show a reached value only
    exakt_unten: np.ndarray   # the side is the attacker's exact bound
    exakt_oben: np.ndarray
    anforderung: Anforderung
    fehlt_unten: np.ndarray   # > 0: how far `unten` must still move down
    fehlt_oben: np.ndarray
    labels: np.ndarray        # component per node (cells 0..n-1, then relations)
    limit: np.ndarray         # (n, 2) membership row of the relation giving a propagated bound
    duals: dict = field(default_factory=dict)   # (cell, 'lo'|'up') -> (relations, duals)
    lp_anzahl: int = 0
    komponenten: int = 0
    lp_komponenten: int = 0

    def binding(self, system: Tabellensystem, cell: int, side: str
                ) -> tuple[np.ndarray, np.ndarray]:
        """Relations that limit one side of a cell and their dual values (d bound of the
        LP objective, +cell for 'lo', -cell for 'up', / d right-hand side)."""
        if (cell, side) in self.duals:
            return self.duals[(cell, side)]
        k = 0 if side == "lo" else 1
        row = self.limit[cell, k]
        if row < 0:
            return np.array([], dtype=np.int64), np.array([])
        return (np.array([system.m_rel[row]]),
                np.array([(1.0 - 2 * k) / system.m_coef[row]]))


def pruefen(system: Tabellensystem, supp: np.ndarray, hidden: np.ndarray,
            primary: np.ndarray, values: np.ndarray, config: GeheimhaltungConfig, *,
            need: Bedarf | None = None, cache: dict | None = None,
            exakt: bool = False, boeden: bool = True,
            bekannt: np.ndarray | None = None, nur_ob: bool = False,
            regionen: bool = False, huelle: bool = False) -> Pruefung:
    """Judge every suppressed cell of one publication (see the module docstring).

    `exakt=False`: a side wide enough may show a value the attacker can reach instead of
    the bound; failing sides are exact. `exakt=True`: exact intervals everywhere.
    `cache`: kept by the caller across calls on the same system and values (component
    results keyed by the component's suppressed cells). `regionen`: large components try
    restricted LPs per region first (`_Regionen`); `huelle`: and LPs of the region's
    relaxation (`_Huelle`), which show most failing sides of `protect`'s early rounds
    without an LP of the whole component."""
    s = system
    lb, ub = attacker_box(s, supp, hidden, values)
    if need is None:
        need = bedarf(s, hidden, primary, values, config)
    full = need
    need = anforderungen(need, supp, hidden, values)
    rows = np.flatnonzero(supp[s.m_cell])
    rhs = relation_rhs(s, supp, values)
    nodes = s.n + s.nrel
    graph = sparse.coo_array((np.ones(len(rows)), (s.m_cell[rows], s.n + s.m_rel[rows])),
                             shape=(nodes, nodes))
    ncomp, labels = connected_components(graph, directed=False)
    cell_nodes = np.flatnonzero(supp)
    rel_nodes = np.unique(s.m_rel[rows])
    n_cells = np.bincount(labels[cell_nodes], minlength=ncomp)
    n_rels = np.bincount(labels[s.n + rel_nodes], minlength=ncomp)
    n_edges = np.bincount(labels[s.m_cell[rows]], minlength=ncomp)
    forest = n_edges == n_cells + n_rels - 1

    prop = propagate(s, supp, lb, ub, rows, rhs)
    moving = np.bincount(labels[np.flatnonzero(prop.moving)], minlength=ncomp) > 0
    exact_comp = forest & ~moving
    lower, upper = prop.lower.copy(), prop.upper.copy()
    exact_lo = supp & exact_comp[labels[: s.n]]
    exact_up = exact_lo.copy()
    result = Pruefung(
        geprueft=need.geprueft, geschuetzt=np.ones(s.n, dtype=bool), unten=lower, oben=upper,
        exakt_unten=exact_lo, exakt_oben=exact_up, anforderung=need,
        fehlt_unten=np.zeros(s.n), fehlt_oben=np.zeros(s.n), labels=labels,
        limit=prop.limit, komponenten=int((n_cells > 0).sum()))

    # components that need LPs: not exact by propagation and holding a judged cell
    known = np.zeros(s.n, dtype=bool) if bekannt is None else bekannt & supp
    judged_comp = np.bincount(labels[np.flatnonzero(need.geprueft & ~known)],
                              minlength=ncomp) > 0
    lp_comp = ~exact_comp & judged_comp & (n_rels > 0)
    if nur_ob:
        # only whether everything passes: the propagated bounds contain the exact ones, so
        # a cell failing with them fails for certain, and no LP is needed to say so
        _judge(s, supp, values, need, result, known)
        if not result.geschuetzt.all():
            return result
        result.unten, result.oben = prop.lower.copy(), prop.upper.copy()
    lp_rows = rows[lp_comp[labels[s.m_cell[rows]]]]
    if len(lp_rows):
        order = np.argsort(labels[s.m_cell[lp_rows]], kind="stable")
        lp_rows = lp_rows[order]
        comp = labels[s.m_cell[lp_rows]]
        bounds = np.flatnonzero(np.r_[True, comp[1:] != comp[:-1], True])
        for a, b in zip(bounds[:-1].tolist(), bounds[1:].tolist(), strict=True):
            _Komponente(s, lp_rows[a:b], lb, ub, rhs, values, need, result, exakt,
                        cache, known, regionen, huelle).solve()
            result.lp_komponenten += 1

    _judge(s, supp, values, need, result, known)
    if boeden and full.frei is not None:
        _exact_floors(s, supp, values, full, need, result, rows, rhs, lb, ub, known)
    return result


def _exact_floors(s: Tabellensystem, supp: np.ndarray, values: np.ndarray, full: Bedarf,
                  need: Anforderung, result: Pruefung, rows: np.ndarray, rhs: np.ndarray,
                  lb: np.ndarray, ub: np.ndarray, known: np.ndarray) -> None:
    """A failing side may already be as wide as any pattern allows: the propagated
    floors of `bedarf` lie outside the exact ones where the relations form cycles. For
    every failing side, the exact floor (all `frei` cells suppressed) clips the
    requirement; where it moved, the side's exact bound decides (an LP over the cell's
    current component when the bound was only an outer one)."""
    tol = tolerance(values)
    changed = False
    models: dict = {}
    for f in np.flatnonzero(~result.geschuetzt).tolist():
        for side in ("lo", "up"):
            # both sides: a secondary cell that every publication fixes needs no partner
            target = need.bedarf_unten[f] if side == "lo" else need.bedarf_oben[f]
            if (f, side) not in full._exact and full.boden_erreicht(s, values, f, side,
                                                                    target, tol[f]):
                continue        # the exact floor lies beyond the target: nothing to clip
            floor = full.exakter_boden(s, values, f, side)
            if side == "lo":
                if floor <= need.bedarf_unten[f] + tol[f]:
                    continue
                need.bedarf_unten[f] = floor
                exact = result.exakt_unten[f]
            else:
                if floor >= need.bedarf_oben[f] - tol[f]:
                    continue
                need.bedarf_oben[f] = floor
                exact = result.exakt_oben[f]
            changed = True
            if not exact:
                label = result.labels[f]
                if label not in models:
                    models[label] = _Modell.of_component(s, rows, result.labels, label, f,
                                                         lb, ub, rhs)
                cells, model = models[label]
                bound, x, dual = model.side(int(np.searchsorted(cells, f)), side)
                result.lp_anzahl += 1
                if side == "lo":
                    result.unten[f], result.exakt_unten[f] = bound, True
                else:
                    result.oben[f], result.exakt_oben[f] = bound, True
                if x is not None:
                    limiting = np.abs(dual) > 1e-9
                    result.duals[(f, side)] = (model.rels[limiting], dual[limiting])
    if changed:
        _judge(s, supp, values, need, result, known)


def _judge(s: Tabellensystem, supp: np.ndarray, values: np.ndarray, need: Anforderung,
           result: Pruefung, known: np.ndarray) -> None:
    lower, upper = round_inwards(s.ganzzahlig, result.unten, result.oben)
    result.unten, result.oben = lower, upper
    tol = tolerance(values)
    with np.errstate(invalid="ignore"):
        missing_lo = np.nan_to_num(lower - need.bedarf_unten, nan=np.inf)
        missing_up = np.nan_to_num(need.bedarf_oben - upper, nan=np.inf)
        ok_lo = missing_lo <= tol
        ok_up = missing_up <= tol
        moves_lo = need.bedarf_unten < values - 1e-9 * np.maximum(np.abs(values), 1.0)
        moves_up = need.bedarf_oben > values + 1e-9 * np.maximum(np.abs(values), 1.0)
        not_exact = upper - lower > tol
    # a requirement that is a single value: every publication fixes the cell (inherent)
    point = need.bedarf_oben - need.bedarf_unten <= tol
    primary_ok = ok_lo & ok_up & (not_exact | point)
    secondary_ok = (ok_lo & moves_lo) | (ok_up & moves_up) | point
    protected = np.where(need.primaer, primary_ok, secondary_ok) & ~need.null
    result.geschuetzt = protected | known | ~need.geprueft
    # what is missing, per side; a secondary cell needs one side only: the one with room
    missing_lo = np.where(ok_lo, 0.0, missing_lo)
    missing_up = np.where(ok_up, 0.0, missing_up)
    secondary_fail = need.geprueft & ~need.primaer & ~result.geschuetzt
    use_up = moves_up | ~moves_lo
    result.fehlt_unten = np.where(secondary_fail & use_up, 0.0, missing_lo)
    result.fehlt_oben = np.where(secondary_fail & ~use_up, 0.0, missing_up)
    result.fehlt_unten[result.geschuetzt] = 0.0
    result.fehlt_oben[result.geschuetzt] = 0.0


class _Komponente:
    """One component solved with one persistent HiGHS model."""

    def __init__(self, s, rows, lb, ub, rhs, values, need, result, exakt, cache, known,
                 regionen=False, huelle=False):
        self.s, self.result, self.need, self.exakt, self.cache = s, result, need, exakt, cache
        self.regionen, self.huelle = regionen, huelle
        self.known = known
        self.cells = np.unique(s.m_cell[rows])
        self.rels = np.unique(s.m_rel[rows])
        self.rows, self.lb, self.ub, self.rhs, self.values = rows, lb, ub, rhs, values

    def solve(self) -> None:
        s, cells, result, need = self.s, self.cells, self.result, self.need
        key = (self.exakt, cells.tobytes(), self.known[cells].tobytes())
        if self.cache is not None and key in self.cache:
            lo, up, ex_lo, ex_up, duals = self.cache[key]
            result.unten[cells], result.oben[cells] = lo, up
            result.exakt_unten[cells], result.exakt_oben[cells] = ex_lo, ex_up
            result.duals.update(duals)
            return
        v = self.values[cells]
        tol = tolerance(v)
        outer_lo, outer_up = result.unten[cells].copy(), result.oben[cells].copy()
        seen_lo, seen_up = v.astype(float).copy(), v.astype(float).copy()
        judged = need.geprueft[cells] & ~self.known[cells]
        prim = need.primaer[cells]
        n_lo, n_up = need.bedarf_unten[cells], need.bedarf_oben[cells]
        tiny = 1e-9 * np.maximum(np.abs(v), 1.0)
        moves_lo, moves_up = n_lo < v - tiny, n_up > v + tiny
        # sides to settle: primary both, secondary either (one that can move)
        if self.exakt:
            want_lo, want_up = judged.copy(), judged.copy()
        else:
            want_lo = judged & (prim | moves_lo)
            want_up = judged & (prim | moves_up)
            # a side whose outer bound misses its target fails: exact bound needed only
            # for guidance, which the LP of that side gives
        ex_lo = np.zeros(len(cells), dtype=bool)
        ex_up = np.zeros(len(cells), dtype=bool)

        def settled():
            reached_lo = seen_lo <= outer_lo + tol          # at the outer bound: exact
            reached_up = seen_up >= outer_up - tol
            ex_lo[:] |= reached_lo
            ex_up[:] |= reached_up
            if self.exakt:
                return ex_lo.copy(), ex_up.copy()
            ok_lo = (seen_lo <= n_lo + tol) | ex_lo
            ok_up = (seen_up >= n_up - tol) | ex_up
            # a secondary cell is done as soon as one side moves
            sec_done = ~prim & ((ok_lo & moves_lo & (seen_lo <= n_lo + tol))
                                | (ok_up & moves_up & (seen_up >= n_up - tol)))
            return ok_lo | sec_done, ok_up | sec_done

        done_lo, done_up = settled()
        done_lo |= ~want_lo
        done_up |= ~want_up
        # a side whose outer bound already misses its target fails: no LP (the relation
        # that gives the outer bound guides `protect`)
        miss_lo, miss_up = np.zeros(len(cells), dtype=bool), np.zeros(len(cells), dtype=bool)
        if not self.exakt:
            miss_lo = want_lo & ~done_lo & (outer_lo > n_lo + tol)
            miss_up = want_up & ~done_up & (outer_up < n_up - tol)
            done_lo |= miss_lo
            done_up |= miss_up
        if self.regionen and not self.exakt and len(cells) > _REGIONS_FROM:
            # restricted LPs per region first (`_Regionen`): they settle most sides at a
            # cost that does not grow with the component
            regions = _Regionen(s, cells, self.rels, self.rows, self.lb[cells],
                                self.ub[cells], self.rhs[self.rels], v)
            for free in regions.parts():
                # the region alone, then with a partner region for the sides left open
                for step in range(2):
                    if step and (done_lo[free].all() and done_up[free].all()):
                        break
                    region = free if step == 0 else regions.with_partner(free)
                    if region is None:
                        break
                    open_lo, open_up = ~done_lo, ~done_up
                    if step:
                        outside = np.ones(len(cells), dtype=bool)
                        outside[free] = False
                        open_lo, open_up = open_lo & ~outside, open_up & ~outside
                    seen_lo, seen_up, fails = regions.settle(
                        region, open_lo, open_up, prim, n_lo, n_up, moves_lo, moves_up,
                        seen_lo, seen_up, tol, result, outer=self.huelle and step == 0)
                    for j, side, bound, rels, duals in fails:
                        # fails for certain: the relaxation's bound and duals guide protect
                        if side == "lo":
                            outer_lo[j] = max(outer_lo[j], bound)
                            miss_lo[j] = done_lo[j] = True
                        else:
                            outer_up[j] = min(outer_up[j], bound)
                            miss_up[j] = done_up[j] = True
                        result.duals[(int(cells[j]), side)] = (rels, duals)
                    d_lo, d_up = settled()
                    done_lo |= d_lo
                    done_up |= d_up
        model = _Modell.of_rows(s, cells, self.rels, self.rows, self.lb[cells], self.ub[cells],
                                self.rhs[self.rels])
        # feasible points pushing every open side at once
        for _ in range(_WITNESS_ROUNDS):
            open_lo, open_up = ~done_lo, ~done_up
            if not (open_lo.any() or open_up.any()):
                break
            x = model.optimum(open_lo.astype(float) - open_up.astype(float), capped=True)
            result.lp_anzahl += 1
            if x is None:
                break
            before = int(open_lo.sum() + open_up.sum())
            seen_lo, seen_up = np.minimum(seen_lo, x), np.maximum(seen_up, x)
            d_lo, d_up = settled()
            done_lo |= d_lo
            done_up |= d_up
            if int((~done_lo).sum() + (~done_up).sum()) >= before:
                break
        # an LP of its own for every side still open: exact bound and duals
        def secondary_reached(j: int) -> bool:
            return bool((moves_lo[j] and seen_lo[j] <= n_lo[j] + tol[j])
                        or (moves_up[j] and seen_up[j] >= n_up[j] - tol[j]))

        def reached(j: int, side: str) -> bool:
            if side == "lo":
                return bool(seen_lo[j] <= n_lo[j] + tol[j])
            return bool(seen_up[j] >= n_up[j] - tol[j])

        local = _Umgebung(model) if (
            not self.exakt and len(cells) > _LOCAL_FROM) else None
        for j in range(len(cells)):
            for side in ("lo", "up"):
                done = done_lo if side == "lo" else done_up
                if done[j]:
                    continue
                if not self.exakt and not prim[j] and secondary_reached(j):
                    break
                if not self.exakt and reached(j, side):
                    # a feasible point found for another side already reaches this one
                    done[j] = True
                    continue
                sign = 1.0 if side == "lo" else -1.0
                if local is not None:
                    # local LPs first: each solution is a feasible point of the whole
                    # component, so reaching the target there settles the side
                    for radius in _LOCAL_RADII:
                        x = local.reach(j, sign, radius, self.values[cells])
                        result.lp_anzahl += 1
                        if x is None:
                            continue
                        seen_lo, seen_up = np.minimum(seen_lo, x), np.maximum(seen_up, x)
                        if reached(j, side):
                            break
                    if reached(j, side):
                        done[j] = True
                        continue
                bound, x, dual = model.side(j, side)
                result.lp_anzahl += 1
                if x is not None:        # None: unbounded, nothing limits this side
                    seen_lo, seen_up = np.minimum(seen_lo, x), np.maximum(seen_up, x)
                    limiting = np.abs(dual) > 1e-9
                    result.duals[(int(cells[j]), side)] = (self.rels[limiting], dual[limiting])
                if side == "lo":
                    seen_lo[j], ex_lo[j] = bound, True
                else:
                    seen_up[j], ex_up[j] = bound, True
                done[j] = True
        # a side not known exactly shows a value the attacker can reach (the bound lies
        # beyond it): enough for the verdict of a side wide enough
        seen_lo = np.where(miss_lo & ~ex_lo, outer_lo, seen_lo)
        seen_up = np.where(miss_up & ~ex_up, outer_up, seen_up)
        result.unten[cells] = seen_lo
        result.oben[cells] = seen_up
        result.exakt_unten[cells] = ex_lo
        result.exakt_oben[cells] = ex_up
        if self.cache is not None:
            own = {(c, side): result.duals[(c, side)] for c in cells.tolist()
                   for side in ("lo", "up") if (c, side) in result.duals}
            self.cache[key] = (seen_lo.copy(), seen_up.copy(), ex_lo.copy(), ex_up.copy(), own)


class _Modell:
    """A HiGHS model of one component: the suppressed cells as columns within the
    attacker's bounds, the relations as equality rows."""

    def __init__(self, matrix: sparse.csc_array, rels: np.ndarray, lb: np.ndarray,
                 ub: np.ndarray, rhs: np.ndarray):
        import highspy

        matrix.sort_indices()
        self.matrix, self.lb, self.rhs = matrix, lb.astype(float), rhs.astype(float)
        self.rels = rels
        self.highs = _highs()
        # after a change of the objective the last basis stays primal feasible: primal
        # simplex goes on from there
        self.highs.setOptionValue("simplex_strategy", 4)
        self.ub = ub.astype(float)
        self.n = matrix.shape[1]
        self.highs.passModel(_highs_lp(matrix, np.zeros(self.n), self.lb, self.ub, self.rhs))
        self._cost = np.zeros(self.n)
        # caps for the witness searches, so that every LP has an optimum (a solution of the
        # capped system is feasible for the real one)
        cap = 2.0 * (np.abs(lb[np.isfinite(lb)]).sum() + np.abs(rhs).sum()) + 1e6
        self.capped = np.minimum(self.ub, cap)
        self._capped_now = False
        self._status = highspy.HighsModelStatus

    @classmethod
    def of_rows(cls, s: Tabellensystem, cells, rels, rows, lb, ub, rhs) -> "_Modell":
        """The model of the unknowns `cells` in the relations `rels` (membership `rows`)."""
        col = np.full(s.n, -1, dtype=np.int64)
        col[cells] = np.arange(len(cells))
        row = np.full(s.nrel, -1, dtype=np.int64)
        row[rels] = np.arange(len(rels))
        matrix = sparse.csc_array((s.m_coef[rows], (row[s.m_rel[rows]], col[s.m_cell[rows]])),
                                  shape=(len(rels), len(cells)))
        return cls(matrix, rels, lb, ub, rhs)

    def _set_caps(self, capped: bool) -> None:
        if capped != self._capped_now:
            idx = np.arange(self.n, dtype=np.int32)
            lower = self.highs.getLp().col_lower_
            self.highs.changeColsBounds(self.n, idx, np.asarray(lower, dtype=float),
                                        self.capped if capped else self.ub)
            self._capped_now = capped

    def _run(self, objective: np.ndarray):
        # only the costs that differ from the last objective are passed (the same model:
        # the same warm start, the same optimum; a full vector per LP cost O(columns))
        objective = np.asarray(objective, dtype=float)
        changed = np.flatnonzero(objective != self._cost).astype(np.int32)
        if len(changed):
            self.highs.changeColsCost(len(changed), changed, objective[changed])
            self._cost = objective.copy()
        self.highs.run()
        return self.highs.getModelStatus()

    def optimum(self, objective: np.ndarray, capped: bool = False):
        self._set_caps(capped)
        status = self._run(objective)
        if status != self._status.kOptimal:
            return None
        return np.asarray(self.highs.getSolution().col_value, dtype=float)

    @classmethod
    def of_component(cls, s: Tabellensystem, rows: np.ndarray, labels: np.ndarray,
                     label: int, cell: int, lb: np.ndarray, ub: np.ndarray,
                     rhs: np.ndarray) -> tuple[np.ndarray, "_Modell"]:
        """(cells, model) of the component `label` (membership `rows` of its unknowns),
        with `cell` among its columns."""
        comp_rows = rows[labels[s.m_cell[rows]] == label]
        cells = np.unique(np.r_[s.m_cell[comp_rows], cell])
        rels = np.unique(s.m_rel[comp_rows])
        return cells, cls.of_rows(s, cells, rels, comp_rows, lb[cells], ub[cells], rhs[rels])

    def side(self, j: int, side: str):
        """(bound, x, row duals) of one side ('lo' / 'up') of column j; bound ∓inf and x
        None where nothing limits it."""
        sign = 1.0 if side == "lo" else -1.0
        objective = np.zeros(self.n)
        objective[j] = sign
        x, dual = self.solve(objective)
        return (-sign * np.inf if x is None else float(x[j])), x, dual

    def solve(self, objective: np.ndarray, retry: bool = True):
        """(x, row duals) of the optimum; (None, None) if unbounded."""
        self._set_caps(False)
        status = self._run(objective)
        if status == self._status.kOptimal:
            solution = self.highs.getSolution()
            return (np.asarray(solution.col_value, dtype=float),
                    np.asarray(solution.row_dual, dtype=float))
        if status in (self._status.kUnbounded, self._status.kUnboundedOrInfeasible):
            return None, None
        if not retry:
            raise GeheimhaltungError(
                f"audit LP failed: {self.highs.modelStatusToString(status)}")
        # the true values are feasible: a wrong status is numerical trouble of the warm
        # start (large sums of money); once more from scratch with the dual simplex
        self.highs.clearSolver()
        self.highs.setOptionValue("simplex_strategy", 1)
        try:
            return self.solve(objective, retry=False)
        finally:
            self.highs.setOptionValue("simplex_strategy", 4)


class _Regionen:
    """Restricted LPs over the regions of a large component.

    Relations through the county (the municipalities adding up to the county value, the
    Planungsräume to the county) join the suppressed cells of hundreds of municipalities
    into one component, though most cells move only with cells near them. A region is a
    part of the component of at most `_REGION_CELLS` cells, grown breadth first through
    small relations before large ones (`_chunks`). Its LP frees the region's cells and
    fixes every other cell of the component at its true value, keeping every relation
    (those through the county too, with the fixed cells on the right-hand side): every
    solution, completed with the true values, is a point of the attacker's feasible set,
    so a side that reaches its target there is settled. A side that does not is tried
    with a partner region (one sharing the most relations), then left to the LP of the
    whole component. One warm-started model per region: its size, and so the cost of its
    LPs, does not grow with the number of regions."""

    def __init__(self, s: Tabellensystem, cells: np.ndarray, rels: np.ndarray,
                 rows: np.ndarray, lb: np.ndarray, ub: np.ndarray, rhs: np.ndarray,
                 values: np.ndarray):
        col = np.full(s.n, -1, dtype=np.int64)
        col[cells] = np.arange(len(cells))
        row = np.full(s.nrel, -1, dtype=np.int64)
        row[rels] = np.arange(len(rels))
        self.matrix = sparse.csr_array(
            (s.m_coef[rows], (row[s.m_rel[rows]], col[s.m_cell[rows]])),
            shape=(len(rels), len(cells)))
        self.csc = self.matrix.tocsc()
        self.rels, self.lb, self.ub, self.rhs, self.values = rels, lb, ub, rhs, values
        self.label = self._chunks(_REGION_CELLS)
        # regions that share relations: a cell pinned within its own region (a
        # municipality against the county value) may move with a partner region
        n_cols = self.matrix.shape[1]
        n_regions = int(self.label.max()) + 1
        incidence = sparse.csr_array((self.matrix != 0).astype(float)) @ sparse.csr_array(
            (np.ones(n_cols), (np.arange(n_cols), self.label)), shape=(n_cols, n_regions))
        incidence = sparse.csc_array((incidence > 0).astype(float))
        self.shared = (incidence.T @ incidence).tocsr()

    def _chunks(self, size: int) -> np.ndarray:
        """A region per cell: cells taken breadth first from the lowest unassigned one,
        through small relations before large ones (a hub relation such as the county
        total is followed last), until a region holds `size` cells."""
        a, a_csc = self.matrix, self.csc
        members = np.diff(a.indptr)
        label = np.full(a.shape[1], -1, dtype=np.int64)
        current = 0
        for start in range(a.shape[1]):
            if label[start] >= 0:
                continue
            heap, taken, seen_rows, seq = [(0, 0, start)], 0, set(), 1
            while heap and taken < size:
                _, _, c = heapq.heappop(heap)
                if label[c] >= 0:
                    continue
                label[c] = current
                taken += 1
                for r in a_csc.indices[a_csc.indptr[c]:a_csc.indptr[c + 1]].tolist():
                    if r in seen_rows:
                        continue
                    seen_rows.add(r)
                    for other in a.indices[a.indptr[r]:a.indptr[r + 1]].tolist():
                        if label[other] < 0:
                            heapq.heappush(heap, (int(members[r]), seq, other))
                            seq += 1
            current += 1
        return label

    def parts(self) -> list[np.ndarray]:
        """The regions (column positions), if there is more than one."""
        order = np.argsort(self.label, kind="stable")
        bounds = np.flatnonzero(np.r_[True, np.diff(self.label[order]) != 0, True])
        if len(bounds) <= 2:
            return []
        return [order[a:b] for a, b in zip(bounds[:-1].tolist(), bounds[1:].tolist(),
                                           strict=True)]

    def with_partner(self, free: np.ndarray) -> np.ndarray | None:
        """The region of `free` with the region sharing the most relations with it
        (the lowest label among equals); None if it shares none."""
        label = int(self.label[free[0]])
        start, end = self.shared.indptr[label], self.shared.indptr[label + 1]
        others, counts = self.shared.indices[start:end], self.shared.data[start:end]
        mask = others != label
        if not mask.any():
            return None
        others, counts = others[mask], counts[mask]
        partner = int(others[np.lexsort((others, -counts))[0]])
        return np.sort(np.r_[free, np.flatnonzero(self.label == partner)])

    def restricted(self, free: np.ndarray) -> tuple[np.ndarray, "_Modell"]:
        """(relation rows, model) of the region `free` (column positions, sorted): its
        cells free, every other cell of the component fixed at its true value, every
        relation touching the region kept. Its solutions, completed with the true values,
        are points of the attacker's feasible set."""
        rows = np.unique(self.csc.indices[np.concatenate(
            [np.arange(self.csc.indptr[c], self.csc.indptr[c + 1]) for c in free])])
        outside = self.values.astype(float).copy()
        outside[free] = 0.0
        part = self.matrix[rows]
        rhs = self.rhs[rows] - part @ outside
        return rows, _Modell(part[:, free].tocsc(), self.rels[rows], self.lb[free],
                             self.ub[free], rhs)

    def settle(self, free, open_lo, open_up, prim, n_lo, n_up, moves_lo, moves_up,
               seen_lo, seen_up, tol, result, outer: bool = False):
        """Feasible points from the region's LPs for its open sides: (seen_lo, seen_up)
        widened by them, and the sides shown to fail, (j, side, bound, relations, duals).

        `outer`: every open side first gets an LP of the region's relaxation (`_Huelle`),
        whose bound lies beyond the exact one: a side it cannot reach fails for certain,
        and its duals name the relations that limit the side (for `protect`)."""
        fails: list = []
        if not (open_lo[free].any() or open_up[free].any()):
            return seen_lo, seen_up, fails
        rows, model = self.restricted(free)

        def widen(x_free: np.ndarray) -> None:
            nonlocal seen_lo, seen_up
            x = self.values.astype(float).copy()
            x[free] = x_free
            seen_lo, seen_up = np.minimum(seen_lo, x), np.maximum(seen_up, x)

        def reached(j: int, side: str) -> bool:
            if side == "lo":
                return bool(seen_lo[j] <= n_lo[j] + tol[j])
            return bool(seen_up[j] >= n_up[j] - tol[j])

        # feasible points pushing every open side of the region at once
        lo_open, up_open = open_lo[free].copy(), open_up[free].copy()
        for _ in range(_WITNESS_ROUNDS):
            x = model.optimum(lo_open.astype(float) - up_open.astype(float), capped=True)
            result.lp_anzahl += 1
            if x is None:
                break
            widen(x)
            still_lo = lo_open & (seen_lo[free] > n_lo[free] + tol[free])
            still_up = up_open & (seen_up[free] < n_up[free] - tol[free])
            if int(still_lo.sum() + still_up.sum()) >= int(lo_open.sum() + up_open.sum()):
                break
            lo_open, up_open = still_lo, still_up
            if not (lo_open.any() or up_open.any()):
                break
        hull = _Huelle(self, free, rows) if outer else None
        # an LP of its own for every side still open (the region's bound)
        for k, j in enumerate(free.tolist()):
            for side, is_open in (("lo", open_lo[j]), ("up", open_up[j])):
                if not is_open or reached(j, side):
                    continue
                if not prim[j] and ((moves_lo[j] and reached(j, "lo"))
                                    or (moves_up[j] and reached(j, "up"))):
                    break
                if hull is not None:
                    bound, rels, duals = hull.side(j, side)
                    target = n_lo[j] if side == "lo" else n_up[j]
                    if (side == "lo" and bound > target + tol[j]) or \
                            (side == "up" and bound < target - tol[j]):
                        fails.append((j, side, bound, rels, duals))
                        result.lp_anzahl += 1
                        continue
                _, x, _ = model.side(k, side)
                result.lp_anzahl += 1
                if x is not None:
                    widen(x)
                elif side == "up":      # unbounded within the region: so in the component
                    seen_up = seen_up.copy()
                    seen_up[j] = np.inf
        return seen_lo, seen_up, fails


class _Huelle:
    """The relaxation of a region: its cells and every cell sharing a relation with them
    free within their bounds, only the relations that touch the region kept. Every point
    of the attacker's feasible set satisfies these relations, so the bound of a side here
    lies beyond the exact one (a lower bound no higher, an upper bound no lower): a side
    that misses its target here misses it in the whole component."""

    def __init__(self, regions: "_Regionen", free: np.ndarray, rows: np.ndarray):
        part = regions.matrix[rows]
        self.cols = np.unique(part.indices)
        self.model = _Modell(part[:, self.cols].tocsc(), regions.rels[rows],
                             regions.lb[self.cols], regions.ub[self.cols], regions.rhs[rows])

    def side(self, j: int, side: str) -> tuple[float, np.ndarray, np.ndarray]:
        """(bound, limiting relations, their duals) of one side of column j."""
        bound, x, dual = self.model.side(int(np.searchsorted(self.cols, j)), side)
        if x is None:
            return bound, np.array([], dtype=np.int64), np.array([])
        limiting = np.abs(dual) > 1e-9
        return bound, self.model.rels[limiting], dual[limiting]


class _Umgebung:
    """Local LPs around one cell of a component: the cells within `radius` steps (cell ->
    relation -> cell) are free, every other cell is fixed at its true value. Every
    solution, completed with the true values, satisfies all relations and bounds of the
    component: a subset of the attacker's feasible set. Reaching a target there reaches
    it in the whole component; failing there proves nothing (the full LP decides)."""

    def __init__(self, model: "_Modell"):
        import highspy

        self.a = model.matrix.tocsr()
        self.a_csc = model.matrix
        self.lb, self.ub, self.rhs = model.lb, model.ub, model.rhs
        self.highspy = highspy

    def _cells(self, j: int, radius: int) -> np.ndarray:
        cells = np.array([j])
        for _ in range(radius):
            rows = np.unique(self.a_csc.indices[np.concatenate(
                [np.arange(self.a_csc.indptr[c], self.a_csc.indptr[c + 1]) for c in cells])])
            cells = np.unique(np.concatenate(
                [cells, *(self.a.indices[self.a.indptr[r]:self.a.indptr[r + 1]] for r in rows)]))
        return cells

    def reach(self, j: int, sign: float, radius: int, values: np.ndarray) -> np.ndarray | None:
        """A feasible point of the component minimising sign * x_j with only the cells near
        j free; None if that LP has no optimum."""
        free = self._cells(j, radius)
        mask = np.zeros(self.a.shape[1], dtype=bool)
        mask[free] = True
        rows = np.unique(self.a_csc.indices[np.concatenate(
            [np.arange(self.a_csc.indptr[c], self.a_csc.indptr[c + 1]) for c in free])])
        sub = self.a[rows][:, free].tocsc()
        fixed = self.a[rows][:, ~mask] @ values[~mask]
        rhs = self.rhs[rows] - fixed
        h = _highs()
        cost = np.zeros(len(free))
        cost[np.searchsorted(free, j)] = sign
        h.passModel(_highs_lp(sub, cost, self.lb[free], self.ub[free], rhs))
        h.run()
        if h.getModelStatus() != self.highspy.HighsModelStatus.kOptimal:
            return None
        x = values.astype(float).copy()
        x[free] = np.asarray(h.getSolution().col_value, dtype=float)
        return x


# ---------------------------------------------------------------------------------------
# audit of a publication
# ---------------------------------------------------------------------------------------
@dataclass
class AuditResult:
    """Outcome of the audit over all suppressed cells."""

    geprueft: int             # suppressed cells judged
    fehlerhaft: int           # of which not protected
    engste_breite: float      # narrowest interval width (oben - unten); inf: none judged
    # one row per judged cell: cell_id, sperrart, wahr, unten, oben, bedarf_unten,
    # bedarf_oben, exakt, geschuetzt
    intervalle: pd.DataFrame
    lp_anzahl: int = 0
    exakt: bool = True

    @property
    def ok(self) -> bool:
        return self.fehlerhaft == 0

    @property
    def fehler(self) -> pd.DataFrame:
        return self.intervalle[~self.intervalle["geschuetzt"]].reset_index(drop=True)


def audit(published_cells: pd.DataFrame, relations: pd.DataFrame, config: GeheimhaltungConfig,
          *, true_values: pd.Series | None = None, exakt: bool = True,
          cache: MutableMapping | None = None) -> AuditResult:
    """Play the attacker against a publication.

    `published_cells`: `cell_id`, `wert_art`, `status` (`gesperrt`: unknown to the
    attacker; `verborgen`: an auxiliary unknown; anything else: published), `zaehler`,
    `nenner` ('anteil'), optional `untergrenze` / `obergrenze`, `sensibel`, `fest`,
    `ebene` (which cells the rules allow to suppress: they set the floors, see `bedarf`)
    and `sperrart` ('primaer' / 'sekundaer', private: which requirement applies; default
    'primaer', the stricter). The `zaehler` of a suppressed cell is its true value (pass
    `protect`'s result), or give the true values as `true_values` (a Series indexed by
    `cell_id`).

    `cache`: a mapping the caller keeps across runs, block key -> verdict table of the
    block (a Berichtsjahr): a year whose cells, values, relations, pattern and rules did
    not change is not attacked again.
    """
    if "status" not in published_cells.columns:
        raise GeheimhaltungError("published_cells: column 'status' missing")
    cells = published_cells.reset_index(drop=True)
    system = build_system(cells, relations)
    status = cells["status"].astype(str).to_numpy()
    supp = (status == GESPERRT) | (status == VERBORGEN)
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
    cells = cells.assign(zaehler=values)
    if cache is None:
        table, lps = _audit_table(cells, relations, config, exakt)
    else:
        tables, lps = [], 0
        for _, idx, rel_rows in bloecke(cells, relations):
            block = cells.iloc[idx].reset_index(drop=True)
            block_rel = relations.iloc[rel_rows]
            key = "audit|" + str(exakt) + "|" + block_key(block, block_rel, config,
                                                          extra=("status", "sperrart"))
            if key not in cache:
                cache[key], count = _audit_table(block, block_rel, config, exakt)
                lps += count
            tables.append(cache[key])
        table = pd.concat(tables, ignore_index=True) if tables else _audit_table(
            cells, relations, config, exakt)[0]
    width = float((table["oben"] - table["unten"]).min()) if len(table) else np.inf
    return AuditResult(geprueft=len(table), fehlerhaft=int((~table["geschuetzt"]).sum()),
                       engste_breite=width, intervalle=table, lp_anzahl=lps, exakt=exakt)


def _audit_table(cells: pd.DataFrame, relations: pd.DataFrame, config: GeheimhaltungConfig,
                 exakt: bool) -> tuple[pd.DataFrame, int]:
    """The verdict table of a publication whose `zaehler` are the true values."""
    system = build_system(cells, relations)
    values = numeric(cells, "zaehler")
    status = cells["status"].astype(str).to_numpy()
    hidden = status == VERBORGEN
    supp = (status == GESPERRT) | hidden
    kind = (cells["sperrart"].astype(object).where(cells["sperrart"].notna(), PRIMAER)
            .astype(str).to_numpy() if "sperrart" in cells.columns
            else np.full(len(cells), PRIMAER, dtype=object))
    primary = supp & ~hidden & (kind != SEKUNDAER)
    system = with_relation_bounds(system)
    frei = sperrbar(cells, system, values) | supp
    need = bedarf(system, hidden, primary, values, config, frei=frei)
    result = pruefen(system, supp, hidden, primary, values, config, need=need, exakt=exakt,
                     regionen=True)
    req = result.anforderung
    idx = np.flatnonzero(req.geprueft)
    table = pd.DataFrame({
        "cell_id": system.cell_ids[idx],
        "sperrart": np.where(req.primaer[idx], PRIMAER, SEKUNDAER),
        "wahr": values[idx], "unten": result.unten[idx], "oben": result.oben[idx],
        "bedarf_unten": req.bedarf_unten[idx], "bedarf_oben": req.bedarf_oben[idx],
        "exakt": result.exakt_unten[idx] & result.exakt_oben[idx],
        "geschuetzt": result.geschuetzt[idx]})
    return table, result.lp_anzahl
