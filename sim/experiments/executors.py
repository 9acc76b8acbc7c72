"""Where replications run: in this process, in a process pool, or on a Dask cluster.

Every executor takes the same picklable tasks (a top-level function of the installed package and
plain arguments) and yields results as they complete; callers sort by replication, so the numbers
never depend on which worker finished first. Dask is an optional extra (``pip install .[dask]``)
imported only when asked for.
"""

from __future__ import annotations

import contextlib
import multiprocessing
import os
import re
import signal
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import Future, ProcessPoolExecutor, as_completed
from contextlib import contextmanager
from typing import Any, Protocol


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


PARENT_POLL_SECONDS = 0.25
"""How often a worker checks that the process that started it is alive."""


def _watch_parent(parent: int) -> None:
    """Exit this worker as soon as ``parent`` is gone (it is then reparented).

    A worker blocks on its task queue forever if its parent is killed (SIGKILL runs no
    cleanup), holding hundreds of MB; polling ``os.getppid`` costs nothing and needs no
    platform API. ``PR_SET_PDEATHSIG`` would be immediate but fires when the *thread* that
    spawned the worker ends, which in the explorer is any finished page script.
    """
    while os.getppid() == parent:
        time.sleep(PARENT_POLL_SECONDS)
    os._exit(1)  # no cleanup to run: the parent that wanted the results is gone


def _start_worker(parent: int) -> None:
    """Worker initializer: watch the parent, leave Ctrl-C to it, import the model once (so a
    worker's first task starts at once)."""
    threading.Thread(target=_watch_parent, args=(parent,), name="watch-parent",
                     daemon=True).start()
    # Ctrl-C reaches the whole process group; the parent stops the workers itself, so a
    # worker waiting for a task must not die with a traceback of its own.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    import sim.engine.model
    import sim.measure.outcome  # noqa: F401


def spawn_pool(workers: int) -> ProcessPoolExecutor:
    """The one way this package starts worker processes.

    Spawned, not forked: a worker never inherits a half-built state (a Streamlit server, a
    Dask client) from its parent, and each imports the model once as it starts. Each worker
    exits within ``PARENT_POLL_SECONDS`` of its parent's death, however that came.
    """
    return ProcessPoolExecutor(max_workers=workers, initializer=_start_worker,
                               initargs=(os.getpid(),),
                               mp_context=multiprocessing.get_context("spawn"))


def stop_now(pool: ProcessPoolExecutor) -> None:
    """Stop a pool without waiting for the tasks it is running (an interrupt, an error).

    ``shutdown`` alone waits for every running replication, which may take minutes; the
    workers are terminated instead (their results are not wanted any more).
    """
    processes = getattr(pool, "_processes", None) or {}
    for process in list(processes.values()):
        if process.is_alive():
            process.terminate()
    pool.shutdown(wait=True, cancel_futures=True)


def completed(pool: ProcessPoolExecutor, fn: Callable[..., Any],
              tasks: Sequence[tuple[Any, ...]]) -> Iterator[Any]:
    """Submit every task to ``pool`` and yield results as they finish.

    Tasks not yet started are cancelled when the caller stops early or an error escapes.
    """
    # A set that loses each future once its result is taken: a finished future holds its
    # result, and a run that passes results on (event logs to files) must not keep them all.
    pending: set[Future[Any]] = {pool.submit(fn, *task) for task in tasks}
    try:
        for future in as_completed(pending):
            pending.discard(future)
            yield future.result()
    finally:
        for future in pending:
            future.cancel()


class PoolExecutor:
    """A pool of spawned worker processes.

    Used as it is, each ``run`` starts a pool and stops it at the end. Inside ``with`` (or after
    ``start``) one pool serves every ``run`` until ``shutdown``: a procedure that runs in steps
    (sequential precision, the optimizer, the explorer) would otherwise spend seconds of imports
    per step.
    """

    def __init__(self, workers: int) -> None:
        self.workers = workers
        self._pool: ProcessPoolExecutor | None = None
        self._keep = False

    def start(self) -> PoolExecutor:
        """Start the kept pool (no-op when it runs already); returns self."""
        self._keep = True
        if self._pool is None:
            self._pool = spawn_pool(self.workers)
            # The pool spawns a worker per submitted task, up to ``workers``, not when it is
            # made: a trivial task each starts them all now, so they import the model while the
            # user is still editing. The explorer's first run used to wait for that (about 2 s).
            for _ in range(self.workers):
                self._pool.submit(os.getpid)
        return self

    def shutdown(self, wait: bool = True) -> None:
        """Stop the kept pool, cancelling tasks that have not started."""
        self._keep = False
        if self._pool is not None:
            self._pool.shutdown(wait=wait, cancel_futures=True)
            self._pool = None

    def __enter__(self) -> PoolExecutor:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.shutdown()

    def run(self, fn: Callable[..., Any], tasks: Sequence[tuple[Any, ...]]) -> Iterator[Any]:
        """Yield results as workers finish them.

        An interrupt (Ctrl-C, SIGTERM) terminates the workers at once rather than waiting for
        the replications they are running; a kept pool then starts afresh on the next run.
        """
        if self._keep and self._pool is None:
            self.start()  # a kept pool that an interrupt stopped
        if self._pool is not None:
            try:
                yield from completed(self._pool, fn, tasks)
            except KeyboardInterrupt:
                stop_now(self._pool)
                self._pool = None
                raise
            return
        pool = spawn_pool(self.workers)
        try:
            yield from completed(pool, fn, tasks)
        except BaseException:  # interrupted, failed or abandoned: nobody waits for the rest
            stop_now(pool)
            raise
        pool.shutdown(wait=True)


@contextmanager
def kept(executor: Executor | None) -> Iterator[Executor | None]:
    """``executor``, with its process pool (if it is one) kept for the whole block."""
    if isinstance(executor, PoolExecutor):
        with executor:
            yield executor
    else:
        yield executor


class ClusterError(RuntimeError):
    """The Dask cluster cannot be used or was lost; the message is one line for the user.

    ``before_run`` tells a connection that never worked (the address is wrong or the scheduler
    is down: bad input) from one lost while replications ran.
    """

    def __init__(self, message: str, before_run: bool) -> None:
        super().__init__(message)
        self.before_run = before_run


DASK_SCHEMES = ("tcp", "tls", "ucx", "ws", "wss")
CONNECT_SECONDS = 5.0
"""How long to try reaching a scheduler: a cluster answers in milliseconds, and a wrong address
should not hold the command line for distributed's default 30 s."""
_ADDRESS = re.compile(r"^(?:(?P<scheme>[a-z]+)://)?(?P<host>\[[0-9a-fA-F:.]+\]|[^\s:/\[\]]+)"
                      r":(?P<port>[0-9]{1,5})$")


def dask_address_problem(address: str) -> str | None:
    """Why ``address`` is not a scheduler address (``tcp://HOST:PORT``), or None."""
    found = _ADDRESS.match(address.strip())
    scheme = found.group("scheme") if found else None
    if found is None or (scheme is not None and scheme not in DASK_SCHEMES):
        return (f"`{address}` is not a Dask scheduler address; expected tcp://HOST:PORT (or "
                f"{', '.join(s + '://' for s in DASK_SCHEMES[1:])} with HOST:PORT)")
    if not 1 <= int(found.group("port")) <= 65535:
        return f"`{address}`: the port must be from 1 to 65535 (expected tcp://HOST:PORT)"
    return None


def _lost(err: BaseException) -> bool:
    """Whether ``err`` from a future means the cluster went away (not the task's own error)."""
    from concurrent.futures import CancelledError

    names = {cls.__name__ for cls in type(err).__mro__}
    return (isinstance(err, CancelledError | OSError | TimeoutError)
            or bool(names & {"CommClosedError", "KilledWorker", "FutureCancelledError"}))


class DaskExecutor:
    """Tasks on a Dask cluster: an existing scheduler's address, or a client you made.

    Raises ``ClusterError`` (not distributed's own exceptions) when the address is malformed,
    the scheduler cannot be reached within ``timeout`` seconds, or it is lost mid-run.
    """

    def __init__(self, address: str | None = None, client: Any = None,
                 timeout: float = CONNECT_SECONDS) -> None:
        self.address = address or "the given client"
        if client is None:
            problem = dask_address_problem(address or "")
            if problem is not None:
                raise ClusterError(problem, before_run=True)
            try:
                from distributed import Client
            except ImportError:  # pragma: no cover - depends on the install
                raise ClusterError("--dask needs the optional extra: pip install '.[dask]'",
                                   before_run=True) from None
            try:
                client = Client(address, timeout=timeout)
            except (OSError, TimeoutError, ValueError) as err:
                raise ClusterError(f"cannot reach the Dask scheduler at {address} within "
                                   f"{timeout:g} s ({_first_line(err)}); is it running?",
                                   before_run=True) from None
            self._owned = True
        else:
            self._owned = False
        self.client = client

    def run(self, fn: Callable[..., Any], tasks: Sequence[tuple[Any, ...]]) -> Iterator[Any]:
        """Yield results as the cluster's workers finish them."""
        from distributed import as_completed as dask_completed

        if not tasks:
            return
        try:
            # pure=True: the seed is an explicit argument, so equal tasks really are equal.
            futures = self.client.map(fn, *zip(*tasks, strict=True), pure=True)
        except Exception as err:
            if _lost(err):
                raise self._lost_error(err) from None
            raise
        try:
            for future in dask_completed(futures):
                try:
                    result = future.result()
                except Exception as err:
                    if _lost(err):
                        raise self._lost_error(err) from None
                    raise
                yield result
        finally:
            for future in futures:
                with contextlib.suppress(Exception):  # a lost scheduler cannot release them
                    future.release()

    def _lost_error(self, err: BaseException) -> ClusterError:
        return ClusterError(f"lost the Dask scheduler at {self.address} during the run "
                            f"({_first_line(err)}); no results were written", before_run=False)

    def close(self) -> None:
        """Disconnect, if this executor opened the connection (quietly, if the scheduler is
        gone: distributed would otherwise retry for 30 s and log tracebacks)."""
        if self._owned:
            with contextlib.suppress(Exception):
                self.client.close(timeout=CONNECT_SECONDS)


def _first_line(err: BaseException) -> str:
    text = str(err).strip().splitlines()
    if text and "connection-lost" in text[0]:
        return "the connection to the scheduler was lost"
    return text[0] if text else type(err).__name__


def default_workers() -> int:
    """The number of cores this process may use."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # pragma: no cover - not on Linux
        return max(1, os.cpu_count() or 1)


def make_executor(workers: int | None, tasks: int, dask: str | None = None) -> Executor:
    """The executor for ``workers`` processes (None: every core) or a Dask scheduler address.

    A single task runs in-process: starting a pool would cost more than the task.
    """
    if dask is not None:
        return DaskExecutor(dask)
    n = default_workers() if workers is None else workers
    if n <= 1 or tasks <= 1:
        return SerialExecutor()
    return PoolExecutor(min(n, tasks))
