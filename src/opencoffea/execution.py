"""Fileset → pre-pass → chunks → executor → merged output.

The work is done by coffea's executors (``IterativeExecutor``, ``FuturesExecutor``,
``DaskExecutor``: their ``executor(items, function, accumulator)`` interface, their
progress bars and their tree reduction). The chunk function is ours rather than coffea
``Runner``'s, for three reasons that are invariants of this project:

- each file is opened with the schema of its own flavour (``Runner`` has one per run);
- a chunk that fails becomes a failure *record* (file, entries, error) in the output,
  so events read + events in failed chunks = events in the input, always, where
  ``Runner`` can only raise or skip with a warning;
- the pre-pass that learns the entries of each file also reads its normalisation sums
  and NanoAOD flavour, in the same single opening of the file.

Errors travel back from workers as values, never as exceptions, so no executor prints a
traceback for a user's bad input.

Example:
    >>> from opencoffea import load_config
    >>> config = load_config("configs/dimuon_demo.yaml")
    >>> result = run(config, executor="futures", workers=2)  # doctest: +SKIP
    >>> result.events_processed
    200000
"""

from __future__ import annotations

import contextlib
import hashlib
import io
import json
import time
import traceback
from collections import OrderedDict
from collections.abc import Iterator
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import cloudpickle
import loky
from coffea.processor import DaskExecutor, FuturesExecutor, IterativeExecutor

from .config import AnalysisConfig, Execution, PortalRef
from .datasets import InputFile, RunSums, read_run_sums, resolve_files
from .datasets.cache import cache_dir
from .datasets.download import golden_json
from .datasets.fileset import portal_for, record_files
from .datasets.lumis import load_mask
from .datasets.portal import Portal, Record
from .datasets.premade import PremadeInput, read_premade
from .errors import InputFileError, OpenCoffeaError
from .events import FileInfo, describe, events_from, open_file
from .histograms import book
from .output import Output
from .processor import Processor, load_processor
from .util import write_atomic

__all__ = ["Chunk", "FileRecord", "RunResult", "run"]


@dataclass(frozen=True)
class FileRecord:
    """What the pre-pass learned of one input file."""

    dataset: str
    info: FileInfo
    sums: RunSums | None


@dataclass(frozen=True)
class Chunk:
    """A range of entries of one file: the unit of work."""

    dataset: str
    info: FileInfo
    entry_start: int
    entry_stop: int

    @property
    def events(self) -> int:
        return self.entry_stop - self.entry_start


@dataclass
class RunResult:
    """Everything one run produced, before it is written (see :mod:`opencoffea.results`)."""

    config: AnalysisConfig
    output: Output
    inputs: dict[str, list[FileRecord]]
    execution: dict[str, Any]
    unread: list[dict[str, Any]] = field(default_factory=list)  # chunks left out by max_chunks
    premade: dict[str, list[PremadeInput]] = field(default_factory=dict)  # read: datasets
    sources: dict[str, dict[str, Any]] = field(default_factory=dict)  # records, lumi masks
    warnings: list[str] = field(default_factory=list)
    corrections: list[dict[str, Any]] = field(default_factory=list)  # payloads: file, keys, sha256

    @property
    def events_in_input(self) -> int:
        return sum(r.info.num_entries for records in self.inputs.values() for r in records)

    @property
    def events_processed(self) -> int:
        return sum(t.events for t in self.output.files.values())

    @property
    def events_failed(self) -> int:
        return sum(f["events"] for f in self.output.failures)

    @property
    def events_unread(self) -> int:
        return sum(c["events"] for c in self.unread)

    @property
    def complete(self) -> bool:
        """True when every event of the input was processed."""
        return not self.output.failures and not self.unread


# ---------------------------------------------------------------------------- run


def run(
    config: AnalysisConfig,
    *,
    executor: str | None = None,
    workers: int | None = None,
    scheduler: str | None = None,
    chunksize: int | None = None,
    max_chunks: int | None = None,
    status: bool = True,
    server: str | None = None,
    refresh: bool = False,
) -> RunResult:
    """Run the analysis of ``config``; keyword arguments override its ``execution:`` block.

    ``server`` is the CERN Open Data portal for ``record:`` datasets (else the YAML's
    ``portal:``, else ``OPENCOFFEA_PORTAL``, else opendata.cern.ch); ``refresh`` asks it
    again for records already in the cache.
    """
    settings = _settings(
        config.execution,
        executor=executor,
        workers=workers,
        scheduler=scheduler,
        chunksize=chunksize,
        max_chunks=max_chunks,
    )
    with_events = config.event_datasets()
    records: list[FileRecord] = []
    chunks: list[Chunk] = []
    unread: list[dict[str, Any]] = []
    output = Output(histograms=book(config.histograms))
    corrections: list[dict[str, Any]] = []
    portal = _portal(config, server, refresh)
    sources = _Sources(config, portal)
    started = time.perf_counter()
    if with_events:
        processor = load_processor(config)(config, lumimasks=sources.lumimasks(with_events))
        if processor._corrector is not None:
            corrections = processor._corrector.provenance()
        files = [f for name in with_events for f in sources.files(name)]
        started = time.perf_counter()  # from here: reading and processing, not set-up
        # coffea's executors draw progress bars whatever their ``status``; quiet means quiet.
        quiet = contextlib.nullcontext() if status else contextlib.redirect_stdout(io.StringIO())
        try:
            with quiet, _executor(settings, status) as make:
                records = _prepass(files, make("Reading file metadata", "file"))
                chunks, unread = _chunks(records, settings.chunksize, settings.max_chunks)
                output = _process(chunks, processor, make("Processing", "chunk"))
        finally:
            _OPEN_FILES.close_all()  # those this process kept open (the iterative executor's)
        output = processor.postprocess(output)
        _check_accounting(output, chunks)
        sources.check_events(records)
    premade: dict[str, list[PremadeInput]] = {}
    for name in config.datasets:
        if name not in with_events:
            paths = [f.path for f in sources.files(name)]
            histograms, premade[name] = read_premade(config, name, paths)
            output = output + histograms
    elapsed = time.perf_counter() - started

    inputs: dict[str, list[FileRecord]] = {name: [] for name in with_events}
    for record in records:
        inputs[record.dataset].append(record)
    return RunResult(
        config=config,
        output=output,
        inputs=inputs,
        premade=premade,
        unread=unread,
        sources=sources.described,
        warnings=sources.warnings + _notes(output),
        corrections=corrections,
        execution={
            **settings.model_dump(),
            "chunks": len(chunks),
            "seconds": round(elapsed, 3),
        },
    )


def _portal(config: AnalysisConfig, server: str | None, refresh: bool) -> Portal | None:
    """A portal client, where a dataset or a lumi mask names a record."""
    needed = any(
        d.record is not None or isinstance(d.lumimask, PortalRef) for d in config.datasets.values()
    )
    return portal_for(config, server, refresh) if needed else None


class _Sources:
    """Where each dataset's files and lumi mask come from, resolved once in this process.

    It keeps what the manifest should say of each source (record, title, DOI, golden JSON)
    and the warnings found on the way (event counts that differ from the record's).
    """

    def __init__(self, config: AnalysisConfig, portal: Portal | None) -> None:
        self.config = config
        self.portal = portal
        self.records: dict[str, Record] = {}
        self.described: dict[str, dict[str, Any]] = {}
        self.warnings: list[str] = []

    def files(self, dataset: str) -> list[InputFile]:
        spec = self.config.datasets[dataset]
        if spec.record is None:
            return resolve_files(self.config, dataset)
        record, files = record_files(self.config, dataset, self.portal)
        self.records[dataset] = record
        self.described.setdefault(dataset, {}).update(
            record=record.recid,
            title=record.title,
            doi=record.doi,
            server=self.portal.server,
            number_events=record.number_events,
            files_in_record=len(record.files),
            files_used=len(files),
        )
        return files

    def lumimasks(self, datasets: list[str]) -> dict[str, Any]:
        """The golden-JSON mask of each data dataset: the YAML's, else its record's."""
        masks = {}
        for name in datasets:
            spec = self.config.datasets[name]
            if spec.kind != "data" or spec.lumimask is False:
                continue
            if isinstance(spec.lumimask, str):
                path, origin = self.config.resolve(spec.lumimask), spec.lumimask
            elif isinstance(spec.lumimask, PortalRef):
                path = golden_json(spec.lumimask.record, portal=self.portal)
                origin = f"record {spec.lumimask.record}"
            elif spec.record is not None and self._record(name).validated_runs:
                recid = self._record(name).validated_runs[0]
                path = golden_json(recid, portal=self.portal)
                origin = f"record {recid} (the validated runs record {spec.record} names)"
            else:
                continue
            masks[name] = load_mask(path, name)
            self.described.setdefault(name, {}).update(lumimask=origin, lumimask_file=str(path))
        return masks

    def _record(self, dataset: str) -> Record:
        if dataset not in self.records:
            self.files(dataset)
        return self.records[dataset]

    def check_events(self, records: list[FileRecord]) -> None:
        """Warn where a whole record's files hold other than the events the record states."""
        for name, record in self.records.items():
            if self.config.datasets[name].pick is not None or not record.number_events:
                continue
            found = sum(r.info.num_entries for r in records if r.dataset == name)
            if found != record.number_events:
                self.warnings.append(
                    f"dataset {name!r}: the files of record {record.recid} hold {found:,} "
                    f"events, the record states {record.number_events:,}"
                )


def _settings(base: Execution, **overrides: Any) -> Execution:
    given = {k: v for k, v in overrides.items() if v is not None}
    if given.get("scheduler") and "executor" not in given:
        given["executor"] = "dask"
    try:
        return Execution.model_validate({**base.model_dump(), **given})
    except Exception as err:  # pydantic's message, shortened for the command line
        raise OpenCoffeaError(f"invalid execution setting: {err}") from None


# ---------------------------------------------------------------------------- executors


@contextlib.contextmanager
def _executor(settings: Execution, status: bool) -> Iterator[Any]:
    """Yield a factory of configured coffea executors; a dask client lives as long as it."""
    if settings.executor == "iterative":
        yield lambda desc, unit: IterativeExecutor(status=status, desc=desc, unit=unit)
    elif settings.executor == "futures":
        # One pool for the pre-pass and the event loop: starting workers (importing coffea,
        # compiling numba kernels) costs seconds, and each executor call would start its own.
        with loky.ProcessPoolExecutor(max_workers=settings.workers) as pool:
            yield lambda desc, unit: FuturesExecutor(
                status=status, desc=desc, unit=unit, workers=settings.workers, pool=pool
            )
    else:
        with _dask_client(settings) as client:
            yield lambda desc, unit: DaskExecutor(
                client=client, status=status, desc=desc, unit=unit, retries=0
            )


@contextlib.contextmanager
def _dask_client(settings: Execution) -> Iterator[Any]:
    from distributed import Client, LocalCluster

    if settings.scheduler:
        try:
            client = Client(settings.scheduler, timeout="30s")
        except OSError as err:
            raise OpenCoffeaError(
                f"cannot reach the dask scheduler at {settings.scheduler}: {err}"
            ) from None
        with client:
            yield client
        return
    # Workers are processes with one thread each: NanoEvents and numba hold the GIL.
    with (
        LocalCluster(
            n_workers=settings.workers,
            threads_per_worker=1,
            processes=True,
            host="127.0.0.1",
            dashboard_address=None,
        ) as cluster,
        Client(cluster) as client,
    ):
        yield client


def _call(executor: Any, items: list[Any], function: Any, empty: Any) -> Any:
    """Run ``function`` on every item and add up the results (executors differ on 0 items)."""
    if not items:
        return empty
    result, _ = executor(items, function, empty)
    return result


class _OpenFiles:
    """The files one process keeps open between its chunks (the last few, by use).

    Opening a file for every chunk would read its TTree metadata again each time, tens of
    milliseconds a chunk; chunks of one file mostly follow each other, so a handful is enough.
    """

    def __init__(self, size: int = 4) -> None:
        self.size = size
        self._files: OrderedDict[str, Any] = OrderedDict()

    def get(self, path: str) -> Any:
        if path in self._files:
            self._files.move_to_end(path)
            return self._files[path]
        file = self._files[path] = open_file(path)
        while len(self._files) > self.size:
            self._files.popitem(last=False)[1].close()
        return file

    def discard(self, path: str) -> None:
        file = self._files.pop(path, None)
        if file is not None:
            file.close()

    def close_all(self) -> None:
        while self._files:
            self._files.popitem()[1].close()


_OPEN_FILES = _OpenFiles()


# ---------------------------------------------------------------------------- pre-pass


def _prepass(files: list[InputFile], executor: Any) -> list[FileRecord]:
    """Open every file once: its tree, entries, flavour, and Runs sums (in input order).

    It runs on the executor of the event loop: on thousands of remote files it is a real
    cost. What it learns of a file with a known checksum (a portal file) is cached, so a
    second run of the same files opens none of them before the event loop.
    """
    known = {i: _cached_record(f) for i, f in enumerate(files) if f.checksum}
    indexed = [(i, f) for i, f in enumerate(files) if known.get(i) is None]
    scanned = _call(executor, indexed, _scan_file, [])
    for index, record, _ in scanned:
        if record is not None and files[index].checksum:
            _cache_record(files[index], record)
    scanned += [(i, record, None) for i, record in known.items() if record is not None]
    scanned.sort(key=lambda item: item[0])
    errors = [error for _, _, error in scanned if error is not None]
    if errors:
        raise (
            InputFileError(errors[0][0], errors[0][1])
            if len(errors) == 1
            else OpenCoffeaError(
                f"{len(errors)} input files cannot be used:\n"
                + "\n".join(f"  {path}: {problem}" for path, problem in errors)
            )
        )
    return [record for _, record, _ in scanned]


def _record_cache_path(input_file: InputFile) -> Path:
    key = hashlib.sha256(f"{input_file.path}\n{input_file.checksum}".encode()).hexdigest()
    return cache_dir("prepass") / f"{key[:32]}.json"


def _cached_record(input_file: InputFile) -> FileRecord | None:
    try:
        data = json.loads(_record_cache_path(input_file).read_text())
        return FileRecord(
            input_file.dataset,
            FileInfo(**data["info"]),
            RunSums(**data["sums"]) if data["sums"] else None,
        )
    except (OSError, ValueError, TypeError, KeyError):
        return None  # absent or unreadable: scan the file again


def _cache_record(input_file: InputFile, record: FileRecord) -> None:
    data = {"info": asdict(record.info), "sums": asdict(record.sums) if record.sums else None}
    write_atomic(_record_cache_path(input_file), json.dumps(data))


def _scan_file(item: tuple[int, InputFile]) -> list[tuple[int, FileRecord | None, Any]]:
    index, input_file = item
    try:
        # kept open: the chunks of this file that this process gets will need it again
        file = _OPEN_FILES.get(input_file.path)
        info = describe(file, input_file.path, input_file.treename)
        sums = read_run_sums(file)
        return [(index, FileRecord(input_file.dataset, info, sums), None)]
    except InputFileError as err:
        _OPEN_FILES.discard(input_file.path)
        return [(index, None, (err.path, err.problem + (f" ({err.hint})" if err.hint else "")))]
    except Exception as err:  # anything else a file can throw at uproot
        _OPEN_FILES.discard(input_file.path)
        return [(index, None, (input_file.path, f"cannot be read: {err!r}"))]


def _chunks(
    records: list[FileRecord], chunksize: int, max_chunks: int | None
) -> tuple[list[Chunk], list[dict[str, Any]]]:
    """Split files into chunks of at most ``chunksize`` entries, in file order.

    With ``max_chunks``, each dataset keeps its first chunks and the rest are listed as
    unread, so the run can say exactly what it left out.
    """
    chunks: list[Chunk] = []
    unread: list[dict[str, Any]] = []
    taken: dict[str, int] = {}
    for record in records:
        n = record.info.num_entries
        for start in range(0, n, chunksize):
            chunk = Chunk(record.dataset, record.info, start, min(start + chunksize, n))
            if max_chunks is not None and taken.get(record.dataset, 0) >= max_chunks:
                unread.append(_describe_chunk(chunk))
                continue
            taken[record.dataset] = taken.get(record.dataset, 0) + 1
            chunks.append(chunk)
    return chunks, unread


def _describe_chunk(chunk: Chunk) -> dict[str, Any]:
    return {
        "dataset": chunk.dataset,
        "file": chunk.info.path,
        "entry_start": chunk.entry_start,
        "entry_stop": chunk.entry_stop,
        "events": chunk.events,
    }


# ---------------------------------------------------------------------------- processing


def _process(chunks: list[Chunk], processor: Processor, executor: Any) -> Output:
    payload = cloudpickle.dumps(processor)
    output = _call(executor, chunks, _ChunkFunction(payload), processor.new_output())
    fatal = [f for f in output.failures if f.get("fatal")]
    if fatal:  # the error itself travelled back: raise it here, naming where it happened
        error = fatal[0]["fatal"]
        error.args = (f"{error}\n  (in {fatal[0]['file']})",)
        raise error
    return output


class _ChunkFunction:
    """Process one chunk with the processor sent as bytes (unpickled once per process)."""

    _cache: dict[str, Processor] = {}  # noqa: RUF012 - a per-process cache, on purpose

    def __init__(self, payload: bytes) -> None:
        self.payload = payload
        self.key = hashlib.sha256(payload).hexdigest()

    def processor(self) -> Processor:
        if self.key not in self._cache:
            self._cache[self.key] = cloudpickle.loads(self.payload)
        return self._cache[self.key]

    def __call__(self, chunk: Chunk) -> Output:
        processor = self.processor()
        info = chunk.info
        try:
            events = events_from(
                _OPEN_FILES.get(info.path),
                info,
                entry_start=chunk.entry_start,
                entry_stop=chunk.entry_stop,
                metadata={"dataset": chunk.dataset},  # file and entry range: events_from's
            )
            return processor.process(events)
        except Exception as err:
            _OPEN_FILES.discard(info.path)  # a retry, or the next chunk, opens it afresh
            output = processor.new_output()
            record = _describe_chunk(chunk)
            record["error"] = f"{type(err).__name__}: {err}"
            record["traceback"] = "".join(traceback.format_exception(err)[-3:])
            # the same in every chunk (a misuse of out, corrections that cannot apply)
            stops = isinstance(err, OpenCoffeaError) and err.stops_run
            record["fatal"] = err.with_traceback(None) if stops else None
            output.failures.append(record)
            return output


def _notes(output: Output) -> list[str]:
    """The notes of the chunks, once each, by dataset (for the run's warnings)."""
    notes = sorted(output.notes.items())
    return [f"{dataset}: {note}" for dataset, texts in notes for note in sorted(texts)]


def _check_accounting(output: Output, chunks: list[Chunk]) -> None:
    """Events read + events in failed chunks must be the events of the chunks, per file."""
    expected: dict[str, int] = {}
    for chunk in chunks:
        expected[chunk.info.path] = expected.get(chunk.info.path, 0) + chunk.events
    seen = {path: tally.events for path, tally in output.files.items()}
    for failure in output.failures:
        seen[failure["file"]] = seen.get(failure["file"], 0) + failure["events"]
    for path, events in expected.items():
        if seen.get(path, 0) != events:
            raise RuntimeError(
                f"internal error: {path}: {seen.get(path, 0)} events accounted for, "
                f"{events} expected; please report this"
            )
