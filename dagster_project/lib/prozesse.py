"""Child processes that end with the process that started them.

A run killed with SIGKILL (an operator's `kill -9`, the OOM killer) cannot stop its
children: a `dbt build` or a workbook writer would go on writing the warehouse or a version
folder while the next run starts, and DuckDB would refuse the next run the warehouse.
On Linux a child can ask the kernel for a signal when its parent dies
(`prctl(PR_SET_PDEATHSIG)`); it survives `exec`, so a program started through
`beim_tod_der_eltern_beenden` or through the `spm-dbt` launcher dies with its parent.
Elsewhere these are no-ops.
"""

import ctypes
import os
import signal
import sys
from collections.abc import Callable
from pathlib import Path

_PR_SET_PDEATHSIG = 1


def _pdeathsig(parent: int) -> None:
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(_PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)
    except (OSError, AttributeError):
        return
    # the parent may have died between fork and prctl: then nobody sends the signal
    if os.getppid() != parent:
        os._exit(1)


def beim_tod_der_eltern_beenden() -> Callable[[], None] | None:
    """`preexec_fn` for subprocess.Popen: the child gets SIGKILL when this process dies
    (None off Linux)."""
    if not sys.platform.startswith("linux"):
        return None
    parent = os.getpid()
    return lambda: _pdeathsig(parent)


def mit_eltern_ausfuehren(programm: str, argumente: list[str]) -> None:
    """Replace this process by `programm`, which then ends with this process's parent."""
    if sys.platform.startswith("linux"):
        parent = os.getppid()
        if parent == 1:     # started by a process that is gone already
            os._exit(1)
        _pdeathsig(parent)
    os.execv(programm, [programm, *argumente])


def dbt() -> None:
    """`spm-dbt`: this environment's `dbt`, ending with the process that started it (the
    nightly run starts dbt through dagster-dbt, which takes an executable, not a
    preexec_fn)."""
    mit_eltern_ausfuehren(str(Path(sys.executable).parent / "dbt"), sys.argv[1:])
