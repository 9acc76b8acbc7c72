"""The optimizer decides van levels and training hours: a case with a known answer (one SKU,
one product line, the van level the periodic-review base-stock formula gives), and the
variables those ``--decide`` paths make."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from sim.cli.common import load_for_run
from sim.cli.optimize import read_optimize_file
from sim.experiments.executors import SerialExecutor
from sim.experiments.optimize.decisions import apply_decision, decision_variables
from sim.experiments.optimize.solve import optimize
from sim.scenario.format import Scenario
from sim.scenario.loader import load_scenario
from sim.scenario.problems import ScenarioError
from sim.theory.stock import periodic_van_stock

ROOT = Path(__file__).resolve().parents[1]
PER_DAY, TARGET, SEED = 2.0, 0.80, 41


def van_case(level: int) -> Scenario:
    """One technician around the clock doing everything in no time, one SKU every job needs,
    a central store that never runs out, vans refilled nightly: each day's need is Poisson(2).
    Holding is dear (50 a year), so a van unit's cost stands out of the purchases' noise."""
    return Scenario.model_validate({
        "name": "van-optimum", "warmup_days": 1, "horizon_days": 60, "replications": 6,
        "demand": {"contacts_per_day": PER_DAY, "mix": {"repair": 1.0},
                   "weekly_profile": "flat", "hourly_profile": "flat",
                   "products": [{"name": "washer", "share": 1.0}]},
        "call_center": {"agents": 20, "handle_minutes": {"repair": 0}},
        "field_service": {"technicians": 1, "travel_minutes": 0, "diagnosis_minutes": 0,
                          "repair_minutes": 0},
        "parts": {"need_probability": 1.0, "holding_rate_per_year": 50.0,
                  "skus": [{"sku": "part", "share": 1.0, "unit_cost": 100,
                            "initial_on_hand": 1000,
                            "policy": {"type": "base_stock", "level": 1000},
                            "lead_time_days": 0.1}],
                  "van_stock": {"skus": {"part": level}, "delivery_hours": 4}},
        "targets": {"van_fill_rate": TARGET},
    })


def van_optimum() -> int:
    level = 0
    while periodic_van_stock(PER_DAY, level).fill_rate < TARGET:
        level += 1
    below = periodic_van_stock(PER_DAY, level - 1).fill_rate
    at = periodic_van_stock(PER_DAY, level).fill_rate
    assert below < TARGET - 0.05 and at > TARGET + 0.05, "must not be borderline"
    return level


@pytest.mark.parametrize(("level", "start"), [(0, "analytic"), (6, "current")],
                         ids=["analytic", "descend-from-6"])
def test_the_van_level_is_the_periodic_base_stock_level(level: int, start: Any) -> None:
    best = van_optimum()
    result = optimize(van_case(level), ["parts.van_stock.*.level"], start=start,
                      confirm_replications=12, seed=SEED, executor=SerialExecutor())
    assert result.feasible
    assert result.decision() == {"parts.van_stock.skus.part": best}
    # Search evaluations (6 replications, or 4 when screening dropped the trial early), not the
    # confirmation (12).
    visited = {e.values[0]: e for e in result.evaluations if e.replications < 12}
    assert not visited[best - 1].feasible  # one unit fewer misses the target
    if start == "analytic":
        assert result.start == (best,)


def with_vans_and_training() -> Scenario:
    base = load_scenario(ROOT / "scenarios" / "baseline.yaml")
    data = base.model_dump(mode="json")
    data["parts"]["van_stock"] = {"skus": {"compressor": 1, "door_seal": 4}}
    data["training"] = {"hours_per_technician_month": 4, "cost_per_hour": 60,
                        "effect": {"fix_probability": 0.03}}
    return Scenario.model_validate(data)


def test_van_levels_and_training_hours_are_decision_variables() -> None:
    scenario = with_vans_and_training()
    found = decision_variables(scenario, ["parts.van_stock.*.level",
                                          "training.hours_per_technician_month",
                                          "parts.van_stock.skus.door_seal"])
    assert [(v.path, v.area, v.current) for v in found] == [
        ("parts.van_stock.skus.compressor", "vans", 1),
        ("parts.van_stock.skus.control_board", "vans", 0),
        ("parts.van_stock.skus.door_seal", "vans", 4),
        ("training.hours_per_technician_month", "training", 4)]
    # A unit on every van is held all horizon by 60 vans; a training hour is paid twice.
    assert found[0].unit_cost == pytest.approx(180 * 0.24 * 91 / 365 * 60)
    assert found[3].unit_cost == pytest.approx((60 + 38) * 60 * 91 / 30)
    decided = apply_decision(scenario, found, [2, 3, 5, 6])
    assert decided is not None and decided.parts is not None and decided.training is not None
    assert decided.parts.van_stock is not None
    assert decided.parts.van_stock.skus == {"compressor": 2, "control_board": 3, "door_seal": 5}
    assert decided.training.hours_per_technician_month == 6


@pytest.mark.parametrize("spec", ["parts.van_stock.*.level", "training.hours_per_technician_month",
                                  "parts.van_stock.gasket.level"])
def test_deciding_what_the_scenario_lacks_is_refused(spec: str) -> None:
    scenario = load_scenario(ROOT / "scenarios" / "baseline.yaml")
    if spec.endswith("gasket.level"):
        scenario = with_vans_and_training()
    with pytest.raises(ScenarioError, match="--decide"):
        decision_variables(scenario, [spec])


def test_a_sku_named_with_digits_is_a_key_not_a_list_index() -> None:
    data = with_vans_and_training().model_dump(mode="json")
    data["parts"]["skus"][0]["sku"] = "7"
    data["parts"]["van_stock"]["skus"] = {"7": 1, "control_board": 0, "door_seal": 4}
    scenario = Scenario.model_validate(data)
    found = decision_variables(scenario, ["parts.van_stock.*.level"])
    assert found[0].path == "parts.van_stock.skus.7"
    decided = apply_decision(scenario, found, [3, 2, 5])
    assert decided is not None and decided.parts is not None
    assert decided.parts.van_stock is not None
    assert decided.parts.van_stock.skus == {"7": 3, "control_board": 2, "door_seal": 5}


def test_a_star_under_a_mapping_names_each_of_its_keys() -> None:
    scenario = with_vans_and_training()
    # Every key of `costs` is a price: the message names the first, not "names nothing".
    with pytest.raises(ScenarioError, match=r"costs\.agent_per_hour"):
        decision_variables(scenario, ["costs.*"])


def test_the_shipped_plan_decides_all_five_levers_of_the_baseline() -> None:
    path = ROOT / "scenarios" / "optimize" / "plan.yaml"
    spec = read_optimize_file(path)
    assert spec is not None
    scenario = load_for_run(path.parent / spec.base, list(spec.set))
    found = decision_variables(scenario, spec.decide)
    areas = [v.area for v in found]
    # 3 agent shifts, 2 technician shifts, 3 SKUs in the store and on the vans, training hours
    assert [areas.count(a) for a in ("agents", "technicians", "stock", "vans", "training")] \
        == [3, 2, 3, 3, 1]
    assert scenario.targets["van_fill_rate"] == 0.85
    assert scenario.field_service is not None and scenario.field_service.attrition_per_year > 0
