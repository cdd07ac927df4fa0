"""Second pass: build each cell's octree subtree independently (one dask task per cell), then
the coarse top levels from the points each cell bubbles up.

Points are sorted once by Morton code, so every node and every sampling-grid cell is a
contiguous run; a node keeps the first point of each occupied cell of a 128^3 grid over its cube
(evenly spread, like PotreeConverter 2's sampling) and hands the rest down to its children.
Every point ends up in exactly one node, so a reader adds children to parents (COPC semantics,
3D Tiles `ADD` refinement).
"""
from __future__ import annotations

import glob
import os
from typing import Iterator, Protocol

import numpy as np

from app.tiling.layout import DEPTH, GRID_BITS, MAX_LEVEL, Layout, key_of, prefix, rows, take


_GOLDEN = np.uint64(0x9E3779B97F4A7C15)  # Fibonacci hashing multiplier


class NodeSink(Protocol):
    """Where finished nodes go (a COPC chunk file or pnts tiles)."""

    def write(self, key: tuple[int, int, int, int], records: np.ndarray) -> None: ...
    def finish(self) -> list[dict]: ...


def distribute(codes: np.ndarray, level0: int, max_leaf: int, stop_level: int | None = None,
               grid_bits: int = GRID_BITS) -> Iterator[tuple[int, int, np.ndarray]]:
    """Yield (level, node code, indices) for every non-empty node under the level0 node.

    `codes` must be sorted. Above `stop_level` nodes always sample (the coarse levels), at
    `stop_level` a node takes all that is left; elsewhere a node of <= max_leaf points is a leaf."""
    if not len(codes):
        return
    stack = [(level0, np.arange(len(codes)))]
    while stack:
        level, idx = stack.pop()
        node = int(prefix(codes[idx[0]], level))
        n = len(idx)
        coarse = stop_level is not None and level < stop_level
        if level == stop_level or level >= MAX_LEVEL or (n <= max_leaf and not coarse):
            yield level, node, idx
            continue
        grid = codes[idx] >> np.uint64(3 * (DEPTH - level - grid_bits))
        starts = np.flatnonzero(np.r_[True, grid[1:] != grid[:-1]])
        lengths = np.diff(np.r_[starts, n]).astype(np.uint64)
        # one point per occupied grid cell, chosen by a hash of the cell (deterministic, and not
        # always the cell's low corner as "first in Morton order" would be)
        pick = starts + (((grid[starts] * _GOLDEN) >> np.uint64(32)) % lengths).astype(np.int64)
        chosen = np.zeros(n, bool)
        chosen[pick] = True
        yield level, node, idx[chosen]
        rest = idx[~chosen]
        if not len(rest):
            continue
        child = (codes[rest] >> np.uint64(3 * (DEPTH - level - 1))) & np.uint64(7)
        edges = np.searchsorted(child, np.arange(9, dtype=np.uint64))
        for k in range(7, -1, -1):
            if edges[k] < edges[k + 1]:
                stack.append((level + 1, rest[edges[k]:edges[k + 1]]))


def build_nodes(records: np.ndarray, layout: Layout, level0: int, sink: NodeSink, *,
                stop_level: int | None = None, keep_root: bool = False) -> np.ndarray:
    """Distribute records into nodes under the level0 node, writing them to the sink.

    With keep_root the level0 node is not written but returned: its points bubble up to the
    parent level's build."""
    codes = layout.codes(records)
    order = np.argsort(codes)
    codes = codes[order]
    kept = records[:0]
    for level, node, idx in distribute(codes, level0, layout.max_leaf, stop_level, layout.grid_bits):
        if keep_root and level == level0:
            kept = take(records, order[idx])
        else:
            sink.write(key_of(level, node), take(records, order[idx]))
    return kept


def _read_files(files: list[str], dtype: np.dtype) -> np.ndarray:
    parts = [rows(np.fromfile(f, dtype=dtype)) for f in files]
    return np.concatenate(parts).view(dtype) if parts else np.zeros(0, dtype)


def _split(files: list[str], layout: Layout, level: int, workdir: str) -> dict[int, list[str]]:
    """Stream a too-big cell into its 8 children's files, one chunk in memory at a time."""
    dtype = layout.dtype
    out: dict[int, list[str]] = {}
    for f in files:
        total = os.path.getsize(f) // dtype.itemsize
        for start in range(0, total, layout.chunk_points):
            recs = np.fromfile(f, dtype=dtype, count=layout.chunk_points, offset=start * dtype.itemsize)
            sub = prefix(layout.codes(recs), level + 1)
            order = np.argsort(sub, kind="stable")
            sub, recs = sub[order], take(recs, order)
            edges = np.flatnonzero(np.diff(sub)) + 1
            for lo, hi in zip(np.r_[0, edges], np.r_[edges, len(recs)]):
                name = os.path.join(workdir, f"split-{level + 1}-{int(sub[lo])}.bin")
                with open(name, "ab") as fh:
                    recs[lo:hi].tofile(fh)
                out.setdefault(int(sub[lo]), [name])
    return out


def build_cell_tree(files: list[str], layout: Layout, level: int, sink: NodeSink, workdir: str) -> np.ndarray:
    """Subtree of one cell; returns the cell root's points (not written) for the level above.

    A cell larger than max_cell_points is split on disk and built child by child, so memory
    stays bounded by max_cell_points whatever the file size."""
    rec = layout.record_size
    count = sum(os.path.getsize(f) for f in files) // rec
    if count <= layout.max_cell_points or level >= MAX_LEVEL - 1:
        return build_nodes(_read_files(files, layout.dtype), layout, level, sink, keep_root=True)
    children = _split(files, layout, level, workdir)
    bubbled = []
    for child_files in children.values():
        bubbled.append(build_cell_tree(child_files, layout, level + 1, sink, workdir))
        for f in child_files:
            os.remove(f)
    merged = np.concatenate([rows(b) for b in bubbled]).view(layout.dtype) if bubbled else np.zeros(0, layout.dtype)
    return build_nodes(merged, layout, level, sink, stop_level=level + 1, keep_root=True)


def build_cell(cell: int, layout: Layout, tmpdir: str, sink_factory) -> dict:
    """Dask task: build one partition cell; its root points are spilled for the top build."""
    files = sorted(glob.glob(os.path.join(tmpdir, "cells", f"{cell}.*.bin")))
    workdir = os.path.join(tmpdir, "work", str(cell))
    os.makedirs(workdir, exist_ok=True)
    sink = sink_factory(f"cell-{cell}")
    root = build_cell_tree(files, layout, layout.cell_level, sink, workdir)
    for f in files:
        os.remove(f)
    bubbled = os.path.join(tmpdir, "bubbled", f"{cell}.bin")
    root.tofile(bubbled)
    return {"entries": sink.finish(), "bubbled": bubbled, "count": int(len(root))}


def build_top(bubbled: list[str], layout: Layout, sink_factory) -> dict:
    """Dask task: levels 0..cell_level from the points every cell handed up."""
    records = _read_files(bubbled, layout.dtype)
    sink = sink_factory("top")
    build_nodes(records, layout, 0, sink, stop_level=layout.cell_level)
    return {"entries": sink.finish(), "count": int(len(records))}
