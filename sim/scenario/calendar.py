"""Calendar arithmetic of the scenario: demand profiles, shift and opening windows.

This module owns how weekly and hourly profiles become rates and how shifts and opening hours
become absolute time windows. It is pure (numpy only, no simulation state) so that the engine,
the capacity check and the charts agree on one reading of the calendar. Time is in minutes from
day 0 00:00; day 0 has the weekday ``first_weekday`` (0 = Monday, the scenario's
``start_date``), so day d is weekday (d + first_weekday) mod 7. Profiles and tables per hour of
the week are Monday first: hours 0 (Monday 00:00-01:00) to 167.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence

import numpy as np

from sim.scenario.base import DAYS
from sim.scenario.clock import OpenHours, Shift
from sim.units import HOURS_PER_WEEK, MINUTES_PER_DAY, MINUTES_PER_WEEK

StaffingSpec = int | Sequence[Shift]
HourlyProfileSpec = str | Sequence[float]
WeeklyProfileSpec = str | Sequence[float]


def weekly_weights(profile: WeeklyProfileSpec) -> np.ndarray:
    """Return the 7 day weights (Monday first) normalised to mean 1.

    Args:
        profile: `"flat"` or 7 non-negative weights, not all zero (validated by the scenario).
    """
    if isinstance(profile, str):
        return np.ones(7)
    weights = np.asarray(profile, dtype=float)
    return weights / weights.mean()


def _daily(start_minute: int, end_minute: int) -> tuple[int, int]:
    """Return (start, end) within a day, the end moved to the next day if it is not later."""
    return start_minute, end_minute + (MINUTES_PER_DAY if end_minute <= start_minute else 0)


def _repeat(patterns: Iterable[tuple[tuple[int, ...], int, int, int]], horizon_minutes: float,
            first_weekday: int = 0) -> list[tuple[float, float, int]]:
    """Expand (weekdays, start, end, count) daily patterns into absolute windows.

    Day -1 (the day before day 0) is included so that a night shift or an evening opening that
    runs past midnight is already on at time 0, as it would be in a running business.
    """
    out: list[tuple[float, float, int]] = []
    n_days = math.ceil(horizon_minutes / MINUTES_PER_DAY)
    for day in range(-1, n_days):
        base = day * MINUTES_PER_DAY
        for weekdays, start, end, count in patterns:
            if (day + first_weekday) % 7 not in weekdays:
                continue
            lo, hi = base + start, base + end
            if hi > 0 and lo < horizon_minutes:
                out.append((float(max(lo, 0)), float(hi), count))
    out.sort()
    return out


def shift_windows(staffing: StaffingSpec, horizon_minutes: float, first_weekday: int = 0
                  ) -> list[tuple[float, float, int]]:
    """Return (start_minute, end_minute, count) on-duty windows, sorted by start.

    A bare integer is one window (0, inf, n). Shifts give one window per shift and working day
    starting before the horizon; a shift past midnight ends the next day (Sunday's in the following
    Monday), and shifts with count 0 are left out.

    Args:
        staffing: A whole number of people around the clock, or shifts.
        horizon_minutes: End of the simulated time, minutes from day 0.
        first_weekday: Weekday of day 0 (0 = Monday).
    """
    if isinstance(staffing, int):
        return [(0.0, math.inf, staffing)]
    patterns = [(s.day_indexes, *_daily(s.start_minute, s.end_minute), s.count)
                for s in staffing if s.count > 0]
    return _repeat(patterns, horizon_minutes, first_weekday)


def cut_windows(windows: list[tuple[float, float, int]],
                cuts: Iterable[tuple[float, float, float]]) -> list[tuple[float, float, int]]:
    """Windows with a share of their people off during each (start, end, share) cut.

    A window overlapping a cut is split at the cut's edges; inside, ``round(count x share)``
    people are off. People on the window before the cut finish the task in hand at its start,
    like at any shift end.
    """
    return [(s, e, c) for s, e, c, _ in planned_cut_windows(windows, cuts)]


def planned_cut_windows(windows: list[tuple[float, float, int]],
                        cuts: Iterable[tuple[float, float, float]]
                        ) -> list[tuple[float, float, int, float]]:
    """``cut_windows`` with, for each piece, the end of the shift window it was cut from.

    A cut ends the people's presence early but is not the end of their shift: whoever plans
    work against the shift end (``field_service.max_overtime_minutes``) plans against this one.
    """
    out = [(s, e, c, e) for s, e, c in windows]
    for a, b, share in cuts:
        pieces: list[tuple[float, float, int, float]] = []
        for s, e, c, planned in out:
            if e <= a or s >= b:
                pieces.append((s, e, c, planned))
                continue
            if s < a:
                pieces.append((s, a, c, planned))
            left = c - round(c * share)
            if left > 0:
                pieces.append((max(s, a), min(e, b), left, planned))
            if e > b:
                pieces.append((b, e, c, planned))
        out = pieces
    out.sort()
    return out


def open_windows(hours: OpenHours | None, horizon_minutes: float, first_weekday: int = 0
                 ) -> list[tuple[float, float]]:
    """Return the (start_minute, end_minute) windows when the call center is open.

    None means open 24/7: [(0, inf)]. Touching or overlapping windows are merged, so a center
    open 00:00-24:00 every day is one window.

    Args:
        hours: The call center's opening hours, or None.
        horizon_minutes: End of the simulated time, minutes from day 0.
        first_weekday: Weekday of day 0 (0 = Monday).
    """
    if hours is None:
        return [(0.0, math.inf)]
    pattern = (hours.day_indexes, *_daily(hours.open_minute, hours.close_minute), 1)
    merged: list[tuple[float, float]] = []
    for start, end, _ in _repeat([pattern], horizon_minutes, first_weekday):
        if merged and start <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(merged[-1][1], end))
        else:
            merged.append((start, end))
    return merged


def _per_hour_of_week(windows: Iterable[tuple[float, float, float]]) -> np.ndarray:
    """Sum weight x (share of each hour of the week covered) over windows within week 0."""
    out = np.zeros(HOURS_PER_WEEK)
    for start, end, weight in windows:
        lo, hi = max(start, 0.0), min(end, float(MINUTES_PER_WEEK))
        if hi <= lo:
            continue
        first, last = int(lo // 60), math.ceil(hi / 60)
        edges = np.arange(first, last + 1) * 60.0
        covered = np.minimum(edges[1:], hi) - np.maximum(edges[:-1], lo)
        out[first:last] += weight * covered / 60.0
    return out


def open_fraction(hours: OpenHours | None) -> np.ndarray:
    """Return, for each weekday (Monday first) and hour, the share of that hour the center is open.

    Args:
        hours: The call center's opening hours, or None (always open).
    """
    if hours is None:
        return np.ones((7, 24))
    # Week 0 alone is enough: the Sunday-night carry-in is already part of day 0's windows.
    windows = [(s, e, 1.0) for s, e in open_windows(hours, MINUTES_PER_WEEK)]
    return _per_hour_of_week(windows).reshape(7, 24)


def hourly_shares(profile: HourlyProfileSpec, hours: OpenHours | None) -> np.ndarray:
    """Return each hour's share of its day's contacts, shape (7, 24), Monday first.

    Each open day's row sums to 1 over its open hours; a closed day's row is all zero. `flat` and
    `business_hours` both spread the day evenly over the open time; 24 weights are masked to the
    open hours and renormalised, and spread evenly if they are zero throughout the open hours.

    Args:
        profile: `"flat"`, `"business_hours"` or 24 weights from 00:00.
        hours: The call center's opening hours, or None (open 24/7).
    """
    is_open = open_fraction(hours)
    weights = np.ones(24) if isinstance(profile, str) else np.asarray(profile, dtype=float)
    raw = is_open * weights[np.newaxis, :]
    shares = np.zeros((7, 24))
    for day in range(7):
        if raw[day].sum() > 0:
            shares[day] = raw[day] / raw[day].sum()
        elif is_open[day].sum() > 0:
            shares[day] = is_open[day] / is_open[day].sum()
    return shares


def arrival_shares(profile: HourlyProfileSpec, hours: OpenHours | None, closed_hours: str
                   ) -> np.ndarray:
    """Return each hour's share of its day's contacts as they *arrive*, shape (7, 24).

    Days with open hours are ``hourly_shares``: contacts come while the call center is open.
    A day on which it never opens has no phone hours; with ``closed_hours: lost`` its contacts
    are not modelled (its row is zero, as in ``hourly_shares``); with ``queue`` they still
    arrive, spread as on an open day (the ``open``-``close`` times and the profile), as web
    tickets and voicemail that wait for the next opening.

    Args:
        profile: `"flat"`, `"business_hours"` or 24 weights from 00:00.
        hours: The call center's opening hours, or None (open 24/7).
        closed_hours: `"queue"` or `"lost"` (``demand.closed_hours``).
    """
    shares = hourly_shares(profile, hours)
    if closed_hours == "lost" or hours is None:
        return shares
    every_day = hourly_shares(profile, hours.model_copy(update={"days": DAYS}))
    closed = shares.sum(axis=1) == 0
    shares[closed] = every_day[closed]
    return shares


def expected_contacts_per_week(contacts_per_day: float, weekly: WeeklyProfileSpec,
                               profile: HourlyProfileSpec, hours: OpenHours | None,
                               closed_hours: str) -> tuple[float, float]:
    """(contacts expected in a week, of which on days the call center never opens).

    With ``closed_hours: lost`` the second number is what is *not* modelled: the week's
    contacts are then the first minus the second.
    """
    weights = weekly_weights(weekly)
    kept = arrival_shares(profile, hours, "queue").sum(axis=1) > 0
    phone = hourly_shares(profile, hours).sum(axis=1) > 0
    week = contacts_per_day * float(np.sum(weights[kept]))
    closed = contacts_per_day * float(np.sum(weights[kept & ~phone]))
    return week, closed


def staffed_by_hour_of_week(staffing: StaffingSpec) -> np.ndarray:
    """Return the mean number of people on duty in each of the 168 hours of the week.

    Args:
        staffing: A whole number of people around the clock, or shifts.
    """
    if isinstance(staffing, int):
        return np.full(HOURS_PER_WEEK, float(staffing))
    windows = [(s, e, float(c)) for s, e, c in shift_windows(staffing, MINUTES_PER_WEEK)]
    return _per_hour_of_week(windows)
