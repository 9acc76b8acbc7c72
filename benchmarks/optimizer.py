"""The optimizer on the baseline: today's method (every evaluation in full) against screening.

Both methods run in this process, one after the other, on the same scenario, seed, executor and
replication counts, so the machine's load weighs on both; the ratio of their wall times is the
figure to compare. A reduced case (``--horizon-days``, ``--reps``) keeps the run affordable on a
shared machine; ``--methods new`` measures the new method alone (e.g. on the full baseline).

    .venv/bin/python benchmarks/optimizer.py --horizon-days 14 --reps 5 --workers 2
    .venv/bin/python benchmarks/optimizer.py --methods new --workers 2   # the 91-day baseline
"""

from __future__ import annotations

import argparse
import sys
import time
import tracemalloc
from pathlib import Path
from typing import Any

from sim.experiments.executors import kept, make_executor
from sim.experiments.optimize.evaluate import Evaluation
from sim.experiments.optimize.solve import OptimizeResult, optimize
from sim.scenario.format import Scenario
from sim.scenario.loader import load_scenario

ROOT = Path(__file__).resolve().parent.parent
DECIDE = ["call_center.agents", "field_service.technicians", "parts.skus.*.policy"]
METHODS = {"today": False, "new": True}  # method -> screen


def baseline(horizon_days: float | None) -> Scenario:
    """The shipped baseline, optionally with a shorter horizon."""
    scenario = load_scenario(ROOT / "scenarios" / "baseline.yaml")
    if horizon_days is None:
        return scenario
    data = scenario.model_dump(mode="json")
    data["horizon_days"] = horizon_days
    return Scenario.model_validate(data)


def _log(ev: Evaluation) -> None:
    verdict = "screened out" if ev.screened else ("meets" if ev.feasible else "misses")
    print(f"  #{ev.index} {ev.phase} {list(ev.values)} n={ev.replications} "
          f"cost {ev.cost:,.0f} {verdict}", file=sys.stderr, flush=True)


def run(scenario: Scenario, screen: bool, args: argparse.Namespace) -> dict[str, Any]:
    """One optimizer run with its wall time and peak traced memory of this process."""
    with kept(make_executor(args.workers, 1000)) as executor:
        if args.trace_memory:
            tracemalloc.start()
        started = time.perf_counter()
        result: OptimizeResult = optimize(
            scenario, DECIDE, replications=args.reps, confirm_replications=args.confirm,
            seed=args.seed, executor=executor, screen=screen,
            on_evaluation=_log if args.log else None)
        wall = time.perf_counter() - started
        peak = tracemalloc.get_traced_memory()[1] if args.trace_memory else 0
        tracemalloc.stop()
    doc = result.document()
    met = sum(t["status"] == "met" for t in doc["targets"].values())
    return {"evaluations": len(result.evaluations), "replications": result.replications_used,
            "screened": sum(e.screened for e in result.evaluations), "wall": wall,
            "cost": result.best.cost, "feasible": result.feasible,
            "targets": f"{met}/{len(doc['targets'])}", "peak_mib": peak / 2**20,
            "decision": list(result.best.values)}


def main() -> None:
    """Run the methods and print a Markdown table and the ratios."""
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--horizon-days", type=float, default=None, help="default: the file's (91)")
    p.add_argument("--reps", type=int, default=None, help="search replications (default 10)")
    p.add_argument("--confirm", type=int, default=None, help="confirmation (default 20)")
    p.add_argument("--workers", type=int, default=2)
    p.add_argument("--seed", type=int, default=None)
    p.add_argument("--log", action="store_true", help="each evaluation on stderr")
    p.add_argument("--trace-memory", action="store_true",
                   help="peak traced memory of this process (slows its Python code)")
    p.add_argument("--methods", nargs="+", choices=tuple(METHODS), default=list(METHODS))
    args = p.parse_args()
    scenario = baseline(args.horizon_days)
    print(f"baseline, horizon {scenario.horizon_days:g} days, decide {' '.join(DECIDE)}, "
          f"reps {args.reps or 'default'}, confirm {args.confirm or 'default'}, "
          f"workers {args.workers}\n")
    print("| method | evaluations | screened | replications | wall s | cost | feasible | "
          "targets met | peak MiB (main) | decision |")
    print("|---|---|---|---|---|---|---|---|---|---|")
    out = {}
    for method in args.methods:
        r = out[method] = run(scenario, METHODS[method], args)
        print(f"| {method} | {r['evaluations']} | {r['screened']} | {r['replications']} | "
              f"{r['wall']:.0f} | {r['cost']:,.0f} | {r['feasible']} | {r['targets']} | "
              f"{r['peak_mib']:.0f} | {r['decision']} |", flush=True)
    if len(out) == 2:
        today, new = out["today"], out["new"]
        print(f"\nratios today/new: wall {today['wall'] / new['wall']:.2f}x, replications "
              f"{today['replications'] / new['replications']:.2f}x; cost new/today "
              f"{new['cost'] / today['cost']:.4f}")


if __name__ == "__main__":
    main()
