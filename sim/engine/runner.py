"""Light processes: generators of SimPy timeouts resumed by callbacks, and parked ones.

``simpy.Process`` is general: it waits for any event, fails and can be interrupted, and is
itself an event that others can wait for. The crews' people and the arrivals need none of that:
nothing waits for them to end, and they only ever wait for fresh timeouts. Run by a ``Runner``,
such a generator is resumed by a callback on its timeout, and a person with nothing to do
*parks* (yields ``PARK``) until a crew hands them something with ``send``, within the event
that made the job, rather than through a wake-up event of their own. That is one SimPy event
fewer for every job that finds someone idle (half the calls of a busy call center), and no
start-up event per person or process. SimPy's clock and event queue stay the engine's.
"""

from __future__ import annotations

from collections.abc import Generator
from typing import Any

PARK = object()
"""What a generator run by a ``Runner`` yields to wait until someone ``send``s it a value."""

Steps = Generator[Any, Any, None]
"""A generator a ``Runner`` runs: it yields pending SimPy events (timeouts) or ``PARK``."""


class Runner:
    """Runs one generator that yields pending SimPy events (timeouts) or ``PARK``."""

    __slots__ = ("_gen", "_send")

    def __init__(self) -> None:
        self._gen: Steps | None = None
        # One bound method for the whole run, not one per event waited for.
        self._send = self.send

    def start(self, gen: Steps) -> None:
        """Run ``gen`` now, up to its first yield."""
        self._gen = gen
        self.send(None)

    def send(self, value: Any) -> None:
        """Resume the generator with ``value`` now, up to its next yield.

        Also the callback of the event it waits for, so a generator receives that event as the
        value of its ``yield`` (``simpy.Process`` sends the event's value: None for a timeout).
        The engine's generators do not use it.
        """
        assert self._gen is not None
        try:
            event = self._gen.send(value)
        except StopIteration:
            return
        if event is not PARK:
            event.callbacks.append(self._send)
