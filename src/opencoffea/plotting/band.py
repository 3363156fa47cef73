"""The uncertainty band of a prediction: systematic sources in quadrature, with or apart from
the simulation's statistical uncertainty.

:func:`uncertainty_band` is the whole rule, in numpy:

- each source moves the processes together (a nuisance is correlated across them): for each
  of its shifts the processes are summed first, a process without that shift counting at its
  nominal, Δ = Σ shifted − Σ nominal;
- per bin, the band goes up by max(Δup, Δdown, 0) and down by min(Δup, Δdown, 0) (a source
  whose two shifts go the same way widens one side only);
- a normalisation-only uncertainty (a factor κ of a log-normal on some processes) moves the
  sum by Σ rate · (κ − 1), up and down;
- the sources add in quadrature, each side apart; the statistical uncertainty √Σw² joins
  them in quadrature (``merge``) or stays apart (``separate``).

:func:`plot_band` gives the band of a plot of a result: around the stack and its signals
(the prediction the ratio panel divides by), the sources named by the plot's ``syst_band``.

Example:
    >>> nominal = {"ZZ": np.array([10.0]), "H": np.array([2.0])}
    >>> shifts = {"jes": {"ZZ": (np.array([11.0]), np.array([9.5])),
    ...                   "H": (np.array([2.2]), None)}}  # H without a down shift: nominal
    >>> band = uncertainty_band(nominal, shifts, {"lumi": {"ZZ": 1.1, "H": 1.1}})
    >>> band.syst_up.round(3), band.syst_down.round(3)  # √(1.2² + 1.2²), −√(0.5² + 1.2²)
    (array([1.697]), array([-1.3]))
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Literal

import numpy as np

from ..config import AnalysisConfig, Plot
from ..errors import PlotError
from ..util import choices
from .groups import GroupHistogram
from .plottable import Plottable
from .variations import group_variations, sources

__all__ = ["Band", "band_problems", "band_sources", "plot_band", "uncertainty_band"]

Shift = tuple[np.ndarray | None, np.ndarray | None]
"""A process's values at a source's up and down shifts (None: it has no such shift)."""


@dataclass(frozen=True)
class Band:
    """A band around ``nominal``: ``down`` and ``up`` are its edges, per bin.

    ``syst_up`` (≥ 0) and ``syst_down`` (≤ 0) are the systematic shifts, ``stat`` the
    statistical uncertainty; the edges hold both when ``stat`` is ``merge``, the systematic
    shifts only when it is ``separate`` (the statistical band is then ``nominal ± stat``).

    Example:
        >>> b = Band(np.array([4.0]), np.array([3.0]), np.array([-4.0]), np.array([0.0]),
        ...          ("jes",), "merge")
        >>> b.up, b.down
        (array([7.]), array([0.]))
    """

    nominal: np.ndarray
    syst_up: np.ndarray
    syst_down: np.ndarray
    stat: np.ndarray
    sources: tuple[str, ...]
    stat_mode: Literal["merge", "separate"]

    @property
    def up(self) -> np.ndarray:
        """The upper edge of the band."""
        if self.stat_mode == "separate":
            return self.nominal + self.syst_up
        return self.nominal + np.hypot(self.syst_up, self.stat)

    @property
    def down(self) -> np.ndarray:
        """The lower edge of the band."""
        if self.stat_mode == "separate":
            return self.nominal + self.syst_down
        return self.nominal - np.hypot(self.syst_down, self.stat)

    def as_dict(self) -> dict[str, Any]:
        """The band as a plot's JSON holds it.

        Example:
            >>> b = Band(np.array([4.0]), np.array([3.0]), np.array([-1.0]), np.array([0.0]),
            ...          ("jes",), "separate")
            >>> b.as_dict()["down"], b.as_dict()["up"]
            ([3.0], [7.0])
        """
        return {
            "sources": list(self.sources),
            "stat": self.stat_mode,
            "values": self.nominal.tolist(),
            "down": self.down.tolist(),
            "up": self.up.tolist(),
            "syst_down": self.syst_down.tolist(),
            "syst_up": self.syst_up.tolist(),
            "stat_error": self.stat.tolist(),
        }


def uncertainty_band(
    nominal: Mapping[str, np.ndarray],
    shifts: Mapping[str, Mapping[str, Shift]] | None = None,
    kappas: Mapping[str, Mapping[str, float]] | None = None,
    variances: Mapping[str, np.ndarray] | None = None,
    stat: Literal["merge", "separate"] = "merge",
) -> Band:
    """The band around the sum of the ``nominal`` processes (``{process: values}``).

    ``shifts`` is ``{source: {process: (up, down)}}``: a process not given, or a shift that is
    None, counts at its nominal. ``kappas`` is ``{source: {process: κ}}`` for the
    normalisation-only sources; ``variances`` ``{process: Σw²}`` (none: no statistical part).

    Example:
        >>> nominal = {"ZZ": np.array([10.0, 4.0])}
        >>> same_way = {"jes": {"ZZ": (np.array([11.0, 5.0]), np.array([10.5, 3.0]))}}
        >>> b = uncertainty_band(nominal, same_way, variances={"ZZ": np.array([0.0, 0.0])})
        >>> b.up, b.down  # bin 1: both shifts up, the lower edge stays; bin 2: ±1
        (array([11.,  5.]), array([10.,  3.]))
    """
    total = sum(nominal.values(), np.zeros_like(next(iter(nominal.values())), dtype=float))
    ups, downs = [], []
    for by_process in (shifts or {}).values():
        delta = [np.zeros_like(total), np.zeros_like(total)]
        for process, values in nominal.items():
            for side, shifted in enumerate(by_process.get(process, (None, None))):
                if shifted is not None:
                    delta[side] = delta[side] + (shifted - values)
        ups.append(np.maximum.reduce([delta[0], delta[1], np.zeros_like(total)]))
        downs.append(np.minimum.reduce([delta[0], delta[1], np.zeros_like(total)]))
    for factors in (kappas or {}).values():
        delta_rate = sum(
            (nominal[p] * (kappa - 1) for p, kappa in factors.items() if p in nominal),
            np.zeros_like(total),
        )
        ups.append(np.abs(delta_rate))
        downs.append(-np.abs(delta_rate))
    zero = np.zeros_like(total)
    statistical = (
        np.sqrt(sum((variances[p] for p in nominal), zero)) if variances is not None else zero
    )
    return Band(
        nominal=total,
        syst_up=np.sqrt(sum((u**2 for u in ups), zero)),
        syst_down=-np.sqrt(sum((d**2 for d in downs), zero)),
        stat=statistical,
        sources=(*(shifts or {}), *(kappas or {})),
        stat_mode=stat,
    )


def band_sources(result: Plottable, config: AnalysisConfig, histogram: str) -> list[str]:
    """Every source a band of ``histogram`` can take: the result's variations, then
    ``normalisation:``'s.

    Example:
        >>> from opencoffea import load_result
        >>> from opencoffea.config import Normalisation
        >>> result = load_result(higgs4l_demo)
        >>> config = result.config.model_copy(update={"normalisation": Normalisation(lumi=0.026)})
        >>> band_sources(result, config, "m4l")
        ['lumi']
    """
    shape = sources(str(s) for s in result.histograms[histogram].axes["systematic"])
    return [*shape, *(config.normalisation.sources if config.normalisation else [])]


def band_problems(result: Plottable, config: AnalysisConfig, name: str, plot: Plot) -> list[str]:
    """The sources that plot ``name``'s ``syst_band`` names and the result has not, each a
    problem (:func:`~.figures.check_plots` reports them with the plot's other mistakes).

    Example:
        >>> from opencoffea import load_result
        >>> from opencoffea.config import SystBand
        >>> result = load_result(higgs4l_demo)
        >>> plot = result.config.plots["m4l"].model_copy(
        ...     update={"syst_band": SystBand(sources=["lumo"])})
        >>> band_problems(result, result.config, "m4l", plot)  # doctest: +NORMALIZE_WHITESPACE
        ["plot 'm4l': no uncertainty 'lumo' for its band (did you mean 'lumi'?); uncertainties:
         lumi, xsec_ZZ → 4ℓ"]
    """
    if plot.syst_band is None or plot.syst_band.sources == "all":
        return []
    available = band_sources(result, config, plot.histogram or name)
    return [
        f"plot {name!r}: no uncertainty {source!r} for its band"
        + choices(source, available, "uncertainties")
        for source in plot.syst_band.sources
        if source not in available
    ]


def plot_band(
    result: Plottable,
    config: AnalysisConfig,
    name: str,
    plot: Plot,
    groups: dict[str, GroupHistogram],
    only: str | None = None,
) -> Band | None:
    """The band of plot ``name`` (``plot``, of the YAML or a quick look) around its stack and
    signals (or around the group ``only``), None when it has none (``syst_band: null``, or no
    variation and no normalisation uncertainty). ``groups`` are the plot's groups
    (:func:`~.numbers.plot_groups`).

    Example:
        >>> from opencoffea import load_result
        >>> from opencoffea.config import Normalisation
        >>> from opencoffea.plotting.numbers import plot_groups
        >>> result = load_result(higgs4l_demo)
        >>> config = result.config.model_copy(
        ...     update={"normalisation": Normalisation(lumi=0.026, xsec={"ZZ → 4ℓ": 0.1})})
        >>> plot = config.plots["m4l"]
        >>> band = plot_band(result, config, "m4l", plot, plot_groups(result, config, "m4l", plot))
        >>> band.sources, round(float(band.syst_up.sum()), 2)  # 2.6 % of all, 10 % of ZZ
        (('lumi', 'xsec_ZZ → 4ℓ'), 16.69)
    """
    if plot.syst_band is None:
        return None
    histogram = plot.histogram or name
    available = band_sources(result, config, histogram)
    wanted = available if plot.syst_band.sources == "all" else plot.syst_band.sources
    unknown = [s for s in wanted if s not in available]
    if unknown:
        raise PlotError(
            f"plot {name!r}: no uncertainty {unknown[0]!r} for its band"
            + choices(unknown[0], available, "uncertainties")
        )
    if not wanted:
        return None
    processes = [only] if only is not None else [*plot.stack, *plot.signal]
    variations = group_variations(result, histogram, processes, plot.select, config)
    shifts = {
        source: {g: (variations.up[source][g], variations.down[source][g]) for g in processes}
        for source in variations.sources
        if source in wanted
    }
    kappas: dict[str, dict[str, float]] = {}
    if config.normalisation is not None:
        kinds = {config.group_of(d): spec.kind for d, spec in config.datasets.items()}
        for source in config.normalisation.sources:
            if source in wanted:
                kappas[source] = {
                    g: k[source]
                    for g in processes
                    if source in (k := config.normalisation.kappas(g, kinds.get(g, "mc")))
                }
    return uncertainty_band(
        {g: groups[g].values for g in processes},
        shifts,
        kappas,
        {g: groups[g].variances for g in processes},
        plot.syst_band.stat,
    )
