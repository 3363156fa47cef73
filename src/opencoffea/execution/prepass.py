"""The pre-pass: every input file opened once, before the event loop.

One opening tells the tree and its entries (for chunking), the NanoAOD flavour (for the
schema of the file's chunks), the ``Runs`` sums (for normalisation) and where the tree's
clusters start (so that chunks end where baskets end). On thousands of remote files this
is a real cost, so it runs on the executor of the event loop, and what it learns of a
file with a known checksum (a portal file) is cached: a second run of the same files
opens none of them before the event loop.

Reading a file's metadata (0.4 s for a 2,656-branch NanoAOD tree) costs more than a small
file's events, and a process keeps only a few files open: a dataset of more small files
than that would have each read twice, by the pre-pass and again by its chunk. So the task
that scans a file that is one chunk also processes it (:class:`SmallFiles`), while the
file is open: the chunk is the one :func:`~.chunking.split` will make, since both come
from the same clusters. Its result waits in the driver until every file is scanned and
checked, and is then taken as the event loop's first. A file of several chunks is only
scanned: its chunks share the one opening of each process they run in, and processing
its first chunk in the pre-pass would leave the other workers idle while it runs (two
workers 1.44× one, on one file of six chunks, against 1.8× without).

Example:
    >>> found = prepass(files, make("Reading files", "file"))            # doctest: +SKIP
    >>> found.scans[0].record.info.num_entries, found.scans[0].record.sums.sumw
    ...                                                                   # doctest: +SKIP
    (2500, 1741826.2)
    >>> found.scans[0].clusters                                           # doctest: +SKIP
    (0, 2500)
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path
from typing import Any

from ..datasets import InputFile, RunSums, read_run_sums
from ..datasets.cache import cache_dir
from ..errors import InputFileError, OpenCoffeaError
from ..events import FileInfo, describe
from ..results import FileRecord
from ..util import write_atomic
from .chunking import Chunk, FileScan, first_chunk
from .loop import Crashed, Loop, Raised
from .openfiles import OPEN_FILES

__all__ = ["FileScan", "Prepass", "SmallFiles", "prepass"]


@dataclass(frozen=True)
class SmallFiles:
    """Process a file that is one chunk of ``chunksize`` with ``function``, as it is
    scanned; ``done(chunk, value)`` is called in the driver as each comes back (to keep it).

    A file that is not of its dataset's kind (``data``: the datasets declared data) is not
    processed: the run stops after the pre-pass with a configuration error
    (:meth:`~opencoffea.datasets.sources.Sources.check_kinds`), no chunk of it processed.

    Example:
        >>> SmallFiles(len, 100_000).chunksize
        100000
    """

    function: Callable[[Chunk], Any]
    chunksize: int
    done: Callable[[Chunk, Any], None] | None = None
    data: frozenset[str] = frozenset()


@dataclass(frozen=True)
class Prepass:
    """What the pre-pass found: each file's scan (input order), and the chunks it processed
    (:class:`SmallFiles`) with the value the chunk function gave back for each (or
    :class:`Raised`).

    Example:
        >>> Prepass([]).processed
        []
    """

    scans: list[FileScan]
    processed: list[tuple[Chunk, Any]] = field(default_factory=list)


def prepass(files: list[InputFile], loop: Loop, small: SmallFiles | None = None) -> Prepass:
    """What each file holds, in input order; every file that cannot be used, in one error.

    With ``small``, each task that scans a file that is one chunk processes it too. A task
    whose worker died each time is scanned again alone (its chunk is left to the event
    loop, where a chunk that kills its worker becomes a failure record).
    """
    known = {i: _cached_scan(f) for i, f in enumerate(files) if f.checksum}
    indexed = [(i, f) for i, f in enumerate(files) if known.get(i) is None]
    scanned: list[_Scanned] = []
    again: list[tuple[int, InputFile]] = []
    # what travels to workers: not the driver's callback
    task = _Scan(None if small is None else replace(small, done=None))
    for item, value in loop.results(indexed, task):
        if isinstance(value, Crashed) and small is not None:
            again.append(item)
            continue
        scanned += _scanned(loop, item, value)
        ran = scanned[-1][3]
        if ran is not None and small is not None and small.done is not None:
            small.done(*ran)
    for item, value in loop.results(again, _Scan(None)) if again else ():
        scanned += _scanned(loop, item, value)
    for index, scan, _, _ in scanned:
        if scan is not None and files[index].checksum:
            _cache_scan(files[index], scan)
    scanned += [(i, scan, None, None) for i, scan in known.items() if scan is not None]
    scanned.sort(key=lambda item: item[0])
    errors = [error for _, _, error, _ in scanned if error is not None]
    if errors:
        raise (
            InputFileError(errors[0][0], errors[0][1])
            if len(errors) == 1
            else OpenCoffeaError(
                f"{len(errors)} input files cannot be used:\n"
                + "\n".join(f"  {path}: {problem}" for path, problem in errors)
            )
        )
    return Prepass(
        [scan for _, scan, _, _ in scanned if scan is not None],
        [done for _, _, _, done in scanned if done is not None],
    )


# (index, scan, None, the file's chunk and its value, or None) for a usable file,
# (index, None, (path, problem), None) for another
_Scanned = tuple[int, FileScan | None, tuple[str, str] | None, tuple[Chunk, Any] | None]


def _scanned(loop: Loop, item: tuple[int, InputFile], value: Any) -> list[_Scanned]:
    """A scan task's value; a task that raised or whose worker died stops the run."""
    if isinstance(value, Crashed):
        raise OpenCoffeaError(
            f"{loop.description}: the worker process died each of the {value.runs} times it "
            f"ran one {loop.unit} ({value.reason}): {item[1].path}"
        )
    if isinstance(value, Raised):
        raise value.error
    return value


def _scan_cache_path(input_file: InputFile) -> Path:
    key = hashlib.sha256(f"{input_file.path}\n{input_file.checksum}".encode()).hexdigest()
    return cache_dir("prepass") / f"{key[:32]}.json"


def _cached_scan(input_file: InputFile) -> FileScan | None:
    try:
        data = json.loads(_scan_cache_path(input_file).read_text())
        record = FileRecord(
            input_file.dataset,
            FileInfo(**data["info"]),
            RunSums(**data["sums"]) if data["sums"] else None,
        )
        return FileScan(record, tuple(data["clusters"]))
    except (OSError, ValueError, TypeError, KeyError):
        return None  # absent, unreadable or from before clusters were kept: scan again


def _cache_scan(input_file: InputFile, scan: FileScan) -> None:
    record = scan.record
    data = {
        "info": asdict(record.info),
        "sums": asdict(record.sums) if record.sums else None,
        "clusters": list(scan.clusters),
    }
    write_atomic(_scan_cache_path(input_file), json.dumps(data))


class _Scan:
    """The task of one file: its scan, and with :class:`SmallFiles`, a file of one chunk."""

    def __init__(self, small: SmallFiles | None) -> None:
        self.small = small

    def __call__(self, item: tuple[int, InputFile]) -> list[_Scanned]:
        index, input_file = item
        scan, error = _scan_file(input_file)
        done = None
        if scan is not None and self.small is not None and _of_its_kind(scan, self.small.data):
            chunk = first_chunk(scan, self.small.chunksize)
            if chunk is not None and chunk.entry_stop == scan.record.info.num_entries:
                try:
                    done = (chunk, self.small.function(chunk))
                except Exception as err:  # the chunk function's own failure (an import)
                    done = (chunk, Raised(err))
        return [(index, scan, error, done)]


def _of_its_kind(scan: FileScan, data: frozenset[str]) -> bool:
    return scan.record.info.is_data == (scan.record.dataset in data)


def _scan_file(input_file: InputFile) -> tuple[FileScan | None, tuple[str, str] | None]:
    """(scan, None) for a usable file, (None, (path, problem)) for another.

    Errors travel back as values: no executor prints a traceback for a user's bad file.
    """
    try:
        # kept open: the chunks of this file that this process gets will need it again
        file = OPEN_FILES.get(input_file.path, input_file.treename)
        info = describe(file, input_file.path, input_file.treename)
        clusters = tuple(int(entry) for entry in file[info.treename].common_entry_offsets())
        record = FileRecord(input_file.dataset, info, read_run_sums(file))
        return FileScan(record, clusters), None
    except InputFileError as err:
        OPEN_FILES.discard(input_file.path)
        return None, (err.path, err.problem + (f" ({err.hint})" if err.hint else ""))
    except Exception as err:  # anything else a file can throw at uproot
        OPEN_FILES.discard(input_file.path)
        return None, (input_file.path, f"cannot be read: {err!r}")
