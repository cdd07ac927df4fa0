"""Cloud-to-mesh (C2M): exact signed distance from scan points to the nearest design triangle.

Why this shape:
- Exact, not sampled: every answer comes from the exact point-triangle distance (Ericson 5.1.5)
  against a candidate set that provably holds the nearest triangle. KD-trees over surface samples
  are off by the sampling spacing (centimetres), useless for tolerance checks.
- Two engines, same answers. With numba (installed with py3dtiles; the default), sparse cell
  grids (_grid.py, _grid_index.py): every triangle is listed in the cells its surface meets, a
  point searches its own cell, then the rings around it nearest first, skipping every cell and
  triangle whose box or bounding sphere is beyond the best exact distance so far, and stops when
  the rest lie beyond the block it searched; points with nothing near go up to coarser cells. It
  runs on `threads` worker threads (the kernel releases the GIL). Without numba, or with
  DesignIndex(compiled=False), the vectorised numpy path below: a cKDTree over triangle centroids
  plus each triangle's bounding radius r. A triangle whose centroid lies at distance D from p is
  at least D - r away. With the k nearest centroids, the k-th at distance Dk, every triangle
  outside the set is at least Dk - rmax away, so a point whose best exact distance is below that is
  final. Otherwise every centroid within min(best, max_distance) + rmax is fetched (k nearest
  under one distance bound; ball lists where more than _KB fall inside) and pruned by each
  triangle's own radius. Large triangles (BIM slabs and walls are two triangles each) would make
  rmax huge, so for this path the largest are split into four by their edge midpoints until rmax
  is small: same surface, same plane, so distances, normals and elements are unchanged.
  Nothing nearer can be missed on either path: the bounds are proofs, not heuristics.
- Sign: from the nearest face's normal (outward positive for outward-wound BIM meshes); no
  inside/outside test, BIM meshes are not watertight. When the closest point is on an edge or
  vertex shared by several faces (distances equal within 1e-9 relative), the face whose plane
  distance is largest in magnitude decides: it is the face the point lies most squarely in front
  of, which gives the right sign on both sides of a box's edges and corners (a point off a corner
  diagonally is outside); then the smallest face index, so the choice never depends on the
  search order. Each face's plane (unit normal and first vertex) is computed once (face_rows) and
  used by both paths, so they agree bit for bit on ties.
- Far points (farther than max_distance: clutter, people, scaffolding) are marked and their
  distance left NaN; a point is settled as far as soon as a bound proves it, without its exact
  nearest triangle.
- Precision: all coordinates are shifted to a local origin (the design's minimum corner) and kept
  in float64, so a site 10 km or 1000 km from the CRS origin is as exact as one at the origin.
- Speed (5M points vs 1M triangles on a shared 2-core machine, index build included): 2.8-5 M
  points/s, 2.4-2.9x CloudCompare 2.11's C2M wall-clock at moderate load and 2.4-2.75x less
  CPU, in the same run (tests/benchmarks/test_bench_c2m.py). The numpy path is the slow fallback.
- Memory is bounded by chunk_size points plus the index (grid: about 130 bytes a triangle, 4 bytes
  a cell or sub-cell listing, 4 bytes a triangle per thread for stamps); results do not depend on
  the thread count or chunk size.
"""
from __future__ import annotations

import itertools
import os
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

import numpy as np
from scipy.spatial import cKDTree

from app.analysis._triangles import _TIE, face_area2, face_rows, nearest_in_rows, nearest_in_segments
from loaders.base import Cancel, LoadCancelled, Progress

try:                            # numba (installed with py3dtiles): the compiled grid search
    from app.analysis import _grid
    from app.analysis._grid_index import GridSearch
except ImportError:             # pragma: no cover - depends on the environment
    _grid = None

_BLOCK = 65_536             # points per worker task
_K0, _KB = 2, 48           # nearest centroids: first bound; then up to _KB under a radius
_SPLIT_BUDGET = 2           # at most this many times the triangle count (+20k) after splitting


class C2MError(ValueError):
    """Bad input to the comparison: the message says what and why (shown to the user)."""


@dataclass
class C2MResult:
    """Per point: signed distance in metres (NaN when far), index of the design element the
    nearest surface belongs to (-1: far or no element), nearest original face (-1: far), far mask."""

    distance: np.ndarray
    element: np.ndarray
    face: np.ndarray
    far: np.ndarray


def as_points(points: np.ndarray, what: str) -> np.ndarray:
    p = np.asarray(points, dtype=np.float64)
    if p.ndim != 2 or p.shape[1] != 3:
        raise C2MError(f"{what} must be an (N, 3) array, got shape {p.shape}")
    if not np.isfinite(p).all():
        raise C2MError(f"{what} hold NaN or infinite coordinates")
    return p


class DesignIndex:
    """The design surface, indexed once and queried chunk by chunk (or by many workers)."""

    def __init__(self, vertices: np.ndarray, faces: np.ndarray, face_element: np.ndarray | None = None,
                 threads: int | None = None, compiled: bool = True) -> None:
        self.threads = max(1, threads or os.cpu_count() or 1)
        self.compiled = compiled
        v = as_points(vertices, "design vertices")
        f = np.asarray(faces)
        if f.ndim != 2 or f.shape[1] != 3 or len(f) == 0:
            raise C2MError("the design has no triangles to compare with")
        f = f.astype(np.int64, copy=False)
        if f.min() < 0 or f.max() >= len(v):
            raise C2MError("design faces refer to vertices that do not exist")
        fe = np.full(len(f), -1, np.int64) if face_element is None else np.asarray(face_element, np.int64)
        if fe.shape != (len(f),):
            raise C2MError(f"face_element has {fe.size} entries for {len(f)} triangles")
        self.origin = v.min(axis=0)
        v = np.ascontiguousarray(v - self.origin)
        area2 = face_area2(v, f)
        top = v.max(axis=0)                # the local frame starts at 0: this is the extent
        # degenerate: below what float64 rounding can produce for collinear points in this frame
        # (about 2e-16 x extent x edge), so millimetre detail on a 20 km site is kept
        ok = area2 > 1e-15 * max(float(top.max()), 1e-9) ** 2
        if not ok.any():
            raise C2MError("every design triangle is degenerate (zero area)")
        orig = np.flatnonzero(ok)          # degenerate triangles have no normal: their edges are shared
        rows = face_rows(v, f, orig)       # a, b - a, c - a, unit normal, centroid, radius
        self.n_faces = len(f)
        self.grid = None
        if compiled and _grid is not None:
            self.grid = GridSearch(rows, orig, fe[orig], np.zeros(3), top,
                                   float(area2[orig].mean()) / 2.0, threads=self.threads)
            self.face, self.element = self.grid.face, self.grid.element
            return
        plane = np.zeros((len(f), 6))      # unit normal, a: the same plane as the compiled path
        plane[orig] = rows[:, [9, 10, 11, 0, 1, 2]]
        a = rows[:, :3]
        a, b, c = self._split(a, a + rows[:, 3:6], a + rows[:, 6:9], orig)
        self.a, self.ab, self.ac = a, b - a, c - a
        self.plane = plane[self._orig]
        cen = (a + b + c) / 3.0
        self.radius = np.sqrt(np.max([((x - cen) ** 2).sum(1) for x in (a, b, c)], axis=0))
        self.rmax = float(self.radius.max())
        self.centroid = cen
        self.tree = cKDTree(cen)
        self._rank = np.empty(len(cen), np.int64)
        self._rank[self.tree.indices] = np.arange(len(cen))
        self.face = self._orig
        self.element = fe[self._orig]

    def _split(self, a: np.ndarray, b: np.ndarray, c: np.ndarray, orig: np.ndarray) -> tuple[np.ndarray, ...]:
        """Split the largest triangles into four (same surface), halving the largest radius each
        round, until it is near the small ones' or the triangle budget (2x + 20k) is spent: a small
        rmax keeps the pruning tight."""
        budget = _SPLIT_BUDGET * len(a) + 20_000

        def radius(a: np.ndarray, b: np.ndarray, c: np.ndarray) -> np.ndarray:
            cen = (a + b + c) / 3.0
            return np.sqrt(np.max([((x - cen) ** 2).sum(1) for x in (a, b, c)], axis=0))

        r = radius(a, b, c)
        extent = float(np.ptp(np.concatenate([a, b, c]), axis=0).max())
        floor = max(float(np.percentile(r, 25)), 1e-4 * extent)
        for _ in range(16):
            rmax = float(r.max())
            if rmax <= floor:
                break
            big = r > rmax / 2.0
            if len(a) + 3 * int(big.sum()) > budget:
                break
            ab, bc, ca = (a[big] + b[big]) / 2, (b[big] + c[big]) / 2, (c[big] + a[big]) / 2
            ba, bb, bcc, bo = a[big], b[big], c[big], orig[big]
            keep = ~big
            a = np.concatenate([a[keep], ba, ab, ca, ab])
            b = np.concatenate([b[keep], ab, bb, bc, bc])
            c = np.concatenate([c[keep], ca, bc, bcc, ca])
            orig = np.concatenate([orig[keep], bo, bo, bo, bo])
            r = radius(a, b, c)
        self._orig = orig
        return a, b, c

    # --- queries ------------------------------------------------------------------------------
    def _evaluate(self, p: np.ndarray, idx: np.ndarray) -> tuple[np.ndarray, ...]:
        """Exact distances of points p (n,3) to candidate triangles idx (n,k): best squared distance,
        chosen triangle (ties: largest |plane distance|) and its signed plane distance."""
        n, k = idx.shape
        return nearest_in_segments(p, np.repeat(np.arange(n), k), idx.ravel(), np.arange(0, n * k, k),
                                   self.a, self.ab, self.ac, self.plane, self._orig, self.compiled)

    def _query_block(self, p: np.ndarray, maxd: float) -> tuple[np.ndarray, ...]:
        """_query_sorted on the points in coarse-cell order (neighbouring points walk the same tree
        nodes: far fewer cache misses); every answer is per point, so the order changes nothing."""
        if len(p) < 2:
            return self._query_sorted(p, maxd)
        size = max(4.0 * self.rmax, float(np.ptp(p, axis=0).max()) / 1024.0, 1e-9)   # <= 1025 cells a side
        cell = np.floor(p / size).astype(np.int64)
        cell -= cell.min(axis=0)
        span = cell.max(axis=0) + 1
        order = np.argsort((cell[:, 0] * span[1] + cell[:, 1]) * span[2] + cell[:, 2], kind="stable")
        out = self._query_sorted(p[order], maxd)
        res = tuple(np.empty_like(x) for x in out)
        for r, x in zip(res, out):
            r[order] = x
        return res

    def _query_sorted(self, p: np.ndarray, maxd: float) -> tuple[np.ndarray, ...]:
        """Signed distance, nearest (split) triangle and far flag for a block of local points.

        Round 1: the k nearest centroids give an upper bound `best` (exact distances); a point is
        final when best < D_k - rmax. Round 2, for the rest: every triangle that can be nearer than
        min(best, max_distance) has its centroid within that + rmax (a ball query) and passes
        |p - centroid| - r_t <= min(best, max_distance); only those pairs are evaluated."""
        n, t = len(p), self.tree.n
        dist = np.full(n, np.nan)
        tri = np.full(n, -1, np.int64)
        far = np.zeros(n, bool)
        k = min(_K0, t)
        dk, ik = self.tree.query(p, k=k, workers=-1)
        dk, ik = dk.reshape(n, -1), ik.reshape(n, -1)
        todo = np.flatnonzero(dk[:, 0] - self.rmax <= maxd)
        far[dk[:, 0] - self.rmax > maxd] = True
        dk, ik = dk[todo], ik[todo]
        b2, tr, pd = self._evaluate(p[todo], ik)
        b = np.sqrt(b2)
        bt = np.sqrt(b2 * (1 + _TIE) + 1e-18)             # faces tied with the best must be in the set
        bound = dk[:, -1] - self.rmax                      # every other triangle is at least this far
        done = (bt < bound) | (k >= t)
        far_now = (b > maxd) & ((bound > maxd) | (k >= t))
        ok = done & ~far_now
        dist[todo[ok]] = np.where(pd[ok] < 0, -b[ok], b[ok])
        tri[todo[ok]] = tr[ok]
        far[todo[far_now]] = True
        rest = ~(done | far_now)
        if rest.any():      # in the tree's leaf order of the nearest centroid: cache-friendly queries
            order = np.argsort(self._rank[ik[rest, 0]], kind="stable")
            self._ball(p, todo[rest][order], np.minimum(bt[rest], maxd)[order], maxd, dist, tri, far)
        return dist, tri, far

    def _ball(self, p: np.ndarray, todo: np.ndarray, limit: np.ndarray, maxd: float,
              dist: np.ndarray, tri: np.ndarray, far: np.ndarray) -> None:
        """Every triangle that can lie within `limit` of each point: its centroid is within
        limit + rmax (up to _KB nearest under one scalar bound, which is much faster than ball
        lists; points with more go through query_ball_point), then each triangle's own radius
        prunes the pairs before the exact distance."""
        # one scalar bound per group of similar limits: most points lie near the surface and
        # would otherwise search as far as the few with a limit near max_distance
        edges = np.array([0.0, 0.02, 0.1, 0.3, np.inf]) * max(self.rmax, 1e-9)
        group = np.searchsorted(edges, limit, side="right")
        for g in np.unique(group):
            sel = group == g
            self._ball_group(p, todo[sel], limit[sel], maxd, dist, tri, far)

    def _ball_group(self, p: np.ndarray, todo: np.ndarray, limit: np.ndarray, maxd: float,
                    dist: np.ndarray, tri: np.ndarray, far: np.ndarray) -> None:
        kb = min(_KB, self.tree.n)
        reach = limit + self.rmax
        d, j = self.tree.query(p[todo], k=kb, distance_upper_bound=float(reach.max()), workers=-1)
        d, j = d.reshape(len(todo), -1), j.reshape(len(todo), -1)
        full = d[:, -1] <= reach if kb < self.tree.n else np.zeros(len(todo), bool)
        fused = nearest_in_rows(p[todo], d, j, reach, limit, full, self.radius, self.a, self.ab,
                                self.ac, self.plane, self._orig) if self.compiled else None
        if fused is not None:               # numba: prune and reduce without (n, k) temporaries
            best, pick, pd, found = fused
            bb = np.sqrt(best)
            near = found & (bb <= maxd)
            dist[todo[near]] = np.where(pd[near] < 0, -bb[near], bb[near])
            tri[todo[near]] = pick[near]
        else:
            jj = np.minimum(j, self.tree.n - 1)
            ok = (d <= reach[:, None]) & (d - self.radius[jj] <= limit[:, None] * (1 + 1e-12) + 1e-12)
            ok[full] = False
            row, col = np.nonzero(ok)
            self._reduce_pairs(p, todo, row, j[row, col], maxd, dist, tri)
        if full.any():
            sub, lim = todo[full], limit[full]
            lists = self.tree.query_ball_point(p[sub], lim + self.rmax, workers=-1)
            lens = np.fromiter((len(x) for x in lists), np.int64, len(lists))
            cand = np.fromiter(itertools.chain.from_iterable(lists), np.int64, int(lens.sum()))
            row = np.repeat(np.arange(len(sub)), lens)
            cd = np.linalg.norm(p[sub[row]] - self.centroid[cand], axis=1) - self.radius[cand]
            keep = cd <= lim[row] * (1 + 1e-12) + 1e-12
            self._reduce_pairs(p, sub, row[keep], cand[keep], maxd, dist, tri)
        far[todo[np.isnan(dist[todo])]] = True       # nothing within the cut-off

    def _reduce_pairs(self, p: np.ndarray, todo: np.ndarray, row: np.ndarray, cand: np.ndarray,
                      maxd: float, dist: np.ndarray, tri: np.ndarray) -> None:
        """Exact distances of (point todo[row], triangle cand) pairs grouped by row; per point the
        nearest (ties: largest |plane distance|) is written when within maxd."""
        if not len(row):
            return
        starts = np.flatnonzero(np.r_[True, row[1:] != row[:-1]])
        best, pick, pd = nearest_in_segments(p[todo], row, cand, starts, self.a, self.ab, self.ac,
                                             self.plane, self._orig, self.compiled)
        bb = np.sqrt(best)
        near = bb <= maxd
        idx = todo[row[starts][near]]
        dist[idx] = np.where(pd[near] < 0, -bb[near], bb[near])
        tri[idx] = pick[near]

    def query(self, points: np.ndarray, *, max_distance: float = 1.0, chunk_size: int = 200_000,
              progress: Progress | None = None, cancel: Cancel | None = None) -> C2MResult:
        """C2M of scene-frame points (float64 (N,3)); see the module docstring."""
        p = as_points(points, "scan points")
        if not (np.isfinite(max_distance) and max_distance > 0):
            raise C2MError(f"the far cut-off must be a positive distance, got {max_distance}")
        if chunk_size < 1:
            raise C2MError(f"chunk size must be at least 1, got {chunk_size}")
        n = len(p)
        out = C2MResult(np.full(n, np.nan), np.full(n, -1, np.int64), np.full(n, -1, np.int64), np.zeros(n, bool))
        block = max(1, min(_BLOCK, -(-chunk_size // self.threads)))
        maxd = float(max_distance)

        def run(lo: int, hi: int, local: np.ndarray) -> None:
            d, t, f = self._query_block(local, maxd)
            out.distance[lo:hi], out.far[lo:hi] = d, f
            hit = t >= 0
            face = np.full(len(t), -1, np.int64)
            elem = np.full(len(t), -1, np.int64)
            face[hit], elem[hit] = self.face[t[hit]], self.element[t[hit]]
            out.face[lo:hi], out.element[lo:hi] = face, elem

        if self.grid is not None:
            self._query_grid(p, maxd, chunk_size, out, progress, cancel)
            return out
        with ThreadPoolExecutor(self.threads) as pool:      # numpy and cKDTree release the GIL
            for c0 in range(0, n, chunk_size):
                if cancel is not None and cancel():
                    raise LoadCancelled("comparison cancelled")
                c1 = min(n, c0 + chunk_size)
                local = p[c0:c1] - self.origin
                jobs = [pool.submit(run, c0 + b0, c0 + min(len(local), b0 + block), local[b0: b0 + block])
                        for b0 in range(0, len(local), block)]
                for job in jobs:
                    job.result()
                if progress is not None:
                    progress(c1 / n, f"compared {c1:,} of {n:,} points")
        return out

    def _query_grid(self, p: np.ndarray, maxd: float, chunk_size: int, out: C2MResult,
                    progress: Progress | None, cancel: Cancel | None) -> None:
        """The compiled grid search (_grid.py) on worker threads, chunk by chunk."""
        n = len(p)

        def done(c1: int) -> None:
            if progress is not None:
                progress(c1 / n, f"compared {c1:,} of {n:,} points")

        self.grid.run(np.ascontiguousarray(p), self.origin, maxd, (out.distance, out.face, out.element, out.far),
                      done, cancel, chunk_size)


def cloud_to_mesh(points: np.ndarray, vertices: np.ndarray, faces: np.ndarray,
                  face_element: np.ndarray | None = None, *, max_distance: float = 1.0,
                  chunk_size: int = 200_000, progress: Progress | None = None,
                  cancel: Cancel | None = None) -> C2MResult:
    """Signed distance of every point to the design (MeshData fields vertices/faces/face_element)."""
    return DesignIndex(vertices, faces, face_element).query(
        points, max_distance=max_distance, chunk_size=chunk_size, progress=progress, cancel=cancel)
