"""The run's days on the calendar: which date each day is, and calendar months and quarters as
spans of days.

This module owns the mapping between the clock's days (day 0 = the scenario's ``start_date``,
the start of the warm-up) and calendar dates, and ``CalendarPeriod`` with ``calendar_months`` and
``calendar_quarters``: the months (``2027-02``) and quarters (``2027-Q1``) that a span of
measured time touches, each with its first and last clock day and the share of it the span
covers (a month cut by the end of the warm-up or of the horizon is partial). It is pure date
arithmetic (``datetime`` only): February has 29 days in a leap year because the calendar says so.
"""

from __future__ import annotations

import datetime as dt
import math
from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class CalendarPeriod:
    """A calendar month or quarter as seen from a run.

    Attributes:
        label: ``YYYY-MM`` for a month, ``YYYY-Qn`` for a quarter.
        kind: ``month`` or ``quarter``.
        first_date: Its first calendar date.
        days_in_period: Its length on the calendar (28 to 31 days for a month).
        first_day: The first clock day of the period that the span touches.
        last_day: The last clock day of the period that the span touches (included).
        measured_days: How many days of the period the span covers (fractional when the span
            starts or ends within a day).
    """

    label: str
    kind: str
    first_date: dt.date
    days_in_period: int
    first_day: int
    last_day: int
    measured_days: float

    @property
    def share(self) -> float:
        """The covered share of the period: measured days / days in the period."""
        return self.measured_days / self.days_in_period

    @property
    def whole(self) -> bool:
        """Whether the span covers the whole period."""
        return math.isclose(self.measured_days, self.days_in_period)


def date_of(start_date: dt.date, day: int) -> dt.date:
    """The calendar date of clock day ``day`` (day 0 = ``start_date``)."""
    return start_date + dt.timedelta(days=day)


def day_of(start_date: dt.date, date: dt.date) -> int:
    """The clock day of ``date`` (negative before ``start_date``)."""
    return (date - start_date).days


def _next_month(date: dt.date) -> dt.date:
    return dt.date(date.year + date.month // 12, date.month % 12 + 1, 1)


def _month_start(date: dt.date) -> dt.date:
    return date.replace(day=1)


def _quarter_start(date: dt.date) -> dt.date:
    return dt.date(date.year, 3 * ((date.month - 1) // 3) + 1, 1)


def _periods(start_date: dt.date, first_day: float, end_day: float, kind: str
             ) -> list[CalendarPeriod]:
    """The periods of ``kind`` that the span ``[first_day, end_day)`` of clock days touches."""
    if not end_day > first_day:
        return []
    begin = date_of(start_date, math.floor(first_day))
    cursor = _month_start(begin) if kind == "month" else _quarter_start(begin)
    out = []
    while day_of(start_date, cursor) < end_day:
        after = _next_month(cursor)
        if kind == "quarter":
            after = _next_month(_next_month(after))
        lo, hi = day_of(start_date, cursor), day_of(start_date, after)
        covered = min(hi, end_day) - max(lo, first_day)
        if covered > 0:
            label = (f"{cursor.year:04d}-{cursor.month:02d}" if kind == "month"
                     else f"{cursor.year:04d}-Q{(cursor.month - 1) // 3 + 1}")
            out.append(CalendarPeriod(
                label=label, kind=kind, first_date=cursor, days_in_period=hi - lo,
                first_day=max(lo, math.floor(first_day)),
                last_day=min(hi, math.ceil(end_day)) - 1, measured_days=float(covered)))
        cursor = after
    return out


def calendar_months(start_date: dt.date, first_day: float, end_day: float
                    ) -> list[CalendarPeriod]:
    """The calendar months that the span ``[first_day, end_day)`` of clock days touches.

    Args:
        start_date: The date of day 0.
        first_day: Start of the span in days from day 0 (the end of the warm-up).
        end_day: End of the span (warm-up + horizon), excluded.
    """
    return _periods(start_date, first_day, end_day, "month")


def calendar_quarters(start_date: dt.date, first_day: float, end_day: float
                      ) -> list[CalendarPeriod]:
    """The calendar quarters (January-March = Q1, ...) that the span touches; see
    ``calendar_months``."""
    return _periods(start_date, first_day, end_day, "quarter")
