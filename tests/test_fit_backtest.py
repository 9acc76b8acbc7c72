"""Back-test: a company's records (simulated here) are fitted as ``aftersales-sim fit`` does; the
fitted scenario, simulated afresh, must reproduce the KPIs measured directly on the records:
weekly service level, abandon rate, repair on-time rate and fill rate. The company's records
hold a short recall (repair calls doubled for four days): the fit must find it and model it.

Both sides are measured by the same function (``sim.calibrate.measures.kpi_samples``) on event logs,
one value per replication (independent), and compared with a Welch interval of the difference at 99%
per KPI (four KPIs: a familywise error of about 4%). The records and the fitted runs use different
seeds, as a company's records and a model's runs would.
"""

from __future__ import annotations

import dataclasses
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from sim.calibrate.backtest import backtest as run_backtest
from sim.calibrate.builder import Fit
from sim.calibrate.fit import fit_files, fit_logs
from sim.calibrate.logs import event_tables
from sim.calibrate.measures import LOG_KPIS, kpi_samples
from sim.calibrate.read import read_logs
from sim.calibrate.report import fitted_yaml
from sim.calibrate.schema import KINDS
from sim.cli import main
from sim.experiments.replicate import replicate
from sim.measure.stats import welch_interval as welch
from sim.scenario.format import Scenario
from sim.scenario.loader import load_scenario, load_scenario_text

REPS = 5
COMPANY = """\
name: company
seed: 11
warmup_days: 7
horizon_days: 21
start_date: 2026-03-02
demand:
  contacts_per_day: 250
  mix: {inquiry: 0.6, repair: 0.35, complaint: 0.05}
  weekly_profile: [1.2, 1.1, 1.0, 1.0, 1.1, 0.6, 0.0]
  hourly_profile: business_hours
  events: [{name: recall, start_day: 15, days: 4, multiplier: 2.0, types: [repair]}]
call_center:
  hours: {open: "08:00", close: "18:00", days: [mon, tue, wed, thu, fri, sat]}
  agents: 5
  handle_minutes:
    inquiry: {dist: lognormal, mean: 5, cv: 0.8}
    repair: {dist: gamma, mean: 7, cv: 0.5}
    complaint: 9
  patience_minutes: {dist: exponential, mean: 4}
  answer_target_seconds: 30
complaints: {deadline_hours: 24, handlers: 1, resolution_hours: {dist: exponential, mean: 1}}
field_service:
  onsite_share: 0.8
  promised_hours: {onsite: 48, depot: 96}
  technicians:
    - {name: day, start: "08:00", end: "17:00", days: [mon, tue, wed, thu, fri, sat], count: 16}
  travel_minutes: {dist: gamma, mean: 25, cv: 0.5}
  diagnosis_minutes: 15
  repair_minutes: {dist: lognormal, mean: 40, cv: 0.6}
  fix_probability: 0.9
  quality_pass_probability: 0.95
  spot_check_share: 0.2
  booking: {min_lead_hours: 4}
  depot: {technicians: 3, transit_hours: 12, repair_minutes: {dist: gamma, mean: 45, cv: 0.4}}
parts:
  need_probability: 0.4
  skus:
    - {sku: pump, share: 0.7, unit_cost: 50, initial_on_hand: 100,
       policy: {type: base_stock, level: 100}, lead_time_days: {dist: gamma, mean: 3, cv: 0.3}}
    - {sku: seal, share: 0.3, unit_cost: 5, initial_on_hand: 35,
       policy: {type: sS, s: 15, S: 35}, lead_time_days: 2, reject_rate: 0.05}
followup: {within_hours: 48, reach_probability: 0.8}
targets: {service_level: 0.8}
"""


def events_to_csv(scenario: Scenario, seed: int, folder: Path) -> Path:
    """Simulate with event logs and write them as a ``run --events`` folder would."""
    result = replicate(scenario, replications=REPS, seed=seed, workers=1, logs=event_tables)
    assert result.events is not None
    folder.mkdir(parents=True, exist_ok=True)
    for kind, table in result.events.items():
        table.to_csv(folder / f"{kind}.csv", index=False)
    return folder


@pytest.fixture(scope="module")
def records(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The company's records: a run of the company scenario with its event logs."""
    folder = tmp_path_factory.mktemp("backtest")
    (folder / "company.yaml").write_text(COMPANY, encoding="utf-8")
    return events_to_csv(load_scenario(folder / "company.yaml"), 1, folder / "records")


@pytest.fixture(scope="module")
def fit(records: Path) -> Fit:
    return fit_files({kind: records / f"{kind}.csv" for kind in KINDS},
                     records.parent / "company.yaml")


@pytest.fixture(scope="module")
def backtest(fit: Fit, records: Path) -> tuple[pd.DataFrame, pd.DataFrame]:
    fitted = load_scenario_text(fitted_yaml(fit), "fitted.yaml")  # what the command writes
    rerun = events_to_csv(fitted, 2, records.parent / "rerun")
    target = fitted.call_center.answer_target_seconds
    simulated = read_logs({k: rerun / f"{k}.csv" for k in ("calls", "work_orders")})
    return (kpi_samples(fit.logs, target, "replication"),
            kpi_samples(simulated, target, "replication"))


@pytest.mark.parametrize("kpi", LOG_KPIS)
def test_fitted_scenario_reproduces_the_records_kpis(
        backtest: tuple[pd.DataFrame, pd.DataFrame], kpi: str) -> None:
    observed, simulated = backtest
    a, b = observed[kpi].to_numpy(float), simulated[kpi].to_numpy(float)
    assert len(a) == len(b) == REPS and np.isfinite(a).all() and np.isfinite(b).all()
    low, high = welch(a, b, 0.99)
    assert low <= 0.0 <= high, (f"{kpi}: records {a.mean():.4f}, fitted run {b.mean():.4f}, "
                                f"difference interval [{low:.4f}, {high:.4f}]")


def test_the_kpis_are_worth_reproducing(backtest: tuple[pd.DataFrame, pd.DataFrame]) -> None:
    """Neither trivially 0 nor 1: a wrong patience or staffing would show."""
    observed, _ = backtest
    means = observed.mean()
    assert 0.5 < means["service_level"] < 0.97
    assert 0.005 < means["abandon_rate"] < 0.2
    assert 0.5 < means["repair_on_time_rate"] < 0.99
    assert 0.5 < means["fill_rate"] < 0.99


def test_without_a_base_the_scenario_is_still_valid_and_runs(fit: Fit) -> None:
    """Staffing is then the records' peak of simultaneous work, costs and targets empty."""
    without = fit_logs(fit.logs)
    alone = load_scenario_text(fitted_yaml(without))
    assert isinstance(alone.call_center.agents, int) and alone.call_center.agents >= 4
    assert alone.costs.agent_per_hour == 0 and not alone.targets
    assert any("No base scenario" in note for note in without.notes)
    result = replicate(alone.model_copy(update={"horizon_days": 7.0}), replications=1,
                       workers=1)
    assert result.replications["calls_offered"].iat[0] > 0


def test_the_recall_is_fitted_as_a_demand_event(fit: Fit) -> None:
    """Same calendar days (day 0 is the same Monday), the type that moved, its factor."""
    scenario = fit.scenario
    assert scenario.start_date is not None and scenario.start_date.isoformat() == "2026-03-02"
    assert scenario.warmup_days == 7
    (event,) = scenario.demand.events
    assert (event.start_day, event.days, event.types) == (15, 4, ("repair",))
    estimate = next(p.estimate for p in fit.params if p.path == "demand.events.0.multiplier")
    assert estimate.covers(2.0) and event.multiplier == pytest.approx(estimate.value, rel=0.01)
    rate = next(p.estimate for p in fit.params if p.path == "demand.contacts_per_day")
    assert rate.covers(250.0)  # the steady rate leaves the recall out


def test_the_backtest_agrees_and_catches_a_wrong_fit(fit: Fit) -> None:
    """``fit --backtest``'s comparison: the fit agrees; the same fit with two agents fewer
    does not, on the service level."""
    good = run_backtest(fit, 5, seed=3, workers=1)
    assert good.unit == "replication" and [c.kpi for c in good.checks] == list(LOG_KPIS)
    assert good.agrees, [c for c in good.checks if not c.agrees]
    assert good.each_level == pytest.approx(1 - 0.05 / 4)
    short = fit.scenario.model_copy(update={"call_center": fit.scenario.call_center.model_copy(
        update={"agents": 3})})
    bad = run_backtest(dataclasses.replace(fit, scenario=short), 5, seed=3, workers=1)
    failed = {c.kpi for c in bad.checks if not c.agrees}
    assert not bad.agrees and {"service_level", "abandon_rate"} <= failed


def test_fit_command_with_backtest_writes_it_into_the_report(
        records: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "fitted.yaml"
    code = main(["fit", "--events", str(records), "--base", str(records.parent / "company.yaml"),
                 "--out", str(out), "--backtest", "3", "--workers", "1"])
    printed = capsys.readouterr().out
    assert code == 0 and "back-test: 3 replications" in printed
    table = pd.read_csv(tmp_path / "fitted.fit" / "backtest.csv")
    assert list(table["kpi"]) == list(LOG_KPIS) and table["agrees"].all()
    report = (tmp_path / "fitted.fit" / "report.md").read_text(encoding="utf-8")
    assert "## Back-test" in report and "reproduces every KPI" in report
    assert "| recall" not in report and "shock from 2026-03-17" in report


def test_backtest_needs_two_replications(records: Path, tmp_path: Path,
                                         capsys: pytest.CaptureFixture[str]) -> None:
    code = main(["fit", "--events", str(records), "--out", str(tmp_path / "f.yaml"),
                 "--backtest", "1"])
    assert code == 2 and "--backtest" in capsys.readouterr().err
    assert not (tmp_path / "f.yaml").exists()
