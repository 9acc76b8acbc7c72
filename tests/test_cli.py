"""The command line as a user meets it: the results folder contract, and bad input.

Bad input must print file, line, key path and what is allowed, exit with code 2, show no
traceback and write nothing.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

from sim.cli import main
from sim.measure.catalog import KPI_NAMES
from sim.scenario.loader import load_scenario

ROOT = Path(__file__).resolve().parents[1]
SMALL = """\
name: small
horizon_days: 3
warmup_days: 1
demand: {contacts_per_day: 400, mix: {inquiry: 0.6, repair: 0.3, complaint: 0.1}}
call_center:
  agents: 3
  handle_minutes: {inquiry: 5, repair: 7, complaint: 9}
  patience_minutes: {dist: exponential, mean: 4}
complaints: {deadline_hours: 24, handlers: 1, resolution_hours: 1}
field_service:
  technicians: 4
  repair_minutes: {dist: exponential, mean: 60}
parts:
  skus:
    - {sku: pump, share: 1.0, unit_cost: 50, initial_on_hand: 5,
       policy: {type: base_stock, level: 5}, lead_time_days: 1}
followup: {within_hours: 24}
costs: {agent_per_hour: 20, technician_per_hour: 30}
targets: {service_level: 0.8, fill_rate: 0.9}
"""


@pytest.fixture()
def small(tmp_path: Path) -> Path:
    path = tmp_path / "small.yaml"
    path.write_text(SMALL, encoding="utf-8")
    return path


def test_run_writes_the_contract_folder(small: Path, tmp_path: Path,
                                        capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "out"
    assert main(["run", str(small), "--reps", "3", "--workers", "1", "--out", str(out)]) == 0
    table = capsys.readouterr().out
    assert "service_level" in table and ">= 0.800" in table
    for name in ("scenario.yaml", "replications.csv", "summary.json", "summary.csv",
                 "daily.csv", "budget.csv", "late_drivers.csv", "manifest.json"):
        assert (out / name).is_file(), name
    assert {p.name for p in (out / "charts").iterdir()} >= {
        "service_level_per_day.png", "service_level_per_day.svg", "offered_vs_staffed.png",
        "wait_distribution.png", "backlog_per_day.png", "stock_per_sku.png",
        "turnaround_distribution.png", "cost_per_department.png", "late_drivers.png",
        "late_drivers.svg"}
    drivers = pd.read_csv(out / "late_drivers.csv")
    assert list(drivers.columns) == ["rep", "cause", "late_jobs", "hours", "share"]
    assert set(drivers["cause"]) >= {"booking", "dispatch", "travel", "parts", "depot",
                                     "rework"}
    late = drivers[drivers["late_jobs"] > 0]
    assert ((late.groupby("rep")["share"].sum() - 1.0).abs() < 1e-9).all()
    assert drivers.loc[drivers["late_jobs"] == 0, "share"].isna().all()
    summary = json.loads((out / "summary.json").read_text())
    assert summary["scenario"] == "small" and summary["replications"] == 3
    assert set(summary["kpis"]) >= set(KPI_NAMES)
    assert set(summary["kpis"]["service_level"]) == {"mean", "std", "ci_low", "ci_high", "n"}
    assert set(summary["targets"]["fill_rate"]) >= {"target", "direction", "met"}
    run_out = summary["run_out"]
    assert run_out["max_days"] == 28 and 0 <= run_out["days_mean"] <= run_out["days_max"] <= 28
    assert set(run_out) >= {"items_cut_mean", "items_cut_max", "replications_cut",
                            "items_cut_by_kind"}
    reps = pd.read_csv(out / "replications.csv")
    assert list(reps.columns[:2]) == ["rep", "seed"] and len(reps) == 3
    daily = pd.read_csv(out / "daily.csv")
    assert {"rep", "day", "offered", "answered", "abandoned", "service_level", "peak_queue",
            "staffed_agents", "open_work_orders", "jobs_waiting_parts", "on_hand_pump"
            } <= set(daily.columns)
    # The resolved scenario reproduces the run.
    assert load_scenario(out / "scenario.yaml").model_dump() == load_scenario(small).model_dump()
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["seed"] == 20261129 and manifest["replications"] == 3


def test_set_overrides_reach_the_run(small: Path, tmp_path: Path) -> None:
    out = tmp_path / "o"
    assert main(["run", str(small), "--reps", "1", "--workers", "1", "--quiet", "--out",
                 str(out), "--set", "call_center.agents=9"]) == 0
    assert load_scenario(out / "scenario.yaml").call_center.agents == 9


BAD = {
    "syntax": ("demand: {contacts_per_day: 400", "YAML syntax error"),
    "duplicate": (SMALL + "horizon_days: 4\n", "duplicate"),
    "unknown key": (SMALL.replace("contacts_per_day", "contacts_per_dya"),
                    "did you mean `contacts_per_day`"),
    "wrong type": (SMALL.replace("agents: 3", "agents: three"), "call_center.agents"),
    "negative rate": (SMALL.replace("contacts_per_day: 400", "contacts_per_day: -4"),
                      "demand.contacts_per_day"),
    "mix sum": (SMALL.replace("complaint: 0.1}", "complaint: 0.3}"), "1.2"),
    "probability": (SMALL.replace("within_hours: 24}", "within_hours: 24, "
                                  "reach_probability: 1.5}"), "followup.reach_probability"),
    "missing key": (SMALL.replace("name: small\n", ""), "name"),
    "empty": ("", "empty"),
}


@pytest.mark.parametrize("case", sorted(BAD))
def test_bad_file_exit_2_nothing_written(case: str, tmp_path: Path,
                                         capsys: pytest.CaptureFixture[str]) -> None:
    text, expected = BAD[case]
    path = tmp_path / "bad.yaml"
    path.write_text(text, encoding="utf-8")
    out = tmp_path / "never"
    assert main(["run", str(path), "--out", str(out), "--workers", "1"]) == 2
    err = capsys.readouterr().err
    assert str(path) in err and expected in err
    assert "Traceback" not in err
    assert not out.exists()
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".never")]


def test_missing_file_and_bad_override(tmp_path: Path, small: Path,
                                       capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["validate", str(tmp_path / "nope.yaml")]) == 2
    assert "nope.yaml" in capsys.readouterr().err
    assert main(["run", str(small), "--set", "call_center.agents=-1", "--out",
                 str(tmp_path / "x")]) == 2
    err = capsys.readouterr().err
    assert "--set" in err and "call_center.agents" in err
    assert main(["run", str(small), "--reps", "0"]) == 2


def test_process_level_no_traceback(tmp_path: Path) -> None:
    path = tmp_path / "bad.yaml"
    path.write_text("name: x\ndemand: {contacts_per_day: 5, mix: {inquiry: 1}}\n"
                    "call_center: {agents: 1, handle_minutes: {inquiry: 5}, lines: 0}\n",
                    encoding="utf-8")
    done = subprocess.run([sys.executable, "-m", "sim", "run", str(path), "--out",
                           str(tmp_path / "r")], capture_output=True, text=True, timeout=120)
    assert done.returncode == 2
    assert f"{path}:3: call_center.lines" in done.stderr
    assert "Traceback" not in done.stderr and not (tmp_path / "r").exists()


def test_schema_and_validate(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["schema"]) == 0
    schema = json.loads(capsys.readouterr().out)
    assert "demand" in schema["properties"]
    assert main(["validate", str(ROOT / "scenarios" / "baseline.yaml")]) == 0
    assert "valid scenario 'baseline'" in capsys.readouterr().out


def test_capacity_warning_is_not_an_error(small: Path, tmp_path: Path,
                                          capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["validate", str(small), "--set", "call_center.agents=1"]) == 0
    assert "warning:" in capsys.readouterr().err
