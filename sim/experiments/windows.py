"""KPIs over any days of a run already made: a window (a peak), each day, calendar periods.

This module owns ``WindowSummary`` and ``window_summary`` (the replication table, the summary
with t-intervals and the target verdicts of days ``first_day..last_day``), ``measured_days``,
``window_problem`` and ``event_windows`` (the days a window may cover, why a window is not one,
and the scenario's demand events as windows: the peak to judge), ``day_of`` and ``date_of``
(days of the clock and calendar dates, day 0 being ``start_date``), ``daily_kpis``
(every KPI per replication and day, e.g. for stress tests) and ``period_kpis`` (every KPI per
replication and labelled period, e.g. calendar months). All of them combine the run's ledger
(``RunResult.ledger``) with ``sim.measure.ledger``, so a window's KPI has the horizon's
definition, and judge with the same rules as the whole run (``verdicts.judged``). Days are days
of the clock (day 0 starts at minute 0), as in ``daily.csv`` and demand events.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Sequence
from dataclasses import dataclass

import pandas as pd

from sim.experiments.replicate import RunResult
from sim.experiments.verdicts import judged
from sim.measure.ledger import combine, kpis_by_day, kpis_by_period
from sim.measure.stats import TargetJudgement
from sim.scenario.format import Scenario
from sim.units import MINUTES_PER_DAY


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


def measured_days(scenario: Scenario) -> tuple[int, int]:
    """The first and last day of the clock a run of ``scenario`` measures (the ledger's days):
    from the day the warm-up ends to the day the horizon ends, both cut where they fall inside
    a day, so a window may name any of them."""
    start = scenario.warmup_days * MINUTES_PER_DAY
    end = (scenario.warmup_days + scenario.horizon_days) * MINUTES_PER_DAY
    return math.floor(start / MINUTES_PER_DAY), math.ceil(end / MINUTES_PER_DAY) - 1


def day_of(scenario: Scenario, when: dt.date) -> int:
    """The day of the clock a calendar date is: day 0 is ``start_date``."""
    return (when - scenario.start_date).days


def date_of(scenario: Scenario, day: int) -> dt.date:
    """The calendar date of a day of the clock."""
    return scenario.start_date + dt.timedelta(days=day)


def window_problem(scenario: Scenario, first_day: int, last_day: int) -> str | None:
    """Why days ``first_day..last_day`` are not a window of a run of ``scenario``, or None."""
    first, last = measured_days(scenario)
    if first_day > last_day:
        return f"the window starts on day {first_day}, after its end (day {last_day})"
    if not first <= first_day <= last_day <= last:
        return (f"days {first_day} to {last_day} reach outside the measured days {first} to "
                f"{last} (warm-up {scenario.warmup_days:g} days, horizon "
                f"{scenario.horizon_days:g} days)")
    return None


def event_windows(scenario: Scenario) -> list[tuple[str, int, int]]:
    """The scenario's demand events as windows to judge: (name, first day, last day), the days
    an event touches cut to the measured days; events that run together under different names
    (a heat wave's repairs and its questions) stay separate, events outside the run are left out.
    """
    first, last = measured_days(scenario)
    out = []
    for event in scenario.demand.events:
        start = max(first, math.floor(event.start_day))
        end = min(last, math.ceil(event.start_day + event.days) - 1)
        if start <= end:
            out.append((event.name, start, end))
    return out


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
