"""Sparse cell grids over the design triangles and the exact nearest-triangle search on them (numba).

Why this shape (see c2m.py for the whole engine):
- Each level is a uniform grid of cubes of side h (level l: h * 4**l) stored sparsely: an
  open-addressing hash from the packed cell index to a compact cell id, and per cell the list of
  triangles that touch it (CSR). A triangle is registered in exactly the cells its surface meets
  (separating-axis triangle/box test, on boxes grown by a hair), not in its whole bounding box, so
  a 40 m slab costs cells along its plane only and no triangle needs splitting.
- Each cell also keeps its tight box (its triangles' boxes clipped to the cell): a cell holding
  only the top of a slab is a thin box that points above it skip without reading its list.
  Crowded level-0 cells (_grid_build._SUB_MIN triangles or more: tessellated pipes, equipment)
  get S x S x S sub-cell lists: a point first evaluates its sub-cell, and when its best distance
  is shorter than the way out of that sub-cell nothing else can be nearer (every other triangle
  lies outside it). The grids are built by _grid_build.py.
- Exact search, per point: its own cell, then its Chebyshev rings r = 1, 2, ... with the ring's
  cells visited nearest first; a cell whose box is farther than the current bound is skipped, and
  so is a triangle whose bounding sphere or plane is (the distance to a triangle is at least the
  distance to its plane). The bound is the best exact distance so far (with the tie slack) or the
  far cut-off. After ring r every unvisited triangle lies outside the (2r+1)^3 block, so it is at
  least as far as the block's nearest face: when that exceeds the bound, the answer is proven.
  Every triangle meeting a cell is listed in it, so the triangle's nearest point to p lies in a
  listed cell whose box is no farther than that point: nothing nearer can be missed.
- Points with nothing proven within their 3x3x3 block go up one level (4x larger cells) with the
  bound they have, so clutter and terrain far from the design cost a handful of lookups instead of
  hundreds of small cells. The top level's cells are larger than the cut-off, so a point with no
  triangle within it is settled after at most two rings there.
- A per-thread stamp array (one int32 per triangle) evaluates each triangle once per point even
  when it spans several visited cells or levels (re-evaluating one would not change the answer).
- Ties (edges and vertices shared by faces, equal within 1e-9 relative): the face with the
  largest |plane distance| wins, then the smallest face index, whatever the visiting order (c2m
  module docstring explains the sign rule). Up to _TIES tied candidates are kept per point (more
  only around vertices shared by more than 64 faces at exactly equal distance: the nearest kept).
"""
from __future__ import annotations

import numba
import numpy as np

from app.analysis._triangles import closest_offset

_OFF = 1 << 20          # cell indices are stored with this offset in 21 bits per axis
_TIE = 1e-9             # same relative tie tolerance as _triangles._TIE
_TIES = 64
_RING = 128             # ring cells sorted by distance (more: visited unsorted)
_SUB = 4                # crowded level-0 cells get S x S x S sub-cell lists (_grid_build._SUB_MIN)


@numba.njit(inline="always")
def _key(ix: int, iy: int, iz: int) -> int:
    return ((ix + _OFF) << 42) | ((iy + _OFF) << 21) | (iz + _OFF)


@numba.njit(inline="always")
def _slot(key: int, bits: int) -> int:
    h = np.uint64(key) * np.uint64(0x9E3779B97F4A7C15)
    return np.int64(h >> np.uint64(64 - bits))


@numba.njit(inline="always")
def _find(table, base: int, bits: int, key: int) -> int:  # noqa: ANN001
    s = _slot(key, bits)
    mask = (1 << bits) - 1
    while True:
        hk = table[base + s, 0]
        if hk == key:
            return table[base + s, 1]
        if hk == -1:
            return -1
        s = (s + 1) & mask


@numba.njit(inline="always")
def _visit(c: int, first: bool, px: float, py: float, pz: float, tri, cstart, ctri, cbox,  # noqa: ANN001
           stamp, mark, st, bd, bp, bt, ni) -> None:
    """Evaluate the triangles of cell c against the point: st = [best, lim, bound, sqrt(bound),
    maxd2], ni[0] = tied candidates kept in bd/bp/bt. `first`: the point's own cell (no stamps)."""
    gx = max(cbox[c, 0] - px, 0.0, px - cbox[c, 3])
    gy = max(cbox[c, 1] - py, 0.0, py - cbox[c, 4])
    gz = max(cbox[c, 2] - pz, 0.0, pz - cbox[c, 5])
    if gx * gx + gy * gy + gz * gz > st[2]:
        return
    _scan(cstart[c], cstart[c + 1], ctri, first, px, py, pz, tri, stamp, mark, st, bd, bp, bt, ni)


@numba.njit(inline="always")
def _scan(j0: int, j1: int, lst, first: bool, px: float, py: float, pz: float, tri,  # noqa: ANN001
          stamp, mark, st, bd, bp, bt, ni) -> None:
    """Evaluate the triangles lst[j0:j1] (see _visit)."""
    for j in range(j0, j1):
        t = lst[j]
        ex, ey, ez = px - tri[t, 12], py - tri[t, 13], pz - tri[t, 14]
        reach = tri[t, 15] + st[3]                      # bounding sphere beyond the bound
        if ex * ex + ey * ey + ez * ez > reach * reach:
            continue
        if not first:
            if stamp[t] == mark:
                continue
            stamp[t] = mark
        pl = (px - tri[t, 0]) * tri[t, 9] + (py - tri[t, 1]) * tri[t, 10] + (pz - tri[t, 2]) * tri[t, 11]
        if pl * pl > st[1]:                             # its plane alone is farther than the best
            continue
        d2, pdv = _pair(px, py, pz, tri, t)
        if d2 > st[1]:
            continue
        nb = ni[0]
        if d2 < st[0]:
            st[0] = d2
            st[1] = d2 * (1.0 + _TIE) + 1e-18
            k = 0
            for q in range(nb):
                if bd[q] <= st[1]:
                    bd[k], bp[k], bt[k] = bd[q], bp[q], bt[q]
                    k += 1
            nb = k
            st[2] = min(st[1], st[4])
            st[3] = np.sqrt(st[2])
        if nb < _TIES:
            bd[nb], bp[nb], bt[nb] = d2, pdv, t
            nb += 1
        else:           # keep the nearest _TIES (pathological fans only)
            w = 0
            for q in range(1, nb):
                if bd[q] > bd[w]:
                    w = q
            if d2 < bd[w]:
                bd[w], bp[w], bt[w] = d2, pdv, t
        ni[0] = nb


@numba.njit(nogil=True, cache=True)
def query_block(p, i0: int, i1: int, origin, maxd: float, lo, hi,  # noqa: ANN001, ANN201
                lh, lbase, lbits, lcell, table, cstart, ctri, cbox, csub, sstart, stri,
                tri, face, element, stamp, base: int, out_d, out_face, out_elem, out_far):
    """Points p[i0:i1] (scene frame; origin is the design's local origin): signed distance (NaN
    when far), original face, element and far flag written at the same rows of the outputs.
    Releases the GIL: worker threads run blocks side by side (see _grid_index)."""
    nlev = len(lh)
    maxd2 = maxd * maxd * (1.0 + 1e-9) + 1e-18
    bd = np.empty(_TIES)
    bp = np.empty(_TIES)
    bt = np.empty(_TIES, np.int64)
    st = np.empty(5)
    ni = np.zeros(1, np.int64)
    rd = np.empty(_RING)
    rk = np.empty(_RING, np.int64)
    last_key, last_cell = -1, -1
    for i in range(i0, i1):
        px, py, pz = p[i, 0] - origin[0], p[i, 1] - origin[1], p[i, 2] - origin[2]
        ox = max(lo[0] - px, 0.0, px - hi[0])
        oy = max(lo[1] - py, 0.0, py - hi[1])
        oz = max(lo[2] - pz, 0.0, pz - hi[2])
        if ox * ox + oy * oy + oz * oz > maxd2:
            out_d[i], out_face[i], out_elem[i], out_far[i] = np.nan, -1, -1, True
            continue
        mark = np.int32(base + i + 1)
        st[0], st[1], st[2], st[3], st[4] = np.inf, np.inf, maxd2, np.sqrt(maxd2), maxd2
        ni[0] = 0
        c0 = -1
        lev = 0
        r = 0
        while True:
            h = lh[lev]
            cx, cy, cz = int(np.floor(px / h)), int(np.floor(py / h)), int(np.floor(pz / h))
            if r == 0:
                key = _key(cx, cy, cz)
                if lev == 0 and key == last_key:       # runs of points share a cell
                    c = last_cell
                else:
                    c = _find(table, lbase[lev], lbits[lev], key)
                    if c >= 0:
                        c += lcell[lev]
                    if lev == 0:
                        last_key, last_cell = key, c
                if c >= 0:
                    if lev == 0:
                        c0 = c
                    sb = csub[c] if lev == 0 else -1
                    if sb >= 0:             # a crowded cell: its sub-cell first, often enough
                        hs = h / _SUB
                        sx = min(_SUB - 1, max(0, int((px - cx * h) / hs)))
                        sy = min(_SUB - 1, max(0, int((py - cy * h) / hs)))
                        sz = min(_SUB - 1, max(0, int((pz - cz * h) / hs)))
                        k = sb + (sx * _SUB + sy) * _SUB + sz
                        _scan(sstart[k], sstart[k + 1], stri, True, px, py, pz, tri, stamp, mark, st, bd, bp, bt, ni)
                        bx, by, bz = cx * h + sx * hs, cy * h + sy * hs, cz * h + sz * hs
                        inner = min(px - bx, bx + hs - px, py - by, by + hs - py, pz - bz, bz + hs - pz)
                        if inner > 0 and inner * inner > st[2]:
                            break           # every other triangle is outside this sub-cell
                    _visit(c, lev == 0, px, py, pz, tri, cstart, ctri, cbox, stamp, mark, st, bd, bp, bt, ni)
            else:
                # the ring's cells within the bound, nearest first (the bound drops sooner)
                m = 0
                for dx in range(-r, r + 1):
                    x = cx + dx
                    gx = max(x * h - px, 0.0, px - (x + 1) * h)
                    gx2 = gx * gx
                    if gx2 > st[2]:
                        continue
                    edge_x = dx == -r or dx == r
                    for dy in range(-r, r + 1):
                        y = cy + dy
                        gy = max(y * h - py, 0.0, py - (y + 1) * h)
                        gxy = gx2 + gy * gy
                        if gxy > st[2]:
                            continue
                        step = 1 if (edge_x or dy == -r or dy == r) else 2 * r
                        for dz in range(-r, r + 1, step):
                            z = cz + dz
                            gz = max(z * h - pz, 0.0, pz - (z + 1) * h)
                            d2 = gxy + gz * gz
                            if d2 > st[2]:
                                continue
                            if m < _RING:
                                q = m                  # insertion sort by box distance
                                while q > 0 and rd[q - 1] > d2:
                                    rd[q], rk[q] = rd[q - 1], rk[q - 1]
                                    q -= 1
                                rd[q], rk[q] = d2, _key(x, y, z)
                                m += 1
                            else:                      # very large rings: unsorted
                                c = _find(table, lbase[lev], lbits[lev], _key(x, y, z))
                                if c >= 0:
                                    _visit(c + lcell[lev], False, px, py, pz, tri, cstart, ctri, cbox,
                                           stamp, mark, st, bd, bp, bt, ni)
                for q in range(m):
                    if rd[q] > st[2]:
                        break
                    c = _find(table, lbase[lev], lbits[lev], rk[q])
                    if c >= 0:
                        _visit(c + lcell[lev], False, px, py, pz, tri, cstart, ctri, cbox,
                               stamp, mark, st, bd, bp, bt, ni)
            # nearest face of the (2r+1)^3 block: every unvisited triangle is beyond it
            inner = min(px - (cx - r) * h, (cx + r + 1) * h - px, py - (cy - r) * h,
                        (cy + r + 1) * h - py, pz - (cz - r) * h, (cz + r + 1) * h - pz)
            if inner * inner > st[2]:
                break
            if r == 0 and lev == 0 and c0 >= 0:        # going on: stamp the first cell's triangles
                for j in range(cstart[c0], cstart[c0 + 1]):
                    stamp[ctri[j]] = mark
            r += 1
            if r == 2 and lev + 1 < nlev:       # nothing proven in the 3x3x3 block: coarser cells
                lev += 1
                r = 0
        nb = ni[0]
        best = np.sqrt(st[0])
        if nb == 0 or best > maxd:
            out_d[i], out_face[i], out_elem[i], out_far[i] = np.nan, -1, -1, True
            continue
        k, top = 0, -1.0
        for q in range(nb):
            v = abs(bp[q])
            if v > top or (v == top and bt[q] < bt[k]):
                k, top = q, v
        out_d[i] = -best if bp[k] < 0 else best
        out_face[i], out_elem[i], out_far[i] = face[bt[k]], element[bt[k]], False


@numba.njit(inline="always")
def _pair(px: float, py: float, pz: float, tri, t: int):  # noqa: ANN001, ANN202
    """Squared distance from p to triangle t and its signed plane distance (Ericson 5.1.5), through
    the same closest_offset as _triangles._pair_loop (bit-identical answers on both paths)."""
    apx, apy, apz = px - tri[t, 0], py - tri[t, 1], pz - tri[t, 2]
    dx, dy, dz = closest_offset(apx, apy, apz, tri[t, 3], tri[t, 4], tri[t, 5], tri[t, 6], tri[t, 7], tri[t, 8])
    return dx * dx + dy * dy + dz * dz, apx * tri[t, 9] + apy * tri[t, 10] + apz * tri[t, 11]

