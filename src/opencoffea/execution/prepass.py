"""The pre-pass: every input file opened once, before the event loop.

One opening tells the tree and its entries (for chunking), the NanoAOD flavour (for the
schema of the file's chunks), the ``Runs`` sums (for normalisation) and where the tree's
clusters start (so that chunks end where baskets end). On thousands of remote files this
is a real cost, so it runs on the executor of the event loop, and what it learns of a
file with a known checksum (a portal file) is cached: a second run of the same files
opens none of them before the event loop.

Example:
    >>> scans = prepass(files, make("Reading file metadata", "file"))  # doctest: +SKIP
    >>> scans[0].record.info.num_entries, scans[0].record.sums.sumw     # doctest: +SKIP
    (2500, 1741826.2)
    >>> scans[0].clusters                                               # doctest: +SKIP
    (0, 2500)
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from ..datasets import InputFile, RunSums, read_run_sums
from ..datasets.cache import cache_dir
from ..errors import InputFileError, OpenCoffeaError
from ..events import FileInfo, describe
from ..results import FileRecord
from ..util import write_atomic
from .executors import call
from .openfiles import OPEN_FILES

__all__ = ["FileScan", "prepass"]


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


def prepass(files: list[InputFile], executor: Any) -> list[FileScan]:
    """What each file holds, in input order; every file that cannot be used, in one error."""
    known = {i: _cached_scan(f) for i, f in enumerate(files) if f.checksum}
    indexed = [(i, f) for i, f in enumerate(files) if known.get(i) is None]
    scanned = call(executor, indexed, _scan_file, [])
    for index, scan, _ in scanned:
        if scan is not None and files[index].checksum:
            _cache_scan(files[index], scan)
    scanned += [(i, scan, None) for i, scan in known.items() if scan is not None]
    scanned.sort(key=lambda item: item[0])
    errors = [error for _, _, error in scanned if error is not None]
    if errors:
        raise (
            InputFileError(errors[0][0], errors[0][1])
            if len(errors) == 1
            else OpenCoffeaError(
                f"{len(errors)} input files cannot be used:\n"
                + "\n".join(f"  {path}: {problem}" for path, problem in errors)
            )
        )
    return [scan for _, scan, _ in scanned]


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


def _scan_file(item: tuple[int, InputFile]) -> list[tuple[int, FileScan | None, Any]]:
    """(index, scan, None) for a usable file, (index, None, (path, problem)) for another.

    Errors travel back as values: no executor prints a traceback for a user's bad file.
    """
    index, input_file = item
    try:
        # kept open: the chunks of this file that this process gets will need it again
        file = OPEN_FILES.get(input_file.path)
        info = describe(file, input_file.path, input_file.treename)
        clusters = tuple(int(entry) for entry in file[info.treename].common_entry_offsets())
        record = FileRecord(input_file.dataset, info, read_run_sums(file))
        return [(index, FileScan(record, clusters), None)]
    except InputFileError as err:
        OPEN_FILES.discard(input_file.path)
        return [(index, None, (err.path, err.problem + (f" ({err.hint})" if err.hint else "")))]
    except Exception as err:  # anything else a file can throw at uproot
        OPEN_FILES.discard(input_file.path)
        return [(index, None, (input_file.path, f"cannot be read: {err!r}"))]
