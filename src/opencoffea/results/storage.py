"""A result directory: writing a :class:`~opencoffea.results.Result` and reading it back.

A result directory holds:

- ``histograms.root``: one histogram per histogram × dataset × variation (× category),
  both normalised to cross section × luminosity and raw (event weights only), at
  ``normalised/<histogram>/<dataset>/<variation>`` and ``raw/<histogram>/<dataset>/<variation>``;
  a string-category axis of the user's adds one more level per axis, its value
  (``normalised/m4l/ZZ/nominal/4mu``). Readable by ROOT and uproot.
- ``manifest.json``: the provenance of the numbers (:attr:`Result.manifest`, as it is).
- ``processed_lumis/<dataset>.json``: per data dataset, the lumi sections of the events
  processed, in the golden-JSON format a luminosity calculator takes.
- ``selected_events.json``, where the analysis marked events (``out.mark``): per selection,
  the events kept, in (file, entry) order (file, entry, run, lumi, event, object indices,
  quantities: :meth:`~opencoffea.output.Mark.to_json`) and how many were selected; what
  ``opencoffea display --from-result`` shows.

The manifest, ``histograms.root`` (a ``TObjString`` named ``run_id``) and
``selected_events.json`` hold the run id of the result: a directory whose files come from
different runs is refused when read.
A result is written into a work directory beside its own and moved into place whole, by
one run at a time (:mod:`opencoffea.results.rundir`).

:func:`write_result` and :func:`load_result` round-trip: the result read back equals the
one written, its histograms bit for bit.

Example:
    >>> import tempfile
    >>> from opencoffea import load_config, run
    >>> result = run(load_config("configs/dimuon_quick.yaml"), status=False)
    >>> directory = write_result(result, tempfile.mkdtemp())
    >>> sorted(path.name for path in directory.iterdir())
    ['histograms.root', 'manifest.json', 'processed_lumis']
    >>> again = load_result(directory)
    >>> again.histograms["mass"] == result.histograms["mass"], again.summary() == result.summary()
    (True, True)
    >>> data = uproot.open(directory / "histograms.root")["raw/mass/DoubleMuon/nominal"]
    >>> float(data.values(flow=True).sum())  # readable by ROOT and uproot
    1787.0
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from itertools import product
from pathlib import Path
from typing import Any

import hist
import numpy as np
import uproot

from ..config import AnalysisConfig, CategoryAxis, Histogram
from ..datasets.lumis import LumiSections
from ..errors import OpenCoffeaError, ResultError
from ..histograms import book_one
from ..output import Cutflow, Marked
from ..util import atomic_path, write_atomic
from .result import HISTOGRAMS, MANIFEST, RUN_ID, Result
from .rundir import publish

__all__ = ["MARKED", "histogram_path", "load_result", "write_result"]

MARKED = "selected_events.json"
"""The file of the events an analysis marked, in a result directory that has any."""
_MARKED_FORMAT = "opencoffea-marked/1"


# ---------------------------------------------------------------------------- writing


def write_result(result: Result, directory: str | Path | None = None) -> Path:
    """Write ``histograms.root``, the processed lumi sections and ``manifest.json``.

    The directory defaults to the configuration's (``results/<name>``). The files are
    written beside it and moved in whole, replacing an older result there
    (:func:`~opencoffea.results.rundir.publish`); a path that cannot take a result, or that
    another run is writing, is refused before anything is written
    (:class:`~opencoffea.errors.ResultError`). It becomes ``result.directory``, and is
    returned.

    Example:
        >>> import tempfile
        >>> from opencoffea import load_config, run
        >>> result = run(load_config("configs/dimuon_quick.yaml"), status=False)
        >>> directory = write_result(result, f"{tempfile.mkdtemp()}/demo")
        >>> directory == result.directory, (directory / "manifest.json").is_file()
        (True, True)
    """
    directory = Path(directory) if directory is not None else result.config.output_dir()
    publish(directory, lambda incoming: _write_files(result, incoming))
    result.directory = directory
    return directory


def _write_files(result: Result, directory: Path) -> None:
    kinds = {"normalised": result.histograms, "raw": result.raw}
    _write_root(directory / HISTOGRAMS, kinds, result.config, result.manifest[RUN_ID])
    for dataset, sections in result.lumis.items():
        path = directory / result.manifest["lumi_sections"][dataset]["file"]
        path.parent.mkdir(exist_ok=True)
        write_atomic(path, json.dumps(sections.to_golden_json()) + "\n")
    if result.marked:
        selections = {name: marked.to_json() for name, marked in sorted(result.marked.items())}
        document = {"format": _MARKED_FORMAT, RUN_ID: result.manifest[RUN_ID]}
        document["selections"] = selections
        write_atomic(directory / MARKED, json.dumps(document, indent=1) + "\n")
    write_atomic(directory / MANIFEST, json.dumps(result.manifest, indent=2) + "\n")


def histogram_path(kind: str, name: str, dataset: str, systematic: str, *cats: str) -> str:
    """The path of one histogram in ``histograms.root``.

    Example:
        >>> histogram_path("normalised", "m4l", "ZZ", "nominal", "4mu")
        'normalised/m4l/ZZ/nominal/4mu'
    """
    return "/".join((kind, name, dataset, systematic, *cats))


def _write_root(
    path: Path, kinds: dict[str, dict[str, hist.Hist]], config: AnalysisConfig, run_id: str
) -> None:
    with atomic_path(path) as tmp, uproot.recreate(tmp) as file:
        file[RUN_ID] = run_id  # a TObjString
        for kind, histograms in kinds.items():
            for name, h in histograms.items():
                for key, sliced in _slices(h, config.histograms[name]):
                    file[histogram_path(kind, name, *key)] = sliced


def _slices(h: hist.Hist, spec: Histogram) -> Iterator[tuple[tuple[str, ...], Any]]:
    """(dataset, systematic, *category values) → the histogram of the numeric axes."""
    categories = [a.name for a in spec.axes if isinstance(a, CategoryAxis)]
    for dataset, systematic in product(h.axes["dataset"], h.axes["systematic"]):
        for values in product(*(list(h.axes[c]) for c in categories)):
            selection = {
                "dataset": dataset,
                "systematic": systematic,
                **dict(zip(categories, values, strict=True)),
            }
            yield (dataset, systematic, *values), h[{k: hist.loc(v) for k, v in selection.items()}]


# ---------------------------------------------------------------------------- reading


def load_result(directory: str | Path) -> Result:
    """Read a result directory back into the :class:`Result` that was written there.

    Example:
        >>> import tempfile
        >>> from opencoffea import load_config, run
        >>> result = run(load_config("configs/dimuon_quick.yaml"), status=False)
        >>> result = load_result(write_result(result, tempfile.mkdtemp()))
        >>> result.histograms["mass"].axes.name, list(result.histograms["mass"].axes["dataset"])
        (('dataset', 'systematic', 'mass'), ['DoubleMuon', 'Dimuon_simulation'])
        >>> load_result(tempfile.mkdtemp())  # doctest: +ELLIPSIS
        Traceback (most recent call last):
        ...
        opencoffea.errors.OpenCoffeaError: ...: no manifest.json here; is this a result directory?
    """
    directory = Path(directory)
    try:
        manifest = json.loads((directory / MANIFEST).read_text())
    except FileNotFoundError:
        raise OpenCoffeaError(
            f"{directory}: no {MANIFEST} here; is this a result directory?"
        ) from None
    except ValueError as err:
        raise OpenCoffeaError(f"{directory / MANIFEST}: not JSON ({err})") from None
    if not (directory / HISTOGRAMS).is_file():
        raise OpenCoffeaError(f"{directory}: {HISTOGRAMS} is missing; the run did not finish?")
    try:
        config = AnalysisConfig.model_validate(manifest["config"])
        datasets = list(manifest["inputs"])
        cutflows = {ds: _cutflow(rows) for ds, rows in manifest["cutflows"].items()}
        lumi_files = {ds: entry["file"] for ds, entry in manifest["lumi_sections"].items()}
    except (KeyError, TypeError, ValueError) as err:  # pydantic's errors are ValueErrors
        raise OpenCoffeaError(
            f"{directory / MANIFEST}: not the manifest of an opencoffea result ({err})"
        ) from None
    with uproot.open(directory / HISTOGRAMS) as file:
        _check_same_run(directory, manifest, file)
        kinds = {
            kind: {
                name: _read_histogram(file, kind, name, spec, datasets)
                for name, spec in config.histograms.items()
            }
            for kind in ("normalised", "raw")
        }
    lumis = {ds: _read_lumis(directory / path) for ds, path in lumi_files.items()}
    marked = _read_marked(directory, manifest) if (directory / MARKED).is_file() else {}
    normalised, raw = kinds["normalised"], kinds["raw"]
    return Result(config, manifest, normalised, raw, cutflows, lumis, directory, marked)


def _check_same_run(
    directory: Path, manifest: dict[str, Any], file: uproot.ReadOnlyDirectory
) -> None:
    """Refuse a manifest and histograms that are not of one run: they would not agree."""
    written = manifest.get(RUN_ID)
    stored = str(file[RUN_ID]) if RUN_ID in file else None
    if written is None or stored != written:
        raise ResultError(
            f"{directory}: {HISTOGRAMS} and {MANIFEST} do not belong together (run "
            f"{stored or 'unknown'} and run {written or 'unknown'}): the directory mixes two "
            "results, or was written before results had a run id; run the analysis again"
        )


def _read_marked(directory: Path, manifest: dict[str, Any]) -> dict[str, Marked]:
    """The events marked, as :func:`write_result` wrote them (of this result's run only)."""
    path = directory / MARKED
    try:
        document = json.loads(path.read_text())
        if document["format"] != _MARKED_FORMAT:
            raise ValueError(f"not of format {_MARKED_FORMAT!r}")
        run_id = document[RUN_ID]
        marked = {name: Marked.from_json(m) for name, m in document["selections"].items()}
    except (OSError, ValueError, KeyError, TypeError) as err:
        raise ResultError(f"{path}: not the marked events of a result ({err})") from None
    if run_id != manifest.get(RUN_ID):
        raise ResultError(
            f"{directory}: {MARKED} and {MANIFEST} do not belong together (run {run_id} and "
            f"run {manifest.get(RUN_ID)}): the directory mixes two results; run the analysis again"
        )
    return marked


def _cutflow(rows: list[dict[str, Any]]) -> Cutflow:
    """The inverse of :meth:`Cutflow.as_list`, the form the manifest keeps."""
    return Cutflow({row["cut"]: (row["events"], row["sumw"]) for row in rows})


def _read_lumis(path: Path) -> LumiSections:
    """The lumi sections of a golden-JSON file (``{run: [[first, last], ...]}``)."""
    try:
        ranges = json.loads(path.read_text())
    except (OSError, ValueError) as err:
        raise OpenCoffeaError(f"{path}: cannot read the processed lumi sections ({err})") from None
    pairs = [
        (int(run), lumi)
        for run, spans in ranges.items()
        for first, last in spans
        for lumi in range(first, last + 1)
    ]
    runs, lumis = zip(*pairs, strict=True) if pairs else ((), ())
    return LumiSections.from_events(np.array(runs, dtype=np.int64), np.array(lumis, dtype=np.int64))


def _read_histogram(
    file: uproot.ReadOnlyDirectory, kind: str, name: str, spec: Histogram, datasets: list[str]
) -> hist.Hist:
    base = f"{kind}/{name}"
    present = [d for d in datasets if f"{base}/{d}" in file]
    systematics = sorted(
        {k.split(";")[0] for d in present for k in file[f"{base}/{d}"].keys(recursive=False)}
    )
    h = book_one(spec, datasets=present, systematics=systematics)
    values, variances = h.view(flow=True).value, h.view(flow=True).variance
    categories = [a.name for a in spec.axes if isinstance(a, CategoryAxis)]
    for key, _ in _slices(h, spec):
        path = histogram_path(kind, name, *key)
        if path not in file:
            continue
        fixed = dict(zip(("dataset", "systematic", *categories), key, strict=True))
        slot = tuple(
            h.axes[axis].index(fixed[axis]) if axis in fixed else slice(None)
            for axis in h.axes.name
        )
        stored = file[path]
        values[slot] = stored.values(flow=True)
        variances[slot] = stored.variances(flow=True)
    return h
