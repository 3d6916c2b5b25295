"""The file outputs of the published zone: versions, Parquet, Excel and CSV per municipality.

Real files throughout: the outputs of the nightly run on the demo county (`demo_run`), a
small published DuckDB file built here with suppressed cells (the demo county may publish
none), and copies of the demo warehouse that are published again, several times or broken.
"""

import datetime as dt
import filecmp
import hashlib
import json
import os
import shutil
import subprocess
import zipfile
from pathlib import Path

import duckdb
import openpyxl
import pandas as pd
import pytest

from dagster_project.publishing.database import PublishError
from dagster_project.publishing.files import write_outputs
from dagster_project.publishing.publish import publish_all
from dagster_project.publishing.versions import (
    CURRENT,
    LINKED_FOLDERS,
    aktuelle_version,
    version_am,
    version_time,
    versionen,
)
from ingestion.home import Home

BOM = b"\xef\xbb\xbf"
GERMAN_FORMATS = {"#,##0.0", "#,##0"}
KOPF = ["Gliederung", "Raum-ID", "Raum", "Code", "Indikator", "Einheit"]


def query(db: Path, sql: str, params=None) -> pd.DataFrame:
    con = duckdb.connect(str(db), read_only=True)
    try:
        return con.execute(sql, params or []).df()
    finally:
        con.close()


def published_tables(db: Path) -> list[str]:
    return list(query(db, "select table_name from information_schema.tables "
                          "where table_schema = 'main' order by 1").table_name)


def gemeinden(db: Path) -> pd.DataFrame:
    return query(db, "select raum_id as ags, raum_name as name from raeume "
                     "where gliederung = 'kommune' order by 1")


def kreis(db: Path) -> tuple[str, str]:
    row = query(db, "select raum_id, raum_name from raeume where gliederung = 'kreis'")
    return row.raum_id[0], row.raum_name[0]


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def german(value: float, decimals: int = 1) -> str:
    """How a German locale shows `value` with `#,##0.0` / `#,##0`."""
    text = f"{value:,.{decimals}f}"
    return text.replace(",", "_").replace(".", ",").replace("_", ".")


def sheet_rows(ws) -> list[list]:
    """The table of a Bereich sheet (header excluded), up to the first empty row."""
    rows = []
    for row in ws.iter_rows(min_row=2, values_only=True):
        if row[0] is None:
            break
        rows.append(list(row))
    return rows


def expected_rows(db: Path, ags: str | None, bereich: str) -> pd.DataFrame:
    """The published values a municipality's (ags) or the county's (None) sheet shows."""
    where = "" if ags is None else "and (w.ags = $ags or w.gliederung = 'kreis')"
    return query(db, f"""
        select w.* from indikatorwerte w join indikatoren i using (code)
        where i.bereich = $bereich {where}""",
                 {"bereich": bereich, **({"ags": ags} if ags else {})})


# ---------------------------------------------------------------------------------------
# the nightly run on the demo county


def test_every_publication_is_a_complete_version_and_the_newest_is_current(demo_run):
    home = demo_run.home
    folders = versionen(home)
    assert folders, "the nightly run published no version"
    newest = folders[-1]
    assert aktuelle_version(home) == newest.resolve()
    assert (home.published / CURRENT).is_symlink()
    for name in LINKED_FOLDERS:
        link = home.published / name
        assert link.is_symlink(), f"published/{name} must be a symlink"
        assert link.resolve() == (newest / name).resolve()
    # the readers' file is a real file (swapped by os.replace), equal to the version's copy
    assert not home.published_db.is_symlink()
    assert filecmp.cmp(home.published_db, newest / "spm.duckdb", shallow=False)

    meta = json.loads((newest / "version.json").read_text(encoding="utf-8"))
    assert meta["version"] == newest.name
    assert version_time(newest.name) == dt.datetime.fromisoformat(meta["veroeffentlicht_utc"])
    tables = published_tables(home.published_db)
    assert {"indikatoren", "raeume", "indikatorwerte"} <= set(tables)
    assert set(meta["tabellen"]) == set(tables)
    for table in tables:
        rows = query(home.published_db, f'select count(*) n from "{table}"').n[0]
        assert meta["tabellen"][table] == rows, table

    kommunen = gemeinden(home.published_db)
    kreis_ags, _ = kreis(home.published_db)
    assert len(kommunen) >= 2
    assert sorted(g["ags"] for g in meta["gebiete"]) == sorted([*kommunen.ags, kreis_ags])
    for ags in [*kommunen.ags, kreis_ags]:
        assert sorted(p.name for p in (newest / "csv" / ags).glob("*.csv")) == \
            sorted(f"{t}.csv" for t in tables)
        assert (newest / "csv" / ags / "LIESMICH.txt").is_file()
    excel = sorted(p.name for p in (newest / "excel").iterdir())
    assert excel == sorted(f"{ags}_{name.replace(' ', '_')}.xlsx" for ags, name in
                           [*zip(kommunen.ags, kommunen.name, strict=True),
                            kreis(home.published_db)])
    assert not [p for p in home.published_versions.iterdir() if p.name.startswith(".")]


def test_parquet_holds_every_published_table_with_the_same_rows(demo_run):
    home = demo_run.home
    db = home.published_db
    tables = published_tables(db)
    assert sorted(p.stem for p in (home.published / "parquet").glob("*.parquet")) == tables
    con = duckdb.connect()
    try:
        for table in tables:
            path = home.published / "parquet" / f"{table}.parquet"
            from_parquet = con.execute(
                f"select * from read_parquet('{path}') order by all").df()
            from_duckdb = query(db, f'select * from "{table}" order by all')
            assert list(from_parquet.columns) == list(from_duckdb.columns), table
            assert len(from_parquet) == len(from_duckdb) > 0, table
            pd.testing.assert_frame_equal(
                from_parquet.astype(str), from_duckdb.astype(str), check_dtype=False)
    finally:
        con.close()


def test_excel_workbook_per_municipality_shows_the_published_values(demo_run):
    home = demo_run.home
    db = home.published_db
    kommunen = gemeinden(db)
    kreis_ags, kreis_name = kreis(db)
    for ags, name in [*zip(kommunen.ags, kommunen.name, strict=True), (kreis_ags, kreis_name)]:
        path = home.published / "excel" / f"{ags}_{name.replace(' ', '_')}.xlsx"
        wb = openpyxl.load_workbook(path)
        assert wb.sheetnames[0] == "Hinweise"
        hinweise = "\n".join(str(c) for row in wb["Hinweise"].iter_rows(values_only=True)
                             for c in row if c is not None)
        assert name in hinweise and "Veröffentlicht am" in hinweise
        assert "•" in hinweise and "gesperrt" in hinweise
        stichtag = query(db, "select max(stichtag) s from indikatorwerte where raum_id = ?",
                         [ags]).s[0]
        assert stichtag.strftime("%d.%m.%Y") in hinweise, "Datenstand missing"

        ws = wb["Bevölkerungsstruktur"]
        assert ws.freeze_panes == "A2"
        years = sorted(query(db, "select distinct berichtsjahr from indikatorwerte").berichtsjahr)
        header = [c.value for c in ws[1]]
        assert header == KOPF + [str(y) for y in years]
        assert all(c.font.bold for c in ws[1])
        assert ws.column_dimensions["C"].width >= 15      # Raum names readable

        expected = expected_rows(db, None if ags == kreis_ags else ags, "Bevölkerungsstruktur")
        rows = sheet_rows(ws)
        assert len(rows) == len(expected.groupby(["code", "gliederung", "raum_id"]))
        # (code, Gliederung, Raum-ID, Berichtsjahr): `<ags>-OZ` exists in every Gliederung
        by_key = {(r[3], r[0], r[1], y): r[len(KOPF) + i]
                  for r in rows for i, y in enumerate(years)}
        gliederungen = {"kommune": "Gemeinde", "kreis": "Kreis"}
        numeric = 0
        for w in expected.itertuples():
            label = gliederungen.get(w.gliederung, w.gliederung.capitalize())
            cell = by_key[(w.code, label, w.raum_id, w.berichtsjahr)]
            if w.status == "gesperrt":
                assert cell == "•"
            elif pd.isna(w.wert):
                assert cell == "–", (w.code, w.raum_id, w.berichtsjahr, w.status)
            else:
                assert isinstance(cell, float | int)
                assert cell == pytest.approx(w.wert, rel=1e-14)    # Excel: 15 digits
                numeric += 1
        assert numeric > 0
        # the municipality and the county are there for comparison; cross-border areas
        # (ags empty) only in the county's workbook
        ids = {r[1] for r in rows}
        assert kreis_ags in ids
        crossing = set(query(db, "select raum_id from raeume where ags is null").raum_id)
        if ags == kreis_ags:
            assert set(kommunen.ags) <= ids and crossing <= ids
        else:
            assert ags in ids and not (ids & crossing)
            assert f"{ags}-OZ" in ids
            assert not ids & (set(kommunen.ags) - {ags})
        # number cells: numbers with a German number format, never text
        for row in ws.iter_rows(min_row=2, max_row=len(rows) + 1, min_col=len(KOPF) + 1):
            for cell in row:
                if cell.value not in (None, "•", "–"):
                    assert cell.data_type == "n" and cell.number_format in GERMAN_FORMATS
        footnotes = [ws.cell(row=r, column=1).value for r in range(len(rows) + 2, ws.max_row + 1)]
        text = "\n".join(f for f in footnotes if f)
        assert "• = gesperrt" in text and "– = kein Wert" in text and "Datenstand" in text
        assert wb["Räume"].freeze_panes == "A2"


def test_csv_per_municipality_in_german_format(demo_run):
    home = demo_run.home
    db = home.published_db
    ags = gemeinden(db).ags[0]
    kreis_ags, _ = kreis(db)
    folder = home.published / "csv" / ags
    for table in published_tables(db):
        raw = (folder / f"{table}.csv").read_bytes()
        assert raw.startswith(BOM), table
        header = raw[len(BOM):].decode("utf-8").splitlines()[0]
        assert header.split(";") == list(query(db, f'select * from "{table}" limit 0').columns)

    text = (folder / "indikatorwerte.csv").read_bytes()[len(BOM):].decode("utf-8")
    lines = text.splitlines()
    assert all(";" in line for line in lines)
    frame = pd.read_csv(folder / "indikatorwerte.csv", sep=";", encoding="utf-8-sig",
                        dtype={"ags": str, "raum_id": str, "bezugszeitraum": str,
                               "stichtag": str, "wert": str, "zaehler": str, "nenner": str},
                        keep_default_na=False)
    expected = query(db, "select * from indikatorwerte where ags = ? or ags = ? "
                         "or gliederung = 'kreis'", [ags, kreis_ags])
    assert len(frame) == len(expected) > 0
    assert set(frame.ags) == {ags, kreis_ags}
    # decimal comma, rounded as in the reports: a share such as 19,4; counts whole
    share = expected[(expected.code == "B02") & (expected.raum_id == ags)].iloc[0]
    assert f";{float(share.wert):.1f};%;".replace(".", ",") in text
    # sorted for reading: indicator, Gliederung, area, Berichtsjahr
    keys = list(zip(frame.code, frame.gliederung, frame.raum_id, frame.berichtsjahr,
                    strict=True))
    assert keys == sorted(keys)
    for column in ("zaehler", "nenner", "wert"):
        cells = [line.split(";")[list(frame.columns).index(column)] for line in lines[1:]]
        assert not [c for c in cells if "." in c], column
    # dates TT.MM.JJJJ
    assert frame.stichtag.str.fullmatch(r"\d{2}\.\d{2}\.\d{4}").all()
    merged = frame.merge(expected, on=["code", "gliederung", "raum_id", "berichtsjahr"],
                         suffixes=("_csv", ""))
    assert len(merged) == len(expected)
    def shown(value, einheit, decimals=1):
        if value is None or value != value:
            return ""
        text = f"{value:.0f}" if einheit == "Anzahl" or decimals == 0 else f"{value:.1f}"
        return text.replace(".", ",")

    for row in merged.itertuples():
        assert row.wert_csv == shown(row.wert, row.einheit), row
        assert row.zaehler_csv == shown(row.zaehler, row.einheit, 0), row
        assert row.nenner_csv == shown(row.nenner, row.einheit, 0), row
    assert (merged.stichtag_csv
            == pd.to_datetime(merged.stichtag).dt.strftime("%d.%m.%Y")).all()
    # tables without an area are complete
    assert len(pd.read_csv(folder / "indikatoren.csv", sep=";", encoding="utf-8-sig")) == \
        len(query(db, "select * from indikatoren"))
    readme = (folder / "LIESMICH.txt").read_text(encoding="utf-8")
    assert "Semikolon" in readme and "Dezimalkomma" in readme and "gesperrt" in readme


# ---------------------------------------------------------------------------------------
# suppressed cells: a small published file built here


def make_published_db(path: Path) -> Path:
    """A published DuckDB file with two municipalities, a cross-border area and suppressed,
    ok and kein_nenner cells."""
    con = duckdb.connect(str(path))
    con.execute("""
        create table indikatoren as select * from (values
            ('S03', 'SGB II-Quote (%)', 'Soziale Lage (SGB II)', 'd', 'z', 'n', '%',
             'Jobcenter (sgb2)', true, '+'),
            ('S01', 'Leistungsberechtigte SGB II', 'Soziale Lage (SGB II)', 'd', 'z', null,
             'Anzahl', 'Jobcenter (sgb2)', true, null),
            ('B01', 'Einwohner', 'Bevölkerungsstruktur', 'd', 'z', null, 'Anzahl',
             'Einwohnermeldeamt (einwohner)', false, null))
            t(code, name, bereich, definition, zaehler, nenner, einheit, quelle, sensibel,
              richtung);
        create table raeume as select * from (values
            ('sozialraum', '05999004-SR01', 'Mitte', '05999004', 'Musterstadt',
             date '2020-01-01', 1.5, null::json),
            ('sozialraum', '05999004-SR02', 'Nord', '05999004', 'Musterstadt',
             date '2020-01-01', 2.25, null::json),
            ('sozialraum', '05999004-OZ', 'ohne Zuordnung', '05999004', 'Musterstadt',
             date '2020-01-01', null, null::json),
            ('sozialraum', '05999008-SR01', 'Emmer', '05999008', 'Emmerburg',
             date '2020-01-01', 3.0, null::json),
            ('planungsraum', '05999-PR001', 'Über die Grenze', null, null,
             date '2022-01-01', 5.0, null::json),
            ('kommune', '05999004', 'Musterstadt', '05999004', 'Musterstadt', null, null,
             null::json),
            ('kommune', '05999008', 'Emmerburg', '05999008', 'Emmerburg', null, null,
             null::json),
            ('kreis', '05999', 'Kreis Musterland', '05999', null, null, null, null::json))
            t(gliederung, raum_id, raum_name, ags, kommune, gueltig_ab, flaeche_km2, geometrie);
        create table indikatorwerte as
        select code, gliederung, raum_id, raum_name, ags, berichtsjahr,
               make_date(berichtsjahr, 12, 31) as stichtag, berichtsjahr::varchar
               as bezugszeitraum, zaehler::double as zaehler, nenner::double as nenner,
               wert::double as wert, einheit, status
        from (values
            ('S03', 'sozialraum', '05999004-SR01', 'Mitte', '05999004', 2024, null, 40, null,
             '%', 'gesperrt'),
            ('S03', 'sozialraum', '05999004-SR02', 'Nord', '05999004', 2024, null, 60, null,
             '%', 'gesperrt'),
            ('S03', 'sozialraum', '05999004-OZ', 'ohne Zuordnung', '05999004', 2024, 0, 5, 0,
             '%', 'ok'),
            ('S03', 'sozialraum', '05999008-SR01', 'Emmer', '05999008', 2024, 30, 300, 10,
             '%', 'ok'),
            ('S03', 'planungsraum', '05999-PR001', 'Über die Grenze', null, 2024, 20, 400, 5,
             '%', 'ok'),
            ('S03', 'kommune', '05999004', 'Musterstadt', '05999004', 2024, 12, 105,
             11.428571428571429, '%', 'ok'),
            ('S03', 'kreis', '05999', 'Kreis Musterland', '05999', 2024, 42, 405,
             10.370370370370370, '%', 'ok'),
            ('S03', 'kommune', '05999004', 'Musterstadt', '05999004', 2023, null, null, null,
             '%', 'kein_nenner'),
            ('S01', 'kommune', '05999004', 'Musterstadt', '05999004', 2024, 1234, null, 1234,
             'Anzahl', 'ok'),
            ('B01', 'kommune', '05999004', 'Musterstadt', '05999004', 2024, 105, null, 105,
             'Anzahl', 'ok'))
            t(code, gliederung, raum_id, raum_name, ags, berichtsjahr, zaehler, nenner, wert,
              einheit, status);
        create table datenstand as select * from (values
            ('einwohner', '05999004', date '2024-12-31', timestamp '2025-01-15 10:30:00',
             105, 99.5),
            ('einwohner', '05999008', date '2024-12-31', timestamp '2025-01-16 08:00:00',
             300, 98.0))
            t(quelle, ags, stichtag, geliefert_am, zeilen, zuordnungsquote);
    """)
    con.close()
    return path


@pytest.fixture(scope="module")
def handmade(tmp_path_factory) -> Path:
    root = tmp_path_factory.mktemp("handmade")
    db = make_published_db(root / "spm.duckdb")
    out = root / "version"
    out.mkdir()
    files, gebiete = write_outputs(db, out, version="2025-02-01T010000Z",
                                   zeitpunkt=dt.datetime(2025, 2, 1, 1, tzinfo=dt.UTC),
                                   log=lambda message: None)
    assert files == {"parquet": 4, "csv": 12, "excel": 3}
    assert [g.ags for g in gebiete] == ["05999004", "05999008", "05999"]
    return out


def test_suppressed_cells_show_a_bullet_with_a_footnote_in_excel(handmade):
    wb = openpyxl.load_workbook(handmade / "excel" / "05999004_Musterstadt.xlsx")
    assert wb.sheetnames[:4] == ["Hinweise", "Soziale Lage (SGB II)", "Bevölkerungsstruktur",
                                 "Räume"]
    assert "Diagramm Soziale Lage (SGB II)" in wb.sheetnames
    ws = wb["Soziale Lage (SGB II)"]
    assert ws.freeze_panes == "A2"
    assert [c.value for c in ws[1]] == KOPF + ["2023", "2024"]
    rows = {(r[3], r[1]): r for r in sheet_rows(ws)}
    # catalogue order (S03 before S01), Sozialräume with ohne Zuordnung last, then Gemeinde
    # and Kreis; the cross-border Planungsraum and the other municipality are not shown
    assert list(rows) == [("S03", "05999004-SR01"), ("S03", "05999004-SR02"),
                          ("S03", "05999004-OZ"), ("S03", "05999004"), ("S03", "05999"),
                          ("S01", "05999004")]
    assert rows[("S03", "05999004-SR01")][7] == "•"          # gesperrt
    assert rows[("S03", "05999004-SR02")][7] == "•"          # gesperrt (protects SR01)
    assert rows[("S03", "05999004-OZ")][7] == 0              # zero is published
    assert rows[("S03", "05999004")][6] == "–"               # kein_nenner
    assert rows[("S03", "05999004")][7] == pytest.approx(11.428571428571429, rel=1e-14)
    assert rows[("S03", "05999004-SR01")][6] is None          # no row for 2023
    kommune = ws.cell(row=5, column=8)                     # S03, Gemeinde, 2024
    assert ws.cell(row=5, column=2).value == "05999004"
    assert kommune.data_type == "n" and kommune.number_format == "#,##0.0"
    count = ws.cell(row=7, column=8)                       # S01 (Anzahl), Gemeinde, 2024
    assert count.value == 1234 and count.number_format == "#,##0"
    bullet = ws.cell(row=2, column=8)                      # S03, SR01, 2024
    assert bullet.value == "•" and bullet.alignment.horizontal == "right"
    notes = [ws.cell(row=r, column=1).value for r in range(9, ws.max_row + 1)]
    # one status, one sign, one footnote: it does not tell primary from secondary
    assert "• = gesperrt: Wert aus Gründen der Geheimhaltung gesperrt." in notes
    assert not [n for n in notes if n and ("primär" in n or "sekundär" in n)]
    assert any(n and "31.12.2024" in n for n in notes)
    hinweise = [row for row in wb["Hinweise"].iter_rows(values_only=True)]
    assert [r[0] for r in hinweise].count("•") == 1      # legend
    legend = next(r for r in hinweise if r[0] == "•")
    assert legend[1] == "gesperrt: Wert aus Gründen der Geheimhaltung gesperrt."
    # the delivered data status (table datenstand) of this municipality only
    flat = [c for row in hinweise for c in row if c is not None]
    assert "Lieferungen (Tabelle datenstand)" in flat
    assert dt.datetime(2025, 1, 15, 10, 30) in flat and dt.datetime(2025, 1, 16, 8) not in flat

    kreis_wb = openpyxl.load_workbook(handmade / "excel" / "05999_Kreis_Musterland.xlsx")
    ids = {r[1] for r in sheet_rows(kreis_wb["Soziale Lage (SGB II)"])}
    assert {"05999-PR001", "05999008-SR01", "05999004-SR01"} <= ids
    emmer = openpyxl.load_workbook(handmade / "excel" / "05999008_Emmerburg.xlsx")
    assert {r[1] for r in sheet_rows(emmer["Soziale Lage (SGB II)"])} == \
        {"05999008-SR01", "05999"}


def test_excel_keeps_names_that_look_like_formulas_or_links_as_text(tmp_path):
    """An area name from a delivery is written as text: never a formula, a link or a
    number, whatever it starts with."""
    db = make_published_db(tmp_path / "spm.duckdb")
    names = {"05999004-SR01": '=HYPERLINK("http://example.org","x")',
             "05999004-SR02": "www.example.org", "05999004-OZ": "0123"}
    con = duckdb.connect(str(db))
    for raum_id, name in names.items():
        for table in ("raeume", "indikatorwerte"):
            con.execute(f"update {table} set raum_name = ? where raum_id = ?", [name, raum_id])
    con.close()
    out = tmp_path / "version"
    out.mkdir()
    write_outputs(db, out, version="v", zeitpunkt=dt.datetime(2025, 2, 1, 1, tzinfo=dt.UTC),
                  log=lambda message: None)
    wb = openpyxl.load_workbook(out / "excel" / "05999004_Musterstadt.xlsx")
    for sheet in ("Soziale Lage (SGB II)", "Räume"):
        cells = {row[1].value: row[2] for row in wb[sheet].iter_rows(min_row=2)
                 if row[1].value in names}
        assert set(cells) == set(names), sheet
        for raum_id, cell in cells.items():
            assert cell.data_type == "s" and cell.value == names[raum_id], (sheet, raum_id)
            assert cell.hyperlink is None


def test_suppressed_values_are_empty_in_csv_with_their_status(handmade):
    path = handmade / "csv" / "05999004" / "indikatorwerte.csv"
    raw = path.read_bytes()
    assert raw.startswith(BOM)
    lines = raw[len(BOM):].decode("utf-8").splitlines()
    by_area = {line.split(";")[2] + "/" + line.split(";")[5]: line for line in lines[1:]
               if line.startswith("S03")}
    assert by_area["05999004-SR01/2024"] == \
        "S03;sozialraum;05999004-SR01;Mitte;05999004;2024;31.12.2024;2024;;40;;%;gesperrt"
    # one status for every suppressed value; zaehler and wert empty, the nenner published
    assert by_area["05999004-SR02/2024"] == \
        "S03;sozialraum;05999004-SR02;Nord;05999004;2024;31.12.2024;2024;;60;;%;gesperrt"
    assert by_area["05999004/2024"] == ("S03;kommune;05999004;Musterstadt;05999004;2024;"
                                        "31.12.2024;2024;12;105;11,4;%;ok")
    assert set(by_area) == {"05999004-SR01/2024", "05999004-SR02/2024", "05999004-OZ/2024",
                            "05999004/2024", "05999/2024", "05999004/2023"}
    datenstand = (handmade / "csv" / "05999004" / "datenstand.csv").read_bytes()
    assert datenstand[len(BOM):].decode("utf-8").splitlines()[1] == \
        "einwohner;05999004;31.12.2024;15.01.2025 10:30:00;105;99,5"
    katalog = (handmade / "csv" / "05999004" / "indikatoren.csv").read_text(
        encoding="utf-8-sig").splitlines()
    assert len(katalog) == 4 and katalog[1].endswith(";ja;+")
    readme = (handmade / "csv" / "05999004" / "LIESMICH.txt").read_text(encoding="utf-8")
    assert "  gesperrt: Wert aus Gründen der Geheimhaltung gesperrt." in readme
    assert "zaehler und wert leer, der nenner wird veröffentlicht" in readme
    assert "sekund" not in readme and "primär" not in readme
    raeume = (handmade / "csv" / "05999004" / "raeume.csv").read_text(encoding="utf-8-sig")
    assert "05999-PR001" not in raeume and "05999008" not in raeume
    assert "sozialraum;05999004-SR02;Nord;05999004;Musterstadt;01.01.2020;2,25;" in raeume


def _xlsx_parts(path: Path) -> dict[str, bytes]:
    """The parts of a workbook but its creation time (docProps/core.xml)."""
    with zipfile.ZipFile(path) as archive:
        return {name: archive.read(name) for name in archive.namelist()
                if name != "docProps/core.xml"}


def test_files_written_side_by_side_are_the_files_written_one_by_one(tmp_path):
    """Several processes write the Gebiete's CSV folders and workbooks; every file is the
    same as written by this process alone, and the counts and Gebiete are the same."""
    db = make_published_db(tmp_path / "spm.duckdb")
    zeit = dt.datetime(2025, 2, 1, 1, tzinfo=dt.UTC)
    written = {}
    for prozesse in (1, 3):
        out = tmp_path / f"prozesse{prozesse}"
        out.mkdir()
        messages = []
        files, gebiete = write_outputs(db, out, version="v", zeitpunkt=zeit,
                                       log=messages.append, prozesse=prozesse)
        written[prozesse] = (files, [g.ags for g in gebiete], messages, out)
    (files1, ags1, log1, one), (files3, ags3, log3, three) = written[1], written[3]
    assert (files3, ags3, log3) == (files1, ags1, log1)
    paths = sorted(p.relative_to(one) for p in one.rglob("*") if p.is_file())
    assert paths == sorted(p.relative_to(three) for p in three.rglob("*") if p.is_file())
    assert len([p for p in paths if p.suffix == ".xlsx"]) == 3
    for path in paths:
        if path.suffix == ".xlsx":
            assert _xlsx_parts(one / path) == _xlsx_parts(three / path), path
        else:
            assert (one / path).read_bytes() == (three / path).read_bytes(), path


def test_a_file_that_another_process_cannot_write_fails_the_outputs(tmp_path):
    """An error in one of the writing processes reaches the caller (and with it the
    publication, which then removes the half-written version)."""
    from dagster_project.publishing.files import _dateien_schreiben
    from dagster_project.publishing.gebiete import gebiete, tables

    db = make_published_db(tmp_path / "spm.duckdb")
    con = duckdb.connect(str(db), read_only=True)
    alle, names = gebiete(con), tables(con)
    con.close()
    out = tmp_path / "version"
    for folder in ("csv", "excel"):
        (out / folder).mkdir(parents=True)
    (out / "excel" / "05999008_Emmerburg.xlsx").mkdir()          # a folder in its way
    aufgaben = [(art, g) for g in alle for art in ("excel", "csv")]
    with pytest.raises(PublishError, match="05999008_Emmerburg.xlsx"):
        _dateien_schreiben(db, out, aufgaben, names, "v",
                           dt.datetime(2025, 2, 1, 1, tzinfo=dt.UTC), prozesse=2)


# ---------------------------------------------------------------------------------------
# versions: keeping N, "as published on date X", failures


def home_with_warehouse_of(demo_run, root: Path, settings: str = "") -> Home:
    home = Home(root).create()
    for name in ("spm.duckdb", "spm.duckdb.wal"):
        source = demo_run.home.warehouse_dir / name
        if source.exists():
            shutil.copy2(source, home.warehouse_dir / name)
    shutil.copy2(demo_run.home.config / "gemeinden.csv", home.config / "gemeinden.csv")
    (home.config / "settings.yaml").write_text(settings, encoding="utf-8")
    return home


def state(home: Home) -> dict:
    """Everything a reader of the published zone sees."""
    links = {name: os.readlink(home.published / name)
             for name in (CURRENT, *LINKED_FOLDERS)}
    files = sorted(str(p.relative_to(home.published)) for p in home.published.rglob("*")
                   if not p.is_symlink() and p.name != ".veroeffentlichung.lock")
    return {"db": sha256(home.published_db), "links": links, "files": files}


def test_only_the_newest_versions_are_kept_and_can_be_found_by_date(demo_run, tmp_path):
    home = home_with_warehouse_of(demo_run, tmp_path / "home", "versionen_behalten: 2\n")
    results = [publish_all(home) for _ in range(3)]
    names = [r.version for r in results]
    assert names == sorted(names) and len(set(names)) == 3
    assert [p.name for p in versionen(home)] == names[1:]
    assert results[2].geloescht == [names[0]]
    assert aktuelle_version(home) == (home.published_versions / names[2]).resolve()
    assert (home.published / "excel").resolve() == (home.published_versions / names[2] /
                                                    "excel").resolve()
    assert filecmp.cmp(home.published_db, home.published_versions / names[2] / "spm.duckdb",
                       shallow=False)
    # "as published on X": the newest version at or before X
    second, third = version_time(names[1]), version_time(names[2])
    assert version_am(home, third) == home.published_versions / names[2]
    assert version_am(home, third - dt.timedelta(microseconds=1)) == \
        home.published_versions / names[1]
    assert version_am(home, second - dt.timedelta(seconds=1)) is None    # pruned / before
    assert version_am(home, third.astimezone().date()) == home.published_versions / names[2]
    assert version_am(home, third.astimezone().strftime("%d.%m.%Y")) == \
        home.published_versions / names[2]
    assert version_am(home, dt.date(2000, 1, 1)) is None
    # every kept version is complete and readable on its own
    for folder in versionen(home):
        assert query(folder / "spm.duckdb", "select count(*) n from indikatorwerte").n[0] > 0
        assert openpyxl.load_workbook(next((folder / "excel").glob("*.xlsx")))


BROKEN = {
    "private Spalte": 'create table published.leck as select 1 as person_id',
    "Tabellenname": 'create table published."a/b" as select 1 as x',
    "raeume ohne ags": "alter table published.raeume drop column ags",
    "Warehouse fehlt": None,
}


@pytest.mark.parametrize("fault", list(BROKEN))
def test_a_failed_publication_leaves_the_previous_version_untouched(demo_run, tmp_path, fault):
    home = home_with_warehouse_of(demo_run, tmp_path / "home")
    first = publish_all(home)
    before = state(home)
    if BROKEN[fault] is None:
        home.warehouse.rename(home.warehouse_dir / "weg.duckdb")
    else:
        con = duckdb.connect(str(home.warehouse))
        con.execute(BROKEN[fault])
        con.close()
    with pytest.raises(PublishError) as failure:
        publish_all(home)
    assert "unverändert" in str(failure.value)
    assert state(home) == before
    assert [p.name for p in versionen(home)] == [first.version]
    assert query(home.published_db, "select count(*) n from indikatorwerte").n[0] == \
        first.tabellen["indikatorwerte"]


def test_first_publication_replaces_the_old_empty_folders_by_links(demo_run, tmp_path):
    home = home_with_warehouse_of(demo_run, tmp_path / "home")
    (home.published / "parquet").mkdir()        # layout of earlier versions of the home
    (home.published / "excel").mkdir()
    publish_all(home)
    for name in LINKED_FOLDERS:
        assert (home.published / name).is_symlink()
        assert any((home.published / name).iterdir())


# ---------------------------------------------------------------------------------------
# LibreOffice (only where it is installed)

SOFFICE = shutil.which("soffice") or shutil.which("libreoffice")
GERMAN_PROFILE = """<?xml version="1.0" encoding="UTF-8"?>
<oor:items xmlns:oor="http://openoffice.org/2001/registry"
 xmlns:xs="http://www.w3.org/2001/XMLSchema" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance">
<item oor:path="/org.openoffice.Setup/L10N"><prop oor:name="ooSetupSystemLocale"
 oor:op="fuse"><value>de-DE</value></prop></item>
</oor:items>
"""


@pytest.mark.skipif(SOFFICE is None, reason="LibreOffice (soffice) ist nicht installiert; "
                                            "z. B. apt-get install libreoffice-calc-nogui")
def test_libreoffice_opens_the_workbook_and_shows_german_numbers(demo_run, tmp_path):
    db = demo_run.home.published_db
    ags, name = gemeinden(db).iloc[0]
    workbook = demo_run.home.published / "excel" / f"{ags}_{name.replace(' ', '_')}.xlsx"
    profile = tmp_path / "profil"
    (profile / "user").mkdir(parents=True)
    (profile / "user" / "registrymodifications.xcu").write_text(GERMAN_PROFILE)
    out = tmp_path / "out"
    # all sheets as CSV, "as shown" (the numbers as a German locale displays them)
    result = subprocess.run(
        [SOFFICE, f"-env:UserInstallation={profile.as_uri()}", "--headless", "--convert-to",
         "csv:Text - txt - csv (StarCalc):59,34,76,1,,1031,false,false,true,false,false,-1",
         "--outdir", str(out), str(workbook)],
        capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stderr
    sheet = out / f"{workbook.stem}-Bevölkerungsstruktur.csv"
    assert sheet.exists(), (result.stdout, sorted(p.name for p in out.iterdir()))
    text = sheet.read_text(encoding="utf-8")
    values = query(db, "select code, wert from indikatorwerte where raum_id = ? and "
                       "berichtsjahr = (select max(berichtsjahr) from indikatorwerte) and "
                       "code in ('B01', 'B02') order by code", [ags])
    b01, b02 = values.wert
    assert f";{german(b01, 0)}" in text          # e.g. 19.759 (thousands point)
    assert f";{german(b02)}" in text             # e.g. 19,75 (decimal comma)
    assert (out / f"{workbook.stem}-Hinweise.csv").read_text(encoding="utf-8").count("•") >= 1
