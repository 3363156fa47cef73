"""What ``opencoffea inspect FILE [COLLECTION]`` shows: a file's trees, format and branches.

:func:`inspect_file` gathers the facts (plain dataclasses, easy to test or print another
way) and :func:`render_inspection` draws them as tables. Kept apart from
:mod:`opencoffea.events`, which every chunk imports, because only this command draws tables.
It reads the file with uproot alone (coffea is never imported), and draws the list of
branches, thousands of rows in a NanoAOD file, as plain lines rather than a rich table, which
would take longer than reading the file.

Example:
    >>> inspection = inspect_file(nano_dy, "Muon")
    >>> inspection.info.flavour, inspection.collection, inspection.branches[0].name
    ('nanoaod', 'Muon', 'nMuon')
    >>> [(tree.name, tree.entries) for tree in inspection.trees]
    [('Events', 40), ('Runs', 1)]
"""

from __future__ import annotations

import difflib
import re
import textwrap
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

import uproot
from rich.console import Console
from rich.table import Table
from rich.text import Text

from .errors import InputFileError
from .events import FileInfo, describe, open_file, read_errors_as_input_errors
from .nanoaod import trees_of
from .util import either

__all__ = [
    "BranchSummary",
    "CollectionSummary",
    "Inspection",
    "TreeSummary",
    "inspect_file",
    "render_inspection",
]


@dataclass(frozen=True)
class TreeSummary:
    """One tree of a file: its name, class and number of entries.

    Example:
        >>> inspect_file(nano_dy).trees[1]
        TreeSummary(name='Runs', classname='TTree', entries=1)
    """

    name: str
    classname: str
    entries: int


@dataclass(frozen=True)
class CollectionSummary:
    """One NanoAOD collection: ``CollectionSummary("Muon", "nMuon", 37)``.

    ``counter`` is the count branch of a jagged collection, ``None`` for a flat one
    (``MET``, ``HLT``, ``run``); ``branches`` counts its branches without the counter.

    Example:
        >>> collections = {c.name: c for c in inspect_file(nano_dy).collections}
        >>> collections["Muon"]
        CollectionSummary(name='Muon', counter='nMuon', branches=51)
        >>> collections["MET"]  # flat: one value per event
        CollectionSummary(name='MET', counter=None, branches=11)
    """

    name: str
    counter: str | None
    branches: int


# What follows a branch's name in ROOT's leaf list: "[nMuon]/F" in "Muon_pt[nMuon]/F".
_LEAF_LIST = re.compile(r"(\[\w+\])*/\w")


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
        """False when the title is empty or only ROOT's leaf list (``Muon_pt[nMuon]/F``).

        Example:
            >>> path = str(testdata / "nanoaod" / "AOD2NanoAODOutreachTool_output_20events.root")
            >>> [b.documented for b in inspect_file(nano_dy, "Muon").branches[:2]]
            [True, True]
            >>> inspect_file(path, "Muon").branches[1]  # the outreach tool writes no titles
            BranchSummary(name='Muon_pt', typename='float[]', title='Muon_pt[nMuon]/F')
            >>> inspect_file(path, "Muon").branches[1].documented
            False
        """
        leaf_list = self.title.startswith(self.name) and _LEAF_LIST.fullmatch(
            self.title, len(self.name)
        )
        return bool(self.title) and not leaf_list


@dataclass(frozen=True)
class Inspection:
    """What ``opencoffea inspect FILE [COLLECTION]`` shows about a file.

    ``branches`` are all branches of the events tree, or those of ``collection`` (its
    counter first) when one was asked for. ``releases`` are the CMSSW releases of the
    processing history kept in a ``MetaData`` tree (the NANO step last), when there is one.

    Example:
        >>> inspection = inspect_file(nano_dy, "Muon")
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
        >>> inspection = inspect_file(nano_dy, "muon")
        >>> inspection.collection, inspection.info.version
        ('Muon', 'v6')
        >>> inspect_file(nano_dy, "Muons")  # doctest: +ELLIPSIS +NORMALIZE_WHITESPACE
        Traceback (most recent call last):
        ...
        opencoffea.errors.InputFileError: .../nano_dy.root: has no collection 'Muons' in tree
        'Events' (did you mean 'Muon'?)
    """
    with open_file(path) as file:
        info = describe(file, path)
        with read_errors_as_input_errors(path):
            tree = file[info.treename]
            every = tree.keys()
            groups = _collections(every)
            chosen = None if collection is None else _pick_collection(collection, groups, info)
            names = groups[chosen] if chosen else every
            return Inspection(
                info=info,
                trees=tuple(
                    TreeSummary(name, cls, int(file[name].num_entries))
                    for name, cls in trees_of(file).items()
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
    if "MetaData" not in trees_of(file):
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
    """Print an :class:`Inspection`: the file, its trees, collections and branches.

    Example:
        >>> inspection = inspect_file(nano_dy, "Pileup")
        >>> render_inspection(inspection, Console(width=90))
        ... # doctest: +ELLIPSIS +NORMALIZE_WHITESPACE
        file         .../nano_dy.root
        events tree  Events (40 events)
        format       NanoAOD, version v6 (best estimate)
        kind         simulation
        UUID         a9490124-3648-11ea-89e9-f5b55c90beef
        Trees
        ┏━━━━━━━━┳━━━━━━━┳━━━━━━━━━┓
        ┃ tree   ┃ class ┃ entries ┃
        ┡━━━━━━━━╇━━━━━━━╇━━━━━━━━━┩
        │ Events │ TTree │      40 │
        │ Runs   │ TTree │       1 │
        └────────┴───────┴─────────┘
        Branches of Pileup
        branch             type     documentation
        ─────────────────  ───────  ─────────────
        Pileup_nTrueInt    float    the true mean number of the poisson distribution for this
                                    event from which the number of interactions each bunch
                                    crossing has been sampled
        Pileup_pudensity   float    PU vertices / mm
        Pileup_gpudensity  float    Generator-level PU vertices / mm
        Pileup_nPU         int32_t  the number of pileup interactions that have been added to the
                                    event in the current bunch crossing
        Pileup_sumEOOT     int32_t  number of early out of time pileup
        Pileup_sumLOOT     int32_t  number of late out of time pileup
    """
    console.print(_file_table(inspection))
    console.print(_trees_table(inspection.trees))
    if inspection.collection is None:
        console.print(_collections_table(inspection))
    where = inspection.collection or inspection.info.treename
    console.print(Text(f"Branches of {where}", style="italic"))
    console.print(_branches_text(inspection, console.width), soft_wrap=True)


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


def _branches_text(inspection: Inspection, width: int) -> Text:
    """The branches in aligned columns, each documentation wrapped to the console's width.

    A rich Table measures and lays out every cell, which for the 2,656 branches of a v15
    file takes longer than reading the file: here the columns are laid out once, by hand.
    """
    branches = inspection.branches
    name_width = max([len("branch"), *(len(branch.name) for branch in branches)])
    type_width = max([len("type"), *(len(branch.typename) for branch in branches)])
    indent = " " * (name_width + type_width + 4)
    text = Text(f"{'branch':{name_width}}  {'type':{type_width}}  documentation\n", style="bold")
    text.append(f"{'─' * name_width}  {'─' * type_width}  {'─' * 13}")
    for branch in branches:
        text.append(f"\n{branch.name:{name_width}}  {branch.typename:{type_width}}  ")
        if branch.documented:
            lines = textwrap.wrap(branch.title, max(20, width - len(indent)))
            text.append(f"\n{indent}".join(lines))
        else:
            text.append("no documentation in the file", style="dim")
    return text
