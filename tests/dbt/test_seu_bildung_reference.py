"""The G (Gesundheit, pooled) and BI (Bildung) indicators of the private mart agree with the
independent reference (tests/reference/seu_bildung.py), and the reference itself is
checked on small delivered folders built by hand.

``demo_run`` (tests/conftest.py) has run the whole nightly pipeline on the synthetic
county; its private warehouse holds every computed value in
``marts.mart_indikatorwerte``. The reference recomputes G01–G11 (with ``bezugszeitraum``)
and BI01–BI06 from the delivered files in plain pandas.
"""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest

from tests.reference.common import read_delivery
from tests.reference.compare import differences, private_warehouse, read_mart
from tests.reference.seu_bildung import (
    BI_CODES,
    FAKTOR,
    G_CODES,
    bezugszeitraum_text,
    recompute_bi_indicators,
    recompute_g_indicators,
    schule_rows,
    seu_rows,
)

KEY = ["code", "gliederung", "raum_id", "berichtsjahr"]
A = "05999004"
B = "05999008"
KREIS = "05999"
DASH = "\u2013"

SEU_HEADER = (
    "kind_id;geburtsdatum;geschlecht;untersuchungsdatum;einschulungsjahr;gewichtsklasse;"
    "erstsprache_deutsch;deutschkenntnisse;sprachscreening_auffaellig;"
    "koerperkoordination_auffaellig;visuomotorik_auffaellig;impfdokument_vorgelegt;"
    "masern_vollstaendig;u9_dokumentiert;kita_dauer;ags;strasse;hausnummer;hausnummer_zusatz;plz"
)
SCHULE_HEADER = (
    "schueler_id;geburtsdatum;geschlecht;schuljahr;schulform;foerderbedarf;ags;strasse;"
    "hausnummer;hausnummer_zusatz;plz"
)
SCHULABGANG_HEADER = (
    "schueler_id;geburtsdatum;geschlecht;schuljahr;abschluss;ags;strasse;hausnummer;"
    "hausnummer_zusatz;plz"
)
# every finding "positive": the child counts in the numerator and denominator of G01-G11
ALLES_JA = "5;N;4;J;J;J;J;J;J;0"


# --------------------------------------------------------------------------- demo county


@pytest.fixture(scope="module")
def g_reference(demo_run) -> pd.DataFrame:
    return recompute_g_indicators(Path(demo_run.delivered), pool_jahre=3)


@pytest.fixture(scope="module")
def bi_reference(demo_run) -> pd.DataFrame:
    return recompute_bi_indicators(Path(demo_run.delivered))


def _fail_if(problems: list[str]) -> None:
    if problems:
        pytest.fail("\n\n".join(problems), pytrace=False)


def test_g_mart_equals_reference(demo_run, g_reference):
    mart = read_mart(private_warehouse(demo_run.home), G_CODES)
    assert set(mart["code"]) == set(G_CODES)
    _fail_if(differences(mart, g_reference, FAKTOR))


def test_g_bezugszeitraum_equals_reference(demo_run, g_reference):
    mart = read_mart(private_warehouse(demo_run.home), G_CODES)
    joined = g_reference.merge(mart, on=KEY, how="inner", suffixes=("_ref", "_mart"))
    assert len(joined) == len(g_reference)
    bad = joined.loc[joined["bezugszeitraum_ref"] != joined["bezugszeitraum_mart"],
                     KEY + ["bezugszeitraum_ref", "bezugszeitraum_mart"]]
    _fail_if([f"{len(bad)} rows with another bezugszeitraum:\n{bad.head(20).to_string()}"]
             if len(bad) else [])
    # the demo county delivers SEU from its first year on: the pools grow to three years
    first = int(g_reference["berichtsjahr"].min())
    for jahr, text in g_reference.groupby("berichtsjahr")["bezugszeitraum"].unique().items():
        expected = bezugszeitraum_text(range(max(first, int(jahr) - 2), int(jahr) + 1))
        assert list(text) == [expected], (jahr, text)


def test_bi_mart_equals_reference(demo_run, bi_reference):
    mart = read_mart(private_warehouse(demo_run.home), BI_CODES)
    assert set(mart["code"]) == set(BI_CODES)
    _fail_if(differences(mart, bi_reference, FAKTOR))
    assert (mart["bezugszeitraum"] == mart["berichtsjahr"].astype(str)).all()


# --------------------------------------------------------------------------- hand-made county


def _write(path: Path, lines: list[str]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")


def _geography(d: Path) -> None:
    """A with Sozialraum SR01 (Hauptstraße 1) and Hauptstraße 2 in no area (A-OZ); B has
    no area (B-OZ)."""
    collection = {"type": "FeatureCollection", "features": [{
        "type": "Feature",
        "properties": {"raum_id": f"{A}-SR01", "raum_name": "SR01", "ags": A},
        "geometry": {"type": "Polygon", "coordinates": [[
            [480000, 5760000], [481000, 5760000], [481000, 5761000], [480000, 5761000],
            [480000, 5760000]]]},
    }]}
    path = d / "raumgliederung" / "raumgliederung_sozialraum_2020-01-01.geojson"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(collection), encoding="utf-8")
    _write(d / "adressen" / "adressen_2024-12-31.csv", [
        "ags;strasse;hausnummer;hausnummer_zusatz;plz;ostwert;nordwert",
        f"{A};Hauptstraße;1;;;480500;5760500",
        f"{A};Hauptstraße;2;;;490000;5770000",
        f"{B};Dorfstraße;1;;;485000;5760500",
    ])


def _kind(kind_id: str, jahr: int, ags: str, befunde: str = ALLES_JA,
          adresse: str = "Hauptstraße;1", untersucht: str | None = None) -> str:
    """One ``seu`` line: Einschulungsjahr ``jahr``, examined on 01.03. of that year."""
    if ags == B:
        adresse = "Dorfstraße;1"
    untersucht = untersucht or f"01.03.{jahr}"
    return f"{kind_id};01.03.{jahr - 6};w;{untersucht};{jahr};{befunde};{ags};{adresse};;"


def _seu(d: Path, stichtag: str, ags: str, kinder: list[str]) -> None:
    _write(d / "seu" / f"seu_{stichtag}_{ags}.csv", [SEU_HEADER, *kinder])


def _row(frame: pd.DataFrame, code: str, gliederung: str, raum_id: str, jahr: int) -> dict:
    sel = frame.loc[(frame["code"] == code) & (frame["gliederung"] == gliederung)
                    & (frame["raum_id"] == raum_id) & (frame["berichtsjahr"] == jahr)]
    assert len(sel) == 1, (code, gliederung, raum_id, jahr, len(sel))
    return sel.iloc[0].to_dict()


def test_reference_pool_window_and_missing_year(tmp_path: Path):
    """A delivers 2021-2024, B 2022 and 2024: the county is covered in 2022 and 2024 only.
    A's file of 2023 also holds a child of 2024, replaced by A's newer 2024 delivery."""
    d = tmp_path / "delivered"
    _geography(d)
    _seu(d, "2021-07-31", A, [_kind("a21", 2021, A)])
    _seu(d, "2022-07-31", A, [_kind("a22a", 2022, A), _kind("a22b", 2022, A, adresse="Hauptstraße;2")])
    _seu(d, "2023-07-31", A, [_kind("a23", 2023, A), _kind("a24alt", 2024, A, untersucht="01.06.2023")])
    _seu(d, "2024-07-31", A, [_kind(f"a24{i}", 2024, A) for i in range(3)])
    _seu(d, "2022-07-31", B, [_kind("b22", 2022, B)])
    _seu(d, "2024-07-31", B, [_kind("b24a", 2024, B), _kind("b24b", 2024, B)])
    ref = recompute_g_indicators(d, pool_jahre=3)

    expected = {  # (gliederung, raum_id, year): (children pooled, bezugszeitraum)
        ("kommune", A, 2021): (1, "2021"),
        ("kommune", A, 2022): (3, f"2021{DASH}2022"),
        ("kommune", A, 2023): (4, f"2021{DASH}2023"),
        ("kommune", A, 2024): (6, f"2022{DASH}2024"),  # a21 left the window; a24alt replaced
        ("kommune", B, 2022): (1, "2022"),
        ("kommune", B, 2024): (3, "2022, 2024"),  # 2023 not delivered by B
        ("kreis", KREIS, 2022): (4, f"2021{DASH}2022"),
        ("kreis", KREIS, 2024): (9, f"2022{DASH}2024"),
        ("sozialraum", f"{A}-SR01", 2024): (5, f"2022{DASH}2024"),
        ("sozialraum", f"{A}-OZ", 2024): (1, f"2022{DASH}2024"),  # a22b
        ("sozialraum", f"{B}-OZ", 2024): (3, "2022, 2024"),
    }
    for (gliederung, raum_id, jahr), (anzahl, text) in expected.items():
        for code in G_CODES:
            row = _row(ref, code, gliederung, raum_id, jahr)
            assert (row["zaehler"], row["nenner"], row["bezugszeitraum"]) == (
                anzahl, anzahl, text), (code, gliederung, raum_id, jahr, row)
    # no values where the newest year of the pool is not covered
    kreis_jahre = set(ref.loc[ref["gliederung"] == "kreis", "berichtsjahr"])
    assert kreis_jahre == {2022, 2024}
    assert set(ref.loc[ref["raum_id"] == B, "berichtsjahr"]) == {2022, 2024}

    # a pool of two years: 2024 pools 2023-2024
    ref2 = recompute_g_indicators(d, pool_jahre=2)
    row = _row(ref2, "G01", "kommune", A, 2024)
    assert (row["zaehler"], row["bezugszeitraum"]) == (4, f"2023{DASH}2024")
    row = _row(ref2, "G01", "kommune", B, 2024)
    assert (row["zaehler"], row["bezugszeitraum"]) == (2, "2024")


def test_reference_unknown_values(tmp_path: Path):
    """Unknown items stay out of the denominators (same children as the dbt unit test
    test_int_indikatoren__gesundheit_unbekannte_werte)."""
    d = tmp_path / "delivered"
    _geography(d)
    _seu(d, "2024-07-31", A, [
        # gewicht;erstsprache;deutsch;sprach;koerper;visuo;impfdok;masern;u9;kita
        _kind("c1", 2024, A, "4;N;3;J;N;;J;J;J;2"),
        _kind("c2", 2024, A, "5;nein;;N;;ja;1;;N;3"),
        _kind("c3", 2024, A, ";J;4;;J;N;N;J;;"),
        _kind("c4", 2024, A, "3;;4;J;N;N;;J;J;0"),
        _kind("c5", 2024, A, "2;false;1;N;N;N;true;0;J;1"),
    ])
    ref = recompute_g_indicators(d)
    expected = {"G01": (2, 4), "G02": (1, 4), "G03": (1, 4), "G04": (2, 4), "G05": (1, 4),
                "G06": (1, 4), "G07": (3, 4), "G08": (1, 3), "G09": (3, 4), "G10": (3, 4),
                "G11": (3, 4)}
    for code, (zaehler, nenner) in expected.items():
        for gliederung, raum_id in (("kommune", A), ("sozialraum", f"{A}-SR01")):
            row = _row(ref, code, gliederung, raum_id, 2024)
            assert (row["zaehler"], row["nenner"], row["bezugszeitraum"]) == (
                zaehler, nenner, "2024"), (code, gliederung, row)
        row = _row(ref, code, "sozialraum", f"{A}-OZ", 2024)
        assert (row["zaehler"], row["nenner"]) == (0, 0)
    # B (in the register) delivered no SEU data: neither B nor the county has values
    assert not ref["raum_id"].isin([B, f"{B}-OZ", KREIS]).any()


def test_reference_seu_row_errors(tmp_path: Path):
    path = tmp_path / "seu_2024-07-31.csv"
    _write(path, [
        SEU_HEADER,
        _kind("ok", 2024, A),
        _kind("dup", 2024, A),
        _kind("dup", 2024, A),                                    # both occurrences
        _kind("spaet", 2024, A).replace("01.03.2024", "01.08.2024"),  # examined after the Stichtag
        _kind("jahr", 2022, A).replace("01.03.2022;2022", "01.03.2024;2022"),  # 2 years away
        _kind("jahr_ok", 2025, A).replace("01.03.2025;2025", "01.03.2024;2025"),
        _kind("code", 2024, A, "6;N;4;J;J;J;J;J;J;0"),             # gewichtsklasse 6
        _kind("kita", 2024, A, "5;N;4;J;J;J;J;J;J;4"),             # kita_dauer 4
        _kind("jn", 2024, A, "5;vielleicht;4;J;J;J;J;J;J;0"),      # not a yes/no
        _kind("ohne_datum", 2024, A).replace("01.03.2024;2024", ";2024"),
    ])
    frame = read_delivery(path)
    rows, error = seu_rows(frame, pd.Timestamp("2024-07-31"))
    bad = set(rows.loc[error, "kind_id"])
    assert bad == {"dup", "spaet", "jahr", "code", "kita", "jn", "ohne_datum"}
    assert set(rows.loc[~error, "kind_id"]) == {"ok", "jahr_ok"}


def test_reference_bildung(tmp_path: Path):
    d = tmp_path / "delivered"
    _geography(d)
    schueler = [("s1", "GY", "N"), ("s2", "GE", ""), ("s3", "HS", "J"), ("s4", "FS", "nein"),
                ("s5", "RS", ""), ("s6", "sk", "true")]
    _write(d / "schule" / "schule_2024-10-15.csv", [SCHULE_HEADER] + [
        f"{sid};01.01.2014;m;2024/25;{form};{fb};{A};Hauptstraße;1;;"
        for sid, form, fb in schueler
    ])
    abgaenge = ["OA", "HSA", "MSA", "FHR", "AHR"]
    _write(d / "schulabgang" / "schulabgang_2024-07-31.csv", [SCHULABGANG_HEADER] + [
        f"a{i};01.01.2008;w;2023/24;{abschluss};{B};Dorfstraße;1;;"
        for i, abschluss in enumerate(abgaenge)
    ])
    ref = recompute_bi_indicators(d)
    expected = {"BI01": (1, 6), "BI02": (1, 6), "BI03": (2, 6), "BI04": (2, 4)}
    for code, (zaehler, nenner) in expected.items():
        row = _row(ref, code, "kommune", A, 2024)
        assert (row["zaehler"], row["nenner"]) == (zaehler, nenner), (code, row)
        # B delivered no grade-5 pupils: neither B nor the county is covered
        assert ref.loc[(ref["code"] == code) & (ref["raum_id"].isin([B, KREIS]))].empty
    # 2023/24 -> Berichtsjahr 2024 (second year of the school year)
    assert (_row(ref, "BI05", "kommune", B, 2024)["zaehler"],
            _row(ref, "BI05", "kommune", B, 2024)["nenner"]) == (1, 5)
    assert _row(ref, "BI06", "sozialraum", f"{B}-OZ", 2024)["zaehler"] == 2
    assert set(ref["berichtsjahr"]) == {2024}

    frame = pd.DataFrame({
        "schueler_id": ["x1", "x2", "x3", "x4"],
        "geburtsdatum": ["01.01.2014"] * 4,
        "geschlecht": ["m"] * 4,
        "schuljahr": ["2024/25", "2024/26", "2024-25", "1999/00"],
        "schulform": ["GY"] * 4,
        "foerderbedarf": [""] * 4,
        "ags": [A] * 4,
        "strasse": ["Hauptstraße"] * 4,
        "hausnummer": ["1"] * 4,
        "_malformed": [False] * 4,
    })
    rows, error = schule_rows(frame, pd.Timestamp("2024-10-15"))
    assert list(error) == [False, True, True, False]
    assert rows["schuljahr_beginn"].fillna(-1).tolist() == [2024, -1, -1, 1999]


def test_bezugszeitraum_text():
    assert bezugszeitraum_text([2024]) == "2024"
    assert bezugszeitraum_text([2024, 2022, 2023]) == f"2022{DASH}2024"
    assert bezugszeitraum_text([2022, 2024]) == "2022, 2024"
    assert bezugszeitraum_text([2020, 2021, 2023]) == f"2020{DASH}2021, 2023"
