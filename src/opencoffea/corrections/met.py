"""Type-1 missing transverse momentum, recomputed from the raw MET and corrected jets.

The CMS recipe (CMSSW's ``PFJetMETcorrInputProducer``, NanoAOD-tools'
``jetmetUncertainties``): start from the raw MET (``RawMET``; ``RawPFMET`` from v14 on;
``RawPuppiMET`` for PUPPI jets) and, for every jet that enters type-1, subtract the change
of its transverse momentum beyond the pile-up offset:

    MET = RawMET − Σ_type-1 jets [ (1 − f_μ)·(pt_jec − C_L1·pt_raw) · û(noμ)
                                   + (pt − pt_jec) · û ]

* ``f_μ`` is the jet's ``muonSubtrFactor``: type-1 uses the jet without its muons (they are
  in the MET already), with the jet's own correction factors ``C = pt_jec/pt_raw`` and
  ``C_L1`` (the ``L1FastJet`` level at the raw pt), as CMSSW does.
* A jet enters type-1 when its muon-subtracted, L1L2L3-corrected pt,
  ``(1 − f_μ)·pt_jec``, is above ``TYPE1_MIN_PT`` (15 GeV) and its electromagnetic
  fraction ``chEmEF + neEmEF`` below ``TYPE1_MAX_EM_FRACTION`` (0.9). The selection is the
  same for every variation (it uses ``pt_jec``), as in NanoAOD-tools, so a variation moves
  MET only through the pt of the same jets.
* ``pt − pt_jec`` is what the variation did to the jet after JEC: JER smearing in
  simulation, and the JES shift. MET thus follows the jets the analysis uses, one to one
  (this is NanoAOD-tools' "T1Smear" MET; for jets without muons the two are identical,
  with muons NanoAOD-tools scales the muon's part too, which it is not here).
* ``û(noμ)`` is the direction of the muon-subtracted jet: the jet's ``phi`` plus
  ``muonSubtrDeltaPhi`` where the file has it (v15), else the jet's ``phi``.
* The low-pt jets ``CorrT1METJet`` (corrected pt below 15 GeV in the file, kept for this
  purpose) are corrected with the same keys and enter on the same terms: those that the new
  corrections lift above threshold count. Their EM fraction is ``EmEF`` where stored (v15)
  and taken as 0 before, as NanoAOD-tools does; they have no gen link and are not smeared,
  but they follow the JES variations.

The unclustered-energy variations shift the recomputed nominal MET by the file's own
unclustered shift: ``MET_MetUnclustEnUpDeltaX/Y`` (up: +Δ, down: −Δ), or from v12 on the
difference of ``<MET>_ptUnclusteredUp/Down``, ``phiUnclustered...`` to the stored MET.

Example:
    >>> from opencoffea.corrections.jets import JetCorrections, jet_variations
    >>> jme = JetCorrections(
    ...     payload=str(corrections_root / "POG/JME/2016postVFP_UL/jet_jerc.json.gz"),
    ...     mc_jec="Summer19UL16_V7_MC_L1L2L3Res_AK4PFchs",
    ...     uncertainty="Summer19UL16_V7_MC_{source}_AK4PFchs",
    ...     jer_resolution="Summer20UL16_JRV3_MC_PtResolution_AK4PFchs",
    ...     jer_scale_factor="Summer20UL16_JRV3_MC_ScaleFactor_AK4PFchs",
    ... )
    >>> jets = correct_jets(events, jme, is_data=False, variations=jet_variations(["Total"]))
    >>> met = type1_met(events, jets, jme, is_data=False, unclustered=True)
    >>> sorted(met)
    ['jerDown', 'jerUp', 'jesTotalDown', 'jesTotalUp', 'nominal', 'unclustEnDown', 'unclustEnUp']
    >>> events.MET.pt[:3].tolist()  # as stored in the file
    [25.948482513427734, 40.51326370239258, 38.71651077270508]
    >>> np.round(met["nominal"].pt[:3], 2).tolist(), np.round(met["jesTotalUp"].pt[:3], 2).tolist()
    ([31.8, 52.98, 40.47], [32.11, 52.68, 41.17])
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING

import awkward as ak
import numpy as np

from ..errors import CorrectionError
from ..jetkeys import L1
from ..util import NOMINAL
from .jets import JetCorrections, correct_jets, jec_factor
from .varied_jets import CorrectedJets

if TYPE_CHECKING:
    from ..events import NanoEvents

__all__ = [
    "TYPE1_MAX_EM_FRACTION",
    "TYPE1_MIN_PT",
    "UNCLUSTERED",
    "met_names",
    "type1_met",
    "with_met",
]

TYPE1_MIN_PT = 15.0
"""GeV: the least muon-subtracted, L1L2L3-corrected pt of a jet entering type-1."""

TYPE1_MAX_EM_FRACTION = 0.9
"""Jets with more electromagnetic energy than this fraction stay out of type-1."""

UNCLUSTERED = ("unclustEnUp", "unclustEnDown")
"""The MET-only variations; their jets are the nominal ones."""

_LOW_PT_JETS = "CorrT1METJet"


def met_names(events: NanoEvents, jme: JetCorrections) -> tuple[str, str]:
    """The MET collection of these jets and its raw counterpart, as the file names them.

    Example:
        >>> from opencoffea.corrections.jets import JetCorrections
        >>> from opencoffea.events import describe, events_from, open_file
        >>> payload = str(testdata / "corrections" / "jet_jerc_Summer22_V3.json.gz")
        >>> chs = JetCorrections(
        ...     payload=payload, mc_jec="Summer22_22Sep2023_V3_MC_L1L2L3Res_AK4PFchs"
        ... )
        >>> met_names(events, chs)  # NanoAOD v6
        ('MET', 'RawMET')
        >>> tt = str(testdata / "nanoaod" / "nano_tt_v15.root")
        >>> file = open_file(tt)
        >>> v15 = events_from(file, describe(file, tt))
        >>> met_names(v15, chs)  # MET was renamed PFMET in v14
        ('PFMET', 'RawPFMET')
        >>> puppi = JetCorrections(
        ...     payload=payload, mc_jec="Summer22_22Sep2023_V3_MC_L1L2L3Res_AK4PFPuppi"
        ... )
        >>> met_names(v15, puppi)
        ('PuppiMET', 'RawPuppiMET')
    """
    if jme.puppi:
        met, raw = "PuppiMET", "RawPuppiMET"
    else:  # the PF MET was renamed in v14
        met = "PFMET" if "PFMET" in events.fields else "MET"
        raw = "RawPFMET" if "RawPFMET" in events.fields else "RawMET"
    for name in (met, raw):
        if name not in events.fields:
            raise CorrectionError(f"the events have no {name}, which type-1 MET needs")
    return met, raw


def type1_met(
    events: NanoEvents,
    jets: Mapping[str, ak.Array],
    jme: JetCorrections,
    *,
    is_data: bool,
    unclustered: bool = False,
    low_pt_jets: Mapping[str, ak.Array] | None = None,
) -> dict[str, ak.Array]:
    """Type-1 MET (records with ``pt``, ``phi``) for each variation of ``jets``.

    ``jets`` maps variation names to the corrected jets of :func:`correct_jets` (the same
    ``jme`` and ``is_data``). ``unclustered`` adds ``"unclustEnUp"``/``"unclustEnDown"``
    (simulation only). ``low_pt_jets`` are the corrected ``CorrT1METJet`` of the same
    variations; by default they are corrected here, when the file has them.

    Example:
        >>> from opencoffea.corrections.jets import JetCorrections, correct_jets
        >>> payload = str(corrections_root / "POG/JME/2016postVFP_UL/jet_jerc.json.gz")
        >>> jme = JetCorrections(payload=payload, mc_jec="Summer19UL16_V7_MC_L1L2L3Res_AK4PFchs")
        >>> met = type1_met(events, correct_jets(events, jme, is_data=False), jme, is_data=False)
        >>> list(met), np.round(met["nominal"].pt[:3], 2).tolist()
        (['nominal'], [32.22, 44.34, 40.89])
        >>> np.round(met["nominal"].phi[:3], 3).tolist()
        [1.763, 2.141, -2.476]
    """
    if unclustered and is_data:
        raise CorrectionError("data has no unclustered-energy variations: they are MC's")
    if unclustered and NOMINAL not in jets:
        raise CorrectionError("the unclustered-energy variations need the nominal jets")
    names = list(jets)
    met_name, raw_name = met_names(events, jme)
    raw_x, raw_y = _components(events[raw_name].pt, events[raw_name].phi)
    if low_pt_jets is None and _LOW_PT_JETS in events.fields:
        low_pt_jets = correct_jets(
            events, jme, is_data=is_data, variations=names, collection=_LOW_PT_JETS
        )
    missing = [name for name in names if low_pt_jets and name not in low_pt_jets]
    if missing:
        raise CorrectionError(f"low_pt_jets lack the variations {missing} of the jets")
    shifts = [
        _type1_shifts(events, collection, names, jme, is_data)
        for collection in (jets, low_pt_jets or {})
        if collection
    ]
    out, nominal = {}, (raw_x, raw_y)
    for name in names:  # one variation's sums at a time: each jet pt made, summed, let go
        x, y = raw_x, raw_y
        for shift in shifts:
            dx, dy = shift(name)
            x, y = x - dx, y - dy
        if name == NOMINAL:
            nominal = (x, y)
        out[name] = _met(x, y, events)
    if unclustered:
        for name, (dx, dy) in zip(UNCLUSTERED, _unclustered_shifts(events[met_name]), strict=True):
            out[name] = _met(nominal[0] + dx, nominal[1] + dy, events)
    return out


def with_met(events: NanoEvents, met: ak.Array, jme: JetCorrections) -> NanoEvents:
    """``events`` with the type-1 MET in its MET collection (``MET``, ``PFMET``, ``PuppiMET``).

    Only ``pt`` and ``phi`` change; the collection's other fields (``sumEt``, the
    covariance, the stored unclustered shifts) stay as the file has them.

    Example:
        >>> from opencoffea.corrections.jets import JetCorrections, correct_jets
        >>> payload = str(corrections_root / "POG/JME/2016postVFP_UL/jet_jerc.json.gz")
        >>> jme = JetCorrections(payload=payload, mc_jec="Summer19UL16_V7_MC_L1L2L3Res_AK4PFchs")
        >>> from opencoffea.corrections.jets import with_jets
        >>> jets = correct_jets(events, jme, is_data=False)["nominal"]
        >>> met = type1_met(events, {"nominal": jets}, jme, is_data=False)["nominal"]
        >>> nominal = with_met(with_jets(events, jets), met, jme)
        >>> np.round(nominal.MET.pt[:3], 2).tolist(), nominal.MET.sumEt[:3].tolist()
        ([32.22, 44.34, 40.89], [1034.0, 1577.0, 1242.0])
    """
    name, _ = met_names(events, jme)
    stored = ak.with_field(ak.with_field(events[name], met.pt, "pt"), met.phi, "phi")
    return ak.with_field(events, stored, name)


# ------------------------------------------------------------------------------ internals


def _numpy(values: ak.Array) -> np.ndarray:
    return np.asarray(ak.to_numpy(values), dtype=np.float64)


def _components(pt: ak.Array, phi: ak.Array) -> tuple[np.ndarray, np.ndarray]:
    pt, phi = _numpy(pt), _numpy(phi)
    return pt * np.cos(phi), pt * np.sin(phi)


def _in_stored_order(jets: ak.Array, values: ak.Array, start: np.ndarray) -> np.ndarray:
    """Per-jet values of sorted jets, flat in the file's order (by ``stored_index``)."""
    at = np.repeat(start, ak.to_numpy(ak.num(jets, axis=1)))
    at += ak.to_numpy(ak.flatten(jets.stored_index, axis=1))
    out = np.empty(len(at))
    out[at] = ak.to_numpy(ak.flatten(values, axis=1))
    return out


def _met(x: np.ndarray, y: np.ndarray, events: NanoEvents) -> ak.Array:
    return ak.zip(
        {"pt": np.hypot(x, y), "phi": np.arctan2(y, x)},
        with_name="MissingET",
        behavior=events.behavior,
    )


def _type1_shifts(
    events: NanoEvents,
    variations: Mapping[str, ak.Array],
    names: list[str],
    jme: JetCorrections,
    is_data: bool,
) -> Callable[[str], tuple[np.ndarray, np.ndarray]]:
    """Σ over a collection's type-1 jets of a variation's correction, per event (x, y), as
    a function of the variation's name.

    The variations hold the same jets sorted differently; every quantity is put back in
    the file's order, so that the JEC part (the same in all) is computed once, and each
    variation's pt is made only when its sum is asked for.
    """
    flat = variations.in_file_order if isinstance(variations, CorrectedJets) else {}
    if isinstance(variations, CorrectedJets) and all(name in variations for name in names):
        # correct_jets keeps the numbers in the file's order: no jets are made or sorted
        corrected = variations
        first = events[corrected.collection]
        counts = ak.to_numpy(ak.num(first, axis=1))

        def stored(name: str) -> np.ndarray:
            return flat[name] if name in flat else _numpy(ak.flatten(first[name], axis=1))

        def varied(name: str) -> np.ndarray:
            return corrected.flat_pt(name)
    else:  # jets from elsewhere: put every number back in the file's order
        first = variations[names[0]]
        counts = ak.to_numpy(ak.num(first, axis=1))
        start = np.cumsum(counts) - counts

        def stored(name: str) -> np.ndarray:
            return _in_stored_order(first, first[name], start)

        def varied(name: str) -> np.ndarray:
            return _in_stored_order(variations[name], variations[name].pt, start)

    row = np.repeat(np.arange(len(counts)), counts)

    def per_event(values: np.ndarray) -> np.ndarray:
        return np.bincount(row, values, minlength=len(counts))

    pt_raw, pt_jec, phi = stored("pt_raw"), stored("pt_jec"), stored("phi")
    kept = 1.0 - stored("muonSubtrFactor")
    if "chEmEF" in first.fields:
        em = stored("chEmEF") + stored("neEmEF")
    elif "EmEF" in first.fields:
        em = stored("EmEF")
    else:  # CorrT1METJet before v15: no EM fraction stored, taken as 0 (NanoAOD-tools)
        em = np.zeros_like(pt_raw)
    # the muon-subtracted jet's own direction where the file keeps it (v15)
    dphi = stored("muonSubtrDeltaPhi") if "muonSubtrDeltaPhi" in first.fields else 0.0
    phi_no_muon = phi + dphi
    if "pt_l1" in first.fields or "pt_l1" in flat:  # from the compound's first level
        pt_l1 = stored("pt_l1")
    else:
        l1 = jec_factor(events, first, jme, is_data=is_data, raw_pt=first.pt_raw, level=L1)
        pt_l1 = _in_stored_order(first, l1, np.cumsum(counts) - counts) * pt_raw
    enters = (kept * pt_jec > TYPE1_MIN_PT) & (em < TYPE1_MAX_EM_FRACTION)
    jec_term = np.where(enters, kept * (pt_jec - pt_l1), 0.0)
    jec_x = per_event(jec_term * np.cos(phi_no_muon))
    jec_y = per_event(jec_term * np.sin(phi_no_muon))
    cos_phi, sin_phi = np.cos(phi), np.sin(phi)

    def shift(name: str) -> tuple[np.ndarray, np.ndarray]:
        change = np.where(enters, varied(name) - pt_jec, 0.0)
        return jec_x + per_event(change * cos_phi), jec_y + per_event(change * sin_phi)

    return shift


def _unclustered_shifts(met: ak.Array) -> list[tuple[np.ndarray, np.ndarray]]:
    """The file's unclustered-energy shifts of its MET, up and down, as (Δx, Δy)."""
    if "MetUnclustEnUpDeltaX" in met.fields:
        up = (_numpy(met.MetUnclustEnUpDeltaX), _numpy(met.MetUnclustEnUpDeltaY))
        return [up, (-up[0], -up[1])]
    if "ptUnclusteredUp" in met.fields:
        x, y = _components(met.pt, met.phi)
        shifts = []
        for direction in ("Up", "Down"):
            pt, phi = met[f"ptUnclustered{direction}"], met[f"phiUnclustered{direction}"]
            shifted_x, shifted_y = _components(pt, phi)
            shifts.append((shifted_x - x, shifted_y - y))
        return shifts
    raise CorrectionError("the MET collection has no unclustered-energy shifts stored")
