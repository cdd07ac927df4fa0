"""C2M throughput: 1M near-surface points against ~200k triangles (16,667 overlapping boxes).

The layout follows REFERENCE.md's CloudCompare figure (1M near-surface points vs 200k
overlapping boxes, about 0.7-0.77 M points/s per core). Printed as a markdown row; a sample of
the answers is checked against brute force so a fast wrong index cannot pass.
"""
from __future__ import annotations

import os
import time

import numpy as np

from app.analysis._triangles import brute_force
from app.analysis.c2m import DesignIndex
from tests.analysis.test_c2m import box

N_POINTS = int(os.environ.get("TWINSCAPE_BENCH_C2M_POINTS", "1000000"))
N_BOXES = 16_667


def _site(seed: int = 12) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Boxes 0.2-4 m in a 300 x 300 x 30 m site (offset 10 km from the origin), points sampled on
    their surfaces with 1 cm noise plus 5% clutter up to 3 m away."""
    rng = np.random.default_rng(seed)
    v0, f0 = box([0, 0, 0], [1, 1, 1])
    lo = rng.uniform([0, 0, 0], [300, 300, 30], (N_BOXES, 3)) + [10_000.0, 20_000.0, 0.0]
    size = rng.uniform(0.2, 4.0, (N_BOXES, 3))
    verts = (lo[:, None, :] + v0[None] * size[:, None, :]).reshape(-1, 3)
    faces = (f0[None] + 8 * np.arange(N_BOXES)[:, None, None]).reshape(-1, 3)
    elem = np.repeat(np.arange(N_BOXES), 12)
    tri = rng.integers(0, len(faces), N_POINTS)
    a, b, c = (verts[faces[tri, i]] for i in range(3))
    u, w = rng.random(N_POINTS), rng.random(N_POINTS)
    flip = u + w > 1
    u[flip], w[flip] = 1 - u[flip], 1 - w[flip]
    pts = a + u[:, None] * (b - a) + w[:, None] * (c - a) + rng.normal(0, 0.01, (N_POINTS, 3))
    clutter = rng.random(N_POINTS) < 0.05
    pts[clutter] += rng.uniform(-3, 3, (int(clutter.sum()), 3))
    return pts, verts, faces, elem


def test_c2m_throughput() -> None:
    pts, verts, faces, elem = _site()
    t0 = time.perf_counter()
    index = DesignIndex(verts, faces, elem)
    t1 = time.perf_counter()
    res = index.query(pts, max_distance=1.0)
    t2 = time.perf_counter()
    rate = len(pts) / (t2 - t0)
    print(f"\n| C2M, {len(pts) / 1e6:g}M points vs {len(faces):,} triangles (exact, signed) | "
          f"{rate / 1e6:.2f} M points/s | index {t1 - t0:.2f} s ({index.tree.n:,} after splitting), "
          f"query {t2 - t1:.2f} s, {res.far.mean():.1%} far |")
    sample = np.random.default_rng(1).choice(len(pts), 200, replace=False)
    want, _ = brute_force(pts[sample] - index.origin, verts - index.origin, faces)
    far = res.far[sample]
    np.testing.assert_allclose(np.abs(res.distance[sample][~far]), want[~far], atol=1e-9)
    assert (want[far] > 1.0).all()
    assert rate > 10_000     # gross regressions only
