"""How disclosure control scales with the number of municipalities in one county.

    python -m benchmarks.geheimhaltung_skalierung --warehouse HOME/warehouse/spm.duckdb
        [--faktoren 1 2 4 8]

Takes the newest Berichtsjahr of a real warehouse (e.g. `kreis`) and builds a county of
k copies of it: every area, municipality and its cells k times, the county cells once
(their values the sum of the copies), the relations through the county merged. That is
the shape of the `nrw` preset (hundreds of municipalities under one top level) without
generating and loading 18 million residents. Prints cells and seconds for protect and the
audit per factor, the suppressed cells and the process's peak memory so far (run one
factor per process for the peak of each).
"""

import argparse
import resource
import time

import pandas as pd

from benchmarks.geheimhaltung import load, published_state
from dagster_project.lib.geheimhaltung import GeheimhaltungConfig, audit, protect


def copies(cells: pd.DataFrame, relations: pd.DataFrame, k: int
           ) -> tuple[pd.DataFrame, pd.DataFrame]:
    top = cells["ebene"] == "kreis"
    shared = cells[top].copy()
    for column in ("zaehler", "nenner", "n_beitraege"):
        shared[column] = shared[column] * k
    parts = [shared]
    for r in range(k):
        part = cells[~top].copy()
        for column in ("cell_id", "gebiet", "reihe", "raum_id"):
            part[column] = part[column] + f"~{r}"
        parts.append(part)
    out_cells = pd.concat(parts, ignore_index=True)

    is_top = relations["cell_id"].isin(set(cells.loc[top, "cell_id"]))
    with_top = is_top.groupby(relations["relation_id"]).transform("any")
    all_top = is_top.groupby(relations["relation_id"]).transform("all")
    rel_parts = [relations[all_top].assign(konstante=relations.loc[all_top, "konstante"] * k),
                 relations[with_top & ~all_top & is_top]
                 .assign(konstante=relations.loc[with_top & ~all_top & is_top, "konstante"] * k)]
    for r in range(k):
        merged = relations[with_top & ~all_top & ~is_top].copy()
        merged["cell_id"] = merged["cell_id"] + f"~{r}"
        merged["konstante"] = merged["konstante"] * k
        own = relations[~with_top].copy()
        own["cell_id"] = own["cell_id"] + f"~{r}"
        own["relation_id"] = own["relation_id"] + f"~{r}"
        rel_parts += [merged, own]
    return out_cells, pd.concat(rel_parts, ignore_index=True)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--warehouse", required=True)
    parser.add_argument("--faktoren", type=int, nargs="+", default=[1, 2, 4, 8])
    args = parser.parse_args(argv)
    config = GeheimhaltungConfig()
    cells, relations = load(args.warehouse, jahre=1)
    print(f"{'copies':>6} {'municipalities':>14} {'cells':>9} {'protect s':>10} "
          f"{'audit s':>8} {'suppressed':>10} {'share':>6} {'LPs':>7} {'peak MiB':>8}")
    for k in args.faktoren:
        big_cells, big_relations = copies(cells, relations, k)
        start = time.perf_counter()
        stats: dict = {}
        result, _ = protect(big_cells, big_relations, config, stats=stats)
        protect_s = time.perf_counter() - start
        start = time.perf_counter()
        check = audit(published_state(result), big_relations, config,
                      true_values=result.set_index("cell_id")["zaehler"], exakt=False)
        audit_s = time.perf_counter() - start
        assert check.ok
        kommunen = big_cells.loc[big_cells["ebene"] == "kommune", "raum_id"].nunique()
        suppressed = int((result["status"] == "gesperrt").sum())
        peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        print(f"{k:>6} {kommunen:>14} {len(big_cells):>9,} {protect_s:>10.1f} {audit_s:>8.1f}"
              f" {suppressed:>10,} {suppressed / len(result):>6.1%}"
              f" {stats['lp_anzahl'] + check.lp_anzahl:>7,} {peak:>8,.0f}", flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
