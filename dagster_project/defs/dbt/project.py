"""The dbt project object (its own module, as dagster-dbt recommends)."""

from dagster_dbt import DbtProject

from dagster_project.environment import project_root

DBT_PROJECT_DIR = project_root() / "dbt_spm"

dbt_project = DbtProject(
    project_dir=DBT_PROJECT_DIR,
    profiles_dir=DBT_PROJECT_DIR,
    target="duckdb",
)
# No `prepare_if_dev()`: under `dagster dev` it would run `dbt parse` through a resource
# that looks for `dbt` on PATH (not there when the venv is not activated, so the code
# location failed to load) and parse at every start of the code server. The manifest is
# built by `make install` whenever a file of dbt_spm/ changed (Makefile), and every run's
# `dbt build` parses what changed.
