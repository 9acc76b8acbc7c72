"""Sequential replications (``sim.experiments.precision``) and ``aftersales-sim run --precision``.

A stopped run must be the fixed run of the same length (same seeds, same tables), the rule must
stop as soon as the precision is reached and not before the first batch, and an impossible
precision must end at the cap with the wide KPIs named.
"""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any

import pandas as pd
import pytest

from sim.cli import main
from sim.experiments.executors import SerialExecutor
from sim.experiments.precision import FIRST_BATCH, replicate_to_precision, watched_kpis
from sim.experiments.replicate import replicate
from sim.experiments.store import MemoryStore
from sim.scenario.format import Scenario

SEED = 4242


def small_scenario(targets: dict[str, float] | None = None) -> Scenario:
    """An M/M/4 call center over 5 days: a run of one replication takes a few hundredths of a s."""
    data: dict[str, Any] = {
        "name": "precision-small",
        "replications": 4,
        "warmup_days": 0.5,
        "horizon_days": 5,
        "demand": {"contacts_per_day": 600, "mix": {"inquiry": 1.0},
                   "weekly_profile": "flat", "hourly_profile": "flat"},
        "call_center": {"agents": 4,
                        "handle_minutes": {"inquiry": {"dist": "exponential", "mean": 8.0}}},
        "costs": {"agent_per_hour": 20},
    }
    if targets:
        data["targets"] = targets
    return Scenario.model_validate(data)


def rel_half_width(result_summary: pd.DataFrame, kpi: str) -> float:
    return float(result_summary.set_index("kpi").at[kpi, "rel_half_width"])


def test_stops_when_met_and_equals_a_fixed_run() -> None:
    scenario = small_scenario({"service_level": 0.5, "agent_utilization": 0.95})
    relative = 0.02
    result, report = replicate_to_precision(scenario, relative, 200, SEED, SerialExecutor(),
                                            batch=3)
    n = report.replications
    assert report.reason == "precision"
    assert FIRST_BATCH <= n < 200
    assert len(result.replications) == n
    assert set(report.rel_half_widths) == {"service_level", "agent_utilization"}
    threshold = relative / (1 + relative)
    assert report.threshold == pytest.approx(threshold)
    assert all(w <= threshold for w in report.rel_half_widths.values())
    assert report.wide == ()
    # the first n at which the rule holds: one replication fewer misses it for some KPI
    fixed = replicate(scenario, replications=n, seed=SEED, executor=SerialExecutor())
    pd.testing.assert_frame_equal(result.replications, fixed.replications)
    pd.testing.assert_frame_equal(result.summary, fixed.summary)
    if n > FIRST_BATCH:
        shorter = replicate(scenario, replications=n - 1, seed=SEED, executor=SerialExecutor())
        assert max(rel_half_width(shorter.summary, k) for k in report.rel_half_widths) > threshold
    for kpi, width in report.rel_half_widths.items():
        assert width == pytest.approx(rel_half_width(fixed.summary, kpi), rel=1e-9)
    # the batch size changes only the wall time
    again, report2 = replicate_to_precision(scenario, relative, 200, SEED, SerialExecutor(),
                                            batch=7)
    assert report2.replications == n
    pd.testing.assert_frame_equal(again.replications, result.replications)


def test_hits_max_reps_when_impossible() -> None:
    scenario = small_scenario({"asa_seconds": 30.0})
    result, report = replicate_to_precision(scenario, 1e-6, 12, SEED, SerialExecutor())
    assert report.reason == "max_reps"
    assert report.replications == 12 == len(result.replications)
    assert report.wide == ("asa_seconds",)
    assert "asa_seconds" in report.message() and "max-reps 12" in report.message()


def test_watches_every_finite_kpi_without_targets() -> None:
    result = replicate(small_scenario(), replications=3, seed=SEED, executor=SerialExecutor())
    watched = watched_kpis(result)
    means = result.summary.set_index("kpi")["mean"]
    assert watched == [k for k in means.index if math.isfinite(float(means[k]))]
    assert "fill_rate" not in watched  # no parts: nan, it could never become precise


def test_bad_arguments() -> None:
    with pytest.raises(ValueError, match="relative"):
        replicate_to_precision(small_scenario(), 0.0, 10)
    with pytest.raises(ValueError, match="max_reps"):
        replicate_to_precision(small_scenario(), 0.1, 0)


def test_memory_store_reuses_replications() -> None:
    from sim.experiments.replicate import replicate_many

    scenario, store = small_scenario(), MemoryStore()
    replicate_many([scenario], 3, SEED, executor=SerialExecutor(), store=store)
    longer = replicate_many([scenario], 5, SEED, executor=SerialExecutor(), store=store)[0]
    assert store.simulated == 5  # 3, then only the 2 new ones
    fixed = replicate(scenario, replications=5, seed=SEED, executor=SerialExecutor())
    pd.testing.assert_frame_equal(longer.replications, fixed.replications)


def write_scenario(path: Path, scenario: Scenario) -> Path:
    from sim.scenario.loader import scenario_to_yaml

    path.write_text(scenario_to_yaml(scenario), encoding="utf-8")
    return path


def test_cli_precision_writes_the_stop_report(tmp_path: Path, capsys: pytest.CaptureFixture[str]
                                              ) -> None:
    file = write_scenario(tmp_path / "s.yaml", small_scenario({"service_level": 0.5}))
    out = tmp_path / "out"
    assert main(["run", str(file), "--precision", "0.05", "--max-reps", "60", "--seed",
                 str(SEED), "--workers", "1", "--out", str(out)]) == 0
    printed = capsys.readouterr().out
    assert "precision: met at n = " in printed
    doc = json.loads((out / "manifest.json").read_text())
    stop = doc["precision"]
    assert stop["reason"] == "precision"
    assert doc["replications"] == stop["replications"]
    reps = pd.read_csv(out / "replications.csv")
    assert len(reps) == stop["replications"]


def test_cli_precision_cap_warns(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    file = write_scenario(tmp_path / "s.yaml", small_scenario({"asa_seconds": 30.0}))
    out = tmp_path / "out"
    assert main(["run", str(file), "--precision", "0.0001", "--max-reps", "11", "--workers",
                 "1", "--quiet", "--out", str(out)]) == 0
    assert "still wide: asa_seconds" in capsys.readouterr().err
    assert json.loads((out / "manifest.json").read_text())["precision"]["reason"] == "max_reps"


@pytest.mark.parametrize("extra", [["--precision", "0"], ["--precision", "1.5"],
                                   ["--precision", "0.1", "--max-reps", "1"],
                                   ["--max-reps", "10"],
                                   ["--precision", "0.1", "--events"]])
def test_cli_precision_bad_input(tmp_path: Path, extra: list[str]) -> None:
    file = write_scenario(tmp_path / "s.yaml", small_scenario())
    out = tmp_path / "out"
    assert main(["run", str(file), "--workers", "1", "--quiet", "--out", str(out), *extra]) == 2
    assert not out.exists()
