"""The explorer's cached runners: each experiment of the CLI, once per content, seed and size.

This module owns the Streamlit caches in front of the experiment layer: `run_scenario`
(`sim.experiments.replicate.replicate`), `run_compare` (`sim.experiments.compare.compare`),
`run_sweep` (`sim.experiments.sweep.run_sweep`), `run_stress`
(`sim.experiments.stress.plan.run_stress`) and `run_optimize`
(`sim.experiments.optimize.solve.optimize`). Each is keyed on the canonical JSON of its scenarios
(`model_dump_json()`), the seed and the replication count, is bounded by `max_entries`, and shows a
progress bar that the script thread updates from the experiment's own completion loop. Replications
run in a process pool kept warm across runs (`worker_pool`, a started
`sim.experiments.executors.PoolExecutor`); the tasks are
`sim.experiments.replicate.run_replication`, a function of the installed package, so they pickle
from any page. `event_logs` is not cached: its zip is held on the server's one `log_shelf`
(`sim.explorer.log_shelf.LogShelf`), within one budget for every session. No model logic lives
here.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from concurrent.futures.process import BrokenProcessPool
from datetime import date
from typing import Any

import streamlit as st

from sim.calibrate.logs import event_tables
from sim.experiments.compare import CompareResult, compare
from sim.experiments.design import Factor
from sim.experiments.executors import Executor, PoolExecutor, SerialExecutor, default_workers
from sim.experiments.optimize.solve import OptimizeResult, optimize
from sim.experiments.replicate import RunResult, replicate
from sim.experiments.risks.register import load_register
from sim.experiments.risks.run import RegisterResult, run_register
from sim.experiments.stress.plan import StressResult, run_stress
from sim.experiments.stress.shocks import SHOCK_ADAPTER
from sim.experiments.sweep import SweepResult, run_sweep
from sim.explorer.log_shelf import LogShelf
from sim.output.event_files import ZIP_LIMIT_BYTES, EventLogZip
from sim.scenario.format import Scenario
from sim.scenario.loader import scenario_to_yaml

WORKERS_ENV = "AFTERSALES_WORKERS"
MAX_ENTRIES = 16  # results kept per runner; a baseline run is a few MiB


def _release(pool: PoolExecutor) -> None:
    pool.shutdown(wait=False)


@st.cache_resource(show_spinner=False, max_entries=2, on_release=_release)
def worker_pool(workers: int) -> PoolExecutor:
    """The shared pool of ``workers`` processes (one per worker count), kept warm across runs."""
    return PoolExecutor(workers).start()


@st.cache_resource(show_spinner=False)
def log_shelf() -> LogShelf:
    """The server's event-log zips: one build at a time, ``ZIP_LIMIT_BYTES`` held in all."""
    return LogShelf(ZIP_LIMIT_BYTES)


def executor_for(workers: int) -> Executor:
    """In-process for one worker, else the warm pool."""
    return SerialExecutor() if workers <= 1 else worker_pool(workers)


def default_worker_count() -> int:
    """`$AFTERSALES_WORKERS` if set, else every core up to four (more rarely helps the
    replication counts people wait for)."""
    configured = os.environ.get(WORKERS_ENV, "")
    return max(1, int(configured)) if configured.isdigit() else min(default_workers(), 4)


class _Bar:
    """A progress bar the experiment's completion loop updates (on the script thread)."""

    def __init__(self, what: str) -> None:
        self.what = what
        self.bar = st.progress(0.0, text=f"{what}: starting")

    def __call__(self, done: int, total: int) -> None:
        self.bar.progress(min(done / total, 1.0) if total else 1.0,
                          text=f"{self.what}: {done} of {total} replications done")

    def clear(self) -> None:
        """Remove the bar once the run is over. Streamlit replays what a cached function drew
        on every cache hit: a bar left standing would say "Running ..." on every page that
        reads the cached result, long after the run."""
        self.bar.empty()


def _finished(bar: _Bar, call: Callable[[Executor], Any], executor: Executor) -> Any:
    """Run ``call`` (restarting a broken pool once) and clear the progress bar after."""
    result = _retry_on_broken_pool(call, executor)
    bar.clear()
    return result


def _retry_on_broken_pool(call: Callable[[Executor], Any], executor: Executor) -> Any:
    """Run ``call``; if a worker died (killed, out of memory), start a fresh pool once."""
    try:
        return call(executor)
    except BrokenProcessPool:
        if not isinstance(executor, PoolExecutor):
            raise
        worker_pool.clear()
        return call(worker_pool(executor.workers))


@st.cache_data(max_entries=MAX_ENTRIES, show_spinner=False)
def run_scenario(scenario_json: str, replications: int, seed: int, _executor: Executor
                 ) -> RunResult:
    """`replicate` for one scenario, cached on its canonical JSON, seed and replications.

    Args:
        scenario_json: `Scenario.model_dump_json()` of the scenario to run.
        replications: Replications.
        seed: Root seed.
        _executor: Where replications run (not part of the key: results do not depend on it).
    """
    scenario = Scenario.model_validate_json(scenario_json)
    bar = _Bar(f"Running `{scenario.name}`")
    return _finished(
        bar, lambda ex: replicate(scenario, replications, seed, executor=ex, progress=bar),
        _executor)


def event_logs(scenario: Scenario, executor: Executor, created: date) -> bytes:
    """The event logs of ``scenario``'s run (its seed and replications: the run the pages show)
    as a zip of the results folder's ``events/<kind>.csv`` and ``scenario.yaml`` stamped
    ``created``, each replication's logs taken into the zip as it finishes."""
    bar = _Bar(f"Event logs of `{scenario.name}`")
    extra = {"scenario.yaml": scenario_to_yaml(scenario).encode("utf-8")}

    def run(ex: Executor) -> bytes:
        sink = EventLogZip(created, extra)  # a fresh one if a broken pool makes the run start again
        replicate(scenario, scenario.replications, scenario.seed, executor=ex, progress=bar,
                  logs=event_tables, on_logs=sink)
        return sink.close()

    data: bytes = _finished(bar, run, executor)
    return data


@st.cache_data(max_entries=MAX_ENTRIES, show_spinner=False)
def run_compare(scenarios_json: tuple[str, ...], replications: int, seed: int,
                _executor: Executor) -> CompareResult:
    """`sim.experiments.compare.compare` of the scenarios (the first is the reference), cached."""
    scenarios = [Scenario.model_validate_json(s) for s in scenarios_json]
    bar = _Bar("Comparing under common random numbers")
    return _finished(
        bar, lambda ex: compare(scenarios, replications, seed, executor=ex, progress=bar),
        _executor)


@st.cache_data(max_entries=MAX_ENTRIES, show_spinner=False)
def run_sweep_cached(base_json: str, factors_json: tuple[str, ...], replications: int, seed: int,
                     _executor: Executor) -> SweepResult:
    """`sim.experiments.sweep.run_sweep` of the base over the factors (each a `Factor` as JSON),
    cached."""
    base = Scenario.model_validate_json(base_json)
    factors = [Factor.model_validate_json(f) for f in factors_json]
    bar = _Bar("Sweeping")
    return _finished(
        bar, lambda ex: run_sweep(base, factors, replications, seed, executor=ex, progress=bar),
        _executor)


@st.cache_data(max_entries=MAX_ENTRIES, show_spinner=False)
def run_stress_cached(base_json: str, shocks_json: tuple[str, ...], replications: int, seed: int,
                      _executor: Executor) -> StressResult:
    """`sim.experiments.stress.plan.run_stress` of the base under each shock (as JSON), cached."""
    base = Scenario.model_validate_json(base_json)
    shocks = [SHOCK_ADAPTER.validate_json(s) for s in shocks_json]
    bar = _Bar("Stress test")
    return _finished(
        bar, lambda ex: run_stress(base, shocks, replications, seed, executor=ex, progress=bar),
        _executor)


@st.cache_data(max_entries=MAX_ENTRIES, show_spinner=False)
def run_register_cached(path: str, replications: int, workers: int) -> RegisterResult:
    """`sim.experiments.risks.run.run_register` of a register file, cached on its path and the
    replications (a register file is read again, so an edit is seen on the next run)."""
    plan = load_register(path)
    bar = _Bar("Risk register")
    return _retry_on_broken_pool(
        lambda ex: run_register(plan, replications, executor=ex, progress=bar),
        executor_for(workers))



@st.cache_data(max_entries=MAX_ENTRIES, show_spinner=False)
def run_optimize(scenario_json: str, decide: tuple[str, ...], replications: int,
                 confirm_replications: int, max_evaluations: int, seed: int,
                 cost_tolerance: float, _executor: Executor) -> OptimizeResult:
    """`sim.experiments.optimize.solve.optimize` of the scenario, cached on its arguments.

    The bar counts replications over every evaluation so far; its total grows as the search
    asks for more, as the CLI's does.
    """
    scenario = Scenario.model_validate_json(scenario_json)
    bar = _Bar("Optimizing")
    return _retry_on_broken_pool(
        lambda ex: optimize(scenario, decide, replications=replications,
                            confirm_replications=confirm_replications, seed=seed, executor=ex,
                            max_evaluations=max_evaluations, progress=bar,
                            cost_tolerance=cost_tolerance),
        _executor)
