"""Exactly what a plot shows, as written to ``<plot>.json`` beside its figures.

For each group its kind, datasets, colour, bin edges, values and variances, its yield and the
yield's variance, and the under/overflow apart; the same for the sum of the stack. Where the plot
has an uncertainty band (:mod:`~opencoffea.plotting.band`), ``band`` holds its edges (``down``,
``up`` per bin, around the stack and its signals), its systematic shifts and statistical
uncertainty, and each simulated group its own systematic shifts (``syst_down``, ``syst_up``).

Example:
    >>> FORMAT
    'opencoffea-plot/1'
"""

from __future__ import annotations

from typing import Any

import numpy as np

from ..config import AnalysisConfig, Plot
from ..errors import PlotError
from ..util import NOMINAL
from .band import plot_band
from .colours import plot_colours
from .groups import GroupHistogram, group_histograms, plot_roles, reduce_histogram
from .labels import annotation_places
from .plottable import Plottable
from .quicklook import plot_named

__all__ = ["FORMAT", "numbers_from_groups", "plot_groups", "plot_numbers", "stack_total"]

FORMAT = "opencoffea-plot/1"


def plot_numbers(
    result: Plottable, name: str, config: AnalysisConfig | None = None
) -> dict[str, Any]:
    """Exactly what plot ``name`` shows, as written to ``<name>.json``.

    Example:
        >>> from opencoffea import load_result
        >>> numbers = plot_numbers(load_result(higgs4l_demo), "m4l")
        >>> numbers["groups"]["Data"]["kind"], numbers["stack_total"]["groups"]
        ('data', ['ZZ → 4ℓ'])
        >>> numbers["groups"]["Data"]["yield"], numbers["summed"]
        (185.0, ['channel'])
    """
    config = config or result.config
    plot = plot_named(result, config, name)
    return numbers_from_groups(result, config, name, plot, plot_groups(result, config, name, plot))


def plot_groups(
    result: Plottable, config: AnalysisConfig, name: str, plot: Plot
) -> dict[str, GroupHistogram]:
    """The groups plot ``name`` draws, with a mistake named after the plot.

    Example:
        >>> from opencoffea import load_result
        >>> result = load_result(higgs4l_demo)
        >>> config = result.config
        >>> list(plot_groups(result, config, "m4l", config.plots["m4l"]))
        ['ZZ → 4ℓ', 'm_H = 125 GeV', 'Data']
    """
    try:
        return group_histograms(
            result, plot.histogram or name, plot_roles(plot), plot.select, config
        )
    except PlotError as err:
        raise PlotError(f"plot {name!r}: {err}") from None


def numbers_from_groups(
    result: Plottable,
    config: AnalysisConfig,
    name: str,
    plot: Plot,
    groups: dict[str, GroupHistogram],
) -> dict[str, Any]:
    """What :func:`plot_numbers` gives, from the groups :func:`plot_groups` gave (so that a
    figure and its JSON share one computation).

    Example:
        >>> from opencoffea import load_result
        >>> result = load_result(higgs4l_demo)
        >>> config, plot = result.config, result.config.plots["m4l"]
        >>> groups = plot_groups(result, config, "m4l", plot)
        >>> numbers_from_groups(result, config, "m4l", plot, groups)["summed"]
        ['channel']
    """
    histogram = plot.histogram or name
    _, axis, summed = reduce_histogram(result, histogram, plot.select)
    stack = stack_total(groups, plot)
    colours = plot_colours(plot)
    edges = np.asarray(axis.edges, dtype=float)
    entries = {g: {**h.as_dict(), "color": colours[g]} for g, h in groups.items()}
    band = plot_band(result, config, name, plot, groups)
    if band is not None:
        for group in (*plot.stack, *plot.signal):  # each group's own systematic shifts
            alone = plot_band(result, config, name, plot, groups, only=group)
            assert alone is not None  # the plot's band has sources: the group's too
            entries[group].update(
                syst_down=alone.syst_down.tolist(), syst_up=alone.syst_up.tolist()
            )
    return {
        "format": FORMAT,
        "plot": name,
        "quick_look": name not in config.plots,
        "histogram": histogram,
        "systematic": NOMINAL,
        "select": dict(plot.select),
        "summed": summed,
        "axis": {"name": axis.name, "label": axis.label},
        "edges": np.asarray(axis.edges, dtype=float).tolist(),
        "flow": "values and yields are in-range bins; under/overflow are given apart",
        "groups": entries,
        "stack_total": {
            "groups": list(plot.stack),
            "values": stack.values.tolist(),
            "variances": stack.variances.tolist(),
            "yield": stack.total,
            "yield_variance": stack.total_variance,
        },
        "band": None if band is None else {"groups": [*plot.stack, *plot.signal], **band.as_dict()},
        "annotations": annotation_places(plot, edges, _heights(groups, plot, stack)),
    }


def _heights(groups: dict[str, GroupHistogram], plot: Plot, stack: GroupHistogram) -> np.ndarray:
    """The top of what is drawn in each bin: stack, signals on it, data and its error."""
    tops = [stack.values, *(stack.values + groups[g].values for g in plot.signal)]
    if plot.data:
        data = groups[plot.data].values
        tops.append(data + np.sqrt(np.maximum(data, 0)))
    return np.max(tops, axis=0)


def stack_total(groups: dict[str, GroupHistogram], plot: Plot) -> GroupHistogram:
    """The sum of the stacked groups, added bottom to top as they are drawn.

    Example:
        >>> from opencoffea.config import Plot
        >>> edges = np.array([0.0, 1, 2])
        >>> groups = {
        ...     "ZZ": GroupHistogram("ZZ", "stack", edges, np.array([1.0, 2]), np.array([1.0, 4])),
        ...     "H": GroupHistogram("H", "signal", edges, np.array([5.0, 5]), np.array([5.0, 5])),
        ... }
        >>> stack_total(groups, Plot(stack=["ZZ"], signal=["H"])).values
        array([1., 2.])
    """
    any_group = next(iter(groups.values()))
    values, variances = np.zeros_like(any_group.values), np.zeros_like(any_group.values)
    for group in plot.stack:  # bottom to top, as drawn
        values = values + groups[group].values
        variances = variances + groups[group].variances
    return GroupHistogram("stack", "stack", any_group.edges, values, variances)
