"""Collections of objects over a block of events, padded to a fixed width, and how they meet:
ΔR matching and NanoAOD's index cross-references.

Fixed-width padding keeps every step of the simulation a whole-array numpy operation; it is
dropped only when a collection becomes jagged branches.

Example:
    >>> mask = np.array([[True, True, False]])
    >>> muons = Objects(mask, pt=np.array([[20.0, 45.0, 0.0]]))
    >>> muons.sorted_by_pt()["pt"].tolist()
    [[45.0, 20.0]]
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

__all__ = ["Objects", "back_references", "delta_phi", "multiplicity", "nearest"]


class Objects:
    """One collection over a block of events: (events × slots) columns and a mask of used slots.

    Sorted collections keep used slots first, so a slot number is the index that NanoAOD's
    cross-references (Muon_jetIdx, ...) hold.

    Example:
        >>> jets = Objects(np.array([[True, False]]), pt=np.array([[30.0, 0.0]]), source=1)
        >>> jets["source"].tolist(), jets.width, jets.slots.tolist()
        ([[1, 1]], 2, [[0, 1]])
        >>> jets["phi"] = 0.0
        >>> [values.tolist() for values in jets.px_py()]  # zero in the unused slot
        [[[30.0, 0.0]], [[0.0, 0.0]]]
        >>> jets.gather(np.array([[0, -1]]), "pt", fill=-1.0).tolist()
        [[30.0, -1.0]]
        >>> both = jets.concat(jets)
        >>> both.mask.tolist(), both.random(np.random.default_rng(1)).shape
        ([[True, False, True, False]], (1, 4))
    """

    def __init__(self, mask: np.ndarray, **columns: npt.ArrayLike) -> None:
        self.mask = mask
        self.columns: dict[str, np.ndarray] = {}
        for name, values in columns.items():
            self[name] = values

    def __getitem__(self, name: str) -> np.ndarray:
        return self.columns[name]

    def __setitem__(self, name: str, values: npt.ArrayLike) -> None:
        """Set a column; a scalar or a per-event (events × 1) value fills every slot."""
        array = np.asarray(values)
        if array.shape != self.mask.shape:
            array = np.broadcast_to(array, self.mask.shape).copy()
        self.columns[name] = array

    @property
    def width(self) -> int:
        """The number of slots of every event."""
        return self.mask.shape[1]

    @property
    def slots(self) -> np.ndarray:
        """The slot number of every slot: what an index into this collection holds."""
        return np.broadcast_to(np.arange(self.width), self.mask.shape)

    def random(self, rng: np.random.Generator) -> np.ndarray:
        """Uniform [0, 1) numbers, one per slot."""
        return rng.random(self.mask.shape)

    def concat(self, *others: Objects) -> Objects:
        """Slots of `others` appended after these, event by event (same columns required)."""
        parts = (self, *others)
        return Objects(
            np.concatenate([p.mask for p in parts], axis=1),
            **{k: np.concatenate([p[k] for p in parts], axis=1) for k in self.columns},
        )

    def sorted_by_pt(self) -> Objects:
        """Used slots first, by decreasing pt: the order of NanoAOD collections.

        Slots that no event uses are dropped, which keeps later steps small.
        """
        order = np.argsort(-np.where(self.mask, self["pt"], -np.inf), axis=1, kind="stable")
        order = order[:, : max(1, int(self.mask.sum(axis=1).max(initial=0)))]
        columns = {k: np.take_along_axis(v, order, axis=1) for k, v in self.columns.items()}
        return Objects(np.take_along_axis(self.mask, order, axis=1), **columns)

    def gather(self, index: np.ndarray, name: str, fill: float = 0) -> np.ndarray:
        """Column `name` at slots `index` (events × m); `fill` where the index is -1."""
        values = np.take_along_axis(self[name], np.maximum(index, 0), axis=1)
        return np.where(index >= 0, values, fill)

    def px_py(self) -> tuple[np.ndarray, np.ndarray]:
        """Transverse momentum components of every slot, zero in unused ones."""
        pt = np.where(self.mask, self["pt"], 0.0)
        return pt * np.cos(self["phi"]), pt * np.sin(self["phi"])


def delta_phi(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """a - b, wrapped into [-π, π).

    Example:
        >>> round(float(delta_phi(np.array(3.0), np.array(-3.0))), 4)
        -0.2832
    """
    return (a - b + np.pi) % (2 * np.pi) - np.pi


def nearest(a: Objects, b: Objects, max_dr: float) -> np.ndarray:
    """For each object of `a`, the slot of the nearest used object of `b` within ΔR, else -1.

    Example:
        >>> muons = Objects(np.array([[True]]), eta=np.array([[0.5]]), phi=np.array([[1.0]]))
        >>> jets = Objects(
        ...     np.array([[True, True]]), eta=np.array([[2.0, 0.6]]), phi=np.array([[1.0, 1.1]])
        ... )
        >>> nearest(muons, jets, 0.4).tolist()
        [[1]]
    """
    deta = a["eta"][:, :, None] - b["eta"][:, None, :]
    dphi = delta_phi(a["phi"][:, :, None], b["phi"][:, None, :])
    dr2 = np.where(b.mask[:, None, :], deta**2 + dphi**2, np.inf)
    index = np.argmin(dr2, axis=2)
    best = np.take_along_axis(dr2, index[:, :, None], axis=2)[:, :, 0]
    return np.where(a.mask & (best < max_dr**2), index, -1)


def back_references(index: np.ndarray, mask: np.ndarray, width: int) -> list[np.ndarray]:
    """The first and second object pointing at each of `width` targets (NanoAOD's Idx1/Idx2).

    Example:
        >>> jet_of_muon = np.array([[1, 1, 0]])
        >>> first, second = back_references(jet_of_muon, np.ones((1, 3), bool), 2)
        >>> first.tolist(), second.tolist()
        ([[2, 0]], [[-1, 1]])
    """
    hits = (index[:, :, None] == np.arange(width)) & mask[:, :, None]
    rank = np.cumsum(hits, axis=1)
    out = []
    for nth in (1, 2):
        at = hits & (rank == nth)
        out.append(np.where(at.any(axis=1), np.argmax(at, axis=1), -1))
    return out


def multiplicity(
    rng: np.random.Generator, n: int, width: int, mean: float | np.ndarray
) -> np.ndarray:
    """A mask of the first k slots with k ~ Poisson(mean), capped at `width`.

    Example:
        >>> multiplicity(np.random.default_rng(1), 3, 2, 100.0).tolist()
        [[True, True], [True, True], [True, True]]
    """
    count = np.minimum(rng.poisson(mean, n), width)
    return np.arange(width) < count[:, None]
