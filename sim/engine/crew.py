"""Crews: people on shifts who pull work from a queue.

A crew owns its people's presence (shift windows, idle list, overtime) and nothing about the work
itself: the work is a generator function handed in by the department module, and the queue
decides what comes next (FIFO with lazy abandonment for calls, priorities for jobs). People pull
work instead of work requesting people: a job that finds someone idle is handed over at once,
otherwise it waits in the queue and the next person to finish takes it. That is one event per job
fewer than a SimPy ``Resource`` request, and it lets a queue skip abandoned callers when it is
reached rather than scheduling a reneging event for every caller. People are light processes
(``sim.engine.runner``): an idle person is parked, and a job is handed over by resuming them
within the event that made it, so handing over costs no event at all. The work is run by the
person's runner too, so it waits out its durations by yielding them (minutes, as floats): no
``Timeout`` is built for a talk or a visit.

A person finishes the task in hand when the shift ends (overtime), then goes home. A crew given
``expected_minutes`` (the technicians: ``field_service.max_overtime_minutes``) also refuses to
*start* a task whose expected end lies past the shift end plus ``max_overtime_minutes``: the
person takes the first task in the queue's order that fits, or none, and the rest wait for the
next shift. Overtime then comes from variability only.
"""

from __future__ import annotations

import math
from collections import deque
from collections.abc import Callable, Generator, Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any, Generic, Protocol, TypeVar

import simpy

from sim.engine.runner import PARK, Runner, Steps

JobT = TypeVar("JobT")
ProcessGen = Generator[simpy.Event, Any, None]
LOOK = object()
"""What an idle person is woken with when queued work may have become startable (``Crew.wake``)."""


class WorkQueue(Protocol[JobT]):
    """What a crew needs from its queue."""

    def pop(self, now: float, accept: Callable[[JobT], bool] | None = None,
            tag: Any = None) -> JobT | None:
        """The next job to start now (the first in order that ``accept`` takes, when given),
        or None when nothing can be started; ``tag`` is the person's (their skills...)."""

    def push(self, job: JobT) -> None:
        """Queue a job that found nobody idle."""


@dataclass(slots=True, eq=False)
class _Idle:
    send: Callable[[Any], None]
    off_at: float
    planned_end: float
    tag: Any = None


@dataclass(slots=True)
class Overtime:
    """Minutes one person worked past the end of one shift window."""

    shift_end: float
    minutes: float


Span = tuple[float, float, float, int]
"""One person's time on duty: (start, off_at, planned shift end, k: their place in the shift)."""


def person_spans(windows: Sequence[tuple[float, float, int, float]]) -> list[Span]:
    """Each person's time on duty, from windows (start, end, count, planned end) in start order.

    A window that starts where a window of the same shift (the same planned end) ended is the
    same people going on: an absence or a training session cut the shift there. Its first people
    continue (their time on duty runs on, with no shift end in between, so no overtime and no
    second person for the one still finishing a task), the rest start; when the count drops,
    the last ones go home at the cut.
    """
    spans: list[list[float]] = []
    ending: dict[tuple[float, float], list[int]] = {}  # (end, planned) -> spans ending there
    for start, end, count, planned in windows:
        # Two shifts with the same end, cut at the same time, hand on from one pool: whoever
        # goes on, the people on duty after the cut are the count of the pieces after it.
        pool = ending.get((start, planned), [])
        before, pool[:] = pool[:count], pool[count:]
        mine = []
        for k in range(count):
            if k < len(before):
                spans[before[k]][1] = end
                mine.append(before[k])
            else:
                spans.append([start, end, planned, float(k)])
                mine.append(len(spans) - 1)
        ending.setdefault((end, planned), []).extend(mine)
    return [(s, e, p, int(k)) for s, e, p, k in spans]


@dataclass
class Crew(Generic[JobT]):
    """A group of interchangeable people on shifts, working one queue."""

    env: simpy.Environment
    name: str
    queue: WorkQueue[JobT]
    work: Callable[[JobT], Steps]
    idle: deque[_Idle] = field(default_factory=deque)
    overtime: list[Overtime] = field(default_factory=list)
    # Expected minutes of a job and the margin past the shift end it may run into; None: any
    # job is started until the shift ends.
    expected_minutes: Callable[[JobT], float] | None = None
    max_overtime_minutes: float = math.inf
    # People who differ (skills, a van of their own) carry a tag: ``can`` says whether a person
    # with a tag may take a job, ``tagged_work`` does the job knowing who does it. None: anyone
    # takes any job, and ``work`` does it.
    can: Callable[[JobT, Any], bool] | None = None
    tagged_work: Callable[[JobT, Any], Steps] | None = None
    # Shift end of each person at work now, by person: overtime still under way at the end.
    _at_work: dict[int, float] = field(default_factory=dict)
    _people: int = 0
    # The roster processes' generators: each holds its spans for the whole run.
    _rosters: list[ProcessGen] = field(default_factory=list)

    def offer(self, job: JobT) -> bool:
        """A job becomes available now: the longest-idle person takes it (True), else it
        queues (False).

        Someone whose shift ends at this very instant (the shift-end callback may not have run
        yet) goes home instead of starting a new task in overtime.
        """
        now = self.env.now
        if self.expected_minutes is None and self.can is None:
            while self.idle:
                idle = self.idle.popleft()
                if idle.off_at > now:
                    idle.send(job)
                    return True
                idle.send(None)
            self.queue.push(job)
            return False
        if not self.idle:
            self.queue.push(job)
            return False
        # Someone too close to the end of their shift for this job stays idle (a shorter job
        # may still fit); the longest idle of those it fits takes it. The rule is the one a
        # person applies when popping (``_person``): expected end <= planned end + margin.
        done_by = -math.inf if self.expected_minutes is None else now + self.expected_minutes(job)
        margin = self.max_overtime_minutes
        can = self.can
        gone: list[_Idle] = []
        taker: _Idle | None = None
        for idle in self.idle:
            if idle.off_at <= now:
                gone.append(idle)
            elif (idle.planned_end == math.inf or done_by <= idle.planned_end + margin) and (
                    can is None or can(job, idle.tag)):
                taker = idle
                break
        # By identity (_Idle is eq=False); the taker is nearly always the first.
        for idle in gone:
            self.idle.remove(idle)
        if taker is not None:
            self.idle.remove(taker)
        # The idle list is whole again before anyone runs: the work started here may offer
        # jobs to this same crew.
        for idle in gone:
            idle.send(None)
        if taker is None:
            self.queue.push(job)
            return False
        taker.send(job)
        return True

    def wake(self, count: int) -> None:
        """Queued work that could not start may start now (a queue that holds work back, such as
        tickets while the call center is closed): up to ``count`` idle people look again."""
        now = self.env.now
        while count > 0 and self.idle:
            idle = self.idle.popleft()
            if idle.off_at <= now:
                idle.send(None)
                continue
            idle.send(LOOK)
            count -= 1

    def staff(self, windows: Iterable[tuple[float, float, int]],
              planned_ends: Iterable[float] | None = None,
              tags: Sequence[Any] | None = None) -> None:
        """Put people on duty: ``count`` people in each (start, end) window, minutes from 0.

        ``planned_ends`` (aligned with ``windows``) are the ends of the shifts the windows were
        cut from (an absence or a training session ends a window early); the overtime rule
        plans against them, and the people of a cut shift stay on where it goes on
        (``person_spans``). Default: each window's own end. ``tags`` (one per person, at least
        ``count`` long) are the people of every window in order: the k-th person on duty in a
        window carries ``tags[k]`` (the same shift's k-th technician drives the same van every
        day).
        """
        listed = list(windows)
        ends = list(planned_ends) if planned_ends is not None else [e for _, e, _ in listed]
        ordered = sorted((s, e, c, p) for (s, e, c), p in zip(listed, ends, strict=True))
        roster = self._roster(person_spans(ordered), tags)
        self._rosters.append(roster)
        self.env.process(roster)

    def _roster(self, spans: list[Span], tags: Sequence[Any] | None = None) -> ProcessGen:
        env = self.env
        ends: set[float] = set()
        for start, off_at, planned, k in spans:
            if start > env.now:
                yield env.timeout(start - env.now)
            runner = Runner(env)
            runner.start(self._person(runner.send, off_at, planned,
                                      tags[k] if tags is not None else None))
            if off_at != math.inf and off_at not in ends:
                ends.add(off_at)
                env.timeout(off_at - env.now).callbacks.append(self._shift_end)

    def _shift_end(self, event: simpy.Event) -> None:
        now = self.env.now
        staying: deque[_Idle] = deque()
        gone: list[_Idle] = []
        while self.idle:
            idle = self.idle.popleft()
            (gone if idle.off_at <= now else staying).append(idle)
        self.idle = staying
        for idle in gone:
            idle.send(None)

    def _person(self, send: Callable[[Any], None], off_at: float, planned_end: float,
                tag: Any = None) -> Steps:
        env = self.env
        queue = self.queue
        work = self.work
        tagged = self.tagged_work if tag is not None else None
        me = self._people
        self._people += 1
        accept: Callable[[JobT], bool] | None = None
        can = self.can
        expected = self.expected_minutes if planned_end != math.inf else None
        # The overtime rule with its bound worked out once; `now` is read by the closures.
        limit = planned_end + self.max_overtime_minutes
        now = env.now
        if can is not None:
            def accept(job: JobT) -> bool:
                return can(job, tag) and (expected is None or now + expected(job) <= limit)
        elif expected is not None:
            def accept(job: JobT) -> bool:
                return now + expected(job) <= limit
        parked = _Idle(send, off_at, planned_end, tag)  # what the idle list holds while I wait
        while now < off_at:
            job = queue.pop(now, accept) if tag is None else queue.pop(now, accept, tag)
            if job is None:
                self.idle.append(parked)
                job = yield PARK
                if job is None:
                    return
                if job is LOOK:
                    now = env.now
                    continue
            self._at_work[me] = off_at
            if tagged is not None:
                yield from tagged(job, tag)
            else:
                yield from work(job)
            del self._at_work[me]
            now = env.now
        if now > off_at:
            self.overtime.append(Overtime(off_at, now - off_at))

    def close(self) -> None:
        """At the end of the run: book the overtime of people still finishing a task, and end
        the rosters (their spans, laid out to the run-out's cap, are let go now rather than
        whenever the cyclic collector reaches the run's objects)."""
        now = self.env.now
        for off_at in self._at_work.values():
            if now > off_at:
                self.overtime.append(Overtime(off_at, now - off_at))
        for roster in self._rosters:
            roster.close()
        self._rosters.clear()


class FifoQueue(Generic[JobT]):
    """First come, first served; every queued job can start at once."""

    def __init__(self) -> None:
        self._items: deque[JobT] = deque()

    def pop(self, now: float, accept: Callable[[JobT], bool] | None = None,
            tag: Any = None) -> JobT | None:
        """The oldest job (that ``accept`` takes, when given), or None."""
        if accept is None:
            return self._items.popleft() if self._items else None
        for i, job in enumerate(self._items):
            if accept(job):
                del self._items[i]
                return job
        return None

    def push(self, job: JobT) -> None:
        """Queue at the back."""
        self._items.append(job)

    def __len__(self) -> int:
        return len(self._items)
