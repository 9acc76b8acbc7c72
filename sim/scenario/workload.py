"""How much work one replication of a scenario is, and the limit beyond which it is refused.

This module owns the expected arrivals per hour (the rate of the non-homogeneous Poisson process
of the scenario contract, the same numbers the engine draws from) and the workload estimate that
`sim.scenario.format.Scenario` checks when it is validated: the expected customer contacts and
work orders of one replication, refused beyond `MAX_CONTACTS` and `MAX_WORK_ORDERS`. Because the
check is part of validation, every way to a scenario gets it with the same message: a file, a
`--set`, a sweep point, a stress shock, an explorer upload or lever.

The limits bound what one replication costs a worker process: at `MAX_CONTACTS` contacts about
0.9 GiB of memory (`BYTES_PER_CONTACT`) and, at the baseline's load, about 45 seconds of one
core of the project machine. They were set when a replication held 1.4 KB per contact (2.6 GiB
at the limit); since its finished records became typed columns, spilled to disk past 8 MiB, it
holds a third of that.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from sim.i18n.messages import tr
from sim.scenario.base import CONTACT_TYPES, ContactType
from sim.scenario.calendar import arrival_shares, weekly_weights
from sim.scenario.calls import Demand
from sim.scenario.clock import OpenHours
from sim.units import HOURS_PER_DAY

MAX_CONTACTS = 2_000_000
"""Expected customer contacts per replication, at most (first attempts; redials come on top)."""
MAX_WORK_ORDERS = 1_000_000
"""Expected work orders per replication (repair contacts and their rework), at most."""
BYTES_PER_CONTACT = 500
"""A replication's peak memory per expected contact, for the refusal's message: the peak resident
set of a process running one replication (simulate and measure) above its imports, over
``estimate``'s contacts, at the sizes the limit is about: 284 MiB / 768,550 contacts for a
1,460-day baseline, 397 MiB / 841,328 for 365 days at 2,200 contacts a day (388 and 495 bytes;
``benchmarks/resident.py``, 2026-12-05). It was 1,400 bytes of traced memory before records were
frozen into columns and spilled (stops 31-33)."""


def calls_per_hour(demand: Demand, open_hours: OpenHours | None, kind: ContactType,
                   hours: int, first_weekday: int = 0) -> np.ndarray:
    """Expected contacts of ``kind`` in each absolute hour 0..hours-1; on days the call center
    never opens, those that still arrive under ``demand.closed_hours: queue``
    (``sim.scenario.calendar.arrival_shares``).

    Args:
        demand: The demand section.
        open_hours: The call center's opening hours (None: around the clock).
        kind: The contact type.
        hours: How many hours from day 0.
        first_weekday: Weekday of day 0 (0 = Monday; the scenario's ``start_date``).
    """
    share = demand.mix.get(kind, 0.0)
    weekly = weekly_weights(demand.weekly_profile)
    hourly = arrival_shares(demand.hourly_profile, open_hours, demand.closed_hours)
    h = np.arange(hours)
    weekday = (h // 24 + first_weekday) % 7
    per_hour = demand.contacts_per_day * share * weekly[weekday] * hourly[weekday, h % 24]
    for event in demand.events:
        if kind in event.types:
            inside = (h >= event.start_day * 24) & (h < (event.start_day + event.days) * 24)
            per_hour = np.where(inside, per_hour * event.multiplier, per_hour)
    return per_hour


@dataclass(frozen=True)
class Workload:
    """The expected size of one replication."""

    contacts: float
    work_orders: float
    days: float

    def problems(self) -> list[tuple[str, str]]:
        """(key path, message) for each limit the estimate is beyond; empty when it fits."""
        found = []
        fix = tr("lower demand.contacts_per_day, horizon_days or warmup_days, or the demand "
                 "events' multipliers")
        if self.contacts > MAX_CONTACTS:
            gib = self.contacts * BYTES_PER_CONTACT / 2**30
            found.append(("demand.contacts_per_day", tr(
                "one replication would simulate about {contacts:,.0f} contacts over {days:g} "
                "days (about {gib:,.1f} GiB of memory); the limit is {limit:,} contacts per "
                "replication: {fix}", contacts=self.contacts, days=self.days, gib=gib,
                limit=MAX_CONTACTS, fix=fix)))
        elif self.work_orders > MAX_WORK_ORDERS:
            found.append(("demand.mix.repair", tr(
                "one replication would create about {orders:,.0f} work orders over {days:g} "
                "days; the limit is {limit:,} work orders per replication: {fix}, or the repair "
                "share", orders=self.work_orders, days=self.days, limit=MAX_WORK_ORDERS,
                fix=fix)))
        return found


def estimate(demand: Demand, open_hours: OpenHours | None, run_days: float,
             quality_pass_probability: float | None) -> Workload:
    """The expected contacts and work orders of one replication.

    Args:
        demand: The demand section.
        open_hours: The call center's opening hours.
        run_days: Warm-up plus horizon.
        quality_pass_probability: Of the field service (each failed repair comes back as a
            rework job); None without field service (no work orders).
    """
    hours = math.ceil(run_days * HOURS_PER_DAY)
    by_kind = {kind: float(calls_per_hour(demand, open_hours, kind, hours).sum())
               for kind in CONTACT_TYPES if demand.mix.get(kind, 0.0) > 0}
    contacts = math.fsum(by_kind.values())
    repairs = by_kind.get("repair", 0.0) if quality_pass_probability is not None else 0.0
    # Rework is geometric: each job fails with 1 - q and comes back as a new job.
    work_orders = repairs / quality_pass_probability if quality_pass_probability else 0.0
    return Workload(contacts, work_orders, run_days)
