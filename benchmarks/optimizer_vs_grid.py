"""Optimizer against brute force, on problems small enough to enumerate.

Each case is solved twice with the same seed and replications (common random numbers):

* brute force: every decision of a grid is simulated, and the cheapest one whose KPIs meet every
  target by the whole 95% interval wins;
* ``sim.experiments.optimize.solve.optimize``: from the analytic start and from a cold start (the
  scenario's own, far-off values), with its confirmation run.

Cases: ``mmc`` is a flat M/M/c call center (40 calls/h, 6 min exponential handle, no patience,
agents around the clock, "80% within 20 s"), agents 1..30; ``two`` is a lighter call center
(10 calls/h) plus repair calls needing one SKU under base stock (Poisson requests, constant lead
time, fill-rate target 0.92, holding cost), a grid of agents 1..10 x base-stock level 1..14.
Printed: evaluations, simulated replications, the answer, its cost and wall time, as a Markdown
table.

Usage: python benchmarks/optimizer_vs_grid.py [--case mmc|two|all] [--reps 6] [--confirm 12]
       [--workers N] [--seed 97] [--no-grid]
"""

from __future__ import annotations

import argparse
import itertools
import time
from collections.abc import Sequence
from typing import Any

from sim.experiments.executors import Executor, make_executor
from sim.experiments.optimize.decisions import apply_decision, decision_variables
from sim.experiments.optimize.evaluate import kpi_stats, shortfalls
from sim.experiments.optimize.solve import Start, optimize
from sim.experiments.replicate import replicate_many
from sim.scenario.format import Scenario
from sim.theory import queues as theory
from sim.theory import stock as theory_stock

PER_HOUR, HANDLE, ANSWER, SL = 40.0, 6.0, 20.0, 0.8
TWO_PER_HOUR = 10.0  # a lighter call center keeps the 150-day grid affordable
PER_DAY, LEAD, FILL = 8.0, 0.5, 0.92


def mmc(agents: int, per_hour: float = PER_HOUR) -> Scenario:
    """The flat M/M/c call center of the optimizer's tests."""
    return Scenario.model_validate({
        "name": "bench-mmc", "warmup_days": 1.0, "horizon_days": 10.0,
        "demand": {"contacts_per_day": per_hour * 24, "mix": {"inquiry": 1.0},
                   "weekly_profile": "flat", "hourly_profile": "flat"},
        "call_center": {"agents": agents, "answer_target_seconds": ANSWER,
                        "handle_minutes": {"inquiry": {"dist": "exponential", "mean": HANDLE},
                                           "repair": 0}},
        "costs": {"agent_per_hour": 25.0},
        "targets": {"service_level": SL},
    })


def two_variables(agents: int, level: int) -> Scenario:
    """The M/M/c call center plus repair calls needing one SKU under base stock.

    Repair calls take no agent time and get a part at once, so the two subsystems only share the
    cost; the optimum is the pair of one-variable optima, which the grid confirms.
    """
    data = mmc(agents, TWO_PER_HOUR).model_dump(mode="json")
    repair_share = PER_DAY / (TWO_PER_HOUR * 24 + PER_DAY)
    data.update({
        "name": "bench-two", "horizon_days": 150.0, "warmup_days": 2.0,
        "demand": {**data["demand"], "contacts_per_day": TWO_PER_HOUR * 24 + PER_DAY,
                   "mix": {"inquiry": 1 - repair_share, "repair": repair_share}},
        "field_service": {"technicians": 500, "travel_minutes": 0, "diagnosis_minutes": 0,
                          "repair_minutes": 0},
        "parts": {"need_probability": 1.0, "holding_rate_per_year": 0.25,
                  "skus": [{"sku": "part", "share": 1.0, "unit_cost": 100.0,
                            "initial_on_hand": level,
                            "policy": {"type": "base_stock", "level": level},
                            "lead_time_days": LEAD}]},
        "targets": {"service_level": SL, "fill_rate": FILL},
    })
    # the service level counts repair calls too; they queue like inquiries but take no agent
    # time, a 3% share that leaves the Erlang C answer clear of the target (0.69 at c* - 1,
    # 0.92 at c*)
    return Scenario.model_validate(data)


def brute_force(base: Scenario, decide: Sequence[str], grid: Sequence[Sequence[int]],
                reps: int, seed: int, executor: Executor) -> dict[str, Any]:
    """Simulate every grid point once; the cheapest feasible one wins."""
    variables = decision_variables(base, decide)
    points = list(itertools.product(*grid))
    scenarios = [apply_decision(base, variables, p) for p in points]
    assert all(s is not None for s in scenarios)
    started = time.perf_counter()
    results = replicate_many([s for s in scenarios if s is not None], reps, seed,
                             executor=executor)
    feasible = [(kpi_stats(r)["total_cost"]["mean"], p) for p, r in zip(points, results,
                                                                        strict=True)
                if not shortfalls(r)]
    cost, best = min(feasible)
    return {"evaluations": len(points), "replications": len(points) * reps, "answer": best,
            "cost": cost, "wall": time.perf_counter() - started}


def with_optimizer(base: Scenario, decide: Sequence[str], start: Start, reps: int,
                   confirm: int, seed: int, executor: Executor,
                   bounds: dict[str, tuple[int, int]]) -> dict[str, Any]:
    """One optimizer run, summarised like ``brute_force``."""
    started = time.perf_counter()
    result = optimize(base, decide, bounds=bounds, replications=reps,
                      confirm_replications=confirm, seed=seed, executor=executor, start=start)
    assert result.feasible
    return {"evaluations": len(result.evaluations), "replications": result.replications_used,
            "answer": result.best.values, "cost": result.best.cost,
            "wall": time.perf_counter() - started, "start": result.start}


def row(case: str, method: str, out: dict[str, Any], truth: tuple[int, ...]) -> str:
    same = "yes" if tuple(out["answer"]) == truth else "NO"
    start = f" (start {list(out['start'])})" if "start" in out else ""
    return (f"| {case} | {method}{start} | {out['evaluations']} | {out['replications']} | "
            f"{list(out['answer'])} | {out['cost']:,.0f} | {same} | {out['wall']:.0f} |")


def main() -> None:
    """Run the cases and print the Markdown table."""
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--case", choices=("mmc", "two", "all"), default="all")
    p.add_argument("--reps", type=int, default=6)
    p.add_argument("--confirm", type=int, default=12)
    p.add_argument("--workers", type=int, default=None)
    p.add_argument("--seed", type=int, default=97)
    p.add_argument("--no-grid", action="store_true",
                   help="the optimizer only (the grid's answer does not depend on it)")
    args = p.parse_args()
    executor = make_executor(args.workers, 1000)
    c_star = theory.erlang_c_agents_needed(PER_HOUR, HANDLE, ANSWER, SL)
    c_two = theory.erlang_c_agents_needed(TWO_PER_HOUR, HANDLE, ANSWER, SL)
    s_star = theory_stock.base_stock_level_for_fill(PER_DAY, LEAD, FILL)
    cases: list[tuple[str, Scenario, Scenario, list[str], list[range], tuple[int, ...],
                      dict[str, tuple[int, int]]]] = []
    if args.case in ("mmc", "all"):
        cases.append(("M/M/c, agents 1..30", mmc(3), mmc(30), ["call_center.agents"],
                      [range(1, 31)], (c_star,), {"call_center.agents": (1, 30)}))
    if args.case in ("two", "all"):
        cases.append(("agents x base-stock level, 10 x 14 grid", two_variables(1, 1),
                      two_variables(10, 14), ["call_center.agents", "parts.skus.*.policy"],
                      [range(1, 11), range(1, 15)], (c_two, s_star),
                      {"call_center.agents": (1, 10), "parts.skus.*.policy": (1, 14)}))
    print(f"reps per evaluation {args.reps}, confirmation {args.confirm}, seed {args.seed}, "
          f"theory: Erlang C c* = {c_star} (M/M/c), {c_two} (two variables), base-stock "
          f"S* = {s_star}\n")
    print("| case | method | evaluations | replications | answer | cost | same as theory | "
          "wall s |")
    print("|---|---|---|---|---|---|---|---|")
    for name, warm, cold, decide, grid, truth, bounds in cases:
        if not args.no_grid:
            grid_out = brute_force(warm, decide, grid, args.reps, args.seed, executor)
            print(row(name, "brute-force grid", grid_out, truth), flush=True)
        for start, base in (("analytic", warm), ("current", cold)):
            out = with_optimizer(base, decide, start, args.reps, args.confirm, args.seed,
                                 executor, bounds)
            print(row(name, f"optimizer, {start} start", out, truth), flush=True)


if __name__ == "__main__":
    main()
