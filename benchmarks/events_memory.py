"""Memory of a run that writes event logs: the main process's peak, by replications.

``aftersales-sim run --events`` on the baseline (its own horizon, 91 days), with 2 worker
processes, at two replication counts. The figure is the peak resident memory of the process that
collects the replications and writes the folder (``VmHWM`` of /proc/self/status; the workers are
other processes). Without ``--events`` as a reference, measured in the same run. If the logs are
written as replications finish, the peak does not grow with the replications; if they are held
to the end, it does.

``--before COMMIT`` measures that commit's package too (unpacked with ``git archive``, as
benchmarks/optimizer.py does), each run in a fresh process.

Usage: python benchmarks/events_memory.py [--before COMMIT] [--reps 8 16] [--workers 2]
Takes about 5 minutes on 2 cores (about 10 with --before).
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
CHILD = """
import re, sys
from sim.cli import main
if __name__ == "__main__":
    assert main(sys.argv[1:]) == 0
    status = open("/proc/self/status").read()
    print(int(re.search(r"VmHWM:\\s+(\\d+)", status).group(1)) // 1024)
"""


def peak_mib(package_root: Path, reps: int, workers: int, events: bool, out: Path) -> int:
    """Peak resident MiB of one ``run`` of the baseline in a fresh process."""
    argv = ["run", str(ROOT / "scenarios" / "baseline.yaml"), "--reps", str(reps),
            "--workers", str(workers), "--quiet", "--out", str(out)]
    if events:
        argv.append("--events")
    script = out.parent / "child.py"  # a file: the spawned workers re-import the main module
    script.write_text(CHILD, encoding="utf-8")
    env = {**os.environ, "PYTHONPATH": str(package_root)}
    done = subprocess.run([sys.executable, str(script), *argv], env=env, check=True,
                          stdout=subprocess.PIPE, text=True, cwd=package_root)
    return int(done.stdout.strip().splitlines()[-1])


def main() -> None:
    """Measure and print the peaks."""
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--before", default=None, help="a reference commit to measure beside this tree")
    p.add_argument("--reps", type=int, nargs="+", default=[8, 16])
    p.add_argument("--workers", type=int, default=2)
    args = p.parse_args()
    scratch = Path(tempfile.mkdtemp(prefix="events-memory-"))
    trees = {"now": ROOT}
    if args.before:
        sys.path.insert(0, str(Path(__file__).resolve().parent))
        from optimizer import unpack

        trees = {"before": unpack(args.before, scratch / "before"), **trees}
    try:
        print(f"baseline, 91 days, {args.workers} workers: peak MiB of the main process")
        print(f"{'tree':8s} {'events':7s} " + " ".join(f"{r:>6d} reps" for r in args.reps))
        runs = [("now", False)] + [(tree, True) for tree in trees]
        for tree, events in runs:
            peaks = []
            for reps in args.reps:
                out = scratch / f"{tree}-{events}-{reps}" / "out"
                out.parent.mkdir(parents=True)
                peaks.append(peak_mib(trees[tree], reps, args.workers, events, out))
                shutil.rmtree(out.parent, ignore_errors=True)
            print(f"{tree:8s} {'yes' if events else 'no':7s} "
                  + " ".join(f"{mib:>11,d}" for mib in peaks))
    finally:
        shutil.rmtree(scratch, ignore_errors=True)


if __name__ == "__main__":
    main()
