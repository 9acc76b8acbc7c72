"""The optimizer's decision variables and their analytic starting values.

This module owns what a ``--decide`` path means and where the search starts. A path names either
a staffing (``call_center.agents``: the bare integer, or the ``count`` of each shift), a SKU's
replenishment policy (``parts.skus.*.policy``: one level per SKU that moves the whole policy), or
any whole-number key. Paths take ``*`` and SKU or shift names where the scenario has a list.

Starting values come from textbook models, so that simulation only has to correct them:
Erlang C per hour of the week for agents (covered by the cheapest shift counts, an integer
program), offered work over available hours at a planning utilisation for specialists,
technicians and complaint handlers, and the Poisson base-stock level for the fill-rate target
(``sim.theory_stock``) for stock.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from typing import Any, Literal

import numpy as np
from pydantic import ValidationError
from scipy.optimize import Bounds, LinearConstraint, milp

from sim import theory, theory_stock
from sim.loader import Problem, ScenarioError, offered_erlangs_by_hour
from sim.roster import hourly_shares, staffed_by_hour_of_week, weekly_weights
from sim.scenario import Scenario
from sim.scenario_base import CONTACT_TYPES
from sim.scenario_time import Shift

Area = Literal["agents", "specialists", "complaint_handlers", "technicians", "depot", "stock",
               "other"]

# staffing path -> (area, cost rate key in `costs`)
STAFFING: dict[str, tuple[Area, str]] = {
    "call_center.agents": ("agents", "agent_per_hour"),
    "call_center.escalation.specialists": ("specialists", "specialist_per_hour"),
    "complaints.handlers": ("complaint_handlers", "complaint_handler_per_hour"),
    "field_service.technicians": ("technicians", "technician_per_hour"),
    "field_service.depot.technicians": ("depot", "depot_technician_per_hour"),
}
# the policy key that one stock variable moves, per policy type (the others follow it)
POLICY_LEVEL = {"base_stock": "level", "sS": "s", "rQ": "r", "periodic": "S"}
PLANNING_UTILIZATION = 0.85  # offered work / staffed time for crews without a waiting target
UTILIZATION_KPI: dict[str, str] = {"specialists": "specialist_utilization",
                                   "technicians": "technician_utilization"}
DEFAULT_FILL = 0.95  # fill rate aimed at when the scenario has no fill_rate target
HOURS_PER_WEEK = 168.0
KeyPath = tuple[str | int, ...]


@dataclass(frozen=True)
class Variable:
    """One integer decision: the value at ``path``, and keys that move with it.

    ``linked`` keys are set to ``max(0, value + offset)``: an (s, S) policy keeps S - s, and a
    SKU's initial stock keeps its distance to the policy so that the run starts at the policy.
    """

    path: str
    label: str
    area: Area
    current: int
    lower: int
    upper: int
    unit_cost: float
    linked: tuple[tuple[str, int], ...] = ()
    group: str = ""

    def assignments(self, value: int) -> dict[str, int]:
        """Every key this variable sets, for one value."""
        return {self.path: value, **{p: max(0, value + off) for p, off in self.linked}}


# --------------------------------------------------------------------------------- paths


def _dotted(path: KeyPath) -> str:
    return ".".join(str(p) for p in path)


def _resolve(data: Any, spec: str) -> list[tuple[KeyPath, Any]]:
    """Concrete paths (list indexes as ints) matching a dotted path with ``*`` and names."""
    found: list[tuple[KeyPath, Any]] = [((), data)]
    for seg in spec.split("."):
        nxt: list[tuple[KeyPath, Any]] = []
        for prefix, node in found:
            if isinstance(node, dict):
                if node.get(seg) is not None:
                    nxt.append(((*prefix, seg), node[seg]))
            elif isinstance(node, list):
                for i, item in enumerate(node):
                    named = isinstance(item, dict) and seg in (item.get("sku"), item.get("name"))
                    if seg == "*" or seg == str(i) or named:
                        nxt.append(((*prefix, i), item))
        found = nxt
    return found


def _get(data: Any, path: KeyPath) -> Any:
    for p in path:
        data = data[p]
    return data


def _set(data: Any, dotted: str, value: int) -> None:
    keys: list[str | int] = [int(k) if k.isdigit() else k for k in dotted.split(".")]
    _get(data, tuple(keys[:-1]))[keys[-1]] = value


def _is_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _area_of(path: str) -> Area:
    """The crew a path belongs to, "stock" under ``parts``, else "other"."""
    for staff, (area, _) in STAFFING.items():
        if path == staff or path.startswith(staff + "."):
            return area
    return "stock" if path.startswith("parts.") else "other"


def _weekly_hours(shift: Shift | None) -> float:
    """Hours per week one person works on a shift (None: around the clock)."""
    if shift is None:
        return HOURS_PER_WEEK
    return float(staffed_by_hour_of_week((shift.model_copy(update={"count": 1}),)).sum())


def _problem(spec: str, message: str) -> ScenarioError:
    return ScenarioError([Problem("--decide", None, spec, message)])


def _staff_variables(scenario: Scenario, staff: str, node: Any, weeks: float,
                     index: int | None) -> list[Variable]:
    area, rate_key = STAFFING[staff]
    rate = float(getattr(scenario.costs, rate_key))
    if _is_int(node):
        return [Variable(staff, staff, area, node, 0, node, _weekly_hours(None) * rate * weeks)]
    shifts = _get_attr(scenario, staff)
    out = []
    for i, shift in enumerate(shifts):
        if index is None or i == index:
            out.append(Variable(f"{staff}.{i}.count", f"{staff}[{shift.name}]", area,
                                shift.count, 0, shift.count,
                                _weekly_hours(shift) * rate * weeks, group=staff))
    return out


def _policy_variable(scenario: Scenario, data: dict[str, Any], sku_index: int) -> Variable:
    sku = data["parts"]["skus"][sku_index]
    policy = sku["policy"]
    key = POLICY_LEVEL[policy["type"]]
    base = f"parts.skus.{sku_index}"
    value = int(policy[key])
    linked = [(f"{base}.policy.S", policy["S"] - value)] if policy["type"] == "sS" else []
    linked.append((f"{base}.initial_on_hand", int(sku["initial_on_hand"]) - value))
    parts = scenario.parts
    assert parts is not None
    # one more unit of level keeps about one more unit on hand for the whole horizon
    unit = float(sku["unit_cost"]) * parts.holding_rate_per_year * scenario.horizon_days / 365.0
    lower = -1 if policy["type"] == "rQ" else 0
    return Variable(f"{base}.policy.{key}", f"{sku['sku']} {policy['type']} {key}", "stock",
                    value, lower, value, unit, tuple(linked))


def decision_variables(scenario: Scenario, specs: Sequence[str]) -> list[Variable]:
    """The integer variables that ``--decide`` paths name, in the order given, without repeats.

    Args:
        scenario: The base scenario.
        specs: Dotted paths, e.g. ``call_center.agents`` or ``parts.skus.*.policy``.

    Returns:
        The variables, bounds still at the current values (see ``with_bounds``).

    Raises:
        ScenarioError: For a path that names nothing, or nothing that is a whole number.
    """
    data = scenario.model_dump(mode="json")
    weeks = scenario.horizon_days / 7.0
    out: dict[str, Variable] = {}
    for spec in specs:
        matches = _resolve(data, spec)
        if not matches:
            raise _problem(spec, "names nothing in the scenario; decide on a staffing ("
                                 f"{', '.join(STAFFING)}), `parts.skus.*.policy`, or any "
                                 "whole-number key (`*`, indexes and SKU/shift names select "
                                 "list entries)")
        for path, node in matches:
            dotted = _dotted(path)
            found = _classify(scenario, data, path, dotted, node, weeks)
            if not found:
                raise _problem(spec, f"`{dotted}` is {node!r}: not a staffing, a SKU policy or "
                                     "a whole number")
            for var in found:
                out.setdefault(var.path, var)
    return list(out.values())


def _classify(scenario: Scenario, data: dict[str, Any], path: KeyPath, dotted: str, node: Any,
              weeks: float) -> list[Variable]:
    if dotted in STAFFING:
        return _staff_variables(scenario, dotted, node, weeks, None)
    for staff in STAFFING:
        rest = dotted[len(staff) + 1:].split(".") if dotted.startswith(staff + ".") else []
        if rest and rest[0].isdigit() and rest[1:] in ([], ["count"]):
            return _staff_variables(scenario, staff, _get(data, tuple(staff.split("."))),
                                    weeks, int(rest[0]))
    if len(path) == 4 and path[:2] == ("parts", "skus") and path[3] == "policy":
        return [_policy_variable(scenario, data, int(path[2]))]
    if _is_int(node):
        lower = -1 if path[-1] == "r" else 0  # an (r, Q) reorder point may be -1
        return [Variable(dotted, dotted, _area_of(dotted), node, lower, node, 0.0)]
    return []


def with_bounds(scenario: Scenario, variables: Sequence[Variable], start: Mapping[str, int],
                bounds: Mapping[str, tuple[int, int]]) -> list[Variable]:
    """Set each variable's search range.

    The default range is from the variable's natural minimum to twice the larger of its current
    and starting values (at least 10 above). A bound's key (``*`` and names allowed) applies to
    every variable whose path equals it or lies under it: ``call_center.agents`` bounds each
    shift count, ``parts.skus.*.policy`` each SKU's level.

    Args:
        scenario: The base scenario.
        variables: The decision variables.
        start: Starting value per variable path.
        bounds: Path -> (lowest, highest) value.

    Returns:
        The variables with ``lower`` and ``upper`` set.

    Raises:
        ScenarioError: For a bound that matches no variable or has lo > hi.
    """
    out = []
    for v in variables:
        top = max(v.current, start.get(v.path, v.current))
        out.append(replace(v, upper=max(2 * top, top + 10)))
    data = scenario.model_dump(mode="json")
    for key, (lo, hi) in bounds.items():
        if lo > hi:
            raise ScenarioError([Problem("--bound", None, key, f"lower {lo} above upper {hi}")])
        prefixes = [_dotted(path) for path, _ in _resolve(data, key)]
        hits = [i for i, v in enumerate(out)
                if any(v.path == p or v.path.startswith(p + ".") for p in prefixes)]
        if not hits:
            raise ScenarioError([Problem("--bound", None, key, "matches no decided variable ("
                                         + ", ".join(v.path for v in out) + ")")])
        for i in hits:
            out[i] = replace(out[i], lower=lo, upper=hi)
    return out


def apply_decision(scenario: Scenario, variables: Sequence[Variable], values: Sequence[int]
                   ) -> Scenario | None:
    """The scenario with the decided values set, or None if it is not a valid scenario.

    Args:
        scenario: The base scenario.
        variables: The decision variables.
        values: One value per variable.

    Returns:
        The validated scenario, or None (e.g. an (s, S) policy with s >= S).
    """
    data = scenario.model_dump(mode="json")
    for var, value in zip(variables, values, strict=True):
        for path, v in var.assignments(int(value)).items():
            _set(data, path, v)
    try:
        return Scenario.model_validate(data)
    except ValidationError:
        return None


def _get_attr(scenario: Scenario, dotted: str) -> Any:
    node: Any = scenario
    for name in dotted.split("."):
        node = getattr(node, name)
    return node


# --------------------------------------------------------------------------------- starts


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
    hours = {j: _weekly_hours(shifts[j]) for j in free}
    fixed = sum(_weekly_hours(s) * s.count for j, s in enumerate(shifts) if j not in free)
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
    shifts = _get_attr(scenario, staff)
    free = [int(v.path.split(".")[-2]) for v in group]
    counts = (cover_shifts(hourly, shifts, free) if hourly is not None
              else _scale_shifts(needed_hours, shifts, free))
    return {f"{staff}.{j}.count": n for j, n in counts.items()}


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
    for staff, group in staffs.items():
        start.update(_staff_start(scenario, staff, group))
    return start
