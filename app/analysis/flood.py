"""Flooding a terrain to a water level: the connected wet area from a seed point (scipy.ndimage.label,
4-connected: water does not leak through a diagonal gap between two dry cells) or every cell below
the level, with depth per cell, flooded area and volume.

Why a raster: a DEM is what hydraulic people hand over and what GeoTIFF export gives back; meshes and
point clouds are sampled onto one (`dem_from_points`). The grid follows GDAL's affine transform
(row 0 at the top). No Qt, no VTK.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Callable, Sequence

import numpy as np

from loaders.base import LoadError

Progress = Callable[[float, str], None]
MAX_CELLS = 100_000_000
MAX_GRID_CELLS = 25_000_000  # a grid sampled from points (the GUI's terrain layers)


class FloodError(ValueError):
    """A level or seed that floods nothing (or everything): the message says which and why."""


class FloodCancelled(Exception):
    """The user pressed Cancel."""


@dataclass
class Dem:
    """z (rows, cols) float64, NaN where there is no data; transform (a, b, c, d, e, f):
    x = a*col + b*row + c, y = d*col + e*row + f at the pixel's corner (GDAL order)."""

    z: np.ndarray
    transform: tuple[float, float, float, float, float, float]
    crs: str | None = None

    @property
    def cell_area(self) -> float:
        a, b, _, d, e, _ = self.transform
        return abs(a * e - b * d)

    def cell_of(self, x: float, y: float) -> tuple[int, int]:
        """(row, col) of the pixel holding (x, y); FloodError when it is outside the grid."""
        a, b, c, d, e, f = self.transform
        det = a * e - b * d
        col = (e * (x - c) - b * (y - f)) / det
        row = (-d * (x - c) + a * (y - f)) / det
        r, k = int(np.floor(row)), int(np.floor(col))
        if not (0 <= r < self.z.shape[0] and 0 <= k < self.z.shape[1]):
            raise FloodError(f"the seed point ({x:.2f}, {y:.2f}) is outside the terrain")
        return r, k

    def centres(self) -> tuple[np.ndarray, np.ndarray]:
        """x, y of every pixel centre, each (rows, cols)."""
        a, b, c, d, e, f = self.transform
        col, row = np.meshgrid(np.arange(self.z.shape[1]) + 0.5, np.arange(self.z.shape[0]) + 0.5)
        return a * col + b * row + c, d * col + e * row + f

    def ground_range(self) -> tuple[float, float]:
        finite = self.z[np.isfinite(self.z)]
        if not len(finite):
            raise FloodError("the terrain has no heights (every cell is nodata)")
        return float(finite.min()), float(finite.max())


@dataclass
class Flood:
    """depth (rows, cols) float32, NaN where dry; the figures users ask for."""

    level: float
    depth: np.ndarray
    area_m2: float
    volume_m3: float
    wet_cells: int

    def summary(self) -> dict[str, float]:
        return {"level_m": self.level, "area_m2": round(self.area_m2, 3), "volume_m3": round(self.volume_m3, 3),
                "wet_cells": self.wet_cells, "max_depth_m": round(float(np.nanmax(self.depth)), 3) if self.wet_cells else 0.0}


def read_dem(path: str) -> Dem:
    """The first band of a GeoTIFF (rasterio); nodata is NaN. LoadError for anything unreadable."""
    import rasterio

    from loaders.base import check_input

    check_input(path)
    try:
        with rasterio.open(path) as src:
            if src.width * src.height > MAX_CELLS:
                raise LoadError(path, f"DEM too large: {src.width}x{src.height} pixels")
            z = np.ma.filled(src.read(1, masked=True).astype(np.float64), np.nan)
            code = src.crs.to_epsg() if src.crs else None
            crs = f"EPSG:{code}" if code else (src.crs.to_wkt() if src.crs else None)
            return Dem(z, tuple(src.transform)[:6], crs)  # type: ignore[arg-type]
    except rasterio.errors.RasterioIOError as exc:
        raise LoadError(path, f"not a readable GeoTIFF DEM ({str(exc)[:160]})") from None


def check_level(dem: Dem, level: float) -> None:
    """A level that floods nothing or all of the terrain is a mistake to report, not a result."""
    lo, hi = dem.ground_range()
    if not np.isfinite(level):
        raise FloodError(f"the water level must be a number, not {level}")
    if level <= lo:
        raise FloodError(f"level {level:g} m is at or below the lowest ground ({lo:.2f} m): nothing floods")
    if level >= hi:
        raise FloodError(f"level {level:g} m is above the highest ground ({hi:.2f} m): the whole terrain would be "
                         "under water (nothing holds the water back)")


def flood(dem: Dem, level: float, seed: tuple[float, float] | None = None, *, strict: bool = True) -> Flood:
    """Cells below `level`: those connected to `seed` (x, y in the DEM's coordinates), or all of
    them. `strict` (a single level asked for): a level below or above the whole terrain, or a seed
    on dry ground, raise FloodError; in a series such a step is simply dry."""
    from scipy import ndimage

    if strict:
        check_level(dem, level)
    with np.errstate(invalid="ignore"):
        below = dem.z < level  # NaN (nodata) is never wet
    if seed is not None:
        r, k = dem.cell_of(*seed)
        if not below[r, k]:
            if strict:
                ground = dem.z[r, k]
                where = "has no data" if not np.isfinite(ground) else f"ground ({ground:.2f} m) is at or above the level"
                raise FloodError(f"the seed point's {where}: nothing floods there")
            below = np.zeros_like(below)
        else:
            labels, _ = ndimage.label(below)
            below = labels == labels[r, k]
    depth = np.full(dem.z.shape, np.nan, dtype=np.float32)
    depth[below] = (level - dem.z[below]).astype(np.float32)
    wet = int(below.sum())
    volume = float(np.sum(level - dem.z[below], dtype=np.float64)) * dem.cell_area
    return Flood(float(level), depth, wet * dem.cell_area, volume, wet)


def flood_series(dem: Dem, levels: Sequence[float], seed: tuple[float, float] | None = None, *,
                 progress: Progress | None = None, cancel: Callable[[], bool] | None = None) -> list[Flood]:
    """One flood per level of a level-over-time curve (a rising then falling river)."""
    lo, hi = dem.ground_range()
    levels = [float(v) for v in levels]
    if not levels:
        raise FloodError("no water levels given")
    if max(levels) >= hi:
        raise FloodError(f"level {max(levels):g} m is above the highest ground ({hi:.2f} m): the whole terrain would "
                         "be under water (nothing holds the water back)")
    if max(levels) <= lo:
        raise FloodError(f"every level is at or below the lowest ground ({lo:.2f} m): nothing floods")
    out = []
    for i, level in enumerate(levels):
        if cancel and cancel():
            raise FloodCancelled()
        out.append(flood(dem, level, seed, strict=False))
        if progress:
            progress((i + 1) / len(levels), f"level {level:.2f} m ({i + 1} of {len(levels)})")
    return out


def dem_from_points(points: np.ndarray, cell: float = 1.0, max_samples: int = 400_000) -> Dem:
    """A grid of `cell` metres over points (mesh vertices, a ground class, raster centres), heights
    interpolated linearly between them (scipy griddata); outside their hull is nodata."""
    from scipy.interpolate import griddata

    pts = np.asarray(points, dtype=np.float64).reshape(-1, 3)
    pts = pts[np.isfinite(pts).all(1)]
    if len(pts) < 3:
        raise FloodError("the terrain has fewer than three points")
    if len(pts) > max_samples:
        pts = pts[:: int(np.ceil(len(pts) / max_samples))]
    lo, hi = pts[:, :2].min(0), pts[:, :2].max(0)
    cols, rows = int(np.ceil((hi[0] - lo[0]) / cell)), int(np.ceil((hi[1] - lo[1]) / cell))
    if cols < 2 or rows < 2:
        raise FloodError(f"the terrain is smaller than two cells of {cell:g} m")
    if cols * rows > MAX_GRID_CELLS:
        raise FloodError(f"a {cell:g} m grid over this terrain has {cols * rows:,} cells; choose a larger cell size")
    transform = (cell, 0.0, float(lo[0]), 0.0, -cell, float(lo[1] + rows * cell))
    dem = Dem(np.zeros((rows, cols)), transform)
    x, y = dem.centres()
    dem.z = griddata(pts[:, :2], pts[:, 2], (x, y), method="linear")
    return dem


def touched(depth: np.ndarray, dem: Dem, footprints: Sequence[object | None]) -> list[int]:
    """Indices of footprints (shapely polygons in the DEM's coordinates, None to skip) that wet
    cells reach: inside it or within one cell of its outline (water standing at the wall)."""
    import shapely

    wet = np.isfinite(depth)
    if not wet.any():
        return []
    x, y = dem.centres()
    wx, wy = x[wet], y[wet]
    reach = float(np.sqrt(dem.cell_area))
    out = []
    for i, poly in enumerate(footprints):
        if poly is None:
            continue
        grown = poly.buffer(reach)
        x0, y0, x1, y1 = grown.bounds
        near = (wx >= x0) & (wx <= x1) & (wy >= y0) & (wy <= y1)
        if near.any() and shapely.contains_xy(grown, wx[near], wy[near]).any():
            out.append(i)
    return out


def write_depth_geotiff(path: str, dem: Dem, floods: Sequence[Flood], times: Sequence[str] | None = None) -> None:
    """Two bands per level, depth and water_level (m, nodata NaN where dry), each tagged with its
    RESULT_NAME and, for a series, its TIME (ISO): the GeoTIFF loader reads it back as a time
    series coloured by depth and lifted to the water's surface."""
    import rasterio
    from rasterio.transform import Affine

    rows, cols = dem.z.shape
    profile = {"driver": "GTiff", "width": cols, "height": rows, "count": 2 * len(floods), "dtype": "float32",
               "nodata": float("nan"), "transform": Affine(*dem.transform), "compress": "deflate"}
    if dem.crs:
        profile["crs"] = dem.crs
    with rasterio.open(path, "w", **profile) as dst:
        dst.update_tags(RESULT_NAME="depth", RESULT_UNITS="m", RESULT_STYLE="flood")
        for i, f in enumerate(floods):
            surface = np.where(np.isfinite(f.depth), np.float32(f.level), np.float32(np.nan))
            for band, (name, values) in enumerate((("depth", f.depth), ("water_level", surface)), start=2 * i + 1):
                dst.write(values.astype(np.float32), band)
                tags = {"RESULT_NAME": name, "RESULT_UNITS": "m", "LEVEL": f"{f.level:.3f}"}
                if times is not None:
                    tags["TIME"] = times[i]
                dst.update_tags(band, **tags)
                dst.set_band_description(band, name)
