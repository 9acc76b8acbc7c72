"""The ``fit`` command: a scenario file and a fit report from a company's event logs.

``aftersales-sim fit --calls calls.csv [--work-orders ...] [--visits ...] [--parts ...]
[--followups ...] [--complaints ...] [--base scenario.yaml] --out scenarios/fitted.yaml`` writes
the fitted scenario and, next to it, ``fitted.fit/`` (``report.md``, charts, manifest) or
``--report DIR``. ``--events DIR`` takes every log found in a folder (e.g. a run's ``events/``).
``--columns MAP.yaml`` reads the logs as a company's own export (``sim.calibrate.columns``).
``--backtest N`` simulates the fitted scenario N times and compares its KPIs with the records'
(exit code 1 when one differs: the fit missed something).
Bad logs exit with code 2 and ``FILE:ROW: column: message`` lines, and nothing is written. The
fitting itself is ``sim.calibrate.fit``; the report ``sim.calibrate.report``.
"""

from __future__ import annotations

import argparse
import sys
from datetime import datetime
from pathlib import Path

from sim.calibrate.backtest import BackTest, backtest
from sim.calibrate.columns import load_column_map
from sim.calibrate.fit import fit_files
from sim.calibrate.measures import LOG_KPIS, kpi_summary
from sim.calibrate.report import FITTED_MARKERS, fitted_yaml, write_report
from sim.calibrate.schema import KINDS
from sim.cli.common import bad_input, check_output, check_run_options, executor_for, fmt
from sim.i18n.formats import listing, pad
from sim.i18n.messages import kpi_name, tr
from sim.output.atomic import atomic_write_text
from sim.output.target import (
    OutputRefused,
    check_file_target,
    overlap,
    path_problem,
    starts_with,
)
from sim.scenario.loader import load_scenario_text

OPTIONS = {kind: "--" + kind.replace("_", "-") for kind in KINDS}


def log_paths(args: argparse.Namespace) -> dict[str, Path]:
    """The log file of each kind: ``--events DIR`` first, then the per-kind options."""
    paths: dict[str, Path] = {}
    if args.events is not None:
        if not args.events.is_dir():
            raise bad_input("--events", tr("{path} is not a folder", path=args.events))
        for kind in KINDS:
            for suffix in (".csv", ".parquet"):
                if (args.events / f"{kind}{suffix}").is_file():
                    paths[kind] = args.events / f"{kind}{suffix}"
                    break
    for kind in KINDS:
        given = getattr(args, kind)
        if given is not None:
            paths[kind] = given
    if "calls" not in paths:
        raise bad_input("--calls", tr("the calls log is required (--calls FILE, or --events DIR "
                                      "holding calls.csv)"))
    return paths


def fitted_by_us(path: Path) -> bool:
    """Whether the file at ``path`` is a scenario ``fit`` wrote, in any language: it begins as
    ``sim.calibrate.report.fitted_yaml`` begins it (``FITTED_MARKERS``). Such a file may be
    replaced by the next fit; any other file at ``--out`` is the user's."""
    return any(starts_with(path, marker.encode()) for marker in FITTED_MARKERS.values())


def check_outputs(out: Path, report: Path, inputs: dict[str, Path], overwrite: bool) -> None:
    """Refuse, before any work, outputs that would overwrite something that is not ours.

    ``--out`` and ``--report`` must not be, contain or lie inside an input (the logs just read,
    their folder, the base): a report folder equal to the run folder the logs came from would
    replace them. ``--out`` must be a file this tool wrote (or new, or ``--overwrite``);
    ``--report`` follows the results-folder rules (``sim.output.target``).

    Args:
        out: The fitted scenario to write.
        report: The report folder.
        inputs: Option -> path of everything read (``--events``, each log, ``--base``).
        overwrite: The ``--overwrite`` flag.

    Raises:
        ScenarioError: One line naming the option (exit code 2).
    """
    outputs = (("--out", out), ("--report", report))
    for option, path in outputs:
        problem = path_problem(path, "file" if option == "--out" else "folder")
        if problem is not None:
            raise bad_input(option, problem)
    for option, path in outputs:
        found = overlap(path, inputs)
        if found is not None:
            source, relation = found
            raise bad_input(option, f"{path} {relation} the input {source} {inputs[source]}: "
                                    "writing it would overwrite what fit reads; choose another "
                                    f"{'file' if option == '--out' else 'folder'}")
    try:
        check_file_target(out, fitted_by_us, overwrite)
    except OutputRefused as err:
        raise bad_input("--out", str(err)) from None
    check_output(report, overwrite, option="--report")


def input_paths(args: argparse.Namespace, logs: dict[str, Path]) -> dict[str, Path]:
    """Everything ``fit`` reads, by the option that named it."""
    inputs = {OPTIONS[kind]: path for kind, path in logs.items()}
    if args.events is not None:
        inputs = {"--events": args.events, **inputs}
    if args.base is not None:
        inputs["--base"] = args.base
    if args.columns is not None:
        inputs["--columns"] = args.columns
    return inputs


def _cmd_fit(args: argparse.Namespace) -> int:
    paths = log_paths(args)
    report = args.report if args.report is not None else args.out.with_suffix(".fit")
    check_outputs(args.out, report, input_paths(args, paths), args.overwrite)
    started = datetime.now().astimezone()
    if args.backtest is not None and args.backtest < 2:
        raise bad_input("--backtest", tr("needs at least 2 replications, got {n}",
                                         n=args.backtest))
    check_run_options(args)
    columns = load_column_map(args.columns) if args.columns is not None else None
    fit = fit_files(paths, args.base, args.name or args.out.stem, columns=columns)
    text = fitted_yaml(fit)
    load_scenario_text(text, str(args.out))  # the file must load as it is written
    checked = None
    if args.backtest is not None:
        checked = backtest(fit, args.backtest, args.seed,
                           executor=executor_for(args, args.backtest))
    write_report(fit, report, str(args.out), args.argv, started, checked, args.overwrite)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    atomic_write_text(args.out, text)
    if not args.quiet:
        kpis = kpi_summary(fit.kpis, fit.confidence)
        print(tr("fitted {dists} distributions and {params} numbers from {files} ({days:g} "
                 "days); {keys} keys from {source}", dists=len(fit.dists),
                 params=len(fit.params), files=listing(paths), days=fit.logs.days,
                 keys=len(fit.from_base),
                 source=tr("the base") if args.base else tr("the minimal scenario")))
        # The notes are in the command's language already (the calibrate layer writes them
        # through tr); the key paths in them stay English.
        for note in fit.notes:
            print(tr("note: {note}", note=note))
        print(f"\n{pad(tr('KPI on the records'), 26)} {pad(tr('mean'), 8, '>')} "
              f"{pad(tr('95% CI'), 22, '>')}")
        for name in LOG_KPIS:
            if name in kpis:
                est = kpis[name]
                print(f"{pad(kpi_name(name), 26)} {fmt(est.value):>8} "
                      f"{f'[{fmt(est.low)}, {fmt(est.high)}]':>22}")
        if checked is not None:
            _print_backtest(checked)
        print(tr("\nscenario: {scenario}\nreport:   {folder}/report.md", scenario=args.out,
                 folder=report))
    if checked is not None and not checked.agrees:
        print(tr("the fitted scenario does not reproduce the records on {names} (see the "
                 "report's back-test)",
                 names=listing(kpi_name(c.kpi) for c in checked.checks if not c.agrees)),
              file=sys.stderr)
        return 1
    return 0


def _print_backtest(bt: BackTest) -> None:
    """The back-test as a table: both means and the interval of their difference."""
    print(tr("\nback-test: {reps} replications of the fitted scenario (seed {seed}), one value "
             "per {unit}; difference intervals at {level} each", reps=bt.replications,
             seed=bt.seed, unit=tr(bt.unit), level=f"{bt.each_level:.2%}"))
    print(f"{pad(tr('KPI'), 22)} {pad(tr('records'), 8, '>')} {pad(tr('fitted'), 8, '>')} "
          f"{pad(tr('difference interval'), 22, '>')}  {tr('agrees')}")
    for c in bt.checks:
        print(f"{pad(kpi_name(c.kpi), 22)} {fmt(c.records.value):>8} {fmt(c.fitted.value):>8} "
              f"{f'[{c.diff_low:+.4f}, {c.diff_high:+.4f}]':>22}  "
              f"{tr('yes') if c.agrees else tr('NO')}")


def register(sub: argparse._SubParsersAction) -> None:
    """Add the ``fit`` command to the CLI."""
    p = sub.add_parser(
        "fit", help="fit a scenario to event logs (calls, work orders, visits, parts, ...)",
        description="Estimate demand, durations, patience (with censoring), probabilities and "
                    "lead times from event logs in the format of docs/event-logs.md; write a "
                    "scenario (values the logs cannot tell come from --base, said so in "
                    "comments) and a fit report next to it.")
    p.add_argument("--events", type=Path, default=None, metavar="DIR",
                   help="a folder of logs named calls.csv, work_orders.csv, ... (e.g. "
                        "results/NAME/events)")
    for kind, option in OPTIONS.items():
        p.add_argument(option, dest=kind, type=Path, default=None, metavar="FILE",
                       help=f"the {kind.replace('_', ' ')} log (CSV or .parquet)")
    p.add_argument("--columns", type=Path, default=None, metavar="MAP.yaml",
                   help="a column map: the logs are a company's export whose column names, "
                        "values and time formats the map translates (see "
                        "tests/data/crm_columns.yaml)")
    p.add_argument("--base", type=Path, default=None, metavar="SCENARIO",
                   help="scenario for everything the logs cannot tell: staffing, costs, "
                        "targets, policies (default: a minimal scenario)")
    p.add_argument("--out", type=Path, required=True, metavar="FILE",
                   help="the fitted scenario to write, e.g. scenarios/fitted.yaml")
    p.add_argument("--report", type=Path, default=None, metavar="DIR",
                   help="report folder (default: next to --out, e.g. scenarios/fitted.fit)")
    p.add_argument("--name", default=None, help="scenario name (default: the --out file name)")
    p.add_argument("--backtest", type=int, default=None, metavar="REPS",
                   help="simulate the fitted scenario REPS times and compare its KPIs with the "
                        "records' (in the report; exit code 1 when one differs)")
    p.add_argument("--seed", type=int, default=None,
                   help="seed of the back-test (default: the fitted scenario's seed + 1)")
    p.add_argument("--workers", type=int, default=None,
                   help="back-test worker processes (default: every core)")
    p.add_argument("--dask", default=None, metavar="tcp://HOST:PORT",
                   help="run the back-test on an existing Dask scheduler instead")
    p.add_argument("--quiet", action="store_true", help="print nothing on success")
    p.add_argument("--overwrite", action="store_true",
                   help="replace an --out file fit did not write, and a report folder holding "
                        "files the report did not write (those are kept)")
    p.set_defaults(func=_cmd_fit)
