"""The dbt project object (its own module, as dagster-dbt recommends)."""

from dagster_dbt import DbtProject

from dagster_project.environment import project_root

DBT_PROJECT_DIR = project_root() / "dbt_spm"

dbt_project = DbtProject(
    project_dir=DBT_PROJECT_DIR,
    profiles_dir=DBT_PROJECT_DIR,
    target="duckdb",
)
dbt_project.prepare_if_dev()
