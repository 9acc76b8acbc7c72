"""The chart tables' own computations (``sim.measure.series``) against their definitions."""

from __future__ import annotations

import numpy as np
import pandas as pd
from hypothesis import given, settings
from hypothesis import strategies as st

from sim.engine.records import ABANDONED, BLOCKED, DONE, WAITING
from sim.measure.series import peak_queue_per_day
from sim.units import MINUTES_PER_DAY


def _peaks_by_definition(calls: pd.DataFrame, days: np.ndarray) -> np.ndarray:
    """Every join and leave of the queue as one sequence in time (leavers before joiners at the
    same moment), the level after each step, and each day's highest level."""
    rang = calls[~calls["callback"] & (calls["state"] != BLOCKED)]
    steps = [(t, 1) for t in rang["arrival"]]
    steps += [(t, -1) for t in np.fmin(rang["answer"], rang["abandon"]) if not np.isnan(t)]
    steps.sort()  # by time, then -1 before +1
    peaks = np.zeros(len(days))
    level = 0
    for t, step in steps:
        level += step
        day = int(np.floor(t / MINUTES_PER_DAY)) - int(days[0])
        if 0 <= day < len(days):
            peaks[day] = max(peaks[day], level)
    return peaks


# Times on a coarse grid (quarter days), so that joins and leaves often fall at the same moment.
times = st.integers(0, 24).map(lambda k: k * MINUTES_PER_DAY / 4)
calls_strategy = st.lists(
    st.tuples(times, st.integers(0, 8), st.sampled_from(["answer", "abandon", "open"]),
              st.sampled_from([DONE, ABANDONED, WAITING, BLOCKED]), st.booleans()),
    max_size=40)


@settings(max_examples=200, deadline=None)
@given(calls_strategy, st.integers(0, 3), st.integers(1, 6))
def test_the_peak_queue_is_the_highest_level_of_each_day(rows: list, first_day: int,
                                                          n_days: int) -> None:
    arrival = np.array([t for t, *_ in rows], dtype=float)
    wait = np.array([k * MINUTES_PER_DAY / 8 for _, k, *_ in rows], dtype=float)
    ends = [how for _, _, how, *_ in rows]
    calls = pd.DataFrame({
        "arrival": arrival,
        "answer": np.where([e == "answer" for e in ends], arrival + wait, np.nan),
        "abandon": np.where([e == "abandon" for e in ends], arrival + wait, np.nan),
        "state": np.array([s for *_, s, _ in rows], dtype=np.int64),
        "callback": np.array([c for *_, c in rows], dtype=bool),
    })
    days = np.arange(first_day, first_day + n_days)
    np.testing.assert_array_equal(peak_queue_per_day(calls, days),
                                  _peaks_by_definition(calls, days))


def test_a_queue_carried_over_midnight_peaks_at_its_first_leave() -> None:
    """A day with no arrivals still had callers waiting: its peak is the level after the first
    of them leaves (the level at midnight is the day before's)."""
    day = MINUTES_PER_DAY
    calls = pd.DataFrame({"arrival": [0.9 * day, 0.9 * day, 0.95 * day],
                          "answer": [1.2 * day, 1.5 * day, np.nan],
                          "abandon": [np.nan, np.nan, 1.1 * day],
                          "state": [DONE, DONE, ABANDONED], "callback": [False] * 3})
    np.testing.assert_array_equal(peak_queue_per_day(calls, np.array([0, 1])), [3.0, 2.0])
