"""Octree node selection: budget, distance ordering, far cameras and frustum culling."""
from __future__ import annotations

import numpy as np
import pytest

from app.model.octree import PointOctree, build_octree
from viewers.lod import frustum_planes_from_vtk, indices_for, select_nodes


@pytest.fixture(scope="module")
def tree() -> PointOctree:
    """A 1 km x 1 km site, 30 m of relief: 400k points, nodes of at most 5k."""
    p = np.random.default_rng(5).uniform(0.0, 1000.0, (400_000, 3))
    p[:, 2] *= 0.03
    return build_octree(p, max_points_per_node=5_000)


def _select(tree: PointOctree, eye, target, budget: int, **kw) -> np.ndarray:
    eye, target = np.asarray(eye, float), np.asarray(target, float)
    return select_nodes(tree, eye, target - eye, 30.0, 600, budget, **kw)


def test_budget_respected_and_indices_match(tree: PointOctree) -> None:
    for budget in (1_000, 20_000, 60_000, 10**9):
        nodes = _select(tree, (500, -300, 400), (500, 500, 0), budget)
        total = int(tree.point_counts[nodes].sum())
        assert total <= budget
        idx = indices_for(tree, nodes)
        assert idx.dtype == np.int64 and len(idx) == total and len(np.unique(idx)) == total
    assert len(_select(tree, (500, -300, 400), (500, 500, 0), 1_000)) == 0  # the root alone overflows


def test_parents_always_selected_before_children(tree: PointOctree) -> None:
    nodes = _select(tree, (100, 100, 50), (500, 500, 0), 80_000)
    chosen = set(nodes.tolist())
    assert nodes[0] == 0
    for position, node in enumerate(nodes.tolist()):
        if node:
            assert tree.parent[node] in chosen
            assert int(np.flatnonzero(nodes == tree.parent[node])[0]) < position


def test_near_region_is_refined_deeper_than_far_region(tree: PointOctree) -> None:
    nodes = _select(tree, (50, 50, 40), (500, 500, 0), 100_000)
    centers, levels = tree.center[nodes], tree.level[nodes]
    near = levels[(centers[:, 0] < 500) & (centers[:, 1] < 500)]
    far = levels[(centers[:, 0] > 500) & (centers[:, 1] > 500)]
    assert near.max() > (far.max() if len(far) else 0)
    assert tree.point_counts[nodes].sum() > 80_000  # budget-ish: most of it is spent


def test_far_camera_selects_only_the_root(tree: PointOctree) -> None:
    nodes = _select(tree, (500, 500, 1e6), (500, 500, 0), 300_000)
    assert nodes.tolist() == [0]


def test_min_node_px_zero_spends_the_whole_budget(tree: PointOctree) -> None:
    nodes = _select(tree, (500, 500, 1e6), (500, 500, 0), 100_000, min_node_px=0.0)
    assert 100_000 - 5_000 < tree.point_counts[nodes].sum() <= 100_000


def _camera(position, focal):
    import pyvista as pv

    cam = pv.Camera()
    cam.position, cam.focal_point, cam.up = position, focal, (0, 0, 1)
    cam.view_angle = 30.0
    cam.clipping_range = (0.1, 5000)
    return cam


def test_frustum_culling_drops_nodes_behind_the_camera(tree: PointOctree) -> None:
    away = _camera((500, -1200, 20), (500, -1300, 20))  # south of the site, looking further south
    planes = frustum_planes_from_vtk(away, 800 / 600)
    assert planes.shape == (6, 4)
    assert len(select_nodes(tree, away.position, away.direction, 30.0, 600, 300_000, frustum_planes=planes)) == 0

    mid = _camera((500, 500, 20), (500, 600, 20))  # in the middle of the site, looking north
    planes = frustum_planes_from_vtk(mid, 800 / 600)
    seen = select_nodes(tree, mid.position, mid.direction, 30.0, 600, 200_000, frustum_planes=planes)
    free = select_nodes(tree, mid.position, mid.direction, 30.0, 600, 200_000)
    reach = tree.half_size * np.sqrt(3)
    behind = tree.center[:, 1] + reach < 500  # bounding sphere wholly south of the camera
    assert behind[free].any() and not behind[seen].any()
    assert len(seen) > 1


def test_empty_tree_selects_nothing() -> None:
    empty = build_octree(np.zeros((0, 3)))
    assert len(select_nodes(empty, (0, 0, 10), (0, 0, -1), 30, 600, 1000)) == 0
    assert len(indices_for(empty, np.zeros(0, np.int64))) == 0


def test_big_cloud_fills_the_budget() -> None:
    p = np.random.default_rng(2).uniform(0.0, 2000.0, (2_000_000, 3))
    p[:, 2] *= 0.02
    big = build_octree(p)
    nodes = select_nodes(big, (1000, -500, 600), (0, 1.5, -0.6), 45.0, 900, 300_000, min_node_px=1.0)
    total = int(big.point_counts[nodes].sum())
    assert 300_000 - big.max_points_per_node <= total <= 300_000
