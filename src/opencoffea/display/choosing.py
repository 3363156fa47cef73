"""Which events to show: the files of a source, and the entries chosen in them.

A source is a NanoAOD file (a path or a URL uproot reads), ``record:N`` of the CERN Open Data
portal (its files over HTTPS, through :class:`~opencoffea.datasets.portal.Portal`), or a list of
:class:`Pick` (a file and an entry each, with what to mark in that event): the form an
analysis's selected events take. :class:`Files` opens a source's files one by one as they are
needed and finds the events chosen in them, as picks; :mod:`~opencoffea.display.reading` reads
those.

Example:
    >>> files = Files([nano_dy])
    >>> [pick.entry for pick in files.find_ids([(1, 13889, 3749786)])], files.first(2)[1].entry
    ([7], 1)
    >>> files.close()
"""

from __future__ import annotations

import os
from collections.abc import Iterator, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from ..datasets.portal import Portal
from ..errors import InputFileError
from ..events import EVENT_IDS, EVENT_TREES, open_file, read_errors_as_input_errors
from ..nanoaod import trees_of

__all__ = ["FileRead", "Files", "Pick", "parse_id", "record_files"]


@dataclass(frozen=True)
class Pick:
    """One event to show: its file and entry, and what to mark in it.

    ``highlight`` gives, per collection, the indices of the objects that matter (drawn
    brighter and thicker); ``quantities`` the numbers to show with the event (``m4l``, ...);
    ``dataset`` the name to show for its dataset (default: its file's).

    Example:
        >>> Pick("h4l.root", 17, {"Muon": frozenset({0, 2})}, {"m4l": 124.6}).quantities
        {'m4l': 124.6}
    """

    file: str
    entry: int
    highlight: Mapping[str, frozenset[int]] = field(default_factory=dict)
    quantities: Mapping[str, float | str | None] = field(default_factory=dict)
    dataset: str | None = None


@dataclass(frozen=True)
class FileRead:
    """What reading took of one file: its size and the bytes read from it, both in bytes."""

    path: str
    size: int
    bytes_read: int


def parse_id(text: str | Sequence[int]) -> tuple[int, int, int]:
    """``"RUN:LUMI:EVENT"`` (or a triple) as ``(run, lumi, event)``.

    Example:
        >>> parse_id("315267:205:197798546")
        (315267, 205, 197798546)
        >>> parse_id("315267:205")
        Traceback (most recent call last):
        ...
        ValueError: '315267:205' is not RUN:LUMI:EVENT (three whole numbers, e.g. 1:2:3)
    """
    parts = text.split(":") if isinstance(text, str) else list(text)
    try:
        run, lumi, event = (int(p) for p in parts)
    except ValueError:
        raise ValueError(
            f"{text!r} is not RUN:LUMI:EVENT (three whole numbers, e.g. 1:2:3)"
        ) from None
    return run, lumi, event


def record_files(text: str, server: str | None) -> tuple[list[str], str]:
    """The file URLs and title of ``record:N``, from the portal at ``server``.

    Example:
        >>> record_files("record:x", None)
        Traceback (most recent call last):
        ...
        ValueError: 'record:x' is not record:N (N the number of a portal record)
    """
    try:
        recid = int(text.split(":", 1)[1])
    except ValueError:
        raise ValueError(f"{text!r} is not record:N (N the number of a portal record)") from None
    portal = Portal(server)
    record = portal.dataset(recid)
    return [portal.url(f) for f in record.files], record.title


class Files:
    """The files of a source, each opened when first needed and kept open until closed.

    :meth:`first`, :meth:`find_entries` and :meth:`find_ids` choose events as
    :class:`Pick`; :meth:`read` tells what was read of each file opened.

    Baskets are decompressed by a pool of one thread a core: LZMA (real NanoAOD's), ZLIB,
    LZ4 and ZSTD release the GIL, and decompressing is most of the time a display takes.
    """

    def __init__(self, paths: list[str], dataset: str | None = None) -> None:
        self.paths = paths
        self.dataset = dataset
        self._open: dict[str, tuple[Any, Any]] = {}
        cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
        self.decompression = ThreadPoolExecutor(cores or 1, thread_name_prefix="display-read")

    def tree(self, path: str) -> tuple[Any, Any]:
        """The open file and its events tree."""
        if path not in self._open:
            file = open_file(path)
            with read_errors_as_input_errors(path):
                trees = trees_of(file)
                name = next((t for t in EVENT_TREES if t in trees), None)
                if name is None:
                    raise InputFileError(
                        path,
                        "has no events tree (looked for 'Events' and 'aod2nanoaod/Events')",
                        hint=f"trees in the file: {', '.join(trees) or 'none'}",
                    )
                self._open[path] = (file, file[name])
        return self._open[path]

    def close(self) -> None:
        """Close the files opened, and the decompression threads."""
        for file, _ in self._open.values():
            file.close()
        self.decompression.shutdown()

    def read(self) -> list[FileRead]:
        """Each file opened: its size, and the bytes read from it so far."""
        return [
            FileRead(path, file.file.source.num_bytes, file.file.source.num_requested_bytes)
            for path, (file, _) in self._open.items()
        ]

    def _sizes(self) -> Iterator[tuple[str, int]]:
        for path in self.paths:
            yield path, int(self.tree(path)[1].num_entries)

    def first(self, count: int) -> list[Pick]:
        """The first ``count`` events, in the files' order."""
        picks: list[Pick] = []
        for path, entries in self._sizes():
            if len(picks) >= count:
                break
            picks += [Pick(path, e) for e in range(min(entries, count - len(picks)))]
        return picks

    def find_entries(self, wanted: list[int]) -> list[Pick]:
        """The events of these entry numbers, counted across the files in their order."""
        where: dict[int, Pick] = {}
        offset = 0
        for path, entries in self._sizes():
            if all(e in where or e < 0 for e in wanted):
                break
            for e in wanted:
                if offset <= e < offset + entries:
                    where[e] = Pick(path, e - offset)
            offset += entries
        missing = [e for e in wanted if e not in where]
        if missing:
            raise InputFileError(
                self._name(),
                f"has no entry {', '.join(map(str, missing))}",
                hint=f"its entries are 0 to {offset - 1}" if offset else "it has no events",
            )
        return [where[e] for e in wanted]

    def find_ids(self, wanted: list[tuple[int, int, int]]) -> list[Pick]:
        """The events of these (run, lumi, event): the ID branches are read to find them."""
        where: dict[tuple[int, int, int], Pick] = {}
        for path, _ in self._sizes():
            if len(where) == len(set(wanted)):
                break
            tree = self.tree(path)[1]
            missing = [b for b in EVENT_IDS if b not in tree]
            if missing:
                raise InputFileError(
                    path, f"has no branch {', '.join(missing)}: events cannot be found by ID"
                )
            with read_errors_as_input_errors(path):
                ids = tree.arrays(list(EVENT_IDS), library="np")
            # Events whose number is wanted, then their run and lumi: no pass per wanted event.
            numbers = ids["event"].astype(np.int64)
            candidates = np.flatnonzero(np.isin(numbers, [t[2] for t in wanted]))
            for entry in candidates:
                triple = (
                    int(ids["run"][entry]),
                    int(ids["luminosityBlock"][entry]),
                    int(numbers[entry]),
                )
                if triple in wanted and triple not in where:
                    where[triple] = Pick(path, int(entry))
        missing_ids = [":".join(map(str, t)) for t in wanted if t not in where]
        if missing_ids:
            raise InputFileError(self._name(), f"has no event {', '.join(missing_ids)}")
        return [where[t] for t in wanted]

    def _name(self) -> str:
        return self.dataset or ", ".join(self.paths)
