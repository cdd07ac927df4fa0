"""Change between two scans (epochs): M3C2 distances with a level of detection, and layers of new
and removed material.

Why this shape:
- M3C2 (Lague et al. 2013, py4dgeo's C++ core): at each core point (a seeded sample of the earlier
  scan) a normal from the points within `normal_radius`; the two epochs' points inside a cylinder of
  `cylinder_radius` along it (up to `max_distance` either way) are averaged; the distance is the
  difference of the means along the normal. Level of detection at 95 %:
  LoD95 = 1.96 * (sqrt(s1^2/n1 + s2^2/n2) + registration error); a change is significant when
  |distance| > LoD, and a distance is only given where both cylinders hold `min_cylinder_points`.
  Nearest-neighbour C2C would overstate noise by the point spacing (REFERENCE.md).
- Sign: normals point to the scanner that saw the point (the nearest station) when stations are
  known, else upwards (py4dgeo's orientation vector +z). Positive = the later surface lies in front
  (material added), negative = behind (material removed). Without stations the sign of vertical
  faces is arbitrary; the magnitude and the significance are not.
- New / removed material: every point (seeded sample) of the later scan is checked against the
  earlier one with a short M3C2 cylinder (`support_distance` either way; an empty cylinder is tried
  once 2.5x wider, as grazing rays sample sparsely): it is supported when the earlier surface lies
  within its LoD; unsupported later points are new material, unsupported earlier
  points removed material. A scan only sees what its stations see, so a point hidden in the other
  epoch (the wall behind a newly placed column) is no change: when the other epoch's stations are
  known, a point whose line of sight from every one of them passes through that epoch's points is
  occluded, not changed. Clusters smaller than `min_cluster_points` (noise, a bird) are dropped.
- Bounded: at most `max_epoch_points` per epoch enter the search trees, `max_core_points` core points
  and `max_layer_points` candidates per epoch, all seeded samples. Coordinates are shifted to a
  local centre in float64 first (georeferenced sites stay exact).
"""
from __future__ import annotations

import logging
import time
from dataclasses import asdict, dataclass, field, replace

import numpy as np
from scipy.sparse import coo_matrix
from scipy.sparse.csgraph import connected_components
from scipy.spatial import cKDTree

from app.analysis.c2m import C2MError
from loaders.base import Cancel, Georef, LoadCancelled, PointCloudData, Progress

_SCALES = (0.5, 0.75, 1.0)   # normal scales as fractions of normal_radius (multiscale M3C2)
_CHUNK = 20_000             # core points per py4dgeo call: progress and cancel between calls
_WIDER = 2.5                # support test: an empty cylinder is retried this much wider
_JITTER = 1e-6              # m, see m3c2_change
_NORMAL_VOXELS = 6          # normals: points thinned to one per (normal_radius / this)^3 voxel


@dataclass
class ChangeSettings:
    """Every threshold of the change detection (metres unless said)."""

    cylinder_radius: float = 0.1
    normal_radius: float = 0.3
    max_distance: float = 1.0            # cylinder half-length for the M3C2 distance
    support_distance: float = 0.25       # cylinder half-length of the new/removed support test
    registration_error: float = 0.01     # added to the LoD (alignment uncertainty of the two scans)
    occlusion_radius: float = 0.1        # a line of sight passing this close to a point is blocked
    min_cluster_points: int = 10         # smaller groups of changed points are noise
    min_cylinder_points: int = 3         # M3C2 distance only where both cylinders hold this many points
    max_core_points: int = 100_000
    max_epoch_points: int = 2_000_000
    max_layer_points: int = 200_000
    seed: int = 0

    def validate(self) -> None:
        for name in ("cylinder_radius", "normal_radius", "max_distance", "support_distance", "occlusion_radius"):
            v = getattr(self, name)
            if not (isinstance(v, (int, float)) and np.isfinite(v) and v > 0):
                raise C2MError(f"{name.replace('_', ' ')} must be a positive distance in metres, got {v}")
        if not (np.isfinite(self.registration_error) and self.registration_error >= 0):
            raise C2MError(f"registration error must be 0 or more metres, got {self.registration_error}")
        for name in ("max_core_points", "max_epoch_points", "max_layer_points"):
            if int(getattr(self, name)) < 100:
                raise C2MError(f"{name.replace('_', ' ')} must be at least 100")
        if self.min_cluster_points < 1 or self.min_cylinder_points < 1:
            raise C2MError("min cluster points and min cylinder points must be at least 1")

    def to_dict(self) -> dict:
        return asdict(self)


@dataclass
class ChangeResult:
    """Plain arrays in the caller's frame; `layers()` turns them into derived point clouds."""

    core: np.ndarray            # (n,3) core points (earlier epoch)
    normal: np.ndarray          # (n,3)
    distance: np.ndarray        # (n,) m, NaN where a cylinder held no point of one epoch
    lod: np.ndarray             # (n,) m, LoD95
    significant: np.ndarray     # (n,) bool
    new_points: np.ndarray      # (k,3) later points not supported by the earlier scan
    removed_points: np.ndarray  # (m,3) earlier points not supported by the later scan
    settings: ChangeSettings
    points: tuple[int, int]     # points of each epoch used
    occlusion_checked: bool
    seconds: float = 0.0
    warnings: list[str] = field(default_factory=list)

    def summary(self) -> dict:
        ok = np.isfinite(self.distance)
        sig = self.significant
        d = self.distance[sig]
        lod = self.lod[ok & np.isfinite(self.lod)]
        return {
            "points_before": self.points[0], "points_after": self.points[1],
            "core_points": int(len(self.core)), "compared": int(ok.sum()), "no_data": int((~ok).sum()),
            "significant": int(sig.sum()), "significant_positive": int((d > 0).sum()),
            "significant_negative": int((d < 0).sum()),
            "lod_m": {"mean": _stat(np.mean, lod), "median": _stat(np.median, lod), "min": _stat(np.min, lod),
                      "max": _stat(np.max, lod)},
            "distance_m": {"mean": _stat(np.mean, self.distance[ok]), "max_abs": _stat(np.max, np.abs(d))},
            "new_points": int(len(self.new_points)), "removed_points": int(len(self.removed_points)),
            "occlusion_checked": self.occlusion_checked, "seconds": round(self.seconds, 3),
            "settings": self.settings.to_dict(), "warnings": list(self.warnings),
        }

    def layers(self, georef: Georef | None = None, name: str = "Change") -> list[PointCloudData]:
        """The "M3C2 distance" cloud (attributes m3c2_m, lod_m, significant), "new material" and
        "removed material", each marked derived so a project saves them as sidecar arrays."""
        derived = {"analysis": "change", "params": self.settings.to_dict()}
        g = georef or Georef()

        def cloud(label: str, pos: np.ndarray, attrs: dict, rgb: tuple[int, int, int] | None) -> PointCloudData:
            colors = None if rgb is None else np.tile(np.array(rgb, np.uint8), (len(pos), 1))
            return PointCloudData(name=f"{name}: {label}", kind="pointcloud", format="M3C2 change", georef=g,
                                  positions=pos, colors=colors, attributes=attrs,
                                  metadata={"derived": {**derived, "layer": label}})

        m3c2 = cloud("M3C2 distance", self.core, {"m3c2_m": self.distance.astype(np.float32),
                                                  "lod_m": self.lod.astype(np.float32),
                                                  "significant": self.significant.astype(np.uint8)}, None)
        return [m3c2, cloud("new material", self.new_points, {}, (46, 160, 67)),
                cloud("removed material", self.removed_points, {}, (214, 39, 40))]


def _stat(fn, values: np.ndarray) -> float | None:
    return float(fn(values)) if len(values) else None


def _checked(points: np.ndarray, what: str) -> np.ndarray:
    p = np.asarray(points, dtype=np.float64)
    if p.ndim != 2 or p.shape[1] != 3:
        raise C2MError(f"{what} must be an (N, 3) array, got shape {p.shape}")
    if len(p) < 10:
        raise C2MError(f"{what}: {len(p)} points, too few to compare (an empty scan?)")
    if not np.isfinite(p).all():
        raise C2MError(f"{what} hold NaN or infinite coordinates")
    return p


def _extent(p: np.ndarray) -> str:
    lo, hi = p.min(0), p.max(0)
    return "x {:.1f}..{:.1f}, y {:.1f}..{:.1f}, z {:.1f}..{:.1f}".format(lo[0], hi[0], lo[1], hi[1], lo[2], hi[2])


def _sample(p: np.ndarray, n: int, rng: np.random.Generator) -> np.ndarray:
    return p if len(p) <= n else p[np.sort(rng.choice(len(p), int(n), replace=False))]


def _stations(st: np.ndarray | None, centre: np.ndarray) -> np.ndarray | None:
    if st is None:
        return None
    s = np.asarray(st, dtype=np.float64).reshape(-1, 3)
    if not len(s) or not np.isfinite(s).all():
        raise C2MError("scanner stations must be finite (x, y, z) positions")
    return s - centre


def _quiet_py4dgeo() -> None:
    """py4dgeo prints INFO lines to stdout and appends to ./py4dgeo.log in the current folder: its
    messages go to our own log (app/logs.py) instead, warnings and up only."""
    log = logging.getLogger("py4dgeo")
    for handler in list(log.handlers):
        log.removeHandler(handler)
        handler.close()
    log.setLevel(logging.WARNING)
    log.propagate = True


class _Epochs:
    """The two epochs' py4dgeo search trees (local coordinates) and the M3C2 calls on them."""

    def __init__(self, a: np.ndarray, b: np.ndarray, normal_radius: float) -> None:
        import py4dgeo

        _quiet_py4dgeo()
        self.a, self.b = py4dgeo.Epoch(a), py4dgeo.Epoch(b)
        # normals are fitted to a voxel-thinned copy: a dense scan holds thousands of points in a
        # 0.3 m ball near its station, and a plane needs a few hundred at most
        voxel = normal_radius / _NORMAL_VOXELS
        self.normals_a, self.normals_b = py4dgeo.Epoch(_thin(a, voxel)), py4dgeo.Epoch(_thin(b, voxel))
        for e in (self.a, self.b, self.normals_a, self.normals_b):
            e.build_kdtree()

    @staticmethod
    def normals(epoch, core: np.ndarray, radius: float, stations: np.ndarray | None) -> np.ndarray:
        import _py4dgeo

        radii = [float(radius) * f for f in _SCALES]       # the most planar scale wins (corners, edges)
        n, _ = _py4dgeo.compute_multiscale_directions(epoch, np.ascontiguousarray(core), radii,
                                                      np.array([0.0, 0.0, 1.0]))
        n = np.asarray(n, dtype=np.float64).copy()
        if stations is not None:                            # towards the scanner that saw the point
            nearest = stations[cKDTree(stations).query(core)[1]]
            flip = np.einsum("ij,ij->i", n, nearest - core) < 0
            n[flip] *= -1
        return n

    @staticmethod
    def distances(core: np.ndarray, normal: np.ndarray, first, second, s: ChangeSettings, half_length: float,
                  cancel: Cancel | None, progress: Progress | None, span: tuple[float, float], what: str
                  ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """M3C2 distance (second minus first along the normal), LoD95 and the smaller of the two
        cylinders' point counts, per core point."""
        import _py4dgeo

        dist = np.full(len(core), np.nan)
        lod = np.full(len(core), np.nan)
        count = np.zeros(len(core), np.int64)
        for c0 in range(0, len(core), _CHUNK):
            if cancel is not None and cancel():
                raise LoadCancelled("change detection cancelled")
            c1 = min(len(core), c0 + _CHUNK)
            d, u = _py4dgeo.compute_distances(np.ascontiguousarray(core[c0:c1]), float(s.cylinder_radius), first,
                                              second, np.ascontiguousarray(normal[c0:c1]), float(half_length),
                                              float(s.registration_error), _py4dgeo.cylinder_workingset_finder,
                                              _py4dgeo.mean_stddev_distance)
            dist[c0:c1] = d
            u = np.asarray(u)
            lod[c0:c1] = u["lodetection"]
            count[c0:c1] = np.minimum(u["num_samples1"], u["num_samples2"])
            if progress is not None:
                progress(span[0] + (span[1] - span[0]) * c1 / len(core), f"{what}: {c1:,} of {len(core):,} points")
        return dist, lod, count


def _seen_through(points: np.ndarray, normal: np.ndarray, other: cKDTree, stations: np.ndarray, radius: float,
                  reach: float) -> np.ndarray:
    """True where, in the other epoch, some station's line of sight reaches the point unblocked and
    goes on to hit something behind it: that epoch saw through where the point was. A line passing
    within `radius` of the other epoch's points is blocked (samples near the point's own plane are
    skipped: a grazing ray skims it). A point hidden there, or with nothing seen behind it (a wall
    scanned at a grazing angle), is no evidence of change."""
    out = np.zeros(len(points), bool)
    for s in stations:
        for c0 in range(0, len(points), 1000):
            p, n = points[c0:c0 + 1000], normal[c0:c0 + 1000]
            length = np.linalg.norm(p - s, axis=1)
            steps = int(min(400, np.ceil((length.max() + reach) / radius)))
            t = np.linspace(0.0, 1.0 + reach / max(float(length.min()), 1e-6), steps)   # along s -> p, and past p
            x = s + t[None, :, None] * (p - s)[:, None, :]                             # (m, steps, 3)
            along = t[None, :] * length[:, None]
            test = ((np.abs(np.einsum("mkj,mj->mk", x - p[:, None, :], n)) >= radius) & (along > 0.3)
                    & (along <= length[:, None] + reach))
            d, _ = other.query(x[test], distance_upper_bound=radius, workers=-1)
            hit = np.zeros(test.shape, bool)
            hit[test] = np.isfinite(d)
            front = (hit & (t[None, :] < 1.0)).any(axis=1)
            behind = (hit & (t[None, :] > 1.0)).any(axis=1)
            out[c0:c0 + 1000] |= ~front & behind
    return out


def _drop_small_clusters(p: np.ndarray, radius: float, min_points: int) -> np.ndarray:
    if len(p) == 0 or min_points <= 1:
        return np.ones(len(p), bool)
    pairs = cKDTree(p).query_pairs(radius, output_type="ndarray")
    graph = coo_matrix((np.ones(len(pairs)), (pairs[:, 0], pairs[:, 1])), shape=(len(p), len(p)))
    _, label = connected_components(graph, directed=False)
    return np.bincount(label)[label] >= min_points


def m3c2_change(before: np.ndarray, after: np.ndarray, settings: ChangeSettings | None = None, *,
                stations_before: np.ndarray | None = None, stations_after: np.ndarray | None = None,
                progress: Progress | None = None, cancel: Cancel | None = None) -> ChangeResult:
    """Change from the `before` scan to the `after` scan (both (N,3) in one frame, e.g. scene ENU).

    Stations (scanner positions in the same frame, per epoch) orient the normals and let hidden
    points be told from removed ones; both are optional. Raises C2MError on bad input or when the
    scans do not overlap; LoadCancelled when cancelled."""
    start = time.perf_counter()
    s = settings or ChangeSettings()
    s.validate()
    rng = np.random.default_rng(s.seed)
    a_all, b_all = _checked(before, "earlier scan"), _checked(after, "later scan")
    lo = np.minimum(a_all.min(0), b_all.min(0))
    hi = np.maximum(a_all.max(0), b_all.max(0))
    centre = (lo + hi) / 2
    a = _sample(a_all, s.max_epoch_points, rng) - centre
    b = _sample(b_all, s.max_epoch_points, rng) - centre
    # py4dgeo's spread comes out NaN for a cylinder whose points are exactly coplanar (its variance
    # cancels to a tiny negative): scans quantised to 1 cm on a flat slab lost 18% of their core
    # points. A seeded 1 micrometre jitter, far below any scanner's resolution, keeps them.
    a = a + rng.normal(0.0, _JITTER, a.shape)
    b = b + rng.normal(0.0, _JITTER, b.shape)
    gap = np.maximum(a.min(0), b.min(0)) - np.minimum(a.max(0), b.max(0))
    if (gap > s.max_distance).any():
        raise C2MError(f"the two scans do not overlap (earlier {_extent(a_all)}, later {_extent(b_all)})")
    st_a, st_b = _stations(stations_before, centre), _stations(stations_after, centre)
    st_any = st_a if st_b is None else (st_b if st_a is None else np.vstack([st_a, st_b]))
    if progress:
        progress(0.02, "building search trees")
    ep = _Epochs(a, b, s.normal_radius)
    core = _sample(a, s.max_core_points, rng)
    normal = ep.normals(ep.normals_a, core, s.normal_radius, st_any)
    dist, lod, count = ep.distances(core, normal, ep.a, ep.b, s, s.max_distance, cancel, progress, (0.05, 0.45), "M3C2")
    few = count < s.min_cylinder_points          # a mean of one or two points has no spread to judge it by
    measured = np.isfinite(dist).any()
    dist[few], lod[few] = np.nan, np.nan
    if measured and not np.isfinite(dist).any():
        raise C2MError(f"no cylinder holds {s.min_cylinder_points} points of both scans: raise the cylinder radius "
                       f"({s.cylinder_radius:g} m; the points are about {max(_spacing(a), _spacing(b)):.3f} m apart)")
    if not np.isfinite(dist).any():
        raise C2MError(f"the two scans do not overlap: no core point has points of both within {s.max_distance} m "
                       f"(earlier {_extent(a_all)}, later {_extent(b_all)})")
    significant = np.isfinite(dist) & (np.abs(dist) > lod)
    warnings: list[str] = []
    if st_a is None or st_b is None:
        warnings.append("scanner stations unknown: points hidden in the other scan may show as new or removed")
    spacing = max(_spacing(a), _spacing(b))
    if spacing > s.cylinder_radius / 2:    # sparse cylinders: few points, noisy means, gaps read as change
        warnings.append(f"the scans' points are {spacing:.3f} m apart (median) for a cylinder radius of "
                        f"{s.cylinder_radius:g} m: a radius of at least {3 * spacing:.2f} m gives steadier results")
    changed = []
    for i, (own, other, own_ep, other_ep, other_st, own_normals) in enumerate(
            ((b, a, ep.b, ep.a, st_a, ep.normals_b), (a, b, ep.a, ep.b, st_b, ep.normals_a))):
        cand = _sample(own, s.max_layer_points, rng)
        n = ep.normals(own_normals, cand, s.normal_radius, None)
        span = (0.45 + 0.25 * i, 0.6 + 0.25 * i)
        d, l, _ = ep.distances(cand, n, own_ep, other_ep, s, s.support_distance, cancel, progress, span,
                               "new material" if i == 0 else "removed material")
        empty = np.flatnonzero(np.isnan(d))
        if len(empty):      # sparse (grazing) sampling leaves gaps wider than the cylinder: look wider once
            wide = replace(s, cylinder_radius=s.cylinder_radius * _WIDER)
            d[empty], l[empty], _ = ep.distances(cand[empty], n[empty], own_ep, other_ep, wide, s.support_distance,
                                                 cancel, None, span, "")
        unsupported = ~(np.isfinite(d) & (np.abs(d) <= l))
        pts, nn = cand[unsupported], n[unsupported]
        if other_st is not None and len(pts):
            if cancel is not None and cancel():
                raise LoadCancelled("change detection cancelled")
            reach = float(np.linalg.norm(hi - lo))
            pts = pts[_seen_through(pts, nn, cKDTree(other), other_st, s.occlusion_radius, reach)]
        link = max(s.cylinder_radius, 2.0 * _spacing(cand))      # changed points this close form one group
        pts = pts[_drop_small_clusters(pts, link, s.min_cluster_points)]
        changed.append(pts + centre)
    if progress:
        progress(1.0, f"{int(significant.sum()):,} significant changes")
    return ChangeResult(core + centre, normal, dist, lod, significant, changed[0], changed[1], s,
                        (len(a), len(b)), st_a is not None and st_b is not None, time.perf_counter() - start, warnings)


def _thin(p: np.ndarray, voxel: float) -> np.ndarray:
    """One point (the first) per voxel of the given size."""
    cell = np.floor((p - p.min(0)) / voxel).astype(np.int64)
    span = cell.max(0) + 1
    key = (cell[:, 0] * span[1] + cell[:, 1]) * span[2] + cell[:, 2]
    _, first = np.unique(key, return_index=True)
    return p[np.sort(first)]


def _spacing(p: np.ndarray) -> float:
    """Median nearest-neighbour spacing of (a sample of) a cloud."""
    sub = p[:: max(1, len(p) // 20_000)]
    d, _ = cKDTree(sub).query(sub, k=2)
    return float(np.median(d[:, 1])) * np.sqrt(max(1, len(p) // max(1, len(sub))))
