"""Where each object of an event is drawn: trajectories from NanoAOD kinematics, with numpy.

The one module of the display's physics; everything in it is vectorised over objects. Units
are metres, GeV and tesla; NanoAOD's vertices are in centimetres (:func:`vertex_m`).

Charged tracks: helices in the solenoid's field
    A particle of charge q (in units of e) and transverse momentum pT in a uniform field B
    along +z moves on a helix of radius R = pT / (0.2998 · B · |q|) (R in m, pT in GeV, B in
    T; 0.2998 = c / 10⁹). Seen from +z, a positive charge turns clockwise: its direction's
    azimuth falls as ψ(s) = φ − κ·s along the transverse path length s, with the signed
    curvature κ = 0.2998 · B · q / pT (:func:`curvature`). The position is, in closed form,

        x(s) = x₀ + s · cos(φ − κs/2) · sinc(κs/2)
        y(s) = y₀ + s · sin(φ − κs/2) · sinc(κs/2)
        z(s) = z₀ + s · sinh η

    (sinc u = sin u / u): z grows as R · a · sinh η with the turning angle a = |κ|s, and the
    same formula is the straight line of a neutral particle (κ = 0, sinc 0 = 1), with no
    special case and no division by a charge or a curvature. Each track starts at the
    primary vertex and is drawn with a fixed number of points, evenly spaced in s, from there
    to where it leaves its volume: a 1 TeV track is drawn as finely as a 5 GeV one.

Where trajectories end
    On the cylinder of a boundary ``(radius, half_length)`` (see
    :mod:`~opencoffea.display.detector`) or on its end discs, whichever comes first: the
    crossing of the cylinder is solved by Newton's method on |p(s)|² = radius², from the
    exact answer for a track from the origin; the crossing of a disc is (±half_length − z₀) /
    sinh η. A track whose circle never reaches the cylinder (2R smaller than the way out, a
    "looper") is drawn for one turn, or to the disc if it gets there first. Electrons end at
    the ECAL's front (:data:`~opencoffea.display.detector.ECAL_FRONT`), isolated tracks and PF
    candidates at the tracker's outer surface, photons go straight to the ECAL.

Muons: the return field, approximated
    Past the coil (r = 2.95 m, |z| = 6 m) a muon crosses the iron of the return yoke, whose
    field runs the other way (about 2 T in the iron, nearly none in the gaps where the
    chambers sit). Here it is one uniform field of :data:`RETURN_FIELD` = −1.8 T along z from
    the coil out to the muon system's outside (r = 7.4 m, |z| = 10.6 m): the muon leaves the
    coil in the direction it had there and bends the other way, the S-shape of CMS muons in
    the transverse view. It is drawn to show where a muon goes, not to measure it; pT and pz
    are kept (a field along z changes neither), energy loss is neglected.

Jets: cones
    A jet is the cone of directions within ΔR = R of its axis in (η, φ) (R = 0.4, or 0.8 for
    large-radius jets) from the primary vertex to the ECAL's front (:func:`cones`), and in
    the two projections the wedge between its extreme directions (φ ± R; η ± R).

Missing transverse momentum: an arrow
    In the transverse plane from the beam line, of length :func:`met_length` =
    2 m · √(MET / 100 GeV): 2 m at 100 GeV, 4 m at 400 GeV, growing without limit (no
    saturation), so that a larger MET is always a longer arrow.

Example:
    >>> x, y, z = helices([45.0], [0.5], [0.3], [1], ECAL_FRONT)
    >>> x.shape  # one track, TRACK_POINTS points
    (1, 32)
    >>> round(float(np.hypot(x[0, -1], y[0, -1])), 6)  # it ends on the ECAL's front
    1.29
    >>> round(float(z[0, -1] / np.hypot(x[0, -1], y[0, -1])), 3), round(float(np.sinh(0.5)), 3)
    (0.521, 0.521)
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from .detector import ECAL_FRONT, MUON_SYSTEM, SOLENOID

__all__ = [
    "FIELD",
    "GEV_PER_TESLA_METRE",
    "RETURN_FIELD",
    "TRACK_POINTS",
    "cones",
    "curvature",
    "exit_length",
    "helices",
    "met_arrow",
    "met_length",
    "muons",
    "straight_lines",
    "vertex_m",
]

FIELD = 3.8
"""The solenoid's field in tesla, along +z."""

RETURN_FIELD = -1.8
"""The field muons are drawn in past the coil, in tesla along +z: the yoke's return field
(about −2 T in the iron, near 0 in the chambers' gaps), one uniform value (see above)."""

GEV_PER_TESLA_METRE = 0.299792458
"""pT [GeV] = 0.2998 · B [T] · R [m] for a unit charge (c / 10⁹)."""

TRACK_POINTS = 32
"""Points of a helix (each segment of a muon's): enough for a looper's full turn."""

_NEWTON_STEPS = 8
Boundary = tuple[float, float]  # (radius, half_length) in m


def _array(values: Any) -> np.ndarray:
    return np.asarray(values, dtype=np.float64).reshape(-1)


def vertex_m(x_cm: Any, y_cm: Any, z_cm: Any) -> np.ndarray:
    """A vertex from NanoAOD's centimetres to metres, as ``[x, y, z]``.

    Example:
        >>> vertex_m(0.01, -0.02, 3.5).tolist()
        [0.0001, -0.0002, 0.035]
    """
    return np.array([x_cm, y_cm, z_cm], dtype=np.float64) / 100.0


def curvature(pt: Any, charge: Any, field: float = FIELD) -> np.ndarray:
    """The signed curvature κ = 0.2998 · B · q / pT in 1/m: > 0 turns clockwise from +z.

    A neutral particle has κ = 0; so has a pT of 0 or less (nothing to draw a helix of).

    Example:
        >>> curvature([1.0, 1.0, 100.0], [1, -1, 0]).round(4).tolist()  # R = 0.88 m at 1 GeV
        [1.1392, -1.1392, 0.0]
    """
    pt, charge = _array(pt), _array(charge)
    with np.errstate(divide="ignore", invalid="ignore"):
        kappa = GEV_PER_TESLA_METRE * field * charge / pt
    return np.where((pt > 0) & np.isfinite(kappa), kappa, 0.0)


def _sinc(u: np.ndarray) -> np.ndarray:
    return np.sinc(u / np.pi)  # numpy's sinc is sin(πx)/(πx)


def _position(
    start: np.ndarray, phi: np.ndarray, sinh_eta: np.ndarray, kappa: np.ndarray, s: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The closed-form helix (straight line for κ = 0) at path lengths ``s``, shape (n, k)."""
    half = kappa[:, None] * s / 2
    chord = s * _sinc(half)
    x = start[:, 0, None] + chord * np.cos(phi[:, None] - half)
    y = start[:, 1, None] + chord * np.sin(phi[:, None] - half)
    z = start[:, 2, None] + s * sinh_eta[:, None]
    return x, y, z


def exit_length(
    start: np.ndarray,
    phi: np.ndarray,
    sinh_eta: np.ndarray,
    kappa: np.ndarray,
    boundary: Boundary,
) -> np.ndarray:
    """The transverse path length at which each helix leaves ``boundary`` (or ends a turn).

    ``start`` is (n, 3), inside the boundary; ``phi`` the direction's azimuth there. The
    first of: the cylinder ``radius``, the discs ``±half_length``, one full turn.

    Example:
        >>> start = np.zeros((2, 3))
        >>> exit_length(start, np.zeros(2), np.array([0.0, 10.0]), np.zeros(2), (1.0, 3.0))
        array([1. , 0.3])
    """
    radius, half_length = boundary
    n = len(phi)
    with np.errstate(divide="ignore", invalid="ignore"):
        to_disc = np.where(
            sinh_eta != 0, (np.sign(sinh_eta) * half_length - start[:, 2]) / sinh_eta, np.inf
        )
        one_turn = np.where(kappa != 0, 2 * np.pi / np.abs(kappa), np.inf)
        # Does the circle reach the cylinder? Its centre C, its radius 1/|κ|: |C| + 1/|κ| ≥ r.
        centre_x = start[:, 0] + np.sin(phi) / kappa
        centre_y = start[:, 1] - np.cos(phi) / kappa
        reaches = (kappa == 0) | (np.hypot(centre_x, centre_y) + 1 / np.abs(kappa) >= radius)
        # First guess: the straight line's way out, lengthened as a circle from the origin's
        # would be (|p(s)| = |2 sin(κs/2) / κ|, exact for a track from the origin).
        along = start[:, 0] * np.cos(phi) + start[:, 1] * np.sin(phi)
        across = start[:, 0] ** 2 + start[:, 1] ** 2 - along**2
        line = -along + np.sqrt(np.clip(radius**2 - across, 0.0, None))
        u = np.clip(kappa * line / 2, -1.0, 1.0)
        s = np.where(u != 0, line * np.arcsin(u) / u, line)
    for _ in range(_NEWTON_STEPS):  # on |p(s)|² − r², whose slope is 2 p·t
        x, y, _ = _position(start, phi, np.zeros(n), kappa, s[:, None])
        direction = phi - kappa * s
        slope = 2 * (x[:, 0] * np.cos(direction) + y[:, 0] * np.sin(direction))
        with np.errstate(divide="ignore", invalid="ignore"):
            step = (x[:, 0] ** 2 + y[:, 0] ** 2 - radius**2) / slope
        s = np.where(np.isfinite(step), s - step, s)
    s = np.where(reaches & (s > 0), s, np.inf)
    return np.minimum(np.minimum(s, to_disc), one_turn)


def helices(
    pt: Any,
    eta: Any,
    phi: Any,
    charge: Any,
    boundary: Boundary,
    vertex: Sequence[float] | np.ndarray = (0.0, 0.0, 0.0),
    *,
    points: int = TRACK_POINTS,
    field: float = FIELD,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Charged tracks from ``vertex`` (m) to ``boundary``: x, y, z, each (n, ``points``).

    Example:
        >>> x, y, z = helices([1.0, 1.0], [0.0, 0.0], [0.0, 0.0], [1, -1], (1.1, 2.8))
        >>> float(y[0, 1]) < 0 < float(y[1, 1])  # from along +x, + turns to −y: clockwise
        True
    """
    pt, eta, phi = _array(pt), _array(eta), _array(phi)
    kappa = curvature(pt, np.broadcast_to(_array(charge), pt.shape), field)
    start = np.broadcast_to(np.asarray(vertex, dtype=np.float64), (len(pt), 3))
    return _segment(start, phi, np.sinh(eta), kappa, boundary, points)[:3]


def _segment(
    start: np.ndarray,
    phi: np.ndarray,
    sinh_eta: np.ndarray,
    kappa: np.ndarray,
    boundary: Boundary,
    points: int,
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Points of helices from ``start`` to ``boundary``, and the path length of each."""
    length = exit_length(start, phi, sinh_eta, kappa, boundary)
    length = np.where(np.isfinite(length), length, 0.0)  # nothing to draw: a point
    s = length[:, None] * np.linspace(0.0, 1.0, points)
    x, y, z = _position(start, phi, sinh_eta, kappa, s)
    return x, y, z, length


def straight_lines(
    eta: Any,
    phi: Any,
    boundary: Boundary = ECAL_FRONT,
    vertex: Sequence[float] | np.ndarray = (0.0, 0.0, 0.0),
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Neutral particles (photons) from ``vertex`` straight to ``boundary``: two points each.

    Example:
        >>> x, y, z = straight_lines([0.0], [np.pi / 2])
        >>> [round(float(v), 6) for v in (x[0, 1], y[0, 1], z[0, 1])]
        [0.0, 1.29, 0.0]
    """
    eta, phi = _array(eta), _array(phi)
    return helices(np.ones_like(eta), eta, phi, 0, boundary, vertex, points=2)


def muons(
    pt: Any,
    eta: Any,
    phi: Any,
    charge: Any,
    vertex: Sequence[float] | np.ndarray = (0.0, 0.0, 0.0),
    *,
    points: int = TRACK_POINTS,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Muons: a helix in 3.8 T to the coil, then in the return field to the muon system.

    Returns x, y, z, each (n, 2 · ``points`` − 1): the two segments share the point where the
    muon leaves the coil. A muon that cannot leave the coil ends there (its second segment is
    that one point, repeated).

    Example:
        >>> x, y, z = muons([50.0], [0.3], [1.0], [-1])
        >>> round(float(np.hypot(x[0, -1], y[0, -1])), 6)  # in the muon system's outside
        7.4
    """
    pt, eta, phi = _array(pt), _array(eta), _array(phi)
    charge = np.broadcast_to(_array(charge), pt.shape)
    start = np.broadcast_to(np.asarray(vertex, dtype=np.float64), (len(pt), 3))
    sinh_eta = np.sinh(eta)
    inner = curvature(pt, charge, FIELD)
    x1, y1, z1, length = _segment(start, phi, sinh_eta, inner, SOLENOID, points)
    leaves = np.hypot(x1[:, -1], y1[:, -1]) >= SOLENOID[0] - 1e-6
    leaves |= np.abs(z1[:, -1]) >= SOLENOID[1] - 1e-6
    exit_point = np.stack([x1[:, -1], y1[:, -1], z1[:, -1]], axis=1)
    outer = np.where(leaves, curvature(pt, charge, RETURN_FIELD), 0.0)
    x2, y2, z2, _ = _segment(exit_point, phi - inner * length, sinh_eta, outer, MUON_SYSTEM, points)
    x2, y2, z2 = (np.where(leaves[:, None], v, v[:, :1]) for v in (x2, y2, z2))
    return (
        np.concatenate([x1, x2[:, 1:]], axis=1),
        np.concatenate([y1, y2[:, 1:]], axis=1),
        np.concatenate([z1, z2[:, 1:]], axis=1),
    )


def cones(
    eta: Any,
    phi: Any,
    radius: float,
    vertex: Sequence[float] | np.ndarray = (0.0, 0.0, 0.0),
    *,
    boundary: Boundary = ECAL_FRONT,
    sides: int = 16,
) -> dict[str, np.ndarray]:
    """Jets as cones of ΔR = ``radius`` around (η, φ) from ``vertex`` to ``boundary``.

    Returns ``base`` (n, ``sides``, 3): where the directions (η + R cos t, φ + R sin t) meet
    the boundary (the apex is the vertex); ``xy`` (n, k, 2): the r-φ wedge, apex then the arc
    from φ − R to φ + R at the axis's transverse reach; ``rz`` (n, k, 2): the ρ-z wedge, apex
    then the rays from η − R to η + R, ρ signed by the jet's side (sin φ ≥ 0 up).

    Example:
        >>> shape = cones([0.0], [0.0], 0.4)
        >>> shape["base"].shape, shape["xy"].shape, shape["rz"].shape
        ((1, 16, 3), (1, 10, 2), (1, 10, 2))
    """
    eta, phi = _array(eta), _array(phi)
    n = len(eta)
    apex = np.asarray(vertex, dtype=np.float64)
    turn = np.linspace(0.0, 2 * np.pi, sides, endpoint=False)
    ring_eta = (eta[:, None] + radius * np.cos(turn)).reshape(-1)
    ring_phi = (phi[:, None] + radius * np.sin(turn)).reshape(-1)
    x, y, z = straight_lines(ring_eta, ring_phi, boundary, apex)
    base = np.stack([x[:, 1], y[:, 1], z[:, 1]], axis=1).reshape(n, sides, 3)

    fan = np.linspace(-radius, radius, 9)
    ax, ay, _ = straight_lines(eta, phi, boundary, apex)
    reach = np.hypot(ax[:, 1] - apex[0], ay[:, 1] - apex[1])
    arc_phi = phi[:, None] + fan
    xy = np.concatenate(
        [
            np.broadcast_to(apex[:2], (n, 1, 2)),
            np.stack(
                [
                    apex[0] + reach[:, None] * np.cos(arc_phi),
                    apex[1] + reach[:, None] * np.sin(arc_phi),
                ],
                axis=2,
            ),
        ],
        axis=1,
    )
    rx, ry, rz = straight_lines(
        (eta[:, None] + fan).reshape(-1), np.repeat(phi, len(fan)), boundary, apex
    )
    side = np.where(np.sin(phi) >= 0, 1.0, -1.0)
    rho = (np.hypot(rx[:, 1], ry[:, 1])).reshape(n, len(fan)) * side[:, None]
    apex_rz = np.broadcast_to([apex[2], np.hypot(apex[0], apex[1])], (n, 1, 2)).copy()
    apex_rz[:, 0, 1] *= side
    rz_wedge = np.concatenate([apex_rz, np.stack([rz[:, 1].reshape(n, len(fan)), rho], axis=2)], 1)
    return {"base": base, "xy": xy, "rz": rz_wedge}


def met_length(met: Any) -> np.ndarray:
    """The length in m of the arrow of a MET: 2 m · √(MET / 100 GeV), with no upper limit.

    Example:
        >>> met_length([25.0, 100.0, 400.0, 10_000.0]).tolist()
        [1.0, 2.0, 4.0, 20.0]
    """
    return 2.0 * np.sqrt(np.clip(_array(met), 0.0, None) / 100.0)


def met_arrow(
    met: float, phi: float, vertex: Sequence[float] | np.ndarray = (0.0, 0.0, 0.0)
) -> np.ndarray:
    """The MET arrow in the transverse plane at the vertex: ``[[x0, y0, z0], [x1, y1, z1]]``.

    Example:
        >>> met_arrow(100.0, 0.0).tolist()
        [[0.0, 0.0, 0.0], [2.0, 0.0, 0.0]]
    """
    tail = np.asarray(vertex, dtype=np.float64)
    length = float(met_length(met)[0])
    head = tail + length * np.array([np.cos(phi), np.sin(phi), 0.0])
    return np.stack([tail, head])
