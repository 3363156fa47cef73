"""The backend of a run's ``execution:``, started, and stopped when the run ends.

``iterative`` runs the chunks in this process, ``futures`` on a pool of processes and
``dask`` on dask workers (:mod:`.backends`, :mod:`.daskworkers`). A pool or a local dask
cluster is started, and the framework imported in each of its workers, before the backend
is handed out: importing opencoffea (coffea, numba, uproot) takes seconds, and a run
counts starting workers as set-up, not as its processing time.

Example:
    >>> from opencoffea.config import Execution
    >>> with executors(Execution(executor="iterative")) as backend:
    ...     backend.outcome(backend.submit(abs, -3))
    3
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator

from ..config import Execution
from .allocator import tune_allocator
from .backends import Backend, InProcess, Pool, kept_from_collector
from .daskworkers import dask_workers

__all__ = ["executors"]


@contextlib.contextmanager
def executors(settings: Execution) -> Iterator[Backend]:
    """The backend of ``settings.executor``, started, and stopped when the block ends.

    A process pool or a dask client lives as long as the block, so the pre-pass and the
    event loop share the workers. A block left by an error (Ctrl-C among them) stops its
    workers at once, without waiting for the tasks they run. The driver's ``os.environ``
    is the same afterwards as before, whatever the executor.
    """
    if settings.executor == "iterative":
        tune_allocator()
        with kept_from_collector():
            yield InProcess()
    elif settings.executor == "futures":
        # One pool for the pre-pass and the event loop: each executor call would start its own.
        pool = Pool(settings.workers)
        try:
            yield pool
        except BaseException:
            pool.close(kill=True)
            raise
        pool.close(kill=False)
    else:
        with dask_workers(settings) as backend:
            yield backend
