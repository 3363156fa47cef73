"""The plots of a result: those of its YAML, else a quick look at each histogram.

A run whose YAML has no ``plots:`` still gets a figure of each histogram it can draw (one
numeric axis; category axes are summed): with one data group, the simulation's groups are
stacked under the data's points, the CMS way, with the uncertainty band a plot has by
default; with no data group, or several, every group is a line of its own (overlaid shapes,
nothing stacked, no band: they are not one prediction). A log-transformed axis is drawn on
a log scale. ``result.plot(name)`` draws any histogram so, whatever the YAML's plots.

Example:
    >>> from opencoffea import load_result
    >>> result = load_result(higgs4l_demo)
    >>> quick = quick_plot(result, result.config, "m4l")
    >>> quick.stack, quick.signal, quick.data
    (['m_H = 125 GeV', 'ZZ → 4ℓ'], [], 'Data')
"""

from __future__ import annotations

from ..config import AnalysisConfig, Plot, RegularAxis
from ..errors import PlotError
from ..util import choices
from .groups import group_members
from .plottable import Plottable

__all__ = ["drawn_plots", "plot_named", "quick_plot"]


def drawn_plots(result: Plottable, config: AnalysisConfig) -> dict[str, Plot]:
    """The plots a result gets: the ``plots:`` of ``config``, else a quick look at each
    histogram with one numeric axis.

    Example:
        >>> from opencoffea import load_result
        >>> result = load_result(higgs4l_demo)
        >>> list(drawn_plots(result, result.config))[:2]
        ['m4l', 'm4l_4mu']
        >>> list(drawn_plots(result, result.config.model_copy(update={"plots": {}})))
        ['m4l', 'mZ1', 'mZ2']
    """
    if config.plots:
        return dict(config.plots)
    return {
        name: quick_plot(result, config, name)
        for name, spec in config.histograms.items()
        if sum(axis.type != "category" for axis in spec.axes) == 1 and name in result.histograms
    }


def plot_named(result: Plottable, config: AnalysisConfig, name: str) -> Plot:
    """Plot ``name`` of the YAML, else a quick look at histogram ``name``.

    Example:
        >>> from opencoffea import load_result
        >>> result = load_result(higgs4l_demo)
        >>> plot_named(result, result.config, "m4l_4mu").select
        {'channel': '4mu'}
        >>> plot_named(result, result.config, "m4")
        Traceback (most recent call last):
        ...
        opencoffea.errors.PlotError: no plot or histogram 'm4' (did you mean 'm4l'?); plots and histograms: m4l, m4l_4mu, m4l_4e, m4l_2e2mu, mZ1, mZ2
    """  # noqa: E501 - the error is one line
    if name in config.plots:
        return config.plots[name]
    if name in result.histograms:
        return quick_plot(result, config, name)
    known = dict.fromkeys([*config.plots, *result.histograms])
    raise PlotError(f"no plot or histogram {name!r}" + choices(name, known, "plots and histograms"))


def quick_plot(result: Plottable, config: AnalysisConfig, histogram: str) -> Plot:
    """The quick look at ``histogram`` (see the module).

    Example:
        >>> from opencoffea import load_result
        >>> result = load_result(higgs4l_demo)
        >>> datasets = dict(result.config.datasets)
        >>> datasets["DoubleElectron"] = datasets["DoubleElectron"].model_copy(
        ...     update={"group": "Data e"})
        >>> regrouped = result.config.model_copy(update={"datasets": datasets})
        >>> quick = quick_plot(result, regrouped, "m4l")  # two data groups: each a line
        >>> quick.signal, quick.syst_band
        (['Data', 'Data e', 'm_H = 125 GeV', 'ZZ → 4ℓ'], None)
    """
    inputs = result.manifest["inputs"]
    data: list[str] = []
    simulation: list[str] = []
    for group, datasets in group_members(result, config).items():
        is_data = all(inputs[d]["kind"] == "data" for d in datasets)
        (data if is_data else simulation).append(group)
    spec = config.histograms.get(histogram)
    logx = spec is not None and any(
        isinstance(axis, RegularAxis) and axis.transform == "log" for axis in spec.axes
    )
    if len(data) == 1:
        return Plot(histogram=histogram, stack=simulation, data=data[0], logx=logx)
    return Plot(histogram=histogram, signal=[*data, *simulation], logx=logx, syst_band=None)
