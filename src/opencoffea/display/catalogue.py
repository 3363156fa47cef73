"""What the display draws of a NanoAOD file: its collections, how each is drawn, its colours.

Every collection is optional: a file draws those of :data:`COLLECTIONS` it has, under the
first of their ``names`` it holds (standard NanoAOD, PFNano, the reduced 2012 format and Run 3
scouting name them differently). Of each, the kinematics (``pt``, ``eta``, ``phi``), the charge
(or the ``pdgId`` it follows from) and the ``properties`` present in the file are read, and
nothing else: the properties are what the page's table shows of an object.

A jet is b-tagged (drawn in blue rather than orange) when the first discriminant of
:data:`BTAG` its file has (the only one read) passes that discriminant's medium working point.
The working points depend on the era; these are round values near Run 2 and Run 3 medium
ones (and CSV's medium point for the 2012 files), to tell b jets apart in a picture, not to
select them.

Example:
    >>> [c.label for c in COLLECTIONS][:3]
    ['Muons', 'Electrons', 'Photons']
    >>> present(frozenset({"Muon_pt", "Muon_eta", "Muon_phi", "Muon_charge", "Muon_tightId"}))
    {'Muon': ('pt', 'eta', 'phi', 'charge', 'tightId')}
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

__all__ = [
    "BTAG",
    "COLLECTIONS",
    "KINEMATICS",
    "MET",
    "VERTEX",
    "Collection",
    "by_kind",
    "collection_of",
    "present",
    "scalars_present",
]

Kind = Literal["muon", "electron", "photon", "track", "pfcand", "jet", "sv"]

KINEMATICS = ("pt", "eta", "phi")


@dataclass(frozen=True)
class Collection:
    """One kind of object the display draws: the collections that hold it, how it looks.

    ``radius`` is a jet's radius parameter (its cone's ΔR); ``visible`` and ``min_pt`` are what
    the page shows at first (both can be changed there).

    Example:
        >>> by_kind("jet")[0].names
        ('Jet', 'ScoutingJet', 'ScoutingPFJet')
    """

    kind: Kind
    names: tuple[str, ...]
    label: str
    colour: str
    properties: tuple[str, ...] = ()
    radius: float = 0.0
    visible: bool = True
    min_pt: float = 0.0

    @property
    def charged(self) -> bool:
        """Whether its objects may carry a charge (and bend)."""
        return self.kind in ("muon", "electron", "track", "pfcand")


# A few properties each, those a physicist asks of an object first: every branch read is
# decompressed in each cluster that holds a chosen event, so each costs (benchmarks/display.py).
COLLECTIONS: tuple[Collection, ...] = (
    Collection(
        "muon",
        ("Muon", "ScoutingMuon"),
        "Muons",
        "#e8272c",
        ("tightId", "mediumId", "pfRelIso04_all", "trackIso", "dxy", "dz", "trk_dxy", "trk_dz"),
    ),
    Collection(
        "electron",
        ("Electron", "ScoutingElectron"),
        "Electrons",
        "#2ca02c",
        ("cutBased", "cutBasedId", "mvaIso_WP90", "pfRelIso03_all", "trackIso", "dxy", "dz"),
    ),
    Collection(
        "photon",
        ("Photon", "ScoutingPhoton"),
        "Photons",
        "#ffb000",
        ("cutBased", "isTight", "mvaID_WP90", "pfRelIso03_all", "ecalIso"),
    ),
    Collection(
        "track",
        ("IsoTrack",),
        "Isolated tracks",
        "#b0b7bf",
        ("pdgId", "dxy", "dz", "fromPV"),
    ),
    Collection(
        "pfcand",
        ("PFCands", "PFCand"),
        "PF candidates",
        "#6fa8dc",
        ("pdgId", "puppiWeight"),
        visible=False,
        min_pt=2.0,
    ),
    Collection(
        "jet",
        ("Jet", "ScoutingJet", "ScoutingPFJet"),
        "Jets (R = 0.4)",
        "#ff9a1f",
        ("mass", "m", "jetId", "nConstituents"),  # and the b-tag discriminant: see BTAG
        radius=0.4,
        min_pt=15.0,
    ),
    Collection(
        "jet",
        ("FatJet", "ScoutingFatJet"),
        "Large-radius jets (R = 0.8)",
        "#1b9e77",
        ("mass", "msoftdrop"),
        radius=0.8,
        visible=False,
        min_pt=170.0,
    ),
    Collection(
        "sv",
        ("SV",),
        "Secondary vertices",
        "#00bcd4",
        ("x", "y", "z", "mass", "ntracks", "dlenSig"),
    ),
)
"""The kinds of object drawn, in the order of the page's list of collections."""

BTAG: tuple[tuple[str, float], ...] = (
    ("btagDeepFlavB", 0.30),  # DeepJet, Run 2 UL medium points 0.25–0.30
    ("btagPNetB", 0.25),  # ParticleNet, 2022 medium 0.245
    ("btagUParTAK4B", 0.13),  # UParT, 2024 medium 0.127
    ("btagDeepB", 0.45),  # DeepCSV, Run 2 medium points 0.42–0.49
    ("btagCSVV2", 0.85),  # CSVv2, 2016–2017 medium 0.848
    ("btag", 0.679),  # the 2012 reduced files' CSV, medium point 0.679
    ("particleNet_prob_b", 0.5),  # Run 3 scouting jets
)
"""(discriminant, medium working point): the first a file has decides what is b-tagged."""

VERTEX = ("PV", "ScoutingPrimaryVertex")
"""Where the primary vertex is (``x``, ``y``, ``z`` in cm): the first of these a file has."""

MET = ("MET", "PFMET", "ScoutingMET")
"""Where the missing transverse momentum is (``pt``, ``phi``): the first a file has."""


def by_kind(kind: str) -> list[Collection]:
    """The collections of one kind (two for jets: R = 0.4 and 0.8).

    Example:
        >>> [c.radius for c in by_kind("jet")]
        [0.4, 0.8]
    """
    return [c for c in COLLECTIONS if c.kind == kind]


def present(branches: frozenset[str]) -> dict[str, tuple[str, ...]]:
    """Collection name → the fields to read of it, for the collections these branches hold.

    Only the first of a :class:`Collection`'s ``names`` that is there is drawn (a PFNano file
    has ``PFCands``, a v15 file ``PFCand``); a collection without its kinematics is not.

    Example:
        >>> present(frozenset({"PFCand_pt", "PFCand_eta", "PFCand_phi", "PFCand_pdgId"}))
        {'PFCand': ('pt', 'eta', 'phi', 'pdgId')}
    """
    found = {}
    for collection in COLLECTIONS:
        for name in collection.names:
            needed = ("x", "y", "z") if collection.kind == "sv" else KINEMATICS
            if all(f"{name}_{field}" in branches for field in needed):
                btag = [b for b, _ in BTAG if f"{name}_{b}" in branches][:1]
                extra = btag if collection.kind == "jet" else []
                fields = (*KINEMATICS, "charge", "pdgId", *collection.properties, *extra)
                found[name] = tuple(dict.fromkeys(f for f in fields if f"{name}_{f}" in branches))
                break
    return found


def scalars_present(branches: frozenset[str]) -> dict[str, tuple[str, ...]]:
    """The vertex and MET fields a file has, as ``{"PV": ("x", "y", "z"), "MET": (...)}``.

    Example:
        >>> scalars_present(frozenset({"PFMET_pt", "PFMET_phi", "PV_z"}))
        {'PFMET': ('pt', 'phi')}
    """
    found: dict[str, tuple[str, ...]] = {}
    for names, fields in ((VERTEX, ("x", "y", "z")), (MET, ("pt", "phi"))):
        for name in names:
            if all(f"{name}_{field}" in branches for field in fields):
                found[name] = fields
                break
    return found


def collection_of(name: str) -> Collection:
    """The :class:`Collection` a NanoAOD collection name belongs to.

    Example:
        >>> collection_of("ScoutingMuon").label
        'Muons'
    """
    for collection in COLLECTIONS:
        if name in collection.names:
            return collection
    raise KeyError(name)
