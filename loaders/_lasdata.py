"""LAS point records -> PointCloudData, and the CRS of a LAS header (shared by LAS, LAZ and COPC).

`PointSink` fills preallocated arrays chunk by chunk straight from laspy's structured point
records (no per-chunk laspy record objects, no temporaries for scaled coordinates), so the
loader costs little beyond decoding.
"""
from __future__ import annotations

from typing import Callable

import numpy as np

from loaders.base import Georef, PointCloudData, Progress

UNPLACED = "placed unreferenced at the scene origin (set its EPSG code or place it by hand)"
BLOCK = 16_384  # points converted per pass: a block of records stays in the CPU cache
STANDARD = ("intensity", "classification", "return_number", "number_of_returns", "point_source_id", "gps_time")


def is_copc(header) -> bool:
    return any(getattr(v, "user_id", "") == "copc" and getattr(v, "record_id", 0) == 1 for v in header.vlrs)


def label_for(header) -> str:
    version = f"{header.version.major}.{header.version.minor}"
    return f"{'LAZ' if header.are_points_compressed else 'LAS'} {version}" + (" COPC" if is_copc(header) else "")


def crs_problem(crs, bounds: Callable[[], np.ndarray | None]) -> str | None:
    """Why `crs` cannot be the CRS of these points, or None when it may be.

    Files in the wild declare a geographic CRS for projected or local coordinates (laspy's own
    simple1_4.las: "degrees" up to 226 and 100); placing those fails or puts them nowhere. Only
    geographic CRSs are checked here (cheap, no transformer); a projected CRS that cannot place
    its points is caught where the scene transforms them."""
    horiz = crs.sub_crs_list[0] if crs.is_compound and crs.sub_crs_list else crs
    if not horiz.is_geographic:
        return None
    b = bounds()
    if b is None:
        return None
    (x0, y0, _), (x1, y1, _) = b
    if x0 < -180 or x1 > 360 or y0 < -90 or y1 > 90 or not np.isfinite(b).all():
        return f"it is geographic (degrees) but the coordinates are not longitudes/latitudes (x {x0:.6g}..{x1:.6g}, y {y0:.6g}..{y1:.6g})"
    return None


def georef_for(header, warnings: list[str], bounds: Callable[[], np.ndarray | None]) -> Georef:
    """CRS from the WKT or GeoTIFF VLRs. No CRS, a garbage one or one that cannot hold these
    coordinates: unreferenced placement with a warning (the user can set the EPSG code).
    `bounds()` gives the points' (2,3) min/max, asked only when needed."""
    try:
        crs = header.parse_crs()
    except Exception as exc:  # noqa: BLE001 - laspy/pyproj raise many kinds on a bad VLR
        warnings.append(f"CRS record in file is unreadable ({type(exc).__name__}); {UNPLACED}")
        return Georef(kind="none")
    if crs is None:
        warnings.append(f"no CRS in file; {UNPLACED}")
        return Georef(kind="none")
    try:
        wkt, name = crs.to_wkt(), crs.name
    except Exception:  # noqa: BLE001
        wkt, name = None, "?"
    if not wkt:
        warnings.append(f"CRS record in file cannot be expressed as WKT; {UNPLACED}")
        return Georef(kind="none")
    problem = crs_problem(crs, bounds)
    if problem:
        warnings.append(f"CRS in file ({name}) ignored: {problem}; {UNPLACED}")
        return Georef(kind="none")
    return Georef(kind="crs", crs=wkt)


def _plan(fmt, names) -> list[tuple[str, str, int | None, int]]:
    """(attribute, structured field, bit mask or None, shift) for each standard attribute."""
    from laspy.point.dims import get_sub_fields_dict

    subs = get_sub_fields_dict(fmt.id)
    out = []
    for name in names:
        if name in subs:
            field, sub = subs[name]
            mask = int(sub.mask)
            out.append((name, field, mask, (mask & -mask).bit_length() - 1))
        else:
            out.append((name, name, None, 0))
    return out


class PointSink:
    """Preallocated output arrays for `count` points, filled by `add(structured_records)`.

    Why not laspy's record views: those build per-dimension temporaries and scaled copies; here
    every value is written once, straight into its final array.
    """

    def __init__(self, header, count: int, progress: Progress | None = None) -> None:
        fmt = header.point_format
        self.header, self.fmt, self.count, self.progress, self.done = header, fmt, count, progress, 0
        self.scales = np.asarray(header.scales, dtype=np.float64)
        self.offsets = np.asarray(header.offsets, dtype=np.float64)
        dims = set(fmt.dimension_names)
        dtype = fmt.dtype()
        self.positions = np.empty((count, 3), dtype=np.float64)
        self.has_rgb = {"red", "green", "blue"} <= dims
        self.rgb8 = np.empty((count, 3), dtype=np.uint8) if self.has_rgb else None
        self.rgb16: np.ndarray | None = None  # only while every colour seen so far is 8-bit
        self.shift_rgb: bool | None = None  # decided by the first chunk: 16-bit colours are shifted
        self.plan = _plan(fmt, [n for n in STANDARD if n in dims])
        self.attrs: dict[str, np.ndarray] = {}
        for name, field, mask, _ in self.plan:
            self.attrs[name] = np.empty(count, np.uint8 if mask is not None else dtype[field].base)
        self.extras: dict[str, tuple[str, object]] = {}  # attribute key -> (field, dimension info)
        for dim in fmt.extra_dimensions:
            key = dim.name if dim.name not in self.attrs else f"extra_{dim.name}"
            scaled = dim.scales is not None or dim.offsets is not None
            self.attrs[key] = np.empty((count,) + dtype[dim.name].shape, np.float64 if scaled else dtype[dim.name].base)
            self.extras[key] = (dim.name, dim)

    def add(self, arr: np.ndarray) -> None:
        """Append structured point records (laspy's point format dtype).

        Converted in blocks that stay in the CPU cache: each field pass then re-reads cached
        records instead of streaming the whole decoded buffer from memory once per field (2x
        faster at a million points)."""
        n = min(len(arr), self.count - self.done)
        if n <= 0:
            return
        if self.has_rgb:
            self._decide_rgb(arr[:n])
        for b0 in range(0, n, BLOCK):
            self._add_block(arr[b0:min(n, b0 + BLOCK)], self.done + b0)
        self.done += n
        if self.progress is not None and self.count:
            self.progress(self.done / self.count, f"{self.done:,} of {self.count:,} points")

    def _add_block(self, arr: np.ndarray, at: int) -> None:
        sl = slice(at, at + len(arr))
        for axis, name in enumerate("XYZ"):
            col = self.positions[sl, axis]
            np.multiply(arr[name], self.scales[axis], out=col)
            col += self.offsets[axis]
        if self.has_rgb:
            for axis, name in enumerate(("red", "green", "blue")):
                if self.rgb16 is not None:
                    self.rgb16[sl, axis] = arr[name]
                elif self.shift_rgb:
                    np.right_shift(arr[name], 8, out=self.rgb8[sl, axis], casting="unsafe")
                else:
                    np.copyto(self.rgb8[sl, axis], arr[name], casting="unsafe")
        for name, field, mask, shift in self.plan:
            out = self.attrs[name][sl]
            if mask is None:
                np.copyto(out, arr[field])
            else:
                np.bitwise_and(arr[field], mask, out=out)
                if shift:
                    np.right_shift(out, shift, out=out)
        for key, (field, dim) in self.extras.items():
            out, values = self.attrs[key][sl], arr[field]
            if dim.scales is not None or dim.offsets is not None:
                scale = 1.0 if dim.scales is None else np.asarray(dim.scales, dtype=np.float64)
                offset = 0.0 if dim.offsets is None else np.asarray(dim.offsets, dtype=np.float64)
                np.multiply(values, scale, out=out)
                out += offset
            else:
                np.copyto(out, values)

    def _decide_rgb(self, arr: np.ndarray) -> None:
        """LAS colours are 16-bit but many writers store 8-bit values: shift only 16-bit ones
        (decided once for the file, as a whole-file max would, but without a second pass)."""
        names = ("red", "green", "blue")
        if self.shift_rgb is None:
            self.shift_rgb = any(int(arr[c].max(initial=0)) > 255 for c in names)
        if not self.shift_rgb and self.rgb16 is None and any(int(arr[c].max(initial=0)) > 255 for c in names):
            self.rgb16 = np.empty((self.count, 3), np.uint16)  # 8-bit so far, then 16-bit values
            self.rgb16[: self.done] = self.rgb8[: self.done]

    def bounds(self) -> np.ndarray | None:
        """(2,3) min/max of the points added so far."""
        if self.done == 0:
            return None
        p = self.positions[: self.done]
        return np.array([[p[:, a].min() for a in range(3)], [p[:, a].max() for a in range(3)]])

    def colors(self) -> np.ndarray | None:
        if self.rgb8 is None:
            return None
        if self.rgb16 is not None:
            return (self.rgb16[: self.done] >> 8).astype(np.uint8)
        return self.rgb8[: self.done]

    def finish(self, name: str, label: str, georef: Georef, source: str) -> PointCloudData:
        header = self.header
        n = self.done
        metadata = {
            "point_format": int(self.fmt.id),
            "version": f"{header.version.major}.{header.version.minor}",
            "scale": [float(v) for v in header.scales],
            "offset": [float(v) for v in header.offsets],
            "header_bounds": [[float(v) for v in header.mins], [float(v) for v in header.maxs]],
        }
        return PointCloudData(
            name=name, kind="pointcloud", format=label, georef=georef, source=source, metadata=metadata,
            positions=self.positions[:n], colors=self.colors(), attributes={k: v[:n] for k, v in self.attrs.items()},
        )
