"""Mapping files rename columns and recode values; a bad mapping rejects the delivery."""

import shutil
from pathlib import Path

from ingestion import loader, warehouse
from ingestion.home import Home
from ingestion.settings import Settings

EXAMPLE = Path(__file__).resolve().parents[2] / "docs" / "beispiele" / "mapping_hze.yaml"

EXPORT = """Fall-Nr;Pseudonym;Geb.-Datum;Geschlecht;Hilfe;Hilfebeginn;Hilfeende;Kosten;Gemeindeschlüssel;Straße;Hausnr.;PLZ
F-1;P-1;01.05.2012;männlich;Heimerziehung;01.01.2025;;61.250,00;05999004;Mühlenstr.;12;32756
F-2;P-2;01.05.2014;weiblich;SPFH;01.03.2025;30.06.2025;8.000,00;05999004;Mühlenstr.;12;32756
F-3;P-3;01.05.2015;weiblich;Hausaufgabenhilfe;01.03.2025;;;05999004;Mühlenstr.;12;32756
"""


def _home(tmp_path) -> Home:
    home = Home(tmp_path / "home").create()
    (home.config / "mappings").mkdir()
    return home


def test_example_mapping_translates_a_typical_export(tmp_path):
    home = _home(tmp_path)
    shutil.copy(EXAMPLE, home.config / "mappings" / "hze.yaml")
    path = tmp_path / "hze_2025-12-31.csv"
    path.write_text(EXPORT, encoding="cp1252")
    con = warehouse.connect(home)
    result = loader.ingest_file(con, home, path, Settings(quarantaene_schwelle=0.5))
    assert result.status == "loaded", result.message
    rows = con.execute("select hilfeart, geschlecht, kosten_euro, ende from raw.hze order by line_no").fetchall()
    assert [(r[0], r[1], r[2]) for r in rows] == [("34", "m", 61250.0), ("31", "w", 8000.0)]
    quarantined = con.execute("select line_no, column_name, value, reason from raw.quarantine").fetchall()
    assert [q[:3] for q in quarantined] == [(4, "hilfeart", "Hausaufgabenhilfe")]
    assert quarantined[0][3].startswith("unbekannter Code")
    con.close()


def test_mapping_to_an_unknown_code_rejects_the_file(tmp_path):
    home = _home(tmp_path)
    (home.config / "mappings" / "hze.yaml").write_text(
        "spalten:\n  Hilfe: hilfeart\nwerte:\n  hilfeart:\n    Heimerziehung: '99'\n", encoding="utf-8")
    path = tmp_path / "hze_2025-12-31.csv"
    path.write_text(EXPORT, encoding="utf-8")
    con = warehouse.connect(home)
    result = loader.ingest_file(con, home, path)
    assert result.status == "rejected"
    assert "hze.yaml" in result.message and "'99'" in result.message
    assert con.execute("select count(*) from raw.hze").fetchone()[0] == 0
    con.close()


def test_mapping_to_an_unknown_column_rejects_the_file(tmp_path):
    home = _home(tmp_path)
    (home.config / "mappings" / "hze.yaml").write_text("spalten:\n  Hilfe: hilfe_art\n", encoding="utf-8")
    path = tmp_path / "hze_2025-12-31.csv"
    path.write_text(EXPORT, encoding="utf-8")
    con = warehouse.connect(home)
    result = loader.ingest_file(con, home, path)
    assert result.status == "rejected"
    assert "hilfe_art" in result.message
    con.close()
