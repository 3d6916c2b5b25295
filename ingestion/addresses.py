"""Address normalisation and house-number parsing (rules: docs/decisions.md)."""

import re
import unicodedata

_UMLAUTS = str.maketrans({"ä": "ae", "ö": "oe", "ü": "ue", "ß": "ss"})
_STR_ABBREVIATION = re.compile(r"str\.?(?=[\s\-]|$)")
_NOT_ALNUM = re.compile(r"[^a-z0-9]")
# number, then an optional single letter (blanks allowed between); shared with the vectorised
# parser in ingestion.rows
HOUSE_NUMBER_PATTERN = r"^(\d+)\s*([a-z](?![a-z]))?"
_HOUSE_NUMBER = re.compile(HOUSE_NUMBER_PATTERN)


def normalise_street(name: str) -> str:
    """Match key of a street name: `Mühlenstr.`, `Muehlen-Straße` -> `muehlenstrasse`."""
    text = unicodedata.normalize("NFC", name).strip().lower().translate(_UMLAUTS)
    text = _STR_ABBREVIATION.sub("strasse", text)
    return _NOT_ALNUM.sub("", text)


class HouseNumberError(ValueError):
    """A house number without digits."""


def parse_house_number(value: str, zusatz: str | None = None) -> tuple[int, str]:
    """(number, suffix) from `12`, `12a`, `12 a`, `12-14`; a separate suffix column wins.

    The suffix is lower case and '' when there is none.
    """
    text = (value or "").strip().lower()
    match = _HOUSE_NUMBER.match(text)
    if not match:
        raise HouseNumberError(value)
    number = int(match.group(1))
    suffix = (match.group(2) or "")
    if zusatz is not None and zusatz.strip():
        suffix = zusatz.strip().lower()
    return number, suffix
