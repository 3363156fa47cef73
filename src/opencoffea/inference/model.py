"""The statistical model of a result, as the YAML's ``inference:`` section describes it: per
channel the observed counts, each process's prediction, its shape variations and its rate-only
(log-normal) uncertainties. The datacard and the pyhf workspace are both written from it, so
they hold the same numbers.

- Channels are the values of ``channel_axis`` (named ``<histogram>_<value>``), processes the
  signal and background groups (named by ``processes``, else the group's name in letters,
  digits and ``_``); the bins are those whose centre is inside ``range``. Events observed
  where nothing is predicted are an error (no fit could describe them).
- A source of the ``systematic`` axis is a ``shape`` nuisance (its up and down histograms; a
  one-sided source's down is the nominal, as in the plots' band), or a rate-only one
  (``rate``: κ = yield at the shift / nominal yield), on the processes it varies.
- ``normalisation:`` gives log-normal nuisances ``lumi`` and ``xsec_<process>``.
- A negative bin of a prediction (negative weights) is set to 0, with a warning (logged and
  kept in :attr:`StatModel.warnings`): neither Combine nor pyhf takes a negative rate.

Example:
    >>> from opencoffea import load_result
    >>> model = statistical_model(load_result(higgs4l_demo))
    >>> [c.name for c in model.channels], model.signals, model.backgrounds
    (['m4l_4mu', 'm4l_4e', 'm4l_2e2mu'], ['H125'], ['ZZ'])
    >>> model.channels[0].rates["lumi"]["ZZ"]  # (κ down, κ up) of a log-normal
    (0.9746588693957114, 1.026)
"""

from __future__ import annotations

import logging
import re
import unicodedata
from dataclasses import dataclass, field

import numpy as np

from ..config import AnalysisConfig, Inference
from ..errors import InferenceError, PlotError
from ..plotting.groups import group_histograms, group_members, reduce_histogram
from ..plotting.variations import Variations, group_variations
from ..results import Result
from ..util import choices

__all__ = ["Channel", "StatModel", "identifier", "statistical_model"]

_log = logging.getLogger(__name__)

Kappas = dict[str, dict[str, tuple[float, float]]]
"""``{nuisance: {process: (κ down, κ up)}}`` of the log-normal nuisances of a channel."""


@dataclass
class Channel:
    """One channel: in-range bin edges, observed counts, and per process its prediction, the
    variances of it (Σw²), its shape variations ``{source: {process: (up, down)}}`` and its
    log-normal nuisances.

    Example:
        >>> c = Channel("m4l_4mu", np.array([0.0, 1, 2]), np.array([3.0, 1]),
        ...             {"ZZ": np.array([2.5, 1.5])}, {"ZZ": np.array([0.1, 0.1])})
        >>> c.rate("ZZ")
        4.0
    """

    name: str
    edges: np.ndarray
    observed: np.ndarray
    nominal: dict[str, np.ndarray]
    variances: dict[str, np.ndarray]
    shapes: dict[str, dict[str, tuple[np.ndarray, np.ndarray]]] = field(default_factory=dict)
    rates: Kappas = field(default_factory=dict)

    def rate(self, process: str) -> float:
        """The expected yield of ``process`` in the channel."""
        return float(self.nominal[process].sum())


@dataclass
class StatModel:
    """Channels, the signal and background process names, and what was said on the way.

    ``groups`` maps each process name to its plot group; ``mc_stats`` is the event threshold
    of Combine's autoMCStats (None: no statistical uncertainty of the simulation).
    """

    name: str
    channels: list[Channel]
    signals: list[str]
    backgrounds: list[str]
    groups: dict[str, str]
    mc_stats: float | None
    warnings: list[str] = field(default_factory=list)

    @property
    def processes(self) -> list[str]:
        """Signals first, then backgrounds."""
        return [*self.signals, *self.backgrounds]

    @property
    def nuisances(self) -> dict[str, str]:
        """``{name: "lnN" | "shape"}`` of every nuisance, in a fixed order."""
        kinds: dict[str, str] = {}
        for channel in self.channels:
            kinds.update(dict.fromkeys(channel.rates, "lnN"))
        for channel in self.channels:
            kinds.update(dict.fromkeys(channel.shapes, "shape"))
        return kinds


def identifier(name: str) -> str:
    """A group's name as a process or nuisance name: letters, digits and ``_``.

    Example:
        >>> identifier("ZZ → 4ℓ"), identifier("tt̄"), identifier("m_H = 125 GeV")
        ('ZZ_4l', 'tt', 'm_H_125_GeV')
    """
    plain = "".join(c for c in unicodedata.normalize("NFKD", name) if not unicodedata.combining(c))
    text = re.sub(r"[^A-Za-z0-9_]+", "_", plain.encode("ascii", "replace").decode()).strip("_")
    return f"p_{text}" if text[:1].isdigit() else text


def statistical_model(result: Result, config: AnalysisConfig | None = None) -> StatModel:
    """The model of ``config.inference`` (default: the result's configuration) on ``result``."""
    config = config or result.config
    spec = config.inference
    if spec is None:
        raise InferenceError(
            f"the configuration of {config.name!r} has no 'inference:' section: say which "
            "histogram, channels and signal groups make the model"
        )
    members = group_members(result, config)
    kinds = {g: {result.manifest["inputs"][d]["kind"] for d in ds} for g, ds in members.items()}
    backgrounds = spec.backgrounds or [
        g for g, k in kinds.items() if k == {"mc"} and g not in spec.signal
    ]
    data = spec.data or _data_group(kinds)
    names = _process_names(spec, [*spec.signal, *backgrounds])
    groups = [*spec.signal, *backgrounds]
    try:
        _, axis, _ = reduce_histogram(result, spec.histogram, spec.select)
    except PlotError as err:
        raise InferenceError(f"inference: {err}") from None
    inside = _bins(np.asarray(axis.edges, dtype=float), spec.range)
    model = StatModel(
        config.name,
        [],
        [names[g] for g in spec.signal],
        [names[g] for g in backgrounds],
        {names[g]: g for g in groups},
        spec.mc_stats,
    )
    for value, select in _channels(result, spec):
        name = identifier(f"{spec.histogram}_{value}") if value else identifier(spec.histogram)
        try:
            variations = group_variations(result, spec.histogram, groups, select, config)
            observed = group_histograms(result, spec.histogram, {data: "data"}, select, config)
        except PlotError as err:
            raise InferenceError(f"inference: {err}") from None
        channel = Channel(
            name,
            variations.edges[np.append(inside, inside[-1] + 1)],
            observed[data].values[inside],
            {},
            {},
        )
        for group in groups:
            values = variations.nominal[group].values[inside]
            channel.nominal[names[group]] = _clipped(model, name, names[group], "", values)
            channel.variances[names[group]] = variations.nominal[group].variances[inside]
        _check_predicted(channel)
        _add_systematics(model, channel, spec, variations, names, inside)
        _add_normalisation(channel, config, names, kinds)
        model.channels.append(channel)
    return model


def _data_group(kinds: dict[str, set[str]]) -> str:
    data = [g for g, k in kinds.items() if k == {"data"}]
    if len(data) != 1:
        raise InferenceError(
            "inference: name the observed group ('data:'); data groups: "
            + (", ".join(data) or "none")
        )
    return data[0]


def _process_names(spec: Inference, groups: list[str]) -> dict[str, str]:
    names = {g: spec.processes.get(g) or identifier(g) for g in groups}
    for group, name in names.items():
        if not name or list(names.values()).count(name) > 1:
            raise InferenceError(
                f"inference: group {group!r} would be process {name!r}, "
                + ("which is empty" if not name else "as another group")
                + ": name it in 'processes:'"
            )
    return names


def _channels(result: Result, spec: Inference) -> list[tuple[str, dict[str, str]]]:
    """(channel value, category selection) of each channel."""
    if spec.channel_axis is None:
        return [("", dict(spec.select))]
    h = result.histograms.get(spec.histogram)
    categories = [str(c) for c in h.axes[spec.channel_axis]] if h is not None else []
    for value in spec.channels:
        if value not in categories:
            raise InferenceError(
                f"inference: {spec.channel_axis!r} has no category {value!r}"
                + choices(value, categories, "categories")
            )
    values = spec.channels or categories
    return [(v, {**spec.select, spec.channel_axis: v}) for v in values]


def _bins(edges: np.ndarray, window: tuple[float, float] | None) -> np.ndarray:
    """The indices of the bins whose centre is inside ``window``."""
    if window is None:
        return np.arange(len(edges) - 1)
    centres = (edges[:-1] + edges[1:]) / 2
    inside = np.flatnonzero((centres > window[0]) & (centres < window[1]))
    if inside.size == 0:
        raise InferenceError(
            f"inference: range {list(window)} holds no bin of the histogram "
            f"({edges[0]:g} to {edges[-1]:g}, {len(edges) - 1} bins)"
        )
    return inside


def _check_predicted(channel: Channel) -> None:
    """Events observed where nothing is predicted make the likelihood zero: no fit can work."""
    total = sum(channel.nominal.values(), np.zeros_like(channel.observed))
    empty = np.flatnonzero((total <= 0) & (channel.observed > 0))
    if empty.size:
        where = ", ".join(f"[{channel.edges[i]:g}, {channel.edges[i + 1]:g})" for i in empty)
        raise InferenceError(
            f"inference: channel {channel.name}: events are observed in bins {where} where the "
            "signal and backgrounds predict none; choose a 'range' without them, or add the "
            "process that makes them"
        )


def _clipped(
    model: StatModel, channel: str, process: str, what: str, values: np.ndarray
) -> np.ndarray:
    negative = np.flatnonzero(values < 0)
    if negative.size:
        message = (
            f"{channel}: {process}{what} has {negative.size} negative bin(s) "
            f"(bins {', '.join(map(str, negative))}, down to {values.min():.3g}): set to 0"
        )
        _log.warning(message)
        model.warnings.append(message)
    return np.clip(values, 0, None)


def _add_systematics(
    model: StatModel,
    channel: Channel,
    spec: Inference,
    variations: Variations,
    names: dict[str, str],
    inside: np.ndarray,
) -> None:
    """The result's variations: shape nuisances, or rate-only ones (``rate:``)."""
    available = variations.sources
    shape = [s for s in available if s not in spec.rate] if spec.shape == "all" else spec.shape
    for source in [*shape, *spec.rate]:
        if source not in available:
            raise InferenceError(
                f"inference: the result has no variation {source!r}"
                + choices(source, available, "variations")
            )
    for source in [*shape, *spec.rate]:
        nuisance = identifier(source)
        for group in variations.varied[source]:
            process = names[group]
            nominal = channel.nominal[process]
            up = variations.up[source][group][inside]
            down = variations.down[source][group][inside]
            up = _clipped(model, channel.name, process, f" at {source} up", up)
            down = _clipped(model, channel.name, process, f" at {source} down", down)
            if source in spec.rate:
                total = nominal.sum()
                if total > 0:
                    channel.rates.setdefault(nuisance, {})[process] = (
                        float(down.sum() / total),
                        float(up.sum() / total),
                    )
            else:
                channel.shapes.setdefault(nuisance, {})[process] = (up, down)


def _add_normalisation(
    channel: Channel, config: AnalysisConfig, names: dict[str, str], kinds: dict[str, set[str]]
) -> None:
    """``normalisation:``'s log-normal nuisances, κ up and 1/κ down."""
    if config.normalisation is None:
        return
    for group, process in names.items():
        kind = "mc" if "mc" in kinds.get(group, {"mc"}) else "data"
        for source, kappa in config.normalisation.kappas(group, kind).items():
            nuisance = "lumi" if source == "lumi" else f"xsec_{process}"
            channel.rates.setdefault(nuisance, {})[process] = (1 / kappa, kappa)
