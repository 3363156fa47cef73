"""Files into chunks, the unit of work: ranges of about ``chunksize`` entries that end
where the file's clusters end.

A chunk that ends inside a cluster makes two chunks read and decompress the baskets of
that cluster, which costs as much as the rest of the reading when clusters are as large
as chunks. So a chunk ends on the cluster boundary nearest to ``chunksize`` entries after
its start (the earlier of two as near), if one is within twice the chunksize: chunks hold
whole clusters, from about half to twice the chunksize. A cluster larger than that (a
file written in one piece) is cut into chunks of ``chunksize`` entries from its start.

Example:
    >>> info = FileInfo("dy.root", "Events", 2500, "nanoaod", "v9", False, "…")
    >>> one_cluster = FileScan(FileRecord("DY", info, None), clusters=(0, 2500))
    >>> chunks, unread = split([one_cluster], 1000, max_chunks=2)
    >>> [(c.entry_start, c.entry_stop) for c in chunks], unread[0].events
    ([(0, 1000), (1000, 2000)], 500)
    >>> clusters = FileScan(FileRecord("DY", info, None), clusters=(0, 700, 1400, 2100, 2500))
    >>> [(c.entry_start, c.entry_stop) for c in split([clusters], 1000)[0]]
    [(0, 700), (700, 1400), (1400, 2500)]
"""

from __future__ import annotations

import bisect
import itertools
from collections.abc import Sequence
from dataclasses import dataclass

from ..chunks import ChunkRange
from ..events import FileInfo
from ..results import FileRecord

__all__ = ["Chunk", "FileScan", "edges", "first_chunk", "split"]


@dataclass(frozen=True)
class FileScan:
    """What the pre-pass learned of one file: its record, and where its clusters start.

    ``clusters`` are the entries at which every branch of the events tree starts a new
    basket (uproot's ``common_entry_offsets``), from 0 to the number of entries: a chunk
    that ends elsewhere makes two chunks decompress the baskets it cuts.

    Example:
        >>> info = FileInfo("dy.root", "Events", 2500, "nanoaod", "v9", False, "…")
        >>> scan = FileScan(FileRecord("DY", info, None), clusters=(0, 1000, 2500))
        >>> scan.record.info.num_entries, scan.clusters[1]
        (2500, 1000)
    """

    record: FileRecord
    clusters: tuple[int, ...]


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
    scans: list[FileScan], chunksize: int, max_chunks: int | None = None
) -> tuple[list[Chunk], list[ChunkRange]]:
    """Split files into chunks of about ``chunksize`` entries, in file order.

    With ``max_chunks``, each dataset keeps its first chunks and the rest are listed as
    unread, so the run can say exactly what it left out.
    """
    chunks: list[Chunk] = []
    unread: list[ChunkRange] = []
    taken: dict[str, int] = {}
    for scan in scans:
        record = scan.record
        cuts = edges(scan.clusters, record.info.num_entries, chunksize)
        for start, stop in itertools.pairwise(cuts):
            chunk = Chunk(record.dataset, record.info, start, stop)
            if max_chunks is not None and taken.get(record.dataset, 0) >= max_chunks:
                unread.append(chunk.range)
                continue
            taken[record.dataset] = taken.get(record.dataset, 0) + 1
            chunks.append(chunk)
    return chunks, unread


def first_chunk(scan: FileScan, chunksize: int) -> Chunk | None:
    """The first of the chunks :func:`split` makes of a file (None for a file without events).

    Example:
        >>> info = FileInfo("dy.root", "Events", 2500, "nanoaod", "v9", False, "…")
        >>> scan = FileScan(FileRecord("DY", info, None), clusters=(0, 700, 1400, 2100, 2500))
        >>> first_chunk(scan, 1000) == split([scan], 1000)[0][0]
        True
    """
    cuts = edges(scan.clusters, scan.record.info.num_entries, chunksize)
    if len(cuts) < 2:
        return None
    return Chunk(scan.record.dataset, scan.record.info, cuts[0], cuts[1])


def edges(clusters: Sequence[int], entries: int, chunksize: int) -> list[int]:
    """The edges of the chunks of a file of ``entries`` entries whose clusters start at
    ``clusters``: 0, then the end of each chunk, the last one ``entries``.

    Example:
        >>> edges([0, 100_000, 200_000, 300_000], 300_000, 50_000)  # clusters of 2 chunks
        [0, 100000, 200000, 300000]
        >>> edges([0, 300_000], 300_000, 100_000)  # one cluster: chunks of the chunksize
        [0, 100000, 200000, 300000]
    """
    cuts = sorted({entry for entry in clusters if 0 < entry < entries} | {entries})
    ends = [0]
    while ends[-1] < entries:
        start = ends[-1]
        target = start + chunksize
        after = bisect.bisect_right(cuts, start)  # the first cut after the start
        if start > 0 and (after == 0 or cuts[after - 1] != start):
            # inside a cluster too large for one chunk: its pieces, then its end
            ends.append(min(target, cuts[after]))
            continue
        nearest = bisect.bisect_right(cuts, target)
        below = cuts[nearest - 1] if nearest > after else None  # the last cut ≤ target
        above = cuts[nearest] if nearest < len(cuts) else None  # the first cut > target
        if above is not None and above > start + 2 * chunksize:
            above = None
        if below is not None and (above is None or target - below <= above - target):
            ends.append(below)
        else:
            ends.append(above if above is not None else target)
    return ends
