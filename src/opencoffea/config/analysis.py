"""The whole YAML file of an analysis (:class:`AnalysisConfig`) and its ``execution:``.

The sections are models of their own (``datasets``, ``histograms``, ``plots``,
``corrections``, ``normalisation``, ``inference``, ``hepdata``); what needs the whole file
to be checked is in :mod:`opencoffea.config.checks`.

Example:
    >>> config = AnalysisConfig(name="demo", processor="analyses/dimuon.py:DimuonSpectrum",
    ...                         datasets={"Data": {"files": ["data.root"], "kind": "data"}})
    >>> config.group_of("Data"), config.output_dir().as_posix()
    ('Data', 'results/demo')
"""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import Field, PrivateAttr, model_validator

from .base import ConfigModel, Name
from .cluster import ClusterSpec
from .corrections import Corrections
from .datasets import Dataset
from .histograms import Histogram
from .inference import HEPDataConfig, Inference, Normalisation
from .plots import Plot, Yields

__all__ = ["AnalysisConfig", "Execution"]


class Execution(ConfigModel):
    """How to run: executor, workers, chunking.

    Example:
        >>> Execution(executor="futures", workers=4).chunksize
        100000
    """

    executor: Literal["iterative", "futures", "dask"] = Field(
        default="iterative",
        description="One process, a pool of processes (futures), or dask.distributed.",
    )
    workers: int = Field(default=1, gt=0, description="The number of processes or dask workers.")
    scheduler: str | None = Field(
        default=None, description="The address of a running dask scheduler (``tcp://...``)."
    )
    chunksize: int = Field(default=100_000, gt=0, description="The events of one chunk.")
    max_chunks: int | None = Field(
        default=None, gt=0, description="Process this many chunks only (a first look)."
    )
    retries: int = Field(
        default=3,
        ge=0,
        description="How often a chunk is tried again: after a read error that passes (HTTP "
        "5xx, a dropped connection, a timeout; with back-off) and after its worker process "
        "died. Then it is recorded as failed.",
    )
    worker_timeout: float = Field(
        default=60,
        gt=0,
        description="Seconds to wait while the dask scheduler has no workers (none yet, all "
        "gone, or batch jobs still in their queue) before the run stops with an error.",
    )
    cluster: ClusterSpec | None = Field(
        default=None,
        description="dask workers as batch jobs (dask-jobqueue): the dask executor starts "
        "them, instead of a local cluster or a ``scheduler``.",
    )

    @model_validator(mode="after")
    def _scheduler_needs_dask(self) -> Execution:
        if self.scheduler is not None and self.executor != "dask":
            raise ValueError("'scheduler' is only used by the dask executor")
        return self

    @model_validator(mode="after")
    def _cluster_needs_dask(self) -> Execution:
        if self.cluster is not None and self.executor != "dask":
            raise ValueError("'cluster' is only used by the dask executor")
        if self.cluster is not None and self.scheduler is not None:
            raise ValueError("give 'cluster' (workers started as jobs) or 'scheduler', not both")
        return self


class AnalysisConfig(ConfigModel):
    """The whole YAML file of one analysis.

    Example:
        >>> config = AnalysisConfig(name="demo", datasets={"H": {"read": {"m4l": "h"},
        ...     "files": ["h.root"], "kind": "mc", "xsec": 1.0, "sumw": 10.0}})
        >>> config.event_datasets()  # its histograms are pre-made
        []
    """

    name: Name = Field(
        description="The analysis's name (letters, digits, '_', '-', '.'); results go to "
        "``results/<name>`` by default.",
    )
    processor: str | None = Field(
        default=None,
        pattern=r"^[^:]+:[A-Za-z_][A-Za-z0-9_]*$",
        description="The Processor subclass, ``file.py:Class`` (relative to this file) or "
        "``module:Class``; needed to run datasets with events, unless the class is given to "
        "``opencoffea.run(config, processor)``.",
    )
    luminosity: float | None = Field(
        default=None,
        gt=0,
        allow_inf_nan=False,
        description="The integrated luminosity of the data, in pb^-1.",
    )
    portal: str | None = Field(
        default=None,
        description="The CERN Open Data portal's address for ``record:`` datasets "
        "(default: $OPENCOFFEA_PORTAL or the CERN one).",
    )
    protocol: Literal["https", "root"] = Field(
        default="https",
        description="How record files are read: HTTPS from the portal's server (needs nothing "
        "more than uproot), or XRootD from eospublic (needs the fsspec-xrootd extra).",
    )
    datasets: dict[Name, Dataset] = Field(
        min_length=1, description="The datasets, by name (letters, digits, '_', '-', '.')."
    )
    histograms: dict[Name, Histogram] = Field(
        default_factory=dict, description="The histograms to book, by name."
    )
    plots: dict[Name, Plot] = Field(
        default_factory=dict,
        description="The figures to draw, by name (a histogram's, say): ``plots/<name>.png``.",
    )
    execution: Execution = Field(default_factory=Execution, description="How to run.")
    output: str | None = Field(
        default=None,
        description="The result directory (default ``results/<name>``, from where it runs).",
    )
    yields: Yields | None = Field(default=None, description="The yields table.")
    era: str | None = Field(
        default=None,
        description="The data-taking era of the payload manifest (``2016postVFP_UL``): the "
        "corrections not given are the era's.",
    )
    corrections: Corrections | None = Field(
        default=None, description="What to correct, from which payloads."
    )
    systematics: list[str] = Field(
        default_factory=list,
        description="The variations to produce: jes, jer, unclustered, pileup, egamma, and the "
        "names of ``corrections.scale_factors``.",
    )
    normalisation: Normalisation | None = Field(
        default=None,
        description="Uncertainties on the rate only (luminosity, cross sections): in the "
        "plots' bands and the statistical model.",
    )
    inference: Inference | None = Field(
        default=None,
        description="The statistical model of ``opencoffea export datacard|pyhf`` and ``fit``.",
    )
    hepdata: HEPDataConfig | None = Field(
        default=None, description="What ``opencoffea export hepdata`` records with the plots."
    )
    source: Path | None = Field(
        default=None,
        exclude=True,
        description="Set by the loader, not by the file: where the file was, to resolve "
        "relative paths.",
    )
    # The line of each key path of the YAML file, set by the loader: for the mistakes found
    # only later (a file's content against its dataset's kind), with file and line too.
    _lines: dict[tuple, int] = PrivateAttr(default_factory=dict)

    def locate(self, path: tuple, message: str) -> str:
        """``file, line N, key.path: message``, for a mistake found after loading.

        A configuration made without a file has no lines to tell: ``key.path: message``.

        Example:
            >>> from opencoffea.config import load_config
            >>> config = load_config("configs/dimuon_demo.yaml")
            >>> config.locate(("datasets", "DoubleMuon", "kind"), "is data")  # doctest: +ELLIPSIS
            '.../configs/dimuon_demo.yaml, line 11, datasets.DoubleMuon.kind: is data'
            >>> AnalysisConfig.model_validate(config.model_dump()).locate(("name",), "x")
            'name: x'
        """
        if not self._lines:
            return f"{'.'.join(map(str, path))}: {message}"
        from .messages import located  # which reads the models of this module

        return located(str(self.source or "<string>"), self._lines, path, message)

    def event_datasets(self) -> list[str]:
        """The datasets whose input is events (not pre-made histograms)."""
        return [name for name, d in self.datasets.items() if d.read is None]

    def base_dir(self) -> Path:
        """The directory relative input paths are resolved against (the YAML file's).

        Example:
            >>> from opencoffea.config import load_config
            >>> load_config("configs/dimuon_demo.yaml").base_dir() == Path("configs").resolve()
            True
        """
        return self.source.parent if self.source is not None else Path.cwd()

    def resolve(self, path: str) -> Path:
        """An input path from the file, made absolute (URLs are left to the caller).

        Example:
            >>> from opencoffea.config import load_config
            >>> config = load_config("configs/dimuon_demo.yaml")  # processor: ../analyses/...
            >>> config.resolve("../analyses/dimuon.py") == Path("analyses/dimuon.py").resolve()
            True
        """
        p = Path(path).expanduser()
        return p if p.is_absolute() else (self.base_dir() / p).resolve()

    def group_of(self, dataset: str) -> str:
        """The plot group of a dataset (its own name when it has none)."""
        return self.datasets[dataset].group or dataset

    def output_dir(self) -> Path:
        """Where the results of this analysis go (``results/<name>`` by default)."""
        return Path(self.output) if self.output else Path("results") / self.name
