"""The explorer's event-log zip: how long a build takes, a reference commit against this tree.

The Export page's **Build the event logs** on the what-if of issue 15's goal 4
(``scenarios/baseline.yaml``, horizon 30 days, 5 replications): ``replicate`` with
``sim.calibrate.logs.event_tables`` into an ``EventLogZip`` on a warm pool of 2 worker
processes, as ``sim.explorer.runner.event_logs`` does, timed from the start of the run to the
zip's bytes. Each tree ("before": ``sim`` of ``--before``, unpacked with ``git archive``; "now":
this tree) runs in a fresh process; the trees take turns, ``--rounds`` times, each round a new
set of seeds, so both meet the same machine. The reference in each round is the run without
logs (the Results page's run), measured in the same process. Last, what the zip's close
allocates (tracemalloc) for three replications of the 91-day baseline, in each tree.

    .venv/bin/python benchmarks/event_zip.py                  # before 62688b6, 3 rounds
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import tempfile
from pathlib import Path
from typing import Any

from optimizer import ROOT, in_tree, unpack

BEFORE = "62688b6"  # main at the end of stop 29: zips deflated at zlib's default level
CHILD = """
import json, sys, time
from datetime import date
import sim
from sim.calibrate.logs import event_tables
from sim.experiments.executors import PoolExecutor
from sim.experiments.replicate import replicate
from sim.output.event_files import EventLogZip
from sim.scenario.loader import load_scenario

if __name__ == "__main__":
    seeds = json.loads(sys.argv[1])
    scenario = load_scenario(sys.argv[2], ["horizon_days=30"])
    out = {"package": sim.__file__.rsplit("/", 1)[0], "build": [], "run": [], "bytes": []}
    with PoolExecutor(2) as pool:
        replicate(scenario, 2, 0, executor=pool)  # workers up and warm
        for seed in seeds:
            start = time.perf_counter()
            replicate(scenario, 5, seed, executor=pool)
            out["run"].append(time.perf_counter() - start)
            start = time.perf_counter()
            sink = EventLogZip(date(2026, 1, 1), {})
            replicate(scenario, 5, seed, executor=pool, logs=event_tables, on_logs=sink)
            data = sink.close()
            out["build"].append(time.perf_counter() - start)
            out["bytes"].append(len(data))
    print(json.dumps(out))
"""


CLOSE_CHILD = """
import json, sys, tracemalloc
from datetime import date
import sim
from sim.calibrate.logs import event_tables
from sim.engine.model import simulate
from sim.engine.rng import replication_seed
from sim.output.event_files import EventLogZip
from sim.scenario.loader import load_scenario

if __name__ == "__main__":
    scenario = load_scenario(sys.argv[1], ["horizon_days=91"])
    tables = event_tables(scenario, simulate(scenario, replication_seed(3, 0)))
    sink = EventLogZip(date(2026, 1, 1), {})
    for rep in range(3):
        sink(rep, tables)
    tracemalloc.start()
    data = sink.close()
    peak = tracemalloc.get_traced_memory()[1]
    print(json.dumps({"package": sim.__file__.rsplit("/", 1)[0], "close_peak": peak,
                      "zip": len(data)}))
"""


def close_memory(package_root: Path) -> dict[str, Any]:
    """What ``EventLogZip.close`` allocates (tracemalloc, started just before it) for three
    replications of the 91-day baseline's logs, with ``sim`` from ``package_root``."""
    return in_tree(package_root, CLOSE_CHILD, str(ROOT / "scenarios/baseline.yaml"))


def measure(package_root: Path, seeds: list[int]) -> dict[str, Any]:
    """Builds (and runs without logs) for ``seeds`` in a fresh process importing ``sim`` from
    ``package_root``."""
    return in_tree(package_root, CHILD, json.dumps(seeds), str(ROOT / "scenarios/baseline.yaml"))


def main() -> None:
    """Time both trees in turns and print a Markdown table and the ratio of the medians."""
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--before", default=BEFORE, help=f"the reference commit (default {BEFORE})")
    p.add_argument("--rounds", type=int, default=3)
    p.add_argument("--per-round", type=int, default=3, help="builds per tree and round")
    args = p.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        trees = {"before": unpack(args.before, Path(tmp)), "now": ROOT}
        found: dict[str, dict[str, list[float]]] = {
            name: {"build": [], "run": [], "bytes": []} for name in trees}
        for r in range(args.rounds):
            seeds = [1 + r * args.per_round + k for k in range(args.per_round)]
            for name, tree in trees.items():
                out = measure(tree, seeds)
                for key in found[name]:
                    found[name][key].extend(out[key])
                print(f"    round {r + 1} {name}: builds "
                      f"{' '.join(f'{t:.2f}' for t in out['build'])} s, runs "
                      f"{' '.join(f'{t:.2f}' for t in out['run'])} s", file=sys.stderr,
                      flush=True)
        memory = {name: close_memory(tree) for name, tree in trees.items()}
    print(f"baseline, 30 days, 5 replications, 2 workers; before = {args.before}\n")
    print("| tree | build: median (range) | run without logs: median | zip |")
    print("|---|---|---|---|")
    for name, got in found.items():
        b = got["build"]
        print(f"| {name} | {statistics.median(b):.2f} s ({min(b):.2f}-{max(b):.2f}) | "
              f"{statistics.median(got['run']):.2f} s | "
              f"{statistics.median(got['bytes']) / 2**20:.2f} MiB |")
    ratio = statistics.median(found["before"]["build"]) / statistics.median(found["now"]["build"])
    print(f"\nratio of the medians, before/now: {ratio:.2f}x")
    print("\nallocated by the close of a zip of three 91-day replications (tracemalloc): "
          + ", ".join(f"{name} {m['close_peak'] / 2**20:.1f} MiB (zip {m['zip'] / 2**20:.1f} MiB)"
                      for name, m in memory.items()))


if __name__ == "__main__":
    main()
