"""The monthly and quarterly appraisal: each targeted KPI per calendar month and quarter, with its
95% interval and the share of replications in which the period met its target.

This module owns ``appraisal_table`` (the rows of ``appraisal.csv``, columns fixed by the scenario
contract: ``period``, ``kpi``, ``mean``, ``ci_low``, ``ci_high``, ``met_share``, then extras). A
period's KPI is the ledger combined over its measured days (``sim.measure.ledger
.kpis_by_period``, what ``sim.experiments.windows.period_kpis`` gives), so a month has the
horizon's definition; a month cut by the warm-up or the horizon counts only its measured days
(``measured_days`` says how many). ``met_share`` is, among the replications with a value for the
period, the share whose value meets the target (at least / at most it, by the KPI's direction);
``status`` is the interval's verdict, as for the whole run.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd

from sim.experiments.budget import as_periods, measured_months, measured_quarters
from sim.measure.catalog import KPI_BY_NAME
from sim.measure.ledger import Ledger, kpis_by_period
from sim.measure.stats import judge_target, t_interval
from sim.scenario.format import Scenario

CONTRACT_COLUMNS: tuple[str, ...] = ("period", "kpi", "mean", "ci_low", "ci_high", "met_share")
COLUMNS: tuple[str, ...] = (*CONTRACT_COLUMNS, "kind", "target", "direction", "status", "n",
                            "measured_days", "first_day", "last_day")


def meets(values: np.ndarray, target: float, direction: str) -> np.ndarray:
    """Whether each value meets the target (touching it counts as meeting); NaN never does."""
    values = np.asarray(values, dtype=float)
    return values >= target if direction == "at_least" else values <= target


def appraisal_table(scenario: Scenario, ledger: Ledger) -> pd.DataFrame:
    """Per calendar month, then per quarter, and per targeted KPI (in the order of the
    scenario's targets): mean, 95% t-interval clipped to the KPI's bounds, met share, verdict.

    Args:
        scenario: The scenario that ran (start date and targets).
        ledger: The replications' ledgers, stacked.

    Returns:
        Columns ``COLUMNS``; empty (with the columns) when the scenario has no targets.
    """
    periods = [*measured_months(scenario), *measured_quarters(scenario)]
    if not scenario.targets or not periods:
        return pd.DataFrame(columns=list(COLUMNS))
    values = kpis_by_period(ledger, as_periods(periods))
    rows = []
    for period in periods:
        mine = values[values["period"] == period.label]
        for kpi, target in scenario.targets.items():
            info = KPI_BY_NAME[kpi]
            x = mine[kpi].to_numpy(float)
            x = x[~np.isnan(x)]
            ci = t_interval(x)
            low, high = info.bounds
            rows.append({
                "period": period.label, "kpi": kpi, "mean": ci.mean,
                "ci_low": min(max(ci.ci_low, low), high) if ci.n >= 2 else math.nan,
                "ci_high": max(min(ci.ci_high, high), low) if ci.n >= 2 else math.nan,
                "met_share": float(meets(x, target, info.direction).mean()) if len(x) else math.nan,
                "kind": period.kind, "target": float(target), "direction": info.direction,
                "status": judge_target(ci, target, info.direction).status, "n": ci.n,
                "measured_days": period.measured_days, "first_day": period.first_day,
                "last_day": period.last_day})
    return pd.DataFrame(rows, columns=list(COLUMNS)).astype({"n": "int64"})
