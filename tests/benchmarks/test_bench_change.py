"""ICP refinement and M3C2 change: time and quality on simulated scans (figures for the README).

ICP: a two-station scan of scan_sim.simple_site() (about 200k points, 3 mm noise) moved 2 deg and
0.37 m off its design, refined against the design surfaces with small_gicp (and with the scipy
point-to-plane fallback); error = largest distance of a point from where it belongs.
M3C2: two epochs of the same site (Column A removed, a pallet added), N points each
(TWINSCAPE_BENCH_CHANGE_POINTS, default 1,000,000), stations known; default settings
(100k core points, 200k new/removed candidates per epoch). Times include everything the call does.
"""
from __future__ import annotations

import os
import time

import numpy as np

from app.analysis.change import m3c2_change
from app.analysis.registration import register
from tests import scan_sim

N_POINTS = int(os.environ.get("TWINSCAPE_BENCH_CHANGE_POINTS", "1000000"))
STATIONS = np.array([(2.0, 2.0, 1.5), (8.0, 6.0, 1.5)])


def _offset(points: np.ndarray) -> np.ndarray:
    a = np.radians(2.0)
    r = np.array([[np.cos(a), -np.sin(a), 0], [np.sin(a), np.cos(a), 0], [0, 0, 1]])
    c = np.array([5.0, 4.0, 1.0])
    return (points - c) @ r.T + c + np.array([0.3, -0.2, 0.05])    # 0.37 m


def test_bench_icp() -> None:
    mesh = scan_sim.mesh_from_boxes(scan_sim.simple_site())
    scan = scan_sim.simulate_scan(mesh, STATIONS, target_points=170_000, sigma=0.003, seed=1)
    moved = _offset(scan.points)
    for method in ("small_gicp", "scipy"):
        t0 = time.perf_counter()
        r = register(moved, reference_mesh=(mesh.vertices, mesh.triangles), method=method)
        dt = time.perf_counter() - t0
        back = moved @ r.transform[:3, :3].T + r.transform[:3, 3]
        err = np.linalg.norm(back - scan.points, axis=1)
        print(f"\nICP {method}: {len(scan):,} points, {dt:.2f} s, RMS {r.rms_before * 1000:.1f} -> "
              f"{r.rms_after * 1000:.2f} mm, max error {err.max() * 1000:.2f} mm")
        assert err.max() < 0.01


def test_bench_m3c2() -> None:
    site = scan_sim.simple_site()
    pallet = scan_sim.BoxElement(8, "Pallet", "IfcBuildingElementProxy", (7.5, 1.5, 0.0), (8.5, 2.5, 0.8))
    later = scan_sim.as_built(site, omit=["Column A"]) + [pallet]
    per_station = int(N_POINTS / 2 / 0.85)                     # about 15% of the rays leave through the roof
    s1 = scan_sim.simulate_scan(scan_sim.mesh_from_boxes(site), STATIONS, target_points=per_station, seed=1)
    s2 = scan_sim.simulate_scan(scan_sim.mesh_from_boxes(later), STATIONS, target_points=per_station, seed=2)
    t0 = time.perf_counter()
    r = m3c2_change(s1.points, s2.points, stations_before=STATIONS, stations_after=STATIONS)
    dt = time.perf_counter() - t0
    s = r.summary()
    print(f"\nM3C2: {len(s1):,} + {len(s2):,} points, {s['core_points']:,} core points, {dt:.1f} s; "
          f"{s['significant']:,} significant, {s['new_points']:,} new, {s['removed_points']:,} removed, "
          f"median LoD {s['lod_m']['median'] * 1000:.1f} mm")
    assert s["significant"] > 0 and s["new_points"] > 0 and s["removed_points"] > 0
