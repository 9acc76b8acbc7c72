"""What every command of the command line shares: run options, bad input, progress, tables.

A command module (``sim.cli.run``, ``sim.cli.sweep``, ...) imports from here, never from another
command or from ``sim.cli.commands``, so the command modules form no cycle.
"""

from __future__ import annotations

import argparse
import logging
import math
import sys
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path

from tqdm import tqdm

from sim.experiments.executors import (
    ClusterError,
    Executor,
    dask_address_problem,
    default_workers,
    make_executor,
)
from sim.experiments.replicate import Progress, RunResult
from sim.i18n.formats import pad
from sim.i18n.formats import width as text_width
from sim.i18n.messages import (
    LANGUAGES,
    Language,
    kpi_name,
    language_from_env,
    tr,
    unit_name,
)
from sim.measure.catalog import KPI_BY_NAME
from sim.output.charts.fonts import cjk_family
from sim.output.target import OutputRefused, check_target
from sim.scenario.base import MAX_REPLICATIONS, MAX_SEED
from sim.scenario.capacity import capacity_warnings
from sim.scenario.format import Scenario
from sim.scenario.loader import load_scenario
from sim.scenario.problems import Problem, ScenarioError

EXIT_FAILED = 1  # the input was fine, the machine failed us (a full disk, a lost cluster)
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
    p.add_argument("--overwrite", action="store_true",
                   help="replace a finished results folder that holds files the run did not "
                        "write (or that changed since); only the run's own files are removed, "
                        "yours are kept")


def add_language_option(p: argparse.ArgumentParser) -> None:
    """``--lang zh|en``: the language of what the command prints and draws."""
    p.add_argument("--lang", choices=LANGUAGES, default=None,
                   help="language of tables, messages, charts and the PDF: zh (Simplified "
                        "Chinese) or en (default: from LC_ALL or LANG, else en)")


def choose_language(lang: str | None) -> Language:
    """The language to speak: ``--lang``, else what ``LC_ALL``/``LANG`` ask for.

    Chinese needs a CJK font to draw charts and the PDF; without one the command says so once
    (on stderr) and speaks English, rather than draw boxes for every Chinese character.
    """
    chosen: Language = "zh" if lang == "zh" else "en" if lang == "en" else language_from_env()
    if chosen == "zh" and cjk_family() is None:
        print("warning: no CJK font found (install fonts-noto-cjk): tables, charts and the PDF "
              "are in English / 未找到中文字体，改用英文", file=sys.stderr)
        chosen = "en"
    return chosen


def bad_input(source: str, message: str) -> ScenarioError:
    """A command-line problem reported like a scenario problem (exit code 2)."""
    return ScenarioError([Problem(source, None, "", message)])


def max_workers() -> int:
    """The most worker processes a run may ask for: four per core (each holds a model)."""
    return 4 * default_workers()


def check_run_options(args: argparse.Namespace) -> None:
    """Reject impossible counts and seeds before anything runs (the file's own ranges)."""
    limits = {"reps": MAX_REPLICATIONS, "workers": max_workers()}
    for name, most in limits.items():
        value = getattr(args, name, None)
        if value is not None and not 1 <= value <= most:
            raise bad_input(f"--{name}", tr("must be from 1 to {most:,}, got {value}", most=most,
                                            value=_short(value)))
    check_dask(args)
    seed = getattr(args, "seed", None)
    if seed is not None and not 0 <= seed <= MAX_SEED:
        raise bad_input("--seed", tr("must be a whole number from 0 to {most}, got {value}",
                                     most=MAX_SEED, value=_short(seed)))


def _short(value: int) -> str:
    text = str(value)
    return text if len(text) <= 30 else f"{text[:12]}... ({len(text)} digits)"


def load_for_run(path: Path, overrides: Sequence[str]) -> Scenario:
    """Load a scenario and print capacity warnings (a warning never stops a run)."""
    scenario = load_scenario(path, overrides)
    for warning in capacity_warnings(scenario):
        print(f"warning: {warning}", file=sys.stderr)
    return scenario


def executor_for(args: argparse.Namespace, tasks: int) -> Executor:
    """The executor the command line asked for.

    Raises:
        ScenarioError: For a Dask address that is malformed or does not answer (exit 2).
    """
    try:
        executor = make_executor(args.workers, tasks, dask=args.dask)
    except ClusterError as err:
        raise bad_input("--dask", str(err)) from None
    finally:
        if args.dask is not None:
            _quiet_distributed()
    return executor


def _quiet_distributed() -> None:
    """The command line reports a lost cluster in one line; distributed's loggers (configured
    one by one when it is imported) would add their reconnection attempts and tracebacks."""
    for name in list(logging.root.manager.loggerDict):
        if name == "distributed" or name.startswith("distributed."):
            logging.getLogger(name).setLevel(logging.CRITICAL)


def check_dask(args: argparse.Namespace) -> None:
    """Refuse a malformed ``--dask`` address before anything is read or run."""
    address = getattr(args, "dask", None)
    if address is not None:
        problem = dask_address_problem(address)
        if problem is not None:
            raise bad_input("--dask", problem)


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
    """The KPI table printed after a run: mean, 95% CI, target and verdict.

    KPI names, headings, verdicts and units are in the language of the moment (in English the
    KPIs keep the names of the files); columns are aligned by display width, a Chinese
    character taking two.
    """
    names = {str(k): kpi_name(str(k)) for k in result.summary["kpi"]}
    width = max([26, *(text_width(n) for n in names.values())])
    lines = [f"{pad(tr('KPI'), width)} {pad(tr('mean'), 12, '>')} {pad(tr('95% CI'), 27, '>')} "
             f"{pad(tr('target'), 10, '>')}  {tr('status')}"]
    for row in result.summary.to_dict("records"):
        name = str(row["kpi"])
        judged = result.targets.get(name)
        target = status = ""
        if judged is not None:
            sign = ">=" if judged.direction == "at_least" else "<="
            target = f"{sign} {fmt(judged.target)}"
            status = tr(judged.status)
        ci = f"[{fmt(row['ci_low'])}, {fmt(row['ci_high'])}]"
        info = KPI_BY_NAME.get(name)
        unit = unit_name(info.unit, result.scenario.currency) if info is not None else ""
        lines.append(f"{pad(names[name], width)} {fmt(row['mean']):>12} {ci:>27} {target:>10}  "
                     f"{pad(status, 16)}{unit}".rstrip())
    return "\n".join(lines)


def check_output(out: Path, overwrite: bool = False, option: str = "--out") -> None:
    """Refuse, before anything runs, an output folder that could not be written at the end.

    Everything `sim.output.target.check_target` checks: someone else's folder, a file, a path
    under a file, `/`, `.`, a name too long, a folder that cannot be written in, a finished run
    holding the user's files without `--overwrite`. With `--overwrite`, says what it will remove
    and keep.

    Raises:
        ScenarioError: One line naming the option (exit code 2).
    """
    try:
        existing = check_target(out, overwrite)
    except OutputRefused as err:
        raise bad_input(option, str(err)) from None
    if overwrite and existing.kind == "run":
        print(f"--overwrite: {existing.overwrite_notice()}", file=sys.stderr)
