"""The event display: NanoAOD events in a browser, offline, with trajectories one can trust.

:func:`display` takes a NanoAOD file, ``record:N`` of the CERN Open Data portal, a list of
(file, entry) pairs or :class:`~opencoffea.display.choosing.Pick` (the events an analysis
selected, with the objects to mark and the quantities to show), a result (the events its
analysis marked: :mod:`~opencoffea.display.marked`), or NanoEvents, and returns a
:class:`Display`: shown inline in Jupyter (an ``<iframe>`` of the page, no widget kernel), saved
as one self-contained ``.html`` page for all its events or as ``.png`` r-φ and ρ-z pictures.

The modules, in the order the data flow through them:

- :mod:`~opencoffea.display.catalogue`: the collections drawn, their names, colours, fields;
- :mod:`~opencoffea.display.choosing`: a source's files, the events chosen in them (picks);
- :mod:`~opencoffea.display.marked`: the events a result's analysis marked, as picks;
- :mod:`~opencoffea.display.reading`: the chosen entries' drawn branches, with uproot;
- :mod:`~opencoffea.display.detector`: approximate CMS outlines from documented dimensions;
- :mod:`~opencoffea.display.trajectories`: the physics (helices, muons, cones, MET), numpy;
- :mod:`~opencoffea.display.scene`: each event as JSON-able data: properties and geometry;
- :mod:`~opencoffea.display.page`: the HTML page (plotly.js embedded, ``page.js``);
- :mod:`~opencoffea.display.projections`: the PNG pictures (matplotlib).

Example:
    >>> import opencoffea, tempfile
    >>> shown = opencoffea.display(nano_dy, entries=[0, 5])
    >>> shown
    Display(2 events from nano_dy.root)
    >>> [p.name for p in shown.save(f"{tempfile.mkdtemp()}/dy.png")]
    ['dy_1_13889_3749778.png', 'dy_1_13889_3749773.png']
"""

from __future__ import annotations

import os
import sys
import types
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeGuard

from ..util import write_atomic
from .choosing import FileRead, Pick
from .reading import DEFAULT_MAX, EventData, Reading, from_nanoevents, read_events

if TYPE_CHECKING:
    from ..results import Result

__all__ = ["Display", "Pick", "display"]


class Display:
    """Events to show: inline in Jupyter, or saved as an HTML page or PNG pictures.

    ``events`` are the events read (:class:`~opencoffea.display.reading.EventData`), ``files``
    what reading them took of each file (bytes read against size).

    Example:
        >>> shown = display(nano_dy, entries=[3])
        >>> shown.files[0].bytes_read < shown.files[0].size
        True
        >>> shown._repr_html_().startswith("<iframe srcdoc=")
        True
    """

    def __init__(self, reading: Reading, title: str | None = None) -> None:
        self.events: list[EventData] = reading.events
        self.files: list[FileRead] = reading.files
        self.title = title or "CMS Open Data event display"
        self._html: str | None = None

    def __repr__(self) -> str:
        count = len(self.events)
        sources = list(dict.fromkeys(e.dataset for e in self.events if e.dataset))
        where = f" from {', '.join(sources)}" if sources else ""
        return f"Display({count} event{'s' if count != 1 else ''}{where})"

    def html(self) -> str:
        """The self-contained page of all the events (made once, then kept)."""
        if self._html is None:
            from .page import render_page

            self._html = render_page(self.events, self.title)
        return self._html

    def _repr_html_(self) -> str:
        from .page import iframe

        return iframe(self.html())

    def save(self, path: str | os.PathLike[str]) -> list[Path]:
        """Write ``x.html`` (the page of all events) or ``x.png`` (one picture an event).

        With several events, each picture is named after its event:
        ``x_<run>_<lumi>_<event>.png`` (``x_entry<N>.png`` where the IDs are unknown).
        Returns the paths written.
        """
        target = Path(path)
        if target.suffix not in (".html", ".png"):
            raise ValueError(f"{target}: save as .html (the page) or .png (the pictures)")
        target.parent.mkdir(parents=True, exist_ok=True)
        if target.suffix == ".html":
            write_atomic(target, self.html())
            return [target]
        from .projections import save_png
        from .scene import event_scene

        paths = []
        for event in self.events:
            name = target if len(self.events) == 1 else target.with_name(_png_name(target, event))
            paths.append(save_png(event_scene(event), name))
        return paths


def _png_name(target: Path, event: EventData) -> str:
    if event.run is None and event.event is None:
        return f"{target.stem}_entry{event.entry}.png"
    ids = ("x" if v is None else str(v) for v in (event.run, event.lumi, event.event))
    return f"{target.stem}_{'_'.join(ids)}.png"


def display(
    source: str | os.PathLike[str] | Sequence[Pick | tuple[str, int]] | Result | Any,
    *,
    ids: Iterable[str | Sequence[int]] | None = None,
    entries: Iterable[int] | None = None,
    max_events: int | None = None,
    server: str | None = None,
    highlight: Mapping[str, Any] | None = None,
    quantities: Mapping[str, Any] | None = None,
    title: str | None = None,
    selection: str | None = None,
) -> Display:
    """Show NanoAOD events: from a file, ``record:N``, picked (file, entry) pairs, a result
    or NanoEvents.

    From a file or a record, ``ids`` (``"RUN:LUMI:EVENT"`` or triples) or ``entries`` choose
    the events, else the first ones; ``max_events`` bounds them (10 when nothing is chosen).
    Only those entries and the branches drawn are read. ``server`` is the portal of a record
    (default ``OPENCOFFEA_PORTAL``, else the CERN one). A list of picks carries its own
    marks; for NanoEvents, ``highlight`` maps a collection to the indices of the objects to
    mark (one list an event) and ``quantities`` a name to one value an event. From a
    :class:`~opencoffea.results.Result`, the events its analysis marked (``out.mark``) under
    ``selection`` (default: every selection), the first ``max_events`` of them (default 10).

    Example:
        >>> picked = Pick(nano_dy, 9, {"Jet": frozenset({0})}, {"HT": 212.5})
        >>> shown = display([(nano_dy, 2), picked])
        >>> [(e.entry, e.quantities) for e in shown.events]
        [(2, {}), (9, {'HT': 212.5})]
        >>> from opencoffea import load_result
        >>> display(load_result(higgs4l_demo), selection="4l", max_events=3)
        Display(3 events from DoubleMuParked)
    """
    if isinstance(source, (str, os.PathLike)):
        reading = read_events(
            os.fspath(source), ids=ids, entries=entries, max_events=max_events, server=server
        )
    elif isinstance(source, (list, tuple)):
        reading = read_events(source, max_events=max_events)
    elif _is_result(source):
        from .marked import marked_picks

        picks = marked_picks(source, selection)
        reading = read_events(picks, max_events=DEFAULT_MAX if max_events is None else max_events)
        title = title or f"{source.config.name}: {selection or ', '.join(sorted(source.marked))}"
    else:
        reading = from_nanoevents(
            source, highlight=highlight, quantities=quantities, max_events=max_events
        )
    return Display(reading, title)


def _is_result(source: Any) -> TypeGuard[Result]:
    """Whether ``source`` is a result (a result exists only once its module is imported, so
    a file or NanoEvents never import the results)."""
    results = sys.modules.get("opencoffea.results.result")
    return results is not None and isinstance(source, results.Result)


class _CallableModule(types.ModuleType):
    """This package, callable as :func:`display`.

    ``opencoffea.display`` names both this package and the function (the public API's lazy
    name): once any of its modules is imported, Python sets the package as the attribute
    ``display`` of ``opencoffea``, and ``opencoffea.display(...)`` must still work then.
    """

    def __call__(self, *args: Any, **kwargs: Any) -> Display:
        return display(*args, **kwargs)


sys.modules[__name__].__class__ = _CallableModule
