"""Opening NanoAOD files as lazy coffea NanoEvents, and telling what a file holds.

A run touches each input file twice: a pre-pass (:func:`open_file` then :func:`describe`)
learns the events tree, its size, the NanoAOD flavour and version and whether it is data,
and each chunk then gets its events from :func:`events_from` with the schema from
:func:`schema_for`. Events are always ``mode="virtual"``: a branch is read when an analysis
first touches it, and never otherwise (DESIGN invariant 5).

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

Warnings
--------
coffea's schemas warn about every cross-reference they know of that a file lacks, and about
branches they overwrite. On real files these are noise, so the schemas here are quiet by
construction, not by a blanket filter (see :class:`_OnlyWhatTheFileHas`): links whose index
branch is absent are never built, and branches coffea refills with constants are left out of
the form. What remains is coffea's warning for an index whose *target* collection was
skimmed away; it stays for standard NanoAOD and PFNano (``muon.matched_jet`` cannot work
there), and is off for the reduced and scouting formats, which drop collections by design.

Example:
    >>> with open_file("nano_dy.root") as file:
    ...     info = describe(file, "nano_dy.root")
    ...     events = events_from(file, info, entry_stop=10)
    ...     total = ak.sum(events.Muon.pt)  # reads nMuon and Muon_pt, nothing else
    >>> info.version, info.flavour, info.is_data
    ('v6', 'nanoaod', False)
"""

from __future__ import annotations

import asyncio
import difflib
import json
import re
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

import awkward as ak
import fsspec
import uproot
import uproot.deserialization
from coffea.nanoevents import (
    BaseSchema,
    NanoAODSchema,
    NanoEventsFactory,
    PFNanoAODSchema,
    ScoutingNanoAODSchema,
)
from coffea.nanoevents.mapping import TrivialUprootOpener, UprootSourceMapping
from rich.console import Console
from rich.table import Table
from rich.text import Text

from .errors import InputFileError
from .util import either

__all__ = [
    "BranchSummary",
    "CollectionSummary",
    "FileInfo",
    "Inspection",
    "TreeSummary",
    "describe",
    "events_from",
    "inspect_file",
    "open_file",
    "render_inspection",
    "schema_for",
]

EVENT_TREES = ("Events", "aod2nanoaod/Events")
"""Where the events tree is looked for, in order, when no tree name is given."""

EVENT_IDS = ("run", "luminosityBlock", "event")
"""The branches that identify an event; every events tree must have them."""

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


@dataclass(frozen=True)
class FileInfo:
    """What a pre-pass learns about one input file (picklable, JSON-able via asdict).

    Example:
        >>> info = FileInfo("nano_dy.root", "Events", 40, "nanoaod", "v6", False, "a949…")
        >>> dataclasses.asdict(info)["version"]
        'v6'
    """

    path: str
    treename: str  # "Events" or "aod2nanoaod/Events"
    num_entries: int
    flavour: str  # "nanoaod" | "pfnano" | "outreach" | "scouting"
    version: str | None  # best estimate ("v6", "v15"); None where unknowable (outreach)
    is_data: bool  # no genWeight branch (nor GenPart, which outreach MC has without a weight)
    uuid: str  # the ROOT file's UUID, for provenance


# ------------------------------------------------------------------------------ opening


def open_file(path: str, **uproot_options: Any) -> uproot.ReadOnlyDirectory:
    """``uproot.open`` with its failures turned into :class:`InputFileError`.

    Local paths and ``https://`` or ``root://`` URLs are accepted, as by uproot. A file
    shorter than its ROOT header says (an interrupted copy) is refused here, before any
    chunk of it is read.

    Example:
        >>> with open_file("data/nano_dy.root") as file:
        ...     file.keys()
        ['Events;1', 'Runs;1']
        >>> open_file("notes.txt")
        Traceback (most recent call last):
        ...
        opencoffea.errors.InputFileError: notes.txt: is not a ROOT file (it starts with b'Some') ...
    """
    with _read_errors_as_input_errors(path):
        file = uproot.open(path, **uproot_options)
        _check_complete(file, path)
    return file


def _remote_errors() -> tuple[type[BaseException], ...]:
    """Errors of the HTTP stack under uproot (aiohttp via fsspec), if it is installed."""
    try:
        from aiohttp import ClientError
    except ImportError:  # pragma: no cover - aiohttp comes with fsspec's http support
        return (asyncio.TimeoutError,)
    return (ClientError, asyncio.TimeoutError)


@contextmanager
def _read_errors_as_input_errors(path: str) -> Iterator[None]:
    """Turn what uproot and the file systems under it raise into an :class:`InputFileError`."""
    try:
        yield
    except InputFileError:
        raise
    except FileNotFoundError as err:
        raise InputFileError(path, "file not found", hint="check the path or URL") from err
    except IsADirectoryError as err:
        raise InputFileError(path, "is a directory, not a ROOT file") from err
    except PermissionError as err:
        raise InputFileError(path, "cannot be read: permission denied") from err
    except ImportError as err:  # e.g. root:// without fsspec-xrootd
        raise InputFileError(
            path,
            f"cannot be opened: {err}",
            hint="for root:// URLs install the xrootd extra: pip install 'opencoffea[xrootd]'",
        ) from err
    except ValueError as err:
        if "not a ROOT file" not in str(err):
            raise
        raise _not_root(path, _first_bytes(path)) from err
    except _remote_errors() as err:
        raise InputFileError(
            path, f"could not be fetched: {err}", hint="check the URL and the network connection"
        ) from err
    except (OSError, uproot.deserialization.DeserializationError) as err:
        # A file shorter than ROOT's header fails here before uproot looks at its magic.
        head = _first_bytes(path)
        if head is not None and not head.startswith(b"root"):
            raise _not_root(path, head) from err
        hint = "download or copy it again"
        if "://" in path:
            hint += "; the server must also allow byte-range requests"
        raise InputFileError(path, f"is truncated or corrupt: {_reason(err)}", hint=hint) from err


def _not_root(path: str, head: bytes | None) -> InputFileError:
    detail = "" if head is None else " (it is empty)" if not head else f" (it starts with {head!r})"
    return InputFileError(
        path,
        f"is not a ROOT file{detail}",
        hint="an HTML page or text here usually means a failed download: fetch it again",
    )


def _first_bytes(path: str) -> bytes | None:
    """The first four bytes of a file, to word an error; None if even they cannot be read."""
    try:
        with fsspec.open(path, "rb") as stream:
            return stream.read(4)
    except Exception:  # only ever called to explain another error, which is raised instead
        return None


def _reason(err: BaseException) -> str:
    """uproot's message on one line, without the file name it appends (the error has it)."""
    lines = [line.strip() for line in str(err).splitlines()]
    kept = [line for line in lines if line and not line.startswith(("for file path", "in file"))]
    return " ".join(kept) or type(err).__name__


def _check_complete(file: uproot.ReadOnlyDirectory, path: str) -> None:
    """Refuse a file shorter than the end its ROOT header records (``fEND``).

    uproot opens such a file as long as its directory survived, and the missing baskets
    would only fail in the middle of a run; the check costs one stat (or HTTP HEAD).
    """
    size = file.file.source.num_bytes
    if size is not None and size < file.file.fEND:
        raise InputFileError(
            path,
            f"is truncated: its ROOT header says {file.file.fEND} bytes, the file has {size}",
            hint="download or copy it again; an interrupted transfer leaves a short file",
        )


# ------------------------------------------------------------------------------ describing


def describe(file: uproot.ReadOnlyDirectory, path: str, treename: str | None = None) -> FileInfo:
    """Find and check the events tree of an open file and tell what NanoAOD it holds.

    The tree is ``treename`` if given, else ``Events``, else ``aod2nanoaod/Events``. Only
    metadata is read (branch names and types), never event data.

    Raises:
        InputFileError: no such tree (the message lists the trees there are), or a missing
            event-ID branch (``run``, ``luminosityBlock``, ``event``).

    Example:
        >>> with open_file("nano_tt_v15.root") as file:
        ...     describe(file, "nano_tt_v15.root")
        FileInfo(path='nano_tt_v15.root', treename='Events', num_entries=200,
                 flavour='nanoaod', version='v15', is_data=False, uuid='6ac7019c-…')
    """
    with _read_errors_as_input_errors(path):
        name = _events_tree_name(file, path, treename)
        tree = file[name]
        branches = frozenset(tree.keys())
        _check_event_ids(branches, name, path)
        flavour = _flavour(name, branches)
        version = None if flavour == "outreach" else _version(path, tree, branches, file)
        return FileInfo(
            path=str(path),
            treename=name,
            num_entries=int(tree.num_entries),
            flavour=flavour,
            version=version,
            is_data=not branches & _SIMULATION_BRANCHES,
            uuid=str(file.file.uuid),
        )


def _trees(file: uproot.ReadOnlyDirectory) -> dict[str, str]:
    """Tree name → class name of every TTree or RNTuple in the file, subdirectories too."""
    classes = file.classnames(recursive=True, cycle=False)
    return {name: cls for name, cls in classes.items() if cls in _TREE_CLASSES}


def _events_tree_name(file: uproot.ReadOnlyDirectory, path: str, treename: str | None) -> str:
    trees = _trees(file)
    listing = f"trees in the file: {', '.join(trees)}" if trees else "the file has no trees"
    if treename is not None:
        if treename.split(";")[0] not in trees:
            raise InputFileError(path, f"has no tree '{treename}'", hint=listing)
        return treename
    for candidate in EVENT_TREES:
        if candidate in trees:
            return candidate
    raise InputFileError(
        path,
        "has no events tree (looked for " + " and ".join(f"'{t}'" for t in EVENT_TREES) + ")",
        hint=listing,
    )


def _check_event_ids(branches: frozenset[str], treename: str, path: str) -> None:
    missing = [name for name in EVENT_IDS if name not in branches]
    if not missing:
        return
    quoted = ", ".join(f"'{name}'" for name in missing)
    what = f"branch {quoted} is" if len(missing) == 1 else f"branches {quoted} are"
    raise InputFileError(
        path,
        f"{what} missing from tree '{treename}'; run, luminosityBlock and event identify "
        "each event and are required",
    )


def _flavour(treename: str, branches: frozenset[str]) -> str:
    if treename.startswith("aod2nanoaod/"):
        return "outreach"
    if any(name.startswith("Scouting") for name in branches):
        return "scouting"
    if branches & {"nPFCands", "nJetPFCands"}:  # PFNano's names; v15's own nPFCand is singular
        return "pfnano"
    if not branches & _STANDARD_HALLMARKS:
        return "outreach"
    return "nanoaod"


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


def _version(path: str, tree: Any, branches: frozenset[str], file: uproot.ReadOnlyDirectory) -> str:
    campaign = _CAMPAIGN.search(str(path))
    if campaign:
        return f"v{campaign.group(1)}"
    evidence = _Evidence(
        branches=branches,
        runs_branches=frozenset(file["Runs"].keys()) if "Runs" in _trees(file) else frozenset(),
        int16_indices=any("int16" in tree[name].typename for name in branches if "Idx" in name),
    )
    for version, present in _VERSION_RULES:
        if present(evidence):
            return version
    return "v5"


# ------------------------------------------------------------------------------ schemas


class _OnlyWhatTheFileHas:
    """Mixin for coffea's NanoAOD schemas: build only what the file has, so real files open quietly.

    coffea's ``NanoAODSchema`` knows the cross-references of every release and warns
    "Missing cross-reference index for X => Y" for each one a file lacks: on a v6 file the
    v9 ``LowPtElectron`` links, on a reduced file a dozen more, in every worker. Those
    links are absent because the file's release or format never wrote them; coffea drops
    them either way, so the warning tells the user nothing they can act on. Here the links
    whose index branch is absent are not asked for at all. An index branch whose *target*
    is absent (a skim that kept ``Muon_jetIdx`` but dropped ``Jet``) still gets coffea's
    "Missing cross-reference target" warning where ``warn_missing_crossrefs`` is on.

    coffea also overwrites a few branches with constants to make 4-vectors (a photon's
    mass and charge are 0) and warns "Branch Photon_mass already exists". The stored values
    are float noise around 0 (|m| < 1e-4 GeV on the real files), so those branches are left
    out of the form: the events are the same, silently, and the noise is never read.
    """

    def __init__(self, base_form: dict[str, Any], version: str = "latest") -> None:
        present = set(base_form["fields"])
        self.all_cross_references = {
            index: target
            for index, target in type(self).all_cross_references.items()
            if index in present
        }
        super().__init__(_without_refilled(base_form, self.full_like_items), version)


def _without_refilled(
    base_form: dict[str, Any], full_like_items: dict[str, tuple[Any, tuple[str, float]]]
) -> dict[str, Any]:
    """The base form without the branches coffea would replace by a constant."""
    present = set(base_form["fields"])
    # coffea refills "<Coll>_<x>" when the offsets "o<Coll>" exist, i.e. the counter "n<Coll>".
    refilled = {
        name
        for name, (_, (offsets, _)) in full_like_items.items()
        if name in present and "n" + offsets[1:] in present
    }
    kept = [
        (field, content)
        for field, content in zip(base_form["fields"], base_form["contents"], strict=True)
        if field not in refilled
    ]
    return {
        **base_form,
        "fields": [field for field, _ in kept],
        "contents": [content for _, content in kept],
    }


class _NanoAODSchema(_OnlyWhatTheFileHas, NanoAODSchema):
    """Standard NanoAOD, any release."""


class _PFNanoAODSchema(_OnlyWhatTheFileHas, PFNanoAODSchema):
    """PFNano: ``events.Jet.constituents.pf`` are a jet's PF candidates."""


class _ReducedNanoAODSchema(_OnlyWhatTheFileHas, NanoAODSchema):
    """Reduced open-data NanoAOD: collections are dropped by design, so no link warnings."""

    warn_missing_crossrefs = False


class _ScoutingNanoAODSchema(_OnlyWhatTheFileHas, ScoutingNanoAODSchema):
    """Run 3 scouting NanoAOD: a reduced format too, so no link warnings."""

    warn_missing_crossrefs = False


_SCHEMAS: dict[str, type[BaseSchema]] = {
    "nanoaod": _NanoAODSchema,
    "pfnano": _PFNanoAODSchema,
    "outreach": _ReducedNanoAODSchema,
    "scouting": _ScoutingNanoAODSchema,
}


def schema_for(info: FileInfo) -> type[BaseSchema]:
    """The coffea schema class for a file's flavour.

    Standard NanoAOD gets a ``NanoAODSchema``, PFNano a ``PFNanoAODSchema`` (so that
    ``events.Jet.constituents.pf`` reaches the ``PFCands`` of each jet), and the reduced and
    scouting formats quiet subclasses of coffea's schemas for them.

    Example:
        >>> schema_for(info)
        <class 'opencoffea.events._NanoAODSchema'>
        >>> issubclass(schema_for(info), coffea.nanoevents.NanoAODSchema)
        True
    """
    try:
        return _SCHEMAS[info.flavour]
    except KeyError:
        raise ValueError(f"unknown NanoAOD flavour {info.flavour!r}") from None


# ------------------------------------------------------------------------------ events


def events_from(
    file: uproot.ReadOnlyDirectory,
    info: FileInfo,
    *,
    entry_start: int = 0,
    entry_stop: int | None = None,
    metadata: dict[str, Any] | None = None,
    access_log: list[Any] | None = None,
) -> ak.Array:
    """Lazy NanoEvents (``mode="virtual"``) for entries ``[entry_start, entry_stop)`` of a file.

    Nothing is read here: each branch is read once, when first touched. ``events.metadata``
    holds ``filename``, ``treename``, ``fileuuid``, ``entrystart``, ``entrystop``,
    ``nanoaod_flavour`` and ``nanoaod_version``, then the caller's ``metadata`` on top.
    Pass a list as ``access_log`` and coffea appends a record (with a ``.branch``) for
    every branch it reads: the way to see, or test, that only what is used is read.

    Example:
        >>> log = []
        >>> events = events_from(file, info, entry_stop=100, access_log=log)
        >>> total = ak.sum(events.Muon.pt)
        >>> sorted({record.branch for record in log})
        ['Muon_pt', 'nMuon']
    """
    stop = info.num_entries if entry_stop is None else entry_stop
    if not 0 <= entry_start <= stop <= info.num_entries:
        raise ValueError(
            f"entries [{entry_start}, {stop}) are not within the {info.num_entries} "
            f"entries of {info.path}"
        )
    # What NanoEventsFactory.from_root does in virtual mode, but with the base form of the
    # tree taken from a per-process cache (see _base_form): the rest is coffea's own.
    tree = file[info.treename]
    uuid = str(tree.file.uuid)
    partition = (uuid, tree.object_path, f"{entry_start}-{stop}")
    mapping = UprootSourceMapping(
        TrivialUprootOpener({uuid: tree.file.file_path}, {}),
        entry_start,
        stop,
        cache={},
        access_log=access_log,
        file_handle=file,
        use_ak_forth=True,
        virtual=True,
    )
    mapping.preload_column_source(uuid, tree.object_path, tree)
    factory = NanoEventsFactory._from_mapping(
        mapping,
        partition,
        _base_form(tree),
        schema_for(info),
        mode="virtual",
        metadata={
            "filename": info.path,
            "treename": info.treename,
            "fileuuid": info.uuid,
            "entrystart": entry_start,
            "entrystop": stop,
            "nanoaod_flavour": info.flavour,
            "nanoaod_version": info.version,
            **(metadata or {}),
        },
    )
    return factory.events()


# The base forms of the trees this process has read, by (file UUID, tree path), as JSON.
_BASE_FORMS: dict[tuple[str, str], str] = {}
_BASE_FORMS_KEPT = 64


def _base_form(tree: Any) -> dict[str, Any]:
    """The NanoEvents base form of a tree: one entry per branch, with its type and title.

    coffea derives it from every branch of the tree each time events are made, 70 to
    400 ms for a real NanoAOD file of 1500 to 2600 branches; it depends on the file only,
    so each process derives it once per file. The schema consumes the form it is given,
    hence a fresh copy (from JSON, which is quick) each time.
    """
    key = (str(tree.file.uuid), tree.object_path)
    text = _BASE_FORMS.get(key)
    if text is None:
        form = UprootSourceMapping._extract_base_form(tree)
        form["typenames"] = tree.typenames()
        text = json.dumps(form)
        if len(_BASE_FORMS) >= _BASE_FORMS_KEPT:
            _BASE_FORMS.clear()
        _BASE_FORMS[key] = text
    return json.loads(text)


# ------------------------------------------------------------------------------ inspecting


@dataclass(frozen=True)
class TreeSummary:
    """One tree of a file: ``TreeSummary("Runs", "TTree", 1)``."""

    name: str
    classname: str
    entries: int


@dataclass(frozen=True)
class CollectionSummary:
    """One NanoAOD collection: ``CollectionSummary("Muon", "nMuon", 37)``.

    ``counter`` is the count branch of a jagged collection, ``None`` for a flat one
    (``MET``, ``HLT``, ``run``); ``branches`` counts its branches without the counter.
    """

    name: str
    counter: str | None
    branches: int


@dataclass(frozen=True)
class BranchSummary:
    """One branch with its type and its documentation (the ROOT branch title).

    Example:
        >>> BranchSummary("Muon_pt", "float[]", "pt").documented
        True
        >>> BranchSummary("Muon_pt", "float[]", "Muon_pt[nMuon]/F").documented
        False
    """

    name: str
    typename: str
    title: str

    @property
    def documented(self) -> bool:
        """False when the title is empty or only ROOT's leaf list (``Muon_pt[nMuon]/F``)."""
        leaf_list = re.fullmatch(re.escape(self.name) + r"(\[\w+\])*/\w", self.title)
        return bool(self.title) and leaf_list is None


@dataclass(frozen=True)
class Inspection:
    """What ``opencoffea inspect FILE [COLLECTION]`` shows about a file.

    ``branches`` are all branches of the events tree, or those of ``collection`` (its
    counter first) when one was asked for. ``releases`` are the CMSSW releases of the
    processing history kept in a ``MetaData`` tree (the NANO step last), when there is one.

    Example:
        >>> inspection = inspect_file("nano_dy.root", "Muon")
        >>> inspection.branches[1].title
        'dxy (with sign) wrt first PV, in cm'
    """

    info: FileInfo
    trees: tuple[TreeSummary, ...]
    collections: tuple[CollectionSummary, ...]
    branches: tuple[BranchSummary, ...]
    collection: str | None = None
    releases: tuple[str, ...] = ()


def inspect_file(path: str, collection: str | None = None) -> Inspection:
    """Open a file and gather its trees, format, collections and branch documentation.

    ``collection`` picks one collection (case-insensitively); an unknown one is an
    :class:`InputFileError` that suggests the nearest names.

    Example:
        >>> inspection = inspect_file("nano_dy.root", "muon")
        >>> inspection.collection, inspection.info.version
        ('Muon', 'v6')
        >>> inspect_file("nano_dy.root", "Muons")
        Traceback (most recent call last):
        ...
        opencoffea.errors.InputFileError: nano_dy.root: has no collection 'Muons' in tree
        'Events' (did you mean 'Muon'?)
    """
    with open_file(path) as file:
        info = describe(file, path)
        with _read_errors_as_input_errors(path):
            tree = file[info.treename]
            groups = _collections(tree.keys())
            chosen = None if collection is None else _pick_collection(collection, groups, info)
            names = groups[chosen] if chosen else list(tree.keys())
            return Inspection(
                info=info,
                trees=tuple(
                    TreeSummary(name, cls, int(file[name].num_entries))
                    for name, cls in _trees(file).items()
                ),
                collections=tuple(_collection_summary(*group) for group in groups.items()),
                branches=tuple(_branch_summary(tree[name]) for name in names),
                collection=chosen,
                releases=_cmssw_releases(file),
            )


def _collections(names: Iterable[str]) -> dict[str, list[str]]:
    """Collection → its branches, counters first, grouped by prefix as coffea does.

    ``Muon_pt`` belongs to ``Muon``; so do ``nMuon`` and per-branch counters like
    ``nMuon_pt`` (files rewritten by RDataFrame have them), because ``Muon`` exists.
    """
    names = list(names)
    prefixes = {name.split("_")[0] for name in names}
    groups: dict[str, list[str]] = {}
    for name in names:
        prefix = name.split("_")[0]
        owner = prefix[1:] if prefix.startswith("n") and prefix[1:] in prefixes else prefix
        groups.setdefault(owner, []).append(name)
    return {
        owner: sorted(members, key=lambda m: not m.startswith("n" + owner))
        for owner, members in groups.items()
    }


def _collection_summary(name: str, members: list[str]) -> CollectionSummary:
    counters = [member for member in members if member.startswith("n" + name)]
    counter = "n" + name if "n" + name in counters else None
    return CollectionSummary(name, counter, len(members) - len(counters))


def _pick_collection(wanted: str, groups: dict[str, list[str]], info: FileInfo) -> str:
    if wanted in groups:
        return wanted
    by_lower = {name.lower(): name for name in groups}
    if wanted.lower() in by_lower:
        return by_lower[wanted.lower()]
    near = difflib.get_close_matches(wanted.lower(), list(by_lower), n=3, cutoff=0.6)
    hint = (
        "did you mean " + either(f"'{by_lower[name]}'" for name in near) + "?"
        if near
        else f"the tree has {len(groups)} collections; inspect the file without one to list them"
    )
    raise InputFileError(
        info.path, f"has no collection '{wanted}' in tree '{info.treename}'", hint=hint
    )


def _branch_summary(branch: Any) -> BranchSummary:
    # TTree branches have a title; RNTuple fields a description.
    title = getattr(branch, "title", None) or getattr(branch, "description", "") or ""
    return BranchSummary(branch.name, branch.typename, title)


def _cmssw_releases(file: uproot.ReadOnlyDirectory) -> tuple[str, ...]:
    """The CMSSW releases in the ``MetaData`` tree's processing history, oldest step first.

    uproot cannot deserialise ``edm::ProcessHistory``, but the release names are plain
    strings in its (tiny) first basket. A file without that tree gives ``()``.
    """
    if "MetaData" not in _trees(file):
        return ()
    metadata = file["MetaData"]
    if "ProcessHistory" not in metadata or metadata["ProcessHistory"].num_baskets == 0:
        return ()
    raw = metadata["ProcessHistory"].basket(0).data.tobytes()
    return tuple(match.decode() for match in re.findall(rb"CMSSW_\w+", raw))


_FLAVOUR_NAMES = {
    "nanoaod": "NanoAOD",
    "pfnano": "PFNano",
    "outreach": "reduced (outreach) NanoAOD",
    "scouting": "Run 3 scouting NanoAOD",
}


def render_inspection(inspection: Inspection, console: Console) -> None:
    """Print an :class:`Inspection` as rich tables: the file, its trees, collections, branches.

    Example:
        >>> render_inspection(inspect_file("nano_dy.root", "Muon"), Console())
    """
    console.print(_file_table(inspection))
    console.print(_trees_table(inspection.trees))
    if inspection.collection is None:
        console.print(_collections_table(inspection))
    console.print(_branches_table(inspection))


def _file_table(inspection: Inspection) -> Table:
    info = inspection.info
    version = f"{info.version} (best estimate)" if info.version else "unknown"
    table = Table.grid(padding=(0, 2))
    table.add_column(style="bold")
    table.add_column()
    rows = [
        ("file", info.path),
        ("events tree", f"{info.treename} ({info.num_entries:,} events)"),
        ("format", f"{_FLAVOUR_NAMES.get(info.flavour, info.flavour)}, version {version}"),
        ("kind", "data" if info.is_data else "simulation"),
        ("UUID", info.uuid),
    ]
    if inspection.releases:
        rows.append(("CMSSW releases", " → ".join(inspection.releases)))
    for key, value in rows:
        table.add_row(key, Text(value))
    return table


def _trees_table(trees: tuple[TreeSummary, ...]) -> Table:
    table = Table(title="Trees", title_justify="left")
    table.add_column("tree")
    table.add_column("class")
    table.add_column("entries", justify="right")
    for tree in trees:
        table.add_row(Text(tree.name), tree.classname, f"{tree.entries:,}")
    return table


def _collections_table(inspection: Inspection) -> Table:
    table = Table(title=f"Collections in {inspection.info.treename}", title_justify="left")
    table.add_column("collection")
    table.add_column("counter")
    table.add_column("branches", justify="right")
    for collection in inspection.collections:
        table.add_row(
            Text(collection.name), Text(collection.counter or "—"), str(collection.branches)
        )
    return table


def _branches_table(inspection: Inspection) -> Table:
    where = inspection.collection or inspection.info.treename
    table = Table(title=f"Branches of {where}", title_justify="left")
    table.add_column("branch", no_wrap=True)
    table.add_column("type", no_wrap=True)
    table.add_column("documentation")
    for branch in inspection.branches:
        doc = (
            Text(branch.title)
            if branch.documented
            else Text("no documentation in the file", style="dim")
        )
        table.add_row(Text(branch.name), Text(branch.typename), doc)
    return table
