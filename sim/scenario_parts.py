"""Building blocks of the scenario format: demand profiles, and one import for every leaf type.

`sim.scenario` assembles the leaf types into the sections of a scenario file. This module owns
the weekly and hourly demand profiles (a name or a list of weights) and re-exports the rest, so
`from sim.scenario_parts import ...` keeps working: the base model, number types and shared
checks live in `sim.scenario_base`, distributions in `sim.scenario_dists`, and times, shifts,
opening hours and staffing in `sim.scenario_time`. Defaults live in the models only. Every
message says what was wrong and what is allowed, because planners read them, not programmers.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import BeforeValidator, Discriminator, Field, Tag

from sim.scenario_base import (
    CONTACT_TYPES,
    DAYS,
    MAX_PEOPLE,
    MINUTES_PER_DAY,
    SUM_TOLERANCE,
    ContactType,
    Day,
    Float,
    NonNegFloat,
    NonNegInt,
    People,
    PosFloat,
    PosInt,
    Probability,
    StrictModel,
    check_sum,
    check_tag,
    check_unique,
    is_number,
    rule_error,
)
from sim.scenario_dists import (
    DIST_NAMES,
    ConstantDist,
    Distribution,
    EmpiricalDist,
    ExponentialDist,
    GammaDist,
    LognormalDist,
    NormalDist,
    TriangularDist,
    UniformDist,
)
from sim.scenario_time import (
    DAYS_FIELD_DESCRIPTION,
    EndTime,
    OpenHours,
    Shift,
    Staffing,
    StartTime,
    parse_hhmm,
)

__all__ = [
    "CONTACT_TYPES", "DAYS", "DAYS_FIELD_DESCRIPTION", "DIST_NAMES", "MAX_PEOPLE",
    "MINUTES_PER_DAY", "SUM_TOLERANCE", "ConstantDist", "ContactType", "Day", "Distribution",
    "EmpiricalDist", "EndTime", "ExponentialDist", "Float", "GammaDist", "HourlyProfile",
    "LognormalDist", "NonNegFloat", "NonNegInt", "NormalDist", "OpenHours", "People", "PosFloat",
    "PosInt", "Probability", "Shift", "Staffing", "StartTime", "StrictModel", "TriangularDist",
    "UniformDist", "WeeklyProfile", "check_sum", "check_tag", "check_unique", "parse_hhmm",
    "rule_error",
]

# --- demand profiles -------------------------------------------------------------------------


def _profile_tag(value: Any) -> str | None:
    return "weights" if isinstance(value, list | tuple) else "name"


def _weights_checker(n: int, what: str, names: tuple[str, ...]) -> Any:
    def check(value: Any) -> Any:
        if isinstance(value, str) and value not in names:
            raise ValueError(f"unknown {what} `{value}`; allowed: {', '.join(names)} "
                             f"or a list of {n} weights")
        if isinstance(value, list | tuple):
            if len(value) != n:
                raise ValueError(f"{what} needs exactly {n} weights (got {len(value)})")
            if all(is_number(x) for x in value) and not any(x > 0 for x in value):
                raise ValueError(f"{what} weights cannot all be zero")
        elif not isinstance(value, str):
            raise ValueError(f"{what} is one of {', '.join(names)} or a list of {n} weights "
                             f"(got {value!r})")
        return value

    return check


WeeklyProfile = Annotated[
    Annotated[Literal["flat"], Tag("name")]
    | Annotated[tuple[NonNegFloat, ...], Field(json_schema_extra={"minItems": 7, "maxItems": 7}),
                Tag("weights")],
    Discriminator(_profile_tag),
    BeforeValidator(_weights_checker(7, "weekly_profile", ("flat",))),
]
"""`flat` or 7 relative weights, Monday first (>= 0, not all zero)."""

HourlyProfile = Annotated[
    Annotated[Literal["flat", "business_hours"], Tag("name")]
    | Annotated[tuple[NonNegFloat, ...], Field(json_schema_extra={"minItems": 24, "maxItems": 24}),
                Tag("weights")],
    Discriminator(_profile_tag),
    BeforeValidator(_weights_checker(24, "hourly_profile", ("flat", "business_hours"))),
]
"""`flat`, `business_hours` or 24 relative weights from 00:00 (>= 0, not all zero)."""
