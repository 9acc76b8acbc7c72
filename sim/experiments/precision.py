"""Sequential replications: add replications until the KPIs are estimated precisely enough.

This module owns the stopping rule of ``aftersales-sim run --precision``: a first batch of
replications, then more in batches, until the 95% half-width of every watched KPI is within a
relative precision of its mean or a cap is reached (Law & Kelton, *Simulation Modeling and
Analysis*, 5th ed., §9.4.1). It also owns two helpers of every procedure that extends a run step
by step (here, and the optimizer): ``MemoryStore`` keeps finished replications in memory so that
a run grows without redoing any; ``sim.experiments.executors.kept`` keeps one process pool for
all the steps.

Replication ``r`` always uses the seed ``replication_seed(seed, r)``: a run that stops at ``n``
is the same run as a fixed ``--reps n`` run, and the rule is checked replication by replication
in order, so where it stops does not depend on the batch size or the number of workers.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any, Literal

from sim.experiments.executors import Executor, kept
from sim.experiments.replicate import Progress, RunResult, replicate_many
from sim.experiments.store import MemoryStore
from sim.measure.stats import Welford
from sim.scenario.format import Scenario

FIRST_BATCH = 10  # n0: below ~10 replications the variance estimate itself is too noisy
StopReason = Literal["precision", "max_reps"]


@dataclass(frozen=True)
class StopReport:
    """Why a sequential run stopped, and how precise each watched KPI was at that point."""

    reason: StopReason
    replications: int
    simulated: int
    relative: float
    threshold: float
    rel_half_widths: dict[str, float] = field(default_factory=dict)
    wide: tuple[str, ...] = ()

    def message(self) -> str:
        """One or two lines for the terminal."""
        if self.reason == "precision":
            return (f"precision: met at n = {self.replications} replications: every watched KPI "
                    f"has a 95% half-width within {self.relative:.2%} of its mean "
                    f"({len(self.rel_half_widths)} KPIs, adjusted threshold "
                    f"{self.threshold:.4f})")
        worst = ", ".join(f"{k} ({_pct(self.rel_half_widths[k])})" for k in self.wide)
        return (f"precision: stopped at --max-reps {self.replications} before reaching "
                f"{self.relative:.2%}; still wide: {worst}")

    def as_dict(self) -> dict[str, Any]:
        """The report as plain data (for ``manifest.json``)."""
        return {"reason": self.reason, "replications": self.replications,
                "simulated": self.simulated, "relative": self.relative,
                "threshold": self.threshold, "rel_half_widths": dict(self.rel_half_widths),
                "wide": list(self.wide)}


def _pct(value: float) -> str:
    return "no interval" if math.isnan(value) else f"{value:.2%}"


def watched_kpis(result: RunResult) -> list[str]:
    """The KPIs whose precision decides: the targeted ones, else every KPI with a finite mean.

    A targeted KPI the scenario cannot measure (nan mean, e.g. ``fill_rate`` without parts) is
    left out: no number of replications would make it precise.
    """
    means = result.summary.set_index("kpi")["mean"]
    finite = [str(k) for k, m in means.items() if math.isfinite(float(m))]
    targeted = [k for k in result.scenario.targets if k in finite]
    return targeted or finite


def _relative_half_width(acc: Welford, confidence: float) -> float:
    half = acc.half_width(confidence)
    if half == 0:
        return 0.0  # exact (every replication equal): precise whatever the mean
    return half / abs(acc.mean) if acc.mean != 0 else math.inf


def replicate_to_precision(
    scenario: Scenario,
    relative: float,
    max_reps: int,
    seed: int | None = None,
    executor: Executor | None = None,
    progress: Progress | None = None,
    *,
    initial: int | None = None,
    batch: int | None = None,
    confidence: float = 0.95,
) -> tuple[RunResult, StopReport]:
    """Run replications until the watched KPIs reach a relative precision, or ``max_reps``.

    The rule is Law & Kelton's relative-error procedure: stop at the first n >= n0 at which
    h/|mean| <= relative / (1 + relative) for every watched KPI (the adjusted threshold makes the
    *actual* relative error of the mean at most ``relative`` with the stated confidence). The
    half-widths are kept with Welford's online update, replication by replication in order.

    Args:
        scenario: The scenario to run.
        relative: Wanted relative precision, e.g. 0.02 for 2%; in (0, 1).
        max_reps: Cap on the replications of the result (>= 1).
        seed: Root seed (default: the scenario's).
        executor: Where replications run (default: chosen per batch).
        progress: Called with (finished, requested) as replications finish.
        initial: First batch; at least ``FIRST_BATCH`` (default: the scenario's replications).
        batch: Replications added per round (default: the executor's workers, else 1); it
            changes only the wall time, never where the run stops.
        confidence: Two-sided confidence level of the half-widths.

    Returns:
        The result of exactly n replications (identical to a fixed run of n) and the report.

    Raises:
        ValueError: If ``relative`` or ``max_reps`` is out of range.
    """
    if not 0.0 < relative < 1.0:
        raise ValueError(f"relative precision must be in (0, 1), got {relative}")
    if max_reps < 1:
        raise ValueError(f"max_reps must be at least 1, got {max_reps}")
    root = scenario.seed if seed is None else seed
    first = min(max_reps, max(scenario.replications if initial is None else initial,
                              FIRST_BATCH))
    threshold = relative / (1.0 + relative)
    store = MemoryStore()
    accumulators: dict[str, Welford] = {}
    checked = 0
    requested = first
    reason: StopReason | None = None
    with kept(executor) as runner:
        step = max(1, batch if batch is not None else int(getattr(runner, "workers", 1)))
        while reason is None:
            result = replicate_many([scenario], requested, root, executor=runner,
                                    progress=progress, store=store)[0]
            if not accumulators:
                accumulators = {k: Welford() for k in watched_kpis(result)}
            columns = {k: result.replications[k].to_numpy(float) for k in accumulators}
            for rep in range(checked, requested):
                for name, acc in accumulators.items():
                    acc.add(float(columns[name][rep]))
                checked = rep + 1
                if checked >= first and all(_relative_half_width(a, confidence) <= threshold
                                            for a in accumulators.values()):
                    reason = "precision"
                    break
            if reason is None and checked >= max_reps:
                reason = "max_reps"
            requested = min(max_reps, requested + step)
    widths = {k: _relative_half_width(a, confidence) for k, a in accumulators.items()}
    # nan (fewer than 2 replications) is "not shown precise", hence `not <=` rather than `>`
    wide = tuple(sorted((k for k, w in widths.items() if not w <= threshold),
                        key=lambda k: -widths[k] if math.isfinite(widths[k]) else -math.inf))
    report = StopReport(reason, checked, store.simulated, relative, threshold, widths, wide)
    # The first `checked` replications are all in the store: this assembles, it runs nothing.
    final = replicate_many([scenario], checked, root, store=store)[0]
    return final, report
