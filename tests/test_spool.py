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

from sim.engine import spill
from sim.engine.model import Replication, simulate
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
# made before the end must reach the table), then maybe freeze (1), or freeze and write the
# frozen columns to disk (2).
steps = st.lists(st.tuples(st.integers(0, 6), st.lists(st.integers(0, 50), max_size=4),
                           st.integers(0, 2)),
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
        if freeze == 2:
            spool.spill()
            assert spool.held_bytes() == 0
    expected = frame(every, Job)
    table = spool.table()
    pd.testing.assert_frame_equal(table, expected, check_exact=True)
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


def test_a_spilled_table_is_read_from_disk_not_held() -> None:
    """A spool that spilled builds its table without holding it: the typed columns are read
    back from a temporary file (the operating system's cache, not the process's memory)."""
    n = 40_000
    rows: list[Job] = []
    spool = Spool(rows, Job, ENDED)
    for lo in range(0, n, 500):
        rows += [Job(i, "onsite", i * 0.5, i * 0.5 + 1.0, 1, True) for i in range(lo, lo + 500)]
        spool.freeze()
        spool.spill()
    gc.collect()
    tracemalloc.start()
    try:
        table = spool.table()
        held, _ = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    columns = int(table.memory_usage(index=False).sum())
    # 4 typed fields of 8 bytes and a bool a job are on disk; the label's codes (a byte a job)
    # and pandas' own objects are in memory.
    assert held < 0.2 * columns, (held, columns)
    assert table["id"].tolist() == list(range(n))
    assert table["end"].iloc[-1] == (n - 1) * 0.5 + 1.0


def _tables(rep: Replication) -> dict[str, pd.DataFrame]:
    return {name: value for name, value in vars(rep).items() if isinstance(value, pd.DataFrame)}


def test_a_replication_that_spills_has_the_same_tables(monkeypatch) -> None:
    """Columns written to disk at every freeze read back as the columns kept in memory."""
    scenario = load_scenario(ROOT / "scenarios" / "baseline.yaml", ["horizon_days=14"])
    seed = replication_seed(scenario.seed, 3)
    kept = _tables(simulate(scenario, seed))
    monkeypatch.setattr(spill, "SPILL_BYTES", 0)
    spilled = _tables(simulate(scenario, seed))
    assert kept.keys() == spilled.keys()
    for name, table in kept.items():
        pd.testing.assert_frame_equal(spilled[name], table, check_exact=True, obj=name)
    assert not spilled["calls"]["arrival"].to_numpy().flags.owndata


def test_past_its_budget_a_replication_holds_little_of_its_tables(monkeypatch) -> None:
    """With a budget of 1 MiB, what 14 -> 42 days add to the peak of ``simulate`` is 0.69
    times what they add to the tables (the rosters and stock levels laid out for the run, the
    order of the rows); holding every table in memory, 1.35 times."""
    monkeypatch.setattr(spill, "SPILL_BYTES", 2**20)
    short_peak, short_tables = _simulate_peak_and_tables(14)
    long_peak, long_tables = _simulate_peak_and_tables(42)
    growth = (long_peak - short_peak) / (long_tables - short_tables)
    assert growth < 0.9, growth


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


def test_a_replication_holds_its_ended_entities_as_columns(monkeypatch) -> None:
    """What a longer horizon adds to the peak of ``simulate`` is about what it adds to the
    tables, not the entities as objects (every table kept in memory here). Measured (baseline,
    14 -> 42 days): 1.35 times the tables' growth; 1.63 while the people's ended runners waited
    for the cyclic collector (0d99c3a); with every entity held to the end (65c3b6b), 3.31
    times."""
    monkeypatch.setattr(spill, "SPILL_BYTES", 2**40)
    short_peak, short_tables = _simulate_peak_and_tables(14)
    long_peak, long_tables = _simulate_peak_and_tables(42)
    growth = (long_peak - short_peak) / (long_tables - short_tables)
    assert growth < 2.2, growth
