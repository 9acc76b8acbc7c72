"""The optimizer's decision variables: what a ``--decide`` path means and how a decision is set.

This module owns turning ``--decide`` paths into integer variables (``Variable``,
``decision_variables``), their search ranges (``with_bounds``) and writing one value per variable
into a scenario (``apply_decision``). A path names either a staffing (``call_center.agents``: the
bare integer, or the ``count`` of each shift), a SKU's replenishment policy
(``parts.skus.*.policy``: one level per SKU that moves the whole policy), or any whole-number key.
Paths take ``*`` and SKU or shift names where the scenario has a list. Where the search starts is
``sim.experiments.optimize.start``; the search is ``sim.experiments.optimize.solve``.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from typing import Any, Literal

from pydantic import ValidationError

from sim.scenario.calendar import staffed_by_hour_of_week
from sim.scenario.clock import Shift
from sim.scenario.format import Scenario
from sim.scenario.problems import Problem, ScenarioError
from sim.units import HOURS_PER_WEEK

Area = Literal["agents", "specialists", "complaint_handlers", "technicians", "depot", "stock",
               "vans", "training", "other"]

# staffing path -> (area, cost rate key in `costs`)
STAFFING: dict[str, tuple[Area, str]] = {
    "call_center.agents": ("agents", "agent_per_hour"),
    "call_center.escalation.specialists": ("specialists", "specialist_per_hour"),
    "complaints.handlers": ("complaint_handlers", "complaint_handler_per_hour"),
    "field_service.technicians": ("technicians", "technician_per_hour"),
    "field_service.depot.technicians": ("depot", "depot_technician_per_hour"),
}
VAN_LEVEL = re.compile(r"^parts\.van_stock\.(?:skus\.)?([^.]+)(?:\.level)?$")
"""A van level: ``parts.van_stock.<sku>.level`` or ``parts.van_stock.skus.<sku>`` (``*``: every
SKU of the parts section)."""
TRAINING_HOURS = "training.hours_per_technician_month"
# the policy key that one stock variable moves, per policy type (the others follow it)
POLICY_LEVEL = {"base_stock": "level", "sS": "s", "rQ": "r", "periodic": "S"}
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
                # `*` under a mapping is each of its keys (e.g. every SKU a van carries)
                keys = [k for k in node if node[k] is not None] if seg == "*" else (
                    [seg] if node.get(seg) is not None else [])
                nxt.extend(((*prefix, k), node[k]) for k in keys)
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
    # A segment is a list index only where the node is a list: a SKU may be named "2024".
    node = data
    *head, last = dotted.split(".")
    for key in head:
        node = node[int(key)] if isinstance(node, list) else node[key]
    node[int(last) if isinstance(node, list) else last] = value


def _is_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _area_of(path: str) -> Area:
    """The crew a path belongs to, "stock" under ``parts``, else "other"."""
    for staff, (area, _) in STAFFING.items():
        if path == staff or path.startswith(staff + "."):
            return area
    return "stock" if path.startswith("parts.") else "other"


def weekly_hours(shift: Shift | None) -> float:
    """Hours per week one person works on a shift (None: around the clock)."""
    if shift is None:
        return float(HOURS_PER_WEEK)
    return float(staffed_by_hour_of_week((shift.model_copy(update={"count": 1}),)).sum())


def get_attr(scenario: Scenario, dotted: str) -> Any:
    """The scenario's attribute at a dotted path, e.g. the shifts of ``call_center.agents``."""
    node: Any = scenario
    for name in dotted.split("."):
        node = getattr(node, name)
    return node


def _problem(spec: str, message: str) -> ScenarioError:
    return ScenarioError([Problem("--decide", None, spec, message)])


def _staff_variables(scenario: Scenario, staff: str, node: Any, weeks: float,
                     index: int | None) -> list[Variable]:
    area, rate_key = STAFFING[staff]
    rate = float(getattr(scenario.costs, rate_key))
    if _is_int(node):
        return [Variable(staff, staff, area, node, 0, node, weekly_hours(None) * rate * weeks)]
    shifts = get_attr(scenario, staff)
    out = []
    for i, shift in enumerate(shifts):
        if index is None or i == index:
            out.append(Variable(f"{staff}.{i}.count", f"{staff}[{shift.name}]", area,
                                shift.count, 0, shift.count,
                                weekly_hours(shift) * rate * weeks, group=staff))
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
        special = _van_variables(scenario, spec) or _training_variables(scenario, spec)
        if special:
            for var in special:
                out.setdefault(var.path, var)
            continue
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


def _vans(scenario: Scenario) -> int:
    """How many vans: one per mobile technician on the roster."""
    fs = scenario.field_service
    if fs is None:
        return 0
    staffing = fs.technicians
    return staffing if isinstance(staffing, int) else sum(s.count for s in staffing)


def _van_variables(scenario: Scenario, spec: str) -> list[Variable]:
    """The van level of each SKU a ``parts.van_stock`` path names (none for other paths).

    One unit more on every van holds that many more units for the whole horizon, so the unit
    cost is the holding cost of a unit times the vans."""
    match = VAN_LEVEL.match(spec)
    parts = scenario.parts
    if match is None or spec in ("parts.van_stock.refill", "parts.van_stock.delivery_hours"):
        return []
    if parts is None or parts.van_stock is None:
        raise _problem(spec, "the scenario has no `parts.van_stock` section to decide on")
    name = match.group(1)
    skus = [s for s in parts.skus if name in ("*", s.sku)]
    if not skus:
        raise _problem(spec, f"no SKU `{name}`; the parts section has "
                             f"{', '.join(s.sku for s in parts.skus)}")
    vans = _vans(scenario)
    out = []
    for sku in skus:
        level = parts.van_stock.skus.get(sku.sku, 0)
        unit = (sku.unit_cost * parts.holding_rate_per_year * scenario.horizon_days / 365.0
                * vans)
        out.append(Variable(f"parts.van_stock.skus.{sku.sku}", f"{sku.sku} van level", "vans",
                            level, 0, level, unit))
    return out


def _training_variables(scenario: Scenario, spec: str) -> list[Variable]:
    """Whole training hours per technician a month (none for other paths)."""
    if spec != TRAINING_HOURS:
        return []
    training = scenario.training
    if training is None:
        raise _problem(spec, "the scenario has no `training` section to decide on")
    months = scenario.horizon_days / 30.0
    rate = training.cost_per_hour + scenario.costs.technician_per_hour
    hours = round(training.hours_per_technician_month)
    return [Variable(TRAINING_HOURS, "training hours per technician a month", "training",
                     hours, 0, hours, rate * _vans(scenario) * months)]


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
