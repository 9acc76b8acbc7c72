"""The garbage collector's pace while a replication runs.

A run allocates hundreds of thousands of container objects (calls, jobs, SimPy events) and
keeps most of them to the end, as its records. With CPython's default first-generation threshold
(700 allocations) the collector runs thousands of times a replication, and every older-generation
pass walks all the records kept so far: about a fifth of a baseline replication's CPU time.
Nothing is lost by collecting rarely: while the run lasts its objects are still in use, and once
it ends ``simulate`` frees them itself (``sim.engine.model``). Measured, the peak memory of a
91-day baseline replication is the same under tracemalloc at a threshold of 700 and of 100,000.

``rare_collections`` raises the first-generation threshold for the duration of a run and puts
the previous setting back afterwards. The setting is the process's, so nested or concurrent
runs (threads of the explorer) share one raise: the last to leave restores it.
"""

from __future__ import annotations

import gc
import threading
from collections.abc import Iterator
from contextlib import contextmanager

RUN_THRESHOLD = 100_000
"""First-generation threshold during a run: container allocations between two collections."""

_lock = threading.Lock()
_inside = 0
_saved: tuple[int, int, int] = gc.get_threshold()


@contextmanager
def rare_collections() -> Iterator[None]:
    """Collect garbage every ``RUN_THRESHOLD`` allocations instead of every 700, meanwhile."""
    global _inside, _saved
    with _lock:
        if _inside == 0:
            _saved = gc.get_threshold()
            gc.set_threshold(max(RUN_THRESHOLD, _saved[0]), _saved[1], _saved[2])
        _inside += 1
    try:
        yield
    finally:
        with _lock:
            _inside -= 1
            if _inside == 0:
                gc.set_threshold(*_saved)
