"""The ``sweep`` command: a base scenario over a grid of factor values, with resume.

``aftersales-sim sweep EXPERIMENT.yaml`` or ``aftersales-sim sweep SCENARIO.yaml --vary
path=20:32:2``. Every input (experiment, base scenario, each point) is validated before anything
runs; finished replications are kept in a hidden store next to the results folder so that
``--resume`` completes an interrupted sweep. The sweep itself is `sim.experiments.sweep`, the
experiment file `sim.experiments.design`.
"""

from __future__ import annotations

import argparse
import re
import shutil
import sys
from datetime import datetime
from pathlib import Path

from pydantic import ValidationError

from sim.cli.common import (
    add_run_options,
    bad_input,
    check_output,
    check_run_options,
    executor_for,
    fmt,
    load_for_run,
    progress_bar,
)
from sim.experiments.design import Factor, load_experiment
from sim.experiments.executors import ClusterError
from sim.experiments.sweep import SweepResult, expand_points, missed_everywhere, run_sweep
from sim.i18n.formats import pad
from sim.i18n.messages import kpi_name, tr
from sim.measure.catalog import KPI_BY_NAME
from sim.output.experiments import write_sweep
from sim.output.store import ReplicationStore
from sim.scenario.problems import Problem, ScenarioError, validation_problems
from sim.scenario.yaml_io import parse_yaml

_NUMBER = re.compile(r"\s*[-+]?[0-9.]+([eE][-+]?[0-9]+)?\s*")


def store_folder(out: Path) -> Path:
    """Where a sweep writing ``out`` keeps finished replications: ``.NAME.replications``."""
    return out.parent / f".{out.name}.replications"


def parse_vary(spec: str) -> Factor:
    """A factor from ``--vary path=from:to:step`` or ``--vary path=a,b,c`` (``path=[...]``: YAML).

    Args:
        spec: The argument; values are read as YAML (``20``, ``0.5``, ``fifo``).

    Raises:
        ScenarioError: For a malformed spec or an invalid factor, naming the argument.
    """
    key, sep, text = spec.partition("=")
    parts = text.split(":")
    data: dict[str, object] = {"key": key.strip()}
    try:
        if not sep or not text.strip():
            raise bad_input("--vary", "expected `dotted.path=from:to:step` or `dotted.path=a,b,c`")
        if text.lstrip().startswith("["):
            data["values"] = parse_yaml(text, "--vary").data
        elif len(parts) == 3 and all(_NUMBER.fullmatch(p) for p in parts):
            data.update(zip(("from", "to", "step"),
                            (parse_yaml(p, "--vary").data for p in parts), strict=True))
        else:
            data["values"] = [parse_yaml(v, "--vary").data for v in text.split(",")]
        try:
            return Factor.model_validate(data)
        except ValidationError as exc:
            raise ScenarioError(validation_problems(exc, data, None, "--vary")) from None
    except ScenarioError as err:
        raise ScenarioError([Problem("--vary", None, p.path, f"{p.message} (in `--vary {spec}`)")
                             for p in err.problems]) from None


def overview_table(result: SweepResult) -> str:
    """The terminal table: one line per point with its factors, cost and target verdict."""
    keys = [f.key for f in result.factors]
    widths = [max(len(k), *(len(str(v)) for v in result.overview[k])) for k in keys]
    head = "  ".join(f"{k:>{w}}" for k, w in zip(keys, widths, strict=True))
    lines = [f"{pad(tr('point'), 6)} {head}  {pad(tr('total_cost'), 12, '>')}  {tr('targets')}"]
    for row in result.overview.to_dict("records"):
        cells = "  ".join(f"{row[k]!s:>{w}}" for k, w in zip(keys, widths, strict=True))
        # The file's `;`-joined keys; kpi_name keeps them as they are in English.
        missed = ";".join(kpi_name(k) for k in str(row["targets_not_met"]).split(";") if k)
        verdict = tr("all met") if row["meets_targets"] else tr("not met: {names}", names=missed)
        mark = tr("  <- cheapest meeting every target") \
            if row["point"] == result.cheapest_feasible else ""
        lines.append(f"{row['point']:<6} {cells}  {fmt(row['total_cost']):>12}  {verdict}{mark}")
    if result.cheapest_feasible is None:
        lines.append(tr("no point meets every target (each CI must clear its target)"))
        for missed_kpi in missed_everywhere(result):
            why = (tr("moves with the factors: widen the range") if missed_kpi.moves else
                   tr("the factors do not move it (change across the sweep within noise): "
                      "another lever drives it"))
            lines.append(tr("  missed at every point: {kpi} ({low} to {high}), {why}",
                            kpi=kpi_name(missed_kpi.kpi), low=fmt(missed_kpi.lowest),
                            high=fmt(missed_kpi.highest), why=why))
    return "\n".join(lines)


def _cmd_sweep(args: argparse.Namespace) -> int:
    check_run_options(args)
    for kpi in args.kpis or ():
        if kpi not in KPI_BY_NAME:
            raise bad_input("--kpi", f"unknown KPI `{kpi}` (allowed: {', '.join(KPI_BY_NAME)})")
    if args.vary:
        factors = tuple(parse_vary(v) for v in args.vary)
        base = load_for_run(args.experiment, args.overrides)
        name, reps, seed, kpis = f"{base.name}-sweep", None, None, None
    else:
        experiment = load_experiment(args.experiment)
        base = load_for_run(experiment.base, args.overrides)
        factors = experiment.factors
        name = experiment.name or f"{base.name}-sweep"
        reps, seed, kpis = experiment.replications, experiment.seed, experiment.kpis
    points = expand_points(base, factors)  # every point is validated before anything runs
    out = args.out if args.out is not None else Path("results") / name
    check_output(out, args.overwrite)
    reps = args.reps or reps or base.replications
    seed = args.seed if args.seed is not None else seed
    store = store_folder(out)
    if not args.resume:
        shutil.rmtree(store, ignore_errors=True)  # a fresh sweep never mixes in old results
    started = datetime.now().astimezone()
    total = len(points) * reps
    kept = ReplicationStore(store)
    try:
        with progress_bar(total, name, args.quiet) as progress:
            result = run_sweep(base, factors, reps, seed, executor=executor_for(args, total),
                               progress=progress, store=kept,
                               kpis=args.kpis or kpis, name=name, points=points)
    except (KeyboardInterrupt, ClusterError):
        print(tr("finished replications are kept in {folder}/; add --resume to complete the "
                 "sweep", folder=store), file=sys.stderr)
        raise
    if kept.rejected:
        print(tr("warning: {n} stored replication(s) in {folder}/ were damaged or not this "
                 "sweep's (scenario, seed or replication did not match) and were run again",
                 n=len(kept.rejected), folder=store), file=sys.stderr)
    write_sweep(result, out, args.argv, started, overwrite=args.overwrite)
    if not args.keep_store:
        shutil.rmtree(store, ignore_errors=True)
    if not args.quiet:
        print(overview_table(result))
        print(tr("\nresults: {folder}/", folder=out))
    return 0


def register(sub: argparse._SubParsersAction) -> None:
    """Add the ``sweep`` command to the CLI."""
    p = sub.add_parser(
        "sweep", help="run a scenario over a grid of factor values (common random numbers)",
        description="Run every point of a grid with the same seeds; write sweep.csv, "
                    "sweep_summary.csv and a chart per KPI.")
    p.add_argument("experiment", type=Path,
                   help="experiment file (base + factors), or a scenario file with --vary")
    p.add_argument("--vary", action="append", default=[], metavar="PATH=VALUES",
                   help="vary a key of the scenario: PATH=from:to:step or PATH=a,b,c "
                        "(repeatable: full grid)")
    p.add_argument("--kpi", dest="kpis", action="append", default=None, metavar="KPI",
                   help="KPI to chart (repeatable; default: the experiment's, else every "
                        "targeted KPI and total_cost)")
    p.add_argument("--resume", action="store_true",
                   help="reuse the replications an interrupted run of the same sweep kept "
                        "(without it, a new run discards them)")
    p.add_argument("--keep-store", action="store_true",
                   help="keep the finished replications on disk after success")
    add_run_options(p, "results folder")
    p.set_defaults(func=_cmd_sweep)
