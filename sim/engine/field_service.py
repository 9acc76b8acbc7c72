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

With product lines a work order draws its line (its repair time, fix probability, part need and
SKUs) and only a technician with the line's skill takes it (``sim.engine.dispatch``); with van
stock the part need is looked up in the technician's van first (``sim.engine.vans``) and a part
from the central store reaches the job ``delivery_hours`` later, on a revisit. Who works how well
(skill gaps, new hires, training) is ``sim.engine.proficiency``'s.
"""

from __future__ import annotations

import bisect
import itertools
import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import simpy

from sim.engine.booking import AppointmentBook
from sim.engine.crew import Crew
from sim.engine.dispatch import JobQueue, SkillQueue, Technician
from sim.engine.distributions import sampler, uniform_sampler
from sim.engine.parts import PartsStore
from sim.engine.proficiency import Proficiency
from sim.engine.records import once_set
from sim.engine.rng import Streams
from sim.engine.runner import Steps
from sim.engine.vans import Vans
from sim.scenario.disruptions import PartNeed, SkillGap
from sim.scenario.field import FieldService
from sim.scenario.inventory import Parts
from sim.scenario.products import Product
from sim.scenario.training import Training
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
    product: str = ""


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
    technician: int = -1


JOB_ENDED = once_set("finished")
"""A work order has ended once finished: nothing changes it after that (a failed repair is
marked caught in the same instant, before anything else runs)."""


class Repairs:
    """Technicians, the depot bench and the jobs they work on."""

    def __init__(self, env: simpy.Environment, fs: FieldService, parts: Parts | None,
                 store: PartsStore | None, streams: Streams,
                 on_finished: Callable[[WorkOrder], None],
                 part_need: Sequence[PartNeed] = (), warranty_share: float = 0.0,
                 skill_gaps: Sequence[SkillGap] = (), book: AppointmentBook | None = None,
                 products: Sequence[Product] = (), vans: Vans | None = None,
                 delivery_hours: float = 0.0, training: Training | None = None) -> None:
        self.env = env
        self.fs = fs
        self.store = store
        self.on_finished = on_finished
        self.on_failed: Callable[[WorkOrder], None] | None = None
        self.jobs: list[WorkOrder] = []
        # Counted, not len(): ended ones leave the list (records.Spool).
        self._job_ids = itertools.count()
        self.outbound_work: Callable[[Any], Steps] | None = None
        self.outbound_minutes = 0.0  # expected length of a technician's outbound task
        self.visits: list[Visit] = []
        self.book = book
        earliest_due = fs.dispatch_rule == "earliest_due"
        self.products = tuple(products)
        self.vans = vans
        self._delivery = delivery_hours * MINUTES_PER_HOUR
        # Per product line ("" without lines): expected visit minutes, repair sampler, fix
        # probability. A line's own repair time draws from a stream of its own.
        base_repair = sampler(fs.repair_minutes, streams["repair"])
        self._onsite_minutes = {"": fs.onsite_minutes()}
        self._repair_of = {"": base_repair}
        self._fix_of = {"": fs.fix_probability}
        for line in self.products:
            self._onsite_minutes[line.name] = fs.onsite_minutes(line)
            self._repair_of[line.name] = (
                sampler(line.repair_minutes, streams[f"repair.{line.name}"])
                if line.repair_minutes is not None else base_repair)
            self._fix_of[line.name] = (line.fix_probability if line.fix_probability is not None
                                       else fs.fix_probability)
        onsite_minutes = self._onsite_minutes
        self.technicians: Crew[Any] = Crew(
            env, "technicians",
            # A job's kind (work order or follow-up visit) and its product line decide its
            # expected minutes and the skills it needs: all the crew's accept rule reads.
            SkillQueue(earliest_due, [p.name for p in self.products], kind=type) if self.products
            else JobQueue(earliest_due, kind=type),
            self._technician_work,
            expected_minutes=lambda job: (onsite_minutes[job.product]
                                          if isinstance(job, WorkOrder)
                                          else self.outbound_minutes),
            max_overtime_minutes=fs.max_overtime_minutes)
        if self.products or vans is not None:
            # Technicians differ (skills, a van each): the crew knows who takes what.
            self.technicians.can = lambda job, tech: tech.can(job)
            self.technicians.tagged_work = self._technician_work
        bench_minutes = fs.bench_minutes()
        self.bench: Crew[WorkOrder] = Crew(
            env, "depot_technicians", JobQueue(earliest_due), self._bench,
            expected_minutes=lambda job: bench_minutes,
            max_overtime_minutes=fs.max_overtime_minutes)
        self._travel = sampler(fs.travel_minutes, streams["travel"])
        self._diagnosis = sampler(fs.diagnosis_minutes, streams["diagnosis"])
        self._fix = uniform_sampler(streams["fix"])
        self._quality = uniform_sampler(streams["quality"])
        self._spot = uniform_sampler(streams["spot_check"])
        self._route = uniform_sampler(streams["route"])
        self._need = uniform_sampler(streams["part_need"])
        self._sku = uniform_sampler(streams["part_sku"])
        self._warranty = uniform_sampler(streams["warranty"])
        self.skill = Proficiency(fs, training, skill_gaps, streams)
        self._warranty_share = warranty_share
        if fs.depot is not None:
            self._transit = sampler(fs.depot.transit_hours, streams["depot_transit"],
                                    MINUTES_PER_HOUR)
            self._bench_repair = sampler(fs.depot.repair_minutes, streams["depot_repair"])
        self._need_probability = parts.need_probability if parts is not None else 0.0
        if parts is not None:
            self._skus = [s.sku for s in parts.skus]
            self._shares = tuple(s.share for s in parts.skus)
        # A product line's part need and the SKUs it uses (their shares, others 0).
        self._line_need = {p.name: (p.need_probability if p.need_probability is not None
                                    else self._need_probability) for p in self.products}
        self._line_shares = {
            p.name: tuple(s.share if s.products is None or p.name in s.products else 0.0
                          for s in parts.skus) for p in self.products} if parts else {}
        self._line = uniform_sampler(streams["product"]) if self.products else None
        self._line_cdf = list(itertools.accumulate(p.share for p in self.products))
        # Cumulative shares by shares: the same few SKU mixes are drawn from for every job.
        self._cdfs: dict[tuple[float, ...], list[float]] = {}
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
            product = ""
            if self._line is not None:
                # Only with product lines: a scenario without them keeps its numbers.
                at = bisect.bisect_right(self._line_cdf, self._line() * self._line_cdf[-1])
                product = self.products[min(at, len(self.products) - 1)].name
                need = self._line_need[product]
                shares = self._line_shares.get(product, shares)
            for start, end, multiplier, skus in self._waves:
                if start <= now < end:
                    need = min(1.0, need * multiplier)
                    if skus and shares is not None:
                        shares = tuple(share * (multiplier if k in skus else 1.0)
                                       for share, k in zip(shares, self._skus, strict=True))
            # Both draws are made for every job so a wave does not shift later jobs' numbers.
            needs = self._need() < need
            u = self._sku()
            sku = self._pick_sku(u, shares) if needs and shares is not None else ""
            priority = NORMAL
            warranty = self._warranty() < self._warranty_share
        else:
            channel, sku, priority = rework_of.channel, "", REWORK
            warranty, product = rework_of.warranty, rework_of.product
        promised = (self.fs.promised_hours.onsite if channel == "onsite"
                    else self.fs.promised_hours.depot)
        job = WorkOrder(next(self._job_ids), call_id, channel, now,
                        now + promised * MINUTES_PER_HOUR, priority,
                        rework_of.id if rework_of is not None else -1, sku, call_wait,
                        warranty=warranty, product=product)
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

    def _pick_sku(self, u: float, shares: tuple[float, ...]) -> str:
        cdf = self._cdfs.get(shares)
        if cdf is None:
            # Summed in order, as numpy's cumsum does: the same cut points to the last bit.
            cdf = self._cdfs[shares] = list(itertools.accumulate(shares))
        i = bisect.bisect_right(cdf, u * cdf[-1])
        return self._skus[min(i, len(self._skus) - 1)]

    def _after(self, delay: float, action: Callable[[], None]) -> None:
        self.env.timeout(delay).callbacks.append(lambda _event: action())

    def _release(self, job: WorkOrder, crew: Crew[Any]) -> None:
        if math.isnan(job.released):
            job.released = self.env.now
        crew.offer(job)

    # --- the work -----------------------------------------------------------------------------

    def _take_part(self, job: WorkOrder, crew: Crew[Any], van: int = -1) -> bool:
        """Whether the job has its part now; if not, it waits for the backorder.

        With vans (``van`` >= 0), the need is looked up in the van first; a part from the
        central store then takes ``delivery_hours`` to reach the job (0: it is handed over at
        once, as without vans), and the job is revisited when it comes.
        """
        if not job.sku or job.has_part:
            return True
        assert self.store is not None
        now = self.env.now
        if math.isnan(job.part_requested):
            job.part_requested = now
            if van >= 0 and self.vans is not None and self.vans.take(job.sku, van, job.id):
                job.has_part = True
                return True
            delay = self._delivery if van >= 0 else 0.0
            if delay > 0:
                def ready() -> None:
                    self._after(delay, lambda: self._part_arrived(job, crew))
            else:
                def ready() -> None:
                    self._part_arrived(job, crew)
            if self.store.request(job.sku, job.id, ready):
                if delay <= 0:
                    job.has_part = True
                    return True
                ready()  # shipped now, it reaches the job after the delivery time
        job.part_wait_start = now
        return False

    def _part_arrived(self, job: WorkOrder, crew: Crew[Any]) -> None:
        job.has_part = True
        job.part_ready = self.env.now
        if not math.isnan(job.part_wait_start):
            crew.offer(job)

    # A plain function that picks the generator, not a generator that delegates to it: a
    # person's every resume would otherwise pass through one more frame. ``tech``: who does the
    # job, when technicians differ (the crew's ``tagged_work``).
    def _technician_work(self, job: Any, tech: Technician | None = None) -> Steps:
        if isinstance(job, WorkOrder):
            return self._visit(job, tech)
        assert self.outbound_work is not None
        return self.outbound_work(job)

    def _visit(self, job: WorkOrder, tech: Technician | None = None
               ) -> Steps:
        env = self.env
        start = env.now
        if job.visits == 0:
            job.first_start = start
        job.visits += 1
        skill = self.skill.visit("technicians", start, self._fix_of[job.product])
        untrained, slower, fix_probability = skill.untrained, skill.slower, skill.fix_probability
        travel, diagnosis = self._travel(), self._diagnosis() * slower
        yield travel + diagnosis
        repair = 0.0
        if not self._take_part(job, self.technicians, tech.van if tech is not None else -1):
            outcome = "no_part"
        else:
            repair = self._repair_of[job.product]() * slower * skill.repair_factor
            yield repair
            outcome = "fixed" if self._fix() < fix_probability else "not_fixed"
        self.visits.append(Visit(job.id, "technicians", start, travel, diagnosis, repair,
                                 env.now, outcome, untrained,
                                 tech.person if tech is not None else -1))
        if outcome == "fixed":
            self._fixed(job)
        elif outcome == "not_fixed":
            self.technicians.offer(job)

    def _bench(self, job: WorkOrder) -> Steps:
        env = self.env
        start = env.now
        if job.visits == 0:
            job.first_start = start
        job.visits += 1
        skill = self.skill.visit("depot_technicians", start, self._fix_of[job.product])
        untrained, slower, fix_probability = skill.untrained, skill.slower, skill.fix_probability
        diagnosis = self._diagnosis() * slower
        yield diagnosis
        repair = 0.0
        if not self._take_part(job, self.bench):
            outcome = "no_part"
        else:
            repair = self._bench_repair() * slower
            yield repair
            outcome = "fixed" if self._fix() < fix_probability else "not_fixed"
        self.visits.append(Visit(job.id, "depot_technicians", start, 0.0, diagnosis, repair,
                                 env.now, outcome, untrained))
        if outcome == "fixed":
            self._fixed(job)
        elif outcome == "not_fixed":
            self.bench.offer(job)

    def _fixed(self, job: WorkOrder) -> None:
        job.fixed_at = self.env.now
        job.quality_pass = self._quality() < self.skill.quality(job.channel == "onsite",
                                                                self.env.now)
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
