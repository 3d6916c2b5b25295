"""The private quality report and `spm status` after the demo run."""

import html
import os
import re
import subprocess
import sys

import duckdb

SPM = os.path.join(os.path.dirname(sys.executable), "spm")


def test_quality_report_lists_deliveries_checks_and_match_rates(demo_run):
    report = demo_run.home.quality / "bericht.html"
    assert report.exists()
    text = html.unescape(report.read_text(encoding="utf-8"))
    con = duckdb.connect(str(demo_run.home.warehouse), read_only=True)
    try:
        files = [r[0] for r in con.execute("select file_name from raw.delivery_log").fetchall()]
        rates = con.execute("select quelle, ags, zuordnungsquote, nicht_zugeordnet "
                            "from marts.mart_adressabgleich").fetchall()
        gx = dict(con.execute("select source, success from raw.gx_results").fetchall())
        loaded_sources = {r[0] for r in con.execute(
            "select distinct source from raw.delivery_log where status in ('loaded', 'replaced') "
            "and source <> 'raumgliederung'").fetchall()}
    finally:
        con.close()
    for file_name in files:
        assert file_name in text
    assert {"einwohner"} <= {r[0] for r in rates}
    assert all(0 <= r[2] <= 100 for r in rates)
    assert sum(r[3] for r in rates) > 0, "the demo county has unknown addresses"
    # one GX validation per source with loaded rows, every one passed and in the report
    assert set(gx) == loaded_sources and all(gx.values())
    assert all(source in text for source in gx)
    for heading in ("Adresszuordnung", "Lieferungen", "Datenprüfungen", "Quarantäne",
                    "Adressen ohne Zuordnung", "Geheimhaltung: gesperrte Werte je Tabelle"):
        assert heading in text
    # the demo county has suppressed cells of both kinds; their split is in this private
    # report only
    section = text.split("Geheimhaltung: gesperrte Werte je Tabelle")[1]
    rows = [cells for row in section.split("<tr>")[1:]
            if (cells := re.findall(r"<td[^>]*>([^<]*)</td>", row))]
    assert {r[0] for r in rows} == {"indikatorwerte", "hze_hilfearten"}
    assert sum(int(r[3].replace(".", "")) for r in rows) > 0       # primary
    assert sum(int(r[4].replace(".", "")) for r in rows) > 0       # secondary
    # no external resources: the report must work offline
    assert not re.search(r"(src|href)=['\"]https?://", text)


def test_status_shows_match_rates_per_source(demo_run):
    result = subprocess.run([SPM, "--home", str(demo_run.home.root), "status"],
                            capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    lines = [line for line in result.stdout.splitlines() if "ohne Zuordnung" in line]
    assert any(line.split()[0] == "einwohner" for line in lines)
    assert "Datenprüfungen (Great Expectations)" in result.stdout


def test_status_counts_quarantine_per_municipality(demo_run):
    """Agency files hold several municipalities: each row's quarantine counts for its own ags."""
    result = subprocess.run([SPM, "--home", str(demo_run.home.root), "status"],
                            capture_output=True, text=True)
    section = result.stdout.split("Datenstand je Quelle und Gemeinde")[1].split("\n\n")[0]
    shown = sum(int(line.split()[-1]) for line in section.splitlines()
                if line.split() and line.split()[0] == "sgb2")
    con = duckdb.connect(str(demo_run.home.warehouse), read_only=True)
    try:
        total = con.execute("""
            select count(distinct (q.delivery_id, q.line_no)) from raw.quarantine q
            join raw.delivery_log l using (delivery_id)
            where q.source = 'sgb2' and l.status = 'loaded' and q.ags is not null""").fetchone()[0]
    finally:
        con.close()
    assert total > 0, "the demo county delivers some invalid sgb2 rows"
    assert shown == total


def test_quality_report_splits_suppressions_into_primary_and_secondary(tmp_path):
    """The kind of a suppression is private: the report of the statistics office shows it
    per published table (the published tables show only `gesperrt`)."""
    from dagster_project.quality.report import build_quality_report
    from ingestion.home import Home
    from ingestion.warehouse import connect

    home = Home(tmp_path / "home").create()
    con = connect(home)
    con.execute("""
        create schema marts;
        create table marts.mart_geheimhaltung_protokoll as select * from (values
            ('iw|S01|sozialraum|A|2024|z', 'indikatorwerte', 'gesperrt', 'primaer'),
            ('iw|S01|sozialraum|B|2024|z', 'indikatorwerte', 'gesperrt', 'sekundaer'),
            ('iw|S01|sozialraum|C|2024|z', 'indikatorwerte', 'gesperrt', 'sekundaer'),
            ('iw|S01|kommune|X|2024|z', 'indikatorwerte', 'ok', null),
            ('ha|29|anzahl_neu|sozialraum|A|2024', 'hze_hilfearten', 'gesperrt', 'primaer'),
            ('ha|29|anzahl_faelle|sozialraum|A|2024', 'hze_hilfearten', 'ok', null))
            t(cell_id, tabelle, status, sperrart)""")
    con.close()
    text = html.unescape(build_quality_report(home).read_text(encoding="utf-8"))
    section = text.split("Geheimhaltung: gesperrte Werte je Tabelle")[1]
    cells = re.findall(r"<td[^>]*>([^<]*)</td>", section)
    assert cells == ["hze_hilfearten", "2", "1", "1", "0",
                     "indikatorwerte", "4", "3", "1", "2"]
    assert "davon primär" in section and "davon sekundär" in section
