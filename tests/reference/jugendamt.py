"""Reference implementation of the K (Kinderbetreuung) and E (Hilfen zur Erziehung)
indicators and of the HzE breakdown by ``hilfeart``, in plain pandas.

Written only from ``shared/spec/contracts.md``, ``shared/spec/indicators.md`` and
``docs/decisions.md``; it shares no code with ``ingestion/`` or the dbt models.

Entry points: :func:`recompute_k_indicators`, :func:`recompute_e_indicators` (one row per
code, gliederung, raum_id, berichtsjahr with ``zaehler`` and ``nenner``) and
:func:`recompute_hze_hilfearten` (one row per gliederung, raum_id, berichtsjahr,
hilfeart), each reading a folder laid out like an inbox (``adressen/``,
``raumgliederung/``, ``einwohner/``, ``kita/``, ``hze/``).

Rules (indicators.md, with the readings of docs/decisions.md):

- K: in care = every record (``KITA`` or ``KTP``); ages at the ``kita`` Stichtag; the
  population denominators (K01 under 3, K02 aged 3–5) are counted at their own Stichtag
  with ages at that Stichtag; K03 = under 3 in ``KTP`` / under 3 in care; K04 =
  ``wochenstunden`` >= 45 / hours known, all ages.
- E: a case is a row (``fall_id``) of the delivery. HzE in the narrow sense = ``27_2``,
  ``29``–``35``; laufend = ``beginn`` <= Stichtag and (``ende`` empty or >= Stichtag).
  E01–E05 laufend cases of under-18s (age at the Stichtag); E06 (``42``) and E07 (narrow
  HzE) cases of any age begun in the Berichtsjahr; E08 sum of ``kosten_euro`` of narrow
  HzE, ``35a``, ``41``, ``42`` per resident under 21; E09 cases laufend at the Stichtag or
  ended in the Berichtsjahr before it, every ``hilfeart`` but ``42``, any age, per 10,000
  residents under 21.
- Breakdown: cases (rows), laufend, new (``beginn`` in the Berichtsjahr), sum and
  largest single ``kosten_euro``, cases with ``kosten_euro`` > 0; every area, covered
  year and each of the 12 codes, zeros where there are none.

Readings of the rules where the texts leave room:

- Codes are compared case-insensitively (``35A`` is ``35a``, ``kita`` is ``KITA``).
- ``ende`` before ``beginn``, a negative ``kosten_euro`` and negative ``wochenstunden``
  are row errors (impossible values).
- Decimals: ``1234,56``, ``1.234,56``, ``1234.56``; several groups of three digits with
  dots only (``1.234.567``) are thousands (docs/decisions.md, "Number formats").
- Unknown costs (empty ``kosten_euro``) add nothing to a sum.
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
    parse_date_column,
    parse_decimal,
    person_rows,
)
from tests.reference.sgb2 import code_column

KITA_REQUIRED = ("kind_id", "geburtsdatum", "geschlecht", "betreuungsart", "ags", "strasse",
                 "hausnummer")
HZE_REQUIRED = ("fall_id", "person_id", "geburtsdatum", "geschlecht", "hilfeart", "beginn",
                "ags", "strasse", "hausnummer")
BETREUUNGSART = ("KITA", "KTP")
HILFEARTEN = ("27_2", "28", "29", "30", "31", "32", "33", "34", "35", "35a", "41", "42")
HZE_ENG = ("27_2", "29", "30", "31", "32", "33", "34", "35")

K_CODES = ("K01", "K02", "K03", "K04")
E_CODES = tuple(f"E{i:02d}" for i in range(1, 10))
FAKTOR = {"K01": 100, "K02": 100, "K03": 100, "K04": 100,
          "E01": 1000, "E02": 1000, "E03": 1000, "E04": 1000, "E05": 1000, "E06": 1000,
          "E07": 1000, "E08": 1, "E09": 10000}
GELD = frozenset({"E08"})

K_DEFINITIONS: tuple[tuple[str, str, str | None], ...] = (
    ("K01", "betreut_u3", "n_ew_unter_3"),
    ("K02", "betreut_3_5", "n_ew_3_bis_5"),
    ("K03", "ktp_u3", "betreut_u3"),
    ("K04", "stunden_45", "stunden_bekannt"),
)
E_DEFINITIONS: tuple[tuple[str, str, str | None], ...] = (
    ("E01", "laufend_hze_u18", "n_ew_unter_18"),
    ("E02", "laufend_ambulant_u18", "n_ew_unter_18"),
    ("E03", "laufend_fremd_u18", "n_ew_unter_18"),
    ("E04", "laufend_28_u18", "n_ew_unter_18"),
    ("E05", "laufend_35a_u18", "n_ew_unter_18"),
    ("E06", "neu_42", "n_ew_unter_18"),
    ("E07", "neu_hze", "n_ew_unter_18"),
    ("E08", "ausgaben", "n_ew_unter_21"),
    ("E09", "inanspruchnahme", "n_ew_unter_21"),
)
HILFEARTEN_COLUMNS = ["gliederung", "raum_id", "berichtsjahr", "stichtag", "hilfeart",
                      "anzahl_faelle", "anzahl_laufend", "anzahl_neu", "ausgaben_euro",
                      "anzahl_mit_ausgaben", "max_ausgaben_euro"]


# --------------------------------------------------------------------------- row checks


def parse_betrag(values: pd.Series) -> pd.Series:
    """A decimal per docs/decisions.md "Number formats" (NaN if unreadable)."""
    text = values.fillna("").astype(str).str.strip()
    thousands = text.str.fullmatch(r"-?\d{1,3}(?:\.\d{3}){2,}")
    text = text.where(~thousands, text.str.replace(".", "", regex=False))
    return parse_decimal(text)


def _decimal_column(frame: pd.DataFrame, name: str) -> tuple[pd.Series, pd.Series]:
    """(value, row-error mask): unreadable or negative."""
    raw = column(frame, name)
    values = parse_betrag(raw)
    bad = (raw != "") & (values.isna() | (values < 0))
    return values, bad


def kita_rows(frame: pd.DataFrame, stichtag: pd.Timestamp) -> tuple[pd.DataFrame, pd.Series]:
    """Parsed rows of one ``kita`` file and the mask of row errors."""
    out, error = person_rows(frame, stichtag, KITA_REQUIRED, "kind_id")
    out["betreuungsart"], bad = code_column(frame, "betreuungsart", BETREUUNGSART)
    error |= bad
    out["wochenstunden"], bad = _decimal_column(frame, "wochenstunden")
    error |= bad
    out["betreuungsbeginn"], bad = parse_date_column(frame, "betreuungsbeginn", stichtag)
    error |= bad
    return out, error.astype(bool)


def hze_rows(frame: pd.DataFrame, stichtag: pd.Timestamp) -> tuple[pd.DataFrame, pd.Series]:
    """Parsed rows of one ``hze`` file and the mask of row errors."""
    out, error = person_rows(frame, stichtag, HZE_REQUIRED, "fall_id")
    out["person_id"] = column(frame, "person_id")
    out["hilfeart"], bad = code_column(frame, "hilfeart", HILFEARTEN)
    error |= bad
    out["beginn"], bad = parse_date_column(frame, "beginn", stichtag, required=True)
    error |= bad
    out["ende"], bad = parse_date_column(frame, "ende", stichtag)
    error |= bad
    error |= (out["ende"] < out["beginn"]).fillna(False)
    out["kosten_euro"], bad = _decimal_column(frame, "kosten_euro")
    error |= bad
    return out, error.astype(bool)


def _load(delivered: Path, source: str, required, parse_rows) -> pd.DataFrame:
    rows = load_source(Path(delivered) / source, source, required, parse_rows)
    if rows.empty:
        return rows
    rows["berichtsjahr"] = rows["stichtag"].dt.year.astype("int64")
    return newest_stichtag_per_year(rows)


def load_kita(delivered: Path) -> pd.DataFrame:
    """Accepted ``kita`` rows of the newest Stichtag per municipality and year."""
    return _load(delivered, "kita", KITA_REQUIRED, kita_rows)


def load_hze(delivered: Path) -> pd.DataFrame:
    """Accepted ``hze`` rows of the newest Stichtag per municipality and year."""
    return _load(delivered, "hze", HZE_REQUIRED, hze_rows)


# --------------------------------------------------------------------------- flags


def hze_flags(cases: pd.DataFrame) -> pd.DataFrame:
    """Per case: ``laufend``, ``neu`` (begun in the Berichtsjahr), ``beendet_im_jahr``
    (ended in the Berichtsjahr before the Stichtag)."""
    st = cases["stichtag"]
    ende = cases["ende"]
    jahr = cases["berichtsjahr"]
    return pd.DataFrame({
        "laufend": ((cases["beginn"] <= st) & (ende.isna() | (ende >= st))).fillna(False),
        "neu": (cases["beginn"].dt.year == jahr).fillna(False),
        "beendet_im_jahr": ((ende.dt.year == jahr) & (ende < st)).fillna(False),
    }, index=cases.index).astype(bool)


# --------------------------------------------------------------------------- indicators


def recompute_k_indicators(delivered: Path) -> pd.DataFrame:
    """K01–K04 for every area, municipality and the county, every Berichtsjahr covered."""
    kinder = load_kita(delivered)
    if kinder.empty:
        return pd.DataFrame(columns=OUTPUT_COLUMNS)
    b = bezug(delivered, kinder)
    age = kinder["alter"].astype("int64")
    hours = kinder["wochenstunden"]
    flags = pd.DataFrame({
        "betreut_u3": age < 3,
        "ktp_u3": (age < 3) & (kinder["betreuungsart"] == "KTP"),
        "betreut_3_5": (age >= 3) & (age < 6),
        "stunden_bekannt": hours.notna(),
        "stunden_45": (hours >= 45).fillna(False),
    }).astype("int64")
    flags["berichtsjahr"] = kinder["berichtsjahr"].to_numpy()
    return werte_zeilen(b.summen(flags), K_DEFINITIONS)


def recompute_e_indicators(delivered: Path) -> pd.DataFrame:
    """E01–E09 for every area, municipality and the county, every Berichtsjahr covered."""
    cases = load_hze(delivered)
    if cases.empty:
        return pd.DataFrame(columns=OUTPUT_COLUMNS)
    b = bezug(delivered, cases)
    f = hze_flags(cases)
    art = cases["hilfeart"]
    u18 = cases["alter"].astype("int64") < 18
    eng = art.isin(HZE_ENG)
    laufend_u18 = f["laufend"] & u18
    flags = pd.DataFrame({
        "laufend_hze_u18": laufend_u18 & eng,
        "laufend_ambulant_u18": laufend_u18 & art.isin(["27_2", "29", "30", "31", "32", "35"]),
        "laufend_fremd_u18": laufend_u18 & art.isin(["33", "34"]),
        "laufend_28_u18": laufend_u18 & (art == "28"),
        "laufend_35a_u18": laufend_u18 & (art == "35a"),
        "neu_42": f["neu"] & (art == "42"),
        "neu_hze": f["neu"] & eng,
        "inanspruchnahme": (f["laufend"] | f["beendet_im_jahr"]) & (art != "42"),
    }).astype("int64")
    kosten = cases["kosten_euro"].astype("float64")
    flags["ausgaben"] = kosten.where(eng | art.isin(["35a", "41", "42"])).fillna(0.0)
    flags["berichtsjahr"] = cases["berichtsjahr"].to_numpy()
    return werte_zeilen(b.summen(flags), E_DEFINITIONS, geld=GELD)


def recompute_hze_hilfearten(delivered: Path) -> pd.DataFrame:
    """The HzE breakdown: per area of every level, covered Berichtsjahr and ``hilfeart``
    (all 12 codes) the columns of :data:`HILFEARTEN_COLUMNS`."""
    cases = load_hze(delivered)
    if cases.empty:
        return pd.DataFrame(columns=HILFEARTEN_COLUMNS)
    b = bezug(delivered, cases)
    f = hze_flags(cases)
    kosten = cases["kosten_euro"].astype("float64")
    out = []
    for hilfeart in HILFEARTEN:
        this = (cases["hilfeart"] == hilfeart).to_numpy()
        flags = pd.DataFrame({
            "anzahl_faelle": this.astype("int64"),
            "anzahl_laufend": (f["laufend"].to_numpy() & this).astype("int64"),
            "anzahl_neu": (f["neu"].to_numpy() & this).astype("int64"),
            "ausgaben_euro": kosten.where(this).fillna(0.0).to_numpy(),
            "anzahl_mit_ausgaben": ((kosten > 0).to_numpy() & this).astype("int64"),
            "berichtsjahr": cases["berichtsjahr"].to_numpy(),
        })
        summen = b.summen(flags)
        for level, (raum, _areas) in b.levels.items():
            largest = (pd.DataFrame({"raum_id": raum, "berichtsjahr": flags["berichtsjahr"],
                                     "kosten": kosten.where(this).to_numpy()})
                       .groupby(["raum_id", "berichtsjahr"])["kosten"].max()
                       .rename("max_ausgaben_euro").reset_index())
            frame = summen[level].merge(largest, on=["raum_id", "berichtsjahr"], how="left")
            frame["max_ausgaben_euro"] = frame["max_ausgaben_euro"].fillna(0.0)
            frame["gliederung"] = level
            frame["hilfeart"] = hilfeart
            frame["stichtag"] = b.gebiet_stichtag(level, frame["raum_id"], frame["berichtsjahr"])
            out.append(frame[HILFEARTEN_COLUMNS])
    result = pd.concat(out, ignore_index=True)
    result["berichtsjahr"] = result["berichtsjahr"].astype("int64")
    return result.sort_values(["gliederung", "raum_id", "berichtsjahr", "hilfeart"]).reset_index(
        drop=True)
