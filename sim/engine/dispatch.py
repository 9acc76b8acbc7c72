"""Waiting repair jobs and who may take them: the job queue, product lines and technicians.

This module owns ``JobQueue`` (released jobs by priority, then due time or release order),
``SkillQueue`` (one ``JobQueue`` per product line, so that a technician looks only at the lines
they can repair) and ``Technician`` (what a mobile technician carries from job to job: their
skills and their van). ``sim.engine.crew`` asks a queue for the next job a person may start;
``sim.engine.field_service`` decides what a job is.
"""

from __future__ import annotations

import heapq
import itertools
from collections.abc import Callable, Hashable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from typing import Any

from sim.scenario.calendar import planned_cut_windows, shift_windows
from sim.scenario.products import TechnicianShift
from sim.scenario.training import Training, training_sessions

Entry = tuple[int, float, int, Any, Hashable]
"""(priority, due time or 0, release order, job, its kind) of a queued job."""


@dataclass(frozen=True, slots=True)
class Technician:
    """A mobile technician on duty.

    Attributes:
        skills: The product lines they can repair (None: all).
        van: Their van's number (-1: no vans are modelled).
        person: A number unique to the shift pattern and position (the van's when vans are
            modelled), recorded on each visit.
    """

    skills: frozenset[str] | None
    van: int
    person: int

    def can(self, job: Any) -> bool:
        """Whether they may take ``job`` (a task of another kind, a follow-up visit: always)."""
        product = getattr(job, "product", "")
        return self.skills is None or not product or product in self.skills


class JobQueue:
    """Released jobs by priority (rework first), then by due time or by release order.

    The jobs are held in one heap per *kind* (``kind(job)``, such as its class; a single kind
    when ``kind`` is None), and a crew's accept rule must answer alike for all jobs of one kind:
    the same expected minutes and the same skills needed. Then the most urgent job a person may
    take is the head of some kind's heap, so a person near the end of a shift, for whom the most
    urgent job is too long, looks at one job per kind. With one heap, they looked at the whole
    backlog in order: about 6 ms a look at 20,000 queued jobs, two thirds of an overloaded run.
    """

    def __init__(self, earliest_due: bool, order: Iterator[int] | None = None,
                 kind: Callable[[Any], Hashable] | None = None) -> None:
        self._heaps: dict[Hashable, list[Entry]] = {}
        self._earliest_due = earliest_due
        self._kind = kind
        # Queues of one crew share the release order, so their entries compare across them.
        self._seq = order if order is not None else itertools.count()

    def push(self, job: Any) -> None:
        """Queue a released job (anything with ``priority`` and ``due``)."""
        kind = self._kind(job) if self._kind is not None else None
        heap = self._heaps.get(kind)
        if heap is None:
            heap = self._heaps[kind] = []
        key = job.due if self._earliest_due else 0.0
        heapq.heappush(heap, (job.priority, key, next(self._seq), job, kind))

    def peek(self, accept: Callable[[Any], bool] | None = None) -> Entry | None:
        """The entry of the most urgent job (that ``accept`` takes, when given), or None."""
        best: Entry | None = None
        for heap in self._heaps.values():
            # (priority, key, release order) decide: the release order is unique, so two
            # entries never compare their jobs.
            if heap and (best is None or heap[0] < best) and (accept is None or accept(heap[0][3])):
                best = heap[0]
        return best

    def take(self, entry: Entry) -> Any:
        """Remove an entry ``peek`` gave (the head of its kind's heap) and return its job."""
        heap = self._heaps[entry[4]]
        assert heap[0] is entry, "take the entry peek gave before the queue changes"
        heapq.heappop(heap)
        return entry[3]

    def pop(self, now: float, accept: Callable[[Any], bool] | None = None,
            tag: Any = None) -> Any:
        """The most urgent job (that ``accept`` takes, when given), or None."""
        entry = self.peek(accept)
        return None if entry is None else self.take(entry)

    def __len__(self) -> int:
        return sum(len(heap) for heap in self._heaps.values())


class SkillQueue:
    """One ``JobQueue`` per product line (and one for tasks of no line): a technician pops the
    most urgent job among the lines they can repair, in the order one queue would give."""

    def __init__(self, earliest_due: bool, products: Iterable[str],
                 kind: Callable[[Any], Hashable] | None = None) -> None:
        order = itertools.count()
        self._queues = {name: JobQueue(earliest_due, order, kind) for name in ("", *products)}

    def push(self, job: Any) -> None:
        """Queue a job under its product line."""
        self._queues[getattr(job, "product", "")].push(job)

    def pop(self, now: float, accept: Callable[[Any], bool] | None = None,
            tag: Any = None) -> Any:
        """The most urgent job of the lines ``tag`` (a ``Technician``) can repair that
        ``accept`` takes, or None."""
        skills = tag.skills if isinstance(tag, Technician) else None
        best: tuple[Entry, JobQueue] | None = None
        for line, queue in self._queues.items():
            if line and skills is not None and line not in skills:
                continue
            entry = queue.peek(accept)
            if entry is not None and (best is None or entry[:3] < best[0][:3]):
                best = (entry, queue)
        return None if best is None else best[1].take(best[0])

    def __len__(self) -> int:
        return sum(len(q) for q in self._queues.values())


Piece = tuple[float, float, int, float]


def technician_rosters(staffing: int | Sequence[TechnicianShift], limit: float,
                       cuts: list[tuple[float, float, float]], vans: bool,
                       training: Training | None = None, first_weekday: int = 0
                       ) -> list[tuple[list[Piece], list[Technician]]]:
    """Each shift pattern's on-duty windows (cut by absences and by its training sessions, with
    their planned ends) and the technicians who work it: the k-th person of a pattern is the
    same technician every day, with the pattern's skills and, with ``vans``, a van of their
    own. Day 0 is weekday ``first_weekday`` (0 = Monday)."""
    patterns: list[tuple[int | tuple[TechnicianShift, ...], frozenset[str] | None, int]] = (
        [(staffing, None, staffing)] if isinstance(staffing, int)
        else [((s,), frozenset(s.skills) if s.skills is not None else None, s.count)
              for s in staffing])
    out = []
    first = 0
    for pattern, skills, count in patterns:
        sessions = [(a, b, share) for a, b, share, _ in
                    training_sessions(pattern, training, limit, first_weekday)]
        pieces = planned_cut_windows(shift_windows(pattern, limit, first_weekday),
                                     cuts + sessions)
        people = [Technician(skills, first + k if vans else -1, first + k) for k in range(count)]
        out.append((pieces, people))
        first += count
    return out
