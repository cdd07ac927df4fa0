"""Sunlight hours and shadows by ray casting: a box tower's shadow length, an open south facade."""
from __future__ import annotations

from datetime import date, datetime, time, timezone

import numpy as np
import pytest

from app.analysis.rays import MeshPart, RayScene, RaysCancelled
from app.analysis.sun import sun_position
from app.analysis.sunlight import (HOURS_ATTR, SunlightError, SunlightParams, compute_sunlight, shadow_mask, sun_directions,
                                   window_times)


def box(x0: float, y0: float, x1: float, y1: float, h: float, z0: float = 0.0) -> MeshPart:
    """A closed box, triangles wound outward (normals by the right-hand rule)."""
    v = np.array([[x, y, z] for z in (z0, z0 + h) for y in (y0, y1) for x in (x0, x1)], dtype=np.float64)
    quads = [(0, 2, 3, 1), (4, 5, 7, 6), (0, 1, 5, 4), (2, 6, 7, 3), (0, 4, 6, 2), (1, 3, 7, 5)]
    f = np.array([t for a, b, c, d in quads for t in ((a, b, c), (a, c, d))], dtype=np.int64)
    return MeshPart("box", v, f)


def ground(half: float = 150.0) -> MeshPart:
    v = np.array([[-half, -half, 0], [half, -half, 0], [half, half, 0], [-half, half, 0]], dtype=np.float64)
    return MeshPart("ground", v, np.array([[0, 1, 2], [0, 2, 3]]))


def test_box_tower_shadow_length_is_height_over_tan_elevation() -> None:
    h = 30.0
    rs = RayScene([box(-5, -5, 5, 5, h), ground()])
    sun = sun_position(datetime(2026, 12, 22, 2, 30, tzinfo=timezone.utc), 30.5928, 114.3055)  # 10:30 Beijing
    assert 20 < sun.elevation < 40
    d = sun.vector()
    away = -d[:2] / np.linalg.norm(d[:2])  # horizontal direction the shadow falls along
    across = np.array([-away[1], away[0]])
    s, w = np.meshgrid(np.arange(0, 140, 0.05), np.arange(-8, 8, 0.25))  # a ground strip along the shadow
    xy = s.reshape(-1, 1) * away + w.reshape(-1, 1) * across
    pts = np.column_stack([xy, np.zeros(len(xy))])
    inside = (np.abs(pts[:, 0]) < 5) & (np.abs(pts[:, 1]) < 5)
    shaded = shadow_mask(rs, pts, d) & ~inside
    corners = np.array([[-5, -5], [5, -5], [5, 5], [-5, 5]])
    length = float((pts[shaded, :2] @ away).max() - (corners @ away).max())
    expected = h / np.tan(np.radians(sun.elevation))
    assert length == pytest.approx(expected, rel=0.02)


def test_unobstructed_south_facade_gets_every_hour_the_sun_is_up_in_front() -> None:
    """A lone slab facing south in Wuhan on the solstice: the sun is up and south of east-west all
    window long, so 8:00-16:00 gives 8 h and 9:00-15:00 gives 6 h; its north wall gets none."""
    parts = [box(-20, -2, 20, 2, 12)]
    for start, end, hours in ((time(8), time(16), 8.0), (time(9), time(15), 6.0)):
        p = SunlightParams(day=date(2026, 12, 22), start=start, end=end, step_minutes=10, grid_m=2.0, ground=False)
        r = compute_sunlight(parts, p)
        south = r.facade & (r.normals[:, 1] < -0.9)
        north = r.facade & (r.normals[:, 1] > 0.9)
        assert south.sum() > 50 and north.sum() > 50
        # the sun-above-horizon-and-in-front hours of the same steps, from the sun alone
        _, dirs = sun_directions(p)
        expected = sum(1 for d in dirs if d[2] > 0 and d[1] < 0) * p.step_minutes / 60
        assert expected == pytest.approx(hours)
        np.testing.assert_allclose(r.hours[south], expected, atol=1e-4)
        assert r.hours[north].max() == 0.0


def test_a_tower_shades_its_northern_neighbour_and_ground() -> None:
    parts = [box(-5, -5, 5, 5, 60), box(-10, 20, 10, 24, 15), ground(80)]
    p = SunlightParams(day=date(2026, 12, 22), step_minutes=30, grid_m=2.0, area=(-40, -40, 40, 60))
    r = compute_sunlight(parts, p)
    south_of_neighbour = r.facade & (r.normals[:, 1] < -0.9) & (r.points[:, 1] > 19) & (np.abs(r.points[:, 0]) < 4)
    assert south_of_neighbour.any() and r.hours[south_of_neighbour].mean() < 7.0
    assert r.summary["facade_points_below_min"] >= 0 and r.summary["rays"] > 0
    open_ground = ~r.facade & (r.points[:, 1] < -20)
    assert r.hours[open_ground].min() == pytest.approx(8.0)


def test_solar_time_window_moves_with_longitude_and_bad_parameters() -> None:
    p = SunlightParams(day=date(2026, 12, 22), step_minutes=60)
    first = window_times(p)[0]
    assert first.isoformat().startswith("2026-12-22T08:5")  # 8:30 solar = ~08:51 Beijing time in Wuhan
    p.solar_time = False
    assert window_times(p)[0].isoformat() == "2026-12-22T08:30:00+08:00"
    with pytest.raises(SunlightError, match="grid"):
        compute_sunlight([box(0, 0, 1, 1, 1)], SunlightParams(day=date(2026, 12, 22), grid_m=0))
    with pytest.raises(SunlightError, match="no meshes"):
        compute_sunlight([], SunlightParams(day=date(2026, 12, 22)))
    with pytest.raises(RaysCancelled):
        compute_sunlight([box(0, 0, 10, 10, 10)], SunlightParams(day=date(2026, 12, 22)), cancel=lambda: True)


def test_buried_facade_samples_are_left_out_but_walls_under_an_overhang_stay() -> None:
    from app.analysis.sunlight import above_ground, facade_samples

    sunk = box(-10, -10, 10, 10, 20, z0=-3.0)  # a building standing 3 m into flat ground
    overhang = box(-12, -12, 12, 12, 0.5, z0=5.0)  # a canopy slab around it at 5 m
    rs = RayScene([sunk, ground(40), overhang])
    pts, nrm = facade_samples([sunk], 1.0)
    kept, _ = above_ground(rs, pts, nrm)
    assert (pts[:, 2] < 0).sum() > 100 and kept[:, 2].min() > 0  # the buried 3 m are gone
    under = (kept[:, 2] > 0.2) & (kept[:, 2] < 4.8)
    assert under.sum() > 0.9 * ((pts[:, 2] > 0.2) & (pts[:, 2] < 4.8)).sum()  # under the canopy: kept
