"""The CERN Open Data portal: records, their files, and search.

A record is resolved through the portal's REST API, ``GET {server}/api/records/{recid}``,
into a :class:`Record`: title, DOI, what kind of record it is, its size, its files with
size and adler32 checksum, the validated-runs (golden JSON) records it names and, for
simulation, the cross section where the record has one.

Where the files are
    A dataset of many files lists them in file indexes rather than one by one. The API
    answer either carries them inline (``metadata._file_indices[].files[]``) or names the
    index files (``metadata.files[]`` entries of type ``index.json`` / ``index.txt``); those
    are fetched and parsed (JSON: a list of ``{uri, size, checksum}``; text: one URI a line,
    so no size or checksum). Where both kinds of index exist, the JSON one is used.

How the files are read
    Records name files as ``root://eospublic.cern.ch//eos/opendata/...``. By default
    :meth:`Portal.url` turns that into ``{server}/eos/opendata/...``: the portal serves
    ``/eos/opendata`` over HTTPS, uproot reads ``https://`` with range requests, and HTTPS
    needs nothing beyond the core dependencies and passes most firewalls. ``protocol="root"``
    keeps the XRootD URL, which is faster at CERN and on the grid but needs the optional
    ``xrootd`` extra (fsspec-xrootd).

Which server
    ``https://opendata.cern.ch``, unless an explicit ``server`` argument or the environment
    variable ``OPENCOFFEA_PORTAL`` says otherwise (a mirror, or a local stand-in in tests).

Cache
    Resolved records, with their expanded file indexes, are kept in
    ``cache_dir("portal")/<server>/record_<recid>.json``, so a second resolution needs no
    network; ``refresh=True`` fetches them again. Searches are never cached.

HTTP
    The standard library's ``urllib.request``: a client that fetches JSON and streams files
    with a ``Range`` header needs nothing more, and the portal client then adds no
    dependency of its own. Connection failures and HTTP 5xx answers are retried with
    exponential back-off (``backoff``, ``2·backoff``, ...; :data:`RETRIES` and
    :data:`BACKOFF` are the defaults), then reported as :class:`~opencoffea.errors.PortalError`.

Example:
    >>> portal = Portal()  # doctest: +SKIP
    >>> record = portal.dataset(30555)  # doctest: +SKIP
    >>> record.title, record.kind, record.validated_runs  # doctest: +SKIP
    ('/DoubleMuon/Run2016H-UL2016_MiniAODv2_NanoAODv9-v1/NANOAOD', 'data', (14220, 14221))
    >>> portal.url(record.files[0])  # doctest: +SKIP
    'https://opendata.cern.ch/eos/opendata/cms/Run2016H/DoubleMuon/NANOAOD/...root'
"""

from __future__ import annotations

import contextlib
import http.client
import json
import os
import re
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import Any, Literal

from .._version import __version__
from ..errors import PortalError
from ..util import write_atomic
from .cache import cache_dir

__all__ = [
    "BACKOFF",
    "DEFAULT_SERVER",
    "RETRIES",
    "Portal",
    "PortalFile",
    "Record",
    "RecordSummary",
    "default_server",
]

DEFAULT_SERVER = "https://opendata.cern.ch"
#: Retries after a failed attempt (connection error or HTTP 5xx), and the first back-off in
#: seconds, doubled at each retry: 1 + 2 + 4 s at most by default.
RETRIES = 3
BACKOFF = 1.0

_EOS_PUBLIC = "root://eospublic.cern.ch/"
_INDEX_NAME = re.compile(r"_file_index\.(json|txt)$")
_ANOTHER_PORTAL = "name another portal with --server URL or OPENCOFFEA_PORTAL"
_UNKNOWN_RECORD = "check the number, or find records with `opencoffea datasets search TEXT`"
_MISSING_INDEX = "the record names a file index the portal does not serve; try again later"


def default_server() -> str:
    """The portal to use when none is given: ``OPENCOFFEA_PORTAL`` if set, else the CERN one.

    Example:
        >>> from unittest import mock
        >>> with mock.patch.dict(os.environ, OPENCOFFEA_PORTAL=""):
        ...     default_server()
        'https://opendata.cern.ch'
        >>> with mock.patch.dict(os.environ, OPENCOFFEA_PORTAL="http://127.0.0.1:8000/"):
        ...     default_server()  # a mirror, or a local stand-in
        'http://127.0.0.1:8000'
    """
    return _checked_server(os.environ.get("OPENCOFFEA_PORTAL") or DEFAULT_SERVER)


def _checked_server(server: str) -> str:
    parts = urllib.parse.urlsplit(server.strip())
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise PortalError(
            f"portal server {server!r} is not an http(s) URL; give one like "
            f"{DEFAULT_SERVER} (--server URL or OPENCOFFEA_PORTAL)"
        )
    return server.strip().rstrip("/")


# ---------------------------------------------------------------------------- records


@dataclass(frozen=True)
class PortalFile:
    """One file of a record: its URI as the record gives it, size in bytes, checksum.

    ``checksum`` is ``"adler32:<hex>"``; it and ``size`` are None where the record does not
    say (files listed by a text file index).

    Example:
        >>> f = PortalFile("root://eospublic.cern.ch//eos/opendata/cms/x/a.root", 10, None)
        >>> f.name
        'a.root'
    """

    uri: str
    size: int | None = None
    checksum: str | None = None

    @property
    def name(self) -> str:
        """The file name, the last part of the URI.

        Example:
            >>> PortalFile("https://opendata.cern.ch/eos/opendata/cms/mc/x/SMHiggsToZZTo4L.root").name
            'SMHiggsToZZTo4L.root'
        """
        return self.uri.rstrip("/").rsplit("/", 1)[-1]


@dataclass(frozen=True)
class RecordSummary:
    """What the portal says of a record, without its files: one line of a search.

    ``kind`` is ``"data"`` for collision data, ``"mc"`` for simulation, None where the record
    is neither (software, documentation, validated runs). ``year`` is the year the data were
    taken (``"2011-2012"`` for a record spanning years). ``metadata`` is the portal's own
    metadata, for anything not lifted into a field.

    Example:
        >>> hit = Portal().search("DoubleMuon Run2016H", type="Dataset")[0]  # doctest: +SKIP
        >>> hit.recid, hit.kind  # doctest: +SKIP
        (30555, 'data')
    """

    recid: int
    title: str
    doi: str | None
    experiment: str | None
    type: str | None
    kind: Literal["data", "mc"] | None
    year: str | None
    number_events: int | None
    number_files: int | None
    size: int | None
    metadata: dict[str, Any] = field(repr=False, compare=False)


@dataclass(frozen=True)
class Record(RecordSummary):
    """A resolved record: its summary plus its files, validated runs and cross section.

    ``files`` are the data files, file indexes expanded. ``validated_runs`` are the records
    of the certified-luminosity (golden) JSON the record names, the full validation first
    (2016 NanoAOD: ``(14220, 14221)``, 14221 being the muon-only list).
    ``cross_section_pb`` is the record's own cross section (``cross_section.total_value``),
    None where it gives none — most records do not.

    Example:
        >>> record = Portal().record(12361)  # doctest: +SKIP
        >>> record.kind, [f.name for f in record.files]  # doctest: +SKIP
        ('mc', ['SMHiggsToZZTo4L.root'])
    """

    files: tuple[PortalFile, ...]
    validated_runs: tuple[int, ...]
    cross_section_pb: float | None


# ---------------------------------------------------------------------------- the client


class Portal:
    """A client of one CERN Open Data portal server.

    ``cache``: read resolved records from the local cache; ``refresh``: fetch them again
    (and renew the cache). ``timeout`` is per network operation, in seconds; ``retries`` and
    ``backoff`` bound the retries after connection errors and HTTP 5xx (defaults
    :data:`RETRIES`, :data:`BACKOFF`).

    Example:
        >>> portal = Portal("https://opendata.cern.ch/", refresh=True, retries=5)
        >>> portal, portal.retries, portal.backoff
        (Portal('https://opendata.cern.ch'), 5, 1.0)
        >>> portal.record(14220).title  # doctest: +SKIP
        'CMS list of validated runs Cert_271036-284044_13TeV_Legacy2016_Collisions16_JSON.txt'
    """

    def __init__(
        self,
        server: str | None = None,
        *,
        cache: bool = True,
        refresh: bool = False,
        timeout: float = 30,
        retries: int | None = None,
        backoff: float | None = None,
    ) -> None:
        self.server = _checked_server(server) if server else default_server()
        self.cache = cache
        self.refresh = refresh
        self.timeout = timeout
        self.retries = RETRIES if retries is None else retries
        self.backoff = BACKOFF if backoff is None else backoff

    def __repr__(self) -> str:
        return f"Portal({self.server!r})"

    @property
    def cache_path(self) -> Path:
        """This server's directory in the cache (records, golden JSON files).

        Example:
            >>> import tempfile
            >>> from unittest import mock
            >>> root = tempfile.mkdtemp()
            >>> with mock.patch.dict(os.environ, OPENCOFFEA_CACHE=root):
            ...     path = Portal("http://127.0.0.1:8000").cache_path
            >>> path.relative_to(root)
            PosixPath('portal/127.0.0.1_8000')
        """
        slug = re.sub(r"[^A-Za-z0-9.-]+", "_", self.server.split("://", 1)[-1]).strip("_")
        path = cache_dir("portal") / slug
        path.mkdir(parents=True, exist_ok=True)
        return path

    # ------------------------------------------------------------------ public

    def record(self, recid: int) -> Record:
        """The record ``recid``, its file indexes expanded (from the cache when there).

        Raises :class:`~opencoffea.errors.PortalError` for an unknown record, an answer that
        is not a record, or a portal that cannot be reached.

        Example:
            >>> Portal().record(14221).files[0].name  # doctest: +SKIP
            'Cert_271036-284044_13TeV_Legacy2016_Collisions16_JSON_MuonPhys.txt'
        """
        recid = int(recid)
        cached = self.cache_path / f"record_{recid}.json"
        if self.cache and not self.refresh and cached.exists():
            try:
                stored = json.loads(cached.read_text(encoding="utf-8"))
                return _record_from(stored["record"], stored["indexes"], recid)
            except (ValueError, KeyError, TypeError):
                pass  # a damaged cache entry is fetched again, not trusted
        answer = self._json(f"{self.server}/api/records/{recid}", f"record {recid}")
        if not isinstance(answer, dict) or not isinstance(answer.get("metadata"), dict):
            raise self._malformed(f"record {recid}", "no 'metadata' in the answer")
        indexes = {name: self._index(recid, name, uri) for name, uri in _indexes_to_fetch(answer)}
        try:
            record = _record_from(answer, indexes, recid)
        except ValueError as err:
            raise self._malformed(f"record {recid}", str(err)) from None
        if self.cache:
            with contextlib.suppress(OSError):  # a cache that cannot be written is no cache
                write_atomic(cached, json.dumps({"record": answer, "indexes": indexes}))
        return record

    def dataset(self, recid: int) -> Record:
        """The record ``recid``, which must be a dataset (data or simulation).

        Example:
            >>> Portal().dataset(14220)  # doctest: +SKIP
            Traceback (most recent call last):
            ...
            opencoffea.errors.PortalError: record 14220 (CMS list of validated runs ...) is ...
        """
        record = self.record(recid)
        if record.type != "Dataset":
            raise PortalError(
                f"record {record.recid} ({record.title}) is {_a(record.type or 'untyped')} "
                "record, not a dataset; give the record of a dataset, found with "
                "`opencoffea datasets search TEXT --type Dataset`"
            )
        return record

    def search(
        self,
        text: str = "",
        *,
        experiment: str | None = None,
        type: str | None = None,
        year: str | int | None = None,
        format: str | None = None,
        size: int = 20,
    ) -> list[RecordSummary]:
        """Records matching ``text`` and the facets given, best match first.

        The facets are the portal's own: ``experiment`` (``"CMS"``), ``type`` (``"Dataset"``,
        or with its subtype ``"Dataset::Simulated"``), ``year`` the data were taken and
        ``format`` (the portal's file type: ``"nanoaod"``, ``"aod"``, ...). At most ``size``
        records come back.

        Example:
            >>> hits = Portal().search("DoubleMuon", experiment="CMS", year=2016,
            ...                        format="nanoaod")  # doctest: +SKIP
            >>> sorted(h.recid for h in hits)  # doctest: +SKIP
            [30522, 30555]
        """
        query = {"q": text, "page": 1, "size": size}
        facets = {"experiment": experiment, "type": type, "year": year, "file_type": format}
        query.update({k: str(v) for k, v in facets.items() if v not in (None, "")})
        url = f"{self.server}/api/records/?{urllib.parse.urlencode(query)}"
        what = f"search {text!r}"
        answer = self._json(url, what)
        found = answer.get("hits") if isinstance(answer, dict) else None
        hits = found.get("hits") if isinstance(found, dict) else None
        if not isinstance(hits, list):
            raise self._malformed(what, "no 'hits' in the answer")
        try:
            return [_summary_from(hit, None) for hit in hits]
        except ValueError as err:
            raise self._malformed(what, str(err)) from None

    def url(self, file: PortalFile | str, protocol: Literal["https", "root"] = "https") -> str:
        """Where to read a file: over HTTPS from this server (default), or over XRootD.

        Example:
            >>> Portal("https://opendata.cern.ch").url(
            ...     "root://eospublic.cern.ch//eos/opendata/cms/Run2016H/x.root")
            'https://opendata.cern.ch/eos/opendata/cms/Run2016H/x.root'
            >>> Portal().url("root://eospublic.cern.ch//eos/opendata/cms/x.root", "root")
            'root://eospublic.cern.ch//eos/opendata/cms/x.root'
        """
        uri = file.uri if isinstance(file, PortalFile) else file
        if protocol == "root":
            return uri
        if protocol != "https":
            raise PortalError(f"protocol {protocol!r} is not known; use 'https' or 'root'")
        if uri.startswith(_EOS_PUBLIC):
            return self.server + "/" + uri[len(_EOS_PUBLIC) :].lstrip("/")
        if uri.startswith("/eos/"):
            return self.server + uri
        return uri  # already an http(s) URL, or a scheme the portal does not rewrite

    # ------------------------------------------------------------------ HTTP

    def open(
        self, url: str, what: str, headers: dict[str, str] | None = None
    ) -> http.client.HTTPResponse:
        """The open answer to ``GET url``, retrying connection errors and HTTP 5xx.

        ``what`` names the request in error messages ("record 30555"). Other HTTP errors
        (404, 416, ...) are raised as they are, as :class:`urllib.error.HTTPError`, for the
        caller to word; :mod:`opencoffea.datasets.download` streams files through this.

        Example:
            >>> url = "https://opendata.cern.ch/api/records/14220"
            >>> with Portal().open(url, "record 14220") as answer:  # doctest: +SKIP
            ...     answer.status, answer.headers["Content-Type"]
            (200, 'application/json')
        """
        request = urllib.request.Request(
            url, headers={"User-Agent": f"opencoffea/{__version__}", **(headers or {})}
        )
        server_error, problem = False, ""
        for _ in self.attempts():
            try:
                return urllib.request.urlopen(request, timeout=self.timeout)
            except urllib.error.HTTPError as err:
                if err.code < 500:
                    raise
                err.close()
                server_error, problem = True, f"HTTP {err.code} {err.reason or ''}".strip()
            except (OSError, http.client.HTTPException) as err:  # URLError is an OSError
                reason = getattr(err, "reason", None) or err
                server_error, problem = False, str(reason) or type(reason).__name__
        tries = f"{self.retries + 1} attempt{'s' if self.retries else ''}"
        if server_error:
            raise PortalError(
                f"{what}: the portal at {self.server} answered {problem} ({tries}); it may be "
                f"down for a while: try again later, or {_ANOTHER_PORTAL}"
            )
        raise PortalError(
            f"{what}: cannot reach the portal at {self.server} ({problem}; {tries}); "
            f"check the network, or {_ANOTHER_PORTAL}"
        )

    def attempts(self) -> Iterator[int]:
        """0, 1, ..., ``retries``, sleeping the exponential back-off before each retry.

        The retry schedule of every request, and of downloads that break off half-way.

        Example:
            >>> list(Portal(retries=2, backoff=0).attempts())
            [0, 1, 2]
        """
        for attempt in range(self.retries + 1):
            if attempt:
                time.sleep(self.backoff * 2 ** (attempt - 1))
            yield attempt

    def _get(self, url: str, what: str, missing: str = _UNKNOWN_RECORD) -> bytes:
        """The body of ``GET url``; ``missing`` says what to do when the portal answers 404."""
        try:
            with self.open(url, what) as answer:
                return answer.read()
        except urllib.error.HTTPError as err:
            err.close()
            if err.code == 404:
                raise PortalError(
                    f"{what} does not exist on {self.server} (HTTP 404 for {url}); {missing}"
                ) from None
            raise PortalError(
                f"{what}: the portal at {self.server} answered HTTP {err.code} {err.reason} "
                f"for {url}; try again later, or {_ANOTHER_PORTAL}"
            ) from None
        except (OSError, http.client.HTTPException) as err:  # the answer broke off
            raise PortalError(
                f"{what}: the answer from {self.server} broke off ({err}); try again, or "
                f"{_ANOTHER_PORTAL}"
            ) from None

    def _json(self, url: str, what: str) -> Any:
        body = self._get(url, what)
        try:
            return json.loads(body)
        except ValueError:
            start = body[:40].decode("utf-8", "replace").strip().replace("\n", " ")
            raise self._malformed(what, f"not JSON, it begins {start!r}") from None

    def _malformed(self, what: str, problem: str) -> PortalError:
        return PortalError(
            f"{what}: the portal at {self.server} sent an answer that is not what its API "
            f"gives ({problem}); try again with --refresh, or check --server / OPENCOFFEA_PORTAL"
        )

    def _index(self, recid: int, name: str, uri: str | None) -> list[dict[str, Any]]:
        """The files a file index lists, as ``{uri, size, checksum}`` dictionaries.

        An index named by the record's files is read where it lies on EOS (over HTTPS);
        one named only by its key, from the portal's ``/record/<recid>/file_index/<key>``.
        """
        what = f"file index {name} of record {recid}"
        url = self.url(uri) if uri else f"{self.server}/record/{recid}/file_index/{name}"
        body = self._get(url, what, _MISSING_INDEX)
        if name.endswith(".txt"):
            lines = body.decode("utf-8", "replace").splitlines()
            return [{"uri": line.strip()} for line in lines if line.strip()[:1] not in ("", "#")]
        try:
            listed = json.loads(body)
        except ValueError:
            raise self._malformed(what, "not JSON") from None
        if isinstance(listed, dict):  # tolerate {"files": [...]}
            listed = listed.get("files")
        if not isinstance(listed, list) or not all(
            isinstance(f, dict) and isinstance(f.get("uri"), str) for f in listed
        ):
            raise self._malformed(what, "not a list of {uri, size, checksum}")
        return [{k: f.get(k) for k in ("uri", "size", "checksum")} for f in listed]


# ---------------------------------------------------------------------------- parsing


def _record_from(answer: dict[str, Any], indexes: dict[str, Any], recid: int) -> Record:
    """A :class:`Record` from an API answer and the contents of its fetched file indexes.

    Raises ValueError naming what is missing from an answer that is not a record.
    """
    summary = _summary_from(answer, recid)
    meta = summary.metadata
    files: list[PortalFile] = []
    inline = [i for i in _as_list(meta.get("_file_indices")) if isinstance(i, dict)]
    for entry in inline:
        listed = entry.get("files")
        if listed is None:  # the index's content was fetched apart, by its key
            listed = indexes.get(str(entry.get("key")), [])
        files.extend(_files(listed))
    if not inline:
        for name, _uri in _index_entries(meta):
            files.extend(_files(indexes.get(name, [])))
    plain = [f for f in _as_list(meta.get("files") or meta.get("_files")) if not _is_index(f)]
    files.extend(_files(plain))
    first: dict[str, PortalFile] = {}  # by URI: a file listed twice is kept once, where first
    for file in files:
        first.setdefault(file.uri, file)
    return Record(
        **{f.name: getattr(summary, f.name) for f in fields(RecordSummary)},
        files=tuple(first.values()),
        validated_runs=_validated_runs(meta),
        cross_section_pb=_cross_section(meta),
    )


def _summary_from(hit: Any, recid: int | None) -> RecordSummary:
    """A :class:`RecordSummary` from an API answer or a search hit (ValueError if neither)."""
    meta = hit.get("metadata") if isinstance(hit, dict) else None
    if not isinstance(meta, dict):
        raise ValueError("no 'metadata'")
    number = _int(meta.get("recid")) or _int(hit.get("id")) or recid
    title = meta.get("title")
    if number is None or not isinstance(title, str):
        raise ValueError(f"no {'recid' if number is None else 'title'} in the metadata")
    kind_of = _as_dict(meta.get("type"))
    distribution = _as_dict(meta.get("distribution"))
    experiments = [str(e) for e in _as_list(meta.get("experiment"))]
    years = sorted({str(y) for y in _as_list(meta.get("date_created")) if y})
    return RecordSummary(
        recid=number,
        title=title,
        doi=meta.get("doi") or None,
        experiment=", ".join(experiments) or None,
        type=kind_of.get("primary"),
        kind=_kind(kind_of, distribution),
        year=(years[0] if len(years) == 1 else f"{years[0]}-{years[-1]}") if years else None,
        number_events=_int(distribution.get("number_events")),
        number_files=_int(distribution.get("number_files")),
        size=_int(distribution.get("size")),
        metadata=meta,
    )


def _kind(kind_of: dict[str, Any], distribution: dict[str, Any]) -> Literal["data", "mc"] | None:
    """Data or simulation: from the subtype, else (derived datasets) from the formats."""
    subtypes = {str(s).lower() for s in _as_list(kind_of.get("secondary"))}
    if kind_of.get("primary") != "Dataset":
        return None
    if "simulated" in subtypes:
        return "mc"
    if "collision" in subtypes:
        return "data"
    # Derived datasets say it in their format only: "nanoaodsim-reduced" vs "nanoaod-reduced".
    formats = [str(f).lower() for f in _as_list(distribution.get("formats"))]
    if any("sim" in f for f in formats):
        return "mc"
    if any("aod" in f or f == "raw" for f in formats):
        return "data"
    return None


def _validated_runs(meta: dict[str, Any]) -> tuple[int, ...]:
    """The golden-JSON records a record names.

    CMS records name them by link: in ``abstract.links`` (2016 NanoAOD: "Validated runs,
    full validation" → 14220, "..., muons only" → 14221; 2011/2012 AOD: 1001/1002) and in
    ``note.links``, under a description saying "The list of validated runs ... can be found
    in". A link counts when its own description says "validated runs", or its section's says
    "list of validated runs". The ``validation`` section of derived datasets links the
    *parent dataset* ("derived ... using only the validated runs"), which is not counted.
    """
    found: list[int] = []
    order = ["abstract", "note", "usage", "validation"]
    sections = [meta.get(k) for k in order] + [v for k, v in meta.items() if k not in order]
    for section in sections:
        if not isinstance(section, dict):
            continue
        says_list = "list of validated runs" in str(section.get("description", "")).lower()
        for link in _as_list(section.get("links")):
            if not isinstance(link, dict):
                continue
            own = "validated runs" in str(link.get("description", "")).lower()
            recid = _int(link.get("recid"))
            if recid and (own or says_list) and recid not in found:
                found.append(recid)
    return tuple(found)


def _cross_section(meta: dict[str, Any]) -> float | None:
    """``cross_section.total_value`` in pb (a number or a numeric string), else None."""
    block = meta.get("cross_section")
    value: Any = block.get("total_value", block.get("value")) if isinstance(block, dict) else block
    try:
        number = float(value)
    except (TypeError, ValueError):
        return None
    return number if number > 0 else None


def _indexes_to_fetch(answer: dict[str, Any]) -> list[tuple[str, str | None]]:
    """(name, uri or None) of the file indexes whose content the answer does not carry."""
    meta = answer["metadata"]
    inline = [i for i in _as_list(meta.get("_file_indices")) if isinstance(i, dict)]
    if inline:
        return [(str(i.get("key")), None) for i in inline if i.get("files") is None]
    return _index_entries(meta)


def _index_entries(meta: dict[str, Any]) -> list[tuple[str, str | None]]:
    """The index files in ``metadata.files``, the JSON one where both kinds exist."""
    entries: dict[str, tuple[str, str | None]] = {}
    for entry in _as_list(meta.get("files")):
        if _is_index(entry):
            uri = entry.get("uri")
            name = str(entry.get("key") or (uri or "").rsplit("/", 1)[-1])
            stem = name.rsplit(".", 1)[0]
            if stem not in entries or name.endswith(".json"):
                entries[stem] = (name, uri)
    return list(entries.values())


def _is_index(entry: Any) -> bool:
    if not isinstance(entry, dict):
        return False
    name = str(entry.get("key") or entry.get("uri") or "")
    return str(entry.get("type", "")).startswith("index") or bool(_INDEX_NAME.search(name))


def _files(entries: Iterable[Any]) -> list[PortalFile]:
    return [
        PortalFile(e["uri"], _int(e.get("size")), e.get("checksum") or None)
        for e in entries
        if isinstance(e, dict) and isinstance(e.get("uri"), str)
    ]


def _as_dict(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def _as_list(value: Any) -> list[Any]:
    if value is None:
        return []
    return list(value) if isinstance(value, (list, tuple)) else [value]


def _int(value: Any) -> int | None:
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


def _a(word: str) -> str:
    return f"{'an' if word[:1].lower() in 'aeiou' else 'a'} {word}"
