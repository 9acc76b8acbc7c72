"""Failed repairs coming back: caught by a spot check, or reported by the customer's call.

This module owns what happens between a repair that did not hold (``quality_pass`` False, drawn
by field service at the fix) and the rework job that redoes it. A spot-checked failure is caught
with probability ``spot_check_detection``: the revisit is booked at once, without a call. Any
other failure is noticed by the customer, who reports it ``rework_delay_hours`` after the
repair: a repair call like any other, which may wait, hang up and redial, or get a busy signal,
or, while the call center is closed, a voicemail or web ticket that an agent calls back when it
opens (``callback``, as any contact of closed hours). The revisit is booked when an agent
talks to the customer (field service's ``create`` with ``rework_of``). A customer who gives up
on the phone reports nothing.

Every draw comes from streams of its own (``rework_*``, ``spot_check_detection``), so scenarios
whose repairs all hold keep their numbers.
"""

from __future__ import annotations

import math
from collections.abc import Callable

import simpy

from sim.engine.call_center import REWORK_CALL, Call, CallCenter
from sim.engine.distributions import sampler, uniform_sampler
from sim.engine.field_service import WorkOrder
from sim.engine.rng import Streams
from sim.scenario.calls import CallCenter as CallCenterSpec
from sim.scenario.field import FieldService
from sim.units import MINUTES_PER_HOUR


class Comebacks:
    """Turns each failed repair into a rework job: at once when a check catches it, else
    through the customer's call."""

    def __init__(self, env: simpy.Environment, fs: FieldService, calls: CallCenterSpec,
                 center: CallCenter, streams: Streams,
                 rework: Callable[[WorkOrder, Call | None], None]) -> None:
        self.env = env
        self.fs = fs
        self.center = center
        self.rework = rework
        self._detect = uniform_sampler(streams["spot_check_detection"])
        self._delay = sampler(fs.rework_delay_hours, streams["rework_delay"], MINUTES_PER_HOUR)
        self._handle = (sampler(calls.handle_minutes["repair"], streams["rework_call_handle"])
                        if "repair" in calls.handle_minutes else None)
        self._patience = (sampler(calls.patience_minutes, streams["rework_call_patience"])
                          if calls.patience_minutes is not None else None)
        self._jobs: dict[int, WorkOrder] = {}

    def failed(self, job: WorkOrder) -> None:
        """``job`` is finished and its repair did not hold: catch it, or wait for the call."""
        if job.spot_checked and self._detect() < self.fs.spot_check_detection:
            job.caught = True
            self.rework(job, None)
            return
        delay = self._delay()
        if self._handle is None:
            return
        self._jobs[job.id] = job
        self.env.timeout(delay).callbacks.append(lambda _e: self._call(job))

    def _call(self, job: WorkOrder) -> None:
        assert self._handle is not None
        now = self.env.now
        patience = self._patience() if self._patience is not None else math.inf
        self.center.receive(Call(self.center.next_call_id(), "repair", now, self._handle(),
                                 now + patience, False, 0.0, math.inf, origin=REWORK_CALL,
                                 rework_of=job.id,
                                 callback=not self.center.opening.is_open(now)))

    def answered(self, call: Call) -> None:
        """An agent took the customer's report: book the revisit."""
        job = self._jobs.pop(call.rework_of, None)
        if job is not None:
            self.rework(job, call)
