"""GeoTIFF rasters as result layers: one file (bands as arrays, or as time steps when they carry
time tags), or a folder of GeoTIFFs as a time series (times from tags or file names).

Why rasterio: it bundles GDAL and PROJ (1.4.4 is the last release for Python 3.11). Pixels are
areas, so a raster becomes its pixel-corner grid with one cell value per pixel; nodata is NaN.
Time of a band or file: a `TIME` (or `time`, `DATETIME`) tag, else the band description, else an
ISO-like date in the file name ("depth_2026-12-21T09-00.tif"). No Qt, no VTK.
"""
from __future__ import annotations

import os
import re
from typing import Any

import numpy as np

from loaders.base import Cancel, Georef, LoadCancelled, LoadError, Progress
from loaders.registry import register_loader
from loaders.results_base import ResultData, check_result, iso_to_epoch, raster_corners

RASTER_EXTENSIONS = (".tif", ".tiff")
MAX_VALUES = 200_000_000  # width * height * bands (or files) read into memory
STYLES = {"flood": {"color_mode": "depth", "height_by": "water_level", "cmap": "water"},  # app/analysis/flood.py's files
          "dem": {"height_by": "ground", "cmap": "cividis"}}  # the demo's DEM
TIME_TAGS = ("TIME", "time", "DATETIME", "datetime", "TIMESTAMP")
NAME_TIME = re.compile(r"(\d{4}-\d{2}-\d{2})[T_ ](\d{2})[-:]?(\d{2})(?:[-:]?(\d{2}))?")


def _sniff(head: bytes) -> bool:
    return head[:4] in (b"II*\x00", b"MM\x00*", b"II+\x00", b"MM\x00+")


def is_raster_folder(path: str) -> bool:
    """A folder holding GeoTIFFs (and no tileset.json): a raster time series."""
    try:
        names = os.listdir(path)
    except OSError:
        return False
    return "tileset.json" not in names and any(n.lower().endswith(RASTER_EXTENSIONS) for n in names)


def _time_of(tags: dict[str, Any], description: str | None, filename: str = "") -> float | None:
    for key in TIME_TAGS:
        if key in tags:
            try:
                return iso_to_epoch(str(tags[key]))
            except ValueError:
                pass
    if description:
        try:
            return iso_to_epoch(description)
        except ValueError:
            pass
    m = NAME_TIME.search(filename)
    if m:
        try:
            return iso_to_epoch(f"{m.group(1)}T{m.group(2)}:{m.group(3)}:{m.group(4) or '00'}")
        except ValueError:
            return None
    return None


def _georef(src: Any, warnings: list[str], path: str) -> Georef:
    if src.crs is None:
        warnings.append("raster has no CRS: placed as local metres; set its CRS with Place\u2026")
        return Georef()
    code = src.crs.to_epsg()
    return Georef(kind="crs", crs=f"EPSG:{code}" if code else src.crs.to_wkt())


def _band(src: Any, index: int) -> np.ndarray:
    """One band as float64 (rows from the top), nodata and masked pixels NaN, flattened x fastest."""
    a = src.read(index, masked=True).astype(np.float64)
    return np.ma.filled(a, np.nan).ravel()


def _open(path: str) -> Any:
    import rasterio

    try:
        return rasterio.open(path)
    except rasterio.errors.RasterioIOError as exc:
        raise LoadError(path, f"not a readable GeoTIFF ({str(exc)[:160]})") from None


def _check_size(path: str, width: int, height: int, layers: int) -> None:
    if width < 1 or height < 1:
        raise LoadError(path, "raster has no pixels")
    if width * height * layers > MAX_VALUES:
        raise LoadError(path, f"raster too large: {width}x{height} pixels x {layers} layers is more than {MAX_VALUES:,} values")


def read_geotiff(path: str, *, progress: Progress | None = None, cancel: Cancel | None = None) -> list[ResultData]:
    if os.path.isdir(path):
        return [read_raster_folder(path, progress=progress, cancel=cancel)]
    warnings: list[str] = []
    with _open(path) as src:
        _check_size(path, src.width, src.height, src.count)
        georef = _georef(src, warnings, path)
        default = src.tags().get("RESULT_NAME") or "value"
        names = [src.tags(i).get("RESULT_NAME") or (default if src.count == 1 else src.descriptions[i - 1] or f"band_{i}")
                 for i in range(1, src.count + 1)]
        units = {n: src.tags(i + 1).get("RESULT_UNITS") or src.tags().get("RESULT_UNITS", "") for i, n in enumerate(names)}
        times = [_time_of(src.tags(i), src.descriptions[i - 1]) for i in range(1, src.count + 1)]
        if src.count > 1 and all(t is not None for t in times):  # bands are time steps, maybe several arrays each
            by_time: dict[float, dict[str, np.ndarray]] = {}
            for i in range(1, src.count + 1):
                if cancel and cancel():
                    raise LoadCancelled()
                by_time.setdefault(times[i - 1], {})[names[i - 1]] = _band(src, i)
                if progress:
                    progress(i / src.count, f"band {i} of {src.count}")
            tvals = np.array(sorted(by_time), dtype=np.float64)
            steps = [by_time[t] for t in sorted(by_time)]
        else:
            if len(set(names)) < len(names):
                names = [f"{n}_{i + 1}" for i, n in enumerate(names)]
            steps = [{n: _band(src, i + 1) for i, n in enumerate(names)}]
            units = {n: units.get(n, "") for n in names}
            tvals = None
        data = ResultData(name=os.path.basename(path), kind="simulation", format="GeoTIFF", georef=georef, warnings=warnings,
                          points=raster_corners(src.width, src.height, tuple(src.transform)[:6]),
                          grid_shape=(src.width + 1, src.height + 1, 1), steps=steps, cell_arrays=set(steps[0]),
                          times=tvals, times_absolute=tvals is not None, units=units,
                          metadata={"style": STYLES.get(src.tags().get("RESULT_STYLE", ""), {}),
                                    "raster": {"width": src.width, "height": src.height, "transform": list(src.transform)[:6],
                                               "crs": georef.crs}})
    return [check_result(path, data)]


def read_raster_folder(folder: str, *, progress: Progress | None = None, cancel: Cancel | None = None) -> ResultData:
    """Every GeoTIFF in a folder as one time step (same size and transform), in time order."""
    files = sorted(f for f in os.listdir(folder) if f.lower().endswith(RASTER_EXTENSIONS))
    if not files:
        raise LoadError(folder, "the folder holds no GeoTIFF files")
    steps, times, shape, warnings = [], [], None, []
    for i, f in enumerate(files):
        if cancel and cancel():
            raise LoadCancelled()
        p = os.path.join(folder, f)
        with _open(p) as src:
            this = (src.width, src.height, tuple(round(v, 9) for v in tuple(src.transform)[:6]))
            if shape is None:
                shape = this
                _check_size(folder, src.width, src.height, len(files))
                georef = _georef(src, warnings, folder)
                name = src.tags().get("RESULT_NAME") or "value"
                units = {name: src.tags().get("RESULT_UNITS", "")}
            elif this != shape:
                raise LoadError(folder, f"mismatched time steps: {f} is {this[0]}x{this[1]} pixels at another place "
                                        f"than {files[0]} ({shape[0]}x{shape[1]})")
            steps.append({name: _band(src, 1)})
            times.append(_time_of(src.tags(1) | src.tags(), src.descriptions[0], f))
        if progress:
            progress((i + 1) / len(files), f)
    if all(t is not None for t in times):
        order = np.argsort(times)
        steps, tvals, absolute = [steps[i] for i in order], np.asarray(times, dtype=np.float64)[order], True
    else:
        warnings.append("no time tags or dates in the file names: steps are taken one hour apart, in name order")
        tvals, absolute = np.arange(len(files), dtype=np.float64) * 3600.0, False
    w, h, transform = shape  # type: ignore[misc]
    data = ResultData(name=os.path.basename(os.path.normpath(folder)), kind="simulation", format="GeoTIFF series",
                      georef=georef, warnings=warnings, points=raster_corners(w, h, transform), grid_shape=(w + 1, h + 1, 1),
                      steps=steps, cell_arrays={name}, times=tvals, times_absolute=absolute, units=units)
    return check_result(folder, data)


register_loader(*RASTER_EXTENSIONS, sniff=_sniff, priority=6, name="GeoTIFF")(read_geotiff)
