"""Reference implementation of the B indicators (Bevölkerungsstruktur), in plain pandas.

Written only from ``shared/spec/contracts.md``, ``shared/spec/indicators.md`` and
``docs/decisions.md``; it deliberately shares no code with ``ingestion/`` or the dbt
models, so that agreement between the two is evidence, not an echo.

Entry point: :func:`recompute_b_indicators`, which reads a folder laid out like an inbox
(``adressen/``, ``raumgliederung/``, ``einwohner/``) and returns one row per
(code, gliederung, raum_id, berichtsjahr) with ``zaehler`` and ``nenner``.

Readings of the rules where the texts leave room:

- Several ``einwohner`` Stichtage in one calendar year: per municipality the newest
  Stichtag of the year is the Berichtsjahr's population.
- File reading, row checks shared by all sources, replacement, geography: see
  ``reference.common``.
- B10 of the first Berichtsjahr (no previous year): ``zaehler`` and ``nenner`` are None;
  otherwise the previous year is Berichtsjahr - 1 (same geography, same rules).
- A municipality without a delivery in a year gets zero counts there (the published
  warehouse may mark such cells ``keine_daten`` instead).
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from tests.reference.common import (
    OUTPUT_COLUMNS,
    column,
    completed_years,
    indicator_rows,
    load_geography,
    load_source,
    newest_stichtag_per_year,
    parse_date_column,
    person_rows,
    sum_by_area,
)

EINWOHNER_REQUIRED = (
    "person_id",
    "geburtsdatum",
    "geschlecht",
    "staatsangehoerigkeit",
    "wohnungsstatus",
    "ags",
    "strasse",
    "hausnummer",
)
FAMILIENSTAND = {"LD", "VH", "VW", "GS", "LP", "NB"}
WOHNUNGSSTATUS = {"H", "N"}

#: (code, numerator flag, denominator flag or None for a count)
B_DEFINITIONS: tuple[tuple[str, str, str | None], ...] = (
    ("B01", "pop", None),
    ("B02", "u18", "pop"),
    ("B03", "u6", "pop"),
    ("B04", "a65", "pop"),
    ("B05", "a80", "pop"),
    ("B06", "u20", "a20_64"),
    ("B07", "a65", "a20_64"),
    ("B08", "nd", "pop"),
    ("B09", "nd_u18", "u18"),
    # B10 is computed separately: (pop - pop of previous year) / pop of previous year
    ("B11", "zuzug_12m", "zuzug_known"),
    ("B12", "wohndauer_5", "a5_zuzug_known"),
)
B_CODES = tuple(f"B{i:02d}" for i in range(1, 13))

#: wert = FAKTOR[code] * zaehler / nenner (B01 is a count: wert = zaehler)
FAKTOR = {code: (1 if code == "B01" else 100) for code in B_CODES}




# --------------------------------------------------------------------------- row checks


def einwohner_rows(frame: pd.DataFrame, stichtag: pd.Timestamp) -> tuple[pd.DataFrame, pd.Series]:
    """Parsed rows of one ``einwohner`` file and the mask of row errors."""
    out, error = person_rows(frame, stichtag, EINWOHNER_REQUIRED, "person_id")
    out["zuzug_datum"], bad = parse_date_column(frame, "zuzug_datum", stichtag)
    error |= bad
    wohnungsstatus = column(frame, "wohnungsstatus").str.upper()
    error |= ~wohnungsstatus.isin(WOHNUNGSSTATUS)
    out["is_hauptwohnung"] = wohnungsstatus == "H"
    sta = column(frame, "staatsangehoerigkeit")
    error |= ~sta.str.fullmatch(r"\d{3}")
    weitere = column(frame, "weitere_staatsangehoerigkeit")
    error |= (weitere != "") & ~weitere.str.fullmatch(r"\d{3}")
    out["is_nichtdeutsch"] = (sta != "000") & (weitere != "000")
    fs = column(frame, "familienstand").str.upper()
    error |= (fs != "") & ~fs.isin(FAMILIENSTAND)
    out["familienstand"] = fs
    for name in ("ehegatte_id", "elternteil1_id", "elternteil2_id"):
        out[name] = column(frame, name)
    return out, error.astype(bool)


def load_einwohner(delivered: Path) -> pd.DataFrame:
    """Every accepted ``einwohner`` row (Hauptwohnung and Nebenwohnung) of the newest
    Stichtag per municipality and year, with ``berichtsjahr`` = the Stichtag's year."""
    rows = load_source(Path(delivered) / "einwohner", "einwohner", EINWOHNER_REQUIRED, einwohner_rows)
    if rows.empty:
        return rows
    rows["berichtsjahr"] = rows["stichtag"].dt.year.astype("int64")
    return newest_stichtag_per_year(rows)


# --------------------------------------------------------------------------- indicators


def _person_flags(persons: pd.DataFrame) -> pd.DataFrame:
    age = persons["alter"].astype("int64")
    st = persons["stichtag"]
    zuzug = persons["zuzug_datum"]
    known = zuzug.notna()
    days = (st - zuzug).dt.days
    wohndauer = completed_years(zuzug, st)
    flags = pd.DataFrame(index=persons.index)
    flags["pop"] = 1
    flags["u18"] = age < 18
    flags["u6"] = age < 6
    flags["u20"] = age < 20
    flags["a20_64"] = (age >= 20) & (age <= 64)
    flags["a65"] = age >= 65
    flags["a80"] = age >= 80
    flags["nd"] = persons["is_nichtdeutsch"]
    flags["nd_u18"] = persons["is_nichtdeutsch"] & (age < 18)
    flags["zuzug_known"] = known
    flags["zuzug_12m"] = (known & (days >= 0) & (days <= 364)).fillna(False)
    flags["a5_zuzug_known"] = known & (age >= 5)
    flags["wohndauer_5"] = (known & (age >= 5) & (wohndauer >= 5)).fillna(False)
    return flags.astype("int64")


def recompute_b_indicators(delivered: Path) -> pd.DataFrame:
    """B01–B12 for every area, municipality and the county, every Berichtsjahr.

    ``delivered`` holds ``adressen/``, ``raumgliederung/`` and ``einwohner/`` as delivered.
    Returns columns ``code, gliederung, raum_id, berichtsjahr, zaehler, nenner``
    (nullable integers; ``nenner`` is None for the count B01 and for B10 of the first year).
    """
    einwohner = load_einwohner(delivered)
    if einwohner.empty:
        return pd.DataFrame(columns=OUTPUT_COLUMNS)
    geo = load_geography(delivered, set(einwohner["ags"]))
    years = sorted(einwohner["berichtsjahr"].unique().tolist())

    persons = einwohner.loc[einwohner["is_hauptwohnung"]].reset_index(drop=True)
    flags = _person_flags(persons)
    flags["berichtsjahr"] = persons["berichtsjahr"].to_numpy()
    sums_by_level = sum_by_area(flags, geo.levels(persons), years)
    out = [indicator_rows(sums_by_level, B_DEFINITIONS)]
    for level, sums in sums_by_level.items():
        prev = sums[["raum_id", "berichtsjahr", "pop"]].copy()
        prev["berichtsjahr"] += 1
        b10 = sums[["raum_id", "berichtsjahr", "pop"]].merge(
            prev.rename(columns={"pop": "pop_vorjahr"}), on=["raum_id", "berichtsjahr"], how="left"
        )
        nenner = b10["pop_vorjahr"].astype("Int64")
        out.append(
            pd.DataFrame(
                {
                    "code": "B10",
                    "gliederung": level,
                    "raum_id": b10["raum_id"],
                    "berichtsjahr": b10["berichtsjahr"],
                    "zaehler": (b10["pop"].astype("Int64") - nenner),
                    "nenner": nenner,
                }
            )
        )
    result = pd.concat(out, ignore_index=True)
    result["berichtsjahr"] = result["berichtsjahr"].astype("int64")
    result = result.sort_values(["code", "gliederung", "raum_id", "berichtsjahr"])
    return result.reset_index(drop=True)[OUTPUT_COLUMNS]
