"""Process environment for a run: home folder, Dagster instance, dbt profile, telemetry off."""

import json
import os
from pathlib import Path

import yaml

from ingestion.home import Home, resolve_home
from ingestion.settings import write_default_settings
from ingestion.warehouse import dbt_environment

# the instance settings every home gets, whatever its storage
_INSTANZ = """\
# At most one run at a time: the warehouse has one writer. Runs of the schedule, the sensor
# and the web UI wait in Dagster's queue (dagster-daemon); `spm run` runs in its own
# process and counts as a run in progress.
concurrency:
  runs:
    max_concurrent_runs: 1
# Run monitoring (dagster-daemon): a run that has not started after 5 minutes, runs longer
# than 12 hours or has not stopped 5 minutes after it was cancelled is marked failed or
# cancelled, so that a run whose process died does not hold the queue.
run_monitoring:
  enabled: true
  start_timeout_seconds: 300
  cancel_timeout_seconds: 300
  max_runtime_seconds: 43200
  poll_interval_seconds: 60
  max_resume_run_attempts: 0
# Ticks of the schedule and the sensor, kept for so many days (the daemon deletes older
# ones). Runs and their logs: config/settings.yaml, betrieb: laufprotokolle_behalten_tage.
retention:
  schedule:
    purge_after_days: 90
  sensor:
    purge_after_days:
      skipped: 7
      started: 90
      success: 90
      failure: 90
"""

DAGSTER_YAML = """\
# Dagster instance of this SPM home (runs, events, schedules). Telemetry is off.
# Written by spm (dagster_project/environment.py); once you edit it, it is kept as it is.
telemetry:
  enabled: false
# Dagster's own SQLite storage under history/ and schedules/, with one database connection
# per event log file instead of one per event (dagster_project/event_log.py). Without this
# section Dagster uses its own class on the same files. PostgreSQL instead:
# dagster_yaml_postgres() in dagster_project/environment.py (docs/betrieb.md).
event_log_storage:
  module: dagster_project.event_log
  class: SpmSqliteEventLogStorage
""" + _INSTANZ

# The same instance with runs, events and schedules in PostgreSQL (several processes on
# several machines, or a database that is backed up anyway): `dagster_yaml_postgres(...)`
# replaces the home's dagster/dagster.yaml, and every process (`spm`, dagster-daemon,
# dagster-webserver) gets the password in SPM_DAGSTER_POSTGRES_PASSWORD. The database must
# exist, owned by the user; Dagster creates its tables at the first start. The driver is
# named: with SQLAlchemy 2.1 a plain `postgresql://` means psycopg 3, on which
# dagster-postgres 0.29 fails at its first event (`NOTIFY run_events, $1`).
POSTGRES_PASSWORT = "SPM_DAGSTER_POSTGRES_PASSWORD"
_DAGSTER_YAML_POSTGRES = """\
# Dagster instance of this SPM home (runs, events, schedules) in PostgreSQL. Telemetry is
# off. The password comes from the environment (SPM_DAGSTER_POSTGRES_PASSWORD); without a
# password (trust or peer authentication) delete its two lines.
telemetry:
  enabled: false
storage:
  postgres:
    postgres_db:
      scheme: postgresql+psycopg2
      hostname: {hostname}
      port: {port}
      db_name: {db_name}
      username: {username}
      password:
        env: SPM_DAGSTER_POSTGRES_PASSWORD
"""


def dagster_yaml_postgres(hostname: str, db_name: str, username: str, port: int = 5432,
                          passwort: bool = True) -> str:
    """The text of a home's dagster.yaml with Dagster's storage in PostgreSQL (see above);
    `passwort=False` for trust or peer authentication."""
    text = _DAGSTER_YAML_POSTGRES.format(
        hostname=json.dumps(hostname), port=int(port), db_name=json.dumps(db_name),
        username=json.dumps(username))
    if not passwort:
        text = text.replace("      password:\n        env: SPM_DAGSTER_POSTGRES_PASSWORD\n", "")
    return text + _INSTANZ


# the example of docs/betrieb.md
DAGSTER_YAML_POSTGRES = dagster_yaml_postgres("db.kreis.example", "spm_dagster", "spm_dagster")

# what earlier releases wrote; such a file is replaced by the current one
_EARLIER_DAGSTER_YAML = (
    "# Dagster instance of this SPM home (runs, events, schedules). Telemetry is off.\n"
    "telemetry:\n  enabled: false\n",
    "# Dagster instance of this SPM home (runs, events, schedules). Telemetry is off.\n"
    "telemetry:\n  enabled: false\n"
    "# Dagster's own SQLite event log under history/runs, with one database connection per file\n"
    "# instead of one per event (dagster_project/event_log.py). Without this section Dagster\n"
    "# uses its own class on the same files.\n"
    "event_log_storage:\n"
    "  module: dagster_project.event_log\n"
    "  class: SpmSqliteEventLogStorage\n",
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


def sqlite_laufspeicher(home: Home) -> bool:
    """Whether the home's Dagster instance keeps its runs in Dagster's default SQLite file
    `<home>/dagster/history/runs.db` (no `storage:` or `run_storage:` section in its
    dagster.yaml). False when that is not certain (a file that cannot be read)."""
    path = home.dagster_home / "dagster.yaml"
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return True
    except OSError:
        return False
    try:
        config = yaml.safe_load(text) or {}
    except yaml.YAMLError:
        return False
    return isinstance(config, dict) and not ({"storage", "run_storage"} & set(config))


def project_root() -> Path:
    return Path(__file__).resolve().parent.parent
