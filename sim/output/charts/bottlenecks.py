"""The bottleneck chart: every crew's utilisation and every stock's fill rate, ranked, the ones
that bind drawn apart.

This module owns the figure of `sim.experiments.bottlenecks.Bottlenecks`: two panels of
horizontal bars (crews busiest first against the 85% line; SKUs lowest fill rate first against
the fill-rate target), each bar with its 95% interval; a binding bar is orange and hatched, a
crew whose targets miss below 85% is hatched in its own style, the rest grey, so the picture
reads in greyscale too. Texts come from `sim.output.labels`; the look from
`sim.output.charts.style`.
"""

from __future__ import annotations

import math
from collections.abc import Hashable
from typing import Any

import numpy as np
from matplotlib.axes import Axes
from matplotlib.figure import Figure

from sim.experiments.bottlenecks import Bottlenecks
from sim.i18n.messages import tr
from sim.output.bottleneck_view import BINDS, PRESSED, resource_name, status_of
from sim.output.charts import style as cs
from sim.output.charts import ticks
from sim.output.labels import days_label

FACE = {BINDS: cs.FILLS[1], PRESSED: "white", "slack": cs.BAR_FACE}
HATCH = {BINDS: cs.HATCHES[1], PRESSED: cs.HATCHES[4], "slack": ""}


def _panel(ax: Axes, rows: list[dict[Hashable, Any]], title: str) -> None:
    # The panel's title says crew or stock: a stock's bar is named by its SKU alone.
    names = [resource_name("crew", str(r["resource"])) if r["kind"] == "crew"
             else str(r["resource"]) for r in rows]
    means = np.array([float(str(r["mean"])) for r in rows])
    low = np.array([float(str(r["ci_low"])) for r in rows])
    high = np.array([float(str(r["ci_high"])) for r in rows])
    y = np.arange(len(rows))
    for i, r in enumerate(rows):
        status = status_of(r)
        ax.barh(y[i], means[i], color=FACE[status], hatch=HATCH[status],
                edgecolor=cs.EDGE_COLOR, linewidth=0.6, height=0.6)
        end = means[i]
        if math.isfinite(low[i]) and math.isfinite(high[i]):
            ax.errorbar([means[i]], [y[i]], xerr=[[means[i] - low[i]], [high[i] - means[i]]],
                        fmt="none", ecolor=cs.EDGE_COLOR, capsize=3, linewidth=1.0)
            end = max(end, high[i])
        # On a white patch: the dashed threshold line may run through the number.
        ax.annotate(f"{means[i]:.1%}", (end, y[i]), xytext=(4, 0), textcoords="offset points",
                    va="center", fontsize=cs.TICK_SIZE,
                    bbox={"facecolor": "white", "edgecolor": "none", "pad": 0.6})
    if rows:
        ax.axvline(float(str(rows[0]["threshold"])), color=cs.TARGET_COLOR,
                   linestyle=cs.TARGET_LINESTYLE, linewidth=1.3)
    ax.set_yticks(y, names)
    ax.set_ylim(len(rows) - 0.5, -0.5)  # the first rank on top
    ax.set_xlim(0.0, 1.15)  # room for the value written after a full bar
    ax.set_title(title, fontsize=cs.LABEL_SIZE)
    cs.style_axes(ax, tr("% (mean with 95% CI)"), "")
    ticks.share_axis(ax, "x")


def bottleneck_chart(found: Bottlenecks, scenario: str, *, stamp: str | None = None) -> Figure:
    """Two panels: crews by utilisation, stocks by fill rate, each ranked, binding ones marked.

    A legend inside a panel would cover the bars it explains, and one outside collides with
    the title: the dashed lines are named in the panel titles, the bar styles in the footnote.

    Args:
        found: ``sim.experiments.bottlenecks.bottlenecks`` of a run or a window.
        scenario: Name for the footnote.
        stamp: Date or other text for the footnote.

    Returns:
        The figure (one panel when the scenario keeps no stock).
    """
    rows = found.table.to_dict("records")
    crews = [r for r in rows if r["kind"] == "crew"]
    stocks = [r for r in rows if r["kind"] == "stock"]
    panels = [p for p in (crews, stocks) if p]
    height = max(3.4, 1.9 + 0.42 * max((len(p) for p in panels), default=1))
    fig, axes = cs.new_figure(1, max(len(panels), 1), width=cs.WIDTH_IN * 1.25, height=height)
    if crews:
        busy = f"{float(str(crews[0]['threshold'])):.0%}"
        _panel(axes[0], crews, tr("Crews: time busy (dashed: binds at {value})",
                                     value=busy))
    if stocks:
        target = f"{float(str(stocks[0]['threshold'])):.0%}"
        _panel(axes[-1], stocks, tr("Stock: fill rate per part (dashed: target {value})",
                                       value=target))
    title = tr("What binds in {days}", days=days_label(found.first_day, found.last_day))
    note = tr("Orange, hatched: binds; dotted: under 85% busy, yet its targets miss; grey: "
                 "slack. Bars: mean; whiskers: 95% CI")
    return cs.finish_figure(fig, title, scenario, note, stamp)
