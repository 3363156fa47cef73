"""Downloading a record's files: resumed where they stopped, verified by checksum.

Each file comes over HTTPS from the portal (:meth:`Portal.url`) into ``<name>.part``. A
transfer that breaks off continues from there with an HTTP ``Range`` request: at once, a
bounded number of times (the portal's ``retries`` and ``backoff``), or in the next call.
A complete file is checked against the record, size then adler32, and only then gets its
name; a file that fails the check is removed, never kept (DESIGN invariant 6). A file
already present that matches the record is not fetched again.

Files listed by a text file index have no size or checksum in the record: nothing can be
checked but that the transfer ended where the server said it would.

Example:
    >>> paths = download(30555, "data/DoubleMuon", max_files=2)  # doctest: +SKIP
    >>> golden_json(14221).name  # doctest: +SKIP
    'Cert_271036-284044_13TeV_Legacy2016_Collisions16_JSON_MuonPhys.txt'
"""

from __future__ import annotations

import http.client
import json
import urllib.error
import zlib
from collections.abc import Callable
from pathlib import Path

from rich.console import Console
from rich.progress import (
    BarColumn,
    DownloadColumn,
    Progress,
    TextColumn,
    TimeRemainingColumn,
    TransferSpeedColumn,
)

from ..errors import PortalError
from .portal import Portal
from .records import PortalFile, Record

__all__ = ["checksum", "download", "golden_json"]

_CHUNK = 1 << 20


def download(
    record: Record | int,
    to: str | Path,
    *,
    max_files: int | None = None,
    portal: Portal | None = None,
    progress: bool = True,
) -> list[Path]:
    """Download the files of a record into the directory ``to``; returns their paths.

    ``record`` is a resolved :class:`Record` or a record number (resolved with ``portal``,
    by default ``Portal()``). ``max_files`` takes the first files only, in the record's
    order. ``progress`` shows a progress bar on the terminal.

    Raises :class:`~opencoffea.errors.PortalError` naming the file and what to do when a
    file cannot be fetched or does not match its checksum (and is then removed).

    Example:
        >>> download(12361, "data/")  # doctest: +SKIP
        [PosixPath('data/SMHiggsToZZTo4L.root')]
    """
    portal = portal or Portal()
    if not isinstance(record, Record):
        record = portal.record(record)
    files = record.files if max_files is None else record.files[:max_files]
    if not files:
        raise PortalError(f"record {record.recid} ({record.title}) has no files to download")
    names = [f.name for f in files]
    repeated = sorted({n for n in names if names.count(n) > 1})
    if repeated:
        raise PortalError(
            f"record {record.recid}: several files are named {', '.join(repeated)}; they "
            "cannot share one directory, read them remotely instead (opencoffea datasets files)"
        )
    directory = Path(to)
    directory.mkdir(parents=True, exist_ok=True)
    total = sum(f.size or 0 for f in files) if all(f.size is not None for f in files) else None
    columns = (
        TextColumn("{task.description}"),
        BarColumn(),
        DownloadColumn(),
        TransferSpeedColumn(),
        TimeRemainingColumn(),
    )
    paths = []
    with Progress(*columns, console=Console(stderr=True), disable=not progress) as bar:
        task = bar.add_task(f"record {record.recid}", total=total)
        for number, file in enumerate(files, 1):
            bar.update(task, description=f"{number}/{len(files)} {file.name}")
            path = directory / file.name
            if not (path.exists() and _mismatch(path, file) is None):
                what = f"{file.name} (record {record.recid})"
                _fetch(portal, file, path, what, lambda n: bar.advance(task, n))
            elif file.size:
                bar.advance(task, file.size)
            paths.append(path)
    return paths


def golden_json(recid: int, *, portal: Portal | None = None) -> Path:
    """The golden JSON file of a validated-runs record, downloaded once and verified.

    ``recid`` is a record of :attr:`Record.validated_runs` (e.g. 14220, 14221 for 2016).
    The file is kept in the portal's cache (``refresh=True`` on the portal renews it);
    ``path.read_text()`` is the JSON text, and the path is what ``coffea.lumi_tools.LumiMask``
    takes.

    Example:
        >>> path = golden_json(14221)  # doctest: +SKIP
        >>> sorted(json.loads(path.read_text()))[0]  # doctest: +SKIP
        '273150'
    """
    portal = portal or Portal()
    record = portal.record(recid)
    candidates = [f for f in record.files if f.name.lower().endswith((".json", ".txt"))]
    if not candidates:
        raise PortalError(
            f"record {record.recid} ({record.title}) has no golden JSON file; give a "
            "validated-runs record, as a dataset names them (opencoffea datasets show RECID)"
        )
    file = next((f for f in candidates if f.name.startswith("Cert_")), candidates[0])
    path = portal.cache_path / f"golden_{record.recid}" / file.name
    if portal.refresh or not (path.exists() and _mismatch(path, file) is None):
        path.parent.mkdir(parents=True, exist_ok=True)
        _fetch(portal, file, path, f"golden JSON {file.name} (record {recid})", lambda n: None)
    try:
        content = json.loads(path.read_text(encoding="utf-8"))
    except (ValueError, UnicodeDecodeError):
        content = None
    if not isinstance(content, dict):
        path.unlink()
        raise PortalError(
            f"record {recid}: {file.name} is not a golden JSON ({{run: [[first, last], ...]}}); "
            "give a validated-runs record, as a dataset names them (opencoffea datasets show)"
        )
    return path


def checksum(path: str | Path) -> str:
    """The adler32 checksum of a file, read in chunks, written as the portal writes it.

    Example:
        >>> checksum(nano_dy)
        'adler32:38a4e4cf'
    """
    value = 1  # adler32's starting value
    with open(path, "rb") as stream:
        while chunk := stream.read(_CHUNK):
            value = zlib.adler32(chunk, value)
    return f"adler32:{value:08x}"


# ---------------------------------------------------------------------------- one file


class _BrokeOff(Exception):
    """A transfer that stopped before its end (connection dropped, timed out)."""


def _fetch(
    portal: Portal, file: PortalFile, path: Path, what: str, advance: Callable[[int], None]
) -> None:
    """Fetch one file to ``path`` through ``path.part``, resuming, then verify it."""
    part = path.with_name(path.name + ".part")
    if file.size is not None and _size(part) > file.size:
        part.unlink()  # longer than the file: not a beginning of it
    advance(_size(part))
    url = portal.url(file)
    problem = ""
    for _ in portal.attempts():
        try:
            _transfer(portal, url, part, _size(part), what, advance)
            break
        except _BrokeOff as err:
            problem = str(err)
    else:
        raise PortalError(
            f"{what}: the transfer from {portal.server} broke off {portal.retries + 1} "
            f"time(s) ({problem}); run the download again to resume it from {part}"
        )
    mismatch = _mismatch(part, file)
    if mismatch:
        part.unlink()
        raise PortalError(
            f"{what}: the download does not match the record ({mismatch}) and was removed; "
            "download it again, and if it fails again the portal's copy may be damaged"
        )
    part.replace(path)


def _transfer(
    portal: Portal, url: str, part: Path, offset: int, what: str, advance: Callable[[int], None]
) -> None:
    """Append the bytes of ``url`` from ``offset`` to ``part`` (or start over)."""
    headers = {"Range": f"bytes={offset}-"} if offset else {}
    try:
        answer = portal.open(url, what, headers)
    except urllib.error.HTTPError as err:
        err.close()
        if err.code == 416 and offset:
            return  # nothing left after the offset: the part is whole
        hint = (
            "the record lists a file the portal does not serve; try --refresh, or another "
            "portal (--server URL or OPENCOFFEA_PORTAL)"
            if err.code == 404
            else "try again later"
        )
        raise PortalError(f"{what}: HTTP {err.code} {err.reason} for {url}; {hint}") from None
    with answer:
        if offset and answer.status != 206:  # the server ignored the range: start over
            advance(-offset)
            offset = 0
        announced = answer.headers.get("Content-Length")
        received = 0
        with part.open("ab" if offset else "wb") as out:
            try:
                while chunk := answer.read(_CHUNK):
                    out.write(chunk)
                    received += len(chunk)
                    advance(len(chunk))
            except (OSError, http.client.HTTPException) as err:
                raise _BrokeOff(f"{type(err).__name__}: {err}") from None
    if announced is not None and received < int(announced):
        raise _BrokeOff(f"{received:,} of {int(announced):,} bytes from byte {offset:,}")


def _mismatch(path: Path, file: PortalFile) -> str | None:
    """How a local file differs from what the record lists (size, adler32), or None."""
    size = path.stat().st_size
    if file.size is not None and size != file.size:
        return f"{size:,} bytes where the record lists {file.size:,}"
    algorithm, _, expected = (file.checksum or "").partition(":")
    if algorithm.lower() == "adler32" and expected:
        found = checksum(path)
        # Compared as numbers: the portal sometimes drops leading zeros ("adler32:2a232ea").
        if int(found.partition(":")[2], 16) != _hex(expected):
            return f"{found} where the record lists {file.checksum}"
    return None


def _hex(text: str) -> int | None:
    try:
        return int(text, 16)
    except ValueError:
        return None


def _size(path: Path) -> int:
    return path.stat().st_size if path.exists() else 0
