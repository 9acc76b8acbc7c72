"""Revenue: repair fees and parts billed, the operating margin, and the budget's revenue rows.

The revenue KPI is recomputed by hand from the work-order table; the warranty draw has a stream
of its own, so adding a revenue section changes no other number; the monthly budget's margin is
revenue minus total cost month by month.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import theory_level

from sim.calibrate.estimators import proportion
from sim.calibrate.logs import event_tables
from sim.engine.model import simulate
from sim.engine.rng import replication_seed
from sim.experiments.replicate import replicate
from sim.measure.costs import MARGIN, REVENUE, TOTAL
from sim.measure.outcome import measure
from sim.scenario.loader import load_scenario_text

SHOP = """\
name: shop
seed: 4
warmup_days: 1
horizon_days: 40
demand: {contacts_per_day: 120, mix: {inquiry: 0.5, repair: 0.5}}
call_center:
  agents: 4
  handle_minutes: {inquiry: 4, repair: 6}
field_service:
  onsite_share: 0.6
  technicians: 12
  travel_minutes: 20
  repair_minutes: {dist: exponential, mean: 40}
  quality_pass_probability: 0.9
  spot_check_share: 0.5
  depot: {technicians: 6, transit_hours: 12, repair_minutes: 50}
parts:
  need_probability: 0.5
  skus:
    - {sku: pump, share: 0.5, unit_cost: 50, initial_on_hand: 40,
       policy: {type: base_stock, level: 40}, lead_time_days: 2}
    - {sku: board, share: 0.5, unit_cost: 120, initial_on_hand: 40,
       policy: {type: base_stock, level: 40}, lead_time_days: 3}
costs: {agent_per_hour: 25, technician_per_hour: 40, depot_technician_per_hour: 35}
revenue:
  repair_fee: {onsite: 150, depot: 90}
  warranty_share: 0.3
  parts_markup: 0.25
"""
PRICE = {"pump": 50 * 1.25, "board": 120 * 1.25, "": 0.0}


def test_revenue_is_fees_and_parts_of_the_paid_repairs_finished() -> None:
    scenario = load_scenario_text(SHOP)
    rep = simulate(scenario, 11)
    kpis = measure(scenario, rep).kpis
    jobs = rep.work_orders
    finished = jobs["finished"].to_numpy(float)
    inside = (finished >= rep.start_minutes) & (finished < rep.end_minutes)
    paid = inside & (jobs["rework_of"].to_numpy() < 0) & ~jobs["warranty"].to_numpy(bool)
    fees = np.where(jobs["channel"] == "onsite", 150.0, 90.0)
    parts = jobs["sku"].map(PRICE).to_numpy(float)
    assert (jobs["rework_of"] >= 0).any() and (jobs["sku"] != "").any()
    assert kpis["revenue"] == pytest.approx(float((fees + parts)[paid].sum()))
    assert kpis["operating_margin"] == pytest.approx(kpis["revenue"] - kpis["total_cost"])
    rework = jobs[jobs["rework_of"] >= 0]
    original = jobs.set_index("id").loc[rework["rework_of"], "warranty"].to_numpy()
    assert (rework["warranty"].to_numpy() == original).all()  # a rework keeps its terms


@pytest.mark.parametrize(("run", "check"), theory_level.params("revenue"))
def test_the_warranty_share_is_drawn_at_its_rate(run: str, check: str) -> None:
    """Each first repair is under warranty with probability 0.3: the Wilson interval of the
    share at the suite's per-check level covers it (``tests/theory_level.py``). Four
    replications (about 10 000 first repairs) make it about +-0.017."""
    scenario = load_scenario_text(SHOP)
    warranty = first = 0
    for r in range(4):
        jobs = simulate(scenario, replication_seed(theory_level.seed(run), r)).work_orders
        firsts = jobs.loc[jobs["rework_of"] < 0, "warranty"].to_numpy(bool)
        warranty, first = warranty + int(firsts.sum()), first + len(firsts)
    share = proportion(warranty, first, theory_level.EACH)
    assert share is not None
    theory_level.assert_covers(run, check, share.value, share.low, share.high, 0.3)


def test_revenue_changes_no_other_number() -> None:
    with_revenue = load_scenario_text(SHOP)
    without = with_revenue.model_copy(update={"revenue": None})
    a, b = simulate(with_revenue, 3), simulate(without, 3)
    assert a.work_orders.drop(columns="warranty").equals(b.work_orders.drop(columns="warranty"))
    assert a.calls.equals(b.calls) and a.visits.equals(b.visits)
    ka, kb = measure(with_revenue, a).kpis, measure(without, b).kpis
    assert np.isnan(kb["revenue"]) and np.isnan(kb["operating_margin"])  # unknown, not 0
    finance = ("revenue", "operating_margin")
    assert ({k: v for k, v in ka.items() if k not in finance}
            == {k: v for k, v in kb.items() if k not in finance})


def test_the_budget_has_revenue_and_margin_rows() -> None:
    result = replicate(load_scenario_text(SHOP), replications=3, seed=2, workers=1)
    budget = result.budget.set_index(["month", "department"])
    months = [m for m in result.budget["month"].unique() if m != "total"]
    assert len(months) == 2  # 40 days from the first Monday of next year: two calendar months
    for month in [*months, "total"]:
        revenue = budget.loc[(month, REVENUE), "mean"]
        assert budget.loc[(month, MARGIN), "mean"] == pytest.approx(
            revenue - budget.loc[(month, TOTAL), "mean"])
    in_months = result.budget[result.budget["month"] != "total"]
    by_month = in_months[in_months["department"] == REVENUE]["mean"].sum()
    assert by_month == pytest.approx(result.replications["revenue"].mean())
    assert budget.loc[("total", REVENUE), "mean"] == pytest.approx(by_month)
    total = in_months[in_months["department"] == TOTAL]["mean"].sum()
    assert total == pytest.approx(result.replications["total_cost"].mean())
    summary = result.summary.set_index("kpi")
    assert summary.loc["operating_margin", "ci_low"] < 0 < summary.loc["revenue", "ci_low"]


def test_the_cost_chart_draws_revenue_over_the_bars_not_as_a_department() -> None:
    from sim.experiments.budget import TOTAL_REVENUE, month_lines
    from sim.measure.costs import SUMMARY_ROWS
    from sim.output.charts.run import cost_per_department

    result = replicate(load_scenario_text(SHOP), replications=2, seed=2, workers=1)
    budget = result.budget
    months = budget[budget["month"] != "total"]
    fig = cost_per_department(month_lines(budget, "cost"), "EUR", "shop",
                              revenue=months[months["department"] == TOTAL_REVENUE])
    labels = fig.axes[0].get_legend_handles_labels()[1]
    assert "revenue (95% CI)" in labels
    assert not set(labels) & set(SUMMARY_ROWS)


def test_fit_reads_the_warranty_share_and_keeps_the_prices(tmp_path: Path) -> None:
    from sim.calibrate.fit import fit_files

    (tmp_path / "shop.yaml").write_text(SHOP, encoding="utf-8")
    result = replicate(load_scenario_text(SHOP), replications=2, seed=5, workers=1,
                       logs=event_tables)
    assert result.events is not None
    paths = {}
    for kind in ("calls", "work_orders", "visits"):
        result.events[kind].to_csv(tmp_path / f"{kind}.csv", index=False)
        paths[kind] = tmp_path / f"{kind}.csv"
    fit = fit_files(paths, tmp_path / "shop.yaml")
    share = next(p.estimate for p in fit.params if p.path == "revenue.warranty_share")
    assert share.covers(0.3)
    revenue = fit.scenario.revenue
    assert revenue is not None and revenue.repair_fee.onsite == 150 and revenue.parts_markup == 0.25


def test_the_margin_is_a_headline_card_only_when_revenue_is_modelled() -> None:
    from sim.output.numbers import headline_kpis

    scenario = load_scenario_text(SHOP.replace("horizon_days: 40", "horizon_days: 5"))
    with_revenue = replicate(scenario, replications=2, seed=1, workers=1)
    without = replicate(scenario.model_copy(update={"revenue": None}), replications=2, seed=1,
                        workers=1)
    assert "operating_margin" in headline_kpis(with_revenue)
    assert "operating_margin" not in headline_kpis(without)
