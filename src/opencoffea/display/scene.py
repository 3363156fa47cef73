"""From the events read to what is drawn: each object's properties and its geometry, as JSON.

A scene is plain data (dicts, lists, numbers, strings), the same for the page (embedded as JSON
and drawn by plotly) and for the PNG projections: each event with its identity, quantities and
marked objects, and for each collection present the objects with their kinematics, properties
and trajectory (:mod:`~opencoffea.display.trajectories`), in metres rounded to the millimetre.

Example:
    >>> from opencoffea.display.reading import read_events
    >>> scene = event_scene(read_events(nano_dy, entries=[4]).events[0])
    >>> muons = scene["collections"]["Muon"]
    >>> [(o["pt"], o["charge"]) for o in muons], len(muons[0]["path"][0])  # x of its 63 points
    ([(76.7533, -1), (20.1314, 1)], 63)
"""

from __future__ import annotations

from typing import Any

import numpy as np

from . import trajectories
from .catalogue import BTAG, COLLECTIONS, MET, VERTEX, Collection, collection_of
from .detector import ECAL_FRONT, TRACKER
from .reading import EventData

__all__ = [
    "JET_SCALE",
    "PF_MIN_PT",
    "PF_POINTS",
    "describe_collections",
    "event_scene",
    "jet_colour",
    "sqrt_s",
]

PF_MIN_PT = 1.0
"""PF candidates below this pT (GeV) are left out of the page: a PFNano event has thousands."""

PF_POINTS = 12
"""Points of a charged PF candidate's helix (fewer than other tracks': they are many)."""

_LEPTON_PDG = (11, 13, 15)  # a negative lepton has a positive pdgId


def sqrt_s(event: EventData) -> float | None:
    """The collision energy in TeV: from the run number for data, the release for simulation.

    Simulation has run 1; its NanoAOD release tells Run 2 (up to v9: 13 TeV) from Run 3
    (13.6 TeV); the reduced 2012-format simulation is left unknown (7 or 8 TeV).

    Example:
        >>> sqrt_s(EventData(None, None, 195013, 1, 1, {}, is_data=True))
        8.0
        >>> sqrt_s(EventData(None, None, 1, 1, 1, {}, is_data=False, version="v15"))
        13.6
    """
    run = event.run or 0
    if event.is_data and run:
        for first, energy in ((355_100, 13.6), (246_900, 13.0), (190_400, 8.0), (130_000, 7.0)):
            if run >= first:
                return energy
        return None
    version = event.version or ""
    if version.startswith("v") and version[1:].isdigit():
        return 13.6 if int(version[1:]) >= 10 else 13.0
    return None


def describe_collections() -> list[dict[str, Any]]:
    """How each collection looks on the page: label, colour, kind, first visibility and pT cut.

    Example:
        >>> describe_collections()[0]["names"]
        ['Muon', 'ScoutingMuon']
    """
    return [
        {
            "names": list(c.names),
            "label": c.label,
            "colour": c.colour,
            "kind": c.kind,
            "visible": c.visible,
            "min_pt": c.min_pt,
        }
        for c in COLLECTIONS
    ]


def _number(value: Any) -> Any:
    """A JSON number or flag of a branch value: floats to 4 decimals, ints and bools as they are."""
    value = value.item() if isinstance(value, np.generic) else value
    if isinstance(value, float):
        return round(value, 4) if np.isfinite(value) else None
    return value


def _path(x: np.ndarray, y: np.ndarray, z: np.ndarray) -> list[list[float]]:
    return [np.round(v, 3).tolist() for v in (x, y, z)]


def _charge(columns: dict[str, np.ndarray], name: str, count: int) -> np.ndarray:
    if f"{name}_charge" in columns:
        return columns[f"{name}_charge"].astype(np.float64)
    if f"{name}_pdgId" in columns:  # e⁻, μ⁻, τ⁻ have positive ids, π⁺, K⁺, p positive too
        pdg = columns[f"{name}_pdgId"].astype(np.int64)
        sign = np.where(np.isin(np.abs(pdg), _LEPTON_PDG), -np.sign(pdg), np.sign(pdg))
        charged = ~np.isin(np.abs(pdg), (22, 130, 2112, 1, 2))  # γ, K⁰L, n; HF hadrons, EM
        return np.where(charged, sign, 0).astype(np.float64)
    return np.zeros(count)


def _vertex(columns: dict[str, np.ndarray]) -> np.ndarray:
    for name in VERTEX:
        if f"{name}_z" in columns:
            x, y, z = (np.atleast_1d(columns[f"{name}_{f}"]) for f in "xyz")
            if len(z):
                return trajectories.vertex_m(x[0], y[0], z[0])
    return np.zeros(3)


def _geometry(
    collection: Collection,
    pt: np.ndarray,
    eta: np.ndarray,
    phi: np.ndarray,
    charge: np.ndarray,
    vertex: np.ndarray,
) -> list[dict[str, Any]]:
    """Each object's shape: ``path`` (x, y, z lists) for lines, ``cone`` for jets."""
    if collection.kind == "jet":
        shape = trajectories.cones(eta, phi, collection.radius, vertex)
        return [
            {
                "cone": np.round(shape["base"][i], 3).T.tolist(),
                "xy": np.round(shape["xy"][i], 3).T.tolist(),
                "rz": np.round(shape["rz"][i], 3).T.tolist(),
            }
            for i in range(len(pt))
        ]
    if collection.kind == "muon":
        x, y, z = trajectories.muons(pt, eta, phi, charge, vertex)
    elif collection.kind == "electron":
        x, y, z = trajectories.helices(pt, eta, phi, charge, ECAL_FRONT, vertex)
    elif collection.kind == "photon":
        x, y, z = trajectories.straight_lines(eta, phi, ECAL_FRONT, vertex)
    elif collection.kind == "track":
        x, y, z = trajectories.helices(pt, eta, phi, charge, TRACKER, vertex)
    else:  # PF candidates: charged ones curl in the tracker, neutral ones fly to the ECAL
        x, y, z = trajectories.helices(pt, eta, phi, charge, TRACKER, vertex, points=PF_POINTS)
        nx, ny, nz = trajectories.straight_lines(eta, phi, ECAL_FRONT, vertex)
        return [
            {"path": _path(x[i], y[i], z[i]) if charge[i] else _path(nx[i], ny[i], nz[i])}
            for i in range(len(pt))
        ]
    return [{"path": _path(x[i], y[i], z[i])} for i in range(len(pt))]


# Jets: pale at JET_SCALE[0] GeV or less, deep at JET_SCALE[1] or more, log in between; b-tagged
# jets in blues, large-radius ones in greens.
JET_SCALE = (20.0, 500.0)
_JET_COLOURS = {
    "jet": ("#ffe9b0", "#ff7b00"),
    "b": ("#cfe0ff", "#1f5fbf"),
    "fat": ("#c7efe3", "#138a68"),
}


def jet_colour(pt: float, family: str = "jet") -> str:
    """The colour of a jet of this pT: ``family`` "jet", "b" (b-tagged) or "fat" (R = 0.8).

    Example:
        >>> jet_colour(20.0), jet_colour(500.0), jet_colour(5000.0, "b")
        ('#ffe9b0', '#ff7b00', '#1f5fbf')
    """
    low, high = JET_SCALE
    f = float(np.clip(np.log(max(pt, 1e-9) / low) / np.log(high / low), 0.0, 1.0))
    start = [int(_JET_COLOURS[family][0][i : i + 2], 16) for i in (1, 3, 5)]
    end = [int(_JET_COLOURS[family][1][i : i + 2], 16) for i in (1, 3, 5)]
    return "#" + "".join(f"{round(a + f * (b - a)):02x}" for a, b in zip(start, end, strict=True))


def _btag(columns: dict[str, np.ndarray], name: str, count: int) -> np.ndarray:
    for field, working_point in BTAG:
        if f"{name}_{field}" in columns:
            return columns[f"{name}_{field}"] >= working_point
    return np.zeros(count, dtype=bool)


def _objects(event: EventData, name: str, vertex: np.ndarray) -> list[dict[str, Any]]:
    collection = collection_of(name)
    columns = event.columns
    count = len(next(v for k, v in columns.items() if k.startswith(f"{name}_")))
    pt, eta, phi = (
        columns.get(f"{name}_{f}", np.zeros(count)).astype(np.float64) for f in ("pt", "eta", "phi")
    )
    charge = _charge(columns, name, count) if collection.charged else np.zeros(count)
    index = np.flatnonzero(pt >= PF_MIN_PT if collection.kind == "pfcand" else np.ones(count))
    if collection.kind == "sv":  # a point where tracks meet, not a direction
        where = np.stack([columns[f"{name}_{f}"].astype(np.float64) / 100 for f in "xyz"], 1)
        shapes = [{"point": np.round(where[i], 5).tolist()} for i in index]
    else:
        shapes = _geometry(collection, pt[index], eta[index], phi[index], charge[index], vertex)
    btagged = _btag(columns, name, count) if collection.kind == "jet" else None
    marked = event.highlight.get(name, frozenset())
    extra = ("pdgId", *(b for b, _ in BTAG))
    properties = [f for f in (*collection.properties, *extra) if f"{name}_{f}" in columns]
    objects = []
    for shape, i in zip(shapes, index, strict=True):
        item = {
            "index": int(i),
            "pt": _number(pt[i]),
            "eta": _number(eta[i]),
            "phi": _number(phi[i]),
            "charge": int(charge[i]),
            "marked": int(i) in marked,
            "properties": {
                f: _number(columns[f"{name}_{f}"][i]) for f in dict.fromkeys(properties)
            },
            **shape,
        }
        if btagged is not None:
            item["btag"] = bool(btagged[i])
            family = "fat" if collection.radius > 0.4 else "b" if btagged[i] else "jet"
            item["colour"] = jet_colour(float(pt[i]), family)
        objects.append(item)
    return objects


def event_scene(event: EventData) -> dict[str, Any]:
    """What one event's page section and PNG show, as JSON-able data (see the module's doc).

    Example:
        >>> from opencoffea.display.reading import read_events
        >>> scene = event_scene(read_events(nano_dy, entries=[0]).events[0])
        >>> scene["id"], sorted(scene["collections"])[:3], scene["met"]["pt"]
        ({'run': 1, 'lumi': 13889, 'event': 3749778}, ['Electron', 'FatJet', 'IsoTrack'], 25.9485)
    """
    vertex = _vertex(event.columns)
    collections = {}
    names = dict.fromkeys(n.rsplit("_", 1)[0] for n in event.columns if "_" in n)
    for collection in COLLECTIONS:
        for name in collection.names:
            if name in names and (f"{name}_pt" in event.columns or f"{name}_x" in event.columns):
                collections[name] = _objects(event, name, vertex)
                break
    met = None
    for name in MET:
        if f"{name}_pt" in event.columns:
            pt, phi = float(event.columns[f"{name}_pt"]), float(event.columns[f"{name}_phi"])
            arrow = trajectories.met_arrow(pt, phi, vertex)
            met = {"name": name, "pt": _number(pt), "phi": _number(phi), "arrow": _path(*arrow.T)}
            break
    return {
        "id": {"run": event.run, "lumi": event.lumi, "event": event.event},
        "file": event.file,
        "entry": event.entry,
        "dataset": event.dataset,
        "data": event.is_data,
        "sqrt_s": sqrt_s(event),
        "quantities": {k: _number(v) for k, v in event.quantities.items()},
        "vertex": np.round(vertex, 5).tolist(),
        "collections": collections,
        "met": met,
    }
