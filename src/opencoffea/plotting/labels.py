"""The text of a figure: experiment and luminosity labels as CMS writes them, the y-axis
title, legend entries, annotations; unicode the CMS font cannot show written as mathtext.

Example:
    >>> lumi_text(11580, 8)
    '11.6 fb$^{-1}$ (8 TeV)'
"""

from __future__ import annotations

import re
from typing import Any

import numpy as np

from ..config import AnalysisConfig, Plot

__all__ = [
    "annotation_places",
    "draw_annotations",
    "energy_of",
    "experiment_label",
    "legend_text",
    "lumi_text",
    "mathtext",
    "split_unit",
    "ylabel_text",
]

_SUPERSCRIPTS = str.maketrans("⁰¹²³⁴⁵⁶⁷⁸⁹⁻⁺", "0123456789-+")


def experiment_label(plot: Plot, config: AnalysisConfig) -> tuple[str, str, str]:
    """``(experiment, text, right)``: ``CMS`` (drawn bold), the rest of the label (italic),
    and the text of the right-hand side: ``lumi_label``, else luminosity and energy.

    Example:
        >>> from opencoffea.config import load_config
        >>> config = load_config("configs/higgs4l_2012.yaml")  # 11580 pb⁻¹
        >>> experiment_label(Plot(data="Data", label="CMS Open Data", energy=8), config)
        ('CMS', 'Open Data', '11.6 fb$^{-1}$ (8 TeV)')
        >>> experiment_label(Plot(data="Data", label="My study", lumi_label="13 TeV"), config)
        ('', 'My study', '13 TeV')
    """
    experiment, _, text = plot.label.partition(" ")
    if experiment != "CMS":  # shown as written: no "CMS" added to another label
        experiment, text = "", plot.label
    if plot.lumi_label is not None:
        right = plot.lumi_label
    else:
        right = lumi_text(config.luminosity, plot.energy or energy_of(config))
    return experiment, mathtext(text), mathtext(right)


def lumi_text(luminosity: float | None, energy: float | None = None) -> str:
    """``11.6 fb⁻¹ (8 TeV)``, as CMS figures say it: the luminosity from pb⁻¹ (in pb⁻¹
    below 1 fb⁻¹), then √s in TeV; either may be missing.

    Example:
        >>> lumi_text(11580, 8), lumi_text(50), lumi_text(None, 13.6)
        ('11.6 fb$^{-1}$ (8 TeV)', '50 pb$^{-1}$', '(13.6 TeV)')
    """
    parts = []
    if luminosity:
        unit, value = ("fb", luminosity / 1000) if luminosity >= 1000 else ("pb", luminosity)
        parts.append(f"{value:.3g} {unit}$^{{-1}}$")
    if energy:
        parts.append(f"({energy:g} TeV)")
    return " ".join(parts)


# √s of the LHC's runs, by year of data taking
_ENERGIES = {2010: 7.0, 2011: 7.0, 2012: 8.0, 2015: 13.0, 2016: 13.0, 2017: 13.0, 2018: 13.0}


def energy_of(config: AnalysisConfig) -> float | None:
    """√s in TeV from the years of the configuration's eras (its ``era:``, its datasets'),
    None where they say none, or different ones (2011 and 2012).

    Example:
        >>> from opencoffea.config import load_config
        >>> energy_of(load_config("configs/dimuon_2016.yaml"))  # era: 2016postVFP
        13.0
        >>> energy_of(load_config("configs/dimuon_demo.yaml")) is None  # no era
        True
    """
    eras = [config.era, *(d.era for d in config.datasets.values())]
    years = {int(y) for era in eras if era for y in re.findall(r"20[1-3]\d", era)}
    energies = {_ENERGIES.get(year, 13.6 if year >= 2022 else None) for year in years}
    return energies.pop() if len(energies) == 1 else None


def ylabel_text(edges: np.ndarray, axis_label: str) -> str:
    """``Events / 3 GeV`` for uniform bins, with the unit of ``[GeV]`` in the axis label.

    Example:
        >>> ylabel_text(np.array([70.0, 73, 76]), "m [GeV]")
        'Events / 3 GeV'
        >>> ylabel_text(np.array([0.0, 1, 3]), "x")  # bins of different widths
        'Events'
    """
    widths = np.diff(edges)
    if not np.allclose(widths, widths[0], rtol=1e-6) or len(widths) < 2:
        return "Events"
    _, unit = split_unit(axis_label or "")
    width = f"{widths[0]:.3g}"
    if unit:
        return f"Events / {width} {unit}"
    return "Events" if width == "1" else f"Events / {width}"


def split_unit(axis_label: str) -> tuple[str, str]:
    """An axis label's name and its unit, the one in brackets at its end (or none).

    Example:
        >>> split_unit("$p_{T}$ [GeV]"), split_unit("n jets")
        (('$p_{T}$', 'GeV'), ('n jets', ''))
    """
    found = re.search(r"\s*\[\s*([^\]]+?)\s*\]\s*$", axis_label)
    if not found:
        return axis_label, ""
    return axis_label[: found.start()], found.group(1)


def mathtext(text: str) -> str:
    r"""Unicode superscripts (fb⁻¹) and overbars (tt̄) as mathtext, outside ``$…$``: the CMS
    font (TeX Gyre Heros) lacks the superscripts and misplaces the combining overbar.

    Example:
        >>> mathtext("L = 11.6 fb⁻¹, tt̄ and $x^2$")
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


def legend_text(plot: Plot, group: str) -> str:
    r"""A group's legend entry: its ``labels`` text, else its name, as mathtext.

    Example:
        >>> from opencoffea.config import Plot
        >>> legend_text(Plot(stack=["tt̄", "ZZ"], labels={"ZZ": "$ZZ$"}), "tt̄")
        't$\\bar{t}$'
    """
    return mathtext(plot.labels.get(group, group))


def annotation_places(plot: Plot, edges: np.ndarray, heights: np.ndarray) -> list[dict[str, Any]]:
    """Where each annotation of a plot goes: ``{text, x, y}``, ``y`` the one given, else
    just above ``heights`` (the top of what is drawn in each bin) around ``x``.

    Around is within 2 % of the x axis's width (on its scale, log or not) either side: a
    text is wider than a bin, and should not sit on a peak beside it. Just above is 3 % of
    the highest thing drawn (a factor of 1.3 on a log axis). Annotations outside the bins
    are left out.

    Example:
        >>> notes = [{"text": "Z", "x": 91.2}, {"text": "far", "x": 500},
        ...          {"text": "set", "x": 1, "y": 2.5}]
        >>> plot = Plot(data="Data", annotations=notes)
        >>> annotation_places(plot, np.array([0.0, 50, 100]), np.array([10.0, 100]))
        [{'text': 'Z', 'x': 91.2, 'y': 103.0}, {'text': 'set', 'x': 1.0, 'y': 2.5}]
    """
    scale = np.log10 if plot.logx else np.asarray
    places = np.asarray(scale(edges), dtype=float)
    centres, reach = (places[:-1] + places[1:]) / 2, 0.02 * (places[-1] - places[0])
    peak = float(np.max(heights)) if heights.size else 0.0
    out = []
    for note in plot.annotations:
        if not edges[0] <= note.x < edges[-1]:
            continue
        y = note.y
        if y is None:
            near = np.abs(centres - float(scale(note.x))) <= reach
            near[np.searchsorted(edges, note.x, side="right") - 1] = True  # its own bin
            top = float(np.max(heights[near]))
            y = max(top, peak * 1e-3) * 1.3 if plot.logy else top + 0.03 * peak
        out.append({"text": note.text, "x": note.x, "y": y})
    return out


def draw_annotations(ax: Any, places: list[dict[str, Any]]) -> None:
    """Draw annotations on matplotlib axes ``ax``, each centred on its x, above its y.

    Example:
        >>> from matplotlib.figure import Figure
        >>> ax = Figure().subplots()
        >>> draw_annotations(ax, [{"text": "J/ψ", "x": 3.1, "y": 40.0}])
        >>> [text.get_text() for text in ax.texts]
        ['J/ψ']
    """
    for place in places:
        ax.annotate(
            mathtext(place["text"]),
            (place["x"], place["y"]),
            ha="center",
            va="bottom",
            fontsize="small",
        )
