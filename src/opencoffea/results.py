"""Normalising, writing and reading back the result of a run.

A result directory holds:

- ``histograms.root``: one histogram per histogram × dataset × variation (× category),
  both normalised to cross section × luminosity and raw (event weights only), at
  ``normalised/<histogram>/<dataset>/<variation>`` and ``raw/<histogram>/<dataset>/<variation>``;
  a string-category axis of the user's adds one more level per axis, its value
  (``normalised/m4l/ZZ/nominal/4mu``). Readable by ROOT and uproot.
- ``manifest.json``: the provenance of the numbers: the configuration, package versions,
  every input file with its entries and Σw, the luminosity, the normalisation of each
  dataset, cutflows, and every failed or unread chunk.

Normalisation of a simulated dataset is xsec · luminosity · scale / Σw, where Σw is the
sum of ``genEventSumw`` over the ``Runs`` trees of its files. A file without the sums, or
one not read completely (failed or unread chunks), contributes Σ genWeight of the events
that were read instead, and the manifest says so for that file. Data is never scaled.

Example:
    >>> result = load_result("results/dimuon_demo")  # doctest: +SKIP
    >>> result.histograms["mass"][{"dataset": "DoubleMuon", "systematic": "nominal"}]
    Hist(Regular(...), storage=Weight()) ...
"""

from __future__ import annotations

import datetime as _dt
import json
import platform
import sys
from dataclasses import asdict, dataclass, field
from importlib import metadata as _metadata
from itertools import product
from pathlib import Path
from typing import Any

import hist
import uproot

from .config import AnalysisConfig, CategoryAxis, Histogram
from .errors import OpenCoffeaError
from .execution import RunResult
from .histograms import book_one
from .util import atomic_path, write_atomic

__all__ = [
    "Normalisation",
    "Result",
    "load_result",
    "normalise",
    "normalised_histograms",
    "write_result",
]

MANIFEST = "manifest.json"
HISTOGRAMS = "histograms.root"
LUMIS = "processed_lumis"
PACKAGES = (
    "opencoffea",
    "coffea",
    "uproot",
    "awkward",
    "hist",
    "boost-histogram",
    "numpy",
    "vector",
    "correctionlib",
    "dask",
    "distributed",
    "pydantic",
    "mplhep",
)


# ---------------------------------------------------------------------------- normalisation


@dataclass(frozen=True)
class Normalisation:
    """How one dataset is scaled: ``factor`` = xsec · luminosity · scale / sumw (1 for data)."""

    dataset: str
    kind: str
    factor: float
    sumw: float | None = None
    xsec: float | None = None
    luminosity: float | None = None
    scale: float = 1.0
    files: list[dict[str, Any]] = field(default_factory=list)  # per file: sumw and its source


def normalise(run: RunResult) -> dict[str, Normalisation]:
    """The normalisation of every dataset of a run (see the module docstring for the rule)."""
    config = run.config
    incomplete = {f["file"] for f in run.output.failures} | {c["file"] for c in run.unread}
    result = {}
    for name, spec in config.datasets.items():
        if spec.kind == "data":
            result[name] = Normalisation(name, "data", 1.0)
            continue
        luminosity = spec.luminosity or config.luminosity
        if spec.sumw is not None:  # given in the YAML: what the files cannot tell
            factor = spec.xsec * luminosity * spec.scale / spec.sumw
            files = [
                {"file": p.file, "sumw": None, "source": "sumw: in the configuration"}
                for p in run.premade.get(name, [])
            ]
            result[name] = Normalisation(
                name, "mc", factor, spec.sumw, spec.xsec, luminosity, spec.scale, files
            )
            continue
        files = []
        for record in run.inputs[name]:
            path = record.info.path
            tally = run.output.files.get(path)
            read_sumw = tally.sumw if tally else 0.0
            if record.sums is not None and path not in incomplete:
                files.append({"file": path, "sumw": record.sums.sumw, "source": record.sums.branch})
            else:
                why = "file not read completely" if path in incomplete else "no Runs sums"
                files.append({"file": path, "sumw": read_sumw, "source": f"Σ genWeight ({why})"})
        sumw = float(sum(f["sumw"] for f in files))
        factor = spec.xsec * luminosity * spec.scale / sumw if sumw else 0.0
        result[name] = Normalisation(
            name, "mc", factor, sumw, spec.xsec, luminosity, spec.scale, files
        )
    return result


def normalised_histograms(
    histograms: dict[str, hist.Hist], norms: dict[str, Normalisation]
) -> dict[str, hist.Hist]:
    """Copies of the histograms with each dataset scaled by its factor (variances by its square)."""
    out = {}
    for name, h in histograms.items():
        scaled = h.copy()
        view = scaled.view(flow=True)
        for index, dataset in enumerate(scaled.axes["dataset"]):
            factor = norms[dataset].factor if dataset in norms else 1.0
            view.value[index] *= factor
            view.variance[index] *= factor**2
        out[name] = scaled
    return out


# ---------------------------------------------------------------------------- writing


def write_result(run: RunResult, directory: str | Path | None = None) -> Path:
    """Write ``histograms.root`` and ``manifest.json`` of a run; returns the directory."""
    config = run.config
    directory = Path(directory) if directory is not None else config.output_dir()
    directory.mkdir(parents=True, exist_ok=True)
    norms = normalise(run)
    raw = run.output.histograms
    normalised = normalised_histograms(raw, norms)
    _write_root(directory / HISTOGRAMS, {"normalised": normalised, "raw": raw}, config)
    lumi_files = _write_lumis(directory, run)
    manifest = _manifest(run, norms)
    manifest["lumi_sections"] = lumi_files
    write_atomic(directory / MANIFEST, json.dumps(manifest, indent=2, default=str) + "\n")
    return directory


def histogram_path(kind: str, name: str, dataset: str, systematic: str, *cats: str) -> str:
    """The path of one histogram in ``histograms.root``.

    Example:
        >>> histogram_path("normalised", "m4l", "ZZ", "nominal", "4mu")
        'normalised/m4l/ZZ/nominal/4mu'
    """
    return "/".join((kind, name, dataset, systematic, *cats))


def _write_root(path: Path, kinds: dict[str, dict[str, hist.Hist]], config: AnalysisConfig) -> None:
    with atomic_path(path) as tmp, uproot.recreate(tmp) as file:
        for kind, histograms in kinds.items():
            for name, h in histograms.items():
                for key, sliced in _slices(h, config.histograms[name]):
                    file[histogram_path(kind, name, *key)] = sliced


def _slices(h: hist.Hist, spec: Histogram):
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


def _write_lumis(directory: Path, run: RunResult) -> dict[str, dict[str, Any]]:
    """One golden-JSON file per data dataset: the lumi sections its processed events are in.

    A user hands it to a luminosity calculator to get the luminosity of exactly what was
    processed (a lumi section of a failed chunk is left out unless another chunk had it).
    """
    written = {}
    for dataset, sections in sorted(run.output.lumis.items()):
        path = directory / LUMIS / f"{dataset}.json"
        path.parent.mkdir(exist_ok=True)
        write_atomic(path, json.dumps(sections.to_golden_json()) + "\n")
        written[dataset] = {"file": str(path.relative_to(directory)), "sections": len(sections)}
    return written


def _manifest(run: RunResult, norms: dict[str, Normalisation]) -> dict[str, Any]:
    config = run.config
    inputs: dict[str, Any] = {}
    for name, reads in run.premade.items():
        spec = config.datasets[name]
        inputs[name] = {
            "kind": spec.kind,
            "group": config.group_of(name),
            "xsec_pb": spec.xsec,
            "scale": spec.scale,
            "luminosity_pb": norms[name].luminosity,
            "sumw": norms[name].sumw,
            "normalisation": norms[name].factor,
            "premade_histograms": [asdict(r) for r in reads],
        }
    for name, records in run.inputs.items():
        spec = config.datasets[name]
        norm = norms[name]
        per_file = {f["file"]: f for f in norm.files}
        inputs[name] = {
            "kind": spec.kind,
            "group": config.group_of(name),
            "xsec_pb": spec.xsec,
            "scale": spec.scale,
            "luminosity_pb": norm.luminosity,
            "sumw": norm.sumw,
            "normalisation": norm.factor,
            "events": sum(r.info.num_entries for r in records),
            "events_processed": sum(
                run.output.files[r.info.path].events
                for r in records
                if r.info.path in run.output.files
            ),
            "files": [
                {
                    **asdict(r.info),
                    "runs_sums": asdict(r.sums) if r.sums else None,
                    "events_processed": run.output.files[r.info.path].events
                    if r.info.path in run.output.files
                    else 0,
                    "sumw_used": per_file.get(r.info.path, {}).get("sumw"),
                    "sumw_source": per_file.get(r.info.path, {}).get("source"),
                }
                for r in records
            ],
        }
    return {
        "format": "opencoffea-result/1",
        "name": config.name,
        "created": _dt.datetime.now(_dt.timezone.utc).isoformat(timespec="seconds"),
        "config_file": str(config.source) if config.source else None,
        "config": config.model_dump(mode="json", exclude={"source"}),
        "luminosity_pb": config.luminosity,
        "environment": {
            "python": sys.version.split()[0],
            "platform": platform.platform(),
            "packages": _versions(),
        },
        "execution": run.execution,
        "events": {
            "input": run.events_in_input,
            "processed": run.events_processed,
            "failed": run.events_failed,
            "unread": run.events_unread,
        },
        "complete": run.complete,
        "warnings": run.warnings,
        "sources": run.sources,
        "corrections": run.corrections,
        "systematics": config.systematics,
        "inputs": inputs,
        "cutflows": {ds: cf.as_list() for ds, cf in sorted(run.output.cutflows.items())},
        "failures": sorted(
            ({k: v for k, v in f.items() if k != "fatal"} for f in run.output.failures),
            key=lambda f: (f["file"], f["entry_start"]),
        ),
        "unread": run.unread,
        "histograms_file": HISTOGRAMS,
    }


def _versions() -> dict[str, str | None]:
    versions: dict[str, str | None] = {}
    for package in PACKAGES:
        try:
            versions[package] = _metadata.version(package)
        except _metadata.PackageNotFoundError:
            versions[package] = None
    return versions


# ---------------------------------------------------------------------------- reading


@dataclass
class Result:
    """A result directory read back: normalised and raw ``hist`` objects and the manifest."""

    directory: Path
    manifest: dict[str, Any]
    histograms: dict[str, hist.Hist]
    raw: dict[str, hist.Hist]

    @property
    def config(self) -> AnalysisConfig:
        return AnalysisConfig.model_validate(self.manifest["config"])


def load_result(directory: str | Path) -> Result:
    """Read a result directory into ``hist`` objects (dataset and systematic axes included).

    Example:
        >>> result = load_result("results/dimuon_demo")  # doctest: +SKIP
        >>> result.histograms["mass"].axes.name
        ('dataset', 'systematic', 'mass')
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
    except (KeyError, TypeError, ValueError) as err:  # pydantic's errors are ValueErrors
        raise OpenCoffeaError(
            f"{directory / MANIFEST}: not the manifest of an opencoffea result ({err})"
        ) from None
    with uproot.open(directory / HISTOGRAMS) as file:
        kinds = {
            kind: {
                name: _read_histogram(file, kind, name, spec, datasets)
                for name, spec in config.histograms.items()
            }
            for kind in ("normalised", "raw")
        }
    return Result(directory, manifest, kinds["normalised"], kinds["raw"])


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
