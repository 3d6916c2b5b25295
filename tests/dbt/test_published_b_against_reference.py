"""The published B indicators agree with the independent reference implementation.

``demo_run`` (session fixture from tests/conftest.py) has run the whole pipeline on a
synthetic county: ``demo_run.delivered`` holds exactly the delivered files, and the
published database is ``demo_run.home / "published" / "spm.duckdb"``. The reference
(tests/reference/bevoelkerung.py) recomputes B01–B12 from those files in plain pandas;
both must agree on every key and on every ``zaehler`` and ``nenner``.

The B indicators are not sensitive (indicators.md): disclosure control never suppresses
them, and denominators are never suppressed anyway (privacy-and-publishing.md). So every
B value is published, exact, with status ``ok`` or ``kein_nenner``, never ``gesperrt``.
"""

from __future__ import annotations

import math
from pathlib import Path

import duckdb
import pandas as pd
import pytest

from tests.reference.bevoelkerung import B_CODES, FAKTOR, recompute_b_indicators

KEY = ["code", "gliederung", "raum_id", "berichtsjahr"]
SHOW = 20


def _published_db(demo_run) -> Path:
    """``home / "published" / "spm.duckdb"``; ``home`` is a Path or an ingestion ``Home``."""
    home = demo_run.home
    root = home if isinstance(home, (str, Path)) else home.root
    return Path(root) / "published" / "spm.duckdb"


@pytest.fixture(scope="module")
def published(demo_run) -> pd.DataFrame:
    codes = ", ".join(f"'{c}'" for c in B_CODES)
    con = duckdb.connect(str(_published_db(demo_run)), read_only=True)
    try:
        frame = con.execute(
            "select code, gliederung, raum_id, berichtsjahr, "
            "cast(zaehler as double) as zaehler, cast(nenner as double) as nenner, "
            "cast(wert as double) as wert, status "
            f"from indikatorwerte where code in ({codes})"
        ).df()
    finally:
        con.close()
    frame["berichtsjahr"] = frame["berichtsjahr"].astype("int64")
    frame["raum_id"] = frame["raum_id"].astype(str)
    return frame


@pytest.fixture(scope="module")
def reference(demo_run) -> pd.DataFrame:
    frame = recompute_b_indicators(Path(demo_run.delivered))
    frame["berichtsjahr"] = frame["berichtsjahr"].astype("int64")
    return frame


def _as_float(values: pd.Series) -> pd.Series:
    """NULL, None, NaN and pd.NA all become NaN; numbers become floats."""
    return pd.to_numeric(values.astype(object).where(values.notna(), None), errors="coerce").astype(
        "float64"
    )


def _same(a: pd.Series, b: pd.Series) -> pd.Series:
    return (a.isna() & b.isna()) | (a == b)


def _fail_if(problems: list[str]) -> None:
    """Fail with the readable mismatch tables only (no dump of the fixtures)."""
    if problems:
        pytest.fail("\n\n".join(problems), pytrace=False)


def _show(frame: pd.DataFrame, what: str) -> str:
    with pd.option_context("display.width", 200, "display.max_columns", 20):
        return f"{len(frame)} {what}; first {min(SHOW, len(frame))}:\n{frame.head(SHOW).to_string()}"


@pytest.fixture(scope="module")
def joined(published: pd.DataFrame, reference: pd.DataFrame) -> pd.DataFrame:
    ref = reference.copy()
    ref["zaehler"] = _as_float(ref["zaehler"])
    ref["nenner"] = _as_float(ref["nenner"])
    pub = published.copy()
    pub["zaehler"] = _as_float(pub["zaehler"])
    pub["nenner"] = _as_float(pub["nenner"])
    pub["wert"] = _as_float(pub["wert"])
    return ref.merge(pub, on=KEY, how="inner", suffixes=("_ref", "_pub"))


def test_published_b_keys_match_reference(published: pd.DataFrame, reference: pd.DataFrame):
    dup = published[published.duplicated(KEY, keep=False)].sort_values(KEY)
    _fail_if([_show(dup, "duplicate published keys")] if len(dup) else [])
    _fail_if([] if len(reference) else ["the reference found no B values in the delivered files"])
    ref_keys = set(map(tuple, reference[KEY].itertuples(index=False)))
    pub_keys = set(map(tuple, published[KEY].itertuples(index=False)))
    missing = pd.DataFrame(sorted(ref_keys - pub_keys), columns=KEY)
    extra = pd.DataFrame(sorted(pub_keys - ref_keys), columns=KEY)
    problems = []
    if len(missing):
        problems.append(_show(missing, "keys in the reference but not published"))
    if len(extra):
        problems.append(_show(extra, "keys published but not in the reference"))
    _fail_if(problems)


def test_published_b_zaehler_nenner_equal_reference(joined: pd.DataFrame):
    bad = pd.Series(False, index=joined.index)
    for column in ("zaehler", "nenner"):
        bad |= ~_same(joined[f"{column}_ref"], joined[f"{column}_pub"])
    cols = KEY + ["zaehler_ref", "zaehler_pub", "nenner_ref", "nenner_pub", "status"]
    _fail_if([_show(joined.loc[bad, cols], "rows where zaehler or nenner differ")] if bad.any() else [])


def _expected_wert(row) -> float:
    if row.code == "B01":
        return row.zaehler_ref
    if math.isnan(row.nenner_ref) or row.nenner_ref == 0 or math.isnan(row.zaehler_ref):
        return math.nan
    return FAKTOR[row.code] * row.zaehler_ref / row.nenner_ref


def test_published_b_wert_and_status_follow_zaehler_nenner(joined: pd.DataFrame):
    frame = joined.copy()
    frame["wert_ref"] = [_expected_wert(r) for r in frame.itertuples(index=False)]
    has_value = frame["wert_ref"].notna()
    close = (frame["wert"] - frame["wert_ref"]).abs() <= 1e-9
    # where the reference has a value: the same value, status ok (never suppressed);
    # where it has none (no previous year, denominator 0): no value, status kein_nenner
    bad_wert = (has_value & ~close.fillna(False)) | (~has_value & frame["wert"].notna())
    bad_status = (has_value & (frame["status"] != "ok")) | (
        ~has_value & (frame["status"] != "kein_nenner")
    )
    cols = KEY + ["zaehler_ref", "nenner_ref", "wert_ref", "wert", "status"]
    problems = []
    if bad_wert.any():
        problems.append(_show(frame.loc[bad_wert, cols], "rows where wert is not faktor*z/n"))
    if bad_status.any():
        problems.append(_show(frame.loc[bad_status, cols], "rows with an unexpected status"))
    _fail_if(problems)
