"""The spare-parts KPIs: fill rate, part waits, stock value and shelf losses; the stock's step
functions that the parts costs and the daily series read.

This module owns the views ``PartRequests`` (part requests made in the measured window, each
with its cohort: the day it was made) and ``Stock`` (the stock tables over the intervals of a
grid: orders, on-hand levels, losses), the formula of every KPI of the ``parts`` group, and
``stock_value_by``, ``unit_costs``, ``on_hand_at`` and ``backorders_at``. The tables are those the
engine leaves (``sim.engine.parts``: requests, orders, levels, losses); requests count on the day
they were made, stock value over the time it was on the shelf. The parts cost lines (purchase,
holding, ordering, shrinkage) are in ``sim.measure.costs``. ``sim.calibrate.measures`` builds
``PartRequests`` from event logs and calls the same formula. Clock unit: minutes.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from sim.engine.model import Replication
from sim.measure.kinds import RATIO, SUM
from sim.measure.registry import kpi
from sim.measure.window import Grid, tally
from sim.scenario.inventory import Parts
from sim.units import MINUTES_PER_HOUR


def _bool(column: pd.Series) -> np.ndarray:
    # An empty frame from ``sim.engine.records.frame`` has float columns: cast, don't trust dtype.
    return column.to_numpy().astype(bool)


@dataclass(frozen=True, slots=True)
class PartRequests:
    """The part requests made in the measured window, one array element per request (a job's
    need for a part is one request, however many visits it takes).

    Attributes:
        time_minutes: When the part was asked from stock.
        from_stock: It was there at once.
        filled_minutes: When the job had its part (NaN: still waiting).
        cohort: The day each request was made (-1: none).
        cohorts: Number of cohorts.
    """

    time_minutes: np.ndarray
    from_stock: np.ndarray
    filled_minutes: np.ndarray
    cohort: np.ndarray
    cohorts: int

    @classmethod
    def measured(cls, requests: pd.DataFrame, days: Grid) -> PartRequests:
        """The requests of ``frame(store.requests, PartRequest)`` made in the intervals of
        ``days``, by interval."""
        time = requests["time"].to_numpy(dtype=float)
        measured = requests[(time >= days.edges[0]) & (time < days.edges[-1])]
        time = measured["time"].to_numpy(dtype=float)
        return cls(time, _bool(measured["from_stock"]), measured["filled"].to_numpy(dtype=float),
                   days.index(time), days.count)


@dataclass(frozen=True, slots=True)
class Stock:
    """The stock tables of one replication over the intervals of a grid.

    Attributes:
        parts: The scenario's ``parts`` section (None: the scenario keeps no parts).
        orders: ``frame(store.orders, PartOrder)``.
        levels: ``levels_frame(store.levels)``: on-hand units of each SKU as steps in time.
        losses: ``frame(store.losses, PartLoss)``: units lost from the shelf.
        grid: The intervals measured (the measured days; the budget's months).
        van_levels: ``levels_frame(vans.levels)``: units on all vans together, per SKU, as
            steps (None or empty: no van stock).
    """

    parts: Parts | None
    orders: pd.DataFrame
    levels: pd.DataFrame
    losses: pd.DataFrame
    grid: Grid
    van_levels: pd.DataFrame | None = None

    @classmethod
    def of(cls, parts: Parts | None, rep: Replication, grid: Grid) -> Stock:
        """A replication's stock tables over the intervals of ``grid``."""
        return cls(parts, rep.part_orders, rep.part_levels, rep.part_losses, grid,
                   rep.van_levels)

    def on_vans(self) -> Stock:
        """The same grid seen through the vans' stock: ``levels`` are the units on all vans
        together (empty without van stock), so the central store's value formulas apply."""
        levels = self.van_levels if self.van_levels is not None else self.levels.iloc[:0]
        return Stock(self.parts, self.orders.iloc[:0], levels, self.losses.iloc[:0], self.grid)

    def booked(self, table: pd.DataFrame, time: str, amounts: np.ndarray | None = None
               ) -> np.ndarray:
        """Per interval, the rows of ``table`` whose ``time`` falls in it (or their
        ``amounts``)."""
        return tally(self.grid.index(table[time].to_numpy(dtype=float)), self.grid.count,
                     amounts)


_NO_STEPS = (np.empty(0), np.empty(0))
"""The steps of a SKU that never moved."""


def steps_by_sku(levels: pd.DataFrame) -> dict[str, tuple[np.ndarray, np.ndarray]]:
    """Times and on-hand values of each SKU of ``levels`` (in order of first appearance), each
    in time order (ties keep their recorded order): one sort for all SKUs, not a scan of the
    text column per SKU."""
    code, skus = pd.factorize(levels["sku"])
    time = levels["time"].to_numpy(dtype=float)
    on_hand = levels["on_hand"].to_numpy(dtype=float)
    order = np.lexsort((time, code))  # stable: by SKU, then time, then as recorded
    bounds = np.searchsorted(code[order], np.arange(len(skus) + 1))
    return {str(sku): (time[order[a:b]], on_hand[order[a:b]])
            for sku, a, b in zip(skus, bounds[:-1], bounds[1:], strict=True)}


def _cumulative_area(times: np.ndarray, values: np.ndarray, x: np.ndarray) -> np.ndarray:
    """Integral from -inf to each ``x`` of the step function (0 before the first step)."""
    if len(times) == 0:
        return np.zeros(len(x))
    area_at_steps = np.concatenate(([0.0], np.cumsum(values[:-1] * np.diff(times))))
    idx = np.searchsorted(times, x, side="right") - 1
    inside = idx >= 0
    safe = np.maximum(idx, 0)
    return np.where(inside, area_at_steps[safe] + values[safe] * (x - times[safe]), 0.0)


def stock_value_by(parts: Parts, stock: Stock) -> np.ndarray:
    """Integral of on-hand value (units x unit cost, all SKUs) over each interval of the grid,
    currency x minutes. SKUs absent from ``levels`` count as empty."""
    edges = stock.grid.edges
    total = np.zeros(stock.grid.count)
    steps = steps_by_sku(stock.levels)
    for spec in parts.skus:
        times, values = steps.get(spec.sku, _NO_STEPS)
        total += spec.unit_cost * np.diff(_cumulative_area(times, values, edges))
    return total


def unit_costs(parts: Parts, skus: pd.Series) -> np.ndarray:
    """The unit cost of each SKU named in ``skus``."""
    cost = {s.sku: s.unit_cost for s in parts.skus}
    return skus.map(cost).to_numpy(dtype=float)


@kpi("fill_rate", "share", "at_least", "parts",
     "part requests met from stock at once / part requests (a job's need for a part is one "
     "request, however many visits it takes)", kind=RATIO)
def fill_rate(requests: PartRequests) -> tuple[np.ndarray, np.ndarray]:
    """Requests served from stock / requests, by day made."""
    return (tally(requests.cohort, requests.cohorts, requests.from_stock),
            tally(requests.cohort, requests.cohorts))


@kpi("part_wait_hours", "h", "at_most", "parts", "mean wait of jobs that waited for a part",
     kind=RATIO)
def part_wait_hours(requests: PartRequests) -> tuple[np.ndarray, np.ndarray]:
    """Hours waited by the requests that waited for a part and got it / those requests."""
    waited = ~requests.from_stock & ~np.isnan(requests.filled_minutes)
    hours = (requests.filled_minutes[waited] - requests.time_minutes[waited]) / MINUTES_PER_HOUR
    cohort = requests.cohort[waited]
    return tally(cohort, requests.cohorts, hours), tally(cohort, requests.cohorts)


@kpi("inventory_value_mean", "currency", "at_most", "parts",
     "time-average of on-hand units x unit cost", kind=RATIO)
def inventory_value_mean(stock: Stock) -> tuple[np.ndarray, np.ndarray]:
    """Value on the shelf x minutes / minutes (0 without parts)."""
    if stock.parts is None:
        return np.zeros(stock.grid.count), stock.grid.widths
    return stock_value_by(stock.parts, stock), stock.grid.widths


@kpi("parts_lost_units", "units", "at_most", "parts",
     "units lost from the shelf (shrinkage_per_year) in the window", kind=SUM)
def parts_lost_units(stock: Stock) -> np.ndarray:
    """Units lost from the shelf, by day lost (0 without parts)."""
    if stock.parts is None:
        return np.zeros(stock.grid.count)
    return stock.booked(stock.losses, "time", stock.losses["units"].to_numpy(dtype=float))


@dataclass(frozen=True, slots=True)
class VanUses:
    """The on-site part needs of the measured window, each looked up in the technician's van
    (``sim.engine.vans.VanUse``); empty without van stock.

    Attributes:
        from_van: The van had the part.
        cohort: The day of the need (-1: none).
        cohorts: Number of cohorts.
    """

    from_van: np.ndarray
    cohort: np.ndarray
    cohorts: int

    @classmethod
    def measured(cls, uses: pd.DataFrame, days: Grid) -> VanUses:
        """The van look-ups of ``frame(vans.uses, VanUse)`` made in the intervals of ``days``."""
        time = uses["time"].to_numpy(dtype=float)
        cohort = days.index(time)
        return cls(_bool(uses["from_van"]), cohort, days.count)


@kpi("van_fill_rate", "share", "at_least", "parts",
     "on-site part needs met from the van / on-site part needs", kind=RATIO)
def van_fill_rate(uses: VanUses) -> tuple[np.ndarray, np.ndarray]:
    """Needs met from the van / needs looked up in a van, by day (NaN without van stock)."""
    return tally(uses.cohort, uses.cohorts, uses.from_van), tally(uses.cohort, uses.cohorts)


@kpi("van_inventory_value_mean", "currency", "at_most", "parts",
     "time-average of van units x unit cost, all vans", kind=RATIO)
def van_inventory_value_mean(stock: Stock) -> tuple[np.ndarray, np.ndarray]:
    """Value on all vans x minutes / minutes (0 without van stock)."""
    if stock.parts is None:
        return np.zeros(stock.grid.count), stock.grid.widths
    return stock_value_by(stock.parts, stock.on_vans()), stock.grid.widths


def on_hand_at(levels: pd.DataFrame, times: np.ndarray) -> pd.DataFrame:
    """On-hand units of every SKU at each time: the level after the last change at or before it.

    Returns:
        One column ``on_hand_<sku>`` per SKU (in order of first appearance in ``levels``), one
        row per time; 0 before a SKU's first record.
    """
    x = np.asarray(times, dtype=float)
    columns: dict[str, np.ndarray] = {}
    for sku, (steps, values) in steps_by_sku(levels).items():
        idx = np.searchsorted(steps, x, side="right") - 1
        columns[f"on_hand_{sku}"] = np.where(idx >= 0, values[np.maximum(idx, 0)], 0.0).astype(
            np.int64)
    return pd.DataFrame(columns, index=pd.RangeIndex(len(x)))


def requests_by_sku(requests: pd.DataFrame, skus: list[str], days: Grid) -> pd.DataFrame:
    """Per measured day and SKU: the part requests made that day and those met from stock at
    once, the fill rate's parts split by SKU (summed over the SKUs they are the fill rate's).

    Returns:
        Columns ``part_requests_<sku>`` and ``from_stock_<sku>`` per SKU of ``skus`` (in that
        order), one row per interval of ``days``.
    """
    cohort = days.index(requests["time"].to_numpy(dtype=float))
    sku = requests["sku"].to_numpy()
    from_stock = _bool(requests["from_stock"])
    columns: dict[str, np.ndarray] = {}
    for name in skus:
        mine = np.where(sku == name, cohort, -1)
        columns[f"part_requests_{name}"] = tally(mine, days.count).astype(np.int64)
        columns[f"from_stock_{name}"] = tally(mine, days.count, from_stock).astype(np.int64)
    return pd.DataFrame(columns, index=pd.RangeIndex(days.count))


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
