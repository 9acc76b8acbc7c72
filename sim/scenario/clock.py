"""Clock times of the scenario format: "HH:MM" times, shifts, opening hours and staffing.

This module owns the daily time windows on weekdays (`Shift`, `OpenHours`), their validation
messages and the `Staffing` type (people around the clock, or a list of shifts).
`sim.scenario.calendar` turns them into minutes of the week.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Annotated, Any

from pydantic import BeforeValidator, Discriminator, Field, Tag, field_validator, model_validator

from sim.i18n.messages import tr
from sim.scenario.base import DAYS, MAX_PEOPLE, Day, People, StrictModel
from sim.units import MINUTES_PER_DAY

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
    raise ValueError(tr('expected a time "HH:MM" from {allowed}, in quotes (got {value})',
                        allowed=allowed, value=repr(value)))


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
        raise ValueError(tr("day(s) listed twice: {days}", days=", ".join(twice)))
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


class StartEnd(StrictModel):
    """A `start` and an `end` "HH:MM" of the day, read as minutes from midnight."""

    if TYPE_CHECKING:
        start: str
        end: str

    @property
    def start_minute(self) -> int:
        """Start in minutes from midnight (0-1439)."""
        return parse_hhmm(self.start, allow_24=False)

    @property
    def end_minute(self) -> int:
        """End in minutes from midnight (0-1440); a shift's end at or before its start is on
        the next day."""
        return parse_hhmm(self.end, allow_24=True)


class Shift(_Window, StartEnd):
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
            raise ValueError(tr("shift `{name}` starts and ends at {start}: a shift needs a "
                                "length (an end earlier than the start runs past midnight)",
                                name=self.name, start=self.start))
        return self


class OpenHours(_Window):
    """When the call center takes calls; no `hours` at all means open 24/7."""

    open: StartTime = Field(description='Opening time "HH:MM" (00:00-23:59).')
    close: EndTime = Field(description='Closing time "HH:MM" (00:00-24:00); earlier than `open` '
                                       "means open past midnight.")
    days: tuple[Day, ...] = Field(DAYS, min_length=1, description=DAYS_FIELD_DESCRIPTION)

    @model_validator(mode="after")
    def _length(self) -> OpenHours:
        if self.open_minute == self.close_minute:
            raise ValueError(tr("open and close are both {time}: use 00:00 to 24:00 for a whole "
                                "day, or leave out `hours` for 24/7", time=self.open))
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
        raise ValueError(tr("staffing is a whole number (people on duty around the clock) or a "
                            "list of shifts {{name, start, end, days, count}} (got {value})",
                            value=repr(value)))
    return value


Staffing = Annotated[
    Annotated[People, Tag("people")] | Annotated[tuple[Shift, ...], Tag("shifts")],
    Discriminator(_staffing_tag),
    BeforeValidator(_check_staffing),
]
"""People on duty: a whole number around the clock, or a list of shifts."""
