"""Jet energy resolution (JER) smearing of simulated jets, on flat arrays.

The hybrid method of CMSSW's ``SmearedJetProducerT``: σ = PtResolution(JetEta, JetPt =
pt_jec, Rho); SF = ScaleFactor(its declared inputs, ``"nom"``/``"up"``/``"down"``). A jet
is matched when its ``genJetIdx`` names a GenJet with ΔR < R/2 and
|pt_jec − pt_gen| < 3·σ·pt_jec; then the factor is 1 + (SF − 1)·(pt_jec − pt_gen)/pt_jec,
otherwise 1 + N(0, 1)·σ·√max(SF² − 1, 0) with the normal number of
:func:`~opencoffea.corrections.seeds.object_gaussian`, stream ``"jer"``, drawn for the
jet's position in the file (so any chunking gives the same jets). A factor that would
leave the jet with less than :data:`MIN_JET_ENERGY` (negative included) is raised to
leave it exactly that, as CMSSW does: the jet keeps its direction instead of flipping
through zero.

The JER variations (``jerUp``/``jerDown``) are the same jets smeared with SF up and down:
the same normal numbers, the same gen matching.

Example:
    >>> from opencoffea.corrections.jec import flat
    >>> jets = events.Jet  # their pt is the file's, corrected already
    >>> factors = jer_factors(
    ...     events, jets,
    ...     payload=str(corrections_root / "POG/JME/2016postVFP_UL/jet_jerc.json.gz"),
    ...     resolution="Summer20UL16_JRV3_MC_PtResolution_AK4PFchs",
    ...     scale_factor="Summer20UL16_JRV3_MC_ScaleFactor_AK4PFchs",
    ...     systematics=["nom", "up"], pt=flat(jets.pt), mass=flat(jets.mass),
    ... )
    >>> np.round(factors["nom"][:3], 3).tolist(), np.round(factors["up"][:3], 3).tolist()
    ([0.994, 0.982, 0.984], [0.99, 0.969, 0.968])
"""

from __future__ import annotations

from collections.abc import Iterable

import awkward as ak
import numpy as np

from ..events import NanoEvents
from .jec import flat, rho
from .payloads import correction, evaluate, load_payload
from .seeds import object_gaussian

__all__ = ["MIN_JET_ENERGY", "jer_factors"]

MIN_JET_ENERGY = 1e-2
"""GeV: the least energy JER smearing leaves a jet (CMSSW ``SmearedJetProducerT``)."""


def jer_factors(
    events: NanoEvents,
    jets: ak.Array,
    *,
    payload: str,
    resolution: str,
    scale_factor: str,
    systematics: Iterable[str],
    pt: np.ndarray,
    mass: np.ndarray,
    radius: float = 0.4,
) -> dict[str, np.ndarray]:
    """The hybrid JER factor of each jet (flat), for each SF systematic (``"nom"``, ...).

    ``jets`` are a collection of ``events`` in the file's order, with ``genJetIdx``;
    ``pt`` and ``mass`` their JEC-corrected pt and mass (flat); ``resolution`` and
    ``scale_factor`` the keys of ``payload``; ``radius`` that of the jet algorithm (AK4),
    for the gen matching. See the module for the recipe and its example.
    """
    counts = ak.to_numpy(ak.num(jets, axis=1))
    row = np.repeat(np.arange(len(counts)), counts)  # the event of each jet
    eta = flat(jets.eta)
    cset = load_payload(payload)
    sigma = np.asarray(
        evaluate(correction(cset, resolution), JetEta=eta, JetPt=pt, Rho=rho(events)[row])
    )
    gen_pt, matched = _gen_match(events, jets, row, eta, pt, sigma, radius)
    # one normal number per jet, from (run, lumi, event, stored position) only
    normal = flat(object_gaussian(events, jets, "jer"))
    energy = np.hypot(pt * np.cosh(eta), mass)
    sf_correction = correction(cset, scale_factor)
    out = {}
    with np.errstate(divide="ignore", invalid="ignore"):
        floor = MIN_JET_ENERGY / energy
        for systematic in systematics:
            sf = np.asarray(evaluate(sf_correction, JetEta=eta, JetPt=pt, systematic=systematic))
            scaled = 1.0 + (sf - 1.0) * (pt - gen_pt) / pt
            stochastic = 1.0 + normal * sigma * np.sqrt(np.maximum(sf**2 - 1.0, 0.0))
            out[systematic] = np.maximum(np.where(matched, scaled, stochastic), floor)
    return out


def _gen_match(
    events: NanoEvents,
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
    gen_pt, gen_eta, gen_phi = (flat(gen[name])[at] for name in ("pt", "eta", "phi"))
    dphi = (flat(jets.phi) - gen_phi + np.pi) % (2 * np.pi) - np.pi
    close = np.hypot(eta - gen_eta, dphi) < radius / 2
    compatible = np.abs(pt - gen_pt) < 3.0 * sigma * pt
    return np.where(linked, gen_pt, 0.0), linked & close & compatible
