"""Every error opencoffea raises for a user's mistake or bad input, in one place.

Each error is meant to be shown to a person as it is: it names the file, the line or
branch, what was found and what to do. The CLI prints them without a traceback (DESIGN
invariant 3); anything else escaping is a bug in opencoffea.

Raised inside a chunk, an error either stops the run (:attr:`OpenCoffeaError.stops_run`:
the mistake would be the same in every chunk, such as a histogram name the YAML does not
book) or becomes a failure record of that chunk, and the run goes on (a file that cannot
be read). Anything that is not an :class:`OpenCoffeaError` is recorded per chunk.

Example:
    >>> raise InputFileError("data/x.root", "has no tree 'Events'", hint="trees: Runs")
    Traceback (most recent call last):
    ...
    opencoffea.errors.InputFileError: data/x.root: has no tree 'Events' (trees: Runs)
    >>> InputFileError.stops_run, AnalysisError.stops_run
    (False, True)
"""

from __future__ import annotations

from typing import ClassVar

__all__ = [
    "AnalysisError",
    "ConfigError",
    "CorrectionError",
    "InputFileError",
    "OpenCoffeaError",
    "PlotError",
    "PortalError",
    "ProcessorLoadError",
    "ResultError",
]


class OpenCoffeaError(Exception):
    """Base class of the errors that are the user's to fix, shown without traceback."""

    stops_run: ClassVar[bool] = True
    """Raised in a chunk: stop the run (True), or record the chunk as failed (False)."""


class ConfigError(OpenCoffeaError):
    """A YAML configuration that is not valid: the message names file, line and key."""


class InputFileError(OpenCoffeaError):
    """A ROOT file that cannot be used, naming the file and what is wrong with it.

    In a chunk it fails that chunk only: the other files of the run may be fine.
    """

    stops_run: ClassVar[bool] = False

    def __init__(self, path: str, problem: str, hint: str | None = None) -> None:
        self.path = str(path)
        self.problem = problem
        self.hint = hint
        message = f"{self.path}: {problem}"
        if hint:
            message += f" ({hint})"
        super().__init__(message)


class ProcessorLoadError(OpenCoffeaError):
    """The processor named in a configuration cannot be imported or is not a Processor."""


class AnalysisError(OpenCoffeaError):
    """A processor used ``out`` in a way that cannot work (a wrong name, a wrong length).

    Such a mistake is the same in every chunk, so it stops the run instead of being
    recorded chunk after chunk as a failure. An analysis raises it too, for a setting of
    its own that cannot work (an unknown channel in a dataset's metadata, say).
    """


class CorrectionError(OpenCoffeaError):
    """A payload or a correction that cannot be used as asked, with what to do.

    It stops the run: corrections that cannot apply to one chunk cannot apply to any.
    """


class PortalError(OpenCoffeaError):
    """The CERN Open Data portal cannot give what was asked; the message names server and record.

    An unknown record, a portal that cannot be reached, an answer that is not a record, a
    download whose checksum does not match: each says what to do (--server, --refresh, retry).
    """


class ResultError(OpenCoffeaError):
    """A result directory that cannot be read back: which file, and what is wrong with it."""


class PlotError(OpenCoffeaError):
    """A plot or yields table that cannot be made from this result: says which and why."""
