"""The private quality report: `<home>/quality/bericht.html` (German, offline, no CDN).

Deliveries with their status, the GX contract results per delivery, quarantine by source and
reason, the address match rate per source, Stichtag and municipality (flagged below the
configured minimum), the unmatched addresses the office should fix, and the suppressions of
disclosure control per published table split into primary and secondary (`sperrart` of the
suppression log: published is only the one status `gesperrt`). It stays in the private
zone: it lists addresses and original lines of rejected rows.
"""

import html
from datetime import datetime
from pathlib import Path

import duckdb

from dagster_project.settings import load_settings
from ingestion.home import Home

REPORT_NAME = "bericht.html"
MAX_ROWS = 500

_STYLE = """
body { font-family: system-ui, sans-serif; margin: 2rem; color: #1a1a1a; max-width: 80rem; }
h1 { font-size: 1.5rem; } h2 { font-size: 1.2rem; margin-top: 2rem; border-bottom: 1px solid #ccc; }
table { border-collapse: collapse; margin: 0.5rem 0; font-size: 0.9rem; }
th, td { border: 1px solid #ccc; padding: 0.25rem 0.5rem; text-align: left; vertical-align: top; }
th { background: #f0f0f0; } td.zahl { text-align: right; font-variant-numeric: tabular-nums; }
.fehler { background: #fde2e2; } .warnung { background: #fff4d6; } .ok { background: #e6f4e6; }
.hinweis { color: #555; font-size: 0.85rem; }
"""


def _table_exists(con, schema: str, table: str) -> bool:
    return bool(con.execute(
        "select count(*) from information_schema.tables where table_schema = ? and table_name = ?",
        [schema, table]).fetchone()[0])


def _fmt(value) -> tuple[str, bool]:
    """Display text (German number format) and whether it is a number."""
    if value is None:
        return "", False
    if isinstance(value, bool):
        return ("ja" if value else "nein"), False
    if isinstance(value, int):
        return f"{value:,}".replace(",", "."), True
    if isinstance(value, float):
        return f"{value:,.1f}".replace(",", "X").replace(".", ",").replace("X", "."), True
    if isinstance(value, datetime):
        return value.strftime("%d.%m.%Y %H:%M"), False
    if hasattr(value, "strftime"):
        return value.strftime("%d.%m.%Y"), False
    return str(value), False


def _html_table(headers: list[str], rows: list[tuple], row_class=None) -> str:
    out = ["<table><thead><tr>", *(f"<th>{html.escape(h)}</th>" for h in headers), "</tr></thead><tbody>"]
    for row in rows[:MAX_ROWS]:
        css = row_class(row) if row_class else ""
        out.append(f'<tr class="{css}">' if css else "<tr>")
        for value in row:
            text, number = _fmt(value)
            out.append(f'<td class="zahl">{html.escape(text)}</td>' if number
                       else f"<td>{html.escape(text)}</td>")
        out.append("</tr>")
    out.append("</tbody></table>")
    if len(rows) > MAX_ROWS:
        out.append(f'<p class="hinweis">{len(rows) - MAX_ROWS} weitere Zeilen nicht gezeigt.</p>')
    if not rows:
        out.append('<p class="hinweis">keine</p>')
    return "".join(out)


def match_rates(con) -> list[tuple]:
    """(quelle, stichtag, ags, datensaetze, nicht_zugeordnet, zuordnungsquote) or [] before dbt ran."""
    if not _table_exists(con, "marts", "mart_adressabgleich"):
        return []
    return con.execute("""
        select quelle, stichtag, ags, datensaetze, nicht_zugeordnet, zuordnungsquote
        from marts.mart_adressabgleich order by quelle, stichtag, ags""").fetchall()


def suppressions(con) -> list[tuple]:
    """(tabelle, zellen, gesperrt, primaer, sekundaer) from the private suppression log, or
    [] before dbt ran (or while the log has no `sperrart`)."""
    if not _table_exists(con, "marts", "mart_geheimhaltung_protokoll"):
        return []
    columns = {r[0] for r in con.execute(
        "select column_name from information_schema.columns "
        "where table_schema = 'marts' and table_name = 'mart_geheimhaltung_protokoll'"
    ).fetchall()}
    if not {"tabelle", "status", "sperrart"} <= columns:
        return []
    return con.execute("""
        select tabelle, count(*) as zellen,
               count(*) filter (where status = 'gesperrt') as gesperrt,
               count(*) filter (where status = 'gesperrt' and sperrart = 'primaer') as primaer,
               count(*) filter (where status = 'gesperrt' and sperrart = 'sekundaer')
                   as sekundaer
        from marts.mart_geheimhaltung_protokoll group by tabelle order by tabelle""").fetchall()


def build_quality_report(home: Home) -> Path:
    settings = load_settings(home.config)
    con = duckdb.connect(str(home.warehouse), read_only=True)
    try:
        deliveries = con.execute("""
            select delivery_id, received_at, source, stichtag, file_name, status, rows_total,
                   rows_loaded, rows_quarantined, municipalities, message
            from raw.delivery_log order by delivery_id desc""").fetchall()
        gx = con.execute("""
            select source, suite, success, evaluated, failed, validated_at
            from raw.gx_results order by source""").fetchall()
        quarantine = con.execute("""
            select q.source, q.column_name, q.reason, count(*) as n
            from raw.quarantine q join raw.delivery_log l using (delivery_id)
            where l.status in ('loaded', 'replaced')
            group by q.source, q.column_name, q.reason order by q.source, n desc""").fetchall()
        rates = match_rates(con)
        unmatched = []
        if _table_exists(con, "marts", "mart_adressen_ohne_zuordnung"):
            unmatched = con.execute("""
                select quelle, stichtag, ags, strasse, hausnummer, hausnummer_zusatz_norm, anzahl
                from marts.mart_adressen_ohne_zuordnung
                order by anzahl desc, quelle, stichtag, ags, strasse""").fetchall()
        sperrungen = suppressions(con)
    finally:
        con.close()

    minimum = settings.min_zuordnungsquote
    flagged = [r for r in rates if r[5] is not None and r[5] < minimum]
    rejected = [d for d in deliveries if d[5] == "rejected"]
    summary = [
        f"<li>{len(deliveries)} Lieferungen, davon {len(rejected)} abgewiesen</li>",
        f"<li>{sum(1 for g in gx if not g[2])} fehlgeschlagene Datenprüfungen (Great Expectations)</li>",
        f"<li>{sum(q[3] for q in quarantine)} Zeilenfehler in Quarantäne</li>",
        f"<li>{len(flagged)} Lieferungen (Quelle, Stichtag, Gemeinde) unter der Mindest-"
        f"Zuordnungsquote von {minimum:g} %</li>",
    ]
    parts = [
        "<!doctype html><html lang='de'><head><meta charset='utf-8'>",
        "<title>SPM – Qualitätsbericht</title>", f"<style>{_STYLE}</style></head><body>",
        "<h1>Qualitätsbericht der Lieferungen</h1>",
        f"<p class='hinweis'>Stand {datetime.now():%d.%m.%Y %H:%M} · {html.escape(str(home.root))} · "
        "nur für die Statistikstelle (enthält Adressen und Originalzeilen)</p>",
        "<ul>", *summary, "</ul>",
        "<h2>Adresszuordnung je Quelle, Stichtag und Gemeinde</h2>",
        f"<p class='hinweis'>Zuordnungsquote = Anteil der Datensätze, deren Adresse im "
        f"Adressregister gefunden wurde. Unter {minimum:g} % (Einstellung "
        "<code>min_zuordnungsquote</code>) ist die Lieferung markiert.</p>",
        _html_table(["Quelle", "Stichtag", "Gemeinde", "Datensätze", "nicht zugeordnet", "Quote %"],
                    rates, lambda r: "warnung" if r[5] is not None and r[5] < minimum else ""),
        "<h2>Lieferungen</h2>",
        _html_table(["Nr.", "Eingang", "Quelle", "Stichtag", "Datei", "Status", "Zeilen",
                     "geladen", "Quarantäne", "Gemeinden", "Meldung"], deliveries,
                    lambda r: "fehler" if r[5] == "rejected" else ""),
        "<h2>Datenprüfungen (Great Expectations) je Quelle</h2>",
        "<p>Jede Zeile jeder Lieferung wird beim Laden nach den Regeln der Lieferformate "
        "geprüft (fehlerhafte Zeilen: Quarantäne). Danach prüft je Quelle eine "
        "Great-Expectations-Suite eine Stichprobe des Geladenen über alle Stichtage; eine "
        "verletzte Erwartung hält die Veröffentlichung an.</p>",
        _html_table(["Quelle", "Suite", "bestanden", "Erwartungen", "verletzt",
                     "geprüft am"], gx, lambda r: "" if r[2] else "fehler"),
        "<h2>Quarantäne nach Quelle und Grund</h2>",
        _html_table(["Quelle", "Spalte", "Grund", "Zeilen"], quarantine),
        "<h2>Adressen ohne Zuordnung (zur Korrektur)</h2>",
        _html_table(["Quelle", "Stichtag", "Gemeinde", "Straße", "Hausnummer", "Zusatz",
                     "Datensätze"], unmatched),
        "<h2>Geheimhaltung: gesperrte Werte je Tabelle</h2>",
        "<p class='hinweis'>Aus dem Sperrprotokoll (<code>marts.mart_geheimhaltung_protokoll"
        "</code>): Zellen sind die sensiblen Zähler und die Angaben der Hilfearten. Primär "
        "gesperrt ist ein Wert, der selbst gegen eine Regel verstößt, sekundär einer, der "
        "einen anderen schützt. Veröffentlicht wird nur der eine Status <code>gesperrt</code>"
        " („•“); die Aufteilung steht nur hier und im Sperrprotokoll und darf nicht "
        "weitergegeben werden.</p>",
        _html_table(["Tabelle", "Zellen", "gesperrt", "davon primär", "davon sekundär"],
                    sperrungen),
        "</body></html>",
    ]
    home.quality.mkdir(parents=True, exist_ok=True)
    target = home.quality / REPORT_NAME
    tmp = target.with_suffix(".tmp")
    tmp.write_text("".join(parts), encoding="utf-8")
    tmp.replace(target)
    return target
