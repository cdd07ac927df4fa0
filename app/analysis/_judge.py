"""From gathered support to verdicts: closing, observability, offset fit and status (verdicts.py).

Kept apart from the accumulator because it runs once per comparison, on the merged state only.
"""
from __future__ import annotations

import math
from typing import TYPE_CHECKING

import numpy as np

from app.analysis._cells import Proximity, SurfaceGrid, narrow_planes
from app.analysis._visibility import DesignRays, occupancy_blocked

if TYPE_CHECKING:
    from app.analysis.verdicts import ElementVerdict, VerdictAccumulator

_FIX = 1e7


def _closing(supported: np.ndarray, counted: np.ndarray, nb: np.ndarray) -> np.ndarray:
    """Morphological closing on each face grid: fills gaps of up to 2r cells without growing the
    support past its border (neighbours off the grid, absent or uncounted never erode)."""
    if nb.shape[1] == 0:
        return supported & counted
    sup = supported & counted
    valid = nb >= 0
    nbi = np.where(valid, nb, 0)
    dil = sup | (valid & sup[nbi]).any(axis=1)
    keep = ~valid | dil[nbi] | ~counted[nbi]
    return sup | (dil & keep.all(axis=1) & counted)


def _offsets(acc: "VerdictAccumulator", grid: SurfaceGrid) -> np.ndarray:
    """(E,3) least-squares translation from each direction group's peak mean distance."""
    s = acc.settings
    w = s.peak_window_bins
    n, sm = acc.hist_n, acc.hist_sum
    ker = np.ones(2 * w + 1, np.int64)
    smooth = np.stack([np.convolve(r, ker, mode="same") for r in n]) if len(n) else n
    peak = np.argmax(smooth, axis=1) if len(n) else np.zeros(0, np.int64)
    cols = np.arange(n.shape[1])[None, :]
    win = np.abs(cols - peak[:, None]) <= w
    cnt = (n * win).sum(axis=1)
    tot = (sm * win).sum(axis=1)
    dg = np.where(cnt > 0, tot / np.maximum(cnt, 1) / _FIX, 0.0)
    use = cnt >= s.min_group_points
    n_el = len(acc.tol_n)
    A = np.zeros((n_el, 3, 3))
    b = np.zeros((n_el, 3))
    g = np.flatnonzero(use)
    nn = grid.group_normal[g]
    np.add.at(A, grid.group_element[g], cnt[g, None, None] * nn[:, :, None] * nn[:, None, :])
    np.add.at(b, grid.group_element[g], (cnt[g] * dg[g])[:, None] * nn)
    out = np.zeros((n_el, 3))
    for e in np.flatnonzero(A.reshape(n_el, -1).any(axis=1)):
        lam, vec = np.linalg.eigh(A[e])
        ok = lam >= s.min_group_points * 0.5      # a direction some group really constrains
        coef = (vec.T @ b[e])[ok] / lam[ok]
        out[e] = vec[:, ok] @ coef
    return out


def _observable_empty(acc: "VerdictAccumulator", grid: SurfaceGrid, cand: np.ndarray, counted: np.ndarray,
                      present: np.ndarray, seen_plane: np.ndarray) -> np.ndarray:
    """(C,) True for candidate (empty, counted) cells a scanner could have seen: with stations,
    cells the unblocked stations should have put at least min_expected_points on."""
    s, design = acc.settings, acc.design
    out = np.zeros(grid.n_cells, dtype=bool)
    idx = np.flatnonzero(cand)
    if acc.stations is None:
        idx = idx[seen_plane[grid.cell_plane[idx]]]
    if not len(idx):
        return out
    keep_face = present[np.maximum(design.face_element, 0)] & (design.face_element >= 0)
    used, inv = np.unique(design.faces[keep_face], return_inverse=True)
    rays = DesignRays(design.vertices[used], inv.reshape(-1, 3))
    occ = acc.occ_keys[acc.occ_counts >= s.occupancy_min_points]
    normal = grid.plane_normal[grid.cell_plane[idx]]
    start = grid.cell_centre[idx] + s.ray_offset * normal
    if acc.stations is None:
        length = np.full(len(idx), s.normal_ray_length)
        free = ~rays.blocked(start, normal, length)
        free[free] = ~occupancy_blocked(start[free], normal[free], length[free], occ, acc.occ_origin,
                                        s.occupancy_voxel, s.occlusion_skip)
        guess = _pseudo_stations(acc, grid, counted) if s.pseudo_stations else np.zeros((0, 3))
        if len(guess):                     # ...and in view of a position a scanner seems to have stood
            sub = np.flatnonzero(free)
            seen = np.zeros(len(sub), dtype=bool)
            for st in guess:                 # any facing view counts: the guess is rough
                hit, _, dist = _facing(s, st, start[sub], normal[sub], max_incidence_deg=89.0)
                hit, dist = hit[~seen[hit]], dist[~seen[hit]]
                if not len(hit):
                    continue
                dirn = (st - start[sub[hit]]) / dist[:, None]
                ok = ~rays.blocked(start[sub[hit]], dirn, dist)
                ok[ok] = ~occupancy_blocked(start[sub[hit]][ok], dirn[ok], dist[ok], occ, acc.occ_origin,
                                            s.occupancy_voxel, s.occlusion_skip)
                seen[hit[ok]] = True
            free[sub[~seen]] = False
        out[idx[free]] = True
        return out
    omega = _solid_angle_per_point(acc, grid, counted)
    expect = np.zeros(len(idx))
    for st in acc.stations:
        sub, cos_i, dist = _facing(s, st, start, normal)
        if not len(sub):
            continue
        dirn = (st - start[sub]) / dist[:, None]
        free = ~rays.blocked(start[sub], dirn, dist)
        free[free] = ~occupancy_blocked(start[sub][free], dirn[free], dist[free], occ, acc.occ_origin,
                                        s.occupancy_voxel, s.occlusion_skip)
        # points a scan from here puts on the cell: its area seen at this range and angle
        expect[sub[free]] += grid.cell_area[idx[sub[free]]] * cos_i[free] / dist[free] ** 2 / omega \
            if omega > 0 else np.inf
    out[idx[expect >= (s.min_expected_points if omega > 0 else 0.0) + 1e-300]] = True
    return out


def _pseudo_stations(acc: "VerdictAccumulator", grid: SurfaceGrid, counted: np.ndarray) -> np.ndarray:
    """Where terrestrial scanners seem to have stood, when no station is given: a scanner puts
    the most points per square metre on the floor around its own feet (density falls with the
    square of the range), so the peaks of the point density on upward-facing design surfaces
    (binned at half `pseudo_station_radius`, smoothed over it; the densest within 3 radii and at least
    `pseudo_station_peak` of the highest) are taken as station feet, `pseudo_station_height`
    below the scanner.
    Used only to rule empty cells out (a room no scanner stood in or saw into is not evidence)."""
    s = acc.settings
    up = counted & (grid.plane_normal[grid.cell_plane][:, 2] > 0.9) & (acc.cell_tol > 0)
    cells = np.flatnonzero(up)
    if len(cells) < 20:
        return np.zeros((0, 3))
    from scipy.spatial import cKDTree

    # point counts and surface area in bins of half a radius (bounded by the floor area, not cells)
    r = s.pseudo_station_radius
    key, inv = np.unique(np.floor(grid.cell_centre[cells] / (r / 2)).astype(np.int64), axis=0, return_inverse=True)
    inv = inv.reshape(-1)
    counts = np.bincount(inv, weights=acc.cell_tol[cells].astype(np.float64), minlength=len(key))
    area = np.bincount(inv, weights=grid.cell_area[cells], minlength=len(key))
    c = np.column_stack([np.bincount(inv, weights=grid.cell_centre[cells, k] * grid.cell_area[cells],
                                     minlength=len(key)) for k in range(3)]) / area[:, None]
    tree = cKDTree(c)
    near = tree.query_ball_point(c, r)
    dens = np.array([counts[n].sum() / max(area[n].sum(), 1e-9) for n in near])
    # peaks: the densest bin within 3 radii (ties: the first), and not a faint one
    around = tree.query_ball_point(c, 3 * r)
    peak = np.array([dens[i] >= dens[n].max() and i == min(j for j in n if dens[j] == dens[i])
                     for i, n in enumerate(around)])
    peak &= dens >= s.pseudo_station_peak * dens.max()
    # the foot: centre of the dense ring around it (under the scanner is a blind spot)
    feet = []
    for i in np.flatnonzero(peak):
        n = np.asarray(tree.query_ball_point(c[i], 2 * r))
        w = dens[n] ** 2
        feet.append((c[n] * w[:, None]).sum(axis=0) / w.sum())
    return np.asarray(feet).reshape(-1, 3) + np.array([0.0, 0.0, s.pseudo_station_height])


def _facing(s, st: np.ndarray, start: np.ndarray, normal: np.ndarray,  # noqa: ANN001
            max_incidence_deg: float | None = None) -> tuple[np.ndarray, ...]:
    """Cells (indices into start) facing station st within the incidence and range limits, with
    the cosine of their incidence and their distance."""
    vec = st - start
    dist = np.linalg.norm(vec, axis=1)
    cos_i = np.einsum("ij,ij->i", vec, normal) / np.maximum(dist, 1e-12)
    limit = s.max_incidence_deg if max_incidence_deg is None else max_incidence_deg
    ok = cos_i >= math.cos(math.radians(limit))
    if s.max_range is not None:
        ok &= dist <= s.max_range
    sub = np.flatnonzero(ok)
    return sub, cos_i[sub], np.maximum(dist[sub], 1e-6)


def _solid_angle_per_point(acc: "VerdictAccumulator", grid: SurfaceGrid, counted: np.ndarray) -> float:
    """The scans' angular sampling (solid angle per point) calibrated on the cells that got points:
    a cell of area A at range r and incidence i from a station receives A cos(i) / (r^2 omega)
    points; omega = sum of A cos(i) / r^2 over facing stations / sum of points. Occlusion is not
    tested here, which can only overstate omega (and so understate what an empty cell should
    have held): conservative. 0 when nothing is supported."""
    s = acc.settings
    hit = np.flatnonzero(counted & (acc.cell_tol > 0))
    if not len(hit):
        return 0.0
    normal = grid.plane_normal[grid.cell_plane[hit]]
    centre = grid.cell_centre[hit]
    seen = np.zeros(len(hit))
    for st in acc.stations:
        sub, cos_i, dist = _facing(s, st, centre, normal)
        seen[sub] += grid.cell_area[hit[sub]] * cos_i / dist ** 2
    points = float(acc.cell_tol[hit][seen > 0].sum())
    return float(seen.sum()) / points if points > 0 else 0.0


def _extent_ratio(centres: np.ndarray, support: np.ndarray, cell: float, row_fraction: float,
                  min_length: float) -> float:
    """Smallest ratio, over the principal axes of the observable cells, of the support's extent to
    theirs (axes spanning under min_length are skipped: a column's width is not where it stops
    short): a wall at 40% of its height gives 0.4. The
    extent counts only rows (cell-wide slices across the axis) whose share of supported cells
    reaches row_fraction (of the row, or of a typical row where the row is short), so a few stray
    points (dust, a bird) never stretch it."""
    if not support.any():
        return 0.0
    c = centres - centres.mean(axis=0)
    _, vec = np.linalg.eigh(c.T @ c)
    ratio = 1.0
    for k in range(3):
        proj = c @ vec[:, k]
        if float(np.ptp(proj)) + cell < max(min_length, 3 * cell):
            continue
        row = np.floor((proj - proj.min()) / cell).astype(np.int64)
        n_rows = int(row.max()) + 1
        obs = np.bincount(row, minlength=n_rows)
        typical = float(np.median(obs[obs > 0]))          # a row of two stray cells is not a row
        share = np.bincount(row[support], minlength=n_rows) / np.maximum(obs, typical)
        standing = np.flatnonzero(share >= row_fraction)
        span = int(standing[-1] - standing[0]) + 1 if len(standing) else 0
        ratio = min(ratio, span / n_rows)
    return ratio


def _coarsening(acc: "VerdictAccumulator", grid: SurfaceGrid, counted: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(P,) block size (cells) at which each face plane's coverage is judged, and (P,) the expected
    points per cell: sparse sampling (a far station, a grazing view, a thinned cloud) leaves built
    cells empty by chance, so cells are merged f x f until about `min_cell_density` points are
    expected per block. The expected count per cell, lam, is estimated from the mean count of the
    plane's cells that got points, lam / (1 - exp(-lam)) (Poisson), which does not depend on how
    much of the face stands. Planes with under 20 such cells use their element's pooled counts;
    elements with under 20 keep f = 1 (too few to tell sparse sampling from stray points)."""
    s = acc.settings
    n_planes = len(grid.plane_nu)
    hit = counted & (acc.cell_tol > 0)
    raw = np.bincount(grid.cell_plane[hit], minlength=n_planes)
    pts = np.bincount(grid.cell_plane[hit], weights=acc.cell_tol[hit], minlength=n_planes)
    # planes with few hit cells borrow their element's pooled counts
    n_el = len(acc.tol_n)
    el_raw = np.bincount(grid.plane_element, weights=raw, minlength=n_el)
    el_pts = np.bincount(grid.plane_element, weights=pts, minlength=n_el)
    few = raw < 20
    raw = np.where(few, el_raw[grid.plane_element], raw)
    pts = np.where(few, el_pts[grid.plane_element], pts)
    lam_grid = np.linspace(1e-3, 60.0, 6000)
    mean_hit = lam_grid / -np.expm1(-lam_grid)
    lam = np.interp(np.maximum(pts / np.maximum(raw, 1), 1.0), mean_hit, lam_grid)
    lam[raw == 0] = 0.0
    f = np.ceil(np.sqrt(s.min_cell_density / np.maximum(lam, 1e-3)))
    f[raw < 20] = 1
    return np.clip(f, 1, s.max_coarsen).astype(np.int64), lam


def _block_counts(grid: SurfaceGrid, factor: np.ndarray, masks: list[np.ndarray], n_el: int) -> list[np.ndarray]:
    """Per element, the number of f x f blocks (of its face grids, f per plane) holding any cell of
    each mask."""
    plane = grid.cell_plane
    local = grid.cell_key - grid.plane_base[plane]
    nv = grid.plane_nv[plane]
    f = factor[plane]
    block = (plane << 40) | ((local // nv // f) << 20) | (local % nv // f)
    out = []
    for m in masks:
        ub = np.unique(block[m])
        out.append(np.bincount(grid.plane_element[ub >> 40], minlength=n_el) if len(ub) else np.zeros(n_el, np.int64))
    return out


def judge(acc: "VerdictAccumulator", grid: SurfaceGrid, counted: np.ndarray,
          prox: Proximity | None) -> list["ElementVerdict"]:
    """Statuses of all elements from the accumulator's merged state."""
    from app.analysis.verdicts import ElementVerdict

    s = acc.settings
    n_el = len(acc.tol_n)
    el = grid.cell_element
    tol_s = acc.cell_tol >= s.min_cell_points
    band_s = acc.cell_band >= s.min_cell_points
    if prox is not None:                 # faces under one cell wide: support from points nearby
        thin = np.flatnonzero(counted & narrow_planes(grid)[grid.cell_plane])
        tol_s[thin] |= prox.near(acc.prox_tol, el[thin], grid.cell_centre[thin])
        band_s[thin] |= prox.near(acc.prox_band, el[thin], grid.cell_centre[thin])
    nb = grid.neighbours(s.gap_fill_cells)
    tol_c = _closing(tol_s, counted, nb)
    band_c = _closing(band_s, counted, nb) | tol_c
    present = acc.band_n >= s.min_points
    # a face plane counts as seen (no stations) when enough of its counted cells hold support
    plane_cells = np.bincount(grid.cell_plane[counted], minlength=len(grid.plane_nu))
    plane_sup = np.bincount(grid.cell_plane[band_c], minlength=len(grid.plane_nu))
    factor, _ = _coarsening(acc, grid, counted)
    seen_plane = (plane_sup > 0) & (plane_sup >= s.seen_plane_fraction * plane_cells)
    visible = _observable_empty(acc, grid, counted & ~band_c, counted, present, seen_plane)
    observable = counted & (band_c | visible)
    n_obs = np.bincount(el[observable], minlength=n_el)
    n_exp = np.bincount(el[counted], minlength=n_el)
    n_tol = np.bincount(el[tol_c & counted], minlength=n_el)
    n_band = np.bincount(el[band_c & counted], minlength=n_el)
    b_obs, b_tol, b_band = _block_counts(grid, factor, [observable, observable & tol_c, observable & band_c], n_el)
    offsets = _offsets(acc, grid)
    order = np.argsort(el, kind="stable")
    starts = np.searchsorted(el[order], np.arange(n_el + 1))
    out = []
    for e in range(n_el):
        denom = max(int(b_obs[e]), 1)
        cov, bcov = b_tol[e] / denom, b_band[e] / denom
        off = offsets[e]
        # without stations, support on a sliver of the exposed surface is no support (a face seen
        # only where a neighbour's points spill over would otherwise look fully covered)
        sliver = acc.stations is None and n_band[e] < s.min_exposed_support * n_exp[e]
        if acc.band_n[e] < s.min_points or sliver:
            status = "missing"
        elif float(np.linalg.norm(off)) > s.threshold() and bcov >= s.deviation_min_coverage:
            status = "deviating"
        elif (n_obs[e] >= s.min_observable_cells and cov < s.missing_coverage) or (
                acc.stations is None and n_tol[e] < s.min_exposed_support * n_exp[e]) or (
                n_obs[e] < s.min_observable_cells and acc.tol_n[e] < s.min_points):
            status = "missing"
        elif cov >= s.built_coverage or n_obs[e] < s.min_observable_cells:
            status = "built"
        elif acc.stations is None:
            cells = order[starts[e]: starts[e + 1]]
            cells = cells[observable[cells]]
            ratio = _extent_ratio(grid.cell_centre[cells], tol_c[cells], s.cell_size, s.extent_row_fraction,
                                  s.extent_min_length)
            status = "built" if ratio >= s.partial_extent else "partial"
        else:
            status = "partial"
        dev = status == "deviating"
        n_pts, tot, mx = (acc.band_n[e], acc.band_sum[e], acc.band_max[e]) if dev else \
            (acc.tol_n[e], acc.tol_sum[e], acc.tol_max[e])
        mean = tot / n_pts / _FIX if n_pts else math.nan
        out.append(ElementVerdict(
            index=e, status=status, coverage=float(min(1.0, bcov if dev else cov)), points=int(acc.tol_n[e]),
            mean_distance=float(mean), max_distance=float(mx) if n_pts else math.nan,
            offset=tuple(float(x) for x in off) if status != "missing" else (0.0, 0.0, 0.0),
            observable_cells=int(n_obs[e]), exposed_cells=int(n_exp[e])))
    return out
