"""Shrinkage and stock counts: units vanish from the shelf unseen, the books learn of it at a
count or at an empty shelf, and only then may the policy reorder.

The loss process is checked against its own law (binomial per day on what is on the shelf);
the books against the shelf; counting more often against not counting, under common random
numbers; and the cost of the lost units against the loss table.
"""

from __future__ import annotations

import math

import numpy as np
import pytest
import theory_level

from sim.calibrate.estimators import poisson_rate
from sim.engine.model import simulate
from sim.engine.rng import replication_seed
from sim.experiments.replicate import replicate
from sim.measure.outcome import measure
from sim.measure.parts import on_hand_at
from sim.measure.stats import paired_difference
from sim.scenario.loader import load_scenario_text

STORE = """\
name: store
seed: 3
warmup_days: 5
horizon_days: 120
demand: {contacts_per_day: 8, mix: {repair: 1.0}}
call_center: {agents: 4, handle_minutes: {repair: 5}}
field_service: {technicians: 4, repair_minutes: 30, travel_minutes: 15}
parts:
  need_probability: 1.0
  COUNT
  skus:
    - {sku: pump, share: 1.0, unit_cost: 40, initial_on_hand: 60,
       policy: {type: sS, s: 25, S: 60}, lead_time_days: 3, shrinkage_per_year: RATE}
"""
DAY = 1440.0


def store(rate: float, count_days: float | None = None):  # type: ignore[no-untyped-def]
    text = STORE.replace("RATE", str(rate)).replace(
        "COUNT", f"count_days: {count_days}" if count_days is not None else "")
    return load_scenario_text(text)


def lost_and_expected(rate: float, seed: int) -> tuple[int, float]:
    """Units lost in one run, and their expectation given what was on the shelf each day."""
    rep = simulate(store(rate), seed)
    ticks = np.arange(1, int(rep.run_end_minutes // DAY) + 1) * DAY
    ticks = ticks[ticks < rep.run_end_minutes]
    # What was on the shelf just before each day's losses were drawn.
    exposed = on_hand_at(rep.part_levels, ticks - 1e-6)["on_hand_pump"].to_numpy(float)
    daily = -math.expm1(-rate / 365.0)
    return int(rep.part_losses["units"].sum()), float((exposed * daily).sum())


@pytest.mark.parametrize(("run", "check"), theory_level.params("shrinkage"))
def test_losses_follow_their_law_on_what_is_on_the_shelf(run: str, check: str) -> None:
    """Each day each unit on the shelf is lost with probability 1 - exp(-rate / 365): the units
    lost are a sum of binomials on what was exposed, close to Poisson (a little less variable),
    so the exact Poisson interval of the count at the suite's per-check level must cover its
    expectation (an analytic check under ``tests/theory_level.py``). Ten replications (about
    480 losses) put the bounds within about a fifth of the count."""
    runs = [lost_and_expected(8.0, replication_seed(theory_level.seed(run), r))
            for r in range(10)]
    lost, expected = sum(n for n, _ in runs), sum(e for _, e in runs)
    assert expected > 300, expected  # enough losses for the law to be tested
    interval = poisson_rate(lost, 1.0, theory_level.EACH)
    theory_level.assert_covers(run, check, lost, interval.low, interval.high, expected)


def test_the_books_learn_of_losses_at_counts_or_at_an_empty_shelf() -> None:
    counted = simulate(store(4.0, count_days=7.0), 2).part_counts
    assert (counted["reason"] == "count").any()
    assert (counted["booked"] > counted["counted"]).all()  # losses only ever lower the shelf
    at_counts = counted.loc[counted["reason"] == "count", "time"].to_numpy(float)
    assert np.allclose(at_counts % (7 * DAY), 0.0)
    uncounted = simulate(store(4.0), 2).part_counts
    assert set(uncounted["reason"]) == {"empty_shelf"}
    assert (uncounted["counted"] == 0).all()  # found empty: the books drop to nothing
    none = simulate(store(0.0, count_days=7.0), 2)
    assert none.part_losses.empty and none.part_counts.empty  # no shrinkage, nothing to correct


def test_counting_often_keeps_the_fill_rate_that_shrinkage_takes() -> None:
    runs = {name: replicate(s, replications=6, seed=4, workers=1).replications
            for name, s in (("clean", store(0.0)), ("lossy", store(4.0)),
                            ("counted", store(4.0, count_days=3.0)))}
    worse = paired_difference(runs["clean"]["fill_rate"], runs["lossy"]["fill_rate"])
    assert worse.diff_ci_high < 0, worse
    better = paired_difference(runs["lossy"]["fill_rate"], runs["counted"]["fill_rate"])
    assert better.diff_ci_low > 0, better


def test_lost_units_are_costed() -> None:
    scenario = store(4.0, count_days=7.0)
    rep = simulate(scenario, 5)
    kpis = measure(scenario, rep).kpis
    losses = rep.part_losses
    inside = losses[(losses["time"] >= rep.start_minutes) & (losses["time"] < rep.end_minutes)]
    assert kpis["parts_lost_units"] == inside["units"].sum() > 0
    assert kpis["cost_shrinkage"] == pytest.approx(40.0 * inside["units"].sum())
    clean = store(0.0)
    assert measure(clean, simulate(clean, 5)).kpis["cost_shrinkage"] == 0.0
