"""VTK results: .vtu .vtp .vti .vts .vtr and legacy .vtk files, ParaView .pvd collections (pyvista's
PVDReader, with their time values) and `.vtk.series`/`.vtu.series` JSON (file + time lists).

Why VTK's readers here (the one loader allowed to import pyvista, see pyproject's import-linter
note): these formats are VTK's own, with appended, compressed and base64 variants no small parser
gets right. Everything is copied into numpy at once; nothing VTK leaves this module. Files carry no
CRS: a sidecar `FILE.georef.json` ({"crs": "EPSG:4547"} and/or {"matrix": 4x4 row-major}) places
them, else they sit at the scene origin as local metres (with a warning).
"""
from __future__ import annotations

import json
import os
import warnings
from typing import Any

import numpy as np

from loaders.base import Cancel, Georef, LoadCancelled, LoadError, Progress
from loaders.registry import register_loader
from loaders.results_base import MAX_STEPS, ResultData, check_result

VTK_EXTENSIONS = (".vtu", ".vtp", ".vti", ".vts", ".vtr", ".vtk")
SERIES_EXTENSIONS = tuple(e + ".series" for e in VTK_EXTENSIONS)


def _georef(path: str, warnings: list[str]) -> Georef:
    side = path + ".georef.json"
    if not os.path.isfile(side):
        warnings.append("no CRS (add FILE.georef.json with {\"crs\": ...}): placed at the scene origin as local metres")
        return Georef()
    try:
        doc = json.loads(open(side, encoding="utf-8").read())
        matrix = np.asarray(doc.get("matrix", np.eye(4)), dtype=np.float64).reshape(4, 4)
    except (OSError, ValueError, TypeError) as exc:
        raise LoadError(side, f"not a georeference file ({exc})") from None
    if doc.get("crs"):
        return Georef(kind="crs", crs=str(doc["crs"]), matrix=matrix)
    return Georef(matrix=matrix)


def _arrays(ds: Any) -> tuple[dict[str, np.ndarray], set[str]]:
    """Numeric point and cell arrays (a cell array named like a point array gets ' (cells)')."""
    out: dict[str, np.ndarray] = {}
    cells: set[str] = set()
    for name in ds.point_data.keys():
        a = np.asarray(ds.point_data[name])
        if np.issubdtype(a.dtype, np.number) and a.ndim in (1, 2):
            out[name] = a.copy()
    for name in ds.cell_data.keys():
        a = np.asarray(ds.cell_data[name])
        if name == "vtkOriginalCellIds" or not np.issubdtype(a.dtype, np.number) or a.ndim not in (1, 2):
            continue
        key = name if name not in out else f"{name} (cells)"
        out[key] = a.copy()
        cells.add(key)
    return out, cells


def _geometry(ds: Any) -> dict[str, Any]:
    import pyvista as pv

    if isinstance(ds, pv.MultiBlock):
        ds = ds.combine()
    if isinstance(ds, (pv.ImageData, pv.RectilinearGrid, pv.StructuredGrid)):
        return {"ds": ds, "points": np.asarray(ds.points, dtype=np.float64).copy(), "grid_shape": tuple(int(v) for v in ds.dimensions)}
    ug = ds if isinstance(ds, pv.UnstructuredGrid) else ds.cast_to_unstructured_grid()
    return {"ds": ug, "points": np.asarray(ug.points, dtype=np.float64).copy(), "cells": np.asarray(ug.cells, dtype=np.int64).copy(),
            "cell_types": np.asarray(ug.celltypes, dtype=np.uint8).copy()}


def _read_one(path: str) -> Any:
    import pyvista as pv

    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error")  # pyvista reports a reader's failure as a warning and returns nothing
            return pv.read(path)
    except Exception as exc:  # noqa: BLE001 - VTK says many things; the user sees one line
        raise LoadError(path, f"not a readable VTK file ({type(exc).__name__}: {str(exc)[:120]})") from None


def _data(path: str, fmt: str, geos: list[dict[str, Any]], times: list[float] | None) -> ResultData:
    first = geos[0]
    steps, cell_arrays = [], set()
    for i, g in enumerate(geos):
        if len(g["points"]) != len(first["points"]) or not np.allclose(g["points"], first["points"]):
            raise LoadError(path, f"mismatched time steps: step {i + 1} is on another mesh ({len(g['points']):,} points, "
                                  f"the first has {len(first['points']):,}); only series on one mesh are supported")
        arrays, cells = _arrays(g["ds"])
        steps.append(arrays)
        cell_arrays |= cells
    warnings: list[str] = []
    data = ResultData(name=os.path.basename(path), kind="simulation", format=fmt, georef=_georef(path, warnings), warnings=warnings,
                      points=first["points"], grid_shape=first.get("grid_shape"), cells=first.get("cells"),
                      cell_types=first.get("cell_types"), steps=steps, cell_arrays=cell_arrays,
                      times=np.asarray(times, dtype=np.float64) if times is not None and len(steps) > 1 else None)
    return check_result(path, data)


def read_vtk(path: str, *, progress: Progress | None = None, cancel: Cancel | None = None) -> list[ResultData]:
    ds = _read_one(path)
    return [_data(path, f"VTK {os.path.splitext(path)[1].lstrip('.')}", [_geometry(ds)], None)]


def read_pvd(path: str, *, progress: Progress | None = None, cancel: Cancel | None = None) -> list[ResultData]:
    import pyvista as pv

    try:
        reader = pv.get_reader(path)
        times = [float(t) for t in reader.time_values]
    except Exception as exc:  # noqa: BLE001
        raise LoadError(path, f"not a readable ParaView collection ({type(exc).__name__}: {str(exc)[:120]})") from None
    if not times:
        raise LoadError(path, "the collection lists no datasets")
    if len(times) > MAX_STEPS:
        raise LoadError(path, f"{len(times):,} time steps is more than {MAX_STEPS:,}")
    geos = []
    for i, t in enumerate(times):
        if cancel and cancel():
            raise LoadCancelled()
        try:
            reader.set_active_time_value(t)
            geos.append(_geometry(reader.read()))
        except Exception as exc:  # noqa: BLE001
            raise LoadError(path, f"time {t:g}: cannot read its dataset ({type(exc).__name__}: {str(exc)[:120]})") from None
        if progress:
            progress((i + 1) / len(times), f"time step {i + 1} of {len(times)}")
    return [_data(path, "ParaView collection (.pvd)", geos, times)]


def read_series(path: str, *, progress: Progress | None = None, cancel: Cancel | None = None) -> list[ResultData]:
    """ParaView's file-series JSON: {"file-series-version": "1.0", "files": [{"name": ..., "time": ...}]}."""
    try:
        doc = json.loads(open(path, encoding="utf-8").read())
        files = [(str(f["name"]), float(f["time"])) for f in doc["files"]]
    except (OSError, ValueError, KeyError, TypeError) as exc:
        raise LoadError(path, f"not a ParaView .series file ({type(exc).__name__}: {exc})") from None
    if not files:
        raise LoadError(path, "the series lists no files")
    if len(files) > MAX_STEPS:
        raise LoadError(path, f"{len(files):,} time steps is more than {MAX_STEPS:,}")
    files.sort(key=lambda f: f[1])
    folder = os.path.dirname(path)
    geos = []
    for i, (name, _t) in enumerate(files):
        if cancel and cancel():
            raise LoadCancelled()
        target = os.path.join(folder, name)
        if not os.path.isfile(target):
            raise LoadError(path, f"mismatched time steps: {name} (time {files[i][1]:g}) is missing")
        geos.append(_geometry(_read_one(target)))
        if progress:
            progress((i + 1) / len(files), name)
    return [_data(path, "ParaView file series", geos, [t for _, t in files])]


register_loader(*SERIES_EXTENSIONS, priority=4, name="VTK file series")(read_series)
register_loader(".pvd", priority=4, name="ParaView collection")(read_pvd)
register_loader(*VTK_EXTENSIONS, priority=3, name="VTK")(read_vtk)
