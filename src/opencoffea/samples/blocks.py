"""A file's content as independent blocks of events: each block's random stream, its event
identifiers, and its branch arrays, typed and rounded as the layout says.

Events are simulated in fixed blocks of `BLOCK`; block *i* draws from its own random stream
keyed by (seed, process, kind, i). A file's event content is therefore a pure function of
(process, events, seed, kind, format), whatever the chunking of the writing.

Example:
    >>> from .layout import NANOAOD
    >>> columns = block_columns("dy_mumu", "mc", "nanoaod", 7, NANOAOD.for_kind("mc"), 0, 100)
    >>> columns["event"][:3].tolist(), str(columns["Muon_pt"].type)
    ([1, 2, 3], '100 * var * float32')
"""

from __future__ import annotations

import zlib
from typing import TypeAlias

import awkward as ak
import numpy as np

from .layout import Branch, reduce_precision
from .outreach import outreach
from .simulation import Block, simulate

__all__ = ["BLOCK", "Array", "block_columns"]

Array: TypeAlias = np.ndarray | ak.Array
"""A branch's values: numpy for a flat branch, awkward for a jagged one (``var * float32``)."""

BLOCK = 10_000
"""Events of one random stream. Fixed, so that content never depends on how a file is chunked."""

# Real runs, walked from lumi section 1, with a few hundred events per lumi section. The walk
# passes sections outside the certified ("golden") JSON — 282712 sections 2–9, 283408 after 2125,
# the ends of runs — so a lumi mask keeps most but not all events, as with real data.
_EVENTS_PER_LUMI = 250
_DATA_RUNS = {
    # Run2016H; compare Cert_271036-284044_13TeV_Legacy2016_Collisions16_JSON(_MuonPhys).txt
    "nanoaod": (
        (282712, 70),
        (283408, 2550),
        (283877, 1500),
        (283885, 1730),
        (283933, 245),
        (283934, 1295),
        (283946, 1470),
    ),
    # Run2012B; compare Cert_190456-208686_8TeV_22Jan2013ReReco_Collisions12_JSON.txt
    "outreach": ((194429, 1025), (194480, 1405), (194704, 600), (194711, 625), (194712, 765)),
}
# Data event numbers are unique and increase through the file, in the range of real ones.
_FIRST_DATA_EVENT = 100_000_000
_MC_EVENTS_PER_LUMI = 1_000


def block_columns(
    process: str,
    kind: str,
    format: str,
    seed: int,
    branches: tuple[Branch, ...],
    block: int,
    n: int,
) -> dict[str, Array]:
    """The branches of block number `block` (its first `n` events) of a sample.

    The module's example shows a call.
    """
    rng = _block_rng(seed, process, kind, block)
    simulated = simulate(process, rng, n)
    if format == "outreach":
        simulated = outreach(rng, simulated, kind)
    simulated.scalars.update(_event_ids(kind, format, block * BLOCK, n))
    return _columns(simulated, branches)


def _block_rng(seed: int, process: str, kind: str, block: int) -> np.random.Generator:
    """The random stream of one block: a function of (seed, process, kind, block) only."""
    key = zlib.crc32(f"{process}/{kind}".encode())
    return np.random.Generator(np.random.PCG64(np.random.SeedSequence([seed, key, block])))


def _event_ids(kind: str, format: str, start: int, n: int) -> dict[str, np.ndarray]:
    """run, luminosityBlock and event of events start..start+n of the file."""
    index = np.arange(start, start + n, dtype=np.int64)
    if kind == "mc":
        return {
            "run": np.ones(n),
            "luminosityBlock": 1 + index // _MC_EVENTS_PER_LUMI,
            "event": index + 1,
        }
    runs = np.array([r for r, _ in _DATA_RUNS[format]])
    lengths = np.array([length for _, length in _DATA_RUNS[format]])
    ends = np.cumsum(lengths)
    # past the last run the walk starts again; event numbers keep (run, lumi, event) unique
    section = (index // _EVENTS_PER_LUMI) % ends[-1]
    which = np.searchsorted(ends, section, side="right")
    return {
        "run": runs[which],
        "luminosityBlock": section - (ends[which] - lengths[which]) + 1,
        "event": _FIRST_DATA_EVENT + index,
    }


def _columns(block: Block, branches: tuple[Branch, ...]) -> dict[str, Array]:
    """The branch arrays of a block, typed and rounded as the layout says."""
    out: dict[str, Array] = {}
    offsets = {}
    for branch in branches:
        if branch.collection is None:
            values = np.asarray(block.scalars[branch.name])
        else:
            objects = block.collections[branch.collection]
            if branch.collection not in offsets:
                counts = objects.mask.sum(axis=1)
                offsets[branch.collection] = np.concatenate([[0], np.cumsum(counts)])
            values = objects[branch.field][objects.mask]
        values = values.astype(branch.dtype)
        if branch.bits is not None:
            values = reduce_precision(values, branch.bits)
        if branch.collection is None:
            out[branch.name] = values
        else:
            layout = ak.contents.ListOffsetArray(
                ak.index.Index64(offsets[branch.collection]), ak.contents.NumpyArray(values)
            )
            out[branch.name] = ak.Array(layout)
    return out
