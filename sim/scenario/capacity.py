"""Capacity at a glance: the call work a scenario offers per hour of the week against its agents.

Analytic and instant (no simulation): the loader's warnings about hours whose offered load
exceeds the agents on duty, and the offered load the theory panel and the optimizer start from.
"""

from __future__ import annotations

import numpy as np

from sim.i18n.messages import tr
from sim.scenario.base import CONTACT_TYPES, DAYS
from sim.scenario.calendar import hourly_shares, staffed_by_hour_of_week, weekly_weights
from sim.scenario.format import Scenario


def offered_erlangs_by_hour(scenario: Scenario) -> np.ndarray:
    """Return the offered call-center work in each hour of the week, in Erlangs, shape (7, 24).

    contacts_per_day x weekly weight x hourly share x sum over types of (share x mean handle
    minutes) / 60. Demand events, escalations and follow-up calls are left out.

    Args:
        scenario: A validated scenario.
    """
    demand, cc = scenario.demand, scenario.call_center
    minutes_per_contact = sum(demand.share(t) * cc.handle_minutes[t].mean_value()
                              for t in CONTACT_TYPES if demand.share(t) > 0)
    weekly = weekly_weights(demand.weekly_profile)
    shares = hourly_shares(demand.hourly_profile, cc.hours)
    return demand.contacts_per_day * weekly[:, np.newaxis] * shares * minutes_per_contact / 60.0


def capacity_warnings(scenario: Scenario) -> list[str]:
    """Warn about hours of the week whose offered call work exceeds the agents on duty.

    Consecutive overloaded hours of one day make one warning. A warning is not an error: with
    abandonment the run is still meaningful, but queues will build in those hours.

    Args:
        scenario: A validated scenario.

    Returns:
        One line per overloaded stretch, e.g. `call center mon 08:00-10:00: ...`.
    """
    load = offered_erlangs_by_hour(scenario)
    staffed = staffed_by_hour_of_week(scenario.call_center.agents).reshape(7, 24)
    over = load > staffed + 1e-9
    warnings: list[str] = []
    for day in range(7):
        hour = 0
        while hour < 24:
            if not over[day, hour]:
                hour += 1
                continue
            end = hour
            while end < 24 and over[day, end]:
                end += 1
            peak = hour + int(np.argmax(load[day, hour:end] - staffed[day, hour:end]))
            warnings.append(tr(
                "call center {day} {start:02d}:00-{end:02d}:00: offered load up to {most:.1f} "
                "Erlangs exceeds the agents on duty (at {peak:02d}:00: {load:.1f} Erlangs, "
                "{agents:g} agents); queues will grow", day=DAYS[day], start=hour, end=end,
                most=load[day, hour:end].max(), peak=peak, load=load[day, peak],
                agents=staffed[day, peak]))
            hour = end
    return warnings
