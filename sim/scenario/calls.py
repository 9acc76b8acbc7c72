"""The customer side of the scenario format: demand, the call center and complaints.

This module owns the ``demand``, ``call_center`` (with escalation and redial) and ``complaints``
sections; ``sim.scenario.format`` assembles them with the rest.
"""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import Field, field_validator

from sim.scenario.base import (
    CONTACT_TYPES,
    MAX_MULTIPLIER,
    ContactType,
    NonNegFloat,
    PosFloat,
    PosInt,
    Probability,
    StrictModel,
    check_sum,
    check_unique,
)
from sim.scenario.clock import OpenHours, Staffing
from sim.scenario.dists import Distribution
from sim.scenario.products import Product
from sim.scenario.profiles import HourlyProfile, WeeklyProfile

# --- demand ----------------------------------------------------------------------------------


class DemandEvent(StrictModel):
    """A time-limited shock: arrivals of the listed types are multiplied for a while."""

    name: str = Field(min_length=1, description="Label used in reports.")
    start_day: NonNegFloat = Field(description="First day of the event, counted from day 0 "
                                               "(the start of the warm-up), >= 0.")
    days: PosFloat = Field(description="Duration in days (> 0).")
    multiplier: Annotated[float, Field(gt=0, le=MAX_MULTIPLIER)] = Field(
        strict=True,
        description=f"Factor on the arrival rate while active (> 0, at most {MAX_MULTIPLIER:g}).")
    types: tuple[ContactType, ...] = Field(
        CONTACT_TYPES, min_length=1,
        description="Contact types affected (inquiry, repair, complaint); default all.")

    @field_validator("types")
    @classmethod
    def _unique_types(cls, v: tuple[ContactType, ...]) -> tuple[ContactType, ...]:
        check_unique(v, "type(s)")
        return v


class Demand(StrictModel):
    """How many contacts arrive, of which type, and when."""

    contacts_per_day: Annotated[float, Field(gt=0, le=1e6)] = Field(
        strict=True,
        description="Mean contacts per day over a week, all types together (> 0, at most a "
                    "million).")
    mix: dict[ContactType, Probability] = Field(
        description="Share of each contact type (inquiry, repair, complaint), each 0-1, summing "
                    "to 1; a missing type has share 0 (and is filled in as 0 when loaded).")
    weekly_profile: WeeklyProfile = Field(
        "flat", description="`flat` or 7 relative weights, Monday first; normalised to mean 1.")
    hourly_profile: HourlyProfile = Field(
        "flat", description="`flat` or `business_hours` (both: evenly over the open hours) or 24 "
                            "relative weights from 00:00, normalised over each day's open hours.")
    events: tuple[DemandEvent, ...] = Field((), description="Time-limited demand shocks.")
    products: tuple[Product, ...] = Field(
        (), description="Product lines with their share of repair demand, e.g. [{name: washer, "
                        "share: 0.6}, {name: fridge, share: 0.4}]; each may override "
                        "repair_minutes, fix_probability and need_probability. Absent = one "
                        "line: every technician repairs every job.")
    closed_hours: Literal["queue", "lost"] = Field(
        "queue", description="Contacts on days the call center never opens (`call_center.hours."
                             "days`): `queue` (default) = they still arrive, spread over the day "
                             "like an open day's, as web tickets and voicemail that agents "
                             "call back when it opens (`callback_wait_hours`; they never "
                             "abandon and are not phone calls: the phone KPIs leave them out); "
                             "`lost` = no contacts on those days (the demand is not modelled).")

    @field_validator("mix")
    @classmethod
    def _mix_sums_to_one(cls, v: dict[ContactType, float]) -> dict[ContactType, float]:
        check_sum(list(v.values()), "mix shares")
        # A missing type has share 0; filling it in here spares every reader a default.
        return {**dict.fromkeys(CONTACT_TYPES, 0.0), **v}

    @field_validator("products")
    @classmethod
    def _products(cls, v: tuple[Product, ...]) -> tuple[Product, ...]:
        if v:
            check_unique(tuple(p.name for p in v), "product line name(s)")
            check_sum([p.share for p in v], "product shares")
        return v

    def share(self, contact_type: ContactType) -> float:
        """Return the share of a contact type in the mix (0 when absent from the file)."""
        return self.mix[contact_type]


# --- call center -----------------------------------------------------------------------------


class Escalation(StrictModel):
    """Transfers to technical support specialists; the caller holds meanwhile."""

    probability: dict[ContactType, Probability] = Field(
        default_factory=dict,
        description="Probability that an answered call of each type is escalated (0-1); "
                    "missing types are never escalated.")
    specialists: Staffing = Field(description="Specialists on duty: a whole number around the "
                                              "clock, or a list of shifts.")
    handle_minutes: Distribution = Field(description="Specialist talk time per escalated call.")


class Redial(StrictModel):
    """Callers whose call failed (hung up waiting or on hold, or got a busy signal) try again."""

    probability: Probability = Field(
        description="Chance that a caller whose attempt failed calls again (0-1).")
    delay_minutes: Distribution = Field(
        description="Time from the failed attempt to the next one.")
    max_attempts: Annotated[int, Field(ge=2, le=20)] = Field(
        3, strict=True, description="Attempts per customer at most, the first included (2-20).")


class CallCenter(StrictModel):
    """Inbound call handling by agents."""

    hours: OpenHours | None = Field(
        None, description="Opening hours; absent = open 24/7 and contacts arrive around the clock.")
    agents: Staffing = Field(description="Agents on duty: a whole number around the clock, or a "
                                         "list of shifts.")
    handle_minutes: dict[ContactType, Distribution] = Field(
        description="Talk time per call by contact type; needed for every type with a share.")
    patience_minutes: Distribution | None = Field(
        None, description="How long a caller waits before hanging up; absent = nobody abandons.")
    lines: PosInt | None = Field(
        None, description="Calls in the system (talking + waiting) before callers get a busy "
                          "signal (>= 1); absent = unlimited.")
    answer_target_seconds: PosFloat = Field(
        20.0, description="Service-level threshold: calls answered within it count as on time.")
    escalation: Escalation | None = Field(
        None, description="Transfers to technical support; absent = no transfers.")
    redial: Redial | None = Field(
        None, description="Failed callers calling again; absent = a failed caller is lost. "
                          "Every attempt is an offered call.")


# --- complaints ------------------------------------------------------------------------------


class Complaints(StrictModel):
    """Back-office resolution of complaints; absent = a complaint ends with its call."""

    deadline_hours: PosFloat = Field(description="Promised resolution time after the call (> 0).")
    handlers: Staffing = Field(description="Back-office staff: a whole number or shifts.")
    resolution_hours: Distribution = Field(description="Work time per complaint case.")
