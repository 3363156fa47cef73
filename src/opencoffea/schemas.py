"""The coffea schema of each NanoAOD flavour, quiet on real files, built once per dataset.

:data:`SCHEMAS` maps a flavour (:func:`opencoffea.nanoaod.flavour_of`) to the coffea schema
class its events are made with (:func:`opencoffea.events.events_from`), and
:func:`tree_schema` builds the schema of a tree once per process and kind of tree, which
the files of a dataset share. Kept apart from :mod:`opencoffea.nanoaod`, which tells the
flavour from the branch names with uproot alone, because these classes derive from
coffea's and so import it: only what makes events needs them.

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
    >>> SCHEMAS["pfnano"].__name__
    '_PFNanoAODSchema'
    >>> issubclass(SCHEMAS["nanoaod"], NanoAODSchema)
    True
"""

from __future__ import annotations

import copy
import hashlib
from typing import Any

import uproot
from coffea.nanoevents import (
    BaseSchema,
    NanoAODSchema,
    PFNanoAODSchema,
    ScoutingNanoAODSchema,
)
from coffea.nanoevents.mapping import UprootSourceMapping

__all__ = ["SCHEMAS", "tree_schema"]


class _OnlyWhatTheFileHas(NanoAODSchema):
    """coffea's NanoAOD schema building only what the file has, so real files open quietly.

    The base of every schema here; the PFNano and scouting ones put it before coffea's
    subclass of their format, so that its ``__init__`` runs first.

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

    all_cross_references: dict[str, str]  # coffea's: index branch → target collection

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


class _NanoAODSchema(_OnlyWhatTheFileHas):
    """Standard NanoAOD, any release."""


class _PFNanoAODSchema(_OnlyWhatTheFileHas, PFNanoAODSchema):
    """PFNano: ``events.Jet.constituents.pf`` are a jet's PF candidates."""


class _ReducedNanoAODSchema(_OnlyWhatTheFileHas):
    """Reduced open-data NanoAOD: collections are dropped by design, so no link warnings."""

    warn_missing_crossrefs = False


class _ScoutingNanoAODSchema(_OnlyWhatTheFileHas, ScoutingNanoAODSchema):
    """Run 3 scouting NanoAOD: a reduced format too, so no link warnings."""

    warn_missing_crossrefs = False


SCHEMAS: dict[str, type[BaseSchema]] = {
    "nanoaod": _NanoAODSchema,
    "pfnano": _PFNanoAODSchema,
    "outreach": _ReducedNanoAODSchema,
    "scouting": _ScoutingNanoAODSchema,
}
"""Flavour → the coffea schema class its events are made with (quiet, see *Warnings*).

Standard NanoAOD gets a ``NanoAODSchema``, PFNano a ``PFNanoAODSchema`` (so that
``events.Jet.constituents.pf`` reaches the ``PFCands`` of each jet), and the reduced and
scouting formats subclasses of coffea's schemas that do not warn about dropped collections.
"""


# ------------------------------------------------------------------------------ built once


# The schemas this process has built, by (schema class, what the form is made of: see
# _form_key); and that key of each tree it has seen, by (file UUID, tree path).
_SCHEMAS: dict[tuple[type[BaseSchema], str], BaseSchema] = {}
_FORM_KEYS: dict[tuple[str, str], str] = {}
_KEPT = 64  # schemas; and 64 times as many trees, whose keys are short strings


def tree_schema(tree: Any, schemaclass: type[BaseSchema], metadata: dict[str, Any]) -> BaseSchema:
    """The schema of a tree's events (their form and behaviours), with a chunk's metadata.

    coffea derives the base form from every branch of the tree (70 to 400 ms for a real
    NanoAOD file of 1500 to 2600 branches) and the schema its collections from that (7 to
    17 ms more), each time events are made. The result is the same for every chunk of a
    file, and for every file of a dataset, whose branches are the same: so each process
    builds it once per kind of tree (:func:`_form_key`). Chunks differ only by the metadata
    in the form's parameters, and each gets a shallow copy with its own (and what the
    schema adds there, ``version``).

    Example:
        >>> with uproot.open(nano_dy) as file:
        ...     schema = tree_schema(file["Events"], SCHEMAS["nanoaod"], {"dataset": "DY"})
        >>> schema.form["parameters"]["metadata"]["dataset"], "Muon" in schema.form["fields"]
        ('DY', True)
    """
    key = (schemaclass, _form_key(tree))
    built = _SCHEMAS.get(key)
    if built is None:
        base_form = UprootSourceMapping._extract_base_form(tree)
        base_form["typenames"] = tree.typenames()
        built = schemaclass(base_form)
        _keep(_SCHEMAS, key, built, _KEPT)
    form = built.form
    parameters = {**form["parameters"], "metadata": {**metadata, **form["parameters"]["metadata"]}}
    schema = copy.copy(built)
    schema._form = {**form, "parameters": parameters}
    return schema


def _form_key(tree: Any) -> str:
    """What the NanoEvents form of a tree is made of, as a digest; learnt once per tree.

    coffea's base form is made of the tree's title and, for each branch, its name, title
    (the documentation) and uproot's interpretation of it (the type). For a tree of plain
    ``TBranch``es, as NanoAOD's are, that interpretation follows from the branch's leaves
    alone: their class, title (``Muon_pt[nMuon]``), length, signedness and counter. So two
    trees with the same of those have the same form, whatever file they are in, and the
    digest of them is the key; reading them costs a tenth of building the form. Where it
    could depend on more (branches of C++ classes, whose interpretation comes from the
    file's streamers, or an RNTuple) the key is the file's UUID and the tree's path.

    Example:
        >>> import tempfile
        >>> def events_tree(path, muon_pt):  # a file of its own, with a UUID of its own
        ...     with uproot.recreate(path) as file:
        ...         file.mktree("Events", {"Muon_pt": muon_pt.type.content})
        ...         file["Events"].extend({"Muon_pt": muon_pt})
        ...     return uproot.open(path)["Events"]
        >>> folder, pt = tempfile.mkdtemp(), ak.Array([[30.0], [20.0, 10.0]])
        >>> one, two = (events_tree(f"{folder}/{n}.root", pt) for n in (1, 2))
        >>> single = events_tree(f"{folder}/3.root", ak.values_astype(pt, np.float32))
        >>> one.file.uuid != two.file.uuid, _form_key(one) == _form_key(two)
        (True, True)
        >>> _form_key(one) == _form_key(single)  # the same names, another type: another form
        False
    """
    where = (str(tree.file.uuid), tree.object_path)
    key = _FORM_KEYS.get(where)
    if key is None:
        key = _branches_digest(tree) or ":".join(where)
        _keep(_FORM_KEYS, where, key, 64 * _KEPT)
    return key


# Leaves whose type is their class (and signedness) alone; half-precision ones (TLeafF16,
# TLeafD32) and C++ objects' (TLeafElement) depend on more, and key their tree by file.
_PLAIN_LEAVES = frozenset(
    {"TLeafO", "TLeafB", "TLeafS", "TLeafI", "TLeafL", "TLeafG", "TLeafF", "TLeafD", "TLeafC"}
)


def _branches_digest(tree: Any) -> str | None:
    """A digest of what :func:`_form_key` says a tree of plain branches' form is made of."""
    if not isinstance(tree, uproot.TTree):
        return None
    parts: list[Any] = [tree.title]
    for branch in tree.branches:
        if branch.classname != "TBranch" or branch.branches:
            return None
        parts.append((branch.name, branch.title))
        for leaf in branch.member("fLeaves"):
            if leaf.classname not in _PLAIN_LEAVES:
                return None
            members = leaf.all_members
            counter = members["fLeafCount"]
            parts.append(
                (
                    leaf.classname,
                    members["fName"],
                    members["fTitle"],
                    members["fLen"],
                    members["fIsUnsigned"],
                    None if counter is None else counter.member("fName"),
                )
            )
    return hashlib.sha256(repr(parts).encode()).hexdigest()


def _keep(cache: dict[Any, Any], key: Any, value: Any, size: int) -> None:
    """Put ``value`` in a per-process ``cache`` of at most ``size`` entries (emptied when full)."""
    if len(cache) >= size:
        cache.clear()
    cache[key] = value
