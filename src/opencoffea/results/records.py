"""Typed records of a run: its input files and how it ran.

Each record is written into ``manifest.json`` by its ``to_json`` and read back by its
``from_json``, so a result made in memory and the same result read from disk hold equal
records. (The records of unread and failed chunks are :mod:`opencoffea.chunks`'.)

Example:
    >>> from opencoffea.config import Execution
    >>> record = ExecutionRecord(Execution(executor="futures", workers=2), chunks=4, seconds=1.5)
    >>> record.to_json()["executor"], ExecutionRecord.from_json(record.to_json()) == record
    ('futures', True)
    >>> ExecutionRecord(Execution(), chunks=10, seconds=2.0, resumed=3).to_json()["resumed"]
    3
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, fields
from typing import Any

from ..chunks import ChunkRange
from ..config import Execution
from ..datasets import RunSums
from ..events import FileInfo

__all__ = ["ExecutionRecord", "FileRecord", "InputRecord", "RetriedChunk"]


@dataclass(frozen=True)
class FileRecord:
    """What the pre-pass learned of one input file: entries, flavour, ``Runs`` sums.

    Example:
        >>> info = FileInfo("dy.root", "Events", 40, "nanoaod", "v6", False, "a949…")
        >>> FileRecord("DY", info, None).info.num_entries
        40
    """

    dataset: str
    info: FileInfo
    sums: RunSums | None


@dataclass(frozen=True)
class InputRecord(FileRecord):
    """One input file of a result: what the pre-pass learned, what was read of it, and
    the Σw its dataset's normalisation took from it (``sumw_used``, ``sumw_source``; None
    where the normalisation took nothing from the file, a Σw given in the YAML).

    Example:
        >>> info = FileInfo("dy.root", "Events", 40, "nanoaod", "v6", False, "a949…")
        >>> record = InputRecord("DY", info, None, 40, 12.5, "Σ genWeight (no Runs sums)")
        >>> InputRecord.from_json("DY", record.to_json()) == record
        True
    """

    events_processed: int
    sumw_used: float | None
    sumw_source: str | None

    def to_json(self) -> dict[str, Any]:
        """The file's entry in the manifest: its FileInfo fields, then the rest."""
        return {
            **asdict(self.info),
            "runs_sums": asdict(self.sums) if self.sums else None,
            "events_processed": self.events_processed,
            "sumw_used": self.sumw_used,
            "sumw_source": self.sumw_source,
        }

    @classmethod
    def from_json(cls, dataset: str, data: dict[str, Any]) -> InputRecord:
        """The record of a file's entry in the manifest (of dataset ``dataset``)."""
        sums = data["runs_sums"]
        return cls(
            dataset,
            FileInfo(**{f.name: data[f.name] for f in fields(FileInfo)}),
            RunSums(**sums) if sums else None,
            data["events_processed"],
            data["sumw_used"],
            data["sumw_source"],
        )


@dataclass(frozen=True)
class RetriedChunk(ChunkRange):
    """A chunk that ran more than once before it gave its output (or was recorded as
    failed): how many times it was tried again, and why (``; ``-separated, once each).

    Example:
        >>> retried = RetriedChunk("DY", "dy.root", 0, 500, 1, "worker process died (SIGKILL)")
        >>> RetriedChunk.from_json(retried.to_json()) == retried
        True
    """

    retries: int
    reason: str

    def to_json(self) -> dict[str, Any]:
        """The range's fields, then ``retries`` and ``reason``."""
        return {**super().to_json(), "retries": self.retries, "reason": self.reason}


@dataclass(frozen=True)
class ExecutionRecord:
    """How a run ran: its execution settings, the chunks it made, the seconds it took to
    read and process them (set-up, such as loading corrections, not counted), how many of
    the chunks were taken from the checkpoint of an interrupted run (``resumed``), and the
    chunks it had to try again (``retried``)."""

    settings: Execution
    chunks: int
    seconds: float
    resumed: int = 0
    retried: tuple[RetriedChunk, ...] = ()

    @property
    def executor(self) -> str:
        """``iterative``, ``futures`` or ``dask``."""
        return self.settings.executor

    def to_json(self) -> dict[str, Any]:
        """The settings' fields, then ``chunks``, ``seconds``, ``resumed`` and ``retried``
        (as the manifest has it)."""
        counts = {"chunks": self.chunks, "seconds": self.seconds, "resumed": self.resumed}
        retried = [chunk.to_json() for chunk in self.retried]
        return {**self.settings.model_dump(), **counts, "retried": retried}

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> ExecutionRecord:
        """The record of the manifest's ``execution`` entry."""
        own = ("chunks", "seconds", "resumed", "retried")
        settings = Execution.model_validate({k: v for k, v in data.items() if k not in own})
        retried = tuple(RetriedChunk.from_json(r) for r in data["retried"])
        return cls(settings, data["chunks"], data["seconds"], data["resumed"], retried)
