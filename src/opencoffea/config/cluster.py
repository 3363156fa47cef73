"""``execution.cluster:`` of the YAML file: dask workers as the jobs of a batch system.

The jobs are dask-jobqueue's (the optional extra ``pip install "opencoffea[cluster]"``):
:mod:`opencoffea.execution.clusters` makes its cluster from this model. The model's own
keys say what every batch system needs (cores, memory, wall time, how many jobs); any
other key is one of dask-jobqueue's, passed to its cluster class unchanged: which ones a
type takes is :data:`OPTIONS` (a test checks them against dask-jobqueue's signatures), so
a misspelt key is an error here, with its line, not a ``TypeError`` at submission.

Example:
    >>> spec = ClusterSpec(type="slurm", cores=4, memory="8GB", walltime="02:00:00", jobs=10,
    ...                    account="cms", job_extra_directives=["--constraint=el9"])
    >>> spec.options()
    {'cores': 4, 'memory': '8GB', 'walltime': '02:00:00', 'account': 'cms', \
'job_extra_directives': ['--constraint=el9']}

    A key that is no option of the type is an error of the file, with its line:

    >>> from opencoffea.config import parse_config
    >>> parse_config('''
    ... name: demo
    ... processor: analyses/dimuon.py:DimuonSpectrum
    ... datasets: {d: {files: [x.root], kind: data}}
    ... execution:
    ...   executor: dask
    ...   cluster: {type: slurm, cores: 4, memory: 8GB, jobs: 10, acount: cms}
    ... ''')  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    opencoffea.errors.ConfigError: <string>, line 7, execution.cluster.acount: unknown key \
'acount' for a slurm cluster (did you mean 'account'?); allowed here: type, cores, memory, ...
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import ConfigDict, Field, ValidationError, field_validator, model_validator
from pydantic_core import InitErrorDetails, PydanticCustomError

from ..util import choices
from .base import ConfigModel

__all__ = ["OPTIONS", "Adaptive", "ClusterSpec", "ClusterType"]

ClusterType = Literal["htcondor", "slurm", "pbs", "sge", "lsf"]
"""The batch systems: HTCondor, Slurm, PBS, (Son of) Grid Engine and LSF."""

# dask-jobqueue's options that every type takes: of each job (the worker command, the job
# script around it) and of the scheduler, which runs here. Left out: what the framework
# sets (the scheduler's address, the workers' names, the cluster's scale), what a YAML
# file cannot hold (a Security object, a scheduler class) and the deprecated spellings.
_COMMON = (
    "processes",
    "nanny",
    "interface",
    "death_timeout",
    "local_directory",
    "worker_command",
    "worker_extra_args",
    "job_extra_directives",
    "job_script_prologue",
    "job_directives_skip",
    "log_directory",
    "shebang",
    "python",
    "job_name",
    "config_name",
    "scheduler_options",
    "shared_temp_directory",
)

OPTIONS: dict[str, tuple[str, ...]] = {
    "htcondor": (*_COMMON, "disk", "submit_command_extra", "cancel_command_extra"),
    "slurm": (*_COMMON, "queue", "account", "job_cpu", "job_mem"),
    "pbs": (*_COMMON, "queue", "account", "resource_spec"),
    "sge": (*_COMMON, "queue", "project", "resource_spec"),
    "lsf": (*_COMMON, "queue", "project", "ncpus", "mem", "lsf_units", "use_stdin"),
}
"""The dask-jobqueue options each type takes beside the model's own keys, by type."""

# Options whose value dask-jobqueue reads as a list of strings (a command's arguments, the
# lines of a script); HTCondor's job_extra_directives are submit-file lines, a mapping.
_LISTS = (
    "worker_extra_args",
    "job_script_prologue",
    "job_directives_skip",
    "submit_command_extra",
    "cancel_command_extra",
)


class Adaptive(ConfigModel):
    """Between how many jobs dask may scale the cluster, as the work asks.

    Example:
        >>> Adaptive(maximum=50).minimum
        0
    """

    minimum: int = Field(default=0, ge=0, description="The jobs kept even when idle.")
    maximum: int = Field(gt=0, description="The jobs at most, while there is work for them.")

    @model_validator(mode="after")
    def _ordered(self) -> Adaptive:
        if self.minimum > self.maximum:
            raise ValueError(f"minimum ({self.minimum}) is above maximum ({self.maximum})")
        return self


class ClusterSpec(ConfigModel):
    """dask workers as batch jobs: the batch system, what one job asks for, and how many.

    Each job runs ``processes`` worker processes (default: one a core, one thread each:
    NanoEvents and numba hold the GIL) that share its ``memory``. Keys other than the
    fields are dask-jobqueue's, by type (:data:`OPTIONS`), passed on unchanged.

    Example:
        >>> spec = ClusterSpec(type="htcondor", cores=1, memory="2GB", disk="1GB",
        ...                    adaptive={"maximum": 100})
        >>> spec.adaptive.minimum, spec.options()["disk"]
        (0, '1GB')
    """

    model_config = ConfigDict(extra="allow")

    type: ClusterType = Field(description="The batch system.")
    cores: int = Field(
        gt=0, description="The cores of one job: its worker processes, one thread each."
    )
    memory: str = Field(
        description="The memory of one job, shared by its workers (``2GB``, ``4GiB``)."
    )
    walltime: str | None = Field(
        default=None,
        description="The longest a job may run, in the batch system's format, in quotes "
        "(``'02:00:00'``; LSF ``'02:00'``); default dask-jobqueue's, 30 minutes. HTCondor "
        "has none: ask for it in ``job_extra_directives`` (``+MaxRuntime``, ``+JobFlavour``).",
    )
    jobs: int | None = Field(
        default=None, gt=0, description="Submit this many jobs (or give ``adaptive``)."
    )
    adaptive: Adaptive | None = Field(
        default=None,
        description="Scale between ``minimum`` and ``maximum`` jobs as the work asks "
        "(or give ``jobs``).",
    )

    @field_validator("memory")
    @classmethod
    def _bytes(cls, value: str) -> str:
        from dask.utils import parse_bytes  # dask is only loaded where a cluster is configured

        try:
            parse_bytes(value)
        except ValueError:
            raise ValueError(f"{value!r} is not an amount of memory: write one like 2GB") from None
        return value

    @field_validator("walltime", mode="before")
    @classmethod
    def _quoted(cls, value: Any) -> Any:
        if isinstance(value, int):  # YAML 1.1 reads 2:00:00 as 7200 (base 60), not 02:00:00
            raise ValueError(
                "write the wall time in quotes ('02:00:00'): YAML reads it as a number"
            )
        return value

    @model_validator(mode="after")
    def _jobqueue_options(self) -> ClusterSpec:
        errors = []
        allowed = OPTIONS[self.type]
        for key, value in (self.model_extra or {}).items():
            if key not in allowed:
                fields = [name for name in type(self).model_fields]
                message = f"unknown key {key!r} for a {self.type} cluster" + choices(
                    key, fields + list(allowed), "allowed here"
                )
            else:
                message = _shape_problem(self.type, key, value)
            if message:
                errors.append(_error(message, (key,)))
        if self.type == "htcondor" and self.walltime is not None:
            errors.append(
                _error(
                    "HTCondor has no wall time: ask for it in job_extra_directives "
                    "(+MaxRuntime: 7200; on lxplus +JobFlavour: '\"workday\"')",
                    ("walltime",),
                )
            )
        if self.type == "htcondor" and "disk" not in (self.model_extra or {}):
            errors.append(_error("HTCondor needs the disk of a job: give disk (1GB, say)", ()))
        if (self.jobs is None) == (self.adaptive is None):
            errors.append(
                _error("give jobs (a number) or adaptive ({maximum: N}), one of them", ())
            )
        if errors:
            raise ValidationError.from_exception_data(type(self).__name__, errors)
        return self

    def options(self) -> dict[str, Any]:
        """The keyword arguments of dask-jobqueue's cluster class, as the file gives them."""
        given = self.model_dump(exclude={"type", "jobs", "adaptive"}, exclude_none=True)
        return {**given, **(self.model_extra or {})}


def _shape_problem(kind: str, key: str, value: Any) -> str:
    """What is wrong with the shape of a dask-jobqueue option's value, or ``""``."""
    strings = isinstance(value, list) and all(isinstance(v, str) for v in value)
    if key == "job_extra_directives" and kind == "htcondor":
        return "" if isinstance(value, dict) else "give HTCondor's submit lines as a mapping"
    if key == "job_extra_directives" or key in _LISTS:
        return "" if strings else "give a list of strings"
    if key == "scheduler_options" and not isinstance(value, dict):
        return "give a mapping of the scheduler's options"
    return ""


def _error(message: str, loc: tuple[str, ...]) -> InitErrorDetails:
    """One error at ``loc`` (under the cluster's mapping), read as the file's line and key."""
    return InitErrorDetails(type=PydanticCustomError("cluster", message), loc=loc, input=None)
