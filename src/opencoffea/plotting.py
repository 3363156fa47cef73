"""CMS-style figures of a result, each with the JSON of exactly what it shows.

A plot of the YAML file names a histogram and the plot groups drawn from it:

- ``stack``: groups drawn as a filled stack, in the order given (the first at the bottom);
- ``signal``: groups drawn as a line stacked on top of the background (as the CMS H→4ℓ
  figures draw the Higgs signal);
- ``data``: the data group, black points with Poisson (Garwood, 68 %) error bars; bins
  without data have no point;
- ``select: {channel: 4mu}`` picks a value of a category axis; category axes not selected
  are summed over (the combined channels).

The numbers are the normalised histograms of the result, nominal variation, in-range bins
(under/overflow are not drawn and not counted in the yields). Beside ``<plot>.png`` and
``<plot>.pdf``, ``<plot>.json`` holds for each group its kind, bin edges, values and
variances, its yield and the yield's variance, and the total of the stack: the numbers a
reader would put in a table.

Example:
    >>> from opencoffea import load_result
    >>> paths = plot_result(load_result("results/higgs4l_demo"))  # doctest: +SKIP
"""

from __future__ import annotations

import json
import math
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import hist
import matplotlib
import mplhep
import numpy as np
from hist.intervals import poisson_interval
from matplotlib.figure import Figure

from .config import AnalysisConfig, CategoryAxis, Plot
from .errors import OpenCoffeaError
from .histograms import NOMINAL
from .results import Result

__all__ = ["GroupHistogram", "group_histograms", "plot_result", "yields"]

# Colours for stacked groups without one in the YAML; the signal is red, data black.
# ROOT's kAzure-9 (light blue, the CMS ZZ colour) is #6c8eff-ish; it leads the palette.
PALETTE = ("#6b8ef0", "#33cc33", "#c0c0c0", "#f5b041", "#af7ac5", "#48c9b0", "#ec7063")
SIGNAL_COLOUR = "red"


@dataclass
class GroupHistogram:
    """One plot group of one histogram: in-range values and variances over the bin edges."""

    group: str
    kind: str  # "stack", "signal" or "data"
    edges: np.ndarray
    values: np.ndarray
    variances: np.ndarray

    @property
    def total(self) -> float:
        return float(self.values.sum())

    @property
    def total_variance(self) -> float:
        return float(self.variances.sum())

    def as_dict(self) -> dict[str, Any]:
        return {
            "kind": self.kind,
            "edges": self.edges.tolist(),
            "values": self.values.tolist(),
            "variances": self.variances.tolist(),
            "yield": self.total,
            "yield_variance": self.total_variance,
        }


def _numeric_axis(h: hist.Hist) -> hist.axis.AxesMixin:
    numeric = [a for a in list(h.axes)[2:] if not isinstance(a, hist.axis.StrCategory)]
    if len(numeric) != 1:
        raise OpenCoffeaError(
            f"plotting needs a histogram with one numeric axis, {h.name or 'this one'} has "
            f"{len(numeric)}: select or book a 1D histogram"
        )
    return numeric[0]


def group_histograms(
    result: Result, histogram: str, groups: dict[str, str], select: dict[str, str] | None = None
) -> dict[str, GroupHistogram]:
    """Sum the datasets of each group (``{group: kind}``), nominal, selecting categories.

    Example:
        >>> select = {"channel": "4mu"}
        >>> g = group_histograms(result, "m4l", {"Data": "data"}, select)  # doctest: +SKIP
        >>> g["Data"].total
        17.0
    """
    config = result.config
    h = result.histograms[histogram]
    axis = _numeric_axis(h)
    categories = {a.name for a in config.histograms[histogram].axes if isinstance(a, CategoryAxis)}
    for name, value in (select or {}).items():
        if name not in categories or value not in list(h.axes[name]):
            raise OpenCoffeaError(
                f"histogram {histogram!r} has no category {name}={value!r} to select"
            )
    out = {}
    for group, kind in groups.items():
        values = np.zeros(axis.size)
        variances = np.zeros(axis.size)
        for dataset in h.axes["dataset"]:
            if config.group_of(dataset) != group or NOMINAL not in list(h.axes["systematic"]):
                continue
            index: dict[str, Any] = {"dataset": hist.loc(dataset), "systematic": hist.loc(NOMINAL)}
            for name in categories:
                index[name] = hist.loc(select[name]) if select and name in select else sum
            sliced = h[index]
            values += sliced.values()
            variances += sliced.variances()
        out[group] = GroupHistogram(group, kind, np.asarray(axis.edges), values, variances)
    return out


def plot_result(
    result: Result, config: AnalysisConfig | None = None, directory: Path | None = None
) -> list[Path]:
    """Draw every plot of the configuration into ``directory`` (default ``<result>/plots``)."""
    config = config or result.config
    directory = Path(directory) if directory else result.directory / "plots"
    directory.mkdir(parents=True, exist_ok=True)
    written = []
    for name, plot in config.plots.items():
        written += _plot_one(result, config, name, plot, directory)
    return written


def _plot_one(
    result: Result, config: AnalysisConfig, name: str, plot: Plot, directory: Path
) -> list[Path]:
    histogram = plot.histogram or name
    if histogram not in result.histograms:
        raise OpenCoffeaError(f"plot {name!r}: the result has no histogram {histogram!r}")
    kinds = {g: "stack" for g in plot.stack} | {g: "signal" for g in plot.signal}
    if plot.data:
        kinds[plot.data] = "data"
    known = {config.group_of(d) for d in config.datasets}
    for group in kinds:
        if group not in known:
            raise OpenCoffeaError(f"plot {name!r}: no dataset is in group {group!r}")
    groups = group_histograms(result, histogram, kinds, plot.select)
    edges = (
        next(iter(groups.values())).edges
        if groups
        else _numeric_axis(result.histograms[histogram]).edges
    )
    stacked = [groups[g] for g in plot.stack]
    background = sum((g.values for g in stacked), np.zeros(len(edges) - 1))
    background_var = sum((g.variances for g in stacked), np.zeros(len(edges) - 1))

    axis = _numeric_axis(result.histograms[histogram])
    with matplotlib.style.context(mplhep.style.CMS):
        figure = Figure(figsize=(10, 10 if not plot.ratio else 12))
        if plot.ratio:
            top, bottom = figure.subplots(
                2, 1, sharex=True, gridspec_kw={"height_ratios": (3, 1), "hspace": 0.05}
            )
        else:
            top, bottom = figure.subplots(), None
        colours = _colours(plot)
        if stacked:
            mplhep.histplot(
                [g.values for g in stacked],
                edges,
                stack=True,
                histtype="fill",
                label=[plot.labels.get(g.group, g.group) for g in stacked],
                color=[colours[g.group] for g in stacked],
                edgecolor="black",
                linewidth=1,
                flow=None,
                ax=top,
            )
        top_of_stack = background.copy()
        for group in plot.signal:
            top_of_stack = top_of_stack + groups[group].values
            mplhep.histplot(
                top_of_stack,
                edges,
                histtype="step",
                color=colours[group],
                linewidth=2,
                label=plot.labels.get(group, group),
                flow=None,
                ax=top,
            )
        if plot.data:
            _draw_data(top, groups[plot.data], edges, plot.labels.get(plot.data, plot.data))
        if bottom is not None and plot.data:
            _draw_ratio(bottom, groups[plot.data], top_of_stack, background_var, edges)
            bottom.set_xlabel(plot.xlabel or axis.label)
        else:
            top.set_xlabel(plot.xlabel or axis.label)
        top.set_ylabel(plot.ylabel or _ylabel(edges, axis.label))
        if plot.logx:
            top.set_xscale("log")
        if plot.logy:
            top.set_yscale("log")
            top.set_ylim(bottom=max(0.1, _smallest_positive(groups) / 2))
        else:
            top.set_ylim(bottom=0)
        top.set_xlim(edges[0], edges[-1])
        _headroom(top, plot.logy)
        top.legend(loc="upper right", frameon=False)
        _label(top, plot, config)
        paths = [directory / f"{name}.png", directory / f"{name}.pdf"]
        for path in paths:
            figure.savefig(path, bbox_inches="tight", dpi=100)
    numbers = {
        "plot": name,
        "histogram": histogram,
        "select": plot.select,
        "systematic": NOMINAL,
        "edges": list(map(float, edges)),
        "groups": {g: groups[g].as_dict() for g in kinds},
        "stack_total": {
            "values": background.tolist(),
            "variances": background_var.tolist(),
            "yield": float(background.sum()),
            "yield_variance": float(background_var.sum()),
        },
    }
    json_path = directory / f"{name}.json"
    json_path.write_text(json.dumps(numbers, indent=1) + "\n")
    return [*paths, json_path]


def _colours(plot: Plot) -> dict[str, str]:
    colours = {}
    for index, group in enumerate(plot.stack):
        colours[group] = plot.colors.get(group, PALETTE[index % len(PALETTE)])
    for group in plot.signal:
        colours[group] = plot.colors.get(group, SIGNAL_COLOUR)
    return colours


def _draw_data(ax: Any, data: GroupHistogram, edges: np.ndarray, label: str) -> None:
    centers = (edges[:-1] + edges[1:]) / 2
    low, high = poisson_interval(data.values, data.values)  # counts: variance = value
    shown = data.values > 0
    ax.errorbar(
        centers[shown],
        data.values[shown],
        yerr=[data.values[shown] - low[shown], high[shown] - data.values[shown]],
        fmt="o",
        color="black",
        markersize=7,
        label=label,
    )


def _draw_ratio(
    ax: Any, data: GroupHistogram, prediction: np.ndarray, variance: np.ndarray, edges: np.ndarray
) -> None:
    centers = (edges[:-1] + edges[1:]) / 2
    with np.errstate(divide="ignore", invalid="ignore"):
        ratio = data.values / prediction
        low, high = poisson_interval(data.values, data.values)
        band = np.sqrt(variance) / prediction
    shown = (data.values > 0) & (prediction > 0)
    ax.errorbar(
        centers[shown],
        ratio[shown],
        yerr=[
            (data.values - low)[shown] / prediction[shown],
            (high - data.values)[shown] / prediction[shown],
        ],
        fmt="o",
        color="black",
        markersize=6,
    )
    ax.stairs(
        1 + np.nan_to_num(band),
        edges,
        baseline=1 - np.nan_to_num(band),
        fill=True,
        color="grey",
        alpha=0.4,
    )
    ax.axhline(1, color="black", linewidth=1)
    ax.set_ylim(0, 2)
    ax.set_ylabel("Data / Pred.")


def _ylabel(edges: np.ndarray, axis_label: str) -> str:
    """ "Events / 3 GeV" for uniform bins and an axis label with a unit in brackets."""
    widths = np.diff(edges)
    unit = re.search(r"[\[(]\s*([^\])]+?)\s*[\])]\s*$", axis_label or "")
    if unit and np.allclose(widths, widths[0], rtol=1e-6):
        width = widths[0]
        shown = f"{width:g}" if math.isclose(width, round(width, 3)) else f"{width:.3g}"
        return f"Events / {shown} {unit.group(1)}"
    return "Events"


def _smallest_positive(groups: dict[str, GroupHistogram]) -> float:
    positive = [v for g in groups.values() for v in g.values if v > 0]
    return min(positive) if positive else 1.0


def _headroom(ax: Any, log: bool) -> None:
    """Room above the tallest bin for the legend and the labels."""
    low, high = ax.get_ylim()
    if log:
        ax.set_ylim(low, high * 50)
    else:
        ax.set_ylim(low, high * 1.35)


def _label(ax: Any, plot: Plot, config: AnalysisConfig) -> None:
    experiment, _, text = plot.label.partition(" ")
    if experiment != "CMS":
        experiment, text = "", plot.label
    right = plot.lumi_label
    if right is None and config.luminosity:
        right = f"{config.luminosity / 1000:.3g} fb$^{{-1}}$"
    # the experiment label inside the frame, top left (its text under "CMS", so that a long
    # one stays clear of the legend); the luminosity above the frame, on the right
    mplhep.label.exp_label(
        exp=experiment or "CMS", text=text, data=True, rlabel=right or "", loc=2, ax=ax
    )


# ---------------------------------------------------------------------------- yields


def yields(
    result: Result, histogram: str | None = None, config: AnalysisConfig | None = None
) -> tuple[str, dict[str, dict[str, tuple[float, float]]]]:
    """Per-group yields per category of the first category axis, and combined.

    Returns the histogram used and ``{group: {category or "combined": (yield, variance)}}``,
    nominal, in-range bins.

    Example:
        >>> name, table = yields(load_result("results/higgs4l_demo"))  # doctest: +SKIP
        >>> table["Data"]["4mu"]
        (72.0, 72.0)
    """
    config = config or result.config
    if histogram is None:
        plotted = [p.histogram or n for n, p in config.plots.items()]
        histogram = plotted[0] if plotted else next(iter(config.histograms))
    spec = config.histograms[histogram]
    category_axes = [a for a in spec.axes if isinstance(a, CategoryAxis)]
    groups = {config.group_of(d): "any" for d in config.datasets}
    table: dict[str, dict[str, tuple[float, float]]] = {g: {} for g in groups}
    selections: list[tuple[str, dict[str, str]]] = []
    if category_axes:
        first = category_axes[0]
        selections = [(c, {first.name: c}) for c in first.categories]
    selections.append(("combined", {}))
    for label, select in selections:
        for group, numbers in group_histograms(result, histogram, groups, select).items():
            table[group][label] = (numbers.total, numbers.total_variance)
    return histogram, table
