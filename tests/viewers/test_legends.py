"""Legends and overlays (issue 9 items 6 and 9): one legend per visible coloured layer, titled
with the layer's name, stacked so none overlaps another or the statistics, north arrow and
scale bar at any view size; legends and the pick marker follow their layer's visibility;
numbers read cleanly and every label has a background."""
from __future__ import annotations

import itertools
import warnings

import numpy as np
import pytest
import pyvista as pv
import vtk

from app.model import PointCloudLayer, Scene
from tests.viewers.test_canvas import _two_element_layer
from viewers.canvas import Canvas
from viewers.legends import format_number, intersects


def _canvas(size: tuple[int, int]) -> Canvas:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        plotter = pv.Plotter(off_screen=True, window_size=size)
    return Canvas(plotter, Scene())


@pytest.fixture
def canvas():
    c = _canvas((800, 600))
    yield c
    c.close()
    c.plotter.close()


def _cloud(name: str, mode: str, seed: int = 0) -> PointCloudLayer:
    rng = np.random.default_rng(seed)
    n = 3000
    pos = rng.uniform([-20, -20, -0.04], [20, 20, 34.8], (n, 3))
    attrs = {"intensity": rng.integers(1, 226, n).astype(np.uint16), "classification": rng.choice([2, 5, 6], n).astype(np.uint8)}
    return PointCloudLayer(name=name, color_mode=mode, data={"positions": pos, "colors": None, "attributes": attrs})


def _three_layers(canvas: Canvas) -> list:
    bim = _two_element_layer()
    bim.color_mode = "class"
    layers = [_cloud("Elev", "elevation"), _cloud("Intensity", "intensity", 1), bim]
    for layer in layers:
        canvas.scene.layers.append(layer)
    canvas.zoom_to()
    return layers


def test_each_coloured_layer_has_its_own_legend_titled_with_its_name(canvas: Canvas) -> None:
    elev, inten, bim = _three_layers(canvas)
    canvas.render()
    assert canvas.legends.titles() == ["Elev: Elevation (m, local)", "Intensity: Intensity", "bim: Class"]
    rects = canvas.legends.rects
    assert not any(intersects(a, b) for a, b in itertools.combinations(rects, 2))  # stacked, not merged
    inten.visible = False  # a hidden layer's legend goes with it
    canvas.render()
    assert canvas.legends.titles() == ["Elev: Elevation (m, local)", "bim: Class"]
    inten.visible = True
    canvas.scene.layers.remove(elev)
    canvas.render()
    assert canvas.legends.titles() == ["Intensity: Intensity", "bim: Class"]
    inten.name = "Scan 2019"
    canvas.render()
    assert canvas.legends.titles()[0] == "Scan 2019: Intensity"


def test_pick_marker_follows_the_layer(canvas: Canvas) -> None:
    layer = _cloud("scan", "elevation")
    canvas.scene.layers.append(layer)
    canvas.zoom_to()
    canvas.scene.select(canvas.visuals[id(layer)].describe_pick(0, np.zeros(3)))
    canvas.render()
    marker = canvas._marker
    assert marker is not None and marker.GetVisibility()
    layer.visible = False
    canvas.render()
    assert not marker.GetVisibility()
    layer.visible = True
    canvas.render()
    assert marker.GetVisibility()
    canvas.scene.layers.remove(layer)
    assert canvas._marker is None


@pytest.mark.parametrize("value,span,text", [(-0.0, 34.8, "0.0"), (-0.04, 34.8, "0.0"), (-0.0004, 2.0, "0.00"),
                                             (17.4, 34.8, "17.4"), (112.5, 224, "112"), (3525.0, 40000, "3,525"),
                                             (0.1234, 0.5, "0.123"), (-12.5, 30, "-12.5"), (0.0, 0.0, "0.00")])
def test_numbers_are_formatted_cleanly(value: float, span: float, text: str) -> None:
    assert format_number(value, span) == text


def test_legends_are_not_rebuilt_by_every_frame(canvas: Canvas) -> None:
    _three_layers(canvas)
    canvas.show_stats_overlay(True)
    canvas.refresh_stats_overlay()
    canvas.render()
    actors = list(canvas.legends.actors)
    canvas.frame_ms = 1234.0  # a new frame time widens the statistics text
    canvas.refresh_stats_overlay()
    canvas.render()
    assert canvas.legends.actors == actors


def test_picked_positions_never_read_minus_zero(canvas: Canvas) -> None:
    described = canvas.describe_position(np.array([-0.0001, 12.0, -0.0004]))
    assert str(described["x (m, ENU)"]) == "0.0" and str(described["z (m, ENU)"]) == "0.0"


def test_colour_bar_ticks_are_below_the_bar_with_a_background(canvas: Canvas) -> None:
    layer = _cloud("scan", "elevation")
    canvas.scene.layers.append(layer)
    canvas.zoom_to()
    canvas.render()
    assert canvas.legends.labels() == ["scan: Elevation (m, local)", "0.0", "17.4", "34.8"]  # no "-0.0"
    texts = [a for a in canvas.legends.actors if isinstance(a, vtk.vtkTextActor)]
    assert all(a.GetTextProperty().GetBackgroundOpacity() >= 0.5 for a in texts)
    bar = canvas.legends.actors[0].GetMapper().GetInput().GetBounds()  # box + gradient quads, normalised
    x0, y0, x1, y1 = canvas.legends.rects[0]
    gradient_bottom = min(y for y in np.asarray(canvas.legends.actors[0].GetMapper().GetInput().GetPoints().GetData())[4:, 1])
    for tick in texts[1:]:
        bottom, top = _text_span(canvas, tick)
        assert top <= gradient_bottom * 600 + 1 and bottom >= y0  # wholly under the bar, inside the box
    assert bar[0] >= 0 and bar[1] <= 1


def _text_span(canvas: Canvas, actor: vtk.vtkTextActor) -> tuple[float, float]:
    """Bottom and top of a text in pixels (its bounding box is relative to its anchor)."""
    bbox = [0.0] * 4
    actor.GetBoundingBox(canvas.plotter.renderer, bbox)
    y = actor.GetPosition()[1] * canvas.plotter.renderer.GetSize()[1]
    return y + bbox[2], y + bbox[3]


@pytest.mark.parametrize("size", [(1600, 1000), (800, 600), (400, 300)])
def test_overlays_keep_their_corners_and_never_collide(size: tuple[int, int]) -> None:
    canvas = _canvas(size)
    try:
        _three_layers(canvas)
        canvas.show_stats_overlay(True)
        canvas.refresh_stats_overlay()
        canvas.render()
        rects = canvas.overlay_rects()
        assert {"north arrow", "scale bar", "statistics"} <= set(rects)
        for (a, ra), (b, rb) in itertools.combinations(rects.items(), 2):
            assert not intersects(ra, rb), (size, a, ra, b, rb)
        for name, (x0, y0, x1, y1) in rects.items():
            assert 0 <= x0 < x1 <= size[0] and 0 <= y0 < y1 <= size[1], name
        if size[0] >= 800:  # room for all three, anchored to the top-right corner
            assert len(canvas.legends.drawn) == 3
            first = canvas.legends.rects[0]
            assert size[0] - first[2] == 10 and size[1] - first[3] == 10
        stats = rects["statistics"]
        assert stats[0] < 0.02 * size[0] and stats[3] >= 0.95 * size[1]  # top-left
        assert rects["north arrow"][0] < 0.02 * size[0] and rects["north arrow"][1] < 0.02 * size[1]  # bottom-left
    finally:
        canvas.close()
        canvas.plotter.close()
