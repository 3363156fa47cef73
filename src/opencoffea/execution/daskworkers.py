"""dask workers as a backend of the loop: a scheduler's (``--scheduler``), batch jobs'
(``execution.cluster``, :mod:`.clusters`) or a local cluster's.

dask fails a task whose worker died running it with ``KilledWorker``; a cluster started
here does so at the first death (``allowed-failures: 0``) so that the loop counts the
retries, and a worker that dies is started again by its nanny. The workers of a local
cluster ignore SIGINT (see :mod:`.backends`), and are killed at once when the run stops
early; a scheduler's workers are not ours: only our tasks are dropped.

Example:
    >>> from opencoffea.config import Execution
    >>> with dask_workers(Execution(executor="dask", workers=1)) as backend:  # doctest: +SKIP
    ...     backend.outcome(backend.submit(abs, -3))
    3
"""

from __future__ import annotations

import contextlib
import logging
import os
import signal
import time
import uuid
from collections.abc import Callable, Iterator
from typing import Any

from ..config import Execution
from ..errors import ClusterError, OpenCoffeaError
from .backends import Backend, WorkerDied, ignore_interrupt, warm

__all__ = ["Dask", "dask_workers"]

_log = logging.getLogger(__name__)

# The dask configuration of a local cluster, against distributed's defaults:
# - its nannies set distributed.nanny.pre-spawn-environ in a worker's environment by
#   setting it in their own, the driver's, where it stays. MALLOC_TRIM_THRESHOLD_ is
#   dropped from it: set at all, it turns off glibc's adaptive mmap threshold, so each
#   large array of a chunk is mapped and unmapped afresh (system time 5.7 s against 0.7 s
#   for 1M events of H → 4ℓ), for a gain (memory handed back sooner) that chunks, whose
#   arrays die with them, do not need;
# - the statistical profiler samples the stack of a worker's thread every 10 ms, for the
#   dashboard's profile page: it took 15 % of a worker's CPU, so that page stays empty;
# - a task whose worker dies fails at once (KilledWorker), for the loop to run it again
#   and count it, rather than after three deaths, uncounted.
_CLUSTER_CONFIG = {
    "distributed.nanny.pre-spawn-environ.MALLOC_TRIM_THRESHOLD_": None,
    "distributed.worker.profile.enabled": False,
    "distributed.scheduler.allowed-failures": 0,
}


class Dask(Backend):
    """The workers of a dask scheduler, however many there are now.

    Example:
        >>> from distributed import Client
        >>> with Client("tcp://127.0.0.1:8786") as client:  # doctest: +SKIP
        ...     workers = Dask(client, "tcp://127.0.0.1:8786")
        ...     workers.workers(), workers.capacity()  # two workers of one thread each
        (2, 4)
    """

    def __init__(self, client: Any, address: str | None = None) -> None:
        self.client = client
        self.address = address
        self._threads = (0.0, 0, 0)  # (when asked, workers, threads): asked at most once a second

    def _count(self) -> tuple[int, int]:
        asked, workers, threads = self._threads
        if time.monotonic() - asked > 1.0:
            try:
                nthreads = self.client.nthreads()
            except OSError as err:  # distributed's CommClosedError among them
                raise ClusterError(f"lost {self.describe()}: {err}") from None
            workers, threads = len(nthreads), sum(nthreads.values())
            self._threads = (time.monotonic(), workers, threads)
        return workers, threads

    def submit(self, function: Callable[[Any], Any], item: Any) -> Any:
        # a key that reads well in the scheduler's messages (chunk_function-…, scan_file-…)
        name = getattr(function, "__name__", type(function).__name__).strip("_")
        return self.client.submit(function, item, key=f"{name}-{uuid.uuid4().hex}")

    def outcome(self, future: Any) -> Any:
        from distributed import KilledWorker

        try:
            if future.status == "cancelled":
                raise ClusterError(f"lost {self.describe()}: a task was cancelled")
            if future.status == "error":
                error = future.exception()
                if isinstance(error, KilledWorker):
                    worker = getattr(error.last_worker, "address", "?")
                    self._threads = (0.0, 0, 0)  # the workers are not those counted
                    raise WorkerDied(f"dask worker {worker} died")
                raise error
            return future.result()
        finally:
            future.release()

    def capacity(self) -> int:
        return 2 * self._count()[1]

    def workers(self) -> int:
        return self._count()[0]

    def cancel(self, futures: list[Any]) -> None:
        self.client.cancel(futures)

    def describe(self) -> str:
        return f"the dask scheduler at {self.address}" if self.address else "dask workers"


@contextlib.contextmanager
def dask_workers(settings: Execution) -> Iterator[Dask]:
    """The workers of ``settings.scheduler``, of batch jobs (``settings.cluster``), or of a
    local cluster of ``settings.workers``.

    The tasks in flight when the block ends early are dropped by the loop; the workers of
    a local cluster are then killed at once, rather than waited for.
    """
    from distributed import Client

    if settings.scheduler:
        try:
            client = Client(settings.scheduler, timeout="30s")
        except OSError as err:
            raise OpenCoffeaError(
                f"cannot reach the dask scheduler at {settings.scheduler}: {err}"
            ) from None
        with client:
            yield Dask(client, settings.scheduler)
        return
    if settings.cluster is not None:
        from .clusters import cluster_client  # it imports this module: imported where used

        with cluster_client(settings.cluster) as client:  # leaving it cancels the jobs
            yield Dask(client, client.scheduler.address)
        return
    with _level_kept("distributed") as log, _local_cluster(settings.workers) as (cluster, client):
        client.register_plugin(_interrupt_ignored())  # also in a worker started again
        client.run(warm)
        try:
            yield Dask(client)
        except BaseException:
            log.setLevel(logging.CRITICAL)  # the run stops, not a worker: no warnings of it
            _kill_workers(cluster)
            raise


def _interrupt_ignored() -> Any:
    """A worker plugin: each worker, started now or later, leaves SIGINT to the driver."""
    from distributed import WorkerPlugin

    class InterruptIgnored(WorkerPlugin):
        idempotent = True

        def setup(self, worker: Any) -> None:
            ignore_interrupt()

    return InterruptIgnored()


@contextlib.contextmanager
def _level_kept(name: str) -> Iterator[logging.Logger]:
    """A logger whose level is put back as it was when the block ends."""
    logger = logging.getLogger(name)
    level = logger.level
    try:
        yield logger
    finally:
        logger.setLevel(level)


def _kill_workers(cluster: Any) -> None:
    """Kill a local cluster's worker processes at once, and keep their nannies from
    starting them again: closing the cluster would wait for the chunks they run."""
    for nanny in list(cluster.workers.values()):
        nanny.auto_restart = False
        process = getattr(getattr(nanny, "process", None), "process", None)
        if process is not None and process.pid is not None:
            with contextlib.suppress(ProcessLookupError):
                os.kill(process.pid, signal.SIGKILL)


@contextlib.contextmanager
def _local_cluster(workers: int) -> Iterator[tuple[Any, Any]]:
    """A dask cluster of ``workers`` processes on this machine, and its client.

    Workers are processes with one thread each: NanoEvents and numba hold the GIL. The
    dashboard takes a free port of 127.0.0.1 (dask's own 8787 may be another cluster's,
    and dask warns then) and its link is logged. The variables the nannies put into
    ``os.environ`` on the way are taken out again.
    """
    import dask
    from distributed import Client, LocalCluster

    with (
        _environment_kept(),
        dask.config.set(_CLUSTER_CONFIG),
        LocalCluster(
            n_workers=workers,
            threads_per_worker=1,
            processes=True,
            host="127.0.0.1",
            dashboard_address="127.0.0.1:0",
        ) as cluster,
        Client(cluster) as client,
    ):
        _log.info("dask dashboard: %s", cluster.dashboard_link)
        yield cluster, client


@contextlib.contextmanager
def _environment_kept() -> Iterator[None]:
    """Put ``os.environ`` back as it was: what was added removed, what was changed restored.

    Later process pools of the same driver inherit it: a futures run after a dask run must
    not get the dask workers' settings.
    """
    saved = dict(os.environ)
    try:
        yield
    finally:
        for name in set(os.environ) - set(saved):
            del os.environ[name]
        for name, value in saved.items():
            if os.environ.get(name) != value:
                os.environ[name] = value
