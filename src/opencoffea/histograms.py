"""Histograms booked from the YAML file, the ``out`` a processor fills, and the chunk output.

Three pieces, in the order a chunk meets them:

- :func:`book` makes empty ``hist.Hist`` objects from the configuration, each with a
  ``dataset`` and a ``systematic`` category axis in front of the user's axes;
- :class:`Recorder` is the ``out`` a processor's ``analyze`` method receives: it knows the
  dataset, the variation and the event weights, records cuts into the cutflow and fills
  histograms, so physics code never tracks masks or weights by hand;
- :class:`Output` is what one chunk returns; outputs of chunks combine with ``+`` in any
  order and grouping (the accumulator pattern), which is what lets the executors merge
  them in a tree.

Example:
    >>> from opencoffea.config import Histogram
    >>> axis = {"name": "mass", "bins": 10, "start": 0, "stop": 10}
    >>> hists = book({"mass": Histogram(axes=[axis])})
    >>> [axis.name for axis in hists["mass"].axes]
    ['dataset', 'systematic', 'mass']
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import awkward as ak
import hist
import numpy as np

from .chunks import FailedChunk
from .config import CategoryAxis, Histogram, IntegerAxis, RegularAxis, VariableAxis
from .datasets.lumis import LumiSections
from .errors import AnalysisError, OpenCoffeaError
from .util import NOMINAL, did_you_mean

__all__ = ["Cutflow", "FileTally", "Output", "Recorder", "book"]


# ---------------------------------------------------------------------------- booking


def _make_axis(spec: Any) -> hist.axis.AxesMixin:
    label = spec.label or spec.name
    if isinstance(spec, RegularAxis):
        transform = {"log": hist.axis.transform.log, "sqrt": hist.axis.transform.sqrt}.get(
            spec.transform or ""
        )
        return hist.axis.Regular(
            spec.bins, spec.start, spec.stop, name=spec.name, label=label, transform=transform
        )
    if isinstance(spec, VariableAxis):
        return hist.axis.Variable(spec.edges, name=spec.name, label=label)
    if isinstance(spec, IntegerAxis):
        return hist.axis.Integer(spec.start, spec.stop, name=spec.name, label=label)
    if isinstance(spec, CategoryAxis):
        return hist.axis.StrCategory(
            spec.categories, name=spec.name, label=label, growth=spec.growth
        )
    raise TypeError(f"unknown axis specification {spec!r}")


def book_one(
    spec: Histogram, datasets: Sequence[str] = (), systematics: Sequence[str] = ()
) -> hist.Hist:
    """One empty histogram: dataset and systematic axes, then the user's axes (Weight storage).

    The dataset and systematic axes grow as chunks fill them; ``datasets`` and
    ``systematics`` pre-book categories (when reading a result back, say).
    """
    return hist.Hist(
        hist.axis.StrCategory(list(datasets), name="dataset", label="Dataset", growth=True),
        hist.axis.StrCategory(
            list(systematics), name="systematic", label="Systematic", growth=True
        ),
        *(_make_axis(a) for a in spec.axes),
        storage=hist.storage.Weight(),
        label=spec.label or "Events",
    )


def book(specs: Mapping[str, Histogram]) -> dict[str, hist.Hist]:
    """Empty histograms for every definition of the configuration (see module example)."""
    return {name: book_one(spec) for name, spec in specs.items()}


# ---------------------------------------------------------------------------- accumulators


@dataclass
class Cutflow:
    """Ordered cuts with the events and the sum of weights that pass each one.

    Example:
        >>> a = Cutflow({"all": (10, 10.0), "2 muons": (4, 4.0)})
        >>> (a + a).entries["2 muons"]
        (8, 8.0)
    """

    entries: dict[str, tuple[int, float]] = field(default_factory=dict)

    def record(self, name: str, events: int, sumw: float) -> None:
        n, w = self.entries.get(name, (0, 0.0))
        self.entries[name] = (n + int(events), w + float(sumw))

    def __add__(self, other: Cutflow) -> Cutflow:
        out = Cutflow(dict(self.entries))
        for name, (n, w) in other.entries.items():
            out.record(name, n, w)
        return out

    def as_list(self) -> list[dict[str, Any]]:
        return [{"cut": k, "events": n, "sumw": w} for k, (n, w) in self.entries.items()]


@dataclass
class FileTally:
    """What was read of one file: events, and Σ genWeight (the Σw fallback without Runs)."""

    events: int = 0
    sumw: float = 0.0
    sumw2: float = 0.0

    def __add__(self, other: FileTally) -> FileTally:
        return FileTally(
            self.events + other.events, self.sumw + other.sumw, self.sumw2 + other.sumw2
        )


@dataclass
class Output:
    """What a chunk returns, and what all chunks add up to.

    ``files`` maps each input file to what was read of it; ``failures`` holds one record per
    chunk that could not be processed (file, entry range, error), so that events read plus
    events in failed chunks is always the events in the input.
    """

    histograms: dict[str, hist.Hist] = field(default_factory=dict)
    cutflows: dict[str, Cutflow] = field(default_factory=dict)
    files: dict[str, FileTally] = field(default_factory=dict)
    failures: list[FailedChunk] = field(default_factory=list)
    lumis: dict[str, LumiSections] = field(default_factory=dict)  # data: sections processed
    # what a run should know but does not stop it (a variation a file cannot give), by dataset
    notes: dict[str, frozenset[str]] = field(default_factory=dict)

    def __add__(self, other: Output) -> Output:
        return Output(
            histograms=_merge(self.histograms, other.histograms),
            cutflows=_merge(self.cutflows, other.cutflows),
            files=_merge(self.files, other.files),
            failures=self.failures + other.failures,
            lumis=_merge(self.lumis, other.lumis),
            notes={
                k: self.notes.get(k, frozenset()) | other.notes.get(k, frozenset())
                for k in {**self.notes, **other.notes}
            },
        )

    def cutflow(self, dataset: str) -> Cutflow:
        return self.cutflows.setdefault(dataset, Cutflow())


def _merge(a: dict[str, Any], b: dict[str, Any]) -> dict[str, Any]:
    out = dict(a)
    for key, value in b.items():
        out[key] = out[key] + value if key in out else value
    return out


# ---------------------------------------------------------------------------- the recorder


class Recorder:
    """The ``out`` a processor's ``analyze`` receives: cuts, weights, histogram filling.

    Arrays given to :meth:`cut`, :meth:`fill` and :meth:`select` may have one entry per event
    of the chunk, or one entry per event that passed the cuts so far, or one per event of
    any earlier selection stage: the recorder lines them up with the events selected now.
    So physics code can filter as it goes, or not at all.

    ``weight_variations`` maps systematic names ("pileupUp") to the ratio of the varied to
    the nominal weight of each event: every fill also fills those systematics, from the
    same values, so a weight variation never re-runs the physics code.

    ``scale_factors`` evaluates the scale factors of the YAML (name, objects → weight), for
    :meth:`scale_factor`.

    Example:
        >>> out = Recorder(Output(histograms=book(defs)), "DY", np.ones(4))  # doctest: +SKIP
        >>> out.cut("two muons", ak.num(events.Muon) == 2)                   # doctest: +SKIP
        >>> muons = out.select(events.Muon)        # only the events that pass  # doctest: +SKIP
        >>> out.fill("mass", mass=(muons[:, 0] + muons[:, 1]).mass)           # doctest: +SKIP
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
        scale_factors: Callable[[str, Any], Any] | None = None,
    ) -> None:
        self.dataset = dataset
        self.systematic = systematic
        self.is_data = is_data
        self.metadata = dict(metadata or {})
        self._output = output
        self._scale_factors = scale_factors
        self._weights = np.asarray(weights, dtype=np.float64)
        # Weight systematics: name → varied / nominal weight, per event of the chunk. Each
        # fill also fills them, so a weight variation never re-runs the physics code.
        self._weight_variations = {
            name: np.asarray(ratio, dtype=np.float64)
            for name, ratio in (weight_variations or {}).items()
        }
        # Indices (into the chunk's events) of the events selected after each stage.
        self._stages: list[np.ndarray] = [np.arange(len(self._weights))]
        self._stage_names = ["all events"]
        self._cutflow = output.cutflow(dataset) if record_cutflow else None
        if self._cutflow is not None:
            self._cutflow.record("all events", len(self._weights), self._weights.sum())

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
        self._weights = self._weights.copy()
        self._weights[current] *= factor

    def scale_factor(self, name: str, objects: Any) -> None:
        """Weight simulated events by scale factor ``name`` of the YAML for ``objects``.

        ``objects`` are the objects the analysis selected (one list per event, of any
        selection stage's length); the event weight is multiplied by the product of their
        scale factors, and where ``name`` is among the systematics, ``<name>Up``/``Down``
        are filled too. Data is never weighted: for data this does nothing.

        Example:
            >>> out.scale_factor("muon_id", muons)  # doctest: +SKIP
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

    # -- cuts and selection

    def cut(self, name: str, mask: Any) -> None:
        """Keep only the events where ``mask`` is true, and record the cut in the cutflow.

        A missing value (None) in the mask counts as false.
        """
        keep = _as_bool(self.select(mask), name)
        stage = self._stages[-1][keep]
        self._stages.append(stage)
        self._stage_names.append(name)
        if self._cutflow is not None:
            self._cutflow.record(name, len(stage), self._weights[stage].sum())

    def select(self, array: Any) -> Any:
        """``array`` restricted to the events selected now (from any earlier stage's length)."""
        length = len(array)
        current = self._stages[-1]
        if length == len(current):
            return array
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

    # -- filling

    def fill(self, histogram: str, *, weight: Any = None, **values: Any) -> None:
        """Fill a booked histogram with one value per axis, weighted by the event weight.

        Values are per event, or per object (jagged: each object gets its event's weight);
        a plain string fills a category axis for all entries. Missing values are skipped.
        """
        h = self._output.histograms.get(histogram)
        if h is None:
            known = list(self._output.histograms)
            hint = did_you_mean(histogram, known)
            raise AnalysisError(
                f"no histogram {histogram!r} is booked{hint}; booked: {', '.join(known)}"
            )
        axes = [a.name for a in h.axes][2:]
        if set(values) != set(axes):
            raise AnalysisError(
                f"histogram {histogram!r} has axes {axes}; fill was given {sorted(values)}"
            )
        event_weight = self.weight if weight is None else self.weight * self.select(weight)
        columns, rows = _flatten(
            {k: v if isinstance(v, str) else self.select(v) for k, v in values.items()},
            self.selected,
            histogram,
        )
        w = event_weight[rows]
        h.fill(dataset=self.dataset, systematic=self.systematic, **columns, weight=w)
        selected = self._stages[-1]
        for name, ratio in self._weight_variations.items():
            h.fill(
                dataset=self.dataset, systematic=name, **columns, weight=w * ratio[selected][rows]
            )


def _as_bool(mask: Any, name: str) -> np.ndarray:
    if isinstance(mask, ak.Array):
        if mask.ndim != 1:
            raise AnalysisError(f"cut {name!r}: the mask must have one value per event")
        mask = ak.fill_none(mask, False)
    array = np.asarray(mask)
    if array.dtype != np.bool_:
        raise AnalysisError(f"cut {name!r}: the mask must be boolean, got {array.dtype}")
    return array


def _flatten(
    values: dict[str, Any], events: int, histogram: str
) -> tuple[dict[str, Any], np.ndarray]:
    """Per-event and per-object values to flat columns, and for each entry its event.

    The second result indexes the events selected now: ``weights[rows]`` are the weights of
    the entries, whatever the weights (the nominal ones, or a variation's).
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
    keep = None
    for key, value in values.items():
        if isinstance(value, str):
            columns[key] = value
            continue
        if isinstance(value, ak.Array):
            flat = ak.flatten(value, axis=1) if value.ndim > 1 else value
            if counts is not None and value.ndim == 1:
                flat = np.repeat(_to_numpy(value), counts)
            array = _to_numpy(flat)
        else:
            array = np.asarray(value)
            if counts is not None:
                array = np.repeat(array, counts)
        if array.dtype.kind == "f":
            missing = np.isnan(array)
            keep = ~missing if keep is None else keep & ~missing
        columns[key] = array
    rows = np.arange(events) if counts is None else np.repeat(np.arange(events), counts)
    if keep is not None and not keep.all():
        columns = {k: v if isinstance(v, str) else v[keep] for k, v in columns.items()}
        rows = rows[keep]
    return columns, rows


def _to_numpy(array: Any) -> np.ndarray:
    """Awkward → numpy; missing numbers become NaN (and are then skipped by ``fill``)."""
    if isinstance(array, ak.Array):
        if isinstance(array.layout, ak.contents.Content) and array.layout.is_option:
            array = ak.fill_none(ak.values_astype(array, np.float64), np.nan)
        return ak.to_numpy(array)
    return np.asarray(array)
