"""COPC (cloud-optimised point cloud): a LAZ 1.4 file whose chunks are the nodes of an octree.

Read node by node: the hierarchy comes from laspy's `CopcReader` (root page) and its sub-pages,
every entry checked against the file before use; chunks are decoded in parallel by runs of
contiguous nodes, and a run that fails is retried node by node, so a bad chunk loses that node
only. The result keeps the hierarchy (`metadata["hierarchy"]`, points stored node by node) so the
scene draws it by level of detail without building an octree (`PointOctree.from_hierarchy`).
`read_copc` is also a view-dependent query: bounds in file CRS coordinates, a resolution in
file units, a point cap.
"""
from __future__ import annotations

import math
import os
import struct
from dataclasses import dataclass
from typing import Sequence

import numpy as np

from loaders import _laz
from loaders._lasdata import PointSink, georef_for, label_for
from loaders.base import Cancel, LayerData, LoadCancelled, LoadError, PointCloudData, Progress
from loaders.registry import register_loader

MAX_POINTS = 30_000_000  # opening a bigger COPC loads the coarse levels that fit, with a warning
RUN = 500_000  # points per parallel decode
MAX_LEVEL = 21  # deepest level an octree key fits (app.model.octree.MAX_BITS)
ENTRY = struct.Struct("<iiiiQii")  # VoxelKey (level, x, y, z), offset, byte size, point count


@dataclass
class Node:
    level: int
    x: int
    y: int
    z: int
    offset: int = 0
    nbytes: int = 0
    count: int = 0  # points in the file's chunk
    start: int = 0  # this node's points in the result: positions[start:stop]
    stop: int = 0

    @property
    def key(self) -> tuple[int, int, int, int]:
        return self.level, self.x, self.y, self.z


def _entries(data: bytes) -> dict[tuple[int, int, int, int], tuple[int, int, int]]:
    """key -> (offset, byte size, point count) for one hierarchy page."""
    out = {}
    for i in range(len(data) // ENTRY.size):
        level, x, y, z, offset, nbytes, count = ENTRY.unpack_from(data, i * ENTRY.size)
        out[(level, x, y, z)] = (offset, nbytes, count)
    return out


def _hierarchy(path: str, reader, file_size: int, warnings: list[str]) -> dict:
    """Every entry of every reachable hierarchy page (pages outside the file are skipped with a
    warning; each page is read once, so a page pointing back at itself cannot loop)."""
    info = reader.copc_info
    root = (int(info.hierarchy_root_offset), int(info.hierarchy_root_size))
    if not (0 < root[0] and root[0] + root[1] <= file_size and root[1] >= ENTRY.size):
        raise LoadError(path, f"corrupt COPC hierarchy root page ({root[1]} bytes at {root[0]})")
    entries: dict = {}
    pages, seen = [root], set()
    with open(path, "rb") as fh:
        while pages:
            offset, size = pages.pop()
            if (offset, size) in seen:
                continue
            seen.add((offset, size))
            if not (0 < offset and offset + size <= file_size and size % ENTRY.size == 0):
                warnings.append(f"COPC hierarchy page at byte {offset} lies outside the file: its nodes are lost")
                continue
            fh.seek(offset)
            for key, (o, n, c) in _entries(fh.read(size)).items():
                if c == -1:
                    pages.append((o, n))
                else:
                    entries[key] = (o, n, c)
    return entries


def _children(node: Node) -> list[tuple[int, int, int, int]]:
    return [(node.level + 1, 2 * node.x + (d & 1), 2 * node.y + ((d >> 1) & 1), 2 * node.z + ((d >> 2) & 1))
            for d in range(8)]


def _cell(info, node: Node) -> tuple[np.ndarray, np.ndarray]:
    """(min corner, max corner) of a node's cube in file coordinates."""
    side = 2.0 * float(info.halfsize) / (2 ** node.level)
    lo = np.asarray(info.center, dtype=np.float64) - float(info.halfsize) + np.array([node.x, node.y, node.z]) * side
    return lo, lo + side


def _select(reader, entries: dict, bounds, max_level: int | None, file_size: int,
            warnings: list[str]) -> list[Node]:
    """Nodes reachable from the root (breadth first) within `bounds` and `max_level`."""
    header = reader.header
    data_start = int(header.offset_to_point_data) + 8
    total = int(header.point_count)
    out: list[Node] = []
    impossible: list[str] = []
    frontier = [(0, 0, 0, 0)]
    while frontier:
        level_nodes = []
        for key in frontier:
            if key not in entries:
                continue
            offset, nbytes, count = entries[key]
            node = Node(*key, offset=offset, nbytes=nbytes, count=max(count, 0))
            if bounds is not None:
                lo, hi = _cell(reader.copc_info, node)
                if np.any(lo > bounds[1]) or np.any(hi < bounds[0]):
                    continue
            if count > 0 and not (data_start <= offset and offset + nbytes <= file_size and nbytes > 0 and count <= total):
                impossible.append("-".join(map(str, key)))
                node.count = 0
            level_nodes.append(node)
        out.extend(level_nodes)
        if not level_nodes or level_nodes[0].level >= min(MAX_LEVEL, max_level if max_level is not None else MAX_LEVEL):
            break
        frontier = [child for node in level_nodes for child in _children(node)]
    if impossible:
        warnings.append(f"{len(impossible)} COPC node(s) have an impossible chunk entry, their points are lost "
                        f"({', '.join(impossible[:5])}{' ...' if len(impossible) > 5 else ''})")
    return out


def _cap(nodes: list[Node], max_points: int | None, total: int, warnings: list[str]) -> list[Node]:
    """Keep the coarse levels whose points fit in `max_points` (the root level always)."""
    if max_points is None or sum(n.count for n in nodes) <= max_points:
        return nodes
    by_level: dict[int, int] = {}
    for n in nodes:
        by_level[n.level] = by_level.get(n.level, 0) + n.count
    keep, used = 0, 0
    for level in sorted(by_level):
        if level > 0 and used + by_level[level] > max_points:
            break
        keep, used = level, used + by_level[level]
    warnings.append(f"COPC file holds {total:,} points: loaded levels 0-{keep} ({used:,} points) to stay "
                    f"within {max_points:,}; query finer levels by area")
    return [n for n in nodes if n.level <= keep]


def _good_points(info, node: Node, arr: np.ndarray, header) -> bool:
    """Decoded points must lie in their node's cube (with slack): garbage from a corrupt chunk
    that the decoder did not notice is caught here."""
    if len(arr) == 0:
        return True
    lo, hi = _cell(info, node)
    slack = (hi - lo) * 0.05 + np.abs(header.scales) * 2
    lo_i = np.floor((lo - slack - header.offsets) / header.scales)
    hi_i = np.ceil((hi + slack - header.offsets) / header.scales)
    lo_i, hi_i = np.minimum(lo_i, hi_i), np.maximum(lo_i, hi_i)
    for axis, name in enumerate("XYZ"):
        v = arr[name]
        if v.min() < lo_i[axis] or v.max() > hi_i[axis]:
            return False
    return True


def _decode(path: str, reader, nodes: list[Node], sink: PointSink, bounds, warnings: list[str],
            cancel: Cancel | None) -> None:
    """Decode the nodes' chunks (runs of contiguous chunks in parallel; a failed run node by
    node) into `sink`, setting each node's start/stop; bad nodes keep no points."""
    header = reader.header
    info = reader.copc_info
    fmt = header.point_format
    vlr_data = reader.laszip_vlr.record_data
    dtype = fmt.dtype()
    size = int(fmt.size)
    _laz.check_item_size(path, vlr_data, size)  # else every node fails the same way
    file_size = os.path.getsize(path)
    node_of: dict[_laz.Chunk, Node] = {}
    lost: list[str] = []
    for node in sorted((n for n in nodes if n.count > 0), key=lambda n: n.offset):
        chunk = _laz.Chunk(node.offset, node.count, node.nbytes)
        if chunk in node_of:  # two entries naming one chunk: the points belong to one node only
            lost.append("-".join(map(str, node.key)))
        else:
            node_of[chunk] = node
    if bounds is not None:
        q_lo = np.round((bounds[0] - header.offsets) / header.scales)
        q_hi = np.round((bounds[1] - header.offsets) / header.scales)
        q_lo, q_hi = np.minimum(q_lo, q_hi), np.maximum(q_lo, q_hi)
    with open(path, "rb") as fh:
        for run in _laz.groups(list(node_of), RUN):
            if cancel is not None and cancel():
                raise LoadCancelled()
            parts: list[tuple[_laz.Chunk, np.ndarray | None]]
            try:
                _laz.check_layers(path, fh, run, int(fmt.id), size, file_size)
                raw = _laz.decode_chunks(fh, run, vlr_data, size).view(dtype)
                ends = np.cumsum([c.count for c in run])
                parts = list(zip(run, np.split(raw, ends[:-1])))
            except Exception:  # noqa: BLE001 - some chunk of the run is bad: find which, node by node
                parts = []
                for chunk in run:
                    try:
                        _laz.check_layers(path, fh, [chunk], int(fmt.id), size, file_size)
                        parts.append((chunk, _laz.decode_chunks(fh, [chunk], vlr_data, size).view(dtype).copy()))
                    except Exception:  # noqa: BLE001
                        parts.append((chunk, None))
            for chunk, arr in parts:
                node = node_of[chunk]
                if arr is None or not _good_points(info, node, arr, header):
                    lost.append("-".join(map(str, node.key)))
                    arr = None
                node.start = sink.done
                if arr is not None:
                    if bounds is not None:
                        keep = np.ones(len(arr), dtype=bool)
                        for axis, name in enumerate("XYZ"):
                            keep &= (arr[name] >= q_lo[axis]) & (arr[name] <= q_hi[axis])
                        arr = arr[keep]
                    sink.add(arr)
                node.stop = sink.done
    if lost:
        shown = ", ".join(lost[:5]) + (f" and {len(lost) - 5} more" if len(lost) > 5 else "")
        warnings.append(f"{len(lost)} COPC node(s) could not be decoded and were skipped ({shown})")


def _bounds(bounds) -> np.ndarray | None:
    """(2,3) query box from (mins, maxs) of 2 or 3 values (2D: every height)."""
    if bounds is None:
        return None
    lo, hi = (np.asarray(b, dtype=np.float64).ravel() for b in bounds)
    if len(lo) not in (2, 3) or len(hi) != len(lo):
        raise ValueError("bounds must be (mins, maxs) with 2 or 3 values each")
    if len(lo) == 2:
        lo, hi = np.r_[lo, -np.inf], np.r_[hi, np.inf]
    return np.array([np.minimum(lo, hi), np.maximum(lo, hi)])


def read_copc(path: str, bounds: tuple[Sequence[float], Sequence[float]] | None = None,
              resolution: float | None = None, max_points: int | None = None, *,
              progress: Progress | None = None, cancel: Cancel | None = None) -> PointCloudData:
    """Points of a COPC file, node by node.

    bounds: (mins, maxs) in the file's CRS coordinates (2 or 3 values); nodes outside are not
    read and points outside are dropped. resolution: the point spacing to reach, in file units
    (coarser levels only, as laspy's CopcReader.query). max_points: keep only the coarse levels
    that fit (warning). The result's metadata["hierarchy"] holds the nodes (level, key, cube,
    start/stop into positions).
    """
    import laspy

    from loaders.las import HEADER_MIN, _check_raw_header, _check_scaling

    file_size = os.path.getsize(path)
    if file_size < HEADER_MIN:
        raise LoadError(path, f"too small to be a COPC file ({file_size} bytes)")
    _check_raw_header(path, file_size)
    query = _bounds(bounds)
    warnings: list[str] = []
    try:
        with laspy.open(path) as probe:  # header only: check the COPC info before CopcReader trusts it
            _check_scaling(path, probe.header)
            info = next((v for v in probe.header.vlrs if getattr(v, "user_id", "") == "copc" and v.record_id == 1), None)
            if info is None:
                raise LoadError(path, "not a COPC file (no COPC info record)")
            if not (0 < info.hierarchy_root_offset <= file_size and 0 < info.hierarchy_root_size <= file_size
                    and math.isfinite(info.halfsize) and info.halfsize > 0 and np.isfinite(info.center).all()):
                raise LoadError(path, "corrupt COPC info record (hierarchy or cube outside the file)")
        stream = open(path, "rb")  # ours: CopcReader.open leaves its file open when the header is refused
        try:
            reader = laspy.CopcReader(stream, close_fd=True)
        except BaseException:
            stream.close()
            raise
    except LoadError:
        raise
    except Exception as exc:  # noqa: BLE001 - laspy raises many kinds on a corrupt COPC
        raise LoadError(path, f"not a readable COPC file: {exc}") from None
    with reader:
        header = reader.header
        total = int(header.point_count)
        entries = _hierarchy(path, reader, file_size, warnings)
        max_level = None
        if resolution is not None and resolution > 0 and reader.copc_info.spacing > 0:
            max_level = max(0, math.ceil(math.log2(reader.copc_info.spacing / resolution)))
        nodes = _select(reader, entries, query, max_level, file_size, warnings)
        nodes = _cap(nodes, max_points, total, warnings)
        sink = PointSink(header, sum(n.count for n in nodes), progress)
        _decode(path, reader, nodes, sink, query, warnings, cancel)
        georef = georef_for(header, warnings, sink.bounds)
        cloud = sink.finish(os.path.basename(path), label_for(header), georef, path)
        info = reader.copc_info
        cells = [_cell(info, n) for n in nodes]
        cloud.metadata.update({
            "loader": "COPC",
            "copc_points": total,
            "copc_spacing": float(info.spacing),
            "hierarchy": {
                "level": np.array([n.level for n in nodes], dtype=np.int64),
                "key": np.array([[n.x, n.y, n.z] for n in nodes], dtype=np.int64).reshape(-1, 3),
                "start": np.array([n.start for n in nodes], dtype=np.int64),
                "stop": np.array([n.stop for n in nodes], dtype=np.int64),
                "center": np.array([(lo + hi) / 2 for lo, hi in cells], dtype=np.float64).reshape(-1, 3),
                "half_size": np.array([(hi[0] - lo[0]) / 2 for lo, hi in cells], dtype=np.float64),
            },
        })
    cloud.warnings = warnings
    if progress is not None:
        progress(1.0, f"{len(cloud.positions):,} points")
    return cloud


@register_loader(".copc.laz", priority=11, name="COPC")
def read_copc_file(path: str, *, progress: Progress | None = None, cancel: Cancel | None = None) -> list[LayerData]:
    """Open a whole COPC file (up to MAX_POINTS points, coarse levels first)."""
    return [read_copc(path, max_points=MAX_POINTS, progress=progress, cancel=cancel)]
