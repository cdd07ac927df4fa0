"""Plain data of simulation and analysis results (VTK files, series, NetCDF, rasters, CSV points).

Why one shape for all: the scene shows every result the same way (colour by any array, time steps
following the clock), so each reader turns its format into points + optional cells + per-step
arrays. Rasters are pixel areas: `grid_shape` (nx+1, ny+1, 1) corner points and cell arrays.
No Qt, no VTK.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timezone

import numpy as np

from loaders.base import LayerData, LoadError

MAX_POINTS = 50_000_000
MAX_STEPS = 100_000


@dataclass
class ResultData(LayerData):
    """points (N,3) float64 in data coordinates.

    Geometry, one of: `grid_shape` (nx, ny, nz) structured points (x fastest); `cells` (flat VTK
    connectivity [n, i0.., n, ...]) with `cell_types` (C,) uint8; neither: points only.
    steps: one {array name: values} per time step, values per point (N,) / (N,k) or per cell
    (names in `cell_arrays`). times: (S,) float64 seconds, epoch UTC when `times_absolute`,
    else relative to the layer's time origin; None for a single state."""

    points: np.ndarray = field(default_factory=lambda: np.zeros((0, 3)))
    grid_shape: tuple[int, int, int] | None = None
    cells: np.ndarray | None = None
    cell_types: np.ndarray | None = None
    steps: list[dict[str, np.ndarray]] = field(default_factory=list)
    cell_arrays: set[str] = field(default_factory=set)
    times: np.ndarray | None = None
    times_absolute: bool = False
    units: dict[str, str] = field(default_factory=dict)

    def counts(self) -> dict[str, int]:
        out = {"points": int(len(self.points))}
        if self.cell_types is not None:
            out["cells"] = int(len(self.cell_types))
        if len(self.steps) > 1:
            out["time steps"] = len(self.steps)
        return out

    def local_bounds(self) -> np.ndarray | None:
        if len(self.points) == 0:
            return None
        return np.array([self.points.min(0), self.points.max(0)])

    def n_cells(self) -> int:
        if self.grid_shape is not None:
            return int(np.prod([max(1, s - 1) for s in self.grid_shape]))
        return 0 if self.cell_types is None else int(len(self.cell_types))


def check_result(path: str, data: ResultData) -> ResultData:
    """The checks every reader shares: arrays of the right lengths, the same arrays in every step,
    times that increase, and something finite to colour by. Raises LoadError saying which."""
    n, c = len(data.points), data.n_cells()
    if n == 0:
        raise LoadError(path, "the file holds no points or cells")
    if n > MAX_POINTS:
        raise LoadError(path, f"{n:,} points is more than {MAX_POINTS:,}")
    if not np.isfinite(data.points).all():
        raise LoadError(path, "point coordinates are NaN or infinite")
    if not data.steps:
        data.steps = [{}]
    if len(data.steps) > MAX_STEPS:
        raise LoadError(path, f"{len(data.steps):,} time steps is more than {MAX_STEPS:,}")
    names = set(data.steps[0])
    for i, step in enumerate(data.steps):
        if set(step) != names:
            missing = sorted(names ^ set(step))
            raise LoadError(path, f"mismatched time steps: step {i} has different arrays ({', '.join(missing)[:120]})")
        for name, values in step.items():
            want = c if name in data.cell_arrays else n
            if len(values) != want:
                raise LoadError(path, f"mismatched time steps: array '{name}' in step {i} has {len(values):,} values, "
                                      f"expected {want:,} ({'cells' if name in data.cell_arrays else 'points'})")
    if data.times is not None:
        t = np.asarray(data.times, dtype=np.float64)
        if len(t) != len(data.steps):
            raise LoadError(path, f"mismatched time steps: {len(t)} times for {len(data.steps)} steps")
        if not np.isfinite(t).all() or (len(t) > 1 and not (np.diff(t) > 0).all()):
            raise LoadError(path, "time values must be finite and increasing")
        data.times = t
    numeric = [k for k, v in data.steps[0].items() if np.issubdtype(np.asarray(v).dtype, np.number)]
    empty = [k for k in numeric if not any(np.isfinite(np.asarray(step[k], dtype=np.float64)).any() for step in data.steps)]
    if numeric and len(empty) == len(numeric):
        raise LoadError(path, f"every value is NaN ({', '.join(empty)[:120]}): nothing to show")
    if empty:  # an array with no value anywhere colours nothing: left out, and said
        data.warnings.append(f"left out, NaN everywhere: {', '.join(empty)[:200]}")
        for step in data.steps:
            for k in empty:
                step.pop(k, None)
        data.cell_arrays -= set(empty)
    return data


def iso_to_epoch(text: str) -> float:
    """ISO 8601 text -> epoch seconds; a naive time is UTC. ValueError when it is not a time."""
    t = datetime.fromisoformat(str(text).strip().replace("Z", "+00:00"))
    if t.tzinfo is None:
        t = t.replace(tzinfo=timezone.utc)
    return t.timestamp()


def raster_corners(width: int, height: int, transform: tuple[float, ...]) -> np.ndarray:
    """(height+1)*(width+1) pixel-corner points (x fastest, rows from the first row down) of a
    raster with GDAL/affine transform (a, b, c, d, e, f): x = a*col + b*row + c, y = d*col + e*row + f."""
    a, b, c, d, e, f = transform[:6]
    col, row = np.meshgrid(np.arange(width + 1, dtype=np.float64), np.arange(height + 1, dtype=np.float64))
    x = a * col + b * row + c
    y = d * col + e * row + f
    return np.stack([x.ravel(), y.ravel(), np.zeros(x.size)], axis=1)
