"""A window of a run judged beside the whole horizon (`run --window`, the Results page's days) and
the bottleneck panel: per-SKU fill rates that add up to the fill rate, the rules of what binds,
and the explorer showing both from one run."""

from __future__ import annotations

import dataclasses
import json
import math
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from sim.cli import main
from sim.experiments.bottlenecks import BUSY, bottlenecks, sku_fill_rates
from sim.experiments.replicate import RunResult, replicate
from sim.experiments.windows import (
    date_of,
    day_of,
    event_windows,
    measured_days,
    window_problem,
    window_summary,
)
from sim.output.bottleneck_view import bottleneck_rows, bottleneck_sentence
from sim.output.kpi_view import kpi_rows
from sim.output.window import WINDOW_COLUMNS
from sim.scenario.loader import load_scenario

ROOT = Path(__file__).resolve().parents[1]
TINY = ROOT / "tests" / "data" / "app" / "tiny.yaml"


@pytest.fixture(scope="module")
def run() -> RunResult:
    return replicate(load_scenario(TINY), 3, workers=1)


def test_measured_days_are_the_ledgers_days() -> None:
    for warmup, horizon in ((1.0, 7.0), (1.5, 2.25), (0.0, 3.0), (2.25, 1.0)):
        scenario = load_scenario(TINY, [f"warmup_days={warmup}", f"horizon_days={horizon}"])
        result = replicate(scenario, 1, workers=1)
        days = result.ledger.days
        assert measured_days(scenario) == (int(days[0]), int(days[-1])), (warmup, horizon)


def test_event_windows_are_the_days_an_event_touches_inside_the_run() -> None:
    events = ", ".join(f"{{name: {n}, start_day: {s}, days: {d}, multiplier: 1.5}}"
                       for n, s, d in (("a", 3, 2), ("b", 6.5, 9), ("c", 20, 2), ("d", 0, 1.5)))
    scenario = load_scenario(TINY, [f"demand.events=[{events}]"])
    # measured days 1..7: b is cut at the horizon, c lies outside, d starts in the warm-up.
    assert event_windows(scenario) == [("a", 3, 4), ("b", 6, 7), ("d", 1, 1)]


def test_a_window_outside_the_measured_days_is_refused() -> None:
    scenario = load_scenario(TINY)
    assert window_problem(scenario, 1, 7) is None
    assert "outside the measured days 1 to 7" in str(window_problem(scenario, 0, 4))
    assert "after its end" in str(window_problem(scenario, 5, 4))


def test_run_window_writes_the_window_beside_the_horizon(tmp_path: Path,
                                                         capsys: pytest.CaptureFixture[str]
                                                         ) -> None:
    out = tmp_path / "w"
    assert main(["run", str(TINY), "--reps", "3", "--workers", "1", "--window", "3:4",
                 "--out", str(out)]) == 0
    printed = capsys.readouterr().out
    assert "days 3-4" in printed and "whole horizon" in printed
    assert "missed in the window" in printed or "met in the window" in printed
    table = pd.read_csv(out / "window_summary.csv")
    assert list(table.columns) == list(WINDOW_COLUMNS)
    result = replicate(load_scenario(TINY), 3, workers=1)
    expected = window_summary(result, 3, 4)
    got = table.set_index("kpi")
    for row in expected.summary.to_dict("records"):
        kpi = str(row["kpi"])
        assert got.loc[kpi, "first_day"] == 3 and got.loc[kpi, "last_day"] == 4
        if not math.isnan(row["mean"]):
            assert got.loc[kpi, "mean"] == pytest.approx(row["mean"], rel=1e-12)
    horizon = result.summary.set_index("kpi")["mean"]
    assert got.loc["service_level", "horizon_mean"] == pytest.approx(horizon["service_level"])
    assert got.loc["service_level", "status"] == expected.targets["service_level"].status
    assert got.loc["service_level", "horizon_status"] == result.targets["service_level"].status
    summary = json.loads((out / "summary.json").read_text())
    block = summary["window"]
    assert (block["first_day"], block["last_day"], block["days"]) == (3, 4, 2)
    assert block["targets"]["service_level"]["status"] == expected.targets["service_level"].status
    assert set(block["kpis"]) == set(summary["kpis"])
    manifest = json.loads((out / "manifest.json").read_text())
    assert "window_summary.csv" in json.dumps(manifest)


@pytest.mark.parametrize("spec", ["0:4", "5:4", "3-4", "a:b", "3:99"])
def test_a_bad_window_is_exit_2_and_writes_nothing(spec: str, tmp_path: Path,
                                                   capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "w"
    assert main(["run", str(TINY), "--reps", "1", "--workers", "1", "--window", spec,
                 "--out", str(out), "--quiet"]) == 2
    assert "--window" in capsys.readouterr().err
    assert not out.exists()


def test_sku_fill_rates_add_up_to_the_fill_rate(run: RunResult) -> None:
    """Requests and requests met from stock per SKU, summed over SKUs, are the fill rate's
    numerator and denominator: over the horizon and over a window."""
    daily = run.daily
    skus = [c.removeprefix("part_requests_") for c in daily if c.startswith("part_requests_")]
    assert skus == [s.sku for s in run.scenario.parts.skus]  # type: ignore[union-attr]
    for first, last, fill in ((1, 7, run.replications.set_index("rep")["fill_rate"]),
                              (3, 4, window_summary(run, 3, 4).replications
                               .set_index("rep")["fill_rate"])):
        days = daily[(daily["day"] >= first) & (daily["day"] <= last)].groupby("rep").sum()
        asked = sum(days[f"part_requests_{s}"] for s in skus)
        met = sum(days[f"from_stock_{s}"] for s in skus)
        assert np.allclose((met / asked).to_numpy(float), fill.to_numpy(float), rtol=0,
                           atol=1e-12)
        per_sku = sku_fill_rates(daily, first, last).set_index("rep")
        for sku in skus:
            asked_sku = days[f"part_requests_{sku}"].to_numpy(float)
            expected = np.where(asked_sku > 0,
                                days[f"from_stock_{sku}"].to_numpy(float)
                                / np.where(asked_sku > 0, asked_sku, 1), np.nan)
            assert np.allclose(per_sku[sku].to_numpy(float), expected, equal_nan=True)


def _with(run: RunResult, means: dict[str, float], from_stock: dict[str, float]) -> RunResult:
    """The run with some KPI means set by hand and a share of each SKU's requests met."""
    summary = run.summary.copy()
    for kpi, mean in means.items():
        summary.loc[summary["kpi"] == kpi, ["mean", "ci_low", "ci_high"]] = [mean, mean, mean]
    daily = run.daily.copy()
    for sku, share in from_stock.items():
        daily[f"part_requests_{sku}"] = 100
        daily[f"from_stock_{sku}"] = int(100 * share)
    return dataclasses.replace(run, summary=summary, daily=daily)


def test_what_binds_by_hand(run: RunResult) -> None:
    """A crew binds from 85% busy, a stock below the fill-rate target (0.9 in tiny.yaml);
    crews rank busiest first, stocks lowest fill rate first."""
    case = _with(run, {"technician_utilization": BUSY, "agent_utilization": BUSY - 0.001,
                       "specialist_utilization": 0.5}, {"pump": 0.95, "valve": 0.89})
    table = bottlenecks(case).table
    crews = table[table["kind"] == "crew"]
    assert list(crews["resource"]) == ["technicians", "agents", "specialists"]
    assert list(crews["binding"]) == [True, False, False]
    stocks = table[table["kind"] == "stock"]
    assert list(stocks["resource"]) == ["valve", "pump"]
    assert list(stocks["binding"]) == [True, False]
    assert list(stocks["mean"]) == pytest.approx([0.89, 0.95])
    assert "depot" not in set(table["resource"])  # tiny has no depot: no row, no "None"
    sentence = bottleneck_sentence(bottlenecks(case))
    assert "**Field technicians** 85.0% busy" in sentence
    assert "**Stock: valve** fill rate 89.0% (target 90.0%)" in sentence


def test_the_panel_speaks_in_labels_and_percentages(run: RunResult) -> None:
    rows = bottleneck_rows(bottlenecks(run, window_summary(run, 3, 4)))
    text = rows.to_string()
    for raw in ("None", "nan", "_utilization", "fill_rate"):
        assert raw not in text
    assert not set(rows["Resource"]) & {"agents", "specialists", "technicians", "depot"}
    assert "Call-center agents" in set(rows["Resource"])
    assert all(v.endswith("%") for v in rows["Value"])


def test_the_kpi_table_shows_units_and_no_raw_numbers(run: RunResult) -> None:
    window = window_summary(run, 3, 4)
    rows = kpi_rows(window.summary, window.targets, "EUR", run.summary, run.targets)
    assert "None" not in rows.to_string() and "currency" not in rows.to_string()
    assert (rows["Unit"] != "").all()
    total = rows.set_index("KPI").loc["Total cost"]
    assert total["Unit"] == "EUR" and total["Mean"].endswith(" EUR")
    assert "Revenue" not in set(rows["KPI"])  # not measured without a revenue section
    assert list(rows.columns[-2:]) == ["Whole horizon", "Whole horizon: status"]


def test_a_window_of_dates_is_the_same_days(tmp_path: Path,
                                            capsys: pytest.CaptureFixture[str]) -> None:
    """Once a scenario has a start_date, --window takes dates: day 0 is start_date."""
    scenario = load_scenario(TINY)
    first, last = (date_of(scenario, d).isoformat() for d in (3, 4))
    out = tmp_path / "d"
    assert main(["run", str(TINY), "--reps", "2", "--workers", "1", "--window",
                 f"{first}:{last}", "--out", str(out)]) == 0
    printed = capsys.readouterr().out
    assert f"window: days 3-4, {first} to {last} (2 days)" in printed
    block = json.loads((out / "summary.json").read_text())["window"]
    assert (block["first_day"], block["last_day"]) == (3, 4)
    assert day_of(scenario, scenario.start_date) == 0
    bad = tmp_path / "bad"
    assert main(["run", str(TINY), "--reps", "1", "--workers", "1", "--window",
                 f"{first}:2027-02-30", "--out", str(bad), "--quiet"]) == 2
    assert "does not exist" in capsys.readouterr().err
    assert not bad.exists()
