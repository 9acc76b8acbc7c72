"""Evaluating the optimizer's decisions: simulated under common random numbers, judged by targets.

This module owns what one evaluation of a decision is (``Evaluation``), running decisions
(``Evaluator``), judging a run against the scenario's targets (``shortfalls``) and comparing two
runs' costs (``cheaper``). A decision is *feasible* when every target of the scenario is met by
its whole 95% interval (``TargetJudgement.status == "met"``). Every evaluation uses the same seeds
(common random numbers), so two decisions differ by their effect and not by their luck, and a
decision is never simulated twice at the same number of replications (a cache; replications are
also reused when a decision is confirmed with more of them, and across commands through a lasting
store). The descent's trials are first screened on a few replications: those already missing a
target beyond doubt stop there (``clearly_missed``, with its error rate). Evaluations keep only
what the search reads (``slim``); the store holds each replication's outcome once. The moves
between decisions are ``sim.experiments.optimize.moves``; the search is
``sim.experiments.optimize.solve``.
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Callable, Collection, Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy.stats import t as student_t

from sim.experiments.executors import Executor
from sim.experiments.optimize.decisions import Variable, apply_decision
from sim.experiments.replicate import Progress, RunResult, replicate_many
from sim.experiments.store import MemoryStore, Store
from sim.measure.ledger import Ledger
from sim.measure.outcome import Outcome
from sim.measure.stats import paired_difference, t_half_width
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
    screened: bool = False
    """Stopped after the screening replications: a target was clearly missed."""

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


SCREEN_REPLICATIONS = 4
"""Replications of the screening stage: two full rounds of a 2-worker pool, and a t-quantile
(3 degrees of freedom) that lets a clear miss show."""
SCREENED_PHASES = frozenset({"descent", "swap"})
"""Phases whose trials are screened: they only ask feasible or not. Repair weighs how much a
step lowers the shortfall, which a short run's wide interval would distort; the confirmation
must run in full."""
SCREEN_ERROR = 0.05
"""Chance at most that the screen drops a decision whose every target is truly met."""


def clearly_missed(result: RunResult, error: float = SCREEN_ERROR) -> list[str]:
    """The targets a short run already shows missed beyond doubt.

    A target is clearly missed when the one-sided ``1 - error / T`` t-bound of its mean (T: the
    number of measurable targets) lies on the wrong side: the lower bound of an at-most target
    above it, the upper bound of an at-least one below it. For a decision whose every target's
    true mean is on the good side, each target is called missed with probability at most
    ``error / T``, so the decision is dropped with probability at most ``error`` (Bonferroni).
    Feasibility asks more (the whole 95% interval on the good side), so a decision the screen
    would wrongly drop is one whose full run would very likely fail too.

    Args:
        result: A run of at least two replications.
        error: The chance allowed of dropping a decision that meets every target.

    Returns:
        The clearly missed KPIs (empty: the decision goes on to the full run).
    """
    judged = {k: j for k, j in result.targets.items() if j.status != "no data"}
    if not judged:
        return []
    out = []
    for name, j in judged.items():
        values = result.replications[name].to_numpy(float)
        values = values[~np.isnan(values)]
        if values.size < 2:
            continue
        half = (float(student_t.ppf(1.0 - error / len(judged), values.size - 1))
                * float(values.std(ddof=1)) / math.sqrt(values.size))
        mean = float(values.mean())
        if (mean + half < j.target) if j.direction == "at_least" else (mean - half > j.target):
            out.append(name)
    return out


def clearly_missed_against(result: RunResult, reference: RunResult, full: int,
                           kpis: Collection[str], error: float = SCREEN_ERROR) -> list[str]:
    """The targets a short run will miss at ``full`` replications beyond doubt, judged by its
    paired difference from a reference decision run on the same seeds.

    Under common random numbers the difference of a trial from its neighbour varies far less
    than either run, so a few replications show a miss that the trial's own interval cannot.
    With the reference's first ``full`` replications known, the trial's mean over ``full``
    replications is the reference's plus the mean difference; the differences still to come are
    bounded by the one-sided ``1 - error / T`` t-prediction bound of their mean (T: the targets
    tested, those in ``kpis`` that can be measured).

    Feasibility asks the whole full-run interval on the good side, and that interval is at
    least as wide as the known replications alone make it: the full run's squared deviations
    from its mean add up to at least those of the first replications from theirs. A target is
    clearly missed when the optimistic full-run mean lies on the wrong side of the target moved
    by that least half-width. A trial whose full run meets the target has its mean at least a
    full half-width, so at least the least one, on the good side: the screen can drop it only
    when the optimistic mean falls short of the full-run mean, which has probability at most
    ``error / T``. So such a trial is dropped with probability at most ``error`` (Bonferroni).

    Args:
        result: The trial's first replications (at least two, fewer than ``full``).
        reference: A decision with at least ``full`` replications on the same seeds.
        full: The replications the trial would otherwise run.
        kpis: The targets the move can affect (chosen before the run: the others are not
            tested and cannot be called missed).
        error: The chance allowed of dropping a trial whose full run meets every target.

    Returns:
        The clearly missed KPIs (empty: the trial goes on to the full run).
    """
    judged = {k: j for k, j in result.targets.items() if j.status != "no data" and k in kpis}
    trial = result.replications.sort_values("rep")
    ref = reference.replications.sort_values("rep").iloc[:full]
    n, rest = len(trial), full - len(trial)
    if not judged or len(ref) < full or n < 2 or rest <= 0:
        return []
    out = []
    for name, j in judged.items():
        x, y = trial[name].to_numpy(float), ref[name].to_numpy(float)
        if np.isnan(x).any() or np.isnan(y).any():
            continue
        d = x - y[:n]
        q = float(student_t.ppf(1.0 - error / len(judged), n - 1))
        spread = q * float(d.std(ddof=1)) * math.sqrt(1.0 / n + 1.0 / rest)
        at_least = j.direction == "at_least"
        rest_mean = d.mean() + (spread if at_least else -spread)
        optimistic = (y.sum() + d.sum() + rest * rest_mean) / full
        least_half = t_half_width(math.sqrt(float(((x - x.mean()) ** 2).sum()) / (full - 1)),
                                  full)
        if ((optimistic - least_half < j.target) if at_least
                else (optimistic + least_half > j.target)):
            out.append(name)
    return out


def slim(result: RunResult) -> RunResult:
    """A result that keeps what the search reads (KPIs per replication, summary, verdicts).

    The store already holds every replication's outcome, from which ``replicate_many`` rebuilds
    the full result without simulating; keeping each evaluation's stacked series too held every
    outcome twice (about 400 MB at 200 baseline evaluations).
    """
    empty = pd.DataFrame()
    return dataclasses.replace(
        result, daily=empty, hourly=empty, budget=empty, wait_hist=empty, turnaround_hist=empty,
        ledger=Ledger(empty, {}), appraisal=empty, late_drivers=empty, run_out=empty, events=None)


class Layered:
    """The evaluator's store: replications in memory, optionally backed by a lasting store.

    A replication found in the backing store (a disk store from an earlier command) is read
    back and kept in memory; ``simulated`` counts only the replications actually run.
    """

    def __init__(self, backing: Store | None) -> None:
        """Start with an empty memory over ``backing`` (None: memory only)."""
        self.memory = MemoryStore()
        self.backing = backing

    @property
    def simulated(self) -> int:
        """Replications actually run (not read back)."""
        return self.memory.simulated

    def get(self, digest: str, root_seed: int, rep: int) -> tuple[int, Outcome] | None:
        """From memory, else from the backing store (then kept in memory too)."""
        kept = self.memory.get(digest, root_seed, rep)
        if kept is None and self.backing is not None:
            kept = self.backing.get(digest, root_seed, rep)
            if kept is not None:
                self.memory.keep(digest, root_seed, rep, *kept)
        return kept

    def put(self, digest: str, root_seed: int, rep: int, rep_seed: int, outcome: Outcome
            ) -> None:
        """Keep a replication just run, in memory and in the backing store."""
        self.memory.put(digest, root_seed, rep, rep_seed, outcome)
        if self.backing is not None:
            self.backing.put(digest, root_seed, rep, rep_seed, outcome)

    def reject(self, digest: str, root_seed: int, rep: int) -> None:
        """Forget a replication that failed a check, everywhere."""
        self.memory.reject(digest, root_seed, rep)
        if self.backing is not None:
            self.backing.reject(digest, root_seed, rep)


class Evaluator:
    """Runs decisions under common random numbers, each (decision, replications) once.

    With ``screen`` (the default), a batch of the ``SCREENED_PHASES`` first runs
    ``SCREEN_REPLICATIONS`` replications of each decision; those that already miss a target
    beyond doubt (``clearly_missed``) stop there and are recorded as infeasible, the others go on
    to the full number (the first replications are reused, not rerun). The descent only asks
    whether a trial is feasible, so a decision so dropped is one it would (with probability at
    least 1 - ``SCREEN_ERROR``) have rejected anyway: the same path for fewer replications.
    """

    def __init__(self, base: Scenario, variables: Sequence[Variable], seed: int,
                 executor: Executor | None, progress: Progress | None, max_evaluations: int,
                 on_evaluation: Callable[[Evaluation], None] | None, *, screen: bool = True,
                 store: Store | None = None) -> None:
        """Start with an empty cache and history; every run shares the root ``seed``."""
        self.base, self.variables, self.seed = base, list(variables), seed
        self.executor, self.progress = executor, progress
        self.max_evaluations, self.on_evaluation = max_evaluations, on_evaluation
        self.screen = screen
        self.store = Layered(store)
        self.cache: dict[tuple[Point, int], Evaluation] = {}
        self.history: list[Evaluation] = []
        self._shown = 0

    @property
    def exhausted(self) -> bool:
        """Whether the budget of evaluations is spent."""
        return len(self.history) >= self.max_evaluations

    def many(self, points: Sequence[Point], reps: int, phase: str,
             reference: Evaluation | None = None, kpis: Collection[str] = ()
             ) -> list[Evaluation | None]:
        """Evaluate points in one batch; None for a point outside the bounds or invalid.

        With a ``reference`` (a decision already run on at least ``reps`` replications), the
        screen judges each point by its paired difference from it on the targets in ``kpis``
        (``clearly_missed_against``); without one, by its own interval on every target
        (``clearly_missed``).
        """
        scenarios: dict[Point, Scenario] = {}
        for p in points:
            if (p, reps) in self.cache or p in scenarios or not self._inside(p):
                continue
            if len(self.history) + len(scenarios) >= self.max_evaluations:
                break
            decided = apply_decision(self.base, self.variables, p)
            if decided is not None:
                scenarios[p] = decided
        if (scenarios and self.screen and phase in SCREENED_PHASES
                and reps > SCREEN_REPLICATIONS):
            first = self._run(scenarios, SCREEN_REPLICATIONS, len(scenarios) * reps)
            for p, result in first.items():
                if (clearly_missed(result) if reference is None else clearly_missed_against(
                        result, reference.result, reps, kpis)):
                    self._record(p, reps, phase, result, screened=True)
                    del scenarios[p]
            # the dropped decisions' replications are done: the bar moves past them
            self._shown += (reps - SCREEN_REPLICATIONS) * (len(first) - len(scenarios))
        if scenarios:
            for p, result in self._run(scenarios, reps, len(scenarios) * reps).items():
                self._record(p, reps, phase, result, screened=False)
        return [self.cache.get((p, reps)) for p in points]

    def _run(self, scenarios: dict[Point, Scenario], reps: int, planned: int
             ) -> dict[Point, RunResult]:
        """``reps`` replications of each scenario, in one pool; ``planned`` for the bar."""
        offset = self._shown

        def shifted(done: int, total: int) -> None:
            if self.progress is not None:
                self.progress(offset + done, offset + max(total, planned))

        results = replicate_many(list(scenarios.values()), reps, self.seed,
                                 executor=self.executor, progress=shifted, store=self.store)
        self._shown += reps * len(scenarios)
        return dict(zip(scenarios, results, strict=True))

    def _record(self, p: Point, reps: int, phase: str, result: RunResult, screened: bool
                ) -> None:
        cost = kpi_stats(result)["total_cost"]["mean"]
        ev = Evaluation(len(self.history), p, len(result.replications), phase, slim(result),
                        cost, shortfalls(result), screened)
        self.cache[(p, reps)] = ev
        self.history.append(ev)
        if self.on_evaluation is not None:
            self.on_evaluation(ev)

    def one(self, point: Point, reps: int, phase: str, reference: Evaluation | None = None,
            kpis: Collection[str] = ()) -> Evaluation | None:
        """Evaluate one point (see ``many``)."""
        return self.many([point], reps, phase, reference, kpis)[0]

    def full(self, evaluation: Evaluation) -> RunResult:
        """An evaluation's whole result (series, ledger, budget), rebuilt from the store."""
        decided = apply_decision(self.base, self.variables, evaluation.values)
        assert decided is not None  # it was evaluated, so it is a valid scenario
        return replicate_many([decided], evaluation.replications, self.seed,
                              executor=self.executor, store=self.store)[0]

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
