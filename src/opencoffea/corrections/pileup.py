"""Pileup weights: simulation reweighted to the pileup profile of the data.

A simulated event is weighted by the ratio of the data's pileup distribution to the
simulation's at its true number of interactions (``Pileup_nTrueInt``, the mean of the
Poisson distribution pileup was drawn from). LUM ships the ratio as a correctionlib payload,
``POG/LUM/<era>/puWeights.json.gz``, with ``"nominal"``, ``"up"`` and ``"down"`` for the
minimum-bias cross section varied by its uncertainty. The up and down weights are not
ordered with respect to the nominal: a shifted profile raises some bins and lowers others.

Example:
    >>> path = corrections_root / "POG/LUM/2016postVFP_UL/puWeights.json.gz"
    >>> weight = pileup_weight(events, path, "Collisions16_UltraLegacy_goldenJSON")
    >>> weight.nominal[:3]
    array([0.95298888, 1.11896391, 1.18206989])
    >>> weight.up[:3], weight.down[:3]  # not ordered with respect to the nominal
    (array([0.88718274, 1.09121401, 1.16776967]), array([1.010092  , 1.13007262, 1.17482461]))
"""

from __future__ import annotations

import os
from typing import TYPE_CHECKING

from ..errors import CorrectionError
from .scalefactors import WeightVariation, scale_factor_weight

if TYPE_CHECKING:
    from ..events import NanoEvents

__all__ = ["pileup_weight"]


def pileup_weight(
    events: NanoEvents,
    payload: str | os.PathLike,
    key: str,
    *,
    name: str = "pileup",
) -> WeightVariation:
    """The pileup weight of each simulated event, nominal, up and down.

    The payload's input (``NumTrueInteractions`` in LUM's) is filled with
    ``Pileup_nTrueInt``; values beyond its bins are clamped by the payload itself. Data
    has no true pileup and needs no weight: data events are a :class:`CorrectionError`.

    Example:
        >>> path = corrections_root / "POG/LUM/2016postVFP_UL/puWeights.json.gz"
        >>> weight = pileup_weight(events, path, "Collisions16_UltraLegacy_goldenJSON")
        >>> weight.name, weight.varied
        ('pileup', True)
        >>> np.round(weight.ratio("up")[:3], 3)  # what the processor applies for "pileupUp"
        array([0.931, 0.975, 0.988])
    """
    if "Pileup" not in events.fields or "genWeight" not in events.fields:
        raise CorrectionError(
            "pileup weights are for simulation: these events have no Pileup_nTrueInt "
            "(data, or a skim that dropped it); weight only simulated datasets"
        )
    inputs = {
        "NumTrueInteractions": lambda: events.Pileup.nTrueInt,
        "nTrueInt": lambda: events.Pileup.nTrueInt,
    }
    return scale_factor_weight(payload, key, inputs, name=name)
