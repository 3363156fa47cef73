"""Fileset → pre-pass → chunks → the loop → merged output → :class:`~opencoffea.results.Result`.

The chunks run on a loop of our own (:mod:`.loop`) over one of three backends (this
process, a pool of processes, dask workers: :mod:`.executors`): it collects each chunk's
output in the driver as it completes, and survives dead workers, transient read errors
and Ctrl-C. The chunk function is ours rather than coffea ``Runner``'s, for three reasons
that are invariants of this project:

- each file is opened with the schema of its own flavour (``Runner`` has one per run);
- a chunk that fails becomes a failure *record* (file, entries, error) in the output,
  so events read + events in failed chunks = events in the input, always, where
  ``Runner`` can only raise or skip with a warning;
- the pre-pass that learns the entries of each file also reads its normalisation sums,
  NanoAOD flavour and clusters (where chunks should end), in the same single opening.

One module a step: :mod:`.executors` (the backends, started and stopped), :mod:`.loop`
(the driver's loop), :mod:`.prepass`, :mod:`.chunking`, :mod:`.checkpoint` (finished
chunks kept, for resuming), :mod:`.processing` (the chunk function, accounting) and
:mod:`.premade` (pre-made histograms into the output); :func:`run` here calls them in
order.

Example:
    >>> from opencoffea import load_config
    >>> config = load_config("configs/dimuon_demo.yaml")
    >>> result = run(config, executor="futures", workers=2)  # doctest: +SKIP
    >>> result.events_processed  # doctest: +SKIP
    400000
"""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from ..chunks import ChunkRange
from ..config import AnalysisConfig, Execution
from ..datasets.premade import PremadeInput, read_premade
from ..datasets.sources import Sources
from ..errors import Interrupted, OpenCoffeaError
from ..histograms import book
from ..output import Output
from ..processor import Processor, load_processor
from ..results import ExecutionRecord, FileRecord, Result
from ..results.records import RetriedChunk
from .checkpoint import Checkpoint, RunKey
from .chunking import Chunk, split
from .executors import executors
from .loop import Loop
from .openfiles import OPEN_FILES
from .premade import premade_output
from .prepass import SmallFiles, prepass
from .processing import ChunkResult, check_accounting, chunk_function, notes, process

__all__ = ["run"]


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
    checkpoint: str | Path | None = None,
    resume: bool = False,
    processor_class: type[Processor] | None = None,
    keep_going: bool = False,
) -> Result:
    """Run the analysis of ``config``; keyword arguments override its ``execution:`` block.

    ``server`` is the CERN Open Data portal for ``record:`` datasets (else the YAML's
    ``portal:``, else ``OPENCOFFEA_PORTAL``, else opendata.cern.ch); ``refresh`` asks it
    again for records already in the cache. ``status`` shows progress bars.
    ``keep_going`` runs every chunk even when the first ones fail the same way in the
    processor's code (else a :class:`~opencoffea.errors.ProcessorError` stops the run).
    Ctrl-C stops the run with :class:`~opencoffea.errors.Interrupted`.

    With ``checkpoint`` (a directory, :func:`~.checkpoint.checkpoint_dir` of the result's),
    each finished chunk is kept there as it completes; with ``resume`` too, the chunks kept
    by an earlier run of the same analysis are taken from there and only the others are
    processed. Remove it with :func:`~.checkpoint.discard` once the result is written.

    ``processor_class`` is the processor to run instead of the one ``processor:`` names
    (:func:`~opencoffea.processor.load_processor` of a class or a ``file.py:Class``).
    """
    if resume and checkpoint is None:
        raise OpenCoffeaError("run(resume=True) needs the checkpoint directory to resume from")
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
    unread: list[ChunkRange] = []
    output = Output(histograms=book(config.histograms))
    corrections: list[dict[str, Any]] = []
    retried: tuple[RetriedChunk, ...] = ()
    sources = Sources(config, server, refresh, status=status)
    elapsed = 0.0  # reading and processing; starting and stopping workers is set-up
    resumed = 0
    ran: set[Chunk] = set()  # chunks the pre-pass ran
    store: Checkpoint | None = None
    if with_events:
        processor = (processor_class or load_processor(config))(
            config, lumimasks=sources.lumimasks(with_events)
        )
        if processor.corrector is not None:
            corrections = processor.corrector.provenance()
        if checkpoint is not None:
            key = RunKey.of(config, processor)
            store = Checkpoint.open(checkpoint, key, settings.chunksize, resume=resume)
            settings = settings.model_copy(update={"chunksize": store.chunksize})
        files = [f for name in with_events for f in sources.files(name)]
        reading: Loop | None = None
        events: Loop | None = None
        try:
            with executors(settings) as backend:

                def loop(description: str, unit: str) -> Loop:
                    return Loop(
                        backend,
                        description,
                        unit,
                        status=status,
                        retries=settings.retries,
                        worker_timeout=settings.worker_timeout,
                    )

                started = time.perf_counter()
                function = chunk_function(processor, settings.retries)
                # A file that is one chunk processed with its scan (see .prepass), unless
                # only some chunks are to run (--max-chunks) or some are kept from before.
                small = (
                    None
                    if settings.max_chunks is not None or resume
                    else SmallFiles(
                        function,
                        settings.chunksize,
                        done=_keeper(store),
                        data=frozenset(n for n in with_events if config.datasets[n].kind == "data"),
                    )
                )
                reading = loop("Reading files", "file")
                found = prepass(files, reading, small)
                scans = found.scans
                sources.check_kinds(
                    (s.record.dataset, s.record.info.path, s.record.info.is_data) for s in scans
                )
                chunks, unread = split(scans, settings.chunksize, settings.max_chunks)
                # (without resume, what the checkpoint holds is what this run has just kept)
                remaining, output = (
                    store.completed(chunks) if store and resume else (chunks, Output())
                )
                resumed = len(chunks) - len(remaining)
                ran = {chunk for chunk, _ in found.processed}
                if not ran <= set(remaining):
                    raise RuntimeError("internal error: the pre-pass ran a chunk not the run's")
                remaining = [chunk for chunk in remaining if chunk not in ran]
                events = loop("Processing", "chunk")
                done = store.save if store else None
                output += process(
                    remaining,
                    processor,
                    events,
                    done=done,
                    keep_going=keep_going,
                    function=function,
                    completed=found.processed,
                )
                elapsed = time.perf_counter() - started
        except KeyboardInterrupt:
            if events is not None:
                counts = f": {resumed + len(ran) + events.done} of {len(chunks)} chunks done"
            elif reading is not None:
                counts = f": {reading.done} of {reading.total} files read"
            else:
                counts = ""
            raise Interrupted(f"interrupted{counts}") from None
        finally:
            OPEN_FILES.close_all()  # those this process kept open (the iterative executor's)
        retried = _retried(events.retried if events else [])
        records = [scan.record for scan in scans]
        output = processor.postprocess(output)
        check_accounting(output, chunks)
        sources.check_events(
            {n: sum(r.info.num_entries for r in records if r.dataset == n) for n in with_events}
        )
    premade: dict[str, list[PremadeInput]] = {}
    started = time.perf_counter()
    for name in config.datasets:
        if name not in with_events:
            read = read_premade(config, name, [f.path for f in sources.files(name)])
            premade[name] = [histogram.input for histogram in read]
            output = output + premade_output(config, name, read)
    elapsed += time.perf_counter() - started
    return Result.from_run(
        config,
        output,
        files=records,
        unread=unread,
        premade=premade,
        execution=ExecutionRecord(settings, len(chunks), round(elapsed, 3), resumed, retried),
        sources=sources.described,
        warnings=sources.warnings + (store.notes if store else []) + notes(output),
        corrections=corrections,
    )


def _keeper(store: Checkpoint | None) -> Callable[[Chunk, Any], None] | None:
    """What keeps a chunk the pre-pass ran in the checkpoint as soon as it is back
    (invariant 7)."""
    if store is None:
        return None

    def keep(chunk: Chunk, value: Any) -> None:
        if isinstance(value, ChunkResult):
            store.save(chunk, value.output)

    return keep


def _retried(notes: list[tuple[Chunk, str]]) -> tuple[RetriedChunk, ...]:
    """One record a chunk that ran again: how many times, and why (each reason once)."""
    reasons: dict[Chunk, list[str]] = {}
    for chunk, reason in notes:
        reasons.setdefault(chunk, []).append(reason)
    return tuple(
        RetriedChunk(
            chunk.dataset,
            chunk.info.path,
            chunk.entry_start,
            chunk.entry_stop,
            len(why),
            "; ".join(dict.fromkeys(why)),
        )
        for chunk, why in reasons.items()
    )


def _settings(base: Execution, **overrides: Any) -> Execution:
    given = {k: v for k, v in overrides.items() if v is not None}
    if given.get("scheduler") and "executor" not in given:
        given["executor"] = "dask"
    try:
        return Execution.model_validate({**base.model_dump(), **given})
    except Exception as err:  # pydantic's message, shortened for the command line
        raise OpenCoffeaError(f"invalid execution setting: {err}") from None
