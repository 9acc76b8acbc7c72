"""Parameter sweeps: a base scenario run over a grid of factor values with common random numbers.

This module owns turning an experiment's factors into validated point scenarios
(``expand_points``), running every point on the same seeds (``run_sweep``), the tidy tables and
feasibility verdicts (which point meets every target, the cheapest that does) and the resolved
experiment file, and why no point may meet every target (``missed_everywhere``: the targets
missed at every point, and whether the swept factors move them at all). The experiment file
format (``Factor``, ``Experiment``, ``load_experiment`` and their rules) is
``sim.experiments.design``; the results folder is ``sim.output.experiments``.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from itertools import product
from typing import Any, NamedTuple

import pandas as pd

from sim.experiments.design import Experiment, Factor
from sim.experiments.executors import Executor
from sim.experiments.replicate import Progress, RunResult, replicate_many
from sim.experiments.store import Store
from sim.measure.catalog import KPI_BY_NAME
from sim.measure.stats import paired_difference
from sim.scenario.format import Scenario
from sim.scenario.loader import load_scenario, load_scenario_text, scenario_to_yaml
from sim.scenario.plain import json_safe
from sim.scenario.problems import Problem, ScenarioError
from sim.scenario.yaml_io import to_yaml

# sweep_summary.csv after point and the factor columns (contract; extras follow)
SUMMARY_COLUMNS = ("kpi", "mean", "ci_low", "ci_high", "n", "meets_targets")


class Point(NamedTuple):
    """One grid point: its id (``p01`` ...), the factor values it sets, its scenario."""

    id: str
    values: dict[str, Any]
    scenario: Scenario


def expand_points(experiment_or_base: Experiment | Scenario,
                  factors: Sequence[Factor] | None = None) -> list[Point]:
    """Every combination of the factors' values (first factor slowest), validated as scenarios.

    Each value is applied to the base as a ``--set`` override and the result is validated like
    a scenario file; the point's scenario is named ``<base>.<point id>``.

    Args:
        experiment_or_base: An experiment (its base file is loaded) or a base scenario.
        factors: The factors (default: the experiment's).

    Returns:
        ``(point id, {key: value}, scenario)`` per point, in grid order.

    Raises:
        ScenarioError: Naming every bad point and the factor behind it.
    """
    if isinstance(experiment_or_base, Experiment):
        base = load_scenario(experiment_or_base.base)
        factors = experiment_or_base.factors if factors is None else factors
    else:
        base = experiment_or_base
    if not factors:
        raise ValueError("a sweep needs at least one factor")
    combos = list(product(*(f.grid() for f in factors)))
    width = max(2, len(str(len(combos))))
    text = scenario_to_yaml(base)
    points: list[Point] = []
    problems: list[Problem] = []
    for n, combo in enumerate(combos, start=1):
        pid = f"p{n:0{width}d}"
        sets = [f"{f.key}={yaml_value(v)}" for f, v in zip(factors, combo, strict=True)]
        name = f"{base.name[:63 - len(pid)]}.{pid}"
        try:
            scenario = load_scenario_text(text, f"point {pid}", [f"name={name}", *sets])
        except ScenarioError as err:
            problems.extend(_point_problems(pid, factors, sets, err))
            continue
        points.append(Point(pid, {f.key: v for f, v in zip(factors, combo, strict=True)},
                            scenario))
    if problems:
        raise ScenarioError(problems)
    return points


def yaml_value(value: Any) -> str:
    """A value as YAML flow text for a ``--set``: JSON, except that NaN and infinities are
    YAML's ``.nan`` and ``.inf`` (JSON has none: they would become ``null`` and be reported as
    a missing number instead of the number they are)."""
    if isinstance(value, float) and not math.isfinite(value):
        return ".nan" if math.isnan(value) else (".inf" if value > 0 else "-.inf")
    if isinstance(value, list | tuple):
        return "[" + ", ".join(yaml_value(v) for v in value) + "]"
    if isinstance(value, dict):
        return "{" + ", ".join(f"{json.dumps(str(k))}: {yaml_value(v)}"
                               for k, v in value.items()) + "}"
    return json.dumps(json_safe(value))


def _point_problems(pid: str, factors: Sequence[Factor], sets: list[str], err: ScenarioError
                    ) -> list[Problem]:
    """The loader's problems for one point, placed at the factor whose value caused them."""
    where = ", ".join(sets)
    out = []
    for p in err.problems:
        found = re.search(r" \((?:from|in|after) (`--set [^`]*`(?:, `--set [^`]*`)*)\)$",
                          p.message)
        message = p.message[:found.start()] if found else p.message
        named = re.findall(r"`--set ([^`]*)`", found.group(1)) if found else []
        culprit = next((factors[sets.index(t)] for t in named if t in sets), None)
        key = f"{p.path}: " if p.path else ""
        source = (culprit or factors[0])._source
        line, path = (culprit._line, culprit._path) if culprit is not None else (None, "")
        out.append(Problem(source, line, path, f"point {pid} ({where}): {key}{message}"))
    return out


def meets_targets(summary: pd.DataFrame, targets: Mapping[str, float]) -> bool:
    """Whether a point meets every target with confidence (vacuously true without targets).

    For an ``at_least`` KPI the CI's lower bound must be at or above the target, for an
    ``at_most`` KPI the upper bound at or below it; a missing KPI or interval fails.

    Args:
        summary: The point's summary (columns kpi, ci_low, ci_high).
        targets: KPI name -> threshold.
    """
    bounds = summary.set_index("kpi")[["ci_low", "ci_high"]].astype(float).to_dict("index")
    for kpi, target in targets.items():
        if kpi not in bounds:
            return False
        if KPI_BY_NAME[kpi].direction == "at_least":
            ok = bounds[kpi]["ci_low"] >= target
        else:
            ok = bounds[kpi]["ci_high"] <= target
        if not ok:  # also for nan bounds (n < 2): an unknown interval meets nothing
            return False
    return True


def cheapest_feasible(overview: pd.DataFrame) -> str | None:
    """The point with the lowest mean total_cost among those meeting every target, or None.

    Args:
        overview: One row per point with columns point, total_cost, meets_targets.
    """
    feasible = overview[overview["meets_targets"].astype(bool)]
    feasible = feasible[feasible["total_cost"].notna()]
    if feasible.empty:
        return None
    return str(feasible.sort_values("total_cost", kind="stable").iloc[0]["point"])


@dataclass(frozen=True)
class SweepResult:
    """A finished sweep: the points, their runs and the tables of the results folder."""

    name: str
    base: Scenario
    factors: tuple[Factor, ...]
    points: list[Point]
    runs: list[RunResult]
    seed: int
    replications: int
    kpis: tuple[str, ...]  # charted
    table: pd.DataFrame  # sweep.csv: point, factors, rep, seed, KPIs
    summary: pd.DataFrame  # sweep_summary.csv: point, factors, kpi, mean, CI, n, meets_targets
    overview: pd.DataFrame  # one row per point: factors, total_cost, meets_targets, not met
    cheapest_feasible: str | None


def _cell(value: Any) -> Any:
    """A factor value for a CSV cell: scalars as they are, lists and mappings as JSON."""
    value = json_safe(value)
    return json.dumps(value) if isinstance(value, dict | list) else value


def run_sweep(base: Scenario, factors: Sequence[Factor], replications: int | None = None,
              seed: int | None = None, executor: Executor | None = None,
              progress: Progress | None = None, store: Store | None = None, *,
              workers: int | None = None, kpis: Sequence[str] | None = None,
              name: str | None = None, points: Sequence[Point] | None = None) -> SweepResult:
    """Run every point of the grid on the same seeds (common random numbers).

    Args:
        base: The base scenario.
        factors: The factors; several give their full grid.
        replications: Replications per point (default: the base's).
        seed: Root seed shared by all points (default: the base's).
        executor: Where replications run (default: ``workers`` processes).
        progress: Called with (finished, total) replications.
        store: Keeps finished replications on disk; those already there are not rerun.
        workers: Processes when no executor is given (default: every core).
        kpis: KPIs to chart (default: the base's targeted KPIs, then total_cost).
        name: The sweep's name (default: ``<base>-sweep``).
        points: ``expand_points(base, factors)`` if already computed.

    Returns:
        The SweepResult.
    """
    factors = tuple(factors)
    points = list(points) if points is not None else expand_points(base, factors)
    reps = base.replications if replications is None else replications
    root = base.seed if seed is None else seed
    runs = replicate_many([p.scenario for p in points], reps, root, workers, executor, progress,
                          store)
    chosen = tuple(kpis) if kpis else tuple(dict.fromkeys([*base.targets, "total_cost"]))
    table, summary, overview = _tables(points, runs, [f.key for f in factors])
    return SweepResult(name or f"{base.name}-sweep", base, factors, points, runs, root, reps,
                       chosen, table, summary, overview, cheapest_feasible(overview))


def _tables(points: Sequence[Point], runs: Sequence[RunResult], keys: Sequence[str]
            ) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    """sweep.csv, sweep_summary.csv and the one-row-per-point overview."""
    tables, summaries, overview = [], [], []
    for point, run in zip(points, runs, strict=True):
        front = {"point": point.id, **{k: _cell(point.values[k]) for k in keys}}
        ok = meets_targets(run.summary, run.scenario.targets)
        judged = run.targets
        tables.append(run.replications.assign(**front)[[*front, *run.replications.columns]])
        summary = run.summary.assign(
            **front, meets_targets=ok,
            target=[judged[k].target if k in judged else math.nan for k in run.summary["kpi"]],
            target_status=[judged[k].status if k in judged else "" for k in run.summary["kpi"]])
        summaries.append(summary[[*front, *SUMMARY_COLUMNS, "std", "half_width", "target",
                                  "target_status"]])
        cost = run.summary.set_index("kpi")["mean"].get("total_cost", math.nan)
        overview.append({**front, "total_cost": float(cost), "meets_targets": ok,
                         "targets_not_met": ";".join(k for k, j in judged.items()
                                                     if j.status != "met")})
    return (pd.concat(tables, ignore_index=True), pd.concat(summaries, ignore_index=True),
            pd.DataFrame(overview))


@dataclass(frozen=True)
class MissedTarget:
    """A target no point of a sweep meets with confidence.

    Attributes:
        kpi: The target's KPI.
        moves: Whether the swept factors move it: some point's mean differs from the first
            point's beyond noise (paired over the shared seeds, 95% jointly over the points).
        lowest: The lowest mean over the points.
        highest: The highest mean over the points.
    """

    kpi: str
    moves: bool
    lowest: float
    highest: float


def missed_everywhere(result: SweepResult) -> list[MissedTarget]:
    """The targets that no point meets with confidence, in the scenario's order of targets.

    A target the factors cannot move is the commonest reason why "no point meets every target":
    widening the range will not help, another lever will. Each point is compared with the first
    on the same seeds (common random numbers: replication k of every point shares its random
    numbers), with a Bonferroni-adjusted interval so that "within noise" holds for the whole
    sweep at 95%.
    """
    if not result.runs:
        return []
    first = result.runs[0]
    others = result.runs[1:]
    confidence = 1.0 - 0.05 / max(len(others), 1)
    out = []
    for kpi in first.targets:
        if any(run.targets[kpi].status == "met" for run in result.runs if kpi in run.targets):
            continue
        base = first.replications.sort_values("rep")[kpi].to_numpy(float)
        moves = False
        for run in others:
            other = run.replications.sort_values("rep")[kpi].to_numpy(float)
            if len(other) == len(base) and paired_difference(base, other, confidence).significant:
                moves = True
                break
        means = [float(run.summary.set_index("kpi")["mean"].get(kpi, math.nan))
                 for run in result.runs]
        finite = [m for m in means if math.isfinite(m)]
        out.append(MissedTarget(kpi, moves, min(finite, default=math.nan),
                                max(finite, default=math.nan)))
    return out


def moved_most(result: SweepResult, kpis: Sequence[str]) -> str | None:
    """Of ``kpis``, the one the swept factors move most: the largest paired t statistic of the
    difference between the last point and the first (same seeds). What a chart of cost against
    service should put on its axis: the technicians' on-time rate, not the call center's
    service level, which no number of technicians moves. None without points or KPIs."""
    if len(result.runs) < 2 or not kpis:
        return kpis[0] if kpis else None
    first, last = (run.replications.sort_values("rep") for run in (result.runs[0],
                                                                    result.runs[-1]))
    best, score = None, -1.0
    for kpi in kpis:
        if kpi not in first or kpi not in last or len(first) != len(last):
            continue
        d = paired_difference(first[kpi].to_numpy(float), last[kpi].to_numpy(float))
        half = (d.diff_ci_high - d.diff_ci_low) / 2.0
        if not math.isfinite(d.diff):
            continue
        t = abs(d.diff) / half if half > 0 else (math.inf if d.diff != 0 else 0.0)
        if t > score:
            best, score = kpi, t
    return best if best is not None else kpis[0]


def experiment_yaml(result: SweepResult) -> str:
    """The resolved experiment: explicit values, replications and seed; base is ``base.yaml``.

    Args:
        result: A finished sweep.
    """
    doc = {"name": result.name, "base": "base.yaml",
           "factors": [{"key": f.key, "values": [json_safe(v) for v in f.grid()]}
                       for f in result.factors],
           "replications": result.replications, "seed": result.seed, "kpis": list(result.kpis)}
    return (f"# Resolved experiment `{result.name}`: rerun it with `aftersales-sim sweep "
            "experiment.yaml` in this folder.\n" + to_yaml(doc))
