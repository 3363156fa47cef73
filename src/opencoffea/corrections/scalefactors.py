"""Scale factors as event weights, with their up and down variations; muon ID and isolation.

A scale factor corrects the efficiency of a selection in simulation, object by object; an
event's weight is the product over the objects it selected. The caller gives the selected
objects (``muons[tight]``), so the weight follows the analysis' own selection.

A weight is a :class:`WeightVariation`: per event, the nominal factor and, where the payload
has them, the factor varied up and down. The processor multiplies the nominals into the
event weight, and takes ``up / nominal`` and ``down / nominal`` (:meth:`WeightVariation.ratio`)
for a weight systematic: a weight variation never re-runs the analysis.

Payloads differ in their signatures, and the code reads what each declares:

- which string input holds the systematic (``ValType`` with ``sf``/``sfup``/``sfdown`` in EGM;
  ``ValType`` with ``sf``/``systup``/``systdown`` in MUO's 4-input ``muon_Z.json.gz``;
  ``scale_factors`` with ``nominal``/``systup``/``systdown`` in its 3-input version;
  ``weights`` with ``nominal``/``up``/``down`` in LUM's pileup weights);
- the ``year`` input, filled with the payload's only year when the caller gives none
  (``"2016postVFP_UL"`` in MUO, ``"2016postVFP"`` in EGM: the POGs spell it differently);
- the range of each binned input. Where the payload says ``flow: "error"``, an object
  outside the bins is clamped into them: above the last edge it takes the last bin, as CMS
  does for a pt beyond the measured range; below the first edge, the first bin. A crash on
  one odd object would cost the whole chunk. Inputs where the payload clamps or gives a
  default itself are left to the payload.

Example:
    >>> path = corrections_root / "POG/MUO/2016postVFP_UL/muon_Z.json.gz"
    >>> tight = events.Muon[events.Muon.tightId & (events.Muon.pt > 20)]
    >>> weight = muon_weight(tight, path, "NUM_TightID_DEN_TrackerMuons")
    >>> ak.num(tight)[3:7].tolist(), np.round(weight.nominal[3:7], 4)  # 1 without muons
    ([0, 2, 1, 1], array([1.    , 0.9603, 0.9865, 0.9852]))
    >>> weight.varied, weight.nominal.shape == weight.ratio("up").shape
    (True, True)
"""

from __future__ import annotations

import os
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any

import awkward as ak
import numpy as np
from correctionlib.highlevel import CompoundCorrection, Correction

from ..errors import CorrectionError
from ..util import did_you_mean
from .payloads import correction, evaluate, load_payload, payload_document

__all__ = [
    "WeightVariation",
    "declared_ranges",
    "inputs_for",
    "muon_weight",
    "product_weight",
    "scale_factor_weight",
]

# The keys a systematic input uses for the nominal value and the two variations, by POG
# habit; the first present in the payload is taken.
_NOMINAL = ("sf", "nominal")
_UP = ("sfup", "systup", "up")
_DOWN = ("sfdown", "systdown", "down")


@dataclass(frozen=True)
class WeightVariation:
    """One event weight with its systematic variation: numpy arrays, one number per event.

    ``up`` and ``down`` are ``None`` when the payload has no variation; ``note`` then says
    why. Varied weights are absolute (not ratios), so a weight that is zero in some events
    (a pileup bin with no data) stays exact; :meth:`ratio` gives the factor to apply on top
    of the nominal event weight.

    Example:
        >>> weight = WeightVariation("pileup", np.array([1.2, 0.0]), np.array([1.3, 0.1]),
        ...                          np.array([1.1, 0.0]))
        >>> weight.ratio("up")
        array([1.08333333, 1.        ])
    """

    name: str
    nominal: np.ndarray
    up: np.ndarray | None = None
    down: np.ndarray | None = None
    note: str | None = None

    @property
    def varied(self) -> bool:
        """Whether the weight has an up and a down variation.

        Example:
            >>> WeightVariation("id", np.array([0.98]), note="no up/down keys").varied
            False
        """
        return self.up is not None and self.down is not None

    def ratio(self, direction: str) -> np.ndarray:
        """``up / nominal`` or ``down / nominal`` per event; 1 where the nominal is zero.

        An event whose nominal weight is zero keeps a zero weight through a ratio whatever
        its value: use the absolute ``up``/``down`` where that matters.

        Example:
            >>> weight = WeightVariation("id", np.array([0.98, 0.95]), np.array([0.99, 0.97]),
            ...                          np.array([0.97, 0.93]))
            >>> weight.ratio("down")
            array([0.98979592, 0.97894737])
            >>> WeightVariation("id", np.array([0.98]), note="no up/down keys").ratio("up")
            Traceback (most recent call last):
            ...
            opencoffea.errors.CorrectionError: weight 'id' has no up variation: no up/down keys
        """
        if direction not in ("up", "down"):
            raise ValueError(f"direction must be 'up' or 'down', not {direction!r}")
        varied = self.up if direction == "up" else self.down
        if varied is None:
            raise CorrectionError(f"weight {self.name!r} has no {direction} variation: {self.note}")
        ones = np.ones_like(self.nominal, dtype=np.float64)
        return np.divide(varied, self.nominal, out=ones, where=self.nominal != 0)


def product_weight(
    name: str,
    nominal: Any,
    up: Any = None,
    down: Any = None,
    note: str | None = None,
) -> WeightVariation:
    """An event weight from per-object factors: the product over each event's objects.

    Per-object factors are jagged (events × objects); an event without objects gets 1. Flat
    arrays (one number per event already) are taken as they are.

    Example:
        >>> product_weight("id", ak.Array([[0.9, 0.8], []]), ak.Array([[1.0, 0.9], []]),
        ...                ak.Array([[0.8, 0.7], []])).nominal
        array([0.72, 1.  ])
    """
    return WeightVariation(
        name,
        _per_event(nominal),
        None if up is None else _per_event(up),
        None if down is None else _per_event(down),
        note,
    )


def _per_event(factors: Any) -> np.ndarray:
    if isinstance(factors, ak.Array) and factors.ndim > 1:
        factors = ak.prod(factors, axis=1)
    return np.asarray(ak.to_numpy(factors) if isinstance(factors, ak.Array) else factors, float)


def scale_factor_weight(
    payload: str | os.PathLike,
    key: str,
    inputs: Mapping[str, Any],
    *,
    name: str | None = None,
) -> WeightVariation:
    """The event weight of a payload's per-object factor, nominal and varied up and down.

    ``inputs`` maps the correction's declared input names to values: a jagged array (one
    value per object; the weight is the product per event), a flat array (one per event),
    a string, or a function of no arguments giving one of those, called only when the
    correction declares that input (so that branches it does not use are never read). The
    systematic input and a single-valued ``year`` are filled here; binned inputs are
    clamped into the payload's range where it would otherwise raise.

    Example:
        >>> path = corrections_root / "POG/EGM/2016postVFP_UL/electron.json.gz"
        >>> electrons = events.Electron[events.Electron.pt > 20]
        >>> inputs = {"WorkingPoint": "Tight", "pt": electrons.pt,
        ...           "eta": lambda: electrons.eta + electrons.deltaEtaSC}  # read if declared
        >>> weight = scale_factor_weight(path, "UL-Electron-ID-SF", inputs, name="electron_id")
        >>> ak.num(electrons)[:4].tolist(), np.round(weight.nominal[:4], 4)  # year filled in
        ([0, 1, 2, 0], array([1.    , 0.9918, 0.9552, 1.    ]))
    """
    corr = correction(load_payload(payload), key)
    node = _correction_node(payload, key)
    categories = _category_keys(node)
    systematic, nominal = _systematic_input(corr, categories)
    given = dict(inputs)
    for inp in corr.inputs:
        if inp.type == "string" and inp.name != systematic:
            given[inp.name] = _string_value(corr, inp.name, given.get(inp.name), categories)
    fixed = {k: v for k, v in given.items() if isinstance(v, str)}
    values = _clamped(corr, inputs_for(corr, {**given, systematic: ""}), node, fixed)
    keys = categories.get(systematic, set())
    up, down = _first(_UP, keys), _first(_DOWN, keys)

    def at(value: str) -> Any:
        return evaluate(corr, **{**values, systematic: value})

    if up is None or down is None:
        note = f"{key}: {systematic} has no up/down keys (it has {sorted(keys)})"
        return product_weight(name or key, at(nominal), note=note)
    return product_weight(name or key, at(nominal), at(up), at(down))


def muon_weight(
    muons: ak.Array,
    payload: str | os.PathLike,
    key: str,
    *,
    year: str | None = None,
    name: str | None = None,
) -> WeightVariation:
    """Muon ID or isolation scale factors (MUO ``muon_Z.json.gz``) as an event weight.

    Works with both signatures of the payload: ``(year, abseta, pt, ValType)`` with
    ``"sf"``/``"systup"``/``"systdown"``, and ``(abseta, pt, scale_factors)`` with
    ``"nominal"``/``"systup"``/``"systdown"`` (newer payloads bin in signed ``eta``: also
    filled). ``year`` defaults to the payload's only one.

    Example:
        >>> path = corrections_root / "POG/MUO/2016postVFP_UL/muon_Z.json.gz"
        >>> tight = events.Muon[events.Muon.tightId & (events.Muon.pt > 20)]
        >>> weight = muon_weight(tight, path, "NUM_TightRelIso_DEN_TightIDandIPCut",
        ...                      name="muon_iso")
        >>> weight.name, np.round(weight.nominal[3:7], 4)
        ('muon_iso', array([1.    , 1.0095, 0.9957, 0.9973]))
    """
    inputs: dict[str, Any] = {
        "abseta": lambda: abs(muons.eta),
        "eta": lambda: muons.eta,
        "pt": lambda: muons.pt,
    }
    if year is not None:
        inputs["year"] = year
    return scale_factor_weight(payload, key, inputs, name=name)


# ------------------------------------------------------------------------------ declared inputs


def inputs_for(
    corr: Correction | CompoundCorrection, available: Mapping[str, Any]
) -> dict[str, Any]:
    """The values of a correction's declared inputs, picked by name from ``available``.

    A value may be a function of no arguments: it is called only if the input is declared.
    Real inputs are made float64 and integer inputs int64, whatever the branch type
    (``seedGain`` is a byte in NanoAOD). A declared input that is not available is a
    :class:`CorrectionError` naming it and what the code can fill.

    Example:
        >>> path = corrections_root / "POG/MUO/2016postVFP_UL/muon_Z.json.gz"
        >>> tight_id = correction(load_payload(path), "NUM_TightID_DEN_TrackerMuons")
        >>> inputs_for(tight_id, {"year": "2016postVFP_UL", "ValType": "sf", "pt": [30, 45],
        ...                       "abseta": lambda: np.array([0.5, 2.1]), "phi": lambda: 1 / 0})
        ... # doctest: +NORMALIZE_WHITESPACE
        {'year': '2016postVFP_UL', 'abseta': array([0.5, 2.1]), 'pt': array([30., 45.]),
         'ValType': 'sf'}
        >>> inputs_for(tight_id, {"abseta": 0.5, "pt": 30.0})  # doctest: +NORMALIZE_WHITESPACE
        Traceback (most recent call last):
        ...
        opencoffea.errors.CorrectionError: correction 'NUM_TightID_DEN_TrackerMuons' declares
        inputs ['year', 'abseta', 'pt', 'ValType']; cannot fill ['year', 'ValType']
        (known here: ['abseta', 'pt'])
    """
    missing = [inp.name for inp in corr.inputs if inp.name not in available]
    if missing:
        raise CorrectionError(
            f"correction {corr.name!r} declares inputs {[i.name for i in corr.inputs]}; "
            f"cannot fill {missing} (known here: {sorted(available)})"
        )
    values = {}
    for inp in corr.inputs:
        value = available[inp.name]
        value = value() if callable(value) else value
        if inp.type in ("real", "int") and not isinstance(value, str):
            value = _as_type(value, np.float64 if inp.type == "real" else np.int64)
        values[inp.name] = value
    return values


def _as_type(value: Any, dtype: type) -> Any:
    if isinstance(value, ak.Array):
        return ak.values_astype(value, dtype)
    return np.asarray(value, dtype=dtype)


def _systematic_input(
    corr: Correction | CompoundCorrection, categories: dict[str, set[Any]]
) -> tuple[str, str]:
    """The string input that selects the systematic, and its nominal key."""
    for inp in corr.inputs:
        nominal = _first(_NOMINAL, categories.get(inp.name, set()))
        if inp.type == "string" and nominal is not None:
            return inp.name, nominal
    raise CorrectionError(
        f"correction {corr.name!r} has no string input with a nominal key "
        f"({' or '.join(map(repr, _NOMINAL))}); its inputs: {[i.name for i in corr.inputs]}"
    )


def _first(options: tuple[str, ...], keys: set[Any]) -> str | None:
    return next((option for option in options if option in keys), None)


def _string_value(
    corr: Correction | CompoundCorrection, name: str, value: Any, categories: dict[str, set[Any]]
) -> str:
    """A string input's value, checked against the payload's keys; a lone key is the default."""
    keys = sorted(k for k in categories.get(name, set()) if isinstance(k, str))
    if value is None:
        if len(keys) == 1:
            return keys[0]
        raise CorrectionError(
            f"correction {corr.name!r} needs {name!r}: one of {keys}"
            if keys
            else f"correction {corr.name!r} needs {name!r}"
        )
    value = value() if callable(value) else value
    if keys and value not in keys:
        hint = did_you_mean(str(value), keys, n=3, cutoff=0.5) or f" (it has {keys})"
        raise CorrectionError(f"correction {corr.name!r} has no {name} {value!r}{hint}")
    return value


# ------------------------------------------------------------------------------ payload ranges


def _correction_node(payload: str | os.PathLike, key: str) -> dict[str, Any] | None:
    """The JSON data tree of a correction (``None`` for a compound one, which has none)."""
    for corr in payload_document(payload).get("corrections", []):
        if corr["name"] == key:
            return corr["data"]
    return None


def _reachable(node: Any, fixed: Mapping[str, str]) -> Iterator[dict[str, Any]]:
    """The nodes of a data tree that inputs with the ``fixed`` string values can reach."""
    if not isinstance(node, dict):
        return  # a leaf value
    yield node
    kind = node["nodetype"]
    children: list[Any] = []
    if kind == "category":
        chosen = fixed.get(node["input"])
        children = [i["value"] for i in node["content"] if chosen is None or i["key"] == chosen]
        if chosen is None or not children:
            children.append(node.get("default"))
    elif kind in ("binning", "multibinning"):
        children = [*node["content"], node["flow"]]
    elif kind == "transform":
        children = [node["rule"], node["content"]]
    for child in children:
        yield from _reachable(child, fixed)


def _category_keys(node: Any) -> dict[str, set[Any]]:
    """Input name → the keys its category nodes have, anywhere in the tree."""
    keys: dict[str, set[Any]] = {}
    for each in _reachable(node, {}):
        if each["nodetype"] == "category":
            keys.setdefault(each["input"], set()).update(i["key"] for i in each["content"])
    return keys


def declared_ranges(node: Any, fixed: Mapping[str, str]) -> dict[str, tuple[float, float]]:
    """Input name → the range ``[low, high)`` every reachable bin with ``flow: "error"`` covers.

    Bins are read along the paths the ``fixed`` string inputs select (a working point's pt
    bins, not another's), and where nested bins differ the ranges are intersected, so a
    value inside evaluates on every path. Inputs that a ``transform`` node rewrites are
    left out: their bins are not in the input's own units.

    Example:
        >>> path = corrections_root / "POG/EGM/2016postVFP_UL/electron.json.gz"
        >>> corrections = payload_document(path)["corrections"]
        >>> [sf] = [c for c in corrections if c["name"] == "UL-Electron-ID-SF"]
        >>> declared_ranges(sf["data"], {"WorkingPoint": "RecoBelow20"})
        {'eta': (-inf, inf), 'pt': (10.0, 20.0)}
        >>> declared_ranges(sf["data"], {"WorkingPoint": "Tight"})
        {'eta': (-inf, inf), 'pt': (10.0, inf)}
    """
    ranges: dict[str, tuple[float, float]] = {}
    transformed = set()
    for each in _reachable(node, fixed):
        if each["nodetype"] == "transform":
            transformed.add(each["input"])
        if each["nodetype"] not in ("binning", "multibinning") or each["flow"] != "error":
            continue
        if each["nodetype"] == "binning":
            pairs = [(each["input"], each["edges"])]
        else:
            pairs = list(zip(each["inputs"], each["edges"], strict=True))
        for name, edges in pairs:
            low, high = _span(edges)
            old_low, old_high = ranges.get(name, (-np.inf, np.inf))
            ranges[name] = (max(low, old_low), min(high, old_high))
    return {name: span for name, span in ranges.items() if name not in transformed}


def _span(edges: Any) -> tuple[float, float]:
    if isinstance(edges, dict):  # uniform binning: {"n", "low", "high"}
        return float(edges["low"]), float(edges["high"])
    return float(edges[0]), float(edges[-1])  # float() reads "inf" and "-inf" too


def _clamped(
    corr: Correction | CompoundCorrection,
    values: dict[str, Any],
    node: Any,
    fixed: Mapping[str, str],
) -> dict[str, Any]:
    """The real inputs clipped into the payload's declared range (see the module docstring)."""
    if node is None:
        return values
    types = {inp.name: inp.type for inp in corr.inputs}
    clamped = dict(values)
    for name, (low, high) in declared_ranges(node, fixed).items():
        if types.get(name) != "real" or name not in values:
            continue
        # the upper edge itself is out of range in correctionlib: stay just below it
        top = np.nextafter(high, -np.inf) if np.isfinite(high) else high
        clamped[name] = np.minimum(np.maximum(values[name], low), top)
    return clamped
