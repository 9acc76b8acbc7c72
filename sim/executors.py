"""Where replications run: in this process, in a process pool, or (issue 4) on a Dask cluster.

Every executor takes the same picklable tasks (a top-level function and plain arguments) and
yields results as they complete; callers sort by replication, so the numbers never depend on
which worker finished first.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import ProcessPoolExecutor, as_completed
from typing import Any, Protocol

import multiprocessing


class Executor(Protocol):
    """Runs ``fn(*args)`` for each argument tuple, yielding results in completion order."""

    def run(self, fn: Callable[..., Any], tasks: Sequence[tuple[Any, ...]]) -> Iterator[Any]:
        """Yield ``fn(*task)`` for every task, as each finishes."""


class SerialExecutor:
    """Runs tasks one after the other in this process (``--workers 1``)."""

    def run(self, fn: Callable[..., Any], tasks: Sequence[tuple[Any, ...]]) -> Iterator[Any]:
        """Yield results in task order."""
        for task in tasks:
            yield fn(*task)


class PoolExecutor:
    """A pool of worker processes (spawned, so workers never inherit a half-built state)."""

    def __init__(self, workers: int) -> None:
        self.workers = workers

    def run(self, fn: Callable[..., Any], tasks: Sequence[tuple[Any, ...]]) -> Iterator[Any]:
        """Yield results as workers finish them."""
        context = multiprocessing.get_context("spawn")
        with ProcessPoolExecutor(max_workers=self.workers, mp_context=context) as pool:
            futures = [pool.submit(fn, *task) for task in tasks]
            try:
                for future in as_completed(futures):
                    yield future.result()
            except BaseException:
                for future in futures:
                    future.cancel()
                raise


def default_workers() -> int:
    """The number of cores this process may use."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # pragma: no cover - not on Linux
        return max(1, os.cpu_count() or 1)


def make_executor(workers: int | None, tasks: int) -> Executor:
    """The executor for ``workers`` processes (None: every core); one task runs in-process."""
    n = default_workers() if workers is None else workers
    if n <= 1 or tasks <= 1:
        return SerialExecutor()
    return PoolExecutor(min(n, tasks))
