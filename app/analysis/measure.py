"""Measuring in the scene: pure geometry on scene ENU points (metres, z up). No Qt, no VTK.

Distances split into direct, horizontal and vertical parts as surveyors and QGIS 3D report them;
areas both as the map sees them (horizontal projection) and on the surface (the polygon
triangulated in 3D, the area a facade or roof really has); heights above ground follow a ray
straight down to the lowest surface under the point (terrain, the base of a building), since the
first hit below a roof point is usually a floor slab of the same building.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Callable, Iterable, Sequence

import numpy as np

KINDS = ("distance", "height", "polyline", "polygon", "angle", "point")
POINTS_NEEDED = {"distance": 2, "height": 1, "angle": 3, "point": 1}  # polyline >= 2, polygon >= 3 (finished by the user)


def _pts(points: Iterable[Sequence[float]]) -> np.ndarray:
    arr = np.asarray(list(points) if not isinstance(points, np.ndarray) else points, dtype=np.float64)
    if arr.ndim != 2 or arr.shape[1] != 3 or (len(arr) and not np.isfinite(arr).all()):
        raise ValueError("points must be finite (x, y, z) triples")
    return arr


@dataclass(frozen=True)
class Distance:
    direct: float
    horizontal: float
    vertical: float  # signed: b above a is positive


def distance(a: Sequence[float], b: Sequence[float]) -> Distance:
    p = _pts([a, b])
    d = p[1] - p[0]
    return Distance(float(np.linalg.norm(d)), float(np.hypot(d[0], d[1])), float(d[2]))


def polyline_length(points: Iterable[Sequence[float]]) -> tuple[float, float]:
    """(3D length, horizontal length) along the vertices in order."""
    p = _pts(points)
    if len(p) < 2:
        return 0.0, 0.0
    d = np.diff(p, axis=0)
    return float(np.linalg.norm(d, axis=1).sum()), float(np.hypot(d[:, 0], d[:, 1]).sum())


def horizontal_area(points: Iterable[Sequence[float]]) -> float:
    """Area of the polygon's projection on the horizontal plane (shoelace)."""
    p = _pts(points)
    if len(p) < 3:
        return 0.0
    x, y = p[:, 0] - p[:, 0].mean(), p[:, 1] - p[:, 1].mean()  # centred: no cancellation far from the origin
    return float(abs(np.dot(x, np.roll(y, -1)) - np.dot(y, np.roll(x, -1))) / 2)


def _projection_axes(p: np.ndarray) -> np.ndarray:
    """Two axes of the polygon's best-fit plane (Newell's normal): a facade, vertical, still
    triangulates where its horizontal projection is a line."""
    n = np.zeros(3)
    q = np.roll(p, -1, axis=0)
    n[0] = np.sum((p[:, 1] - q[:, 1]) * (p[:, 2] + q[:, 2]))
    n[1] = np.sum((p[:, 2] - q[:, 2]) * (p[:, 0] + q[:, 0]))
    n[2] = np.sum((p[:, 0] - q[:, 0]) * (p[:, 1] + q[:, 1]))
    if np.linalg.norm(n) < 1e-12:
        n = np.array([0.0, 0.0, 1.0])
    n /= np.linalg.norm(n)
    u = np.cross(n, [0.0, 0.0, 1.0] if abs(n[2]) < 0.9 else [1.0, 0.0, 0.0])
    u /= np.linalg.norm(u)
    return np.stack([u, np.cross(n, u)])


def triangulate(points: Iterable[Sequence[float]]) -> np.ndarray:
    """Ear clipping in the polygon's own plane: (T, 3) vertex indices; concave polygons work."""
    p = _pts(points)
    n = len(p)
    if n < 3:
        return np.zeros((0, 3), dtype=np.int64)
    uv = (p - p.mean(axis=0)) @ _projection_axes(p).T
    signed = np.dot(uv[:, 0], np.roll(uv[:, 1], -1)) - np.dot(uv[:, 1], np.roll(uv[:, 0], -1))
    order = list(range(n)) if signed >= 0 else list(range(n))[::-1]  # counter-clockwise

    def cross(o: int, a: int, b: int) -> float:
        return float((uv[a, 0] - uv[o, 0]) * (uv[b, 1] - uv[o, 1]) - (uv[a, 1] - uv[o, 1]) * (uv[b, 0] - uv[o, 0]))

    def inside(t: int, a: int, b: int, c: int) -> bool:
        return cross(a, b, t) >= 0 and cross(b, c, t) >= 0 and cross(c, a, t) >= 0

    out: list[tuple[int, int, int]] = []
    guard = 0
    while len(order) > 3 and guard < 4 * n * n:
        guard += 1
        m = len(order)
        for k in range(m):
            a, b, c = order[k - 1], order[k], order[(k + 1) % m]
            if cross(a, b, c) <= 1e-12:
                continue
            if any(inside(t, a, b, c) for t in order if t not in (a, b, c)):
                continue
            out.append((a, b, c))
            order.pop(k)
            break
        else:  # self-intersecting or degenerate: fan the rest rather than loop forever
            out.extend((order[0], order[i], order[i + 1]) for i in range(1, len(order) - 1))
            order = order[:0]
    if len(order) == 3:
        out.append(tuple(order))  # type: ignore[arg-type]
    return np.asarray(out, dtype=np.int64).reshape(-1, 3)


def surface_area(points: Iterable[Sequence[float]]) -> float:
    """Area of the polygon triangulated in 3D (its true area on a sloped roof or a facade)."""
    p = _pts(points)
    tri = triangulate(p)
    if not len(tri):
        return 0.0
    a, b, c = p[tri[:, 0]], p[tri[:, 1]], p[tri[:, 2]]
    return float(np.linalg.norm(np.cross(b - a, c - a), axis=1).sum() / 2)


def angle(a: Sequence[float], vertex: Sequence[float], b: Sequence[float]) -> float:
    """Angle at `vertex` between the rays to a and b, degrees in [0, 180]."""
    p = _pts([a, vertex, b])
    u, v = p[0] - p[1], p[2] - p[1]
    nu, nv = np.linalg.norm(u), np.linalg.norm(v)
    if nu == 0 or nv == 0:
        raise ValueError("an angle needs three distinct points")
    return float(np.degrees(np.arctan2(np.linalg.norm(np.cross(u, v)), np.dot(u, v))))


# --- ground under a point -------------------------------------------------------------------------
def hits_below(point: Sequence[float], vertices: np.ndarray, faces: np.ndarray) -> np.ndarray:
    """z of every triangle crossed by the vertical line through `point`, below it (vectorised;
    triangles whose xy box misses the point are skipped first)."""
    x, y, z = (float(v) for v in point)
    v = np.asarray(vertices, dtype=np.float64)
    f = np.asarray(faces, dtype=np.int64)
    if not len(f) or not len(v):
        return np.zeros(0)
    tx, ty = v[f, 0], v[f, 1]
    near = (tx.min(1) <= x) & (tx.max(1) >= x) & (ty.min(1) <= y) & (ty.max(1) >= y)
    f = f[near]
    if not len(f):
        return np.zeros(0)
    a, b, c = v[f[:, 0]], v[f[:, 1]], v[f[:, 2]]
    d = (b[:, 0] - a[:, 0]) * (c[:, 1] - a[:, 1]) - (c[:, 0] - a[:, 0]) * (b[:, 1] - a[:, 1])
    ok = np.abs(d) > 1e-12  # vertical triangles (walls) have no area seen from above
    with np.errstate(divide="ignore", invalid="ignore"):
        s = ((x - a[:, 0]) * (c[:, 1] - a[:, 1]) - (c[:, 0] - a[:, 0]) * (y - a[:, 1])) / d
        t = ((b[:, 0] - a[:, 0]) * (y - a[:, 1]) - (x - a[:, 0]) * (b[:, 1] - a[:, 1])) / d
    eps = 1e-9
    ok &= (s >= -eps) & (t >= -eps) & (s + t <= 1 + eps)
    zs = a[ok, 2] + s[ok] * (b[ok, 2] - a[ok, 2]) + t[ok] * (c[ok, 2] - a[ok, 2])
    return zs[zs < z - 1e-6]


def points_below(point: Sequence[float], positions: np.ndarray, radius: float = 0.5,
                 ground_mask: np.ndarray | None = None) -> np.ndarray:
    """z of cloud points within `radius` (horizontally) of the point and below it; ground-classified
    points only when the cloud has them there."""
    x, y, z = (float(v) for v in point)
    pos = np.asarray(positions)
    near = (np.abs(pos[:, 0] - x) <= radius) & (np.abs(pos[:, 1] - y) <= radius) & (pos[:, 2] < z - 1e-6)
    near &= (pos[:, 0] - x) ** 2 + (pos[:, 1] - y) ** 2 <= radius * radius
    if ground_mask is not None and (near & ground_mask).any():
        near &= ground_mask
    return np.asarray(pos[near, 2], dtype=np.float64)


@dataclass(frozen=True)
class Height:
    height: float  # metres above the ground under the point
    ground_z: float
    ground: str  # what was found: "surface" (a mesh), "points" (a cloud), "grid" (the scene's ground level)


def height_above_ground(point: Sequence[float], meshes: Iterable[tuple[np.ndarray, np.ndarray]] = (),
                        clouds: Iterable[tuple[np.ndarray, np.ndarray | None]] = (),
                        ground_level: float | None = None) -> Height | None:
    """The point's height over the lowest surface straight below it (meshes as (vertices, faces),
    clouds as (positions, ground mask or None)); nothing below: over `ground_level` (the ground
    grid), else None."""
    p = _pts([point])[0]
    found: list[tuple[float, str]] = []
    for vertices, faces in meshes:
        zs = hits_below(p, vertices, faces)
        if len(zs):
            found.append((float(zs.min()), "surface"))
    for positions, mask in clouds:
        zs = points_below(p, positions, ground_mask=mask)
        if len(zs):
            found.append((float(zs.min()), "points"))
    if found:
        z, kind = min(found)
        return Height(float(p[2] - z), z, kind)
    if ground_level is not None and ground_level < p[2]:
        return Height(float(p[2] - ground_level), float(ground_level), "grid")
    return None


# --- snapping --------------------------------------------------------------------------------------
def closest_on_segment(p: np.ndarray, a: np.ndarray, b: np.ndarray) -> np.ndarray:
    d = b - a
    dd = float(np.dot(d, d))
    t = 0.0 if dd == 0 else float(np.clip(np.dot(p - a, d) / dd, 0.0, 1.0))
    return a + t * d


def snap(point: Sequence[float], cell_points: np.ndarray, to_screen: Callable[[np.ndarray], np.ndarray],
         radius_px: float = 10.0, edges: bool = True) -> tuple[np.ndarray, str]:
    """Snap a picked point to the picked cell's nearest vertex, else its nearest edge, when that
    lies within `radius_px` on screen; (point, "vertex" | "edge" | "surface"). One-point cells
    (a cloud's point) snap to the point itself."""
    p = _pts([point])[0]
    cell = np.asarray(cell_points, dtype=np.float64).reshape(-1, 3)
    if not len(cell):
        return p, "surface"
    if len(cell) == 1:
        return cell[0].copy(), "point"
    here = np.asarray(to_screen(p), dtype=np.float64)[:2]
    screen = np.array([np.asarray(to_screen(c), dtype=np.float64)[:2] for c in cell])
    gaps = np.linalg.norm(screen - here, axis=1)
    k = int(np.argmin(gaps))
    if gaps[k] <= radius_px:
        return cell[k].copy(), "vertex"
    if edges:
        best, best_gap = None, radius_px
        for i in range(len(cell)):
            q = closest_on_segment(p, cell[i], cell[(i + 1) % len(cell)])
            gap = float(np.linalg.norm(np.asarray(to_screen(q), dtype=np.float64)[:2] - here))
            if gap <= best_gap:
                best, best_gap = q, gap
        if best is not None:
            return best, "edge"
    return p, "surface"
