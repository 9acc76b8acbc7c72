"""Stress tests: named shocks played on a base scenario and run under common random numbers.

This module owns the stress-file format (`StressFile`, `load_stress`), running the baseline and
every shocked scenario in one `replicate_many` call (`run_stress`) and the resolved stress file.
The shock models and how a shock becomes a shocked scenario (`apply_shock`) are
`sim.experiments.stress.shocks`; the judging rules live in `sim.experiments.stress.analysis`, the
results folder in `sim.output.experiments`, the charts in `sim.output.charts.stress`, the command
in `sim.cli.stress`. A stress file is read with the loader's
public `read_text_file` and `load_document`: the same YAML safety rules and
`FILE:LINE: key.path: message` errors as scenario files.

A shock is a window of days and parameters, appended to the base scenario, never edited into it.
Defaults (also printed by `aftersales-sim stress --help`): every window starts at the middle of
the horizon, floor(warmup_days + horizon_days / 2), unless `start_day` is given; the other
defaults are the shock models' fields (and `sim.cli.stress.shock_defaults_help`).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Annotated, Any

import pandas as pd
from pydantic import Field, field_validator

from sim.experiments.executors import Executor
from sim.experiments.replicate import Progress, RunResult, replicate_many
from sim.experiments.stress.analysis import (
    BASELINE,
    JudgedTarget,
    daily_bands,
    judged_targets,
    limit_direction,
    rank_shocks,
    summarize_stress,
)
from sim.experiments.stress.series import judged_kpis, stress_daily_table
from sim.experiments.stress.shocks import (
    AnyShock,
    Shock,
    apply_shock,
    resolve_shock,
    shock_problems,
)
from sim.scenario.base import Float, Seed, StrictModel, check_unique
from sim.scenario.format import KpiName, Scenario, folder_name
from sim.scenario.loader import load_scenario, read_text_file
from sim.scenario.problems import Problem, ScenarioError
from sim.scenario.yaml_io import YamlDocument, load_document, parse_yaml, to_yaml

# --- the stress file -------------------------------------------------------------------------


class StressFile(StrictModel):
    """A stress file: a base scenario and the named shocks to play on it."""

    name: str | None = Field(None, description="Name of the stress test; default the file name.")
    description: str = Field("", description="Free text.")
    base: str = Field(min_length=1, description="Base scenario file, relative to this file.")
    replications: Annotated[int, Field(ge=1, le=10000, strict=True)] | None = Field(
        None, description="Replications per scenario; default the base scenario's.")
    seed: Seed | None = Field(None, description="Root seed; default the base scenario's.")
    targets: dict[KpiName, Float] = Field(
        default_factory=dict, description="KPI targets added to (or replacing) the base's.")
    daily_limits: dict[str, Float] = Field(
        default_factory=dict,
        description="Limits on daily series without a KPI: open_work_orders, "
                    "jobs_waiting_parts, peak_queue (at most) or on_hand_<sku> (at least).")
    shocks: tuple[Shock, ...] = Field(min_length=1, description="The shocks, each run alone.")

    @field_validator("name")
    @classmethod
    def _folder_name(cls, v: str | None) -> str | None:
        return v if v is None else folder_name(v, "stress test")

    @field_validator("daily_limits")
    @classmethod
    def _limit_columns(cls, v: dict[str, float]) -> dict[str, float]:
        for column in v:
            if limit_direction(column) is None:
                raise ValueError(f"no daily limit on `{column}`; allowed: open_work_orders, "
                                 "jobs_waiting_parts, peak_queue, on_hand_<sku> (KPIs such as "
                                 "service_level or repair_on_time_rate go under `targets`)")
        return v

    @field_validator("shocks")
    @classmethod
    def _unique_names(cls, v: tuple[AnyShock, ...]) -> tuple[AnyShock, ...]:
        check_unique(tuple(s.name for s in v), "shock name(s)")
        return v


@dataclass(frozen=True)
class StressPlan:
    """A stress test ready to run: the base (stress-file targets merged in) and its shocks."""

    name: str
    base: Scenario
    shocks: tuple[AnyShock, ...]
    replications: int | None = None
    seed: int | None = None
    daily_limits: dict[str, float] = field(default_factory=dict)
    description: str = ""


def _parse(path: Path) -> YamlDocument:
    # parse_yaml has no size cap of its own: check_size is what keeps a huge file out.
    return parse_yaml(read_text_file(path, check_size=True), str(path))


def is_stress_file(path: str | Path) -> bool:
    """Tell a stress file (a mapping with `shocks`) from a scenario file.

    Raises:
        ScenarioError: If the file cannot be read or is not YAML.
    """
    data = _parse(Path(path)).data
    return isinstance(data, dict) and "shocks" in data


def load_stress(path: str | Path, overrides: Sequence[str] = ()) -> StressPlan:
    """Read and validate a stress file, its base scenario and each shock against that base.

    Args:
        path: The stress file (YAML).
        overrides: `dotted.path=value` settings for the base scenario (the CLI's `--set`).

    Returns:
        The plan, every shock resolved (start_day and crews filled in).

    Raises:
        ScenarioError: With `FILE:LINE: key.path: message` per problem, in the stress file or
            in its base scenario.
    """
    path = Path(path)
    source = str(path)
    text = read_text_file(path, check_size=True)
    spec, document = load_document(text, StressFile, source, not_mapping=(
        "a stress file is a mapping with `base` and `shocks`"))
    base_path = path.parent / spec.base
    if not base_path.is_file():
        raise ScenarioError([document.problem(["base"], f"no such scenario file: {base_path}")])
    base = load_scenario(base_path, overrides)
    if spec.targets:
        base = Scenario.model_validate(
            base.model_dump(mode="json") | {"targets": base.targets | spec.targets})
    problems = []
    shocks = []
    for i, shock in enumerate(spec.shocks):
        resolved = resolve_shock(base, shock)
        shocks.append(resolved)
        for key, message in shock_problems(base, resolved):
            problems.append(document.problem(["shocks", i, key], message))
    known = [s.sku for s in base.parts.skus] if base.parts is not None else []
    for column in spec.daily_limits:
        sku = column.removeprefix("on_hand_")
        if sku != column and sku not in known:
            problems.append(document.problem(["daily_limits", column], f"unknown SKU {sku}; the "
                                             f"base scenario has "
                                             f"{', '.join(known) or 'no parts section'}"))
    if problems:
        raise ScenarioError(problems)
    return StressPlan(spec.name or path.stem, base, tuple(shocks), spec.replications, spec.seed,
                      dict(spec.daily_limits), spec.description)


# --- running ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class StressResult:
    """A stress run: the scenarios, every run's tables, and the judged tables.

    `daily` and `replications` hold every run with a `shock` column (`baseline` for the base);
    `summary` and `ranking` are the tables of `sim.experiments.stress.analysis`; `bands` the daily
    means and 95% bands of every judged or charted series.
    """

    base: Scenario
    shocks: tuple[AnyShock, ...]
    scenarios: dict[str, Scenario]
    runs: dict[str, RunResult]
    seed: int
    replications: int
    targets: list[JudgedTarget]
    daily: pd.DataFrame
    replication_table: pd.DataFrame
    summary: pd.DataFrame
    ranking: pd.DataFrame
    bands: pd.DataFrame
    daily_limits: dict[str, float] = field(default_factory=dict)
    name: str = "stress"


def chart_series(base: Scenario, targets: Sequence[JudgedTarget]) -> list[str]:
    """Daily series charted: every daily-judged target, and the backlog when there are repairs."""
    series = [t.name for t in targets if t.daily]
    if base.field_service is not None and "open_work_orders" not in series:
        series.append("open_work_orders")
    return series


def run_stress(base: Scenario, shocks: Sequence[AnyShock], replications: int | None = None,
               seed: int | None = None, executor: Executor | None = None,
               progress: Progress | None = None, *, daily_limits: Mapping[str, float] | None = None,
               name: str = "stress") -> StressResult:
    """Run the base and every shocked scenario with the same seeds, then judge the targets.

    Args:
        base: The base scenario; its targets are what is judged.
        shocks: The shocks, each applied alone to the base.
        replications: Replications per scenario (default: the base's).
        seed: Root seed (default: the base's); every scenario gets the same replication seeds.
        executor: Where replications run (default: a process pool over every core).
        progress: Called with (done, total) replications.
        daily_limits: Limits on daily-only series, e.g. {"open_work_orders": 400}.
        name: Name of the stress test, for reports.

    Returns:
        The StressResult.

    Raises:
        ScenarioError: For a shock that does not fit the base, or two shocks with one name.
    """
    resolved = tuple(resolve_shock(base, s) for s in shocks)
    names = [s.name for s in resolved]
    if len(set(names)) != len(names):
        raise ScenarioError([Problem("shocks", None, "", f"shock names must be unique: {names}")])
    scenarios = {s.name: apply_shock(base, s) for s in resolved}
    runs = replicate_many([base, *scenarios.values()], replications, seed, executor=executor,
                          progress=progress)
    by_name = dict(zip([BASELINE, *names], runs, strict=True))
    return judge_stress(base, resolved, scenarios, by_name, daily_limits or {}, name)


def judge_stress(base: Scenario, shocks: Sequence[AnyShock], scenarios: dict[str, Scenario],
                 runs: dict[str, RunResult], daily_limits: Mapping[str, float],
                 name: str = "stress") -> StressResult:
    """Judge runs already made: the base's (``runs[BASELINE]``) and one per shock, by name.

    ``run_stress`` calls it on the runs it makes; a test calls it on a hand-written scenario of
    the same shocks run with the same seeds, which must break the same way.

    Args:
        base: The base scenario; its targets are what is judged.
        shocks: The resolved shocks, in run order (their windows and types).
        scenarios: Shock name -> the shocked scenario.
        runs: ``baseline`` and each shock name -> its run, all with the same seeds.
        daily_limits: Limits on daily-only series.
        name: Name of the stress test.
    """
    daily = stress_daily_table(runs, judged_kpis(base.targets))
    reps = pd.concat([r.replications.assign(shock=n) for n, r in runs.items()],
                     ignore_index=True)
    reps = reps[["shock", *[c for c in reps.columns if c != "shock"]]]
    limits = dict(daily_limits)
    targets = judged_targets(base.targets, limits)
    types = {s.name: s.type for s in shocks}
    summary = summarize_stress(daily, reps, targets, {s.name: s.window() for s in shocks},
                               types)
    first = runs[BASELINE]
    return StressResult(
        base=base, shocks=tuple(shocks), scenarios=scenarios, runs=runs, seed=first.seed,
        replications=len(first.replications), targets=targets, daily=daily,
        replication_table=reps, summary=summary, ranking=rank_shocks(summary, reps, types),
        bands=daily_bands(daily, chart_series(base, targets)), daily_limits=limits, name=name)


# --- the results folder ----------------------------------------------------------------------


def _type_first(shock: dict[str, Any]) -> dict[str, Any]:
    return {"name": shock["name"], "type": shock["type"]} | shock


def stress_to_yaml(result: StressResult) -> str:
    """The resolved stress file: rerunnable from the results folder, every default filled in."""
    document = {"name": result.name, "base": f"scenarios/{BASELINE}.yaml",
                "replications": result.replications, "seed": result.seed,
                "daily_limits": result.daily_limits,
                "shocks": [_type_first(s.model_dump(mode="json")) for s in result.shocks]}
    return (f"# Resolved stress test `{result.name}`: targets are the base scenario's "
            f"(scenarios/{BASELINE}.yaml).\n" + to_yaml(document))
