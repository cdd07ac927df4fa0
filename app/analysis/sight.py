"""Line of sight between two points and a viewshed from an observer, by ray casting.

Line of sight: one ray from the eye to the target; blocked when something lies on it short of
the target (a small tolerance keeps the target's own surface from blocking it). The first hit is
where the view stops. Viewshed: the ground grid and facade samples within a radius (the same
samples as sunlight hours) each get a ray from the eye; visible when nothing is hit before it.
Points facing away from the eye (the back of a wall) are not visible. No Qt, no VTK.
"""
from __future__ import annotations

import time as _time
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from app.analysis.rays import Cancel, MeshPart, Progress, RayScene
from app.analysis.sunlight import OFFSET_M, above_ground, facade_samples, ground_samples

TARGET_TOLERANCE_M = 0.05
MAX_RADIUS_M = 5_000.0
VISIBLE_ATTR = "visible (1 = seen)"  # the viewshed's point attribute


class SightError(ValueError):
    """A sight question that cannot be answered as asked."""


@dataclass
class SightLine:
    eye: np.ndarray
    target: np.ndarray
    visible: bool
    hit: np.ndarray | None  # where the view is blocked (first hit), None when visible
    distance: float  # eye to target (m)
    blocked_at: float | None  # eye to the hit (m)

    def to_dict(self) -> dict[str, Any]:
        r = lambda a: [round(float(x), 3) for x in a]  # noqa: E731
        return {"eye": r(self.eye), "target": r(self.target), "visible": self.visible, "distance_m": round(self.distance, 3),
                "blocked_at_m": None if self.blocked_at is None else round(self.blocked_at, 3),
                "hit": None if self.hit is None else r(self.hit)}


def line_of_sight(rs: RayScene, eye: np.ndarray, target: np.ndarray) -> SightLine:
    eye, target = np.asarray(eye, dtype=np.float64).reshape(3), np.asarray(target, dtype=np.float64).reshape(3)
    if not (np.all(np.isfinite(eye)) and np.all(np.isfinite(target))):
        raise SightError("the eye and the target must be finite points")
    v = target - eye
    dist = float(np.linalg.norm(v))
    if dist < 1e-6:
        raise SightError("the eye and the target are the same point: pick two different points")
    d = v / dist
    t, _ = rs.first_hit(eye.reshape(1, 3), d)
    if np.isfinite(t[0]) and t[0] < dist - TARGET_TOLERANCE_M:
        return SightLine(eye, target, False, eye + d * t[0], dist, float(t[0]))
    return SightLine(eye, target, True, None, dist, None)


@dataclass
class Viewshed:
    eye: np.ndarray
    radius: float
    points: np.ndarray
    visible: np.ndarray  # (N,) bool
    facade: np.ndarray  # (N,) bool
    seconds: float = 0.0
    summary: dict[str, Any] = field(default_factory=dict)


def viewshed(parts: list[MeshPart], eye: np.ndarray, radius: float, grid_m: float = 2.0, facades: bool = True,
             progress: Progress | None = None, cancel: Cancel | None = None, ground_z: float | None = None) -> Viewshed:
    """Which ground and facade samples within `radius` of the eye it can see."""
    eye = np.asarray(eye, dtype=np.float64).reshape(3)
    if not (0 < radius <= MAX_RADIUS_M):
        raise SightError(f"the radius must be between 0 and {MAX_RADIUS_M:g} m, not {radius:g}")
    if not 0.1 <= grid_m <= 100:
        raise SightError(f"the grid size must be between 0.1 and 100 m, not {grid_m:g}")
    t0 = _time.perf_counter()
    rs = RayScene(parts)
    zdef = float(ground_z if ground_z is not None else (rs.bounds[0][2] if rs.bounds is not None else eye[2] - 1.7))
    area = (eye[0] - radius, eye[1] - radius, eye[0] + radius, eye[1] + radius)
    g, _, _ = ground_samples(rs, area, grid_m, zdef)
    pts, nrm = [g], [np.tile([0.0, 0.0, 1.0], (len(g), 1))]
    if facades:
        fp, fn = facade_samples(parts, grid_m)
        fp, fn = above_ground(rs, fp, fn)
        pts.append(fp)
        nrm.append(fn)
    points, normals = np.concatenate(pts), np.concatenate(nrm)
    is_facade = np.zeros(len(points), bool)
    is_facade[len(g):] = True
    keep = np.linalg.norm(points[:, :2] - eye[:2], axis=1) <= radius
    points, normals, is_facade = points[keep], normals[keep], is_facade[keep]
    start = points + OFFSET_M * normals
    v = eye - start
    dist = np.linalg.norm(v, axis=1)
    ok = dist > 1e-6
    d = np.zeros_like(v)
    d[ok] = v[ok] / dist[ok, None]
    facing = np.einsum("ij,ij->i", normals, d) > 0
    todo = np.flatnonzero(facing & ok)
    visible = np.zeros(len(points), bool)
    if len(todo):  # from each sample towards the eye: blocked when something is hit before it
        blocked = rs.occluded(start[todo], d[todo], dist[todo], progress=progress, cancel=cancel)
        visible[todo] = ~blocked
    out = Viewshed(eye, float(radius), points, visible, is_facade, _time.perf_counter() - t0)
    ground = ~is_facade
    cell = grid_m * grid_m
    out.summary = {"points": int(len(points)), "visible": int(visible.sum()),
                   "ground_visible_m2": round(float((visible & ground).sum() * cell), 1),
                   "ground_m2": round(float(ground.sum() * cell), 1), "facade_points_visible": int((visible & is_facade).sum()),
                   "radius_m": float(radius), "seconds": round(out.seconds, 3)}
    return out

