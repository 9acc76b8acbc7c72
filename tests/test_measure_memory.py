"""``measure`` works on a replication's tables without holding copies of them: what a longer
horizon adds to its peak is well under what it adds to the tables (issue 15's memory goal:
the tables are already all a replication holds once ``simulate`` returns)."""

from __future__ import annotations

import gc
import tracemalloc
from pathlib import Path

import pandas as pd

from sim.engine.model import simulate
from sim.engine.rng import replication_seed
from sim.measure.outcome import measure
from sim.scenario.loader import load_scenario

ROOT = Path(__file__).resolve().parent.parent


def _measure_peak_and_tables(days: int) -> tuple[int, int]:
    scenario = load_scenario(ROOT / "scenarios" / "baseline.yaml", [f"horizon_days={days}"])
    rep = simulate(scenario, replication_seed(scenario.seed, 0))
    gc.collect()
    tables = sum(int(value.memory_usage(index=False).sum()) for value in vars(rep).values()
                 if isinstance(value, pd.DataFrame))
    tracemalloc.start()
    try:
        measure(scenario, rep)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    return peak, tables


def test_measure_grows_with_the_horizon_by_a_third_of_its_tables() -> None:
    """Baseline, 14 -> 42 days: ``measure``'s peak grows by 0.30 times the tables' growth. With
    the queue history sorted as one array of joins and leaves and the quantile counts copied to
    floats (0d99c3a), 0.37; with every view held at once, whole work-order rows copied and the
    calls' ids indexed by pandas (4e5cfad), 0.53 times."""
    short_peak, short_tables = _measure_peak_and_tables(14)
    long_peak, long_tables = _measure_peak_and_tables(42)
    growth = (long_peak - short_peak) / (long_tables - short_tables)
    assert growth < 0.34, growth
