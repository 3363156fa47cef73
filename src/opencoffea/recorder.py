"""The ``out`` a processor's ``analyze`` receives: cuts, categories, weights and filling.

A :class:`Recorder` knows the dataset, the systematic variation and the event weights of
one chunk. Physics code cuts with it (each cut narrows the events for all that follows and
is recorded in the cutflow), opens categories with it (a channel, a region: a recorder of
its own, with its own cutflow) and fills histograms with it, so that it never tracks masks
or weights by hand.

Example:
    >>> from opencoffea.config import Histogram
    >>> from opencoffea.histograms import book
    >>> axes = [
    ...     {"name": "m4l", "bins": 4, "start": 0, "stop": 200},
    ...     {"name": "channel", "categories": ["4mu", "4e"]},
    ... ]
    >>> output = Output(histograms=book({"m4l": Histogram(axes=axes)}))
    >>> out = Recorder(output, "ZZ", np.ones(4))
    >>> out.cut("four leptons", np.array([True, True, True, False]))
    >>> four_mu = out.category(channel="4mu")
    >>> four_mu.cut("Z1 mass", np.array([True, False, True]))
    >>> four_mu.fill("m4l", m4l=np.array([125.0, 91.0]))
    >>> [cut["events"] for cut in output.cutflows["ZZ/4mu"].as_list()]
    [4, 3, 2]
    >>> output.histograms["m4l"]["ZZ", "nominal", :, "4mu"].values().tolist()
    [0.0, 1.0, 1.0, 0.0]
"""

from __future__ import annotations

import copy
from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any

import awkward as ak
import numpy as np

from .errors import AnalysisError, OpenCoffeaError
from .marking import Marking
from .output import Output
from .util import NOMINAL, did_you_mean

if TYPE_CHECKING:  # the corrections load only for a configuration that has them
    from .corrections.scalefactors import WeightVariation

__all__ = ["Recorder"]


class Recorder(Marking):
    """The ``out`` of ``analyze``: cuts, categories, weights, filling and marking events for
    the event display (:meth:`~opencoffea.marking.Marking.mark`, given the chunk's ``events``).

    Arrays given to :meth:`cut`, :meth:`select`, :meth:`fill` (values, ``weight``,
    ``where``) and :meth:`reweight` may have one entry per event of the chunk, or one per
    event that passed the cuts so far, or one per event of any earlier selection stage: the
    recorder lines them up with the events selected now. So physics code can filter as it
    goes, or not at all.

    ``weight_variations`` maps systematic names ("pileupUp") to the ratio of the varied to
    the nominal weight of each event of the chunk: every fill also fills those systematics,
    from the same values, so a weight variation never re-runs the physics code.
    ``scale_factors`` evaluates the scale factors of the YAML (name, objects → weight) for
    :meth:`scale_factor`. ``record_cutflow`` is false in the passes of shape variations:
    the cutflow is the nominal one.

    Example:
        >>> out = Recorder(Output(), "DY", np.array([1.0, 2.0, 3.0]))
        >>> out.cut("not the first", np.array([False, True, True]))
        >>> out.selected, out.weight.tolist()
        (2, [2.0, 3.0])
    """

    def __init__(
        self,
        output: Output,
        dataset: str,
        weights: np.ndarray,
        *,
        systematic: str = NOMINAL,
        is_data: bool = False,
        metadata: Mapping[str, Any] | None = None,
        record_cutflow: bool = True,
        weight_variations: Mapping[str, np.ndarray] | None = None,
        scale_factors: Callable[[str, ak.Array], WeightVariation] | None = None,
        events: Any = None,
    ) -> None:
        self.dataset = dataset
        self.systematic = systematic
        self.is_data = is_data
        self.metadata = dict(metadata or {})
        self._output = output
        self._events = events
        self._scale_factors = scale_factors
        self._weights = np.asarray(weights, dtype=np.float64)
        self._weight_variations = {
            name: np.asarray(ratio, dtype=np.float64)
            for name, ratio in (weight_variations or {}).items()
        }
        # Indices (into the chunk's events) of the events selected after each stage.
        self._stages: list[np.ndarray] = [np.arange(len(self._weights))]
        self._stage_names = ["all events"]
        # What a category recorder fills on the category axes (axis → value), the key of its
        # cutflow, the categories opened from it, and the cutflow entries of this chunk
        # (a category's cutflow starts with its parent's).
        self._category: dict[str, str] = {}
        self._key = dataset
        self._opened: set[str] = set()
        self._history: list[tuple[str, int, float]] = []
        self._cutflow = output.cutflow(dataset) if record_cutflow else None
        self._record("all events", self._stages[0])

    # -- state

    @property
    def weight(self) -> np.ndarray:
        """The event weights of the events selected now."""
        return self._weights[self._stages[-1]]

    @property
    def selected(self) -> int:
        """How many events pass the cuts so far."""
        return len(self._stages[-1])

    def reweight(self, name: str, nominal: Any, up: Any = None, down: Any = None) -> None:
        """Multiply the event weights by a factor (a scale factor of selected objects, say).

        ``nominal``, ``up`` and ``down`` are per event, of any selection stage's length (or a
        :class:`~opencoffea.corrections.scalefactors.WeightVariation` as ``nominal``). In the
        nominal pass, ``up``/``down`` become the systematics ``<name>Up``/``<name>Down`` of
        every later fill, without re-running anything.

        Example:
            >>> out = Recorder(Output(), "DY", np.ones(2))
            >>> out.reweight("muonId", np.array([0.5, 2.0]), up=np.ones(2), down=np.ones(2))
            >>> out.weight.tolist()
            [0.5, 2.0]
        """
        if hasattr(nominal, "nominal") and up is None and down is None:  # a WeightVariation
            nominal, up, down = nominal.nominal, nominal.up, nominal.down
        current = self._stages[-1]
        factor = np.asarray(self.select(nominal), dtype=np.float64)
        if self.systematic == NOMINAL and up is not None and down is not None:
            for suffix, varied in (("Up", up), ("Down", down)):
                ratio = np.ones(len(self._weights))
                values = np.asarray(self.select(varied), dtype=np.float64)
                ratio[current] = np.where(
                    factor != 0, values / np.where(factor != 0, factor, 1), 1.0
                )
                self._weight_variations[f"{name}{suffix}"] = ratio
        # a copy: a category shares its parent's weights until one of them reweights
        self._weights = self._weights.copy()
        self._weights[current] *= factor

    def scale_factor(self, name: str, objects: Any) -> None:
        """Weight simulated events by scale factor ``name`` of the YAML for ``objects``.

        ``objects`` are the objects the analysis selected (one list per event, of any
        selection stage's length); the event weight is multiplied by the product of their
        scale factors, and where ``name`` is among the systematics, ``<name>Up``/``Down``
        are filled too. Data is never weighted: for data this does nothing.

        Example:
            >>> from opencoffea.corrections.scalefactors import WeightVariation
            >>> def scale_factors(name, objects):  # a Corrector's scale_factor, say
            ...     per_event = ak.prod(ak.full_like(objects.pt, 0.9), axis=1)
            ...     return WeightVariation(name, ak.to_numpy(per_event))
            >>> muons = ak.Array([[{"pt": 30.0}, {"pt": 20.0}], [{"pt": 25.0}]])
            >>> out = Recorder(Output(), "DY", np.ones(2), scale_factors=scale_factors)
            >>> out.scale_factor("muon_id", muons)
            >>> np.round(out.weight, 2).tolist()
            [0.81, 0.9]
        """
        if self._scale_factors is None:
            raise AnalysisError(
                f"scale factor {name!r}: the configuration declares no corrections.scale_factors"
            )
        if self.is_data:
            return
        try:
            weight = self._scale_factors(name, self.select(objects))
        except OpenCoffeaError as err:  # a name or payload the YAML does not have: every chunk
            raise AnalysisError(str(err)) from None
        self.reweight(name, weight)

    # -- cuts, selection and categories

    def cut(self, name: str, mask: Any) -> None:
        """Keep only the events where ``mask`` is true, and record the cut in the cutflow.

        A missing value (None) in the mask counts as false.

        Example:
            >>> out = Recorder(Output(), "DY", np.ones(3))
            >>> out.cut("two muons", ak.Array([True, None, True]))
            >>> out.selected
            2
        """
        stage = self._stages[-1][_as_bool(self.select(mask), f"cut {name!r}")]
        self._stages.append(stage)
        self._stage_names.append(name)
        self._record(name, stage)

    def select(self, array: Any) -> Any:
        """``array`` restricted to the events selected now (from any earlier stage's length).

        Example:
            >>> out = Recorder(Output(), "DY", np.ones(3))
            >>> out.cut("not the first", np.array([False, True, True]))
            >>> out.select(np.array([10, 20, 30])).tolist()
            [20, 30]
        """
        length = len(array)
        current = self._stages[-1]
        if length == len(current):
            return array
        # Stages are nested, so all stages of one length hold the same events. Of the chunk's
        # (the common case: masks computed on whole arrays), an index is its own position.
        if length == len(self._stages[0]):
            return array[current]
        for stage in reversed(self._stages):
            if len(stage) == length:
                return array[np.searchsorted(stage, current)]
        stages = ", ".join(
            f"{len(s)} {'after ' + repr(n) if i else 'in the chunk'}"
            for i, (s, n) in enumerate(zip(self._stages, self._stage_names, strict=True))
        )
        raise AnalysisError(
            f"an array of length {length} does not line up with the events at any "
            f"selection stage ({stages})"
        )

    def category(self, **axis: str) -> Recorder:
        """A recorder of one category of the events selected now: a channel, a region.

        The category is given as ``axis=value`` (``channel="4mu"``): every histogram the
        new recorder fills gets ``value`` on its category axis ``axis``. It starts from this
        recorder's events, weights and weight variations as they are now; from then on its
        cuts and reweights are its own, and this recorder's are not its. Its cutflow is
        ``output.cutflows["<dataset>/<value>"]``: this recorder's cuts so far, then its
        own, so that each category reads as one cutflow from "all events" on. A category
        of a category adds a level (``"ZZ/4mu/SR"``). A category is opened once a chunk.

        Example:
            >>> out = Recorder(Output(), "ZZ", np.ones(3))
            >>> four_mu = out.category(channel="4mu")
            >>> four_mu.cut("four muons", np.array([True, False, True]))
            >>> out.selected, four_mu.selected
            (3, 2)
            >>> four_mu.category(region="signal")._key
            'ZZ/4mu/signal'
        """
        if len(axis) != 1 or not all(isinstance(v, str) for v in axis.values()):
            raise AnalysisError(
                f"category({', '.join(f'{k}={v!r}' for k, v in axis.items())}): give one "
                "category axis and its value, as category(channel='4mu')"
            )
        ((name, value),) = axis.items()
        if name in self._category:
            raise AnalysisError(
                f"category({name}={value!r}): this recorder is the category "
                f"{name}={self._category[name]!r} already"
            )
        key = f"{self._key}/{value}"
        if key in self._opened:
            raise AnalysisError(
                f"category({name}={value!r}) is opened a second time in this chunk; "
                "open it once and keep the recorder it returns"
            )
        self._opened.add(key)
        # A shallow copy shares the output, dataset and settings; the state a category
        # changes on its own is copied below (weights are copied when reweighted).
        child = copy.copy(self)
        child._stages = list(self._stages)
        child._stage_names = list(self._stage_names)
        child._weight_variations = dict(self._weight_variations)
        child._category = {**self._category, name: value}
        child._key = key
        child._opened = set()
        child._history = []
        child._cutflow = self._output.cutflow(key) if self._cutflow is not None else None
        for entry in self._history:
            child._keep(*entry)
        return child

    def _record(self, name: str, stage: np.ndarray) -> None:
        # all events (a stage is a subset of them): the same sum without a fancy-index copy
        every = len(stage) == len(self._weights)
        self._keep(name, len(stage), (self._weights if every else self._weights[stage]).sum())

    def _keep(self, name: str, events: int, sumw: float) -> None:
        self._history.append((name, events, sumw))
        if self._cutflow is not None:
            self._cutflow.record(name, events, sumw)

    # -- filling

    def fill(self, histogram: str, *, weight: Any = None, where: Any = None, **values: Any) -> None:
        """Fill a booked histogram with one value per axis, weighted by the event weight.

        Values are per event, or per object (jagged: each object gets its event's weight);
        a plain string fills a category axis for all entries, and a category recorder fills
        its own axis itself. ``weight`` (per event) multiplies the event weight.

        ``where`` (a boolean per event) fills only the events where it is true: the one way
        to fill a subset of the events selected now. Missing values (None) are skipped. A
        NaN value is an :class:`~opencoffea.errors.AnalysisError` naming the histogram and
        the axis: it is most often a bug (0/0, the mass of nothing), and skipped silently
        it would be a selection nobody sees.

        Example:
            >>> from opencoffea.config import Histogram
            >>> from opencoffea.histograms import book
            >>> axis = {"name": "m", "bins": 2, "start": 0, "stop": 200}
            >>> output = Output(histograms=book({"m": Histogram(axes=[axis])}))
            >>> out = Recorder(output, "ZZ", np.ones(3))
            >>> m = np.array([125.0, np.nan, 150.0])
            >>> out.fill("m", m=m, where=~np.isnan(m))
            >>> output.histograms["m"]["ZZ", "nominal", :].values().tolist()
            [0.0, 2.0]
            >>> out.fill("m", m=m)  # doctest: +ELLIPSIS
            Traceback (most recent call last):
            ...
            opencoffea.errors.AnalysisError: fill 'm': axis 'm' has NaN for 1 of 3 entries; ...
        """
        h = self._output.histograms.get(histogram)
        if h is None:
            known = list(self._output.histograms)
            hint = did_you_mean(histogram, known)
            raise AnalysisError(
                f"no histogram {histogram!r} is booked{hint}; booked: {', '.join(known)}"
            )
        axes = [a.name for a in h.axes][2:]
        for name, value in self._category.items():
            if name in values:
                raise AnalysisError(
                    f"fill {histogram!r}: {name!r} is the category of this recorder "
                    f"({value!r}); leave it out"
                )
            if name not in axes:
                raise AnalysisError(
                    f"fill {histogram!r} in category {name}={value!r}: the histogram has no "
                    f"axis {name!r}; book one, or fill it from the recorder of all categories"
                )
            values = {**values, name: value}
        if set(values) != set(axes):
            raise AnalysisError(
                f"histogram {histogram!r} has axes {axes}; fill was given {sorted(values)}"
            )
        events = self._stages[-1]
        event_weight = self.weight if weight is None else self.weight * self.select(weight)
        values = {k: v if isinstance(v, str) else self.select(v) for k, v in values.items()}
        if where is not None:
            keep = _as_bool(self.select(where), f"fill {histogram!r}, where")
            events, event_weight = events[keep], event_weight[keep]
            values = {k: v if isinstance(v, str) else _take(v, keep) for k, v in values.items()}
        columns, rows = _flatten(values, len(events), histogram)
        w = event_weight[rows]
        h.fill(dataset=self.dataset, systematic=self.systematic, **columns, weight=w)
        for name, ratio in self._weight_variations.items():
            h.fill(dataset=self.dataset, systematic=name, **columns, weight=w * ratio[events][rows])


def _as_bool(mask: Any, what: str) -> np.ndarray:
    """A mask per event as numpy booleans, a missing value (None) as false."""
    if isinstance(mask, ak.Array):
        if mask.ndim != 1:
            raise AnalysisError(f"{what}: the mask must have one value per event")
        if mask.layout.is_option:  # ak.fill_none costs a millisecond even with nothing to fill
            mask = ak.fill_none(mask, False)
    array = np.asarray(mask)
    if array.dtype != np.bool_:
        raise AnalysisError(f"{what}: the mask must be boolean, got {array.dtype}")
    return array


def _take(values: Any, keep: np.ndarray) -> Any:
    return values[keep] if isinstance(values, ak.Array | np.ndarray) else np.asarray(values)[keep]


def _flatten(
    values: dict[str, Any], events: int, histogram: str
) -> tuple[dict[str, Any], np.ndarray]:
    """Per-event and per-object values to flat columns, and for each entry its event.

    The second result indexes the events filled: ``weights[rows]`` are the weights of the
    entries, whatever the weights (the nominal ones, or a variation's). Entries with a
    missing value (None) are left out; a NaN stops the fill (see :meth:`Recorder.fill`).
    """
    counts = None
    for key, value in values.items():
        if isinstance(value, ak.Array) and value.ndim > 1:
            if value.ndim > 2:
                raise AnalysisError(
                    f"fill {histogram!r}: {key!r} is nested more than one level deep; "
                    "flatten it to one list per event"
                )
            these = ak.to_numpy(ak.fill_none(ak.num(value, axis=1), 0))
            if counts is not None and not np.array_equal(counts, these):
                raise AnalysisError(
                    f"fill {histogram!r}: per-object values have different counts per event"
                )
            counts = these
    columns: dict[str, Any] = {}
    missing = None
    for key, value in values.items():
        if isinstance(value, str):
            columns[key] = value
            continue
        if isinstance(value, ak.Array) and value.ndim > 1:
            array, absent = _to_numpy(ak.flatten(value, axis=1))
        else:
            array, absent = _to_numpy(value)
            if counts is not None:  # one value per event, for each of its objects
                array = np.repeat(array, counts)
                absent = None if absent is None else np.repeat(absent, counts)
        if array.dtype.kind == "f":
            nan = np.isnan(array) if absent is None else np.isnan(array) & ~absent
            if nan.any():
                raise AnalysisError(
                    f"fill {histogram!r}: axis {key!r} has NaN for {nan.sum()} of {len(nan)} "
                    "entries; NaN is not a selection: fill a subset with where= (a boolean "
                    "per event), and give a value that is missing as None"
                )
        if absent is not None:
            missing = absent if missing is None else missing | absent
        columns[key] = array
    rows = np.arange(events) if counts is None else np.repeat(np.arange(events), counts)
    if missing is not None and missing.any():
        columns = {k: v if isinstance(v, str) else v[~missing] for k, v in columns.items()}
        rows = rows[~missing]
    return columns, rows


def _to_numpy(array: Any) -> tuple[np.ndarray, np.ndarray | None]:
    """Awkward or array-like → numpy, and where values are missing (None), if any can be."""
    if not isinstance(array, ak.Array):
        return np.asarray(array), None
    if array.layout.is_option:
        absent = ak.to_numpy(ak.is_none(array))
        return ak.to_numpy(ak.fill_none(ak.values_astype(array, np.float64), np.nan)), absent
    return ak.to_numpy(array), None
