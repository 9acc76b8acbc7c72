"""The ``risks`` command: play a risk register on its base company and rank the risks.

Prints the ranked register (impact per occurrence with its 95% interval, expected yearly impact,
extra breach days, and whether each response pays for itself) and writes the register's folder.
Loading, running and the rules are ``sim.experiments.risks``; the folder ``sim.output.risks``.
"""

from __future__ import annotations

import argparse
import math
import sys
from datetime import datetime
from pathlib import Path

import pandas as pd

from sim.cli.common import (
    add_run_options,
    bad_input,
    check_output,
    check_run_options,
    executor_for,
    fmt,
    progress_bar,
)
from sim.experiments.risks.register import load_register
from sim.experiments.risks.run import RegisterResult, run_register
from sim.i18n.formats import pad
from sim.i18n.messages import tr
from sim.output.risks import write_register
from sim.scenario.capacity import capacity_warnings


def _money(row: pd.Series, column: str) -> str:
    return (f"{fmt(row[column])} [{fmt(row[f'{column}_ci_low'])}, "
            f"{fmt(row[f'{column}_ci_high'])}]")


def register_text(result: RegisterResult) -> str:
    """The terminal table: risks from the largest expected yearly impact down."""
    currency = result.plan.base.currency
    lines = [tr("Risk register {name}: {reps} replications, common random numbers; impact per "
                "occurrence in {currency} with 95% CI", name=result.plan.name,
                reps=result.replications, currency=currency),
             f"{pad(tr('rank'), 5)}{pad(tr('risk'), 22)}{pad(tr('category'), 11)}"
             f"{pad(tr('per yr'), 7, '>')}  {pad(tr('impact [95% CI]'), 34)}"
             f"{pad(tr('expected/yr'), 12, '>')}{pad(tr('breach days'), 12, '>')}"]
    for _, row in result.table.iterrows():
        lines.append(f"{row['rank']:<5}{pad(str(row['risk'])[:21], 22)}"
                     f"{pad(tr(str(row['category'])), 11)}"
                     f"{row['likelihood_per_year']:>7g}  {_money(row, 'impact'):<34}"
                     f"{fmt(row['expected_yearly_impact']):>12}{fmt(row['breach_days']):>12}")
    responses = result.table[result.table["response"].astype(str) != ""]
    for _, row in responses.iterrows():
        if isinstance(row["response_pays"], float) and math.isnan(row["response_pays"]):
            continue
        verdict = (tr("pays for itself") if row["response_pays_surely"] else
                   tr("pays for itself on the mean") if row["response_pays"] else
                   tr("does not pay for itself"))
        gain = (tr("a significant gain") if row["response_gain_significant"] else
                tr("significantly worse") if row["response_reduction_ci_high"] < 0 else
                tr("not significant"))
        lines.append(tr("\n{risk}: response `{response}` cuts the impact by {cut} ({gain}); "
                        "saves {saving} a year for {cost}: {verdict}", risk=row["risk"],
                        response=row["response"], cut=_money(row, "response_reduction"),
                        gain=gain, saving=fmt(row["response_yearly_saving"]),
                        cost=fmt(row["response_cost_per_year"]), verdict=verdict))
    return "\n".join(lines)


def _cmd_risks(args: argparse.Namespace) -> int:
    check_run_options(args)
    if args.reps is not None and args.reps < 2:
        raise bad_input("--reps", tr("a risk register needs at least 2 replications "
                                     "(intervals)"))
    plan = load_register(args.file, args.overrides)
    for warning in capacity_warnings(plan.base):
        print(tr("warning: {message}", message=warning), file=sys.stderr)
    out = args.out if args.out is not None else Path("results") / f"risks-{plan.name}"
    check_output(out, args.overwrite)
    reps = args.reps or plan.replications or plan.base.replications
    scenarios = 1 + sum(3 if r.response_base is not None else 1 for r in plan.risks)
    started = datetime.now().astimezone()
    total = reps * scenarios
    with progress_bar(total, f"risks {plan.name}", args.quiet) as progress:
        result = run_register(plan, reps, args.seed, executor=executor_for(args, total),
                              progress=progress)
    write_register(result, out, args.argv, started, overwrite=args.overwrite)
    if not args.quiet:
        print(register_text(result))
        print(tr("\nresults: {folder}/ (risk_register.csv, risk_breaches.csv, "
                 "charts/risk_matrix.png; `aftersales-sim pack {folder}` makes the budget pack "
                 "with the risk matrix)", folder=out))
    return 0


def register(sub: argparse._SubParsersAction) -> None:
    """Add the ``risks`` command to the CLI."""
    p = sub.add_parser(
        "risks", help="play a risk register (market, technical, quality, personnel, legal) on "
                      "its base company: impact, expected yearly impact, rank, responses",
        description="Run the base scenario, each risk's shock and each response on the same "
                    "seeds; per risk, the impact per occurrence (extra cost + lost revenue + "
                    "breach-day costs) with its 95% CI, expected yearly impact = likelihood x "
                    "impact, the rank, and whether each response pays for itself.")
    p.add_argument("file", type=Path, help="a risk register file (e.g. scenarios/risks.yaml)")
    add_run_options(p, "results folder; here NAME = risks-<register name>")
    p.set_defaults(func=_cmd_risks)
