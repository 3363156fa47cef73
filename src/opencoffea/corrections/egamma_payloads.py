"""Run 3 NanoAOD: the e/γ scale and smearing from an EGM payload (none applied in the file).

Nothing is applied in the file (no ``eCorr``); the corrections come from an EGM payload.
Two families exist, told apart by the name of their string input, and both are read here:

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
:class:`~opencoffea.errors.CorrectionError`. Data gets no variations.

The random numbers come from :func:`~opencoffea.corrections.seeds.object_gaussian`, stream
``"egamma"`` for electrons and ``"egamma-photon"`` for photons (an electron and a photon at
the same index in an event must not share a number), one per object, the same for the
nominal and the varied widths: histograms do not depend on chunking (DESIGN invariant 1).

Example:
    >>> data = ak.Array({"run": [356000], "Electron": [[{"pt": 40.0, "eta": 0.5}]]})
    >>> smear_mc(data, "electronSS.json.gz", "Smearing")  # doctest: +NORMALIZE_WHITESPACE
    Traceback (most recent call last):
    ...
    opencoffea.errors.CorrectionError: the Electron energy smearing is for simulation, and these
    events are data (no genWeight): data gets the energy scale (scale_data), never smearing
"""

from __future__ import annotations

import os
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import awkward as ak
import numpy as np
from correctionlib.highlevel import CompoundCorrection, Correction

from ..errors import CorrectionError
from .egamma_objects import (
    EnergyCorrection,
    ShapeVariation,
    applied_in_file,
    correcting_twice,
    is_simulation,
    scaled,
    supercluster_eta,
)
from .payloads import correction, evaluate, load_payload
from .scalefactors import inputs_for
from .seeds import object_gaussian

if TYPE_CHECKING:
    from ..events import NanoEvents

__all__ = ["scale_data", "smear_mc"]

# The random stream of each collection (see the module docstring).
_STREAMS = {"Electron": "egamma", "Photon": "egamma-photon"}

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
    return scaled(objects, _at(scale, "scale", _energy_inputs(events, objects)))


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
    smear_variation = ShapeVariation(
        f"{collection}_smear",
        scaled(objects, 1.0 + (width + width_error) * z),
        scaled(objects, 1.0 + np.maximum(width - width_error, 0.0) * z),
    )
    if _value_type(smear)[0] == "syst":
        scale_error = _at(smear, "escale", available)
    elif scale_key is not None:
        scale_error = _at(correction(cset, scale_key), "escale", available)
    else:
        scale_error = None
    if scale_error is None:
        note = f"{smear_key} keeps no scale uncertainty: give scale_key, the scale correction"
        scale_variation = ShapeVariation(f"{collection}_scale", None, None, note)
    else:
        scale_variation = ShapeVariation(
            f"{collection}_scale",
            scaled(objects, factor * (1.0 + scale_error)),
            scaled(objects, factor * (1.0 - scale_error)),
        )
    return EnergyCorrection(collection, scaled(objects, factor), (smear_variation, scale_variation))


def _require_data(events: NanoEvents, what: str) -> None:
    if is_simulation(events):
        raise CorrectionError(
            f"{what} is for data, and these events are simulated (they have genWeight): "
            "simulation is smeared (smear_mc) and gets the scale only as an uncertainty"
        )


def _require_simulation(events: NanoEvents, what: str) -> None:
    if not is_simulation(events):
        raise CorrectionError(
            f"{what} is for simulation, and these events are data (no genWeight): "
            "data gets the energy scale (scale_data), never smearing"
        )


def _uncorrected(events: NanoEvents, collection: str) -> ak.Array:
    objects = events[collection]
    if applied_in_file(objects):
        raise correcting_twice(collection)
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
