"""Electron and photon energy scale and smearing: which correction a file needs, in one call.

The EGM energy corrections bring the calibration of data and the resolution of simulation
together: data is *scaled* (a deterministic factor per object), simulation is *smeared*
(multiplied by ``1 + σ·N(0, 1)``). Each comes with an uncertainty, which is varied in
simulation only. Which file needs what is read from the file, not guessed from a version:

Corrections applied in the file (Run 2 NanoAOD, ``Electron_eCorr`` there)
    Nothing is applied again; the variations are the energy shifts the file stores
    (:mod:`~opencoffea.corrections.egamma_stored`).
Corrections not in the file (Run 3 NanoAOD, no ``eCorr``)
    They come from an EGM payload: data is scaled, simulation smeared, with random numbers
    that do not depend on chunking (:mod:`~opencoffea.corrections.egamma_payloads`).

What the corrections give, an :class:`~opencoffea.corrections.egamma_objects.EnergyCorrection`,
is in :mod:`~opencoffea.corrections.egamma_objects`; the e/γ identification scale factors
are in :mod:`~opencoffea.corrections.egamma_sf`.

Example:
    >>> corrected = egamma_energy(events, "Electron")  # Run 2 NanoAOD v6: applied in the file
    >>> ak.all(corrected.nominal.pt == events.Electron.pt)
    np.True_
    >>> [(v.name, v.up) for v in corrected.variations]  # v6 stored no shifts
    [('Electron_scale', None), ('Electron_smear', None)]
"""

from __future__ import annotations

import os
from typing import TYPE_CHECKING

from ..errors import CorrectionError
from .egamma_objects import EnergyCorrection, applied_in_file, correcting_twice, is_simulation
from .egamma_payloads import scale_data, smear_mc
from .egamma_stored import variations_from_branches

if TYPE_CHECKING:
    from ..events import NanoEvents

__all__ = ["egamma_energy"]


def egamma_energy(
    events: NanoEvents,
    collection: str = "Electron",
    *,
    payload: str | os.PathLike | None = None,
    scale_key: str | None = None,
    smear_key: str | None = None,
    is_data: bool | None = None,
) -> EnergyCorrection:
    """The e/γ energy correction a file needs, with its variations: one call for any file.

    A file with the corrections applied (``eCorr`` there) gets its stored variations
    (:func:`~opencoffea.corrections.egamma_stored.variations_from_branches`) and must not be
    given a payload. Otherwise the payload is required: data is scaled
    (:func:`~opencoffea.corrections.egamma_payloads.scale_data`, with ``scale_key``),
    simulation smeared (:func:`~opencoffea.corrections.egamma_payloads.smear_mc`, with
    ``smear_key``, and ``scale_key`` for payloads that keep the scale uncertainty in the
    scale correction). Data and simulation are told
    apart by ``genWeight``, unless ``is_data`` says which the caller declared (a dataset's
    ``kind``): events that are not what was declared are then an error, not the other
    correction.

    Example:
        >>> egamma_energy(events, "Electron").variations[1].name  # Run 2: stored variations
        'Electron_smear'
        >>> from opencoffea.events import describe, events_from, open_file
        >>> tt = str(testdata / "nanoaod" / "nano_tt_v15.root")  # Run 3 simulation
        >>> file = open_file(tt)
        >>> v15 = events_from(file, describe(file, tt))
        >>> egamma_energy(v15, "Electron")  # doctest: +NORMALIZE_WHITESPACE
        Traceback (most recent call last):
        ...
        opencoffea.errors.CorrectionError: Electron: this NanoAOD has no e/γ scale and smearing
        applied (no Electron_eCorr, as in Run 3 NanoAOD); give the EGM payload
        (POG/EGM/<era>/electronSS_EtDependent.json.gz, or photonSS_…) and its keys

        With a payload, simulation is smeared and data scaled (see the examples of
        :mod:`~opencoffea.corrections.egamma_payloads`).
    """
    if applied_in_file(events[collection]):
        if payload is not None:
            raise correcting_twice(collection)
        return variations_from_branches(events, collection)
    if payload is None:
        raise CorrectionError(
            f"{collection}: this NanoAOD has no e/γ scale and smearing applied (no "
            f"{collection}_eCorr, as in Run 3 NanoAOD); give the EGM payload "
            "(POG/EGM/<era>/electronSS_EtDependent.json.gz, or photonSS_…) and its keys"
        )
    simulation = is_simulation(events) if is_data is None else not is_data
    if simulation:
        if smear_key is None:
            raise CorrectionError(f"{collection}: simulation needs smear_key (the smearing)")
        return smear_mc(events, payload, smear_key, scale_key=scale_key, collection=collection)
    if scale_key is None:
        raise CorrectionError(f"{collection}: data needs scale_key (the energy scale)")
    return EnergyCorrection(collection, scale_data(events, payload, scale_key, collection))
