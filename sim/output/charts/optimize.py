"""Figure builders of the planning commands: the optimizer's cost frontier and the warm-up chart.

Like ``sim.output.charts.run``, this module owns what each chart shows and nothing else: tidy tables
in, a matplotlib ``Figure`` out, in the shared look of ``sim.output.charts.style``, without pyplot.
"""

from __future__ import annotations

import math
from collections.abc import Mapping

import numpy as np
import pandas as pd
from matplotlib.figure import Figure

from sim.experiments.warmup import STOCK_PREFIX
from sim.i18n.messages import kpi_name, tr
from sim.output.charts import style as cs
from sim.output.charts import ticks


def pareto_front(kpi: np.ndarray, cost: np.ndarray, at_least: bool) -> np.ndarray:
    """Indexes of the non-dominated points: no other point is as good on the KPI and cheaper.

    Args:
        kpi: KPI value per point.
        cost: Cost per point.
        at_least: True when a larger KPI is better.

    Returns:
        Indexes of the frontier, ordered from the cheapest.
    """
    goodness = kpi if at_least else -kpi
    order = np.lexsort((-goodness, cost))  # by cost, then best KPI first among equal costs
    front: list[int] = []
    best = -math.inf
    for i in order:
        if goodness[i] > best:
            front.append(int(i))
            best = float(goodness[i])
    return np.asarray(front, dtype=int)


def cost_frontier(
    table: pd.DataFrame,
    kpi: str,
    target: float | None,
    at_least: bool,
    share: bool,
    currency: str,
    scenario: str,
    *,
    stamp: str | None = None,
) -> Figure:
    """Plot every evaluated decision as total cost against a KPI, with the cost frontier.

    Input columns: ``total_cost``, ``<kpi>``, ``<kpi>_ci_low``, ``<kpi>_ci_high``, ``feasible``,
    ``chosen`` (one row per evaluation). Feasible decisions are filled, infeasible ones hollow,
    the chosen one is a large star; the horizontal bars are the KPI's 95% intervals.

    Args:
        table: The optimizer's evaluations.
        kpi: The KPI on the x axis (the binding one).
        target: Its target, drawn as a vertical line, or None.
        at_least: True when a larger KPI is better (for the frontier).
        share: True if the KPI is a 0..1 share, shown as a percentage.
        currency: Currency code for the cost axis.
        scenario: Scenario name for the footnote.
        stamp: Optional run stamp for the footnote.

    Returns:
        The figure.
    """
    cols = ["total_cost", kpi, f"{kpi}_ci_low", f"{kpi}_ci_high", "feasible", "chosen"]
    cs.require_columns(table, cols, "cost_frontier")
    fig, (ax,) = cs.new_figure()
    x = table[kpi].to_numpy(float)
    y = table["total_cost"].to_numpy(float)
    feasible = table["feasible"].to_numpy(bool)
    chosen = table["chosen"].to_numpy(bool)
    ok = np.isfinite(x) & np.isfinite(y)
    err = np.vstack([x - table[f"{kpi}_ci_low"].to_numpy(float),
                     table[f"{kpi}_ci_high"].to_numpy(float) - x])
    err = np.where(np.isfinite(err), err, 0.0)
    front = pareto_front(x[ok], y[ok], at_least)
    if front.size > 1:
        fx, fy = x[ok][front], y[ok][front]
        order = np.argsort(fx)
        ax.step(fx[order], fy[order], where="post" if at_least else "pre",
                color=cs.COLORS[6], linewidth=1.2,
                label=tr("Cost frontier of evaluated decisions"))
    for mask, style, label, face in (
        (ok & ~feasible, cs.series_style(2), tr("Misses a target (95% CI)"), "white"),
        (ok & feasible, cs.series_style(1), tr("Meets every target (95% CI)"), None),
    ):
        if mask.any():
            ax.errorbar(x[mask], y[mask], xerr=err[:, mask], fmt=style.marker, color=style.color,
                        markerfacecolor=face or style.color, markersize=6, elinewidth=0.8,
                        capsize=2, linestyle="none", label=label)
    if (ok & chosen).any():
        ax.plot(x[ok & chosen], y[ok & chosen], marker="*", markersize=17, linestyle="none",
                color=cs.COLORS[5], markeredgecolor=cs.EDGE_COLOR, label=tr("Chosen decision"))
    if target is not None:
        label = tr("Target {value}", value=f"{target:.0%}" if share else f"{target:g}")
        ax.axvline(target, color=cs.TARGET_COLOR, linestyle=cs.TARGET_LINESTYLE, linewidth=1.3,
                   label=label)
    # kpi_name is the key itself in English, so the English axis reads as it always did.
    name = kpi_name(kpi).replace("_", " ")
    cs.style_axes(ax, name.capitalize(), tr("Total cost ({currency}, horizon)", currency=currency))
    if share:
        ticks.share_axis(ax, "x")
    ticks.thousands_axis(ax)
    cs.legend(ax, loc="best")
    reps = sorted({int(r) for r in table.get("replications", pd.Series([], dtype=int))})
    note = tr("{n} evaluations under common random numbers; replications {reps}", n=len(table),
              reps=", ".join(map(str, reps)))
    return cs.finish_figure(fig, tr("Cost against {name}", name=name), scenario, note, stamp)


def series_name(name: str) -> str:
    """A warm-up series in the reader's language: in English its column name as it always
    printed (``on_hand_compressor``), in Chinese the KPI's term or the SKU's stock."""
    if name.startswith(STOCK_PREFIX):
        return tr("on_hand_{sku}", sku=name.removeprefix(STOCK_PREFIX))
    return kpi_name(name)


def warmup_series(
    series: pd.DataFrame,
    truncation_days: Mapping[str, int],
    suggested_days: int,
    replications: int,
    scenario: str,
    *,
    stamp: str | None = None,
) -> Figure:
    """Plot each daily series (mean over replications) with its MSER-5 truncation point.

    Input columns: ``day`` and one column per series named in ``truncation_days``. The deleted
    start of each series is shaded and the suggested warm-up is a vertical line in every panel.

    Args:
        series: Daily means over replications of a run without warm-up.
        truncation_days: Series name -> days MSER-5 deletes.
        suggested_days: The overall suggestion (the largest truncation).
        replications: Replications behind each mean (for the footnote).
        scenario: Scenario name for the footnote.
        stamp: Optional run stamp for the footnote.

    Returns:
        The figure.

    Raises:
        ValueError: If a named series is missing or there is none.
    """
    names = list(truncation_days)
    if not names:
        raise ValueError("warmup_series: no series to plot")
    cs.require_columns(series, ["day", *names], "warmup_series")
    ncols = min(2, len(names))
    nrows = math.ceil(len(names) / ncols)
    fig, axes = cs.new_figure(nrows, ncols, width=5.0 * ncols + 1.0, height=2.6 * nrows + 1.0)
    day = series["day"].to_numpy(float)
    first = float(day[0]) if day.size else 0.0
    for k, (ax, name) in enumerate(zip(axes, names, strict=False)):
        style = cs.series_style(0)
        ax.plot(day, series[name].to_numpy(float), color=style.color, linewidth=1.2,
                label=tr("Mean over replications"))
        cut = truncation_days[name]
        if cut > 0:
            ax.axvspan(first, first + cut, color=cs.FILLS[7], alpha=0.5,
                       label=tr("MSER-5 deletes {days} d", days=cut))
        ax.axvline(first + suggested_days, color=cs.TARGET_COLOR, linestyle=cs.TARGET_LINESTYLE,
                   linewidth=1.3, label=tr("Suggested warm-up {days} d", days=suggested_days))
        ax.set_title(series_name(name).replace("_", " "), fontsize=cs.LABEL_SIZE)
        xlabel = tr("Simulated day (day number)") if k + ncols >= len(names) else ""
        cs.style_axes(ax, xlabel, "")
        if name == "service_level":
            ticks.share_axis(ax)
        cs.legend(ax, loc="best")
    for ax in axes[len(names):]:
        ax.set_visible(False)
    note = tr("Run without warm-up; line: mean of {n} replications per day", n=replications)
    return cs.finish_figure(fig, tr("Warm-up: MSER-5 suggests {days} days", days=suggested_days),
                            scenario,
                            note, stamp)
