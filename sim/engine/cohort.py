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

from collections.abc import Sequence
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
            "work_orders": [j for j in self.jobs
                            if lo <= j.created < hi and j.finished != j.finished],
            "complaint_cases": [c for c in self.cases
                                if lo <= c.opened < hi and c.resolved != c.resolved],
            "followups": [f for f in self.followups
                          if lo <= f.created < hi and f.closed != f.closed],
        }

    def run_out(self, env: simpy.Environment, limit: float) -> RunOut:
        """Run the clock on from the end of the window until every item is done or ``limit``."""
        pending = self.open_items(env.now)
        while any(pending.values()) and env.now < limit:
            env.run(until=min(env.now + CHECK_MINUTES, limit))
            now = env.now
            pending = {
                "calls": [c for c in pending["calls"] if not call_done(c, now)],
                "work_orders": [j for j in pending["work_orders"] if j.finished != j.finished],
                "complaint_cases": [c for c in pending["complaint_cases"]
                                    if c.resolved != c.resolved],
                "followups": [f for f in pending["followups"] if f.closed != f.closed],
            }
        return RunOut(env.now, {kind: len(items) for kind, items in pending.items()})


def call_done(call: Call, now: float) -> bool:
    """Whether a call's fate is sealed at ``now``: it has ended, or the caller has hung up."""
    if call.state in (WAITING, HOLDING):
        return call.deadline <= now  # hung up already; the queue notices it lazily
    return call.state not in _IN_PROGRESS
