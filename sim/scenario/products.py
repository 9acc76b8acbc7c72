"""Product lines: the ``demand.products`` key, what a line may override, and technician skills.

This module owns ``Product`` (a product line with its share of repair demand and the repair keys
it may override), ``TechnicianShift`` (a shift of mobile technicians with the product lines they
can repair) and ``TechnicianStaffing``. ``sim.scenario.format`` checks that every skill and every
SKU's ``products`` name a product line, and that each line has someone able to repair it.
"""

from __future__ import annotations

import re
from typing import Annotated, Any

from pydantic import BeforeValidator, Discriminator, Field, Tag, field_validator

from sim.i18n.messages import tr
from sim.scenario.base import People, Probability, StrictModel, check_unique
from sim.scenario.clock import Shift, _check_staffing, _staffing_tag
from sim.scenario.dists import Distribution

PRODUCT_PATTERN = re.compile(r"^[a-z][a-z0-9_]*$")


def _product_name(name: str) -> str:
    # A product line names result columns (`repair_on_time_rate_by_product.<name>`) and skills.
    if not PRODUCT_PATTERN.match(name) or len(name) > 40:
        raise ValueError(tr("`{name}` cannot be a product line name: use 1-40 lower-case "
                            "letters, digits and `_`, starting with a letter", name=name))
    return name


ProductName = Annotated[str, BeforeValidator(lambda v: _product_name(v) if isinstance(v, str)
                                             else v)]


class Product(StrictModel):
    """A product line: its share of repair demand and the repair keys it overrides."""

    name: ProductName = Field(description="Product line name: lower-case letters, digits and "
                                          "`_` (it names result columns and skills).")
    share: Probability = Field(description="Share of repair demand (0-1); the shares of all "
                                           "lines sum to 1.")
    repair_minutes: Distribution | None = Field(
        None, description="Repair work time per visit for this line; absent = "
                          "field_service.repair_minutes.")
    fix_probability: Annotated[float, Field(gt=0, le=1)] | None = Field(
        None, strict=True, description="Probability that a visit with the right part fixes the "
                                       "fault (0 < p <= 1); absent = field_service's.")
    need_probability: Probability | None = Field(
        None, description="Share of this line's repair jobs that need a part (0-1); absent = "
                          "parts.need_probability. Which SKUs a line uses is "
                          "parts.skus[*].products.")


class TechnicianShift(Shift):
    """A shift of mobile technicians, with the product lines they can repair."""

    skills: tuple[ProductName, ...] | None = Field(
        None, min_length=1,
        description="Product lines (demand.products) these technicians can repair; absent = "
                    "all. Dispatch sends a job only to a technician with its line's skill; a "
                    "job with nobody skilled on shift waits.")

    @field_validator("skills")
    @classmethod
    def _unique_skills(cls, v: tuple[str, ...] | None) -> tuple[str, ...] | None:
        if v is not None:
            check_unique(v, "skill(s)")
        return v


def _check(value: Any) -> Any:
    return _check_staffing(value)


TechnicianStaffing = Annotated[
    Annotated[People, Tag("people")] | Annotated[tuple[TechnicianShift, ...], Tag("shifts")],
    Discriminator(_staffing_tag),
    BeforeValidator(_check),
]
"""Mobile technicians: a whole number around the clock (every skill), or shifts with skills."""


def product_problems(products: tuple[Product, ...], technicians: Any, skus: Any
                     ) -> list[tuple[str, str]]:
    """Broken cross-section rules of product lines, as (key path, message) pairs.

    Args:
        products: ``demand.products``.
        technicians: ``field_service.technicians`` (None without field service).
        skus: ``parts.skus`` (None without parts).
    """
    names = [p.name for p in products]
    problems: list[tuple[str, str]] = []
    shifts = technicians if isinstance(technicians, tuple) else ()
    for i, shift in enumerate(shifts):
        for skill in shift.skills or ():
            if skill not in names:
                problems.append((f"field_service.technicians.{i}.skills",
                                 tr("unknown product line `{name}`; demand.products has "
                                    "{names}", name=skill,
                                    names=", ".join(names) or tr("none"))))
    for i, sku in enumerate(skus or ()):
        for line in sku.products or ():
            if line not in names:
                problems.append((f"parts.skus.{i}.products",
                                 tr("unknown product line `{name}`; demand.products has "
                                    "{names}", name=line,
                                    names=", ".join(names) or tr("none"))))
    if problems or not products or technicians is None:
        return problems
    if shifts:
        # A line nobody can repair would leave its jobs waiting to the run-out's cap.
        able = {s for shift in shifts if shift.count > 0
                for s in (shift.skills if shift.skills is not None else names)}
        for line in names:
            if line not in able:
                problems.append(("field_service.technicians",
                                 tr("no shift with people has the skill `{name}`: its repairs "
                                    "would never be done (add it to a shift's skills)",
                                    name=line)))
    if skus:
        for p in products:
            if not any(s.share > 0 and (s.products is None or p.name in s.products)
                       for s in skus):
                problems.append(("parts.skus",
                                 tr("product line `{name}` uses no SKU with a share: list it in "
                                    "some SKU's `products` (or leave `products` out)",
                                    name=p.name)))
    return problems
