"""Figure builders for the experiment commands: a KPI across a sweep, paired differences.

This module owns what the sweep and compare charts show; the look, the CI band and the byte-stable
export come from `sim.output.charts.style`. Builders take the tidy tables of `sim.experiments.sweep`
/ `sim.experiments.compare` and return a `Figure`; they compute no statistics themselves.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd
from matplotlib.figure import Figure
from matplotlib.ticker import MaxNLocator

from sim.i18n.messages import tr, unit_name
from sim.measure.catalog import KPI_BY_NAME
from sim.output.charts import style as cs
from sim.output.charts import ticks
from sim.output.labels import kpi_label, unit_label

# A msgid: shown through `tr`.
CHEAPEST_LABEL = "Cheapest point meeting every target"


def _is_number(value: Any) -> bool:
    return isinstance(value, int | float | np.number) and not isinstance(value, bool | np.bool_)


def _unit(kpi: str, currency: str) -> str:
    info = KPI_BY_NAME.get(kpi)
    unit = info.unit if info is not None else ""
    return currency if unit == "currency" and currency else unit


def sweep_kpi_chart(
    summary: pd.DataFrame,
    factors: Sequence[str],
    kpi: str,
    target: float | None,
    cheapest: str | None,
    scenario: str,
    *,
    currency: str = "",
    factor_labels: Mapping[str, str] | None = None,
    stamp: str | None = None,
) -> Figure:
    """Plot one KPI against the first factor: mean line, 95% CI band, target, cheapest point.

    With several factors, each combination of the other factors is its own line. A factor
    whose values are not all numbers (e.g. a dispatch rule) is drawn as evenly spaced categories.

    Args:
        summary: The sweep summary: `point`, one column per factor, `kpi`, `mean`, `ci_low`,
            `ci_high`, `n`.
        factors: The factor columns; the first is the x axis.
        kpi: The KPI to plot.
        target: The KPI's target, or None.
        cheapest: Id of the cheapest point meeting every target, or None.
        scenario: Name for the footnote (the sweep's).
        currency: Shown for money KPIs, e.g. "EUR".
        factor_labels: Factor column -> the lever's name for a reader (default: the column).
        stamp: Optional run stamp for the footnote.

    Returns:
        The figure.
    """
    named = dict(factor_labels or {})
    cs.require_columns(summary, ["point", *factors, "kpi", "mean", "ci_low", "ci_high", "n"],
                       "sweep_kpi_chart")
    rows = summary[summary["kpi"] == kpi]
    x_key, others = factors[0], list(factors[1:])
    levels = list(dict.fromkeys(rows[x_key].tolist()))
    numeric = all(_is_number(v) for v in levels)
    position = {v: (float(v) if numeric else float(i)) for i, v in enumerate(levels)}
    fig, (ax,) = cs.new_figure()
    groups = rows.groupby(others, sort=False, dropna=False) if others else [((), rows)]
    for i, (key, group) in enumerate(groups):
        values = key if isinstance(key, tuple) else (key,)
        line = ", ".join(f"{named.get(k, k)} = {v}"
                         for k, v in zip(others, values, strict=True)) or tr("Mean")
        ci = pd.DataFrame({"mean": group["mean"], "low": group["ci_low"],
                           "high": group["ci_high"]})
        cs.plot_band(ax, [position[v] for v in group[x_key]], ci, cs.series_style(i), line)
    unit = _unit(kpi, currency)
    share = unit == "share"
    if target is not None:
        cs.target_hline(ax, target, tr("Target {value}",
                                          value=f"{target:.0%}" if share else f"{target:g}"))
    best = rows[rows["point"] == cheapest]
    if not best.empty:
        ax.plot([position[best[x_key].iloc[0]]], [float(best["mean"].iloc[0])], linestyle="none",
                marker="*", markersize=15, color=cs.COLORS[2], markeredgecolor=cs.EDGE_COLOR,
                zorder=5, label=f"{tr(CHEAPEST_LABEL)} ({cheapest})")
    if not numeric:
        ax.set_xticks(list(position.values()), [str(v) for v in levels])
    elif all(isinstance(v, int | np.integer) for v in levels):
        ax.xaxis.set_major_locator(MaxNLocator(integer=True))  # no 2.5 technicians
    name = kpi_label(kpi)
    cs.style_axes(ax, named.get(x_key, x_key),
                  f"{name} ({unit_label(unit, currency)})" if unit else name)
    if share:
        ticks.share_axis(ax)
    cs.legend(ax, loc="best")
    n_reps = int(rows["n"].max()) if len(rows) else 0
    found = tr("star: cheapest point meeting every target") if cheapest else \
        tr("no point meets every target")
    return cs.finish_figure(fig, tr("{name} across the sweep", name=name), scenario,
                            f"{cs.band_note(n_reps)}; {found}", stamp)


def compare_differences_chart(
    table: pd.DataFrame, kpis: Sequence[str], *, currency: str = "", stamp: str | None = None
) -> Figure:
    """Plot each alternative's paired difference to the first scenario, one panel per KPI.

    Args:
        table: The compare table: `scenario`, `kpi`, `diff`, `diff_ci_low`, `diff_ci_high`,
            `significant`; its first scenario is the reference.
        kpis: The KPIs to draw, one panel each.
        currency: Shown for money KPIs, e.g. "EUR".
        stamp: Optional run stamp for the footnote.

    Returns:
        The figure.
    """
    cs.require_columns(table, ["scenario", "kpi", "diff", "diff_ci_low", "diff_ci_high",
                               "significant"], "compare_differences_chart")
    names = [str(s) for s in pd.unique(table["scenario"])]
    first, others = names[0], names[1:]
    ncols = 1 if len(kpis) <= 1 else 2
    nrows = max(1, math.ceil(len(kpis) / ncols))
    height = 0.8 + nrows * (1.0 + 0.35 * max(1, len(others)))
    fig, axes = cs.new_figure(nrows, ncols, width=cs.WIDTH_IN * (1.0 if ncols == 1 else 1.25),
                              height=max(height, 3.0))
    for ax, kpi in zip(axes, kpis, strict=False):
        rows = (table[table["kpi"] == kpi].set_index("scenario")
                [["diff", "diff_ci_low", "diff_ci_high", "significant"]].to_dict("index"))
        for j, name in enumerate(others):
            row = rows.get(name)
            if row is None or pd.isna(row["diff"]):
                continue
            d, low, high = (float(row[c]) for c in ("diff", "diff_ci_low", "diff_ci_high"))
            err = [[d - low], [high - d]] if math.isfinite(low) and math.isfinite(high) else None
            style = cs.series_style(j + 1)
            # Filled marker: the interval excludes 0; hollow: the difference may be noise.
            face = style.color if bool(row["significant"]) else "white"
            ax.errorbar([d], [j], xerr=err, fmt=style.marker, color=style.color,
                        markerfacecolor=face, markersize=7, capsize=4, linewidth=1.4)
        ax.axvline(0.0, color=cs.TARGET_COLOR, linewidth=1.0)
        ax.set_yticks(range(len(others)), others)
        ax.set_ylim(len(others) - 0.5, -0.5)
        info = KPI_BY_NAME.get(kpi)
        better = "" if info is None else (tr(" (higher is better)")
                                          if info.direction == "at_least"
                                          else tr(" (lower is better)"))
        ax.set_title(f"{kpi_label(kpi)}{better}", fontsize=cs.LABEL_SIZE)
        unit = _unit(kpi, currency)
        if unit == "share":
            shown = tr("percentage points")
            ticks.points_axis(ax, "x")
        else:
            shown = unit if unit == currency else unit_name(unit)  # English: as before
            if unit and unit == currency:
                ticks.money_axis(ax, "x")
        cs.style_axes(ax, tr("Difference ({unit})", unit=shown) if unit
                      else tr("Difference"), "")
    for ax in axes[len(kpis):]:
        ax.set_visible(False)
    note = tr("Marker: mean paired difference to {first}; bar: 95% paired-t CI; filled: "
                 "significant", first=first)
    return cs.finish_figure(fig, tr("Differences to {first} (common random numbers)",
                                       first=first),
                            tr(" vs ").join(names), note, stamp)
