"""The late-drivers chart: where the time of late repairs goes, cause by cause.

This module owns ``late_drivers``: a stacked bar per replication (and one for their mean) of the
hours a late work order spent on each cause (booking, dispatch, travel, parts, depot, rework,
work), from the ``late_drivers.csv`` table. The tallest segment is the lever: technicians for
dispatch, stock for parts, quality for rework. Like every builder it takes tidy data and returns
a ``Figure`` without pyplot (``sim.output.charts.style``).
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from matplotlib.figure import Figure

from sim.i18n.messages import tr
from sim.output.charts import style as cs


def late_drivers(drivers: pd.DataFrame, scenario: str, *, stamp: str | None = None) -> Figure:
    """Plot the hours per late work order by cause, stacked, per replication and their mean.

    Input columns: ``rep``, ``cause``, ``late_jobs``, ``hours`` (per late work order),
    ``share``. Causes keep their order in the table.

    Args:
        drivers: The late-drivers table (``sim.experiments.replicate.late_drivers_table``).
        scenario: Scenario name for the footnote.
        stamp: Optional run stamp for the footnote.

    Returns:
        The figure (a note instead of bars when no repair was late).
    """
    cs.require_columns(drivers, ["rep", "cause", "late_jobs", "hours", "share"], "late_drivers")
    causes = [str(c) for c in pd.unique(drivers["cause"].astype(str))]
    table = (drivers.assign(cause=drivers["cause"].astype(str))
             .pivot_table(index="rep", columns="cause", values="hours", aggfunc="sum")
             .reindex(columns=causes).fillna(0.0).sort_index())
    late = drivers.groupby("rep")["late_jobs"].first().reindex(table.index).fillna(0)
    weights = late.to_numpy(float)
    mean = (table.to_numpy(float) * weights[:, None]).sum(axis=0) / weights.sum() \
        if weights.sum() > 0 else np.zeros(len(causes))
    labels = [tr("rep {rep}", rep=r) for r in table.index] + [tr("all")]
    values = np.vstack((table.to_numpy(float), mean[None, :])) if len(causes) else \
        np.zeros((len(labels), 0))
    fig, (ax,) = cs.new_figure(width=max(8.0, 0.55 * len(labels) + 5.0))
    x = np.arange(len(labels))
    bottom = np.zeros(len(labels))
    for i, cause in enumerate(causes):
        style = cs.series_style(i)
        ax.bar(x, values[:, i], bottom=bottom, width=0.7, color=style.fill, hatch=style.hatch,
               edgecolor=cs.EDGE_COLOR, linewidth=0.5, label=tr(cause))
        bottom = bottom + values[:, i]
    for xi, total, n in zip(x, bottom, [*late.tolist(), int(weights.sum())], strict=True):
        ax.annotate(tr("{hours} h\n{late} late", hours=f"{total:,.0f}", late=f"{int(n):,}"),
                    (float(xi), float(total)),
                    xytext=(0, 3), textcoords="offset points", ha="center", va="bottom",
                    fontsize=cs.TICK_SIZE)
    ax.set_xticks(x, labels)
    ax.set_ylim(0.0, float(bottom.max(initial=0.0)) * 1.18 or 1.0)
    cs.style_axes(ax, tr("Replication"), tr("Hours per late work order, call to finish"))
    cs.legend(ax, loc="upper left", bbox_to_anchor=(1.01, 1.0))
    note = tr("Late: finished after the promise, or still open at the run-out's cap; 'all' is "
              "the mean over every late work order")
    if weights.sum() == 0:
        note = tr("No repair was late in any replication")
    return cs.finish_figure(fig, tr("Why repairs are late"), scenario, note, stamp)
