"""Could an empty design cell have been seen? Rays against the design and the scan's occupancy.

Why: an empty cell means "not built" only if a scanner could have seen it. Two things hide a cell:
design elements that stand (a wall in front of a column) and things that were there on the day
but are not in the design (pallets, scaffolding, parked machines), known only from scan points
that lie away from every design surface. The first is an Embree ray cast (embreex through
trimesh, float32: coordinates are shifted to a local origin first) with a pure-numpy fallback;
the second is a sparse voxel occupancy (sorted int64 keys with point counts, mergeable and
bounded by the scanned extent at voxel resolution) marched along each ray.
"""
from __future__ import annotations

import numpy as np

_BITS = 21                       # per axis: +-1M voxels (+-200 km at 0.2 m)
_HALF = 1 << (_BITS - 1)
_MARCH_BUDGET = 2_000_000        # ray samples per batch


def voxel_keys(points: np.ndarray, origin: np.ndarray, size: float) -> np.ndarray:
    """One int64 key per point: its voxel index (x, y, z packed, 21 bits each) from `origin`."""
    ijk = np.floor((points - origin) / size).astype(np.int64) + _HALF
    ijk = np.clip(ijk, 0, (1 << _BITS) - 1)
    return (ijk[:, 0] << (2 * _BITS)) | (ijk[:, 1] << _BITS) | ijk[:, 2]


def merge_counts(keys_a: np.ndarray, counts_a: np.ndarray, keys_b: np.ndarray,
                 counts_b: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Union of two sparse voxel count sets (sorted unique keys, summed counts)."""
    if not len(keys_b):
        return keys_a, counts_a
    if not len(keys_a):
        return keys_b, counts_b
    keys = np.concatenate([keys_a, keys_b])
    uk, inv = np.unique(keys, return_inverse=True)
    return uk, np.bincount(inv, weights=np.concatenate([counts_a, counts_b]), minlength=len(uk)).astype(np.int64)


def _march(start, direction, length, occupied, origin, size, skip):  # noqa: ANN001, ANN202 - numba
    """occupancy_blocked one ray at a time, stopping at the first occupied voxel."""
    out = np.zeros(len(start), np.bool_)
    step = size / 3.0
    top = (1 << _BITS) - 1
    for r in numba.prange(len(start)):
        t = skip
        while t <= length[r] - skip:
            key = np.int64(0)
            for k in range(3):
                i = np.int64(np.floor((start[r, k] + t * direction[r, k] - origin[k]) / size)) + _HALF
                i = min(max(i, 0), top)
                key = (key << _BITS) | i
            j = np.searchsorted(occupied, key)
            if j < len(occupied) and occupied[j] == key:
                out[r] = True
                break
            t += step
    return out


try:                               # numba comes with py3dtiles; numpy batches otherwise
    import numba

    _march_compiled = numba.njit(cache=True, parallel=True)(_march)
except ImportError:                # pragma: no cover - depends on the environment
    _march_compiled = None


def occupancy_blocked(start: np.ndarray, direction: np.ndarray, length: np.ndarray, occupied: np.ndarray,
                      origin: np.ndarray, size: float, skip: float, compiled: bool = True) -> np.ndarray:
    """(R,) True where a ray passes an occupied voxel between `skip` from its start and `skip`
    before its end (samples every size/3: a voxel's width is never jumped)."""
    blocked = np.zeros(len(start), dtype=bool)
    if not len(occupied) or not len(start):
        return blocked
    if compiled and _march_compiled is not None:
        return _march_compiled(np.ascontiguousarray(start, np.float64), np.ascontiguousarray(direction, np.float64),
                               np.asarray(length, np.float64), occupied, np.asarray(origin, np.float64),
                               float(size), float(skip))
    step = size / 3.0
    n = np.maximum(0, np.floor((length - 2 * skip) / step).astype(np.int64) + 1)
    n[length <= 2 * skip] = 0
    todo = np.flatnonzero(n > 0)
    i0 = 0
    while i0 < len(todo):
        cum = np.cumsum(n[todo[i0:]])
        i1 = i0 + max(1, int(np.searchsorted(cum, _MARCH_BUDGET)))
        rays = todo[i0:i1]
        cnt = n[rays]
        row = np.repeat(np.arange(len(rays)), cnt)
        k = np.arange(int(cnt.sum())) - np.repeat(np.cumsum(cnt) - cnt, cnt)
        t = skip + k * step
        pts = start[rays][row] + t[:, None] * direction[rays][row]
        keys = voxel_keys(pts, origin, size)
        pos = np.minimum(np.searchsorted(occupied, keys), len(occupied) - 1)
        hit = occupied[pos] == keys
        blocked[rays[np.unique(row[hit])]] = True
        i0 = i1
    return blocked


class DesignRays:
    """First-hit ray casting against a set of design triangles (the elements that stand)."""

    def __init__(self, vertices: np.ndarray, faces: np.ndarray) -> None:
        self.origin = vertices.min(axis=0) if len(vertices) else np.zeros(3)
        self.empty = len(faces) == 0
        if self.empty:
            return
        import trimesh

        mesh = trimesh.Trimesh(vertices - self.origin, faces, process=False)
        try:
            from trimesh.ray.ray_pyembree import RayMeshIntersector
            self._caster = RayMeshIntersector(mesh)
        except ImportError:      # pragma: no cover - embreex is pinned; trimesh's numpy fallback is slow
            from trimesh.ray.ray_triangle import RayMeshIntersector as Slow
            self._caster = Slow(mesh)
        tri = (vertices - self.origin)[faces]
        self._a = tri[:, 0]
        n = np.cross(tri[:, 1] - tri[:, 0], tri[:, 2] - tri[:, 0])
        self._n = n / np.maximum(np.linalg.norm(n, axis=1, keepdims=True), 1e-300)

    def blocked(self, start: np.ndarray, direction: np.ndarray, length: np.ndarray) -> np.ndarray:
        """(R,) True where the first design hit lies before `length` along the ray."""
        out = np.zeros(len(start), dtype=bool)
        if self.empty or not len(start):
            return out
        org = start - self.origin
        for s0 in range(0, len(start), 1_000_000):
            sl = slice(s0, s0 + 1_000_000)
            hit = np.asarray(self._caster.intersects_first(org[sl], direction[sl]), dtype=np.int64)
            got = np.flatnonzero(hit >= 0)
            f = hit[got]
            den = np.einsum("ij,ij->i", self._n[f], direction[sl][got])
            with np.errstate(divide="ignore", invalid="ignore"):
                t = np.einsum("ij,ij->i", self._n[f], self._a[f] - org[sl][got]) / den
            t = np.where(np.isfinite(t), t, 0.0)      # edge-on hit: count it at the start
            out[s0 + got[t < length[sl][got]]] = True
        return out
