"""Corrected collections put into the events, with coffea's cross-references kept.

coffea resolves a cross-reference (``events.Muon.matched_jet``, ``events.Photon.matched_electron``)
through a global index into the target collection *as read*: the object's stored index plus
the offsets of the target, taken from the "original" events of the chunk,
``attrs["@original_array"]`` if the array has it, else the events its factory built.
``ak.with_field`` alone is not seen by that lookup: a muon would find the uncorrected jet.

:func:`with_collection` therefore gives the events a new original too, in which the
corrected objects stand in the file's order, where the global indices point. Replacements
chain: the new original is built from the events' current one, so jets corrected first and
electrons after are both what the cross-references reach. The events must be the whole
chunk as read, before any selection: the global indices count from its start.

Example:
    >>> corrected = with_collection(events, "Electron", smeared)  # doctest: +SKIP
    >>> corrected.Photon.matched_electron.pt  # the smeared electron  # doctest: +SKIP
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import awkward as ak

from ..errors import CorrectionError

if TYPE_CHECKING:
    from ..events import NanoEvents

__all__ = ["with_collection"]

_ORIGINAL = "@original_array"


def with_collection(
    events: NanoEvents,
    name: str,
    objects: ak.Array,
    *,
    in_file_order: ak.Array | None = None,
) -> NanoEvents:
    """``events`` with collection ``name`` replaced by ``objects``, cross-references kept.

    ``in_file_order`` is the same objects in the order of the file, where they were
    re-sorted (jets by corrected pt); by default ``objects`` are in that order already.

    Example:
        >>> up = with_collection(events, "Electron", scaled_up)  # doctest: +SKIP
        >>> up.Electron.pt, up.Photon.matched_electron.pt  # doctest: +SKIP
    """
    original = events[name]._events()
    if len(original) != len(events):
        raise CorrectionError(
            f"the events are {len(events)} of the chunk's {len(original)}: correct {name} "
            "on the whole chunk, before selecting events, so that the cross-references "
            f"into {name} find the corrected objects"
        )
    anchor = ak.with_field(original, objects if in_file_order is None else in_file_order, name)
    anchor.attrs[_ORIGINAL] = anchor  # its own original, as coffea's events are
    out = ak.with_field(events, objects, name)
    out.attrs[_ORIGINAL] = anchor
    return out
