"""Training and attrition: training hours come off the road and are costed in their own budget
line, more training never lowers the fix probability once the ramp is done, and attrition keeps
the share of new hires the steady state says (an analytic check, ``tests/theory_level.py``)."""

from __future__ import annotations

import copy
import itertools
from typing import Any

import numpy as np
import pytest
import theory_level

from sim.calibrate.estimators import proportion
from sim.engine.model import simulate
from sim.engine.proficiency import Proficiency
from sim.engine.rng import Streams, replication_seed
from sim.experiments.replicate import replicate
from sim.measure.costs import training_hours_by
from sim.measure.window import Grid, Period, staffed_by
from sim.scenario.format import Scenario
from sim.scenario.training import WEEKS_PER_MONTH, training_progress, training_sessions

DAY = 1440.0
SHOP: dict[str, Any] = {
    "name": "training", "warmup_days": 2, "horizon_days": 28,
    "demand": {"contacts_per_day": 45, "mix": {"repair": 1.0}},
    "call_center": {"agents": 10, "handle_minutes": {"repair": 5}},
    "field_service": {
        "technicians": [{"name": "day", "start": "08:00", "end": "17:00",
                         "days": ["mon", "tue", "wed", "thu", "fri", "sat"], "count": 8},
                        {"name": "late", "start": "12:00", "end": "20:00",
                         "days": ["mon", "tue", "wed", "thu", "fri"], "count": 3}],
        "promised_hours": {"onsite": 48},
        "travel_minutes": {"dist": "gamma", "mean": 25, "cv": 0.5},
        "diagnosis_minutes": 15,
        "repair_minutes": {"dist": "lognormal", "mean": 50, "cv": 0.5},
        "fix_probability": 0.8, "quality_pass_probability": 0.9, "rework_delay_hours": 24,
    },
    "costs": {"technician_per_hour": 40},
}


def shop(hours: float | None, **training: Any) -> Scenario:
    data = copy.deepcopy(SHOP)
    if hours is not None:
        data["training"] = {"hours_per_technician_month": hours, "cost_per_hour": 60,
                            "ramp_months": 0.5,
                            "effect": {"fix_probability": 0.1, "quality_pass_probability": 0.05,
                                       "repair_minutes": -0.2}, **training}
    return Scenario.model_validate(data)


def test_training_hours_come_off_the_road_and_into_their_budget_line() -> None:
    hours = 8.0
    trained, untrained = shop(hours), shop(None)
    a, b = simulate(trained, 1), simulate(untrained, 1)
    grid = Grid.whole(a.start_minutes, a.end_minutes)
    off = float(training_hours_by(Period(trained, a, grid))[0])
    staffed = [float(staffed_by(grid, rep.windows["technicians"])[0]) / 60 for rep in (a, b)]
    assert staffed[1] - staffed[0] == pytest.approx(off)
    # 8 hours a month each: 11 technicians over 4 weeks, within one session of a shift (people
    # come whole: 9 hours of the day shift, 8 of the late one).
    expected = hours / WEEKS_PER_MONTH * 4 * 11
    assert abs(off - expected) <= 9.0, (off, expected)
    result = replicate(trained, replications=2, seed=3, workers=1)
    budget = result.budget
    line = budget[budget["department"] == "training"].set_index("month")["mean"]
    # The calendar months the 28 days touch, then the horizon's total.
    assert line["total"] == pytest.approx(off * (60 + 40))
    assert line.drop("total").sum() == pytest.approx(line["total"])
    assert result.replications["cost_training"].iloc[0] == pytest.approx(off * 100)
    totals = budget[(budget["department"] == "total") & (budget["month"] == "total")]["mean"]
    assert totals.iloc[0] == pytest.approx(result.replications["total_cost"].mean())
    # No training section: a training line of zero.
    plain = replicate(untrained, replications=1, seed=3, workers=1)
    assert (plain.budget.loc[plain.budget["department"] == "training", "mean"] == 0).all()
    assert (plain.replications["cost_training"] == 0).all()


def fix_share_after(scenario: Scenario, after_minutes: float, reps: int = 6) -> float:
    fixed = tried = 0
    for r in range(reps):
        visits = simulate(scenario, replication_seed(5, r)).visits
        done = visits[(visits["start"] >= after_minutes) & (visits["repair"] > 0)]
        fixed += int((done["outcome"] == "fixed").sum())
        tried += len(done)
    return fixed / tried


def test_more_training_hours_never_lower_the_fix_probability_after_the_ramp() -> None:
    """The model's fix probability on a grid of hours, and the simulated share of visits that
    fix the fault under common random numbers where the effect differs (beyond the full-effect
    hours it is the same, and the shares differ by noise only)."""
    after = 30 * DAY
    fs = shop(None).field_service
    assert fs is not None
    probabilities = []
    for hours in np.linspace(0.0, 12.0, 49):
        skill = Proficiency(fs, shop(float(hours)).training, (), Streams(1))
        probabilities.append(skill.visit("technicians", after, fs.fix_probability)
                             .fix_probability)
    assert all(b >= a for a, b in itertools.pairwise(probabilities))
    assert probabilities[0] == 0.8 and probabilities[-1] == pytest.approx(0.9)
    shares = [fix_share_after(shop(h), 15 * DAY) for h in (None, 1.0, 2.0, 4.0)]
    print(shares)
    assert all(b > a for a, b in itertools.pairwise(shares)), shares
    # Full effect (4 hours) adds 0.1 to 0.8; half the hours about half of it.
    assert shares[3] - shares[0] == pytest.approx(0.1, abs=0.03)
    assert shares[2] - shares[0] == pytest.approx(0.05, abs=0.03)


def test_the_effect_ramps_up() -> None:
    scenario = shop(4.0, ramp_months=2)
    early = fix_share_after(scenario.model_copy(update={"horizon_days": 5.0}), 0.0)
    late = fix_share_after(scenario, 25 * DAY)
    # Before day 7 less than an eighth of the effect applies (0.80 to 0.81), from day 25 over
    # 40% (0.84 and up); the shares are of about 1 900 visits each (+-0.01).
    assert early < 0.83 < late and late - early > 0.03, (early, late)
    training = scenario.training
    assert training_progress(training, 0.0) == 0.0
    assert training_progress(training, 30 * DAY) == pytest.approx(0.5)
    assert training_progress(training, 90 * DAY) == 1.0


ATTRITION = 0.8  # a year, with a 3-month ramp: 20% of the mobile technicians are new


@pytest.mark.parametrize(("run", "check"), theory_level.params("training"))
def test_attrition_keeps_the_steady_share_of_new_hires(run: str, check: str) -> None:
    """Each mobile visit is a new hire's with probability attrition x ramp / 12 = 0.2: the
    Wilson interval of the share at the per-check level covers it (about +-0.02 here)."""
    data = copy.deepcopy(SHOP)
    data["field_service"]["attrition_per_year"] = ATTRITION
    scenario = Scenario.model_validate(data)
    new = visits = 0
    for r in range(6):
        table = simulate(scenario, replication_seed(theory_level.seed(run), r)).visits
        mobile = table[table["crew"] == "technicians"]
        new += int(mobile["untrained"].to_numpy(bool).sum())
        visits += len(mobile)
    share = proportion(new, visits, theory_level.EACH)
    assert share is not None
    theory_level.assert_covers(run, check, share.value, share.low, share.high,
                               ATTRITION * 3 / 12)


def test_new_hires_are_slower_and_fix_less_until_they_have_learnt() -> None:
    data = copy.deepcopy(SHOP)
    data["field_service"].update(attrition_per_year=2.0, diagnosis_minutes=20)
    visits = simulate(Scenario.model_validate(data), 2).visits
    new = visits["untrained"].to_numpy(bool)
    diagnosis = visits["diagnosis"].to_numpy(float)
    assert np.allclose(diagnosis[~new], 20.0)
    # 1.5 times on the first day, falling to 1 at the end of the ramp.
    assert (diagnosis[new] > 20.0).all() and (diagnosis[new] <= 30.0 + 1e-9).all()
    assert 24.0 < diagnosis[new].mean() < 26.0


def test_training_days_follow_the_calendar() -> None:
    """Day 0 takes the weekday of ``start_date``: training on Wednesdays starts on day 0 when
    day 0 is a Wednesday, and on day 2 when it is a Monday."""
    data = copy.deepcopy(SHOP)
    data["training"] = {"hours_per_technician_month": 8, "weekday": "wed"}
    for start, first_day in (("2027-01-04", 2), ("2027-01-06", 0)):  # a Monday, a Wednesday
        scenario = Scenario.model_validate({**data, "start_date": start})
        assert scenario.field_service is not None
        shifts = scenario.field_service.technicians
        assert isinstance(shifts, tuple)
        sessions = training_sessions((shifts[0],), scenario.training, 30 * DAY,
                                     scenario.first_weekday)
        days = sorted({int(a // DAY) for a, _, _, _ in sessions})
        assert days[0] == first_day and all((d - first_day) % 7 == 0 for d in days), days
