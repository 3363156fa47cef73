"""The pre-pass: every input file opened once, before the event loop.

One opening tells the tree and its entries (for chunking), the NanoAOD flavour (for the
schema of the file's chunks) and the ``Runs`` sums (for normalisation). On thousands of
remote files this is a real cost, so it runs on the executor of the event loop, and what
it learns of a file with a known checksum (a portal file) is cached: a second run of the
same files opens none of them before the event loop.

Example:
    >>> records = prepass(files, make("Reading file metadata", "file"))  # doctest: +SKIP
    >>> records[0].info.num_entries, records[0].sums.sumw                 # doctest: +SKIP
    (2500, 1741826.2)
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import asdict
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

__all__ = ["prepass"]


def prepass(files: list[InputFile], executor: Any) -> list[FileRecord]:
    """What each file holds, in input order; every file that cannot be used, in one error."""
    known = {i: _cached_record(f) for i, f in enumerate(files) if f.checksum}
    indexed = [(i, f) for i, f in enumerate(files) if known.get(i) is None]
    scanned = call(executor, indexed, _scan_file, [])
    for index, record, _ in scanned:
        if record is not None and files[index].checksum:
            _cache_record(files[index], record)
    scanned += [(i, record, None) for i, record in known.items() if record is not None]
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
    return [record for _, record, _ in scanned]


def _record_cache_path(input_file: InputFile) -> Path:
    key = hashlib.sha256(f"{input_file.path}\n{input_file.checksum}".encode()).hexdigest()
    return cache_dir("prepass") / f"{key[:32]}.json"


def _cached_record(input_file: InputFile) -> FileRecord | None:
    try:
        data = json.loads(_record_cache_path(input_file).read_text())
        return FileRecord(
            input_file.dataset,
            FileInfo(**data["info"]),
            RunSums(**data["sums"]) if data["sums"] else None,
        )
    except (OSError, ValueError, TypeError, KeyError):
        return None  # absent or unreadable: scan the file again


def _cache_record(input_file: InputFile, record: FileRecord) -> None:
    data = {"info": asdict(record.info), "sums": asdict(record.sums) if record.sums else None}
    write_atomic(_record_cache_path(input_file), json.dumps(data))


def _scan_file(item: tuple[int, InputFile]) -> list[tuple[int, FileRecord | None, Any]]:
    """(index, record, None) for a usable file, (index, None, (path, problem)) for another.

    Errors travel back as values: no executor prints a traceback for a user's bad file.
    """
    index, input_file = item
    try:
        # kept open: the chunks of this file that this process gets will need it again
        file = OPEN_FILES.get(input_file.path)
        info = describe(file, input_file.path, input_file.treename)
        sums = read_run_sums(file)
        return [(index, FileRecord(input_file.dataset, info, sums), None)]
    except InputFileError as err:
        OPEN_FILES.discard(input_file.path)
        return [(index, None, (err.path, err.problem + (f" ({err.hint})" if err.hint else "")))]
    except Exception as err:  # anything else a file can throw at uproot
        OPEN_FILES.discard(input_file.path)
        return [(index, None, (input_file.path, f"cannot be read: {err!r}"))]
