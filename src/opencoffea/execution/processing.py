"""The event loop: each chunk through the processor, failures kept as records.

A chunk that raises becomes a :class:`~opencoffea.chunks.FailedChunk` in its output, so
that events read + events in failed chunks = events in the input, always
(:func:`check_accounting` verifies it after the merge). Errors travel back from workers as
values, never as exceptions, so no executor prints a traceback for a user's bad input; an
error that would repeat in every chunk (a misuse of ``out``) travels back as itself and is
raised in the main process.

Example:
    >>> output = process(chunks, processor, make("Processing", "chunk"))  # doctest: +SKIP
    >>> check_accounting(output, chunks)                                   # doctest: +SKIP
"""

from __future__ import annotations

import hashlib
import traceback
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import cloudpickle

from ..chunks import FailedChunk
from ..errors import OpenCoffeaError
from ..events import events_from
from ..output import Output
from ..processor import Processor
from .chunking import Chunk
from .executors import call
from .openfiles import OPEN_FILES

__all__ = ["check_accounting", "notes", "process"]


def process(
    chunks: list[Chunk],
    processor: Processor,
    executor: Any,
    done: Callable[[Chunk, Output], None] | None = None,
) -> Output:
    """The merged output of every chunk; a run-stopping error is raised here, as itself.

    ``done(chunk, output)`` is called for each chunk as it finishes (to keep it in a
    checkpoint), where the chunk ran: coffea's executors hand back only the merged total.
    """
    payload = cloudpickle.dumps(processor)
    function: Callable[[Chunk], Output] = _ChunkFunction(payload)
    if done is not None:
        function = _ThenDone(function, done)
    output = call(executor, chunks, function, processor.new_output())
    fatal = [f for f in output.failures if f.fatal is not None]
    if fatal:  # the error itself travelled back: raise it here, naming where it happened
        error = fatal[0].fatal
        error.args = (f"{error}\n  (in {fatal[0].file})",)
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
                OPEN_FILES.get(info.path),
                info,
                entry_start=chunk.entry_start,
                entry_stop=chunk.entry_stop,
                metadata={"dataset": chunk.dataset},  # file and entry range: events_from's
            )
            return processor.process(events)
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
                    traceback="".join(traceback.format_exception(err)[-3:]),
                    fatal=err.with_traceback(None) if stops else None,
                )
            )
            return output


@dataclass(frozen=True)
class _ThenDone:
    """A chunk function, then ``done`` with the chunk and its output."""

    function: Callable[[Chunk], Output]
    done: Callable[[Chunk, Output], None]

    def __call__(self, chunk: Chunk) -> Output:
        output = self.function(chunk)
        self.done(chunk, output)
        return output


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
