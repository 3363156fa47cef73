"""The NanoAOD formats: how a file's flavour and release are told.

What is known here about NanoAOD itself, apart from opening files and making events
(:mod:`opencoffea.events`) and the coffea schema of each flavour (:mod:`opencoffea.schemas`):
the branch names that tell the formats and releases apart. Only names and types of branches
are looked at, never event data, and only uproot is needed: ``opencoffea inspect`` tells a
file's format without importing coffea.

Flavours
--------
``nanoaod``   standard CMS NanoAOD, any release (``Events``)
``pfnano``    PFNano: NanoAOD plus PF candidates (``PFCands``, ``JetPFCands``)
``scouting``  Run 3 scouting NanoAOD (``ScoutingMuon``, ``ScoutingJet``, ...)
``outreach``  reduced open-data NanoAOD: the AOD2NanoAOD outreach tool's
              ``aod2nanoaod/Events``, or any ``Events`` without the event-level branches
              every CMSSW NanoAOD writes (``PV_npvsGood``, ``L1Reco_step``, ``Flag_METFilters``,
              ``HLTriggerFirstPath``, ``fixedGridRhoFastjetAll``/``Rho_fixedGridRhoFastjetAll``),
              such as the 2012 H→4ℓ files of portal records 12361–12368.

NanoAOD version
---------------
Files carry no version number, so it is inferred, never required. A campaign name in the
path (``.../RunIISummer20UL16NanoAODv9/...`` → ``v9``) is taken as it is. Otherwise the
branches are read against the release history below, newest first, and the first release
with a marker present is the estimate. A marker is something that release introduced, so
the estimate is a lower bound: a skim that dropped every marker of its own release reads as
older, and scouting files, with few of the standard collections, read "v12 or later".
Reduced (outreach) files get ``None``.

======= ========================================================== ==============================
version marker (any one of them)                                     introduced by
======= ========================================================== ==============================
v15     ``Jet_btagUParTAK4B`` (UParT tagger)                         the 15_0_X campaign, which
                                                                     also removed ``Jet_jetId``
                                                                     (cmssw#46085)
v14     ``PFMET_pt`` (``MET`` renamed ``PFMET``),                    cmssw#44495, cmssw#44716
        ``FatJet_particleNetLegacy_QCD``
v13     ``Jet_chMultiplicity``, ``Jet_hfEmEF``                       cmssw#42728
v12     ``Rho_fixedGridRhoFastjetAll`` (the ``Rho`` table), or an    cmssw#40478 (16-bit indices,
        ``*Idx*`` branch stored as 16-bit integer                    signed counters)
v11     ``Electron_seediEtaOriX``, ``Photon_seediEtaOriX``           cmssw#40327, see cmssw#43699
v10     ``Tau_idDeepTau2018v2p5VSjet`` (DeepTau v2.5)                cmssw#38726
v9      ``nLowPtElectron``, ``nboostedTau``,                         cms-nanoAOD/cmssw#555; v9
        ``L1PreFiringWeight_Muon_Nom``                               also drops the Fall17V1
                                                                     electron MVA (cmssw#33701)
v8      ``DeepMETResolutionTune_pt``, ``Jet_hfsigmaEtaEta``          cms-nanoAOD/cmssw#533
v7      Runs tree ``genEventSumw`` (was ``genEventSumw_``),          cmssw#29179; coffea's
        ``FatJet_genJetAK8Idx``, ``nGenIsolatedPhoton``,             schema has the same v7 rule
        ``PuppiMET_ptJESUp``                                         for ``FatJet_genJetAK8Idx``
v6      ``nFsrPhoton`` (FSR photons)                                 cmssw#28122
v5      none of the above: "v5 or older"
======= ========================================================== ==============================

On the real test files: ``nano_dy``/``nano_dimuon`` read v6, ``nano_tt_v15`` v15, and
``pfnano`` v8 (it keeps the Fall17V1 electron MVA and has no LowPtElectron or boostedTau, and
its MetaData tree names CMSSW_10_6_20 for the NANO step: NanoAODv8 content).

Example:
    >>> flavour_of("Events", frozenset({"run", "nMuon", "PV_npvsGood", "nPFCands"}))
    'pfnano'
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import uproot

__all__ = ["flavour_of", "is_data", "trees_of", "version_of"]

_TREE_CLASSES = ("TTree", "TNtuple", "TNtupleD", "ROOT::RNTuple", "ROOT::Experimental::RNTuple")

# Event-level branches the CMSSW NanoAOD sequence writes in every release, data and MC.
_STANDARD_HALLMARKS = frozenset(
    {
        "PV_npvsGood",
        "L1Reco_step",
        "HLTriggerFirstPath",
        "Flag_METFilters",
        "fixedGridRhoFastjetAll",
        "Rho_fixedGridRhoFastjetAll",
    }
)

# Simulation has event weights; the outreach tool keeps generator particles but no weight.
_SIMULATION_BRANCHES = frozenset({"genWeight", "nGenPart"})

# "RunIISummer20UL16NanoAODv9", "UL2016_MiniAODv2_NanoAODv9-v1", but not "PFNanoAODv2".
_CAMPAIGN = re.compile(r"(?<![A-Za-z])NanoAODv(\d+)")


def trees_of(file: uproot.ReadOnlyDirectory) -> dict[str, str]:
    """Tree name → class name of every TTree or RNTuple in the file, subdirectories too.

    Example:
        >>> with uproot.open(nano_dy) as file:
        ...     trees_of(file)
        {'Events': 'TTree', 'Runs': 'TTree'}
    """
    classes = file.classnames(recursive=True, cycle=False)
    return {name: cls for name, cls in classes.items() if cls in _TREE_CLASSES}


def flavour_of(treename: str, branches: frozenset[str]) -> str:
    """The flavour of the events tree ``treename`` with these branches (see the table above).

    Example:
        >>> flavour_of("Events", frozenset({"run", "nMuon", "PV_npvsGood"}))
        'nanoaod'
        >>> flavour_of("Events", frozenset({"run", "nMuon"}))  # no CMSSW event-level branch
        'outreach'
    """
    if treename.startswith("aod2nanoaod/"):
        return "outreach"
    if any(name.startswith("Scouting") for name in branches):
        return "scouting"
    if branches & {"nPFCands", "nJetPFCands"}:  # PFNano's names; v15's own nPFCand is singular
        return "pfnano"
    if not branches & _STANDARD_HALLMARKS:
        return "outreach"
    return "nanoaod"


def is_data(branches: frozenset[str]) -> bool:
    """True for collision data: no ``genWeight``, nor ``GenPart`` (outreach MC has no weight).

    Example:
        >>> is_data(frozenset({"run", "nMuon"})), is_data(frozenset({"run", "genWeight"}))
        (True, False)
    """
    return not branches & _SIMULATION_BRANCHES


@dataclass(frozen=True)
class _Evidence:
    """What the version rules look at: branch names, index types, the Runs tree."""

    branches: frozenset[str]
    runs_branches: frozenset[str]
    int16_indices: bool

    def has_any(self, *names: str) -> bool:
        return any(name in self.branches for name in names)


# The release history of the module docstring's table, newest first.
_VERSION_RULES: tuple[tuple[str, Callable[[_Evidence], bool]], ...] = (
    ("v15", lambda e: e.has_any("Jet_btagUParTAK4B")),
    ("v14", lambda e: e.has_any("PFMET_pt", "FatJet_particleNetLegacy_QCD")),
    ("v13", lambda e: e.has_any("Jet_chMultiplicity", "Jet_hfEmEF")),
    ("v12", lambda e: e.has_any("Rho_fixedGridRhoFastjetAll") or e.int16_indices),
    ("v11", lambda e: e.has_any("Electron_seediEtaOriX", "Photon_seediEtaOriX")),
    ("v10", lambda e: e.has_any("Tau_idDeepTau2018v2p5VSjet")),
    ("v9", lambda e: e.has_any("nLowPtElectron", "nboostedTau", "L1PreFiringWeight_Muon_Nom")),
    ("v8", lambda e: e.has_any("DeepMETResolutionTune_pt", "Jet_hfsigmaEtaEta")),
    (
        "v7",
        lambda e: (
            "genEventSumw" in e.runs_branches
            or e.has_any("FatJet_genJetAK8Idx", "nGenIsolatedPhoton", "PuppiMET_ptJESUp")
        ),
    ),
    ("v6", lambda e: e.has_any("nFsrPhoton")),
)


def version_of(
    path: str, tree: Any, branches: frozenset[str], file: uproot.ReadOnlyDirectory
) -> str:
    """The NanoAOD release of a file, best estimate: ``"v6"``, ``"v15"`` (see the table above).

    A campaign name in ``path`` decides. Otherwise the newest release with a marker among
    the ``branches`` of the events ``tree`` or in the ``Runs`` tree of ``file``: a lower bound.

    Example:
        >>> path = str(testdata / "nanoaod" / "nano_tt_v15.root")
        >>> with uproot.open(path) as file:
        ...     tree = file["Events"]
        ...     version_of(path, tree, frozenset(tree.keys()), file)
        'v15'
    """
    campaign = _CAMPAIGN.search(str(path))
    if campaign:
        return f"v{campaign.group(1)}"
    evidence = _Evidence(
        branches=branches,
        runs_branches=frozenset(file["Runs"].keys()) if "Runs" in trees_of(file) else frozenset(),
        int16_indices=any("int16" in tree[name].typename for name in branches if "Idx" in name),
    )
    for version, present in _VERSION_RULES:
        if present(evidence):
            return version
    return "v5"
