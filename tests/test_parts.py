"""Checks of sim.engine.parts: each policy's orders on exact scenarios, FCFS backorders, inspection
and reject reorders, conservation properties under random inputs, the measurement functions on a
hand-made table, and the base-stock fill rate against the Poisson formula (an analytic check under
the rule of ``tests/theory_level.py``)."""

from __future__ import annotations

import math
from collections.abc import Sequence
from functools import partial
from typing import Any

import numpy as np
import pandas as pd
import pytest
import simpy
import theory_level
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy.stats import poisson

from sim.engine.parts import PartLoss, PartOrder, PartRequest, PartsStore, order_quantity
from sim.engine.records import frame, levels_frame
from sim.engine.rng import Streams
from sim.measure.costs import cost_holding, cost_ordering, cost_parts_purchase
from sim.measure.parts import (
    PartRequests,
    Stock,
    backorders_at,
    fill_rate,
    inventory_value_mean,
    on_hand_at,
    part_wait_hours,
    steps_by_sku,
)
from sim.measure.registry import value, values
from sim.measure.window import Grid
from sim.scenario.inventory import BaseStockPolicy, Parts, RQPolicy, SSPolicy

DAY = 1440.0

# --------------------------------------------------------------------------------- helpers


def sku_dict(policy: dict[str, Any], initial: int = 0, lead: Any = 2.0, reject_rate: float = 0.0,
             unit_cost: float = 10.0, name: str = "a", share: float = 1.0) -> dict[str, Any]:
    return {"sku": name, "share": share, "unit_cost": unit_cost, "initial_on_hand": initial,
            "policy": policy, "lead_time_days": lead, "reject_rate": reject_rate}


def make_parts(*skus: dict[str, Any], order_cost: float = 0.0, holding: float = 0.24) -> Parts:
    return Parts.model_validate({"skus": list(skus), "order_cost": order_cost,
                                 "holding_rate_per_year": holding})


def one_sku(policy: dict[str, Any], **kw: Any) -> Parts:
    return make_parts(sku_dict(policy, **kw))


class Driver:
    """Runs a store over a schedule of (minute, sku, job id) requests, logging everything."""

    def __init__(self, parts: Parts, seed: int = 1) -> None:
        self.env = simpy.Environment()
        self.store = PartsStore(self.env, parts, Streams(seed))
        self.ready: dict[int, float] = {}
        self.answers: dict[int, bool] = {}

    def run(self, schedule: Sequence[tuple[float, str, int]], until: float) -> PartsStore:
        env, store = self.env, self.store

        def on_ready(job: int) -> None:
            assert job not in self.ready, "on_ready called twice"
            self.ready[job] = env.now

        def deliver() -> Any:
            for time, sku, job in sorted(schedule, key=lambda r: r[0]):
                if time > env.now:
                    yield env.timeout(time - env.now)
                on_hand, waiting = store.on_hand(sku), store.backorders(sku)
                assert not (on_hand > 0 and waiting > 0), "stock idle while a job waits"
                got = store.request(sku, job, partial(on_ready, job))
                assert got == (on_hand > 0 and waiting == 0)
                self.answers[job] = got

        env.process(deliver())
        env.run(until=until)
        return store


def orders_of(store: PartsStore) -> list[tuple[float, int, str]]:
    return [(o.placed, o.quantity, o.reason) for o in store.orders]


# --------------------------------------------------------------------- policies, exact runs


def test_base_stock_orders_one_for_one() -> None:
    d = Driver(one_sku({"type": "base_stock", "level": 3}, initial=3, lead=2.0))
    store = d.run([(10.0, "a", 1), (20.0, "a", 2)], until=3 * DAY)
    assert orders_of(store) == [(10.0, 1, "policy"), (20.0, 1, "policy")]
    assert [o.lead_minutes for o in store.orders] == [2 * DAY, 2 * DAY]
    assert [o.received for o in store.orders] == [10.0 + 2 * DAY, 20.0 + 2 * DAY]
    assert store.on_hand("a") == 3 and store.inventory_position("a") == 3
    assert store.levels["a"] == [(0.0, 3), (10.0, 2), (20.0, 1), (10.0 + 2 * DAY, 2),
                                 (20.0 + 2 * DAY, 3)]


def test_continuous_policies_check_at_time_zero() -> None:
    for policy, initial, quantity in [({"type": "base_stock", "level": 4}, 1, 3),
                                      ({"type": "sS", "s": 2, "S": 5}, 2, 3),
                                      ({"type": "rQ", "r": 3, "Q": 2}, 0, 4)]:
        store = Driver(one_sku(policy, initial=initial)).run([], until=1.0)
        assert orders_of(store) == [(0.0, quantity, "policy")], policy


def test_s_s_orders_up_to_S_when_position_reaches_s() -> None:
    d = Driver(one_sku({"type": "sS", "s": 2, "S": 5}, initial=5, lead=1.0))
    store = d.run([(t, "a", t) for t in (1, 2, 3, 4)], until=2.0 * DAY)
    # Positions after each request: 4, 3, 2 (order 3 -> 5), 4.
    assert orders_of(store) == [(3.0, 3, "policy")]
    assert store.inventory_position("a") == 4


def test_r_q_orders_enough_lots_to_clear_the_reorder_point() -> None:
    d = Driver(one_sku({"type": "rQ", "r": 2, "Q": 3}, initial=4, lead=1.0))
    store = d.run([(1.0, "a", 1), (2.0, "a", 2), (3.0, "a", 3)], until=10.0)
    assert orders_of(store) == [(2.0, 3, "policy")]  # positions 3, 2 -> 5, 4
    assert store.inventory_position("a") == 4
    # A backlog below r needs several lots: position -3, r 2, Q 2 -> 3 lots (6) lift it to 3.
    parts = one_sku({"type": "rQ", "r": 2, "Q": 2}, initial=0, lead=1.0)
    assert order_quantity(parts.skus[0].policy, -3) == 6


@pytest.mark.parametrize("policy", [
    {"type": "base_stock", "level": 4}, {"type": "base_stock", "level": 0},
    {"type": "sS", "s": 0, "S": 3}, {"type": "sS", "s": 3, "S": 7},
    {"type": "rQ", "r": -1, "Q": 1}, {"type": "rQ", "r": 2, "Q": 3}, {"type": "rQ", "r": 5, "Q": 2},
])
def test_order_quantity_matches_the_definitions(policy: dict[str, Any]) -> None:
    spec = one_sku(policy).skus[0].policy
    for ip in range(-12, 12):
        if policy["type"] == "base_stock":
            expected = policy["level"] - ip if ip < policy["level"] else 0
        elif policy["type"] == "sS":
            expected = policy["S"] - ip if ip <= policy["s"] else 0
        else:
            expected = 0
            if ip <= policy["r"]:
                expected = policy["Q"]
                while ip + expected <= policy["r"]:
                    expected += policy["Q"]
        assert order_quantity(spec, ip) == expected, (policy, ip)


def test_periodic_review_timing_and_quantities() -> None:
    d = Driver(one_sku({"type": "periodic", "review_days": 1.0, "S": 5}, initial=5, lead=0.5))
    store = d.run([(100.0, "a", 1), (200.0, "a", 2), (1500.0, "a", 3)], until=3.5 * DAY)
    # Day 1: position 3 -> order 2. Day 2: position 4 -> order 1. Day 3: position 5 -> nothing.
    assert orders_of(store) == [(DAY, 2, "review"), (2 * DAY, 1, "review")]
    assert store.on_hand("a") == 5


def test_periodic_first_review_is_after_one_period() -> None:
    store = Driver(one_sku({"type": "periodic", "review_days": 2.5, "S": 4})).run([], 6 * DAY)
    assert orders_of(store) == [(2.5 * DAY, 4, "review")]


# ------------------------------------------------------------------------ backorders, FCFS


def test_backorders_are_served_first_come_first_served_at_receipt() -> None:
    d = Driver(one_sku({"type": "base_stock", "level": 2}, initial=0, lead=1.0))
    schedule = [(10.0, "a", 1), (20.0, "a", 2), (30.0, "a", 3), (1445.0, "a", 4),
                (1475.0, "a", 5)]
    store = d.run(schedule, until=2 * DAY)
    # Orders: 2 at t=0 (in at 1440), then one per request (in at 1450, 1460, 1470, 2885).
    assert d.answers == {1: False, 2: False, 3: False, 4: False, 5: True}
    assert d.ready == {1: 1440.0, 2: 1440.0, 3: 1450.0, 4: 1460.0}
    assert {r.job_id: r.filled for r in store.requests} == {**d.ready, 5: 1475.0}
    assert all(v >= 0 for _, v in store.levels["a"])


def test_on_ready_may_request_again() -> None:
    env = simpy.Environment()
    store = PartsStore(env, one_sku({"type": "base_stock", "level": 1}, lead=1.0), Streams(3))
    seen: list[bool] = []
    store.request("a", 1, lambda: seen.append(store.request("a", 2, lambda: None)))
    env.run(until=3 * DAY)
    # Two single-unit orders land at day 1 (the t=0 check and job 1's). The first serves job 1,
    # whose callback asks again with the shelf empty: job 2 waits, then takes the second unit.
    assert seen == [False]
    assert [r.filled for r in store.requests] == [DAY, DAY]
    assert [o.placed for o in store.orders] == [0.0, 0.0, DAY]
    assert store.inventory_position("a") == 1


def test_unknown_sku_is_named() -> None:
    store = PartsStore(simpy.Environment(), one_sku({"type": "base_stock", "level": 1}),
                       Streams(1))
    with pytest.raises(KeyError, match="unknown sku 'zz'"):
        store.request("zz", 1, lambda: None)


# ------------------------------------------------------------------------------ inspection


def test_rejected_units_are_reordered_at_once() -> None:
    gen = np.random.default_rng(11)
    times = np.sort(gen.uniform(0, 100 * DAY, 300))
    d = Driver(one_sku({"type": "base_stock", "level": 5}, initial=5, lead=1.0, reject_rate=0.5),
               seed=7)
    store = d.run([(t, "a", i) for i, t in enumerate(times)], until=100 * DAY)
    received = [o for o in store.orders if not math.isnan(o.received)]
    assert all(o.accepted + o.rejected == o.quantity for o in received)
    assert sum(o.rejected for o in received) > 50
    reorders = [(o.placed, o.quantity) for o in store.orders if o.reason == "reject_reorder"]
    assert reorders == [(o.received, o.rejected) for o in received if o.rejected > 0]
    # Rejects never move the position: base stock keeps it exactly at the level.
    assert store.inventory_position("a") == 5


def test_lead_times_have_one_stream_per_sku() -> None:
    lead = {"dist": "gamma", "mean": 3.0, "cv": 0.5}

    def leads_of_a(b_level: int) -> list[float]:
        parts = make_parts(sku_dict({"type": "base_stock", "level": 3}, 3, lead, 0.2, name="a",
                                    share=0.5),
                           sku_dict({"type": "base_stock", "level": b_level}, 0, lead, 0.2,
                                    name="b", share=0.5))
        schedule = [(float(t), "a" if t % 3 else "b", t) for t in range(1, 6000, 37)]
        store = Driver(parts, seed=5).run(schedule, until=10 * DAY)
        return [o.lead_minutes for o in store.orders if o.sku == "a"]

    first = leads_of_a(2)
    assert len(set(first)) > 5
    assert leads_of_a(9) == first  # SKU b's policy changed; SKU a saw the same numbers


# -------------------------------------------------------------------- conservation (property)

policies = st.one_of(
    st.builds(lambda n: {"type": "base_stock", "level": n}, st.integers(0, 6)),
    st.integers(0, 5).flatmap(lambda s: st.builds(
        lambda big: {"type": "sS", "s": s, "S": big}, st.integers(s + 1, s + 6))),
    st.builds(lambda r, q: {"type": "rQ", "r": r, "Q": q}, st.integers(-1, 4), st.integers(1, 4)),
    st.builds(lambda days, big: {"type": "periodic", "review_days": days, "S": big},
              st.sampled_from([0.25, 0.5, 1.0, 2.5]), st.integers(0, 8)),
)
leads = st.one_of(st.sampled_from([0.0, 0.5, 1.0, 3.0]),
                  st.builds(lambda m: {"dist": "exponential", "mean": m},
                            st.sampled_from([0.5, 2.0])))


@settings(max_examples=60, deadline=None)
@given(
    skus=st.lists(st.tuples(policies, st.integers(0, 8), leads,
                            st.one_of(st.just(0.0), st.floats(0.0, 0.9))),
                  min_size=1, max_size=2),
    requests=st.lists(st.tuples(st.floats(0.0, 20 * DAY), st.integers(0, 1)), max_size=80),
    until=st.floats(DAY, 25 * DAY),
    seed=st.integers(0, 2**32 - 1),
)
def test_conservation_under_random_inputs(skus: list[tuple[dict[str, Any], int, Any, float]],
                                          requests: list[tuple[float, int]], until: float,
                                          seed: int) -> None:
    names = [f"s{i}" for i in range(len(skus))]
    parts = make_parts(*(sku_dict(p, init, lead, rate, name=n, share=1.0 / len(skus))
                         for n, (p, init, lead, rate) in zip(names, skus, strict=True)))
    schedule = [(t, names[k % len(names)], i) for i, (t, k) in enumerate(requests)]
    store = Driver(parts, seed).run(schedule, until)
    for name, spec in zip(names, parts.skus, strict=True):
        reqs = [r for r in store.requests if r.sku == name]
        orders = [o for o in store.orders if o.sku == name]
        got = [o for o in orders if not math.isnan(o.received)]
        outstanding = sum(o.quantity for o in orders if math.isnan(o.received))
        filled = [r for r in reqs if not math.isnan(r.filled)]
        assert all(v >= 0 for _, v in store.levels[name])
        assert store.levels[name][-1][1] == store.on_hand(name)
        assert (spec.initial_on_hand + sum(o.accepted for o in got)
                == len(filled) + store.on_hand(name))
        assert sum(o.quantity for o in orders) == sum(o.accepted + o.rejected for o in got) \
            + outstanding
        assert store.on_order(name) == outstanding
        assert store.inventory_position(name) == (store.on_hand(name) + outstanding
                                                  - (len(reqs) - len(filled)))
        waited = [r.filled for r in reqs if not r.from_stock and not math.isnan(r.filled)]
        assert waited == sorted(waited)  # FCFS: earlier requests are served no later
        # Receipts never move the position, so a continuous policy leaves it above its trigger.
        ip, policy = store.inventory_position(name), spec.policy
        if isinstance(policy, BaseStockPolicy):
            assert ip >= policy.level
        elif isinstance(policy, SSPolicy):
            assert ip > policy.s
        elif isinstance(policy, RQPolicy):
            assert ip > policy.r


# ----------------------------------------------------------------------------- measurement


def tiny_tables() -> tuple[Parts, pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    parts = make_parts(sku_dict({"type": "base_stock", "level": 2}, unit_cost=10.0, name="a",
                                share=0.5),
                       sku_dict({"type": "base_stock", "level": 1}, unit_cost=100.0, name="b",
                                share=0.5),
                       order_cost=5.0, holding=0.24)
    nan = math.nan
    requests = [PartRequest(0, "a", 0, 10.0, True, 10.0),    # before the window
                PartRequest(1, "a", 1, 40.0, True, 40.0),
                PartRequest(2, "b", 2, 50.0, False, 170.0),  # waits 2 h
                PartRequest(3, "a", 3, 70.0, False, 100.0),  # waits 0.5 h
                PartRequest(4, "b", 4, 140.0, False, nan),   # never filled
                PartRequest(5, "a", 5, 30.0, True, 30.0)]    # exactly at the start
    orders = [PartOrder(0, "a", 0.0, 3, 20.0, 20.0, 3, 0),
              PartOrder(1, "a", 40.0, 2, 80.0, 120.0, 2, 0),
              PartOrder(2, "b", 50.0, 2, 100.0, 150.0, 2, 0),   # received at the end: outside
              PartOrder(3, "b", 100.0, 4, 40.0, 140.0, 3, 1),
              PartOrder(4, "a", 150.0, 1, 40.0)]                 # placed at the end: outside
    levels = levels_frame({"a": [(0.0, 2), (60.0, 1), (120.0, 3)], "b": [(0.0, 1), (90.0, 0)]})
    return parts, frame(requests, PartRequest), frame(orders, PartOrder), levels


def stock(parts: Parts, orders: pd.DataFrame, levels: pd.DataFrame, grid: Grid) -> Stock:
    return Stock(parts, orders, levels, frame([], PartLoss), grid)


def since(start: float) -> Grid:
    """Everything from ``start`` on, as one cohort."""
    return Grid.whole(start, math.inf)


def test_parts_measures_on_a_hand_made_table() -> None:
    parts, requests, orders, levels = tiny_tables()
    asked = PartRequests.measured(requests, since(30.0))
    window = stock(parts, orders, levels, Grid.whole(30.0, 150.0))
    # Area on [30, 150]: a 2*30 + 1*60 + 3*30 = 210 units x 10; b 1*60 = 60 units x 100.
    area = 210 * 10.0 + 60 * 100.0
    assert value(fill_rate, asked) == pytest.approx(2 / 5)
    assert value(part_wait_hours, asked) == pytest.approx((2.0 + 0.5) / 2)
    assert value(inventory_value_mean, window) == pytest.approx(area / 120.0)
    assert value(cost_holding, window) == pytest.approx(0.24 * area / 525600.0)
    assert value(cost_parts_purchase, window) == pytest.approx(2 * 10.0 + 3 * 100.0)
    assert value(cost_ordering, window) == pytest.approx(3 * 5.0)


def test_parts_measures_on_empty_tables() -> None:
    parts = one_sku({"type": "base_stock", "level": 1}, initial=2, unit_cost=5.0)
    asked = PartRequests.measured(frame([], PartRequest), since(0.0))
    window = stock(parts, frame([], PartOrder), levels_frame({"a": [(0.0, 2)]}),
                   Grid.whole(0.0, 100.0))
    assert math.isnan(value(fill_rate, asked)) and math.isnan(value(part_wait_hours, asked))
    assert value(inventory_value_mean, window) == pytest.approx(10.0)
    assert value(cost_parts_purchase, window) == value(cost_ordering, window) == 0.0


def test_parts_costs_of_months_add_up_to_the_horizon() -> None:
    # The budget books each month with the very cost lines of the horizon's KPIs.
    parts, _, orders, levels = tiny_tables()
    months = stock(parts, orders, levels, Grid(np.array([30.0, 80.0, 130.0, 150.0])))
    assert cost_ordering(months) == pytest.approx([10.0, 5.0, 0.0])
    assert cost_parts_purchase(months) == pytest.approx([0.0, 20.0, 300.0])
    assert cost_holding(months)[0] == pytest.approx(0.24 * (80 * 10.0 + 50 * 100.0) / 525600.0)
    # On hand: a 2 until 60, 1 until 120, 3 after (x 10); b 1 until 90, 0 after (x 100).
    area = np.array([(2 * 30 + 1 * 20) * 10.0 + 50 * 100.0, (1 * 40 + 3 * 10) * 10.0 + 10 * 100.0,
                     3 * 20 * 10.0])
    assert values(inventory_value_mean, months) == pytest.approx(area / [50.0, 50.0, 20.0])
    horizon = stock(parts, orders, levels, Grid.whole(30.0, 150.0))
    for line in (cost_parts_purchase, cost_holding, cost_ordering):
        assert line(months).sum() == pytest.approx(value(line, horizon))


def test_on_hand_and_backorders_at_times() -> None:
    _, requests, _, levels = tiny_tables()
    got = on_hand_at(levels, np.array([0.0, 59.0, 60.0, 61.0, 200.0]))
    assert list(got.columns) == ["on_hand_a", "on_hand_b"]
    assert list(got["on_hand_a"]) == [2, 2, 1, 1, 3]
    assert list(got["on_hand_b"]) == [1, 1, 1, 1, 0]
    times = np.array([49.0, 50.0, 70.0, 99.0, 100.0, 145.0, 170.0, 1000.0])
    assert list(backorders_at(requests, times)) == [0, 1, 2, 2, 1, 2, 1, 1]


def test_store_tables_feed_the_measurements() -> None:
    parts = one_sku({"type": "sS", "s": 1, "S": 4}, initial=2, lead=1.0)
    d = Driver(parts)
    store = d.run([(t * 100.0, "a", t) for t in range(1, 40)], until=5 * DAY)
    requests = frame(store.requests, PartRequest)
    levels = levels_frame(store.levels)
    times = np.arange(0.0, 5 * DAY, 50.0)
    assert (on_hand_at(levels, times)["on_hand_a"] >= 0).all()
    waiting = backorders_at(requests, times)
    assert waiting.max() > 0 and waiting[-1] == store.backorders("a")
    assert value(fill_rate, PartRequests.measured(requests, since(0.0))) == pytest.approx(
        np.mean([d.answers[j] for j in range(1, 40)]))


# ------------------------------------------------------------------------------ statistics


def base_stock_fill_rate(rate: float, lead_days: float, level: int, days: float,
                         seed: np.random.SeedSequence) -> float:
    """One replication: Poisson requests (``rate`` a day) on a base-stock SKU, started full."""
    gen = np.random.default_rng(seed)
    gaps = gen.exponential(DAY / rate, int(rate * days * 1.1))
    times = np.cumsum(gaps)
    times = times[times < days * DAY]
    parts = one_sku({"type": "base_stock", "level": level}, initial=level, lead=lead_days)
    env = simpy.Environment()
    store = PartsStore(env, parts, Streams(int(seed.generate_state(1)[0])))

    def demand() -> Any:
        request, timeout = store.request, env.timeout
        for i, t in enumerate(times.tolist()):
            yield timeout(t - env.now)
            request("a", i, lambda: None)

    env.process(demand())
    env.run(until=days * DAY)
    return value(fill_rate, PartRequests.measured(frame(store.requests, PartRequest),
                                                  since(0.0)))


@pytest.mark.parametrize(("run", "kpi"), theory_level.params("parts"))
def test_base_stock_fill_rate_matches_poisson(run: str, kpi: str) -> None:
    """With Poisson demand, lead time L and base stock S, a request is met from stock iff fewer
    than S units were requested in the preceding L: fill rate = P(Poisson(rate L) <= S - 1).

    20 independent replications of 3000 days (about 9000 requests each; demand in overlapping
    lead-time windows is correlated, so one replication's fill rate has a standard error of
    about 0.013) checked at the suite's per-check level (``tests/theory_level.py``). A store
    started full at S is stationary after one lead time (2 of the 3000 days): no warm-up.
    """
    rate, lead_days, level, days = 3.0, 2.0, 8, 3000.0
    children = np.random.SeedSequence(theory_level.seed(run)).spawn(20)
    fill = [base_stock_fill_rate(rate, lead_days, level, days, child) for child in children]
    expected = float(poisson.cdf(level - 1, rate * lead_days))
    theory_level.assert_mean(run, kpi, fill, expected)


@settings(max_examples=100, deadline=None)
@given(st.lists(st.tuples(st.sampled_from(["pump", "seal", "belt"]), st.integers(0, 6),
                          st.integers(-3, 9)), max_size=40))
def test_steps_by_sku_is_each_skus_rows_sorted_stably_by_time(
        rows: list[tuple[str, int, int]]) -> None:
    """Ties in time (several moves at one instant) keep their recorded order: the last one is
    the level after the instant."""
    levels = pd.DataFrame(rows, columns=["sku", "time", "on_hand"]).astype({"time": float})
    steps = steps_by_sku(levels)
    assert list(steps) == list(dict.fromkeys(sku for sku, _, _ in rows))
    for sku, (times, on_hand) in steps.items():
        mine = sorted(((t, i, v) for i, (s, t, v) in enumerate(rows) if s == sku))
        assert times.tolist() == [float(t) for t, _, _ in mine]
        assert on_hand.tolist() == [float(v) for _, _, v in mine]
