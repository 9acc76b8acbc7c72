"""The ``compare`` command: scenarios on the same seeds, each against the first (paired t).

Prints, per alternative, the KPI means, the difference to the first scenario with its 95% paired-t
interval, whether it is significant and the variance reduction that common random numbers achieved;
writes compare.csv and a chart. The comparison itself is `sim.experiments.compare`.
"""

from __future__ import annotations

import argparse
import math
from datetime import datetime
from pathlib import Path

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
from sim.experiments.compare import CompareResult, compare
from sim.i18n.formats import pad
from sim.i18n.messages import kpi_name, tr
from sim.measure.catalog import COST_KPIS
from sim.output.experiments import write_compare
from sim.scenario.loader import load_scenario

# Department costs are in compare.csv; the terminal shows the headline KPIs only.
_HIDDEN = frozenset(COST_KPIS) - {"cost_per_repair"}


def compare_text(result: CompareResult) -> str:
    """The terminal table: per alternative and KPI, both means, the difference and its CI."""
    table = result.table.set_index(["scenario", "kpi"])
    first = result.labels[0]
    targeted = set(result.targeted_kpis)
    names = {str(k): kpi_name(str(k)) for k in result.table["kpi"]}
    lines = []
    for label in result.labels[1:]:
        lines.append(tr("\n{alternative} vs {reference} ({n} replications, common random "
                        "numbers; * = significant at 95%)", alternative=label, reference=first,
                        n=result.replications))
        lines.append(f"{pad(tr('KPI'), 26)} {first[:12]:>12} {label[:12]:>12} "
                     f"{pad(tr('diff'), 12, '>')} {pad(tr('95% CI of diff'), 27, '>')}   "
                     f"{pad(tr('var. red.'), 9, '>')}  "
                     + tr("target verdicts ({reference} / {alternative})",
                          reference=first[:10], alternative=label[:10]))
        for kpi in dict.fromkeys(result.table["kpi"]):
            row, ref = table.loc[(label, kpi)], table.loc[(first, kpi)]
            if kpi in _HIDDEN or (math.isnan(row["mean"]) and math.isnan(ref["mean"])):
                continue
            ci = f"[{fmt(row['diff_ci_low'])}, {fmt(row['diff_ci_high'])}]"
            star = "*" if row["significant"] else " "
            name = (tr("{kpi} (target)", kpi=names[kpi]) if kpi in targeted
                    and kpi != "total_cost" else names[kpi])
            verdicts = (f"{tr(ref['status']) if ref['status'] else '-'} / "
                        f"{tr(row['status']) if row['status'] else '-'}"
                        if ref["status"] or row["status"] else "")
            lines.append(f"{pad(name, 26)} {fmt(ref['mean']):>12} {fmt(row['mean']):>12} "
                         f"{fmt(row['diff']):>12} {ci:>27} {star} "
                         f"{fmt(row['variance_reduction'] + 0.0):>9}  "  # + 0.0: no "-0.000"
                         f"{verdicts}".rstrip())
    return "\n".join(lines).lstrip("\n")


def split_overrides(overrides: list[str], paths: list[Path]) -> list[list[str]]:
    """Each scenario's `--set` overrides: plain `PATH=VALUE` for all, `B:PATH=VALUE` for the
    scenario named B (its `name`, or its file's stem) or at position B (1 = the reference).

    Raises:
        ScenarioError: For a `B:` that names no scenario, or names two.
    """
    names = [(str(i), p.stem, load_scenario(p).name) for i, p in enumerate(paths, start=1)]
    out: list[list[str]] = [[] for _ in paths]
    for text in overrides:
        key = text.partition("=")[0]
        who, colon, _ = key.partition(":")
        if not colon or "." in who or not who.strip():
            for mine in out:
                mine.append(text)
            continue
        chosen = [i for i, labels in enumerate(names) if who.strip() in labels]
        if len(chosen) != 1:
            known = ", ".join(f"{i} ({name})" for i, _, name in names)
            many = "no" if not chosen else "more than one"
            raise bad_input(f"--set {text}", f"`{who}` names {many} scenario; give a position "
                                             f"or a name: {known}")
        out[chosen[0]].append(text.partition(":")[2])
    return out


def _cmd_compare(args: argparse.Namespace) -> int:
    check_run_options(args)
    paths = [args.first, *args.others]
    scenarios = [load_for_run(path, mine)
                 for path, mine in zip(paths, split_overrides(args.overrides, paths), strict=True)]
    names = [s.name for s in scenarios]
    out = args.out if args.out is not None else Path("results") / (
        "compare-" + "-vs-".join(names[:3]) + (f"-and-{len(names) - 3}-more"
                                               if len(names) > 3 else ""))
    check_output(out, args.overwrite)
    started = datetime.now().astimezone()
    reps = scenarios[0].replications if args.reps is None else args.reps
    total = reps * len(scenarios)
    with progress_bar(total, "compare", args.quiet) as progress:
        result = compare(scenarios, reps, args.seed, executor=executor_for(args, total),
                         progress=progress)
    write_compare(result, out, args.argv, started, overwrite=args.overwrite)
    if not args.quiet:
        print(compare_text(result))
        print(tr("\nresults: {folder}/", folder=out))
    return 0


def register(sub: argparse._SubParsersAction) -> None:
    """Add the ``compare`` command to the CLI."""
    p = sub.add_parser(
        "compare", help="compare scenarios on the same seeds against the first (paired t)",
        description="Run every scenario with the same seeds; per KPI, the difference to the "
                    "first with a 95% paired-t CI and the variance reduction of common random "
                    "numbers, with each scenario's target verdicts. --set PATH=VALUE applies to "
                    "every scenario; --set B:PATH=VALUE to scenario B only (its name, its "
                    "file's stem, or its position: 1 = the reference).")
    p.add_argument("first", type=Path, help="the reference scenario")
    p.add_argument("others", type=Path, nargs="+", help="scenarios to compare with it")
    add_run_options(p, "results folder (default results/compare-A-vs-B)")
    p.set_defaults(func=_cmd_compare)
