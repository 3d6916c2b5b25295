"""Compare the private indicator mart with a reference recomputation, cell by cell.

The private warehouse of a run (``<home>/warehouse/spm.duckdb``) holds every computed
indicator unprotected in ``marts.mart_indikatorwerte``; the reference modules return one
row per (code, gliederung, raum_id, berichtsjahr) with ``zaehler`` and ``nenner``. Both
must hold the same keys for the given codes and the same ``zaehler`` and ``nenner``
(money sums to 1e-6 EUR), and ``wert``/``status`` must follow from them.
"""

from __future__ import annotations

from pathlib import Path

import duckdb
import pandas as pd

KEY = ["code", "gliederung", "raum_id", "berichtsjahr"]
SHOW = 20


def private_warehouse(home) -> Path:
    root = home if isinstance(home, (str, Path)) else home.root
    return Path(root) / "warehouse" / "spm.duckdb"


def read_mart(warehouse: Path, codes) -> pd.DataFrame:
    codes = sorted(set(codes))
    con = duckdb.connect(str(warehouse), read_only=True)
    try:
        frame = con.execute(
            "select code, gliederung, raum_id, berichtsjahr, bezugszeitraum, "
            "cast(zaehler as double) as zaehler, cast(nenner as double) as nenner, "
            "cast(wert as double) as wert, status, einheit "
            "from marts.mart_indikatorwerte where code in (select unnest(?))",
            [codes],
        ).df()
    finally:
        con.close()
    frame["berichtsjahr"] = frame["berichtsjahr"].astype("int64")
    return frame


def as_float(values: pd.Series) -> pd.Series:
    """NULL, None, NaN and pd.NA become NaN; numbers become floats."""
    return pd.to_numeric(values.astype(object).where(values.notna(), None),
                         errors="coerce").astype("float64")


def _show(frame: pd.DataFrame, what: str) -> str:
    with pd.option_context("display.width", 220, "display.max_columns", 20):
        return f"{len(frame)} {what}; first {min(SHOW, len(frame))}:\n{frame.head(SHOW).to_string()}"


def differences(mart: pd.DataFrame, reference: pd.DataFrame, faktor: dict[str, float],
                counts: set[str] = frozenset(), tolerance: float = 1e-6) -> list[str]:
    """Readable problems (empty: the mart equals the reference).

    ``faktor``: wert = faktor * zaehler / nenner per code; codes in ``counts`` have
    wert = zaehler and no nenner. Rows with status ``keine_daten`` in the mart must not
    be in the reference; every other mart row must be.
    """
    problems = []
    if reference.empty:
        return ["the reference computed nothing"]
    ref = reference.copy()
    ref["berichtsjahr"] = ref["berichtsjahr"].astype("int64")
    dup = ref[ref.duplicated(KEY, keep=False)]
    if len(dup):
        problems.append(_show(dup, "duplicate reference keys"))
    present = mart.loc[mart["status"] != "keine_daten"]
    ref_keys = set(map(tuple, ref[KEY].itertuples(index=False)))
    mart_keys = set(map(tuple, present[KEY].itertuples(index=False)))
    if ref_keys - mart_keys:
        problems.append(_show(pd.DataFrame(sorted(ref_keys - mart_keys), columns=KEY),
                              "keys in the reference but without data in the mart"))
    if mart_keys - ref_keys:
        problems.append(_show(pd.DataFrame(sorted(mart_keys - ref_keys), columns=KEY),
                              "keys with data in the mart but not in the reference"))
    ref["zaehler"] = as_float(ref["zaehler"])
    ref["nenner"] = as_float(ref["nenner"])
    joined = ref.merge(present, on=KEY, how="inner", suffixes=("_ref", "_mart"))
    bad = pd.Series(False, index=joined.index)
    for column in ("zaehler", "nenner"):
        a, b = joined[f"{column}_ref"], joined[f"{column}_mart"]
        bad |= ~((a.isna() & b.isna()) | ((a - b).abs() <= tolerance))
    cols = KEY + ["zaehler_ref", "zaehler_mart", "nenner_ref", "nenner_mart", "status"]
    if bad.any():
        problems.append(_show(joined.loc[bad, cols], "rows where zaehler or nenner differ"))

    is_count = joined["code"].isin(counts)
    f = joined["code"].map(faktor).astype("float64")
    z, n = joined["zaehler_ref"], joined["nenner_ref"]
    expected = (f * z / n).where(n.notna() & (n != 0) & z.notna())
    expected = expected.where(~is_count, z)
    has_value = expected.notna()
    close = ((joined["wert"] - expected).abs() <= 1e-9 * (1 + expected.abs())).fillna(False)
    bad_wert = (has_value & ~close) | (~has_value & joined["wert"].notna())
    bad_status = (has_value & (joined["status"] != "ok")) | (
        ~has_value & (joined["status"] != "kein_nenner"))
    if bad_wert.any():
        problems.append(_show(joined.loc[bad_wert, cols + ["wert"]].assign(wert_ref=expected),
                              "rows where wert is not faktor * zaehler / nenner"))
    if bad_status.any():
        problems.append(_show(joined.loc[bad_status, cols], "rows with an unexpected status"))
    return problems
