"""Disclosure control: primary rules, secondary suppression and the attacker audit (LPs)."""

import math

import numpy as np
import pandas as pd
import pytest
from scipy.optimize import linprog

from dagster_project.geheimhaltung import (
    GeheimhaltungConfig,
    GeheimhaltungError,
    audit,
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


def summe(relation_id: str, total: str, parts: list[str]) -> pd.DataFrame:
    """The relation `total = sum(parts)`."""
    return pd.DataFrame({"relation_id": relation_id, "cell_id": [total, *parts],
                         "koeffizient": [1.0] + [-1.0] * len(parts)})


def status(result: pd.DataFrame) -> dict[str, str]:
    return dict(zip(result["cell_id"], result["status"], strict=True))


def suppressed(result: pd.DataFrame) -> set[str]:
    return set(result.loc[result["status"] != "ok", "cell_id"])


def with_status(cells: pd.DataFrame, gesperrt: set[str]) -> pd.DataFrame:
    """A hand-made publication: the given cells suppressed, all others published."""
    return cells.assign(status=np.where(cells["cell_id"].isin(gesperrt), "gesperrt", "ok"))


def interval(check, cell_id: str) -> tuple[float, float]:
    row = check.intervalle.set_index("cell_id").loc[cell_id]
    return row["unten"], row["oben"]


def no_relation_with_one_suppressed(result: pd.DataFrame, relations: pd.DataFrame) -> bool:
    hidden = relations["cell_id"].map(dict(zip(result["cell_id"], result["status"] != "ok",
                                               strict=True)))
    return bool((hidden.groupby(relations["relation_id"]).sum() != 1).all())


# ---------------------------------------------------------------------------------------
# primary suppression
# ---------------------------------------------------------------------------------------
def test_counts_one_and_two_suppressed_zero_and_three_published():
    result, log = protect(counts({"n0": 0, "n1": 1, "n2": 2, "n3": 3}), NO_RELATIONS, CONFIG)
    assert status(result) == {"n0": "ok", "n1": "gesperrt", "n2": "gesperrt", "n3": "ok"}
    assert result.set_index("cell_id").loc["n1", "grund"] == "zaehler<3"
    assert result.set_index("cell_id")["grund"].isna().loc[["n0", "n3"]].all()
    assert sorted(log["cell_id"]) == ["n1", "n2"]
    assert (log["regelwerk_version"] == CONFIG.regelwerk_version).all()
    assert '"min_count": 3' in log["config"].iloc[0]


def test_share_with_small_nenner_suppressed_also_when_zaehler_is_zero():
    cells = cells_frame([
        {"cell_id": "klein", "wert_art": "anteil", "zaehler": 5, "nenner": 9},
        {"cell_id": "null", "wert_art": "anteil", "zaehler": 0, "nenner": 9},
        {"cell_id": "zehn", "wert_art": "anteil", "zaehler": 5, "nenner": 10},
        {"cell_id": "kein_nenner", "wert_art": "anteil", "zaehler": 0, "nenner": 0},
    ])
    result, _ = protect(cells, NO_RELATIONS, CONFIG)
    assert status(result) == {"klein": "gesperrt", "null": "gesperrt", "zehn": "ok",
                              "kein_nenner": "ok"}
    assert result.set_index("cell_id").loc["null", "grund"] == "nenner<10"


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


def test_non_sensitive_cells_are_never_primary_suppressed():
    cells = cells_frame([
        {"cell_id": "eins", "zaehler": 1},
        {"cell_id": "anteil", "wert_art": "anteil", "zaehler": 1, "nenner": 2},
        {"cell_id": "geld", "wert_art": "geld", "zaehler": 900.0, "n_beitraege": 1,
         "max_beitrag": 900.0},
    ]).assign(sensibel=False)
    result, log = protect(cells, NO_RELATIONS, CONFIG)
    assert set(result["status"]) == {"ok"}
    assert log.empty


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


# ---------------------------------------------------------------------------------------
# secondary suppression on the area hierarchy
# ---------------------------------------------------------------------------------------
def areas(code: str, rows: list[tuple[str, str, str | None, float]]) -> pd.DataFrame:
    """Cells of one indicator and year: (gliederung, raum_id, ags, zaehler) per area."""
    return cells_frame([
        {"cell_id": f"{code}|{gl}|{raum}", "code": code, "berichtsjahr": 2024,
         "gliederung": gl, "raum_id": raum, "ags": ags, "zaehler": z}
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
    result, _ = protect(cells, relations, CONFIG)
    by_id = result.set_index("cell_id")
    assert by_id.loc["S01|sozialraum|SR1", "status"] == "gesperrt"
    # the spec's rule: the smallest other non-zero cell of the group, here `ohne Zuordnung`
    assert by_id.loc[f"S01|sozialraum|{A1}-OZ", "status"] == "gesperrt_sekundaer"
    assert by_id.loc[f"S01|sozialraum|{A1}-OZ", "grund"] == \
        f"sekundaer:S01|2024|sozialraum|{A1}"
    # 1 and 4 hide each other only within [0, 5], too little for the 4 (needs up to 6):
    # the audit adds the next smallest area; the municipality total stays published
    assert by_id.loc["S01|sozialraum|SR3", "status"] == "gesperrt_sekundaer"
    assert by_id.loc["S01|sozialraum|SR3", "grund"].startswith("audit:")
    assert suppressed(result) == {"S01|sozialraum|SR1", f"S01|sozialraum|{A1}-OZ",
                                  "S01|sozialraum|SR3"}
    assert audit(result, relations, CONFIG).ok


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
    assert f"E01|kommune|{A1}" in hidden                       # primary (2)
    # the county relation then needs a second municipality, and that municipality's two
    # Gliederungen each a suppressed area: stable across all groups sharing cells
    assert f"E01|kommune|{A3}" in hidden
    assert hidden & {f"E01|sozialraum|SR{A3}{i}" for i in range(3)}
    assert hidden & {f"E01|schulbezirk|SB{A3}a", f"E01|schulbezirk|SB{A3}b"}
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
    assert f"S03|planungsraum|{A1}-OZ" in hidden                # primary (1)
    assert {"S03|sozialraum|SR2", f"S03|sozialraum|{A1}-OZ"} <= hidden
    assert no_relation_with_one_suppressed(result, relations)
    assert audit(result, relations, CONFIG).ok


# ---------------------------------------------------------------------------------------
# the attacker
# ---------------------------------------------------------------------------------------
def test_audit_catches_naive_suppression_that_protect_avoids():
    # one municipality: K = A + B + C + D + OZ with A = 1, B = 1, C = 40, D = 25, OZ = 0
    cells = counts({"K": 67, "A": 1, "B": 1, "C": 40, "D": 25, "OZ": 0})
    relations = summe("K", "K", ["A", "B", "C", "D", "OZ"])

    # only the primary cells A and B: every relation has two suppressed cells, so the
    # subtraction rule is met, yet A + B = 67 - 40 - 25 - 0 = 2 gives A, B in [0, 2]:
    # the upper side misses 1 + 2 = 3
    naive = audit(with_status(cells, {"A", "B"}), relations, CONFIG)
    assert (naive.geprueft, naive.fehlerhaft, naive.engste_breite) == (2, 2, 2.0)
    assert interval(naive, "A") == (0.0, 2.0)
    assert interval(naive, "B") == (0.0, 2.0)
    assert set(naive.fehler["cell_id"]) == {"A", "B"}
    # a single suppressed cell is simply recomputed: A = 67 - 1 - 40 - 25 - 0 = 1
    alone = audit(with_status(cells, {"A"}), relations, CONFIG)
    assert interval(alone, "A") == (1.0, 1.0)
    assert alone.fehlerhaft == 1 and alone.engste_breite == 0.0

    result, _ = protect(cells, relations, CONFIG)
    check = audit(result, relations, CONFIG)
    assert check.ok and check.geprueft == len(suppressed(result)) >= 3
    # with D (25) added: A + B + D = 27, so A in [0, 27], D in [0, 27]
    assert suppressed(result) == {"A", "B", "D"}
    assert interval(check, "A") == (0.0, 27.0)
    assert check.engste_breite == 27.0


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
    check = audit(naive, relations, CONFIG)
    assert interval(check, "A") == (1.0, 1.0)
    assert interval(check, "B") == (5.0, 5.0)
    assert interval(check, "C") == (7.0, 7.0)
    assert check.fehlerhaft == 3 and check.engste_breite == 0.0

    result, _ = protect(cells, relations, CONFIG)
    assert "A" in suppressed(result)
    assert audit(result, relations, CONFIG).ok


def test_audit_rounds_lp_bounds_of_counts_inwards_but_not_of_money():
    # T = 2 A + B (say, persons in two-person and one-person households), T = 3 published:
    # the LP gives A in [0, 1.5]; a count is a whole number, so the attacker knows A <= 1
    relations = pd.DataFrame({"relation_id": "T", "cell_id": ["T", "A", "B"],
                              "koeffizient": [1.0, -2.0, -1.0]})
    cells = counts({"T": 3, "A": 1, "B": 1})
    check = audit(with_status(cells, {"A", "B"}), relations, CONFIG)
    assert interval(check, "A") == (0.0, 1.0)
    # B = 3 - 2 A: the LP reaches 0 with A = 1.5; that B must be odd is integer reasoning
    # beyond rounding, which the audit does not do (see the module docstring)
    assert interval(check, "B") == (0.0, 3.0)
    money = cells.assign(wert_art="geld")
    check = audit(with_status(money, {"A", "B"}), relations, CONFIG)
    assert interval(check, "A") == (0.0, 1.5)
    assert interval(check, "B") == (0.0, 3.0)


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
    assert tuple(bedarf.loc["A"]) == (1.0, 3.0)
    assert check.ok and interval(check, "K") == (0.0, 8.0)
    result, _ = protect(cells, relations, CONFIG)
    assert suppressed(result) == {"A", "B", "K"}        # nenner < 10; K by subtraction
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
                         "raum_id": A1 if raum == "K" else raum, "ags": A1})
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
    # naive: primary S1|H1, S1|H2 (1 each); then the spec's rule picks the smallest other
    # non-zero cell in column H1 (S2|H1 = 4) and column H2 (S2|H2 = 6). Every row and
    # column holds two suppressed cells, but the rectangle only moves by t with
    # S1|H1 = 1 + t, S1|H2 = 1 - t, S2|H1 = 4 - t, S2|H2 = 6 + t, t in [-1, 1]
    rectangle = {"S1|H1", "S1|H2", "S2|H1", "S2|H2"}
    naive = with_status(cells, rectangle)
    assert no_relation_with_one_suppressed(naive, relations)
    check = audit(naive, relations, CONFIG)
    assert interval(check, "S1|H1") == (0.0, 2.0)
    assert interval(check, "S1|H2") == (0.0, 2.0)
    assert interval(check, "S2|H1") == (3.0, 5.0)
    assert interval(check, "S2|H2") == (5.0, 7.0)
    assert check.fehlerhaft == 4 and check.engste_breite == 2.0

    result, _ = protect(cells, relations, CONFIG)
    assert {"S1|H1", "S1|H2"} <= suppressed(result)
    assert no_relation_with_one_suppressed(result, relations)
    check = audit(result, relations, CONFIG)
    assert check.ok and check.geprueft == len(suppressed(result))
    assert (check.intervalle["unten"] <= check.intervalle["bedarf_unten"]).all()
    assert (check.intervalle["oben"] >= check.intervalle["bedarf_oben"]).all()


def test_fast_audit_gives_the_same_verdict_within_the_exact_intervals():
    cells, relations = hze_table()
    naive = with_status(cells, {"S1|H1", "S1|H2", "S2|H1", "S2|H2"})
    protected, _ = protect(cells, relations, CONFIG)
    for publication in (naive, protected):
        exact = audit(publication, relations, CONFIG)
        fast = audit(publication, relations, CONFIG, exakt=False)
        assert exact.exakt and not fast.exakt
        both = exact.intervalle.merge(fast.intervalle, on="cell_id", suffixes=("", "_fast"))
        assert len(both) == exact.geprueft == fast.geprueft
        assert (both["geschuetzt"] == both["geschuetzt_fast"]).all()
        # a protected cell shows values the attacker can reach, inside the exact interval
        safe = both[both["geschuetzt"]]
        assert (safe["unten"] <= safe["unten_fast"]).all()
        assert (safe["oben"] >= safe["oben_fast"]).all()


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


def attacker_bounds(cells: pd.DataFrame, relations: pd.DataFrame, hidden: set[str],
                    cell_id: str) -> tuple[float, float]:
    """The test's own attacker: one LP over every cell of the table (published cells fixed
    at their value, suppressed ones within 0 and their nenner), relations as equations."""
    ids = list(cells["cell_id"])
    col = {c: k for k, c in enumerate(ids)}
    rel_ids = sorted(set(relations["relation_id"]))
    a_eq = np.zeros((len(rel_ids), len(ids)))
    for r, c, k in relations[["relation_id", "cell_id", "koeffizient"]].itertuples(index=False):
        a_eq[rel_ids.index(r), col[c]] += k
    bounds = []
    for c, z, nenner in cells[["cell_id", "zaehler", "nenner"]].itertuples(index=False):
        bounds.append((0, None if math.isnan(nenner) else nenner) if c in hidden else (z, z))
    out = []
    for sign in (1, -1):
        objective = np.zeros(len(ids))
        objective[col[cell_id]] = sign
        lp = linprog(objective, A_eq=a_eq, b_eq=np.zeros(len(rel_ids)), bounds=bounds,
                     method="highs")
        out.append(math.inf if lp.status == 3 else sign * lp.fun)
    return out[0], out[1]


@pytest.mark.parametrize("seed", range(30))
def test_random_tables_protect_passes_an_independent_attacker(seed):
    cells, relations = random_table(seed)
    result, _ = protect(cells, relations, CONFIG)
    check = audit(result, relations, CONFIG)
    hidden = suppressed(result)
    assert check.ok
    by_id = cells.set_index("cell_id")
    reported = check.intervalle.set_index("cell_id")
    everything = set(cells["cell_id"])
    checked = 0
    for cell_id in sorted(hidden):
        v = by_id.loc[cell_id, "zaehler"]
        # the range is clipped at what the attacker knows with nothing published: 0 and,
        # for shares, the nenner, or less where the parts' nenner add up to less; a cell
        # that this knowledge fixes (all nenner 0) hides nothing and is not checked
        floor, top = attacker_bounds(cells, relations, everything, cell_id)
        if top - floor < 1e-6:
            assert cell_id not in reported.index
            continue
        # a zero suppressed only to protect others discloses nothing (zero is published)
        status = result.set_index("cell_id").loc[cell_id, "status"]
        if v == 0 and status == "gesperrt_sekundaer":
            assert cell_id not in reported.index
            continue
        checked += 1
        lower, upper = attacker_bounds(cells, relations, hidden, cell_id)
        assert lower <= max(floor, v - 2) + 1e-6, (cell_id, v, lower)
        assert upper >= min(top, v + 2) - 1e-6, (cell_id, v, upper)
        assert lower < upper
        # the audit's interval is the same LP bound, rounded inwards to whole numbers
        assert reported.loc[cell_id, "unten"] == math.ceil(lower - 1e-6)
        assert reported.loc[cell_id, "oben"] == (math.floor(upper + 1e-6)
                                                 if math.isfinite(upper) else math.inf)
    assert check.geprueft == checked


def test_random_tables_contain_cases_the_naive_rule_leaves_open():
    # the property test above is not vacuous: with primary suppression alone, the
    # independent attacker recomputes cells of these tables exactly
    exposed, with_primary = 0, 0
    for seed in range(30):
        cells, relations = random_table(seed)
        result, _ = protect(cells, relations, CONFIG)
        primary = set(result.loc[result["status"] == "gesperrt", "cell_id"])
        with_primary += bool(primary)
        for cell_id in primary:
            lower, upper = attacker_bounds(cells, relations, primary, cell_id)
            exposed += upper - lower < 1e-6
    assert with_primary >= 25
    assert exposed >= 10


# ---------------------------------------------------------------------------------------
# publication and bad input
# ---------------------------------------------------------------------------------------
def test_published_table_blanks_suppressed_values_and_keeps_the_nenner():
    cells, relations = random_table(1)
    result, _ = protect(cells, relations, CONFIG)
    published = veroeffentlicht(result)
    hidden = published["status"] != "ok"
    assert hidden.any()
    assert published.loc[hidden, "zaehler"].isna().all()
    assert published["nenner"].notna().all()
    assert "n_beitraege" not in published.columns and "grund" not in published.columns
    with pytest.raises(GeheimhaltungError, match="true zaehler missing"):
        audit(published, relations, CONFIG)
    truth = cells.set_index("cell_id")["zaehler"]
    from_published = audit(published, relations, CONFIG, true_values=truth)
    pd.testing.assert_frame_equal(from_published.intervalle,
                                  audit(result, relations, CONFIG).intervalle)


def test_relation_that_does_not_hold_is_rejected():
    cells = counts({"K": 10, "A": 4, "B": 5})
    with pytest.raises(GeheimhaltungError, match="gelten nicht.*'K'"):
        protect(cells, summe("K", "K", ["A", "B"]), CONFIG)
    with pytest.raises(GeheimhaltungError, match="gelten nicht"):
        audit(with_status(cells, {"A"}), summe("K", "K", ["A", "B"]), CONFIG)


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


def test_a_zero_suppressed_only_for_others_is_not_checked_but_its_partner_is():
    # municipality 5 = A 1 + B 0 + C 4: A (1) is primary; the secondary choice is C (4,
    # non-zero before zero); B (0) stays published. Forcing B to be suppressed as a
    # secondary cell instead must not count B as a failing cell, but A still is checked.
    cells = pd.DataFrame({
        "cell_id": ["A", "B", "C", "G"], "tabelle": "t", "wert_art": "anzahl",
        "sensibel": True, "zaehler": [1.0, 0.0, 4.0, 5.0]})
    relations = pd.DataFrame({"relation_id": "g", "cell_id": ["G", "A", "B", "C"],
                              "koeffizient": [1.0, -1.0, -1.0, -1.0]})
    published = cells.assign(status=["gesperrt", "gesperrt_sekundaer", "ok", "ok"])
    check = audit(published, relations, CONFIG)
    assert list(check.intervalle["cell_id"]) == ["A"]
    # the attacker knows A + B = 5 - 4 = 1 with A, B >= 0: A in [0, 1], short of [0, 3]
    assert check.intervalle.set_index("cell_id").loc["A", "oben"] == 1
    assert not check.ok
    protected, _ = protect(cells, relations, CONFIG)
    assert audit(protected, relations, CONFIG).ok


def test_an_inequality_written_with_a_hidden_slack_limits_the_attacker():
    # cases in the year F >= laufend L: F - L - s = 0 with a hidden slack s >= 0. Areas
    # A, B with F = 5 + 3 = 8 (published total), F_A and F_B suppressed, L_A published.
    # Without the inequality F_A in [0, 8]; with it [L_A, 8]. F_A = 5 needs [3, 7].
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
        published = cells.assign(status=["gesperrt", "gesperrt_sekundaer", "ok", "ok",
                                         "verborgen"])
        return cells, relations, audit(published, relations, CONFIG)

    _, _, check = case(2.0)
    bounds = check.intervalle.set_index("cell_id")
    assert set(bounds.index) == {"FA", "FB"}          # the slack is never checked
    assert (bounds.loc["FA", "unten"], bounds.loc["FA", "oben"]) == (2, 8)
    assert check.ok
    cells, relations, check = case(4.0)
    bounds = check.intervalle.set_index("cell_id")
    assert (bounds.loc["FA", "unten"], bounds.loc["FA", "oben"]) == (4, 8)
    assert not check.ok                                # 4 > 5 - 2: the inequality leaks
    # protect: F_A = 2 is primary, L_A = 2 published would pin F_A >= 2 (needs [0, 4]);
    # L_A is suppressed as well; the hidden cell stays hidden and out of the log
    cells = cells.assign(zaehler=[2.0, 6.0, 8.0, 2.0, 0.0])
    result, log = protect(cells, relations, CONFIG)
    assert audit(result, relations, CONFIG).ok
    status = result.set_index("cell_id")["status"]
    assert status["sA"] == "verborgen" and status["LA"] != "ok"
    assert "sA" not in set(log["cell_id"])
