"""The published population table `bevoelkerung` agrees with an independent count.

``demo_run`` has run the whole pipeline on the synthetic county. The reference here counts
the residents with Hauptwohnung of the delivered ``einwohner`` files in plain pandas (file
reading, row checks, newest Stichtag per municipality and year and the geography from
``tests/reference``) by age group, sex and nationality for every area, municipality and the
county; the published table must hold exactly these counts as a full grid (zeros included)
and add up to B01 of ``indikatorwerte``.
"""

from __future__ import annotations

from pathlib import Path

import duckdb
import numpy as np
import pandas as pd
import pytest

from tests.reference.bevoelkerung import EINWOHNER_REQUIRED, einwohner_rows
from tests.reference.common import column, load_geography, load_source, newest_stichtag_per_year

KEY = ["gliederung", "raum_id", "berichtsjahr", "altersgruppe", "geschlecht",
       "staatsangehoerigkeit"]
ALTERSGRUPPEN = ["0-2", "3-5", "6-9", "10-14", "15-17", "18-20", "21-24", "25-44", "45-64",
                 "65-79", "80+"]
GRENZEN = [0, 3, 6, 10, 15, 18, 21, 25, 45, 65, 80, 200]
COLUMNS = ["gliederung", "raum_id", "raum_name", "ags", "berichtsjahr", "stichtag",
           "altersgruppe", "alter_von", "alter_bis", "geschlecht", "staatsangehoerigkeit",
           "anzahl"]


def _published(demo_run, sql: str) -> pd.DataFrame:
    con = duckdb.connect(str(demo_run.home.published_db), read_only=True)
    try:
        return con.execute(sql).df()
    finally:
        con.close()


def _einwohner_with_sex(frame: pd.DataFrame, stichtag: pd.Timestamp):
    rows, error = einwohner_rows(frame, stichtag)
    rows["geschlecht"] = column(frame, "geschlecht").str.lower()
    return rows, error


@pytest.fixture(scope="module")
def reference(demo_run) -> pd.DataFrame:
    """Counts > 0 per KEY, and the (gliederung, raum_id, berichtsjahr) of the grid."""
    delivered = Path(demo_run.delivered)
    rows = load_source(delivered / "einwohner", "einwohner", EINWOHNER_REQUIRED,
                       _einwohner_with_sex)
    rows["berichtsjahr"] = rows["stichtag"].dt.year.astype("int64")
    rows = newest_stichtag_per_year(rows)
    persons = rows.loc[rows["is_hauptwohnung"]].reset_index(drop=True)
    merkmale = pd.DataFrame({
        "berichtsjahr": persons["berichtsjahr"],
        "altersgruppe": pd.cut(persons["alter"].astype("int64"), GRENZEN, right=False,
                               labels=ALTERSGRUPPEN).astype(str),
        "geschlecht": persons["geschlecht"],
        "staatsangehoerigkeit": np.where(persons["is_nichtdeutsch"], "nichtdeutsch", "deutsch"),
    })
    geo = load_geography(delivered, set(rows["ags"]))
    counts, grid = [], []
    years = sorted(persons["berichtsjahr"].unique())
    for level, (raum, areas) in geo.levels(persons).items():
        frame = merkmale.assign(gliederung=level, raum_id=raum)
        counts.append(frame.groupby(KEY).size().rename("anzahl").reset_index())
        grid += [(level, area, year) for area in areas for year in years]
    result = pd.concat(counts, ignore_index=True)
    result.attrs["grid"] = set(grid)
    return result


@pytest.fixture(scope="module")
def published(demo_run) -> pd.DataFrame:
    frame = _published(demo_run, "select * from bevoelkerung")
    frame["berichtsjahr"] = frame["berichtsjahr"].astype("int64")
    frame["anzahl"] = frame["anzahl"].astype("int64")
    return frame


def test_published_table_has_the_documented_columns(published):
    assert list(published.columns) == COLUMNS
    assert set(published["altersgruppe"]) == set(ALTERSGRUPPEN)
    assert set(published["geschlecht"]) == {"m", "w", "d", "o"}
    assert set(published["staatsangehoerigkeit"]) == {"deutsch", "nichtdeutsch"}


def test_full_grid_for_every_gebiet_and_year(published, reference):
    sizes = published.groupby(["gliederung", "raum_id", "berichtsjahr"]).size()
    assert (sizes == len(ALTERSGRUPPEN) * 4 * 2).all(), sizes[sizes != 88].head()
    assert set(sizes.index) == reference.attrs["grid"]
    assert not published.duplicated(KEY).any()


def test_counts_equal_the_reference(published, reference):
    pub = published.loc[published["anzahl"] > 0, KEY + ["anzahl"]]
    merged = reference.merge(pub, on=KEY, how="outer", suffixes=("_ref", "_pub"))
    bad = merged[merged["anzahl_ref"].fillna(0) != merged["anzahl_pub"].fillna(0)]
    assert bad.empty, f"{len(bad)} differing cells:\n{bad.head(20).to_string()}"
    assert len(reference) > 1000  # the comparison is not vacuous


def test_sums_equal_b01(demo_run, published):
    b01 = _published(demo_run, "select gliederung, raum_id, berichtsjahr, zaehler "
                               "from indikatorwerte where code = 'B01' and status = 'ok'")
    b01["berichtsjahr"] = b01["berichtsjahr"].astype("int64")
    sums = published.groupby(["gliederung", "raum_id", "berichtsjahr"])["anzahl"].sum()
    merged = b01.merge(sums.reset_index(), on=["gliederung", "raum_id", "berichtsjahr"],
                       how="outer")
    assert len(merged) == len(b01) == len(sums)
    assert (merged["zaehler"] == merged["anzahl"]).all()


def test_age_bounds_describe_the_groups(published):
    groups = published[["altersgruppe", "alter_von", "alter_bis"]].drop_duplicates()
    groups = groups.sort_values("alter_von")
    assert list(groups["altersgruppe"]) == ALTERSGRUPPEN
    assert list(groups["alter_von"]) == GRENZEN[:-1]
    assert list(groups["alter_bis"].iloc[:-1].astype(int)) == [g - 1 for g in GRENZEN[1:-1]]
    assert pd.isna(groups["alter_bis"].iloc[-1])
