"""The driver's loop: tasks to workers, each result taken as it completes, deaths survived.

coffea's executors take every chunk at once and give back only the merged total: the first
broken pool or ``KilledWorker`` ends the run, and nothing is known of the chunks done by
then. This loop gives a :class:`~.executors.Backend` a few tasks at a time, hands each
result to its caller in the driver as soon as it is done (to add up, and to keep), and
survives what a long run meets:

- a worker process that dies: the tasks it had run again on a live worker. Tasks in
  flight together fail together (a broken loky pool fails them all; a dying dask worker
  holds two), so they run again *alone*, one at a time: a death is then pinned on its
  task, and a task whose worker died ``retries + 1`` times running it alone is given up
  (:class:`Crashed`) while the others go on;
- a dask scheduler without workers (none yet, or all gone): the loop waits and says so,
  and after ``worker_timeout`` seconds stops with a :class:`~opencoffea.errors.ClusterError`;
  workers that join are used as they come;
- Ctrl-C: ``KeyboardInterrupt`` leaves the loop at once, the tasks in flight dropped; the
  backend's block (:func:`~.executors.executors`) then kills the workers.

Example:
    >>> from opencoffea.config import Execution
    >>> from opencoffea.execution.executors import executors
    >>> with executors(Execution(executor="iterative")) as backend:
    ...     loop = Loop(backend, "Measuring", "number", status=False)
    ...     sum(value for _, value in loop.results([-1, 2, -3], abs))
    6
"""

from __future__ import annotations

import queue
import time
from collections import Counter, deque
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from typing import Any

from ..errors import ClusterError, OpenCoffeaError
from .backends import Backend, WorkerDied
from .progress import Progress

__all__ = ["Crashed", "Loop", "Raised"]

_POLL = 0.25  # seconds between looks at the workers while no task completes


@dataclass(frozen=True)
class Crashed:
    """A task given up: its worker process died each of the ``runs`` times it ran it alone.

    Example:
        >>> Crashed("worker process died (exit codes {SIGKILL(-9)})", 2).runs
        2
    """

    reason: str
    runs: int


@dataclass(frozen=True)
class Raised:
    """A task that raised instead of returning (a worker that could not run it at all).

    Example:
        >>> Raised(ModuleNotFoundError("No module named 'mylib'")).error
        ModuleNotFoundError("No module named 'mylib'")
    """

    error: BaseException


class Loop:
    """Runs tasks on ``backend`` under a progress bar of ``description`` and ``unit``.

    ``retries`` bounds the deaths of a task (see the module); ``worker_timeout`` is the
    seconds to wait while there is no worker. ``retried`` lists each time an item ran
    again, and why (:meth:`note_retry` adds to it; the chunk function's own retries of a
    read are added by its caller).
    """

    def __init__(
        self,
        backend: Backend,
        description: str,
        unit: str,
        *,
        status: bool = True,
        retries: int = 3,
        worker_timeout: float = 60.0,
    ) -> None:
        self.backend = backend
        self.description = description
        self.unit = unit
        self.status = status
        self.retries = retries
        self.worker_timeout = worker_timeout
        self.retried: list[tuple[Any, str]] = []
        self.done = 0
        self.total = 0

    def note_retry(self, item: Any, reason: str) -> None:
        """Record that ``item`` ran again, and why.

        Example:
            >>> from opencoffea.execution.backends import InProcess
            >>> loop = Loop(InProcess(), "Processing", "chunk", status=False)
            >>> loop.note_retry("chunk 3", "ClientResponseError: 503, Service Unavailable")
            >>> loop.retried
            [('chunk 3', 'ClientResponseError: 503, Service Unavailable')]
        """
        self.retried.append((item, reason))

    def results(
        self, items: Iterable[Any], function: Callable[[Any], Any]
    ) -> Iterator[tuple[Any, Any]]:
        """``(item, value)`` of each item as it completes, in no set order.

        ``value`` is what ``function`` returned, or :class:`Crashed` or :class:`Raised`.

        Example:
            >>> from opencoffea.execution.backends import InProcess
            >>> loop = Loop(InProcess(), "Converting", "text", status=False)
            >>> [value for _, value in loop.results(["1", "x"], int)]
            [1, Raised(error=ValueError("invalid literal for int() with base 10: 'x'"))]
        """
        items = list(items)
        self.total, self.done = len(items), 0
        waiting = deque(range(len(items)))
        alone: deque[int] = deque()  # in flight when a worker died: to run one at a time
        deaths: Counter[int] = Counter()  # deaths while running alone
        flight: dict[Any, tuple[int, bool]] = {}  # future: (index, running alone)
        completed: queue.SimpleQueue[Any] = queue.SimpleQueue()
        without_workers: float | None = None  # since when there has been no worker

        def submit(index: int, isolated: bool) -> None:
            future = self.backend.submit(function, items[index])
            flight[future] = (index, isolated)
            future.add_done_callback(completed.put)

        with Progress(self.description, self.unit, len(items), self.status) as bar:
            try:
                while waiting or alone or flight:
                    if alone:
                        if not flight:
                            submit(alone.popleft(), True)
                    else:
                        while waiting and len(flight) < self.backend.capacity():
                            submit(waiting.popleft(), False)
                    try:
                        future = completed.get(timeout=_POLL)
                    except queue.Empty:
                        without_workers = self._check_workers(bar, without_workers)
                        continue
                    index, isolated = flight.pop(future)
                    try:
                        value = self.backend.outcome(future)
                    except WorkerDied as died:
                        if isolated:
                            deaths[index] += 1
                        if deaths[index] > self.retries:
                            value = Crashed(str(died), deaths[index])
                        else:
                            self.note_retry(items[index], str(died))
                            alone.append(index)
                            bar.note(f"{died}: {self.unit} {index + 1} runs again")
                            continue
                    except OpenCoffeaError:
                        raise
                    except Exception as err:
                        value = Raised(err)
                    self.done += 1
                    bar.advance()
                    yield items[index], value
            finally:
                self.backend.cancel(list(flight))

    def _check_workers(self, bar: Progress, since: float | None) -> float | None:
        """Since when there has been no worker (None: there is one); stop past the timeout."""
        if self.backend.workers() > 0:
            if since is not None:
                bar.note(f"{self.backend.workers()} worker(s) joined")
            return None
        now = time.monotonic()
        if since is None:
            bar.note(
                f"waiting for workers: {self.backend.describe()} has none "
                f"(the run stops after {self.worker_timeout:g} s without; execution: "
                "worker_timeout)"
            )
            return now
        if now - since > self.worker_timeout:
            raise ClusterError(
                f"no workers at {self.backend.describe()} for {self.worker_timeout:g} s "
                f"({self.done} of {self.total} {self.unit}s done): start workers, or give "
                "a longer execution: worker_timeout"
            )
        return since
