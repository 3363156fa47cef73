"""dask clusters: of batch jobs (dask-jobqueue, from ``execution.cluster``), or on this machine.

A batch job runs dask's worker command, which knows nothing of this framework; so its
script is given what a local worker of :mod:`.daskworkers` has: the same dask
configuration (the malloc and profiler settings of ``_CLUSTER_CONFIG``), through the
variable by which dask hands configuration to processes it starts elsewhere
(``DASK_INTERNAL_INHERIT_CONFIG``, as distributed's SSH cluster does), and the
framework imported before the first chunk, by ``--preload`` of this module (its
:func:`dask_setup`): a worker that joins an hour later, when its job starts, is ready
too. The scheduler runs here; its dashboard on a free port of 127.0.0.1 (reached with
``ssh -L``), unless ``scheduler_options`` say otherwise.

Where a cluster's dashboard is, is logged (``logging``, logger ``opencoffea.execution.
clusters``, level INFO): the ``opencoffea`` command shows it on its terminal.

Example (the script of one job, printed without submitting it):
    >>> from opencoffea.config import ClusterSpec
    >>> spec = ClusterSpec(type="slurm", cores=4, memory="8GB", walltime="02:00:00", jobs=10)
    >>> print(job_script(spec))  # doctest: +ELLIPSIS
    #!/usr/bin/env bash
    <BLANKLINE>
    #SBATCH -J dask-worker
    #SBATCH -n 1
    #SBATCH --cpus-per-task=4
    #SBATCH --mem=8G
    #SBATCH -t 02:00:00
    export DASK_INTERNAL_INHERIT_CONFIG=...
    ... -m distributed.cli.dask_worker tcp://<scheduler>:8786 --name <worker> --nthreads 1 \
--memory-limit 1.86GiB --nworkers 4 ... --preload opencoffea.execution.clusters
    <BLANKLINE>
"""

from __future__ import annotations

import contextlib
import importlib
import logging
from collections.abc import Iterator
from typing import Any

from ..config import ClusterSpec
from ..errors import OpenCoffeaError
from .backends import warm
from .daskworkers import _CLUSTER_CONFIG

__all__ = ["cluster_client", "dask_setup", "job_script"]

_log = logging.getLogger(__name__)

# dask-jobqueue's class of each type, in its module.
_CLASSES = {
    "htcondor": "HTCondorCluster",
    "slurm": "SLURMCluster",
    "pbs": "PBSCluster",
    "sge": "SGECluster",
    "lsf": "LSFCluster",
}

# Options of the scheduler (it runs here), not of a job.
_SCHEDULER_OPTIONS = ("scheduler_options", "shared_temp_directory")

# What a printed job script has where a submitted one has the scheduler's address and the
# worker's name: they exist only once the cluster runs.
_SCHEDULER_PLACEHOLDER = "tcp://<scheduler>:8786"
_NAME_PLACEHOLDER = "<worker>"


@contextlib.contextmanager
def cluster_client(spec: ClusterSpec) -> Iterator[Any]:
    """A dask client of a cluster of batch jobs, submitted as ``spec`` says; removed after.

    The jobs are submitted (``spec.jobs``), or dask scales between ``spec.adaptive``'s
    minimum and maximum as the work asks; the client is yielded at once, and its tasks wait
    until the first worker has joined. Leaving the block cancels every job.
    """
    from distributed import Client

    cluster_class = getattr(_jobqueue(), _CLASSES[spec.type])
    with cluster_class(**_arguments(spec)) as cluster:
        if spec.adaptive is not None:
            cluster.adapt(minimum_jobs=spec.adaptive.minimum, maximum_jobs=spec.adaptive.maximum)
            jobs = f"between {spec.adaptive.minimum} and {spec.adaptive.maximum} jobs"
        else:
            cluster.scale(jobs=spec.jobs)
            jobs = f"{spec.jobs} job(s)"
        _log.info(
            "%s cluster of %s (%d cores, %s each): scheduler %s, dashboard %s",
            spec.type,
            jobs,
            spec.cores,
            spec.memory,
            cluster.scheduler_address,
            cluster.dashboard_link,
        )
        with Client(cluster) as client:
            yield client


def job_script(spec: ClusterSpec) -> str:
    """The script each job of ``spec`` is submitted with (its scheduler address a placeholder).

    Nothing is started or submitted: the script is made by dask-jobqueue's job class, as
    its cluster makes it for each job.
    """
    job_class = getattr(_jobqueue(), _CLASSES[spec.type]).job_cls
    options = {k: v for k, v in _arguments(spec).items() if k not in _SCHEDULER_OPTIONS}
    script: str = job_class(_SCHEDULER_PLACEHOLDER, name=_NAME_PLACEHOLDER, **options).job_script()
    return script


def dask_setup(worker: Any) -> None:
    """Import the framework in a batch worker as it starts (dask calls it: ``--preload``).

    Example (what the worker command of a job names):
        >>> dask_setup.__module__
        'opencoffea.execution.clusters'
    """
    warm()


def _arguments(spec: ClusterSpec) -> dict[str, Any]:
    """The keyword arguments of dask-jobqueue's cluster class: the file's, and ours added."""
    import dask.config

    given = spec.options()
    inherited = dask.config.serialize(_nested(_CLUSTER_CONFIG))
    return {
        **given,
        # one worker process a core, one thread each, unless the file says otherwise
        "processes": given.get("processes", spec.cores),
        "job_script_prologue": [
            *given.get("job_script_prologue", []),
            f"export DASK_INTERNAL_INHERIT_CONFIG={inherited}",
        ],
        "worker_extra_args": [*given.get("worker_extra_args", []), "--preload", __name__],
        "scheduler_options": {
            "dashboard_address": "127.0.0.1:0",
            **given.get("scheduler_options", {}),
        },
    }


def _nested(flat: dict[str, Any]) -> dict[str, Any]:
    """``{"a.b": 1}`` as ``{"a": {"b": 1}}``: the form dask serialises for other processes."""
    nested: dict[str, Any] = {}
    for key, value in flat.items():
        *parents, leaf = key.split(".")
        node = nested
        for part in parents:
            node = node.setdefault(part, {})
        node[leaf] = value
    return nested


def _jobqueue() -> Any:
    """dask-jobqueue, or an error that says how to install it."""
    try:
        return importlib.import_module("dask_jobqueue")
    except ImportError:
        raise OpenCoffeaError(
            'execution.cluster needs dask-jobqueue: pip install "opencoffea[cluster]"'
        ) from None
