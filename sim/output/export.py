"""The results folder of a run (contract): which files, in which format, written in which order.

``sim.output.folder`` owns *how* a folder is written (staging, atomic files, manifest last); this
module owns *what* a run folder holds: the resolved scenario, the replication table, the summary in
JSON and CSV (with how long the run-out lasted), the daily series, why repairs were late and the
charts.
"""

from __future__ import annotations

import importlib.util
from datetime import datetime
from pathlib import Path
from typing import Any

import pandas as pd
from matplotlib.figure import Figure

from sim.experiments.replicate import RunResult
from sim.measure.costs import REVENUE, SUMMARY_ROWS
from sim.measure.products import split
from sim.output.charts import lateness
from sim.output.charts import run as charts
from sim.output.folder import ResultsFolder, manifest
from sim.scenario.loader import scenario_to_yaml


def summary_document(result: RunResult) -> dict[str, Any]:
    """The ``summary.json`` document: KPIs with their intervals and the targets' verdicts."""
    kpis = {
        str(row["kpi"]): {"mean": row["mean"], "std": row["std"], "ci_low": row["ci_low"],
                          "ci_high": row["ci_high"], "n": int(row["n"])}
        for row in result.summary.to_dict("records")
    }
    targets = {
        name: {"target": j.target, "direction": j.direction, "met": j.met, "status": j.status}
        for name, j in result.targets.items()
    }
    return {"scenario": result.scenario.name, "seed": result.seed,
            "replications": len(result.replications), "kpis": kpis, "targets": targets,
            "run_out": run_out_document(result)}


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


def run_figures(result: RunResult) -> dict[str, Figure]:
    """The charts of a run folder, by file stem."""
    scn = result.scenario
    name = scn.name
    figures = {
        "service_level_per_day": charts.service_level_per_day(
            result.daily, scn.targets.get("service_level"),
            scn.call_center.answer_target_seconds, name),
        "offered_vs_staffed": charts.offered_vs_staffed(result.hourly, name),
        "wait_distribution": charts.wait_distribution(
            result.wait_hist, scn.call_center.answer_target_seconds, name),
        "cost_per_department": charts.cost_per_department(
            result.budget[~result.budget["department"].isin(SUMMARY_ROWS)], scn.currency, name,
            revenue=(result.budget[result.budget["department"] == REVENUE]
                     if scn.revenue is not None else None)),
    }
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


def write_run(result: RunResult, out_dir: Path, command: list[str], started: datetime,
              ended: datetime | None = None, extra: dict[str, Any] | None = None,
              overwrite: bool = False) -> Path:
    """Write the run folder ``out_dir``; ``manifest.json`` comes last, the folder appears whole.

    ``extra`` adds keys to the manifest (e.g. why a sequential run stopped); ``overwrite``
    replaces a finished run holding the user's files (see ``sim.output.folder.ResultsFolder``).
    """
    with ResultsFolder(out_dir, overwrite) as folder:
        folder.write_text("scenario.yaml", scenario_to_yaml(result.scenario))
        folder.write_csv("replications.csv", result.replications)
        folder.write_json("summary.json", summary_document(result))
        folder.write_csv("summary.csv", result.summary)
        folder.write_csv("daily.csv", result.daily)
        folder.write_csv("hourly.csv", result.hourly)
        folder.write_csv("wait_histogram.csv", result.wait_hist)
        folder.write_csv("budget.csv", result.budget)
        folder.write_csv("turnaround_histogram.csv", result.turnaround_hist)
        if result.scenario.field_service is not None:
            folder.write_csv("late_drivers.csv", result.late_drivers)
        if result.scenario.demand.products:
            folder.write_csv("by_product.csv", by_product_table(result.summary))
        if result.events is not None:
            parquet = importlib.util.find_spec("pyarrow") is not None
            for kind, table in result.events.items():
                folder.write_csv(f"events/{kind}.csv", table)
                if parquet:
                    folder.write_bytes(f"events/{kind}.parquet", table.to_parquet(index=False))
        for stem, fig in run_figures(result).items():
            folder.write_figure(stem, fig)
        folder.finish(manifest(result.seed, len(result.replications), command, started,
                               ended or datetime.now().astimezone(), extra=extra))
    return out_dir


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
