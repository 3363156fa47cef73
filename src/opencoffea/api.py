"""The Python API's run, for notebooks and scripts: :func:`run`, and :func:`save`.

:func:`run` takes what a person has at hand in a notebook: the YAML file's path or a loaded
configuration, and the processor as a class written in a cell, as ``"file.py:Class"``, or
the one the YAML names. It returns the :class:`~opencoffea.results.Result` that
:func:`~opencoffea.results.load_result` gives back from disk; with ``output=``, the result
is also written there as ``opencoffea run`` writes it (:func:`save`, which the command
calls too). The engine is :func:`opencoffea.execution.run`; this module only prepares its
arguments and writes what it returns.

Example:
    >>> import awkward as ak, opencoffea
    >>> class Pairs(opencoffea.Processor):
    ...     def analyze(self, events, out):
    ...         out.cut("two muons", ak.num(events.Muon) == 2)
    ...         mu = out.select(events.Muon)
    ...         out.fill("mass", mass=(mu[:, 0] + mu[:, 1]).mass)
    >>> result = opencoffea.run("configs/dimuon_quick.yaml", Pairs, status=False)
    >>> result.cutflow()["DoubleMuon"][-1].cut, result.config.processor.endswith(":Pairs")
    ('two muons', True)
"""

from __future__ import annotations

import inspect
import os
from pathlib import Path
from typing import Any

from .config import AnalysisConfig, load_config
from .errors import OpenCoffeaError
from .execution import run as execute
from .processor import Processor, load_processor, processor_spec
from .results import Result, RunLock, write_result
from .util import choices

__all__ = ["run", "save"]

# What a run takes besides the configuration and the processor: the engine's keywords.
_SETTINGS = tuple(
    name
    for name in inspect.signature(execute).parameters
    if name not in ("config", "processor_class")
)


def run(
    config: str | os.PathLike[str] | AnalysisConfig,
    processor: type[Processor] | str | None = None,
    *,
    output: str | os.PathLike[str] | None = None,
    **overrides: Any,
) -> Result:
    """Run an analysis; its :class:`~opencoffea.results.Result`, normalised histograms and all.

    ``config`` is a YAML file's path or a configuration (:func:`~opencoffea.load_config`).
    ``processor`` is a :class:`~opencoffea.Processor` subclass (a notebook cell's, which
    travels to futures and dask workers by value), a ``"file.py:Class"`` string (the path
    from the working directory; the file is imported again when it has changed, so an edit
    takes effect on the next run), or None for the YAML's ``processor:``; a processor given
    so is what the result's configuration records. ``overrides`` are the settings of
    :func:`opencoffea.execution.run` (``executor``, ``workers``, ``scheduler``,
    ``chunksize``, ``max_chunks``, ``status``, ...).

    With ``output``, the result and its plots are written to that directory as ``opencoffea
    run`` writes them (:func:`save`); the directory is checked, and locked against other
    runs, before any event is read.

    Example:
        >>> import opencoffea, tempfile
        >>> directory = f"{tempfile.mkdtemp()}/dimuon"
        >>> result = opencoffea.run("configs/dimuon_quick.yaml", output=directory,
        ...                         status=False, executor="iterative")
        >>> sorted(p.name for p in (result.directory / "plots").iterdir())
        ['mass.json', 'mass.pdf', 'mass.png']
        >>> opencoffea.run("configs/dimuon_quick.yaml", executr="futures")
        ... # doctest: +ELLIPSIS
        Traceback (most recent call last):
        ...
        opencoffea.errors.OpenCoffeaError: run() has no setting 'executr' (did you mean 'executor'?); settings: executor, workers, ...
    """  # noqa: E501 - the error is one line
    for name in overrides:
        if name not in _SETTINGS:
            raise OpenCoffeaError(
                f"run() has no setting {name!r}" + choices(name, _SETTINGS, "settings")
            )
    if not isinstance(config, AnalysisConfig):
        config = load_config(Path(config))
    cls = None
    if processor is not None:
        cls = load_processor(config, processor)
        config = config.model_copy(update={"processor": processor_spec(cls)})
    if output is None:
        return execute(config, processor_class=cls, **overrides)
    with RunLock(output):  # an output that cannot be written is an error now, not in an hour
        result = execute(config, processor_class=cls, **overrides)
        save(result, output)
    return result


def save(result: Result, directory: str | os.PathLike[str] | None = None) -> list[Path]:
    """Write a result as ``opencoffea run`` does; the paths of its figures (PNG).

    ``histograms.root``, ``manifest.json`` and ``processed_lumis/`` are written beside the
    directory and moved in whole (:func:`~opencoffea.results.write_result`), then the plots
    go to ``plots/``: those of the YAML, else a quick look at each histogram, each a PNG
    with its PDF and JSON beside it. ``directory`` defaults to the configuration's
    (``results/<name>``); it is locked against other runs until the plots are in.

    Example:
        >>> import tempfile
        >>> from opencoffea import load_config, load_result
        >>> result = run(load_config("configs/dimuon_quick.yaml"), status=False)
        >>> [path.name for path in save(result, f"{tempfile.mkdtemp()}/dimuon")]
        ['mass.png']
        >>> load_result(result.directory).summary() == result.summary()
        True
    """
    from .plotting import plot_result  # matplotlib: imported when something is drawn

    directory = Path(directory) if directory is not None else result.config.output_dir()
    with RunLock(directory):
        write_result(result, directory)
        # every chunk failed (a run with --keep-going): the result says so; nothing to draw
        written = plot_result(result) if result.events_processed else []
    return [path for path in written if path.suffix == ".png"]
