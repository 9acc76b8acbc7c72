"""Product lines and technician skills: dispatch sends a job only to a technician with its
line's skill, a line's overrides apply to its jobs only, its KPIs are the KPI's own formula on its
jobs, and a scenario that names an unknown line, or a line nobody can repair, is refused."""

from __future__ import annotations

import copy
from typing import Any

import numpy as np
import pandas as pd
import pytest

from sim.engine.model import simulate
from sim.experiments.replicate import replicate
from sim.measure.products import BY_PRODUCT, column
from sim.output.export import by_product_table
from sim.scenario.format import Scenario
from sim.scenario.loader import load_scenario_text
from sim.scenario.problems import ScenarioError
from sim.scenario.yaml_io import to_yaml

WEEKDAYS = ["mon", "tue", "wed", "thu", "fri"]
SHOP: dict[str, Any] = {
    "name": "skills", "warmup_days": 1, "horizon_days": 14,
    "demand": {"contacts_per_day": 60, "mix": {"repair": 1.0},
               "products": [{"name": "air_conditioner", "share": 0.5},
                            {"name": "washer", "share": 0.3, "repair_minutes": 20},
                            {"name": "fridge", "share": 0.2, "fix_probability": 0.6}]},
    "call_center": {"agents": 10, "handle_minutes": {"repair": 5}},
    "field_service": {
        "technicians": [
            {"name": "day", "start": "08:00", "end": "17:00", "days": WEEKDAYS, "count": 6,
             "skills": ["air_conditioner", "washer"]},
            {"name": "late", "start": "12:00", "end": "20:00", "days": WEEKDAYS, "count": 3,
             "skills": ["fridge", "washer"]}],
        "promised_hours": {"onsite": 48},
        "travel_minutes": 20, "diagnosis_minutes": 10,
        "repair_minutes": {"dist": "lognormal", "mean": 60, "cv": 0.4},
        "fix_probability": 0.95, "rework_delay_hours": 24, "quality_pass_probability": 0.9,
    },
}


def shop(**changes: Any) -> Scenario:
    data = copy.deepcopy(SHOP)
    for path, value in changes.items():
        *head, last = path.split("__")
        node = data
        for key in head:
            node = node[int(key)] if isinstance(node, list) else node[key]
        node[int(last) if isinstance(node, list) else last] = value
    return Scenario.model_validate(data)


def visits_with_products(scenario: Scenario, seed: int) -> pd.DataFrame:
    rep = simulate(scenario, seed)
    product = rep.work_orders.set_index("id")["product"].astype(str)
    visits = rep.visits[rep.visits["crew"] == "technicians"].copy()
    visits["product"] = product.reindex(visits["job_id"]).to_numpy()
    return visits


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_a_technician_without_the_skill_is_never_sent(seed: int) -> None:
    scenario = shop()
    visits = visits_with_products(scenario, seed)
    # People are numbered shift by shift: the first 6 are the day shift's, the next 3 the late.
    skills = {k: {"air_conditioner", "washer"} for k in range(6)}
    skills |= {k: {"fridge", "washer"} for k in range(6, 9)}
    assert (visits["technician"] >= 0).all()
    sent = [p in skills[t] for t, p in zip(visits["technician"], visits["product"], strict=True)]
    assert all(sent)
    # Both shifts repair washers: the skill, not the shift, decides.
    washers = visits[visits["product"] == "washer"]
    assert washers["technician"].lt(6).any() and washers["technician"].ge(6).any()


def test_a_job_with_nobody_skilled_on_shift_waits_for_them() -> None:
    scenario = shop()
    visits = visits_with_products(scenario, 4)
    fridge = visits[visits["product"] == "fridge"]
    minute = fridge["start"].to_numpy(float) % 1440
    weekday = (fridge["start"].to_numpy(float) // 1440 + scenario.first_weekday) % 7
    assert len(fridge) > 50
    # Only the late shift (12:00-20:00, Monday to Friday) repairs fridges.
    assert ((minute >= 12 * 60) & (minute < 20 * 60) & (weekday < 5)).all()


def test_a_lines_overrides_apply_to_its_jobs_only() -> None:
    visits = visits_with_products(shop(), 5)
    repair = visits[visits["repair"] > 0].groupby("product")["repair"].mean()
    assert repair["washer"] == pytest.approx(20.0)  # the line's constant repair time
    assert 50 < repair["air_conditioner"] < 70  # the field service's lognormal of mean 60
    fixed = visits[visits["repair"] > 0].assign(fixed=lambda v: v["outcome"] == "fixed")
    share = fixed.groupby("product")["fixed"].mean()
    assert share["fridge"] < 0.75 < share["air_conditioner"]


def test_one_line_breaks_down_into_the_kpis_themselves() -> None:
    scenario = shop(demand__products=[{"name": "washer", "share": 1.0}],
                    field_service__technicians__0__skills=["washer"],
                    field_service__technicians__1__skills=["washer"])
    result = replicate(scenario, replications=2, seed=3, workers=1)
    table = result.replications
    for formula in BY_PRODUCT:
        name = formula.__name__
        assert np.allclose(table[column(name, "washer")], table[name], rtol=1e-12), name
    lines = by_product_table(result.summary)
    assert list(lines["product"].unique()) == ["washer"]
    assert list(lines["kpi"]) == [f.__name__ for f in BY_PRODUCT]


def test_every_line_has_its_row_in_the_results_table() -> None:
    result = replicate(shop(), replications=2, seed=3, workers=1)
    lines = by_product_table(result.summary)
    assert len(lines) == 3 * len(BY_PRODUCT)
    assert set(lines["product"]) == {"air_conditioner", "washer", "fridge"}
    ontime = lines[lines["kpi"] == "repair_on_time_rate"].set_index("product")["mean"]
    assert ((ontime >= 0) & (ontime <= 1)).all()


def text(**changes: Any) -> str:
    data = copy.deepcopy(SHOP)
    for path, value in changes.items():
        *head, last = path.split("__")
        node = data
        for key in head:
            node = node[int(key)] if isinstance(node, list) else node[key]
        node[int(last) if isinstance(node, list) else last] = value
    return to_yaml(data)


@pytest.mark.parametrize(("changes", "path", "words"), [
    ({"field_service__technicians__0__skills": ["washer", "dryer"]},
     "field_service.technicians.0.skills", "unknown product line `dryer`"),
    ({"field_service__technicians__1__skills": ["washer"]},
     "field_service.technicians", "no shift with people has the skill `fridge`"),
    ({"demand__products__0__share": 0.6}, "demand.products", "product shares must sum to 1"),
    ({"demand__products__0__name": "Air Con"}, "demand.products.0.name",
     "cannot be a product line name"),
])
def test_a_line_nobody_knows_or_nobody_can_repair_is_refused(
        changes: dict[str, Any], path: str, words: str) -> None:
    with pytest.raises(ScenarioError) as error:
        load_scenario_text(text(**changes))
    message = str(error.value)
    assert path in message and words in message, message
