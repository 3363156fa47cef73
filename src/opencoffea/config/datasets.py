"""``datasets:`` of the YAML file: where each dataset's events are, and how to normalise it.

A dataset's source is exactly one of ``files:`` (paths or globs, relative to the YAML
file), ``record:`` (a CERN Open Data portal record) or ``generate:`` (a synthetic sample);
``read:`` takes pre-made histograms from its files instead of events.

Example:
    >>> Dataset(record=12361, kind="mc", xsec=0.0065, group="m_H = 125 GeV").scale
    1.0
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import Field, field_validator, model_validator

from ..util import choices
from .base import ConfigModel

__all__ = ["Dataset", "GeneratedSample", "PortalRef"]


class PortalRef(ConfigModel):
    """A file or record on the CERN Open Data portal, e.g. ``{record: 14220}``.

    Example:
        >>> PortalRef(record=14220).record
        14220
    """

    record: int = Field(gt=0, description="The record number on the CERN Open Data portal.")


class GeneratedSample(ConfigModel):
    """A synthetic sample the framework writes itself (see :mod:`opencoffea.samples`).

    ``{process: dy_mumu, events: 100000, seed: 1}``: generated once into the cache and reused.

    Example:
        >>> GeneratedSample(process="dy_mumu", events=1000).format
        'nanoaod'
    """

    process: str = Field(description="The process to generate (``dy_mumu``, ``ttbar``, ...).")
    events: int = Field(gt=0, description="The number of events.")
    seed: int = Field(default=0, ge=0, description="The random seed: the same seed, the same file.")
    format: Literal["nanoaod", "outreach"] = Field(
        default="nanoaod", description="NanoAOD branches, or those of the outreach files."
    )
    compression: Literal["lzma", "zstd", "lz4", "zlib", "none"] = Field(
        default="lzma", description="The ROOT compression of the files written."
    )
    files: int = Field(default=1, gt=0, description="The number of files the events are split in.")

    @field_validator("process")
    @classmethod
    def _known(cls, process: str) -> str:
        from ..samples import PROCESSES

        if process not in PROCESSES:
            raise ValueError(
                f"unknown process {process!r}" + choices(process, PROCESSES, "allowed")
            )
        return process


class Dataset(ConfigModel):
    """One dataset: where its files are, whether it is data or simulation, how to normalise it.

    Example:
        >>> Dataset(files="data/*.root", kind="data").files
        ['data/*.root']
    """

    files: list[str] | None = Field(
        default=None,
        description="Paths or globs of its ROOT files (relative to the YAML file), or URLs.",
    )
    record: int | None = Field(
        default=None, gt=0, description="A CERN Open Data portal record whose files it is."
    )
    generate: GeneratedSample | list[GeneratedSample] | None = Field(
        default=None,
        description="A synthetic sample, or several whose files together make the dataset "
        "(a mixture).",
    )
    treename: str | None = Field(
        default=None, description="The tree of events, where the files do not tell."
    )
    kind: Literal["data", "mc"] = Field(description="Collision data, or simulation (mc).")
    xsec: float | None = Field(
        default=None,
        gt=0,
        allow_inf_nan=False,
        description="The cross section of simulation, in pb.",
    )
    scale: float = Field(
        default=1.0,
        gt=0,
        allow_inf_nan=False,
        description="A factor on the normalisation of simulation (a k-factor).",
    )
    group: str | None = Field(
        default=None, description="The group it is drawn in on plots (default: its own name)."
    )
    era: str | None = Field(
        default=None, description="Its data-taking era, handed to the processor as metadata."
    )
    lumimask: str | PortalRef | Literal[False] | None = Field(
        default=None,
        description="A golden JSON of data (a path, or ``{record: N}`` on the portal); "
        "``false``: none, even if the record names one.",
    )
    metadata: dict[str, Any] = Field(
        default_factory=dict, description="Anything the processor reads of the dataset."
    )
    read: dict[str, str | dict[str, dict[str, str]]] | None = Field(
        default=None,
        description="Pre-made histograms instead of events: histogram → path in the files, or "
        "histogram → {category axis → {value → path}} (see opencoffea.datasets.premade).",
    )
    sumw: float | None = Field(
        default=None,
        gt=0,
        allow_inf_nan=False,
        description="The Σw to normalise with, where the files cannot tell (pre-made "
        "histograms: the number of generated events); otherwise Σ genEventSumw of the Runs "
        "trees.",
    )
    luminosity: float | None = Field(
        default=None,
        gt=0,
        allow_inf_nan=False,
        description="The luminosity in pb^-1, if not the analysis's.",
    )
    pick: list[str] | None = Field(
        default=None, description="File-name globs selecting some files of a ``record``."
    )

    @field_validator("files", mode="before")
    @classmethod
    def _one_file_is_a_list(cls, files: Any) -> Any:
        return [files] if isinstance(files, str) else files

    @model_validator(mode="after")
    def _consistent(self) -> Dataset:
        sources = [s for s in ("files", "record", "generate") if getattr(self, s) is not None]
        if len(sources) != 1:
            raise ValueError(
                "give exactly one source: 'files' (paths or globs), 'record' (a CERN Open "
                "Data portal record) or 'generate' (a synthetic sample); "
                f"given: {', '.join(sources) or 'none'}"
            )
        if self.pick is not None and self.record is None:
            raise ValueError("'pick' selects files of a 'record'; list 'files' directly instead")
        if self.read is not None and self.generate is not None:
            raise ValueError("'read' takes histograms from files; a generated sample has events")
        if self.kind == "data":
            for key in ("xsec", "sumw", "luminosity"):
                if getattr(self, key) is not None:
                    raise ValueError(f"'{key}' is for simulation; data is never scaled")
            if self.scale != 1.0:
                raise ValueError("'scale' is for simulation; data is never scaled")
        else:
            if self.xsec is None:
                raise ValueError("simulation needs 'xsec' (pb) to be normalised")
            if self.read is not None and self.sumw is None:
                raise ValueError(
                    "pre-made histograms carry no Σw: give 'sumw' (the number of generated "
                    "events, or their Σ weights) to normalise them"
                )
            if self.lumimask is not None:
                raise ValueError("'lumimask' is for data; simulation has no lumi sections to mask")
        return self
