"""The GX contract check on raw/einwohner passes on clean data and fails on a broken row."""

import dagster as dg
import pytest

from dagster_project.defs.ingestion.checks import einwohner_contract
from dagster_project.defs.resources import SpmHomeResource
from ingestion import loader, warehouse
from ingestion.home import Home
from tests.fixtures.einwohner_csv import csv_text, person


@pytest.fixture()
def home(tmp_path):
    home = Home(tmp_path / "home").create()
    rows = [person(f"P{i}", born=f"0{1 + i % 9}.0{1 + i % 9}.19{50 + i}") for i in range(40)]
    path = tmp_path / "einwohner_2024-12-31.csv"
    path.write_text(csv_text(rows), encoding="utf-8")
    con = warehouse.connect(home)
    assert loader.ingest_file(con, home, path).status == "loaded"
    con.close()
    return home


def run_check(home: Home) -> dg.AssetCheckResult:
    return einwohner_contract(spm=SpmHomeResource(root=str(home.root)))


def test_check_passes_on_loaded_data(home):
    result = run_check(home)
    assert result.passed
    assert result.metadata["geprueft_zeilen"].value == 40


@pytest.mark.parametrize("statement, expected", [
    ("update raw.einwohner set geschlecht = 'x' where line_no = 5", "geschlecht"),
    ("update raw.einwohner set person_id = (select min(person_id) from raw.einwohner)", "person_id"),
    ("update raw.einwohner set geburtsdatum = date '2030-01-01' where line_no = 7", "geburtsdatum"),
])
def test_check_fails_on_a_broken_row(home, statement, expected):
    con = warehouse.connect(home)
    con.execute(statement)
    con.close()
    result = run_check(home)
    assert not result.passed
    assert result.severity == dg.AssetCheckSeverity.ERROR
    assert expected in result.metadata["fehler"].value
