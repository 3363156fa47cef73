"""The events an analysis marked, as the display's picks: ``opencoffea display --from-result``.

A result keeps, per selection, the events its analysis marked with ``out.mark``
(:attr:`Result.marked <opencoffea.results.Result.marked>`): each event's file and entry, the
objects that matter in it and the numbers to show. Each becomes a
:class:`~opencoffea.display.choosing.Pick`, whose objects the page and the pictures draw
highlighted and whose numbers they show beside the event.

Example:
    >>> from opencoffea import load_result
    >>> first = marked_picks(load_result(higgs4l_demo), "4l")[0]
    >>> first.dataset, first.entry, list(first.quantities)
    ('DoubleMuParked', 2, ['m4l', 'mZ1', 'mZ2', 'channel'])
    >>> first.highlight  # this 2e2μ event's Z leptons
    {'Muon': frozenset({0, 1}), 'Electron': frozenset({0, 1})}
"""

from __future__ import annotations

from ..errors import ResultError
from ..results import Result
from ..util import choices
from .choosing import Pick

__all__ = ["marked_picks"]


def marked_picks(result: Result, selection: str | None = None) -> list[Pick]:
    """The events ``result`` marked under ``selection`` (default: every selection, by name).

    Example:
        >>> from opencoffea import load_result
        >>> marked_picks(load_result(higgs4l_demo), "4ll")  # doctest: +ELLIPSIS
        Traceback (most recent call last):
        ...
        opencoffea.errors.ResultError: ...: no events were marked as '4ll' (did you mean '4l'?); ...
    """
    where = result.directory or result.config.name
    if not result.marked:
        raise ResultError(
            f"{where}: its analysis marked no events (out.mark(name, objects=..., ...) in "
            "analyze marks the events to show)"
        )
    if selection is not None and selection not in result.marked:
        raise ResultError(
            f"{where}: no events were marked as {selection!r}"
            + choices(selection, sorted(result.marked), "selections")
        )
    names = [selection] if selection is not None else sorted(result.marked)
    return [
        Pick(
            mark.file,
            mark.entry,
            {name: frozenset(indices) for name, indices in mark.objects.items()},
            mark.quantities,
            mark.dataset,
        )
        for name in names
        for mark in result.marked[name].events
    ]
