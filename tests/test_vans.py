"""Stock in the vans: the theory reduction, the single-echelon reduction, unit conservation and
directions, on the full model.

* Periodic review (analytic, ``tests/theory_level.py``): one technician around the clock, every
  time 0, so each repair call's part need is looked up in the van at the call's arrival (a
  Poisson stream), and an infinite central store refills the van to its level every midnight.
  A day's D needs are then met min(D, S) from the van: ``van_fill_rate`` and the time-average
  units on the van are those of ``sim.theory.stock.periodic_van_stock``.
* Van levels 0 with no delivery time are the single-echelon model: every need goes to the
  central store and a part found there is handed over at once, as without vans. The runs need
  not be identical (technicians with vans are staffed shift by shift, so who takes which job
  may differ: on the baseline it does), so the paired difference of ``fill_rate`` and
  ``first_time_fix_rate`` must contain 0 at the per-check level (two analytic checks).
* Every unit is accounted for across store, vans, pipeline and use.
* Under common random numbers, more van stock never lowers the van fill rate or first-time fix.
"""

from __future__ import annotations

import copy
from typing import Any

import numpy as np
import pandas as pd
import pytest
import theory_level as level

from sim.engine.model import Replication, simulate
from sim.experiments.replicate import replicate
from sim.scenario.format import Scenario
from sim.theory.stock import periodic_van_stock

UNIT_COST = 10.0


def van_scenario(per_day: float, van_level: int, horizon_days: float) -> Scenario:
    """Repair calls answered at once; one technician around the clock doing everything in no
    time; one SKU every job needs; a central store that never runs out."""
    return Scenario.model_validate({
        "name": "theory-vans", "warmup_days": 1, "horizon_days": horizon_days,
        "demand": {"contacts_per_day": per_day, "mix": {"repair": 1.0},
                   "weekly_profile": "flat", "hourly_profile": "flat"},
        "call_center": {"agents": 200, "handle_minutes": {"repair": 0}},
        "field_service": {"technicians": 1, "travel_minutes": 0, "diagnosis_minutes": 0,
                          "repair_minutes": 0},
        "parts": {"need_probability": 1.0,
                  "skus": [{"sku": "part", "share": 1.0, "unit_cost": UNIT_COST,
                            "initial_on_hand": 1_000_000,
                            "policy": {"type": "base_stock", "level": 1_000_000},
                            "lead_time_days": 0.1}],
                  "van_stock": {"skus": {"part": van_level}, "delivery_hours": 4}},
    })


@pytest.mark.parametrize(("run", "kpi"), level.params("vans_periodic"))
def test_a_van_refilled_nightly_is_periodic_review_base_stock(run: str, kpi: str) -> None:
    per_day, van_level = 3.0, 3
    result = replicate(van_scenario(per_day, van_level, 60), replications=20,
                       seed=level.seed(run), workers=1).replications
    expected = periodic_van_stock(per_day, van_level)
    if kpi == "van_fill_rate":
        level.assert_mean(run, kpi, result["van_fill_rate"], expected.fill_rate)
    else:
        level.assert_mean(run, kpi, result["van_inventory_value_mean"],
                          expected.expected_on_hand, scale=UNIT_COST)


FIELD: dict[str, Any] = {
    "name": "vans-field", "warmup_days": 2, "horizon_days": 30,
    "demand": {"contacts_per_day": 40, "mix": {"repair": 1.0}},
    "call_center": {"agents": 20, "handle_minutes": {"repair": 5}},
    "field_service": {
        "technicians": [{"name": "day", "start": "08:00", "end": "17:00",
                         "days": ["mon", "tue", "wed", "thu", "fri", "sat"], "count": 5},
                        {"name": "late", "start": "12:00", "end": "20:00", "count": 2}],
        "promised_hours": {"onsite": 48},
        "travel_minutes": {"dist": "gamma", "mean": 20, "cv": 0.5},
        "diagnosis_minutes": 10,
        "repair_minutes": {"dist": "exponential", "mean": 45},
        "fix_probability": 0.9, "quality_pass_probability": 0.95, "rework_delay_hours": 24,
    },
    "parts": {"need_probability": 0.6, "skus": [
        {"sku": "pump", "share": 0.4, "unit_cost": 80, "initial_on_hand": 12,
         "policy": {"type": "base_stock", "level": 12},
         "lead_time_days": {"dist": "gamma", "mean": 1.5, "cv": 0.4}, "reject_rate": 0.05},
        {"sku": "seal", "share": 0.6, "unit_cost": 5, "initial_on_hand": 15,
         "policy": {"type": "rQ", "r": 8, "Q": 10}, "lead_time_days": 1,
         "shrinkage_per_year": 2.0}]},
}


def field(van: dict[str, Any] | None) -> Scenario:
    data = copy.deepcopy(FIELD)
    if van is not None:
        data["parts"]["van_stock"] = van
    return Scenario.model_validate(data)


@pytest.mark.parametrize(("run", "kpi"), level.params("vans_reduction"))
def test_van_levels_zero_are_the_single_echelon_model(run: str, kpi: str) -> None:
    seed = level.seed(run)
    one = replicate(field(None), replications=20, seed=seed, workers=1).replications
    two = replicate(field({"skus": {"pump": 0, "seal": 0}, "delivery_hours": 0}),
                    replications=20, seed=seed, workers=1).replications
    assert (two["van_fill_rate"] == 0).all()  # every need looked up in an empty van
    assert 0.3 < one[kpi].mean() < 0.98  # the central store's stock does matter here
    level.assert_mean(run, kpi, two[kpi] - one[kpi], 0.0)


def units_accounted(scenario: Scenario, rep: Replication) -> None:
    """Per SKU: the units there at the start and received = the units on the shelf, on the vans,
    used by jobs and lost at the end (rejects never enter; what is on order is not yet in)."""
    parts = scenario.parts
    assert parts is not None and parts.van_stock is not None
    vans = sum(s.count for s in scenario.field_service.technicians) \
        if isinstance(scenario.field_service.technicians, tuple) \
        else scenario.field_service.technicians
    for spec in parts.skus:
        sku = spec.sku
        orders = rep.part_orders[rep.part_orders["sku"] == sku]
        received = int(orders["accepted"].sum())
        start = spec.initial_on_hand + vans * parts.van_stock.skus.get(sku, 0)

        def last(levels: pd.DataFrame, sku: str = sku) -> int:
            rows = levels[levels["sku"] == sku]
            return int(rows.sort_values("time", kind="stable")["on_hand"].iloc[-1])

        requests = rep.part_requests[rep.part_requests["sku"] == sku]
        to_jobs = int((~np.isnan(requests["filled"].to_numpy(float))).sum())
        uses = rep.van_uses[rep.van_uses["sku"] == sku]
        from_vans = int(uses["from_van"].astype(bool).sum())
        lost = int(rep.part_losses.loc[rep.part_losses["sku"] == sku, "units"].sum())
        end = last(rep.part_levels) + last(rep.van_levels)
        assert start + received == end + to_jobs + from_vans + lost, (
            sku, start, received, end, to_jobs, from_vans, lost)
        # Every unit the vans received was a unit the store allocated to a refill.
        transfers = rep.van_transfers[rep.van_transfers["sku"] == sku]
        allocated = int((~np.isnan(transfers["filled"].to_numpy(float))).sum())
        assert allocated == last(rep.van_levels) - vans * parts.van_stock.skus.get(sku, 0) \
            + from_vans


@pytest.mark.parametrize("refill", ["nightly", {"refill_days": 2.5}])
@pytest.mark.parametrize("seed", [1, 2])
def test_every_unit_is_accounted_for_across_store_vans_pipeline_and_use(
        refill: Any, seed: int) -> None:
    scenario = field({"skus": {"pump": 1, "seal": 2}, "refill": refill, "delivery_hours": 6})
    rep = simulate(scenario, seed)
    assert len(rep.van_uses) > 100 and (~rep.van_uses["from_van"].astype(bool)).any()
    # The store ran out for the vans at times: their refills waited like any backorder.
    assert (~rep.van_transfers["from_stock"].astype(bool)).any()
    units_accounted(scenario, rep)


def test_more_van_stock_never_lowers_van_fill_rate_or_first_time_fix() -> None:
    levels = [{"pump": 0, "seal": 0}, {"pump": 1, "seal": 1}, {"pump": 2, "seal": 3}]
    means = []
    for skus in levels:
        reps = replicate(field({"skus": skus, "delivery_hours": 24}), replications=6, seed=7,
                         workers=1).replications
        means.append(reps[["van_fill_rate", "first_time_fix_rate"]].mean())
    table = pd.DataFrame(means)
    print(table)
    for kpi in ("van_fill_rate", "first_time_fix_rate"):
        assert table[kpi].is_monotonic_increasing, table
        assert table[kpi].iloc[-1] > table[kpi].iloc[0] + 0.05, table  # the levers move it
