"""Stable colour ramps (issue 9 item 10): the range comes from the whole layer, not from what is
drawn, so a point keeps its colour while the user navigates, hides classes or changes the
budget; the user can set min/max in the layer dock, and the project keeps them; elevation
legends read absolute heights with their datum."""
from __future__ import annotations

import json
import warnings

import numpy as np
import pytest
import pyvista as pv
from PySide6.QtCore import Qt

from app.model import PointCloudLayer, Scene
from app.model.layers import Layer
from app.model.scene import Camera
from tests.ui.conftest import wait_loaded, write_las
from viewers.canvas import Canvas
from tests.fixtures import offscreen_canvas


@pytest.fixture
def canvas():
    with offscreen_canvas((500, 400)) as c:
        yield c


def _scan(n: int = 40_000) -> PointCloudLayer:
    """Ground (class 2, dim) and buildings (class 6, bright, 34.8 m high)."""
    rng = np.random.default_rng(7)
    cls = np.where(rng.random(n) < 0.6, 2, 6).astype(np.uint8)
    pos = rng.uniform([0, 0, 0], [200, 200, 34.8], (n, 3))
    pos[cls == 2, 2] = 0.0
    pos[0, 2], pos[1, 2] = 0.0, 34.8
    intensity = np.where(cls == 2, rng.integers(1, 60, n), rng.integers(100, 226, n)).astype(np.uint16)
    return PointCloudLayer(name="autzen", color_mode="intensity",
                           data={"positions": pos, "colors": None, "attributes": {"classification": cls, "intensity": intensity}})


def _clim(canvas: Canvas, layer) -> tuple[float, float]:
    lut = canvas.visuals[id(layer)].actor.GetMapper().GetLookupTable()
    return tuple(round(v, 6) for v in lut.GetRange())


def test_intensity_ramp_spans_the_whole_cloud_whatever_is_drawn(canvas: Canvas) -> None:
    layer = _scan()
    canvas.set_point_budget(5_000)
    canvas.scene.layers.append(layer)
    canvas.zoom_to()
    whole = np.percentile(layer.data["attributes"]["intensity"], [2, 98])
    first = _clim(canvas, layer)
    assert first == pytest.approx(tuple(whole))
    layer.hidden_classes = (2,)  # ground hidden: what is drawn is all bright, the ramp stays
    assert _clim(canvas, layer) == first
    canvas.set_point_budget(20_000)
    canvas.set_camera(Camera((10.0, 10.0, 40.0), (20.0, 20.0, 0.0), (0.0, 0.0, 1.0)))
    assert _clim(canvas, layer) == first
    canvas.render()
    assert canvas.legends.labels()[1:] == [f"{whole[0]:.0f}", f"{(whole[0] + whole[1]) / 2:,.0f}", f"{whole[1]:.0f}"]


def test_user_limits_colour_the_cloud_and_survive_layer_state(canvas: Canvas) -> None:
    layer = _scan(2000)
    canvas.scene.layers.append(layer)
    layer.set_color_limits("intensity", (50, 150))
    assert _clim(canvas, layer) == (50.0, 150.0)
    canvas.render()
    assert canvas.legends.labels() == ["autzen: Intensity", "50", "100", "150"]
    state = json.loads(json.dumps(layer.get_state()))  # as a project file holds it
    again = PointCloudLayer.from_state(state, data=layer.data)
    assert again.color_limits == {"intensity": (50.0, 150.0)}
    assert Layer.from_state({"color_limits": {"x": [3, 1], "y": "bad"}}).color_limits == {}  # nonsense is dropped
    layer.set_color_limits("intensity", None)
    assert _clim(canvas, layer) == pytest.approx(tuple(np.percentile(layer.data["attributes"]["intensity"], [2, 98])))


def test_elevation_legend_reads_absolute_heights_with_their_datum(canvas: Canvas) -> None:
    canvas.scene.frame.origin_lla = (44.05, -123.07, 120.0)  # scene z 0 is 120 m above the ellipsoid
    layer = _scan(2000)
    layer.color_mode = "elevation"
    canvas.scene.layers.append(layer)
    canvas.render()
    assert canvas.legends.labels() == ["autzen: Elevation (m, ellipsoidal)", "120.0", "137.4", "154.8"]
    assert _clim(canvas, layer) == pytest.approx((0.0, 34.8))  # colours still from scene z


def test_dock_sets_min_max_resets_and_the_project_keeps_them(qtbot, window, tmp_path) -> None:
    from app.model.opening import open_paths
    from app.model.project import write_project

    window.resize(1500, 800)  # a view wide enough for the legend beside the docks
    window.open_paths([str(write_las(tmp_path / "scan.las", n=3000, z_spread=20.0))])
    wait_loaded(qtbot, window)
    layer = window.scene.layers[0]
    dock = window.layer_tree
    dock.tree.setCurrentItem(dock.item_for(layer))
    row = dock.range_row
    dock.color_mode.setCurrentText("intensity")
    assert layer.color_mode == "intensity" and row.isVisible() and not row.reset.isEnabled()
    lo, hi = np.percentile(layer.data["attributes"]["intensity"], [2, 98])
    assert (row.minimum.value(), row.maximum.value()) == pytest.approx((round(lo), round(hi)))
    row.minimum.lineEdit().selectAll()
    qtbot.keyClicks(row.minimum.lineEdit(), "10000")
    qtbot.keyClick(row.minimum.lineEdit(), Qt.Key.Key_Return)
    assert layer.color_limits["intensity"] == (10000.0, pytest.approx(hi, abs=1))
    window.canvas.render()
    assert window.canvas.legends.labels()[1] == "10,000" and row.reset.isEnabled()
    write_project(window.scene, tmp_path / "p.twin")
    reopened = Scene()
    [again] = open_paths(reopened, [str(tmp_path / "p.twin")], on_error=lambda e: pytest.fail(str(e)))
    assert again.color_limits["intensity"][0] == 10000.0
    qtbot.mouseClick(row.reset, Qt.MouseButton.LeftButton)
    assert "intensity" not in layer.color_limits and row.minimum.value() == pytest.approx(round(lo))
    dock.color_mode.setCurrentText("elevation")  # heights: absolute, in metres
    assert row.isVisible() and row.unit.text() == "m" and row.minimum.value() > 20
    dock.color_mode.setCurrentText("rgb")
    assert not row.isVisible()


def test_streamed_copc_intensity_keeps_its_colours_while_navigating(tmp_path) -> None:
    from app.model.color_range import shown_range
    from app.model.opening import build_layers
    from loaders.copc_tree import STREAMED_LOADER
    from tests.loaders.copc_fixture import make_copc
    from tests.viewers.test_tiles_streaming import settle

    scene = Scene()
    [layer] = build_layers(scene, str(make_copc(tmp_path, n=150_000)), loader=STREAMED_LOADER, stream_tiles=True)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        plotter = pv.Plotter(off_screen=True, window_size=(400, 300))
    canvas = Canvas(plotter, scene)
    try:
        scene.layers.append(layer)
        layer.color_mode = "property:intensity"
        canvas.zoom_to(layer.bounds())
        settle(canvas)
        visual = canvas.visuals[id(layer)]
        at_open = visual.coloring.scalar_range()
        assert at_open == shown_range(layer, layer.color_mode, scene.frame)  # what the dock shows
        centre = (layer.bounds()[0] + layer.bounds()[1]) / 2
        before = set(visual.loaded)
        for offset in ((0.0, -40.0, 30.0), (80.0, 60.0, 25.0)):  # deeper nodes stream in
            canvas.set_camera(Camera(tuple(centre + offset), tuple(centre), (0.0, 0.0, 1.0)))
            settle(canvas)
            assert visual.coloring.scalar_range() == at_open
        assert set(visual.loaded) - before  # new tiles did arrive
        layer.set_color_limits("property:intensity", (0.0, 1000.0))
        assert canvas.visuals[id(layer)].coloring.scalar_range() == (0.0, 1000.0)
    finally:
        canvas.close()
        plotter.close()
