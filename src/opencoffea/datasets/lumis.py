"""Luminosity sections: the certified ("golden") mask applied to data, and the record of
which (run, lumi section) pairs a run actually processed.

The mask is coffea's ``LumiMask``, loaded once in the main process and shipped to the
workers with the processor, so a worker needs neither the JSON file nor the portal.
:class:`LumiSections` collects the pairs seen in processed data events; chunks' sets add
up with ``+``, and :meth:`LumiSections.to_golden_json` writes them in the golden-JSON
format a luminosity calculator (brilcalc) takes.

Example:
    >>> seen = LumiSections.from_events([1, 1, 1, 2], [5, 6, 8, 1])
    >>> seen.to_golden_json()
    {'1': [[5, 6], [8, 8]], '2': [[1, 1]]}
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from ..errors import ConfigError

if TYPE_CHECKING:
    from coffea.lumi_tools import LumiMask

__all__ = ["LumiSections", "load_mask"]


def _keys(runs: Iterable[int], lumis: Iterable[int]) -> np.ndarray:
    runs, lumis = np.asarray(runs), np.asarray(lumis)
    # Events come lumi section after lumi section: the first event of each stretch of one
    # section leaves np.unique some hundreds of keys instead of every event of a chunk.
    first = np.flatnonzero((runs[1:] != runs[:-1]) | (lumis[1:] != lumis[:-1])) + 1
    keep = np.concatenate(([0], first)) if len(runs) else first
    runs, lumis = runs[keep].astype(np.uint64), lumis[keep].astype(np.uint64)
    return np.unique((runs << np.uint64(32)) | lumis)


@dataclass
class LumiSections:
    """A set of (run, lumi section) pairs, kept as sorted unique 64-bit keys.

    Example:
        >>> chunks = [LumiSections.from_events([1, 1], [5, 6]), LumiSections.from_events([1], [6])]
        >>> total = sum(chunks, LumiSections())  # what the chunks of a run add up to
        >>> len(total), total.to_golden_json()
        (2, {'1': [[5, 6]]})
    """

    keys: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=np.uint64))

    @classmethod
    def from_events(cls, runs: Iterable[int], lumis: Iterable[int]) -> LumiSections:
        """The lumi sections of some events (duplicates collapse).

        Example:
            >>> import uproot
            >>> with uproot.open(testdata / "nanoaod" / "nano_dimuon.root") as file:
            ...     ids = file["Events"].arrays(["run", "luminosityBlock"], library="np")
            >>> seen = LumiSections.from_events(ids["run"], ids["luminosityBlock"])
            >>> len(ids["run"]), len(seen)  # 40 events of one lumi section
            (40, 1)
        """
        return cls(_keys(runs, lumis))

    def __add__(self, other: LumiSections) -> LumiSections:
        return LumiSections(np.union1d(self.keys, other.keys))

    def __len__(self) -> int:
        return len(self.keys)

    def __eq__(self, other: object) -> bool:
        return isinstance(other, LumiSections) and np.array_equal(self.keys, other.keys)

    def to_golden_json(self) -> dict[str, list[list[int]]]:
        """``{run: [[first, last], ...]}`` with consecutive lumi sections merged into ranges.

        Example:
            >>> LumiSections.from_events([315267] * 4, [205, 206, 207, 210]).to_golden_json()
            {'315267': [[205, 207], [210, 210]]}
        """
        runs = (self.keys >> np.uint64(32)).astype(np.int64)
        lumis = (self.keys & np.uint64(0xFFFFFFFF)).astype(np.int64)
        out: dict[str, list[list[int]]] = {}
        for run in np.unique(runs):
            ls = lumis[runs == run]
            breaks = np.flatnonzero(np.diff(ls) != 1)
            starts = np.r_[ls[0], ls[breaks + 1]]
            stops = np.r_[ls[breaks], ls[-1]]
            out[str(run)] = [[int(a), int(b)] for a, b in zip(starts, stops, strict=True)]
        return out


def load_mask(path: str | Path, dataset: str) -> LumiMask:
    """coffea's ``LumiMask`` of a golden-JSON file, with a clear error if it is unusable.

    Example:
        >>> golden = "Cert_190456-208686_8TeV_22Jan2013ReReco_Collisions12_JSON.txt"
        >>> mask = load_mask(testdata / "lumimasks" / golden, "DoubleMuParked_2012B")
        >>> runs, lumis = np.array([190645, 190645], np.uint32), np.array([10, 200], np.uint32)
        >>> mask(runs, lumis)  # run 190645 is certified from lumi section 10 to 110
        array([ True, False])
    """
    path = Path(path)
    try:
        json.loads(path.read_text())
    except FileNotFoundError:
        raise ConfigError(f"dataset {dataset!r}: lumimask file {path} does not exist") from None
    except (OSError, ValueError) as err:
        raise ConfigError(
            f"dataset {dataset!r}: lumimask file {path} is not a golden JSON: {err}"
        ) from None
    # coffea.lumi_tools compiles its numba code on import, seconds that only a run with a
    # mask should pay
    from coffea.lumi_tools import LumiMask

    return LumiMask(str(path))
