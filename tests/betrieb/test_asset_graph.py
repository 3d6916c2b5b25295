"""The asset graph as the office reads it in the Dagster UI: every asset in a Bereich
(group) with owners and a German description, asset keys as before, and the metadata of
a real nightly run (rows, quarantine, match rate, suppressed values per level, the
published version, the disclosure audit as the check `geheimhaltung_audit`)."""

import json
import re

import dagster as dg
import duckdb
import pytest
from dagster_dbt import DagsterDbtTranslator

from dagster_project.defs import bereiche
from dagster_project.defs.dbt.assets import translator
from dagster_project.defs.dbt.project import dbt_project
from dagster_project.defs.publishing.assets import AUDIT, audit_check
from dagster_project.environment import activate
from dagster_project.quality import gate
from ingestion.home import SOURCES

# words that mark a German sentence, and English ones that must not appear in it
_DEUTSCH = re.compile(r"\b(der|die|das|und|je|mit|aus|für|von|im|nach|ohne|jede[rs]?|"
                      r"eine?)\b", re.IGNORECASE)
_ENGLISCH = re.compile(r"\b(the|of|and|with|every|from|per|which|is|are)\b")
PLANUNG = set(bereiche.PLANUNG)


def deutsch(text: str | None) -> bool:
    first = (text or "").strip().split("\n\n")[0]
    return bool(first) and bool(_DEUTSCH.search(first)) and not _ENGLISCH.search(first)


@pytest.fixture(scope="module")
def graph(tmp_path_factory):
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("SPM_HOME", str(tmp_path_factory.mktemp("graph") / "home"))
        from dagster_project.definitions import defs

        yield defs.resolve_asset_graph()


def _manifest() -> dict:
    return json.loads(dbt_project.manifest_path.read_text(encoding="utf-8"))


def test_the_language_check_tells_german_from_english():
    assert deutsch("Zähler und Nenner der Indikatoren B je Gebiet und Berichtsjahr.")
    assert not deutsch("Numerators and denominators of the B indicators per Gebiet.")
    assert not deutsch("")


def test_every_asset_has_a_bereich_owners_and_a_german_description(graph):
    keys = sorted(graph.get_all_asset_keys(), key=lambda k: k.path)
    assert len(keys) >= 75
    problems = []
    for key in keys:
        node = graph.get(key)
        name = key.to_user_string()
        if node.group_name not in bereiche.BEREICHE:
            problems.append(f"{name}: Gruppe {node.group_name!r}")
        if not node.owners:
            problems.append(f"{name}: keine Owner")
        for owner in node.owners:
            if not owner.startswith("team:") or len(owner) <= 5:
                problems.append(f"{name}: Owner {owner!r}")
        if not deutsch(node.description):
            problems.append(f"{name}: Beschreibung nicht deutsch: {node.description!r:.80}")
    assert problems == []
    # every Bereich is used (no dead entry) and `default` never is
    assert {graph.get(k).group_name for k in keys} == set(bereiche.BEREICHE)


def test_bereiche_and_owners_follow_the_domains(graph):
    def node(path: str):
        return graph.get(dg.AssetKey(path.split("/")))

    expected_groups = {
        "raw/einwohner": "bevoelkerung", "raw/adressen": "geografie",
        "raw/raumgliederung": "geografie", "raw/gemeinden": "geografie", "raw/sgb2": "sgb2",
        "raw/hze": "jugendhilfe", "raw/kita": "jugendhilfe", "raw/seu": "gesundheit",
        "raw/schule": "bildung", "raw/schulabgang": "bildung",
        "raw/delivery_log": "datenstand", "raw/quarantine": "datenstand",
        "staging/stg_jugendamt__kita": "jugendhilfe",
        "intermediate/int_indikatoren__gesundheit": "gesundheit",
        "intermediate/int_haushalte__haushalte": "haushalte",
        "marts/mart_sozialindex": "sozialindex",
        "marts/mart_geheimhaltung_audit": "geheimhaltung",
        "marts/mart_indikatorwerte": "indikatoren",
        "published/pub_indikatorwerte": "veroeffentlichung",
        "published/spm_duckdb": "veroeffentlichung", "quality/bericht": "qualitaet",
        "betrieb/aufbewahrung": "betrieb",
    }
    assert {p: node(p).group_name for p in expected_groups} == expected_groups
    # raw data: the delivering agency and the Statistikstelle
    assert node("raw/sgb2").owners == ["team:Jobcenter", "team:Statistikstelle"]
    assert node("raw/seu").owners == ["team:Gesundheitsamt", "team:Statistikstelle"]
    assert node("staging/stg_schultraeger__schule").owners == ["team:Schulamt",
                                                               "team:Statistikstelle"]
    # the planning units own the figures they use
    assert "team:Jugendhilfeplanung" in node("intermediate/int_indikatoren__erziehungshilfen").owners
    assert "team:Kita-Bedarfsplanung" in node("intermediate/int_indikatoren__kinderbetreuung").owners
    assert "team:Bildungsmonitoring" in node("intermediate/int_indikatoren__bildung").owners
    assert "team:Gesundheitsplanung" in node("intermediate/int_indikatoren__gesundheit").owners
    assert "team:Altenhilfeplanung" in node("intermediate/int_indikatoren__haushalte").owners
    assert PLANUNG <= set(node("published/pub_indikatorwerte").owners)
    # never on records of persons, nor on the private disclosure control
    for key in graph.get_all_asset_keys():
        path = key.to_user_string()
        if (path.startswith(("raw/", "staging/", "intermediate/int_personen__",
                             "intermediate/int_haushalte__", "intermediate/int_adressen__"))
                or "geheimhaltung" in path):
            assert not PLANUNG & set(graph.get(key).owners), path


def test_asset_keys_are_dagster_dbts_and_every_model_has_its_own_german_text(graph):
    manifest = _manifest()
    default = DagsterDbtTranslator()
    nodes = [n for n in manifest["nodes"].values() if n["resource_type"] in ("model", "seed")]
    assert len(nodes) >= 60
    for props in [*nodes, *manifest["sources"].values()]:
        assert translator.get_asset_key(props) == default.get_asset_key(props)
    keys = {k.to_user_string() for k in graph.get_all_asset_keys()}
    assert keys == ({"/".join(default.get_asset_key(n).path) for n in nodes}
                    | {f"raw/{s}" for s in (*SOURCES, "gemeinden", "delivery_log", "quarantine")}
                    | {"published/spm_duckdb", "published/postgres", "published/berichte",
                       "quality/bericht", "betrieb/aufbewahrung"})
    # written for the office, not derived: every model outside published/ is in MODELLE,
    # and the published models' own descriptions are German
    for props in nodes:
        if props["original_file_path"].startswith("models/published/"):
            assert deutsch(props["description"]), props["name"]
        else:
            assert props["name"] in bereiche.MODELLE, props["name"]
    # the English description of a model stays readable in the metadata
    mart = graph.get(dg.AssetKey(["marts", "mart_geheimhaltung_audit"]))
    assert "attacker audit" in mart.metadata["dbt_beschreibung"].value


def test_a_new_model_gets_a_bereich_and_a_german_text_from_where_it_lives():
    entry = bereiche.dbt_eintrag({
        "name": "int_personen__neu", "resource_type": "model",
        "original_file_path": "models/intermediate/personen/int_personen__neu.sql",
        "description": "New person-level records with the matched address."})
    assert entry.gruppe == "bevoelkerung" and deutsch(entry.beschreibung)
    assert not PLANUNG & set(entry.owners)
    entry = bereiche.dbt_eintrag({
        "name": "stg_jugendamt__neu", "resource_type": "model",
        "original_file_path": "models/staging/jugendamt/stg_jugendamt__neu.sql"})
    assert entry.gruppe == "jugendhilfe" and entry.owners[0] == "team:Jugendamt"
    assert deutsch(entry.beschreibung)


def test_the_disclosure_audit_is_a_check_on_the_published_asset(graph):
    key = dg.AssetCheckKey(dg.AssetKey(["published", "spm_duckdb"]), AUDIT)
    assert key in graph.asset_check_keys
    spec = graph.get_check_spec(key)
    assert spec.blocking and deutsch(spec.description)


def test_a_failed_audit_shows_as_a_failed_check(tmp_path):
    home = activate(tmp_path / "home")
    rows = [gate.Pruefergebnis(AUDIT, gate.ART_BEITRAG, "published/indikatorwerte",
                               gate.ERROR, gate.FEHLGESCHLAGEN, kennzahl=k, wert=v,
                               hinweis="Gesperrte Werte, die sich genauer eingrenzen lassen"
                               if k == "zellen_ungeschuetzt" else None)
            for k, v in (("zellen_geprueft", 120.0), ("zellen_ungeschuetzt", 3.0),
                         ("engstes_intervall", 0.5))]
    result = audit_check(home, rows)
    assert not result.passed and result.severity == dg.AssetCheckSeverity.ERROR
    values = {k: getattr(v, "value", v) for k, v in result.metadata.items()}
    assert values["zellen_ungeschuetzt"] == 3 and values["zellen_geprueft"] == 120
    assert values["engstes_intervall"] == 0.5 and values["schutzbereich"] == 2.0
    assert "genauer eingrenzen" in values["hinweis"]
    # no contribution in the warehouse: failed, with the reason
    missing = audit_check(home, [])
    assert not missing.passed and "fehlt" in missing.metadata["hinweis"].value
    assert audit_check(home, [gate.Pruefergebnis(AUDIT, gate.ART_BEITRAG, "x", gate.ERROR,
                                                 gate.BESTANDEN, "zellen_geprueft",
                                                 5.0)]).passed


# --- a real nightly run --------------------------------------------------------------------


def _values(metadata) -> dict:
    return {k: getattr(v, "value", v) for k, v in metadata.items()}


@pytest.fixture(scope="module")
def run(demo_run):
    activate(demo_run.home.root)
    instance = dg.DagsterInstance.get()
    yield demo_run.home, instance
    instance.dispose()


def test_ingestion_metadata_counts_rows_loaded_quarantined_and_stichtage(run):
    home, instance = run
    key = dg.AssetKey(["raw", "einwohner"])
    # the first run loaded the deliveries of the demo county
    first = instance.fetch_materializations(key, limit=1, ascending=True).records[0]
    meta = _values(first.asset_materialization.metadata)
    con = duckdb.connect(str(home.warehouse), read_only=True)
    try:
        loaded, quarantined, files = con.execute("""
            select sum(rows_loaded), sum(rows_quarantined), count(*) from raw.delivery_log
            where source = 'einwohner' and status in ('loaded', 'replaced')""").fetchone()
        total, stichtage = con.execute(
            "select count(*), list(distinct stichtag order by stichtag) from raw.einwohner"
        ).fetchone()
        in_quarantine = con.execute("""
            select count(distinct (q.delivery_id, q.line_no)) from raw.quarantine q
            join raw.delivery_log l using (delivery_id)
            where q.source = 'einwohner' and l.status in ('loaded', 'replaced')""").fetchone()[0]
    finally:
        con.close()
    assert meta["geladen"] == files > 0
    assert meta["zeilen_geladen"] == loaded > 0
    assert meta["zeilen_quarantaene"] == quarantined
    assert meta["zeilen_quarantaene_gesamt"] == in_quarantine > 0
    assert meta["zeilen_gesamt"] == total
    assert meta["stichtage"] == ", ".join(str(s) for s in stichtage)
    assert meta["neuester_stichtag"] == str(stichtage[-1])


def test_the_match_rate_of_a_source_is_an_observation_of_its_raw_asset(run):
    home, instance = run
    con = duckdb.connect(str(home.warehouse), read_only=True)
    try:
        expected = dict(con.execute("""
            select quelle, round(100.0 * sum(datensaetze - nicht_zugeordnet)
                                 / sum(datensaetze), 2)
            from marts.mart_adressabgleich a
            where stichtag = (select max(stichtag) from marts.mart_adressabgleich b
                              where b.quelle = a.quelle)
            group by quelle""").fetchall())
    finally:
        con.close()
    assert {"einwohner", "sgb2", "hze"} <= set(expected)
    for quelle, rate in expected.items():
        record = instance.fetch_observations(dg.AssetKey(["raw", quelle]), limit=1).records[0]
        observed = _values(record.event_log_entry.asset_observation.metadata)
        assert observed["zuordnungsquote"] == pytest.approx(float(rate)), quelle
        assert 0 < observed["zuordnungsquote"] <= 100


def test_publication_metadata_version_and_suppressed_rows_per_level(run):
    home, instance = run
    event = instance.get_latest_materialization_event(dg.AssetKey(["published", "spm_duckdb"]))
    meta = _values(event.asset_materialization.metadata)
    folder = home.published_versions / meta["fassung"]
    assert json.loads((folder / "version.json").read_text())["lauf_id"] == event.run_id
    con = duckdb.connect(str(folder / "spm.duckdb"), read_only=True)
    try:
        expected = dict(con.execute("""
            select gliederung, count(*) filter (where status = 'gesperrt') from (
                select gliederung, status from indikatorwerte
                union all select gliederung, status from hze_hilfearten)
            group by 1""").fetchall())
    finally:
        con.close()
    assert {"sozialraum", "kommune", "kreis"} <= set(expected)
    assert {k: meta[f"gesperrt_{k}"] for k in expected} == expected
    assert meta["gesperrt_insgesamt"] == sum(expected.values()) > 0
    assert "| Gemeinde |" in meta["gesperrt_je_ebene"]
    # the published asset never shows the split into primary and secondary suppression
    assert not [k for k in meta if "primaer" in k or "sekundaer" in k]


def test_geheimhaltung_audit_shows_the_audit_of_the_run_without_a_second_audit(run):
    home, instance = run
    key = dg.AssetCheckKey(dg.AssetKey(["published", "spm_duckdb"]), AUDIT)
    record = instance.event_log_storage.get_latest_asset_check_execution_by_key([key])[key]
    evaluation = record.event.dagster_event.asset_check_evaluation_data
    meta = _values(evaluation.metadata)
    con = duckdb.connect(str(home.warehouse), read_only=True)
    try:
        checked, unprotected, narrowest = con.execute("""
            select count(*), count(*) filter (where not geschuetzt), min(oben - unten)
            from marts.mart_geheimhaltung_audit""").fetchone()
        primaer = con.execute("""
            select count(*) from marts.mart_geheimhaltung_protokoll
            where tabelle = 'indikatorwerte' and status = 'gesperrt'
              and sperrart = 'primaer'""").fetchone()[0]
    finally:
        con.close()
    assert evaluation.passed and unprotected == 0
    assert meta["zellen_geprueft"] == checked > 0
    assert meta["zellen_ungeschuetzt"] == 0
    assert meta["engstes_intervall"] == pytest.approx(narrowest)
    assert meta["schutzbereich"] == 2.0
    assert not [k for k in meta if "primaer" in k or "sekundaer" in k]
    # evaluated in the publishing step from the figures dbt computed: the audit model ran
    # once in the run, and no step of its own was added
    assert record.event.step_key == "published__spm_duckdb"
    audit_key = dg.AssetKey(["marts", "mart_geheimhaltung_audit"])
    runs = [r.run_id for r in instance.fetch_materializations(audit_key, limit=100).records]
    assert runs.count(record.run_id) == 1
    # the private split is on the private quality report only
    bericht = instance.get_latest_materialization_event(dg.AssetKey(["quality", "bericht"]))
    assert _values(bericht.asset_materialization.metadata)[
        "gesperrt_primaer_indikatorwerte"] == primaer > 0
    # the published table qualitaet does not repeat the check's figures
    event = instance.get_latest_materialization_event(dg.AssetKey(["published", "spm_duckdb"]))
    fassung = _values(event.asset_materialization.metadata)["fassung"]
    con = duckdb.connect(str(home.published_versions / fassung / "spm.duckdb"), read_only=True)
    try:
        rows = con.execute("select gegenstand, kennzahl from qualitaet where pruefung = ?",
                           [AUDIT]).fetchall()
    finally:
        con.close()
    assert rows and {g for g, _ in rows} == {"published/indikatorwerte, published/hze_hilfearten"}


def test_the_retention_step_ran_last_and_cheaply(run):
    _, instance = run
    event = instance.get_latest_materialization_event(dg.AssetKey(["betrieb", "aufbewahrung"]))
    meta = _values(event.asset_materialization.metadata)
    assert meta["behalten_tage"] == 90 and meta["geloeschte_laeufe"] == 0
    assert meta["sekunden"] < 0.1
