"""The dbt models as assets; dbt tests surface as asset checks."""

import json

import dagster as dg
from dagster_dbt import (
    DagsterDbtTranslator,
    DagsterDbtTranslatorSettings,
    DbtCliResource,
    dbt_assets,
)

from dagster_project.defs.dbt.project import dbt_project
from dagster_project.defs.resources import SpmHomeResource
from dagster_project.settings import dbt_vars, load_settings

translator = DagsterDbtTranslator(settings=DagsterDbtTranslatorSettings(enable_asset_checks=True))


@dbt_assets(manifest=dbt_project.manifest_path, project=dbt_project,
            dagster_dbt_translator=translator)
def spm_dbt_assets(context: dg.AssetExecutionContext, dbt: DbtCliResource,
                   spm: SpmHomeResource):
    # the settings of config/settings.yaml that the models read as vars (seu_pool_jahre,
    # sozialindex); a plain `dbt build` uses the defaults of dbt_project.yml
    try:
        settings = load_settings(spm.home().config)
    except ValueError as exc:
        raise dg.Failure(description=str(exc)) from exc
    build_vars = json.dumps(dbt_vars(settings), ensure_ascii=False, sort_keys=True)
    # one target folder per home, kept between runs: dbt finds its parse state of the last
    # run there and parses only what changed (a new folder per run, dagster-dbt's default,
    # meant a full parse every night and a folder per run in the source tree)
    # dbt unit tests check the SQL of the models against fixed fixtures, not the data: they
    # run wherever the code changes (`make test` builds the fixture warehouse with a plain
    # `dbt build`, tests/dbt/test_dbt_unit_tests.py), not every night (about 5 s a run)
    yield from dbt.cli(["build", "--vars", build_vars, "--exclude-resource-type", "unit_test"],
                       context=context, target_path=spm.home().dbt_target).stream()
