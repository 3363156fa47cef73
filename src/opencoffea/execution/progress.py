"""A loop's progress on the terminal: one bar a step (the pre-pass, the chunks), and notes.

Notes (a worker died, waiting for workers) are printed as lines above the bar, so that
they stay in a log where no bar is drawn. Everything goes to standard error, as the
command's other messages; with ``status=False`` nothing is shown at all.

Example:
    >>> with Progress("Processing", "chunk", total=3, status=False) as bar:
    ...     bar.advance()
    ...     bar.note("a worker process died: 2 chunks run again")  # only with status
"""

from __future__ import annotations

from types import TracebackType

from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    TextColumn,
    TimeElapsedColumn,
    TimeRemainingColumn,
)
from rich.progress import Progress as RichProgress

__all__ = ["Progress"]


class Progress:
    """A bar of ``total`` items of ``unit`` (``chunk``, ``file``) under ``description``."""

    def __init__(self, description: str, unit: str, total: int, status: bool) -> None:
        self._bar: RichProgress | None = None
        if status:
            self._bar = RichProgress(
                TextColumn("{task.description}"),
                BarColumn(),
                MofNCompleteColumn(),
                TextColumn(f"{unit}s"),
                TimeElapsedColumn(),
                TextColumn("eta"),
                TimeRemainingColumn(),
                console=Console(stderr=True, highlight=False),
            )
            self._task = self._bar.add_task(description, total=total)

    def __enter__(self) -> Progress:
        if self._bar is not None:
            self._bar.start()
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        if self._bar is not None:
            self._bar.stop()

    def advance(self) -> None:
        """One more item done."""
        if self._bar is not None:
            self._bar.advance(self._task)

    def note(self, text: str) -> None:
        """A line above the bar."""
        if self._bar is not None:
            self._bar.console.print(text, soft_wrap=True)
