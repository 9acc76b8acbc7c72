"""Repairs: work orders, dispatch, on-site visits, the depot bench, quality and rework.

Owns a work order from the repair call that creates it to the fix (and the rework job a failed
repair brings back). It asks ``sim.engine.parts`` for a unit when a job needs one and reacts when a
backordered unit arrives; what happens after a fix (follow-up) is the ``on_finished`` hook's.

A visit is travel, diagnosis, the part, the repair. A visit without its part, or one that does not
fix the fault, ends unfinished and the job needs another visit: first-time fix is an outcome of
stock and skill, not an input. Without booking a released job goes to the first free technician;
with booking it is released ``min_lead_hours`` after the call, i.e. booked into the first moment
from then on at which a technician is on shift and free; with booking slots
(``sim.engine.booking``) it is released at the start of the earliest slot with room and promised
by the slot's end.

Technicians (on site and at the bench) start a job only if its expected duration ends by their
shift end plus ``max_overtime_minutes`` (``sim.engine.crew``). A repair that does not hold is
handed to ``on_failed`` when the job is finished (``sim.engine.rework`` brings it back).
"""

from __future__ import annotations

import heapq
import itertools
import math
from collections.abc import Callable, Generator, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import simpy

from sim.engine.booking import AppointmentBook
from sim.engine.crew import Crew
from sim.engine.distributions import sampler, uniform_sampler
from sim.engine.parts import PartsStore
from sim.engine.rng import Streams
from sim.scenario.disruptions import PartNeed, SkillGap
from sim.scenario.field import FieldService
from sim.scenario.inventory import Parts
from sim.units import MINUTES_PER_DAY, MINUTES_PER_HOUR

NAN = math.nan
REWORK, NORMAL = 0, 1


@dataclass(slots=True, eq=False)
class WorkOrder:
    """A repair job; times in engine minutes, NaN where the step has not happened."""

    id: int
    call_id: int
    channel: str
    created: float
    due: float
    priority: int
    rework_of: int
    sku: str
    call_wait: float
    abandoned_calls: int = 0
    blocked_calls: int = 0
    warranty: bool = False
    released: float = NAN
    first_start: float = NAN
    visits: int = 0
    has_part: bool = False
    part_requested: float = NAN
    part_wait_start: float = NAN
    part_ready: float = NAN
    fixed_at: float = NAN
    finished: float = NAN
    quality_pass: bool = True
    spot_checked: bool = False
    caught: bool = False
    slot_end: float = NAN


@dataclass(slots=True, eq=False)
class Visit:
    """One technician's work on one job: an on-site visit or a bench session."""

    job_id: int
    crew: str
    start: float
    travel: float
    diagnosis: float
    repair: float
    end: float
    outcome: str
    untrained: bool = False


class JobQueue:
    """Released jobs by priority (rework first), then by due time or by release order."""

    def __init__(self, earliest_due: bool) -> None:
        self._heap: list[tuple[int, float, int, Any]] = []
        self._earliest_due = earliest_due
        self._seq = itertools.count()

    def push(self, job: Any) -> None:
        """Queue a released job (anything with ``priority`` and ``due``)."""
        key = job.due if self._earliest_due else 0.0
        heapq.heappush(self._heap, (job.priority, key, next(self._seq), job))

    def pop(self, now: float, accept: Callable[[Any], bool] | None = None) -> Any:
        """The most urgent job (that ``accept`` takes, when given), or None."""
        heap = self._heap
        if not heap:
            return None
        if accept is None or accept(heap[0][3]):
            return heapq.heappop(heap)[3]
        # Near a shift end: the most urgent job that still fits, if any (rare: once per
        # person and shift end, so a sort of the queue is affordable).
        for entry in sorted(heap):
            if accept(entry[3]):
                heap.remove(entry)
                heapq.heapify(heap)
                return entry[3]
        return None

    def __len__(self) -> int:
        return len(self._heap)


class Repairs:
    """Technicians, the depot bench and the jobs they work on."""

    def __init__(self, env: simpy.Environment, fs: FieldService, parts: Parts | None,
                 store: PartsStore | None, streams: Streams,
                 on_finished: Callable[[WorkOrder], None],
                 part_need: Sequence[PartNeed] = (), warranty_share: float = 0.0,
                 skill_gaps: Sequence[SkillGap] = (), book: AppointmentBook | None = None
                 ) -> None:
        self.env = env
        self.fs = fs
        self.store = store
        self.on_finished = on_finished
        self.on_failed: Callable[[WorkOrder], None] | None = None
        self.jobs: list[WorkOrder] = []
        self.outbound_work: Callable[[Any], Generator[simpy.Event, Any, None]] | None = None
        self.outbound_minutes = 0.0  # expected length of a technician's outbound task
        self.visits: list[Visit] = []
        self.book = book
        earliest_due = fs.dispatch_rule == "earliest_due"
        onsite_minutes = fs.onsite_minutes()
        self.technicians: Crew[Any] = Crew(
            env, "technicians", JobQueue(earliest_due), self._technician_work,
            expected_minutes=lambda job: (onsite_minutes if isinstance(job, WorkOrder)
                                          else self.outbound_minutes),
            max_overtime_minutes=fs.max_overtime_minutes)
        bench_minutes = fs.bench_minutes()
        self.bench: Crew[WorkOrder] = Crew(
            env, "depot_technicians", JobQueue(earliest_due), self._bench,
            expected_minutes=lambda job: bench_minutes,
            max_overtime_minutes=fs.max_overtime_minutes)
        self._travel = sampler(fs.travel_minutes, streams["travel"])
        self._diagnosis = sampler(fs.diagnosis_minutes, streams["diagnosis"])
        self._repair = sampler(fs.repair_minutes, streams["repair"])
        self._fix = uniform_sampler(streams["fix"])
        self._quality = uniform_sampler(streams["quality"])
        self._spot = uniform_sampler(streams["spot_check"])
        self._route = uniform_sampler(streams["route"])
        self._need = uniform_sampler(streams["part_need"])
        self._sku = uniform_sampler(streams["part_sku"])
        self._warranty = uniform_sampler(streams["warranty"])
        self._untrained = uniform_sampler(streams["skill_gap"])
        self._gaps = [(g.start_day * MINUTES_PER_DAY, (g.start_day + g.days) * MINUTES_PER_DAY,
                       g.share, g.time_multiplier, g.fix_multiplier, frozenset(g.crews))
                      for g in skill_gaps]
        self._warranty_share = warranty_share
        if fs.depot is not None:
            self._transit = sampler(fs.depot.transit_hours, streams["depot_transit"],
                                    MINUTES_PER_HOUR)
            self._bench_repair = sampler(fs.depot.repair_minutes, streams["depot_repair"])
        self._need_probability = parts.need_probability if parts is not None else 0.0
        if parts is not None:
            self._skus = [s.sku for s in parts.skus]
            self._shares = np.array([s.share for s in parts.skus])
        self._waves = [(w.start_day * MINUTES_PER_DAY, (w.start_day + w.days) * MINUTES_PER_DAY,
                        w.multiplier, frozenset(w.skus)) for w in part_need]

    # --- creating and releasing jobs ----------------------------------------------------------

    def create(self, call_id: int, call_wait: float, rework_of: WorkOrder | None = None
               ) -> WorkOrder:
        """A work order from a repair call (or a rework job from a failed repair), released."""
        now = self.env.now
        if rework_of is None:
            channel = "onsite" if self._route() < self.fs.onsite_share else "depot"
            need, shares = self._need_probability, getattr(self, "_shares", None)
            for start, end, multiplier, skus in self._waves:
                if start <= now < end:
                    need = min(1.0, need * multiplier)
                    if skus and shares is not None:
                        shares = shares * np.array([multiplier if k in skus else 1.0
                                                    for k in self._skus])
            # Both draws are made for every job so a wave does not shift later jobs' numbers.
            needs = self._need() < need
            u = self._sku()
            sku = self._pick_sku(u, shares) if needs and shares is not None else ""
            priority = NORMAL
            warranty = self._warranty() < self._warranty_share
        else:
            channel, sku, priority = rework_of.channel, "", REWORK
            warranty = rework_of.warranty
        promised = (self.fs.promised_hours.onsite if channel == "onsite"
                    else self.fs.promised_hours.depot)
        job = WorkOrder(len(self.jobs), call_id, channel, now, now + promised * MINUTES_PER_HOUR,
                        priority, rework_of.id if rework_of is not None else -1, sku, call_wait,
                        warranty=warranty)
        self.jobs.append(job)
        lead = (self.fs.booking.min_lead_hours * MINUTES_PER_HOUR
                if self.fs.booking is not None else 0.0)
        slot = self.book.book(now + lead) if self.book is not None and channel == "onsite" \
            else None
        if channel == "depot":
            self._after(self._transit(), lambda: self._release(job, self.bench))
        elif slot is not None:
            job.due = job.slot_end = slot[1]
            self._after(slot[0] - now, lambda: self._release(job, self.technicians))
        elif lead > 0:
            # No slots (or none with room before the end of the run): the first moment from
            # the lead on at which a technician is free.
            self._after(lead, lambda: self._release(job, self.technicians))
        else:
            self._release(job, self.technicians)
        return job

    def _pick_sku(self, u: float, shares: np.ndarray) -> str:
        cdf = np.cumsum(shares)
        i = int(np.searchsorted(cdf, u * cdf[-1], side="right"))
        return self._skus[min(i, len(self._skus) - 1)]

    def _after(self, delay: float, action: Callable[[], None]) -> None:
        self.env.timeout(delay).callbacks.append(lambda _event: action())

    def _release(self, job: WorkOrder, crew: Crew[Any]) -> None:
        if math.isnan(job.released):
            job.released = self.env.now
        crew.offer(job)

    # --- the work -----------------------------------------------------------------------------

    def _take_part(self, job: WorkOrder, crew: Crew[Any]) -> bool:
        """Whether the job has its part now; if not, it waits for the backorder."""
        if not job.sku or job.has_part:
            return True
        assert self.store is not None
        now = self.env.now
        if math.isnan(job.part_requested):
            job.part_requested = now
            if self.store.request(job.sku, job.id, lambda: self._part_arrived(job, crew)):
                job.has_part = True
                return True
        job.part_wait_start = now
        return False

    def _part_arrived(self, job: WorkOrder, crew: Crew[Any]) -> None:
        job.has_part = True
        job.part_ready = self.env.now
        if not math.isnan(job.part_wait_start):
            crew.offer(job)

    def _technician_work(self, job: Any) -> Generator[simpy.Event, Any, None]:
        if isinstance(job, WorkOrder):
            yield from self._visit(job)
        else:
            assert self.outbound_work is not None
            yield from self.outbound_work(job)

    def _skill(self, crew: str, now: float) -> tuple[bool, float, float]:
        """(untrained, time factor, fix probability) of whoever starts a visit of ``crew`` now."""
        if not self._gaps:
            return False, 1.0, self.fs.fix_probability
        u = self._untrained()  # one draw per visit, gap or not: later visits keep their numbers
        for start, end, share, slower, fix, crews in self._gaps:
            if crew in crews and start <= now < end and u < share:
                return True, slower, self.fs.fix_probability * fix
        return False, 1.0, self.fs.fix_probability

    def _visit(self, job: WorkOrder) -> Generator[simpy.Event, Any, None]:
        env = self.env
        start = env.now
        if job.visits == 0:
            job.first_start = start
        job.visits += 1
        untrained, slower, fix_probability = self._skill("technicians", start)
        travel, diagnosis = self._travel(), self._diagnosis() * slower
        yield env.timeout(travel + diagnosis)
        repair = 0.0
        if not self._take_part(job, self.technicians):
            outcome = "no_part"
        else:
            repair = self._repair() * slower
            yield env.timeout(repair)
            outcome = "fixed" if self._fix() < fix_probability else "not_fixed"
        self.visits.append(Visit(job.id, "technicians", start, travel, diagnosis, repair,
                                 env.now, outcome, untrained))
        if outcome == "fixed":
            self._fixed(job)
        elif outcome == "not_fixed":
            self.technicians.offer(job)

    def _bench(self, job: WorkOrder) -> Generator[simpy.Event, Any, None]:
        env = self.env
        start = env.now
        if job.visits == 0:
            job.first_start = start
        job.visits += 1
        untrained, slower, fix_probability = self._skill("depot_technicians", start)
        diagnosis = self._diagnosis() * slower
        yield env.timeout(diagnosis)
        repair = 0.0
        if not self._take_part(job, self.bench):
            outcome = "no_part"
        else:
            repair = self._bench_repair() * slower
            yield env.timeout(repair)
            outcome = "fixed" if self._fix() < fix_probability else "not_fixed"
        self.visits.append(Visit(job.id, "depot_technicians", start, 0.0, diagnosis, repair,
                                 env.now, outcome, untrained))
        if outcome == "fixed":
            self._fixed(job)
        elif outcome == "not_fixed":
            self.bench.offer(job)

    def _fixed(self, job: WorkOrder) -> None:
        job.fixed_at = self.env.now
        job.quality_pass = self._quality() < self.fs.quality_pass_probability
        job.spot_checked = self._spot() < self.fs.spot_check_share
        if job.channel == "depot":
            self._after(self._transit(), lambda: self._finish(job))
        else:
            self._finish(job)

    def _finish(self, job: WorkOrder) -> None:
        job.finished = self.env.now
        self.on_finished(job)
        if not job.quality_pass and self.on_failed is not None:
            self.on_failed(job)
