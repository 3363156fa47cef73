"""A pyhf workspace (HistFactory JSON) of a statistical model, validated against pyhf's schema.

The same numbers as the datacard, in pyhf's modifiers:

- the signal strength ``mu`` (``normfactor``) on each signal, the parameter of interest;
- a log-normal nuisance, a ``normsys`` (hi κ up, lo κ down);
- a shape nuisance, as cabinetry and Combine split it: a ``normsys`` of its yields (hi = Σ up /
  Σ nominal) and a ``histosys`` of its shape at the nominal yield, one parameter for both;
- the simulation's statistical uncertainty, a ``staterror`` per channel (Barlow–Beeston lite,
  as Combine's autoMCStats above its threshold).

cabinetry builds workspaces from ntuples or histograms it reads itself by its own paths; its
configuration does not map onto a result already in memory, so the workspace is made here
directly (the HistFactory JSON is pyhf's documented format).

Example:
    >>> from opencoffea import load_result
    >>> from opencoffea.inference import statistical_model
    >>> spec = pyhf_workspace(statistical_model(load_result(higgs4l_demo)))
    >>> [c["name"] for c in spec["channels"]], spec["measurements"][0]["config"]["poi"]
    (['m4l_4mu', 'm4l_4e', 'm4l_2e2mu'], 'mu')
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np

from ..errors import InferenceError
from ..util import write_atomic
from .extra import stats_module
from .model import Channel, StatModel

__all__ = ["POI", "pyhf_workspace", "write_workspace"]

POI = "mu"
"""The parameter of interest: the signal strength."""


def pyhf_workspace(model: StatModel) -> dict[str, Any]:
    """The workspace of ``model`` as a JSON-able dict, valid against pyhf's schema.

    Example:
        >>> from opencoffea.inference.model import Channel, StatModel
        >>> channel = Channel("sr", np.array([0.0, 1.0]), np.array([7.0]),
        ...     {"S": np.array([2.0]), "B": np.array([5.0])}, {"S": np.ones(1), "B": np.ones(1)})
        >>> spec = pyhf_workspace(StatModel("x", [channel], ["S"], ["B"], {}, None))
        >>> spec["channels"][0]["samples"][0]
        {'name': 'S', 'data': [2.0], 'modifiers': [{'name': 'mu', 'type': 'normfactor', 'data': None}]}
    """  # noqa: E501
    spec = {
        "channels": [
            {"name": c.name, "samples": [_sample(model, c, p) for p in model.processes]}
            for c in model.channels
        ],
        "observations": [{"name": c.name, "data": c.observed.tolist()} for c in model.channels],
        "measurements": [
            {"name": model.name, "config": {"poi": POI, "parameters": []}},
        ],
        "version": "1.0.0",
    }
    _validate(spec)
    return spec


def write_workspace(model: StatModel, path: str | Path) -> Path:
    """Write the workspace as JSON (``workspace.json``, say); returns the path."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    write_atomic(path, json.dumps(pyhf_workspace(model), indent=1) + "\n")
    return path


def _sample(model: StatModel, channel: Channel, process: str) -> dict[str, Any]:
    nominal = channel.nominal[process]
    modifiers: list[dict[str, Any]] = []
    if process in model.signals:
        modifiers.append({"name": POI, "type": "normfactor", "data": None})
    for nuisance, kappas in channel.rates.items():
        if process in kappas:
            low, high = kappas[process]
            modifiers.append({"name": nuisance, "type": "normsys", "data": {"hi": high, "lo": low}})
    total = float(nominal.sum())
    for nuisance, by_process in channel.shapes.items():
        if process not in by_process:
            continue
        up, down = by_process[process]
        sums = float(up.sum()), float(down.sum())
        if total > 0 and all(s > 0 for s in sums):
            modifiers.append(
                {
                    "name": nuisance,
                    "type": "normsys",
                    "data": {"hi": sums[0] / total, "lo": sums[1] / total},
                }
            )
            up, down = up * total / sums[0], down * total / sums[1]
        modifiers.append(
            {
                "name": nuisance,
                "type": "histosys",
                "data": {"hi_data": up.tolist(), "lo_data": down.tolist()},
            }
        )
    if model.mc_stats is not None:
        errors = np.sqrt(channel.variances[process]).tolist()
        modifiers.append({"name": f"staterror_{channel.name}", "type": "staterror", "data": errors})
    return {"name": process, "data": nominal.tolist(), "modifiers": modifiers}


def _validate(spec: dict[str, Any]) -> None:
    """pyhf's schema, and a model pyhf can build (an error names what is wrong)."""
    pyhf = stats_module("pyhf")
    try:
        pyhf.Workspace(spec).model()
    except pyhf.exceptions.InvalidSpecification as err:
        raise InferenceError(f"the pyhf workspace is not valid: {err}") from None
