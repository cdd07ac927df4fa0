"""Signed distance from points to the nearest triangle of ANOTHER element (contact cells).

Why its own kernel: the C2M index answers "nearest face overall", which for a cell centre on its
own element is always itself at distance 0. Here each query point carries its element and every
triangle of that element is skipped. Triangles go into a sparse spatial hash (cells of 2 x reach,
each triangle in every hash cell its box grown by `reach` touches), so a point only looks at the
triangles of its own hash cell; the exact point-triangle distance (Ericson 5.1.5) runs in numba.
Sign as in C2M: from the nearest triangle's plane, ties (edges, corners) to the largest |plane
distance|, so a point inside a box is negative.
"""
from __future__ import annotations

import numpy as np

from app.analysis._triangles import closest_offset
from app.analysis._visibility import voxel_keys

try:                             # numba comes with py3dtiles
    import numba
except ImportError:              # pragma: no cover - the caller falls back to per-element indexes
    numba = None

_TIE = 1e-9


def _closest(px, py, pz, ax, ay, az, bx, by, bz, cx, cy, cz):  # noqa: ANN001, ANN202 - numba
    dx, dy, dz = closest_offset(px - ax, py - ay, pz - az, bx - ax, by - ay, bz - az, cx - ax, cy - ay, cz - az)
    return dx * dx + dy * dy + dz * dz


def _kernel(p, own, lo, hi, tris, tri_el, a, b, c, n, reach):  # noqa: ANN001, ANN202 - numba
    out = np.full(len(p), np.nan)
    r2 = reach * reach
    for i in numba.prange(len(p)):
        best, top = np.inf, -1.0
        for k in range(lo[i], hi[i]):
            t = tris[k]
            if tri_el[t] == own[i]:
                continue
            d2 = _closest(p[i, 0], p[i, 1], p[i, 2], a[t, 0], a[t, 1], a[t, 2], b[t, 0], b[t, 1], b[t, 2],
                          c[t, 0], c[t, 1], c[t, 2])
            if d2 > r2:
                continue
            pd = (p[i, 0] - a[t, 0]) * n[t, 0] + (p[i, 1] - a[t, 1]) * n[t, 1] + (p[i, 2] - a[t, 2]) * n[t, 2]
            if d2 < best * (1 - _TIE) - 1e-18:
                best, top = d2, pd
            elif d2 <= best * (1 + _TIE) + 1e-18 and abs(pd) > abs(top):
                best, top = min(best, d2), pd
        if best < np.inf:
            d = np.sqrt(best)
            out[i] = -d if top < 0 else d
    return out


if numba is not None:
    _closest = numba.njit(cache=True, inline="always")(_closest)
    _kernel = numba.njit(cache=True, parallel=True)(_kernel)


def other_element_distance(points: np.ndarray, own: np.ndarray, vertices: np.ndarray, faces: np.ndarray,
                           face_element: np.ndarray, reach: float) -> np.ndarray:
    """Signed distance of each point to the nearest triangle of an element other than own[i]
    (NaN when none lies within `reach`)."""
    if numba is None:
        raise ImportError("numba is needed for the contact kernel")
    origin = vertices.min(axis=0)
    v = vertices - origin
    p = points - origin
    keep = face_element >= 0
    f = faces[keep]
    el = face_element[keep]
    a, b, c = v[f[:, 0]], v[f[:, 1]], v[f[:, 2]]
    nrm = np.cross(b - a, c - a)
    ln = np.linalg.norm(nrm, axis=1)
    ok = ln > 0
    a, b, c, el, nrm = a[ok], b[ok], c[ok], el[ok], nrm[ok] / ln[ok, None]
    h = 2.0 * reach
    zero = np.zeros(3)
    lo_i = np.floor((np.minimum(np.minimum(a, b), c) - reach) / h).astype(np.int64)
    hi_i = np.floor((np.maximum(np.maximum(a, b), c) + reach) / h).astype(np.int64)
    span = hi_i - lo_i + 1
    count = span.prod(axis=1)
    tri = np.repeat(np.arange(len(a)), count)
    k = np.arange(int(count.sum())) - np.repeat(np.cumsum(count) - count, count)
    sy, sz = span[tri, 1], span[tri, 2]
    ijk = lo_i[tri] + np.column_stack([k // (sy * sz), (k // sz) % sy, k % sz])
    keys = voxel_keys((ijk + 0.5) * h, zero, h)
    order = np.argsort(keys, kind="stable")
    keys, tri = keys[order], tri[order]
    pk = voxel_keys(p, zero, h)
    lo = np.searchsorted(keys, pk, side="left")
    hi = np.searchsorted(keys, pk, side="right")
    return _kernel(p, np.asarray(own, np.int64), lo, hi, tri, el, a, b, c, nrm, float(reach))
