"""The spare-parts section of a scenario: SKUs and their replenishment policies.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import BeforeValidator, Field, field_validator, model_validator

from sim.i18n.messages import tr
from sim.scenario.base import (
    MAX_UNITS,
    EveryDays,
    NonNegFloat,
    PosUnits,
    Probability,
    StrictModel,
    Units,
    check_sum,
    check_tag,
    check_unique,
    rule_error,
)
from sim.scenario.dists import Distribution

# --- parts -----------------------------------------------------------------------------------


class BaseStockPolicy(StrictModel):
    """Order one unit for each unit used, keeping the inventory position at `level`."""

    type: Literal["base_stock"] = Field(description="Always `base_stock`.")
    level: Units = Field(description=f"Target inventory position (0-{MAX_UNITS:,}).")

    @property
    def reorder_point(self) -> int | None:
        """Position at or below which an order is placed (level - 1)."""
        return self.level - 1


class SSPolicy(StrictModel):
    """(s, S): when the position falls to s or below, order up to S."""

    type: Literal["sS"] = Field(description="Always `sS`.")
    s: Units = Field(description="Reorder point (>= 0, < S).")
    S: PosUnits = Field(description=f"Order-up-to level (> s, at most {MAX_UNITS:,}).")

    @model_validator(mode="after")
    def _order(self) -> SSPolicy:
        if not self.s < self.S:
            raise ValueError(tr("sS needs s < S (got s {s}, S {S})", s=self.s, S=self.S))
        return self

    @property
    def reorder_point(self) -> int | None:
        """Position at or below which an order is placed (s)."""
        return self.s


class RQPolicy(StrictModel):
    """(r, Q): when the position falls to r or below, order Q units."""

    type: Literal["rQ"] = Field(description="Always `rQ`.")
    r: Annotated[int, Field(ge=-1, le=MAX_UNITS)] = Field(
        strict=True, description="Reorder point (>= -1; -1 lets the position start at 0).")
    Q: PosUnits = Field(description=f"Order quantity (1-{MAX_UNITS:,}).")

    @property
    def reorder_point(self) -> int | None:
        """Position at or below which an order is placed (r)."""
        return self.r


class PeriodicPolicy(StrictModel):
    """Periodic review: every `review_days`, order up to S."""

    type: Literal["periodic"] = Field(description="Always `periodic`.")
    review_days: EveryDays = Field(description="Days between reviews (at least 1/24: an hour).")
    S: Units = Field(description=f"Order-up-to level (0-{MAX_UNITS:,}).")

    @property
    def reorder_point(self) -> int | None:
        """None: a periodic policy has no reorder point."""
        return None


POLICY_TYPES: tuple[str, ...] = ("base_stock", "sS", "rQ", "periodic")


def _to_policy(value: Any) -> Any:
    if isinstance(value, dict):
        check_tag(value, "type", POLICY_TYPES, "a policy")
    return value


Policy = Annotated[
    BaseStockPolicy | SSPolicy | RQPolicy | PeriodicPolicy,
    Field(discriminator="type"),
    BeforeValidator(_to_policy),
]
"""Replenishment policy of one SKU, chosen by `type`."""


class Sku(StrictModel):
    """One spare part and how it is replenished."""

    sku: str = Field(min_length=1, description="Part name (unique).")
    share: Probability = Field(description="Share of part requests for this SKU (0-1); the "
                                           "shares of all SKUs sum to 1.")
    unit_cost: NonNegFloat = Field(description="Purchase cost per unit, in `currency` (>= 0).")
    initial_on_hand: Units = Field(description=f"Units in stock at time 0 (0-{MAX_UNITS:,}).")
    policy: Policy = Field(description="base_stock {level} | sS {s, S} | rQ {r, Q} | "
                                       "periodic {review_days, S}.")
    lead_time_days: Distribution = Field(description="Days from order to receipt.")
    reject_rate: Annotated[float, Field(ge=0, lt=1)] = Field(
        0.0, strict=True, description="Share of received units failing inspection (0 <= x < 1).")
    products: tuple[str, ...] | None = Field(
        None, min_length=1,
        description="Product lines (demand.products) whose repairs use this part; absent = "
                    "all. A job draws its part among the SKUs of its line, by `share`.")
    shrinkage_per_year: Annotated[float, Field(ge=0, le=10)] = Field(
        0.0, strict=True,
        description="Rate at which a unit on the shelf is lost (damage, theft, misplacement), "
                    "per year (0.05 = about 5% of the stock a year); the books see a loss only "
                    "at a count or when a technician finds the shelf empty (0-10).")


class RefillDays(StrictModel):
    """Vans refilled every few days instead of every night."""

    refill_days: EveryDays = Field(description="Days between van refills (at least 1/24: an "
                                               "hour).")


class VanStock(StrictModel):
    """The second echelon: what each technician's van carries, refilled from the central store.

    Each van keeps a base stock per SKU: at every refill it asks the central store for what it
    used since the last one (its deficit to the level, less what is still on its way). The
    central store serves those refills like any demand, first come first served with the jobs'
    requests, so its inventory position counts the vans' unfilled refills.
    """

    refill: Literal["nightly"] | RefillDays = Field(
        "nightly", description="`nightly` (every midnight) or {refill_days: N}.")
    delivery_hours: NonNegFloat = Field(
        24.0, description="Hours for a part shipped from the central store to a job whose "
                          "technician's van did not have it (the job is revisited when it "
                          "comes); 0 with the part in the central store = the visit goes on, "
                          "as without vans.")
    skus: dict[str, Units] = Field(
        default_factory=dict,
        description="SKU -> units each van carries (its base-stock level); a SKU left out is "
                    "not carried (level 0).")

    @property
    def refill_every_days(self) -> float:
        """Days between refills (1 for nightly)."""
        return 1.0 if self.refill == "nightly" else self.refill.refill_days


class Parts(StrictModel):
    """Spare parts for repairs; absent = repairs need no parts."""

    need_probability: Probability = Field(
        1.0, description="Share of repair jobs that need a part (0-1).")
    skus: tuple[Sku, ...] = Field(min_length=1, description="The parts (at least one).")
    holding_rate_per_year: NonNegFloat = Field(
        0.24, description="Holding cost per year as a share of the stock value (>= 0).")
    order_cost: NonNegFloat = Field(0.0, description="Fixed cost per replenishment order.")
    count_days: EveryDays | None = Field(
        None, description="Days between stock counts, which set every SKU's books to what is "
                          "on the shelf (at least 1/24: an hour); absent = no scheduled counts "
                          "(a shelf found empty is still corrected on the spot).")

    van_stock: VanStock | None = Field(
        None, description="Stock in the technicians' vans (second echelon); absent = a part "
                          "comes from the central store when the technician is on site.")

    @field_validator("skus")
    @classmethod
    def _skus(cls, v: tuple[Sku, ...]) -> tuple[Sku, ...]:
        check_unique(tuple(s.sku for s in v), "sku name(s)")
        check_sum([s.share for s in v], "sku shares")
        return v

    @model_validator(mode="after")
    def _van_skus(self) -> Parts:
        if self.van_stock is not None:
            known = {s.sku for s in self.skus}
            unknown = [k for k in self.van_stock.skus if k not in known]
            if unknown:
                raise rule_error([("van_stock.skus",
                                   tr("unknown SKU {names}; the parts section has {known}",
                                      names=", ".join(unknown),
                                      known=", ".join(sorted(known))))])
        return self
