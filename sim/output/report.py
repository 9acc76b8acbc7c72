"""The explorer's files and the budget pack: charts, CSV tables, the PDF report and the zip.

This module owns what a planner downloads: the chart set (the run folder's charts from
`sim.output.export.run_figures` plus the theory panel, each stamped with the date), the tables as
CSV, the PDF report (the answer first, `sim.output.summary_page`; the KPI table with CIs and
targets, the charts on A4 pages, the three budgets by calendar month, the appraisal, the risk
register when the folder has one, the assumptions last) written with
matplotlib's PdfPages from the page builders of `sim.output.pages`, and the budget pack: a zip of
the report, the charts, the folder's CSV tables (copied byte for byte) and the scenario file.
Everything reads a `RunView`; the pack reads a `SavedRun` (a finished folder read back, or the
files a run would write), so `aftersales-sim pack` and the explorer's Export page give the same
bytes. Every builder is a plain function of its input and a date passed in (fixed PDF metadata,
fixed zip timestamps). It computes no statistics.
"""

from __future__ import annotations

import io
import textwrap
import zipfile
from collections.abc import Callable
from datetime import date
from typing import Any

import pandas as pd
from matplotlib.backends.backend_pdf import PdfPages
from matplotlib.figure import Figure

from sim.i18n.messages import tr
from sim.output.charts import style as cs
from sim.output.charts.management import risk_matrix
from sim.output.export import run_figures
from sim.output.folder import zip_entry
from sim.output.labels import kpi_label, status_label
from sim.output.numbers import format_target, format_value, kpi_table
from sim.output.pages import (
    appraisal_pages,
    budget_pages,
    chart_page,
    risk_pages,
    table_pages,
    text_pages,
)
from sim.output.run_view import (
    RISK_REGISTER_FILE,
    SCENARIO_FILE,
    SUMMARY_JSON,
    TABLE_FILES,
    RunView,
)
from sim.output.saved import SavedRun
from sim.output.summary_page import summary_page
from sim.output.theory_panel import (
    erlang_c_by_hour_of_week,
    simulated_by_hour_of_week,
    simulated_daily_mean,
    theory_figure,
)
from sim.scenario.format import Scenario

PRODUCER = "aftersales-sim"
# Charts in reading order: the key ones first (the budget pack shows them in this order).
CHART_ORDER = ("service_level_per_day", "backlog_per_day", "late_drivers", "stock_per_sku",
               "appraisal_by_month", "budget_by_month", "cost_per_department",
               "service_level_by_hour_of_week", "offered_vs_staffed", "wait_distribution",
               "turnaround_distribution")
TABLE_STEMS = ("kpis", "budget", "appraisal", "replications", "daily", "hourly",
               "wait_histogram", "turnaround_histogram", "late_drivers", "theory_by_hour_of_week")
# In the report the management pages carry these charts; the chart section leaves them out.
_REPORT_SKIPS = ("appraisal_by_month", "budget_by_month")
_SECTIONS = ("demand", "call_center", "complaints", "field_service", "parts", "followup",
             "satisfaction", "costs", "revenue", "finance", "disruptions", "targets")
FOOTNOTE_AT = (0.01, 0.01)  # where `chart_style.finish_figure` puts the footnote
FOOTNOTE_SEP = "  |  "
_CHARS_PER_INCH = 15  # 8 pt DejaVu Sans averages ~16 characters per inch


# --- charts and tables -----------------------------------------------------------------------


def stamp_text(created: date) -> str:
    """The date line of every chart and page."""
    return tr("Date: {date}", date=created.isoformat())


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


def theory_chart(result: RunView) -> Figure:
    """The theory panel of a run: Erlang C per hour of the week beside the simulation."""
    scn = result.scenario
    return theory_figure(erlang_c_by_hour_of_week(scn), scn.name,
                         scn.call_center.answer_target_seconds, scn.targets.get("service_level"),
                         simulated_hourly=simulated_by_hour_of_week(result),
                         simulated_mean=simulated_daily_mean(result))


def chart_stems(scenario: Scenario) -> list[str]:
    """The charts a scenario's run has, in `CHART_ORDER` (no field service: no backlog...)."""
    skip = set() if scenario.targets else {"appraisal_by_month"}
    if scenario.field_service is None:
        skip |= {"backlog_per_day", "late_drivers", "turnaround_distribution"}
    if scenario.parts is None:
        skip.add("stock_per_sku")
    return [stem for stem in CHART_ORDER if stem not in skip]


def explorer_figures(result: RunView, created: date) -> dict[str, Figure]:
    """Every chart of the explorer by file stem, in `CHART_ORDER`, stamped with ``created``."""
    figures = run_figures(result)
    figures["service_level_by_hour_of_week"] = theory_chart(result)
    return {stem: dated(figures[stem], created) for stem in CHART_ORDER if stem in figures}


def chart_title(fig: Figure) -> str:
    """A chart's title, for buttons and captions."""
    return fig.get_suptitle() or "Chart"


def result_tables(result: RunView) -> dict[str, pd.DataFrame]:
    """The tables a planner can download, by file stem (`TABLE_STEMS`), as the CLI writes them."""
    return {"kpis": kpi_table(result), "budget": result.budget, "appraisal": result.appraisal,
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


def _weekday(day: date) -> str:
    """The day's weekday in the reader's language (every name a literal, so extraction finds
    it)."""
    return (tr("Monday"), tr("Tuesday"), tr("Wednesday"), tr("Thursday"), tr("Friday"),
            tr("Saturday"), tr("Sunday"))[day.weekday()]


def assumption_lines(result: RunView, created: date) -> list[str]:
    """The report's first pages: the run, then every section of the resolved scenario."""
    scn = result.scenario
    doc = scn.model_dump(mode="json")
    lines = [
        tr("Scenario: {name}", name=scn.name)
        + (f" - {scn.description}" if scn.description else ""),
        tr("Report date: {date}", date=created.isoformat()),
        tr("Run: {reps} replications, root seed {seed}; day 0 is {day0} ({weekday}); warm-up "
           "{warmup} days (not measured), horizon {horizon} days measured; costs count the "
           "horizon only; months and quarters are calendar ones.",
           reps=len(result.replications), seed=result.seed, day0=scn.start_date.isoformat(),
           weekday=_weekday(scn.start_date), warmup=f"{scn.warmup_days:g}",
           horizon=f"{scn.horizon_days:g}"),
        tr("Intervals: 95% Student-t over replications. A target is 'met' when the whole "
           "interval is on the good side, 'missed' when it is wholly on the wrong side, "
           "otherwise 'not significant'."),
        tr("Reproduce: aftersales-sim run scenario.yaml (the file in this pack; same seed, "
           "same numbers)."),
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


def _kpi_rows(result: RunView) -> list[list[str]]:
    """Every measured KPI by its label: a KPI nobody measured (revenue without a revenue
    section) is left out, never shown as "n/a, n=0"."""
    currency = result.scenario.currency
    rows = []
    for r in kpi_table(result).to_dict("records"):
        if int(r["n"]) == 0:
            continue
        unit = str(r["unit"])
        ci = tr("{low} to {high}", low=format_value(r['ci_low'], unit, currency),
                high=format_value(r['ci_high'], unit, currency)) if r["n"] >= 2 else "n/a"
        target = (format_target(r["target"], str(r["direction"]), unit, currency)
                  if r["direction"] else "")
        rows.append([kpi_label(str(r["kpi"])), format_value(r["mean"], unit, currency), ci,
                     str(r["n"]), target, status_label(str(r["status"])) if r["status"]
                     else ""])
    # Targeted KPIs first: they are what the budget is judged on.
    return sorted(rows, key=lambda row: row[4] == "")


def report_pages(result: RunView, created: date, register: pd.DataFrame | None = None,
                 base: Scenario | None = None) -> list[Figure]:
    """Every page of the report, in order, before page numbers: the answer first (does the
    plan meet its targets, what does it cost, what it changes), then every KPI, the charts at
    page size, the budgets by month, the appraisal, the risk register, and the assumptions
    last.

    Args:
        result: The run.
        created: The date printed on every page.
        register: A risk register (``risk_register.csv``) to add: its matrix and ranked table.
        base: The scenario file the plan was edited from, for the first page's changes.
    """
    scn = result.scenario
    pages = [summary_page(result, base)]
    pages += table_pages(
        tr("Every KPI with its 95% confidence interval and target"),
        tr("{reps} replications; horizon {horizon} days; targeted KPIs first.",
           reps=len(result.replications), horizon=f"{scn.horizon_days:g}"),
        [tr("KPI"), tr("mean"), tr("95% CI"), tr("n"), tr("target"), tr("status")],
        _kpi_rows(result),
        [0.26, 0.16, 0.28, 0.05, 0.13, 0.12])
    pages += [chart_page(fig) for stem, fig in explorer_figures(result, created).items()
              if stem not in _REPORT_SKIPS]
    # chart_page leaves a table page as it is and gives a chart the page's size.
    pages += [chart_page(fig) for fig in budget_pages(result.budget, scn.currency, scn.name)]
    pages += [chart_page(fig)
              for fig in appraisal_pages(result.appraisal, scn.currency, scn.name)]
    if register is not None and not register.empty:
        pages += [chart_page(fig) for fig in risk_pages(register, scn.currency, scn.name)]
    pages += text_pages(tr("Assumptions: {name}", name=scn.name),
                        assumption_lines(result, created))
    for i, fig in enumerate(pages, start=1):
        fig.text(0.99, 0.99, tr("{name} | {date} | page {page} of {pages}", name=scn.name,
                                date=stamp_text(created), page=i, pages=len(pages)),
                 fontsize=cs.FOOTNOTE_SIZE, ha="right", va="top")
    return pages


def report_pdf(result: RunView, created: date, register: pd.DataFrame | None = None,
               base: Scenario | None = None) -> bytes:
    """The PDF report: the answer on its first page, every KPI, the charts, the budgets by
    month, the appraisal, the risk register (when given), the assumptions.

    Args:
        result: The run.
        created: The date printed on every page; the only date in the file.
        register: A risk register to add (``risk_register.csv``).
        base: The scenario file the plan was edited from (its changes on the first page).

    Returns:
        PDF bytes, identical for identical input and ``created``.
    """
    buf = io.BytesIO()
    metadata: dict[str, Any] = {"Title": f"Budget pack: {result.scenario.name}",
                                "Author": PRODUCER, "Creator": PRODUCER, "Producer": PRODUCER,
                                "CreationDate": None, "ModDate": None}
    with PdfPages(buf, metadata=metadata) as pdf:
        for fig in report_pages(result, created, register, base):
            pdf.savefig(fig)
    return buf.getvalue()


def chart_bytes(result: RunView, stem: str, fmt: cs.ImageFormat, created: date) -> bytes:
    """One explorer chart as PNG, SVG or PDF bytes (byte-stable, see `figure_bytes`)."""
    return cs.figure_bytes(explorer_figures(result, created)[stem], fmt)


def _csv_builder(table: pd.DataFrame) -> Callable[[], bytes]:
    return lambda: csv_bytes(table)


def _chart_builder(fig: Figure) -> Callable[[], bytes]:
    return lambda: cs.figure_bytes(fig, "png")


def _raw(data: bytes) -> Callable[[], bytes]:
    return lambda: data


PACK_README = """Budget pack for scenario {name}, {date}.

report.pdf       the answer on page 1 (targets met, cost, margin, changes), KPIs with 95% CIs
                 and targets, the charts, the revenue, cost and expense budgets by calendar
                 month, the monthly and quarterly appraisal,{risks} the assumptions
scenario.yaml    the resolved scenario: `aftersales-sim run scenario.yaml` gives the same numbers
summary.json     KPI means, intervals and target verdicts
tables/*.csv     the results folder's tables, unchanged, with kpis.csv and
                 theory_by_hour_of_week.csv
charts/*.png     the report's charts
"""


def pack_entries(saved: SavedRun, created: date, base: Scenario | None = None
                 ) -> list[tuple[str, Callable[[], bytes]]]:
    """The zip's entries in order, each with the function that builds its bytes; ``base`` is
    the scenario file the plan was edited from (the report's first page lists the changes)."""
    scn = saved.scenario
    register = saved.risk_register
    readme = PACK_README.format(name=scn.name, date=created.isoformat(),
                                risks=" the risk register," if register is not None else "")
    entries: list[tuple[str, Callable[[], bytes]]] = [
        ("README.txt", _raw(readme.encode("utf-8"))),
        ("report.pdf", lambda: report_pdf(saved, created, register, base)),
        ("scenario.yaml", _raw(saved.files[SCENARIO_FILE])),
        ("summary.json", _raw(saved.files[SUMMARY_JSON])),
    ]
    folder_tables = [*TABLE_FILES.values(), *([RISK_REGISTER_FILE] if register is not None
                                              else [])]
    entries += [(f"tables/{name}", _raw(saved.files[name])) for name in folder_tables]
    entries += [("tables/kpis.csv", _csv_builder(kpi_table(saved))),
                ("tables/theory_by_hour_of_week.csv",
                 _csv_builder(erlang_c_by_hour_of_week(scn)))]
    entries += [(f"charts/{stem}.png", _chart_builder(fig))
                for stem, fig in explorer_figures(saved, created).items()]
    if register is not None:
        entries.append(("charts/risk_matrix.png", _chart_builder(dated(
            risk_matrix(register, scn.currency, scn.name), created))))
    return entries


def budget_pack(saved: SavedRun, created: date, base: Scenario | None = None) -> bytes:
    """The zip a planner hands on: report, scenario file, summary, the folder's tables and the
    charts.

    Entries have fixed names, order, permissions and timestamps (``created`` at midnight), so
    the same input gives the same bytes.

    Args:
        saved: A finished run folder read back (``sim.output.saved.read_saved_run``), or the
            files a run writes (``saved_run_from_files(run_files(result))``).
        created: The date printed in the report and stamped on the entries.
        base: The scenario file the plan was edited from (the report's first page lists the
            changes).
    """
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as zf:
        for name, build in pack_entries(saved, created, base):
            zf.writestr(zip_entry(name, created), build())
    return buf.getvalue()
