"""One block of simulated events: the processes, pile-up, reconstructed objects, missing
transverse momentum and triggers, by NanoAOD names.

Every draw comes from the block's random stream in a fixed order, so a block's content is a
pure function of the stream: a step added later draws after the others (see `simulate`).

Example:
    >>> block = simulate("ttbar", np.random.default_rng(1), 100)
    >>> sorted(block.collections)
    ['CorrT1METJet', 'Electron', 'GenJet', 'GenPart', 'Jet', 'Muon', 'Photon']
    >>> block.scalars["MET_pt"].shape
    (100,)
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from . import truth
from .detector import HADRONIC, PILEUP_JET, energy_calibration, low_pt_jets, reconstruct
from .objects import Objects

__all__ = ["Block", "simulate"]


@dataclass(frozen=True)
class _Process:
    """How to simulate one process, and the weight its events carry."""

    truth: Callable[[np.random.Generator, int], Objects]
    weight: float  # |genWeight|: a power of two, exact in float32 and in float64 sums
    negative: float  # fraction of events with a negative weight, as in NLO samples
    isr_jets: float  # mean number of initial-state-radiation jets
    soft_muons: tuple[float, float]  # probability of one and of two non-prompt muons
    fake_electrons: float  # probability of one non-prompt electron


# How each process of processes.PROCESSES is simulated, but dimuon_data (dy_mumu as data).
_PROCESSES = {
    "dy_mumu": _Process(truth.dimuon, 1024.0, 0.16, 0.8, (0.08, 0.03), 0.02),
    "dy_ee": _Process(truth.dielectron, 1024.0, 0.16, 0.8, (0.02, 0.005), 0.02),
    "zz4l": _Process(truth.zz_to_4l, 0.5, 0.10, 0.7, (0.02, 0.005), 0.02),
    "hzz4l": _Process(truth.higgs_to_4l, 0.25, 0.08, 0.9, (0.02, 0.005), 0.02),
    "ttbar": _Process(truth.ttbar, 2.0, 0.05, 1.2, (0.15, 0.03), 0.05),
}


@dataclass
class Block:
    """One block of events, by NanoAOD names: collections of objects and flat branches.

    Example:
        >>> Block({}, {"run": np.ones(3)}).scalars["run"].tolist()
        [1.0, 1.0, 1.0]
    """

    collections: dict[str, Objects]
    scalars: dict[str, np.ndarray]


def simulate(process: str, rng: np.random.Generator, n: int) -> Block:
    """Generate and reconstruct `n` events of `process` (any in `PROCESSES` but dimuon_data).

    The module's example shows a call.
    """
    spec = _PROCESSES[process]
    gen = spec.truth(rng, n)
    event = _pileup(rng, n)
    genjets = truth.gen_jets(rng, gen, spec.isr_jets)
    jets, muons, electrons, photons = reconstruct(
        rng, gen, genjets, event, spec.soft_muons, spec.fake_electrons
    )
    sign = np.where(rng.random(n) < spec.negative, -1.0, 1.0)
    scalars = {
        **event,
        **_missing_momentum(rng, gen, genjets, jets, [muons, electrons], photons, event),
        **_triggers(rng, muons, electrons),
        "genWeight": sign * spec.weight,
    }
    collections = {
        "GenPart": gen,
        "GenJet": genjets,
        "Jet": jets,
        "Muon": muons,
        "Electron": electrons,
        "Photon": photons,
        "CorrT1METJet": low_pt_jets(rng, n, event["Pileup_nPU"]),
    }
    energy_calibration(rng, electrons, photons)  # last: the draws above are unchanged by it
    return Block(collections, scalars)


def _pileup(rng: np.random.Generator, n: int) -> dict[str, np.ndarray]:
    """Pile-up and the event-level quantities that follow from it (2016-like, ⟨μ⟩ ≈ 25)."""
    true_int = np.clip(rng.gamma(7.0, 3.5, n), 0.5, 75)
    n_pu = rng.poisson(true_int)
    npvs = np.maximum(rng.binomial(n_pu + 1, 0.72), 1)
    return {
        "Pileup_nTrueInt": true_int,
        "Pileup_nPU": n_pu,
        "PV_npvs": npvs,
        "PV_npvsGood": np.maximum(npvs - rng.binomial(npvs, 0.03), 1),
        "fixedGridRhoFastjetAll": np.maximum(2.0 + 0.55 * n_pu + rng.normal(0, 1.5, n), 0.5),
    }


# ----------------------------------------------------------------------------------------------
# Missing transverse momentum
# ----------------------------------------------------------------------------------------------


def _scalar_sum(objects: Objects, selected: np.ndarray | None = None) -> np.ndarray:
    selected = objects.mask if selected is None else selected
    return np.where(selected, objects["pt"], 0.0).sum(axis=1)


def _mismeasurement(objects: Objects, selected, true: Objects, index) -> tuple:
    """Σ (measured - true) transverse momentum of the `selected` objects, true ones at `index`."""
    px, py = objects.px_py()
    true_pt, true_phi = true.gather(index, "pt"), true.gather(index, "phi")
    dx = np.where(selected, px - true_pt * np.cos(true_phi), 0.0).sum(axis=1)
    dy = np.where(selected, py - true_pt * np.sin(true_phi), 0.0).sum(axis=1)
    return dx, dy


def _missing_momentum(
    rng,
    gen: Objects,
    genjets: Objects,
    jets: Objects,
    leptons: list[Objects],
    photons: Objects,
    event,
) -> dict[str, np.ndarray]:
    """MET: the neutrinos, minus what the detector mismeasured, plus unclustered resolution.

    RawMET undoes the type-1 correction of the jets that enter it (muon-subtracted corrected
    pT above 15 GeV, electromagnetic fraction below 0.9), so re-correcting the jets of the file
    gets MET back.
    """
    n = gen.mask.shape[0]
    neutrino = gen.mask & np.isin(np.abs(gen["pdgId"]), (12, 14, 16)) & (gen["status"] == 1)
    gx, gy = gen.px_py()
    met_x, met_y = np.where(neutrino, gx, 0).sum(1), np.where(neutrino, gy, 0).sum(1)
    # what reconstruction got wrong shows up, with the opposite sign, as missing momentum
    matched = jets.mask & (jets["genJetIdx"] >= 0)
    dx, dy = _mismeasurement(jets, matched, genjets, jets["genJetIdx"])
    met_x, met_y = met_x - dx, met_y - dy
    # a lepton's own jet is the lepton: count its energy once
    hadronic = jets.mask & ((jets["source"] == HADRONIC) | (jets["source"] == PILEUP_JET))
    visible = _scalar_sum(jets, hadronic) + _scalar_sum(photons)
    for objects in leptons:
        dx, dy = _mismeasurement(
            objects, objects.mask & objects["prompt"], gen, objects["genPartIdx"]
        )
        met_x, met_y = met_x - dx, met_y - dy
        visible += _scalar_sum(objects)
    unclustered = 150 + 20 * event["Pileup_nPU"] + rng.gamma(2.0, 40.0, n)
    sum_et = visible + unclustered
    sigma = 0.45 * np.sqrt(sum_et)
    met_x += rng.normal(0, 1, n) * sigma
    met_y += rng.normal(0, 1, n) * sigma
    # type-1: MET = RawMET - Σ (corrected - raw) over the jets above threshold
    subtracted = jets["pt"] * (1 - jets["muonSubtrFactor"])
    type1 = jets.mask & (subtracted > 15) & (jets["chEmEF"] + jets["neEmEF"] < 0.9)
    shift = np.where(type1, jets["rawFactor"] * subtracted, 0.0)
    raw_x = met_x + (shift * np.cos(jets["phi"])).sum(1)
    raw_y = met_y + (shift * np.sin(jets["phi"])).sum(1)
    return {
        "MET_pt": np.hypot(met_x, met_y),
        "MET_phi": np.arctan2(met_y, met_x),
        "MET_sumEt": sum_et,
        "MET_MetUnclustEnUpDeltaX": rng.normal(0, 0.005, n) * unclustered,
        "MET_MetUnclustEnUpDeltaY": rng.normal(0, 0.005, n) * unclustered,
        "RawMET_pt": np.hypot(raw_x, raw_y),
        "RawMET_phi": np.arctan2(raw_y, raw_x),
        "RawMET_sumEt": sum_et - shift.sum(1),
    }


# ----------------------------------------------------------------------------------------------
# Triggers
# ----------------------------------------------------------------------------------------------


def _leading_two(objects: Objects, selected: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """pT of the leading and subleading selected objects (0 where absent)."""
    pts = -np.sort(-np.where(selected, objects["pt"], 0.0), axis=1)
    pts = np.pad(pts, ((0, 0), (0, max(0, 2 - pts.shape[1]))))
    return pts[:, 0], pts[:, 1]


def _triggers(
    rng: np.random.Generator, muons: Objects, electrons: Objects
) -> dict[str, np.ndarray]:
    n = muons.mask.shape[0]
    mu_pt, mu_eta = muons["pt"], np.abs(muons["eta"])
    isolated = muons.mask & muons["tightId"] & (muons["pfRelIso04_all"] < 0.15) & (mu_eta < 2.4)
    loose = muons.mask & muons["looseId"] & (muons["pfRelIso03_all"] < 0.4)
    lead, sub = _leading_two(muons, loose)
    tight_ele = electrons.mask & (electrons["cutBased"] >= 4) & (np.abs(electrons["eta"]) < 2.1)
    return {
        "HLT_IsoMu24": (isolated & (mu_pt > 24)).any(1) & (rng.random(n) < 0.93),
        "HLT_Mu17_TrkIsoVVL_Mu8_TrkIsoVVL_DZ": (lead > 17) & (sub > 8) & (rng.random(n) < 0.92),
        "HLT_Ele27_WPTight_Gsf": (tight_ele & (electrons["pt"] > 27)).any(1)
        & (rng.random(n) < 0.9),
        "Flag_goodVertices": rng.random(n) < 0.998,
    }
