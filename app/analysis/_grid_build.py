"""Building the sparse cell grids of _grid.py: which cells (and sub-cells) each triangle's surface
meets, the hash from cell index to cell id, the CSR triangle lists and each cell's tight box.

Why: see _grid.py. Registration is exact to a hair: the separating-axis triangle/box test runs on
boxes grown by eps, so a triangle is never left out of a cell it touches (it may be listed in a
neighbour it only grazes, which costs a little time and nothing else). The parallel passes count,
then fill, so no lock or growing buffer is needed; the hash and CSR passes are sequential and
linear in the listings.
"""
from __future__ import annotations

import numba
import numpy as np

from app.analysis._grid import _OFF, _SUB, _key, _slot

_SUB_MIN = 24           # level-0 cells with at least this many triangles get sub-cell lists


@numba.njit(inline="always")
def _tri_box(v0, v1, v2, hs: float) -> bool:  # noqa: ANN001 - numba arrays of 3
    """Akenine-Moller triangle/box overlap for a cube of half side hs at the origin (vertices
    already relative to its centre); the caller only asks for boxes inside the triangle's bbox."""
    e0x, e0y, e0z = v1[0] - v0[0], v1[1] - v0[1], v1[2] - v0[2]
    e1x, e1y, e1z = v2[0] - v1[0], v2[1] - v1[1], v2[2] - v1[2]
    e2x, e2y, e2z = v0[0] - v2[0], v0[1] - v2[1], v0[2] - v2[2]
    for ex, ey, ez in ((e0x, e0y, e0z), (e1x, e1y, e1z), (e2x, e2y, e2z)):
        fx, fy, fz = abs(ex), abs(ey), abs(ez)
        # axis x cross e = (0, -ez, ey)
        p0, p1, p2 = -ez * v0[1] + ey * v0[2], -ez * v1[1] + ey * v1[2], -ez * v2[1] + ey * v2[2]
        r = (fz + fy) * hs
        if min(p0, p1, p2) > r or max(p0, p1, p2) < -r:
            return False
        # axis y cross e = (ez, 0, -ex)
        p0, p1, p2 = ez * v0[0] - ex * v0[2], ez * v1[0] - ex * v1[2], ez * v2[0] - ex * v2[2]
        r = (fz + fx) * hs
        if min(p0, p1, p2) > r or max(p0, p1, p2) < -r:
            return False
        # axis z cross e = (-ey, ex, 0)
        p0, p1, p2 = -ey * v0[0] + ex * v0[1], -ey * v1[0] + ex * v1[1], -ey * v2[0] + ex * v2[1]
        r = (fy + fx) * hs
        if min(p0, p1, p2) > r or max(p0, p1, p2) < -r:
            return False
    nx, ny, nz = e0y * e1z - e0z * e1y, e0z * e1x - e0x * e1z, e0x * e1y - e0y * e1x
    d = nx * v0[0] + ny * v0[1] + nz * v0[2]
    r = (abs(nx) + abs(ny) + abs(nz)) * hs
    return abs(d) <= r


@numba.njit(inline="always")
def _cells_of(tri, t: int, h: float, eps: float, out, write: bool) -> int:  # noqa: ANN001
    """Count (and when `write`, store the keys of) the cells of side h that triangle t meets."""
    x0, y0, z0 = tri[t, 0], tri[t, 1], tri[t, 2]
    x1, y1, z1 = x0 + tri[t, 3], y0 + tri[t, 4], z0 + tri[t, 5]
    x2, y2, z2 = x0 + tri[t, 6], y0 + tri[t, 7], z0 + tri[t, 8]
    ix0, ix1 = int(np.floor((min(x0, x1, x2) - eps) / h)), int(np.floor((max(x0, x1, x2) + eps) / h))
    iy0, iy1 = int(np.floor((min(y0, y1, y2) - eps) / h)), int(np.floor((max(y0, y1, y2) + eps) / h))
    iz0, iz1 = int(np.floor((min(z0, z1, z2) - eps) / h)), int(np.floor((max(z0, z1, z2) + eps) / h))
    hs = 0.5 * h + eps
    single = ix0 == ix1 and iy0 == iy1 and iz0 == iz1
    v0, v1, v2 = np.empty(3), np.empty(3), np.empty(3)
    m = 0
    for ix in range(ix0, ix1 + 1):
        cx = (ix + 0.5) * h
        for iy in range(iy0, iy1 + 1):
            cy = (iy + 0.5) * h
            for iz in range(iz0, iz1 + 1):
                if not single:
                    cz = (iz + 0.5) * h
                    v0[0], v0[1], v0[2] = x0 - cx, y0 - cy, z0 - cz
                    v1[0], v1[1], v1[2] = x1 - cx, y1 - cy, z1 - cz
                    v2[0], v2[1], v2[2] = x2 - cx, y2 - cy, z2 - cz
                    if not _tri_box(v0, v1, v2, hs):
                        continue
                if write:
                    out[m] = _key(ix, iy, iz)
                m += 1
    return m


@numba.njit(parallel=True, cache=True)
def _count(tri, h: float, eps: float) -> np.ndarray:  # noqa: ANN001
    n = len(tri)
    counts = np.empty(n, np.int64)
    dummy = np.empty(0, np.int64)
    for t in numba.prange(n):
        counts[t] = _cells_of(tri, t, h, eps, dummy, False)
    return counts


@numba.njit(parallel=True, cache=True)
def _fill(tri, h: float, eps: float, offsets) -> np.ndarray:  # noqa: ANN001
    n = len(tri)
    keys = np.empty(offsets[n], np.int64)
    for t in numba.prange(n):
        _cells_of(tri, t, h, eps, keys[offsets[t]:offsets[t + 1]], True)
    return keys


@numba.njit(cache=True)
def _hash_cells(keys, offsets, bits: int, tri, h: float, eps: float):  # noqa: ANN001, ANN202
    """Distinct keys -> compact cell ids, then the final table (slot -> (key, cell id), load <= 1/2),
    the CSR triangle lists per cell and each cell's tight box (its triangles' boxes clipped to the
    cell, grown by eps): a cell holding only the top of a slab is a thin box, far points skip it."""
    cap = 1 << bits
    tmp = np.full((cap, 2), -1, np.int64)
    m = len(keys)
    cellof = np.empty(m, np.int64)
    counts = np.zeros(m + 1, np.int64)
    ncell = 0
    prev, c = -1, -1
    for j in range(m):
        k = keys[j]
        if k != prev:                   # neighbouring small triangles share cells: skip the hash
            s = _slot(k, bits)
            while True:
                hk = tmp[s, 0]
                if hk == k:
                    c = tmp[s, 1]
                    break
                if hk == -1:
                    tmp[s, 0], tmp[s, 1] = k, ncell
                    c = ncell
                    ncell += 1
                    break
                s = (s + 1) & (cap - 1)
            prev = k
        cellof[j] = c
        counts[c + 1] += 1
    fbits = 4
    while (1 << fbits) < 2 * ncell:
        fbits += 1
    fcap = 1 << fbits
    table = np.full((fcap, 2), -1, np.int64)
    for s in range(cap):
        k = tmp[s, 0]
        if k != -1:
            q = _slot(k, fbits)
            while table[q, 0] != -1:
                q = (q + 1) & (fcap - 1)
            table[q, 0], table[q, 1] = k, tmp[s, 1]
    start = np.cumsum(counts[:ncell + 1])
    fillp = start[:ncell].copy()
    tris = np.empty(m, np.int32)
    cbox = np.empty((ncell, 6))
    cbox[:, :3] = np.inf
    cbox[:, 3:] = -np.inf
    t = -1
    tlo, thi = np.empty(3), np.empty(3)
    for j in range(m):
        if offsets[t + 1] <= j:
            while offsets[t + 1] <= j:
                t += 1
            for d in range(3):
                x0, x1, x2 = tri[t, d], tri[t, d] + tri[t, 3 + d], tri[t, d] + tri[t, 6 + d]
                tlo[d], thi[d] = min(x0, x1, x2), max(x0, x1, x2)
        c = cellof[j]
        tris[fillp[c]] = t
        fillp[c] += 1
        k = keys[j]
        for d in range(3):
            ix = ((k >> (42 - 21 * d)) & ((1 << 21) - 1)) - _OFF
            lo_d = max(ix * h, tlo[d]) - eps
            hi_d = min((ix + 1) * h, thi[d]) + eps
            if lo_d < cbox[c, d]:
                cbox[c, d] = lo_d
            if hi_d > cbox[c, 3 + d]:
                cbox[c, 3 + d] = hi_d
    ckey = np.empty(ncell, np.int64)
    for s in range(cap):
        if tmp[s, 0] != -1:
            ckey[tmp[s, 1]] = tmp[s, 0]
    return table, fbits, start, tris, cbox, ckey


def build_level(tri: np.ndarray, h: float, eps: float) -> tuple:
    """One grid level of side h: (hash table (cap, 2), log2 capacity, CSR starts, CSR triangles,
    tight cell boxes)."""
    counts = _count(tri, h, eps)
    offsets = np.zeros(len(tri) + 1, np.int64)
    np.cumsum(counts, out=offsets[1:])
    keys = _fill(tri, h, eps, offsets)
    bits = max(4, int(np.ceil(np.log2(max(1.25 * len(keys), 16)))))
    table, fbits, start, tris, cbox, ckey = _hash_cells(keys, offsets, bits, tri, h, eps)
    heavy = np.flatnonzero(np.diff(start) >= _SUB_MIN)
    csub = np.full(len(start) - 1, -1, np.int64)
    csub[heavy] = np.arange(len(heavy)) * (_SUB ** 3 + 1)
    total = _sub_count(tri, h, eps, start, tris, ckey, heavy)
    soff = np.zeros(len(heavy) + 1, np.int64)
    np.cumsum(total, out=soff[1:])
    sstart, stri = _sub_fill(tri, h, eps, start, tris, ckey, heavy, soff)
    return table, fbits, start, tris, cbox, csub, sstart, stri


@numba.njit(inline="always")
def _sub_cells(tri, t: int, ix: int, iy: int, iz: int, h: float, eps: float, out, test: bool) -> int:  # noqa: ANN001
    """Store the sub-cells k = (sx * S + sy) * S + sz of cell (ix, iy, iz) that triangle t meets
    (the same separating-axis test as the cells) and return their number; without `test`, only
    return the number of sub-cells its bounding box covers."""
    hs = h / _SUB
    x0, y0, z0 = tri[t, 0], tri[t, 1], tri[t, 2]
    x1, y1, z1 = x0 + tri[t, 3], y0 + tri[t, 4], z0 + tri[t, 5]
    x2, y2, z2 = x0 + tri[t, 6], y0 + tri[t, 7], z0 + tri[t, 8]
    bx, by, bz = ix * h, iy * h, iz * h
    sx0 = max(0, int(np.floor((min(x0, x1, x2) - eps - bx) / hs)))
    sx1 = min(_SUB - 1, int(np.floor((max(x0, x1, x2) + eps - bx) / hs)))
    sy0 = max(0, int(np.floor((min(y0, y1, y2) - eps - by) / hs)))
    sy1 = min(_SUB - 1, int(np.floor((max(y0, y1, y2) + eps - by) / hs)))
    sz0 = max(0, int(np.floor((min(z0, z1, z2) - eps - bz) / hs)))
    sz1 = min(_SUB - 1, int(np.floor((max(z0, z1, z2) + eps - bz) / hs)))
    if not test:                        # an upper bound: the sub-cells of the bounding box
        return (sx1 - sx0 + 1) * (sy1 - sy0 + 1) * (sz1 - sz0 + 1)
    single = sx0 == sx1 and sy0 == sy1 and sz0 == sz1
    v0, v1, v2 = np.empty(3), np.empty(3), np.empty(3)
    m = 0
    for sx in range(sx0, sx1 + 1):
        cx = bx + (sx + 0.5) * hs
        for sy in range(sy0, sy1 + 1):
            cy = by + (sy + 0.5) * hs
            for sz in range(sz0, sz1 + 1):
                cz = bz + (sz + 0.5) * hs
                if single:
                    out[m] = (sx * _SUB + sy) * _SUB + sz
                    m += 1
                    continue
                v0[0], v0[1], v0[2] = x0 - cx, y0 - cy, z0 - cz
                v1[0], v1[1], v1[2] = x1 - cx, y1 - cy, z1 - cz
                v2[0], v2[1], v2[2] = x2 - cx, y2 - cy, z2 - cz
                if not _tri_box(v0, v1, v2, 0.5 * hs + eps):
                    continue
                out[m] = (sx * _SUB + sy) * _SUB + sz
                m += 1
    return m


@numba.njit(inline="always")
def _unkey(k: int) -> tuple:
    return ((k >> 42) & ((1 << 21) - 1)) - _OFF, ((k >> 21) & ((1 << 21) - 1)) - _OFF, (k & ((1 << 21) - 1)) - _OFF


@numba.njit(parallel=True, cache=True)
def _sub_count(tri, h: float, eps: float, start, tris, ckey, heavy):  # noqa: ANN001, ANN202
    total = np.zeros(len(heavy), np.int64)
    dummy = np.empty(0, np.int64)
    for q in numba.prange(len(heavy)):
        c = heavy[q]
        ix, iy, iz = _unkey(ckey[c])
        s = 0
        for j in range(start[c], start[c + 1]):
            s += _sub_cells(tri, tris[j], ix, iy, iz, h, eps, dummy, False)     # bound: no tests
        total[q] = s
    return total


@numba.njit(parallel=True, cache=True)
def _sub_fill(tri, h: float, eps: float, start, tris, ckey, heavy, soff):  # noqa: ANN001, ANN202
    """Per heavy cell: S**3 + 1 list starts (absolute) and the sub-cell lists, sub-cell by sub-cell."""
    ns = _SUB ** 3
    sstart = np.empty(len(heavy) * (ns + 1), np.int64)
    stri = np.empty(soff[-1], np.int32)
    for q in numba.prange(len(heavy)):
        c = heavy[q]
        ix, iy, iz = _unkey(ckey[c])
        n = soff[q + 1] - soff[q]
        subs = np.empty(n, np.int64)
        owner = np.empty(n, np.int32)
        m = 0
        for j in range(start[c], start[c + 1]):
            k = _sub_cells(tri, tris[j], ix, iy, iz, h, eps, subs[m:], True)
            owner[m:m + k] = tris[j]
            m += k
        n = m                          # the region keeps its unused tail (bound - used)
        count = np.zeros(ns + 1, np.int64)
        for u in range(n):
            count[subs[u] + 1] += 1
        base = q * (ns + 1)
        acc = soff[q]
        for k in range(ns + 1):
            acc += count[k]
            sstart[base + k] = acc
            count[k] = acc
        for u in range(n):             # count[k] now is the fill position of sub-cell k
            stri[count[subs[u]]] = owner[u]
            count[subs[u]] += 1
    return sstart, stri
