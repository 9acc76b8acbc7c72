"""The cost KPIs, revenue and margin, and the monthly budget: one formula per cost line, used for
each day of the ledger (hence the horizon's KPI) and for each month of the budget alike.

This module owns the formula of every KPI of the ``costs`` and ``finance`` groups,
``department_costs`` (every cost line over the intervals of a grid) and the budget's row names
(``REVENUE``, ``TOTAL``, ``MARGIN``, ``SUMMARY_ROWS``). Each cost line is a sum booked in time,
so it combines over days by addition.
Staffed hours cost what the roster puts on duty (whether busy or not) when they are on duty;
overtime costs ``overtime_factor`` times the rate and is booked when the shift it extends ends;
purchases are booked when an order is received, ordering costs when it is placed, holding as the
stock sits on the shelf; a late repair is penalised on the day its work order was created (the
cohort of the on-time rate, followed to its end). Revenue (with a ``revenue`` section) is booked
when a paid repair finishes. The budget by calendar month combines these lines' parts by day over
each month (``sim.experiments.budget``).
"""

from __future__ import annotations

import numpy as np

from sim.measure.kinds import RATIO, SUM
from sim.measure.parts import Stock, stock_value_by, unit_costs
from sim.measure.registry import Row, kpi
from sim.measure.window import Period, staffed_by, tally
from sim.scenario.training import training_sessions
from sim.units import MINUTES_PER_HOUR, MINUTES_PER_YEAR

REVENUE, TOTAL, MARGIN = "revenue", "total", "margin"
# Budget rows that are not a department's cost: charts of costs per department leave them out.
SUMMARY_ROWS: tuple[str, ...] = (TOTAL, REVENUE, MARGIN)
DEPARTMENTS: tuple[str, ...] = ("call_center", "tech_support", "complaints", "field_service",
                                "depot", "parts_purchase", "holding", "ordering", "shrinkage",
                                "penalties", "training")
"""The budget's departments: each has the cost line ``cost_<department>``."""


def department_costs(period: Period) -> dict[str, np.ndarray]:
    """Every cost line booked in each interval of the period's grid, by department in
    ``DEPARTMENTS`` order."""
    stock = Stock.of(period.scenario.parts, period.rep, period.grid)
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
        "training": cost_training(period),
    }


@kpi("total_cost", "currency", "at_most", "costs", "all costs in the horizon")
def total_cost(row: Row) -> np.ndarray:
    """The sum of every cost line ``cost_<department>``, in ``DEPARTMENTS`` order."""
    return np.sum([row[f"cost_{department}"] for department in DEPARTMENTS], axis=0)


@kpi("cost_per_repair", "currency", "at_most", "costs", "total_cost / repairs_completed")
def cost_per_repair(row: Row) -> np.ndarray:
    """What one finished repair costs the company, all departments included: one window on both
    sides, the costs booked in it over the work orders created in it (followed to their end, so
    a short horizon no longer divides its costs by the few jobs that happened to finish)."""
    return RATIO.finish(np.column_stack((row["total_cost"], row["repairs_completed"])))


def crew_minutes(period: Period, crew: str) -> tuple[np.ndarray, np.ndarray]:
    """(staffed, overtime) person-minutes of a crew booked in each interval: staffed time when
    it is on duty, overtime at the end of the shift it extends."""
    staffed = staffed_by(period.grid, period.rep.windows.get(crew, []))
    ot = period.rep.overtime[period.rep.overtime["crew"] == crew]
    overtime = tally(period.grid.index(ot["shift_end"].to_numpy(float)), period.grid.count,
                     ot["minutes"].to_numpy(float))
    return staffed, overtime


def _crew_cost(period: Period, crew: str, per_hour: float) -> np.ndarray:
    """A crew's staffed hours at ``per_hour``, overtime at ``overtime_factor`` times it."""
    staffed, overtime = crew_minutes(period, crew)
    return ((staffed + period.scenario.costs.overtime_factor * overtime) / MINUTES_PER_HOUR
            * per_hour)


@kpi("cost_call_center", "currency", "at_most", "costs",
     "agents' staffed hours, overtime at overtime_factor", kind=SUM)
def cost_call_center(period: Period) -> np.ndarray:
    """The agents' pay."""
    return _crew_cost(period, "agents", period.scenario.costs.agent_per_hour)


@kpi("cost_tech_support", "currency", "at_most", "costs", "specialists' staffed hours",
     kind=SUM)
def cost_tech_support(period: Period) -> np.ndarray:
    """The specialists' pay."""
    return _crew_cost(period, "specialists", period.scenario.costs.specialist_per_hour)


@kpi("cost_complaints", "currency", "at_most", "costs", "complaint handlers' staffed hours",
     kind=SUM)
def cost_complaints(period: Period) -> np.ndarray:
    """The complaint handlers' pay."""
    return _crew_cost(period, "complaint_handlers",
                      period.scenario.costs.complaint_handler_per_hour)


@kpi("cost_field_service", "currency", "at_most", "costs",
     "on-site technicians' staffed hours and travel per visit", kind=SUM)
def cost_field_service(period: Period) -> np.ndarray:
    """The on-site technicians' pay and travel_per_visit for each trip, booked when it starts
    (follow-up visits included when follow-ups are made in person)."""
    scenario, rep, grid = period.scenario, period.rep, period.grid
    c = scenario.costs
    starts = [rep.visits.loc[rep.visits["crew"] == "technicians", "start"].to_numpy(float)
              if not rep.visits.empty else np.zeros(0)]
    if scenario.followup is not None and scenario.followup.channel == "visit" \
            and not rep.attempts.empty:
        starts.append(rep.attempts["start"].to_numpy(float))
    trips = tally(grid.index(np.concatenate(starts)), grid.count)
    return _crew_cost(period, "technicians", c.technician_per_hour) + c.travel_per_visit * trips


@kpi("cost_depot", "currency", "at_most", "costs", "bench technicians' staffed hours",
     kind=SUM)
def cost_depot(period: Period) -> np.ndarray:
    """The bench technicians' pay."""
    return _crew_cost(period, "depot_technicians", period.scenario.costs.depot_technician_per_hour)


@kpi("cost_parts_purchase", "currency", "at_most", "costs", "units ordered x unit cost",
     kind=SUM)
def cost_parts_purchase(stock: Stock) -> np.ndarray:
    """Accepted units of the orders received, at unit cost, booked when received."""
    if stock.parts is None:
        return np.zeros(stock.grid.count)
    orders = stock.orders
    purchase = orders["accepted"].to_numpy(dtype=float) * unit_costs(stock.parts, orders["sku"])
    return stock.booked(orders, "received", purchase)


@kpi("cost_holding", "currency", "at_most", "costs",
     "holding_rate_per_year x time-average on-hand value (central store and vans)", kind=SUM)
def cost_holding(stock: Stock) -> np.ndarray:
    """The cost of the value on the shelf and in the vans while it is there."""
    if stock.parts is None:
        return np.zeros(stock.grid.count)
    value = stock_value_by(stock.parts, stock)
    if stock.parts.van_stock is not None:
        value = value + stock_value_by(stock.parts, stock.on_vans())
    return stock.parts.holding_rate_per_year * value / MINUTES_PER_YEAR


@kpi("cost_ordering", "currency", "at_most", "costs", "order_cost per replenishment order",
     kind=SUM)
def cost_ordering(stock: Stock) -> np.ndarray:
    """Every order placed, reject reorders included (each is a real order), when placed."""
    if stock.parts is None:
        return np.zeros(stock.grid.count)
    return stock.parts.order_cost * stock.booked(stock.orders, "placed")


@kpi("cost_shrinkage", "currency", "at_most", "costs", "units lost from the shelf x unit cost",
     kind=SUM)
def cost_shrinkage(stock: Stock) -> np.ndarray:
    """The value of the units lost from the shelf, when lost."""
    if stock.parts is None:
        return np.zeros(stock.grid.count)
    units = stock.losses["units"].to_numpy(dtype=float)
    return stock.booked(stock.losses, "time", units * unit_costs(stock.parts,
                                                                 stock.losses["sku"]))


@kpi("cost_penalties", "currency", "at_most", "costs",
     "late_repair_penalty per late repair (of the work orders created in the window)",
     kind=SUM)
def cost_penalties(period: Period) -> np.ndarray:
    """late_repair_penalty for each work order that ended after its promise (or was still
    open at the run-out's cap), booked on the day it was created: the same cohort as
    ``repair_on_time_rate``, so a late surge at the end of the horizon is paid for."""
    jobs = period.rep.work_orders
    grid = period.grid
    if jobs.empty:
        return np.zeros(grid.count)
    finished = jobs["finished"].to_numpy(float)
    late = np.isnan(finished) | (finished > jobs["due"].to_numpy(float))
    created = jobs["created"].to_numpy(float)
    return period.scenario.costs.late_repair_penalty * tally(grid.index(created[late]),
                                                             grid.count)


def training_hours_by(period: Period) -> np.ndarray:
    """Mobile technicians' hours off the road for training in each interval of the grid (the
    sessions the engine cuts from their rosters, ``sim.scenario.training``)."""
    scenario, grid = period.scenario, period.grid
    fs, training = scenario.field_service, scenario.training
    if fs is None or training is None:
        return np.zeros(grid.count)
    patterns = [fs.technicians] if isinstance(fs.technicians, int) \
        else [(shift,) for shift in fs.technicians]
    sessions = [s for pattern in patterns
                for s in training_sessions(pattern, training, period.rep.run_end_minutes,
                                           scenario.first_weekday)]
    if not sessions:
        return np.zeros(grid.count)
    start, end, _, people = (np.asarray(c, dtype=float) for c in zip(*sessions, strict=True))
    return grid.overlap(start, end, people) / MINUTES_PER_HOUR


@kpi("cost_training", "currency", "at_most", "costs",
     "training hours x (training.cost_per_hour + technician_per_hour): the course and the "
     "technicians' pay while off the road", kind=SUM, contract=False)
def cost_training(period: Period) -> np.ndarray:
    """Training sessions, booked as they are held: their hours at the course's rate plus the
    technicians' own (those hours are not staffed time, so ``cost_field_service`` leaves them
    out)."""
    training = period.scenario.training
    if training is None:
        return np.zeros(period.grid.count)
    rate = training.cost_per_hour + period.scenario.costs.technician_per_hour
    return training_hours_by(period) * rate


@kpi("revenue", "currency", "at_least", "finance",
     "repair fees and parts billed for paid repairs finished (with a revenue section)",
     kind=SUM)
def revenue(period: Period) -> np.ndarray:
    """Fees and parts billed for the paid repairs, when they finish (NaN without a ``revenue``
    section: not modelled is unknown, not zero).

    A repair job is paid unless it is under warranty or is the rework of a failed repair (the
    customer paid once); its part, if it needed one, is billed at unit cost x (1 + markup).
    """
    scenario, jobs, grid = period.scenario, period.rep.work_orders, period.grid
    r = scenario.revenue
    if r is None:
        return np.full(grid.count, np.nan)
    if jobs.empty:
        return np.zeros(grid.count)
    paid = (jobs["rework_of"].to_numpy() < 0) & ~jobs["warranty"].to_numpy(bool)
    onsite = jobs["channel"].to_numpy(str) == "onsite"
    billed = np.where(onsite, r.repair_fee.onsite, r.repair_fee.depot)
    if scenario.parts is not None:
        price = {s.sku: s.unit_cost * (1.0 + r.parts_markup) for s in scenario.parts.skus}
        billed = billed + jobs["sku"].map(price).fillna(0.0).to_numpy(float)
    return tally(grid.index(jobs["finished"].to_numpy(float)[paid]), grid.count, billed[paid])


@kpi("operating_margin", "currency", "at_least", "finance", "revenue - total_cost")
def operating_margin(row: Row) -> np.ndarray:
    """Revenue less every cost (NaN without a ``revenue`` section)."""
    return row["revenue"] - row["total_cost"]

