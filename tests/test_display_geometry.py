"""The physics of the event display's drawing (``display/trajectories.py``), point by point.

Each test is one statement of issue 13's "Physics of the drawing": where a trajectory starts
and points, where it ends, which way it bends, its straight-line limit, the curvature's
0.2998, no NaN at the edges of phase space, and that a muon reaches the muon system.
"""

from __future__ import annotations

import numpy as np
import pytest

from opencoffea.display import trajectories as tr
from opencoffea.display.detector import ECAL_FRONT, MUON_SYSTEM, SOLENOID, TRACKER

# Charged tracks across phase space: soft to 10 TeV, central to |η| = 5, both charges,
# from a vertex off the origin as real primary vertices are (x, y ~ 0.1 mm, z ~ cm).
PT = np.array([1.0, 2.0, 5.0, 20.0, 45.0, 120.0, 1000.0, 10_000.0, 30.0, 30.0, 7.0])
ETA = np.array([0.0, 0.4, -0.8, 1.2, -2.0, 2.4, 0.1, -1.5, 5.0, -5.0, 3.0])
PHI = np.array([0.0, 1.0, -2.5, 3.1, -0.3, 2.0, -1.7, 0.6, 1.4, -3.0, 0.2])
VERTEX = np.array([0.0012, -0.0008, 0.043])  # m


def field_of(kappa, pt, charge):
    """The field in T that a curvature implies: B = κ pT / (0.2998 q)."""
    return kappa * pt / (0.299792458 * charge)


def ends_on(x, y, z, boundary, vertex_z=0.0):
    """Every point inside the boundary, and the last one on its cylinder or one of its discs."""
    radius, half = boundary
    r = np.hypot(x, y)
    assert (r <= radius + 1e-6).all() and (np.abs(z) <= half + 1e-6).all()
    on_cylinder = np.isclose(r[:, -1], radius, atol=1e-6)
    on_disc = np.isclose(np.abs(z[:, -1]), half, atol=1e-6)
    return on_cylinder | on_disc


def chord_turns(x, y):
    """The signed angle between consecutive chords (> 0 counter-clockwise seen from +z)."""
    dx, dy = np.diff(x, axis=1), np.diff(y, axis=1)
    cross = dx[:, :-1] * dy[:, 1:] - dy[:, :-1] * dx[:, 1:]
    dot = dx[:, :-1] * dx[:, 1:] + dy[:, :-1] * dy[:, 1:]
    return np.arctan2(cross, dot)


def initial_direction(x, y, z, kappa):
    """(φ, η) of the tangent at the first point, from the first chord of a helix of curvature κ.

    The chord of an arc Δs leans by κΔs/2 from the tangent and is shorter by sinc(κΔs/2), with
    κΔs/2 = arcsin(κ·chord/2): so the tangent is known exactly from the chord.
    """
    dx, dy, dz = x[:, 1] - x[:, 0], y[:, 1] - y[:, 0], z[:, 1] - z[:, 0]
    chord = np.hypot(dx, dy)
    lean = np.arcsin(np.clip(np.abs(kappa) * chord / 2, 0, 1))
    phi = np.arctan2(dy, dx) + np.sign(kappa) * lean
    eta = np.arcsinh(dz * np.sinc(lean / np.pi) / chord)
    return np.angle(np.exp(1j * phi)), eta


@pytest.mark.parametrize("charge", [1, -1, 0])
def test_every_trajectory_starts_at_the_vertex_in_the_direction_phi_eta(charge):
    x, y, z = tr.helices(PT, ETA, PHI, charge, ECAL_FRONT, VERTEX)
    assert np.allclose(np.stack([x[:, 0], y[:, 0], z[:, 0]], 1), VERTEX, atol=1e-12)
    phi, eta = initial_direction(x, y, z, tr.curvature(PT, charge))
    assert np.allclose(phi, PHI, atol=1e-9) and np.allclose(eta, ETA, atol=1e-9)


def test_muons_photons_and_jets_start_in_their_direction_too():
    x, y, z = tr.muons(PT, ETA, PHI, -1, VERTEX)
    phi, eta = initial_direction(x, y, z, tr.curvature(PT, -1))
    assert np.allclose(phi, PHI, atol=1e-9) and np.allclose(eta, ETA, atol=1e-9)

    x, y, z = tr.straight_lines(ETA, PHI, ECAL_FRONT, VERTEX)
    phi, eta = initial_direction(x, y, z, np.zeros(len(PT)))
    assert np.allclose(phi, PHI, atol=1e-12) and np.allclose(eta, ETA, atol=1e-9)

    base = tr.cones(ETA[:4], PHI[:4], 0.4)["base"]  # from the origin: directions are points
    axis_phi = np.angle(np.exp(1j * np.arctan2(base[..., 1], base[..., 0])).mean(axis=1))
    assert np.allclose(axis_phi, PHI[:4], atol=0.02)


def test_cones_have_the_radius_parameter_around_their_axis_and_reach_the_ecal():
    eta, phi = np.array([0.0, 1.0, -2.2]), np.array([0.5, -2.0, 3.0])
    for radius in (0.4, 0.8):
        base = tr.cones(eta, phi, radius)["base"]  # (jets, sides, xyz), apex at the origin
        r = np.hypot(base[..., 0], base[..., 1])
        base_eta = np.arcsinh(base[..., 2] / r)
        base_phi = np.arctan2(base[..., 1], base[..., 0])
        delta_phi = np.angle(np.exp(1j * (base_phi - phi[:, None])))
        assert np.allclose(np.hypot(base_eta - eta[:, None], delta_phi), radius)
        on_surface = np.isclose(r, ECAL_FRONT[0]) | np.isclose(np.abs(base[..., 2]), ECAL_FRONT[1])
        assert on_surface.all()


@pytest.mark.parametrize(
    ("boundary", "draw"),
    [
        (ECAL_FRONT, lambda q: tr.helices(PT, ETA, PHI, q, ECAL_FRONT, VERTEX)),  # electrons
        (TRACKER, lambda q: tr.helices(PT, ETA, PHI, q, TRACKER, VERTEX)),  # tracks
        (ECAL_FRONT, lambda q: tr.straight_lines(ETA, PHI, ECAL_FRONT, VERTEX)),  # photons
        (MUON_SYSTEM, lambda q: tr.muons(PT, ETA, PHI, q, VERTEX)),
    ],
    ids=["electrons", "tracks", "photons", "muons"],
)
@pytest.mark.parametrize("charge", [1, -1])
def test_the_end_point_lies_on_the_boundary_it_stops_at(boundary, draw, charge):
    x, y, z = draw(charge)
    reached = ends_on(x, y, z, boundary)
    # Only a looper stops short: a track whose circle (diameter 2R) cannot get out.
    diameter = 2 * PT / (0.299792458 * 3.8)
    loopers = diameter < boundary[0] - np.hypot(*VERTEX[:2])
    if boundary is MUON_SYSTEM:  # a muon must first leave the coil
        loopers = diameter < SOLENOID[0]
    assert (reached | (loopers & (np.abs(ETA) < 1))).all()
    assert reached[~loopers].all()


def test_a_positive_charge_bends_clockwise_seen_from_plus_z():
    pt, eta, phi = np.full(4, 3.0), np.zeros(4), np.array([0.0, 1.0, 2.5, -2.0])
    positive = chord_turns(*tr.helices(pt, eta, phi, 1, TRACKER)[:2])
    negative = chord_turns(*tr.helices(pt, eta, phi, -1, TRACKER)[:2])
    assert (positive < 0).all() and (negative > 0).all()
    _, y, _ = tr.helices([1.0], [0.0], [0.0], [1], TRACKER)  # along +x, B along +z
    assert (y[0, 1:] < 0).all()  # F = q v × B points to −y


def test_the_curvature_radius_is_pt_over_0_2998_b():
    """R [m] = pT [GeV] / (0.2998 · B [T]): the circle through three points of a track."""
    pt = np.array([0.8, 2.0, 10.0, 90.0])
    x, y, _ = tr.helices(pt, np.zeros(4), np.zeros(4), 1, ECAL_FRONT)
    a, b, c = (np.stack([x[:, i], y[:, i]], 1) for i in (0, 15, 31))
    ab, bc, ca = (np.linalg.norm(u - v, axis=1) for u, v in ((a, b), (b, c), (c, a)))
    (u1, u2), (v1, v2) = (b - a).T, (c - a).T
    twice_area = np.abs(u1 * v2 - u2 * v1)
    assert np.allclose(ab * bc * ca / (2 * twice_area), pt / (0.299792458 * 3.8), rtol=1e-6)
    assert np.allclose(field_of(tr.curvature(pt, 1), pt, 1), 3.8)


def test_straight_line_limit_z_is_r_sinh_eta():
    x, y, z = tr.helices(PT, ETA, PHI, 0, ECAL_FRONT)  # neutral: from the origin, straight
    assert np.allclose(z, np.hypot(x, y) * np.sinh(ETA)[:, None], atol=1e-12)
    x, y, z = tr.helices([10_000.0], [1.1], [0.4], [1], ECAL_FRONT)  # 10 TeV: almost straight
    assert np.allclose(z, np.hypot(x, y) * np.sinh(1.1), rtol=1e-7)


def test_along_a_helix_z_grows_as_r_times_the_turning_angle_times_sinh_eta():
    pt, eta = np.array([1.0, 3.0]), np.array([0.3, -1.4])
    x, y, z = tr.helices(pt, eta, [0.7, -0.2], [1, -1], TRACKER)
    radius = pt / (0.299792458 * 3.8)
    turned = 2 * np.arcsin(np.clip(np.hypot(x, y) / (2 * radius[:, None]), 0, 1))  # from origin
    assert np.allclose(z, radius[:, None] * turned * np.sinh(eta)[:, None], atol=1e-9)


def test_no_nan_at_the_edges_neutral_eta_5_and_10_tev():
    edges = {
        "pt": [10_000.0, 10_000.0, 1e-3, 0.0, 5.0, 5.0],
        "eta": [5.0, -5.0, 0.0, 0.0, 0.0, 5.0],
        "phi": [0.0, np.pi, -np.pi, 1.0, 2.0, 3.0],
    }
    for charge in (1, -1, 0):
        for shape in (
            tr.helices(edges["pt"], edges["eta"], edges["phi"], charge, ECAL_FRONT, VERTEX),
            tr.muons(edges["pt"], edges["eta"], edges["phi"], charge, VERTEX),
            tr.straight_lines(edges["eta"], edges["phi"], ECAL_FRONT, VERTEX),
        ):
            assert all(np.isfinite(v).all() for v in shape)
    cones = tr.cones(edges["eta"], edges["phi"], 0.8, VERTEX)
    assert all(np.isfinite(v).all() for v in cones.values())
    assert np.isfinite(tr.met_arrow(0.0, 0.0)).all()


def test_a_muon_reaches_the_muon_system_and_bends_back_in_the_return_field():
    x, y, z = tr.muons([50.0, 50.0, 300.0], [0.3, 2.0, -1.0], [1.0, -0.5, 2.8], [1, -1, 1], VERTEX)
    r = np.hypot(x, y)
    assert np.isclose(r[0, -1], MUON_SYSTEM[0]) and np.isclose(r[2, -1], MUON_SYSTEM[0])
    assert np.isclose(np.abs(z[1, -1]), MUON_SYSTEM[1])  # a forward one: the last endcap station
    points = tr.TRACK_POINTS
    inside, outside = (
        chord_turns(x[:, :points], y[:, :points]),
        chord_turns(x[:, points - 1 :], y[:, points - 1 :]),
    )
    assert (inside[0] < 0).all() and (outside[0] > 0).all()  # μ⁺: clockwise, then back
    assert np.isclose(r[0, points - 1], SOLENOID[0])  # it left the coil at r = 2.95 m
    # a 1 GeV muon curls up inside the coil (R = 0.88 m): it never gets out
    x, y, z = tr.muons([1.0], [0.0], [0.0], [1])
    assert np.hypot(x, y).max() < SOLENOID[0]


def test_every_track_has_the_same_number_of_points_whatever_its_momentum():
    for pt in (5.0, 1000.0):
        assert tr.helices([pt], [0.5], [0.0], [1], ECAL_FRONT)[0].shape == (1, tr.TRACK_POINTS)
        assert tr.muons([pt], [0.5], [0.0], [1])[0].shape == (1, 2 * tr.TRACK_POINTS - 1)


def test_the_met_arrow_grows_without_saturating_and_starts_at_the_vertex():
    met = np.array([0.0, 10.0, 100.0, 1000.0, 10_000.0])
    assert (np.diff(tr.met_length(met)) > 0).all() and tr.met_length([100.0])[0] == 2.0
    arrow = tr.met_arrow(400.0, np.pi / 2, VERTEX)
    assert np.allclose(arrow[0], VERTEX) and np.allclose(arrow[1] - arrow[0], [0, 4.0, 0])


def test_vertices_are_converted_from_centimetres():
    assert tr.vertex_m(1.0, -2.0, 150.0).tolist() == [0.01, -0.02, 1.5]
