"""Tile selection (SSE, culling, REPLACE without holes, ADD) and the LRU memory budget, headless."""
from __future__ import annotations

import numpy as np
import pytest

from loaders.tile_tree import open_tile_tree
from tests.viewers.tiles_fixtures import write_quadtree
from viewers.tiles.cache import TileCache
from viewers.tiles.selection import View, screen_space_error, select_tiles


def _view(eye, target=(0, 0, 0), height=600, planes=None) -> View:
    eye, target = np.asarray(eye, float), np.asarray(target, float)
    d = target - eye
    return View(eye, d / np.linalg.norm(d), 60.0, height, planes)


@pytest.fixture(scope="module")
def tree(tmp_path_factory):
    return open_tile_tree(str(write_quadtree(tmp_path_factory.mktemp("q"), 3)))  # 1 + 4 + 16 tiles


def _everything(i: int) -> bool:
    return True


def test_tree_shape_and_error_scaling(tmp_path) -> None:
    t = open_tile_tree(str(write_quadtree(tmp_path / "a", 3)))
    assert len(t.nodes) == 21 and t.georef_kind == "none" and not t.warnings
    assert [len(n.children) for n in t.nodes if n.depth < 2] == [4] * 5
    assert all(n.children == [] for n in t.nodes if n.depth == 2)
    assert t.nodes[0].geometric_error == 125.0 and t.nodes[1].geometric_error == 62.5
    scaled = open_tile_tree(str(write_quadtree(tmp_path / "b", 2, transform=[2, 0, 0, 0, 0, 2, 0, 0, 0, 0, 2, 0, 0, 0, 0, 1])))
    assert scaled.nodes[0].geometric_error == 250.0  # geometricError scales with the transform
    assert scaled.nodes[0].radius == pytest.approx(2 * np.sqrt(500**2 * 2 + 10**2))


def test_large_trees_expand_as_the_view_reaches_them(tmp_path) -> None:
    t = open_tile_tree(str(write_quadtree(tmp_path / "big", 7)))  # 5,461 tiles
    known = len(t.nodes)
    assert known < 5461 and any(n.children is None for n in t.nodes)
    sel = select_tiles(t, _view((-400.0, -400.0, 60.0), (-400.0, -400.0, 0.0)), 16.0, _everything)
    assert len(t.nodes) > known and max(t.nodes[i].depth for i in sel.selected) == 6


def test_sse_formula(tree) -> None:
    root = tree.nodes[0]
    view = _view((0, 0, 20.0 + 1000.0))  # 1000 m above the top of the root box (z 10 +- 10)
    expected = root.geometric_error * 600 / (2 * 1000.0 * np.tan(np.radians(30)))
    assert screen_space_error(root, view) == pytest.approx(expected, rel=1e-6)


def test_sse_threshold_picks_the_level(tree) -> None:
    far = select_tiles(tree, _view((0, 0, 1e6)), 16.0, _everything)
    assert far.selected == [0]
    near = select_tiles(tree, _view((0, 0, 600.0)), 16.0, _everything)
    assert near.selected and all(tree.nodes[i].depth == 2 for i in near.selected) and len(near.selected) == 16
    loose = select_tiles(tree, _view((0, 0, 600.0)), 1e4, _everything)
    assert loose.selected == [0]


def test_frustum_culling_drops_tiles_behind_the_planes(tree) -> None:
    # keep only x >= 10 (one plane): the western half of the tiles is culled
    planes = np.array([[1.0, 0.0, 0.0, -10.0]])
    sel = select_tiles(tree, _view((0, 0, 600.0), planes=planes), 16.0, _everything)
    centres = np.array([tree.nodes[i].center for i in sel.selected])
    assert sel.culled > 0 and len(sel.selected) == 8 and (centres[:, 0] > 0).all()


def test_replace_keeps_the_parent_until_all_visible_children_are_ready(tree) -> None:
    ready = {0}
    sel = select_tiles(tree, _view((0, 0, 600.0)), 16.0, lambda i: i in ready)
    assert sel.selected == [0]  # nothing below is loaded: the root stays (no holes)
    assert {i for _, i in sel.requests} >= set(tree.nodes[0].children)
    assert [tree.nodes[i].depth for _, i in sel.requests][:4] == [1, 1, 1, 1]  # coarse first
    assert 0 in sel.needed
    ready |= set(tree.nodes[0].children[:3])  # three of four children: still the parent
    assert select_tiles(tree, _view((0, 0, 600.0)), 16.0, lambda i: i in ready).selected == [0]
    ready |= set(tree.nodes[0].children)
    sel = select_tiles(tree, _view((0, 0, 600.0)), 16.0, lambda i: i in ready)
    assert sorted(sel.selected) == sorted(tree.nodes[0].children)  # grandchildren not ready yet
    assert 0 not in sel.needed  # the replaced parent may now be evicted
    # a failed child keeps its parent on screen; its siblings do not replace it alone
    sel = select_tiles(tree, _view((0, 0, 600.0)), 16.0, lambda i: i in ready and i != 1, lambda i: i == 1)
    assert sel.selected == [0] and all(i != 1 for _, i in sel.requests)


def test_an_empty_tile_refines_to_the_content_below(tmp_path) -> None:
    import json

    path = write_quadtree(tmp_path / "empty", 2)
    doc = json.loads(path.read_text())
    del doc["root"]["content"]  # roots of city exports often hold nothing
    path.write_text(json.dumps(doc))
    t = open_tile_tree(str(path))
    sel = select_tiles(t, _view((0, 0, 1e6)), 16.0, _everything)
    assert sorted(sel.selected) == [1, 2, 3, 4]  # far away, yet something is drawn


def test_add_refinement_draws_parent_and_children(tmp_path) -> None:
    t = open_tile_tree(str(write_quadtree(tmp_path / "add", 2, refine="ADD")))
    sel = select_tiles(t, _view((0, 0, 400.0)), 16.0, _everything)
    assert sorted(sel.selected) == [0, 1, 2, 3, 4]
    sel = select_tiles(t, _view((0, 0, 400.0)), 16.0, lambda i: i == 0)
    assert sel.selected == [0]  # children are requested while the parent shows


def test_cache_evicts_least_recently_used_but_never_protected() -> None:
    cache = TileCache(budget_bytes=300)
    for i in range(5):
        cache.add(i, 100)
    cache.touch([0])  # 0 is now the most recent
    evicted = cache.evict(protected={1})
    assert evicted == [2, 3] and cache.total_bytes == 300 and 1 in cache and 0 in cache
    assert cache.end_frame() == 1.0
    cache.add(9, 500)
    assert cache.evict(protected={0, 1, 4, 9}) == [] and cache.over_budget  # all needed: kept
    f1 = cache.end_frame()
    f2 = cache.end_frame()
    assert f1 == pytest.approx(1.02) and f2 == pytest.approx(1.02**2)
    cache.remove(9)
    cache.end_frame()
    assert cache.sse_factor == pytest.approx(1.02**2)  # at the budget: held (no flicker at the limit)
    cache.remove(4)
    for _ in range(5):
        cache.end_frame()
    assert cache.sse_factor == 1.0  # well under budget: relaxes back


def test_raised_sse_selects_coarser_tiles(tree) -> None:
    base = select_tiles(tree, _view((0, 0, 600.0)), 16.0, _everything)
    raised = select_tiles(tree, _view((0, 0, 600.0)), 16.0 * 1.02**100, _everything)
    assert len(raised.selected) < len(base.selected)


def test_viewer_request_volume_shows_a_tile_only_from_inside() -> None:
    from tests.conftest import corpus_file

    t = open_tile_tree(str(corpus_file("3dtiles/cesium-samples/1.0/TilesetWithRequestVolume/tileset.json")))
    for i in list(range(len(t.nodes))):
        t.expand(i)
    [inner] = [n for n in t.nodes if n.request_volume is not None]
    centre, radius, _ = inner.request_volume
    up = centre / np.linalg.norm(centre)
    outside = _view(centre + up * 10 * radius + np.cross(up, [0, 0, 1]) * 10 * radius, centre)
    inside = _view(centre + up * 0.01 * radius, centre - up * radius)
    far = select_tiles(t, outside, 16.0, _everything, lambda i: False)
    near = select_tiles(t, inside, 16.0, _everything, lambda i: False)
    assert inner.index not in far.selected  # CesiumJS draws it only while the camera is inside
    assert inner.index in near.selected
