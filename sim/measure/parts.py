"""Measurement of the spare parts: fill rate, part waits, stock on hand, backorders and costs.

Pure functions over the flat tables of one replication (``sim.engine.records.frame`` of
``PartsStore.requests`` / ``orders`` and ``levels_frame(store.levels)``), for ``sim.measure.kpis``
and ``sim.measure.costs``. Like ``sim.measure.kpis``, requests count when they were made after the
warm-up and time-weighted quantities (stock value, holding cost) over the measured window; purchases
are booked when an order is received, ordering costs when it is placed. The engine that leaves the
tables is ``sim.engine.parts``. Clock unit: minutes.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd

from sim.scenario.inventory import Parts
from sim.units import MINUTES_PER_HOUR, MINUTES_PER_YEAR

NAN = math.nan
COST_DEPARTMENTS = ("parts_purchase", "holding", "ordering")


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
    # An empty frame from ``sim.engine.records.frame`` has float columns: cast, don't trust dtype.
    return column.to_numpy().astype(bool)


def parts_kpis(parts: Parts, requests: pd.DataFrame, orders: pd.DataFrame, levels: pd.DataFrame,
               start: float, end: float, losses: pd.DataFrame | None = None
               ) -> dict[str, float]:
    """Parts KPIs and costs of one replication over the measured window [start, end].

    Args:
        parts: The scenario's ``parts`` section (unit costs, holding rate, order cost).
        requests: ``frame(store.requests, PartRequest)``.
        orders: ``frame(store.orders, PartOrder)``.
        levels: ``levels_frame(store.levels)``.
        start: Start of the measured window (end of the warm-up), minutes.
        end: End of the run, minutes.
        losses: ``frame(store.losses, PartLoss)``; None = no shrinkage.

    Returns:
        ``fill_rate`` (requests made at or after ``start`` that were served from stock, NaN if
        none), ``part_wait_hours`` (mean wait of those measured requests that waited and were
        filled, NaN if none), ``inventory_value_mean`` (time-average on-hand value over the
        window), and the horizon costs ``cost_parts_purchase`` (accepted units of orders received
        in [start, end)), ``cost_ordering`` (every order placed in [start, end), reject reorders
        included: each is a real order), ``cost_holding``, and the units lost from the shelf
        in [start, end) (``parts_lost_units``) with their value (``cost_shrinkage``).
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
    units = losses["units"].to_numpy(dtype=float) if losses is not None else np.zeros(0)
    when = losses["time"].to_numpy(dtype=float) if losses is not None else np.zeros(0)
    lost = (when >= start) & (when < end)
    return {
        "fill_rate": fill_rate,
        "part_wait_hours": part_wait_hours,
        "inventory_value_mean": area / span if span > 0 else NAN,
        "cost_parts_purchase": float(purchase[in_window].sum()),
        "cost_ordering": parts.order_cost * int(((placed >= start) & (placed < end)).sum()),
        "cost_holding": parts.holding_rate_per_year * area / MINUTES_PER_YEAR,
        "parts_lost_units": float(units[lost].sum()),
        "cost_shrinkage": float((units * _unit_costs(parts, losses["sku"]))[lost].sum())
        if losses is not None else 0.0,
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
