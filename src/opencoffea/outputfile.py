"""An :class:`~opencoffea.output.Output` in a file, exactly and safely: JSON and numpy arrays
in a zip archive, no pickle.

What a run keeps of each finished chunk (its checkpoint) is read back by a later run, so
the format must give back the very same output, bit for bit, and reading it must not run
code, however the file was made. The archive holds ``output.json``, every field of the
output in JSON, and ``arrays/<n>.npy``, the arrays the JSON names: each histogram is
hist's own serialisation (``hist.serialization.to_uhi``: axes with their edges, labels,
traits and transform, the storage with flow bins), with its value and variance arrays in
``.npy`` files, the lumi sections are their 64-bit keys, and the marked events are JSON
(:meth:`Marked.to_json <opencoffea.output.Marked.to_json>`). Floats in JSON are written
as Python writes them (``repr``), which reads back to the same float; the arrays are
saved and loaded with ``allow_pickle=False``.

A file is written through :func:`~opencoffea.util.atomic_path`: a reader sees a whole
file or none. A file that is truncated or damaged anyway (a disk that filled up, a copy
cut short) is a :class:`~opencoffea.errors.ResultError` naming the file, never a crash.

Example:
    >>> import tempfile
    >>> from opencoffea.output import Cutflow
    >>> output = Output(cutflows={"DY": Cutflow({"all events": (40, 39.5)})})
    >>> path = Path(tempfile.mkdtemp()) / "chunk.zip"
    >>> write(output, path)
    >>> read(path) == output
    True
"""

from __future__ import annotations

import io
import json
import zipfile
import zlib
from pathlib import Path
from typing import Any

import hist
import numpy as np
from hist.serialization import from_uhi, to_uhi

from .chunks import FailedChunk
from .datasets.lumis import LumiSections
from .errors import ResultError
from .output import Cutflow, FileTally, Marked, Output
from .util import atomic_path

__all__ = ["read", "write"]

FORMAT = "opencoffea-output"
VERSION = 2  # 2: the marked events
_DOCUMENT = "output.json"
# Where a serialised histogram (uhi's schema) holds arrays: its storage and its axes.
_ARRAY_KEYS = frozenset(
    ("values", "variances", "edges", "counts", "sum_of_weights", "sum_of_weights_squared")
)
# What reading a damaged archive raises, from zipfile, zlib, json, numpy and boost-histogram.
_DAMAGED = (
    OSError,
    EOFError,
    zipfile.BadZipFile,
    zlib.error,
    KeyError,
    IndexError,
    TypeError,
    ValueError,
    RuntimeError,
)


def write(output: Output, path: str | Path) -> None:
    """Write ``output`` to ``path`` (replaced whole, never seen half-written).

    Example:
        >>> import tempfile
        >>> from opencoffea.config import Histogram
        >>> from opencoffea.histograms import book
        >>> pt = Histogram(axes=[{"name": "pt", "bins": 4, "start": 0, "stop": 8}])
        >>> booked = book({"pt": pt})
        >>> _ = booked["pt"].fill(dataset="DY", systematic="nominal", pt=[1.5, 9.0], weight=0.1)
        >>> path = Path(tempfile.mkdtemp()) / "chunk.zip"
        >>> write(Output(histograms=booked), path)
        >>> again = read(path).histograms["pt"]
        >>> again == booked["pt"], again.axes["dataset"].traits.growth  # the overflow too
        (True, True)
    """
    arrays: dict[str, np.ndarray] = {}

    def member(array: np.ndarray) -> str:
        name = f"arrays/{len(arrays)}.npy"
        arrays[name] = np.asarray(array)
        return name

    document = {
        "format": FORMAT,
        "version": VERSION,
        "histograms": {name: _histogram_spec(h, member) for name, h in output.histograms.items()},
        "cutflows": {
            key: [[cut, n, w] for cut, (n, w) in cutflow.entries.items()]
            for key, cutflow in output.cutflows.items()
        },
        "files": {p: [t.events, t.sumw, t.sumw2] for p, t in output.files.items()},
        "failures": [failure.to_json() for failure in output.failures],
        "lumis": {dataset: member(sections.keys) for dataset, sections in output.lumis.items()},
        "notes": {dataset: sorted(texts) for dataset, texts in output.notes.items()},
        "marked": {name: marked.to_json() for name, marked in output.marked.items()},
    }
    text = json.dumps(document, default=_plain)
    # deflate at its fastest: booked histograms are mostly empty bins, which it shrinks
    # tenfold for little time; more effort buys little more
    with (
        atomic_path(path) as partial,
        zipfile.ZipFile(partial, "w", zipfile.ZIP_DEFLATED, compresslevel=1) as archive,
    ):
        archive.writestr(_DOCUMENT, text)
        for name, array in arrays.items():
            buffer = io.BytesIO()
            np.save(buffer, array, allow_pickle=False)
            archive.writestr(name, buffer.getvalue())


def read(path: str | Path) -> Output:
    """The output written to ``path`` by :func:`write`, exactly as it was.

    Example:
        >>> import tempfile
        >>> damaged = Path(tempfile.mkdtemp()) / "chunk.zip"
        >>> write(Output(), damaged)
        >>> _ = damaged.write_bytes(damaged.read_bytes()[:40])  # cut short
        >>> read(damaged)  # doctest: +ELLIPSIS
        Traceback (most recent call last):
        ...
        opencoffea.errors.ResultError: .../chunk.zip: not a readable opencoffea output file (...)
    """
    try:
        with zipfile.ZipFile(path) as archive:
            document = json.loads(archive.read(_DOCUMENT))
            if document.get("format") != FORMAT or document.get("version") != VERSION:
                raise ValueError(
                    f"format {document.get('format')!r} version {document.get('version')!r}, "
                    f"not {FORMAT!r} version {VERSION}"
                )

            def array(name: str) -> np.ndarray:
                # read_array reads .npy only: neither a pickle nor a nested archive passes
                data = io.BytesIO(archive.read(name))
                return np.lib.format.read_array(data, allow_pickle=False)

            return Output(
                histograms={n: _histogram(s, array) for n, s in document["histograms"].items()},
                cutflows={
                    key: Cutflow({cut: (n, w) for cut, n, w in rows})
                    for key, rows in document["cutflows"].items()
                },
                files={p: FileTally(*tally) for p, tally in document["files"].items()},
                failures=[FailedChunk.from_json(f) for f in document["failures"]],
                lumis={ds: _lumis(array(name)) for ds, name in document["lumis"].items()},
                notes={ds: frozenset(texts) for ds, texts in document["notes"].items()},
                marked={name: Marked.from_json(m) for name, m in document["marked"].items()},
            )
    except _DAMAGED as err:
        raise ResultError(
            f"{path}: not a readable opencoffea output file ({type(err).__name__}: {err})"
        ) from None


def _histogram_spec(h: hist.Hist, member: Any) -> dict[str, Any]:
    """hist's serialisation of ``h``, its arrays replaced by the names of archive members."""
    spec = to_uhi(h)
    for part in (spec["storage"], *spec["axes"]):
        for key in _ARRAY_KEYS & part.keys():
            part[key] = member(part[key])
    return spec


def _histogram(spec: dict[str, Any], array: Any) -> hist.Hist:
    """The inverse of :func:`_histogram_spec`."""
    for part in (spec["storage"], *spec["axes"]):
        for key in _ARRAY_KEYS & part.keys():
            part[key] = array(part[key])
    return from_uhi(spec)


def _lumis(keys: np.ndarray) -> LumiSections:
    if keys.dtype != np.uint64 or keys.ndim != 1:
        raise ValueError(f"lumi sections of dtype {keys.dtype} and shape {keys.shape}")
    return LumiSections(keys)


def _plain(value: Any) -> Any:
    """A numpy scalar as the Python number it holds (exact: ``item`` keeps every bit)."""
    if isinstance(value, np.generic):
        return value.item()
    raise TypeError(f"{type(value).__name__} is not JSON serialisable")
