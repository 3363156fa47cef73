"""The events to show, read with uproot: only the entries chosen, only the branches drawn.

A source is a NanoAOD file (a path or a URL uproot reads), ``record:N`` of the CERN Open Data
portal (its files over HTTPS, through :class:`~opencoffea.datasets.portal.Portal`), or a list of
:class:`Pick` (a file and an entry each, with what to mark in that event): the form an
analysis's selected events take. From a file or a record the events are chosen by

- ``ids``: ``(run, luminosityBlock, event)`` triples (or ``"RUN:LUMI:EVENT"``): to find them,
  the three ID branches are read, and nothing else of the events not chosen;
- ``entries``: entry numbers, counted across a record's files in their order;
- neither: the first events; ``max_events`` bounds the count either way.

Of the entries chosen, the branches drawn (:mod:`~opencoffea.display.catalogue`) are read
with one read per cluster that holds any of them, so that no basket is decompressed twice
and the clusters between are never touched; :attr:`Reading.files` tells how many bytes that
took of each file's size. Nothing loads a whole file.

Example:
    >>> reading = read_events(nano_dy, entries=[3, 7])
    >>> [(e.entry, e.event) for e in reading.events]
    [(3, 3749768), (7, 3749786)]
    >>> sorted(reading.events[0].columns)[:4]
    ['Electron_charge', 'Electron_cutBased', 'Electron_dxy', 'Electron_dz']
    >>> reading.files[0].bytes_read < reading.files[0].size / 2
    True
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Iterator, Mapping, Sequence
from concurrent.futures import Executor, ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import awkward as ak
import numpy as np

from ..datasets.portal import Portal
from ..errors import InputFileError
from ..events import EVENT_TREES, open_file, read_errors_as_input_errors
from ..nanoaod import flavour_of, is_data, trees_of, version_of
from .catalogue import present, scalars_present

__all__ = [
    "DEFAULT_MAX",
    "EventData",
    "FileRead",
    "Pick",
    "Reading",
    "from_nanoevents",
    "parse_id",
    "read_events",
]

DEFAULT_MAX = 10
"""Events shown when none are chosen and no ``max_events`` is given."""

_IDS = ("run", "luminosityBlock", "event")


@dataclass(frozen=True)
class Pick:
    """One event to show: its file and entry, and what to mark in it.

    ``highlight`` gives, per collection, the indices of the objects that matter (drawn
    brighter and thicker); ``quantities`` the numbers to show with the event (``m4l``, ...).

    Example:
        >>> Pick("h4l.root", 17, {"Muon": frozenset({0, 2})}, {"m4l": 124.6}).quantities
        {'m4l': 124.6}
    """

    file: str
    entry: int
    highlight: Mapping[str, frozenset[int]] = field(default_factory=dict)
    quantities: Mapping[str, float | str] = field(default_factory=dict)


Source = str | Path | Sequence[Pick | tuple[str, int]]


@dataclass
class EventData:
    """One event as read: where it is, who it is, and its drawn branches' values.

    ``columns`` maps a branch name (``"Muon_pt"``) to that event's values (an array for a
    collection, a 0-d array for a flat branch such as ``"MET_pt"``).
    """

    file: str | None
    entry: int | None
    run: int | None
    lumi: int | None
    event: int | None
    columns: dict[str, np.ndarray]
    highlight: Mapping[str, frozenset[int]] = field(default_factory=dict)
    quantities: Mapping[str, float | str] = field(default_factory=dict)
    dataset: str | None = None
    is_data: bool | None = None
    version: str | None = None  # the NanoAOD release; "outreach" for the reduced format


@dataclass(frozen=True)
class FileRead:
    """What reading took of one file: its size and the bytes read from it, both in bytes."""

    path: str
    size: int
    bytes_read: int


@dataclass
class Reading:
    """The events read, in the order chosen, and what each file gave for them."""

    events: list[EventData]
    files: list[FileRead]


def parse_id(text: str | Sequence[int]) -> tuple[int, int, int]:
    """``"RUN:LUMI:EVENT"`` (or a triple) as ``(run, lumi, event)``.

    Example:
        >>> parse_id("315267:205:197798546")
        (315267, 205, 197798546)
        >>> parse_id("315267:205")
        Traceback (most recent call last):
        ...
        ValueError: '315267:205' is not RUN:LUMI:EVENT (three whole numbers, e.g. 1:2:3)
    """
    parts = text.split(":") if isinstance(text, str) else list(text)
    try:
        run, lumi, event = (int(p) for p in parts)
    except ValueError:
        raise ValueError(
            f"{text!r} is not RUN:LUMI:EVENT (three whole numbers, e.g. 1:2:3)"
        ) from None
    return run, lumi, event


def read_events(
    source: Source,
    *,
    ids: Iterable[str | Sequence[int]] | None = None,
    entries: Iterable[int] | None = None,
    max_events: int | None = None,
    server: str | None = None,
) -> Reading:
    """The events of ``source`` chosen by ``ids``, ``entries`` or neither (the first ones).

    ``server`` is the portal of ``record:N`` sources (default: ``OPENCOFFEA_PORTAL``, else
    the CERN one).

    Example:
        >>> reading = read_events(nano_dy, ids=["1:13889:3749786"])
        >>> reading.events[0].entry, reading.events[0].dataset
        (7, 'nano_dy.root')
    """
    if not isinstance(source, (str, Path)):
        if ids is not None or entries is not None:
            raise ValueError("a list of picked events is chosen already: give no ids or entries")
        picks = [p if isinstance(p, Pick) else Pick(str(p[0]), int(p[1])) for p in source]
        return _read_picks(picks[:max_events] if max_events is not None else picks)
    wanted_ids = [parse_id(i) for i in ids] if ids is not None else None
    wanted_entries = [int(e) for e in entries] if entries is not None else None
    if wanted_ids is None and wanted_entries is None and max_events is None:
        max_events = DEFAULT_MAX
    text = str(source)
    if text.startswith("record:"):
        paths, dataset = _record(text, server)
    else:
        paths, dataset = [text], None
    files = _Files(paths, dataset)
    try:
        if wanted_ids is not None:
            picks = files.find_ids(wanted_ids)
        elif wanted_entries is not None:
            picks = files.find_entries(wanted_entries)
        else:
            picks = files.first(max_events or 0)
        if max_events is not None:
            picks = picks[:max_events]
        return _read_picks(picks, files)
    finally:
        files.close()


def _record(text: str, server: str | None) -> tuple[list[str], str]:
    """The file URLs and title of ``record:N``."""
    try:
        recid = int(text.split(":", 1)[1])
    except ValueError:
        raise ValueError(f"{text!r} is not record:N (N the number of a portal record)") from None
    portal = Portal(server)
    record = portal.dataset(recid)
    return [portal.url(f) for f in record.files], record.title


class _Files:
    """The files of a source, each opened when first needed and kept open until closed.

    Baskets are decompressed by a pool of one thread a core: LZMA (real NanoAOD's), ZLIB,
    LZ4 and ZSTD release the GIL, and decompressing is most of the time a display takes.
    """

    def __init__(self, paths: list[str], dataset: str | None = None) -> None:
        self.paths = paths
        self.dataset = dataset
        self._open: dict[str, tuple[Any, Any]] = {}
        cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
        self.decompression = ThreadPoolExecutor(cores or 1, thread_name_prefix="display-read")

    def tree(self, path: str) -> tuple[Any, Any]:
        """The open file and its events tree."""
        if path not in self._open:
            file = open_file(path)
            with read_errors_as_input_errors(path):
                trees = trees_of(file)
                name = next((t for t in EVENT_TREES if t in trees), None)
                if name is None:
                    raise InputFileError(
                        path,
                        "has no events tree (looked for 'Events' and 'aod2nanoaod/Events')",
                        hint=f"trees in the file: {', '.join(trees) or 'none'}",
                    )
                self._open[path] = (file, file[name])
        return self._open[path]

    def close(self) -> None:
        for file, _ in self._open.values():
            file.close()
        self.decompression.shutdown()

    def read(self) -> list[FileRead]:
        return [
            FileRead(path, file.file.source.num_bytes, file.file.source.num_requested_bytes)
            for path, (file, _) in self._open.items()
        ]

    def _sizes(self) -> Iterator[tuple[str, int]]:
        for path in self.paths:
            yield path, int(self.tree(path)[1].num_entries)

    def first(self, count: int) -> list[Pick]:
        picks: list[Pick] = []
        for path, entries in self._sizes():
            if len(picks) >= count:
                break
            picks += [Pick(path, e) for e in range(min(entries, count - len(picks)))]
        return picks

    def find_entries(self, wanted: list[int]) -> list[Pick]:
        where: dict[int, Pick] = {}
        offset = 0
        for path, entries in self._sizes():
            if all(e in where or e < 0 for e in wanted):
                break
            for e in wanted:
                if offset <= e < offset + entries:
                    where[e] = Pick(path, e - offset)
            offset += entries
        missing = [e for e in wanted if e not in where]
        if missing:
            raise InputFileError(
                self._name(),
                f"has no entry {', '.join(map(str, missing))}",
                hint=f"its entries are 0 to {offset - 1}" if offset else "it has no events",
            )
        return [where[e] for e in wanted]

    def find_ids(self, wanted: list[tuple[int, int, int]]) -> list[Pick]:
        where: dict[tuple[int, int, int], Pick] = {}
        for path, _ in self._sizes():
            if len(where) == len(set(wanted)):
                break
            tree = self.tree(path)[1]
            missing = [b for b in _IDS if b not in tree]
            if missing:
                raise InputFileError(
                    path, f"has no branch {', '.join(missing)}: events cannot be found by ID"
                )
            with read_errors_as_input_errors(path):
                ids = tree.arrays(list(_IDS), library="np")
            # Events whose number is wanted, then their run and lumi: no pass per wanted event.
            numbers = ids["event"].astype(np.int64)
            candidates = np.flatnonzero(np.isin(numbers, [t[2] for t in wanted]))
            for entry in candidates:
                triple = (
                    int(ids["run"][entry]),
                    int(ids["luminosityBlock"][entry]),
                    int(numbers[entry]),
                )
                if triple in wanted and triple not in where:
                    where[triple] = Pick(path, int(entry))
        missing_ids = [":".join(map(str, t)) for t in wanted if t not in where]
        if missing_ids:
            raise InputFileError(self._name(), f"has no event {', '.join(missing_ids)}")
        return [where[t] for t in wanted]

    def _name(self) -> str:
        return self.dataset or ", ".join(self.paths)


def _read_picks(picks: list[Pick], files: _Files | None = None) -> Reading:
    """Read the events of ``picks``, file by file and cluster by cluster, in their order."""
    own = files is None
    files = files or _Files(list(dict.fromkeys(p.file for p in picks)))
    try:
        read: dict[int, EventData] = {}
        for path in dict.fromkeys(p.file for p in picks):
            chosen = [i for i, p in enumerate(picks) if p.file == path]
            file, tree = files.tree(path)
            events = _read_file(path, file, tree, picks, chosen, files.decompression)
            for i, event in zip(chosen, events, strict=True):
                event.dataset = files.dataset or Path(path).name
                read[i] = event
        return Reading([read[i] for i in range(len(picks))], files.read())
    finally:
        if own:
            files.close()


def _read_file(
    path: str,
    file: Any,
    tree: Any,
    picks: list[Pick],
    chosen: list[int],
    decompression: Executor,
) -> list[EventData]:
    branches = frozenset(tree.keys())
    names = [f"{c}_{f}" for c, fields in present(branches).items() for f in fields]
    names += [f"{c}_{f}" for c, fields in scalars_present(branches).items() for f in fields]
    names += [b for b in _IDS if b in branches]
    entries = np.array([picks[i].entry for i in chosen], dtype=np.int64)
    bad = entries[(entries < 0) | (entries >= tree.num_entries)]
    if len(bad):
        raise InputFileError(
            path, f"has no entry {bad[0]}", hint=f"it has {tree.num_entries} entries"
        )
    flavour = flavour_of(tree.object_path.lstrip("/").split(";")[0], branches)
    version = "outreach" if flavour == "outreach" else version_of(path, tree, branches, file)
    values = _columns(path, tree, names, entries, decompression)
    events = []
    for k, i in enumerate(chosen):
        columns = {name: np.asarray(column[k]) for name, column in values.items()}
        events.append(
            EventData(
                file=path,
                entry=int(entries[k]),
                run=_id(columns.pop("run", None)),
                lumi=_id(columns.pop("luminosityBlock", None)),
                event=_id(columns.pop("event", None)),
                columns=columns,
                highlight=picks[i].highlight,
                quantities=picks[i].quantities,
                is_data=is_data(branches),
                version=version,
            )
        )
    return events


def _id(value: np.ndarray | None) -> int | None:
    return None if value is None else int(value)


def _rows(array: ak.Array) -> list[np.ndarray]:
    """One numpy array an entry (0-d for a flat branch), in two conversions, not one an entry."""
    if array.ndim == 1:
        return list(ak.to_numpy(array))
    counts = ak.to_numpy(ak.num(array))
    return np.split(ak.to_numpy(ak.flatten(array)), np.cumsum(counts)[:-1])


def _columns(
    path: str, tree: Any, names: list[str], entries: np.ndarray, decompression: Executor
) -> dict[str, list[np.ndarray]]:
    """Each branch's values at ``entries`` (in their order), one read per cluster touched."""
    edges = np.asarray(tree.common_entry_offsets(), dtype=np.int64)
    cluster = np.searchsorted(edges, entries, side="right") - 1
    out: dict[str, list[np.ndarray]] = {name: [np.empty(0)] * len(entries) for name in names}
    for c in np.unique(cluster):
        positions = np.flatnonzero(cluster == c)
        start, stop = int(entries[positions].min()), int(entries[positions].max()) + 1
        with read_errors_as_input_errors(path):
            arrays = tree.arrays(
                names,
                entry_start=start,
                entry_stop=stop,
                how=dict,
                decompression_executor=decompression,
            )
        for name, array in arrays.items():
            for position, value in zip(
                positions, _rows(array[entries[positions] - start]), strict=True
            ):
                out[name][position] = value
    return out


def from_nanoevents(
    events: ak.Array,
    *,
    highlight: Mapping[str, Any] | None = None,
    quantities: Mapping[str, Any] | None = None,
    max_events: int | None = None,
) -> Reading:
    """The events of a NanoEvents array (what ``analyze`` gets), as :class:`EventData`.

    ``highlight`` maps a collection to the indices of the objects to mark, one list an event;
    ``quantities`` a name to one value an event. Only the fields drawn are read of the
    first ``max_events`` events (default :data:`DEFAULT_MAX`); the events of an array have no
    entry number (a selection loses it), so ``entry`` is None.

    Example:
        >>> reading = from_nanoevents(events[:2], highlight={"Muon": [[0], []]})
        >>> [(e.event, dict(e.highlight)) for e in reading.events]
        [(3749778, {'Muon': frozenset({0})}), (3749762, {'Muon': frozenset()})]
    """
    count = min(len(events), DEFAULT_MAX if max_events is None else max_events)
    events = events[:count]
    branches = frozenset(
        f"{name}_{sub}" if sub else name
        for name in events.fields
        for sub in (events[name].fields or [""])
    )
    wanted = {**present(branches), **scalars_present(branches)}
    values = {
        f"{name}_{f}": ak.to_list(events[name][f])
        for name, fields in wanted.items()
        for f in fields
    }
    ids = {b: ak.to_list(events[b]) if b in events.fields else [None] * count for b in _IDS}
    metadata = getattr(events, "metadata", None) or {}
    marks = {k: ak.to_list(v)[:count] for k, v in (highlight or {}).items()}
    numbers = {k: ak.to_list(v)[:count] for k, v in (quantities or {}).items()}
    out = []
    for i in range(count):
        out.append(
            EventData(
                file=metadata.get("filename"),
                entry=None,
                run=ids["run"][i],
                lumi=ids["luminosityBlock"][i],
                event=ids["event"][i],
                columns={name: np.asarray(column[i]) for name, column in values.items()},
                highlight={k: frozenset(int(j) for j in v[i]) for k, v in marks.items()},
                quantities={k: v[i] for k, v in numbers.items()},
                dataset=metadata.get("dataset")
                or (Path(metadata["filename"]).name if "filename" in metadata else None),
                is_data="genWeight" not in events.fields,
                version=metadata.get("nanoaod_version")
                or ("outreach" if metadata.get("nanoaod_flavour") == "outreach" else None),
            )
        )
    return Reading(out, [])
