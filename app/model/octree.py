"""Potree-style level-of-detail octree for point clouds (pure numpy, no VTK).

Why: frame cost must not grow with file size. Every node holds a spatially even subsample of
its region that no ancestor already holds, so the root alone is an overview of the whole cloud
and each finer node only adds detail. A viewer draws the nodes nearest and largest on screen
until its point budget is spent (see `viewers.lod`).

The build is vectorised: one Morton sort of all points, then one pass per tree level (not per
point, not per node) over the points not yet claimed by a coarser node.
"""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from loaders.base import LoadCancelled

Progress = Callable[[float, str], None] | None
Cancel = Callable[[], bool] | None

MAX_BITS = 21  # 3 * 21 = 63 bits: the deepest Morton code that fits a uint64

_SPREAD = ((32, 0x1F00000000FFFF), (16, 0x1F0000FF0000FF), (8, 0x100F00F00F00F00F),
           (4, 0x10C30C30C30C30C3), (2, 0x1249249249249249))


def _spread_bits(v: np.ndarray) -> np.ndarray:
    """Put bit i of `v` at bit 3i, so three spread axes interleave into one Morton code."""
    x = v.astype(np.uint64) & np.uint64(0x1FFFFF)
    for shift, mask in _SPREAD:
        x |= x << np.uint64(shift)
        x &= np.uint64(mask)
    return x


def _compact_bits(v: np.ndarray) -> np.ndarray:
    """Inverse of `_spread_bits`: recover one axis' cell index from a Morton key."""
    x = v.astype(np.uint64) & np.uint64(0x1249249249249249)
    masks = [m for _, m in _SPREAD[:-1]][::-1] + [0x1FFFFF]
    for shift, mask in zip((2, 4, 8, 16, 32), masks):
        x ^= x >> np.uint64(shift)
        x &= np.uint64(mask)
    return x.astype(np.int64)


@dataclass
class PointOctree:
    """Nodes in breadth-first order (all of level d before level d+1; siblings adjacent).

    A node's own points are `order[start:stop]` (indices into the original positions). Every
    point belongs to exactly one node. Children of node i are `first_child[i] ... +child_count[i]`.
    """

    order: np.ndarray        # (N,) int64 permutation of point indices, grouped by node
    level: np.ndarray        # (M,) int16 depth, root = 0
    center: np.ndarray       # (M, 3) float64 cell centre
    half_size: np.ndarray    # (M,) float64 half of the cubic cell's edge
    start: np.ndarray        # (M,) int64
    stop: np.ndarray         # (M,) int64
    parent: np.ndarray       # (M,) int64, -1 for the root
    first_child: np.ndarray  # (M,) int64, -1 for a leaf
    child_count: np.ndarray  # (M,) int64
    max_points_per_node: int
    max_depth: int

    @property
    def num_nodes(self) -> int:
        return int(len(self.level))

    @property
    def num_points(self) -> int:
        return int(len(self.order))

    @property
    def point_counts(self) -> np.ndarray:
        return self.stop - self.start

    @property
    def radius(self) -> np.ndarray:
        """Bounding-sphere radius of each cell, for culling and screen-size estimates."""
        return self.half_size * np.sqrt(3.0)

    def children(self, node: int) -> np.ndarray:
        first = int(self.first_child[node])
        return np.arange(first, first + int(self.child_count[node]), dtype=np.int64) if first >= 0 \
            else np.zeros(0, dtype=np.int64)

    def node_indices(self, node: int) -> np.ndarray:
        """This node's own points, as indices into the original positions."""
        return self.order[self.start[node]:self.stop[node]]

    @classmethod
    def from_hierarchy(cls, level: np.ndarray, key: np.ndarray, start: np.ndarray, stop: np.ndarray,
                       center: np.ndarray, half_size: np.ndarray, *,
                       transform: Callable[[np.ndarray], np.ndarray] | None = None) -> "PointOctree":
        """An octree over an existing hierarchy (a COPC file's nodes) instead of a build.

        Node i is cell `key[i]` (x, y, z) at depth `level[i]`, a cube `center[i]` +- `half_size[i]`,
        owning positions[start[i]:stop[i]] (points stored node by node, nodes in any order). The
        result has `build_octree`'s layout: breadth first, siblings adjacent (Morton order in a
        level). A node whose parent is absent is dropped with its subtree (selection walks down
        from the root); a node without points is kept so that its children stay reachable.
        `transform` maps the cubes' coordinates to the positions' frame (file CRS -> scene ENU):
        centres are transformed, half sizes scaled by the largest axis stretch at the root.
        """
        level = np.asarray(level, dtype=np.int64).ravel()
        key = np.asarray(key, dtype=np.int64).reshape(-1, 3)
        start = np.asarray(start, dtype=np.int64).ravel()
        stop = np.asarray(stop, dtype=np.int64).ravel()
        center = np.asarray(center, dtype=np.float64).reshape(-1, 3)
        half_size = np.asarray(half_size, dtype=np.float64).ravel()
        if not len(level) == len(key) == len(start) == len(stop) == len(center) == len(half_size):
            raise ValueError("hierarchy arrays must have one row per node")
        if (start < 0).any() or (stop < start).any():
            raise ValueError("hierarchy node ranges must satisfy 0 <= start <= stop")
        ok = (level >= 0) & (level <= MAX_BITS) & (key >= 0).all(1) & (key < (1 << np.clip(level, 0, MAX_BITS))[:, None]).all(1)
        level, key, start, stop, center, half_size = level[ok], key[ok], start[ok], stop[ok], center[ok], half_size[ok]
        code = _spread_bits(key[:, 0]) | (_spread_bits(key[:, 1]) << np.uint64(1)) | (_spread_bits(key[:, 2]) << np.uint64(2))
        sort = np.lexsort((code, level))
        first = np.ones(len(sort), dtype=bool)  # a key listed twice keeps its first node
        first[1:] = (level[sort][1:] != level[sort][:-1]) | (code[sort][1:] != code[sort][:-1])
        sort = sort[first]
        ids = {(int(lv), int(c)): i for i, (lv, c) in enumerate(zip(level[sort].tolist(), code[sort].tolist()))}
        parent = np.full(len(sort), -1, dtype=np.int64)
        keep = np.zeros(len(sort), dtype=bool)
        for i, (lv, c) in enumerate(zip(level[sort].tolist(), code[sort].tolist())):
            if lv == 0:
                keep[i] = i == 0
            else:
                p = ids.get((lv - 1, c >> 3), -1)
                keep[i] = p >= 0 and bool(keep[p])
                parent[i] = p
        if not keep.any():  # no root: one empty root, as build_octree gives an empty cloud
            return build_octree(np.zeros((0, 3)))
        new_id = np.cumsum(keep) - 1
        sel = sort[keep]
        parent = np.where(parent[keep] >= 0, new_id[np.maximum(parent[keep], 0)], -1)
        own = stop[sel] - start[sel]
        new_stop = np.cumsum(own)
        new_start = new_stop - own
        order = np.repeat(start[sel] - new_start, own) + np.arange(int(own.sum()), dtype=np.int64)
        node_center, node_half = center[sel], half_size[sel]
        if transform is not None:
            c0, h0 = node_center[:1], float(node_half[0]) or 1.0
            base = np.asarray(transform(c0), dtype=np.float64).reshape(1, 3)
            probes = np.asarray(transform(c0 + np.eye(3) * h0), dtype=np.float64).reshape(3, 3)
            stretch = float(np.linalg.norm(probes - base, axis=1).max() / h0)
            node_center = np.asarray(transform(node_center), dtype=np.float64).reshape(-1, 3)
            node_half = node_half * stretch
        first_child, child_count = _child_links(parent)
        return cls(order=order, level=level[sel].astype(np.int16), center=node_center, half_size=node_half,
                   start=new_start.astype(np.int64), stop=new_stop.astype(np.int64), parent=parent,
                   first_child=first_child, child_count=child_count,
                   max_points_per_node=max(1, int(own.max(initial=0))), max_depth=int(level[sel].max()))


def _child_links(parent: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """first_child and child_count from the parent column of breadth-first nodes (siblings
    adjacent, root first)."""
    first_child = np.full(len(parent), -1, dtype=np.int64)
    child_count = np.zeros(len(parent), dtype=np.int64)
    if len(parent) > 1:
        uniq, first, count = np.unique(parent[1:], return_index=True, return_counts=True)
        first_child[uniq] = first + 1
        child_count[uniq] = count
    return first_child, child_count


def _check(progress: Progress, cancel: Cancel, fraction: float, message: str) -> None:
    if cancel is not None and cancel():
        raise LoadCancelled()
    if progress is not None:
        progress(float(fraction), message)


def _root_cube(positions: np.ndarray) -> tuple[np.ndarray, float]:
    """Cubic bounds so that cells stay cubes (octants of equal size on every axis)."""
    if len(positions) == 0:
        return np.zeros(3), 0.5
    lo = np.array([positions[:, a].min() for a in range(3)])  # per column: 4x faster than min(0)
    hi = np.array([positions[:, a].max() for a in range(3)])
    half = float((hi - lo).max()) / 2.0
    half = half * (1.0 + 1e-9) if half > 0 else 0.5  # a single position still gets a real cell
    return (lo + hi) / 2.0, half


_CHUNK = 1 << 20


def _morton(positions: np.ndarray, root_min: np.ndarray, half: float, bits: int) -> np.ndarray:
    """Morton codes, in chunks through reused buffers: at 10M points, fresh temporaries'
    page faults cost more than the arithmetic."""
    n, cells = len(positions), 1 << bits
    scale = cells / (2.0 * half)
    byte_tables = [[_spread_bits(np.arange(256)) << np.uint64(3 * 8 * b + axis) for b in range(3)]
                   for axis in range(3)]
    code = np.zeros(n, dtype=np.uint64)
    c = min(n, _CHUNK)
    f, q, byte, part = np.empty(c), np.empty(c, np.int32), np.empty(c, np.int32), np.empty(c, np.uint64)
    for s in range(0, n, _CHUNK):
        k = min(n, s + _CHUNK) - s
        out, fk, qk, bk, pk = code[s:s + k], f[:k], q[:k], byte[:k], part[:k]
        for axis in range(3):
            np.subtract(positions[s:s + k, axis], root_min[axis], out=fk)
            np.multiply(fk, scale, out=fk)
            np.clip(fk, 0, cells - 1, out=fk)
            np.copyto(qk, fk, casting="unsafe")
            for b, table in enumerate(byte_tables[axis]):
                np.right_shift(qk, 8 * b, out=bk)
                np.bitwise_and(bk, 255, out=bk)
                np.take(table, bk, out=pk)
                np.bitwise_or(out, pk, out=out)
    return code


def build_octree(positions: np.ndarray, *, max_points_per_node: int = 20_000, max_depth: int = 16,
                 progress: Progress = None, cancel: Cancel = None) -> PointOctree:
    """Octree of `positions` (N,3) whose every node holds at most `max_points_per_node` points
    spread over its cell; leaves (and depth-limited cells) hold whatever remains.

    Raises ValueError for non-finite coordinates or bad parameters; LoadCancelled when `cancel()`.
    """
    positions = np.asarray(positions, dtype=np.float64)
    if positions.ndim != 2 or positions.shape[1] != 3:
        raise ValueError(f"positions must be (N, 3), got {positions.shape}")
    if max_points_per_node < 1:
        raise ValueError("max_points_per_node must be >= 1")
    if not 0 <= max_depth <= MAX_BITS:
        raise ValueError(f"max_depth must be within 0..{MAX_BITS}")
    if not np.isfinite(positions).all():
        raise ValueError("positions contain NaN or infinite coordinates")
    _check(progress, cancel, 0.0, "octree: bounds")
    n = len(positions)
    center, half = _root_cube(positions)
    root_min = center - half
    bits = max(max_depth, 1)
    codes = _morton(positions, root_min, half, bits)
    _check(progress, cancel, 0.2, "octree: sorting")
    perm = np.argsort(codes)  # introsort: deterministic, 2x faster than stable
    active_codes = codes[perm]
    del codes
    active = perm  # original indices of points not yet claimed, in Morton order
    _check(progress, cancel, 0.5, "octree: levels")

    kept: list[np.ndarray] = []
    lv: list[np.ndarray] = []
    keys_all: list[np.ndarray] = []
    counts_all: list[np.ndarray] = []
    parents: list[np.ndarray] = []
    prev_keys = np.zeros(0, dtype=np.uint64)
    prev_ids = np.zeros(0, dtype=np.int64)
    n_nodes = 0
    m = int(max_points_per_node)
    for depth in range(max_depth + 1):
        if len(active) == 0:
            break
        keys = active_codes >> np.uint64(3 * (bits - depth))
        breaks = np.flatnonzero(keys[1:] != keys[:-1]) + 1
        gstart = np.concatenate(([0], breaks)).astype(np.int64)
        count = np.diff(np.concatenate((gstart, [len(active)])))
        leaf = (count <= m) | (depth == max_depth)
        step = np.where(leaf, 1, -(-count // m))  # every k-th point: even cover, at most m points
        own = np.where(leaf, count, -(-count // step))
        keep = np.repeat(leaf, count)  # leaves keep all; inner nodes every step-th point
        inner_own = own[~leaf]
        rank = np.arange(int(inner_own.sum()), dtype=np.int64) - np.repeat(np.cumsum(inner_own) - inner_own, inner_own)
        keep[np.repeat(gstart[~leaf], inner_own) + rank * np.repeat(step[~leaf], inner_own)] = True
        kept.append(active[keep])
        gkeys = keys[gstart]
        del keys
        ids = n_nodes + np.arange(len(gstart), dtype=np.int64)
        if depth == 0:
            parents.append(np.full(len(gstart), -1, dtype=np.int64))
        else:
            parents.append(prev_ids[np.searchsorted(prev_keys, gkeys >> np.uint64(3))])
        lv.append(np.full(len(gstart), depth, dtype=np.int16))
        keys_all.append(gkeys)
        counts_all.append(own)
        inner = ~leaf
        prev_keys, prev_ids = gkeys[inner], ids[inner]
        n_nodes += len(gstart)
        np.logical_not(keep, out=keep)
        active, active_codes = active[keep], active_codes[keep]
        _check(progress, cancel, 0.5 + 0.45 * min(depth + 1, 10) / 10, f"octree: level {depth}")

    if n == 0:  # an empty cloud is one empty root, so callers never special-case it
        lv, keys_all = [np.zeros(1, np.int16)], [np.zeros(1, np.uint64)]
        counts_all, parents, kept = [np.zeros(1, np.int64)], [np.full(1, -1, np.int64)], [np.zeros(0, np.int64)]
    level = np.concatenate(lv)
    key = np.concatenate(keys_all)
    own = np.concatenate(counts_all)
    parent = np.concatenate(parents)
    stop = np.cumsum(own)
    start = stop - own
    cell = 2.0 * half / (2.0 ** level.astype(np.float64))
    idx = np.stack([_compact_bits(key >> np.uint64(a)) for a in range(3)], axis=1)
    node_center = root_min + (idx + 0.5) * cell[:, None]
    first_child, child_count = _child_links(parent)
    _check(progress, cancel, 1.0, "octree: done")
    return PointOctree(order=np.concatenate(kept).astype(np.int64, copy=False), level=level,
                       center=node_center, half_size=cell / 2.0, start=start.astype(np.int64),
                       stop=stop.astype(np.int64), parent=parent, first_child=first_child,
                       child_count=child_count, max_points_per_node=m, max_depth=int(max_depth))
