"""CMS-style figures of a result, each with the JSON of exactly what it shows; yields tables.

A plot of the YAML file names a histogram and the plot groups drawn from it:

- ``stack``: groups drawn as a filled stack, in the order given (the first at the bottom);
- ``signal``: each group a line on top of the whole stack, at background + signal (as the
  CMS H→4ℓ figures draw the Higgs boson);
- ``data``: the data group, black points with Garwood (central 68 %) Poisson intervals.
  A bin without data where something is expected shows no point but its upper error bar,
  from 0 to 1.84 (the CMS convention: an empty bin is a measurement too); where nothing is
  expected either, nothing is drawn;
- ``select: {channel: 4mu}`` picks one value of a category axis; category axes not
  selected are summed over their declared categories (the combined channels);
- ``ratio: true`` adds a panel with data / (stack + signal), the data's Poisson errors and
  the simulation's statistical uncertainty (√Σw²) as a hatched band.

The numbers are the normalised histograms of the result, nominal variation, in-range bins:
underflow and overflow are neither drawn nor counted in a yield (so a yield is what the
figure shows), and the JSON gives them apart. Beside ``<plot>.png`` and ``<plot>.pdf``,
``<plot>.json`` holds for each group its kind, datasets, colour, bin edges, values and
variances, its yield and the yield's variance, and the same for the sum of the stack.

Colours are any matplotlib colour or a ROOT colour name (``kAzure-9``, see
:data:`ROOT_COLOURS`); stacked groups without one take the pastel ROOT colours of the CMS
run-1 figures in turn (kAzure-9 #99ccff first, the ZZ of the H→4ℓ figures), signals kRed.

Only histograms with one numeric axis (besides category axes) can be drawn: a plot of a 2D
histogram is an error, found with every other mistake before any figure is drawn.

Example:
    >>> from opencoffea import load_result
    >>> paths = plot_result(load_result("results/higgs4l_demo"))  # doctest: +SKIP
    >>> [p.name for p in paths][:3]  # doctest: +SKIP
    ['m4l.png', 'm4l.pdf', 'm4l.json']
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import hist
import matplotlib
import mplhep
import numpy as np
from hist.intervals import poisson_interval
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.colors import is_color_like
from matplotlib.figure import Figure
from matplotlib.ticker import FuncFormatter, MaxNLocator
from rich.console import Console
from rich.table import Table

from .config import AnalysisConfig, Plot
from .errors import PlotError
from .results import Result
from .util import NOMINAL, did_you_mean

__all__ = [
    "COMBINED",
    "ROOT_COLOURS",
    "Comparison",
    "GroupHistogram",
    "Yield",
    "YieldTable",
    "check_plots",
    "colour",
    "group_histograms",
    "group_members",
    "plot_numbers",
    "plot_result",
    "render_yields",
    "yields",
]

FORMAT = "opencoffea-plot/1"
COMBINED = "combined"  # the yields column (and reference key) of all categories together

# ROOT colours as TColor::CreateColorWheel defines them (the colour-wheel arrays of
# core/base/src/TColor.cxx), for the names CMS figures use. kAzure-9 is #99ccff, the light
# blue of ZZ in the H→4ℓ figures (not the darker #6d9eeb it is sometimes taken for).
ROOT_COLOURS = {
    "kWhite": "#ffffff",
    "kBlack": "#000000",
    "kGray": "#cccccc",
    "kGray+1": "#999999",
    "kGray+2": "#666666",
    "kGray+3": "#333333",
    "kRed": "#ff0000",
    "kRed+1": "#cc0000",
    "kRed+2": "#990000",
    "kRed-4": "#ff3333",
    "kRed-7": "#ff6666",
    "kRed-9": "#ff9999",
    "kRed-10": "#ffcccc",
    "kGreen": "#00ff00",
    "kGreen+1": "#00cc00",
    "kGreen+2": "#009900",
    "kGreen+3": "#006600",
    "kGreen-5": "#669966",
    "kGreen-6": "#66cc66",
    "kGreen-9": "#99ff99",
    "kBlue": "#0000ff",
    "kBlue+1": "#0000cc",
    "kBlue+2": "#000099",
    "kBlue-7": "#6666ff",
    "kBlue-9": "#9999ff",
    "kYellow": "#ffff00",
    "kYellow-9": "#ffff99",
    "kMagenta": "#ff00ff",
    "kMagenta-9": "#ff99ff",
    "kCyan": "#00ffff",
    "kCyan-9": "#99ffff",
    "kOrange": "#ffcc00",
    "kOrange+1": "#ff9933",
    "kOrange+7": "#ff6600",
    "kOrange-2": "#ffcc33",
    "kOrange-3": "#ff9900",
    "kOrange-4": "#ffcc66",
    "kOrange-9": "#ffcc99",
    "kAzure": "#0033ff",
    "kAzure+1": "#3399ff",
    "kAzure-4": "#6699ff",
    "kAzure-9": "#99ccff",
    "kViolet": "#cc00ff",
    "kViolet-9": "#cc99ff",
    "kTeal": "#00ffcc",
    "kTeal-9": "#99ffcc",
    "kPink": "#ff0033",
    "kSpring": "#33ff00",
}
STACK_COLOURS = ("kAzure-9", "kGreen-5", "kGray", "kOrange-4", "kViolet-9", "kRed-9", "kTeal-9")
SIGNAL_COLOURS = ("kRed", "kBlue", "kMagenta", "kGreen+2", "kOrange+7")

# Where the tallest thing drawn sits, as a fraction of the frame's height: the rest is left
# to the legend (top right) and the experiment label (top left, inside the frame).
PEAK_HEIGHT = 0.7
_SUPERSCRIPTS = str.maketrans("⁰¹²³⁴⁵⁶⁷⁸⁹⁻⁺", "0123456789-+")


def colour(name: str) -> str:
    """A matplotlib colour from a matplotlib colour or a ROOT colour name.

    Example:
        >>> colour("kAzure-9"), colour("kAzure - 9"), colour("tab:blue")
        ('#99ccff', '#99ccff', 'tab:blue')
    """
    return ROOT_COLOURS.get(name.replace(" ", ""), name)


# ---------------------------------------------------------------------------- numbers


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
        """The yield: the sum of the in-range bins."""
        return float(self.values.sum())

    @property
    def total_variance(self) -> float:
        """The yield's variance (Σw² of the in-range bins)."""
        return float(self.variances.sum())

    def as_dict(self) -> dict[str, Any]:
        """The group as it is written to a plot's JSON."""
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


def group_members(result: Result, config: AnalysisConfig | None = None) -> dict[str, list[str]]:
    """The datasets of the result in each plot group, in the result's order.

    A dataset's group is the one ``config`` gives it (so another YAML can regroup), else the
    one it had in the run.

    Example:
        >>> group_members(load_result("results/higgs4l_demo"))["Data"]  # doctest: +SKIP
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
    result: Result,
    histogram: str,
    groups: dict[str, str],
    select: dict[str, str] | None = None,
    config: AnalysisConfig | None = None,
) -> dict[str, GroupHistogram]:
    """Sum the datasets of each group (``{group: kind}``), nominal, selecting categories.

    Category axes not in ``select`` are summed over their declared categories.

    Example:
        >>> result = load_result("results/higgs4l_demo")  # doctest: +SKIP
        >>> select = {"channel": "4mu"}
        >>> g = group_histograms(result, "m4l", {"Data": "data"}, select)  # doctest: +SKIP
        >>> g["Data"].total  # doctest: +SKIP
        17.0
    """
    members = group_members(result, config)
    _check_groups(groups, members)
    reduced, axis, _ = _reduce(result, histogram, select or {})
    edges = np.asarray(axis.edges, dtype=float)
    present = set(reduced.axes["dataset"])
    out = {}
    for group, kind in groups.items():
        datasets = tuple(d for d in members[group] if d in present)
        values, variances = np.zeros(axis.size), np.zeros(axis.size)
        under, over = np.zeros(2), np.zeros(2)
        for dataset in datasets:  # in a fixed order: the sums are the same in every run
            one = reduced[{"dataset": hist.loc(dataset)}]
            values = values + one.values()
            variances = variances + one.variances()
            flow_under, flow_over = _flows(one)
            under, over = under + flow_under, over + flow_over
        out[group] = GroupHistogram(
            group, kind, edges, values, variances, datasets, tuple(under), tuple(over)
        )
    return out


def _reduce(
    result: Result, histogram: str, select: dict[str, str]
) -> tuple[hist.Hist, Any, list[str]]:
    """The histogram at the nominal variation with categories selected or summed.

    Returns it (axes: dataset, the numeric axis), its numeric axis and the summed axes.
    """
    h = result.histograms.get(histogram)
    if h is None:
        raise PlotError(
            f"the result has no histogram {histogram!r}"
            + did_you_mean(histogram, result.histograms)
            + f"; histograms: {', '.join(result.histograms) or 'none'}"
        )
    if NOMINAL not in list(h.axes["systematic"]):
        raise PlotError(f"histogram {histogram!r} has no {NOMINAL!r} variation in this result")
    user_axes = list(h.axes)[2:]
    categories = {a.name: list(a) for a in user_axes if isinstance(a, hist.axis.StrCategory)}
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
                + did_you_mean(name, categories)
                + f"; category axes: {', '.join(categories) or 'none'}"
            )
        if value not in categories[name]:
            raise PlotError(
                f"axis {name!r} of histogram {histogram!r} has no category {value!r}"
                + did_you_mean(value, categories[name])
                + f"; categories: {', '.join(categories[name])}"
            )
    index: dict[str, Any] = {"systematic": hist.loc(NOMINAL)}
    summed = [name for name in categories if name not in select]
    for name in categories:
        # slice(0, len, sum): the declared categories only, not the overflow of others
        index[name] = hist.loc(select[name]) if name in select else slice(0, len, sum)
    return h[index], numeric[0], summed


def _flows(one: hist.Hist) -> tuple[np.ndarray, np.ndarray]:
    """(value, variance) of the underflow and of the overflow of a 1D histogram."""
    traits = one.axes[0].traits
    view = one.view(flow=True)
    none = np.zeros(2)
    under = np.array([view.value[0], view.variance[0]]) if traits.underflow else none
    over = np.array([view.value[-1], view.variance[-1]]) if traits.overflow else none
    return under, over


def _check_groups(groups: Iterable[str], members: dict[str, list[str]]) -> None:
    for group in groups:
        if group not in members:
            raise PlotError(
                f"no dataset of the result is in group {group!r}"
                + did_you_mean(group, members)
                + f"; groups: {', '.join(members)}"
            )


def _roles(plot: Plot) -> dict[str, str]:
    """``{group: kind}`` of a plot, in drawing order: stack, signal, data."""
    kinds = {g: "stack" for g in plot.stack} | {g: "signal" for g in plot.signal}
    if plot.data:
        kinds[plot.data] = "data"
    return kinds


def plot_numbers(result: Result, name: str, config: AnalysisConfig | None = None) -> dict[str, Any]:
    """Exactly what plot ``name`` shows, as written to ``<name>.json``.

    Example:
        >>> numbers = plot_numbers(load_result("results/higgs4l_demo"), "m4l")  # doctest: +SKIP
        >>> numbers["groups"]["Data"]["kind"], numbers["stack_total"]["groups"]  # doctest: +SKIP
        ('data', ['ZZ → 4ℓ'])
    """
    config = config or result.config
    plot = _plot_named(config, name)
    return _numbers(result, config, name, plot, _grouped(result, config, name, plot))


def _plot_named(config: AnalysisConfig, name: str) -> Plot:
    if name not in config.plots:
        raise PlotError(
            f"no plot {name!r}"
            + did_you_mean(name, config.plots)
            + f"; plots: {', '.join(config.plots) or 'none'}"
        )
    return config.plots[name]


def _grouped(
    result: Result, config: AnalysisConfig, name: str, plot: Plot
) -> dict[str, GroupHistogram]:
    try:
        return group_histograms(result, plot.histogram or name, _roles(plot), plot.select, config)
    except PlotError as err:
        raise PlotError(f"plot {name!r}: {err}") from None


def _numbers(
    result: Result,
    config: AnalysisConfig,
    name: str,
    plot: Plot,
    groups: dict[str, GroupHistogram],
) -> dict[str, Any]:
    histogram = plot.histogram or name
    _, axis, summed = _reduce(result, histogram, plot.select)
    stack = _stack_total(groups, plot)
    colours = _colours(plot)
    return {
        "format": FORMAT,
        "plot": name,
        "histogram": histogram,
        "systematic": NOMINAL,
        "select": dict(plot.select),
        "summed": summed,
        "axis": {"name": axis.name, "label": axis.label},
        "edges": np.asarray(axis.edges, dtype=float).tolist(),
        "flow": "values and yields are in-range bins; under/overflow are given apart",
        "groups": {g: {**h.as_dict(), "color": colours[g]} for g, h in groups.items()},
        "stack_total": {
            "groups": list(plot.stack),
            "values": stack.values.tolist(),
            "variances": stack.variances.tolist(),
            "yield": stack.total,
            "yield_variance": stack.total_variance,
        },
    }


def _stack_total(groups: dict[str, GroupHistogram], plot: Plot) -> GroupHistogram:
    any_group = next(iter(groups.values()))
    values, variances = np.zeros_like(any_group.values), np.zeros_like(any_group.values)
    for group in plot.stack:  # bottom to top, as drawn
        values = values + groups[group].values
        variances = variances + groups[group].variances
    return GroupHistogram("stack", "stack", any_group.edges, values, variances)


# ---------------------------------------------------------------------------- checks


def check_plots(result: Result, config: AnalysisConfig | None = None) -> None:
    """Every mistake in the plots of ``config`` against this result, in one error.

    Called by :func:`plot_result` before it draws anything, so a bad plot leaves no
    half-written figures.

    Example:
        >>> check_plots(load_result("results/higgs4l_demo"))  # doctest: +SKIP
    """
    config = config or result.config
    members = group_members(result, config)
    problems = []
    for name, plot in config.plots.items():
        if not re.fullmatch(r"[A-Za-z0-9_.\-]+", name):
            problems.append(f"plot {name!r}: name it with letters, digits, '_', '-' and '.'")
        try:
            _reduce(result, plot.histogram or name, plot.select)
            _check_groups(_roles(plot), members)
        except PlotError as err:
            problems.append(f"plot {name!r}: {err}")
        for group, value in plot.colors.items():
            if not is_color_like(colour(value)):
                problems.append(
                    f"plot {name!r}: {value!r} (colour of {group!r}) is not a matplotlib "
                    "colour or a known ROOT colour name"
                )
    if problems:
        head = f"{len(problems)} problems in the plots:\n" if len(problems) > 1 else ""
        raise PlotError(head + "\n".join(problems))


# ---------------------------------------------------------------------------- drawing


def plot_result(
    result: Result, config: AnalysisConfig | None = None, directory: Path | None = None
) -> list[Path]:
    """Draw every plot of the configuration: ``<plot>.png``, ``.pdf`` and ``.json``.

    ``config`` defaults to the result's own; ``directory`` to ``<result>/plots``.

    Example:
        >>> paths = plot_result(load_result("results/dimuon_demo"))  # doctest: +SKIP
        >>> [p.name for p in paths]  # doctest: +SKIP
        ['mass.png', 'mass.pdf', 'mass.json']
    """
    config = config or result.config
    check_plots(result, config)
    directory = Path(directory) if directory else result.directory / "plots"
    written: list[Path] = []
    for name, plot in config.plots.items():
        directory.mkdir(parents=True, exist_ok=True)
        groups = _grouped(result, config, name, plot)
        numbers = _numbers(result, config, name, plot, groups)
        # Drawing and saving inside the style: fonts are looked up when text is rendered.
        with matplotlib.rc_context(mplhep.style.CMS):
            figure = _figure(plot, groups, numbers, config)
            for suffix in ("png", "pdf"):
                path = directory / f"{name}.{suffix}"
                # no creation date in the PDF: the same result gives the same file
                metadata = {"CreationDate": None} if suffix == "pdf" else None
                figure.savefig(path, dpi=100, metadata=metadata)
                written.append(path)
        path = directory / f"{name}.json"
        path.write_text(json.dumps(numbers, indent=1, ensure_ascii=False) + "\n")
        written.append(path)
    return written


def _figure(
    plot: Plot, groups: dict[str, GroupHistogram], numbers: dict[str, Any], config: AnalysisConfig
) -> Figure:
    """One plot's figure (to be made and saved inside the CMS style)."""
    edges = np.asarray(numbers["edges"])
    axis_label = numbers["axis"]["label"] or numbers["axis"]["name"]
    stack = _stack_total(groups, plot)
    expected = stack.values + sum(
        (groups[g].values for g in plot.signal), np.zeros_like(stack.values)
    )
    expected_var = stack.variances + sum(
        (groups[g].variances for g in plot.signal), np.zeros_like(stack.values)
    )
    colours = _colours(plot)
    figure = Figure(figsize=(10, 12.5 if plot.ratio else 10), layout="constrained")
    FigureCanvasAgg(figure)  # no pyplot: no display needed, no global figure state
    if plot.ratio:
        top, bottom = figure.subplots(2, 1, sharex=True, gridspec_kw={"height_ratios": (3, 1)})
        figure.get_layout_engine().set(hspace=0, h_pad=0.02)
    else:
        top, bottom = figure.subplots(), None
    peak, smallest = _draw_main(top, plot, groups, stack, expected, edges, colours)
    _limits(top, plot, edges, peak, smallest)
    _legend(top, plot, groups)
    _label(top, plot, config)
    top.set_ylabel(_mathtext(plot.ylabel or _ylabel(edges, axis_label)))
    xlabel = _mathtext(plot.xlabel or axis_label)
    if bottom is not None and plot.data:
        _draw_ratio(bottom, plot, groups[plot.data], expected, expected_var, edges)
        bottom.set_xlabel(xlabel)
        top.tick_params(labelbottom=False)
    else:
        top.set_xlabel(xlabel)
    return figure


def _draw_main(
    ax: Any,
    plot: Plot,
    groups: dict[str, GroupHistogram],
    stack: GroupHistogram,
    expected: np.ndarray,
    edges: np.ndarray,
    colours: dict[str, str],
) -> tuple[float, float]:
    """Stack, signals and data; returns the top of what is drawn and its smallest value > 0."""
    tops, lows = [expected], []
    if plot.stack:
        layers = [groups[g].values for g in plot.stack]
        mplhep.histplot(
            layers,
            edges,
            stack=True,
            histtype="fill",
            label=[_legend_text(plot, g) for g in plot.stack],
            color=[colours[g] for g in plot.stack],
            edgecolor="black",
            linewidth=1,
            flow=None,
            ax=ax,
        )
        lows.append(layers[0])
    for group in plot.signal:
        line = stack.values + groups[group].values  # each signal on the background alone
        mplhep.histplot(
            line,
            edges,
            histtype="step",
            color=colours[group],
            linewidth=2.5,
            label=_legend_text(plot, group),
            flow=None,
            ax=ax,
        )
        lows.append(line)
        tops.append(line)
    if plot.data:
        data = groups[plot.data]
        _, high = _draw_points(ax, data, expected, edges, 1.0, _legend_text(plot, plot.data))
        lows.append(data.values)
        tops.append(high)
    peak = max(float(np.max(t)) for t in tops)
    positive = np.concatenate([x[x > 0] for x in lows]) if lows else np.zeros(0)
    return (peak if peak > 0 else 1.0), (float(positive.min()) if positive.size else 1.0)


def _draw_points(
    ax: Any,
    data: GroupHistogram,
    expected: np.ndarray,
    edges: np.ndarray,
    scale: Any,
    label: str | None,
) -> tuple[np.ndarray, np.ndarray]:
    """Data points divided by ``scale`` (1, or the prediction for the ratio panel).

    Bins with data: a point and its Garwood interval. Empty bins where something is expected:
    the upper error bar only. Returns the low and high ends of the intervals.
    """
    centres = (edges[:-1] + edges[1:]) / 2
    counts = np.array_equal(data.values, data.variances)  # unweighted, as data are
    low, high = (
        poisson_interval(data.values) if counts else poisson_interval(data.values, data.variances)
    )
    with np.errstate(divide="ignore", invalid="ignore"):
        value, low, high = data.values / scale, low / scale, high / scale
    finite = np.isfinite(value) & np.isfinite(high)
    filled = finite & (data.values > 0)
    empty = finite & (data.values == 0) & (expected > 0)
    style = {"color": "black", "elinewidth": 1.5, "capsize": 0, "linestyle": "none"}
    size = 7 if len(centres) <= 60 else 4  # many narrow bins: smaller points
    ax.errorbar(
        centres[filled],
        value[filled],
        yerr=[(value - low)[filled], (high - value)[filled]],
        marker="o",
        markersize=size,
        label=label,
        **style,
    )
    if empty.any():
        ax.errorbar(
            centres[empty],
            value[empty],
            yerr=[np.zeros(empty.sum()), high[empty]],
            marker="none",
            **style,
        )
    return low, np.where(filled | empty, high, 0.0)


def _draw_ratio(
    ax: Any,
    plot: Plot,
    data: GroupHistogram,
    expected: np.ndarray,
    expected_var: np.ndarray,
    edges: np.ndarray,
) -> None:
    """Data / (stack + signal) with the data's errors, and the simulation's stat. band."""
    safe = np.where(expected > 0, expected, np.nan)
    _draw_points(ax, data, expected, edges, safe, None)
    relative = np.sqrt(expected_var) / safe
    shown = np.isfinite(relative)
    ax.stairs(
        np.where(shown, 1 + np.nan_to_num(relative), np.nan),
        edges,
        baseline=np.where(shown, 1 - np.nan_to_num(relative), np.nan),
        fill=True,
        facecolor="none",
        edgecolor="grey",
        hatch="////",
        linewidth=0,
        label="Stat. unc.",
    )
    ax.axhline(1, color="black", linewidth=1, linestyle="--")
    ax.set_ylim(*plot.ratio_ylim)
    # few labels, the top one dropped: it would touch the lowest label of the panel above
    ax.yaxis.set_major_locator(MaxNLocator(nbins=4, prune="upper"))
    ax.set_ylabel("Data / Pred.")
    if plot.logx:
        _log_x(ax)


def _limits(ax: Any, plot: Plot, edges: np.ndarray, peak: float, smallest: float) -> None:
    """Axis ranges: the bins in x; in y, room above the tallest bin for legend and label."""
    if plot.logx:
        _log_x(ax)
    ax.set_xlim(*(plot.xlim or (edges[0], edges[-1])))
    if plot.logy:
        ax.set_yscale("log")
        # down to half the smallest value drawn, but no more than 7 decades below the peak
        low = max(smallest / 2, peak * 1e-7)
        high = low * (peak / low) ** (1 / PEAK_HEIGHT) if peak > low else low * 10
    else:
        low, high = 0.0, peak / PEAK_HEIGHT
    ax.set_ylim(*(plot.ylim or (low, high)))


def _log_x(ax: Any) -> None:
    """A log x axis labelled 1, 10, 100 (as CMS mass spectra are), not 10⁰, 10¹, 10²."""
    ax.set_xscale("log")
    ax.xaxis.set_major_formatter(FuncFormatter(lambda value, _: f"{value:g}"))


def _legend(ax: Any, plot: Plot, groups: dict[str, GroupHistogram]) -> None:
    """Data first, then the signals, then the stack from its top down (as it is seen)."""
    handles = dict(zip(*reversed(ax.get_legend_handles_labels()), strict=True))
    order = [
        *([plot.data] if plot.data else []),
        *plot.signal,
        *reversed(plot.stack),
    ]
    labels = [_legend_text(plot, g) for g in order]
    ax.legend(
        [handles[label] for label in labels if label in handles],
        [label for label in labels if label in handles],
        loc=plot.legend,
    )


def _label(ax: Any, plot: Plot, config: AnalysisConfig) -> None:
    """The experiment label (``CMS`` bold, the rest italic) and the luminosity on the right."""
    experiment, _, text = plot.label.partition(" ")
    if experiment != "CMS":  # shown as written: no "CMS" added to another label
        experiment, text = "", plot.label
    right = plot.lumi_label if plot.lumi_label is not None else _lumi_text(config.luminosity)
    # inside the frame, top left, the text under "CMS" (a long one stays clear of the
    # legend); the luminosity above the frame on the right; no "Simulation" added
    mplhep.label.exp_label(
        exp=experiment, text=_mathtext(text), data=True, rlabel=_mathtext(right), loc=2, ax=ax
    )


def _lumi_text(luminosity: float | None) -> str:
    """``L = 11.6 fb⁻¹`` from pb⁻¹ (in pb⁻¹ below 1 fb⁻¹), or nothing without a luminosity.

    Example:
        >>> _lumi_text(11580), _lumi_text(50)
        ('L = 11.6 fb$^{-1}$', 'L = 50 pb$^{-1}$')
    """
    if not luminosity:
        return ""
    if luminosity >= 1000:
        return f"L = {luminosity / 1000:.3g} fb$^{{-1}}$"
    return f"L = {luminosity:.3g} pb$^{{-1}}$"


def _ylabel(edges: np.ndarray, axis_label: str) -> str:
    """``Events / 3 GeV`` for uniform bins, with the unit of ``[GeV]`` in the axis label.

    Example:
        >>> _ylabel(np.array([70.0, 73, 76]), "m [GeV]"), _ylabel(np.array([0.0, 1, 3]), "x")
        ('Events / 3 GeV', 'Events')
    """
    widths = np.diff(edges)
    if not np.allclose(widths, widths[0], rtol=1e-6) or len(widths) < 2:
        return "Events"
    unit = re.search(r"\[\s*([^\]]+?)\s*\]\s*$", axis_label or "")
    width = f"{widths[0]:.3g}"
    if unit:
        return f"Events / {width} {unit.group(1)}"
    return "Events" if width == "1" else f"Events / {width}"


def _mathtext(text: str) -> str:
    r"""Unicode superscripts (fb⁻¹) and overbars (tt̄) as mathtext, outside ``$…$``: the CMS
    font (TeX Gyre Heros) lacks the superscripts and misplaces the combining overbar.

    Example:
        >>> _mathtext("L = 11.6 fb⁻¹, tt̄ and $x^2$")
        'L = 11.6 fb$^{-1}$, t$\\bar{t}$ and $x^2$'
    """
    parts = text.split("$")
    for index in range(0, len(parts), 2):  # even parts are outside math
        part = re.sub(
            "[⁰¹²³⁴⁵⁶⁷⁸⁹⁻⁺]+",
            lambda m: "$^{" + m.group(0).translate(_SUPERSCRIPTS) + "}$",
            parts[index],
        )
        parts[index] = re.sub(r"(\w)\u0304", lambda m: r"$\bar{" + m.group(1) + "}$", part)
    return "$".join(parts)


def _legend_text(plot: Plot, group: str) -> str:
    return _mathtext(plot.labels.get(group, group))


def _colours(plot: Plot) -> dict[str, str]:
    """Each group's colour: from ``colors``, else the next of the stack or signal palette."""
    colours = {}
    for palette, groups in ((STACK_COLOURS, plot.stack), (SIGNAL_COLOURS, plot.signal)):
        for index, group in enumerate(groups):
            colours[group] = colour(plot.colors.get(group, palette[index % len(palette)]))
    if plot.data:
        colours[plot.data] = "black"
    return colours


# ---------------------------------------------------------------------------- yields


@dataclass(frozen=True)
class Yield:
    """A yield and its variance (Σw²: the MC statistical one; the count for data).

    Example:
        >>> Yield(16.0, 16.0).error
        4.0
    """

    value: float
    variance: float

    @property
    def error(self) -> float:
        return math.sqrt(self.variance)


@dataclass(frozen=True)
class Comparison:
    """One yield against a reference: difference, and pull (ours − ref)/√(σ² + σ_ref²).

    Example:
        >>> c = Comparison("ZZ", "4mu", Yield(10.0, 9.0), 14.0, 4.0)
        >>> c.difference, c.pull
        (-4.0, -0.8)
    """

    group: str
    column: str
    ours: Yield
    reference: float
    reference_error: float

    @property
    def difference(self) -> float:
        return self.ours.value - self.reference

    @property
    def pull(self) -> float | None:
        """None when neither number has an error (the pull is undefined)."""
        sigma = math.sqrt(self.ours.variance + self.reference_error**2)
        return self.difference / sigma if sigma > 0 else None


@dataclass
class YieldTable:
    """Yields per plot group (rows) and category (columns, then ``combined``).

    Example:
        >>> table = yields(load_result("results/higgs4l_demo"))  # doctest: +SKIP
        >>> table.cells["Data"]["4mu"].value  # doctest: +SKIP
        72.0
    """

    name: str
    histogram: str
    axis: str | None  # the category axis of the columns (None: only "combined")
    columns: list[str]
    kinds: dict[str, str]  # group → stack, signal, data (as plotted) or mc
    cells: dict[str, dict[str, Yield]]
    comparisons: list[Comparison]

    def as_dict(self) -> dict[str, Any]:
        """Machine-readable: the table and the comparisons."""
        return {
            "histogram": self.histogram,
            "axis": self.axis,
            "columns": self.columns,
            "groups": {
                group: {
                    "kind": self.kinds[group],
                    **{c: {"value": y.value, "error": y.error} for c, y in row.items()},
                }
                for group, row in self.cells.items()
            },
            "comparisons": [
                {
                    "group": c.group,
                    "column": c.column,
                    "value": c.ours.value,
                    "error": c.ours.error,
                    "reference": c.reference,
                    "reference_error": c.reference_error,
                    "difference": c.difference,
                    "pull": c.pull,
                }
                for c in self.comparisons
            ],
        }


def yields(
    result: Result, config: AnalysisConfig | None = None, histogram: str | None = None
) -> YieldTable:
    """Per-group yields of one histogram per category of its first category axis, and all
    categories combined; nominal, in-range bins (what the figures show), compared with the
    ``yields.reference`` table of the configuration when it has one.

    The histogram is ``histogram``, else ``yields.histogram``, else the first plotted one,
    else the first booked. Rows: the groups of the first plot of that histogram (stack,
    signal, data), then every other group of the result.

    Example:
        >>> table = yields(load_result("results/higgs4l_demo"))  # doctest: +SKIP
        >>> table.columns  # doctest: +SKIP
        ['4mu', '4e', '2e2mu', 'combined']
    """
    config = config or result.config
    spec = config.yields
    histogram = histogram or (spec.histogram if spec else None) or _first_histogram(config)
    kinds = _yield_rows(result, config, histogram)
    h = result.histograms.get(histogram)
    categories = [a for a in list(h.axes)[2:] if isinstance(a, hist.axis.StrCategory)] if h else []
    axis = categories[0].name if categories else None
    selections = [(c, {axis: c}) for c in (categories[0] if categories else [])]
    selections.append((COMBINED, {}))
    cells: dict[str, dict[str, Yield]] = {group: {} for group in kinds}
    for column, select in selections:
        try:
            grouped = group_histograms(result, histogram, kinds, select, config)
        except PlotError as err:
            raise PlotError(f"yields: {err}") from None
        for group, numbers in grouped.items():
            cells[group][column] = Yield(numbers.total, numbers.total_variance)
    columns = [c for c, _ in selections]
    reference = spec.reference if spec else {}
    return YieldTable(
        config.name,
        histogram,
        axis,
        columns,
        kinds,
        cells,
        _compare(cells, columns, reference),
    )


def _first_histogram(config: AnalysisConfig) -> str:
    for name, plot in config.plots.items():
        return plot.histogram or name
    if not config.histograms:
        raise PlotError("yields: the configuration books no histogram")
    return next(iter(config.histograms))


def _yield_rows(result: Result, config: AnalysisConfig, histogram: str) -> dict[str, str]:
    """``{group: kind}``: the first plot of the histogram's groups, then the other groups."""
    kinds: dict[str, str] = {}
    for name, plot in config.plots.items():
        if (plot.histogram or name) == histogram:
            kinds = _roles(plot)
            break
    inputs = result.manifest["inputs"]
    for group, datasets in group_members(result, config).items():
        if group not in kinds:
            data = all(inputs[d].get("kind") == "data" for d in datasets)
            kinds[group] = "data" if data else "mc"
    return kinds


def _compare(
    cells: dict[str, dict[str, Yield]],
    columns: list[str],
    reference: dict[str, dict[str, float | tuple[float, float]]],
) -> list[Comparison]:
    comparisons = []
    for group, row in reference.items():
        if group not in cells:
            raise PlotError(
                f"yields.reference: no group {group!r}"
                + did_you_mean(group, cells)
                + f"; groups: {', '.join(cells)}"
            )
        for column, given in row.items():
            if column not in columns:
                raise PlotError(
                    f"yields.reference.{group}: no column {column!r}"
                    + did_you_mean(column, columns)
                    + f"; columns: {', '.join(columns)}"
                )
            value, error = given if isinstance(given, tuple) else (given, 0.0)
            comparisons.append(Comparison(group, column, cells[group][column], value, error))
    return comparisons


def render_yields(table: YieldTable, console: Console | None = None) -> None:
    """Print a :class:`YieldTable` (and its comparison with the reference) as rich tables.

    Simulation shows value ± √Σw², data the count.

    Example:
        >>> render_yields(yields(load_result("results/higgs4l_demo")))  # doctest: +SKIP
    """
    console = console or Console(highlight=False)
    where = f"per {table.axis}, " if table.axis else ""
    out = Table(
        title=f"{table.name}: yields of {table.histogram!r} ({where}nominal, in-range bins)"
    )
    out.add_column("group")
    out.add_column("kind")
    for column in table.columns:
        out.add_column(column, justify="right")
    for group, row in table.cells.items():
        cells = [_format_yield(row[c], table.kinds[group] == "data") for c in table.columns]
        out.add_row(group, table.kinds[group], *cells)
    console.print(out)
    if not table.comparisons:
        return
    compared = Table(title="against the reference: difference and pull")
    for column in ("group", "column", "ours", "reference", "difference", "pull"):
        compared.add_column(column, justify="left" if column in ("group", "column") else "right")
    for c in table.comparisons:
        data = table.kinds[c.group] == "data"
        compared.add_row(
            c.group,
            c.column,
            _format_yield(c.ours, data),
            _plus_minus(c.reference, c.reference_error),
            _signed(c.difference, math.sqrt(c.ours.variance + c.reference_error**2)),
            "—" if c.pull is None else f"{c.pull:+.2f}σ",
        )
    console.print(compared)


def _format_yield(y: Yield, data: bool) -> str:
    if data and float(y.value).is_integer():
        return f"{y.value:.0f}"
    return _plus_minus(y.value, y.error)


def _plus_minus(value: float, error: float) -> str:
    """``12.3 ± 1.2``: the error to two significant digits, the value to the same place.

    Example:
        >>> _plus_minus(12.345, 1.234), _plus_minus(1234.6, 56.7), _plus_minus(3.0, 0.0)
        ('12.3 ± 1.2', '1235 ± 57', '3')
    """
    if error <= 0:
        return f"{value:.6g}"
    decimals = _decimals(error)
    return f"{value:.{decimals}f} ± {error:.{decimals}f}"


def _signed(value: float, error: float) -> str:
    """A difference with a sign, to the place of its error's second significant digit.

    Example:
        >>> _signed(9.932, 3.2), _signed(-2.0, 0.0)
        ('+9.9', '-2')
    """
    return f"{value:+.{_decimals(error)}f}" if error > 0 else f"{value:+.6g}"


def _decimals(error: float) -> int:
    return min(6, max(0, 1 - math.floor(math.log10(error))))
