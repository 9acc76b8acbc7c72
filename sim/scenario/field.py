"""The repair side of the scenario format: the ``field_service`` section.

This module owns the keys of field service: promised hours, appointment booking (lead time and
slots), the depot bench, technicians, visit times, fix and quality probabilities, spot checks,
rework and the overtime margin. ``sim.scenario.format`` assembles it with the other sections.
"""

from __future__ import annotations

import itertools
from typing import Annotated, Literal

from pydantic import Field, field_validator, model_validator

from sim.i18n.messages import tr
from sim.scenario.base import NonNegFloat, PosFloat, PosInt, Probability, StrictModel, rule_error
from sim.scenario.clock import EndTime, Staffing, StartEnd, StartTime
from sim.scenario.dists import ConstantDist, Distribution
from sim.scenario.products import Product, TechnicianStaffing


class PromisedHours(StrictModel):
    """Promised time from the call to the fix, by repair route."""

    onsite: PosFloat = Field(48.0, description="On-site repairs (hours, > 0).")
    depot: PosFloat = Field(96.0, description="Carry-in (depot) repairs (hours, > 0).")


class Slot(StartEnd):
    """An appointment window of the day: a booked visit should start inside it."""

    start: StartTime = Field(description='Start of the window "HH:MM" (00:00-23:59).')
    end: EndTime = Field(description='End of the window "HH:MM", after the start on the same day '
                                     "(at most 24:00).")

    @model_validator(mode="after")
    def _ordered(self) -> Slot:
        if self.end_minute <= self.start_minute:
            raise ValueError(tr("slot {start}-{end}: the end must come after the start on the "
                                "same day", start=self.start, end=self.end))
        return self


class Booking(StrictModel):
    """Appointment booking; absent = a work order goes to the first free technician."""

    min_lead_hours: NonNegFloat = Field(
        0.0, description="Earliest appointment after the call, in hours (>= 0).")
    slots: tuple[Slot, ...] = Field(
        (), description="Appointment windows of each day, e.g. [{start: \"08:00\", end: "
                        "\"12:00\"}, {start: \"13:00\", end: \"17:00\"}]. The call books the "
                        "earliest slot with room that starts at least `min_lead_hours` after "
                        "it; the job is released at the slot's start and promised by its end "
                        "(instead of `promised_hours.onsite`); a first visit that starts after "
                        "the slot is a missed appointment (`appointment_kept_rate`). Empty = no "
                        "slots: the job is released `min_lead_hours` after the call.")
    capacity_per_technician: PosInt = Field(
        2, description="Jobs booked per slot per technician on duty when the slot starts "
                       "(>= 1); only with `slots`.")

    @field_validator("slots")
    @classmethod
    def _apart(cls, slots: tuple[Slot, ...]) -> tuple[Slot, ...]:
        ordered = sorted(slots, key=lambda s: s.start_minute)
        for a, b in itertools.pairwise(ordered):
            if b.start_minute < a.end_minute:
                raise ValueError(tr("slots {a}-{b} and {c}-{d} overlap", a=a.start, b=a.end,
                                    c=b.start, d=b.end))
        return tuple(ordered)


class Depot(StrictModel):
    """Carry-in repair at the depot bench."""

    technicians: Staffing = Field(description="Bench technicians: a whole number or shifts.")
    transit_hours: Distribution = Field(
        ConstantDist(value=0.0), description="Shipping time of the device to the depot.")
    repair_minutes: Distribution = Field(description="Bench work time per repair.")


class FieldService(StrictModel):
    """Repairs on site by mobile technicians, or at the depot; needed when repairs have a share."""

    onsite_share: Probability = Field(
        1.0, description="Share of repairs done on site (0-1); the rest go to the depot, which "
                         "is then required.")
    promised_hours: PromisedHours = Field(
        default_factory=PromisedHours, description="Promised hours by repair route.")
    dispatch_rule: Literal["fifo", "earliest_due"] = Field(
        "fifo", description="Order of waiting work orders: `fifo` or `earliest_due`.")
    technicians: TechnicianStaffing = Field(
        description="Mobile technicians: a whole number (around the clock, every skill) or "
                    "shifts, each with the product lines it can repair (`skills`).")
    max_overtime_minutes: NonNegFloat = Field(
        30.0, description="A technician (on site or at the bench) starts a job only if its "
                          "expected duration (the means of travel, diagnosis and repair "
                          "minutes) ends by the end of the shift plus this many minutes; "
                          "otherwise the job waits for the next shift. Overtime then comes "
                          "from variability only. Around-the-clock staff never hit the rule.")
    travel_minutes: Distribution = Field(ConstantDist(value=0.0),
                                         description="Travel time per visit.")
    diagnosis_minutes: Distribution = Field(ConstantDist(value=0.0),
                                            description="Diagnosis time per visit.")
    repair_minutes: Distribution = Field(description="Repair work time per visit.")
    fix_probability: Annotated[float, Field(gt=0, le=1)] = Field(
        1.0, strict=True,
        description="Probability that a visit with the right part fixes the fault (0 < p <= 1).")
    quality_pass_probability: Annotated[float, Field(gt=0, le=1)] = Field(
        1.0, strict=True,
        description="Probability that a repair holds; a failed one comes back as a rework job "
                    "(0 < p <= 1).")
    spot_check_share: Probability = Field(
        0.0, description="Share of finished repairs that are quality-checked (0-1).")
    spot_check_detection: Probability = Field(
        0.0, description="Share of the failed repairs among the spot-checked that the check "
                         "catches before the customer notices (0-1): a revisit is booked "
                         "without a call. The others come back through the phone: after "
                         "`rework_delay_hours` the customer calls (a repair call with patience "
                         "and redial) and the revisit is booked when the call is answered. "
                         "0 = checks only measure quality.")
    rework_delay_hours: Distribution = Field(
        ConstantDist(value=72.0),
        description="Time from a failed repair until the customer reports it (a call; while "
                    "the call center is closed, a message it calls back when it opens).")
    attrition_per_year: Annotated[float, Field(ge=0, le=10)] = Field(
        0.0, strict=True,
        description="Share of the mobile technicians who leave in a year (0-10); each is "
                    "replaced at once by a new hire who starts untrained and learns over "
                    "`new_hire_ramp_months`. 0 = nobody leaves.")
    new_hire_time_multiplier: Annotated[float, Field(ge=1, le=100)] = Field(
        1.5, strict=True, description="A new hire's diagnosis and repair times are multiplied "
                                      "by this on their first day, falling linearly to 1 over "
                                      "the ramp (1-100).")
    new_hire_fix_multiplier: Annotated[float, Field(gt=0, le=1)] = Field(
        0.8, strict=True, description="A new hire's chance of fixing the fault is the trained "
                                      "one times this on their first day, rising linearly to 1 "
                                      "over the ramp (0-1].")
    new_hire_ramp_months: PosFloat = Field(
        3.0, description="Months until a new hire works like the others (> 0).")
    booking: Booking | None = Field(
        None, description="Appointment booking; absent = first free technician.")
    depot: Depot | None = Field(None, description="Carry-in repair; absent = all on site.")

    @model_validator(mode="after")
    def _depot_needed(self) -> FieldService:
        if self.onsite_share < 1 and self.depot is None:
            raise rule_error([(
                "depot",
                tr("onsite_share is {share:g}, so {rest:.3g} of repairs go to the depot: add a "
                   "`depot` section {{technicians, repair_minutes}} or set onsite_share to 1",
                   share=self.onsite_share, rest=1 - self.onsite_share))])
        return self

    def onsite_minutes(self, line: Product | None = None) -> float:
        """Expected length of an on-site repair visit: mean travel + diagnosis + repair (the
        product line's own repair time when it has one)."""
        repair = line.repair_minutes if line is not None else None
        return (self.travel_minutes.mean_value() + self.diagnosis_minutes.mean_value()
                + (repair or self.repair_minutes).mean_value())

    def bench_minutes(self) -> float:
        """Expected length of a bench session: mean diagnosis + depot repair (0 without a
        depot)."""
        if self.depot is None:
            return 0.0
        return self.diagnosis_minutes.mean_value() + self.depot.repair_minutes.mean_value()
