"""Scan versus design: one engine for the GUI (`compare_arrays`, points already in the scene) and
the CLI (`compare_files`, chunked reading, optionally on dask).

Why chunked: a scan larger than memory is read piece by piece (scan_chunks.py); each piece is
compared (DesignIndex.query), folded into a per-piece VerdictAccumulator and a histogram with
fixed edges, then dropped. Memory is bounded by the chunk size plus the design. Pieces are merged
in file order whether they ran here or on dask workers, so both paths give the same numbers.

Frames: both files meet in the scene frame through their own georeferencing (app.model.frame):
the design's origin is adopted, the scan is transformed from its own CRS (another CRS than the
design's is simply reprojected through ECEF). A scan without a CRS beside a georeferenced design
cannot be placed: the user names its CRS (`scan_crs`). A design without georeferencing is compared
with the scan's raw coordinates.
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field, replace
from typing import Any, Callable, Sequence

import numpy as np

from app.analysis.c2m import C2MError, C2MResult
from app.analysis.design import DesignModel
from app.analysis.verdicts import STATUSES, ElementVerdict, VerdictAccumulator, VerdictSettings, progress_summary
from loaders.base import Cancel, Progress

ABSURD = 1e9  # scene or file coordinates beyond this are no place on Earth in any unit
SAMPLE_MAX = 300_000  # scan points kept (thinned evenly) for the report's picture (files path)
SAMPLE_PER_CHUNK = SAMPLE_MAX


class SettingError(C2MError):
    """A bad setting; `option` names it (tolerance, max_distance, ...) for the CLI's `error: --option:`."""

    def __init__(self, option: str, message: str) -> None:
        super().__init__(message)
        self.option = option


@dataclass
class CompareSettings:
    """Thresholds of one comparison (metres). `verdict.tolerance` always follows `tolerance`."""

    tolerance: float = 0.05
    max_distance: float = 1.0
    histogram_bins: int = 400               # 5 mm bins at the default 1 m cut-off: the report zooms in on the points
    chunk_points: int = 2_000_000
    verdict: VerdictSettings = field(default_factory=VerdictSettings)

    def __post_init__(self) -> None:
        self._sync()

    def _sync(self) -> None:
        if self.verdict.tolerance != self.tolerance:
            self.verdict = replace(self.verdict, tolerance=self.tolerance)

    def validate(self) -> None:
        """SettingError (a C2MError) naming the bad value; the verdict settings check their own."""
        t, m = self.tolerance, self.max_distance
        if not isinstance(t, (int, float)) or not math.isfinite(t) or t <= 0:
            raise SettingError("tolerance", f"the tolerance must be a positive distance in metres, got {t}")
        if not isinstance(m, (int, float)) or not math.isfinite(m) or m <= t:
            raise SettingError("max-distance", f"the far cut-off must be a distance in metres larger than the "
                                               f"tolerance ({t} m), got {m}")
        if int(self.histogram_bins) != self.histogram_bins or not 1 <= self.histogram_bins <= 100_000:
            raise SettingError("histogram-bins", f"histogram bins must be a whole number from 1 to 100,000, got {self.histogram_bins}")
        if int(self.chunk_points) != self.chunk_points or self.chunk_points < 1:
            raise SettingError("chunk-points", f"chunk points must be a positive whole number, got {self.chunk_points}")
        self._sync()
        self.verdict.validate()

    def edges(self) -> np.ndarray:
        return np.linspace(-self.max_distance, self.max_distance, int(self.histogram_bins) + 1)

    def to_dict(self) -> dict[str, Any]:
        return {"tolerance": self.tolerance, "max_distance": self.max_distance, "histogram_bins": int(self.histogram_bins),
                "chunk_points": int(self.chunk_points), "verdict": self.verdict.to_dict()}


@dataclass
class ComparisonResult:
    """What a comparison found; `summary` is exactly the report's "summary"."""

    design: DesignModel
    verdicts: list[ElementVerdict]
    summary: dict
    histogram: tuple[np.ndarray, np.ndarray]  # (edges, counts) of signed distances of non-far points
    distance: np.ndarray | None  # per scan point, float32, NaN = far (GUI path), else None
    element: np.ndarray | None  # per scan point element index (-1), when kept
    settings: CompareSettings
    schedule: dict | None = None  # planned versus actual (schedule_status.schedule_parts), when asked
    sample: tuple[np.ndarray, np.ndarray] | None = None  # (points (M,3), distance (M,)) thinned, for pictures

    def report(self) -> dict:
        """{"summary", "elements"} (+ "schedule" and per-element task/schedule_status when scheduled)."""
        elements = [v.to_dict(self.design) for v in self.verdicts]
        out: dict[str, Any] = {"summary": self.summary, "elements": elements}
        if self.schedule is not None:
            for row, extra in zip(elements, self.schedule["elements"]):
                row.update(extra)
            out["schedule"] = {k: v for k, v in self.schedule.items() if k != "elements"}
        return out


@dataclass
class Partial:
    """What one piece of the scan contributed (small; travels back from dask workers)."""

    acc: VerdictAccumulator
    counts: np.ndarray  # histogram counts over CompareSettings.edges()
    points: int = 0
    far: int = 0
    within: int = 0  # non-far points with |d| <= tolerance
    sum_d: float = 0.0
    sum_d2: float = 0.0
    nonfinite: int = 0  # points left out for NaN/infinite coordinates (files only)
    lo: np.ndarray = field(default_factory=lambda: np.full(3, np.inf))  # scene-frame extent of its points
    hi: np.ndarray = field(default_factory=lambda: np.full(3, -np.inf))
    sample_points: np.ndarray = field(default_factory=lambda: np.zeros((0, 3)))
    sample_distance: np.ndarray = field(default_factory=lambda: np.zeros(0, np.float32))

    def add(self, points: np.ndarray, r: C2MResult, settings: CompareSettings, edges: np.ndarray,
            keep_sample: bool = False) -> None:
        self.acc.add(points, r)
        if keep_sample and len(points):
            step = max(1, -(-len(points) // SAMPLE_PER_CHUNK))
            self._sample(points[::step], r.distance[::step].astype(np.float32))
        d = r.distance[~r.far]
        self.counts += np.histogram(d, bins=edges)[0]
        self.points += len(points)
        self.far += int(r.far.sum())
        self.within += int((np.abs(d) <= settings.tolerance).sum())
        self.sum_d += float(d.sum())
        self.sum_d2 += float((d * d).sum())
        if len(points):
            self.lo, self.hi = np.minimum(self.lo, points.min(0)), np.maximum(self.hi, points.max(0))

    def merge(self, other: "Partial") -> None:
        self.acc.merge(other.acc)
        self.counts += other.counts
        self.points += other.points
        self.far += other.far
        self.within += other.within
        self.sum_d += other.sum_d
        self.sum_d2 += other.sum_d2
        self.nonfinite += other.nonfinite
        self.lo, self.hi = np.minimum(self.lo, other.lo), np.maximum(self.hi, other.hi)
        self._sample(other.sample_points, other.sample_distance)

    def _sample(self, points: np.ndarray, distance: np.ndarray) -> None:
        """Thinned points for the report's picture; every other one dropped past SAMPLE_MAX (deterministic)."""
        p = np.concatenate([self.sample_points, points])
        d = np.concatenate([self.sample_distance, distance])
        while len(p) > SAMPLE_MAX:
            p, d = p[::2], d[::2]
        self.sample_points, self.sample_distance = p, d


def new_partial(design: DesignModel, settings: CompareSettings, stations: np.ndarray | None) -> Partial:
    return Partial(VerdictAccumulator(design, settings.verdict, stations), np.zeros(int(settings.histogram_bins), np.int64))


def extent_text(lo: np.ndarray, hi: np.ndarray) -> str:
    return ", ".join(f"{a} {lo[i]:.3f}..{hi[i]:.3f}" for i, a in enumerate("xyz"))


def check_points(points: np.ndarray, what: str) -> np.ndarray:
    """(N,3) float64 with only finite, Earth-sized coordinates; C2MError otherwise."""
    p = np.asarray(points, dtype=np.float64)
    if p.ndim != 2 or p.shape[1] != 3:
        raise C2MError(f"{what} must be an (N, 3) array, got shape {p.shape}")
    bad = ~np.isfinite(p).all(axis=1)
    if bad.any():
        raise C2MError(f"{what}: {int(bad.sum()):,} points have NaN or infinite coordinates")
    if len(p) and np.abs(p).max() > ABSURD:
        raise C2MError(f"{what}: absurd coordinates (up to {np.abs(p).max():.3g} m): nothing on Earth lies that far; "
                       "is the file's scale, offset or CRS wrong?")
    return p


def check_overlap(design: DesignModel, lo: np.ndarray, hi: np.ndarray, settings: CompareSettings,
                  scan_label: str = "scan", design_label: str = "design") -> None:
    """No 0% report presented as truth: a scan box that does not come within the far cut-off of the
    design box is refused, naming both extents (scene frame, metres)."""
    dlo, dhi = design.vertices.min(0), design.vertices.max(0)
    gap = np.maximum(0.0, np.maximum(dlo - hi, lo - dhi))
    if (gap > settings.max_distance).any():
        raise C2MError(f"the {scan_label} and the {design_label} do not overlap: {scan_label} extent {extent_text(lo, hi)}; "
                       f"{design_label} extent {extent_text(dlo, dhi)} (scene metres); is the scan's CRS or placement right?")


def summarize(design: DesignModel, verdicts: list[ElementVerdict], part: Partial, settings: CompareSettings,
              extra: dict | None = None) -> dict:
    """The report's summary: points used and far, elements by status, progress by storey and class,
    tolerance and every setting, plus deviation figures of the points used."""
    used = part.points - part.far
    by_status = {s: 0 for s in STATUSES}
    for v in verdicts:
        by_status[v.status] = by_status.get(v.status, 0) + 1
    progress = progress_summary(design, verdicts)
    out: dict[str, Any] = {
        "points_total": int(part.points), "points_used": int(used), "far_points": int(part.far),
        "elements": len(verdicts), "elements_by_status": by_status,
        "progress_pct": progress.get("overall", {}).get("progress_pct"),
        "progress": progress,
        "tolerance": settings.tolerance, "max_distance": settings.max_distance,
        "deviation": {"mean": part.sum_d / used if used else None,
                      "rms": math.sqrt(part.sum_d2 / used) if used else None,
                      "within_tolerance_pct": 100.0 * part.within / used if used else None},
        "settings": settings.to_dict(),
    }
    out.update(extra or {})
    return out


def _fraction(progress: Progress | None, lo: float, hi: float) -> Progress | None:
    if progress is None:
        return None
    return lambda f, msg: progress(lo + (hi - lo) * max(0.0, min(1.0, f)), msg)


def compare_arrays(design: DesignModel, points: np.ndarray, settings: CompareSettings, *,
                   stations: np.ndarray | None = None, progress: Progress | None = None,
                   cancel: Cancel | None = None) -> ComparisonResult:
    """The GUI path: scene-frame points in memory; keeps per-point distance and element arrays."""
    settings.validate()
    p = check_points(points, "scan points")
    if len(p) == 0:
        raise C2MError("the scan holds no points")
    check_overlap(design, p.min(0), p.max(0), settings)
    st = None if stations is None else check_points(np.asarray(stations, dtype=np.float64).reshape(-1, 3), "stations")
    index = design.index()
    part = new_partial(design, settings, st)
    edges = settings.edges()
    n = len(p)
    distance = np.full(n, np.nan, np.float32)
    element = np.full(n, -1, np.int64)
    step = int(settings.chunk_points)
    for c0 in range(0, n, step):
        c1 = min(n, c0 + step)
        r = index.query(p[c0:c1], max_distance=settings.max_distance, progress=_fraction(progress, c0 / n, c1 / n),
                        cancel=cancel)
        part.add(p[c0:c1], r, settings, edges)
        distance[c0:c1], element[c0:c1] = r.distance, r.element
    return finish(design, part, settings, distance=distance, element=element)


def finish(design: DesignModel, part: Partial, settings: CompareSettings, *, distance: np.ndarray | None = None,
           element: np.ndarray | None = None, extra: dict | None = None, scan_label: str = "scan") -> ComparisonResult:
    """Verdicts and summary from the merged pieces; refuses a scan none of whose points is near."""
    if part.points == 0:
        raise C2MError(f"the {scan_label} holds no points")
    if part.points == part.far:
        dlo, dhi = design.vertices.min(0), design.vertices.max(0)
        raise C2MError(f"no point of the {scan_label} lies within {settings.max_distance} m of the design: "
                       f"{scan_label} extent {extent_text(part.lo, part.hi)}; design extent {extent_text(dlo, dhi)} "
                       "(scene metres); they do not overlap (is the scan's CRS or placement right?)")
    verdicts = part.acc.finish()
    summary = summarize(design, verdicts, part, settings, extra)
    sample = (part.sample_points, part.sample_distance) if len(part.sample_points) else None
    return ComparisonResult(design, verdicts, summary, (settings.edges(), part.counts.copy()), distance, element, settings,
                            sample=sample)


def compare_files(design_paths: Sequence[str] | str, scan_path: str, settings: CompareSettings, *,
                  scan_crs: str | None = None, stations: np.ndarray | Sequence[Sequence[float]] | None = None,
                  scheduler: str | None = None, workers: int | None = None, processes: bool | None = None,
                  progress: Progress | None = None, cancel: Cancel | None = None,
                  warn: Callable[[str], None] | None = None) -> ComparisonResult:
    """The CLI path: read the design IFC(s) and the scan (LAS/LAZ, COPC, E57) in chunks and compare.

    `stations`: scanner positions in the scan's own coordinates (E57 poses are used when absent).
    `scheduler`: None compares here; "local" on a LocalCluster (`workers`, `processes`); an address
    (tcp://host:8786) on that dask cluster. LoadError/C2MError on bad input (see _compare_files.py)."""
    from app.analysis._compare_files import run_files

    return run_files(design_paths, scan_path, settings, scan_crs=scan_crs, stations=stations, scheduler=scheduler,
                     workers=workers, processes=processes, progress=progress, cancel=cancel, warn=warn)
