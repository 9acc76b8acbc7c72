"""Demand profiles of the scenario format: the weekly and hourly weights of arrivals.

This module owns `WeeklyProfile` and `HourlyProfile` (a name or a list of weights) and their
messages. `sim.scenario.format` assembles them with the other leaf types (`sim.scenario.base`,
`sim.scenario.dists`, `sim.scenario.clock`) into the sections of a scenario file. Defaults live in
the models only. Every message says what was wrong and what is allowed, because planners read them,
not programmers.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import BeforeValidator, Discriminator, Field, Tag

from sim.i18n.messages import tr
from sim.scenario.base import Weight, is_number

# --- demand profiles -------------------------------------------------------------------------


def _profile_tag(value: Any) -> str | None:
    return "weights" if isinstance(value, list | tuple) else "name"


def _weights_checker(n: int, what: str, names: tuple[str, ...]) -> Any:
    def check(value: Any) -> Any:
        if isinstance(value, str) and value not in names:
            raise ValueError(tr("unknown {what} `{value}`; allowed: {names} or a list of {n} "
                                "weights", what=what, value=value, names=", ".join(names),
                                n=n))
        if isinstance(value, list | tuple):
            if len(value) != n:
                raise ValueError(tr("{what} needs exactly {n} weights (got {got})", what=what,
                                    n=n, got=len(value)))
            if all(is_number(x) for x in value) and not any(x > 0 for x in value):
                raise ValueError(tr("{what} weights cannot all be zero", what=what))
        elif not isinstance(value, str):
            raise ValueError(tr("{what} is one of {names} or a list of {n} weights (got {value})",
                                what=what, names=", ".join(names), n=n,
                                value=repr(value)))
        return value

    return check


WeeklyProfile = Annotated[
    Annotated[Literal["flat"], Tag("name")]
    | Annotated[tuple[Weight, ...], Field(json_schema_extra={"minItems": 7, "maxItems": 7}),
                Tag("weights")],
    Discriminator(_profile_tag),
    BeforeValidator(_weights_checker(7, "weekly_profile", ("flat",))),
]
"""`flat` or 7 relative weights, Monday first (0 to 1e9, not all zero)."""

HourlyProfile = Annotated[
    Annotated[Literal["flat", "business_hours"], Tag("name")]
    | Annotated[tuple[Weight, ...], Field(json_schema_extra={"minItems": 24, "maxItems": 24}),
                Tag("weights")],
    Discriminator(_profile_tag),
    BeforeValidator(_weights_checker(24, "hourly_profile", ("flat", "business_hours"))),
]
"""`flat`, `business_hours` or 24 relative weights from 00:00 (0 to 1e9, not all zero)."""
