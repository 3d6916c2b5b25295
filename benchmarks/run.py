"""Time the nightly run as a whole process.

    python -m benchmarks.run --scale small [--home DIR] [--runs 2]

Generates the synthetic county at the given scale into a fresh home, then runs `spm run`
as a separate process (the first run loads everything, a second run finds nothing new),
and prints wall time and peak memory (max RSS of the process tree) per step, then times
disclosure control alone on the warehouse it built (benchmarks/geheimhaltung.py).
"""

import argparse
import os
import platform
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

_MEASURE = (
    "import resource, subprocess, sys\n"
    "code = subprocess.run(sys.argv[1:], stdout=subprocess.DEVNULL).returncode\n"
    "print(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss, file=sys.stderr)\n"
    "sys.exit(code)\n"
)


def _timed(command: list[str], env: dict[str, str]) -> tuple[float, float, int]:
    """Wall seconds, peak MiB (max RSS of the process tree) and exit code of a command.

    The command runs under a small wrapper process, so that the peak is this step's alone.
    """
    start = time.perf_counter()
    completed = subprocess.run([sys.executable, "-c", _MEASURE, *command], env=env,
                               stderr=subprocess.PIPE, text=True)
    wall = time.perf_counter() - start
    lines = completed.stderr.strip().splitlines()
    peak_kib = int(lines[-1]) if lines and lines[-1].isdigit() else 0
    if completed.returncode != 0:
        sys.stderr.write(completed.stderr[-4000:])
    return wall, peak_kib / 1024, completed.returncode


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--scale", default="small", choices=["small", "kreis", "nrw"])
    parser.add_argument("--home", help="home folder to use (default: a temporary folder)")
    parser.add_argument("--runs", type=int, default=2, help="number of `spm run` after generation")
    parser.add_argument("--keep", action="store_true", help="keep the home folder afterwards")
    args = parser.parse_args(argv)

    root = Path(args.home or tempfile.mkdtemp(prefix=f"spm-bench-{args.scale}-")).resolve()
    if root.exists():
        shutil.rmtree(root)
    spm = str(Path(sys.executable).parent / "spm")
    env = dict(os.environ, SPM_HOME=str(root))
    rows = []
    generate = [sys.executable, "-c",
                "import sys; from pathlib import Path; from ingestion.synth import generate_county; "
                "generate_county(Path(sys.argv[1]) / 'inbox', scale=sys.argv[2])",
                str(root), args.scale]
    root.mkdir(parents=True)
    rows.append(("generate " + args.scale, *_timed(generate, env)))
    for number in range(1, args.runs + 1):
        label = "spm run (load all)" if number == 1 else "spm run (nothing new)"
        rows.append((label, *_timed([spm, "--home", str(root), "run"], env)))

    # disclosure control alone on the warehouse the runs built (cold and nothing changed)
    warehouse = root / "warehouse" / "spm.duckdb"
    if warehouse.exists():
        print("\nDisclosure control on this warehouse (benchmarks/geheimhaltung.py):", flush=True)
        subprocess.run([sys.executable, "-m", "benchmarks.geheimhaltung", "--warehouse",
                        str(warehouse)], env=env)

    print(f"\nSPM benchmark, scale {args.scale}, {platform.node()}, {os.cpu_count()} cores, "
          f"Python {platform.python_version()}")
    print(f"{'step':<24} {'wall s':>8} {'peak MiB':>9} {'exit':>5}")
    for label, wall, peak, code in rows:
        print(f"{label:<24} {wall:>8.1f} {peak:>9.0f} {code:>5}")
    if not args.keep and not args.home:
        shutil.rmtree(root, ignore_errors=True)
    return 0 if all(code == 0 for *_, code in rows) else 1


if __name__ == "__main__":
    sys.exit(main())
