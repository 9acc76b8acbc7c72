"""The ``aftersales-sim warmup`` command: suggest a warm-up length and write the evidence.

This module owns the command's options, its terminal summary and its folder: ``warmup.csv``
(the daily series averaged over replications), ``warmup.json`` (the suggestion and the
truncation point of every series), ``charts/warmup`` and ``manifest.json`` last. The analysis
is ``sim.experiments.warmup``.
"""

from __future__ import annotations

import argparse
from datetime import datetime
from pathlib import Path

from sim.cli.common import (
    add_run_options,
    check_output,
    check_run_options,
    executor_for,
    load_for_run,
    progress_bar,
)
from sim.experiments.warmup import WarmupResult, suggest_warmup
from sim.i18n.formats import pad
from sim.i18n.messages import tr
from sim.output.charts.optimize import series_name, warmup_series
from sim.output.folder import ResultsFolder, manifest


def register(sub: argparse._SubParsersAction) -> None:
    """Add the ``warmup`` command."""
    p = sub.add_parser(
        "warmup", help="suggest warmup_days from runs without warm-up (MSER-5)",
        description="Run the scenario without warm-up (same total length), average the daily "
                    "service level, open work orders and stock per SKU over the replications, "
                    "and suggest the largest MSER-5 truncation point as warmup_days.")
    p.add_argument("scenario", type=Path)
    add_run_options(p, out_help="results folder (default results/NAME-warmup)")
    p.set_defaults(func=_cmd_warmup)


def _cmd_warmup(args: argparse.Namespace) -> int:
    check_run_options(args)
    scenario = load_for_run(args.scenario, args.overrides)
    out = args.out if args.out is not None else Path("results") / f"{scenario.name}-warmup"
    check_output(out, args.overwrite)
    started = datetime.now().astimezone()
    reps = scenario.replications if args.reps is None else args.reps
    with progress_bar(reps, f"{scenario.name} (no warm-up)", args.quiet) as progress:
        result = suggest_warmup(scenario, reps, args.seed, executor_for(args, reps), progress)
    write_warmup(result, out, args.argv, started, args.overwrite)
    if not args.quiet:
        print(report(result, scenario.warmup_days))
        print(tr("\nresults: {folder}/", folder=out))
    return 0


def report(result: WarmupResult, current_days: float) -> str:
    """The terminal summary: truncation per series and the suggestion."""
    lines = [f"{pad(tr('series'), 28)} {pad(tr('MSER-5 truncation (days)'), 26, '>')}"]
    lines += [f"{pad(series_name(name), 28)} {days:>26}"
              for name, days in result.truncation_days.items()]
    lines.append(tr("\nsuggested warmup_days: {days} (set by {series}; the scenario has "
                    "{current:g})", days=result.suggested_days,
                    series=series_name(result.binding_series) if result.binding_series
                    else tr("no series"), current=current_days))
    return "\n".join(lines)


def write_warmup(result: WarmupResult, out: Path, command: list[str], started: datetime,
                 overwrite: bool = False) -> Path:
    """Write the warm-up folder; ``manifest.json`` last."""
    with ResultsFolder(out, overwrite) as folder:
        folder.write_csv("warmup.csv", result.series)
        folder.write_json("warmup.json", result.document())
        if result.truncation_days:
            folder.write_figure("warmup", warmup_series(
                result.series, result.truncation_days, result.suggested_days,
                result.replications, result.scenario.name))
        folder.finish(manifest(result.seed, result.replications, command, started,
                               datetime.now().astimezone(),
                               extra={"suggested_warmup_days": result.suggested_days}))
    return out
