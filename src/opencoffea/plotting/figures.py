"""CMS-style figures of a result (matplotlib + mplhep): stack, signals, data points with
Garwood intervals, the uncertainty band, the ratio panel, labels and legend; each saved as PNG
and PDF beside the JSON of exactly what it shows. Also the pulls of a fit's nuisance
parameters (:func:`plot_pulls`, drawn for :mod:`opencoffea.inference.fit`).

Every mistake in the plots is found by :func:`check_plots` before any figure is drawn.

Example:
    >>> from opencoffea import load_result
    >>> paths = plot_result(load_result(higgs4l_demo))
    >>> [path.name for path in paths][:3]
    ['m4l.png', 'm4l.pdf', 'm4l.json']
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any, cast

import matplotlib
import mplhep
import numpy as np
from hist.intervals import poisson_interval
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.colors import is_color_like
from matplotlib.figure import Figure
from matplotlib.layout_engine import ConstrainedLayoutEngine
from matplotlib.ticker import FuncFormatter, MaxNLocator

from ..config import AnalysisConfig, Plot
from ..errors import PlotError
from .band import band_problems
from .colours import colour, plot_colours
from .groups import GroupHistogram, check_groups, group_members, plot_roles, reduce_histogram
from .labels import draw_annotations, experiment_label, legend_text, mathtext, ylabel_text
from .numbers import numbers_from_groups, plot_groups, stack_total
from .plottable import Plottable
from .quicklook import drawn_plots, plot_named
from .style import CMSFigure

__all__ = ["check_plots", "figure_of", "plot_pulls", "plot_result"]

# Where the tallest thing drawn sits, as a fraction of the frame's height: the rest is left
# to the legend (top right) and the experiment label (top left, inside the frame).
PEAK_HEIGHT = 0.7


def check_plots(result: Plottable, config: AnalysisConfig | None = None) -> None:
    """Every mistake in the plots of ``config`` against this result, in one error.

    Called by :func:`plot_result` before it draws anything, so a bad plot leaves no
    half-written figures.

    Example:
        >>> from opencoffea import load_result
        >>> result = load_result(higgs4l_demo)
        >>> check_plots(result)  # every plot can be drawn: nothing to say
        >>> plots = {"m4l": Plot(stack=["ZZ"], data="Data", colors={"ZZ": "kAzur"})}
        >>> check_plots(result, result.config.model_copy(update={"plots": plots}))
        ...
        Traceback (most recent call last):
        ...
        opencoffea.errors.PlotError: 2 problems in the plots:
        plot 'm4l': no dataset of the result is in group 'ZZ'; groups: Data, m_H = 125 GeV, ZZ → 4ℓ
        plot 'm4l': 'kAzur' (colour of 'ZZ') is not a matplotlib colour or a known ROOT colour name
    """
    config = config or result.config
    members = group_members(result, config)
    problems = []
    for name, plot in drawn_plots(result, config).items():
        if not re.fullmatch(r"[A-Za-z0-9_.\-]+", name):
            problems.append(f"plot {name!r}: name it with letters, digits, '_', '-' and '.'")
        try:
            reduce_histogram(result, plot.histogram or name, plot.select)
            check_groups(plot_roles(plot), members)
        except PlotError as err:
            problems.append(f"plot {name!r}: {err}")
        else:
            problems += band_problems(result, config, name, plot)
        for group, value in plot.colors.items():
            if not is_color_like(colour(value)):
                problems.append(
                    f"plot {name!r}: {value!r} (colour of {group!r}) is not a matplotlib "
                    "colour or a known ROOT colour name"
                )
    if problems:
        head = f"{len(problems)} problems in the plots:\n" if len(problems) > 1 else ""
        raise PlotError(head + "\n".join(problems))


def figure_of(result: Plottable, name: str, config: AnalysisConfig | None = None) -> CMSFigure:
    """The figure of plot ``name`` of the YAML, else of a quick look at histogram ``name``,
    as :func:`plot_result` draws it, not saved: to show in a notebook, change, or save.

    Example:
        >>> from opencoffea import load_result
        >>> figure = figure_of(load_result(higgs4l_demo), "mZ1")  # a histogram, no plot
        >>> [axes.get_xlabel() for axes in figure.axes]
        ['$m_{Z_1}$ [GeV]']
    """
    config = config or result.config
    plot = plot_named(result, config, name)
    groups = plot_groups(result, config, name, plot)
    numbers = numbers_from_groups(result, config, name, plot, groups)
    with matplotlib.rc_context(mplhep.style.CMS):
        return cast(CMSFigure, _figure(plot, groups, numbers, config))  # _figure makes one


def plot_result(
    result: Plottable, config: AnalysisConfig | None = None, directory: Path | None = None
) -> list[Path]:
    """Draw every plot of the configuration: ``<plot>.png``, ``.pdf`` and ``.json``; without
    ``plots:``, a quick look at each histogram (:func:`~.quicklook.drawn_plots`).

    ``config`` defaults to the result's own; ``directory`` to ``<result>/plots``, and must be
    given for a result that is not written yet (its ``directory`` is None).

    Example:
        >>> from opencoffea import load_result
        >>> paths = plot_result(load_result(higgs4l_demo))
        >>> [p.name for p in paths][:4]
        ['m4l.png', 'm4l.pdf', 'm4l.json', 'm4l_4mu.png']
    """
    config = config or result.config
    if directory is None:
        if result.directory is None:
            raise PlotError("the result is not written to a directory: give one for the plots")
        directory = result.directory / "plots"
    check_plots(result, config)
    directory = Path(directory)
    written: list[Path] = []
    for name, plot in drawn_plots(result, config).items():
        directory.mkdir(parents=True, exist_ok=True)
        groups = plot_groups(result, config, name, plot)
        numbers = numbers_from_groups(result, config, name, plot, groups)
        # Drawing and saving inside the style: fonts are looked up when text is rendered.
        with matplotlib.rc_context(mplhep.style.CMS):
            written += _save(_figure(plot, groups, numbers, config), directory / name)
        path = directory / f"{name}.json"
        path.write_text(json.dumps(numbers, indent=1, ensure_ascii=False) + "\n")
        written.append(path)
    return written


def plot_pulls(pulls: dict[str, tuple[float, float]], stem: Path, title: str = "") -> list[Path]:
    """The nuisance parameters after a fit, ``{name: (θ̂, σ)}`` in units of their prior width,
    against the ±1σ and ±2σ of the prior: ``<stem>.png`` and ``<stem>.pdf``.

    Example:
        >>> import tempfile
        >>> paths = plot_pulls({"lumi": (0.2, 0.9), "xsec_ZZ": (-0.5, 0.8)},
        ...                    Path(tempfile.mkdtemp()) / "pulls")
        >>> [p.name for p in paths]
        ['pulls.png', 'pulls.pdf']
    """
    names = list(pulls)
    with matplotlib.rc_context(mplhep.style.CMS):
        figure = CMSFigure(figsize=(9, 2.5 + 0.6 * max(len(names), 1)), layout="constrained")
        FigureCanvasAgg(figure)
        ax = figure.subplots()
        ax.axvspan(-2, 2, color="#ffff99", label="±2σ")
        ax.axvspan(-1, 1, color="#99ff99", label="±1σ")
        ax.axvline(0, color="black", linestyle="--", linewidth=1)
        values, errors = [v for v, _ in pulls.values()], [e for _, e in pulls.values()]
        ax.errorbar(values, np.arange(len(names)), xerr=errors, fmt="o", color="black")
        ax.set_yticks(np.arange(len(names)), [mathtext(n) for n in names])
        ax.set_ylim(len(names) - 0.5, -0.5)  # the first at the top
        ax.set_xlim(-3, 3)
        ax.set_xlabel(r"$\hat{\theta}$ (prior: 0 ± 1)")
        ax.set_title(mathtext(title), loc="left", fontsize="medium")
        return _save(figure, stem)


def _save(figure: Figure, stem: Path) -> list[Path]:
    """``<stem>.png`` and ``<stem>.pdf`` of a figure (to be called inside the CMS style)."""
    written = []
    for suffix in ("png", "pdf"):
        path = stem.with_name(f"{stem.name}.{suffix}")
        # no creation date in the PDF: the same result gives the same file
        metadata = {"CreationDate": None} if suffix == "pdf" else None
        figure.savefig(path, dpi=100, metadata=metadata)
        written.append(path)
    return written


def _figure(
    plot: Plot, groups: dict[str, GroupHistogram], numbers: dict[str, Any], config: AnalysisConfig
) -> Figure:
    """One plot's figure (to be made and saved inside the CMS style)."""
    edges = np.asarray(numbers["edges"])
    axis_label = numbers["axis"]["label"] or numbers["axis"]["name"]
    stack = stack_total(groups, plot)
    expected = stack.values + sum(
        (groups[g].values for g in plot.signal), np.zeros_like(stack.values)
    )
    expected_var = stack.variances + sum(
        (groups[g].variances for g in plot.signal), np.zeros_like(stack.values)
    )
    colours = plot_colours(plot)
    # The ratio panel sits right under the main one. Made inside the CMS style, whose pads
    # are the defaults.
    layout = (
        ConstrainedLayoutEngine(hspace=0, h_pad=0.02) if plot.ratio else ConstrainedLayoutEngine()
    )
    figure = CMSFigure(figsize=(10, 12.5 if plot.ratio else 10), layout=layout)
    FigureCanvasAgg(figure)  # no pyplot: no display needed, no global figure state
    if plot.ratio:
        top, bottom = figure.subplots(2, 1, sharex=True, gridspec_kw={"height_ratios": (3, 1)})
    else:
        top, bottom = figure.subplots(), None
    peak, smallest = _draw_main(top, plot, groups, stack, expected, edges, colours)
    bands = _bands(numbers["band"], expected, expected_var)
    if numbers["band"] is not None:
        for low, high, style in bands:
            _draw_band(top, expected, low, high, edges, 1.0, style)
        peak = max(peak, float(np.max([high for _, high, _ in bands])))
    _limits(top, plot, edges, peak, smallest)
    _legend(top, plot, [style["label"] for _, _, style in bands] if numbers["band"] else [])
    _label(top, plot, config)
    draw_annotations(top, numbers["annotations"])
    top.set_ylabel(mathtext(plot.ylabel or ylabel_text(edges, axis_label)))
    xlabel = mathtext(plot.xlabel or axis_label)
    if bottom is not None and plot.data:
        _draw_ratio(bottom, plot, groups[plot.data], expected, bands, edges)
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
            label=[legend_text(plot, g) for g in plot.stack],
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
            label=legend_text(plot, group),
            flow=None,
            ax=ax,
        )
        lows.append(line)
        tops.append(line)
    if plot.data:
        data = groups[plot.data]
        _, high = _draw_points(ax, data, expected, edges, 1.0, legend_text(plot, plot.data))
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


# How each band is drawn: hatched, so that what is under it stays visible.
_STAT_STYLE = {"label": "Stat. unc.", "edgecolor": "grey", "hatch": "////"}
_SYST_STYLE = {"label": "Syst. unc.", "edgecolor": "dimgrey", "hatch": "\\\\\\\\"}
_TOTAL_STYLE = {"label": r"Stat. $\oplus$ syst. unc.", "edgecolor": "dimgrey", "hatch": "////"}


def _bands(
    band: dict[str, Any] | None, expected: np.ndarray, expected_var: np.ndarray
) -> list[tuple[np.ndarray, np.ndarray, dict[str, str]]]:
    """(lower edge, upper edge, style) of each band to draw: the plot's uncertainty band (and
    the statistical one apart, if it says so), or the statistical one alone."""
    stat = np.sqrt(expected_var)
    if band is None:
        return [(expected - stat, expected + stat, _STAT_STYLE)]
    edges = (np.asarray(band["down"]), np.asarray(band["up"]))
    if band["stat"] == "merge":
        return [(*edges, _TOTAL_STYLE)]
    return [(*edges, _SYST_STYLE), (expected - stat, expected + stat, _STAT_STYLE)]


def _draw_band(
    ax: Any,
    expected: np.ndarray,
    low: np.ndarray,
    high: np.ndarray,
    edges: np.ndarray,
    scale: Any,
    style: dict[str, str],
) -> None:
    """A band from ``low`` to ``high`` around ``expected``, all divided by ``scale``."""
    with np.errstate(divide="ignore", invalid="ignore"):
        centre, low, high = expected / scale, low / scale, high / scale
    shown = np.isfinite(centre) & np.isfinite(low) & np.isfinite(high)
    mplhep.histplot(
        np.where(shown, centre, np.nan),
        edges,
        yerr=np.array([np.where(shown, centre - low, 0), np.where(shown, high - centre, 0)]),
        histtype="band",
        facecolor="none",
        linewidth=0,
        alpha=1,
        flow=None,
        ax=ax,
        **style,
    )


def _draw_ratio(
    ax: Any,
    plot: Plot,
    data: GroupHistogram,
    expected: np.ndarray,
    bands: list[tuple[np.ndarray, np.ndarray, dict[str, str]]],
    edges: np.ndarray,
) -> None:
    """Data / (stack + signal) with the data's errors, and the bands over the prediction."""
    safe = np.where(expected > 0, expected, np.nan)
    _draw_points(ax, data, expected, edges, safe, None)
    for low, high, style in bands:
        _draw_band(ax, expected, low, high, edges, safe, style)
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


def _legend(ax: Any, plot: Plot, bands: list[str]) -> None:
    """Data first, then the signals, the stack from its top down (as it is seen), the bands."""
    handles = dict(zip(*reversed(ax.get_legend_handles_labels()), strict=True))
    order = [
        *([plot.data] if plot.data else []),
        *plot.signal,
        *reversed(plot.stack),
    ]
    labels = [legend_text(plot, g) for g in order] + bands
    ax.legend(
        [handles[label] for label in labels if label in handles],
        [label for label in labels if label in handles],
        loc=plot.legend,
    )


def _label(ax: Any, plot: Plot, config: AnalysisConfig) -> None:
    """The experiment label (``CMS`` bold, the rest italic) and the luminosity on the right."""
    experiment, text, right = experiment_label(plot, config)
    # inside the frame, top left, the text under "CMS" (a long one stays clear of the
    # legend); the luminosity above the frame on the right; no "Simulation" added
    mplhep.label.exp_label(exp=experiment, text=text, data=True, rlabel=right, loc=2, ax=ax)
