"""What every KPI module shares: the grid of days (or months) a replication is measured on, the
per-day sums and time overlaps that formulas are made of, staffed and busy time by day.

This module owns ``Grid`` (consecutive time intervals: the measured days for the ledger, the
budget's months, one interval for a single window), ``Period`` (one replication seen through a
grid, the view of the time-weighted KPIs: utilisations and costs), ``tally`` (per-cohort sums of
records), ``on_time_parts``, ``staffed_by``, ``busy_by``, ``session_busy_by``,
``overtime_by`` and ``utilization_parts``. The measurement rules of the contract: what *arrived*
(was created) in a day counts for that day's cohort KPIs, followed to its end however long after
the horizon (the engine's run-out: ``Replication.run_end_minutes``); time-weighted quantities
count the part of each interval that falls in a day. Clock unit: minutes.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from sim.engine.model import Replication, Window
from sim.scenario.format import Scenario
from sim.units import MINUTES_PER_DAY

NAN = math.nan
FOLLOWED_TO_THE_END = math.inf
"""The ``end_minutes`` of a model's cohort view: its items were followed through the run-out, so
one still open was cut by the cap and is late (``on_time_parts``)."""


@dataclass(frozen=True, slots=True, eq=False)
class Grid:
    """Consecutive intervals ``[edges[i], edges[i+1])`` of the clock (minutes).

    Attributes:
        edges: Increasing interval edges; ``len(edges) - 1`` intervals.
    """

    edges: np.ndarray

    @classmethod
    def days(cls, start_minutes: float, end_minutes: float) -> Grid:
        """The calendar days between two times: cut at every midnight, the first and last day
        cut at ``start_minutes`` and ``end_minutes`` when those fall inside a day."""
        first = math.floor(start_minutes / MINUTES_PER_DAY)
        last = math.ceil(end_minutes / MINUTES_PER_DAY)
        inner = np.arange(first + 1, last, dtype=float) * MINUTES_PER_DAY
        return cls(np.concatenate(([start_minutes], inner, [end_minutes])))

    @classmethod
    def blocks(cls, start_minutes: float, end_minutes: float, minutes: float) -> Grid:
        """Blocks of ``minutes`` from ``start_minutes`` (the last one may be shorter)."""
        inner = start_minutes + minutes * np.arange(
            1, math.ceil((end_minutes - start_minutes) / minutes - 1e-9))
        return cls(np.concatenate(([start_minutes], inner, [end_minutes])))

    @classmethod
    def whole(cls, start_minutes: float, end_minutes: float) -> Grid:
        """One interval."""
        return cls(np.array([start_minutes, end_minutes], dtype=float))

    @property
    def count(self) -> int:
        """Number of intervals."""
        return len(self.edges) - 1

    @property
    def day_labels(self) -> np.ndarray:
        """The day index (day 0 starts at minute 0) in which each interval starts."""
        return np.floor(self.edges[:-1] / MINUTES_PER_DAY).astype(np.int64)

    @property
    def widths(self) -> np.ndarray:
        """Minutes in each interval."""
        return np.diff(self.edges)

    def index(self, minutes: np.ndarray) -> np.ndarray:
        """The interval each time falls in; -1 outside the grid (and for NaN)."""
        # In place: a view's cohort index is one int64 per record (3.6 MiB of calls at 365
        # days), and each whole-array step would be another.
        at = np.searchsorted(self.edges, minutes, side="right")
        at -= 1
        at[(at >= self.count) | np.isnan(minutes)] = -1
        return at

    def overlap(self, start: np.ndarray, end: np.ndarray, weight: np.ndarray | None = None
                ) -> np.ndarray:
        """Per interval, the sum of ``weight`` x the minutes of each ``[start, end)`` falling in
        it (intervals with a NaN end are left out)."""
        lo, hi = self.edges[0], self.edges[-1]
        if not lo < hi:  # no time inside the grid (clipping would leave every interval empty)
            return np.zeros(self.count)
        start = np.asarray(start, dtype=float)
        end = np.asarray(end, dtype=float)
        # The intervals with time inside the grid, picked before clipping: what clipping both
        # ends to [lo, hi] leaves non-empty (NaN compares false), without clipping every row.
        keep = (end > start) & (end > lo) & (start < hi)
        s = np.clip(start[keep], lo, hi)
        e = np.clip(end[keep], lo, hi)
        w = None if weight is None else np.asarray(weight, dtype=float)[keep]
        del keep
        first = np.searchsorted(self.edges, s, side="right") - 1
        last = np.searchsorted(self.edges, e, side="left") - 1  # an end on an edge is before it
        n = self.count
        same = first == last
        # Unweighted, the minutes are the weights as they are (x 1.0 would change no bit).
        inner = e[same] - s[same]
        # astype: bincount of nothing is int64 even with weights
        out = np.bincount(first[same], weights=inner if w is None else w[same] * inner,
                          minlength=n).astype(float)
        del inner
        if same.all():
            return out
        cross = ~same
        f, la, sc, ec = first[cross], last[cross], s[cross], e[cross]
        wc = np.ones(len(f)) if w is None else w[cross]
        del first, last, s, e, w, same, cross
        out += np.bincount(f, weights=wc * (self.edges[f + 1] - sc), minlength=n)
        out += np.bincount(la, weights=wc * (ec - self.edges[la]), minlength=n)
        inside = la - f - 1  # whole intervals in between
        if inside.any():
            starts = np.repeat(f + 1, inside)
            offsets = np.arange(int(inside.sum())) - np.repeat(np.cumsum(inside) - inside, inside)
            covered = starts + offsets
            out += np.bincount(covered, weights=np.repeat(wc, inside) * self.widths[covered],
                               minlength=n)
        return out


def tally(cohort: np.ndarray, cohorts: int, weights: np.ndarray | None = None) -> np.ndarray:
    """Per cohort, the number of records (or the sum of ``weights``); records of cohort -1 (outside
    the measured days) are left out. Float64 either way."""
    keep = cohort >= 0
    w = None if weights is None else np.asarray(weights, dtype=float)[keep]
    return np.bincount(cohort[keep], weights=w, minlength=cohorts).astype(float)


def on_time_parts(cohort: np.ndarray, cohorts: int, done: np.ndarray, due: np.ndarray,
                  end_minutes: float) -> tuple[np.ndarray, np.ndarray]:
    """Per cohort: (cases done by their due time, cases whose fate is known at ``end_minutes``).

    A case still open at the end counts as late once its due time has passed; before that its
    fate is unknown and it is left out. The model's cohorts are followed to their end (the
    run-out), so what is open there was cut by the cap and is late: its views pass
    ``end_minutes = inf``. A company's records end where they end (``sim.calibrate``).

    Args:
        cohort: Each case's cohort (-1: not counted).
        cohorts: Number of cohorts.
        done: When each case was done (NaN: not done).
        due: When each was due.
        end_minutes: The end of the records (inf: every open case is late).
    """
    finished = ~np.isnan(done)
    known = finished | (due <= end_minutes)
    on_time = finished & (done <= due)
    return tally(cohort, cohorts, on_time & known), tally(cohort, cohorts, known)


@dataclass(frozen=True, slots=True)
class Period:
    """One replication over the intervals of a grid: the measured days for the ledger, the
    budget's months."""

    scenario: Scenario
    rep: Replication
    grid: Grid


def staffed_by(grid: Grid, windows: list[Window]) -> np.ndarray:
    """Person-minutes on duty in each interval of the grid (shift windows, overtime excluded)."""
    if not windows:
        return np.zeros(grid.count)
    s, e, c = (np.asarray(column, dtype=float) for column in zip(*windows, strict=True))
    return grid.overlap(s, e, c)


def busy_by(grid: Grid, start: np.ndarray, duration: np.ndarray) -> np.ndarray:
    """Minutes of the intervals [start, start + duration) in each interval of the grid."""
    return grid.overlap(start, start + duration)


def session_busy_by(period: Period, crew: str) -> np.ndarray:
    """Busy minutes of a crew's visits and follow-up attempts (travel and work) by interval."""
    total = np.zeros(period.grid.count)
    for table in (period.rep.visits, period.rep.attempts):
        if table.empty:
            continue
        rows = table[table["crew"] == crew]
        total += period.grid.overlap(rows["start"].to_numpy(float), rows["end"].to_numpy(float))
    return total


def overtime_by(period: Period, crew: str) -> np.ndarray:
    """Minutes of overtime worked in each interval.

    Counted where it is worked, like busy time: overtime after a shift that ended in the warm-up
    but ran past it is work inside the window, and counting it only by its shift's end made
    utilisation exceed 1. (Costs book overtime at the shift's end: ``sim.measure.costs``.)
    """
    ot = period.rep.overtime[period.rep.overtime["crew"] == crew]
    return busy_by(period.grid, ot["shift_end"].to_numpy(float), ot["minutes"].to_numpy(float))


def utilization_parts(period: Period, crew: str, busy: np.ndarray
                      ) -> tuple[np.ndarray, np.ndarray]:
    """(busy, staffed) minutes by interval, as the contract defines utilisation: busy time
    (overtime work included) over the shifts' time, so heavy overtime can take it past 1 (the
    overtime itself is reported apart: ``overtime_hours_per_technician_week``). A crew the
    scenario does not have is never staffed (its ratio is NaN)."""
    return busy, staffed_by(period.grid, period.rep.windows.get(crew, []))
