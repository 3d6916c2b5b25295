"""Disclosure control (Geheimhaltung), shared/spec/privacy-and-publishing.md.

A self-contained engine on cells (one row per value that would be published) and relations
(linear equations that hold on the true values and that an attacker knows: areas add up to
their municipality, municipalities to the county, parts of a breakdown to their row total,
identities between tables). Pure pandas/numpy plus scipy for the audit.

`protect(cells, relations, config)` returns every cell with `status` (`ok`, `gesperrt`,
`gesperrt_sekundaer`, and `verborgen` for auxiliary cells marked so: unknowns that are never
published and need no protection, such as the slack of an inequality) and `grund`, plus a
log with one row per suppressed cell:

1. Primary suppression, only for `sensibel` cells:
   - 'anzahl' and 'anteil': `zaehler` in 1..min_count-1 (`zaehler<3`); zero is published;
   - 'anteil': `0 < nenner < min_nenner` (`nenner<10`, also when `zaehler` is 0) and the
     complement `nenner - zaehler` in 1..min_count-1 (`komplement<3`);
   - 'geld': fewer than min_count contributing cases (`wenige_faelle`, 0 cases = a sum of
     0 is published) or the largest case above `dominanz_anteil` of the sum (`dominanz`);
     a money rate with a `nenner` (E08, per inhabitant) also gets the `nenner<10` rule.
2. Secondary suppression, repeated until stable: every relation with exactly one suppressed
   cell gets one more (`sekundaer:<relation_id>`): of its published cells, non-zero before
   zero, then parts (coefficient < 0) before the total, then the smallest |zaehler|, ties by
   `cell_id`. Cells marked `fest` are never chosen; cells whose a-priori bounds fix them (a
   share with `nenner` 0) are never chosen and do not count as suppressed, since they hide
   nothing. Non-sensitive cells can be chosen: a published municipality total next to one
   suppressed area would give the area away, whatever the total's own sensitivity.
3. Audit-driven completion: the audit (dagster_project/audit.py) computes the attacker's
   interval for every suppressed cell. Two suppressed cells that only hide each other are
   often not enough for ±2 (a 1 and a 1 that add up to a published 2 lie in [0, 2]), and
   several relations together can pin a cell that no single relation reveals. For every
   side of a cell whose interval misses its protection range, one more published cell of
   the relations that limit that side (`audit:<relation_id>`) is suppressed: preferably one
   whose own range can cover the missing width, then non-zero before zero, parts before
   totals, the smallest |zaehler|. Then secondary suppression and the audit run again,
   until the audit passes (at most `max_runden` rounds, else GeheimhaltungError).

The caller blanks `zaehler` and `wert` of suppressed cells (`veroeffentlicht`); the `nenner`
of a share stays published (so the attacker knows 0 <= zaehler <= nenner; the audit assumes
exactly that).
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import asdict, dataclass

import numpy as np
import pandas as pd

from dagster_project.audit import (
    GESPERRT,
    GESPERRT_SEKUNDAER,
    GESPERRT_STATUS,
    VERBORGEN,
    AuditResult,
    GeheimhaltungError,
    Intervalle,
    Tabellensystem,
    Urteil,
    attacker_intervals,
    audit,
    build_system,
    check_values,
    judge,
    numeric,
    schutzbedarf,
    tolerance,
    with_relation_bounds,
)

__all__ = [
    "GESPERRT", "GESPERRT_SEKUNDAER", "GESPERRT_STATUS", "OK", "AuditResult",
    "GeheimhaltungConfig", "GeheimhaltungError", "audit", "hierarchy_relations", "protect",
    "summen_relations", "veroeffentlicht",
]

OK = "ok"


@dataclass(frozen=True)
class GeheimhaltungConfig:
    """The rules' parameters (the defaults are the spec's); logged with every suppression."""

    min_count: int = 3
    min_nenner: int = 10
    dominanz_anteil: float = 0.85
    # protection range of counts and numerators of shares: ± around the true value
    schutzbereich: float = 2
    # protection range of money cells: ± this share of the true value, at least ..._min EUR
    schutzbereich_geld_anteil: float = 0.1
    schutzbereich_geld_min: float = 1.0
    max_runden: int = 100
    regelwerk_version: str = "1"

    def __post_init__(self):
        if self.min_count < 1 or self.min_nenner < 0 or not 0 < self.dominanz_anteil <= 1:
            raise ValueError("invalid thresholds")
        # a positive range: a cell that reaches it is never exactly recomputable
        if self.schutzbereich <= 0 or self.schutzbereich_geld_anteil < 0 \
                or self.schutzbereich_geld_min <= 0 or self.max_runden < 1:
            raise ValueError("schutzbereich and schutzbereich_geld_min must be positive")

    def to_json(self) -> str:
        return json.dumps(asdict(self), ensure_ascii=False, sort_keys=True)


# ---------------------------------------------------------------------------------------
# primary suppression
# ---------------------------------------------------------------------------------------
def primary_reasons(cells: pd.DataFrame, config: GeheimhaltungConfig) -> np.ndarray:
    """Per cell the comma-separated reasons for primary suppression ('' = none)."""
    art = cells["wert_art"].astype(str).to_numpy()
    sensibel = cells["sensibel"].fillna(False).astype(bool).to_numpy()
    z, nenner = numeric(cells, "zaehler"), numeric(cells, "nenner")
    n_cases, largest = numeric(cells, "n_beitraege"), numeric(cells, "max_beitrag")
    complement = nenner - z
    rules = [
        (f"zaehler<{config.min_count}",
         np.isin(art, ("anzahl", "anteil")) & (z >= 1) & (z <= config.min_count - 1)),
        (f"nenner<{config.min_nenner}",
         (art != "anzahl") & (nenner > 0) & (nenner < config.min_nenner)),
        (f"komplement<{config.min_count}",
         (art == "anteil") & (complement >= 1) & (complement <= config.min_count - 1)),
        ("wenige_faelle", (art == "geld") & (n_cases >= 1) & (n_cases < config.min_count)),
        ("dominanz", (art == "geld") & (z > 0) & (largest > config.dominanz_anteil * z)),
    ]
    reasons = np.full(len(cells), "", dtype=object)
    for name, hit in rules:
        hit = hit & sensibel
        reasons[hit] = np.where(reasons[hit] == "", name, reasons[hit] + "," + name)
    return reasons


def _validate_cells(cells: pd.DataFrame, system: Tabellensystem) -> np.ndarray:
    """The true `zaehler` of every cell, after checking what the rules need."""
    for column in ("tabelle", "sensibel", "zaehler"):
        if column not in cells.columns:
            raise GeheimhaltungError(f"cells: column {column!r} missing")
    values = numeric(cells, "zaehler")
    if np.isnan(values).any():
        bad = system.cell_ids[np.isnan(values)][:5].tolist()
        raise GeheimhaltungError(
            f"Zellen ohne zaehler (für die Geheimhaltung wird der wahre Wert gebraucht),"
            f" z. B. {bad}")
    check_values(system, values)
    geld = (system.wert_art == "geld") & cells["sensibel"].fillna(False).astype(bool).to_numpy()
    if (np.isnan(numeric(cells, "n_beitraege")) & geld).any() \
            or (np.isnan(numeric(cells, "max_beitrag")) & geld & (values > 0)).any():
        raise GeheimhaltungError("cells: sensitive 'geld' cells need n_beitraege and max_beitrag")
    return values


# ---------------------------------------------------------------------------------------
# secondary suppression
# ---------------------------------------------------------------------------------------
@dataclass
class _Order:
    """Per cell: whether its bounds fix it (then it hides nothing and needs no partner),
    whether it may be chosen, and the parts of the choice order that do not depend on the
    relation (non-zero first, then small |zaehler|, then cell_id)."""

    fixed: np.ndarray
    eligible: np.ndarray
    verborgen: np.ndarray
    zero: np.ndarray
    size: np.ndarray
    rank: np.ndarray


def _first(pairs: pd.DataFrame, group: list[str], order: _Order) -> pd.DataFrame:
    """Per group the first candidate `z` in the choice order (`short`: its range cannot
    cover what is missing; `total`: it is the total of the relation)."""
    z = pairs["z"].to_numpy(np.int64)
    pairs = pairs.assign(zero=order.zero[z], size=order.size[z], rank=order.rank[z])
    pairs = pairs.sort_values([*group, "short", "zero", "total", "size", "rank", "rel"],
                              kind="stable")
    return pairs.drop_duplicates(group)


def _first_or_more(pairs: pd.DataFrame, group: list[str], order: _Order,
                   extra: int = 2) -> pd.DataFrame:
    """Like `_first`; where even the first candidate is `short` (no single cell covers what
    is missing), the next `extra` candidates of the group too, so that nested limits (a
    cell held by an inequality, a zero next to zeros) need fewer rounds."""
    z = pairs["z"].to_numpy(np.int64)
    pairs = pairs.assign(zero=order.zero[z], size=order.size[z], rank=order.rank[z])
    pairs = pairs.sort_values([*group, "short", "zero", "total", "size", "rank", "rel"],
                              kind="stable").drop_duplicates([*group, "z"])
    position = pairs.groupby(group, sort=False).cumcount()
    first_short = pairs.groupby(group, sort=False)["short"].transform("first")
    return pairs[(position == 0) | (first_short & (position <= extra))]


def _suppress(new: np.ndarray, rel: np.ndarray, prefix: str, system: Tabellensystem,
              supp: np.ndarray, reason: np.ndarray, status: np.ndarray) -> int:
    """Suppress cells `new` (secondarily), naming the relation that asked for each."""
    new, where = np.unique(new, return_index=True)
    supp[new] = True
    status[new] = GESPERRT_SEKUNDAER
    reason[new] = prefix + system.rel_ids[rel[where]].astype(str)
    return len(new)


def _secondary(system: Tabellensystem, supp: np.ndarray, order: _Order, reason: np.ndarray,
               status: np.ndarray) -> int:
    """Suppress until no relation has exactly one suppressed cell; returns cells added."""
    s = system
    size = np.bincount(s.m_rel, minlength=s.nrel)
    # relations with a hidden cell (inequalities written with a slack) are left to the audit
    with_hidden = np.bincount(s.m_rel, weights=order.verborgen[s.m_cell], minlength=s.nrel) > 0
    added = 0
    while True:
        m_supp = supp[s.m_cell]
        count = np.bincount(s.m_rel, weights=m_supp & ~order.fixed[s.m_cell], minlength=s.nrel)
        active = (count == 1) & (size >= 2) & ~with_hidden
        if not active.any():
            return added
        rows = np.flatnonzero(active[s.m_rel] & ~m_supp & order.eligible[s.m_cell])
        rel, cell = s.m_rel[rows], s.m_cell[rows]
        stuck = active.copy()
        stuck[rel] = False
        if stuck.any():
            raise GeheimhaltungError(
                f"Relationen mit genau einer gesperrten Zelle und keiner weiteren sperrbaren"
                f" Zelle (alle `fest` oder durch ihre Grenzen bekannt), z. B."
                f" {s.rel_ids[stuck][:5].tolist()}")
        first = np.lexsort((order.rank[cell], order.size[cell], s.m_coef[rows] > 0,
                            order.zero[cell], rel))
        _, at = np.unique(rel[first], return_index=True)
        pick = first[at]
        added += _suppress(cell[pick], rel[pick], "sekundaer:", s, supp, reason, status)


def _nearest_candidates(s: Tabellensystem, start: np.ndarray, supp: np.ndarray,
                        eligible: np.ndarray, max_steps: int = 6) -> pd.DataFrame:
    """Per start cell, the published eligible cells of the relations nearest to it when
    walking over relations through suppressed cells (`z`, `rel`)."""
    by_cell = np.argsort(s.m_cell, kind="stable")
    cell_start = np.searchsorted(s.m_cell[by_cell], np.arange(s.n + 1))
    by_rel_start = np.searchsorted(s.m_rel, np.arange(s.nrel + 1))   # m_rel is sorted
    found = []
    for f in start.tolist():
        frontier, seen_cells, seen_rels = {f}, {f}, set()
        for _ in range(max_steps):
            rels = {int(s.m_rel[by_cell[k]]) for c in frontier
                    for k in range(cell_start[c], cell_start[c + 1])} - seen_rels
            if not rels:
                break
            seen_rels |= rels
            hits, nxt = [], set()
            for r in rels:
                for k in range(by_rel_start[r], by_rel_start[r + 1]):
                    c = int(s.m_cell[k])
                    if not supp[c] and eligible[c]:
                        hits.append((c, r))
                    elif supp[c] and c not in seen_cells:
                        nxt.add(c)
            if hits:
                found += hits
                break
            seen_cells |= nxt
            frontier = nxt
    return pd.DataFrame(found, columns=["z", "rel"]).drop_duplicates("z")


def _complete(system: Tabellensystem, intervals: Intervalle, verdict: Urteil,
              values: np.ndarray, supp: np.ndarray, order: _Order, reason: np.ndarray,
              status: np.ndarray, stalled: bool = False) -> int:
    """For every failing side of a suppressed cell, suppress one more published cell.

    The relations that limit the side and their duals y (from the LP; ±1/koeff for a
    component of one relation) tell how a newly suppressed cell z moves the bound: freeing z
    by Δz moves the LP optimum by -g·Δz, g = Σ y·koeff of z. A candidate whose room (down to
    its lower or up to its upper bound) covers the missing width is preferred. A cell without
    any such candidate takes any published cell of its component's relations. Returns the
    number of cells added.
    """
    s = system
    failing = np.flatnonzero(~verdict.geschuetzt)
    tol = tolerance(values)
    entries = []    # (f, side, missing, rel, dual)
    for f in failing.tolist():
        for side, missing in (("lo", verdict.fehlt_unten[f]), ("up", verdict.fehlt_oben[f])):
            if missing > tol[f]:
                rels, duals = intervals.binding(f, side)
                entries += [(f, side, missing, r, d)
                            for r, d in zip(rels.tolist(), duals.tolist(), strict=True)]
    rows = np.flatnonzero(~supp[s.m_cell] & order.eligible[s.m_cell])
    candidates = pd.DataFrame({"rel": s.m_rel[rows], "z": s.m_cell[rows],
                               "koeff": s.m_coef[rows]})
    binding = pd.DataFrame(entries, columns=["f", "side", "missing", "rel", "dual"]).astype(
        {"f": np.int64, "missing": float, "rel": np.int64, "dual": float})
    pairs = binding.merge(candidates, on="rel")
    pairs["g"] = pairs["dual"] * pairs["koeff"]
    per = (pairs.groupby(["f", "side", "z"], sort=False)
           .agg(g=("g", "sum"), missing=("missing", "first"), rel=("rel", "min"),
                koeff=("koeff", "max"))
           .reset_index())
    per = per[per["g"].abs() > 1e-9]
    z = per["z"].to_numpy(np.int64)
    delta = per["missing"].to_numpy(float) / per["g"].to_numpy(float)
    room = np.where(delta > 0, s.ub[z] - values[z], values[z] - s.lb[z])
    per = per.assign(short=room < np.abs(delta) - tol[z], total=per["koeff"] > 0)
    chosen = [_first_or_more(per, ["f", "side"], order)]
    # failing cells without a candidate (the limiting relations hold only suppressed cells,
    # or the duals are degenerate): the published cells nearest to the cell, walking from
    # it over relations through suppressed cells, all of them
    rest = np.setdiff1d(failing, per["f"].to_numpy(np.int64))
    if stalled:
        # a stubborn tail: the duals point at relations without a helpful candidate
        rest = failing
    if len(rest):
        nearest = (_nearest_candidates(s, rest, supp, order.eligible) if stalled
                   else pd.DataFrame(columns=["z", "rel"]))
        if len(nearest):
            chosen.append(nearest)
        else:
            comp = pd.DataFrame({"f": rest, "label": intervals.labels[rest]})
            fallback = candidates.assign(
                label=intervals.labels[s.n + candidates["rel"]]).merge(comp, on="label")
            chosen.append(_first(fallback.assign(short=False, total=fallback["koeff"] > 0),
                                 ["f"], order))
    chosen = pd.concat(chosen, ignore_index=True).sort_values(["z", "rel"])
    return _suppress(chosen["z"].to_numpy(np.int64), chosen["rel"].to_numpy(np.int64),
                     "audit:", s, supp, reason, status)


# ---------------------------------------------------------------------------------------
# protect
# ---------------------------------------------------------------------------------------
def protect(cells: pd.DataFrame, relations: pd.DataFrame,
            config: GeheimhaltungConfig | None = None, *, stats: dict | None = None
            ) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Primary, secondary and audit-driven suppression; returns (result, log).

    `cells`: `cell_id` (unique), `tabelle`, `wert_art` ('anzahl', 'anteil', 'geld'),
    `sensibel`, `zaehler` (true value), `nenner` ('anteil'; money rates may carry one too),
    `n_beitraege`, `max_beitrag` (sensitive 'geld'); optional `fest` (never suppress, e.g. a
    value published unprotected elsewhere), `verborgen` (an auxiliary unknown, never
    published, never checked; relations holding one are left to the audit, not to the
    one-suppressed-cell rule) and `untergrenze` / `obergrenze` (a-priori bounds, see
    audit.build_system). `relations`: `relation_id`, `cell_id`, `koeffizient`,
    one row per cell of an equation `sum(koeffizient * zaehler) = 0` that holds on the true
    values (see `hierarchy_relations`, `summen_relations`).

    `result`: `cells` (index reset) plus `status` and `grund` (NULL for `ok`). `log`: one row
    per suppressed cell with `cell_id`, `tabelle`, `status`, `grund`, `regelwerk_version`,
    `config` (JSON). `stats`, if given, receives counts, rounds and the number of LPs.
    """
    config = config or GeheimhaltungConfig()
    cells = cells.reset_index(drop=True)
    system = build_system(cells, relations)
    values = _validate_cells(cells, system)
    system = with_relation_bounds(system)

    reason = primary_reasons(cells, config)
    verborgen = (cells["verborgen"].fillna(False).astype(bool).to_numpy()
                 if "verborgen" in cells.columns else np.zeros(len(cells), dtype=bool))
    reason[verborgen] = ""
    supp = (reason != "") | verborgen
    status = np.where(verborgen, VERBORGEN, np.where(supp, GESPERRT, OK)).astype(object)
    fest = (cells["fest"].fillna(False).astype(bool).to_numpy() if "fest" in cells.columns
            else np.zeros(len(cells), dtype=bool))
    if (fest & supp).any():
        raise GeheimhaltungError("Zellen mit `fest` verletzen eine Regel der Primärsperrung:"
                                 f" {system.cell_ids[fest & supp][:5].tolist()}")
    rank = np.empty(len(cells), dtype=np.int64)
    rank[np.argsort(system.cell_ids, kind="stable")] = np.arange(len(cells))
    fixed = system.ub - system.lb <= tolerance(values)
    order = _Order(fixed=fixed, eligible=~fest & ~fixed & ~verborgen, verborgen=verborgen,
                   zero=values == 0, size=np.abs(values),
                   rank=rank)
    need_lo, need_up = schutzbedarf(system, values, config)
    primary_count = int((supp & ~verborgen).sum())

    cache: dict = {}                             # per component, across rounds
    lp_count = 0
    history: list[tuple[int, int]] = []          # per round: suppressed, failing
    for _ in range(config.max_runden):
        _secondary(system, supp, order, reason, status)
        # sides wide enough are only shown to be so; the others get exact bounds and duals
        intervals = attacker_intervals(system, supp, values, need_lo, need_up, cache=cache)
        lp_count += intervals.lp_count
        verdict = judge(system, supp, values, intervals.lower, intervals.upper, need_lo,
                        need_up, status)
        failing = ~verdict.geschuetzt
        history.append((int(supp.sum()), int(failing.sum())))
        if not failing.any():
            break
        # a tail of cells that one more cell per round does not protect (held by nested
        # limits, degenerate duals): after two rounds without progress, the nearest
        # published cells of the failing ones
        stalled = len(history) > 2 and history[-1][1] >= history[-3][1]
        if _complete(system, intervals, verdict, values, supp, order, reason, status,
                     stalled) == 0:
            raise GeheimhaltungError(
                f"{int(failing.sum())} gesperrte Zellen lassen sich nicht schützen (keine"
                f" weitere sperrbare Zelle in ihren Relationen), z. B."
                f" {system.cell_ids[failing][:5].tolist()}")
    else:
        raise GeheimhaltungError(f"Prüfung nach {config.max_runden} Runden nicht bestanden"
                                 f" (gesperrt, fehlerhaft je Runde: {history[-5:]}), z. B."
                                 f" {system.cell_ids[failing][:5].tolist()}")
    if stats is not None:
        stats.update(zellen=len(cells), relationen=system.nrel, primaer=primary_count,
                     sekundaer=int((supp & ~verborgen).sum()) - primary_count,
                     runden=len(history),
                     lp_anzahl=lp_count, verlauf=history)

    result = cells.copy()
    result["status"] = status.astype(str)
    result["grund"] = np.where(supp & ~verborgen, reason, None)
    idx = np.flatnonzero(supp & ~verborgen)
    log = pd.DataFrame({
        "cell_id": system.cell_ids[idx],
        "tabelle": cells["tabelle"].to_numpy()[idx],
        "status": status[idx].astype(str),
        "grund": reason[idx].astype(str),
        "regelwerk_version": config.regelwerk_version,
        "config": config.to_json(),
    })
    return result, log


def veroeffentlicht(result: pd.DataFrame) -> pd.DataFrame:
    """What gets published: `zaehler` (and `wert`, if present) blanked for suppressed cells;
    the case counts of money cells and `grund` dropped (`zaehler<3` would tell that the
    value is 1 or 2). `nenner` stays published."""
    private = ("n_beitraege", "max_beitrag", "grund")
    out = result.drop(columns=[c for c in private if c in result.columns])
    hidden = out["status"].isin(GESPERRT_STATUS)
    for column in ("zaehler", "wert"):
        if column in out.columns:
            out[column] = out[column].astype(float).mask(hidden)
    return out


# ---------------------------------------------------------------------------------------
# relation builders for the standard tables
# ---------------------------------------------------------------------------------------
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
