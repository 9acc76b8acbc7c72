"""The field-service KPIs: work orders finished, on time, fixed first time, passing the spot
check, their turnaround, dispatch wait and rework, and the technicians' utilisation.

This module owns the views ``WorkOrders`` (the work orders created in the measured window: when
each finished, its promise, and whether it came back as rework) and ``Jobs`` (the same work orders
with what the other repair KPIs read), and the formula of every KPI of the ``field service``
group. ``sim.calibrate.measures`` builds ``WorkOrders`` from event logs and calls the same
formulas. The work orders are a cohort: those created in the measured window, followed through
the run-out to their end; one still open when the run-out hit its cap counts as late. Timeliness
and quality apart (the contract's second-round rule): a repair is on time when it finished by its
promise, a first-time fix when one visit fixed it, whether or not it later came back as rework
(a rework job is a job of its own).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from sim.engine.model import Replication
from sim.measure.registry import kpi
from sim.measure.window import Period, mean_or_nan, ratio, session_busy_minutes, utilization
from sim.units import MINUTES_PER_HOUR


def reworked_ids(jobs: pd.DataFrame) -> set[int]:
    """Ids of work orders whose repair failed and came back."""
    return set(jobs.loc[jobs["rework_of"] >= 0, "rework_of"].astype(int).tolist())


@dataclass(frozen=True, slots=True)
class WorkOrders:
    """The work orders created in the measured window, one array element per work order.

    Attributes:
        finished_minutes: When the job was done (NaN: still open when the run-out stopped).
        due_minutes: When it was promised by.
        came_back: Its repair failed and came back as a rework job.
    """

    finished_minutes: np.ndarray
    due_minutes: np.ndarray
    came_back: np.ndarray

    def done(self) -> np.ndarray:
        """Which work orders were finished."""
        return ~np.isnan(self.finished_minutes)


@dataclass(frozen=True, slots=True)
class Jobs(WorkOrders):
    """``WorkOrders`` with what the other repair KPIs read, aligned with them.

    Attributes:
        onsite: Repaired at the customer's (else at the depot bench).
        visits: Visits or bench sessions it took.
        spot_checked: The finished repair was quality-checked.
        quality_pass: The check passed.
        call_arrival_minutes: When the repair call that created it rang.
        created_minutes: When the work order was created.
        released_minutes: When it could be worked on (a depot job: the device reached the bench).
        first_start_minutes: When the first visit or bench session started (NaN: none yet).
    """

    onsite: np.ndarray
    visits: np.ndarray
    spot_checked: np.ndarray
    quality_pass: np.ndarray
    call_arrival_minutes: np.ndarray
    created_minutes: np.ndarray
    released_minutes: np.ndarray
    first_start_minutes: np.ndarray

    @classmethod
    def measured(cls, rep: Replication) -> Jobs:
        """The work orders of a replication created in the measured window, as they ended."""
        jobs = rep.work_orders
        created = jobs["created"].to_numpy(float)
        measured = jobs[(created >= rep.start_minutes) & (created < rep.end_minutes)]
        finished = measured["finished"].to_numpy(float)
        arrival = rep.calls.set_index("id")["arrival"]
        return cls(
            finished_minutes=finished,
            due_minutes=measured["due"].to_numpy(float),
            came_back=measured["id"].isin(reworked_ids(jobs)).to_numpy(),
            onsite=(measured["channel"] == "onsite").to_numpy(),
            visits=measured["visits"].to_numpy(),
            spot_checked=measured["spot_checked"].to_numpy().astype(bool),
            quality_pass=measured["quality_pass"].to_numpy().astype(bool),
            call_arrival_minutes=arrival.reindex(measured["call_id"]).to_numpy(float),
            created_minutes=measured["created"].to_numpy(float),
            released_minutes=measured["released"].to_numpy(float),
            first_start_minutes=measured["first_start"].to_numpy(float),
        )


@kpi("repairs_completed", "work orders", "at_least", "field service", "work orders finished")
def repairs_completed(orders: WorkOrders) -> float:
    """Work orders of the window finished by the end."""
    return float(np.count_nonzero(orders.done()))


@kpi("repair_on_time_rate", "share", "at_least", "field service",
     "work orders finished within their promised hours / finished (one still open at the "
     "run-out's cap is late and counted)")
def repair_on_time_rate(orders: WorkOrders) -> float:
    """Work orders done by their promise / work orders of the cohort (every one is finished,
    or open at the cap and late)."""
    done = orders.done()
    on_time = orders.finished_minutes[done] <= orders.due_minutes[done]
    return ratio(float(on_time.sum()), len(orders.finished_minutes))


@kpi("first_time_fix_rate", "share", "at_least", "field service",
     "work orders finished on the first visit / finished (on-site)")
def first_time_fix_rate(jobs: Jobs) -> float:
    """Finished on-site jobs fixed at the first visit / finished on site."""
    done = jobs.done()
    onsite = jobs.onsite[done]
    first_fix = onsite & (jobs.visits[done] == 1)
    return ratio(float(first_fix.sum()), float(onsite.sum()))


@kpi("repair_quality_pass_rate", "share", "at_least", "field service",
     "spot-checked repairs that pass / spot-checked")
def repair_quality_pass_rate(jobs: Jobs) -> float:
    """Finished jobs whose spot check passed / finished jobs spot-checked."""
    checked = jobs.done() & jobs.spot_checked
    return ratio(float(jobs.quality_pass[checked].sum()), int(np.count_nonzero(checked)))


@kpi("repair_turnaround_hours", "h", "at_most", "field service",
     "mean time from the call to the final fix")
def repair_turnaround_hours(jobs: Jobs) -> float:
    """Mean time from the repair call to the end of the job, finished jobs."""
    done = jobs.done()
    return mean_or_nan(jobs.finished_minutes[done]
                       - jobs.call_arrival_minutes[done]) / MINUTES_PER_HOUR


@kpi("dispatch_wait_hours", "h", "at_most", "field service",
     "mean time from work order to a technician starting it")
def dispatch_wait_hours(jobs: Jobs) -> float:
    """Mean wait of the started jobs for their first visit or bench session."""
    started = ~np.isnan(jobs.first_start_minutes)
    # On site the wait runs from the work order (a booking lead is part of it); a depot job
    # can only be started once the device has reached the workshop.
    ready = np.where(jobs.onsite[started], jobs.created_minutes[started],
                     jobs.released_minutes[started])
    return mean_or_nan(jobs.first_start_minutes[started] - ready) / MINUTES_PER_HOUR


@kpi("technician_utilization", "share", "at_most", "field service",
     "technician busy time (travel + work) / staffed time")
def technician_utilization(period: Period) -> float:
    """On-site technicians' travel and work over their staffed time."""
    return utilization(period, "technicians", session_busy_minutes(period, "technicians"))


@kpi("rework_rate", "share", "at_most", "field service",
     "finished work orders whose repair failed and came back as rework / finished",
     contract=False)
def rework_rate(orders: WorkOrders) -> float:
    """Share of finished work orders that came back."""
    done = orders.done()
    return ratio(float(orders.came_back[done].sum()), int(np.count_nonzero(done)))


@kpi("depot_utilization", "share", "at_most", "field service",
     "bench technician busy time / staffed time", contract=False)
def depot_utilization(period: Period) -> float:
    """Bench technicians' work over their staffed time (NaN without a depot)."""
    return utilization(period, "depot_technicians",
                       session_busy_minutes(period, "depot_technicians"))

