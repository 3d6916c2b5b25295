"""Publishing and the quality report: both run only after every dbt model and test succeeded.

Publishing passes the results of every check behind the warehouse (asset checks, dbt
tests, the `mart_pruefbeitrag__*` models; see `quality/gate.py`) to `publish_all`, which
refuses to publish while one of severity error failed and writes them into the published
table `qualitaet`.

What the UI shows of a publication: the version (`fassung`), rows and files, and the
suppressed values per level (`gesperrt_<gliederung>`: rows with `status = 'gesperrt'` in the
PUBLISHED tables, what any reader can count; `gesperrt_je_ebene` as a table). The attacker audit of disclosure control runs
once, in dbt (`mart_geheimhaltung_audit`, its dbt test blocks the run); its figures reach
this step anyway as the rows of `mart_pruefbeitrag__geheimhaltung` the gate reads, and are
shown as the asset check `geheimhaltung_audit` on `published/spm_duckdb` (cells audited,
unprotected, the narrowest interval an attacker derives, the protection range) — no second
audit. Neither shows the split into primary and secondary suppression: the published
`qualitaet` table must not (docs/datenschutz.md), and check figures go there. The private
quality report and its asset `quality/bericht` show the split.
"""

import datetime as dt

import dagster as dg
import duckdb

from dagster_project.defs import bereiche
from dagster_project.defs.dbt.assets import spm_dbt_assets
from dagster_project.defs.dbt.project import dbt_project
from dagster_project.defs.laufstand import EINGABEN
from dagster_project.defs.publishing.checks import asset_check_results
from dagster_project.defs.resources import SpmHomeResource
from dagster_project.publishing import eingaben
from dagster_project.publishing.database import PublishError
from dagster_project.publishing.publish import publish_all
from dagster_project.quality import gate
from dagster_project.quality.report import build_quality_report, match_rates, suppressions
from dagster_project.settings import geheimhaltung_config, load_settings
from ingestion import warehouse
from ingestion.home import SOURCES

PUBLISH_KEY = dg.AssetKey(["published", "spm_duckdb"])
AUDIT = "geheimhaltung_audit"
AUDIT_KEY = dg.AssetCheckKey(PUBLISH_KEY, AUDIT)
# the figures of the audit's check contribution (mart_pruefbeitrag__geheimhaltung)
AUDIT_KENNZAHLEN = ("zellen_geprueft", "zellen_ungeschuetzt", "engstes_intervall",
                    "zellen_insgesamt", "zellen_gesperrt")
EBENEN = {"sozialraum": "Sozialraum", "planungsraum": "Planungsraum", "kommune": "Gemeinde",
          "kreis": "Kreis"}


def run_checks(context: dg.AssetExecutionContext, home) -> tuple[gate.Lauf,
                                                                  list[gate.Pruefergebnis]]:
    """The publishing run and the results of every check the publication rests on."""
    record = context.instance.get_run_record_by_id(context.run.run_id)
    started = (record.start_time if record and record.start_time
               else dt.datetime.now().timestamp())
    lauf = gate.Lauf(context.run.run_id,
                          dt.datetime.fromtimestamp(started).replace(microsecond=0))
    # the whole graph the job was built from, not the run's selection: a run that only
    # publishes has no checks selected, but the latest results of every check upstream
    # still decide (the job's graph keeps its source graph; `repository_def` is not set
    # when a job is executed in process, as `spm run` does)
    whole = context.job_def.asset_layer.asset_graph.source_asset_graph
    rows = asset_check_results(context.instance, whole, context.asset_key,
                               lauf_id=context.run.run_id)
    rows += gate.contributed_results(
        home.warehouse, gate.contribution_relations(dbt_project.manifest_path))
    return lauf, rows


def audit_check(home, pruefungen: list[gate.Pruefergebnis]) -> dg.AssetCheckResult:
    """The disclosure audit of the warehouse as the check `geheimhaltung_audit`: its figures
    from the check contribution the gate read (the audit itself ran in dbt)."""
    rows = [r for r in pruefungen if r.pruefung == AUDIT and r.art == gate.ART_BEITRAG]
    figures = {r.kennzahl: r.wert for r in rows if r.kennzahl in AUDIT_KENNZAHLEN}
    schutzbereich = geheimhaltung_config(load_settings(home.config)).schutzbereich
    metadata = {k: (int(v) if k.startswith("zellen_") else float(v))
                for k, v in figures.items() if v is not None}
    metadata["schutzbereich"] = float(schutzbereich)
    hinweise = sorted({r.hinweis for r in rows if r.hinweis})
    if hinweise:
        metadata["hinweis"] = "; ".join(hinweise)
    if not rows:
        metadata["hinweis"] = ("Kein Ergebnis der Angreiferprüfung im Warehouse "
                               "(marts.mart_pruefbeitrag__geheimhaltung fehlt).")
    passed = bool(rows) and all(r.ergebnis == gate.BESTANDEN for r in rows)
    return dg.AssetCheckResult(check_name=AUDIT, passed=passed, metadata=metadata,
                               severity=dg.AssetCheckSeverity.ERROR)


def gesperrt_je_ebene(published_db) -> dict[str, int]:
    """Suppressed rows per level (`gliederung`) in a published file: the rows with
    `status = 'gesperrt'` of every published table that has both columns (indikatorwerte:
    one value a row; hze_hilfearten: the row's figures)."""
    con = duckdb.connect(str(published_db), read_only=True)
    try:
        tables = [t for (t,) in con.execute("""
            select table_name from information_schema.columns
            where table_schema = 'main' and column_name in ('status', 'gliederung')
            group by table_name having count(*) = 2 order by 1""").fetchall()]
        if not tables:
            return {}
        union = " union all ".join(f'select gliederung, status from main."{t}"' for t in tables)
        counts = dict(con.execute(
            f"select gliederung, count(*) filter (where status = 'gesperrt') from ({union}) "
            "where gliederung is not null group by 1").fetchall())
    finally:
        con.close()
    order = [*EBENEN, *sorted(set(counts) - set(EBENEN))]
    return {g: int(counts[g]) for g in order if g in counts}


def _gesperrt_tabelle(counts: dict[str, int]) -> str:
    lines = ["| Ebene | Zeilen mit Status gesperrt |", "|---|---:|"]
    lines += [f"| {EBENEN.get(g, g)} | {n} |" for g, n in counts.items()]
    return "\n".join(lines)


@dg.asset(
    key=["published", "spm_duckdb"],
    group_name="veroeffentlichung",
    owners=bereiche.owners("veroeffentlichung"),
    deps=list(spm_dbt_assets.keys),
    description="Das abgestimmte Datenset als neue Fassung in published/versions/: DuckDB-Datei, "
                "Parquet je Tabelle, Excel und CSV je Gemeinde; dann atomar zur aktuellen "
                "gemacht (published/spm.duckdb, published/parquet, excel, csv). Veröffentlicht "
                "wird nur, wenn jede Prüfung mit Schweregrad error bestanden ist.",
    kinds={"duckdb", "parquet", "excel", "csv"},
    check_specs=[dg.AssetCheckSpec(
        AUDIT, asset=PUBLISH_KEY, blocking=True,
        description="Angreiferprüfung der Geheimhaltung: kein gesperrter Wert lässt sich aus "
                    "den veröffentlichten Zahlen enger eingrenzen, als der Schutzbereich "
                    "erlaubt (gerechnet im dbt-Modell mart_geheimhaltung_audit; hier seine "
                    "Kennzahlen: geprüfte und ungeschützte Zellen, engstes Intervall).")],
)
def published_spm_duckdb(context: dg.AssetExecutionContext, spm: SpmHomeResource):
    home = spm.home()
    lauf, pruefungen = run_checks(context, home)
    # the audit's result first: also a publication the gate refuses shows it
    if AUDIT_KEY in context.selected_asset_check_keys:
        yield audit_check(home, pruefungen)
    warnings = [r for r in pruefungen if r.ergebnis != gate.BESTANDEN and not r.blockiert]
    for row in warnings:
        context.log.warning(f"Hinweis: {row.beschreibung()}")
    try:
        result = publish_all(home, log=context.log.info, pruefungen=pruefungen, lauf=lauf)
    except PublishError as exc:
        raise dg.Failure(description=str(exc)) from exc
    inputs = eingaben.fingerprint(home)
    gesperrt = gesperrt_je_ebene(home.published_db)
    yield dg.MaterializeResult(asset_key=PUBLISH_KEY, metadata={
        EINGABEN: inputs or "",
        "pfad": dg.MetadataValue.path(str(home.published_db)),
        "fassung": result.version,
        "pruefungen": len({(r.pruefung, r.gegenstand) for r in pruefungen}),
        "pruefungen_mit_hinweis": len({(r.pruefung, r.gegenstand) for r in warnings}),
        "ordner": dg.MetadataValue.path(str(result.ordner)),
        **{f"dateien_{k}": n for k, n in result.dateien.items()},
        **{f"zeilen_{t}": r for t, r in result.tabellen.items()},
        **{f"gesperrt_{g}": n for g, n in gesperrt.items()},
        "gesperrt_insgesamt": sum(gesperrt.values()),
        "gesperrt_je_ebene": dg.MetadataValue.md(_gesperrt_tabelle(gesperrt)),
    })


def zuordnung_je_quelle(con) -> dict[str, dict]:
    """Per person-level source the address match at its newest Stichtag, over every
    municipality: records, unmatched, rate (%), and the lowest rate of a municipality."""
    neueste: dict[str, list[tuple]] = {}
    for quelle, stichtag, ags, records, unmatched, rate in match_rates(con):
        rows = neueste.setdefault(quelle, [])
        if rows and rows[0][0] != stichtag:
            if stichtag < rows[0][0]:
                continue
            rows.clear()
        rows.append((stichtag, ags, records or 0, unmatched or 0, rate))
    out = {}
    for quelle, rows in neueste.items():
        records = sum(r[2] for r in rows)
        unmatched = sum(r[3] for r in rows)
        rates = [r[4] for r in rows if r[4] is not None]
        out[quelle] = {
            "zuordnungsquote": round(100.0 * (records - unmatched) / records, 2)
            if records else None,
            "zuordnungsquote_stichtag": str(rows[0][0]),
            "datensaetze": records,
            "nicht_zugeordnet": unmatched,
            "niedrigste_quote_gemeinde": round(float(min(rates)), 2) if rates else None,
        }
    return out


@dg.asset(
    key=["quality", "bericht"],
    group_name="qualitaet",
    owners=bereiche.owners("qualitaet"),
    deps=list(spm_dbt_assets.keys),
    description="Qualitätsbericht quality/bericht.html: Lieferungen, Datenprüfungen, "
                "Quarantäne, Adresszuordnung, Sperrungen der Geheimhaltung nach Sperrart "
                "(privat). Meldet die Zuordnungsquote jeder Quelle auch an ihr Rohdaten-Asset "
                "(raw/<quelle>, Beobachtung).",
    kinds={"html"},
)
def quality_report(context: dg.AssetExecutionContext, spm: SpmHomeResource):
    home = spm.home()
    path = build_quality_report(home)
    context.log.info(f"Qualitätsbericht: {path}")
    con = warehouse.connect(home, read_only=True)
    try:
        zuordnung = zuordnung_je_quelle(con)
        sperrungen = suppressions(con)
    finally:
        con.close()
    # the match rate belongs to the delivery: an observation of raw/<source>
    for quelle, werte in zuordnung.items():
        if quelle in SOURCES:
            yield dg.AssetObservation(asset_key=dg.AssetKey(["raw", quelle]), metadata={
                k: v for k, v in werte.items() if v is not None})
    yield dg.MaterializeResult(metadata={
        "pfad": dg.MetadataValue.path(str(path)),
        **{f"zuordnungsquote_{q}": w["zuordnungsquote"] for q, w in zuordnung.items()
           if w["zuordnungsquote"] is not None},
        # private: the split by kind of suppression (never in published/* or a check)
        **{f"gesperrt_primaer_{t}": int(p) for t, _, _, p, _ in sperrungen},
        **{f"gesperrt_sekundaer_{t}": int(s) for t, _, _, _, s in sperrungen},
    })
