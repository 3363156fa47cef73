"""The input files one process keeps open between its chunks (the last few, by use).

Opening a file for every chunk would read its TTree metadata again each time, tens of
milliseconds a chunk; chunks of one file mostly follow each other, so a handful is
enough. Each process (the main one, each worker) has its own :data:`OPEN_FILES`; the
pre-pass leaves a file open for the chunks of it that the same process gets next.

Example:
    >>> files = OpenFiles(size=2)
    >>> files.get(nano_dy) is files.get(nano_dy)  # opened once
    True
    >>> files.close_all()
"""

from __future__ import annotations

from collections import OrderedDict
from typing import Any

from ..events import open_file

__all__ = ["OPEN_FILES", "OpenFiles"]


class OpenFiles:
    """At most ``size`` open files, the least recently used closed first."""

    def __init__(self, size: int = 4) -> None:
        self.size = size
        self._files: OrderedDict[str, Any] = OrderedDict()

    def get(self, path: str) -> Any:
        """The open file at ``path``, opened now if it is not open yet."""
        if path in self._files:
            self._files.move_to_end(path)
            return self._files[path]
        # No array cache: each chunk reads its branches once, and NanoEvents keep what they
        # read; uproot's cache (100 MB a file by default) would only hold arrays of chunks
        # that are done, in every worker.
        file = self._files[path] = open_file(path, array_cache=None)
        while len(self._files) > self.size:
            self._files.popitem(last=False)[1].close()
        return file

    def discard(self, path: str) -> None:
        """Close ``path`` if it is open (after an error: the next use opens it afresh)."""
        file = self._files.pop(path, None)
        if file is not None:
            file.close()

    def close_all(self) -> None:
        """Close every file this process keeps open."""
        while self._files:
            self._files.popitem()[1].close()


OPEN_FILES = OpenFiles()
