"""What every command of the command line shares: run options, bad input, progress, tables.

A command module (``sim.cli.run``, ``sim.cli.sweep``, ...) imports from here, never from another
command or from ``sim.cli.commands``, so the command modules form no cycle.
"""

from __future__ import annotations

import argparse
import math
import sys
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path

from tqdm import tqdm

from sim.experiments.executors import Executor, make_executor
from sim.experiments.replicate import Progress, RunResult
from sim.measure.catalog import KPI_BY_NAME
from sim.output.folder import is_finished
from sim.scenario.capacity import capacity_warnings
from sim.scenario.format import Scenario
from sim.scenario.loader import load_scenario
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
    width = max([26, *(len(str(k)) for k in result.summary["kpi"])])
    lines = [f"{'KPI':<{width}} {'mean':>12} {'95% CI':>27} {'target':>10}  status"]
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
        lines.append(f"{name:<{width}} {fmt(row['mean']):>12} {ci:>27} {target:>10}  "
                     f"{status:<16}{unit}".rstrip())
    return "\n".join(lines)


def check_output(out: Path) -> None:
    """Refuse, before anything runs, an output folder that would not be replaced at the end."""
    if out.exists() and (not out.is_dir() or (any(out.iterdir()) and not is_finished(out))):
        raise bad_input("--out", f"{out} exists and is not a finished results folder; choose "
                                 "another folder or remove it")
