"""Light processes: generators resumed by callbacks, waiting out delays or parked.

``simpy.Process`` is general: it waits for any event, fails and can be interrupted, and is
itself an event that others can wait for. The crews' people and the arrivals need none of that:
nothing waits for them to end, and they mostly wait out a delay. Run by a ``Runner``, such a
generator yields a delay in minutes (a float), a pending SimPy event, or ``PARK``:

* a delay puts the runner itself in SimPy's event queue, as a timeout would be (same time,
  priority and sequence number, so the order of events is the one a ``Timeout`` would give),
  without building a ``Timeout`` for every wait;
* an event (a timeout made elsewhere) resumes the generator from its callbacks;
* a person with nothing to do *parks* until a crew hands them something with ``send``, within
  the event that made the job, rather than through a wake-up event of their own: one SimPy event
  fewer for every job that finds someone idle (half the calls of a busy call center).

SimPy's clock, queue and ``step`` stay the engine's; a runner waits for one thing at a time, so
one runner is never in the queue twice.
"""

from __future__ import annotations

from collections.abc import Callable, Generator
from typing import Any

import simpy
from simpy.events import NORMAL

PARK = object()
"""What a generator run by a ``Runner`` yields to wait until someone ``send``s it a value."""

Steps = Generator[Any, Any, None]
"""A generator a ``Runner`` runs: it yields delays in minutes, pending SimPy events or ``PARK``."""


class Runner:
    """Runs one generator that yields delays in minutes, pending SimPy events or ``PARK``.

    While it waits out a delay the runner is itself the event in SimPy's queue: ``step`` needs
    of an event only its ``callbacks`` and ``_ok``.
    """

    __slots__ = ("_gen", "_ok", "_schedule", "_send", "callbacks")

    def __init__(self, env: simpy.Environment) -> None:
        self._gen: Steps | None = None
        # One bound method for the whole run, not one per wait.
        self._send = self.send
        # Typed loosely: SimPy's signature asks for an Event, and ``step`` needs no more of one
        # than a runner has.
        self._schedule: Callable[[Any, Any, float], None] = env.schedule
        self.callbacks: list[Callable[[Any], None]] | None = None
        self._ok = True

    def start(self, gen: Steps) -> None:
        """Run ``gen`` now, up to its first yield."""
        self._gen = gen
        self.send(None)

    def send(self, value: Any) -> None:
        """Resume the generator with ``value`` now, up to its next yield.

        Also the callback of what it waits for, so a generator receives that event (or this
        runner, after a delay) as the value of its ``yield``; the engine's generators do not
        use it.
        """
        assert self._gen is not None
        try:
            step = self._gen.send(value)
        except StopIteration:
            # Nothing waits for a runner that has ended. Without the bound method by which it
            # refers to itself, reference counting frees it (and its generator) now, instead of
            # the cyclic collector some time later: a year's run held some 10,000 of them.
            self._gen = None
            del self._send
            return
        if step.__class__ is float or isinstance(step, (int, float)):
            if step < 0:
                raise ValueError(f"a delay of {step} minutes: a wait cannot end in the past")
            self.callbacks = [self._send]
            self._schedule(self, NORMAL, step)
        elif step is not PARK:
            step.callbacks.append(self._send)
