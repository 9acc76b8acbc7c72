"""Chart builders run on small synthetic tables; figure bytes are reproducible."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import pandas as pd
import pytest
from matplotlib.figure import Figure
from matplotlib.patches import Rectangle

from sim.i18n.formats import WEEKDAYS
from sim.measure.stats import mean_ci
from sim.output.charts import run as charts
from sim.output.charts import style as chart_style

SCENARIO = "baseline-test"
REPS = 3
DAYS = 6


@pytest.fixture(scope="module")
def daily() -> pd.DataFrame:
    rng = np.random.default_rng(0)
    rows = [
        {
            "rep": rep,
            "day": day,
            "service_level": float(np.clip(0.8 + 0.05 * rng.standard_normal(), 0, 1)),
            "open_work_orders": 30 + rng.normal(0, 3),
            "jobs_waiting_parts": 5 + rng.normal(0, 1),
            "on_hand_PUMP": 20 + rng.normal(0, 2),
            "on_hand_VALVE": 8 + rng.normal(0, 1),
        }
        for rep in range(REPS)
        for day in range(1, DAYS + 1)
    ]
    return pd.DataFrame(rows)


@pytest.fixture(scope="module")
def hourly() -> pd.DataFrame:
    hours = np.arange(168)
    open_hours = ((hours % 24) >= 8) & ((hours % 24) < 18) & (hours < 120)
    return pd.concat(
        pd.DataFrame(
            {
                "rep": rep,
                "hour_of_week": hours,
                "offered_per_hour": np.where(open_hours, 20.0 + rep, 0.0),
                "staffed_agents": np.where(open_hours, 4, 0),
            }
        )
        for rep in range(REPS)
    )


@pytest.fixture(scope="module")
def wait_hist() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "bin_low_seconds": [0.0, 10.0, 20.0, 60.0],
            "bin_high_seconds": [10.0, 20.0, 60.0, np.inf],
            "count": [50, 20, 10, 3],
        }
    )


@pytest.fixture(scope="module")
def turnaround_hist() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "bin_low_hours": [0.0, 24.0, 48.0, 96.0],
            "bin_high_hours": [24.0, 48.0, 96.0, np.inf],
            "count": [10, 30, 15, 2],
        }
    )


@pytest.fixture(scope="module")
def budget() -> pd.DataFrame:
    rows = [
        {"month": m, "department": d, "mean": base * m, "ci_low": base * m * 0.9,
         "ci_high": base * m * 1.1}
        for m in (1, 2, 3)
        for d, base in (("call center", 1000.0), ("field service", 2500.0), ("parts", 700.0))
    ]
    return pd.DataFrame(rows)


def _footnote(fig: Figure) -> str:
    return " ".join(t.get_text() for t in fig.texts)


def _check(fig: Figure, *words: str) -> None:
    assert isinstance(fig, Figure)
    title = fig.get_suptitle()
    assert title
    for word in words:
        assert word.lower() in title.lower(), (word, title)
    assert SCENARIO in _footnote(fig)
    for ax in fig.axes:
        if ax.get_visible() and ax.get_ylabel():
            assert "(" in ax.get_ylabel(), "y label needs a unit"


def test_service_level_per_day(daily: pd.DataFrame) -> None:
    fig = charts.service_level_per_day(daily, 0.8, 20, SCENARIO)
    _check(fig, "service level", "20 s")
    ax = fig.axes[0]
    assert "20 s" in ax.get_ylabel()
    assert any(line.get_label() == "Target 80%" for line in ax.get_lines())


def test_daily_kpi_band_generic(daily: pd.DataFrame) -> None:
    fig = charts.daily_kpi_band(
        daily, "open_work_orders", "Open orders (count)", "Open orders per day", SCENARIO,
        target=25, stamp="run 17",
    )
    _check(fig, "open orders")
    assert "run 17" in _footnote(fig)


def test_offered_vs_staffed(hourly: pd.DataFrame) -> None:
    fig = charts.offered_vs_staffed(hourly, SCENARIO)
    _check(fig, "offered", "staffed")
    ax = fig.axes[0]
    minor = [t.get_text() for t in ax.get_xticklabels(minor=True)]
    assert minor == list(WEEKDAYS)
    assert list(ax.get_xticks()) == list(range(0, 169, 24))


def test_wait_distribution_overflow(wait_hist: pd.DataFrame) -> None:
    fig = charts.wait_distribution(wait_hist, 20, SCENARIO)
    _check(fig, "wait")
    ax = fig.axes[0]
    texts = [t.get_text() for t in ax.texts]
    assert ">= 60 s" in texts
    heights = [p.get_height() for p in ax.patches if isinstance(p, Rectangle)]
    assert sum(heights) == pytest.approx(1.0)


def test_backlog_per_day_lines_differ_in_style(daily: pd.DataFrame) -> None:
    fig = charts.backlog_per_day(daily, SCENARIO)
    _check(fig, "backlog")
    lines = [ln for ln in fig.axes[0].get_lines() if not str(ln.get_label()).startswith("_")]
    assert len({ln.get_linestyle() for ln in lines}) == len(lines) == 2
    assert len({ln.get_marker() for ln in lines}) == 2


def test_stock_per_sku_panels(daily: pd.DataFrame) -> None:
    fig = charts.stock_per_sku(daily, {"PUMP": 12.0, "VALVE": None}, SCENARIO)
    _check(fig, "stock")
    panels = [ax for ax in fig.axes if ax.get_visible()]
    assert [ax.get_title() for ax in panels] == ["PUMP", "VALVE"]
    labels = [[str(ln.get_label()) for ln in ax.get_lines()] for ax in panels]
    assert "Reorder point 12" in labels[0]
    assert not any(lbl.startswith("Reorder") for lbl in labels[1])


def test_stock_per_sku_needs_sku_columns() -> None:
    with pytest.raises(ValueError, match="on_hand_"):
        charts.stock_per_sku(pd.DataFrame({"rep": [0], "day": [1]}), {}, SCENARIO)


def test_turnaround_distribution(turnaround_hist: pd.DataFrame) -> None:
    fig = charts.turnaround_distribution(turnaround_hist, {"onsite": 48, "depot": 96}, SCENARIO)
    _check(fig, "turnaround")
    labels = [ln.get_label() for ln in fig.axes[0].get_lines()]
    assert "Promised onsite: 48 h" in labels and "Promised depot: 96 h" in labels


def test_cost_per_department_hatches_and_totals(budget: pd.DataFrame) -> None:
    fig = charts.cost_per_department(budget, "EUR", SCENARIO)
    _check(fig, "cost", "department")
    ax = fig.axes[0]
    assert "EUR" in ax.get_ylabel()
    hatches = {p.get_hatch() for p in ax.patches}
    assert len(hatches) == 3  # one per department, so it reads without colour
    totals = [t.get_text() for t in ax.texts]
    assert totals == ["4,200", "8,400", "12,600"]


def test_missing_column_names_chart(daily: pd.DataFrame) -> None:
    with pytest.raises(ValueError, match="missing columns"):
        charts.backlog_per_day(daily.drop(columns=["jobs_waiting_parts"]), SCENARIO)


def test_single_replication_has_no_band(daily: pd.DataFrame) -> None:
    one = daily[daily["rep"] == 0]
    ci = mean_ci(one, "day", "service_level")
    assert ci["low"].isna().all()
    fig = charts.service_level_per_day(one, None, 20, SCENARIO)
    assert "no CI" in _footnote(fig)


def test_mean_ci_matches_t_interval() -> None:
    df = pd.DataFrame({"day": [1, 1, 1], "x": [1.0, 2.0, 3.0]})
    row = mean_ci(df, "day", "x").iloc[0]
    half = 4.302652729911275 * 1.0 / np.sqrt(3)  # t(0.975, 2) * s / sqrt(n)
    assert row["mean"] == 2.0
    assert row["high"] - row["mean"] == pytest.approx(half)


def _cost_figure() -> Figure:
    budget = pd.DataFrame(
        {"month": [1, 1, 2, 2], "department": ["a", "b", "a", "b"],
         "mean": [1.0, 2.0, 3.0, 4.0], "ci_low": [0.5] * 4, "ci_high": [5.0] * 4}
    )
    return charts.cost_per_department(budget, "EUR", SCENARIO)


@pytest.mark.parametrize(
    ("fmt", "magic"), [("png", b"\x89PNG\r\n\x1a\n"), ("svg", b"<?xml"), ("pdf", b"%PDF")]
)
def test_figure_bytes_deterministic(fmt: chart_style.ImageFormat, magic: bytes) -> None:
    build: Callable[[], Figure] = _cost_figure
    fig = build()
    first = chart_style.figure_bytes(fig, fmt)
    assert first.startswith(magic)
    assert chart_style.figure_bytes(fig, fmt) == first
    # A freshly built figure from the same data must match too (no ids, dates or salts).
    assert chart_style.figure_bytes(build(), fmt) == first


def test_figure_bytes_rejects_unknown_format() -> None:
    with pytest.raises(ValueError, match="unsupported"):
        chart_style.figure_bytes(_cost_figure(), "jpg")  # type: ignore[arg-type]


def test_late_drivers_stack_the_causes_per_replication_and_their_mean() -> None:
    from sim.output.charts.lateness import late_drivers

    causes = ["booking", "dispatch", "travel", "parts", "depot", "rework", "work"]
    hours = {0: [1, 10, 1, 5, 0, 2, 1], 1: [1, 20, 1, 5, 0, 2, 1]}
    late = {0: 10, 1: 30}
    table = pd.DataFrame([{"rep": r, "cause": c, "late_jobs": late[r], "hours": h,
                           "share": h / sum(hours[r])}
                          for r in hours for c, h in zip(causes, hours[r], strict=True)])
    fig = late_drivers(table, SCENARIO)
    bars = [p for p in fig.axes[0].patches if isinstance(p, Rectangle)]
    assert len(bars) == len(causes) * 3  # two replications and their mean
    dispatch = [b.get_height() for b in bars[3:6]]
    # The mean weighs each replication by its late jobs: (10 x 10 + 30 x 20) / 40 = 17.5.
    assert dispatch == pytest.approx([10.0, 20.0, 17.5])
    none = late_drivers(table.assign(late_jobs=0, hours=0.0, share=np.nan), SCENARIO)
    assert isinstance(none, Figure)
