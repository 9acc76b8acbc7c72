"""Figure builders for stress tests: tidy data in, a matplotlib `Figure` out.

This module owns what the stress charts show: each shock's daily trajectory against the baseline's
(mean and 95% band, clipped to what the series can take) with the shock window shaded and the
target drawn, and the broken days per shock and target. Statistics come from
`sim.experiments.stress.analysis.bounded_mean_ci`, the look from
`sim.output.charts.style`; nothing here judges a target (`sim.experiments.stress.analysis`) or
writes a file.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping, Sequence

import numpy as np
import pandas as pd
from matplotlib.figure import Figure

from sim.experiments.stress.analysis import BASELINE, bounded_mean_ci
from sim.i18n.messages import kpi_name, tr
from sim.output.charts import style as cs
from sim.output.charts import ticks

WINDOW_COLOR = "#999999"
WINDOW_ALPHA = 0.22


def stress_daily(
    daily: pd.DataFrame,
    column: str,
    ylabel: str,
    windows: Mapping[str, tuple[float, float]],
    scenario: str,
    *,
    target: float | None = None,
    target_label: str = "Target",
    share: bool = False,
    stamp: str | None = None,
) -> Figure:
    """Plot one daily series per shock against the baseline, one panel per shock.

    Input columns: `shock` (`baseline` for the base run), `rep`, `day` and `column`.

    Args:
        daily: Daily per-replication rows of every run.
        column: The series to plot.
        ylabel: Y-axis label including the unit.
        windows: Shock name -> (start day, end day), in panel order; shaded in each panel.
        scenario: Base scenario name for the footnote.
        target: Optional threshold, drawn as a dashed line.
        target_label: Legend word for the threshold (e.g. "Limit"); its value is appended.
        share: True if values are 0..1 shares, shown as percentages.
        stamp: Optional run stamp for the footnote.

    Returns:
        The figure.
    """
    cs.require_columns(daily, ["shock", "rep", "day", column], f"stress_{column}")
    shocks = list(windows)
    ncols = min(2, max(1, len(shocks)))
    nrows = max(1, math.ceil(len(shocks) / ncols))
    fig, axes = cs.new_figure(nrows, ncols, width=6.0 * ncols + 1.0, height=3.0 * nrows + 1.2,
                              sharex=True)
    base = bounded_mean_ci(daily[daily["shock"] == BASELINE], "day", column)
    # A window may start before the measured days or outlast them: shade only what is drawn.
    first, last = float(daily["day"].min()), float(daily["day"].max())
    for k, (ax, shock) in enumerate(zip(axes, shocks, strict=False)):
        start, end = max(windows[shock][0], first), min(windows[shock][1], last)
        if start < end:
            ax.axvspan(start, end, color=WINDOW_COLOR, alpha=WINDOW_ALPHA, linewidth=0,
                       label=tr("Shock window"))
        cs.plot_band(ax, base["day"], base, cs.series_style(0), tr("Baseline"))
        ci = bounded_mean_ci(daily[daily["shock"] == shock], "day", column)
        cs.plot_band(ax, ci["day"], ci, cs.series_style(1), shock)
        if target is not None:
            value = f"{target:.0%}" if share else f"{target:g}"
            cs.target_hline(ax, target, tr("{word} {value}", word=tr(target_label),
                                              value=value))
        ax.set_title(shock, fontsize=cs.LABEL_SIZE)
        xlabel = tr("Simulated day (day number)") if k + ncols >= len(shocks) else ""
        cs.style_axes(ax, xlabel, ylabel)
        if share:
            ticks.share_axis(ax)
            ax.set_ylim(0.0, 1.02)
        cs.legend(ax, loc="best")
    for ax in axes[len(shocks):]:
        ax.set_visible(False)
    n_reps = int(daily["rep"].nunique())
    # The series' name without its unit, which Chinese writes in full-width brackets.
    title = tr("{name} per day under each shock vs the baseline",
                  name=re.split(r" \(|（", ylabel)[0])
    note = tr("{band}; grey: shock window; same seeds in every run",
                 band=cs.band_note(n_reps))
    return cs.finish_figure(fig, title, scenario, note, stamp)


def damage_by_target(
    summary: pd.DataFrame,
    order: Sequence[str],
    scenario: str,
    *,
    stamp: str | None = None,
) -> Figure:
    """Plot the broken days of each shock as horizontal bars stacked by target.

    Input columns: `shock`, `target`, `broken_days` (nan for targets judged on the run only,
    drawn as 0).

    Args:
        summary: The stress summary table.
        order: Shocks from most to least damaging (drawn top to bottom).
        scenario: Base scenario name for the footnote.
        stamp: Optional run stamp for the footnote.

    Returns:
        The figure.
    """
    cs.require_columns(summary, ["shock", "target", "broken_days"], "stress_damage")
    table = (summary.assign(broken_days=summary["broken_days"].astype(float).fillna(0.0))
             .pivot_table(index="shock", columns="target", values="broken_days",
                          aggfunc="sum", sort=False)
             .reindex(index=list(order)).fillna(0.0))
    table = table.loc[:, table.sum(axis=0) > 0]
    shocks = list(table.index)
    fig, (ax,) = cs.new_figure(height=max(3.0, 0.55 * len(shocks) + 1.8))
    y = np.arange(len(shocks))[::-1]
    left = np.zeros(len(shocks))
    for i, target in enumerate(table.columns):
        values = table[target].to_numpy(dtype=float)
        style = cs.series_style(i)
        ax.barh(y, values, left=left, height=0.6, color=style.fill, hatch=style.hatch,
                edgecolor=cs.EDGE_COLOR, linewidth=0.5, label=kpi_name(str(target)))
        left = left + values
    ax.set_yticks(y)
    ax.set_yticklabels(shocks)
    ax.set_xlim(0.0, max(float(left.max(initial=0.0)) * 1.1, 1.0))
    cs.style_axes(ax, tr("Days broken: 95% CI wholly on the wrong side, baseline not (days)"),
                  tr("Shock"))
    cs.legend(ax, loc="lower right")
    note = tr("Most damaging shock on top; every targeted KPI is judged per day")
    return cs.finish_figure(fig, tr("Broken days per shock and target"), scenario, note,
                            stamp)
