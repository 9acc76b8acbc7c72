"""KPIs per product line: on-time repair, first-time fix and dispatch wait of each line.

This module owns ``BY_PRODUCT`` (the KPIs broken down by line) and ``by_product`` (their values for
one replication). It defines no formula: each value is the registered formula of the KPI
(``sim.measure.repairs``) applied to the work orders of one line, over the whole measured window,
so a line's on-time rate means exactly what ``repair_on_time_rate`` means. The values travel in
the replication's KPI row as ``<kpi>_by_product.<line>`` (``replications.csv``, ``summary.csv``)
and ``sim.output`` writes them as ``by_product.csv``; they are not in the ledger (a window of
days reports the lines' totals only).
"""

from __future__ import annotations

import math

import numpy as np

from sim.engine.model import Replication
from sim.measure.registry import value
from sim.measure.repairs import Jobs, dispatch_wait_hours, first_time_fix_rate, repair_on_time_rate
from sim.measure.window import Grid
from sim.scenario.format import Scenario

BY_PRODUCT = (repair_on_time_rate, first_time_fix_rate, dispatch_wait_hours)
"""The KPIs reported per product line, in column order."""
SEPARATOR = "_by_product."


def column(kpi: str, line: str) -> str:
    """The KPI row's column of ``kpi`` for product line ``line``."""
    return f"{kpi}{SEPARATOR}{line}"


def split(name: str) -> tuple[str, str] | None:
    """(kpi, line) of a by-product column, or None for any other name."""
    kpi, sep, line = name.partition(SEPARATOR)
    return (kpi, line) if sep else None


def by_product(scenario: Scenario, rep: Replication) -> dict[str, float]:
    """Each product line's KPIs of ``BY_PRODUCT`` over the measured window (empty without
    ``demand.products``), NaN where a line has nothing to measure."""
    if not scenario.demand.products:
        return {}
    jobs = Jobs.measured(rep, Grid.whole(rep.start_minutes, rep.end_minutes))
    out: dict[str, float] = {}
    for line in scenario.demand.products:
        mine = jobs.only(jobs.product == line.name)
        for formula in BY_PRODUCT:
            v = value(formula, mine)
            out[column(formula.__name__, line.name)] = math.nan if np.isnan(v) else v
    return out
