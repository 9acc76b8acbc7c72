"""Valid scenarios: the models read what the contract says, fill defaults, and round-trip."""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

import pytest
from pydantic import TypeAdapter, ValidationError
from scipy import stats

from sim.scenario.calendar import shift_windows
from sim.scenario.capacity import capacity_warnings
from sim.scenario.clock import OpenHours, Shift, Staffing
from sim.scenario.dists import (
    ConstantDist,
    Distribution,
    EmpiricalDist,
    ExponentialDist,
    GammaDist,
    LognormalDist,
    NormalDist,
    TriangularDist,
    UniformDist,
)
from sim.scenario.format import Scenario
from sim.scenario.inventory import BaseStockPolicy, PeriodicPolicy, RQPolicy, SSPolicy
from sim.scenario.loader import load_scenario, load_scenario_text, scenario_to_yaml

ROOT = Path(__file__).resolve().parents[1]
BASELINE = ROOT / "scenarios" / "baseline.yaml"
DATA = Path(__file__).resolve().parent / "data"


@pytest.fixture(scope="module")
def baseline() -> Scenario:
    return load_scenario(BASELINE)


def test_baseline_loads_with_contract_values(baseline: Scenario) -> None:
    assert baseline.name == "baseline"
    assert baseline.demand.contacts_per_day == 520
    assert baseline.demand.mix == {"inquiry": 0.55, "repair": 0.35, "complaint": 0.10}
    assert load_scenario(DATA / "minimal.yaml").demand.mix == {
        "inquiry": 1.0, "repair": 0.0, "complaint": 0.0}
    agents = baseline.call_center.agents
    assert isinstance(agents, tuple)
    assert [(s.name, s.count) for s in agents] == [("early", 13), ("late", 11), ("weekend", 7)]
    assert baseline.call_center.handle_minutes["repair"] == LognormalDist(
        dist="lognormal", mean=8.0, cv=0.5)
    assert baseline.field_service is not None and baseline.field_service.depot is not None
    assert baseline.parts is not None
    assert [s.policy.type for s in baseline.parts.skus] == ["sS", "rQ", "periodic"]
    assert baseline.targets["service_level"] == 0.80
    assert baseline.run_days == 98


def test_bare_number_is_a_constant(baseline: Scenario) -> None:
    assert baseline.parts is not None
    assert baseline.parts.skus[2].lead_time_days == ConstantDist(value=4.0)
    adapter: TypeAdapter[Distribution] = TypeAdapter(Distribution)
    assert adapter.validate_python(0) == ConstantDist(value=0.0)  # zero travel is valid
    assert adapter.validate_python(2.5).mean_value() == 2.5
    with pytest.raises(ValidationError, match="a duration cannot be negative"):
        adapter.validate_python(-1)
    with pytest.raises(ValidationError, match="expected a number"):
        adapter.validate_python(True)


def test_bare_int_staffing_is_around_the_clock() -> None:
    specialists = load_scenario(BASELINE, ["call_center.escalation.specialists=3"]
                                ).call_center.escalation
    assert specialists is not None and specialists.specialists == 3
    assert shift_windows(specialists.specialists, 1440.0) == [(0.0, math.inf, 3)]
    adapter: TypeAdapter[Staffing] = TypeAdapter(Staffing)
    with pytest.raises(ValidationError, match="valid integer"):
        adapter.validate_python(2.5)


def test_shift_helpers_and_midnight() -> None:
    night = Shift(name="night", start="22:00", end="06:00", days=("sun", "mon"), count=2)
    assert (night.start_minute, night.end_minute, night.day_indexes) == (1320, 360, (6, 0))
    late = Shift(name="late", start="16:00", end="24:00", count=1)
    assert late.end_minute == 1440 and late.day_indexes == tuple(range(7))
    with pytest.raises(ValidationError, match="00:00 to 23:59"):
        Shift(name="x", start="24:00", end="06:00", count=1)
    with pytest.raises(ValidationError, match="HH:MM"):
        Shift(name="x", start="07:60", end="08:00", count=1)
    assert Shift(name="all day", start="00:00", end="24:00", count=1).end_minute == 1440
    with pytest.raises(ValidationError, match="open and close are both 09:00"):
        OpenHours(open="09:00", close="09:00")
    with pytest.raises(ValidationError, match="listed twice: mon"):
        Shift(name="x", start="07:00", end="08:00", days=("mon", "mon"), count=1)


def test_absent_sections_are_off() -> None:
    s = load_scenario(DATA / "minimal.yaml")
    assert (s.complaints, s.field_service, s.parts, s.followup) == (None, None, None, None)
    cc = s.call_center
    assert (cc.hours, cc.patience_minutes, cc.lines, cc.escalation) == (None, None, None, None)
    assert s.demand.events == () and s.targets == {}
    assert s.demand.weekly_profile == "flat" and s.demand.hourly_profile == "flat"
    assert s.demand.share("repair") == 0.0
    assert s.seed == 20261129 and s.replications == 10 and s.horizon_days == 91
    assert s.costs.overtime_factor == 1.5 and s.costs.agent_per_hour == 0
    assert s.satisfaction.base == 4.6 and s.satisfaction.rework_penalty == 1.2


def test_field_service_defaults() -> None:
    s = load_scenario(DATA / "variety.yaml")
    fs = s.field_service
    assert fs is not None
    assert fs.onsite_share == 1.0 and fs.dispatch_rule == "fifo"
    assert (fs.promised_hours.onsite, fs.promised_hours.depot) == (48.0, 96.0)
    assert fs.rework_delay_hours == ConstantDist(value=0.0)
    assert fs.booking is None and fs.depot is None
    assert s.followup is not None and s.followup.retry_hours == 4.0
    assert str(s.start_date) == "2026-11-30"


def test_overrides_change_values() -> None:
    s = load_scenario(BASELINE, ["call_center.agents.0.count=13", "demand.contacts_per_day=600",
                                 "call_center.patience_minutes={dist: gamma, mean: 3, cv: 1}",
                                 "demand.weekly_profile=[1, 1, 1, 1, 1, 0, 0]",
                                 "call_center.lines="])
    agents = s.call_center.agents
    assert isinstance(agents, tuple) and agents[0].count == 13 and agents[1].count == 11
    assert s.demand.contacts_per_day == 600
    assert s.call_center.patience_minutes == GammaDist(dist="gamma", mean=3, cv=1)
    assert s.demand.weekly_profile == (1, 1, 1, 1, 1, 0, 0)
    assert s.call_center.lines is None


def test_override_can_add_a_section() -> None:
    s = load_scenario(DATA / "minimal.yaml",
                      ["complaints={deadline_hours: 24, handlers: 1, resolution_hours: 2}"])
    assert s.complaints is not None and s.complaints.deadline_hours == 24


@pytest.mark.parametrize("name", ["baseline", "minimal", "variety"])
def test_round_trip(name: str) -> None:
    path = BASELINE if name == "baseline" else DATA / f"{name}.yaml"
    s = load_scenario(path)
    text = scenario_to_yaml(s)
    again = load_scenario_text(text)
    assert again == s
    assert scenario_to_yaml(again) == text
    assert '"08:00"' in text or name != "baseline"  # clock times quoted for YAML 1.1 readers


def test_models_are_frozen(baseline: Scenario) -> None:
    with pytest.raises(ValidationError):
        baseline.demand.contacts_per_day = 1  # type: ignore[misc]


def _numeric(dist: Any) -> tuple[float, float]:
    """Mean and variance from scipy, an implementation independent of ours."""
    if isinstance(dist, ExponentialDist):
        frozen = stats.expon(scale=dist.mean)
    elif isinstance(dist, UniformDist):
        frozen = stats.uniform(dist.low, dist.high - dist.low)
    elif isinstance(dist, TriangularDist):
        width = dist.high - dist.low
        frozen = stats.triang((dist.mode - dist.low) / width, dist.low, width)
    else:
        frozen = stats.truncnorm(-dist.mean / dist.sd, math.inf, dist.mean, dist.sd)
    return float(frozen.mean()), float(frozen.var())


@pytest.mark.parametrize("dist", [
    ExponentialDist(dist="exponential", mean=3.0),
    UniformDist(dist="uniform", low=2.0, high=5.0),
    TriangularDist(dist="triangular", low=1.0, mode=2.0, high=6.0),
    NormalDist(dist="normal", mean=1.0, sd=2.0),
])
def test_mean_and_variance_match_scipy(dist: Any) -> None:
    mean, var = _numeric(dist)
    assert dist.mean_value() == pytest.approx(mean)
    assert dist.variance() == pytest.approx(var)


def test_mean_and_variance_closed_forms() -> None:
    for d in (LognormalDist(dist="lognormal", mean=10.0, cv=0.5),
              GammaDist(dist="gamma", mean=10.0, cv=0.5)):
        assert (d.mean_value(), d.variance()) == (10.0, 25.0)
    e = EmpiricalDist(dist="empirical", values=(3.0, 5.0, 9.0), weights=(1.0, 2.0, 1.0))
    assert e.mean_value() == 5.5
    assert e.variance() == pytest.approx((2.5**2 + 2 * 0.5**2 + 3.5**2) / 4)
    assert EmpiricalDist(dist="empirical", values=(1.0, 3.0)).mean_value() == 2.0
    assert ConstantDist(value=4.0).variance() == 0.0
    assert NormalDist(dist="normal", mean=3.0, sd=0.0).mean_value() == 3.0


def test_policy_reorder_points() -> None:
    assert BaseStockPolicy(type="base_stock", level=5).reorder_point == 4
    assert SSPolicy(type="sS", s=3, S=9).reorder_point == 3
    assert RQPolicy(type="rQ", r=-1, Q=4).reorder_point == -1
    assert PeriodicPolicy(type="periodic", review_days=7, S=10).reorder_point is None


def test_python_api_messages_are_human() -> None:
    data = load_scenario(DATA / "minimal.yaml").model_dump()
    data["demand"]["contacts_per_dya"] = data["demand"].pop("contacts_per_day")
    with pytest.raises(ValidationError, match="did you mean `contacts_per_day`"):
        Scenario.model_validate(data)


def test_capacity_warnings(baseline: Scenario) -> None:
    assert capacity_warnings(baseline) == []
    thin = load_scenario(BASELINE, ["call_center.agents=5"])
    warnings = capacity_warnings(thin)
    # Weekdays 08:00-20:00 need about 6 Erlangs; weekends about 2.5: five agents fail Mon-Fri only.
    assert [w.split(":", 1)[0] for w in warnings] == [
        f"call center {d} 08" for d in ("mon", "tue", "wed", "thu", "fri")]
    assert "08:00-20:00" in warnings[0] and "5 agents" in warnings[0]
    assert "Erlangs" in warnings[0]
