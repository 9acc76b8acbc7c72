"""Paired comparisons: the paired-t CI against analytic differences, exact differences, the
variance reduction of common random numbers, the compare.csv contract and bad input.

The analytic case: two M/M/c call centers (inquiries only, flat profiles, exponential handle
time, no patience) with 2 and 3 agents on the same arrivals; Erlang C gives both ASAs and service
levels, so the true difference is known.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pandas as pd
import pytest

from sim.cli import main
from sim.experiments.compare import COLUMNS, compare
from sim.output.folder import is_finished
from sim.scenario.format import Scenario
from sim.theory import queues as theory

PER_HOUR, HANDLE, TARGET = 15.0, 6.0, 20.0


def mmc(agents: int, *, horizon_days: float = 3.0, name: str | None = None,
        agent_per_hour: float = 0.0) -> Scenario:
    """An inquiry-only call center that is an M/M/c queue."""
    return Scenario.model_validate({
        "name": name or f"mmc{agents}", "warmup_days": 0.5, "horizon_days": horizon_days,
        "demand": {"contacts_per_day": PER_HOUR * 24, "mix": {"inquiry": 1.0},
                   "weekly_profile": "flat", "hourly_profile": "flat"},
        "call_center": {"agents": agents, "answer_target_seconds": TARGET,
                        "handle_minutes": {"inquiry": {"dist": "exponential", "mean": HANDLE}}},
        "costs": {"agent_per_hour": agent_per_hour},
        "targets": {"service_level": 0.8},
    })


def row(table: pd.DataFrame, scenario: str, kpi: str) -> dict[str, Any]:
    found = table[(table["scenario"] == scenario) & (table["kpi"] == kpi)]
    assert len(found) == 1
    return dict(found.iloc[0])


def test_paired_ci_covers_the_erlang_c_difference() -> None:
    """Over 20 independent comparisons the 95% paired CI covers the truth at least 15 times
    (Binomial(20, 0.95) < 15 has probability 3e-4); pairing that broke independence between
    replications, or a difference taken the wrong way round, would fail this."""
    c2 = theory.erlang_c_metrics(PER_HOUR, HANDLE, 2, TARGET)
    c3 = theory.erlang_c_metrics(PER_HOUR, HANDLE, 3, TARGET)
    truth = {"asa_seconds": c3.asa_seconds - c2.asa_seconds,
             "service_level": c3.service_level - c2.service_level}
    covered = dict.fromkeys(truth, 0)
    significant = 0
    for seed in range(100, 120):
        table = compare([mmc(2, horizon_days=2), mmc(3, horizon_days=2)], replications=6,
                        seed=seed, workers=1).table
        for kpi, expected in truth.items():
            r = row(table, "mmc3", kpi)
            covered[kpi] += bool(r["diff_ci_low"] <= expected <= r["diff_ci_high"])
        significant += bool(row(table, "mmc3", "asa_seconds")["significant"])
    assert covered["asa_seconds"] >= 15 and covered["service_level"] >= 15, covered
    assert significant == 20  # 400 s less waiting is never noise


def test_exact_difference_has_a_zero_width_interval() -> None:
    # One more agent around the clock costs exactly 24 h x horizon x rate, in every replication.
    result = compare([mmc(2, horizon_days=2, agent_per_hour=20.0),
                      mmc(3, horizon_days=2, agent_per_hour=20.0)], replications=4, seed=1,
                     workers=1)
    r = row(result.table, "mmc3", "total_cost")
    assert r["diff"] == r["diff_ci_low"] == r["diff_ci_high"] == pytest.approx(24 * 2 * 20.0)
    assert r["significant"]


def test_common_random_numbers_reduce_variance() -> None:
    result = compare([mmc(2), mmc(3)], replications=30, seed=7, workers=1)
    table = result.table
    assert row(table, "mmc3", "service_level")["variance_reduction"] > 0.5
    assert row(table, "mmc3", "calls_offered")["variance_reduction"] == 1.0  # same arrivals
    # the replications really share seeds
    reps = result.replications_table()
    assert (reps.pivot(index="rep", columns="scenario", values="seed").nunique(axis=1) == 1).all()


def test_first_scenario_rows_and_duplicate_names() -> None:
    result = compare([mmc(2, horizon_days=1), mmc(2, horizon_days=1)], replications=3, seed=2,
                     workers=1)
    assert result.labels == ["mmc2", "mmc2-2"]
    first = result.table[result.table["scenario"] == "mmc2"]
    assert (first["diff"].dropna() == 0).all() and not first["significant"].any()
    assert first["variance_reduction"].isna().all()
    twin = result.table[result.table["scenario"] == "mmc2-2"]
    assert (twin["diff"].dropna() == 0).all()  # identical scenarios, same seeds


def write(path: Path, scenario: Scenario) -> Path:
    path.write_text(json.dumps(scenario.model_dump(mode="json")))  # JSON is YAML
    return path


def test_cli_compare_writes_the_contract_folder(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    a = write(tmp_path / "a.yaml", mmc(2, horizon_days=1))
    b = write(tmp_path / "b.yaml", mmc(3, horizon_days=1))
    c = write(tmp_path / "c.yaml", mmc(4, horizon_days=1))
    out = tmp_path / "cmp"
    assert main(["compare", str(a), str(b), str(c), "--reps", "4", "--workers", "1",
                 "--out", str(out)]) == 0
    printed = capsys.readouterr().out
    assert "mmc3 vs mmc2" in printed and "mmc4 vs mmc2" in printed
    assert is_finished(out)
    table = pd.read_csv(out / "compare.csv")
    assert list(table.columns[:7]) == ["scenario", "kpi", "mean", "diff", "diff_ci_low",
                                       "diff_ci_high", "significant"]
    assert list(table.columns) == list(COLUMNS)
    assert list(dict.fromkeys(table["scenario"])) == ["mmc2", "mmc3", "mmc4"]
    assert row(table, "mmc2", "service_level")["diff"] == 0
    assert row(table, "mmc4", "service_level")["diff"] > 0
    assert sorted(p.name for p in (out / "scenarios").iterdir()) == [
        "mmc2.yaml", "mmc3.yaml", "mmc4.yaml"]
    assert (out / "charts" / "differences.png").is_file()


def test_cli_compare_bad_input_exits_2_and_writes_nothing(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    a = write(tmp_path / "a.yaml", mmc(2, horizon_days=1))
    out = tmp_path / "results" / "cmp"
    assert main(["compare", str(a), str(tmp_path / "missing.yaml"), "--out", str(out)]) == 2
    assert "missing.yaml: no such file" in capsys.readouterr().err
    assert main(["compare", str(a), str(a), "--set", "call_center.agents=-1",
                 "--out", str(out)]) == 2
    assert not out.parent.exists()


def test_cli_compare_sets_one_scenario_and_prints_the_verdicts(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    a = write(tmp_path / "a.yaml", mmc(2, horizon_days=1))
    b = write(tmp_path / "b.yaml", mmc(2, horizon_days=1, name="other"))
    out = tmp_path / "cmp"
    assert main(["compare", str(a), str(b), "--set", "other:call_center.agents=5",
                 "--set", "1:call_center.answer_target_seconds=20", "--set", "seed=3",
                 "--reps", "4", "--workers", "1", "--out", str(out)]) == 0
    printed = capsys.readouterr().out
    scenarios = {p.stem: p.read_text() for p in (out / "scenarios").iterdir()}
    assert "agents: 5" in scenarios["other"] and "agents: 2" in scenarios["mmc2"]
    table = pd.read_csv(out / "compare.csv", keep_default_na=False)
    level = {r["scenario"]: r
             for r in table[table["kpi"] == "service_level"].to_dict("records")}
    assert level["other"]["status"] == "met" and level["mmc2"]["status"] != "met"
    assert float(level["other"]["target"]) == 0.8
    assert f"{level['mmc2']['status']} / met" in printed
    assert table.loc[table["kpi"] == "asa_seconds", "status"].eq("").all()  # no target on it
    assert main(["compare", str(a), str(b), "--set", "3:seed=1", "--out", str(tmp_path / "x")
                 ]) == 2
    assert "`3` names no scenario" in capsys.readouterr().err
    assert not (tmp_path / "x").exists()
