"""What a chunk returns, and what all chunks add up to: histograms, cutflows, tallies.

Every piece here is an accumulator: two of them combine with ``+``, in any order and
grouping, which is what lets the executors merge the outputs of chunks in a tree.

Example:
    >>> a = Output(cutflows={"DY": Cutflow({"all events": (3, 3.0)})})
    >>> b = Output(cutflows={"DY": Cutflow({"all events": (2, 2.0)})})
    >>> (a + b).cutflows["DY"].entries
    {'all events': (5, 5.0)}
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import hist

from .chunks import FailedChunk
from .datasets.lumis import LumiSections

__all__ = ["Cutflow", "FileTally", "Output"]


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


@dataclass
class Output:
    """What a chunk returns, and what all chunks add up to (see the module example).

    ``cutflows`` holds the cutflow of each dataset under its name, and the cutflow of each
    category an analysis opened (:meth:`~opencoffea.recorder.Recorder.category`) under
    ``dataset/category``: ``"ZZ/4mu"``, or ``"ZZ/4mu/SR"`` for a category of a category.
    ``files`` maps each input file to what was read of it; ``failures`` holds one record
    per chunk that could not be processed (file, entry range, error), so that events read
    plus events in failed chunks is always the events in the input.
    """

    histograms: dict[str, hist.Hist] = field(default_factory=dict)
    cutflows: dict[str, Cutflow] = field(default_factory=dict)
    files: dict[str, FileTally] = field(default_factory=dict)
    failures: list[FailedChunk] = field(default_factory=list)
    lumis: dict[str, LumiSections] = field(default_factory=dict)  # data: sections processed
    # what a run should know but does not stop it (a variation a file cannot give), by dataset
    notes: dict[str, frozenset[str]] = field(default_factory=dict)

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
