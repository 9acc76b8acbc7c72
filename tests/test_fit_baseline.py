"""The calibration loop on the shipped baseline, as `make calibrate` runs it:
``run --events`` -> ``fit --events --base --backtest`` -> the fitted scenario reproduces the
baseline's KPIs, heat wave included (fitted as a demand event on the same days)."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from sim.cli import main
from sim.scenario.loader import load_scenario

BASELINE = Path(__file__).resolve().parent.parent / "scenarios" / "baseline.yaml"
REPS = 4


@pytest.mark.slow
def test_fit_on_the_baseline_logs_reproduces_the_baseline(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["run", str(BASELINE), "--out", str(tmp_path / "baseline"), "--events",
                 "--reps", str(REPS), "--workers", "2", "--quiet"]) == 0
    fitted = tmp_path / "fitted.yaml"
    code = main(["fit", "--events", str(tmp_path / "baseline" / "events"), "--base",
                 str(BASELINE), "--out", str(fitted), "--backtest", str(REPS), "--workers", "2"])
    printed = capsys.readouterr()
    assert code == 0, printed.out + printed.err
    table = pd.read_csv(tmp_path / "fitted.fit" / "backtest.csv")
    assert set(table["kpi"]) == {"service_level", "abandon_rate", "repair_on_time_rate",
                                 "fill_rate"}
    assert table["agrees"].all(), table.to_string()
    truth, scenario = load_scenario(BASELINE), load_scenario(fitted)  # loads like any scenario
    (wave,), (found,) = truth.demand.events, scenario.demand.events
    assert (found.start_day, found.days) == (wave.start_day, wave.days)
    assert set(found.types) == set(wave.types)
    assert found.multiplier == pytest.approx(wave.multiplier, rel=0.05)
