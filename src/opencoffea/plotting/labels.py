"""The text of a figure: experiment and luminosity labels, the y-axis title, legend entries;
unicode the CMS font cannot show written as mathtext.

Example:
    >>> lumi_text(11580)
    'L = 11.6 fb$^{-1}$'
"""

from __future__ import annotations

import re

import numpy as np

from ..config import Plot

__all__ = [
    "experiment_label",
    "legend_text",
    "lumi_text",
    "mathtext",
    "split_unit",
    "ylabel_text",
]

_SUPERSCRIPTS = str.maketrans("⁰¹²³⁴⁵⁶⁷⁸⁹⁻⁺", "0123456789-+")


def experiment_label(plot: Plot, luminosity: float | None) -> tuple[str, str, str]:
    """``(experiment, text, right)``: ``CMS`` (drawn bold), the rest of the label (italic),
    and the luminosity text of the right-hand side.

    Example:
        >>> from opencoffea.config import Plot
        >>> experiment_label(Plot(data="Data", label="CMS Open Data"), 11580)
        ('CMS', 'Open Data', 'L = 11.6 fb$^{-1}$')
        >>> experiment_label(Plot(data="Data", label="My study", lumi_label="13 TeV"), 11580)
        ('', 'My study', '13 TeV')
    """
    experiment, _, text = plot.label.partition(" ")
    if experiment != "CMS":  # shown as written: no "CMS" added to another label
        experiment, text = "", plot.label
    right = plot.lumi_label if plot.lumi_label is not None else lumi_text(luminosity)
    return experiment, mathtext(text), mathtext(right)


def lumi_text(luminosity: float | None) -> str:
    """``L = 11.6 fb⁻¹`` from pb⁻¹ (in pb⁻¹ below 1 fb⁻¹), or nothing without a luminosity.

    Example:
        >>> lumi_text(11580), lumi_text(50)
        ('L = 11.6 fb$^{-1}$', 'L = 50 pb$^{-1}$')
    """
    if not luminosity:
        return ""
    if luminosity >= 1000:
        return f"L = {luminosity / 1000:.3g} fb$^{{-1}}$"
    return f"L = {luminosity:.3g} pb$^{{-1}}$"


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
