"""A Combine datacard of a statistical model, with its histograms in ``shapes.root``.

One card for the model's set of channels (``<name>.txt``) beside ``shapes.root``, written with
uproot: ``<channel>/<process>``, ``<channel>/<process>_<nuisance>Up|Down`` and
``<channel>/data_obs``, each a TH1D with Σw² (the shape line of the card is
``shapes * * shapes.root $CHANNEL/$PROCESS $CHANNEL/$PROCESS_$SYSTEMATIC``). Signal processes
get ids ≤ 0, backgrounds ids > 0; log-normal nuisances are ``lnN`` (κ, or κ down/κ up when
asymmetric), varied histograms ``shape``; the simulation's statistical uncertainty is
``* autoMCStats <threshold>``.

No maintained Python library writes Combine cards; the format is small and documented with
Combine, and the tests read each card back.

Example:
    >>> import tempfile
    >>> from opencoffea import load_result
    >>> from opencoffea.inference import statistical_model
    >>> card = write_datacard(statistical_model(load_result(higgs4l_demo)), tempfile.mkdtemp())
    >>> card.name, sorted(p.name for p in card.parent.iterdir())
    ('higgs4l_demo.txt', ['higgs4l_demo.txt', 'shapes.root'])
    >>> print(card.read_text().splitlines()[1])
    imax 3  number of channels
"""

from __future__ import annotations

from pathlib import Path

import hist
import numpy as np

from ..util import atomic_path, write_atomic
from .model import Channel, StatModel

__all__ = ["SHAPES", "datacard_text", "write_datacard", "write_shapes"]

SHAPES = "shapes.root"
"""The histograms of a card, beside it."""


def write_datacard(model: StatModel, directory: str | Path) -> Path:
    """Write ``<name>.txt`` and ``shapes.root`` into ``directory``; returns the card's path."""
    directory = Path(directory)
    directory.mkdir(parents=True, exist_ok=True)
    write_shapes(model, directory / SHAPES)
    card = directory / f"{model.name}.txt"
    write_atomic(card, datacard_text(model))
    return card


def datacard_text(model: StatModel) -> str:
    """The text of the card.

    Example:
        >>> from opencoffea.inference.model import Channel, StatModel
        >>> channel = Channel("sr", np.array([0.0, 1.0]), np.array([7.0]),
        ...     {"S": np.array([2.0]), "B": np.array([5.0])}, {"S": np.ones(1), "B": np.ones(1)},
        ...     rates={"lumi": {"S": (1 / 1.026, 1.026), "B": (1 / 1.026, 1.026)}})
        >>> print(datacard_text(StatModel("x", [channel], ["S"], ["B"], {}, None)))
        ... # doctest: +NORMALIZE_WHITESPACE
        # x: made by opencoffea (opencoffea export datacard)
        imax 1  number of channels
        jmax 1  number of processes minus 1
        kmax 1  number of nuisance parameters
        ----------------------------------------------------------------------
        shapes * * shapes.root $CHANNEL/$PROCESS $CHANNEL/$PROCESS_$SYSTEMATIC
        ----------------------------------------------------------------------
        bin          sr
        observation  7
        ----------------------------------------------------------------------
        bin          sr  sr
        process      S   B
        process      0   1
        rate         2   5
        ----------------------------------------------------------------------
        lumi  lnN    1.026 1.026
    """
    nuisances = model.nuisances
    columns = [(c, p) for c in model.channels for p in model.processes]
    ids = {p: -i for i, p in enumerate(reversed(model.signals))} | {
        p: i + 1 for i, p in enumerate(model.backgrounds)
    }
    rule = "-" * 70
    head = [
        f"# {model.name}: made by opencoffea (opencoffea export datacard)",
        f"imax {len(model.channels)}  number of channels",
        f"jmax {len(model.processes) - 1}  number of processes minus 1",
        f"kmax {len(nuisances)}  number of nuisance parameters",
        rule,
        f"shapes * * {SHAPES} $CHANNEL/$PROCESS $CHANNEL/$PROCESS_$SYSTEMATIC",
        rule,
    ]
    table = [
        ["bin", *(c.name for c in model.channels)],
        ["observation", *(_number(c.observed.sum()) for c in model.channels)],
    ]
    processes = [
        ["bin", *(c.name for c, _ in columns)],
        ["process", *(p for _, p in columns)],
        ["process", *(str(ids[p]) for _, p in columns)],
        ["rate", *(_number(c.rate(p)) for c, p in columns)],
    ]
    rows = [
        [name, kind, *(_effect(c, p, name, kind) for c, p in columns)]
        for name, kind in nuisances.items()
    ]
    lines = head + _aligned(table) + [rule] + _aligned(processes) + [rule] + _aligned(rows)
    if model.mc_stats is not None:
        lines.append(f"* autoMCStats {_number(model.mc_stats)}")
    return "\n".join(lines) + "\n"


def _effect(channel: Channel, process: str, nuisance: str, kind: str) -> str:
    """A nuisance's entry in one column: its κ, 1 for a shape, ``-`` where it does not act."""
    if kind == "shape":
        return "1" if process in channel.shapes.get(nuisance, {}) else "-"
    kappa = channel.rates.get(nuisance, {}).get(process)
    if kappa is None:
        return "-"
    down, up = kappa
    if np.isclose(down * up, 1.0, rtol=1e-12):  # symmetric: κ
        return _number(up)
    return f"{_number(down)}/{_number(up)}"


def _number(value: float) -> str:
    return f"{float(value):.10g}"


def _aligned(rows: list[list[str]]) -> list[str]:
    """Rows as columns of equal width (the first one wider: the names)."""
    if not rows:
        return []
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
    return [
        "  ".join(cell.ljust(w) for cell, w in zip(row, widths, strict=True)).rstrip()
        for row in rows
    ]


def write_shapes(model: StatModel, path: str | Path) -> None:
    """``shapes.root``: every histogram the card names, as TH1D with Σw²."""
    import uproot  # only here: the model and the card's text need no ROOT file

    with atomic_path(path) as partial, uproot.recreate(partial) as out:
        for channel in model.channels:
            out[f"{channel.name}/data_obs"] = _histogram(
                channel.edges, channel.observed, channel.observed
            )
            for process, values in channel.nominal.items():
                out[f"{channel.name}/{process}"] = _histogram(
                    channel.edges, values, channel.variances[process]
                )
            for nuisance, by_process in channel.shapes.items():
                for process, shifts in by_process.items():
                    for suffix, values in zip(("Up", "Down"), shifts, strict=True):
                        out[f"{channel.name}/{process}_{nuisance}{suffix}"] = _histogram(
                            channel.edges, values, np.zeros_like(values)
                        )


def _histogram(edges: np.ndarray, values: np.ndarray, variances: np.ndarray) -> hist.Hist:
    h = hist.Hist(hist.axis.Variable(edges), storage=hist.storage.Weight())
    h.view().value = values
    h.view().variance = variances
    return h
