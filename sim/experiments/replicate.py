"""The experiment layer: replications with confidence intervals, shared by the CLI and the app.

``replicate`` is the one way to run a scenario: it derives one seed per replication from the run's
seed, runs them on an executor, and returns tidy tables (one row per replication; daily and
hourly series with a ``rep`` column), the replications' KPI ledgers stacked (every KPI's parts by
day, from which ``sim.experiments.windows`` judges any window of days without a rerun) and the
summary with t-intervals and target verdicts, the budget by calendar month
(``sim.experiments.budget``) and the monthly and quarterly appraisal
(``sim.experiments.appraisal``).
Nothing here knows SimPy; the engine is reached through ``sim.engine.model.simulate`` only.
"""

from __future__ import annotations

import dataclasses
import functools
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from sim.engine.model import Replication, simulate
from sim.engine.rng import replication_seed
from sim.experiments.appraisal import appraisal_table
from sim.experiments.budget import budget_table
from sim.experiments.executors import Executor, make_executor
from sim.experiments.store import Store, replication_digest
from sim.experiments.verdicts import judged, kpi_columns
from sim.measure.ledger import Ledger
from sim.measure.outcome import RUN_OUT_FIELDS, Outcome, measure
from sim.measure.series import TURNAROUND_BIN_EDGES_HOURS, WAIT_BIN_EDGES_SECONDS
from sim.measure.stats import TargetJudgement
from sim.scenario.format import Scenario

Progress = Callable[[int, int], None]
LogWriter = Callable[[Scenario, Replication], dict[str, pd.DataFrame]]
"""Records -> event-log tables; the experiment layer carries them without knowing their format."""
EventSink = Callable[[int, dict[str, pd.DataFrame]], None]
"""Takes one replication's event-log tables as it arrives (replication number, tables by kind),
in the order replications finish: a run whose logs go to files need not hold them all."""


@dataclass(frozen=True)
class RunResult:
    """A scenario's replications and everything computed from them.

    ``ledger`` holds every replication's KPI parts by day (``sim.measure.ledger``): the KPIs of
    any window, day or period of this run come from it (``sim.experiments.windows``).
    ``late_drivers`` says per replication and cause why repairs were late (``late_drivers``
    below); ``run_out`` per replication how long the run went on past the horizon and what its
    cap cut (``sim.measure.outcome.RUN_OUT_FIELDS``).
    """

    scenario: Scenario
    seed: int
    replications: pd.DataFrame
    daily: pd.DataFrame
    hourly: pd.DataFrame
    budget: pd.DataFrame
    wait_hist: pd.DataFrame
    turnaround_hist: pd.DataFrame
    summary: pd.DataFrame
    targets: dict[str, TargetJudgement]
    ledger: Ledger
    appraisal: pd.DataFrame
    late_drivers: pd.DataFrame
    run_out: pd.DataFrame
    events: dict[str, pd.DataFrame] | None = None

    @property
    def kpi_names(self) -> list[str]:
        """KPI columns of ``replications``, in catalogue order."""
        return [c for c in self.replications.columns if c not in ("rep", "seed")]


@functools.lru_cache(maxsize=32)
def _parse(scenario_json: str) -> Scenario:
    return Scenario.model_validate_json(scenario_json)


def run_replication(scenario_json: str, rep: int, root_seed: int, logs: LogWriter | None = None
                    ) -> tuple[str, int, int, Outcome]:
    """Task for an executor: one replication, from plain (picklable) arguments.

    With ``logs`` (a top-level function, such as ``sim.calibrate.logs.event_tables``), the
    outcome also carries the tables it makes of the replication's records: the event logs.
    """
    scenario = _parse(scenario_json)
    seed = replication_seed(root_seed, rep)
    replication = simulate(scenario, seed)
    outcome = measure(scenario, replication)
    if logs is not None:
        outcome = dataclasses.replace(outcome, events=logs(scenario, replication))
    return replication_digest(scenario_json), rep, seed, outcome


def replicate(
    scenario: Scenario,
    replications: int | None = None,
    seed: int | None = None,
    workers: int | None = None,
    executor: Executor | None = None,
    progress: Progress | None = None,
    store: Store | None = None,
    logs: LogWriter | None = None,
    on_logs: EventSink | None = None,
) -> RunResult:
    """Run ``replications`` replications of ``scenario`` (defaults: the scenario's own keys).

    With ``logs``, the result carries the event logs of every replication (see
    ``run_replication``); with ``on_logs`` too, each replication's logs go to ``on_logs`` as it
    arrives instead, and the result carries none.
    """
    return replicate_many([scenario], replications, seed, workers, executor, progress, store,
                          logs, on_logs)[0]


def replicate_many(
    scenarios: Sequence[Scenario],
    replications: int | None = None,
    seed: int | None = None,
    workers: int | None = None,
    executor: Executor | None = None,
    progress: Progress | None = None,
    store: Store | None = None,
    logs: LogWriter | None = None,
    on_logs: EventSink | None = None,
) -> list[RunResult]:
    """Run several scenarios with the same seeds (common random numbers), in one pool.

    Defaults come from the first scenario. With a ``store``, replications already on disk are
    read back instead of rerun and new ones are kept as they finish (resume after interruption).
    ``logs`` and ``on_logs`` are as for ``replicate`` (``on_logs`` with one scenario only).
    """
    if not scenarios:
        return []
    if on_logs is not None and (logs is None or len(scenarios) > 1):
        raise ValueError("on_logs takes the event logs of one scenario's run: pass logs and "
                         "one scenario")
    reps = scenarios[0].replications if replications is None else replications
    root = scenarios[0].seed if seed is None else seed
    payloads = [s.model_dump_json() for s in scenarios]
    digests = [replication_digest(p) for p in payloads]
    done: dict[str, dict[int, tuple[int, Outcome]]] = {d: {} for d in digests}
    tasks = []
    # one task per replication of what is simulated: scenarios that differ only in keys
    # that change no replication (targets, name) share their runs
    unique: dict[str, str] = {}
    for payload, digest in zip(payloads, digests, strict=True):
        unique.setdefault(digest, payload)
    for digest, payload in unique.items():
        for r in range(reps):
            # Event logs are not kept in the store: a run that wants them recomputes.
            kept = store.get(digest, root, r) if store is not None and logs is None else None
            if kept is not None and kept[0] != replication_seed(root, r):
                # Not the replication it claims to be (a hand-edited file): run it again.
                if store is not None:
                    store.reject(digest, root, r)
                kept = None
            if kept is not None:
                done[digest][r] = kept
            else:
                tasks.append((payload, r, root, logs))
    total = len(done) * reps
    finished = sum(len(v) for v in done.values())
    if progress is not None and finished:
        progress(finished, total)
    if tasks:
        if executor is None:
            executor = make_executor(workers, len(tasks))
        for digest, rep, rep_seed, outcome in executor.run(run_replication, tasks):
            if on_logs is not None and outcome.events is not None:
                on_logs(rep, outcome.events)
                outcome = dataclasses.replace(outcome, events=None)
            done[digest][rep] = (rep_seed, outcome)
            if store is not None:
                store.put(digest, root, rep, rep_seed, outcome)
            finished += 1
            if progress is not None:
                progress(finished, total)
    return [assemble(s, root, done[d]) for s, d in zip(scenarios, digests, strict=True)]


def assemble(scenario: Scenario, seed: int, outcomes: dict[int, tuple[int, Outcome]]
             ) -> RunResult:
    """Tidy tables and the summary from per-replication outcomes (in replication order)."""
    order = sorted(outcomes)
    rows = []
    for r in order:
        rep_seed, outcome = outcomes[r]
        rows.append({"rep": r, "seed": rep_seed, **outcome.kpis})
    replications = pd.DataFrame(rows)
    replications = replications[["rep", "seed", *kpi_columns(replications)]]

    def stacked(get: Callable[[Outcome], pd.DataFrame]) -> pd.DataFrame:
        return pd.concat([get(outcomes[r][1]).assign(rep=r) for r in order], ignore_index=True)

    def event_log(kind: str) -> pd.DataFrame:
        table = pd.concat([(outcomes[r][1].events or {})[kind].assign(rep=r) for r in order],
                          ignore_index=True)
        return table[["rep", *[c for c in table.columns if c != "rep"]]]

    daily = stacked(lambda o: o.daily)
    hourly = stacked(lambda o: o.hourly)
    daily = daily[["rep", *[c for c in daily.columns if c != "rep"]]]
    hourly = hourly[["rep", *[c for c in hourly.columns if c != "rep"]]]
    counts = np.sum([outcomes[r][1].wait_hist for r in order], axis=0)
    wait_hist = pd.DataFrame({"bin_low_seconds": WAIT_BIN_EDGES_SECONDS[:-1],
                              "bin_high_seconds": WAIT_BIN_EDGES_SECONDS[1:],
                              "count": counts})
    counts = np.sum([outcomes[r][1].turnaround_hist for r in order], axis=0)
    turnaround_hist = pd.DataFrame({"bin_low_hours": TURNAROUND_BIN_EDGES_HOURS[:-1],
                                    "bin_high_hours": TURNAROUND_BIN_EDGES_HOURS[1:],
                                    "count": counts})
    summary, targets = judged(replications, scenario.targets)
    ledger = Ledger.stack({r: outcomes[r][1].ledger for r in order})
    logs = None
    if order and all(outcomes[r][1].events is not None for r in order):
        logs = {kind: event_log(kind) for kind in outcomes[order[0]][1].events or {}}
    drivers = late_drivers_table(stacked(lambda o: o.late_drivers))
    run_out = pd.DataFrame([{"rep": r, **outcomes[r][1].run_out} for r in order],
                           columns=["rep", *RUN_OUT_FIELDS])
    return RunResult(scenario, seed, replications, daily, hourly,
                     budget_table(scenario, ledger), wait_hist, turnaround_hist, summary, targets,
                     ledger, appraisal_table(scenario, ledger), drivers, run_out, logs)


def late_drivers_table(stacked: pd.DataFrame) -> pd.DataFrame:
    """Per replication and cause: ``late_jobs`` (the replication's late work orders), ``hours``
    (hours of that cause per late work order) and ``share`` (of the late work orders' whole
    time from call to finish; NaN without a late job)."""
    if stacked.empty:
        return pd.DataFrame(columns=["rep", "cause", "late_jobs", "hours", "share"])
    total = stacked.groupby("rep")["hours"].transform("sum").to_numpy(float)
    late = stacked["late_jobs"].to_numpy(float)
    hours = stacked["hours"].to_numpy(float)
    with np.errstate(invalid="ignore", divide="ignore"):
        return pd.DataFrame({
            "rep": stacked["rep"].to_numpy(), "cause": stacked["cause"].to_numpy(),
            "late_jobs": stacked["late_jobs"].to_numpy(np.int64),
            "hours": np.where(late > 0, hours / np.where(late > 0, late, 1.0), np.nan),
            "share": np.where(total > 0, hours / np.where(total > 0, total, 1.0), np.nan)})

