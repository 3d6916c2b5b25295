"""Reference implementation of the S indicators (Soziale Lage, SGB II), in plain pandas.

Written only from ``shared/spec/contracts.md``, ``shared/spec/indicators.md`` and
``docs/decisions.md``; it shares no code with ``ingestion/`` or the dbt models.

Entry point: :func:`recompute_s_indicators`, which reads a folder laid out like an inbox
(``adressen/``, ``raumgliederung/``, ``einwohner/``, ``sgb2/``) and returns one row per
(code, gliederung, raum_id, berichtsjahr) with ``zaehler`` and ``nenner``.

Rules: RLB = ``ELB`` + ``NEF``; ages at the ``sgb2`` Stichtag; Bedarfsgemeinschaften (S02,
S08) are distinct ``bg_id`` per area (a BG whose members live in different areas counts
once in each, and once in every higher level); S10 counts every BG member under 15,
whatever the ``leistungsberechtigung``; population denominators as in
``reference.bevoelkerungsnenner``.

Readings of the rules where the texts leave room:

- Codes (``leistungsberechtigung``, ``bg_typ``) are compared case-insensitively.
- Non-German = a delivered ``staatsangehoerigkeit`` other than ``000`` (the column is
  optional in ``sgb2``: unknown nationality is not counted as non-German).
- ``arbeitslos`` counts only when it reads yes.
- Several ``sgb2`` Stichtage in one year: per municipality the newest one is the
  Berichtsjahr's delivery.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from tests.reference.bevoelkerungsnenner import bezug, werte_zeilen
from tests.reference.common import (
    OUTPUT_COLUMNS,
    column,
    load_source,
    newest_stichtag_per_year,
    parse_yes_no,
    person_rows,
)

SGB2_REQUIRED = ("person_id", "bg_id", "geburtsdatum", "geschlecht", "leistungsberechtigung",
                 "ags", "strasse", "hausnummer")
LEISTUNGSBERECHTIGUNG = ("ELB", "NEF", "SLB", "KOL", "AUS")
BG_TYP = ("SINGLE", "AE", "PAAR_OK", "PAAR_MK", "SONST")

S_CODES = tuple(f"S{i:02d}" for i in range(1, 11))
COUNTS = {"S01", "S02"}
FAKTOR = {code: (1 if code in COUNTS else 100) for code in S_CODES}

#: (code, numerator column, denominator column or None for a count)
S_DEFINITIONS: tuple[tuple[str, str, str | None], ...] = (
    ("S01", "rlb", None),
    ("S02", "bg", None),
    ("S03", "rlb_u65", "n_ew_unter_65"),
    ("S04", "rlb_u15", "n_ew_unter_15"),
    ("S05", "rlb_u18", "n_ew_unter_18"),
    ("S06", "elb_15_64", "n_ew_15_bis_64"),
    ("S07", "elb_15_64_arbeitslos", "n_ew_15_bis_64"),
    ("S08", "bg_ae", "bg_ae_paar_mk"),
    ("S09", "rlb_nd_u65", "n_ew_nichtdeutsch_unter_65"),
    ("S10", "mitglieder_u15", "n_ew_unter_15"),
)


def code_column(frame: pd.DataFrame, name: str, codes) -> tuple[pd.Series, pd.Series]:
    """(canonical code or '' when empty, mask of non-empty cells that are no code);
    compared case-insensitively."""
    lookup = {c.lower(): c for c in codes}
    raw = column(frame, name)
    canonical = raw.str.lower().map(lookup)
    bad = (raw != "") & canonical.isna()
    return canonical.fillna("").astype(object), bad


def sgb2_rows(frame: pd.DataFrame, stichtag: pd.Timestamp) -> tuple[pd.DataFrame, pd.Series]:
    """Parsed rows of one ``sgb2`` file and the mask of row errors."""
    out, error = person_rows(frame, stichtag, SGB2_REQUIRED, "person_id")
    out["bg_id"] = column(frame, "bg_id")
    out["leistungsberechtigung"], bad = code_column(frame, "leistungsberechtigung",
                                                    LEISTUNGSBERECHTIGUNG)
    error |= bad
    out["bg_typ"], bad = code_column(frame, "bg_typ", BG_TYP)
    error |= bad
    sta = column(frame, "staatsangehoerigkeit")
    error |= (sta != "") & ~sta.str.fullmatch(r"\d{3}")
    out["is_nichtdeutsch"] = (sta != "") & (sta != "000")
    arbeitslos, bad = parse_yes_no(column(frame, "arbeitslos"))
    error |= bad
    out["is_arbeitslos"] = arbeitslos.fillna(False).astype(bool)
    return out, error.astype(bool)


def load_sgb2(delivered: Path) -> pd.DataFrame:
    """Accepted ``sgb2`` rows of the newest Stichtag per municipality and year."""
    rows = load_source(Path(delivered) / "sgb2", "sgb2", SGB2_REQUIRED, sgb2_rows)
    if rows.empty:
        return rows
    rows["berichtsjahr"] = rows["stichtag"].dt.year.astype("int64")
    return newest_stichtag_per_year(rows)


def _bg_counts(persons: pd.DataFrame, levels, jahre, summen) -> None:
    """Add distinct-``bg_id`` counts (``bg``, ``bg_ae``, ``bg_ae_paar_mk``) to ``summen``."""
    for level, (raum, _areas) in levels.items():
        frame = persons[["berichtsjahr", "bg_id", "bg_typ"]].assign(raum_id=raum)
        keys = ["raum_id", "berichtsjahr"]
        counts = pd.DataFrame({
            "bg": frame.groupby(keys)["bg_id"].nunique(),
            "bg_ae": frame.loc[frame["bg_typ"] == "AE"].groupby(keys)["bg_id"].nunique(),
            "bg_ae_paar_mk": frame.loc[frame["bg_typ"].isin(["AE", "PAAR_MK"])]
            .groupby(keys)["bg_id"].nunique(),
        }).reset_index()
        merged = summen[level].merge(counts, on=keys, how="left")
        for name in ("bg", "bg_ae", "bg_ae_paar_mk"):
            merged[name] = merged[name].fillna(0).astype("int64")
        summen[level] = merged


def recompute_s_indicators(delivered: Path) -> pd.DataFrame:
    """S01–S10 for every area, municipality and the county, every Berichtsjahr covered."""
    persons = load_sgb2(delivered)
    if persons.empty:
        return pd.DataFrame(columns=OUTPUT_COLUMNS)
    b = bezug(delivered, persons)
    age = persons["alter"].astype("int64")
    lb = persons["leistungsberechtigung"]
    rlb = lb.isin(["ELB", "NEF"])
    elb_15_64 = (lb == "ELB") & (age >= 15) & (age < 65)
    flags = pd.DataFrame({
        "rlb": rlb,
        "rlb_u65": rlb & (age < 65),
        "rlb_u15": rlb & (age < 15),
        "rlb_u18": rlb & (age < 18),
        "elb_15_64": elb_15_64,
        "elb_15_64_arbeitslos": elb_15_64 & persons["is_arbeitslos"],
        "rlb_nd_u65": rlb & persons["is_nichtdeutsch"] & (age < 65),
        "mitglieder_u15": age < 15,
    }).astype("int64")
    flags["berichtsjahr"] = persons["berichtsjahr"].to_numpy()
    summen = b.summen(flags)
    _bg_counts(persons, b.levels, b.jahre, summen)
    return werte_zeilen(summen, S_DEFINITIONS)
