"""First pass of tiling: stream each input in chunks and bucket its points into spatial cells
spilled to disk.

Only one chunk (`Layout.chunk_points`) is in memory per task, so a file larger than RAM works.
Each task writes its own part file per cell (`cells/<cell>.<task>.bin`, raw LAS 1.4 records of
the output format) so tasks never share a file handle.
"""
from __future__ import annotations

import math
import os
from dataclasses import dataclass

import numpy as np

from app.tiling.inputs import InputInfo
from app.tiling.layout import Layout, TaskInputError, rows, take


def to_layout_records(chunk, layout: Layout) -> np.ndarray:
    """Convert a laspy chunk (any format 0-10) to records of the output format 6/7/8.

    Hand-written rather than laspy's per-dimension copy because the legacy bit fields
    (formats 0-5) need repacking and this runs on every point."""
    src = chunk.array
    names = set(src.dtype.names)
    if src.dtype == layout.dtype:  # same format, no extra bytes: fix X/Y/Z in place (a fresh buffer per chunk)
        out = src if src.flags.writeable else rows(src).copy().view(src.dtype)
    else:
        out = np.zeros(len(src), layout.dtype)
    for i, name in enumerate("XYZ"):
        shift = (chunk.offsets[i] - layout.offsets[i]) / layout.scales[i]
        if chunk.scales[i] == layout.scales[i] and shift == round(shift) and abs(shift) < 2**31:  # same grid
            out[name] = (src[name] + np.int64(shift)) if shift else src[name]
            continue
        real = src[name].astype(np.float64) * chunk.scales[i] + chunk.offsets[i]
        out[name] = np.round((real - layout.offsets[i]) / layout.scales[i])
    if src.dtype == layout.dtype:
        return out
    for name in out.dtype.names[3:]:
        if name in names and name not in ("bit_fields",):
            out[name] = src[name]
    if chunk.point_format.id >= 6:
        out["bit_fields"] = src["bit_fields"]
    else:
        bf = src["bit_fields"]
        rc = src["raw_classification"]
        out["bit_fields"] = (bf & 7) | (((bf >> 3) & 7) << 4)
        out["classification"] = rc & 31
        out["classification_flags"] = ((rc >> 5) & 7) | (((bf >> 6) & 1) << 6) | (((bf >> 7) & 1) << 7)
        out["scan_angle"] = np.round(src["scan_angle_rank"].astype(np.float32) / 0.006).astype(np.int16)
    return out


@dataclass
class PartStats:
    """What one partition task saw: points per cell and the true bounds/returns for the header."""

    cells: dict[int, int]
    points: int
    imin: list[int]
    imax: list[int]
    returns: list[int]
    gps: tuple[float, float]


def partition_range(path: str, start: int, count: int, layout: Layout, tmpdir: str, task: int) -> PartStats:
    """Read points [start, start+count) of one file and append them to per-cell part files."""
    import laspy

    cells: dict[int, int] = {}
    imin = [2**31] * 3
    imax = [-(2**31)] * 3
    returns = np.zeros(16, np.int64)
    gps = (math.inf, -math.inf)
    done = 0
    cell_dir = os.path.join(tmpdir, "cells")
    try:
        with laspy.open(path, laz_backend=laspy.LazBackend.Lazrs) as reader:
            if start:
                reader.seek(start)
            for chunk in reader.chunk_iterator(min(layout.chunk_points, count)):
                n = min(len(chunk), count - done)
                if n <= 0:
                    break
                recs = to_layout_records(chunk[:n] if n < len(chunk) else chunk, layout)
                done += n
                for i, name in enumerate("XYZ"):
                    imin[i] = min(imin[i], int(recs[name].min()))
                    imax[i] = max(imax[i], int(recs[name].max()))
                returns += np.bincount(recs["bit_fields"] & 15, minlength=16)
                gps = (min(gps[0], float(recs["gps_time"].min())), max(gps[1], float(recs["gps_time"].max())))
                cell = layout.cells(recs)
                if layout.cell_level <= 5:  # < 2^15 cells: numpy's stable sort is a radix sort on uint16
                    cell = cell.astype(np.uint16)
                order = np.argsort(cell, kind="stable")
                cell, recs = cell[order], take(recs, order)
                edges = np.flatnonzero(cell[1:] != cell[:-1]) + 1
                for lo, hi in zip(np.r_[0, edges], np.r_[edges, n]):
                    c = int(cell[lo])
                    with open(os.path.join(cell_dir, f"{c}.{task}.bin"), "ab") as fh:
                        recs[lo:hi].tofile(fh)
                    cells[c] = cells.get(c, 0) + int(hi - lo)
                if done >= count:
                    break
    except TaskInputError:
        raise
    except Exception as exc:  # noqa: BLE001 - truncated/corrupt LAZ fails mid-stream in the decoder
        raise TaskInputError(path, f"point data is corrupt or truncated near point {start + done} ({exc})") from None
    if done < count:
        raise TaskInputError(path, f"header declares {count} points from {start} but the file holds only {start + done}")
    return PartStats(cells=cells, points=done, imin=imin, imax=imax, returns=returns.tolist(), gps=gps)


def ranges(infos: list[InputInfo], workers: int, chunk_points: int) -> list[tuple[str, int, int]]:
    """Split inputs into (path, start, count) pieces so several tasks can read one big file."""
    total = sum(i.count for i in infos)
    # two pieces per worker (a whole multiple of the workers, so none idles at the end), and
    # pieces of at most 64 chunks so a big cluster gets enough of them
    workers = max(1, workers)
    pieces = max(2 * workers, math.ceil(total / (64 * chunk_points)))
    pieces = math.ceil(pieces / workers) * workers
    span = max(chunk_points, math.ceil(total / pieces), 1)
    out = []
    for info in infos:
        for start in range(0, info.count, span if info.seekable else max(1, info.count)):
            out.append((info.path, start, min(span, info.count - start)))
    return out
