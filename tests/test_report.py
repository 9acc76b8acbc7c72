"""The explorer's files: byte-identical for the same run and date, complete, and readable.

Covers `sim.output.report` (charts, CSV, PDF report, budget pack), the theory panel
(`sim.output.theory_panel`) and the sweep frontier (`sim.explorer.figures`), all without Streamlit.
"""

from __future__ import annotations

import io
import math
import re
import zipfile
from datetime import date
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from sim.experiments.replicate import RunResult, replicate
from sim.explorer.figures import frontier_figure
from sim.output import numbers, report
from sim.output.charts.style import figure_bytes
from sim.output.export import run_files
from sim.output.saved import SavedRun, saved_run_from_files
from sim.output.theory_panel import erlang_c_by_hour_of_week, simulated_daily_mean, theory_figure
from sim.scenario.loader import load_scenario, load_scenario_text
from sim.theory.queues import erlang_c_metrics

ROOT = Path(__file__).resolve().parents[1]
TINY = ROOT / "tests" / "data" / "app" / "tiny.yaml"
MINIMAL = ROOT / "tests" / "data" / "minimal.yaml"
DAY = date(2026, 11, 30)


@pytest.fixture(scope="module")
def run() -> RunResult:
    return replicate(load_scenario(TINY), workers=1)


@pytest.fixture(scope="module")
def saved(run: RunResult) -> SavedRun:
    """The run as its results folder holds it: what the pack is built from."""
    return saved_run_from_files(run_files(run))


@pytest.fixture(scope="module")
def pdf(saved: SavedRun) -> bytes:
    return report.report_pdf(saved, DAY)


def test_pdf_report_is_byte_identical_and_complete(run: RunResult, pdf: bytes) -> None:
    first = pdf
    assert first == report.report_pdf(saved_run_from_files(run_files(run)), DAY)
    assert first.startswith(b"%PDF-")
    expected = len(report.report_pages(run, DAY))
    assert len(re.findall(rb"/Type\s*/Page\b(?!s)", first)) == expected
    assert expected >= 3 + len(report.chart_stems(run.scenario))
    assert b"Budget pack: tiny" in first  # the title in the metadata
    assert b"CreationDate" not in first and b"ModDate" not in first
    for page in report.report_pages(run, DAY):  # every page names the scenario and the date
        assert any("tiny" in t.get_text() and DAY.isoformat() in t.get_text()
                   for t in page.texts)


def test_charts_are_byte_stable_titled_and_dated(run: RunResult) -> None:
    figures = report.explorer_figures(run, DAY)
    assert list(figures) == report.chart_stems(run.scenario)
    for stem, fig in figures.items():
        texts = " ".join(t.get_text() for t in fig.texts)
        assert fig.get_suptitle(), stem
        assert "Scenario: tiny" in texts and DAY.isoformat() in texts, stem
        for ax in fig.axes:
            if ax.get_visible() and ax.has_data():
                assert ax.get_xlabel() or ax.get_ylabel(), stem  # units are on the axes
        note = next(t for t in fig.texts if tuple(t.get_position()) == report.FOOTNOTE_AT)
        fig.draw_without_rendering()
        assert note.get_window_extent().x1 <= fig.bbox.x1, stem  # the footnote is not cut
    for fmt in ("svg", "pdf"):
        stem = "service_level_per_day"
        assert report.chart_bytes(run, stem, fmt, DAY) == report.chart_bytes(run, stem, fmt, DAY)
    assert report.chart_bytes(run, "cost_per_department", "png", DAY).startswith(b"\x89PNG")


def test_budget_pack_holds_report_tables_and_scenario(run: RunResult, saved: SavedRun,
                                                       pdf: bytes) -> None:
    pack = report.budget_pack(saved, DAY)
    assert pack == report.budget_pack(saved_run_from_files(run_files(run)), DAY)
    with zipfile.ZipFile(io.BytesIO(pack)) as zf:
        names = zf.namelist()
        assert names[:4] == ["README.txt", "report.pdf", "scenario.yaml", "summary.json"]
        assert {f"tables/{t}.csv" for t in report.result_tables(run)} <= set(names)
        assert zf.read("report.pdf") == pdf
        scenario = load_scenario_text(zf.read("scenario.yaml").decode(), "scenario.yaml")
        assert scenario == run.scenario  # reruns to the same numbers with the CLI
        kpis = pd.read_csv(io.BytesIO(zf.read("tables/kpis.csv")))
        assert {"kpi", "mean", "ci_low", "ci_high", "target", "status"} <= set(kpis.columns)
        assert set(kpis.dropna(subset=["target"])["kpi"]) == set(run.scenario.targets)
        budget = pd.read_csv(io.BytesIO(zf.read("tables/budget.csv")))
        pd.testing.assert_frame_equal(budget, run.budget, check_dtype=False)
        assert all(i.date_time == (2026, 11, 30, 0, 0, 0) for i in zf.infolist())


def test_kpi_table_and_formats(run: RunResult) -> None:
    table = numbers.kpi_table(run)
    row = table.set_index("kpi").loc["service_level"]
    assert row["status"] == run.targets["service_level"].status
    assert row["direction"] == "at_least" and row["unit"] == "share"
    assert numbers.format_value(0.9481, "share", "EUR") == "94.8%"
    assert numbers.format_value(1050078.2, "currency", "EUR") == "1,050,078 EUR"
    assert numbers.format_value(12.34, "s", "EUR") == "12.3 s"
    assert numbers.format_value(math.nan, "h", "EUR") == "n/a"
    assert numbers.format_target(0.05, "at_most", "share", "EUR") == "≤ 5.0%"
    assert numbers.format_interval(0.939, 0.9501, "share", "EUR") == "93.9–95.0%"
    assert numbers.format_interval(2.31, 2.9, "s", "EUR") == "2.3–2.9 s"
    assert numbers.headline_kpis(run)[:4] == list(run.scenario.targets)


def test_theory_matches_erlang_c_hour_by_hour() -> None:
    scenario = load_scenario(MINIMAL)  # 200 calls a day, flat, 5 agents, 6 minutes each
    theory = erlang_c_by_hour_of_week(scenario)
    assert len(theory) == 168
    rate = 200 / 24
    np.testing.assert_allclose(theory["offered_calls_per_hour"], rate)
    expected = erlang_c_metrics(rate, 6.0, 5, 20.0).service_level
    np.testing.assert_allclose(theory["erlang_c_service_level"], expected)
    business = erlang_c_by_hour_of_week(load_scenario(TINY))
    closed = business["offered_calls_per_hour"] == 0
    assert closed.any() and business.loc[closed, "erlang_c_service_level"].isna().all()


def test_theory_panel_shows_both_sides(run: RunResult) -> None:
    theory = erlang_c_by_hour_of_week(run.scenario)
    mean = simulated_daily_mean(run)
    assert 0.0 < mean.mean <= 1.0 and mean.n == len(run.replications)
    fig = theory_figure(theory, "tiny", 20.0, 0.8, simulated_mean=mean)
    labels = fig.axes[0].get_legend_handles_labels()[1]
    assert labels[0].startswith("Erlang C") and labels[1].startswith("Simulated")
    styles = {line.get_linestyle() for line in fig.axes[0].get_lines()[:2]}
    assert len(styles) == 2  # told apart without colour
    assert figure_bytes(fig, "svg") == figure_bytes(
        theory_figure(theory, "tiny", 20.0, 0.8, simulated_mean=mean), "svg")


def test_frontier_marks_the_cheapest_feasible_point() -> None:
    rows = []
    for i, (level, cost, ok) in enumerate([(0.6, 100.0, False), (0.85, 120.0, True),
                                           (0.95, 150.0, True)], start=1):
        for kpi, mean in (("service_level", level), ("total_cost", cost)):
            rows.append({"point": f"p{i}", "agents": i + 1, "kpi": kpi, "mean": mean,
                         "ci_low": mean * 0.97, "ci_high": mean * 1.03, "meets_targets": ok})
    summary = pd.DataFrame(rows)
    fig = frontier_figure(summary, "agents", "p2", "tiny-sweep", "EUR", target=0.8)
    labels = fig.axes[0].get_legend_handles_labels()[1]
    assert any("Cheapest" in label and "p2" in label for label in labels)
    assert "Target 80%" in labels
    assert figure_bytes(fig, "svg") == figure_bytes(
        frontier_figure(summary, "agents", "p2", "tiny-sweep", "EUR", target=0.8), "svg")
