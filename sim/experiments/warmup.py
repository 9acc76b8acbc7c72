"""Warm-up length: how many days a run needs before its statistics are free of the empty start.

This module owns the analysis behind ``aftersales-sim warmup``: replicate the scenario without a
warm-up (same total run length), average the daily series that carry state from day to day over the
replications (service level, open work orders, stock on hand per SKU), and apply MSER-5
(``sim.measure.stats.mser5``) to each averaged series. The suggestion is the largest truncation
point: a warm-up must cover the slowest part of the system. Averaging over replications first is
Welch's idea: it removes most of the noise so the truncation rule sees the trend.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from sim.experiments.executors import Executor
from sim.experiments.replicate import Progress, replicate
from sim.measure.stats import mser5
from sim.scenario.format import Scenario

BASE_SERIES = ("service_level", "open_work_orders")
STOCK_PREFIX = "on_hand_"


@dataclass(frozen=True)
class WarmupResult:
    """The averaged daily series and the truncation point of each, in days."""

    scenario: Scenario
    seed: int
    replications: int
    series: pd.DataFrame
    truncation_days: dict[str, int]

    @property
    def suggested_days(self) -> int:
        """The warm-up to use: the largest truncation point over the series (0 if none)."""
        return max(self.truncation_days.values(), default=0)

    @property
    def binding_series(self) -> str | None:
        """The series that sets the suggestion (the first of equals), or None."""
        if not self.truncation_days:
            return None
        return max(self.truncation_days, key=lambda k: self.truncation_days[k])

    def document(self) -> dict[str, Any]:
        """The ``warmup.json`` document."""
        return {
            "scenario": self.scenario.name,
            "seed": self.seed,
            "replications": self.replications,
            "run_days": self.scenario.horizon_days,
            "method": "MSER-5 on the daily series averaged over replications, run without "
                      "warm-up; the suggestion is the largest truncation point",
            "suggested_warmup_days": self.suggested_days,
            "binding_series": self.binding_series,
            "truncation_days": dict(self.truncation_days),
        }


def series_columns(daily: pd.DataFrame) -> list[str]:
    """The daily columns that carry state: service level, open work orders, stock per SKU."""
    return [c for c in daily.columns if c in BASE_SERIES or c.startswith(STOCK_PREFIX)]


def truncation_day(days: np.ndarray, values: np.ndarray) -> int:
    """MSER-5 truncation point of one daily series, as a number of days from the first day.

    Days without a value (a service level on a day without calls) are left out; the truncation
    point is then the day of the first kept observation, so the gaps are counted as days.

    Args:
        days: Day numbers, increasing.
        values: One value per day; nan where undefined.

    Returns:
        Days to delete from the start (0 when the series is too short or shows no warm-up).
    """
    ok = ~np.isnan(values)
    kept_days, kept = days[ok], values[ok]
    d = mser5(kept)
    if d == 0 or d >= kept.size:
        return 0
    return int(kept_days[d] - days[0])


def suggest_warmup(
    scenario: Scenario,
    replications: int | None = None,
    seed: int | None = None,
    executor: Executor | None = None,
    progress: Progress | None = None,
) -> WarmupResult:
    """Suggest a warm-up length from replications run without one.

    The run keeps its total length (``warmup_days + horizon_days`` becomes the horizon) so the
    series cover everything the scenario simulates; MSER-5 searches only the first half of each.

    Args:
        scenario: The scenario; its warm-up is overridden to 0.
        replications: Replications to average (default: the scenario's).
        seed: Root seed (default: the scenario's).
        executor: Where replications run.
        progress: Called with (finished, total) as replications finish.

    Returns:
        The WarmupResult.
    """
    cold = scenario.model_copy(update={"warmup_days": 0.0, "horizon_days": scenario.run_days})
    result = replicate(cold, replications, seed, executor=executor, progress=progress)
    columns = series_columns(result.daily)
    series = result.daily.groupby("day", sort=True)[columns].mean().reset_index()
    days = series["day"].to_numpy(float)
    truncation = {c: truncation_day(days, series[c].to_numpy(float)) for c in columns}
    return WarmupResult(cold, result.seed, len(result.replications), series, truncation)
