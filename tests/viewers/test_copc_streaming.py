"""A COPC file streamed through the real canvas (off-screen): the root shows at once, a far
camera draws few points, a near one loads deeper nodes, the memory budget holds, a corrupt
chunk is one failed tile while the rest draws, and a picked point tells its attributes."""
from __future__ import annotations

import time
from pathlib import Path

import numpy as np
import pytest
import pyvista as pv

from app.model import Scene, TilesetLayer
from app.model.opening import build_layers
from app.model.scene import Camera
from loaders.copc_tree import STREAMED_LOADER
from tests.loaders.copc_fixture import corrupt_node, make_copc
from tests.viewers.test_tiles_streaming import settle
from viewers import style
from viewers.canvas import Canvas


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return make_copc(tmp_path_factory.mktemp("copc_stream"))


def _open(path: Path):
    scene = Scene()
    start = time.perf_counter()
    [layer] = build_layers(scene, str(path), loader=STREAMED_LOADER, stream_tiles=True)
    plotter = pv.Plotter(off_screen=True, window_size=(400, 300))
    canvas = Canvas(plotter, scene)
    scene.layers.append(layer)
    return scene, layer, canvas, plotter, start


@pytest.fixture()
def streamed(site: Path):
    scene, layer, canvas, plotter, start = _open(site)
    yield scene, layer, canvas, start
    canvas.close()
    plotter.close()


def _enu(visual, index: int) -> np.ndarray:
    return visual.matrix[:3, :3] @ visual.tree.nodes[index].center + visual.matrix[:3, 3]


def _look(canvas: Canvas, target: np.ndarray, offset: tuple[float, float, float]) -> None:
    canvas.set_camera(Camera(tuple(target + np.array(offset)), tuple(target), (0.0, 0.0, 1.0)))
    settle(canvas)


def _lit_pixels(canvas: Canvas, layer) -> int:
    """Pixels that change when the layer is hidden (the background is a gradient)."""
    canvas.render()
    shown = canvas.plotter.screenshot(return_img=True)[:, :, :3].astype(int)
    layer.visible = False
    canvas.tick(render=False)
    canvas.render()
    empty = canvas.plotter.screenshot(return_img=True)[:, :, :3].astype(int)
    layer.visible = True
    canvas.tick(render=False)
    return int((np.abs(shown - empty).sum(axis=2) > 30).sum())


def test_root_node_shows_before_anything_streams(streamed) -> None:
    scene, layer, canvas, start = streamed
    visual = canvas.visuals[id(layer)]
    assert isinstance(layer, TilesetLayer) and layer.streamed and 0 in visual.loaded
    canvas.zoom_to()
    canvas.tick(render=False)
    canvas.render()
    first = time.perf_counter() - start
    first_points = canvas.stats()["points_drawn"]  # the first frame: the root, read at open
    lit = _lit_pixels(canvas, layer)  # (its ticks may upload deeper nodes since)
    print(f"\nCOPC 300k points: first pixels after {first * 1000:.0f} ms, {lit} lit pixels, "
          f"{first_points} points drawn")
    assert lit > 2000 and first_points == visual.tree.entry[0].count


def test_far_few_points_near_deeper_nodes(streamed) -> None:
    scene, layer, canvas, _ = streamed
    visual = canvas.visuals[id(layer)]
    centre = (layer.bounds()[0] + layer.bounds()[1]) / 2
    _look(canvas, centre, (3000.0, -3000.0, 2500.0))
    far = canvas.stats()
    far_depth = max(visual.tree.nodes[i].depth for i in visual.shown)
    leaf = max(range(len(visual.tree.nodes)), key=lambda i: visual.tree.nodes[i].depth)
    _look(canvas, _enu(visual, leaf), (0.0, -40.0, 30.0))
    near = canvas.stats()
    near_depth = max(visual.tree.nodes[i].depth for i in visual.shown)
    print(f"\nfar: {far['points_drawn']} points in {far['tiles_selected']} nodes (depth <= {far_depth}); "
          f"near: {near['points_drawn']} points in {near['tiles_selected']} nodes (depth <= {near_depth})")
    assert far["points_drawn"] < 60_000 and far_depth <= 1
    assert near_depth == visual.tree.nodes[leaf].depth >= 3 and leaf in visual.shown
    assert near["tiles_failed"] == 0 and near["tiles_culled"] > 0  # nodes behind the camera not drawn
    assert near["points_drawn"] > far["points_drawn"]


def test_memory_budget_holds(streamed) -> None:
    scene, layer, canvas, _ = streamed
    visual = canvas.visuals[id(layer)]
    layer.memory_budget_mb = 1.5  # three or four nodes of ~15k points
    deep = [i for i, n in enumerate(visual.tree.nodes) if n.depth == 3]
    for i in deep[:: max(1, len(deep) // 5)]:
        _look(canvas, _enu(visual, i), (0.0, -40.0, 30.0))
        needed = sum(visual.loaded[j].nbytes for j in visual.shown)
        assert visual.cache.total_bytes <= max(visual.cache.budget_bytes, needed)
    assert canvas.stats()["tiles_evicted"] > 0


def test_picked_point_has_its_attributes(streamed) -> None:
    scene, layer, canvas, _ = streamed
    centre = (layer.bounds()[0] + layer.bounds()[1]) / 2
    _look(canvas, centre, (0.0, -5.0, 500.0))
    hits = [canvas.pick(x, y) for x in range(100, 300, 25) for y in range(80, 220, 25)]
    hits = [h for h in hits if h.layer is layer]
    assert hits and {"classification", "intensity", "lat (deg)"} <= set(hits[0].properties)
    assert 1 <= hits[0].properties["classification"] <= 6


def test_corrupt_chunk_is_one_failed_tile(site: Path, tmp_path: Path) -> None:
    bad = tmp_path / "bad.copc.laz"
    key, _ = corrupt_node(site, bad, level=1)
    scene, layer, canvas, plotter, _ = _open(bad)
    try:
        visual = canvas.visuals[id(layer)]
        victim = next(i for i, e in enumerate(visual.tree.entry) if e.key == key)
        _look(canvas, _enu(visual, victim), (0.0, -60.0, 60.0))
        stats = canvas.stats()
        assert stats["tiles_failed"] == 1 and victim in visual.failed and victim not in visual.loaded
        assert 0 in visual.shown and stats["points_drawn"] > 0 and _lit_pixels(canvas, layer) > 1000
        assert any(c.parent == victim for c in (visual.tree.nodes[i] for i in visual.shown))  # its children draw
        assert any("-".join(map(str, key)) in w for w in visual.tree.warnings)
    finally:
        canvas.close()
        plotter.close()


def test_filter_and_colour_by_point_attributes(streamed) -> None:
    """Per-point classification is the tiles' property table: the feature filter and the
    property colour modes of streamed tilesets apply to points as they load."""
    scene, layer, canvas, _ = streamed
    visual = canvas.visuals[id(layer)]
    assert "property:classification" in layer.available_color_modes()
    centre = (layer.bounds()[0] + layer.bounds()[1]) / 2
    _look(canvas, centre, (300.0, -300.0, 300.0))
    total = sum(p.poly.n_points for i in visual.shown for p in visual.loaded[i].parts)
    layer.feature_filter = "classification == 2"
    settle(canvas)
    drawn = [(p.actor.GetMapper().GetInput(), p) for i in visual.shown for p in visual.loaded[i].parts]
    kept = sum(poly.GetNumberOfPoints() for poly, _ in drawn)
    assert 0.08 * total < kept < 0.3 * total  # classes 1-6 drawn uniformly: about a sixth
    for _, part in drawn:
        assert (np.asarray(part.properties["classification"])[part.kept] == 2).all()
    layer.feature_filter = ""
    layer.color_mode = "property:classification"
    settle(canvas)
    assert visual.coloring.numeric is False  # ASPRS classes: their own colours and names, not a ramp
    title, entries = visual.coloring.legend()
    assert title == "classification" and "2 Ground" in [label for label, _ in entries]
    part = next(p for i in visual.shown for p in visual.loaded[i].parts)
    rgba = np.asarray(part.actor.GetMapper().GetInput().GetCellData().GetArray("style RGBA"))
    codes = np.asarray(part.properties["classification"])
    ground = np.flatnonzero(codes == 2)
    if len(ground):
        assert tuple(rgba[ground[0], :3]) == style.ASPRS_RGB[2]
