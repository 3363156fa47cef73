"""The variations of a result by source: each group's histogram at each shift, where a dataset
without that shift counts at its nominal.

The ``systematic`` axis of a result holds ``nominal`` and the variations the run made:
``jesTotalUp``/``jesTotalDown`` are the two shifts of the source ``jesTotal``; a name without
``Up`` or ``Down`` is a one-sided source (its shift is its "up", the nominal its "down").
Shape variations exist for simulation only, and weight variations for the datasets that call
``out.reweight``: a dataset whose histogram at a shift is empty (no entry in any bin, flow
included) while its nominal is not has no such shift, and its nominal is taken instead, so
that a source moves only the datasets it varies.

Example:
    >>> sources(["nominal", "jesTotalUp", "jesTotalDown", "pileupUp", "generator"])
    ... # doctest: +NORMALIZE_WHITESPACE
    {'jesTotal': ('jesTotalUp', 'jesTotalDown'), 'pileup': ('pileupUp', None),
     'generator': ('generator', None)}
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

import numpy as np

from ..config import AnalysisConfig
from ..util import NOMINAL
from .groups import GroupHistogram, group_histograms, group_members, reduce_histogram
from .plottable import Plottable

__all__ = ["Variations", "group_variations", "sources"]


def sources(systematics: Iterable[str]) -> dict[str, tuple[str | None, str | None]]:
    """``{source: (up, down)}``: the variations of a ``systematic`` axis paired by source.

    Example:
        >>> sources(["nominal", "muon_idDown", "muon_idUp"])
        {'muon_id': ('muon_idUp', 'muon_idDown')}
    """
    pairs: dict[str, list[str | None]] = {}
    for name in systematics:
        if name == NOMINAL:
            continue
        for side, suffix in enumerate(("Up", "Down")):
            if name.endswith(suffix) and len(name) > len(suffix):
                pairs.setdefault(name[: -len(suffix)], [None, None])[side] = name
                break
        else:
            pairs.setdefault(name, [None, None])[0] = name
    return {source: (up, down) for source, (up, down) in pairs.items()}


@dataclass
class Variations:
    """Groups of one histogram, nominal and at each shift (in-range values).

    ``up[source][group]`` and ``down[source][group]`` are the group's values at the source's
    shifts (its nominal where the source has no such shift); ``varied[source]`` the groups
    with at least one dataset that has the source.

    Example:
        >>> v = Variations(np.array([0.0, 1.0]), {}, {"jes": {"ZZ": np.array([2.0])}},
        ...                {"jes": {"ZZ": np.array([1.0])}}, {"jes": ["ZZ"]})
        >>> v.sources
        ['jes']
    """

    edges: np.ndarray
    nominal: dict[str, GroupHistogram]
    up: dict[str, dict[str, np.ndarray]] = field(default_factory=dict)
    down: dict[str, dict[str, np.ndarray]] = field(default_factory=dict)
    varied: dict[str, list[str]] = field(default_factory=dict)

    @property
    def sources(self) -> list[str]:
        """The sources, in the order of the result's ``systematic`` axis."""
        return list(self.up)


def group_variations(
    result: Plottable,
    histogram: str,
    groups: Sequence[str],
    select: dict[str, str] | None = None,
    config: AnalysisConfig | None = None,
) -> Variations:
    """The simulated ``groups`` of ``histogram``, nominal and at every shift of the result.

    Example:
        >>> from opencoffea import load_result
        >>> v = group_variations(load_result(higgs4l_demo), "m4l", ["ZZ → 4ℓ"])
        >>> v.sources, round(v.nominal["ZZ → 4ℓ"].total, 1)  # the demo has no variations
        ([], 159.3)
    """
    select = select or {}
    nominal = group_histograms(result, histogram, dict.fromkeys(groups, "mc"), select, config)
    reduced, axis, _ = reduce_histogram(result, histogram, select, systematic=None)
    edges = np.asarray(axis.edges, dtype=float)
    names = [str(s) for s in reduced.axes["systematic"]]
    datasets = [str(d) for d in reduced.axes["dataset"]]
    values, variances = reduced.values(flow=True), reduced.variances(flow=True)
    assert variances is not None  # a result's histograms hold weighted sums
    start = 1 if axis.traits.underflow else 0
    inside = slice(start, start + axis.size)
    central = names.index(NOMINAL)
    members = group_members(result, config)
    out = Variations(edges, nominal)
    for source, shifts in sources(names).items():
        out.varied[source] = []
        for side, name in zip(("up", "down"), shifts, strict=True):
            per_group = getattr(out, side).setdefault(source, {})
            for group in groups:
                total = np.zeros(axis.size)
                for dataset in members[group]:  # in a fixed order, as group_histograms adds
                    if dataset not in datasets:
                        continue
                    d = datasets.index(dataset)
                    row = central
                    if name is not None:
                        shifted = names.index(name)
                        if values[d, shifted].any() or variances[d, shifted].any():
                            row = shifted
                            if group not in out.varied[source]:
                                out.varied[source].append(group)
                    total = total + values[d, row, inside]
                per_group[group] = total
    return out
