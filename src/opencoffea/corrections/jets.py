"""Corrected jet collections: JEC, JES and JER applied, one collection per variation.

Pure, columnar building blocks: NanoEvents in, corrected jet collections out, one per
systematic variation. The official payloads are read through correctionlib (loaded once
per process by :func:`~opencoffea.corrections.payloads.load_payload`), and every step is
evaluated on flat arrays, once per chunk: the JEC factors and JES uncertainties in
:mod:`~opencoffea.corrections.jec`, the JER smearing of simulation in
:mod:`~opencoffea.corrections.jer`, each with its recipe. Here they become collections,
each variation's made when it is asked for from what all share
(:mod:`~opencoffea.corrections.varied_jets`).

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
    ...     payload=str(corrections_root / "POG/JME/2016postVFP_UL/jet_jerc.json.gz"),
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
    >>> events.Muon.matched_jet.pt[4].tolist()  # the jets of the two muons of event 4
    [84.375, 29.390625]
    >>> np.round(up.Muon.matched_jet.pt[4], 2).tolist()  # the same jets, corrected, JES up
    [85.39, 31.15]
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Any

import awkward as ak
import numpy as np
from pydantic import ValidationError, field_validator

from ..errors import CorrectionError
from ..events import NanoEvents
from ..jetkeys import COMPOUND, DataPeriod, JetKeys, level_key
from ..util import NOMINAL
from .jec import flat, jec_factors, jes_delta, raw_momentum, run_periods
from .jer import jer_factors
from .objects import with_collection
from .varied_jets import CorrectedJets, JetFactors

__all__ = [
    "JetCorrections",
    "correct_jets",
    "jec_factor",
    "jet_variations",
    "with_jets",
]

_NEVER_SMEARED = frozenset({"CorrT1METJet"})  # no gen link stored; they only enter type-1 MET
_VARIATION = re.compile(r"(?:jes(?P<source>\w+?)|(?P<jer>jer))(?P<direction>Up|Down)")
_JER_SYSTEMATIC = {NOMINAL: "nom", "Up": "up", "Down": "down"}


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
        return tuple(sorted(periods, key=lambda p: p.first))  # run_periods searches them

    def jec_key(self, *, is_data: bool, run: int | None = None, level: str = COMPOUND) -> str:
        """The key of a JEC level for simulation, or for the data period of ``run``.

        Example:
            >>> jme = JetCorrections(payload="jet_jerc.json.gz", mc_jec="V7_MC_L1L2L3Res_AK4PFchs",
            ...                      data_jec=[(1, 9, "V7_RunB_DATA_L1L2L3Res_AK4PFchs")])
            >>> jme.jec_key(is_data=True, run=5, level="L2Relative")
            'V7_RunB_DATA_L2Relative_AK4PFchs'
        """
        if not is_data:
            return level_key(self.mc_jec, level)
        if run is None:
            raise CorrectionError("the data JEC key depends on the run: give run=")
        return level_key(self.data_jec[run_periods(self.data_jec, np.array([run]))[0]].key, level)


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
    events: NanoEvents,
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
        >>> jme = JetCorrections(
        ...     payload=str(corrections_root / "POG/JME/2016postVFP_UL/jet_jerc.json.gz"),
        ...     mc_jec="Summer19UL16_V7_MC_L1L2L3Res_AK4PFchs",
        ...     jer_resolution="Summer20UL16_JRV3_MC_PtResolution_AK4PFchs",
        ...     jer_scale_factor="Summer20UL16_JRV3_MC_ScaleFactor_AK4PFchs",
        ... )
        >>> jets = correct_jets(events, jme, is_data=False, variations=["nominal", "jerUp"])
        >>> jets["nominal"].fields[-5:]  # pt and mass are replaced in place
        ['pt_raw', 'mass_raw', 'pt_jec', 'stored_index', 'pt_l1']
        >>> events.Jet.pt[4].tolist()  # in the file: sorted by the file's corrected pt
        [90.625, 84.375, 29.390625, 18.0625, 15.265625]
        >>> np.round(jets["nominal"].pt[4], 2).tolist(), jets["nominal"].stored_index[4].tolist()
        ([91.53, 84.41, 30.3, 13.68, 13.15], [0, 1, 2, 4, 3])
    """
    variations = tuple(dict.fromkeys(variations))
    parsed = {name: _parse(name, jme, is_data=is_data) for name in variations if name != NOMINAL}
    jets = events[collection]
    if "stored_index" in jets.fields:
        raise CorrectionError(
            f"events.{collection} is corrected already: correct the events as read"
        )
    counts = ak.to_numpy(ak.num(jets, axis=1))
    raw_pt, raw_mass = raw_momentum(jets, collection)
    keys = jme.data_jec if is_data else jme.mc_jec
    jec, l1 = jec_factors(events, jets, raw_pt, payload=jme.payload, keys=keys)
    pt_jec, mass_jec = raw_pt * jec, raw_mass * jec

    factors = _variation_factors(
        events, jets, jme, parsed, collection=collection, is_data=is_data, pt=pt_jec, m=mass_jec
    )
    flat_numbers = {"pt_raw": raw_pt, "pt_jec": pt_jec}
    base = _with_fields(
        jets,
        pt_raw=ak.unflatten(raw_pt, counts),
        mass_raw=ak.unflatten(raw_mass, counts),
        pt_jec=ak.unflatten(pt_jec, counts),
        stored_index=ak.local_index(jets, axis=1),
    )
    if l1 is not None:  # the L1-corrected pt, which type-1 MET subtracts
        flat_numbers["pt_l1"] = raw_pt * l1
        base = ak.with_field(base, ak.unflatten(flat_numbers["pt_l1"], counts), "pt_l1")
    return CorrectedJets(
        base,
        collection=collection,
        names=variations,
        in_file_order=flat_numbers,
        mass_jec=mass_jec,
        factors=factors,
    )


def with_jets(
    events: NanoEvents, jets: ak.Array, *, in_file_order: ak.Array | None = None
) -> NanoEvents:
    """``events`` with ``Jet`` replaced by corrected jets, cross-references kept.

    ``events.Jet`` becomes ``jets`` (sorted by corrected pt, as :func:`correct_jets` gives
    them), and ``events.Muon.matched_jet``, ``events.Electron.matched_jet`` (any index into
    Jet) give the corrected jet that is the same physical jet as before. ``events`` must
    be the whole chunk as read, before any event selection: coffea's indices count jets
    from the start of the chunk. ``in_file_order`` is the same jets in the file's order
    (as :meth:`CorrectedJets.variation` gives them beside the sorted ones); without it,
    the jets are sorted back by ``stored_index``.

    Example:
        >>> jme = JetCorrections(
        ...     payload=str(corrections_root / "POG/JME/2016postVFP_UL/jet_jerc.json.gz"),
        ...     mc_jec="Summer19UL16_V7_MC_L1L2L3Res_AK4PFchs",
        ... )
        >>> nominal = with_jets(events, correct_jets(events, jme, is_data=False)["nominal"])
        >>> np.round(nominal.Jet.pt[4], 2).tolist()  # sorted by the corrected pt
        [90.17, 83.88, 30.0, 15.96, 14.1]
        >>> np.round(nominal.Muon.matched_jet.pt[4], 2).tolist()  # muon → its jet, corrected
        [83.88, 30.0]
    """
    if "stored_index" not in jets.fields:
        raise CorrectionError("with_jets takes jets from correct_jets (they carry stored_index)")
    if in_file_order is None:
        in_file_order = jets[ak.argsort(jets.stored_index, axis=1)]
    # coffea's global indices (Muon.jetIdxG, ...) point into the jets in the file's order
    return with_collection(events, "Jet", jets, in_file_order=in_file_order)


def jec_factor(
    events: NanoEvents,
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
        >>> jme = JetCorrections(
        ...     payload=str(corrections_root / "POG/JME/2016postVFP_UL/jet_jerc.json.gz"),
        ...     mc_jec="Summer19UL16_V7_MC_L1L2L3Res_AK4PFchs",
        ... )
        >>> l1 = jec_factor(events, events.Jet, jme, is_data=False, level="L1FastJet",
        ...                 raw_pt=events.Jet.pt * (1 - events.Jet.rawFactor))
        >>> np.round(l1[0], 3).tolist()  # the pileup offset of the jets of event 0
        [0.985, 0.883, 0.917, 0.697, 0.722]
    """
    keys = jme.data_jec if is_data else jme.mc_jec
    factor, _ = jec_factors(events, jets, flat(raw_pt), payload=jme.payload, keys=keys, level=level)
    return ak.unflatten(factor, ak.to_numpy(ak.num(jets, axis=1)))


# ------------------------------------------------------------------------------ internals


def _with_fields(array: ak.Array, **fields: ak.Array) -> ak.Array:
    for name, values in fields.items():
        array = ak.with_field(array, values, name)
    return array


def _parse(name: str, jme: JetCorrections, *, is_data: bool) -> tuple[str, str | None]:
    """A variation other than the nominal as (the JER systematic of its jets, its JES key
    or None): ``jesTotalUp`` → ("nom", the Total key, …), ``jerDown`` → ("down", None)."""
    match = _VARIATION.fullmatch(name)
    if match is None:
        raise CorrectionError(
            f"unknown jet variation {name!r}: use 'nominal', 'jes<Source>Up|Down' or 'jerUp|Down'"
        )
    if is_data:
        raise CorrectionError(f"data jets have no variation {name!r}: JES and JER are MC's")
    if match["jer"]:
        if not jme.smears:
            raise CorrectionError(f"{name!r} needs the JER keys, which the corrections lack")
        return _JER_SYSTEMATIC[match["direction"]], None
    if jme.uncertainty is None:
        raise CorrectionError(f"{name!r} needs the JES uncertainty key pattern")
    return "nom", jme.uncertainty.format(source=match["source"])


def _variation_factors(
    events: NanoEvents,
    jets: ak.Array,
    jme: JetCorrections,
    parsed: dict[str, tuple[str, str | None]],
    *,
    collection: str,
    is_data: bool,
    pt: np.ndarray,
    m: np.ndarray,
) -> JetFactors:
    """What each variation's factor on the JEC jets is made of: JER, and δ for JES."""
    resolution, scale_factor = jme.jer_resolution, jme.jer_scale_factor
    jer: dict[str, np.ndarray] = {}
    if not (is_data or collection in _NEVER_SMEARED or resolution is None or scale_factor is None):
        if "genJetIdx" not in jets.fields:
            raise CorrectionError(
                f"{collection} has no genJetIdx, which JER smearing needs (is this data?)"
            )
        wanted = {"nom"} | {systematic for systematic, key in parsed.values() if key is None}
        jer = jer_factors(
            events,
            jets,
            payload=jme.payload,
            resolution=resolution,
            scale_factor=scale_factor,
            systematics=wanted,
            pt=pt,
            mass=m,
            radius=jme.radius,
        )
    nominal = jer.pop("nom", None)
    keys = list(dict.fromkeys(key for _, key in parsed.values() if key is not None))
    deltas: dict[str, np.ndarray] = {}
    if keys:
        eta = flat(jets.eta)
        nominal_pt = pt if nominal is None else pt * nominal  # the pt after all corrections
        deltas = {key: jes_delta(jme.payload, key, eta, nominal_pt) for key in keys}
    return JetFactors(nominal, jer, deltas, parsed)
