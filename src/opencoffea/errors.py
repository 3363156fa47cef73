"""The errors opencoffea raises for a user's mistake or bad input.

Every error here is meant to be shown to a person as it is: it names the file, the
line or branch, what was found and what to do. The CLI prints them without a
traceback (DESIGN invariant 3); anything else escaping is a bug in opencoffea.

Example:
    >>> raise InputFileError("data/x.root", "has no tree 'Events'", hint="trees: Runs")
    Traceback (most recent call last):
    ...
    opencoffea.errors.InputFileError: data/x.root: has no tree 'Events' (trees: Runs)
"""

from __future__ import annotations


class OpenCoffeaError(Exception):
    """Base class of the errors that are the user's to fix, shown without traceback."""


class ConfigError(OpenCoffeaError):
    """A YAML configuration that is not valid: the message names file, line and key."""


class InputFileError(OpenCoffeaError):
    """A ROOT file that cannot be used, naming the file and what is wrong with it."""

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


class PortalError(OpenCoffeaError):
    """The CERN Open Data portal cannot give what was asked; the message names server and record.

    An unknown record, a portal that cannot be reached, an answer that is not a record, a
    download whose checksum does not match: each says what to do (--server, --refresh, retry).
    """
