"""3D Tiles bounding volumes (box, sphere, region) as points in the tileset's world frame.

`region` is EPSG:4979 radians / metres and is not transformed by tile transforms (spec); box and
sphere are. The WGS84 geodetic -> ECEF formula is written out (a few lines) so that loaders need
no pyproj transformer for it; tests check it against pyproj.
"""
from __future__ import annotations

from typing import Any

import numpy as np

from loaders._binary import BinaryError, as_vec

WGS84_A = 6378137.0
WGS84_E2 = 6.69437999014e-3


def geodetic_to_ecef(lon: np.ndarray, lat: np.ndarray, h: np.ndarray) -> np.ndarray:
    """Radians and metres on WGS84 -> (N,3) ECEF metres."""
    lon, lat, h = (np.asarray(v, np.float64).reshape(-1) for v in (lon, lat, h))
    n = WGS84_A / np.sqrt(1.0 - WGS84_E2 * np.sin(lat) ** 2)
    return np.stack([(n + h) * np.cos(lat) * np.cos(lon), (n + h) * np.cos(lat) * np.sin(lon), (n * (1 - WGS84_E2) + h) * np.sin(lat)], 1)


def volume_points(bv: dict, transform: np.ndarray) -> np.ndarray | None:
    """Points whose axis-aligned bounds enclose the volume, in world coordinates; None if unknown."""
    if not isinstance(bv, dict):
        return None
    try:
        if "region" in bv:
            w, s, e, n, lo, hi = as_vec(bv["region"], 6, "region")
            if e < w:
                e += 2 * np.pi
            lon, lat, h = np.meshgrid(np.linspace(w, e, 5), np.linspace(s, n, 5), [lo, hi], indexing="ij")
            return geodetic_to_ecef(lon, lat, h)
        if "box" in bv:
            b = as_vec(bv["box"], 12, "box")
            c, axes = b[:3], b[3:].reshape(3, 3)
            signs = np.array([[i, j, k] for i in (-1, 1) for j in (-1, 1) for k in (-1, 1)], np.float64)
            pts = c + signs @ axes
        elif "sphere" in bv:
            s = as_vec(bv["sphere"], 4, "sphere")
            r = abs(s[3])
            scale = float(np.max(np.linalg.norm(transform[:3, :3], axis=0)))  # a rotated sphere stays a sphere
            centre = transform[:3, :3] @ s[:3] + transform[:3, 3]
            return centre + np.array([[i, j, k] for i in (-1, 1) for j in (-1, 1) for k in (-1, 1)]) * r * scale
        else:
            return None
    except BinaryError:
        return None
    return pts @ transform[:3, :3].T + transform[:3, 3]


def on_globe(points: np.ndarray | None) -> bool:
    """True when the points' centre lies near the Earth's surface (ECEF metres)."""
    return points is not None and len(points) > 0 and 6.2e6 <= float(np.linalg.norm(points.mean(0))) <= 6.5e6


def region_box(region: list[float]) -> tuple[np.ndarray, np.ndarray]:
    """EPSG:4979 region (radians, metres) -> ECEF oriented box (centre, half axes as columns),
    fitted in the east-north-up frame at the region's centre from a grid of its surface points."""
    w, s, e, n, h0, h1 = region
    if e < w:
        e += 2 * np.pi
    lon, lat, h = np.meshgrid(np.linspace(w, e, 5), np.linspace(s, n, 5), [h0, h1], indexing="ij")
    pts = geodetic_to_ecef(lon, lat, h)
    clon, clat = (w + e) / 2, (s + n) / 2
    axes = np.array([[-np.sin(clon), np.cos(clon), 0.0],
                     [-np.sin(clat) * np.cos(clon), -np.sin(clat) * np.sin(clon), np.cos(clat)],
                     [np.cos(clat) * np.cos(clon), np.cos(clat) * np.sin(clon), np.sin(clat)]])
    local = pts @ axes.T
    lo, hi = local.min(0), local.max(0)
    centre = ((lo + hi) / 2) @ axes
    return centre, axes.T * ((hi - lo) / 2)


def bounding_volume(volume: Any, transform: np.ndarray) -> tuple[np.ndarray, float, np.ndarray | None]:
    """A tile's boundingVolume JSON -> (centre, radius, half axes or None) in world coords.
    box and sphere go through the tile transform; region is already EPSG:4979 and is not."""
    if not isinstance(volume, dict):
        raise BinaryError("tile has no boundingVolume")
    if "box" in volume:
        b = as_vec(volume["box"], 12, "bounding box")
        centre = transform[:3, :3] @ b[:3] + transform[:3, 3]
        half = transform[:3, :3] @ b[3:].reshape(3, 3).T
        return centre, float(np.sqrt((half**2).sum())), half
    if "region" in volume:
        centre, half = region_box(list(as_vec(volume["region"], 6, "bounding region")))
        return centre, float(np.sqrt((half**2).sum())), half
    if "sphere" in volume:
        s = as_vec(volume["sphere"], 4, "bounding sphere")
        return transform[:3, :3] @ s[:3] + transform[:3, 3], float(abs(s[3]) * float(np.linalg.norm(transform[:3, :3], axis=0).max())), None
    raise BinaryError("boundingVolume is none of box, region, sphere")
