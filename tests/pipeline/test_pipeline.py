"""The whole nightly pipeline through Dagster on the demo county, and what it publishes."""

import os
import subprocess
import sys

import duckdb
import pandas as pd
import pytest

from dagster_project.publishing.database import FORBIDDEN_COLUMNS

SPM = os.path.join(os.path.dirname(sys.executable), "spm")


def published(home, sql, params=None):
    con = duckdb.connect(str(home.published_db), read_only=True)
    try:
        return con.execute(sql, params or []).df()
    finally:
        con.close()


def test_b02_for_every_sozialraum_and_berichtsjahr(demo_run):
    home = demo_run.home
    areas = published(home, "select count(*) n from raeume where gliederung = 'sozialraum'").n[0]
    years = len(list((demo_run.delivered / "einwohner").glob("*")))
    stichtage = {p.name.split("_")[1] for p in (demo_run.delivered / "einwohner").glob("*.csv")}
    assert years >= 2 and len(stichtage) >= 2
    count = published(home, "select count(*) n from indikatorwerte "
                            "where code = 'B02' and gliederung = 'sozialraum'").n[0]
    assert areas > 10
    assert count == areas * len(stichtage)


def test_published_tables_and_columns(demo_run):
    home = demo_run.home
    tables = set(published(home, "select table_name from information_schema.tables").table_name)
    assert {"indikatoren", "raeume", "indikatorwerte"} <= tables
    columns = published(home, "select table_name, column_name from information_schema.columns")
    werte = list(columns[columns.table_name == "indikatorwerte"].column_name)
    assert werte == ["code", "gliederung", "raum_id", "raum_name", "ags", "berichtsjahr",
                     "stichtag", "bezugszeitraum", "zaehler", "nenner", "wert", "einheit", "status"]
    raeume = list(columns[columns.table_name == "raeume"].column_name)
    assert raeume == ["gliederung", "raum_id", "raum_name", "ags", "kommune", "gueltig_ab",
                      "flaeche_km2", "geometrie"]
    katalog = list(columns[columns.table_name == "indikatoren"].column_name)
    assert katalog == ["code", "name", "bereich", "definition", "zaehler", "nenner", "einheit",
                       "quelle", "sensibel", "richtung"]
    leaks = [c for c in columns.column_name if FORBIDDEN_COLUMNS.match(c)]
    assert leaks == []


def test_catalogue_holds_every_indicator_and_every_one_is_published(demo_run):
    home = demo_run.home
    codes = set(published(home, "select code from indikatoren").code)
    expected = ({f"B{i:02d}" for i in range(1, 13)} | {f"H{i:02d}" for i in range(1, 8)}
                | {f"S{i:02d}" for i in range(1, 11)} | {f"K{i:02d}" for i in range(1, 5)}
                | {f"E{i:02d}" for i in range(1, 10)} | {f"G{i:02d}" for i in range(1, 12)}
                | {f"BI{i:02d}" for i in range(1, 7)})
    assert codes == expected
    assert set(published(home, "select distinct code from indikatorwerte").code) == expected
    # sensitive values only after disclosure control: some of them suppressed, none of the
    # non-sensitive ones (B, K, H but H04 and H06); one status for every suppressed value
    status = published(home, """
        select i.sensibel, w.status, count(*) n from indikatorwerte w
        join indikatoren i using (code) group by all""")
    assert set(status.status) <= {"ok", "gesperrt", "kein_nenner", "keine_daten"}
    suppressed = status[status.status == "gesperrt"]
    assert suppressed.sensibel.all() and suppressed.n.sum() > 0
    sensibel = set(published(home, "select code from indikatoren where sensibel").code)
    assert sensibel == ({c for c in expected if c[0] in "SEG" or c.startswith("BI")}
                        | {"H04", "H06"})


def test_levels_add_up(demo_run):
    """B01 of the areas of a municipality (incl. ohne Zuordnung) = the municipality; all = county."""
    frame = published(demo_run.home, "select gliederung, raum_id, ags, berichtsjahr, zaehler "
                                     "from indikatorwerte where code = 'B01'")
    areas = frame[frame.gliederung == "sozialraum"].groupby(["ags", "berichtsjahr"]).zaehler.sum()
    kommunen = frame[frame.gliederung == "kommune"].set_index(["raum_id", "berichtsjahr"]).zaehler
    kommunen.index.names = ["ags", "berichtsjahr"]
    pd.testing.assert_series_equal(areas.sort_index(), kommunen.sort_index(), check_names=False,
                                   check_index_type=False)
    kreis = frame[frame.gliederung == "kreis"].set_index("berichtsjahr").zaehler.sort_index()
    by_year = kommunen.groupby(level="berichtsjahr").sum().sort_index()
    pd.testing.assert_series_equal(by_year, kreis, check_names=False, check_index_type=False)
    unmatched = frame[frame.raum_id.str.endswith("-OZ")].zaehler.sum()
    assert unmatched > 0, "the demo county has unmatched addresses; they must be counted"


def test_delivery_log_archive_and_empty_inbox(demo_run):
    home = demo_run.home
    con = duckdb.connect(str(home.warehouse), read_only=True)
    try:
        log = con.execute("select source, status, sha256, archive_path from raw.delivery_log").df()
    finally:
        con.close()
    delivered = sorted(p.name for p in demo_run.delivered.rglob("*") if p.is_file())
    assert len(log) == len(delivered)
    assert set(log.status) == {"loaded"}
    for archive_path, digest in zip(log.archive_path, log.sha256, strict=True):
        assert os.path.basename(archive_path).startswith(digest)
        assert os.path.exists(archive_path)
    assert not [p for p in home.inbox.rglob("*") if p.is_file()]


def test_money_is_exact_decimal_from_staging_to_the_published_table(demo_run):
    """Expenditure is DECIMAL(18,2) from staging on, so its sums do not depend on the order
    in which DuckDB's threads add them; E08's numerator is that exact sum."""
    con = duckdb.connect(str(demo_run.home.warehouse), read_only=True)
    try:
        types = dict(con.execute(
            "select table_name || '.' || column_name, data_type from information_schema.columns "
            "where column_name in ('kosten_euro', 'ausgaben_euro', 'max_ausgaben_euro')"
        ).fetchall())
        e08 = con.execute(
            "select sum(zaehler) from marts.mart_indikatorwerte where code = 'E08' "
            "and gliederung = 'kreis'").fetchone()[0]
        exact = con.execute(
            "select sum(ausgaben_euro) from marts.mart_hze_hilfearten where gliederung = 'kreis' "
            "and hilfeart in ('27_2', '29', '30', '31', '32', '33', '34', '35', '35a', "
            "'41', '42')").fetchone()[0]
    finally:
        con.close()
    assert types["stg_jugendamt__hze.kosten_euro"] == "DECIMAL(18,2)"
    assert types["mart_hze_hilfearten.ausgaben_euro"] == "DECIMAL(18,2)"
    assert types["hze_hilfearten.ausgaben_euro"] == "DECIMAL(18,2)"
    assert exact > 0 and e08 == float(exact)


def test_spm_ingest_missing_column_exits_nonzero_names_it_and_loads_nothing(tmp_path, delivered_small):
    home_dir = tmp_path / "home"
    good = sorted((delivered_small / "einwohner").glob("*.csv"))[0]
    env = dict(os.environ, SPM_HOME=str(home_dir))
    first = subprocess.run([SPM, "ingest", str(good)], env=env, capture_output=True, text=True)
    assert first.returncode == 0, first.stdout + first.stderr
    lines = good.read_bytes().decode("utf-8-sig" if good.read_bytes()[:3] == b"\xef\xbb\xbf"
                                     else "cp1252").splitlines()
    header = lines[0].split(";")
    drop = header.index("geschlecht")
    broken = tmp_path / good.name.replace(".csv", "_neu.csv")
    broken.write_text("\n".join(";".join(f for i, f in enumerate(line.split(";")) if i != drop)
                                for line in lines) + "\n", encoding="utf-8")
    con = duckdb.connect(str(home_dir / "warehouse" / "spm.duckdb"), read_only=True)
    before = con.execute("select count(*), sum(hash(person_id)) from raw.einwohner").fetchone()
    con.close()
    second = subprocess.run([SPM, "--home", str(home_dir), "ingest", str(broken)],
                            capture_output=True, text=True)
    assert second.returncode != 0
    assert "geschlecht" in second.stdout
    assert "ABGEWIESEN" in second.stdout
    con = duckdb.connect(str(home_dir / "warehouse" / "spm.duckdb"), read_only=True)
    after = con.execute("select count(*), sum(hash(person_id)) from raw.einwohner").fetchone()
    con.close()
    assert after == before


def test_spm_status_shows_every_source(demo_run):
    result = subprocess.run([SPM, "--home", str(demo_run.home.root), "status"],
                            capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    for word in ("einwohner", "adressen", "raumgliederung", "Veröffentlichte Fassung", "spm_nightly"):
        assert word in result.stdout


@pytest.mark.parametrize("argv", [["--help"], ["run", "--help"], ["ingest", "--help"]])
def test_help_is_german(argv):
    result = subprocess.run([SPM, *argv], capture_output=True, text=True)
    assert result.returncode == 0
    assert "Home-Ordner" in result.stdout or "Datei" in result.stdout
