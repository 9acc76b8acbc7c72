"""A stress test for people: its ranking and summary in labels and units, what "damage" means,
and the targets a shock made worse without a break because the baseline already missed them.

The rules are `sim.experiments.stress.analysis`'s; this module words them. The CSV downloads keep
the raw tables. No Streamlit.
"""

from __future__ import annotations

import math
from typing import Any

import pandas as pd

from sim.experiments.stress.analysis import already_missed
from sim.i18n.messages import tr
from sim.output.labels import column_label, kpi_label, shock_label
from sim.output.numbers import format_difference, format_interval, format_value, kpi_unit


def damage_note() -> str:
    """What the ranking's damage is, in the reader's language."""
    return tr("Damage is the number of days a target is on the wrong side of its target "
                 "while the unshocked baseline is not, summed over the targets judged per day: "
                 "the ranking puts the shock with the most such days first (ties: more targets "
                 "broken, then the larger extra cost).")


def _day(value: Any) -> str:
    return "–" if value is None or pd.isna(value) else f"{int(value)}"


def _value(kpi: str, value: Any, currency: str) -> str:
    number = float(value) if value is not None and not pd.isna(value) else math.nan
    return format_value(number, kpi_unit(kpi), currency) if not math.isnan(number) else "–"


def ranking_rows(ranking: pd.DataFrame, currency: str, cost_kpi: str = "total_cost"
                 ) -> pd.DataFrame:
    """The ranking in words: rank, shock, type, days broken (the damage), targets broken, the
    first day and target to break, the extra cost with its 95% CI."""
    rows = []
    for r in ranking.to_dict("records"):
        diff = float(r[f"{cost_kpi}_diff"])
        rows.append({
            column_label("rank"): int(r["rank"]),
            column_label("shock"): str(r["shock"]),
            column_label("type"): shock_label(str(r["type"])),
            tr("Damage (days broken)"): int(r["broken_days"]),
            column_label("targets_broken"): int(r["targets_broken"]),
            column_label("first_break_day"): _day(r["first_break_day"]),
            column_label("first_broken_target"): (kpi_label(str(r["first_broken_target"]))
                                                  if r["first_broken_target"] else "–"),
            column_label(f"{cost_kpi}_diff"): format_difference(diff, "currency", currency),
            column_label(f"{cost_kpi}_diff_ci"): format_interval(
                float(r[f"{cost_kpi}_diff_ci_low"]), float(r[f"{cost_kpi}_diff_ci_high"]),
                "currency", currency),
        })
    return pd.DataFrame(rows)


def summary_rows(summary: pd.DataFrame, currency: str) -> pd.DataFrame:
    """Per shock and target, in words: whether it breaks (or was already missed by the
    baseline), the first day broken, the worst day and value beside the baseline's, the days
    broken and the days to recover."""
    missed = already_missed(summary).to_numpy(bool)
    rows = []
    for i, r in enumerate(summary.to_dict("records")):
        kpi = str(r["target"])
        breaks = (tr("yes") if bool(r["breaks"]) else
                  tr("no: baseline already misses it") if missed[i] else tr("no"))
        rows.append({
            column_label("shock"): str(r["shock"]),
            column_label("target"): kpi_label(kpi),
            column_label("breaks"): breaks,
            column_label("first_break_day"): _day(r["first_break_day"]),
            column_label("worst_day"): _day(r["worst_day"]),
            column_label("worst_value"): _value(kpi, r["worst_value"], currency),
            column_label("baseline_value"): _value(kpi, r["baseline_value"], currency),
            column_label("broken_days"): _day(r["broken_days"]) if r["judged"] == "daily"
            else "–",
            column_label("recovery_days"): _day(r["recovery_days"]),
            column_label("judged"): tr("per day") if r["judged"] == "daily"
            else tr("over the run"),
        })
    return pd.DataFrame(rows)


def already_missed_notes(summary: pd.DataFrame, currency: str) -> list[str]:
    """One sentence per target a shock made worse without a break, because the baseline was
    already on the wrong side (Markdown)."""
    notes = []
    for r in summary[already_missed(summary)].to_dict("records"):
        kpi = str(r["target"])
        unit = kpi_unit(kpi)
        where = (tr("on day {day}", day=_day(r["worst_day"])) if r["judged"] == "daily"
                 else tr("over the run"))
        notes.append(tr(
            "**{shock}** takes {name} to {value} {where} (baseline {base}), yet shows no break: "
            "the baseline already misses its target ({target}), and a break needs the baseline "
            "on the right side.", shock=str(r["shock"]), name=kpi_label(kpi),
            value=format_value(float(r["worst_value"]), unit, currency), where=where,
            base=format_value(float(r["baseline_value"]), unit, currency),
            target=format_value(float(r["target_value"]), unit, currency)))
    return notes
