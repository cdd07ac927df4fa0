"""Streaming the demo LOD tileset through the real canvas (off-screen): coarse tiles first, deeper
tiles as the camera comes close, replaced parents unloaded, the memory budget held, picking."""
from __future__ import annotations

import time

import numpy as np
import pytest
import pyvista as pv

from app.model import Scene, TilesetLayer
from app.model.opening import build_layers
from app.model.scene import Camera, Selection
from assets.demo.generate import ensure_demo_data
from loaders.tile_tree import STREAMED_LOADER
from viewers import style
from viewers.canvas import Canvas


def settle(canvas: Canvas, limit_s: float = 20.0) -> None:
    """Tick until no tile is pending, then draw (what the GUI's timers do)."""
    start = time.perf_counter()
    while canvas.tick(render=False) and time.perf_counter() - start < limit_s:
        time.sleep(0.01)
    canvas.tick(render=False)
    canvas.render()


@pytest.fixture()
def streamed():
    scene = Scene()
    [layer] = build_layers(scene, str(ensure_demo_data() / "district_lod" / "tileset.json"), stream_tiles=True)
    plotter = pv.Plotter(off_screen=True, window_size=(400, 300))
    canvas = Canvas(plotter, scene)
    scene.layers.append(layer)
    yield scene, layer, canvas
    canvas.close()
    plotter.close()


def _enu(visual, index: int) -> np.ndarray:
    c = visual.tree.nodes[index].center
    return visual.matrix[:3, :3] @ c + visual.matrix[:3, 3]


def _look_at(canvas: Canvas, target: np.ndarray, offset: tuple[float, float, float]) -> None:
    canvas.set_camera(Camera(tuple(target + np.array(offset)), tuple(target), (0.0, 0.0, 1.0)))
    settle(canvas)


def test_streamed_layer_is_placed_and_reads_no_tile_before_the_view_asks(streamed) -> None:
    scene, layer, canvas = streamed
    assert isinstance(layer, TilesetLayer) and layer.streamed and layer.source["loader"] == STREAMED_LOADER
    assert not layer.data["preloaded"] and layer.counts()["tiles"] == 22
    assert canvas.stats()["tiles_pending"] == 0 and canvas.stats()["tiles_loaded"] == 0  # no step with the default camera
    b = layer.bounds()
    assert b is not None and np.all(np.abs(b) < 700) and b[0][2] > -60  # ENU metres round the origin
    lat, lon, _ = scene.frame.origin_lla
    assert abs(lat - 30.5928) < 0.01 and abs(lon - 114.3055) < 0.01


def test_camera_approach_loads_deeper_tiles_and_unloads_parents(streamed) -> None:
    scene, layer, canvas = streamed
    visual = canvas.visuals[id(layer)]
    layer.memory_budget_mb = 0.29  # terrain (~290 kB) plus a few buildings: eviction must happen
    centre = (layer.bounds()[0] + layer.bounds()[1]) / 2
    _look_at(canvas, centre, (2500.0, -2500.0, 2000.0))
    far = {visual.tree.nodes[i].depth for i in visual.shown}
    assert max(far) <= 1 and canvas.stats()["tiles_selected"] >= 2  # terrain + coarse blocks
    first_quadrant = visual.tree.nodes[2].children[0]
    near = _enu(visual, first_quadrant)
    _look_at(canvas, near, (20.0, -60.0, 60.0))
    depths = {visual.tree.nodes[i].depth for i in visual.shown}
    assert 3 in depths and 2 not in visual.shown  # full detail drawn; the blocks tile replaced
    stats = canvas.stats()
    assert stats["tiles_loaded"] >= 4 and stats["tiles_failed"] == 0 and stats["triangles_drawn"] > 0
    assert stats["tiles_geometry_bytes"] == visual.cache.total_bytes
    other = visual.tree.nodes[2].children[2]
    _look_at(canvas, _enu(visual, other), (20.0, -60.0, 60.0))
    assert any(visual.tree.nodes[i].parent == other for i in visual.shown)
    # replaced parents and the first quadrant's detail are unloaded; the blocks tile (3 kB) may
    # come back for a moment as the fallback while the new detail loads, and then fits the budget
    assert first_quadrant not in visual.loaded
    assert not set(visual.tree.nodes[first_quadrant].children) & set(visual.loaded)
    assert canvas.stats()["tiles_evicted"] > 0
    needed = sum(visual.loaded[i].nbytes for i in visual.shown)
    assert visual.cache.total_bytes <= max(visual.cache.budget_bytes, needed)  # budget holds


def test_pick_a_building_gives_its_feature_properties(streamed) -> None:
    scene, layer, canvas = streamed
    visual = canvas.visuals[id(layer)]
    quadrant = visual.tree.nodes[2].children[0]
    _look_at(canvas, _enu(visual, quadrant), (0.0, -1.0, 700.0))  # from above: roofs
    hits = []
    for x in range(20, 400, 20):
        for y in range(20, 300, 20):
            sel = canvas.pick(x, y)
            if sel.layer is layer and "height" in sel.properties:
                hits.append((sel, x, y))
    assert hits, "no building under any probe"
    props = hits[0][0].properties
    assert {"use", "year", "name", "feature", "lat (deg)"} <= set(props) and hits[0][0].index >= 0
    picked = canvas.pick(hits[-1][1], hits[-1][2])
    scene.select(picked)  # the canvas tints the picked building in place
    part = visual._picked[0]
    tinted = np.all(np.asarray(part.poly.point_data["RGBA"])[:, :3] == style.HIGHLIGHT_RGB, axis=1)
    faces = np.asarray(part.poly.faces).reshape(-1, 4)[:, 1:]
    assert tinted.any() and set(np.unique(part.cell_feature[tinted[faces].any(axis=1)])) == {picked.index}
    scene.select(Selection())
    assert not np.all(np.asarray(part.poly.point_data["RGBA"])[:, :3] == style.HIGHLIGHT_RGB, axis=1).any()


def test_broken_child_keeps_the_parent(tmp_path) -> None:
    from tests.viewers.tiles_fixtures import write_quadtree

    path = write_quadtree(tmp_path / "q", 2, missing={"t1_0_0.b3dm"})
    scene = Scene()
    [layer] = build_layers(scene, str(path), loader=STREAMED_LOADER, stream_tiles=True)
    plotter = pv.Plotter(off_screen=True, window_size=(400, 300))
    canvas = Canvas(plotter, scene)
    try:
        scene.layers.append(layer)
        _look_at(canvas, np.array([0.0, 0.0, 0.0]), (0.0, -1.0, 500.0))
        visual = canvas.visuals[id(layer)]
        stats = canvas.stats()
        assert stats["tiles_failed"] == 1 and visual.shown == {0}  # the root stays: no hole
        assert any("t1_0_0.b3dm" in w for w in visual.tree.warnings)
    finally:
        canvas.close()
        plotter.close()
