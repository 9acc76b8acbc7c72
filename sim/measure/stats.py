"""Output analysis over independent replications.

This module owns the statistics that turn per-replication KPI values into statements a planner
can rely on: Student-t confidence intervals, paired comparisons of two scenarios run on common
random numbers, target judgements that respect sampling error, MSER-5 warm-up detection and an
online (Welford) accumulator for sequential stopping. Everything is pure and typed; nan marks a
KPI a replication could not measure and is dropped, never treated as zero.
"""

from __future__ import annotations

import functools
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Literal

import numpy as np
import pandas as pd
from scipy.stats import t as student_t

Direction = Literal["at_least", "at_most"]
Status = Literal["met", "missed", "not significant", "no data"]
SUMMARY_COLUMNS = ("kpi", "mean", "std", "ci_low", "ci_high", "n", "half_width", "rel_half_width")


@dataclass(frozen=True, slots=True)
class Interval:
    """A replication mean with its sample standard deviation and two-sided t interval."""

    mean: float
    std: float
    ci_low: float
    ci_high: float
    n: int
    half_width: float

    @property
    def rel_half_width(self) -> float:
        """Half-width over |mean|: 0 for a zero-width interval, inf when the mean is 0."""
        return _relative(self.half_width, self.mean)


@dataclass(frozen=True, slots=True)
class PairedDiff:
    """Paired comparison of scenario b against a; diff = mean(b - a)."""

    mean_a: float
    mean_b: float
    diff: float
    diff_ci_low: float
    diff_ci_high: float
    n: int
    significant: bool
    variance_reduction: float


@dataclass(frozen=True, slots=True)
class TargetJudgement:
    """Whether a KPI meets a target: `met` by the point estimate, `status` by the interval."""

    target: float
    direction: Direction
    met: bool
    status: Status


def _relative(half_width: float, mean: float) -> float:
    # A zero-width interval is exact (e.g. a KPI that is 0 in every replication): report 0 so a
    # sequential-stopping rule can terminate instead of seeing 0/0 = nan forever.
    if half_width == 0:
        return 0.0
    if mean == 0:
        return math.inf
    return half_width / abs(mean)


def _clean(values: Sequence[float] | np.ndarray) -> np.ndarray:
    arr = np.asarray(values, dtype=float).ravel()
    return arr[~np.isnan(arr)]


def t_interval(values: Sequence[float] | np.ndarray, confidence: float = 0.95) -> Interval:
    """Student-t confidence interval for the mean of independent replication values.

    half_width = t_{(1+confidence)/2, n-1} * s / sqrt(n) with s the sample standard deviation
    (ddof=1) (Law, *Simulation Modeling and Analysis*, 5th ed., §9.4.1). nan values are dropped
    and n counts the rest. n == 0 gives all-nan; n == 1 gives the mean but nan std and interval
    (no variance estimate); identical values give std 0 and a zero-width interval.

    Args:
        values: One value per replication.
        confidence: Two-sided confidence level in (0, 1).

    Returns:
        The Interval.
    """
    if not 0.0 < confidence < 1.0:
        raise ValueError(f"confidence must be in (0, 1), got {confidence}")
    arr = _clean(values)
    n = int(arr.size)
    if n == 0:
        return Interval(math.nan, math.nan, math.nan, math.nan, 0, math.nan)
    first = float(arr[0])
    if n == 1:
        return Interval(first, math.nan, math.nan, math.nan, 1, math.nan)
    if np.all(arr == first):
        # exact: the mean of equal floats can round and leave a spurious 1e-17 std
        return Interval(first, 0.0, first, first, n, 0.0)
    mean = float(arr.mean())
    std = float(arr.std(ddof=1))
    half = t_half_width(std, n, confidence)
    return Interval(mean, std, mean - half, mean + half, n, half)


def t_half_width(std: float, n: int, confidence: float = 0.95) -> float:
    """The half-width of ``t_interval`` for ``n`` >= 2 values of sample deviation ``std``."""
    return t_quantile(confidence, n - 1) * std / math.sqrt(n)


@functools.lru_cache(maxsize=256)
def t_quantile(confidence: float, df: int) -> float:
    """The two-sided ``confidence`` quantile of Student's t with ``df`` degrees of freedom.

    Cached: a run's summary asks for the same one (its replication count) once per KPI, per
    month and per budget line, and scipy's ``ppf`` costs about 0.15 ms a call.
    """
    return float(student_t.ppf(0.5 + confidence / 2.0, df))


def mean_ci(
    df: pd.DataFrame, by: str, column: str, confidence: float = 0.95
) -> pd.DataFrame:
    """Mean over replications per `by` value with a Student-t confidence interval.

    NaN values (for example a service level on a day without calls) are left out, so `n` can
    differ between groups; with n < 2 the interval is NaN and no band is drawn.

    Args:
        df: Long data with one row per replication and `by` value.
        by: Grouping column, e.g. "day".
        column: Value column.
        confidence: Two-sided confidence level.

    Returns:
        Columns `by`, mean, low, high, n, sorted by `by`.
    """
    grouped = df.groupby(by, sort=True)[column].agg(["mean", "std", "count"]).reset_index()
    n = grouped["count"].to_numpy(dtype=float)
    std = grouped["std"].to_numpy(dtype=float)
    with np.errstate(invalid="ignore", divide="ignore"):
        tq = np.where(n >= 2, student_t.ppf(0.5 + confidence / 2.0, np.maximum(n - 1.0, 1.0)),
                      np.nan)
        half = tq * std / np.sqrt(n)
    mean = grouped["mean"].to_numpy(dtype=float)
    return pd.DataFrame(
        {by: grouped[by], "mean": mean, "low": mean - half, "high": mean + half, "n": n}
    )


def summarize(
    replications: pd.DataFrame, kpis: Sequence[str], confidence: float = 0.95,
    bounds: Mapping[str, tuple[float, float]] | None = None,
) -> pd.DataFrame:
    """One t-interval row per KPI across replications (one row of `replications` each).

    A KPI missing from the frame gets an all-nan row with n = 0, so a catalogue-wide summary
    works for scenarios that do not model every department. rel_half_width is
    half_width/|mean| (0 for a zero-width interval, inf for a zero mean).

    Args:
        replications: One row per replication, one numeric column per KPI.
        kpis: KPI column names, in the order wanted in the output.
        confidence: Two-sided confidence level.
        bounds: Per KPI, the values it can take; its interval ends are clipped to them (the
            half-width stays the t-interval's, as precision rules use it).

    Returns:
        DataFrame with columns kpi, mean, std, ci_low, ci_high, n, half_width, rel_half_width.
    """
    rows = []
    for kpi in kpis:
        column = replications[kpi] if kpi in replications.columns else pd.Series([], dtype=float)
        iv = t_interval(pd.to_numeric(column, errors="coerce").to_numpy(dtype=float), confidence)
        low, high = (bounds or {}).get(kpi, (-math.inf, math.inf))
        rows.append((kpi, iv.mean, iv.std, min(max(iv.ci_low, low), high),
                     max(min(iv.ci_high, high), low), iv.n, iv.half_width, iv.rel_half_width))
    out = pd.DataFrame(rows, columns=list(SUMMARY_COLUMNS))
    return out.astype({"n": "int64"})


def paired_difference(
    a: Sequence[float] | np.ndarray, b: Sequence[float] | np.ndarray, confidence: float = 0.95
) -> PairedDiff:
    """Paired-t comparison of two scenarios replicated with common random numbers.

    Replication i of a and of b share seeds, so d_i = b_i - a_i are iid and the t interval of d
    is valid even though a and b are correlated (Law §10.2.1). Pairs with a nan on either side
    are dropped. variance_reduction = 1 - Var(b-a)/(Var(a)+Var(b)) measures what pairing saved
    versus independent runs (nan when the denominator is 0 or n < 2).

    Args:
        a: Baseline KPI values per replication.
        b: Alternative KPI values, same length and replication order.
        confidence: Two-sided confidence level.

    Returns:
        The PairedDiff; `significant` when the interval of the difference excludes 0.
    """
    arr_a = np.asarray(a, dtype=float).ravel()
    arr_b = np.asarray(b, dtype=float).ravel()
    if arr_a.shape != arr_b.shape:
        raise ValueError(f"paired samples need equal lengths, got {arr_a.size} and {arr_b.size}")
    ok = ~(np.isnan(arr_a) | np.isnan(arr_b))
    arr_a, arr_b = arr_a[ok], arr_b[ok]
    iv = t_interval(arr_b - arr_a, confidence)
    reduction = math.nan
    if iv.n >= 2:
        denominator = float(arr_a.var(ddof=1) + arr_b.var(ddof=1))
        if denominator > 0:
            reduction = 1.0 - iv.std**2 / denominator
    significant = bool(iv.ci_low > 0 or iv.ci_high < 0)  # False for nan bounds
    mean_a = float(arr_a.mean()) if iv.n else math.nan
    mean_b = float(arr_b.mean()) if iv.n else math.nan
    return PairedDiff(mean_a, mean_b, iv.mean, iv.ci_low, iv.ci_high, iv.n, significant,
                      reduction)


def welch_interval(a: Sequence[float] | np.ndarray, b: Sequence[float] | np.ndarray,
                   confidence: float = 0.95) -> tuple[float, float]:
    """Interval of ``mean(b) - mean(a)`` for independent samples of unequal variances (Welch).

    The unpaired counterpart of ``paired_difference``: for runs that share no random numbers,
    e.g. a company's records against a model fitted to them.
    """
    x, y = np.asarray(a, dtype=float), np.asarray(b, dtype=float)
    va, vb = x.var(ddof=1) / len(x), y.var(ddof=1) / len(y)
    diff = float(y.mean() - x.mean())
    if va + vb == 0:
        return diff, diff
    df = (va + vb) ** 2 / (va**2 / (len(x) - 1) + vb**2 / (len(y) - 1))
    half = float(student_t.ppf(0.5 + confidence / 2.0, df)) * math.sqrt(va + vb)
    return diff - half, diff + half


def judge_target(interval: Interval, target: float, direction: Direction) -> TargetJudgement:
    """Judge a KPI interval against a target.

    `met` compares the point estimate. `status` is "met" when the whole interval lies on the good
    side (touching the target counts as good, matching "at least"/"at most"), "missed" when it
    lies entirely on the bad side, otherwise "not significant" (also when the interval is
    undefined, n == 1). A nan mean gives met False and status "no data".

    Args:
        interval: The KPI's Interval.
        target: Target value in the KPI's unit.
        direction: "at_least" when larger is better, "at_most" when smaller is better.

    Returns:
        The TargetJudgement.
    """
    if direction not in ("at_least", "at_most"):
        raise ValueError(f"direction must be 'at_least' or 'at_most', got {direction!r}")
    if math.isnan(interval.mean):
        return TargetJudgement(target, direction, False, "no data")
    sign = 1.0 if direction == "at_least" else -1.0
    # Flip "at_most" into "at_least" on negated values so one rule serves both directions.
    mean, worst, best = sign * interval.mean, sign * interval.ci_low, sign * interval.ci_high
    if sign < 0:
        worst, best = best, worst
    goal = sign * target
    status: Status = "not significant"
    if worst >= goal:
        status = "met"
    elif best < goal:
        status = "missed"
    return TargetJudgement(target, direction, bool(mean >= goal), status)


def mser5(series: Sequence[float] | np.ndarray) -> int:
    """MSER-5 warm-up truncation point: how many leading observations to delete.

    The series is cut into batch means Z_1..Z_k of 5 observations (a trailing remainder is
    ignored). For each d in 0..k//2 the statistic
    MSER(d) = sum_{j>d} (Z_j - mean(Z_{d+1..k}))^2 / (k-d)^2
    (the variance of the remaining batch means divided by their count, i.e. the squared
    standard error of the truncated mean) is computed and the first minimiser d* is kept
    (White 1997, "An effective truncation heuristic for bias reduction in simulation output",
    Simulation 69(6); White, Cobb & Spratt 2000). Only the first half is searched because a
    minimum later than that is an artefact of a short tail, not a warm-up.

    Args:
        series: One observation per time step or batch, in time order; no nan.

    Returns:
        5 * d*, the number of observations to delete (0 for fewer than 10 observations).
    """
    x = np.asarray(series, dtype=float).ravel()
    if np.isnan(x).any():
        raise ValueError("mser5 needs a series without nan")
    k = x.size // 5
    if k < 2:
        return 0
    z = x[: 5 * k].reshape(k, 5).mean(axis=1)
    z = z - z.mean()  # centring keeps the suffix sums below free of cancellation
    # suffix sums give every truncated mean and sum of squares in O(k)
    s1 = np.cumsum(z[::-1])[::-1]
    s2 = np.cumsum((z * z)[::-1])[::-1]
    d = np.arange(k // 2 + 1)
    remaining = (k - d).astype(float)
    sum_sq = np.maximum(s2[d] - s1[d] ** 2 / remaining, 0.0)
    return int(np.argmin(sum_sq / remaining**2)) * 5


class Welford:
    """Online mean and sample variance (Welford 1962), for sequential stopping rules.

    nan observations are ignored, consistent with `t_interval`.
    """

    def __init__(self) -> None:
        """Start empty."""
        self._n = 0
        self._mean = 0.0
        self._m2 = 0.0

    def add(self, x: float) -> None:
        """Add one observation (nan is skipped).

        Args:
            x: The new value.
        """
        if math.isnan(x):
            return
        self._n += 1
        delta = x - self._mean
        self._mean += delta / self._n
        self._m2 += delta * (x - self._mean)

    @property
    def n(self) -> int:
        """Number of observations added."""
        return self._n

    @property
    def mean(self) -> float:
        """Running mean (nan when empty)."""
        return self._mean if self._n else math.nan

    @property
    def variance(self) -> float:
        """Sample variance with ddof=1 (nan for fewer than 2 observations)."""
        return self._m2 / (self._n - 1) if self._n > 1 else math.nan

    def half_width(self, confidence: float = 0.95) -> float:
        """Student-t half-width of the mean's confidence interval (nan for n < 2).

        Args:
            confidence: Two-sided confidence level.

        Returns:
            The half-width, in the observations' unit.
        """
        if self._n < 2:
            return math.nan
        quantile = float(student_t.ppf(0.5 + confidence / 2.0, self._n - 1))
        return quantile * math.sqrt(self.variance / self._n)
