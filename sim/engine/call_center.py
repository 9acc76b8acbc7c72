"""The phone side: inbound calls, agents, busy signals, abandonment, escalation, complaint cases.

Owns the life of a call from arrival to hang-up and the complaint case a complaint call opens. It
does not own what a repair call leads to (``on_repair`` hook, see ``sim.engine.field_service``) nor
follow-up calls' outcome (``sim.engine.followup`` hands the agents an ``outbound`` job).

Contacts that arrive while the call center is closed (``demand.closed_hours: queue``, and
customers reporting a failed repair at night) are web tickets and voicemail (``callback``): they
hold no phone line, never abandon, and are
called back by an agent from the next opening on, after every waiting inbound caller and before
follow-up calls (the agents' queue serves inbound calls first, so the phone queue is not made to
wait for a backlog of tickets; the wait is the ticket's, ``callback_wait_hours``). A callback is
one agent conversation: it is not transferred to technical support.

Abandonment is decided lazily: a caller's patience deadline is drawn on arrival and checked when an
agent reaches the call (FIFO makes that exact: a caller still queued at the deadline hangs up at the
deadline). Only when ``lines`` is finite must abandonments be known earlier, to count free lines;
then a heap of deadlines is purged at each arrival. With redial on (``on_failed`` set, see
``sim.engine.redial``) each queued caller's deadline is an event, so a failed attempt is known when
it happens.
"""

from __future__ import annotations

import bisect
import heapq
import itertools
import math
from collections import deque
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

import numpy as np
import simpy

from sim.engine.crew import Crew, FifoQueue
from sim.engine.records import (
    ABANDONED,
    BLOCKED,
    DONE,
    HOLD_ABANDONED,
    HOLDING,
    TALKING,
    WAITING,
    WITH_SPECIALIST,
    Ended,
    once_set,
)
from sim.engine.runner import Steps

NAN = math.nan
INF = math.inf
REWORK_CALL = "rework"  # a customer reporting a failed repair (see sim.engine.rework)

@dataclass(slots=True, eq=False)
class Call:
    """One inbound contact; times in engine minutes, NaN where the step did not happen."""

    id: int
    kind: str
    arrival: float
    handle: float
    deadline: float
    escalate: bool
    specialist_handle: float
    hold_patience: float
    origin: str = "customer"
    attempt: int = 1
    redial_of: int = -1
    abandoned_before: int = 0
    blocked_before: int = 0
    waited_before: float = 0.0
    state: int = WAITING
    answer: float = NAN
    end: float = NAN
    abandon: float = NAN
    hold_start: float = NAN
    specialist_answer: float = NAN
    specialist_end: float = NAN
    work_order: int = -1
    rework_of: int = -1
    callback: bool = False  # arrived while closed (web ticket, voicemail): called back later


CALL_ENDED = Ended("state", lambda state: np.isin(state, (DONE, ABANDONED, BLOCKED,
                                                          HOLD_ABANDONED)))
"""A call has ended in the state it ends in: nothing changes it after that."""
CASE_ENDED = once_set("resolved")
"""A complaint case has ended once resolved: nothing changes it after that."""


@dataclass(slots=True, eq=False)
class ComplaintCase:
    """A complaint forwarded to the back office, worked against its deadline."""

    id: int
    call_id: int
    opened: float
    due: float
    work: float
    started: float = NAN
    resolved: float = NAN


class Opening:
    """When the call center is open: merged (start, end) windows in minutes, in time order."""

    def __init__(self, windows: list[tuple[float, float]]) -> None:
        self._starts = [s for s, _ in windows]
        self._ends = [e for _, e in windows]

    def is_open(self, t: float) -> bool:
        """Whether the call center is open at ``t``."""
        i = bisect.bisect_right(self._starts, t) - 1
        return i >= 0 and t < self._ends[i]

    def next_open(self, t: float) -> float:
        """The first moment at or after ``t`` the call center is open (inf: never again)."""
        if self.is_open(t):
            return t
        i = bisect.bisect_right(self._starts, t)
        return self._starts[i] if i < len(self._starts) else INF


ALWAYS_OPEN = Opening([(0.0, INF)])


class CallQueue:
    """FIFO of waiting callers, skipping those whose patience ran out; then callbacks of
    closed-hours contacts, only while the center is open (an agent on duty after closing does
    not call customers back); then other outbound work (follow-ups)."""

    def __init__(self, waiting_state: int, on_abandon: Callable[[Call], None],
                 opening: Opening = ALWAYS_OPEN,
                 on_held_back: Callable[[float], None] | None = None) -> None:
        """``on_held_back(now)`` hears that tickets wait while the center is closed, so that
        someone wakes the idle agents when it opens again."""
        self.calls: deque[Call] = deque()
        self.callbacks: deque[Call] = deque()
        self.outbound: deque[Any] = deque()
        self._waiting_state = waiting_state
        self._on_abandon = on_abandon
        self._opening = opening
        self._on_held_back = on_held_back

    def pop(self, now: float, accept: Callable[[Any], bool] | None = None,
            tag: Any = None) -> Any:
        """The first caller still waiting (inbound first), else the first outbound job
        (``accept`` is not used: agents have no overtime rule)."""
        calls = self.calls
        waiting = self._waiting_state
        while calls:
            call = calls.popleft()
            if call.state != waiting:
                continue
            if call.deadline > now:
                return call
            self._on_abandon(call)
        if self.callbacks:
            if self._opening.is_open(now):
                return self.callbacks.popleft()
            if self._on_held_back is not None:
                self._on_held_back(now)
        if self.outbound:
            return self.outbound.popleft()
        return None

    def push(self, job: Any) -> None:
        """Queue an inbound call, a ticket to call back, or outbound work."""
        if isinstance(job, Call):
            (self.callbacks if job.callback else self.calls).append(job)
        else:
            self.outbound.append(job)


class Lines:
    """Finite phone lines: a call holds one from arrival to hang-up."""

    def __init__(self, capacity: int, on_abandon: Callable[[Call], None]) -> None:
        self.capacity = capacity
        self.in_use = 0
        self._deadlines: list[tuple[float, int, Call]] = []
        self._on_abandon = on_abandon

    def watch(self, call: Call) -> None:
        """Remember a queued caller's deadline, to free the line when patience runs out."""
        if call.deadline < INF:
            heapq.heappush(self._deadlines, (call.deadline, call.id, call))

    def admit(self, now: float) -> bool:
        """Take a line for a new call, or refuse it (busy signal)."""
        heap = self._deadlines
        while heap and heap[0][0] <= now:
            deadline, _, call = heapq.heappop(heap)
            if call.state in (WAITING, HOLDING) and call.deadline == deadline:
                self._on_abandon(call)
        if self.in_use >= self.capacity:
            return False
        self.in_use += 1
        return True


class CallCenter:
    """Agents, specialists, lines and complaint handlers, and the processes that use them."""

    def __init__(
        self,
        env: simpy.Environment,
        lines: int | None,
        complaint_deadline_minutes: float | None,
        complaint_work: Callable[[], float] | None,
        opening: Opening = ALWAYS_OPEN,
    ) -> None:
        self.env = env
        self.opening = opening
        self.calls: list[Call] = []
        self.cases: list[ComplaintCase] = []
        # Counted, not len(): ended ones leave the list (records.Spool).
        self._case_ids = itertools.count()
        self.lines = Lines(lines, self._abandon) if lines is not None else None
        self._agent_queue = CallQueue(WAITING, self._abandon, opening, self._reopen_later)
        self.agents: Crew[Any] = Crew(env, "agents", self._agent_queue, self._agent_work)
        self._reopens: set[float] = set()
        self.specialists: Crew[Call] = Crew(env, "specialists", CallQueue(HOLDING, self._abandon),
                                            self._consult)
        self.handlers: Crew[ComplaintCase] = Crew(env, "complaint_handlers", FifoQueue(),
                                                  self._resolve)
        self._complaint_deadline = complaint_deadline_minutes
        self._complaint_work = complaint_work
        self.on_repair: Callable[[Call], None] | None = None
        self.on_failed: Callable[[Call], None] | None = None
        self._next_id = 0
        self.outbound_work: Callable[[Any], Steps] | None = None

    def _reopen_later(self, now: float) -> None:
        """Tickets wait while closed: at the next opening, idle agents look at the queue again
        (once per opening, however many agents found the tickets held back)."""
        opens = self.opening.next_open(now)
        if opens == INF or opens in self._reopens:
            return
        self._reopens.add(opens)

        def reopen(_event: simpy.Event) -> None:
            self._reopens.discard(opens)
            self.agents.wake(len(self._agent_queue.callbacks))

        self.env.timeout(opens - now).callbacks.append(reopen)

    def next_call_id(self) -> int:
        """A fresh id for a call created during the run (after the pre-drawn ones)."""
        self._next_id += 1
        return self._next_id - 1

    def arrivals(self, calls: Iterable[Call], total: int) -> Steps:
        """Light process (``sim.engine.runner``): deliver pre-drawn calls at their arrival times.

        Args:
            calls: The calls in arrival order, drawn as they are reached.
            total: How many there are: calls created during the run get the ids after them.
        """
        env = self.env
        self._next_id = max(self._next_id, total)
        for call in calls:
            delay = call.arrival - env.now
            if delay > 0:
                yield delay
            self.receive(call)

    def receive(self, call: Call) -> None:
        """A call rings now: busy signal, an idle agent, or the queue. A ticket waits for the
        opening, then for an agent to call back."""
        self.calls.append(call)
        if call.callback:
            call.deadline = INF
            opens = self.opening.next_open(self.env.now)
            if opens < INF:
                def call_back(_event: simpy.Event) -> None:
                    queue = self._agent_queue
                    if queue.callbacks:
                        # Older tickets wait for this same opening: an idle agent handed this
                        # one first would call it back before them.
                        queue.push(call)
                        self.agents.wake(1)
                    else:
                        self.agents.offer(call)

                self.env.timeout(opens - self.env.now).callbacks.append(call_back)
            return
        lines = self.lines
        if lines is not None:
            if not lines.admit(self.env.now):
                call.state = BLOCKED
                if self.on_failed is not None:
                    self.on_failed(call)
                return
            if not self.agents.idle:
                lines.watch(call)
        if not self.agents.offer(call) and self.on_failed is not None:
            self._watch_deadline(call)

    def _watch_deadline(self, call: Call) -> None:
        """Abandon a queued caller at the deadline itself, not when an agent next looks: a
        caller who will call again must know when they hung up. (A call handed straight to
        someone is not watched: its talk starts later in this same instant.)"""
        if call.deadline == INF:
            return
        deadline, state = call.deadline, call.state
        check = self.env.timeout(deadline - self.env.now)
        check.callbacks.append(lambda _e: self._abandon(call) if (
            call.state == state and call.deadline == deadline) else None)

    def _abandon(self, call: Call) -> None:
        call.abandon = call.deadline
        call.state = ABANDONED if call.state == WAITING else HOLD_ABANDONED
        if self.lines is not None:
            self.lines.in_use -= 1
        if self.on_failed is not None:
            self.on_failed(call)

    def _agent_work(self, job: Any) -> Steps:
        # A plain function that picks the generator (see Repairs._technician_work).
        if isinstance(job, Call):
            return self._talk(job)
        assert self.outbound_work is not None
        return self.outbound_work(job)

    def _talk(self, job: Call) -> Steps:
        env = self.env
        job.state = TALKING
        job.answer = env.now
        yield job.handle  # a delay: the talk runs in the agent's Runner
        if job.escalate:
            job.state = HOLDING
            job.hold_start = env.now
            job.deadline = env.now + job.hold_patience
            if self.lines is not None and not self.specialists.idle:
                self.lines.watch(job)
            if not self.specialists.offer(job) and self.on_failed is not None:
                self._watch_deadline(job)
        else:
            self._hang_up(job)

    def _consult(self, call: Call) -> Steps:
        env = self.env
        call.state = WITH_SPECIALIST
        call.specialist_answer = env.now
        yield call.specialist_handle
        call.specialist_end = env.now
        self._hang_up(call)

    def _hang_up(self, call: Call) -> None:
        call.state = DONE
        call.end = self.env.now
        if self.lines is not None and not call.callback:
            self.lines.in_use -= 1
        if call.kind == "complaint" and self._complaint_work is not None:
            assert self._complaint_deadline is not None
            now = self.env.now
            case = ComplaintCase(next(self._case_ids), call.id, now,
                                 now + self._complaint_deadline,
                                 self._complaint_work())
            self.cases.append(case)
            self.handlers.offer(case)
        elif call.kind == "repair" and self.on_repair is not None:
            self.on_repair(call)

    def close(self) -> None:
        """At the end of the run, callers whose patience ran out while queued have hung up."""
        now = self.env.now
        for call in self.calls:
            if call.state in (WAITING, HOLDING) and call.deadline <= now:
                self._abandon(call)

    def _resolve(self, case: ComplaintCase) -> Steps:
        case.started = self.env.now
        yield case.work
        case.resolved = self.env.now
