"""One replication measured: its KPI ledger and KPIs, the daily and hourly series, the
histograms, why repairs were late and how the run-out went (the budget by calendar month comes
from the ledger: ``sim.experiments.budget``).

This module owns ``Outcome``, ``Views`` (the views of the records a formula reads, each built
when first read and let go after its last formula, their cohorts the measured days: ``Calls``,
``Jobs``, ``Stock``, the ``Period``...) and ``measure``, which applies the catalogue by day
(``sim.measure.ledger``) and takes the horizon's KPIs as the combination of every measured day.
It defines no KPI: each formula lives beside its entry (``sim.measure.catalog``).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass

import numpy as np
import pandas as pd

from sim.engine.model import Replication
from sim.measure.calls import Callbacks, Calls, Escalations
from sim.measure.complaints import Cases
from sim.measure.followups import FollowUps
from sim.measure.lateness import late_drivers
from sim.measure.ledger import Ledger, kpis_by_day, kpis_over, ledger_of
from sim.measure.parts import PartRequests, Stock, VanUses, on_hand_at, requests_by_sku
from sim.measure.products import by_product
from sim.measure.repairs import Jobs, WorkOrders
from sim.measure.series import (
    daily_calls,
    daily_repairs,
    hourly_profile,
    turnaround_histogram,
    wait_histogram,
)
from sim.measure.window import Grid, Period
from sim.scenario.format import Scenario
from sim.units import MINUTES_PER_DAY

RUN_OUT_FIELDS: tuple[str, ...] = ("run_out_days", "cut_calls", "cut_work_orders",
                                   "cut_complaint_cases", "cut_followups")
"""``Outcome.run_out``: days the run went on past the horizon, and the window's items of each
kind the run-out's cap left open."""


@dataclass(frozen=True)
class Outcome:
    """One replication measured: a KPI row, its ledger (the KPIs' parts by day) and the tables
    behind the charts."""

    kpis: dict[str, float]
    ledger: Ledger
    daily: pd.DataFrame
    hourly: pd.DataFrame
    wait_hist: np.ndarray
    turnaround_hist: np.ndarray
    late_drivers: pd.DataFrame
    run_out: dict[str, float]
    events: dict[str, pd.DataFrame] | None = None


class Views(Mapping[type, object]):
    """Every view a formula may read, by type, each built when first read; their cohorts are
    the intervals of ``days``.

    A view holds a few columns of every record of its kind in the window (the calls' view
    about 5 MiB at 365 days, the work orders' as much). Built on demand and let go after the
    last formula that reads it (``release``), they are not all held at once while the ledger is
    worked out.
    """

    def __init__(self, scenario: Scenario, rep: Replication, days: Grid) -> None:
        self._make: dict[type, Callable[[], object]] = {
            Calls: lambda: Calls.measured(scenario, rep, days),
            Callbacks: lambda: Callbacks.measured(rep, days),
            Escalations: lambda: Escalations.measured(rep, days),
            Cases: lambda: Cases.measured(rep, days),
            Jobs: lambda: Jobs.measured(rep, days),
            WorkOrders: lambda: self[Jobs],  # one view of the work orders, read as either
            PartRequests: lambda: PartRequests.measured(rep.part_requests, days),
            Stock: lambda: Stock.of(scenario.parts, rep, days),
            VanUses: lambda: VanUses.measured(rep.van_uses, days),
            FollowUps: lambda: FollowUps.measured(rep, days),
            Period: lambda: Period(scenario, rep, days),
        }
        self._built: dict[type, object] = {}

    def __getitem__(self, kind: type) -> object:
        if kind not in self._built:
            self._built[kind] = self._make[kind]()
        return self._built[kind]

    def __iter__(self) -> Iterator[type]:
        return iter(self._make)

    def __len__(self) -> int:
        return len(self._make)

    def release(self, kind: type) -> None:
        """Let go of the view of ``kind`` (it is built again if read again)."""
        self._built.pop(kind, None)


def measure(scenario: Scenario, rep: Replication) -> Outcome:
    """Every KPI and table of one replication: the horizon's KPIs combine every measured day of
    its ledger."""
    days = Grid.days(rep.start_minutes, rep.end_minutes)
    seen = Views(scenario, rep, days)
    calls, jobs = seen[Calls], seen[Jobs]
    assert isinstance(calls, Calls) and isinstance(jobs, Jobs)
    # The histograms first: each view is let go after the ledger's last formula that reads it.
    wait_hist, turnaround_hist = wait_histogram(calls), turnaround_histogram(jobs)
    del calls, jobs
    ledger = ledger_of(seen, days, seen.release)
    del seen
    daily = daily_calls(rep, ledger, kpis_by_day(ledger))
    day_ends = (daily["day"].to_numpy(float) + 1.0) * MINUTES_PER_DAY
    daily = pd.concat([daily, daily_repairs(rep, day_ends)], axis=1)
    if scenario.parts is not None:
        skus = [s.sku for s in scenario.parts.skus]
        daily = pd.concat([daily, on_hand_at(rep.part_levels, day_ends),
                           requests_by_sku(rep.part_requests, skus, days)], axis=1)
    return Outcome(kpis={**kpis_over(ledger), **by_product(scenario, rep)}, ledger=ledger,
                   daily=daily, hourly=hourly_profile(scenario, rep),
                   wait_hist=wait_hist, turnaround_hist=turnaround_hist,
                   late_drivers=late_drivers(rep), run_out=run_out(rep))


def run_out(rep: Replication) -> dict[str, float]:
    """How long the run went on past the horizon (days) and what its cap cut, by kind."""
    return {"run_out_days": (rep.run_end_minutes - rep.end_minutes) / MINUTES_PER_DAY,
            **{f"cut_{kind}": float(n) for kind, n in rep.cut.items()}}
