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
    >>> jets = events.Jet
    >>> scaled = ak.with_field(jets, 1.1 * jets.pt, "pt")  # a 10 % jet energy scale
    >>> events.Muon.matched_jet.pt[4].tolist()  # the two muons of event 4, their jets' pt
    [84.375, 29.390625]
    >>> ak.with_field(events, scaled, "Jet").Muon.matched_jet.pt[4].tolist()  # not seen
    [84.375, 29.390625]
    >>> with_collection(events, "Jet", scaled).Muon.matched_jet.pt[4].tolist()
    [92.8125, 32.329689025878906]
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
        >>> jets = events.Jet[:, ::-1]  # re-sorted: softest first
        >>> scaled = ak.with_field(jets, 1.1 * jets.pt, "pt")
        >>> corrected = with_collection(events, "Jet", scaled, in_file_order=scaled[:, ::-1])
        >>> corrected.Jet.pt[4, :2].tolist()  # the jets as given
        [16.79218864440918, 19.868749618530273]
        >>> corrected.Muon.matched_jet.pt[4].tolist()  # each muon's own jet, scaled
        [92.8125, 32.329689025878906]
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
