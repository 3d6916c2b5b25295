"""Loading deliveries into a real warehouse file: contracts, encodings, quarantine, replacement."""

import json
import stat
from datetime import date

import duckdb
import pandas as pd
import pytest

from ingestion import loader, warehouse
from ingestion.home import Home
from ingestion.rows import completed_years_sql
from ingestion.settings import Settings
from tests.fixtures.einwohner_csv import HEADER, csv_text, person


@pytest.fixture()
def home(tmp_path):
    return Home(tmp_path / "home").create()


@pytest.fixture()
def con(home):
    connection = warehouse.connect(home)
    yield connection
    connection.close()


def write(tmp_path, name, text, encoding="utf-8"):
    path = tmp_path / name
    path.write_bytes(text.encode(encoding))
    return path


def count(con, table="raw.einwohner"):
    return con.execute(f"select count(*) from {table}").fetchone()[0]


def ingest(con, home, path, **settings):
    return loader.ingest_file(con, home, path, Settings(**settings) if settings else None)


@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig", "cp1252"])
def test_encodings_are_detected(tmp_path, home, con, encoding):
    path = write(tmp_path, "einwohner_2024-12-31.csv",
                 csv_text([person("A"), person("B", street="Schützenweg")]), encoding)
    result = ingest(con, home, path)
    assert result.status == "loaded", result.message
    streets = sorted(r[0] for r in con.execute("select strasse from raw.einwohner").fetchall())
    assert streets == ["Mühlenstraße", "Schützenweg"]
    logged = con.execute("select encoding from raw.delivery_log").fetchone()[0]
    assert logged == encoding


def test_comma_delimited_file_with_unambiguous_header(tmp_path, home, con):
    text = csv_text([person("A").replace(";", ",")], header=HEADER.replace(";", ","))
    result = ingest(con, home, write(tmp_path, "einwohner_2024-12-31.csv", text))
    assert result.status == "loaded", result.message
    assert count(con) == 1


def test_missing_required_column_rejects_the_whole_file(tmp_path, home, con):
    header = HEADER.replace("geburtsdatum;", "")
    rows = [";".join(r.split(";")[:1] + r.split(";")[2:]) for r in [person("A"), person("B")]]
    result = ingest(con, home, write(tmp_path, "einwohner_2024-12-31.csv", csv_text(rows, header)))
    assert result.status == "rejected"
    assert "geburtsdatum" in result.message
    assert "einwohner_2024-12-31.csv" in result.message
    assert count(con) == 0
    status = con.execute("select status from raw.delivery_log").fetchone()[0]
    assert status == "rejected"
    archived = list(home.archive.glob("*.fehler.txt"))
    assert archived and "geburtsdatum" in archived[0].read_text(encoding="utf-8")


def test_row_errors_go_to_quarantine_with_place_and_original_line(tmp_path, home, con):
    rows = [person(f"P{i}") for i in range(30)]
    rows[4] = person("BAD1", born="31.02.2010")
    rows[9] = person("BAD2", nr="ohne")
    result = ingest(con, home, write(tmp_path, "einwohner_2024-12-31.csv", csv_text(rows)),
                    quarantaene_schwelle=0.10)
    assert result.status == "loaded", result.message
    assert (result.rows_loaded, result.rows_quarantined) == (28, 2)
    assert count(con) == 28
    quarantined = con.execute(
        "select line_no, column_name, value, reason, original_line from raw.quarantine "
        "order by line_no").fetchall()
    assert [(q[0], q[1], q[2]) for q in quarantined] == [
        (6, "geburtsdatum", "31.02.2010"), (11, "hausnummer", "ohne")]
    assert quarantined[0][4].startswith("BAD1;31.02.2010")


def test_too_many_row_errors_reject_the_file(tmp_path, home, con):
    rows = [person(f"P{i}") for i in range(20)] + [person("X", born="2030-01-01")] * 1
    rows.append(person("Y", geschlecht="q"))
    result = ingest(con, home, write(tmp_path, "einwohner_2024-12-31.csv", csv_text(rows)))
    assert result.status == "rejected"
    assert "2 von 22 Zeilen" in result.message
    assert count(con) == 0


def test_birth_after_stichtag_and_age_over_115(tmp_path, home, con):
    rows = [person(f"P{i}") for i in range(40)]
    rows += [person("LATE", born="01.01.2025"), person("OLD", born="30.12.1908")]
    result = ingest(con, home, write(tmp_path, "einwohner_2024-12-31.csv", csv_text(rows)))
    reasons = dict(con.execute("select value, reason from raw.quarantine").fetchall())
    assert result.rows_quarantined == 2
    assert reasons["01.01.2025"] == "Datum liegt nach dem Stichtag"
    assert reasons["30.12.1908"].startswith("Alter über 115")


def test_same_file_twice_changes_nothing(tmp_path, home, con):
    path = write(tmp_path, "einwohner_2024-12-31.csv", csv_text([person("A"), person("B")]))
    first = ingest(con, home, path)
    before = con.execute("select * from raw.einwohner order by person_id").fetchall()
    second = ingest(con, home, path)
    assert (first.status, second.status) == ("loaded", "duplicate")
    assert con.execute("select * from raw.einwohner order by person_id").fetchall() == before


def test_redelivery_replaces_exactly_its_stichtag_and_municipality(tmp_path, home, con):
    ingest(con, home, write(tmp_path, "einwohner_2024-12-31_a.csv",
                            csv_text([person("A"), person("B"), person("C", ags="05999008")])))
    ingest(con, home, write(tmp_path, "einwohner_2023-12-31.csv", csv_text([person("A")])))
    result = ingest(con, home, write(tmp_path, "einwohner_2024-12-31_b.csv",
                                     csv_text([person("D"), person("E"), person("F")])))
    assert result.status == "loaded"
    by_key = dict(((str(s), a), n) for s, a, n in con.execute(
        "select stichtag, ags, count(*) from raw.einwohner group by all").fetchall())
    assert by_key == {("2024-12-31", "05999004"): 3, ("2024-12-31", "05999008"): 1,
                      ("2023-12-31", "05999004"): 1}


def test_pseudonyms_are_keyed_stable_and_replace_the_delivered_ids(tmp_path, home, con):
    ingest(con, home, write(tmp_path, "einwohner_2023-12-31.csv",
                            csv_text([person("P-1"), person("P-2", eltern1="P-1")])))
    ingest(con, home, write(tmp_path, "einwohner_2024-12-31.csv", csv_text([person("P-1")])))
    key = home.secrets / "pseudonym.key"
    assert stat.S_IMODE(key.stat().st_mode) == 0o600
    ids = con.execute("select stichtag, person_id, elternteil1_id from raw.einwohner "
                      "order by stichtag, person_id").df()
    assert not ids.isin(["P-1", "P-2"]).any().any()
    hashed_p1 = ids.loc[ids.elternteil1_id.notna(), "elternteil1_id"].iloc[0]
    assert set(ids.loc[ids.stichtag == pd.Timestamp("2024-12-31"), "person_id"]) == {hashed_p1}
    assert all(len(v) == 32 for v in ids.person_id)


@pytest.mark.parametrize("name, fragment", [
    ("einwohner_2099-12-31.csv", "Zukunft"),
    ("einwohner_2024-02-30.csv", "kein gültiges Datum"),
    ("einwohner.csv", "Dateiname"),
    ("bewohner_2024-12-31.csv", "Unbekannte Quelle"),
])
def test_bad_file_names_are_rejected(tmp_path, home, con, name, fragment):
    result = ingest(con, home, write(tmp_path, name, csv_text([person("A")])))
    assert result.status == "rejected"
    assert fragment in result.message
    assert count(con) == 0


def test_empty_and_binary_files_are_rejected(tmp_path, home, con):
    empty = ingest(con, home, write(tmp_path, "einwohner_2024-12-31.csv", ""))
    header_only = ingest(con, home, write(tmp_path, "einwohner_2024-12-30.csv", HEADER + "\n"))
    binary = tmp_path / "einwohner_2024-12-29.csv"
    binary.write_bytes(bytes(range(256)) * 8)
    garbage = ingest(con, home, binary)
    assert [r.status for r in (empty, header_only, garbage)] == ["rejected"] * 3
    assert "leer" in empty.message
    assert "nur die Kopfzeile" in header_only.message
    assert count(con) == 0


def square(x0, y0, size=1000.0):
    return [[[x0, y0], [x0 + size, y0], [x0 + size, y0 + size], [x0, y0 + size], [x0, y0]]]


def geojson(features, crs=None):
    collection = {"type": "FeatureCollection", "features": [
        {"type": "Feature", "properties": props, "geometry": {"type": "Polygon", "coordinates": coords}}
        for props, coords in features]}
    if crs:
        collection["crs"] = {"type": "name", "properties": {"name": crs}}
    return json.dumps(collection)


def test_raumgliederung_loads_and_overlaps_are_rejected(tmp_path, home, con):
    good = geojson([({"raum_id": "05999004-SR01", "raum_name": "Nord", "ags": "05999004"},
                     square(480000, 5760000)),
                    ({"raum_id": "05999004-SR02", "raum_name": "Süd", "ags": "05999004"},
                     square(481000, 5760000))])
    result = ingest(con, home, write(tmp_path, "raumgliederung_sozialraum_2020-01-01.geojson", good))
    assert result.status == "loaded", result.message
    assert count(con, "raw.raumgliederung") == 2
    overlapping = geojson([({"raum_id": "A", "raum_name": "A"}, square(480000, 5760000)),
                           ({"raum_id": "B", "raum_name": "B"}, square(480500, 5760000))])
    rejected = ingest(con, home, write(tmp_path, "raumgliederung_sozialraum_2021-01-01.geojson",
                                       overlapping))
    assert rejected.status == "rejected"
    assert "A und B überlappen" in rejected.message
    assert count(con, "raw.raumgliederung") == 2


def test_raumgliederung_in_wgs84_is_reprojected(tmp_path, home, con):
    lonlat = [[[8.70, 51.99], [8.71, 51.99], [8.71, 52.00], [8.70, 52.00], [8.70, 51.99]]]
    text = geojson([({"raum_id": "X", "raum_name": "X"}, lonlat)], crs="urn:ogc:def:crs:OGC:1.3:CRS84")
    result = ingest(con, home, write(tmp_path, "raumgliederung_stadtteil_2020-01-01.geojson", text))
    assert result.status == "loaded", result.message
    wkt = con.execute("select geometry_wkt from raw.raumgliederung").fetchone()[0]
    x = float(wkt.split("((")[1].split()[0])
    assert 470000 < x < 490000


@pytest.mark.parametrize("born, stichtag, age", [
    (date(2006, 12, 31), date(2024, 12, 31), 18),   # birthday on the Stichtag counts
    (date(2007, 1, 1), date(2024, 12, 31), 17),
    (date(2008, 2, 29), date(2026, 2, 28), 17),     # 29 February, no 29 February that year
    (date(2008, 2, 29), date(2026, 3, 1), 18),
    (date(2008, 2, 29), date(2024, 2, 29), 16),
    (date(2008, 2, 29), date(2024, 2, 28), 15),
])
def test_age_in_completed_years(born, stichtag, age):
    # the SQL the contract check's age rule uses (ingestion/rows.py)
    sql = completed_years_sql("$born::date", stichtag)
    assert duckdb.execute(f"select {sql}", {"born": born}).fetchone()[0] == age
