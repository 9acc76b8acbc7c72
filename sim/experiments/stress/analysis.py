"""Stress-test analysis: when a target breaks under a shock, how badly, and how fast it recovers.

This module owns the judging rules of `aftersales-sim stress` (and of the risk register's breach
days), as pure functions of tidy frames (one row per replication and day, or per replication),
so each rule is testable on hand-made numbers: break detection against the baseline, the worst
day, the recovery after the shock window, the damage ranking and the daily bands. It runs nothing
and writes nothing: `sim.experiments.stress.series` builds the frames from runs (every targeted
KPI per day from the ledger), `sim.experiments.stress.plan` the results.

Rules (the baseline and the shocked run share seeds, so days are compared pairwise):
- a target *breaks* on a day when the 95% interval over replications of its daily value lies
  wholly on the wrong side of the target (with one replication: its value) while the baseline's
  mean that day is on the good side, so a day the baseline already misses is not the shock's;
- the *worst day* is the day with the largest deterioration of the mean against the baseline
  (none when the series is never worse than the baseline's); the *worst value* is the shocked
  mean on that day;
- *recovery* counts days from the first whole day after the shock window to the first day that
  starts `RECOVERY_STREAK` days in a row on which the shocked series is not broken (its interval
  reaches the good side) or its mean is no worse than the baseline's 95% band; empty when that
  never happens in the horizon.
Intervals and bands of a bounded series stay within what it can take (`bounds_of`: shares in
0-1, scores in 1-5, counts, times and stock at least 0). A target whose series has no day with
data is judged on the run's KPI mean and has no day columns.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from sim.measure.catalog import KPI_BY_NAME
from sim.measure.registry import Direction
from sim.measure.stats import mean_ci, paired_difference, t_interval

BASELINE = "baseline"
RECOVERY_STREAK = 3
# Daily columns without a KPI of their own that a stress file may put a limit on.
LIMIT_DIRECTIONS: dict[str, Direction] = {
    "open_work_orders": "at_most",
    "jobs_waiting_parts": "at_most",
    "peak_queue": "at_most",
}
ON_HAND_PREFIX = "on_hand_"
DAY_COLUMNS = ("first_break_day", "worst_day", "recovery_days", "broken_days")
UNBOUNDED = (-math.inf, math.inf)


def bounds_of(column: str) -> tuple[float, float]:
    """The values a daily series can take: a KPI's own bounds, and at least 0 for the daily
    limits' counts and stock."""
    info = KPI_BY_NAME.get(column)
    if info is not None:
        return info.bounds
    return (0.0, math.inf) if limit_direction(column) is not None else UNBOUNDED


def bounded_mean_ci(frame: pd.DataFrame, by: str, column: str) -> pd.DataFrame:
    """``mean_ci`` of a series with the band clipped to ``bounds_of(column)``."""
    ci = mean_ci(frame, by, column)
    low, high = bounds_of(column)
    return ci.assign(low=ci["low"].clip(low, high), high=ci["high"].clip(low, high))


@dataclass(frozen=True, slots=True)
class JudgedTarget:
    """A threshold to judge: a KPI target of the scenario or a daily limit of a stress file."""

    name: str
    value: float
    direction: Direction
    daily: bool

    @property
    def source(self) -> str:
        """`target` for a scenario KPI target, `daily_limit` for a daily-only limit."""
        return "target" if self.name in KPI_BY_NAME else "daily_limit"


@dataclass(frozen=True, slots=True)
class Verdict:
    """How one target fared under one shock; day fields are nan when they do not apply."""

    breaks: bool
    first_break_day: float
    broken_days: float
    worst_day: float
    worst_value: float
    baseline_value: float
    recovery_days: float


def limit_direction(column: str) -> Direction | None:
    """The good side of a daily-only limit, or None for a column that cannot be limited.

    Args:
        column: A column of the daily table, e.g. `open_work_orders` or `on_hand_compressor`.

    Returns:
        `at_most` for backlogs and queues, `at_least` for stock on hand, else None.
    """
    if column.startswith(ON_HAND_PREFIX) and len(column) > len(ON_HAND_PREFIX):
        return "at_least"
    return LIMIT_DIRECTIONS.get(column)


def judged_targets(targets: Mapping[str, float], daily_limits: Mapping[str, float]
                   ) -> list[JudgedTarget]:
    """Every threshold a stress run judges, scenario targets first, in the given order.

    Args:
        targets: The base scenario's KPI targets.
        daily_limits: Limits on daily-only columns (see `limit_direction`).

    Returns:
        One JudgedTarget each; every one is judged on its daily series.

    Raises:
        ValueError: For a daily limit on a column without a known direction.
    """
    judged = [JudgedTarget(name, float(value), KPI_BY_NAME[name].direction, True)
              for name, value in targets.items()]
    for column, value in daily_limits.items():
        direction = limit_direction(column)
        if direction is None:
            raise ValueError(f"no daily limit can be set on `{column}`")
        judged.append(JudgedTarget(column, float(value), direction, True))
    return judged


def _wrong(values: np.ndarray, target: float, direction: Direction) -> np.ndarray:
    # nan compares False: a day without data is never on the wrong side.
    return values < target if direction == "at_least" else values > target


def judge_daily(shocked: pd.DataFrame, baseline: pd.DataFrame, column: str, target: float,
                direction: Direction, window_end_day: float,
                streak: int = RECOVERY_STREAK) -> Verdict:
    """Break, worst day and recovery of one daily series under one shock.

    Args:
        shocked: The shocked run's rows: `rep`, `day`, `column`.
        baseline: The baseline run's rows, same layout and seeds.
        column: The daily series.
        target: The threshold.
        direction: `at_least` when larger is better, `at_most` when smaller is.
        window_end_day: Day (fractional) when the shock window ends.
        streak: Days in a row that count as recovered.

    Returns:
        The Verdict; `recovery_days` is nan when the series never settles within the horizon.
    """
    bands = bounded_mean_ci(shocked, "day", column).merge(
        bounded_mean_ci(baseline, "day", column), on="day", suffixes=("", "_base"))
    days = bands["day"].to_numpy(dtype=float)
    mean = bands["mean"].to_numpy(dtype=float)
    base = bands["mean_base"].to_numpy(dtype=float)
    valid = ~np.isnan(mean) & ~np.isnan(base)
    # The interval's end on the good side: wholly wrong when even it is on the wrong side.
    near = bands["high" if direction == "at_least" else "low"].to_numpy(dtype=float)
    near = np.where(np.isnan(near), mean, near)  # one replication: no interval, its value
    wholly_wrong = _wrong(near, target, direction)
    broken = valid & wholly_wrong & ~_wrong(base, target, direction)
    sign = 1.0 if direction == "at_least" else -1.0
    gap = np.where(valid, sign * (base - mean), -np.inf)
    # No worst day when the shock never makes the series worse than the baseline.
    worst = int(np.argmax(gap)) if valid.any() and gap.max() > 0 else -1

    # The band edge on the bad side; with one replication there is no band, only the mean.
    edge = bands["low_base" if direction == "at_least" else "high_base"].to_numpy(dtype=float)
    edge = np.where(np.isnan(edge), base, edge)
    settled = ~wholly_wrong | (sign * (mean - edge) >= 0)
    first_after = math.ceil(window_end_day)
    after = (days >= first_after) & ~np.isnan(mean)
    return Verdict(
        breaks=bool(broken.any()),
        first_break_day=float(days[broken][0]) if broken.any() else math.nan,
        broken_days=float(broken.sum()),
        worst_day=float(days[worst]) if worst >= 0 else math.nan,
        worst_value=float(mean[worst]) if worst >= 0 else math.nan,
        baseline_value=float(base[worst]) if worst >= 0 else math.nan,
        recovery_days=_recovery(days[after], settled[after], first_after, streak),
    )


def _recovery(days: np.ndarray, settled: np.ndarray, first_after: int, streak: int) -> float:
    """Days from `first_after` to the first run of `streak` settled (non-missing) days."""
    run = 0
    for i, ok in enumerate(settled):
        run = run + 1 if ok else 0
        if run == streak:
            return float(days[i - streak + 1] - first_after)
    return math.nan


def judge_run(shocked: Sequence[float] | np.ndarray, baseline: Sequence[float] | np.ndarray,
              target: float, direction: Direction) -> Verdict:
    """Judge a target that has no daily series on the run's KPI (mean over replications).

    Args:
        shocked: The KPI per replication of the shocked run.
        baseline: The KPI per replication of the baseline.
        target: The threshold.
        direction: `at_least` or `at_most`.

    Returns:
        The Verdict with every day field nan and the shocked mean as `worst_value`.
    """
    mean, base = t_interval(shocked).mean, t_interval(baseline).mean
    pair = np.array([mean, base])
    wrong = _wrong(pair, target, direction)
    nan = math.nan
    return Verdict(bool(wrong[0] and not wrong[1]), nan, nan, nan, float(mean), float(base), nan)


def summarize_stress(daily: pd.DataFrame, replications: pd.DataFrame,
                     targets: Sequence[JudgedTarget], windows: Mapping[str, tuple[float, float]],
                     types: Mapping[str, str]) -> pd.DataFrame:
    """The `stress_summary` table: one row per shock and judged target.

    Args:
        daily: Daily rows of every run with a `shock` column (`baseline` for the base run) and
            a column per judged series (`sim.experiments.stress.series.stress_daily_table`).
        replications: KPI rows per run and replication with a `shock` column.
        targets: What to judge.
        windows: Shock name -> (start day, end day) of its window, in run order.
        types: Shock name -> shock type.

    Returns:
        Columns shock, target, breaks, first_break_day, worst_day, worst_value, recovery_days,
        then type, source, judged (`daily` or `run`), direction, target_value, broken_days,
        baseline_value (the baseline's mean on the worst day, or its run mean), and for KPI
        targets run_mean, baseline_run_mean and the paired 95% interval of their difference.
    """
    base_daily = daily[daily["shock"] == BASELINE]
    base_reps = replications[replications["shock"] == BASELINE].sort_values("rep")
    rows = []
    for shock, (_start, end) in windows.items():
        shock_daily = daily[daily["shock"] == shock]
        shock_reps = replications[replications["shock"] == shock].sort_values("rep")
        for t in targets:
            daily_series = t.daily and t.name in daily and shock_daily[t.name].notna().any()
            if daily_series:
                v = judge_daily(shock_daily, base_daily, t.name, t.value, t.direction, end)
            else:
                v = judge_run(_kpi_values(shock_reps, t.name), _kpi_values(base_reps, t.name),
                              t.value, t.direction)
            row = {"shock": shock, "target": t.name, "breaks": v.breaks,
                   "first_break_day": v.first_break_day, "worst_day": v.worst_day,
                   "worst_value": v.worst_value, "recovery_days": v.recovery_days,
                   "type": types[shock], "source": t.source,
                   "judged": "daily" if daily_series else "run", "direction": t.direction,
                   "target_value": t.value, "broken_days": v.broken_days,
                   "baseline_value": v.baseline_value}
            row |= _run_difference(base_reps, shock_reps, t.name)
            rows.append(row)
    summary = pd.DataFrame(rows, columns=_SUMMARY_COLUMNS)
    return summary.astype(dict.fromkeys(DAY_COLUMNS, "Int64") | {"breaks": bool})


_SUMMARY_COLUMNS = ["shock", "target", "breaks", "first_break_day", "worst_day", "worst_value",
                    "recovery_days", "type", "source", "judged", "direction", "target_value",
                    "broken_days", "baseline_value", "run_mean", "baseline_run_mean",
                    "run_diff_ci_low", "run_diff_ci_high"]


def _kpi_values(replications: pd.DataFrame, kpi: str) -> np.ndarray:
    if kpi not in replications.columns:
        return np.full(len(replications), math.nan)
    return replications[kpi].to_numpy(dtype=float)


def _run_difference(base: pd.DataFrame, shocked: pd.DataFrame, kpi: str) -> dict[str, float]:
    if kpi not in base.columns or len(base) != len(shocked):
        return dict.fromkeys(("run_mean", "baseline_run_mean", "run_diff_ci_low",
                              "run_diff_ci_high"), math.nan)
    d = paired_difference(_kpi_values(base, kpi), _kpi_values(shocked, kpi))
    return {"run_mean": d.mean_b, "baseline_run_mean": d.mean_a, "run_diff_ci_low": d.diff_ci_low,
            "run_diff_ci_high": d.diff_ci_high}


def rank_shocks(summary: pd.DataFrame, replications: pd.DataFrame,
                types: Mapping[str, str] | None = None, cost_kpi: str = "total_cost"
                ) -> pd.DataFrame:
    """The `stress_ranking` table: shocks from most to least damaging.

    Damage is the number of broken days summed over targets; ties go to the shock with more
    broken targets (run-judged ones included), then to the larger cost increase (paired mean of
    `cost_kpi`, shock minus baseline, with its 95% interval).

    Args:
        summary: Output of `summarize_stress`.
        replications: KPI rows per run and replication with a `shock` column.
        types: Shock name -> type (default: from `summary`).
        cost_kpi: The KPI that breaks ties.

    Returns:
        Columns rank, shock, type, broken_days, targets_broken, first_break_day,
        first_broken_target, <cost_kpi>_diff, <cost_kpi>_diff_ci_low, <cost_kpi>_diff_ci_high.
    """
    base = replications[replications["shock"] == BASELINE].sort_values("rep")
    rows = []
    # Every shocked run is ranked, also when nothing is judged (a scenario without targets).
    for shock in pd.unique(replications.loc[replications["shock"] != BASELINE, "shock"]):
        group = summary[summary["shock"] == shock]
        firsts = group.dropna(subset=["first_break_day"]).sort_values("first_break_day",
                                                                      kind="stable")
        first = firsts.iloc[0] if len(firsts) else None
        shocked = replications[replications["shock"] == shock].sort_values("rep")
        cost = paired_difference(base[cost_kpi].to_numpy(float), shocked[cost_kpi].to_numpy(float))
        rows.append({
            "shock": shock,
            "type": (types or {}).get(shock) or (group["type"].iloc[0] if len(group) else ""),
            "broken_days": int(group["broken_days"].fillna(0).sum()),
            "targets_broken": int(group["breaks"].sum()),
            "first_break_day": first["first_break_day"] if first is not None else pd.NA,
            "first_broken_target": first["target"] if first is not None else "",
            f"{cost_kpi}_diff": cost.diff, f"{cost_kpi}_diff_ci_low": cost.diff_ci_low,
            f"{cost_kpi}_diff_ci_high": cost.diff_ci_high,
        })
    ranking = pd.DataFrame(rows)
    if ranking.empty:
        return ranking
    ranking = ranking.sort_values(["broken_days", "targets_broken", f"{cost_kpi}_diff"],
                                  ascending=False, kind="stable", na_position="last")
    ranking.insert(0, "rank", np.arange(1, len(ranking) + 1))
    return ranking.astype({"first_break_day": "Int64"}).reset_index(drop=True)


def daily_bands(daily: pd.DataFrame, columns: Sequence[str]) -> pd.DataFrame:
    """Mean and 95% band per run, series and day: what the charts draw, as a table.

    Args:
        daily: Daily rows with `shock`, `rep`, `day` and the columns.
        columns: The series wanted.

    Returns:
        Columns shock, series, day, mean, low, high (clipped to `bounds_of`), n.
    """
    parts = [bounded_mean_ci(group, "day", column).assign(shock=shock, series=column)
             for shock, group in daily.groupby("shock", sort=False) for column in columns]
    if not parts:
        return pd.DataFrame(columns=["shock", "series", "day", "mean", "low", "high", "n"])
    bands = pd.concat(parts, ignore_index=True)
    return bands[["shock", "series", "day", "mean", "low", "high", "n"]]
