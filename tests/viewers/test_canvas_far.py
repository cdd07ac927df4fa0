"""Layers thousands of km apart in one canvas: the near layer stays visible, clipping follows
what is in view, zoom-to works for each layer and far layers do not lose float32 precision."""
from __future__ import annotations


import numpy as np
import pytest
import pyvista as pv

from app.model import BimLayer, PointCloudLayer
from app.model.scene import Bookmark
from loaders.base import ElementInfo
from viewers.canvas import Canvas
from viewers.clipping import MAX_DEPTH_RATIO, clipping_range
from tests.fixtures import offscreen_canvas

FAR = np.array([6_000_000.0, 7_000_000.0, -4_000_000.0])  # about 10,000 km from the origin


@pytest.fixture
def canvas():
    with offscreen_canvas((400, 300)) as c:
        yield c


def _box(centre, size: float, rgb: tuple[float, float, float], name: str) -> BimLayer:
    c = np.asarray(centre, dtype=np.float64)
    box = pv.Box((-size, size, -size, size, 0, 2 * size)).triangulate()
    faces = box.faces.reshape(-1, 4)[:, 1:]
    elements = [ElementInfo(id=name, ifc_class="IfcWall", name=name, color=(*rgb, 1.0))]
    return BimLayer(name=name, data={"vertices": np.asarray(box.points, np.float64) + c, "faces": faces,
                                     "face_element": np.zeros(len(faces), np.int32), "elements": elements})


def _centre_rgb(canvas: Canvas) -> np.ndarray:
    canvas.render()
    img = canvas.plotter.screenshot(return_img=True)
    return img[img.shape[0] // 2, img.shape[1] // 2, :3].astype(int)


def _ratio(canvas: Canvas) -> float:
    near, far = canvas.plotter.camera.GetClippingRange()
    return far / near


def test_near_layer_stays_visible_after_a_far_one_is_added(canvas: Canvas) -> None:
    near = _box((0, 0, 0), 10.0, (1.0, 0.0, 0.0), "near")
    canvas.scene.layers.append(near)
    canvas.zoom_to(view="north")
    home = canvas.get_camera()
    canvas.scene.bookmarks.append(Bookmark("home", home))
    r, g, b = _centre_rgb(canvas)
    assert r > 120 and g < 60 and b < 60, (r, g, b)

    far = _box(FAR, 10.0, (0.0, 0.0, 1.0), "far")
    canvas.scene.layers.append(far)
    r, g, b = _centre_rgb(canvas)
    assert r > 120 and g < 60 and b < 60, ("near layer vanished after adding a far one", r, g, b)
    assert _ratio(canvas) <= MAX_DEPTH_RATIO * 1.05
    assert canvas.plotter.camera.GetClippingRange()[0] < np.linalg.norm(np.array(home.position))

    canvas.zoom_to(far.bounds())  # zoom to the far layer: it fills the view
    r, g, b = _centre_rgb(canvas)
    assert b > 120 and r < 60, ("far layer not shown by zoom-to", r, g, b)
    assert _ratio(canvas) <= MAX_DEPTH_RATIO * 1.05

    canvas.zoom_to(near.bounds())  # and back
    r, g, b = _centre_rgb(canvas)
    assert r > 120 and g < 60 and b < 60, (r, g, b)
    canvas.set_camera(canvas.scene.bookmarks[0].camera)  # the bookmark still shows its place
    r, g, b = _centre_rgb(canvas)
    assert r > 120 and g < 60 and b < 60, (r, g, b)

    canvas.zoom_to()  # "zoom to all": the layers near the origin, not a 12,000 km box
    r, g, b = _centre_rgb(canvas)
    assert r > 120 and g < 60 and b < 60, (r, g, b)


def test_clipping_is_recomputed_on_every_render(canvas: Canvas) -> None:
    canvas.scene.layers.append(_box((0, 0, 0), 10.0, (1.0, 0.0, 0.0), "near"))
    canvas.scene.layers.append(_box(FAR, 10.0, (0.0, 0.0, 1.0), "far"))
    canvas.zoom_to(canvas.scene.layers[0].bounds())
    canvas.plotter.renderer.ResetCameraClippingRange()  # what VTK's interactor styles do on each move
    assert canvas.plotter.camera.GetClippingRange()[0] > 1000  # VTK's union of every prop: the near box is clipped
    r, g, b = _centre_rgb(canvas)  # the render itself puts the planes back on what is in view
    assert r > 120 and g < 60 and b < 60, (r, g, b)
    assert _ratio(canvas) <= MAX_DEPTH_RATIO * 1.05


def test_ground_grid_is_sized_by_the_layers_near_the_origin(canvas: Canvas) -> None:
    canvas.scene.layers.append(_box((0, 0, 0), 10.0, (1.0, 0.0, 0.0), "near"))
    canvas.scene.layers.append(_box(FAR, 10.0, (0.0, 0.0, 1.0), "far"))
    lo_x, hi_x, lo_y, hi_y, *_ = canvas._ground.GetBounds()
    assert hi_x - lo_x < 1000 and hi_y - lo_y < 1000


def test_far_layer_keeps_millimetres(canvas: Canvas) -> None:
    """float32 at 10,000 km has half-metre steps: far vertices are drawn relative to the layer's
    centre, which the actor carries in float64."""
    rng = np.random.default_rng(4)
    pts = FAR + 0.123 + rng.uniform(-5, 5, (500, 3))
    cloud = PointCloudLayer(name="far cloud", data={"positions": pts, "colors": None, "attributes": {}})
    mesh = _box(FAR + 0.377, 1.0, (0.0, 0.0, 1.0), "far box")
    canvas.scene.layers.append(cloud)
    canvas.scene.layers.append(mesh)
    canvas.zoom_to(cloud.bounds())  # the point budget goes to what is on screen
    for layer, key in ((cloud, "positions"), (mesh, "vertices")):
        visual = canvas.visuals[id(layer)]
        assert len(visual.mesh.points), layer.name
        drawn = np.asarray(visual.mesh.points, dtype=np.float64) + np.asarray(visual.actor.GetPosition())
        expected = layer.data[key][visual.index] if key == "positions" else layer.data[key]
        assert np.abs(drawn - expected).max() < 1e-3, layer.name


def test_clipping_range_leaves_out_what_is_beyond_the_depth_ratio() -> None:
    eye, view = np.array([0.0, -100.0, 50.0]), np.array([0.0, 1.0, -0.5])
    near_box = np.array([[-10.0, -10.0, 0.0], [10.0, 10.0, 20.0]])
    far_box = np.array([[-10.0, 9e6, -4e6], [10.0, 9e6 + 20, -4e6 + 20]])
    near, far = clipping_range([near_box, far_box], eye, view)
    assert 90 < near < 94 and 120 < far < 125  # the near box's corners, 94 m to 121 m along the view
    assert clipping_range([far_box], eye, -view) is None  # behind the camera: nothing in view


def test_sun_shines_from_the_local_sky_far_away(canvas: Canvas) -> None:
    canvas.scene.frame.origin_lla = (30.59, 114.30, 20.0)  # Wuhan
    philadelphia = canvas.scene.frame.lla_to_enu([(39.95, -75.16, 10.0)])[0]
    canvas.scene.layers.append(_box(philadelphia, 10.0, (0.0, 0.0, 1.0), "far"))
    canvas.zoom_to(canvas.scene.layers[0].bounds())
    canvas.render()
    up = canvas.scene.frame.axes_at(philadelphia)[:, 2]
    sun = np.asarray(canvas._sun.position) - np.asarray(canvas._sun.focal_point)
    assert sun @ up / np.linalg.norm(sun) > 0.6  # from above there, not from below the horizon
    assert np.asarray(canvas.plotter.camera.GetViewUp()) @ up > 0.99  # and the view is upright


def test_clipping_reads_each_layers_bounds_once_per_array(canvas: Canvas) -> None:
    """Every render computes the clipping planes: a cloud's min/max is taken once per coordinate
    array, not once per frame (20M points cost ~100 ms each time)."""
    calls = []

    class CountingCloud(PointCloudLayer):
        def bounds(self):
            calls.append(1)
            return super().bounds()

    rng = np.random.default_rng(2)
    cloud = CountingCloud(name="scan", data={"positions": rng.uniform(0, 50, (2000, 3)), "colors": None, "attributes": {}})
    canvas.scene.layers.append(cloud)
    canvas.zoom_to(cloud.bounds())
    canvas.render()
    before = len(calls)
    for _ in range(5):
        canvas.render()
    assert len(calls) == before
    cloud.data["positions"] = cloud.positions + 1000.0  # a new array (placement, origin move): read again
    canvas.render()
    assert len(calls) == before + 1
