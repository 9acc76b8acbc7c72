"""Demand shocks: found as runs of days, kept out of the steady profile, fitted as demand events.

Synthetic daily counts (Poisson, known truth) check each step; the round trip through the whole
model (a scenario with an event, its logs, the fit) is in ``test_fit_backtest``.
"""

from __future__ import annotations

import datetime as dt

import numpy as np
import pytest

from sim.calibrate.estimators import profile_intervals
from sim.calibrate.shocks import find_shocks, shock_events, steady_demand

DAYS = 56
WEEKLY = np.array([1.2, 1.1, 1.0, 1.0, 1.1, 0.4, 1.2])  # mean 1
RATE = 300.0
MIX = {"inquiry": 0.6, "repair": 0.3, "complaint": 0.1}
SHOCK = slice(20, 34)  # 14 days, a Saturday to a Friday
FIRST = dt.date(2026, 3, 2)  # a Monday


def daily(multipliers: dict[str, float], seed: int = 5, reps: int = 3
          ) -> tuple[dict[str, np.ndarray], np.ndarray]:
    """Counts per (rep, day) of each type, with the listed types multiplied during SHOCK."""
    gen = np.random.default_rng(seed)
    weekday = np.arange(DAYS) % 7
    by_type = {}
    for kind, share in MIX.items():
        mean = RATE * share * WEEKLY[weekday]
        mean[SHOCK] *= multipliers.get(kind, 1.0)
        by_type[kind] = gen.poisson(mean, size=(reps, DAYS)).astype(float)
    return by_type, weekday


def test_a_shock_is_found_where_it_is() -> None:
    expected = np.full(42, 300.0)
    counts = np.random.default_rng(5).poisson(expected * np.where(
        (np.arange(42) >= 20) & (np.arange(42) < 27), 1.8, 1.0), size=(2, 42)).astype(float)
    (shock,) = find_shocks(counts, expected)
    assert (shock.first, shock.last, shock.days) == (20, 26, 7)
    assert shock.ratio == pytest.approx(1.8, abs=0.05)
    assert find_shocks(np.tile(expected, (2, 1)), expected) == []


def test_a_lull_is_a_shock_too_and_one_odd_day_is_not() -> None:
    expected = np.full(30, 300.0)
    counts = np.tile(expected, (2, 1))
    counts[:, 10:13] *= 0.5
    counts[:, 20] *= 2.0
    (shock,) = find_shocks(counts, expected)
    assert (shock.first, shock.last) == (10, 12) and shock.ratio == pytest.approx(0.5)


def test_the_steady_rate_and_profile_leave_the_shock_out() -> None:
    by_type, weekday = daily({"inquiry": 1.8, "repair": 1.8})
    counts = sum(by_type.values())
    steady = steady_demand(by_type, weekday, 0.99)
    assert [(s.first, s.last) for s in steady.shocks] == [(20, 33)]
    assert steady.ordinary.sum() == DAYS - 14
    assert steady.per_day.covers(RATE)
    for w, truth in zip(steady.weights, WEEKLY, strict=True):
        assert w.covers(truth)
    naive, _ = profile_intervals(counts, weekday, 0.99)  # the stationary fit it replaces
    assert naive.value > RATE * 1.15 and not naive.covers(RATE)


def test_no_shock_no_event() -> None:
    by_type, weekday = daily({})
    steady = steady_demand(by_type, weekday, 0.99)
    assert steady.shocks == [] and steady.ordinary.all()


def test_the_event_names_the_types_that_moved_and_their_factor() -> None:
    by_type, weekday = daily({"inquiry": 1.8, "repair": 1.8})
    steady = steady_demand(by_type, weekday, 0.99)
    (shock,) = steady.shocks
    ((event, est),) = shock_events(shock, by_type, MIX, steady.expected, 0.0, 27,
                                   FIRST + dt.timedelta(days=20), 0.99)
    assert event["types"] == ["inquiry", "repair"]  # complaints did not move
    assert (event["start_day"], event["days"]) == (27, 14)
    assert est.covers(1.8) and event["multiplier"] == pytest.approx(est.value, rel=0.01)
    assert event["name"] == "shock from 2026-03-22"


def test_types_that_moved_differently_get_an_event_each() -> None:
    by_type, weekday = daily({"inquiry": 1.3, "repair": 2.5}, seed=8)
    steady = steady_demand(by_type, weekday, 0.99)
    (shock,) = steady.shocks
    events = shock_events(shock, by_type, MIX, steady.expected, 0.0, 20, FIRST, 0.99)
    found = {tuple(e["types"]): est for e, est in events}
    assert set(found) == {("inquiry",), ("repair",)}
    assert found[("inquiry",)].covers(1.3) and found[("repair",)].covers(2.5)


def test_the_multiplier_interval_widens_with_the_rate_uncertainty() -> None:
    by_type, weekday = daily({"repair": 2.0})
    steady = steady_demand(by_type, weekday, 0.95)
    (shock,) = steady.shocks
    ((_, tight),) = shock_events(shock, by_type, MIX, steady.expected, 0.0, 0, FIRST, 0.95)
    ((_, wide),) = shock_events(shock, by_type, MIX, steady.expected, 0.05, 0, FIRST, 0.95)
    assert wide.low < tight.low < tight.value == wide.value < tight.high < wide.high


def test_a_shock_in_one_type_is_found_though_the_total_barely_moves() -> None:
    by_type, weekday = daily({"complaint": 3.0})  # +20% of all contacts: under SHOCK_RATIO
    steady = steady_demand(by_type, weekday, 0.99)
    assert [(s.first, s.last) for s in steady.shocks] == [(20, 33)]
    ((event, est),) = shock_events(steady.shocks[0], by_type, MIX, steady.expected, 0.0, 0,
                                   FIRST, 0.99)
    assert event["types"] == ["complaint"] and est.covers(3.0)
