"""Children of a run end with it: `prctl(PR_SET_PDEATHSIG)` through `preexec_fn` and through
the launcher that `spm-dbt` uses (dagster_project/lib/prozesse.py). A parent process starts a
quiet, long child (`sleep`), prints its pid and is killed with SIGKILL; the child must be
gone at once. Without the helper the same child outlives its parent (the control)."""

import os
import signal
import subprocess
import sys
import textwrap
import time

import pytest

PARENT = {
    "preexec": """
        import subprocess, sys, time
        from dagster_project.lib.prozesse import beim_tod_der_eltern_beenden
        child = subprocess.Popen(["sleep", "120"], preexec_fn=beim_tod_der_eltern_beenden())
        print(child.pid, flush=True); time.sleep(120)
    """,
    "launcher": """
        import subprocess, sys, time
        child = subprocess.Popen([sys.executable, "-c",
            "from dagster_project.lib.prozesse import mit_eltern_ausfuehren; "
            "mit_eltern_ausfuehren('/bin/sleep', ['120'])"])
        print(child.pid, flush=True); time.sleep(120)
    """,
    "ohne": """
        import subprocess, sys, time
        child = subprocess.Popen(["sleep", "120"])
        print(child.pid, flush=True); time.sleep(120)
    """,
}


def _alive(pid: int) -> bool:
    try:
        with open(f"/proc/{pid}/stat") as handle:
            return handle.read().rsplit(")", 1)[1].split()[0] != "Z"
    except FileNotFoundError:
        return False


def _child_after_parent_killed(kind: str) -> int:
    parent = subprocess.Popen([sys.executable, "-c", textwrap.dedent(PARENT[kind])],
                              stdout=subprocess.PIPE, text=True)
    child = int(parent.stdout.readline())
    deadline = time.monotonic() + 10
    # the launcher replaces itself by sleep: wait until the exec happened
    while kind == "launcher" and not open(f"/proc/{child}/cmdline").read().startswith(
            "/bin/sleep"):
        assert time.monotonic() < deadline
        time.sleep(0.05)
    os.kill(parent.pid, signal.SIGKILL)
    parent.wait()
    return child


@pytest.mark.parametrize("kind", ["preexec", "launcher"])
def test_a_child_ends_with_its_killed_parent(kind):
    child = _child_after_parent_killed(kind)
    deadline = time.monotonic() + 5
    while _alive(child) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert not _alive(child)


def test_without_the_helper_the_child_outlives_its_parent():
    child = _child_after_parent_killed("ohne")
    try:
        time.sleep(1)
        assert _alive(child)
    finally:
        os.kill(child, signal.SIGKILL)
