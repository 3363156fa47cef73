"""Colours of the plot groups: ROOT colour names as hex, and the CMS run-1 palettes.

Example:
    >>> colour("kAzure-9")
    '#99ccff'
"""

from __future__ import annotations

from ..config import Plot

__all__ = ["ROOT_COLOURS", "SIGNAL_COLOURS", "STACK_COLOURS", "colour", "plot_colours"]

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
"""Stacked groups without a colour take these in turn: the pastels of the CMS run-1 figures."""
SIGNAL_COLOURS = ("kRed", "kBlue", "kMagenta", "kGreen+2", "kOrange+7")
"""Signal groups without a colour take these in turn."""


def colour(name: str) -> str:
    """A matplotlib colour from a matplotlib colour or a ROOT colour name.

    Example:
        >>> colour("kAzure-9"), colour("kAzure - 9"), colour("tab:blue")
        ('#99ccff', '#99ccff', 'tab:blue')
    """
    return ROOT_COLOURS.get(name.replace(" ", ""), name)


def plot_colours(plot: Plot) -> dict[str, str]:
    """Each group's colour: from ``colors``, else the next of the stack or signal palette.

    Example:
        >>> from opencoffea.config import Plot
        >>> plot_colours(Plot(stack=["ZZ", "tt"], signal=["H"], data="Data", colors={"H": "kBlue"}))
        {'ZZ': '#99ccff', 'tt': '#669966', 'H': '#0000ff', 'Data': 'black'}
    """
    colours = {}
    for palette, groups in ((STACK_COLOURS, plot.stack), (SIGNAL_COLOURS, plot.signal)):
        for index, group in enumerate(groups):
            colours[group] = colour(plot.colors.get(group, palette[index % len(palette)]))
    if plot.data:
        colours[plot.data] = "black"
    return colours
