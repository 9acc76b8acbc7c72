"""The `stress` command: play named shocks on a base scenario and report which targets break.

This module owns the command line of stress tests: choosing shocks (`--shock NAME[:KEY=VALUE,...]`
from a stress file, or shock types with built-in defaults on a plain scenario), and the terminal
table. Loading, running, judging and writing are `sim.experiments.stress.plan`; shared options are
`sim.cli.run`.
"""

from __future__ import annotations

import argparse
import re
import sys
from datetime import datetime
from pathlib import Path
from typing import Any, get_args

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
from sim.experiments.stress.plan import (
    StressPlan,
    StressResult,
    is_stress_file,
    load_stress,
    run_stress,
)
from sim.experiments.stress.shocks import (
    MAX_SHOCK_NAME,
    SHOCK_MODELS,
    AnyShock,
    applicable_types,
    shock_from_mapping,
)
from sim.i18n.formats import pad
from sim.i18n.messages import kpi_name, tr
from sim.output.experiments import write_stress
from sim.scenario.base import CONTACT_TYPES
from sim.scenario.capacity import capacity_warnings
from sim.scenario.yaml_io import YamlProblem, read_yaml

# A comma starts a new parameter only before `key=`, so `skus=a,b` keeps its list.
_PARAM_SPLIT = re.compile(r",(?=\s*[A-Za-z_][A-Za-z0-9_]*\s*=)")
# A `+` starts another shock only before a name followed by `:`, `+` or the end, so a number
# such as `1e+3` stays whole.
_SHOCK_SPLIT = re.compile(r"\+(?=\s*[A-Za-z][A-Za-z0-9_.-]*\s*(?::|\+|$))")


def shock_defaults_help() -> str:
    """Each shock type with its parameters and defaults, from the models (for `--help`)."""
    lines = ["shock types and defaults (start_day: middle of the horizon):"]
    for model in SHOCK_MODELS:
        params = []
        for key, info in model.model_fields.items():
            if key in ("name", "type", "start_day"):
                continue
            default = info.default
            shown = ("all" if key in ("types", "skus") and default in (CONTACT_TYPES, ())
                     else "agents+technicians" if default is None else f"{default:g}")
            params.append(f"{key}={shown}")
        (kind,) = get_args(model.model_fields["type"].annotation)
        lines.append(f"  {kind}: {', '.join(params)}")
    return "\n".join(lines)


def parse_shock_option(text: str) -> tuple[str, dict[str, Any]]:
    """Split `NAME:key=value,key=value` into the name and YAML-read values.

    Args:
        text: The `--shock` argument, e.g. `demand_surge:multiplier=1.5,types=repair,inquiry`.

    Returns:
        The name and the parameters (numbers as numbers, `a,b` left as text for list keys).

    Raises:
        ScenarioError: For a parameter without `=` or a value YAML cannot read.
    """
    name, _, params = text.partition(":")
    values: dict[str, Any] = {}
    for raw in _PARAM_SPLIT.split(params) if params.strip() else []:
        key, sep, value = raw.partition("=")
        if not sep or not key.strip():
            raise bad_input(f"--shock {text}", f"expected KEY=VALUE, got `{raw}`")
        try:
            values[key.strip()] = read_yaml(value)[0] if value.strip() else None
        except YamlProblem as fail:
            raise bad_input(f"--shock {text}", f"{key.strip()}: {fail.message}") from None
    return name.strip(), values


def _plan(args: argparse.Namespace) -> tuple[StressPlan, bool]:
    """The plan from a stress file, or an empty one on a scenario; and which of the two."""
    if is_stress_file(args.file):
        plan = load_stress(args.file, args.overrides)
        for warning in capacity_warnings(plan.base):
            print(tr("warning: {message}", message=warning), file=sys.stderr)
        return plan, True
    base = load_for_run(args.file, args.overrides)
    return StressPlan(name=base.name, base=base, shocks=()), False


def select_shocks(plan: StressPlan, options: list[str], from_file: bool) -> tuple[AnyShock, ...]:
    """The shocks to run: the `--shock` choices, or all of the file's (all types on a scenario).

    Args:
        plan: The loaded plan.
        options: `--shock` arguments (none: every shock of the file, or every type that
            applies to the scenario).
        from_file: True when the plan came from a stress file (names), else shock types.

    Returns:
        The resolved shocks, in the order asked.

    Raises:
        ScenarioError: For an unknown name or type, a bad parameter, or a name used twice.
    """
    if not options:
        if from_file:
            return plan.shocks
        options = list(applicable_types(plan.base))
    by_name = {s.name: s for s in plan.shocks}
    chosen: list[AnyShock] = []
    for text in options:
        source = f"--shock {text}"
        members = [_member_data(part, plan, by_name, from_file, source)
                   for part in _SHOCK_SPLIT.split(text)]
        if len(members) == 1:
            data = members[0]
        else:  # A+B: the shocks act together, as one shock
            data = {"name": "_and_".join(str(m["name"]) for m in members)[:MAX_SHOCK_NAME],
                    "together": list(members)}
        chosen.append(shock_from_mapping(data, plan.base, source))
    names = [s.name for s in chosen]
    twice = sorted({n for n in names if names.count(n) > 1})
    if twice:
        raise bad_input("--shock", f"shock {', '.join(twice)} chosen twice; give each a "
                                   "different name with `:name=...`")
    return tuple(chosen)


def _member_data(text: str, plan: StressPlan, by_name: dict[str, AnyShock], from_file: bool,
                 source: str) -> dict[str, Any]:
    """One shock of a `--shock` option (`NAME[:KEY=VALUE,...]`) as plain data."""
    name, params = parse_shock_option(text)
    if from_file:
        if name not in by_name:
            raise bad_input(source, f"no shock `{name}` in {plan.name}; its shocks are "
                                    f"{', '.join(by_name)}")
        return by_name[name].model_dump(mode="json") | params
    return {"type": name, "name": name} | params


def ranking_table(result: StressResult) -> str:
    """The terminal table: shocks from most to least damaging and what broke first."""
    cost = "total_cost_diff"
    lines = [f"{pad(tr('rank'), 5)}{pad(tr('shock'), 22)}{pad(tr('type'), 16)}"
             f"{pad(tr('broken days'), 12, '>')}{pad(tr('targets'), 9, '>')}  "
             f"{pad(tr('first break'), 32)}{pad(tr('cost change'), 12, '>')}"]
    for row in result.ranking.to_dict("records"):
        first = (tr("{kpi} (day {day})", kpi=kpi_name(str(row["first_broken_target"])),
                    day=row["first_break_day"])
                 if row["first_broken_target"] else "-")
        lines.append(f"{row['rank']:<5}{pad(str(row['shock']), 22)}{row['type']:<16}"
                     f"{row['broken_days']:>12}{row['targets_broken']:>9}  {pad(first, 32)}"
                     f"{fmt(row[cost]):>12}")
    broken = result.summary[result.summary["breaks"]]
    for shock, group in broken.groupby("shock", sort=False):
        lines.append(tr("\n{shock}: breaks {names}", shock=shock,
                        names=", ".join(kpi_name(str(k)) for k in group["target"])))
    return "\n".join(lines)


def _cmd_stress(args: argparse.Namespace) -> int:
    check_run_options(args)
    plan, from_file = _plan(args)
    shocks = select_shocks(plan, args.shocks, from_file)
    reps = args.reps or plan.replications or plan.base.replications
    seed = next(s for s in (args.seed, plan.seed, plan.base.seed) if s is not None)
    out = args.out if args.out is not None else Path("results") / f"stress-{plan.name}"
    check_output(out, args.overwrite)
    started = datetime.now().astimezone()
    total = reps * (1 + len(shocks))
    with progress_bar(total, f"stress {plan.name}", args.quiet) as progress:
        result = run_stress(plan.base, shocks, reps, seed, executor=executor_for(args, total),
                            progress=progress, daily_limits=plan.daily_limits, name=plan.name)
    write_stress(result, out, args.argv, started, overwrite=args.overwrite)
    if not args.quiet:
        print(ranking_table(result))
        print(tr("\nresults: {folder}/ (stress_summary.csv, stress_ranking.csv, charts/)",
                 folder=out))
    return 0


def register(sub: argparse._SubParsersAction) -> None:
    """Add the `stress` command to the CLI."""
    p = sub.add_parser(
        "stress", help="play named shocks (demand surge, defect wave, supplier delay, absence, "
                       "system outage, skill gap) on a scenario and see which targets break",
        description="Run the base scenario and each shocked copy with the same seeds, and "
                    "report per shock and target whether and when it breaks, the worst day "
                    "and the days to recover.",
        epilog=shock_defaults_help() + "\n\nexamples:\n"
               "  aftersales-sim stress scenarios/stress/risks.yaml --shock absence\n"
               "  aftersales-sim stress scenarios/baseline.yaml --shock "
               "demand_surge:multiplier=1.5,start_day=30,days=10\n"
               "  aftersales-sim stress scenarios/baseline.yaml --shock "
               "'demand_surge:multiplier=2,types=repair,days=10+absence:share=0.25,days=7'  "
               "(together)",
        formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("file", type=Path, help="a stress file (with `shocks`) or a scenario file")
    p.add_argument("--shock", dest="shocks", action="append", default=[],
                   metavar="NAME[:KEY=VALUE,...]",
                   help="with a stress file: a shock of the file by name (KEY=VALUE changes its "
                        "parameters); with a scenario: a shock type with the defaults below. "
                        "Join shocks with `+` to play them together as one "
                        "(`A:k=v+B:k=v`, named A_and_B). "
                        "Repeatable; default: every shock of the file (on a scenario, every type "
                        "that changes something: no defect wave without repairs, no supplier "
                        "delay without parts, no skill gap without field service)")
    add_run_options(p, "results folder; here NAME = stress-<stress file or scenario name>")
    p.set_defaults(func=_cmd_stress)
