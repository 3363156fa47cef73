"""Jet energy corrections (JEC) and their uncertainties (JES), evaluated on flat arrays.

The recipe
----------
JEC
    From the raw jet, ``pt_raw = pt·(1 − rawFactor)`` (mass likewise), the compound
    L1L2L3Res correction of the payload with inputs ``JetA`` (area), ``JetEta``, ``JetPt``
    (raw pt) and ``Rho`` (``fixedGridRhoFastjetAll``, or ``Rho_fixedGridRhoFastjetAll``
    from NanoAOD v12 on). Data takes the key of the run's period, simulation the MC key.
    The compound evaluates each level at the pt corrected by the levels before it, as
    CMSSW does. ``pt_jec = pt_raw·C`` and the mass is scaled by the same factor.
JES (simulation only)
    δ = Uncertainty(JetEta, JetPt = the nominal pt, after JEC and JER: "after all
    corrections applied", as the payload says); a source's up and down variations scale the
    nominal pt and mass by 1 ± δ.

Every function here takes and gives one number per jet, the jets of all events one after
the other (:func:`flat`): correctionlib evaluates flat arrays, and each step runs once a
chunk. The jagged collections are :mod:`opencoffea.corrections.jets`'.

Example:
    >>> payload = corrections_root / "POG/JME/2016postVFP_UL/jet_jerc.json.gz"
    >>> raw_pt, raw_mass = raw_momentum(events.Jet, "Jet")
    >>> factor, l1 = jec_factors(events, events.Jet, raw_pt, payload=str(payload),
    ...                          keys="Summer19UL16_V7_MC_L1L2L3Res_AK4PFchs")
    >>> events.Jet.pt[0, :3].tolist()  # as stored, corrected with the file's JEC
    [80.75, 45.59375, 29.640625]
    >>> np.round(raw_pt[:3] * factor[:3], 2).tolist()  # corrected with these payloads
    [80.08, 44.22, 30.35]
"""

from __future__ import annotations

from collections.abc import Sequence

import awkward as ak
import correctionlib
import numpy as np

from ..errors import CorrectionError
from ..events import NanoEvents
from ..jetkeys import COMPOUND, L1, DataPeriod, level_key
from .payloads import compound_stack, correction, evaluate, load_payload

__all__ = ["flat", "jec_factors", "jes_delta", "raw_momentum", "rho", "run_periods"]


def flat(values: ak.Array) -> np.ndarray:
    """A jagged array's values as one float64 numpy array, event after event.

    Example:
        >>> flat(ak.Array([[1.5, 2.0], [], [3.0]])).tolist()
        [1.5, 2.0, 3.0]
    """
    return np.asarray(ak.to_numpy(ak.flatten(values, axis=1)), dtype=np.float64)


def rho(events: NanoEvents) -> np.ndarray:
    """ρ of each event: ``Rho_fixedGridRhoFastjetAll`` from v12 on, else the old name.

    Example:
        >>> np.round(rho(events)[:3], 2).tolist()  # NanoAOD v6: fixedGridRhoFastjetAll
        [11.87, 19.46, 13.84]
    """
    if "Rho" in events.fields and "fixedGridRhoFastjetAll" in events.Rho.fields:
        values = events.Rho.fixedGridRhoFastjetAll
    elif "fixedGridRhoFastjetAll" in events.fields:
        values = events.fixedGridRhoFastjetAll
    else:
        raise CorrectionError(
            "the events have neither Rho_fixedGridRhoFastjetAll nor fixedGridRhoFastjetAll, "
            "which jet energy corrections need"
        )
    return np.asarray(ak.to_numpy(values), dtype=np.float64)


def raw_momentum(jets: ak.Array, collection: str) -> tuple[np.ndarray, np.ndarray]:
    """Raw pt and mass of each jet: undo the file's JEC (``rawFactor``), or read ``rawPt``.

    ``collection`` is the jets' name, for the error where they have neither.

    Example:
        >>> raw_pt, raw_mass = raw_momentum(events.Jet, "Jet")
        >>> flat(events.Jet.pt)[:3].tolist(), np.round(raw_pt[:3], 2).tolist()
        ([80.75, 45.59375, 29.640625], [72.15, 41.68, 24.72])
    """
    if "rawFactor" in jets.fields:
        keep = 1.0 - flat(jets.rawFactor)
        return flat(jets.pt) * keep, flat(jets.mass) * keep
    if "rawPt" in jets.fields:
        raw_pt = flat(jets.rawPt)
        # CorrT1METJet has a raw mass from v12 on; before, massless (it only enters MET)
        raw_mass = flat(jets.rawMass) if "rawMass" in jets.fields else np.zeros_like(raw_pt)
        return raw_pt, raw_mass
    raise CorrectionError(f"{collection} has neither rawFactor nor rawPt: no raw jet pt")


def run_periods(periods: Sequence[DataPeriod], runs: np.ndarray) -> np.ndarray:
    """The index into ``periods`` (in run order) of each run; an error for runs in none.

    Example:
        >>> periods = [DataPeriod.model_validate(p) for p in ([1, 10, "A"], [20, 30, "B"])]
        >>> run_periods(periods, np.array([5, 20, 30])).tolist()
        [0, 1, 1]
        >>> run_periods(periods, np.array([15]))  # doctest: +ELLIPSIS
        Traceback (most recent call last):
        ...
        opencoffea.errors.CorrectionError: run(s) [15] are in no data period ...
    """
    if not periods:
        raise CorrectionError("these jet corrections have no data periods (data_jec)")
    firsts = np.array([p.first for p in periods])
    lasts = np.array([p.last for p in periods])
    which = np.searchsorted(firsts, runs, side="right") - 1
    covered = (which >= 0) & (runs <= lasts[np.maximum(which, 0)])
    if not covered.all():
        missing = sorted({int(run) for run in runs[~covered]})
        spans = ", ".join(f"{p.first}-{p.last}" for p in periods)
        raise CorrectionError(
            f"run(s) {missing[:5]}{' ...' if len(missing) > 5 else ''} are in no data "
            f"period of the jet corrections (periods: {spans})"
        )
    return which


def jec_factors(
    events: NanoEvents,
    jets: ak.Array,
    raw_pt: np.ndarray,
    *,
    payload: str,
    keys: str | Sequence[DataPeriod],
    level: str = COMPOUND,
) -> tuple[np.ndarray, np.ndarray | None]:
    """The JEC factor of each jet (flat), and with the compound its first level's factor,
    L1FastJet (``None`` where it cannot be had).

    ``jets`` is any jagged collection of ``events`` with ``eta`` and ``area``, ``raw_pt``
    their raw pt (flat). ``keys`` is the compound key of simulation, or the periods of data
    in run order (each event takes the key of its run's period); ``level`` a single level
    (``"L1FastJet"``, ...) instead of the compound.

    Example:
        >>> payload = str(corrections_root / "POG/JME/2016postVFP_UL/jet_jerc.json.gz")
        >>> raw_pt, _ = raw_momentum(events.Jet, "Jet")
        >>> mc = "Summer19UL16_V7_MC_L1L2L3Res_AK4PFchs"
        >>> total, l1 = jec_factors(events, events.Jet, raw_pt, payload=payload, keys=mc)
        >>> only_l1, _ = jec_factors(events, events.Jet, raw_pt, payload=payload, keys=mc,
        ...                          level="L1FastJet")
        >>> bool(np.allclose(l1, only_l1)), np.round(total[:3], 3).tolist()
        (True, [1.11, 1.061, 1.228])
    """
    counts = ak.to_numpy(ak.num(jets, axis=1))
    row = np.repeat(np.arange(len(counts)), counts)  # the event of each jet
    cset = load_payload(payload)
    inputs = {
        "JetA": flat(jets.area),
        "JetEta": flat(jets.eta),
        "JetPt": raw_pt,
        "Rho": rho(events)[row],
    }
    if isinstance(keys, str):
        return _jec_levels(cset, payload, level_key(keys, level), inputs)
    period = run_periods(keys, ak.to_numpy(events.run))[row]
    out = np.empty(len(raw_pt))
    l1: np.ndarray | None = np.empty(len(raw_pt))
    for index in np.unique(period):
        these = period == index
        subset = {name: values[these] for name, values in inputs.items()}
        factor, first = _jec_levels(cset, payload, level_key(keys[index].key, level), subset)
        out[these] = factor
        if first is None:
            l1 = None
        elif l1 is not None:
            l1[these] = first
    return out, l1


def jes_delta(payload: str, key: str, eta: np.ndarray, pt: np.ndarray) -> np.ndarray:
    """The relative JES uncertainty δ of each jet (flat) for one source's ``key``.

    Example:
        >>> payload = str(corrections_root / "POG/JME/2016postVFP_UL/jet_jerc.json.gz")
        >>> delta = jes_delta(payload, "Summer19UL16_V7_MC_Total_AK4PFchs",
        ...                   np.array([0.0, 2.5]), np.array([50.0, 50.0]))
        >>> np.round(delta, 4).tolist()
        [0.0143, 0.027]
    """
    uncertainty = correction(load_payload(payload), key)
    return np.asarray(evaluate(uncertainty, JetEta=eta, JetPt=pt))


def _jec_levels(
    cset: correctionlib.CorrectionSet, payload: str, key: str, inputs: dict[str, np.ndarray]
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
