"""Paired comparisons: several scenarios on the same seeds, each set against the first.

This module owns the comparison: running the scenarios under common random numbers, the tidy
table (per scenario and KPI: mean, paired difference to the first with its 95% paired-t
interval, significance, the variance reduction the pairing achieved against independent
runs, and the scenario's own target verdict on the KPI) and the compare results folder. The
statistics are `sim.measure.stats.paired_difference`.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import pandas as pd

from sim.experiments.executors import Executor
from sim.experiments.replicate import Progress, RunResult, replicate_many
from sim.experiments.store import Store
from sim.measure.catalog import KPI_BY_NAME
from sim.measure.stats import paired_difference, t_interval
from sim.scenario.format import Scenario

# compare.csv (contract, then extras: the scenario's own target on the KPI and its verdict)
COLUMNS = ("scenario", "kpi", "mean", "diff", "diff_ci_low", "diff_ci_high", "significant",
           "variance_reduction", "n", "target", "status")


@dataclass(frozen=True)
class CompareResult:
    """Scenarios run on common random numbers and their differences to the first."""

    labels: list[str]  # unique names, in the order given; the first is the reference
    runs: list[RunResult]
    seed: int
    replications: int
    table: pd.DataFrame  # compare.csv

    @property
    def targeted_kpis(self) -> list[str]:
        """KPIs with a target in any scenario, in catalogue order, then total_cost."""
        wanted = {k for run in self.runs for k in run.scenario.targets} | {"total_cost"}
        present = set(self.table["kpi"])
        return [k for k in KPI_BY_NAME if k in wanted and k in present]

    def replications_table(self) -> pd.DataFrame:
        """Every replication of every scenario: scenario, rep, seed and the KPIs."""
        return pd.concat([run.replications.assign(scenario=label)
                          [["scenario", *run.replications.columns]]
                          for label, run in zip(self.labels, self.runs, strict=True)],
                         ignore_index=True)


def unique_labels(scenarios: Sequence[Scenario]) -> list[str]:
    """Scenario names, with ``-2``, ``-3``... added to repeats so every label is distinct.

    Args:
        scenarios: The scenarios, in order.
    """
    labels: list[str] = []
    for scenario in scenarios:
        label, k = scenario.name, 1
        while label in labels:
            k += 1
            label = f"{scenario.name}-{k}"
        labels.append(label)
    return labels


def compare_table(labels: Sequence[str], runs: Sequence[RunResult]) -> pd.DataFrame:
    """The tidy comparison: per scenario and KPI, the mean and the paired difference to the first.

    Replications are paired by their index (they share seeds). The first scenario's rows have
    diff 0 and no variance reduction. ``variance_reduction`` is 1 - Var(b-a)/(Var(a)+Var(b)):
    the share of the variance of the difference that common random numbers removed compared
    with independent runs.

    Args:
        labels: One distinct label per run.
        runs: The runs, the reference first, all with the same replications and seeds.

    Returns:
        Columns ``COLUMNS``: one row per scenario and KPI; ``target`` and ``status`` (met,
        missed, not significant, no data) are the scenario's own target on the KPI and its
        verdict over the horizon, empty for a KPI it has no target on.
    """
    reference = runs[0].replications.set_index("rep")
    kpis = list(dict.fromkeys(k for run in runs for k in run.kpi_names))
    rows = []
    for i, (label, run) in enumerate(zip(labels, runs, strict=True)):
        mine = run.replications.set_index("rep")
        reps = reference.index.intersection(mine.index)
        for kpi in kpis:
            b = mine[kpi].reindex(reps) if kpi in mine else pd.Series(math.nan, index=reps)
            a = reference[kpi].reindex(reps) if kpi in reference else b * math.nan
            pair = paired_difference(a.to_numpy(float), b.to_numpy(float))
            judged = run.targets.get(kpi)
            rows.append((label, kpi, t_interval(b.to_numpy(float)).mean, pair.diff,
                         pair.diff_ci_low, pair.diff_ci_high, pair.significant,
                         pair.variance_reduction if i else math.nan, pair.n,
                         judged.target if judged else math.nan,
                         judged.status if judged else ""))
    return pd.DataFrame(rows, columns=list(COLUMNS))


def compare(scenarios: Sequence[Scenario], replications: int | None = None,
            seed: int | None = None, executor: Executor | None = None,
            progress: Progress | None = None, store: Store | None = None, *,
            workers: int | None = None) -> CompareResult:
    """Run the scenarios with the same seeds and compare each with the first.

    Args:
        scenarios: Two or more scenarios; the first is the reference.
        replications: Replications each (default: the first scenario's).
        seed: Root seed shared by all (default: the first scenario's).
        executor: Where replications run (default: ``workers`` processes).
        progress: Called with (finished, total) replications.
        store: Keeps finished replications on disk; those already there are not rerun.
        workers: Processes when no executor is given (default: every core).

    Returns:
        The CompareResult.
    """
    if len(scenarios) < 2:
        raise ValueError(f"compare needs at least two scenarios, got {len(scenarios)}")
    reps = scenarios[0].replications if replications is None else replications
    root = scenarios[0].seed if seed is None else seed
    runs = replicate_many(scenarios, reps, root, workers, executor, progress, store)
    labels = unique_labels(scenarios)
    return CompareResult(labels, runs, root, reps, compare_table(labels, runs))
