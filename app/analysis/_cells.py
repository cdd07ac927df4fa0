"""Surface cells of the design: a grid of about `cell_size` on every planar face group.

Why cells: "how much of the element is there" is a question about its surface, not about point
counts (a near station gives many points, a far one few). Each element's triangles are grouped
into planes (same element, same normal, same plane offset); each plane gets a 2D grid whose u axis
follows its largest triangle's longest edge (rectangular BIM faces align with it) and whose origin
is the plane's minimum corner, so a wall's foot falls on a cell row boundary. A cell exists where
the plane's triangles are (dense barycentric samples); its centre is the mean of those samples, so
edge cells' centres lie on the surface. Cells are identified by one int64 key (plane base + row
major grid index) kept sorted, so mapping millions of scan points is a vectorised searchsorted.

Contact cells: a cell whose centre lies within `margin` of another element's surface, or inside
another element (negative signed distance, down to `depth`), is in contact (a wall's foot on its
slab, a column's head under a beam): it holds the neighbour's points, so it is never counted for
coverage or support. Exact distances to the other elements come from _contact.py (numba), or
without numba from a DesignIndex over the nearby other elements.
"""
from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from app.analysis.c2m import DesignIndex

_SAMPLE_BUDGET = 2_000_000          # barycentric samples per batch while rasterising


@dataclass
class SurfaceGrid:
    """Planes, cells and direction groups of a design (all plain numpy)."""

    cell_size: float
    face_plane: np.ndarray      # (F,) plane of each face, -1 for degenerate faces
    plane_origin: np.ndarray    # (P,3)
    plane_u: np.ndarray         # (P,3) unit
    plane_v: np.ndarray         # (P,3) unit
    plane_normal: np.ndarray    # (P,3) unit, outward
    plane_nu: np.ndarray        # (P,) cells along u
    plane_nv: np.ndarray        # (P,) cells along v
    plane_base: np.ndarray      # (P,) first key of the plane
    plane_element: np.ndarray   # (P,)
    plane_group: np.ndarray     # (P,) direction group
    group_element: np.ndarray   # (G,)
    group_normal: np.ndarray    # (G,3) unit, area-weighted
    cell_key: np.ndarray        # (C,) sorted
    cell_plane: np.ndarray      # (C,)
    cell_centre: np.ndarray     # (C,3)
    cell_area: np.ndarray = field(default_factory=lambda: np.zeros(0))   # (C,) m2 of surface in the cell

    @property
    def n_cells(self) -> int:
        return len(self.cell_key)

    @property
    def cell_element(self) -> np.ndarray:
        return self.plane_element[self.cell_plane]

    def keys_of(self, points: np.ndarray, plane: np.ndarray, shift: np.ndarray | None = None) -> np.ndarray:
        """Cell key of each point projected on its plane (clamped into the plane's grid); `shift`:
        the points are in coordinates shifted by -shift (local frame)."""
        org = self.plane_origin[plane] if shift is None else self.plane_origin[plane] - shift
        rel = points - org
        s = np.einsum("ij,ij->i", rel, self.plane_u[plane]) / self.cell_size
        t = np.einsum("ij,ij->i", rel, self.plane_v[plane]) / self.cell_size
        iu = np.clip(np.floor(s), 0, self.plane_nu[plane] - 1).astype(np.int64)
        iv = np.clip(np.floor(t), 0, self.plane_nv[plane] - 1).astype(np.int64)
        return self.plane_base[plane] + iu * self.plane_nv[plane] + iv

    def cells_of(self, points: np.ndarray, faces: np.ndarray) -> np.ndarray:
        """Cell index of each point given its nearest design face (-1: no face or no cell)."""
        if _cells_kernel is not None and len(self.cell_key):
            return _cells_kernel(np.ascontiguousarray(points, dtype=np.float64), np.asarray(faces, np.int64),
                                 self.face_plane, self.plane_origin, self.plane_u, self.plane_v, self.plane_nu,
                                 self.plane_nv, self.plane_base, float(self.cell_size), self.cell_key)
        return self._cells_of_numpy(points, faces)

    def _cells_of_numpy(self, points: np.ndarray, faces: np.ndarray) -> np.ndarray:
        out = np.full(len(faces), -1, dtype=np.int64)
        ok = faces >= 0
        plane = np.full(len(faces), -1, dtype=np.int64)
        plane[ok] = self.face_plane[faces[ok]]
        ok &= plane >= 0
        if not ok.any():
            return out
        keys = self.keys_of(points[ok], plane[ok])
        pos = np.minimum(np.searchsorted(self.cell_key, keys), len(self.cell_key) - 1)
        out[np.flatnonzero(ok)] = np.where(self.cell_key[pos] == keys, pos, -1)
        return out

    def neighbours(self, radius: int) -> np.ndarray:
        """(C, (2r+1)^2 - 1) index of each cell's neighbours in its plane grid; -1 = none there,
        -2 = outside the plane's grid (the element's border)."""
        plane = self.cell_plane
        local = self.cell_key - self.plane_base[plane]
        nv, nu = self.plane_nv[plane], self.plane_nu[plane]
        iu, iv = local // nv, local % nv
        cols = []
        for du in range(-radius, radius + 1):
            for dv in range(-radius, radius + 1):
                if du == 0 and dv == 0:
                    continue
                u2, v2 = iu + du, iv + dv
                inside = (u2 >= 0) & (u2 < nu) & (v2 >= 0) & (v2 < nv)
                key = self.plane_base[plane] + u2 * nv + v2
                pos = np.minimum(np.searchsorted(self.cell_key, key), len(self.cell_key) - 1)
                idx = np.where(self.cell_key[pos] == key, pos, -1)
                cols.append(np.where(inside, idx, -2))
        return np.stack(cols, axis=1) if cols else np.zeros((len(plane), 0), np.int64)


def _cells_loop(p, faces, face_plane, origin, u, v, nu, nv, base, cs, keys):  # noqa: ANN001, ANN202 - numba
    """cells_of, one point at a time (same arithmetic as keys_of, then a binary search)."""
    out = np.full(len(p), -1, np.int64)
    for i in numba.prange(len(p)):
        f = faces[i]
        if f < 0:
            continue
        g = face_plane[f]
        if g < 0:
            continue
        rx, ry, rz = p[i, 0] - origin[g, 0], p[i, 1] - origin[g, 1], p[i, 2] - origin[g, 2]
        s = (rx * u[g, 0] + ry * u[g, 1] + rz * u[g, 2]) / cs
        t = (rx * v[g, 0] + ry * v[g, 1] + rz * v[g, 2]) / cs
        iu = min(max(np.floor(s), 0.0), nu[g] - 1.0)
        iv = min(max(np.floor(t), 0.0), nv[g] - 1.0)
        k = base[g] + np.int64(iu) * nv[g] + np.int64(iv)
        j = np.searchsorted(keys, k)
        if j < len(keys) and keys[j] == k:
            out[i] = j
    return out


try:                                     # numba comes with py3dtiles; numpy path otherwise
    import numba

    _cells_kernel = numba.njit(cache=True, parallel=True)(_cells_loop)
except ImportError:                      # pragma: no cover - depends on the environment
    _cells_kernel = None


def _unit(x: np.ndarray) -> np.ndarray:
    n = np.linalg.norm(x, axis=1, keepdims=True)
    return x / np.where(n > 0, n, 1.0)


def build_grid(vertices: np.ndarray, faces: np.ndarray, face_element: np.ndarray, cell_size: float) -> SurfaceGrid:
    """Group faces into planes and rasterise them into cells (see the module docstring)."""
    origin = vertices.min(axis=0)
    v = vertices - origin                        # local coordinates: float64 stays sub-micrometre
    a, b, c = v[faces[:, 0]], v[faces[:, 1]], v[faces[:, 2]]
    cross = np.cross(b - a, c - a)
    area2 = np.linalg.norm(cross, axis=1)
    extent = float(np.ptp(v, axis=0).max()) or 1.0
    good = (area2 > 1e-12 * extent ** 2) & (face_element >= 0)
    normal = cross / np.where(area2 > 0, area2, 1.0)[:, None]
    offset = np.einsum("ij,ij->i", normal, a)
    fi = np.flatnonzero(good)
    key = np.column_stack([face_element[fi], np.round(normal[fi] * 1000).astype(np.int64),
                           np.round(offset[fi] / 0.01).astype(np.int64)])
    _, plane_of = np.unique(key, axis=0, return_inverse=True)
    plane_of = plane_of.reshape(-1)
    n_planes = int(plane_of.max()) + 1
    face_plane = np.full(len(faces), -1, dtype=np.int64)
    face_plane[fi] = plane_of
    w = area2[fi]
    pn = np.zeros((n_planes, 3))
    np.add.at(pn, plane_of, normal[fi] * w[:, None])
    pn = _unit(pn)
    plane_element = np.zeros(n_planes, np.int64)
    plane_element[plane_of] = face_element[fi]
    # u axis: horizontal in the plane (walls: rows are heights, so a wall's foot is a row); on
    # horizontal planes the second-longest edge of the largest triangle (a rectangle's long side:
    # the longest edge of a rectangle's half is its diagonal)
    order = np.lexsort((-w, plane_of))
    first = order[np.r_[True, plane_of[order][1:] != plane_of[order][:-1]]]
    ref = fi[first]
    edges = np.stack([b[ref] - a[ref], c[ref] - b[ref], a[ref] - c[ref]], axis=1)
    second = np.argsort(np.linalg.norm(edges, axis=2), axis=1)[:, 1]
    edge = edges[np.arange(len(ref)), second]
    horiz = np.cross(np.array([0.0, 0.0, 1.0]), pn)
    flat = np.linalg.norm(horiz, axis=1) < 1e-3
    u = np.where(flat[:, None], edge, horiz)
    u = _unit(u - np.einsum("ij,ij->i", u, pn)[:, None] * pn)
    vv = np.cross(pn, u)
    p0 = a[ref]
    # plane extent in (u, v) from its faces' vertices
    smin = np.full(n_planes, np.inf)
    smax = np.full(n_planes, -np.inf)
    tmin, tmax = smin.copy(), smax.copy()
    for corner in (a, b, c):
        rel = corner[fi] - p0[plane_of]
        s = np.einsum("ij,ij->i", rel, u[plane_of])
        t = np.einsum("ij,ij->i", rel, vv[plane_of])
        np.minimum.at(smin, plane_of, s)
        np.maximum.at(smax, plane_of, s)
        np.minimum.at(tmin, plane_of, t)
        np.maximum.at(tmax, plane_of, t)
    porig = p0 + smin[:, None] * u + tmin[:, None] * vv
    nu = np.maximum(1, np.ceil((smax - smin) / cell_size - 1e-9)).astype(np.int64)
    nv = np.maximum(1, np.ceil((tmax - tmin) / cell_size - 1e-9)).astype(np.int64)
    base = np.concatenate([[0], np.cumsum(nu * nv)[:-1]]).astype(np.int64)
    # direction groups per element: normals rounded to halves (a box: 6 groups)
    dkey = np.column_stack([plane_element, np.round(pn * 2).astype(np.int64)])
    _, plane_group = np.unique(dkey, axis=0, return_inverse=True)
    plane_group = plane_group.reshape(-1)
    n_groups = int(plane_group.max()) + 1
    parea = np.bincount(plane_of, weights=w, minlength=n_planes)
    gn = np.zeros((n_groups, 3))
    np.add.at(gn, plane_group, pn * parea[:, None])
    gn = _unit(gn)
    group_element = np.zeros(n_groups, np.int64)
    group_element[plane_group] = plane_element
    grid = SurfaceGrid(cell_size, face_plane, porig + origin, u, vv, pn, nu, nv, base, plane_element,
                       plane_group, group_element, gn, np.zeros(0, np.int64), np.zeros(0, np.int64),
                       np.zeros((0, 3)))
    try:                     # exact cell areas and centroids (numba); dense samples otherwise
        from app.analysis._raster import rasterise_exact

        keys, sums, counts = rasterise_exact(a[fi], b[fi], c[fi], plane_of, porig, u, vv, nu, nv, base, cell_size)
        grid.cell_area = counts
    except ImportError:      # pragma: no cover - no numba
        keys, sums, counts = _rasterise(grid, a[fi], b[fi], c[fi], plane_of, origin)
        grid.cell_area = np.full(len(keys), cell_size * cell_size)
    grid.cell_key = keys
    grid.cell_plane = np.searchsorted(base, keys, side="right") - 1
    grid.cell_centre = sums / counts[:, None] + origin
    return grid


def _rasterise(grid: SurfaceGrid, a: np.ndarray, b: np.ndarray, c: np.ndarray, plane: np.ndarray,
               origin: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Cells touched by dense barycentric samples (spacing cell/2) of each triangle, with the sum
    and count of their samples (the cell centre is their mean)."""
    step = grid.cell_size / 2.0
    longest = np.max([np.linalg.norm(b - a, axis=1), np.linalg.norm(c - b, axis=1),
                      np.linalg.norm(a - c, axis=1)], axis=0)
    n_div = np.maximum(1, np.ceil(longest / step)).astype(np.int64)
    all_keys, all_sums, all_counts = [], [], []
    for n in np.unique(n_div):
        i, j = np.meshgrid(np.arange(n + 1), np.arange(n + 1), indexing="ij")
        keep = i + j <= n
        bary = np.column_stack([i[keep], j[keep]]).astype(np.float64) / n
        bary = np.vstack([bary, [[1 / 3, 1 / 3]]])            # the centroid: tiny triangles too
        tris = np.flatnonzero(n_div == n)
        per = max(1, _SAMPLE_BUDGET // len(bary))
        for s0 in range(0, len(tris), per):
            t = tris[s0: s0 + per]
            pts = (a[t, None, :] + bary[None, :, :1] * (b[t] - a[t])[:, None, :]
                   + bary[None, :, 1:] * (c[t] - a[t])[:, None, :]).reshape(-1, 3)
            pl = np.repeat(plane[t], len(bary))
            k = grid.keys_of(pts, pl, origin)
            uk, inv = np.unique(k, return_inverse=True)
            all_keys.append(uk)
            all_counts.append(np.bincount(inv, minlength=len(uk)).astype(np.float64))
            all_sums.append(np.column_stack([np.bincount(inv, weights=pts[:, d], minlength=len(uk))
                                             for d in range(3)]))
    keys = np.concatenate(all_keys)
    uk, inv = np.unique(keys, return_inverse=True)
    counts = np.bincount(inv, weights=np.concatenate(all_counts), minlength=len(uk))
    sums = np.vstack(all_sums)
    sums = np.column_stack([np.bincount(inv, weights=sums[:, d], minlength=len(uk)) for d in range(3)])
    return uk, sums, counts


def contact_cells(vertices: np.ndarray, faces: np.ndarray, face_element: np.ndarray, grid: SurfaceGrid,
                  margin: float, depth: float) -> np.ndarray:
    """(C,) True where a cell touches or lies inside another element (see the module docstring)."""
    reach = max(margin, depth)
    try:
        from app.analysis._contact import other_element_distance

        d = other_element_distance(grid.cell_centre, grid.cell_element, vertices, faces, face_element, reach)
        return np.isfinite(d) & (d <= margin) & (d >= -depth)
    except ImportError:        # pragma: no cover - no numba: one small C2M index per element
        return _contact_by_index(vertices, faces, face_element, grid, margin, depth)


def _contact_by_index(vertices: np.ndarray, faces: np.ndarray, face_element: np.ndarray, grid: SurfaceGrid,
                      margin: float, depth: float) -> np.ndarray:
    """contact_cells without numba: a DesignIndex over the other elements near each element."""
    contact = np.zeros(grid.n_cells, dtype=bool)
    cell_el = grid.cell_element
    n_el = int(face_element.max()) + 1
    fv = vertices[faces]
    lo = np.full((n_el, 3), np.inf)
    hi = np.full((n_el, 3), -np.inf)
    ok = face_element >= 0
    np.minimum.at(lo, face_element[ok], fv[ok].min(axis=1))
    np.maximum.at(hi, face_element[ok], fv[ok].max(axis=1))
    reach = max(margin, depth)
    face_lo, face_hi = fv.min(axis=1), fv.max(axis=1)
    order = np.argsort(cell_el, kind="stable")
    starts = np.searchsorted(cell_el[order], np.arange(n_el + 1))
    for e in range(n_el):
        cells = order[starts[e]: starts[e + 1]]
        if not len(cells) or not np.isfinite(lo[e]).all():
            continue
        near = (ok & (face_element != e) & (face_lo <= hi[e] + reach).all(axis=1)
                & (face_hi >= lo[e] - reach).all(axis=1))
        if not near.any():
            continue
        sub = faces[near]
        used, inv = np.unique(sub, return_inverse=True)
        try:
            index = DesignIndex(vertices[used], inv.reshape(-1, 3), face_element[near], threads=1)
        except ValueError:                 # only degenerate neighbours: nothing to touch
            continue
        r = index.query(grid.cell_centre[cells], max_distance=reach)
        d = r.distance
        hit = ~r.far & (d <= margin) & (d >= -depth)
        contact[cells[hit]] = True
    return contact


# --------------------------------------------------------------------------- narrow faces


@dataclass
class Proximity:
    """Packing of (element, voxel of cell_size) into one int64, for faces narrower than a cell.

    Why: a face narrower than one cell (a railing bar, a facet of a round column, the end of a
    thin partition) holds too few points for cell counts (at 6 cm point spacing a 2 cm bar face
    gets one point per twenty cells), so its cells take their support from the element's points
    in the neighbouring voxels (within about one cell in 3D) instead."""

    origin: np.ndarray
    cell: float
    bits: int

    @classmethod
    def for_design(cls, lo: np.ndarray, hi: np.ndarray, cell: float, pad: float, n_elements: int) -> "Proximity | None":
        count = int(np.ceil(float(np.max(hi - lo)) / cell + 2 * pad / cell)) + 3
        bits = max(1, int(np.ceil(np.log2(count))))
        if 3 * bits + max(1, int(np.ceil(np.log2(n_elements + 1)))) > 62:
            return None                 # too large to pack: narrow faces use cell counts alone
        return cls(np.asarray(lo, np.float64) - pad - cell, float(cell), bits)

    def voxels(self, points: np.ndarray) -> np.ndarray:
        ijk = np.floor((points - self.origin) / self.cell).astype(np.int64)
        return np.clip(ijk, 0, (1 << self.bits) - 1)

    def pack(self, element: np.ndarray, ijk: np.ndarray) -> np.ndarray:
        b = self.bits
        return (element.astype(np.int64) << (3 * b)) | (ijk[:, 0] << (2 * b)) | (ijk[:, 1] << b) | ijk[:, 2]

    def near(self, keys: np.ndarray, element: np.ndarray, points: np.ndarray) -> np.ndarray:
        """(N,) True where `keys` hold the element in the voxel of a point or one of its 26 neighbours."""
        out = np.zeros(len(points), dtype=bool)
        if not len(keys) or not len(points):
            return out
        ijk = self.voxels(points)
        top = (1 << self.bits) - 1
        for d in np.array(np.meshgrid([-1, 0, 1], [-1, 0, 1], [-1, 0, 1], indexing="ij")).reshape(3, -1).T:
            k = self.pack(element, np.clip(ijk + d, 0, top))
            pos = np.minimum(np.searchsorted(keys, k), len(keys) - 1)
            out |= keys[pos] == k
        return out


def narrow_planes(grid: SurfaceGrid) -> np.ndarray:
    """(P,) True for planes at most one cell wide."""
    return (grid.plane_nu == 1) | (grid.plane_nv == 1)
