"""The section cuts every layer (meshes, clouds, tile actors added later), draws the cut's outline,
and the measurement/annotation overlay draws labels: off-screen pixel probes."""
from __future__ import annotations

import numpy as np
import pytest
import pyvista as pv
import vtk

from app.model import BimLayer, PointCloudLayer
from app.model.annotations import Annotation, Measurement, Section
from tests.fixtures import offscreen_canvas
from viewers.canvas import Canvas
from viewers.section import clip_segments, cut_segments, section_outline


@pytest.fixture
def canvas():
    with offscreen_canvas((400, 300)) as c:
        yield c


def _box_layer(lo=(-10, -10, 0), hi=(10, 10, 20)) -> BimLayer:
    box = pv.Box((lo[0], hi[0], lo[1], hi[1], lo[2], hi[2])).triangulate()
    faces = box.faces.reshape(-1, 4)[:, 1:]
    return BimLayer(name="box", data={"vertices": np.asarray(box.points, float), "faces": faces})


def _pixel(canvas: Canvas, x: int, y: int) -> np.ndarray:
    canvas.render()
    img = canvas.plotter.screenshot(return_img=True)
    return img[img.shape[0] - 1 - y, x, :3].astype(int)


def test_cut_and_clip_segments() -> None:
    layer = _box_layer()
    seg = cut_segments(layer.data["vertices"], layer.data["faces"], np.array([0.0, 0, 10]), np.array([0.0, 0, 1]))
    assert len(seg) == 8 and np.allclose(seg[:, :, 2], 10.0)  # 4 walls x 2 triangles
    assert np.isclose(np.linalg.norm(seg[:, 1] - seg[:, 0], axis=1).sum(), 80.0)  # the square's perimeter
    half = clip_segments(seg, [(np.zeros(3), np.array([1.0, 0, 0]))])  # keep x >= 0
    assert np.isclose(np.linalg.norm(half[:, 1] - half[:, 0], axis=1).sum(), 40.0)
    box = Section.box_from_bounds((0, -20, -5), (20, 20, 10))
    outline = section_outline([(layer.data["vertices"], layer.data["faces"])], box)
    assert len(outline) and (outline[:, :, 0] >= -1e-9).all()


def test_box_hides_the_part_outside_and_follows_new_actors(canvas: Canvas) -> None:
    layer = _box_layer()
    canvas.scene.layers.append(layer)
    canvas.zoom_to(view="top")
    left = _pixel(canvas, 170, 150)
    assert abs(int(left[0]) - int(left[2])) < 40  # the grey roof
    canvas.scene.section = Section.box_from_bounds((0, -50, -50), (50, 50, 50))  # keep x >= 0 only
    cut = _pixel(canvas, 170, 150)
    assert cut[2] > cut[0] + 20, cut  # sky (or ground grid) where the left half was
    assert abs(int(_pixel(canvas, 230, 150)[0]) - int(left[0])) < 30  # the right half stays
    assert canvas.section.outline_actor is not None and len(canvas.section.outline_segments)  # the cut's outline
    cloud = PointCloudLayer(name="pts", data={"positions": np.array([[-5.0, 0, 25], [5.0, 0, 25]]), "colors": None,
                                              "attributes": {}})
    canvas.scene.layers.append(cloud)
    actor = vtk.vtkActor()  # a tile actor arriving while streaming
    actor.SetMapper(vtk.vtkPolyDataMapper())
    canvas.plotter.renderer.AddActor(actor)
    canvas.render()
    for a in (canvas.visuals[id(cloud)].actor, actor, canvas.visuals[id(layer)].actor):
        assert a.GetMapper().GetClippingPlanes().GetNumberOfItems() == 6
    assert canvas._ground is None or canvas._ground.GetMapper().GetClippingPlanes() is None or \
        canvas._ground.GetMapper().GetClippingPlanes().GetNumberOfItems() == 0  # the ground grid stays whole
    canvas.scene.section = None
    assert _pixel(canvas, 170, 150)[0] == pytest.approx(left[0], abs=30)
    assert canvas.visuals[id(layer)].actor.GetMapper().GetClippingPlanes().GetNumberOfItems() == 0
    canvas.plotter.renderer.RemoveActor(actor)


def test_swipe_and_section_share_the_mappers(canvas: Canvas) -> None:
    layer = _box_layer()
    canvas.scene.layers.append(layer)
    canvas.scene.section = Section.box_from_bounds((-5, -5, -5), (5, 5, 30))
    canvas.side_by_side.set_mode("swipe")
    canvas.render()
    canvas.render()
    planes = canvas.visuals[id(layer)].actor.GetMapper().GetClippingPlanes()
    assert planes.GetNumberOfItems() == 6  # 5 of the box (its floor left out) + the swipe's
    assert sum(planes.IsItemPresent(p) > 0 for p in canvas.section.planes) == 5


def test_labels_are_drawn_over_the_scene(canvas: Canvas) -> None:
    canvas.scene.layers.append(_box_layer())
    canvas.zoom_to(view="top")
    canvas.scene.annotations.append(Measurement("distance", [(-10, 0, 20), (10, 0, 20)]))
    canvas.scene.annotations.append(Annotation("Entrance", (0, 5, 20), "#00ff00", "dot"))
    assert canvas.annotations.labels[0].startswith("20.00 m") and canvas.annotations.labels[1] == "Entrance"
    canvas.render()
    img = canvas.plotter.screenshot(return_img=True)
    amber = (img[:, :, 0] > 200) & (img[:, :, 1] > 160) & (img[:, :, 2] < 120)
    assert amber.sum() > 50  # the amber line across the roof
    canvas.scene.annotations.clear()
    assert canvas.annotations.items == []


def test_outline_follows_tiles_that_stream_in(canvas: Canvas) -> None:
    canvas.scene.layers.append(_box_layer())
    canvas.scene.section = Section("plane", origin=(0, 0, 10), normal=(0, 0, -1))  # keep below 10 m
    canvas.render()
    before = len(canvas.section.outline_segments)
    assert before == 8  # the box's four walls, two triangles each
    tile = pv.Box((30, 40, 0, 10, 0, 20)).triangulate()  # a tile's actor, vertices relative to its centre
    centre = np.array([35.0, 5.0, 10.0])
    mapper = vtk.vtkPolyDataMapper()
    mapper.SetInputData(pv.PolyData(np.asarray(tile.points) - centre, tile.faces))
    actor = vtk.vtkActor()
    actor.SetMapper(mapper)
    actor.SetPosition(*centre)
    canvas.plotter.renderer.AddActor(actor)
    canvas.render()
    seg = canvas.section.outline_segments
    assert len(seg) == 16 and np.allclose(seg[8:, :, 2], 10.0) and seg[8:, :, 0].min() >= 30.0 - 1e-9
    canvas.plotter.renderer.RemoveActor(actor)
    canvas.render()
    assert len(canvas.section.outline_segments) == 8
