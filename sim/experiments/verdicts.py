"""What a table of replications says: each KPI's t-interval and each target's verdict.

This module owns ``judged``, used for a run's whole horizon (``replicate.assemble``) and for any
window of its days (``windows.window_summary``) alike: intervals from ``sim.measure.stats``
(``summarize``, bounded KPIs clipped to their bounds) and verdicts by ``judge_target``.
"""

from __future__ import annotations

from collections.abc import Mapping

import pandas as pd

from sim.measure.catalog import KPI_BY_NAME
from sim.measure.products import split
from sim.measure.stats import TargetJudgement, judge_target, summarize, t_interval


def kpi_columns(replications: pd.DataFrame) -> list[str]:
    """The KPI columns of a replication table: the catalogue's in its order, then any other."""
    known = [k for k in KPI_BY_NAME if k in replications.columns]
    return [*known, *(k for k in replications.columns
                      if k not in known and k not in ("rep", "seed"))]


def judged(replications: pd.DataFrame, targets: Mapping[str, float]
           ) -> tuple[pd.DataFrame, dict[str, TargetJudgement]]:
    """The summary (one t-interval row per KPI) and the verdict of each target.

    Args:
        replications: One row per replication, one column per KPI.
        targets: KPI name -> threshold (the scenario's ``targets``).
    """
    kpis = kpi_columns(replications)
    # A product line's KPI takes the values of the KPI it breaks down.
    bounds = {k: KPI_BY_NAME[base].bounds for k in kpis
              if (base := (split(k) or (k, ""))[0]) in KPI_BY_NAME}
    summary = summarize(replications, kpis, bounds=bounds)
    verdicts = {}
    for name, target in targets.items():
        interval = t_interval(replications[name].to_numpy(float)) if name in replications \
            else t_interval([])
        verdicts[name] = judge_target(interval, target, KPI_BY_NAME[name].direction)
    return summary, verdicts
