"""Seeded LAS/LAZ inputs for the tiling tests (written with laspy, small, scan-ordered)."""
from __future__ import annotations

from pathlib import Path

import numpy as np

UTM33 = 32633  # a metric CRS, placed in southern Italy


def make_cloud(path: Path, n: int, *, seed: int = 3, point_format: int = 3, epsg: int | None = UTM33,
               origin: tuple[float, float] = (500_000.0, 4_000_000.0), side: float = 400.0) -> np.ndarray:
    """Write a terrain-like cloud in scan order; returns its (n, 3) real coordinates as written."""
    import laspy

    rng = np.random.default_rng(seed)
    header = laspy.LasHeader(point_format=point_format, version="1.4" if point_format >= 6 else "1.2")
    header.scales = np.array([0.01, 0.01, 0.01])
    header.offsets = np.array([origin[0], origin[1], 0.0])
    if epsg is not None:
        from pyproj import CRS

        header.add_crs(CRS.from_epsg(epsg))
    per_line = 500
    i = np.arange(n)
    line, k = i // per_line, i % per_line
    x = np.clip((k / per_line) * side + rng.normal(0, 0.3, n), 0, side)
    y = np.clip(line / max(1, n // per_line) * side + rng.normal(0, 0.3, n), 0, side)
    z = 20 * np.sin(x / 60) * np.cos(y / 40) + rng.normal(0, 0.2, n) + 100
    las = laspy.LasData(header)
    las.x, las.y, las.z = origin[0] + x, origin[1] + y, z
    las.intensity = rng.integers(0, 4000, n).astype(np.uint16)
    las.classification = rng.integers(1, 7, n).astype(np.uint8)
    las.return_number = rng.integers(1, 3, n).astype(np.uint8)
    las.number_of_returns = np.full(n, 2, np.uint8)
    if "gps_time" in las.point_format.dimension_names:
        las.gps_time = i * 1e-4
    if "red" in las.point_format.dimension_names:
        las.red = rng.integers(0, 65535, n).astype(np.uint16)
        las.green = las.red
        las.blue = las.red
    las.write(str(path))
    return np.c_[np.asarray(las.x), np.asarray(las.y), np.asarray(las.z)]


def quantised(xyz: np.ndarray, scale: float = 0.01) -> np.ndarray:
    """Rows sorted lexicographically, on the 1 cm grid: order-free comparison of clouds."""
    q = np.round(np.asarray(xyz) / scale).astype(np.int64)
    return q[np.lexsort(q.T[::-1])]
