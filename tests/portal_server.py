"""A stand-in for the CERN Open Data portal, served on 127.0.0.1 for tests.

It answers what the client asks of the real portal, from the real records of the test data
(``opendata/``) and with real NanoAOD files (``nanoaod/``):

``GET /api/records/<recid>``
    ``api_examples/api_records_<recid>*.json`` as they are (API shape), else the portal's own
    record source ``portal_fixture_records/record_<recid>.json`` wrapped into the API shape
    (``{created, updated, id, links, metadata}``; its index files stay in ``metadata.files``,
    so the client must fetch them), else one of the test records below; 404 otherwise.
``GET /api/records/?q=...&experiment=...&type=...&year=...&file_type=...&size=...``
    a search over all of those (every word of ``q`` in the title, description or recid;
    ``field:"value"`` for one field), in the shape of ``api_records_search_title_30555.json``.
``GET|HEAD /eos/opendata/...``
    the files of the test records and their file indexes, and the golden JSON files found in
    ``lumimasks/``, with ``Range`` (single, suffix and multiple ranges: what uproot and a
    resuming download send).
``GET /record/<recid>/file_index/<name>``
    the file indexes by name, as the portal serves them.

Test records (recids :data:`MC`, :data:`DATA_JSON`, :data:`DATA_TXT`) have real files with
their real sizes and adler32 checksums: a simulated DY sample listing its file directly and
carrying a cross section, and a DoubleMuon data sample of two files listed by a JSON index
(and a text one) or by a text index only, naming validated-runs records 14220 and 14221.

Faults for the failure paths, switched per URL path with :meth:`StandInPortal.fail`:
``"404"``, ``"500"``, ``"malformed"`` (an HTML page instead of JSON), ``"corrupt"`` (a file
with one byte changed) and ``"drop"`` (the connection closed half-way through a file).
:meth:`StandInPortal.stop` takes the server down. Every request is kept in ``requests``.

Example:
    >>> with StandInPortal(TESTDATA) as portal:  # doctest: +SKIP
    ...     portal.fail(f"/api/records/{MC}", "500", times=1)
    ...     Portal(portal.url).record(MC)  # retried once, then served
"""

from __future__ import annotations

import contextlib
import http.server
import json
import re
import socket
import threading
import urllib.parse
import zlib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

MC = 990001
DATA_JSON = 990002
DATA_TXT = 990003
EOS = "root://eospublic.cern.ch/"
MC_DIR = "/eos/opendata/cms/mc/RunIIAutumn18NanoAODv6/DYJetsToLL_M-50/NANOAODSIM/test"
DATA_DIR = "/eos/opendata/cms/Run2018A/DoubleMuon/NANOAOD/test"
DY_XSEC = 6077.22


@dataclass(frozen=True)
class Request:
    """One request the stand-in received."""

    method: str
    path: str
    query: dict[str, list[str]]
    range: str | None


class StandInPortal:
    """The stand-in portal: ``with StandInPortal(testdata) as portal: portal.url``."""

    def __init__(self, testdata: Path) -> None:
        self.opendata = testdata / "opendata"
        self.requests: list[Request] = []
        self.blobs: dict[str, Path] = {}  # URL path → file served there
        self.texts: dict[str, bytes] = {}  # URL path → generated content served there
        self.records: dict[int, dict[str, Any]] = {}
        self._faults: dict[str, tuple[str, int | None]] = {}
        self._lock = threading.Lock()
        self._load_records()
        self._add_golden_json(testdata / "lumimasks")
        self._add_test_records(testdata / "nanoaod")
        self._server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _handler(self))
        self._server.daemon_threads = True
        self._thread = threading.Thread(target=self._server.serve_forever, args=(0.05,))
        self._thread.daemon = True

    @property
    def url(self) -> str:
        """``http://127.0.0.1:<port>``, the server to give the client."""
        return f"http://127.0.0.1:{self._server.server_address[1]}"

    def __enter__(self) -> StandInPortal:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def stop(self) -> None:
        """Take the server down: from now on, connections are refused."""
        if self._thread.is_alive():
            self._server.shutdown()
            self._thread.join(timeout=5)
        self._server.server_close()

    def fail(self, path: str, kind: str, times: int | None = None) -> None:
        """Answer requests for ``path`` with a fault (``times`` times, or always)."""
        assert kind in ("404", "500", "malformed", "corrupt", "drop"), kind
        self._faults[path] = (kind, times)

    def serve_record(
        self,
        recid: int,
        files: list[Path],
        *,
        simulated: bool = False,
        cross_section: float | None = None,
        number_events: int | None = None,
        title: str | None = None,
        validated: tuple[int, ...] = (14221,),
    ) -> None:
        """Serve local files (generated ones, say) as dataset record ``recid``.

        A data record names the validated-runs records ``validated`` (by default 14221, the
        2016 muon golden JSON, whose file the test data has; 14220's it has not).
        """
        directory = f"/eos/opendata/cms/test/{recid}"
        entries = []
        for local in files:
            path = f"{directory}/{local.name}"
            self.blobs[path] = local
            entries.append(_file_entry(path, local))
        source = _dataset(
            recid, title or f"/Test/{recid}/NANOAOD", "Simulated" if simulated else "Collision"
        )
        source["files"] = entries
        source["abstract"]["links"] = (
            [{"description": "Validated runs", "recid": str(r)} for r in validated]
            if not simulated
            else []
        )
        source["distribution"]["number_files"] = len(entries)
        source["distribution"]["number_events"] = number_events
        if cross_section is not None:
            source["cross_section"] = {"total_value": str(cross_section)}
        self.records[recid] = _api_shape(source)

    def file_url(self, name: str) -> str:
        """The HTTP URL of a served file, by file name."""
        path = next(p for p in self.blobs if p.endswith("/" + name))
        return self.url + path

    def _fault(self, path: str) -> str | None:
        with self._lock:
            kind, times = self._faults.get(path, (None, None))
            if kind is not None and times is not None:
                if times <= 1:
                    del self._faults[path]
                else:
                    self._faults[path] = (kind, times - 1)
            return kind

    # ------------------------------------------------------------------ content

    def _load_records(self) -> None:
        for path in sorted((self.opendata / "portal_fixture_records").glob("record_*.json")):
            source = json.loads(path.read_text())
            self.records[int(source["recid"])] = _api_shape(source)
        for path in sorted((self.opendata / "api_examples").glob("api_records_*.json")):
            answer = json.loads(path.read_text())
            if isinstance(answer.get("id"), int):  # not the search example
                self.records[answer["id"]] = answer

    def _add_golden_json(self, lumimasks: Path) -> None:
        """Serve each validated-runs record's file that the test data has, at its EOS path."""
        for answer in self.records.values():
            for entry in answer["metadata"].get("files", []):
                local = lumimasks / entry["uri"].rsplit("/", 1)[-1]
                if "/validated-runs/" in entry["uri"] and local.exists():
                    self.blobs[_eos_path(entry["uri"])] = local

    def _add_test_records(self, nanoaod: Path) -> None:
        dy = nanoaod / "nano_dy.root"
        dimuon = nanoaod / "nano_dimuon.root"
        self.blobs[f"{MC_DIR}/nano_dy.root"] = dy
        for n in (1, 2):
            self.blobs[f"{DATA_DIR}/nano_dimuon_{n}.root"] = dimuon
        mc_file = _file_entry(f"{MC_DIR}/nano_dy.root", dy)
        data_files = [_file_entry(f"{DATA_DIR}/nano_dimuon_{n}.root", dimuon) for n in (1, 2)]

        self.records[MC] = _api_shape(
            _dataset(MC, "/DYJetsToLL_M-50/RunIIAutumn18NanoAODv6/NANOAODSIM", "Simulated")
            | {"files": [mc_file], "cross_section": {"total_value": str(DY_XSEC)}}
        )
        for recid, kinds in ((DATA_JSON, ("json", "txt")), (DATA_TXT, ("txt",))):
            indexes = []
            for kind in kinds:
                name = f"CMS_Run2018A_DoubleMuon_NANOAOD_test_{recid}_file_index.{kind}"
                path = f"{DATA_DIR}/file-indexes/{name}"
                if kind == "json":
                    content = json.dumps(
                        [{k: f[k] for k in ("uri", "size", "checksum")} for f in data_files]
                    ).encode()
                else:
                    content = "".join(f["uri"] + "\n" for f in data_files).encode()
                self.texts[path] = self.texts[f"/record/{recid}/file_index/{name}"] = content
                indexes.append(
                    {
                        "type": f"index.{kind}",
                        "uri": EOS + "/" + path.lstrip("/"),
                        "size": len(content),
                        "checksum": _adler32(content),
                    }
                )
            self.records[recid] = _api_shape(
                _dataset(recid, f"/DoubleMuon/Run2018A-test-{recid}/NANOAOD", "Collision")
                | {"files": indexes}
            )

    # ------------------------------------------------------------------ search

    def search(self, query: dict[str, list[str]]) -> dict[str, Any]:
        """The portal's answer to a search, in its API shape."""
        text = query.get("q", [""])[0]
        hits = []
        for recid, answer in sorted(self.records.items()):
            meta = answer["metadata"]
            if _matches(meta, text) and all(
                _facet(meta, name, values) for name, values in query.items()
            ):
                hits.append({"id": str(recid), "metadata": meta, "links": answer["links"]})
        size = int(query.get("size", ["10"])[0])
        return {"aggregations": {}, "hits": {"hits": hits[:size], "total": len(hits)}, "links": {}}


def _dataset(recid: int, title: str, subtype: str) -> dict[str, Any]:
    """The source of a test dataset record, like the portal's 2016 NanoAOD ones."""
    validated = [
        {"description": "Validated runs, full validation", "recid": "14220"},
        {"description": "Validated runs, muons only", "recid": "14221"},
    ]
    data = subtype == "Collision"
    return {
        "recid": str(recid),
        "title": title,
        "doi": f"10.7483/OPENDATA.CMS.TEST.{recid}",
        "experiment": ["CMS"],
        "type": {"primary": "Dataset", "secondary": [subtype]},
        "date_created": ["2018"],
        "distribution": {
            "formats": ["nanoaod" if data else "nanoaodsim", "root"],
            "number_events": 80 if data else 40,
            "number_files": 2 if data else 1,
        },
        "abstract": {
            "description": "<p>A test dataset of the stand-in portal. The list of validated "
            "runs, which must be applied to all analyses, can be found in:</p>",
            "links": validated if data else [],
        },
    }


def _api_shape(source: dict[str, Any]) -> dict[str, Any]:
    """A record source as ``GET /api/records/<recid>`` gives it."""
    recid = int(source["recid"])
    return {
        "created": "2024-04-10T12:00:00.000000+00:00",
        "updated": "2024-04-10T12:00:00.000000+00:00",
        "id": recid,
        "links": {"self": f"https://opendata.cern.ch/api/records/{recid}"},
        "metadata": source,
    }


def _file_entry(path: str, local: Path) -> dict[str, Any]:
    content = local.read_bytes()
    name = path.rsplit("/", 1)[-1]
    return {
        "uri": EOS + "/" + path.lstrip("/"),
        "size": len(content),
        "checksum": _adler32(content),
        "key": name,
    }


def _adler32(content: bytes) -> str:
    return f"adler32:{zlib.adler32(content):08x}"


def _eos_path(uri: str) -> str:
    return "/" + uri[len(EOS) :].lstrip("/")


def _matches(meta: dict[str, Any], text: str) -> bool:
    fielded = re.fullmatch(r'(\w+):"(.*)"', text.strip())
    if fielded:
        return str(meta.get(fielded[1])) == fielded[2]
    haystack = " ".join(
        [
            str(meta.get("recid")),
            str(meta.get("title")),
            str(meta.get("title_additional", "")),
            str(meta.get("abstract", {}).get("description", "")),
        ]
    ).lower()
    return all(word in haystack for word in text.lower().split())


def _facet(meta: dict[str, Any], name: str, values: list[str]) -> bool:
    kind = meta.get("type", {})
    present = {
        "experiment": meta.get("experiment", []),
        "year": meta.get("date_created", []),
        "file_type": meta.get("distribution", {}).get("formats", []),
        "type": [kind.get("primary")]
        + [f"{kind.get('primary')}::{s}" for s in kind.get("secondary", [])],
    }.get(name)
    if present is None:  # q, page, size: not facets
        return True
    present = present if isinstance(present, list) else [present]
    return any(value in present for value in values)


# ---------------------------------------------------------------------------- HTTP


def _handler(portal: StandInPortal) -> type[http.server.BaseHTTPRequestHandler]:
    class Handler(http.server.BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"  # keep-alive, as uproot and aiohttp expect
        timeout = 10  # a stuck client must not hold a thread for ever

        def log_message(self, *args: object) -> None:  # quiet
            pass

        def do_HEAD(self) -> None:
            self.do_GET()

        def do_GET(self) -> None:
            url = urllib.parse.urlsplit(self.path)
            path = urllib.parse.unquote(url.path)
            query = urllib.parse.parse_qs(url.query, keep_blank_values=True)
            portal.requests.append(Request(self.command, path, query, self.headers.get("Range")))
            fault = portal._fault(path)
            if fault == "404":
                return self._send(404, b'{"status": 404, "message": "PID is not registered."}')
            if fault == "500":
                return self._send(500, b'{"status": 500, "message": "Internal server error."}')
            if fault == "malformed":
                return self._send(200, b"<html><body>Maintenance</body></html>", "text/html")
            record = re.fullmatch(r"/api/records/(\d+)", path)
            if record:
                answer = portal.records.get(int(record[1]))
                if answer is None:
                    return self._send(404, b'{"status": 404, "message": "PID does not exist."}')
                return self._send(200, json.dumps(answer).encode())
            if path in ("/api/records", "/api/records/"):
                return self._send(200, json.dumps(portal.search(query)).encode())
            if path in portal.texts:
                return self._send(200, portal.texts[path], "text/plain")
            if path in portal.blobs:
                content = portal.blobs[path].read_bytes()
                if fault == "corrupt":
                    middle = len(content) // 2
                    content = (
                        content[:middle] + bytes([content[middle] ^ 0xFF]) + content[middle + 1 :]
                    )
                return self._send_file(content, drop=fault == "drop")
            return self._send(404, b"<html>Not found</html>", "text/html")

        def _send(self, status: int, body: bytes, kind: str = "application/json") -> None:
            self.send_response(status)
            self.send_header("Content-Type", kind)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            if self.command != "HEAD":
                self.wfile.write(body)

        def _send_file(self, content: bytes, drop: bool) -> None:
            size = len(content)
            ranges = _ranges(self.headers.get("Range"), size)
            if ranges == []:
                self.send_response(416)
                self.send_header("Content-Range", f"bytes */{size}")
                self.send_header("Content-Length", "0")
                return self.end_headers()
            if ranges is None:
                status, body, kind, extra = 200, content, "application/octet-stream", {}
            elif len(ranges) == 1:
                ((start, stop),) = ranges
                status, body, kind = 206, content[start:stop], "application/octet-stream"
                extra = {"Content-Range": f"bytes {start}-{stop - 1}/{size}"}
            else:
                boundary = "STANDINPORTALBOUNDARY"
                parts = [
                    f"--{boundary}\r\nContent-Type: application/octet-stream\r\n"
                    f"Content-Range: bytes {a}-{b - 1}/{size}\r\n\r\n".encode()
                    + content[a:b]
                    + b"\r\n"
                    for a, b in ranges
                ]
                status, body = 206, b"".join(parts) + f"--{boundary}--\r\n".encode()
                kind, extra = f"multipart/byteranges; boundary={boundary}", {}
            self.send_response(status)
            self.send_header("Content-Type", kind)
            self.send_header("Content-Length", str(len(body)))
            self.send_header("Accept-Ranges", "bytes")
            for key, value in extra.items():
                self.send_header(key, value)
            self.end_headers()
            if self.command == "HEAD":
                return
            if drop:  # half the body, then the connection goes away
                self.wfile.write(body[: len(body) // 2])
                self.wfile.flush()
                self.close_connection = True
                with contextlib.suppress(OSError):
                    self.connection.shutdown(socket.SHUT_RDWR)
                return
            self.wfile.write(body)

    return Handler


def _ranges(header: str | None, size: int) -> list[tuple[int, int]] | None:
    """[(start, stop)] of a ``Range`` header; None for the whole file, [] if unsatisfiable."""
    if not header or not header.startswith("bytes="):
        return None
    ranges = []
    for spec in header[len("bytes=") :].split(","):
        first, _, last = spec.strip().partition("-")
        if first == "":  # the last N bytes
            start, stop = max(size - int(last), 0), size
        else:
            start, stop = int(first), min(int(last) + 1 if last else size, size)
        if start >= size or start >= stop:
            return []
        ranges.append((start, stop))
    return ranges
