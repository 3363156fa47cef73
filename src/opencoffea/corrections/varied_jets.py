"""The jets of each variation, made when they are asked for from what the variations share.

A chunk's jets with 11 JES sources up and down and JER up and down are 25 collections
that differ in pt and mass only: the JEC and the JER of the nominal are the same in all,
and a source's up and down share its uncertainty δ. :class:`CorrectedJets` (what
:func:`~opencoffea.corrections.jets.correct_jets` gives) keeps that once, as
:class:`JetFactors`, and makes a variation's jets when they are asked for: its pt and mass,
one sort by that pt, and the other fields reached through the sort, copied only when read.
Nothing keeps a variation but its user, so the memory of a chunk is that of the
variations in use (the processor runs the user's method on one after the other), not of
all of them.

Example:
    >>> from opencoffea.corrections.apply import jet_corrections
    >>> from opencoffea.corrections.jets import correct_jets, jet_variations
    >>> from opencoffea.eras import load_manifest
    >>> from opencoffea.jetkeys import JetKeys
    >>> jme = jet_corrections(JetKeys(), load_manifest().era("2016postVFP_UL"), corrections_root)
    >>> jets = correct_jets(events, jme, is_data=False, variations=jet_variations(["Total"]))
    >>> up, down = jets["jesTotalUp"], jets["jesTotalDown"]  # each made here
    >>> np.round(up.pt[4, :3], 2).tolist(), np.round(down.pt[4, :3], 2).tolist()
    ([92.46, 85.39, 31.15], [90.6, 83.43, 29.45])
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass

import awkward as ak
import numpy as np

from ..util import NOMINAL

__all__ = ["CorrectedJets", "JetFactors"]


class CorrectedJets(Mapping[str, ak.Array]):
    """What :func:`~opencoffea.corrections.jets.correct_jets` gives: variation name → jets
    sorted by corrected pt, each made when it is asked for.

    What the variations share is kept once: the jets as read with ``pt_raw``, ``mass_raw``,
    ``pt_jec``, ``stored_index`` (and ``pt_l1``), the JER factors and one JES δ per source.
    ``jets[name]`` computes that variation's pt and mass from them and sorts the jets by
    that pt; nothing keeps the result but the caller. A chunk's 24 variations thus take the
    memory of the one in use, not of all (the processor runs the user's method on one after
    the other).

    ``in_file_order`` keeps the flat per-jet numbers the variations share in the file's
    order (``pt_raw``, ``pt_jec``, ``pt_l1`` where the compound gave it), and
    :meth:`flat_pt` a variation's pt in that order, so that type-1 MET sums them without
    sorting any jets.

    Example:
        >>> from opencoffea.corrections.jets import JetCorrections, correct_jets, jet_variations
        >>> jme = JetCorrections(
        ...     payload=str(corrections_root / "POG/JME/2016postVFP_UL/jet_jerc.json.gz"),
        ...     mc_jec="Summer19UL16_V7_MC_L1L2L3Res_AK4PFchs",
        ...     uncertainty="Summer19UL16_V7_MC_{source}_AK4PFchs",
        ... )
        >>> jets = correct_jets(events, jme, is_data=False, variations=jet_variations(jer=False))
        >>> list(jets), jets.collection, "jesTotalUp" in jets
        (['nominal', 'jesTotalUp', 'jesTotalDown'], 'Jet', True)
        >>> np.round(jets["jesTotalUp"].pt[4, :3], 2).tolist()  # sorted by this pt
        [91.09, 84.86, 30.84]
        >>> np.round(jets.flat_pt("jesTotalUp")[:3], 2).tolist()  # the file's order, flat
        [81.16, 45.79, 31.37]
        >>> jets["jesTotalUp"] is jets["jesTotalUp"]  # made anew: let go, it is freed
        False
    """

    def __init__(
        self,
        base: ak.Array,
        *,
        collection: str,
        names: tuple[str, ...],
        in_file_order: dict[str, np.ndarray],
        mass_jec: np.ndarray,
        factors: JetFactors,
    ) -> None:
        self.collection = collection
        self._names = names
        self.in_file_order = in_file_order
        self._base = base  # the jets as read, with the fields every variation shares
        self._counts = ak.to_numpy(ak.num(base, axis=1))
        self._mass_jec = mass_jec
        self._factors = factors

    def __getitem__(self, name: str) -> ak.Array:
        return self.variation(name)[0]

    def __iter__(self) -> Iterator[str]:
        return iter(self._names)

    def __len__(self) -> int:
        return len(self._names)

    def __contains__(self, name: object) -> bool:
        return name in self._names

    def flat_pt(self, name: str) -> np.ndarray:
        """The pt of variation ``name``, one number per jet in the file's order (flat)."""
        factor = self._factor(name)
        pt_jec = self.in_file_order["pt_jec"]
        return pt_jec if factor is None else pt_jec * factor

    def variation(self, name: str) -> tuple[ak.Array, ak.Array]:
        """The jets of variation ``name``: sorted by their pt, and in the file's order.

        The sorted jets index those in the file's order: no field is copied until it is
        read. :func:`~opencoffea.corrections.jets.with_jets` takes both, and then sorts
        nothing back.
        """
        factor = self._factor(name)
        mass = self._mass_jec if factor is None else self._mass_jec * factor
        pt = ak.unflatten(self.flat_pt(name), self._counts)
        in_file_order = ak.with_field(self._base, pt, "pt")
        in_file_order = ak.with_field(in_file_order, ak.unflatten(mass, self._counts), "mass")
        # one stable sort of the pt alone; ties keep the file's order
        by_pt = ak.argsort(in_file_order.pt, axis=1, ascending=False, stable=True)
        return in_file_order[by_pt], in_file_order

    def _factor(self, name: str) -> np.ndarray | None:
        if name not in self._names:
            raise KeyError(name)
        return self._factors.of(name)


@dataclass(frozen=True)
class JetFactors:
    """What each variation's factor on the JEC pt and mass is made of, kept once a chunk.

    A factor is computed when its variation is asked for: JER up or down is its own
    factor, a JES source's up and down share its δ and are the nominal · (1 ± δ).

    Example:
        >>> factors = JetFactors(
        ...     nominal=np.array([1.1, 0.9]),
        ...     jer={"up": np.array([1.2, 0.8])},
        ...     deltas={"Total": np.array([0.02, 0.05])},
        ...     parsed={"jerUp": ("up", None), "jesTotalDown": ("nom", "Total")},
        ... )
        >>> factors.of("jerUp").tolist(), np.round(factors.of("jesTotalDown"), 3).tolist()
        ([1.2, 0.8], [1.078, 0.855])
    """

    nominal: np.ndarray | None  # the JER factor; None: not smeared (a factor of 1)
    jer: dict[str, np.ndarray]  # SF systematic ("up", "down") → its JER factor
    deltas: dict[str, np.ndarray]  # JES key → δ
    parsed: dict[str, tuple[str, str | None]]  # variation → (JER systematic, JES key)

    def of(self, name: str) -> np.ndarray | None:
        """The factor of variation ``name`` (flat), or None where it is 1."""
        if name == NOMINAL:
            return self.nominal
        systematic, key = self.parsed[name]
        if key is None:  # JER up or down
            return self.jer.get(systematic, self.nominal)
        varied = 1.0 + (1.0 if name.endswith("Up") else -1.0) * self.deltas[key]
        return varied if self.nominal is None else self.nominal * varied
