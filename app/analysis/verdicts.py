"""Element verdicts from exposed surfaces: built, partial, missing or deviating.

Why this shape (the rules and every threshold are VerdictSettings fields; /work/readme/H2.md):
- Support is counted on surface cells (_cells.py), never on raw point counts: a point supports the
  cell of its nearest design face it projects into. "Tolerance" points (|d| <= tolerance) say the
  surface is where it was designed; "band" points (|d| <= deviation band) say something stands near
  it, possibly displaced (a column cast 12 cm off its line lies 12 cm from its design faces).
- Cells in contact with other elements (a wall's foot on its slab, a column's head under a beam) or
  inside them hold the neighbour's points: they and their points are never counted, so a missing
  wall cannot borrow the slab under it. An element made only of contact cells keeps all its cells.
- A small gap in the support is closed by a morphological closing of `gap_fill_cells` on each
  face grid (borders are not eroded, so a wall at 40% stays at 40%); where the scan is sparse
  for the cell size, coverage is judged on f x f cell blocks sized to the estimated density; faces
  narrower than a cell take support from the element's points within about one cell.
- An empty cell counts against the element only if it was observable. With stations: the
  stations it faces (incidence <= max_incidence_deg, within max_range) whose ray to it is blocked
  neither by a standing design element (one with support) nor by scan occupancy (points away from
  every design surface: clutter) should have put at least min_expected_points on it (area x
  cos(incidence) / range^2 over the scans' solid angle per point, calibrated on the supported
  cells), so far or oblique cells a sparse scan misses by chance are no evidence. Without
  stations: its face plane holds support (a face nobody saw holds none and is ignored), the ray
  along its outward normal is free, and it faces a position a scanner seems to have stood at
  (peaks of point density on the floors) with a free line of sight, so a room nobody stood in is
  not evidence; and, since all this proves less, partial also needs the support's extent along
  one of the element's principal axes to fall short (partial_extent): holes inside a fully
  standing face stay built.
- Deviation: per direction group (faces of one element with one outward normal) a histogram of
  band distances; the peak window's mean is that group's offset along its normal; a least-squares
  translation over the groups, solved only along directions the groups constrain. Its length above
  deviation_threshold (default: the tolerance) with enough band coverage is "deviating".
- Exact merge: distances are summed in fixed point (1e-7 m) as integers and maxima are exact, so
  any chunking or merge order gives identical state and identical verdicts.
"""
from __future__ import annotations

import math
from dataclasses import asdict, dataclass, fields
from typing import Sequence

import numpy as np

from app.analysis._cells import Proximity, SurfaceGrid, build_grid, contact_cells, narrow_planes
from app.analysis._visibility import merge_counts, voxel_keys
from app.analysis.c2m import C2MError, C2MResult
from app.analysis.design import DesignModel

STATUSES = ("built", "partial", "missing", "deviating")
_FIX = 1e7                      # fixed-point units per metre: integer sums are order-independent


@dataclass
class VerdictSettings:
    """Every threshold of the verdict rules (lengths in metres); validate() before use."""

    tolerance: float = 0.05              # |d| within this supports the element where designed
    cell_size: float = 0.10              # surface coverage grid
    deviation_band: float | None = None  # |d| within this: something stands near the face (None: max(0.3, 4 x tolerance))
    built_coverage: float = 0.80         # coverage at or above: built
    missing_coverage: float = 0.05       # coverage below (or band points < min_points): missing
    min_exposed_support: float = 0.05    # no stations: support on less than this share of the exposed cells: missing
    partial_extent: float = 0.70         # no stations: partial only if support spans less than this
    extent_row_fraction: float = 0.25    # no stations: a row across an axis counts for the span at this support
    extent_min_length: float = 1.0       # no stations: axes shorter than this (m) never make an element partial
    min_points: int = 3                  # band points below this: missing
    min_cell_points: int = 1             # points that make a cell supported
    gap_fill_cells: int = 1              # closing radius on each face grid (cells)
    min_cell_density: float = 3.0        # points expected per coverage block; sparser scans merge cells
    max_coarsen: int = 4                 # at most f x f cells per coverage block
    contact_margin: float | None = None  # cell centre this near another element: contact (None: cell/2 + tolerance)
    contact_depth: float = 0.3           # cell centres inside another element down to this: enclosed
    deviation_threshold: float | None = None   # offset length above this: deviating (None: tolerance)
    deviation_min_coverage: float = 0.30       # band coverage needed to call deviating
    histogram_bin: float = 0.01          # bin of the per-direction distance histograms
    peak_window_bins: int = 2            # bins either side of the peak averaged for the offset
    min_group_points: int = 20           # points in a direction group's peak to constrain the offset
    max_incidence_deg: float = 70.0      # stations: steeper views do not make a cell observable
    min_expected_points: float = 0.5     # stations: an empty cell counts if the scans should have put this many on it
    max_range: float | None = None       # stations: farther cells are not observable (None: no limit)
    occupancy_voxel: float = 0.20        # voxel of the clutter occupancy
    occupancy_min_points: int = 2        # points that make a voxel occupied
    occlusion_skip: float = 0.30         # occupancy ignored this near either end of a ray
    normal_ray_length: float = 1.0       # no stations: free length needed along the outward normal
    seen_plane_fraction: float = 0.10    # no stations: supported share that makes a face plane seen
    pseudo_stations: bool = True         # no stations: guess scanner positions from floor point density
    pseudo_station_radius: float = 1.0   # smoothing radius of that density (m)
    pseudo_station_peak: float = 0.2     # a density peak this share of the highest is a station
    pseudo_station_height: float = 1.5   # scanner above the floor (m)
    ray_offset: float = 0.01             # rays start this far out of the surface
    min_observable_cells: int = 10       # fewer observable cells: judged on support alone (min_points)

    def band(self) -> float:
        return max(0.30, 4.0 * self.tolerance) if self.deviation_band is None else self.deviation_band

    def margin(self) -> float:
        return self.cell_size / 2 + self.tolerance if self.contact_margin is None else self.contact_margin

    def threshold(self) -> float:
        return self.tolerance if self.deviation_threshold is None else self.deviation_threshold

    def validate(self) -> None:
        """Raise C2MError naming the first bad setting."""
        for f in fields(self):
            v = getattr(self, f.name)
            if f.name == "pseudo_stations":
                if not isinstance(v, bool):
                    raise C2MError(f"verdict setting pseudo_stations must be true or false, got {v!r}")
                continue
            if v is None:
                if f.name in ("contact_margin", "deviation_threshold", "max_range", "deviation_band"):
                    continue
                raise C2MError(f"verdict setting {f.name} must be a number, got None")
            if isinstance(v, bool) or not isinstance(v, (int, float)) or not math.isfinite(v):
                raise C2MError(f"verdict setting {f.name} must be a finite number, got {v!r}")
        pos = ("tolerance", "cell_size", "histogram_bin", "occupancy_voxel", "extent_min_length",
               "pseudo_station_radius", "pseudo_station_height",
               "normal_ray_length", "ray_offset", "contact_depth")
        for name in pos:
            if getattr(self, name) <= 0:
                what = "tolerance" if name == "tolerance" else f"verdict setting {name}"
                raise C2MError(f"{what} must be greater than 0, got {getattr(self, name)}")
        for name in ("contact_margin", "deviation_threshold", "max_range", "deviation_band"):
            v = getattr(self, name)
            if v is not None and v <= 0:
                raise C2MError(f"verdict setting {name} must be greater than 0, got {v}")
        for name in ("built_coverage", "missing_coverage", "partial_extent", "deviation_min_coverage",
                     "seen_plane_fraction", "extent_row_fraction", "min_exposed_support", "pseudo_station_peak"):
            if not 0.0 <= getattr(self, name) <= 1.0:
                raise C2MError(f"verdict setting {name} must be between 0 and 1, got {getattr(self, name)}")
        if self.missing_coverage > self.built_coverage:
            raise C2MError(f"missing_coverage ({self.missing_coverage}) must not exceed built_coverage "
                           f"({self.built_coverage})")
        if self.band() <= self.tolerance:
            raise C2MError(f"deviation_band ({self.band()} m) must be greater than the tolerance "
                           f"({self.tolerance} m)")
        if not 0 < self.max_incidence_deg <= 90:
            raise C2MError(f"max_incidence_deg must be in (0, 90], got {self.max_incidence_deg}")
        for name in ("min_points", "min_cell_points", "min_group_points", "occupancy_min_points",
                     "min_observable_cells"):
            v = getattr(self, name)
            if v != int(v) or v < 1:
                raise C2MError(f"verdict setting {name} must be a whole number >= 1, got {v}")
        if self.min_expected_points < 0:
            raise C2MError(f"verdict setting min_expected_points must not be negative, got {self.min_expected_points}")
        if self.min_cell_density <= 0:
            raise C2MError(f"verdict setting min_cell_density must be greater than 0, got {self.min_cell_density}")
        for name in ("gap_fill_cells", "peak_window_bins", "max_coarsen"):
            v = getattr(self, name)
            if v != int(v) or v < 0 or v > 10:
                raise C2MError(f"verdict setting {name} must be a whole number in 0..10, got {v}")
        if self.band() / self.histogram_bin > 10_000:
            raise C2MError("histogram_bin is too small for the deviation band (over 20,000 bins)")

    def to_dict(self) -> dict:
        return asdict(self)


@dataclass
class ElementVerdict:
    """The verdict on one design element (see the module docstring for the rules)."""

    index: int               # into design.elements
    status: str              # one of STATUSES
    coverage: float          # 0..1 of the observable exposed surface cells supported
    points: int              # points within tolerance of this element
    mean_distance: float     # m, signed mean of its supporting points (NaN when none)
    max_distance: float      # m, max |d| of its supporting points (NaN when none)
    offset: tuple[float, float, float]   # best-fit translation (m) design -> scan, (0,0,0) when unknown
    observable_cells: int = 0            # exposed cells supported or observable (0: nothing could be seen)
    exposed_cells: int = 0               # cells of its surface not in contact with other elements

    def to_dict(self, design: DesignModel) -> dict:
        e = design.elements[self.index]

        def num(x: float) -> float | None:
            return None if not math.isfinite(x) else float(x)

        return {"guid": e.id, "ifc_class": e.ifc_class, "name": e.name, "storey": e.storey,
                "status": self.status, "coverage": float(self.coverage),
                "mean_distance": num(self.mean_distance), "max_distance": num(self.max_distance),
                "points": int(self.points), "offset": [float(x) for x in self.offset],
                "observable_cells": int(self.observable_cells), "exposed_cells": int(self.exposed_cells)}


def _surface(design: DesignModel, s: VerdictSettings) -> tuple[SurfaceGrid, np.ndarray]:
    """The design's cell grid and its counted-cell mask (cached on the design per settings)."""
    grid = design.cached(("grid", s.cell_size), lambda: build_grid(
        design.vertices, design.faces, design.face_element, s.cell_size))

    def counted() -> np.ndarray:
        contact = contact_cells(design.vertices, design.faces, design.face_element, grid, s.margin(),
                                s.contact_depth)
        ok = ~contact
        el = grid.cell_element
        has = np.bincount(el[ok], minlength=len(design.elements)) > 0
        return ok | ~has[el]                    # only contact cells: keep them all
    return grid, design.cached(("counted", s.cell_size, s.margin(), s.contact_depth), counted)


class VerdictAccumulator:
    """Per-element statistics gathered chunk by chunk (memory bounded by the design, not the scan);
    plain numpy state so dask can pickle it.

    State: per cell two point counts (tolerance, band); per element counts, fixed-point sums and
    maxima of distances; per direction group a distance histogram (counts and fixed-point sums);
    a sparse voxel occupancy of points away from every design surface, clipped to the region rays
    can cross (design box grown by normal_ray_length, plus the stations). Build one accumulator
    first (it computes the design's cell grid and contact cells once, cached on the design), then
    copy or pickle it for workers."""

    def __init__(self, design: DesignModel, settings: VerdictSettings, stations: np.ndarray | None = None) -> None:
        settings.validate()
        self.design = design
        self.settings = VerdictSettings(**settings.to_dict())
        for name in ("min_points", "min_cell_points", "min_group_points", "occupancy_min_points",
                     "min_observable_cells", "gap_fill_cells", "peak_window_bins", "max_coarsen"):
            setattr(self.settings, name, int(getattr(self.settings, name)))     # 3.0 from JSON -> 3
        if stations is not None:
            st = np.asarray(stations, dtype=np.float64)
            if st.ndim == 1 and st.size == 3:
                st = st.reshape(1, 3)
            if st.ndim != 2 or st.shape[1] != 3 or not len(st) or not np.isfinite(st).all():
                raise C2MError(f"stations must be finite (x, y, z) positions, got an array of shape {st.shape}")
            stations = st
        self.stations = stations
        grid, counted = _surface(design, self.settings)
        s = self.settings
        n_el, n_cells, n_groups = len(design.elements), grid.n_cells, len(grid.group_element)
        self.band = s.band()
        self.n_bins = int(math.ceil(2 * self.band / s.histogram_bin))
        self.cell_tol = np.zeros(n_cells, np.int64)
        self.cell_band = np.zeros(n_cells, np.int64)
        self.tol_n = np.zeros(n_el, np.int64)
        self.tol_sum = np.zeros(n_el, np.int64)
        self.tol_max = np.zeros(n_el, np.float64)
        self.band_n = np.zeros(n_el, np.int64)
        self.band_sum = np.zeros(n_el, np.int64)
        self.band_max = np.zeros(n_el, np.float64)
        self.hist_n = np.zeros((n_groups, self.n_bins), np.int64)
        self.hist_sum = np.zeros((n_groups, self.n_bins), np.int64)
        self.occ_keys = np.zeros(0, np.int64)
        self.occ_counts = np.zeros(0, np.int64)
        lo, hi = design.bounds()
        # narrow faces (under one cell wide) take support from the element's points nearby
        narrow = narrow_planes(grid)
        self._narrow_el = np.zeros(n_el, dtype=bool)
        self._narrow_el[grid.plane_element[narrow]] = True
        self._prox = Proximity.for_design(lo, hi, s.cell_size, self.band, n_el) if narrow.any() else None
        self.prox_tol = np.zeros(0, np.int64)
        self.prox_band = np.zeros(0, np.int64)
        self.occ_origin = lo.copy()
        grow = s.normal_ray_length + s.occupancy_voxel
        self.occ_box = np.array([lo - grow, hi + grow])
        if stations is not None:
            self.occ_box = np.array([np.minimum(self.occ_box[0], stations.min(0) - s.occupancy_voxel),
                                     np.maximum(self.occ_box[1], stations.max(0) + s.occupancy_voxel)])
        self._grid, self._counted = grid, counted

    def add(self, points: np.ndarray, c2m: C2MResult) -> None:
        """Count one chunk: scene-frame points (N,3) whose rows match the C2M result's."""
        p = np.asarray(points, dtype=np.float64)
        n = len(p)
        if p.ndim != 2 or p.shape[1] != 3:
            raise C2MError(f"scan points must be an (N, 3) array, got shape {p.shape}")
        if any(len(x) != n for x in (c2m.distance, c2m.face, c2m.element, c2m.far)):
            raise C2MError(f"C2M result rows do not match the {n} points")
        if n == 0:
            return
        s, grid = self.settings, self._grid
        d = np.asarray(c2m.distance, dtype=np.float64)
        face = np.asarray(c2m.face, dtype=np.int64)
        if len(face) and face.max() >= len(self.design.faces):
            raise C2MError("the C2M result names faces the design does not have: query design.index()")
        far = np.asarray(c2m.far, dtype=bool) | ~np.isfinite(d)
        ad = np.where(far, np.inf, np.abs(d))
        away = far | (ad > s.tolerance)          # occupancy: points no design surface explains
        if away.any():
            q = p[away]
            inside = np.all((q >= self.occ_box[0]) & (q <= self.occ_box[1]), axis=1)
            if inside.any():
                k, c = np.unique(voxel_keys(q[inside], self.occ_origin, s.occupancy_voxel), return_counts=True)
                self.occ_keys, self.occ_counts = merge_counts(self.occ_keys, self.occ_counts, k, c.astype(np.int64))
        near = np.flatnonzero((ad <= self.band) & (face >= 0))
        if not len(near):
            return
        cell = grid.cells_of(p[near], face[near])
        ok = cell >= 0
        ok[ok] = self._counted[cell[ok]]
        near, cell = near[ok], cell[ok]
        if not len(near):
            return
        dn, adn = d[near], ad[near]
        el = grid.cell_element[cell]
        tol = adn <= s.tolerance
        fix = np.round(dn * _FIX)                 # integers in float64: exact sums below 2^53
        n_el = len(self.tol_n)
        self.cell_band += np.bincount(cell, minlength=len(self.cell_band))
        self.cell_tol += np.bincount(cell[tol], minlength=len(self.cell_tol))
        self.band_n += np.bincount(el, minlength=n_el)
        self.band_sum += np.bincount(el, weights=fix, minlength=n_el).astype(np.int64)
        np.maximum.at(self.band_max, el, adn)
        self.tol_n += np.bincount(el[tol], minlength=n_el)
        self.tol_sum += np.bincount(el[tol], weights=fix[tol], minlength=n_el).astype(np.int64)
        np.maximum.at(self.tol_max, el[tol], adn[tol])
        if self._prox is not None:
            mine = self._narrow_el[el]
            if mine.any():
                keys = self._prox.pack(el[mine], self._prox.voxels(p[near[mine]]))
                self.prox_band = np.union1d(self.prox_band, keys)
                self.prox_tol = np.union1d(self.prox_tol, keys[tol[mine]])
        grp = grid.plane_group[grid.cell_plane[cell]]
        b = np.clip(np.floor((dn + self.band) / s.histogram_bin), 0, self.n_bins - 1).astype(np.int64)
        flat = grp * self.n_bins + b
        size = self.hist_n.size
        self.hist_n += np.bincount(flat, minlength=size).reshape(self.hist_n.shape)
        self.hist_sum += np.bincount(flat, weights=fix, minlength=size).astype(np.int64).reshape(self.hist_n.shape)

    def merge(self, other: "VerdictAccumulator") -> None:
        """Add another accumulator's state (same design, settings and stations)."""
        if other.settings != self.settings or other.cell_tol.shape != self.cell_tol.shape \
                or len(other.tol_n) != len(self.tol_n):
            raise C2MError("cannot merge verdicts gathered with other settings or another design")
        if (self.stations is None) != (other.stations is None) or (
                self.stations is not None and not np.array_equal(self.stations, other.stations)):
            raise C2MError("cannot merge verdicts gathered with other scanner stations")
        for name in ("cell_tol", "cell_band", "tol_n", "tol_sum", "band_n", "band_sum", "hist_n", "hist_sum"):
            getattr(self, name).__iadd__(getattr(other, name))
        np.maximum(self.tol_max, other.tol_max, out=self.tol_max)
        np.maximum(self.band_max, other.band_max, out=self.band_max)
        self.occ_keys, self.occ_counts = merge_counts(self.occ_keys, self.occ_counts, other.occ_keys,
                                                      other.occ_counts)
        self.prox_tol = np.union1d(self.prox_tol, other.prox_tol)
        self.prox_band = np.union1d(self.prox_band, other.prox_band)

    def finish(self) -> list[ElementVerdict]:
        """One verdict per design element, in order (see the module docstring for the rules)."""
        from app.analysis._judge import judge

        return judge(self, self._grid, self._counted, self._prox)


def progress_summary(design: DesignModel, verdicts: Sequence[ElementVerdict]) -> dict:
    """Element counts by status and progress % overall, by storey and by IFC class.

    progress_pct: built and deviating elements count 1 (they stand, deviating ones off their
    line), a partial element counts its coverage, a missing one 0; averaged over the elements."""
    def empty() -> dict:
        return {"elements": 0, **{k: 0 for k in STATUSES}, "_done": 0.0}

    overall: dict = empty()
    by_storey: dict[str, dict] = {}
    by_class: dict[str, dict] = {}
    for v in verdicts:
        e = design.elements[v.index]
        done = 1.0 if v.status in ("built", "deviating") else (float(v.coverage) if v.status == "partial" else 0.0)
        for bucket in (overall, by_storey.setdefault(e.storey or "(no storey)", empty()),
                       by_class.setdefault(e.ifc_class or "(no class)", empty())):
            bucket["elements"] += 1
            bucket[v.status] += 1
            bucket["_done"] += done

    def close(b: dict) -> dict:
        done = b.pop("_done")
        b["progress_pct"] = round(100.0 * done / b["elements"], 2) if b["elements"] else 0.0
        return b

    return {"overall": close(overall),
            "by_storey": {k: close(b) for k, b in sorted(by_storey.items())},
            "by_class": {k: close(b) for k, b in sorted(by_class.items())}}
