"""Check the inputs' headers before any point is read, and choose the job's layout from them.

The header checks are the LAS loader's (`loaders.las`) plus a LAZ chunk-table check of our own:
a truncated or corrupt LAZ must end in `error: PATH: reason`, not a hang or a huge allocation.
"""
from __future__ import annotations

import math
import os
from dataclasses import dataclass, field

import numpy as np

from app.tiling.layout import CHUNK_POINTS, MAX_LEVEL, Layout, aligned_cube
from loaders import las as las_checks
from loaders.base import LoadError

INT32_SPAN = 2_000_000_000  # quantised coordinates must stay inside int32 with headroom


@dataclass
class InputInfo:
    """Header facts of one input, checked before any point is read."""

    path: str
    count: int
    point_format: int
    scales: tuple[float, float, float]
    offsets: tuple[float, float, float]
    mins: tuple[float, float, float]
    maxs: tuple[float, float, float]
    crs_wkt: str | None
    has_rgb: bool
    has_nir: bool
    seekable: bool = True  # LAZ without a chunk table can only be read from the start
    warnings: list[str] = field(default_factory=list)


def scan_input(path: str) -> InputInfo:
    """Validate a LAS/LAZ header with the loader's own checks (lying sizes, broken LAZ tables)."""
    import laspy

    try:
        size = os.path.getsize(path)
    except OSError as exc:
        raise LoadError(path, f"cannot read: {exc.strerror or exc}") from None
    if os.path.isdir(path):
        raise LoadError(path, "is a folder, not a LAS/LAZ file")
    if size < las_checks.HEADER_MIN:
        raise LoadError(path, f"too small to be a LAS file ({size} bytes)")
    las_checks._check_raw_header(path, size)
    try:
        with laspy.open(path, laz_backend=laspy.LazBackend.Lazrs) as reader:
            header = reader.header
            las_checks._check_size(path, header, size)
            if header.are_points_compressed:
                seekable = _check_laz(path, header, size)
            else:
                seekable = True
            warnings: list[str] = []
            crs = _crs_wkt(header, warnings)
            dims = set(header.point_format.dimension_names)
            info = InputInfo(
                path=path, count=int(header.point_count), point_format=int(header.point_format.id),
                scales=tuple(float(v) for v in header.scales), offsets=tuple(float(v) for v in header.offsets),
                mins=tuple(float(v) for v in header.mins), maxs=tuple(float(v) for v in header.maxs),
                crs_wkt=crs,
                has_rgb={"red", "green", "blue"} <= dims, has_nir="nir" in dims, seekable=seekable, warnings=warnings)
    except LoadError:
        raise
    except Exception as exc:  # noqa: BLE001 - laspy raises many kinds on garbage
        raise LoadError(path, f"not a readable LAS/LAZ file: {exc}") from None
    if not all(math.isfinite(v) for v in info.scales + info.offsets):
        raise LoadError(path, "header holds NaN or infinite scale or offset")
    if min(abs(v) for v in info.scales) <= 0:
        raise LoadError(path, "header scale is zero")
    if info.count and not _bounds_possible(info):
        info.mins, info.maxs = _measured_bounds(path, info.count)
        info.warnings.append("header bounds cannot hold its points; bounds measured from the points")
    return info


def _bounds_possible(info: InputInfo) -> bool:
    """Finite, ordered, and reachable by int32 coordinates at the file's scale and offset."""
    for lo, hi, s, o in zip(info.mins, info.maxs, info.scales, info.offsets):
        if not (math.isfinite(lo) and math.isfinite(hi)) or lo > hi:
            return False
        reach = (o - abs(s) * 2**31 - abs(s), o + abs(s) * 2**31 + abs(s))
        if lo < reach[0] or hi > reach[1]:
            return False
    return True


def _measured_bounds(path: str, count: int) -> tuple[tuple[float, ...], tuple[float, ...]]:
    """One streaming pass for the true bounds when the header's cannot be right."""
    import laspy

    lo, hi = np.full(3, np.inf), np.full(3, -np.inf)
    done = 0
    try:
        with laspy.open(path, laz_backend=laspy.LazBackend.Lazrs) as reader:
            for chunk in reader.chunk_iterator(1_000_000):
                xyz = np.column_stack([chunk.x, chunk.y, chunk.z])
                lo, hi = np.minimum(lo, xyz.min(axis=0)), np.maximum(hi, xyz.max(axis=0))
                done += len(chunk)
                if done >= count:
                    break
    except Exception as exc:  # noqa: BLE001 - corrupt point data
        raise LoadError(path, f"point data is corrupt or truncated after {done} of {count} points ({exc})") from None
    if not done:
        raise LoadError(path, "header declares points but the file holds none")
    return tuple(map(float, lo)), tuple(map(float, hi))


def _check_laz(path: str, header, size: int) -> bool:
    """Refuse a LAZ chunk table that cannot be right before lazrs seeks or allocates on it: the
    table must lie in the file, its chunks must fit before it, and (formats 6-10) each chunk's
    layer sizes must fit in the chunk (a flipped byte there makes lazrs allocate gigabytes).
    The checks are the loader's own (loaders._laz); False when the writer left no table."""
    from loaders import _laz

    start = int(header.offset_to_point_data)
    with open(path, "rb") as fh:
        table_at, _ = _laz.chunk_table_offset(path, fh, start, size)
        if table_at == -1:
            return False  # written without a table (streamed): no seeking; the decoder's end-of-data check applies
        vlr = next((v for v in header.vlrs if v.user_id == "laszip encoded" and v.record_id == 22204), None)
        if vlr is None:
            raise LoadError(path, "compressed points but no LAZ VLR")
        _laz.check_item_size(path, vlr.record_data, int(header.point_format.size))
        read = _laz.read_table(fh, vlr.record_data, start)
        if read is None:
            raise LoadError(path, "corrupt LAZ chunk table (unreadable)")
        chunks = read[0]
        if sum(c.nbytes for c in chunks) > table_at - start - 8:
            raise LoadError(path, "corrupt LAZ chunk table (its chunks run past the table)")
        _laz.check_layers(path, fh, chunks, header.point_format.id, header.point_format.size, size)
    return True


def _crs_wkt(header, warnings: list[str]) -> str | None:
    """WKT of the file's CRS (WKT or GeoTIFF VLRs); a garbage CRS record is a warning, not an error."""
    try:
        crs = header.parse_crs()
        return crs.to_wkt() if crs is not None else None
    except Exception as exc:  # noqa: BLE001 - laspy/pyproj raise many kinds on a bad VLR
        warnings.append(f"CRS record is unreadable ({type(exc).__name__}); treated as having no CRS")
        return None


def _same_crs(a: str, b: str) -> bool:
    from pyproj import CRS

    try:
        return CRS.from_wkt(a).equals(CRS.from_wkt(b), ignore_axis_order=True)
    except Exception:  # noqa: BLE001 - unparsable WKT: compare as text
        return a == b


def make_layout(infos: list[InputInfo], *, workers: int = 2, max_leaf: int = 100_000,
                max_cell_points: int = 4_000_000, chunk_points: int = CHUNK_POINTS) -> tuple[Layout, list[str]]:
    """One frame for all inputs: common CRS, point format 6/7/8, quantisation and octree cube."""
    warnings = [f"{i.path}: {w}" for i in infos for w in i.warnings]
    warnings += [f"{i.path}: the file holds no points" for i in infos if not i.count]
    with_crs = [i for i in infos if i.crs_wkt]
    crs = with_crs[0].crs_wkt if with_crs else None
    for info in with_crs[1:]:
        if not _same_crs(crs, info.crs_wkt):
            raise LoadError(info.path, f"its CRS differs from that of {with_crs[0].path}; reproject the inputs to one CRS first")
    if with_crs and len(with_crs) < len(infos):
        warnings.append("some inputs have no CRS; they are taken to be in the CRS of the others")
    fmt = 8 if any(i.has_nir for i in infos) else 7 if any(i.has_rgb for i in infos) else 6
    used = [i for i in infos if i.count] or infos
    mins = np.min([i.mins for i in used], axis=0)
    maxs = np.max([i.maxs for i in used], axis=0)
    extent = maxs - mins
    scales = np.min([np.abs(i.scales) for i in used], axis=0)
    scales = np.maximum(scales, extent / INT32_SPAN)  # coarser quantisation only when int32 would overflow
    offsets = np.asarray(used[0].offsets) if all(i.offsets == used[0].offsets and i.scales == used[0].scales for i in used) \
        else np.round((mins + maxs) / 2 / scales) * scales
    if np.any(np.abs(np.r_[mins - offsets, maxs - offsets]) / np.r_[scales, scales] > INT32_SPAN):
        offsets = np.round((mins + maxs) / 2 / scales) * scales
    halfsize = float(max(extent.max() / 2 * (1 + 1e-9), scales.max() * 4))
    total = sum(i.count for i in infos)
    target = min(max(total / (8 * max(1, workers)), 250_000), max_cell_points / 2)
    cell_level = int(min(6, MAX_LEVEL - 1, max(0, math.ceil(math.log(max(total, 1) / target, 4))))) if total > target else 0
    cube = aligned_cube(mins, maxs, scales, offsets) or {"center": tuple(map(float, (mins + maxs) / 2)), "halfsize": halfsize}
    layout = Layout(point_format=fmt, scales=tuple(map(float, scales)), offsets=tuple(map(float, offsets)),
                    cell_level=cell_level, total_points=total, crs_wkt=crs, max_leaf=max_leaf,
                    max_cell_points=max_cell_points, chunk_points=chunk_points,
                    data_center=tuple(map(float, (mins + maxs) / 2)), **cube)
    return layout, warnings


