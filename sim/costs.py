"""Costs by department over any window of the run: the horizon's totals and the monthly budget.

Staffed hours cost what the roster puts on duty (whether busy or not), overtime costs
``overtime_factor`` times the rate and is booked when the shift it extends ends; parts costs come
from ``sim.kpis_parts``; late repairs are penalised when they finish. Months are 30-day blocks from
the end of the warm-up (the last one may be shorter).
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd

from sim.distributions import MINUTES_PER_DAY, MINUTES_PER_HOUR
from sim.kpis_parts import parts_kpis
from sim.model import Replication
from sim.scenario import Scenario

DEPARTMENTS: tuple[str, ...] = ("call_center", "tech_support", "complaints", "field_service",
                                "depot", "parts_purchase", "holding", "ordering", "penalties")
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
                           lo, hi)
        out["parts_purchase"] = parts["cost_parts_purchase"]
        out["holding"] = parts["cost_holding"]
        out["ordering"] = parts["cost_ordering"]
    return out


def cost_kpis(scenario: Scenario, rep: Replication) -> dict[str, float]:
    """The horizon's ``cost_<department>`` KPIs and ``total_cost``."""
    costs = department_costs(scenario, rep, rep.start_minutes, rep.end_minutes)
    out = {f"cost_{dept}": value for dept, value in costs.items()}
    out["total_cost"] = math.fsum(costs.values())
    return out


def monthly_costs(scenario: Scenario, rep: Replication) -> pd.DataFrame:
    """Long table: month (1-based), department, cost, for every 30-day month of the horizon."""
    rows = []
    lo = rep.start_minutes
    month = 1
    while lo < rep.end_minutes - 1e-9:
        hi = min(lo + MONTH_MINUTES, rep.end_minutes)
        for dept, cost in department_costs(scenario, rep, lo, hi).items():
            rows.append((month, dept, cost))
        lo, month = hi, month + 1
    return pd.DataFrame(rows, columns=["month", "department", "cost"])
