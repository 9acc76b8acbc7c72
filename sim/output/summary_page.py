"""The report's first page: does this plan meet its targets, and what does it cost?

This module owns that page: one sentence of verdicts, the targeted KPIs with their intervals and
verdicts, the money (total cost, cost per repair, and revenue and operating margin when the
scenario bills anything), the run, and what the plan changes against the file it came from
(``sim.scenario.levers.scenario_diff``). It reads a `RunView` and computes no statistics; the
words are `sim.output.labels`'s, the page's look `sim.output.pages`'s.
"""

from __future__ import annotations

import math
import textwrap

import pandas as pd
from matplotlib.figure import Figure

from sim.i18n.messages import tr
from sim.output.labels import kpi_label, status_label
from sim.output.numbers import format_interval, format_target, format_value, kpi_unit
from sim.output.pages import NOTE_CHARS, TABLE_FONT_SIZE, page
from sim.output.run_view import RunView
from sim.scenario.format import Scenario
from sim.scenario.levers import scenario_diff

MONEY_KPIS = ("total_cost", "cost_per_repair", "revenue", "operating_margin")
MAX_CHANGES = 8  # more go to one "and N more" line: the page must stay one page


def _measured(summary: pd.DataFrame, kpi: str) -> dict[str, float] | None:
    rows = summary[summary["kpi"] == kpi].to_dict("records")
    if not rows or int(rows[0]["n"]) == 0 or math.isnan(float(rows[0]["mean"])):
        return None  # revenue without a revenue section: not "n/a, n=0", just not there
    return {k: float(rows[0][k]) for k in ("mean", "ci_low", "ci_high", "n")}


def verdict_sentence(result: RunView) -> str:
    """``Meets 5 of 8 targets with confidence; misses 2 (Service level, Abandon rate); 1 not
    significant (Fill rate).``"""
    statuses = {k: j.status for k, j in result.targets.items()}
    if not statuses:
        return tr("The scenario sets no targets: nothing is judged.")
    by = {s: [kpi_label(k) for k, v in statuses.items() if v == s]
          for s in ("met", "missed", "not significant", "no data")}
    text = tr("Meets {met} of {all} targets with confidence", met=len(by["met"]),
                 all=len(statuses))
    for status in ("missed", "not significant", "no data"):
        if by[status]:
            text += tr("; {status}: {count} ({names})", status=status_label(status),
                          count=len(by[status]), names=", ".join(by[status]))
    return text + "."


def money_lines(result: RunView) -> list[str]:
    """Total cost and cost per repair over the horizon; revenue and operating margin when the
    scenario bills anything (with the margin as a share of revenue), else a line saying so."""
    currency = result.scenario.currency
    lines = []
    for kpi in MONEY_KPIS:
        row = _measured(result.summary, kpi)
        if row is None:
            continue
        text = tr("{name}: {value} (95% CI {ci})", name=kpi_label(kpi),
                     value=format_value(row["mean"], "currency", currency),
                     ci=format_interval(row["ci_low"], row["ci_high"], "currency", currency))
        if kpi == "operating_margin":
            revenue = _measured(result.summary, "revenue")
            if revenue is not None and revenue["mean"] > 0:
                text += tr(", {share} of revenue",
                              share=format_value(row["mean"] / revenue["mean"], "share", ""))
        lines.append(text)
    if _measured(result.summary, "revenue") is None:
        lines.append(tr("No revenue section: the plan is costed, not billed (no revenue or "
                           "margin)."))
    return lines


def change_lines(base: Scenario | None, scenario: Scenario) -> list[str]:
    """What the plan changes against the file it came from, one line per key."""
    if base is None:
        return [tr("Changes: none recorded; scenario.yaml in this pack is the plan as run.")]
    diff = scenario_diff(base, scenario)
    diff = diff[diff["key_path"] != "name"]
    if diff.empty:
        return [tr("Changes from {file}: none, the plan is the file as it is.",
                      file=base.name)]
    lines = [tr("Changes from {file}:", file=base.name)]
    for r in diff.head(MAX_CHANGES).to_dict("records"):
        lines.append(f"  {r['key_path']}: {r['file_value']} → {r['edited_value']}")
    if len(diff) > MAX_CHANGES:
        lines.append(tr("  and {n} more (see the assumptions)", n=len(diff) - MAX_CHANGES))
    return lines


def _target_rows(result: RunView) -> list[list[str]]:
    currency = result.scenario.currency
    summary = result.summary.set_index("kpi").to_dict("index")
    rows = []
    for kpi, judged in result.targets.items():
        row, unit = summary[kpi], kpi_unit(kpi)
        ci = (format_interval(float(row["ci_low"]), float(row["ci_high"]), unit, currency)
              if int(row["n"]) >= 2 else tr("n/a"))
        rows.append([kpi_label(kpi), format_value(float(row["mean"]), unit, currency), ci,
                     format_target(judged.target, judged.direction, unit, currency),
                     status_label(judged.status)])
    return rows


def summary_page(result: RunView, base: Scenario | None = None) -> Figure:
    """The first page of the report (see the module)."""
    scn = result.scenario
    fig = page(tr("{name}: does the plan meet its targets, and what does it cost?",
                     name=scn.name))
    run = tr("{reps} replications, seed {seed}; day 0 is {start}; warm-up {warmup:g} days, "
                "{horizon:g} days measured. 95% intervals over replications; a target is met "
                "when its whole interval is on the good side.", reps=len(result.replications),
                seed=result.seed, start=scn.start_date.isoformat(), warmup=scn.warmup_days,
                horizon=scn.horizon_days)
    head = textwrap.wrap(verdict_sentence(result), NOTE_CHARS) + textwrap.wrap(run, NOTE_CHARS)
    fig.text(0.04, 0.885, "\n".join(head), fontsize=10.0, va="top", linespacing=1.4)
    rows = _target_rows(result)
    top = 0.86 - 0.03 * len(head)
    height = 0.034 * (len(rows) + 1)
    if rows:
        ax = fig.add_axes((0.04, top - height, 0.92, height))
        ax.set_axis_off()
        table = ax.table(cellText=rows, colLabels=[tr("Target"), tr("Mean"),
                                                   tr("95% CI"), tr("Goal"),
                                                   tr("Verdict")],
                         colWidths=[0.3, 0.16, 0.26, 0.14, 0.14], loc="upper left",
                         cellLoc="left", colLoc="left")
        table.auto_set_font_size(False)
        table.set_fontsize(TABLE_FONT_SIZE + 1)
        table.scale(1.0, 1.3)
        for (r, _c), cell in table.get_celld().items():
            cell.set_edgecolor("#999999")
            if r == 0:
                cell.set_text_props(fontweight="bold")
                cell.set_facecolor("#DDDDDD")
            elif str(rows[r - 1][4]) == status_label("missed"):
                cell.set_facecolor("#F6D5C3")
    lines = [tr("What it costs (the horizon)"), *money_lines(result), "",
             *change_lines(base, scn)]
    wrapped = [w for line in lines for w in (textwrap.wrap(line, NOTE_CHARS) or [""])]
    fig.text(0.04, top - height - 0.05, "\n".join(wrapped), fontsize=10.0, va="top",
             linespacing=1.4)
    return fig
