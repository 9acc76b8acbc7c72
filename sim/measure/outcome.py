"""One replication measured: every KPI of the catalogue, the daily and hourly series, the monthly
budget and the histograms.

This module owns ``Outcome`` and ``measure``, which builds each view of the records once
(``Calls``, ``Jobs``, ``Stock``, the horizon ``Period``...) and hands every catalogue entry the
view its formula reads (a KPI defined from other KPIs reads the ``Row`` of those measured on the
records). It defines no KPI: each formula lives beside its entry (``sim.measure.catalog``).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from sim.engine.model import Replication
from sim.measure.calls import Calls, Escalations
from sim.measure.catalog import KPIS
from sim.measure.complaints import Cases
from sim.measure.costs import monthly_costs
from sim.measure.followups import FollowUps
from sim.measure.parts import PartRequests, Stock, on_hand_at
from sim.measure.registry import Row
from sim.measure.repairs import Jobs, WorkOrders
from sim.measure.series import (
    daily_calls,
    daily_repairs,
    hourly_profile,
    turnaround_histogram,
    wait_histogram,
)
from sim.measure.window import Period
from sim.scenario.format import Scenario
from sim.units import MINUTES_PER_DAY


@dataclass(frozen=True)
class Outcome:
    """One replication measured: a KPI row and the tables behind the charts."""

    kpis: dict[str, float]
    daily: pd.DataFrame
    hourly: pd.DataFrame
    monthly: pd.DataFrame
    wait_hist: np.ndarray
    turnaround_hist: np.ndarray
    events: dict[str, pd.DataFrame] | None = None


def views(scenario: Scenario, rep: Replication) -> dict[type, object]:
    """Every view a formula may read, built once for the measured window, by type."""
    jobs = Jobs.measured(rep)
    return {
        Calls: Calls.measured(scenario, rep),
        Escalations: Escalations.measured(rep),
        Cases: Cases.measured(rep),
        WorkOrders: jobs,
        Jobs: jobs,
        PartRequests: PartRequests.measured(rep.part_requests, rep.start_minutes,
                                            rep.end_minutes),
        Stock: Stock.window(scenario.parts, rep, rep.start_minutes, rep.end_minutes),
        FollowUps: FollowUps.measured(rep),
        Period: Period.horizon(scenario, rep),
    }


def kpi_row(seen: dict[type, object]) -> dict[str, float]:
    """Every KPI of the catalogue, in catalogue order, from the ``views`` of one replication.

    KPIs defined from other KPIs (their view is the ``Row``) come after every KPI measured on
    the records, in catalogue order among themselves.
    """
    row: dict[str, float] = {}
    for entry in KPIS:
        if entry.view is not Row:
            row[entry.info.name] = entry.formula(seen[entry.view])
    for entry in KPIS:
        if entry.view is Row:
            row[entry.info.name] = entry.formula(Row(row))
    return {entry.info.name: row[entry.info.name] for entry in KPIS}


def measure(scenario: Scenario, rep: Replication) -> Outcome:
    """Every KPI and table of one replication."""
    seen = views(scenario, rep)
    calls, jobs = seen[Calls], seen[Jobs]
    assert isinstance(calls, Calls) and isinstance(jobs, Jobs)
    daily = daily_calls(scenario, rep)
    day_ends = (daily["day"].to_numpy(float) + 1.0) * MINUTES_PER_DAY
    daily = pd.concat([daily, daily_repairs(rep, day_ends)], axis=1)
    if scenario.parts is not None:
        daily = pd.concat([daily, on_hand_at(rep.part_levels, day_ends)], axis=1)
    return Outcome(kpis=kpi_row(seen), daily=daily, hourly=hourly_profile(scenario, rep),
                   monthly=monthly_costs(scenario, rep), wait_hist=wait_histogram(calls),
                   turnaround_hist=turnaround_histogram(jobs))
