"""Split view and swipe off-screen: pixel probes on each side of the split or the swipe line."""
from __future__ import annotations

import numpy as np
import pytest
import pyvista as pv

from app.model import BimLayer, MeshLayer, PointCloudLayer
from app.model.scene import Camera
from loaders.base import ElementInfo
from viewers.canvas import Canvas
from viewers.split import default_side
from tests.fixtures import offscreen_canvas

W, H = 400, 200


@pytest.fixture
def canvas():
    with offscreen_canvas((W, H)) as c:
        yield c


def _wall(name: str, rgb: tuple[float, float, float], cls=BimLayer) -> MeshLayer:
    """A wide wall facing south (-y), filling most of the view from the north camera."""
    box = pv.Box((-60, 60, -1, 1, 0, 40)).triangulate()
    faces = box.faces.reshape(-1, 4)[:, 1:]
    elements = [ElementInfo(id=f"{name}-0", ifc_class="IfcWall", name=name, properties={}, color=(*rgb, 1.0))]
    return cls(name=name, data={"vertices": np.asarray(box.points, float), "faces": faces,
                                "face_element": np.zeros(len(faces), np.int32), "elements": elements})


def _cloud(name: str, rgb: tuple[int, int, int]) -> PointCloudLayer:
    """A dense vertical sheet of points in front of the walls (y = -3)."""
    g = np.mgrid[-60:60:0.25, 0:40:0.25].reshape(2, -1).T
    pos = np.column_stack([g[:, 0], np.full(len(g), -3.0), g[:, 1]])
    colors = np.tile(np.array(rgb, np.uint8), (len(pos), 1))
    layer = PointCloudLayer(name=name, data={"positions": pos, "colors": colors, "attributes": {}})
    layer.point_size = 6
    layer.color_mode = "rgb"
    return layer


def _look(canvas: Canvas) -> None:
    canvas.set_camera(Camera((0.0, -120.0, 20.0), (0.0, 0.0, 20.0), (0.0, 0.0, 1.0), 30.0))


def _img(canvas: Canvas) -> np.ndarray:
    canvas.render()
    img = canvas.plotter.screenshot(return_img=True)
    return img[::-1, :, :3].astype(int)  # row 0 at the bottom, as VTK counts


def _is(rgb: np.ndarray, colour: str) -> bool:
    r, g, b = (int(v) for v in rgb)
    return {"red": r > 120 and g < 70 and b < 70, "blue": b > 120 and r < 70 and g < 90,
            "green": g > 120 and r < 70 and b < 70}[colour]


def test_default_sides_put_design_left_scan_right() -> None:
    assert default_side(BimLayer()) == "left"
    assert default_side(PointCloudLayer()) == "right"


def test_split_shows_each_side_its_layers_with_one_camera(canvas: Canvas) -> None:
    red, blue = _wall("red", (1.0, 0.0, 0.0)), _wall("blue", (0.0, 0.0, 1.0))
    canvas.scene.layers.append(red)
    canvas.scene.layers.append(blue)
    split = canvas.side_by_side
    split.set_side(red, "left")
    split.set_side(blue, "right")
    split.set_mode("split")
    _look(canvas)
    img = _img(canvas)
    left, right = img[H // 2, W // 4], img[H // 2, 3 * W // 4]
    assert _is(left, "red") and not _is(left, "blue"), left
    assert _is(right, "blue") and not _is(right, "red"), right
    assert split.right.GetActiveCamera() is canvas.plotter.renderer.GetActiveCamera()
    # Move the camera: both halves follow (turn away from the wall, sky on both sides).
    canvas.set_camera(Camera((0.0, -120.0, 20.0), (0.0, -240.0, 20.0), (0.0, 0.0, 1.0), 30.0))
    img = _img(canvas)
    for x in (W // 4, 3 * W // 4):
        assert not _is(img[H // 2, x], "red") and not _is(img[H // 2, x], "blue"), img[H // 2, x]
    # Both: the layer shows in both halves; back to single: one full-width view.
    split.set_side(blue, "both")
    _look(canvas)
    img = _img(canvas)
    assert _is(img[H // 2, W // 4], "blue") and _is(img[H // 2, 3 * W // 4], "blue")  # blue drawn after red
    split.set_mode("single")
    assert split.right is None
    assert tuple(canvas.plotter.renderer.GetViewport()) == (0.0, 0.0, 1.0, 1.0)
    img = _img(canvas)
    assert _is(img[H // 2, 3 * W // 4], "blue")


def test_split_follows_rebuilt_actors_and_picks_the_half_clicked(canvas: Canvas) -> None:
    red, blue = _wall("red", (1.0, 0.0, 0.0)), _wall("blue", (0.0, 0.0, 1.0))
    canvas.scene.layers.append(red)
    canvas.scene.layers.append(blue)
    canvas.side_by_side.set_side(red, "left")
    canvas.side_by_side.set_side(blue, "right")
    canvas.side_by_side.set_mode("split")
    _look(canvas)
    blue.color_mode = "class"  # re-creates the visual's actor: still right only
    img = _img(canvas)
    assert not _is(img[H // 2, W // 4], "blue") and not _is(img[H // 2, W // 4], "green")
    assert canvas.pick(3 * W // 4, H // 2).layer is blue
    assert canvas.pick(W // 4, H // 2).layer is red


@pytest.mark.parametrize("kind", ["mesh", "cloud", "octree"])
def test_swipe_clips_left_and_right_sets_at_the_line(canvas: Canvas, kind: str) -> None:
    if kind == "mesh":
        a, b = _wall("red", (1.0, 0.0, 0.0)), _wall("blue", (0.0, 0.0, 1.0))
    else:
        a, b = _cloud("red", (230, 20, 20)), _cloud("blue", (20, 20, 230))
    if kind == "octree":  # level of detail: the drawn nodes (and actors) change with the camera
        from app.model.octree import build_octree

        for layer in (a, b):
            layer.data["octree"] = build_octree(layer.positions, max_points_per_node=2_000)
        canvas.set_point_budget(30_000)
    canvas.scene.layers.append(a)
    canvas.scene.layers.append(b)
    split = canvas.side_by_side
    split.set_side(a, "left")
    split.set_side(b, "right")
    split.set_mode("swipe")
    split.set_swipe_fraction(0.3)
    _look(canvas)
    if kind == "octree":
        drawn = canvas.visuals[id(a)]
        assert drawn.nodes is not None and len(drawn.index) < len(a.positions)
    img = _img(canvas)
    row = H // 2 + 7  # off the line's middle
    assert _is(img[row, int(W * 0.15)], "red") and _is(img[row, int(W * 0.45)], "blue")
    assert not _is(img[row, int(W * 0.45)], "red") and not _is(img[row, int(W * 0.15)], "blue")
    split.set_swipe_fraction(0.6)
    img = _img(canvas)
    assert _is(img[row, int(W * 0.45)], "red") and _is(img[row, int(W * 0.8)], "blue")
    split.set_mode("single")
    assert all(v.actor.GetMapper().GetClippingPlanes() is None
               or v.actor.GetMapper().GetClippingPlanes().GetNumberOfItems() == 0 for v in canvas.visuals.values())


def _slab(bounds: np.ndarray, rgb: tuple[float, float, float]) -> MeshLayer:
    """A wide coloured slab under a layer's bounds: the backdrop that shows where that layer is clipped."""
    (x0, y0, z0), (x1, y1, _z1) = bounds
    pad = 2 * max(x1 - x0, y1 - y0)
    box = pv.Box((x0 - pad, x1 + pad, y0 - pad, y1 + pad, z0 - 60, z0 - 50)).triangulate()
    faces = box.faces.reshape(-1, 4)[:, 1:]
    elements = [ElementInfo(id="slab", ifc_class="IfcSlab", name="slab", properties={}, color=(*rgb, 1.0))]
    return BimLayer(name="slab", data={"vertices": np.asarray(box.points, float), "faces": faces,
                                       "face_element": np.zeros(len(faces), np.int32), "elements": elements})


def test_streamed_tiles_follow_split_and_swipe() -> None:
    from tests.viewers.test_tiles_streaming import settle

    from app.model.opening import build_layers
    from assets.demo.generate import ensure_demo_data

    with offscreen_canvas((W, H)) as canvas:
        [tiles] = build_layers(canvas.scene, str(ensure_demo_data() / "district_lod" / "tileset.json"), stream_tiles=True)
        canvas.scene.layers.append(tiles)
        assert tiles.streamed
        slab = _slab(np.asarray(tiles.bounds()), (0.0, 0.0, 1.0))
        canvas.scene.layers.append(slab)
        split = canvas.side_by_side
        split.set_side(tiles, "left")
        split.set_side(slab, "right")
        b = np.asarray(tiles.bounds())
        centre = (b[0] + b[1]) / 2
        canvas.set_camera(Camera(tuple(centre + [0, 0, 420]), tuple(centre), (0.0, 1.0, 0.0), 30.0))
        settle(canvas)
        img = _img(canvas)
        probes = [(y, x) for y in (H // 3, 2 * H // 3) for x in (int(W * 0.1), int(W * 0.45), int(W * 0.55), int(W * 0.9))]
        assert not any(_is(img[p], "blue") for p in probes)  # the tiles cover the view, over the slab
        split.set_mode("swipe")
        split.set_swipe_fraction(0.3)
        settle(canvas)
        img = _img(canvas)
        assert all(_is(img[y, int(W * 0.45)], "blue") and _is(img[y, int(W * 0.9)], "blue") for y in (H // 3, 2 * H // 3))
        assert not any(_is(img[y, int(W * 0.1)], "blue") for y in (H // 3, 2 * H // 3))
        split.set_mode("split")
        settle(canvas)
        img = _img(canvas)
        assert all(_is(img[y, int(W * 0.9)], "blue") and _is(img[y, int(W * 0.6)], "blue") for y in (H // 3, 2 * H // 3))
        assert not any(_is(img[y, x], "blue") for y in (H // 3, 2 * H // 3) for x in (int(W * 0.1), int(W * 0.4)))


def test_swipe_picks_what_is_drawn_on_each_side(canvas: Canvas) -> None:
    front, back = _wall("front", (1.0, 0.0, 0.0)), _wall("back", (0.0, 0.0, 1.0))
    back.data["vertices"] = back.data["vertices"] + [0.0, 10.0, 0.0]  # behind the front wall
    canvas.scene.layers.append(front)
    canvas.scene.layers.append(back)
    split = canvas.side_by_side
    split.set_side(front, "left")
    split.set_side(back, "right")
    split.set_mode("swipe")
    split.set_swipe_fraction(0.3)
    _look(canvas)
    canvas.render()
    assert canvas.pick(int(W * 0.15), H // 2).layer is front
    assert canvas.pick(int(W * 0.6), H // 2).layer is back  # the front wall is clipped away there


def test_split_drops_a_removed_layer_from_both_halves(canvas: Canvas) -> None:
    red, blue = _wall("red", (1.0, 0.0, 0.0)), _wall("blue", (0.0, 0.0, 1.0))
    canvas.scene.layers.append(red)
    canvas.scene.layers.append(blue)
    split = canvas.side_by_side
    split.set_side(red, "both")
    split.set_side(blue, "right")
    split.set_mode("split")
    _look(canvas)
    assert _is(_img(canvas)[H // 2, 3 * W // 4], "blue")
    canvas.scene.layers.remove(blue)
    img = _img(canvas)
    assert _is(img[H // 2, 3 * W // 4], "red") and _is(img[H // 2, W // 4], "red")
    with pytest.raises(ValueError):
        split.set_side(red, "middle")
    with pytest.raises(ValueError):
        split.set_mode("quad")


def test_pick_marker_follows_its_layer_to_its_side(canvas: Canvas) -> None:
    scan = _cloud("scan", (20, 20, 230))
    canvas.scene.layers.append(scan)
    split = canvas.side_by_side
    split.set_mode("split")  # a scan: right side by default
    _look(canvas)
    canvas.render()
    sel = canvas.pick(3 * W // 4, H // 2)
    assert sel.layer is scan and sel.index >= 0
    canvas.scene.select(sel)
    canvas.render()
    marker = canvas._marker
    assert split.right.HasViewProp(marker) and not canvas.plotter.renderer.HasViewProp(marker)
    split.set_mode("single")
    assert canvas.plotter.renderer.HasViewProp(marker)
