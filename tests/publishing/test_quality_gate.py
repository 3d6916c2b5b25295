"""The quality gate and the published tables `datenstand` and `qualitaet`.

Real files and real runs throughout: the demo run (`demo_run`), copies of its warehouse
published again with a planted leak or failed check results, a small published file for
the leak check's rules, and copies of the whole demo home (warehouse, Dagster instance,
published versions) on which the nightly job really fails: once in a blocking contract
check, once in a dbt test, and once when only publishing is started after the failure.
"""

import datetime as dt
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import dagster as dg
import duckdb
import pandas as pd
import pytest

from dagster_project.publishing.database import PublishError
from dagster_project.publishing.leaks import check_leaks
from dagster_project.publishing.publish import publish_all
from dagster_project.publishing.versions import aktuelle_version, versionen
from dagster_project.quality import gate
from ingestion.contracts import TABULAR_CONTRACTS
from ingestion.home import Home
from tests.publishing.test_leak import read_parquet
from tests.publishing.test_published_outputs import home_with_warehouse_of, state

SPM = os.path.join(os.path.dirname(sys.executable), "spm")
DATENSTAND = ["quelle", "gliederung", "ags", "kommune", "stichtag", "anzahl_stichtage",
              "geliefert_am", "zeilen", "zeilen_quarantaene", "zuordnungsquote", "status",
              "hinweis"]
QUALITAET = ["lauf_id", "zeitpunkt", "pruefung", "art", "gegenstand", "schweregrad",
             "ergebnis", "kennzahl", "wert", "hinweis"]
# sources of sensitive indicators (not kita: K is not sensitive, indicators.md)
SENSIBLE_QUELLEN = {"sgb2", "hze", "seu", "schule", "schulabgang"}



def query(db: Path, sql: str, params=None) -> pd.DataFrame:
    con = duckdb.connect(str(db), read_only=True)
    try:
        return con.execute(sql, params or []).df()
    finally:
        con.close()


# ---------------------------------------------------------------------------------------
# datenstand


def test_datenstand_per_source_and_municipality_matches_the_raw_zone(demo_run):
    db, warehouse = demo_run.home.published_db, demo_run.home.warehouse
    stand = query(db, "select * from datenstand")
    assert list(stand.columns) == DATENSTAND
    assert not stand.duplicated(["quelle", "gliederung", "ags"]).any()
    gemeinden = set(query(db, "select raum_id from raeume where gliederung = 'kommune'").raum_id)
    assert len(gemeinden) >= 2
    tabular = stand[stand.quelle != "raumgliederung"]
    assert set(zip(tabular.quelle, tabular.ags, strict=True)) == \
        {(q, a) for q in TABULAR_CONTRACTS for a in gemeinden}
    checked = 0
    for row in tabular.itertuples():
        raw = query(warehouse, f"""
            with neu as (select max(stichtag) s from raw.{row.quelle} where ags = $ags)
            select max(r.stichtag) stichtag, count(*) zeilen,
                   list(distinct r.delivery_id) lieferungen
            from raw.{row.quelle} r, neu where r.ags = $ags and r.stichtag = neu.s""",
                    {"ags": row.ags}).iloc[0]
        assert pd.Timestamp(row.stichtag) == pd.Timestamp(raw.stichtag), row
        assert row.status in ("ok", "gesperrt")
        if row.status == "gesperrt":
            assert row.quelle in SENSIBLE_QUELLEN and 1 <= raw.zeilen <= 2
            assert pd.isna(row.zeilen)
            continue
        if row.quelle in SENSIBLE_QUELLEN:
            # the row count of a sensitive source bounds or equals protected figures
            assert pd.isna(row.zeilen) and "Geheimhaltung" in row.hinweis, row
        else:
            assert row.zeilen == raw.zeilen, row
        log = query(warehouse, "select max(received_at) t from raw.delivery_log "
                               "where delivery_id in (select unnest($ids::integer[]))",
                    {"ids": [int(i) for i in raw.lieferungen]}).t[0]
        assert row.geliefert_am == log
        quarantine = query(warehouse, "select count(distinct line_no) n from raw.quarantine "
                                      "where ags = $ags and delivery_id in "
                                      "(select unnest($ids::integer[]))",
                           {"ags": row.ags, "ids": [int(i) for i in raw.lieferungen]}).n[0]
        assert row.zeilen_quarantaene == quarantine
        if row.quelle == "adressen":
            assert pd.isna(row.zuordnungsquote)
        else:
            rate = query(warehouse, "select zuordnungsquote z from marts.mart_adressabgleich "
                                    "where quelle = ? and stichtag = ? and ags = ?",
                         [row.quelle, row.stichtag, row.ags]).z[0]
            assert row.zuordnungsquote == pytest.approx(rate) and 90 < rate <= 100
        checked += 1
    assert checked >= len(gemeinden) * 7
    # boundaries: the areas of each Gliederung's newest version, cross-border ones under the
    # county's code
    areas = stand[stand.quelle == "raumgliederung"]
    newest = query(warehouse, """
        select gliederung, max(gueltig_ab) g from raw.raumgliederung group by 1""")
    for g in newest.itertuples():
        raw = query(warehouse, "select count(*) n from raw.raumgliederung where gliederung = ? "
                               "and gueltig_ab = ?", [g.gliederung, g.g]).n[0]
        mine = areas[areas.gliederung == g.gliederung]
        assert mine.zeilen.sum() == raw
        assert (pd.to_datetime(mine.stichtag) == pd.Timestamp(g.g)).all()
    # nothing that names a file or a person
    text = " ".join(map(str, stand.to_numpy().ravel()))
    assert not any(ext in text for ext in (".csv", ".xlsx", ".geojson", "archive"))


def test_datenstand_is_in_every_output_with_german_descriptions(demo_run):
    home = demo_run.home
    rows = query(home.published_db, "select count(*) n from datenstand").n[0]
    assert len(read_parquet(home.published / "parquet" / "datenstand.parquet")) == rows
    kreis = query(home.published_db, "select raum_id from raeume where gliederung = 'kreis'")
    csv = pd.read_csv(home.published / "csv" / kreis.raum_id[0] / "datenstand.csv", sep=";",
                      encoding="utf-8-sig", dtype=str)
    assert list(csv.columns) == DATENSTAND and len(csv) == rows
    comments = query(home.published_db, "select column_name, comment from duckdb_columns() "
                                         "where table_name = 'datenstand'")
    assert comments.comment.notna().all()
    assert "Lieferzeitpunkt" in comments.set_index("column_name").comment["geliefert_am"]


# ---------------------------------------------------------------------------------------
# qualitaet


def test_qualitaet_lists_every_check_of_the_publishing_run(demo_run, restore_environment):
    home = demo_run.home
    frame = query(home.published_db, "select * from qualitaet")
    assert list(frame.columns) == QUALITAET
    assert not frame.duplicated(["pruefung", "gegenstand", "kennzahl"]).any()
    meta = json.loads((aktuelle_version(home) / "version.json").read_text(encoding="utf-8"))
    assert set(frame.lauf_id) == {meta["lauf_id"]}
    os.environ["DAGSTER_HOME"] = str(home.dagster_home)
    run = dg.DagsterInstance.get().get_run_by_id(meta["lauf_id"])
    assert run is not None and run.job_name == "spm_nightly"

    assert set(frame.schweregrad) <= {"error", "warn"}
    errors = frame[frame.schweregrad == "error"]
    assert (errors.ergebnis == "bestanden").all(), errors[errors.ergebnis != "bestanden"]
    contracts = frame[frame.art == "datenvertrag"]
    assert set(contracts.pruefung) == {f"{s}_contract" for s in TABULAR_CONTRACTS}
    assert (contracts[contracts.kennzahl == "geprueft_zeilen"].wert > 0).all()
    # every dbt test of the project is there, each with its failed row count
    from dagster_project.definitions import defs

    graph = defs.resolve_asset_graph()
    dbt_checks = {(k.name, k.asset_key.to_user_string()) for k in graph.asset_check_keys
                  if "dagster_dbt/unique_id" in (graph.get_check_spec(k).metadata or {})}
    tests = frame[frame.art == "dbt_test"]
    assert set(zip(tests.pruefung, tests.gegenstand, strict=True)) == dbt_checks
    # the rules of every model (one columns_valid check each: values, grain, references)
    # and the other dbt tests
    assert sum(1 for name, _ in dbt_checks if name.startswith("columns_valid")) >= 50
    assert len(dbt_checks) > 70
    assert set(tests.kennzahl) == {"fehlerhafte_zeilen"}
    assert ("columns_valid_pub_datenstand", "published/pub_datenstand") in dbt_checks
    # the contribution of the warehouse and the leak check of the new version
    beitrag = frame[frame.art == "pruefbeitrag"]
    assert set(beitrag.gegenstand) >= {f"raw/{s}" for s in TABULAR_CONTRACTS}
    lieferungen = beitrag[beitrag.pruefung == "lieferung_vollstaendig"]
    assert len(lieferungen) > 0 and (lieferungen.schweregrad == "warn").all()
    # the attacker audit of disclosure control, severity error, passed with its figures
    audit = beitrag[beitrag.pruefung == "geheimhaltung_audit"].set_index("kennzahl")
    assert (audit.schweregrad == "error").all() and (audit.ergebnis == "bestanden").all()
    assert audit.wert["zellen_geprueft"] > 0 and audit.wert["zellen_ungeschuetzt"] == 0
    # suppressed cells counted, but never split into primary and secondary: the kind of a
    # suppression stays in the private log (and the published status is one: gesperrt)
    assert set(audit.index) == {"zellen_geprueft", "zellen_ungeschuetzt", "engstes_intervall",
                                "zellen_insgesamt", "zellen_gesperrt"}
    assert 0 < audit.wert["zellen_gesperrt"] < audit.wert["zellen_insgesamt"]
    # the figures are those of the private audit and log (the narrowest interval may be 0:
    # a suppressed value pinned by what is never suppressed, which the audit accepts)
    privat = query(home.warehouse, """
        select (select count(*) from marts.mart_geheimhaltung_audit) as geprueft,
               (select min(oben - unten) from marts.mart_geheimhaltung_audit) as engstes,
               (select count(*) from marts.mart_geheimhaltung_protokoll) as zellen,
               (select count(*) from marts.mart_geheimhaltung_protokoll
                where status = 'gesperrt') as gesperrt""").iloc[0]
    assert (audit.wert["zellen_geprueft"], audit.wert["engstes_intervall"],
            audit.wert["zellen_insgesamt"], audit.wert["zellen_gesperrt"]) == \
        (privat.geprueft, privat.engstes, privat.zellen, privat.gesperrt)
    if audit.wert["engstes_intervall"] == 0:
        assert "festgelegt" in audit.hinweis["engstes_intervall"]
    text = " ".join(str(v) for v in frame[["pruefung", "kennzahl", "hinweis"]].to_numpy().ravel())
    assert "gesperrt_sekundaer" not in text
    assert not [k for k in frame.kennzahl.dropna() if "primaer" in k or "sekundaer" in k]
    leck = frame[frame.art == "leckpruefung"].set_index("kennzahl").wert
    assert set(leck.index) == {"tabellen_geprueft", "zeilen_geprueft",
                               "sensible_werte_geprueft", "gesperrte_zeilen_geprueft"}
    assert leck["tabellen_geprueft"] >= 8 and leck["zeilen_geprueft"] > 1000
    comment = query(home.published_db, "select comment from duckdb_tables() "
                                        "where table_name = 'qualitaet'").comment[0]
    assert "Schweregrad error" in comment
    # the same rows in Parquet and in every municipality's CSV (a table without areas)
    assert len(read_parquet(home.published / "parquet" / "qualitaet.parquet")) == len(frame)
    for folder in (home.published / "csv").iterdir():
        assert len(pd.read_csv(folder / "qualitaet.csv", sep=";", encoding="utf-8-sig")) == \
            len(frame)


def test_contribution_models_are_found_and_bad_ones_block(demo_run, tmp_path):
    from dagster_project.defs.dbt.project import dbt_project

    relations = gate.contribution_relations(dbt_project.manifest_path)
    assert ("marts", "mart_pruefbeitrag__lieferungen") in relations
    home = home_with_warehouse_of(demo_run, tmp_path / "home")
    con = duckdb.connect(str(home.warehouse))
    con.execute("create table marts.mart_pruefbeitrag__kaputt as select 1 as pruefung")
    con.execute("""create table marts.mart_pruefbeitrag__audit as select
        'audit' as pruefung, 'published/indikatorwerte' as gegenstand, 'error' as schweregrad,
        'fehlgeschlagen' as ergebnis, 'engstes_intervall' as kennzahl, 1.5 as wert,
        'Intervall zu eng' as hinweis""")
    con.close()
    rows = gate.contributed_results(home.warehouse, [
        ("marts", "mart_pruefbeitrag__lieferungen"), ("marts", "mart_pruefbeitrag__kaputt"),
        ("marts", "mart_pruefbeitrag__audit")])
    by_name = {r.pruefung: r for r in rows}
    assert by_name["lieferung_vollstaendig"].schweregrad == "warn"
    assert by_name["mart_pruefbeitrag__kaputt"].blockiert
    assert "nicht lesbar" in by_name["mart_pruefbeitrag__kaputt"].hinweis
    assert by_name["audit"].blockiert and by_name["audit"].wert == 1.5
    with pytest.raises(PublishError) as refused:
        publish_all(home, pruefungen=rows)
    text = str(refused.value)
    assert "verweigert" in text and "audit" in text and "mart_pruefbeitrag__kaputt" in text
    assert "unverändert" in text and "lieferung_vollstaendig" not in text
    assert versionen(home) == [] and not home.published_db.exists()


# ---------------------------------------------------------------------------------------
# the gate in publish_all


def _result(ergebnis: str, schweregrad: str = "error") -> gate.Pruefergebnis:
    return gate.Pruefergebnis("probe", "asset_check", "raw/einwohner", schweregrad,
                                   ergebnis, kennzahl="fehler", wert=4.0, hinweis="Probe")


@pytest.mark.parametrize("ergebnis", ["fehlgeschlagen", "nicht_ausgefuehrt"])
def test_a_failed_error_check_stops_publishing(demo_run, tmp_path, ergebnis):
    home = home_with_warehouse_of(demo_run, tmp_path / "home")
    first = publish_all(home)
    before = state(home)
    with pytest.raises(PublishError) as refused:
        publish_all(home, pruefungen=[_result("bestanden"), _result(ergebnis)])
    assert "Veröffentlichung verweigert" in str(refused.value)
    assert "probe (raw/einwohner)" in str(refused.value) or "probe auf raw/einwohner" in \
        str(refused.value)
    assert "unverändert" in str(refused.value)
    assert state(home) == before
    assert [p.name for p in versionen(home)] == [first.version]


def test_a_failed_warn_check_is_published_in_qualitaet(demo_run, tmp_path):
    home = home_with_warehouse_of(demo_run, tmp_path / "home")
    lauf = gate.Lauf("probe-lauf", dt.datetime(2025, 3, 2, 2, 0))
    result = publish_all(home, pruefungen=[_result("fehlgeschlagen", "warn")], lauf=lauf)
    frame = query(home.published_db, "select * from qualitaet")
    assert set(frame.lauf_id) == {"probe-lauf"}
    probe = frame[frame.pruefung == "probe"].iloc[0]
    assert (probe.schweregrad, probe.ergebnis, probe.kennzahl, probe.wert) == \
        ("warn", "fehlgeschlagen", "fehler", 4.0)
    assert frame.iloc[0].pruefung == "probe"            # failed checks first
    assert (frame[frame.art == "leckpruefung"].ergebnis == "bestanden").all()
    assert result.tabellen["qualitaet"] == len(frame) == 5
    meta = json.loads((result.ordner / "version.json").read_text(encoding="utf-8"))
    assert meta["lauf_id"] == "probe-lauf" and meta["tabellen"]["qualitaet"] == 5


# ---------------------------------------------------------------------------------------
# the leak check: rules on a small file, and a planted leak stops publication


def _published_file(path: Path, extra: str = "") -> duckdb.DuckDBPyConnection:
    """A protected published file under the rules of indicators.md: H01 and K01 are not
    sensitive (shown on every level, the kita row count too), H04 is on every level; a
    suppressed value shows its `nenner`."""
    con = duckdb.connect(str(path))
    con.execute("""
        create table indikatoren as select * from (values
            ('S01', true, 'Anzahl', 'Jobcenter (sgb2)'),
            ('S03', true, '%', 'Jobcenter (sgb2); Bevölkerung: Einwohnermeldeamt (einwohner)'),
            ('H01', false, 'Anzahl', 'Einwohnermeldeamt (einwohner)'),
            ('H04', true, '%', 'Einwohnermeldeamt (einwohner)'),
            ('K01', false, '%', 'Jugendamt, Kita-Bedarfsplanung (kita); Bevölkerung: '
                                'Einwohnermeldeamt (einwohner)'),
            ('B01', false, 'Anzahl', 'Einwohnermeldeamt (einwohner)'),
            ('E08', true, 'EUR je Einwohner', 'Jugendamt (hze)'))
            t(code, sensibel, einheit, quelle);
        create table indikatorwerte as select * from (values
            ('S01', 'sozialraum', 0.0::double, null::double, 0.0::double, 'ok'),
            ('S01', 'kommune', 3.0, null, 3.0, 'ok'),
            ('S03', 'sozialraum', null, 40.0, null, 'gesperrt'),
            ('H01', 'sozialraum', 1.0, null, 1.0, 'ok'),
            ('H01', 'kommune', 2.0, null, 2.0, 'ok'),
            ('H04', 'kommune', 5.0, 40.0, 12.5, 'ok'),
            ('K01', 'sozialraum', 2.0, 20.0, 10.0, 'ok'),
            ('B01', 'sozialraum', 1.0, null, 1.0, 'ok'),
            ('E08', 'sozialraum', 2.0, 100.0, 2.0, 'ok'))
            t(code, gliederung, zaehler, nenner, wert, status);
        create table hze_hilfearten as select * from (values
            ('29', 0, 5, null::integer, 'gesperrt'), ('30', 4, 3, 3, 'ok'))
            t(hilfeart, anzahl_faelle, anzahl_laufend, anzahl_neu, status);
        create table datenstand as select * from (values
            ('sgb2', null::bigint, 'gesperrt'), ('einwohner', 2, 'ok'), ('sgb2', 3, 'ok'),
            ('kita', 2, 'ok'))
            t(quelle, zeilen, status);
    """ + extra)
    return con


LEAKS = {
    "sensibler Zähler": ("insert into indikatorwerte values "
                         "('S03', 'kommune', 2.0, 80.0, 2.5, 'ok')", "sensiblem Zähler"),
    "Alleinerziehende auf Gemeindeebene": ("insert into indikatorwerte values "
                                           "('H04', 'kommune', 2.0, 30.0, 6.7, 'ok')",
                                           "sensiblem Zähler"),
    "Zähler trotz kein_nenner": ("insert into indikatorwerte values "
                                 "('S01', 'sozialraum', 2.0, null, null, 'kein_nenner')",
                                 "sensiblem Zähler"),
    "gesperrter Wert": ("insert into indikatorwerte values "
                        "('S03', 'sozialraum', null, 40.0, 12.5, 'gesperrt')",
                        "mit Status gesperrt, aber mit wert"),
    "gesperrter Zähler": ("insert into indikatorwerte values "
                          "('S03', 'sozialraum', 5.0, 40.0, null, 'gesperrt')",
                          "mit Status gesperrt, aber mit zaehler"),
    "gesperrt_sekundaer": ("insert into indikatorwerte values "
                           "('S03', 'sozialraum', null, 40.0, null, 'gesperrt_sekundaer')",
                           "1 Zeile(n) mit unbekanntem Status „gesperrt_sekundaer“ "
                           "(veröffentlicht wird nur „gesperrt“"),
    "gesperrt_sekundaer in HzE": ("update hze_hilfearten set status = 'gesperrt_sekundaer' "
                                  "where hilfeart = '29'",
                                  "hze_hilfearten: 1 Zeile(n) mit unbekanntem Status "
                                  "„gesperrt_sekundaer“"),
    "unbekannter Status": ("insert into indikatorwerte values "
                           "('B01', 'kommune', 5.0, null, 5.0, 'vorlaeufig')",
                           "mit unbekanntem Status „vorlaeufig“"),
    "ohne Status": ("insert into indikatorwerte values "
                    "('B01', 'kommune', 5.0, null, 5.0, null)", "1 Zeile(n) ohne Status"),
    "HzE-Fallzahl": ("update hze_hilfearten set anzahl_neu = 1 where hilfeart = '30'",
                     "anzahl_neu von 1 bis 2"),
    "HzE-Zeile ohne Sperre": ("update hze_hilfearten set anzahl_neu = 3 where hilfeart = '29'",
                              "ohne gesperrte Kennzahl"),
    "Datenstand": ("insert into datenstand values ('hze', 2, 'ok')", "Zeilenzahl von 1 bis 2"),
    "Datenstand gesperrt": ("update datenstand set zeilen = 5 where status = 'gesperrt'",
                            "mit Status gesperrt, aber mit zeilen"),
    "Spalte": ("create table leck as select 1 as hausnummer", "Spalte(n) mit Einzeldaten"),
}


def test_leak_check_passes_a_protected_file(tmp_path):
    con = _published_file(tmp_path / "ok.duckdb")
    try:
        bericht = check_leaks(con, min_count=3)
    finally:
        con.close()
    # indikatorwerte: S01 x2 and H04 (sensitive on every level); not the suppressed S03
    # (its nenner is shown), H01, K01, B01 (not sensitive), E08 (money);
    # hze: 5 shown counts; datenstand: the sgb2 row with 3 (kita is no sensitive source)
    assert bericht.sensible_werte == 3 + 5 + 1
    assert bericht.gesperrte_zeilen == 1 + 1 + 1 and bericht.tabellen == 4
    assert bericht.kennzahlen()["zeilen_geprueft"] == 7 + 9 + 2 + 4


@pytest.mark.parametrize("leak", list(LEAKS))
def test_leak_check_finds_every_kind_of_leak(tmp_path, leak):
    sql, message = LEAKS[leak]
    con = _published_file(tmp_path / "leck.duckdb", sql)
    try:
        with pytest.raises(PublishError) as found:
            check_leaks(con, min_count=3)
    finally:
        con.close()
    assert "Leckprüfung der neuen Fassung nicht bestanden" in str(found.value)
    assert message in str(found.value)


def test_leak_check_reports_a_gesperrt_row_showing_zaehler_and_wert_once_per_column(tmp_path):
    """A suppressed row that shows both its numerator and its value: two findings, with the
    number of rows and never the value."""
    con = _published_file(tmp_path / "leck.duckdb", """
        insert into indikatorwerte values ('S03', 'kommune', 17.0, 40.0, 42.5, 'gesperrt'),
                                          ('S03', 'kreis', 23.0, 50.0, null, 'gesperrt')""")
    try:
        with pytest.raises(PublishError) as found:
            check_leaks(con, min_count=3)
    finally:
        con.close()
    text = str(found.value)
    assert "indikatorwerte: 2 Zeile(n) mit Status gesperrt, aber mit zaehler" in text
    assert "indikatorwerte: 1 Zeile(n) mit Status gesperrt, aber mit wert" in text
    assert not any(value in text for value in ("17", "23", "42,5", "42.5"))


PLANTED = {
    "sensible Fallzahl": """insert into published.indikatorwerte
        select * replace ('S01' as code, 2.0 as zaehler, null as nenner, 2.0 as wert,
                          'ok' as status)
        from published.indikatorwerte where gliederung = 'sozialraum' limit 1""",
    "gesperrter Wert": """insert into published.indikatorwerte
        select * replace ('S03' as code, 5.0 as zaehler, 50.0 as nenner, 10.0 as wert,
                          'gesperrt' as status)
        from published.indikatorwerte where gliederung = 'sozialraum' limit 1""",
    "Datenstand": """update published.datenstand set zeilen = 2, status = 'ok'
        where quelle = 'hze' and ags = (select min(ags) from published.datenstand
                                        where quelle = 'hze')""",
    "Art der Sperrung": """insert into published.indikatorwerte
        select * replace ('S03' as code, null as zaehler, 50.0 as nenner, null as wert,
                          'gesperrt_sekundaer' as status)
        from published.indikatorwerte where gliederung = 'sozialraum' limit 1""",
    "Entwurfstabelle": """create table published.indikatorwerte_entwurf as
        select code, gliederung, raum_id, berichtsjahr, 1.0 as wert, 'gesperrt' as status
        from published.indikatorwerte limit 3""",
}


@pytest.mark.parametrize("leak", list(PLANTED))
def test_a_leak_in_the_new_version_stops_publishing(demo_run, tmp_path, leak):
    home = home_with_warehouse_of(demo_run, tmp_path / "home")
    first = publish_all(home)
    before = state(home)
    con = duckdb.connect(str(home.warehouse))
    con.execute(PLANTED[leak])
    con.close()
    with pytest.raises(PublishError) as failure:
        publish_all(home)
    text = str(failure.value)
    assert text.startswith("Veröffentlichung abgebrochen (Leckprüfung): Leckprüfung der neuen "
                           "Fassung nicht bestanden")
    assert "Die bisher veröffentlichte Fassung bleibt unverändert" in text
    assert state(home) == before
    assert [p.name for p in versionen(home)] == [first.version]
    assert not [p for p in home.published_versions.iterdir() if p.name.startswith(".")]


# ---------------------------------------------------------------------------------------
# real failing runs and `spm status`


def copy_home(source: Home, target: Path) -> Home:
    """The whole home (warehouse, Dagster instance, published versions with their links),
    without the DuckDB extension folders (recreated on first use)."""
    shutil.copytree(source.root, target, symlinks=True,
                    ignore=shutil.ignore_patterns("duckdb_ext_repo", "duckdb_extensions"))
    return Home(target)


def status_text(home: Home, exit_code: int = 1) -> str:
    """The text of `spm status`; its exit code is 1 while the last run did not publish."""
    result = subprocess.run([SPM, "--home", str(home.root), "status"], capture_output=True,
                            text=True)
    assert result.returncode == exit_code, result.stderr
    return result.stdout



def test_failed_runs_keep_the_published_version_and_status_says_why(
        demo_run, tmp_path, restore_environment):
    """1. A row breaking the contract in the warehouse (as a loader bug or a manual edit
    would leave it): the blocking contract check fails, nothing downstream runs.
    2. Publishing started on its own after that: the gate refuses (the check's latest
    result failed, the dbt tests did not run).
    3. A boundary file with a duplicate area in the warehouse: a dbt test fails.
    Each time the published version stays byte for byte and `spm status` says so and why."""
    from dagster_project.cli.main import run_pipeline
    from dagster_project.definitions import defs
    from dagster_project.environment import activate

    home = copy_home(demo_run.home, tmp_path / "home")
    activate(home.root)
    before = state(home)
    kept = aktuelle_version(home).name
    assert "hat veröffentlicht" in status_text(home, exit_code=0)

    con = duckdb.connect(str(home.warehouse))
    original = con.execute("select rowid, geschlecht from raw.einwohner limit 3").fetchall()
    con.executemany("update raw.einwohner set geschlecht = 'x' where rowid = ?",
                    [[rowid] for rowid, _ in original])
    con.close()
    assert run_pipeline(home) is False
    assert state(home) == before
    text = status_text(home)
    assert "ACHTUNG: Der letzte Lauf" in text and "ist fehlgeschlagen" in text
    assert f"die zuletzt veröffentlichte Fassung wurde beibehalten (Fassung {kept}" in text
    assert "Prüfung einwohner_contract (raw/einwohner) nicht bestanden" in text
    assert "geschlecht mit unbekanntem Code: 3" in text

    job = defs.resolve_job_def("spm_nightly")
    publish_only = job.execute_in_process(
        instance=dg.DagsterInstance.get(), raise_on_error=False,
        asset_selection=[dg.AssetKey(["published", "spm_duckdb"])])
    assert not publish_only.success
    assert state(home) == before
    text = status_text(home)
    assert "Schritt published__spm_duckdb fehlgeschlagen: Veröffentlichung verweigert" in text
    assert "einwohner_contract" in text and "nicht ausgeführt" in text
    assert f"beibehalten (Fassung {kept}" in text

    con = duckdb.connect(str(home.warehouse))
    con.executemany("update raw.einwohner set geschlecht = ? where rowid = ?",
                    [[value, rowid] for rowid, value in original])
    con.execute("""
        update raw.raumgliederung set raum_id = (
            select min(raum_id) from raw.raumgliederung where gliederung = 'sozialraum')
        where raum_id = (select max(raum_id) from raw.raumgliederung
                         where gliederung = 'sozialraum')""")
    con.close()
    assert run_pipeline(home) is False
    assert state(home) == before
    text = status_text(home)
    assert "ist fehlgeschlagen" in text and f"beibehalten (Fassung {kept}" in text
    assert ("Prüfung columns_valid_stg_geodaten__raumgliederung "
            "(staging/stg_geodaten__raumgliederung) nicht bestanden: 1 fehlerhafte "
            "Zeile(n)") in text
    assert "Schritt spm_dbt_assets fehlgeschlagen: dbt build:" in text
