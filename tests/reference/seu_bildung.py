"""Reference implementation of the G (Gesundheit, ``seu``) and BI (Bildung, ``schule``,
``schulabgang``) indicators, in plain pandas.

Written only from ``shared/spec/contracts.md``, ``shared/spec/indicators.md``,
``docs/decisions.md`` and the row errors documented in ``docs/lieferungen.md``; it shares
no code with ``ingestion/`` or the dbt models.

Entry points: :func:`recompute_g_indicators` (with the extra column ``bezugszeitraum``) and
:func:`recompute_bi_indicators`, each reading a folder laid out like an inbox
(``adressen/``, ``raumgliederung/``, ``einwohner/``, ``seu/``, ``schule/``,
``schulabgang/``) and returning one row per (code, gliederung, raum_id, berichtsjahr) with
``zaehler`` and ``nenner``.

Rules (indicators.md):

- Berichtsjahr: ``einschulungsjahr`` for ``seu``; the first year of ``schuljahr`` for
  ``schule`` (``2024/25`` -> 2024), the second for ``schulabgang`` (``2023/24`` -> 2024).
- G: denominators are the examined children with the item known; G03 = first language not
  German and ``deutschkenntnisse`` 3 or 4 / ``erstsprache_deutsch`` known; G08 = measles J
  / document shown; G10 = ``kita_dauer`` 0, 1, 2 / known.
- G pooling: the values of Berichtsjahr Y pool the Einschulungsjahrgaenge Y-(n-1) .. Y
  (n = ``pool_jahre``), on every level alike.
- BI01–BI03 over every grade-5 pupil, BI04 ``foerderbedarf`` J / known, BI05 and BI06 over
  every leaver.

Row errors (contracts.md, decisions.md "Rows and keys", docs/lieferungen.md): those of
``reference.common.person_rows``; ``untersuchungsdatum`` missing, unreadable or after the
Stichtag; ``einschulungsjahr`` not four digits or more than one year away from the
Stichtag's year (decisions.md "Stichtage and Berichtsjahre per source"); a code not in its
list (``gewichtsklasse``, ``deutschkenntnisse``, ``kita_dauer``, ``schulform``,
``abschluss``); a yes/no cell that is none of ``J/N, ja/nein, 1/0, true/false``;
``schuljahr`` not of the form ``JJJJ/JJ``.

Readings of the rules where the texts leave room:

- G08: the denominator is every child whose vaccination document was shown
  (``impfdokument_vorgelegt`` J), whether ``masern_vollstaendig`` is filled or not; the
  numerator counts ``masern_vollstaendig`` J only where the document was shown (the field
  is read only there).
- G03: a child with a first language other than German and ``deutschkenntnisse`` unknown
  is in the denominator, not in the numerator; ``deutschkenntnisse`` of a child whose
  first language is German (or unknown) is not read.
- Pooling per municipality: a municipality's pool holds the years of the window in which
  it delivered (per municipality and year only the records of the newest Stichtag); a
  Gebiet sums the pools of its records, so the levels stay additive. Values exist for a
  Gebiet and Berichtsjahr Y only when every municipality of the Gebiet delivered Y.
- ``bezugszeitraum`` of a Gebiet: the years of the window in which at least one of its
  municipalities delivered, runs of consecutive years as ``2022–2024`` (en dash), a single
  year as ``2024``, runs joined by ``, `` (``2022, 2024``); an area without any
  municipality gets the Berichtsjahr.
- ``schuljahr`` ``JJJJ/JJ`` must name consecutive years (``2024/25``; ``1999/00``);
  ``2024/26`` is a row error. No check of ``schuljahr`` against the Stichtag (decisions.md
  names that rule for ``einschulungsjahr`` only).
- Codes are compared case-insensitively (``gy`` is ``GY``), as in the other reference
  modules; number codes must be written as the digit (``3``, not ``3.0``).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from tests.reference.bevoelkerungsnenner import gebiet_gemeinden, load_einwohner_alle
from tests.reference.common import (
    OUTPUT_COLUMNS,
    column,
    indicator_rows,
    load_geography,
    load_source,
    newest_stichtag_per_year,
    parse_date_column,
    parse_yes_no,
    person_rows,
    sum_by_area,
)
from tests.reference.sgb2 import code_column

ADDRESS = ("ags", "strasse", "hausnummer")
SEU_REQUIRED = ("kind_id", "geburtsdatum", "geschlecht", "untersuchungsdatum",
                "einschulungsjahr", *ADDRESS)
SCHULE_REQUIRED = ("schueler_id", "geburtsdatum", "geschlecht", "schuljahr", "schulform",
                   *ADDRESS)
SCHULABGANG_REQUIRED = ("schueler_id", "geburtsdatum", "geschlecht", "schuljahr", "abschluss",
                        *ADDRESS)

GEWICHTSKLASSE = ("1", "2", "3", "4", "5")
DEUTSCHKENNTNISSE = ("1", "2", "3", "4")
KITA_DAUER = ("0", "1", "2", "3")
SEU_JA_NEIN = ("erstsprache_deutsch", "sprachscreening_auffaellig",
               "koerperkoordination_auffaellig", "visuomotorik_auffaellig",
               "impfdokument_vorgelegt", "masern_vollstaendig", "u9_dokumentiert")
SCHULFORM = ("GY", "GE", "RS", "HS", "SK", "PR", "FS", "SO")
ABSCHLUSS = ("OA", "HSA", "MSA", "FHR", "AHR")

G_CODES = tuple(f"G{i:02d}" for i in range(1, 12))
BI_CODES = tuple(f"BI{i:02d}" for i in range(1, 7))
FAKTOR = {code: 100 for code in G_CODES + BI_CODES}
DASH = "\u2013"

G_DEFINITIONS: tuple[tuple[str, str, str], ...] = (
    ("G01", "uebergewicht", "gewicht_bekannt"),
    ("G02", "adipositas", "gewicht_bekannt"),
    ("G03", "deutsch_unzureichend", "erstsprache_bekannt"),
    ("G04", "sprachscreening_auffaellig", "sprachscreening_bekannt"),
    ("G05", "koerperkoordination_auffaellig", "koerperkoordination_bekannt"),
    ("G06", "visuomotorik_auffaellig", "visuomotorik_bekannt"),
    ("G07", "impfdokument_vorgelegt", "impfdokument_bekannt"),
    ("G08", "masern_vollstaendig", "impfdokument_vorgelegt"),
    ("G09", "u9_dokumentiert", "u9_bekannt"),
    ("G10", "kita_unter_2", "kita_bekannt"),
    ("G11", "erstsprache_nichtdeutsch", "erstsprache_bekannt"),
)
SCHULE_DEFINITIONS: tuple[tuple[str, str, str], ...] = (
    ("BI01", "gymnasium", "schueler"),
    ("BI02", "gesamtschule", "schueler"),
    ("BI03", "haupt_foerderschule", "schueler"),
    ("BI04", "foerderbedarf", "foerderbedarf_bekannt"),
)
SCHULABGANG_DEFINITIONS: tuple[tuple[str, str, str], ...] = (
    ("BI05", "ohne_abschluss", "abgaenge"),
    ("BI06", "hochschulreife", "abgaenge"),
)


# --------------------------------------------------------------------------- row checks


def _yes_no(frame: pd.DataFrame, name: str) -> tuple[pd.Series, pd.Series]:
    return parse_yes_no(column(frame, name))


def schuljahr_erstes_jahr(values: pd.Series) -> tuple[pd.Series, pd.Series]:
    """(first year of ``JJJJ/JJ`` as Int64, mask of non-empty cells that are no school year:
    not of that form, or the second year not the one after the first)."""
    raw = values.fillna("").astype(str).str.strip()
    parts = raw.str.extract(r"^(\d{4})/(\d{2})$")
    first = pd.to_numeric(parts[0], errors="coerce").astype("Int64")
    second = pd.to_numeric(parts[1], errors="coerce").astype("Int64")
    ok = (second == (first + 1) % 100).fillna(False).astype(bool)
    return first.where(ok), (raw != "") & ~ok


def seu_rows(frame: pd.DataFrame, stichtag: pd.Timestamp) -> tuple[pd.DataFrame, pd.Series]:
    """Parsed rows of one ``seu`` file and the mask of row errors."""
    out, error = person_rows(frame, stichtag, SEU_REQUIRED, "kind_id")
    out["untersuchungsdatum"], bad = parse_date_column(frame, "untersuchungsdatum", stichtag,
                                                       required=True)
    error |= bad
    jahr_text = column(frame, "einschulungsjahr").str.strip()
    jahr = pd.to_numeric(jahr_text.where(jahr_text.str.fullmatch(r"\d{4}")),
                         errors="coerce").astype("Int64")
    error |= jahr.isna() | ((jahr - stichtag.year).abs() > 1).fillna(True)
    out["einschulungsjahr"] = jahr
    for name, codes in (("gewichtsklasse", GEWICHTSKLASSE),
                        ("deutschkenntnisse", DEUTSCHKENNTNISSE),
                        ("kita_dauer", KITA_DAUER)):
        out[name], bad = code_column(frame, name, codes)
        error |= bad
    for name in SEU_JA_NEIN:
        out[name], bad = _yes_no(frame, name)
        error |= bad
    return out, error.astype(bool)


def schule_rows(frame: pd.DataFrame, stichtag: pd.Timestamp) -> tuple[pd.DataFrame, pd.Series]:
    """Parsed rows of one ``schule`` file and the mask of row errors."""
    out, error = person_rows(frame, stichtag, SCHULE_REQUIRED, "schueler_id")
    out["schuljahr_beginn"], bad = schuljahr_erstes_jahr(column(frame, "schuljahr"))
    error |= bad
    out["schulform"], bad = code_column(frame, "schulform", SCHULFORM)
    error |= bad
    out["foerderbedarf"], bad = _yes_no(frame, "foerderbedarf")
    error |= bad
    return out, error.astype(bool)


def schulabgang_rows(frame: pd.DataFrame,
                     stichtag: pd.Timestamp) -> tuple[pd.DataFrame, pd.Series]:
    """Parsed rows of one ``schulabgang`` file and the mask of row errors."""
    out, error = person_rows(frame, stichtag, SCHULABGANG_REQUIRED, "schueler_id")
    out["schuljahr_beginn"], bad = schuljahr_erstes_jahr(column(frame, "schuljahr"))
    error |= bad
    out["abschluss"], bad = code_column(frame, "abschluss", ABSCHLUSS)
    error |= bad
    return out, error.astype(bool)


def _load(delivered: Path, source: str, required, parse_rows, berichtsjahr) -> pd.DataFrame:
    rows = load_source(Path(delivered) / source, source, required, parse_rows)
    if rows.empty:
        return rows
    rows["berichtsjahr"] = berichtsjahr(rows).astype("int64")
    return newest_stichtag_per_year(rows)


def load_seu(delivered: Path) -> pd.DataFrame:
    """Accepted ``seu`` rows of the newest Stichtag per municipality and Einschulungsjahr."""
    return _load(delivered, "seu", SEU_REQUIRED, seu_rows, lambda r: r["einschulungsjahr"])


def load_schule(delivered: Path) -> pd.DataFrame:
    """Accepted ``schule`` rows of the newest Stichtag per municipality and Berichtsjahr."""
    return _load(delivered, "schule", SCHULE_REQUIRED, schule_rows,
                 lambda r: r["schuljahr_beginn"])


def load_schulabgang(delivered: Path) -> pd.DataFrame:
    """Accepted ``schulabgang`` rows of the newest Stichtag per municipality and year."""
    return _load(delivered, "schulabgang", SCHULABGANG_REQUIRED, schulabgang_rows,
                 lambda r: r["schuljahr_beginn"] + 1)


# --------------------------------------------------------------------------- areas


def _geography(delivered: Path):
    einwohner = load_einwohner_alle(delivered)
    return load_geography(delivered, set(einwohner["ags"]) if len(einwohner) else set())


def _abgedeckt(gemeinden: set[str], geliefert: set[tuple[int, str]], jahr: int) -> bool:
    """A Gebiet is covered in a year when every one of its municipalities delivered."""
    return all((jahr, a) in geliefert for a in gemeinden)


def bezugszeitraum_text(jahre) -> str:
    """``2022–2024`` for consecutive years, ``2024`` for one, runs joined by ``, ``."""
    jahre = sorted(set(int(j) for j in jahre))
    runs: list[list[int]] = []
    for j in jahre:
        if runs and j == runs[-1][1] + 1:
            runs[-1][1] = j
        else:
            runs.append([j, j])
    return ", ".join(str(a) if a == b else f"{a}{DASH}{b}" for a, b in runs)


# --------------------------------------------------------------------------- indicators


def g_flags(kinder: pd.DataFrame) -> pd.DataFrame:
    """Per child the numerator and denominator flags of G01–G11 (0/1)."""
    gewicht = kinder["gewichtsklasse"]
    erst = kinder["erstsprache_deutsch"]
    dok = kinder["impfdokument_vorgelegt"]
    flags = {
        "gewicht_bekannt": gewicht != "",
        "uebergewicht": gewicht.isin(["4", "5"]),
        "adipositas": gewicht == "5",
        "erstsprache_bekannt": erst.notna(),
        "erstsprache_nichtdeutsch": (~erst).fillna(False),
        "deutsch_unzureichend": ((~erst).fillna(False)
                                 & kinder["deutschkenntnisse"].isin(["3", "4"])),
        "impfdokument_bekannt": dok.notna(),
        "impfdokument_vorgelegt": dok.fillna(False),
        "masern_vollstaendig": (dok & kinder["masern_vollstaendig"]).fillna(False),
        "u9_bekannt": kinder["u9_dokumentiert"].notna(),
        "u9_dokumentiert": kinder["u9_dokumentiert"].fillna(False),
        "kita_bekannt": kinder["kita_dauer"] != "",
        "kita_unter_2": kinder["kita_dauer"].isin(["0", "1", "2"]),
    }
    for befund in ("sprachscreening", "koerperkoordination", "visuomotorik"):
        value = kinder[f"{befund}_auffaellig"]
        flags[f"{befund}_bekannt"] = value.notna()
        flags[f"{befund}_auffaellig"] = value.fillna(False)
    frame = pd.DataFrame(flags, index=kinder.index).astype(bool).astype("int64")
    frame["berichtsjahr"] = kinder["berichtsjahr"].to_numpy()
    return frame


def pool(sums: pd.DataFrame, jahre: list[int], pool_jahre: int) -> pd.DataFrame:
    """Per area and Berichtsjahr Y in ``jahre``: the sums of the years Y-(n-1) .. Y."""
    columns = [c for c in sums.columns if c not in ("raum_id", "berichtsjahr")]
    parts = []
    for jahr in jahre:
        window = sums.loc[sums["berichtsjahr"].between(jahr - pool_jahre + 1, jahr)]
        summed = window.groupby("raum_id")[columns].sum()
        areas = sums["raum_id"].drop_duplicates()
        summed = summed.reindex(areas, fill_value=0).reset_index()
        summed["berichtsjahr"] = jahr
        parts.append(summed)
    return pd.concat(parts, ignore_index=True)


def recompute_g_indicators(delivered: Path, pool_jahre: int = 3) -> pd.DataFrame:
    """G01–G11 (pooled) for every area, municipality and the county, every Berichtsjahr
    covered; ``OUTPUT_COLUMNS`` plus ``bezugszeitraum``."""
    kinder = load_seu(delivered).reset_index(drop=True)
    if kinder.empty:
        return pd.DataFrame(columns=OUTPUT_COLUMNS + ["bezugszeitraum"])
    geo = _geography(delivered)
    jahre = sorted(int(j) for j in kinder["berichtsjahr"].unique())
    geliefert = {(int(j), a) for j, a in zip(kinder["berichtsjahr"], kinder["ags"], strict=True)}
    gemeinden = gebiet_gemeinden(geo, kinder)
    sums = sum_by_area(g_flags(kinder), geo.levels(kinder), jahre)

    pooled = {}
    zeitraeume = []
    for level, frame in sums.items():
        frame = pool(frame, jahre, pool_jahre)
        mapping = gemeinden[level]
        keep = np.array([
            _abgedeckt(mapping.get(r, set()), geliefert, int(j))
            for r, j in zip(frame["raum_id"], frame["berichtsjahr"], strict=True)
        ], dtype=bool)
        frame = frame.loc[keep].reset_index(drop=True)
        pooled[level] = frame
        for r, j in zip(frame["raum_id"], frame["berichtsjahr"], strict=True):
            used = [y for y in range(int(j) - pool_jahre + 1, int(j) + 1)
                    if any((y, a) in geliefert for a in mapping.get(r, set()))]
            zeitraeume.append((level, r, int(j), bezugszeitraum_text(used or [j])))
    rows = indicator_rows(pooled, G_DEFINITIONS)
    texts = pd.DataFrame(zeitraeume,
                         columns=["gliederung", "raum_id", "berichtsjahr", "bezugszeitraum"])
    rows = rows.merge(texts, on=["gliederung", "raum_id", "berichtsjahr"], how="left")
    return rows.sort_values(["code", "gliederung", "raum_id", "berichtsjahr"]).reset_index(
        drop=True)


def _bi_rows(delivered: Path, geo, records: pd.DataFrame, flags: pd.DataFrame,
             definitions) -> pd.DataFrame:
    records = records.reset_index(drop=True)
    jahre = sorted(int(j) for j in records["berichtsjahr"].unique())
    geliefert = {(int(j), a) for j, a in zip(records["berichtsjahr"], records["ags"],
                                               strict=True)}
    gemeinden = gebiet_gemeinden(geo, records)
    flags = flags.astype("int64")
    flags["berichtsjahr"] = records["berichtsjahr"].to_numpy()
    sums = {}
    for level, frame in sum_by_area(flags, geo.levels(records), jahre).items():
        keep = np.array([
            _abgedeckt(gemeinden[level].get(r, set()), geliefert, int(j))
            for r, j in zip(frame["raum_id"], frame["berichtsjahr"], strict=True)
        ], dtype=bool)
        sums[level] = frame.loc[keep].reset_index(drop=True)
    return indicator_rows(sums, definitions)


def recompute_bi_indicators(delivered: Path) -> pd.DataFrame:
    """BI01–BI06 for every area, municipality and the county, every Berichtsjahr covered by
    the indicator's own source."""
    geo = _geography(delivered)
    parts = []
    schule = load_schule(delivered)
    if len(schule):
        form = schule["schulform"]
        foerder = schule["foerderbedarf"]
        flags = pd.DataFrame({
            "schueler": np.ones(len(schule), dtype=bool),
            "gymnasium": form == "GY",
            "gesamtschule": form == "GE",
            "haupt_foerderschule": form.isin(["HS", "FS"]),
            "foerderbedarf_bekannt": foerder.notna(),
            "foerderbedarf": foerder.fillna(False),
        }).astype(bool).reset_index(drop=True)
        parts.append(_bi_rows(delivered, geo, schule, flags, SCHULE_DEFINITIONS))
    abgang = load_schulabgang(delivered)
    if len(abgang):
        abschluss = abgang["abschluss"]
        flags = pd.DataFrame({
            "abgaenge": np.ones(len(abgang), dtype=bool),
            "ohne_abschluss": abschluss == "OA",
            "hochschulreife": abschluss.isin(["FHR", "AHR"]),
        }).astype(bool).reset_index(drop=True)
        parts.append(_bi_rows(delivered, geo, abgang, flags, SCHULABGANG_DEFINITIONS))
    if not parts:
        return pd.DataFrame(columns=OUTPUT_COLUMNS)
    return pd.concat(parts, ignore_index=True).sort_values(
        ["code", "gliederung", "raum_id", "berichtsjahr"]).reset_index(drop=True)
