"""Split view over the whole window: the overlays (legends, scale bar, statistics, north arrow)
are drawn by one full-window renderer above both halves, and eye-dome lighting shades both
halves (vtkEDLShading clears the whole window: the left half must survive the right's pass)."""
from __future__ import annotations

import numpy as np
import pytest
import vtk

from tests.fixtures import offscreen_canvas
from tests.viewers.test_split import _cloud, _img, _is, _look, _wall

W, H = 400, 200


@pytest.fixture
def canvas():
    with offscreen_canvas((W, H)) as c:
        yield c


def _split_scene(canvas) -> None:
    canvas.scene.layers.append(_wall("design", (1.0, 0.0, 0.0)))  # auto: left
    scan = _cloud("scan", (20, 20, 230))  # auto: right
    canvas.scene.layers.append(scan)
    scan.color_mode = "elevation"  # a colour bar legend
    canvas.side_by_side.set_mode("split")
    _look(canvas)


def test_overlays_cover_the_whole_window_in_split_view(canvas) -> None:
    _split_scene(canvas)
    canvas.show_stats_overlay(True)
    canvas.render()
    overlay = canvas.overlay
    assert overlay.GetViewport() == (0.0, 0.0, 1.0, 1.0) and overlay.GetLayer() == 1
    assert canvas.plotter.renderer.GetViewport() == (0.0, 0.0, 0.5, 1.0)  # the scene: left half
    for actor in (canvas.scale_bar.bar, canvas.scale_bar.text, canvas.stats_overlay.text, *canvas.legends.actors):
        assert overlay.HasViewProp(actor) and not canvas.plotter.renderer.HasViewProp(actor)
    rects = canvas.overlay_rects()
    legend = next(r for k, r in rects.items() if k.startswith("legend scan"))
    assert legend[2] > W * 0.9  # top right of the window, not of the left half
    assert overlay.GetSize() == (W, H)
    img = _img(canvas)  # the legend's white panel is drawn in the right half, over the scan's half
    x = int((legend[0] + legend[2]) / 2)
    assert x > W // 2 and img[int(legend[3]) - 3, x].min() > 200
    assert not overlay.GetInteractive()  # clicks go to the half under the mouse


def test_eye_dome_lighting_shades_both_halves(canvas) -> None:
    _split_scene(canvas)
    plain = _img(canvas)
    canvas.set_eye_dome_lighting(True)
    assert isinstance(canvas.side_by_side.right.GetPass(), vtk.vtkEDLShading)
    shaded = _img(canvas)
    assert _is(shaded[H // 2, W // 4], "red"), shaded[H // 2, W // 4]  # the left half is not wiped
    assert _is(shaded[H // 2, 3 * W // 4], "blue") or shaded[H // 2, 3 * W // 4][2] > 80
    for half in (slice(0, W // 2), slice(W // 2, W)):  # EDL darkens silhouettes on each side
        changed = np.abs(shaded[:, half] - plain[:, half]).sum(axis=2) > 60
        assert changed.sum() > 50, changed.sum()
    canvas.side_by_side.set_mode("single")
    canvas.side_by_side.set_mode("split")  # a new right half while EDL is on gets the pass too
    assert isinstance(canvas.side_by_side.right.GetPass(), vtk.vtkEDLShading)
    canvas.set_eye_dome_lighting(False)
    assert canvas.side_by_side.right.GetPass() is None
    assert np.abs(_img(canvas) - plain).max() < 60


def test_depth_under_the_cursor_survives_the_overlay_and_edl(canvas) -> None:
    """The terrain navigation zooms toward the depth under the cursor: neither the overlay
    renderer nor the right half's EDL pass may leave the left half's depth cleared."""
    _split_scene(canvas)
    canvas.set_eye_dome_lighting(True)
    canvas.render()
    window = canvas.plotter.render_window
    for x in (W // 4, 3 * W // 4):
        depth = vtk.vtkFloatArray()
        window.GetZbufferData(x, H // 2, x, H // 2, depth)
        assert depth.GetValue(0) < 0.999999, (x, depth.GetValue(0))


def test_moving_a_layer_to_the_other_side_keeps_its_actor(canvas) -> None:
    """A side change re-sorts actors before the next frame; the visual is not rebuilt."""
    _split_scene(canvas)
    canvas.render()
    scan = canvas.scene.layers[1]
    actor = canvas.visuals[id(scan)].actor
    scan.view_side = "left"
    canvas.render()
    assert canvas.visuals[id(scan)].actor is actor
    assert canvas.plotter.renderer.HasViewProp(actor) and not canvas.side_by_side.right.HasViewProp(actor)
