"""dbt parses the project in the background while the deliveries load.

dbt keeps the state of its last parse in the home's target folder and then parses only what
changed (about 1 s). It parses everything (about 4–5 s on the 2-core machine) when there is
no such state or when the profile or the vars differ from it: in a new home (its paths are
in the profile), and after a change of `config/settings.yaml` (the vars). The first
ingestion step of such a run starts `dbt parse` in a separate process, on the core that
loading leaves free; the dbt step then waits for it and finds the state ready.

A file lock on `<home>/dbt_target/.spm_dbt.lock` keeps the background parse and the dbt build
apart (both write the target folder). A stamp next to it records for which vars and
profile the state was made; it is written only after a parse or a build that succeeded.
"""

import fcntl
import hashlib
import json
import os
import subprocess
import sys
from contextlib import contextmanager
from importlib.metadata import version as package_version
from pathlib import Path

# the background process runs this module and must take the lock at once: only the
# standard library at module level (the rest is imported where the nightly run needs it)

TARGET = "duckdb"
LOCK = ".spm_dbt.lock"
STAMP = ".spm_parse_stand"
STATE = "partial_parse.msgpack"

# background parses this process started (a run that fails before its dbt step waits for
# them before it returns: nothing of the run keeps writing into the home afterwards)
_GESTARTET: list[subprocess.Popen] = []


def vars_json(settings) -> str:
    """The --vars of the nightly build (settings of config/settings.yaml), as one string."""
    from dagster_project.settings import dbt_vars

    return json.dumps(dbt_vars(settings), ensure_ascii=False, sort_keys=True)


def build_vars(home) -> str:
    from dagster_project.settings import load_settings

    return vars_json(load_settings(home.config))


def _stand(home, vars_json: str) -> str:
    """What dbt compares before it parses only what changed: vars, target, profile values
    (our profile reads them from the environment), the dbt version."""
    from ingestion.warehouse import dbt_environment

    parts = [vars_json, TARGET, package_version("dbt-core"),
             *(f"{k}={v}" for k, v in sorted(dbt_environment(home).items()))]
    return hashlib.sha256("\x00".join(parts).encode()).hexdigest()


def _aktuell(target: Path, stand: str) -> bool:
    stamp = target / STAMP
    return (target / STATE).is_file() and stamp.is_file() and stamp.read_text().strip() == stand


def ist_aktuell(home, vars_json: str) -> bool:
    return _aktuell(home.dbt_target, _stand(home, vars_json))


def stand_merken(home, vars_json: str) -> None:
    """After a parse or build with these vars succeeded."""
    home.dbt_target.mkdir(parents=True, exist_ok=True)
    (home.dbt_target / STAMP).write_text(_stand(home, vars_json) + "\n")


def _lock_file(target: Path):
    target.mkdir(parents=True, exist_ok=True)
    return open(target / LOCK, "a")  # noqa: SIM115 - held by the caller


@contextmanager
def dbt_sperre(home):
    """Held by the dbt build: waits for a background parse of the same home to finish."""
    handle = _lock_file(home.dbt_target)
    try:
        fcntl.flock(handle, fcntl.LOCK_EX)
        yield
    finally:
        handle.close()


def parse_starten(home) -> subprocess.Popen | None:
    """Start `dbt parse` for the home in the background if its parse state is missing or
    made for other vars or another profile; None when there is nothing to do (or a parse
    or build of this home holds the lock already)."""
    try:
        vars_json = build_vars(home)
    except ValueError:
        return None  # the dbt step reports the broken settings
    stand = _stand(home, vars_json)
    target = home.dbt_target
    if _aktuell(target, stand):
        return None
    handle = _lock_file(target)
    try:
        fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        return None
    finally:
        handle.close()  # (closing releases it: the child takes it again)
    from dagster_project.environment import project_root
    from dagster_project.lib.prozesse import beim_tod_der_eltern_beenden
    from ingestion.warehouse import dbt_environment

    env = dict(os.environ, **dbt_environment(home))
    process = subprocess.Popen(
        [sys.executable, "-m", __name__, str(target), stand,
         str(project_root() / "dbt_spm"), vars_json],
        env=env, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        preexec_fn=beim_tod_der_eltern_beenden())
    _GESTARTET.append(process)
    return process


def hintergrund_abwarten() -> None:
    """Wait for the background parses this process started."""
    while _GESTARTET:
        _GESTARTET.pop().wait()


def _parse(target: Path, stand: str, project_dir: Path, vars_json: str) -> int:
    """The background process: under the lock, `dbt parse` with the build's arguments."""
    handle = _lock_file(target)
    try:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            return 0  # a build or another parse is at it
        if _aktuell(target, stand):
            return 0
        from dagster_project.lib.prozesse import beim_tod_der_eltern_beenden

        dbt = Path(sys.executable).parent / "dbt"
        result = subprocess.run(
            [str(dbt), "parse", "--quiet", "--vars", vars_json, "--target", TARGET,
             "--project-dir", str(project_dir), "--profiles-dir", str(project_dir),
             "--target-path", str(target)],
            cwd=project_dir, stdin=subprocess.DEVNULL, capture_output=True, check=False,
            preexec_fn=beim_tod_der_eltern_beenden())
        if result.returncode == 0:
            (target / STAMP).write_text(stand + "\n")
        return result.returncode
    finally:
        handle.close()


if __name__ == "__main__":
    raise SystemExit(_parse(Path(sys.argv[1]), sys.argv[2], Path(sys.argv[3]), sys.argv[4]))
