"""Distributions of the scenario format: durations and amounts as a number or a `dist` mapping.

This module owns the distribution models (`constant` ... `empirical`), their means and variances,
and the `Distribution` type that accepts a bare number as a constant and names the allowed `dist`
values when a mapping is wrong.
"""

from __future__ import annotations

import math
from typing import Annotated, Any, Literal

from pydantic import BaseModel, BeforeValidator, Field, GetJsonSchemaHandler, model_validator
from pydantic.json_schema import JsonSchemaValue
from pydantic_core import core_schema

from sim.i18n.messages import tr
from sim.scenario.base import (
    MAX_CV,
    MAX_DURATION,
    MAX_WEIGHT,
    Cv,
    Duration,
    Float,
    NonNegFloat,
    PosDuration,
    StrictModel,
    Weight,
    check_tag,
    is_number,
)


def _fmt(x: float) -> str:
    return f"{x:.10g}"


class ConstantDist(StrictModel):
    """A fixed value; a bare number in a scenario file means this."""

    dist: Literal["constant"] = Field("constant", description="Always `constant`.")
    value: Duration = Field(
        description=f"The value, in the unit of the key (0-{MAX_DURATION:g}).")

    def mean_value(self) -> float:
        """Return the mean."""
        return self.value

    def variance(self) -> float:
        """Return the variance (0)."""
        return 0.0


class ExponentialDist(StrictModel):
    """Exponential distribution (memoryless; cv = 1)."""

    dist: Literal["exponential"] = Field(description="Always `exponential`.")
    mean: PosDuration = Field(
        description=f"Mean, in the unit of the key (> 0, at most {MAX_DURATION:g}).")

    def mean_value(self) -> float:
        """Return the mean."""
        return self.mean

    def variance(self) -> float:
        """Return the variance (mean squared)."""
        return self.mean**2


class LognormalDist(StrictModel):
    """Lognormal distribution given by its own mean and coefficient of variation."""

    dist: Literal["lognormal"] = Field(description="Always `lognormal`.")
    mean: PosDuration = Field(
        description=f"Mean, in the unit of the key (> 0, at most {MAX_DURATION:g}).")
    cv: Cv = Field(description="Coefficient of variation: standard deviation / mean (> 0, at "
                               f"most {MAX_CV:g}).")

    def mean_value(self) -> float:
        """Return the mean."""
        return self.mean

    def variance(self) -> float:
        """Return the variance, (cv x mean) squared."""
        return (self.cv * self.mean) ** 2


class GammaDist(StrictModel):
    """Gamma distribution given by its mean and coefficient of variation."""

    dist: Literal["gamma"] = Field(description="Always `gamma`.")
    mean: PosDuration = Field(
        description=f"Mean, in the unit of the key (> 0, at most {MAX_DURATION:g}).")
    cv: Cv = Field(description="Coefficient of variation: standard deviation / mean (> 0, at "
                               f"most {MAX_CV:g}).")

    def mean_value(self) -> float:
        """Return the mean."""
        return self.mean

    def variance(self) -> float:
        """Return the variance, (cv x mean) squared."""
        return (self.cv * self.mean) ** 2


class UniformDist(StrictModel):
    """Uniform distribution on [low, high]."""

    dist: Literal["uniform"] = Field(description="Always `uniform`.")
    low: Duration = Field(description="Smallest value (>= 0).")
    high: Duration = Field(description=f"Largest value (> low, at most {MAX_DURATION:g}).")

    @model_validator(mode="after")
    def _order(self) -> UniformDist:
        if not self.high > self.low:
            raise ValueError(tr("uniform needs high > low (got low {low}, high {high})",
                                low=_fmt(self.low), high=_fmt(self.high)))
        return self

    def mean_value(self) -> float:
        """Return the mean."""
        return (self.low + self.high) / 2

    def variance(self) -> float:
        """Return the variance."""
        return (self.high - self.low) ** 2 / 12


class TriangularDist(StrictModel):
    """Triangular distribution with minimum, most likely value and maximum."""

    dist: Literal["triangular"] = Field(description="Always `triangular`.")
    low: Duration = Field(description="Smallest value (>= 0).")
    mode: Duration = Field(description="Most likely value (low <= mode <= high).")
    high: Duration = Field(description=f"Largest value (> low, at most {MAX_DURATION:g}).")

    @model_validator(mode="after")
    def _order(self) -> TriangularDist:
        if not (self.low <= self.mode <= self.high and self.low < self.high):
            raise ValueError(tr(
                "triangular needs low <= mode <= high and low < high (got low {low}, mode "
                "{mode}, high {high})", low=_fmt(self.low), mode=_fmt(self.mode),
                high=_fmt(self.high)))
        return self

    def mean_value(self) -> float:
        """Return the mean."""
        return (self.low + self.mode + self.high) / 3

    def variance(self) -> float:
        """Return the variance."""
        a, c, b = self.low, self.mode, self.high
        return (a * a + b * b + c * c - a * b - a * c - b * c) / 18


class NormalDist(StrictModel):
    """Normal distribution truncated at 0 (negative draws are impossible, not clipped)."""

    dist: Literal["normal"] = Field(description="Always `normal`.")
    mean: Float = Field(
        description="Mean of the normal before truncation at 0 (the actual mean is higher "
                    "when sd is large relative to it).")
    sd: NonNegFloat = Field(description="Standard deviation before truncation (>= 0).")

    @model_validator(mode="after")
    def _degenerate(self) -> NormalDist:
        if self.sd == 0 and self.mean < 0:
            raise ValueError(tr("a normal with sd 0 is the constant {mean}, and a duration "
                                "cannot be negative; use mean >= 0 or sd > 0",
                                mean=_fmt(self.mean)))
        return self

    def _truncated(self) -> Any:
        from scipy.stats import truncnorm  # scipy is heavy; only the statistics need it

        return truncnorm(-self.mean / self.sd, math.inf, loc=self.mean, scale=self.sd)

    def mean_value(self) -> float:
        """Return the exact mean of the normal truncated at 0."""
        return self.mean if self.sd == 0 else float(self._truncated().mean())

    def variance(self) -> float:
        """Return the exact variance of the normal truncated at 0."""
        return 0.0 if self.sd == 0 else float(self._truncated().var())


class EmpiricalDist(StrictModel):
    """Draws one of the listed values, with the given relative weights (equal if absent)."""

    dist: Literal["empirical"] = Field(description="Always `empirical`.")
    values: tuple[Duration, ...] = Field(
        min_length=1, description=f"Observed values (0-{MAX_DURATION:g}).")
    weights: tuple[Weight, ...] | None = Field(
        None, description=f"Relative weights, one per value (0-{MAX_WEIGHT:g}, positive sum); "
                          "absent = all values equally likely.")

    @model_validator(mode="after")
    def _weights(self) -> EmpiricalDist:
        if self.weights is not None:
            if len(self.weights) != len(self.values):
                raise ValueError(tr("empirical needs one weight per value (got {values} values "
                                    "and {weights} weights)", values=len(self.values),
                                    weights=len(self.weights)))
            if sum(self.weights) <= 0:
                raise ValueError(tr("empirical weights must have a positive sum"))
        return self

    def probabilities(self) -> tuple[float, ...]:
        """Return the probability of each value."""
        w = self.weights if self.weights is not None else (1.0,) * len(self.values)
        total = sum(w)
        return tuple(x / total for x in w)

    def mean_value(self) -> float:
        """Return the mean."""
        return sum(p * v for p, v in zip(self.probabilities(), self.values, strict=True))

    def variance(self) -> float:
        """Return the variance."""
        m = self.mean_value()
        return sum(p * (v - m) ** 2
                   for p, v in zip(self.probabilities(), self.values, strict=True))


DIST_NAMES: tuple[str, ...] = ("constant", "exponential", "lognormal", "gamma", "uniform",
                               "triangular", "normal", "empirical")


def _to_distribution(value: Any) -> Any:
    if isinstance(value, bool):
        raise ValueError(tr("expected a number or a distribution mapping, got {value}",
                            value=value))
    if is_number(value):
        if value < 0:
            raise ValueError(tr("a duration cannot be negative (got {value}); use 0 or more, or "
                                "a distribution mapping with `dist`", value=value))
        return {"dist": "constant", "value": value}  # float() could overflow on a huge int
    if isinstance(value, dict):
        check_tag(value, "dist", DIST_NAMES, "a distribution")
        return value
    if isinstance(value, BaseModel):
        return value
    raise ValueError(tr("expected a number (a constant) or a mapping with `dist`: one of "
                        "{names}", names=", ".join(DIST_NAMES)))


class _BareNumberInSchema:
    """Adds `number >= 0` as an alternative in the JSON schema (the before-validator accepts it)."""

    @classmethod
    def __get_pydantic_json_schema__(
        cls, schema: core_schema.CoreSchema, handler: GetJsonSchemaHandler
    ) -> JsonSchemaValue:
        inner = handler(schema)
        return {"anyOf": [{"type": "number", "minimum": 0, "description": "a constant"}, inner]}


Distribution = Annotated[
    ConstantDist | ExponentialDist | LognormalDist | GammaDist | UniformDist | TriangularDist
    | NormalDist | EmpiricalDist,
    Field(discriminator="dist"),
    BeforeValidator(_to_distribution),
    _BareNumberInSchema,
]
"""A duration or amount: a bare number (constant) or a mapping with `dist`."""
