"""Money in the scenario format: cost rates, repair revenue and the finance section.

This module owns ``Costs`` (what staffed hours, visits and late repairs cost), ``Revenue``
(repair fees, warranty share, parts markup) and ``Finance`` (fixed monthly expenses and revenue
outside repairs, the lines of the budget the model does not simulate), with the rules for budget
line names. ``sim.scenario.format`` puts them into the scenario.
"""

from __future__ import annotations

import re
from typing import Annotated

from pydantic import AfterValidator, Field, model_validator

from sim.i18n.messages import tr
from sim.scenario.base import NonNegFloat, Probability, StrictModel, rule_error


class Costs(StrictModel):
    """Cost rates in `currency`; 0 = not costed."""

    agent_per_hour: NonNegFloat = Field(0.0, description="Per staffed agent hour.")
    specialist_per_hour: NonNegFloat = Field(0.0, description="Per staffed specialist hour.")
    complaint_handler_per_hour: NonNegFloat = Field(
        0.0, description="Per staffed complaint-handler hour.")
    technician_per_hour: NonNegFloat = Field(0.0, description="Per staffed technician hour.")
    depot_technician_per_hour: NonNegFloat = Field(
        0.0, description="Per staffed depot (bench) technician hour.")
    travel_per_visit: NonNegFloat = Field(0.0, description="Per on-site visit.")
    late_repair_penalty: NonNegFloat = Field(0.0, description="Per repair later than promised.")
    overtime_factor: Annotated[float, Field(ge=1)] = Field(
        1.5, strict=True, description="Multiplier on hourly rates for overtime (>= 1).")


class RepairFees(StrictModel):
    """The fee a customer pays for a repair, by route."""

    onsite: NonNegFloat = Field(0.0, description="Per paid on-site repair.")
    depot: NonNegFloat = Field(0.0, description="Per paid carry-in (depot) repair.")


class Revenue(StrictModel):
    """What customers pay for repairs: the revenue side of the budget."""

    repair_fee: RepairFees = Field(
        default_factory=RepairFees,
        description="Charged once per repair job finished (a rework job is free), by route.")
    warranty_share: Probability = Field(
        0.0, description="Share of repair jobs under warranty: no fee and no parts billed (0-1).")
    parts_markup: NonNegFloat = Field(
        0.0, description="A paid repair's part is billed at its unit cost x (1 + markup); 0 = "
                         "at cost.")


LINE_PATTERN = re.compile(r"^[a-z][a-z0-9_]*$")
RESERVED_BUDGET_LINES: tuple[str, ...] = (
    "call_center", "tech_support", "complaints", "field_service", "depot", "parts_purchase",
    "holding", "ordering", "shrinkage", "penalties", "training", "revenue", "total",
    "total_revenue", "total_expense", "margin")
"""Row names the budget already uses (the cost departments of ``sim.measure.costs``, repair
revenue and the totals): a finance line may not take one (a test keeps the lists equal)."""


def _budget_lines(lines: dict[str, float]) -> dict[str, float]:
    for name in lines:
        if not LINE_PATTERN.match(name):
            raise ValueError(tr("`{name}` cannot be a budget line: use lower-case letters, "
                                "digits and `_`, starting with a letter (e.g. `rent`)",
                                name=name))
        if name in RESERVED_BUDGET_LINES:
            raise ValueError(tr("`{name}` is already a line of the budget; reserved names: "
                                "{names}", name=name, names=", ".join(RESERVED_BUDGET_LINES)))
    return lines


BudgetLines = Annotated[dict[str, NonNegFloat], AfterValidator(_budget_lines)]


class Finance(StrictModel):
    """What the budget holds beyond the simulated costs and repair revenue: fixed monthly
    expenses and revenue lines outside repairs, each an amount per calendar month."""

    monthly_expenses: BudgetLines = Field(
        default_factory=dict,
        description="Expense budget: line -> amount per calendar month (rent, administration, "
                    "vehicles, ...); a month the horizon covers in part gets its share by days.")
    monthly_revenue: BudgetLines = Field(
        default_factory=dict,
        description="Revenue outside repairs: line -> amount per calendar month (service "
                    "contracts, ...); prorated like the expenses.")

    @model_validator(mode="after")
    def _distinct(self) -> Finance:
        both = sorted(set(self.monthly_expenses) & set(self.monthly_revenue))
        if both:
            raise rule_error([("", tr("line {names} is both an expense and a revenue; give them "
                                      "different names", names=", ".join(both)))])
        return self
