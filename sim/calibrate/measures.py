"""Measures taken directly on event logs: the KPIs the fit's back-test compares.

This module owns ``log_kpis`` (service level, abandon rate, on-time repair rate and fill rate per
week or replication of validated logs), ``kpi_samples`` (one value per independent unit, as the
back-test compares them) and ``kpi_summary`` (their means and t-intervals).
``sim.calibrate.fit`` attaches them to every ``Fit``. It defines no KPI: the log's columns are
adapted once, here, into the views of ``sim.measure`` (``Calls``, ``WorkOrders``,
``PartRequests``) whose cohorts are the weeks (or replications) measured, and each value is the
catalogue's own formula on them, finished by its kind (``sim.measure.registry.values``).
"""

from __future__ import annotations

import math
from collections.abc import Callable

import numpy as np
import pandas as pd

from sim.calibrate.calls import phone_calls
from sim.calibrate.estimators import Estimate
from sim.calibrate.read import Logs
from sim.measure.calls import Calls, abandon_rate, service_level
from sim.measure.parts import PartRequests, fill_rate
from sim.measure.registry import values
from sim.measure.repairs import WorkOrders, repair_on_time_rate
from sim.measure.stats import t_interval
from sim.units import MINUTES_PER_WEEK

# --- the logs as views of the records ---------------------------------------------------------

LOG_KPIS = ("service_level", "abandon_rate", "repair_on_time_rate", "fill_rate")


def calls_view(calls: pd.DataFrame, answer_target_seconds: float, cohort: np.ndarray,
               cohorts: int) -> Calls:
    """A calls log as the call-center KPIs read it, each call in the given cohort."""
    outcome = calls["outcome"].to_numpy()
    return Calls(calls["arrived_at"].to_numpy(float), calls["answered_at"].to_numpy(float),
                 outcome == "abandoned", outcome == "blocked", answer_target_seconds, cohort,
                 cohorts)


def work_orders_view(jobs: pd.DataFrame, cohort: np.ndarray, cohorts: int,
                     end_minutes: float) -> WorkOrders:
    """A work-orders log as the on-time KPIs read it: the records end at ``end_minutes``, so a
    job still open then is late once its promise has passed, and of unknown fate before."""
    return WorkOrders(jobs["finished_at"].to_numpy(float), jobs["promised_by"].to_numpy(float),
                      _came_back(jobs), cohort, cohorts, end_minutes)


def part_requests_view(jobs: pd.DataFrame, cohort_of: Callable[[pd.DataFrame], np.ndarray],
                       cohorts: int) -> PartRequests:
    """The part requests of a work-orders log (one per job that asked for a part): from stock
    when the job never waited for it; ``cohort_of`` places the asking jobs' rows."""
    asked = jobs[jobs["part_requested_at"].notna()]
    requested = asked["part_requested_at"].to_numpy(float)
    from_stock = asked["part_wait_from"].isna().to_numpy()
    # Without ``part_wait_to`` the arrival of a backordered part is unknown: not filled.
    arrived = (asked["part_wait_to"].to_numpy(float) if "part_wait_to" in asked
               else np.full(len(asked), np.nan))
    return PartRequests(requested, from_stock, np.where(from_stock, requested, arrived),
                        cohort_of(asked), cohorts)


def _records_end(logs: Logs) -> float:
    """The last moment the logs tell about: their latest timestamp (a company's records end
    when they were extracted; the model's run on through the run-out)."""
    latest = [logs.end]
    for table in logs.tables.values():
        for column in table.columns:
            # Times something happened (``due_at``, like ``promised_by``, is a promise).
            if column.endswith("_at") and column != "due_at" and len(table):
                latest.append(float(np.nanmax(table[column].to_numpy(float), initial=-np.inf)))
    return max(latest)


def _came_back(jobs: pd.DataFrame) -> np.ndarray:
    """Per work order, whether its repair failed and came back as a rework job."""
    if "rework_of" not in jobs:
        return np.zeros(len(jobs), dtype=bool)
    back = jobs[jobs["rework_of"].notna()]
    ids = pd.MultiIndex.from_arrays([jobs["rep"], jobs["work_order_id"]])
    return np.asarray(ids.isin(pd.MultiIndex.from_arrays([back["rep"], back["rework_of"]])))


# --- measures on the logs --------------------------------------------------------------------


def log_kpis(logs: Logs, answer_target_seconds: float, per: str = "week") -> pd.DataFrame:
    """KPIs measured directly on the logs, one row per week (or per replication).

    Each value is the KPI catalogue's formula (``sim.measure``) on the records of one unit: the
    calls that arrived in it, the work orders created in it, the part requests made in it.

    Args:
        logs: The validated logs.
        answer_target_seconds: The service-level threshold.
        per: ``week`` (7-day blocks from the window's start, within each replication) or
            ``rep`` (whole replications: independent, so their t-interval is exact).

    Returns:
        Columns ``rep``, ``unit`` and each of ``LOG_KPIS`` (NaN where the logs cannot tell).
    """
    units = np.arange(1 if per == "rep" else math.ceil(logs.days / 7))
    reps = np.sort(logs.tables["calls"]["rep"].unique())
    index = pd.MultiIndex.from_product([reps, units], names=["rep", "unit"])
    out = pd.DataFrame(index=index, columns=list(LOG_KPIS), dtype=float)

    def unit_of(table: pd.DataFrame, time: str) -> np.ndarray:
        """Each row's position in ``index`` (-1: outside every unit)."""
        t = table[time].to_numpy(float)
        unit = (np.zeros(len(t), dtype=int) if per == "rep"
                else np.floor((t - logs.start) / MINUTES_PER_WEEK).astype(int))
        return index.get_indexer(pd.MultiIndex.from_arrays([table["rep"].to_numpy(), unit]))

    # The phone calls: contacts of closed hours, called back later, are left out as the
    # model's own KPIs leave them out.
    calls = phone_calls(logs.tables["calls"])
    by_unit = calls_view(calls, answer_target_seconds, unit_of(calls, "arrived_at"), len(index))
    out["service_level"] = values(service_level, by_unit)
    out["abandon_rate"] = values(abandon_rate, by_unit)
    jobs = logs.get("work_orders")
    if jobs is not None:
        orders = work_orders_view(jobs, unit_of(jobs, "created_at"), len(index),
                                  _records_end(logs))
        out["repair_on_time_rate"] = values(repair_on_time_rate, orders)
        if "part_requested_at" in jobs and "part_wait_from" in jobs:
            requests = part_requests_view(
                jobs, lambda asked: unit_of(asked, "part_requested_at"), len(index))
            out["fill_rate"] = values(fill_rate, requests)
    return out.reset_index()


MIN_UNITS = 3  # fewer replications give no variance: weeks are the unit instead


def sample_unit(*replications: int) -> str:
    """What one observation of a KPI is: ``replication`` when every side has at least
    ``MIN_UNITS`` (independent), else ``week`` (a company's records are one history)."""
    return "replication" if min(replications) >= MIN_UNITS else "week"


def kpi_samples(logs: Logs, answer_target_seconds: float, unit: str) -> pd.DataFrame:
    """One row per replication (weekly service level averaged within it) or per week."""
    weekly = log_kpis(logs, answer_target_seconds, per="week")
    if unit == "week":
        return weekly
    whole = log_kpis(logs, answer_target_seconds, per="rep").set_index("rep")
    return whole.assign(service_level=weekly.groupby("rep")["service_level"].mean()
                        ).reset_index()


def kpi_summary(table: pd.DataFrame, confidence: float = 0.95) -> dict[str, Estimate]:
    """Mean and t-interval of each KPI column of ``log_kpis`` over its rows (NaN rows left out)."""
    out = {}
    for name in LOG_KPIS:
        iv = t_interval(table[name].to_numpy(float), confidence)
        if iv.n:
            out[name] = Estimate(iv.mean, iv.ci_low, iv.ci_high)
    return out

