"""Writing samples with uproot: the Events tree with real files' titles and counter types, the
Runs and LuminosityBlocks trees, compression, and the record of how a file was made.

Example:
    >>> import tempfile, uproot
    >>> path = generate("hzz4l", f"{tempfile.mkdtemp()}/h.root", 1_000, seed=1)
    >>> events = uproot.open(path)["Events"]
    >>> events["Muon_pt"].title, events.num_entries
    ('pt', 1000)
"""

from __future__ import annotations

import collections
import functools
import itertools
import json
import os
import pathlib
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import ThreadPoolExecutor
from typing import Literal

import awkward as ak
import numpy as np
import uproot

from ..util import atomic_path
from .blocks import BLOCK, Array, block_columns
from .layout import LAYOUTS
from .processes import PROCESSES

__all__ = ["GENERATOR_VERSION", "demo_samples", "generate"]

GENERATOR_VERSION = 3
"""The version of the generator, bumped whenever the content it writes changes.

It is in the record of every file and in the names of the cached samples of ``generate:``
datasets, so that a changed generator makes new files rather than reusing old ones."""
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
    progress: Callable[[int], object] | None = None,
) -> pathlib.Path:
    """Write a synthetic sample; returns its path.

    Deterministic: the same arguments give byte-identical event content.

    Args:
        process: one of `PROCESSES`. ``dimuon_data`` is ``dy_mumu`` in its data flavour and
            ignores `kind`.
        path: the ROOT file to write (its directory is created; an existing file is replaced).
        events: number of events.
        seed: the random seed (a non-negative integer).
        kind: "mc" writes generator branches (GenPart, GenJet, genWeight, Pileup,
            ``*_genPartIdx``…) and genEvent sums in Runs; "data" writes none of them, takes run
            and lumi numbers from real 2016 runs (2012 for "outreach") and sections partly
            outside the golden JSON.
        format: "nanoaod" (Events, Runs, LuminosityBlocks) or "outreach" (the reduced 2012 format
            of the CMS H→4ℓ open data: tree ``aod2nanoaod/Events`` only).
        compression: "lzma" (as real NanoAOD), "zstd", "lz4", "zlib" or "none".
        level: compression level; by default LZMA 1 (files ~6 % larger than at 9, written about
            four times faster), ZSTD 5, LZ4 4, ZLIB 1.
        runs_style: "pre-v7" names the Runs sums ``genEventSumw_`` … as NanoAOD did before v7.
        chunk_size: events a basket; it changes the file's layout, never its content.
        progress: called with the number of events of each block as it is simulated (for a
            progress bar: a large sample takes seconds).

    The file also holds a TObjString ``opencoffea_sample``: the arguments that made it, as JSON.

    Example:
        >>> import tempfile, uproot
        >>> path = generate("dy_mumu", f"{tempfile.mkdtemp()}/dy.root", events=2_000, seed=7)
        >>> uproot.open(path)["Runs"]["genEventCount"].array(library="np")
        array([2000])
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
            partial,
            process,
            events,
            seed,
            kind,
            format,
            compressor,
            runs_style,
            chunk_size,
            progress,
        )
    return path


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
    wanted: dict[str, tuple[str, Literal["mc", "data"]]] = {
        "dimuon_data": ("dy_mumu", "data"),
        "dy_mumu": ("dy_mumu", "mc"),
    }
    paths = {}
    for name, (process, kind) in wanted.items():
        path = directory / f"{name}.root"
        if _recorded(path) != _record(process, events, seed, kind, "nanoaod"):
            generate(name, path, events, seed=seed, kind=kind)
        paths[name] = path
    return paths


def _check_arguments(process, events, seed, kind, format, runs_style, chunk_size) -> None:
    if process not in PROCESSES:
        raise ValueError(f"unknown process {process!r}; choose one of {', '.join(PROCESSES)}")
    if kind not in ("mc", "data"):
        raise ValueError(f"kind must be 'mc' or 'data', not {kind!r}")
    if format not in LAYOUTS:
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


def _compression(name: str, level: int | None):
    if name not in _COMPRESSIONS:
        raise ValueError(f"unknown compression {name!r}; choose one of {sorted(_COMPRESSIONS)}")
    algorithm = _COMPRESSIONS[name]
    if algorithm is None:
        return None
    return algorithm(_DEFAULT_LEVELS[name] if level is None else level)


def _write_sample(
    path: pathlib.Path,
    process,
    events,
    seed,
    kind,
    format,
    compressor,
    runs_style,
    chunk_size,
    progress: Callable[[int], object] | None,
) -> None:
    """The body of `generate`, once its arguments are checked."""
    layout = LAYOUTS[format]
    branches = layout.for_kind(kind)
    simulate = functools.partial(block_columns, process, kind, format, seed, branches)
    sizes = [min(BLOCK, events - start) for start in range(0, events, BLOCK)]
    jobs = [functools.partial(simulate, block, n) for block, n in enumerate(sizes)]
    types = {b.name: f"var * {b.dtype}" if b.collection else np.dtype(b.dtype) for b in branches}
    with uproot.recreate(path, compression=compressor) as file:
        tree = _make_tree(file, layout.tree, types, layout.titles(), -(-events // chunk_size) + 2)
        books = _Bookkeeping(kind)
        # simulate up to a chunk ahead, so compressing one chunk overlaps simulating the next
        ahead = min(max(2, -(-chunk_size // BLOCK) + 1), 32)
        blocks = _prefetched(jobs, ahead)
        if progress is not None:
            blocks = _reported(blocks, progress)
        for chunk in _rechunked(blocks, chunk_size):
            tree.extend(chunk)
            books.add(chunk)
        if format == "nanoaod":
            _write_run_trees(file, books, kind, runs_style)
        file[_RECORD_KEY] = json.dumps(_record(process, events, seed, kind, format), sort_keys=True)


def _record(process: str, events: int, seed: int, kind: str, format: str) -> dict:
    """What determines a file's content (see `generate`), as stored in the file."""
    return {
        "generator": "opencoffea.samples",
        "version": GENERATOR_VERSION,
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


# ----------------------------------------------------------------------------------------------
# From blocks to chunks
# ----------------------------------------------------------------------------------------------


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


def _reported(blocks: Iterable[dict], progress: Callable[[int], object]) -> Iterator[dict]:
    """The same blocks, ``progress`` told the events of each as it comes."""
    for block in blocks:
        progress(_length(block))
        yield block


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
        layout = ak.to_layout(array)
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
# Trees
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
