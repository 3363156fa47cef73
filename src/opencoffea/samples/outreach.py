"""The outreach format's content: a block's events as the CMS AOD2NanoAODOutreachTool would have
written them from 2012 data and simulation (the reduced layout of the H→4ℓ open data).

Calorimeter jets instead of PF jets, HPS τ candidates, every photon above 5 GeV, the tool's
-999 for what it cannot compute, and its GenPart: copies of the generated leptons nearest to
the reconstructed objects.

Example:
    >>> from .simulation import simulate
    >>> rng = np.random.default_rng(1)
    >>> block = outreach(rng, simulate("hzz4l", rng, 100), "mc")
    >>> sorted(block.collections)
    ['Electron', 'GenPart', 'Jet', 'Muon', 'Photon', 'Tau']
"""

from __future__ import annotations

import numpy as np

from .detector import photons
from .objects import Objects, multiplicity, nearest
from .simulation import Block
from .truth import ELECTRON_MASS, MUON_MASS

__all__ = ["outreach"]

_TAU_DECAY_MODES = np.array([-1, 0, 1, 2, 10])
_TAU_DECAY_MODE_SHARES = np.array([0.45, 0.12, 0.25, 0.03, 0.15])
# The tool writes -999 for quantities it cannot compute (no PF isolation, no global track).
_MISSING = -999.0


def outreach(rng: np.random.Generator, block: Block, kind: str) -> Block:
    """The block's events as the 2012 outreach NanoAOD holds them (`kind` "mc" or "data").

    The block's muons and electrons are changed in place. The module's example shows a call.
    """
    nano = block.collections
    n = nano["Muon"].mask.shape[0]
    jets = _calo_jets(rng, nano["Jet"], block.scalars["Pileup_nPU"])
    taus = _taus(rng, jets)

    muons = nano["Muon"]
    pf = muons["isPFcand"]
    muons["pfRelIso03_all"] = np.where(pf, muons["pfRelIso03_all"], _MISSING)
    muons["pfRelIso04_all"] = np.where(pf, muons["pfRelIso04_all"], _MISSING)
    for name in ("dxy", "dxyErr", "dz", "dzErr"):
        muons[name] = np.where(muons["isGlobal"], muons[name], _MISSING)
    muons["mass"] = MUON_MASS

    electrons = nano["Electron"]
    cut_based = electrons["cutBased"]
    electrons["cutBasedId"] = cut_based >= 1
    electrons["pfId"] = electrons.random(rng) < np.where(electrons["prompt"], 0.8, 0.4)
    electrons["pfRelIso03_all"] = np.where(electrons["pfId"], electrons["pfRelIso03_all"], _MISSING)
    electrons["isLoose"], electrons["isMedium"] = cut_based >= 2, cut_based >= 3
    electrons["isTight"] = cut_based >= 4

    # every photon above 5 GeV, where NanoAOD keeps those passing a loose selection
    all_photons = photons(rng, n, 2.2)
    all_photons["mass"], all_photons["charge"] = 0.0, 0
    all_photons["isLoose"] = all_photons["mvaID_WP90"]
    all_photons["isMedium"] = all_photons["mvaID_WP80"]
    all_photons["isTight"] = all_photons["mvaID_WP80"] & (all_photons["pfRelIso03_all"] < 0.1)

    leptons_and_co = [muons, electrons, all_photons, taus]
    collections = {
        "Muon": muons,
        "Electron": electrons,
        "Photon": all_photons,
        "Tau": taus,
        "Jet": jets,
    }
    if kind == "mc":
        # the tool matches in simulation only; in data the indices stay -1
        collections["GenPart"], indices = _generator_matches(nano["GenPart"], leptons_and_co)
        for objects, index in zip(leptons_and_co, indices, strict=True):
            objects["genPartIdx"] = index
            objects["jetIdx"] = nearest(objects, jets, np.inf)
    else:
        for objects in leptons_and_co:
            objects["genPartIdx"] = objects["jetIdx"] = -1
    return Block(collections, _event_quantities(rng, block.scalars, muons, taus))


def _event_quantities(
    rng: np.random.Generator, scalars: dict, muons: Objects, taus: Objects
) -> dict[str, np.ndarray]:
    """Triggers, the primary vertex and MET with its significance, as the tool writes them."""
    n = len(scalars["MET_pt"])
    sum_et = scalars["MET_sumEt"]
    cov_xx = 0.3 * sum_et * rng.uniform(0.7, 1.3, n)
    cov_yy = 0.3 * sum_et * rng.uniform(0.7, 1.3, n)
    cov_xy = rng.uniform(-0.3, 0.3, n) * np.sqrt(cov_xx * cov_yy)
    met_x = scalars["MET_pt"] * np.cos(scalars["MET_phi"])
    met_y = scalars["MET_pt"] * np.sin(scalars["MET_phi"])
    determinant = cov_xx * cov_yy - cov_xy**2
    iso_mu = muons.mask & muons["tightId"] & (muons["pfRelIso04_all"] >= 0)
    iso_mu &= muons["pfRelIso04_all"] < 0.15
    central = np.abs(muons["eta"]) < 2.1
    return {
        "HLT_IsoMu24_eta2p1": (iso_mu & central & (muons["pt"] > 24)).any(1),
        "HLT_IsoMu24": (iso_mu & (muons["pt"] > 24)).any(1),
        "HLT_IsoMu17_eta2p1_LooseIsoPFTau20": (iso_mu & central & (muons["pt"] > 17)).any(1)
        & (taus.mask & (taus["pt"] > 20) & taus["idIsoLoose"]).any(1),
        "PV_npvs": scalars["PV_npvs"],
        # the 2012 beam spot, and the luminous region's length
        "PV_x": rng.normal(0.2442, 0.0015, n),
        "PV_y": rng.normal(0.3929, 0.0015, n),
        "PV_z": rng.normal(0.0, 5.0, n),
        "MET_pt": scalars["MET_pt"],
        "MET_phi": scalars["MET_phi"],
        "MET_sumet": sum_et,
        "MET_significance": (met_x**2 * cov_yy - 2 * met_x * met_y * cov_xy + met_y**2 * cov_xx)
        / determinant,
        "MET_CovXX": cov_xx,
        "MET_CovXY": cov_xy,
        "MET_CovYY": cov_yy,
    }


def _calo_jets(rng: np.random.Generator, jets: Objects, n_pu: np.ndarray) -> Objects:
    """AK5 calorimeter jets above 15 GeV, uncorrected, with the CSV b-tag and its defaults.

    Uncorrected calorimeter jets pass 15 GeV from pile-up alone far more often than PF jets do,
    so pile-up jets, about 0.4 per pile-up interaction, join the jets of the event.
    """
    n, width = len(n_pu), 16
    soft = 15 + rng.exponential(5.0, (n, width))
    pileup = Objects(
        multiplicity(rng, n, width, 0.4 * n_pu),
        pt=soft,
        eta=rng.uniform(-4.7, 4.7, (n, width)),
        phi=rng.uniform(-np.pi, np.pi, (n, width)),
        mass=soft * rng.uniform(0.05, 0.2, (n, width)),
        rawFactor=0.0,
        hadronFlavour=0,
    )
    jets = Objects(
        jets.mask,
        **{k: jets[k] for k in ("pt", "eta", "phi", "mass", "rawFactor", "hadronFlavour")},
    ).concat(pileup)
    shape = jets.mask.shape
    raw = jets["pt"] * (1 - jets["rawFactor"])
    flavour = jets["hadronFlavour"]
    csv = np.select(
        [flavour == 5, flavour == 4],
        [rng.beta(5.0, 1.5, shape), rng.beta(2.0, 3.0, shape)],
        rng.beta(1.0, 6.0, shape),
    )
    # CSV is -10 without tracks (outside the tracker), -1 without a usable vertex
    csv = np.where(np.abs(jets["eta"]) > 2.4, -10.0, np.where(rng.random(shape) < 0.3, -1.0, csv))
    calo = Objects(
        jets.mask & (raw > 15),
        pt=raw,
        eta=jets["eta"],
        phi=jets["phi"],
        mass=jets["mass"] * (1 - jets["rawFactor"]),
        puId=rng.random(shape) < 0.1,
        btag=csv,
    )
    return calo.sorted_by_pt()


def _taus(rng: np.random.Generator, jets: Objects) -> Objects:
    """HPS τ candidates: most jets make one; few pass isolation."""
    shape = jets.mask.shape
    pt = jets["pt"] * rng.uniform(0.5, 1.0, shape)
    mode = rng.choice(_TAU_DECAY_MODES, shape, p=_TAU_DECAY_MODE_SHARES)
    found = mode >= 0
    rel_iso = rng.exponential(0.8, shape)
    raw_iso = rel_iso * pt * rng.uniform(0.5, 1.0, shape)
    taus = Objects(
        jets.mask & (pt > 15) & (rng.random(shape) < 0.6),
        pt=pt,
        eta=jets["eta"],
        phi=jets["phi"],
        mass=np.select(
            [mode == 0, found], [0.13957, rng.uniform(0.3, 1.5, shape)], rng.uniform(2, 9, shape)
        ),
        charge=np.where(found, rng.choice([-1, 1], shape), rng.choice([-1, 0, 1], shape)),
        decayMode=mode,
        # the tool's isolation is undefined (NaN) without a reconstructed decay mode
        relIso_all=np.where(found, rel_iso, np.nan),
        idDecayMode=found,
        idIsoRaw=np.where(found, raw_iso, 0.0),
    )
    for name, cut in (("VLoose", 3.0), ("Loose", 2.0), ("Medium", 1.0), ("Tight", 0.8)):
        taus[f"idIso{name}"] = found & (raw_iso < cut)
    for name, p in (("Loose", 0.9), ("Medium", 0.75), ("Tight", 0.6)):
        taus[f"idAntiEle{name}"] = found & (rng.random(shape) < p)
        taus[f"idAntiMu{name}"] = rng.random(shape) < p + 0.08
    return taus.sorted_by_pt()


def _generator_matches(gen: Objects, objects: list[Objects]) -> tuple[Objects, list]:
    """GenPart as the outreach tool writes it: for each reconstructed μ, e, γ and τ in turn, a
    copy of the nearest generated lepton (no ΔR limit), indexed by the object's genPartIdx."""
    interesting = gen.mask & np.isin(np.abs(gen["pdgId"]), (11, 13)) & (gen["status"] == 1)
    leptons = Objects(interesting, eta=gen["eta"], phi=gen["phi"])
    directions = [Objects(o.mask, eta=o["eta"], phi=o["phi"]) for o in objects]
    together = directions[0].concat(*directions[1:])
    best = nearest(together, leptons, np.inf)
    matched = together.mask & (best >= 0)
    index = np.where(matched, np.cumsum(matched, axis=1) - 1, -1)
    lepton_mass = np.where(np.abs(gen["pdgId"]) == 13, MUON_MASS, ELECTRON_MASS)
    record = Objects(
        matched,
        **{k: gen.gather(best, k) for k in ("pt", "eta", "phi", "pdgId", "status")},
        mass=np.take_along_axis(lepton_mass, np.maximum(best, 0), axis=1),
    )
    edges = np.cumsum([o.width for o in objects])[:-1]
    return record, np.split(index, edges, axis=1)
