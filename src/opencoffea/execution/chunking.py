"""Files into chunks: ranges of at most ``chunksize`` entries, the unit of work.

Example:
    >>> from opencoffea.events import FileInfo
    >>> from opencoffea.results import FileRecord
    >>> info = FileInfo("dy.root", "Events", 2500, "nanoaod", "v9", False, "…")
    >>> chunks, unread = split([FileRecord("DY", info, None)], 1000, max_chunks=2)
    >>> [(c.entry_start, c.entry_stop) for c in chunks], unread[0].events
    ([(0, 1000), (1000, 2000)], 500)
"""

from __future__ import annotations

from dataclasses import dataclass

from ..chunks import ChunkRange
from ..events import FileInfo
from ..results import FileRecord

__all__ = ["Chunk", "split"]


@dataclass(frozen=True)
class Chunk:
    """A range of entries of one file, with what the pre-pass learned of the file."""

    dataset: str
    info: FileInfo
    entry_start: int
    entry_stop: int

    @property
    def events(self) -> int:
        """The number of entries in the chunk."""
        return self.entry_stop - self.entry_start

    @property
    def range(self) -> ChunkRange:
        """The chunk as a record (for the manifest: unread or failed)."""
        return ChunkRange(self.dataset, self.info.path, self.entry_start, self.entry_stop)


def split(
    records: list[FileRecord], chunksize: int, max_chunks: int | None = None
) -> tuple[list[Chunk], list[ChunkRange]]:
    """Split files into chunks of at most ``chunksize`` entries, in file order.

    With ``max_chunks``, each dataset keeps its first chunks and the rest are listed as
    unread, so the run can say exactly what it left out.
    """
    chunks: list[Chunk] = []
    unread: list[ChunkRange] = []
    taken: dict[str, int] = {}
    for record in records:
        n = record.info.num_entries
        for start in range(0, n, chunksize):
            chunk = Chunk(record.dataset, record.info, start, min(start + chunksize, n))
            if max_chunks is not None and taken.get(record.dataset, 0) >= max_chunks:
                unread.append(chunk.range)
                continue
            taken[record.dataset] = taken.get(record.dataset, 0) + 1
            chunks.append(chunk)
    return chunks, unread
