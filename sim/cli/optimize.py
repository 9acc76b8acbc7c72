"""The ``aftersales-sim optimize`` command: arguments or an optimize file in, a decision folder out.

This module owns the command's options, the optimize file format (a base scenario, the paths to
decide, bounds and replication counts) and the folder it writes: ``decision.json``,
``best.yaml`` (the chosen scenario, a valid scenario file), ``evaluations.csv``,
``summary.csv`` (the confirmation run), ``charts/cost_frontier`` and ``manifest.json`` last.
The search itself is ``sim.experiments.optimize.solve``.

Exit codes: 0 when a decision meets every target, 1 when none was found within the bounds and
the budget (the folder then holds the closest one), 2 for bad input.
"""

from __future__ import annotations

import argparse
import sys
from datetime import datetime
from pathlib import Path
from typing import Any, Literal

import pandas as pd
from pydantic import Field, ValidationError
from ruamel.yaml import YAML
from ruamel.yaml.error import YAMLError

from sim.cli.common import (
    add_run_options,
    bad_input,
    check_output,
    check_run_options,
    executor_for,
    fmt,
    kpi_table,
    load_for_run,
)
from sim.experiments.optimize.evaluate import Evaluation
from sim.experiments.optimize.prices import price_targets
from sim.experiments.optimize.solve import (
    MAX_COST_TOLERANCE,
    MIN_REPLICATIONS,
    OptimizeResult,
    optimize,
)
from sim.experiments.store import MemoryStore, Store
from sim.i18n.formats import pad
from sim.i18n.messages import kpi_name, tr
from sim.measure.catalog import KPI_BY_NAME
from sim.output.charts.optimize import cost_frontier
from sim.output.folder import ResultsFolder, manifest
from sim.output.store import ReplicationStore
from sim.scenario.base import StrictModel
from sim.scenario.loader import read_regular_file, scenario_to_yaml
from sim.scenario.problems import Problem, ScenarioError
from sim.scenario.yaml_io import MAX_BYTES

EXIT_NOT_FOUND = 1


class OptimizeFile(StrictModel):
    """An optimize file: what to decide on which scenario; the command line overrides it."""

    base: str = Field(min_length=1, description="Scenario file, relative to this file.")
    decide: tuple[str, ...] = Field(min_length=1, description="Paths to decide.")
    bounds: dict[str, tuple[int, int]] = Field(default_factory=dict,
                                               description="Path -> [lowest, highest].")
    set: tuple[str, ...] = Field((), description="`dotted.path=value` overrides of the base.")
    replications: int | None = Field(None, ge=MIN_REPLICATIONS,
                                     description="Replications per search evaluation.")
    confirm_replications: int | None = Field(None, ge=MIN_REPLICATIONS,
                                             description="Replications of the final check.")
    max_evaluations: int | None = Field(None, ge=1, description="Budget of evaluations.")
    start: Literal["analytic", "current"] = Field("analytic", description="Where to start.")
    cost_tolerance: float = Field(
        0.0, ge=0.0, le=MAX_COST_TOLERANCE,
        description="Share of the cost the search may leave unsaved by not descending the "
                    "variables too cheap to matter (e.g. 0.005); 0 descends every variable.")


def read_optimize_file(path: Path) -> OptimizeFile | None:
    """The optimize file at ``path``, or None when it is a scenario (no ``decide`` key).

    Raises:
        ScenarioError: For an unreadable file or an invalid optimize file.
    """
    source = str(path)
    try:
        raw = read_regular_file(path)  # a FIFO is refused unread, by the scenario loader
        if len(raw) > MAX_BYTES:
            return None  # the scenario loader reports the size
        data = YAML(typ="safe", pure=True).load(raw.decode("utf-8-sig"))
    except (OSError, UnicodeDecodeError, YAMLError):
        return None  # not ours to explain: the scenario loader gives the located message
    if not isinstance(data, dict) or "decide" not in data:
        return None
    try:
        return OptimizeFile.model_validate(data)
    except ValidationError as err:
        raise ScenarioError([
            Problem(source, None, ".".join(str(p) for p in e["loc"]), e["msg"])
            for e in err.errors(include_url=False)]) from None


def parse_bound(text: str) -> tuple[str, tuple[int, int]]:
    """``PATH=LO:HI`` -> (path, (lo, hi)).

    Raises:
        ScenarioError: For anything else.
    """
    path, sep, rng = text.partition("=")
    lo, colon, hi = rng.partition(":")
    try:
        if not (sep and colon and path.strip()):
            raise ValueError
        return path.strip(), (int(lo), int(hi))
    except ValueError:
        raise bad_input("--bound", tr("expected PATH=LO:HI with whole numbers, got `{value}`",
                                      value=text)) from None


def register(sub: argparse._SubParsersAction) -> None:
    """Add the ``optimize`` command."""
    p = sub.add_parser(
        "optimize",
        help="the cheapest staffing / stock decision that meets every target with confidence",
        description="Search the cheapest decision (mean total_cost) whose KPIs meet every "
                    "target of the scenario by their whole 95% interval. Starts from "
                    "Erlang C, offered work and base-stock estimates and improves them by "
                    "simulation under common random numbers. Exit 1 if no decision within "
                    "the bounds meets the targets.")
    p.add_argument("file", type=Path,
                   help="a scenario, or an optimize file {base, decide, bounds, set, "
                        "replications, confirm_replications, max_evaluations, start, "
                        "cost_tolerance}")
    p.add_argument("--decide", action="append", default=[], metavar="PATH",
                   help="a staffing (call_center.agents, field_service.technicians, ...: each "
                        "shift's count), parts.skus.*.policy (each SKU's level; S - s and Q "
                        "kept), parts.van_stock.*.level (each SKU's units on every van), "
                        "training.hours_per_technician_month (whole hours), or any "
                        "whole-number key; repeatable (replaces the file's)")
    p.add_argument("--bound", action="append", default=[], metavar="PATH=LO:HI",
                   help="search range of the variables under PATH (repeatable)")
    p.add_argument("--confirm-reps", type=int, default=None, metavar="N",
                   help="replications of the final check (default: 2 x --reps, at least 20)")
    p.add_argument("--max-evals", type=int, default=None, metavar="N",
                   help="budget of evaluations (default 200)")
    p.add_argument("--price-targets", action="store_true",
                   help="then re-solve with each target one step tighter (0.02 for a share, "
                        "0.1 for a score, 5%% otherwise) and report the extra cost per step "
                        "(target_prices.csv): what each point of service costs")
    p.add_argument("--store", type=Path, default=None, metavar="DIR",
                   help="keep finished replications in DIR and read them back, keyed by "
                        "scenario and seed: a rerun (another --bound, --price-targets) "
                        "simulates only what it has not run before")
    p.add_argument("--cost-tolerance", type=float, default=None, metavar="SHARE",
                   help="leave undescended the variables whose whole possible saving is "
                        "below their part of SHARE x the cost (e.g. 0.005: the answer may cost "
                        "up to 0.5%% more, for fewer evaluations; default 0, or the file's)")
    p.add_argument("--start", choices=("analytic", "current"), default=None,
                   help="start from textbook estimates (default) or the scenario's values")
    add_run_options(p, out_help="results folder (default results/NAME-optimize)")
    p.set_defaults(func=_cmd_optimize)


def _log(ev: Evaluation) -> None:
    verdict = tr("meets targets") if ev.feasible else \
        tr("misses (shortfall {shortfall:.3f})", shortfall=ev.violation)
    print(f"  #{ev.index:<3} {ev.phase:<8} {list(ev.values)}  n={ev.replications}  "
          + tr("cost {cost}", cost=fmt(ev.cost)) + f"  {verdict}", file=sys.stderr)


def _cmd_optimize(args: argparse.Namespace) -> int:
    check_run_options(args)
    for flag, value in (("--confirm-reps", args.confirm_reps), ("--max-evals", args.max_evals)):
        if value is not None and value < 1:
            raise bad_input(flag, tr("must be at least 1, got {value}", value=value))
    if args.cost_tolerance is not None and not 0 <= args.cost_tolerance <= MAX_COST_TOLERANCE:
        raise bad_input("--cost-tolerance", tr("must be within 0 and {most}, got {value}",
                                               most=MAX_COST_TOLERANCE,
                                               value=args.cost_tolerance))
    spec = read_optimize_file(args.file)
    if spec is not None:
        scenario = load_for_run(args.file.parent / spec.base, [*spec.set, *args.overrides])
    else:
        # a scenario file: every setting comes from the command line (or the defaults)
        spec = OptimizeFile.model_construct(base=str(args.file), decide=())
        scenario = load_for_run(args.file, args.overrides)
    decide = args.decide or list(spec.decide)
    if not decide:
        raise bad_input("--decide", tr("name at least one decision, e.g. --decide "
                                       "call_center.agents"))
    if not scenario.targets:
        raise bad_input(str(args.file), tr("the scenario has no `targets`: without them the "
                                           "cheapest decision is to staff and stock nothing"))
    bounds = {**spec.bounds, **dict(parse_bound(b) for b in args.bound)}
    reps = args.reps if args.reps is not None else spec.replications
    if reps is not None and reps < MIN_REPLICATIONS:
        raise bad_input("--reps", tr("the search needs at least {least}, got {n}",
                                     least=MIN_REPLICATIONS, n=reps))
    confirm = args.confirm_reps if args.confirm_reps is not None else spec.confirm_replications
    out = args.out if args.out is not None else Path("results") / f"{scenario.name}-optimize"
    check_output(out, args.overwrite)
    started = datetime.now().astimezone()
    # without a folder, replications are kept for this command: --price-targets re-solves
    # read back what the first solve ran
    store: Store = ReplicationStore(args.store) if args.store is not None else MemoryStore()
    try:
        result = optimize(
            scenario, decide, bounds=bounds, replications=reps, confirm_replications=confirm,
            seed=args.seed, executor=executor_for(args, 64), start=args.start or spec.start,
            max_evaluations=args.max_evals or spec.max_evaluations or 200,
            on_evaluation=None if args.quiet else _log, store=store,
            cost_tolerance=(args.cost_tolerance if args.cost_tolerance is not None
                            else spec.cost_tolerance))
    except ValueError as err:
        raise bad_input("optimize", str(err)) from None
    prices = None
    if args.price_targets and result.feasible:
        prices = price_targets(result, decide, bounds=bounds, executor=executor_for(args, 64),
                               max_evaluations=args.max_evals or spec.max_evaluations or 200,
                               on_evaluation=None if args.quiet else _log, store=store)
    write_decision(result, out, args.argv, started, args.overwrite, prices)
    if not args.quiet:
        print(report(result))
        if prices is not None:
            print("\n" + prices_text(prices, result.base.currency))
        print(tr("\nresults: {folder}/", folder=out))
    if not result.feasible:
        print(tr("warning: no evaluated decision meets every target with confidence; the folder "
                 "holds the closest (widen --bound or raise --max-evals)"), file=sys.stderr)
        return EXIT_NOT_FOUND
    return 0


def report(result: OptimizeResult) -> str:
    """The terminal summary: the decision against the start, its cost and KPIs, the effort."""
    best = result.best
    lines = [f"{pad(tr('decision'), 44)} {pad(tr('start'), 8, '>')} "
             f"{pad(tr('chosen'), 8, '>')}"]
    for var, x0, x in zip(result.variables, result.start, best.values, strict=True):
        lines.append(f"{pad(var.label, 44)} {x0:>8} {x:>8}")
    ci = result.document()["cost_ci"]
    lines.append(tr("\ntotal cost {cost} {currency} [{low}, {high}] over {reps} replications; "
                    "{verdict} every target with confidence", cost=fmt(best.cost),
                    currency=result.base.currency, low=fmt(ci[0]), high=fmt(ci[1]),
                    reps=best.replications,
                    verdict=tr("meets") if result.feasible else tr("MISSES")))
    lines.append(tr("{n} evaluations, {reps} replications simulated",
                    n=len(result.evaluations), reps=result.replications_used) + "\n")
    lines.append(kpi_table(best.result))
    return "\n".join(lines)


def prices_text(prices: pd.DataFrame, currency: str) -> str:
    """The price of each target: the extra cost of one step tighter, with its 95% CI."""
    lines = [tr("The price of a target (one step tighter, re-solved; {currency}):",
                currency=currency),
             f"{pad(tr('target'), 26)}{pad(tr('from'), 9, '>')}{pad(tr('to'), 9, '>')}"
             f"{pad(tr('extra cost [95% CI]'), 36, '>')}{pad(tr('per point'), 12, '>')}"
             f"  {tr('decision')}"]
    for r in prices.to_dict("records"):
        ci = f"{fmt(r['extra_cost'])} [{fmt(r['extra_cost_ci_low'])}, " \
             f"{fmt(r['extra_cost_ci_high'])}]"
        changes = r["decision_changes"] or tr("unchanged")
        if not r["feasible"]:
            changes = tr("no decision in the bounds meets it")
        lines.append(f"{pad(kpi_name(str(r['target'])), 26)}{r['from']:>9g}{r['to']:>9g}{ci:>36}"
                     f"{fmt(r['extra_cost_per_point']):>12}  {changes}")
    return "\n".join(lines)


def write_decision(result: OptimizeResult, out: Path, command: list[str], started: datetime,
                   overwrite: bool = False, prices: pd.DataFrame | None = None) -> Path:
    """Write the optimize folder (with ``target_prices.csv`` when targets were priced);
    ``manifest.json`` last."""
    table = result.table()
    kpi = result.binding_kpi
    info = KPI_BY_NAME.get(kpi)
    with ResultsFolder(out, overwrite) as folder:
        folder.write_json("decision.json", result.document())
        folder.write_text("best.yaml", _best_yaml(result))
        folder.write_csv("evaluations.csv", table)
        folder.write_csv("summary.csv", result.best.result.summary)
        if prices is not None:
            folder.write_csv("target_prices.csv", prices)
        if kpi in table.columns:
            folder.write_figure("cost_frontier", cost_frontier(
                table, kpi, result.base.targets.get(kpi),
                info is None or info.direction == "at_least",
                info is not None and info.unit == "share", result.base.currency,
                result.base.name))
        extra: dict[str, Any] = {"replications_used": result.replications_used,
                                 "evaluations": len(result.evaluations),
                                 "feasible": result.feasible}
        folder.finish(manifest(result.seed, result.best.replications, command, started,
                               datetime.now().astimezone(), extra=extra))
    return out


def _best_yaml(result: OptimizeResult) -> str:
    header = "".join(f"#   {path}: {value}\n" for path, value in result.decision().items())
    return (f"# Chosen by `aftersales-sim optimize` (cost {fmt(result.best.cost)} "
            f"{result.base.currency}):\n{header}" + scenario_to_yaml(result.scenario))
