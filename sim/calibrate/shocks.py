"""Demand shocks in the records: runs of days far off the steady profile, fitted as demand events.

This module owns telling a company's steady demand from its shocks (a heat wave, a recall, a
holiday lull). A single stationary rate would spread a shock over the whole period: too low at
the peak, too high the rest of the time, and the queues built at the peak would be lost.
``steady_demand`` alternates between flagging runs of days that stray from the profile, in all
contacts or in one type (``find_shocks``), and refitting the rate and weekly profile on the
other days, until the flagged days settle;
``shock_events`` then estimates, per shock, which contact types moved and by how much, as
``demand.events`` entries of the scenario format. ``sim.calibrate.calls`` applies both.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np
from scipy import stats

from sim.calibrate.estimators import Estimate, profile_intervals, round_sig
from sim.i18n.messages import tr

SHOCK_RATIO = 1.25  # a day this far from the steady profile (and significantly so) is flagged
SHOCK_Z = 4.0  # Poisson standard deviations: with ~100 days, a false flag every ~10^4 fits
MAX_PASSES = 6  # refits of the steady profile; the flagged days settle in two or three
MIN_STEADY_DAYS = 7  # fewer ordinary days (or a weekday without any) give no profile: no shock
MIN_MULTIPLIER = 0.001  # the format needs a positive factor; a day with no contacts at all
SPLIT_P = 0.001  # types whose factors differ this significantly get an event each


@dataclass(frozen=True)
class Shock:
    """A run of days (indices into the records' days, ``last`` included) off the profile."""

    first: int
    last: int
    ratio: float

    @property
    def days(self) -> int:
        """Length of the run in days."""
        return self.last - self.first + 1


@dataclass(frozen=True)
class SteadyDemand:
    """The demand outside shocks, and the shocks.

    Attributes:
        per_day: Contacts per day on ordinary days (the scenario's ``contacts_per_day``).
        weights: The 7 weekly weights, Monday first.
        shocks: The runs of days off the steady profile.
        ordinary: Per day of the records, True outside every shock.
        expected: Expected contacts per day under the steady profile alone.
    """

    per_day: Estimate
    weights: list[Estimate]
    shocks: list[Shock]
    ordinary: np.ndarray
    expected: np.ndarray


def find_shocks(counts: np.ndarray, expected: np.ndarray) -> list[Shock]:
    """Runs of two days or more whose contacts stray from ``expected`` in the same direction.

    A day is flagged when the mean over replications is off by more than ``SHOCK_RATIO`` and
    by more than ``SHOCK_Z`` Poisson standard deviations (both: a big relative change on a
    quiet day is noise, a significant 5% change is not a shock worth an event).

    Args:
        counts: Contacts per (replication, day).
        expected: Expected contacts per day.
    """
    reps = counts.shape[0]
    with np.errstate(divide="ignore", invalid="ignore"):
        ratio = counts.mean(axis=0) / expected
        z = (counts.sum(axis=0) - reps * expected) / np.sqrt(reps * expected)
    odd = (expected > 0) & (np.abs(z) > SHOCK_Z) & ((ratio > SHOCK_RATIO)
                                                     | (ratio < 1 / SHOCK_RATIO))
    high = ratio > 1
    shocks = []
    start = 0
    while start < len(odd):
        if not odd[start]:
            start += 1
            continue
        end = start
        while end + 1 < len(odd) and odd[end + 1] and high[end + 1] == high[start]:
            end += 1
        if end > start:
            window = slice(start, end + 1)
            shocks.append(Shock(start, end, float(counts[:, window].sum()
                                                  / (reps * expected[window].sum()))))
        start = end + 1
    return shocks


def steady_demand(by_type: Mapping[str, np.ndarray], weekday: np.ndarray, confidence: float
                  ) -> SteadyDemand:
    """The rate and weekly profile of ordinary days, and the shocks around them.

    Shocks are looked for in all contacts together and in each type on its own (a recall that
    doubles repair calls moves the total by only the repair share); overlapping runs merge.

    Args:
        by_type: Contacts per (replication, day of the records) of each type.
        weekday: Weekday of each day (0 = Monday).
        confidence: Level of the intervals.
    """
    counts = np.sum(list(by_type.values()), axis=0)
    ordinary = np.ones(counts.shape[1], dtype=bool)
    # The first pass compares each day with the median of its weekday: a shock in a minority
    # of weeks then cannot inflate the profile it is measured against (with a mean it would,
    # and the ordinary weeks would look like a lull).
    daily = counts.mean(axis=0)
    medians = np.array([np.median(daily[weekday == d]) if (weekday == d).any() else 0.0
                        for d in range(7)])
    expected = medians[weekday]
    seen = set(weekday.tolist())
    for _ in range(MAX_PASSES):
        shocks = _all_shocks(by_type, counts, expected, ordinary)
        now = _outside(shocks, len(ordinary))
        if now.sum() < MIN_STEADY_DAYS or set(weekday[now].tolist()) != seen:
            shocks, now = [], np.ones_like(ordinary)  # too few weeks to tell shock from profile
        converged = (now == ordinary).all()
        ordinary = now
        per_day, weights = profile_intervals(counts[:, ordinary], weekday[ordinary], confidence)
        expected = per_day.value * np.array([w.value for w in weights])[weekday]
        if converged:
            break
    return SteadyDemand(per_day, weights, shocks, ordinary, expected)


def _all_shocks(by_type: Mapping[str, np.ndarray], counts: np.ndarray, expected: np.ndarray,
                ordinary: np.ndarray) -> list[Shock]:
    """Shocks of the total and of each type (at its share of ordinary days), merged."""
    runs = find_shocks(counts, expected)
    total = counts[:, ordinary].sum()
    for c in by_type.values():
        share = c[:, ordinary].sum() / total if total > 0 else 0.0
        if share > 0:
            runs += find_shocks(c, share * expected)
    merged: list[Shock] = []
    for run in sorted(runs, key=lambda r: r.first):
        if merged and run.first <= merged[-1].last + 1:
            merged[-1] = Shock(merged[-1].first, max(run.last, merged[-1].last), 0.0)
        else:
            merged.append(run)
    reps = counts.shape[0]
    return [Shock(r.first, r.last, float(counts[:, r.first:r.last + 1].sum()
                                         / (reps * expected[r.first:r.last + 1].sum())))
            for r in merged]


def _outside(shocks: list[Shock], days: int) -> np.ndarray:
    """Per day, True when no shock covers it."""
    mask = np.ones(days, dtype=bool)
    for s in shocks:
        mask[s.first:s.last + 1] = False
    return mask


def shock_events(shock: Shock, type_counts: Mapping[str, np.ndarray],
                 shares: Mapping[str, float], expected: np.ndarray, rate_rel_se: float,
                 start_day: int, first_date: dt.date, confidence: float
                 ) -> list[tuple[dict[str, Any], Estimate]]:
    """The ``demand.events`` entries of one shock, each with its multiplier's interval.

    A contact type is in the event when its own count in the window is off its steady
    expectation by more than ``SHOCK_Z`` standard deviations; if none is on its own, all are.
    The multiplier is observed over expected contacts of those types. Types whose factors
    differ significantly (chi-square, p < ``SPLIT_P``) get an event each.

    Args:
        shock: The run of days.
        type_counts: Contacts per (replication, day) of each type.
        shares: The steady mix.
        expected: Expected contacts per day under the steady profile.
        rate_rel_se: Relative standard error of the steady rate, added to the Poisson error of
            the window's count in the multiplier's interval.
        start_day: The shock's first day in the fitted scenario's clock (day 0 = start_date).
        first_date: Its calendar date, for the event's name.
        confidence: Level of the intervals.
    """
    window = slice(shock.first, shock.last + 1)
    reps = next(iter(type_counts.values())).shape[0]
    seen = {k: float(c[:, window].sum()) for k, c in type_counts.items() if shares.get(k, 0) > 0}
    due = {k: reps * shares[k] * float(expected[window].sum()) for k in seen}
    moved = [k for k in seen if abs(seen[k] - due[k]) > SHOCK_Z * math.sqrt(due[k])]
    moved = moved or list(seen)
    groups = [moved]
    pooled = sum(seen[k] for k in moved) / sum(due[k] for k in moved)
    if len(moved) > 1 and pooled > 0:
        chi2 = sum((seen[k] - pooled * due[k]) ** 2 / (pooled * due[k]) for k in moved)
        if stats.chi2.sf(chi2, len(moved) - 1) < SPLIT_P:
            groups = [[k] for k in moved]
    z = float(stats.norm.ppf(0.5 + confidence / 2))
    events = []
    for group in groups:
        n, e = sum(seen[k] for k in group), sum(due[k] for k in group)
        m = max(n / e, MIN_MULTIPLIER)
        se_log = math.sqrt(1 / max(n, 1.0) + rate_rel_se ** 2)
        name = tr("shock from {date}", date=first_date.isoformat()) + (
            f" ({group[0]})" if len(groups) > 1 else "")
        events.append(({"name": name, "start_day": start_day, "days": shock.days,
                        "multiplier": round_sig(m, 3), "types": group},
                       Estimate(m, m * math.exp(-z * se_log), m * math.exp(z * se_log))))
    return events
