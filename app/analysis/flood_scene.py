"""A flood computed on the scene's own layers (the GUI's Analysis > Planning > Flood...): the terrain
layer sampled onto a grid in scene ENU, flooded to a level or a level-over-time curve, returned as
result-layer data (depth and water level per step, saved with the project as a derived layer) with
the buildings the water reaches. Runs in a worker: plain arrays in, plain data out. No Qt."""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Callable, Sequence

import numpy as np

from app.analysis.flood import Dem, dem_from_points, flood_series, touched
from app.analysis.footprints import Footprint
from loaders.base import Georef
from loaders.results_base import ResultData, raster_corners

GROUND_CLASS = 2  # ASPRS ground


@dataclass
class FloodRun:
    """What the dialog asks: terrain points (scene ENU), levels (scene z) at epochs (or one level)."""

    terrain: np.ndarray
    levels: list[float]
    epochs: list[float] | None = None
    seed: tuple[float, float] | None = None
    cell: float = 1.0
    name: str = "Flood"
    buildings: list[tuple[int, list[Footprint]]] = field(default_factory=list)  # (layer id, footprints)
    params: dict[str, Any] = field(default_factory=dict)
    dem: Dem | None = None  # a raster terrain resampled already (raster_dem); else `terrain` is gridded


@dataclass
class FloodOutcome:
    data: ResultData
    touched: dict[int, list[int]]  # layer id -> element indices the water reaches
    summary: dict[str, float]
    names: list[str] = field(default_factory=list)  # the buildings reached, by name


def terrain_points(layer: Any) -> np.ndarray:
    """Scene ENU points that describe a terrain layer: a raster result's lifted pixel corners, a
    point cloud's ground class (all points when it has none), a mesh's vertices."""
    from app.model.layers import MeshLayer, PointCloudLayer
    from app.model.results import ResultLayer

    if isinstance(layer, ResultLayer):
        d = layer.data
        h = layer.values_at(None, layer.height_by or layer.color_mode)
        if h is None:
            return np.asarray(d["vertices"], dtype=np.float64)
        if layer.is_cell_array(layer.height_by or layer.color_mode) and d.get("grid_shape") is not None:
            from app.model.results import corner_heights

            h = corner_heights(h, d["grid_shape"])
        pts = np.asarray(d["vertices"], dtype=np.float64)
        return pts + h[:, None] * np.asarray(d["up"])[None, :] if len(h) == len(pts) else pts
    if isinstance(layer, PointCloudLayer):
        pts = layer.positions
        cls = layer.data.get("attributes", {}).get("classification")
        if cls is not None and (cls == GROUND_CLASS).any():
            pts = pts[cls == GROUND_CLASS]
        return np.asarray(pts, dtype=np.float64)
    if isinstance(layer, MeshLayer):
        return np.asarray(layer.data["vertices"], dtype=np.float64)
    raise ValueError(f"{getattr(layer, 'name', layer)} cannot serve as terrain")


def raster_dem(layer: Any, cell: float | None = None) -> Dem:
    """A raster result layer (a DEM) as a north-up grid in scene ENU, by nearest pixel: no
    triangulation (scipy's griddata on 90k grid points took 36 s here, its Delaunay being degenerate
    on a lattice). `cell` defaults to the raster's own pixel size."""
    from app.model.results import ResultLayer

    if not isinstance(layer, ResultLayer) or layer.data.get("grid_shape") is None or layer.data["grid_shape"][2] != 1:
        raise ValueError(f"{getattr(layer, 'name', layer)} is not a raster")
    nx, ny, _ = layer.data["grid_shape"]
    v = np.asarray(layer.data["vertices"], dtype=np.float64)
    origin = v[0, :2]
    ax = (v[nx - 1, :2] - origin) / (nx - 1)  # one pixel along a row, in ENU
    ay = (v[(ny - 1) * nx, :2] - origin) / (ny - 1)  # one pixel down a column
    inverse = np.linalg.inv(np.column_stack([ax, ay]))
    size = float(min(np.linalg.norm(ax), np.linalg.norm(ay)))
    cell = float(cell or size)
    name = layer.height_by or layer.color_mode
    values = layer.values_at(None, name)
    if values is None or not layer.is_cell_array(name):
        raise ValueError(f"{layer.name} has no heights per pixel")
    heights = values.reshape(ny - 1, nx - 1)
    base = v[:, 2].reshape(ny, nx)[:-1, :-1] + 0.0  # ENU z of the datum's zero at each pixel's corner
    lo, hi = v[:, :2].min(0), v[:, :2].max(0)
    cols, rows = int(np.ceil((hi[0] - lo[0]) / cell)), int(np.ceil((hi[1] - lo[1]) / cell))
    from app.analysis.flood import MAX_GRID_CELLS

    if cols * rows > MAX_GRID_CELLS:
        raise ValueError(f"a {cell:g} m grid over this terrain has {cols * rows:,} cells; choose a larger cell size")
    dem = Dem(np.zeros((rows, cols)), (cell, 0.0, float(lo[0]), 0.0, -cell, float(lo[1] + rows * cell)))
    x, y = dem.centres()
    ij = np.tensordot(np.stack([x - origin[0], y - origin[1]], -1), inverse.T, axes=1)
    i, j = np.floor(ij[..., 0]).astype(np.int64), np.floor(ij[..., 1]).astype(np.int64)
    inside = (i >= 0) & (i < nx - 1) & (j >= 0) & (j < ny - 1)
    z = np.full(x.shape, np.nan)
    z[inside] = heights[j[inside], i[inside]] + base[j[inside], i[inside]]
    dem.z = z
    return dem


def run_flood(run: FloodRun, progress: Callable[[float, str], None] | None = None,
              cancel: Callable[[], bool] | None = None) -> FloodOutcome:
    if progress:
        progress(0.02, "sampling the terrain")
    dem = run.dem if run.dem is not None else dem_from_points(run.terrain, run.cell)
    floods = flood_series(dem, run.levels, run.seed, progress=lambda f, m: progress and progress(0.05 + 0.85 * f, m),
                          cancel=cancel)
    wettest = np.full(dem.z.shape, np.nan, dtype=np.float32)
    for f in floods:
        wettest = np.fmax(wettest, f.depth)
    hits, names = {}, []
    for key, prints in run.buildings:
        reached = touched(wettest, dem, [p.polygon for p in prints])
        hits[key] = [prints[i].index for i in reached]
        names += [prints[i].name for i in reached]
    return FloodOutcome(flood_data(dem, floods, run), hits, _summary(floods), names)


def _summary(floods: Sequence[Any]) -> dict[str, float]:
    peak = max(floods, key=lambda f: f.volume_m3)
    return {"peak_area_m2": round(peak.area_m2, 1), "peak_volume_m3": round(peak.volume_m3, 1), "steps": len(floods)}


def flood_data(dem: Dem, floods: Sequence[Any], run: FloodRun) -> ResultData:
    rows, cols = dem.z.shape
    steps = [{"depth": f.depth.ravel().astype(np.float64),
              "water_level": np.where(np.isfinite(f.depth), f.level, np.nan).ravel()} for f in floods]
    epochs = np.asarray(run.epochs, dtype=np.float64) if run.epochs is not None and len(floods) > 1 else None
    params = {**run.params, "levels": [round(v, 3) for v in run.levels], "cell_m": run.cell,
              "seed": list(run.seed) if run.seed else None, **_summary(floods)}
    return ResultData(name=run.name, kind="simulation", format="flood (Twinscape)", georef=Georef(),
                      points=raster_corners(cols, rows, dem.transform), grid_shape=(cols + 1, rows + 1, 1), steps=steps,
                      cell_arrays={"depth", "water_level"}, times=epochs, times_absolute=epochs is not None,
                      units={"depth": "m", "water_level": "m"},
                      metadata={"derived": {"analysis": "flood", "params": params},
                                "style": {"color_mode": "depth", "height_by": "water_level", "cmap": "water"},
                                "raster": {"width": cols, "height": rows, "transform": list(dem.transform), "crs": None}})
