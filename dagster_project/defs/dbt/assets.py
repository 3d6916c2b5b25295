"""The dbt models as assets; dbt tests surface as asset checks."""

import os

import dagster as dg
from dagster_dbt import (
    DagsterDbtTranslator,
    DagsterDbtTranslatorSettings,
    DbtCliResource,
    dbt_assets,
)

from dagster_project.betrieb import fristen, meldungen
from dagster_project.defs import bereiche
from dagster_project.defs.dbt import aufbau, vorbereitung
from dagster_project.defs.dbt.project import dbt_project
from dagster_project.defs.resources import SpmHomeResource
from dagster_project.publishing.eingaben import code_fingerprint, config_fingerprint
from dagster_project.settings import load_settings
from ingestion import warehouse

# run tag of `spm run --erzwingen`: rebuild every Stichtag even if nothing changed
ERZWUNGEN_TAG = "spm/erzwungen"
STICHTAGE_ENV = "SPM_STICHTAGE"



class SpmDbtTranslator(DagsterDbtTranslator):
    """dagster-dbt's translator with the office's view of the graph (`defs/bereiche.py`):
    every model, seed and source in a Bereich (group) with owners and a German description;
    the developers' English description of the model stays in the metadata
    (`dbt_beschreibung`). Asset keys are dagster-dbt's (`<schema>/<model>`, sources by their
    `meta.dagster.asset_key`)."""

    def get_group_name(self, dbt_resource_props):
        return bereiche.dbt_eintrag(dbt_resource_props).gruppe

    def get_owners(self, dbt_resource_props):
        return bereiche.dbt_eintrag(dbt_resource_props).owners

    def get_description(self, dbt_resource_props):
        return bereiche.dbt_eintrag(dbt_resource_props).beschreibung

    def get_metadata(self, dbt_resource_props):
        metadata = dict(super().get_metadata(dbt_resource_props))
        english = (dbt_resource_props.get("description") or "").strip()
        if english and english != self.get_description(dbt_resource_props):
            metadata["dbt_beschreibung"] = dg.MetadataValue.md(english)
        return metadata


translator = SpmDbtTranslator(settings=DagsterDbtTranslatorSettings(enable_asset_checks=True))


@dbt_assets(manifest=dbt_project.manifest_path, project=dbt_project,
            dagster_dbt_translator=translator)
def spm_dbt_assets(context: dg.AssetExecutionContext, dbt: DbtCliResource,
                   spm: SpmHomeResource):
    # the settings of config/settings.yaml that the models read as vars (seu_pool_jahre,
    # sozialindex); a plain `dbt build` uses the defaults of dbt_project.yml
    home = spm.home()
    try:
        settings = load_settings(home.config)
        # the operations sections, read by spm status and the failure message: a typo
        # stops the run here rather than going unnoticed until a delivery is overdue or a
        # run fails
        fristen.lieferfristen_laden(home.config)
        meldungen.lade_benachrichtigung(home)
    except ValueError as exc:
        raise dg.Failure(description=str(exc)) from exc
    code, konfiguration = code_fingerprint(), config_fingerprint(home)
    # only the Stichtage with new deliveries, unless anything else changed (aufbau.py); the
    # record of the last complete build is gone before dbt touches a table
    con = warehouse.connect(home)
    try:
        plan = aufbau.plan(con, code, konfiguration, erzwungen=ERZWUNGEN_TAG in context.run.tags,
                           teilauswahl=context.is_subset)
        aufbau.begin(con)
    finally:
        con.close()
    context.log.info(plan.meldung())
    build_vars = vorbereitung.vars_json(settings)
    # one target folder per home, kept between runs: dbt finds its parse state of the last
    # run there and parses only what changed (a new folder per run, dagster-dbt's default,
    # meant a full parse every night and a folder per run in the source tree)
    # dbt unit tests check the SQL of the models against fixed fixtures, not the data: they
    # run wherever the code changes (`make test` builds the fixture warehouse with a plain
    # `dbt build`, tests/dbt/test_dbt_unit_tests.py), not every night (about 5 s a run)
    # the Stichtage go to dbt in the environment, not as --vars: a changed var makes dbt parse
    # the whole project again (the dbt process inherits os.environ)
    previous = os.environ.get(STICHTAGE_ENV)
    os.environ[STICHTAGE_ENV] = plan.stichtage_env()
    try:
        # a parse of this home started in the background while loading (vorbereitung.py)
        # finishes first; its state saves dbt the full parse
        with vorbereitung.dbt_sperre(home):
            yield from dbt.cli(["build", "--vars", build_vars, "--exclude-resource-type",
                                "unit_test", *plan.dbt_args()],
                               context=context, target_path=home.dbt_target).stream()
            vorbereitung.stand_merken(home, build_vars)
    finally:
        if previous is None:
            os.environ.pop(STICHTAGE_ENV, None)
        else:
            os.environ[STICHTAGE_ENV] = previous
    # every model and test of the project passed (dbt.cli raises otherwise): a complete build
    if not context.is_subset:
        con = warehouse.connect(home)
        try:
            aufbau.finish(con, code, konfiguration)
        finally:
            con.close()
