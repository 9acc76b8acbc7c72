"""The `disruptions` section: time-limited shocks on the supply side of the business.

Demand shocks are `demand.events`; these are the risks a review plays out on capacity and
supply: supplier delays, absence, a phone-system outage, a defect wave's extra part need and
untrained repair staff.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import BeforeValidator, Field

from sim.scenario.base import (
    MAX_MULTIPLIER,
    NonNegFloat,
    PosFloat,
    Probability,
    StrictModel,
    check_tag,
)

CrewName = Literal["agents", "specialists", "complaint_handlers", "technicians",
                   "depot_technicians"]
RepairCrew = Literal["technicians", "depot_technicians"]
DISRUPTION_TYPES = ("supplier_delay", "absence", "system_outage", "part_need", "skill_gap")


class _Window(StrictModel):
    name: str = Field("", description="Label shown in reports.")
    start_day: NonNegFloat = Field(description="First day, counted from day 0 (the "
                                               "start_date, start of the warm-up); fractions "
                                               "are parts of a day.")
    days: PosFloat = Field(description="Length in days (> 0).")


class SupplierDelay(_Window):
    """Orders placed in the window take longer to arrive."""

    type: Literal["supplier_delay"]
    lead_time_multiplier: Annotated[float, Field(ge=1, le=MAX_MULTIPLIER)] = Field(
        strict=True, description="Lead times of orders placed in the window are multiplied "
                                 f"by this (1-{MAX_MULTIPLIER:g}).")
    skus: tuple[str, ...] = Field((), description="SKUs hit; empty = every SKU.")


class Absence(_Window):
    """A share of the listed crews is off in the window (illness, strike, training)."""

    type: Literal["absence"]
    share: Probability = Field(description="Share of the people on each shift who are off, "
                                           "rounded to whole people (0-1).")
    crews: tuple[CrewName, ...] = Field(("agents", "technicians"),
                                        description="Crews hit.")


class SystemOutage(_Window):
    """Calls cannot be answered: agents and specialists are cut off for the window."""

    type: Literal["system_outage"]


class PartNeed(_Window):
    """A defect wave: jobs created in the window need parts more often, and the named ones."""

    type: Literal["part_need"]
    multiplier: Annotated[float, Field(ge=1, le=MAX_MULTIPLIER)] = Field(
        strict=True, description="Multiplies parts.need_probability (capped at 1) and the "
                                 f"share of the listed SKUs in part demand (1-{MAX_MULTIPLIER:g}).")
    skus: tuple[str, ...] = Field((), description="SKUs whose share rises; empty = need only.")


class SkillGap(_Window):
    """Untrained staff: part of the repair work in the window is done by people still learning
    it (new hires after attrition, a product line new to the crew): slower, fixing less often."""

    type: Literal["skill_gap"]
    share: Probability = Field(description="Share of the visits started in the window that an "
                                           "untrained person does (0-1).")
    time_multiplier: Annotated[float, Field(ge=1, le=MAX_MULTIPLIER)] = Field(
        1.5, strict=True, description="Their diagnosis and repair times are multiplied by this "
                                      f"(1-{MAX_MULTIPLIER:g}).")
    fix_multiplier: Annotated[float, Field(gt=0, le=1)] = Field(
        0.8, strict=True, description="Their chance of fixing the fault is "
                                      "field_service.fix_probability times this (0-1].")
    crews: tuple[RepairCrew, ...] = Field(("technicians", "depot_technicians"), min_length=1,
                                          description="Crews hit.")


def _to_disruption(value: Any) -> Any:
    if isinstance(value, dict):
        check_tag(value, "type", DISRUPTION_TYPES, "a disruption")
    return value


Disruption = Annotated[
    SupplierDelay | Absence | SystemOutage | PartNeed | SkillGap,
    Field(discriminator="type"),
    BeforeValidator(_to_disruption),
]
"""One time-limited supply-side shock, chosen by `type`."""
