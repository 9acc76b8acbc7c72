"""Stress tests: named shocks played on a base scenario and run under common random numbers.

This module owns the stress-file format (the shock models and `load_stress`), how a shock becomes
a shocked scenario (`apply_shock`), running the baseline and every shocked scenario in one
`replicate_many` call (`run_stress`) and the stress results folder (`write_stress`). The judging
rules live in `sim.stress_analysis`, the charts in `sim.charts_stress`, the command in
`sim.cli_stress`.

A shock is a window of days and parameters; applying it appends to the scenario, never edits it:
`demand_surge` -> a `demand.events` entry; `defect_wave` -> a repair demand event plus a
`part_need` disruption; `supplier_delay`, `absence` -> the disruption of that type;
`system_outage` -> a `system_outage` disruption lasting `hours` / 24 days. Defaults (also printed
by `aftersales-sim stress --help`): every window starts at the middle of the horizon,
floor(warmup_days + horizon_days / 2), unless `start_day` is given; the other defaults are the
model fields below (and `sim.cli_stress.shock_defaults_help`).
"""

from __future__ import annotations

import io
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Annotated, Any, Literal

import pandas as pd
from matplotlib.figure import Figure
from pydantic import BeforeValidator, Field, TypeAdapter, ValidationError, field_validator
from ruamel.yaml import YAML

from sim import charts_stress
from sim.catalog import KPI_BY_NAME
from sim.executors import Executor
from sim.experiments import Progress, RunResult, replicate_many
from sim.loader import (
    MAX_BYTES,
    Problem,
    ScenarioError,
    _Fail,
    _line_of,
    _problems,
    _read_yaml,
    _represent_none,
    _yaml_tree,
    load_scenario,
    scenario_to_yaml,
)
from sim.results import ResultsFolder, manifest
from sim.scenario import CONTACT_TYPES, NAME_PATTERN, ContactType, KpiName, Scenario
from sim.scenario_disruptions import CrewName
from sim.scenario_parts import (
    Float,
    NonNegFloat,
    NonNegInt,
    PosFloat,
    Probability,
    StrictModel,
    check_tag,
    check_unique,
)
from sim.stress_analysis import (
    BASELINE,
    DAILY_KPIS,
    JudgedTarget,
    daily_bands,
    judged_targets,
    limit_direction,
    rank_shocks,
    summarize_stress,
    with_daily_kpis,
)

SHOCK_TYPES = ("demand_surge", "defect_wave", "supplier_delay", "absence", "system_outage")
MAX_SHOCK_NAME = 40
DEFAULT_ABSENT_CREWS: tuple[CrewName, ...] = ("agents", "technicians")
Multiplier = Annotated[float, Field(ge=1, strict=True)]


def _comma_list(value: Any) -> Any:
    # `skus: compressor` or `--shock x:skus=a,b` mean a list; YAML reads them as one string.
    if isinstance(value, str):
        return tuple(part.strip() for part in value.split(",") if part.strip())
    return value


# --- shocks ----------------------------------------------------------------------------------


class _Shock(StrictModel):
    name: str = Field(description="Shock name: letters, digits, `_`, `.`, `-` (at most "
                                  f"{MAX_SHOCK_NAME}); names the results and `--shock NAME`.")
    start_day: NonNegFloat | None = Field(
        None, description="First day of the window, counted from day 0 (the start of the "
                          "warm-up); absent = the middle of the horizon, "
                          "floor(warmup_days + horizon_days / 2).")

    @field_validator("name")
    @classmethod
    def _file_name(cls, v: str) -> str:
        if not (len(v) <= MAX_SHOCK_NAME and NAME_PATTERN.match(v)) or v == BASELINE:
            raise ValueError(f"`{v}` cannot be a shock name: use 1-{MAX_SHOCK_NAME} letters, "
                             "digits, `_`, `.` or `-`, starting with a letter or digit, and not "
                             f"`{BASELINE}` (it names files)")
        return v

    def _start(self) -> float:
        if self.start_day is None:
            raise ValueError(f"shock `{self.name}` has no start_day yet; use resolve_shock")
        return self.start_day

    def window(self) -> tuple[float, float]:
        """(start day, end day) of the window; the shock must be resolved (`resolve_shock`)."""
        raise NotImplementedError

    def _span(self) -> dict[str, Any]:
        start, end = self.window()
        return {"name": self.name, "start_day": start, "days": end - start}

    def demand_events(self) -> list[dict[str, Any]]:
        """Entries this shock appends to `demand.events`."""
        return []

    def disruptions(self) -> list[dict[str, Any]]:
        """Entries this shock appends to `disruptions`."""
        return []


class _DaysShock(_Shock):
    days: PosFloat = Field(14.0, description="Length of the window in days.")

    def window(self) -> tuple[float, float]:
        """(start day, end day) of the window; the shock must be resolved (`resolve_shock`)."""
        return self._start(), self._start() + self.days


class DemandSurgeShock(_DaysShock):
    """Market risk: more contacts of the listed types for a while."""

    type: Literal["demand_surge"]
    multiplier: PosFloat = Field(2.0, description="Factor on the arrival rate (> 0).")
    types: Annotated[tuple[ContactType, ...], BeforeValidator(_comma_list)] = Field(
        CONTACT_TYPES, min_length=1, description="Contact types hit; default all.")

    def demand_events(self) -> list[dict[str, Any]]:
        """A demand event with the surge's multiplier and types."""
        return [self._span() | {"multiplier": self.multiplier, "types": list(self.types)}]


class DefectWaveShock(_DaysShock):
    """Quality risk: a faulty product brings more repair calls and needs more of some parts."""

    type: Literal["defect_wave"]
    repair_multiplier: Multiplier = Field(1.5, description="Factor on repair calls (>= 1).")
    part_need_multiplier: Multiplier = Field(
        2.0, description="Factor on parts.need_probability and on the listed SKUs' share (>= 1).")
    skus: Annotated[tuple[str, ...], BeforeValidator(_comma_list)] = Field(
        (), description="SKUs of the faulty product; empty = the need rises for every part.")

    def demand_events(self) -> list[dict[str, Any]]:
        """A repair demand event."""
        return [self._span() | {"multiplier": self.repair_multiplier, "types": ["repair"]}]

    def disruptions(self) -> list[dict[str, Any]]:
        """A `part_need` disruption over the same window."""
        return [self._span() | {"type": "part_need", "multiplier": self.part_need_multiplier,
                                "skus": list(self.skus)}]


class SupplierDelayShock(_DaysShock):
    """Supply risk: orders placed in the window take longer to arrive."""

    type: Literal["supplier_delay"]
    lead_time_multiplier: Multiplier = Field(2.0, description="Factor on lead times (>= 1).")
    skus: Annotated[tuple[str, ...], BeforeValidator(_comma_list)] = Field(
        (), description="SKUs hit; empty = every SKU.")

    def disruptions(self) -> list[dict[str, Any]]:
        """A `supplier_delay` disruption."""
        return [self._span() | {"type": "supplier_delay",
                                "lead_time_multiplier": self.lead_time_multiplier,
                                "skus": list(self.skus)}]


class AbsenceShock(_DaysShock):
    """Personnel risk: a share of the listed crews is off (illness, strike, attrition)."""

    type: Literal["absence"]
    days: PosFloat = Field(7.0, description="Length of the window in days.")
    share: Probability = Field(0.2, description="Share of each shift that is off (0-1).")
    crews: Annotated[tuple[CrewName, ...] | None, BeforeValidator(_comma_list)] = Field(
        None, min_length=1, description="Crews hit; absent = agents and technicians (those of "
                                        "them the scenario has).")

    def disruptions(self) -> list[dict[str, Any]]:
        """An `absence` disruption."""
        return [self._span() | {"type": "absence", "share": self.share,
                                "crews": list(self.crews or DEFAULT_ABSENT_CREWS)}]


class SystemOutageShock(_Shock):
    """Technical risk: the phone system is down, no call can be answered."""

    type: Literal["system_outage"]
    start_hour: Annotated[float, Field(ge=0, lt=24, strict=True)] = Field(
        10.0, description="Clock time the outage starts on start_day, in hours (0-24).")
    hours: Annotated[float, Field(gt=0, le=24 * 366, strict=True)] = Field(
        4.0, description="Length of the outage in hours.")

    def window(self) -> tuple[float, float]:
        """(start, end) in days: start_day plus start_hour, for `hours`."""
        start = self._start() + self.start_hour / 24.0
        return start, start + self.hours / 24.0

    def disruptions(self) -> list[dict[str, Any]]:
        """A `system_outage` disruption of hours / 24 days."""
        return [self._span() | {"type": "system_outage"}]


AnyShock = DemandSurgeShock | DefectWaveShock | SupplierDelayShock | AbsenceShock \
    | SystemOutageShock
SHOCK_MODELS: tuple[type[AnyShock], ...] = (DemandSurgeShock, DefectWaveShock, SupplierDelayShock,
                                           AbsenceShock, SystemOutageShock)


def _to_shock(value: Any) -> Any:
    if isinstance(value, dict):
        check_tag(value, "type", SHOCK_TYPES, "a shock")
    return value


Shock = Annotated[AnyShock, Field(discriminator="type"), BeforeValidator(_to_shock)]
"""One named shock, chosen by `type`."""
SHOCK_ADAPTER: TypeAdapter[AnyShock] = TypeAdapter(Shock)


# --- shocks against a base scenario ----------------------------------------------------------


def crews_of(base: Scenario) -> tuple[str, ...]:
    """The crews a scenario staffs (an absence can only hit these)."""
    fs = base.field_service
    present = {"agents": True, "specialists": base.call_center.escalation is not None,
               "complaint_handlers": base.complaints is not None,
               "technicians": fs is not None,
               "depot_technicians": fs is not None and fs.depot is not None}
    return tuple(name for name, here in present.items() if here)


def resolve_shock(base: Scenario, shock: AnyShock) -> AnyShock:
    """Fill the defaults that depend on the base scenario: start_day and absent crews.

    Args:
        base: The base scenario.
        shock: A shock, resolved or not.

    Returns:
        A new, validated shock with every field set.
    """
    data = shock.model_dump()
    if shock.start_day is None:
        data["start_day"] = float(math.floor(base.warmup_days + base.horizon_days / 2))
    if isinstance(shock, AbsenceShock) and shock.crews is None:
        data["crews"] = [c for c in DEFAULT_ABSENT_CREWS if c in crews_of(base)]
    return SHOCK_ADAPTER.validate_python(data)


def shock_problems(base: Scenario, shock: AnyShock) -> list[tuple[str, str]]:
    """What makes a resolved shock meaningless for this base: (key, message) pairs."""
    problems = []
    known = [s.sku for s in base.parts.skus] if base.parts is not None else []
    unknown = [k for k in getattr(shock, "skus", ()) if k not in known]
    if unknown:
        problems.append(("skus", f"unknown SKU {', '.join(unknown)}; the base scenario has "
                                 f"{', '.join(known) or 'no parts section'}"))
    missing = [c for c in getattr(shock, "crews", None) or () if c not in crews_of(base)]
    if missing:
        problems.append(("crews", f"the base scenario has no {', '.join(missing)}; its crews "
                                  f"are {', '.join(crews_of(base))}"))
    start, _ = shock.window()
    if start >= base.run_days:
        problems.append(("start_day", f"the window starts on day {start:g}, after the run ends "
                                      f"(day {base.run_days:g} = warm-up + horizon)"))
    if isinstance(shock, DefectWaveShock) and base.demand.share("repair") <= 0:
        problems.append(("type", "the base scenario has no repair calls (repair share 0 in "
                                 "demand.mix), so a defect wave changes nothing"))
    if isinstance(shock, SupplierDelayShock) and base.parts is None:
        problems.append(("type", "the base scenario has no parts section, so a supplier delay "
                                 "changes nothing"))
    return problems


def applicable_types(base: Scenario) -> tuple[str, ...]:
    """The shock types that change something in this base (all but those it lacks parts for)."""
    skip = {"defect_wave": base.demand.share("repair") <= 0, "supplier_delay": base.parts is None}
    return tuple(t for t in SHOCK_TYPES if not skip.get(t, False))


def apply_shock(base: Scenario, shock: AnyShock) -> Scenario:
    """The base scenario with the shock added, as a new validated scenario.

    Args:
        base: The base scenario (left as it is).
        shock: The shock; defaults that depend on the base are resolved here.

    Returns:
        A scenario named `<base>-<shock>` with the shock's demand events and disruptions
        appended to the base's own.

    Raises:
        ScenarioError: If the shock names SKUs or crews the base lacks, or starts after the run.
    """
    source = f"shock `{shock.name}`"
    shock = _fitting(base, resolve_shock(base, shock), source)
    data = base.model_dump(mode="json")
    data["name"] = f"{base.name[: 63 - len(shock.name)]}-{shock.name}"
    start, end = shock.window()
    what = f"stress shock `{shock.name}` ({shock.type}, days {start:g} to {end:g})"
    data["description"] = f"{base.description}; {what}" if base.description else what
    data["demand"]["events"] = [*data["demand"]["events"], *shock.demand_events()]
    data["disruptions"] = [*data["disruptions"], *shock.disruptions()]
    try:
        return Scenario.model_validate(data)
    except ValidationError as exc:
        raise ScenarioError(_problems(exc, data, None, source, [])) from None


def shock_from_mapping(data: Mapping[str, Any], base: Scenario, source: str) -> AnyShock:
    """Validate a shock given as plain data (the command line's `--shock`) against a base.

    Args:
        data: Shock keys, e.g. {"type": "demand_surge", "name": "surge", "multiplier": 3}.
        base: The base scenario.
        source: Where the data came from, for messages.

    Returns:
        The resolved shock.

    Raises:
        ScenarioError: One problem per invalid key.
    """
    plain = dict(data)
    try:
        shock = resolve_shock(base, SHOCK_ADAPTER.validate_python(plain))
    except ValidationError as exc:
        raise ScenarioError(_problems(exc, plain, None, source, [])) from None
    return _fitting(base, shock, source)


def _fitting(base: Scenario, shock: AnyShock, source: str) -> AnyShock:
    problems = shock_problems(base, shock)
    if problems:
        raise ScenarioError([Problem(source, None, key, msg) for key, msg in problems])
    return shock


# --- the stress file -------------------------------------------------------------------------


class StressFile(StrictModel):
    """A stress file: a base scenario and the named shocks to play on it."""

    name: str | None = Field(None, description="Name of the stress test; default the file name.")
    description: str = Field("", description="Free text.")
    base: str = Field(min_length=1, description="Base scenario file, relative to this file.")
    replications: Annotated[int, Field(ge=1, le=10000, strict=True)] | None = Field(
        None, description="Replications per scenario; default the base scenario's.")
    seed: NonNegInt | None = Field(None, description="Root seed; default the base scenario's.")
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
        if v is not None and not (len(v) <= 64 and NAME_PATTERN.match(v)):
            raise ValueError(f"`{v}` cannot be a stress test name: use 1-64 letters, digits, "
                             "`_`, `.` or `-`, starting with a letter or digit (it names the "
                             "results folder)")
        return v

    @field_validator("daily_limits")
    @classmethod
    def _limit_columns(cls, v: dict[str, float]) -> dict[str, float]:
        for column in v:
            if limit_direction(column) is None:
                raise ValueError(f"no daily limit on `{column}`; allowed: open_work_orders, "
                                 "jobs_waiting_parts, peak_queue, on_hand_<sku> (KPIs such as "
                                 f"{', '.join(DAILY_KPIS)} go under `targets`)")
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


def _read_text(path: Path) -> str:
    source = str(path)
    try:
        if path.stat().st_size > MAX_BYTES:
            raise ScenarioError([Problem(source, None, "", f"larger than {MAX_BYTES:,} bytes")])
        return path.read_bytes()[: MAX_BYTES + 1].decode("utf-8-sig")
    except FileNotFoundError:
        raise ScenarioError([Problem(source, None, "", "no such file")]) from None
    except (OSError, UnicodeDecodeError) as err:
        raise ScenarioError([Problem(source, None, "", f"cannot read the file: {err}")]) from None


def _parse(path: Path) -> tuple[Any, Any]:
    try:
        return _read_yaml(_read_text(path))
    except _Fail as fail:
        raise ScenarioError([Problem(str(path), fail.line, fail.path, fail.message)]) from None


def is_stress_file(path: str | Path) -> bool:
    """Tell a stress file (a mapping with `shocks`) from a scenario file.

    Raises:
        ScenarioError: If the file cannot be read or is not YAML.
    """
    data, _ = _parse(Path(path))
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
    data, tree = _parse(path)
    if not isinstance(data, dict):
        raise ScenarioError([Problem(source, None, "", "a stress file is a mapping with `base` "
                                                        "and `shocks`")])
    try:
        spec = StressFile.model_validate(data)
    except ValidationError as exc:
        raise ScenarioError(_problems(exc, data, tree, source, [])) from None
    base_path = path.parent / spec.base
    if not base_path.is_file():
        raise ScenarioError([Problem(source, _line_of(tree, ["base"]), "base",
                                     f"no such scenario file: {base_path}")])
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
            where: list[str | int] = ["shocks", i, key]
            problems.append(Problem(source, _line_of(tree, where), f"shocks.{i}.{key}", message))
    known = [s.sku for s in base.parts.skus] if base.parts is not None else []
    for column in spec.daily_limits:
        sku = column.removeprefix("on_hand_")
        if sku != column and sku not in known:
            problems.append(Problem(source, _line_of(tree, ["daily_limits", column]),
                                    f"daily_limits.{column}", f"unknown SKU {sku}; the base "
                                    f"scenario has {', '.join(known) or 'no parts section'}"))
    if problems:
        raise ScenarioError(problems)
    return StressPlan(spec.name or path.stem, base, tuple(shocks), spec.replications, spec.seed,
                      dict(spec.daily_limits), spec.description)


# --- running ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class StressResult:
    """A stress run: the scenarios, every run's tables, and the judged tables.

    `daily` and `replications` hold every run with a `shock` column (`baseline` for the base);
    `summary` and `ranking` are the tables of `sim.stress_analysis`; `bands` the daily means
    and 95% bands of every judged or charted series.
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
    daily = with_daily_kpis(pd.concat(
        [r.daily.assign(shock=n) for n, r in by_name.items()], ignore_index=True))
    daily = daily[["shock", *[c for c in daily.columns if c != "shock"]]]
    reps = pd.concat([r.replications.assign(shock=n) for n, r in by_name.items()],
                     ignore_index=True)
    reps = reps[["shock", *[c for c in reps.columns if c != "shock"]]]
    limits = dict(daily_limits or {})
    targets = judged_targets(base.targets, limits)
    types = {s.name: s.type for s in resolved}
    summary = summarize_stress(daily, reps, targets, {s.name: s.window() for s in resolved},
                               types)
    return StressResult(
        base=base, shocks=resolved, scenarios=scenarios, runs=by_name, seed=runs[0].seed,
        replications=len(runs[0].replications), targets=targets, daily=daily,
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
    yaml = YAML(typ="rt")
    yaml.width = 100
    yaml.indent(mapping=2, sequence=4, offset=2)
    yaml.representer.add_representer(type(None), _represent_none)
    buf = io.StringIO()
    yaml.dump(_yaml_tree(document), buf)
    return (f"# Resolved stress test `{result.name}`: targets are the base scenario's "
            f"(scenarios/{BASELINE}.yaml).\n" + buf.getvalue())


_UNITS = {"open_work_orders": "work orders", "jobs_waiting_parts": "jobs",
          "peak_queue": "callers"}


def stress_figures(result: StressResult) -> dict[str, Figure]:
    """The charts of a stress folder by file stem: one per daily series, and the damage."""
    windows = {s.name: s.window() for s in result.shocks}
    judged = {t.name: t for t in result.targets if t.daily}
    figures = {}
    for series in chart_series(result.base, result.targets):
        info = KPI_BY_NAME.get(series)
        unit = info.unit if info is not None else _UNITS.get(series, "units")
        target = judged.get(series)
        figures[f"stress_{series}"] = charts_stress.stress_daily(
            result.daily, series, f"{series} ({unit})", windows, result.base.name,
            target=target.value if target is not None else None,
            target_label="Target" if target is None or target.source == "target" else "Limit",
            share=unit == "share")
    figures["stress_damage"] = charts_stress.damage_by_target(
        result.summary, [str(s) for s in result.ranking["shock"]], result.base.name)
    return figures


def write_stress(result: StressResult, out: Path, command: list[str], started: datetime,
                 ended: datetime | None = None) -> Path:
    """Write the stress results folder; `manifest.json` last, the folder appears whole.

    Files: stress_summary.csv, stress_ranking.csv, daily.csv (shock, rep, day, columns),
    daily_bands.csv, replications.csv (shock, rep, seed, KPIs), stress.yaml (resolved),
    scenarios/baseline.yaml and scenarios/<shock>.yaml (resolved), charts/.

    Args:
        result: The stress run.
        out: The folder.
        command: The argv that produced the run.
        started: Start time of the run.
        ended: End time (default: now).

    Returns:
        The folder.
    """
    with ResultsFolder(out) as folder:
        folder.write_csv("stress_summary.csv", result.summary)
        folder.write_csv("stress_ranking.csv", result.ranking)
        folder.write_csv("daily.csv", result.daily)
        folder.write_csv("daily_bands.csv", result.bands)
        folder.write_csv("replications.csv", result.replication_table)
        folder.write_text("stress.yaml", stress_to_yaml(result))
        folder.write_text(f"scenarios/{BASELINE}.yaml", scenario_to_yaml(result.base))
        for name, scenario in result.scenarios.items():
            folder.write_text(f"scenarios/{name}.yaml", scenario_to_yaml(scenario))
        for stem, fig in stress_figures(result).items():
            folder.write_figure(stem, fig)
        extra = {"stress": result.name, "base_scenario": result.base.name,
                 "shocks": [s.name for s in result.shocks]}
        folder.finish(manifest(result.seed, result.replications, command, started,
                               ended or datetime.now().astimezone(), extra))
    return out
