"""Records frozen while the clock runs (``sim.engine.records.Spool``) make the same table as
the entities frozen at the end (``frame``), and let the entities go."""

from __future__ import annotations

import gc
import tracemalloc
from dataclasses import dataclass
from pathlib import Path

import pandas as pd
from hypothesis import given, settings
from hypothesis import strategies as st

from sim.engine.model import simulate
from sim.engine.records import Ended, Spool, frame
from sim.engine.rng import replication_seed
from sim.scenario.loader import load_scenario

ROOT = Path(__file__).resolve().parent.parent


@dataclass(slots=True, eq=False)
class Job:
    id: int
    kind: str
    start: float
    end: float = float("nan")
    visits: int = 0
    done: bool = False


ENDED = Ended("done", lambda done: done)


# One step: append k jobs, end the jobs at the given places among those still open (a change
# made before the end must reach the table), then maybe freeze.
steps = st.lists(st.tuples(st.integers(0, 6), st.lists(st.integers(0, 50), max_size=4),
                           st.booleans()),
                 max_size=40)


@settings(max_examples=150, deadline=None)
@given(steps)
def test_a_spool_makes_the_table_frame_makes_of_every_job_in_order(plan: list) -> None:
    rows: list[Job] = []
    spool = Spool(rows, Job, ENDED)
    every: list[Job] = []
    for appended, ending, freeze in plan:
        for _ in range(appended):
            job = Job(len(every), ("onsite", "depot", "bench")[len(every) % 3], len(every) * 0.5)
            rows.append(job)
            every.append(job)
        open_jobs = [j for j in rows if not j.done]
        for place in ending:
            if open_jobs:
                job = open_jobs.pop(place % len(open_jobs))
                job.end, job.visits, job.done = job.start + 1.25, place, True
        if freeze:
            spool.freeze()
            assert all(not j.done for j in rows)
    expected = frame(every, Job)
    table = spool.table()
    pd.testing.assert_frame_equal(table, expected)
    assert rows == []


def test_frozen_jobs_are_let_go_and_held_as_columns() -> None:
    n = 40_000

    def made(lo: int, hi: int) -> list[Job]:
        return [Job(i, "onsite", i * 0.5, i * 0.5 + 1.0, 1, True) for i in range(lo, hi)]

    rows: list[Job] = []
    spool = Spool(rows, Job, ENDED)
    gc.collect()
    tracemalloc.start()
    try:
        before, _ = tracemalloc.get_traced_memory()
        objects = made(0, n)
        as_objects = tracemalloc.get_traced_memory()[0] - before
        del objects
        before, _ = tracemalloc.get_traced_memory()
        for lo in range(0, n, 500):  # a day's jobs at a time
            rows += made(lo, lo + 500)
            spool.freeze()
        as_columns = tracemalloc.get_traced_memory()[0] - before
    finally:
        tracemalloc.stop()
    assert rows == []
    # The columns are 6 fields of 8 bytes a job (and a reference to the shared label), against
    # a slotted object with its boxed floats and ints.
    assert as_columns < 0.4 * as_objects, (as_columns, as_objects)
    table = spool.table()
    assert len(table) == n and table["id"].tolist() == list(range(n))


def _simulate_peak_and_tables(days: int) -> tuple[int, int]:
    scenario = load_scenario(ROOT / "scenarios" / "baseline.yaml", [f"horizon_days={days}"])
    tracemalloc.start()
    try:
        rep = simulate(scenario, replication_seed(scenario.seed, 0))
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    tables = sum(int(value.memory_usage(index=False).sum()) for value in vars(rep).values()
                 if isinstance(value, pd.DataFrame))
    return peak, tables


def test_a_replication_holds_its_ended_entities_as_columns() -> None:
    """What a longer horizon adds to the peak of ``simulate`` is about what it adds to the
    tables, not the entities as objects. Measured (baseline, 14 -> 42 days): 1.63 times the
    tables' growth; with every entity held to the end (65c3b6b), 3.31 times."""
    short_peak, short_tables = _simulate_peak_and_tables(14)
    long_peak, long_tables = _simulate_peak_and_tables(42)
    growth = (long_peak - short_peak) / (long_tables - short_tables)
    assert growth < 2.2, growth
