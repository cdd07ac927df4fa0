"""CSV of values at points (air quality at stations, gauges, a model's output at probes): columns
x,y[,z] (or e/n, lon/lat), any number of value columns, optionally a `time` column (ISO or
seconds) that makes each time's rows one step. The CRS: a `# crs: EPSG:4547` comment line, lon/lat
columns (EPSG:4326), else none (a warning). Told apart from ASCII point clouds (loaders/xyz.py) by a
`time` or `value` column or the `# crs` line. No Qt, no VTK.
"""
from __future__ import annotations

import csv
import io
import os
import re

import numpy as np

from loaders.base import Cancel, Georef, LoadError, Progress
from loaders.registry import register_loader
from loaders.results_base import MAX_POINTS, ResultData, check_result, iso_to_epoch

SNIFF = 2048
MAX_BYTES = 512 << 20
X_NAMES, Y_NAMES, Z_NAMES = ("x", "e", "easting", "lon", "longitude"), ("y", "n", "northing", "lat", "latitude"), ("z", "h", "height", "elevation")
TIME_NAMES = ("time", "datetime", "timestamp", "date")
CRS_LINE = re.compile(r"^#\s*crs\s*[:=]\s*(\S+)", re.IGNORECASE)


def _header(text: str) -> tuple[list[str], str | None]:
    crs = None
    for line in text.splitlines():
        m = CRS_LINE.match(line.strip())
        if m:
            crs = m.group(1)
            continue
        if line.strip() and not line.lstrip().startswith("#"):
            delim = ";" if line.count(";") > line.count(",") else ","
            return [c.strip().lower() for c in line.split(delim)], crs
    return [], crs


def _sniff(head: bytes) -> bool:
    cols, crs = _header(head.decode("utf-8", "replace"))
    has_xy = any(c in X_NAMES for c in cols) and any(c in Y_NAMES for c in cols)
    return has_xy and (crs is not None or any(c in TIME_NAMES or c == "value" or c.startswith("value_") for c in cols))


def read_points_csv(path: str, *, progress: Progress | None = None, cancel: Cancel | None = None) -> list[ResultData]:
    if os.path.getsize(path) > MAX_BYTES:
        raise LoadError(path, f"CSV larger than {MAX_BYTES >> 20} MiB")
    text = open(path, encoding="utf-8-sig", errors="replace").read()
    cols, crs = _header(text)
    delim = ";" if text.count(";") > text.count(",") else ","
    rows = [r for r in csv.reader(io.StringIO("\n".join(ln for ln in text.splitlines() if ln.strip() and not ln.lstrip().startswith("#"))),
                                  delimiter=delim)][1:]
    if not rows:
        raise LoadError(path, "no rows under the header")
    if len(rows) > MAX_POINTS:
        raise LoadError(path, f"more than {MAX_POINTS:,} rows")
    xi = next(cols.index(c) for c in cols if c in X_NAMES)
    yi = next(cols.index(c) for c in cols if c in Y_NAMES)
    zi = next((cols.index(c) for c in cols if c in Z_NAMES), None)
    ti = next((cols.index(c) for c in cols if c in TIME_NAMES), None)
    value_cols = [i for i, c in enumerate(cols) if i not in (xi, yi, zi, ti) and c]

    def number(row: list[str], i: int, line: int) -> float:
        try:
            return float(row[i]) if row[i].strip() != "" else np.nan
        except (ValueError, IndexError):
            raise LoadError(path, f"row {line}: '{cols[i]}' is not a number ({(row[i] if i < len(row) else '')[:20]!r})") from None

    xyz = np.array([[number(r, xi, k + 2), number(r, yi, k + 2), number(r, zi, k + 2) if zi is not None else 0.0]
                    for k, r in enumerate(rows)])
    values = {cols[i]: np.array([number(r, i, k + 2) for k, r in enumerate(rows)]) for i in value_cols}
    if not values:
        raise LoadError(path, "no value columns besides the coordinates")
    warnings: list[str] = []
    geographic = cols[xi] in ("lon", "longitude")
    georef = Georef(kind="crs", crs=crs) if crs else Georef(kind="crs", crs="EPSG:4326") if geographic else Georef()
    if georef.kind == "none":
        warnings.append("no CRS (add a '# crs: EPSG:...' line): placed at the scene origin as local metres")
    if ti is None:
        points, steps, times, absolute = xyz, [values], None, False
    else:
        keys = [r[ti].strip() if ti < len(r) else "" for r in rows]
        try:
            stamps = np.array([iso_to_epoch(k) for k in keys]); absolute = True
        except ValueError:
            try:
                stamps = np.array([float(k) for k in keys]); absolute = False
            except ValueError:
                raise LoadError(path, "the time column holds neither ISO times nor seconds") from None
        uniq = np.unique(stamps)
        first = stamps == uniq[0]
        points = xyz[first]
        steps = []
        for t in uniq:
            sel = stamps == t
            if sel.sum() != first.sum() or not np.allclose(xyz[sel], points, equal_nan=True):
                raise LoadError(path, f"mismatched time steps: the rows at time {keys[int(np.flatnonzero(sel)[0])]} are not "
                                      "the same points as at the first time")
            steps.append({k: v[sel] for k, v in values.items()})
        times = uniq if len(uniq) > 1 else None
    data = ResultData(name=os.path.basename(path), kind="simulation", format="CSV values at points", georef=georef,
                      warnings=warnings, points=points, steps=steps, times=times, times_absolute=absolute)
    return [check_result(path, data)]


# no extension: .csv stays the ASCII point-cloud loader's unless the header says values at points
register_loader(sniff=_sniff, priority=3, name="CSV values at points", sniff_bytes=SNIFF)(read_points_csv)
