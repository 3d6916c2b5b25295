"""Time disclosure control (protect + audit) on a real warehouse.

    python -m benchmarks.geheimhaltung --warehouse HOME/warehouse/spm.duckdb [--jahre N]

Reads the private marts of a warehouse built by `spm run` (any scale; `make benchmark
SCALE=kreis` builds one), turns them into cells and relations exactly as the nightly run
does (dagster_project.lib.geheimhaltung.tables, catalogue from the dbt seed), and times:
protect cold (no cached patterns), protect with nothing changed (every Berichtsjahr found
in the cache), the gate's audit cold and with nothing changed. Prints cells, relations,
suppressed cells per level, rounds, LPs and seconds.
"""

import argparse
import time
from pathlib import Path

import duckdb
import numpy as np
import pandas as pd

from dagster_project.lib.geheimhaltung import GeheimhaltungConfig, audit, protect
from dagster_project.lib.geheimhaltung.tables import relationen, zellen

SEED = Path(__file__).resolve().parent.parent / "dbt_spm" / "seeds" / "indikatoren_katalog.csv"


def load(warehouse: str, jahre: int | None = None) -> tuple[pd.DataFrame, pd.DataFrame]:
    """(cells, relations) of a warehouse, as the dbt models build them."""
    con = duckdb.connect(warehouse, read_only=True)
    try:
        werte = con.sql("select code, gliederung, raum_id, ags, berichtsjahr, zaehler, nenner,"
                        " status from marts.mart_indikatorwerte").df()
        hilfearten = con.sql("select * from marts.mart_hze_hilfearten").df()
        gebiete = con.sql("select gliederung, raum_id, ags from intermediate.int_geo__gebiete").df()
        zuordnung = con.sql("select zuordnung_id, gliederung, raum_id"
                            " from intermediate.int_geo__zuordnung_gebiete").df()
    finally:
        con.close()
    if jahre:
        last = sorted(werte["berichtsjahr"].unique())[-jahre:]
        werte = werte[werte["berichtsjahr"].isin(last)]
        hilfearten = hilfearten[hilfearten["berichtsjahr"].isin(last)]
    katalog = pd.read_csv(SEED, dtype=str)
    katalog["sensibel"] = katalog["sensibel"].str.lower() == "true"
    hilfearten = hilfearten.merge(gebiete, on=["gliederung", "raum_id"], how="left")
    cells = zellen(werte, katalog, hilfearten)
    cells = cells.sort_values("cell_id", kind="stable").reset_index(drop=True)
    relations = relationen(cells, zuordnung)
    return cells, relations


def published_state(result: pd.DataFrame) -> pd.DataFrame:
    """What the gate's audit sees: suppressed values blank, true values aside."""
    return result.assign(zaehler=result["zaehler"].where(result["status"] == "ok"))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--warehouse", required=True)
    parser.add_argument("--jahre", type=int, help="only the newest N Berichtsjahre")
    args = parser.parse_args(argv)
    config = GeheimhaltungConfig()

    start = time.perf_counter()
    cells, relations = load(args.warehouse, args.jahre)
    prepare = time.perf_counter() - start

    pattern_cache: dict = {}
    stats: dict = {}
    start = time.perf_counter()
    result, _ = protect(cells, relations, config, stats=stats, cache=pattern_cache)
    protect_cold = time.perf_counter() - start
    again: dict = {}
    start = time.perf_counter()
    result_again, _ = protect(cells, relations, config, stats=again, cache=pattern_cache)
    protect_warm = time.perf_counter() - start
    assert (result_again["status"] == result["status"]).all()

    truth = result.set_index("cell_id")["zaehler"]
    audit_cache: dict = {}
    start = time.perf_counter()
    check = audit(published_state(result), relations, config, true_values=truth, exakt=False,
                  cache=audit_cache)
    audit_cold = time.perf_counter() - start
    start = time.perf_counter()
    check_again = audit(published_state(result), relations, config, true_values=truth,
                        exakt=False, cache=audit_cache)
    audit_warm = time.perf_counter() - start
    assert check_again.fehlerhaft == check.fehlerhaft

    visible = result[~result["verborgen"].astype(bool)]
    supp = visible["status"] == "gesperrt"
    print(f"cells {len(cells):,}  relations {relations['relation_id'].nunique():,}  "
          f"Berichtsjahre {cells['berichtsjahr'].nunique()}  (prepared in {prepare:.1f} s)")
    print(f"suppressed {int(supp.sum()):,} of {len(visible):,} "
          f"(primary {stats['primaer']:,}, secondary {stats['sekundaer']:,}); per level:")
    for ebene, part in visible.groupby("ebene"):
        blank = (part["status"] == "gesperrt").sum()
        print(f"  {ebene:<8} {blank:>7,} of {len(part):>7,}  ({100 * blank / len(part):5.1f} %)")
    print(f"protect cold       {protect_cold:7.2f} s  rounds {stats['runden']}, "
          f"LPs {stats['lp_anzahl']:,}, blocks {stats['bloecke']}")
    print(f"protect unchanged  {protect_warm:7.2f} s  blocks reused "
          f"{again['bloecke_wiederverwendet']} of {again['bloecke']}")
    print(f"audit cold         {audit_cold:7.2f} s  checked {check.geprueft:,}, failing "
          f"{check.fehlerhaft}, LPs {check.lp_anzahl:,}")
    print(f"audit unchanged    {audit_warm:7.2f} s")
    print(f"protect + audit    {protect_cold + audit_cold:7.2f} s cold, "
          f"{protect_warm + audit_warm:.2f} s with nothing changed")
    ok = check.ok and np.isfinite(protect_cold)
    return 0 if ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
