"""Spare parts: stock, replenishment policies and inbound inspection, as SimPy processes.

This module owns what happens between "a job needs one unit of SKU x now" and "a unit is
allocated to it": on-hand stock, backorders served first come first served, replenishment orders
placed by each SKU's policy, lead times, and the inspection of received units (rejects are
reordered at once). It does not own which job needs which part, nor what a job does while it
waits: that is field service's business, which calls ``PartsStore.request`` and gets a callback.

Every policy decides on the inventory position IP = on hand + on order - backorders, never on
on-hand alone, so outstanding orders are not ordered twice. Receipts, inspection and reject
reorders leave IP unchanged (on order drops by the quantity and rises by the rejects; accepted
units become on-hand or fill backorders), so only demand and reviews can trigger an order.

On hand in IP is the books' figure. With ``shrinkage_per_year`` units vanish from the shelf
unseen; the books learn of it at a scheduled count (``parts.count_days``) or when a technician
finds the shelf empty, and only then may the policy reorder. Without shrinkage books and shelf
never differ.

Measuring the tables it leaves (``requests``, ``orders``, ``levels``) is ``sim.measure.parts``'s
business. Engine clock unit: minutes.
"""

from __future__ import annotations

import itertools
import math
from collections import deque
from collections.abc import Callable, Generator, Sequence
from dataclasses import dataclass, field
from typing import Any, cast

import numpy as np
import simpy

from sim.engine.distributions import Sampler, sampler
from sim.engine.records import once_set
from sim.engine.rng import Streams

# The measurement functions lived here first; they stay importable from this module.
from sim.scenario.disruptions import SupplierDelay
from sim.scenario.inventory import (
    BaseStockPolicy,
    Parts,
    PeriodicPolicy,
    Policy,
    RQPolicy,
    Sku,
    SSPolicy,
)
from sim.units import MINUTES_PER_DAY

NAN = math.nan


@dataclass(slots=True, eq=False)
class PartRequest:
    """One job's need for one unit; ``filled`` is NaN until a unit is allocated to it."""

    id: int
    sku: str
    job_id: int
    time: float
    from_stock: bool
    filled: float = NAN


REQUEST_ENDED = once_set("filled")
"""A part request has ended once it has its unit: nothing changes it after that."""


@dataclass(slots=True, eq=False)
class VanTransfer:
    """One unit a van's refill asks of the central store; ``filled`` is NaN until allocated.

    Not a part request: ``fill_rate`` counts the jobs' needs only, whoever else draws on the
    store; but the store serves both first come first served, and its policy sees both.
    """

    sku: str
    van: int
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


@dataclass(slots=True, eq=False)
class PartLoss:
    """Units of one SKU lost from the shelf on one day; the books do not see them yet."""

    sku: str
    time: float
    units: int


@dataclass(slots=True, eq=False)
class PartCount:
    """A correction of one SKU's books to what is on the shelf."""

    sku: str
    time: float
    booked: int
    counted: int
    reason: str  # "count": a scheduled count | "empty_shelf": found empty by a technician


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
    booked: int  # what the books say is on the shelf; on_hand less unseen losses
    on_order: int = 0
    waiting: deque[tuple[PartRequest | VanTransfer, Callable[[], None]]] = field(
        default_factory=deque)
    levels: list[tuple[float, int]] = field(default_factory=list)

    @property
    def position(self) -> int:
        # The books', not the shelf's: a loss nobody has seen cannot trigger an order.
        return self.booked + self.on_order - len(self.waiting)

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
        # Counted, not len(): ended ones leave the list (records.Spool).
        self._request_ids = itertools.count()
        self.transfers: list[VanTransfer] = []
        self.orders: list[PartOrder] = []
        self.losses: list[PartLoss] = []
        self.counts: list[PartCount] = []
        self.levels: dict[str, list[tuple[float, int]]] = {}
        self._stock: dict[str, _Stock] = {}
        for spec in parts.skus:
            stock = _Stock(
                spec=spec,
                lead=sampler(spec.lead_time_days, streams[f"parts_lead.{spec.sku}"],
                             MINUTES_PER_DAY),
                inspection=streams[f"parts_inspection.{spec.sku}"],
                on_hand=spec.initial_on_hand,
                booked=spec.initial_on_hand,
                levels=[(0.0, spec.initial_on_hand)],
            )
            self._stock[spec.sku] = stock
            self.levels[spec.sku] = stock.levels
            if isinstance(spec.policy, PeriodicPolicy):
                env.process(self._review(stock, spec.policy))
            else:
                # The initial stock may already sit at or below the reorder point.
                self._check(stock)
            if spec.shrinkage_per_year > 0:
                env.process(self._shrink(stock, streams[f"parts_shrinkage.{spec.sku}"]))
        if parts.count_days is not None:
            env.process(self._count(parts.count_days * MINUTES_PER_DAY))

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
        req = PartRequest(next(self._request_ids), sku, job_id, now, from_stock)
        self.requests.append(req)
        if from_stock:
            stock.on_hand -= 1
            stock.booked -= 1
            req.filled = now
            stock.record(now)
        else:
            if stock.booked > stock.on_hand:  # the books promised a unit the shelf does not have
                self._correct(stock, "empty_shelf")
            stock.waiting.append((req, on_ready))
        if not isinstance(stock.spec.policy, PeriodicPolicy):
            self._check(stock)
        return from_stock

    def transfer(self, sku: str, units: int, van: int, on_unit: Callable[[], None]) -> None:
        """A van's refill asks for ``units`` of ``sku``: what is on the shelf (with nobody
        queued earlier) is handed over now, the rest as it arrives, first come first served
        with the jobs' requests. ``on_unit`` is called once per unit, when it is allocated."""
        stock = self._get(sku)
        now = self.env.now
        handed: list[Callable[[], None]] = []
        for _ in range(units):
            from_stock = stock.on_hand > 0 and not stock.waiting
            unit = VanTransfer(sku, van, now, from_stock)
            self.transfers.append(unit)
            if from_stock:
                stock.on_hand -= 1
                stock.booked -= 1
                unit.filled = now
                handed.append(on_unit)
            else:
                if stock.booked > stock.on_hand:
                    self._correct(stock, "empty_shelf")
                stock.waiting.append((unit, on_unit))
        stock.record(now)
        if not isinstance(stock.spec.policy, PeriodicPolicy):
            self._check(stock)
        for call in handed:
            call()

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
        stock.booked += order.accepted
        ready: list[Callable[[], None]] = []
        while stock.on_hand > 0 and stock.waiting:
            req, on_ready = stock.waiting.popleft()
            stock.on_hand -= 1
            stock.booked -= 1
            req.filled = now
            ready.append(on_ready)
        stock.record(now)
        if rejected:
            self._place(stock, rejected, "reject_reorder")
        # Callbacks last, with the books balanced: a callback may well request another part.
        for on_ready in ready:
            on_ready()

    # --- shrinkage and counts -----------------------------------------------------------------

    def _shrink(self, stock: _Stock, gen: np.random.Generator) -> Generator[simpy.Event, Any, None]:
        """Each day every unit on the shelf is lost with probability 1 - exp(-rate / 365)."""
        daily = -math.expm1(-stock.spec.shrinkage_per_year / 365.0)
        while True:
            yield self.env.timeout(MINUTES_PER_DAY)
            if stock.on_hand > 0:
                lost = int(gen.binomial(stock.on_hand, daily))
                if lost:
                    now = self.env.now
                    stock.on_hand -= lost
                    self.losses.append(PartLoss(stock.spec.sku, now, lost))
                    stock.record(now)

    def _count(self, period: float) -> Generator[simpy.Event, Any, None]:
        """Scheduled counts: every SKU's books set to its shelf, then its policy looks again."""
        while True:
            yield self.env.timeout(period)
            for stock in self._stock.values():
                if stock.booked != stock.on_hand:
                    self._correct(stock, "count")
                    if not isinstance(stock.spec.policy, PeriodicPolicy):
                        self._check(stock)

    def _correct(self, stock: _Stock, reason: str) -> None:
        self.counts.append(PartCount(stock.spec.sku, self.env.now, stock.booked, stock.on_hand,
                                     reason))
        stock.booked = stock.on_hand
