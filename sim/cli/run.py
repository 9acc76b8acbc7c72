"""The ``validate``, ``run`` and ``schema`` commands: check a scenario, run it, show the format."""

from __future__ import annotations

import argparse
import datetime as dt
import json
import re
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
    fmt,
    kpi_table,
    load_for_run,
    progress_bar,
)
from sim.experiments.precision import replicate_to_precision
from sim.experiments.replicate import RunResult, replicate
from sim.experiments.windows import (
    WindowSummary,
    date_of,
    day_of,
    window_problem,
    window_summary,
)
from sim.i18n.messages import tr
from sim.output.atomic import atomic_write_text
from sim.output.event_files import EventLogFiles
from sim.output.export import finish_run, write_run
from sim.output.folder import ResultsFolder
from sim.output.target import OutputRefused, check_file_target
from sim.scenario.base import MAX_REPLICATIONS
from sim.scenario.calendar import expected_contacts_per_week
from sim.scenario.format import Scenario
from sim.scenario.loader import json_schema


def _cmd_validate(args: argparse.Namespace) -> int:
    scenario = load_for_run(args.scenario, args.overrides)
    sections = [k for k in ("complaints", "field_service", "parts", "followup", "training")
                if getattr(scenario, k) is not None]
    print(tr("{file}: valid scenario '{name}' ({warmup} warm-up + {horizon} days; sections on: "
             "{sections})", file=args.scenario, name=scenario.name,
             warmup=f"{scenario.warmup_days:g}", horizon=f"{scenario.horizon_days:g}",
             sections=", ".join(["call_center", *sections])))
    print(weekly_volume(scenario))
    return 0


_WINDOW = re.compile(r"\s*(\d{1,9})\s*:\s*(\d{1,9})\s*")
_DATES = re.compile(r"\s*(\d{4}-\d{2}-\d{2})\s*:\s*(\d{4}-\d{2}-\d{2})\s*")


def parse_window(spec: str, scenario: Scenario) -> tuple[int, int]:
    """``--window START:END``: days of the clock (day 0 starts the warm-up, as a demand event's
    ``start_day``) or calendar dates (``2027-02-08:2027-03-21``, day 0 being ``start_date``),
    both included, inside the measured days.

    Raises:
        ScenarioError: A malformed window or one outside the measured days (exit 2, before
            anything runs).
    """
    found, dates = _WINDOW.fullmatch(spec), _DATES.fullmatch(spec)
    if dates is not None:
        try:
            first, last = (day_of(scenario, dt.date.fromisoformat(dates.group(i)))
                           for i in (1, 2))
        except ValueError:
            raise bad_input("--window", tr("{spec} holds a date that does not exist",
                                           spec=repr(spec))) from None
    elif found is not None:
        first, last = int(found.group(1)), int(found.group(2))
    else:
        raise bad_input("--window", tr("expected START:END in days (e.g. 35:76) or dates (e.g. "
                                       "2027-02-08:2027-03-21), got {spec}", spec=repr(spec)))
    problem = window_problem(scenario, first, last)
    if problem is not None:
        raise bad_input("--window", problem)
    return first, last


def window_kpi_table(result: RunResult, window: WindowSummary) -> str:
    """The window's KPIs beside the whole horizon's: mean, 95% CI and verdict of each."""
    horizon = result.summary.set_index("kpi").to_dict("index")
    scn = result.scenario
    days = f"days {window.first_day}-{window.last_day}"
    lines = [f"\nwindow: {days}, {date_of(scn, window.first_day)} to "
             f"{date_of(scn, window.last_day)} ({window.last_day - window.first_day + 1} days)",
             f"{'KPI':<26} {days:>38}  {'whole horizon':>38}",
             f"{'':<26} {'mean':>10} {'95% CI':>27}  {'mean':>10} {'95% CI':>27}  target"]
    for row in window.summary.to_dict("records"):
        name = str(row["kpi"])
        whole = horizon[name]
        judged, overall = window.targets.get(name), result.targets.get(name)
        verdict = ""
        if judged is not None and overall is not None:
            sign = ">=" if judged.direction == "at_least" else "<="
            verdict = (f"{sign} {fmt(judged.target)}: {judged.status} in the window, "
                       f"{overall.status} overall")
        lines.append(
            f"{name:<26} {fmt(row['mean']):>10} "
            f"{'[' + fmt(row['ci_low']) + ', ' + fmt(row['ci_high']) + ']':>27}  "
            f"{fmt(float(whole['mean'])):>10} "
            f"{'[' + fmt(float(whole['ci_low'])) + ', ' + fmt(float(whole['ci_high'])) + ']':>27}"
            f"  {verdict}".rstrip())
    return "\n".join(lines)


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
    days = parse_window(args.window, scenario) if args.window is not None else None
    out = args.out if args.out is not None else Path("results") / scenario.name
    check_output(out, args.overwrite)
    started = datetime.now().astimezone()
    reps = scenario.replications if args.reps is None else args.reps
    extra: dict[str, object] | None = None
    if args.precision is None:
        if args.max_reps is not None:
            raise bad_input("--max-reps", tr("needs --precision (a fixed run takes --reps)"))
        if args.events:
            return _run_with_events(args, scenario, reps, out, started, days)
        with progress_bar(reps, scenario.name, args.quiet) as progress:
            result = replicate(scenario, replications=reps, seed=args.seed,
                               executor=executor_for(args, reps), progress=progress)
    else:
        max_reps = 200 if args.max_reps is None else args.max_reps
        if not 0 < args.precision < 1:
            raise bad_input("--precision", tr("must be between 0 and 1, got {value}",
                                              value=args.precision))
        if not 2 <= max_reps <= MAX_REPLICATIONS:
            raise bad_input("--max-reps", tr("must be from 2 to {most:,}, got {value}",
                                             most=MAX_REPLICATIONS, value=max_reps))
        if args.events:  # a stopped run is the fixed run of its length: rerun that one
            raise bad_input("--events", tr("not with --precision; rerun with --reps N --events, N "
                                           "the replications the precision run stopped at"))
        with progress_bar(reps, scenario.name, args.quiet) as progress:
            result, report = replicate_to_precision(
                scenario, args.precision, max_reps, args.seed, executor_for(args, max_reps),
                progress, initial=reps)
        if report.reason == "max_reps":
            print(f"warning: {report.message()}", file=sys.stderr)
        elif not args.quiet:
            print(report.message())
        extra = {"precision": report.as_dict()}
    window = window_summary(result, *days) if days is not None else None
    write_run(result, out, args.argv, started, extra=extra, overwrite=args.overwrite,
              window=window)
    _report(args, result, window, out)
    return 0


def _run_with_events(args: argparse.Namespace, scenario: Scenario, reps: int, out: Path,
                     started: datetime, days: tuple[int, int] | None) -> int:
    """A fixed run with ``--events``: its folder is opened first, so that each replication's
    event logs are written as it finishes instead of all of them held to the end (memory
    would grow with replications x horizon)."""
    with ResultsFolder(out, args.overwrite) as folder:
        logs = EventLogFiles(folder)
        with progress_bar(reps, scenario.name, args.quiet) as progress:
            result = replicate(scenario, replications=reps, seed=args.seed,
                               executor=executor_for(args, reps), progress=progress,
                               logs=event_tables, on_logs=logs)
        logs.close()
        window = window_summary(result, *days) if days is not None else None
        finish_run(folder, result, args.argv, started, window=window)
    _report(args, result, window, out)
    return 0


def _report(args: argparse.Namespace, result: RunResult, window: WindowSummary | None,
            out: Path) -> None:
    if not args.quiet:
        print(kpi_table(result))
        if window is not None:
            print(window_kpi_table(result, window))
        print(tr("\nresults: {folder}/", folder=out))


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
    r.add_argument("--window", default=None, metavar="START:END",
                   help="also judge the KPIs and targets over days START to END (days of the "
                        "clock, day 0 starts the warm-up, or dates YYYY-MM-DD, day 0 being "
                        "start_date; both included; e.g. a peak): window_summary.csv and the "
                        "`window` block of summary.json")
    r.add_argument("--events", action="store_true",
                   help="also write the event logs (calls, work orders, parts, follow-ups, "
                        "complaints) under events/, in the format `fit` reads")
    r.set_defaults(func=_cmd_run)

    s = sub.add_parser("schema", help="print the JSON Schema of scenario files")
    s.add_argument("--out", type=Path, default=None, help="write it to this file instead")
    s.add_argument("--overwrite", action="store_true",
                   help="replace an --out file that is not a schema this command wrote")
    s.set_defaults(func=_cmd_schema)
