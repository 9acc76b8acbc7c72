"""KPIs of the repair side: work orders, technicians, follow-ups and satisfaction.

Like ``sim.measure.kpis``, everything is counted for what *arrived* (was created) after the warm-up,
and time-weighted quantities over the measured window. A repair is on time when it finished by
its promise and did not come back as rework; first-time fix likewise needs one visit and no rework.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd

from sim.engine.model import Replication
from sim.units import MINUTES_PER_HOUR

NAN = math.nan


def ratio(num: float, den: float) -> float:
    """``num / den``, NaN when there is nothing to divide by (no calls, no jobs...)."""
    return num / den if den > 0 else NAN


def mean_or_nan(values: np.ndarray) -> float:
    """The mean, NaN for an empty sample."""
    return float(values.mean()) if len(values) else NAN


def reworked_ids(jobs: pd.DataFrame) -> set[int]:
    """Ids of work orders whose repair failed and came back."""
    return set(jobs.loc[jobs["rework_of"] >= 0, "rework_of"].astype(int).tolist())


def repair_kpis(rep: Replication, calls: pd.DataFrame) -> dict[str, float]:
    """repairs_completed, on-time, first-time fix, quality, turnaround and dispatch wait."""
    jobs = rep.work_orders
    if jobs.empty:
        return dict.fromkeys(
            ("repairs_completed", "repair_on_time_rate", "first_time_fix_rate",
             "repair_quality_pass_rate", "repair_turnaround_hours", "dispatch_wait_hours",
             "rework_rate"), NAN
        ) | {"repairs_completed": 0.0}
    lo, hi = rep.start_minutes, rep.end_minutes
    measured = jobs[jobs["created"] >= lo]
    finished = measured[~measured["finished"].isna() & (measured["finished"] <= hi)]
    came_back = finished["id"].isin(reworked_ids(jobs)).to_numpy()
    on_time = (finished["finished"] <= finished["due"]).to_numpy() & ~came_back
    onsite = (finished["channel"] == "onsite").to_numpy()
    first_fix = onsite & (finished["visits"] == 1).to_numpy() & ~came_back
    checked = finished[finished["spot_checked"].astype(bool)]
    arrival = calls.set_index("id")["arrival"]
    call_arrival = arrival.reindex(finished["call_id"]).to_numpy(float)
    started = measured[~measured["first_start"].isna()]
    return {
        "repairs_completed": float(len(finished)),
        "repair_on_time_rate": ratio(float(on_time.sum()), len(finished)),
        "first_time_fix_rate": ratio(float(first_fix.sum()), float(onsite.sum())),
        "repair_quality_pass_rate": ratio(float(checked["quality_pass"].astype(bool).sum()),
                                           len(checked)),
        "repair_turnaround_hours": mean_or_nan(finished["finished"].to_numpy(float)
                                         - call_arrival) / MINUTES_PER_HOUR,
        # On site the wait runs from the work order (a booking lead is part of it); a depot job
        # can only be started once the device has reached the workshop.
        "dispatch_wait_hours": mean_or_nan(
            started["first_start"].to_numpy(float)
            - np.where(started["channel"] == "onsite", started["created"], started["released"])
        ) / MINUTES_PER_HOUR,
        "rework_rate": ratio(float(came_back.sum()), len(finished)),
    }


def followup_kpis(rep: Replication) -> dict[str, float]:
    """followup_on_time_rate (reached by the due time / due) and csat_mean."""
    fu = rep.followups
    if fu.empty:
        return {"followup_on_time_rate": NAN, "csat_mean": NAN}
    measured = fu[fu["created"] >= rep.start_minutes]
    reached = measured["reached"].to_numpy(float)
    due = measured["due"].to_numpy(float)
    known = ~np.isnan(reached) | (due <= rep.end_minutes)
    on_time = ~np.isnan(reached) & (reached <= due)
    scores = measured["score"].to_numpy(float)
    return {"followup_on_time_rate": ratio(float(np.sum(on_time & known)), float(known.sum())),
            "csat_mean": mean_or_nan(scores[~np.isnan(scores)])}


def daily_repairs(rep: Replication, day_ends: np.ndarray) -> pd.DataFrame:
    """Open work orders and jobs waiting for a part at the end of each day."""
    jobs = rep.work_orders
    if jobs.empty:
        return pd.DataFrame({"open_work_orders": np.zeros(len(day_ends)),
                             "jobs_waiting_parts": np.zeros(len(day_ends))})
    created = np.sort(jobs["created"].to_numpy(float))
    finished = jobs["finished"].to_numpy(float)
    finished = np.sort(finished[~np.isnan(finished)])
    open_orders = (np.searchsorted(created, day_ends, side="right")
                   - np.searchsorted(finished, day_ends, side="right"))
    start = jobs["part_wait_start"].to_numpy(float)
    ready = jobs["part_ready"].to_numpy(float)
    waited = ~np.isnan(start)
    s, r = start[waited], np.where(np.isnan(ready[waited]), np.inf, ready[waited])
    waiting = ((s[None, :] <= day_ends[:, None]) & (r[None, :] > day_ends[:, None])).sum(axis=1)
    return pd.DataFrame({"open_work_orders": open_orders, "jobs_waiting_parts": waiting})


def technician_busy_minutes(rep: Replication, crew: str) -> float:
    """Busy minutes (travel and work) of a crew inside the measured window."""
    lo, hi = rep.start_minutes, rep.end_minutes
    total = 0.0
    for table in (rep.visits, rep.attempts):
        if table.empty:
            continue
        rows = table[table["crew"] == crew]
        s = rows["start"].to_numpy(float)
        e = rows["end"].to_numpy(float)
        total += float(np.sum(np.clip(np.minimum(e, hi) - np.maximum(s, lo), 0.0, None)))
    return total


TURNAROUND_BIN_EDGES_HOURS = np.concatenate((np.arange(0.0, 24.0 * 14 + 1, 12.0), [np.inf]))


def turnaround_histogram(rep: Replication, calls: pd.DataFrame) -> np.ndarray:
    """Counts of finished repairs' turnaround (call to finish) in 12-hour bins up to 14 days."""
    jobs = rep.work_orders
    if jobs.empty:
        return np.zeros(len(TURNAROUND_BIN_EDGES_HOURS) - 1, dtype=int)
    done = jobs[(jobs["created"] >= rep.start_minutes) & ~jobs["finished"].isna()]
    arrival = calls.set_index("id")["arrival"].reindex(done["call_id"]).to_numpy(float)
    hours = (done["finished"].to_numpy(float) - arrival) / MINUTES_PER_HOUR
    counts, _ = np.histogram(hours, bins=TURNAROUND_BIN_EDGES_HOURS)
    return counts


