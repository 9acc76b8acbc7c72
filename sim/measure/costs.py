"""Costs by department (and revenue) over any window of the run: the horizon's totals and the
monthly budget.

Staffed hours cost what the roster puts on duty (whether busy or not), overtime costs
``overtime_factor`` times the rate and is booked when the shift it extends ends; parts costs come
from ``sim.measure.parts``; late repairs are penalised when they finish. Months are 30-day blocks
from the end of the warm-up (the last one may be shorter). Revenue (with a ``revenue`` section) is
booked when a paid repair finishes.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd

from sim.engine.model import Replication
from sim.measure.parts import parts_kpis
from sim.scenario.format import Scenario
from sim.units import MINUTES_PER_DAY, MINUTES_PER_HOUR

DEPARTMENTS: tuple[str, ...] = ("call_center", "tech_support", "complaints", "field_service",
                                "depot", "parts_purchase", "holding", "ordering", "shrinkage",
                                "penalties")
REVENUE, TOTAL, MARGIN = "revenue", "total", "margin"
# Budget rows that are not a department's cost: charts of costs per department leave them out.
SUMMARY_ROWS: tuple[str, ...] = (TOTAL, REVENUE, MARGIN)
MONTH_MINUTES = 30 * MINUTES_PER_DAY
_CREW_OF = {"call_center": "agents", "tech_support": "specialists",
            "complaints": "complaint_handlers", "field_service": "technicians",
            "depot": "depot_technicians"}


def crew_minutes(rep: Replication, crew: str, lo: float, hi: float) -> tuple[float, float]:
    """(staffed, overtime) person-minutes of a crew booked in [lo, hi)."""
    windows = rep.windows.get(crew, [])
    staffed = float(sum(c * max(0.0, min(e, hi) - max(s, lo)) for s, e, c in windows))
    ot = rep.overtime
    mask = (ot["crew"] == crew) & (ot["shift_end"] >= lo) & (ot["shift_end"] < hi)
    return staffed, float(ot.loc[mask, "minutes"].sum())


def department_costs(scenario: Scenario, rep: Replication, lo: float, hi: float
                     ) -> dict[str, float]:
    """Cost per department booked in [lo, hi), in the scenario's currency."""
    c = scenario.costs
    rates = {"call_center": c.agent_per_hour, "tech_support": c.specialist_per_hour,
             "complaints": c.complaint_handler_per_hour, "field_service": c.technician_per_hour,
             "depot": c.depot_technician_per_hour}
    out = dict.fromkeys(DEPARTMENTS, 0.0)
    for dept, crew in _CREW_OF.items():
        staffed, overtime = crew_minutes(rep, crew, lo, hi)
        out[dept] = (staffed + c.overtime_factor * overtime) / MINUTES_PER_HOUR * rates[dept]
    visits = rep.visits
    onsite = visits[(visits["crew"] == "technicians") & (visits["start"] >= lo)
                    & (visits["start"] < hi)] if not visits.empty else visits
    trips = len(onsite)
    if scenario.followup is not None and scenario.followup.channel == "visit":
        at = rep.attempts
        trips += int(((at["start"] >= lo) & (at["start"] < hi)).sum()) if not at.empty else 0
    out["field_service"] += c.travel_per_visit * trips
    jobs = rep.work_orders
    if not jobs.empty:
        finished = jobs["finished"].to_numpy(float)
        late = (finished >= lo) & (finished < hi) & (finished > jobs["due"].to_numpy(float))
        out["penalties"] = c.late_repair_penalty * float(np.sum(late))
    if scenario.parts is not None:
        parts = parts_kpis(scenario.parts, rep.part_requests, rep.part_orders, rep.part_levels,
                           lo, hi, rep.part_losses)
        out["parts_purchase"] = parts["cost_parts_purchase"]
        out["shrinkage"] = parts["cost_shrinkage"]
        out["holding"] = parts["cost_holding"]
        out["ordering"] = parts["cost_ordering"]
    return out


def revenue_in(scenario: Scenario, rep: Replication, lo: float, hi: float) -> float:
    """Fees and parts billed for the paid repairs finished in [lo, hi).

    A repair job is paid unless it is under warranty or is the rework of a failed repair (the
    customer paid once); its part, if it needed one, is billed at unit cost x (1 + markup).
    """
    r = scenario.revenue
    jobs = rep.work_orders
    if r is None or jobs.empty:
        return 0.0
    finished = jobs["finished"].to_numpy(float)
    paid = ((finished >= lo) & (finished < hi) & (jobs["rework_of"].to_numpy() < 0)
            & ~jobs["warranty"].to_numpy(bool))
    onsite = jobs["channel"].to_numpy(str) == "onsite"
    fees = np.where(onsite, r.repair_fee.onsite, r.repair_fee.depot)
    total = float(fees[paid].sum())
    if scenario.parts is not None:
        price = {s.sku: s.unit_cost * (1.0 + r.parts_markup) for s in scenario.parts.skus}
        billed = jobs["sku"].map(price).fillna(0.0).to_numpy(float)
        total += float(billed[paid].sum())
    return total


def cost_kpis(scenario: Scenario, rep: Replication) -> dict[str, float]:
    """The horizon's ``cost_<department>`` KPIs, ``total_cost``, ``revenue`` and
    ``operating_margin`` (those two NaN without a ``revenue`` section)."""
    costs = department_costs(scenario, rep, rep.start_minutes, rep.end_minutes)
    out = {f"cost_{dept}": value for dept, value in costs.items()}
    out["total_cost"] = math.fsum(costs.values())
    # Not modelled is unknown, not zero: a margin of minus the costs would mislead.
    out["revenue"] = (revenue_in(scenario, rep, rep.start_minutes, rep.end_minutes)
                      if scenario.revenue is not None else math.nan)
    out["operating_margin"] = out["revenue"] - out["total_cost"]
    return out


def monthly_costs(scenario: Scenario, rep: Replication) -> pd.DataFrame:
    """Long table: month (1-based), department, cost, for every 30-day month of the horizon;
    with a ``revenue`` section, a ``revenue`` row per month holds the income (``cost`` is then
    the amount billed, see ``REVENUE``)."""
    rows = []
    lo = rep.start_minutes
    month = 1
    while lo < rep.end_minutes - 1e-9:
        hi = min(lo + MONTH_MINUTES, rep.end_minutes)
        for dept, cost in department_costs(scenario, rep, lo, hi).items():
            rows.append((month, dept, cost))
        if scenario.revenue is not None:
            rows.append((month, REVENUE, revenue_in(scenario, rep, lo, hi)))
        lo, month = hi, month + 1
    return pd.DataFrame(rows, columns=["month", "department", "cost"])
