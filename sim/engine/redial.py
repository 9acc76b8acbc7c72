"""Callers who try again: a failed attempt (hung up waiting or on hold, or a busy signal) may
come back as a new call.

This module owns whether a caller redials, when, and the new attempt's attributes. Every draw
comes from streams of its own (``redial*``), so switching redial on leaves the other sources'
numbers unchanged: a scenario with and without redial share arrivals, handle times and patience
of first attempts (common random numbers). The new attempt carries the customer's history
(attempt number, earlier abandonments and busy signals, minutes already waited) for the
satisfaction score of a repair journey (``sim.engine.followup.journey_score``).
"""

from __future__ import annotations

import math

import simpy

from sim.engine.call_center import REWORK_CALL, Call, CallCenter
from sim.engine.distributions import Sampler, sampler, uniform_sampler
from sim.engine.records import ABANDONED, BLOCKED, HOLD_ABANDONED
from sim.engine.rng import Streams
from sim.scenario.calls import CallCenter as CallCenterSpec


class Redials:
    """Decides and schedules the next attempt of each failed call."""

    def __init__(self, env: simpy.Environment, spec: CallCenterSpec, center: CallCenter,
                 streams: Streams) -> None:
        assert spec.redial is not None
        self.env = env
        self.center = center
        self.redial = spec.redial
        self._again = uniform_sampler(streams["redial"])
        self._delay = sampler(spec.redial.delay_minutes, streams["redial_delay"])
        self._handle: dict[str, Sampler] = {
            kind: sampler(dist, streams[f"redial_handle.{kind}"])
            for kind, dist in spec.handle_minutes.items()}
        self._patience = (sampler(spec.patience_minutes, streams["redial_patience"])
                          if spec.patience_minutes is not None else None)
        esc = spec.escalation
        self._escalation: dict[str, float] = (
            {k: p for k, p in esc.probability.items()} if esc is not None else {})
        self._escalate = uniform_sampler(streams["redial_escalation"])
        self._specialist = (sampler(esc.handle_minutes, streams["redial_specialist_handle"])
                            if esc is not None else None)
        self._hold = (sampler(spec.patience_minutes, streams["redial_hold_patience"])
                      if spec.patience_minutes is not None and esc is not None else None)

    def failed(self, call: Call) -> None:
        """``call`` has just failed: maybe schedule the caller's next attempt."""
        if call.attempt >= self.redial.max_attempts or self._again() >= self.redial.probability:
            return
        kind = call.kind
        if call.state == BLOCKED:
            failed_at, waited = call.arrival, 0.0
        elif call.state == ABANDONED:
            failed_at, waited = call.abandon, call.abandon - call.arrival
        else:  # on hold: the wait for an agent and the wait for a specialist
            failed_at = call.abandon
            waited = (call.answer - call.arrival) + (call.abandon - call.hold_start)
        at = failed_at + self._delay()
        # A report of a failed repair is never transferred (as its first attempt); the draw is
        # made anyway so that other redials keep their numbers.
        escalate = (self._escalate() < self._escalation.get(kind, 0.0)
                    and call.origin != REWORK_CALL)
        patience = self._patience() if self._patience is not None else math.inf
        attempt = Call(
            self.center.next_call_id(), kind, at, self._handle[kind](), at + patience, escalate,
            self._specialist() if escalate and self._specialist is not None else 0.0,
            self._hold() if escalate and self._hold is not None else math.inf,
            origin=call.origin, attempt=call.attempt + 1, redial_of=call.id,
            rework_of=call.rework_of,
            abandoned_before=call.abandoned_before + (call.state in (ABANDONED,
                                                                     HOLD_ABANDONED)),
            blocked_before=call.blocked_before + (call.state == BLOCKED),
            waited_before=call.waited_before + waited)
        ring = self.env.timeout(max(0.0, at - self.env.now))
        ring.callbacks.append(lambda _e: self.center.receive(attempt))
