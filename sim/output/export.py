"""The results folder of a run (contract): which files, in which format, written in which order.

``sim.output.folder`` owns *how* a folder is written (staging, atomic files, manifest last); this
module owns *what* a run folder holds: the resolved scenario, the replication table, the summary in
JSON and CSV (with how long the run-out lasted), the daily series, why repairs were late, the
budget and the appraisal by calendar month (``run_files``: the bytes of each, also what the
explorer builds its budget pack from) and the charts (``run_figures``, drawn from a ``RunView`` so
a folder read back draws the same); with a window (``run --window``), the window's KPIs beside
the horizon's (``window_summary.csv`` and the ``window`` block of ``summary.json``).
"""

from __future__ import annotations

import importlib.util
from datetime import datetime
from pathlib import Path
from typing import Any

import pandas as pd
from matplotlib.figure import Figure

from sim.experiments.budget import TOTAL_REVENUE, month_lines
from sim.experiments.replicate import RunResult
from sim.experiments.windows import WindowSummary
from sim.measure.products import split
from sim.output.charts import lateness, management
from sim.output.charts import run as charts
from sim.output.folder import ResultsFolder, csv_text, json_text, manifest
from sim.output.run_view import SCENARIO_FILE, SUMMARY_JSON, TABLE_FILES, RunView
from sim.output.window import WINDOW_FILE, window_document, window_table
from sim.scenario.loader import scenario_to_yaml

BY_PRODUCT_FILE = "by_product.csv"
"""With product lines: each line's KPIs (``by_product_table``)."""


def summary_document(result: RunResult, window: WindowSummary | None = None) -> dict[str, Any]:
    """The ``summary.json`` document: KPIs with their intervals and the targets' verdicts; with
    a ``window``, the same for its days under ``window``."""
    kpis = {
        str(row["kpi"]): {"mean": row["mean"], "std": row["std"], "ci_low": row["ci_low"],
                          "ci_high": row["ci_high"], "n": int(row["n"])}
        for row in result.summary.to_dict("records")
    }
    targets = {
        name: {"target": j.target, "direction": j.direction, "met": j.met, "status": j.status}
        for name, j in result.targets.items()
    }
    document = {"scenario": result.scenario.name, "seed": result.seed,
                "replications": len(result.replications), "kpis": kpis, "targets": targets,
                "run_out": run_out_document(result)}
    if window is not None:
        document["window"] = window_document(window)
    return document


def run_out_document(result: RunResult) -> dict[str, Any]:
    """How far past the horizon the run went to follow the window's items to their end (days,
    mean and max over replications; the cap, ``run_out_max_days``) and how many items the cap
    cut (left open: late and not done), in total and by kind."""
    table = result.run_out
    cut_columns = [c for c in table.columns if c.startswith("cut_")]
    cut = table[cut_columns].sum(axis=1) if cut_columns else table["run_out_days"] * 0
    days = table["run_out_days"]
    return {
        "max_days": result.scenario.run_out_max_days,
        "days_mean": float(days.mean()) if len(days) else 0.0,
        "days_max": float(days.max()) if len(days) else 0.0,
        "items_cut_mean": float(cut.mean()) if len(cut) else 0.0,
        "items_cut_max": float(cut.max()) if len(cut) else 0.0,
        "replications_cut": int((cut > 0).sum()),
        "items_cut_by_kind": {c.removeprefix("cut_"): float(table[c].sum())
                              for c in cut_columns},
    }


def run_figures(result: RunView) -> dict[str, Figure]:
    """The charts of a run folder, by file stem."""
    scn = result.scenario
    name = scn.name
    budget = result.budget
    months = budget[budget["month"] != "total"]
    revenue = months[months["department"] == TOTAL_REVENUE]
    figures = {
        "service_level_per_day": charts.service_level_per_day(
            result.daily, scn.targets.get("service_level"),
            scn.call_center.answer_target_seconds, name),
        "offered_vs_staffed": charts.offered_vs_staffed(result.hourly, name),
        "wait_distribution": charts.wait_distribution(
            result.wait_hist, scn.call_center.answer_target_seconds, name),
        "cost_per_department": charts.cost_per_department(
            month_lines(budget, "cost"), scn.currency, name,
            revenue=revenue if not revenue.empty else None),
        "budget_by_month": management.budget_by_month(budget, scn.currency, name),
    }
    if not result.appraisal.empty:
        figures["appraisal_by_month"] = management.appraisal_heatmap(result.appraisal, name)
    fs = scn.field_service
    if fs is not None:
        figures["backlog_per_day"] = charts.backlog_per_day(result.daily, name)
        figures["late_drivers"] = lateness.late_drivers(result.late_drivers, name)
        promised = {"onsite": fs.promised_hours.onsite}
        if fs.depot is not None:
            promised["depot"] = fs.promised_hours.depot
        figures["turnaround_distribution"] = charts.turnaround_distribution(
            result.turnaround_hist, promised, name)
    if scn.parts is not None:
        figures["stock_per_sku"] = charts.stock_per_sku(
            result.daily, {s.sku: s.policy.reorder_point for s in scn.parts.skus}, name)
    return figures


def run_files(result: RunResult, window: WindowSummary | None = None) -> dict[str, bytes]:
    """Every file of a run folder but the charts, the event logs and the manifest, by name, as
    ``write_run`` writes them; with a ``window``, ``window_summary.csv`` and the ``window``
    block of ``summary.json`` too."""
    tables = {attr: getattr(result, attr) for attr in TABLE_FILES}
    files = {SCENARIO_FILE: scenario_to_yaml(result.scenario).encode("utf-8"),
             SUMMARY_JSON: json_text(summary_document(result, window)).encode("utf-8")}
    for attr, name in TABLE_FILES.items():
        files[name] = csv_text(tables[attr]).encode("utf-8")
    if window is not None:
        files[WINDOW_FILE] = csv_text(window_table(result, window)).encode("utf-8")
    if result.scenario.demand.products:
        files[BY_PRODUCT_FILE] = csv_text(by_product_table(result.summary)).encode("utf-8")
    return files


def by_product_table(summary: pd.DataFrame) -> pd.DataFrame:
    """The summary's per-product-line rows as a table: ``product``, ``kpi``, then the summary's
    columns (mean, std, interval, n), lines in scenario order."""
    rows = []
    for record in summary.to_dict("records"):
        parsed = split(str(record["kpi"]))
        if parsed is not None:
            rows.append({"product": parsed[1], **record, "kpi": parsed[0]})
    columns = ["product", "kpi", *(c for c in summary.columns if c != "kpi")]
    return pd.DataFrame(rows, columns=columns)


def write_run(result: RunResult, out_dir: Path, command: list[str], started: datetime,
              ended: datetime | None = None, extra: dict[str, Any] | None = None,
              overwrite: bool = False, window: WindowSummary | None = None) -> Path:
    """Write the run folder ``out_dir``; ``manifest.json`` comes last, the folder appears whole.

    ``extra`` adds keys to the manifest (e.g. why a sequential run stopped); the manifest always
    records the scenario's ``start_date`` (resolved when the file was read). ``overwrite``
    replaces a finished run holding the user's files (see ``sim.output.folder.ResultsFolder``);
    ``window`` adds ``window_summary.csv`` and the ``window`` block of ``summary.json``.
    """
    with ResultsFolder(out_dir, overwrite) as folder:
        finish_run(folder, result, command, started, ended, extra, window)
    return out_dir


def finish_run(folder: ResultsFolder, result: RunResult, command: list[str], started: datetime,
               ended: datetime | None = None, extra: dict[str, Any] | None = None,
               window: WindowSummary | None = None) -> None:
    """Write a run's files into an open ``folder`` and publish it (``write_run``'s work, for a
    run that opened its folder before simulating: its event logs were written as it ran)."""
    write_run_files(folder, result, window)
    folder.finish(manifest(result.seed, len(result.replications), command, started,
                           ended or datetime.now().astimezone(),
                           extra=run_manifest_extra(result) | (extra or {})))


def run_manifest_extra(result: RunView) -> dict[str, Any]:
    """What a run's manifest records beyond the standard keys: the date of day 0."""
    return {"start_date": result.scenario.start_date.isoformat()}


def write_run_files(folder: ResultsFolder, result: RunResult,
                    window: WindowSummary | None = None) -> None:
    """Write a run's files, event logs and charts into an open results folder (a run folder, or
    the base run inside a risk register's folder); ``window`` as for ``run_files``."""
    for name, data in run_files(result, window).items():
        folder.write_bytes(name, data)
    if result.events is not None:
        parquet = importlib.util.find_spec("pyarrow") is not None
        for kind, table in result.events.items():
            folder.write_csv(f"events/{kind}.csv", table)
            if parquet:
                folder.write_bytes(f"events/{kind}.parquet", table.to_parquet(index=False))
    for stem, fig in run_figures(result).items():
        folder.write_figure(stem, fig)
