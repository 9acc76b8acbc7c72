"""Building blocks of the scenario format: the strict base model, number types, distributions,
staffing (shifts), opening hours and demand profiles.

`sim.scenario` assembles these into the sections of a scenario file; this module owns the leaf
types and their validation messages. Defaults live in the models only. Every message says what
was wrong and what is allowed, because planners read them, not programmers.
"""

from __future__ import annotations

import difflib
import math
import re
from typing import TYPE_CHECKING, Annotated, Any, Literal

from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Discriminator,
    Field,
    GetJsonSchemaHandler,
    Strict,
    Tag,
    field_validator,
    model_validator,
)
from pydantic.json_schema import JsonSchemaValue
from pydantic_core import PydanticCustomError, core_schema

# --- base model and number types -------------------------------------------------------------


class StrictModel(BaseModel):
    """Base of every scenario model: unknown keys are errors, instances are immutable."""

    model_config = ConfigDict(extra="forbid", frozen=True, allow_inf_nan=False)

    @model_validator(mode="before")
    @classmethod
    def _unknown_keys(cls, data: Any) -> Any:
        # pydantic's own `extra_forbidden` says only "Extra inputs are not permitted"; a planner
        # who typed `contacts_per_dya` needs the nearest valid name and the allowed ones.
        if not isinstance(data, dict):
            return data
        allowed = list(cls.model_fields)
        unknown = [k for k in data if k not in cls.model_fields]
        if not unknown:
            return data
        parts = []
        for key in unknown:
            close = difflib.get_close_matches(str(key), allowed, n=1, cutoff=0.6)
            hint = f"; did you mean `{close[0]}`?" if close else ""
            parts.append(f"unknown key `{key}`{hint}")
        raise PydanticCustomError(
            "unknown_keys",
            "{summary}",
            {"summary": "; ".join(parts) + f" (allowed keys: {', '.join(allowed)})",
             "keys": [str(k) for k in unknown], "allowed": allowed},
        )


# Strict numbers: a YAML `true` or a quoted "12" is a mistake, not a 1 or a 12. Strict floats
# still accept integers.
Float = Annotated[float, Strict()]
NonNegFloat = Annotated[float, Strict(), Field(ge=0)]
PosFloat = Annotated[float, Strict(), Field(gt=0)]
Probability = Annotated[float, Strict(), Field(ge=0, le=1)]
NonNegInt = Annotated[int, Strict(), Field(ge=0)]
PosInt = Annotated[int, Strict(), Field(ge=1)]
MAX_PEOPLE = 10_000  # per shift or crew: far above any real team, low enough to stay runnable
People = Annotated[int, Strict(), Field(ge=0, le=MAX_PEOPLE)]

ContactType = Literal["inquiry", "repair", "complaint"]
CONTACT_TYPES: tuple[ContactType, ...] = ("inquiry", "repair", "complaint")
Day = Literal["mon", "tue", "wed", "thu", "fri", "sat", "sun"]
DAYS: tuple[Day, ...] = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
MINUTES_PER_DAY = 1440


def _is_number(value: object) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def _fmt(x: float) -> str:
    return f"{x:.10g}"


# --- distributions ---------------------------------------------------------------------------


class ConstantDist(StrictModel):
    """A fixed value; a bare number in a scenario file means this."""

    dist: Literal["constant"] = Field("constant", description="Always `constant`.")
    value: NonNegFloat = Field(description="The value, in the unit of the key (>= 0).")

    def mean_value(self) -> float:
        """Return the mean."""
        return self.value

    def variance(self) -> float:
        """Return the variance (0)."""
        return 0.0


class ExponentialDist(StrictModel):
    """Exponential distribution (memoryless; cv = 1)."""

    dist: Literal["exponential"] = Field(description="Always `exponential`.")
    mean: PosFloat = Field(description="Mean, in the unit of the key (> 0).")

    def mean_value(self) -> float:
        """Return the mean."""
        return self.mean

    def variance(self) -> float:
        """Return the variance (mean squared)."""
        return self.mean**2


class LognormalDist(StrictModel):
    """Lognormal distribution given by its own mean and coefficient of variation."""

    dist: Literal["lognormal"] = Field(description="Always `lognormal`.")
    mean: PosFloat = Field(description="Mean, in the unit of the key (> 0).")
    cv: PosFloat = Field(description="Coefficient of variation: standard deviation / mean (> 0).")

    def mean_value(self) -> float:
        """Return the mean."""
        return self.mean

    def variance(self) -> float:
        """Return the variance, (cv x mean) squared."""
        return (self.cv * self.mean) ** 2


class GammaDist(StrictModel):
    """Gamma distribution given by its mean and coefficient of variation."""

    dist: Literal["gamma"] = Field(description="Always `gamma`.")
    mean: PosFloat = Field(description="Mean, in the unit of the key (> 0).")
    cv: PosFloat = Field(description="Coefficient of variation: standard deviation / mean (> 0).")

    def mean_value(self) -> float:
        """Return the mean."""
        return self.mean

    def variance(self) -> float:
        """Return the variance, (cv x mean) squared."""
        return (self.cv * self.mean) ** 2


class UniformDist(StrictModel):
    """Uniform distribution on [low, high]."""

    dist: Literal["uniform"] = Field(description="Always `uniform`.")
    low: NonNegFloat = Field(description="Smallest value (>= 0).")
    high: NonNegFloat = Field(description="Largest value (> low).")

    @model_validator(mode="after")
    def _order(self) -> UniformDist:
        if not self.high > self.low:
            raise ValueError(f"uniform needs high > low (got low {_fmt(self.low)}, "
                             f"high {_fmt(self.high)})")
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
    low: NonNegFloat = Field(description="Smallest value (>= 0).")
    mode: NonNegFloat = Field(description="Most likely value (low <= mode <= high).")
    high: NonNegFloat = Field(description="Largest value (> low).")

    @model_validator(mode="after")
    def _order(self) -> TriangularDist:
        if not (self.low <= self.mode <= self.high and self.low < self.high):
            raise ValueError(
                "triangular needs low <= mode <= high and low < high (got low "
                f"{_fmt(self.low)}, mode {_fmt(self.mode)}, high {_fmt(self.high)})")
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
            raise ValueError(f"a normal with sd 0 is the constant {_fmt(self.mean)}, and a "
                             "duration cannot be negative; use mean >= 0 or sd > 0")
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
    values: tuple[NonNegFloat, ...] = Field(min_length=1, description="Observed values (>= 0).")
    weights: tuple[NonNegFloat, ...] | None = Field(
        None, description="Relative weights, one per value (>= 0, positive sum); "
                          "absent = all values equally likely.")

    @model_validator(mode="after")
    def _weights(self) -> EmpiricalDist:
        if self.weights is not None:
            if len(self.weights) != len(self.values):
                raise ValueError(f"empirical needs one weight per value (got {len(self.values)} "
                                 f"values and {len(self.weights)} weights)")
            if sum(self.weights) <= 0:
                raise ValueError("empirical weights must have a positive sum")
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


def check_tag(value: Any, key: str, names: tuple[str, ...], what: str) -> None:
    """Raise a readable error when a tagged mapping lacks its tag or names an unknown one."""
    if key not in value:
        raise ValueError(f"{what} mapping needs `{key}`: one of {', '.join(names)}")
    tag = value[key]
    if tag not in names:
        close = difflib.get_close_matches(str(tag), names, n=1)
        hint = f"did you mean `{close[0]}`? " if close else ""
        raise ValueError(f"unknown {key} `{tag}`; {hint}allowed: {', '.join(names)}")


def _to_distribution(value: Any) -> Any:
    if isinstance(value, bool):
        raise ValueError(f"expected a number or a distribution mapping, got {value}")
    if _is_number(value):
        if value < 0:
            raise ValueError(f"a duration cannot be negative (got {value}); use 0 or more, "
                             "or a distribution mapping with `dist`")
        return {"dist": "constant", "value": value}  # float() could overflow on a huge int
    if isinstance(value, dict):
        check_tag(value, "dist", DIST_NAMES, "a distribution")
        return value
    if isinstance(value, BaseModel):
        return value
    raise ValueError("expected a number (a constant) or a mapping with `dist`: one of "
                     + ", ".join(DIST_NAMES))


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


# --- clock times, shifts, opening hours ------------------------------------------------------

_HHMM = re.compile(r"^([01]\d|2[0-3]):([0-5]\d)$")


def parse_hhmm(value: object, *, allow_24: bool) -> int:
    """Return minutes from midnight of an "HH:MM" string.

    Args:
        value: The text to parse.
        allow_24: Whether "24:00" (end of day) is allowed.

    Raises:
        ValueError: When the text is not a time from 00:00 to 23:59 (or 24:00).
    """
    if isinstance(value, str):
        if allow_24 and value == "24:00":
            return MINUTES_PER_DAY
        m = _HHMM.match(value)
        if m:
            return int(m.group(1)) * 60 + int(m.group(2))
    allowed = "00:00 to 24:00" if allow_24 else "00:00 to 23:59"
    raise ValueError(f'expected a time "HH:MM" from {allowed}, in quotes (got {value!r})')


def _start_time(value: object) -> str:
    parse_hhmm(value, allow_24=False)
    return str(value)


def _end_time(value: object) -> str:
    parse_hhmm(value, allow_24=True)
    return str(value)


StartTime = Annotated[str, BeforeValidator(_start_time)]
EndTime = Annotated[str, BeforeValidator(_end_time)]


def _unique_days(days: tuple[Day, ...]) -> tuple[Day, ...]:
    twice = sorted({d for d in days if days.count(d) > 1}, key=DAYS.index)
    if twice:
        raise ValueError(f"day(s) listed twice: {', '.join(twice)}")
    return days


DAYS_FIELD_DESCRIPTION = "Days of the week (mon, tue, wed, thu, fri, sat, sun); default all."


class _Window(StrictModel):
    """A daily time window on some weekdays; shared by shifts and opening hours.

    Subclasses declare `days` themselves so that it comes after the times in dumps.
    """

    if TYPE_CHECKING:
        days: tuple[Day, ...]

    @field_validator("days", check_fields=False)
    @classmethod
    def _check_days(cls, days: tuple[Day, ...]) -> tuple[Day, ...]:
        return _unique_days(days)

    @property
    def day_indexes(self) -> tuple[int, ...]:
        """Weekday numbers of `days` (0 = Monday), in the order given."""
        return tuple(DAYS.index(d) for d in self.days)


class Shift(_Window):
    """One shift pattern: `count` people on duty from `start` to `end` on the listed days."""

    name: str = Field(min_length=1, description="Label used in reports.")
    start: StartTime = Field(description='Start time "HH:MM" (00:00-23:59).')
    end: EndTime = Field(description='End time "HH:MM" (00:00-24:00); an end earlier than the '
                                     "start runs past midnight into the next day.")
    days: tuple[Day, ...] = Field(DAYS, min_length=1, description=DAYS_FIELD_DESCRIPTION)
    count: People = Field(description=f"People on this shift (0-{MAX_PEOPLE}).")

    @model_validator(mode="after")
    def _length(self) -> Shift:
        if self.start_minute == self.end_minute:
            raise ValueError(f"shift `{self.name}` starts and ends at {self.start}: a shift needs "
                             "a length (an end earlier than the start runs past midnight)")
        return self

    @property
    def start_minute(self) -> int:
        """Start in minutes from midnight (0-1439)."""
        return parse_hhmm(self.start, allow_24=False)

    @property
    def end_minute(self) -> int:
        """End in minutes from midnight (0-1440); at or before the start means the next day."""
        return parse_hhmm(self.end, allow_24=True)


class OpenHours(_Window):
    """When the call center takes calls; no `hours` at all means open 24/7."""

    open: StartTime = Field(description='Opening time "HH:MM" (00:00-23:59).')
    close: EndTime = Field(description='Closing time "HH:MM" (00:00-24:00); earlier than `open` '
                                       "means open past midnight.")
    days: tuple[Day, ...] = Field(DAYS, min_length=1, description=DAYS_FIELD_DESCRIPTION)

    @model_validator(mode="after")
    def _length(self) -> OpenHours:
        if self.open_minute == self.close_minute:
            raise ValueError(f"open and close are both {self.open}: use 00:00 to 24:00 for a "
                             "whole day, or leave out `hours` for 24/7")
        return self

    @property
    def open_minute(self) -> int:
        """Opening in minutes from midnight (0-1439)."""
        return parse_hhmm(self.open, allow_24=False)

    @property
    def close_minute(self) -> int:
        """Closing in minutes from midnight (0-1440); at or before opening means the next day."""
        return parse_hhmm(self.close, allow_24=True)


def _staffing_tag(value: Any) -> str | None:
    if isinstance(value, int) and not isinstance(value, bool):
        return "people"
    if isinstance(value, float):
        return "people"  # strict int then says "a valid integer"
    if isinstance(value, list | tuple):
        return "shifts"
    return None


def _check_staffing(value: Any) -> Any:
    if _staffing_tag(value) is None:
        raise ValueError("staffing is a whole number (people on duty around the clock) or a "
                         f"list of shifts {{name, start, end, days, count}} (got {value!r})")
    return value


Staffing = Annotated[
    Annotated[People, Tag("people")] | Annotated[tuple[Shift, ...], Tag("shifts")],
    Discriminator(_staffing_tag),
    BeforeValidator(_check_staffing),
]
"""People on duty: a whole number around the clock, or a list of shifts."""


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
            if all(_is_number(x) for x in value) and not any(x > 0 for x in value):
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


# --- shared checks and cross-field rules ---

SUM_TOLERANCE = 1e-6


def check_sum(shares: list[float], what: str) -> None:
    """Raise ValueError unless `shares` sum to 1 within SUM_TOLERANCE, showing the sum."""
    total = math.fsum(shares)
    if abs(total - 1.0) > SUM_TOLERANCE:
        raise ValueError(f"{what} must sum to 1 (got {total:.6g})")


def check_unique(items: tuple[str, ...], what: str) -> tuple[str, ...]:
    """Raise ValueError naming the items listed more than once."""
    twice = sorted({x for x in items if items.count(x) > 1})
    if twice:
        raise ValueError(f"{what} listed twice: {', '.join(twice)}")
    return items


# --- cross-field rules -----------------------------------------------------------------------


def rule_error(problems: list[tuple[str, str]]) -> PydanticCustomError:
    """Build the error for broken cross-field rules, keeping each problem's own key path.

    A model validator's error is located at the model itself; the loader appends each relative
    `path` here so that the user sees `field_service.depot`, not just `field_service`.

    Args:
        problems: (dotted path relative to the validated model, message) pairs.
    """
    summary = "; ".join(f"{path}: {msg}" if path else msg for path, msg in problems)
    return PydanticCustomError("scenario_rule", "{summary}",
                               {"summary": summary, "problems": problems})
