"""Contact arrivals: the non-homogeneous Poisson process of the scenario contract.

The rate is piecewise constant per hour (weekly weight x hourly share x demand events), so the
process is drawn exactly and all at once by inverting its cumulative intensity: unit-rate
exponential gaps, summed, mapped back through the cumulative number of expected calls. One stream
per contact type keeps a change in one type's demand from shifting another's calls.
"""

from __future__ import annotations

import numpy as np

from sim.scenario.base import ContactType
from sim.scenario.calendar import hourly_shares, weekly_weights
from sim.scenario.format import Scenario

CONTACT_TYPES: tuple[ContactType, ...] = ("inquiry", "repair", "complaint")


def expected_calls_per_hour(scenario: Scenario, kind: ContactType, hours: int) -> np.ndarray:
    """Expected contacts of ``kind`` in each absolute hour 0..hours-1 (day 0 has the weekday of
    the scenario's ``start_date``)."""
    demand = scenario.demand
    share = demand.mix.get(kind, 0.0)
    weekly = weekly_weights(demand.weekly_profile)
    hourly = hourly_shares(demand.hourly_profile, scenario.call_center.hours)
    h = np.arange(hours)
    weekday = (h // 24 + scenario.first_weekday) % 7
    per_hour = demand.contacts_per_day * share * weekly[weekday] * hourly[weekday, h % 24]
    for event in demand.events:
        if kind in event.types:
            inside = (h >= event.start_day * 24) & (h < (event.start_day + event.days) * 24)
            per_hour = np.where(inside, per_hour * event.multiplier, per_hour)
    return per_hour


def poisson_arrivals(per_hour: np.ndarray, gen: np.random.Generator) -> np.ndarray:
    """Arrival times in hours of a Poisson process with piecewise-constant hourly counts."""
    cumulative = np.concatenate(([0.0], np.cumsum(per_hour)))
    total = cumulative[-1]
    if total <= 0.0:
        return np.empty(0)
    gaps: list[np.ndarray] = []
    reached = 0.0
    block = int(total + 6.0 * np.sqrt(total) + 16)
    while reached <= total:
        chunk = reached + np.cumsum(gen.standard_exponential(block))
        gaps.append(chunk)
        reached = float(chunk[-1])
    points = np.concatenate(gaps)
    points = points[points < total]
    hour = np.searchsorted(cumulative, points, side="right") - 1
    return hour + (points - cumulative[hour]) / per_hour[hour]
