"""Arrivals drawn week by week: the same random numbers as one draw for the whole run, and memory
that does not grow with the horizon (issue 14, item 7)."""

from __future__ import annotations

import math
import tracemalloc

import numpy as np
import pytest

from sim.engine.arrivals import CONTACT_TYPES, expected_calls_per_hour
from sim.engine.distributions import sample
from sim.engine.model import draw_calls
from sim.engine.rng import Streams
from sim.scenario.loader import load_scenario_text
from sim.units import MINUTES_PER_DAY, MINUTES_PER_HOUR

SCENARIO = """\
name: blocks
warmup_days: 3
horizon_days: {days}
demand:
  contacts_per_day: {rate}
  mix: {{inquiry: 0.5, repair: 0.3, complaint: 0.2}}
  weekly_profile: [1.2, 1.1, 1.0, 1.0, 1.0, 0.5, 0.2]
  hourly_profile: business_hours
  events: [{{name: wave, start_day: 9.5, days: 6.25, multiplier: 2.5, types: [repair]}}]
call_center:
  hours: {{open: "08:00", close: "18:30", days: [mon, tue, wed, thu, fri, sat]}}
  agents: 5
  handle_minutes:
    inquiry: {{dist: lognormal, mean: 5, cv: 0.6}}
    repair: {{dist: gamma, mean: 8, cv: 0.5}}
    complaint: {{dist: empirical, values: [3, 9, 20]}}
  patience_minutes: {{dist: exponential, mean: 4}}
  escalation: {{probability: {{inquiry: 0.1, repair: 0.2}}, specialists: 2,
               handle_minutes: {{dist: triangular, low: 5, mode: 9, high: 30}}}}
field_service: {{technicians: 4, repair_minutes: 40}}
"""


def _reference(scenario_text: str, seed: int) -> list[tuple[object, ...]]:
    """The calls as the engine drew them before week blocks: every arrival at once."""
    scenario = load_scenario_text(scenario_text)
    streams = Streams(seed)
    end = scenario.run_days * MINUTES_PER_DAY
    cc = scenario.call_center
    hours = math.ceil(end / MINUTES_PER_HOUR)
    times, kinds, handles, escalate = [], [], [], []
    for kind in CONTACT_TYPES:
        if scenario.demand.mix.get(kind, 0.0) <= 0.0:
            continue
        per_hour = expected_calls_per_hour(scenario, kind, hours)
        gen = streams[f"arrivals.{kind}"]
        cumulative = np.concatenate(([0.0], np.cumsum(per_hour)))
        total = cumulative[-1]
        gaps, reached = [], 0.0
        block = int(total + 6.0 * np.sqrt(total) + 16)
        while reached <= total:
            chunk = reached + np.cumsum(gen.standard_exponential(block))
            gaps.append(chunk)
            reached = float(chunk[-1])
        points = np.concatenate(gaps)
        points = points[points < total]
        hour = np.searchsorted(cumulative, points, side="right") - 1
        t = (hour + (points - cumulative[hour]) / per_hour[hour]) * MINUTES_PER_HOUR
        t = t[t < end]
        times.append(t)
        kinds.append(np.full(len(t), kind, dtype=object))
        handles.append(sample(cc.handle_minutes[kind], streams[f"handle.{kind}"], len(t)))
        assert cc.escalation is not None
        escalate.append(streams[f"escalation.{kind}"].random(len(t))
                        < cc.escalation.probability.get(kind, 0.0))
    all_times = np.concatenate(times)
    order = np.argsort(all_times, kind="stable")
    n = len(all_times)
    assert cc.patience_minutes is not None and cc.escalation is not None
    patience = sample(cc.patience_minutes, streams["patience"], n)
    spec = sample(cc.escalation.handle_minutes, streams["specialist_handle"], n)
    hold = sample(cc.patience_minutes, streams["hold_patience"], n)
    return list(zip(range(n), np.concatenate(kinds)[order], all_times[order],
                    np.concatenate(handles)[order], all_times[order] + patience,
                    np.concatenate(escalate)[order], spec, hold, strict=True))


@pytest.mark.parametrize(("days", "rate", "seed"), [(40, 300, 1), (17.3, 2000, 99),
                                                    (3, 50, 7), (0.5, 10, 3)])
def test_week_blocks_draw_the_same_calls(days: float, rate: float, seed: int) -> None:
    text = SCENARIO.format(days=days, rate=rate)
    scenario = load_scenario_text(text)
    total, batches = draw_calls(scenario, Streams(seed), scenario.run_days * MINUTES_PER_DAY)
    calls = [c for batch in batches for c in batch]
    expected = _reference(text, seed)
    assert total == len(calls) == len(expected)
    got = [(c.id, c.kind, c.arrival, c.handle, c.deadline, c.escalate, c.specialist_handle,
            c.hold_patience) for c in calls]
    assert got == expected  # exact: the same stream, in the same order


def test_memory_does_not_grow_with_the_horizon() -> None:
    """Drawing (and dropping) a long run's calls week by week holds about one week at a time."""
    peaks = {}
    for days in (70, 1400):
        scenario = load_scenario_text(SCENARIO.format(days=days, rate=1000))
        tracemalloc.start()
        try:
            total, batches = draw_calls(scenario, Streams(5), scenario.run_days * MINUTES_PER_DAY)
            drawn = sum(len(batch) for batch in batches)
            _, peaks[days] = tracemalloc.get_traced_memory()
        finally:
            tracemalloc.stop()
        assert drawn == total > 0
    # 20 times the calls, well under twice the memory (the old draw held every call at once).
    assert peaks[1400] < 2 * peaks[70], peaks
