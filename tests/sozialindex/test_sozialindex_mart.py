"""The Sozialindex in the warehouse (`marts.mart_sozialindex`) and its configuration.

The demo county runs through the whole pipeline (fixture `demo_run`); the mart is checked
against the rules of indicators.md and recomputed here from `mart_indikatorwerte` with the
engine the Berlin MSS 2021 test checks, so the wiring (inputs, residents, dynamics,
universe) is what is tested. A non-default `sozialindex:` section in settings.yaml is
carried through the Dagster dbt asset on a copy of the demo warehouse.
"""

import json
import os
import shutil
import subprocess
import sys
import textwrap
from pathlib import Path

import dagster as dg
import duckdb
import pandas as pd
import pytest
import yaml

from dagster_project.lib.sozialindex import (
    SozialindexConfig,
    SozialindexConfigError,
    compute_sozialindex,
)
from dagster_project.settings import (
    DEFAULT_SETTINGS_TEXT,
    dbt_vars,
    load_settings,
    sozialindex_config,
)
from ingestion.home import Home
from ingestion.warehouse import dbt_environment

ROOT = Path(__file__).resolve().parents[2]
STATUS = ["S07", "S03", "S04"]
GESAMT = ("kommune", "kreis")


def query(warehouse: Path, sql: str) -> pd.DataFrame:
    con = duckdb.connect(str(warehouse), read_only=True)
    try:
        return con.execute(sql).df()
    finally:
        con.close()


def read_mart(warehouse: Path) -> pd.DataFrame:
    return query(warehouse, "select * from marts.mart_sozialindex")


def read_werte(warehouse: Path, codes) -> pd.DataFrame:
    listed = ", ".join(f"'{c}'" for c in codes)
    return query(warehouse, f"""
        select code, gliederung, raum_id, berichtsjahr, zaehler, wert
        from marts.mart_indikatorwerte
        where code in ({listed}, 'B01') and gliederung not in ('kommune', 'kreis')""")


def recompute(werte: pd.DataFrame, config: SozialindexConfig) -> pd.DataFrame:
    """The index from the long indicator mart, wired here independently of the dbt model."""
    codes = list(config.indikatoren)
    wide = werte[werte.code.isin(codes)].pivot(
        index=["gliederung", "berichtsjahr", "raum_id"], columns="code", values="wert")
    einwohner = werte[werte.code == "B01"].set_index(
        ["gliederung", "berichtsjahr", "raum_id"])["zaehler"].sort_index()
    jahre = set.intersection(*(set(werte[werte.code == c].berichtsjahr) for c in codes))
    results = []
    for (gliederung, jahr), frame in wide.groupby(level=["gliederung", "berichtsjahr"]):
        if jahr not in jahre:
            continue
        status = frame.droplevel([0, 1])[codes]
        status = status[~status.index.str.endswith("-OZ")]
        vorher_key = (gliederung, jahr - config.dynamik_jahre)
        if jahr - config.dynamik_jahre in jahre:
            vorher = wide.loc[vorher_key].reindex(status.index)[codes]
            dynamik = status - vorher
        else:
            dynamik = status * float("nan")
        ew = einwohner.loc[(gliederung, jahr)].reindex(status.index)
        result = compute_sozialindex(status, dynamik, ew, config)
        result["gliederung"], result["berichtsjahr"] = gliederung, jahr
        results.append(result.rename_axis("raum_id").reset_index())
    return pd.concat(results, ignore_index=True)


def expected_status_class(value: float, thresholds) -> str | None:
    if pd.isna(value):
        return None
    a, b, c = thresholds
    return ("hoch" if value < a else "mittel" if value <= b
            else "niedrig" if value <= c else "sehr niedrig")


def expected_dynamik_class(value: float, thresholds) -> str | None:
    if pd.isna(value):
        return None
    a, b = thresholds
    return "positiv" if value < a else "stabil" if value < b else "negativ"


def assert_same_as_engine(mart: pd.DataFrame, werte: pd.DataFrame, config: SozialindexConfig):
    expected = recompute(werte, config)
    merged = mart.merge(expected, on=["gliederung", "raum_id", "berichtsjahr"], how="inner",
                        suffixes=("", "_erwartet"))
    flaechen = mart[~mart.raum_id.str.endswith("-OZ")]
    assert len(merged) == len(flaechen) == len(expected)
    for column in ("status_summe", "status_index", "dynamik_summe", "dynamik_index"):
        pd.testing.assert_series_equal(merged[column], merged[f"{column}_erwartet"],
                                       check_names=False, atol=1e-9, rtol=0)
    for column in ("status_klasse", "dynamik_klasse"):
        assert (merged[column].fillna("-") == merged[f"{column}_erwartet"].fillna("-")).all()
    assert merged.status_index.notna().sum() > 0


# ---------------------------------------------------------------- the demo county, defaults

@pytest.fixture(scope="module")
def mart(demo_run) -> pd.DataFrame:
    return read_mart(demo_run.home.warehouse)


@pytest.fixture(scope="module")
def werte(demo_run) -> pd.DataFrame:
    return read_werte(demo_run.home.warehouse, STATUS)


def test_a_row_per_area_and_berichtsjahr_of_each_gliederung(demo_run, mart):
    gebiete = query(demo_run.home.warehouse, "select gliederung, raum_id "
                                             "from intermediate.int_geo__gebiete")
    gebiete = gebiete[~gebiete.gliederung.isin(GESAMT)]
    jahre = query(demo_run.home.warehouse, """
        select berichtsjahr from marts.mart_indikatorwerte
        where code in ('S07', 'S03', 'S04') group by berichtsjahr
        having count(distinct code) = 3""").berichtsjahr
    expected = {(g, r, int(j)) for g, r in gebiete.itertuples(index=False) for j in jahre}
    actual = set(zip(mart.gliederung, mart.raum_id, mart.berichtsjahr.astype(int), strict=True))
    assert len(mart) == len(actual)
    assert actual == expected
    assert {"sozialraum", "planungsraum"} <= set(mart.gliederung)
    assert len(jahre) >= 2


def test_every_area_with_residents_and_inputs_has_a_status_index(mart, werte):
    wide = werte.pivot(index=["gliederung", "raum_id", "berichtsjahr"], columns="code",
                       values=["wert", "zaehler"]).reset_index()
    known = wide[[("wert", c) for c in STATUS]].notna().all(axis=1)
    enough = wide[("zaehler", "B01")] >= 300
    real = ~wide[("raum_id", "")].str.endswith("-OZ")
    eligible = set(zip(wide[known & enough & real][("gliederung", "")],
                       wide[known & enough & real][("raum_id", "")],
                       wide[known & enough & real][("berichtsjahr", "")], strict=True))
    indexed = mart[mart.status_index.notna()]
    assert set(zip(indexed.gliederung, indexed.raum_id, indexed.berichtsjahr,
                   strict=True)) == eligible
    assert indexed.status_klasse.notna().all() and indexed.hinweis.isna().sum() > 0
    oz = mart[mart.raum_id.str.endswith("-OZ")]
    assert len(oz) > 0 and (oz.hinweis == "ohne Zuordnung").all()
    assert oz.status_index.isna().all() and oz.dynamik_index.isna().all()


def test_index_is_standardised_over_the_universe(mart):
    dynamik_groups = 0
    for (_, jahr), group in mart.groupby(["gliederung", "berichtsjahr"]):
        status = group.status_index.dropna()
        assert len(status) == group.anzahl_raeume_universum.iloc[0] >= 2
        assert abs(status.mean()) < 1e-9
        assert abs(status.std(ddof=0) - 1) < 1e-9
        dynamik = group.dynamik_index.dropna()
        assert len(dynamik) == group.anzahl_raeume_universum_dynamik.iloc[0]
        if len(dynamik):
            dynamik_groups += 1
            assert abs(dynamik.mean()) < 1e-9 and abs(dynamik.std(ddof=0) - 1) < 1e-9
        else:
            # demo county: no Berichtsjahr two years earlier in the warehouse
            assert jahr - 2 not in set(mart.berichtsjahr)
            assert (group.hinweis[group.status_index.notna()]
                    == "Dynamik: Vergleichsjahr fehlt").all()
    assert dynamik_groups >= 1


def test_classes_follow_the_thresholds(mart):
    status = mart.status_index.map(lambda v: expected_status_class(v, (-1.0, 1.0, 1.5)))
    dynamik = mart.dynamik_index.map(lambda v: expected_dynamik_class(v, (-1.0, 1.0)))
    assert (mart.status_klasse.fillna("-") == status.fillna("-")).all()
    assert (mart.dynamik_klasse.fillna("-") == dynamik.fillna("-")).all()
    assert mart.status_klasse.nunique() >= 3 and mart.dynamik_klasse.nunique() >= 2
    assert (mart.dynamik_vergleichsjahr == mart.berichtsjahr - 2).all()


def test_residents_and_hinweis_below_min_einwohner(mart, werte):
    b01 = werte[werte.code == "B01"].set_index(["gliederung", "raum_id", "berichtsjahr"]).zaehler
    einwohner = mart.set_index(["gliederung", "raum_id", "berichtsjahr"]).einwohner
    pd.testing.assert_series_equal(einwohner.sort_index(), b01.reindex(einwohner.index)
                                   .sort_index(), check_names=False)
    small = mart[(mart.einwohner < 300) & ~mart.raum_id.str.endswith("-OZ")]
    assert (small.hinweis == "EW unter 300").all() and small.status_index.isna().all()
    # every area without index says why
    assert mart[mart.status_index.isna()].hinweis.notna().all()


def test_method_is_stored_as_json(mart):
    assert mart.methode.notna().all() and mart.methode.nunique() == 1
    methode = json.loads(mart.methode.iloc[0])
    assert methode["indikatoren"] == {"S07": 1.0, "S03": 1.0, "S04": 1.0}
    assert methode["min_einwohner"] == 300 and methode["dynamik_jahre"] == 2
    assert methode["status_schwellen"] == [-1.0, 1.0, 1.5]
    assert methode["dynamik_schwellen"] == [-1.0, 1.0] and methode["ausreisser"] == []
    assert "Berlin MSS" in methode["methode"]


def test_mart_equals_the_engine_fed_from_the_indicator_mart(mart, werte):
    assert_same_as_engine(mart, werte, SozialindexConfig())


# ------------------------------------------- another configuration through the Dagster asset

@pytest.fixture(scope="module")
def home_copy(demo_run, tmp_path_factory) -> Home:
    """A home holding a copy of the demo warehouse (and nothing else)."""
    home = Home(tmp_path_factory.mktemp("sozialindex") / "home").create()
    shutil.copy2(demo_run.home.warehouse, home.warehouse)
    return home


def materialize_mart(home: Home, monkeypatch) -> dg.ExecuteInProcessResult:
    """Materialise only mart_sozialindex through the Dagster dbt asset of the nightly job."""

    from dagster_project.defs.dbt.assets import spm_dbt_assets
    from dagster_project.defs.dbt.project import dbt_project
    from dagster_project.defs.dbt.resource import SpmDbtCliResource
    from dagster_project.defs.resources import SpmHomeResource

    for key, value in dbt_environment(home).items():
        monkeypatch.setenv(key, value)
    key = next(k for k in spm_dbt_assets.keys if k.path[-1] == "mart_sozialindex")
    return dg.materialize(
        [spm_dbt_assets], selection=[key], raise_on_error=False,
        resources={"spm": SpmHomeResource(root=str(home.root)),
                   "dbt": SpmDbtCliResource(project_dir=dbt_project,
                                            dbt_executable=str(Path(sys.executable).parent / "dbt"))})


OTHER_SETTINGS = """\
sozialindex:
  indikatoren:
    S07: 2.0
    S03: 1.0
    S05: 0.5
  min_einwohner: 1300
  ausreisser: ["05999004-SR01"]
  status_schwellen: [-0.5, 0.5, 1.2]
  dynamik_jahre: 1
"""


def test_settings_reach_the_mart_through_the_dagster_asset(home_copy, monkeypatch):
    (home_copy.config / "settings.yaml").write_text(OTHER_SETTINGS, encoding="utf-8")
    config = sozialindex_config(load_settings(home_copy.config))
    assert config.min_einwohner == 1300 and config.dynamik_schwellen == (-1.0, 1.0)
    result = materialize_mart(home_copy, monkeypatch)
    assert result.success
    mart = read_mart(home_copy.warehouse)
    methode = json.loads(mart.methode.iloc[0])
    assert methode["indikatoren"] == {"S07": 2.0, "S03": 1.0, "S05": 0.5}
    assert methode["min_einwohner"] == 1300 and methode["ausreisser"] == ["05999004-SR01"]
    assert methode["status_schwellen"] == [-0.5, 0.5, 1.2] and methode["dynamik_jahre"] == 1
    real = mart[~mart.raum_id.str.endswith("-OZ")]
    small = real[real.einwohner < 1300]
    assert len(small) > 0 and (small.hinweis == "EW unter 1300").all()
    assert small.status_index.isna().all()
    outlier = real[real.raum_id == "05999004-SR01"]
    assert len(outlier) > 0 and (outlier.hinweis == "Ausreißer").all()
    # one year of dynamics: every Berichtsjahr after the first has dynamics
    first = mart.berichtsjahr.min()
    assert mart[mart.berichtsjahr > first].dynamik_index.notna().any()
    assert (mart.dynamik_vergleichsjahr == mart.berichtsjahr - 1).all()
    status = mart.status_index.map(lambda v: expected_status_class(v, (-0.5, 0.5, 1.2)))
    assert (mart.status_klasse.fillna("-") == status.fillna("-")).all()
    assert_same_as_engine(mart, read_werte(home_copy.warehouse, ["S07", "S03", "S05"]), config)


def test_bad_settings_fail_the_dbt_asset_with_a_german_message(home_copy, monkeypatch):
    bad = OTHER_SETTINGS.replace("[-0.5, 0.5, 1.2]", "[0.5, -0.5, 1.2]")
    (home_copy.config / "settings.yaml").write_text(bad, encoding="utf-8")
    result = materialize_mart(home_copy, monkeypatch)
    assert not result.success
    failures = [e for e in result.all_events if e.is_step_failure]
    text = failures[0].step_failure_data.error.message
    assert "sozialindex.status_schwellen: die Schwellen müssen aufsteigen" in text


def test_a_plain_dbt_build_checks_the_var_too(home_copy, tmp_path):
    env = dict(os.environ, **dbt_environment(home_copy), DBT_SEND_ANONYMOUS_USAGE_STATS="False")
    bad = json.dumps({"sozialindex": {"indikatoren": {"S07": "eins"}}})
    result = subprocess.run(
        [str(Path(sys.executable).parent / "dbt"), "build", "--project-dir", "dbt_spm",
         "--profiles-dir", "dbt_spm", "--target-path", str(tmp_path / "target"),
         "--log-path", str(tmp_path / "logs"), "--select", "mart_sozialindex", "--vars", bad],
        cwd=ROOT, env=env, capture_output=True, text=True)
    assert result.returncode != 0
    assert ("var sozialindex.indikatoren.S07: das Gewicht muss eine Zahl sein, nicht 'eins'"
            in result.stdout)


# --------------------------------------------------------------------- settings.yaml checks

def write_settings(tmp_path: Path, text: str) -> Path:
    (tmp_path / "settings.yaml").write_text(textwrap.dedent(text), encoding="utf-8")
    return tmp_path


@pytest.mark.parametrize("section, message", [
    ("indikatoren: {X99: 1.0}",
     "sozialindex.indikatoren.X99: unbekannter Indikator-Code (nicht im Indikatorenkatalog)"),
    ("indikatoren: {S07: eins}",
     "sozialindex.indikatoren.S07: das Gewicht muss eine Zahl sein, nicht 'eins'"),
    ("indikatoren: {S07: true}", "sozialindex.indikatoren.S07: das Gewicht muss eine Zahl"),
    ("indikatoren: {B01: 1.0}", "sozialindex.indikatoren.B01: B01 ist eine Anzahl"),
    ("indikatoren: {S07: 0}", "sozialindex.indikatoren: mindestens ein Gewicht darf nicht 0"),
    ("indikatoren: []", "sozialindex.indikatoren: mindestens ein Indikator mit Gewicht"),
    ("status_schwellen: [1.0, -1.0, 1.5]",
     "sozialindex.status_schwellen: die Schwellen müssen aufsteigen"),
    ("status_schwellen: [-1.0, 1.0]", "sozialindex.status_schwellen: 3 Zahlen erwartet"),
    ("dynamik_schwellen: [1.0, 1.0]",
     "sozialindex.dynamik_schwellen: die Schwellen müssen aufsteigen"),
    ("dynamik_schwellen: [-1, hoch]", "sozialindex.dynamik_schwellen: 2 Zahlen erwartet"),
    ("min_einwohner: -5", "sozialindex.min_einwohner: ganze Zahl ab 0 erwartet"),
    ("min_einwohner: viele", "sozialindex.min_einwohner: ganze Zahl ab 0 erwartet"),
    ("dynamik_jahre: 0", "sozialindex.dynamik_jahre: ganze Zahl ab 1 erwartet"),
    ("ausreisser: 05999004-SR01", "sozialindex.ausreisser: Liste von Raum-IDs erwartet"),
    ("ausreisser: [1234]", "sozialindex.ausreisser[0]: Raum-ID als Text"),
    ("gewichte: {S07: 1}", "sozialindex: unbekannte Einstellung(en): gewichte"),
])
def test_bad_sozialindex_settings_name_the_key_in_german(tmp_path, section, message):
    config_dir = write_settings(tmp_path, f"sozialindex:\n  {section}\n")
    with pytest.raises(ValueError) as error:
        load_settings(config_dir)
    assert message in str(error.value)
    assert str(config_dir / "settings.yaml") in str(error.value)


def test_bad_seu_pool_jahre_and_unknown_keys_stay_errors(tmp_path):
    with pytest.raises(ValueError, match="seu_pool_jahre: ganze Zahl ab 1 erwartet"):
        load_settings(write_settings(tmp_path, "seu_pool_jahre: 0\n"))
    with pytest.raises(ValueError, match="unbekannte Einstellung"):
        load_settings(write_settings(tmp_path, "sozialindex_gewichte: 1\n"))


def test_an_indicator_not_computed_yet_is_refused():
    with pytest.raises(SozialindexConfigError, match="G01 wird noch nicht berechnet"):
        SozialindexConfig.from_mapping({"indikatoren": {"G01": 1}},
                                       katalog={"G01": ("%", False)})


def test_a_partial_section_keeps_the_other_defaults(tmp_path):
    settings = load_settings(write_settings(tmp_path, """\
        seu_pool_jahre: 2
        sozialindex:
          min_einwohner: 500
        """))
    assert sozialindex_config(settings) == SozialindexConfig(min_einwohner=500)
    assert dbt_vars(settings)["seu_pool_jahre"] == 2
    assert dbt_vars(settings)["sozialindex"] == SozialindexConfig(min_einwohner=500).to_vars()
    assert dbt_vars(settings)["geheimhaltung"] == {
        "min_count": 3, "min_nenner": 10, "dominanz_anteil": 0.85, "schutzbereich": 2}


def test_defaults_agree_in_settings_text_engine_and_dbt_project(tmp_path):
    settings = load_settings(write_settings(tmp_path, DEFAULT_SETTINGS_TEXT))
    assert sozialindex_config(settings) == SozialindexConfig()
    project = yaml.safe_load((ROOT / "dbt_spm" / "dbt_project.yml").read_text(encoding="utf-8"))
    defaults = dbt_vars(settings)
    assert {key: project["vars"][key] for key in defaults} == defaults
    assert dbt_vars(load_settings(tmp_path / "leer")) == defaults
