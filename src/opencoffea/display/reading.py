"""The events to show, read with uproot: only the entries chosen, only the branches drawn.

A source is a NanoAOD file, ``record:N`` of the portal, or a list of
:class:`~opencoffea.display.choosing.Pick` (see :mod:`~opencoffea.display.choosing`). From a
file or a record the events are chosen by

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

from collections.abc import Iterable, Mapping, Sequence
from concurrent.futures import Executor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import awkward as ak
import numpy as np

from ..errors import InputFileError
from ..events import EVENT_IDS, read_errors_as_input_errors
from ..nanoaod import flavour_of, is_data, version_of
from .catalogue import present, scalars_present
from .choosing import FileRead, Files, Pick, parse_id, record_files

__all__ = [
    "DEFAULT_MAX",
    "EventData",
    "Reading",
    "from_nanoevents",
    "read_events",
]

DEFAULT_MAX = 10
"""Events shown when none are chosen and no ``max_events`` is given."""

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
    quantities: Mapping[str, float | str | None] = field(default_factory=dict)
    dataset: str | None = None
    is_data: bool | None = None
    version: str | None = None  # the NanoAOD release; "outreach" for the reduced format


@dataclass
class Reading:
    """The events read, in the order chosen, and what each file gave for them."""

    events: list[EventData]
    files: list[FileRead]


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
        paths, dataset = record_files(text, server)
    else:
        paths, dataset = [text], None
    files = Files(paths, dataset)
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


def _read_picks(picks: list[Pick], files: Files | None = None) -> Reading:
    """Read the events of ``picks``, file by file and cluster by cluster, in their order."""
    own = files is None
    files = files or Files(list(dict.fromkeys(p.file for p in picks)))
    try:
        read: dict[int, EventData] = {}
        for path in dict.fromkeys(p.file for p in picks):
            chosen = [i for i, p in enumerate(picks) if p.file == path]
            file, tree = files.tree(path)
            events = _read_file(path, file, tree, picks, chosen, files.decompression)
            for i, event in zip(chosen, events, strict=True):
                event.dataset = picks[i].dataset or files.dataset or Path(path).name
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
    names += [b for b in EVENT_IDS if b in branches]
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
    ids = {b: ak.to_list(events[b]) if b in events.fields else [None] * count for b in EVENT_IDS}
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
