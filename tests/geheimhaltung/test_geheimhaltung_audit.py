"""Disclosure control: the soundness of the audit's shortcuts and the acceptance list of the
rewrite (nearly additive figures, the S02 / S08 leaks, naive patterns, caching, the cost
order of secondary cells, reuse of the previous year's pattern).

Every verdict is compared with the independent attacker of test_geheimhaltung.py
(`Angreifer`: scipy linprog over the whole table, suppressed counts at least 1, shares at
most their nenner, relations with their `konstante`).
"""

import importlib
import math

import numpy as np
import pandas as pd
import pytest
from scipy import sparse
from scipy.optimize import linprog
from scipy.sparse.csgraph import connected_components

from dagster_project.lib.geheimhaltung import (
    GeheimhaltungError,
    audit,
    hierarchy_relations,
    primary_reasons,
    protect,
    tables,
)
from dagster_project.lib.geheimhaltung.system import build_system, numeric, with_relation_bounds
from tests.geheimhaltung.test_geheimhaltung import (
    CONFIG,
    Angreifer,
    areas,
    counts,
    interval,
    random_table,
    summe,
    suppressed,
    with_status,
)

# the package exports the function `audit`, which hides the module of the same name
audit_modul = importlib.import_module("dagster_project.lib.geheimhaltung.audit")

A1, A2, KREIS = "05999004", "05999008", "05999"


# ---------------------------------------------------------------------------------------
# random systems
# ---------------------------------------------------------------------------------------
def two_way(rng) -> tuple[pd.DataFrame, pd.DataFrame]:
    """areas x parts with row, column and grand totals; counts, or shares with a nenner."""
    n_rows, n_cols = rng.integers(2, 5, size=2)
    inner = rng.poisson(rng.uniform(0.7, 5.0), size=(n_rows, n_cols)).astype(float)
    values = np.zeros((n_rows + 1, n_cols + 1))
    values[:n_rows, :n_cols] = inner
    values[:n_rows, n_cols] = inner.sum(axis=1)
    values[n_rows, :] = values[:n_rows, :].sum(axis=0)
    ids = [[f"r{i}c{j}" for j in range(n_cols + 1)] for i in range(n_rows + 1)]
    share = rng.random() < 0.4
    nenner = values + rng.integers(0, 12, size=values.shape)
    cells = counts({ids[i][j]: values[i, j] for i in range(n_rows + 1)
                    for j in range(n_cols + 1)})
    if share:
        cells = cells.assign(wert_art="anteil", nenner=nenner.ravel())
    relations = pd.concat(
        [summe(f"row{i}", ids[i][n_cols], ids[i][:n_cols]) for i in range(n_rows + 1)]
        + [summe(f"col{j}", ids[n_rows][j], [ids[i][j] for i in range(n_rows)])
           for j in range(n_cols + 1)], ignore_index=True)
    return cells, relations


def three_way(rng) -> tuple[pd.DataFrame, pd.DataFrame]:
    """a three-way table with every one-dimensional total (x[total, j, k] = sum_i ...)."""
    dims = [int(d) for d in rng.integers(2, 4, size=3)]
    full = np.zeros([d + 1 for d in dims])
    full[: dims[0], : dims[1], : dims[2]] = rng.poisson(rng.uniform(0.7, 4.0), size=dims)
    for axis in range(3):
        inner = [slice(None)] * 3
        inner[axis] = slice(0, dims[axis])
        total = [slice(None)] * 3
        total[axis] = dims[axis]
        full[tuple(total)] = full[tuple(inner)].sum(axis=axis)
    cells = counts({f"x{i}{j}{k}": full[i, j, k] for i, j, k in np.ndindex(full.shape)})
    parts = []
    for axis in range(3):
        a, b = (x for x in range(3) if x != axis)
        for p in range(dims[a] + 1):
            for q in range(dims[b] + 1):
                def at(t, axis=axis, a=a, b=b, p=p, q=q):
                    key = [0, 0, 0]
                    key[axis], key[a], key[b] = t, p, q
                    return "x" + "".join(map(str, key))
                parts.append(summe(f"a{axis}|{p}|{q}", at(dims[axis]),
                                   [at(t) for t in range(dims[axis])]))
    return cells, pd.concat(parts, ignore_index=True)


def hierarchy(rng) -> tuple[pd.DataFrame, pd.DataFrame]:
    """A county of 2-3 municipalities, each with Sozialräume and `ohne Zuordnung`, and a
    second Gliederung (Planungsräume, each the union of some Sozialräume) overlapping it:
    area = municipality in both, municipalities = county, Planungsraum = its Sozialräume."""
    rows, overlaps, total = [], [], 0.0
    for k in range(int(rng.integers(2, 4))):
        ags = f"0599900{k}"
        sr = rng.poisson(rng.uniform(0.7, 5.0), size=int(rng.integers(2, 5))).astype(float)
        oz = float(rng.poisson(1.0))
        rows += [("sozialraum", f"SR{k}{i}", ags, v) for i, v in enumerate(sr)]
        rows += [("sozialraum", f"{ags}-OZ", ags, oz), ("planungsraum", f"{ags}-OZ", ags, oz)]
        cut = int(rng.integers(1, len(sr)))
        for g, members in enumerate((range(cut), range(cut, len(sr)))):
            rows.append(("planungsraum", f"PR{k}{g}", ags, float(sr[list(members)].sum())))
            overlaps.append(summe(f"ov|{k}|{g}", f"T|planungsraum|PR{k}{g}",
                                  [f"T|sozialraum|SR{k}{i}" for i in members]))
        overlaps.append(summe(f"ov|{k}|oz", f"T|planungsraum|{ags}-OZ",
                              [f"T|sozialraum|{ags}-OZ"]))
        rows.append(("kommune", ags, ags, float(sr.sum() + oz)))
        total += sr.sum() + oz
    rows.append(("kreis", KREIS, None, total))
    cells = areas("T", rows)
    return cells, pd.concat([hierarchy_relations(cells), *overlaps], ignore_index=True)


def patterns(rng, cells: pd.DataFrame, relations: pd.DataFrame):
    """(name, suppressed, primary): a random pattern (mostly failing), protect's pattern
    (passing) and protect's pattern less one secondary cell (a near miss)."""
    values = cells.set_index("cell_id")["zaehler"]
    share = rng.uniform(0.15, 0.45)
    supp = {c for c in values.index[values > 0] if rng.random() < share}
    primary = {c for c in sorted(supp) if values[c] <= 2 or rng.random() < 0.3}
    yield "zufall", supp, primary
    result, _ = protect(cells, relations, CONFIG)
    supp = suppressed(result)
    primary = set(result.loc[result["sperrart"] == "primaer", "cell_id"])
    # protect never suppresses a zero, nor the county value but for a primary reason
    assert (values[sorted(supp)] > 0).all()
    if "ebene" in cells.columns:
        ebene = cells.set_index("cell_id")["ebene"]
        assert not (ebene[sorted(supp - primary)] == "kreis").any()
    yield "protect", supp, primary
    secondary = sorted(supp - primary)
    if secondary:
        yield "protect-1", supp - {secondary[int(rng.integers(len(secondary)))]}, primary


def forest_cells(relations: pd.DataFrame, supp: set[str]) -> set[str]:
    """The suppressed cells whose component (cells linked by relations holding two of
    them) is a forest: no cycle in the graph of suppressed cells and their relations."""
    if not supp:
        return set()
    members = relations[relations["cell_id"].isin(supp)][["relation_id", "cell_id"]]
    members = members.drop_duplicates()
    cells = sorted(supp)
    rels = sorted(set(members["relation_id"]))
    node = {c: k for k, c in enumerate(cells)} | {r: len(cells) + k for k, r in enumerate(rels)}
    n = len(node)
    graph = sparse.coo_array((np.ones(len(members)),
                              (members["cell_id"].map(node), members["relation_id"].map(node))),
                             shape=(n, n))
    _, label = connected_components(graph, directed=False)
    nodes = np.bincount(label, minlength=label.max() + 1)
    edges = np.bincount(label[members["cell_id"].map(node).to_numpy()],
                        minlength=label.max() + 1)
    forest = edges == nodes - 1
    return {c for c in cells if forest[label[node[c]]]}


class Nachbarschaft:
    """A spy on the local LPs (`_Umgebung.reach`): calls and feasible points returned."""

    def __init__(self):
        self.calls = self.points = 0

    def install(self, patch) -> None:
        original = audit_modul._Umgebung.reach

        def reach(umgebung, j, sign, radius, values):
            self.calls += 1
            x = original(umgebung, j, sign, radius, values)
            self.points += x is not None
            return x

        patch.setattr(audit_modul._Umgebung, "reach", reach)


# ---------------------------------------------------------------------------------------
# 1. the shortcuts of audit.pruefen against a full LP
# ---------------------------------------------------------------------------------------
@pytest.mark.parametrize("generator", [two_way, three_way, hierarchy],
                         ids=["zweidimensional", "dreidimensional", "hierarchie"])
def test_audit_shortcuts_agree_with_a_full_lp_on_random_systems(generator, monkeypatch):
    seen = {"geschuetzt": 0, "ungeschuetzt": 0, "wald": 0, "nur_wald": 0, "zyklisch": 0}
    spy = Nachbarschaft()
    for seed in range(14):                   # 14 seeds x 3 generators
        rng = np.random.default_rng(7000 + seed)
        cells, relations = generator(rng)
        attacker = Angreifer(cells, relations)
        for name, supp, primary in patterns(rng, cells, relations):
            where = (generator.__name__, seed, name)
            publication = with_status(cells, supp, sekundaer=supp - primary)
            exact = audit(publication, relations, CONFIG, exakt=True)
            fast = audit(publication, relations, CONFIG, exakt=False)
            with monkeypatch.context() as patch:
                # (c) local certification for every component, not only huge ones; for
                # odd seeds also without the witness LPs before it, so that every side
                # still open goes through the local LPs first
                patch.setattr(audit_modul, "_LOCAL_FROM", 0)
                if seed % 2:
                    patch.setattr(audit_modul, "_WITNESS_ROUNDS", 0)
                spy.install(patch)
                local = audit(publication, relations, CONFIG, exakt=False)
            e = exact.intervalle.set_index("cell_id")
            f = fast.intervalle.set_index("cell_id")
            g = local.intervalle.set_index("cell_id")
            assert list(e.index) == list(f.index) == list(g.index), where
            # (b) and (c): the same verdict, whichever shortcut
            assert (e["geschuetzt"] == f["geschuetzt"]).all(), where
            assert (e["geschuetzt"] == g["geschuetzt"]).all(), where
            # the shortcuts show values the attacker can reach: inside the exact interval
            for shown in (f, g):
                assert (shown["unten"] >= e["unten"]).all(), where
                assert (shown["oben"] <= e["oben"]).all(), where
            # the independent attacker: the same intervals (exakt=True) and verdicts
            verdict = attacker.urteil(supp, primary)
            for cell_id, ok in verdict.items():
                if ok is None:         # fixed by what is published anyway: nothing to judge
                    assert cell_id not in e.index or e.loc[cell_id, "geschuetzt"], where
                    continue
                assert cell_id in e.index, (where, cell_id)
                assert (e.loc[cell_id, "unten"], e.loc[cell_id, "oben"]) == \
                    attacker.intervalle[cell_id], (where, cell_id)
                assert bool(e.loc[cell_id, "geschuetzt"]) == ok, (where, cell_id)
                seen["geschuetzt" if ok else "ungeschuetzt"] += 1
            if name == "protect":
                assert exact.ok and all(v is not False for v in verdict.values()), where
            # (a) forest components: propagation alone gives the exact LP bounds
            forest = forest_cells(relations, supp) & set(f.index)
            for cell_id in forest:
                assert (f.loc[cell_id, "unten"], f.loc[cell_id, "oben"]) == \
                    attacker.intervalle[cell_id], (where, cell_id)
                assert f.loc[cell_id, "exakt"], (where, cell_id)
            seen["wald"] += len(forest)
            seen["zyklisch"] += len(set(f.index) - forest)
            if len(f) and forest == set(f.index):
                # nothing but forests: no LP at all
                assert exact.lp_anzahl == fast.lp_anzahl == 0, where
                seen["nur_wald"] += 1
    # the comparison is not vacuous
    assert seen["geschuetzt"] >= 150 and seen["ungeschuetzt"] >= 50, seen
    assert seen["wald"] >= 30 and seen["nur_wald"] >= 5, seen
    assert seen["zyklisch"] >= 200, seen
    # the local LPs ran and returned feasible points
    # (fewer than one per open side: a side already reached by an earlier point needs none)
    assert spy.calls >= 80 and spy.points >= 80, (spy.calls, spy.points)


def ring(n: int = 9):
    """An odd ring of relations: x_i + x_(i+1) + y_i = T_i (i = 1..n, x_(n+1) = x_1),
    every x = 10 suppressed, every y = 4 published (sensitive), every T = 24 published.
    x_1 is the numerator of a share 10 / 12 (primary: complement 2). Going round the ring,
    x_1 = (s_1 - s_2 + s_3 - ... + s_n) / 2 with s_i = T_i - y_i: the full LP pins it, but
    only through relations far from x_1."""
    x = [f"x{i}" for i in range(1, n + 1)]
    cells = counts({**dict.fromkeys(x, 10.0), **{f"y{i}": 4.0 for i in range(1, n + 1)},
                    **{f"T{i}": 24.0 for i in range(1, n + 1)}})
    cells["wert_art"] = np.where(cells["cell_id"] == "x1", "anteil", "anzahl")
    cells["nenner"] = np.where(cells["cell_id"] == "x1", 12.0, np.nan)
    cells["sensibel"] = ~cells["cell_id"].str.startswith("T")
    relations = pd.concat([summe(f"R{i}", f"T{i}", [x[i - 1], x[i % n], f"y{i}"])
                           for i in range(1, n + 1)], ignore_index=True)
    return cells, relations, x


def lp_interval(cells: pd.DataFrame, relations: pd.DataFrame, free: set[str],
                cell_id: str, fixed_outside: bool) -> tuple[float, float]:
    """x_1's interval from a local LP over the `free` cells. `fixed_outside`: every other
    cell at its true value, every relation kept (what audit._Umgebung does); else the
    naive variant: only the relations among the free cells (and published ones), the
    others dropped."""
    ids = sorted(free)
    col = {c: k for k, c in enumerate(ids)}
    value = cells.set_index("cell_id")["zaehler"]
    suppressed_ = {c for c in cells["cell_id"] if c.startswith("x")}
    a_rows, b = [], []
    for _, members in relations.groupby("relation_id"):
        inside = set(members["cell_id"]) & free
        if not inside:
            continue
        outside_unknown = (set(members["cell_id"]) & suppressed_) - free
        if outside_unknown and not fixed_outside:
            continue
        row = np.zeros(len(ids))
        rhs = 0.0
        for c, k in zip(members["cell_id"], members["koeffizient"], strict=True):
            if c in free:
                row[col[c]] += k
            else:
                rhs -= k * value[c]
        a_rows.append(row)
        b.append(rhs)
    bounds = [(1, 12 if c == "x1" else None) for c in ids]
    out = []
    for sign in (1.0, -1.0):
        objective = np.zeros(len(ids))
        objective[col[cell_id]] = sign
        lp = linprog(objective, A_eq=np.array(a_rows), b_eq=np.array(b), bounds=bounds,
                     method="highs")
        assert lp.status == 0
        out.append(sign * lp.fun)
    return math.ceil(out[0] - 1e-6), math.floor(out[1] + 1e-6)


def test_local_certification_keeps_the_relations_it_cannot_see(monkeypatch):
    # (d) a naive local check would drop the relations outside the neighbourhood of x1 and
    # call x1 protected; the engine fixes the cells outside at their true values instead
    cells, relations, x = ring()
    assert primary_reasons(cells, CONFIG)[0] == "komplement<3"
    supp = set(x)
    neighbourhood = {"x1", "x2", "x3", "x8", "x9"}         # radius 2: cell-relation-cell
    naive = lp_interval(cells, relations, neighbourhood, "x1", fixed_outside=False)
    local = lp_interval(cells, relations, neighbourhood, "x1", fixed_outside=True)
    full = Angreifer(cells, relations).interval(supp, "x1")
    # dropping relations widens x1 to [1, 12]: "protected" (needs [8, 12]), which is wrong
    assert naive == (1, 12)
    assert local == full == (10, 10)
    publication = with_status(cells, supp, sekundaer=supp - {"x1"})
    for exakt in (True, False):
        with monkeypatch.context() as patch:
            patch.setattr(audit_modul, "_LOCAL_FROM", 0)
            spy = Nachbarschaft()
            spy.install(patch)
            check = audit(publication, relations, CONFIG, exakt=exakt)
        assert interval(check, "x1") == (10.0, 10.0)
        row = check.intervalle.set_index("cell_id").loc["x1"]
        assert (row["bedarf_unten"], row["bedarf_oben"]) == (8.0, 12.0)
        assert not row["geschuetzt"]
        assert set(check.fehler["cell_id"]) == supp          # the whole ring is pinned
        if not exakt:
            # the local path was taken: propagation alone leaves x1 in [8, 12], wide
            # enough, so the local LPs are tried before the full LP decides
            assert spy.calls > 0
    assert not audit(publication, relations, CONFIG, exakt=False).ok


# ---------------------------------------------------------------------------------------
# 2. and 3. nearly additive figures and shares with a small published nenner
# ---------------------------------------------------------------------------------------
KATALOG = pd.DataFrame({"code": ["S02", "S08"], "einheit": ["Anzahl", "%"],
                        "sensibel": [True, True]})


def werte(code: str, rows: list[tuple]) -> pd.DataFrame:
    """mart_indikatorwerte rows: (gliederung, raum_id, ags, zaehler, nenner)."""
    return pd.DataFrame([{"code": code, "gliederung": gl, "raum_id": raum, "ags": ags,
                          "berichtsjahr": 2024, "zaehler": float(z),
                          "nenner": np.nan if n is None else float(n), "status": "ok"}
                         for gl, raum, ags, z, n in rows])


def iw(code: str, gliederung: str, raum: str) -> str:
    return f"iw|{code}|z|{gliederung}|{raum}|2024"


def s02(partner: float) -> pd.DataFrame:
    """S02 (distinct Bedarfsgemeinschaften): one BG lives in SR1 and SR2 and counts in
    both, so the areas of A1 add up to one more than A1. `ohne Zuordnung` holds 1 BG."""
    return werte("S02", [
        ("sozialraum", "SR1", A1, 12, None), ("sozialraum", "SR2", A1, 20, None),
        ("sozialraum", "SR3", A1, partner, None), ("sozialraum", f"{A1}-OZ", A1, 1, None),
        ("kommune", A1, A1, 32 + partner, None),
        ("sozialraum", "SR4", A2, 30, None), ("sozialraum", f"{A2}-OZ", A2, 0, None),
        ("kommune", A2, A2, 30, None), ("kreis", KREIS, None, 62 + partner, None)])


@pytest.mark.parametrize("partner", [7, 20])
def test_nearly_additive_s02_cannot_be_recomputed_by_an_additive_attacker(partner):
    cells = tables.indikator_zellen(s02(partner), KATALOG)
    relations = tables.relationen(cells)
    konstante = relations.groupby("relation_id")["konstante"].first()
    # sum(koeffizient * zaehler) of the true values: municipality - areas = -1
    assert konstante[f"indikatorwerte|S02|z|2024|sozialraum|{A1}"] == -1.0
    assert konstante[f"indikatorwerte|S02|z|2024|sozialraum|{A2}"] == 0.0
    assert konstante["indikatorwerte|S02|z|2024|kommune|05999"] == 0.0
    # as a plain sum the relation does not hold for the true values
    with pytest.raises(GeheimhaltungError, match="gelten nicht"):
        protect(cells, relations.assign(konstante=0.0), CONFIG)

    result, _ = protect(cells, relations, CONFIG)
    oz = iw("S02", "sozialraum", f"{A1}-OZ")
    hidden = suppressed(result)
    assert oz in hidden and len(hidden) >= 2
    assert not hidden & {iw("S02", "kommune", A1), iw("S02", "kreis", KREIS)}
    assert audit(result, relations, CONFIG).ok
    # the attacker who knows the difference, and the one who assumes plain additivity
    # (right-hand side 0): neither gets the 1 of `ohne Zuordnung` closer than [1, 3]
    for additiv in (False, True):
        lower, upper = Angreifer(cells, relations, additiv=additiv).interval(hidden, oz)
        assert lower <= 1 and upper >= 3, (additiv, lower, upper)
        assert upper - lower >= 2
    # the leak of the old engine: with OZ alone suppressed, municipality minus published
    # areas gives 32 + partner - 32 - partner = 0 to the additive attacker, who knows a
    # suppressed count is at least 1: OZ = 1; the audit (which knows the difference) too
    alone = audit(with_status(cells, {oz}), relations, CONFIG)
    assert interval(alone, oz) == (1.0, 1.0) and not alone.ok


def test_nearly_additive_s02_with_a_small_partner_keeps_the_range_for_both_attackers():
    # SR3 = 3 next to OZ = 1 and a relation with konstante -1 (one BG in two areas): SR3
    # alone would leave the attacker who assumes additivity OZ + SR3 = 3, OZ in [1, 2].
    # The range of a cell in such a relation is widened by the constant, so protect takes
    # a partner with room for that attacker too
    cells = tables.indikator_zellen(s02(3), KATALOG)
    relations = tables.relationen(cells)
    result, _ = protect(cells, relations, CONFIG)
    oz = iw("S02", "sozialraum", f"{A1}-OZ")
    hidden = suppressed(result)
    assert oz in hidden
    assert not hidden & {iw("S02", "kommune", A1), iw("S02", "kreis", KREIS)}
    assert audit(result, relations, CONFIG).ok
    for additiv in (False, True):
        lower, upper = Angreifer(cells, relations, additiv=additiv).interval(hidden, oz)
        assert lower <= 1 and upper >= 3, (additiv, lower, upper)
    # the naive partner (SR3 alone) leaves the additive attacker short
    naive = {oz, iw("S02", "sozialraum", "SR3")}
    assert Angreifer(cells, relations, additiv=True).interval(naive, oz) == (1, 2)


@pytest.mark.parametrize("doppelt", [0, 1])
def test_s08_share_with_small_published_nenner_gets_a_partner(doppelt):
    # SR1: 2 of 3 single-parent BGs (nenner 3 < 10, published); municipality and other
    # areas published. Without a partner, 57 - 30 - 25 - 0 = 2 would give SR1 away.
    # `doppelt`: one BG counted in two areas (numerators and nenner add up to one more)
    rows = [("sozialraum", "SR1", A1, 2, 3), ("sozialraum", "SR2", A1, 30, 100),
            ("sozialraum", "SR3", A1, 25, 80), ("sozialraum", f"{A1}-OZ", A1, 0, 2),
            ("kommune", A1, A1, 57 - doppelt, 185 - doppelt),
            ("sozialraum", "SR4", A2, 30, 90), ("sozialraum", f"{A2}-OZ", A2, 4, 12),
            ("kommune", A2, A2, 34, 102), ("kreis", KREIS, None, 91 - doppelt, 287 - doppelt)]
    cells = tables.indikator_zellen(werte("S08", rows), KATALOG)
    assert cells.set_index("cell_id").loc[iw("S08", "sozialraum", "SR1"), "wert_art"] == "anteil"
    relations = tables.relationen(cells)
    assert set(relations["konstante"]) == ({0.0} if not doppelt else {0.0, -1.0})
    result, _ = protect(cells, relations, CONFIG)
    by_id = result.set_index("cell_id")
    sr1 = iw("S08", "sozialraum", "SR1")
    assert by_id.loc[sr1, "sperrart"] == "primaer"
    assert by_id.loc[sr1, "grund"] == "zaehler<3,nenner<10,komplement<3"
    # the zero of `ohne Zuordnung` (nenner 2) is published all the same
    assert by_id.loc[iw("S08", "sozialraum", f"{A1}-OZ"), "status"] == "ok"
    partners = suppressed(result) - {sr1}
    assert partners & {iw("S08", "sozialraum", "SR2"), iw("S08", "sozialraum", "SR3")}
    assert by_id.loc[iw("S08", "kommune", A1), "status"] == "ok"
    assert audit(result, relations, CONFIG).ok
    # the published nenner (3) is the upper bound: SR1 must reach 1 and 3
    for additiv in (False, True):
        lower, upper = Angreifer(cells, relations, additiv=additiv).interval(
            suppressed(result), sr1)
        assert (lower, upper) == (1, 3), additiv
    # the leak: SR1 alone suppressed is the municipality minus the published areas
    alone = audit(with_status(cells, {sr1}), relations, CONFIG)
    assert interval(alone, sr1) == (2.0, 2.0) and not alone.ok


# ---------------------------------------------------------------------------------------
# 4. the audit detects naive patterns
# ---------------------------------------------------------------------------------------
def test_primary_suppression_alone_fails_the_audit():
    failing = 0
    for seed in range(10):
        cells, relations = random_table(seed)
        result, _ = protect(cells, relations, CONFIG)
        primary = set(result.loc[result["sperrart"] == "primaer", "cell_id"])
        if not primary:
            continue
        naive = audit(with_status(cells, primary), relations, CONFIG)
        failing += not naive.ok
        assert audit(result, relations, CONFIG).ok
    assert failing >= 8
    # a primary Sozialraum alone in its municipality: municipality minus the others
    cells = areas("S01", [("sozialraum", "SR1", A1, 1), ("sozialraum", "SR2", A1, 30),
                          ("sozialraum", f"{A1}-OZ", A1, 4), ("kommune", A1, A1, 35)])
    relations = hierarchy_relations(cells)
    naive = audit(with_status(cells, {"S01|sozialraum|SR1"}), relations, CONFIG)
    assert interval(naive, "S01|sozialraum|SR1") == (1.0, 1.0) and not naive.ok


@pytest.mark.parametrize(("b", "geschuetzt"), [(1, False), (2, False), (3, True)])
def test_two_hidden_cells_of_at_least_one_that_add_up_to_little(b, geschuetzt):
    # A = 1 and B hidden, the rest published: A + B = 1 + b. Both are at least 1 (zero is
    # published), so for b = 1 each is exactly 1, although every relation holds two
    # suppressed cells; for b = 2 A lies in [1, 2], short of [1, 3]; for b = 3 in [1, 3]
    cells = counts({"K": 40 + b, "A": 1, "B": b, "C": 39})
    relations = summe("k", "K", ["A", "B", "C"])
    check = audit(with_status(cells, {"A", "B"}, sekundaer={"B"} if b > 2 else set()),
                  relations, CONFIG)
    assert interval(check, "A") == (1.0, float(b))
    assert check.intervalle.set_index("cell_id").loc["A", "geschuetzt"] == geschuetzt
    verdict = Angreifer(cells, relations).urteil({"A", "B"}, {"A", "B"} if b <= 2 else {"A"})
    assert verdict["A"] == geschuetzt
    if b == 1:
        assert set(check.fehler["cell_id"]) == {"A", "B"}
        assert check.engste_breite == 0.0


# ---------------------------------------------------------------------------------------
# 5. stability: patterns and verdicts kept per Berichtsjahr
# ---------------------------------------------------------------------------------------
class Merkliste(dict):
    """A cache that records which keys were written."""

    def __init__(self):
        super().__init__()
        self.geschrieben: list[str] = []

    def __setitem__(self, key, value):
        self.geschrieben.append(key)
        super().__setitem__(key, value)


def drei_jahre(change: int | None = None) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Three Berichtsjahre of random two-way tables (cells `<jahr>|r<i>c<j>`); `change`:
    that year's r0c0 one higher (and its totals)."""
    parts, rels = [], []
    for jahr, seed in ((2022, 2), (2023, 6), (2024, 10)):
        cells, relations = random_table(seed)
        if jahr == change:
            last = cells["cell_id"].iloc[-1]                 # r<n>c<m>, the grand total
            n, m = last[1:].split("c")
            for cell_id in ("r0c0", f"r0c{m}", f"r{n}c0", last):
                cells.loc[cells["cell_id"] == cell_id, "zaehler"] += 1
        cells = cells.assign(berichtsjahr=jahr, reihe=cells["cell_id"],
                             cell_id=f"{jahr}|" + cells["cell_id"])
        relations = relations.assign(cell_id=f"{jahr}|" + relations["cell_id"],
                                     relation_id=f"{jahr}|" + relations["relation_id"])
        parts.append(cells)
        rels.append(relations)
    return pd.concat(parts, ignore_index=True), pd.concat(rels, ignore_index=True)


def pattern(result: pd.DataFrame, jahr: int) -> dict:
    rows = result[(result["berichtsjahr"] == jahr) & (result["status"] == "gesperrt")]
    return dict(zip(rows["cell_id"], zip(rows["sperrart"], rows["grund"], strict=True),
                    strict=True))


def test_protect_and_audit_keep_the_result_of_unchanged_years():
    cells, relations = drei_jahre()
    cache = Merkliste()
    first_stats, second_stats = {}, {}
    first, _ = protect(cells, relations, CONFIG, cache=cache, stats=first_stats)
    assert first_stats["bloecke"] == 3 and first_stats["bloecke_wiederverwendet"] == 0
    assert len(cache.geschrieben) == 3
    second, _ = protect(cells, relations, CONFIG, cache=cache, stats=second_stats)
    assert second_stats["bloecke_wiederverwendet"] == second_stats["bloecke"] == 3
    assert second_stats["lp_anzahl"] == 0 and len(cache.geschrieben) == 3
    pd.testing.assert_frame_equal(first, second)
    # the same with the rows in another order: the same keys, the same pattern
    shuffled, _ = protect(cells.sample(frac=1.0, random_state=1), relations, CONFIG,
                          cache=cache, stats=second_stats)
    assert second_stats["bloecke_wiederverwendet"] == 3
    assert pattern(shuffled, 2023) == pattern(first, 2023)
    assert sum(len(pattern(first, j)) for j in (2022, 2023, 2024)) > 6

    # one value of 2023 changes: 2023 is computed anew, 2022 and 2024 are kept
    changed_cells, changed_relations = drei_jahre(change=2023)
    stats: dict = {}
    changed, _ = protect(changed_cells, changed_relations, CONFIG, cache=cache, stats=stats)
    assert stats["bloecke"] == 3 and stats["bloecke_wiederverwendet"] == 2
    assert len(cache.geschrieben) == 4
    assert pattern(changed, 2022) == pattern(first, 2022)
    assert pattern(changed, 2024) == pattern(first, 2024)
    fresh, _ = protect(changed_cells, changed_relations, CONFIG)
    assert pattern(changed, 2023) == pattern(fresh, 2023)
    assert audit(changed, changed_relations, CONFIG).ok

    # the audit: a year whose cells, values, relations and pattern did not change is not
    # attacked again
    audit_cache = Merkliste()
    checked = audit(first, relations, CONFIG, cache=audit_cache)
    assert len(audit_cache.geschrieben) == 3 and checked.lp_anzahl > 0
    again = audit(first, relations, CONFIG, cache=audit_cache)
    assert again.lp_anzahl == 0 and len(audit_cache.geschrieben) == 3
    pd.testing.assert_frame_equal(checked.intervalle, again.intervalle)
    pd.testing.assert_frame_equal(checked.intervalle,
                                  audit(first, relations, CONFIG).intervalle)
    after = audit(changed, changed_relations, CONFIG, cache=audit_cache)
    assert len(audit_cache.geschrieben) == 4 and after.ok
    kept = after.intervalle[~after.intervalle["cell_id"].str.startswith("2023|")]
    before = checked.intervalle[~checked.intervalle["cell_id"].str.startswith("2023|")]
    pd.testing.assert_frame_equal(kept.reset_index(drop=True), before.reset_index(drop=True))
    pd.testing.assert_frame_equal(after.intervalle,
                                  audit(changed, changed_relations, CONFIG).intervalle)


# ---------------------------------------------------------------------------------------
# 6. the cost order of secondary cells
# ---------------------------------------------------------------------------------------
def gemeinde(sozialraeume: list[float], oz: float, **spalten) -> pd.DataFrame:
    """Municipality A1 with Sozialräume SR0.. and `ohne Zuordnung`, municipality A2 with one
    area, and the county. `spalten`: per cell_id suffix, extra column values."""
    rows = [("sozialraum", f"SR{i}", A1, v) for i, v in enumerate(sozialraeume)]
    rows += [("sozialraum", f"{A1}-OZ", A1, oz), ("kommune", A1, A1, sum(sozialraeume) + oz),
             ("sozialraum", "SRX", A2, 30), ("sozialraum", f"{A2}-OZ", A2, 5),
             ("kommune", A2, A2, 35), ("kreis", KREIS, None, sum(sozialraeume) + oz + 35)]
    cells = areas("S01", rows)
    for column, per_cell in spalten.items():
        cells[column] = cells["cell_id"].map(per_cell).fillna(cells.get(column, False))
    return cells


SR = "S01|sozialraum|SR{}".format
OZ1, K1, K2, KR = (f"S01|sozialraum|{A1}-OZ", f"S01|kommune|{A1}", f"S01|kommune|{A2}",
                   f"S01|kreis|{KREIS}")


@pytest.mark.parametrize(("sozialraeume", "oz", "partner"), [
    ([1, 3, 20], 5, OZ1),       # `ohne Zuordnung` before a smaller Sozialraum
    ([1, 3, 20], 0, SR(1)),     # no OZ: the smallest Sozialraum, not the municipality
    ([1, 40], 0, SR(1)),        # one Sozialraum left: it, however large
])
def test_secondary_partner_of_a_sozialraum_is_no_kommune_value(sozialraeume, oz, partner):
    cells = gemeinde(sozialraeume, oz)
    relations = hierarchy_relations(cells)
    result, _ = protect(cells, relations, CONFIG)
    assert suppressed(result) == {SR(0), partner}
    assert audit(result, relations, CONFIG).ok


@pytest.mark.parametrize("unsperrbar", ["null", "fest", "nicht_sensibel"])
def test_kommune_value_only_where_no_sozialraum_can_protect(unsperrbar):
    # SR0 = 1 is primary; SR1 cannot be suppressed (0, `fest` or not sensitive), OZ is 0:
    # only the municipality is left. The county relation then needs the other
    # municipality (never the county value), and that one a Sozialraum of its own.
    value = 0 if unsperrbar == "null" else 15
    extra = {"fest": {SR(1): True}} if unsperrbar == "fest" else (
        {"sensibel": {SR(1): False}} if unsperrbar == "nicht_sensibel" else {})
    cells = gemeinde([1, value], 0, **extra)
    relations = hierarchy_relations(cells)
    result, _ = protect(cells, relations, CONFIG)
    hidden = suppressed(result)
    assert {SR(0), K1, K2} <= hidden
    assert KR not in hidden and SR(1) not in hidden
    assert len(hidden & {"S01|sozialraum|SRX", f"S01|sozialraum|{A2}-OZ"}) == 1
    # (with SR1 = 0 the municipality is 1, primary itself)
    by_id = result.set_index("cell_id")
    assert by_id.loc[K1, "sperrart"] == ("primaer" if unsperrbar == "null" else "sekundaer")
    assert audit(result, relations, CONFIG).ok


def test_county_value_is_never_suppressed_even_when_a_municipality_is_primary():
    cells = gemeinde([1, 1], 0)           # municipality A1 = 2: primary itself
    relations = hierarchy_relations(cells)
    result, _ = protect(cells, relations, CONFIG)
    hidden = suppressed(result)
    assert {SR(0), SR(1), K1} <= hidden and KR not in hidden
    assert K2 in hidden                    # the only other part of the county relation
    assert audit(result, relations, CONFIG).ok


# ---------------------------------------------------------------------------------------
# 7. the previous Berichtsjahr's pattern is reused
# ---------------------------------------------------------------------------------------
def zwei_jahre(reihe: bool, a_2024: float = 5) -> tuple[pd.DataFrame, pd.DataFrame]:
    """SR1 = 1 every year; SRA and SRB the candidates. 2023: SRB (4) is smaller than SRA
    (5), so SRB is the partner; 2024: SRA and SRB equal (5) or SRA smaller (4)."""
    def year(jahr: int, a: float, b: float) -> pd.DataFrame:
        return areas("S01", [
            ("sozialraum", "SR1", A1, 1), ("sozialraum", "SRA", A1, a),
            ("sozialraum", "SRB", A1, b), ("sozialraum", f"{A1}-OZ", A1, 0),
            ("kommune", A1, A1, 1 + a + b), ("sozialraum", "SR4", A2, 30),
            ("kommune", A2, A2, 30), ("kreis", KREIS, None, 31 + a + b)], jahr=jahr)
    cells = pd.concat([year(2023, 5, 4), year(2024, a_2024, 5)], ignore_index=True)
    if not reihe:
        cells = cells.drop(columns="reihe")
    return cells, hierarchy_relations(cells)


@pytest.mark.parametrize(("reihe", "a_2024", "partner"), [
    (False, 5, "SRA"),     # no history: equal candidates, the first by cell_id
    (True, 5, "SRB"),      # the partner of 2023 is preferred
    (True, 4, "SRB"),      # even to a smaller cell
    (False, 4, "SRA"),
])
def test_previous_years_partner_is_preferred(reihe, a_2024, partner):
    cells, relations = zwei_jahre(reihe, a_2024)
    result, _ = protect(cells, relations, CONFIG)
    assert pattern(result, 2023) == {
        "S01|sozialraum|SR1|2023": ("primaer", "zaehler<3"),
        "S01|sozialraum|SRB|2023": ("sekundaer", "sekundaer:S01|2023|sozialraum|05999004")}
    assert set(pattern(result, 2024)) == {"S01|sozialraum|SR1", f"S01|sozialraum|{partner}"}
    assert audit(result, relations, CONFIG).ok


@pytest.mark.parametrize("huelle", [False, True], ids=["regionen", "mit_huelle"])
@pytest.mark.parametrize("generator", [two_way, three_way, hierarchy],
                         ids=["zweidimensional", "dreidimensional", "hierarchie"])
def test_region_lps_give_the_verdict_of_the_full_lp(generator, huelle, monkeypatch):
    # restricted LPs per region (audit._Regionen) for every component, with regions of a
    # few cells, and (huelle) the relaxations that show failing sides, as protect uses
    # them: the verdict must be the exact one; a passing side shows a value inside the
    # exact interval (the regions only ever exhibit feasible points), a side failing by
    # a relaxation shows a bound beyond the exact one
    calls = {"settle": 0, "partner": 0, "huelle": 0}
    original_settle = audit_modul._Regionen.settle
    original_partner = audit_modul._Regionen.with_partner
    original_pruefen = audit_modul.pruefen
    original_hull = audit_modul._Huelle.side

    def settle(self, free, *args, **kwargs):
        calls["settle"] += 1
        return original_settle(self, free, *args, **kwargs)

    def with_partner(self, free):
        calls["partner"] += 1
        return original_partner(self, free)

    def hull_side(self, j, side):
        calls["huelle"] += 1
        return original_hull(self, j, side)

    def pruefen(*args, **kwargs):
        return original_pruefen(*args, **{**kwargs, "huelle": huelle})

    compared = failing = 0
    for seed in range(10):
        rng = np.random.default_rng(9100 + seed)
        cells, relations = generator(rng)
        for name, supp, primary in patterns(rng, cells, relations):
            publication = with_status(cells, supp, sekundaer=supp - primary)
            exact = audit(publication, relations, CONFIG, exakt=True)
            with monkeypatch.context() as patch:
                patch.setattr(audit_modul, "_REGIONS_FROM", 0)
                patch.setattr(audit_modul, "_REGION_CELLS", 2 + seed % 4)
                if seed % 2:
                    patch.setattr(audit_modul, "_WITNESS_ROUNDS", 0)
                patch.setattr(audit_modul._Regionen, "settle", settle)
                patch.setattr(audit_modul._Regionen, "with_partner", with_partner)
                patch.setattr(audit_modul._Huelle, "side", hull_side)
                patch.setattr(audit_modul, "pruefen", pruefen)
                regional = audit(publication, relations, CONFIG, exakt=False)
            e = exact.intervalle.set_index("cell_id")
            g = regional.intervalle.set_index("cell_id")
            assert list(e.index) == list(g.index), (seed, name)
            assert (e["geschuetzt"] == g["geschuetzt"]).all(), (seed, name)
            ok = e["geschuetzt"]
            if huelle:
                # a failing side may show the relaxation's bound, beyond the exact one
                assert (g.loc[ok, "unten"] >= e.loc[ok, "unten"]).all(), (seed, name)
                assert (g.loc[ok, "oben"] <= e.loc[ok, "oben"]).all(), (seed, name)
            else:
                assert (g["unten"] >= e["unten"]).all(), (seed, name)
                assert (g["oben"] <= e["oben"]).all(), (seed, name)
            compared += len(e)
            failing += int((~ok).sum())
    assert compared >= 100 and failing >= 20, (compared, failing)
    assert calls["settle"] >= 20 and calls["partner"] >= 5, calls
    assert (calls["huelle"] >= 20) == huelle, calls


@pytest.mark.parametrize("generator", [two_way, three_way, hierarchy],
                         ids=["zweidimensional", "dreidimensional", "hierarchie"])
def test_floor_shown_by_a_region_lies_within_the_exact_floor(generator, monkeypatch):
    # Bedarf.boden_erreicht: a restricted LP over the cell's region of the all-suppressed
    # publication may only say "the exact floor reaches the target" when it does
    seen = {"gezeigt": 0, "nicht_gezeigt": 0, "genau_verfehlt": 0}
    for seed in range(10):
        rng = np.random.default_rng(9700 + seed)
        cells, relations = generator(rng)
        system = with_relation_bounds(build_system(cells, relations))
        values = numeric(cells, "zaehler")
        hidden = np.zeros(len(cells), dtype=bool)
        frei = audit_modul.sperrbar(cells, system, values)
        primary = frei & (rng.random(len(cells)) < 0.5)
        with monkeypatch.context() as patch:
            patch.setattr(audit_modul, "_REGIONS_FROM", 0)
            patch.setattr(audit_modul, "_REGION_CELLS", 2 + seed % 4)
            need = audit_modul.bedarf(system, hidden, primary, values, CONFIG, frei=frei)
            for cell in np.flatnonzero(frei).tolist():
                for side in ("lo", "up"):
                    # targets around the value: some within the floor, some beyond it
                    for shift in (-3.0, -1.0, 0.0, 1.0, 3.0):
                        target = values[cell] + shift
                        tol = 1e-6 * max(abs(values[cell]), 1.0)
                        shown = need.boden_erreicht(system, values, cell, side, target, tol)
                        floor = need.exakter_boden(system, values, cell, side)
                        exact = (floor <= target + tol if side == "lo"
                                 else floor >= target - tol)
                        if shown:
                            assert exact, (seed, system.cell_ids[cell], side, target, floor)
                            seen["gezeigt"] += 1
                        else:
                            seen["nicht_gezeigt"] += 1
                            seen["genau_verfehlt"] += not exact
    assert seen["gezeigt"] >= 200 and seen["genau_verfehlt"] >= 100, seen


@pytest.mark.parametrize("b", [1_800, 1_800_000, 180_000_000])
def test_an_exactly_derivable_secondary_cell_fails_whatever_its_size(b):
    # K = A + B with K and A published: the secondary B is K - A exactly. The numerical
    # slack of comparisons grows with the value; it must never swallow the requirement of
    # one unit (it did above one million: a relative slack of 1e-6 is more than 1)
    cells = counts({"K": b + 7, "A": 7, "B": b})
    relations = summe("k", "K", ["A", "B"])
    check = audit(with_status(cells, {"B"}, sekundaer={"B"}), relations, CONFIG)
    assert interval(check, "B") == (float(b), float(b))
    assert not check.intervalle.set_index("cell_id").loc["B", "geschuetzt"]
    assert not check.ok
