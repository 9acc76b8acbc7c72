"""The cost KPIs, revenue and margin, and the monthly budget: one formula per cost line, used for
the horizon's KPI and for each month alike.

This module owns the formula of every KPI of the ``costs`` and ``finance`` groups,
``department_costs`` (every cost line over one window), ``monthly_costs`` (the same lines per
month), and the budget's row names (``REVENUE``, ``TOTAL``, ``MARGIN``, ``SUMMARY_ROWS``).
Staffed hours cost what the roster puts on duty (whether busy or not); overtime costs
``overtime_factor`` times the rate and is booked when the shift it extends ends; purchases are
booked when an order is received, ordering costs when it is placed, holding over the window;
late repairs are penalised when they finish. Months are 30-day blocks from the end of the
warm-up (the last one may be shorter). Revenue (with a ``revenue`` section) is booked when a
paid repair finishes.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd

from sim.engine.model import Replication
from sim.measure.parts import Stock, stock_value_integral, unit_costs
from sim.measure.registry import Row, kpi
from sim.measure.window import NAN, Period, ratio, staffed_minutes
from sim.scenario.format import Scenario
from sim.units import MINUTES_PER_DAY, MINUTES_PER_HOUR, MINUTES_PER_YEAR

REVENUE, TOTAL, MARGIN = "revenue", "total", "margin"
# Budget rows that are not a department's cost: charts of costs per department leave them out.
SUMMARY_ROWS: tuple[str, ...] = (TOTAL, REVENUE, MARGIN)
MONTH_MINUTES = 30 * MINUTES_PER_DAY
DEPARTMENTS: tuple[str, ...] = ("call_center", "tech_support", "complaints", "field_service",
                                "depot", "parts_purchase", "holding", "ordering", "shrinkage",
                                "penalties")
"""The budget's departments: each has the cost line ``cost_<department>``."""


def department_costs(period: Period) -> dict[str, float]:
    """Every cost line booked in the period, by department in ``DEPARTMENTS`` order."""
    stock = Stock.window(period.scenario.parts, period.rep, period.start_minutes,
                         period.end_minutes)
    return {
        "call_center": cost_call_center(period),
        "tech_support": cost_tech_support(period),
        "complaints": cost_complaints(period),
        "field_service": cost_field_service(period),
        "depot": cost_depot(period),
        "parts_purchase": cost_parts_purchase(stock),
        "holding": cost_holding(stock),
        "ordering": cost_ordering(stock),
        "shrinkage": cost_shrinkage(stock),
        "penalties": cost_penalties(period),
    }


@kpi("total_cost", "currency", "at_most", "costs", "all costs in the horizon")
def total_cost(row: Row) -> float:
    """The sum of every cost line ``cost_<department>`` (exactly rounded: order-free)."""
    return math.fsum(row[f"cost_{department}"] for department in DEPARTMENTS)


@kpi("cost_per_repair", "currency", "at_most", "costs", "total_cost / repairs_completed")
def cost_per_repair(row: Row) -> float:
    """What one finished repair costs the company, all departments included."""
    return ratio(row["total_cost"], row["repairs_completed"])


def crew_minutes(rep: Replication, crew: str, lo: float, hi: float) -> tuple[float, float]:
    """(staffed, overtime) person-minutes of a crew booked in [lo, hi)."""
    staffed = staffed_minutes(rep.windows.get(crew, []), lo, hi)
    ot = rep.overtime
    mask = (ot["crew"] == crew) & (ot["shift_end"] >= lo) & (ot["shift_end"] < hi)
    return staffed, float(ot.loc[mask, "minutes"].sum())


def _crew_cost(period: Period, crew: str, per_hour: float) -> float:
    """A crew's staffed hours at ``per_hour``, overtime at ``overtime_factor`` times it."""
    staffed, overtime = crew_minutes(period.rep, crew, period.start_minutes, period.end_minutes)
    return ((staffed + period.scenario.costs.overtime_factor * overtime) / MINUTES_PER_HOUR
            * per_hour)


@kpi("cost_call_center", "currency", "at_most", "costs",
     "agents' staffed hours, overtime at overtime_factor")
def cost_call_center(period: Period) -> float:
    """The agents' pay."""
    return _crew_cost(period, "agents", period.scenario.costs.agent_per_hour)


@kpi("cost_tech_support", "currency", "at_most", "costs", "specialists' staffed hours")
def cost_tech_support(period: Period) -> float:
    """The specialists' pay."""
    return _crew_cost(period, "specialists", period.scenario.costs.specialist_per_hour)


@kpi("cost_complaints", "currency", "at_most", "costs", "complaint handlers' staffed hours")
def cost_complaints(period: Period) -> float:
    """The complaint handlers' pay."""
    return _crew_cost(period, "complaint_handlers",
                      period.scenario.costs.complaint_handler_per_hour)


@kpi("cost_field_service", "currency", "at_most", "costs",
     "on-site technicians' staffed hours and travel per visit")
def cost_field_service(period: Period) -> float:
    """The on-site technicians' pay and travel_per_visit for each trip started in the period
    (follow-up visits included when follow-ups are made in person)."""
    scenario, rep, lo, hi = period.scenario, period.rep, period.start_minutes, period.end_minutes
    c = scenario.costs
    visits = rep.visits
    onsite = visits[(visits["crew"] == "technicians") & (visits["start"] >= lo)
                    & (visits["start"] < hi)] if not visits.empty else visits
    trips = len(onsite)
    if scenario.followup is not None and scenario.followup.channel == "visit":
        at = rep.attempts
        trips += int(((at["start"] >= lo) & (at["start"] < hi)).sum()) if not at.empty else 0
    return _crew_cost(period, "technicians", c.technician_per_hour) + c.travel_per_visit * trips


@kpi("cost_depot", "currency", "at_most", "costs", "bench technicians' staffed hours")
def cost_depot(period: Period) -> float:
    """The bench technicians' pay."""
    return _crew_cost(period, "depot_technicians", period.scenario.costs.depot_technician_per_hour)


@kpi("cost_parts_purchase", "currency", "at_most", "costs", "units ordered x unit cost")
def cost_parts_purchase(stock: Stock) -> float:
    """Accepted units of the orders received in the window, at unit cost."""
    if stock.parts is None:
        return 0.0
    orders = stock.orders
    received = orders["received"].to_numpy(dtype=float)
    in_window = (received >= stock.start_minutes) & (received < stock.end_minutes)
    purchase = orders["accepted"].to_numpy(dtype=float) * unit_costs(stock.parts, orders["sku"])
    return float(purchase[in_window].sum())


@kpi("cost_holding", "currency", "at_most", "costs",
     "holding_rate_per_year x time-average on-hand value")
def cost_holding(stock: Stock) -> float:
    """The cost of the value on the shelf over the window."""
    if stock.parts is None:
        return 0.0
    return (stock.parts.holding_rate_per_year * stock_value_integral(stock.parts, stock)
            / MINUTES_PER_YEAR)


@kpi("cost_ordering", "currency", "at_most", "costs", "order_cost per replenishment order")
def cost_ordering(stock: Stock) -> float:
    """Every order placed in the window, reject reorders included (each is a real order)."""
    if stock.parts is None:
        return 0.0
    placed = stock.orders["placed"].to_numpy(dtype=float)
    return stock.parts.order_cost * int(((placed >= stock.start_minutes)
                                         & (placed < stock.end_minutes)).sum())


@kpi("cost_shrinkage", "currency", "at_most", "costs", "units lost from the shelf x unit cost")
def cost_shrinkage(stock: Stock) -> float:
    """The value of the units lost from the shelf in the window."""
    if stock.parts is None:
        return 0.0
    units = stock.losses["units"].to_numpy(dtype=float)
    return float((units * unit_costs(stock.parts, stock.losses["sku"]))[stock.lost()].sum())


@kpi("cost_penalties", "currency", "at_most", "costs", "late_repair_penalty per late repair")
def cost_penalties(period: Period) -> float:
    """late_repair_penalty for each repair finished in the period after its promise."""
    jobs = period.rep.work_orders
    if jobs.empty:
        return 0.0
    finished = jobs["finished"].to_numpy(float)
    late = ((finished >= period.start_minutes) & (finished < period.end_minutes)
            & (finished > jobs["due"].to_numpy(float)))
    return period.scenario.costs.late_repair_penalty * float(np.sum(late))


@kpi("revenue", "currency", "at_least", "finance",
     "repair fees and parts billed for paid repairs finished (with a revenue section)")
def revenue(period: Period) -> float:
    """Fees and parts billed for the paid repairs finished in the period (NaN without a
    ``revenue`` section: not modelled is unknown, not zero).

    A repair job is paid unless it is under warranty or is the rework of a failed repair (the
    customer paid once); its part, if it needed one, is billed at unit cost x (1 + markup).
    """
    scenario, jobs = period.scenario, period.rep.work_orders
    r = scenario.revenue
    if r is None:
        return NAN
    if jobs.empty:
        return 0.0
    finished = jobs["finished"].to_numpy(float)
    paid = ((finished >= period.start_minutes) & (finished < period.end_minutes)
            & (jobs["rework_of"].to_numpy() < 0) & ~jobs["warranty"].to_numpy(bool))
    onsite = jobs["channel"].to_numpy(str) == "onsite"
    fees = np.where(onsite, r.repair_fee.onsite, r.repair_fee.depot)
    total = float(fees[paid].sum())
    if scenario.parts is not None:
        price = {s.sku: s.unit_cost * (1.0 + r.parts_markup) for s in scenario.parts.skus}
        billed = jobs["sku"].map(price).fillna(0.0).to_numpy(float)
        total += float(billed[paid].sum())
    return total


@kpi("operating_margin", "currency", "at_least", "finance", "revenue - total_cost")
def operating_margin(row: Row) -> float:
    """Revenue less every cost (NaN without a ``revenue`` section)."""
    return row["revenue"] - row["total_cost"]


def monthly_costs(scenario: Scenario, rep: Replication) -> pd.DataFrame:
    """Long table: month (1-based), department, cost, for every 30-day month of the horizon;
    with a ``revenue`` section, a ``revenue`` row per month holds the income (``cost`` is then
    the amount billed, see ``REVENUE``)."""
    rows = []
    lo = rep.start_minutes
    month = 1
    while lo < rep.end_minutes - 1e-9:
        hi = min(lo + MONTH_MINUTES, rep.end_minutes)
        period = Period(scenario, rep, lo, hi)
        for dept, cost in department_costs(period).items():
            rows.append((month, dept, cost))
        if scenario.revenue is not None:
            rows.append((month, REVENUE, revenue(period)))
        lo, month = hi, month + 1
    return pd.DataFrame(rows, columns=["month", "department", "cost"])
