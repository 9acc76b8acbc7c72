"""Figure builders the explorer adds to the experiment charts: the sweep's cost frontier.

This module owns the cost-against-service chart of a sweep: one point per grid point with both 95%
intervals, feasible points filled, the cheapest feasible one starred, the service KPI's target as a
line. The service KPI is the caller's choice (the Sweep page takes the targeted KPI the lever moves
most: the on-time rate for technicians, the service level for agents). Data in (the sweep summary
of `sim.experiments.sweep`), a `Figure` out; no statistics, no Streamlit. The look comes from
`sim.output.charts.style`.
"""

from __future__ import annotations

import math

import pandas as pd
from matplotlib.figure import Figure

from sim.i18n.messages import tr
from sim.output.charts import style as cs
from sim.output.charts import ticks
from sim.output.charts.experiments import CHEAPEST_LABEL
from sim.output.labels import kpi_label

X_KPI = "service_level"
Y_KPI = "total_cost"


def _value_text(value: object) -> str:
    return f"{value:g}" if isinstance(value, float) else str(value)


def frontier_figure(summary: pd.DataFrame, factor: str, cheapest: str | None, scenario: str,
                    currency: str, *, x_kpi: str = X_KPI, target: float | None = None,
                    factor_label: str | None = None, stamp: str | None = None) -> Figure:
    """Plot mean total cost against a service KPI's mean for every point of a one-factor sweep.

    The x axis spans every point's interval and the target, so whiskers and the target line
    are drawn whole (a target in the legend is a target on the chart).

    Args:
        summary: Sweep summary: `point`, the factor column, `kpi`, `mean`, `ci_low`, `ci_high`,
            `meets_targets`.
        factor: The factor column; each point is labelled with its value.
        cheapest: Id of the cheapest point meeting every target, or None.
        scenario: Name for the footnote.
        currency: Unit of the cost axis.
        x_kpi: The service KPI on the x axis (a share).
        target: Its target, drawn as a vertical line, or None.
        factor_label: The factor as a reader names it (default: the column's name).
        stamp: Date or other text for the footnote.

    Returns:
        The figure.
    """
    cs.require_columns(summary, ["point", factor, "kpi", "mean", "ci_low", "ci_high",
                                 "meets_targets"], "frontier_figure")
    cols = ["point", factor, "meets_targets", "mean", "ci_low", "ci_high"]
    x = summary[summary["kpi"] == x_kpi][cols].set_index("point")
    y = summary[summary["kpi"] == Y_KPI][cols].set_index("point")
    points = [p for p in x.index if p in y.index]
    fig, (ax,) = cs.new_figure()
    xs = x.loc[points, "mean"].to_numpy(float)
    ys = y.loc[points, "mean"].to_numpy(float)
    ax.plot(xs, ys, color=cs.COLORS[0], linestyle=":", linewidth=1.0, zorder=1)
    for i, point in enumerate(points):
        feasible = bool(x.loc[point, "meets_targets"])
        xerr = [[xs[i] - float(x.loc[point, "ci_low"])], [float(x.loc[point, "ci_high"]) - xs[i]]]
        yerr = [[ys[i] - float(y.loc[point, "ci_low"])], [float(y.loc[point, "ci_high"]) - ys[i]]]
        finite = all(math.isfinite(v[0]) for v in (*xerr, *yerr))
        style = cs.series_style(1 if feasible else 2)
        ax.errorbar([xs[i]], [ys[i]], xerr=xerr if finite else None,
                    yerr=yerr if finite else None, fmt=style.marker, color=style.color,
                    markerfacecolor=style.color if feasible else "white", markersize=7,
                    capsize=3, linewidth=1.0, zorder=3)
        ax.annotate(f"{point}: {_value_text(x.loc[point, factor])}", (xs[i], ys[i]),
                    xytext=(6, 6), textcoords="offset points", fontsize=cs.TICK_SIZE)
    for feasible, text in ((True, "Meets every target"), (False, "Misses a target")):
        style = cs.series_style(1 if feasible else 2)
        ax.plot([], [], linestyle="none", marker=style.marker, color=style.color,
                markerfacecolor=style.color if feasible else "white", label=tr(text))
    if cheapest in points:
        ax.plot([xs[points.index(cheapest)]], [ys[points.index(cheapest)]], linestyle="none",
                marker="*", markersize=16, color=cs.COLORS[5], markeredgecolor=cs.EDGE_COLOR,
                zorder=5, label=f"{tr(CHEAPEST_LABEL)} ({cheapest})")
    name = kpi_label(x_kpi)
    if target is not None:
        ax.axvline(target, color=cs.TARGET_COLOR, linestyle=cs.TARGET_LINESTYLE, linewidth=1.3,
                   label=tr("Target {value}", value=f"{target:.0%}"))
    cs.style_axes(ax, tr("{name} (%, mean with 95% CI)", name=name),
                  tr("Total cost ({currency}, mean with 95% CI)", currency=currency))
    ticks.share_axis(ax, "x")
    ticks.thousands_axis(ax)
    ends = [*xs, *x.loc[points, "ci_low"].to_numpy(float),
            *x.loc[points, "ci_high"].to_numpy(float), *([target] if target is not None else [])]
    ends = [v for v in ends if math.isfinite(v)]
    if ends:
        low, high = min(ends), max(ends)
        span = (high - low) or 0.05
        # Room on the right for the point labels written after each marker.
        ax.set_xlim(max(0.0, low - 0.08 * span), min(1.02, high + 0.2 * span))
    cs.legend(ax, loc="best")
    note = tr("Points in order of {factor}; filled: meets every target with confidence",
                 factor=factor_label or factor)
    return cs.finish_figure(fig, tr("Total cost against {name} across the sweep", name=name),
                            scenario, note, stamp)
