"""Electron and photon energy scale and smearing, and their identification scale factors.

The EGM energy corrections bring the calibration of data and the resolution of simulation
together: data is *scaled* (a deterministic factor per object), simulation is *smeared*
(multiplied by ``1 + σ·N(0, 1)``). Each comes with an uncertainty, which is varied in
simulation only. Which file needs what is read from the file, not guessed from a version:

Corrections applied in the file (Run 2 NanoAOD)
    The scale and smearing were applied when the NanoAOD was made; ``Electron_eCorr``
    ("ratio of the calibrated energy/miniaod energy") marks it. Nothing is applied again.
    The variations, where stored, are energy shifts: ``dEscaleUp/Down`` and
    ``dEsigmaUp/Down``, defined in CMSSW (PhysicsTools/NanoAOD electrons_cff.py and
    photons_cff.py) as ``ecalTrkEnergyPostCorrNew - energyScaleUpNew`` and the like:
    *nominal minus varied* energy. The varied energy is therefore ``E - dE`` and, at fixed
    direction with ``E = pt·cosh(η)``, ``pt_varied = pt·(E - dE)/E``. A file without them
    (older releases: the v6 ``nano_dy.root`` test file has none) gives no variation and
    says so in :attr:`ShapeVariation.note`. EGM notes that Run 2 UL NanoAOD v9
    carries zero scale shifts (the scale uncertainty there must come from EGM's
    ``UL-EGM_ScaleUnc`` payload, not supported here): such a variation equals the nominal.

Corrections not in the file (Run 3 NanoAOD, no ``eCorr``)
    Nothing is applied in the file; the corrections come from an EGM payload. Two families
    exist, told apart by the name of their string input, and both are read here:

    ``electronSS.json.gz``/``photonSS.json.gz`` (2022–2023, "standard")
        scale ``Scale`` (2022), ``2023PromptC_ScaleJSON``, …: inputs
        ``(valtype, gain, run, eta, r9, et)``, ``valtype`` ``"total_correction"`` (data) or
        ``"total_uncertainty"`` (simulation); smearing ``Smearing``,
        ``2023PromptC_SmearingJSON``, …: ``(valtype, eta, r9)``, ``"rho"`` (σ) or
        ``"err_rho"`` (its uncertainty).
    ``electronSS_EtDependent.json.gz``/``photonSS_EtDependent.json.gz`` (2022–2024)
        scale: compound ``EGMScale_Compound_Ele_2022preEE`` (``…_Pho_…``, eras
        ``2022preEE``, ``2022postEE``, ``2023preBPIX``, ``2023postBPIX``, ``2024``), inputs
        ``(syst, run, ScEta, r9, AbsScEta, pt, seedGain)`` (2024 drops ``AbsScEta``),
        ``syst`` ``"scale"``; smearing ``EGMSmearAndSyst_ElePTsplit_<era>`` (``PhoPTsplit``):
        ``(syst, pt, r9, AbsScEta)`` (2024: ``ScEta``), ``syst`` ``"smear"``, ``"esmear"`` and
        ``"escale"`` (the scale uncertainty for simulation).

    Inputs are filled by their declared names: ``run``; ``pt``/``et``; ``eta``/``ScEta``
    (supercluster η) and ``AbsScEta``; ``r9``; ``gain``/``seedGain``.

Data never gets smearing and simulation never gets the data scale: either mistake is a
:class:`~opencoffea.corrections.payloads.CorrectionError`. Data gets no variations.

The random numbers come from :func:`~opencoffea.corrections.seeds.object_gaussian`, stream
``"egamma"`` for electrons and ``"egamma-photon"`` for photons (an electron and a photon at
the same index in an event must not share a number), one per object, the same for the
nominal and the varied widths: histograms do not depend on chunking (DESIGN invariant 1).

A corrected collection is the collection with ``pt`` and ``mass`` multiplied by the
factor (the energy changes, the direction does not). It is not re-sorted: an object's
stored index is its identity, for its random number and for cross-references.

Example:
    >>> corrected = egamma_energy(events, "Electron")  # Run 2 NanoAOD v6: applied in the file
    >>> ak.all(corrected.nominal.pt == events.Electron.pt)
    np.True_
    >>> [(v.name, v.up) for v in corrected.variations]  # v6 stored no shifts
    [('Electron_scale', None), ('Electron_smear', None)]
"""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import awkward as ak
import numpy as np
from correctionlib.highlevel import CompoundCorrection, Correction

from ..errors import CorrectionError
from .payloads import correction, evaluate, load_payload
from .scalefactors import WeightVariation, inputs_for, scale_factor_weight
from .seeds import object_gaussian

if TYPE_CHECKING:
    from ..events import NanoEvents

__all__ = [
    "EnergyCorrection",
    "ShapeVariation",
    "egamma_energy",
    "electron_weight",
    "photon_weight",
    "scale_data",
    "smear_mc",
    "supercluster_eta",
    "variations_from_branches",
]


@dataclass(frozen=True)
class ShapeVariation:
    """One systematic source that changes objects: the collection varied up and down.

    ``up`` and ``down`` are ``None`` when the source is not available; ``note`` says why.

    Example:
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
        >>> corrected = egamma_energy(events, "Photon")
        >>> corrected.collection, corrected.nominal.pt[1].tolist()  # as stored
        ('Photon', [29.791851043701172])
        >>> [v.name for v in corrected.variations]
        ['Photon_scale', 'Photon_smear']
    """

    collection: str
    nominal: ak.Array
    variations: tuple[ShapeVariation, ...] = ()


# The random stream of each collection (see the module docstring).
_STREAMS = {"Electron": "egamma", "Photon": "egamma-photon"}

# NanoAOD's stored energy shifts, per source: (up, down) branch names.
_STORED_SHIFTS = {"scale": ("dEscaleUp", "dEscaleDown"), "smear": ("dEsigmaUp", "dEsigmaDown")}

# The value-type keys of the two families of Run 3 payloads, by the name of their string
# input: the nominal scale, its uncertainty, the smearing width σ and its uncertainty.
_VALUE_TYPES = {
    "valtype": {
        "scale": "total_correction",
        "escale": "total_uncertainty",
        "smear": "rho",
        "esmear": "err_rho",
    },
    "syst": {"scale": "scale", "escale": "escale", "smear": "smear", "esmear": "esmear"},
}


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
    (:func:`variations_from_branches`) and must not be given a payload. Otherwise the
    payload is required: data is scaled (:func:`scale_data`, with ``scale_key``),
    simulation smeared (:func:`smear_mc`, with ``smear_key``, and ``scale_key`` for payloads
    that keep the scale uncertainty in the scale correction). Data and simulation are told
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

        With a payload, simulation is smeared (see :func:`smear_mc`) and data scaled (see
        :func:`scale_data`).
    """
    if _applied_in_file(events[collection]):
        if payload is not None:
            raise CorrectionError(_TWICE.format(collection=collection))
        return variations_from_branches(events, collection)
    if payload is None:
        raise CorrectionError(
            f"{collection}: this NanoAOD has no e/γ scale and smearing applied (no "
            f"{collection}_eCorr, as in Run 3 NanoAOD); give the EGM payload "
            "(POG/EGM/<era>/electronSS_EtDependent.json.gz, or photonSS_…) and its keys"
        )
    simulation = _is_simulation(events) if is_data is None else not is_data
    if simulation:
        if smear_key is None:
            raise CorrectionError(f"{collection}: simulation needs smear_key (the smearing)")
        return smear_mc(events, payload, smear_key, scale_key=scale_key, collection=collection)
    if scale_key is None:
        raise CorrectionError(f"{collection}: data needs scale_key (the energy scale)")
    return EnergyCorrection(collection, scale_data(events, payload, scale_key, collection))


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
    if not _applied_in_file(objects):
        raise CorrectionError(
            f"{collection}: the scale and smearing are not applied in this file (no "
            f"{collection}_eCorr), so there are no stored variations; use a payload "
            "(egamma_energy with payload=...)"
        )
    if not _is_simulation(events):
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
        up, down = (_scaled(objects, _shifted(energy, objects[b])) for b in branches)
        variations.append(ShapeVariation(name, up, down))
    return EnergyCorrection(collection, objects, tuple(variations))


def scale_data(
    events: NanoEvents,
    payload: str | os.PathLike,
    key: str,
    collection: str = "Electron",
) -> ak.Array:
    """The collection of a data chunk with the EGM energy scale applied (Run 3 payloads).

    ``key`` is the scale correction (a compound one in the Et-dependent payloads). Its
    declared inputs are filled by name; simulated events are a ``CorrectionError``.

    Example:
        A payload shaped like EGM's (a scale by run), and two data events:

        >>> import json, pathlib, tempfile
        >>> by_run = {"nodetype": "binning", "input": "run", "flow": "clamp",
        ...           "edges": [355000.0, 357000.0, 360000.0], "content": [0.99, 1.01]}
        >>> scale = {"name": "EGMScale_Ele_2022preEE", "version": 1,
        ...          "inputs": [{"name": "syst", "type": "string"},
        ...                     {"name": "run", "type": "real"}],
        ...          "output": {"name": "scale", "type": "real"},
        ...          "data": {"nodetype": "category", "input": "syst",
        ...                   "content": [{"key": "scale", "value": by_run}]}}
        >>> path = pathlib.Path(tempfile.mkdtemp(), "electronSS_EtDependent.json")
        >>> _ = path.write_text(json.dumps({"schema_version": 2, "corrections": [scale]}))
        >>> data = ak.Array({"run": [356000, 358000], "Electron": [
        ...     [{"pt": 40.0, "eta": 0.5, "mass": 0.0}],
        ...     [{"pt": 25.0, "eta": -1.2, "mass": 0.0}, {"pt": 12.0, "eta": 2.0, "mass": 0.0}]]})
        >>> np.round(scale_data(data, path, "EGMScale_Ele_2022preEE").pt, 2).tolist()
        [[39.6], [25.25, 12.12]]
    """
    _require_data(events, f"the {collection} energy scale")
    objects = _uncorrected(events, collection)
    scale = correction(load_payload(payload), key)
    return _scaled(objects, _at(scale, "scale", _energy_inputs(events, objects)))


def smear_mc(
    events: NanoEvents,
    payload: str | os.PathLike,
    smear_key: str,
    *,
    scale_key: str | None = None,
    collection: str = "Electron",
) -> EnergyCorrection:
    """The collection of a simulated chunk smeared as EGM prescribes, with its variations.

    Each object is multiplied by ``1 + σ·z``, σ from ``smear_key`` and z from the object's
    own standard-normal number. Variations: ``<collection>_smear`` with σ ± δσ (the lower
    width not below zero) and the same z; ``<collection>_scale``, the smeared collection
    times ``1 ± δs``, δs the scale uncertainty evaluated at the unsmeared values (from the
    smearing correction's ``"escale"``, or from ``scale_key``'s ``"total_uncertainty"`` in the
    standard payloads; without either the scale variation is absent, with a note). Data
    events are a ``CorrectionError``.

    Example:
        A payload shaped like EGM's (σ, δσ and δs, one number each), and Run 3 simulation:

        >>> import json, pathlib, tempfile
        >>> values = {"smear": 0.02, "esmear": 0.004, "escale": 0.005}
        >>> smear = {"name": "EGMSmearAndSyst_ElePTsplit_2022preEE", "version": 1,
        ...          "inputs": [{"name": "syst", "type": "string"}],
        ...          "output": {"name": "value", "type": "real"},
        ...          "data": {"nodetype": "category", "input": "syst",
        ...                   "content": [{"key": k, "value": v} for k, v in values.items()]}}
        >>> path = pathlib.Path(tempfile.mkdtemp(), "electronSS_EtDependent.json")
        >>> _ = path.write_text(json.dumps({"schema_version": 2, "corrections": [smear]}))
        >>> from opencoffea.events import describe, events_from, open_file
        >>> tt = str(testdata / "nanoaod" / "nano_tt_v15.root")  # Run 3 simulation
        >>> file = open_file(tt)
        >>> v15 = events_from(file, describe(file, tt))
        >>> corrected = smear_mc(v15, path, "EGMSmearAndSyst_ElePTsplit_2022preEE")
        >>> v15.Electron.pt[8].tolist(), corrected.nominal.pt[8].tolist()
        ([42.328697204589844, 6.891936302185059], [41.222320157106296, 7.115707900076932])
        >>> [v.name for v in corrected.variations]
        ['Electron_smear', 'Electron_scale']
    """
    _require_simulation(events, f"the {collection} energy smearing")
    objects = _uncorrected(events, collection)
    cset = load_payload(payload)
    smear = correction(cset, smear_key)
    available = _energy_inputs(events, objects)
    width = _at(smear, "smear", available)
    width_error = _at(smear, "esmear", available)
    z = object_gaussian(events, objects, _STREAMS.get(collection, f"egamma-{collection}"))
    factor = 1.0 + width * z
    smeared = ShapeVariation(
        f"{collection}_smear",
        _scaled(objects, 1.0 + (width + width_error) * z),
        _scaled(objects, 1.0 + np.maximum(width - width_error, 0.0) * z),
    )
    if _value_type(smear)[0] == "syst":
        scale_error = _at(smear, "escale", available)
    elif scale_key is not None:
        scale_error = _at(correction(cset, scale_key), "escale", available)
    else:
        scale_error = None
    if scale_error is None:
        note = f"{smear_key} keeps no scale uncertainty: give scale_key, the scale correction"
        scaled = ShapeVariation(f"{collection}_scale", None, None, note)
    else:
        scaled = ShapeVariation(
            f"{collection}_scale",
            _scaled(objects, factor * (1.0 + scale_error)),
            _scaled(objects, factor * (1.0 - scale_error)),
        )
    return EnergyCorrection(collection, _scaled(objects, factor), (smeared, scaled))


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


# ------------------------------------------------------------------------------ helpers

_TWICE = (
    "{collection}: the EGM scale and smearing are already applied in this NanoAOD "
    "({collection}_eCorr is there, as in Run 2 NanoAOD); a payload would correct twice. "
    "Take the stored variations (egamma_energy without a payload)"
)


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


def _applied_in_file(objects: ak.Array) -> bool:
    return "eCorr" in objects.fields


def _is_simulation(events: NanoEvents) -> bool:
    return "genWeight" in events.fields


def _require_data(events: NanoEvents, what: str) -> None:
    if _is_simulation(events):
        raise CorrectionError(
            f"{what} is for data, and these events are simulated (they have genWeight): "
            "simulation is smeared (smear_mc) and gets the scale only as an uncertainty"
        )


def _require_simulation(events: NanoEvents, what: str) -> None:
    if not _is_simulation(events):
        raise CorrectionError(
            f"{what} is for simulation, and these events are data (no genWeight): "
            "data gets the energy scale (scale_data), never smearing"
        )


def _uncorrected(events: NanoEvents, collection: str) -> ak.Array:
    objects = events[collection]
    if _applied_in_file(objects):
        raise CorrectionError(_TWICE.format(collection=collection))
    return objects


def _energy_inputs(events: NanoEvents, objects: ak.Array) -> dict[str, Callable[[], Any]]:
    """What a Run 3 EGM payload may declare, by name, as functions (read only if declared)."""

    def sc_eta() -> ak.Array:
        return supercluster_eta(objects)

    return {
        "run": lambda: ak.broadcast_arrays(events.run, objects.pt)[0],
        "pt": lambda: objects.pt,
        "et": lambda: objects.pt,
        "eta": sc_eta,
        "ScEta": sc_eta,
        "AbsScEta": lambda: abs(sc_eta()),
        "r9": lambda: objects.r9,
        "gain": lambda: objects.seedGain,
        "seedGain": lambda: objects.seedGain,
    }


def _value_type(corr: Correction | CompoundCorrection) -> tuple[str, dict[str, str]]:
    """The string input of a Run 3 EGM correction and the keys its family uses."""
    strings = [inp.name for inp in corr.inputs if inp.type == "string"]
    for name in strings:
        if name in _VALUE_TYPES:
            return name, _VALUE_TYPES[name]
    raise CorrectionError(
        f"correction {corr.name!r} is not an EGM scale or smearing correction this code "
        f"knows: its string inputs are {strings}, expected one of {sorted(_VALUE_TYPES)}"
    )


def _at(
    corr: Correction | CompoundCorrection, role: str, available: dict[str, Callable[[], Any]]
) -> ak.Array:
    """A correction evaluated for one role (``"scale"``, ``"escale"``, ``"smear"``…)."""
    name, keys = _value_type(corr)
    values = inputs_for(corr, {**available, name: keys[role]})
    try:
        return evaluate(corr, **values)
    except IndexError:  # correctionlib's message for an absent category key names no key
        raise CorrectionError(
            f"correction {corr.name!r} has no {name} {keys[role]!r} (needed for {role})"
        ) from None


def _shifted(energy: ak.Array, shift: ak.Array) -> ak.Array:
    """``(E - dE)/E``: the factor of a stored shift ``dE = E_nominal - E_varied``."""
    return ak.where(energy > 0, (energy - shift) / ak.where(energy > 0, energy, 1.0), 1.0)


def _scaled(objects: ak.Array, factor: Any) -> ak.Array:
    """The objects with their four-momentum multiplied by ``factor``: pt and mass."""
    scaled = ak.with_field(objects, objects.pt * factor, "pt")
    if "mass" in objects.fields:
        scaled = ak.with_field(scaled, objects.mass * factor, "mass")
    return scaled
