"""The command line: ``aftersales-sim validate | run | schema | ...`` (also ``python -m sim``).

The CLI parses arguments, calls the loader and the experiment layer, prints, and maps bad input
to exit code 2 with a readable message. It never touches the engine directly. Each experiment
command lives in its own module (``sim.cli_*``) and registers itself with ``register(sub)``;
the options every command shares and the progress bar are defined once, here.
"""

from __future__ import annotations

import argparse
import importlib
import importlib.util
import json
import math
import sys
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from datetime import datetime
from pathlib import Path

from tqdm import tqdm

from sim.experiments.executors import Executor, make_executor
from sim.experiments.replicate import Progress, RunResult, replicate
from sim.measure.catalog import KPI_BY_NAME
from sim.output.export import write_run
from sim.scenario.format import Scenario
from sim.scenario.loader import capacity_warnings, json_schema, load_scenario
from sim.scenario.problems import Problem, ScenarioError

EXIT_BAD_INPUT = 2
Command = Callable[[argparse.Namespace], int]


def add_run_options(p: argparse.ArgumentParser, out_help: str = "results folder") -> None:
    """Options shared by every command that runs replications."""
    p.add_argument("--reps", type=int, default=None, help="replications (default: the file's)")
    p.add_argument("--seed", type=int, default=None, help="root seed (default: the file's)")
    p.add_argument("--workers", type=int, default=None,
                   help="worker processes (default: every core); results do not depend on it")
    p.add_argument("--dask", default=None, metavar="tcp://HOST:PORT",
                   help="run on an existing Dask scheduler instead (pip install '.[dask]')")
    p.add_argument("--out", type=Path, default=None, help=f"{out_help} (default results/NAME)")
    p.add_argument("--set", dest="overrides", action="append", default=[], metavar="PATH=VALUE",
                   help="override a key; validated like the file (repeatable)")
    p.add_argument("--quiet", action="store_true", help="no progress bar, no table")


def bad_input(source: str, message: str) -> ScenarioError:
    """A command-line problem reported like a scenario problem (exit code 2)."""
    return ScenarioError([Problem(source, None, "", message)])


def check_run_options(args: argparse.Namespace) -> None:
    """Reject impossible counts before anything runs."""
    for name in ("reps", "workers"):
        value = getattr(args, name, None)
        if value is not None and value < 1:
            raise bad_input(f"--{name}", f"must be at least 1, got {value}")


def load_for_run(path: Path, overrides: Sequence[str]) -> Scenario:
    """Load a scenario and print capacity warnings (a warning never stops a run)."""
    scenario = load_scenario(path, overrides)
    for warning in capacity_warnings(scenario):
        print(f"warning: {warning}", file=sys.stderr)
    return scenario


def executor_for(args: argparse.Namespace, tasks: int) -> Executor:
    """The executor the command line asked for."""
    return make_executor(args.workers, tasks, dask=args.dask)


@contextmanager
def progress_bar(total: int, desc: str, quiet: bool) -> Iterator[Progress]:
    """A terminal progress bar that shows only for runs taking more than a second."""
    with tqdm(total=total, desc=desc, unit="rep", delay=1.0, disable=quiet,
              file=sys.stderr) as bar:
        def update(done: int, new_total: int) -> None:
            if new_total != bar.total:
                bar.total = new_total
            bar.update(done - bar.n)

        yield update


def fmt(value: float | None) -> str:
    """A number for a terminal table: 3 decimals when small, thousands separators when large."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "-"
    magnitude = abs(value)
    if magnitude >= 1000:
        return f"{value:,.0f}"
    if magnitude >= 10:
        return f"{value:.1f}"
    return f"{value:.3f}"


def kpi_table(result: RunResult) -> str:
    """The KPI table printed after a run: mean, 95% CI, target and verdict."""
    lines = [f"{'KPI':<26} {'mean':>12} {'95% CI':>27} {'target':>10}  status"]
    for row in result.summary.to_dict("records"):
        name = str(row["kpi"])
        judged = result.targets.get(name)
        target = status = ""
        if judged is not None:
            sign = ">=" if judged.direction == "at_least" else "<="
            target = f"{sign} {fmt(judged.target)}"
            status = judged.status
        ci = f"[{fmt(row['ci_low'])}, {fmt(row['ci_high'])}]"
        info = KPI_BY_NAME.get(name)
        unit = info.unit if info is not None else ""
        lines.append(f"{name:<26} {fmt(row['mean']):>12} {ci:>27} {target:>10}  {status:<16}"
                     f"{unit}".rstrip())
    return "\n".join(lines)


def _cmd_validate(args: argparse.Namespace) -> int:
    scenario = load_for_run(args.scenario, args.overrides)
    sections = [k for k in ("complaints", "field_service", "parts", "followup")
                if getattr(scenario, k) is not None]
    print(f"{args.scenario}: valid scenario '{scenario.name}' "
          f"({scenario.warmup_days:g} warm-up + {scenario.horizon_days:g} days; "
          f"sections on: call_center{''.join(', ' + s for s in sections)})")
    return 0


def _cmd_run(args: argparse.Namespace) -> int:
    check_run_options(args)
    scenario = load_for_run(args.scenario, args.overrides)
    out = args.out if args.out is not None else Path("results") / scenario.name
    started = datetime.now().astimezone()
    reps = scenario.replications if args.reps is None else args.reps
    extra: dict[str, object] | None = None
    if args.precision is None:
        if args.max_reps is not None:
            raise bad_input("--max-reps", "needs --precision (a fixed run takes --reps)")
        with progress_bar(reps, scenario.name, args.quiet) as progress:
            result = replicate(scenario, replications=reps, seed=args.seed,
                               executor=executor_for(args, reps), progress=progress,
                               events=args.events)
    else:
        from sim.experiments.precision import replicate_to_precision  # only sequential runs need it

        max_reps = 200 if args.max_reps is None else args.max_reps
        if not 0 < args.precision < 1:
            raise bad_input("--precision", f"must be between 0 and 1, got {args.precision}")
        if max_reps < 2:
            raise bad_input("--max-reps", f"must be at least 2, got {max_reps}")
        if args.events:  # a stopped run is the fixed run of its length: rerun that one
            raise bad_input("--events", "not with --precision; rerun with --reps N --events, N "
                                        "the replications the precision run stopped at")
        with progress_bar(reps, scenario.name, args.quiet) as progress:
            result, report = replicate_to_precision(
                scenario, args.precision, max_reps, args.seed, executor_for(args, max_reps),
                progress, initial=reps)
        if report.reason == "max_reps":
            print(f"warning: {report.message()}", file=sys.stderr)
        elif not args.quiet:
            print(report.message())
        extra = {"precision": report.as_dict()}
    write_run(result, out, args.argv, started, extra=extra)
    if not args.quiet:
        print(kpi_table(result))
        print(f"\nresults: {out}/")
    return 0


def _cmd_schema(args: argparse.Namespace) -> int:
    text = json.dumps(json_schema(), indent=2, sort_keys=True) + "\n"
    if args.out is None:
        sys.stdout.write(text)
    else:
        args.out.write_text(text, encoding="utf-8")
    return 0


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="aftersales-sim",
                                description="After-sales service simulation and planning.")
    sub = p.add_subparsers(dest="command", required=True)

    v = sub.add_parser("validate", help="check a scenario file and print what it contains")
    v.add_argument("scenario", type=Path)
    v.add_argument("--set", dest="overrides", action="append", default=[],
                   metavar="PATH=VALUE", help="override a key, e.g. demand.contacts_per_day=600")
    v.set_defaults(func=_cmd_validate)

    r = sub.add_parser("run", help="run replications and write a results folder")
    r.add_argument("scenario", type=Path)
    add_run_options(r)
    r.add_argument("--precision", type=float, default=None, metavar="REL",
                   help="add replications until the targeted KPIs (all KPIs without targets) "
                        "have a 95%% half-width within REL of their mean, e.g. 0.02; --reps is "
                        "then the first batch (at least 10)")
    r.add_argument("--max-reps", type=int, default=None, metavar="N",
                   help="cap for --precision (default 200)")
    r.add_argument("--events", action="store_true",
                   help="also write the event logs (calls, work orders, parts, follow-ups, "
                        "complaints) under events/, in the format `fit` reads")
    r.set_defaults(func=_cmd_run)

    s = sub.add_parser("schema", help="print the JSON Schema of scenario files")
    s.add_argument("--out", type=Path, default=None, help="write it to this file instead")
    s.set_defaults(func=_cmd_schema)

    for register in _extensions():
        register(sub)
    return p


EXTENSIONS = ("sim.cli.run.sweep", "sim.cli.run.compare", "sim.cli.run.stress", "sim.cli.run.optimize",
              "sim.cli.run.warmup", "sim.cli.run.fit")


def _extensions() -> list[Callable[[argparse._SubParsersAction], None]]:
    """The experiment commands, each in its own module exposing ``register(sub)``."""
    found = []
    for name in EXTENSIONS:
        if importlib.util.find_spec(name) is not None:
            found.append(importlib.import_module(name).register)
    return found


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point; returns the process exit code."""
    argv = list(sys.argv[1:] if argv is None else argv)
    args = _parser().parse_args(argv)
    args.argv = ["aftersales-sim", *argv]
    command: Command = args.func
    try:
        return command(args)
    except ScenarioError as err:
        print(f"error: {err}", file=sys.stderr)
        return EXIT_BAD_INPUT
    except KeyboardInterrupt:
        print("interrupted: no results folder was written", file=sys.stderr)
        return 130


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
