"""What runs tasks: this process, or a pool of processes (loky); dask's are :mod:`.daskworkers`'.

:mod:`.loop` drives every backend the same way: it submits a task, is told when it is
done, and asks the backend what became of it (:meth:`Backend.outcome`: its value, or
:class:`WorkerDied`). What differs between them stays in the backend:

- a pool whose worker process dies is broken for good (loky fails every task in flight
  with ``TerminatedWorkerError``): it is replaced, and the tasks run again on the new one;
- workers ignore SIGINT: a Ctrl-C in a terminal reaches every process of the foreground
  group, and only the driver should stop (and then stop its workers, at once).

Example:
    >>> backend = InProcess()
    >>> backend.outcome(backend.submit(abs, -3))
    3
"""

from __future__ import annotations

import abc
import contextlib
import gc
import importlib
import os
import re
import signal
import time
from collections.abc import Callable, Iterator
from concurrent.futures import Future
from typing import Any

import loky
from loky.process_executor import BrokenProcessPool

from .allocator import tune_allocator

__all__ = [
    "Backend",
    "InProcess",
    "Pool",
    "WorkerDied",
    "ignore_interrupt",
    "kept_from_collector",
    "warm",
]

# What a worker needs before its first chunk: the chunk function's module, and with it the
# whole framework. Named, not imported: this module is itself imported by that one.
_CHUNK_MODULE = __name__.rsplit(".", 1)[0] + ".processing"


class WorkerDied(Exception):
    """The worker process running a task died (killed, out of memory, a segfault).

    Example:
        >>> str(WorkerDied("worker process died (exit codes {SIGKILL(-9)})"))
        'worker process died (exit codes {SIGKILL(-9)})'
    """


class Backend(abc.ABC):
    """Runs tasks ``function(item)``; :mod:`.loop` decides what to submit and when.

    Example:
        >>> backend = InProcess()
        >>> backend.capacity(), backend.workers(), backend.describe()
        (1, 1, 'this process')
    """

    @abc.abstractmethod
    def submit(self, function: Callable[[Any], Any], item: Any) -> Any:
        """Start ``function(item)``; a future with ``add_done_callback``."""

    @abc.abstractmethod
    def outcome(self, future: Any) -> Any:
        """The value of a task that is done; :class:`WorkerDied` if its worker died."""

    @abc.abstractmethod
    def capacity(self) -> int:
        """How many tasks to keep in flight now (0: no worker to run them)."""

    def workers(self) -> int:
        """How many workers there are now."""
        return 1

    def cancel(self, futures: list[Any]) -> None:  # noqa: B027 - nothing to cancel in-process
        """Drop tasks that are no longer wanted."""

    def describe(self) -> str:
        """Where the tasks run, for messages."""
        return "this process"


class InProcess(Backend):
    """Each task runs in this process, when it is submitted.

    Example:
        >>> future = InProcess().submit(int, "x")  # what it raises, its future holds
        >>> type(future.exception()).__name__
        'ValueError'
    """

    def submit(self, function: Callable[[Any], Any], item: Any) -> Future[Any]:
        future: Future[Any] = Future()
        try:
            future.set_result(function(item))
        except Exception as err:
            future.set_exception(err)
        return future

    def outcome(self, future: Future[Any]) -> Any:
        return future.result()

    def capacity(self) -> int:
        return 1


class Pool(Backend):
    """A loky pool of ``size`` processes, replaced when one of its workers dies.

    Example:
        >>> pool = Pool(2)  # doctest: +SKIP
        >>> pool.outcome(pool.submit(abs, -3)), pool.capacity()  # doctest: +SKIP
        (3, 3)
        >>> pool.close(kill=False)  # doctest: +SKIP
    """

    def __init__(self, size: int) -> None:
        self.size = size
        self.pool = self._start()
        try:
            _start_pool(self.pool, size)
        except BaseException:  # Ctrl-C while the workers start: none is left behind
            self.close(kill=True)
            raise
        self._generation = 0
        self._of: dict[Any, int] = {}  # the pool (generation) each task went to

    def _start(self) -> Any:
        return loky.ProcessPoolExecutor(max_workers=self.size, initializer=ignore_interrupt)

    def _replace(self) -> None:
        self.pool.shutdown(wait=True, kill_workers=True)
        self.pool = self._start()
        self._generation += 1

    def submit(self, function: Callable[[Any], Any], item: Any) -> Any:
        try:
            future = self.pool.submit(function, item)
        except BrokenProcessPool:  # broken before the loop has seen its failed tasks
            self._replace()
            future = self.pool.submit(function, item)
        self._of[future] = self._generation
        return future

    def outcome(self, future: Any) -> Any:
        generation = self._of.pop(future, None)
        try:
            return future.result()
        except BrokenProcessPool as err:
            if generation == self._generation:  # the first of its failed tasks: replace it
                self._replace()
            codes = re.search(r"exit codes of the workers are (\{.*?\})", str(err))
            raise WorkerDied(
                "worker process died" + (f" (exit codes {codes[1]})" if codes else f": {err}")
            ) from None

    def capacity(self) -> int:
        # one running a worker, and one more: after a death, the tasks in flight run again
        # one by one (see the loop), so there should not be many
        return self.size + 1

    def workers(self) -> int:
        return self.size

    def cancel(self, futures: list[Any]) -> None:
        for future in futures:
            future.cancel()

    def describe(self) -> str:
        return f"a pool of {self.size} processes"

    def close(self, kill: bool) -> None:
        """Stop the pool: when its tasks are done, or at once (``kill``)."""
        self.pool.shutdown(wait=True, kill_workers=kill)


@contextlib.contextmanager
def kept_from_collector() -> Iterator[None]:
    """Leave the objects that exist now out of the garbage collector's full passes.

    A process that has imported opencoffea holds millions of objects (coffea, numba,
    scipy, pydantic), and each full pass of Python's cyclic collector walks them all:
    150 ms, every few chunks. They live as long as the run (modules, the processor), so
    they are frozen while chunks run in this process, and the passes walk only what the
    chunks make. A worker of ours freezes them once, in :func:`warm`.

    Example:
        >>> with kept_from_collector():
        ...     gc.get_freeze_count() > 0
        True
    """
    gc.freeze()
    try:
        yield
    finally:
        gc.unfreeze()


def _start_pool(pool: Any, workers: int) -> None:
    """Start every worker of a loky pool and import the framework in it.

    loky starts all its workers at the first task, but a worker that is ready takes task
    after task: so the tasks pause a little, and come back with their process's id, until
    every worker has answered.
    """
    answered: set[int] = set()
    while len(answered) < workers:
        answered |= {f.result() for f in [pool.submit(warm, 0.02) for _ in range(workers)]}


def warm(pause: float = 0.0) -> int:
    """Import what a chunk needs (once a process), pause, and tell the process's id.

    What the imports made lives as long as the worker, and is frozen out of the garbage
    collector's full passes (see :func:`kept_from_collector`); the C allocator is set for
    chunks (:func:`~.allocator.tune_allocator`).

    Example:
        >>> warm() == os.getpid()  # in a worker: the pool counts its processes so
        True
        >>> gc.unfreeze()  # (this process is not a worker)
    """
    importlib.import_module(_CHUNK_MODULE)
    tune_allocator()
    gc.freeze()
    time.sleep(pause)
    return os.getpid()


def ignore_interrupt(*_: Any) -> None:
    """In a worker: leave SIGINT to the driver, which stops the workers itself.

    Example:
        >>> before = signal.getsignal(signal.SIGINT)
        >>> ignore_interrupt()
        >>> signal.getsignal(signal.SIGINT) is signal.SIG_IGN
        True
        >>> _ = signal.signal(signal.SIGINT, before)  # (this process is not a worker)
    """
    signal.signal(signal.SIGINT, signal.SIG_IGN)
