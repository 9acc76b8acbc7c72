"""KPIs over any days of a run already made: a window (a peak), each day, calendar periods.

This module owns ``WindowSummary`` and ``window_summary`` (the replication table, the summary
with t-intervals and the target verdicts of days ``first_day..last_day``), ``daily_kpis``
(every KPI per replication and day, e.g. for stress tests) and ``period_kpis`` (every KPI per
replication and labelled period, e.g. calendar months). All of them combine the run's ledger
(``RunResult.ledger``) with ``sim.measure.ledger``, so a window's KPI has the horizon's
definition, and judge with the same rules as the whole run (``verdicts.judged``). Days are days
of the clock (day 0 starts at minute 0), as in ``daily.csv`` and demand events.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import pandas as pd

from sim.experiments.replicate import RunResult
from sim.experiments.verdicts import judged
from sim.measure.ledger import combine, kpis_by_day, kpis_by_period
from sim.measure.stats import TargetJudgement


@dataclass(frozen=True)
class WindowSummary:
    """A run's KPIs over days ``first_day..last_day`` (both included).

    Attributes:
        first_day: First day of the window.
        last_day: Last day of the window.
        replications: One row per replication: ``rep``, ``seed``, every KPI over the window.
        summary: Per KPI: mean, std, 95% t-interval (bounded KPIs clipped), n.
        targets: The scenario's targets judged on the window.
    """

    first_day: int
    last_day: int
    replications: pd.DataFrame
    summary: pd.DataFrame
    targets: dict[str, TargetJudgement]


def window_summary(result: RunResult, first_day: int, last_day: int) -> WindowSummary:
    """The KPIs, intervals and target verdicts of a run over days ``first_day..last_day``.

    Raises:
        ValueError: The window is empty or reaches outside the measured days.
    """
    measured = result.ledger.days
    if not measured[0] <= first_day <= last_day <= measured[-1]:
        raise ValueError(f"days {first_day} to {last_day} are not a window of the measured "
                         f"days {measured[0]} to {measured[-1]}")
    table = combine(result.ledger, range(first_day, last_day + 1))
    seeds = result.replications.set_index("rep")["seed"]
    table.insert(1, "seed", seeds.reindex(table["rep"]).to_numpy())
    summary, targets = judged(table, result.scenario.targets)
    return WindowSummary(first_day, last_day, table, summary, targets)


def daily_kpis(result: RunResult) -> pd.DataFrame:
    """Every KPI of each replication on each measured day: ``rep``, ``day``, the catalogue."""
    return kpis_by_day(result.ledger)


def period_kpis(result: RunResult, periods: Sequence[tuple[str, int, int]]) -> pd.DataFrame:
    """Every KPI of each replication in each period: ``rep``, ``period``, the catalogue.

    Args:
        result: The run.
        periods: (label, first day, last day), both days included; a period may reach past
            the measured days (a calendar month cut by the horizon) but must hold one of them.
    """
    return kpis_by_period(result.ledger, periods)
