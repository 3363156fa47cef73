"""Random numbers that depend on the event and the object only: never on chunk or clock.

JER and e/γ smearing draw one Gaussian number per object. Drawing them from a generator
seeded per chunk would make a histogram depend on how the input was chunked and on the
executor (DESIGN invariant 1). Here each number is a pure function of (run,
luminosityBlock, event, object index, stream): a counter-based generator, splitmix64
hashing of those integers, then Box–Muller. ``stream`` names the use ("jer", "egamma"), so
two corrections never share their numbers.

Example:
    >>> run, lumi, event, index = [1, 1], [7, 7], [42, 43], [0, 0]
    >>> z = gaussian(*map(np.array, (run, lumi, event, index)), "jer")
    >>> z.shape, bool(z[0] != z[1])
    ((2,), True)
"""

from __future__ import annotations

import zlib
from typing import TYPE_CHECKING

import awkward as ak
import numpy as np
from numpy.typing import ArrayLike

if TYPE_CHECKING:
    from ..events import NanoEvents

__all__ = ["gaussian", "object_gaussian"]

_MASK = np.uint64(0xFFFFFFFFFFFFFFFF)


def _splitmix64(x: np.ndarray) -> np.ndarray:
    """The splitmix64 finaliser: a bijective, well-mixing hash of 64-bit integers."""
    with np.errstate(over="ignore"):
        x = (x + np.uint64(0x9E3779B97F4A7C15)) & _MASK
        x = ((x ^ (x >> np.uint64(30))) * np.uint64(0xBF58476D1CE4E5B9)) & _MASK
        x = ((x ^ (x >> np.uint64(27))) * np.uint64(0x94D049BB133111EB)) & _MASK
        return x ^ (x >> np.uint64(31))


def _key(
    run: ArrayLike, lumi: ArrayLike, event: ArrayLike, index: ArrayLike, stream: str
) -> np.ndarray:
    key = _splitmix64(np.full(np.shape(event), zlib.crc32(stream.encode()), dtype=np.uint64))
    for part in (run, lumi, event, index):
        key = _splitmix64(key ^ np.asarray(part).astype(np.uint64))
    return key


def gaussian(
    run: ArrayLike, lumi: ArrayLike, event: ArrayLike, index: ArrayLike, stream: str
) -> np.ndarray:
    """One standard-normal number per (run, lumi, event, index), for a named stream.

    Example:
        >>> gaussian([1, 1], [7, 7], [42, 43], [0, 0], "jer")
        array([0.5459867 , 1.48036097])
        >>> gaussian([1], [7], [42], [0], "jer")  # the same object: the same number, always
        array([0.5459867])
        >>> gaussian([1], [7], [42], [0], "egamma")  # another use: another number
        array([-0.24224383])
    """
    key = _key(run, lumi, event, index, stream)
    a, b = _splitmix64(key), _splitmix64(key ^ np.uint64(0xD1B54A32D192ED03))
    # 53-bit uniforms in (0, 1]: the first must not be 0 for the logarithm
    u1 = ((a >> np.uint64(11)).astype(np.float64) + 1.0) / 2.0**53
    u2 = (b >> np.uint64(11)).astype(np.float64) / 2.0**53
    return np.sqrt(-2.0 * np.log(u1)) * np.cos(2.0 * np.pi * u2)


def object_gaussian(events: NanoEvents, collection: ak.Array, stream: str) -> ak.Array:
    """One standard-normal number per object of a jagged collection of ``events``.

    The object index is its position in the collection *as stored in the file* (the
    collection must not be re-sorted or filtered before this call), so a jet keeps its
    number whatever the chunk it is read in.

    Example:
        >>> z = object_gaussian(events, events.Jet, "jer")
        >>> np.round(z[:2], 3).tolist()  # one number per jet  # doctest: +NORMALIZE_WHITESPACE
        [[0.608, -0.957, 0.13, -0.351, -1.336],
         [2.304, 0.811, 1.018, -2.039, 0.679, -0.617, 0.514, 0.277]]
        >>> chunk = events[10:20]  # another chunking of the same events: the same numbers
        >>> ak.all(object_gaussian(chunk, chunk.Jet, "jer") == z[10:20])
        np.True_
    """
    counts = ak.to_numpy(ak.num(collection, axis=1))
    index = ak.to_numpy(ak.flatten(ak.local_index(collection, axis=1)))
    run, lumi, event = (
        np.repeat(ak.to_numpy(events[name]), counts) for name in ("run", "luminosityBlock", "event")
    )
    return ak.unflatten(gaussian(run, lumi, event, index, stream), counts)
