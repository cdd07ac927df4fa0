"""Result layers out of Twinscape: GeoTIFF (rasters, every time step as tagged bands), CSV (values
at points or cell centres at the clock's time, scene ENU and lat/lon) and VTK (.vtu/.vtk/.vts of the
clock's time, through pyvista). Why: ArcGIS Pro's exploratory analyses cannot be saved and
CityEngine's cannot be exported; ours go to the tools people hand them to.

A raster made in the scene (a flood computed on a layer) has ENU coordinates: it is written in a
transverse Mercator centred on the scene origin, which matches ENU to a few ppm across a city.
"""
from __future__ import annotations

import csv
import os
from datetime import datetime, timezone
from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:
    from app.model.results import ResultLayer
    from app.model.scene import Scene


class ExportError(ValueError):
    """Why a result could not be written (format, permissions)."""


def local_crs(origin_lla: tuple[float, float, float] | None) -> str | None:
    if origin_lla is None:
        return None
    lat, lon, _ = origin_lla
    return f"+proj=tmerc +lat_0={lat:.9f} +lon_0={lon:.9f} +k=1 +x_0=0 +y_0=0 +ellps=GRS80 +units=m +no_defs"


def export_result(layer: "ResultLayer", path: str, scene: "Scene") -> None:
    ext = os.path.splitext(path)[1].lower()
    try:
        if ext in (".tif", ".tiff"):
            export_geotiff(layer, path, scene)
        elif ext == ".csv":
            export_csv(layer, path, scene)
        elif ext in (".vtu", ".vtk", ".vts", ".vtp"):
            export_vtk(layer, path, scene)
        else:
            raise ExportError(f"unknown export format '{ext or '(none)'}' (use .tif, .csv, .vtu, .vtk or .vts)")
    except ExportError:
        raise
    except (OSError, ValueError, RuntimeError) as exc:
        raise ExportError(f"cannot write: {str(exc)[:200]}") from None


def _arrays_at(layer: "ResultLayer", when: datetime | None) -> dict[str, np.ndarray]:
    return {name: layer.values_at(when, name) for name in layer.available_color_modes()}  # type: ignore[misc]


def export_geotiff(layer: "ResultLayer", path: str, scene: "Scene") -> None:
    import rasterio
    from rasterio.transform import Affine

    raster, shape = layer.data.get("raster"), layer.data.get("grid_shape")
    if not raster or shape is None or shape[2] != 1:
        raise ExportError("only raster results (a grid of pixels) export as GeoTIFF; use CSV or VTK")
    width, height = int(raster["width"]), int(raster["height"])
    crs = raster.get("crs") or local_crs(scene.frame.origin_lla)
    epochs = layer.epochs()
    names = layer.available_color_modes()
    steps = layer.steps
    profile = {"driver": "GTiff", "width": width, "height": height, "count": len(steps) * len(names), "dtype": "float32",
               "nodata": float("nan"), "transform": Affine(*raster["transform"]), "compress": "deflate"}
    if crs:
        profile["crs"] = crs
    with rasterio.open(path, "w", **profile) as dst:
        dst.update_tags(RESULT_NAME=layer.color_mode, RESULT_UNITS=layer.unit(layer.color_mode))
        band = 1
        for i, step in enumerate(steps):
            for name in names:
                dst.write(np.asarray(step[name], dtype=np.float32).reshape(height, width), band)
                tags = {"RESULT_NAME": name, "RESULT_UNITS": layer.unit(name)}
                if epochs is not None:
                    tags["TIME"] = datetime.fromtimestamp(float(epochs[i]), timezone.utc).isoformat()
                dst.update_tags(band, **tags)
                dst.set_band_description(band, name)
                band += 1


def _centres(layer: "ResultLayer") -> np.ndarray:
    """Cell centres (scene ENU) of the layer's grid or cells."""
    return np.asarray(_dataset(layer).cell_centers().points, dtype=np.float64)


def _dataset(layer: "ResultLayer"):
    return result_dataset(layer.data, np.asarray(layer.data["vertices"], dtype=np.float64))


def result_dataset(d: dict, pts: np.ndarray):
    """The pyvista dataset of a result's mesh (structured grid, cells, or points) on `pts`: the
    export takes the float64 scene points, the visual float32 points relative to its offset."""
    import pyvista as pv

    if d.get("grid_shape") is not None:
        grid = pv.StructuredGrid()
        grid.points = pts
        grid.dimensions = tuple(int(v) for v in d["grid_shape"])
        return grid
    if d.get("cells") is not None and d.get("cell_types") is not None and len(d["cell_types"]):
        return pv.UnstructuredGrid(np.asarray(d["cells"], dtype=np.int64), np.asarray(d["cell_types"], dtype=np.uint8), pts)
    return pv.PolyData(pts)


def export_csv(layer: "ResultLayer", path: str, scene: "Scene") -> None:
    when = scene.clock.time
    arrays = _arrays_at(layer, when)
    on_cells = [n for n in arrays if layer.is_cell_array(n)]
    on_points = [n for n in arrays if not layer.is_cell_array(n)]
    names = on_cells if on_cells and not on_points else on_points
    xyz = _centres(layer) if names is on_cells else np.asarray(layer.data["vertices"], dtype=np.float64)
    keep = np.ones(len(xyz), dtype=bool)
    for n in names:
        keep &= np.isfinite(arrays[n])
    lla = scene.frame.enu_to_lla(xyz[keep]) if scene.frame.is_set and keep.any() else None
    header = ["e_m", "n_m", "u_m"] + (["lat_deg", "lon_deg", "h_m"] if lla is not None else [])
    header += [f"{n}_{layer.unit(n)}".rstrip("_") for n in names]
    with open(path, "w", newline="", encoding="utf-8") as fh:
        out = csv.writer(fh)
        out.writerow([f"# {layer.name} at {when.isoformat()}"])
        out.writerow(header)
        rows = np.column_stack([xyz[keep]] + ([lla] if lla is not None else []) + [arrays[n][keep][:, None] for n in names])
        for row in rows:
            out.writerow([f"{v:.6f}" if i >= 3 and i < 5 and lla is not None else f"{v:.4f}" for i, v in enumerate(row)])


def export_vtk(layer: "ResultLayer", path: str, scene: "Scene") -> None:
    grid = _dataset(layer)
    for name, values in _arrays_at(layer, scene.clock.time).items():
        target = grid.cell_data if layer.is_cell_array(name) else grid.point_data
        target[name] = values
    ext = os.path.splitext(path)[1].lower()
    if ext == ".vts" and not hasattr(grid, "dimensions"):
        raise ExportError("only grids export as .vts; use .vtu or .vtk")
    if ext == ".vtu" and not hasattr(grid, "celltypes"):
        grid = grid.cast_to_unstructured_grid()
    if ext == ".vtp":
        grid = grid.extract_surface()
    grid.save(path)
