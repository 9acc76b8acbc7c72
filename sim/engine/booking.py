"""The appointment book: daily slots with a capacity, and the earliest one with room.

This module owns ``AppointmentBook``: the slot instances of ``field_service.booking.slots`` from
day 0 to the end of the run, each with room for ``capacity_per_technician`` jobs per technician
on duty when the slot starts (from the crew's shift windows, absences cut out), and the booking
rule: a job takes the earliest slot with room that starts no earlier than the call plus
``min_lead_hours``. It knows nothing about jobs: field service asks it for a slot and releases
the job at the slot's start. Clock unit: minutes.
"""

from __future__ import annotations

import bisect
import math
from collections.abc import Sequence

from sim.scenario.field import Slot
from sim.units import MINUTES_PER_DAY

Window = tuple[float, float, int]


def on_duty(windows: Sequence[Window], at: float) -> int:
    """People on duty at the moment ``at`` (a window [start, end) covers it)."""
    return sum(c for s, e, c in windows if s <= at < e)


class AppointmentBook:
    """Slot instances in time order with their remaining room."""

    def __init__(self, slots: Sequence[Slot], per_technician: int,
                 technicians: Sequence[Window], end_minutes: float) -> None:
        self.starts: list[float] = []
        self.ends: list[float] = []
        self.room: list[int] = []
        for day in range(math.ceil(end_minutes / MINUTES_PER_DAY)):
            base = day * MINUTES_PER_DAY
            for slot in slots:
                start = base + slot.start_minute
                capacity = per_technician * on_duty(technicians, start)
                if capacity > 0 and start < end_minutes:
                    self.starts.append(start)
                    self.ends.append(base + slot.end_minute)
                    self.room.append(capacity)

    def book(self, earliest: float) -> tuple[float, float] | None:
        """Take one place in the earliest slot with room starting at or after ``earliest``:
        its (start, end); None when no slot until the end of the run has room."""
        i = bisect.bisect_left(self.starts, earliest)
        while i < len(self.starts):
            if self.room[i] > 0:
                self.room[i] -= 1
                return self.starts[i], self.ends[i]
            i += 1
        return None
