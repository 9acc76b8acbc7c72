"""Simulation optimisation: the cheapest decision whose KPIs meet every target with confidence.

This module owns ``optimize``, the search behind ``aftersales-sim optimize``, and its result
(``OptimizeResult``: the ``decision.json`` document and the ``evaluations.csv`` table). A decision
is one integer per variable (``sim.experiments.optimize.decisions``); it is *feasible* when every
target of the scenario is met by its whole 95% interval, and the objective is the mean
``total_cost``. Every evaluation runs on the same seeds (common random numbers,
``sim.experiments.optimize.evaluate``).

The search starts at the analytic estimate (``sim.experiments.optimize.start``) and then:

1. repairs: while infeasible, increase the variable that lowers the total shortfall of the
   targets most per unit of cost;
2. descends: decrease each variable, then swap people between shifts, while the decision stays
   feasible and gets cheaper (the rules are ``sim.experiments.optimize.moves``); each of its
   trials is screened on a few replications first, and one that clearly misses a target stops
   there (``sim.experiments.optimize.evaluate.clearly_missed``);
3. confirms the result with more replications; if it no longer passes, the search continues at
   that number of replications (at most ``MAX_ROUNDS`` times).
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, Literal

import pandas as pd

from sim.experiments.executors import Executor, kept
from sim.experiments.optimize.decisions import (
    Variable,
    apply_decision,
    decision_variables,
    with_bounds,
)
from sim.experiments.optimize.evaluate import Evaluation, Evaluator, Point, kpi_stats
from sim.experiments.optimize.moves import Search
from sim.experiments.optimize.start import analytic_start
from sim.experiments.replicate import Progress
from sim.experiments.store import Store
from sim.scenario.format import Scenario

MAX_ROUNDS = 3
MAX_COST_TOLERANCE = 0.05
MIN_REPLICATIONS = 3  # a t-interval needs n >= 2; 3 keeps its quantile finite and sane
Start = Literal["analytic", "current"]


@dataclass(frozen=True)
class OptimizeResult:
    """The chosen decision, its confirmation run and every evaluation on the way."""

    base: Scenario
    variables: tuple[Variable, ...]
    start: Point
    best: Evaluation
    scenario: Scenario
    feasible: bool
    evaluations: tuple[Evaluation, ...]
    replications_used: int
    search_replications: int
    seed: int
    cost_tolerance: float = 0.0

    def decision(self) -> dict[str, int]:
        """Dotted path -> value for every key the decision sets (``--set`` reproduces it)."""
        out: dict[str, int] = {}
        for var, value in zip(self.variables, self.best.values, strict=True):
            out.update(var.assignments(value))
        return out

    @property
    def binding_kpi(self) -> str:
        """The tightest target at the chosen decision (the KPI of the frontier chart).

        Tightest = the smallest slack between the interval's worst end and the target, relative
        to the target; ``service_level`` when nothing is measurable.
        """
        targets = {k: j for k, j in self.best.result.targets.items() if j.status != "no data"}
        if not targets:
            return "service_level"
        stats = kpi_stats(self.best.result)

        def slack(name: str) -> float:
            j = targets[name]
            at_least = j.direction == "at_least"
            worst = stats[name]["ci_low" if at_least else "ci_high"]
            if math.isnan(worst):
                worst = stats[name]["mean"]
            return (worst - j.target if at_least else j.target - worst) / (abs(j.target) or 1.0)

        return min(targets, key=slack)

    def document(self) -> dict[str, Any]:
        """The ``decision.json`` document."""
        kpis = kpi_stats(self.best.result)
        targets = {k: {"target": j.target, "direction": j.direction, "status": j.status}
                   for k, j in self.best.result.targets.items()}
        start = {}
        for var, value in zip(self.variables, self.start, strict=True):
            start.update(var.assignments(value))
        return {
            "scenario": self.base.name,
            "feasible": self.feasible,
            "decision": self.decision(),
            "cost": self.best.cost,
            "cost_ci": [kpis["total_cost"]["ci_low"], kpis["total_cost"]["ci_high"]],
            "currency": self.base.currency,
            "kpis": kpis,
            "targets": targets,
            "replications": self.best.replications,
            "search_replications": self.search_replications,
            "replications_used": self.replications_used,
            "evaluations": len(self.evaluations),
            "seed": self.seed,
            "start": start,
            "binding_kpi": self.binding_kpi,
            "cost_tolerance": self.cost_tolerance,
        }

    def table(self) -> pd.DataFrame:
        """``evaluations.csv``: one row per evaluation, in the order they were run."""
        kpis = [self.binding_kpi, *(k for k in self.base.targets if k != self.binding_kpi)]
        rows = []
        for ev in self.evaluations:
            stats = kpi_stats(ev.result)
            row: dict[str, Any] = {"evaluation": ev.index, "phase": ev.phase,
                                   "replications": ev.replications}
            row |= {v.path: x for v, x in zip(self.variables, ev.values, strict=True)}
            row |= {"total_cost": ev.cost,
                    "total_cost_ci_low": stats["total_cost"]["ci_low"],
                    "total_cost_ci_high": stats["total_cost"]["ci_high"],
                    "feasible": ev.feasible, "violation": ev.violation,
                    "chosen": ev.index == self.best.index,
                    "screened": ev.screened}
            for k in dict.fromkeys(kpis):
                if k in stats:
                    row |= {k: stats[k]["mean"], f"{k}_ci_low": stats[k]["ci_low"],
                            f"{k}_ci_high": stats[k]["ci_high"]}
            rows.append(row)
        return pd.DataFrame(rows)


def optimize(
    scenario: Scenario,
    decide: Sequence[str],
    *,
    bounds: dict[str, tuple[int, int]] | None = None,
    replications: int | None = None,
    confirm_replications: int | None = None,
    seed: int | None = None,
    executor: Executor | None = None,
    start: Start = "analytic",
    max_evaluations: int = 200,
    progress: Progress | None = None,
    on_evaluation: Callable[[Evaluation], None] | None = None,
    screen: bool = True,
    store: Store | None = None,
    cost_tolerance: float = 0.0,
) -> OptimizeResult:
    """Find the cheapest decision that meets every target of ``scenario`` with confidence.

    Args:
        scenario: The base scenario; its ``targets`` are the constraints.
        decide: ``--decide`` paths (see ``sim.experiments.optimize.decisions.decision_variables``).
        bounds: Path -> (lowest, highest) value, overriding the default ranges.
        replications: Replications per search evaluation (default: the scenario's, at least 3).
        confirm_replications: Replications of the final check (default: twice the search's,
            at least 20).
        seed: Root seed shared by every evaluation (default: the scenario's).
        executor: Where replications run.
        start: "analytic" (textbook estimates) or "current" (the scenario's own values).
        max_evaluations: Budget of evaluations.
        progress: Called with (finished, requested) replications, cumulated over evaluations.
        on_evaluation: Called after each evaluation (for a log).
        screen: Screen the descent's trials on ``SCREEN_REPLICATIONS`` replications first and
            stop those that clearly miss a target (``sim.experiments.optimize.evaluate``);
            False runs every evaluation in full (the method before screening).
        store: A lasting store of replications (e.g. on disk) to read from and add to, so that
            a second command on the same scenarios and seed reruns nothing.
        cost_tolerance: Share of the cost the descent may leave unsaved by skipping the
            variables too cheap to matter (``sim.experiments.optimize.moves``); 0 descends
            every variable.

    Returns:
        The OptimizeResult; ``feasible`` is False when no evaluated decision met every target,
        and ``best`` is then the one closest to doing so.

    Raises:
        ScenarioError: For a ``decide`` or ``bounds`` path the scenario does not have.
        ValueError: For fewer than ``MIN_REPLICATIONS`` replications, or a cost tolerance
            outside [0, ``MAX_COST_TOLERANCE``].
    """
    if not 0.0 <= cost_tolerance <= MAX_COST_TOLERANCE:
        raise ValueError(f"the cost tolerance must be within 0-{MAX_COST_TOLERANCE:g}, "
                         f"got {cost_tolerance:g}")
    reps = scenario.replications if replications is None else replications
    reps = max(reps, MIN_REPLICATIONS) if replications is None else reps
    if reps < MIN_REPLICATIONS:
        raise ValueError(f"the search needs at least {MIN_REPLICATIONS} replications, got {reps}")
    confirm = max(2 * reps, 20) if confirm_replications is None else confirm_replications
    if confirm < reps:
        raise ValueError(f"confirmation replications ({confirm}) below the search's ({reps})")
    root = scenario.seed if seed is None else seed
    variables = decision_variables(scenario, decide)
    initial = (analytic_start(scenario, variables) if start == "analytic"
               else {v.path: v.current for v in variables})
    variables = with_bounds(scenario, variables, initial, bounds or {})
    x0 = tuple(min(max(initial[v.path], v.lower), v.upper) for v in variables)
    with kept(executor) as runner:
        ev = Evaluator(scenario, variables, root, runner, progress, max_evaluations,
                       on_evaluation, screen=screen, store=store)
        search = Search(ev, cost_tolerance)
        point, phase, confirmed = x0, "start", None
        for _ in range(MAX_ROUNDS):
            found = search.repair(point, reps, phase)
            if found is None or not found.feasible:
                break
            found = search.descend(found, reps)
            confirmed = ev.one(found.values, confirm, "confirm")
            if confirmed is None or confirmed.feasible:
                break
            # narrower intervals rejected it: search on with the confirmation's replications
            point, phase, reps, confirm = confirmed.values, "repair", confirm, 2 * confirm
        best = _final(ev.history, confirmed)
        # evaluations keep a slim result; the chosen one gets its series back from the store
        best = dataclasses.replace(best, result=ev.full(best))
    decided = apply_decision(scenario, variables, best.values)
    assert decided is not None  # every evaluated decision was a valid scenario
    return OptimizeResult(scenario, tuple(variables), x0, best, decided,
                          best.feasible, tuple(ev.history), ev.store.simulated, reps, root,
                          cost_tolerance)


def _final(history: Sequence[Evaluation], confirmed: Evaluation | None) -> Evaluation:
    """The confirmed decision, else the cheapest feasible, else the least infeasible."""
    if confirmed is not None and confirmed.feasible:
        return confirmed
    if not history:
        raise RuntimeError("no decision could be evaluated (check the bounds)")
    most = max(e.replications for e in history)
    pool = [e for e in history if e.replications == most]
    feasible = [e for e in pool if e.feasible]
    if feasible:
        return min(feasible, key=lambda e: e.cost)
    return min(pool, key=lambda e: (e.violation, e.cost))

