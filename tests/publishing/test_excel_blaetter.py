"""The further sheets of every workbook (issue 13): Sozialindex, Hilfearten, Bevölkerung,
Datenstand, Qualität with the published values of the Gebiet, and a chart sheet per Bereich
whose numbers are published values, with a gap (never 0) for a suppressed one."""

import duckdb
import openpyxl
import pytest

from dagster_project.publishing.excel import gliederung_name

BLAETTER = ["Sozialindex", "Hilfearten", "Bevölkerung", "Datenstand", "Qualität"]


def _rows(db, sql, params=()):
    con = duckdb.connect(str(db), read_only=True)
    try:
        return con.execute(sql, list(params)).fetchall()
    finally:
        con.close()


@pytest.fixture(scope="module")
def workbooks(demo_run):
    home = demo_run.home
    return home.published_db, sorted((home.published / "excel").glob("*.xlsx"))


def test_every_workbook_has_the_further_sheets_with_the_published_rows(workbooks):
    db, paths = workbooks
    assert paths
    kreis_ags = _rows(db, "select raum_id from raeume where gliederung = 'kreis'")[0][0]
    for path in paths:
        ags = path.name.split("_")[0]
        wb = openpyxl.load_workbook(path)
        for name in BLAETTER:
            assert name in wb.sheetnames, (path.name, name)
            assert wb[name].freeze_panes == "A2"
        # Hilfearten: every published row of the Gebiet, counts as numbers, "•" only where
        # the row is suppressed and the value blank
        where = "" if ags == kreis_ags else \
            "where ags = ? or ags = ? or gliederung = 'kreis'"
        params = () if ags == kreis_ags else (ags, kreis_ags)
        published = {(gliederung_name(r[0]), r[1], r[2], r[3]): r[4:] for r in _rows(
            db, "select gliederung, raum_id, berichtsjahr, hilfeart, anzahl_faelle, "
                f"anzahl_laufend, anzahl_neu, ausgaben_euro, status from hze_hilfearten "
                f"{where}", params)}
        sheet = list(wb["Hilfearten"].iter_rows(min_row=2, values_only=True))
        assert len(sheet) == len(published)
        for row in sheet:
            expected = published[(row[0], row[1], row[3], row[4])]
            status = expected[4]
            for cell, value in zip(row[5:9], expected[:4], strict=True):
                if value is None:
                    assert cell == ("•" if status == "gesperrt" else None)
                else:
                    assert cell == pytest.approx(float(value))
        # Bevölkerung: rows per area, year and age group; the sum equals the table's
        total = sum(v for row in wb["Bevölkerung"].iter_rows(min_row=2, min_col=6,
                                                              values_only=True)
                    for v in row if isinstance(v, int | float))
        expected_total = _rows(db, f"select coalesce(sum(anzahl), 0) from bevoelkerung {where}",
                               params)[0][0]
        assert total == expected_total
        # Sozialindex: the published classes
        classes = {(gliederung_name(r[0]), r[1], r[2]): r[3] for r in _rows(
            db, "select gliederung, raum_id, berichtsjahr, status_klasse from sozialindex "
                f"{where}", params)}
        sheet = list(wb["Sozialindex"].iter_rows(min_row=2, values_only=True))
        assert len(sheet) == len(classes)
        for row in sheet:
            assert row[5] == classes[(row[0], row[1], row[3])]


def test_a_chart_sheet_per_bereich_reads_published_values_with_gaps(workbooks):
    db, paths = workbooks
    bereiche = [r[0] for r in _rows(db, "select distinct bereich from indikatoren "
                                        "where einheit <> 'Anzahl'")]
    path = next(p for p in paths if not p.name.startswith(
        _rows(db, "select raum_id from raeume where gliederung = 'kreis'")[0][0] + "_"))
    wb = openpyxl.load_workbook(path)
    charts = [s.title for s in wb.chartsheets]
    assert len(charts) == len(bereiche)
    assert all(t.startswith("Diagramm ") for t in charts)
    daten = wb["Diagrammdaten"]
    assert daten.sheet_state == "hidden"
    rows = list(daten.iter_rows(min_row=2, values_only=True))
    assert {r[0] for r in rows} and len({r[0] for r in rows}) == len(charts)
    published = {(r[0], r[1], r[2]): (r[3], r[4]) for r in _rows(
        db, "select code, berichtsjahr, raum_id, wert, status from indikatorwerte")}
    gaps = 0
    for code, jahr, raum_id, _, value in rows:
        wert, status = published[(code, jahr, raum_id)]
        if status == "ok" and wert is not None:
            assert value == pytest.approx(wert), (code, raum_id)
        else:
            assert value is None, (code, raum_id, value)    # a gap, never 0 or "•"
            gaps += 1
    # each chart reads its rows of the data sheet
    for chartsheet in wb.chartsheets:
        refs = chartsheet._charts[0].series[0].val.numRef.f
        assert refs.startswith("Diagrammdaten!$E$")
