"""The optimizer's starting point: analytic estimates of every decision variable.

This module owns where the search starts (``analytic_start``), so that simulation only has to
correct the estimate. The estimates come from textbook models: Erlang C per hour of the week for
agents (covered by the cheapest shift counts, an integer program: ``cover_shifts``), offered work
over available hours at a planning utilisation for specialists, technicians and complaint
handlers, and the Poisson base-stock level for the fill-rate target (``sim.theory.stock``) for
stock. What a variable is and how a decision is set is
``sim.experiments.optimize.decisions``.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np
from scipy.optimize import Bounds, LinearConstraint, milp

from sim.experiments.optimize.decisions import STAFFING, Area, Variable, get_attr, weekly_hours
from sim.scenario.base import CONTACT_TYPES
from sim.scenario.calendar import hourly_shares, staffed_by_hour_of_week, weekly_weights
from sim.scenario.capacity import offered_erlangs_by_hour
from sim.scenario.clock import Shift
from sim.scenario.format import Scenario
from sim.theory import queues as theory
from sim.theory import stock as theory_stock
from sim.units import HOURS_PER_WEEK

PLANNING_UTILIZATION = 0.85  # offered work / staffed time for crews without a waiting target
UTILIZATION_KPI: dict[str, str] = {"specialists": "specialist_utilization",
                                   "technicians": "technician_utilization"}
DEFAULT_FILL = 0.95  # fill rate aimed at when the scenario has no fill_rate target


def calls_per_hour_of_week(scenario: Scenario) -> np.ndarray:
    """Expected contacts in each of the 168 hours of the week (no demand events)."""
    demand = scenario.demand
    shares = hourly_shares(demand.hourly_profile, scenario.call_center.hours)
    return (demand.contacts_per_day * weekly_weights(demand.weekly_profile)[:, np.newaxis]
            * shares).ravel()


def agents_needed_by_hour(scenario: Scenario) -> np.ndarray:
    """Agents needed in each hour of the week, each hour taken as its own steady state.

    With a ``service_level`` target: the Erlang C staffing of the hour's calls and the mix's
    mean handle time; without one, the offered load at the planning utilisation.
    """
    rate = calls_per_hour_of_week(scenario)
    erlangs = offered_erlangs_by_hour(scenario).ravel()
    need = np.zeros(rate.size, dtype=int)
    if erlangs.sum() <= 0:
        return need
    handle = float(erlangs.sum() * 60.0 / rate.sum())
    target = scenario.targets.get("service_level")
    for h in np.flatnonzero(rate > 0):
        if target is not None and 0 < target < 1:
            need[h] = theory.erlang_c_agents_needed(
                float(rate[h]), handle, scenario.call_center.answer_target_seconds, target,
                max_servers=100_000)
        else:
            need[h] = math.ceil(erlangs[h] / PLANNING_UTILIZATION)
    return need


def planning_utilization(scenario: Scenario, area: Area) -> float:
    """Offered work / staffed time to plan a crew for: its utilisation target, else 0.85."""
    kpi = UTILIZATION_KPI.get(area)
    target = scenario.targets.get(kpi, PLANNING_UTILIZATION) if kpi else PLANNING_UTILIZATION
    return min(max(target, 0.05), 1.0)


def specialists_needed_by_hour(scenario: Scenario) -> np.ndarray:
    """Specialists needed per hour: escalated talk time at the planning utilisation."""
    esc = scenario.call_center.escalation
    if esc is None:
        return np.zeros(168, dtype=int)
    share = sum(scenario.demand.share(t) * esc.probability.get(t, 0.0) for t in CONTACT_TYPES)
    load = calls_per_hour_of_week(scenario) * share * esc.handle_minutes.mean_value() / 60.0
    utilization = planning_utilization(scenario, "specialists")
    return np.ceil(load / utilization - 1e-9).astype(int)


def jobs_per_day(scenario: Scenario) -> float:
    """Work orders per day, rework included (failed repairs come back as new jobs)."""
    fs = scenario.field_service
    if fs is None:
        return 0.0
    return (scenario.demand.contacts_per_day * scenario.demand.share("repair")
            / fs.quality_pass_probability)


def weekly_work_hours(scenario: Scenario, area: Area) -> float:
    """Person-hours of work per week a crew is offered (the crews that can queue work)."""
    fs = scenario.field_service
    jobs = jobs_per_day(scenario) * 7.0
    if area == "complaint_handlers" and scenario.complaints is not None:
        return (scenario.demand.contacts_per_day * 7.0 * scenario.demand.share("complaint")
                * scenario.complaints.resolution_hours.mean_value())
    if area == "technicians" and fs is not None:
        visit = (fs.travel_minutes.mean_value() + fs.diagnosis_minutes.mean_value()
                 + fs.repair_minutes.mean_value())
        hours = jobs * fs.onsite_share / fs.fix_probability * visit / 60.0
        fu = scenario.followup
        if fu is not None and fu.channel == "visit":
            per = fs.travel_minutes.mean_value() + fu.call_minutes.mean_value()
            hours += jobs * per / 60.0 / max(fu.reach_probability, 0.1)
        return hours
    if area == "depot" and fs is not None and fs.depot is not None:
        bench = fs.diagnosis_minutes.mean_value() + fs.depot.repair_minutes.mean_value()
        return jobs * (1.0 - fs.onsite_share) / fs.fix_probability * bench / 60.0
    return 0.0


def cover_shifts(requirement: np.ndarray, shifts: Sequence[Shift], free: Sequence[int]
                 ) -> dict[int, int]:
    """Cheapest counts of the ``free`` shifts covering an hourly requirement.

    Minimise the paid hours sum_j h_j x_j subject to sum_j a_hj x_j >= r_h - fixed_h for every
    hour, x integer >= 0, where a_hj is the share of hour h that shift j is on duty and fixed_h
    the people of the other shifts. Hours that no free shift touches are left out.

    Args:
        requirement: People needed per hour of the week (168).
        shifts: All shifts of the crew.
        free: Indexes of the shifts whose counts are decided.

    Returns:
        Shift index -> count.
    """
    ones = [staffed_by_hour_of_week((s.model_copy(update={"count": 1}),)) for s in shifts]
    fixed = sum((ones[j] * shifts[j].count for j in range(len(shifts)) if j not in free),
                np.zeros(168))
    a = np.column_stack([ones[j] for j in free])
    need = np.maximum(np.asarray(requirement, float) - fixed, 0.0)
    rows = (need > 0) & (a.sum(axis=1) > 0)
    if not rows.any():
        return dict.fromkeys(free, 0)
    res = milp(c=a.sum(axis=0), constraints=LinearConstraint(a[rows], lb=need[rows]),
               integrality=np.ones(len(free)), bounds=Bounds(0, np.inf))
    if res.x is None:  # pragma: no cover - covering with unbounded counts is always feasible
        raise RuntimeError(f"shift cover failed: {res.message}")
    return {j: round(float(x)) for j, x in zip(free, res.x, strict=True)}


def _scale_shifts(needed_hours: float, shifts: Sequence[Shift], free: Sequence[int]
                  ) -> dict[int, int]:
    """Free shift counts giving ``needed_hours`` a week, keeping the current mix of shifts."""
    hours = {j: weekly_hours(shifts[j]) for j in free}
    fixed = sum(weekly_hours(s) * s.count for j, s in enumerate(shifts) if j not in free)
    need = max(0.0, needed_hours - fixed)
    now = sum(hours[j] * shifts[j].count for j in free)
    if now <= 0:
        longest = max(free, key=lambda j: hours[j])
        return {j: math.ceil(need / hours[j]) if j == longest else 0 for j in free}
    return {j: math.ceil(shifts[j].count * need / now - 1e-9) for j in free}


def _staff_start(scenario: Scenario, staff: str, group: Sequence[Variable]) -> dict[str, int]:
    area = group[0].area
    if area in ("agents", "specialists"):
        hourly = (agents_needed_by_hour(scenario) if area == "agents"
                  else specialists_needed_by_hour(scenario))
        needed_hours = float(hourly.sum())
    else:
        hourly = None
        needed_hours = weekly_work_hours(scenario, area) / planning_utilization(scenario, area)
    if group[0].path == staff:  # a bare integer: the same people around the clock
        people = int(hourly.max()) if hourly is not None else math.ceil(
            needed_hours / HOURS_PER_WEEK - 1e-9)
        return {staff: people}
    shifts = get_attr(scenario, staff)
    free = [int(v.path.split(".")[-2]) for v in group]
    counts = (cover_shifts(hourly, shifts, free) if hourly is not None
              else _scale_shifts(needed_hours, shifts, free))
    return {f"{staff}.{j}.count": n for j, n in counts.items()}


def _van_start(scenario: Scenario, var: Variable) -> int:
    """The smallest van level whose periodic-review fill rate meets the van_fill_rate target,
    for one van's share of the on-site part need of that SKU between refills."""
    parts, fs = scenario.parts, scenario.field_service
    assert parts is not None and parts.van_stock is not None and fs is not None
    name = var.path.split(".")[-1]
    sku = next(s for s in parts.skus if s.sku == name)
    vans = fs.technicians if isinstance(fs.technicians, int) \
        else sum(s.count for s in fs.technicians)
    # First jobs only: a rework job needs no part.
    calls = scenario.demand.contacts_per_day * scenario.demand.share("repair")
    need = (calls * fs.onsite_share * parts.need_probability * sku.share
            * parts.van_stock.refill_every_days / max(vans, 1))
    target = min(scenario.targets["van_fill_rate"], 0.999)
    level = 0
    while theory_stock.periodic_van_stock(need, level).fill_rate < target and level < 10_000:
        level += 1
    return level


def _stock_start(scenario: Scenario, var: Variable) -> int:
    parts = scenario.parts
    assert parts is not None
    index = int(var.path.split(".")[2])
    sku = parts.skus[index]
    demand = (jobs_per_day(scenario) * parts.need_probability * sku.share
              / (1.0 - sku.reject_rate))
    fill = min(scenario.targets.get("fill_rate", DEFAULT_FILL), 0.999)
    lead = sku.lead_time_days.mean_value()
    policy = sku.policy
    if policy.type == "periodic":
        return theory_stock.base_stock_level_for_fill(demand, lead + policy.review_days, fill)
    level = theory_stock.base_stock_level_for_fill(demand, lead, fill)
    # (s, S) and (r, Q) order when the position falls to the reorder point: reorder point =
    # base-stock level - 1 gives at least the base-stock fill rate
    return level if policy.type == "base_stock" else level - 1


def analytic_start(scenario: Scenario, variables: Sequence[Variable]) -> dict[str, int]:
    """Starting value of every variable from the textbook models (see the module docstring).

    Variables without a model (whole-number keys, single policy keys) start at their current
    value.

    Args:
        scenario: The base scenario.
        variables: The decision variables.

    Returns:
        Variable path -> starting value.
    """
    start = {v.path: v.current for v in variables}
    staffs: dict[str, list[Variable]] = {}
    for v in variables:
        staff = v.group or (v.path if v.path in STAFFING else "")
        if staff:
            staffs.setdefault(staff, []).append(v)
        elif v.area == "stock" and v.linked:  # a whole policy (a single key has no links)
            start[v.path] = _stock_start(scenario, v)
        elif v.area == "vans" and "van_fill_rate" in scenario.targets:
            start[v.path] = _van_start(scenario, v)
    for staff, group in staffs.items():
        start.update(_staff_start(scenario, staff, group))
    return start
