"""Disclosure control (dagster_project/lib/geheimhaltung): primary rules, secondary
suppression on hierarchies and breakdown tables, and the attacker audit, checked against
an independent attacker written here with scipy's linprog.

The rules (shared/spec/privacy-and-publishing.md, "Disclosure control"): every suppressed
cell has the one status `gesperrt` (primary or secondary only in the private `sperrart`);
zero is always published; the attacker knows that a suppressed count is at least 1, that
a numerator lies between 0 and its published nenner, and the relations, which may carry a
`konstante` (sum(koeffizient * zaehler) = konstante). A primary cell's interval must reach
2 below and above its value, clipped at what the attacker knows whatever is suppressed; a
secondary cell must only not be derivable exactly.
"""

import math

import numpy as np
import pandas as pd
import pytest
from scipy.optimize import linprog

from dagster_project.lib.geheimhaltung import (
    GeheimhaltungConfig,
    GeheimhaltungConfigError,
    GeheimhaltungError,
    audit,
    config_from_mapping,
    hierarchy_relations,
    protect,
    summen_relations,
    veroeffentlicht,
)

CONFIG = GeheimhaltungConfig()
NO_RELATIONS = pd.DataFrame(columns=["relation_id", "cell_id", "koeffizient"])


def cells_frame(rows: list[dict]) -> pd.DataFrame:
    """Cells with the engine's columns; each row gives at least `cell_id` and `zaehler`."""
    defaults = {"tabelle": "t", "wert_art": "anzahl", "sensibel": True, "nenner": np.nan,
                "n_beitraege": np.nan, "max_beitrag": np.nan}
    return pd.DataFrame([{**defaults, **row} for row in rows])


def counts(values: dict[str, float]) -> pd.DataFrame:
    return cells_frame([{"cell_id": k, "zaehler": v} for k, v in values.items()])


def summe(relation_id: str, total: str, parts: list[str], konstante: float = 0.0
          ) -> pd.DataFrame:
    """The relation `total - sum(parts) = konstante`."""
    return pd.DataFrame({"relation_id": relation_id, "cell_id": [total, *parts],
                         "koeffizient": [1.0] + [-1.0] * len(parts),
                         "konstante": konstante})


def status(result: pd.DataFrame) -> dict[str, str]:
    return dict(zip(result["cell_id"], result["status"], strict=True))


def suppressed(result: pd.DataFrame) -> set[str]:
    return set(result.loc[result["status"] == "gesperrt", "cell_id"])


def with_status(cells: pd.DataFrame, gesperrt: set[str], sekundaer: set[str] = frozenset()
                ) -> pd.DataFrame:
    """A hand-made publication: the given cells suppressed (primary unless named in
    `sekundaer`), all others published."""
    hidden = cells["cell_id"].isin(gesperrt)
    return cells.assign(
        status=np.where(hidden, "gesperrt", "ok"),
        sperrart=np.where(hidden, np.where(cells["cell_id"].isin(sekundaer), "sekundaer",
                                           "primaer"), None))


def interval(check, cell_id: str) -> tuple[float, float]:
    row = check.intervalle.set_index("cell_id").loc[cell_id]
    return row["unten"], row["oben"]


def no_relation_with_one_suppressed(result: pd.DataFrame, relations: pd.DataFrame) -> bool:
    hidden = relations["cell_id"].map(dict(zip(result["cell_id"],
                                               result["status"] == "gesperrt", strict=True)))
    return bool((hidden.groupby(relations["relation_id"]).sum() != 1).all())


# ---------------------------------------------------------------------------------------
# the independent attacker: one LP over every cell of the table
# ---------------------------------------------------------------------------------------
class Angreifer:
    """The test's own attacker (scipy linprog over the whole table, no shortcut).

    Published cells are fixed at their value; a suppressed cell lies within its a-priori
    bounds: at least 1 for a count or numerator with a true value above 0 (zero is never
    suppressed), else 0 or `untergrenze`; at most the published `nenner` of a share
    ('anteil'), or `obergrenze`. Relations are equations with right-hand side
    `konstante` (or 0 with `additiv=True`: an attacker who assumes plain additivity).
    Bounds of counts are rounded inwards (whole numbers)."""

    def __init__(self, cells: pd.DataFrame, relations: pd.DataFrame, *, additiv: bool = False):
        self.cells = cells.reset_index(drop=True)
        self.ids = self.cells["cell_id"].astype(str).tolist()
        self.col = {c: k for k, c in enumerate(self.ids)}
        rel_ids = sorted(set(relations["relation_id"].astype(str)))
        row = {r: k for k, r in enumerate(rel_ids)}
        self.a_eq = np.zeros((len(rel_ids), len(self.ids)))
        self.b_eq = np.zeros(len(rel_ids))
        konstante = (relations["konstante"].fillna(0.0) if "konstante" in relations.columns
                     else pd.Series(0.0, index=relations.index))
        for r, c, k, b in zip(relations["relation_id"].astype(str),
                              relations["cell_id"].astype(str), relations["koeffizient"],
                              konstante, strict=True):
            self.a_eq[row[r], self.col[c]] += k
            if not additiv:
                self.b_eq[row[r]] = b
        self.values = self.cells["zaehler"].to_numpy(float)
        art = self.cells["wert_art"].to_numpy()
        self.whole = art != "geld"
        nenner = (self.cells["nenner"].to_numpy(float) if "nenner" in self.cells.columns
                  else np.full(len(self.ids), np.nan))
        lower = (self.cells["untergrenze"].to_numpy(float)
                 if "untergrenze" in self.cells.columns else np.full(len(self.ids), np.nan))
        upper = (self.cells["obergrenze"].to_numpy(float)
                 if "obergrenze" in self.cells.columns else np.full(len(self.ids), np.nan))
        self.lb = np.where(np.isnan(lower), 0.0, lower)
        self.ub = np.where((art == "anteil") & ~np.isnan(nenner), nenner, np.inf)
        self.ub = np.where(np.isnan(upper), self.ub, upper)
        self.verborgen = (self.cells["verborgen"].fillna(False).astype(bool).to_numpy()
                          if "verborgen" in self.cells.columns
                          else np.zeros(len(self.ids), dtype=bool))
        self._floors: dict = {}
        self.intervalle: dict[str, tuple[float, float]] = {}   # of the last `urteil`

    def bounds(self, supp: set[str]) -> list[tuple[float, float | None]]:
        out = []
        for k, c in enumerate(self.ids):
            v = self.values[k]
            if c not in supp:
                out.append((v, v))
                continue
            lb = self.lb[k]
            if self.whole[k] and v > 0 and not self.verborgen[k]:
                lb = max(lb, 1.0)
            ub = self.ub[k]
            out.append((lb, None if math.isinf(ub) else ub))
        return out

    def interval(self, supp: set[str], cell_id: str, bounds=None) -> tuple[float, float]:
        """The attacker's tightest interval of one suppressed cell (rounded inwards for
        whole numbers); -inf / inf where nothing limits a side."""
        bounds = self.bounds(supp) if bounds is None else bounds
        k = self.col[cell_id]
        out = []
        for sign in (1.0, -1.0):
            objective = np.zeros(len(self.ids))
            objective[k] = sign
            lp = linprog(objective, A_eq=self.a_eq, b_eq=self.b_eq, bounds=bounds,
                         method="highs")
            if lp.status == 3:
                out.append(-sign * math.inf)
                continue
            assert lp.status == 0, (cell_id, lp.message)
            out.append(sign * lp.fun)
        lo, hi = out
        if self.whole[k]:
            lo = math.ceil(lo - 1e-6) if math.isfinite(lo) else lo
            hi = math.floor(hi + 1e-6) if math.isfinite(hi) else hi
        return lo, hi

    def intervals(self, supp: set[str]) -> dict[str, tuple[float, float]]:
        bounds = self.bounds(supp)
        return {c: self.interval(supp, c, bounds) for c in sorted(supp)}

    def frei(self, supp: set[str]) -> set[str]:
        """Cells the rules allow to suppress at all: sensitive, not 0, not `fest`, not a
        `kreis` value, not hidden; plus the suppressed ones."""
        c = self.cells
        ok = c["sensibel"].fillna(False).astype(bool) & (c["zaehler"] != 0) & ~self.verborgen
        if "fest" in c.columns:
            ok &= ~c["fest"].fillna(False).astype(bool)
        if "ebene" in c.columns:
            ok &= c["ebene"].astype(str) != "kreis"
        return set(c.loc[ok, "cell_id"].astype(str)) | set(supp)

    def urteil(self, supp: set[str], primaer: set[str], config: GeheimhaltungConfig = CONFIG
               ) -> dict[str, bool | None]:
        """Per suppressed (not hidden) cell: protected?  None where the floors (what the
        attacker knows whatever is suppressed, i.e. with every `frei` cell suppressed) fix
        the cell: nothing to judge. The intervals are kept in `intervalle`."""
        frei = frozenset(self.frei(supp))
        now_bounds = self.bounds(supp)
        out: dict[str, bool | None] = {}
        self.intervalle = {}
        for c in sorted(supp):
            k = self.col[c]
            if self.verborgen[k]:
                continue
            v = self.values[k]
            lo, hi = self.intervalle[c] = self.interval(supp, c, now_bounds)
            if v == 0:
                out[c] = False            # zero is never suppressed: the status discloses
                continue
            whole = self.whole[k]
            if c in primaer:
                p = (config.schutzbereich if whole else
                     max(config.schutzbereich_geld_anteil * abs(v), config.schutzbereich_geld_min))
            else:
                p = 1.0 if whole else config.schutzbereich_geld_min
            want_lo, want_hi = v - p, v + p
            if whole:
                want_lo, want_hi = math.floor(want_lo + 1e-9), math.ceil(want_hi - 1e-9)
            # clipped at the a-priori bounds first; the floors (LPs) only where that fails
            box_lo, box_hi = now_bounds[k][0], now_bounds[k][1]
            box_hi = math.inf if box_hi is None else box_hi
            verdict = self._judge(c in primaer, v, lo, hi, max(want_lo, box_lo),
                                  min(want_hi, box_hi))
            if not verdict:
                if (frei, c) not in self._floors:
                    self._floors[(frei, c)] = self.interval(frei, c, self.bounds(frei))
                floor_lo, floor_hi = self._floors[(frei, c)]
                if floor_hi - floor_lo < 1e-6:
                    out[c] = None
                    continue
                verdict = self._judge(c in primaer, v, lo, hi, max(want_lo, floor_lo),
                                      min(want_hi, floor_hi))
            out[c] = verdict
        return out

    @staticmethod
    def _judge(primary: bool, v: float, lo: float, hi: float, need_lo: float, need_hi: float
               ) -> bool:
        tol = 1e-6 * max(abs(v), 1.0)
        if primary:
            return bool(lo <= need_lo + tol and hi >= need_hi - tol and hi - lo > tol)
        # secondary: one side must reach one unit beyond the value
        return bool((need_lo < v - tol and lo <= need_lo + tol)
                    or (need_hi > v + tol and hi >= need_hi - tol))


# ---------------------------------------------------------------------------------------
# primary suppression
# ---------------------------------------------------------------------------------------
def test_counts_one_and_two_suppressed_zero_and_three_published():
    result, log = protect(counts({"n0": 0, "n1": 1, "n2": 2, "n3": 3}), NO_RELATIONS, CONFIG)
    assert status(result) == {"n0": "ok", "n1": "gesperrt", "n2": "gesperrt", "n3": "ok"}
    by_id = result.set_index("cell_id")
    assert by_id.loc["n1", "grund"] == "zaehler<3"
    assert by_id.loc["n1", "sperrart"] == "primaer"
    assert by_id["grund"].isna().loc[["n0", "n3"]].all()
    assert by_id["sperrart"].isna().loc[["n0", "n3"]].all()
    assert sorted(log["cell_id"]) == ["n1", "n2"]
    assert set(log["status"]) == {"gesperrt"} and set(log["sperrart"]) == {"primaer"}
    assert (log["regelwerk_version"] == CONFIG.regelwerk_version).all()
    assert '"min_count": 3' in log["config"].iloc[0]


def test_share_with_small_nenner_suppressed_but_a_zero_numerator_published():
    cells = cells_frame([
        {"cell_id": "klein", "wert_art": "anteil", "zaehler": 5, "nenner": 9},
        {"cell_id": "null", "wert_art": "anteil", "zaehler": 0, "nenner": 9},
        {"cell_id": "null_drei", "wert_art": "anteil", "zaehler": 0, "nenner": 3},
        {"cell_id": "zehn", "wert_art": "anteil", "zaehler": 5, "nenner": 10},
        {"cell_id": "kein_nenner", "wert_art": "anteil", "zaehler": 0, "nenner": 0},
    ])
    result, _ = protect(cells, NO_RELATIONS, CONFIG)
    # zero is always published, also as the numerator of a share with a small nenner
    assert status(result) == {"klein": "gesperrt", "null": "ok", "null_drei": "ok",
                              "zehn": "ok", "kein_nenner": "ok"}
    assert result.set_index("cell_id").loc["klein", "grund"] == "nenner<10"


def test_share_with_complement_one_or_two_suppressed():
    cells = cells_frame([
        {"cell_id": f"k{k}", "wert_art": "anteil", "zaehler": 20 - k, "nenner": 20}
        for k in range(4)])
    result, _ = protect(cells, NO_RELATIONS, CONFIG)
    assert status(result) == {"k0": "ok", "k1": "gesperrt", "k2": "gesperrt", "k3": "ok"}
    assert result.set_index("cell_id").loc["k1", "grund"] == "komplement<3"


def test_money_with_few_cases_or_one_dominant_case_suppressed():
    cells = cells_frame([
        {"cell_id": "zwei_faelle", "zaehler": 5000.0, "n_beitraege": 2, "max_beitrag": 3000.0},
        {"cell_id": "ok", "zaehler": 5000.0, "n_beitraege": 3, "max_beitrag": 4250.0},
        {"cell_id": "dominanz", "zaehler": 5000.0, "n_beitraege": 5, "max_beitrag": 4300.0},
        {"cell_id": "keine_faelle", "zaehler": 0.0, "n_beitraege": 0, "max_beitrag": np.nan},
        {"cell_id": "je_einwohner", "zaehler": 9000.0, "nenner": 8, "n_beitraege": 4,
         "max_beitrag": 3000.0},
    ]).assign(wert_art="geld")
    result, _ = protect(cells, NO_RELATIONS, CONFIG)
    grund = result.set_index("cell_id")["grund"]
    assert status(result) == {"zwei_faelle": "gesperrt", "ok": "ok", "dominanz": "gesperrt",
                              "keine_faelle": "ok", "je_einwohner": "gesperrt"}
    assert grund["zwei_faelle"] == "wenige_faelle"
    assert grund["dominanz"] == "dominanz"          # 4300 / 5000 = 86 % > 85 %
    assert grund["je_einwohner"] == "nenner<10"


def test_several_reasons_are_all_named():
    cells = cells_frame([{"cell_id": "a", "wert_art": "anteil", "zaehler": 2, "nenner": 4}])
    result, _ = protect(cells, NO_RELATIONS, CONFIG)
    assert result.loc[0, "grund"] == "zaehler<3,nenner<10,komplement<3"


def test_non_sensitive_and_hidden_cells_are_never_primary_suppressed():
    cells = cells_frame([
        {"cell_id": "eins", "zaehler": 1},
        {"cell_id": "anteil", "wert_art": "anteil", "zaehler": 1, "nenner": 2},
        {"cell_id": "geld", "wert_art": "geld", "zaehler": 900.0, "n_beitraege": 1,
         "max_beitrag": 900.0},
    ]).assign(sensibel=False)
    result, log = protect(cells, NO_RELATIONS, CONFIG)
    assert set(result["status"]) == {"ok"}
    assert log.empty
    hidden = counts({"h": 1}).assign(verborgen=True)
    result, log = protect(hidden, NO_RELATIONS, CONFIG)
    assert status(result) == {"h": "verborgen"} and log.empty
    assert result["sperrart"].isna().all()


def test_min_count_five_changes_the_result():
    cells = pd.concat([
        counts({"n3": 3, "n4": 4, "n5": 5}),
        cells_frame([{"cell_id": "k4", "wert_art": "anteil", "zaehler": 16, "nenner": 20}]),
    ], ignore_index=True)
    default, _ = protect(cells, NO_RELATIONS, CONFIG)
    stricter, _ = protect(cells, NO_RELATIONS, GeheimhaltungConfig(min_count=5))
    assert suppressed(default) == set()
    assert suppressed(stricter) == {"n3", "n4", "k4"}
    grund = stricter.set_index("cell_id")["grund"]
    assert grund["n3"] == "zaehler<5"
    assert grund["k4"] == "komplement<5"


def test_settings_are_checked_with_the_key_named():
    assert config_from_mapping({"min_count": 4.0}).min_count == 4
    assert config_from_mapping(None) == GeheimhaltungConfig()
    with pytest.raises(GeheimhaltungConfigError, match="unbekannte Einstellung.*min_cnt"):
        config_from_mapping({"min_cnt": 4})
    with pytest.raises(GeheimhaltungConfigError, match=r"geheimhaltung\.min_count: ganze Zahl"):
        config_from_mapping({"min_count": 2.5})
    with pytest.raises(GeheimhaltungConfigError, match=r"dominanz_anteil: muss größer als 0"):
        config_from_mapping({"dominanz_anteil": 0})


# ---------------------------------------------------------------------------------------
# secondary suppression on the area hierarchy
# ---------------------------------------------------------------------------------------
def ebene(gliederung: str, raum: str) -> str:
    if gliederung in ("kommune", "kreis"):
        return gliederung
    return "oz" if raum.endswith("-OZ") else "raum"


def areas(code: str, rows: list[tuple[str, str, str | None, float]], jahr: int = 2024,
          **extra) -> pd.DataFrame:
    """Cells of one indicator and year: (gliederung, raum_id, ags, zaehler) per area, with
    the cost columns `ebene`, `gebiet` and `reihe`."""
    return cells_frame([
        {"cell_id": f"{code}|{gl}|{raum}" + ("" if jahr == 2024 else f"|{jahr}"),
         "code": code, "berichtsjahr": jahr, "gliederung": gl, "raum_id": raum, "ags": ags,
         "zaehler": z, "ebene": ebene(gl, raum), "gebiet": f"{gl}|{raum}",
         "reihe": f"{code}|{gl}|{raum}", **extra}
        for gl, raum, ags, z in rows])


A1, A2, A3 = "05999004", "05999008", "05999012"


def test_municipality_with_one_suppressed_area_gets_a_second_suppression():
    cells = areas("S01", [
        ("sozialraum", "SR1", A1, 1), ("sozialraum", "SR2", A1, 30),
        ("sozialraum", "SR3", A1, 12), ("sozialraum", f"{A1}-OZ", A1, 4),
        ("kommune", A1, A1, 47),
        ("sozialraum", "SR4", A2, 20), ("sozialraum", "SR5", A2, 25),
        ("sozialraum", f"{A2}-OZ", A2, 0), ("kommune", A2, A2, 45),
        ("kreis", "05999", None, 92),
    ])
    relations = hierarchy_relations(cells)
    assert set(relations["relation_id"]) == {
        f"S01|2024|sozialraum|{A1}", f"S01|2024|sozialraum|{A2}", "S01|2024|kommune|05999"}
    result, log = protect(cells, relations, CONFIG)
    by_id = result.set_index("cell_id")
    assert by_id.loc["S01|sozialraum|SR1", "status"] == "gesperrt"
    assert by_id.loc["S01|sozialraum|SR1", "sperrart"] == "primaer"
    # `ohne Zuordnung` is the preferred partner; 1 + 4 = 5 with both at least 1 leaves the
    # 1 anywhere in [1, 4], enough for [1, 3]: no third cell, the municipality stays
    oz = f"S01|sozialraum|{A1}-OZ"
    assert by_id.loc[oz, "status"] == "gesperrt"
    assert by_id.loc[oz, "sperrart"] == "sekundaer"
    assert by_id.loc[oz, "grund"] == f"sekundaer:S01|2024|sozialraum|{A1}"
    assert suppressed(result) == {"S01|sozialraum|SR1", oz}
    assert set(result["status"]) == {"ok", "gesperrt"}
    assert dict(zip(log["cell_id"], log["sperrart"], strict=True)) == {
        "S01|sozialraum|SR1": "primaer", oz: "sekundaer"}
    check = audit(result, relations, CONFIG)
    assert check.ok
    assert interval(check, "S01|sozialraum|SR1") == (1.0, 4.0)


def test_cells_shared_by_several_groups_are_protected_in_all_of_them():
    # the municipality cell of A1 is the total of two Gliederungen and a part of the county
    rows = [("sozialraum", "SR1", A1, 1), ("sozialraum", "SR2", A1, 1),
            ("sozialraum", f"{A1}-OZ", A1, 0),
            ("schulbezirk", "SB1", A1, 2), ("schulbezirk", f"{A1}-OZ", A1, 0),
            ("kommune", A1, A1, 2)]
    for ags, parts in ((A2, (14, 20, 6)), (A3, (9, 8, 3))):
        rows += [("sozialraum", f"SR{ags}{i}", ags, z) for i, z in enumerate(parts)]
        rows += [("schulbezirk", f"SB{ags}a", ags, parts[0] + parts[1]),
                 ("schulbezirk", f"SB{ags}b", ags, parts[2])]
        rows.append(("kommune", ags, ags, sum(parts)))
    rows.append(("kreis", "05999", None, 2 + 40 + 20))
    cells = areas("E01", rows)
    relations = hierarchy_relations(cells)
    assert relations.groupby("relation_id").size().to_dict() == {
        f"E01|2024|schulbezirk|{a}": n for a, n in ((A1, 3), (A2, 3), (A3, 3))} | {
        f"E01|2024|sozialraum|{a}": n for a, n in ((A1, 4), (A2, 4), (A3, 4))} | {
        "E01|2024|kommune|05999": 4}
    result, _ = protect(cells, relations, CONFIG)
    hidden = suppressed(result)
    primary = set(result.loc[result["sperrart"] == "primaer", "cell_id"])
    assert primary == {f"E01|kommune|{A1}", "E01|sozialraum|SR1", "E01|sozialraum|SR2",
                       "E01|schulbezirk|SB1"}
    # the county relation then needs a second municipality (never the county), and that
    # municipality's two Gliederungen each a suppressed area: consistent across all groups
    assert "E01|kreis|05999" not in hidden
    partner = hidden & {f"E01|kommune|{A2}", f"E01|kommune|{A3}"}
    assert len(partner) == 1
    ags = partner.pop().split("|")[-1]
    assert hidden & {f"E01|sozialraum|SR{ags}{i}" for i in range(3)}
    assert hidden & {f"E01|schulbezirk|SB{ags}a", f"E01|schulbezirk|SB{ags}b"}
    assert not hidden & {f"E01|sozialraum|{A1}-OZ", f"E01|schulbezirk|{A1}-OZ"}   # zeros
    assert no_relation_with_one_suppressed(result, relations)
    check = audit(result, relations, CONFIG)
    assert check.ok and check.geprueft == len(hidden)


def test_planungsraum_crossing_municipal_borders_adds_up_to_the_county():
    rows = [("sozialraum", "SR1", A1, 30), ("sozialraum", "SR2", A1, 2),
            ("sozialraum", f"{A1}-OZ", A1, 1), ("kommune", A1, A1, 33),
            ("sozialraum", "SR3", A2, 25), ("sozialraum", "SR4", A2, 17),
            ("sozialraum", f"{A2}-OZ", A2, 0), ("kommune", A2, A2, 42),
            # PR1 = SR1, PR2 = SR2 + SR3 (across the border, no ags), PR3 = SR4
            ("planungsraum", "PR1", A1, 30), ("planungsraum", "PR2", None, 27),
            ("planungsraum", "PR3", A2, 17), ("planungsraum", f"{A1}-OZ", None, 1),
            ("planungsraum", f"{A2}-OZ", None, 0),
            ("kreis", "05999", None, 75)]
    cells = areas("S03", rows)
    relations = hierarchy_relations(cells)
    county = relations[relations["relation_id"] == "S03|2024|planungsraum|05999"]
    assert dict(zip(county["cell_id"], county["koeffizient"], strict=True)) == {
        "S03|kreis|05999": 1.0, "S03|planungsraum|PR1": -1.0, "S03|planungsraum|PR2": -1.0,
        "S03|planungsraum|PR3": -1.0, f"S03|planungsraum|{A1}-OZ": -1.0,
        f"S03|planungsraum|{A2}-OZ": -1.0}
    assert not relations["relation_id"].str.contains(f"planungsraum\\|{A1}").any()
    result, _ = protect(cells, relations, CONFIG)
    hidden = suppressed(result)
    assert {f"S03|planungsraum|{A1}-OZ", "S03|sozialraum|SR2",
            f"S03|sozialraum|{A1}-OZ"} <= hidden                   # primary (1, 2, 1)
    assert "S03|kreis|05999" not in hidden
    assert no_relation_with_one_suppressed(result, relations)
    check = audit(result, relations, CONFIG)
    assert check.ok
    # the independent attacker agrees, cell by cell
    primary = set(result.loc[result["sperrart"] == "primaer", "cell_id"])
    verdict = Angreifer(cells, relations).urteil(hidden, primary)
    assert all(v is not False for v in verdict.values()), verdict


def test_zero_is_never_a_secondary_cell():
    # municipality 5 = A 1 + B 0 + C 4: the partner of A is C; B (0) would hide nothing
    cells = counts({"A": 1, "B": 0, "C": 4, "G": 5})
    relations = summe("g", "G", ["A", "B", "C"])
    result, _ = protect(cells, relations, CONFIG)
    assert suppressed(result) == {"A", "C"}
    # with no non-zero partner left but the total, the total is taken, never the zero
    cells = counts({"A": 1, "B": 0, "C": 0, "G": 1, "H": 7, "K": 8})
    relations = pd.concat([summe("g", "G", ["A", "B", "C"]), summe("k", "K", ["G", "H"])],
                          ignore_index=True)
    result, _ = protect(cells, relations, CONFIG)
    assert suppressed(result) == {"A", "G", "H"}
    assert audit(result, relations, CONFIG).ok


def test_fest_and_non_sensitive_cells_are_never_secondary_cells():
    cells = counts({"A": 1, "B": 3, "C": 4, "D": 9, "G": 17}).assign(
        fest=[False, True, False, False, False], sensibel=[True, True, False, True, True])
    relations = summe("g", "G", ["A", "B", "C", "D"])
    result, _ = protect(cells, relations, CONFIG)
    assert suppressed(result) == {"A", "D"}
    assert audit(result, relations, CONFIG).ok
    # a `fest` cell that a primary rule hits is a contradiction in the input
    with pytest.raises(GeheimhaltungError, match="fest"):
        protect(cells.assign(fest=True), relations, CONFIG)
    # nothing left to suppress: the figures published in any case (`fest` B, non-sensitive
    # G) fix A = 4 - 3; the rules accept that as prior knowledge of the attacker, so A is
    # suppressed, gets no partner, and the audit has nothing to judge
    alone = counts({"A": 1, "B": 3, "G": 4}).assign(fest=[False, True, False],
                                                     sensibel=[True, True, False])
    result, _ = protect(alone, summe("g", "G", ["A", "B"]), CONFIG)
    assert suppressed(result) == {"A"}
    assert audit(result, summe("g", "G", ["A", "B"]), CONFIG).geprueft == 0
    assert Angreifer(alone, summe("g", "G", ["A", "B"])).urteil({"A"}, {"A"}) == {"A": None}


# ---------------------------------------------------------------------------------------
# the attacker
# ---------------------------------------------------------------------------------------
def test_audit_catches_naive_suppression_that_protect_avoids():
    # one municipality: K = A + B + C + D + OZ with A = 1, B = 1, C = 40, D = 25, OZ = 0
    cells = counts({"K": 67, "A": 1, "B": 1, "C": 40, "D": 25, "OZ": 0})
    relations = summe("K", "K", ["A", "B", "C", "D", "OZ"])

    # only the primary cells A and B: every relation has two suppressed cells, so the
    # subtraction rule is met, yet A + B = 67 - 40 - 25 - 0 = 2, and both are at least 1
    naive = audit(with_status(cells, {"A", "B"}), relations, CONFIG)
    assert (naive.geprueft, naive.fehlerhaft, naive.engste_breite) == (2, 2, 0.0)
    assert interval(naive, "A") == (1.0, 1.0)
    assert interval(naive, "B") == (1.0, 1.0)
    assert set(naive.fehler["cell_id"]) == {"A", "B"}
    # a single suppressed cell is simply recomputed: A = 67 - 1 - 40 - 25 - 0 = 1
    alone = audit(with_status(cells, {"A"}), relations, CONFIG)
    assert interval(alone, "A") == (1.0, 1.0)
    assert alone.fehlerhaft == 1 and alone.engste_breite == 0.0

    result, _ = protect(cells, relations, CONFIG)
    check = audit(result, relations, CONFIG)
    assert check.ok and check.geprueft == len(suppressed(result)) == 3
    # with D (25) added: A + B + D = 27, each at least 1, so A in [1, 25]
    assert suppressed(result) == {"A", "B", "D"}
    assert result.set_index("cell_id").loc["D", "grund"] == "audit:K"
    assert interval(check, "A") == (1.0, 25.0)
    assert check.engste_breite == 24.0


def test_audit_pins_a_cell_that_only_several_relations_together_reveal():
    # three groups, each holding two suppressed cells of A = 1, B = 5, C = 7:
    #   T1 = A + B + X,  T2 = B + C + Y,  T3 = A + C + Z   (X = 10, Y = 3, Z = 4)
    # A + B = 6, B + C = 12, A + C = 8, so A = (6 + 8 - 12) / 2 = 1, B = 5, C = 7 exactly
    cells = counts({"A": 1, "B": 5, "C": 7, "X": 10, "Y": 3, "Z": 4,
                    "T1": 16, "T2": 15, "T3": 12})
    relations = pd.concat([summe("R1", "T1", ["A", "B", "X"]),
                           summe("R2", "T2", ["B", "C", "Y"]),
                           summe("R3", "T3", ["A", "C", "Z"])], ignore_index=True)
    naive = with_status(cells, {"A", "B", "C"})
    assert no_relation_with_one_suppressed(naive, relations)
    for exakt in (True, False):
        check = audit(naive, relations, CONFIG, exakt=exakt)
        assert interval(check, "A") == (1.0, 1.0)
        assert interval(check, "B") == (5.0, 5.0)
        assert interval(check, "C") == (7.0, 7.0)
        assert check.fehlerhaft == 3 and check.engste_breite == 0.0

    result, _ = protect(cells, relations, CONFIG)
    assert "A" in suppressed(result)
    check = audit(result, relations, CONFIG)
    assert check.ok
    primary = set(result.loc[result["sperrart"] == "primaer", "cell_id"])
    verdict = Angreifer(cells, relations).urteil(suppressed(result), primary)
    assert all(verdict.values()), verdict


def test_audit_rounds_lp_bounds_of_counts_inwards_but_not_of_money():
    # T = 2 A + B (say, persons in two-person and one-person households), T = 6 published,
    # A = B = 2: with B at least 1 the LP gives A in [1, 2.5]; a count is a whole number,
    # so the attacker knows A <= 2
    relations = pd.DataFrame({"relation_id": "T", "cell_id": ["T", "A", "B"],
                              "koeffizient": [1.0, -2.0, -1.0]})
    cells = counts({"T": 6, "A": 2, "B": 2})
    check = audit(with_status(cells, {"A", "B"}), relations, CONFIG)
    assert interval(check, "A") == (1.0, 2.0)
    # B = 6 - 2 A: the LP reaches 1 with A = 2.5; that B must be even is integer reasoning
    # beyond rounding, which the audit does not do (docs/datenschutz.md)
    assert interval(check, "B") == (1.0, 4.0)
    # money: no rounding, and a suppressed sum of money may be anything from 0
    money = cells.assign(wert_art="geld")
    check = audit(with_status(money, {"A", "B"}), relations, CONFIG)
    assert interval(check, "A") == (0.0, 3.0)
    assert interval(check, "B") == (0.0, 6.0)


def test_protection_range_is_clipped_at_what_the_relations_imply():
    # a total of shares is at most the sum of its parts' nenner: with both parts at 100 %
    # the attacker knows K <= 3 + 5 = 8 = K's true value before anything is published
    cells = cells_frame([
        {"cell_id": "K", "wert_art": "anteil", "zaehler": 8, "nenner": 14},
        {"cell_id": "A", "wert_art": "anteil", "zaehler": 3, "nenner": 3},
        {"cell_id": "B", "wert_art": "anteil", "zaehler": 5, "nenner": 5}])
    relations = summe("K", "K", ["A", "B"])
    check = audit(with_status(cells, {"K", "A", "B"}), relations, CONFIG)
    bedarf = check.intervalle.set_index("cell_id")[["bedarf_unten", "bedarf_oben"]]
    assert tuple(bedarf.loc["K"]) == (6.0, 8.0)
    assert tuple(bedarf.loc["A"]) == (1.0, 3.0)       # at least 1: zero is published
    assert tuple(bedarf.loc["B"]) == (3.0, 5.0)
    assert check.ok and interval(check, "K") == (2.0, 8.0)
    result, _ = protect(cells, relations, CONFIG)
    # A and B: nenner < 10; published K would give A + B = 8 = 3 + 5, both at their nenner
    assert suppressed(result) == {"A", "B", "K"}
    assert result.set_index("cell_id").loc["K", "sperrart"] == "sekundaer"
    assert audit(result, relations, CONFIG).ok


def hze_table() -> tuple[pd.DataFrame, pd.DataFrame]:
    """Cases by area (S1..S3, municipality K) and Hilfeart (H1..H3, `insgesamt`):

            H1  H2  H3 | insgesamt
        S1   1   1   7 |  9
        S2   4   6   5 | 15
        S3   8   9   3 | 20
        K   13  16  15 | 44
    """
    table = {"S1": [1, 1, 7], "S2": [4, 6, 5], "S3": [8, 9, 3]}
    table["K"] = [sum(col) for col in zip(*table.values(), strict=True)]
    rows = []
    for raum, values in table.items():
        gliederung = "kommune" if raum == "K" else "sozialraum"
        for hilfeart, z in zip(["H1", "H2", "H3", "insgesamt"], [*values, sum(values)],
                               strict=True):
            rows.append({"cell_id": f"{raum}|{hilfeart}", "zaehler": z, "hilfeart": hilfeart,
                         "kennzahl": "laufend", "berichtsjahr": 2024, "gliederung": gliederung,
                         "raum_id": A1 if raum == "K" else raum, "ags": A1,
                         "ebene": "kommune" if raum == "K" else "raum"})
    cells = cells_frame(rows).assign(tabelle="hze_hilfearten")
    relations = pd.concat([
        summen_relations(cells, ["kennzahl", "berichtsjahr", "raum_id"], "hilfeart",
                         "insgesamt"),
        hierarchy_relations(cells, ("kennzahl", "hilfeart", "berichtsjahr")),
    ], ignore_index=True)
    return cells, relations


def test_hze_breakdown_two_way_table():
    cells, relations = hze_table()
    assert relations["relation_id"].nunique() == 8       # 4 rows, 4 columns
    assert set(relations.loc[relations["koeffizient"] == 1, "cell_id"]) == {
        "S1|insgesamt", "S2|insgesamt", "S3|insgesamt", "K|insgesamt", "K|H1", "K|H2",
        "K|H3"}
    # naive: primary S1|H1, S1|H2 (1 each) and the smallest other non-zero cells of their
    # columns, S2|H1 = 4, S2|H2 = 6. Every row and column holds two suppressed cells, but
    # the rectangle only moves by t: S1|H1 = 1 + t, S1|H2 = 1 - t, S2|H1 = 4 - t,
    # S2|H2 = 6 + t, and both 1s are at least 1: t = 0, everything is pinned
    rectangle = {"S1|H1", "S1|H2", "S2|H1", "S2|H2"}
    naive = with_status(cells, rectangle, sekundaer={"S2|H1", "S2|H2"})
    assert no_relation_with_one_suppressed(naive, relations)
    check = audit(naive, relations, CONFIG)
    assert interval(check, "S1|H1") == (1.0, 1.0)
    assert interval(check, "S2|H2") == (6.0, 6.0)
    assert check.fehlerhaft == 4 and check.engste_breite == 0.0

    result, _ = protect(cells, relations, CONFIG)
    assert {"S1|H1", "S1|H2"} <= suppressed(result)
    assert not suppressed(result) & {"K|H1", "K|H2", "K|H3", "K|insgesamt"}
    assert no_relation_with_one_suppressed(result, relations)
    check = audit(result, relations, CONFIG)
    assert check.ok and check.geprueft == len(suppressed(result))
    primary = check.intervalle[check.intervalle["sperrart"] == "primaer"]
    assert set(primary["cell_id"]) == {"S1|H1", "S1|H2"}
    assert (primary["unten"] <= primary["bedarf_unten"]).all()
    assert (primary["oben"] >= primary["bedarf_oben"]).all()
    exact = Angreifer(cells, relations).intervals(suppressed(result))
    for cell_id, (lo, hi) in exact.items():
        assert interval(check, cell_id) == (lo, hi), cell_id


def test_fast_audit_gives_the_same_verdict_within_the_exact_intervals():
    cells, relations = hze_table()
    naive = with_status(cells, {"S1|H1", "S1|H2", "S2|H1", "S2|H2"})
    wider = with_status(cells, {"S1|H1", "S1|H2", "S2|H1", "S2|H2", "S1|H3", "S2|H3"})
    protected, _ = protect(cells, relations, CONFIG)
    verdicts = set()
    for publication in (naive, wider, protected):
        exact = audit(publication, relations, CONFIG)
        fast = audit(publication, relations, CONFIG, exakt=False)
        assert exact.exakt and not fast.exakt
        both = exact.intervalle.merge(fast.intervalle, on="cell_id", suffixes=("", "_fast"))
        assert len(both) == exact.geprueft == fast.geprueft
        assert (both["geschuetzt"] == both["geschuetzt_fast"]).all()
        verdicts |= set(both["geschuetzt"])
        # the fast audit shows values the attacker can reach, inside the exact interval
        assert (both["unten"] <= both["unten_fast"]).all()
        assert (both["oben"] >= both["oben_fast"]).all()
        # a side that misses its requirement is exact in both
        short_lo = both["unten"] > both["bedarf_unten"]
        short_up = both["oben"] < both["bedarf_oben"]
        assert (both.loc[short_lo, "unten"] == both.loc[short_lo, "unten_fast"]).all()
        assert (both.loc[short_up, "oben"] == both.loc[short_up, "oben_fast"]).all()
    assert verdicts == {True, False}


def test_an_inequality_written_with_a_hidden_slack_limits_the_attacker():
    # cases in the year F >= laufend L: F - L - s = 0 with a hidden slack s >= 0. Areas
    # A, B with F = 5 + 3 = 8 (published total), F_A and F_B suppressed, L_A published.
    # Without the inequality F_A in [1, 7]; with it [L_A, 7]. F_A = 5 needs [3, 7].
    def case(laufend: float):
        cells = pd.DataFrame({
            "cell_id": ["FA", "FB", "FG", "LA", "sA"], "tabelle": "hze",
            "wert_art": "anzahl", "sensibel": [True, True, True, True, False],
            "zaehler": [5.0, 3.0, 8.0, laufend, 5.0 - laufend],
            "verborgen": [False, False, False, False, True]})
        relations = pd.DataFrame({
            "relation_id": ["g", "g", "g", "u", "u", "u"],
            "cell_id": ["FG", "FA", "FB", "FA", "LA", "sA"],
            "koeffizient": [1.0, -1.0, -1.0, 1.0, -1.0, -1.0]})
        published = cells.assign(status=["gesperrt", "gesperrt", "ok", "ok", "verborgen"],
                                 sperrart=["primaer", "sekundaer", None, None, None])
        return cells, relations, audit(published, relations, CONFIG)

    _, _, check = case(2.0)
    bounds = check.intervalle.set_index("cell_id")
    assert set(bounds.index) == {"FA", "FB"}          # the slack is never checked
    assert (bounds.loc["FA", "unten"], bounds.loc["FA", "oben"]) == (2, 7)
    assert check.ok
    cells, relations, check = case(4.0)
    bounds = check.intervalle.set_index("cell_id")
    assert (bounds.loc["FA", "unten"], bounds.loc["FA", "oben"]) == (4, 7)
    assert not check.ok                                # 4 > 5 - 2: the inequality leaks
    assert list(check.fehler["cell_id"]) == ["FA"]
    # a slack of 0 is allowed (L = F): the hidden cell keeps its lower bound 0
    assert audit(cells.assign(zaehler=[5.0, 3.0, 8.0, 5.0, 0.0],
                              status=["gesperrt", "gesperrt", "ok", "ok", "verborgen"]),
                 relations, CONFIG).geprueft == 2
    # protect: F_A = 2 is primary, L_A = 2 published would pin F_A >= 2 (needs [1, 4]);
    # L_A is suppressed as well; the hidden cell stays hidden and out of the log
    cells = cells.assign(zaehler=[2.0, 6.0, 8.0, 2.0, 0.0])
    result, log = protect(cells, relations, CONFIG)
    assert audit(result, relations, CONFIG).ok
    status_ = result.set_index("cell_id")["status"]
    assert status_["sA"] == "verborgen" and status_["LA"] == "gesperrt"
    assert "sA" not in set(log["cell_id"])


# ---------------------------------------------------------------------------------------
# random two-way tables against the independent attacker
# ---------------------------------------------------------------------------------------
def random_table(seed: int) -> tuple[pd.DataFrame, pd.DataFrame]:
    """A random two-way table of areas x parts with row totals, column totals and the grand
    total; counts for even seeds, shares (with a published nenner) for odd seeds."""
    rng = np.random.default_rng(seed)
    n_rows, n_cols = rng.integers(2, 5, size=2)
    inner = rng.poisson(rng.uniform(0.5, 6.0), size=(n_rows, n_cols)).astype(float)
    values = np.zeros((n_rows + 1, n_cols + 1))
    values[:n_rows, :n_cols] = inner
    values[:n_rows, n_cols] = inner.sum(axis=1)
    values[n_rows, :] = values[:n_rows, :].sum(axis=0)
    ids = [[f"r{i}c{j}" for j in range(n_cols + 1)] for i in range(n_rows + 1)]
    share = seed % 2 == 1
    nenner = values + rng.integers(0, 15, size=values.shape) if share else None
    cells = cells_frame([
        {"cell_id": ids[i][j], "zaehler": values[i, j],
         "wert_art": "anteil" if share else "anzahl",
         "nenner": nenner[i, j] if share else np.nan}
        for i in range(n_rows + 1) for j in range(n_cols + 1)])
    relations = pd.concat(
        [summe(f"row{i}", ids[i][n_cols], ids[i][:n_cols]) for i in range(n_rows + 1)]
        + [summe(f"col{j}", ids[n_rows][j], [ids[i][j] for i in range(n_rows)])
           for j in range(n_cols + 1)], ignore_index=True)
    return cells, relations


@pytest.mark.parametrize("seed", range(30))
def test_random_tables_protect_passes_an_independent_attacker(seed):
    cells, relations = random_table(seed)
    result, _ = protect(cells, relations, CONFIG)
    check = audit(result, relations, CONFIG)
    hidden = suppressed(result)
    assert check.ok
    assert set(result["status"]) <= {"ok", "gesperrt"}
    by_id = cells.set_index("cell_id")
    # zero is never suppressed, primary or secondary
    assert (by_id.loc[sorted(hidden), "zaehler"] > 0).all()
    sperrart = result.set_index("cell_id")["sperrart"]
    attacker = Angreifer(cells, relations)
    everything = attacker.frei(hidden)
    reported = check.intervalle.set_index("cell_id")
    checked = 0
    for cell_id in sorted(hidden):
        v = by_id.loc[cell_id, "zaehler"]
        # the range is clipped at what the attacker knows whatever is suppressed: 1 (zero is
        # published), for shares the nenner, or less where the parts' nenner add up to less
        floor, top = attacker.interval(everything, cell_id)
        lower, upper = attacker.interval(hidden, cell_id)
        if top - floor < 1e-6:
            # fixed by what is published anyway: hides nothing, needs nothing
            assert cell_id not in reported.index or reported.loc[cell_id, "geschuetzt"]
            continue
        checked += 1
        if sperrart[cell_id] == "primaer":
            assert lower <= max(floor, v - 2), (cell_id, v, lower)
            assert upper >= min(top, v + 2), (cell_id, v, upper)
        assert lower < upper, (cell_id, v, lower, upper)
        # the audit's interval is the same LP bound, rounded inwards to whole numbers
        assert (reported.loc[cell_id, "unten"], reported.loc[cell_id, "oben"]) == \
            (lower, upper), cell_id
    assert check.geprueft == checked


def test_random_tables_contain_cases_the_naive_rule_leaves_open():
    # the property test above is not vacuous: with primary suppression alone, the
    # independent attacker recomputes cells of these tables exactly
    exposed, with_primary = 0, 0
    for seed in range(30):
        cells, relations = random_table(seed)
        result, _ = protect(cells, relations, CONFIG)
        primary = set(result.loc[result["sperrart"] == "primaer", "cell_id"])
        with_primary += bool(primary)
        attacker = Angreifer(cells, relations)
        for lower, upper in attacker.intervals(primary).values():
            exposed += upper - lower < 1e-6
        # and the engine's audit fails that naive publication wherever our attacker does
        if primary:
            verdict = attacker.urteil(primary, primary)
            naive = audit(with_status(cells, primary), relations, CONFIG)
            engine = dict(zip(naive.intervalle["cell_id"], naive.intervalle["geschuetzt"],
                              strict=True))
            for cell_id, ok in verdict.items():
                assert engine.get(cell_id, True) == (ok is not False), (seed, cell_id)
    assert with_primary >= 25
    assert exposed >= 10


# ---------------------------------------------------------------------------------------
# publication and bad input
# ---------------------------------------------------------------------------------------
def test_published_table_blanks_suppressed_values_and_keeps_the_nenner():
    cells, relations = random_table(1)
    cells = cells.assign(wert=cells["zaehler"] / cells["nenner"])
    result, _ = protect(cells, relations, CONFIG)
    published = veroeffentlicht(result)
    hidden = published["status"] == "gesperrt"
    assert hidden.any() and (~hidden).any()
    assert published.loc[hidden, "zaehler"].isna().all()
    assert published.loc[hidden, "wert"].isna().all()
    assert published.loc[~hidden, "zaehler"].notna().all()
    assert published["nenner"].notna().all()
    for private in ("n_beitraege", "max_beitrag", "grund", "sperrart"):
        assert private not in published.columns
    with pytest.raises(GeheimhaltungError, match="true zaehler missing"):
        audit(published, relations, CONFIG)
    truth = cells.set_index("cell_id")["zaehler"]
    # without `sperrart` every suppressed cell is judged as primary (the stricter rule)
    from_published = audit(published, relations, CONFIG, true_values=truth)
    strict = audit(result.assign(sperrart="primaer"), relations, CONFIG)
    pd.testing.assert_frame_equal(from_published.intervalle, strict.intervalle)
    assert set(from_published.intervalle["sperrart"]) == {"primaer"}


def test_hidden_cells_are_not_published():
    cells = counts({"A": 1, "B": 4, "G": 5, "s": 2}).assign(verborgen=[False] * 3 + [True])
    result, _ = protect(cells, summe("g", "G", ["A", "B"]), CONFIG)
    published = veroeffentlicht(result)
    assert list(published["cell_id"]) == ["A", "B", "G"]


def test_relation_that_does_not_hold_is_rejected():
    cells = counts({"K": 10, "A": 4, "B": 5})
    with pytest.raises(GeheimhaltungError, match="gelten nicht.*'K'"):
        protect(cells, summe("K", "K", ["A", "B"]), CONFIG)
    with pytest.raises(GeheimhaltungError, match="gelten nicht"):
        audit(with_status(cells, {"A"}), summe("K", "K", ["A", "B"]), CONFIG)
    # with the true difference as `konstante` it holds
    result, _ = protect(cells, summe("K", "K", ["A", "B"], konstante=1.0), CONFIG)
    assert suppressed(result) == set()
    relations = summe("K", "K", ["A", "B"], konstante=1.0)
    relations.loc[0, "konstante"] = 2.0
    with pytest.raises(GeheimhaltungError, match="konstante differs within a relation"):
        protect(cells, relations, CONFIG)


def test_missing_zaehler_and_unknown_cells_are_rejected():
    cells = counts({"K": 9, "A": 4, "B": np.nan})
    with pytest.raises(GeheimhaltungError, match=r"ohne zaehler.*\['B'\]"):
        protect(cells, summe("K", "K", ["A", "B"]), CONFIG)
    with pytest.raises(GeheimhaltungError, match=r"column 'zaehler' missing"):
        protect(cells.drop(columns="zaehler"), NO_RELATIONS, CONFIG)
    with pytest.raises(GeheimhaltungError, match=r"unknown cell_id.*\['C'\]"):
        protect(counts({"K": 9, "A": 9}), summe("K", "K", ["A", "C"]), CONFIG)
    with pytest.raises(GeheimhaltungError, match="outside its a-priori bounds"):
        protect(cells_frame([{"cell_id": "x", "wert_art": "anteil", "zaehler": 12,
                              "nenner": 10}]), NO_RELATIONS, CONFIG)
    with pytest.raises(GeheimhaltungError, match=r"cell_id not unique.*\['A'\]"):
        protect(counts({"A": 1}).pipe(lambda c: pd.concat([c, c])), NO_RELATIONS, CONFIG)
    with pytest.raises(GeheimhaltungError, match="wert_art must be one of"):
        protect(counts({"A": 1}).assign(wert_art="prozent"), NO_RELATIONS, CONFIG)
    with pytest.raises(GeheimhaltungError, match="'anteil' without nenner"):
        protect(cells_frame([{"cell_id": "x", "wert_art": "anteil", "zaehler": 1}]),
                NO_RELATIONS, CONFIG)
    with pytest.raises(GeheimhaltungError, match="need n_beitraege and max_beitrag"):
        protect(counts({"A": 500.0}).assign(wert_art="geld"), NO_RELATIONS, CONFIG)
    with pytest.raises(GeheimhaltungError, match="koeffizient must be a finite number"):
        protect(counts({"K": 9, "A": 9}),
                summe("K", "K", ["A"]).assign(koeffizient=["x", "-1"]), CONFIG)
    with pytest.raises(GeheimhaltungError, match="column 'status' missing"):
        audit(counts({"A": 1}), NO_RELATIONS, CONFIG)
    with pytest.raises(GeheimhaltungError, match="published cells without zaehler"):
        audit(counts({"A": np.nan}).assign(status="ok"), NO_RELATIONS, CONFIG)


def test_a_suppressed_zero_always_fails_the_audit_but_a_partner_is_judged():
    # municipality 5 = A 1 + B 0 + C 4. A publication that suppresses the zero B fails on B
    # whatever its intervals (zero is never suppressed, the status would say "at least 1");
    # A + B = 1 with B treated as 0..: A is still judged and is pinned at 1
    cells = counts({"A": 1.0, "B": 0.0, "C": 4.0, "G": 5.0})
    relations = summe("g", "G", ["A", "B", "C"])
    published = with_status(cells, {"A", "B"}, sekundaer={"B"})
    check = audit(published, relations, CONFIG)
    assert set(check.intervalle["cell_id"]) == {"A", "B"}
    assert set(check.fehler["cell_id"]) == {"A", "B"}
    assert interval(check, "A") == (1.0, 1.0)
    protected, _ = protect(cells, relations, CONFIG)
    assert suppressed(protected) == {"A", "C"}
    assert audit(protected, relations, CONFIG).ok
