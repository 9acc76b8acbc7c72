"""Units of time: the engine's clock runs in minutes, and every conversion uses these names.

Scenario keys carry their unit in their name (``_minutes``, ``_hours``, ``_days``); they are
converted to the engine's minute once, where a model is built or a record is measured, with the
constants below. This module imports nothing, so every layer may use it.
"""

from __future__ import annotations

SECONDS_PER_MINUTE = 60
MINUTES_PER_HOUR = 60
HOURS_PER_DAY = 24
DAYS_PER_WEEK = 7
DAYS_PER_YEAR = 365  # holding rates and attrition are per year of 365 days
MINUTES_PER_DAY = MINUTES_PER_HOUR * HOURS_PER_DAY
MINUTES_PER_WEEK = MINUTES_PER_DAY * DAYS_PER_WEEK
HOURS_PER_WEEK = HOURS_PER_DAY * DAYS_PER_WEEK
MINUTES_PER_YEAR = MINUTES_PER_DAY * DAYS_PER_YEAR
MINUTES_PER_MILLISECOND = 1 / 60_000  # the event logs' time resolution
