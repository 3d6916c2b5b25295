"""Row checks of tabular deliveries: every broken contract rule becomes a quarantine entry."""

import re
from dataclasses import dataclass
from datetime import date

import pandas as pd

from ingestion.addresses import HOUSE_NUMBER_PATTERN, normalise_street
from ingestion.contracts import (
    AGS,
    CODE,
    DATE,
    DECIMAL,
    HOUSE_NUMBER,
    ID,
    INTEGER,
    PLZ,
    SCHULJAHR,
    YEAR,
    YESNO,
    Contract,
)
from ingestion.readers import parse_dates


@dataclass(frozen=True)
class RowError:
    index: int          # position in the frame
    column: str | None
    value: str | None
    reason: str         # German


_AGS = re.compile(r"^\d{7,8}$")
_NATIONALITY = re.compile(r"^\d{3}$")
_PLZ = re.compile(r"^\d{5}$")
_YES = {"j", "ja", "1", "true", "wahr", "y", "yes"}
_NO = {"n", "nein", "0", "false", "falsch", "no"}
_YEAR = re.compile(r"^\d{4}$")
_SCHULJAHR = re.compile(r"^(\d{4})/(\d{2})$")
_DECIMAL_COMMA = re.compile(r"^-?\d{1,3}(\.\d{3})*(,\d+)?$|^-?\d+(,\d+)?$")
_DECIMAL_POINT = re.compile(r"^-?\d+(\.\d+)?$")


def parse_decimals(values: pd.Series) -> pd.Series:
    """`1234,56`, `1.234,56` or `1234.56` to float; anything else NaN."""
    text = values.astype("str").str.strip()
    comma = text.str.match(_DECIMAL_COMMA) & text.str.contains(",", regex=False)
    thousands_only = text.str.match(r"^-?\d{1,3}(\.\d{3}){2,}$")
    point = text.str.match(_DECIMAL_POINT) & ~comma
    converted = pd.Series(float("nan"), index=text.index, dtype="float64")
    if comma.any():
        converted[comma] = pd.to_numeric(
            text[comma].str.replace(".", "", regex=False).str.replace(",", ".", regex=False))
    if thousands_only.any():
        converted[thousands_only] = pd.to_numeric(
            text[thousands_only].str.replace(".", "", regex=False))
    if point.any():
        converted[point] = pd.to_numeric(text[point])
    return converted


def parse_house_numbers(values: pd.Series, zusatz: pd.Series | None
                        ) -> tuple[pd.Series, pd.Series, pd.Series]:
    """Vectorised `parse_house_number`: numbers (-1 where invalid), suffixes, invalid mask.

    An empty house number is not flagged here (the required-value check reports it).
    """
    text = values.astype("str").str.strip().str.lower()
    parts = text.str.extract(HOUSE_NUMBER_PATTERN)
    invalid = parts[0].isna() & (text != "")
    numbers = pd.to_numeric(parts[0], errors="coerce").fillna(-1).astype("int64")
    suffixes = parts[1].fillna("").astype("str")
    if zusatz is not None:
        extra = zusatz.astype("str").str.strip().str.lower()
        suffixes = extra.where(extra != "", suffixes)
    return numbers, suffixes, invalid


def year_range(stichtag: date) -> tuple[int, int]:
    """Plausible values of a year column (e.g. `einschulungsjahr`) for a delivery's Stichtag."""
    return stichtag.year - 1, stichtag.year + 1


def completed_years(born: pd.Series, stichtag: date) -> pd.Series:
    """Age in completed years at the Stichtag (birthday on the Stichtag counts)."""
    years = stichtag.year - born.dt.year
    before_birthday = (born.dt.month * 100 + born.dt.day) > (stichtag.month * 100 + stichtag.day)
    return years - before_birthday.astype("int64")


def check_rows(contract: Contract, frame: pd.DataFrame, stichtag: date,
               max_age: int = 115) -> tuple[pd.DataFrame, list[RowError]]:
    """Typed copy of `frame` and the list of row errors (columns of the contract only)."""
    errors: list[RowError] = []
    typed = pd.DataFrame(index=frame.index)

    def flag(mask: pd.Series, column: str, reason: str) -> None:
        for index in mask[mask].index:
            errors.append(RowError(int(index), column, frame.at[index, column], reason))

    for column in contract.columns:
        name = column.name
        if name not in frame.columns:
            typed[name] = pd.Series(None, index=frame.index, dtype="object")
            continue
        values = frame[name].astype("str").str.strip()
        empty = values == ""
        if column.required:
            flag(empty, name, "Pflichtwert fehlt")
        present = ~empty
        if column.kind == DATE:
            parsed = parse_dates(values)
            flag(present & parsed.isna(), name, "ungültiges Datum (erwartet TT.MM.JJJJ oder JJJJ-MM-TT)")
            after = present & parsed.notna() & (parsed > pd.Timestamp(stichtag))
            flag(after, name, "Datum liegt nach dem Stichtag")
            typed[name] = parsed
        elif column.kind == CODE:
            if column.codes:
                lowered = {c.lower(): c for c in column.codes}
                mapped = values.map(lambda v, codes=lowered: codes.get(v.lower(), v))
                flag(present & ~mapped.isin(column.codes), name,
                     f"unbekannter Code (erlaubt: {', '.join(column.codes)})")
                typed[name] = mapped.where(present, None)
            else:
                flag(present & ~values.str.match(_NATIONALITY), name,
                     "unbekannter Code (erwartet: 3-stelliger Schlüssel)")
                typed[name] = values.where(present, None)
        elif column.kind == AGS:
            flag(present & ~values.str.match(_AGS), name, "ungültiger Gemeindeschlüssel (8 Ziffern)")
            typed[name] = values.str.zfill(8).where(present, None)
        elif column.kind == PLZ:
            flag(present & ~values.str.match(_PLZ), name, "ungültige Postleitzahl (5 Ziffern)")
            typed[name] = values.where(present, None)
        elif column.kind == DECIMAL:
            parsed = parse_decimals(values)
            flag(present & parsed.isna(), name, "keine gültige Zahl")
            if column.minimum is not None:
                flag(present & (parsed < column.minimum), name,
                     f"Wert kleiner als {column.minimum:g} (nicht erlaubt)")
            typed[name] = parsed
        elif column.kind == YESNO:
            lowered = values.str.lower()
            known = lowered.isin(_YES | _NO)
            flag(present & ~known, name, "kein Ja/Nein-Wert (erwartet J oder N)")
            typed[name] = lowered.map(lambda v: True if v in _YES else (False if v in _NO else None))
        elif column.kind == YEAR:
            years = pd.to_numeric(values.where(values.str.match(_YEAR), None), errors="coerce")
            flag(present & years.isna(), name, "keine Jahreszahl (erwartet JJJJ)")
            low, high = year_range(stichtag)
            flag(present & years.notna() & ((years < low) | (years > high)), name,
                 f"Jahr unplausibel (erwartet {low} bis {high})")
            typed[name] = years
        elif column.kind == SCHULJAHR:
            parts = values.str.extract(_SCHULJAHR)
            first = pd.to_numeric(parts[0], errors="coerce")
            second = pd.to_numeric(parts[1], errors="coerce")
            valid = parts[0].notna() & ((first + 1) % 100 == second)
            flag(present & ~valid, name, "kein gültiges Schuljahr (erwartet z. B. 2024/25)")
            typed[name] = values.where(present, None)
        elif column.kind == INTEGER:
            parsed = pd.to_numeric(values.where(present, None), errors="coerce")
            flag(present & parsed.isna(), name, "keine ganze Zahl")
            typed[name] = parsed
        elif column.kind == ID:
            typed[name] = values.where(present, None)
        elif column.kind == HOUSE_NUMBER:
            typed[name] = values
        else:
            typed[name] = values.where(present, None)

    if "hausnummer" in contract.names:
        numbers, suffixes, invalid = parse_house_numbers(
            frame["hausnummer"],
            frame["hausnummer_zusatz"] if "hausnummer_zusatz" in frame.columns else None)
        flag(invalid, "hausnummer", "Hausnummer enthält keine Zahl")
        typed["hausnummer"] = numbers
        typed["hausnummer_zusatz_norm"] = suffixes
        streets = frame["strasse"].astype("str")
        unique = {s: normalise_street(s) for s in streets.unique()}
        typed["strasse_norm"] = streets.map(unique)
        flag((typed["strasse_norm"] == "") & (streets.str.strip() != ""), "strasse",
             "Straßenname enthält keine Buchstaben oder Ziffern")

    if "geburtsdatum" in contract.names:
        born = typed["geburtsdatum"]
        known = born.notna() & (born <= pd.Timestamp(stichtag))
        ages = completed_years(born[known], stichtag)
        flag(pd.Series(False, index=frame.index).mask(known.index.isin(ages[ages > max_age].index), True),
             "geburtsdatum", f"Alter über {max_age} Jahre am Stichtag")

    if "ende_nach_beginn" in contract.extra_checks:
        ende, beginn = typed["ende"], typed["beginn"]
        flag(ende.notna() & beginn.notna() & (ende < beginn), "ende", "Ende liegt vor dem Beginn")

    if contract.key:
        keys = typed[list(contract.key)]
        duplicated = keys.duplicated(keep=False) & keys.notna().all(axis=1)
        label = ", ".join(contract.key)
        for index in duplicated[duplicated].index:
            value = " | ".join(str(v) for v in keys.loc[index])
            column = contract.key[0] if len(contract.key) == 1 else "strasse"
            errors.append(RowError(int(index), column, value,
                                   f"Schlüssel ({label}) mehrfach in der Lieferung"))
    return typed, errors
