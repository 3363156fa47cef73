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

from ..config import Execution
from ..datasets import RunSums
from ..events import FileInfo

__all__ = ["ExecutionRecord", "FileRecord", "InputRecord"]


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
class ExecutionRecord:
    """How a run ran: its execution settings, the chunks it made, the seconds it took to
    read and process them (set-up, such as loading corrections, not counted), and how
    many of the chunks were taken from the checkpoint of an interrupted run (``resumed``)."""

    settings: Execution
    chunks: int
    seconds: float
    resumed: int = 0

    @property
    def executor(self) -> str:
        """``iterative``, ``futures`` or ``dask``."""
        return self.settings.executor

    def to_json(self) -> dict[str, Any]:
        """The settings' fields, then ``chunks``, ``seconds`` and ``resumed`` (as the
        manifest has it)."""
        counts = {"chunks": self.chunks, "seconds": self.seconds, "resumed": self.resumed}
        return {**self.settings.model_dump(), **counts}

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> ExecutionRecord:
        """The record of the manifest's ``execution`` entry."""
        counts = ("chunks", "seconds", "resumed")
        settings = {k: v for k, v in data.items() if k not in counts}
        return cls(Execution.model_validate(settings), *(data[k] for k in counts))
