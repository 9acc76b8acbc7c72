"""Skill gap (untrained staff): inside the window a share of the repair visits is slower and fixes
less often; outside it nothing changes, and the gap's draws leave every other number alone."""

from __future__ import annotations

import numpy as np
import pytest
import theory_level

from sim.calibrate.estimators import proportion
from sim.engine.model import simulate
from sim.engine.rng import replication_seed
from sim.experiments.replicate import replicate
from sim.measure.stats import paired_difference
from sim.scenario.loader import load_scenario_text

SHOP = """\
name: gap
seed: 6
warmup_days: 2
horizon_days: 28
demand: {contacts_per_day: 150, mix: {inquiry: 0.4, repair: 0.6}}
call_center:
  agents: 6
  handle_minutes: {inquiry: 4, repair: 6}
field_service:
  onsite_share: 0.7
  technicians: 14
  travel_minutes: 20
  diagnosis_minutes: 20
  repair_minutes: 40
  fix_probability: 0.9
  depot: {technicians: 5, transit_hours: 6, repair_minutes: 60}
"""
GAP = """disruptions:
  - {type: skill_gap, start_day: 9, days: 10, share: SHARE, time_multiplier: 1.5,
     fix_multiplier: 0.5}
"""
DAY = 1440.0


def scenario(share: float | None):  # type: ignore[no-untyped-def]
    text = SHOP if share is None else SHOP + GAP.replace("SHARE", str(share))
    return load_scenario_text(text)


def test_untrained_visits_are_slower_only_inside_the_window() -> None:
    rep = simulate(scenario(1.0), 3)
    visits = rep.visits
    start = visits["start"].to_numpy(float)
    inside = (start >= 9 * DAY) & (start < 19 * DAY)
    untrained = visits["untrained"].to_numpy(bool)
    assert inside.any() and (untrained == inside).all()
    # Constant durations make the factor exact: 20 min diagnosis, 40 on site, 60 at the bench.
    diagnosis = visits["diagnosis"].to_numpy(float)
    assert np.allclose(diagnosis[inside], 30.0) and np.allclose(diagnosis[~inside], 20.0)
    repaired = visits["repair"].to_numpy(float) > 0
    onsite = (visits["crew"] == "technicians").to_numpy()
    assert np.allclose(visits["repair"].to_numpy(float)[inside & repaired & onsite], 60.0)
    assert np.allclose(visits["repair"].to_numpy(float)[inside & repaired & ~onsite], 90.0)


@pytest.mark.parametrize(("run", "check"), theory_level.params("skill_gap"))
def test_the_share_of_untrained_visits_is_the_gap_share(run: str, check: str) -> None:
    """Each visit inside the window is untrained with probability 0.3: the Wilson interval of
    the share at the suite's per-check level covers it (``tests/theory_level.py``). Ten
    replications (about 12 000 visits in the window) make it about +-0.016."""
    untrained = visits = 0
    for r in range(10):
        table = simulate(scenario(0.3), replication_seed(theory_level.seed(run), r)).visits
        start = table["start"].to_numpy(float)
        inside = (start >= 9 * DAY) & (start < 19 * DAY)
        untrained += int(table["untrained"].to_numpy(bool)[inside].sum())
        visits += int(inside.sum())
    share = proportion(untrained, visits, theory_level.EACH)
    assert share is not None
    theory_level.assert_covers(run, check, share.value, share.low, share.high, 0.3)


def test_a_gap_leaves_the_calls_and_the_days_before_it_alone() -> None:
    with_gap, without = simulate(scenario(0.5), 8), simulate(scenario(None), 8)
    assert with_gap.calls.equals(without.calls)
    before = 9 * DAY
    a, b = with_gap.visits, without.visits
    assert a[a["start"] < before].drop(columns="untrained").reset_index(drop=True).equals(
        b[b["start"] < before].drop(columns="untrained").reset_index(drop=True))


def test_a_gap_lowers_first_time_fix_and_slows_repairs() -> None:
    """Direction under common random numbers, paired over replications."""
    runs = [replicate(scenario(s), replications=6, seed=9, workers=1).replications
            for s in (None, 0.5)]
    fix = paired_difference(runs[0]["first_time_fix_rate"], runs[1]["first_time_fix_rate"])
    assert fix.diff_ci_high < 0, fix
    turnaround = paired_difference(runs[0]["repair_turnaround_hours"],
                                   runs[1]["repair_turnaround_hours"])
    assert turnaround.diff_ci_low > 0, turnaround
