"""What every KPI module shares: the measured period, staffed and busy time inside a window,
the small arithmetic of shares and means, and the split of records into groups.

This module owns ``Period`` (one replication seen through a time window, the view of the
time-weighted KPIs: utilisations and costs), ``staffed_minutes``, ``staffed_profile``,
``busy_minutes``, ``session_busy_minutes``, ``overtime_minutes``, ``utilization``,
``on_time_share``, ``ratio``, ``mean_or_nan`` and ``split`` (a view of records by day, week...).
The measurement rules of the contract: what *arrived* (was created) after the warm-up counts
for the cohort KPIs; time-weighted quantities count the part of a window they overlap. Clock
unit: minutes.
"""

from __future__ import annotations

import dataclasses
import itertools
import math
from dataclasses import dataclass
from typing import TYPE_CHECKING, TypeVar

import numpy as np

from sim.engine.model import Replication, Window
from sim.scenario.format import Scenario

if TYPE_CHECKING:
    from _typeshed import DataclassInstance

NAN = math.nan
V = TypeVar("V", bound="DataclassInstance")


@dataclass(frozen=True, slots=True)
class Period:
    """One replication over the window [start_minutes, end_minutes): the horizon for the KPIs,
    a month for the budget."""

    scenario: Scenario
    rep: Replication
    start_minutes: float
    end_minutes: float

    @classmethod
    def horizon(cls, scenario: Scenario, rep: Replication) -> Period:
        """The measured window: from the end of the warm-up to the end of the run."""
        return cls(scenario, rep, rep.start_minutes, rep.end_minutes)


def split(view: V, group: np.ndarray, n: int) -> list[V]:
    """A view of records (a dataclass of aligned arrays) split into ``n`` groups: the calls of
    each day, the work orders of each week...

    Args:
        view: The records; array fields are split, other fields (a threshold, the end of the
            records) are kept in every group.
        group: Each record's group, in [0, n); records of any other group are left out.
        n: Number of groups.

    Returns:
        One view per group (empty where no record falls), records in their original order.
    """
    order = np.argsort(group, kind="stable")
    bounds = np.searchsorted(group[order], np.arange(n + 1))
    arrays = {f.name: getattr(view, f.name) for f in dataclasses.fields(view)
              if isinstance(getattr(view, f.name), np.ndarray)}
    return [dataclasses.replace(view, **{name: values[rows] for name, values in arrays.items()})
            for rows in (order[a:b] for a, b in itertools.pairwise(bounds))]


def ratio(num: float, den: float) -> float:
    """``num / den``, NaN when there is nothing to divide by (no calls, no jobs...)."""
    return num / den if den > 0 else NAN


def mean_or_nan(values: np.ndarray) -> float:
    """The mean, NaN for an empty sample."""
    return float(values.mean()) if len(values) else NAN


def on_time_share(done: np.ndarray, due: np.ndarray, end_minutes: float) -> float:
    """Cases done by their due time / cases whose fate is known at ``end_minutes``.

    A case still open at the end counts as late once its due time has passed; before that its
    fate is unknown and it is left out.

    Args:
        done: When each case was done (NaN: not done).
        due: When each was due.
        end_minutes: The end of the records.
    """
    known = ~np.isnan(done) | (due <= end_minutes)
    on_time = ~np.isnan(done) & (done <= due)
    return ratio(float(np.sum(on_time & known)), float(np.sum(known)))


def staffed_minutes(windows: list[Window], lo: float, hi: float) -> float:
    """Person-minutes on duty between ``lo`` and ``hi`` (shift windows, overtime excluded)."""
    return float(sum(c * max(0.0, min(e, hi) - max(s, lo)) for s, e, c in windows))


def staffed_profile(windows: list[Window], edges: np.ndarray) -> np.ndarray:
    """Person-minutes on duty in each interval between consecutive ``edges``."""
    cumulative = np.zeros(len(edges))
    for s, e, c in windows:
        cumulative += c * np.clip(edges - s, 0.0, e - s)
    return np.diff(cumulative)


def busy_minutes(start: np.ndarray, duration: np.ndarray, lo: float, hi: float) -> float:
    """Minutes of the intervals [start, start + duration) that fall inside [lo, hi)."""
    ok = ~np.isnan(start)
    s = start[ok]
    e = s + duration[ok]
    return float(np.sum(np.clip(np.minimum(e, hi) - np.maximum(s, lo), 0.0, None)))


def session_busy_minutes(period: Period, crew: str) -> float:
    """Busy minutes of a crew's visits and follow-up attempts (travel and work) in the period."""
    rep, lo, hi = period.rep, period.start_minutes, period.end_minutes
    total = 0.0
    for table in (rep.visits, rep.attempts):
        if table.empty:
            continue
        rows = table[table["crew"] == crew]
        s = rows["start"].to_numpy(float)
        e = rows["end"].to_numpy(float)
        total += float(np.sum(np.clip(np.minimum(e, hi) - np.maximum(s, lo), 0.0, None)))
    return total


def overtime_minutes(period: Period, crew: str) -> float:
    """Minutes of overtime worked inside the period.

    Clipped to the window like busy time is: overtime after a shift that ended in the warm-up
    but ran past it is work inside the window, and counting it only by its shift's end made
    utilisation exceed 1. (Costs book overtime at the shift's end: ``sim.measure.costs``.)
    """
    ot = period.rep.overtime[period.rep.overtime["crew"] == crew]
    return busy_minutes(ot["shift_end"].to_numpy(float), ot["minutes"].to_numpy(float),
                        period.start_minutes, period.end_minutes)


def utilization(period: Period, crew: str, busy: float) -> float:
    """Busy time over staffed time (overtime counts as staffed, so the ratio stays in [0, 1]);
    NaN for a crew the scenario does not have."""
    windows = period.rep.windows.get(crew)
    if not windows:
        return NAN
    staffed = staffed_minutes(windows, period.start_minutes, period.end_minutes)
    return ratio(busy, staffed + overtime_minutes(period, crew))
