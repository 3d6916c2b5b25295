"""Process environment for a run: home folder, Dagster instance, dbt profile, telemetry off."""

import os
from pathlib import Path

from ingestion.home import Home, resolve_home
from ingestion.settings import write_default_settings
from ingestion.warehouse import dbt_environment

DAGSTER_YAML = """\
# Dagster instance of this SPM home (runs, events, schedules). Telemetry is off.
telemetry:
  enabled: false
# Dagster's own SQLite event log under history/runs, with one database connection per file
# instead of one per event (dagster_project/event_log.py). Without this section Dagster
# uses its own class on the same files.
event_log_storage:
  module: dagster_project.event_log
  class: SpmSqliteEventLogStorage
"""

# what earlier releases wrote; such a file is replaced by the current one
_EARLIER_DAGSTER_YAML = (
    "# Dagster instance of this SPM home (runs, events, schedules). Telemetry is off.\n"
    "telemetry:\n  enabled: false\n",
)

OFFLINE = {
    "DAGSTER_DISABLE_TELEMETRY": "1",
    "GX_ANALYTICS_ENABLED": "False",
    "DBT_SEND_ANONYMOUS_USAGE_STATS": "False",
    "DO_NOT_TRACK": "1",
}


def activate(home_path: str | os.PathLike | None = None) -> Home:
    """Create the home's folders and point every component of this process at it."""
    home = resolve_home(home_path).create()
    dagster_yaml = home.dagster_home / "dagster.yaml"
    if (not dagster_yaml.exists()
            or dagster_yaml.read_text(encoding="utf-8") in _EARLIER_DAGSTER_YAML):
        dagster_yaml.write_text(DAGSTER_YAML, encoding="utf-8")
    write_default_settings(home.config)
    os.environ.update(OFFLINE)
    os.environ.update(dbt_environment(home))
    os.environ["DAGSTER_HOME"] = str(home.dagster_home)
    os.environ["DBT_LOG_PATH"] = str(home.logs / "dbt")
    return home


def project_root() -> Path:
    return Path(__file__).resolve().parent.parent
