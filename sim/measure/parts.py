"""The spare-parts KPIs: fill rate, part waits, stock value and shelf losses; the stock's step
functions that the parts costs and the daily series read.

This module owns the views ``PartRequests`` (part requests made in the measured window) and
``Stock`` (the stock tables over a window: orders, on-hand levels, losses), the formula of every
KPI of the ``parts`` group, and ``stock_value_integral``, ``unit_costs``, ``on_hand_at`` and
``backorders_at``. The tables are those the engine leaves (``sim.engine.parts``: requests,
orders, levels, losses); requests count when they were made after the warm-up, stock value over
the window. The parts cost lines (purchase, holding, ordering, shrinkage) are in
``sim.measure.costs``. ``sim.calibrate.measures`` builds ``PartRequests`` from event logs and
calls the same formula. Clock unit: minutes.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from sim.engine.model import Replication
from sim.measure.registry import kpi
from sim.measure.window import NAN, mean_or_nan
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
    """

    time_minutes: np.ndarray
    from_stock: np.ndarray
    filled_minutes: np.ndarray

    @classmethod
    def measured(cls, requests: pd.DataFrame, start_minutes: float,
                 end_minutes: float = np.inf) -> PartRequests:
        """The requests of ``frame(store.requests, PartRequest)`` made in [start, end)."""
        time = requests["time"].to_numpy(dtype=float)
        measured = requests[(time >= start_minutes) & (time < end_minutes)]
        return cls(measured["time"].to_numpy(dtype=float), _bool(measured["from_stock"]),
                   measured["filled"].to_numpy(dtype=float))


@dataclass(frozen=True, slots=True)
class Stock:
    """The stock tables of one replication over the window [start_minutes, end_minutes).

    Attributes:
        parts: The scenario's ``parts`` section (None: the scenario keeps no parts).
        orders: ``frame(store.orders, PartOrder)``.
        levels: ``levels_frame(store.levels)``: on-hand units of each SKU as steps in time.
        losses: ``frame(store.losses, PartLoss)``: units lost from the shelf.
        start_minutes: Start of the window.
        end_minutes: End of the window.
    """

    parts: Parts | None
    orders: pd.DataFrame
    levels: pd.DataFrame
    losses: pd.DataFrame
    start_minutes: float
    end_minutes: float

    @classmethod
    def window(cls, parts: Parts | None, rep: Replication, start_minutes: float,
               end_minutes: float) -> Stock:
        """A replication's stock tables over [start_minutes, end_minutes)."""
        return cls(parts, rep.part_orders, rep.part_levels, rep.part_losses, start_minutes,
                   end_minutes)

    def lost(self) -> np.ndarray:
        """Which rows of ``losses`` fall in the window."""
        when = self.losses["time"].to_numpy(dtype=float)
        return (when >= self.start_minutes) & (when < self.end_minutes)


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


def stock_value_integral(parts: Parts, stock: Stock) -> float:
    """Integral of on-hand value (units x unit cost, all SKUs) over the window, currency x
    minutes (0 for an empty window). SKUs absent from ``levels`` count as empty."""
    if stock.end_minutes - stock.start_minutes <= 0:
        return 0.0
    edges = np.array([stock.start_minutes, stock.end_minutes])
    total = np.zeros(len(edges))
    for spec in parts.skus:
        times, values = _steps(stock.levels, spec.sku)
        total += spec.unit_cost * _cumulative_area(times, values, edges)
    return float(np.diff(total)[0])


def unit_costs(parts: Parts, skus: pd.Series) -> np.ndarray:
    """The unit cost of each SKU named in ``skus``."""
    cost = {s.sku: s.unit_cost for s in parts.skus}
    return skus.map(cost).to_numpy(dtype=float)


@kpi("fill_rate", "share", "at_least", "parts",
     "part requests met from stock at once / part requests (a job's need for a part is one "
     "request, however many visits it takes)")
def fill_rate(requests: PartRequests) -> float:
    """Share of the window's part requests served from stock."""
    return float(requests.from_stock.mean()) if len(requests.from_stock) else NAN


@kpi("part_wait_hours", "h", "at_most", "parts", "mean wait of jobs that waited for a part")
def part_wait_hours(requests: PartRequests) -> float:
    """Mean wait of the requests that waited for a part and got it."""
    waited = ~requests.from_stock & ~np.isnan(requests.filled_minutes)
    waits = requests.filled_minutes[waited] - requests.time_minutes[waited]
    return mean_or_nan(waits) / MINUTES_PER_HOUR


@kpi("inventory_value_mean", "currency", "at_most", "parts",
     "time-average of on-hand units x unit cost")
def inventory_value_mean(stock: Stock) -> float:
    """Time-average value on the shelf over the window (0 without parts)."""
    if stock.parts is None:
        return 0.0
    span = stock.end_minutes - stock.start_minutes
    return stock_value_integral(stock.parts, stock) / span if span > 0 else NAN


@kpi("parts_lost_units", "units", "at_most", "parts",
     "units lost from the shelf (shrinkage_per_year) in the window")
def parts_lost_units(stock: Stock) -> float:
    """Units lost from the shelf in the window (0 without parts)."""
    if stock.parts is None:
        return 0.0
    return float(stock.losses["units"].to_numpy(dtype=float)[stock.lost()].sum())


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
