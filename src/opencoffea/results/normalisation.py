"""Normalisation: simulation scaled to cross section × luminosity, data never scaled.

The factor of a simulated dataset is xsec · luminosity · scale / Σw, where Σw is the sum
of ``genEventSumw`` over the ``Runs`` trees of its files. A file without the sums, or one
not read completely (failed or unread chunks), contributes Σ genWeight of the events that
were read instead, and the manifest says so for that file. A Σw given in the YAML
(``sumw:``, for what the files cannot tell) replaces them all.

It is computed once, when a run's result is made (:func:`compute_normalisations`); the
manifest keeps it, and :func:`normalise` reads it back from any result, made in memory or
read from disk.

Example:
    >>> from opencoffea import load_config, run
    >>> result = run(load_config("configs/dimuon_quick.yaml"), status=False)
    >>> simulation = normalise(result)["Dimuon_simulation"]
    >>> simulation.factor == 6000.0 * 0.667 / simulation.sumw  # xsec · luminosity / Σw
    True
    >>> simulation.files[0]["source"]  # the Runs tree's sum
    'genEventSumw'
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import hist

from ..config import AnalysisConfig
from ..datasets.premade import PremadeInput
from ..errors import ConfigError
from ..output import FileTally
from .records import FileRecord

if TYPE_CHECKING:  # for the annotation only: result.py builds on this module
    from .result import Result

__all__ = ["Normalisation", "compute_normalisations", "normalise", "normalised_histograms"]

SUMW_GIVEN = "sumw: in the configuration"


@dataclass(frozen=True)
class Normalisation:
    """How one dataset is scaled: ``factor`` = xsec · luminosity · scale / sumw (1 for data).

    ``files`` lists, per file, the Σw taken from it and its source (a ``Runs`` branch, or
    Σ genWeight and why).

    Example:
        >>> Normalisation("Data", "data", 1.0).factor
        1.0
    """

    dataset: str
    kind: str
    factor: float
    sumw: float | None = None
    xsec: float | None = None
    luminosity: float | None = None
    scale: float = 1.0
    files: list[dict[str, Any]] = field(default_factory=list)  # per file: sumw and its source

    @classmethod
    def from_json(cls, dataset: str, entry: dict[str, Any]) -> Normalisation:
        """The normalisation of a dataset's ``inputs`` entry in the manifest.

        Example:
            >>> entry = {"kind": "mc", "normalisation": 0.5, "sumw": 12.0, "xsec_pb": 3.0,
            ...          "luminosity_pb": 2.0, "scale": 1.0, "files": [{"path": "dy.root",
            ...          "sumw_used": 12.0, "sumw_source": "genEventSumw"}]}
            >>> Normalisation.from_json("DY", entry).files
            [{'file': 'dy.root', 'sumw': 12.0, 'source': 'genEventSumw'}]
        """
        if entry["kind"] == "data":
            return cls(dataset, "data", 1.0)
        if "premade_histograms" in entry:
            files = [
                {"file": p["file"], "sumw": None, "source": SUMW_GIVEN}
                for p in entry["premade_histograms"]
            ]
        else:  # a file without a source gave nothing: the Σw came from the YAML
            files = [
                {"file": f["path"], "sumw": f["sumw_used"], "source": f["sumw_source"]}
                for f in entry["files"]
                if f["sumw_source"] is not None
            ]
        return cls(
            dataset,
            "mc",
            entry["normalisation"],
            entry["sumw"],
            entry["xsec_pb"],
            entry["luminosity_pb"],
            entry["scale"],
            files,
        )


def compute_normalisations(
    config: AnalysisConfig,
    files: Mapping[str, list[FileRecord]],
    tallies: Mapping[str, FileTally],
    incomplete: set[str],
    premade: Mapping[str, list[PremadeInput]],
) -> dict[str, Normalisation]:
    """The normalisation of every dataset of a run (see the module docstring for the rule).

    ``files`` are the input files of each event dataset, ``tallies`` what was read of each
    file, ``incomplete`` the files with failed or unread chunks, and ``premade`` the
    histograms each ``read:`` dataset took from its files.

    Example:
        >>> from opencoffea.config import parse_config
        >>> from opencoffea.datasets import RunSums
        >>> from opencoffea.events import FileInfo
        >>> config = parse_config('''
        ... name: demo
        ... processor: analyses/dimuon.py:DimuonSpectrum
        ... luminosity: 1000
        ... datasets: {DY: {files: [dy.root], kind: mc, xsec: 6077.22}}
        ... ''')
        >>> info = FileInfo("dy.root", "Events", 40, "nanoaod", "v6", False, "a949…")
        >>> files = {"DY": [FileRecord("DY", info, RunSums(40, 2.0e6, None, "genEventSumw_"))]}
        >>> norms = compute_normalisations(config, files, {}, set(), {})
        >>> norms["DY"].factor == 6077.22 * 1000 / 2.0e6, norms["DY"].files[0]["source"]
        (True, 'genEventSumw_')
        >>> read = {"dy.root": FileTally(events=20, sumw=9.0e5)}  # half the file, say
        >>> partly = compute_normalisations(config, files, read, {"dy.root"}, {})["DY"]
        >>> partly.sumw, partly.files[0]["source"]
        (900000.0, 'Σ genWeight (file not read completely)')
    """
    result = {}
    for name, spec in config.datasets.items():
        if spec.kind == "data":
            result[name] = Normalisation(name, "data", 1.0)
            continue
        xsec, luminosity = spec.xsec, spec.luminosity or config.luminosity
        if xsec is None or luminosity is None:  # what the configuration's checks rule out
            raise ConfigError(f"dataset {name!r}: simulation needs its xsec and a luminosity")
        if spec.sumw is not None:  # given in the YAML: what the files cannot tell
            factor = xsec * luminosity * spec.scale / spec.sumw
            given = [
                {"file": p.file, "sumw": None, "source": SUMW_GIVEN} for p in premade.get(name, [])
            ]
            result[name] = Normalisation(
                name, "mc", factor, spec.sumw, xsec, luminosity, spec.scale, given
            )
            continue
        used: list[dict[str, Any]] = []
        for record in files[name]:
            path = record.info.path
            tally = tallies.get(path)
            read_sumw = tally.sumw if tally else 0.0
            if record.sums is not None and path not in incomplete:
                used.append({"file": path, "sumw": record.sums.sumw, "source": record.sums.branch})
            else:
                why = "file not read completely" if path in incomplete else "no Runs sums"
                used.append({"file": path, "sumw": read_sumw, "source": f"Σ genWeight ({why})"})
        sumw = float(sum(f["sumw"] for f in used))
        factor = xsec * luminosity * spec.scale / sumw if sumw else 0.0
        result[name] = Normalisation(name, "mc", factor, sumw, xsec, luminosity, spec.scale, used)
    return result


def normalise(result: Result) -> dict[str, Normalisation]:
    """The normalisation of every dataset of a result, as computed when it was made.

    Example:
        >>> from opencoffea import load_config, run
        >>> result = run(load_config("configs/dimuon_quick.yaml"), status=False)
        >>> {name: n.kind for name, n in normalise(result).items()}
        {'DoubleMuon': 'data', 'Dimuon_simulation': 'mc'}
        >>> normalise(result)["DoubleMuon"].factor  # data is never scaled
        1.0
    """
    inputs = result.manifest["inputs"]
    return {name: Normalisation.from_json(name, entry) for name, entry in inputs.items()}


def normalised_histograms(
    histograms: Mapping[str, hist.Hist[hist.storage.Weight]], norms: Mapping[str, Normalisation]
) -> dict[str, hist.Hist[hist.storage.Weight]]:
    """Copies of the histograms with each dataset scaled by its factor (variances by its square).

    Example:
        >>> from opencoffea.histograms import book_one
        >>> from opencoffea.config import Histogram
        >>> h = book_one(Histogram(axes=[{"name": "x", "bins": 1, "start": 0, "stop": 1}]))
        >>> h.fill(dataset="DY", systematic="nominal", x=0.5, weight=2.0)  # doctest: +ELLIPSIS
        Hist(...)
        >>> scaled = normalised_histograms({"x": h}, {"DY": Normalisation("DY", "mc", 3.0)})
        >>> scaled["x"][{"dataset": "DY", "systematic": "nominal"}].values()
        array([6.])
    """
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
