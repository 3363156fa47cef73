"""What a chunk returns, and what all chunks add up to: histograms, cutflows, tallies, and
the events an analysis marked for the event display.

Every piece here is an accumulator: two of them combine with ``+``, in any order and
grouping, which is what lets the executors merge the outputs of chunks in a tree.

Example:
    >>> a = Output(cutflows={"DY": Cutflow({"all events": (3, 3.0)})})
    >>> b = Output(cutflows={"DY": Cutflow({"all events": (2, 2.0)})})
    >>> (a + b).cutflows["DY"].entries
    {'all events': (5, 5.0)}
"""

from __future__ import annotations

import operator
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import hist

from .chunks import FailedChunk
from .datasets.lumis import LumiSections

__all__ = ["PLACE", "Cutflow", "FileTally", "Mark", "Marked", "Output"]


@dataclass
class Cutflow:
    """Ordered cuts with the events and the sum of weights that pass each one.

    Example:
        >>> a = Cutflow({"all": (10, 10.0), "2 muons": (4, 4.0)})
        >>> (a + a).entries["2 muons"]
        (8, 8.0)
        >>> a.as_list()[1]
        {'cut': '2 muons', 'events': 4, 'sumw': 4.0}
    """

    entries: dict[str, tuple[int, float]] = field(default_factory=dict)

    def record(self, name: str, events: int, sumw: float) -> None:
        """Add ``events`` and ``sumw`` to the cut ``name`` (appended if it is new).

        Example:
            >>> cutflow = Cutflow()
            >>> cutflow.record("all events", 10, 9.5)
            >>> cutflow.record("all events", 5, 5.0)
            >>> cutflow.entries
            {'all events': (15, 14.5)}
        """
        n, w = self.entries.get(name, (0, 0.0))
        self.entries[name] = (n + int(events), w + float(sumw))

    def __add__(self, other: Cutflow) -> Cutflow:
        out = Cutflow(dict(self.entries))
        for name, (n, w) in other.entries.items():
            out.record(name, n, w)
        return out

    def as_list(self) -> list[dict[str, Any]]:
        """The cuts in order, as the manifest writes them."""
        return [{"cut": k, "events": n, "sumw": w} for k, (n, w) in self.entries.items()]


@dataclass
class FileTally:
    """What was read of one file: events, and Σ genWeight (the Σw fallback without Runs).

    Example:
        >>> FileTally(10, 10.0, 10.0) + FileTally(5, 2.5, 1.25)
        FileTally(events=15, sumw=12.5, sumw2=11.25)
    """

    events: int = 0
    sumw: float = 0.0
    sumw2: float = 0.0

    def __add__(self, other: FileTally) -> FileTally:
        return FileTally(
            self.events + other.events, self.sumw + other.sumw, self.sumw2 + other.sumw2
        )


@dataclass(frozen=True)
class Mark:
    """One event an analysis marked (``out.mark``): where it is, who it is, what matters in it.

    ``entry`` is the event's entry in its file (not in its chunk); ``objects`` holds, per
    collection, the indices of the marked objects in the event's collection as the file has
    it, in the order the analysis gave them; ``quantities`` the numbers (and strings: the
    category) to show with the event. In JSON (a checkpoint's chunk, a result's
    ``selected_events.json``): :meth:`to_json`.

    Example:
        >>> mark = Mark("ZZ", "zz.root", 17, 1, 2, 3, {"Muon": (0, 2)}, {"m4l": 124.6})
        >>> Mark.from_json(mark.to_json()) == mark, mark.to_json()["objects"]
        (True, {'Muon': [0, 2]})
    """

    dataset: str
    file: str
    entry: int
    run: int
    lumi: int
    event: int
    objects: Mapping[str, tuple[int, ...]] = field(default_factory=dict)
    quantities: Mapping[str, float | int | str | None] = field(default_factory=dict)

    def to_json(self) -> dict[str, Any]:
        """The mark as plain JSON types (its floats read back bit for bit)."""
        return {
            "dataset": self.dataset,
            "file": self.file,
            "entry": self.entry,
            "run": self.run,
            "lumi": self.lumi,
            "event": self.event,
            "objects": {name: list(indices) for name, indices in self.objects.items()},
            "quantities": dict(self.quantities),
        }

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> Mark:
        """The mark :meth:`to_json` wrote."""
        return cls(
            data["dataset"],
            data["file"],
            data["entry"],
            data["run"],
            data["lumi"],
            data["event"],
            {name: tuple(indices) for name, indices in data["objects"].items()},
            dict(data["quantities"]),
        )


PLACE = operator.attrgetter("file", "entry")
"""The order of marks: by file, then entry (a key for ``sorted``)."""


@dataclass
class Marked:
    """The events marked under one selection name, by (file, entry), and how many there were.

    ``selected`` counts every event the selection had where it was marked; ``events`` holds
    those kept (a bounded number a chunk: :data:`~opencoffea.marking.LIMIT`), in the order
    of their file and entry, whatever the order in which chunks were added.

    Example:
        >>> a = Marked(5, [Mark("ZZ", "b.root", 3, 1, 1, 7)])
        >>> b = Marked(2, [Mark("ZZ", "a.root", 9, 1, 1, 2)])
        >>> total = a + b
        >>> total.selected, [(m.file, m.entry) for m in total.events]
        (7, [('a.root', 9), ('b.root', 3)])
        >>> Marked.from_json(total.to_json()) == total
        True
    """

    selected: int = 0
    events: list[Mark] = field(default_factory=list)

    def to_json(self) -> dict[str, Any]:
        """``selected`` and the events (:meth:`Mark.to_json`), as plain JSON types."""
        return {"selected": self.selected, "events": [mark.to_json() for mark in self.events]}

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> Marked:
        """What :meth:`to_json` wrote."""
        return cls(data["selected"], [Mark.from_json(mark) for mark in data["events"]])

    def __add__(self, other: Marked) -> Marked:
        # stable: marks of one event (two categories of a chunk) keep the chunk's order
        events = sorted([*self.events, *other.events], key=PLACE)
        return Marked(self.selected + other.selected, events)


@dataclass
class Output:
    """What a chunk returns, and what all chunks add up to (see the module example).

    ``cutflows`` holds the cutflow of each dataset under its name, and the cutflow of each
    category an analysis opened (:meth:`~opencoffea.recorder.Recorder.category`) under
    ``dataset/category``: ``"ZZ/4mu"``, or ``"ZZ/4mu/SR"`` for a category of a category.
    ``files`` maps each input file to what was read of it; ``failures`` holds one record
    per chunk that could not be processed (file, entry range, error), so that events read
    plus events in failed chunks is always the events in the input. ``marked`` holds the
    events each selection marked (:meth:`~opencoffea.recorder.Recorder.mark`), by its name.
    """

    histograms: dict[str, hist.Hist] = field(default_factory=dict)
    cutflows: dict[str, Cutflow] = field(default_factory=dict)
    files: dict[str, FileTally] = field(default_factory=dict)
    failures: list[FailedChunk] = field(default_factory=list)
    lumis: dict[str, LumiSections] = field(default_factory=dict)  # data: sections processed
    # what a run should know but does not stop it (a variation a file cannot give), by dataset
    notes: dict[str, frozenset[str]] = field(default_factory=dict)
    marked: dict[str, Marked] = field(default_factory=dict)

    def __add__(self, other: Output) -> Output:
        return Output(
            histograms=_merge(self.histograms, other.histograms),
            cutflows=_merge(self.cutflows, other.cutflows),
            files=_merge(self.files, other.files),
            failures=self.failures + other.failures,
            lumis=_merge(self.lumis, other.lumis),
            notes={
                k: self.notes.get(k, frozenset()) | other.notes.get(k, frozenset())
                for k in {**self.notes, **other.notes}
            },
            marked=_merge(self.marked, other.marked),
        )

    def cutflow(self, key: str) -> Cutflow:
        """The cutflow of a dataset, or of a category (``dataset/category``), made if new.

        Example:
            >>> Output().cutflow("ZZ/4mu").entries
            {}
        """
        return self.cutflows.setdefault(key, Cutflow())


def _merge(a: dict[str, Any], b: dict[str, Any]) -> dict[str, Any]:
    out = dict(a)
    for key, value in b.items():
        out[key] = out[key] + value if key in out else value
    return out
