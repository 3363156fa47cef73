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
    "CheckpointError",
    "ClusterError",
    "ConfigError",
    "CorrectionError",
    "InferenceError",
    "InputFileError",
    "Interrupted",
    "OpenCoffeaError",
    "PlotError",
    "PortalError",
    "ProcessorError",
    "ProcessorLoadError",
    "ResultError",
]


class OpenCoffeaError(Exception):
    """Base class of the errors that are the user's to fix, shown without traceback.

    Example:
        >>> try:
        ...     raise PlotError("no plot 'm4k' (did you mean 'm4l'?); plots: m4l")
        ... except OpenCoffeaError as err:  # what the CLI does: one line, no traceback
        ...     print(f"error: {err}")
        error: no plot 'm4k' (did you mean 'm4l'?); plots: m4l
    """

    stops_run: ClassVar[bool] = True
    """Raised in a chunk: stop the run (True), or record the chunk as failed (False)."""


class ConfigError(OpenCoffeaError):
    """A YAML configuration that is not valid: the message names file, line and key.

    Example:
        >>> from opencoffea.datasets.lumis import load_mask
        >>> load_mask("no/such/golden.json", "DoubleMuon")  # doctest: +NORMALIZE_WHITESPACE
        Traceback (most recent call last):
        ...
        opencoffea.errors.ConfigError: dataset 'DoubleMuon': lumimask file
        no/such/golden.json does not exist
    """


class InputFileError(OpenCoffeaError):
    """A ROOT file that cannot be used, naming the file and what is wrong with it.

    In a chunk it fails that chunk only: the other files of the run may be fine.

    Example:
        >>> err = InputFileError("data/x.root", "has no tree 'Events'", hint="trees: Runs")
        >>> err.path, err.problem, err.hint, err.stops_run
        ('data/x.root', "has no tree 'Events'", 'trees: Runs', False)
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
    """The processor named in a configuration cannot be imported or is not a Processor.

    Example:
        >>> ProcessorLoadError("processor: analyses/x.py has no class 'Higgs'").stops_run
        True
    """


class AnalysisError(OpenCoffeaError):
    """A processor used ``out`` in a way that cannot work (a wrong name, a wrong length).

    Such a mistake is the same in every chunk, so it stops the run instead of being
    recorded chunk after chunk as a failure. An analysis raises it too, for a setting of
    its own that cannot work (an unknown channel in a dataset's metadata, say).

    Example:
        >>> AnalysisError("out.fill: no histogram 'm4k' is booked").stops_run
        True
    """


class CorrectionError(OpenCoffeaError):
    """A payload or a correction that cannot be used as asked, with what to do.

    It stops the run: corrections that cannot apply to one chunk cannot apply to any.

    Example:
        >>> from opencoffea.corrections.payloads import payload_path
        >>> payload_path("no/payloads", "LUM", "2016postVFP_UL", "puWeights.json.gz")
        ... # doctest: +NORMALIZE_WHITESPACE
        Traceback (most recent call last):
        ...
        opencoffea.errors.CorrectionError: no payload
        no/payloads/POG/LUM/2016postVFP_UL/puWeights.json.gz: fetch the era's payloads
        (opencoffea corrections fetch ERA) or point corrections to a jsonpog-integration checkout
    """


class PortalError(OpenCoffeaError):
    """The CERN Open Data portal cannot give what was asked; the message names server and record.

    An unknown record, a portal that cannot be reached, an answer that is not a record, a
    download whose checksum does not match: each says what to do (--server, --refresh, retry).

    Example:
        >>> from opencoffea.datasets.portal import Portal
        >>> Portal("opendata.cern.ch")  # doctest: +NORMALIZE_WHITESPACE
        Traceback (most recent call last):
        ...
        opencoffea.errors.PortalError: portal server 'opendata.cern.ch' is not an http(s) URL;
        give one like https://opendata.cern.ch (--server URL or OPENCOFFEA_PORTAL)
    """


class ResultError(OpenCoffeaError):
    """A result directory that cannot be written or read back: which, and what is wrong.

    Example:
        >>> ResultError("results/x/manifest.json: not JSON").stops_run
        True
    """


class CheckpointError(OpenCoffeaError):
    """A run that cannot resume from its checkpoint, saying what changed since it was made,
    or a checkpoint that cannot be written.

    Example:
        >>> CheckpointError("cannot resume: the processor's code changed").stops_run
        True
    """


class PlotError(OpenCoffeaError):
    """A plot or yields table that cannot be made from this result: says which and why.

    Example:
        >>> from opencoffea.plotting.groups import check_groups
        >>> check_groups(["Z"], {"ZZ": ["ZZTo4mu"], "Data": ["DoubleMu"]})
        ... # doctest: +NORMALIZE_WHITESPACE
        Traceback (most recent call last):
        ...
        opencoffea.errors.PlotError: no dataset of the result is in group 'Z'
        (did you mean 'ZZ'?); groups: ZZ, Data
    """


class InferenceError(OpenCoffeaError):
    """A statistical model, fit or HEPData record that cannot be made from this result: says
    which section or name is wrong, and what there is to choose from.

    Example:
        >>> InferenceError("the configuration has no 'inference:' section").stops_run
        True
    """


class ProcessorError(OpenCoffeaError):
    """The processor's own code failed the same way in the first chunks of a run: a bug,
    which every other chunk would repeat, so the run stops there.

    The message names the file and line in the user's code, with a short traceback.

    Example:
        >>> ProcessorError("analyses/a.py, line 12, in analyze: ZeroDivisionError").stops_run
        True
    """


class ClusterError(OpenCoffeaError):
    """The dask cluster cannot run the work: no worker came in time, or the scheduler is gone.

    Example:
        >>> ClusterError("no dask workers at tcp://127.0.0.1:8786 for 60 s").stops_run
        True
    """


class Interrupted(OpenCoffeaError):
    """The run was interrupted (Ctrl-C): the workers are stopped, no result is written (the
    chunks finished by then are in the checkpoint, to resume from).

    The command line exits with status 130 (128 + SIGINT), as a shell does.

    Example:
        >>> print(Interrupted("interrupted: 3 of 10 chunks done"))
        interrupted: 3 of 10 chunks done
    """
