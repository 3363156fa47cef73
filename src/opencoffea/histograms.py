"""Histograms booked from the YAML file: empty ``hist.Hist`` objects a run fills.

Each histogram has a ``dataset`` and a ``systematic`` category axis in front of the user's
axes; both grow as chunks fill them. The ``out`` that fills them is
:class:`~opencoffea.recorder.Recorder`; the container that carries them from chunk to
result is :class:`~opencoffea.output.Output`.

Example:
    >>> from opencoffea.config import Histogram
    >>> axis = {"name": "mass", "bins": 10, "start": 0, "stop": 10}
    >>> hists = book({"mass": Histogram(axes=[axis])})
    >>> [axis.name for axis in hists["mass"].axes]
    ['dataset', 'systematic', 'mass']
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import hist

from .config import Axis, CategoryAxis, Histogram, IntegerAxis, RegularAxis, VariableAxis

__all__ = ["book", "book_one"]


def _make_axis(
    spec: Axis,
) -> hist.axis.Regular | hist.axis.Variable | hist.axis.Integer | hist.axis.StrCategory:
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
) -> hist.Hist[hist.storage.Weight]:
    """One empty histogram: dataset and systematic axes, then the user's axes (Weight storage).

    The dataset and systematic axes grow as chunks fill them; ``datasets`` and
    ``systematics`` pre-book categories (when reading a result back, say).

    Example:
        >>> from opencoffea.config import Histogram
        >>> spec = Histogram(axes=[{"name": "x", "bins": 4, "start": 0, "stop": 4}])
        >>> list(book_one(spec, datasets=["DY"]).axes["dataset"])
        ['DY']
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


def book(specs: Mapping[str, Histogram]) -> dict[str, hist.Hist[hist.storage.Weight]]:
    """Empty histograms for every definition of the configuration (see module example)."""
    return {name: book_one(spec) for name, spec in specs.items()}
