"""The LOD octree: every point in exactly one node, coarse nodes cover their region, fast paths for odd input."""
from __future__ import annotations

import numpy as np
import pytest

from app.model.octree import PointOctree, build_octree
from loaders.base import LoadCancelled


def _cloud(n: int, seed: int = 3) -> np.ndarray:
    p = np.random.default_rng(seed).uniform(0.0, 100.0, (n, 3))
    p[:, 2] *= 0.2
    return p


def _check_partition(tree: PointOctree, n: int) -> None:
    assert tree.order.dtype == np.int64
    assert np.array_equal(np.sort(tree.order), np.arange(n))
    assert tree.start[0] == 0 and tree.stop[-1] == n
    assert np.array_equal(tree.start[1:], tree.stop[:-1])  # contiguous slices, in node order


def test_every_point_in_exactly_one_node_and_node_sizes_bounded() -> None:
    tree = build_octree(_cloud(60_000), max_points_per_node=1_000)
    _check_partition(tree, 60_000)
    counts = tree.point_counts
    assert (counts >= 1).all()
    assert (counts[tree.level < tree.max_depth] <= 1_000).all()
    assert tree.num_nodes > 9 and tree.level.max() >= 2


def test_children_lie_inside_parent_and_points_inside_their_node() -> None:
    p = _cloud(30_000)
    tree = build_octree(p, max_points_per_node=500)
    for node in range(1, tree.num_nodes):
        parent = tree.parent[node]
        assert tree.level[node] == tree.level[parent] + 1
        assert tree.half_size[node] == pytest.approx(tree.half_size[parent] / 2)
        assert (np.abs(tree.center[node] - tree.center[parent]) <= tree.half_size[parent] / 2 + 1e-9).all()
        assert node in tree.children(parent)
    for node in range(tree.num_nodes):
        pts = p[tree.node_indices(node)]
        assert (np.abs(pts - tree.center[node]) <= tree.half_size[node] * (1 + 1e-9) + 1e-9).all()


def test_root_subsample_covers_all_octants_evenly() -> None:
    p = np.random.default_rng(8).uniform(-1.0, 1.0, (80_000, 3))
    tree = build_octree(p, max_points_per_node=2_000)
    root = p[tree.node_indices(0)]
    assert len(root) == 2_000
    octant = (root > tree.center[0]).astype(int) @ np.array([1, 2, 4])
    per_octant = np.bincount(octant, minlength=8)
    assert (per_octant > 2_000 / 8 * 0.7).all(), per_octant


def test_deterministic() -> None:
    p = _cloud(20_000)
    a, b = build_octree(p, max_points_per_node=700), build_octree(p.copy(), max_points_per_node=700)
    for name in ("order", "level", "center", "half_size", "start", "stop", "parent", "first_child", "child_count"):
        assert np.array_equal(getattr(a, name), getattr(b, name)), name


def test_cancel_raises_load_cancelled_and_progress_reaches_one() -> None:
    with pytest.raises(LoadCancelled):
        build_octree(_cloud(5_000), cancel=lambda: True)
    seen: list[float] = []
    build_octree(_cloud(5_000), progress=lambda f, msg: seen.append(f))
    assert seen[0] == 0.0 and seen[-1] == 1.0 and seen == sorted(seen)


def test_empty_and_single_point() -> None:
    empty = build_octree(np.zeros((0, 3)))
    assert empty.num_points == 0 and empty.num_nodes == 1 and empty.point_counts[0] == 0
    one = build_octree(np.array([[1.0, 2.0, 3.0]]))
    _check_partition(one, 1)
    assert one.num_nodes == 1 and one.half_size[0] > 0
    assert np.allclose(one.center[0], [1, 2, 3])


def test_identical_points_stop_at_max_depth() -> None:
    p = np.full((5_000, 3), 7.0)
    tree = build_octree(p, max_points_per_node=1_000, max_depth=6)
    _check_partition(tree, 5_000)
    assert tree.level.max() <= 6
    assert (tree.point_counts[tree.level < 6] <= 1_000).all()


def test_flat_cloud() -> None:
    p = _cloud(20_000)
    p[:, 2] = 4.0
    tree = build_octree(p, max_points_per_node=1_000)
    _check_partition(tree, 20_000)
    assert (tree.point_counts[tree.level < tree.max_depth] <= 1_000).all()
    assert len(np.unique(tree.center[tree.level == 2][:, 2])) <= 2  # one layer of cells in z


@pytest.mark.parametrize("bad", [np.nan, np.inf])
def test_non_finite_rejected(bad: float) -> None:
    p = _cloud(100)
    p[10, 1] = bad
    with pytest.raises(ValueError):
        build_octree(p)


def test_bad_shape_and_parameters_rejected() -> None:
    with pytest.raises(ValueError):
        build_octree(np.zeros((5, 2)))
    with pytest.raises(ValueError):
        build_octree(_cloud(10), max_depth=40)
    with pytest.raises(ValueError):
        build_octree(_cloud(10), max_points_per_node=0)
