"""Sunlight hours benchmark (`make bench`): a ~50k-triangle district, 15-minute steps over the whole
winter-solstice day, 1 m ground grid plus facades, against open3d's raw ray throughput measured in
the same run on the same ray scene (the ratio is what the README quotes; no timed assertion
beyond a gross-regression floor).
"""
from __future__ import annotations

import time
from datetime import date, time as dtime

import numpy as np

from app.analysis.rays import MeshPart, RayScene
from app.analysis.sunlight import SunlightParams, compute_sunlight, sun_directions


def district(seed: int = 14) -> list[MeshPart]:
    """Rolling terrain (300 x 300 m, 2 m cells: 45,000 triangles) and 64 towers whose walls are
    split per floor (as BIM and city models are): about 50,000 triangles in all."""
    rng = np.random.default_rng(seed)
    n = 150
    xs = np.linspace(-150, 150, n + 1)
    gx, gy = np.meshgrid(xs, xs)
    gz = 2.0 * np.sin(gx / 40.0) * np.cos(gy / 55.0)
    v = np.column_stack([gx.ravel(), gy.ravel(), gz.ravel()])
    i = np.arange(n)
    a = (i[:, None] * (n + 1) + i[None, :]).ravel()
    f = np.concatenate([np.column_stack([a, a + 1, a + n + 2]), np.column_stack([a, a + n + 2, a + n + 1])])
    parts = [MeshPart("terrain", v, f)]
    for bx in np.linspace(-120, 120, 8):
        for by in np.linspace(-120, 120, 8):
            w, d = rng.uniform(12, 22, 2)
            floors = int(rng.integers(3, 30))
            parts.append(tower(bx, by, w, d, floors, 3.0, z0=-1.0))
    return parts


def tower(cx: float, cy: float, w: float, d: float, floors: int, storey: float, z0: float) -> MeshPart:
    corners = np.array([[cx - w / 2, cy - d / 2], [cx + w / 2, cy - d / 2], [cx + w / 2, cy + d / 2], [cx - w / 2, cy + d / 2]])
    verts, faces = [], []
    for k in range(floors + 1):
        verts.extend([[x, y, z0 + k * storey] for x, y in corners])
    for k in range(floors):
        for s in range(4):
            a, b = 4 * k + s, 4 * k + (s + 1) % 4
            faces.extend([[a, b, b + 4], [a, b + 4, a + 4]])
    top = 4 * floors
    faces.extend([[top, top + 1, top + 2], [top, top + 2, top + 3], [0, 2, 1], [0, 3, 2]])
    return MeshPart("tower", np.array(verts, dtype=np.float64), np.array(faces, dtype=np.int64))


def test_sunlight_hours_district_against_raw_ray_throughput() -> None:
    import open3d as o3d

    parts = district()
    triangles = sum(len(p.faces) for p in parts)
    p = SunlightParams(day=date(2026, 12, 21), start=dtime(0, 0), end=dtime(23, 59), solar_time=False,
                       step_minutes=15, grid_m=1.0, area=(-150, -150, 150, 150))
    t0 = time.perf_counter()
    result = compute_sunlight(parts, p)
    ours_s = time.perf_counter() - t0
    ours_rate = result.rays / ours_s  # everything: ray scene, sampling, sun positions, casting, summing

    # open3d alone on the same scene: the same number of rays, from the same points to the same suns
    rs = RayScene(parts)
    _, dirs = sun_directions(p)
    dirs = dirs[dirs[:, 2] > 0]
    pts = result.points - rs.origin
    per = int(np.ceil(result.rays / len(dirs)))
    take = np.random.default_rng(1).integers(0, len(pts), per)
    raw_cast = raw_occl = 0.0
    for d in dirs:
        rays = np.empty((per, 6), dtype=np.float32)
        rays[:, :3] = pts[take] + 0.05 * np.array([0, 0, 1.0])
        rays[:, 3:] = d
        tensor = o3d.core.Tensor(rays)
        t = time.perf_counter()
        rs.scene.cast_rays(tensor)
        raw_cast += time.perf_counter() - t
        t = time.perf_counter()
        rs.scene.test_occlusions(tensor)
        raw_occl += time.perf_counter() - t
    n_raw = per * len(dirs)
    cast_rate, occl_rate = n_raw / raw_cast, n_raw / raw_occl
    s = result.summary
    print(f"\nsunlight hours, {triangles:,} triangles, {s['ground']['points']:,} ground + {s['facades']['points']:,} facade "
          f"points, {len(dirs)} of {s['steps']} steps with the sun up")
    print(f"  ours:                {result.rays:,} rays in {ours_s:.2f} s = {ours_rate / 1e6:.2f} M rays/s (all included)")
    print(f"  open3d cast_rays:    {cast_rate / 1e6:.2f} M rays/s  -> ratio ours/raw {ours_rate / cast_rate:.2f}")
    print(f"  open3d occlusions:   {occl_rate / 1e6:.2f} M rays/s  -> ratio ours/raw {ours_rate / occl_rate:.2f}")
    assert 45_000 <= triangles <= 60_000
    assert ours_rate > 0.1 * occl_rate  # only a gross regression fails
