"""Reproducibility: one seed, one answer, however the replications are run.

The same root seed gives the same replication table to the bit; running in one process or in a
pool of workers changes nothing; a different seed changes the numbers; and named random streams
keep the callers of a scenario the same when an unrelated part of it changes (common random
numbers). The command line is held to the same standard, byte for byte.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest
from pandas.testing import assert_frame_equal

from sim.engine.model import simulate
from sim.engine.rng import replication_seed
from sim.experiments.executors import PoolExecutor, SerialExecutor, make_executor
from sim.experiments.replicate import replicate
from sim.scenario.format import Scenario
from sim.scenario.loader import load_scenario

ROOT = Path(__file__).resolve().parent.parent
BASELINE = ROOT / "scenarios" / "baseline.yaml"
SHORT = ["horizon_days=2", "warmup_days=1"]
REPS = 3


@pytest.fixture(scope="module")
def scenario() -> Scenario:
    """The baseline (every section of the format) cut to a warm-up day and two days."""
    return load_scenario(BASELINE, SHORT)


@pytest.fixture(scope="module")
def serial(scenario: Scenario) -> pd.DataFrame:
    return replicate(scenario, replications=REPS, seed=7, workers=1).replications


def test_same_seed_gives_identical_replications(scenario: Scenario, serial: pd.DataFrame
                                                ) -> None:
    again = replicate(scenario, replications=REPS, seed=7, workers=1)
    assert_frame_equal(serial, again.replications, check_exact=True)
    assert list(serial["rep"]) == list(range(REPS))


def test_same_seed_gives_identical_tables(scenario: Scenario) -> None:
    a, b = simulate(scenario, 123), simulate(scenario, 123)
    for name in ("calls", "cases", "work_orders", "visits", "part_requests", "part_orders",
                 "part_levels", "followups", "attempts", "overtime"):
        assert_frame_equal(getattr(a, name), getattr(b, name), check_exact=True, obj=name)
    assert a.windows == b.windows


def test_one_worker_and_two_workers_agree(scenario: Scenario, serial: pd.DataFrame) -> None:
    # The pool is really used: two workers for three replications is a process pool.
    assert isinstance(make_executor(2, REPS), PoolExecutor)
    assert isinstance(make_executor(1, REPS), SerialExecutor)
    pooled = replicate(scenario, replications=REPS, seed=7, workers=2)
    assert_frame_equal(serial, pooled.replications, check_exact=True)


def test_a_kept_pool_starts_its_workers_before_the_first_run(scenario: Scenario,
                                                            serial: pd.DataFrame) -> None:
    """The explorer keeps a pool from page load: its workers must be up (importing the model)
    before the first click, not spawned by it; and the start-up tasks leave no trace in a run."""
    pool = PoolExecutor(2).start()
    try:
        assert pool._pool is not None
        assert len(pool._pool._processes) == 2
        kept = replicate(scenario, replications=REPS, seed=7, executor=pool)
        assert_frame_equal(serial, kept.replications, check_exact=True)
    finally:
        pool.shutdown()


def test_different_seeds_differ(scenario: Scenario, serial: pd.DataFrame) -> None:
    other = replicate(scenario, replications=REPS, seed=8, workers=1).replications
    assert (serial["seed"] != other["seed"]).all()
    assert not serial.drop(columns="seed").equals(other.drop(columns="seed"))
    assert other["service_level"].tolist() != serial["service_level"].tolist()
    # ... and so do the replications of one run.
    assert serial["calls_offered"].nunique() == REPS


@pytest.mark.parametrize(("change", "moved"), [
    ("complaints.handlers=5", "cases"),
    ("field_service.technicians=40", "work_orders"),
    ("parts.skus.0.initial_on_hand=3", "part_requests"),
    ("call_center.agents=30", "calls"),
])
def test_unrelated_change_keeps_the_same_callers(change: str, moved: str) -> None:
    """Common random numbers: arrivals and each caller's draws come from named streams, so a
    change elsewhere in the scenario leaves every customer's first call exactly as it was."""
    seed = replication_seed(7, 0)
    base = simulate(load_scenario(BASELINE, SHORT), seed)
    changed = simulate(load_scenario(BASELINE, [*SHORT, change]), seed)
    cols = ["id", "kind", "arrival", "handle", "escalate", "specialist_handle"]
    # First attempts only: whether a caller redials depends on what the change did to them;
    # and up to the horizon's end: how long the run-out goes on depends on the change.
    first = f"origin == 'customer' and attempt == 1 and arrival < {base.end_minutes}"
    a = base.calls.query(first)[cols].reset_index(drop=True)
    b = changed.calls.query(first)[cols].reset_index(drop=True)
    assert len(a) > 1000
    assert_frame_equal(a, b, check_exact=True)
    # The change is real: what it touches did move; only the callers did not.
    assert not getattr(base, moved).equals(getattr(changed, moved))


def test_replication_seed_is_pinned() -> None:
    # Computed once. It depends on numpy's SeedSequence algorithm (SeedSequence(root,
    # spawn_key=(rep,)).generate_state), which numpy keeps stable across versions; if this ever
    # fails, every saved run's replications can no longer be re-run one by one.
    assert replication_seed(7, 0) == 3386250816931739734
    assert replication_seed(7, 1) == 4042502035264064771
    assert replication_seed(7, 0) != replication_seed(8, 0)


def test_cli_results_do_not_depend_on_workers(tmp_path: Path) -> None:
    text = BASELINE.read_text(encoding="utf-8")
    short = text.replace("horizon_days: 91", "horizon_days: 2").replace(
        "warmup_days: 7", "warmup_days: 1")
    assert short != text and "horizon_days: 2" in short and "warmup_days: 1" in short
    path = tmp_path / "short.yaml"
    path.write_text(short, encoding="utf-8")
    out = {}
    for workers, name in ((1, "A"), (2, "B")):
        out[name] = tmp_path / name
        done = subprocess.run(
            [sys.executable, "-m", "sim", "run", str(path), "--reps", "3", "--workers",
             str(workers), "--out", str(out[name]), "--quiet"],
            cwd=ROOT, capture_output=True, text=True, timeout=300, check=False)
        assert done.returncode == 0, done.stderr
    a = (out["A"] / "replications.csv").read_bytes()
    b = (out["B"] / "replications.csv").read_bytes()
    assert a == b
    assert len(a.splitlines()) == 4  # header + 3 replications
    assert (out["A"] / "daily.csv").read_bytes() == (out["B"] / "daily.csv").read_bytes()
