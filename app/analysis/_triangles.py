"""Exact point-triangle distance, vectorised over point/triangle pairs (numpy, float64).

Ericson, "Real-Time Collision Detection", 5.1.5 (closest point on triangle to point): the
Voronoi region of the point decides vertex, edge or face; every pair is answered exactly, with
no sampling. Callers pass coordinates already shifted to a local origin so float64 keeps
sub-micrometre precision however far the site is from the CRS origin.
"""
from __future__ import annotations

import numpy as np


def _dot(x: np.ndarray, y: np.ndarray) -> np.ndarray:
    return np.einsum("ij,ij->i", x, y)


def closest_sq_distance(p: np.ndarray, a: np.ndarray, ab: np.ndarray, ac: np.ndarray) -> np.ndarray:
    """Squared distance from each p[i] to triangle (a[i], a[i]+ab[i], a[i]+ac[i]); all (M,3).

    The closest point is q = a + v*ab + w*ac; (v, w) is chosen per Voronoi region. Regions are
    applied from the least to the most specific test so the last np.where wins, as the
    early returns of the scalar algorithm do.
    """
    ap = p - a
    d1, d2 = _dot(ab, ap), _dot(ac, ap)
    bp = ap - ab
    d3, d4 = _dot(ab, bp), _dot(ac, bp)
    cp = ap - ac
    d5, d6 = _dot(ab, cp), _dot(ac, cp)
    va = d3 * d6 - d5 * d4
    vb = d5 * d2 - d1 * d6
    vc = d1 * d4 - d3 * d2

    with np.errstate(divide="ignore", invalid="ignore"):
        den = va + vb + vc
        den = np.where(den == 0.0, 1.0, den)
        v, w = vb / den, vc / den                                   # face interior
        e_bc = (va <= 0) & ((d4 - d3) >= 0) & ((d5 - d6) >= 0)
        t = (d4 - d3) / np.where(e_bc, (d4 - d3) + (d5 - d6), 1.0)
        v, w = np.where(e_bc, 1.0 - t, v), np.where(e_bc, t, w)       # edge BC
        e_ac = (vb <= 0) & (d2 >= 0) & (d6 <= 0)
        t = d2 / np.where(e_ac, d2 - d6, 1.0)
        v, w = np.where(e_ac, 0.0, v), np.where(e_ac, t, w)           # edge AC
        r_c = (d6 >= 0) & (d5 <= d6)
        v, w = np.where(r_c, 0.0, v), np.where(r_c, 1.0, w)           # vertex C
        e_ab = (vc <= 0) & (d1 >= 0) & (d3 <= 0)
        t = d1 / np.where(e_ab, d1 - d3, 1.0)
        v, w = np.where(e_ab, t, v), np.where(e_ab, 0.0, w)           # edge AB
        r_b = (d3 >= 0) & (d4 <= d3)
        v, w = np.where(r_b, 1.0, v), np.where(r_b, 0.0, w)           # vertex B
        r_a = (d1 <= 0) & (d2 <= 0)
        v, w = np.where(r_a, 0.0, v), np.where(r_a, 0.0, w)           # vertex A
    diff = ap - v[:, None] * ab - w[:, None] * ac
    return _dot(diff, diff)


def brute_force(points: np.ndarray, vertices: np.ndarray, faces: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Unsigned distance and nearest face of every point against every triangle (tests only:
    O(N*F) memory per point row)."""
    a = vertices[faces[:, 0]]
    ab, ac = vertices[faces[:, 1]] - a, vertices[faces[:, 2]] - a
    f = len(faces)
    dist = np.empty(len(points))
    face = np.empty(len(points), np.int64)
    for i, p in enumerate(points):
        d2 = closest_sq_distance(np.broadcast_to(p, (f, 3)), a, ab, ac)
        face[i] = int(np.argmin(d2))
        dist[i] = float(np.sqrt(d2[face[i]]))
    return dist, face
