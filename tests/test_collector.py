"""The garbage collector's pace during a run (``sim.engine.collector``): raised while a run
lasts, the process's own setting back afterwards, also after an error and when runs nest."""

from __future__ import annotations

import gc
from collections.abc import Generator

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


def _unreachable_after(days: int) -> int:
    """Objects of a baseline run of ``days`` days that only the cyclic collector could free."""
    from pathlib import Path

    from sim.engine.model import simulate
    from sim.engine.rng import replication_seed
    from sim.scenario.loader import load_scenario

    scenario = load_scenario(Path(__file__).resolve().parent.parent / "scenarios"
                             / "baseline.yaml", [f"horizon_days={days}"])
    gc.collect()
    gc.disable()
    try:
        simulate(scenario, replication_seed(scenario.seed, 0))
        return gc.collect()
    finally:
        gc.enable()


def test_what_a_run_leaves_to_the_collector_hardly_grows_with_the_horizon() -> None:
    """The departments reach one another, so a run's own objects are cyclic garbage once it
    returns; what grows with the horizon must not be. Baseline, 14 -> 42 days: 1,174 more
    objects (the work still open when the run stops). Before the people's runners freed
    themselves on ending, the rosters let go of their spans and the stock levels and overtime
    lists were emptied (0d99c3a): 17,297 more (2,768 -> 3,942 now; 15,199 -> 32,496 then)."""
    growth = _unreachable_after(42) - _unreachable_after(14)
    assert growth < 3_000, growth


def test_a_runner_that_ends_is_freed_without_the_collector() -> None:
    import simpy

    from sim.engine.runner import Runner

    def steps() -> Generator[float, None, None]:
        yield 1.0
        yield 2.0

    env = simpy.Environment()
    gc.collect()
    gc.disable()
    try:
        Runner(env).start(steps())
        env.run()
        assert env.now == 3.0
        assert gc.collect() == 0
    finally:
        gc.enable()
