"""Warm-up suggestion (``sim.experiments.warmup``) and ``aftersales-sim warmup``.

The scenario starts empty: no stock, and the first order (the whole base-stock level) takes ten
days to arrive, so work orders pile up waiting for parts for ten days, then the backlog is
served at once and the system settles. The suggestion must cover the build-up (at least the
ten days) and stay well inside the first half of the run, where MSER-5 searches.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from sim.cli import main
from sim.experiments.executors import SerialExecutor
from sim.experiments.warmup import WarmupResult, suggest_warmup, truncation_day
from sim.scenario.format import Scenario
from sim.scenario.loader import scenario_to_yaml

LEAD_DAYS = 10
SEED = 2


def backlog_scenario() -> Scenario:
    return Scenario.model_validate({
        "name": "warmup-backlog", "replications": 8, "warmup_days": 5.0, "horizon_days": 85.0,
        "demand": {"contacts_per_day": 20, "mix": {"repair": 1.0},
                   "weekly_profile": "flat", "hourly_profile": "flat"},
        "call_center": {"agents": 20, "handle_minutes": {"repair": 0}},
        "field_service": {"technicians": 50,
                          "repair_minutes": {"dist": "exponential", "mean": 60}},
        "parts": {"need_probability": 1.0,
                  "skus": [{"sku": "board", "share": 1.0, "unit_cost": 50, "initial_on_hand": 0,
                            "policy": {"type": "base_stock", "level": 400},
                            "lead_time_days": LEAD_DAYS}]},
    })


@pytest.fixture(scope="module")
def backlog_result() -> WarmupResult:
    return suggest_warmup(backlog_scenario(), seed=SEED, executor=SerialExecutor())


def test_suggestion_covers_the_build_up(backlog_result: WarmupResult) -> None:
    run_days = 90
    assert backlog_result.scenario.warmup_days == 0
    assert backlog_result.scenario.horizon_days == run_days  # same total length, all measured
    assert LEAD_DAYS <= backlog_result.suggested_days < run_days / 2
    assert backlog_result.truncation_days["open_work_orders"] >= LEAD_DAYS
    assert set(backlog_result.truncation_days) == {"service_level", "open_work_orders",
                                                   "on_hand_board"}
    assert backlog_result.suggested_days == max(backlog_result.truncation_days.values())
    series = backlog_result.series
    assert list(series["day"]) == list(range(run_days))
    assert series["open_work_orders"].iloc[LEAD_DAYS - 1] > 100  # the backlog built up
    assert series["on_hand_board"].iloc[0] == 0


def test_truncation_day_skips_undefined_days() -> None:
    days = np.arange(40.0)
    values = np.r_[np.full(10, 50.0), np.ones(30)]
    assert truncation_day(days, values) == 10
    gappy = values.copy()
    gappy[[2, 5]] = np.nan  # e.g. days without calls: dropped, but still counted as days
    assert truncation_day(days, gappy) == 12  # the 10th kept value is day 12
    assert truncation_day(days, np.ones(40)) == 0


def test_cli_writes_the_warmup_folder(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    file = tmp_path / "s.yaml"
    scenario = backlog_scenario().model_copy(update={"horizon_days": 35.0})
    file.write_text(scenario_to_yaml(scenario), encoding="utf-8")
    out = tmp_path / "out"
    assert main(["warmup", str(file), "--reps", "3", "--seed", str(SEED), "--workers", "1",
                 "--out", str(out)]) == 0
    printed = capsys.readouterr().out
    doc = json.loads((out / "warmup.json").read_text())
    assert f"suggested warmup_days: {doc['suggested_warmup_days']}" in printed
    assert doc["suggested_warmup_days"] == max(doc["truncation_days"].values()) > 0
    table = pd.read_csv(out / "warmup.csv")
    assert list(table.columns) == ["day", "service_level", "open_work_orders", "on_hand_board"]
    assert len(table) == 40
    assert (out / "charts" / "warmup.png").is_file()
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["suggested_warmup_days"] == doc["suggested_warmup_days"]
    assert manifest["replications"] == 3


def test_cli_bad_input_exits_2(tmp_path: Path) -> None:
    file = tmp_path / "s.yaml"
    file.write_text(scenario_to_yaml(backlog_scenario()), encoding="utf-8")
    out = tmp_path / "out"
    assert main(["warmup", str(file), "--reps", "0", "--out", str(out)]) == 2
    assert main(["warmup", str(tmp_path / "missing.yaml"), "--out", str(out)]) == 2
    assert main(["warmup", str(file), "--set", "horizon_days=-1", "--out", str(out)]) == 2
    assert not out.exists()
