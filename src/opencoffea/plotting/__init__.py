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
  the band over the prediction (the simulation's statistical uncertainty √Σw² alone where
  the plot has no systematic band);
- ``syst_band: {sources: all | [...], stat: merge | separate}``: the uncertainty band of the
  prediction (stack + signal), drawn when the result has variations or ``normalisation:``
  declares uncertainties (:mod:`~opencoffea.plotting.band`); ``syst_band: null`` draws none.

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

A YAML without ``plots:`` gets a quick look at each histogram it can draw (groups stacked
under the data's points, with the band; or overlaid as lines, without), and ``annotations``
put texts at places of the x axis (the resonances of a mass spectrum). The right-hand label
is CMS's, ``11.6 fb⁻¹ (8 TeV)``.

Plotting reads a result through :class:`~opencoffea.plotting.plottable.Plottable` (its
histograms, configuration and manifest), so that it comes before the results in the layers
of the package and a :class:`~opencoffea.results.Result` can draw itself.

The modules, in the order the numbers flow:

- :mod:`~opencoffea.plotting.plottable`: what plotting reads of a result;
- :mod:`~opencoffea.plotting.colours`: ROOT colour names, the default palettes;
- :mod:`~opencoffea.plotting.groups`: a histogram reduced to the groups of a plot;
- :mod:`~opencoffea.plotting.quicklook`: the plots drawn: the YAML's, or quick looks;
- :mod:`~opencoffea.plotting.variations`: the groups at each shift of each source;
- :mod:`~opencoffea.plotting.band`: the uncertainty band (numpy);
- :mod:`~opencoffea.plotting.numbers`: a plot's numbers, its JSON;
- :mod:`~opencoffea.plotting.labels`: the text of a figure;
- :mod:`~opencoffea.plotting.style`: a figure that keeps the CMS style wherever it is drawn;
- :mod:`~opencoffea.plotting.figures`: drawing and saving (with ``style``, the only ones that
  import matplotlib);
- :mod:`~opencoffea.plotting.tables`: yields tables, computed and shown with rich.

Example:
    >>> from opencoffea import load_result
    >>> from opencoffea.plotting import plot_result
    >>> paths = plot_result(load_result(higgs4l_demo))
    >>> [p.name for p in paths][:3]
    ['m4l.png', 'm4l.pdf', 'm4l.json']
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from .colours import ROOT_COLOURS, colour
from .groups import GroupHistogram, group_histograms, group_members
from .numbers import plot_numbers
from .plottable import Plottable
from .quicklook import drawn_plots, plot_named, quick_plot
from .tables import COMBINED, Comparison, Yield, YieldTable, render_yields, yields

if TYPE_CHECKING:
    from .figures import check_plots, figure_of, plot_pulls, plot_result

__all__ = [
    "COMBINED",
    "ROOT_COLOURS",
    "Comparison",
    "GroupHistogram",
    "Plottable",
    "Yield",
    "YieldTable",
    "check_plots",
    "colour",
    "drawn_plots",
    "figure_of",
    "group_histograms",
    "group_members",
    "plot_named",
    "plot_numbers",
    "plot_pulls",
    "plot_result",
    "quick_plot",
    "render_yields",
    "yields",
]

# matplotlib and mplhep take most of a second to import: the figures' names are loaded when
# first asked for, so that the numbers and `opencoffea yields` do not pay for them.
_FIGURES = ("check_plots", "figure_of", "plot_pulls", "plot_result")


def __getattr__(name: str) -> Any:
    if name in _FIGURES:
        from . import figures

        return getattr(figures, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted({*globals(), *_FIGURES})
