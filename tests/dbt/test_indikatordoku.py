"""The indicator page is generated from the catalogue and committed up to date."""

import csv
from pathlib import Path

import pytest

from dagster_project.doku.indikatoren import (
    KATALOG,
    STICHTAGSREGEL,
    Sperrregeln,
    read_katalog,
    render,
    seu_pool_jahre,
)

DOC = Path(__file__).resolve().parents[2] / "docs" / "indikatoren.md"
FELDER = ("Bereich", "Definition", "Zähler", "Nenner", "Einheit", "Quelle",
          "Stichtag und Berichtsjahr", "Polarität", "Geheimhaltung")


def _sections(text: str) -> dict[str, str]:
    parts = text.split("\n### ")[1:]
    return {part.split(" ", 1)[0]: part for part in parts}


def test_committed_doc_matches_the_catalogue():
    assert DOC.read_text(encoding="utf-8") == render(), (
        "docs/indikatoren.md is out of date: make doku "
        "(python -m dagster_project.doku.indikatoren > docs/indikatoren.md)")


def test_a_changed_catalogue_changes_the_page():
    katalog = read_katalog()
    katalog[1] = dict(katalog[1], definition=katalog[1]["definition"] + " (geändert)")
    assert render(katalog) != render()


def test_every_indicator_has_a_full_section():
    katalog = read_katalog()
    sections = _sections(render())
    assert list(sections) == [row["code"] for row in katalog]
    for row in katalog:
        section = sections[row["code"]]
        assert section.startswith(f"{row['code']} – {row['name']}\n")
        for feld in FELDER:
            assert f"- **{feld}:** " in section, (row["code"], feld)
        assert row["definition"] in section and row["quelle"] in section
        assert ("**Geheimhaltung:** sensibel –" in section) == (row["sensibel"] == "true")


def test_stichtag_rules_follow_the_source():
    sections = _sections(render())
    assert STICHTAGSREGEL["kita"] in sections["K01"]
    assert "31.12.2024" in sections["K01"]            # population denominator of the Kita
    assert STICHTAGSREGEL["schule"] in sections["BI01"] and "2024/25 → 2024" in sections["BI01"]
    assert STICHTAGSREGEL["schulabgang"] in sections["BI05"] and "2023/24 → 2024" in sections["BI05"]
    assert "Einschulungsjahr" in sections["G01"]
    assert "Nenner aus den Einwohnerdaten" in sections["S03"]
    assert "Nenner aus den Einwohnerdaten" not in sections["S08"]   # BG / BG, no population
    assert "Stichtag des Vorjahres" in sections["B10"]


def test_only_g_indicators_carry_the_pool_note():
    pool = seu_pool_jahre()
    for code, section in _sections(render()).items():
        pooled = "**Bezugszeitraum:**" in section
        assert pooled == code.startswith("G"), code
        if pooled:
            assert f"über {pool} Einschulungsjahrgänge" in section and "bezugszeitraum" in section
    assert "über 5 Einschulungsjahrgänge" in render(pool_jahre=5)


def test_page_does_not_depend_on_which_indicators_are_computed():
    katalog = read_katalog()
    flipped = [dict(row, berechnet="false" if row["berechnet"] == "true" else "true")
               for row in katalog]
    assert render(flipped) == render(katalog)


def test_unknown_source_is_an_error():
    katalog = read_katalog()
    katalog[0] = dict(katalog[0], quelle="Standesamt (geburten)")
    with pytest.raises(ValueError, match="B01"):
        render(katalog)


def test_catalogue_is_read_with_the_csv_module():
    with KATALOG.open(encoding="utf-8", newline="") as f:
        assert len(list(csv.DictReader(f))) == len(read_katalog()) == 59


def test_only_the_numerators_of_the_spec_are_sensitive():
    """indicators.md: the numerators of every S, E, G and BI indicator and of H04 and H06
    are sensitive; B, K and the other H indicators are not."""
    katalog = read_katalog()
    sensibel = {row["code"] for row in katalog if row["sensibel"] == "true"}
    assert {row["sensibel"] for row in katalog} == {"true", "false"}
    assert sensibel == {row["code"] for row in katalog
                        if row["code"][0] in "SEG" or row["code"].startswith("BI")} \
        | {"H04", "H06"}
    page = render()
    assert ("aus „Haushalts- und Lebensformen“: H04, H06; alle Indikatoren „Soziale Lage "
            "(SGB II)“ (S01–S10)") in page
    sections = _sections(page)
    for code in ("H01", "H02", "H03", "H05", "H07", "K01", "K02", "K03", "K04", "B01"):
        assert "**Geheimhaltung:** nicht sensibel –" in sections[code], code


def test_one_status_for_every_suppressed_value_and_the_denominator_is_published():
    page = render()
    assert "gesperrt_sekundaer" not in page
    status = next(line for line in page.splitlines() if line.startswith("- Status jedes Werts"))
    assert "`gesperrt` (Wert aus Gründen der Geheimhaltung gesperrt" in status
    assert "Der Nenner wird immer veröffentlicht." in status
    sections = _sections(page)
    assert "ein Zähler von 1 oder 2 wird gesperrt" in sections["S03"]
    assert "Der Nenner wird immer veröffentlicht" in sections["S03"]
    assert "Nenner" not in sections["S01"].split("**Geheimhaltung:**")[1]   # a count
    assert "mehr als 85 %" in sections["E08"]
    regeln = Sperrregeln(min_count=5, min_nenner=20, dominanz_anteil=0.9)
    stricter = _sections(render(regeln=regeln))
    assert "ein Zähler von 1 bis 4 wird gesperrt" in stricter["S03"]
    assert "Nenner unter 20" in stricter["S03"] and "mehr als 90 %" in stricter["E08"]
