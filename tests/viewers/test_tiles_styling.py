"""Streamed tiles filtered and coloured by their features' properties: each tile on its own
batch table, every tile on one colour scale (tileset.json's declared ranges), picks still
reaching the right feature after a filter dropped cells."""
from __future__ import annotations

import numpy as np
import pytest

from tests.viewers.test_tiles_streaming import _look_at, streamed  # noqa: F401 (fixture)


@pytest.fixture()
def near_detail(streamed):
    scene, layer, canvas = streamed
    centre = (layer.bounds()[0] + layer.bounds()[1]) / 2
    _look_at(canvas, centre, (0.0, -300.0, 700.0))  # the whole district at full detail
    return scene, layer, canvas, canvas.visuals[id(layer)]


def _building_parts(visual):
    return [p for i in visual.shown for p in visual.loaded[i].parts
            if p.cell_feature is not None and "height" in p.properties]


def test_colour_modes_come_from_the_tileset_before_tiles_load(near_detail) -> None:
    _, layer, _, visual = near_detail
    modes = layer.available_color_modes()
    assert {"property:height", "property:use", "property:year"} <= set(modes)
    lo, hi = visual.tree.properties["height"]
    assert 0 < lo < hi < 300


def test_filter_drops_cells_per_tile_and_picks_map_back(near_detail) -> None:
    _, layer, canvas, visual = near_detail
    parts = _building_parts(visual)
    assert parts, "no full-detail building tiles were drawn"
    before = canvas.stats()["triangles_drawn"]
    layer.feature_filter = "height > 40"
    canvas.tick(render=False)
    drawn_cells = 0
    for part in parts:
        heights = np.asarray(part.properties["height"], dtype=float)
        want = heights[part.cell_feature] > 40
        poly = part.actor.GetMapper().GetInput()
        assert poly.GetNumberOfCells() == int(want.sum())
        drawn_cells += poly.GetNumberOfCells()
        if part.kept is not None and len(part.kept):  # the last drawn cell picks its own feature
            sel = visual.describe_actor_pick(part.actor, poly.GetNumberOfCells() - 1, np.zeros(3))
            assert sel.properties["height"] > 40
    assert 0 < drawn_cells
    layer.feature_filter = "height >"  # invalid: everything drawn again, no exception
    canvas.tick(render=False)
    assert all(p.actor.GetMapper().GetInput().GetNumberOfCells() == p.poly.n_cells for p in parts)
    layer.feature_filter = ""
    canvas.tick(render=False)
    canvas.render()
    assert canvas.stats()["triangles_drawn"] == before


def test_colour_by_number_shares_one_range_and_categories_get_a_legend(near_detail) -> None:
    _, layer, canvas, visual = near_detail
    layer.color_mode = "property:height"
    parts = _building_parts(visual)
    declared = visual.tree.properties["height"]
    for part in parts:
        mapper = part.actor.GetMapper()
        assert mapper.GetScalarVisibility() and tuple(mapper.GetScalarRange()) == pytest.approx(declared)
        values = np.asarray(part.actor.GetMapper().GetInput().GetCellData().GetArray("style value"))
        assert np.nanmax(values) <= declared[1] and np.nanmin(values) >= declared[0]
    canvas.render()
    assert canvas.legends.titles() == [f"{layer.name}: height"]
    layer.color_mode = "property:use"
    canvas.render()
    assert canvas.legends.titles() == [f"{layer.name}: use"]
    title, entries = visual.coloring.legend()
    uses = {u for p in parts for u in p.properties["use"]}
    assert title == "use" and {label for label, _ in entries} == uses
    colours = {label: rgb for label, rgb in entries}
    for part in parts[:3]:  # a category has one colour in every tile
        rgba = np.asarray(part.actor.GetMapper().GetInput().GetCellData().GetArray("style RGBA"))
        for cell in (0, len(rgba) - 1):
            use = part.properties["use"][part.cell_feature[cell]]
            assert tuple(rgba[cell, :3]) == tuple(colours[use])
    canvas.render()
