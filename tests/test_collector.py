"""The garbage collector's pace during a run (``sim.engine.collector``): raised while a run
lasts, the process's own setting back afterwards, also after an error and when runs nest."""

from __future__ import annotations

import gc

import pytest

from sim.engine.collector import RUN_THRESHOLD, rare_collections


def test_the_threshold_is_raised_during_a_run_and_restored_after() -> None:
    before = gc.get_threshold()
    with rare_collections():
        assert gc.get_threshold()[0] == max(RUN_THRESHOLD, before[0])
        with rare_collections():
            pass
        # the inner run leaving does not end the outer one's raise
        assert gc.get_threshold()[0] == max(RUN_THRESHOLD, before[0])
    assert gc.get_threshold() == before


def test_the_threshold_is_restored_when_a_run_fails() -> None:
    before = gc.get_threshold()
    with pytest.raises(RuntimeError), rare_collections():
        raise RuntimeError("a run that fails")
    assert gc.get_threshold() == before


def test_simulate_leaves_the_process_setting_as_it_found_it() -> None:
    from sim.engine.model import simulate
    from sim.scenario.format import Scenario

    scenario = Scenario.model_validate({
        "name": "gc", "horizon_days": 1,
        "demand": {"contacts_per_day": 100, "mix": {"inquiry": 1.0}},
        "call_center": {"agents": 2, "handle_minutes": {"inquiry": 5}},
    })
    own = gc.get_threshold()
    gc.set_threshold(1234, 11, 12)
    try:
        simulate(scenario, 1)
        assert gc.get_threshold() == (1234, 11, 12)
    finally:
        gc.set_threshold(*own)
