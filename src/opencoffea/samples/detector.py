"""Reconstructed objects: the generated particles seen through a detector.

Acceptance, efficiency, momentum resolution (muons ~1–2 %, electrons ~2 %, jets ~10–20 %),
identification and isolation that differ for prompt and non-prompt leptons, pile-up jets, the
jets that leptons make (NanoAOD's jets are not cleaned of them), and NanoAOD's cross-references.

Example:
    >>> from .truth import dimuon, gen_jets
    >>> rng = np.random.default_rng(1)
    >>> gen = dimuon(rng, 1_000)
    >>> event = {"Pileup_nPU": np.full(1_000, 20), "fixedGridRhoFastjetAll": np.full(1_000, 12.0)}
    >>> jets, muons, electrons, photons = reconstruct(
    ...     rng, gen, gen_jets(rng, gen, 0.8), event, soft_muons=(0.1, 0.0), fake_electrons=0.0
    ... )
    >>> bool(muons.mask.sum() > 1_000), bool((jets["pt"][jets.mask] >= 15).all())
    (True, True)
"""

from __future__ import annotations

import numpy as np

from .layout import NANOAOD, reduce_precision
from .objects import Objects, back_references, multiplicity, nearest
from .truth import ELECTRON_MASS, MUON_MASS

__all__ = [
    "HADRONIC",
    "PILEUP_JET",
    "energy_calibration",
    "low_pt_jets",
    "photons",
    "reconstruct",
]

HADRONIC, PILEUP_JET, _MUON_JET, _ELECTRON_JET = 0, 1, 2, 3
"""Where a jet comes from (the ``source`` column of jets): a GenJet, pile-up, or a lepton."""


def reconstruct(
    rng: np.random.Generator,
    gen: Objects,
    genjets: Objects,
    event: dict[str, np.ndarray],
    soft_muons: tuple[float, float],
    fake_electrons: float,
) -> tuple[Objects, Objects, Objects, Objects]:
    """Jets, muons, electrons and photons of a block, linked and rounded as NanoAOD stores them.

    `event` holds the pile-up (``Pileup_nPU``, ``fixedGridRhoFastjetAll``); `soft_muons` the
    probabilities of one and of two non-prompt muons, `fake_electrons` of one non-prompt electron.
    The module's example shows a call.
    """
    n = gen.mask.shape[0]
    rho = event["fixedGridRhoFastjetAll"]
    hadronic = _hadronic_jets(rng, genjets, event)
    muons = _muons(rng, gen, hadronic, soft_muons, event["Pileup_nPU"])
    electrons = _electrons(rng, gen, hadronic, fake_electrons)
    soft_photons = photons(rng, n, 0.6)
    jets = hadronic.concat(
        _lepton_jets(rng, muons, _MUON_JET, rho), _lepton_jets(rng, electrons, _ELECTRON_JET, rho)
    ).sorted_by_pt()
    _jet_details(rng, jets)
    _link(muons, electrons, soft_photons, jets)
    # store-precision rounding now, so that later sums (type-1 MET) use what the file holds
    for name, bits in NANOAOD.bits("Jet").items():
        jets[name] = reduce_precision(jets[name], bits)
    return jets, muons, electrons, soft_photons


# ----------------------------------------------------------------------------------------------
# Jets
# ----------------------------------------------------------------------------------------------


def _raw_factor(rng: np.random.Generator, pt, rho, area) -> np.ndarray:
    """1 - raw/corrected: mostly the pile-up offset ρ·A, relatively larger for soft jets."""
    factor = 0.02 + 0.15 * rho[:, None] * area / pt + rng.normal(0, 0.008, pt.shape)
    return np.clip(factor, 0.0, 0.35)


def _hadronic_jets(
    rng: np.random.Generator, genjets: Objects, event: dict[str, np.ndarray]
) -> Objects:
    """Reconstructed jets of the GenJets (jet energy resolution applied) and pile-up jets."""
    shape = genjets.mask.shape
    gen_pt = genjets["pt"]
    resolution = np.sqrt((3.0 / gen_pt) ** 2 + 1.0 / gen_pt + 0.05**2)
    pt = gen_pt * (1 + resolution * rng.standard_normal(shape))
    eta = genjets["eta"] + rng.normal(0, 0.02, shape)
    matched = Objects(
        genjets.mask & (pt > 15) & (np.abs(eta) < 4.7),
        pt=pt,
        eta=eta,
        phi=genjets["phi"] + rng.normal(0, 0.02, shape),
        mass=genjets["mass"] * np.maximum(rng.normal(1, 0.1, shape), 0.1),
        genJetIdx=genjets.slots,
        hadronFlavour=genjets["hadronFlavour"],
        partonFlavour=genjets["partonFlavour"],
        source=HADRONIC,
    )
    n, width = shape[0], 4
    pu_pt = 15 + rng.exponential(4.0, (n, width))
    pileup = Objects(
        multiplicity(rng, n, width, 0.015 * event["Pileup_nPU"]),
        pt=pu_pt,
        eta=rng.uniform(-4.7, 4.7, (n, width)),
        phi=rng.uniform(-np.pi, np.pi, (n, width)),
        mass=pu_pt * rng.uniform(0.05, 0.15, (n, width)),
        genJetIdx=-1,
        hadronFlavour=0,
        partonFlavour=0,
        source=PILEUP_JET,
    )
    jets = matched.concat(pileup)
    jets["area"] = np.clip(rng.normal(0.5, 0.03, jets.mask.shape), 0.3, 0.8)
    jets["rawFactor"] = _raw_factor(rng, jets["pt"], event["fixedGridRhoFastjetAll"], jets["area"])
    return jets


def _lepton_jets(
    rng: np.random.Generator, leptons: Objects, source: int, rho: np.ndarray
) -> Objects:
    """The jets that isolated leptons make."""
    shape = leptons.mask.shape
    raw = leptons["pt"] + rng.exponential(2.0, shape)
    area = np.clip(rng.normal(0.5, 0.03, shape), 0.3, 0.8)
    raw_factor = _raw_factor(rng, raw, rho, area)
    pt = raw / (1 - raw_factor)
    eta = leptons["eta"] + rng.normal(0, 0.005, shape)
    keep = leptons.mask & leptons["prompt"] & (pt > 15) & (rng.random(shape) < 0.95)
    return Objects(
        keep,
        pt=pt,
        eta=eta,
        phi=leptons["phi"] + rng.normal(0, 0.005, shape),
        mass=pt * rng.uniform(0.01, 0.05, shape),
        genJetIdx=-1,
        hadronFlavour=0,
        partonFlavour=0,
        source=source,
        area=area,
        rawFactor=raw_factor,
    )


def _deep_flavour_b(rng: np.random.Generator, flavour: np.ndarray) -> np.ndarray:
    """A DeepJet-like b-tag score: at the 2016 medium working point (0.2783) it keeps about
    80 % of b jets, 17 % of c jets and 1 % of light jets."""
    shape = flavour.shape
    b_like = rng.beta(8.0, 1.2, shape)
    light_like = rng.beta(1.0, 10.0, shape)
    tagged = rng.random(shape) < np.select([flavour == 5, flavour == 4], [0.8, 0.14], 0.008)
    # light jets sit closer to zero than the untagged part of b and c jets
    untagged = np.where((flavour == 5) | (flavour == 4), light_like, light_like**2)
    return np.where(tagged, b_like, untagged)


def _jet_details(rng: np.random.Generator, jets: Objects) -> None:
    """Identification, b tagging and energy fractions, by the kind of jet."""
    shape = jets.mask.shape
    source, flavour = jets["source"], jets["hadronFlavour"]
    hadronic = source == HADRONIC
    leptonic = (source == _MUON_JET) | (source == _ELECTRON_JET)
    jets["btagDeepFlavB"] = _deep_flavour_b(rng, flavour)
    electron = source == _ELECTRON_JET
    jets["chEmEF"] = np.where(electron, rng.uniform(0.8, 0.95, shape), rng.beta(1.0, 25.0, shape))
    jets["neEmEF"] = np.where(electron, rng.uniform(0.0, 0.05, shape), rng.beta(2.0, 8.0, shape))
    # 2016 flags: 1 loose, 2 tight, 4 tightLepVeto (which a lepton's own jet fails)
    jet_id = np.where(
        hadronic,
        rng.choice([7, 3, 1, 0], shape, p=[0.97, 0.02, 0.007, 0.003]),
        rng.choice([7, 3, 1, 0], shape, p=[0.9, 0.05, 0.03, 0.02]),
    )
    jets["jetId"] = np.where(leptonic, 3, jet_id)
    pu_id = np.where(
        source == PILEUP_JET,
        rng.choice([7, 6, 4, 0], shape, p=[0.05, 0.1, 0.25, 0.6]),
        rng.choice([7, 6, 4, 0], shape, p=[0.85, 0.07, 0.05, 0.03]),
    )
    # the pile-up ID is trained below 50 GeV only; harder jets pass all its working points
    jets["puId"] = np.where(jets["pt"] >= 50, 7, pu_id)


def low_pt_jets(rng: np.random.Generator, n: int, n_pu: np.ndarray) -> Objects:
    """CorrT1METJet: jets below 15 GeV after correction, kept for re-doing the type-1 MET.

    Example:
        >>> jets = low_pt_jets(np.random.default_rng(1), 100, np.full(100, 20))
        >>> bool((jets["rawPt"][jets.mask] < 14).all())
        True
    """
    width = 8
    shape = (n, width)
    raw = 10 + rng.exponential(1.5, shape)
    jets = Objects(
        multiplicity(rng, n, width, 2 + 0.1 * n_pu) & (raw < 14),
        pt=raw,
        rawPt=raw,
        eta=rng.uniform(-4.7, 4.7, shape),
        phi=rng.uniform(-np.pi, np.pi, shape),
        area=np.clip(rng.normal(0.5, 0.05, shape), 0.3, 0.8),
        muonSubtrFactor=0.0,
    )
    return jets.sorted_by_pt()


# ----------------------------------------------------------------------------------------------
# Leptons and photons
# ----------------------------------------------------------------------------------------------


def _impact_parameters(rng: np.random.Generator, leptons: Objects, prompt: np.ndarray) -> None:
    """dxy, dz, their errors, and the 3D impact parameter and its significance."""
    shape = leptons.mask.shape
    dxy_err = (0.001 + 0.015 / leptons["pt"]) * rng.uniform(0.7, 1.3, shape)
    dz_err = 2 * dxy_err * rng.uniform(0.8, 1.2, shape)
    # leptons from b and c decays come from displaced vertices
    dxy = rng.standard_normal(shape) * dxy_err + np.where(prompt, 0, rng.normal(0, 0.03, shape))
    dz = rng.standard_normal(shape) * dz_err + np.where(prompt, 0, rng.normal(0, 0.05, shape))
    leptons["dxy"], leptons["dxyErr"], leptons["dz"], leptons["dzErr"] = dxy, dxy_err, dz, dz_err
    leptons["ip3d"] = np.hypot(dxy, dz)
    leptons["sip3d"] = leptons["ip3d"] / np.hypot(dxy_err, dz_err)


def _prompt_leptons(rng: np.random.Generator, gen: Objects, flavour: int) -> Objects:
    """The generated e or μ of the hard process, as the detector measures them."""
    shape = gen.mask.shape
    chosen = gen.mask & (np.abs(gen["pdgId"]) == flavour) & (gen["status"] == 1)
    pt, eta = gen["pt"], gen["eta"]
    if flavour == 13:
        # tracker + muon system: ~1 % in the barrel, ~2 % in the endcaps
        sigma = 0.008 + 0.006 * np.abs(eta) + 1e-4 * pt
        efficiency, eta_max, pt_min = np.where(pt > 5, 0.97, 0.9), 2.4, 3.0
    else:
        # calorimeter: stochastic and constant terms, worse in the endcaps
        energy = pt * np.cosh(eta)
        endcap = np.abs(eta) > 1.479
        stochastic, constant = np.where(endcap, 0.09, 0.05), np.where(endcap, 0.02, 0.012)
        sigma = np.hypot(stochastic / np.sqrt(energy), constant)
        efficiency, eta_max, pt_min = np.where(pt > 10, 0.92, 0.75), 2.5, 5.0
    reco_pt = pt * (1 + sigma * rng.standard_normal(shape))
    reco_eta = eta + rng.normal(0, 5e-4, shape)
    flip = rng.random(shape) < (0.0005 if flavour == 13 else 0.002)
    return Objects(
        chosen
        & (reco_pt > pt_min)
        & (np.abs(reco_eta) < eta_max)
        & (rng.random(shape) < efficiency),
        pt=reco_pt,
        eta=reco_eta,
        phi=gen["phi"] + rng.normal(0, 5e-4, shape),
        charge=-np.sign(gen["pdgId"]) * np.where(flip, -1, 1),
        genPartIdx=gen.slots,
        prompt=True,
    )


def _nonprompt_leptons(
    rng: np.random.Generator, n: int, counts: np.ndarray, jets: Objects, eta_max: float
) -> Objects:
    """Leptons from heavy-flavour decays: soft, displaced, not isolated, inside the hardest jet."""
    width = 2
    shape = (n, width)
    hardest = np.argmax(np.where(jets.mask, jets["pt"], -np.inf), axis=1)[:, None]
    has_jet = jets.mask.any(axis=1, keepdims=True)
    eta0 = np.where(
        has_jet, np.take_along_axis(jets["eta"], hardest, 1), rng.uniform(-2, 2, (n, 1))
    )
    phi0 = np.where(
        has_jet, np.take_along_axis(jets["phi"], hardest, 1), rng.uniform(-3, 3, (n, 1))
    )
    eta = eta0 + rng.normal(0, 0.1, shape)
    return Objects(
        (np.arange(width) < counts[:, None]) & (np.abs(eta) < eta_max),
        pt=3 + rng.exponential(4.0, shape),
        eta=eta,
        phi=phi0 + rng.normal(0, 0.1, shape),
        charge=rng.choice([-1, 1], shape),
        genPartIdx=-1,
        prompt=False,
    )


def _muons(
    rng: np.random.Generator,
    gen: Objects,
    jets: Objects,
    soft: tuple[float, float],
    n_pu: np.ndarray,
) -> Objects:
    n: int = gen.mask.shape[0]
    p_one, p_two = soft
    counts = rng.choice(3, n, p=[1 - p_one - p_two, p_one, p_two])
    muons = _prompt_leptons(rng, gen, 13).concat(_nonprompt_leptons(rng, n, counts, jets, 2.4))
    muons = muons.sorted_by_pt()
    shape, prompt, pt = muons.mask.shape, muons["prompt"], muons["pt"]

    def u() -> np.ndarray:
        return rng.random(shape)

    muons["mass"] = MUON_MASS
    muons["isGlobal"] = u() < np.where(pt > 5, 0.985, 0.75)
    muons["isTracker"] = ~muons["isGlobal"] | (u() < 0.98)
    muons["isPFcand"] = u() < 0.99
    muons["looseId"] = muons["isPFcand"] & (muons["isGlobal"] | muons["isTracker"])
    muons["mediumId"] = muons["looseId"] & (u() < np.where(prompt, 0.985, 0.8))
    muons["tightId"] = muons["mediumId"] & muons["isGlobal"] & (u() < np.where(prompt, 0.98, 0.7))
    muons["softId"] = muons["isTracker"] & (u() < np.where(prompt, 0.97, 0.85))
    iso04 = np.where(
        prompt,
        rng.exponential(0.03, shape) + 0.0015 * n_pu[:, None] * u(),
        0.1 + rng.exponential(0.6, shape),
    )
    muons["pfRelIso04_all"] = iso04
    muons["pfRelIso03_all"] = iso04 * rng.uniform(0.55, 0.9, shape)
    _impact_parameters(rng, muons, prompt)
    return muons


def _electrons(rng: np.random.Generator, gen: Objects, jets: Objects, fake_rate: float) -> Objects:
    n: int = gen.mask.shape[0]
    counts = (rng.random(n) < fake_rate).astype(int)
    electrons = _prompt_leptons(rng, gen, 11).concat(_nonprompt_leptons(rng, n, counts, jets, 2.5))
    electrons = electrons.sorted_by_pt()
    shape, prompt = electrons.mask.shape, electrons["prompt"]
    energy = electrons["pt"] * np.cosh(electrons["eta"])
    electrons["mass"] = ELECTRON_MASS
    electrons["deltaEtaSC"] = rng.normal(0, 0.01, shape)
    electrons["cutBased"] = np.where(
        prompt,
        rng.choice(5, shape, p=[0.03, 0.02, 0.04, 0.08, 0.83]),
        rng.choice(5, shape, p=[0.55, 0.2, 0.12, 0.08, 0.05]),
    )
    good = electrons["cutBased"] >= 3
    electrons["mvaFall17V2Iso_WP90"] = rng.random(shape) < np.where(good, 0.96, 0.4)
    electrons["pfRelIso03_all"] = np.where(
        prompt, rng.exponential(0.04, shape), 0.1 + rng.exponential(0.5, shape)
    )
    # scale and smearing systematics as energy differences, nominal minus shifted (v9)
    scale = energy * rng.uniform(0.001, 0.004, shape)
    electrons["dEscaleUp"] = -scale
    electrons["dEscaleDown"] = scale * rng.uniform(0.9, 1.1, shape)
    electrons["dEsigmaUp"] = energy * rng.normal(0, 0.003, shape)
    electrons["dEsigmaDown"] = energy * rng.normal(0, 0.003, shape)
    electrons["photonIdx"] = -1
    _impact_parameters(rng, electrons, prompt)
    return electrons


def energy_calibration(rng: np.random.Generator, electrons: Objects, photons: Objects) -> None:
    """Run 2 NanoAOD's e/γ calibration record: ``eCorr``, the calibrated over the uncalibrated
    energy (the scale and smearing are applied), and for photons the stored variations, as
    energy differences, nominal minus shifted (electrons have theirs already).

    Example:
        >>> rng = np.random.default_rng(1)
        >>> electrons, gammas = photons(rng, 10, 1.0), photons(rng, 10, 1.0)
        >>> energy_calibration(rng, electrons, gammas)
        >>> bool(abs(np.mean(gammas["eCorr"]) - 1) < 0.01), bool((gammas["dEscaleUp"] < 0).all())
        (True, True)
    """
    for objects in (electrons, photons):
        objects["eCorr"] = rng.normal(1.0, 0.015, objects.mask.shape)
    energy = photons["pt"] * np.cosh(photons["eta"])
    scale = energy * rng.uniform(0.001, 0.004, photons.mask.shape)
    photons["dEscaleUp"] = -scale
    photons["dEscaleDown"] = scale
    photons["dEsigmaUp"] = energy * rng.normal(0, 0.003, photons.mask.shape)
    photons["dEsigmaDown"] = energy * rng.normal(0, 0.003, photons.mask.shape)


def photons(rng: np.random.Generator, n: int, mean: float) -> Objects:
    """Soft photons (radiation, π⁰s), unrelated to the hard process, `mean` an event.

    Example:
        >>> gammas = photons(np.random.default_rng(1), 1_000, 0.6)
        >>> bool(0.5 < gammas.mask.sum() / 1_000 < 0.7), bool((gammas["pt"] >= 5).all())
        (True, True)
    """
    width = 8
    shape = (n, width)
    eta = rng.uniform(-2.5, 2.5, shape)
    mva = np.clip(rng.normal(0.2, 0.5, shape), -1, 1)
    found = Objects(
        multiplicity(rng, n, width, mean),
        pt=5 + rng.exponential(8.0, shape),
        eta=eta,
        phi=rng.uniform(-np.pi, np.pi, shape),
        pfRelIso03_all=rng.exponential(0.3, shape),
        mvaID=mva,
        mvaID_WP80=mva > 0.42,
        mvaID_WP90=mva > -0.02,
        electronVeto=rng.random(shape) < 0.9,
        pixelSeed=rng.random(shape) < 0.1,
        electronIdx=-1,
        genPartIdx=-1,
    )
    return found.sorted_by_pt()


def _link(muons: Objects, electrons: Objects, photons: Objects, jets: Objects) -> None:
    """The cross-references of NanoAOD: leptons and photons to jets, jets back to leptons."""
    for objects in (muons, electrons, photons):
        objects["jetIdx"] = nearest(objects, jets, 0.4)
    jets["muonIdx1"], jets["muonIdx2"] = back_references(muons["jetIdx"], muons.mask, jets.width)
    jets["electronIdx1"], jets["electronIdx2"] = back_references(
        electrons["jetIdx"], electrons.mask, jets.width
    )
    # the muons clustered into a jet, as a fraction of its raw pT
    inside = (muons["jetIdx"][:, :, None] == np.arange(jets.width)) & muons.mask[:, :, None]
    muon_pt = np.einsum("nm,nmj->nj", np.where(muons.mask, muons["pt"], 0.0), inside)
    raw = jets["pt"] * (1 - jets["rawFactor"])
    jets["muonSubtrFactor"] = np.clip(muon_pt / raw, 0.0, 1.0)
