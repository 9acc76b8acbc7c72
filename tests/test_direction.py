"""Direction tests: more capacity or better quality never makes a KPI worse, on average.

Each test runs a small scenario at a few levels of one input with the same root seed, so the
levels share random numbers stream by stream (common random numbers: the same callers with the
same patience and talk times, the same repair times, the same lead times) and the comparison is
of the mean over replications, not of noise. Levels are a few steps apart, in the range where the
KPI actually moves, so the tests would catch a sign error or a capacity that is never used.
"""

from __future__ import annotations

import copy
from collections.abc import Callable
from typing import Any

import numpy as np
import pytest

from sim.engine.model import simulate
from sim.engine.rng import replication_seed
from sim.experiments.replicate import replicate
from sim.scenario.format import Scenario

REPS = 8
SEED = 11

CALLS: dict[str, Any] = {
    "name": "direction-agents", "warmup_days": 0.5, "horizon_days": 3,
    "demand": {"contacts_per_day": 400, "mix": {"inquiry": 0.8, "complaint": 0.2}},
    "call_center": {
        "agents": 2,
        "handle_minutes": {"inquiry": {"dist": "exponential", "mean": 6},
                           "complaint": {"dist": "lognormal", "mean": 8, "cv": 0.6}},
        "patience_minutes": {"dist": "exponential", "mean": 3},
    },
}

REPAIRS: dict[str, Any] = {
    "name": "direction-repairs", "warmup_days": 1, "horizon_days": 4,
    "demand": {"contacts_per_day": 50, "mix": {"repair": 1.0}},
    "call_center": {"agents": 10, "handle_minutes": {"repair": 5}},
    "field_service": {
        "technicians": 3, "promised_hours": {"onsite": 8},
        "travel_minutes": {"dist": "gamma", "mean": 20, "cv": 0.5},
        "diagnosis_minutes": 10,
        "repair_minutes": {"dist": "lognormal", "mean": 60, "cv": 0.5},
        "fix_probability": 0.9,
        "rework_delay_hours": 12,
    },
}

PARTS: dict[str, Any] = {
    "name": "direction-parts", "warmup_days": 1, "horizon_days": 5,
    "demand": {"contacts_per_day": 30, "mix": {"repair": 1.0}},
    "call_center": {"agents": 10, "handle_minutes": {"repair": 5}},
    "field_service": {"technicians": 20, "repair_minutes": 30},
    "parts": {"need_probability": 1.0, "skus": [{
        "sku": "x", "share": 1.0, "unit_cost": 10, "initial_on_hand": 30,
        "policy": {"type": "rQ", "r": 10, "Q": 10},
        "lead_time_days": {"dist": "gamma", "mean": 1, "cv": 0.5}}]},
}


def with_(base: dict[str, Any], change: Callable[[dict[str, Any]], None]) -> Scenario:
    data = copy.deepcopy(base)
    change(data)
    return Scenario.model_validate(data)


def mean_kpi(scenario: Scenario, kpi: str) -> float:
    result = replicate(scenario, replications=REPS, seed=SEED, workers=1)
    return float(result.replications[kpi].mean())


def assert_never_lower(levels: list[Any], means: list[float], what: str) -> None:
    assert not any(np.isnan(means)), f"{what}: {dict(zip(levels, means, strict=True))}"
    for (a, ma), (b, mb) in zip(zip(levels, means, strict=True),
                                zip(levels[1:], means[1:], strict=True), strict=False):
        assert mb >= ma - 1e-12, f"{what}: {ma:.4f} at {a} but {mb:.4f} at {b}"
    assert means[-1] > means[0], f"{what} does not move over {levels}: {means}"


@pytest.mark.parametrize("shifts", [False, True], ids=["around-the-clock", "shifts"])
def test_one_more_agent_never_lowers_service_level(shifts: bool) -> None:
    levels = [2, 3, 4, 5]

    def staff(n: int) -> Callable[[dict[str, Any]], None]:
        def change(d: dict[str, Any]) -> None:
            if shifts:
                d["call_center"]["agents"] = [
                    {"name": "day", "start": "07:00", "end": "19:00", "count": n},
                    {"name": "night", "start": "19:00", "end": "07:00", "count": n - 1}]
            else:
                d["call_center"]["agents"] = n
        return change

    means = [mean_kpi(with_(CALLS, staff(n)), "service_level") for n in levels]
    assert_never_lower(levels, means, "service_level")


def test_more_technicians_never_lower_repair_on_time_rate() -> None:
    """Around the clock (the cohort followed to its end as well)."""
    levels = [2, 3, 4, 5]

    def staff(n: int) -> Callable[[dict[str, Any]], None]:
        def change(d: dict[str, Any]) -> None:
            d["field_service"]["technicians"] = n
        return change

    means = [mean_kpi(with_(REPAIRS, staff(n)), "repair_on_time_rate") for n in levels]
    assert_never_lower(levels, means, "repair_on_time_rate")


@pytest.mark.parametrize("policy", ["rQ", "sS"])
def test_higher_reorder_point_never_lowers_fill_rate(policy: str) -> None:
    levels = [10, 20, 25, 30, 40]

    def reorder_at(point: int) -> Callable[[dict[str, Any]], None]:
        def change(d: dict[str, Any]) -> None:
            sku = d["parts"]["skus"][0]
            if policy == "rQ":
                sku["policy"] = {"type": "rQ", "r": point, "Q": 10}
                sku["initial_on_hand"] = point + 10
            else:
                sku["policy"] = {"type": "sS", "s": point, "S": 50}
                sku["initial_on_hand"] = 50
        return change

    means = [mean_kpi(with_(PARTS, reorder_at(p)), "fill_rate") for p in levels]
    assert_never_lower(levels, means, f"fill_rate ({policy})")


def test_better_quality_never_raises_rework() -> None:
    levels = [0.5, 0.7, 0.9, 1.0]

    def quality(p: float) -> Callable[[dict[str, Any]], None]:
        def change(d: dict[str, Any]) -> None:
            d["field_service"]["technicians"] = 8
            d["field_service"]["quality_pass_probability"] = p
        return change

    scenarios = [with_(REPAIRS, quality(p)) for p in levels]
    rates = [mean_kpi(s, "rework_rate") for s in scenarios]
    assert_never_lower(levels, [-r for r in rates], "-rework_rate")
    jobs = [float(np.mean([(simulate(s, replication_seed(SEED, r)).work_orders["rework_of"] >= 0)
                           .sum() for r in range(REPS)])) for s in scenarios]
    assert_never_lower(levels, [-j for j in jobs], "-rework jobs")
    assert jobs[-1] == 0.0 and rates[-1] == 0.0


# Day-shift technicians: the overtime margin and the run-out are both at work.
CREW: dict[str, Any] = {
    **REPAIRS, "name": "direction-crew", "warmup_days": 2, "horizon_days": 7,
    "demand": {"contacts_per_day": 30, "mix": {"repair": 1.0}},
    "field_service": {
        **REPAIRS["field_service"], "promised_hours": {"onsite": 24},
        "technicians": [{"name": "day", "start": "08:00", "end": "17:00", "count": 3}],
        "quality_pass_probability": 0.9,
    },
}


def test_more_technicians_never_lower_the_cohorts_on_time_rate() -> None:
    """The cohort is followed to its end: a short crew's backlog at the end of the horizon is
    late, not left out, so the rate can only rise with the crew."""
    levels = [3, 4, 5, 6]

    def staff(n: int) -> Callable[[dict[str, Any]], None]:
        def change(d: dict[str, Any]) -> None:
            d["field_service"]["technicians"][0]["count"] = n
        return change

    means = [mean_kpi(with_(CREW, staff(n)), "repair_on_time_rate") for n in levels]
    assert_never_lower(levels, means, "repair_on_time_rate (cohort, day shifts)")


def test_a_tighter_overtime_margin_never_raises_overtime() -> None:
    levels = [480.0, 120.0, 30.0, 0.0]

    def margin(minutes: float) -> Callable[[dict[str, Any]], None]:
        def change(d: dict[str, Any]) -> None:
            d["field_service"]["max_overtime_minutes"] = minutes
        return change

    means = [mean_kpi(with_(CREW, margin(m)), "overtime_hours_per_technician_week")
             for m in levels]
    assert_never_lower(levels, [-m for m in means], "-overtime_hours_per_technician_week")
