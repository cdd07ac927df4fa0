"""NetCDF results: regular grids (CF: x/y or lon/lat coordinates, an optional time axis) and UGRID
unstructured meshes (hydraulic models: D-Flow FM, TELEMAC exports) through xarray, netCDF4 and xugrid.

Grids become pixel-corner rasters (cell values), UGRID 2D meshes their faces (values on faces or
nodes); a `time` axis gives the steps. CRS: a grid_mapping variable's `crs_wkt`/`spatial_ref` or
`epsg_code`, lon/lat coordinates (EPSG:4326), else none (a warning). No Qt, no VTK.
"""
from __future__ import annotations

import os
from typing import Any

import numpy as np

from loaders.base import Cancel, Georef, LoadError, Progress
from loaders.registry import register_loader
from loaders.results_base import MAX_POINTS, ResultData, check_result, raster_corners

X_NAMES = ("x", "lon", "longitude", "easting", "X")
Y_NAMES = ("y", "lat", "latitude", "northing", "Y")
VTK_POLYGON = 7


def _crs(ds: Any, var: Any, geographic: bool, warnings: list[str]) -> Georef:
    mapping = ds.variables.get(var.attrs.get("grid_mapping", "")) if hasattr(var, "attrs") else None
    for candidate in [mapping] + [v for v in ds.variables.values() if "crs_wkt" in v.attrs or "spatial_ref" in v.attrs]:
        if candidate is None:
            continue
        for key in ("crs_wkt", "spatial_ref"):
            if candidate.attrs.get(key):
                return Georef(kind="crs", crs=str(candidate.attrs[key]))
        if candidate.attrs.get("epsg_code") or candidate.attrs.get("epsg"):
            code = str(candidate.attrs.get("epsg_code") or candidate.attrs.get("epsg"))
            return Georef(kind="crs", crs=code if ":" in code else f"EPSG:{code}")
    if geographic:
        return Georef(kind="crs", crs="EPSG:4326")
    warnings.append("no CRS in the file: placed at the scene origin as local metres")
    return Georef()


def _times(values: Any) -> tuple[np.ndarray, bool]:
    """Seconds: epoch seconds for dates (absolute), else the numbers as given (relative)."""
    v = np.asarray(values)
    if np.issubdtype(v.dtype, np.datetime64):
        return v.astype("datetime64[ns]").astype(np.int64) / 1e9, True
    return v.astype(np.float64), False


def _time_dim(var: Any) -> str | None:
    return next((d for d in var.dims if "time" in d.lower()), None)


def _steps(ds: Any, names: list[str], tdim: str | None, flatten: Any) -> list[dict[str, np.ndarray]]:
    n = ds.sizes[tdim] if tdim else 1
    return [{name: flatten(ds[name].isel({tdim: i}) if tdim and tdim in ds[name].dims else ds[name]) for name in names}
            for i in range(n)]


def read_netcdf(path: str, *, progress: Progress | None = None, cancel: Cancel | None = None) -> list[ResultData]:
    import xarray as xr

    try:
        ds = xr.open_dataset(path, engine="netcdf4")
    except Exception as exc:  # noqa: BLE001 - netCDF4/HDF5 say many things
        raise LoadError(path, f"not a readable NetCDF file ({type(exc).__name__}: {str(exc)[:120]})") from None
    with ds:
        if any(v.attrs.get("cf_role") == "mesh_topology" for v in ds.variables.values()):
            return [_ugrid(path, ds)]
        return [_grid(path, ds)]


def _grid(path: str, ds: Any) -> ResultData:
    xname = next((n for n in X_NAMES if n in ds.coords or n in ds.variables), None)
    yname = next((n for n in Y_NAMES if n in ds.coords or n in ds.variables), None)
    if xname is None or yname is None:
        raise LoadError(path, "no x/y (or lon/lat) coordinates and no UGRID mesh: not a gridded result")
    names = [n for n, v in ds.data_vars.items() if xname in v.dims[-1:] and yname in v.dims[-2:-1]
             and np.issubdtype(v.dtype, np.number)]
    if not names:
        raise LoadError(path, f"no variable on the ({yname}, {xname}) grid")
    x, y = np.asarray(ds[xname], dtype=np.float64), np.asarray(ds[yname], dtype=np.float64)
    if len(x) < 2 or len(y) < 2 or len(x) * len(y) > MAX_POINTS:
        raise LoadError(path, f"grid of {len(x)} x {len(y)} cells cannot be shown")
    dx, dy = float(np.mean(np.diff(x))), float(np.mean(np.diff(y)))
    if not (np.allclose(np.diff(x), dx, rtol=1e-3) and np.allclose(np.diff(y), dy, rtol=1e-3)):
        raise LoadError(path, "the grid's spacing is not regular")
    transform = (dx, 0.0, x[0] - dx / 2, 0.0, dy, y[0] - dy / 2)
    tdims = {_time_dim(ds[n]) for n in names}
    tdim = next(iter(tdims)) if len(tdims) == 1 else None
    if len(tdims) > 1:
        raise LoadError(path, f"mismatched time steps: variables on different time axes ({', '.join(sorted(map(str, tdims)))})")
    steps = _steps(ds, names, tdim, lambda a: np.asarray(a.transpose(yname, xname), dtype=np.float64).ravel())
    times, absolute = _times(ds[tdim].values) if tdim and tdim in ds.variables else (None, False)
    warnings: list[str] = []
    geographic = xname in ("lon", "longitude")
    data = ResultData(name=os.path.basename(path), kind="simulation", format="NetCDF grid",
                      georef=_crs(ds, ds[names[0]], geographic, warnings), warnings=warnings,
                      points=raster_corners(len(x), len(y), transform), grid_shape=(len(x) + 1, len(y) + 1, 1),
                      steps=steps, cell_arrays=set(names), times=times if len(steps) > 1 else None, times_absolute=absolute,
                      units={n: str(ds[n].attrs.get("units", "")) for n in names})
    return check_result(path, data)


def _ugrid(path: str, ds: Any) -> ResultData:
    import xugrid as xu

    try:
        uds = xu.UgridDataset(ds)
    except Exception as exc:  # noqa: BLE001
        raise LoadError(path, f"UGRID mesh cannot be read ({type(exc).__name__}: {str(exc)[:120]})") from None
    grid = uds.ugrid.grid
    if grid.topology_dimension != 2:
        raise LoadError(path, "only 2D UGRID meshes (faces) are shown")
    nodes = np.column_stack([grid.node_x, grid.node_y, np.zeros(grid.n_node)])
    conn = np.asarray(grid.face_node_connectivity)
    fill = grid.fill_value
    cells = []
    for row in conn:
        row = row[row != fill]
        cells.append(len(row))
        cells.extend(int(v) for v in row)
    face_dim, node_dim = grid.face_dimension, grid.node_dimension
    names, on_faces = [], set()
    for name, var in uds.data_vars.items():
        if not np.issubdtype(var.dtype, np.number):
            continue
        if face_dim in var.dims:
            names.append(name)
            on_faces.add(name)
        elif node_dim in var.dims:
            names.append(name)
    if not names:
        raise LoadError(path, "the UGRID mesh carries no values on its faces or nodes")
    plain = uds.obj if hasattr(uds, "obj") else ds
    tdims = {_time_dim(plain[n]) for n in names}
    if len(tdims) > 1:
        raise LoadError(path, f"mismatched time steps: variables on different time axes ({', '.join(sorted(map(str, tdims)))})")
    tdim = next(iter(tdims))
    steps = _steps(plain, names, tdim, lambda a: np.asarray(a, dtype=np.float64).ravel())
    times, absolute = _times(plain[tdim].values) if tdim and tdim in plain.variables else (None, False)
    warnings: list[str] = []
    data = ResultData(name=os.path.basename(path), kind="simulation", format="UGRID 2D", georef=_crs(ds, ds[names[0]], False, warnings),
                      warnings=warnings, points=nodes, cells=np.asarray(cells, dtype=np.int64),
                      cell_types=np.full(len(conn), VTK_POLYGON, dtype=np.uint8), steps=steps, cell_arrays=on_faces,
                      times=times if len(steps) > 1 else None, times_absolute=absolute,
                      units={n: str(plain[n].attrs.get("units", "")) for n in names})
    return check_result(path, data)


register_loader(".nc", ".nc4", ".cdf", priority=4, name="NetCDF")(read_netcdf)
