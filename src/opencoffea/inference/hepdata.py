"""A HEPData record of a result's plots, made with hepdata_lib and validated with
hepdata-validator before it is written.

One table per plot (``hepdata: plots:``, default all), from exactly the numbers of the plot's
JSON (:func:`~opencoffea.plotting.plot_numbers`): the bins of its axis (name and unit from the
axis label, ``$m_{4\\ell}$ [GeV]``), then the data with its statistical uncertainty (√N), each
stacked or signal group and the total prediction with their statistical (√Σw²) and, where the
plot has a band, systematic uncertainties (the band's shifts, asymmetric). Every variable
carries √s (``hepdata: sqrt_s``) and the luminosity as qualifiers. Images of the plots only
when asked for (they need ImageMagick, as hepdata_lib makes thumbnails with it).

hepdata_lib writes the submission's archive into the current directory: the record is made in
a directory of its own beside the target, validated there, and moved in whole; the archive
to upload goes beside the record's directory (``hepdata.tar.gz``).

Example:
    >>> from opencoffea import load_result
    >>> path = write_hepdata(load_result(higgs4l_demo))
    >>> path.name, sorted(p.name for p in path.iterdir())[:3]
    ('hepdata', ['m4l.yaml', 'm4l_2e2mu.yaml', 'm4l_4e.yaml'])
"""

from __future__ import annotations

import contextlib
import io
import itertools
import os
import shutil
import uuid
from pathlib import Path
from typing import Any

import numpy as np

from ..config import AnalysisConfig, HEPDataConfig
from ..errors import InferenceError
from ..plotting import plot_numbers
from ..plotting.labels import split_unit
from ..results import Result
from .extra import stats_module

__all__ = ["ARCHIVE", "archive_of", "hepdata_submission", "write_hepdata"]

ARCHIVE = "submission.tar.gz"
"""The name hepdata_lib gives the archive HEPData takes."""


def archive_of(directory: Path) -> Path:
    """The archive written beside a record's directory: ``hepdata`` → ``hepdata.tar.gz``.

    Example:
        >>> archive_of(Path("results/x/hepdata")).as_posix()
        'results/x/hepdata.tar.gz'
    """
    return directory.with_name(f"{directory.name}.tar.gz")


def hepdata_submission(result: Result, config: AnalysisConfig | None = None) -> Any:
    """The ``hepdata_lib.Submission`` of the plots (not written, not validated yet).

    Example:
        >>> from opencoffea import load_result
        >>> submission = hepdata_submission(load_result(higgs4l_demo))
        >>> [t.name for t in submission.tables][:2]
        ['m4l', 'm4l_4mu']
    """
    lib = stats_module("hepdata_lib")
    config = config or result.config
    settings = config.hepdata
    if settings is None:
        raise InferenceError(
            f"the configuration of {config.name!r} has no 'hepdata:' section: give at least "
            "sqrt_s (GeV)"
        )
    submission = lib.Submission()
    submission.comment = settings.comment
    for name in settings.plots or list(config.plots):
        submission.add_table(_table(lib, plot_numbers(result, name, config), settings, config))
    return submission


def write_hepdata(
    result: Result,
    directory: str | Path | None = None,
    config: AnalysisConfig | None = None,
    images: bool = False,
) -> Path:
    """Write the validated record into ``directory`` (default ``<result>/hepdata``): the
    tables' YAML files and ``submission.yaml``; the archive to upload beside it
    (:func:`archive_of`). Returns the directory."""
    if directory is None:
        if result.directory is None:
            raise InferenceError("the result is not written to a directory: give one for HEPData")
        directory = result.directory / "hepdata"
    directory = Path(directory).resolve()
    submission = hepdata_submission(result, config)
    staging = directory.with_name(f".{directory.name}.{uuid.uuid4().hex[:8]}.part")
    staging.mkdir(parents=True)
    try:
        if images:
            _add_images(result, config or result.config, submission, staging)
        record = staging / "record"
        here = Path.cwd()
        os.chdir(staging)  # hepdata_lib writes its archive into the current directory
        try:
            # and prints a line for each bin without uncertainties (an empty bin): not news
            with contextlib.redirect_stdout(io.StringIO()):
                submission.create_files(str(record), validate=False)
        finally:
            os.chdir(here)
        _validate(staging / ARCHIVE)
        if directory.exists():
            shutil.rmtree(directory)
        record.rename(directory)
        # beside the directory, not in it: a record's directory holds its YAML files only
        os.replace(staging / ARCHIVE, archive_of(directory))
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    return directory


def _table(
    lib: Any, numbers: dict[str, Any], settings: HEPDataConfig, config: AnalysisConfig
) -> Any:
    """One plot's table: its bins, the data, each group and the total prediction."""
    table = lib.Table(numbers["plot"])
    selected = ", ".join(f"{k} = {v}" for k, v in numbers["select"].items())
    table.description = (
        f"Histogram {numbers['histogram']}"
        + (f" ({selected})" if selected else "")
        + ": data, the predicted groups and their sum, as the figure shows them."
    )
    table.location = f"Figure {numbers['plot']}"
    table.keywords["cmenergies"] = settings.sqrt_s
    if settings.reactions:
        table.keywords["reactions"] = settings.reactions
    name, unit = split_unit(numbers["axis"]["label"] or numbers["axis"]["name"])
    edges = numbers["edges"]
    axis = lib.Variable(name, is_independent=True, is_binned=True, units=unit)
    axis.values = list(itertools.pairwise(edges))
    table.add_variable(axis)
    for group, entry in numbers["groups"].items():
        syst = (entry["syst_down"], entry["syst_up"]) if "syst_up" in entry else None
        stat = np.sqrt(entry["variances"]).tolist()
        table.add_variable(_variable(lib, group, entry["values"], stat, syst, settings, config))
    band = numbers["band"]
    if band is not None:
        syst = (band["syst_down"], band["syst_up"])
        total = _variable(
            lib, "Total prediction", band["values"], band["stat_error"], syst, settings, config
        )
        table.add_variable(total)
    return table


def _variable(
    lib: Any,
    name: str,
    values: list[float],
    stat_errors: list[float],
    syst: tuple[list[float], list[float]] | None,
    settings: HEPDataConfig,
    config: AnalysisConfig,
) -> Any:
    """A dependent variable with its uncertainties and qualifiers."""
    variable = lib.Variable(name, is_independent=False, is_binned=False, units="")
    variable.values = values
    stat = lib.Uncertainty("stat", is_symmetric=True)
    stat.values = stat_errors
    variable.add_uncertainty(stat)
    if syst is not None:
        uncertainty = lib.Uncertainty("syst", is_symmetric=False)
        uncertainty.values = list(zip(*syst, strict=True))
        variable.add_uncertainty(uncertainty)
    for energy in settings.sqrt_s:
        variable.add_qualifier("SQRT(S)", energy, "GeV")
    luminosity = settings.luminosity or (
        f"{config.luminosity / 1000:.3g} fb$^{{-1}}$" if config.luminosity else None
    )
    if luminosity:
        variable.add_qualifier("LUMINOSITY", luminosity)
    return variable


def _add_images(result: Result, config: AnalysisConfig, submission: Any, staging: Path) -> None:
    """Each table's figure (drawn anew, beside the record): hepdata_lib converts it with
    ImageMagick."""
    from ..plotting.figures import plot_result

    if shutil.which("convert") is None:
        raise InferenceError("images in a HEPData record need ImageMagick's convert: install it")
    plot_result(result, config, staging / "figures")
    for table in submission.tables:
        table.add_image(str(staging / "figures" / f"{table.name}.pdf"))


def _validate(archive: Path) -> None:
    """hepdata-validator on the whole archive; its messages in the error when not valid."""
    validator_module = stats_module("hepdata_validator.full_submission_validator")
    validator = validator_module.FullSubmissionValidator()
    if validator.validate(archive=str(archive)):
        return
    messages = [
        f"{Path(file).name}: {m.message}"
        for file, found in validator.get_messages().items()
        for m in found
    ]
    raise InferenceError("the HEPData record is not valid:\n" + "\n".join(messages))
