"""What a generated file holds: the branches of each format, with the names, types and titles of
real files, and the precision NanoAOD stores floats at.

Two formats: "nanoaod" (NanoAODv6/v9 branches, tree ``Events``) and "outreach" (the output of
the CMS AOD2NanoAODOutreachTool for the 2012 open data, tree ``aod2nanoaod/Events``). The
outreach layout is derived from the NanoAOD one: a branch both formats have takes NanoAOD's type,
and only the outreach tool's own branches, and the two whose types differ, say theirs.

Example:
    >>> LAYOUTS["nanoaod"].tree, LAYOUTS["outreach"].tree
    ('Events', 'aod2nanoaod/Events')
    >>> LAYOUTS["outreach"].titles()["Muon_pt"]
    'Muon_pt[nMuon]/F'
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

import numpy as np

__all__ = ["LAYOUTS", "NANOAOD", "OUTREACH", "Branch", "Layout", "reduce_precision"]


@dataclass(frozen=True)
class Branch:
    """One branch of the Events tree as written: name, numpy dtype, title and stored precision.

    Example:
        >>> Branch("Muon_pt", "float32", "pt", collection="Muon").field
        'pt'
    """

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
class Layout:
    """Everything written to the Events tree of one format: branches and counter titles.

    Example:
        >>> [b.name for b in NANOAOD.for_kind("data") if b.collection == "GenPart"]
        []
        >>> NANOAOD.bits("Jet")["pt"]
        10
    """

    tree: str
    branches: tuple[Branch, ...]
    counters: dict[str, str]  # "nMuon" -> title

    def for_kind(self, kind: str) -> tuple[Branch, ...]:
        """The branches written for `kind` ("mc" or "data")."""
        return tuple(b for b in self.branches if kind == "mc" or not b.mc)

    def titles(self) -> dict[str, str]:
        """Title of every branch, counters included."""
        return {**{b.name: b.title for b in self.branches}, **self.counters}

    def bits(self, collection: str) -> dict[str, int]:
        """{field: stored mantissa bits} of the reduced-precision branches of `collection`."""
        return {
            b.field: b.bits
            for b in self.branches
            if b.collection == collection and b.bits is not None
        }


def reduce_precision(values: np.ndarray, bits: int) -> np.ndarray:
    """Round float32 values to `bits` mantissa bits, as NanoAOD's `precision=` does on write.

    Example:
        >>> reduce_precision(np.array([1.2345678]), 8)
        array([1.234375], dtype=float32)
    """
    shift = 23 - bits
    raw = np.ascontiguousarray(values, dtype=np.float32).view(np.uint32)
    # Adding half of the dropped range before masking rounds to nearest; a carry into the
    # exponent is the correct result. Non-finite values keep their bits.
    keep = np.uint32((0xFFFFFFFF >> shift) << shift)
    rounded = ((raw + np.uint32(1 << (shift - 1))) & keep).view(np.float32)
    return np.where(np.isfinite(values), rounded, values).astype(np.float32)


def _scalar(name: str, dtype: str, title: str, bits: int | None = None, mc: bool = False):
    return Branch(name, dtype, title, bits, None, mc)


def _jagged(collection: str, fields: Iterable[tuple], mc: bool = False) -> tuple[Branch, ...]:
    """Branches of one collection from (field, dtype, title[, bits[, mc]]) rows."""
    out = []
    for field, dtype, title, *rest in fields:
        bits = rest[0] if rest else None
        field_mc = mc or (len(rest) > 1 and rest[1])
        out.append(Branch(f"{collection}_{field}", dtype, title, bits, collection, field_mc))
    return tuple(out)


# ----------------------------------------------------------------------------------------------
# NanoAOD
# ----------------------------------------------------------------------------------------------

_F4, _I4, _U1, _BOOL = "float32", "int32", "uint8", "bool"
_BIT = "Trigger/flag bit"
_JET_IDX = ("jetIdx", _I4, "index of the associated jet (-1 if none)")
_ETA_PHI = (("eta", _F4, "eta", 12), ("phi", _F4, "phi", 12))
_IMPACT_PARAMETERS = (
    ("dxy", _F4, "dxy (with sign) wrt first PV, in cm", 10),
    ("dxyErr", _F4, "dxy uncertainty, in cm", 6),
    ("dz", _F4, "dz (with sign) wrt first PV, in cm", 10),
    ("dzErr", _F4, "dz uncertainty, in cm", 6),
    ("ip3d", _F4, "3D impact parameter wrt first PV, in cm", 10),
)
_EA_ISOLATION = "PF relative isolation dR=0.3, total (with rho*EA PU corrections)"
_LOW_PT_MUONS = ("muonSubtrFactor", _F4, "1-(muon-subtracted raw pt)/(raw pt)", 6)
_JET_AREA = ("area", _F4, "jet catchment area, for JECs", 10)
_STATUS_FLAGS = (
    "gen status flags stored bitwise, bits are: 0 : isPrompt, 1 : isDecayedLeptonHadron, "
    "2 : isTauDecayProduct, 3 : isPromptTauDecayProduct, 4 : isDirectTauDecayProduct, "
    "5 : isDirectPromptTauDecayProduct, 6 : isDirectHadronDecayProduct, 7 : isHardProcess, "
    "8 : fromHardProcess, 9 : isHardProcessTauDecayProduct, "
    "10 : isDirectHardProcessTauDecayProduct, "
    "11 : fromHardProcessBeforeFSR, 12 : isFirstCopy, 13 : isLastCopy, 14 : isLastCopyBeforeFSR, "
)


def _ecal_shifts(scale_up: str, sigma_down: str) -> tuple[tuple, ...]:
    """The e/γ energy scale and smearing rows; the two titles that differ between electrons and
    photons in real files (a missing space, a "down" documented as "up") are given."""
    return (
        ("dEscaleUp", _F4, scale_up, 8),
        (
            "dEscaleDown",
            _F4,
            "ecal energy scale shifted 1 sigma down (adding gain/stat/syst in quadrature)",
            8,
        ),
        ("dEsigmaUp", _F4, "ecal energy smearing value shifted 1 sigma up", 8),
        ("dEsigmaDown", _F4, sigma_down, 8),
        ("eCorr", _F4, "ratio of the calibrated energy/miniaod energy"),
    )


def _gen_match(what: str) -> tuple:
    return ("genPartIdx", _I4, f"Index into genParticle list for MC matching to {what}", None, True)


# Titles are copied from a real NanoAODv6 file (coffea's nano_dy.root) and, for branches it lacks
# (Electron_dE*), from the NanoAODv9 configuration; types are v9's (int32 indices, before v12's
# int16). Photon_mass and Photon_charge are left out on purpose: coffea's NanoAODSchema replaces
# them with zeros and warns about it on every file that has them.
NANOAOD = Layout(
    tree="Events",
    branches=(
        _scalar("run", "uint32", "run/i"),
        _scalar("luminosityBlock", "uint32", "luminosityBlock/i"),
        _scalar("event", "uint64", "event/l"),
        *_jagged(
            "CorrT1METJet",
            [
                ("rawPt", _F4, "pt()*jecFactor('Uncorrected')", 10),
                *_ETA_PHI,
                _JET_AREA,
                _LOW_PT_MUONS,
            ],
        ),
        *_jagged(
            "Electron",
            [
                ("pt", _F4, "p_{T}"),
                *_ETA_PHI,
                ("mass", _F4, "mass", 10),
                ("charge", _I4, "electric charge"),
                ("deltaEtaSC", _F4, "delta eta (SC,ele) with sign", 10),
                *_IMPACT_PARAMETERS,
                ("sip3d", _F4, "3D impact parameter significance wrt first PV, in cm", 10),
                ("pfRelIso03_all", _F4, _EA_ISOLATION),
                (
                    "cutBased",
                    _I4,
                    "cut-based ID Fall17 V2 (0:fail, 1:veto, 2:loose, 3:medium, 4:tight)",
                ),
                ("mvaFall17V2Iso_WP90", _BOOL, "MVA Iso ID V2 WP90"),
                *_ecal_shifts(
                    "ecal energy scale shifted 1 sigma up(adding gain/stat/syst in quadrature)",
                    "ecal energy smearing value shifted 1 sigma up",  # (sic) in NanoAODv9
                ),
                _JET_IDX,
                ("photonIdx", _I4, "index of the associated photon (-1 if none)"),
                _gen_match("status==1 electrons or photons"),
            ],
        ),
        *_jagged(
            "GenJet",
            [
                ("pt", _F4, "pt"),
                *_ETA_PHI,
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
                *_ETA_PHI,
                ("mass", _F4, "mass", 10),
                ("rawFactor", _F4, "1 - Factor to get back to raw pT", 6),
                _JET_AREA,
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
                _LOW_PT_MUONS,
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
                *_ETA_PHI,
                ("mass", _F4, "mass", 8),
                ("charge", _I4, "electric charge"),
                *_IMPACT_PARAMETERS,
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
                _JET_IDX,
                _gen_match("status==1 muons"),
            ],
        ),
        *_jagged(
            "Photon",
            [
                ("pt", _F4, "p_{T}"),
                *_ETA_PHI,
                ("pfRelIso03_all", _F4, _EA_ISOLATION),
                ("mvaID", _F4, "MVA ID score", 10),
                ("mvaID_WP80", _BOOL, "MVA ID WP80"),
                ("mvaID_WP90", _BOOL, "MVA ID WP90"),
                ("electronVeto", _BOOL, "pass electron veto"),
                *_ecal_shifts(
                    "ecal energy scale shifted 1 sigma up (adding gain/stat/syst in quadrature)",
                    "ecal energy smearing value shifted 1 sigma down",
                ),
                ("pixelSeed", _BOOL, "has pixel seed"),
                ("electronIdx", _I4, "index of the associated electron (-1 if none)"),
                _JET_IDX,
                _gen_match("status==1 photons or electrons"),
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
"""The NanoAODv9 branches the generator writes (a subset of a real file's, same order rules).

Example:
    >>> sum(b.collection == "Muon" for b in NANOAOD.branches)
    24
"""

# ----------------------------------------------------------------------------------------------
# The outreach format
# ----------------------------------------------------------------------------------------------

# ROOT's leaf-type letters: the outreach tool's titles are its leaf lists ("Muon_pt[nMuon]/F").
_ROOT_LETTER = {"float32": "F", "int32": "I", "uint32": "i", "uint64": "l", "bool": "O"}

# The outreach tool's branches in the order of its 20-event example file, by collection (None:
# flat), in ROOT's leaf-list spelling: a name alone has the type NanoAOD gives that field, in
# any collection; "name/L" is one NanoAOD lacks or types otherwise (`run` is signed here,
# Jet_puId a single flag), L being its ROOT type letter.
_KINEMATICS, _LINKS = "pt eta phi mass charge", "jetIdx genPartIdx"
_IDS = "isLoose/O isMedium/O isTight/O"
_OUTREACH_ROWS = (
    (None, "run/I luminosityBlock event HLT_IsoMu24_eta2p1/O HLT_IsoMu24"),
    (None, "HLT_IsoMu17_eta2p1_LooseIsoPFTau20/O PV_npvs PV_x/F PV_y/F PV_z/F"),
    ("Muon", f"{_KINEMATICS} pfRelIso03_all pfRelIso04_all tightId softId dxy dxyErr dz dzErr"),
    ("Muon", _LINKS),
    ("Electron", f"{_KINEMATICS} pfRelIso03_all dxy dxyErr dz dzErr cutBasedId/O pfId/O"),
    ("Electron", f"{_LINKS} {_IDS}"),
    ("Tau", f"{_KINEMATICS} decayMode/I relIso_all/F {_LINKS} idDecayMode/O idIsoRaw/F"),
    ("Tau", "idIsoVLoose/O idIsoLoose/O idIsoMedium/O idIsoTight/O"),
    ("Tau", "idAntiEleLoose/O idAntiEleMedium/O idAntiEleTight/O"),
    ("Tau", "idAntiMuLoose/O idAntiMuMedium/O idAntiMuTight/O"),
    ("Photon", f"{_KINEMATICS} pfRelIso03_all {_LINKS} {_IDS}"),
    (None, "MET_pt MET_phi MET_sumet/F MET_significance/F MET_CovXX/F MET_CovXY/F MET_CovYY/F"),
    ("Jet", "pt eta phi mass puId/O btag/F"),
    ("GenPart", "pt eta phi mass pdgId status"),
)


def _outreach_layout() -> Layout:
    """The outreach tool's branches (`_OUTREACH_ROWS`), typed and titled."""
    nano_types = {b.field: b.dtype for b in NANOAOD.branches}
    dtypes = {letter: dtype for dtype, letter in _ROOT_LETTER.items()}
    branches = []
    for collection, fields in _OUTREACH_ROWS:
        for spelled in fields.split():
            field, _, letter = spelled.partition("/")
            dtype = dtypes[letter] if letter else nano_types[field]
            if collection is None:
                branches.append(_scalar(field, dtype, f"{field}/{_ROOT_LETTER[dtype]}"))
            else:
                name = f"{collection}_{field}"
                title = f"{name}[n{collection}]/{_ROOT_LETTER[dtype]}"
                mc = collection == "GenPart"  # the tool writes GenPart for simulation only
                branches.append(Branch(name, dtype, title, None, collection, mc))
    counted = dict.fromkeys(b.collection for b in branches if b.collection)
    return Layout(
        tree="aod2nanoaod/Events",
        branches=tuple(branches),
        counters={f"n{name}": f"n{name}/i" for name in counted},
    )


OUTREACH = _outreach_layout()
"""The reduced 2012 layout of the CMS H→4ℓ open data.

Example:
    >>> [b.name for b in OUTREACH.branches if b.collection == "Jet"][-2:]
    ['Jet_puId', 'Jet_btag']
"""

LAYOUTS: dict[str, Layout] = {"nanoaod": NANOAOD, "outreach": OUTREACH}
"""Layouts by format name, as `generate`'s ``format=`` takes them.

Example:
    >>> sorted(LAYOUTS)
    ['nanoaod', 'outreach']
"""
