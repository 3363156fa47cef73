"""The event loop: each chunk through the processor, failures kept as records.

A chunk that raises becomes a :class:`~opencoffea.chunks.FailedChunk` in its output, so
that events read + events in failed chunks = events in the input, always
(:func:`check_accounting` verifies it after the merge). Errors travel back from workers as
values, never as exceptions, so no executor prints a traceback for a user's bad input; an
error that would repeat in every chunk (a misuse of ``out``) travels back as itself and is
raised in the main process.

The chunks run on :class:`~.loop.Loop` (which survives dead workers) and are added up in
the driver as each completes. A read error that passes is retried inside the chunk, with
back-off (:mod:`.failures`); the first chunks failing the same way in the user's code,
before any has succeeded, stop the run (:class:`~opencoffea.errors.ProcessorError`), unless
``keep_going``.

Example:
    >>> output = process(chunks, processor, Loop(backend, "Processing", "chunk"))  # doctest: +SKIP
    >>> check_accounting(output, chunks)                                           # doctest: +SKIP
"""

from __future__ import annotations

import hashlib
import itertools
import linecache
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

import cloudpickle

from ..chunks import FailedChunk
from ..errors import OpenCoffeaError, ProcessorError
from ..events import events_from
from ..output import Output
from ..processor import Processor
from .chunking import Chunk
from .failures import Where, backoff, describe, short_traceback, transient, where
from .loop import Crashed, Loop, Raised
from .openfiles import OPEN_FILES

__all__ = [
    "EARLY_STOP",
    "ChunkResult",
    "check_accounting",
    "chunk_function",
    "notes",
    "process",
]

EARLY_STOP = 3
"""The first chunks of a run that, all failing at the same place, stop it (see module)."""


def process(
    chunks: list[Chunk],
    processor: Processor,
    loop: Loop,
    *,
    done: Callable[[Chunk, Output], None] | None = None,
    keep_going: bool = False,
    function: Callable[[Chunk], Any] | None = None,
    completed: Iterable[tuple[Chunk, Any]] = (),
) -> Output:
    """The merged output of every chunk; a run-stopping error is raised here, as itself.

    ``function`` is the chunk function (:func:`chunk_function` of the processor, unless
    given); ``completed`` are chunks it has already run, with what it gave back (the
    pre-pass's files of one chunk), taken first as if the loop had run them (but not given to
    ``done``: whoever ran them has).
    ``done(chunk, output)`` is called in the driver for each chunk as it completes, failed
    ones too (their output holds the failure record). The read errors each chunk retried
    are noted in ``loop.retried``.
    """
    function = function or chunk_function(processor, loop.retries)
    completed = list(completed)
    total = processor.new_output()
    first: list[Where | None] | None = []  # where the first chunks failed, while none succeeded
    results = itertools.chain(completed, loop.results(chunks, function))
    for seen, (chunk, result) in enumerate(results, start=1):
        output, failed_at = _output_of(chunk, result, processor)
        for reason in result.retried if isinstance(result, ChunkResult) else ():
            loop.note_retry(chunk, reason)
        for failure in output.failures:
            if failure.fatal is not None:  # the error itself travelled back: raise it here
                failure.fatal.args = (f"{failure.fatal}\n  (in {failure.file})",)
                raise failure.fatal
        if first is not None:
            first = [*first, failed_at] if output.failures else None
        if first is not None and len(first) == EARLY_STOP:
            place = _same_bug(first)
            if place is not None and not keep_going and seen < len(completed) + len(chunks):
                raise ProcessorError(_stopped_early(place, output.failures[0]))
            first = None
        total = total + output
        if done is not None and seen > len(completed):
            done(chunk, output)
    return total


def chunk_function(processor: Processor, retries: int) -> Callable[[Chunk], ChunkResult]:
    """The function that runs a chunk through ``processor`` in any process, retrying a
    read error that passes at most ``retries`` times.

    The processor travels as bytes (cloudpickle, so that a class defined in a notebook
    travels too) and is unpickled once per process.

    Example:
        >>> from opencoffea import load_config
        >>> from opencoffea.processor import load_processor
        >>> config = load_config("configs/dimuon_demo.yaml")
        >>> function = chunk_function(load_processor(config)(config), retries=3)
        >>> function.retries
        3
    """
    return _ChunkFunction(cloudpickle.dumps(processor), retries)


def _output_of(
    chunk: Chunk, result: ChunkResult | Crashed | Raised, processor: Processor
) -> tuple[Output, Where | None]:
    """The output of a chunk, whatever came back, and where it failed if it did."""
    if isinstance(result, ChunkResult):
        return result.output, result.where
    output = processor.new_output()
    if isinstance(result, Crashed):
        error, trace, failed_at = (
            f"the worker process died each time it ran this chunk ({result.runs}× alone; "
            f"{result.reason})",
            "",
            None,
        )
    else:
        err = result.error
        error, trace, failed_at = f"{type(err).__name__}: {err}", short_traceback(err), where(err)
    output.failures.append(FailedChunk(**vars(chunk.range), error=error, traceback=trace))
    return output, failed_at


def _same_bug(first: list[Where | None]) -> Where | None:
    """Where the first chunks all failed, if at one place in code (not in reading a file)."""
    place = first[0]
    if place is None or place.error == "InputFileError" or first.count(place) < len(first):
        return None
    return place


def _stopped_early(place: Where, failure: FailedChunk) -> str:
    """What the run says when the first chunks failed the same way: where, and what to do.

    The line of code is read here if the worker could not (a remote one, without the file).
    """
    line = linecache.getline(place.file, place.line).strip()
    shown = f"\n    {line}" if line and line not in failure.traceback else ""
    return (
        f"the first {EARLY_STOP} chunks failed at the same place, and none succeeded: "
        f"{place}{shown}\n{failure.traceback}\n"
        "(the run stops there; --keep-going, or run(keep_going=True), runs every chunk anyway)"
    )


@dataclass(frozen=True)
class ChunkResult:
    """What a chunk gives back: its output, the read errors it retried on the way, and for
    a chunk that failed, where it failed (:func:`~.failures.where`).

    Example:
        >>> ChunkResult(Output(), retried=("TimeoutError: read timed out",)).where is None
        True
    """

    output: Output
    retried: tuple[str, ...] = ()
    where: Where | None = None


class _ChunkFunction:
    """Process one chunk with the processor sent as bytes (unpickled once per process)."""

    _cache: dict[str, Processor] = {}  # noqa: RUF012 - a per-process cache, on purpose

    def __init__(self, payload: bytes, retries: int) -> None:
        self.payload = payload
        self.key = hashlib.sha256(payload).hexdigest()
        self.retries = retries

    def processor(self) -> Processor:
        if self.key not in self._cache:
            self._cache[self.key] = cloudpickle.loads(self.payload)
        return self._cache[self.key]

    def __call__(self, chunk: Chunk) -> ChunkResult:
        """The chunk's result; a read error that passes is tried again, after a pause."""
        retried: list[str] = []
        while True:
            output, error = self.attempt(chunk)
            if error is not None and transient(error) and len(retried) < self.retries:
                retried.append(describe(error))
                time.sleep(backoff(len(retried)))
                continue
            return ChunkResult(output, tuple(retried), None if error is None else where(error))

    def attempt(self, chunk: Chunk) -> tuple[Output, Exception | None]:
        processor = self.processor()
        info = chunk.info
        try:
            events = events_from(
                OPEN_FILES.get(info.path, info.treename),
                info,
                entry_start=chunk.entry_start,
                entry_stop=chunk.entry_stop,
                metadata={"dataset": chunk.dataset},  # file and entry range: events_from's
            )
            return processor.process(events), None
        except Exception as err:
            OPEN_FILES.discard(info.path)  # a retry, or the next chunk, opens it afresh
            output = processor.new_output()
            # the same in every chunk (a misuse of out, corrections that cannot apply)
            stops = isinstance(err, OpenCoffeaError) and err.stops_run
            output.failures.append(
                FailedChunk(
                    chunk.dataset,
                    info.path,
                    chunk.entry_start,
                    chunk.entry_stop,
                    error=f"{type(err).__name__}: {err}",
                    traceback=short_traceback(err),
                    fatal=err.with_traceback(None) if stops else None,
                )
            )
            return output, err


def notes(output: Output) -> list[str]:
    """The notes of the chunks, once each, by dataset (for the run's warnings).

    Example:
        >>> notes(Output(notes={"DY": frozenset({"no eCorr: no electron scale"})}))
        ['DY: no eCorr: no electron scale']
    """
    by_dataset = sorted(output.notes.items())
    return [f"{dataset}: {note}" for dataset, texts in by_dataset for note in sorted(texts)]


def check_accounting(output: Output, chunks: list[Chunk]) -> None:
    """Events read + events in failed chunks must be the events of the chunks, per file."""
    expected: dict[str, int] = {}
    for chunk in chunks:
        expected[chunk.info.path] = expected.get(chunk.info.path, 0) + chunk.events
    seen = {path: tally.events for path, tally in output.files.items()}
    for failure in output.failures:
        seen[failure.file] = seen.get(failure.file, 0) + failure.events
    for path, events in expected.items():
        if seen.get(path, 0) != events:
            raise RuntimeError(
                f"internal error: {path}: {seen.get(path, 0)} events accounted for, "
                f"{events} expected; please report this"
            )
