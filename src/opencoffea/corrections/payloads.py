"""Finding, loading and evaluating correctionlib payloads.

Payloads follow the JSON-POG layout, ``POG/<POG>/<era>/<file>.json.gz``, under a root
directory: a checkout of ``jsonpog-integration`` (CVMFS, say), the portal's open-data copy
(record 12508), or the project's own ``corrections/`` directory. A payload is loaded once
per process and kept: loading a JME file takes a good fraction of a second, a chunk must
not pay it.

A correction is evaluated by the *names* of its declared inputs, not by position: the same
key can take different inputs in different payload versions (``muon_Z.json.gz`` has
``(year, abseta, pt, ValType)`` in one and ``(abseta, pt, "nominal"|"systup"|...)`` in
another). Inputs the caller gives and the correction does not declare are ignored;
declared inputs the caller does not give are an error that lists what is needed.

Example:
    >>> path = payload_path(corrections_root, "LUM", "2016postVFP_UL", "puWeights.json.gz")
    >>> pileup = correction(load_payload(path), "Collisions16_UltraLegacy_goldenJSON")
    >>> [(i.name, i.type) for i in pileup.inputs]
    [('NumTrueInteractions', 'real'), ('weights', 'string')]
    >>> evaluate(pileup, weights="nominal", NumTrueInteractions=events.Pileup.nTrueInt[:3])
    array([0.95298888, 1.11896391, 1.18206989])
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import awkward as ak
import correctionlib
import numpy as np
from correctionlib.highlevel import CompoundCorrection, Correction, open_auto

from ..errors import CorrectionError
from ..util import did_you_mean

__all__ = [
    "compound_stack",
    "correction",
    "evaluate",
    "load_payload",
    "payload_document",
    "payload_path",
]


_LOADED: dict[str, correctionlib.CorrectionSet] = {}  # per process: path → CorrectionSet
_DOCUMENTS: dict[str, dict[str, Any]] = {}  # per process: path → the payload's JSON


def payload_path(root: str | os.PathLike, pog: str, era: str, name: str) -> Path:
    """``root/POG/<pog>/<era>/<name>``, the JSON-POG layout, checked to exist.

    Example:
        >>> path = payload_path(corrections_root, "MUO", "2016postVFP_UL", "muon_Z.json.gz")
        >>> path.relative_to(corrections_root)
        PosixPath('POG/MUO/2016postVFP_UL/muon_Z.json.gz')
    """
    path = Path(root) / "POG" / pog / era / name
    if not path.is_file():
        raise CorrectionError(
            f"no payload {path}: fetch the era's payloads (opencoffea corrections fetch ERA) "
            "or point corrections to a jsonpog-integration checkout"
        )
    return path


def load_payload(path: str | os.PathLike) -> correctionlib.CorrectionSet:
    """The CorrectionSet of a payload file, loaded once per process.

    Example:
        >>> path = payload_path(corrections_root, "LUM", "2016postVFP_UL", "puWeights.json.gz")
        >>> cset = load_payload(path)
        >>> list(cset), load_payload(path) is cset  # the second time from memory
        (['Collisions16_UltraLegacy_goldenJSON'], True)
    """
    key = str(Path(path).resolve())
    cset = _LOADED.get(key)
    if cset is None:
        try:
            cset = correctionlib.CorrectionSet.from_file(key)
        except Exception as err:  # correctionlib's own errors for a bad or missing file
            raise CorrectionError(f"{path}: not a correctionlib payload: {err}") from None
        _LOADED[key] = cset
    return cset


def payload_document(path: str | os.PathLike) -> dict[str, Any]:
    """The payload as JSON, read once per process.

    correctionlib's evaluator does not expose a correction's bins, category keys or a
    compound's stack; what needs them reads the document.

    Example:
        >>> path = payload_path(corrections_root, "LUM", "2016postVFP_UL", "puWeights.json.gz")
        >>> pileup = payload_document(path)["corrections"][0]
        >>> pileup["name"], pileup["inputs"][1]["description"]
        ('Collisions16_UltraLegacy_goldenJSON', 'nominal, up, or down')
    """
    key = str(Path(path).resolve())
    document = _DOCUMENTS.get(key)
    if document is None:
        document = _DOCUMENTS[key] = json.loads(open_auto(key))
    return document


def compound_stack(path: str | os.PathLike, key: str) -> list[str] | None:
    """The corrections compound ``key`` multiplies, in order, where it is the plain product
    of corrections each evaluated at the value updated by the ones before (JEC's
    ``L1L2L3Res``: ``*`` for both operations, ``JetPt`` updated); otherwise ``None``.

    Example:
        >>> path = payload_path(corrections_root, "JME", "2016postVFP_UL", "jet_jerc.json.gz")
        >>> compound_stack(path, "Summer19UL16_V7_MC_L1L2L3Res_AK4PFchs")
        ... # doctest: +NORMALIZE_WHITESPACE
        ['Summer19UL16_V7_MC_L1FastJet_AK4PFchs', 'Summer19UL16_V7_MC_L2Relative_AK4PFchs',
         'Summer19UL16_V7_MC_L3Absolute_AK4PFchs', 'Summer19UL16_V7_MC_L2L3Residual_AK4PFchs']
        >>> print(compound_stack(path, "Summer19UL16_V7_MC_Total_AK4PFchs"))  # not a compound
        None
    """
    for compound in payload_document(path).get("compound_corrections") or []:
        if compound["name"] != key:
            continue
        product = compound.get("input_op") == "*" and compound.get("output_op") == "*"
        if product and compound.get("inputs_update") == ["JetPt"]:
            return list(compound["stack"])
        return None
    return None


def correction(cset: correctionlib.CorrectionSet, key: str) -> Correction | CompoundCorrection:
    """A correction or compound correction of a set by name, with a clear error if absent.

    Example:
        >>> path = payload_path(corrections_root, "MUO", "2016postVFP_UL", "muon_Z.json.gz")
        >>> tight_id = correction(load_payload(path), "NUM_TightID_DEN_TrackerMuons")
        >>> [(i.name, i.type) for i in tight_id.inputs]
        [('year', 'string'), ('abseta', 'real'), ('pt', 'real'), ('ValType', 'string')]
        >>> correction(load_payload(path), "NUM_TightID_DEN_TrackerMuon")
        ... # doctest: +NORMALIZE_WHITESPACE
        Traceback (most recent call last):
        ...
        opencoffea.errors.CorrectionError: no correction 'NUM_TightID_DEN_TrackerMuon' in the
        payload (did you mean 'NUM_TightID_DEN_TrackerMuons', 'NUM_HighPtID_DEN_TrackerMuons'
        or 'NUM_TrkHighPtID_DEN_TrackerMuons'?)
    """
    # membership through keys(): CorrectionSet's own ``in`` raises for an absent key
    if key in set(cset.keys()):
        return cset[key]
    if key in set(cset.compound.keys()):
        return cset.compound[key]
    names = [*cset.keys(), *cset.compound.keys()]
    raise CorrectionError(f"no correction {key!r} in the payload" + did_you_mean(key, names, n=3))


def evaluate(corr: Correction | CompoundCorrection, **inputs: Any) -> Any:
    """Evaluate a correction with inputs given by name; jagged arrays keep their structure.

    Numbers, strings and numpy arrays are passed as they are; an awkward array is flattened
    for correctionlib and the result given back with the array's list structure (all the
    jagged inputs of one call must share it).

    Example:
        >>> path = payload_path(corrections_root, "MUO", "2016postVFP_UL", "muon_Z.json.gz")
        >>> tight_id = correction(load_payload(path), "NUM_TightID_DEN_TrackerMuons")
        >>> evaluate(tight_id, pt=35.0, abseta=1.1, year="2016postVFP_UL", ValType="sf")
        0.9787189395312674
        >>> muons = events.Muon[events.Muon.pt > 20][4:7]
        >>> muons.pt.tolist()
        [[76.7533187866211, 20.13140869140625], [31.03870391845703], [50.64134216308594]]
        >>> sf = evaluate(tight_id, pt=muons.pt, abseta=abs(muons.eta), year="2016postVFP_UL",
        ...               ValType="sf")
        >>> np.round(sf, 4).tolist()  # one scale factor per muon, in the muons' structure
        [[0.9846, 0.9753], [0.9865], [0.9852]]
    """
    names = [i.name for i in corr.inputs]
    missing = [n for n in names if n not in inputs]
    if missing:
        raise CorrectionError(
            f"correction {corr.name!r} needs inputs {names}; not given: {missing}"
        )
    counts = None
    args = []
    for name in names:
        value = inputs[name]
        if isinstance(value, ak.Array):
            if value.ndim > 1:
                these = ak.num(value, axis=1)
                counts = these if counts is None else counts
                value = ak.flatten(value, axis=1)
            value = ak.to_numpy(value)
        args.append(value)
    result = corr.evaluate(*args)
    if counts is not None:
        return ak.unflatten(np.asarray(result), counts)
    return result
