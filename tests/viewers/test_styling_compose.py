"""Filters and colour modes compose, in any order, for every layer kind that has both: a filter
that leaves a tile (or a whole layer) with nothing to draw must not break colouring, and a
colour mode chosen under a filter keeps the filter applied (issue 9, item 3)."""
from __future__ import annotations

import warnings

import numpy as np
import pytest
import pyvista as pv

from app.model import BimLayer, Scene
from app.model.opening import open_paths
from loaders.base import ElementInfo
from tests.loaders.test_cityjson import _write, make_cityjson
from tests.model.test_feature_filter import district_tile
from tests.viewers.test_tiles_streaming import _look_at, streamed  # noqa: F401 (fixture)
from viewers.canvas import Canvas

# (filter, numeric colour mode, categorical colour mode) per kind; each filter keeps part of the layer
STEPS = [("filter", "{f}"), ("color", "{num}"), ("color", "{cat}"), ("filter", "{none}"), ("color", "{num}"),
         ("filter", ""), ("color", "{cat}"), ("filter", "{f}"), ("color", "default"), ("color", "{num}")]


def _canvas(scene: Scene) -> Canvas:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        plotter = pv.Plotter(off_screen=True, window_size=(320, 240))
    return Canvas(plotter, scene)


def _bim_layer() -> BimLayer:
    boxes = [pv.Box((i * 30.0, i * 30.0 + 20, 0, 20, 0, h)).triangulate() for i, h in enumerate((20.0, 3.0, 12.0))]
    faces, verts, fe, offset = [], [], [], 0
    for i, b in enumerate(boxes):
        f = b.faces.reshape(-1, 4)[:, 1:] + offset
        faces.append(f)
        verts.append(np.asarray(b.points, float))
        fe.append(np.full(len(f), i, np.int32))
        offset += b.n_points
    elements = [ElementInfo(id=f"{c}{i}" * 11, ifc_class=c, name=f"E{i}", properties={"Q.Height": h})
                for i, (c, h) in enumerate((("IfcWall", 20.0), ("IfcSlab", 3.0), ("IfcWall", 12.0)))]
    return BimLayer(name="bim", data={"vertices": np.vstack(verts), "faces": np.vstack(faces),
                                      "face_element": np.concatenate(fe), "elements": elements})


def _merged(kind: str, tmp_path) -> tuple:
    scene = Scene()
    if kind == "bim":
        return scene, _bim_layer(), {"f": "Q.Height > 10", "none": "Q.Height > 999", "num": "property:Q.Height", "cat": "class"}
    path = district_tile(tmp_path) if kind == "tileset" else _write(tmp_path, make_cityjson())
    [layer] = open_paths(scene, [str(path)], on_error=lambda e: pytest.fail(str(e)))
    if kind == "tileset":
        return scene, layer, {"f": "height > 30", "none": "height > 9999", "num": "property:height", "cat": "property:use"}
    return scene, layer, {"f": 'name == "Depot"', "none": 'name == "nobody"', "num": "property:measuredHeight",
                          "cat": "class"}


def _expected_cells(layer) -> int:
    fe = np.asarray(layer.data["face_element"])
    return int((~layer.not_drawn_mask()[fe]).sum())


@pytest.mark.parametrize("kind", ["tileset", "citymodel", "bim"])
def test_merged_layers_filter_and_colour_in_any_order(kind: str, tmp_path) -> None:
    scene, layer, words = _merged(kind, tmp_path)
    assert {words["num"], words["cat"]} <= set(layer.available_color_modes())
    canvas = _canvas(scene)
    try:
        scene.layers.append(layer)
        for what, template in STEPS:
            value = template.format(**words)
            if what == "filter":
                layer.feature_filter = value
            else:
                layer.color_mode = value
            canvas.render()
            visual = canvas.visuals[id(layer)]
            assert layer.feature_filter == (value if what == "filter" else layer.feature_filter)
            assert visual.mesh.n_cells == _expected_cells(layer), (what, value)  # the filter stays applied
            if visual.mesh.n_cells and layer.color_mode == words["cat"]:
                assert "RGBA" in visual.mesh.cell_data and canvas.legends.titles()  # categories drawn, with a legend
            if visual.mesh.n_cells and layer.color_mode == words["num"]:
                assert visual.actor.GetMapper().GetScalarVisibility()
        assert layer.filter_counts()[0] > 0 and canvas.stats()["triangles_drawn"] == _expected_cells(layer)
    finally:
        canvas.close()
        canvas.plotter.close()


def _building_parts(visual):
    return [p for i in visual.shown for p in visual.loaded[i].parts if p.cell_feature is not None and "height" in p.properties]


@pytest.mark.parametrize("first", ["filter", "colour"])
def test_streamed_tiles_filter_and_colour_in_any_order(streamed, first: str) -> None:  # noqa: F811
    scene, layer, canvas = streamed
    centre = (layer.bounds()[0] + layer.bounds()[1]) / 2
    _look_at(canvas, centre, (0.0, -300.0, 700.0))
    visual = canvas.visuals[id(layer)]
    order = [("feature_filter", "height > 9999"), ("color_mode", "property:use")]  # every building filtered away
    order = order if first == "filter" else order[::-1]
    for name, value in order + [("color_mode", "property:height"), ("feature_filter", "height > 40"),
                                ("color_mode", "property:use"), ("color_mode", "property:year")]:
        setattr(layer, name, value)
        canvas.tick(render=False)
        canvas.render()
        for part in _building_parts(visual):
            heights = np.asarray(part.properties["height"], dtype=float)[part.cell_feature]
            limit = float(layer.feature_filter.split(">")[1]) if layer.feature_filter else -np.inf
            poly = part.actor.GetMapper().GetInput()
            assert poly.GetNumberOfCells() == int((heights > limit).sum())  # the filter is applied
            if poly.GetNumberOfCells():  # and what is left is coloured by the current mode
                array = "style RGBA" if layer.color_mode == "property:use" else "style value"
                assert poly.GetCellData().GetArray(array) is not None, (name, value)
    assert layer.feature_filter == "height > 40" and layer.color_mode == "property:year"
    assert any(p.actor.GetMapper().GetInput().GetNumberOfCells() for p in _building_parts(visual))
