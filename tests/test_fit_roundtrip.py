"""Round trip: simulate a scenario whose parameters we know, write its event logs, fit them, and
find every known parameter inside its confidence interval, one test per family.

One simulation and one fit serve every family. The fit holds about 90 intervals; at 99.9% each,
the chance that some true value falls outside one by bad luck alone is under 10%, and the fixed
seed makes the outcome deterministic. A real bias (ignoring censoring, say) moves estimates by
far more than these intervals are wide, as the patience test shows.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from sim.calibrate.builder import Fit
from sim.calibrate.estimators import Estimate
from sim.calibrate.fit import fit_files
from sim.calibrate.logs import event_tables
from sim.calibrate.report import fitted_yaml
from sim.calibrate.schema import KINDS
from sim.experiments.replicate import replicate
from sim.scenario.loader import load_scenario_text

CONFIDENCE = 0.999
WEEKLY = [1.2, 1.1, 1.0, 1.0, 1.1, 0.4, 0.2]
HOURLY = [0, 0, 0, 0, 0, 0, 0, 0, 1, 2, 3, 3, 2, 2, 3, 3, 2, 1, 1, 1, 0, 0, 0, 0]
TRUTH = f"""\
name: truth
seed: 7
warmup_days: 7
horizon_days: 42
start_date: 2026-03-02
demand:
  contacts_per_day: 400
  mix: {{inquiry: 0.6, repair: 0.3, complaint: 0.1}}
  weekly_profile: {WEEKLY}
  hourly_profile: {HOURLY}
call_center:
  hours: {{open: "08:00", close: "20:00"}}
  agents: 5
  handle_minutes:
    inquiry: {{dist: lognormal, mean: 5.0, cv: 0.7}}
    repair: {{dist: gamma, mean: 8.0, cv: 0.5}}
    complaint: {{dist: exponential, mean: 10.0}}
  patience_minutes: {{dist: exponential, mean: 3.0}}
  lines: 15
  escalation: {{probability: {{inquiry: 0.1, repair: 0.2}}, specialists: 2, handle_minutes: 12}}
complaints:
  deadline_hours: 24
  handlers: 2
  resolution_hours: {{dist: gamma, mean: 1.5, cv: 0.5}}
field_service:
  onsite_share: 0.7
  promised_hours: {{onsite: 48, depot: 96}}
  technicians: 10
  travel_minutes: {{dist: gamma, mean: 30, cv: 0.5}}
  diagnosis_minutes: {{dist: lognormal, mean: 20, cv: 0.4}}
  repair_minutes: {{dist: lognormal, mean: 45, cv: 0.6}}
  fix_probability: 0.85
  quality_pass_probability: 0.9
  spot_check_share: 0.3
  rework_delay_hours: {{dist: exponential, mean: 48}}
  booking: {{min_lead_hours: 2}}
  depot:
    technicians: 4
    transit_hours: {{dist: gamma, mean: 24, cv: 0.3}}
    repair_minutes: {{dist: gamma, mean: 60, cv: 0.5}}
parts:
  need_probability: 0.5
  skus:
    - {{sku: pump, share: 0.6, unit_cost: 50, initial_on_hand: 130,
       policy: {{type: base_stock, level: 130}},
       lead_time_days: {{dist: gamma, mean: 3, cv: 0.3}}, reject_rate: 0.05}}
    - {{sku: valve, share: 0.4, unit_cost: 20, initial_on_hand: 120,
       policy: {{type: sS, s: 50, S: 120}}, lead_time_days: 2}}
followup:
  within_hours: 48
  call_minutes: {{dist: lognormal, mean: 4, cv: 0.5}}
  reach_probability: 0.7
  retry_hours: 3
  complaint_probability_if_unhappy: 0.4
"""
# key path -> (family, mean, cv) of the truth
DURATIONS = {
    "call_center.handle_minutes.inquiry": ("lognormal", 5.0, 0.7),
    "call_center.handle_minutes.repair": ("gamma", 8.0, 0.5),
    "call_center.handle_minutes.complaint": ("exponential", 10.0, 1.0),
    "complaints.resolution_hours": ("gamma", 1.5, 0.5),
    "field_service.travel_minutes": ("gamma", 30.0, 0.5),
    "field_service.diagnosis_minutes": ("lognormal", 20.0, 0.4),
    "field_service.repair_minutes": ("lognormal", 45.0, 0.6),
    "field_service.rework_delay_hours": ("exponential", 48.0, 1.0),
    "field_service.depot.transit_hours": ("gamma", 24.0, 0.3),
    "field_service.depot.repair_minutes": ("gamma", 60.0, 0.5),
    "parts.skus.pump.lead_time_days": ("gamma", 3.0, 0.3),
    "followup.call_minutes": ("lognormal", 4.0, 0.5),
}
CONSTANTS = {
    "call_center.escalation.handle_minutes": 12.0,
    "complaints.deadline_hours": 24.0,
    "field_service.promised_hours.onsite": 48.0,
    "field_service.promised_hours.depot": 96.0,
    "parts.skus.valve.lead_time_days": 2.0,
    "followup.within_hours": 48.0,
}
PROBABILITIES = {
    "call_center.escalation.probability.inquiry": 0.1,
    "call_center.escalation.probability.repair": 0.2,
    "field_service.onsite_share": 0.7,
    "field_service.fix_probability": 0.85,
    "field_service.quality_pass_probability": 0.9,
    "field_service.spot_check_share": 0.3,
    "parts.need_probability": 0.5,
    "parts.skus.pump.share": 0.6,
    "parts.skus.valve.share": 0.4,
    "parts.skus.pump.reject_rate": 0.05,
    "parts.skus.valve.reject_rate": 0.0,
    "followup.reach_probability": 0.7,
    "followup.complaint_probability_if_unhappy": 0.4,
}


def write_logs(scenario_text: str, folder: Path, reps: int) -> dict[str, Path]:
    """Simulate ``reps`` replications with event logs and write them as CSV files."""
    result = replicate(load_scenario_text(scenario_text), replications=reps, workers=1,
                       logs=event_tables)
    assert result.events is not None
    paths = {}
    for kind, table in result.events.items():
        paths[kind] = folder / f"{kind}.csv"
        table.to_csv(paths[kind], index=False)
    return paths


@pytest.fixture(scope="module")
def fitted(tmp_path_factory: pytest.TempPathFactory) -> Fit:
    folder = tmp_path_factory.mktemp("truth")
    (folder / "truth.yaml").write_text(TRUTH, encoding="utf-8")
    paths = write_logs(TRUTH, folder, reps=2)
    assert sorted(paths) == sorted(KINDS)
    return fit_files(paths, folder / "truth.yaml", confidence=CONFIDENCE)


def params(fit: Fit) -> dict[str, Estimate]:
    return {p.path: p.estimate for p in fit.params}


def assert_covers(est: Estimate, truth: float, what: str) -> None:
    assert est.low <= truth <= est.high, f"{what}: {truth} outside [{est.low}, {est.high}]"


def test_demand_rate_mix_and_profiles(fitted: Fit) -> None:
    p = params(fitted)
    assert_covers(p["demand.contacts_per_day"], 400.0, "contacts per day")
    for kind, share in {"inquiry": 0.6, "repair": 0.3, "complaint": 0.1}.items():
        assert_covers(p[f"demand.mix.{kind}"], share, kind)
    weekly = np.array(WEEKLY) / np.mean(WEEKLY)
    for day, weight in enumerate(weekly):
        assert_covers(p[f"demand.weekly_profile.{day}"], weight, f"weekday {day}")
    hourly = np.array(HOURLY, dtype=float) / sum(HOURLY)
    for hour, share in enumerate(hourly):
        assert_covers(p[f"demand.hourly_profile.{hour}"], share, f"hour {hour}")
    demand = fitted.scenario.demand
    assert demand.events == () and sum(demand.mix.values()) == pytest.approx(1.0)
    assert np.argmax(demand.weekly_profile) == 0 and demand.hourly_profile[3] == 0
    assert not [note for note in fitted.notes if "steady profile" in note]  # no false alarm


@pytest.mark.parametrize("path", sorted(DURATIONS))
def test_durations_family_mean_and_cv(fitted: Fit, path: str) -> None:
    family, mean, cv = DURATIONS[path]
    fit = fitted.dists[path]
    assert_covers(fit.mean, mean, f"{path} mean")
    if family == "exponential":
        # A gamma with cv near 1 is an exponential; AIC may prefer either.
        assert fit.family in ("exponential", "gamma"), fit.family
    else:
        assert fit.family == family, (path, fit.family, fit.aic)
    assert_covers(fit.cv, cv, f"{path} cv")
    assert fit.ks < 0.05


def test_patience_despite_censoring(fitted: Fit) -> None:
    fit = fitted.dists["call_center.patience_minutes"]
    assert fit.censored > 0.3 * fit.n  # most callers who waited were answered
    assert_covers(fit.mean, 3.0, "patience mean")
    assert fit.family in ("exponential", "gamma")
    assert_covers(fit.cv, 1.0, "patience cv")
    # The naive estimator, the mean of the abandoned callers' waits, is badly biased.
    naive = float(fit.values[fit.observed].mean())
    assert naive < fit.mean.low / 2


def test_censored_lognormal_patience(tmp_path: Path) -> None:
    text = """\
name: patient
seed: 3
warmup_days: 1
horizon_days: 14
demand: {contacts_per_day: 1500, mix: {inquiry: 1.0}}
call_center:
  agents: 5
  handle_minutes: {inquiry: {dist: exponential, mean: 5}}
  patience_minutes: {dist: lognormal, mean: 6.0, cv: 1.2}
"""
    paths = write_logs(text, tmp_path, reps=1)
    fit = fit_files({"calls": paths["calls"]}, confidence=CONFIDENCE)
    patience = fit.dists["call_center.patience_minutes"]
    assert patience.family == "lognormal" and patience.censored > 1000
    assert_covers(patience.mean, 6.0, "patience mean")
    assert_covers(patience.cv, 1.2, "patience cv")


@pytest.mark.parametrize("path", sorted(PROBABILITIES))
def test_probabilities_and_shares(fitted: Fit, path: str) -> None:
    assert_covers(params(fitted)[path], PROBABILITIES[path], path)


def test_constants_lines_booking_and_retries(fitted: Fit) -> None:
    for path, value in CONSTANTS.items():
        fit = fitted.dists[path]
        assert fit.family == "constant" and fit.mean.value == pytest.approx(value), path
    scenario = fitted.scenario
    assert scenario.call_center.lines == 15
    fs = scenario.field_service
    assert fs is not None and fs.booking is not None
    assert fs.booking.min_lead_hours == pytest.approx(2.0)
    assert scenario.followup is not None
    assert scenario.followup.retry_hours == pytest.approx(3.0, abs=1e-3)


def test_the_fitted_file_loads_and_says_where_each_value_came_from(fitted: Fit) -> None:
    text = fitted_yaml(fitted)
    assert load_scenario_text(text) == fitted.scenario
    lines = text.splitlines()
    agents = next(line for line in lines if line.strip().startswith("agents:"))
    assert "# from the base" in agents
    inquiry = next(line for line in lines if line.strip().startswith("inquiry: {dist"))
    assert "# fitted lognormal" in inquiry
    assert "99.9%" in text
    assert fitted.scenario.horizon_days == 42 and fitted.scenario.warmup_days == 7
    assert str(fitted.scenario.start_date) == "2026-03-02"
