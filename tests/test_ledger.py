"""The KPI ledger: every KPI as parts per day that combine over any set of days.

Checks that combining every measured day is the horizon's KPI row bit for bit (one code path),
that ledgers of adjacent windows measured apart add up to the ledger of both, the parts and the
window KPIs of a tiny hand-made replication whose every number can be worked out on paper, the
stated error bound of the histogram quantile against ``numpy.quantile``, windows, days and periods
judged through the experiment layer, and that the resume stores keep the ledger.
"""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from sim.engine.call_center import Call, ComplaintCase
from sim.engine.field_service import Visit, WorkOrder
from sim.engine.followup import Attempt, FollowUp
from sim.engine.model import Replication, simulate
from sim.engine.parts import PartCount, PartLoss, PartOrder, PartRequest
from sim.engine.records import ABANDONED, DONE, frame, levels_frame
from sim.experiments.replicate import RunResult, replicate
from sim.experiments.store import MemoryStore, Store
from sim.experiments.windows import daily_kpis, period_kpis, window_summary
from sim.measure.calls import WAIT_BINS
from sim.measure.catalog import KPI_BY_NAME, KPI_NAMES
from sim.measure.kinds import Quantile
from sim.measure.ledger import BINNED, PART_COLUMNS, Ledger, combine, kpis_over, ledger_of
from sim.measure.outcome import Views, measure
from sim.measure.stats import judge_target, summarize, t_interval
from sim.measure.window import Grid
from sim.output.store import ReplicationStore, outcome_from_json, outcome_to_json
from sim.scenario.format import Scenario
from sim.scenario.loader import load_scenario_text
from sim.units import MINUTES_PER_DAY

# Every department on, small enough to run in a second; a demand surge on days 8-11; closed on
# Sundays (contacts called back on Monday); appointments in two slots a day.
SHOP = """\
name: shop
seed: 11
warmup_days: 2
horizon_days: 20
demand:
  contacts_per_day: 120
  mix: {inquiry: 0.5, repair: 0.4, complaint: 0.1}
  events: [{name: surge, start_day: 8, days: 4, multiplier: 2.5}]
call_center:
  hours: {open: "07:00", close: "21:00", days: [mon, tue, wed, thu, fri, sat]}
  agents: 3
  handle_minutes: {inquiry: 4, repair: 6, complaint: 8}
  patience_minutes: {dist: exponential, mean: 3}
  escalation: {probability: {inquiry: 0.2}, specialists: 1, handle_minutes: 10}
complaints: {deadline_hours: 24, handlers: 1, resolution_hours: 1}
field_service:
  onsite_share: 0.6
  technicians: 10
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
targets: {service_level: 0.5, abandon_rate: 0.3}
"""


def same(a: float, b: float) -> bool:
    """Bit-equal, NaN equal to NaN."""
    return (math.isnan(a) and math.isnan(b)) or a == b


@pytest.fixture(scope="module")
def shop() -> tuple[Scenario, Replication]:
    scenario = load_scenario_text(SHOP)
    return scenario, simulate(scenario, 5)


@pytest.fixture(scope="module")
def run() -> RunResult:
    return replicate(load_scenario_text(SHOP), replications=3, workers=1)


# --- one definition ----------------------------------------------------------------------------


def test_every_day_combined_is_the_horizon_row_bit_for_bit(shop: tuple[Scenario, Replication]
                                                           ) -> None:
    scenario, rep = shop
    outcome = measure(scenario, rep)
    days = outcome.ledger.days
    assert list(days) == list(range(2, 22))
    assert list(outcome.ledger.parts.columns) == ["day", *PART_COLUMNS]
    assert tuple(outcome.ledger.bins) == BINNED == ("response_seconds_p90",)
    for over in (kpis_over(outcome.ledger), kpis_over(outcome.ledger, days.tolist())):
        assert tuple(over) == KPI_NAMES
        assert all(same(over[k], outcome.kpis[k]) for k in KPI_NAMES), over
    # Every KPI is measured in this shop: a NaN would hide a broken combination.
    assert all(np.isfinite(v) for v in outcome.kpis.values())


def test_every_day_of_a_run_is_its_replication_table(run: RunResult) -> None:
    whole = window_summary(run, 2, 21)
    kpis = list(KPI_NAMES)
    np.testing.assert_array_equal(whole.replications[kpis].to_numpy(),
                                  run.replications[kpis].to_numpy())
    assert whole.replications["seed"].tolist() == run.replications["seed"].tolist()
    pd.testing.assert_frame_equal(whole.summary, run.summary)
    assert whole.targets == run.targets


def test_windows_measured_apart_add_up_to_both(shop: tuple[Scenario, Replication]) -> None:
    # [a, b) and [b, c) measured on their own grids give the days of [a, c) measured at once:
    # a call's talk time across midnight b, a shift, the stock on the shelf are cut at b alike.
    scenario, rep = shop
    a, b, c = 3, 9, 15

    def ledger(first: int, last: int) -> Ledger:
        grid = Grid.days(first * MINUTES_PER_DAY, last * MINUTES_PER_DAY)
        return ledger_of(Views(scenario, rep, grid), grid)

    both, left, right = ledger(a, c), ledger(a, b), ledger(b, c)
    joined = pd.concat([left.parts, right.parts], ignore_index=True)
    np.testing.assert_allclose(joined.to_numpy(), both.parts.to_numpy(), rtol=1e-12, atol=1e-9)
    for name in BINNED:
        pd.testing.assert_frame_equal(
            pd.concat([left.bins[name], right.bins[name]], ignore_index=True), both.bins[name])
    split = Ledger(joined, {k: pd.concat([left.bins[k], right.bins[k]], ignore_index=True)
                            for k in BINNED})
    whole = kpis_over(ledger(2, 22), range(a, c))
    for name, value in kpis_over(split).items():
        assert value == pytest.approx(whole[name], rel=1e-12, nan_ok=True), name
    # A window is not the mean of its days' values (ratios weigh days by their calls).
    by_day = [kpis_over(both, [d])["service_level"] for d in range(a, c)]
    assert whole["service_level"] != pytest.approx(float(np.mean(by_day)), rel=1e-6)


# --- a replication worked out by hand ----------------------------------------------------------

TINY = """\
name: tiny
warmup_days: 1
horizon_days: 2
demand: {contacts_per_day: 10, mix: {inquiry: 0.5, repair: 0.5}}
call_center: {agents: 1, handle_minutes: {inquiry: 5, repair: 5}, answer_target_seconds: 20}
field_service: {technicians: 1, travel_minutes: 10, repair_minutes: 30}
costs: {agent_per_hour: 60, technician_per_hour: 30, late_repair_penalty: 50}
"""


def call(i: int, arrival: float, answer: float, handle: float, state: int = DONE) -> Call:
    c = Call(i, "repair", arrival, handle, math.inf, False, 0.0, math.inf, state=state)
    if state == DONE:
        c.answer, c.end = answer, answer + handle
    else:
        c.abandon = answer
    return c


def tiny() -> tuple[Scenario, Replication]:
    """Days 1 and 2 measured (minutes 1440 to 4320); one agent and one technician on all day."""
    calls = [call(0, 1000.0, 1001.0, 10.0),               # warm-up: not measured
             call(1, 1500.0, 1500.1, 5.0),                # day 1, waits 6 s
             call(2, 2000.0, 2001.0, 4.0),                # day 1, waits 60 s
             call(3, 2870.0, 2875.0, 20.0),               # day 1, 300 s; talks past midnight
             call(4, 3000.0, 3002.0, 0.0, ABANDONED),     # day 2, hangs up
             call(5, 3500.0, 3500.0, 3.0)]                # day 2, answered at once
    jobs = [WorkOrder(0, 1, "onsite", 1600.0, 2080.0, 0, -1, "", 0.0, visits=1,
                      first_start=1700.0, finished=2000.0),   # day 1, on time
            WorkOrder(1, 3, "onsite", 2880.0 - 80.0, 3280.0, 0, -1, "", 0.0, visits=2,
                      first_start=2900.0, finished=3400.0),   # day 1, late, done on day 2
            WorkOrder(2, 5, "onsite", 3600.0, 4080.0, 0, -1, "", 0.0)]  # day 2, open
    visits = [Visit(0, "technicians", 1700.0, 10.0, 0.0, 30.0, 2000.0, "fixed")]
    scenario = load_scenario_text(TINY)
    rep = Replication(
        seed=0, start_minutes=1440.0, end_minutes=4320.0, calls=frame(calls, Call),
        cases=frame([], ComplaintCase), work_orders=frame(jobs, WorkOrder),
        visits=frame(visits, Visit), part_requests=frame([], PartRequest),
        part_orders=frame([], PartOrder), part_levels=levels_frame({}),
        part_losses=frame([], PartLoss), part_counts=frame([], PartCount),
        followups=frame([], FollowUp), attempts=frame([], Attempt),
        overtime=pd.DataFrame({"crew": pd.Series(dtype=str), "shift_end": pd.Series(dtype=float),
                               "minutes": pd.Series(dtype=float)}),
        windows={"agents": [(0.0, 4320.0, 1)], "technicians": [(0.0, 4320.0, 1)]},
        run_end_minutes=4320.0,
        cut={"calls": 0, "work_orders": 1, "complaint_cases": 0, "followups": 0})
    return scenario, rep


def test_a_tiny_replication_by_hand() -> None:
    scenario, rep = tiny()
    outcome = measure(scenario, rep)
    parts = outcome.ledger.parts.set_index("day")
    assert list(parts.index) == [1, 2]

    def column(name: str) -> list[float]:
        return parts[name].tolist()

    assert column("calls_offered.sum") == [3, 2]
    assert column("service_level.num") == [1, 1] and column("service_level.den") == [3, 2]
    assert column("asa_seconds.num") == pytest.approx([6 + 60 + 300, 0])
    assert column("asa_seconds.den") == [3, 1]
    assert column("abandon_rate.num") == [0, 1]
    # Talk time by the day it is spoken: call 3's 20 minutes are 5 before midnight, 15 after.
    assert column("agent_utilization.num") == pytest.approx([5 + 4 + 5, 15 + 3])
    assert column("agent_utilization.den") == [1440, 1440]
    assert column("cost_call_center.sum") == pytest.approx([1440.0, 1440.0])  # 24 h at 60
    # Work orders by the day they were created, followed to their end: job 2 is still open
    # where the run stopped (its cap), so it is late, and so is job 1, finished on day 2; each
    # late job's penalty is booked on the day it was created.
    assert column("repairs_completed.sum") == [2, 0]
    assert column("repair_on_time_rate.num") == [1, 0]
    assert column("repair_on_time_rate.den") == [2, 1]
    assert column("repair_turnaround_hours.num") == pytest.approx([(500 + 530) / 60, 0])
    assert column("cost_penalties.sum") == [50, 50]
    counts = outcome.ledger.bins["response_seconds_p90"]
    assert counts.groupby("day")["count"].sum().tolist() == [3, 1]

    day1, day2, both = (kpis_over(outcome.ledger, d) for d in ([1], [2], [1, 2]))
    assert day1["service_level"] == pytest.approx(1 / 3)
    assert day2["service_level"] == pytest.approx(1 / 2)
    assert both["service_level"] == pytest.approx(2 / 5)  # not the mean of 1/3 and 1/2
    assert both["asa_seconds"] == pytest.approx(366 / 4)
    assert both["abandon_rate"] == pytest.approx(1 / 5)
    assert both["agent_utilization"] == pytest.approx(32 / 2880)
    assert day2["repair_on_time_rate"] == 0.0 and both["repair_on_time_rate"] == 1 / 3
    assert both["repairs_completed"] == 2 and day2["cost_penalties"] == 50
    assert both["total_cost"] == pytest.approx(2 * 1440 + 2 * 720 + 100)
    assert both["cost_per_repair"] == pytest.approx((2 * 1440 + 2 * 720 + 100) / 2)
    # Waits 0, 6, 60, 300 s: numpy's 90th percentile is 60 + 0.7 x 240 = 228 s.
    assert abs(both["response_seconds_p90"] - 228.0) <= WAIT_BINS.bound(228.0)
    assert abs(day1["response_seconds_p90"] - np.quantile([6, 60, 300], 0.9)) \
        <= WAIT_BINS.bound(252.0)
    assert outcome.kpis == both
    # daily.csv's KPI columns are the ledger's days.
    assert outcome.daily["service_level"].tolist() == [day1["service_level"],
                                                       day2["service_level"]]
    assert outcome.daily["offered"].tolist() == [3, 2]


# --- the quantile's error bound ----------------------------------------------------------------


def test_the_wait_quantile_is_within_its_stated_bound() -> None:
    gen = np.random.default_rng(2026)
    worst = 0.0
    for trial in range(300):
        n = int(gen.integers(1, 3000))
        shape = trial % 4
        if shape == 0:
            waits = gen.exponential(gen.uniform(1.0, 200.0), n)
        elif shape == 1:
            waits = gen.lognormal(gen.uniform(0.0, 7.0), gen.uniform(0.2, 2.0), n)
        elif shape == 2:  # many answered at once, a tail of long waits
            waits = np.where(gen.random(n) < 0.7, 0.0, gen.exponential(500.0, n))
        else:  # hours-long waits, as when calls queue overnight
            waits = gen.uniform(0.0, 3 * 86400.0, n)
        days = gen.integers(0, 7, n)
        counts = WAIT_BINS.histogram(days, 7, waits).sum(axis=0, keepdims=True)
        for q in (0.5, 0.9, 0.99):
            got = float(Quantile(q, WAIT_BINS).finish(counts)[0])
            exact = float(np.quantile(waits, q))
            assert abs(got - exact) <= WAIT_BINS.bound(exact), (trial, q, got, exact)
            worst = max(worst, abs(got - exact) / WAIT_BINS.bound(exact))
    # The bound is used, not vacuous: errors come within half of it.
    assert worst > 0.5
    assert WAIT_BINS.bound(100.0) == pytest.approx(0.25 + 0.5)


def test_a_quantile_of_calls_answered_at_once_is_exactly_0() -> None:
    waits = np.array([0.0] * 95 + [0.2, 3.0, 40.0, 200.0, 900.0])
    counts = WAIT_BINS.histogram(np.zeros(len(waits), dtype=int), 1, waits)
    assert Quantile(0.9, WAIT_BINS).finish(counts)[0] == 0.0 == np.quantile(waits, 0.9)
    assert Quantile(0.96, WAIT_BINS).finish(counts)[0] > 0.0


def test_a_quantile_beyond_the_top_bin_reads_the_top() -> None:
    waits = np.full(10, 30 * 86400.0)
    counts = WAIT_BINS.histogram(np.zeros(10, dtype=int), 1, waits)
    assert Quantile(0.9, WAIT_BINS).finish(counts)[0] == WAIT_BINS.edges[-1] >= 7 * 86400.0
    assert math.isnan(Quantile(0.9, WAIT_BINS).finish(np.zeros((1, WAIT_BINS.count)))[0])


# --- windows, days and periods of a run --------------------------------------------------------


def test_a_window_is_judged_on_its_own_replications(run: RunResult) -> None:
    surge = window_summary(run, 8, 11)
    table = combine(run.ledger, range(8, 12))
    kpis = list(KPI_NAMES)
    np.testing.assert_array_equal(surge.replications[kpis].to_numpy(), table[kpis].to_numpy())
    assert surge.replications.columns[:2].tolist() == ["rep", "seed"]
    expected = summarize(surge.replications, kpis,
                         bounds={k: KPI_BY_NAME[k].bounds for k in kpis})
    pd.testing.assert_frame_equal(surge.summary, expected)
    for name, target in run.scenario.targets.items():
        interval = t_interval(surge.replications[name].to_numpy(float))
        assert surge.targets[name] == judge_target(interval, target,
                                                   KPI_BY_NAME[name].direction)
    # The surge is worse than the horizon, and the verdict says so.
    assert (surge.summary.set_index("kpi").at["service_level", "mean"]
            < run.summary.set_index("kpi").at["service_level", "mean"])
    for first, last in ((1, 5), (20, 22), (9, 8)):
        with pytest.raises(ValueError, match="measured days"):
            window_summary(run, first, last)


def test_daily_and_period_kpis_of_a_run(run: RunResult) -> None:
    daily = daily_kpis(run)
    assert daily.columns.tolist() == ["rep", "day", *KPI_NAMES]
    assert len(daily) == 3 * 20
    np.testing.assert_array_equal(daily["service_level"].to_numpy(),
                                  run.daily["service_level"].to_numpy())
    asked = [("first", 0, 11), ("second", 12, 40), ("surge", 8, 11)]
    periods = period_kpis(run, asked)
    assert periods.columns.tolist()[:2] == ["rep", "period"]
    assert len(periods) == 9
    # Overlapping periods are one pass over the ledger; each is its own combination, exactly.
    for label, first, last in asked:
        mine = periods[periods["period"] == label].reset_index(drop=True)
        pd.testing.assert_frame_equal(mine.drop(columns="period"),
                                      combine(run.ledger, range(first, last + 1)),
                                      check_exact=True)
    # A count over two periods that tile the horizon adds up to the horizon's.
    tiles = periods[periods["period"] != "surge"].groupby("rep")["calls_offered"].sum()
    assert tiles.tolist() == run.replications["calls_offered"].tolist()


# --- the ledger is kept --------------------------------------------------------------------------


def test_the_stores_keep_the_ledger(shop: tuple[Scenario, Replication]) -> None:
    scenario, rep = shop
    outcome = measure(scenario, rep)
    seed, back = outcome_from_json(outcome_to_json(7, outcome))
    assert seed == 7
    pd.testing.assert_frame_equal(back.ledger.parts, outcome.ledger.parts, check_exact=True)
    for name in BINNED:
        pd.testing.assert_frame_equal(back.ledger.bins[name], outcome.ledger.bins[name],
                                      check_exact=True)
    assert kpis_over(back.ledger) == outcome.kpis


def test_a_resumed_run_has_the_same_ledger(tmp_path: Path) -> None:
    scenario = load_scenario_text(SHOP).model_copy(update={"horizon_days": 6.0})
    first = replicate(scenario, replications=2, workers=1)
    stores: list[Store] = [MemoryStore(), ReplicationStore(tmp_path / "store")]
    for store in stores:
        replicate(scenario, replications=2, workers=1, store=store)
        again = replicate(scenario, replications=2, workers=1, store=store)
        pd.testing.assert_frame_equal(again.ledger.parts, first.ledger.parts, check_exact=True)
        for name in BINNED:
            pd.testing.assert_frame_equal(again.ledger.bins[name], first.ledger.bins[name],
                                          check_exact=True)
    assert first.ledger.parts.columns[:2].tolist() == ["rep", "day"]
