"""Canvas and visuals off-screen: pixel probes instead of brittle image diffs."""
from __future__ import annotations


import numpy as np
import pytest
import pyvista as pv

from app.model import BimLayer, MeshLayer, PointCloudLayer
from app.model.layers import Layer
from loaders.base import ElementInfo
from viewers import style
from viewers.canvas import Canvas
from viewers.visuals import MeshVisual, PointCloudVisual, visual_class_for
from tests.fixtures import offscreen_canvas


@pytest.fixture
def canvas():
    with offscreen_canvas((400, 300)) as c:
        yield c


def _box_layer(cls=BimLayer, rgb=(1.0, 0.0, 0.0)) -> MeshLayer:
    box = pv.Box((-10, 10, -10, 10, 0, 20)).triangulate()
    faces = box.faces.reshape(-1, 4)[:, 1:]
    elements = [ElementInfo(id="2O2Fr$t4X7Zf8NOew3FLOH", ifc_class="IfcWall", name="Wall 1",
                            properties={"Pset_WallCommon.IsExternal": True}, color=(*rgb, 1.0))]
    return cls(name="box", data={"vertices": np.asarray(box.points, float), "faces": faces,
                                 "face_element": np.zeros(len(faces), np.int32), "elements": elements})


def _pixel(canvas: Canvas, x: int, y: int) -> np.ndarray:
    canvas.render()
    img = canvas.plotter.screenshot(return_img=True)
    return img[img.shape[0] - 1 - y, x, :3].astype(int)


def test_registry_walks_the_class_hierarchy() -> None:
    assert visual_class_for(BimLayer()) is MeshVisual
    assert visual_class_for(PointCloudLayer()) is PointCloudVisual
    with pytest.raises(TypeError):
        visual_class_for(Layer())


def test_mesh_colour_visibility_and_highlight(canvas: Canvas) -> None:
    layer = _box_layer()
    canvas.scene.layers.append(layer)
    canvas.zoom_to(view="north")
    r, g, b = _pixel(canvas, 200, 150)
    assert r > 120 and g < 60 and b < 60, (r, g, b)  # lit red wall
    layer.visible = False
    r, g, b = _pixel(canvas, 200, 150)
    assert b > r  # sky shows through
    layer.visible = True
    sel = canvas.pick(200, 150)
    assert sel.layer is layer and sel.properties["GlobalId"] == "2O2Fr$t4X7Zf8NOew3FLOH"
    assert sel.properties["Pset_WallCommon.IsExternal"] is True
    canvas.scene.select(sel)
    r, g, b = _pixel(canvas, 200, 150)
    assert r > 150 and g > 80 and b < 60  # highlight amber, not red
    canvas.scene.layers.remove(layer)
    assert not canvas.visuals and canvas.scene.selection.layer is None


def test_removing_a_layer_disconnects_its_visual(canvas: Canvas) -> None:
    layer = _box_layer()
    canvas.scene.layers.append(layer)
    assert len(layer.events.visible) >= 1
    canvas.scene.layers.remove(layer)
    assert len(layer.events.visible) == 0 and len(layer.data_changed) == 0


def test_point_budget_and_colour_modes(canvas: Canvas) -> None:
    rng = np.random.default_rng(5)
    n = 50_000
    layer = PointCloudLayer(name="scan", data={"positions": rng.uniform(-20, 20, (n, 3)), "colors": None,
                                               "attributes": {"classification": np.full(n, 6, np.uint8)}})
    canvas.scene.layers.append(layer)
    assert canvas.stats()["points_drawn"] == n
    canvas.set_point_budget(10_000)
    assert canvas.stats()["points_drawn"] == 10_000
    layer.color_mode = "classification"
    visual = canvas.visuals[id(layer)]
    assert tuple(visual.mesh.point_data["RGB"][0]) == style.ASPRS_RGB[6]
    sel = visual.describe_pick(0, np.zeros(3))
    assert sel.properties["class name"] == "Building" and sel.index == visual.index[0]


def test_scale_bar_follows_zoom(canvas: Canvas) -> None:
    canvas.scene.layers.append(_box_layer())
    canvas.zoom_to()
    canvas.render()
    near = canvas.scale_bar.length_m
    cam = canvas.get_camera()
    far = type(cam)(tuple(np.array(cam.position) * 10), cam.focal_point, cam.view_up)
    canvas.set_camera(far)
    canvas.render()
    assert canvas.scale_bar.length_m > near * 4


def test_legends_follow_colour_mode_and_layer_life(canvas: Canvas) -> None:
    n = 1000
    classes = np.where(np.arange(n) % 2 == 0, 2, 6).astype(np.uint8)
    layer = PointCloudLayer(name="scan", data={"positions": np.random.default_rng(1).uniform(0, 10, (n, 3)),
                                               "colors": None, "attributes": {"classification": classes}})
    canvas.scene.layers.append(layer)
    canvas.render()
    assert canvas.legends.titles() == ["scan: Elevation (m, local)"]
    layer.color_mode = "classification"
    canvas.render()
    assert canvas.legends.labels() == ["scan: Classification (ASPRS)", "2 Ground", "6 Building"]  # no stale colour bar
    layer.visible = False
    canvas.render()
    assert canvas.legends.labels() == []
    layer.visible = True
    canvas.scene.layers.remove(layer)
    canvas.render()
    assert canvas.legends.labels() == []


def _two_element_layer() -> BimLayer:
    """Two boxes side by side: a wall (x<0) and a hidden-by-default space (x>0)."""
    a = pv.Box((-20, -2, -10, 10, 0, 20)).triangulate()
    b = pv.Box((2, 20, -10, 10, 0, 20)).triangulate()
    fa, fb = a.faces.reshape(-1, 4)[:, 1:], b.faces.reshape(-1, 4)[:, 1:] + a.n_points
    elements = [ElementInfo(id="A" * 22, ifc_class="IfcWall", name="Wall", storey="Level 1", properties={"Q.Height": 20.0}),
                ElementInfo(id="B" * 22, ifc_class="IfcSpace", name="Room", storey="Level 2", hidden_by_default=True,
                            properties={"Q.Height": 3.0})]
    return BimLayer(name="bim", data={"vertices": np.vstack([a.points, b.points]).astype(float), "faces": np.vstack([fa, fb]),
                                      "face_element": np.r_[np.zeros(len(fa)), np.ones(len(fb))].astype(np.int32),
                                      "elements": elements})


def test_hidden_elements_are_not_drawn_and_picks_map_back(canvas: Canvas) -> None:
    layer = _two_element_layer()
    canvas.scene.layers.append(layer)
    canvas.zoom_to(view="north")
    assert canvas.stats()["triangles_drawn"] == 12  # the space is hidden by default
    assert canvas.pick(150, 150).properties.get("name") != "Room"
    layer.show_all()  # spaces stay hidden: their boxes would cover doors and windows
    assert canvas.stats()["triangles_drawn"] == 12
    layer.set_elements_hidden([1], False)  # shown explicitly
    assert canvas.stats()["triangles_drawn"] == 24
    canvas.render()
    right = canvas.pick(300, 150)
    assert right.properties["name"] == "Room" and right.index == 1 and right.properties["storey"] == "Level 2"
    layer.isolate([1])
    assert canvas.stats()["triangles_drawn"] == 12
    canvas.render()
    assert canvas.pick(300, 150).properties["GlobalId"] == "B" * 22
    layer.set_elements_hidden([1], True)
    assert canvas.stats()["triangles_drawn"] == 0


def test_colour_by_class_and_numeric_property(canvas: Canvas) -> None:
    layer = _two_element_layer()
    layer.set_elements_hidden([1], False)  # the space too
    canvas.scene.layers.append(layer)
    assert layer.available_color_modes()[:5] == ["default", "elevation", "class", "storey", "property:Q.Height"][:5] or \
        "class" in layer.available_color_modes()
    layer.color_mode = "class"
    canvas.render()
    assert canvas.legends.labels()[0] == "bim: Class" and set(canvas.legends.labels()[1:]) == {"IfcWall", "IfcSpace"}
    layer.color_mode = "property:Q.Height"
    canvas.render()
    assert canvas.legends.titles() == ["bim: Q.Height"]
    layer.color_mode = "default"
    canvas.render()
    assert canvas.legends.titles() == []


def test_storey_legend_is_in_natural_order() -> None:
    from viewers.style import category_colors

    colors, legend = category_colors(["Level 10", "Level 2", "Level 1", "Level 2"], natural_order=True)
    assert [label for label, _ in legend] == ["Level 1", "Level 2", "Level 10"]
    assert (colors[1] == colors[3]).all() and not (colors[0] == colors[1]).all()
    _, by_count = category_colors(["a", "b", "b"])
    assert [label for label, _ in by_count] == ["b", "a"]


def test_large_clouds_draw_octree_nodes_for_the_camera(canvas: Canvas) -> None:
    from app.model.scene import Camera, _point_layer
    from loaders.base import PointCloudData

    rng = np.random.default_rng(2)
    pts = rng.uniform([0, 0, 0], [1000, 1000, 20], (600_000, 3))
    data = PointCloudData(name="big", kind="pointcloud", format="LAS", positions=pts)
    layer = _point_layer(canvas.scene.frame, data, "big")
    assert layer.data.get("octree") is not None  # built while loading, not on the GUI thread
    canvas.set_point_budget(100_000)
    canvas.scene.layers.append(layer)
    canvas.zoom_to(view="top")
    visual = canvas.visuals[id(layer)]
    overview = visual.nodes.copy()
    assert 0 < canvas.stats()["points_drawn"] <= 100_000
    corner = np.array([50.0, 50.0, 0.0])
    canvas.set_camera(Camera(tuple(corner + [0, -60, 60]), tuple(corner), (0.0, 0.0, 1.0)))
    assert not np.array_equal(visual.nodes, overview)  # the camera moved: other nodes
    drawn = layer.positions[visual.index]
    near = np.linalg.norm(drawn[:, :2] - corner[:2], axis=1) < 200
    assert near.mean() > 0.3  # detail where the camera looks (a uniform subsample puts ~4% there)
    assert canvas.stats()["points_drawn"] <= 100_000


def test_colour_by_any_attribute_point_size_and_hidden_classes(canvas: Canvas) -> None:
    n = 2000
    rng = np.random.default_rng(4)
    attrs = {"classification": np.where(np.arange(n) % 4 == 0, 7, 2).astype(np.uint8),
             "return_number": rng.integers(1, 4, n).astype(np.uint8), "Amplitude": rng.normal(10, 2, n).astype(np.float32)}
    layer = PointCloudLayer(name="scan", data={"positions": rng.uniform(0, 10, (n, 3)), "colors": None, "attributes": attrs})
    assert layer.available_color_modes() == ["elevation", "classification", "return_number", "Amplitude"]
    canvas.scene.layers.append(layer)
    layer.color_mode = "Amplitude"
    canvas.render()
    assert canvas.legends.titles() == ["scan: Amplitude"]
    layer.color_mode = "return_number"
    canvas.render()
    assert canvas.legends.titles() == ["scan: Return number"]
    visual = canvas.visuals[id(layer)]
    actor = visual.actor
    layer.point_size = 6
    assert visual.actor is actor and actor.GetProperty().GetPointSize() == 6  # in place, no rebuild
    layer.hidden_classes = (7,)  # hide noise
    assert canvas.stats()["points_drawn"] == n - n // 4
    assert not (attrs["classification"][canvas.visuals[id(layer)].index] == 7).any()
    layer.hidden_classes = ()
    assert canvas.stats()["points_drawn"] == n


@pytest.mark.parametrize("mode", ["rgb", "elevation", "classification", "intensity"])
def test_cloud_with_nothing_to_draw(canvas: Canvas, mode: str) -> None:
    n = 100
    layer = PointCloudLayer(name="scan", color_mode=mode, data={
        "positions": np.random.default_rng(0).uniform(0, 1, (n, 3)), "colors": np.zeros((n, 3), np.uint8),
        "attributes": {"classification": np.full(n, 7, np.uint8), "intensity": np.ones(n, np.uint16)}})
    canvas.scene.layers.append(layer)
    layer.hidden_classes = (7,)
    assert canvas.stats()["points_drawn"] == 0
    canvas.render()
    empty = PointCloudLayer(name="empty", color_mode=mode, data={"positions": np.zeros((0, 3)), "colors": None, "attributes": {}})
    canvas.scene.layers.append(empty)
    canvas.render()
