"""A replication's engine time as demand outgrows the crews: a reference commit against this tree.

Risk reviews run demand spikes, and a spike that outlasts the crews builds a backlog of work
orders. Each case below is one replication (``simulate`` and ``measure``) of
``scenarios/baseline.yaml`` at a higher demand, in a fresh process per tree and case, the trees
taking turns; it prints the CPU seconds of each, their ratio, and whether the two trees' KPIs are
the same to the last bit (they must be: the queue's and the run-out's bookkeeping changed, not
what they decide).

    .venv/bin/python benchmarks/overload.py                    # before = cf52e0e, about 4 minutes
    .venv/bin/python benchmarks/overload.py --before <commit> --rounds 3
"""

from __future__ import annotations

import argparse
import json
import statistics
import tempfile
from pathlib import Path

from optimizer import ROOT, in_tree, unpack

BEFORE = "cf52e0e"  # main before the job queue kept a heap per kind of job (stop 34)
CASES = (
    ("baseline, 91 days", ["horizon_days=91"]),
    ("demand x1.5 for 91 days (780 contacts a day)", ["horizon_days=91",
                                                      "demand.contacts_per_day=780"]),
    ("demand x2 for 60 days", ["horizon_days=60", "demand.contacts_per_day=1040"]),
    ("demand x4.2 for 60 days (2,200 a day)", ["horizon_days=60",
                                               "demand.contacts_per_day=2200"]),
)
CHILD = """
import hashlib, json, sys, time
from pathlib import Path
import sim
from sim.engine.model import simulate
from sim.engine.rng import replication_seed
from sim.measure.outcome import measure
from sim.scenario.loader import load_scenario
scenario = load_scenario(Path(sys.argv[1]), json.loads(sys.argv[2]))
started = time.process_time()
outcome = measure(scenario, simulate(scenario, replication_seed(scenario.seed, 0)))
cpu = time.process_time() - started
kpis = hashlib.sha256(repr(sorted(outcome.kpis.items())).encode()).hexdigest()[:16]
print(json.dumps({"package": str(Path(sim.__file__).parent), "cpu": cpu, "kpis": kpis}))
"""


def main() -> None:
    """Time each case on both trees and print a Markdown table."""
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--before", default=BEFORE, help=f"the reference commit (default {BEFORE})")
    p.add_argument("--rounds", type=int, default=2, help="runs per tree and case (median kept)")
    args = p.parse_args()
    scenario = str(ROOT / "scenarios" / "baseline.yaml")
    print(f"one replication of {scenario}, CPU seconds (median of {args.rounds}); "
          f"before = {args.before}\n")
    print("| case | before | now | before / now | same KPIs |")
    print("|---|---|---|---|---|")
    with tempfile.TemporaryDirectory() as tmp:
        trees = {"before": unpack(args.before, Path(tmp)), "now": ROOT}
        for label, sets in CASES:
            cpu: dict[str, list[float]] = {"before": [], "now": []}
            kpis: dict[str, set[str]] = {"before": set(), "now": set()}
            for k in range(args.rounds):
                for method in (("before", "now") if k % 2 == 0 else ("now", "before")):
                    out = in_tree(trees[method], CHILD, scenario, json.dumps(sets))
                    cpu[method].append(out["cpu"])
                    kpis[method].add(out["kpis"])
            before, now = statistics.median(cpu["before"]), statistics.median(cpu["now"])
            same = "yes" if kpis["before"] == kpis["now"] and len(kpis["now"]) == 1 else "NO"
            print(f"| {label} | {before:.1f} s | {now:.1f} s | **{before / now:.2f}x** | {same} |",
                  flush=True)


if __name__ == "__main__":
    main()
