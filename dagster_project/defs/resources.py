"""Resources shared by the assets."""

import contextlib
import os

import dagster as dg

from dagster_project.betrieb import sperre
from dagster_project.publishing import versions
from ingestion.home import Home, resolve_home

# the writer lock of each run in this process, by run id (entered at set-up, left at
# teardown; a pydantic resource cannot hold it itself)
_SPERREN: dict[str, contextlib.ExitStack] = {}

_AUSLOESER = {"zeitplan": "Lauf (Zeitplan)", "eingang": "Lauf (neue Lieferung)",
              "spm run": "spm run"}


class SpmHomeResource(dg.ConfigurableResource):
    """The SPM home folder; empty means `SPM_HOME` (set by `spm` and the webserver's env).

    A run holds the home's writer lock (`betrieb/sperre.py`) from the set-up of this
    resource to its teardown: a run started by the daemon waits for a writer that is at
    work (at most `sperre.WARTEN_HOECHSTENS`), `spm run` holds it already."""

    root: str = ""

    def home(self) -> Home:
        return resolve_home(self.root or os.environ.get("SPM_HOME")).create()

    def setup_for_execution(self, context: dg.InitResourceContext) -> None:
        run = context.run
        if run is None or run.run_id in _SPERREN:
            return
        ausloeser = run.tags.get("spm/ausloeser", "")
        stack = contextlib.ExitStack()
        gehalten = stack.enter_context(sperre.schreibsperre(
            self.home(), _AUSLOESER.get(ausloeser, f"Lauf ({ausloeser or 'Oberfläche'})"),
            warten=sperre.WARTEN_HOECHSTENS, lauf_id=run.run_id, log=context.log.info))
        _SPERREN[run.run_id] = stack
        # a publication killed between its two swaps is finished or undone first
        with versions.publish_lock(self.home()):
            versions.reparieren(self.home(), context.log.info)
        if context.instance is not None:
            sperre.abgebrochenen_lauf_vermerken(self.home(), context.instance,
                                                gehalten.vorgaenger, log=context.log.info)

    def teardown_after_execution(self, context: dg.InitResourceContext) -> None:
        run = context.run
        stack = _SPERREN.pop(run.run_id, None) if run is not None else None
        if stack is not None:
            stack.close()
