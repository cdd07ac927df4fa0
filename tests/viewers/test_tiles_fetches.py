"""Fetch only what the real view needs: a streamed tileset reads no tile at open and takes no
streaming step with the default camera, so from the framed view (what `render` and the GUI show)
the tiles fetched are exactly the contents selected. ADD refinement skips a child that already
meets the screen-space error at its parent's geometric error, as CesiumJS does."""
from __future__ import annotations

import time

import numpy as np
import pyvista as pv
import pytest

from app.model import Scene
from app.model.opening import build_layers
from loaders.tile_tree import STREAMED_LOADER, TileNode, TileTree
from tests.conftest import corpus_file
from viewers.canvas import Canvas
from viewers.tiles.selection import View, select_tiles


def _settle(canvas: Canvas) -> None:
    start = time.perf_counter()
    while canvas.tick(render=False) and time.perf_counter() - start < 30:
        time.sleep(0.01)
    canvas.tick(render=False)
    canvas.render()


@pytest.mark.corpus
def test_request_volume_tileset_fetches_exactly_the_selected_contents() -> None:
    path = corpus_file("3dtiles/cesium-samples/1.0/TilesetWithRequestVolume/tileset.json")
    scene = Scene()
    [layer] = build_layers(scene, str(path), loader=STREAMED_LOADER, stream_tiles=True)
    tree = layer.data["tree"]
    fetched: list[str] = []
    plain = tree.fetch

    def counting(location: str) -> bytes:
        if not location.lower().endswith(".json"):
            fetched.append(location)
        return plain(location)

    tree.fetch = counting
    plotter = pv.Plotter(off_screen=True, window_size=(400, 300))
    canvas = Canvas(plotter, scene)
    try:
        scene.layers.append(layer)
        canvas.zoom_to(view="iso")
        _settle(canvas)
        visual = canvas.visuals[id(layer)]
        selected = [c for i in visual.shown for c in tree.nodes[i].contents]
        assert selected and sorted(fetched) == sorted(selected)
        assert canvas.stats()["tiles_failed"] == 0
    finally:
        canvas.close()
        plotter.close()


def _node(index: int, parent: int, centre: tuple[float, float, float], ge: float, children=None) -> TileNode:
    return TileNode(index, parent, 0 if parent < 0 else 1, np.eye(4), np.asarray(centre, float), 10.0,
                    np.eye(3) * 10.0, ge, "ADD", [f"t{index}.b3dm"], children, False)


def test_add_refinement_skips_children_already_fine_at_the_parents_error() -> None:
    tree = TileTree.__new__(TileTree)
    tree.nodes = [_node(0, -1, (0, 0, 0), 100.0, [1, 2]),
                  _node(1, 0, (0, 0, 0), 1.0, []),  # at the parent's centre: the parent's error is too coarse there
                  _node(2, 0, (5000, 0, 0), 1.0, [])]  # far: the parent's error already meets the SSE there
    view = View(np.array([0.0, -200.0, 0.0]), np.array([0.0, 1.0, 0.0]), 60.0, 600.0)
    sel = select_tiles(tree, view, 16.0, lambda i: True)
    assert sorted(sel.selected) == [0, 1] and 2 not in sel.needed and sel.culled == 1
