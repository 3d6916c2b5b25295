"""Time the nightly run as a whole process.

    python -m benchmarks.run --scale small [--home DIR] [--keep] [--ohne-neues-jahr]

Generates the synthetic county at the given scale into a fresh home and runs `spm run` as a
separate process, printing wall time and peak memory (max RSS of the process tree) per step:

- `cold`: the first run, every delivery of every year;
- `nothing new`: the same home again (the run sees nothing new and ends at once);
- `forced, same inputs`: `spm run --erzwingen` on the same home (everything rebuilt);
- `one new year`: a second home that first got every year but the newest of each source,
  then the newest year's files (what a county sees when a year's deliveries come in).

Then the yardstick (`benchmarks/yardstick.py`, the core set work as one plain DuckDB
script on the same files) and the cold run as a multiple of it, and disclosure control alone
on the warehouse built (`benchmarks/geheimhaltung.py`).
"""

import argparse
import os
import platform
import re
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


def _hold_back_newest_year(inbox: Path, held: Path) -> list[Path]:
    """Move every file of the newest year of each person-level source (by the Stichtag in its
    name) from `inbox` to `held`; returns the moved files. Geography stays."""
    moved = []
    for folder in sorted(p for p in inbox.iterdir() if p.is_dir()):
        if folder.name in ("adressen", "raumgliederung"):
            continue
        years = {}
        for path in folder.iterdir():
            match = re.search(r"_(\d{4})-\d{2}-\d{2}", path.name)
            if match:
                years.setdefault(int(match.group(1)), []).append(path)
        if len(years) < 2:
            continue
        for path in years[max(years)]:
            (held / folder.name).mkdir(parents=True, exist_ok=True)
            moved.append(Path(shutil.move(str(path), held / folder.name / path.name)))
    return moved


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--scale", default="small", choices=["small", "kreis", "nrw"])
    parser.add_argument("--home", help="home folder to use (default: a temporary folder)")
    parser.add_argument("--ohne-neues-jahr", action="store_true",
                        help="without the second home that gets the newest year afterwards")
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

    from benchmarks.yardstick import run as yardstick

    measure = yardstick(root / "inbox")
    print(f"yardstick: {measure['zusammen']:.1f} s", flush=True)

    second = root.parent / (root.name + "-neues-jahr")
    newest = []
    if not args.ohne_neues_jahr:
        if second.exists():
            shutil.rmtree(second)
        shutil.copytree(root / "inbox", second / "inbox")
        shutil.copytree(root / "config", second / "config")
        held = second / "zurueckgehalten"
        newest = _hold_back_newest_year(second / "inbox", held)

    rows.append(("spm run (cold)", *_timed([spm, "--home", str(root), "run"], env)))
    rows.append(("spm run (nothing new)", *_timed([spm, "--home", str(root), "run"], env)))
    rows.append(("spm run --erzwingen", *_timed([spm, "--home", str(root), "run", "--erzwingen"],
                                                 env)))
    if newest:
        env2 = dict(env, SPM_HOME=str(second))
        rows.append(("spm run (all but newest)",
                     *_timed([spm, "--home", str(second), "run"], env2)))
        for path in newest:
            target = second / "inbox" / path.parent.name / path.name
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.move(str(path), target)
        rows.append(("spm run (one new year)",
                     *_timed([spm, "--home", str(second), "run"], env2)))

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
        print(f"{label:<28} {wall:>8.1f} {peak:>9.0f} {code:>5}")
    walls = {label: wall for label, wall, _, _ in rows}
    cold = walls["spm run (cold)"]
    print(f"{'yardstick (plain DuckDB)':<28} {measure['zusammen']:>8.1f}")
    print(f"cold run = {cold / measure['zusammen']:.0f} × the yardstick")
    if "spm run (one new year)" in walls:
        print(f"one new year = {100 * walls['spm run (one new year)'] / cold:.0f} % of cold")
    if not args.keep and not args.home:
        shutil.rmtree(root, ignore_errors=True)
        shutil.rmtree(second, ignore_errors=True)
    return 0 if all(code == 0 for *_, code in rows) else 1


if __name__ == "__main__":
    sys.exit(main())
