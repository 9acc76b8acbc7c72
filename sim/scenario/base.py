"""The shared base of the scenario format: the strict model, number types, enumerations and checks.

This module owns what every section of a scenario file builds on: `StrictModel` (unknown keys are
errors, with the nearest valid name), the strict number types, contact types and weekdays, and the
helpers behind tag, sum and uniqueness messages and cross-field rule errors. It imports no other
scenario module, so every one of them can import it.
"""

from __future__ import annotations

import difflib
import math
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, Strict, ValidationError, model_validator
from pydantic_core import PydanticCustomError

from sim.i18n.messages import tr

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
        suggested = set()
        for key in unknown:
            close = difflib.get_close_matches(str(key), allowed, n=1, cutoff=0.6)
            hint = tr("; did you mean `{name}`?", name=close[0]) if close else ""
            suggested.update(close)
            parts.append(tr("unknown key `{value}`", value=key) + hint)
        # The section's other problems, so that a file with a typo and a bad value says both
        # at once; a required key missing because it was misspelt is the typo, said above.
        others: list[Any] = []
        try:
            cls.model_validate({k: v for k, v in data.items() if k in cls.model_fields})
        except ValidationError as exc:
            others = [e for e in exc.errors(include_url=False)
                      if not (e["type"] == "missing" and len(e["loc"]) == 1
                              and e["loc"][0] in suggested)]
        raise PydanticCustomError(
            "unknown_keys",
            "{summary}",
            {"summary": "; ".join(parts) + tr(" (allowed keys: {names})",
                                              names=", ".join(allowed)),
             "keys": [str(k) for k in unknown], "allowed": allowed, "others": others},
        )


# Strict numbers: a YAML `true` or a quoted "12" is a mistake, not a 1 or a 12. Strict floats
# still accept integers.
Float = Annotated[float, Strict()]
NonNegFloat = Annotated[float, Strict(), Field(ge=0)]
PosFloat = Annotated[float, Strict(), Field(gt=0)]
Probability = Annotated[float, Strict(), Field(ge=0, le=1)]
NonNegInt = Annotated[int, Strict(), Field(ge=0)]
MAX_SEED = 2**64 - 1  # a seed is 64 bits, like each replication's; more digits would name files
Seed = Annotated[int, Strict(), Field(ge=0, le=MAX_SEED)]
MAX_REPLICATIONS = 10_000
MAX_MULTIPLIER = 100.0  # on demand, lead or work times: far beyond any shock, and no overflow
# Distribution parameters, in the unit of their key (minutes, hours or days): a million is years
# of any of them, and bounding them keeps every draw finite (a lognormal of mean 1e308 overflowed).
MAX_DURATION = 1e6
MAX_CV = 100.0
MAX_WEIGHT = 1e9  # relative weights: their sum must stay finite
Duration = Annotated[float, Strict(), Field(ge=0, le=MAX_DURATION)]
PosDuration = Annotated[float, Strict(), Field(gt=0, le=MAX_DURATION)]
Cv = Annotated[float, Strict(), Field(gt=0, le=MAX_CV)]
# A period that repeats through the run (stock reviews and counts, follow-up retries): each
# repetition is an event, so a tiny one is a run that never ends. An hour is the shortest.
EveryDays = Annotated[float, Strict(), Field(ge=1 / 24, le=MAX_DURATION)]
Weight = Annotated[float, Strict(), Field(ge=0, le=MAX_WEIGHT)]
PosInt = Annotated[int, Strict(), Field(ge=1)]
MAX_UNITS = 1_000_000_000  # stock levels and order sizes per SKU: counts stay in 64-bit tables
Units = Annotated[int, Strict(), Field(ge=0, le=MAX_UNITS)]
PosUnits = Annotated[int, Strict(), Field(ge=1, le=MAX_UNITS)]
MAX_PEOPLE = 10_000  # per shift or crew: far above any real team, low enough to stay runnable
People = Annotated[int, Strict(), Field(ge=0, le=MAX_PEOPLE)]

ContactType = Literal["inquiry", "repair", "complaint"]
CONTACT_TYPES: tuple[ContactType, ...] = ("inquiry", "repair", "complaint")
Day = Literal["mon", "tue", "wed", "thu", "fri", "sat", "sun"]
DAYS: tuple[Day, ...] = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")


def is_number(value: object) -> bool:
    """Return whether `value` is an int or float; a YAML `true` is a bool, not a number."""
    return isinstance(value, int | float) and not isinstance(value, bool)


# --- shared checks ---------------------------------------------------------------------------


def check_tag(value: Any, key: str, names: tuple[str, ...], what: str) -> None:
    """Raise a readable error when a tagged mapping lacks its tag or names an unknown one."""
    if key not in value:
        raise ValueError(tr("{what} mapping needs `{key}`: one of {names}", what=tr(what),
                            key=key, names=", ".join(names)))
    tag = value[key]
    if tag not in names:
        close = difflib.get_close_matches(str(tag), names, n=1)
        hint = tr("did you mean `{name}`? ", name=close[0]) if close else ""
        raise ValueError(tr("unknown {key} `{tag}`; {hint}allowed: {names}", key=key, tag=tag,
                            hint=hint, names=", ".join(names)))


SUM_TOLERANCE = 1e-6


def check_sum(shares: list[float], what: str) -> None:
    """Raise ValueError unless `shares` sum to 1 within SUM_TOLERANCE, showing the sum."""
    total = math.fsum(shares)
    if abs(total - 1.0) > SUM_TOLERANCE:
        raise ValueError(tr("{what} must sum to 1 (got {total:.6g})", what=tr(what), total=total))


def check_unique(items: tuple[str, ...], what: str) -> tuple[str, ...]:
    """Raise ValueError naming the items listed more than once."""
    twice = sorted({x for x in items if items.count(x) > 1})
    if twice:
        raise ValueError(tr("{what} listed twice: {names}", what=tr(what), names=", ".join(twice)))
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
