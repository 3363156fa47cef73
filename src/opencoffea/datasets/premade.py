"""Pre-made histograms as the input of a dataset, instead of events.

Some published open-data results end with histogram files made by CMS software: the
2011–2012 H→4ℓ example (portal records 5500/5501) combines them with fixed
normalisations. A dataset with ``read:`` takes its histograms from such files; they are
then normalised, grouped, stacked and plotted exactly like histograms filled from events.

``read:`` maps a histogram of the analysis to a path in the files, or, for a histogram with
a category axis, each category value to a path::

    read: {m4l: {channel: {4mu: demo/mass4mu_8TeV_low, 2e2mu: demo/mass2mu2e_8TeV_low}}}

The binning in the file must be the binning booked in the YAML (checked, edge by edge);
values, sums of squared weights and the under/overflow are copied as they are. Where a
dataset has several files, their histograms add up.

Example:
    >>> output = read_premade(config, "ZZ4mu_2012", ["ZZ4mu12.root"])  # doctest: +SKIP
    >>> output.histograms["m4l"][{"dataset": "ZZ4mu_2012", "channel": "4mu"}].sum()
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import uproot

from ..config import AnalysisConfig, CategoryAxis
from ..errors import InputFileError
from ..histograms import book_one
from ..output import Output
from ..util import NOMINAL

__all__ = ["PremadeInput", "premade_paths", "read_premade"]


@dataclass(frozen=True)
class PremadeInput:
    """One histogram read from one file: where, into which slot, and its integral."""

    dataset: str
    file: str
    path: str
    histogram: str
    categories: tuple[tuple[str, str], ...]
    entries: float
    integral: float


def premade_paths(read: dict[str, Any]) -> list[tuple[str, dict[str, str], str]]:
    """``read:`` flattened into (histogram, {axis: value}, path in the file).

    Example:
        >>> premade_paths({"m4l": {"channel": {"4mu": "demo/a"}}, "x": "demo/x"})
        [('m4l', {'channel': '4mu'}, 'demo/a'), ('x', {}, 'demo/x')]
    """
    out = []
    for histogram, where in read.items():
        if isinstance(where, str):
            out.append((histogram, {}, where))
            continue
        for axis, by_value in where.items():
            for value, path in by_value.items():
                out.append((histogram, {axis: value}, path))
    return out


def read_premade(
    config: AnalysisConfig, dataset: str, files: list[str]
) -> tuple[Output, list[PremadeInput]]:
    """The histograms of one ``read:`` dataset, booked as the YAML says, summed over files."""
    spec = config.datasets[dataset]
    # the dataset and the nominal variation booked up front: the slots are then filled directly
    output = Output(
        histograms={
            name: book_one(h, datasets=[dataset], systematics=[NOMINAL])
            for name, h in config.histograms.items()
        }
    )
    records = []
    for path in files:
        try:
            file = uproot.open(path)
        except Exception as err:  # uproot's errors for a missing, partial or foreign file
            raise InputFileError(path, f"cannot be opened as a ROOT file: {err}") from None
        with file:
            for histogram, categories, inner in premade_paths(spec.read or {}):
                stored = _get(file, path, inner)
                target = output.histograms[histogram]
                _check_binning(stored, target, config, histogram, path, inner)
                _add_into(target, stored, dataset, categories)
                records.append(
                    PremadeInput(
                        dataset,
                        path,
                        inner,
                        histogram,
                        tuple(categories.items()),
                        float(getattr(stored, "member", lambda _: np.nan)("fEntries")),
                        float(stored.values(flow=True).sum()),
                    )
                )
    return output, records


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


def _check_binning(
    stored: Any, target: Any, config: AnalysisConfig, name: str, path: str, inner: str
) -> None:
    numeric = [a for a in config.histograms[name].axes if not isinstance(a, CategoryAxis)]
    if len(numeric) != 1:
        raise InputFileError(
            path, f"{inner!r} is 1D, histogram {name!r} has {len(numeric)} numeric axes"
        )
    edges = stored.axis().edges(flow=False)
    booked = target.axes[numeric[0].name].edges
    if len(edges) != len(booked) or not np.allclose(edges, booked, rtol=1e-9, atol=1e-9):
        raise InputFileError(
            path,
            f"{inner!r} has {len(edges) - 1} bins from {edges[0]:g} to {edges[-1]:g}; "
            f"histogram {name!r} is booked with {len(booked) - 1} from {booked[0]:g} to "
            f"{booked[-1]:g}",
            hint="book the histogram with the binning of the file",
        )


def _add_into(target: Any, stored: Any, dataset: str, categories: dict[str, str]) -> None:
    """Add a 1D ROOT histogram (with flow) into the slot of ``target`` for dataset/categories."""
    fixed = {"dataset": dataset, "systematic": NOMINAL, **categories}
    slot = tuple(
        target.axes[axis.name].index(fixed[axis.name]) if axis.name in fixed else slice(None)
        for axis in target.axes
    )
    view = target.view(flow=True)
    view.value[slot] += stored.values(flow=True)
    view.variance[slot] += stored.variances(flow=True)
