"""Simulation optimisation: the cheapest decision whose KPIs meet every target with confidence.

This module owns the search behind ``aftersales-sim optimize``. A decision is one integer per
variable (``sim.optimize_start``); it is *feasible* when every target of the scenario is met by
its whole 95% interval (``TargetJudgement.status == "met"``), and the objective is the mean
``total_cost``. Every evaluation uses the same seeds (common random numbers), so two decisions
differ by their effect and not by their luck, and a decision is never simulated twice at the
same number of replications (a cache; replications are also reused when a decision is confirmed
with more of them).

The search starts at the analytic estimate and then:

1. repairs: while infeasible, increase a variable that acts on the most violated target, the
   one whose step lowers the total shortfall most per unit of cost (lazy greedy: gains measured
   earlier are re-measured only for the front runner); steps start at about 5% of a variable's
   value and double after each move of that variable;
2. descends: for each variable, most expensive first, decrease while the decision stays
   feasible and gets cheaper (by the paired 95% interval of the cost difference), the step
   (about 5% of the value at first) doubling after each success until the first failure and
   halving after it (an exponential, then a binary search) down to 1, or 1% of a large value;
   a feasible step whose saving is lost in the noise ends the variable's turn. Then
   cost-lowering swaps between two shifts of the same crew; passes repeat until nothing
   improves;
3. confirms the result with more replications; if it no longer passes, the search continues at
   that number of replications (at most ``MAX_ROUNDS`` times).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import Any, Literal

import pandas as pd

from sim.executors import Executor
from sim.experiments import Progress, RunResult, replicate_many
from sim.optimize_start import (
    Area,
    Variable,
    analytic_start,
    apply_decision,
    decision_variables,
    with_bounds,
)
from sim.precision import MemoryStore, kept_pool
from sim.scenario import Scenario
from sim.stats import paired_difference

MAX_ROUNDS = 3
STEP_SHARE = 0.05
RESOLUTION_SHARE = 0.01
MIN_REPLICATIONS = 3  # a t-interval needs n >= 2; 3 keeps its quantile finite and sane
Start = Literal["analytic", "current"]
Point = tuple[int, ...]

_CALLS: frozenset[Area] = frozenset({"agents"})
_REPAIRS: frozenset[Area] = frozenset({"technicians", "depot", "stock"})
# Which crews or stocks can move a KPI; "other" variables may move anything.
RELEVANT: dict[str, frozenset[Area]] = {
    **dict.fromkeys(("service_level", "asa_seconds", "response_seconds_p90", "abandon_rate",
                     "calls_blocked_rate", "agent_utilization"), _CALLS),
    **dict.fromkeys(("escalation_wait_minutes", "specialist_utilization"),
                    frozenset({"specialists"})),
    "complaint_on_time_rate": frozenset({"complaint_handlers"}),
    **dict.fromkeys(("repair_on_time_rate", "repair_turnaround_hours", "repairs_completed"),
                    _REPAIRS),
    "dispatch_wait_hours": frozenset({"technicians", "depot"}),
    "technician_utilization": frozenset({"technicians"}),
    **dict.fromkeys(("fill_rate", "part_wait_hours", "first_time_fix_rate"),
                    frozenset({"stock"})),
    "followup_on_time_rate": frozenset({"agents", "technicians"}),
}


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


class _Evaluator:
    """Runs decisions under common random numbers, each (decision, replications) once."""

    def __init__(self, base: Scenario, variables: Sequence[Variable], seed: int,
                 executor: Executor | None, progress: Progress | None, max_evaluations: int,
                 on_evaluation: Callable[[Evaluation], None] | None) -> None:
        self.base, self.variables, self.seed = base, list(variables), seed
        self.executor, self.progress = executor, progress
        self.max_evaluations, self.on_evaluation = max_evaluations, on_evaluation
        self.store = MemoryStore()
        self.cache: dict[tuple[Point, int], Evaluation] = {}
        self.history: list[Evaluation] = []
        self._shown = 0

    @property
    def exhausted(self) -> bool:
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


def _first_step(value: int) -> int:
    """A first step of about 5% of the value: +-1 is noise for a stock level of 600."""
    return max(1, round(abs(value) * STEP_SHARE))


def _finest_step(value: int) -> int:
    """The descent's resolution: 1, or 1% of a large value (a stock level of 1000 is settled
    to 10 units; finer steps would cost evaluations for savings below the model's accuracy)."""
    return max(1, round(abs(value) * RESOLUTION_SHARE))


def _moved(p: Point, i: int, delta: int) -> Point:
    return (*p[:i], p[i] + delta, *p[i + 1:])


class _Search:
    """The repair / descent / confirmation procedure on one evaluator."""

    def __init__(self, ev: _Evaluator) -> None:
        self.ev = ev
        self.vars = ev.variables

    def repair(self, x: Point, reps: int, phase: str) -> Evaluation | None:
        """Increase variables until the decision is feasible (or the bounds or budget end).

        The choice is lazy-greedy: a variable's last measured gain (shortfall removed per unit
        of cost) is kept when another variable moves; gains shrink as service improves, so a
        kept gain is an optimistic estimate. Only the variable with the best kept gain is
        re-measured from the new decision, and it moves if it still beats every other kept
        gain. Variables never measured are measured together, in one batch.
        """
        current = self.ev.one(x, reps, phase)
        steps = [_first_step(v) for v in x]
        gains: dict[int, tuple[float, float]] = {}  # kept gain per variable
        fresh: dict[int, Evaluation] = {}  # its trial from the current decision
        while current is not None and not current.feasible and not self.ev.exhausted:
            now = current
            open_ = [i for i, v in enumerate(self.vars) if now.values[i] < v.upper]
            # the most violated target first; then any missed one; then anything that can move
            worst = max(now.shortfalls, key=lambda k: now.shortfalls[k])
            cands = (self._acting_on([worst], open_) or self._acting_on(now.shortfalls, open_)
                     or open_)
            unknown = [i for i in cands if i not in gains]
            self._measure(now, unknown, steps, reps, gains, fresh)
            cands = [i for i in cands if i in gains]
            chosen = None
            while cands and chosen is None:
                best = max(cands, key=lambda i: gains[i])
                if best not in fresh:
                    self._measure(now, [best], steps, reps, gains, fresh)
                    if best not in gains:
                        cands.remove(best)
                        continue
                others = [gains[i] for i in cands if i != best]
                if best in fresh and (not others or gains[best] >= max(others)):
                    chosen = best
            if chosen is None:
                break
            current = fresh[chosen]
            steps[chosen] *= 2
            fresh.clear()
        return current

    def _measure(self, now: Evaluation, which: Sequence[int], steps: Sequence[int], reps: int,
                 gains: dict[int, tuple[float, float]], fresh: dict[int, Evaluation]) -> None:
        """Evaluate one step up of each variable from ``now`` and keep their gains."""
        for i in which:
            gains.pop(i, None)
        trials = [_moved(now.values, i, min(steps[i], self.vars[i].upper - now.values[i]))
                  for i in which]
        for i, trial in zip(which, self.ev.many(trials, reps, "repair"), strict=True):
            if trial is not None:
                gains[i], fresh[i] = self._repair_gain(now, trial), trial

    def _acting_on(self, kpis: Iterable[str], among: Sequence[int]) -> list[int]:
        areas: set[str] = {"other"}
        for k in kpis:
            areas |= RELEVANT.get(k, {v.area for v in self.vars})
        return [i for i in among if self.vars[i].area in areas]

    @staticmethod
    def _repair_gain(before: Evaluation, after: Evaluation) -> tuple[float, float]:
        # shortfall removed per unit of cost added; when nothing helps, the least shortfall
        gain = before.violation - after.violation
        extra = max(after.cost - before.cost, 1e-9 * (abs(before.cost) + 1.0))
        return (gain / extra if gain > 0 else -math.inf, -after.violation)

    def descend(self, best: Evaluation, reps: int) -> Evaluation:
        """Coordinate descent with adaptive steps, then swaps, until nothing improves."""
        order = sorted(range(len(self.vars)), key=lambda i: -self.vars[i].unit_cost)
        improved = True
        while improved and not self.ev.exhausted:
            improved = False
            for i in order:
                step, growing = _first_step(best.values[i]), True
                finest = _finest_step(best.values[i])
                while step >= finest and not self.ev.exhausted:
                    down = min(step, best.values[i] - self.vars[i].lower)
                    if down <= 0:
                        break
                    trial = self.ev.one(_moved(best.values, i, -down), reps, "descent")
                    if trial is not None and trial.feasible and cheaper(trial, best):
                        best, improved = trial, True
                        step = step * 2 if growing else step
                    elif trial is not None and trial.feasible and trial.cost < best.cost:
                        break  # a saving lost in the noise: a smaller step saves even less
                    else:
                        # infeasible, or dearer (e.g. penalties outgrow the saving): the
                        # boundary is bracketed, so bisect from here on and never grow again
                        step, growing = step // 2, False
            if not improved:
                swapped = self._swap(best, reps)
                improved = swapped is not best
                best = swapped
        return best

    def _swap(self, best: Evaluation, reps: int) -> Evaluation:
        """One person moved from a dearer shift to a cheaper one of the same crew, if it pays."""
        for j, dear in enumerate(self.vars):
            for i, cheap in enumerate(self.vars):
                if not (dear.group and dear.group == cheap.group
                        and cheap.unit_cost < dear.unit_cost):
                    continue
                trial = self.ev.one(_moved(_moved(best.values, i, 1), j, -1), reps, "swap")
                if trial is not None and trial.feasible and cheaper(trial, best):
                    return trial
        return best


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
                    "chosen": ev is self.best}
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
) -> OptimizeResult:
    """Find the cheapest decision that meets every target of ``scenario`` with confidence.

    Args:
        scenario: The base scenario; its ``targets`` are the constraints.
        decide: ``--decide`` paths (see ``sim.optimize_start.decision_variables``).
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

    Returns:
        The OptimizeResult; ``feasible`` is False when no evaluated decision met every target,
        and ``best`` is then the one closest to doing so.

    Raises:
        ScenarioError: For a ``decide`` or ``bounds`` path the scenario does not have.
        ValueError: For fewer than ``MIN_REPLICATIONS`` replications.
    """
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
    with kept_pool(executor) as runner:
        ev = _Evaluator(scenario, variables, root, runner, progress, max_evaluations,
                        on_evaluation)
        search = _Search(ev)
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
    decided = apply_decision(scenario, variables, best.values)
    assert decided is not None  # every evaluated decision was a valid scenario
    return OptimizeResult(scenario, tuple(variables), x0, best, decided,
                          best.feasible, tuple(ev.history), ev.store.simulated, reps, root)


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

