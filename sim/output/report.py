"""The explorer's files: charts, CSV tables, the PDF report and the budget pack (a zip).

This module owns what a planner downloads from the explorer: the chart set (the run folder's
charts from `sim.output.export.run_figures` plus the theory panel, each stamped with the date), the
tables as CSV, a PDF report (assumptions, KPI table with CIs and targets, cost per department
per month, the charts) written with matplotlib's PdfPages, and the zip that bundles the report,
the tables and the scenario file. Every builder is a plain function of the run and a date passed
in, so the same input gives byte-identical files (fixed PDF metadata, fixed zip timestamps).
It computes no statistics: numbers come from the `RunResult`.
"""

from __future__ import annotations

import io
import json
import math
import textwrap
import zipfile
from collections.abc import Callable, Sequence
from datetime import date
from typing import Any

import pandas as pd
from matplotlib.backends.backend_pdf import PdfPages
from matplotlib.figure import Figure

from sim.experiments.replicate import RunResult
from sim.output.charts import style as cs
from sim.output.export import run_figures, summary_document
from sim.output.numbers import format_target, format_value, kpi_table
from sim.output.theory_panel import (
    erlang_c_by_hour_of_week,
    simulated_by_hour_of_week,
    simulated_daily_mean,
    theory_figure,
)
from sim.scenario.format import Scenario
from sim.scenario.loader import scenario_to_yaml
from sim.scenario.plain import json_safe

PRODUCER = "aftersales-sim"
PAGE = (11.69, 8.27)  # A4 landscape, inches
# Charts in reading order: the key ones first (the budget pack shows them in this order).
CHART_ORDER = ("service_level_per_day", "backlog_per_day", "late_drivers", "stock_per_sku",
               "cost_per_department", "service_level_by_hour_of_week", "offered_vs_staffed",
               "wait_distribution", "turnaround_distribution")
TABLE_STEMS = ("kpis", "budget", "replications", "daily", "hourly", "wait_histogram",
               "turnaround_histogram", "late_drivers", "theory_by_hour_of_week")
_SECTIONS = ("demand", "call_center", "complaints", "field_service", "parts", "followup",
             "satisfaction", "costs", "disruptions", "targets")
FOOTNOTE_AT = (0.01, 0.01)  # where `chart_style.finish_figure` puts the footnote
FOOTNOTE_SEP = "  |  "
_CHARS_PER_INCH = 15  # 8 pt DejaVu Sans averages ~16 characters per inch
_LINES_PER_PAGE = 34
_ROWS_PER_PAGE = 24


# --- charts and tables -----------------------------------------------------------------------


def stamp_text(created: date) -> str:
    """The date line of every chart and page."""
    return f"Date: {created.isoformat()}"


def dated(fig: Figure, created: date) -> Figure:
    """Add the date to a chart's footnote (the one `chart_style.finish_figure` writes, which
    names the scenario), wrapped onto a second line where it would be cut at the figure's edge.

    Args:
        fig: A finished chart.
        created: The date to print.

    Returns:
        The same figure.
    """
    notes = [t for t in fig.texts if tuple(t.get_position()) == FOOTNOTE_AT]
    if notes:
        note, parts = notes[-1], notes[-1].get_text().split(FOOTNOTE_SEP)
    else:
        note = fig.text(*FOOTNOTE_AT, "", fontsize=cs.FOOTNOTE_SIZE, ha="left", va="bottom")
        parts = []
    width = int(fig.get_figwidth() * _CHARS_PER_INCH)
    lines: list[str] = []
    for part in [*parts, stamp_text(created)]:
        joined = f"{lines[-1]}{FOOTNOTE_SEP}{part}" if lines else part
        if lines and len(joined) <= width:
            lines[-1] = joined
        else:
            lines += textwrap.wrap(part, width) or [""]
    note.set_text("\n".join(lines))
    return fig


def theory_chart(result: RunResult) -> Figure:
    """The theory panel of a run: Erlang C per hour of the week beside the simulation."""
    scn = result.scenario
    return theory_figure(erlang_c_by_hour_of_week(scn), scn.name,
                         scn.call_center.answer_target_seconds, scn.targets.get("service_level"),
                         simulated_hourly=simulated_by_hour_of_week(result),
                         simulated_mean=simulated_daily_mean(result))


def chart_stems(scenario: Scenario) -> list[str]:
    """The charts a scenario's run has, in `CHART_ORDER` (no field service: no backlog...)."""
    skip = set()
    if scenario.field_service is None:
        skip |= {"backlog_per_day", "late_drivers", "turnaround_distribution"}
    if scenario.parts is None:
        skip.add("stock_per_sku")
    return [stem for stem in CHART_ORDER if stem not in skip]


def explorer_figures(result: RunResult, created: date) -> dict[str, Figure]:
    """Every chart of the explorer by file stem, in `CHART_ORDER`, stamped with ``created``."""
    figures = run_figures(result)
    figures["service_level_by_hour_of_week"] = theory_chart(result)
    return {stem: dated(figures[stem], created) for stem in CHART_ORDER if stem in figures}


def chart_title(fig: Figure) -> str:
    """A chart's title, for buttons and captions."""
    return fig.get_suptitle() or "Chart"


def result_tables(result: RunResult) -> dict[str, pd.DataFrame]:
    """The tables a planner can download, by file stem (`TABLE_STEMS`), as the CLI writes them."""
    return {"kpis": kpi_table(result), "budget": result.budget,
            "replications": result.replications, "daily": result.daily,
            "hourly": result.hourly, "wait_histogram": result.wait_hist,
            "turnaround_histogram": result.turnaround_hist,
            "late_drivers": result.late_drivers,
            "theory_by_hour_of_week": erlang_c_by_hour_of_week(result.scenario)}


def csv_bytes(df: pd.DataFrame) -> bytes:
    """A table as CSV exactly as the results folder writes it (no index, "\\n" line ends)."""
    return df.to_csv(index=False, float_format=None, lineterminator="\n").encode("utf-8")


# --- the PDF report --------------------------------------------------------------------------


def _plain(value: Any) -> str:
    """Scenario data as short text: distributions as ``lognormal(mean 5, cv 0.7)``."""
    if isinstance(value, dict):
        if "dist" in value:
            args = ", ".join(f"{k} {_plain(v)}" for k, v in value.items() if k != "dist")
            return f"{value['dist']}({args})"
        if {"name", "start", "end", "count"} <= value.keys():
            return (f"{value['name']} {value['start']}-{value['end']} "
                    f"{','.join(value.get('days', []))} x{value['count']}")
        return "{" + ", ".join(f"{k}: {_plain(v)}" for k, v in value.items()) + "}"
    if isinstance(value, list):
        if any(isinstance(v, dict | list) for v in value):
            return "; ".join(_plain(v) for v in value) or "none"
        return "[" + ", ".join(_plain(v) for v in value) + "]"
    if isinstance(value, float):
        return f"{value:g}"
    return "none" if value is None else str(value)


def assumption_lines(result: RunResult, created: date) -> list[str]:
    """The report's first pages: the run, then every section of the resolved scenario."""
    scn = result.scenario
    doc = scn.model_dump(mode="json")
    lines = [
        f"Scenario: {scn.name}" + (f" - {scn.description}" if scn.description else ""),
        f"Report date: {created.isoformat()}",
        f"Run: {len(result.replications)} replications, root seed {result.seed}; "
        f"warm-up {scn.warmup_days:g} days (not measured), horizon {scn.horizon_days:g} days "
        "measured; costs count the horizon only; months are 30-day months of the horizon.",
        "Intervals: 95% Student-t over replications. A target is 'met' when the whole interval "
        "is on the good side, 'missed' when it is wholly on the wrong side, otherwise 'not "
        "significant'.",
        "Reproduce: aftersales-sim run scenario.yaml (the file in this pack; same seed, same "
        "numbers).",
        "",
    ]
    for section in _SECTIONS:
        value = doc.get(section)
        if value in (None, [], {}):
            lines.append(f"{section}: none")
        elif isinstance(value, dict) and section != "targets":
            for key, item in value.items():
                if isinstance(item, list) and any(isinstance(v, dict) for v in item):
                    lines += [f"{section}.{key}.{i}: {_plain(v)}" for i, v in enumerate(item)]
                else:
                    lines.append(f"{section}.{key}: {_plain(item)}")
        elif isinstance(value, list):
            lines += [f"{section}.{i}: {_plain(v)}" for i, v in enumerate(value)]
        else:
            lines.append(f"{section}: {_plain(value)}")
    wrapped: list[str] = []
    for line in lines:
        wrapped += textwrap.wrap(line, 130, subsequent_indent="    ") or [""]
    return wrapped


def _page(title: str) -> Figure:
    fig = Figure(figsize=PAGE)
    fig.text(0.04, 0.94, title, fontsize=cs.TITLE_SIZE + 2, fontweight="bold", va="top")
    return fig


def _text_pages(title: str, lines: Sequence[str]) -> list[Figure]:
    pages = []
    for start in range(0, max(len(lines), 1), _LINES_PER_PAGE):
        fig = _page(title if start == 0 else f"{title} (continued)")
        for i, line in enumerate(lines[start:start + _LINES_PER_PAGE]):
            fig.text(0.04, 0.87 - i * 0.0235, line, fontsize=9.0, va="top")
        pages.append(fig)
    return pages


def _table_pages(title: str, note: str, columns: Sequence[str], rows: Sequence[Sequence[str]],
                 widths: Sequence[float]) -> list[Figure]:
    pages = []
    for start in range(0, max(len(rows), 1), _ROWS_PER_PAGE):
        fig = _page(title if start == 0 else f"{title} (continued)")
        fig.text(0.04, 0.895, note, fontsize=9.0, va="top")
        chunk = [list(r) for r in rows[start:start + _ROWS_PER_PAGE]] or [[""] * len(columns)]
        ax = fig.add_axes((0.04, 0.08, 0.92, 0.78))
        ax.set_axis_off()
        table = ax.table(cellText=chunk, colLabels=list(columns), colWidths=list(widths),
                         loc="upper left", cellLoc="left", colLoc="left")
        table.auto_set_font_size(False)
        table.set_fontsize(8.0)
        table.scale(1.0, 1.25)
        for (row, _col), cell in table.get_celld().items():
            cell.set_edgecolor("#999999")
            if row == 0:
                cell.set_text_props(fontweight="bold")
                cell.set_facecolor("#DDDDDD")
        pages.append(fig)
    return pages


def _kpi_rows(result: RunResult) -> list[list[str]]:
    currency = result.scenario.currency
    rows = []
    for r in kpi_table(result).to_dict("records"):
        unit = str(r["unit"])
        ci = (f"{format_value(r['ci_low'], unit, currency)} to "
              f"{format_value(r['ci_high'], unit, currency)}") if r["n"] >= 2 else "n/a"
        target = (format_target(r["target"], str(r["direction"]), unit, currency)
                  if r["direction"] else "")
        rows.append([str(r["kpi"]), format_value(r["mean"], unit, currency), ci, str(r["n"]),
                     target, str(r["status"])])
    # Targeted KPIs first: they are what the budget is judged on.
    return sorted(rows, key=lambda row: row[4] == "")


def _cost_rows(result: RunResult) -> tuple[list[str], list[list[str]]]:
    budget = result.budget
    months = sorted(int(m) for m in budget["month"].unique())
    departments = list(dict.fromkeys(str(d) for d in budget["department"]))
    cells = {(int(r["month"]), str(r["department"])): r for r in budget.to_dict("records")}
    rows = []
    for dept in departments:
        row = [dept]
        for month in months:
            r = cells.get((month, dept))
            if r is None:
                row.append("")
                continue
            half = (r["ci_high"] - r["ci_low"]) / 2.0
            row.append(f"{r['mean']:,.0f}" + (f" ± {half:,.0f}" if math.isfinite(half) else ""))
        rows.append(row)
    return ["department", *[f"month {m}" for m in months]], rows


def report_pages(result: RunResult, created: date) -> list[Figure]:
    """Every page of the report, in order, before page numbers."""
    scn = result.scenario
    pages = _text_pages(f"Budget pack: {scn.name} - assumptions", assumption_lines(result, created))
    pages += _table_pages(
        "Key figures with 95% confidence intervals and targets",
        f"{len(result.replications)} replications; horizon {scn.horizon_days:g} days; "
        "targeted KPIs first.",
        ["KPI", "mean", "95% CI", "n", "target", "status"], _kpi_rows(result),
        [0.26, 0.16, 0.28, 0.05, 0.13, 0.12])
    columns, rows = _cost_rows(result)
    first = 0.2
    rest = (1.0 - first) / max(len(columns) - 1, 1)
    pages += _table_pages(
        f"Cost per department per month ({scn.currency})" if scn.revenue is None else
        f"Budget per month: cost per department, revenue and margin ({scn.currency})",
        "Mean over replications ± half-width of the 95% CI; month = 30 days of the horizon."
        + ("" if scn.revenue is None else " Margin = revenue - total cost."),
        columns, rows, [first, *[rest] * (len(columns) - 1)])
    pages += list(explorer_figures(result, created).values())
    for i, fig in enumerate(pages, start=1):
        fig.text(0.99, 0.99, f"{scn.name} | {stamp_text(created)} | page {i} of {len(pages)}",
                 fontsize=cs.FOOTNOTE_SIZE, ha="right", va="top")
    return pages


def report_pdf(result: RunResult, created: date) -> bytes:
    """The PDF report: assumptions, KPI table, monthly costs, the charts.

    Args:
        result: The run.
        created: The date printed on every page; the only date in the file.

    Returns:
        PDF bytes, identical for identical ``result`` and ``created``.
    """
    buf = io.BytesIO()
    metadata: dict[str, Any] = {"Title": f"Budget pack: {result.scenario.name}",
                                "Author": PRODUCER, "Creator": PRODUCER, "Producer": PRODUCER,
                                "CreationDate": None, "ModDate": None}
    with PdfPages(buf, metadata=metadata) as pdf:
        for fig in report_pages(result, created):
            pdf.savefig(fig)
    return buf.getvalue()


def chart_bytes(result: RunResult, stem: str, fmt: cs.ImageFormat, created: date) -> bytes:
    """One explorer chart as PNG, SVG or PDF bytes (byte-stable, see `figure_bytes`)."""
    return cs.figure_bytes(explorer_figures(result, created)[stem], fmt)


def _csv_builder(table: pd.DataFrame) -> Callable[[], bytes]:
    return lambda: csv_bytes(table)


def budget_pack(result: RunResult, created: date) -> bytes:
    """The zip a planner hands on: report, scenario file, summary and every table as CSV.

    Entries have fixed names, order, permissions and timestamps (``created`` at midnight), so
    the same input gives the same bytes.
    """
    scn = result.scenario
    readme = (f"Budget pack for scenario {scn.name}, {created.isoformat()}.\n\n"
              "report.pdf     assumptions, KPIs with 95% CIs and targets, monthly costs, charts\n"
              "scenario.yaml  the resolved scenario: `aftersales-sim run scenario.yaml` gives "
              "the same numbers\nsummary.json   KPI means, intervals and target verdicts\n"
              "tables/*.csv   the tables behind the report\n")
    summary = json.dumps(json_safe(summary_document(result)), indent=2, allow_nan=False,
                         ensure_ascii=False) + "\n"
    entries: list[tuple[str, Callable[[], bytes]]] = [
        ("README.txt", lambda: readme.encode("utf-8")),
        ("report.pdf", lambda: report_pdf(result, created)),
        ("scenario.yaml", lambda: scenario_to_yaml(scn).encode("utf-8")),
        ("summary.json", lambda: summary.encode("utf-8")),
    ]
    for stem, table in result_tables(result).items():
        entries.append((f"tables/{stem}.csv", _csv_builder(table)))
    buf = io.BytesIO()
    stamp = (max(created.year, 1980), created.month, created.day, 0, 0, 0)
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as zf:
        for name, build in entries:
            info = zipfile.ZipInfo(name, date_time=stamp)
            info.compress_type = zipfile.ZIP_DEFLATED
            info.external_attr = 0o644 << 16
            zf.writestr(info, build())
    return buf.getvalue()
