"""The field-service KPIs: work orders finished, on time, fixed first time, right first time,
repeated, passing the spot check, their turnaround, dispatch wait and appointments kept, rework,
and the technicians' utilisation and overtime.

This module owns the views ``WorkOrders`` (the work orders created in the measured window: when
each finished, its promise, whether it came back as rework, and its cohort: the day it was
created) and ``Jobs`` (the same work orders with what the other repair KPIs read), and the
formula of every KPI of the ``field service`` group, each giving its parts per day.
``sim.calibrate.measures`` builds ``WorkOrders`` from event logs and calls the same formulas.

The work orders are a cohort: those created in a day, followed through the run-out to their end
(one still open at the run-out's cap is late and not finished). Timeliness and quality apart
(the contract's second-round rule): a repair is on time when it finished by its promise, a
first-time fix when its first visit fixed it, whether or not the repair later failed; a failure
comes back as a rework job of its own, and the quality side is ``repeat_repair_rate`` and
``right_first_time_rate``.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass

import numpy as np
import pandas as pd

from sim.engine.model import Replication
from sim.measure.kinds import RATIO, SUM
from sim.measure.registry import kpi
from sim.measure.window import (
    FOLLOWED_TO_THE_END,
    Grid,
    Period,
    on_time_parts,
    overtime_by,
    session_busy_by,
    tally,
    utilization_parts,
)
from sim.scenario.calendar import StaffingSpec
from sim.units import MINUTES_PER_HOUR, MINUTES_PER_WEEK


def reworked_ids(jobs: pd.DataFrame) -> set[int]:
    """Ids of work orders whose repair failed and came back."""
    return set(jobs.loc[jobs["rework_of"] >= 0, "rework_of"].astype(int).tolist())


def _arrival_of(calls: pd.DataFrame, call_ids: np.ndarray) -> np.ndarray:
    """When each call of ``call_ids`` rang (NaN: not in ``calls``). A sorted search, not a
    pandas index of every call id: that and its hash table were 10 MiB at 365 days."""
    ids = calls["id"].to_numpy()
    if len(ids) == 0:
        return np.full(len(call_ids), np.nan)
    order = np.argsort(ids, kind="stable")
    at = order[np.minimum(np.searchsorted(ids, call_ids, sorter=order), len(ids) - 1)]
    return np.where(ids[at] == call_ids, calls["arrival"].to_numpy(float)[at], np.nan)


@dataclass(frozen=True, slots=True)
class WorkOrders:
    """The work orders created in the measured window, one array element per work order.

    Attributes:
        finished_minutes: When the job was done (NaN: still open at the end of the records).
        due_minutes: When it was promised by.
        came_back: Its repair failed and came back as a rework job (in the records).
        cohort: The day each was created (-1: none).
        cohorts: Number of cohorts.
        end_minutes: The end of the records: a job open then is late once its promise has
            passed (``FOLLOWED_TO_THE_END`` for the model: open means cut by the cap, late).
    """

    finished_minutes: np.ndarray
    due_minutes: np.ndarray
    came_back: np.ndarray
    cohort: np.ndarray
    cohorts: int
    end_minutes: float

    def done(self) -> np.ndarray:
        """Which work orders were finished."""
        return ~np.isnan(self.finished_minutes)

    def count(self, which: np.ndarray | None = None, weights: np.ndarray | None = None
              ) -> np.ndarray:
        """Per cohort, the work orders where ``which`` is True (or the sum of their
        ``weights``, given for those work orders only)."""
        if which is None:
            return tally(self.cohort, self.cohorts, weights)
        return tally(self.cohort[which], self.cohorts, weights)


@dataclass(frozen=True, slots=True)
class Jobs(WorkOrders):
    """``WorkOrders`` with what the other repair KPIs read, aligned with them.

    Attributes:
        onsite: Repaired at the customer's (else at the depot bench).
        visits: Visits or bench sessions it took.
        spot_checked: The finished repair was quality-checked.
        quality_pass: The repair held (a spot check of it passes); a failed one comes back.
        call_arrival_minutes: When the repair call that created it rang.
        created_minutes: When the work order was created.
        released_minutes: When it could be worked on (a depot job: the device reached the bench).
        first_start_minutes: When the first visit or bench session started (NaN: none yet).
        slot_end_minutes: The end of the booked appointment slot (NaN: no slot booked).
        product: The product line of each ("" without lines).
    """

    onsite: np.ndarray
    visits: np.ndarray
    spot_checked: np.ndarray
    quality_pass: np.ndarray
    call_arrival_minutes: np.ndarray
    created_minutes: np.ndarray
    released_minutes: np.ndarray
    first_start_minutes: np.ndarray
    slot_end_minutes: np.ndarray
    product: np.ndarray

    @classmethod
    def measured(cls, rep: Replication, days: Grid) -> Jobs:
        """The work orders of a replication created in the measured days, by day created, as
        they ended (the run-out follows them past the horizon)."""
        jobs = rep.work_orders
        created = jobs["created"].to_numpy(float)
        kept = (created >= days.edges[0]) & (created < days.edges[-1])

        # Column by column: the rows of the whole table would be a copy of every field of every
        # work order (17 MiB at 365 days) for the dozen this view reads.
        def column(name: str) -> pd.Series:
            return jobs[name][kept]

        return cls(
            finished_minutes=column("finished").to_numpy(float),
            due_minutes=column("due").to_numpy(float),
            came_back=column("id").isin(reworked_ids(jobs)).to_numpy(),
            cohort=days.index(created[kept]),
            cohorts=days.count,
            end_minutes=FOLLOWED_TO_THE_END,
            onsite=(column("channel") == "onsite").to_numpy(),
            visits=column("visits").to_numpy(),
            spot_checked=column("spot_checked").to_numpy().astype(bool),
            quality_pass=column("quality_pass").to_numpy().astype(bool),
            call_arrival_minutes=_arrival_of(rep.calls, column("call_id").to_numpy()),
            created_minutes=created[kept],
            released_minutes=column("released").to_numpy(float),
            first_start_minutes=column("first_start").to_numpy(float),
            slot_end_minutes=column("slot_end").to_numpy(float),
            product=column("product").astype(str).to_numpy(),
        )

    def only(self, which: np.ndarray) -> Jobs:
        """The work orders where ``which`` is True, with the same cohorts."""
        return dataclasses.replace(self, **{
            f.name: getattr(self, f.name)[which] for f in dataclasses.fields(self)
            if isinstance(getattr(self, f.name), np.ndarray)})


@kpi("repairs_completed", "work orders", "at_least", "field service", "work orders finished",
     kind=SUM)
def repairs_completed(orders: WorkOrders) -> np.ndarray:
    """Work orders of each day finished (in the run-out too)."""
    return orders.count(orders.done())


@kpi("repair_on_time_rate", "share", "at_least", "field service",
     "work orders finished within their promised hours / finished (a work order still open "
     "at the run-out's cap is late and counted)", kind=RATIO)
def repair_on_time_rate(orders: WorkOrders) -> tuple[np.ndarray, np.ndarray]:
    """Work orders done by their promise / work orders finished or open past their promise,
    whether or not the repair later failed (the rework job is a job of its own)."""
    return on_time_parts(orders.cohort, orders.cohorts, orders.finished_minutes,
                         orders.due_minutes, orders.end_minutes)


@kpi("first_time_fix_rate", "share", "at_least", "field service",
     "work orders finished on the first visit / finished (on-site)", kind=RATIO)
def first_time_fix_rate(jobs: Jobs) -> tuple[np.ndarray, np.ndarray]:
    """Finished on-site jobs fixed at the first visit / finished on site (a repair that later
    fails was still fixed first time: that is ``right_first_time_rate``'s business)."""
    onsite = jobs.done() & jobs.onsite
    return jobs.count(onsite & (jobs.visits == 1)), jobs.count(onsite)


@kpi("repair_quality_pass_rate", "share", "at_least", "field service",
     "spot-checked repairs that pass / spot-checked", kind=RATIO)
def repair_quality_pass_rate(jobs: Jobs) -> tuple[np.ndarray, np.ndarray]:
    """Finished jobs whose spot check passed / finished jobs spot-checked."""
    checked = jobs.done() & jobs.spot_checked
    return jobs.count(checked & jobs.quality_pass), jobs.count(checked)


@kpi("repair_turnaround_hours", "h", "at_most", "field service",
     "mean time from the call to the final fix", kind=RATIO)
def repair_turnaround_hours(jobs: Jobs) -> tuple[np.ndarray, np.ndarray]:
    """Hours from the repair call to the end of the job / jobs, finished jobs."""
    done = jobs.done()
    hours = (jobs.finished_minutes[done] - jobs.call_arrival_minutes[done]) / MINUTES_PER_HOUR
    return jobs.count(done, hours), jobs.count(done)


@kpi("dispatch_wait_hours", "h", "at_most", "field service",
     "mean time from work order to a technician starting it", kind=RATIO)
def dispatch_wait_hours(jobs: Jobs) -> tuple[np.ndarray, np.ndarray]:
    """Hours the started jobs waited for their first visit or bench session / started jobs."""
    started = ~np.isnan(jobs.first_start_minutes)
    # On site the wait runs from the work order (a booking lead is part of it); a depot job
    # can only be started once the device has reached the workshop.
    ready = np.where(jobs.onsite[started], jobs.created_minutes[started],
                     jobs.released_minutes[started])
    hours = (jobs.first_start_minutes[started] - ready) / MINUTES_PER_HOUR
    return jobs.count(started, hours), jobs.count(started)


@kpi("technician_utilization", "share", "at_most", "field service",
     "technician busy time (travel + work) / staffed time", kind=RATIO)
def technician_utilization(period: Period) -> tuple[np.ndarray, np.ndarray]:
    """On-site technicians' travel and work / their staffed time."""
    return utilization_parts(period, "technicians", session_busy_by(period, "technicians"))


@kpi("repeat_repair_rate", "share", "at_most", "field service",
     "finished jobs that come back as rework within the rework window / finished", kind=RATIO)
def repeat_repair_rate(jobs: Jobs) -> tuple[np.ndarray, np.ndarray]:
    """Finished jobs whose repair did not hold / finished jobs.

    Every failed repair comes back (a spot check catches it, or the customer reports it
    ``rework_delay_hours`` later, which is the rework window), so a failure is counted when the
    job finishes rather than when its report arrives: a report falling after the run-out still
    counts, and a customer who gave up on the phone still had a repair that failed.
    """
    done = jobs.done()
    return jobs.count(done & ~jobs.quality_pass), jobs.count(done)


@kpi("right_first_time_rate", "share", "at_least", "field service",
     "jobs fixed at the first visit and not back as rework / finished (on-site)", kind=RATIO)
def right_first_time_rate(jobs: Jobs) -> tuple[np.ndarray, np.ndarray]:
    """Finished on-site jobs fixed at the first visit whose repair held / finished on site."""
    onsite = jobs.done() & jobs.onsite
    return jobs.count(onsite & (jobs.visits == 1) & jobs.quality_pass), jobs.count(onsite)


@kpi("appointment_kept_rate", "share", "at_least", "field service",
     "visits started within their booked slot / booked visits", kind=RATIO)
def appointment_kept_rate(jobs: Jobs) -> tuple[np.ndarray, np.ndarray]:
    """Booked jobs whose first visit started by the end of the slot / booked jobs (a booked job
    never visited by the run-out's cap missed its appointment; NaN without slots)."""
    booked = ~np.isnan(jobs.slot_end_minutes)
    kept = booked & (jobs.first_start_minutes <= jobs.slot_end_minutes)
    return jobs.count(kept), jobs.count(booked)


def headcount(staffing: StaffingSpec) -> int:
    """The people of a roster: a bare number, or the sum of the shifts' counts (each shift
    pattern is its own people, who work it on each of its days)."""
    return staffing if isinstance(staffing, int) else sum(s.count for s in staffing)


@kpi("overtime_hours_per_technician_week", "h", "at_most", "field service",
     "overtime hours / (technicians staffed x weeks of horizon)", kind=RATIO)
def overtime_hours_per_technician_week(period: Period) -> tuple[np.ndarray, np.ndarray]:
    """On-site technicians' overtime hours worked in each day / (technicians on the roster x
    the day's weeks); NaN without field service. Overtime is paid at ``overtime_factor`` in
    ``cost_field_service``."""
    fs = period.scenario.field_service
    if fs is None:
        return np.zeros(period.grid.count), np.zeros(period.grid.count)
    hours = overtime_by(period, "technicians") / MINUTES_PER_HOUR
    return hours, headcount(fs.technicians) * period.grid.widths / MINUTES_PER_WEEK


@kpi("rework_rate", "share", "at_most", "field service",
     "finished work orders whose failure came back as a rework job by the end of the run / "
     "finished (the records' view of repeat_repair_rate)", kind=RATIO, contract=False)
def rework_rate(orders: WorkOrders) -> tuple[np.ndarray, np.ndarray]:
    """Finished work orders with a rework job in the records / finished."""
    done = orders.done()
    return orders.count(done & orders.came_back), orders.count(done)


@kpi("depot_utilization", "share", "at_most", "field service",
     "bench technician busy time / staffed time", kind=RATIO, contract=False)
def depot_utilization(period: Period) -> tuple[np.ndarray, np.ndarray]:
    """Bench technicians' work / their staffed time (NaN without a depot)."""
    return utilization_parts(period, "depot_technicians",
                             session_busy_by(period, "depot_technicians"))
