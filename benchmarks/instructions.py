"""Engine benchmark in instructions: engine.py's comparisons, counted by valgrind's callgrind.

Wall time on the project machine (a shared 2-core VM) moves by 20% or more between two runs of
the same tree, so a change worth 5-10% cannot be told from noise by timing it. The number of
instructions a run executes is the same from one run to the next to about 0.1%. This script
counts them, in the same run, for:

* ``simpy``: engine.py's minimal SimPy M/M/c (the reference);
* ``model``: the full model reduced to the same M/M/c, through simulate() and measure();
* ``baseline``: one replication of the baseline scenario, simulate() and measure().

``--breakdown`` counts, instead, where the baseline's instructions go: the baseline per day as it
is, with simulate() alone (no measure()), and with one optional section removed at a time
(``--set <section>=null``: follow-ups, complaints, escalation, redials, appointment booking).
What a section costs is what removing it saves; the savings do not add up, since the sections
feed one another (a follow-up can file a complaint).

Each workload is counted at two sizes, and the difference is its marginal cost (calls or days
beyond the small size), so the interpreter's start-up and the imports drop out. ``--before``
counts the model and the baseline of a reference commit too (its ``sim`` package unpacked with
``git archive``, as benchmarks/optimizer.py does).

Instructions are a proxy for time: they do not see cache misses or branch mispredictions. The
wall-time figures stay engine.py's; this one tells whether a change made the engine do less.

Usage: python benchmarks/instructions.py [--before COMMIT] [--calls 40000] [--days 14]
       python benchmarks/instructions.py --breakdown [--days 14]   (README's table: --days 8)
Needs valgrind (the counts take about 50x the run's time: about 5 minutes on 2 cores).
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import subprocess
import sys
import tempfile
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SMALL_CALLS = 1_000
SMALL_DAYS = 1
COLLECTED = re.compile(r"Collected\s*:\s*(\d+)")
WITHOUT = ("followup", "complaints", "call_center.escalation", "call_center.redial",
           "field_service.booking")
"""The optional sections ``--breakdown`` removes, one at a time."""


def workload(name: str, size: int) -> None:
    """Run one workload once (in the process valgrind watches)."""
    from engine import full_model, minimal_simpy, mmc_scenario

    import sim
    from sim.engine.model import simulate
    from sim.engine.rng import replication_seed
    from sim.measure.outcome import measure
    from sim.scenario.loader import load_scenario

    print(Path(sim.__file__).resolve().parent.parent)
    if name == "simpy":
        minimal_simpy(size, 1)
    elif name == "model":
        full_model(mmc_scenario(size), 1)
    else:
        # "baseline", "baseline:simulate" (no measure) or "baseline:without=<section>"
        _, _, variant = name.partition(":")
        overrides = [f"horizon_days={size}"]
        if variant.startswith("without="):
            overrides.append(f"{variant.removeprefix('without=')}=null")
        scenario = load_scenario(ROOT / "scenarios" / "baseline.yaml", overrides)
        replication = simulate(scenario, replication_seed(scenario.seed, 0))
        if variant != "simulate":
            measure(scenario, replication)


def count(package_root: Path, name: str, size: int) -> int:
    """Instructions of one run of ``name`` at ``size``, importing ``sim`` from package_root."""
    env = {**os.environ, "PYTHONPATH": str(package_root), "PYTHONHASHSEED": "0"}
    done = subprocess.run(
        ["valgrind", "--tool=callgrind", "--callgrind-out-file=/dev/null", sys.executable,
         str(Path(__file__).resolve()), "--workload", name, str(size)],
        env=env, cwd=package_root, capture_output=True, text=True, check=True)
    imported = Path(done.stdout.strip().splitlines()[0])
    if imported != package_root.resolve():
        raise RuntimeError(f"imported sim from {imported}, not {package_root}")
    found = COLLECTED.findall(done.stderr)
    if not found:
        raise RuntimeError(f"no instruction count for {name} {size}:\n{done.stderr[-2000:]}")
    return int(found[-1])


def main() -> None:
    """Count the workloads and print instructions per unit and the ratios."""
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--before", default=None, help="a reference commit to count beside this tree")
    p.add_argument("--calls", type=int, default=40_000)
    p.add_argument("--days", type=int, default=14)
    p.add_argument("--breakdown", action="store_true",
                   help="where the baseline's instructions go, section by section")
    p.add_argument("--workload", nargs=2, metavar=("NAME", "SIZE"), help=argparse.SUPPRESS)
    args = p.parse_args()
    if args.workload:
        workload(args.workload[0], int(args.workload[1]))
        return
    if shutil.which("valgrind") is None:
        raise SystemExit("valgrind is not installed")
    if args.breakdown:
        breakdown(args.days)
        return
    trees = {"now": ROOT}
    scratch = Path(tempfile.mkdtemp(prefix="instructions-"))
    if args.before:
        from optimizer import unpack  # this script's folder is first on the path

        trees = {"before": unpack(args.before, scratch / "before"), **trees}
    jobs = [(tree, name, size) for tree in trees
            for name, sizes in (("model", (SMALL_CALLS, args.calls)),
                                ("baseline", (SMALL_DAYS, args.days)))
            for size in sizes]
    jobs += [("now", "simpy", size) for size in (SMALL_CALLS, args.calls)]
    with ThreadPoolExecutor(max_workers=os.cpu_count() or 1) as pool:
        counts = dict(zip(jobs, pool.map(lambda j: count(trees[j[0]], j[1], j[2]), jobs),
                          strict=True))
    shutil.rmtree(scratch, ignore_errors=True)

    def per_unit(tree: str, name: str, small: int, big: int) -> float:
        return (counts[(tree, name, big)] - counts[(tree, name, small)]) / (big - small)

    simpy = per_unit("now", "simpy", SMALL_CALLS, args.calls)
    print(f"instructions (callgrind), marginal: M/M/c per call ({SMALL_CALLS:,} -> "
          f"{args.calls:,} calls), baseline per day ({SMALL_DAYS} -> {args.days} days)")
    print(f"  {'':8} {'M/M/c per call':>15} {'ratio to SimPy':>15} {'baseline per day':>17}")
    print(f"  {'SimPy':8} {simpy:15,.0f}")
    for tree in trees:
        model = per_unit(tree, "model", SMALL_CALLS, args.calls)
        day = per_unit(tree, "baseline", SMALL_DAYS, args.days)
        print(f"  {tree:8} {model:15,.0f} {simpy / model:15.2f} {day:17,.0f}")
    if args.before:
        for name, small, big, what in (("model", SMALL_CALLS, args.calls, "M/M/c"),
                                       ("baseline", SMALL_DAYS, args.days, "baseline")):
            ratio = per_unit("before", name, small, big) / per_unit("now", name, small, big)
            print(f"  {what}: before / now = {ratio:.3f}")


def breakdown(days: int) -> None:
    """Print the baseline's instructions per day, simulate() alone and without each section."""
    names = ["baseline", "baseline:simulate", *(f"baseline:without={w}" for w in WITHOUT)]
    jobs = [(name, size) for name in names for size in (SMALL_DAYS, days)]
    with ThreadPoolExecutor(max_workers=os.cpu_count() or 1) as pool:
        counts = dict(zip(jobs, pool.map(lambda j: count(ROOT, j[0], j[1]), jobs), strict=True))
    per_day = {name: (counts[(name, days)] - counts[(name, SMALL_DAYS)]) / (days - SMALL_DAYS)
               for name in names}
    whole = per_day["baseline"]
    print(f"baseline, instructions per day (callgrind, marginal {SMALL_DAYS} -> {days} days)")
    print(f"  {'run':40} {'per day':>14} {'saved':>7}")
    for name in names:
        label = {"baseline": "as it is", "baseline:simulate": "simulate() only, no measure()"
                 }.get(name, "without " + name.partition("=")[2])
        saved = "" if name == "baseline" else f"{1 - per_day[name] / whole:7.1%}"
        print(f"  {label:40} {per_day[name]:14,.0f} {saved:>7}")


if __name__ == "__main__":
    main()
