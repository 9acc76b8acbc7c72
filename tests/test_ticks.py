"""Chart tick labels never repeat: every chart builder, drawn on data that puts its ticks close
together (the compare chart once showed "0% 0% 1% 1%"), labels each drawn tick differently on
every axis."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from matplotlib.axis import Axis
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from matplotlib.ticker import PercentFormatter

from sim.experiments.replicate import RunResult, replicate
from sim.explorer.figures import frontier_figure
from sim.output.charts import management
from sim.output.charts.experiments import compare_differences_chart, sweep_kpi_chart
from sim.output.charts.optimize import cost_frontier
from sim.output.charts.stress import damage_by_target, stress_daily
from sim.output.charts.style import UniqueFormatter, new_figure, share_axis, thousands_axis
from sim.output.report import explorer_figures
from sim.scenario.loader import load_scenario

ROOT = Path(__file__).resolve().parents[1]
DAY = pd.Timestamp("2026-12-01").date()


def repeated(fig: Figure) -> list[str]:
    """Tick labels drawn twice on one axis, as 'axis: label'."""
    FigureCanvasAgg(fig).draw()
    found = []
    for ax in fig.axes:
        if not ax.get_visible():
            continue
        axes: list[tuple[str, Axis]] = [("x", ax.xaxis), ("y", ax.yaxis)]
        for name, axis in axes:
            lo, hi = sorted(ax.get_xlim() if name == "x" else ax.get_ylim())
            for minor in (False, True):
                labels = [t.get_text() for t, at in zip(
                    axis.get_ticklabels(minor=minor),
                    axis.get_minorticklocs() if minor else axis.get_majorticklocs(),
                    strict=False) if t.get_text() and lo - 1e-9 <= at <= hi + 1e-9]
                twice = sorted({x for x in labels if labels.count(x) > 1})
                found += [f"{ax.get_title() or ax.get_ylabel()} {name}: {x}" for x in twice]
    return found


def test_the_formatter_adds_decimals_only_where_needed() -> None:
    percent = UniqueFormatter(lambda v, d: f"{v * 100:.{d}f}%")
    assert percent.format_ticks([0.0, 0.005, 0.01, 0.015]) == ["0.0%", "0.5%", "1.0%", "1.5%"]
    assert percent.format_ticks([0.0, 0.5, 1.0]) == ["0%", "50%", "100%"]
    fig, (ax,) = new_figure()
    ax.plot([0, 1], [0.001, 0.004])
    ax.yaxis.set_major_formatter(PercentFormatter(xmax=1.0, decimals=0))  # the old look
    assert repeated(fig)  # "0% 0% 0% 0%": the check sees it
    share_axis(ax)
    assert not repeated(fig)
    fig, (ax,) = new_figure()
    ax.plot([0, 1], [1000.2, 1000.6])
    thousands_axis(ax)
    assert not repeated(fig)


@pytest.fixture(scope="module")
def run() -> RunResult:
    return replicate(load_scenario(ROOT / "tests" / "data" / "app" / "tiny.yaml"), 2,
                     workers=1)


def test_run_and_management_charts(run: RunResult) -> None:
    for stem, fig in explorer_figures(run, DAY).items():
        assert not repeated(fig), stem
    register = pd.DataFrame({
        "risk": ["a", "b"], "category": ["market", "legal"], "likelihood_per_year": [0.2, 0.3],
        "impact": [1000.0, 1002.0], "impact_ci_low": [999.0, 1001.0],
        "impact_ci_high": [1001.0, 1003.0], "rank": [2, 1]})
    assert not repeated(management.risk_matrix(register, "EUR", "x"))


def test_experiment_charts_with_close_values() -> None:
    rows = []
    for scenario, shift in (("a", 0.0), ("b", 0.004), ("c", 0.011)):
        for kpi in ("service_level", "total_cost"):
            scale = 1.0 if kpi == "service_level" else 3.0
            rows.append({"scenario": scenario, "kpi": kpi, "diff": shift * scale,
                         "diff_ci_low": (shift - 0.002) * scale,
                         "diff_ci_high": (shift + 0.002) * scale, "significant": shift > 0})
    assert not repeated(compare_differences_chart(pd.DataFrame(rows),
                                                  ["service_level", "total_cost"],
                                                  currency="EUR"))
    summary = pd.DataFrame([{"point": f"p{i}", "agents": i, "kpi": k, "mean": m,
                             "ci_low": m - 0.001, "ci_high": m + 0.001, "n": 3,
                             "meets_targets": True}
                            for i in range(3)
                            for k, m in (("service_level", 0.800 + 0.002 * i),
                                         ("total_cost", 1000.0 + 0.3 * i))])
    assert not repeated(sweep_kpi_chart(summary, ["agents"], "service_level", 0.8, "p1", "s"))
    assert not repeated(frontier_figure(summary, "agents", "p1", "s", "EUR", target=0.8))
    table = pd.DataFrame({"total_cost": [1000.0, 1000.5, 1001.0],
                          "service_level": [0.801, 0.803, 0.805],
                          "service_level_ci_low": [0.800, 0.802, 0.804],
                          "service_level_ci_high": [0.802, 0.804, 0.806],
                          "feasible": [True, True, False], "chosen": [False, True, False]})
    assert not repeated(cost_frontier(table, "service_level", 0.8, True, True, "EUR", "s"))
    days = np.arange(5.0)
    daily = pd.concat([pd.DataFrame({"shock": s, "rep": r, "day": days,
                                     "service_level": 0.9 + 0.001 * days + 0.0005 * r})
                       for s in ("baseline", "x") for r in (0, 1)])
    assert not repeated(stress_daily(daily, "service_level", "Service level (share)",
                                     {"x": (1.0, 2.0)}, "s", target=0.9, share=True))
    damage = pd.DataFrame({"shock": ["x", "y"], "target": ["service_level"] * 2,
                           "broken_days": [1.0, 2.0]})
    assert not repeated(damage_by_target(damage, ["y", "x"], "s"))
