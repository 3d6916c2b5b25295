"""The dbt CLI resource of the nightly run, without dagster-dbt's set-up cost per call.

Before every `dbt build`, `DbtCliResource.cli` starts `dbt --version` in a subprocess to learn
the version and then builds a dbt Core adapter in our process (profile, project, macros) that
it only needs for `fetch_row_counts()` / `fetch_column_metadata()`, which we do not use.
Together about 5 s per run on the 2-core machine, the same for the demo county as for
`kreis` (docs/benchmarks.md). The dbt executable is the one of this environment, so its
version is the installed dbt-core package's. Both hooks are private API of dagster-dbt
0.29.x (pinned in requirements.lock); `tests/pipeline` runs dbt through this resource, so a
change of dagster-dbt that breaks them fails there.
"""

from functools import cached_property
from importlib.metadata import version as package_version

from dagster_dbt import DbtCliResource
from packaging import version


class SpmDbtCliResource(DbtCliResource):
    """`DbtCliResource` that knows the dbt version and builds no adapter in our process."""

    @cached_property
    def _cli_version(self) -> version.Version:
        return version.parse(package_version("dbt-core"))

    def _initialize_dbt_core_adapter(self, args):  # noqa: ARG002 - same signature as the base
        # the adapter only serves row counts and column metadata fetched after a model is
        # built (`fetch_row_counts()` and the like); the stream of events does not need it
        return None
