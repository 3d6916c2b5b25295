"""Disclosure control on whole counties built from mart-shaped tables (the cells and
relations of the nightly run, dagster_project/lib/geheimhaltung/tables.py): what planners
get to see in typical situations."""

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from dagster_project.lib.geheimhaltung import GeheimhaltungConfig, audit, protect
from dagster_project.lib.geheimhaltung.tables import relationen, zellen

KATALOG = Path(__file__).resolve().parents[2] / "dbt_spm" / "seeds" / "indikatoren_katalog.csv"
CONFIG = GeheimhaltungConfig()
KREIS = "05999"


def katalog() -> pd.DataFrame:
    frame = pd.read_csv(KATALOG, dtype=str)
    frame["sensibel"] = frame["sensibel"].str.lower() == "true"
    return frame


def no_hilfearten() -> pd.DataFrame:
    return pd.DataFrame(columns=["hilfeart", "gliederung", "raum_id", "ags", "berichtsjahr",
                                 "anzahl_faelle", "anzahl_laufend", "anzahl_neu",
                                 "ausgaben_euro", "anzahl_mit_ausgaben", "max_ausgaben_euro",
                                 "status"])


def county(values: dict[str, tuple[np.ndarray, np.ndarray]], kommunen: int = 3,
           raeume: int = 6, jahre: tuple[int, ...] = (2024,)) -> pd.DataFrame:
    """`mart_indikatorwerte`-shaped rows: per code (zaehler, nenner) arrays over the base
    areas (for every municipality its Sozialräume, then `ohne Zuordnung`), summed up to
    the municipalities and the county."""
    rows = []
    for jahr in jahre:
        for code, (zaehler, nenner) in values.items():
            k = 0
            for m in range(kommunen):
                ags = f"{KREIS}{4 * (m + 1):03d}"
                ids = [f"{ags}-SR{i + 1:02d}" for i in range(raeume)] + [f"{ags}-OZ"]
                part_z, part_n = zaehler[k:k + len(ids)], nenner[k:k + len(ids)]
                k += len(ids)
                for raum, z, n in zip(ids, part_z, part_n, strict=True):
                    rows.append((code, "sozialraum", raum, ags, jahr, z, n))
                rows.append((code, "kommune", ags, ags, jahr, part_z.sum(), part_n.sum()))
            rows.append((code, "kreis", KREIS, None, jahr, zaehler.sum(), nenner.sum()))
    frame = pd.DataFrame(rows, columns=["code", "gliederung", "raum_id", "ags", "berichtsjahr",
                                        "zaehler", "nenner"])
    frame["status"] = "ok"
    return frame


def protected(werte: pd.DataFrame) -> tuple[pd.DataFrame, pd.DataFrame]:
    cells = zellen(werte, katalog(), no_hilfearten())
    cells = cells.sort_values("cell_id").reset_index(drop=True)
    relations = relationen(cells)
    result, _ = protect(cells, relations, CONFIG)
    check = audit(result, relations, CONFIG)
    assert check.ok, check.fehler
    return result, relations


def base_values(rng: np.random.Generator, kommunen: int = 3, raeume: int = 6,
                oz_s05: int = 0) -> dict[str, tuple[np.ndarray, np.ndarray]]:
    """A few hundred children per Sozialraum, no S05 count below 3; a handful of unmatched
    residents per municipality (no children in SGB II among them unless `oz_s05`)."""
    n = kommunen * (raeume + 1)
    oz = np.zeros(n, dtype=bool)
    oz[raeume::raeume + 1] = True
    kinder = np.where(oz, rng.integers(1, 5, n), rng.integers(200, 600, n)).astype(float)
    s05 = np.where(oz, 0, rng.integers(3, 80, n)).astype(float)
    s05[np.flatnonzero(oz)[0]] = oz_s05
    haushalte_mit_kindern = np.where(oz, rng.integers(0, 3, n),
                                     rng.integers(120, 300, n)).astype(float)
    alleinerziehend = np.where(oz, 0, rng.integers(10, 60, n)).astype(float)
    return {"S05": (s05, kinder), "H04": (alleinerziehend, haushalte_mit_kindern)}


@pytest.mark.parametrize("seed", range(5))
def test_county_without_small_counts_publishes_every_sozialraum(seed):
    rng = np.random.default_rng(seed)
    werte = county(base_values(rng), jahre=(2023, 2024))
    # H01 (households) is not sensitive: it is no cell and never suppressed
    werte = pd.concat([werte, werte[werte.code == "H04"].assign(code="H01", nenner=np.nan)])
    result, _ = protected(werte)
    assert not result["code"].eq("H01").any()
    real = result[(result.gliederung == "sozialraum") & (result.ebene == "raum")]
    assert set(real.code) == {"S05", "H04"}
    assert (real.status == "ok").all()
    assert (result.status == "ok").all()


def test_one_small_unmatched_count_costs_one_sozialraum_not_the_municipality():
    rng = np.random.default_rng(7)
    werte = county(base_values(rng, oz_s05=1))
    result, _ = protected(werte)
    blank = result[result.status == "gesperrt"]
    primary = blank[blank.sperrart == "primaer"]
    assert primary.raum_id.tolist() == [f"{KREIS}004-OZ"]
    partners = blank[blank.sperrart == "sekundaer"]
    # one partner with room enough, in the same municipality; never the county, and the
    # municipality only where nothing else protects (here a Sozialraum does)
    assert len(partners) == 1
    assert partners.iloc[0].ebene == "raum" and partners.iloc[0].raum_id.startswith(
        f"{KREIS}004-SR")
    assert partners.iloc[0].zaehler >= 3


def test_same_inputs_give_the_same_pattern():
    rng = np.random.default_rng(11)
    values = base_values(rng, oz_s05=2)
    s05, kinder = values["S05"]
    s05[[1, 9]] = [1, 2]                      # two more small counts in two municipalities
    werte = county(values, jahre=(2023, 2024))
    cells = zellen(werte, katalog(), no_hilfearten()).sort_values("cell_id")
    relations = relationen(cells.reset_index(drop=True))
    first, _ = protect(cells, relations, CONFIG)
    # the same figures in another row order
    again, _ = protect(cells.sample(frac=1, random_state=3), relations.sample(frac=1,
                                                                              random_state=4),
                       CONFIG)
    pattern = first.set_index("cell_id")[["status", "sperrart"]].sort_index()
    pd.testing.assert_frame_equal(pattern, again.set_index("cell_id")[
        ["status", "sperrart"]].sort_index())
    assert (first.status == "gesperrt").sum() >= 6


def test_a_cell_fixed_by_always_published_figures_in_a_cycle_needs_no_partner():
    """x1 + x2 + y1 = T1, x2 + x3 + y2 = T2, x3 + x1 + y3 = T3 with y and T not sensitive
    (published in any case): the three x are fixed whatever is suppressed (three equations,
    three unknowns), which only the exact LP sees. The primary x1 is suppressed, nothing
    else can help it, and protect must not fail over it."""
    def cell(cell_id, zaehler, sensibel=True, wert_art="anzahl", nenner=np.nan):
        return {"cell_id": cell_id, "tabelle": "t", "wert_art": wert_art,
                "sensibel": sensibel, "zaehler": zaehler, "nenner": nenner}

    cells = pd.DataFrame([
        cell("x1", 10, wert_art="anteil", nenner=12), cell("x2", 10), cell("x3", 10),
        *(cell(f"y{i}", 4, sensibel=False) for i in (1, 2, 3)),
        *(cell(f"T{i}", 24, sensibel=False) for i in (1, 2, 3))])
    relations = pd.DataFrame([
        (f"r{i}", c, k) for i, members in enumerate(
            [("x1", "x2", "y1", "T1"), ("x2", "x3", "y2", "T2"), ("x3", "x1", "y3", "T3")])
        for c, k in zip(members, (-1.0, -1.0, -1.0, 1.0), strict=True)],
        columns=["relation_id", "cell_id", "koeffizient"])
    result, _ = protect(cells, relations, CONFIG)
    status = dict(zip(result.cell_id, result.status, strict=True))
    assert status["x1"] == "gesperrt"          # complement 2
    assert {status[c] for c in ("y1", "y2", "y3", "T1", "T2", "T3")} == {"ok"}
    check = audit(result, relations, CONFIG)
    assert check.ok
