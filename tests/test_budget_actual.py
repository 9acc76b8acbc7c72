"""Budget against actual: `aftersales-sim budget RESULTS --actual actual.csv` gives each line's
variance against the simulated 95% interval and flags the lines outside it; bad actuals are
refused row by row, with exit code 2 and nothing written."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from sim.cli import main
from sim.experiments.variance import budget_variance

SHOP = """\
name: shop
start_date: 2027-01-25
seed: 3
replications: 3
warmup_days: 0
horizon_days: 14
demand: {contacts_per_day: 80, mix: {inquiry: 0.6, repair: 0.4}}
call_center: {agents: 3, handle_minutes: {inquiry: 4, repair: 6}}
field_service: {technicians: 3, repair_minutes: 40}
costs: {agent_per_hour: 20, technician_per_hour: 30}
finance: {monthly_expenses: {rent: 3100}}
"""


@pytest.fixture(scope="module")
def folder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("actual")
    (path / "shop.yaml").write_text(SHOP)
    assert main(["run", str(path / "shop.yaml"), "--workers", "1", "--quiet",
                 "--out", str(path / "out")]) == 0
    return path


def test_variance_by_hand() -> None:
    budget = pd.DataFrame({"month": ["2027-01", "2027-01"], "department": ["rent", "total"],
                           "budget": ["expense", "cost"], "mean": [700.0, 100.0],
                           "ci_low": [700.0, 90.0], "ci_high": [700.0, 110.0]})
    actual = pd.DataFrame({"month": ["2027-01", "2027-01"], "line": ["rent", "total"],
                           "amount": [700.0, 125.0]})
    v = budget_variance(budget, actual).set_index("line")
    assert not v.loc["rent", "outside"] and v.loc["rent", "variance"] == 0
    assert v.loc["total", "outside"] and v.loc["total", "side"] == "over"
    assert v.loc["total", "variance"] == 25 and v.loc["total", "variance_share"] == 0.25


def test_the_command_flags_the_lines_outside(folder: Path) -> None:
    budget = pd.read_csv(folder / "out" / "budget.csv").set_index(["month", "department"])
    total = budget.loc[("2027-01", "total")]
    actual = folder / "actual.csv"
    actual.write_text("month,line,amount\n"
                      "2027-01,rent,700\n"                          # 7 of 31 days of 3100
                      f"2027-01,total,{total['mean']:.2f}\n"
                      f"2027-02,call_center,{budget.loc[('2027-02', 'call_center'), 'mean'] * 2}"
                      "\n")
    assert main(["budget", str(folder / "out"), "--actual", str(actual), "--quiet"]) == 0
    v = pd.read_csv(folder / "actual_variance.csv").set_index(["month", "line"])
    assert v.loc[("2027-01", "rent"), "simulated_mean"] == pytest.approx(700.0)
    assert not v.loc[("2027-01", "rent"), "outside"]
    assert not v.loc[("2027-01", "total"), "outside"]
    assert v.loc[("2027-02", "call_center"), "outside"]
    assert v.loc[("2027-02", "call_center"), "side"] == "over"


@pytest.mark.parametrize(("text", "where"), [
    ("month,line,amount\n2027-01,coffee,5\n", "actual.csv:2: line: `coffee` is not a line"),
    ("month,line,amount\n2027-01,rent,5\n2026-13,rent,5\n",
     "actual.csv:3: month: `2026-13` is not a month of the budget"),
    ("month,line,amount\n2027-01,rent,lots\n", "actual.csv:2: amount: `lots` is not a number"),
    ("month,amount\n2027-01,5\n", "actual.csv:1: missing column(s) line"),
    ("month,line,amount\n2027-01,rent,5\n2027-01,rent,6\n", "actual.csv:3: line: rent in 2027-01"),
])
def test_bad_actuals_exit_2_and_write_nothing(folder: Path, capsys: pytest.CaptureFixture[str],
                                              text: str, where: str) -> None:
    actual = folder / "bad" / "actual.csv"
    actual.parent.mkdir(exist_ok=True)
    actual.write_text(text)
    assert main(["budget", str(folder / "out"), "--actual", str(actual), "--quiet"]) == 2
    assert where in capsys.readouterr().err
    assert not (actual.parent / "actual_variance.csv").exists()
