"""coffea's executors, configured: iterative, futures (one process pool) or dask.

A pool or a local dask cluster is started, and the framework imported in each of its
workers, before the factory is handed out: importing opencoffea (coffea, numba, uproot)
takes seconds, and a run counts starting workers as set-up, not as its processing time.

Example (coffea draws its progress bar whatever ``status``; the run silences it so):
    >>> import contextlib, io
    >>> from opencoffea.config import Execution
    >>> quiet = contextlib.redirect_stdout(io.StringIO())
    >>> with quiet, executors(Execution(executor="iterative"), status=False) as make:
    ...     total = call(make("Squaring", "number"), [1, 2, 3], lambda x: x * x, 0)
    >>> total
    14
"""

from __future__ import annotations

import contextlib
import gc
import importlib
import os
import time
from collections.abc import Callable, Iterator
from typing import Any

import loky
from coffea.processor import DaskExecutor, FuturesExecutor, IterativeExecutor

from ..config import Execution
from ..errors import OpenCoffeaError

__all__ = ["call", "executors"]

# What a worker needs before its first chunk: the chunk function's module, and with it the
# whole framework. Named, not imported: this module is itself imported by that one.
_CHUNK_MODULE = __name__.rsplit(".", 1)[0] + ".processing"

# The dask configuration of a local cluster's workers, against distributed's defaults:
# - its nannies set distributed.nanny.pre-spawn-environ in a worker's environment by
#   setting it in their own, the driver's, where it stays. MALLOC_TRIM_THRESHOLD_ is
#   dropped from it: set at all, it turns off glibc's adaptive mmap threshold, so each
#   large array of a chunk is mapped and unmapped afresh (system time 5.7 s against 0.7 s
#   for 1M events of H → 4ℓ), for a gain (memory handed back sooner) that chunks, whose
#   arrays die with them, do not need;
# - the statistical profiler samples the stack of a worker's thread every 10 ms, for the
#   dashboard, which a local cluster here has not: it took 15 % of a worker's CPU.
_CLUSTER_CONFIG = {
    "distributed.nanny.pre-spawn-environ.MALLOC_TRIM_THRESHOLD_": None,
    "distributed.worker.profile.enabled": False,
}


@contextlib.contextmanager
def executors(settings: Execution, status: bool) -> Iterator[Callable[[str, str], Any]]:
    """Yield a factory ``make(description, unit)`` of configured coffea executors.

    A process pool or a dask client lives as long as the factory, so the pre-pass and the
    event loop share the workers; they are started, and have imported the framework,
    before the factory is yielded. The driver's ``os.environ`` is the same afterwards as
    before, whatever the executor.
    """
    if settings.executor == "iterative":
        with _set_up_kept_from_collector():
            yield lambda desc, unit: IterativeExecutor(status=status, desc=desc, unit=unit)
    elif settings.executor == "futures":
        # One pool for the pre-pass and the event loop: each executor call would start its own.
        with loky.ProcessPoolExecutor(max_workers=settings.workers) as pool:
            _start_pool(pool, settings.workers)
            yield lambda desc, unit: FuturesExecutor(
                status=status, desc=desc, unit=unit, workers=settings.workers, pool=pool
            )
    else:
        with _dask_client(settings) as client:
            yield lambda desc, unit: DaskExecutor(
                client=client, status=status, desc=desc, unit=unit, retries=0
            )


@contextlib.contextmanager
def _set_up_kept_from_collector() -> Iterator[None]:
    """Leave the objects that exist now out of the garbage collector's full passes.

    A process that has imported opencoffea holds millions of objects (coffea, numba,
    scipy, pydantic), and each full pass of Python's cyclic collector walks them all:
    150 ms, every few chunks. They live as long as the run (modules, the processor), so
    they are frozen while chunks run in this process, and the passes walk only what the
    chunks make. A worker of ours freezes them once, in :func:`_warm`.
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
        answered |= {f.result() for f in [pool.submit(_warm, 0.02) for _ in range(workers)]}


def _warm(pause: float = 0.0) -> int:
    """Import what a chunk needs (once a process), pause, and tell the process's id.

    What the imports made lives as long as the worker, and is frozen out of the garbage
    collector's full passes (see :func:`_set_up_kept_from_collector`).
    """
    importlib.import_module(_CHUNK_MODULE)
    gc.freeze()
    time.sleep(pause)
    return os.getpid()


@contextlib.contextmanager
def _dask_client(settings: Execution) -> Iterator[Any]:
    # coffea's DaskExecutor imports dask.dataframe (and pandas) at each call: the first
    # import, 0.4 s, is the driver's set-up, not the pre-pass's time
    import dask.dataframe  # noqa: F401
    from distributed import Client

    if settings.scheduler:
        try:
            client = Client(settings.scheduler, timeout="30s")
        except OSError as err:
            raise OpenCoffeaError(
                f"cannot reach the dask scheduler at {settings.scheduler}: {err}"
            ) from None
        with client:
            yield client
        return
    from .clusters import cluster_client  # it imports this module: imported where used

    with (
        cluster_client(settings.cluster) if settings.cluster else _local_cluster(settings.workers)
    ) as client:
        client.run(_warm)
        yield client


@contextlib.contextmanager
def _local_cluster(workers: int) -> Iterator[Any]:
    """A client of a dask cluster of ``workers`` processes on this machine.

    Workers are processes with one thread each: NanoEvents and numba hold the GIL. The
    variables the nannies put into ``os.environ`` on the way are taken out again.
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
            dashboard_address=None,
        ) as cluster,
        Client(cluster) as client,
    ):
        yield client


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


def call(executor: Any, items: list[Any], function: Callable[[Any], Any], empty: Any) -> Any:
    """Run ``function`` on every item and add up the results (executors differ on 0 items)."""
    if not items:
        return empty
    result, _ = executor(items, function, empty)
    return result
