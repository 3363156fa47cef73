"""Opening NanoAOD files as lazy coffea NanoEvents: the first step of every chunk.

A run touches each input file twice: a pre-pass (:func:`open_file` then :func:`describe`)
learns the events tree, its size, the NanoAOD flavour and version and whether it is data,
and each chunk then gets its events from :func:`events_from` with the schema from
:func:`schema_for`. Events are always ``mode="virtual"``: a branch is read when an analysis
first touches it, and never otherwise (DESIGN invariant 5). How flavours and versions are
told apart is :mod:`opencoffea.nanoaod`'s part, and why the schemas are quiet
:mod:`opencoffea.schemas`'.

Opening and describing a file need uproot alone; coffea is imported by what makes events,
when it first runs, so that ``opencoffea inspect`` starts without it.

A file that cannot be used is an :class:`~opencoffea.errors.InputFileError` naming the file
and what is wrong with it, never a traceback from deep inside uproot (DESIGN invariant 3).

Example:
    >>> with open_file(nano_dy) as file:
    ...     info = describe(file, nano_dy)
    ...     events = events_from(file, info, entry_stop=10)
    ...     total = ak.sum(events.Muon.pt)  # reads nMuon and Muon_pt, nothing else
    >>> info.version, info.flavour, info.is_data
    ('v6', 'nanoaod', False)
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, TypeAlias

import awkward as ak
import fsspec
import uproot
import uproot.deserialization

from .errors import InputFileError
from .nanoaod import flavour_of, is_data, trees_of, version_of

if TYPE_CHECKING:
    from coffea.nanoevents import BaseSchema

__all__ = [
    "FileInfo",
    "NanoEvents",
    "describe",
    "events_from",
    "open_file",
    "read_errors_as_input_errors",
    "schema_for",
]

NanoEvents: TypeAlias = ak.Array
"""The events of a chunk, as an analysis gets them: ``events.Muon.pt``, ``events.metadata``.

coffea's NanoEvents are awkward Arrays whose records carry behaviours (four-vectors,
cross-references such as ``muon.matched_jet``); they have no class of their own, so this
one name lets the public API say what it takes and returns.
"""

EVENT_TREES = ("Events", "aod2nanoaod/Events")
"""Where the events tree is looked for, in order, when no tree name is given."""

EVENT_IDS = ("run", "luminosityBlock", "event")
"""The branches that identify an event; every events tree must have them."""


@dataclass(frozen=True)
class FileInfo:
    """What a pre-pass learns about one input file (picklable, JSON-able via asdict).

    Example:
        >>> import dataclasses
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
        >>> with open_file(nano_dy) as file:
        ...     file.keys()
        ['Events;1', 'Runs;1']
        >>> import pathlib, tempfile
        >>> notes = pathlib.Path(tempfile.mkdtemp(), "notes.txt")
        >>> _ = notes.write_text("Some notes, not a ROOT file")
        >>> open_file(str(notes))  # doctest: +ELLIPSIS +NORMALIZE_WHITESPACE
        Traceback (most recent call last):
        ...
        opencoffea.errors.InputFileError: .../notes.txt: is not a ROOT file
        (it starts with b'Some') (an HTML page or text here usually means a failed download: ...)
    """
    if _is_local(path):
        # Read in this thread, with plain reads: uproot's default source for every path
        # (fsspec) hands each branch's read to a thread of its own and waits for it, 0.3 ms
        # a branch a chunk (2-3 % of the dimuon analysis at chunks of 100k). Not mapped
        # into memory (uproot's MemmapSource, as fast): the pages of a mapped file count
        # in the process's RSS, by which dask and batch systems stop workers.
        uproot_options.setdefault("handler", uproot.source.file.MultithreadedFileSource)
        uproot_options.setdefault("use_threads", False)
    with read_errors_as_input_errors(path):
        file = uproot.open(path, **uproot_options)
        _check_complete(file, path)
    return file


def _is_local(path: str) -> bool:
    """A path on this machine's file system, not a URL (``file://`` ones left to uproot).

    Example:
        >>> _is_local("/data/nano.root"), _is_local("root://eospublic.cern.ch//eos/a.root")
        (True, False)
    """
    return "://" not in str(path)


def _remote_errors() -> tuple[type[BaseException], ...]:
    """Errors of the HTTP stack under uproot (aiohttp via fsspec), if it is installed."""
    try:
        from aiohttp import ClientError
    except ImportError:  # pragma: no cover - aiohttp comes with fsspec's http support
        return (asyncio.TimeoutError,)
    return (ClientError, asyncio.TimeoutError)


@contextmanager
def read_errors_as_input_errors(path: str) -> Iterator[None]:
    """Turn what uproot and the file systems under it raise into an :class:`InputFileError`.

    Opening, describing and inspecting a file read through it: a file broken past its
    header fails wherever a read first reaches the damage, and is named there too.

    Example:
        >>> with read_errors_as_input_errors("x.root"):
        ...     raise FileNotFoundError("x.root")
        Traceback (most recent call last):
        ...
        opencoffea.errors.InputFileError: x.root: file not found (check the path or URL)
    """
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
        >>> path = str(testdata / "nanoaod" / "nano_tt_v15.root")
        >>> with open_file(path) as file:
        ...     info = describe(file, path)
        >>> info.treename, info.num_entries, info.flavour, info.version, info.is_data
        ('Events', 200, 'nanoaod', 'v15', False)
    """
    with read_errors_as_input_errors(path):
        name = _events_tree_name(file, path, treename)
        tree = file[name]
        branches = frozenset(tree.keys())
        _check_event_ids(branches, name, path)
        flavour = flavour_of(name, branches)
        version = None if flavour == "outreach" else version_of(path, tree, branches, file)
        return FileInfo(
            path=str(path),
            treename=name,
            num_entries=int(tree.num_entries),
            flavour=flavour,
            version=version,
            is_data=is_data(branches),
            uuid=str(file.file.uuid),
        )


def _events_tree_name(file: uproot.ReadOnlyDirectory, path: str, treename: str | None) -> str:
    trees = trees_of(file)
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


def schema_for(info: FileInfo) -> type[BaseSchema]:
    """The coffea schema class for a file's flavour (:data:`opencoffea.schemas.SCHEMAS`).

    Example:
        >>> import coffea.nanoevents
        >>> info = FileInfo("nano_dy.root", "Events", 40, "nanoaod", "v6", False, "a949…")
        >>> schema_for(info)
        <class 'opencoffea.schemas._NanoAODSchema'>
        >>> issubclass(schema_for(info), coffea.nanoevents.NanoAODSchema)
        True
    """
    from .schemas import SCHEMAS

    try:
        return SCHEMAS[info.flavour]
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
) -> NanoEvents:
    """Lazy NanoEvents (``mode="virtual"``) for entries ``[entry_start, entry_stop)`` of a file.

    Nothing is read here: each branch is read once, when first touched. ``events.metadata``
    holds ``filename``, ``treename``, ``fileuuid``, ``entrystart``, ``entrystop``,
    ``nanoaod_flavour`` and ``nanoaod_version``, then the caller's ``metadata`` on top.
    Pass a list as ``access_log`` and coffea appends a record (with a ``.branch``) for
    every branch it reads: the way to see, or test, that only what is used is read.

    Example:
        >>> log = []
        >>> with open_file(nano_dy) as file:
        ...     info = describe(file, nano_dy)
        ...     events = events_from(file, info, entry_stop=20, access_log=log)
        ...     total = ak.sum(events.Muon.pt)
        >>> sorted({record.branch for record in log})
        ['Muon_pt', 'nMuon']
    """
    from coffea.nanoevents import NanoEventsFactory
    from coffea.nanoevents.mapping import TrivialUprootOpener, UprootSourceMapping
    from coffea.nanoevents.util import tuple_to_key

    from .schemas import tree_schema

    stop = info.num_entries if entry_stop is None else entry_stop
    if not 0 <= entry_start <= stop <= info.num_entries:
        raise ValueError(
            f"entries [{entry_start}, {stop}) are not within the {info.num_entries} "
            f"entries of {info.path}"
        )
    # What NanoEventsFactory.from_root does in virtual mode, but with the schema of the
    # tree taken from a per-process cache (see tree_schema): the rest is coffea's own.
    tree = file[info.treename]
    uuid = str(tree.file.uuid)
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
    chunk_metadata = {
        "filename": info.path,
        "treename": info.treename,
        "fileuuid": info.uuid,
        "entrystart": entry_start,
        "entrystop": stop,
        "nanoaod_flavour": info.flavour,
        "nanoaod_version": info.version,
        **(metadata or {}),
    }
    factory = NanoEventsFactory(
        tree_schema(tree, schema_for(info), chunk_metadata),
        mapping,
        tuple_to_key((uuid, tree.object_path, f"{entry_start}-{stop}")),
        mode="virtual",
    )
    return factory.events()
