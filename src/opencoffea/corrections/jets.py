"""Jet energy corrections (JEC), their uncertainties (JES) and resolution smearing (JER).

Pure, columnar building blocks: NanoEvents in, corrected jet collections out, one per
systematic variation. The official payloads are read through correctionlib (loaded once
per process by :func:`~opencoffea.corrections.payloads.load_payload`), and every step is
evaluated on flat arrays, once per chunk.

The recipe
----------
JEC
    From the raw jet, ``pt_raw = pt·(1 − rawFactor)`` (mass likewise), the compound
    L1L2L3Res correction of the payload with inputs ``JetA`` (area), ``JetEta``, ``JetPt``
    (raw pt) and ``Rho`` (``fixedGridRhoFastjetAll``, or ``Rho_fixedGridRhoFastjetAll``
    from NanoAOD v12 on). Data takes the key of the run's period, simulation the MC key.
    The compound evaluates each level at the pt corrected by the levels before it, as
    CMSSW does. ``pt_jec = pt_raw·C`` and the mass is scaled by the same factor.
JER (simulation only), the hybrid method of CMSSW's ``SmearedJetProducerT``
    σ = PtResolution(JetEta, JetPt = pt_jec, Rho); SF = ScaleFactor(its declared inputs,
    ``"nom"``/``"up"``/``"down"``). A jet is matched when its ``genJetIdx`` names a GenJet
    with ΔR < R/2 and |pt_jec − pt_gen| < 3·σ·pt_jec; then the factor is
    1 + (SF − 1)·(pt_jec − pt_gen)/pt_jec, otherwise 1 + N(0, 1)·σ·√max(SF² − 1, 0) with
    the normal number of :func:`~opencoffea.corrections.seeds.object_gaussian`, stream
    ``"jer"``, drawn for the jet's position in the file (so any chunking gives the same
    jets). A factor that would leave the jet with less than ``MIN_JET_ENERGY`` (10 MeV,
    negative included) is raised to leave it exactly that, as CMSSW does: the jet keeps its
    direction instead of flipping through zero.
JES (simulation only)
    δ = Uncertainty(JetEta, JetPt = nominal pt, i.e. after JEC and JER: "after all
    corrections applied", as the payload says); ``jes<Source>Up/Down`` scale the nominal pt
    and mass by 1 ± δ. ``jerUp/Down`` are the JEC jets smeared with SF up/down (the same
    normal numbers, the same gen matching).

Every variation's jets are sorted by their own corrected pt, descending, and carry
``pt_raw``, ``mass_raw``, ``pt_jec`` (after JEC, before JER), ``pt``, ``mass``, and
``stored_index``: the jet's position in the file's order.

Cross-references
----------------
coffea resolves ``events.Muon.matched_jet`` through a global index into the Jet
collection *as read* (``Muon_jetIdx`` plus the Jet offsets), taken from the
"original" events of the chunk. Re-sorted jets break that, and corrected jets placed with
``ak.with_field`` are not seen by it at all: the muon would find the uncorrected jet.
:func:`with_jets` therefore puts the sorted jets in ``events.Jet`` and gives the events a
new original in which the corrected jets stand in the file's order
(:func:`~opencoffea.corrections.objects.with_collection`), so the global indices of every
collection still land on the same physical jet. ``jet.matched_gen`` needs nothing: a jet
carries its own index into GenJet.

Example:
    >>> jme = JetCorrections(
    ...     payload="POG/JME/2016postVFP_UL/jet_jerc.json.gz",
    ...     mc_jec="Summer19UL16_V7_MC_L1L2L3Res_AK4PFchs",
    ...     data_jec=[(278769, 284044, "Summer19UL16_RunFGH_V7_DATA_L1L2L3Res_AK4PFchs")],
    ...     uncertainty="Summer19UL16_V7_MC_{source}_AK4PFchs",
    ...     jer_resolution="Summer20UL16_JRV3_MC_PtResolution_AK4PFchs",
    ...     jer_scale_factor="Summer20UL16_JRV3_MC_ScaleFactor_AK4PFchs",
    ... )
    >>> jets = correct_jets(events, jme, is_data=False, variations=jet_variations(["Total"]))
    >>> sorted(jets)
    ['jerDown', 'jerUp', 'jesTotalDown', 'jesTotalUp', 'nominal']
    >>> up = with_jets(events, jets["jesTotalUp"])
    >>> up.Muon.matched_jet.pt  # the corrected, shifted jet of each muon
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Any

import awkward as ak
import numpy as np
from pydantic import ValidationError, field_validator

from ..errors import CorrectionError
from ..jetkeys import COMPOUND, L1, DataPeriod, JetKeys, level_key
from ..util import NOMINAL
from .objects import with_collection
from .payloads import compound_stack, correction, evaluate, load_payload
from .seeds import object_gaussian

__all__ = [
    "MIN_JET_ENERGY",
    "CorrectedJets",
    "JetCorrections",
    "correct_jets",
    "jec_factor",
    "jet_variations",
    "with_jets",
]

MIN_JET_ENERGY = 1e-2
"""GeV: the least energy JER smearing leaves a jet (CMSSW ``SmearedJetProducerT``)."""

_NEVER_SMEARED = frozenset({"CorrT1METJet"})  # no gen link stored; they only enter type-1 MET
_VARIATION = re.compile(r"(?:jes(?P<source>\w+?)|(?P<jer>jer))(?P<direction>Up|Down)")
_JER_SYSTEMATIC = {NOMINAL: "nom", "Up": "up", "Down": "down"}


class CorrectedJets(dict):
    """What :func:`correct_jets` gives: variation name → jets sorted by corrected pt.

    ``in_file_order`` keeps the flat per-jet numbers in the file's order (``pt_raw``,
    ``pt_jec``, ``pt_l1`` where the compound gave it, and ``pt:<variation>``), so that
    type-1 MET sums them without putting the sorted jets back in order.
    """

    def __init__(self, *, collection: str, in_file_order: dict[str, np.ndarray]) -> None:
        super().__init__()
        self.collection = collection
        self.in_file_order = in_file_order


class JetCorrections(JetKeys):
    """The jet corrections of a run: the payload's path and its keys, whole (a small,
    hashable value; :class:`~opencoffea.jetkeys.JetKeys` says what each key is).

    A YAML file's keys, the era's filling in the rest, become one in
    :class:`~opencoffea.corrections.apply.Corrector`. Keys of the single levels
    (``L1FastJet`` for type-1 MET) are derived from the compound keys
    (:func:`~opencoffea.jetkeys.level_key`). A value that cannot be is a
    :class:`~opencoffea.errors.CorrectionError`.

    Example:
        >>> jme = JetCorrections(payload="jet_jerc_Summer22_V3.json.gz",
        ...                      mc_jec="Summer22_22Sep2023_V3_MC_L1L2L3Res_AK4PFPuppi")
        >>> jme.puppi, jme.jec_key(is_data=False, level="L1FastJet")
        (True, 'Summer22_22Sep2023_V3_MC_L1FastJet_AK4PFPuppi')
    """

    # whole here: the path of the payload, and the simulation's key
    payload: str
    mc_jec: str
    radius: float = 0.4  # of the jet algorithm (AK4), for the JER gen matching

    def __init__(self, **values: Any) -> None:
        try:
            super().__init__(**values)
        except ValidationError as err:
            problems = []
            for error in err.errors():
                where = ".".join(map(str, error["loc"]))
                message = error["msg"].removeprefix("Value error, ")
                problems.append(f"{where}: {message}" if where else message)
            raise CorrectionError("jet corrections: " + "; ".join(problems)) from None

    @field_validator("data_jec")
    @classmethod
    def _in_run_order(cls, periods: tuple[DataPeriod, ...]) -> tuple[DataPeriod, ...]:
        return tuple(sorted(periods, key=lambda p: p.first))  # _periods searches them

    def jec_key(self, *, is_data: bool, run: int | None = None, level: str = COMPOUND) -> str:
        """The key of a JEC level for simulation, or for the data period of ``run``."""
        if not is_data:
            return level_key(self.mc_jec, level)
        if run is None:
            raise CorrectionError("the data JEC key depends on the run: give run=")
        return level_key(self.data_jec[_periods(self, np.array([run]))[0]].key, level)


def jet_variations(sources: Iterable[str] = ("Total",), *, jer: bool = True) -> tuple[str, ...]:
    """The variation names for JES ``sources`` and JER, nominal first.

    Example:
        >>> jet_variations(["Total"])
        ('nominal', 'jesTotalUp', 'jesTotalDown', 'jerUp', 'jerDown')
        >>> jet_variations([], jer=False)
        ('nominal',)
    """
    names = [NOMINAL]
    for source in sources:
        names += [f"jes{source}Up", f"jes{source}Down"]
    if jer:
        names += ["jerUp", "jerDown"]
    return tuple(names)


def correct_jets(
    events: ak.Array,
    jme: JetCorrections,
    *,
    is_data: bool,
    variations: Iterable[str] = (NOMINAL,),
    collection: str = "Jet",
) -> CorrectedJets:
    """Corrected jets of ``events``, one collection per variation, sorted by corrected pt.

    ``variations`` are names as :func:`jet_variations` makes them; data takes
    ``"nominal"`` only. ``collection`` may be ``"CorrT1METJet"`` (the low-pt jets kept for
    type-1 MET, raw pt in ``rawPt``): they have no gen link, so they are never smeared and
    their ``jer*`` variations equal the nominal. Give the events as read (the jets in the
    file's order): the JER numbers follow a jet's stored position.

    Example:
        >>> jets = correct_jets(events, jme, is_data=False, variations=["nominal", "jerUp"])
        >>> jets["nominal"].fields[-4:]  # pt and mass are replaced in place
        ['pt_raw', 'mass_raw', 'pt_jec', 'stored_index']
    """
    variations = tuple(dict.fromkeys(variations))
    _check_variations(variations, jme, is_data=is_data)
    jets = events[collection]
    if "stored_index" in jets.fields:
        raise CorrectionError(
            f"events.{collection} is corrected already: correct the events as read"
        )
    counts = ak.to_numpy(ak.num(jets, axis=1))
    row = np.repeat(np.arange(len(counts)), counts)  # the event of each jet
    raw_pt, raw_mass = _raw_momentum(jets, collection)
    eta = _flat(jets.eta)
    jec, l1 = _jec(events, jets, raw_pt, jme, is_data=is_data, row=row, eta=eta)
    pt_jec, mass_jec = raw_pt * jec, raw_mass * jec

    factors = _variation_factors(
        events,
        jets,
        jme,
        variations,
        collection=collection,
        is_data=is_data,
        row=row,
        eta=eta,
        pt=pt_jec,
        m=mass_jec,
    )
    base = _with_fields(
        jets,
        pt_raw=ak.unflatten(raw_pt, counts),
        mass_raw=ak.unflatten(raw_mass, counts),
        pt_jec=ak.unflatten(pt_jec, counts),
        stored_index=ak.local_index(jets, axis=1),
    )
    if l1 is not None:  # the L1-corrected pt, which type-1 MET subtracts
        base = ak.with_field(base, ak.unflatten(raw_pt * l1, counts), "pt_l1")
    flat = {"pt_raw": raw_pt, "pt_jec": pt_jec}
    if l1 is not None:
        flat["pt_l1"] = raw_pt * l1
    out = CorrectedJets(collection=collection, in_file_order=flat)
    for name, factor in factors.items():
        pt = pt_jec * factor
        flat[f"pt:{name}"] = pt
        varied = _with_fields(
            base,
            pt=ak.unflatten(pt, counts),
            mass=ak.unflatten(mass_jec * factor, counts),
        )
        out[name] = varied[ak.argsort(varied.pt, axis=1, ascending=False, stable=True)]
    return out


def with_jets(events: ak.Array, jets: ak.Array) -> ak.Array:
    """``events`` with ``Jet`` replaced by corrected jets, cross-references kept.

    ``events.Jet`` becomes ``jets`` (sorted by corrected pt, as :func:`correct_jets` gives
    them), and ``events.Muon.matched_jet``, ``events.Electron.matched_jet`` (any index into
    Jet) give the corrected jet that is the same physical jet as before. ``events`` must
    be the whole chunk as read, before any event selection: coffea's indices count jets
    from the start of the chunk.

    Example:
        >>> nominal = with_jets(events, correct_jets(events, jme, is_data=False)["nominal"])
        >>> nominal.Jet.pt[:, 0]  # the leading jet after corrections
        >>> nominal.Muon.matched_jet.pt_jec
    """
    if "stored_index" not in jets.fields:
        raise CorrectionError("with_jets takes jets from correct_jets (they carry stored_index)")
    # coffea's global indices (Muon.jetIdxG, ...) point into the jets in the file's order
    return with_collection(
        events, "Jet", jets, in_file_order=jets[ak.argsort(jets.stored_index, axis=1)]
    )


def jec_factor(
    events: ak.Array,
    jets: ak.Array,
    jme: JetCorrections,
    *,
    is_data: bool,
    raw_pt: ak.Array,
    level: str = COMPOUND,
) -> ak.Array:
    """The JEC factor of one level (``"L1FastJet"``, ...) or of the compound, per jet.

    ``jets`` is any jagged collection of ``events`` with ``eta`` and ``area``, in any
    order; ``raw_pt`` the raw pt of each jet, with the same structure.

    Example:
        >>> l1 = jec_factor(events, events.Jet, jme, is_data=False, level="L1FastJet",
        ...                 raw_pt=events.Jet.pt * (1 - events.Jet.rawFactor))
    """
    counts = ak.to_numpy(ak.num(jets, axis=1))
    row = np.repeat(np.arange(len(counts)), counts)
    factor, _ = _jec(
        events, jets, _flat(raw_pt), jme, is_data=is_data, row=row, eta=_flat(jets.eta), level=level
    )
    return ak.unflatten(factor, counts)


# ------------------------------------------------------------------------------ internals


def _flat(values: ak.Array) -> np.ndarray:
    """A jagged array's values as one float64 numpy array."""
    return np.asarray(ak.to_numpy(ak.flatten(values, axis=1)), dtype=np.float64)


def _with_fields(array: ak.Array, **fields: ak.Array) -> ak.Array:
    for name, values in fields.items():
        array = ak.with_field(array, values, name)
    return array


def _periods(jme: JetCorrections, runs: np.ndarray) -> np.ndarray:
    """The index into ``jme.data_jec`` of each run; an error for runs in no period."""
    if not jme.data_jec:
        raise CorrectionError("these jet corrections have no data periods (data_jec)")
    firsts = np.array([p.first for p in jme.data_jec])
    lasts = np.array([p.last for p in jme.data_jec])
    which = np.searchsorted(firsts, runs, side="right") - 1
    covered = (which >= 0) & (runs <= lasts[np.maximum(which, 0)])
    if not covered.all():
        missing = sorted({int(run) for run in runs[~covered]})
        spans = ", ".join(f"{p.first}-{p.last}" for p in jme.data_jec)
        raise CorrectionError(
            f"run(s) {missing[:5]}{' ...' if len(missing) > 5 else ''} are in no data "
            f"period of the jet corrections (periods: {spans})"
        )
    return which


def _rho(events: ak.Array) -> np.ndarray:
    """ρ of each event: ``Rho_fixedGridRhoFastjetAll`` from v12 on, else the old name."""
    if "Rho" in events.fields and "fixedGridRhoFastjetAll" in events.Rho.fields:
        rho = events.Rho.fixedGridRhoFastjetAll
    elif "fixedGridRhoFastjetAll" in events.fields:
        rho = events.fixedGridRhoFastjetAll
    else:
        raise CorrectionError(
            "the events have neither Rho_fixedGridRhoFastjetAll nor fixedGridRhoFastjetAll, "
            "which jet energy corrections need"
        )
    return np.asarray(ak.to_numpy(rho), dtype=np.float64)


def _raw_momentum(jets: ak.Array, collection: str) -> tuple[np.ndarray, np.ndarray]:
    """Raw pt and mass: undo the file's JEC (``rawFactor``), or read ``rawPt``."""
    if "rawFactor" in jets.fields:
        keep = 1.0 - _flat(jets.rawFactor)
        return _flat(jets.pt) * keep, _flat(jets.mass) * keep
    if "rawPt" in jets.fields:
        raw_pt = _flat(jets.rawPt)
        # CorrT1METJet has a raw mass from v12 on; before, massless (it only enters MET)
        raw_mass = _flat(jets.rawMass) if "rawMass" in jets.fields else np.zeros_like(raw_pt)
        return raw_pt, raw_mass
    raise CorrectionError(f"{collection} has neither rawFactor nor rawPt: no raw jet pt")


def _jec(
    events: ak.Array,
    jets: ak.Array,
    raw_pt: np.ndarray,
    jme: JetCorrections,
    *,
    is_data: bool,
    row: np.ndarray,
    eta: np.ndarray,
    level: str = COMPOUND,
) -> tuple[np.ndarray, np.ndarray | None]:
    """The JEC factor of each jet (flat), each data period with its own key, and with the
    compound its first level's factor, L1FastJet (``None`` where it cannot be had)."""
    cset = load_payload(jme.payload)
    inputs = {"JetA": _flat(jets.area), "JetEta": eta, "JetPt": raw_pt, "Rho": _rho(events)[row]}
    if not is_data:
        return _jec_levels(cset, jme.payload, level_key(jme.mc_jec, level), inputs)
    period = _periods(jme, ak.to_numpy(events.run))[row]
    out, l1 = np.empty(len(raw_pt)), np.empty(len(raw_pt))
    for index in np.unique(period):
        these = period == index
        key = level_key(jme.data_jec[index].key, level)
        subset = {name: values[these] for name, values in inputs.items()}
        factor, first = _jec_levels(cset, jme.payload, key, subset)
        out[these] = factor
        if first is None:
            l1 = None
        elif l1 is not None:
            l1[these] = first
    return out, l1


def _jec_levels(
    cset: Any, payload: str, key: str, inputs: dict[str, np.ndarray]
) -> tuple[np.ndarray, np.ndarray | None]:
    """One key's factor, and its L1FastJet factor when ``key`` is the compound.

    The compound is evaluated level by level, as correctionlib does it (each level at the
    pt the ones before gave, the factors multiplied): type-1 MET needs the L1 factor too,
    and this way it costs nothing more (evaluating it again was a fifth of the JEC time).
    """
    stack = compound_stack(payload, key) if COMPOUND in key else None
    if not stack or stack[0] != level_key(key, L1):
        return np.asarray(evaluate(correction(cset, key), **inputs)), None
    pt, total, first = inputs["JetPt"], np.ones(len(inputs["JetPt"])), None
    for name in stack:
        factor = np.asarray(evaluate(correction(cset, name), **{**inputs, "JetPt": pt}))
        first = factor if first is None else first
        total = total * factor
        pt = pt * factor
    return total, first


def _check_variations(variations: tuple[str, ...], jme: JetCorrections, *, is_data: bool) -> None:
    for name in variations:
        if name == NOMINAL:
            continue
        match = _VARIATION.fullmatch(name)
        if match is None:
            raise CorrectionError(
                f"unknown jet variation {name!r}: use 'nominal', 'jes<Source>Up|Down' "
                "or 'jerUp|Down'"
            )
        if is_data:
            raise CorrectionError(f"data jets have no variation {name!r}: JES and JER are MC's")
        if match["jer"] and not jme.smears:
            raise CorrectionError(f"{name!r} needs the JER keys, which the corrections lack")
        if match["source"] and jme.uncertainty is None:
            raise CorrectionError(f"{name!r} needs the JES uncertainty key pattern")


def _variation_factors(
    events: ak.Array,
    jets: ak.Array,
    jme: JetCorrections,
    variations: tuple[str, ...],
    *,
    collection: str,
    is_data: bool,
    row: np.ndarray,
    eta: np.ndarray,
    pt: np.ndarray,
    m: np.ndarray,
) -> dict[str, np.ndarray]:
    """Each variation's factor on the JEC jets (flat): JER, times 1 ± δ for JES."""
    smear = not is_data and jme.smears and collection not in _NEVER_SMEARED
    if smear and "genJetIdx" not in jets.fields:
        raise CorrectionError(
            f"{collection} has no genJetIdx, which JER smearing needs (is this data?)"
        )
    wanted = {NOMINAL}
    for name in variations:
        match = _VARIATION.fullmatch(name)
        if match and match["jer"]:
            wanted.add(match["direction"])
    jer = (
        _jer_factors(events, jets, jme, {_JER_SYSTEMATIC[w] for w in wanted}, row, eta, pt, m)
        if smear
        else {}
    )
    nominal = jer.get("nom", np.ones_like(pt))
    cset = load_payload(jme.payload) if jme.uncertainty is not None else None
    deltas: dict[str, np.ndarray] = {}
    factors = {}
    for name in variations:
        match = _VARIATION.fullmatch(name)
        if name == NOMINAL:
            factors[name] = nominal
        elif match["jer"]:
            factors[name] = jer.get(_JER_SYSTEMATIC[match["direction"]], nominal)
        else:
            source = match["source"]
            if source not in deltas:
                corr = correction(cset, jme.uncertainty.format(source=source))
                deltas[source] = np.asarray(evaluate(corr, JetEta=eta, JetPt=pt * nominal))
            sign = 1.0 if match["direction"] == "Up" else -1.0
            factors[name] = nominal * (1.0 + sign * deltas[source])
    return factors


def _jer_factors(
    events: ak.Array,
    jets: ak.Array,
    jme: JetCorrections,
    systematics: set[str],
    row: np.ndarray,
    eta: np.ndarray,
    pt: np.ndarray,
    mass: np.ndarray,
) -> dict[str, np.ndarray]:
    """The hybrid JER factor of each JEC jet (flat), for each SF systematic."""
    cset = load_payload(jme.payload)
    rho = _rho(events)[row]
    sigma = np.asarray(
        evaluate(correction(cset, jme.jer_resolution), JetEta=eta, JetPt=pt, Rho=rho)
    )
    gen_pt, matched = _gen_match(events, jets, row, eta, pt, sigma, jme.radius)
    # one normal number per jet, from (run, lumi, event, stored position) only
    normal = _flat(object_gaussian(events, jets, "jer"))
    energy = np.hypot(pt * np.cosh(eta), mass)
    scale_factor = correction(cset, jme.jer_scale_factor)
    out = {}
    with np.errstate(divide="ignore", invalid="ignore"):
        floor = MIN_JET_ENERGY / energy
        for systematic in systematics:
            sf = np.asarray(evaluate(scale_factor, JetEta=eta, JetPt=pt, systematic=systematic))
            scaled = 1.0 + (sf - 1.0) * (pt - gen_pt) / pt
            stochastic = 1.0 + normal * sigma * np.sqrt(np.maximum(sf**2 - 1.0, 0.0))
            out[systematic] = np.maximum(np.where(matched, scaled, stochastic), floor)
    return out


def _gen_match(
    events: ak.Array,
    jets: ak.Array,
    row: np.ndarray,
    eta: np.ndarray,
    pt: np.ndarray,
    sigma: np.ndarray,
    radius: float,
) -> tuple[np.ndarray, np.ndarray]:
    """The GenJet pt of each jet's ``genJetIdx`` (0 where none) and whether it matches."""
    gen = events.GenJet
    gen_counts = ak.to_numpy(ak.num(gen, axis=1))
    gen_start = np.cumsum(gen_counts) - gen_counts
    index = np.asarray(ak.to_numpy(ak.flatten(jets.genJetIdx, axis=1)), dtype=np.int64)
    linked = (index >= 0) & (index < gen_counts[row])
    if not linked.any():
        return np.zeros_like(pt), linked
    at = np.where(linked, gen_start[row] + index, 0)
    gen_pt, gen_eta, gen_phi = (_flat(gen[name])[at] for name in ("pt", "eta", "phi"))
    dphi = (_flat(jets.phi) - gen_phi + np.pi) % (2 * np.pi) - np.pi
    close = np.hypot(eta - gen_eta, dphi) < radius / 2
    compatible = np.abs(pt - gen_pt) < 3.0 * sigma * pt
    return np.where(linked, gen_pt, 0.0), linked & close & compatible
