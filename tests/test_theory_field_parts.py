"""The full model, reduced to textbook queues and inventories, against ``sim.theory.queues``.

Every scenario here has repair calls only, handled in zero time by plenty of agents on duty around
the clock, so a work order is created at each call's arrival: work orders form a Poisson stream of
``contacts_per_day`` a day (flat profiles, no opening hours). No booking, no depot, no follow-ups,
fix and quality probabilities 1: a work order goes to the first free technician and is finished in
one visit. Runs go through ``sim.experiments.replicate.replicate``, the public run function, and the
analytic value must lie inside the t-interval of the replication means at the suite's per-check
level (``tests/theory_level.py``: Bonferroni over every analytic check, 1% family-wise; each
case's seed is its place there).

* Dispatch as Erlang C: no parts, travel and diagnosis 0, exponential repair time, N technicians
  around the clock: the technicians are an M/M/N queue, ``dispatch_wait_hours`` is its mean wait
  (Erlang C ASA) and ``technician_utilization`` its utilisation.
* Base stock / (r, Q): every job needs the one SKU, technicians are plentiful and every visit
  takes no time, so part requests are the Poisson stream of calls; with a constant lead time
  the fill rate and the mean on-hand stock are those of ``theory_stock.poisson_base_stock`` and
  ``theory_stock.poisson_rq``.

Each case runs once (cached), 20 replications, and is shared by its KPI checks.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from typing import Any

import pandas as pd
import pytest
import theory_level as level

from sim.experiments.replicate import replicate
from sim.scenario.format import Scenario
from sim.theory import queues as theory
from sim.theory import stock as theory_stock

UNIT_COST = 10.0
REPLICATIONS = 20


# --------------------------------------------------------------------------------- helpers


def repair_only_scenario(
    per_day: float,
    technicians: int,
    repair_minutes: float | dict[str, Any],
    *,
    warmup_days: float,
    horizon_days: float,
    parts: dict[str, Any] | None = None,
) -> Scenario:
    """Repair calls only, answered at once and in no time: one work order per Poisson arrival."""
    data: dict[str, Any] = {
        "name": "theory-field-parts",
        "warmup_days": warmup_days,
        "horizon_days": horizon_days,
        "demand": {"contacts_per_day": per_day, "mix": {"repair": 1.0},
                   "weekly_profile": "flat", "hourly_profile": "flat"},
        # 200 agents and zero handle time: the call ends (and the work order is made) on arrival.
        "call_center": {"agents": 200, "handle_minutes": {"repair": 0}},
        "field_service": {
            "technicians": technicians,
            "onsite_share": 1.0,
            "travel_minutes": 0,
            "diagnosis_minutes": 0,
            "repair_minutes": repair_minutes,
            "fix_probability": 1.0,
            "quality_pass_probability": 1.0,
        },
    }
    if parts is not None:
        data["parts"] = parts
    return Scenario.model_validate(data)


def one_sku_parts(policy: dict[str, Any], initial_on_hand: int, lead_time_days: float
                  ) -> dict[str, Any]:
    """A parts section: every job needs the one SKU, constant lead time, no rejects."""
    return {
        "need_probability": 1.0,
        "skus": [{"sku": "part", "share": 1.0, "unit_cost": UNIT_COST,
                  "initial_on_hand": initial_on_hand, "policy": policy,
                  "lead_time_days": lead_time_days}],
    }


@functools.cache
def replications_of(scenario_json: str, run: str, workers: int) -> pd.DataFrame:
    """The replications of a scenario (given as JSON, to be hashable), run once on the seed of
    ``run`` in ``tests/theory_level.py``."""
    scenario = Scenario.model_validate_json(scenario_json)
    return replicate(scenario, replications=REPLICATIONS, seed=level.seed(run),
                     workers=workers).replications


# --------------------------------------------------------------------------------- dispatch


@dataclass(frozen=True)
class DispatchCase:
    """Technicians as an M/M/N queue: work orders per hour, N, mean repair minutes."""

    run: str
    technicians: int
    per_hour: float
    repair_minutes: float
    horizon_days: float
    workers: int = 1
    warmup_days: float = 5.0  # over 6 relaxation times (1/(mu (1-sqrt(rho))^2) <= 19 h here)

    def replications(self) -> pd.DataFrame:
        scenario = repair_only_scenario(
            self.per_hour * 24.0, self.technicians,
            {"dist": "exponential", "mean": self.repair_minutes},
            warmup_days=self.warmup_days, horizon_days=self.horizon_days)
        return replications_of(scenario.model_dump_json(), self.run, self.workers)


# Half-widths at the per-check level: utilisation +-0.012, mean wait +-13 % (N=1), +-22 % (N=5).
DISPATCH = {case.run: case for case in [
    DispatchCase("dispatch-N1-rho0.70", technicians=1, per_hour=1.4, repair_minutes=30.0,
                 horizon_days=180),
    DispatchCase("dispatch-N5-rho0.80", technicians=5, per_hour=8.0, repair_minutes=30.0,
                 horizon_days=40, workers=2),
]}


@pytest.mark.parametrize(("run", "kpi"), level.params("dispatch"))
def test_dispatch_is_erlang_c(run: str, kpi: str) -> None:
    case = DISPATCH[run]
    ec = theory.erlang_c_metrics(case.per_hour, case.repair_minutes, case.technicians, 0.0)
    expected = {"dispatch_wait_hours": ec.asa_seconds / 3600.0,
                "technician_utilization": ec.utilization}[kpi]
    level.assert_mean(run, kpi, case.replications()[kpi], expected)


# --------------------------------------------------------------------------------- parts


@dataclass(frozen=True)
class StockCase:
    """One SKU under base stock (level ``S``) or, when ``Q`` is given, (r, Q)."""

    run: str
    per_day: float
    lead_time_days: float
    horizon_days: float
    S: int = 0
    r: int = 0
    Q: int | None = None

    def policy(self) -> tuple[dict[str, Any], int]:
        """The policy section and the initial stock (the top of the inventory position)."""
        if self.Q is None:
            return {"type": "base_stock", "level": self.S}, self.S
        return {"type": "rQ", "r": self.r, "Q": self.Q}, self.r + self.Q

    def analytic(self) -> theory_stock.BaseStockMetrics:
        if self.Q is None:
            return theory_stock.poisson_base_stock(self.per_day, self.lead_time_days, self.S)
        return theory_stock.poisson_rq(self.per_day, self.lead_time_days, self.r, self.Q)

    def replications(self) -> pd.DataFrame:
        policy, initial = self.policy()
        scenario = repair_only_scenario(
            # 500 technicians and no travel, diagnosis or repair time: a request per arrival.
            self.per_day, 500, 0,
            # Base stock is stationary one lead time after a start at IP = S; (r, Q) also needs
            # the phase of the order cycle to mix, which 5 lead times (20-30 demands) do.
            warmup_days=5.0 * self.lead_time_days, horizon_days=self.horizon_days,
            parts=one_sku_parts(policy, initial, self.lead_time_days))
        return replications_of(scenario.model_dump_json(), self.run, 1)


# Lead times are short and demand high so that many lead times (the correlation time of the
# stock level) fit in few simulated days: the cost of a run grows with its days as well as its
# requests. Mean lead-time demand is 4 or 6 units. Half-widths at the per-check level: fill rate
# +-0.021-0.027, mean on-hand units +-4-7 %.
STOCK = {case.run: case for case in [
    StockCase("stock-base_stock-d32-L0.125-S5", per_day=32.0, lead_time_days=0.125, S=5,
              horizon_days=60),
    StockCase("stock-base_stock-d12-L0.5-S8", per_day=12.0, lead_time_days=0.5, S=8,
              horizon_days=150),
    StockCase("stock-rQ-d32-L0.125-r2-Q4", per_day=32.0, lead_time_days=0.125, r=2, Q=4,
              horizon_days=60),
    StockCase("stock-rQ-d12-L0.5-r5-Q6", per_day=12.0, lead_time_days=0.5, r=5, Q=6,
              horizon_days=150),
]}


@pytest.mark.parametrize(("run", "kpi"), level.params("stock"))
def test_stock_policy(run: str, kpi: str) -> None:
    case = STOCK[run]
    expected = case.analytic()
    if kpi == "fill_rate":
        level.assert_mean(run, kpi, case.replications()["fill_rate"], expected.fill_rate)
    else:
        # Time-average on-hand units = inventory value / unit cost (one SKU).
        level.assert_mean(run, kpi, case.replications()["inventory_value_mean"],
                          expected.expected_on_hand, scale=UNIT_COST)


def test_the_cases_are_the_registered_runs() -> None:
    """Each case here is a run of ``tests/theory_level.py`` and each run there has its case."""
    assert list(DISPATCH) == level.runs("dispatch")
    assert list(STOCK) == level.runs("stock")
