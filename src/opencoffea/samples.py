"""Synthetic CMS NanoAOD samples: the offline demo's inputs, big files for tests and benchmarks.

`generate` writes one sample of a physics process with uproot, either in the NanoAOD layout (tree
``Events`` beside ``Runs`` and ``LuminosityBlocks``) or in the reduced 2012 "outreach" layout of the
CMS H→4ℓ open data (tree ``aod2nanoaod/Events``). Branch names, types and titles are those of real
files (NanoAODv6/v9 for "nanoaod", the AOD2NanoAODOutreachTool output for "outreach"), so whatever
reads a real file reads these, coffea's ``NanoAODSchema`` with its cross-references included.

The physics is simple but honest. Generator-level particles come from chains of two-body decays
(Breit–Wigner masses, isotropic decays, falling boson pT); reconstructed objects are those particles
seen through a detector: acceptance, efficiency, momentum resolution (muons ~1–2 %, electrons
~2 %, jets ~10–20 %), identification and isolation that differ for prompt and non-prompt leptons,
pile-up jets, and a missing transverse momentum that is the neutrinos minus what the detector
mismeasured, with a type-1 correction consistent with the jets. Floats are stored at the mantissa
precision NanoAOD uses, which is both what real files hold and what makes them compress.

Determinism: events are simulated in fixed blocks of 10 000; block *i* draws from its own random
stream keyed by (seed, process, kind, i). A file's event content is therefore a pure function of
(process, events, seed, kind, format); ``chunk_size`` only sets where baskets end on disk.

Example:
    >>> import tempfile, uproot
    >>> from opencoffea.samples import generate
    >>> path = generate("dy_mumu", f"{tempfile.mkdtemp()}/dy.root", events=2_000, seed=7)
    >>> uproot.open(path)["Runs"]["genEventCount"].array(library="np")
    array([2000])
"""

from __future__ import annotations

import collections
import functools
import itertools
import json
import os
import pathlib
import zlib
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Literal

import awkward as ak
import numpy as np
import uproot

from .util import atomic_path

__all__ = ["PROCESSES", "demo_samples", "generate"]

PROCESSES: tuple[str, ...] = ("dy_mumu", "dy_ee", "zz4l", "hzz4l", "ttbar", "dimuon_data")
"""The processes `generate` knows; ``dimuon_data`` is ``dy_mumu`` in its data flavour.

Example:
    >>> [p for p in PROCESSES if "4l" in p]
    ['zz4l', 'hzz4l']
"""

Array = np.ndarray | ak.Array

# Bumped whenever the generated content changes, so that `demo_samples` regenerates old files.
_GENERATOR_VERSION = 2
# Events of one random stream. Fixed, so that content never depends on how the file is chunked.
_BLOCK = 10_000
# The key of the TObjString in every generated file that records how it was made.
_RECORD_KEY = "opencoffea_sample"

_COMPRESSIONS: dict[str, Callable[[int], object] | None] = {
    "lzma": uproot.LZMA,
    "zstd": uproot.ZSTD,
    "lz4": uproot.LZ4,
    "zlib": uproot.ZLIB,
    "none": None,
}
# Real NanoAOD is LZMA level 9 (ROOT's 209). On these reduced-precision floats level 1 makes
# files only ~6 % larger and compresses about four times faster, so it is the default here.
_DEFAULT_LEVELS = {"lzma": 1, "zstd": 5, "lz4": 4, "zlib": 1}

_MUON_MASS = 0.1056584
_ELECTRON_MASS = 0.000511
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

# Real runs, walked from lumi section 1, with a few hundred events per lumi section. The walk
# passes sections outside the certified ("golden") JSON — 282712 sections 2–9, 283408 after 2125,
# the ends of runs — so a lumi mask keeps most but not all events, as with real data.
_EVENTS_PER_LUMI = 250
_DATA_RUNS = {
    # Run2016H; compare Cert_271036-284044_13TeV_Legacy2016_Collisions16_JSON(_MuonPhys).txt
    "nanoaod": (
        (282712, 70),
        (283408, 2550),
        (283877, 1500),
        (283885, 1730),
        (283933, 245),
        (283934, 1295),
        (283946, 1470),
    ),
    # Run2012B; compare Cert_190456-208686_8TeV_22Jan2013ReReco_Collisions12_JSON.txt
    "outreach": ((194429, 1025), (194480, 1405), (194704, 600), (194711, 625), (194712, 765)),
}
# Data event numbers are unique and increase through the file, in the range of real ones.
_FIRST_DATA_EVENT = 100_000_000
_MC_EVENTS_PER_LUMI = 1_000


# ----------------------------------------------------------------------------------------------
# Branch layouts: what a file holds, with the names, types and titles of real files.
# ----------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Branch:
    """One branch of the Events tree as written: name, numpy dtype, title and stored precision."""

    name: str
    dtype: str
    title: str
    bits: int | None = None  # mantissa bits kept, like NanoAOD's `precision=`; None keeps all 23
    collection: str | None = None  # "Muon" for Muon_pt (jagged, counted by nMuon); None if flat
    mc: bool = False  # written for simulation only

    @property
    def field(self) -> str:
        """The branch name without its collection prefix: "pt" for "Muon_pt"."""
        return self.name if self.collection is None else self.name[len(self.collection) + 1 :]


@dataclass(frozen=True)
class _Layout:
    """Everything written to the Events tree of one format: branches and counter titles."""

    tree: str
    branches: tuple[_Branch, ...]
    counters: dict[str, str]  # "nMuon" -> title

    def for_kind(self, kind: str) -> tuple[_Branch, ...]:
        """The branches written for `kind` ("mc" or "data")."""
        return tuple(b for b in self.branches if kind == "mc" or not b.mc)

    def titles(self) -> dict[str, str]:
        """Title of every branch, counters included."""
        return {**{b.name: b.title for b in self.branches}, **self.counters}


def _scalar(name: str, dtype: str, title: str, bits: int | None = None, mc: bool = False):
    return _Branch(name, dtype, title, bits, None, mc)


def _jagged(collection: str, fields: Iterable[tuple], mc: bool = False) -> tuple[_Branch, ...]:
    """Branches of one collection from (field, dtype, title[, bits[, mc]]) rows."""
    out = []
    for field, dtype, title, *rest in fields:
        bits = rest[0] if rest else None
        field_mc = mc or (len(rest) > 1 and rest[1])
        out.append(_Branch(f"{collection}_{field}", dtype, title, bits, collection, field_mc))
    return tuple(out)


_F4, _I4, _U1, _BOOL = "float32", "int32", "uint8", "bool"
_DXY = "dxy (with sign) wrt first PV, in cm"
_DZ = "dz (with sign) wrt first PV, in cm"
_JET_IDX = "index of the associated jet (-1 if none)"
_BIT = "Trigger/flag bit"
_E_CORR = "ratio of the calibrated energy/miniaod energy"
_STATUS_FLAGS = (
    "gen status flags stored bitwise, bits are: 0 : isPrompt, 1 : isDecayedLeptonHadron, "
    "2 : isTauDecayProduct, 3 : isPromptTauDecayProduct, 4 : isDirectTauDecayProduct, "
    "5 : isDirectPromptTauDecayProduct, 6 : isDirectHadronDecayProduct, 7 : isHardProcess, "
    "8 : fromHardProcess, 9 : isHardProcessTauDecayProduct, "
    "10 : isDirectHardProcessTauDecayProduct, "
    "11 : fromHardProcessBeforeFSR, 12 : isFirstCopy, 13 : isLastCopy, 14 : isLastCopyBeforeFSR, "
)

# Titles are copied from a real NanoAODv6 file (coffea's nano_dy.root) and, for branches it lacks
# (Electron_dE*), from the NanoAODv9 configuration; types are v9's (int32 indices, before v12's
# int16). Photon_mass and Photon_charge are left out on purpose: coffea's NanoAODSchema replaces
# them with zeros and warns about it on every file that has them.
_NANOAOD = _Layout(
    tree="Events",
    branches=(
        _scalar("run", "uint32", "run/i"),
        _scalar("luminosityBlock", "uint32", "luminosityBlock/i"),
        _scalar("event", "uint64", "event/l"),
        *_jagged(
            "CorrT1METJet",
            [
                ("rawPt", _F4, "pt()*jecFactor('Uncorrected')", 10),
                ("eta", _F4, "eta", 12),
                ("phi", _F4, "phi", 12),
                ("area", _F4, "jet catchment area, for JECs", 10),
                ("muonSubtrFactor", _F4, "1-(muon-subtracted raw pt)/(raw pt)", 6),
            ],
        ),
        *_jagged(
            "Electron",
            [
                ("pt", _F4, "p_{T}"),
                ("eta", _F4, "eta", 12),
                ("phi", _F4, "phi", 12),
                ("mass", _F4, "mass", 10),
                ("charge", _I4, "electric charge"),
                ("deltaEtaSC", _F4, "delta eta (SC,ele) with sign", 10),
                ("dxy", _F4, _DXY, 10),
                ("dxyErr", _F4, "dxy uncertainty, in cm", 6),
                ("dz", _F4, _DZ, 10),
                ("dzErr", _F4, "dz uncertainty, in cm", 6),
                ("ip3d", _F4, "3D impact parameter wrt first PV, in cm", 10),
                ("sip3d", _F4, "3D impact parameter significance wrt first PV, in cm", 10),
                (
                    "pfRelIso03_all",
                    _F4,
                    "PF relative isolation dR=0.3, total (with rho*EA PU corrections)",
                ),
                (
                    "cutBased",
                    _I4,
                    "cut-based ID Fall17 V2 (0:fail, 1:veto, 2:loose, 3:medium, 4:tight)",
                ),
                ("mvaFall17V2Iso_WP90", _BOOL, "MVA Iso ID V2 WP90"),
                (
                    "dEscaleUp",
                    _F4,
                    "ecal energy scale shifted 1 sigma up(adding gain/stat/syst in quadrature)",
                    8,
                ),
                (
                    "dEscaleDown",
                    _F4,
                    "ecal energy scale shifted 1 sigma down (adding gain/stat/syst in quadrature)",
                    8,
                ),
                ("dEsigmaUp", _F4, "ecal energy smearing value shifted 1 sigma up", 8),
                # (sic: NanoAODv9 documents dEsigmaDown as "up" too)
                ("dEsigmaDown", _F4, "ecal energy smearing value shifted 1 sigma up", 8),
                ("eCorr", _F4, _E_CORR),
                ("jetIdx", _I4, _JET_IDX),
                ("photonIdx", _I4, "index of the associated photon (-1 if none)"),
                (
                    "genPartIdx",
                    _I4,
                    "Index into genParticle list for MC matching to status==1 electrons or photons",
                    None,
                    True,
                ),
            ],
        ),
        *_jagged(
            "GenJet",
            [
                ("pt", _F4, "pt"),
                ("eta", _F4, "eta", 12),
                ("phi", _F4, "phi", 12),
                ("mass", _F4, "mass", 10),
                ("partonFlavour", _I4, "flavour from parton matching"),
                ("hadronFlavour", _U1, "flavour from hadron ghost clustering"),
            ],
            mc=True,
        ),
        *_jagged(
            "GenPart",
            [
                ("pt", _F4, "pt", 8),
                ("eta", _F4, "eta", 8),
                ("phi", _F4, "phi", 8),
                (
                    "mass",
                    _F4,
                    "Mass stored for all particles with mass > 10 GeV and photons with mass > 1 "
                    "GeV, plus W/Z and BSM particles. "
                    "For other particles you can lookup from PDGID",
                    8,
                ),
                ("pdgId", _I4, "PDG id"),
                ("status", _I4, "Particle status. 1=stable"),
                ("statusFlags", _I4, _STATUS_FLAGS),
                ("genPartIdxMother", _I4, "index of the mother particle"),
            ],
            mc=True,
        ),
        _scalar("genWeight", _F4, "generator weight", mc=True),
        *_jagged(
            "Jet",
            [
                ("pt", _F4, "pt", 10),
                ("eta", _F4, "eta", 12),
                ("phi", _F4, "phi", 12),
                ("mass", _F4, "mass", 10),
                ("rawFactor", _F4, "1 - Factor to get back to raw pT", 6),
                ("area", _F4, "jet catchment area, for JECs", 10),
                (
                    "jetId",
                    _I4,
                    "Jet ID flags bit1 is loose (always false in 2017 since it does not exist), "
                    "bit2 is tight, bit3 is tightLepVeto",
                ),
                ("puId", _I4, "Pilup ID flags"),
                ("btagDeepFlavB", _F4, "DeepFlavour b+bb+lepb tag discriminator", 10),
                ("chEmEF", _F4, "charged Electromagnetic Energy Fraction", 6),
                ("neEmEF", _F4, "neutral Electromagnetic Energy Fraction", 6),
                ("muonSubtrFactor", _F4, "1-(muon-subtracted raw pt)/(raw pt)", 6),
                ("muonIdx1", _I4, "index of first matching muon"),
                ("muonIdx2", _I4, "index of second matching muon"),
                ("electronIdx1", _I4, "index of first matching electron"),
                ("electronIdx2", _I4, "index of second matching electron"),
                ("hadronFlavour", _I4, "flavour from hadron ghost clustering", None, True),
                ("partonFlavour", _I4, "flavour from parton matching", None, True),
                ("genJetIdx", _I4, "index of matched gen jet", None, True),
            ],
        ),
        _scalar("MET_pt", _F4, "pt"),
        _scalar("MET_phi", _F4, "phi", 12),
        _scalar("MET_sumEt", _F4, "scalar sum of Et", 10),
        _scalar("MET_MetUnclustEnUpDeltaX", _F4, "Delta (METx_mod-METx) Unclustered Energy Up", 10),
        _scalar("MET_MetUnclustEnUpDeltaY", _F4, "Delta (METy_mod-METy) Unclustered Energy Up", 10),
        *_jagged(
            "Muon",
            [
                ("pt", _F4, "pt"),
                ("eta", _F4, "eta", 12),
                ("phi", _F4, "phi", 12),
                ("mass", _F4, "mass", 8),
                ("charge", _I4, "electric charge"),
                ("dxy", _F4, _DXY, 10),
                ("dxyErr", _F4, "dxy uncertainty, in cm", 6),
                ("dz", _F4, _DZ, 10),
                ("dzErr", _F4, "dz uncertainty, in cm", 6),
                ("ip3d", _F4, "3D impact parameter wrt first PV, in cm", 10),
                ("sip3d", _F4, "3D impact parameter significance wrt first PV", 10),
                (
                    "pfRelIso03_all",
                    _F4,
                    "PF relative isolation dR=0.3, total (deltaBeta corrections)",
                ),
                (
                    "pfRelIso04_all",
                    _F4,
                    "PF relative isolation dR=0.4, total (deltaBeta corrections)",
                ),
                ("looseId", _BOOL, "muon is loose muon"),
                ("mediumId", _BOOL, "cut-based ID, medium WP"),
                ("tightId", _BOOL, "cut-based ID, tight WP"),
                ("softId", _BOOL, "soft cut-based ID"),
                ("isGlobal", _BOOL, "muon is global muon"),
                ("isTracker", _BOOL, "muon is tracker muon"),
                ("isPFcand", _BOOL, "muon is PF candidate"),
                ("jetIdx", _I4, _JET_IDX),
                (
                    "genPartIdx",
                    _I4,
                    "Index into genParticle list for MC matching to status==1 muons",
                    None,
                    True,
                ),
            ],
        ),
        *_jagged(
            "Photon",
            [
                ("pt", _F4, "p_{T}"),
                ("eta", _F4, "eta", 12),
                ("phi", _F4, "phi", 12),
                (
                    "pfRelIso03_all",
                    _F4,
                    "PF relative isolation dR=0.3, total (with rho*EA PU corrections)",
                ),
                ("mvaID", _F4, "MVA ID score", 10),
                ("mvaID_WP80", _BOOL, "MVA ID WP80"),
                ("mvaID_WP90", _BOOL, "MVA ID WP90"),
                ("electronVeto", _BOOL, "pass electron veto"),
                (
                    "dEscaleUp",
                    _F4,
                    "ecal energy scale shifted 1 sigma up (adding gain/stat/syst in quadrature)",
                    8,
                ),
                (
                    "dEscaleDown",
                    _F4,
                    "ecal energy scale shifted 1 sigma down (adding gain/stat/syst in quadrature)",
                    8,
                ),
                ("dEsigmaUp", _F4, "ecal energy smearing value shifted 1 sigma up", 8),
                ("dEsigmaDown", _F4, "ecal energy smearing value shifted 1 sigma down", 8),
                ("eCorr", _F4, _E_CORR),
                ("pixelSeed", _BOOL, "has pixel seed"),
                ("electronIdx", _I4, "index of the associated electron (-1 if none)"),
                ("jetIdx", _I4, _JET_IDX),
                (
                    "genPartIdx",
                    _I4,
                    "Index into genParticle list for MC matching to status==1 photons or electrons",
                    None,
                    True,
                ),
            ],
        ),
        _scalar(
            "Pileup_nTrueInt",
            _F4,
            "the true mean number of the poisson distribution for this event from which the "
            "number of interactions each bunch crossing has been sampled",
            mc=True,
        ),
        _scalar(
            "Pileup_nPU",
            _I4,
            "the number of pileup interactions that have been added to the event in the current "
            "bunch crossing",
            mc=True,
        ),
        _scalar("RawMET_pt", _F4, "pt", 10),
        _scalar("RawMET_phi", _F4, "phi", 10),
        _scalar("RawMET_sumEt", _F4, "scalar sum of Et", 10),
        _scalar("fixedGridRhoFastjetAll", _F4, "rho from all PF Candidates, used e.g. for JECs"),
        _scalar("PV_npvs", _I4, "total number of reconstructed primary vertices"),
        _scalar(
            "PV_npvsGood",
            _I4,
            "number of good reconstructed primary vertices. selection:!isFake && ndof > 4 && "
            "abs(z) <= 24 && position.Rho <= 2",
        ),
        _scalar("HLT_IsoMu24", _BOOL, _BIT),
        _scalar("HLT_Mu17_TrkIsoVVL_Mu8_TrkIsoVVL_DZ", _BOOL, _BIT),
        _scalar("HLT_Ele27_WPTight_Gsf", _BOOL, _BIT),
        _scalar("Flag_goodVertices", _BOOL, _BIT),
    ),
    counters={
        "nCorrT1METJet": "Additional low-pt jets for Type-1 MET re-correction",
        "nElectron": "slimmedElectrons after basic selection (pt > 5 )",
        "nGenJet": "slimmedGenJets, i.e. ak4 Jets made with visible genparticles",
        "nGenPart": "interesting gen particles ",
        "nJet": (
            "slimmedJets, i.e. ak4 PFJets CHS with JECs applied, after basic selection (pt > 15)"
        ),
        "nMuon": (
            "slimmedMuons after basic selection (pt > 3 && (passed('CutBasedIdLoose') || "
            "passed('SoftCutBasedId') || passed('SoftMvaId') || passed('CutBasedIdGlobalHighPt') "
            "|| passed('CutBasedIdTrkHighPt')))"
        ),
        "nPhoton": "slimmedPhotons after basic selection (pt > 5 )",
    },
)

# ROOT's leaf-type letters: the outreach tool's titles are its leaf lists ("Muon_pt[nMuon]/F").
_ROOT_LETTER = {"float32": "F", "int32": "I", "uint32": "i", "uint64": "l", "bool": "O"}


def _outreach_layout() -> _Layout:
    """The branches of AOD2NanoAODOutreachTool's output, as in its 20-event example file."""
    flat = [
        ("run", "int32"),
        ("luminosityBlock", "uint32"),
        ("event", "uint64"),
        ("HLT_IsoMu24_eta2p1", _BOOL),
        ("HLT_IsoMu24", _BOOL),
        ("HLT_IsoMu17_eta2p1_LooseIsoPFTau20", _BOOL),
        ("PV_npvs", _I4),
        ("PV_x", _F4),
        ("PV_y", _F4),
        ("PV_z", _F4),
    ]
    kinematics = [("pt", _F4), ("eta", _F4), ("phi", _F4), ("mass", _F4), ("charge", _I4)]
    impact = [("dxy", _F4), ("dxyErr", _F4), ("dz", _F4), ("dzErr", _F4)]
    ids = [("isLoose", _BOOL), ("isMedium", _BOOL), ("isTight", _BOOL)]
    links = [("jetIdx", _I4), ("genPartIdx", _I4)]
    tau_working_points = {
        "Iso": ("VLoose", "Loose", "Medium", "Tight"),
        "AntiEle": ("Loose", "Medium", "Tight"),
        "AntiMu": ("Loose", "Medium", "Tight"),
    }
    tau_ids = [f"id{what}{wp}" for what, wps in tau_working_points.items() for wp in wps]
    collections_ = {
        "Muon": [
            *kinematics,
            ("pfRelIso03_all", _F4),
            ("pfRelIso04_all", _F4),
            ("tightId", _BOOL),
            ("softId", _BOOL),
            *impact,
            *links,
        ],
        "Electron": [
            *kinematics,
            ("pfRelIso03_all", _F4),
            *impact,
            ("cutBasedId", _BOOL),
            ("pfId", _BOOL),
            *links,
            *ids,
        ],
        "Tau": [
            *kinematics,
            ("decayMode", _I4),
            ("relIso_all", _F4),
            *links,
            ("idDecayMode", _BOOL),
            ("idIsoRaw", _F4),
            *[(name, _BOOL) for name in tau_ids],
        ],
        "Photon": [*kinematics, ("pfRelIso03_all", _F4), *links, *ids],
    }
    met = ["pt", "phi", "sumet", "significance", "CovXX", "CovXY", "CovYY"]
    jets = [("pt", _F4), ("eta", _F4), ("phi", _F4), ("mass", _F4), ("puId", _BOOL), ("btag", _F4)]
    gen = [*kinematics[:4], ("pdgId", _I4), ("status", _I4)]

    def jagged(name: str, fields: list[tuple[str, str]], mc: bool = False) -> list[_Branch]:
        return [
            _Branch(f"{name}_{f}", t, f"{name}_{f}[n{name}]/{_ROOT_LETTER[t]}", None, name, mc)
            for f, t in fields
        ]

    branches = [_scalar(n, t, f"{n}/{_ROOT_LETTER[t]}") for n, t in flat]
    for name, fields in collections_.items():
        branches += jagged(name, fields)
    branches += [_scalar(f"MET_{m}", _F4, f"MET_{m}/F") for m in met]
    branches += jagged("Jet", jets)
    branches += jagged("GenPart", gen, mc=True)
    names = ("Muon", "Electron", "Tau", "Photon", "Jet", "GenPart")
    return _Layout(
        tree="aod2nanoaod/Events",
        branches=tuple(branches),
        counters={f"n{name}": f"n{name}/i" for name in names},
    )


_OUTREACH = _outreach_layout()
_LAYOUTS = {"nanoaod": _NANOAOD, "outreach": _OUTREACH}
_BITS = {b.name: b.bits for b in _NANOAOD.branches if b.bits is not None}


def _reduce_precision(values: np.ndarray, bits: int) -> np.ndarray:
    """Round float32 values to `bits` mantissa bits, as NanoAOD's `precision=` does on write."""
    shift = 23 - bits
    raw = np.ascontiguousarray(values, dtype=np.float32).view(np.uint32)
    # Adding half of the dropped range before masking rounds to nearest; a carry into the
    # exponent is the correct result. Non-finite values keep their bits.
    keep = np.uint32((0xFFFFFFFF >> shift) << shift)
    rounded = ((raw + np.uint32(1 << (shift - 1))) & keep).view(np.float32)
    return np.where(np.isfinite(values), rounded, values).astype(np.float32)


# ----------------------------------------------------------------------------------------------
# Kinematics
# ----------------------------------------------------------------------------------------------


@dataclass
class _P4:
    """Four-momenta of one particle per event, as numpy arrays (GeV)."""

    px: np.ndarray
    py: np.ndarray
    pz: np.ndarray
    e: np.ndarray

    @classmethod
    def from_pt_y_phi(cls, pt, rapidity, phi, mass) -> _P4:
        mt = np.sqrt(pt**2 + mass**2)
        return cls(
            pt * np.cos(phi), pt * np.sin(phi), mt * np.sinh(rapidity), mt * np.cosh(rapidity)
        )

    @property
    def pt(self) -> np.ndarray:
        return np.hypot(self.px, self.py)

    @property
    def eta(self) -> np.ndarray:
        return np.arcsinh(self.pz / self.pt)

    @property
    def phi(self) -> np.ndarray:
        return np.arctan2(self.py, self.px)

    def boosted(self, frame: _P4, frame_mass: np.ndarray) -> _P4:
        """This momentum, given in the rest frame of `frame`, in the lab frame."""
        bx, by, bz = frame.px / frame.e, frame.py / frame.e, frame.pz / frame.e
        gamma = frame.e / frame_mass
        bp = bx * self.px + by * self.py + bz * self.pz
        # (γ-1)/β² written as γ²/(γ+1): the same, and finite for a parent at rest
        k = gamma**2 / (gamma + 1) * bp + gamma * self.e
        return _P4(self.px + k * bx, self.py + k * by, self.pz + k * bz, gamma * (self.e + bp))


def _decay(rng: np.random.Generator, parent: _P4, mass, m1, m2) -> tuple[_P4, _P4]:
    """Isotropic two-body decay of `parent` (of invariant mass `mass`) into masses m1 and m2."""
    n = len(parent.e)
    m1, m2 = np.broadcast_to(m1, (n,)), np.broadcast_to(m2, (n,))
    p = np.sqrt(np.maximum((mass**2 - (m1 + m2) ** 2) * (mass**2 - (m1 - m2) ** 2), 0)) / (2 * mass)
    cos_theta = rng.uniform(-1, 1, n)
    sin_theta = np.sqrt(1 - cos_theta**2)
    phi = rng.uniform(-np.pi, np.pi, n)
    px, py, pz = p * sin_theta * np.cos(phi), p * sin_theta * np.sin(phi), p * cos_theta
    first = _P4(px, py, pz, np.sqrt(p**2 + m1**2))
    second = _P4(-px, -py, -pz, np.sqrt(p**2 + m2**2))
    return first.boosted(parent, mass), second.boosted(parent, mass)


def _breit_wigner(rng, n: int, mass: float, width: float, lo: float, hi: float) -> np.ndarray:
    """Masses from a Breit–Wigner truncated to [lo, hi], by inverting its cumulative."""
    a, b = np.arctan(2 * (lo - mass) / width), np.arctan(2 * (hi - mass) / width)
    return mass + 0.5 * width * np.tan(rng.uniform(a, b, n))


def _falling(rng, n: int, lo: float, hi: float, slope: float) -> np.ndarray:
    """Masses in [lo, hi] with density ∝ m^-slope per unit of log(m): a falling continuum."""
    span = np.log(hi / lo)
    u = rng.random(n)
    return lo * np.exp(-np.log1p(u * np.expm1(-slope * span)) / slope)


def _boson(rng, mass: np.ndarray, pt: np.ndarray, rapidity_width: float) -> _P4:
    """A produced resonance: given mass and pT, a Gaussian rapidity, a uniform azimuth."""
    n = len(mass)
    return _P4.from_pt_y_phi(
        pt, rng.normal(0, rapidity_width, n), rng.uniform(-np.pi, np.pi, n), mass
    )


def _delta_phi(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    return (a - b + np.pi) % (2 * np.pi) - np.pi


# ----------------------------------------------------------------------------------------------
# Collections of objects, padded to fixed width
# ----------------------------------------------------------------------------------------------


class _Objects:
    """One collection over a block of events: (events × slots) columns and a mask of used slots.

    Fixed-width padding keeps every step a whole-array numpy operation; it is dropped only when
    the collection becomes jagged branches. Sorted collections keep used slots first, so a slot
    number is the index that NanoAOD cross-references (Muon_jetIdx, ...) hold.
    """

    def __init__(self, mask: np.ndarray, **columns) -> None:
        self.mask = mask
        self.columns: dict[str, np.ndarray] = {}
        for name, values in columns.items():
            self[name] = values

    def __getitem__(self, name: str) -> np.ndarray:
        return self.columns[name]

    def __setitem__(self, name: str, values) -> None:
        """Set a column; a scalar or a per-event (events × 1) value fills every slot."""
        values = np.asarray(values)
        if values.shape != self.mask.shape:
            values = np.broadcast_to(values, self.mask.shape).copy()
        self.columns[name] = values

    @property
    def width(self) -> int:
        return self.mask.shape[1]

    @property
    def slots(self) -> np.ndarray:
        return np.broadcast_to(np.arange(self.width), self.mask.shape)

    def random(self, rng: np.random.Generator) -> np.ndarray:
        """Uniform [0, 1) numbers, one per slot."""
        return rng.random(self.mask.shape)

    def concat(self, *others: _Objects) -> _Objects:
        """Slots of `others` appended after these, event by event (same columns required)."""
        parts = (self, *others)
        return _Objects(
            np.concatenate([p.mask for p in parts], axis=1),
            **{k: np.concatenate([p[k] for p in parts], axis=1) for k in self.columns},
        )

    def sorted_by_pt(self) -> _Objects:
        """Used slots first, by decreasing pt: the order of NanoAOD collections.

        Slots that no event uses are dropped, which keeps later steps small.
        """
        order = np.argsort(-np.where(self.mask, self["pt"], -np.inf), axis=1, kind="stable")
        order = order[:, : max(1, int(self.mask.sum(axis=1).max(initial=0)))]
        columns = {k: np.take_along_axis(v, order, axis=1) for k, v in self.columns.items()}
        return _Objects(np.take_along_axis(self.mask, order, axis=1), **columns)

    def gather(self, index: np.ndarray, name: str, fill=0) -> np.ndarray:
        """Column `name` at slots `index` (events × m); `fill` where the index is -1."""
        values = np.take_along_axis(self[name], np.maximum(index, 0), axis=1)
        return np.where(index >= 0, values, fill)

    def px_py(self) -> tuple[np.ndarray, np.ndarray]:
        pt = np.where(self.mask, self["pt"], 0.0)
        return pt * np.cos(self["phi"]), pt * np.sin(self["phi"])


def _nearest(a: _Objects, b: _Objects, max_dr: float) -> np.ndarray:
    """For each object of `a`, the slot of the nearest used object of `b` within ΔR, else -1."""
    deta = a["eta"][:, :, None] - b["eta"][:, None, :]
    dphi = _delta_phi(a["phi"][:, :, None], b["phi"][:, None, :])
    dr2 = np.where(b.mask[:, None, :], deta**2 + dphi**2, np.inf)
    index = np.argmin(dr2, axis=2)
    best = np.take_along_axis(dr2, index[:, :, None], axis=2)[:, :, 0]
    return np.where(a.mask & (best < max_dr**2), index, -1)


def _back_references(index: np.ndarray, mask: np.ndarray, width: int) -> list[np.ndarray]:
    """The first and second object pointing at each of `width` targets (NanoAOD's Idx1/Idx2)."""
    hits = (index[:, :, None] == np.arange(width)) & mask[:, :, None]
    rank = np.cumsum(hits, axis=1)
    out = []
    for nth in (1, 2):
        at = hits & (rank == nth)
        out.append(np.where(at.any(axis=1), np.argmax(at, axis=1), -1))
    return out


def _multiplicity(rng, n: int, width: int, mean) -> np.ndarray:
    """A mask of the first k slots with k ~ Poisson(mean), capped at `width`."""
    count = np.minimum(rng.poisson(mean, n), width)
    return np.arange(width) < count[:, None]


# ----------------------------------------------------------------------------------------------
# Generator level: one function per process, each returning the GenPart table
# ----------------------------------------------------------------------------------------------


class _GenRecord:
    """Builds a GenPart table slot by slot; every event of a process has the same slots."""

    def __init__(self, n: int) -> None:
        self.n = n
        self._rows: list[dict[str, np.ndarray]] = []

    def add(self, p4: _P4, mass, pdg_id, status, flags, mother: int) -> int:
        """Append one particle per event; returns its slot (the index daughters refer to)."""
        pdg_id = np.broadcast_to(pdg_id, (self.n,))
        self._rows.append(
            {
                "pt": p4.pt,
                "eta": p4.eta,
                "phi": p4.phi,
                "mass": _stored_gen_mass(pdg_id, np.broadcast_to(mass, (self.n,))),
                "pdgId": pdg_id,
                "status": np.broadcast_to(status, (self.n,)),
                "statusFlags": np.broadcast_to(flags, (self.n,)),
                "genPartIdxMother": np.full(self.n, mother),
            }
        )
        return len(self._rows) - 1

    def objects(self) -> _Objects:
        columns = {k: np.stack([row[k] for row in self._rows], axis=1) for k in self._rows[0]}
        return _Objects(np.ones((self.n, len(self._rows)), dtype=bool), **columns)


def _stored_gen_mass(pdg_id: np.ndarray, mass: np.ndarray) -> np.ndarray:
    """GenPart_mass as NanoAODv6 stores it: above 10 GeV, photons above 1 GeV, W/Z/H always."""
    apdg = np.abs(pdg_id)
    partonic = (apdg <= 5) | ((apdg >= 11) & (apdg <= 16)) | (apdg == 21)
    keep = ((mass > 10) & ~partonic) | np.isin(apdg, (23, 24, 25)) | ((apdg == 22) & (mass > 1))
    return np.where(keep, mass, 0.0)


def _add_dilepton(gen: _GenRecord, rng, parent: _P4, mass, flavour, mother: int, flags) -> None:
    """Decay `parent` to ℓ⁻ℓ⁺ of `flavour` (11 or 13, per event) and record the leptons."""
    lepton_mass = np.where(flavour == 13, _MUON_MASS, _ELECTRON_MASS)
    minus, plus = _decay(rng, parent, mass, lepton_mass, lepton_mass)
    gen.add(minus, lepton_mass, flavour, 1, flags, mother)
    gen.add(plus, lepton_mass, -flavour, 1, flags, mother)


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


def _truth_drell_yan(rng, n: int, flavour: int, resonances, continuum) -> _Objects:
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
            lo, hi = max(2 * _MUON_MASS + 0.01, m0 - 5 * width), m0 + 5 * width
        mass[chosen] = _breit_wigner(rng, int(chosen.sum()), m0, width, lo, hi)
        pdg_id[chosen] = pdg
    # Light resonances are seen only when boosted (the dimuon triggers want muons of a few GeV),
    # so their pT starts above zero; Z and γ* have the usual soft Drell–Yan pT.
    light = mass < 20
    pt = np.where(light, 4 + rng.gamma(2.0, 5.0, n), rng.gamma(1.4, 7.0, n))
    parent = _boson(rng, mass, pt, 1.5)
    hadron = pdg_id != 23
    gen = _GenRecord(n)
    gen.add(
        parent, mass, pdg_id, np.where(hadron, 2, 62), np.where(hadron, _FROM_HADRON, _HARD), -1
    )
    lepton_flags = np.where(hadron, _FROM_HADRON, _HARD)
    _add_dilepton(gen, rng, parent, mass, np.full(n, flavour), 0, lepton_flags)
    return gen.objects()


def _truth_dimuon(rng, n: int) -> _Objects:
    return _truth_drell_yan(rng, n, 13, _DIMUON_RESONANCES, _DIMUON_CONTINUUM)


def _truth_dielectron(rng, n: int) -> _Objects:
    return _truth_drell_yan(rng, n, 11, _DIELECTRON_RESONANCES, _DIELECTRON_CONTINUUM)


def _four_lepton_flavours(rng, n: int, shares: tuple[float, float, float]) -> tuple:
    """Flavours of the two Z decays for 4μ, 4e and 2e2μ in proportion `shares`."""
    channel = rng.choice(3, n, p=shares)
    first_is_mu = rng.random(n) < 0.5
    z1 = np.select([channel == 0, channel == 1], [13, 11], np.where(first_is_mu, 13, 11))
    z2 = np.select([channel == 0, channel == 1], [13, 11], np.where(first_is_mu, 11, 13))
    return z1, z2


def _truth_zz(rng, n: int) -> _Objects:
    """qq̄ → ZZ → 4ℓ, on- and off-shell; GenPart = [Z1, Z2, ℓ⁻, ℓ⁺ (Z1), ℓ⁻, ℓ⁺ (Z2)]."""
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
    system = _boson(rng, m4l, rng.gamma(2.0, 12.0, n), 1.5)
    z1, z2 = _decay(rng, system, m4l, m1, m2)
    f1, f2 = _four_lepton_flavours(rng, n, (0.23, 0.23, 0.54))
    gen = _GenRecord(n)
    gen.add(z1, m1, 23, 62, _HARD, -1)
    gen.add(z2, m2, 23, 62, _HARD, -1)
    _add_dilepton(gen, rng, z1, m1, f1, 0, _HARD)
    _add_dilepton(gen, rng, z2, m2, f2, 1, _HARD)
    return gen.objects()


def _truth_higgs(rng, n: int) -> _Objects:
    """gg → H(125) → ZZ* → 4ℓ; GenPart = [H, Z1, Z2, ℓ⁻, ℓ⁺ (Z1), ℓ⁻, ℓ⁺ (Z2)]."""
    m1 = _breit_wigner(rng, n, _Z_MASS, _Z_WIDTH, 40, 110)
    # Z2 takes what is left above 12 GeV, most often close to the kinematic limit
    room = _HIGGS_MASS - m1 - 12.5
    m2 = 12 + room * rng.beta(2.5, 1.0, n)
    higgs_mass = np.full(n, _HIGGS_MASS)
    higgs = _boson(rng, higgs_mass, rng.gamma(1.6, 15.0, n), 1.8)
    z1, z2 = _decay(rng, higgs, higgs_mass, m1, m2)
    f1, f2 = _four_lepton_flavours(rng, n, (0.25, 0.25, 0.5))
    gen = _GenRecord(n)
    gen.add(higgs, higgs_mass, 25, 62, _HARD, -1)
    gen.add(z1, m1, 23, 22, _HARD, 0)
    gen.add(z2, m2, 23, 22, _HARD, 0)
    _add_dilepton(gen, rng, z1, m1, f1, 1, _HARD)
    _add_dilepton(gen, rng, z2, m2, f2, 2, _HARD)
    return gen.objects()


def _add_w_decay(gen: _GenRecord, rng, w: _P4, mass, charge: int, leptonic, mother: int) -> None:
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
            [_MUON_MASS, _ELECTRON_MASS, _C_MASS],
            0.0,
        )
        for p in (first, second)
    ]
    d1, d2 = _decay(rng, w, mass, masses[0], masses[1])
    for p4, pdg, m in ((d1, first, masses[0]), (d2, second, masses[1])):
        gen.add(p4, m, pdg, np.where(np.abs(pdg) <= 5, 23, 1), _HARD, mother)


def _truth_ttbar(rng, n: int) -> _Objects:
    """tt̄ → WbWb̄, dileptonic (35 %) or semileptonic (65 %) in e and μ.

    GenPart = [t, t̄, W⁺, b, W⁻, b̄, W⁺ daughters ×2, W⁻ daughters ×2].
    """
    m_t = _breit_wigner(rng, n, _TOP_MASS, _TOP_WIDTH, 160, 185)
    m_tbar = _breit_wigner(rng, n, _TOP_MASS, _TOP_WIDTH, 160, 185)
    m_tt = m_t + m_tbar + rng.gamma(1.6, 70.0, n)
    system = _boson(rng, m_tt, rng.gamma(1.3, 25.0, n), 0.9)
    top, antitop = _decay(rng, system, m_tt, m_t, m_tbar)
    m_wp = _breit_wigner(rng, n, _W_MASS, _W_WIDTH, 65, 95)
    m_wm = _breit_wigner(rng, n, _W_MASS, _W_WIDTH, 65, 95)
    w_plus, b = _decay(rng, top, m_t, m_wp, _B_MASS)
    w_minus, bbar = _decay(rng, antitop, m_tbar, m_wm, _B_MASS)
    dileptonic = rng.random(n) < 0.35
    plus_leptonic = dileptonic | (rng.random(n) < 0.5)
    minus_leptonic = dileptonic | ~plus_leptonic
    gen = _GenRecord(n)
    gen.add(top, m_t, 6, 62, _HARD, -1)
    gen.add(antitop, m_tbar, -6, 62, _HARD, -1)
    gen.add(w_plus, m_wp, 24, 22, _HARD, 0)
    gen.add(b, _B_MASS, 5, 23, _HARD, 0)
    gen.add(w_minus, m_wm, -24, 22, _HARD, 1)
    gen.add(bbar, _B_MASS, -5, 23, _HARD, 1)
    _add_w_decay(gen, rng, w_plus, m_wp, +1, plus_leptonic, 2)
    _add_w_decay(gen, rng, w_minus, m_wm, -1, minus_leptonic, 4)
    return gen.objects()


@dataclass(frozen=True)
class _Process:
    """How to simulate one process, and the weight its events carry."""

    truth: Callable[[np.random.Generator, int], _Objects]
    weight: float  # |genWeight|: a power of two, exact in float32 and in float64 sums
    negative: float  # fraction of events with a negative weight, as in NLO samples
    isr_jets: float  # mean number of initial-state-radiation jets
    soft_muons: tuple[float, float]  # probability of one and of two non-prompt muons
    fake_electrons: float  # probability of one non-prompt electron


_PROCESS_SPECS = {
    "dy_mumu": _Process(_truth_dimuon, 1024.0, 0.16, 0.8, (0.08, 0.03), 0.02),
    "dy_ee": _Process(_truth_dielectron, 1024.0, 0.16, 0.8, (0.02, 0.005), 0.02),
    "zz4l": _Process(_truth_zz, 0.5, 0.10, 0.7, (0.02, 0.005), 0.02),
    "hzz4l": _Process(_truth_higgs, 0.25, 0.08, 0.9, (0.02, 0.005), 0.02),
    "ttbar": _Process(_truth_ttbar, 2.0, 0.05, 1.2, (0.15, 0.03), 0.05),
}


# ----------------------------------------------------------------------------------------------
# Detector level
# ----------------------------------------------------------------------------------------------


def _pileup(rng, n: int) -> dict[str, np.ndarray]:
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


_ISR_FLAVOURS = np.array([21, 1, -1, 2, -2, 3, -3, 4, -4, 5, -5])
_ISR_FLAVOUR_SHARES = np.array(
    [0.6, 0.06, 0.06, 0.06, 0.06, 0.03, 0.03, 0.035, 0.035, 0.015, 0.015]
)


def _gen_jets(rng, gen: _Objects, isr_mean: float) -> _Objects:
    """GenJets from the hard-process quarks and from initial-state radiation (pT > 10 GeV)."""
    n = gen.mask.shape[0]
    quark = gen.mask & (np.abs(gen["pdgId"]) <= 5) & (gen["status"] == 23)
    # part of a quark's momentum leaves the cone (or goes into neutrinos)
    from_quarks = _Objects(
        quark,
        pt=gen["pt"] * rng.normal(0.93, 0.08, quark.shape),
        eta=gen["eta"] + rng.normal(0, 0.03, quark.shape),
        phi=gen["phi"] + rng.normal(0, 0.03, quark.shape),
        partonFlavour=gen["pdgId"],
    )
    width = 6
    isr = _Objects(
        _multiplicity(rng, n, width, isr_mean),
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


_HADRONIC, _PILEUP_JET, _MUON_JET, _ELECTRON_JET = 0, 1, 2, 3


def _raw_factor(rng, pt, rho, area) -> np.ndarray:
    """1 - raw/corrected: mostly the pile-up offset ρ·A, relatively larger for soft jets."""
    factor = 0.02 + 0.15 * rho[:, None] * area / pt + rng.normal(0, 0.008, pt.shape)
    return np.clip(factor, 0.0, 0.35)


def _hadronic_jets(rng, genjets: _Objects, event: dict[str, np.ndarray]) -> _Objects:
    """Reconstructed jets of the GenJets (jet energy resolution applied) and pile-up jets."""
    shape = genjets.mask.shape
    gen_pt = genjets["pt"]
    resolution = np.sqrt((3.0 / gen_pt) ** 2 + 1.0 / gen_pt + 0.05**2)
    pt = gen_pt * (1 + resolution * rng.standard_normal(shape))
    eta = genjets["eta"] + rng.normal(0, 0.02, shape)
    matched = _Objects(
        genjets.mask & (pt > 15) & (np.abs(eta) < 4.7),
        pt=pt,
        eta=eta,
        phi=genjets["phi"] + rng.normal(0, 0.02, shape),
        mass=genjets["mass"] * np.maximum(rng.normal(1, 0.1, shape), 0.1),
        genJetIdx=genjets.slots,
        hadronFlavour=genjets["hadronFlavour"],
        partonFlavour=genjets["partonFlavour"],
        source=_HADRONIC,
    )
    n, width = shape[0], 4
    pu_pt = 15 + rng.exponential(4.0, (n, width))
    pileup = _Objects(
        _multiplicity(rng, n, width, 0.015 * event["Pileup_nPU"]),
        pt=pu_pt,
        eta=rng.uniform(-4.7, 4.7, (n, width)),
        phi=rng.uniform(-np.pi, np.pi, (n, width)),
        mass=pu_pt * rng.uniform(0.05, 0.15, (n, width)),
        genJetIdx=-1,
        hadronFlavour=0,
        partonFlavour=0,
        source=_PILEUP_JET,
    )
    jets = matched.concat(pileup)
    jets["area"] = np.clip(rng.normal(0.5, 0.03, jets.mask.shape), 0.3, 0.8)
    jets["rawFactor"] = _raw_factor(rng, jets["pt"], event["fixedGridRhoFastjetAll"], jets["area"])
    return jets


def _lepton_jets(rng, leptons: _Objects, source: int, rho: np.ndarray) -> _Objects:
    """The jets that isolated leptons make: NanoAOD's jets are not cleaned of leptons."""
    shape = leptons.mask.shape
    raw = leptons["pt"] + rng.exponential(2.0, shape)
    area = np.clip(rng.normal(0.5, 0.03, shape), 0.3, 0.8)
    raw_factor = _raw_factor(rng, raw, rho, area)
    pt = raw / (1 - raw_factor)
    eta = leptons["eta"] + rng.normal(0, 0.005, shape)
    keep = leptons.mask & leptons["prompt"] & (pt > 15) & (rng.random(shape) < 0.95)
    return _Objects(
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


def _deep_flavour_b(rng, flavour: np.ndarray) -> np.ndarray:
    """A DeepJet-like b-tag score: at the 2016 medium working point (0.2783) it keeps about
    80 % of b jets, 17 % of c jets and 1 % of light jets."""
    shape = flavour.shape
    b_like = rng.beta(8.0, 1.2, shape)
    light_like = rng.beta(1.0, 10.0, shape)
    tagged = rng.random(shape) < np.select([flavour == 5, flavour == 4], [0.8, 0.14], 0.008)
    # light jets sit closer to zero than the untagged part of b and c jets
    untagged = np.where((flavour == 5) | (flavour == 4), light_like, light_like**2)
    return np.where(tagged, b_like, untagged)


def _jet_details(rng, jets: _Objects) -> None:
    """Identification, b tagging and energy fractions, by the kind of jet."""
    shape = jets.mask.shape
    source, flavour = jets["source"], jets["hadronFlavour"]
    hadronic = source == _HADRONIC
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
        source == _PILEUP_JET,
        rng.choice([7, 6, 4, 0], shape, p=[0.05, 0.1, 0.25, 0.6]),
        rng.choice([7, 6, 4, 0], shape, p=[0.85, 0.07, 0.05, 0.03]),
    )
    # the pile-up ID is trained below 50 GeV only; harder jets pass all its working points
    jets["puId"] = np.where(jets["pt"] >= 50, 7, pu_id)


def _impact_parameters(rng, leptons: _Objects, prompt: np.ndarray) -> None:
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


def _prompt_leptons(rng, gen: _Objects, flavour: int) -> _Objects:
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
    return _Objects(
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


def _nonprompt_leptons(rng, n: int, counts: np.ndarray, jets: _Objects, eta_max: float) -> _Objects:
    """Leptons from heavy-flavour decays: soft, displaced, not isolated, inside the hardest jet."""
    width = 2
    shape = (n, width)
    hardest = np.argmax(np.where(jets.mask, jets["pt"], -np.inf), axis=1)[:, None]
    has_jet = jets.mask.any(axis=1)[:, None]
    eta0 = np.where(
        has_jet, np.take_along_axis(jets["eta"], hardest, 1), rng.uniform(-2, 2, (n, 1))
    )
    phi0 = np.where(
        has_jet, np.take_along_axis(jets["phi"], hardest, 1), rng.uniform(-3, 3, (n, 1))
    )
    eta = eta0 + rng.normal(0, 0.1, shape)
    return _Objects(
        (np.arange(width) < counts[:, None]) & (np.abs(eta) < eta_max),
        pt=3 + rng.exponential(4.0, shape),
        eta=eta,
        phi=phi0 + rng.normal(0, 0.1, shape),
        charge=rng.choice([-1, 1], shape),
        genPartIdx=-1,
        prompt=False,
    )


def _muons(rng, gen: _Objects, jets: _Objects, spec: _Process, n_pu: np.ndarray) -> _Objects:
    n = gen.mask.shape[0]
    p_one, p_two = spec.soft_muons
    counts = rng.choice(3, n, p=[1 - p_one - p_two, p_one, p_two])
    muons = _prompt_leptons(rng, gen, 13).concat(_nonprompt_leptons(rng, n, counts, jets, 2.4))
    muons = muons.sorted_by_pt()
    shape, prompt, pt = muons.mask.shape, muons["prompt"], muons["pt"]

    def u() -> np.ndarray:
        return rng.random(shape)

    muons["mass"] = _MUON_MASS
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


def _electrons(rng, gen: _Objects, jets: _Objects, spec: _Process) -> _Objects:
    n = gen.mask.shape[0]
    counts = (rng.random(n) < spec.fake_electrons).astype(int)
    electrons = _prompt_leptons(rng, gen, 11).concat(_nonprompt_leptons(rng, n, counts, jets, 2.5))
    electrons = electrons.sorted_by_pt()
    shape, prompt = electrons.mask.shape, electrons["prompt"]
    energy = electrons["pt"] * np.cosh(electrons["eta"])
    electrons["mass"] = _ELECTRON_MASS
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


def _energy_calibration(rng, electrons: _Objects, photons: _Objects) -> None:
    """Run 2 NanoAOD's e/γ calibration record: ``eCorr``, the calibrated over the uncalibrated
    energy (the scale and smearing are applied), and for photons the stored variations, as
    energy differences, nominal minus shifted (electrons have theirs already)."""
    for objects in (electrons, photons):
        objects["eCorr"] = rng.normal(1.0, 0.015, objects.mask.shape)
    energy = photons["pt"] * np.cosh(photons["eta"])
    scale = energy * rng.uniform(0.001, 0.004, photons.mask.shape)
    photons["dEscaleUp"] = -scale
    photons["dEscaleDown"] = scale
    photons["dEsigmaUp"] = energy * rng.normal(0, 0.003, photons.mask.shape)
    photons["dEsigmaDown"] = energy * rng.normal(0, 0.003, photons.mask.shape)


def _photons(rng, n: int, mean: float) -> _Objects:
    """Soft photons (radiation, π⁰s), unrelated to the hard process, `mean` an event."""
    width = 8
    shape = (n, width)
    eta = rng.uniform(-2.5, 2.5, shape)
    mva = np.clip(rng.normal(0.2, 0.5, shape), -1, 1)
    photons = _Objects(
        _multiplicity(rng, n, width, mean),
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
    return photons.sorted_by_pt()


def _low_pt_jets(rng, n: int, n_pu: np.ndarray) -> _Objects:
    """CorrT1METJet: jets below 15 GeV after correction, kept for re-doing the type-1 MET."""
    width = 8
    shape = (n, width)
    raw = 10 + rng.exponential(1.5, shape)
    jets = _Objects(
        _multiplicity(rng, n, width, 2 + 0.1 * n_pu) & (raw < 14),
        pt=raw,
        rawPt=raw,
        eta=rng.uniform(-4.7, 4.7, shape),
        phi=rng.uniform(-np.pi, np.pi, shape),
        area=np.clip(rng.normal(0.5, 0.05, shape), 0.3, 0.8),
        muonSubtrFactor=0.0,
    )
    return jets.sorted_by_pt()


def _round_like_nanoaod(objects: _Objects, collection: str) -> None:
    """Store-precision rounding now, so that later sums (type-1 MET) use what the file holds."""
    for name, values in objects.columns.items():
        bits = _BITS.get(f"{collection}_{name}")
        if bits is not None:
            objects[name] = _reduce_precision(values, bits)


def _link(muons: _Objects, electrons: _Objects, photons: _Objects, jets: _Objects) -> None:
    """The cross-references of NanoAOD: leptons and photons to jets, jets back to leptons."""
    for objects in (muons, electrons, photons):
        objects["jetIdx"] = _nearest(objects, jets, 0.4)
    jets["muonIdx1"], jets["muonIdx2"] = _back_references(muons["jetIdx"], muons.mask, jets.width)
    jets["electronIdx1"], jets["electronIdx2"] = _back_references(
        electrons["jetIdx"], electrons.mask, jets.width
    )
    # the muons clustered into a jet, as a fraction of its raw pT
    inside = (muons["jetIdx"][:, :, None] == np.arange(jets.width)) & muons.mask[:, :, None]
    muon_pt = np.einsum("nm,nmj->nj", np.where(muons.mask, muons["pt"], 0.0), inside)
    raw = jets["pt"] * (1 - jets["rawFactor"])
    jets["muonSubtrFactor"] = np.clip(muon_pt / raw, 0.0, 1.0)


def _scalar_sum(objects: _Objects, selected: np.ndarray | None = None) -> np.ndarray:
    selected = objects.mask if selected is None else selected
    return np.where(selected, objects["pt"], 0.0).sum(axis=1)


def _mismeasurement(objects: _Objects, selected, truth: _Objects, index) -> tuple:
    """Σ (measured - true) transverse momentum of the `selected` objects, true ones at `index`."""
    px, py = objects.px_py()
    true_pt, true_phi = truth.gather(index, "pt"), truth.gather(index, "phi")
    dx = np.where(selected, px - true_pt * np.cos(true_phi), 0.0).sum(axis=1)
    dy = np.where(selected, py - true_pt * np.sin(true_phi), 0.0).sum(axis=1)
    return dx, dy


def _missing_momentum(
    rng,
    gen: _Objects,
    genjets: _Objects,
    jets: _Objects,
    leptons: list[_Objects],
    photons: _Objects,
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
    hadronic = jets.mask & ((jets["source"] == _HADRONIC) | (jets["source"] == _PILEUP_JET))
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


def _leading_two(objects: _Objects, selected: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """pT of the leading and subleading selected objects (0 where absent)."""
    pts = -np.sort(-np.where(selected, objects["pt"], 0.0), axis=1)
    pts = np.pad(pts, ((0, 0), (0, max(0, 2 - pts.shape[1]))))
    return pts[:, 0], pts[:, 1]


def _triggers(rng, muons: _Objects, electrons: _Objects) -> dict[str, np.ndarray]:
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


@dataclass
class _Block:
    """One block of events, by NanoAOD names: collections of objects and flat branches."""

    collections: dict[str, _Objects]
    scalars: dict[str, np.ndarray]


def _simulate(spec: _Process, rng: np.random.Generator, n: int) -> _Block:
    """Generate and reconstruct `n` events of a process."""
    gen = spec.truth(rng, n)
    event = _pileup(rng, n)
    rho = event["fixedGridRhoFastjetAll"]
    genjets = _gen_jets(rng, gen, spec.isr_jets)
    hadronic = _hadronic_jets(rng, genjets, event)
    muons = _muons(rng, gen, hadronic, spec, event["Pileup_nPU"])
    electrons = _electrons(rng, gen, hadronic, spec)
    photons = _photons(rng, n, 0.6)
    jets = hadronic.concat(
        _lepton_jets(rng, muons, _MUON_JET, rho), _lepton_jets(rng, electrons, _ELECTRON_JET, rho)
    ).sorted_by_pt()
    _jet_details(rng, jets)
    _link(muons, electrons, photons, jets)
    _round_like_nanoaod(jets, "Jet")
    sign = np.where(rng.random(n) < spec.negative, -1.0, 1.0)
    scalars = {
        **event,
        **_missing_momentum(rng, gen, genjets, jets, [muons, electrons], photons, event),
        **_triggers(rng, muons, electrons),
        "genWeight": sign * spec.weight,
    }
    collections_ = {
        "GenPart": gen,
        "GenJet": genjets,
        "Jet": jets,
        "Muon": muons,
        "Electron": electrons,
        "Photon": photons,
        "CorrT1METJet": _low_pt_jets(rng, n, event["Pileup_nPU"]),
    }
    _energy_calibration(rng, electrons, photons)  # last: the draws above are unchanged by it
    return _Block(collections_, scalars)


# ----------------------------------------------------------------------------------------------
# The outreach format: the same events as AOD2NanoAODOutreachTool would have written them
# ----------------------------------------------------------------------------------------------

_TAU_DECAY_MODES = np.array([-1, 0, 1, 2, 10])
_TAU_DECAY_MODE_SHARES = np.array([0.45, 0.12, 0.25, 0.03, 0.15])
# The tool writes -999 for quantities it cannot compute (no PF isolation, no global track).
_MISSING = -999.0


def _calo_jets(rng, jets: _Objects, n_pu: np.ndarray) -> _Objects:
    """AK5 calorimeter jets above 15 GeV, uncorrected, with the CSV b-tag and its defaults.

    Uncorrected calorimeter jets pass 15 GeV from pile-up alone far more often than PF jets do,
    so pile-up jets, about 0.4 per pile-up interaction, join the jets of the event.
    """
    n, width = len(n_pu), 16
    soft = 15 + rng.exponential(5.0, (n, width))
    pileup = _Objects(
        _multiplicity(rng, n, width, 0.4 * n_pu),
        pt=soft,
        eta=rng.uniform(-4.7, 4.7, (n, width)),
        phi=rng.uniform(-np.pi, np.pi, (n, width)),
        mass=soft * rng.uniform(0.05, 0.2, (n, width)),
        rawFactor=0.0,
        hadronFlavour=0,
    )
    jets = _Objects(
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
    calo = _Objects(
        jets.mask & (raw > 15),
        pt=raw,
        eta=jets["eta"],
        phi=jets["phi"],
        mass=jets["mass"] * (1 - jets["rawFactor"]),
        puId=rng.random(shape) < 0.1,
        btag=csv,
    )
    return calo.sorted_by_pt()


def _taus(rng, jets: _Objects) -> _Objects:
    """HPS τ candidates: most jets make one; few pass isolation."""
    shape = jets.mask.shape
    pt = jets["pt"] * rng.uniform(0.5, 1.0, shape)
    mode = rng.choice(_TAU_DECAY_MODES, shape, p=_TAU_DECAY_MODE_SHARES)
    found = mode >= 0
    rel_iso = rng.exponential(0.8, shape)
    raw_iso = rel_iso * pt * rng.uniform(0.5, 1.0, shape)
    taus = _Objects(
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


def _outreach_generator_matches(gen: _Objects, objects: list[_Objects]) -> tuple[_Objects, list]:
    """GenPart as the outreach tool writes it: for each reconstructed μ, e, γ and τ in turn, a
    copy of the nearest generated lepton (no ΔR limit), indexed by the object's genPartIdx."""
    interesting = gen.mask & np.isin(np.abs(gen["pdgId"]), (11, 13)) & (gen["status"] == 1)
    leptons = _Objects(interesting, eta=gen["eta"], phi=gen["phi"])
    directions = [_Objects(o.mask, eta=o["eta"], phi=o["phi"]) for o in objects]
    together = directions[0].concat(*directions[1:])
    best = _nearest(together, leptons, np.inf)
    matched = together.mask & (best >= 0)
    index = np.where(matched, np.cumsum(matched, axis=1) - 1, -1)
    lepton_mass = np.where(np.abs(gen["pdgId"]) == 13, _MUON_MASS, _ELECTRON_MASS)
    record = _Objects(
        matched,
        **{k: gen.gather(best, k) for k in ("pt", "eta", "phi", "pdgId", "status")},
        mass=np.take_along_axis(lepton_mass, np.maximum(best, 0), axis=1),
    )
    edges = np.cumsum([o.width for o in objects])[:-1]
    return record, np.split(index, edges, axis=1)


def _outreach(rng, block: _Block, kind: str) -> _Block:
    """The block's events as the 2012 outreach NanoAOD holds them."""
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
    muons["mass"] = _MUON_MASS

    electrons = nano["Electron"]
    cut_based = electrons["cutBased"]
    electrons["cutBasedId"] = cut_based >= 1
    electrons["pfId"] = electrons.random(rng) < np.where(electrons["prompt"], 0.8, 0.4)
    electrons["pfRelIso03_all"] = np.where(electrons["pfId"], electrons["pfRelIso03_all"], _MISSING)
    electrons["isLoose"], electrons["isMedium"] = cut_based >= 2, cut_based >= 3
    electrons["isTight"] = cut_based >= 4

    # every photon above 5 GeV, where NanoAOD keeps those passing a loose selection
    photons = _photons(rng, n, 2.2)
    photons["mass"], photons["charge"] = 0.0, 0
    photons["isLoose"] = photons["mvaID_WP90"]
    photons["isMedium"] = photons["mvaID_WP80"]
    photons["isTight"] = photons["mvaID_WP80"] & (photons["pfRelIso03_all"] < 0.1)

    leptons_and_co = [muons, electrons, photons, taus]
    collections_ = {
        "Muon": muons,
        "Electron": electrons,
        "Photon": photons,
        "Tau": taus,
        "Jet": jets,
    }
    if kind == "mc":
        # the tool matches in simulation only; in data the indices stay -1
        collections_["GenPart"], indices = _outreach_generator_matches(
            nano["GenPart"], leptons_and_co
        )
        for objects, index in zip(leptons_and_co, indices, strict=True):
            objects["genPartIdx"] = index
            objects["jetIdx"] = _nearest(objects, jets, np.inf)
    else:
        for objects in leptons_and_co:
            objects["genPartIdx"] = objects["jetIdx"] = -1

    scalars = block.scalars
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
    return _Block(
        collections_,
        {
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
        },
    )


# ----------------------------------------------------------------------------------------------
# From blocks of events to branches
# ----------------------------------------------------------------------------------------------


def _event_ids(kind: str, format: str, start: int, n: int) -> dict[str, np.ndarray]:
    """run, luminosityBlock and event of events start..start+n of the file."""
    index = np.arange(start, start + n, dtype=np.int64)
    if kind == "mc":
        return {
            "run": np.ones(n),
            "luminosityBlock": 1 + index // _MC_EVENTS_PER_LUMI,
            "event": index + 1,
        }
    runs = np.array([r for r, _ in _DATA_RUNS[format]])
    lengths = np.array([length for _, length in _DATA_RUNS[format]])
    ends = np.cumsum(lengths)
    # past the last run the walk starts again; event numbers keep (run, lumi, event) unique
    section = (index // _EVENTS_PER_LUMI) % ends[-1]
    which = np.searchsorted(ends, section, side="right")
    return {
        "run": runs[which],
        "luminosityBlock": section - (ends[which] - lengths[which]) + 1,
        "event": _FIRST_DATA_EVENT + index,
    }


def _columns(block: _Block, branches: tuple[_Branch, ...]) -> dict[str, Array]:
    """The branch arrays of a block, typed and rounded as the layout says."""
    out: dict[str, Array] = {}
    offsets = {}
    for branch in branches:
        if branch.collection is None:
            values = np.asarray(block.scalars[branch.name])
        else:
            objects = block.collections[branch.collection]
            if branch.collection not in offsets:
                counts = objects.mask.sum(axis=1)
                offsets[branch.collection] = np.concatenate([[0], np.cumsum(counts)])
            values = objects[branch.field][objects.mask]
        values = values.astype(branch.dtype)
        if branch.bits is not None:
            values = _reduce_precision(values, branch.bits)
        if branch.collection is None:
            out[branch.name] = values
        else:
            layout = ak.contents.ListOffsetArray(
                ak.index.Index64(offsets[branch.collection]), ak.contents.NumpyArray(values)
            )
            out[branch.name] = ak.Array(layout)
    return out


def _block_rng(seed: int, process: str, kind: str, block: int) -> np.random.Generator:
    """The random stream of one block: a function of (seed, process, kind, block) only."""
    key = zlib.crc32(f"{process}/{kind}".encode())
    return np.random.Generator(np.random.PCG64(np.random.SeedSequence([seed, key, block])))


def _block_columns(
    process: str, kind: str, format: str, seed: int, branches, block: int, n: int
) -> dict[str, Array]:
    """The branches of block number `block` (its first `n` events) of a sample."""
    rng = _block_rng(seed, process, kind, block)
    simulated = _simulate(_PROCESS_SPECS[process], rng, n)
    if format == "outreach":
        simulated = _outreach(rng, simulated, kind)
    simulated.scalars.update(_event_ids(kind, format, block * _BLOCK, n))
    return _columns(simulated, branches)


def _prefetched(jobs: Iterable[Callable[[], dict]], ahead: int) -> Iterator[dict]:
    """Results of `jobs` in order, computed by a worker thread while the caller writes.

    numpy and the compressors release the GIL, so simulating the next block overlaps with
    compressing this one. Each block has its own random stream, so this cannot change content.
    """
    jobs = iter(jobs)
    with ThreadPoolExecutor(max_workers=1) as pool:
        pending = collections.deque(pool.submit(job) for job in itertools.islice(jobs, ahead))
        while pending:
            result = pending.popleft().result()
            job = next(jobs, None)
            if job is not None:
                pending.append(pool.submit(job))
            yield result


def _length(columns: dict[str, Array]) -> int:
    return len(next(iter(columns.values())))


def _rechunked(blocks: Iterable[dict[str, Array]], size: int) -> Iterator[dict[str, Array]]:
    """The same rows, regrouped into chunks of `size` (the last may be shorter)."""
    pending: list[dict[str, Array]] = []
    count = 0
    for block in blocks:
        pending.append(block)
        count += _length(block)
        while count >= size:
            merged = _concatenated(pending)
            yield {k: v[:size] for k, v in merged.items()}
            pending = [{k: v[size:] for k, v in merged.items()}]
            count -= size
    if count:
        yield _concatenated(pending)


def _concatenated(parts: list[dict[str, Array]]) -> dict[str, Array]:
    if len(parts) == 1:
        return parts[0]
    return {k: _concatenate([p[k] for p in parts]) for k in parts[0]}


def _concatenate(arrays: list[Array]) -> Array:
    """Rows of `arrays` one after the other; jagged ones straight from offsets and contents,
    which is several times faster than ak.concatenate for these simple layouts."""
    if not isinstance(arrays[0], ak.Array):
        return np.concatenate(arrays)
    offsets, contents, total = [np.zeros(1, np.int64)], [], 0
    for array in arrays:
        layout = array.layout
        starts = np.asarray(layout.offsets)
        contents.append(np.asarray(layout.content.data)[starts[0] : starts[-1]])
        offsets.append(starts[1:] - starts[0] + total)
        total += int(starts[-1] - starts[0])
    return ak.Array(
        ak.contents.ListOffsetArray(
            ak.index.Index64(np.concatenate(offsets)),
            ak.contents.NumpyArray(np.concatenate(contents)),
        )
    )


# ----------------------------------------------------------------------------------------------
# Writing
# ----------------------------------------------------------------------------------------------


def _counter_name(branch: str) -> str:
    """NanoAOD counts Muon_pt with nMuon (uproot's default would be nMuon_pt)."""
    return "n" + branch.split("_", 1)[0]


def _retitle(tree, titles: dict[str, str]) -> None:
    """Give every branch its NanoAOD title, and the counters NanoAOD's uint32 type.

    uproot (5.7) titles branches "Muon_pt[nMuon]/F" and writes counters as int32, with no public
    way to change either. Both live in the tree's metadata, which is rewritten here, once, before
    any basket exists.
    """
    cascade = tree._cascading
    for datum in cascade._branch_data:
        if "fName" not in datum:  # a record grouping, not a branch
            continue
        datum["fTitle"] = titles[datum["fName"]]
        if datum["kind"] == "counter":
            datum["dtype"] = np.dtype(">u4")
    cascade._relocate(tree._file, tree._file.sink)


def _make_tree(file, name: str, types: dict, titles: dict[str, str], capacity: int = 10):
    title = name.rsplit("/", 1)[-1]
    tree = file.mktree(
        name, types, title=title, counter_name=_counter_name, initial_basket_capacity=capacity
    )
    _retitle(tree, titles)
    return tree


class _Bookkeeping:
    """What the Runs and LuminosityBlocks trees need, accumulated while events are written."""

    def __init__(self, kind: str) -> None:
        # simulation is all run 1, and says so in Runs even when it has no events
        self.runs: dict[int, list] = {1: [0, 0.0, 0.0]} if kind == "mc" else {}  # [N, Σw, Σw²]
        self.lumis: dict[tuple[int, int], None] = {}

    def add(self, columns: dict[str, Array]) -> None:
        run = np.asarray(columns["run"], dtype=np.int64)
        lumi = np.asarray(columns["luminosityBlock"], dtype=np.int64)
        weight = columns.get("genWeight")
        # run and lumi change rarely along the file: look only where they change
        starts = np.flatnonzero(np.r_[True, (run[1:] != run[:-1]) | (lumi[1:] != lumi[:-1])])
        for start, stop in zip(starts, [*starts[1:], len(run)], strict=True):
            key = (int(run[start]), int(lumi[start]))
            self.lumis.setdefault(key)
            totals = self.runs.setdefault(key[0], [0, 0.0, 0.0])
            totals[0] += int(stop - start)
            if weight is not None:
                # ±2^k weights: these float64 sums are exact in any order
                w = np.asarray(weight[start:stop], dtype=np.float64)
                totals[1] += float(w.sum())
                totals[2] += float((w * w).sum())


def _write_run_trees(file, books: _Bookkeeping, kind: str, runs_style: str) -> None:
    suffix = "_" if runs_style == "pre-v7" else ""
    runs = np.array(list(books.runs), dtype=np.uint32)
    run_columns: dict[str, np.ndarray] = {"run": runs}
    titles = {"run": "run/i"}
    if kind == "mc":
        totals = np.array(list(books.runs.values()), dtype=np.float64).reshape(-1, 3)
        for name, values, title in (
            ("genEventCount", totals[:, 0].astype(np.int64), "event count"),
            ("genEventSumw", totals[:, 1], "sum of gen weights"),
            ("genEventSumw2", totals[:, 2], "sum of gen (weight^2)"),
        ):
            run_columns[name + suffix] = values
            titles[name + suffix] = title
    tree = _make_tree(file, "Runs", {k: v.dtype for k, v in run_columns.items()}, titles)
    tree.extend(run_columns)
    lumis = np.array(list(books.lumis), dtype=np.uint32).reshape(-1, 2)
    lumi_columns = {"run": lumis[:, 0], "luminosityBlock": lumis[:, 1]}
    lumi_titles = {"run": "run/i", "luminosityBlock": "luminosityBlock/i"}
    tree = _make_tree(file, "LuminosityBlocks", {k: np.uint32 for k in lumi_columns}, lumi_titles)
    tree.extend(lumi_columns)


def _compression(name: str, level: int | None):
    if name not in _COMPRESSIONS:
        raise ValueError(f"unknown compression {name!r}; choose one of {sorted(_COMPRESSIONS)}")
    algorithm = _COMPRESSIONS[name]
    if algorithm is None:
        return None
    return algorithm(_DEFAULT_LEVELS[name] if level is None else level)


def _check_arguments(process, events, seed, kind, format, runs_style, chunk_size) -> None:
    if process not in PROCESSES:
        raise ValueError(f"unknown process {process!r}; choose one of {', '.join(PROCESSES)}")
    if kind not in ("mc", "data"):
        raise ValueError(f"kind must be 'mc' or 'data', not {kind!r}")
    if format not in _LAYOUTS:
        raise ValueError(f"format must be 'nanoaod' or 'outreach', not {format!r}")
    if runs_style not in ("modern", "pre-v7"):
        raise ValueError(f"runs_style must be 'modern' or 'pre-v7', not {runs_style!r}")
    for name, value, least in (
        ("events", events, 0),
        ("seed", seed, 0),
        ("chunk_size", chunk_size, 1),
    ):
        if not isinstance(value, (int, np.integer)) or isinstance(value, bool) or value < least:
            raise ValueError(f"{name} must be an integer >= {least}, not {value!r}")


def generate(
    process: str,
    path: str | os.PathLike,
    events: int,
    *,
    seed: int = 0,
    kind: Literal["mc", "data"] = "mc",
    format: Literal["nanoaod", "outreach"] = "nanoaod",
    compression: str = "lzma",
    level: int | None = None,
    runs_style: Literal["modern", "pre-v7"] = "modern",
    chunk_size: int = 100_000,
) -> pathlib.Path:
    """Write a synthetic sample; returns its path.

    Deterministic: the same arguments give byte-identical event content.

    Args:
        process: one of `PROCESSES`. ``dimuon_data`` is ``dy_mumu`` in its data flavour and
            ignores `kind`.
        path: the ROOT file to write (its directory is created; an existing file is replaced).
        events: number of events.
        seed: the random seed (a non-negative integer).
        kind: "mc" writes generator branches (GenPart, GenJet, genWeight, Pileup, *_genPartIdx…)
            and genEvent sums in Runs; "data" writes none of them, takes run and lumi numbers from
            real 2016 runs (2012 for "outreach") and sections partly outside the golden JSON.
        format: "nanoaod" (Events, Runs, LuminosityBlocks) or "outreach" (the reduced 2012 format
            of the CMS H→4ℓ open data: tree ``aod2nanoaod/Events`` only).
        compression: "lzma" (as real NanoAOD), "zstd", "lz4", "zlib" or "none".
        level: compression level; by default LZMA 1 (files ~6 % larger than at 9, written about
            four times faster), ZSTD 5, LZ4 4, ZLIB 1.
        runs_style: "pre-v7" names the Runs sums ``genEventSumw_`` … as NanoAOD did before v7.
        chunk_size: events a basket; it changes the file's layout, never its content.

    The file also holds a TObjString ``opencoffea_sample``: the arguments that made it, as JSON.

    Example:
        >>> import tempfile, uproot
        >>> path = generate("hzz4l", f"{tempfile.mkdtemp()}/h.root", 1_000, seed=1)
        >>> events = uproot.open(path)["Events"]
        >>> events["Muon_pt"].title, events.num_entries
        ('pt', 1000)
    """
    _check_arguments(process, events, seed, kind, format, runs_style, chunk_size)
    if process == "dimuon_data":
        process, kind = "dy_mumu", "data"
    compressor = _compression(compression, level)
    path = pathlib.Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    # written aside and renamed at the end, so that an interrupted run leaves no half file
    with atomic_path(path) as partial:
        _write_sample(
            partial, process, events, seed, kind, format, compressor, runs_style, chunk_size
        )
    return path


def _write_sample(
    path: pathlib.Path, process, events, seed, kind, format, compressor, runs_style, chunk_size
) -> None:
    """The body of `generate`, once its arguments are checked."""
    layout = _LAYOUTS[format]
    branches = layout.for_kind(kind)
    simulate = functools.partial(_block_columns, process, kind, format, seed, branches)
    sizes = [min(_BLOCK, events - start) for start in range(0, events, _BLOCK)]
    jobs = [functools.partial(simulate, block, n) for block, n in enumerate(sizes)]
    types = {b.name: f"var * {b.dtype}" if b.collection else np.dtype(b.dtype) for b in branches}
    with uproot.recreate(path, compression=compressor) as file:
        tree = _make_tree(file, layout.tree, types, layout.titles(), -(-events // chunk_size) + 2)
        books = _Bookkeeping(kind)
        # simulate up to a chunk ahead, so compressing one chunk overlaps simulating the next
        ahead = min(max(2, -(-chunk_size // _BLOCK) + 1), 32)
        for chunk in _rechunked(_prefetched(jobs, ahead), chunk_size):
            tree.extend(chunk)
            books.add(chunk)
        if format == "nanoaod":
            _write_run_trees(file, books, kind, runs_style)
        file[_RECORD_KEY] = json.dumps(_record(process, events, seed, kind, format), sort_keys=True)


def _record(process: str, events: int, seed: int, kind: str, format: str) -> dict:
    """What determines a file's content (see `generate`), as stored in the file."""
    return {
        "generator": "opencoffea.samples",
        "version": _GENERATOR_VERSION,
        "process": process,
        "events": int(events),
        "seed": int(seed),
        "kind": kind,
        "format": format,
    }


def _recorded(path: pathlib.Path) -> dict | None:
    """The record of a file `generate` wrote, or None if there is no such readable file."""
    try:
        with uproot.open(path) as file:
            return json.loads(str(file[_RECORD_KEY]))
    except Exception:  # missing, truncated, foreign: all mean "make it again"
        return None


def demo_samples(
    directory: str | os.PathLike, *, events: int = 100_000, seed: int = 1
) -> dict[str, pathlib.Path]:
    """Generate (if not already present with the same parameters) the offline dimuon demo inputs.

    These are a data-flavoured dimuon sample and an MC DY→μμ sample; returns {name: path}, the
    names being ``dimuon_data`` and ``dy_mumu``. Used by configs/dimuon_demo.yaml, whose datasets
    point at e.g. ``samples/demo/dimuon_data.root`` and ``samples/demo/dy_mumu.root``.

    A file is kept when the record `generate` stored in it matches (process, events, seed, kind,
    format and generator version); anything else is regenerated.

    Example:
        >>> import tempfile
        >>> paths = demo_samples(tempfile.mkdtemp(), events=2_000)
        >>> sorted(paths)
        ['dimuon_data', 'dy_mumu']
    """
    directory = pathlib.Path(directory)
    wanted = {"dimuon_data": ("dy_mumu", "data"), "dy_mumu": ("dy_mumu", "mc")}
    paths = {}
    for name, (process, kind) in wanted.items():
        path = directory / f"{name}.root"
        if _recorded(path) != _record(process, events, seed, kind, "nanoaod"):
            generate(name, path, events, seed=seed, kind=kind)
        paths[name] = path
    return paths
