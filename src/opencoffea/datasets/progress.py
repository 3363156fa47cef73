"""Progress bars of what a run does before it reads an event: generating synthetic samples,
asking the portal for a record's files. Each can take long enough (half a minute for the
demo's samples) that a silent terminal or notebook cell looks stuck.

The bars are rich's, on standard error (a widget in a notebook); in a log, where nothing
can be redrawn, each is written once, when it is done.

Example:
    >>> with progress_bar("counting", 3, show=False) as advance:  # no bar: nothing printed
    ...     for _ in range(3):
    ...         advance(1)
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterator

from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    ProgressColumn,
    TextColumn,
    TimeElapsedColumn,
)

__all__ = ["progress_bar"]


@contextlib.contextmanager
def progress_bar(
    description: str, total: int | None, show: bool = True
) -> Iterator[Callable[[int], None]]:
    """A bar while the block runs, if ``show``; yields ``advance(amount)``.

    ``total`` None is a task whose size is unknown (a bar that pulses until it is done).

    Example:
        >>> import io
        >>> from unittest import mock
        >>> with mock.patch("sys.stderr", io.StringIO()) as stderr:  # a log, not a terminal
        ...     with progress_bar("generating dy_mumu", 20_000) as advance:
        ...         advance(20_000)
        >>> "generating dy_mumu" in stderr.getvalue(), "20000/20000" in stderr.getvalue()
        (True, True)
    """
    if not show:
        yield lambda amount: None
        return
    columns: list[ProgressColumn] = [TextColumn("{task.description}"), BarColumn()]
    if total is not None:
        columns.append(MofNCompleteColumn())
    columns.append(TimeElapsedColumn())
    with Progress(*columns, console=Console(stderr=True)) as progress:
        task = progress.add_task(description, total=total)
        yield lambda amount: progress.advance(task, amount)
        if total is None:  # done: a full bar, not a pulse
            progress.update(task, total=1, completed=1)
