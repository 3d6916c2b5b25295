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
        gx = con.execute("select count(*) from raw.gx_results").fetchone()[0]
    finally:
        con.close()
    for file_name in files:
        assert file_name in text
    assert {"einwohner"} <= {r[0] for r in rates}
    assert all(0 <= r[2] <= 100 for r in rates)
    assert sum(r[3] for r in rates) > 0, "the demo county has unknown addresses"
    assert gx >= len([f for f in files if not f.endswith(".geojson")])
    for heading in ("Adresszuordnung", "Lieferungen", "Datenprüfungen", "Quarantäne",
                    "Adressen ohne Zuordnung"):
        assert heading in text
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
