"""A window of a run's days beside the whole horizon: the table and the JSON block of a results
folder (`window_summary.csv`, the `window` block of `summary.json`) and the rows a page shows.

The numbers are `sim.experiments.windows.window_summary`'s (the run's KPI ledger combined over
the window's days, judged by the same rules as the horizon); this module only lays them out
beside the horizon's. No Streamlit.
"""

from __future__ import annotations

import math
from typing import Any

import pandas as pd

from sim.experiments.replicate import RunResult
from sim.experiments.windows import WindowSummary
from sim.measure.stats import TargetJudgement

WINDOW_FILE = "window_summary.csv"
WINDOW_COLUMNS = ("kpi", "first_day", "last_day", "mean", "std", "ci_low", "ci_high", "n",
                  "target", "direction", "status", "horizon_mean", "horizon_ci_low",
                  "horizon_ci_high", "horizon_status")
"""``window_summary.csv``: per KPI, the window's mean, interval and verdict, then the horizon's."""


def _verdict(judged: TargetJudgement | None) -> tuple[float, str, str]:
    if judged is None:
        return math.nan, "", ""
    return judged.target, judged.direction, judged.status


def window_table(result: RunResult, window: WindowSummary) -> pd.DataFrame:
    """Every KPI over the window beside the same KPI over the whole horizon.

    Returns:
        Columns ``WINDOW_COLUMNS``, one row per KPI in catalogue order; the target columns are
        empty for a KPI without a target.
    """
    horizon = result.summary.set_index("kpi").to_dict("index")
    rows = []
    for row in window.summary.to_dict("records"):
        kpi = str(row["kpi"])
        target, direction, status = _verdict(window.targets.get(kpi))
        whole = horizon.get(kpi)
        rows.append({
            "kpi": kpi, "first_day": window.first_day, "last_day": window.last_day,
            "mean": row["mean"], "std": row["std"], "ci_low": row["ci_low"],
            "ci_high": row["ci_high"], "n": int(row["n"]), "target": target,
            "direction": direction, "status": status,
            "horizon_mean": float(whole["mean"]) if whole is not None else math.nan,
            "horizon_ci_low": float(whole["ci_low"]) if whole is not None else math.nan,
            "horizon_ci_high": float(whole["ci_high"]) if whole is not None else math.nan,
            "horizon_status": _verdict(result.targets.get(kpi))[2]})
    return pd.DataFrame(rows, columns=list(WINDOW_COLUMNS))


def window_document(window: WindowSummary) -> dict[str, Any]:
    """The ``window`` block of ``summary.json``: its days, KPIs and targets, shaped like the
    document's top level (``kpis``, ``targets``)."""
    kpis = {
        str(row["kpi"]): {"mean": row["mean"], "std": row["std"], "ci_low": row["ci_low"],
                          "ci_high": row["ci_high"], "n": int(row["n"])}
        for row in window.summary.to_dict("records")
    }
    targets = {
        name: {"target": j.target, "direction": j.direction, "met": j.met, "status": j.status}
        for name, j in window.targets.items()
    }
    return {"first_day": window.first_day, "last_day": window.last_day,
            "days": window.last_day - window.first_day + 1, "kpis": kpis, "targets": targets}
