"""Redial: failed callers trying again.

The slow-retrial limit of the loss system (``sim.theory.retrial``) is checked on the full model;
property tests check the bookkeeping of attempts on random scenarios; redial draws come from
streams of their own (common random numbers with redial off); the satisfaction score charges a
repair journey for its failed attempts; and ``fit`` recovers the redial parameters from the
calls log while leaving redials out of demand.
"""

from __future__ import annotations

import functools
import math
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import theory_level as level
from hypothesis import example, given
from strategies import scenarios, seeds
from test_invariants import PROPERTY, check_call_partition, col

from sim.calibrate.fit import fit_files
from sim.calibrate.logs import event_tables
from sim.engine.field_service import WorkOrder
from sim.engine.followup import journey_score
from sim.engine.model import simulate
from sim.engine.records import ABANDONED, BLOCKED, HOLD_ABANDONED
from sim.experiments.replicate import replicate
from sim.scenario.format import Satisfaction, Scenario
from sim.scenario.loader import load_scenario_text
from sim.theory.retrial import slow_retrial_loss

LOSS = """\
name: retrial
seed: 3
warmup_days: 2
horizon_days: 40
demand: {contacts_per_day: 960, mix: {inquiry: 1.0}}
call_center:
  agents: 5
  lines: 5
  handle_minutes: {inquiry: {dist: exponential, mean: 6}}
  redial: {probability: 0.5, delay_minutes: {dist: exponential, mean: 600}, max_attempts: 20}
"""


RETRIAL_RUN = "redial-slow_retrial-c5-K5"
RETRIAL_DAYS = 15


@functools.cache
def retrial_replications() -> pd.DataFrame:
    """20 replications of ``LOSS`` measured over 15 days, on the seed of its registered run."""
    scenario = load_scenario_text(LOSS.replace("horizon_days: 40",
                                               f"horizon_days: {RETRIAL_DAYS}"))
    return replicate(scenario, replications=20, seed=level.seed(RETRIAL_RUN), workers=1
                     ).replications


@pytest.mark.parametrize(("run", "kpi"), level.params("redial"))
def test_slow_redials_match_the_retrial_fixed_point(run: str, kpi: str) -> None:
    """M/M/5/5 at 4 Erlangs, half the blocked callers redialling after ~10 hours (100 talk
    times): offered attempts per hour and blocking as the slow-retrial limit says (an analytic
    check under ``tests/theory_level.py``)."""
    theory = slow_retrial_loss(5, 40.0, 6.0, 0.5, 20)
    without = slow_retrial_loss(5, 40.0, 6.0, 0.0, 20)
    assert theory.blocking > without.blocking + 0.04  # the redials are worth checking
    reps = retrial_replications()
    if kpi == "offered_per_hour":
        level.assert_mean(run, kpi, reps["calls_offered"], theory.offered_per_hour,
                          scale=RETRIAL_DAYS * 24.0)
    else:
        level.assert_mean(run, kpi, reps["calls_blocked_rate"], theory.blocking)


def test_the_fixed_point_without_redial_is_erlang_b() -> None:
    from sim.theory.queues import erlang_b
    m = slow_retrial_loss(3, 30.0, 4.0, 0.0, 5)
    assert m.offered_per_hour == 30.0 and m.blocking == pytest.approx(erlang_b(3, 2.0))
    one = slow_retrial_loss(3, 30.0, 4.0, 1.0, 1)  # one attempt allowed: nobody redials
    assert one.offered_per_hour == 30.0


# Found by hypothesis: a call handed to an idle agent was also abandoned. It was found with a
# normal patience (mean -1, sd 0.25) that the sampler then clipped to 0; the truncated normal
# never draws 0, so the example keeps the zero patience it needs as a constant.
ZERO_PATIENCE = {
    "name": "prop", "warmup_days": 0, "horizon_days": 2,
    "demand": {"contacts_per_day": 50, "mix": {"inquiry": 0.5, "complaint": 0.5}},
    "call_center": {"agents": 1, "handle_minutes": {"inquiry": 1.0, "complaint": 1.0},
                    "patience_minutes": 0.0,
                    "redial": {"probability": 0.3, "delay_minutes": 1.0, "max_attempts": 2}}}


@PROPERTY
@given(scenarios(redial=True, patience=True), seeds)
@example(ZERO_PATIENCE, 0)
def test_every_redial_follows_a_failed_attempt(data: dict, seed: int) -> None:
    scenario = Scenario.model_validate(data)
    rep = simulate(scenario, seed)
    calls = rep.calls.set_index("id", drop=False)
    check_call_partition(rep.calls, "with redial")
    redial = scenario.call_center.redial
    assert redial is not None
    again = calls[calls["redial_of"] >= 0]
    assert (calls.loc[calls["redial_of"] < 0, "attempt"] == 1).all()
    if again.empty:
        return
    first = calls.loc[again["redial_of"].to_numpy()]
    state = first["state"].to_numpy()
    assert np.isin(state, (ABANDONED, BLOCKED, HOLD_ABANDONED)).all(), "redial of a success"
    failed_at = np.where(state == BLOCKED, col(first, "arrival"), col(first, "abandon"))
    assert (col(again, "arrival") >= failed_at - 1e-9).all(), "redial before the failure"
    assert (again["attempt"].to_numpy() == first["attempt"].to_numpy() + 1).all()
    assert (again["attempt"] <= redial.max_attempts).all()
    assert (again["kind"].to_numpy() == first["kind"].to_numpy()).all()
    assert (again["origin"].to_numpy() == first["origin"].to_numpy()).all()
    history = (again["abandoned_before"] + again["blocked_before"]).to_numpy()
    assert (history == again["attempt"].to_numpy() - 1).all(), "each attempt remembers the last"
    assert again["redial_of"].is_unique, "one failed attempt, at most one redial"


def test_redial_leaves_first_attempts_unchanged() -> None:
    """Common random numbers: redial draws come from streams of their own."""
    base = load_scenario_text(LOSS.replace("horizon_days: 40", "horizon_days: 3"))
    off = base.model_copy(update={"call_center": base.call_center.model_copy(
        update={"redial": None})})
    on_calls, off_calls = simulate(base, 5).calls, simulate(off, 5).calls
    first = on_calls[on_calls["attempt"] == 1].sort_values("id")
    assert len(on_calls) > len(first) > 0 and len(off_calls) == len(first)
    for column in ("arrival", "handle", "deadline"):
        assert np.array_equal(first[column].to_numpy(), off_calls.sort_values("id")[column]
                              .to_numpy())


def test_failed_attempts_cost_satisfaction() -> None:
    s = Satisfaction()
    job = WorkOrder(0, 0, "onsite", 0.0, 600.0, 0, -1, "", 2.0)
    job.finished, job.visits = 100.0, 1
    clean = journey_score(s, job)
    job.abandoned_calls, job.blocked_calls = 2, 1
    assert journey_score(s, job) == pytest.approx(
        clean - 2 * s.abandoned_penalty - s.blocked_penalty)


def test_a_repair_after_redials_carries_its_history() -> None:
    text = LOSS.replace("mix: {inquiry: 1.0}", "mix: {repair: 1.0}").replace(
        "inquiry: {dist: exponential, mean: 6}", "repair: {dist: exponential, mean: 6}").replace(
        "mean: 600}", "mean: 30}").replace("horizon_days: 40", "horizon_days: 3") + (
        "field_service: {technicians: 40, repair_minutes: 30}\n")
    rep = simulate(load_scenario_text(text), 2)
    calls = rep.calls[rep.calls["work_order"] >= 0].set_index("work_order")
    jobs = rep.work_orders.set_index("id")
    assert (jobs["blocked_calls"] > 0).any()
    assert (jobs["blocked_calls"] == calls.loc[jobs.index, "blocked_before"]).all()
    wait = calls.loc[jobs.index, "answer"] - calls.loc[jobs.index, "arrival"]
    assert (jobs["call_wait"] >= wait - 1e-9).all()


REDIALERS = """\
name: redialers
seed: 3
warmup_days: 2
horizon_days: 21
start_date: 2026-03-02
demand: {contacts_per_day: 500, mix: {inquiry: 0.7, complaint: 0.3},
         hourly_profile: business_hours}
call_center:
  hours: {open: "08:00", close: "18:00"}
  agents: 5
  lines: 8
  handle_minutes: {inquiry: {dist: exponential, mean: 5}, complaint: 7}
  patience_minutes: {dist: exponential, mean: 2}
  escalation: {probability: {inquiry: 0.2}, specialists: 2, handle_minutes: 8}
  redial: {probability: 0.6, delay_minutes: {dist: gamma, mean: 20, cv: 0.5}, max_attempts: 4}
"""


def test_fit_recovers_redial_and_leaves_it_out_of_demand(tmp_path: Path) -> None:
    result = replicate(load_scenario_text(REDIALERS), replications=3, seed=1, workers=1,
                       logs=event_tables)
    assert result.events is not None
    calls = result.events["calls"]
    assert (calls["attempt"] > 1).mean() > 0.1  # a real share of the calls are redials
    calls.to_csv(tmp_path / "calls.csv", index=False)
    fit = fit_files({"calls": tmp_path / "calls.csv"})
    p = {x.path: x.estimate for x in fit.params}
    assert p["call_center.redial.probability"].covers(0.6)
    assert p["demand.contacts_per_day"].covers(500.0)
    delay = fit.dists["call_center.redial.delay_minutes"]
    assert delay.family == "gamma" and delay.mean.covers(20.0) and delay.cv.covers(0.5)
    redial = fit.scenario.call_center.redial
    assert redial is not None and redial.max_attempts == 4
    # Without the attempt column the attempts are counted along the redial_of links.
    calls.drop(columns="attempt").to_csv(tmp_path / "calls.csv", index=False)
    unnumbered = fit_files({"calls": tmp_path / "calls.csv"}).scenario.call_center.redial
    assert unnumbered == redial


def test_without_links_redials_are_counted_as_demand_and_said_so(tmp_path: Path) -> None:
    result = replicate(load_scenario_text(REDIALERS.replace("horizon_days: 21",
                                                            "horizon_days: 7")),
                       replications=1, seed=1, workers=1, logs=event_tables)
    assert result.events is not None
    result.events["calls"].drop(columns=["attempt", "redial_of"]).to_csv(
        tmp_path / "calls.csv", index=False)
    base = tmp_path / "base.yaml"
    base.write_text(REDIALERS, encoding="utf-8")
    fit = fit_files({"calls": tmp_path / "calls.csv"}, base)
    assert any("no redial_of column" in note for note in fit.notes)
    assert fit.scenario.call_center.redial == load_scenario_text(REDIALERS).call_center.redial
    rate = next(x.estimate for x in fit.params if x.path == "demand.contacts_per_day")
    assert rate.value > 550  # the redials inflate it: hence the note
    assert math.isfinite(rate.value) and isinstance(result.events["calls"], pd.DataFrame)
