"""Follow-up contacts after each repair, the satisfaction score, and complaints they trigger.

Owns a follow-up from the fix that creates it to the customer being reached (or the window
closing), and the score of the customer's journey. Agents make follow-up calls only when no
inbound caller waits (the agents' queue serves inbound first); with ``channel: visit`` a
technician calls in person, after any waiting repair work. An unhappy customer may complain: the
complaint is a new inbound call that enters the call center like any other.

The score is documented in docs/satisfaction.md:
    score = clip(base - w_wait * phone wait minutes - w_aband * abandonments - w_block * busy
                 signals - late * (w_late + w_day * days late) - w_visit * (visits - 1)
                 - w_rework * [rework job] - w_part * days waited for a part, 1, 5)
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import simpy

from sim.engine.call_center import Call, CallCenter
from sim.engine.crew import Crew
from sim.engine.distributions import sampler, uniform_sampler
from sim.engine.field_service import WorkOrder
from sim.engine.records import once_set
from sim.engine.rng import Streams
from sim.engine.runner import Steps
from sim.scenario.calls import CallCenter as CallCenterSpec
from sim.scenario.format import Followup, Satisfaction
from sim.units import MINUTES_PER_DAY, MINUTES_PER_HOUR

NAN = math.nan
FOLLOWUP_PRIORITY = 2  # after rework (0) and repairs (1) in a technician's queue


@dataclass(slots=True, eq=False)
class FollowUp:
    """One follow-up of one finished repair."""

    id: int
    job_id: int
    created: float
    due: float
    priority: int = FOLLOWUP_PRIORITY
    attempts: int = 0
    reached: float = NAN
    score: float = NAN
    complained: bool = False
    closed: float = NAN  # reached, or no attempt left before the due time (NaN: still open)


@dataclass(slots=True, eq=False)
class Attempt:
    """One try at reaching the customer: who made it, when, and whether it reached them."""

    followup_id: int
    crew: str
    start: float
    end: float
    reached: bool


FOLLOWUP_ENDED = once_set("closed")
"""A follow-up has ended once closed (reached or lapsed): nothing changes it after that."""


def journey_score(s: Satisfaction, job: WorkOrder) -> float:
    """The customer's satisfaction with a repair journey, on the 1-5 scale."""
    late_minutes = max(0.0, job.finished - job.due)
    part_wait = 0.0
    if not math.isnan(job.part_wait_start) and not math.isnan(job.part_ready):
        part_wait = job.part_ready - job.part_wait_start
    score = (s.base
             - s.per_wait_minute * job.call_wait
             - (s.late_penalty + s.per_late_day * late_minutes / MINUTES_PER_DAY
                if late_minutes > 0 else 0.0)
             - s.per_extra_visit * max(0, job.visits - 1)
             - (s.rework_penalty if job.rework_of >= 0 else 0.0)
             - s.part_wait_per_day * part_wait / MINUTES_PER_DAY
             - s.abandoned_penalty * job.abandoned_calls
             - s.blocked_penalty * job.blocked_calls)
    return min(5.0, max(1.0, score))


class FollowUps:
    """Creates follow-ups when repairs finish, makes the contacts, scores the journeys."""

    def __init__(self, env: simpy.Environment, spec: Followup, satisfaction: Satisfaction,
                 center: CallCenter, calls_spec: CallCenterSpec, technicians: Crew[Any],
                 streams: Streams, travel: Callable[[], float]) -> None:
        self.env = env
        self.spec = spec
        self.satisfaction = satisfaction
        self.center = center
        self.followups: list[FollowUp] = []
        # Counted, not len(): ended ones leave the list (records.Spool).
        self._ids = itertools.count()
        self.attempts: list[Attempt] = []
        self._jobs: dict[int, WorkOrder] = {}
        self._crew: Crew[Any] = center.agents if spec.channel == "call" else technicians
        self._travel = travel
        self._talk = sampler(spec.call_minutes, streams["followup_talk"])
        self._reach = uniform_sampler(streams["followup_reach"])
        self._complain = uniform_sampler(streams["followup_complaint"])
        self._complaint_handle = (sampler(calls_spec.handle_minutes["complaint"],
                                          streams["followup_complaint_handle"])
                                  if "complaint" in calls_spec.handle_minutes else None)
        self._patience = (sampler(calls_spec.patience_minutes, streams["followup_patience"])
                          if calls_spec.patience_minutes is not None else None)

    def repair_finished(self, job: WorkOrder) -> None:
        """A repair is finished: its follow-up is due within ``within_hours``."""
        now = self.env.now
        fu = FollowUp(next(self._ids), job.id, now,
                      now + self.spec.within_hours * MINUTES_PER_HOUR)
        self.followups.append(fu)
        self._jobs[fu.id] = job
        self._crew.offer(fu)

    def contact(self, fu: FollowUp) -> Steps:
        """Process body for the agent or technician making one attempt."""
        env = self.env
        if env.now > fu.due:
            # The window closed while the follow-up waited for someone free: it lapses.
            self._jobs.pop(fu.id, None)
            fu.closed = env.now
            return
        start = env.now
        fu.attempts += 1
        duration = self._talk()
        if self.spec.channel == "visit":
            duration += self._travel()
        yield duration
        reached = self._reach() < self.spec.reach_probability
        self.attempts.append(Attempt(fu.id, self._crew.name, start, env.now, reached))
        if reached:
            fu.reached = fu.closed = env.now
            fu.score = journey_score(self.satisfaction, self._jobs.pop(fu.id))
            if (fu.score < self.satisfaction.unhappy_below
                    and self._complain() < self.spec.complaint_probability_if_unhappy):
                fu.complained = True
                self._file_complaint()
        elif env.now + self.spec.retry_hours * MINUTES_PER_HOUR <= fu.due:
            def try_again(_event: simpy.Event) -> None:
                self._crew.offer(fu)

            env.timeout(self.spec.retry_hours * MINUTES_PER_HOUR).callbacks.append(try_again)
        else:
            fu.closed = env.now

    def _file_complaint(self) -> None:
        if self._complaint_handle is None:
            return
        now = self.env.now
        patience = self._patience() if self._patience is not None else math.inf
        self.center.receive(Call(self.center.next_call_id(), "complaint", now,
                                 self._complaint_handle(), now + patience, False, 0.0, math.inf,
                                 origin="followup"))
