"""The client of the CERN Open Data portal: fetching records, their file indexes, searches.

A record is resolved through the portal's REST API, ``GET {server}/api/records/{recid}``,
into a :class:`~opencoffea.datasets.records.Record` (title, kind, files, validated runs,
cross section: what :mod:`opencoffea.datasets.records` reads of the answer). This module
does the talking: which server, HTTP with retries, the file indexes a record names but
does not carry, and the cache.

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
from collections.abc import Iterator
from pathlib import Path
from typing import Any, Literal

from .._version import __version__
from ..errors import PortalError
from ..util import write_atomic
from .cache import cache_dir
from .records import (
    PortalFile,
    Record,
    RecordSummary,
    index_files,
    indexes_to_fetch,
    record_from,
    summary_from,
)

__all__ = ["BACKOFF", "DEFAULT_SERVER", "RETRIES", "Portal", "default_server"]

DEFAULT_SERVER = "https://opendata.cern.ch"
#: Retries after a failed attempt (connection error or HTTP 5xx), and the first back-off in
#: seconds, doubled at each retry: 1 + 2 + 4 s at most by default.
RETRIES = 3
BACKOFF = 1.0

_EOS_PUBLIC = "root://eospublic.cern.ch/"
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
                return record_from(stored["record"], stored["indexes"], recid)
            except (ValueError, KeyError, TypeError):
                pass  # a damaged cache entry is fetched again, not trusted
        answer = self._json(f"{self.server}/api/records/{recid}", f"record {recid}")
        if not isinstance(answer, dict) or not isinstance(answer.get("metadata"), dict):
            raise self._malformed(f"record {recid}", "no 'metadata' in the answer")
        indexes = {name: self._index(recid, name, uri) for name, uri in indexes_to_fetch(answer)}
        try:
            record = record_from(answer, indexes, recid)
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
            return [summary_from(hit, None) for hit in hits]
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
        try:
            return index_files(name, body)
        except ValueError as err:
            raise self._malformed(what, str(err)) from None


def _a(word: str) -> str:
    return f"{'an' if word[:1].lower() in 'aeiou' else 'a'} {word}"
