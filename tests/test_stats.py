"""Checks of sim.measure.stats against scipy, seeded coverage experiments and planted transients."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
from scipy import stats as sps

from sim.measure.catalog import KPI_BY_NAME
from sim.measure.stats import (
    SUMMARY_COLUMNS,
    Interval,
    Welford,
    judge_target,
    mser5,
    paired_difference,
    summarize,
    t_interval,
)


def rng(seed: int = 1) -> np.random.Generator:
    return np.random.Generator(np.random.PCG64(seed))


# --------------------------------------------------------------------------- t_interval


@pytest.mark.parametrize(("n", "confidence"), [(2, 0.95), (5, 0.9), (30, 0.99)])
def test_t_interval_matches_scipy(n: int, confidence: float) -> None:
    x = rng(n).normal(10.0, 3.0, n)
    low, high = sps.t.interval(confidence, n - 1, loc=x.mean(), scale=sps.sem(x))
    iv = t_interval(x, confidence)
    assert (iv.ci_low, iv.ci_high) == pytest.approx((low, high), rel=1e-12)
    assert iv.half_width == pytest.approx((high - low) / 2, rel=1e-12)
    assert iv.std == pytest.approx(x.std(ddof=1)) and iv.n == n


def test_t_interval_drops_nan_and_handles_degenerate_samples() -> None:
    iv = t_interval([1.0, math.nan, 3.0])
    assert iv.n == 2 and iv.mean == 2.0
    assert iv.half_width == pytest.approx(sps.t.ppf(0.975, 1) * math.sqrt(2) / math.sqrt(2))
    one = t_interval([4.0, math.nan])
    assert one.n == 1 and one.mean == 4.0
    assert all(math.isnan(v) for v in (one.std, one.ci_low, one.ci_high, one.half_width))
    empty = t_interval([math.nan])
    assert empty.n == 0 and math.isnan(empty.mean) and math.isnan(empty.ci_low)
    flat = t_interval([0.1] * 7)
    assert (flat.mean, flat.std, flat.ci_low, flat.ci_high, flat.half_width) == (
        0.1, 0.0, 0.1, 0.1, 0.0,
    )
    with pytest.raises(ValueError):
        t_interval([1.0, 2.0], confidence=1.5)


def test_t_interval_coverage_is_nominal() -> None:
    # 2000 experiments of n = 10 normals: the 95% interval must cover mu about 95% of the time
    samples = rng(7).normal(5.0, 2.0, size=(2000, 10))
    covered = 0
    for row in samples:
        iv = t_interval(row)
        covered += iv.ci_low <= 5.0 <= iv.ci_high
    assert 0.93 <= covered / 2000 <= 0.97


# --------------------------------------------------------------------------- summarize


def test_summarize_columns_values_and_missing_kpi() -> None:
    x = rng(3).normal(0.8, 0.05, 12)
    frame = pd.DataFrame({"service_level": x, "abandon_rate": np.zeros(12)})
    table = summarize(frame, ["service_level", "abandon_rate", "not_modelled"])
    assert tuple(table.columns) == SUMMARY_COLUMNS
    assert list(table["kpi"]) == ["service_level", "abandon_rate", "not_modelled"]
    row = table.iloc[0]
    iv = t_interval(x)
    assert row["mean"] == pytest.approx(iv.mean) and row["half_width"] == pytest.approx(
        iv.half_width
    )
    assert row["rel_half_width"] == pytest.approx(iv.half_width / abs(iv.mean))
    assert table.iloc[1]["rel_half_width"] == 0.0  # exact zero everywhere: precision reached
    assert table.iloc[2]["n"] == 0 and math.isnan(table.iloc[2]["mean"])
    assert table["n"].dtype == np.int64


def test_intervals_are_clipped_to_what_the_kpi_can_take() -> None:
    """A share near 1 from three replications: the t-interval passes 100%, the summary not."""
    frame = pd.DataFrame({"fill_rate": [0.99, 1.0, 0.96], "csat_mean": [1.1, 1.0, 1.4],
                          "total_cost": [10.0, 11.0, 30.0]})
    kpis = list(frame.columns)
    raw = summarize(frame, kpis).set_index("kpi")
    assert raw.loc["fill_rate", "ci_high"] > 1 and raw.loc["csat_mean", "ci_low"] < 1
    assert raw.loc["total_cost", "ci_low"] < 0
    clipped = summarize(frame, kpis, bounds={k: KPI_BY_NAME[k].bounds for k in kpis}
                        ).set_index("kpi")
    assert clipped.loc["fill_rate", "ci_high"] == 1.0
    assert clipped.loc["csat_mean", "ci_low"] == 1.0 and clipped.loc["total_cost", "ci_low"] == 0
    assert (clipped["half_width"] == raw["half_width"]).all()  # precision rules are unchanged
    assert (clipped["ci_low"] <= clipped["mean"]).all() and (
        clipped["mean"] <= clipped["ci_high"]).all()


# --------------------------------------------------------------------------- paired_difference


def test_paired_difference_detects_known_shift_with_crn() -> None:
    common = rng(11).normal(100.0, 10.0, 20)  # shared randomness between the two scenarios
    a = common + rng(12).normal(0, 0.5, 20)
    b = common + 1.5 + rng(13).normal(0, 0.5, 20)
    res = paired_difference(a, b)
    d = b - a
    low, high = sps.t.interval(0.95, 19, loc=d.mean(), scale=sps.sem(d))
    assert res.diff == pytest.approx(d.mean()) and res.n == 20
    assert (res.diff_ci_low, res.diff_ci_high) == pytest.approx((low, high))
    assert res.diff_ci_low < 1.5 < res.diff_ci_high and res.significant
    assert res.variance_reduction == pytest.approx(
        1 - d.var(ddof=1) / (a.var(ddof=1) + b.var(ddof=1))
    )
    assert res.variance_reduction > 0.95
    assert (res.mean_a, res.mean_b) == pytest.approx((a.mean(), b.mean()))


def test_paired_difference_agrees_with_scipy_ttest_and_edge_cases() -> None:
    for seed in range(20):
        a, b = rng(seed).normal(0, 1, (2, 8))
        res = paired_difference(a, b)
        assert res.significant == (sps.ttest_rel(b, a).pvalue < 0.05)
    res = paired_difference([1.0, 2.0, math.nan], [2.0, math.nan, 5.0])
    assert res.n == 1 and not res.significant and math.isnan(res.variance_reduction)
    same = paired_difference([3.0, 3.0, 3.0], [3.0, 3.0, 3.0])
    assert not same.significant and math.isnan(same.variance_reduction)
    with pytest.raises(ValueError):
        paired_difference([1.0, 2.0], [1.0])


# --------------------------------------------------------------------------- judge_target


def iv(mean: float, low: float, high: float) -> Interval:
    return Interval(mean, 1.0, low, high, 10, (high - low) / 2)


@pytest.mark.parametrize(
    ("interval", "direction", "met", "status"),
    [
        (iv(0.85, 0.82, 0.88), "at_least", True, "met"),
        (iv(0.82, 0.78, 0.86), "at_least", True, "not significant"),
        (iv(0.78, 0.74, 0.82), "at_least", False, "not significant"),
        (iv(0.70, 0.65, 0.75), "at_least", False, "missed"),
        (iv(0.70, 0.65, 0.75), "at_most", True, "met"),
        (iv(0.85, 0.82, 0.88), "at_most", False, "missed"),
        (iv(0.81, 0.79, 0.83), "at_most", False, "not significant"),
        (iv(0.80, 0.80, 0.80), "at_least", True, "met"),
        (iv(0.80, 0.80, 0.80), "at_most", True, "met"),
        (Interval(0.9, math.nan, math.nan, math.nan, 1, math.nan), "at_least", True,
         "not significant"),
        (Interval(math.nan, math.nan, math.nan, math.nan, 0, math.nan), "at_least", False,
         "no data"),
    ],
)
def test_judge_target(interval: Interval, direction: str, met: bool, status: str) -> None:
    judgement = judge_target(interval, 0.8, direction)  # type: ignore[arg-type]
    assert (judgement.met, judgement.status, judgement.target) == (met, status, 0.8)


# --------------------------------------------------------------------------- mser5


def test_mser5_finds_planted_transient() -> None:
    x = rng(5).normal(0.0, 1.0, 1000)
    x[:100] += 5.0
    assert 80 <= mser5(x) <= 150
    decaying = rng(6).normal(0.0, 1.0, 2000) + 8.0 * np.exp(-np.arange(2000) / 60.0)
    assert 100 <= mser5(decaying) <= 600


def test_mser5_keeps_stationary_data_and_short_series() -> None:
    x = rng(8).normal(0.0, 1.0, 1000)
    cut = mser5(x)
    assert cut % 5 == 0 and cut <= 500
    assert mser5([1.0, 2.0, 3.0]) == 0
    with pytest.raises(ValueError):
        mser5([1.0, math.nan] * 10)


def test_mser5_matches_brute_force_definition() -> None:
    x = rng(9).normal(0.0, 1.0, 303) + np.linspace(3, 0, 303)
    z = x[:300].reshape(60, 5).mean(axis=1)
    stat = [((z[d:] - z[d:].mean()) ** 2).sum() / (60 - d) ** 2 for d in range(31)]
    assert mser5(x) == 5 * int(np.argmin(stat))


# --------------------------------------------------------------------------- Welford


def test_welford_matches_numpy_and_t_interval() -> None:
    x = rng(4).normal(3.0, 2.0, 50)
    acc = Welford()
    assert acc.n == 0 and math.isnan(acc.mean) and math.isnan(acc.variance)
    for value in x:
        acc.add(float(value))
    acc.add(math.nan)
    assert acc.n == 50
    assert acc.mean == pytest.approx(x.mean(), rel=1e-12)
    assert acc.variance == pytest.approx(x.var(ddof=1), rel=1e-10)
    assert acc.half_width() == pytest.approx(t_interval(x).half_width, rel=1e-10)
