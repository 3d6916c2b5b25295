"""Address normalisation and house numbers (docs/decisions.md)."""

import pytest

from ingestion.addresses import HouseNumberError, normalise_street, parse_house_number


@pytest.mark.parametrize("spelling", [
    "Mühlenstraße", "Mühlenstr.", "Muehlenstrasse", "Mühlen-Straße", "MÜHLENSTRASSE",
    "  Mühlenstr ", "Mühlen Straße", "Mühlen-Str.",
])
def test_spellings_of_one_street_share_a_key(spelling):
    assert normalise_street(spelling) == "muehlenstrasse"


@pytest.mark.parametrize("name, key", [
    ("Am Markt", "ammarkt"),
    ("Lange Str. ", "langestrasse"),
    ("Straße des 17. Juni", "strassedes17juni"),
    ("Schützenweg", "schuetzenweg"),
    ("Stresemannstr.", "stresemannstrasse"),
    ("Astrid-Lindgren-Weg", "astridlindgrenweg"),
])
def test_other_names(name, key):
    assert normalise_street(name) == key


def test_different_streets_stay_different():
    assert normalise_street("Mühlenweg") != normalise_street("Mühlenstraße")
    assert normalise_street("Kirchstraße") != normalise_street("Kirchplatz")


@pytest.mark.parametrize("value, zusatz, expected", [
    ("12", None, (12, "")),
    ("12a", None, (12, "a")),
    ("12 a", None, (12, "a")),
    ("12A", None, (12, "a")),
    ("12-14", None, (12, "")),
    ("12 - 14", None, (12, "")),
    ("12", "a", (12, "a")),
    ("12", " B ", (12, "b")),
    ("12b", "c", (12, "c")),
    ("007", None, (7, "")),
])
def test_house_numbers(value, zusatz, expected):
    assert parse_house_number(value, zusatz) == expected


@pytest.mark.parametrize("value", ["", "ohne", "a12", "-", "Hinterhaus"])
def test_house_number_without_digits_is_an_error(value):
    with pytest.raises(HouseNumberError):
        parse_house_number(value)
