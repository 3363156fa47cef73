"""Generator level: what each process produces, as NanoAOD's GenPart table, and the GenJets.

Particles come from chains of two-body decays: Breit–Wigner masses, isotropic decays in the
parent's rest frame, falling boson pT. The four-vector arithmetic (boosts, pT/η/φ/mass) is
`vector`'s; what is written here is the physics: which particles, which masses, which angles.

Example:
    >>> gen = higgs_to_4l(np.random.default_rng(1), 2)
    >>> gen["pdgId"][:, :3].tolist(), gen["mass"][:, 0].tolist()
    ([[25, 23, 23], [25, 23, 23]], [125.09, 125.09])
"""

from __future__ import annotations

import numpy as np
import vector

from .objects import Objects, multiplicity

__all__ = [
    "ELECTRON_MASS",
    "MUON_MASS",
    "dielectron",
    "dimuon",
    "gen_jets",
    "higgs_to_4l",
    "ttbar",
    "zz_to_4l",
]

MUON_MASS = 0.1056584
"""The muon's mass in GeV: what generated and reconstructed muons carry."""
ELECTRON_MASS = 0.000511
"""The electron's mass in GeV."""
_Z_MASS, _Z_WIDTH = 91.1876, 2.4952
_W_MASS, _W_WIDTH = 80.379, 2.085
_TOP_MASS, _TOP_WIDTH = 172.5, 1.42
_HIGGS_MASS = 125.09
_B_MASS, _C_MASS = 4.78, 1.27

# GenPart_statusFlags bits (NanoAOD's title lists them).
_PROMPT = 1 << 0
_DIRECT_HADRON_DECAY = 1 << 6
_HARD_PROCESS = 1 << 7
_FROM_HARD_PROCESS = 1 << 8
_FIRST_COPY = 1 << 12
_LAST_COPY = 1 << 13
_HARD = _PROMPT | _HARD_PROCESS | _FROM_HARD_PROCESS | _FIRST_COPY | _LAST_COPY
_FROM_HADRON = _DIRECT_HADRON_DECAY | _FIRST_COPY | _LAST_COPY

_Momenta = vector.MomentumNumpy4D  # four-momenta, one particle per event


# ----------------------------------------------------------------------------------------------
# Kinematics
# ----------------------------------------------------------------------------------------------


def _produced(rng: np.random.Generator, mass: np.ndarray, pt: np.ndarray, width: float) -> _Momenta:
    """A produced resonance: given mass and pT, a Gaussian rapidity of `width`, a uniform φ.

    Example:
        >>> z = _produced(np.random.default_rng(1), np.array([91.0]), np.array([10.0]), 1.5)
        >>> z.mass.tolist(), z.pt.tolist()
        ([91.0], [10.0])
    """
    n = len(mass)
    rapidity = rng.normal(0, width, n)
    phi = rng.uniform(-np.pi, np.pi, n)
    # vector has no rapidity coordinate; pz = mT sinh(y) is the definition of one
    pz = np.sqrt(pt**2 + mass**2) * np.sinh(rapidity)
    return vector.MomentumNumpy4D({"pt": pt, "phi": phi, "z": pz, "mass": mass})


def _decay(rng: np.random.Generator, parent: _Momenta, m1, m2) -> tuple[_Momenta, _Momenta]:
    """Isotropic two-body decay of `parent` into masses m1 and m2 (scalars or per event).

    Example:
        >>> z = _produced(np.random.default_rng(1), np.array([91.0]), np.array([10.0]), 1.5)
        >>> a, b = _decay(np.random.default_rng(2), z, 0.1, 0.1)
        >>> np.allclose((a + b).mass, 91.0), np.allclose((a + b).pt, 10.0)
        (True, True)
    """
    n = len(parent)
    mass = parent.mass
    m1, m2 = np.broadcast_to(m1, (n,)), np.broadcast_to(m2, (n,))
    p = np.sqrt(np.maximum((mass**2 - (m1 + m2) ** 2) * (mass**2 - (m1 - m2) ** 2), 0)) / (2 * mass)
    cos_theta = rng.uniform(-1, 1, n)
    phi = rng.uniform(-np.pi, np.pi, n)
    sin_theta = np.sqrt(1 - cos_theta**2)
    px, py, pz = p * sin_theta * np.cos(phi), p * sin_theta * np.sin(phi), p * cos_theta
    # back to back in the parent's rest frame, then boosted into the lab
    first = vector.MomentumNumpy4D({"px": px, "py": py, "pz": pz, "mass": m1})
    second = vector.MomentumNumpy4D({"px": -px, "py": -py, "pz": -pz, "mass": m2})
    return first.boost_p4(parent), second.boost_p4(parent)


def _breit_wigner(
    rng: np.random.Generator, n: int, mass: float, width: float, lo: float, hi: float
) -> np.ndarray:
    """Masses from a Breit–Wigner truncated to [lo, hi], by inverting its cumulative.

    Example:
        >>> m = _breit_wigner(np.random.default_rng(1), 1000, 91.19, 2.5, 60, 120)
        >>> bool(60 <= m.min() and m.max() <= 120 and abs(np.median(m) - 91.19) < 0.5)
        True
    """
    a, b = np.arctan(2 * (lo - mass) / width), np.arctan(2 * (hi - mass) / width)
    return mass + 0.5 * width * np.tan(rng.uniform(a, b, n))


def _falling(rng: np.random.Generator, n: int, lo: float, hi: float, slope: float) -> np.ndarray:
    """Masses in [lo, hi] with density ∝ m^-slope per unit of log(m): a falling continuum.

    Example:
        >>> m = _falling(np.random.default_rng(1), 1000, 12.0, 300.0, 1.5)
        >>> bool(12 <= m.min() and m.max() <= 300 and np.median(m) < 30)
        True
    """
    span = np.log(hi / lo)
    u = rng.random(n)
    return lo * np.exp(-np.log1p(u * np.expm1(-slope * span)) / slope)


# ----------------------------------------------------------------------------------------------
# The GenPart table
# ----------------------------------------------------------------------------------------------


class _GenRecord:
    """Builds a GenPart table slot by slot; every event of a process has the same slots.

    Example:
        >>> gen = _GenRecord(1)
        >>> z = _produced(np.random.default_rng(1), np.array([91.0]), np.array([5.0]), 1.0)
        >>> gen.add(z, 23, 62, 0, mother=-1)
        0
        >>> gen.objects()["mass"].tolist()
        [[91.0]]
    """

    def __init__(self, n: int) -> None:
        self.n = n
        self._rows: list[dict[str, np.ndarray]] = []

    def add(self, p4: _Momenta, pdg_id, status, flags, mother: int) -> int:
        """Append one particle per event; returns its slot (the index daughters refer to)."""
        pdg_id = np.broadcast_to(pdg_id, (self.n,))
        self._rows.append(
            {
                "pt": p4.pt,
                "eta": p4.eta,
                "phi": p4.phi,
                "mass": _stored_gen_mass(pdg_id, p4.mass),
                "pdgId": pdg_id,
                "status": np.broadcast_to(status, (self.n,)),
                "statusFlags": np.broadcast_to(flags, (self.n,)),
                "genPartIdxMother": np.full(self.n, mother),
            }
        )
        return len(self._rows) - 1

    def objects(self) -> Objects:
        """The table as a collection: one slot a particle, every slot used."""
        columns = {k: np.stack([row[k] for row in self._rows], axis=1) for k in self._rows[0]}
        return Objects(np.ones((self.n, len(self._rows)), dtype=bool), **columns)


def _stored_gen_mass(pdg_id: np.ndarray, mass: np.ndarray) -> np.ndarray:
    """GenPart_mass as NanoAODv6 stores it: above 10 GeV, photons above 1 GeV, W/Z/H always."""
    apdg = np.abs(pdg_id)
    partonic = (apdg <= 5) | ((apdg >= 11) & (apdg <= 16)) | (apdg == 21)
    keep = ((mass > 10) & ~partonic) | np.isin(apdg, (23, 24, 25)) | ((apdg == 22) & (mass > 1))
    return np.where(keep, mass, 0.0)


def _add_dilepton(
    gen: _GenRecord, rng: np.random.Generator, parent: _Momenta, flavour, mother: int, flags
) -> None:
    """Decay `parent` to ℓ⁻ℓ⁺ of `flavour` (11 or 13, per event) and record the leptons."""
    lepton_mass = np.where(flavour == 13, MUON_MASS, ELECTRON_MASS)
    minus, plus = _decay(rng, parent, lepton_mass, lepton_mass)
    gen.add(minus, flavour, 1, flags, mother)
    gen.add(plus, -flavour, 1, flags, mother)


# ----------------------------------------------------------------------------------------------
# Processes: each returns the GenPart table of `n` events
# ----------------------------------------------------------------------------------------------

# The classic CMS dimuon spectrum: (pdgId, mass, width, share of events), and the continuum.
_DIMUON_RESONANCES = (
    (221, 0.547862, 1.31e-6, 0.015),  # η
    (113, 0.77526, 0.1491, 0.02),  # ρ
    (223, 0.78266, 0.00868, 0.02),  # ω
    (333, 1.019461, 0.004249, 0.03),  # φ
    (443, 3.096900, 9.26e-5, 0.17),  # J/ψ
    (100443, 3.686097, 2.94e-4, 0.03),  # ψ(2S)
    (553, 9.46030, 5.4e-5, 0.05),  # ϒ(1S)
    (100553, 10.02326, 3.2e-5, 0.02),  # ϒ(2S)
    (200553, 10.3552, 2.0e-5, 0.015),  # ϒ(3S)
    (23, _Z_MASS, _Z_WIDTH, 0.20),  # Z
)
_DIMUON_CONTINUUM = (0.25, 300.0, 0.6)  # lo, hi, slope (density ∝ m^-slope per log m)
_DIELECTRON_RESONANCES = ((23, _Z_MASS, _Z_WIDTH, 0.85),)
_DIELECTRON_CONTINUUM = (12.0, 300.0, 1.5)


def _drell_yan(rng: np.random.Generator, n: int, flavour: int, resonances, continuum) -> Objects:
    """Z/γ* and meson resonances → ℓℓ; GenPart = [resonance, ℓ⁻, ℓ⁺]."""
    shares = [r[3] for r in resonances]
    component = rng.choice(len(resonances) + 1, n, p=[*shares, 1 - sum(shares)])
    mass = _falling(rng, n, *continuum)
    pdg_id = np.full(n, 23)
    for i, (pdg, m0, width, _) in enumerate(resonances):
        chosen = component == i
        if pdg == 23:
            lo, hi = 60.0, 120.0
        else:
            lo, hi = max(2 * MUON_MASS + 0.01, m0 - 5 * width), m0 + 5 * width
        mass[chosen] = _breit_wigner(rng, int(chosen.sum()), m0, width, lo, hi)
        pdg_id[chosen] = pdg
    # Light resonances are seen only when boosted (the dimuon triggers want muons of a few GeV),
    # so their pT starts above zero; Z and γ* have the usual soft Drell–Yan pT.
    light = mass < 20
    pt = np.where(light, 4 + rng.gamma(2.0, 5.0, n), rng.gamma(1.4, 7.0, n))
    parent = _produced(rng, mass, pt, 1.5)
    hadron = pdg_id != 23
    gen = _GenRecord(n)
    gen.add(parent, pdg_id, np.where(hadron, 2, 62), np.where(hadron, _FROM_HADRON, _HARD), -1)
    lepton_flags = np.where(hadron, _FROM_HADRON, _HARD)
    _add_dilepton(gen, rng, parent, np.full(n, flavour), 0, lepton_flags)
    return gen.objects()


def dimuon(rng: np.random.Generator, n: int) -> Objects:
    """Drell–Yan μμ with the meson resonances of the CMS dimuon spectrum, η to ϒ and Z.

    Example:
        >>> dimuon(np.random.default_rng(1), 2)["pdgId"][:, 1:].tolist()
        [[13, -13], [13, -13]]
    """
    return _drell_yan(rng, n, 13, _DIMUON_RESONANCES, _DIMUON_CONTINUUM)


def dielectron(rng: np.random.Generator, n: int) -> Objects:
    """Drell–Yan ee: the Z peak on a falling γ* continuum.

    Example:
        >>> dielectron(np.random.default_rng(1), 2)["pdgId"][:, 1:].tolist()
        [[11, -11], [11, -11]]
    """
    return _drell_yan(rng, n, 11, _DIELECTRON_RESONANCES, _DIELECTRON_CONTINUUM)


def _four_lepton_flavours(
    rng: np.random.Generator, n: int, shares: tuple[float, float, float]
) -> tuple:
    """Flavours of the two Z decays for 4μ, 4e and 2e2μ in proportion `shares`."""
    channel = rng.choice(3, n, p=shares)
    first_is_mu = rng.random(n) < 0.5
    z1 = np.select([channel == 0, channel == 1], [13, 11], np.where(first_is_mu, 13, 11))
    z2 = np.select([channel == 0, channel == 1], [13, 11], np.where(first_is_mu, 11, 13))
    return z1, z2


def zz_to_4l(rng: np.random.Generator, n: int) -> Objects:
    """qq̄ → ZZ → 4ℓ, on- and off-shell; GenPart = [Z1, Z2, ℓ⁻, ℓ⁺ (Z1), ℓ⁻, ℓ⁺ (Z2)].

    Example:
        >>> zz_to_4l(np.random.default_rng(1), 1)["genPartIdxMother"].tolist()
        [[-1, -1, 0, 0, 1, 1]]
    """
    # on-shell ZZ, Zγ* with a light γ*, and the single-resonant Z → 4ℓ peak at 91 GeV
    kind = rng.choice(3, n, p=[0.7, 0.2, 0.1])
    m1 = _breit_wigner(rng, n, _Z_MASS, _Z_WIDTH, 60, 120)
    m2 = np.where(
        kind == 0,
        _breit_wigner(rng, n, _Z_MASS, _Z_WIDTH, 60, 120),
        np.exp(rng.uniform(np.log(4), np.log(60), n)),
    )
    m4l = m1 + m2 + rng.gamma(1.5, 40, n)
    single = kind == 2
    m4l[single] = _breit_wigner(rng, int(single.sum()), _Z_MASS, _Z_WIDTH, 80, 100)
    m2[single] = np.exp(rng.uniform(np.log(4), np.log(30), int(single.sum())))
    m1[single] = (m4l[single] - m2[single]) * rng.uniform(0.55, 0.97, int(single.sum()))
    system = _produced(rng, m4l, rng.gamma(2.0, 12.0, n), 1.5)
    z1, z2 = _decay(rng, system, m1, m2)
    f1, f2 = _four_lepton_flavours(rng, n, (0.23, 0.23, 0.54))
    gen = _GenRecord(n)
    gen.add(z1, 23, 62, _HARD, -1)
    gen.add(z2, 23, 62, _HARD, -1)
    _add_dilepton(gen, rng, z1, f1, 0, _HARD)
    _add_dilepton(gen, rng, z2, f2, 1, _HARD)
    return gen.objects()


def higgs_to_4l(rng: np.random.Generator, n: int) -> Objects:
    """gg → H(125) → ZZ* → 4ℓ; GenPart = [H, Z1, Z2, ℓ⁻, ℓ⁺ (Z1), ℓ⁻, ℓ⁺ (Z2)].

    Example:
        >>> higgs_to_4l(np.random.default_rng(1), 1)["genPartIdxMother"].tolist()
        [[-1, 0, 0, 1, 1, 2, 2]]
    """
    m1 = _breit_wigner(rng, n, _Z_MASS, _Z_WIDTH, 40, 110)
    # Z2 takes what is left above 12 GeV, most often close to the kinematic limit
    room = _HIGGS_MASS - m1 - 12.5
    m2 = 12 + room * rng.beta(2.5, 1.0, n)
    higgs = _produced(rng, np.full(n, _HIGGS_MASS), rng.gamma(1.6, 15.0, n), 1.8)
    z1, z2 = _decay(rng, higgs, m1, m2)
    f1, f2 = _four_lepton_flavours(rng, n, (0.25, 0.25, 0.5))
    gen = _GenRecord(n)
    gen.add(higgs, 25, 62, _HARD, -1)
    gen.add(z1, 23, 22, _HARD, 0)
    gen.add(z2, 23, 22, _HARD, 0)
    _add_dilepton(gen, rng, z1, f1, 1, _HARD)
    _add_dilepton(gen, rng, z2, f2, 2, _HARD)
    return gen.objects()


def _add_w_decay(
    gen: _GenRecord, rng: np.random.Generator, w: _Momenta, charge: int, leptonic, mother: int
) -> None:
    """W → ℓν (e or μ) where `leptonic`, else W → qq̄′ (ud̄ or cs̄)."""
    n = gen.n
    lepton = np.where(rng.random(n) < 0.5, 11, 13)
    second_family = rng.random(n) < 0.5
    up = np.where(second_family, 4, 2)
    down = np.where(second_family, 3, 1)
    # W⁺ → ℓ⁺ν or u d̄; W⁻ → ℓ⁻ν̄ or d ū (particle first)
    first = np.where(leptonic, -charge * lepton, np.where(charge > 0, up, down))
    second = np.where(leptonic, charge * (lepton + 1), -np.where(charge > 0, down, up))
    masses = [
        np.select(
            [np.abs(p) == 13, np.abs(p) == 11, np.abs(p) == 4],
            [MUON_MASS, ELECTRON_MASS, _C_MASS],
            0.0,
        )
        for p in (first, second)
    ]
    d1, d2 = _decay(rng, w, masses[0], masses[1])
    for p4, pdg in ((d1, first), (d2, second)):
        gen.add(p4, pdg, np.where(np.abs(pdg) <= 5, 23, 1), _HARD, mother)


def ttbar(rng: np.random.Generator, n: int) -> Objects:
    """tt̄ → WbWb̄, dileptonic (35 %) or semileptonic (65 %) in e and μ.

    GenPart = [t, t̄, W⁺, b, W⁻, b̄, W⁺ daughters ×2, W⁻ daughters ×2].

    Example:
        >>> ttbar(np.random.default_rng(1), 1)["pdgId"][0, :6].tolist()
        [6, -6, 24, 5, -24, -5]
    """
    m_t = _breit_wigner(rng, n, _TOP_MASS, _TOP_WIDTH, 160, 185)
    m_tbar = _breit_wigner(rng, n, _TOP_MASS, _TOP_WIDTH, 160, 185)
    m_tt = m_t + m_tbar + rng.gamma(1.6, 70.0, n)
    system = _produced(rng, m_tt, rng.gamma(1.3, 25.0, n), 0.9)
    top, antitop = _decay(rng, system, m_t, m_tbar)
    m_wp = _breit_wigner(rng, n, _W_MASS, _W_WIDTH, 65, 95)
    m_wm = _breit_wigner(rng, n, _W_MASS, _W_WIDTH, 65, 95)
    w_plus, b = _decay(rng, top, m_wp, _B_MASS)
    w_minus, bbar = _decay(rng, antitop, m_wm, _B_MASS)
    dileptonic = rng.random(n) < 0.35
    plus_leptonic = dileptonic | (rng.random(n) < 0.5)
    minus_leptonic = dileptonic | ~plus_leptonic
    gen = _GenRecord(n)
    gen.add(top, 6, 62, _HARD, -1)
    gen.add(antitop, -6, 62, _HARD, -1)
    gen.add(w_plus, 24, 22, _HARD, 0)
    gen.add(b, 5, 23, _HARD, 0)
    gen.add(w_minus, -24, 22, _HARD, 1)
    gen.add(bbar, -5, 23, _HARD, 1)
    _add_w_decay(gen, rng, w_plus, +1, plus_leptonic, 2)
    _add_w_decay(gen, rng, w_minus, -1, minus_leptonic, 4)
    return gen.objects()


# ----------------------------------------------------------------------------------------------
# GenJets
# ----------------------------------------------------------------------------------------------

_ISR_FLAVOURS = np.array([21, 1, -1, 2, -2, 3, -3, 4, -4, 5, -5])
_ISR_FLAVOUR_SHARES = np.array(
    [0.6, 0.06, 0.06, 0.06, 0.06, 0.03, 0.03, 0.035, 0.035, 0.015, 0.015]
)


def gen_jets(rng: np.random.Generator, gen: Objects, isr_mean: float) -> Objects:
    """GenJets from the hard-process quarks and from initial-state radiation (pT > 10 GeV).

    Example:
        >>> rng = np.random.default_rng(1)
        >>> jets = gen_jets(rng, ttbar(rng, 100), isr_mean=1.0)
        >>> bool((jets["pt"][jets.mask] > 10).all()), 5 in jets["hadronFlavour"]
        (True, True)
    """
    n = gen.mask.shape[0]
    quark = gen.mask & (np.abs(gen["pdgId"]) <= 5) & (gen["status"] == 23)
    # part of a quark's momentum leaves the cone (or goes into neutrinos)
    from_quarks = Objects(
        quark,
        pt=gen["pt"] * rng.normal(0.93, 0.08, quark.shape),
        eta=gen["eta"] + rng.normal(0, 0.03, quark.shape),
        phi=gen["phi"] + rng.normal(0, 0.03, quark.shape),
        partonFlavour=gen["pdgId"],
    )
    width = 6
    isr = Objects(
        multiplicity(rng, n, width, isr_mean),
        pt=10 * rng.random((n, width)) ** (-1 / 2.3),
        eta=rng.normal(0, 2.2, (n, width)),
        phi=rng.uniform(-np.pi, np.pi, (n, width)),
        partonFlavour=rng.choice(_ISR_FLAVOURS, (n, width), p=_ISR_FLAVOUR_SHARES),
    )
    jets = from_quarks.concat(isr)
    jets.mask &= (jets["pt"] > 10) & (np.abs(jets["eta"]) < 5)
    flavour = np.abs(jets["partonFlavour"])
    jets["hadronFlavour"] = np.where(np.isin(flavour, (4, 5)), flavour, 0)
    jets["mass"] = (
        jets["pt"] * np.where(flavour == 5, 0.17, 0.13) * rng.uniform(0.6, 1.4, jets.mask.shape)
    )
    return jets.sorted_by_pt()
