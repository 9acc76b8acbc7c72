"""Evaluating the optimizer's decisions: simulated under common random numbers, judged by targets.

This module owns what one evaluation of a decision is (``Evaluation``), running decisions
(``Evaluator``), judging a run against the scenario's targets (``shortfalls``) and comparing two
runs' costs (``cheaper``). A decision is *feasible* when every target of the scenario is met by
its whole 95% interval (``TargetJudgement.status == "met"``). Every evaluation uses the same seeds
(common random numbers), so two decisions differ by their effect and not by their luck, and a
decision is never simulated twice at the same number of replications (a cache; replications are
also reused when a decision is confirmed with more of them). The moves between decisions are
``sim.experiments.optimize.moves``; the search is ``sim.experiments.optimize.solve``.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from sim.experiments.executors import Executor
from sim.experiments.optimize.decisions import Variable, apply_decision
from sim.experiments.replicate import Progress, RunResult, replicate_many
from sim.experiments.store import MemoryStore
from sim.measure.stats import paired_difference
from sim.scenario.format import Scenario

Point = tuple[int, ...]


@dataclass(frozen=True)
class Evaluation:
    """One decision simulated at one number of replications."""

    index: int
    values: Point
    replications: int
    phase: str
    result: RunResult
    cost: float
    shortfalls: dict[str, float]

    @property
    def feasible(self) -> bool:
        """Every measurable target met by the whole 95% interval."""
        return not self.shortfalls

    @property
    def violation(self) -> float:
        """Sum of the relative shortfalls of the missed targets."""
        return sum(self.shortfalls.values())


def kpi_stats(result: RunResult) -> dict[str, dict[str, float]]:
    """KPI -> {mean, ci_low, ci_high} from a result's summary."""
    return {str(r["kpi"]): {k: float(r[k]) for k in ("mean", "ci_low", "ci_high")}
            for r in result.summary.to_dict("records")}


def shortfalls(result: RunResult) -> dict[str, float]:
    """The targets a result misses, each with its relative shortfall.

    A target is missed unless its whole 95% interval is on the good side. Its shortfall is the
    distance from the interval's worst end (the lower bound of an at-least target, the upper of
    an at-most one) to the target, relative to the target; targets the scenario cannot measure
    ("no data") are left out.

    Args:
        result: A run of at least two replications.

    Returns:
        Missed KPI -> shortfall (>= 0); empty when every target is met with confidence.
    """
    stats = kpi_stats(result)
    out: dict[str, float] = {}
    for name, judged in result.targets.items():
        if judged.status in ("met", "no data"):
            continue
        at_least = judged.direction == "at_least"
        worst = stats[name]["ci_low" if at_least else "ci_high"]
        if math.isnan(worst):
            worst = stats[name]["mean"]
        gap = judged.target - worst if at_least else worst - judged.target
        out[name] = max(gap, 0.0) / (abs(judged.target) or 1.0)
    return out


class Evaluator:
    """Runs decisions under common random numbers, each (decision, replications) once."""

    def __init__(self, base: Scenario, variables: Sequence[Variable], seed: int,
                 executor: Executor | None, progress: Progress | None, max_evaluations: int,
                 on_evaluation: Callable[[Evaluation], None] | None) -> None:
        """Start with an empty cache and history; every run shares the root ``seed``."""
        self.base, self.variables, self.seed = base, list(variables), seed
        self.executor, self.progress = executor, progress
        self.max_evaluations, self.on_evaluation = max_evaluations, on_evaluation
        self.store = MemoryStore()
        self.cache: dict[tuple[Point, int], Evaluation] = {}
        self.history: list[Evaluation] = []
        self._shown = 0

    @property
    def exhausted(self) -> bool:
        """Whether the budget of evaluations is spent."""
        return len(self.history) >= self.max_evaluations

    def many(self, points: Sequence[Point], reps: int, phase: str) -> list[Evaluation | None]:
        """Evaluate points in one batch; None for a point outside the bounds or invalid."""
        scenarios: dict[Point, Scenario] = {}
        for p in points:
            if (p, reps) in self.cache or p in scenarios or not self._inside(p):
                continue
            if len(self.history) + len(scenarios) >= self.max_evaluations:
                break
            decided = apply_decision(self.base, self.variables, p)
            if decided is not None:
                scenarios[p] = decided
        if scenarios:
            offset = self._shown

            def shifted(done: int, total: int) -> None:
                if self.progress is not None:
                    self.progress(offset + done, offset + total)

            results = replicate_many(list(scenarios.values()), reps, self.seed,
                                     executor=self.executor, progress=shifted, store=self.store)
            self._shown += reps * len(scenarios)
            for p, result in zip(scenarios, results, strict=True):
                cost = kpi_stats(result)["total_cost"]["mean"]
                ev = Evaluation(len(self.history), p, reps, phase, result, cost,
                                shortfalls(result))
                self.cache[(p, reps)] = ev
                self.history.append(ev)
                if self.on_evaluation is not None:
                    self.on_evaluation(ev)
        return [self.cache.get((p, reps)) for p in points]

    def one(self, point: Point, reps: int, phase: str) -> Evaluation | None:
        """Evaluate one point (see ``many``)."""
        return self.many([point], reps, phase)[0]

    def _inside(self, p: Point) -> bool:
        return all(v.lower <= x <= v.upper for v, x in zip(self.variables, p, strict=True))


def cheaper(a: Evaluation, b: Evaluation) -> bool:
    """Whether ``a`` costs less than ``b`` beyond the noise.

    Both ran on the same seeds, so the per-replication cost differences are paired: ``a`` is
    cheaper when their 95% t-interval lies wholly below 0 (exactly, for a cost that does not
    vary, such as staff without overtime). A saving the replications cannot tell from noise
    (a few units of cheap stock against the late-repair penalties they avoid) is not worth an
    evaluation more, nor a move.
    """
    diff = paired_difference(b.result.replications["total_cost"].to_numpy(float),
                             a.result.replications["total_cost"].to_numpy(float))
    return bool(diff.diff_ci_high < 0)
