"""``out.mark``: the events an analysis marks for the event display, and what matters in them.

With one call in ``analyze``, an analysis marks the events selected at that point (at any
stage, as :meth:`~opencoffea.recorder.Recorder.fill` fills them), the objects that matter in
them and the numbers to show::

    out.mark("4l", objects={"Muon": z_muons, "Electron": z_electrons}, m4l=m4l, mZ1=mZ1)

Each event becomes a :class:`~opencoffea.output.Mark` in the chunk's output: its file, its
entry in the file (the chunk's first entry plus its index in the chunk), its run, luminosity
block and event number, the objects' indices per collection and the quantities; a category's
recorder adds its value (``channel="4mu"``) to the quantities, as it does to what it fills.
The run writes the marks into the result (``selected_events.json``) and
``opencoffea display --from-result`` shows those events, those objects highlighted.

- Only the nominal pass marks: a shape variation's ``analyze`` (whose cuts may select other
  events) marks nothing, so that an event is not marked once per systematic.
- At most :data:`LIMIT` events of a selection are kept a chunk (its first ones), and as many
  of each category (so that one channel does not take the others' room), so that a loose
  selection cannot blow the output up; every event selected is counted
  (:attr:`~opencoffea.output.Marked.selected`), so what was left out is known.
- Objects are given by their index in the event's collection *as the file has it*: take
  ``ak.local_index(events.Muon, axis=1)`` before selecting or sorting muons and carry it
  along (corrected jets, sorted by their corrected pt, carry theirs: ``jets.stored_index``),
  never the positions in a selected or sorted collection.
- Marking reads the events' ``run``, ``luminosityBlock`` and ``event``: nothing else, and only
  when an analysis marks.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, Protocol

import awkward as ak
import numpy as np

from .errors import AnalysisError
from .output import PLACE, Mark, Marked
from .util import NOMINAL

if TYPE_CHECKING:
    from .output import Output

__all__ = ["LIMIT", "Marking"]

LIMIT = 1000
"""The most events a chunk keeps marked of one selection (of a category: of one selection
of the category): the first ones of the chunk."""

Quantity = float | int | str | None


class _Recording(Protocol):
    """What marking uses of a :class:`~opencoffea.recorder.Recorder`."""

    dataset: str
    systematic: str
    _events: Any  # the chunk's NanoEvents; None in a recorder made by hand
    _output: Output
    _stages: list[np.ndarray]
    _category: dict[str, str]

    def select(self, array: Any) -> Any: ...


class Marking:
    """``out.mark`` (see the module): a base of :class:`~opencoffea.recorder.Recorder`."""

    def mark(
        self: _Recording,
        selection: str,
        *,
        objects: Mapping[str, Any] | None = None,
        **quantities: Any,
    ) -> None:
        """Mark the events selected now under ``selection``, for the event display.

        ``objects`` maps a collection (``"Muon"``) to the indices of the objects to highlight,
        one list an event, in the file's collection (see the module); each quantity is one
        number an event, or a number or string for all. Arrays may be of any selection
        stage's length, as for ``fill``. Only the nominal pass marks, and only a recorder of
        a chunk's events (one made by hand without ``events=`` keeps nothing).

        Example:
            >>> from opencoffea.output import Output
            >>> from opencoffea.recorder import Recorder
            >>> output = Output()
            >>> out = Recorder(output, "DY", np.ones(len(events)), events=events)
            >>> muon = ak.local_index(events.Muon, axis=1)  # before any selection of muons
            >>> out.cut("two muons", ak.num(events.Muon) == 2)
            >>> out.mark("Z", objects={"Muon": muon}, HT=ak.sum(events.Jet.pt, axis=1))
            >>> first = output.marked["Z"].events[0]
            >>> first.entry, first.event, first.objects, round(first.quantities["HT"], 1)
            (4, 3749761, {'Muon': (0, 1)}, 237.7)
            >>> output.marked["Z"].selected
            6
        """
        if self.systematic != NOMINAL or self._events is None:
            return
        what = f"mark {selection!r}"
        for name, value in self._category.items():
            if name in quantities:
                raise AnalysisError(
                    f"{what}: {name!r} is the category of this recorder ({value!r}); leave it out"
                )
        rows = self._stages[-1]
        marked = self._output.marked.setdefault(selection, Marked())
        # the marks kept of this selection in this category (the output is the chunk's)
        ours = self._category.items()
        taken = sum(all(m.quantities.get(k) == v for k, v in ours) for m in marked.events)
        kept = rows[: max(LIMIT - taken, 0)]
        n = len(kept)
        indices = {
            name: _indices(self.select(_array(value))[:n], f"{what}, objects[{name!r}]")
            for name, value in (objects or {}).items()
        }
        values = {
            name: [value] * n
            if isinstance(value, str | int | float)
            else _quantities(self.select(_array(value))[:n], f"{what}: quantity {name!r}")
            for name, value in {**quantities, **self._category}.items()
        }
        from .events import EVENT_IDS  # the chunk's events are read by then: coffea is loaded

        run, lumi, event = (ak.to_numpy(self._events[b])[kept].tolist() for b in EVENT_IDS)
        metadata = self._events.metadata
        file, start = str(metadata["filename"]), int(metadata["entrystart"])
        marked.selected += len(rows)
        marked.events += [
            Mark(
                self.dataset,
                file,
                start + int(kept[k]),
                run[k],
                lumi[k],
                event[k],
                {name: found[k] for name, found in indices.items()},
                {name: found[k] for name, found in values.items()},
            )
            for k in range(n)
        ]
        # by entry (stable: an event marked twice keeps the calls' order)
        marked.events.sort(key=PLACE)


def _array(value: Any) -> Any:
    """Lists of indices as an array that ``select`` can take."""
    return value if isinstance(value, ak.Array | np.ndarray) else ak.Array(value)


def _indices(value: Any, what: str) -> list[tuple[int, ...]]:
    """One tuple of object indices an event, checked."""
    array = ak.Array(value)
    message = (
        f"{what} must be one list of indices an event (ak.local_index(collection, axis=1) "
        "taken before selecting or sorting it; a corrected jet's stored_index), "
    )
    if array.ndim != 2 or array.fields:
        raise AnalysisError(message + f"not {ak.type(array)}")
    try:
        flat = ak.to_numpy(ak.flatten(array, axis=1))
    except ValueError as err:  # missing values (None)
        raise AnalysisError(message + f"not {ak.type(array)} ({err})") from None
    if len(flat) and (flat.dtype.kind not in "iu" or flat.min() < 0):
        raise AnalysisError(message + f"not {ak.type(array)}")
    offsets = np.concatenate([[0], np.cumsum(ak.to_numpy(ak.num(array, axis=1)))])
    items = flat.tolist()
    return [tuple(items[offsets[k] : offsets[k + 1]]) for k in range(len(array))]


def _quantities(value: Any, what: str) -> list[Quantity]:
    """One number (or string) an event; NaN and ±inf as None (JSON has no such numbers)."""
    array = value if isinstance(value, ak.Array) else ak.Array(np.asarray(value))
    items = array.to_list() if array.ndim == 1 and not array.fields else None
    if items is None or not all(v is None or isinstance(v, str | int | float) for v in items):
        raise AnalysisError(
            f"{what} must be one number an event (or a number or string for all), "
            f"not {'a list an event' if array.ndim > 1 else ak.type(array)}"
        )
    return [None if isinstance(v, float) and not np.isfinite(v) else v for v in items]
