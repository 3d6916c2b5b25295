"""Resources shared by the assets."""

import os

import dagster as dg

from ingestion.home import Home, resolve_home


class SpmHomeResource(dg.ConfigurableResource):
    """The SPM home folder; empty means `SPM_HOME` (set by `spm` and the webserver's env)."""

    root: str = ""

    def home(self) -> Home:
        return resolve_home(self.root or os.environ.get("SPM_HOME")).create()
