"""Streamed point clouds at parity with loaded ones (part of issue 16 item 6): the elevation ramp
with one fixed range across tiles and its colour bar, and Potree's adaptive point size that
grows points of tiles close to the camera to close the gaps between them."""
from __future__ import annotations

import numpy as np
import pytest

from tests.loaders.copc_fixture import make_copc
from tests.viewers.test_copc_streaming import _look, _open


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    return make_copc(tmp_path_factory.mktemp("copc_parity"))


def test_streamed_points_take_the_elevation_ramp(site) -> None:
    scene, layer, canvas, plotter, _ = _open(site)
    try:
        lo, hi = layer.bounds()
        _look(canvas, (np.asarray(lo) + np.asarray(hi)) / 2, (0.0, -400.0, 300.0))
        layer.color_mode = "elevation"
        canvas.tick(render=False)
        visual = canvas.visuals[id(layer)]
        mappers = [p.actor.GetMapper() for i in visual.shown for p in visual.loaded[i].parts if p.actor is not None]
        assert mappers and all(m.GetScalarVisibility() and m.GetArrayName() == "Elevation" for m in mappers)
        assert {tuple(np.round(m.GetScalarRange(), 6)) for m in mappers} == {(round(float(lo[2]), 6), round(float(hi[2]), 6))}
        assert any("Elevation" in legend.title for legend in canvas.visible_legends())  # its colour bar
    finally:
        canvas.close()
        plotter.close()


def test_points_near_the_camera_grow_far_ones_keep_the_base_size(site) -> None:
    from viewers.tiles.visual import BASE_POINT_PX

    scene, layer, canvas, plotter, _ = _open(site)
    try:
        lo, hi = layer.bounds()
        centre = (np.asarray(lo) + np.asarray(hi)) / 2
        _look(canvas, centre, (0.0, -3000.0, 3000.0))
        visual = canvas.visuals[id(layer)]
        far = {p.actor.GetProperty().GetPointSize() for i in visual.shown for p in visual.loaded[i].parts if p.actor}
        assert far == {BASE_POINT_PX}
        _look(canvas, np.array([centre[0], centre[1], lo[2]]), (0.0, -3.0, 2.0))
        near = [p.actor.GetProperty().GetPointSize() for i in visual.shown for p in visual.loaded[i].parts if p.actor]
        assert max(near) > BASE_POINT_PX
    finally:
        canvas.close()
        plotter.close()


def test_the_users_point_size_is_the_base_of_streamed_points(site) -> None:
    scene, layer, canvas, plotter, _ = _open(site)
    try:
        lo, hi = layer.bounds()
        _look(canvas, (np.asarray(lo) + np.asarray(hi)) / 2, (0.0, -3000.0, 3000.0))
        layer.point_size = 6.0
        canvas.tick(render=False)
        visual = canvas.visuals[id(layer)]
        sizes = {p.actor.GetProperty().GetPointSize() for i in visual.shown for p in visual.loaded[i].parts if p.actor}
        assert sizes == {6.0}
        assert type(layer).from_state(layer.get_state()).point_size == 6.0  # saved with the project
    finally:
        canvas.close()
        plotter.close()
