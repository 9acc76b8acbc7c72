"""Sweep speed-up: a 20-point sweep x 10 replications of the baseline at 1 and 2 workers.

The sweep varies the day-shift technicians of ``scenarios/baseline.yaml`` over 22, 24, ..., 60 (20
points) with 10 replications each, through ``sim.experiments.sweep.run_sweep`` (point validation,
the process pool, the KPIs and the tidy tables all count), once per worker count. The horizon is
shortened (default 28 days instead of 91) so that the serial run stays near five minutes. The tables
of every worker count must be identical (common random numbers do not depend on the pool); the
script fails otherwise. CPU time (this process and the pool's workers) is printed too: on a shared
machine it shows what the parallel run cost beyond the serial one.

Usage: python benchmarks/sweep_speedup.py [--horizon-days 28] [--reps 10] [--workers 1 2]
"""

from __future__ import annotations

import argparse
import os
import platform
import resource
import time
from pathlib import Path

import pandas as pd

from sim.experiments.design import Factor
from sim.experiments.executors import default_workers
from sim.experiments.sweep import run_sweep
from sim.scenario.loader import load_scenario

ROOT = Path(__file__).resolve().parent.parent
FACTOR = Factor(key="field_service.technicians.0.count", values=tuple(range(22, 61, 2)))


def _cpu_seconds() -> float:
    """User + system CPU of this process and its finished children (the pool's workers)."""
    own = resource.getrusage(resource.RUSAGE_SELF)
    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + children.ru_utime + children.ru_stime


def main() -> None:
    """Run the sweep at each worker count and print wall times and speed-ups."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--horizon-days", type=float, default=28.0)
    parser.add_argument("--reps", type=int, default=10)
    parser.add_argument("--seed", type=int, default=20261129)
    parser.add_argument("--workers", type=int, nargs="+", default=[1, 2])
    args = parser.parse_args()
    base = load_scenario(ROOT / "scenarios" / "baseline.yaml",
                         [f"horizon_days={args.horizon_days:g}"])
    points = len(FACTOR.grid())
    print(f"{platform.platform()}, python {platform.python_version()}, "
          f"{default_workers()} usable cores, load average {os.getloadavg()[0]:.2f}")
    print(f"baseline, horizon {args.horizon_days:g} days (+{base.warmup_days:g} warm-up), "
          f"{points} points x {args.reps} replications = {points * args.reps} runs\n")
    print("| workers | wall time (s) | replications/s | speed-up | CPU time (s) |")
    print("|---:|---:|---:|---:|---:|")
    reference: pd.DataFrame | None = None
    serial = None
    for workers in args.workers:
        cpu_before = _cpu_seconds()
        started = time.perf_counter()
        result = run_sweep(base, [FACTOR], args.reps, args.seed, workers=workers)
        wall = time.perf_counter() - started
        cpu = _cpu_seconds() - cpu_before
        serial = serial or wall
        if reference is None:
            reference = result.table
        else:  # the numbers must not depend on the number of workers
            pd.testing.assert_frame_equal(reference, result.table)
        print(f"| {workers} | {wall:.1f} | {points * args.reps / wall:.2f} | "
              f"{serial / wall:.2f}x | {cpu:.1f} |", flush=True)
    print(f"\nload average after: {os.getloadavg()[0]:.2f}")


if __name__ == "__main__":
    main()
