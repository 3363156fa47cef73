"""Run 2 NanoAOD: the e/γ scale and smearing applied in the file, their variations stored.

The scale and smearing were applied when the NanoAOD was made; ``Electron_eCorr``
("ratio of the calibrated energy/miniaod energy") marks it. Nothing is applied again.
The variations, where stored, are energy shifts: ``dEscaleUp/Down`` and
``dEsigmaUp/Down``, defined in CMSSW (PhysicsTools/NanoAOD electrons_cff.py and
photons_cff.py) as ``ecalTrkEnergyPostCorrNew - energyScaleUpNew`` and the like:
*nominal minus varied* energy. The varied energy is therefore ``E - dE`` and, at fixed
direction with ``E = pt·cosh(η)``, ``pt_varied = pt·(E - dE)/E``. A file without them
(older releases: the v6 ``nano_dy.root`` test file has none) gives no variation and
says so in :attr:`~opencoffea.corrections.egamma_objects.ShapeVariation.note`. EGM notes
that Run 2 UL NanoAOD v9 carries zero scale shifts (the scale uncertainty there must come
from EGM's ``UL-EGM_ScaleUnc`` payload, not supported here): such a variation equals the
nominal. Data gets no variations.

Example:
    >>> corrected = variations_from_branches(events, "Photon")  # Run 2 NanoAOD v6
    >>> ak.all(corrected.nominal.pt == events.Photon.pt)
    np.True_
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import awkward as ak
import numpy as np

from ..errors import CorrectionError
from .egamma_objects import EnergyCorrection, ShapeVariation, applied_in_file, is_simulation, scaled

if TYPE_CHECKING:
    from ..events import NanoEvents

__all__ = ["variations_from_branches"]

# NanoAOD's stored energy shifts, per source: (up, down) branch names.
_STORED_SHIFTS = {"scale": ("dEscaleUp", "dEscaleDown"), "smear": ("dEsigmaUp", "dEsigmaDown")}


def variations_from_branches(events: NanoEvents, collection: str = "Electron") -> EnergyCorrection:
    """The stored scale and smearing variations of a Run 2 NanoAOD, corrections already in.

    The nominal is the collection as stored. For simulation, ``<collection>_scale`` and
    ``<collection>_smear`` are varied with ``pt·(E - dE)/E`` (see the module docstring for
    the sign); where the file lacks the branches the variation has ``up``/``down`` ``None``
    and a note. Data gets no variations.

    Example:
        >>> corrected = variations_from_branches(events, "Electron")
        >>> [(v.name, v.up is None) for v in corrected.variations]
        [('Electron_scale', True), ('Electron_smear', True)]
        >>> print(corrected.variations[1].note)  # doctest: +NORMALIZE_WHITESPACE
        Electron_dEsigmaUp, Electron_dEsigmaDown are not in this file (older NanoAOD releases,
        v6 among them, did not store them), so there is no smear variation
    """
    objects = events[collection]
    if not applied_in_file(objects):
        raise CorrectionError(
            f"{collection}: the scale and smearing are not applied in this file (no "
            f"{collection}_eCorr), so there are no stored variations; use a payload "
            "(egamma_energy with payload=...)"
        )
    if not is_simulation(events):
        return EnergyCorrection(collection, objects)
    variations = []
    for source, branches in _STORED_SHIFTS.items():
        name = f"{collection}_{source}"
        missing = [branch for branch in branches if branch not in objects.fields]
        if missing:
            listed = ", ".join(f"{collection}_{branch}" for branch in missing)
            note = (
                f"{listed} are not in this file (older NanoAOD releases, v6 among them, "
                f"did not store them), so there is no {source} variation"
            )
            variations.append(ShapeVariation(name, None, None, note))
            continue
        energy = objects.pt * np.cosh(objects.eta)
        up, down = (scaled(objects, _shifted(energy, objects[b])) for b in branches)
        variations.append(ShapeVariation(name, up, down))
    return EnergyCorrection(collection, objects, tuple(variations))


def _shifted(energy: ak.Array, shift: ak.Array) -> ak.Array:
    """``(E - dE)/E``: the factor of a stored shift ``dE = E_nominal - E_varied``."""
    return ak.where(energy > 0, (energy - shift) / ak.where(energy > 0, energy, 1.0), 1.0)
