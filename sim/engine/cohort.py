"""The run-out: the measured window's items followed to their end.

The contract measures by cohort: calls that arrived in the measured window, and the work orders,
complaint cases and follow-ups created in it, are followed until they are done, however long
after the horizon that is. This module owns which items belong to the cohort, when each is done,
and the run-out itself: after ``warmup_days + horizon_days`` the clock keeps running (arrivals and
staffing as scheduled: the company does not stop taking calls) until every cohort item is done
or ``run_out_max_days`` have passed. What is still open at the cap is left open in the records
(and counts as late and as not done in the KPIs); ``RunOut`` says how long the run-out took and
how many items of each kind the cap cut.

Done means: a call answered and hung up, abandoned or blocked (a queued caller whose patience
has run out has hung up, whether or not an agent has looked yet); a ticket called back; a work
order finished; a complaint case resolved; a follow-up reached or lapsed. The check runs every
simulated ``CHECK_MINUTES``, so the run-out's length is known to that step; every item's own
times are exact.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import simpy

from sim.engine.call_center import Call, ComplaintCase
from sim.engine.field_service import WorkOrder
from sim.engine.followup import FollowUp
from sim.engine.records import HOLDING, TALKING, WAITING, WITH_SPECIALIST

CHECK_MINUTES = 60.0
_IN_PROGRESS = (TALKING, WITH_SPECIALIST)
_OPEN = frozenset((WAITING, HOLDING, *_IN_PROGRESS))
"""States in which a call may still be open; every other state is an end."""


@dataclass(frozen=True)
class RunOut:
    """How the run-out went: when it stopped and what the cap left open, by kind."""

    end_minutes: float
    cut: dict[str, int]


@dataclass
class Cohort:
    """The open items of the measured window [start, end), by kind."""

    start: float
    end: float
    calls: Sequence[Call]
    jobs: Sequence[WorkOrder]
    cases: Sequence[ComplaintCase]
    followups: Sequence[FollowUp]

    def open_items(self, now: float) -> dict[str, list[Any]]:
        """Every cohort item not done at ``now``, by kind."""
        lo, hi = self.start, self.end
        return {
            # The state first: nearly every call has ended, and that is one read.
            "calls": [c for c in self.calls
                      if c.state in _OPEN and lo <= c.arrival < hi and not call_done(c, now)],
            "work_orders": [j for j in self.jobs if lo <= j.created < hi and not job_done(j, now)],
            "complaint_cases": [c for c in self.cases
                                if lo <= c.opened < hi and not case_done(c, now)],
            "followups": [f for f in self.followups
                          if lo <= f.created < hi and not followup_done(f, now)],
        }

    def run_out(self, env: simpy.Environment, limit: float) -> RunOut:
        """Run the clock on from the end of the window until every item is done or ``limit``."""
        # An item once done stays done, so each check only needs to know whether some item is
        # still open: it drops done items from the front of each kind's queue up to the first
        # open one. (Filtering every open item at every check cost an overloaded run, with
        # thousands of work orders open for weeks, a fifth of its time.)
        pending = {kind: deque(items) for kind, items in self.open_items(env.now).items()}
        while env.now < limit and any(_still_open(items, _DONE[kind], env.now)
                                      for kind, items in pending.items()):
            env.run(until=min(env.now + CHECK_MINUTES, limit))
        now = env.now
        return RunOut(now, {kind: sum(not _DONE[kind](item, now) for item in items)
                            for kind, items in pending.items()})


def _still_open(items: deque[Any], done: Callable[[Any, float], bool], now: float) -> bool:
    """Whether some of ``items`` is open at ``now``; drops the done ones ahead of it."""
    while items and done(items[0], now):
        items.popleft()
    return bool(items)


def call_done(call: Call, now: float) -> bool:
    """Whether a call's fate is sealed at ``now``: it has ended, or the caller has hung up."""
    if call.state in (WAITING, HOLDING):
        return call.deadline <= now  # hung up already; the queue notices it lazily
    return call.state not in _IN_PROGRESS


def job_done(job: WorkOrder, now: float) -> bool:
    """Whether a work order is finished (``now`` only gives the rules of every kind one shape)."""
    return job.finished == job.finished  # NaN until then


def case_done(case: ComplaintCase, now: float) -> bool:
    """Whether a complaint case is resolved."""
    return case.resolved == case.resolved


def followup_done(followup: FollowUp, now: float) -> bool:
    """Whether a follow-up is closed: reached, or lapsed."""
    return followup.closed == followup.closed


_DONE: dict[str, Callable[[Any, float], bool]] = {
    "calls": call_done,
    "work_orders": job_done,
    "complaint_cases": case_done,
    "followups": followup_done,
}
"""Whether an item of each kind of ``Cohort.open_items`` is done at a time."""
