"""The KPI catalogue: one definition per KPI, found from its name, in a fixed order.

Checks that the scenario layer's list of target names is the catalogue's contract list, that
results keep their column order (contract KPIs, then the model's additions), that every KPI has
exactly one formula (registered beside its entry, named like it), that ``measure`` reports
exactly the catalogue, and that the monthly budget books each month with the horizon's own cost
lines.
"""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from sim.engine.model import Replication, simulate
from sim.experiments.budget import budget_table
from sim.measure.catalog import (
    CONTRACT_KPI_NAMES,
    COST_KPIS,
    FORMULA_MODULES,
    KPI_BY_NAME,
    KPI_NAMES,
    KPIS,
)
from sim.measure.costs import DEPARTMENTS, department_costs
from sim.measure.kinds import RATIO, SUM
from sim.measure.outcome import measure
from sim.measure.registry import Row, kpi
from sim.measure.window import Grid, Period
from sim.scenario import kpi_names
from sim.scenario.format import Scenario
from sim.scenario.loader import load_scenario_text
from sim.units import MINUTES_PER_DAY

MEASURE = Path(__file__).resolve().parents[1] / "sim" / "measure"
ADDITIONS = ("hold_abandon_rate", "closed_hours_contacts", "rework_rate", "depot_utilization",
             "cost_training")
SHOP = """\
name: shop
start_date: 2027-03-01
warmup_days: 1
horizon_days: 60
demand: {contacts_per_day: 80, mix: {inquiry: 0.5, repair: 0.4, complaint: 0.1}}
call_center:
  hours: {open: "07:00", close: "21:00", days: [mon, tue, wed, thu, fri, sat]}
  agents: 3
  handle_minutes: {inquiry: 4, repair: 6, complaint: 8}
  patience_minutes: {dist: exponential, mean: 3}
  escalation: {probability: {inquiry: 0.2}, specialists: 1, handle_minutes: 10}
complaints: {deadline_hours: 24, handlers: 1, resolution_hours: 1}
field_service:
  onsite_share: 0.6
  technicians: 8
  travel_minutes: 20
  repair_minutes: {dist: exponential, mean: 40}
  quality_pass_probability: 0.9
  spot_check_share: 0.5
  booking:
    min_lead_hours: 2
    slots: [{start: "08:00", end: "12:00"}, {start: "13:00", end: "17:00"}]
  depot: {technicians: 2, transit_hours: 12, repair_minutes: 50}
parts:
  need_probability: 0.5
  skus:
    - {sku: pump, share: 0.5, unit_cost: 50, initial_on_hand: 5,
       policy: {type: sS, s: 2, S: 6}, lead_time_days: 2}
    - {sku: board, share: 0.5, unit_cost: 120, initial_on_hand: 5,
       policy: {type: base_stock, level: 5}, lead_time_days: 3}
  van_stock: {skus: {pump: 1}, delivery_hours: 8}
followup: {within_hours: 24, reach_probability: 0.6}
costs: {agent_per_hour: 25, technician_per_hour: 40, depot_technician_per_hour: 35,
        late_repair_penalty: 30}
revenue:
  repair_fee: {onsite: 150, depot: 90}
  parts_markup: 0.25
"""


def test_scenario_targets_name_the_contract_kpis_in_catalogue_order() -> None:
    # The scenario layer cannot import sim.measure: it keeps its own copy of the names.
    assert kpi_names.KPI_NAMES == CONTRACT_KPI_NAMES


def test_results_columns_are_the_contract_then_the_additions() -> None:
    # replications.csv and summary.csv follow the catalogue: users' scripts read them by column.
    assert (*kpi_names.KPI_NAMES, *ADDITIONS) == KPI_NAMES
    assert [KPI_BY_NAME[name].contract for name in ADDITIONS] == [False] * len(ADDITIONS)


def test_every_kpi_has_one_formula_named_like_it() -> None:
    sources = "\n".join(p.read_text(encoding="utf-8") for p in sorted(MEASURE.glob("*.py")))
    for entry in KPIS:
        name = entry.info.name
        assert entry.formula.__name__ == name
        assert entry.formula.__module__ in {m.__name__ for m in FORMULA_MODULES}
        # One hop: grepping the name finds one entry, on the line above its function.
        entries = re.findall(rf'@kpi\(\s*"{name}",[^@]*?\ndef (\w+)\(', sources)
        assert entries == [name], (name, entries)


def test_a_kpi_cannot_be_defined_twice_or_under_another_name() -> None:
    with pytest.raises(ValueError, match="defined twice"):
        @kpi("service_level", "share", "at_least", "call center", "again", kind=RATIO)
        def service_level(view: Period) -> np.ndarray:
            return np.zeros(1)

    with pytest.raises(ValueError, match="must be"):
        @kpi("a_new_kpi", "share", "at_least", "call center", "misnamed", kind=RATIO)
        def another_name(view: Period) -> np.ndarray:
            return np.zeros(1)


def test_a_kpi_from_other_kpis_is_derived_and_only_it() -> None:
    with pytest.raises(ValueError, match="DERIVED"):
        @kpi("a_new_kpi", "share", "at_least", "call center", "no kind on records")
        def a_new_kpi(view: Period) -> np.ndarray:
            return np.zeros(1)

    with pytest.raises(ValueError, match="DERIVED"):
        @kpi("a_new_kpi", "share", "at_least", "call center", "parts of KPIs", kind=SUM)
        def a_new_kpi(row: Row) -> np.ndarray:
            return np.zeros(1)


def test_cost_kpis_are_the_budgets_departments() -> None:
    assert {f"cost_{d}" for d in DEPARTMENTS} == set(COST_KPIS) - {"cost_per_repair"}


@pytest.fixture(scope="module")
def shop() -> tuple[Scenario, Replication]:
    scenario = load_scenario_text(SHOP)
    return scenario, simulate(scenario, 5)


def test_measure_reports_the_catalogue(shop: tuple[Scenario, Replication]) -> None:
    scenario, rep = shop
    kpis = measure(scenario, rep).kpis
    assert tuple(kpis) == KPI_NAMES
    assert all(np.isfinite(kpis[name]) for name in KPI_NAMES), kpis


def test_the_budget_books_calendar_months_with_the_horizons_cost_lines(
        shop: tuple[Scenario, Replication]) -> None:
    scenario, rep = shop
    outcome = measure(scenario, rep)
    ledger = outcome.ledger.stacked(0)
    budget = budget_table(scenario, ledger)
    months = budget[budget["month"] != "total"]
    # 61 days from 2027-03-01 with one day of warm-up: March (30 measured days) and April (30).
    assert list(dict.fromkeys(months["month"])) == ["2027-03", "2027-04"]
    assert set(months["measured_days"]) == {30.0} and set(months["month_days"]) == {31, 30}
    by_department = months.groupby("department", sort=False)["mean"].sum()
    for department in DEPARTMENTS:
        assert by_department[department] == pytest.approx(outcome.kpis[f"cost_{department}"],
                                                         rel=1e-12, abs=1e-9), department
    assert by_department["revenue"] == pytest.approx(outcome.kpis["revenue"], rel=1e-12)
    assert outcome.kpis["total_cost"] == pytest.approx(
        sum(outcome.kpis[f"cost_{d}"] for d in DEPARTMENTS), rel=1e-12)
    # A month is the same formulas on the month's days: March is days 1-30 of the clock.
    march = Period(scenario, rep, Grid.whole(rep.start_minutes, 31 * MINUTES_PER_DAY))
    assert tuple(department_costs(march)) == DEPARTMENTS
    pd.testing.assert_series_equal(
        months[months["month"] == "2027-03"].set_index("department")["mean"]
        .loc[list(DEPARTMENTS)],
        pd.Series({d: float(v[0]) for d, v in department_costs(march).items()},
                  name="mean").rename_axis("department"), rtol=1e-12)


