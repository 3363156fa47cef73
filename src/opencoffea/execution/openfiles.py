"""The input files one process keeps open between its chunks (the last few, by use).

Opening a file for every chunk would read its TTree metadata again each time, tens of
milliseconds a chunk; chunks of one file mostly follow each other, so a handful is
enough. Each process (the main one, each worker) has its own :data:`OPEN_FILES`; the
pre-pass leaves a file open for the chunks of it that the same process gets next.

An open NanoAOD file costs Python's cyclic garbage collector more than reading it does.
uproot's metadata of a 2,656-branch tree is some 120,000 objects in reference cycles
(each branch points to its tree, each base class to its object), and every full pass of
the collector walks all of them, for each file kept open: 0.15 s a file a pass, a pass or
two a file. So a file is opened with the collector paused, and its metadata is then
*frozen* (:func:`gc.freeze`: left out of every pass) while it is open. Frozen cycles
would never be collected, so closing a file takes its metadata apart (each uproot object's
attributes cleared: the cycles broken, and reference counting frees it all). If the tree
outlives that (an uproot release with references this does not know), the process falls
back to one full pass. Freezing freezes whatever else is alive then too (a dask worker's
own bookkeeping), and what of it later dies in a cycle would stay: so every
:data:`RECLAIM_EVERY` closed files, one full pass reclaims it. Per file: 0.39 s to open and
read the tree, 0.055 s to take it apart, in place of 0.55–0.8 s with the collector walking
it.

Example:
    >>> files = OpenFiles(size=2)
    >>> files.get(nano_dy, "Events") is files.get(nano_dy)  # opened once
    True
    >>> files.close_all()
"""

from __future__ import annotations

import contextlib
import gc
import weakref
from collections import OrderedDict
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from ..events import EVENT_TREES, open_file

__all__ = ["OPEN_FILES", "RECLAIM_EVERY", "OpenFiles", "dismantle"]

RECLAIM_EVERY = 32
"""Closed files between two full passes of the collector (see the module). A pass over a
worker with four 2,656-branch files open takes about 0.35 s (measured): 11 ms a file."""


@dataclass
class _Open:
    """An open file, and weak references to its objects (to check that closing frees them)."""

    file: Any
    watched: list[weakref.ref[Any]]


class OpenFiles:
    """At most ``size`` open files, the least recently used closed first."""

    def __init__(self, size: int = 4) -> None:
        self.size = size
        self._files: OrderedDict[str, _Open] = OrderedDict()
        self._closed = 0  # files closed since the last full pass

    def get(self, path: str, treename: str | None = None) -> Any:
        """The open file at ``path``, opened now if it is not open yet.

        A file opened now has its events tree's metadata read with it (``treename``, else
        the first of :data:`~opencoffea.events.EVENT_TREES` it has), so that the
        metadata is frozen with the file (see the module).
        """
        if path in self._files:
            self._files.move_to_end(path)
            return self._files[path].file
        self._files[path] = _open(path, treename)
        while len(self._files) > self.size:
            self._close(self._files.popitem(last=False)[1])
        return self._files[path].file

    def discard(self, path: str) -> None:
        """Close ``path`` if it is open (after an error: the next use opens it afresh)."""
        opened = self._files.pop(path, None)
        if opened is not None:
            self._close(opened)

    def close_all(self) -> None:
        """Close every file this process keeps open."""
        while self._files:
            self._close(self._files.popitem()[1])

    def _close(self, opened: _Open) -> None:
        self._closed += 1
        passed = _close(opened)
        if not passed and self._closed >= RECLAIM_EVERY:
            _full_pass()
            passed = True
        if passed:
            self._closed = 0


def _open(path: str, treename: str | None) -> _Open:
    # What is garbage now is collected first, or it would be frozen for good with the file.
    gc.collect()
    with _collector_paused():
        # No array cache: each chunk reads its branches once, and NanoEvents keep what
        # they read; uproot's cache (100 MB a file by default) would only hold arrays of
        # chunks that are done, in every worker.
        file = open_file(path, array_cache=None)
        for name in (treename,) if treename else EVENT_TREES:
            with contextlib.suppress(Exception):  # describe() names a missing tree
                file[name]  # read into uproot's object cache, which the chunks use
                break
        gc.freeze()
    return _Open(file, [weakref.ref(model) for model in _models(file)])


def _close(opened: _Open) -> bool:
    """Close a file and take its metadata apart; whether that took a full pass."""
    models = _models(opened.file)
    opened.file.close()
    opened.file.file.object_cache.clear()
    while models:  # each one let go as it is taken apart, for the check below
        dismantle(models.pop())
    if any(reference() is not None for reference in opened.watched):
        _full_pass()  # still alive, held by cycles this module does not know
        return True
    return False


def _full_pass() -> None:
    """One pass of the collector over everything, frozen or not; what lives is frozen again."""
    gc.unfreeze()
    gc.collect()
    gc.freeze()


def _models(file: Any) -> list[Any]:
    """The uproot objects read from ``file`` (its trees): what uproot's object cache holds."""
    from uproot.model import Model

    return [value for value in file.file.object_cache.values() if isinstance(value, Model)]


@contextlib.contextmanager
def _collector_paused() -> Iterator[None]:
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def dismantle(model: Any) -> None:
    """Clear the attributes of an uproot object and of every uproot object under it.

    Their reference cycles (branch → tree, base class → object) are broken, so reference
    counting frees them, without a pass of the garbage collector. Only for objects of a
    closed file that nothing will use again.

    Example:
        >>> import uproot
        >>> file = uproot.open(nano_dy)
        >>> tree = file["Events"]
        >>> file.close()
        >>> dismantle(tree)
        >>> vars(tree)
        {}
    """
    from uproot.model import Model

    # Containers are pushed whole and their items told apart as they are taken: 0.055 s
    # for a 2,656-branch tree, where filtering each container as it is met took 0.09 s.
    stack = [model]
    push, extend = stack.append, stack.extend
    while stack:
        item = stack.pop()
        if not isinstance(item, Model):
            continue
        attributes = item.__dict__
        for value in attributes.values():
            kind = type(value)
            if kind is list or kind is tuple:
                extend(value)
            elif kind is dict:
                extend(value.values())
            elif isinstance(value, Model):
                push(value)
        attributes.clear()


OPEN_FILES = OpenFiles()
