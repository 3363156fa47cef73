"""Pre-made histograms into the output of a run, like histograms filled from events.

:func:`~opencoffea.datasets.premade.read_premade` reads them as they are in their files;
here each is checked against the binning the YAML books (edge by edge) and added into its
slot: the dataset, the nominal variation and its category values. Values, sums of squared
weights and the under/overflow are copied as they are; several files add up.

Example:
    >>> read = read_premade(config, "ZZ4mu_2012", ["ZZ4mu12.root"])  # doctest: +SKIP
    >>> output = premade_output(config, "ZZ4mu_2012", read)           # doctest: +SKIP
    >>> m4l = output.histograms["m4l"]                                 # doctest: +SKIP
    >>> m4l[{"dataset": "ZZ4mu_2012", "channel": "4mu"}].sum()        # doctest: +SKIP
"""

from __future__ import annotations

from typing import Any

import numpy as np

from ..config import AnalysisConfig, CategoryAxis
from ..datasets.premade import PremadeHistogram
from ..errors import InputFileError
from ..histograms import book_one
from ..output import Output
from ..util import NOMINAL

__all__ = ["premade_output"]


def premade_output(config: AnalysisConfig, dataset: str, read: list[PremadeHistogram]) -> Output:
    """The histograms of one ``read:`` dataset, booked as the YAML says, summed over files."""
    # the dataset and the nominal variation booked up front: the slots are then filled directly
    output = Output(
        histograms={
            name: book_one(h, datasets=[dataset], systematics=[NOMINAL])
            for name, h in config.histograms.items()
        }
    )
    for histogram in read:
        where = histogram.input
        target = output.histograms[where.histogram]
        _check_binning(histogram, target, config)
        _add_into(target, histogram, dataset, dict(where.categories))
    return output


def _check_binning(histogram: PremadeHistogram, target: Any, config: AnalysisConfig) -> None:
    where = histogram.input
    spec = config.histograms[where.histogram]
    (numeric,) = [a for a in spec.axes if not isinstance(a, CategoryAxis)]  # read checked it
    edges, booked = histogram.edges, target.axes[numeric.name].edges
    if len(edges) != len(booked) or not np.allclose(edges, booked, rtol=1e-9, atol=1e-9):
        raise InputFileError(
            where.file,
            f"{where.path!r} has {len(edges) - 1} bins from {edges[0]:g} to {edges[-1]:g}; "
            f"histogram {where.histogram!r} is booked with {len(booked) - 1} from "
            f"{booked[0]:g} to {booked[-1]:g}",
            hint="book the histogram with the binning of the file",
        )


def _add_into(
    target: Any, histogram: PremadeHistogram, dataset: str, categories: dict[str, str]
) -> None:
    """Add a 1D histogram (with flow) into the slot of ``target`` for dataset/categories."""
    fixed = {"dataset": dataset, "systematic": NOMINAL, **categories}
    slot = tuple(
        target.axes[axis.name].index(fixed[axis.name]) if axis.name in fixed else slice(None)
        for axis in target.axes
    )
    view = target.view(flow=True)
    view.value[slot] += histogram.values
    view.variance[slot] += histogram.variances
