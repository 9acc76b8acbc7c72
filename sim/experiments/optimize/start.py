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
from scipy.stats import poisson

from sim.experiments.optimize import horizon
from sim.experiments.optimize.decisions import STAFFING, Area, Variable, get_attr, weekly_hours
from sim.scenario.base import CONTACT_TYPES
from sim.scenario.calendar import hourly_shares, staffed_by_hour_of_week, weekly_weights
from sim.scenario.capacity import offered_erlangs_by_hour
from sim.scenario.clock import Shift
from sim.scenario.format import Scenario
from sim.units import HOURS_PER_WEEK

PLANNING_UTILIZATION = 0.85  # offered work / staffed time for crews without a waiting target
UTILIZATION_KPI: dict[str, str] = {"specialists": "specialist_utilization",
                                   "technicians": "technician_utilization"}
BACKLOG_UTILIZATION = 0.95
"""Share of its on-duty time a crew with a backlog works (the rest is lost at shift ends and
to the overtime limit): the fluid model's capacity."""
DEFAULT_FILL = 0.95  # fill rate aimed at when the scenario has no fill_rate target


def calls_per_hour_of_week(scenario: Scenario) -> np.ndarray:
    """Expected contacts in each of the 168 hours of the week (no demand events)."""
    demand = scenario.demand
    shares = hourly_shares(demand.hourly_profile, scenario.call_center.hours)
    return (demand.contacts_per_day * weekly_weights(demand.weekly_profile)[:, np.newaxis]
            * shares).ravel()


def agents_needed_by_hour(scenario: Scenario) -> np.ndarray:
    """Agents needed in each hour of the week over the measured horizon, events included.

    With a ``service_level`` target: per hour of the week, the fewest agents whose Erlang C
    service level, weighted over the horizon's weeks by their calls in that hour, reaches the
    target (``sim.experiments.optimize.horizon``), at the mix's mean handle time; without one,
    the hour's mean offered load at the planning utilisation. Without demand events every week
    is the same, and this is the Erlang C staffing of the normal week's hour.
    """
    erlangs = offered_erlangs_by_hour(scenario).ravel()
    need = np.zeros(HOURS_PER_WEEK, dtype=int)
    week = calls_per_hour_of_week(scenario)
    if erlangs.sum() <= 0:
        return need
    handle = float(erlangs.sum() * 60.0 / week.sum())
    rates = np.sum([horizon.contacts_by_hour(scenario, t) for t in CONTACT_TYPES], axis=0)
    window = horizon.measured_hours(scenario)
    rates, slot = rates[window], horizon.hour_of_week(scenario, rates.size)[window]
    target = scenario.targets.get("service_level")
    for h in range(HOURS_PER_WEEK):
        here = rates[slot == h]
        if here.size == 0 or not here.sum() > 0:
            continue
        if target is not None and 0 < target < 1:
            need[h] = horizon.agents_for_weighted_service(
                here, handle, scenario.call_center.answer_target_seconds, target)
        else:
            need[h] = math.ceil(float(here.mean()) * handle / 60.0 / PLANNING_UTILIZATION
                                - 1e-9)
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


def _promise_slack_hours(scenario: Scenario, area: Area) -> float | None:
    """Hours a job may wait for the crew and still be fixed within its promise (None: the
    crew has no promise to keep, or no on-time target is set)."""
    fs = scenario.field_service
    if fs is None or "repair_on_time_rate" not in scenario.targets:
        return None
    lead = fs.booking.min_lead_hours if fs.booking is not None else 0.0
    if area == "technicians":
        visit = (fs.travel_minutes.mean_value() + fs.diagnosis_minutes.mean_value()
                 + fs.repair_minutes.mean_value()) / 60.0
        return fs.promised_hours.onsite - lead - visit
    if area == "depot" and fs.depot is not None:
        bench = (fs.diagnosis_minutes.mean_value() + fs.depot.repair_minutes.mean_value()) / 60.0
        return fs.promised_hours.depot - 2.0 * fs.depot.transit_hours.mean_value() - bench
    return None


def _on_duty_by_hour(scenario: Scenario, shifts: Sequence[Shift], counts: dict[int, int],
                     hours: int) -> tuple[np.ndarray, np.ndarray]:
    """People on duty per absolute hour: of the shifts not decided, and of the decided ones at
    ``counts``."""
    slot = horizon.hour_of_week(scenario, hours)
    fixed = sum((staffed_by_hour_of_week((s,)) for j, s in enumerate(shifts) if j not in counts),
                np.zeros(HOURS_PER_WEEK))
    free = sum((staffed_by_hour_of_week((shifts[j].model_copy(update={"count": n}),))
                for j, n in counts.items()), np.zeros(HOURS_PER_WEEK))
    return fixed[slot], free[slot]


def _fluid_scale(scenario: Scenario, area: Area, shifts: Sequence[Shift],
                 counts: dict[int, int]) -> float:
    """The factor on the free shifts that lets a fluid backlog through the horizon's demand
    (events included) keep the on-time target; 1 without a promise or a target."""
    slack = _promise_slack_hours(scenario, area)
    weekly = weekly_work_hours(scenario, area)
    normal_week = scenario.demand.contacts_per_day * 7.0 * scenario.demand.share("repair")
    if slack is None or weekly <= 0 or normal_week <= 0:
        return 1.0
    # the normal week's work per repair call, at each hour's expected repair calls
    work = horizon.contacts_by_hour(scenario, "repair") * (weekly / normal_week)
    fs = scenario.field_service
    lead = round(fs.booking.min_lead_hours) if fs is not None and fs.booking is not None else 0
    work = np.concatenate((np.zeros(lead), work[:work.size - lead]))
    fixed, free = _on_duty_by_hour(scenario, shifts, counts, work.size)
    return horizon.fluid_scale(work, fixed * BACKLOG_UTILIZATION, free * BACKLOG_UTILIZATION,
                               max(slack, 0.0),
                               horizon.measured_hours(scenario),
                               scenario.targets["repair_on_time_rate"])


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
        if hourly is None:
            shift = Shift(name="around the clock", start="00:00", end="24:00", count=people)
            people = math.ceil(people * _fluid_scale(scenario, area, [shift], {0: people})
                               - 1e-9)
        return {staff: people}
    shifts = get_attr(scenario, staff)
    free = [int(v.path.split(".")[-2]) for v in group]
    if hourly is not None:
        counts = cover_shifts(hourly, shifts, free)
    else:
        counts = _scale_shifts(needed_hours, shifts, free)
        scale = _fluid_scale(scenario, area, shifts, counts)
        if scale > 1.0:
            counts = {j: math.ceil(n * scale - 1e-9) for j, n in counts.items()}
    return {f"{staff}.{j}.count": n for j, n in counts.items()}


def _part_needs_by_hour(scenario: Scenario, first_jobs_only: bool) -> np.ndarray:
    """Expected jobs needing a part per absolute hour of the run (all SKUs), events included;
    rework jobs (which come back as new jobs) are left out with ``first_jobs_only``."""
    parts, fs = scenario.parts, scenario.field_service
    assert parts is not None and fs is not None
    jobs = horizon.contacts_by_hour(scenario, "repair")
    if not first_jobs_only:
        jobs = jobs / fs.quality_pass_probability
    return jobs * parts.need_probability


def _van_start(scenario: Scenario, var: Variable) -> int:
    """Units of one SKU on every van, for one van's share of that SKU's on-site part need
    between refills, over the horizon's refill periods (events included).

    The larger of two levels: the smallest whose periodic-review fill rate, weighted by each
    period's need, meets the ``van_fill_rate`` target (if set), and the newsvendor level, at
    which one unit more would be used less often than its holding cost is worth a missed part
    (``_missed_part_cost``).
    """
    parts, fs = scenario.parts, scenario.field_service
    assert parts is not None and parts.van_stock is not None and fs is not None
    name = var.path.split(".")[-1]
    sku = next(s for s in parts.skus if s.sku == name)
    vans = fs.technicians if isinstance(fs.technicians, int) \
        else sum(s.count for s in fs.technicians)
    # First jobs only: a rework job needs no part.
    hourly = _part_needs_by_hour(scenario, first_jobs_only=True)[horizon.measured_hours(scenario)]
    days = hourly[:hourly.size - hourly.size % 24].reshape(-1, 24).sum(axis=1)
    if days.size == 0:
        days = np.array([hourly.sum()])
    period = parts.van_stock.refill_every_days
    need = days * fs.onsite_share * sku.share * period / max(vans, 1)
    target = scenario.targets.get("van_fill_rate")
    level = 0 if target is None else horizon.weighted_van_level(need, need, target)
    holding = sku.unit_cost * parts.holding_rate_per_year * period / 365.0
    missed = _missed_part_cost(scenario)
    if missed <= 0:
        return level  # a missed part costs nothing: no unit pays for itself
    worth = holding / missed  # P(need > level) at which a unit pays
    while level < 10_000 and float(np.mean(poisson.sf(level, need))) > worth:
        level += 1
    return level


def _missed_part_cost(scenario: Scenario) -> float:
    """What a part missing from the van costs: the visit's travel there and back again at the
    technician's rate, its travel cost, and the late penalty (the part comes a delivery later,
    which usually breaks the promise)."""
    fs, costs = scenario.field_service, scenario.costs
    assert fs is not None
    travel = fs.travel_minutes.mean_value() / 60.0 * costs.technician_per_hour
    return travel + costs.travel_per_visit + costs.late_repair_penalty


def _stock_start(scenario: Scenario, var: Variable) -> int:
    """The Poisson base-stock level for the fill-rate target, for the lead-time demand of every
    hour of the horizon weighted by that hour's demand (``sim.experiments.optimize.horizon``);
    (s, S) and (r, Q) reorder one unit below it."""
    parts = scenario.parts
    assert parts is not None
    index = int(var.path.split(".")[2])
    sku = parts.skus[index]
    demand = (_part_needs_by_hour(scenario, first_jobs_only=False) * sku.share
              / (1.0 - sku.reject_rate))
    fill = scenario.targets.get("fill_rate", DEFAULT_FILL)
    lead = sku.lead_time_days.mean_value()
    policy = sku.policy
    window = horizon.measured_hours(scenario)
    if policy.type == "periodic":
        return horizon.weighted_base_stock_level(demand, lead + policy.review_days, window, fill)
    level = horizon.weighted_base_stock_level(demand, lead, window, fill)
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
        elif v.area == "vans":
            start[v.path] = _van_start(scenario, v)
    for staff, group in staffs.items():
        start.update(_staff_start(scenario, staff, group))
    return start
