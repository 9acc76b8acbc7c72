"""The ``pack`` command: the budget pack of any finished results folder, from its files.

The zip holds the PDF report (the answer on its first page, with ``--base FILE`` what the plan
changes against that file; every KPI with its 95% CI and target, the charts, the revenue, cost
and expense budgets by calendar month, the appraisal, the risk matrix when the folder is a risk
register's, the assumptions), the folder's CSV tables unchanged, the charts and the scenario file:
the bytes the explorer's Export page gives for the same run and date
(``sim.output.report.budget_pack`` of the folder read back, ``sim.output.saved``).
"""

from __future__ import annotations

import argparse
import datetime as dt
from pathlib import Path

from sim.cli.common import bad_input
from sim.i18n.messages import tr
from sim.output.atomic import atomic_write_bytes
from sim.output.report import budget_pack
from sim.output.saved import manifest_date, read_saved_run
from sim.scenario.loader import load_scenario


def _date(text: str) -> dt.date:
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        raise bad_input("--date", tr("`{value}` is not a date; use YYYY-MM-DD",
                                     value=text)) from None


def _cmd_pack(args: argparse.Namespace) -> int:
    folder: Path = args.folder
    out: Path = (args.out if args.out is not None
                 else folder.parent / f"{folder.name}_budget_pack.zip")
    if out.exists() and not out.is_file():
        raise bad_input("--out", tr("{path} exists and is not a file", path=out))
    if out.resolve().parent == folder.resolve() or folder.resolve() in out.resolve().parents:
        raise bad_input("--out", tr("the pack may not go inside the results folder (its manifest "
                                    "lists every file of it)"))
    saved = read_saved_run(folder)
    created = _date(args.date) if args.date else _date(manifest_date(folder) or
                                                        dt.date.today().isoformat())
    base = load_scenario(args.base) if args.base is not None else None
    data = budget_pack(saved, created, base)
    out.parent.mkdir(parents=True, exist_ok=True)
    atomic_write_bytes(out, data)
    if not args.quiet:
        if saved.risk_register is not None:
            print(tr("budget pack with the risk register, dated {date}: {file}",
                     date=created.isoformat(), file=out))
        else:
            print(tr("budget pack, dated {date}: {file}", date=created.isoformat(), file=out))
    return 0


def register(sub: argparse._SubParsersAction) -> None:
    """Add the ``pack`` command to the CLI."""
    p = sub.add_parser(
        "pack", help="write the budget pack (PDF report, tables, charts, scenario) of a "
                     "finished results folder",
        description="Build the budget pack zip of a finished run folder (run, or a risk "
                    "register's, which adds the risk matrix) from its files: the same bytes as "
                    "the explorer's Export page for the same run and date.")
    p.add_argument("folder", type=Path, help="a finished results folder (with manifest.json)")
    p.add_argument("--out", type=Path, default=None,
                   help="the zip (default: FOLDER_budget_pack.zip next to the folder)")
    p.add_argument("--date", default=None, metavar="YYYY-MM-DD",
                   help="the date printed in the report (default: the day the run ended, from "
                        "its manifest)")
    p.add_argument("--base", type=Path, default=None, metavar="FILE",
                   help="the scenario file the run's plan was edited from: the report's first "
                        "page lists what the plan changes against it")
    p.add_argument("--quiet", action="store_true", help="print nothing")
    p.set_defaults(func=_cmd_pack)
