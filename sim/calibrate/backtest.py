"""The back-test of a fit: simulate the fitted scenario, compare its KPIs with the records'.

This module owns ``backtest`` (``aftersales-sim fit --backtest N``): it runs the fitted scenario
with event logs, measures both sides with the same function (``sim.calibrate.measures.log_kpis``)
and compares each KPI with a Welch interval of the difference in means. The intervals are
Bonferroni-adjusted so that, when the fit is right, all of them cover 0 together with the fit's
confidence: one "differs" then means something the fit missed, not chance.

The unit of comparison is the replication (weekly service level averaged within it) when both
sides have at least three replications: those are independent. A company's own records
are one history, so then weeks are compared; consecutive weeks are correlated (backlogs carry
over), which makes that interval somewhat optimistic, as the report says.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from sim.calibrate.builder import Fit
from sim.calibrate.estimators import Estimate
from sim.calibrate.logs import event_tables
from sim.calibrate.measures import LOG_KPIS, kpi_samples, sample_unit
from sim.calibrate.read import as_text, check_logs
from sim.experiments.executors import Executor
from sim.experiments.replicate import replicate
from sim.measure.stats import t_interval, welch_interval


@dataclass(frozen=True)
class KpiCheck:
    """One KPI of the back-test: both means, and the interval of their difference."""

    kpi: str
    records: Estimate
    fitted: Estimate
    diff_low: float
    diff_high: float

    @property
    def agrees(self) -> bool:
        """The difference interval covers 0."""
        return self.diff_low <= 0.0 <= self.diff_high


@dataclass(frozen=True)
class BackTest:
    """The fitted scenario's KPIs against the records'.

    Attributes:
        checks: One per KPI both sides can measure.
        unit: ``replication`` or ``week``: what one observation is.
        replications: Replications of the fitted scenario.
        seed: Their seed.
        confidence: Joint level of the difference intervals; each is at
            ``1 - (1 - confidence) / len(checks)``.
    """

    checks: list[KpiCheck]
    unit: str
    replications: int
    seed: int
    confidence: float

    @property
    def agrees(self) -> bool:
        """Every KPI agrees."""
        return all(c.agrees for c in self.checks)

    @property
    def each_level(self) -> float:
        """Level of each KPI's interval (Bonferroni)."""
        return 1 - (1 - self.confidence) / max(len(self.checks), 1)


def compare(records: pd.DataFrame, fitted: pd.DataFrame, confidence: float) -> list[KpiCheck]:
    """Each KPI both tables measure (two values or more on each side), Bonferroni-adjusted."""
    pairs = {}
    for kpi in LOG_KPIS:
        a = records[kpi].to_numpy(float)
        b = fitted[kpi].to_numpy(float)
        a, b = a[np.isfinite(a)], b[np.isfinite(b)]
        if len(a) >= 2 and len(b) >= 2:
            pairs[kpi] = (a, b)
    each = 1 - (1 - confidence) / max(len(pairs), 1)
    checks = []
    for kpi, (a, b) in pairs.items():
        low, high = welch_interval(a, b, each)
        ra, rb = t_interval(a, confidence), t_interval(b, confidence)
        checks.append(KpiCheck(kpi, Estimate(ra.mean, ra.ci_low, ra.ci_high),
                               Estimate(rb.mean, rb.ci_low, rb.ci_high), low, high))
    return checks


def backtest(fit: Fit, replications: int, seed: int | None = None, workers: int | None = None,
             executor: Executor | None = None) -> BackTest:
    """Simulate the fitted scenario and compare its KPIs with the records'.

    Args:
        fit: From ``sim.calibrate.fit.fit_logs``.
        replications: Replications of the fitted scenario (>= 2).
        seed: Their seed; default the scenario's seed + 1, so that records made by this model
            with the base's seed are not compared with their own random numbers.
        workers: Processes (None = all cores).
        executor: Where to run them instead (e.g. a Dask cluster).
    """
    scenario = fit.scenario
    seed = scenario.seed + 1 if seed is None else seed
    run = replicate(scenario, replications=replications, seed=seed, workers=workers,
                    executor=executor, logs=event_tables)
    assert run.events is not None
    simulated = check_logs({kind: as_text(table) for kind, table in run.events.items()
                            if kind in ("calls", "work_orders")},
                           {"calls": "fitted run calls", "work_orders": "fitted run work orders"})
    unit = sample_unit(fit.logs.reps, replications)
    target = scenario.call_center.answer_target_seconds
    checks = compare(kpi_samples(fit.logs, target, unit), kpi_samples(simulated, target, unit),
                     fit.confidence)
    return BackTest(checks, unit, replications, seed, fit.confidence)
