"""The results folders of the experiment commands: sweep, compare and stress.

Each folder holds its resolved inputs (rerunnable), its tables, its charts and, written last,
``manifest.json`` (``sim.output.folder`` makes the folder appear whole or not at all). The
experiments themselves (``sim.experiments``) compute; this module only writes what they return.
"""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

from matplotlib.figure import Figure

from sim.experiments.compare import CompareResult
from sim.experiments.stress.analysis import BASELINE
from sim.experiments.stress.plan import StressResult, chart_series, stress_to_yaml
from sim.experiments.sweep import SweepResult, experiment_yaml
from sim.measure.catalog import KPI_BY_NAME
from sim.output.charts.experiments import compare_differences_chart, sweep_kpi_chart
from sim.output.charts.stress import damage_by_target, stress_daily
from sim.output.folder import ResultsFolder, manifest
from sim.output.labels import column_label, unit_label
from sim.scenario.loader import scenario_to_yaml


def write_sweep(result: SweepResult, out: Path, command: list[str], started: datetime,
                ended: datetime | None = None, overwrite: bool = False) -> Path:
    """Write the sweep results folder ``out``; ``manifest.json`` comes last.

    Args:
        result: A finished sweep.
        out: The folder (replaced only if empty or a finished results folder).
        command: The argv that produced the run, for the manifest.
        started: When the run started.
        ended: When it ended (default: now).
        overwrite: Replace a finished run holding the user's files (theirs are kept).

    Returns:
        ``out``.
    """
    keys = [f.key for f in result.factors]
    with ResultsFolder(out, overwrite) as folder:
        folder.write_text("experiment.yaml", experiment_yaml(result))
        folder.write_text("base.yaml", scenario_to_yaml(result.base))
        for point in result.points:
            folder.write_text(f"points/{point.id}.yaml", scenario_to_yaml(point.scenario))
        folder.write_csv("sweep.csv", result.table)
        folder.write_csv("sweep_summary.csv", result.summary)
        folder.write_csv("sweep_points.csv", result.overview)
        for kpi in result.kpis:
            folder.write_figure(kpi, sweep_kpi_chart(
                result.summary, keys, kpi, result.base.targets.get(kpi),
                result.cheapest_feasible, result.name, currency=result.base.currency))
        folder.finish(manifest(result.seed, result.replications, command, started,
                               ended or datetime.now().astimezone(),
                               {"experiment": result.name, "points": len(result.points),
                                "factors": keys, "cheapest_feasible": result.cheapest_feasible}))
    return out


def write_compare(result: CompareResult, out: Path, command: list[str], started: datetime,
                  ended: datetime | None = None, overwrite: bool = False) -> Path:
    """Write the compare results folder ``out``; ``manifest.json`` comes last.

    Holds each resolved scenario under ``scenarios/``, ``compare.csv``, ``replications.csv``
    (every replication of every scenario) and ``charts/differences``.

    Args:
        result: A finished comparison.
        out: The folder (replaced only if empty or a finished results folder).
        command: The argv that produced the run, for the manifest.
        started: When the run started.
        ended: When it ended (default: now).
        overwrite: Replace a finished run holding the user's files (theirs are kept).

    Returns:
        ``out``.
    """
    with ResultsFolder(out, overwrite) as folder:
        for label, run in zip(result.labels, result.runs, strict=True):
            folder.write_text(f"scenarios/{label}.yaml", scenario_to_yaml(run.scenario))
        folder.write_csv("compare.csv", result.table)
        folder.write_csv("replications.csv", result.replications_table())
        folder.write_figure("differences",
                            compare_differences_chart(result.table, result.targeted_kpis,
                                                      currency=result.runs[0].scenario.currency))
        folder.finish(manifest(result.seed, result.replications, command, started,
                               ended or datetime.now().astimezone(),
                               {"scenarios": result.labels}))
    return out


_UNITS = {"open_work_orders": "work orders", "jobs_waiting_parts": "jobs",
          "peak_queue": "callers"}


def stress_figures(result: StressResult) -> dict[str, Figure]:
    """The charts of a stress folder by file stem: one per daily series, and the damage."""
    windows = {s.name: s.window() for s in result.shocks}
    judged = {t.name: t for t in result.targets if t.daily}
    currency = result.base.currency
    figures = {}
    for series in chart_series(result.base, result.targets):
        info = KPI_BY_NAME.get(series)
        unit = info.unit if info is not None else _UNITS.get(series, "units")
        target = judged.get(series)
        figures[f"stress_{series}"] = stress_daily(
            result.daily, series, f"{column_label(series)} ({unit_label(unit, currency)})",
            windows, result.base.name,
            target=target.value if target is not None else None,
            target_label="Target" if target is None or target.source == "target" else "Limit",
            share=unit == "share")
    figures["stress_damage"] = damage_by_target(
        result.summary, [str(s) for s in result.ranking["shock"]], result.base.name)
    return figures


def write_stress(result: StressResult, out: Path, command: list[str], started: datetime,
                 ended: datetime | None = None, overwrite: bool = False) -> Path:
    """Write the stress results folder; `manifest.json` last, the folder appears whole.

    Files: stress_summary.csv, stress_ranking.csv, daily.csv (shock, rep, day, columns),
    daily_bands.csv, replications.csv (shock, rep, seed, KPIs), stress.yaml (resolved),
    scenarios/baseline.yaml and scenarios/<shock>.yaml (resolved), charts/.

    Args:
        result: The stress run.
        out: The folder.
        command: The argv that produced the run.
        started: Start time of the run.
        ended: End time (default: now).
        overwrite: Replace a finished run holding the user's files (theirs are kept).

    Returns:
        The folder.
    """
    with ResultsFolder(out, overwrite) as folder:
        folder.write_csv("stress_summary.csv", result.summary)
        folder.write_csv("stress_ranking.csv", result.ranking)
        folder.write_csv("daily.csv", result.daily)
        folder.write_csv("daily_bands.csv", result.bands)
        folder.write_csv("replications.csv", result.replication_table)
        folder.write_text("stress.yaml", stress_to_yaml(result))
        folder.write_text(f"scenarios/{BASELINE}.yaml", scenario_to_yaml(result.base))
        for name, scenario in result.scenarios.items():
            folder.write_text(f"scenarios/{name}.yaml", scenario_to_yaml(scenario))
        for stem, fig in stress_figures(result).items():
            folder.write_figure(stem, fig)
        extra = {"stress": result.name, "base_scenario": result.base.name,
                 "shocks": [s.name for s in result.shocks]}
        folder.finish(manifest(result.seed, result.replications, command, started,
                               ended or datetime.now().astimezone(), extra))
    return out
