"""The ``validate``, ``run`` and ``schema`` commands: check a scenario, run it, show the format."""

from __future__ import annotations

import argparse
import json
import sys
from datetime import datetime
from pathlib import Path

from sim.calibrate.logs import event_tables
from sim.cli.common import (
    add_run_options,
    bad_input,
    check_output,
    check_run_options,
    executor_for,
    kpi_table,
    load_for_run,
    progress_bar,
)
from sim.experiments.precision import replicate_to_precision
from sim.experiments.replicate import replicate
from sim.i18n.messages import tr
from sim.output.atomic import atomic_write_text
from sim.output.export import write_run
from sim.output.target import OutputRefused, check_file_target
from sim.scenario.base import MAX_REPLICATIONS
from sim.scenario.calendar import expected_contacts_per_week
from sim.scenario.format import Scenario
from sim.scenario.loader import json_schema


def _cmd_validate(args: argparse.Namespace) -> int:
    scenario = load_for_run(args.scenario, args.overrides)
    sections = [k for k in ("complaints", "field_service", "parts", "followup")
                if getattr(scenario, k) is not None]
    print(tr("{file}: valid scenario '{name}' ({warmup} warm-up + {horizon} days; sections on: "
             "{sections})", file=args.scenario, name=scenario.name,
             warmup=f"{scenario.warmup_days:g}", horizon=f"{scenario.horizon_days:g}",
             sections=", ".join(["call_center", *sections])))
    print(weekly_volume(scenario))
    return 0


def weekly_volume(scenario: Scenario) -> str:
    """The contacts a week brings (demand events aside), and what happens on closed days."""
    demand = scenario.demand
    week, closed = expected_contacts_per_week(
        demand.contacts_per_day, demand.weekly_profile, demand.hourly_profile,
        scenario.call_center.hours, demand.closed_hours)
    if closed <= 0:
        return tr("expected contacts per week: {week} (demand events aside)", week=f"{week:,.0f}")
    if demand.closed_hours == "queue":
        return tr("expected contacts per week: {week} (demand events aside), of which {closed} "
                  "arrive on days the call center is closed and are called back when it opens "
                  "(demand.closed_hours: queue)", week=f"{week:,.0f}", closed=f"{closed:,.0f}")
    return tr("expected contacts per week: {week} (demand events aside); {closed} more fall on "
              "days the call center is closed and are not modelled (demand.closed_hours: lost)",
              week=f"{week - closed:,.0f}", closed=f"{closed:,.0f}")


def _cmd_run(args: argparse.Namespace) -> int:
    check_run_options(args)
    scenario = load_for_run(args.scenario, args.overrides)
    out = args.out if args.out is not None else Path("results") / scenario.name
    check_output(out, args.overwrite)
    started = datetime.now().astimezone()
    reps = scenario.replications if args.reps is None else args.reps
    extra: dict[str, object] | None = None
    if args.precision is None:
        if args.max_reps is not None:
            raise bad_input("--max-reps", "needs --precision (a fixed run takes --reps)")
        with progress_bar(reps, scenario.name, args.quiet) as progress:
            result = replicate(scenario, replications=reps, seed=args.seed,
                               executor=executor_for(args, reps), progress=progress,
                               logs=event_tables if args.events else None)
    else:
        max_reps = 200 if args.max_reps is None else args.max_reps
        if not 0 < args.precision < 1:
            raise bad_input("--precision", f"must be between 0 and 1, got {args.precision}")
        if not 2 <= max_reps <= MAX_REPLICATIONS:
            raise bad_input("--max-reps", f"must be from 2 to {MAX_REPLICATIONS:,}, got "
                                          f"{max_reps}")
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
    write_run(result, out, args.argv, started, extra=extra, overwrite=args.overwrite)
    if not args.quiet:
        print(kpi_table(result))
        print(tr("\nresults: {folder}/", folder=out))
    return 0


def _is_schema(path: Path) -> bool:
    """Whether ``path`` holds a scenario schema this command wrote (its title): only such a
    file is rewritten without ``--overwrite``."""
    try:
        if path.stat().st_size > 4 << 20:  # ours is ~60 KiB
            return False
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError, RecursionError):
        return False
    return isinstance(data, dict) and data.get("title") == json_schema()["title"]


def _cmd_schema(args: argparse.Namespace) -> int:
    text = json.dumps(json_schema(), indent=2, sort_keys=True) + "\n"
    if args.out is None:
        sys.stdout.write(text)
        return 0
    try:
        check_file_target(args.out, _is_schema, args.overwrite, create_parent=False)
    except OutputRefused as err:
        raise bad_input("--out", str(err)) from None
    atomic_write_text(args.out, text)
    return 0


def register(sub: argparse._SubParsersAction) -> None:
    """Add ``validate``, ``run`` and ``schema``."""
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
    s.add_argument("--overwrite", action="store_true",
                   help="replace an --out file that is not a schema this command wrote")
    s.set_defaults(func=_cmd_schema)
