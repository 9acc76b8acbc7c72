"""Charts of the management cycle: the appraisal heat map (calendar month x targeted KPI), the
three budgets by month and the risk matrix (likelihood x impact).

Each builder is a pure function of a tidy table (``appraisal.csv``, ``budget.csv``,
``risk_register.csv``, as written to a results folder), so the same chart is drawn from a run in
memory or from the files of a finished folder. The shared look is `sim.output.charts.style`.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
from matplotlib.colors import LinearSegmentedColormap
from matplotlib.figure import Figure

from sim.i18n.formats import month
from sim.i18n.messages import kpi_name, line_name, tr
from sim.measure.catalog import KPI_BY_NAME
from sim.output.charts import style as cs
from sim.output.charts import ticks

# Red (no replication meets the target) through yellow to green (every one does); a greyscale
# print still reads the number written in each cell.
MET_COLORS = LinearSegmentedColormap.from_list(
    "met_share", ["#D55E00", "#F0E442", "#009E73"])
RISK_COLORS = ("#009E73", "#F0E442", "#E69F00", "#D55E00")
BUDGET_LABELS = {"revenue": "Revenue budget", "cost": "Cost budget",
                 "expense": "Expense budget"}


def _cell_text(value: object, unit_share: bool) -> str:
    if not isinstance(value, int | float) or math.isnan(value):
        return "n/a"
    return f"{value:.0%}" if unit_share else f"{value:.3g}"


def appraisal_heatmap(appraisal: pd.DataFrame, scenario: str, *, stamp: str | None = None,
                      kind: str = "month") -> Figure:
    """The month x KPI table of the appraisal, each cell coloured by its met share.

    Args:
        appraisal: Rows of ``appraisal.csv`` (``period``, ``kpi``, ``mean``, ``met_share``,
            ``kind``, ``direction``, ``target``).
        scenario: Scenario name for the footnote.
        stamp: Optional run stamp for the footnote.
        kind: ``month`` or ``quarter``: which periods to draw.

    Returns:
        The figure: one row per targeted KPI, one column per period; a cell shows the mean
        (shares in %) over the share of replications that met the target.
    """
    cs.require_columns(appraisal, ["period", "kpi", "mean", "met_share", "kind", "target"],
                       "appraisal_heatmap")
    rows = appraisal[appraisal["kind"] == kind]
    periods = [str(p) for p in pd.unique(rows["period"])]
    kpis = [str(k) for k in pd.unique(rows["kpi"])]
    share = rows.pivot_table(index="kpi", columns="period", values="met_share",
                             aggfunc="first", dropna=False).reindex(index=kpis, columns=periods)
    mean = rows.pivot_table(index="kpi", columns="period", values="mean",
                            aggfunc="first", dropna=False).reindex(index=kpis, columns=periods)
    targets = rows.groupby("kpi", sort=False)["target"].first()
    width = max(8.0, 1.05 * len(periods) + 3.5)
    height = max(3.2, 0.55 * len(kpis) + 1.9)
    fig, (ax,) = cs.new_figure(width=width, height=height)
    grid = share.to_numpy(float)
    image = ax.imshow(np.ma.masked_invalid(grid), cmap=MET_COLORS, vmin=0.0, vmax=1.0,
                      aspect="auto")
    for i, kpi in enumerate(kpis):
        info = KPI_BY_NAME.get(kpi)
        is_share = info is not None and info.unit == "share"
        for j, _ in enumerate(periods):
            text = (f"{_cell_text(mean.iat[i, j], is_share)}\n"
                    + tr("met {share}", share=_cell_text(grid[i, j], True)))
            ax.text(j, i, text, ha="center", va="center", fontsize=cs.FOOTNOTE_SIZE)
    ax.set_xticks(np.arange(len(periods)), [month(p) for p in periods],
                  rotation=45 if len(periods) > 8 else 0,
                  ha="right" if len(periods) > 8 else "center")
    ax.set_yticks(np.arange(len(kpis)),
                  [tr("{kpi} (target {target})", kpi=kpi_name(k), target=f"{targets[k]:g}")
                   for k in kpis])
    ax.tick_params(labelsize=cs.TICK_SIZE, length=0)
    ax.set_xlabel(tr("Calendar month") if kind == "month" else tr("Calendar quarter"),
                  fontsize=cs.LABEL_SIZE)
    bar = fig.colorbar(image, ax=ax, fraction=0.04, pad=0.02)
    bar.set_label(tr("Share of replications meeting the target"), fontsize=cs.LABEL_SIZE)
    ticks.share_axis(bar.ax, "y")
    bar.ax.tick_params(labelsize=cs.TICK_SIZE)
    note = tr("Cell: mean over replications, and the share of them in which the period met its "
              "target")
    title = (tr("KPI appraisal by calendar month") if kind == "month"
             else tr("KPI appraisal by calendar quarter"))
    return cs.finish_figure(fig, title, scenario, note, stamp)


def budget_by_month(budget: pd.DataFrame, currency: str, scenario: str, *,
                    stamp: str | None = None) -> Figure:
    """The three budgets by calendar month: revenue, cost and expense totals side by side with
    their 95% intervals, and the margin as a line.

    Args:
        budget: Rows of ``budget.csv`` (``month``, ``department``, ``budget``, ``mean``,
            ``ci_low``, ``ci_high``).
        currency: Currency for the axis label.
        scenario: Scenario name for the footnote.
        stamp: Optional run stamp for the footnote.
    """
    cs.require_columns(budget, ["month", "department", "budget", "mean", "ci_low", "ci_high"],
                       "budget_by_month")
    totals = {"total_revenue": "revenue", "total": "cost", "total_expense": "expense"}
    months = [str(m) for m in pd.unique(budget["month"].astype(str)) if m != "total"]
    present = [k for k in ("revenue", "cost", "expense")
               if k in set(budget.loc[budget["department"].isin(totals), "budget"])]
    x = np.arange(len(months), dtype=float)
    width = 0.8 / max(len(present), 1)
    fig, (ax,) = cs.new_figure(width=max(8.0, 0.75 * len(months) + 4.0))
    for i, kind in enumerate(present):
        line = next(d for d, b in totals.items() if b == kind)
        rows = (budget[(budget["department"] == line) & (budget["month"] != "total")]
                .assign(month=lambda t: t["month"].astype(str)).set_index("month")
                .reindex(months))
        mean = rows["mean"].to_numpy(float)
        low = np.nan_to_num(mean - rows["ci_low"].to_numpy(float))
        high = np.nan_to_num(rows["ci_high"].to_numpy(float) - mean)
        style = cs.series_style(i)
        ax.bar(x + (i - (len(present) - 1) / 2) * width, mean, width=width * 0.95,
               color=style.fill, hatch=style.hatch, edgecolor=cs.EDGE_COLOR, linewidth=0.5,
               yerr=[low, high], capsize=3, error_kw={"linewidth": 1.0},
               label=tr(BUDGET_LABELS[kind]))
    margin = budget[(budget["department"] == "margin") & (budget["month"] != "total")]
    if not margin.empty:
        m = margin.assign(month=margin["month"].astype(str)).set_index("month").reindex(months)
        ax.plot(x, m["mean"].to_numpy(float), color=cs.EDGE_COLOR, marker="D", markersize=5,
                linewidth=1.5, label=line_name("margin"))
        ax.axhline(0.0, color=cs.TARGET_COLOR, linewidth=0.8)
    ax.set_xticks(x, ticks.month_ticks(budget, months), rotation=45 if len(months) > 6 else 0,
                  ha="right" if len(months) > 6 else "center")
    cs.style_axes(ax, tr("Calendar month"), tr("{currency} per month", currency=currency))
    ticks.thousands_axis(ax)
    cs.legend(ax, loc="upper left", bbox_to_anchor=(1.01, 1.0))
    partial = budget[(budget["month"] != "total")]
    cut = any(not math.isclose(a, b) for a, b in zip(partial["measured_days"],
                                                       partial["month_days"], strict=True)) \
        if {"measured_days", "month_days"} <= set(budget.columns) else False
    note = (tr("Bars: mean over replications with 95% CI; fixed lines are prorated by days in a "
               "partly measured month") if cut
            else tr("Bars: mean over replications with 95% CI"))
    return cs.finish_figure(fig, tr("Revenue, cost and expense budgets by month"), scenario,
                            note, stamp)


def risk_matrix(register: pd.DataFrame, currency: str, scenario: str, *,
                stamp: str | None = None) -> Figure:
    """The likelihood x impact matrix of a risk register: each risk a point at its likelihood
    per year and its impact per occurrence, the background shaded by expected yearly impact.

    Args:
        register: Rows of ``risk_register.csv`` (``risk``, ``category``,
            ``likelihood_per_year``, ``impact``, ``impact_ci_low``, ``impact_ci_high``,
            ``rank``).
        currency: Currency of the impacts.
        scenario: Scenario name for the footnote.
        stamp: Optional run stamp for the footnote.
    """
    cs.require_columns(register, ["risk", "category", "likelihood_per_year", "impact",
                                  "impact_ci_low", "impact_ci_high", "rank"], "risk_matrix")
    fig, (ax,) = cs.new_figure(width=9.0, height=6.0)
    likelihood = register["likelihood_per_year"].to_numpy(float)
    impact = register["impact"].to_numpy(float)
    x_top = max(float(np.nanmax(likelihood, initial=0.0)) * 1.2, 0.1)
    highest = np.nanmax(np.concatenate([impact, register["impact_ci_high"].to_numpy(float)]),
                        initial=0.0)
    y_top = max(float(highest) * 1.2, 1.0)
    y_bottom = min(0.0, float(np.nanmin(register["impact_ci_low"].to_numpy(float),
                                        initial=0.0)) * 1.2)
    gx, gy = np.meshgrid(np.linspace(0, x_top, 200), np.linspace(y_bottom, y_top, 200))
    expected = gx * np.maximum(gy, 0.0)
    top = float(np.nanmax(likelihood * np.maximum(impact, 0.0), initial=0.0)) or 1.0
    levels = [0.0, top / 8, top / 3, top * 0.8, max(float(expected.max()), top) * 1.01]
    ax.contourf(gx, gy, expected, levels=levels, colors=RISK_COLORS, alpha=0.35)
    categories = list(dict.fromkeys(register["category"].astype(str)))
    for i, category in enumerate(categories):
        mine = register[register["category"].astype(str) == category]
        style = cs.series_style(i)
        mean = mine["impact"].to_numpy(float)
        ax.errorbar(mine["likelihood_per_year"].to_numpy(float), mean,
                    yerr=[np.nan_to_num(mean - mine["impact_ci_low"].to_numpy(float)),
                          np.nan_to_num(mine["impact_ci_high"].to_numpy(float) - mean)],
                    color=style.color, marker=style.marker, markersize=7, linestyle="none",
                    capsize=3, label=tr(category))
        for row in mine.to_dict("records"):
            ax.annotate(f"{row['rank']}. {row['risk']}",
                        (row["likelihood_per_year"], row["impact"]), xytext=(6, 4),
                        textcoords="offset points", fontsize=cs.FOOTNOTE_SIZE)
    ax.set_xlim(0.0, x_top)
    ax.set_ylim(y_bottom, y_top)
    cs.style_axes(ax, tr("Likelihood (occurrences per year)"),
                  tr("Impact per occurrence ({currency}, 95% CI)", currency=currency))
    ticks.thousands_axis(ax)
    cs.legend(ax, loc="upper left", bbox_to_anchor=(1.01, 1.0))
    note = tr("Shading: expected yearly impact = likelihood x impact, darker is worse; labels: "
              "rank by expected yearly impact")
    return cs.finish_figure(fig, tr("Risk matrix: likelihood x impact"), scenario, note, stamp)
