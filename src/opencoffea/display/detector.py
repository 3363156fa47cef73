"""The CMS detector as the display draws it: approximate outlines from documented dimensions.

Every length is in metres, from "The CMS experiment at the CERN LHC", JINST 3 (2008) S08004
(figures 1.1–1.2 and the sections of each sub-detector), rounded to the centimetre: enough to
place the objects of an event among the sub-detectors, not to do physics with. Each part is a
hollow cylinder, ``r_inner ≤ r ≤ r_outer`` and ``z_inner ≤ |z| ≤ z_outer`` (the barrel parts
have ``z_inner = 0``, the endcaps ``r`` down to the beam pipe's neighbourhood).

The boundaries where trajectories stop are named apart (:data:`TRACKER`, :data:`ECAL_FRONT`,
:data:`SOLENOID`, :data:`MUON_SYSTEM`), each a ``(radius, half_length)`` pair: a trajectory
ends on the cylinder of that radius or on the disc at that ``|z|``, whichever it meets first.

The outlines are light on purpose (a page of many events carries them once): a few hundred
numbers in all, rings of :data:`RING_POINTS` points.

Example:
    >>> ECAL_FRONT
    (1.29, 3.15)
    >>> [part.name for part in PARTS][:3]
    ['Tracker', 'ECAL barrel', 'ECAL endcap']
    >>> outlines = rz_outlines()
    >>> len(outlines), outlines[0]["name"]
    (40, 'Tracker')
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

__all__ = [
    "ECAL_FRONT",
    "MUON_SYSTEM",
    "PARTS",
    "RING_POINTS",
    "SOLENOID",
    "TRACKER",
    "Part",
    "rz_outlines",
    "wireframe",
    "xy_outlines",
]

TRACKER = (1.10, 2.80)
"""The tracker's outer surface: where isolated tracks and PF candidates' tracks end."""

ECAL_FRONT = (1.29, 3.15)
"""The ECAL's inner surface (barrel crystals at r = 1.29 m, endcap faces at |z| = 3.15 m):
where electrons, photons and jet cones end."""

SOLENOID = (2.95, 6.00)
"""The inside of the coil (r = 2.95 m; the endcap yoke begins near |z| = 6 m): the volume of
the 3.8 T field."""

MUON_SYSTEM = (7.40, 10.60)
"""The outside of the muon system (barrel yoke r = 7.4 m, last endcap station |z| = 10.6 m):
where muons end."""

RING_POINTS = 49  # 48 sides: smooth at the page's sizes, a few hundred numbers in all


@dataclass(frozen=True)
class Part:
    """One sub-detector as a hollow cylinder (metres), and its colour family.

    Example:
        >>> Part("HCAL barrel", 1.77, 2.95, 0.0, 4.33, "hcal").barrel
        True
    """

    name: str
    r_inner: float
    r_outer: float
    z_inner: float
    z_outer: float
    system: str  # "tracker", "ecal", "hcal", "magnet", "muon": the page colours by it

    @property
    def barrel(self) -> bool:
        """A barrel part reaches z = 0 (it is one piece across the interaction point)."""
        return self.z_inner == 0.0


PARTS: tuple[Part, ...] = (
    Part("Tracker", 0.03, 1.10, 0.0, 2.80, "tracker"),
    Part("ECAL barrel", 1.29, 1.77, 0.0, 3.00, "ecal"),
    Part("ECAL endcap", 0.32, 1.71, 3.15, 3.40, "ecal"),
    Part("HCAL barrel", 1.77, 2.95, 0.0, 4.33, "hcal"),
    Part("HCAL endcap", 0.40, 2.90, 3.88, 5.60, "hcal"),
    Part("Solenoid", 2.95, 3.50, 0.0, 6.25, "magnet"),
    # Barrel drift-tube stations MB1–MB4 sit in the gaps of the return yoke.
    Part("MB1", 4.02, 4.35, 0.0, 6.30, "muon"),
    Part("MB2", 4.87, 5.20, 0.0, 6.30, "muon"),
    Part("MB3", 5.88, 6.21, 0.0, 6.30, "muon"),
    Part("MB4", 6.95, 7.28, 0.0, 6.30, "muon"),
    # Endcap cathode-strip-chamber stations ME1–ME4 between the endcap yoke discs.
    Part("ME1", 1.00, 6.95, 6.70, 7.10, "muon"),
    Part("ME2", 1.40, 6.95, 8.20, 8.50, "muon"),
    Part("ME3", 1.60, 6.95, 9.20, 9.50, "muon"),
    Part("ME4", 1.80, 6.95, 10.20, 10.60, "muon"),
)
"""The parts drawn, from the beam outwards; the stations named as in CMS."""


def _ring(radius: float, z: float) -> list[list[float]]:
    angle = np.linspace(0.0, 2.0 * np.pi, RING_POINTS)
    return [
        np.round(radius * np.cos(angle), 3).tolist(),
        np.round(radius * np.sin(angle), 3).tolist(),
        [z] * RING_POINTS,
    ]


def wireframe() -> list[dict[str, Any]]:
    """The 3D outlines: for each part, the rings of its outer surface and where it ends.

    Each item is ``{"name", "system", "x", "y", "z"}``, the rings of one part joined with
    ``None`` between them (a break in a plotly line), so that a part is one trace.

    Example:
        >>> frames = wireframe()
        >>> frames[0]["name"], len(frames[0]["x"])
        ('Tracker', 100)
    """
    frames = []
    for part in PARTS:
        ends = (part.z_outer,) if part.barrel else (part.z_inner, part.z_outer)
        joined: list[list[float | None]] = [[], [], []]
        for end in (*ends, *(-e for e in ends)):
            for axis, values in zip(joined, _ring(part.r_outer, end), strict=True):
                axis += [*values, None]
        x, y, z = joined
        frames.append({"name": part.name, "system": part.system, "x": x, "y": y, "z": z})
    return frames


def xy_outlines() -> list[dict[str, Any]]:
    """The r-φ view (the transverse plane, seen from +z): each barrel part as an annulus.

    Each item is ``{"name", "system", "x", "y"}``: the outer ring, then the inner ring the other
    way round, closed, so that a fill of the polygon shades the ring between them.

    Example:
        >>> [outline["name"] for outline in xy_outlines()][:2]
        ['Tracker', 'ECAL barrel']
    """
    angle = np.linspace(0.0, 2.0 * np.pi, RING_POINTS)
    outlines = []
    for part in PARTS:
        if not part.barrel:
            continue  # the endcaps lie across the beam, over the barrel, in this view
        x = np.concatenate([part.r_outer * np.cos(angle), part.r_inner * np.cos(angle[::-1])])
        y = np.concatenate([part.r_outer * np.sin(angle), part.r_inner * np.sin(angle[::-1])])
        outlines.append(
            {
                "name": part.name,
                "system": part.system,
                "x": np.round(x, 3).tolist(),
                "y": np.round(y, 3).tolist(),
            }
        )
    return outlines


def rz_outlines() -> list[dict[str, Any]]:
    """The ρ-z view (z across, signed ρ up): each part as rectangles, above and below the beam.

    A barrel part is one rectangle each side of the beam; an endcap part two (its +z and −z
    halves). Each item is ``{"name", "system", "x": z values, "y": ρ values}``, closed.

    Example:
        >>> outline = rz_outlines()[0]
        >>> outline["name"], outline["x"][:3], outline["y"][:3]
        ('Tracker', [-2.8, 2.8, 2.8], [0.03, 0.03, 1.1])
    """
    outlines = []
    for part in PARTS:
        spans = (
            [(-part.z_outer, part.z_outer)]
            if part.barrel
            else [(part.z_inner, part.z_outer), (-part.z_outer, -part.z_inner)]
        )
        for z0, z1 in spans:
            for sign in (1.0, -1.0):
                r0, r1 = sign * part.r_inner, sign * part.r_outer
                outlines.append(
                    {
                        "name": part.name,
                        "system": part.system,
                        "x": [z0, z1, z1, z0, z0],
                        "y": [r0, r0, r1, r1, r0],
                    }
                )
    return outlines
