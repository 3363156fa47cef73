"""A histogram of a result reduced to the groups of a plot: nominal, categories selected or
summed, the datasets of each group added up in a fixed order.

The numbers of the figures and of the yields tables both come from here, so a yield is
always what a figure shows.

Example:
    >>> from opencoffea.config import Plot
    >>> plot_roles(Plot(stack=["ZZ"], data="Data"))
    {'ZZ': 'stack', 'Data': 'data'}
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any, TypeAlias, cast

import hist
import numpy as np

from ..config import AnalysisConfig, Plot
from ..errors import PlotError
from ..util import NOMINAL, choices
from .plottable import Plottable

__all__ = [
    "GroupHistogram",
    "check_groups",
    "group_histograms",
    "group_members",
    "plot_roles",
    "reduce_histogram",
]


@dataclass
class GroupHistogram:
    """One plot group of one histogram, nominal, after selection: in-range values and
    variances over the bin edges, and the under/overflow apart as (value, variance).

    Example:
        >>> g = GroupHistogram("Data", "data", np.array([0.0, 1, 2]), np.array([3.0, 4]),
        ...                    np.array([3.0, 4]))
        >>> g.total, g.total_variance
        (7.0, 7.0)
    """

    group: str
    kind: str  # "stack", "signal" or "data" ("mc" in a yields table for unplotted groups)
    edges: np.ndarray
    values: np.ndarray
    variances: np.ndarray
    datasets: tuple[str, ...] = ()
    underflow: tuple[float, float] = (0.0, 0.0)
    overflow: tuple[float, float] = (0.0, 0.0)

    @property
    def total(self) -> float:
        """The yield: the sum of the in-range bins.

        Example:
            >>> zz = GroupHistogram("ZZ", "stack", np.array([70.0, 73, 76]),
            ...                     np.array([1.5, 2.5]), np.array([0.2, 0.3]), overflow=(4.0, 1.0))
            >>> zz.total  # the overflow is not counted: a yield is what the figure shows
            4.0
        """
        return float(self.values.sum())

    @property
    def total_variance(self) -> float:
        """The yield's variance (Σw² of the in-range bins).

        Example:
            >>> zz = GroupHistogram("ZZ", "stack", np.array([70.0, 73, 76]),
            ...                     np.array([1.5, 2.5]), np.array([0.2, 0.3]))
            >>> zz.total_variance
            0.5
        """
        return float(self.variances.sum())

    def as_dict(self) -> dict[str, Any]:
        """The group as it is written to a plot's JSON.

        Example:
            >>> zz = GroupHistogram("ZZ", "stack", np.array([70.0, 73, 76]),
            ...                     np.array([1.5, 2.5]), np.array([0.2, 0.3]), ("ZZTo4L",))
            >>> zz.as_dict()  # doctest: +NORMALIZE_WHITESPACE
            {'kind': 'stack', 'datasets': ['ZZTo4L'], 'edges': [70.0, 73.0, 76.0],
             'values': [1.5, 2.5], 'variances': [0.2, 0.3], 'yield': 4.0, 'yield_variance': 0.5,
             'underflow': {'value': 0.0, 'variance': 0.0},
             'overflow': {'value': 0.0, 'variance': 0.0}}
        """
        return {
            "kind": self.kind,
            "datasets": list(self.datasets),
            "edges": self.edges.tolist(),
            "values": self.values.tolist(),
            "variances": self.variances.tolist(),
            "yield": self.total,
            "yield_variance": self.total_variance,
            "underflow": dict(zip(("value", "variance"), self.underflow, strict=True)),
            "overflow": dict(zip(("value", "variance"), self.overflow, strict=True)),
        }


def group_members(result: Plottable, config: AnalysisConfig | None = None) -> dict[str, list[str]]:
    """The datasets of the result in each plot group, in the result's order.

    A dataset's group is the one ``config`` gives it (so another YAML can regroup), else the
    one it had in the run.

    Example:
        >>> from opencoffea import load_result
        >>> group_members(load_result(higgs4l_demo))["Data"]
        ['DoubleMuParked', 'DoubleElectron']
    """
    config = config or result.config
    members: dict[str, list[str]] = {}
    for dataset, record in result.manifest["inputs"].items():
        if dataset in config.datasets:
            group = config.group_of(dataset)
        else:
            group = record.get("group") or dataset
        members.setdefault(group, []).append(dataset)
    return members


def group_histograms(
    result: Plottable,
    histogram: str,
    groups: dict[str, str],
    select: dict[str, str] | None = None,
    config: AnalysisConfig | None = None,
) -> dict[str, GroupHistogram]:
    """Sum the datasets of each group (``{group: kind}``), nominal, selecting categories.

    Category axes not in ``select`` are summed over their declared categories.

    Example:
        >>> from opencoffea import load_result
        >>> result = load_result(higgs4l_demo)
        >>> select = {"channel": "4mu"}
        >>> g = group_histograms(result, "m4l", {"Data": "data"}, select)
        >>> g["Data"].total
        72.0
    """
    members = group_members(result, config)
    check_groups(groups, members)
    reduced, axis, _ = reduce_histogram(result, histogram, select or {})
    edges = np.asarray(axis.edges, dtype=float)
    present = set(reduced.axes["dataset"])
    out = {}
    for group, kind in groups.items():
        datasets = tuple(d for d in members[group] if d in present)
        values, variances = np.zeros(axis.size), np.zeros(axis.size)
        under, over = np.zeros(2), np.zeros(2)
        for dataset in datasets:  # in a fixed order: the sums are the same in every run
            one = _select(reduced, {"dataset": hist.loc(dataset)})
            values = values + one.values()
            variances = variances + one.variances()
            flow_under, flow_over = _flows(one)
            under, over = under + flow_under, over + flow_over
        out[group] = GroupHistogram(
            group, kind, edges, values, variances, datasets, _pair(under), _pair(over)
        )
    return out


def reduce_histogram(
    result: Plottable, histogram: str, select: dict[str, str], systematic: str | None = NOMINAL
) -> tuple[hist.Hist, Any, list[str]]:
    """The histogram at the nominal variation with categories selected or summed.

    Returns it (axes: dataset, the numeric axis), its numeric axis and the summed axes.
    ``systematic=None`` keeps the systematic axis (axes: dataset, systematic, numeric).
    Every way the histogram cannot be a figure or a yields table is a :class:`PlotError`.

    Example:
        >>> from opencoffea import load_result
        >>> result = load_result(higgs4l_demo)
        >>> _, axis, summed = reduce_histogram(result, "m4l", {})
        >>> axis.name, summed
        ('m4l', ['channel'])
    """
    h = result.histograms.get(histogram)
    if h is None:
        raise PlotError(
            f"the result has no histogram {histogram!r}"
            + choices(histogram, result.histograms, "histograms")
        )
    if NOMINAL not in list(h.axes["systematic"]):
        raise PlotError(f"histogram {histogram!r} has no {NOMINAL!r} variation in this result")
    user_axes = list(h.axes)[2:]
    categories = {
        a.name: [str(c) for c in a] for a in user_axes if isinstance(a, hist.axis.StrCategory)
    }
    numeric = [a for a in user_axes if not isinstance(a, hist.axis.StrCategory)]
    if len(numeric) != 1:
        names = ", ".join(a.name for a in numeric) or "none"
        raise PlotError(
            f"histogram {histogram!r} has {len(numeric)} numeric axes ({names}); a plot or "
            "a yields table needs exactly one (book a 1D histogram for it)"
        )
    for name, value in select.items():
        if name not in categories:
            raise PlotError(
                f"histogram {histogram!r} has no category axis {name!r} to select"
                + choices(name, categories, "category axes")
            )
        if value not in categories[name]:
            raise PlotError(
                f"axis {name!r} of histogram {histogram!r} has no category {value!r}"
                + choices(value, categories[name], "categories")
            )
    index: dict[int | str, Any] = {} if systematic is None else {"systematic": hist.loc(systematic)}
    summed = [name for name in categories if name not in select]
    for name in categories:
        # slice(0, len, sum): the declared categories only, not the overflow of others
        index[name] = hist.loc(select[name]) if name in select else slice(0, len, sum)
    return _select(h, index), numeric[0], summed


# The histograms of a result hold weighted sums. hist's types cannot tell that an index
# which leaves an axis selects a histogram, not one bin: the selections here say so.
_Weighted: TypeAlias = "hist.Hist[hist.storage.Weight]"


def _select(h: hist.Hist, index: Mapping[int | str, Any]) -> _Weighted:
    """``h[index]`` for an index that leaves at least one axis: a histogram, not a bin."""
    return cast(_Weighted, h[index])


def _pair(values: np.ndarray) -> tuple[float, float]:
    """(value, variance) as the numbers a :class:`GroupHistogram` keeps."""
    return float(values[0]), float(values[1])


def _flows(one: _Weighted) -> tuple[np.ndarray, np.ndarray]:
    """(value, variance) of the underflow and of the overflow of a 1D histogram."""
    traits = one.axes[0].traits
    view = one.view(flow=True)
    none = np.zeros(2)
    under = np.array([view.value[0], view.variance[0]]) if traits.underflow else none
    over = np.array([view.value[-1], view.variance[-1]]) if traits.overflow else none
    return under, over


def check_groups(groups: Iterable[str], members: dict[str, list[str]]) -> None:
    """A :class:`PlotError` for the first of ``groups`` that no dataset of the result is in.

    Example:
        >>> check_groups(["ZZ"], {"ZZ": ["ZZTo4L"], "Data": ["DoubleMu"]})
        >>> try:
        ...     check_groups(["Z"], {"ZZ": ["ZZTo4L"]})
        ... except PlotError as err:
        ...     print(err)
        no dataset of the result is in group 'Z' (did you mean 'ZZ'?); groups: ZZ
    """
    for group in groups:
        if group not in members:
            raise PlotError(
                f"no dataset of the result is in group {group!r}"
                + choices(group, members, "groups")
            )


def plot_roles(plot: Plot) -> dict[str, str]:
    """``{group: kind}`` of a plot, in drawing order: stack, signal, data.

    Example:
        >>> from opencoffea.config import Plot
        >>> plot_roles(Plot(data="Data", signal=["H"], stack=["ZZ", "tt"]))
        {'ZZ': 'stack', 'tt': 'stack', 'H': 'signal', 'Data': 'data'}
    """
    kinds = {g: "stack" for g in plot.stack} | {g: "signal" for g in plot.signal}
    if plot.data:
        kinds[plot.data] = "data"
    return kinds
