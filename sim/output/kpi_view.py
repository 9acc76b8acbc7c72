"""The KPI table as a reader sees it: names, units and numbers written out, never a raw decimal,
``None`` or ``currency``.

This module owns ``kpi_rows``: every KPI of a summary (the whole horizon's or a window's) with
its mean and 95% CI in the KPI's unit, its target and verdict, and, for a window, the whole
horizon's mean and verdict beside it. KPIs nobody measured (``revenue`` in a scenario without a
``revenue`` section) are left out and named by ``unmeasured``. The CSV downloads keep the raw
numbers (`sim.output.numbers.kpi_table`). No Streamlit.
"""

from __future__ import annotations

import math
from collections.abc import Mapping

import pandas as pd

from sim.i18n.messages import tr
from sim.measure.stats import TargetJudgement
from sim.output.labels import column_label, kpi_label, kpi_unit_label, status_label
from sim.output.numbers import format_interval, format_target, format_value, kpi_unit


def unmeasured(summary: pd.DataFrame) -> list[str]:
    """KPIs without a single replication's value (e.g. revenue without a revenue section)."""
    return [str(r["kpi"]) for r in summary.to_dict("records") if int(r["n"]) == 0]


def kpi_rows(summary: pd.DataFrame, targets: Mapping[str, TargetJudgement], currency: str,
             horizon: pd.DataFrame | None = None,
             horizon_targets: Mapping[str, TargetJudgement] | None = None) -> pd.DataFrame:
    """Every measured KPI as text: targeted ones first, then in catalogue order.

    Args:
        summary: Per KPI: mean, ci_low, ci_high, n (a run's or a window's).
        targets: The verdicts of ``summary``.
        currency: The scenario's currency.
        horizon: For a window, the whole horizon's summary, shown beside it.
        horizon_targets: The whole horizon's verdicts.

    Returns:
        Columns KPI, Unit, Mean, 95% CI, Target, Status (and Whole horizon, its status).
    """
    whole = horizon.set_index("kpi").to_dict("index") if horizon is not None else None
    rows = []
    for r in summary.to_dict("records"):
        kpi, n = str(r["kpi"]), int(r["n"])
        if n == 0:
            continue
        unit = kpi_unit(kpi)
        judged = targets.get(kpi)
        row = {
            column_label("kpi"): kpi_label(kpi),
            column_label("unit"): kpi_unit_label(kpi, currency),
            column_label("mean"): format_value(float(r["mean"]), unit, currency),
            column_label("ci"): (format_interval(float(r["ci_low"]), float(r["ci_high"]), unit,
                                                 currency) if n >= 2 else tr("n/a")),
            column_label("target"): (format_target(judged.target, judged.direction, unit,
                                                   currency) if judged else ""),
            column_label("status"): status_label(judged.status) if judged else "",
        }
        if whole is not None and kpi in whole:
            overall = (horizon_targets or {}).get(kpi)
            value = float(whole[kpi]["mean"])
            row[column_label("horizon")] = format_value(value, unit, currency) \
                if not math.isnan(value) else tr("n/a")
            row[tr("Whole horizon: status")] = status_label(overall.status) if overall else ""
        rows.append((judged is None, row))
    # Targeted KPIs first: they are what the plan is judged on.
    return pd.DataFrame([row for _, row in sorted(rows, key=lambda item: item[0])])
