"""The scene frame: one local east-north-up (ENU) metric frame that every layer is placed in.

Georeferencing is done once, in float64, when a layer enters the scene; visuals then work
in small local coordinates (float32 is fine there: no jitter far from the origin).
"""
from __future__ import annotations

import threading
from dataclasses import dataclass

import numpy as np
import pyproj

from loaders.base import Georef

WGS84 = pyproj.Geod(ellps="WGS84")
_A = 6378137.0
_E2 = 6.69437999014e-3
_local = threading.local()
CHUNK_POINTS = 1 << 20  # points transformed at once: temporaries stay near 100 MB whatever the cloud's size


class _ArrayTransformer:
    """pyproj's Transformer.transform tries its scalar path first, which converts a one-element
    array to a float: numpy >= 1.25 warns on every single-point transform (a camera, an origin).
    Arrays go through as 1-D float64, a single point as plain floats."""

    def __init__(self, transformer: pyproj.Transformer) -> None:
        self._t = transformer

    def transform(self, *coords):
        arrays = [np.asarray(c, dtype=np.float64).reshape(-1) for c in coords]
        if arrays and arrays[0].size == 1:
            return tuple(np.array([v]) for v in self._t.transform(*(float(a[0]) for a in arrays)))
        return self._t.transform(*arrays)


def _transformer(src: str, dst: str) -> _ArrayTransformer:
    """pyproj transformers are cached per thread: they are not meant to be shared between threads."""
    cache = getattr(_local, "cache", None)
    if cache is None:
        cache = _local.cache = {}
    key = (src, dst)
    if key not in cache:
        cache[key] = _ArrayTransformer(pyproj.Transformer.from_crs(src, dst, always_xy=True))
    return cache[key]


def lla_to_ecef(lat: np.ndarray, lon: np.ndarray, h: np.ndarray) -> np.ndarray:
    """Geodetic (deg, deg, m above WGS84/GRS80 ellipsoid) -> ECEF metres, closed form."""
    lat_r, lon_r = np.radians(lat), np.radians(lon)
    n = _A / np.sqrt(1 - _E2 * np.sin(lat_r) ** 2)
    x = (n + h) * np.cos(lat_r) * np.cos(lon_r)
    y = (n + h) * np.cos(lat_r) * np.sin(lon_r)
    z = (n * (1 - _E2) + h) * np.sin(lat_r)
    return np.stack([x, y, z], axis=-1)


def enu_rotation(lat: float, lon: float) -> np.ndarray:
    """Rows are the east, north, up unit vectors in ECEF at (lat, lon)."""
    la, lo = np.radians(lat), np.radians(lon)
    return np.array(
        [
            [-np.sin(lo), np.cos(lo), 0.0],
            [-np.sin(la) * np.cos(lo), -np.sin(la) * np.sin(lo), np.cos(la)],
            [np.cos(la) * np.cos(lo), np.cos(la) * np.sin(lo), np.sin(la)],
        ]
    )


def enu_to_ecef_matrix(lat: float, lon: float, h: float) -> np.ndarray:
    """4x4 matrix taking ENU metres at (lat, lon, h) to ECEF (as 3D Tiles root transforms do)."""
    m = np.eye(4)
    m[:3, :3] = enu_rotation(lat, lon).T
    m[:3, 3] = lla_to_ecef(np.array(lat), np.array(lon), np.array(h))
    return m


def _chunked(pts: np.ndarray, fn) -> np.ndarray:
    """`fn` on bounded slices of (N,3) `pts`, written into one preallocated float64 (N,3) array.

    Why: a whole-array transform of 20M points makes several full-size float64 temporaries
    (pyproj's three outputs, their stack, the offset copy, the product): gigabytes, and a
    MemoryError under an address-space limit. Chunks keep the peak at input + output + one slice."""
    n = len(pts)
    if n <= CHUNK_POINTS:
        return fn(pts)
    out = np.empty((n, 3), dtype=np.float64)
    for start in range(0, n, CHUNK_POINTS):
        out[start:start + CHUNK_POINTS] = fn(pts[start:start + CHUNK_POINTS])
    return out


def _apply(matrix: np.ndarray, pts: np.ndarray) -> np.ndarray:
    if np.allclose(matrix, np.eye(4)):
        return np.asarray(pts, dtype=np.float64)
    return pts @ matrix[:3, :3].T + matrix[:3, 3]


def _vertical_factor(crs: pyproj.CRS) -> float | None:
    """For a 2D CRS, the factor that turns z (in its horizontal unit) into metres; None for 3D CRSs."""
    if len(crs.axis_info) >= 3 or crs.is_compound:
        return None
    if crs.is_geographic:
        return 1.0
    return float(crs.axis_info[0].unit_conversion_factor or 1.0)


def crs_to_ecef(pts: np.ndarray, crs_text: str) -> np.ndarray:
    """Any pyproj CRS -> ECEF. A 2D CRS takes z as ellipsoidal height in its horizontal unit.

    A compound CRS whose vertical datum needs a geoid grid that is not installed falls back to
    its horizontal part (z as ellipsoidal height): off by the geoid undulation, but placed.
    """
    crs = pyproj.CRS.from_user_input(crs_text)
    factor = _vertical_factor(crs)
    src = crs
    if factor is not None:
        src = crs.to_3d()
    elif crs.is_compound:
        pass
    x, y, z = pts[:, 0], pts[:, 1], pts[:, 2] * (factor or 1.0)
    out = np.stack(_transformer(src.to_wkt(), "EPSG:4978").transform(x, y, z), axis=-1)
    if crs.is_compound and len(out) and not np.isfinite(out).all():
        horiz = crs.sub_crs_list[0]
        hf = float(horiz.axis_info[0].unit_conversion_factor or 1.0)
        out = np.stack(_transformer(horiz.to_3d().to_wkt(), "EPSG:4978").transform(x, y, pts[:, 2] * hf), axis=-1)
    if len(out) and not np.isfinite(out).all():
        raise ValueError(f"coordinates cannot be transformed from {crs.name} (outside its area of use?)")
    return out


def enu_to_enu_matrix(src_lla: tuple[float, float, float], dst_lla: tuple[float, float, float]) -> np.ndarray:
    """4x4 rigid float64 matrix taking ENU metres at `src_lla` to ENU metres at `dst_lla`.

    Why a matrix: moving the scene origin re-expresses every layer, the camera and bookmarks
    with one exact rotation and translation (no round trip through a CRS, no precision loss)."""
    r_src, r_dst = enu_rotation(src_lla[0], src_lla[1]), enu_rotation(dst_lla[0], dst_lla[1])
    o_src = lla_to_ecef(np.array(src_lla[0]), np.array(src_lla[1]), np.array(src_lla[2]))
    o_dst = lla_to_ecef(np.array(dst_lla[0]), np.array(dst_lla[1]), np.array(dst_lla[2]))
    m = np.eye(4)
    m[:3, :3] = r_dst @ r_src.T
    m[:3, 3] = r_dst @ (o_src - o_dst)
    return m


@dataclass
class SceneFrame:
    """Origin of the local ENU frame in lat/lon/ellipsoidal height; display_crs for the status bar."""

    origin_lla: tuple[float, float, float] | None = None
    display_crs: str | None = None

    @property
    def is_set(self) -> bool:
        return self.origin_lla is not None

    def _require(self) -> tuple[float, float, float]:
        if self.origin_lla is None:
            raise RuntimeError("scene frame origin is not set")
        return self.origin_lla

    # --- ECEF <-> ENU -------------------------------------------------------------------------
    def ecef_to_enu(self, ecef: np.ndarray) -> np.ndarray:
        lat, lon, h = self._require()
        o = lla_to_ecef(np.array(lat), np.array(lon), np.array(h))
        rot = enu_rotation(lat, lon).T
        return _chunked(np.asarray(ecef), lambda c: (np.asarray(c, dtype=np.float64) - o) @ rot)

    def enu_to_ecef(self, enu: np.ndarray) -> np.ndarray:
        lat, lon, h = self._require()
        o = lla_to_ecef(np.array(lat), np.array(lon), np.array(h))
        rot = enu_rotation(lat, lon)
        return _chunked(np.asarray(enu), lambda c: np.asarray(c, dtype=np.float64) @ rot + o)

    def enu_to_lla(self, enu: np.ndarray) -> np.ndarray:
        """(N,3) ENU -> (N,3) lat, lon, h."""
        ecef = self.enu_to_ecef(np.atleast_2d(enu))
        lon, lat, h = _transformer("EPSG:4978", "EPSG:4979").transform(ecef[:, 0], ecef[:, 1], ecef[:, 2])
        return np.stack([lat, lon, h], axis=-1)

    def lla_to_enu(self, lla: np.ndarray) -> np.ndarray:
        lla = np.atleast_2d(np.asarray(lla, dtype=np.float64))
        return self.ecef_to_enu(lla_to_ecef(lla[:, 0], lla[:, 1], lla[:, 2]))

    def enu_to_crs(self, enu: np.ndarray, crs_text: str) -> np.ndarray:
        """ENU -> coordinates in any CRS (x, y, z with always_xy), e.g. for the status bar."""
        ecef = self.enu_to_ecef(np.atleast_2d(enu))
        crs = pyproj.CRS.from_user_input(crs_text)
        dst = crs.to_3d() if _vertical_factor(crs) is not None else crs
        x, y, z = _transformer("EPSG:4978", dst.to_wkt()).transform(ecef[:, 0], ecef[:, 1], ecef[:, 2])
        return np.stack([x, y, z], axis=-1)

    def matrix_to(self, origin_lla: tuple[float, float, float]) -> np.ndarray:
        """4x4 from this frame's ENU to the ENU of a frame at `origin_lla` (identity if unset)."""
        if not self.is_set:
            return np.eye(4)
        return enu_to_enu_matrix(self._require(), tuple(float(v) for v in origin_lla))  # type: ignore[arg-type]

    def distance_m(self, enu: np.ndarray) -> float:
        """Distance along the ellipsoid from the origin to a scene point (what "far" means to a user)."""
        lat0, lon0, _ = self._require()
        lat, lon, _h = self.enu_to_lla(np.asarray(enu, dtype=np.float64).reshape(1, 3))[0]
        return float(WGS84.inv(lon0, lat0, float(lon), float(lat))[2])

    def axes_at(self, enu: np.ndarray) -> np.ndarray:
        """3x3 whose columns are the local east, north and up at a scene point, in scene ENU:
        far from the origin "up" tilts (90 degrees a quarter of the globe away)."""
        if not self.is_set:
            return np.eye(3)
        lat0, lon0, _ = self._require()
        lat, lon, _h = self.enu_to_lla(np.asarray(enu, dtype=np.float64).reshape(1, 3))[0]
        return enu_rotation(lat0, lon0) @ enu_rotation(float(lat), float(lon)).T

    # --- placing loader output ----------------------------------------------------------------
    def georef_to_ecef(self, pts: np.ndarray, georef: Georef) -> np.ndarray | None:
        """Data coordinates -> ECEF, or None when the data is not georeferenced."""
        p = _apply(georef.matrix, np.asarray(pts, dtype=np.float64).reshape(-1, 3))
        if georef.kind == "ecef":
            return p
        if georef.kind == "enu":
            lat, lon, h = georef.origin_lla  # type: ignore[misc]
            return p @ enu_rotation(lat, lon) + lla_to_ecef(np.array(lat), np.array(lon), np.array(h))
        if georef.kind == "crs":
            return crs_to_ecef(p, georef.crs or "")
        return None

    def adopt_origin(self, pts: np.ndarray, georef: Georef) -> None:
        """Set the origin from the first georeferenced data (centre of its bounds, ground level)."""
        if self.is_set or georef.kind == "none" or len(pts) == 0:
            return
        lo, hi = pts.min(0), pts.max(0)
        centre = np.array([(lo + hi) / 2])
        centre[0, 2] = lo[2]
        ecef = self.georef_to_ecef(centre, georef)
        lon, lat, h = _transformer("EPSG:4978", "EPSG:4979").transform(ecef[:, 0], ecef[:, 1], ecef[:, 2])
        self.origin_lla = (float(lat[0]), float(lon[0]), float(h[0]))
        if self.display_crs is None and georef.kind == "crs":
            self.display_crs = georef.crs_label() or georef.crs

    def to_local(self, pts: np.ndarray, georef: Georef) -> np.ndarray:
        """Data coordinates -> scene ENU metres (float64). Ungeoreferenced data is taken as local metres.
        Transformed in bounded chunks (see `_chunked`); no points and no origin yet: nothing to place."""
        pts = np.asarray(pts).reshape(-1, 3)
        if georef.kind == "none":
            return _chunked(pts, lambda c: _apply(georef.matrix, np.asarray(c, dtype=np.float64)))
        if not self.is_set:
            self.adopt_origin(pts, georef)
        if not self.is_set and len(pts) == 0:  # an empty cloud: it sets no origin and needs none
            return np.zeros((0, 3), dtype=np.float64)
        return _chunked(pts, lambda c: self.ecef_to_enu(self.georef_to_ecef(c, georef)))

    def get_state(self) -> dict:
        return {"origin_lla": list(self.origin_lla) if self.origin_lla else None, "display_crs": self.display_crs}
