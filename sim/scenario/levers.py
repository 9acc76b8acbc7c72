"""Levers: the scenario keys a manager edits in the explorer, expressed as ``--set`` overrides.

This module owns which keys the explorer offers (run length, demand volume, agents, specialists,
complaint handlers and technicians per shift, the redial probability, the technicians' fix and
quality probabilities, each shift's skills, training hours, the stock policy of each SKU and its
level on each van, repair fees and the warranty share, one extra demand event), how edited
values become ``dotted.path=value`` overrides, and the table of what changed against the file.
The overrides are applied by ``sim.scenario.loader.load_scenario_text`` exactly as the CLI's
``--set``, so every rule and every error message is the loader's: nothing is validated here.
It knows nothing of Streamlit.
"""

from __future__ import annotations

import json
import shlex
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Literal

import pandas as pd

from sim.i18n.messages import tr
from sim.scenario.base import CONTACT_TYPES, DAYS
from sim.scenario.clock import Shift
from sim.scenario.format import Scenario
from sim.scenario.inventory import Sku

LeverKind = Literal["int", "float", "text", "choices"]
Number = int | float
LeverValue = int | float | str | tuple[str, ...]

# Group names are also the grouping keys, so they stay English here and are shown through `tr`
# (their Chinese entries are checked in tests/test_i18n.py), as are the policy fields' labels.
GROUPS: tuple[str, ...] = ("Run", "Demand", "Call center", "Technical support", "Complaints",
                           "Field service", "Depot", "Parts", "Finance")
# Policy parameters in the order a planner reads them, with their value kind.
POLICY_FIELDS: dict[str, tuple[tuple[str, LeverKind, str], ...]] = {
    "base_stock": (("level", "int", "base-stock level"),),
    "sS": (("s", "int", "reorder point s"), ("S", "int", "order-up-to S")),
    "rQ": (("r", "int", "reorder point r"), ("Q", "int", "order quantity Q")),
    "periodic": (("review_days", "float", "review every (days)"), ("S", "int", "order-up-to S")),
}
DIFF_COLUMNS = ("key_path", "file_value", "edited_value")
ABSENT = "(absent)"


@dataclass(frozen=True, slots=True)
class Lever:
    """One editable key: its dotted path, how to label it, and its value in the file."""

    path: str
    label: str
    group: str
    value: LeverValue
    kind: LeverKind
    help: str = ""
    step: float = 1.0
    options: tuple[str, ...] = ()  # a "choices" lever's allowed values (several may be chosen)


@dataclass(frozen=True, slots=True)
class ExtraEvent:
    """A demand event to add to the file's ``demand.events`` (the scenario's DemandEvent keys)."""

    name: str
    start_day: float
    days: float
    multiplier: float
    types: tuple[str, ...] = CONTACT_TYPES

    def as_mapping(self) -> dict[str, Any]:
        """The event as plain data, keys as in a scenario file."""
        return {"name": self.name, "start_day": self.start_day, "days": self.days,
                "multiplier": self.multiplier, "types": list(self.types)}


def _days(days: Sequence[str]) -> str:
    if tuple(days) == DAYS:
        return tr("every day")
    index = [DAYS.index(d) for d in days]
    if len(index) > 2 and index == list(range(index[0], index[-1] + 1)):
        return f"{days[0]}-{days[-1]}"
    return ",".join(days)


def _shift_label(noun: str, shift: Shift) -> str:
    return tr("{noun}: {shift} ({start}-{end}, {days})", noun=noun, shift=shift.name,
              start=shift.start, end=shift.end, days=_days(shift.days))


def staffing_levers(path: str, staffing: int | tuple[Shift, ...], group: str, noun: str
                    ) -> list[Lever]:
    """Levers for one staffing key: the number itself, or each shift's ``count``.

    Args:
        path: Dotted path of the staffing key, e.g. ``call_center.agents``.
        staffing: Its value in the scenario.
        group: Lever group shown in the explorer.
        noun: What the people are, e.g. ``Agents``.
    """
    if isinstance(staffing, int):
        return [Lever(path, tr("{noun} (around the clock)", noun=noun), group, staffing, "int",
                      f"`{path}`: " + tr("people on duty at every hour"))]
    return [Lever(f"{path}.{i}.count", _shift_label(noun, shift), group, shift.count, "int",
                  f"`{path}.{i}.count`: " + tr("people on shift `{shift}`", shift=shift.name))
            for i, shift in enumerate(staffing)]


def _sku_levers(i: int, sku: Sku) -> list[Lever]:
    policy = sku.policy
    out = []
    for field, kind, label in POLICY_FIELDS[policy.type]:
        path = f"parts.skus.{i}.policy.{field}"
        out.append(Lever(path, f"{sku.sku}: {tr(label)}", "Parts", getattr(policy, field), kind,
                         f"`{path}` " + tr("({policy} policy)", policy=policy.type)))
    return out


def _skill_levers(scenario: Scenario) -> list[Lever]:
    """The product lines each technician shift can repair (with product lines and shifts)."""
    fs = scenario.field_service
    lines = tuple(p.name for p in scenario.demand.products)
    if fs is None or not lines or isinstance(fs.technicians, int):
        return []
    return [Lever(f"field_service.technicians.{i}.skills",
                  tr("Skills: {shift}", shift=shift.name), "Field service",
                  tuple(shift.skills) if shift.skills is not None else lines, "choices",
                  f"`field_service.technicians.{i}.skills`: "
                  + tr("product lines shift `{shift}` can repair", shift=shift.name),
                  options=lines)
            for i, shift in enumerate(fs.technicians)]


def levers_for(scenario: Scenario) -> list[Lever]:
    """Every lever the explorer offers for ``scenario``, grouped, in reading order.

    Sections the scenario leaves out (no escalation, no field service, no parts...) offer no
    levers: switching a process on needs more keys than a lever can give.
    """
    out = [
        Lever("name", tr("Scenario name"), "Run", scenario.name, "text",
              "`name`: " + tr("also the results folder of `aftersales-sim run`")),
        Lever("replications", tr("Replications"), "Run", scenario.replications, "int",
              "`replications`: " + tr("independent runs behind every mean and interval")),
        Lever("seed", tr("Seed"), "Run", scenario.seed, "int",
              "`seed`: " + tr("root seed; the same seed gives the same numbers")),
        Lever("warmup_days", tr("Warm-up (days)"), "Run", scenario.warmup_days, "float",
              "`warmup_days`: " + tr("simulated before statistics start")),
        Lever("horizon_days", tr("Horizon (days)"), "Run", scenario.horizon_days, "float",
              "`horizon_days`: " + tr("measured days after the warm-up")),
        Lever("demand.contacts_per_day", tr("Contacts per day"), "Demand",
              scenario.demand.contacts_per_day, "float",
              "`demand.contacts_per_day`: " + tr("mean over a week, all contact types")),
    ]
    cc = scenario.call_center
    out += staffing_levers("call_center.agents", cc.agents, "Call center", tr("Agents"))
    if cc.redial is not None:
        out.append(Lever("call_center.redial.probability", tr("Redial probability"),
                         "Call center", cc.redial.probability, "float",
                         "`call_center.redial.probability`: "
                         + tr("share of failed callers (hung up or busy signal) who try again"),
                         step=0.05))
    if cc.escalation is not None:
        out += staffing_levers("call_center.escalation.specialists", cc.escalation.specialists,
                               "Technical support", tr("Specialists"))
    if scenario.complaints is not None:
        out += staffing_levers("complaints.handlers", scenario.complaints.handlers, "Complaints",
                               tr("Handlers"))
    fs = scenario.field_service
    if fs is not None:
        out += staffing_levers("field_service.technicians", fs.technicians, "Field service",
                               tr("Technicians"))
        out += [Lever("field_service.fix_probability", tr("Fix probability per visit"),
                      "Field service", fs.fix_probability, "float",
                      "`field_service.fix_probability`: "
                      + tr("a visit with its part fixes the fault (training raises it)"),
                      step=0.01),
                Lever("field_service.quality_pass_probability", tr("Quality pass probability"),
                      "Field service", fs.quality_pass_probability, "float",
                      "`field_service.quality_pass_probability`: "
                      + tr("a repair holds (else it comes back as rework)"), step=0.01)]
        out += _skill_levers(scenario)
        if scenario.training is not None:
            out.append(Lever("training.hours_per_technician_month",
                             tr("Training hours per technician a month"), "Field service",
                             scenario.training.hours_per_technician_month, "float",
                             "`training.hours_per_technician_month`: "
                             + tr("time off the road that raises fix and quality after the "
                                  "ramp"), step=1.0))
        if fs.depot is not None:
            out += staffing_levers("field_service.depot.technicians", fs.depot.technicians,
                                   "Depot", tr("Bench technicians"))
    if scenario.parts is not None:
        for i, sku in enumerate(scenario.parts.skus):
            out += _sku_levers(i, sku)
        vans = scenario.parts.van_stock
        if vans is not None:
            out += [Lever(f"parts.van_stock.skus.{sku.sku}",
                          tr("{sku}: units on each van", sku=sku.sku), "Parts",
                          vans.skus.get(sku.sku, 0), "int",
                          f"`parts.van_stock.skus.{sku.sku}`: "
                          + tr("each van's base-stock level"))
                    for sku in scenario.parts.skus]
    if scenario.revenue is not None:
        fee = scenario.revenue.repair_fee
        out += [Lever(f"revenue.repair_fee.{route}", label, "Finance", getattr(fee, route),
                      "float", f"`revenue.repair_fee.{route}`: "
                      + tr("paid per repair ({currency})", currency=scenario.currency),
                      step=10.0)
                for route, label in (("onsite", tr("Repair fee, on site")),
                                     ("depot", tr("Repair fee, depot")))]
        out.append(Lever("revenue.warranty_share", tr("Warranty share"), "Finance",
                         scenario.revenue.warranty_share, "float",
                         "`revenue.warranty_share`: "
                         + tr("repairs the customer does not pay for"), step=0.05))
    return out


def _same(a: LeverValue, b: LeverValue) -> bool:
    if isinstance(a, tuple | list) or isinstance(b, tuple | list):
        return isinstance(a, tuple | list) and isinstance(b, tuple | list) and \
            list(a) == list(b)
    if isinstance(a, str) or isinstance(b, str):
        return a == b
    return float(a) == float(b)


def override(path: str, value: Any) -> str:
    """One ``dotted.path=value`` override; the value is written as JSON, which YAML reads."""
    return f"{path}={json.dumps(list(value) if isinstance(value, tuple) else value)}"


def overrides_for(levers: Sequence[Lever], values: Mapping[str, LeverValue]) -> list[str]:
    """The overrides for the levers whose edited value differs from the file's, in lever order.

    Args:
        levers: From ``levers_for(file scenario)``.
        values: Edited values by lever path; a lever left out keeps the file's value.
    """
    return [override(lever.path, values[lever.path]) for lever in levers
            if lever.path in values and not _same(values[lever.path], lever.value)]


def event_override(scenario: Scenario, event: ExtraEvent) -> str:
    """The override that appends ``event`` to the file's demand events.

    ``--set`` changes list entries but cannot add them, so the whole list is set: the file's
    events as they are, then the new one.
    """
    events = [e.model_dump(mode="json") for e in scenario.demand.events]
    return override("demand.events", [*events, event.as_mapping()])


def _flatten(value: Any, prefix: str = "") -> Iterator[tuple[str, Any]]:
    """Leaves of plain data by dotted path; a list of scalars is one leaf."""
    if isinstance(value, dict) and value:
        for key, item in value.items():
            yield from _flatten(item, f"{prefix}.{key}" if prefix else str(key))
    elif isinstance(value, list) and any(isinstance(v, dict | list) for v in value):
        for i, item in enumerate(value):
            yield from _flatten(item, f"{prefix}.{i}" if prefix else str(i))
    else:
        yield prefix, value


def _show(value: Any) -> str:
    return value if isinstance(value, str) else json.dumps(value)


def scenario_diff(file: Scenario, edited: Scenario) -> pd.DataFrame:
    """What the edits changed, key by key, with every default resolved on both sides.

    Args:
        file: The scenario as loaded from its file.
        edited: The scenario after the overrides.

    Returns:
        Columns ``key_path``, ``file_value``, ``edited_value`` (text; ``(absent)`` where one
        side has no such key), in the edited scenario's key order.
    """
    before = dict(_flatten(file.model_dump(mode="json")))
    after = dict(_flatten(edited.model_dump(mode="json")))
    keys = list(dict.fromkeys([*after, *before]))
    rows = [(k, _show(before[k]) if k in before else ABSENT,
             _show(after[k]) if k in after else ABSENT)
            for k in keys if (k in before) != (k in after) or before.get(k) != after.get(k)]
    return pd.DataFrame(rows, columns=list(DIFF_COLUMNS))


def cli_command(scenario_file: str, overrides: Sequence[str]) -> str:
    """The command line that runs the same edited scenario: ``aftersales-sim run FILE --set ...``.

    Args:
        scenario_file: The file the levers were applied to.
        overrides: The overrides, as from ``overrides_for`` and ``event_override``.
    """
    parts = ["aftersales-sim", "run", shlex.quote(scenario_file)]
    for item in overrides:
        parts += ["--set", shlex.quote(item)]
    return " ".join(parts)
