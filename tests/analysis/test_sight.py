"""Line of sight and viewshed: a wall blocks a sight line through it, not one passing over it."""
from __future__ import annotations

import numpy as np
import pytest

from app.analysis.rays import RayScene
from app.analysis.sight import SightError, line_of_sight, viewshed
from tests.analysis.test_sunlight import box, ground


def test_wall_blocks_a_line_through_it_and_not_one_over_it() -> None:
    rs = RayScene([box(-10, -0.2, 10, 0.2, 5.0), ground(60)])  # a 5 m wall along x at y = 0
    through = line_of_sight(rs, np.array([0.0, -20.0, 1.7]), np.array([0.0, 20.0, 1.7]))
    assert not through.visible
    assert through.hit[1] == pytest.approx(-0.2, abs=1e-3) and through.blocked_at == pytest.approx(19.8, abs=1e-3)
    over = line_of_sight(rs, np.array([0.0, -20.0, 6.0]), np.array([0.0, 20.0, 6.0]))
    assert over.visible and over.hit is None
    down_over = line_of_sight(rs, np.array([0.0, -20.0, 12.0]), np.array([0.0, 20.0, 0.0]))  # z = 6 m above the wall
    assert down_over.visible
    behind = line_of_sight(rs, np.array([0.0, -20.0, 1.7]), np.array([0.0, 2.0, 0.0]))  # the ground just behind it
    assert not behind.visible and behind.hit[1] == pytest.approx(-0.2, abs=1e-3)
    to_ground = line_of_sight(rs, np.array([0.0, -20.0, 1.7]), np.array([0.0, -5.0, 0.0]))  # a target on the ground itself
    assert to_ground.visible
    with pytest.raises(SightError):
        line_of_sight(rs, np.zeros(3), np.zeros(3))


def test_viewshed_sees_the_near_side_and_not_behind_the_wall() -> None:
    parts = [box(-10, -0.2, 10, 0.2, 5.0), ground(60)]
    vs = viewshed(parts, np.array([0.0, -20.0, 1.7]), radius=40, grid_m=1.0)
    ground_pts = ~vs.facade
    behind = ground_pts & (np.abs(vs.points[:, 0]) < 5) & (vs.points[:, 1] > 1) & (vs.points[:, 1] < 10)
    front = ground_pts & (np.abs(vs.points[:, 0]) < 5) & (vs.points[:, 1] < -1)
    assert behind.sum() > 20 and not vs.visible[behind].any()
    assert vs.visible[front].all()
    south_face = vs.facade & (vs.points[:, 1] < 0) & (np.abs(vs.points[:, 0]) < 8)
    north_face = vs.facade & (vs.points[:, 1] > 0) & (np.abs(vs.points[:, 0]) < 8) & (vs.points[:, 2] > 0.5)
    assert vs.visible[south_face].all() and not vs.visible[north_face].any()
    assert 0 < vs.summary["ground_visible_m2"] < vs.summary["ground_m2"]
    with pytest.raises(SightError, match="radius"):
        viewshed(parts, np.zeros(3), radius=-1)
