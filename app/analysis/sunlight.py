"""Hours of direct sun on the ground and on facades over a day, by ray casting (app/analysis/rays.py).

GB 50180-2018 (China's residential planning standard, table 4.0.9) checks sunlight on Great Cold
(大寒, climate zones I-III and VII: at least 2 or 3 hours within 8:00-16:00) or on the winter
solstice (冬至, zones IV-VI: at least 1 hour within 9:00-15:00), the windows in TRUE SOLAR TIME
(GB_WINDOWS below; the minimum is the user's: 2 h by default). The window here is true solar time by
default (`solar_time=True`: the window is moved by longitude and the equation of time; in Wuhan
solar noon is ~12:21 Beijing time), or clock time of the zone with `solar_time=False`.

Sampling: the window is cut into steps; the sun's direction at the middle of each step stands for
the whole step. A sample point is sunlit in a step when the sun is above the horizon, in front
of its surface (the facade's own self-shadow: dot(normal, sun) > 0) and a ray towards the sun
hits nothing. Ground samples: a grid (top surfaces: terrain, roofs) 5 cm above the surface;
facade samples: points on near-vertical triangles, about one per grid cell of area, 5 cm out
along the triangle's normal (its winding: outward for IFC, glTF and CityJSON walls).
No Qt, no VTK.
"""
from __future__ import annotations

import math
import time as _time
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import numpy as np

from app.analysis.rays import Cancel, MeshPart, Progress, RayScene, RaysCancelled
from app.analysis.sun import SunError, sun_positions

OFFSET_M = 0.05
FACADE_MAX_NZ = 0.3  # |normal z| below this: a wall (about 17 deg from vertical at most)
MAX_POINTS = 4_000_000
HOURS_ATTR = "sun_hours (h)"  # the point attribute: the legend reads "Sun hours (h)"
GB_WINDOWS = {"great cold": (time(8), time(16)), "winter solstice": (time(9), time(15))}  # GB 50180 table 4.0.9


class SunlightError(ValueError):
    """Parameters the analysis cannot run with; the message says which and why."""


@dataclass
class SunlightParams:
    day: date
    zone: str = "Asia/Shanghai"
    lat: float = 30.5928
    lon: float = 114.3055
    start: time = time(8, 0)
    end: time = time(16, 0)
    solar_time: bool = True  # GB 50180: the window is true solar time
    step_minutes: float = 15.0
    grid_m: float = 1.0
    min_hours: float = 2.0
    ground: bool = True
    facades: bool = True
    area: tuple[float, float, float, float] | None = None  # xmin, ymin, xmax, ymax (ENU m); None: the geometry's

    def to_dict(self) -> dict[str, Any]:
        return {"day": self.day.isoformat(), "zone": self.zone, "lat": self.lat, "lon": self.lon,
                "start": self.start.strftime("%H:%M"), "end": self.end.strftime("%H:%M"), "solar_time": self.solar_time,
                "step_minutes": self.step_minutes, "grid_m": self.grid_m, "min_hours": self.min_hours,
                "ground": self.ground, "facades": self.facades, "area": list(self.area) if self.area else None}

    def check(self) -> None:
        if not 0.1 <= self.grid_m <= 100:
            raise SunlightError(f"the grid size must be between 0.1 and 100 m, not {self.grid_m:g}")
        if not 1 <= self.step_minutes <= 120:
            raise SunlightError(f"the step must be between 1 and 120 minutes, not {self.step_minutes:g}")
        if datetime.combine(self.day, self.end) <= datetime.combine(self.day, self.start):
            raise SunlightError(f"the window ends ({self.end:%H:%M}) before it starts ({self.start:%H:%M})")
        if not (self.ground or self.facades):
            raise SunlightError("nothing to compute: choose the ground, the facades or both")
        try:
            ZoneInfo(self.zone)
        except Exception:  # noqa: BLE001 - any unknown zone name
            raise SunlightError(f"unknown time zone {self.zone!r}") from None


@dataclass
class SunlightResult:
    points: np.ndarray  # (N,3) scene ENU
    normals: np.ndarray  # (N,3)
    hours: np.ndarray  # (N,) float32
    facade: np.ndarray  # (N,) bool
    times: list[datetime]
    params: SunlightParams
    rays: int = 0
    seconds: float = 0.0
    grid_shape: tuple[int, int] | None = None  # (ny, nx) of the ground grid, row 0 south
    grid_origin: tuple[float, float] | None = None  # x, y of the first ground cell's centre
    summary: dict[str, Any] = field(default_factory=dict)


def window_times(p: SunlightParams) -> list[datetime]:
    """Aware clock times at the middle of each step of the window (true solar or clock time)."""
    tz = ZoneInfo(p.zone)
    t0, t1 = datetime.combine(p.day, p.start, tz), datetime.combine(p.day, p.end, tz)
    if p.solar_time:  # solar time = clock time + 4 min/deg * (lon - zone meridian) + equation of time
        import pvlib

        noon = datetime.combine(p.day, time(12), tz)
        eot = float(pvlib.solarposition.equation_of_time_spencer71(noon.timetuple().tm_yday))
        offset_min = 4.0 * p.lon - noon.utcoffset().total_seconds() / 60.0 + eot
        t0, t1 = t0 - timedelta(minutes=offset_min), t1 - timedelta(minutes=offset_min)
    step = timedelta(minutes=p.step_minutes)
    out, t = [], t0 + step / 2
    while t < t1:
        out.append(t)
        t += step
    return out


def sun_directions(p: SunlightParams) -> tuple[list[datetime], np.ndarray]:
    """(times, (T,3) unit ENU vectors towards the sun; zero rows while it is below the horizon)."""
    times = window_times(p)
    pos = sun_positions(times, p.lat, p.lon)
    dirs = np.array([q.vector() if q.elevation > 0 else np.zeros(3) for q in pos]).reshape(-1, 3)
    return times, dirs


def ground_samples(rs: RayScene, area: tuple[float, float, float, float], grid: float,
                   default_z: float) -> tuple[np.ndarray, tuple[int, int], tuple[float, float]]:
    xmin, ymin, xmax, ymax = area
    nx, ny = max(1, int(math.ceil((xmax - xmin) / grid))), max(1, int(math.ceil((ymax - ymin) / grid)))
    if nx * ny > MAX_POINTS:
        raise SunlightError(f"a {grid:g} m grid over {xmax - xmin:.0f} x {ymax - ymin:.0f} m is {nx * ny:,} points "
                            f"(at most {MAX_POINTS:,}): use a coarser grid or a smaller area")
    x0, y0 = xmin + grid / 2, ymin + grid / 2
    gx, gy = np.meshgrid(x0 + grid * np.arange(nx), y0 + grid * np.arange(ny))
    xy = np.column_stack([gx.ravel(), gy.ravel()])
    z = rs.ground_heights(xy, default_z)
    return np.column_stack([xy, z]), (ny, nx), (x0, y0)


def facade_samples(parts: list[MeshPart], spacing: float, max_points: int = MAX_POINTS) -> tuple[np.ndarray, np.ndarray]:
    """Points on near-vertical triangles, about one per spacing^2 of wall (seeded: repeatable)."""
    pts, nrm = [], []
    rng = np.random.default_rng(0)
    for part in parts:
        v, f = part.vertices, part.faces
        if not len(f):
            continue
        a, b, c = v[f[:, 0]], v[f[:, 1]], v[f[:, 2]]
        cross = np.cross(b - a, c - a)
        area2 = np.linalg.norm(cross, axis=1)
        ok = area2 > 1e-9
        n = np.zeros_like(cross)
        n[ok] = cross[ok] / area2[ok, None]
        wall = ok & (np.abs(n[:, 2]) < FACADE_MAX_NZ)
        if not wall.any():
            continue
        area = area2[wall] / 2
        count = np.floor(area / spacing ** 2 + rng.random(len(area))).astype(np.int64)  # unbiased rounding
        idx = np.repeat(np.flatnonzero(wall), count)
        r1, r2 = rng.random(len(idx)), rng.random(len(idx))
        flip = r1 + r2 > 1
        r1[flip], r2[flip] = 1 - r1[flip], 1 - r2[flip]
        pts.append(a[idx] + r1[:, None] * (b[idx] - a[idx]) + r2[:, None] * (c[idx] - a[idx]))
        nrm.append(n[idx])
    if not pts:
        return np.zeros((0, 3)), np.zeros((0, 3))
    p, q = np.concatenate(pts), np.concatenate(nrm)
    if len(p) > max_points:
        raise SunlightError(f"{len(p):,} facade points at {spacing:g} m (at most {max_points:,}): use a coarser grid")
    return p, q


def above_ground(rs: RayScene, points: np.ndarray, normals: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Facade samples not buried: a wall sunk into the terrain (buildings stand on their lowest
    ground) would count its buried samples as walls without sun. Buried: straight up from just in
    front of the sample, the first surface is met from its back (terrain's normal points up);
    under a roof or canopy the first surface faces down and the sample stays."""
    if not len(points):
        return points, normals
    outside = np.column_stack([points[:, :2] + OFFSET_M * normals[:, :2], points[:, 2]])
    buried = rs.up_hits_backface(outside)
    return points[~buried], normals[~buried]


def hours_of_sun(rs: RayScene, points: np.ndarray, normals: np.ndarray, dirs: np.ndarray, step_h: float,
                 progress: Progress | None = None, cancel: Cancel | None = None) -> tuple[np.ndarray, int]:
    """(N,) hours lit over the steps and the number of rays cast."""
    hours = np.zeros(len(points), dtype=np.float32)
    start = points + OFFSET_M * normals
    up = normals[:, 2] > 0.999  # ground and roofs face every sun above the horizon: no per-step test
    i_up, i_wall = np.flatnonzero(up), np.flatnonzero(~up)
    rays_up = rs.local_rays(start[i_up])  # float32, shifted once; directions set per step in place
    rays_wall = rs.local_rays(start[i_wall])
    n_wall = normals[i_wall]
    rays = 0
    for k, d in enumerate(dirs):
        if cancel is not None and cancel():
            raise RaysCancelled()
        if progress is not None:
            progress(k / max(1, len(dirs)), f"sun step {k + 1} of {len(dirs)}")
        if d[2] <= 0:
            continue  # below the horizon
        if len(i_up):
            rays_up[:, 3:] = d
            lit = ~rs.occluded_rays(rays_up, cancel=cancel)
            hours[i_up[lit]] += step_h
            rays += len(i_up)
        sel = np.flatnonzero(n_wall @ d > 1e-6)  # walls the sun is in front of
        if len(sel):
            batch = rays_wall[sel]
            batch[:, 3:] = d
            lit = ~rs.occluded_rays(batch, cancel=cancel)
            hours[i_wall[sel[lit]]] += step_h
            rays += len(sel)
    return hours, rays


def compute_sunlight(parts: list[MeshPart], p: SunlightParams, progress: Progress | None = None,
                     cancel: Cancel | None = None, ground_z: float | None = None) -> SunlightResult:
    """The whole analysis: sample, cast, sum. Raises SunlightError, RaysCancelled."""
    p.check()
    t0 = _time.perf_counter()
    rs = RayScene(parts)
    if rs.bounds is None and p.area is None:
        raise SunlightError("the scene has no meshes (buildings, terrain) to cast shadows: open a model first")
    try:
        times, dirs = sun_directions(p)
    except SunError as exc:
        raise SunlightError(str(exc)) from None
    area = p.area or (float(rs.bounds[0][0]), float(rs.bounds[0][1]), float(rs.bounds[1][0]), float(rs.bounds[1][1]))
    z_default = float(ground_z if ground_z is not None else (rs.bounds[0][2] if rs.bounds is not None else 0.0))
    pts, nrm, facade = [np.zeros((0, 3))], [np.zeros((0, 3))], [np.zeros(0, bool)]
    shape = origin = None
    if p.ground:
        g, shape, origin = ground_samples(rs, area, p.grid_m, z_default)
        pts.append(g)
        nrm.append(np.tile([0.0, 0.0, 1.0], (len(g), 1)))
        facade.append(np.zeros(len(g), bool))
    if p.facades:
        fp, fn = facade_samples(parts, p.grid_m)
        if p.area is not None:  # only the walls inside the area asked about
            inside = (fp[:, 0] >= area[0]) & (fp[:, 1] >= area[1]) & (fp[:, 0] <= area[2]) & (fp[:, 1] <= area[3])
            fp, fn = fp[inside], fn[inside]
        fp, fn = above_ground(rs, fp, fn)
        pts.append(fp)
        nrm.append(fn)
        facade.append(np.ones(len(fp), bool))
    points, normals, is_facade = np.concatenate(pts), np.concatenate(nrm), np.concatenate(facade)
    hours, rays = hours_of_sun(rs, points, normals, dirs, p.step_minutes / 60.0, progress, cancel)
    seconds = _time.perf_counter() - t0
    res = SunlightResult(points, normals, hours, is_facade, times, p, rays, seconds, shape, origin)
    res.summary = summarise(res)
    return res


def summarise(r: SunlightResult) -> dict[str, Any]:
    def stats(mask: np.ndarray) -> dict[str, Any]:
        h = r.hours[mask]
        return {"points": int(mask.sum()), "min_h": round(float(h.min()), 3) if len(h) else None,
                "mean_h": round(float(h.mean()), 3) if len(h) else None, "max_h": round(float(h.max()), 3) if len(h) else None}

    below = r.facade & (r.hours < r.params.min_hours)
    return {"ground": stats(~r.facade), "facades": stats(r.facade), "facade_points_below_min": int(below.sum()),
            "window_h": round(len(r.times) * r.params.step_minutes / 60.0, 3), "steps": len(r.times),
            "first_step": r.times[0].isoformat() if r.times else None, "rays": int(r.rays),
            "seconds": round(r.seconds, 3), "rays_per_s": round(r.rays / r.seconds) if r.seconds > 0 else None}


def shadow_mask(rs: RayScene, points: np.ndarray, sun: np.ndarray) -> np.ndarray:
    """(N,) bool: ground points in shadow for one sun direction (unit ENU towards the sun)."""
    if sun[2] <= 0:
        return np.ones(len(points), dtype=bool)
    return rs.occluded(points + np.array([0.0, 0.0, OFFSET_M]), np.asarray(sun, dtype=np.float64))
