"""Build and run one replication: ``simulate(scenario, seed) -> Replication``.

This is the single entry point to the engine. It draws the exogenous randomness (arrivals and
each call's attributes) from named streams, wires the departments together, runs the clock for
``warmup_days + horizon_days`` and then the run-out (``sim.engine.cohort``: on, as scheduled,
until the measured window's items are done or ``run_out_max_days`` have passed), and returns flat
records. It computes no statistics: that is ``sim.measure``'s job, so the warm-up cut and the
window live in one place.

The engine's clock unit is the minute; scenario values in hours or days are converted here.
"""

from __future__ import annotations

import copy
import itertools
import math
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd
import simpy

from sim.engine.arrivals import CONTACT_TYPES, ArrivalStream, expected_calls_per_hour
from sim.engine.booking import AppointmentBook
from sim.engine.call_center import (
    CALL_ENDED,
    CASE_ENDED,
    Call,
    CallCenter,
    ComplaintCase,
    Opening,
)
from sim.engine.cohort import Cohort
from sim.engine.collector import rare_collections
from sim.engine.crew import Crew
from sim.engine.dispatch import technician_rosters
from sim.engine.distributions import sample, sampler
from sim.engine.field_service import JOB_ENDED, Repairs, Visit, WorkOrder
from sim.engine.followup import FOLLOWUP_ENDED, Attempt, FollowUp, FollowUps
from sim.engine.parts import (
    REQUEST_ENDED,
    PartCount,
    PartLoss,
    PartOrder,
    PartRequest,
    PartsStore,
    VanTransfer,
)
from sim.engine.records import WHOLE, Spool, frame, freeze_every, levels_frame
from sim.engine.redial import Redials
from sim.engine.rework import Comebacks
from sim.engine.rng import Streams
from sim.engine.runner import Runner
from sim.engine.vans import Vans, VanUse
from sim.scenario.base import ContactType
from sim.scenario.calendar import open_windows, planned_cut_windows, shift_windows
from sim.scenario.disruptions import Absence, PartNeed, SkillGap, SupplierDelay, SystemOutage
from sim.scenario.format import Scenario
from sim.units import MINUTES_PER_DAY, MINUTES_PER_HOUR, MINUTES_PER_WEEK

Window = tuple[float, float, int]


@dataclass(frozen=True)
class Replication:
    """What one replication leaves behind: flat tables and the staffing it ran with.

    ``start_minutes`` and ``end_minutes`` bound the measured window (the warm-up's end, the
    horizon's end); the records run on to ``run_end_minutes``, the end of the run-out, and
    ``cut`` counts the window's items of each kind (``calls``, ``work_orders``,
    ``complaint_cases``, ``followups``) still open then because the run-out hit its cap.
    With ``parts.van_stock``: ``van_uses`` (each on-site need looked up in a van),
    ``van_levels`` (units on all vans together, per SKU, as steps) and ``van_transfers`` (each
    unit a van's refill asked of the central store); empty otherwise.
    """

    seed: int
    start_minutes: float
    end_minutes: float
    calls: pd.DataFrame
    cases: pd.DataFrame
    work_orders: pd.DataFrame
    visits: pd.DataFrame
    part_requests: pd.DataFrame
    part_orders: pd.DataFrame
    part_levels: pd.DataFrame
    part_losses: pd.DataFrame
    part_counts: pd.DataFrame
    followups: pd.DataFrame
    attempts: pd.DataFrame
    overtime: pd.DataFrame
    windows: dict[str, list[Window]]
    run_end_minutes: float
    cut: dict[str, int]
    van_uses: pd.DataFrame = field(default_factory=lambda: frame([], VanUse))
    van_levels: pd.DataFrame = field(default_factory=lambda: levels_frame({}))
    van_transfers: pd.DataFrame = field(default_factory=lambda: frame([], VanTransfer))
    # Per crew, aligned with ``windows``: the end of the shift each window was cut from (its
    # own end when uncut), which the overtime rule plans against.
    planned_ends: dict[str, list[float]] = field(default_factory=dict)


BLOCK_MINUTES = MINUTES_PER_WEEK
"""Calls are drawn a week at a time, as the run reaches them: memory does not grow with the
horizon (a 10-year run no longer asks for every call's numbers up front)."""
FREEZE_MINUTES = MINUTES_PER_WEEK
"""How often ended entities are frozen into columns (``records.Spool``). A week of a baseline's
entities is a few MB as objects; a freeze costs a few hundred numpy calls, which daily freezes
made 1-2% of a run's instructions."""


class _Contacts:
    """One contact type's arrivals and per-call numbers, drawn in index order as needed."""

    def __init__(self, scenario: Scenario, kind: ContactType, streams: Streams,
                 end_minutes: float) -> None:
        cc = scenario.call_center
        hours = math.ceil(end_minutes / MINUTES_PER_HOUR)
        self.kind = kind
        self.per_hour = expected_calls_per_hour(scenario, kind, hours)
        self.stream = ArrivalStream(self.per_hour, streams[f"arrivals.{kind}"])
        self.end = end_minutes
        self.handle_spec = cc.handle_minutes[kind]
        self.handle_gen = streams[f"handle.{kind}"]
        self.escalation_gen = streams[f"escalation.{kind}"]
        self.p = cc.escalation.probability.get(kind, 0.0) if cc.escalation is not None else 0.0
        # Pending arrivals (minutes), and the numbers of the first len(handles) of them.
        self.times = np.empty(0)
        self.handles = np.empty(0)
        self.escalate = np.empty(0, dtype=bool)

    def count(self) -> int:
        """How many arrivals the run has, from a copy of the stream (nothing kept)."""
        stream = ArrivalStream(self.per_hour, copy.deepcopy(self.stream.gen))
        n = 0
        while not stream.exhausted:
            n += int(np.count_nonzero(stream.next_chunk() * MINUTES_PER_HOUR < self.end))
        return n

    def before(self, boundary: float) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Arrivals before ``boundary`` (minutes) not yet taken: times, handle times, escalation.

        Each call's numbers are drawn in arrival-index order, as one draw for the whole run
        would: the handle and escalation streams advance exactly as they always have.
        """
        while not self.stream.exhausted and (not len(self.times) or self.times[-1] < boundary):
            more = self.stream.next_chunk() * MINUTES_PER_HOUR
            self.times = np.concatenate((self.times, more[more < self.end]))
        inside = self.times < boundary
        if not inside.any():
            return np.empty(0), np.empty(0), np.empty(0, dtype=bool)
        # The shortest prefix holding them all (times rise, up to a rounding at an hour's end).
        k = int(np.flatnonzero(inside)[-1]) + 1
        need = k - len(self.handles)
        if need > 0:
            self.handles = np.concatenate((self.handles,
                                           sample(self.handle_spec, self.handle_gen, need)))
            self.escalate = np.concatenate((self.escalate, self.escalation_gen.random(need)
                                            < self.p))
        take = inside[:k]
        out = self.times[:k][take], self.handles[:k][take], self.escalate[:k][take]
        self.times = np.concatenate((self.times[:k][~take], self.times[k:]))
        self.handles = self.handles[:k][~take]
        self.escalate = self.escalate[:k][~take]
        return out


def draw_calls(scenario: Scenario, streams: Streams, end_minutes: float,
               opening: Opening | None = None) -> tuple[int, Iterator[list[Call]]]:
    """Every customer contact of the run, sorted by arrival, with its attributes drawn.

    A contact that arrives while the call center is closed (``opening``) is a ticket to call
    back (``callback``): ``demand.closed_hours: queue`` brings them on days it never opens;
    under ``lost`` none arrive then.

    Returns:
        The number of contacts (drawn from copies of the arrival streams: call ids of redials and
        follow-ups come after them), and the contacts a week at a time, drawn when asked for.
        The numbers are those of one draw for the whole run (`sim.engine.arrivals`).
    """
    sources = [_Contacts(scenario, kind, streams, end_minutes) for kind in CONTACT_TYPES
               if scenario.demand.mix.get(kind, 0.0) > 0.0]
    total = sum(source.count() for source in sources)
    return total, _weeks(scenario, streams, end_minutes, sources, opening)


def _weeks(scenario: Scenario, streams: Streams, end_minutes: float, sources: list[_Contacts],
           opening: Opening | None) -> Iterator[list[Call]]:
    cc = scenario.call_center
    first_id = 0
    boundary = 0.0
    while sources and boundary < end_minutes:
        boundary = min(boundary + BLOCK_MINUTES, end_minutes)
        drawn = [(source.kind, *source.before(boundary)) for source in sources]
        times = np.concatenate([t for _, t, _, _ in drawn])
        n = len(times)
        if n == 0:
            continue
        # Stable, types in CONTACT_TYPES order: ties rank as in one sort of the whole run.
        order = np.argsort(times, kind="stable")
        times = times[order]
        # Indices into the source's labels, not np.full(..., kind, dtype=object): that makes a
        # new str per call (56 bytes each, kept by every call's record).
        labels = np.array([kind for kind, _, _, _ in drawn], dtype=object)
        kinds = labels[np.concatenate([np.full(len(t), i) for i, (_, t, _, _) in enumerate(drawn)])]
        handles = np.concatenate([h for _, _, h, _ in drawn])
        escalate = np.concatenate([e for _, _, _, e in drawn])
        patience = (sample(cc.patience_minutes, streams["patience"], n)
                    if cc.patience_minutes is not None else np.full(n, math.inf))
        if cc.escalation is not None:
            spec_handle = sample(cc.escalation.handle_minutes, streams["specialist_handle"], n)
            hold = (sample(cc.patience_minutes, streams["hold_patience"], n)
                    if cc.patience_minutes is not None else np.full(n, math.inf))
        else:
            spec_handle = np.zeros(n)
            hold = np.full(n, math.inf)
        # map over columns: no tuple per call to build and unpack (a quarter of the cost of
        # making the calls). numpy adds the deadlines exactly as Python would.
        calls = list(map(Call, range(first_id, first_id + n), kinds[order].tolist(),
                         times.tolist(), handles[order].tolist(), (times + patience).tolist(),
                         escalate[order].tolist(), spec_handle.tolist(), hold.tolist()))
        if opening is not None and cc.hours is not None:
            for call in calls:
                if not opening.is_open(call.arrival):
                    # A ticket is settled by the agent who calls back: an outbound call has no
                    # hold queue for a specialist.
                    call.callback, call.escalate = True, False
        yield calls
        first_id += n


def absences(scenario: Scenario, crew: str) -> list[tuple[float, float, float]]:
    """(start, end, share off) cuts of a crew's rosters from the scenario's disruptions."""
    cuts = []
    for d in scenario.disruptions:
        start = d.start_day * MINUTES_PER_DAY
        end = start + d.days * MINUTES_PER_DAY
        if isinstance(d, Absence) and crew in d.crews:
            cuts.append((start, end, d.share))
        elif isinstance(d, SystemOutage) and crew in ("agents", "specialists"):
            cuts.append((start, end, 1.0))
    return cuts


@rare_collections()
def simulate(scenario: Scenario, seed: int) -> Replication:
    """Run one replication of ``scenario`` with the replication seed ``seed``."""
    env = simpy.Environment()
    streams = Streams(seed)
    start = scenario.warmup_days * MINUTES_PER_DAY
    end = start + scenario.horizon_days * MINUTES_PER_DAY
    # Arrivals, rosters and slots are laid out to the run-out's cap; the run stops earlier
    # when the window's items are done.
    limit = end + scenario.run_out_max_days * MINUTES_PER_DAY
    cc = scenario.call_center
    complaints = scenario.complaints
    fs = scenario.field_service
    center = CallCenter(
        env,
        lines=cc.lines,
        complaint_deadline_minutes=(complaints.deadline_hours * MINUTES_PER_HOUR
                                    if complaints is not None else None),
        complaint_work=(sampler(complaints.resolution_hours, streams["complaint_work"],
                                MINUTES_PER_HOUR) if complaints is not None else None),
        opening=Opening(open_windows(cc.hours, limit, scenario.first_weekday)),
    )
    rosters: dict[str, Any] = {"agents": cc.agents}
    if cc.escalation is not None:
        rosters["specialists"] = cc.escalation.specialists
    if complaints is not None:
        rosters["complaint_handlers"] = complaints.handlers
    if fs is not None:
        rosters["technicians"] = fs.technicians
        if fs.depot is not None:
            rosters["depot_technicians"] = fs.depot.technicians
    weekday = scenario.first_weekday  # day 0's weekday: shifts follow the calendar
    planned = {name: planned_cut_windows(shift_windows(staffing, limit, weekday),
                                         absences(scenario, name))
               for name, staffing in rosters.items()}
    van_stock = scenario.parts.van_stock if scenario.parts is not None else None
    people = None
    if fs is not None and (scenario.demand.products or van_stock is not None
                           or scenario.training is not None):
        # Technicians who differ (skills, vans) are staffed pattern by pattern, each person
        # carrying who they are; the crew's windows are all of them together.
        people = technician_rosters(fs.technicians, limit, absences(scenario, "technicians"),
                                    vans=van_stock is not None, training=scenario.training,
                                    first_weekday=weekday)
        planned["technicians"] = sorted(p for pieces, _ in people for p in pieces)
    windows: dict[str, list[Window]] = {name: [(s, e, c) for s, e, c, _ in pieces]
                                        for name, pieces in planned.items()}

    crews: dict[str, Crew[Any]] = {"agents": center.agents}
    if cc.escalation is not None:
        crews["specialists"] = center.specialists
    if complaints is not None:
        crews["complaint_handlers"] = center.handlers
    delays = [d for d in scenario.disruptions if isinstance(d, SupplierDelay)]
    store = (PartsStore(env, scenario.parts, streams, delays) if scenario.parts is not None
             else None)
    repairs: Repairs | None = None
    followups: FollowUps | None = None
    vans = (Vans(env, van_stock, scenario.parts, store,
                 sum(len(techs) for _, techs in people or ()))
            if van_stock is not None and store is not None and scenario.parts is not None
            else None)
    if fs is not None:
        booking = fs.booking
        book = (AppointmentBook(booking.slots, booking.capacity_per_technician,
                                windows["technicians"], limit)
                if booking is not None and booking.slots else None)
        repairs = Repairs(env, fs, scenario.parts, store, streams, on_finished=lambda job: None,
                          part_need=[d for d in scenario.disruptions if isinstance(d, PartNeed)],
                          warranty_share=(scenario.revenue.warranty_share
                                          if scenario.revenue is not None else 0.0),
                          skill_gaps=[d for d in scenario.disruptions if isinstance(d, SkillGap)],
                          book=book, products=scenario.demand.products, vans=vans,
                          delivery_hours=van_stock.delivery_hours if van_stock else 0.0,
                          training=scenario.training)
        crews["technicians"] = repairs.technicians
        if fs.depot is not None:
            crews["depot_technicians"] = repairs.bench
        wire = repairs

        def open_job(call: Call, failed: WorkOrder | None) -> None:
            job = wire.create(call.id, call.answer - call.arrival + call.waited_before,
                              rework_of=failed)
            job.abandoned_calls, job.blocked_calls = call.abandoned_before, call.blocked_before
            call.work_order = job.id

        def rework(failed: WorkOrder, call: Call | None) -> None:
            if call is None:  # caught by a spot check: a revisit without a call
                wire.create(failed.call_id, 0.0, rework_of=failed)
            else:
                open_job(call, failed)

        comebacks = Comebacks(env, fs, cc, center, streams, rework)
        repairs.on_failed = comebacks.failed

        def on_repair(call: Call) -> None:
            if call.rework_of >= 0:
                comebacks.answered(call)
            else:
                open_job(call, None)

        center.on_repair = on_repair
        if scenario.followup is not None:
            followups = FollowUps(env, scenario.followup, scenario.satisfaction, center, cc,
                                  repairs.technicians, streams,
                                  sampler(fs.travel_minutes, streams["followup_travel"]))
            repairs.on_finished = followups.repair_finished
            center.outbound_work = followups.contact
            repairs.outbound_work = followups.contact
            repairs.outbound_minutes = (fs.travel_minutes.mean_value()
                                        + scenario.followup.call_minutes.mean_value())
    if cc.redial is not None:
        center.on_failed = Redials(env, cc, center, streams).failed
    for name, crew_windows in windows.items():
        if name == "technicians" and people is not None:
            for pieces, techs in people:
                crews[name].staff([(s, e, c) for s, e, c, _ in pieces],
                                  [p for _, _, _, p in pieces], techs)
        else:
            crews[name].staff(crew_windows, [p for _, _, _, p in planned[name]])

    spools = {
        "calls": Spool(center.calls, Call, CALL_ENDED),
        "cases": Spool(center.cases, ComplaintCase, CASE_ENDED),
        "work_orders": Spool(repairs.jobs if repairs else [], WorkOrder, JOB_ENDED),
        "visits": Spool(repairs.visits if repairs else [], Visit, WHOLE),
        "part_requests": Spool(store.requests if store else [], PartRequest, REQUEST_ENDED),
        "part_orders": Spool(store.orders if store else [], PartOrder),
        "part_losses": Spool(store.losses if store else [], PartLoss),
        "part_counts": Spool(store.counts if store else [], PartCount),
        "followups": Spool(followups.followups if followups else [], FollowUp,
                           FOLLOWUP_ENDED),
        "attempts": Spool(followups.attempts if followups else [], Attempt, WHOLE),
        "van_uses": Spool(vans.uses if vans else [], VanUse, WHOLE),
        "van_transfers": Spool(store.transfers if store else [], VanTransfer),
    }
    freeze_every(env, FREEZE_MINUTES, spools.values())
    total, weeks = draw_calls(scenario, streams, limit, center.opening)
    Runner(env).start(center.arrivals(itertools.chain.from_iterable(weeks), total))
    env.run(until=end)
    run_out = Cohort(start, end, center.calls, repairs.jobs if repairs else [], center.cases,
                     followups.followups if followups else []).run_out(env, limit)
    center.close()
    for crew in crews.values():
        crew.close()

    overtime = [(name, o.shift_end, o.minutes) for name, crew in crews.items()
                for o in crew.overtime]
    for crew in crews.values():
        crew.overtime.clear()
    levels = {"part_levels": store.levels if store else {},
              "van_levels": vans.levels if vans else {}}
    # The departments reach one another through processes and callbacks, so the run's objects
    # are cyclic garbage once it returns: left to the collector, every entity waits for a full
    # pass (about 0.13 s of a 91-day baseline replication, 55 MiB held meanwhile). Each spool
    # lets its entities go as soon as its table is built, not once all are: the replication's
    # peak is then the entities still held plus one table, not plus all of them.
    tables = {name: spool.table() for name, spool in spools.items()}
    for name, steps in levels.items():
        tables[name] = levels_frame(steps)
        for held in steps.values():  # the stocks hold these lists too
            held.clear()
        steps.clear()
    replication = Replication(
        seed=seed,
        start_minutes=start,
        end_minutes=end,
        **tables,
        overtime=pd.DataFrame(overtime, columns=["crew", "shift_end", "minutes"]),
        windows=windows,
        planned_ends={name: [p for *_, p in pieces] for name, pieces in planned.items()},
        run_end_minutes=run_out.end_minutes,
        cut=run_out.cut,
    )
    return replication
