"""The report's page builders: text and table pages on A4 landscape, and the pages of the
management cycle (the three budgets by month, the appraisal, the risk register).

This module owns how a page looks (``page``, ``text_pages``, ``table_pages``) and, as separate
builders that can be moved or reordered on their own, ``budget_pages``, ``appraisal_pages`` and
``risk_pages``. Each is a plain function of tables as the results folder holds them, so a report
built from a run in memory or from a folder read back is the same. ``sim.output.report``
assembles the report from these pages.
"""

from __future__ import annotations

import math
import textwrap
from collections.abc import Sequence

import pandas as pd
from matplotlib.figure import Figure
from matplotlib.layout_engine import ConstrainedLayoutEngine

from sim.i18n.formats import SYMBOL_CURRENCIES, money, month
from sim.i18n.messages import kpi_name, line_name, tr
from sim.output.charts import management
from sim.output.charts import style as cs
from sim.output.numbers import format_value, kpi_unit

PAGE = (11.69, 8.27)  # A4 landscape, inches
HEADER_IN = 0.45  # the band at the top of a page that holds its header line
TITLE_IN = 0.4  # a chart page's title line under the band
LINES_PER_PAGE = 34
ROWS_PER_PAGE = 24
MONTHS_PER_PAGE = 6
TABLE_FONT_SIZE = 8.0
NOTE_CHARS = 150  # 9 pt over the page's 10.7 inches of text width


def page(title: str) -> Figure:
    """An empty report page with its title."""
    fig = Figure(figsize=PAGE)
    fig.text(0.04, 0.94, title, fontsize=cs.TITLE_SIZE + 2, fontweight="bold", va="top")
    return fig


def text_pages(title: str, lines: Sequence[str]) -> list[Figure]:
    """Lines of text (already wrapped to the page), ``LINES_PER_PAGE`` a page."""
    pages = []
    for start in range(0, max(len(lines), 1), LINES_PER_PAGE):
        fig = page(title if start == 0 else tr("{title} (continued)", title=title))
        for i, line in enumerate(lines[start:start + LINES_PER_PAGE]):
            fig.text(0.04, 0.87 - i * 0.0235, line, fontsize=9.0, va="top")
        pages.append(fig)
    return pages


def table_pages(title: str, note: str, columns: Sequence[str], rows: Sequence[Sequence[str]],
                widths: Sequence[float], *, bold_rows: Sequence[int] = ()) -> list[Figure]:
    """A table over as many pages as its rows need, ``ROWS_PER_PAGE`` a page.

    Args:
        title: Page title.
        note: One line under the title (what the numbers are).
        columns: Column headings.
        rows: Cell texts.
        widths: Column widths as shares of the page's table width (they should sum to 1).
        bold_rows: Rows (0-based, of ``rows``) set in bold: totals.
    """
    pages = []
    bold = set(bold_rows)
    for start in range(0, max(len(rows), 1), ROWS_PER_PAGE):
        fig = page(title if start == 0 else tr("{title} (continued)", title=title))
        lines = textwrap.wrap(note, NOTE_CHARS) or [""]
        fig.text(0.04, 0.895, "\n".join(lines), fontsize=9.0, va="top", linespacing=1.3)
        chunk = [list(r) for r in rows[start:start + ROWS_PER_PAGE]] or [[""] * len(columns)]
        top = 0.86 - 0.022 * (len(lines) - 1)
        ax = fig.add_axes((0.04, 0.06, 0.92, top - 0.06))
        ax.set_axis_off()
        table = ax.table(cellText=chunk, colLabels=list(columns), colWidths=list(widths),
                         loc="upper left", cellLoc="left", colLoc="left")
        table.auto_set_font_size(False)
        table.set_fontsize(TABLE_FONT_SIZE)
        table.scale(1.0, 1.25)
        for (row, _col), cell in table.get_celld().items():
            cell.set_edgecolor("#999999")
            if row == 0:
                cell.set_text_props(fontweight="bold")
                cell.set_facecolor("#DDDDDD")
            elif start + row - 1 in bold:
                cell.set_text_props(fontweight="bold")
                cell.set_facecolor("#F2F2F2")
        pages.append(fig)
    return pages


def chart_page(fig: Figure) -> Figure:
    """A chart as a page of the report: A4 landscape like the other pages (a chart kept at its
    own 8-inch size printed small, in much white space), its layout below the header band so
    the page header never sits on the chart's title."""
    fig.set_size_inches(PAGE)
    engine = fig.get_layout_engine()
    if isinstance(engine, ConstrainedLayoutEngine):
        bottom = min(cs.FOOTNOTE_STRIP_IN / PAGE[1], 0.3)
        top = 1.0 - HEADER_IN / PAGE[1]
        title = fig.get_suptitle()
        if title:
            # The layout would put the title at the page's top edge, beside the header, and
            # reserves no room for a title placed by hand: place it under the header band and
            # keep the panels below it.
            fig.suptitle(title, y=top, va="top", fontsize=cs.TITLE_SIZE, fontweight="bold")
            top -= TITLE_IN / PAGE[1]
        engine.set(rect=(0.0, bottom, 1.0, top - bottom))
    return fig


# --- the three budgets by month --------------------------------------------------------------

_BUDGET_TITLES = {"revenue": "Revenue budget", "cost": "Cost budget",
                  "expense": "Expense budget", "result": "Result"}
_TOTAL_LINES = ("total", "total_revenue", "total_expense", "margin")


def _money(row: pd.Series | None, currency: str) -> str:
    if row is None or math.isnan(float(row["mean"])):
        return ""
    half = (float(row["ci_high"]) - float(row["ci_low"])) / 2.0
    # A symbol currency (CNY: ¥) is written on every amount; a code is said once, in the note.
    if currency in SYMBOL_CURRENCIES:
        return money(float(row["mean"]), currency) + (
            f" ± {money(half, currency)}" if math.isfinite(half) else "")
    return f"{float(row['mean']):,.0f}" + (f" ± {half:,.0f}" if math.isfinite(half) else "")


def budget_pages(budget: pd.DataFrame, currency: str, scenario: str) -> list[Figure]:
    """The revenue, cost and expense budgets by calendar month, with the totals of the horizon.

    Rows are the lines grouped by budget (revenue, cost, expense, then the margin), each
    budget's total in bold; columns are calendar months, ``MONTHS_PER_PAGE`` a page, and the
    last page ends with the horizon's total. A cell is the mean over replications ± the
    half-width of its 95% interval.

    Args:
        budget: Rows of ``budget.csv``.
        currency: The scenario's currency.
        scenario: Scenario name, for the chart that ends the section.
    """
    months = [str(m) for m in pd.unique(budget["month"].astype(str))]
    cells = {(str(r["month"]), str(r["budget"]), str(r["department"])): r
             for _, r in budget.iterrows()}
    lines = list(dict.fromkeys(zip(budget["budget"].astype(str),
                                   budget["department"].astype(str), strict=True)))
    partial = budget[budget["month"] != "total"]
    cut = [str(m) for m, a, b in zip(partial["month"], partial["measured_days"],
                                     partial["month_days"], strict=True)
           if not math.isclose(float(a), float(b))]
    note = tr("{currency}; mean over replications ± half-width of the 95% CI. Months are "
              "calendar months; fixed lines (finance) are amounts per month", currency=currency)
    note += (tr(", prorated by measured days in {months}.",
                months=", ".join(month(m) for m in cut)) if cut else tr("."))
    pages = []
    for start in range(0, len(months), MONTHS_PER_PAGE):
        chunk = months[start:start + MONTHS_PER_PAGE]
        rows: list[list[str]] = []
        bold: list[int] = []
        for kind, line in lines:
            if line in _TOTAL_LINES:
                bold.append(len(rows))
            title = tr(_BUDGET_TITLES[kind]) if kind in _BUDGET_TITLES else kind
            label = f"{title}: {line_name(line)}"
            rows.append([label, *[_money(cells.get((m, kind, line)), currency) for m in chunk]])
        first = 0.25
        rest = (1.0 - first) / max(len(chunk), 1)
        headings = [tr("line"), *[(tr("horizon total") if m == "total" else month(m))
                                  for m in chunk]]
        pages += table_pages(tr("Budget by calendar month: revenue, cost and expense"), note,
                             headings, rows, [first, *[rest] * len(chunk)], bold_rows=bold)
    pages.append(management.budget_by_month(budget, currency, scenario))
    return pages


# --- the appraisal ---------------------------------------------------------------------------


def appraisal_pages(appraisal: pd.DataFrame, currency: str, scenario: str) -> list[Figure]:
    """The appraisal: the month x KPI heat map, then the quarters as a table (mean, 95% CI and
    the share of replications meeting the target). None without targets."""
    if appraisal.empty:
        return []
    pages = [management.appraisal_heatmap(appraisal, scenario)]
    quarters = appraisal[appraisal["kind"] == "quarter"]
    rows = []
    for r in quarters.to_dict("records"):
        unit = kpi_unit(str(r["kpi"]))
        ci = (tr("n/a") if math.isnan(float(r["ci_low"])) else
              tr("{low} to {high}", low=format_value(r['ci_low'], unit, currency),
                 high=format_value(r['ci_high'], unit, currency)))
        rows.append([str(r["period"]), kpi_name(str(r["kpi"])),
                     format_value(r["mean"], unit, currency),
                     ci, f"{'≥' if r['direction'] == 'at_least' else '≤'} "
                     f"{format_value(r['target'], unit, currency)}",
                     tr("n/a") if math.isnan(float(r["met_share"])) else f"{r['met_share']:.0%}",
                     tr(str(r["status"]))])
    pages += table_pages(
        tr("KPI appraisal by calendar quarter"), tr("Mean and 95% CI over replications; met "
                                                    "share = share of replications in which the "
                                                    "quarter met its target."),
        [tr("quarter"), tr("KPI"), tr("mean"), tr("95% CI"), tr("target"), tr("met share"),
         tr("status")], rows,
        [0.09, 0.25, 0.12, 0.22, 0.11, 0.09, 0.12])
    return pages


# --- the risk register -----------------------------------------------------------------------


def risk_pages(register: pd.DataFrame, currency: str, scenario: str) -> list[Figure]:
    """The risk register: the likelihood x impact matrix, then the ranked table."""
    pages = [management.risk_matrix(register, currency, scenario)]
    rows = []
    for r in register.sort_values("rank").to_dict("records"):
        pays = r.get("response_pays")
        rows.append([str(r["rank"]), str(r["risk"]), tr(str(r["category"])),
                     f"{r['likelihood_per_year']:g}",
                     tr("{value} ({low} to {high})", value=f"{r['impact']:,.0f}",
                        low=f"{r['impact_ci_low']:,.0f}", high=f"{r['impact_ci_high']:,.0f}"),
                     f"{r['expected_yearly_impact']:,.0f}",
                     f"{r['breach_days']:,.1f}",
                     "" if not isinstance(r.get("response"), str) or not r["response"] else
                     tr("{response}: saves {saving}/yr for {cost}/yr", response=r["response"],
                        saving=f"{r['response_yearly_saving']:,.0f}",
                        cost=f"{r['response_cost_per_year']:,.0f}")
                     + (tr(" (pays)") if pays is True else tr(" (does not pay)")
                        if pays is False else "")])
    pages += table_pages(
        tr("Risk register, ranked by expected yearly impact"),
        tr("{currency}; impact per occurrence = extra cost + lost revenue (+ breach-day costs) "
           "against the base under common random numbers, 95% CI; expected = likelihood x "
           "impact.", currency=currency),
        [tr("rank"), tr("risk"), tr("category"), tr("per year"), tr("impact (95% CI)"),
         tr("expected / yr"), tr("breach days"), tr("response")], rows,
        [0.05, 0.15, 0.09, 0.07, 0.2, 0.1, 0.08, 0.26])
    return pages
