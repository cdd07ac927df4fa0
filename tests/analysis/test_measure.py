"""Measuring on known geometry: distances, lengths, areas (horizontal and on the surface), angles,
heights above ground and snapping."""
from __future__ import annotations

import numpy as np
import pytest

from app.analysis import measure


def test_distance_parts() -> None:
    d = measure.distance((0, 0, 0), (3, 4, 12))
    assert d.direct == pytest.approx(13.0) and d.horizontal == pytest.approx(5.0) and d.vertical == pytest.approx(12.0)
    assert measure.distance((0, 0, 5), (0, 0, 2)).vertical == pytest.approx(-3.0)


def test_polyline_length() -> None:
    assert measure.polyline_length([(0, 0, 0), (3, 4, 0), (3, 4, 2)]) == pytest.approx((7.0, 5.0))
    assert measure.polyline_length([(1, 1, 1)]) == (0.0, 0.0)


def test_areas_of_a_sloped_square_and_a_concave_l() -> None:
    roof = [(0, 0, 0), (10, 0, 0), (10, 10, 10), (0, 10, 10)]  # 45 degrees: surface = sqrt(2) x map
    assert measure.horizontal_area(roof) == pytest.approx(100.0)
    assert measure.surface_area(roof) == pytest.approx(100.0 * np.sqrt(2))
    ell = [(0, 0, 5), (4, 0, 5), (4, 1, 5), (1, 1, 5), (1, 3, 5), (0, 3, 5)]  # concave L: 4 + 2 = 6 m2
    assert measure.horizontal_area(ell) == pytest.approx(6.0)
    assert measure.surface_area(ell) == pytest.approx(6.0)
    assert measure.surface_area(ell[::-1]) == pytest.approx(6.0)  # clockwise as well


def test_surface_area_of_a_vertical_facade() -> None:
    facade = [(0, 0, 0), (8, 0, 0), (8, 0, 3), (0, 0, 3)]
    assert measure.horizontal_area(facade) == pytest.approx(0.0)
    assert measure.surface_area(facade) == pytest.approx(24.0)


def test_far_from_the_origin_area_stays_exact() -> None:
    square = np.array([(0, 0, 0), (1, 0, 0), (1, 1, 0), (0, 1, 0)], float) + (5e6, 3e6, 0)
    assert measure.horizontal_area(square) == pytest.approx(1.0, abs=1e-6)


def test_angle() -> None:
    assert measure.angle((1, 0, 0), (0, 0, 0), (0, 1, 0)) == pytest.approx(90.0)
    assert measure.angle((1, 0, 0), (0, 0, 0), (-1, 1e-12, 0)) == pytest.approx(180.0)
    with pytest.raises(ValueError):
        measure.angle((0, 0, 0), (0, 0, 0), (1, 0, 0))


def _box(lo, hi):
    import itertools

    v = np.array(list(itertools.product(*zip(lo, hi))), float)  # corner k: bits x, y, z
    quads = [(0, 1, 3, 2), (4, 6, 7, 5), (0, 4, 5, 1), (2, 3, 7, 6), (0, 2, 6, 4), (1, 5, 7, 3)]
    f = np.array([t for a, b, c, d in quads for t in ((a, b, c), (a, c, d))])
    return v, f


def test_height_above_ground_over_a_box_on_terrain() -> None:
    building = _box((0, 0, 2), (10, 10, 32))
    terrain = (np.array([(-50, -50, 1), (50, -50, 1), (50, 50, 1), (-50, 50, 1)], float), np.array([(0, 1, 2), (0, 2, 3)]))
    h = measure.height_above_ground((5, 5, 32), [building, terrain])
    assert h is not None and h.height == pytest.approx(31.0) and h.ground == "surface"  # the lowest surface: terrain
    h = measure.height_above_ground((5, 5, 32), [building])
    assert h.height == pytest.approx(30.0)  # the box's base
    assert measure.height_above_ground((500, 5, 32), [building], ground_level=0.0).ground == "grid"
    assert measure.height_above_ground((500, 5, 32), [building]) is None


def test_height_over_points_prefers_ground_class() -> None:
    rng = np.random.default_rng(1)
    xy = rng.uniform(-1, 1, (500, 2))
    ground = np.c_[xy, np.full(500, 10.0)]
    roof = np.c_[xy, np.full(500, 20.0)]
    pts = np.vstack([ground, roof])
    mask = np.r_[np.ones(500, bool), np.zeros(500, bool)]
    h = measure.height_above_ground((0, 0, 25), clouds=[(pts, mask)])
    assert h.height == pytest.approx(15.0) and h.ground == "points"


def test_snap_to_vertex_edge_or_surface() -> None:
    tri = np.array([(0, 0, 0), (10, 0, 0), (0, 10, 0)], float)

    def screen(p):  # 10 px per metre, top view
        return np.asarray(p)[:2] * 10

    p, kind = measure.snap((0.3, 0.4, 0), tri, screen, radius_px=8)
    assert kind == "vertex" and np.allclose(p, (0, 0, 0))
    p, kind = measure.snap((5, 0.5, 0), tri, screen, radius_px=8)
    assert kind == "edge" and np.allclose(p, (5, 0, 0))
    p, kind = measure.snap((3, 3, 0), tri, screen, radius_px=8)
    assert kind == "surface" and np.allclose(p, (3, 3, 0))
    p, kind = measure.snap((1, 1, 1), tri[:1], screen)
    assert kind == "point" and np.allclose(p, (0, 0, 0))


def test_bad_points_are_refused_clearly() -> None:
    with pytest.raises(ValueError, match="finite"):
        measure.distance((0, 0, float("nan")), (1, 1, 1))
