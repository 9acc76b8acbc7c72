"""Contact arrivals: the non-homogeneous Poisson process of the scenario contract.

The rate is piecewise constant per hour (weekly weight x hourly share x demand events; on days
the call center never opens, contacts still arrive under ``demand.closed_hours: queue``), so the
process is drawn exactly by inverting its cumulative intensity: unit-rate exponential gaps,
summed, mapped back through the cumulative number of expected calls. One stream per contact type
keeps a change in one type's demand from shifting another's calls.

The gaps are drawn in chunks as the run needs them (`ArrivalStream`), not for the whole run at
once, so memory does not grow with the horizon. The chunks reproduce the whole-run draw number
for number: the same generator, the same order, and the running sums added in the same order
with the same rounding (see `ArrivalStream`), so results are unchanged by the chunking.
"""

from __future__ import annotations

import numpy as np

from sim.scenario.base import ContactType
from sim.scenario.format import Scenario
from sim.scenario.workload import calls_per_hour

CONTACT_TYPES: tuple[ContactType, ...] = ("inquiry", "repair", "complaint")
CHUNK = 1 << 16  # exponential gaps per draw: 512 KiB, whatever the horizon


def expected_calls_per_hour(scenario: Scenario, kind: ContactType, hours: int) -> np.ndarray:
    """Expected contacts of ``kind`` in each absolute hour 0..hours-1 (day 0 has the weekday of
    the scenario's ``start_date``)."""
    return calls_per_hour(scenario.demand, scenario.call_center.hours, kind, hours,
                          scenario.first_weekday)


class ArrivalStream:
    """Arrival times (hours) of a Poisson process with piecewise-constant hourly counts, drawn a
    chunk at a time.

    The numbers are those of drawing the whole run at once as this package always has: gaps in
    blocks of ``total + 6 sqrt(total) + 16`` (nearly always one block), each block's points the
    previous block's last point plus the block's running sum. Here a block is drawn in chunks
    of at most `CHUNK` gaps; the running sum carries over between chunks (numpy's ``cumsum`` adds
    in order, so a carried sum rounds exactly as one long sum) and is added to the block's base
    as before. ``standard_exponential`` draws each number from the generator on its own, so the
    chunk size does not change the numbers either.
    """

    def __init__(self, per_hour: np.ndarray, gen: np.random.Generator) -> None:
        """Prepare the stream; nothing is drawn yet.

        Args:
            per_hour: Expected arrivals in each hour from time 0.
            gen: The stream's own generator (used by nothing else).
        """
        self.per_hour = per_hour
        self.cumulative = np.concatenate(([0.0], np.cumsum(per_hour)))
        self.total = float(self.cumulative[-1])
        self.gen = gen
        self._block = int(self.total + 6.0 * np.sqrt(self.total) + 16) if self.total > 0 else 0
        self._left = self._block  # gaps still to draw in the current block
        self._base = 0.0  # the last point of the previous block
        self._sum = 0.0  # the running sum of the current block's gaps
        self.exhausted = self.total <= 0.0

    def next_chunk(self) -> np.ndarray:
        """The next arrival times in hours (increasing); empty once the process is exhausted."""
        if self.exhausted:
            return np.empty(0)
        size = min(CHUNK, self._left)
        running = np.cumsum(np.concatenate(([self._sum], self.gen.standard_exponential(size))))
        points = self._base + running[1:]
        self._sum = float(running[-1])
        self._left -= size
        if self._left == 0:
            self._base, self._sum, self._left = float(points[-1]), 0.0, self._block
        if points[-1] >= self.total:
            self.exhausted = True  # every later point is beyond the run
            points = points[points < self.total]
        hour = np.searchsorted(self.cumulative, points, side="right") - 1
        return hour + (points - self.cumulative[hour]) / self.per_hour[hour]


def poisson_arrivals(per_hour: np.ndarray, gen: np.random.Generator) -> np.ndarray:
    """Every arrival time in hours of a Poisson process with piecewise-constant hourly counts."""
    stream = ArrivalStream(per_hour, gen)
    chunks = [stream.next_chunk()]
    while not stream.exhausted:
        chunks.append(stream.next_chunk())
    return np.concatenate(chunks)
