"""The ``budget`` command: the actual books against a run's simulated budget.

``aftersales-sim budget RESULTS --actual actual.csv`` reads the company's actual amounts
(columns ``month`` as ``YYYY-MM``, ``line`` as in ``budget.csv``, ``amount``), checks every row
(a problem is ``actual.csv:ROW: column: message``, exit code 2, nothing written), and writes and
prints the variance of each line against the simulated 95% interval, flagging the lines outside
it. The rule is ``sim.experiments.variance``.
"""

from __future__ import annotations

import argparse
import io
import math
from pathlib import Path

import pandas as pd

from sim.cli.common import bad_input, fmt
from sim.experiments.budget import ALL_MONTHS
from sim.experiments.variance import ACTUAL_COLUMNS, budget_variance
from sim.i18n.formats import month, pad
from sim.i18n.messages import line_name, tr
from sim.output.atomic import atomic_write_text
from sim.output.folder import csv_text
from sim.output.saved import read_saved_run
from sim.scenario.loader import read_text_file
from sim.scenario.problems import Problem, ScenarioError


def read_actual(path: Path, budget: pd.DataFrame) -> pd.DataFrame:
    """The actual amounts, checked against the budget's months and lines.

    Raises:
        ScenarioError: One located problem per bad row or column (rows counted as in a
            spreadsheet: the header is row 1).
    """
    source = str(path)
    text = read_text_file(path, check_size=True, regular_only=True)
    try:
        table = pd.read_csv(io.StringIO(text), dtype=str, keep_default_na=False,
                            skipinitialspace=True)
    except (pd.errors.ParserError, pd.errors.EmptyDataError) as err:
        raise ScenarioError([Problem(source, None, "", f"not a CSV table: {err}")]) from None
    missing = [c for c in ACTUAL_COLUMNS if c not in table.columns]
    if missing:
        raise ScenarioError([Problem(source, 1, "", f"missing column(s) {', '.join(missing)}; "
                                     f"the columns are {', '.join(ACTUAL_COLUMNS)} (got "
                                     f"{', '.join(table.columns) or 'none'})")])
    months = [m for m in dict.fromkeys(budget["month"].astype(str)) if m != ALL_MONTHS]
    lines = list(dict.fromkeys(budget["department"].astype(str)))
    problems: list[Problem] = []
    seen: set[tuple[str, str]] = set()
    amounts = []
    for i, row in enumerate(table.to_dict("records"), start=2):
        month, line, amount = (str(row["month"]).strip(), str(row["line"]).strip(),
                               str(row["amount"]).strip())
        if month not in months:
            problems.append(Problem(source, i, "month", f"`{month}` is not a month of the "
                                    f"budget; its months are {', '.join(months)} (YYYY-MM)"))
        if line not in lines:
            problems.append(Problem(source, i, "line", f"`{line}` is not a line of the budget; "
                                    f"its lines are {', '.join(lines)}"))
        try:
            value = float(amount)
            if not math.isfinite(value):
                raise ValueError
        except ValueError:
            problems.append(Problem(source, i, "amount", f"`{amount}` is not a number"))
            value = math.nan
        if (month, line) in seen:
            problems.append(Problem(source, i, "line", f"{line} in {month} is given twice"))
        seen.add((month, line))
        amounts.append((month, line, value))
    if not amounts:
        problems.append(Problem(source, None, "", "no rows: give one row per month and line"))
    if problems:
        raise ScenarioError(problems)
    return pd.DataFrame(amounts, columns=list(ACTUAL_COLUMNS))


def variance_text(variance: pd.DataFrame) -> str:
    """The terminal table: each line's actual against the simulated interval, flagged."""
    lines = [f"{pad(tr('month'), 9)}{pad(tr('line'), 22)}{pad(tr('actual'), 12, '>')}"
             f"{pad(tr('simulated [95% CI]'), 34, '>')}{pad(tr('variance'), 12, '>')}  "
             f"{tr('flag')}"]
    for r in variance.to_dict("records"):
        ci = f"{fmt(r['simulated_mean'])} [{fmt(r['ci_low'])}, {fmt(r['ci_high'])}]"
        flag = tr("OUTSIDE ({side})", side=tr(str(r["side"]))) if r["outside"] else ""
        lines.append(f"{pad(month(str(r['month'])), 9)}{pad(line_name(str(r['line']))[:21], 22)}"
                     f"{fmt(r['actual']):>12}{ci:>34}{fmt(r['variance']):>12}  {flag}")
    outside = int(variance["outside"].sum())
    lines.append(tr("\n{outside} of {n} lines outside the simulated 95% interval",
                    outside=outside, n=len(variance)))
    return "\n".join(lines)


def _cmd_budget(args: argparse.Namespace) -> int:
    out: Path = (args.out if args.out is not None
                 else args.actual.with_name(f"{args.actual.stem}_variance.csv"))
    if out.exists() and not out.is_file():
        raise bad_input("--out", tr("{path} exists and is not a file", path=out))
    if out.resolve() == args.actual.resolve():
        raise bad_input("--out", tr("would overwrite the actual amounts"))
    saved = read_saved_run(args.folder)
    variance = budget_variance(saved.budget, read_actual(args.actual, saved.budget))
    out.parent.mkdir(parents=True, exist_ok=True)
    atomic_write_text(out, csv_text(variance))
    if not args.quiet:
        print(variance_text(variance))
        print(tr("\nwritten: {file}", file=out))
    return 0


def register(sub: argparse._SubParsersAction) -> None:
    """Add the ``budget`` command to the CLI."""
    p = sub.add_parser(
        "budget", help="compare the actual books with a run's simulated budget, line by line",
        description="Variance of each actual line (actual.csv: month YYYY-MM, line, amount) "
                    "against the simulated budget's 95% interval of a finished results folder; "
                    "lines outside it are flagged.")
    p.add_argument("folder", type=Path, help="a finished results folder (its budget.csv)")
    p.add_argument("--actual", type=Path, required=True, help="the actual amounts (CSV)")
    p.add_argument("--out", type=Path, default=None,
                   help="the variance table (default: ACTUAL_variance.csv beside the actuals)")
    p.add_argument("--quiet", action="store_true", help="print nothing")
    p.set_defaults(func=_cmd_budget)
