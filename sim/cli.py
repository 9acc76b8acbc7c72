"""The command line: ``aftersales-sim validate | run | schema`` (also ``python -m sim``).

The CLI parses arguments, calls the loader and the experiment layer, prints, and maps bad input
to exit code 2 with a readable message. It never touches the engine directly.
"""

from __future__ import annotations

import argparse
import json
import math
import sys
from collections.abc import Sequence
from datetime import datetime
from pathlib import Path

from tqdm import tqdm

from sim.catalog import KPI_BY_NAME
from sim.experiments import RunResult, replicate
from sim.export import write_run
from sim.loader import Problem, ScenarioError, capacity_warnings, json_schema, load_scenario

EXIT_BAD_INPUT = 2


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="aftersales-sim",
                                description="After-sales service simulation and planning.")
    sub = p.add_subparsers(dest="command", required=True)

    v = sub.add_parser("validate", help="check a scenario file and print what it contains")
    v.add_argument("scenario", type=Path)
    v.add_argument("--set", dest="overrides", action="append", default=[],
                   metavar="PATH=VALUE", help="override a key, e.g. demand.contacts_per_day=600")

    r = sub.add_parser("run", help="run replications and write a results folder")
    r.add_argument("scenario", type=Path)
    r.add_argument("--reps", type=int, default=None, help="replications (default: the file's)")
    r.add_argument("--seed", type=int, default=None, help="root seed (default: the file's)")
    r.add_argument("--workers", type=int, default=None,
                   help="worker processes (default: every core); results do not depend on it")
    r.add_argument("--out", type=Path, default=None, help="results folder (default results/NAME)")
    r.add_argument("--set", dest="overrides", action="append", default=[], metavar="PATH=VALUE",
                   help="override a key; validated like the file (repeatable)")
    r.add_argument("--quiet", action="store_true", help="no progress bar, no KPI table")

    s = sub.add_parser("schema", help="print the JSON Schema of scenario files")
    s.add_argument("--out", type=Path, default=None, help="write it to this file instead")
    return p


def _fmt(value: float) -> str:
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
    for row in result.summary.itertuples():
        judged = result.targets.get(row.kpi)
        target = ""
        status = ""
        if judged is not None:
            sign = ">=" if judged.direction == "at_least" else "<="
            target = f"{sign} {_fmt(judged.target)}"
            status = judged.status
        ci = f"[{_fmt(row.ci_low)}, {_fmt(row.ci_high)}]"
        unit = KPI_BY_NAME[row.kpi].unit if row.kpi in KPI_BY_NAME else ""
        lines.append(f"{row.kpi:<26} {_fmt(row.mean):>12} {ci:>27} {target:>10}  {status:<16}"
                     f"{unit}".rstrip())
    return "\n".join(lines)


def _cmd_validate(args: argparse.Namespace) -> int:
    scenario = load_scenario(args.scenario, args.overrides)
    for warning in capacity_warnings(scenario):
        print(f"warning: {warning}", file=sys.stderr)
    sections = [k for k in ("complaints", "field_service", "parts", "followup")
                if getattr(scenario, k) is not None]
    print(f"{args.scenario}: valid scenario '{scenario.name}' "
          f"({scenario.warmup_days:g} warm-up + {scenario.horizon_days:g} days; "
          f"sections on: call_center{''.join(', ' + s for s in sections)})")
    return 0


def _cmd_run(args: argparse.Namespace, argv: Sequence[str]) -> int:
    scenario = load_scenario(args.scenario, args.overrides)
    if args.reps is not None and args.reps < 1:
        raise ScenarioError([Problem("--reps", None, "", f"must be at least 1, got {args.reps}")])
    if args.workers is not None and args.workers < 1:
        raise ScenarioError([Problem("--workers", None, "",
                                     f"must be at least 1, got {args.workers}")])
    for warning in capacity_warnings(scenario):
        print(f"warning: {warning}", file=sys.stderr)
    out = args.out if args.out is not None else Path("results") / scenario.name
    started = datetime.now().astimezone()
    reps = scenario.replications if args.reps is None else args.reps
    with tqdm(total=reps, desc=scenario.name, unit="rep", delay=1.0, disable=args.quiet,
              file=sys.stderr) as bar:
        def progress(done: int, total: int) -> None:
            bar.update(done - bar.n)

        result = replicate(scenario, replications=args.reps, seed=args.seed,
                           workers=args.workers, progress=progress)
    write_run(result, out, ["aftersales-sim", *argv], started)
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


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point; returns the process exit code."""
    argv = list(sys.argv[1:] if argv is None else argv)
    args = _parser().parse_args(argv)
    try:
        if args.command == "validate":
            return _cmd_validate(args)
        if args.command == "run":
            return _cmd_run(args, argv)
        return _cmd_schema(args)
    except ScenarioError as err:
        print(f"error: {err}", file=sys.stderr)
        return EXIT_BAD_INPUT
    except KeyboardInterrupt:
        print("interrupted: nothing was written", file=sys.stderr)
        return 130


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
