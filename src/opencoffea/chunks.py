"""The records of chunks a run did not turn into histograms: unread and failed ones.

A chunk is a range of entries of one file. A run lists every chunk it left out on purpose
(``--max-chunks``) as a :class:`ChunkRange`, and every chunk that could not be processed
as a :class:`FailedChunk` with its error, so that events processed + events in failed
chunks = events in the input, always. Both are written into ``manifest.json`` as they
print here (:meth:`ChunkRange.to_json`) and read back from it (:meth:`ChunkRange.from_json`).

This module imports nothing of the package: the chunk output
(:class:`~opencoffea.histograms.Output`) carries failures without depending on the
execution that makes them.

Example:
    >>> chunk = ChunkRange("DY", "dy.root", 1000, 2000)
    >>> chunk.events
    1000
    >>> ChunkRange.from_json(chunk.to_json()) == chunk
    True
"""

from __future__ import annotations

from dataclasses import dataclass, field, fields
from typing import Any, TypeVar

__all__ = ["ChunkRange", "FailedChunk"]

_Record = TypeVar("_Record", bound="ChunkRange")


@dataclass(frozen=True)
class ChunkRange:
    """Entries ``[entry_start, entry_stop)`` of one file of a dataset.

    Example:
        >>> ChunkRange("DY", "dy.root", 0, 500).to_json()["events"]
        500
    """

    dataset: str
    file: str
    entry_start: int
    entry_stop: int

    @property
    def events(self) -> int:
        """The number of entries (events) in the range."""
        return self.entry_stop - self.entry_start

    def to_json(self) -> dict[str, Any]:
        """The record as the manifest has it: the fields, then ``events``."""
        return {
            "dataset": self.dataset,
            "file": self.file,
            "entry_start": self.entry_start,
            "entry_stop": self.entry_stop,
            "events": self.events,
        }

    @classmethod
    def from_json(cls: type[_Record], data: dict[str, Any]) -> _Record:
        """The record of a manifest entry (``events`` is derived, so not read)."""
        return cls(**{f.name: data[f.name] for f in fields(cls) if f.name in data})


@dataclass(frozen=True)
class FailedChunk(ChunkRange):
    """A chunk that could not be processed: where, and the error with its last frames.

    ``fatal`` holds the exception itself when it stops the whole run (a misuse of ``out``
    that every chunk would repeat, say): it travels back from a worker so the main
    process can raise it as itself. It is never written.

    Example:
        >>> failed = FailedChunk("DY", "dy.root", 0, 500, "ValueError: bad", "...")
        >>> failed.to_json()["error"], failed.events
        ('ValueError: bad', 500)
    """

    error: str
    traceback: str
    fatal: BaseException | None = field(default=None, compare=False, repr=False)

    def to_json(self) -> dict[str, Any]:
        """The range's fields, then ``error`` and ``traceback`` (never ``fatal``)."""
        return {**super().to_json(), "error": self.error, "traceback": self.traceback}
