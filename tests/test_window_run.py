"""A window of a run judged beside the whole horizon (`run --window`, the Results page's days) and
the bottleneck panel: per-SKU fill rates that add up to the fill rate, the rules of what binds,
and the explorer showing both from one run."""

from __future__ import annotations

import json
import math
from pathlib import Path

import pandas as pd
import pytest

from sim.cli import main
from sim.experiments.replicate import RunResult, replicate
from sim.experiments.windows import (
    event_windows,
    measured_days,
    window_problem,
    window_summary,
)
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
