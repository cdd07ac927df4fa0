"""Exact rasterisation of triangles into their plane's cell grid (numba).

Why: sampling every triangle at half-cell spacing costs tens of samples per cell (seconds for
a house model); clipping each cell square against the triangle costs a handful of operations per
touched cell and gives each cell's exact surface area and area centroid (on the triangle itself,
through its barycentric coordinates), so edge cells' centres lie on the surface they hold.
Slivers under 0.1% of a cell (a shared edge on a cell boundary) are dropped.
"""
from __future__ import annotations

import numpy as np

try:
    import numba
except ImportError:          # pragma: no cover - _cells.py falls back to sampling
    numba = None

_SLIVER = 1e-3               # of a cell's area


def _clip(xs, ys, n, bound, axis, keep_above):  # noqa: ANN001, ANN202 - numba
    """Sutherland-Hodgman: clip polygon (xs, ys)[:n] by x|y >= bound (keep_above) or <= bound."""
    ox = np.empty(12)
    oy = np.empty(12)
    m = 0
    for i in range(n):
        j = (i + 1) % n
        pi = xs[i] if axis == 0 else ys[i]
        pj = xs[j] if axis == 0 else ys[j]
        ini = pi >= bound if keep_above else pi <= bound
        inj = pj >= bound if keep_above else pj <= bound
        if ini:
            ox[m], oy[m] = xs[i], ys[i]
            m += 1
        if ini != inj:
            t = (bound - pi) / (pj - pi)
            ox[m], oy[m] = xs[i] + t * (xs[j] - xs[i]), ys[i] + t * (ys[j] - ys[i])
            m += 1
    return ox, oy, m


def _pass(s, t, nu, nv, base, plane, count_only, out_key, out_area, out_cx, out_cy, offsets):  # noqa: ANN001, ANN202
    """For each triangle (2D coords in cell units), each cell of its bounding range: the clipped area
    and its centroid; count_only returns the number of cells touched per triangle."""
    n_tri = s.shape[0]
    counts = np.zeros(n_tri, np.int64)
    for k in range(n_tri):
        g = plane[k]
        i0 = max(0, int(np.floor(min(s[k, 0], s[k, 1], s[k, 2]))))
        i1 = min(nu[g] - 1, int(np.floor(max(s[k, 0], s[k, 1], s[k, 2]))))
        j0 = max(0, int(np.floor(min(t[k, 0], t[k, 1], t[k, 2]))))
        j1 = min(nv[g] - 1, int(np.floor(max(t[k, 0], t[k, 1], t[k, 2]))))
        if count_only:
            counts[k] = max(0, i1 - i0 + 1) * max(0, j1 - j0 + 1)
            continue
        w = offsets[k]
        for i in range(i0, i1 + 1):
            for j in range(j0, j1 + 1):
                xs = np.empty(12)
                ys = np.empty(12)
                for q in range(3):
                    xs[q], ys[q] = s[k, q], t[k, q]
                m = 3
                xs, ys, m = _clip(xs, ys, m, float(i), 0, True)
                if m >= 3:
                    xs, ys, m = _clip(xs, ys, m, float(i + 1), 0, False)
                if m >= 3:
                    xs, ys, m = _clip(xs, ys, m, float(j), 1, True)
                if m >= 3:
                    xs, ys, m = _clip(xs, ys, m, float(j + 1), 1, False)
                area, cx, cy = 0.0, 0.0, 0.0
                if m >= 3:
                    for q in range(m):
                        r = (q + 1) % m
                        cr = xs[q] * ys[r] - xs[r] * ys[q]
                        area += cr
                        cx += (xs[q] + xs[r]) * cr
                        cy += (ys[q] + ys[r]) * cr
                    area *= 0.5
                    if area != 0.0:
                        cx /= 6.0 * area
                        cy /= 6.0 * area
                    area = abs(area)
                out_key[w] = base[g] + np.int64(i) * nv[g] + j
                out_area[w] = area
                out_cx[w] = cx
                out_cy[w] = cy
                w += 1
    return counts


if numba is not None:
    _clip = numba.njit(cache=True, inline="always")(_clip)
    _pass = numba.njit(cache=True)(_pass)


def rasterise_exact(a: np.ndarray, b: np.ndarray, c: np.ndarray, plane: np.ndarray, p_origin: np.ndarray,
                    u: np.ndarray, v: np.ndarray, nu: np.ndarray, nv: np.ndarray, base: np.ndarray,
                    cell: float) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(sorted cell keys, area-weighted centroid sums (C,3), areas) of triangles a, b, c (local
    coordinates) on their planes (origin in the same local coordinates)."""
    if numba is None:
        raise ImportError("numba is needed for exact rasterisation")
    o, uu, vv = p_origin[plane], u[plane], v[plane]
    s = np.column_stack([np.einsum("ij,ij->i", x - o, uu) for x in (a, b, c)]) / cell
    t = np.column_stack([np.einsum("ij,ij->i", x - o, vv) for x in (a, b, c)]) / cell
    empty_i = np.zeros(0, np.int64)
    empty_f = np.zeros(0)
    counts = _pass(s, t, nu, nv, base, plane, True, empty_i, empty_f, empty_f, empty_f, empty_i)
    offsets = np.concatenate([[0], np.cumsum(counts)[:-1]]).astype(np.int64)
    total = int(counts.sum())
    key, area = np.empty(total, np.int64), np.empty(total)
    cx, cy = np.empty(total), np.empty(total)
    _pass(s, t, nu, nv, base, plane, False, key, area, cx, cy, offsets)
    keep = area > _SLIVER
    key, area, cx, cy = key[keep], area[keep], cx[keep], cy[keep]
    tri = np.repeat(np.arange(len(a)), counts)[keep]
    # back to 3D on the triangle itself: barycentric coordinates of the 2D centroid
    s0, s1, s2 = s[tri, 0], s[tri, 1], s[tri, 2]
    t0, t1, t2 = t[tri, 0], t[tri, 1], t[tri, 2]
    det = (s1 - s0) * (t2 - t0) - (s2 - s0) * (t1 - t0)
    det = np.where(det == 0, 1.0, det)
    beta = ((cx - s0) * (t2 - t0) - (s2 - s0) * (cy - t0)) / det
    gamma = ((s1 - s0) * (cy - t0) - (cx - s0) * (t1 - t0)) / det
    pts = a[tri] + beta[:, None] * (b[tri] - a[tri]) + gamma[:, None] * (c[tri] - a[tri])
    uk, inv = np.unique(key, return_inverse=True)
    areas = np.bincount(inv, weights=area, minlength=len(uk))
    sums = np.column_stack([np.bincount(inv, weights=pts[:, d] * area, minlength=len(uk)) for d in range(3)])
    return uk, sums * (cell * cell), areas * (cell * cell)
