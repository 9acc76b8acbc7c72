"""Figure builders for the results folder: tidy data in, a matplotlib `Figure` out.

This module owns what each chart shows. It does not compute statistics of the simulation (that
is `sim.measure`), does not write files (that is `sim.output.folder`) and keeps its shared look
and the byte-stable `figure_bytes` in `sim.output.charts.style`. Builders never use pyplot, so
they are safe in worker threads and need no display backend.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd
from matplotlib.axes import Axes
from matplotlib.figure import Figure
from matplotlib.lines import Line2D

from sim.i18n.messages import line_name, tr
from sim.measure.stats import mean_ci
from sim.output.charts import style as cs
from sim.output.charts import ticks


def _bands_figure(
    daily: pd.DataFrame,
    series: Sequence[tuple[str, str]],
    ylabel: str,
    title: str,
    scenario: str,
    *,
    target: float | None = None,
    target_label: str | None = None,
    share: bool = False,
    stamp: str | None = None,
) -> Figure:
    """Mean-per-day lines with CI bands for one or more columns of `daily`."""
    cs.require_columns(daily, ["rep", "day", *[col for col, _ in series]], title)
    fig, (ax,) = cs.new_figure()
    for i, (column, label) in enumerate(series):
        ci = mean_ci(daily, "day", column)
        cs.plot_band(ax, ci["day"], ci, cs.series_style(i), label)
    if target is not None:
        value = f"{target:.0%}" if share else f"{target:g}"
        cs.target_hline(ax, target, target_label or tr("Target {value}", value=value))
    cs.style_axes(ax, tr("Simulated day (day number)"), ylabel)
    if share:
        ticks.share_axis(ax)
        ax.set_ylim(0.0, 1.02)
    cs.legend(ax, loc="best")
    n_reps = int(daily["rep"].nunique())
    return cs.finish_figure(fig, title, scenario, cs.band_note(n_reps), stamp)


def daily_kpi_band(
    daily: pd.DataFrame,
    column: str,
    ylabel: str,
    title: str,
    scenario: str,
    target: float | None = None,
    *,
    share: bool = False,
    stamp: str | None = None,
) -> Figure:
    """Plot one daily KPI: mean over replications per day with a 95 % t-CI band.

    Input columns: `rep`, `day` and `column` (one row per replication and day).

    Args:
        daily: Daily per-replication table.
        column: KPI column to plot.
        ylabel: Y-axis label including the unit.
        title: Figure title.
        scenario: Scenario name for the footnote.
        target: Optional target, drawn as a dashed horizontal line.
        share: True if values are 0..1 shares, shown as percentages.
        stamp: Optional run stamp for the footnote.

    Returns:
        The figure.
    """
    label = ylabel.split(" (")[0]
    return _bands_figure(
        daily, [(column, label)], ylabel, title, scenario, target=target, share=share, stamp=stamp
    )


def service_level_per_day(
    daily: pd.DataFrame,
    target: float | None,
    answer_target_seconds: float,
    scenario: str,
    *,
    stamp: str | None = None,
) -> Figure:
    """Plot the daily service level with its CI band and target.

    Input columns: `rep`, `day`, `service_level` (share 0..1 answered within the answer target).

    Args:
        daily: Daily per-replication table.
        target: Service-level target as a share, or None.
        answer_target_seconds: The answer-time threshold that defines the service level.
        scenario: Scenario name for the footnote.
        stamp: Optional run stamp for the footnote.

    Returns:
        The figure.
    """
    seconds = f"{answer_target_seconds:g}"
    return daily_kpi_band(
        daily,
        "service_level",
        tr("Service level (% of calls answered within {seconds} s)", seconds=seconds),
        tr("Service level per day (answered within {seconds} s)", seconds=seconds),
        scenario,
        target,
        share=True,
        stamp=stamp,
    )


def backlog_per_day(daily: pd.DataFrame, scenario: str, *, stamp: str | None = None) -> Figure:
    """Plot open work orders and jobs waiting for parts per day, each with a CI band.

    Input columns: `rep`, `day`, `open_work_orders`, `jobs_waiting_parts`.

    Args:
        daily: Daily per-replication table.
        scenario: Scenario name for the footnote.
        stamp: Optional run stamp for the footnote.

    Returns:
        The figure.
    """
    series = [
        ("open_work_orders", tr("Open work orders")),
        ("jobs_waiting_parts", tr("Jobs waiting for parts")),
    ]
    return _bands_figure(
        daily, series, tr("Jobs (count)"), tr("Field-service backlog per day"), scenario,
        stamp=stamp
    )


def offered_vs_staffed(hourly: pd.DataFrame, scenario: str, *, stamp: str | None = None) -> Figure:
    """Plot mean offered calls per hour against staffed agents over a typical week.

    Input columns: `rep`, `hour_of_week` (0..167, 0 = Monday 00:00-01:00), `offered_per_hour`,
    `staffed_agents`. Rows from several replications (and weeks) are averaged per hour of week.

    Args:
        hourly: Hourly per-replication table.
        scenario: Scenario name for the footnote.
        stamp: Optional run stamp for the footnote.

    Returns:
        The figure.
    """
    cols = ["rep", "hour_of_week", "offered_per_hour", "staffed_agents"]
    cs.require_columns(hourly, cols, "offered_vs_staffed")
    hours = np.arange(168)
    means = (
        hourly.groupby("hour_of_week")[["offered_per_hour", "staffed_agents"]]
        .mean()
        .reindex(hours)
    )
    fig, (ax,) = cs.new_figure(width=10.0)
    ax.bar(
        hours + 0.5,
        means["offered_per_hour"].to_numpy(dtype=float),
        width=1.0,
        color=cs.BAR_FACE,
        edgecolor="#777777",
        linewidth=0.3,
        label=tr("Offered calls (mean)"),
    )
    right = ax.twinx()
    staffed = means["staffed_agents"].to_numpy(dtype=float)
    right.stairs(staffed, np.arange(169), color=cs.COLORS[0], linewidth=1.6,
                label=tr("Staffed agents"))
    right.set_ylabel(tr("Staffed agents (agents)"), fontsize=cs.LABEL_SIZE)
    right.tick_params(labelsize=cs.TICK_SIZE)
    right.set_ylim(bottom=0.0)
    ax.set_ylim(bottom=0.0)
    cs.style_axes(ax, tr("Hour of week (h; gridlines at midnight)"),
                  tr("Offered calls (calls per hour)"))
    cs.week_axis(ax)
    handles = [
        *ax.get_legend_handles_labels()[0],
        Line2D([], [], color=cs.COLORS[0], linewidth=1.6),
    ]
    ax.legend(handles, [tr("Offered calls (mean)"), tr("Staffed agents (mean)")],
              fontsize=cs.LEGEND_SIZE, frameon=False, loc="upper right")
    n_reps = int(hourly["rep"].nunique())
    note = tr("Mean over {n} replication(s) and all simulated weeks", n=n_reps)
    title = tr("Offered calls vs staffed agents over a week")
    return cs.finish_figure(fig, title, scenario, note, stamp)


def wait_distribution(
    hist: pd.DataFrame,
    answer_target_seconds: float,
    scenario: str,
    *,
    stamp: str | None = None,
) -> Figure:
    """Plot the distribution of waits of answered calls, pooled over replications.

    Input columns: `bin_low_seconds`, `bin_high_seconds`, `count`. The last bin's high may be
    inf; it is drawn as a hatched overflow bar labelled ">= X s". Rows with the same bin (e.g.
    one per replication) are summed.

    Args:
        hist: Histogram table.
        answer_target_seconds: Answer-time target, drawn as a vertical line.
        scenario: Scenario name for the footnote.
        stamp: Optional run stamp for the footnote.

    Returns:
        The figure.
    """
    cs.require_columns(hist, ["bin_low_seconds", "bin_high_seconds", "count"], "wait_distribution")
    fig, (ax,) = cs.new_figure()
    cs.histogram_shares(ax, hist, "bin_low_seconds", "bin_high_seconds", "s")
    ax.axvline(answer_target_seconds, color=cs.TARGET_COLOR, linestyle=cs.TARGET_LINESTYLE,
               linewidth=1.3,
               label=tr("Answer target {seconds} s", seconds=f"{answer_target_seconds:g}"))
    cs.style_axes(ax, tr("Wait before answer (seconds)"),
                  tr("Share of answered calls (%)"))
    cs.legend(ax, loc="upper right")
    note = tr("Pooled over all replications")
    return cs.finish_figure(fig, tr("Waiting time of answered calls"), scenario, note, stamp)


def turnaround_distribution(
    hist: pd.DataFrame,
    promised_hours: Mapping[str, float],
    scenario: str,
    *,
    stamp: str | None = None,
) -> Figure:
    """Plot the distribution of repair turnaround times with the promised times.

    Input columns: `bin_low_hours`, `bin_high_hours`, `count` (pooled; an infinite last bin is
    drawn as an overflow bar).

    Args:
        hist: Histogram table.
        promised_hours: Promise per repair channel (e.g. {"onsite": 48, "depot": 96}); each is a
            vertical line with its own line style.
        scenario: Scenario name for the footnote.
        stamp: Optional run stamp for the footnote.

    Returns:
        The figure.
    """
    cols = ["bin_low_hours", "bin_high_hours", "count"]
    cs.require_columns(hist, cols, "turnaround_distribution")
    fig, (ax,) = cs.new_figure()
    cs.histogram_shares(ax, hist, "bin_low_hours", "bin_high_hours", "h")
    for i, (channel, hours) in enumerate(promised_hours.items()):
        # Start at style 1 so every promise line is broken and stands out from the bar edges.
        style = cs.series_style(i + 1)
        ax.axvline(hours, color=style.color, linestyle=style.linestyle, linewidth=1.4,
                   label=tr("Promised {channel}: {hours} h", channel=tr(channel),
                             hours=f"{hours:g}"))
    cs.style_axes(ax, tr("Turnaround from call to final fix (hours)"),
                  tr("Share of finished repairs (%)"))
    cs.legend(ax, loc="upper right")
    note = tr("Pooled over all replications")
    return cs.finish_figure(fig, tr("Repair turnaround time"), scenario, note, stamp)


def stock_per_sku(
    daily: pd.DataFrame,
    reorder_points: Mapping[str, float | None],
    scenario: str,
    *,
    stamp: str | None = None,
) -> Figure:
    """Plot mean on-hand stock per SKU, one small panel per SKU, with the reorder point.

    Input columns: `rep`, `day` and `on_hand_<sku>` for each SKU (discovered by prefix, in
    column order).

    Args:
        daily: Daily per-replication table.
        reorder_points: Reorder point per SKU; None or absent means no line (e.g. base-stock).
        scenario: Scenario name for the footnote.
        stamp: Optional run stamp for the footnote.

    Returns:
        The figure.

    Raises:
        ValueError: If no `on_hand_` column exists.
    """
    prefix = "on_hand_"
    skus = [str(c)[len(prefix):] for c in daily.columns if str(c).startswith(prefix)]
    if not skus:
        raise ValueError(f"stock_per_sku: no '{prefix}<sku>' columns; got {list(daily.columns)}")
    cs.require_columns(daily, ["rep", "day"], "stock_per_sku")
    ncols = min(3, len(skus))
    nrows = math.ceil(len(skus) / ncols)
    fig, axes = cs.new_figure(nrows, ncols, width=4.0 * ncols + 1.0, height=2.6 * nrows + 1.0)
    for k, (ax, sku) in enumerate(zip(axes, skus, strict=False)):
        ci = mean_ci(daily, "day", prefix + sku)
        cs.plot_band(ax, ci["day"], ci, cs.series_style(0), tr("On hand (mean)"))
        reorder = reorder_points.get(sku)
        if reorder is not None:
            cs.target_hline(ax, reorder, tr("Reorder point {level}", level=f"{reorder:g}"))
        ax.set_title(sku, fontsize=cs.LABEL_SIZE)
        ax.set_ylim(bottom=0.0)
        # Only the lowest panel of each column carries the x label; the days are the same.
        xlabel = tr("Simulated day (day number)") if k + ncols >= len(skus) else ""
        cs.style_axes(ax, xlabel, tr("On hand (units)"))
        cs.legend(ax, loc="best")
    for ax in axes[len(skus):]:
        ax.set_visible(False)
    n_reps = int(daily["rep"].nunique())
    return cs.finish_figure(fig, tr("Stock on hand per SKU"), scenario, cs.band_note(n_reps),
                            stamp)


def cost_per_department(
    budget: pd.DataFrame, currency: str, scenario: str, *, stamp: str | None = None,
    revenue: pd.DataFrame | None = None,
) -> Figure:
    """Plot the mean monthly cost as stacked bars per department, with each month's total.

    Input columns (long format): `month` (a calendar month `YYYY-MM`, or any labels in the
    order of their first row), `department`, `mean`, `ci_low`, `ci_high`. The CI columns are
    validated but not drawn: intervals of stacked segments do not add up to an interval of the
    total, and drawing them would suggest they do.

    Args:
        budget: Monthly cost table, one row per month and department.
        currency: Currency code for the axis label, e.g. "EUR".
        scenario: Scenario name for the footnote.
        stamp: Optional run stamp for the footnote.
        revenue: Optional monthly revenue (`month`, `mean`, `ci_low`, `ci_high`), drawn as a
            line with its 95% CI over the bars, so the margin reads as the gap.

    Returns:
        The figure.
    """
    cols = ["month", "department", "mean", "ci_low", "ci_high"]
    cs.require_columns(budget, cols, "cost_per_department")
    departments = [str(d) for d in pd.unique(budget["department"].astype(str))]
    labels = [str(m) for m in pd.unique(budget["month"].astype(str))]
    table = (
        budget.assign(department=budget["department"].astype(str),
                      month=budget["month"].astype(str))
        .pivot_table(index="month", columns="department", values="mean", aggfunc="sum")
        .reindex(index=labels, columns=departments)
        .fillna(0.0)
    )
    x = np.arange(len(labels), dtype=float)
    fig, (ax,) = cs.new_figure(width=max(8.0, 0.6 * len(labels) + 4.0))
    bottom = np.zeros(len(labels))
    for i, dept in enumerate(departments):
        values = table[dept].to_numpy(dtype=float)
        style = cs.series_style(i)
        ax.bar(x, values, bottom=bottom, width=0.7, color=style.fill,
               hatch=style.hatch, edgecolor=cs.EDGE_COLOR, linewidth=0.5, label=line_name(dept))
        bottom = bottom + values
    for at, total in zip(x, bottom, strict=True):
        ax.annotate(f"{total:,.0f}", (float(at), float(total)), xytext=(0, 3),
                    textcoords="offset points", ha="center", va="bottom", fontsize=cs.TICK_SIZE)
    top = float(bottom.max(initial=0.0))
    if revenue is not None and not revenue.empty:
        cs.require_columns(revenue, ["month", "mean", "ci_low", "ci_high"], "revenue")
        r = revenue.assign(month=revenue["month"].astype(str)).set_index("month").reindex(labels)
        mean = r["mean"].to_numpy(float)
        ax.errorbar(x, mean,
                    yerr=[mean - r["ci_low"].to_numpy(float), r["ci_high"].to_numpy(float) - mean],
                    color=cs.EDGE_COLOR, marker="D", markersize=5, linewidth=1.5, capsize=4,
                    label=tr("revenue (95% CI)"))
        top = max(top, float(np.nanmax(r["ci_high"].to_numpy(float), initial=0.0)))
    ax.set_xticks(x, ticks.month_ticks(budget, labels), rotation=45 if len(labels) > 6 else 0,
                  ha="right" if len(labels) > 6 else "center")
    ax.set_ylim(0.0, top * 1.12 or 1.0)
    ylabel = (tr("Cost and revenue ({currency} per month)", currency=currency)
              if revenue is not None else tr("Cost ({currency} per month)", currency=currency))
    cs.style_axes(ax, tr("Calendar month"), ylabel)
    ticks.thousands_axis(ax)
    _outside_legend(ax)
    note = tr("Bars: mean over replications; labels: total {currency}; CIs in the budget table",
              currency=currency)
    title = (tr("Monthly cost per department and revenue") if revenue is not None
             else tr("Monthly cost per department"))
    return cs.finish_figure(fig, title, scenario, note, stamp)


def _outside_legend(ax: Axes, **kwargs: Any) -> None:
    """Legend to the right of the axes, so it never hides a bar."""
    cs.legend(ax, loc="upper left", bbox_to_anchor=(1.01, 1.0), **kwargs)
