"""Spare parts: stock, replenishment policies, inbound inspection, and their measurement.

This module owns what happens between "a job needs one unit of SKU x now" and "a unit is
allocated to it": on-hand stock, backorders served first come first served, replenishment orders
placed by each SKU's policy, lead times, and the inspection of received units (rejects are
reordered at once). It does not own which job needs which part, nor what a job does while it
waits: that is field service's business, which calls ``PartsStore.request`` and gets a callback.

Every policy decides on the inventory position IP = on hand + on order - backorders, never on
on-hand alone, so outstanding orders are not ordered twice. Receipts, inspection and reject
reorders leave IP unchanged (on order drops by the quantity and rises by the rejects; accepted
units become on-hand or fill backorders), so only demand and reviews can trigger an order.

The second half holds pure measurement functions over the flat tables (``sim.records.frame`` of
``PartsStore.requests`` / ``orders`` and ``levels_frame(store.levels)``), for ``sim.kpis``.
Engine clock unit: minutes.
"""

from __future__ import annotations

import math
from collections import deque
from collections.abc import Callable, Generator, Sequence
from dataclasses import dataclass, field
from typing import Any, cast

import numpy as np
import pandas as pd
import simpy

from sim.distributions import MINUTES_PER_DAY, MINUTES_PER_HOUR, Sampler, sampler
from sim.rng import Streams
from sim.scenario import (
    BaseStockPolicy,
    Parts,
    PeriodicPolicy,
    Policy,
    RQPolicy,
    Sku,
    SSPolicy,
    SupplierDelay,
)

NAN = math.nan
MINUTES_PER_YEAR = 365.0 * MINUTES_PER_DAY  # 525600: holding rates are per year
COST_DEPARTMENTS = ("parts_purchase", "holding", "ordering")


@dataclass(slots=True, eq=False)
class PartRequest:
    """One job's need for one unit; ``filled`` is NaN until a unit is allocated to it."""

    id: int
    sku: str
    job_id: int
    time: float
    from_stock: bool
    filled: float = NAN


@dataclass(slots=True, eq=False)
class PartOrder:
    """One replenishment order; ``received`` is NaN and the counts 0 until it arrives."""

    id: int
    sku: str
    placed: float
    quantity: int
    lead_minutes: float
    received: float = NAN
    accepted: int = 0
    rejected: int = 0
    reason: str = "policy"  # "policy" | "reject_reorder" | "review"


def order_quantity(policy: Policy, position: int) -> int:
    """Units a continuous-review policy orders at inventory position ``position`` (0: none).

    Periodic policies order only at reviews (``review_quantity``), so they return 0 here.
    """
    if isinstance(policy, BaseStockPolicy):
        return max(policy.level - position, 0)
    if isinstance(policy, SSPolicy):
        return policy.S - position if position <= policy.s else 0
    if isinstance(policy, RQPolicy):
        if position > policy.r:
            return 0
        # Smallest k with position + kQ > r; a big backlog can need more than one lot.
        return ((policy.r - position) // policy.Q + 1) * policy.Q
    return 0


def review_quantity(policy: PeriodicPolicy, position: int) -> int:
    """Units a periodic review orders at inventory position ``position`` (0: none)."""
    return max(policy.S - position, 0)


@dataclass(slots=True, eq=False)
class _Stock:
    """Run-time state of one SKU."""

    spec: Sku
    lead: Sampler
    inspection: np.random.Generator
    on_hand: int
    on_order: int = 0
    waiting: deque[tuple[PartRequest, Callable[[], None]]] = field(default_factory=deque)
    levels: list[tuple[float, int]] = field(default_factory=list)

    @property
    def position(self) -> int:
        return self.on_hand + self.on_order - len(self.waiting)

    def record(self, now: float) -> None:
        # Only real changes: a receipt that goes straight to backorders leaves on-hand as it was.
        if self.levels[-1][1] != self.on_hand:
            self.levels.append((now, self.on_hand))


class PartsStore:
    """The spare-parts stock of one replication, for every SKU of the scenario.

    Args:
        env: The simulation environment (clock in minutes); built at time 0.
        parts: The scenario's ``parts`` section.
        streams: The replication's random streams; lead times use ``parts_lead.<sku>`` and
            inspections ``parts_inspection.<sku>``, one stream per SKU so that common random
            numbers hold SKU by SKU when another SKU's policy changes.
    """

    def __init__(self, env: simpy.Environment, parts: Parts, streams: Streams,
                 delays: Sequence[SupplierDelay] = ()) -> None:
        self.env = env
        self.parts = parts
        self._delays = [(d.start_day * MINUTES_PER_DAY, (d.start_day + d.days) * MINUTES_PER_DAY,
                         d.lead_time_multiplier, frozenset(d.skus)) for d in delays]
        self.requests: list[PartRequest] = []
        self.orders: list[PartOrder] = []
        self.levels: dict[str, list[tuple[float, int]]] = {}
        self._stock: dict[str, _Stock] = {}
        for spec in parts.skus:
            stock = _Stock(
                spec=spec,
                lead=sampler(spec.lead_time_days, streams[f"parts_lead.{spec.sku}"],
                             MINUTES_PER_DAY),
                inspection=streams[f"parts_inspection.{spec.sku}"],
                on_hand=spec.initial_on_hand,
                levels=[(0.0, spec.initial_on_hand)],
            )
            self._stock[spec.sku] = stock
            self.levels[spec.sku] = stock.levels
            if isinstance(spec.policy, PeriodicPolicy):
                env.process(self._review(stock, spec.policy))
            else:
                # The initial stock may already sit at or below the reorder point.
                self._check(stock)

    # --- queries ---------------------------------------------------------------------------

    def on_hand(self, sku: str) -> int:
        """Units of ``sku`` in stock now."""
        return self._get(sku).on_hand

    def on_order(self, sku: str) -> int:
        """Units of ``sku`` ordered and not yet received."""
        return self._get(sku).on_order

    def backorders(self, sku: str) -> int:
        """Requests for ``sku`` waiting for a unit now."""
        return len(self._get(sku).waiting)

    def inventory_position(self, sku: str) -> int:
        """On hand + on order - backorders of ``sku``: what every policy decides on."""
        return self._get(sku).position

    def _get(self, sku: str) -> _Stock:
        try:
            return self._stock[sku]
        except KeyError:
            raise KeyError(f"unknown sku {sku!r}; known: {', '.join(self._stock)}") from None

    # --- demand ----------------------------------------------------------------------------

    def request(self, sku: str, job_id: int, on_ready: Callable[[], None]) -> bool:
        """A job needs one unit of ``sku`` now.

        Args:
            sku: The part.
            job_id: The job's id, recorded for the tables.
            on_ready: Called (at that simulated time) when a unit is allocated to a backordered
                request; never called for a request served from stock.

        Returns:
            True when the unit is taken from stock at once; False when the request is
            backordered (served first come first served as units arrive).
        """
        stock = self._get(sku)
        now = self.env.now
        # From stock only when nobody queued earlier: a late request must not overtake.
        from_stock = stock.on_hand > 0 and not stock.waiting
        req = PartRequest(len(self.requests), sku, job_id, now, from_stock)
        self.requests.append(req)
        if from_stock:
            stock.on_hand -= 1
            req.filled = now
            stock.record(now)
        else:
            stock.waiting.append((req, on_ready))
        if not isinstance(stock.spec.policy, PeriodicPolicy):
            self._check(stock)
        return from_stock

    # --- replenishment ---------------------------------------------------------------------

    def _check(self, stock: _Stock) -> None:
        quantity = order_quantity(stock.spec.policy, stock.position)
        if quantity > 0:
            self._place(stock, quantity, "policy")

    def _review(self, stock: _Stock, policy: PeriodicPolicy) -> Generator[simpy.Event, Any, None]:
        period = policy.review_days * MINUTES_PER_DAY
        while True:
            yield self.env.timeout(period)
            quantity = review_quantity(policy, stock.position)
            if quantity > 0:
                self._place(stock, quantity, "review")

    def _place(self, stock: _Stock, quantity: int, reason: str) -> None:
        now = self.env.now
        lead = stock.lead()
        for start, end, multiplier, skus in self._delays:
            if start <= now < end and (not skus or stock.spec.sku in skus):
                lead *= multiplier
        order = PartOrder(len(self.orders), stock.spec.sku, now, quantity, lead, reason=reason)
        self.orders.append(order)
        stock.on_order += quantity
        # A callback on a timeout is one event per order, cheaper than a process per order.
        self.env.timeout(lead, value=order).callbacks.append(self._receive)

    def _receive(self, event: simpy.Event) -> None:
        order = cast(PartOrder, event.value)
        stock = self._stock[order.sku]
        now = self.env.now
        rate = stock.spec.reject_rate
        rejected = int(stock.inspection.binomial(order.quantity, rate)) if rate > 0 else 0
        order.received = now
        order.rejected = rejected
        order.accepted = order.quantity - rejected
        stock.on_order -= order.quantity
        stock.on_hand += order.accepted
        ready: list[Callable[[], None]] = []
        while stock.on_hand > 0 and stock.waiting:
            req, on_ready = stock.waiting.popleft()
            stock.on_hand -= 1
            req.filled = now
            ready.append(on_ready)
        stock.record(now)
        if rejected:
            self._place(stock, rejected, "reject_reorder")
        # Callbacks last, with the books balanced: a callback may well request another part.
        for on_ready in ready:
            on_ready()


# --- measurement -----------------------------------------------------------------------------


def levels_frame(levels: dict[str, list[tuple[float, int]]]) -> pd.DataFrame:
    """The on-hand step functions as one long table: columns ``sku``, ``time``, ``on_hand``."""
    rows = [(sku, t, v) for sku, steps in levels.items() for t, v in steps]
    if not rows:
        return pd.DataFrame({"sku": pd.Series(dtype=object), "time": pd.Series(dtype=float),
                             "on_hand": pd.Series(dtype=np.int64)})
    return pd.DataFrame.from_records(rows, columns=["sku", "time", "on_hand"])


def _steps(levels: pd.DataFrame, sku: str) -> tuple[np.ndarray, np.ndarray]:
    """Times and on-hand values of one SKU, in time order (ties keep their recorded order)."""
    rows = levels[levels["sku"] == sku]
    order = np.argsort(rows["time"].to_numpy(dtype=float), kind="stable")
    return (rows["time"].to_numpy(dtype=float)[order],
            rows["on_hand"].to_numpy(dtype=float)[order])


def _cumulative_area(times: np.ndarray, values: np.ndarray, x: np.ndarray) -> np.ndarray:
    """Integral from -inf to each ``x`` of the step function (0 before the first step)."""
    if len(times) == 0:
        return np.zeros(len(x))
    area_at_steps = np.concatenate(([0.0], np.cumsum(values[:-1] * np.diff(times))))
    idx = np.searchsorted(times, x, side="right") - 1
    inside = idx >= 0
    safe = np.maximum(idx, 0)
    return np.where(inside, area_at_steps[safe] + values[safe] * (x - times[safe]), 0.0)


def _value_integrals(parts: Parts, levels: pd.DataFrame, edges: np.ndarray) -> np.ndarray:
    """Integral of on-hand value (units x unit cost, all SKUs) over each interval of ``edges``.

    SKUs absent from ``levels`` count as empty.
    """
    total = np.zeros(len(edges))
    for spec in parts.skus:
        times, values = _steps(levels, spec.sku)
        total += spec.unit_cost * _cumulative_area(times, values, edges)
    return np.diff(total)


def _unit_costs(parts: Parts, skus: pd.Series) -> np.ndarray:
    cost = {s.sku: s.unit_cost for s in parts.skus}
    return skus.map(cost).to_numpy(dtype=float)


def _bool(column: pd.Series) -> np.ndarray:
    # An empty frame from ``sim.records.frame`` has float columns: cast rather than trust dtype.
    return column.to_numpy().astype(bool)


def parts_kpis(parts: Parts, requests: pd.DataFrame, orders: pd.DataFrame, levels: pd.DataFrame,
               start: float, end: float) -> dict[str, float]:
    """Parts KPIs and costs of one replication over the measured window [start, end].

    Args:
        parts: The scenario's ``parts`` section (unit costs, holding rate, order cost).
        requests: ``frame(store.requests, PartRequest)``.
        orders: ``frame(store.orders, PartOrder)``.
        levels: ``levels_frame(store.levels)``.
        start: Start of the measured window (end of the warm-up), minutes.
        end: End of the run, minutes.

    Returns:
        ``fill_rate`` (requests made at or after ``start`` that were served from stock, NaN if
        none), ``part_wait_hours`` (mean wait of those measured requests that waited and were
        filled, NaN if none), ``inventory_value_mean`` (time-average on-hand value over the
        window), and the horizon costs ``cost_parts_purchase`` (accepted units of orders received
        in [start, end)), ``cost_ordering`` (every order placed in [start, end), reject reorders
        included: each is a real order) and ``cost_holding``.
    """
    measured = requests[requests["time"].to_numpy(dtype=float) >= start]
    from_stock = _bool(measured["from_stock"])
    fill_rate = float(from_stock.mean()) if len(measured) else NAN
    filled = measured["filled"].to_numpy(dtype=float)
    waited = ~from_stock & ~np.isnan(filled)
    waits = filled[waited] - measured["time"].to_numpy(dtype=float)[waited]
    part_wait_hours = float(waits.mean()) / MINUTES_PER_HOUR if len(waits) else NAN

    span = end - start
    area = float(_value_integrals(parts, levels, np.array([start, end]))[0]) if span > 0 else 0.0
    received = orders["received"].to_numpy(dtype=float)
    placed = orders["placed"].to_numpy(dtype=float)
    in_window = (received >= start) & (received < end)
    purchase = orders["accepted"].to_numpy(dtype=float) * _unit_costs(parts, orders["sku"])
    return {
        "fill_rate": fill_rate,
        "part_wait_hours": part_wait_hours,
        "inventory_value_mean": area / span if span > 0 else NAN,
        "cost_parts_purchase": float(purchase[in_window].sum()),
        "cost_ordering": parts.order_cost * int(((placed >= start) & (placed < end)).sum()),
        "cost_holding": parts.holding_rate_per_year * area / MINUTES_PER_YEAR,
    }


def monthly_parts_costs(parts: Parts, orders: pd.DataFrame, levels: pd.DataFrame, start: float,
                        end: float, month_minutes: float) -> pd.DataFrame:
    """Parts costs per month of the horizon, as a long table.

    Month k (1-based) covers [start + (k-1) m, start + k m), the last one clipped to ``end``;
    the months add up to the totals of ``parts_kpis``.

    Returns:
        Columns ``month``, ``department`` (``parts_purchase``, ``holding``, ``ordering``) and
        ``cost``, one row per month and department.
    """
    if end <= start:
        return pd.DataFrame({"month": pd.Series(dtype=np.int64),
                             "department": pd.Series(dtype=object),
                             "cost": pd.Series(dtype=float)})
    # Round first so that a horizon of exactly n months does not grow a sliver of a month n+1.
    n = max(1, math.ceil(round((end - start) / month_minutes, 9)))
    edges = np.minimum(start + month_minutes * np.arange(n + 1), end)
    edges[-1] = end
    holding = (parts.holding_rate_per_year * _value_integrals(parts, levels, edges)
               / MINUTES_PER_YEAR)

    def per_month(times: np.ndarray, amounts: np.ndarray) -> np.ndarray:
        ok = (times >= start) & (times < end)
        month = np.searchsorted(edges, times[ok], side="right") - 1
        return np.bincount(month, weights=amounts[ok], minlength=n)[:n]

    purchase = per_month(orders["received"].to_numpy(dtype=float),
                         orders["accepted"].to_numpy(dtype=float)
                         * _unit_costs(parts, orders["sku"]))
    placed = orders["placed"].to_numpy(dtype=float)
    ordering = per_month(placed, np.full(len(placed), parts.order_cost))
    months = np.arange(1, n + 1)
    return pd.DataFrame({
        "month": np.repeat(months, len(COST_DEPARTMENTS)),
        "department": np.tile(COST_DEPARTMENTS, n),
        "cost": np.column_stack((purchase, holding, ordering)).ravel(),
    })


def on_hand_at(levels: pd.DataFrame, times: np.ndarray) -> pd.DataFrame:
    """On-hand units of every SKU at each time: the level after the last change at or before it.

    Returns:
        One column ``on_hand_<sku>`` per SKU (in order of first appearance in ``levels``), one
        row per time; 0 before a SKU's first record.
    """
    x = np.asarray(times, dtype=float)
    columns: dict[str, np.ndarray] = {}
    for sku in pd.unique(levels["sku"]):
        steps, values = _steps(levels, str(sku))
        idx = np.searchsorted(steps, x, side="right") - 1
        columns[f"on_hand_{sku}"] = np.where(idx >= 0, values[np.maximum(idx, 0)], 0.0).astype(
            np.int64)
    return pd.DataFrame(columns, index=pd.RangeIndex(len(x)))


def backorders_at(requests: pd.DataFrame, times: np.ndarray) -> np.ndarray:
    """Jobs waiting for a part at each time: requested at or before it, not from stock, and
    filled after it (or never)."""
    x = np.asarray(times, dtype=float)
    waited = ~_bool(requests["from_stock"])
    begin = np.sort(requests["time"].to_numpy(dtype=float)[waited])
    filled = requests["filled"].to_numpy(dtype=float)[waited]
    finish = np.sort(np.where(np.isnan(filled), np.inf, filled))
    # filled >= time for every request, so "begun" minus "finished" counts those in between.
    return (np.searchsorted(begin, x, side="right")
            - np.searchsorted(finish, x, side="right")).astype(np.int64)
