"""EGM electron and photon identification (and reconstruction) scale factors as event weights.

The product over the selected objects of the SF at their supercluster η
(:func:`~opencoffea.corrections.egamma_objects.supercluster_eta`) and pt, varied with the
payload's ``"sfup"``/``"sfdown"``: a :class:`~opencoffea.corrections.scalefactors.WeightVariation`
like any other scale factor (:func:`~opencoffea.corrections.scalefactors.scale_factor_weight`
reads the payload; here are the e/γ inputs).

Example:
    >>> path = corrections_root / "POG/EGM/2016postVFP_UL/electron.json.gz"
    >>> above20 = events.Electron[events.Electron.pt > 20]
    >>> weight = electron_weight(above20, path, "RecoAbove20")
    >>> weight.name, weight.varied
    ('electron_RecoAbove20', True)
"""

from __future__ import annotations

import os
from typing import Any

import awkward as ak

from .egamma_objects import supercluster_eta
from .scalefactors import WeightVariation, scale_factor_weight

__all__ = ["electron_weight", "photon_weight"]


def electron_weight(
    electrons: ak.Array,
    payload: str | os.PathLike,
    working_point: str,
    *,
    key: str = "UL-Electron-ID-SF",
    year: str | None = None,
    name: str | None = None,
) -> WeightVariation:
    """EGM electron identification (or reconstruction) scale factors as an event weight.

    The product over the given (selected) electrons of the SF at their supercluster η and
    pt, with ``"sfup"``/``"sfdown"``; ``working_point`` as the payload spells it
    (``"Tight"``, ``"wp90iso"``, ``"RecoAbove20"``…); ``year`` defaults to the payload's only
    one. Run 3 payloads that also declare ``phi`` get it.

    Example:
        >>> path = corrections_root / "POG/EGM/2016postVFP_UL/electron.json.gz"
        >>> weight = electron_weight(events.Electron[events.Electron.pt > 20], path, "Tight")
        >>> weight.name, weight.varied, np.round(weight.nominal[:4], 4)
        ('electron_Tight', True, array([1.    , 0.9918, 0.9552, 1.    ]))
    """
    return _egm_weight(electrons, payload, key, working_point, year, name or "electron")


def photon_weight(
    photons: ak.Array,
    payload: str | os.PathLike,
    working_point: str,
    *,
    key: str = "UL-Photon-ID-SF",
    year: str | None = None,
    name: str | None = None,
) -> WeightVariation:
    """EGM photon identification scale factors as an event weight; see :func:`electron_weight`.

    Example:
        >>> path = corrections_root / "POG/EGM/2016postVFP_UL/photon.json.gz"
        >>> weight = photon_weight(events.Photon[events.Photon.pt > 20], path, "Medium")
        >>> weight.name, np.round(weight.nominal[1:4], 4)
        ('photon_Medium', array([0.9535, 0.9447, 0.9856]))
    """
    return _egm_weight(photons, payload, key, working_point, year, name or "photon")


def _egm_weight(
    objects: ak.Array,
    payload: str | os.PathLike,
    key: str,
    working_point: str,
    year: str | None,
    prefix: str,
) -> WeightVariation:
    inputs: dict[str, Any] = {
        "WorkingPoint": working_point,
        "eta": lambda: supercluster_eta(objects),
        "pt": lambda: objects.pt,
        "phi": lambda: objects.phi,
    }
    if year is not None:
        inputs["year"] = year
    return scale_factor_weight(payload, key, inputs, name=f"{prefix}_{working_point}")
