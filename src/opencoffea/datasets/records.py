"""What the CERN Open Data portal says of a record: its JSON, parsed into :class:`Record`.

The portal's REST API answers ``GET /api/records/{recid}`` with a record: title, DOI, what
kind of record it is, its size, its files with size and adler32 checksum, the
validated-runs (golden JSON) records it names and, for simulation, the cross section where
the record has one. A search answers with hits of the same shape. Parsing is a pure function
of that JSON (and of the file indexes fetched beside it): :mod:`opencoffea.datasets.portal`
fetches, this module reads.

Where the files are
    A dataset of many files lists them in file indexes rather than one by one. The API
    answer either carries them inline (``metadata._file_indices[].files[]``) or names the
    index files (``metadata.files[]`` entries of type ``index.json`` / ``index.txt``); those
    are fetched and parsed (JSON: a list of ``{uri, size, checksum}``; text: one URI a line,
    so no size or checksum). Where both kinds of index exist, the JSON one is used.

Example:
    >>> import json
    >>> answer = testdata / "opendata" / "api_examples" / "api_records_12361.json"
    >>> record = record_from(json.loads(answer.read_text()), {}, 12361)
    >>> record.title
    'SMHiggsToZZTo4L dataset in reduced NanoAOD format for education and outreach'
    >>> record.kind, [(f.name, f.size) for f in record.files]
    ('mc', [('SMHiggsToZZTo4L.root', 42400229)])
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable
from dataclasses import dataclass, field, fields
from typing import Any, Literal

__all__ = [
    "PortalFile",
    "Record",
    "RecordSummary",
    "index_files",
    "indexes_to_fetch",
    "record_from",
    "summary_from",
]

_INDEX_NAME = re.compile(r"_file_index\.(json|txt)$")


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
        A search hit says little more than the title:

        >>> import json
        >>> answer = testdata / "opendata" / "api_examples" / "api_records_search_title_30555.json"
        >>> hit = summary_from(json.loads(answer.read_text())["hits"]["hits"][0], None)
        >>> hit.recid, hit.title, hit.kind
        (30555, '/DoubleMuon/Run2016H-UL2016_MiniAODv2_NanoAODv9-v1/NANOAOD', None)
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
        A 2016 NanoAOD dataset, its file index inline in the answer (the stored answer lists
        4 of the 28 files):

        >>> import json
        >>> examples = testdata / "opendata" / "api_examples"
        >>> answer = examples / "api_records_30555.SYNTHETIC_FILE_LIST.json"
        >>> record = record_from(json.loads(answer.read_text()), {}, 30555)
        >>> record.kind, record.year, record.validated_runs, record.cross_section_pb
        ('data', '2016', (14220, 14221), None)
        >>> record.number_files, len(record.files), record.files[0].name
        (28, 4, '127C2975-1B1C-A046-AABF-62B77E757A86.root')
    """

    files: tuple[PortalFile, ...]
    validated_runs: tuple[int, ...]
    cross_section_pb: float | None


# ---------------------------------------------------------------------------- parsing


def record_from(answer: dict[str, Any], indexes: dict[str, Any], recid: int) -> Record:
    """A :class:`Record` from an API answer and the contents of its fetched file indexes.

    ``indexes`` maps the names of :func:`indexes_to_fetch` to what :func:`index_files` read
    of them; ``recid`` stands in where the answer does not say its own number. Raises
    ValueError naming what is missing from an answer that is not a record.

    Example:
        >>> import json
        >>> answer = testdata / "opendata" / "api_examples" / "api_records_14220.json"
        >>> golden = record_from(json.loads(answer.read_text()), {}, 14220)
        >>> golden.type, golden.kind, golden.files[0].checksum
        ('Environment', None, 'adler32:8690115c')

        An answer that names its file index, and the index's content:

        >>> index = {"key": "a_file_index.json", "type": "index.json"}
        >>> answer = {"metadata": {"recid": 7, "title": "A", "files": [index]}}
        >>> listed = [{"uri": "root://eospublic.cern.ch//eos/opendata/cms/a.root", "size": 9}]
        >>> record = record_from(answer, {"a_file_index.json": listed}, 7)
        >>> [(f.name, f.size, f.checksum) for f in record.files]
        [('a.root', 9, None)]
        >>> record_from({"metadata": {"recid": 7}}, {}, 7)
        Traceback (most recent call last):
        ...
        ValueError: no title in the metadata
    """
    summary = summary_from(answer, recid)
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


def summary_from(hit: Any, recid: int | None) -> RecordSummary:
    """A :class:`RecordSummary` from an API answer or a search hit (ValueError if neither).

    ``recid`` stands in where the answer does not say its own number (None for a search hit).

    Example:
        The reduced NanoAOD of 2012 is a derived dataset: its format says it is data.

        >>> import json
        >>> answer = testdata / "opendata" / "api_examples" / "api_records_12365.json"
        >>> summary = summary_from(json.loads(answer.read_text()), None)
        >>> summary.recid, summary.kind, summary.number_events, summary.doi
        (12365, 'data', 26084708, '10.7483/OPENDATA.CMS.04XV.ESBR')
    """
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


def indexes_to_fetch(answer: dict[str, Any]) -> list[tuple[str, str | None]]:
    """(name, uri or None) of the file indexes whose content the answer does not carry.

    A URI says where the index lies on EOS; None, that the portal serves it by its key.

    Example:
        >>> indexes_to_fetch({"metadata": {"files": [
        ...     {"key": "a_file_index.txt", "type": "index.txt", "uri": "root://x//eos/a.txt"},
        ...     {"key": "a_file_index.json", "type": "index.json", "uri": "root://x//eos/a.json"},
        ...     {"key": "notes.txt", "uri": "root://x//eos/notes.txt"}]}})
        [('a_file_index.json', 'root://x//eos/a.json')]
        >>> indexes_to_fetch({"metadata": {"_file_indices": [{"key": "b_file_index.json"}]}})
        [('b_file_index.json', None)]
    """
    meta = answer["metadata"]
    inline = [i for i in _as_list(meta.get("_file_indices")) if isinstance(i, dict)]
    if inline:
        return [(str(i.get("key")), None) for i in inline if i.get("files") is None]
    return _index_entries(meta)


def index_files(name: str, body: bytes) -> list[dict[str, Any]]:
    """The files a file index lists, as ``{uri, size, checksum}`` dictionaries.

    ``name`` says the kind: ``.txt``, one URI a line (``#`` comments), so no size or checksum;
    else JSON, a list of ``{uri, size, checksum}`` (or ``{"files": [...]}``). Raises
    ValueError saying what is wrong with a JSON index that is not one.

    Example:
        >>> index_files("a_file_index.txt", b"# DoubleMuon\\nroot://x//eos/a.root\\n")
        [{'uri': 'root://x//eos/a.root'}]
        >>> index_files("a_file_index.json", b'[{"uri": "root://x//eos/a.root", "size": 9}]')
        [{'uri': 'root://x//eos/a.root', 'size': 9, 'checksum': None}]
        >>> index_files("a_file_index.json", b"<html>")
        Traceback (most recent call last):
        ...
        ValueError: not JSON
    """
    if name.endswith(".txt"):
        lines = body.decode("utf-8", "replace").splitlines()
        return [{"uri": line.strip()} for line in lines if line.strip()[:1] not in ("", "#")]
    try:
        listed = json.loads(body)
    except ValueError:
        raise ValueError("not JSON") from None
    if isinstance(listed, dict):  # tolerate {"files": [...]}
        listed = listed.get("files")
    if not isinstance(listed, list) or not all(
        isinstance(f, dict) and isinstance(f.get("uri"), str) for f in listed
    ):
        raise ValueError("not a list of {uri, size, checksum}")
    return [{k: f.get(k) for k in ("uri", "size", "checksum")} for f in listed]


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
