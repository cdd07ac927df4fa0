"""COPC: node-by-node reading, view-dependent queries against laspy's CopcReader, a bad chunk
losing one node only, and the file's own hierarchy used as the scene's LOD octree."""
from __future__ import annotations

import numpy as np
import pytest

import loaders
from loaders.copc import read_copc
from tests.loaders.conftest import corpus_path
from tests.fixtures import mutated_copies

SIMPLE = "pointcloud/laspy/simple.copc.laz"
PAGED = "pointcloud/laspy/simple_with_page.copc.laz"


def _sorted_rows(a: np.ndarray) -> np.ndarray:
    return a[np.lexsort(a.T[::-1])]


def _entries(path) -> list:
    import laspy

    with laspy.CopcReader.open(str(path)) as reader:
        return sorted((e for e in reader.root_page.entries.values() if e.point_count > 0),
                      key=lambda e: (e.key.level, e.key.x, e.key.y, e.key.z))


@pytest.mark.parametrize("name", [SIMPLE, PAGED])
def test_whole_file_equals_laspy(name: str) -> None:
    import laspy

    path = corpus_path(name)
    [cloud] = loaders.load(path)
    las = laspy.read(path)
    assert cloud.format == "LAZ 1.4 COPC" and cloud.metadata["loader"] == "COPC" and not cloud.warnings
    np.testing.assert_allclose(_sorted_rows(cloud.positions), _sorted_rows(np.c_[las.x, las.y, las.z]))
    h = cloud.metadata["hierarchy"]
    assert len(h["level"]) == 65 and h["level"].max() == 3  # both files hold the same 65 nodes
    covered = np.zeros(len(cloud.positions), dtype=int)
    for s, e in zip(h["start"], h["stop"]):
        covered[s:e] += 1
    assert (covered == 1).all()  # every point in exactly one node


def test_points_lie_in_their_node_cube() -> None:
    cloud = read_copc(str(corpus_path(SIMPLE)))
    h = cloud.metadata["hierarchy"]
    for s, e, c, half in zip(h["start"], h["stop"], h["center"], h["half_size"]):
        assert (np.abs(cloud.positions[s:e] - c) <= half + 0.01).all()


def test_bounds_and_resolution_queries_match_laspy() -> None:
    import laspy
    from laspy.copc import Bounds

    path = str(corpus_path(SIMPLE))
    lo, hi = np.array([636000.0, 849000.0]), np.array([637000.0, 851000.0])
    box = read_copc(path, bounds=(lo, hi))
    with laspy.CopcReader.open(path) as reader:
        expected = reader.query(bounds=Bounds(lo, hi))
        coarse = reader.query(resolution=10.0)
    assert len(box.positions) == len(expected) > 0
    assert (box.positions[:, :2] >= lo - 0.01).all() and (box.positions[:, :2] <= hi + 0.01).all()
    res = read_copc(path, resolution=10.0)
    assert len(res.positions) == len(coarse) and res.metadata["hierarchy"]["level"].max() == 2


def test_point_cap_keeps_coarse_levels_and_warns() -> None:
    cloud = read_copc(str(corpus_path(SIMPLE)), max_points=200)
    h = cloud.metadata["hierarchy"]
    assert len(cloud.positions) <= 200 and set(h["level"].tolist()) == {0, 1}
    assert any("loaded levels 0-1" in w for w in cloud.warnings)


def test_a_bad_chunk_loses_that_node_only(tmp_path) -> None:
    src = corpus_path(SIMPLE)
    victim = [e for e in _entries(src) if e.key.level == 2][1]
    data = bytearray(src.read_bytes())
    rng = np.random.default_rng(3)
    mid = victim.offset + victim.byte_size // 3
    data[mid:mid + 8] = rng.integers(0, 256, 8, dtype=np.uint8).tobytes()
    bad = tmp_path / "bad.copc.laz"
    bad.write_bytes(bytes(data))
    [cloud] = loaders.load(bad)
    assert len(cloud.positions) == 1065 - victim.point_count
    assert any("2-" in w and "skipped" in w for w in cloud.warnings)
    h = cloud.metadata["hierarchy"]
    lost = [i for i in range(len(h["level"])) if h["start"][i] == h["stop"][i]]
    assert len(lost) == 1 and h["level"][lost[0]] == 2 and (h["level"] == 3).sum() == 48  # its children still load


def test_hierarchy_entry_outside_the_file_loses_that_node(tmp_path) -> None:
    import struct

    import laspy

    src = corpus_path(SIMPLE)
    with laspy.CopcReader.open(str(src)) as reader:
        root = reader.copc_info.hierarchy_root_offset
    data = bytearray(src.read_bytes())
    struct.pack_into("<Q", data, root + 32 * 5 + 16, 10**12)  # sixth entry's chunk offset
    bad = tmp_path / "bad_entry.copc.laz"
    bad.write_bytes(bytes(data))
    [cloud] = loaders.load(bad)
    assert 1000 < len(cloud.positions) < 1065
    assert any("impossible chunk entry" in w for w in cloud.warnings)


def test_mutated_copc_never_crashes(tmp_path) -> None:
    """Seeded flips anywhere past the header: a cloud (maybe with warnings) or LoadError."""
    import time

    from loaders import LoadError

    data = corpus_path(PAGED).read_bytes()
    start = time.perf_counter()
    for path in mutated_copies(data, tmp_path, ".copc.laz", seed=17, count=40, skip=400):
        try:
            [cloud] = loaders.load(path)
            assert np.isfinite(cloud.positions).all()
        except LoadError as exc:
            assert exc.reason
    assert time.perf_counter() - start < 30


def test_scene_uses_the_copc_hierarchy_as_its_octree() -> None:
    from app.model.scene import Scene
    from viewers.lod import indices_for, select_nodes

    [cloud] = loaders.load(corpus_path(PAGED))
    [layer] = Scene().make_layers(cloud)
    tree = layer.data["octree"]
    assert tree.num_nodes == 65 and tree.num_points == 1065 and tree.max_depth == 3
    assert (np.diff(tree.level) >= 0).all() and tree.parent[0] == -1
    for node in range(1, tree.num_nodes):  # a child's cube lies in its parent's (scene frame)
        p = tree.parent[node]
        assert tree.level[p] == tree.level[node] - 1
        assert np.abs(tree.center[node] - tree.center[p]).max() <= tree.half_size[p] * 1.01
        pts = layer.positions[tree.node_indices(node)]
        assert (np.abs(pts - tree.center[node]).max(initial=0) <= tree.half_size[node] * 1.05 + 1)
    eye = tree.center[0] + np.array([0.0, 0.0, 3 * tree.half_size[0]])
    chosen = select_nodes(tree, eye, [0, 0, -1], 30.0, 600, 300)
    assert tree.point_counts[chosen].sum() <= 300 and chosen[0] == 0
    assert len(np.unique(indices_for(tree, chosen))) == tree.point_counts[chosen].sum()


def test_from_hierarchy_orders_nodes_and_drops_orphans() -> None:
    from app.model.octree import PointOctree

    # nodes given out of order: level-1 children (1,1,0,0) and (1,0,0,0), the root, a level-2 orphan
    level = np.array([1, 1, 0, 2])
    key = np.array([[1, 0, 0], [0, 0, 0], [0, 0, 0], [3, 3, 3]])
    start, stop = np.array([0, 3, 5, 9]), np.array([3, 5, 9, 10])
    center = np.array([[1.5, 0.5, 0.5], [0.5, 0.5, 0.5], [1.0, 1.0, 1.0], [1.75, 1.75, 1.75]])
    half = np.array([0.5, 0.5, 1.0, 0.25])
    tree = PointOctree.from_hierarchy(level, key, start, stop, center, half)
    assert tree.num_nodes == 3 and tree.level.tolist() == [0, 1, 1]
    assert tree.node_indices(0).tolist() == [5, 6, 7, 8]
    assert tree.node_indices(1).tolist() == [3, 4] and tree.node_indices(2).tolist() == [0, 1, 2]  # Morton order
    assert tree.first_child[0] == 1 and tree.child_count[0] == 2 and tree.parent.tolist() == [-1, 0, 0]
    shifted = PointOctree.from_hierarchy(level, key, start, stop, center, half, transform=lambda p: p * 2 + 10)
    np.testing.assert_allclose(shifted.center[0], [12, 12, 12])
    np.testing.assert_allclose(shifted.half_size, tree.half_size * 2)
