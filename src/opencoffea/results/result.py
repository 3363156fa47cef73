"""The result of a run: histograms, normalised and raw, with the provenance of the numbers.

One class, whether the result was just made by :func:`~opencoffea.run` or read back from
its directory by :func:`~opencoffea.results.load_result`: the same attributes, equal
values. The manifest (what ``manifest.json`` holds) is the one source of the provenance;
the typed records (:attr:`Result.inputs`, :attr:`Result.failures`, :attr:`Result.unread`,
:attr:`Result.execution`) are read from it, so they cannot disagree with what is written.

The manifest holds: a run id (a uuid4 of the run that made it), the configuration,
package versions, every input file with its entries and Σw, the luminosity, the
normalisation of each dataset, cutflows, the lumi sections processed, and every failed or
unread chunk.

Example:
    >>> from opencoffea import load_config, run
    >>> result = run(load_config("configs/dimuon_quick.yaml"), status=False)
    >>> result.complete, result.events_processed
    (True, 8000)
    >>> for row in result.summary():
    ...     print(row.dataset, row.events, row.selected, round(row.scale, 4))
    DoubleMuon 4000 1787 1.0
    Dimuon_simulation 4000 1786 0.0015
"""

from __future__ import annotations

import datetime as _dt
import json
import platform
import sys
import uuid
from dataclasses import asdict, dataclass, field
from functools import cached_property
from importlib import metadata as _metadata
from pathlib import Path
from typing import TYPE_CHECKING, Any

import hist

from ..chunks import ChunkRange, FailedChunk
from ..config import AnalysisConfig
from ..datasets.lumis import LumiSections
from ..datasets.premade import PremadeInput
from ..output import Cutflow, Marked, Output
from .cutflow import CutflowTable, cutflow_table
from .html import result_html
from .normalisation import Normalisation, compute_normalisations, normalised_histograms
from .records import ExecutionRecord, FileRecord, InputRecord

if TYPE_CHECKING:  # drawn only when asked: matplotlib takes a second to import
    from ..plotting import YieldTable
    from ..plotting.style import CMSFigure

__all__ = ["FORMAT", "HISTOGRAMS", "LUMIS", "MANIFEST", "RUN_ID", "Result", "SummaryRow"]

# The layout of a result directory, and the manifest's format (changed when a reader must).
MANIFEST = "manifest.json"
HISTOGRAMS = "histograms.root"
LUMIS = "processed_lumis"
RUN_ID = "run_id"  # the key of the run id, in the manifest and in histograms.root
FORMAT = "opencoffea-result/2"  # 2: a run id, in the manifest and in histograms.root
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


@dataclass(frozen=True)
class SummaryRow:
    """One dataset in the summary of a run; None where it does not apply (pre-made input).

    Example:
        >>> SummaryRow("DY", "mc", "Drell-Yan", 2, 5000, 3.5e6, 2280, 1.74).selected
        2280
    """

    dataset: str
    kind: str
    group: str
    files: int
    events: int | None  # in the input
    sumw: float | None
    selected: int | None  # after the last cut of the cutflow
    scale: float  # the normalisation factor


@dataclass(eq=False)
class Result:
    """Normalised and raw ``hist`` histograms, cutflows, lumi sections and the manifest.

    ``directory`` is where the result is written, None until it is. There is no ``==``:
    a result made in memory holds its categories in the order chunks filled them, one
    read back in the manifest's order; compare attributes, histograms bin by bin.

    To look at: :meth:`cutflow`, :meth:`yields`, :meth:`plot`, the events the analysis
    marked (:attr:`marked`: ``opencoffea.display(result)``) and, in a notebook, the
    result itself (datasets, events, Σw, cutflows, links to its plots).

    Example:
        >>> from opencoffea import load_config, run
        >>> config = load_config("configs/dimuon_quick.yaml")
        >>> result = run(config, status=False)
        >>> result.events_in_input, result.events_processed, result.events_failed
        (8000, 8000, 0)
        >>> result.failures, result.unread, result.warnings, result.corrections
        ([], [], [], [])
        >>> record = result.inputs["Dimuon_simulation"][0]  # one per file
        >>> record.events_processed, record.sumw_source, result.premade, result.sources
        (4000, 'genEventSumw', {}, {})
        >>> result.execution.executor, result.execution.chunks, result.events_per_second > 0
        ('iterative', 2, True)
        >>> data = {"dataset": "DoubleMuon", "systematic": "nominal"}
        >>> result.raw["mass"][data].sum(flow=True).value  # each selected event, once
        1787.0
        >>> result.cutflows["DoubleMuon"].as_list()[-1]
        {'cut': 'opposite charge', 'events': 1787, 'sumw': 1787.0}
        >>> first = run(config, status=False, chunksize=1000, max_chunks=1)
        >>> first.complete, first.events_unread, first.unread[0].entry_start
        (False, 6000, 1000)
    """

    config: AnalysisConfig
    manifest: dict[str, Any]
    histograms: dict[str, hist.Hist]  # normalised
    raw: dict[str, hist.Hist]  # event weights only
    cutflows: dict[str, Cutflow]
    lumis: dict[str, LumiSections]  # data: the lumi sections of the events processed
    directory: Path | None = None
    marked: dict[str, Marked] = field(default_factory=dict)  # out.mark's, by selection

    @classmethod
    def from_run(
        cls,
        config: AnalysisConfig,
        output: Output,
        *,
        files: list[FileRecord],
        unread: list[ChunkRange],
        premade: dict[str, list[PremadeInput]],
        execution: ExecutionRecord,
        sources: dict[str, dict[str, Any]],
        warnings: list[str],
        corrections: list[dict[str, Any]],
    ) -> Result:
        """The result of a run, from its merged output and what it learned on the way.

        ``files`` are the input files of the event datasets (pre-pass order), ``unread``
        the chunks left out by ``max_chunks``, ``premade`` the histograms of ``read:``
        datasets, ``sources`` what to say of records and lumi masks, ``corrections`` the
        payloads used (file, keys, checksum). The normalisation is computed here, once.

        Example:
            >>> from opencoffea.config import load_config
            >>> from opencoffea.histograms import book
            >>> config = load_config("configs/dimuon_demo.yaml")
            >>> nothing = Result.from_run(  # the result of a run that read no file
            ...     config, Output(histograms=book(config.histograms)), files=[], unread=[],
            ...     premade={}, execution=ExecutionRecord(config.execution, 0, 0.0),
            ...     sources={}, warnings=[], corrections=[],
            ... )
            >>> nothing.complete, nothing.events_processed, list(nothing.inputs)
            (True, 0, ['DoubleMuon', 'Dimuon_simulation'])
        """
        by_dataset: dict[str, list[FileRecord]] = {name: [] for name in config.event_datasets()}
        for record in files:
            by_dataset[record.dataset].append(record)
        incomplete = {f.file for f in output.failures} | {c.file for c in unread}
        norms = compute_normalisations(config, by_dataset, output.files, incomplete, premade)
        inputs = {name: _premade_entry(config, norms[name], p) for name, p in premade.items()}
        for name, records in by_dataset.items():
            inputs[name] = _event_entry(config, norms[name], records, output)
        events = {
            "input": sum(r.info.num_entries for r in files),
            "processed": sum(t.events for t in output.files.values()),
            "failed": sum(f.events for f in output.failures),
            "unread": sum(c.events for c in unread),
        }
        manifest = {
            "format": FORMAT,
            "name": config.name,
            "created": _dt.datetime.now(_dt.timezone.utc).isoformat(timespec="seconds"),
            # written into histograms.root too: a directory whose two files do not belong
            # together (one of them from another run) is refused when read
            RUN_ID: uuid.uuid4().hex,
            "config_file": str(config.source) if config.source else None,
            "config": config.model_dump(mode="json", exclude={"source"}),
            "luminosity_pb": config.luminosity,
            "environment": {
                "python": sys.version.split()[0],
                "platform": platform.platform(),
                "packages": _versions(),
            },
            "execution": execution.to_json(),
            "events": events,
            "complete": not output.failures and not unread,
            "warnings": warnings,
            "sources": sources,
            "corrections": corrections,
            "systematics": config.systematics,
            "inputs": inputs,
            "cutflows": {ds: cf.as_list() for ds, cf in sorted(output.cutflows.items())},
            "failures": [
                f.to_json() for f in sorted(output.failures, key=lambda f: (f.file, f.entry_start))
            ],
            "unread": [c.to_json() for c in unread],
            "histograms_file": HISTOGRAMS,
            "lumi_sections": {
                dataset: {"file": f"{LUMIS}/{dataset}.json", "sections": len(sections)}
                for dataset, sections in sorted(output.lumis.items())
            },
        }
        return cls(
            config=config,
            # as it reads back from disk (tuples become lists, paths strings): one form
            manifest=json.loads(json.dumps(manifest, default=str)),
            histograms=normalised_histograms(output.histograms, norms),
            raw=output.histograms,
            cutflows=output.cutflows,
            lumis=output.lumis,
            marked=output.marked,
        )

    # -- the typed records of the manifest

    @cached_property
    def inputs(self) -> dict[str, list[InputRecord]]:
        """The input files of each event dataset (pre-made ones: :attr:`premade`)."""
        return {
            name: [InputRecord.from_json(name, f) for f in entry["files"]]
            for name, entry in self.manifest["inputs"].items()
            if "files" in entry
        }

    @cached_property
    def premade(self) -> dict[str, list[PremadeInput]]:
        """The histograms each ``read:`` dataset took from its files."""
        return {
            name: [_premade_input(p) for p in entry["premade_histograms"]]
            for name, entry in self.manifest["inputs"].items()
            if "premade_histograms" in entry
        }

    @cached_property
    def failures(self) -> list[FailedChunk]:
        """Every chunk that could not be processed, by file and entry."""
        return [FailedChunk.from_json(f) for f in self.manifest["failures"]]

    @cached_property
    def unread(self) -> list[ChunkRange]:
        """Every chunk left out on purpose (``max_chunks``)."""
        return [ChunkRange.from_json(c) for c in self.manifest["unread"]]

    @cached_property
    def execution(self) -> ExecutionRecord:
        """The execution settings, the number of chunks and the seconds they took."""
        return ExecutionRecord.from_json(self.manifest["execution"])

    @property
    def warnings(self) -> list[str]:
        """What the run should know but did not stop it (event counts, variations)."""
        return self.manifest["warnings"]

    @property
    def sources(self) -> dict[str, dict[str, Any]]:
        """What each ``record:`` dataset and lumi mask came from (record, DOI, golden JSON)."""
        return self.manifest["sources"]

    @property
    def corrections(self) -> list[dict[str, Any]]:
        """The correction payloads used: file, keys and checksum."""
        return self.manifest["corrections"]

    @property
    def events_in_input(self) -> int:
        """Events in the input files of the event datasets."""
        return self.manifest["events"]["input"]

    @property
    def events_processed(self) -> int:
        """Events read and processed."""
        return self.manifest["events"]["processed"]

    @property
    def events_failed(self) -> int:
        """Events in failed chunks."""
        return self.manifest["events"]["failed"]

    @property
    def events_unread(self) -> int:
        """Events in chunks left out by ``max_chunks``."""
        return self.manifest["events"]["unread"]

    @property
    def complete(self) -> bool:
        """True when every event of the input was processed."""
        return self.manifest["complete"]

    @property
    def events_per_second(self) -> float:
        """Events processed per second of reading and processing (0 if none was measured)."""
        seconds = self.execution.seconds
        return self.events_processed / seconds if seconds else 0.0

    def summary(self) -> list[SummaryRow]:
        """One row per dataset, in the order of the configuration (see :class:`SummaryRow`)."""
        rows = []
        for name in self.config.datasets:
            entry = self.manifest["inputs"][name]
            if "premade_histograms" in entry:  # pre-made histograms: files, no events
                files = len({p["file"] for p in entry["premade_histograms"]})
                events = selected = None
            else:
                cutflow = self.manifest["cutflows"].get(name)
                files, events = len(entry["files"]), entry["events"]
                selected = cutflow[-1]["events"] if cutflow else 0
            rows.append(
                SummaryRow(
                    name,
                    entry["kind"],
                    entry["group"],
                    files,
                    events,
                    entry["sumw"],
                    selected,
                    entry["normalisation"],
                )
            )
        return rows

    # -- to look at

    def cutflow(self) -> CutflowTable:
        """Per dataset and category (``"ZZ/4mu"``), each cut's events and Σw with its
        efficiencies, relative and cumulative (see :mod:`~opencoffea.results.cutflow`).

        Example:
            >>> from opencoffea import load_result
            >>> load_result(higgs4l_demo).cutflow()["ZZTo4L/4mu"][-1]  # doctest: +ELLIPSIS
            Cut(cut='Z2 mass', events=4650, sumw=4650.0, relative=0.91..., cumulative=0.093)
        """
        cutflows = self.manifest["cutflows"]  # by name: each dataset's, then its categories'
        order = [n for d in self.config.datasets for n in cutflows if n.partition("/")[0] == d]
        return cutflow_table({name: cutflows[name] for name in dict.fromkeys([*order, *cutflows])})

    def yields(self, histogram: str | None = None) -> YieldTable:
        """The yields per group and category of ``histogram`` (default: the first plotted),
        as ``opencoffea yields`` prints them (:func:`~opencoffea.plotting.yields`).

        Example:
            >>> from opencoffea import load_result
            >>> load_result(higgs4l_demo).yields().cells["Data"]["combined"].value
            185.0
        """
        from ..plotting import yields

        return yields(self, None, histogram)

    def plot(self, name: str) -> CMSFigure:
        """The figure of plot ``name`` of the YAML, else a quick look at histogram ``name``
        (:func:`~opencoffea.plotting.figure_of`): shown by a notebook, or ``.savefig(path)``.

        Example:
            >>> from opencoffea import load_result
            >>> load_result(higgs4l_demo).plot("m4l_4mu").axes[0].get_xlabel()
            '$m_{4\\\\mu}$ [GeV]'
        """
        from ..plotting import figure_of

        return figure_of(self, name)

    def _repr_html_(self) -> str:
        """The result in a notebook (:func:`~opencoffea.results.html.result_html`)."""
        return result_html(self)


def _premade_entry(
    config: AnalysisConfig, norm: Normalisation, reads: list[PremadeInput]
) -> dict[str, Any]:
    """The manifest entry of a ``read:`` dataset: its numbers and the histograms read."""
    return {**_dataset_entry(config, norm), "premade_histograms": [asdict(r) for r in reads]}


def _event_entry(
    config: AnalysisConfig, norm: Normalisation, records: list[FileRecord], output: Output
) -> dict[str, Any]:
    """The manifest entry of an event dataset: its numbers and one record per file."""
    per_file = {f["file"]: f for f in norm.files}
    files = [
        InputRecord(
            r.dataset,
            r.info,
            r.sums,
            output.files[r.info.path].events if r.info.path in output.files else 0,
            per_file.get(r.info.path, {}).get("sumw"),
            per_file.get(r.info.path, {}).get("source"),
        )
        for r in records
    ]
    return {
        **_dataset_entry(config, norm),
        "events": sum(r.info.num_entries for r in records),
        "events_processed": sum(f.events_processed for f in files),
        "files": [f.to_json() for f in files],
    }


def _dataset_entry(config: AnalysisConfig, norm: Normalisation) -> dict[str, Any]:
    spec = config.datasets[norm.dataset]
    return {
        "kind": spec.kind,
        "group": config.group_of(norm.dataset),
        "xsec_pb": spec.xsec,
        "scale": spec.scale,
        "luminosity_pb": norm.luminosity,
        "sumw": norm.sumw,
        "normalisation": norm.factor,
    }


def _premade_input(data: dict[str, Any]) -> PremadeInput:
    categories = tuple((axis, value) for axis, value in data["categories"])
    return PremadeInput(**{**data, "categories": categories})


def _versions() -> dict[str, str | None]:
    versions: dict[str, str | None] = {}
    for package in PACKAGES:
        try:
            versions[package] = _metadata.version(package)
        except _metadata.PackageNotFoundError:
            versions[package] = None
    return versions
