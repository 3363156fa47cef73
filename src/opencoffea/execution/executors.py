"""coffea's executors, configured: iterative, futures (one process pool) or dask.

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
from collections.abc import Callable, Iterator
from typing import Any

import loky
from coffea.processor import DaskExecutor, FuturesExecutor, IterativeExecutor

from ..config import Execution
from ..errors import OpenCoffeaError

__all__ = ["call", "executors"]


@contextlib.contextmanager
def executors(settings: Execution, status: bool) -> Iterator[Callable[[str, str], Any]]:
    """Yield a factory ``make(description, unit)`` of configured coffea executors.

    A process pool or a dask client lives as long as the factory, so the pre-pass and the
    event loop share the workers.
    """
    if settings.executor == "iterative":
        yield lambda desc, unit: IterativeExecutor(status=status, desc=desc, unit=unit)
    elif settings.executor == "futures":
        # One pool for the pre-pass and the event loop: starting workers (importing coffea,
        # compiling numba kernels) costs seconds, and each executor call would start its own.
        with loky.ProcessPoolExecutor(max_workers=settings.workers) as pool:
            yield lambda desc, unit: FuturesExecutor(
                status=status, desc=desc, unit=unit, workers=settings.workers, pool=pool
            )
    else:
        with _dask_client(settings) as client:
            yield lambda desc, unit: DaskExecutor(
                client=client, status=status, desc=desc, unit=unit, retries=0
            )


@contextlib.contextmanager
def _dask_client(settings: Execution) -> Iterator[Any]:
    from distributed import Client, LocalCluster

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
    # Workers are processes with one thread each: NanoEvents and numba hold the GIL.
    with (
        LocalCluster(
            n_workers=settings.workers,
            threads_per_worker=1,
            processes=True,
            host="127.0.0.1",
            dashboard_address=None,
        ) as cluster,
        Client(cluster) as client,
    ):
        yield client


def call(executor: Any, items: list[Any], function: Callable[[Any], Any], empty: Any) -> Any:
    """Run ``function`` on every item and add up the results (executors differ on 0 items)."""
    if not items:
        return empty
    result, _ = executor(items, function, empty)
    return result
