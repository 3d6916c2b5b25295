"""Primary and secondary suppression (shared/spec/privacy-and-publishing.md; the rules and
their reasons in docs/datenschutz.md).

`protect(cells, relations, config)` returns every cell with `status` (`ok`, `gesperrt`, or
`verborgen` for auxiliary unknowns), the private `sperrart` (`primaer` / `sekundaer`) and
`grund`, plus the suppression log.

1. Primary suppression, only for `sensibel` cells with a value other than 0 (zero is
   always published): counts and numerators 1..min_count-1; numerators of rates whose
   `nenner` is below `min_nenner` or whose complement `nenner - zaehler` is
   1..min_count-1 (shares, 'anteil'); money with fewer than `min_count` contributing
   cases or one case above `dominanz_anteil` of the sum.
2. Secondary suppression by cost: every relation with exactly one suppressed cell gets
   another one. Never chosen: a `kreis` value, a non-sensitive or `fest` value, a zero,
   a value its bounds fix. Preferred, in this order: not a `kommune` value (one is chosen
   only where nothing else protects); a cell whose room covers what the suppressed cell
   needs; a cell that closes several such relations at once; a cell in an area that
   already has a suppressed cell in this Berichtsjahr, or that was suppressed in the
   previous Berichtsjahr (`reihe`); an `ohne Zuordnung` cell (`ebene` 'oz'); the
   smallest value.
3. Audit-driven completion: the attacker audit (audit.pruefen) judges every suppressed
   cell; for every failing side one more published cell of the relations that limit it
   (the LP's duals tell which) is suppressed, by the same cost. Repeat until it passes.
4. Pruning: every secondary cell of a small component is published again where the
   pattern stays protected without it (`_prune`).

Berichtsjahre are independent (no relation links two years): each year is a block of its
own, protected in ascending order (so that a year can reuse the previous year's pattern),
and cached by a hash of everything that decides its pattern (cells, values, relations,
rules, engine version). A year whose inputs did not change keeps its pattern.
"""

import heapq
from collections.abc import MutableMapping
from dataclasses import dataclass

import numpy as np
import pandas as pd

from dagster_project.lib.geheimhaltung.audit import (
    Bedarf,
    Pruefung,
    bedarf,
    pruefen,
    sperrbar,
    untergrenze_gesperrt,
)
from dagster_project.lib.geheimhaltung.config import (
    GESPERRT,
    OK,
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
    tolerance,
    with_relation_bounds,
)

_LEVEL = {"oz": 0, "raum": 1, "kommune": 2, "kreis": 3}


# ---------------------------------------------------------------------------------------
# primary suppression
# ---------------------------------------------------------------------------------------
def primary_reasons(cells: pd.DataFrame, config: GeheimhaltungConfig) -> np.ndarray:
    """Per cell the comma-separated reasons for primary suppression ('' = none)."""
    art = cells["wert_art"].astype(str).to_numpy()
    sensibel = flag(cells, "sensibel")
    z, nenner = numeric(cells, "zaehler"), numeric(cells, "nenner")
    n_cases, largest = numeric(cells, "n_beitraege"), numeric(cells, "max_beitrag")
    complement = nenner - z
    nonzero = z != 0
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
        hit = hit & sensibel & nonzero
        reasons[hit] = np.where(reasons[hit] == "", name, reasons[hit] + "," + name)
    return reasons


def _validate(cells: pd.DataFrame, system: Tabellensystem) -> np.ndarray:
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
    geld = (system.wert_art == "geld") & flag(cells, "sensibel")
    if (np.isnan(numeric(cells, "n_beitraege")) & geld).any() \
            or (np.isnan(numeric(cells, "max_beitrag")) & geld & (values > 0)).any():
        raise GeheimhaltungError("cells: sensitive 'geld' cells need n_beitraege and max_beitrag")
    return values


# ---------------------------------------------------------------------------------------
# the cost of a secondary cell
# ---------------------------------------------------------------------------------------
@dataclass
class _Kosten:
    eligible: np.ndarray      # may be suppressed secondarily
    fixed: np.ndarray         # its bounds fix it once suppressed: hides nothing
    hidden: np.ndarray
    level: np.ndarray         # 0 oz, 1 area, 2 kommune
    gebiet: np.ndarray        # area code (same area, same year)
    previous: np.ndarray      # suppressed in the previous Berichtsjahr
    size: np.ndarray
    rank: np.ndarray
    room_up: np.ndarray       # how far the cell can move once suppressed
    room_down: np.ndarray

    def keys(self, s: Tabellensystem, z: np.ndarray, supp: np.ndarray, short: np.ndarray):
        """Sort keys for np.lexsort, the most important last: not a `kommune` value; room
        enough; the fewest relations left with a single suppressed cell (a relation of z
        without any suppressed cell would need yet another one, one with a single
        suppressed cell is closed by z); an area already suppressed (this year or the
        previous one); `ohne Zuordnung`; the smallest value."""
        counted = supp & ~self.fixed
        count = np.bincount(s.m_rel, weights=counted[s.m_cell], minlength=s.nrel)
        size = np.bincount(s.m_rel, minlength=s.nrel)
        opens = ((count == 0) & (size >= 2))[s.m_rel].astype(float)
        closes = (count == 1)[s.m_rel].astype(float)
        net = np.bincount(s.m_cell, weights=opens - closes, minlength=s.n)
        area_used = np.bincount(self.gebiet[supp], minlength=self.gebiet.max() + 1) > 0
        reuse = self.previous[z] | area_used[self.gebiet[z]]
        return [self.rank[z], self.size[z], self.level[z] != 0, ~reuse, net[z], short,
                self.level[z] >= 2]


def _kosten(cells: pd.DataFrame, system: Tabellensystem, values: np.ndarray,
            previous: set) -> _Kosten:
    n = len(cells)
    hidden = flag(cells, "verborgen")
    ebene = (cells["ebene"].fillna("raum").astype(str) if "ebene" in cells.columns
             else pd.Series("raum", index=cells.index))
    level = ebene.map(_LEVEL).fillna(1).astype(int).to_numpy()
    lower = untergrenze_gesperrt(system, values, hidden)
    fixed = system.ub - lower <= tolerance(values)
    eligible = sperrbar(cells, system, values) & (level < 3)
    gebiet = (pd.factorize(cells["gebiet"].astype(str))[0] if "gebiet" in cells.columns
              else np.arange(n))
    prev = (cells["reihe"].astype(str).isin(previous).to_numpy()
            if "reihe" in cells.columns and previous else np.zeros(n, dtype=bool))
    rank = np.empty(n, dtype=np.int64)
    rank[np.argsort(system.cell_ids, kind="stable")] = np.arange(n)
    return _Kosten(eligible=eligible, fixed=fixed, hidden=hidden, level=level,
                   gebiet=np.asarray(gebiet, dtype=np.int64), previous=prev,
                   size=np.abs(values), rank=rank, room_up=system.ub - values,
                   room_down=values - lower)


def _suppress(new: np.ndarray, rel: np.ndarray, prefix: str, system: Tabellensystem,
              supp: np.ndarray, reason: np.ndarray) -> int:
    new, where = np.unique(new, return_index=True)
    new, where = new[~supp[new]], where[~supp[new]]
    supp[new] = True
    reason[new] = prefix + system.rel_ids[rel[where]].astype(str)
    return len(new)


def _secondary(s: Tabellensystem, supp: np.ndarray, primary: np.ndarray, values: np.ndarray,
               need_lo: np.ndarray, need_up: np.ndarray, cost: _Kosten,
               reason: np.ndarray) -> int:
    """Suppress until no relation has exactly one suppressed cell; returns cells added.

    One relation at a time, each choice seeing the ones before it: a cell that closes this
    relation and another one still open is preferred to one that opens a new one (see
    `_Kosten.keys`). Relations with a hidden cell (inequalities written with a slack) are
    left to the audit."""
    size = np.bincount(s.m_rel, minlength=s.nrel)
    with_hidden = np.bincount(s.m_rel, weights=cost.hidden[s.m_cell], minlength=s.nrel) > 0
    counted = supp & ~cost.fixed
    count = np.bincount(s.m_rel, weights=counted[s.m_cell], minlength=s.nrel).astype(np.int64)
    watch = (size >= 2) & ~with_hidden
    start = np.flatnonzero((count == 1) & watch)
    if not len(start):
        return 0
    rel_start = np.searchsorted(s.m_rel, np.arange(s.nrel + 1)).tolist()   # m_rel is sorted
    by_cell = np.argsort(s.m_cell, kind="stable")
    cell_start = np.searchsorted(s.m_cell[by_cell], np.arange(s.n + 1)).tolist()
    cell_rels = s.m_rel[by_cell].tolist()
    m_cell, m_coef = s.m_cell.tolist(), s.m_coef.tolist()
    count_l, watch_l = count.tolist(), watch.tolist()
    area = np.bincount(cost.gebiet[supp], minlength=cost.gebiet.max() + 1).tolist()

    def choices(r: int) -> int:
        return sum(1 for k in range(rel_start[r], rel_start[r + 1])
                   if not supp[m_cell[k]] and cost.eligible[m_cell[k]])

    # the most constrained relation first (fewest cells to choose from): its choice then
    # informs the choices of the wider relations
    queue = [(choices(r), r) for r in start.tolist()]
    heapq.heapify(queue)
    added = 0
    while queue:
        n_choices, r = heapq.heappop(queue)
        if count_l[r] != 1:
            continue
        now = choices(r)
        if now > n_choices:
            heapq.heappush(queue, (now, r))
            continue
        members = range(rel_start[r], rel_start[r + 1])
        x = next(m_cell[k] for k in members if counted[m_cell[k]])
        c_x = next(m_coef[k] for k in members if m_cell[k] == x)
        rows = [k for k in members if not supp[m_cell[k]] and cost.eligible[m_cell[k]]]
        if not rows:
            raise GeheimhaltungError(
                f"Relationen mit genau einer gesperrten Zelle und keiner weiteren sperrbaren"
                f" Zelle (alle fest, nicht sensibel, Kreiswerte, Nullen oder durch ihre"
                f" Grenzen bekannt), z. B. {[s.rel_ids[r]]}")
        up = need_up[x] - values[x] if primary[x] else 1.0
        down = values[x] - need_lo[x] if primary[x] else 1.0
        best, best_key = -1, None
        for k in rows:
            z = m_cell[k]
            ratio = -c_x / m_coef[k]                   # z moves by ratio * (move of x)
            ok_up = _room_one(cost, z, ratio * up)
            ok_down = _room_one(cost, z, -ratio * down)
            short = not (ok_up and ok_down) if primary[x] else not (ok_up or ok_down)
            net = 0
            for q in range(cell_start[z], cell_start[z + 1]):
                r2 = cell_rels[q]
                if watch_l[r2]:
                    net += (count_l[r2] == 0) - (count_l[r2] == 1)
            reuse = bool(cost.previous[z]) or area[cost.gebiet[z]] > 0
            key = (cost.level[z] >= 2, short, net, not reuse, cost.level[z] != 0,
                   cost.size[z], cost.rank[z])
            if best_key is None or key < best_key:
                best, best_key = z, key
        supp[best] = True
        counted[best] = True
        reason[best] = "sekundaer:" + str(s.rel_ids[r])
        area[cost.gebiet[best]] += 1
        added += 1
        for q in range(cell_start[best], cell_start[best + 1]):
            r2 = cell_rels[q]
            count_l[r2] += 1
            if count_l[r2] == 1 and watch_l[r2]:
                heapq.heappush(queue, (choices(r2), r2))
    return added


def _room_one(cost: _Kosten, z: int, move: float) -> bool:
    tol = 1e-6 * max(abs(move), 1.0)
    if move >= 0:
        return cost.room_up[z] >= move - tol
    return cost.room_down[z] >= -move - tol


def _room(cost: _Kosten, z: np.ndarray, move: np.ndarray) -> np.ndarray:
    """Whether cell z, once suppressed, can move by `move` (signed) within its bounds."""
    tol = 1e-6 * np.maximum(np.abs(move), 1.0)
    return np.where(move >= 0, cost.room_up[z] >= move - tol, cost.room_down[z] >= -move - tol)


def _nearest_candidates(s: Tabellensystem, start: np.ndarray, supp: np.ndarray,
                        eligible: np.ndarray, max_steps: int = 6) -> pd.DataFrame:
    """Per start cell `f`, the published eligible cells `z` of the relations `rel` nearest
    to it when walking over relations through suppressed cells."""
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
                        hits.append((f, c, r))
                    elif supp[c] and c not in seen_cells:
                        nxt.add(c)
            if hits:
                found += hits
                break
            seen_cells |= nxt
            frontier = nxt
    return pd.DataFrame(found, columns=["f", "z", "rel"]).drop_duplicates(["f", "z"])


def _complete(s: Tabellensystem, verdict: Pruefung, values: np.ndarray, supp: np.ndarray,
              cost: _Kosten, reason: np.ndarray, stalled: bool) -> int:
    """For every failing side of a suppressed cell, suppress one more published cell.

    The relations that limit the side and their duals y tell how a newly suppressed cell z
    moves the bound: freeing z by Δz moves the LP optimum by -g·Δz, g = Σ y·koeff of z.
    A candidate whose room covers the missing width is preferred, then the cost order."""
    failing = np.flatnonzero(~verdict.geschuetzt)
    tol = tolerance(values)
    entries = []    # (f, side, missing, rel, dual)
    for f in failing.tolist():
        for side, missing in (("lo", verdict.fehlt_unten[f]), ("up", verdict.fehlt_oben[f])):
            if missing > tol[f]:
                rels, duals = verdict.binding(s, f, side)
                entries += [(f, side, min(missing, 1e9), r, d)
                            for r, d in zip(rels.tolist(), duals.tolist(), strict=True)]
    rows = np.flatnonzero(~supp[s.m_cell] & cost.eligible[s.m_cell])
    candidates = pd.DataFrame({"rel": s.m_rel[rows], "z": s.m_cell[rows],
                               "koeff": s.m_coef[rows]})
    binding = pd.DataFrame(entries, columns=["f", "side", "missing", "rel", "dual"]).astype(
        {"f": np.int64, "missing": float, "rel": np.int64, "dual": float})
    pairs = binding.merge(candidates, on="rel")
    pairs["g"] = pairs["dual"] * pairs["koeff"]
    per = (pairs.groupby(["f", "side", "z"], sort=False)
           .agg(g=("g", "sum"), missing=("missing", "first"), rel=("rel", "min"))
           .reset_index())
    per = per[per["g"].abs() > 1e-9]
    chosen = []
    if len(per):
        z = per["z"].to_numpy(np.int64)
        delta = per["missing"].to_numpy(float) / per["g"].to_numpy(float)
        short = ~_room(cost, z, delta)
        first = np.lexsort([*cost.keys(s, z, supp, short),
                            per["side"].to_numpy() == "up", per["f"].to_numpy()])
        ordered = per.iloc[first].assign(short=short[first])
        position = ordered.groupby(["f", "side"], sort=False).cumcount()
        first_short = ordered.groupby(["f", "side"], sort=False)["short"].transform("first")
        # where even the best candidate is short, the next two too (nested limits)
        chosen.append(ordered[(position == 0) | (first_short & (position <= 2))][["z", "rel"]])
        if stalled:
            # degenerate duals: one cell per side did not move the bound for rounds; the
            # best candidate of every relation that limits the side
            chosen.append(ordered.drop_duplicates(["f", "side", "rel"])[["z", "rel"]])
    rest = np.setdiff1d(failing, per["f"].to_numpy(np.int64)) if len(per) else failing
    if stalled:
        rest = failing
    if len(rest):
        nearest = _nearest_candidates(s, rest, supp, cost.eligible)
        if len(nearest):
            # the best two per failing cell by the cost order
            z = nearest["z"].to_numpy(np.int64)
            first = np.lexsort([*cost.keys(s, z, supp, np.zeros(len(z), dtype=bool)),
                                nearest["f"].to_numpy()])
            ordered = nearest.iloc[first]
            chosen.append(ordered[ordered.groupby("f", sort=False).cumcount() < 2][["z", "rel"]])
    if not chosen:
        return 0
    chosen = pd.concat(chosen, ignore_index=True).sort_values(["z", "rel"])
    return _suppress(chosen["z"].to_numpy(np.int64), chosen["rel"].to_numpy(np.int64),
                     "audit:", s, supp, reason)


# ---------------------------------------------------------------------------------------
# protect
# ---------------------------------------------------------------------------------------
def _protect_block(cells: pd.DataFrame, relations: pd.DataFrame, config: GeheimhaltungConfig,
                   previous: set, stats: dict) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(suppressed, primary, reason) per cell of one block."""
    system = build_system(cells, relations)
    values = _validate(cells, system)
    system = with_relation_bounds(system)
    reason = primary_reasons(cells, config)
    hidden = flag(cells, "verborgen")
    reason[hidden] = ""
    primary = reason != ""
    fest = flag(cells, "fest")
    if (fest & primary).any():
        raise GeheimhaltungError("Zellen mit `fest` verletzen eine Regel der Primärsperrung:"
                                 f" {system.cell_ids[fest & primary][:5].tolist()}")
    supp = primary | hidden
    cost = _kosten(cells, system, values, previous)
    need = bedarf(system, hidden, primary, values, config,
                  frei=cost.eligible | primary | hidden)
    # a cell that the figures published in any case fix (zeros, the county value) hides
    # nothing once suppressed: it needs no partner and is no partner
    cost.fixed |= need.boden_oben - need.boden_unten <= tolerance(values)
    cost.eligible &= ~cost.fixed
    cache: dict = {}
    known = np.zeros(len(cells), dtype=bool)
    history: list[tuple[int, int]] = []
    failing = np.zeros(len(cells), dtype=bool)
    for _ in range(config.max_runden):
        _secondary(system, supp, primary, values, need.bedarf_unten, need.bedarf_oben, cost,
                   reason)
        verdict = pruefen(system, supp, hidden, primary, values, config, need=need, cache=cache,
                          boeden=len(history) >= 2, bekannt=known, regionen=True, huelle=True)
        # suppressing more only widens the attacker's set: protected stays protected
        known |= verdict.geprueft & verdict.geschuetzt
        stats["lp_anzahl"] = stats.get("lp_anzahl", 0) + verdict.lp_anzahl
        failing = ~verdict.geschuetzt
        history.append((int(supp.sum()), int(failing.sum())))
        if not failing.any():
            break
        stalled = len(history) > 2 and history[-1][1] >= history[-3][1]
        if _complete(system, verdict, values, supp, cost, reason, stalled) == 0:
            # nothing left to suppress: what every publication fixes may be all there is
            verdict = pruefen(system, supp, hidden, primary, values, config, need=need,
                              cache=cache, boeden=True, bekannt=known)
            failing = ~verdict.geschuetzt
            if not failing.any():
                break
            raise GeheimhaltungError(
                f"{int(failing.sum())} gesperrte Zellen lassen sich nicht schützen (keine"
                f" weitere sperrbare Zelle in ihren Relationen), z. B."
                f" {system.cell_ids[failing][:5].tolist()}")
    else:
        raise GeheimhaltungError(f"Prüfung nach {config.max_runden} Runden nicht bestanden"
                                 f" (gesperrt, fehlerhaft je Runde: {history[-5:]}), z. B."
                                 f" {system.cell_ids[failing][:5].tolist()}")
    stats["runden"] = stats.get("runden", 0) + len(history)
    stats["zurueckgenommen"] = stats.get("zurueckgenommen", 0) + _prune(
        system, supp, hidden, primary, values, config, need, cost, reason, verdict)
    return supp & ~hidden, primary, reason


_PRUNE_COMPONENT = 1000   # cells of a component at most, for a try to publish a cell again
_PRUNE_TRIES = 2000       # tries per Berichtsjahr at most (a fixed number: deterministic)
_PRUNE_BUDGET = 100_000   # cells of the components audited in these tries, at most


def _prune(s: Tabellensystem, supp: np.ndarray, hidden: np.ndarray, primary: np.ndarray,
           values: np.ndarray, config: GeheimhaltungConfig, need, cost: _Kosten,
           reason: np.ndarray, verdict: Pruefung) -> int:
    """Publish secondary cells again where the pattern stays protected without them.

    The greedy choice and the audit-driven completion add cells one relation or one
    failing side at a time; some turn out unnecessary once later cells are in. Every
    secondary cell of a small component is tried (components of up to 100 cells first, then
    municipalities, then the smallest values; a fixed budget of work per Berichtsjahr, so that the result never depends on
    the machine): taken out, no relation may be left
    with a single suppressed cell, and the audit of its component (all relations that
    touch a suppressed cell of it) must still pass. Returns the number of cells published
    again."""
    labels = verdict.labels
    comp_size = np.bincount(labels[np.flatnonzero(supp)], minlength=labels.max() + 1)
    secondary = np.flatnonzero(supp & ~primary & ~hidden
                               & (comp_size[labels[: s.n]] <= _PRUNE_COMPONENT))
    if not len(secondary):
        return 0
    # small components first (cheap tries), within them municipalities, then small values
    order = secondary[np.lexsort((cost.rank[secondary], cost.size[secondary],
                                  cost.level[secondary] < 2,
                                  comp_size[labels[secondary]] > 100))][:_PRUNE_TRIES]
    by_cell = np.argsort(s.m_cell, kind="stable")
    cell_start = np.searchsorted(s.m_cell[by_cell], np.arange(s.n + 1))
    cell_rels = s.m_rel[by_cell]
    rel_start = np.searchsorted(s.m_rel, np.arange(s.nrel + 1))
    size = np.bincount(s.m_rel, minlength=s.nrel)
    with_hidden = np.bincount(s.m_rel, weights=hidden[s.m_cell], minlength=s.nrel) > 0
    published = 0
    budget = _PRUNE_BUDGET
    for c in order.tolist():
        budget -= int(comp_size[labels[c]])
        if budget < 0:
            break
        own = cell_rels[cell_start[c]:cell_start[c + 1]]
        supp[c] = False
        counted = supp & ~cost.fixed
        single = any(size[r] >= 2 and not with_hidden[r] and
                     int(counted[s.m_cell[rel_start[r]:rel_start[r + 1]]].sum()) == 1
                     for r in own.tolist())
        if single or not _component_passes(s, c, supp, hidden, primary, values, config, need,
                                           cell_start, cell_rels, rel_start):
            supp[c] = True
            continue
        reason[c] = ""
        published += 1
    return published


def _component_passes(s: Tabellensystem, c: int, supp: np.ndarray, hidden: np.ndarray,
                      primary: np.ndarray, values: np.ndarray, config: GeheimhaltungConfig,
                      need, cell_start, cell_rels, rel_start) -> bool:
    """The audit of the suppressed cells connected to `c` (through relations holding
    suppressed cells), on the relations that touch them: the same verdict as the audit of
    the whole system for these cells, since no other relation contains one of them."""
    seen_cells, seen_rels = set(), set()
    frontier = [c]
    while frontier:
        nxt = []
        for cell in frontier:
            for r in cell_rels[cell_start[cell]:cell_start[cell + 1]].tolist():
                if r in seen_rels:
                    continue
                seen_rels.add(r)
                for k in range(rel_start[r], rel_start[r + 1]):
                    other = int(s.m_cell[k])
                    if supp[other] and other not in seen_cells:
                        seen_cells.add(other)
                        nxt.append(other)
        frontier = nxt
    if not seen_cells:
        return True
    rels = np.array(sorted(seen_rels), dtype=np.int64)
    rows = np.flatnonzero(np.isin(s.m_rel, rels))
    cells = np.unique(s.m_cell[rows])
    cell_pos = np.full(s.n, -1, dtype=np.int64)
    cell_pos[cells] = np.arange(len(cells))
    rel_pos = np.full(s.nrel, -1, dtype=np.int64)
    rel_pos[rels] = np.arange(len(rels))
    sub = Tabellensystem(
        cell_ids=s.cell_ids[cells], wert_art=s.wert_art[cells], lb=s.lb[cells], ub=s.ub[cells],
        ganzzahlig=s.ganzzahlig[cells], rel_ids=s.rel_ids[rels], m_rel=rel_pos[s.m_rel[rows]],
        m_cell=cell_pos[s.m_cell[rows]], m_coef=s.m_coef[rows], rel_b=s.rel_b[rels])
    sub_need = Bedarf(primaer=need.primaer[cells], bedarf_unten=need.bedarf_unten[cells],
                      bedarf_oben=need.bedarf_oben[cells], boden_unten=need.boden_unten[cells],
                      boden_oben=need.boden_oben[cells])
    verdict = pruefen(sub, supp[cells], hidden[cells], primary[cells], values[cells], config,
                      need=sub_need, boeden=False, nur_ob=True)
    return bool(verdict.geschuetzt.all())


def protect(cells: pd.DataFrame, relations: pd.DataFrame,
            config: GeheimhaltungConfig | None = None, *, stats: dict | None = None,
            cache: MutableMapping | None = None) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Primary, secondary and audit-driven suppression; returns (result, log).

    `cells`: `cell_id` (unique), `tabelle`, `wert_art` ('anzahl', 'anteil', 'geld'),
    `sensibel`, `zaehler` (true value), `nenner` (published; 'anteil' needs it),
    `n_beitraege`, `max_beitrag` (sensitive 'geld'); optional `fest` (never suppress),
    `verborgen` (an auxiliary unknown, never published, never judged), `untergrenze` /
    `obergrenze`, and for the cost: `ebene` ('oz', 'raum', 'kommune', 'kreis'), `gebiet`
    (the area, within a year), `reihe` (the same figure of the same area in every year),
    `berichtsjahr` (blocks). `relations`: `relation_id`, `cell_id`, `koeffizient`.

    `cache`: a mapping the caller keeps across runs, block key -> pattern; a block found
    there keeps its pattern. `stats` receives counts, rounds, LPs and reused blocks.

    `result`: `cells` plus `status` (`ok` / `gesperrt` / `verborgen`), `sperrart`
    (`primaer` / `sekundaer`, NULL when published) and `grund`. `log`: one row per
    suppressed cell with `cell_id`, `tabelle`, `status`, `sperrart`, `grund`,
    `regelwerk_version`, `config` (JSON).
    """
    config = config or GeheimhaltungConfig()
    cells = cells.reset_index(drop=True)
    stats = {} if stats is None else stats
    supp = np.zeros(len(cells), dtype=bool)
    primary = np.zeros(len(cells), dtype=bool)
    reason = np.full(len(cells), "", dtype=object)
    ids = cells["cell_id"].astype(str)
    previous: set = set()
    stats.update(bloecke=0, bloecke_wiederverwendet=0, runden=0, lp_anzahl=0)
    for _, idx, rel_rows in bloecke(cells, relations):
        block = cells.iloc[idx].reset_index(drop=True)
        block_rel = relations.iloc[rel_rows]
        key = block_key(block, block_rel, config)
        stats["bloecke"] += 1
        hit = cache.get(key) if cache is not None else None
        if hit is not None:
            stats["bloecke_wiederverwendet"] += 1
            where = pd.Index(block["cell_id"].astype(str)).get_indexer(hit["cell_id"])
            if (where < 0).any():
                raise GeheimhaltungError("cached pattern names unknown cells")
            b_supp = np.zeros(len(block), dtype=bool)
            b_prim = np.zeros(len(block), dtype=bool)
            b_reason = np.full(len(block), "", dtype=object)
            b_supp[where] = True
            b_prim[where] = np.asarray(hit["sperrart"]) == PRIMAER
            b_reason[where] = np.asarray(hit["grund"], dtype=object)
        else:
            b_supp, b_prim, b_reason = _protect_block(block, block_rel, config, previous, stats)
            if cache is not None:
                at = np.flatnonzero(b_supp)
                cache[key] = {"cell_id": block["cell_id"].astype(str).to_numpy()[at].tolist(),
                              "sperrart": np.where(b_prim[at], PRIMAER, SEKUNDAER).tolist(),
                              "grund": b_reason[at].astype(str).tolist()}
        supp[idx], primary[idx], reason[idx] = b_supp, b_prim & b_supp, b_reason
        previous = (set(block.loc[b_supp, "reihe"].astype(str)) if "reihe" in block.columns
                    else set())

    hidden = flag(cells, "verborgen")
    result = cells.copy()
    result["status"] = np.where(hidden, VERBORGEN, np.where(supp, GESPERRT, OK))
    result["sperrart"] = np.where(supp, np.where(primary, PRIMAER, SEKUNDAER), None)
    result["grund"] = np.where(supp, reason, None)
    idx = np.flatnonzero(supp)
    stats.update(zellen=len(cells), relationen=int(relations["relation_id"].nunique()),
                 primaer=int(primary.sum()), sekundaer=int((supp & ~primary).sum()))
    log = pd.DataFrame({
        "cell_id": ids.to_numpy()[idx],
        "tabelle": cells["tabelle"].to_numpy()[idx],
        "status": GESPERRT,
        "sperrart": result["sperrart"].to_numpy()[idx],
        "grund": reason[idx].astype(str),
        "regelwerk_version": config.regelwerk_version,
        "config": config.to_json(),
    })
    return result, log


def veroeffentlicht(result: pd.DataFrame) -> pd.DataFrame:
    """What gets published: `zaehler` (and `wert`) blanked for suppressed cells; the private
    columns (case counts of money cells, `sperrart`, `grund`) dropped. `nenner` stays."""
    private = ("n_beitraege", "max_beitrag", "grund", "sperrart")
    out = result.drop(columns=[c for c in private if c in result.columns])
    out = out[out["status"] != VERBORGEN].copy()
    hidden = out["status"] == GESPERRT
    for column in ("zaehler", "wert"):
        if column in out.columns:
            out[column] = out[column].astype(float).mask(hidden)
    return out
