"""Stress shocks: the named shock models and how each becomes a shocked scenario.

This module owns the shock models (`DemandSurgeShock`, `DefectWaveShock`, `SupplierDelayShock`,
`AbsenceShock`, `SystemOutageShock`, `SkillGapShock`; `Shock` / `SHOCK_ADAPTER` choose one by
`type`), filling the defaults that depend on the base scenario (`resolve_shock`), judging whether
a shock fits a base (`shock_problems`, `applicable_types`), validating a shock given as plain data
(`shock_from_mapping`) and applying one (`apply_shock`). The stress file, running and the results
folder are `sim.experiments.stress.plan` and `sim.output.experiments`.

A shock is a window of days and parameters; applying it appends to the scenario, never edits it:
`demand_surge` -> a `demand.events` entry; `defect_wave` -> a repair demand event plus a
`part_need` disruption; `supplier_delay`, `absence`, `skill_gap` -> the disruption of that type;
`system_outage` -> a `system_outage` disruption lasting `hours` / 24 days. Every window starts at
the middle of the horizon, floor(warmup_days + horizon_days / 2), unless `start_day` is given; the
other defaults are the model fields below (and `sim.cli.stress.shock_defaults_help`).
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Annotated, Any, Literal

from pydantic import BeforeValidator, Field, TypeAdapter, ValidationError, field_validator

from sim.experiments.stress.analysis import BASELINE
from sim.scenario.base import (
    CONTACT_TYPES,
    MAX_MULTIPLIER,
    ContactType,
    NonNegFloat,
    PosFloat,
    Probability,
    StrictModel,
    check_tag,
)
from sim.scenario.disruptions import CrewName, RepairCrew
from sim.scenario.format import NAME_PATTERN, Scenario
from sim.scenario.problems import Problem, ScenarioError, validation_problems

SHOCK_TYPES = ("demand_surge", "defect_wave", "supplier_delay", "absence", "system_outage",
               "skill_gap")
MAX_SHOCK_NAME = 40
DEFAULT_ABSENT_CREWS: tuple[CrewName, ...] = ("agents", "technicians")
REPAIR_CREWS: tuple[RepairCrew, ...] = ("technicians", "depot_technicians")
Multiplier = Annotated[float, Field(ge=1, le=MAX_MULTIPLIER, strict=True)]


def _comma_list(value: Any) -> Any:
    # `skus: compressor` or `--shock x:skus=a,b` mean a list; YAML reads them as one string.
    if isinstance(value, str):
        return tuple(part.strip() for part in value.split(",") if part.strip())
    return value


# --- shocks ----------------------------------------------------------------------------------


class _Shock(StrictModel):
    name: str = Field(description="Shock name: letters, digits, `_`, `.`, `-` (at most "
                                  f"{MAX_SHOCK_NAME}); names the results and `--shock NAME`.")
    start_day: NonNegFloat | None = Field(
        None, description="First day of the window, counted from day 0 (the start of the "
                          "warm-up); absent = the middle of the horizon, "
                          "floor(warmup_days + horizon_days / 2).")

    @field_validator("name")
    @classmethod
    def _file_name(cls, v: str) -> str:
        if not (len(v) <= MAX_SHOCK_NAME and NAME_PATTERN.match(v)) or v == BASELINE:
            raise ValueError(f"`{v}` cannot be a shock name: use 1-{MAX_SHOCK_NAME} letters, "
                             "digits, `_`, `.` or `-`, starting with a letter or digit, and not "
                             f"`{BASELINE}` (it names files)")
        return v

    def _start(self) -> float:
        if self.start_day is None:
            raise ValueError(f"shock `{self.name}` has no start_day yet; use resolve_shock")
        return self.start_day

    def window(self) -> tuple[float, float]:
        """(start day, end day) of the window; the shock must be resolved (`resolve_shock`)."""
        raise NotImplementedError

    def _span(self) -> dict[str, Any]:
        start, end = self.window()
        return {"name": self.name, "start_day": start, "days": end - start}

    def demand_events(self) -> list[dict[str, Any]]:
        """Entries this shock appends to `demand.events`."""
        return []

    def disruptions(self) -> list[dict[str, Any]]:
        """Entries this shock appends to `disruptions`."""
        return []


class _DaysShock(_Shock):
    days: PosFloat = Field(14.0, description="Length of the window in days.")

    def window(self) -> tuple[float, float]:
        """(start day, end day) of the window; the shock must be resolved (`resolve_shock`)."""
        return self._start(), self._start() + self.days


class DemandSurgeShock(_DaysShock):
    """Market risk: more contacts of the listed types for a while."""

    type: Literal["demand_surge"]
    multiplier: Annotated[float, Field(gt=0, le=MAX_MULTIPLIER, strict=True)] = Field(
        2.0, description=f"Factor on the arrival rate (> 0, at most {MAX_MULTIPLIER:g}).")
    types: Annotated[tuple[ContactType, ...], BeforeValidator(_comma_list)] = Field(
        CONTACT_TYPES, min_length=1, description="Contact types hit; default all.")

    def demand_events(self) -> list[dict[str, Any]]:
        """A demand event with the surge's multiplier and types."""
        return [self._span() | {"multiplier": self.multiplier, "types": list(self.types)}]


class DefectWaveShock(_DaysShock):
    """Quality risk: a faulty product brings more repair calls and needs more of some parts."""

    type: Literal["defect_wave"]
    repair_multiplier: Multiplier = Field(1.5, description="Factor on repair calls (1-100).")
    part_need_multiplier: Multiplier = Field(
        2.0, description="Factor on parts.need_probability and on the listed SKUs' share (1-100).")
    skus: Annotated[tuple[str, ...], BeforeValidator(_comma_list)] = Field(
        (), description="SKUs of the faulty product; empty = the need rises for every part.")

    def demand_events(self) -> list[dict[str, Any]]:
        """A repair demand event."""
        return [self._span() | {"multiplier": self.repair_multiplier, "types": ["repair"]}]

    def disruptions(self) -> list[dict[str, Any]]:
        """A `part_need` disruption over the same window."""
        return [self._span() | {"type": "part_need", "multiplier": self.part_need_multiplier,
                                "skus": list(self.skus)}]


class SupplierDelayShock(_DaysShock):
    """Supply risk: orders placed in the window take longer to arrive."""

    type: Literal["supplier_delay"]
    lead_time_multiplier: Multiplier = Field(2.0, description="Factor on lead times (1-100).")
    skus: Annotated[tuple[str, ...], BeforeValidator(_comma_list)] = Field(
        (), description="SKUs hit; empty = every SKU.")

    def disruptions(self) -> list[dict[str, Any]]:
        """A `supplier_delay` disruption."""
        return [self._span() | {"type": "supplier_delay",
                                "lead_time_multiplier": self.lead_time_multiplier,
                                "skus": list(self.skus)}]


class AbsenceShock(_DaysShock):
    """Personnel risk: a share of the listed crews is off (illness, strike, attrition)."""

    type: Literal["absence"]
    days: PosFloat = Field(7.0, description="Length of the window in days.")
    share: Probability = Field(0.2, description="Share of each shift that is off (0-1).")
    crews: Annotated[tuple[CrewName, ...] | None, BeforeValidator(_comma_list)] = Field(
        None, min_length=1, description="Crews hit; absent = agents and technicians (those of "
                                        "them the scenario has).")

    def disruptions(self) -> list[dict[str, Any]]:
        """An `absence` disruption."""
        return [self._span() | {"type": "absence", "share": self.share,
                                "crews": list(self.crews or DEFAULT_ABSENT_CREWS)}]


class SystemOutageShock(_Shock):
    """Technical risk: the phone system is down, no call can be answered."""

    type: Literal["system_outage"]
    start_hour: Annotated[float, Field(ge=0, lt=24, strict=True)] = Field(
        10.0, description="Clock time the outage starts on start_day, in hours (0-24).")
    hours: Annotated[float, Field(gt=0, le=24 * 366, strict=True)] = Field(
        4.0, description="Length of the outage in hours.")

    def window(self) -> tuple[float, float]:
        """(start, end) in days: start_day plus start_hour, for `hours`."""
        start = self._start() + self.start_hour / 24.0
        return start, start + self.hours / 24.0

    def disruptions(self) -> list[dict[str, Any]]:
        """A `system_outage` disruption of hours / 24 days."""
        return [self._span() | {"type": "system_outage"}]


class SkillGapShock(_DaysShock):
    """Personnel risk: untrained staff (new hires after attrition) do part of the repairs."""

    type: Literal["skill_gap"]
    days: PosFloat = Field(28.0, description="Length of the window in days.")
    share: Probability = Field(0.3, description="Share of the visits an untrained person does "
                                                "(0-1).")
    time_multiplier: Multiplier = Field(
        1.5, description="Factor on their diagnosis and repair times (1-100).")
    fix_multiplier: Annotated[float, Field(gt=0, le=1, strict=True)] = Field(
        0.8, description="Factor on their fix probability (0-1].")
    crews: Annotated[tuple[RepairCrew, ...] | None, BeforeValidator(_comma_list)] = Field(
        None, min_length=1, description="Repair crews hit; absent = those the scenario has.")

    def disruptions(self) -> list[dict[str, Any]]:
        """A `skill_gap` disruption."""
        return [self._span() | {"type": "skill_gap", "share": self.share,
                                "time_multiplier": self.time_multiplier,
                                "fix_multiplier": self.fix_multiplier,
                                "crews": list(self.crews or REPAIR_CREWS)}]


SimpleShock = DemandSurgeShock | DefectWaveShock | SupplierDelayShock | AbsenceShock \
    | SystemOutageShock | SkillGapShock
SHOCK_MODELS: tuple[type[SimpleShock], ...] = (DemandSurgeShock, DefectWaveShock,
                                              SupplierDelayShock, AbsenceShock, SystemOutageShock,
                                              SkillGapShock)
TOGETHER: Literal["together"] = "together"


def _to_shock(value: Any) -> Any:
    if isinstance(value, dict):
        check_tag(value, "type", SHOCK_TYPES, "a shock")
    return value


def _member_names(value: Any) -> Any:
    # A member of `together` is named after its type unless it has a name of its own.
    if isinstance(value, list | tuple):
        return [({"name": str(v.get("type", "shock"))} | v) if isinstance(v, dict) else v
                for v in value]
    return value


Member = Annotated[SimpleShock, Field(discriminator="type"), BeforeValidator(_to_shock)]


class CompoundShock(_Shock):
    """Several shocks that act together (a surge during a week of absence), each with its own
    window; played as one shock: every member's demand events and disruptions are appended."""

    type: Literal["together"] = Field(
        TOGETHER, description="`together`: set by listing the shocks under `together`.")
    together: Annotated[tuple[Member, ...], BeforeValidator(_member_names)] = Field(
        min_length=2, description="The shocks that act together, each with its own type, "
                                  "window and parameters (a member's name defaults to its type).")

    def window(self) -> tuple[float, float]:
        """(first start, last end) over the members' windows."""
        spans = [m.window() for m in self.together]
        return min(a for a, _ in spans), max(b for _, b in spans)

    def demand_events(self) -> list[dict[str, Any]]:
        """Every member's demand events, named `<shock>.<member>`."""
        return [e | {"name": f"{self.name}.{e['name']}"} for m in self.together
                for e in m.demand_events()]

    def disruptions(self) -> list[dict[str, Any]]:
        """Every member's disruptions, named `<shock>.<member>`."""
        return [d | {"name": f"{self.name}.{d['name']}"} for m in self.together
                for d in m.disruptions()]


AnyShock = SimpleShock | CompoundShock


def _to_any_shock(value: Any) -> Any:
    if isinstance(value, dict):
        if TOGETHER in value:
            if value.get("type", TOGETHER) != TOGETHER:
                raise ValueError(f"a shock with `together` is played as one (type `{TOGETHER}`); "
                                 "give the type to each shock listed under it")
            return {"type": TOGETHER} | value
        check_tag(value, "type", SHOCK_TYPES, "a shock")
    return value


Shock = Annotated[AnyShock, Field(discriminator="type"), BeforeValidator(_to_any_shock)]
"""One named shock, chosen by `type`, or several listed under `together`."""
SHOCK_ADAPTER: TypeAdapter[AnyShock] = TypeAdapter(Shock)


# --- shocks against a base scenario ----------------------------------------------------------


def crews_of(base: Scenario) -> tuple[str, ...]:
    """The crews a scenario staffs (an absence can only hit these)."""
    fs = base.field_service
    present = {"agents": True, "specialists": base.call_center.escalation is not None,
               "complaint_handlers": base.complaints is not None,
               "technicians": fs is not None,
               "depot_technicians": fs is not None and fs.depot is not None}
    return tuple(name for name, here in present.items() if here)


def resolve_shock(base: Scenario, shock: AnyShock) -> AnyShock:
    """Fill the defaults that depend on the base scenario: start_day and absent crews (of each
    member of a compound shock).

    Args:
        base: The base scenario.
        shock: A shock, resolved or not.

    Returns:
        A new, validated shock with every field set.
    """
    if isinstance(shock, CompoundShock):
        members = [resolve_shock(base, m).model_dump() for m in shock.together]
        first = min(m["start_day"] for m in members)
        return SHOCK_ADAPTER.validate_python(shock.model_dump() | {"together": members,
                                                                   "start_day": first})
    data = shock.model_dump()
    if shock.start_day is None:
        data["start_day"] = float(math.floor(base.warmup_days + base.horizon_days / 2))
    if isinstance(shock, AbsenceShock) and shock.crews is None:
        data["crews"] = [c for c in DEFAULT_ABSENT_CREWS if c in crews_of(base)]
    if isinstance(shock, SkillGapShock) and shock.crews is None:
        data["crews"] = [c for c in REPAIR_CREWS if c in crews_of(base)] or list(REPAIR_CREWS)
    return SHOCK_ADAPTER.validate_python(data)


def shock_problems(base: Scenario, shock: AnyShock) -> list[tuple[str, str]]:
    """What makes a resolved shock meaningless for this base: (key, message) pairs (a compound
    shock's keys start with `together.<i>.`)."""
    if isinstance(shock, CompoundShock):
        return [(f"together.{i}.{key}", message) for i, member in enumerate(shock.together)
                for key, message in shock_problems(base, member)]
    problems = []
    known = [s.sku for s in base.parts.skus] if base.parts is not None else []
    unknown = [k for k in getattr(shock, "skus", ()) if k not in known]
    if unknown:
        problems.append(("skus", f"unknown SKU {', '.join(unknown)}; the base scenario has "
                                 f"{', '.join(known) or 'no parts section'}"))
    missing = [c for c in getattr(shock, "crews", None) or () if c not in crews_of(base)]
    if missing:
        problems.append(("crews", f"the base scenario has no {', '.join(missing)}; its crews "
                                  f"are {', '.join(crews_of(base))}"))
    start, _ = shock.window()
    if start >= base.run_days:
        problems.append(("start_day", f"the window starts on day {start:g}, after the run ends "
                                      f"(day {base.run_days:g} = warm-up + horizon)"))
    if isinstance(shock, DefectWaveShock) and base.demand.share("repair") <= 0:
        problems.append(("type", "the base scenario has no repair calls (repair share 0 in "
                                 "demand.mix), so a defect wave changes nothing"))
    if isinstance(shock, SupplierDelayShock) and base.parts is None:
        problems.append(("type", "the base scenario has no parts section, so a supplier delay "
                                 "changes nothing"))
    if isinstance(shock, SkillGapShock) and base.field_service is None:
        problems.append(("type", "the base scenario has no field_service section, so a skill "
                                 "gap changes nothing"))
    return problems


def applicable_types(base: Scenario) -> tuple[str, ...]:
    """The shock types that change something in this base (all but those it lacks parts for)."""
    skip = {"defect_wave": base.demand.share("repair") <= 0, "supplier_delay": base.parts is None,
            "skill_gap": base.field_service is None}
    return tuple(t for t in SHOCK_TYPES if not skip.get(t, False))


def apply_shock(base: Scenario, shock: AnyShock) -> Scenario:
    """The base scenario with the shock added, as a new validated scenario.

    Args:
        base: The base scenario (left as it is).
        shock: The shock; defaults that depend on the base are resolved here.

    Returns:
        A scenario named `<base>-<shock>` with the shock's demand events and disruptions
        appended to the base's own.

    Raises:
        ScenarioError: If the shock names SKUs or crews the base lacks, or starts after the run.
    """
    source = f"shock `{shock.name}`"
    shock = _fitting(base, resolve_shock(base, shock), source)
    what_type = (" + ".join(m.type for m in shock.together) if isinstance(shock, CompoundShock)
                 else shock.type)
    data = base.model_dump(mode="json")
    data["name"] = f"{base.name[: 63 - len(shock.name)]}-{shock.name}"
    start, end = shock.window()
    what = f"stress shock `{shock.name}` ({what_type}, days {start:g} to {end:g})"
    data["description"] = f"{base.description}; {what}" if base.description else what
    data["demand"]["events"] = [*data["demand"]["events"], *shock.demand_events()]
    data["disruptions"] = [*data["disruptions"], *shock.disruptions()]
    try:
        return Scenario.model_validate(data)
    except ValidationError as exc:
        raise ScenarioError(validation_problems(exc, data, None, source)) from None


def shock_from_mapping(data: Mapping[str, Any], base: Scenario, source: str) -> AnyShock:
    """Validate a shock given as plain data (the command line's `--shock`) against a base.

    Args:
        data: Shock keys, e.g. {"type": "demand_surge", "name": "surge", "multiplier": 3}.
        base: The base scenario.
        source: Where the data came from, for messages.

    Returns:
        The resolved shock.

    Raises:
        ScenarioError: One problem per invalid key.
    """
    plain = dict(data)
    try:
        shock = resolve_shock(base, SHOCK_ADAPTER.validate_python(plain))
    except ValidationError as exc:
        raise ScenarioError(validation_problems(exc, plain, None, source)) from None
    return _fitting(base, shock, source)


def _fitting(base: Scenario, shock: AnyShock, source: str) -> AnyShock:
    problems = shock_problems(base, shock)
    if problems:
        raise ScenarioError([Problem(source, None, key, msg) for key, msg in problems])
    return shock
