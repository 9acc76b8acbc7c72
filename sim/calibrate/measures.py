"""Measures taken directly on event logs: the KPIs the fit's back-test compares.

This module owns ``log_kpis`` (service level, abandon rate, on-time repair rate and fill rate per
week or replication of validated logs, defined as in the KPI catalogue), ``kpi_samples`` (one
value per independent unit, as the back-test compares them) and ``kpi_summary`` (their means and
t-intervals). ``sim.calibrate.fit`` attaches them to every ``Fit``.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd

from sim.calibrate.estimators import Estimate
from sim.calibrate.read import Logs
from sim.measure.stats import t_interval
from sim.units import MINUTES_PER_WEEK

# --- measures on the logs --------------------------------------------------------------------

LOG_KPIS = ("service_level", "abandon_rate", "repair_on_time_rate", "fill_rate")


def _ratio(num: np.ndarray, den: np.ndarray) -> np.ndarray:
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(den > 0, num / den, np.nan)


def log_kpis(logs: Logs, answer_target_seconds: float, per: str = "week") -> pd.DataFrame:
    """KPIs measured directly on the logs, one row per week (or per replication).

    Definitions follow the KPI catalogue: service level and abandon rate over every offered
    call; a repair is on time when it finished by its promise and did not come back as rework;
    the fill rate is the share of part requests met from stock (no wait for the part).

    Args:
        logs: The validated logs.
        answer_target_seconds: The service-level threshold.
        per: ``week`` (7-day blocks from the window's start, within each replication) or
            ``rep`` (whole replications: independent, so their t-interval is exact).

    Returns:
        Columns ``rep``, ``unit`` and each of ``LOG_KPIS`` (NaN where the logs cannot tell).
    """
    def unit_of(t: np.ndarray) -> np.ndarray:
        if per == "rep":
            return np.zeros(len(t), dtype=int)
        return np.floor((t - logs.start) / MINUTES_PER_WEEK).astype(int)

    units = np.arange(1 if per == "rep" else math.ceil(logs.days / 7))
    reps = np.sort(logs.tables["calls"]["rep"].unique())
    index = pd.MultiIndex.from_product([reps, units], names=["rep", "unit"])
    out = pd.DataFrame(index=index, columns=list(LOG_KPIS), dtype=float)

    def per_unit(table: pd.DataFrame, time: str, num: np.ndarray, den: np.ndarray) -> pd.Series:
        keys = pd.MultiIndex.from_arrays([table["rep"].to_numpy(), unit_of(
            table[time].to_numpy(float))], names=["rep", "unit"])
        sums = pd.DataFrame({"num": num.astype(float), "den": den.astype(float)},
                            index=keys).groupby(level=[0, 1]).sum().reindex(index, fill_value=0)
        return pd.Series(_ratio(sums["num"].to_numpy(), sums["den"].to_numpy()), index=index)

    calls = logs.tables["calls"]
    wait = calls["answered_at"].to_numpy(float) - calls["arrived_at"].to_numpy(float)
    offered = np.ones(len(calls))
    on_target = wait * 60.0 <= answer_target_seconds + 1e-6
    out["service_level"] = per_unit(calls, "arrived_at", on_target, offered)
    out["abandon_rate"] = per_unit(calls, "arrived_at",
                                   (calls["outcome"] == "abandoned").to_numpy(), offered)
    jobs = logs.get("work_orders")
    if jobs is not None:
        finished = jobs["finished_at"].notna().to_numpy()
        came_back = _came_back(jobs)
        on_time = finished & (jobs["finished_at"] <= jobs["promised_by"]).to_numpy() & ~came_back
        out["repair_on_time_rate"] = per_unit(jobs, "created_at", on_time, finished)
        if "part_requested_at" in jobs and "part_wait_from" in jobs:
            asked = jobs[jobs["part_requested_at"].notna()]
            out["fill_rate"] = per_unit(asked, "part_requested_at",
                                        asked["part_wait_from"].isna().to_numpy(),
                                        np.ones(len(asked)))
    return out.reset_index()


def _came_back(jobs: pd.DataFrame) -> np.ndarray:
    """Per work order, whether its repair failed and came back as a rework job."""
    if "rework_of" not in jobs:
        return np.zeros(len(jobs), dtype=bool)
    back = jobs[jobs["rework_of"].notna()]
    ids = pd.MultiIndex.from_arrays([jobs["rep"], jobs["work_order_id"]])
    return np.asarray(ids.isin(pd.MultiIndex.from_arrays([back["rep"], back["rework_of"]])))


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

