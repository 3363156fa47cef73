"""Fetching an era's payloads into the cache: from a local checkout, or from the portal.

From a local directory (a jsonpog-integration checkout), every payload is checked against
the manifest first, and versions the manifest does not know are refused unless
``any_version``. Without a directory, the portal's open-data copy (record 12508, one tar
file, verified against the record's adler32) is downloaded and only the era's files are
extracted. The archive is refused as a whole if any member would land outside it
(absolute path, ``..``), and only regular files are extracted, each to the path the
manifest gives, never to the member's own name.

Example:
    >>> import tempfile
    >>> result = fetch("2016postVFP_UL", source=corrections_root, to=tempfile.mkdtemp())
    >>> {f.state for f in result.files}, result.missing
    ({'verified'}, [])
"""

from __future__ import annotations

import dataclasses
import hashlib
import os
import tarfile
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import IO

from ..datasets.cache import cache_dir
from ..eras import Era, PayloadFile, Sources, load_manifest
from ..errors import CorrectionError
from ..util import atomic_path, sha256_of

__all__ = ["FetchResult", "fetch"]

_CHUNK = 1 << 20


@dataclass(frozen=True)
class FetchResult:
    """What :func:`fetch` did: the era's payloads (fetched or missing), from where, into where.

    ``notes`` are things the user should know that did not stop the fetch.

    Example:
        >>> import tempfile
        >>> result = fetch("Summer22", source=testdata / "corrections", to=tempfile.mkdtemp())
        >>> [(f.payload.name, f.state) for f in result.files], result.missing
        ([('jet_jerc', 'verified')], [])
        >>> result.files[0].path.relative_to(result.root).as_posix()
        'POG/JME/2022_Summer22/jet_jerc.json.gz'
    """

    era: str
    root: Path
    source: str
    files: tuple[PayloadFile, ...]
    notes: tuple[str, ...] = ()

    @property
    def missing(self) -> list[str]:
        """The names of the payloads the source did not have."""
        return [f.payload.name for f in self.files if f.path is None]


def fetch(
    era: str | Era,
    *,
    source: str | os.PathLike | None = None,
    server: str | None = None,
    any_version: bool = False,
    to: str | os.PathLike | None = None,
    progress: bool = True,
) -> FetchResult:
    """Put an era's payloads into the cache (or ``to``), each at its JSON-POG path.

    From ``source``, a local directory (a jsonpog-integration checkout, or a directory
    holding one or the files under the names the manifest knows): every payload is checked
    against the manifest first, and nothing is copied if one is another version, unless
    ``any_version``. Without ``source``: the portal's open-data archive (record 12508 on
    ``server``, by default the CERN portal or ``$OPENCOFFEA_PORTAL``), downloaded once into
    the portal's cache and verified against the record, of which only the era's files are
    extracted. Payloads the source lacks are listed in :attr:`FetchResult.missing`.

    Example:
        >>> import tempfile  # a checkout: CVMFS's /cvmfs/cms.cern.ch/rsync/cms-nanoAOD/...
        >>> result = fetch("2016postVFP_UL", source=corrections_root, to=tempfile.mkdtemp())
        >>> [f.state for f in result.files]
        ['verified', 'verified', 'verified', 'verified', 'verified', 'verified', 'verified']
    """
    manifest = load_manifest()
    era = manifest.era(era) if isinstance(era, str) else era
    root = Path(to).expanduser() if to is not None else cache_dir("corrections")
    if source is not None:
        return _from_directory(era, Path(source).expanduser(), root, any_version)
    return _from_portal(era, manifest.sources, root, server, progress)


def _from_directory(era: Era, directory: Path, root: Path, any_version: bool) -> FetchResult:
    if not directory.is_dir():
        raise CorrectionError(
            f"{directory} is not a directory: give a jsonpog-integration checkout"
        )
    found = []
    for payload in era.payloads.values():
        path = payload.locate(directory)
        found.append(PayloadFile(payload, path, sha256_of(path) if path else None))
    unknown = [f for f in found if f.state == "other version"]
    if unknown and not any_version:
        names = ", ".join(f"{f.path} (sha256 {(f.sha256 or '')[:12]}…)" for f in unknown)
        raise CorrectionError(
            f"not the versions the manifest records for {era.name}: {names}; nothing was "
            "copied. Take them anyway with --any-version (their checksums go into the "
            "provenance of results), or fetch from the portal"
        )
    files = []
    for file in found:
        if file.path is None:
            files.append(file)
            continue
        destination = root / file.payload.path
        with file.path.open("rb") as stream:
            digest = _install(stream, destination)
        if digest != file.sha256:
            destination.unlink()
            raise CorrectionError(f"{file.path} changed while it was copied; fetch it again")
        files.append(PayloadFile(file.payload, destination, digest))
    return FetchResult(era.name, root, str(directory), tuple(files))


def _from_portal(
    era: Era, sources: Sources, root: Path, server: str | None, progress: bool
) -> FetchResult:
    from ..datasets.download import download
    from ..datasets.portal import Portal

    known = sources.portal
    if not era.portal:
        hint = f" (e.g. {sources.directories[0]})" if sources.directories else ""
        raise CorrectionError(
            f"era {era.name} is not in the portal's open-data copy (record {known.record}); "
            f"fetch it from a jsonpog-integration checkout: opencoffea corrections fetch "
            f"{era.name} --from DIR{hint}"
        )
    portal = Portal(server)
    record = portal.record(known.record)
    file = next((f for f in record.files if f.name == known.file), None)
    if file is None:
        names = ", ".join(f.name for f in record.files) or "no files"
        raise CorrectionError(
            f"record {known.record} on {portal.server} has no {known.file} (it has {names}); "
            "fetch from a jsonpog-integration checkout instead (--from DIR)"
        )
    notes = []
    if (file.size, _adler32_value(file.checksum)) != (known.size, _adler32_value(known.checksum)):
        notes.append(
            f"{known.file} on {portal.server} ({file.size:,} bytes, {file.checksum}) is not the "
            f"one the manifest records ({known.size:,} bytes, {known.checksum}): it was "
            "verified against the portal's record, and each payload is checked below"
        )
    where = portal.cache_path / f"files_{known.record}"
    (archive,) = download(
        dataclasses.replace(record, files=(file,)), where, portal=portal, progress=progress
    )
    files = _extract(archive, era, root)
    return FetchResult(
        era.name, root, f"record {known.record} ({portal.server})", tuple(files), tuple(notes)
    )


def _extract(archive: Path, era: Era, root: Path) -> list[PayloadFile]:
    """Extract the era's payloads from a tar archive, safely, to their manifest paths."""
    tails = [
        (PurePosixPath(name).parts, payload)
        for payload in era.payloads.values()
        for name in (payload.path, *payload.found_as)
    ]
    try:
        with tarfile.open(archive) as tar:
            members = tar.getmembers()
            for member in members:
                parts = PurePosixPath(member.name).parts
                if member.name.startswith(("/", "\\")) or ".." in parts:
                    raise CorrectionError(
                        f"{archive}: refused: member {member.name!r} would be written outside "
                        "the directory it is extracted to; nothing was extracted. The archive "
                        "matches the portal's record: report it to the portal"
                    )
            chosen: dict[str, tarfile.TarInfo] = {}
            for member in members:
                parts = PurePosixPath(member.name).parts
                for tail, payload in tails:
                    if parts[-len(tail) :] == tail and payload.name not in chosen:
                        if not member.isreg():
                            raise CorrectionError(
                                f"{archive}: refused: {member.name} is not a regular file "
                                "(a link or a device); nothing more was extracted"
                            )
                        chosen[payload.name] = member
            files = []
            for payload in era.payloads.values():
                if payload.name not in chosen:
                    files.append(PayloadFile(payload, None, None))
                    continue
                stream = tar.extractfile(chosen[payload.name])
                if stream is None:  # for a member that is not a file; chosen ones are
                    raise CorrectionError(f"{archive}: {payload.path} cannot be read from it")
                destination = root / payload.path
                with stream:
                    digest = _install(stream, destination)
                files.append(PayloadFile(payload, destination, digest))
            return files
    except (tarfile.TarError, EOFError) as err:
        raise CorrectionError(f"{archive}: not a readable tar archive ({err})") from None


def _install(stream: IO[bytes], destination: Path) -> str:
    """Write a stream to ``destination`` through a temporary name; returns its sha256."""
    destination.parent.mkdir(parents=True, exist_ok=True)
    digest = hashlib.sha256()
    with atomic_path(destination) as partial, partial.open("wb") as out:
        while chunk := stream.read(_CHUNK):
            digest.update(chunk)
            out.write(chunk)
    return digest.hexdigest()


def _adler32_value(checksum: str | None) -> int | None:
    """An adler32 checksum as a number: the portal sometimes drops leading zeros."""
    algorithm, _, value = (checksum or "").partition(":")
    try:
        return int(value, 16) if algorithm.lower() == "adler32" else None
    except ValueError:
        return None
