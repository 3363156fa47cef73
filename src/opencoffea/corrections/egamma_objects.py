"""What every e/γ correction shares: the corrected collection, and what it reads of objects.

An energy correction gives an :class:`EnergyCorrection`: the collection corrected, and its
:class:`ShapeVariation` s. A corrected collection is the collection with ``pt`` and ``mass``
multiplied by the factor (the energy changes, the direction does not: :func:`scaled`). It
is not re-sorted: an object's stored index is its identity, for its random number and for
cross-references.

The energy corrections (:mod:`~opencoffea.corrections.egamma`) and the identification scale
factors (:mod:`~opencoffea.corrections.egamma_sf`) read the same facts of a file: whether
the scale and smearing are applied in it already, whether it is simulation, and the
supercluster η EGM bins its corrections in.

Example:
    >>> applied_in_file(events.Electron), is_simulation(events)  # Run 2 simulation
    (True, True)
    >>> doubled = scaled(events.Electron, 2.0)  # the energy doubled, the direction kept
    >>> ak.all(doubled.pt == 2 * events.Electron.pt), ak.all(doubled.eta == events.Electron.eta)
    (np.True_, np.True_)
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import awkward as ak

from ..errors import CorrectionError

if TYPE_CHECKING:
    from ..events import NanoEvents

__all__ = [
    "EnergyCorrection",
    "ShapeVariation",
    "applied_in_file",
    "correcting_twice",
    "is_simulation",
    "scaled",
    "supercluster_eta",
]


@dataclass(frozen=True)
class ShapeVariation:
    """One systematic source that changes objects: the collection varied up and down.

    ``up`` and ``down`` are ``None`` when the source is not available; ``note`` says why.

    Example:
        >>> from opencoffea.corrections.egamma import egamma_energy
        >>> scale = egamma_energy(events, "Electron").variations[0]
        >>> scale.name, scale.up, scale.down
        ('Electron_scale', None, None)
        >>> print(scale.note)  # doctest: +NORMALIZE_WHITESPACE
        Electron_dEscaleUp, Electron_dEscaleDown are not in this file (older NanoAOD releases,
        v6 among them, did not store them), so there is no scale variation
    """

    name: str
    up: ak.Array | None
    down: ak.Array | None
    note: str | None = None


@dataclass(frozen=True)
class EnergyCorrection:
    """A collection with its energy corrections applied, and its shape variations.

    Example:
        >>> from opencoffea.corrections.egamma import egamma_energy
        >>> corrected = egamma_energy(events, "Photon")
        >>> corrected.collection, corrected.nominal.pt[1].tolist()  # as stored
        ('Photon', [29.791851043701172])
        >>> [v.name for v in corrected.variations]
        ['Photon_scale', 'Photon_smear']
    """

    collection: str
    nominal: ak.Array
    variations: tuple[ShapeVariation, ...] = ()


def supercluster_eta(objects: ak.Array) -> ak.Array:
    """The supercluster η EGM corrections are binned in, from what the file has.

    ``superclusterEta`` (NanoAOD v15), else ``eta + deltaEtaSC`` (electrons before), else
    ``eta`` (photons before v15: their direction is the supercluster's seen from the
    primary vertex, the nearest there is).

    Example:
        >>> events.Electron.eta[2].tolist()
        [-0.29254150390625, -0.904052734375]
        >>> supercluster_eta(events.Electron)[2].tolist()  # v6: eta + deltaEtaSC
        [-0.249908447265625, -0.873046875]
    """
    if "superclusterEta" in objects.fields:
        return objects.superclusterEta
    if "deltaEtaSC" in objects.fields:
        return objects.eta + objects.deltaEtaSC
    return objects.eta


def applied_in_file(objects: ak.Array) -> bool:
    """Whether the EGM scale and smearing were applied when the NanoAOD was made.

    ``eCorr`` ("ratio of the calibrated energy/miniaod energy") marks it: Run 2 NanoAOD.

    Example:
        >>> applied_in_file(events.Electron), applied_in_file(events.Muon)
        (True, False)
    """
    return "eCorr" in objects.fields


def is_simulation(events: NanoEvents) -> bool:
    """Whether the events are simulated: they have ``genWeight``.

    Example:
        >>> is_simulation(events), is_simulation(ak.Array({"run": [1]}))
        (True, False)
    """
    return "genWeight" in events.fields


def correcting_twice(collection: str) -> CorrectionError:
    """The error for a payload given where the file has the corrections in already.

    Example:
        >>> raise correcting_twice("Photon")  # doctest: +NORMALIZE_WHITESPACE
        Traceback (most recent call last):
        ...
        opencoffea.errors.CorrectionError: Photon: the EGM scale and smearing are already
        applied in this NanoAOD (Photon_eCorr is there, as in Run 2 NanoAOD); a payload would
        correct twice. Take the stored variations (egamma_energy without a payload)
    """
    return CorrectionError(
        f"{collection}: the EGM scale and smearing are already applied in this NanoAOD "
        f"({collection}_eCorr is there, as in Run 2 NanoAOD); a payload would correct twice. "
        "Take the stored variations (egamma_energy without a payload)"
    )


def scaled(objects: ak.Array, factor: Any) -> ak.Array:
    """The objects with their four-momentum multiplied by ``factor``: pt and mass.

    Example:
        >>> photons = ak.Array([[{"pt": 20.0, "eta": 0.1, "mass": 0.0}]])
        >>> scaled(photons, 1.01).pt.tolist()
        [[20.2]]
    """
    varied = ak.with_field(objects, objects.pt * factor, "pt")
    if "mass" in objects.fields:
        varied = ak.with_field(varied, objects.mass * factor, "mass")
    return varied
