"""Time disclosure control (protect + audit) on a synthetic county.

    python -m benchmarks.geheimhaltung [--kommunen 10] [--raeume 5] [--codes 59] [--jahre 5]
                                       [--hilfearten 12] [--seed 1] [--fast-audit]

Builds `indikatorwerte`-like cells for a county with `kommunen` municipalities of about
`raeume` Sozialräume each (plus `<ags>-OZ`), a second Gliederung `planungsraum` of blocks of
four Sozialräume (blocks crossing a municipal border have no ags), municipalities and the
county; `codes` indicators (mostly sensitive shares, some counts, one money sum, and one
identity C00 = C01 + C02 per area) over `jahre` Berichtsjahre; and an `hze_hilfearten`-like
breakdown (cases, laufend, new: counts; expenditure: money) by `hilfearten` Hilfearten plus
`insgesamt` per area and year, whose parts add up both to the row total and over the areas.
The defaults are a `kreis` (about 50 Sozialräume in 10 municipalities, about 50,000 cells).
Prints cells, relations, suppressions and seconds for protect and for the audit.
"""

import argparse
import time

import numpy as np
import pandas as pd

from dagster_project.geheimhaltung import (
    GeheimhaltungConfig,
    audit,
    hierarchy_relations,
    protect,
    summen_relations,
    veroeffentlicht,
)

KREIS = "05999"
KENNZAHLEN = {"faelle": "anzahl", "laufend": "anzahl", "neu": "anzahl", "ausgaben": "geld"}


def geography(kommunen: int, raeume: int, rng: np.random.Generator) -> pd.DataFrame:
    """Base units: every Sozialraum and one `<ags>-OZ` per municipality, with the
    municipality's ags, the planungsraum and the planungsraum's ags (NULL if crossing)."""
    sizes = np.maximum(rng.poisson(raeume, kommunen), 1)
    ags = np.repeat([f"{KREIS}{4 * (i + 1):03d}" for i in range(kommunen)], sizes)
    block = np.arange(len(ags)) // 4
    geo = pd.DataFrame({"ags": ags, "sozialraum": [f"SR{i:05d}" for i in range(len(ags))],
                        "planungsraum": [f"PR{b:05d}" for b in block]})
    crossing = geo.groupby("planungsraum")["ags"].transform("nunique") > 1
    geo["pr_ags"] = geo["ags"].where(~crossing)
    ags_list = sorted(geo["ags"].unique())
    oz = pd.DataFrame({"ags": ags_list, "sozialraum": [f"{a}-OZ" for a in ags_list],
                       "planungsraum": [f"{a}-OZ" for a in ags_list], "pr_ags": ags_list})
    return pd.concat([geo, oz], ignore_index=True)


def synthetic(kommunen=10, raeume=5, codes=59, jahre=5, hilfearten=12, seed=1):
    """(cells, relations) of a synthetic county."""
    rng = np.random.default_rng(seed)
    units = geography(kommunen, raeume, rng)
    oz = units["sozialraum"].str.endswith("-OZ").to_numpy()
    population = np.where(oz, rng.poisson(3, len(units)),
                          rng.lognormal(5.5, 0.7, len(units)).astype(int))
    indicators, hze = [], []
    for year in range(2024 - jahre + 1, 2025):
        parts = {}
        for c in range(1, codes):
            art = "geld" if c == codes - 1 else ("anzahl" if c % 7 == 3 else "anteil")
            nenner = np.floor(population * (0.2 if c in (1, 2) else 1.0))
            room = nenner - parts.get(1, 0.0) if c == 2 else nenner
            zaehler = rng.binomial(room.astype(int), rng.uniform(0.002, 0.25)).astype(float)
            parts[c] = zaehler
            costs = _costs(zaehler, rng) if art == "geld" else None
            frame = _levels(units, zaehler, nenner, costs)
            frame["nenner"] = frame["nenner"] if art == "anteil" else np.nan
            indicators.append(frame.assign(code=f"C{c:02d}", berichtsjahr=year, wert_art=art))
        # C00 = C01 + C02 on every area (an identity between two indicator tables)
        c01, c02 = indicators[-(codes - 1)], indicators[-(codes - 2)]
        c00 = c01.assign(code="C00", zaehler=c01["zaehler"].to_numpy() + c02["zaehler"].to_numpy())
        indicators.append(c00)
        for h in range(hilfearten):
            faelle = rng.poisson(0.3 + 4.0 * rng.random(), len(units)).astype(float)
            laufend = rng.binomial(faelle.astype(int), 0.7).astype(float)
            neu = rng.binomial(faelle.astype(int), 0.4).astype(float)
            for kennzahl, zaehler in (("faelle", faelle), ("laufend", laufend), ("neu", neu),
                                      ("ausgaben", faelle)):
                costs = _costs(zaehler, rng) if kennzahl == "ausgaben" else None
                frame = _levels(units, zaehler, np.full(len(units), np.nan), costs)
                hze.append(frame.assign(kennzahl=kennzahl, hilfeart=f"H{h:02d}",
                                        berichtsjahr=year))

    indicators = pd.concat(indicators, ignore_index=True)
    indicators["tabelle"] = "indikatorwerte"
    indicators["sensibel"] = ~indicators["code"].isin(["C05", "C06"])
    indicators["cell_id"] = (indicators["code"] + "|" + indicators["berichtsjahr"].astype(str)
                             + "|" + indicators["gliederung"] + "|" + indicators["raum_id"])
    hze = _with_totals(pd.concat(hze, ignore_index=True))
    hze["tabelle"], hze["sensibel"] = "hze_hilfearten", True
    hze["wert_art"] = hze["kennzahl"].map(KENNZAHLEN)
    hze["cell_id"] = ("hze|" + hze["kennzahl"] + "|" + hze["hilfeart"] + "|"
                      + hze["berichtsjahr"].astype(str) + "|" + hze["gliederung"] + "|"
                      + hze["raum_id"])
    relations = [hierarchy_relations(indicators),
                 hierarchy_relations(hze, ("kennzahl", "hilfeart", "berichtsjahr"),
                                     prefix="hze|"),
                 summen_relations(hze, ["kennzahl", "berichtsjahr", "gliederung", "raum_id"],
                                  "hilfeart", "insgesamt", prefix="hze|")]
    ident = indicators[indicators["code"].isin(["C00", "C01", "C02"])]
    relations.append(pd.DataFrame({
        "relation_id": ("ident|" + ident["berichtsjahr"].astype(str) + "|" + ident["gliederung"]
                        + "|" + ident["raum_id"]),
        "cell_id": ident["cell_id"],
        "koeffizient": np.where(ident["code"] == "C00", 1.0, -1.0)}))
    cells = pd.concat([indicators, hze], ignore_index=True)
    return cells, pd.concat(relations, ignore_index=True)


def _costs(cases: np.ndarray, rng: np.random.Generator) -> pd.DataFrame:
    """One row per case: its base unit and its cost."""
    unit = np.repeat(np.arange(len(cases)), cases.astype(int))
    return pd.DataFrame({"unit": unit, "kosten": rng.lognormal(9, 1.2, len(unit)).round(2)})


def _levels(units: pd.DataFrame, zaehler: np.ndarray, nenner: np.ndarray,
            costs: pd.DataFrame | None) -> pd.DataFrame:
    """Cells of one figure on every level (Sozialraum, planungsraum, kommune, kreis), summed
    from the base units; for money (`costs` given) the sum, count and largest of the costs."""
    base = units.assign(zaehler=zaehler, nenner=nenner)
    base["kreis"] = KREIS
    levels = [("sozialraum", "sozialraum", "ags"), ("planungsraum", "planungsraum", "pr_ags"),
              ("kommune", "ags", "ags"), ("kreis", "kreis", "kreis")]
    rows = []
    for gliederung, id_col, ags_col in levels:
        agg = base.groupby(id_col, sort=True).agg(
            zaehler=("zaehler", "sum"), nenner=("nenner", "sum"), ags=(ags_col, "first"))
        agg = agg.rename_axis("raum_id").reset_index().assign(gliederung=gliederung)
        if gliederung == "kreis":
            agg["ags"] = None
        if costs is not None:
            key = base[id_col].to_numpy()[costs["unit"].to_numpy()]
            stats = costs.groupby(key)["kosten"].agg(["sum", "count", "max"])
            stats = stats.reindex(agg["raum_id"]).fillna(0.0)
            agg["zaehler"] = stats["sum"].to_numpy()
            agg["n_beitraege"] = stats["count"].to_numpy()
            agg["max_beitrag"] = stats["max"].to_numpy()
        rows.append(agg)
    out = pd.concat(rows, ignore_index=True)
    for column in ("n_beitraege", "max_beitrag"):
        if column not in out.columns:
            out[column] = np.nan
    return out


def _with_totals(hze: pd.DataFrame) -> pd.DataFrame:
    """Add the row `insgesamt` (sum over the Hilfearten) per kennzahl, year and area."""
    keys = ["kennzahl", "berichtsjahr", "gliederung", "raum_id"]
    totals = hze.groupby(keys, sort=False, dropna=False).agg(
        zaehler=("zaehler", "sum"), ags=("ags", "first"), n_beitraege=("n_beitraege", "sum"),
        max_beitrag=("max_beitrag", "max")).reset_index()
    totals.loc[totals["kennzahl"] != "ausgaben", ["n_beitraege", "max_beitrag"]] = np.nan
    return pd.concat([hze, totals.assign(hilfeart="insgesamt")], ignore_index=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--kommunen", type=int, default=10)
    parser.add_argument("--raeume", type=int, default=5, help="Sozialräume per municipality")
    parser.add_argument("--codes", type=int, default=59)
    parser.add_argument("--jahre", type=int, default=5)
    parser.add_argument("--hilfearten", type=int, default=12)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--fast-audit", action="store_true",
                        help="audit with exakt=False (same verdict, intervals not tightest)")
    args = parser.parse_args()
    start = time.perf_counter()
    cells, relations = synthetic(args.kommunen, args.raeume, args.codes, args.jahre,
                                 args.hilfearten, args.seed)
    built = time.perf_counter()
    raeume = cells.loc[cells["gliederung"] == "sozialraum", "raum_id"]
    sozialraeume = raeume[~raeume.str.endswith("-OZ")].nunique()
    print(f"cells {len(cells):,} ({cells['tabelle'].value_counts().to_dict()}), Sozialräume"
          f" {sozialraeume:,}, relations {relations['relation_id'].nunique():,}"
          f" ({len(relations):,} rows); generated in {built - start:.1f} s")
    config = GeheimhaltungConfig()
    stats: dict = {}
    result, log = protect(cells, relations, config, stats=stats)
    protected = time.perf_counter()
    print(f"protect: {protected - built:.1f} s; {stats}")
    print(log["grund"].str.split(":").str[0].str.split(",").str[0].value_counts().to_string())
    share = (result["status"] != "ok").groupby([result["tabelle"], result["gliederung"]]).mean()
    print("suppressed share per table and level:", share.round(3).to_dict())
    check = audit(veroeffentlicht(result), relations, config,
                  true_values=cells.set_index("cell_id")["zaehler"], exakt=not args.fast_audit)
    print(f"audit: {time.perf_counter() - protected:.1f} s; checked {check.geprueft:,}, "
          f"failing {check.fehlerhaft}, narrowest width {check.engste_breite}, "
          f"LPs {check.lp_anzahl}, exact intervals {check.exakt}")


if __name__ == "__main__":
    main()
