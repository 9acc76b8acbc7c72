"""The scenario format: pydantic models for every section of a scenario file.

This module owns the contract of `/work/shared/scenario-format.md` as code: keys, defaults
(defaults live here and nowhere else), allowed values and the cross-field rules. The JSON schema
generated from these models (`schemas/scenario.schema.json`) is the user reference, so every field
has a description. Leaf types live in `sim.scenario.base` (base model, numbers, checks),
`sim.scenario.dists`, `sim.scenario.clock` and `sim.scenario.profiles`; the demand, call-center
and complaints sections in `sim.scenario.calls`, the field-service section in
`sim.scenario.field`, the parts section in `sim.scenario.inventory`, the disruptions in
`sim.scenario.disruptions`, costs, revenue and the finance section in `sim.scenario.money`; the
calendar of a run's days (dates, months, quarters) is `sim.scenario.dates`.
"""

from __future__ import annotations

import datetime as dt
import difflib
import re
from typing import Annotated, Literal

from pydantic import AfterValidator, Field, field_validator, model_validator

from sim.i18n.messages import tr
from sim.scenario.base import (
    CONTACT_TYPES,
    MAX_DURATION,
    MAX_REPLICATIONS,
    MAX_SEED,
    Float,
    NonNegFloat,
    PosFloat,
    Probability,
    Seed,
    StrictModel,
    rule_error,
)
from sim.scenario.calls import CallCenter, Complaints, Demand
from sim.scenario.disruptions import Disruption
from sim.scenario.dists import ConstantDist, Distribution
from sim.scenario.field import FieldService
from sim.scenario.inventory import Parts
from sim.scenario.kpi_names import KPI_NAMES
from sim.scenario.money import Costs, Finance, Revenue
from sim.scenario.products import product_problems
from sim.scenario.training import Training
from sim.scenario.workload import Workload, estimate

# --- follow-up, satisfaction ----------------------------------------------------------------


class Followup(StrictModel):
    """Follow-up contact after a repair; absent = no follow-ups."""

    channel: Literal["call", "visit"] = Field(
        "call", description="`call`: agents phone the customer; `visit`: a technician calls in "
                            "person (travel + call time).")
    within_hours: PosFloat = Field(72.0, description="Deadline after the fix (hours, > 0).")
    call_minutes: Distribution = Field(ConstantDist(value=4.0),
                                       description="Duration of a follow-up contact.")
    reach_probability: Probability = Field(
        1.0, description="Probability that an attempt reaches the customer (0-1).")
    retry_hours: Annotated[float, Field(ge=1 / 60, le=MAX_DURATION)] = Field(
        4.0, strict=True,
        description="Delay between attempts (hours, at least 1/60: a minute).")
    complaint_probability_if_unhappy: Probability = Field(
        0.0, description="Probability that an unhappy, reached customer files a complaint.")


class Satisfaction(StrictModel):
    """Satisfaction score 1-5 of each customer journey.

    score = clip(base - sum(weight x journey quantity), 1, 5); the weights are in score points.
    """

    base: Annotated[float, Field(ge=1, le=5)] = Field(
        4.6, strict=True, description="Score of a flawless journey (1-5).")
    unhappy_below: Annotated[float, Field(ge=1, le=5)] = Field(
        3.0, strict=True, description="Scores below this count as unhappy (1-5).")
    per_wait_minute: NonNegFloat = Field(0.05, description="Points per minute waited on the phone.")
    abandoned_penalty: NonNegFloat = Field(0.8, description="Points for hanging up unanswered.")
    blocked_penalty: NonNegFloat = Field(0.5, description="Points for a busy signal.")
    late_penalty: NonNegFloat = Field(1.0, description="Points for a repair later than promised.")
    per_late_day: NonNegFloat = Field(0.2, description="Points per day beyond the promise.")
    per_extra_visit: NonNegFloat = Field(0.4, description="Points per visit beyond the first.")
    rework_penalty: NonNegFloat = Field(1.2, description="Points for a repair that failed.")
    part_wait_per_day: NonNegFloat = Field(0.1, description="Points per day waited for a part.")


# --- the scenario ----------------------------------------------------------------------------


def _kpi_name(name: str) -> str:
    if name not in KPI_NAMES:
        close = difflib.get_close_matches(name, KPI_NAMES, n=1)
        hint = tr("did you mean `{name}`? ", name=close[0]) if close else ""
        raise ValueError(tr("unknown KPI `{name}`; {hint}allowed: {names}", name=name, hint=hint,
                            names=", ".join(KPI_NAMES)))
    return name


def first_monday_of_next_year(today: dt.date | None = None) -> dt.date:
    """The default ``start_date``: the first Monday of the year after ``today``.

    Args:
        today: The date taken as today (tests pin it); default ``datetime.date.today()``.
    """
    today = dt.date.today() if today is None else today
    first = dt.date(today.year + 1, 1, 1)
    return first + dt.timedelta(days=(7 - first.weekday()) % 7)


MAX_DAYS = 3660  # ten years: enough for any plan, and a bound on the cost of a run
NAME_PATTERN = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]*$")


def folder_name(value: str, what: str) -> str:
    """``value`` if it can name a results folder (scenario, stress test, risk register), else a
    ValueError saying what is allowed: friendlier than the regular expression itself."""
    if not (1 <= len(value) <= 64 and NAME_PATTERN.match(value)):
        raise ValueError(tr("`{value}` cannot be a {what} name: use 1-64 letters, digits, `_`, "
                            "`.` or `-`, starting with a letter or digit (it names the results "
                            "folder)", value=value, what=tr(what)))
    return value

KpiName = Annotated[str, AfterValidator(_kpi_name), Field(json_schema_extra={"enum": KPI_NAMES})]
"""A KPI name from `sim.scenario.kpi_names.KPI_NAMES`."""


class Scenario(StrictModel):
    """One what-if scenario of an after-sales service company."""

    name: str = Field(json_schema_extra={"pattern": NAME_PATTERN.pattern, "minLength": 1,
                                         "maxLength": 64},
                      description="Scenario name, also the default results folder: letters, "
                                  "digits, `_`, `.`, `-`, starting with a letter or digit.")
    description: str = Field("", description="Free text.")
    currency: str = Field("EUR", min_length=1, max_length=16,
                          description="Currency of every amount.")
    seed: Seed = Field(20261129, description=f"Root seed of the random streams (0-{MAX_SEED}).")
    replications: Annotated[int, Field(ge=1, le=MAX_REPLICATIONS)] = Field(
        10, strict=True, description=f"Independent runs (1-{MAX_REPLICATIONS}).")
    warmup_days: Annotated[float, Field(ge=0, le=MAX_DAYS)] = Field(
        0.0, strict=True,
        description=f"Days simulated before statistics start (0-{MAX_DAYS}).")
    horizon_days: Annotated[float, Field(gt=0, le=MAX_DAYS)] = Field(
        91.0, strict=True, description=f"Measured days after the warm-up (> 0, at most "
                                       f"{MAX_DAYS}).")
    run_out_max_days: Annotated[float, Field(ge=0, le=MAX_DAYS)] = Field(
        28.0, strict=True,
        description="Cap on the run-out, in days after the horizon: the run goes on (arrivals "
                    "and staffing as scheduled) until every call, work order, complaint case "
                    "and follow-up of the measured window is done, or this many days have "
                    "passed; what is still open then counts as late and as not done. 28 days "
                    "is far beyond any promise, so a stable system never reaches it; an "
                    "overloaded one stops there (0-" f"{MAX_DAYS}).")
    start_date: dt.date = Field(
        default_factory=lambda: first_monday_of_next_year(),
        description="Calendar date of day 0 (the start of the warm-up): any date. Day 0 takes "
                    "its weekday for the weekly profile, shifts and opening hours, and days map "
                    "to calendar months (appraisal, budget). Absent = the first Monday of next "
                    "year as of the day the file is read; the resolved scenario.yaml of a run "
                    "records the date used, so a rerun of it reproduces.")
    demand: Demand = Field(description="Arrivals of contacts.")
    call_center: CallCenter = Field(description="Inbound call handling.")
    complaints: Complaints | None = Field(
        None, description="Complaint resolution; absent = a complaint ends with its call.")
    field_service: FieldService | None = Field(
        None, description="Repairs; required when `repair` has a share in the mix.")
    parts: Parts | None = Field(None, description="Spare parts; absent = no parts needed.")
    followup: Followup | None = Field(None, description="Follow-ups; absent = none.")
    training: Training | None = Field(
        None, description="Training of the mobile technicians (time off the road, its cost "
                          "and effect); absent = none.")
    satisfaction: Satisfaction = Field(default_factory=Satisfaction,
                                       description="Customer satisfaction score model.")
    costs: Costs = Field(default_factory=Costs, description="Cost rates; default all 0.")
    revenue: Revenue | None = Field(
        None, description="Repair fees and parts billed; absent = revenue not modelled (the "
                          "budget shows costs only).")
    finance: Finance | None = Field(
        None, description="Fixed monthly expenses and revenue outside repairs, for the budget; "
                          "absent = none.")
    disruptions: tuple[Disruption, ...] = Field(
        (), description="Supply-side shocks (supplier delay, absence, system outage, part "
                        "need, skill gap); absent = none. Demand shocks are `demand.events`.")
    targets: dict[KpiName, Float] = Field(
        default_factory=dict,
        description="KPI name -> threshold; whether it is a minimum or a maximum is known per "
                    "KPI (see the KPI catalogue). Absent = nothing is judged.")

    @field_validator("name")
    @classmethod
    def _folder_name(cls, v: str) -> str:
        return folder_name(v, "scenario")

    @model_validator(mode="after")
    def _cross_checks(self) -> Scenario:
        problems: list[tuple[str, str]] = []
        repair_share = self.demand.share("repair")
        if repair_share > 0 and self.field_service is None:
            problems.append((
                "field_service",
                tr("repair has a share of {share:g} in demand.mix, so a `field_service` section "
                   "{{technicians, repair_minutes, ...}} is required (or set repair to 0)",
                   share=repair_share)))
        for t in CONTACT_TYPES:
            if self.demand.share(t) > 0 and t not in self.call_center.handle_minutes:
                problems.append((
                    f"call_center.handle_minutes.{t}",
                    tr("{type} has a share of {share:g} in demand.mix, so its handle time is "
                       "required (a number of minutes or a distribution)", type=t,
                       share=self.demand.share(t))))
        known = {s.sku for s in self.parts.skus} if self.parts is not None else set()
        for i, d in enumerate(self.disruptions):
            unknown = [k for k in getattr(d, "skus", ()) if k not in known]
            if unknown:
                problems.append((
                    f"disruptions.{i}.skus",
                    tr("unknown SKU {names}; the parts section has {known}",
                       names=", ".join(unknown),
                       known=", ".join(sorted(known)) or tr("no SKUs"))))
        if self.training is not None and self.field_service is None:
            problems.append(("training", tr("training is for the mobile technicians: it needs a "
                                            "`field_service` section")))
        problems += product_problems(
            self.demand.products, fs.technicians if (fs := self.field_service) else None,
            self.parts.skus if self.parts is not None else None)
        # The workload is part of validity: a file, a --set, a stress shock and an explorer
        # edit are all refused here, with the estimate, before anything is drawn.
        problems += self.workload().problems()
        if problems:
            raise rule_error(problems)
        return self

    def workload(self) -> Workload:
        """The expected size of one replication (contacts and work orders)."""
        fs = self.field_service
        return estimate(self.demand, self.call_center.hours, self.run_days,
                        fs.quality_pass_probability if fs is not None else None)

    @property
    def run_days(self) -> float:
        """Total simulated days: warm-up plus horizon."""
        return self.warmup_days + self.horizon_days

    @property
    def first_weekday(self) -> int:
        """Weekday of day 0 (0 = Monday ... 6 = Sunday), from ``start_date``."""
        return self.start_date.weekday()
