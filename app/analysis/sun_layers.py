"""Sunlight-hours and viewshed results as layer data (saved as derived layers) and as files.

Why point layers: a heat map over ground cells and facade samples is a coloured point set; as a
PointCloudLayer with `info["derived"]` it is saved in the project's sidecar (app/model/derived.py),
coloured by its attribute with a legend, and reopens without recomputing. Exports: CSV (one row
a sample), VTK PolyData (.vtp, every attribute) and, for the ground grid, a GeoTIFF (float32
hours, the scene's display CRS when it has one; rasterio). No Qt.
"""
from __future__ import annotations

import csv
import os
from pathlib import Path
from typing import Any

import numpy as np

from app.analysis.sight import VISIBLE_ATTR, Viewshed
from app.analysis.sunlight import HOURS_ATTR, SunlightResult
from loaders.base import Georef, PointCloudData

BELOW_RGB = (214, 39, 40)  # facades failing the minimum: the comparison's "missing" red
SEEN_RGB, UNSEEN_RGB = (46, 160, 67), (120, 120, 120)
EXPORT_SUFFIXES = (".csv", ".vtp", ".tif")


class ExportError(ValueError):
    """The file could not be written; the message says why."""


def sunlight_name(r: SunlightResult) -> str:
    p = r.params
    kind = "solar time" if p.solar_time else "clock time"
    return f"Sunlight hours {p.day.isoformat()} {p.start:%H:%M}-{p.end:%H:%M} {kind}"


def sunlight_layer_data(r: SunlightResult, georef: Georef, name: str | None = None) -> list[PointCloudData]:
    """The heat map (every sample, attribute HOURS_ATTR) and the failing facades (red), if any."""
    name = name or sunlight_name(r)
    params = {**r.params.to_dict(), "summary": r.summary}
    out = [PointCloudData(name=name, kind="pointcloud", format="derived", georef=georef, source="",
                          positions=np.asarray(r.points, dtype=np.float64),
                          attributes={HOURS_ATTR: r.hours.astype(np.float32), "facade": r.facade.astype(np.uint8)},
                          metadata={"derived": {"analysis": "sunlight_hours", "params": params}})]
    below = r.facade & (r.hours < r.params.min_hours)
    if below.any():
        out.append(PointCloudData(name=f"Facades under {r.params.min_hours:g} h ({r.params.day.isoformat()})", kind="pointcloud",
                                  format="derived", georef=georef, source="", positions=np.asarray(r.points[below], dtype=np.float64),
                                  colors=np.tile(np.array(BELOW_RGB, dtype=np.uint8), (int(below.sum()), 1)),
                                  attributes={HOURS_ATTR: r.hours[below].astype(np.float32)},
                                  metadata={"derived": {"analysis": "sunlight_below_min", "params": params}}))
    return out


def viewshed_layer_data(v: Viewshed, georef: Georef, name: str | None = None) -> PointCloudData:
    colors = np.where(v.visible[:, None], np.array(SEEN_RGB, np.uint8), np.array(UNSEEN_RGB, np.uint8)).astype(np.uint8)
    eye = [round(float(x), 2) for x in v.eye]
    return PointCloudData(name=name or f"Viewshed from {eye[0]:.0f}, {eye[1]:.0f} ({v.radius:g} m)", kind="pointcloud",
                          format="derived", georef=georef, source="", positions=np.asarray(v.points, dtype=np.float64),
                          colors=colors, attributes={VISIBLE_ATTR: v.visible.astype(np.float32), "facade": v.facade.astype(np.uint8)},
                          metadata={"derived": {"analysis": "viewshed", "params": {"eye": eye, "radius_m": v.radius, "summary": v.summary}}})


def style_layer(layer: Any) -> None:
    """The look a fresh result gets: hours on a fixed 0..window ramp, failing facades large and red."""
    info = (layer.info.get("derived") or {})
    analysis = info.get("analysis")
    if analysis == "sunlight_hours":
        window = float((info.get("params") or {}).get("summary", {}).get("window_h") or 8.0)
        layer.color_mode = HOURS_ATTR
        layer.set_color_limits(HOURS_ATTR, (0.0, window))
        layer.point_size = 6.0
    elif analysis == "sunlight_below_min":
        layer.color_mode = "rgb"
        layer.point_size = 7.0
    elif analysis == "viewshed":
        layer.color_mode = VISIBLE_ATTR
        layer.set_color_limits(VISIBLE_ATTR, (0.0, 1.0))
        layer.point_size = 4.0


def export_points(path: str | os.PathLike, positions: np.ndarray, attributes: dict[str, np.ndarray],
                  grid: dict[str, Any] | None = None, crs: str | None = None) -> str:
    """Write a result layer's samples: .csv, .vtp, or .tif (ground grid only). Returns the path."""
    path = str(path)
    suffix = Path(path).suffix.lower()
    try:
        if suffix == ".csv":
            _write_csv(path, positions, attributes)
        elif suffix == ".vtp":
            import pyvista as pv

            mesh = pv.PolyData(np.asarray(positions, dtype=np.float64))
            for key, value in attributes.items():
                mesh.point_data[key] = np.asarray(value)
            mesh.save(path)
        elif suffix in (".tif", ".tiff"):
            if grid is None:
                raise ExportError("a GeoTIFF needs the ground grid: export a sunlight-hours layer computed on the ground")
            _write_geotiff(path, grid, crs)
        else:
            raise ExportError(f"unknown export type '{suffix}' (use .csv, .vtp or .tif)")
    except OSError as exc:
        raise ExportError(f"cannot write {path}: {exc.strerror or exc}") from None
    return path


def _write_csv(path: str, positions: np.ndarray, attributes: dict[str, np.ndarray]) -> None:
    keys = list(attributes)
    with open(path, "w", newline="", encoding="utf-8") as f:
        w = csv.writer(f)
        w.writerow(["x_m", "y_m", "z_m", *keys])
        cols = [np.asarray(positions[:, i]) for i in range(3)] + [np.asarray(attributes[k]) for k in keys]
        for row in zip(*cols):
            w.writerow([f"{float(v):.3f}" for v in row[:3]] + [f"{float(v):.4g}" for v in row[3:]])


def ground_grid(positions: np.ndarray, hours: np.ndarray, facade: np.ndarray, grid_m: float) -> dict[str, Any] | None:
    """Rebuild the ground raster from the samples (they sit on a regular grid): rows north first."""
    g = ~facade.astype(bool)
    if not g.any():
        return None
    xy = positions[g, :2]
    x0, y0 = xy.min(0)
    ix = np.rint((xy[:, 0] - x0) / grid_m).astype(np.int64)
    iy = np.rint((xy[:, 1] - y0) / grid_m).astype(np.int64)
    nx, ny = int(ix.max()) + 1, int(iy.max()) + 1
    raster = np.full((ny, nx), np.nan, dtype=np.float32)
    raster[ny - 1 - iy, ix] = hours[g]
    return {"raster": raster, "west": float(x0 - grid_m / 2), "north": float(y0 + (ny - 0.5) * grid_m), "cell": grid_m}


def _write_geotiff(path: str, grid: dict[str, Any], crs: str | None) -> None:
    import rasterio
    from rasterio.transform import from_origin

    r = grid["raster"]
    transform = from_origin(grid["west"], grid["north"], grid["cell"], grid["cell"])
    with rasterio.open(path, "w", driver="GTiff", height=r.shape[0], width=r.shape[1], count=1, dtype="float32",
                       crs=crs, transform=transform, nodata=float("nan")) as dst:
        dst.write(r, 1)
        dst.update_tags(units="hours", frame="scene ENU metres" if crs is None else crs)
