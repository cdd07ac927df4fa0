"""Point-cloud LOD benchmarks: octree build, per-frame selection, and the headline ratio.

Frame cost must follow the point budget, not the file size: a 10M-point cloud drawn through
the octree at a 300k budget should render about as fast as a 300k-point cloud drawn whole.
Figures are printed as markdown rows; only gross regressions fail.
"""
from __future__ import annotations

import statistics
import time

import numpy as np
import pytest

from app.model.octree import PointOctree, build_octree
from viewers.lod import frustum_planes_from_vtk, indices_for, select_nodes

BUDGET = 300_000
SIZE = (800, 600)
EYE, FOCUS = (1000.0, -700.0, 900.0), (1000.0, 1000.0, 0.0)


def _site(n: int, seed: int = 21) -> np.ndarray:
    """A 2 km x 2 km site with 40 m of relief (seeded)."""
    p = np.random.default_rng(seed).uniform(0.0, 2000.0, (n, 3))
    p[:, 2] = 40.0 * np.sin(p[:, 0] / 300.0) * np.cos(p[:, 1] / 250.0) + p[:, 2] * 0.002
    return p


@pytest.fixture(scope="module")
def cloud_10m() -> np.ndarray:
    return _site(10_000_000)


@pytest.fixture(scope="module")
def tree_10m(cloud_10m: np.ndarray) -> PointOctree:
    t0 = time.perf_counter()
    tree = build_octree(cloud_10m)
    dt = time.perf_counter() - t0
    print(f"\n| octree build, 10M points | {dt:.2f} s | {10 / dt:.1f} M pts/s, {tree.num_nodes} nodes, depth {tree.level.max()} |")
    return tree


def test_octree_build_2m() -> None:
    p = _site(2_000_000, seed=22)
    times = []
    for _ in range(3):
        t0 = time.perf_counter()
        tree = build_octree(p)
        times.append(time.perf_counter() - t0)
    dt = min(times)
    print(f"\n| octree build, 2M points (best of 3) | {dt:.2f} s | {2 / dt:.1f} M pts/s, {tree.num_nodes} nodes |")
    assert dt < 20


def test_selection_time_per_frame(tree_10m: PointOctree) -> None:
    eye = np.array(EYE)
    times, counts = [], []
    for k in range(20):  # a short orbit: a fresh camera every frame
        a = 2 * np.pi * k / 20
        cam = eye + np.array([600 * np.cos(a), 600 * np.sin(a), 0.0])
        t0 = time.perf_counter()
        nodes = select_nodes(tree_10m, cam, np.array(FOCUS) - cam, 30.0, SIZE[1], BUDGET)
        idx = indices_for(tree_10m, nodes)
        times.append(time.perf_counter() - t0)
        counts.append(len(idx))
    print(f"\n| node selection + indices, 10M points, budget 300k | {1000 * statistics.median(times):.1f} ms/frame "
          f"| {int(np.median(counts)):,} points, {len(nodes)} nodes |")
    assert max(counts) <= BUDGET


def _render_ms(points: np.ndarray, frames: int = 5) -> float:
    import pyvista as pv

    plotter = pv.Plotter(off_screen=True, window_size=SIZE)
    try:
        mesh = pv.PolyData(points.astype(np.float32))
        mesh.point_data["Elevation (m)"] = mesh.points[:, 2]
        plotter.add_mesh(mesh, scalars="Elevation (m)", point_size=3.0, lighting=False, render=False,
                         show_scalar_bar=False)
        plotter.camera.position, plotter.camera.focal_point, plotter.camera.up = EYE, FOCUS, (0, 0, 1)
        plotter.camera.view_angle = 30.0
        plotter.render_window.Render()  # first frame uploads buffers: not timed
        times = []
        for k in range(frames):
            plotter.camera.Azimuth(0.5)  # a moved camera, so every frame really redraws
            t0 = time.perf_counter()
            plotter.render_window.Render()
            times.append(time.perf_counter() - t0)
        return 1000 * statistics.median(times)
    finally:
        plotter.close()


def test_frame_time_bounded_by_budget(cloud_10m: np.ndarray, tree_10m: PointOctree) -> None:
    import pyvista as pv

    cam = pv.Camera()
    cam.position, cam.focal_point, cam.up, cam.view_angle = EYE, FOCUS, (0, 0, 1), 30.0
    cam.clipping_range = (1.0, 10_000.0)
    planes = frustum_planes_from_vtk(cam, SIZE[0] / SIZE[1])
    nodes = select_nodes(tree_10m, np.array(EYE), np.array(FOCUS) - np.array(EYE), 30.0, SIZE[1], BUDGET,
                         frustum_planes=planes)
    lod_points = cloud_10m[indices_for(tree_10m, nodes)]
    whole = _site(BUDGET, seed=23)
    uniform = cloud_10m[np.random.default_rng(0).choice(len(cloud_10m), BUDGET, replace=False)]
    runs: dict[str, list[float]] = {"whole": [], "lod": [], "uniform": []}
    for _ in range(3):  # interleaved, so warm-up and machine noise fall on every variant alike
        for name, pts in (("whole", whole), ("lod", lod_points), ("uniform", uniform)):
            runs[name].append(_render_ms(pts))
    ms = {name: statistics.median(v) for name, v in runs.items()}
    ratio = ms["lod"] / ms["whole"]
    print(f"\n| render 300k-point cloud drawn whole, 800x600 | {ms['whole']:.1f} ms/frame | baseline |")
    print(f"| render 10M-point cloud via octree, budget 300k | {ms['lod']:.1f} ms/frame | {len(lod_points):,} points drawn, {len(nodes)} nodes |")
    print(f"| render 10M-point cloud, uniform 300k subsample (today's budget_indices) | {ms['uniform']:.1f} ms/frame | |")
    print(f"| frame-time ratio 10M (LOD) / 300k (whole) | {ratio:.2f}x | |")
    assert len(lod_points) <= BUDGET
    assert ratio < 3
