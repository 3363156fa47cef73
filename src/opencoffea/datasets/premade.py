"""Pre-made histograms as the input of a dataset, instead of events.

Some published open-data results end with histogram files made by CMS software: the
2011–2012 H→4ℓ example (portal records 5500/5501) combines them with fixed
normalisations. A dataset with ``read:`` takes its histograms from such files; they are
then normalised, grouped, stacked and plotted exactly like histograms filled from events.

``read:`` maps a histogram of the analysis to a path in the files, or, for a histogram with
a category axis, each category value to a path::

    read: {m4l: {channel: {4mu: demo/mass4mu_8TeV_low, 2e2mu: demo/mass2mu2e_8TeV_low}}}

This module reads: each histogram comes back as it is in the file (edges, values and sums
of squared weights with the under/overflow) with where it was found and where it goes.
Booking it as the YAML says, checking the binning edge by edge and adding up several
files is the run's (:mod:`opencoffea.execution.premade`), so that datasets needs nothing
of the histograms.

Example:
    >>> import tempfile
    >>> from opencoffea.config import parse_config
    >>> path = f"{tempfile.mkdtemp()}/zz.root"
    >>> with uproot.recreate(path) as file:  # a histogram file, as CMS software writes them
    ...     file["demo/mass4mu"] = np.histogram([91.0, 125.0, 126.0], bins=4, range=(70, 180))
    >>> config = parse_config(f'''
    ... name: premade
    ... luminosity: 11580
    ... datasets:
    ...   ZZ: {{files: [{path}], read: {{m4l: demo/mass4mu}}, kind: mc, xsec: 0.077, sumw: 1.0}}
    ... histograms: {{m4l: {{axes: [{{name: m4l, bins: 4, start: 70, stop: 180}}]}}}}
    ... ''')
    >>> (zz,) = read_premade(config, "ZZ", [path])  # a PremadeHistogram per path and file
    >>> zz.input.path, zz.input.histogram, zz.input.integral
    ('demo/mass4mu', 'm4l', 3.0)
    >>> zz.edges.tolist(), zz.values.tolist()  # the values with under- and overflow
    ([70.0, 97.5, 125.0, 152.5, 180.0], [0.0, 1.0, 0.0, 2.0, 0.0, 0.0])
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import uproot

from ..config import AnalysisConfig, CategoryAxis
from ..errors import InputFileError

__all__ = ["PremadeHistogram", "PremadeInput", "premade_paths", "read_premade"]


@dataclass(frozen=True)
class PremadeInput:
    """One histogram read from one file: where, into which slot, and its integral.

    ``categories`` are the (axis, value) of the slot; ``entries`` is the file's count
    (NaN where it has none), ``integral`` the sum of the values, flow bins included.

    Example:
        >>> read = PremadeInput("ZZ", "zz.root", "demo/mass4mu_8TeV_low", "m4l",
        ...                     (("channel", "4mu"),), 12.0, 3.94)
        >>> dict(read.categories)
        {'channel': '4mu'}
    """

    dataset: str
    file: str
    path: str
    histogram: str
    categories: tuple[tuple[str, str], ...]
    entries: float
    integral: float


@dataclass(frozen=True)
class PremadeHistogram:
    """One 1D histogram as read: its provenance, and its edges, values and variances.

    ``values`` and ``variances`` include the under- and overflow bins, first and last.
    """

    input: PremadeInput
    edges: np.ndarray
    values: np.ndarray
    variances: np.ndarray


def premade_paths(read: dict[str, Any]) -> list[tuple[str, dict[str, str], str]]:
    """``read:`` flattened into (histogram, {axis: value}, path in the file).

    Example:
        >>> premade_paths({"m4l": {"channel": {"4mu": "demo/a"}}, "x": "demo/x"})
        [('m4l', {'channel': '4mu'}, 'demo/a'), ('x', {}, 'demo/x')]
    """
    out: list[tuple[str, dict[str, str], str]] = []
    for histogram, where in read.items():
        if isinstance(where, str):
            out.append((histogram, {}, where))
            continue
        for axis, by_value in where.items():
            for value, path in by_value.items():
                out.append((histogram, {axis: value}, path))
    return out


def read_premade(config: AnalysisConfig, dataset: str, files: list[str]) -> list[PremadeHistogram]:
    """Every histogram ``read:`` names for ``dataset``, from each of its files, in order."""
    spec = config.datasets[dataset]
    read = []
    for path in files:
        try:
            file = uproot.open(path)
        except Exception as err:  # uproot's errors for a missing, partial or foreign file
            raise InputFileError(path, f"cannot be opened as a ROOT file: {err}") from None
        with file:
            for histogram, categories, inner in premade_paths(spec.read or {}):
                stored = _get(file, path, inner)
                _check_dimensions(config, histogram, path, inner)
                values = stored.values(flow=True)
                provenance = PremadeInput(
                    dataset,
                    path,
                    inner,
                    histogram,
                    tuple(categories.items()),
                    float(getattr(stored, "member", lambda _: np.nan)("fEntries")),
                    float(values.sum()),
                )
                edges = stored.axis().edges(flow=False)
                read.append(
                    PremadeHistogram(provenance, edges, values, stored.variances(flow=True))
                )
    return read


def _get(file: uproot.ReadOnlyDirectory, path: str, inner: str) -> Any:
    try:
        stored = file[inner]
    except KeyError:
        available = [k.split(";")[0] for k, c in file.classnames().items() if c.startswith("TH")]
        raise InputFileError(
            path, f"has no histogram {inner!r}", hint=f"histograms: {', '.join(available)}"
        ) from None
    if not hasattr(stored, "values") or not hasattr(stored, "axes") or len(stored.axes) != 1:
        raise InputFileError(path, f"{inner!r} is not a one-dimensional histogram")
    return stored


def _check_dimensions(config: AnalysisConfig, name: str, path: str, inner: str) -> None:
    numeric = [a for a in config.histograms[name].axes if not isinstance(a, CategoryAxis)]
    if len(numeric) != 1:
        raise InputFileError(
            path, f"{inner!r} is 1D, histogram {name!r} has {len(numeric)} numeric axes"
        )
