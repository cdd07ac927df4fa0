"""Simulated LAZ 1.4 scan (point format 7) of the half-built Block C and the ground around the lot."""
from __future__ import annotations

import datetime
import math
from pathlib import Path

import numpy as np

from assets.demo._ifc_writer import BUILDING_OFFSET, BUILDING_SIZE, Element, building_elements
from assets.demo._site import (
    DEMO_CRS, LOT_CORNER_UV, LOT_SIZE, SCAN_GROUND_RADIUS, Site, lot_distance_uv, uv_to_en,
)

N_BUILDING_POINTS = 95_000
N_GROUND_POINTS = 55_000
NOISE_SIGMA = 0.005  # m, per axis; truncated at 3 sigma
CLASS_GROUND, CLASS_BUILDING = 2, 6
SCAN_DATE = datetime.date(2026, 1, 15)
GPS_T0 = 4.5218e8  # adjusted standard GPS time (s) of the scan start, 2026-01-15
SCAN_DURATION = 600.0  # s


def _noise(rng: np.random.Generator, n: int) -> np.ndarray:
    return np.clip(rng.normal(0.0, NOISE_SIGMA, (n, 3)), -3 * NOISE_SIGMA, 3 * NOISE_SIGMA)


def _sample_box_faces(rng: np.random.Generator, elements: list[Element], n: int) -> tuple[np.ndarray, np.ndarray]:
    """Area-weighted uniform samples on the faces of each box, except the downward-facing ones (slab soffits
    are not seen by a drone or by a scanner standing outside). Returns points (IFC local) and element index."""
    faces = []  # (element index, axis, side value, lo, hi)
    for k, el in enumerate(elements):
        lo, hi = np.array(el.lo), np.array(el.hi)
        for axis in range(3):
            other = [a for a in range(3) if a != axis]
            area = float(np.prod(hi[other] - lo[other]))
            for val in ((hi[axis],) if axis == 2 else (lo[axis], hi[axis])):
                faces.append((k, axis, val, lo, hi, area))
    areas = np.array([f[-1] for f in faces])
    which = rng.choice(len(faces), size=n, p=areas / areas.sum())
    u = rng.random((n, 3))
    f_el = np.array([f[0] for f in faces])
    f_axis = np.array([f[1] for f in faces])
    f_val = np.array([f[2] for f in faces])
    f_lo = np.array([f[3] for f in faces])
    f_hi = np.array([f[4] for f in faces])
    pts = f_lo[which] + u * (f_hi - f_lo)[which]
    pts[np.arange(n), f_axis[which]] = f_val[which]
    idx = f_el[which]
    return pts, idx


def _visible(pts: np.ndarray, idx: np.ndarray, elements: list[Element]) -> np.ndarray:
    """Drop samples hidden inside / against another element, or lying on the ground (z = 0)."""
    keep = pts[:, 2] > 1e-6
    tol = 1e-6
    for k, el in enumerate(elements):
        lo, hi = np.array(el.lo) - tol, np.array(el.hi) + tol
        inside = np.all((pts >= lo) & (pts <= hi), axis=1) & (idx != k)
        keep &= ~inside
    return keep


def sample_scan(site: Site, rng: np.random.Generator) -> dict[str, np.ndarray]:
    """The scan as arrays in EPSG:4547 (float64), classification, colours, intensity, gps time."""
    built = [e for e in building_elements() if e.built]
    pts, idx = _sample_box_faces(rng, built, int(N_BUILDING_POINTS * 1.6))
    keep = _visible(pts, idx, built)
    pts, idx = pts[keep][:N_BUILDING_POINTS], idx[keep][:N_BUILDING_POINTS]
    if len(pts) < N_BUILDING_POINTS:
        raise RuntimeError("not enough visible building samples")
    b_xyz = site.ifc_to_proj(pts + _noise(rng, len(pts)))
    grey = rng.normal(0.64, 0.03, len(pts))
    is_slab = np.array([e.ifc_class == "IfcSlab" for e in built])
    top = is_slab[idx] & np.isclose(pts[:, 2], np.array([e.hi[2] for e in built])[idx])
    grey = np.where(top, grey - 0.05, grey)  # slab tops a little dirtier
    b_rgb = np.clip(np.stack([grey, grey, grey * 0.98], 1), 0, 1)
    b_int = rng.normal(31000, 2500, len(pts))

    # ground: uniform in the band within SCAN_GROUND_RADIUS of the lot, minus the building footprint
    r = SCAN_GROUND_RADIUS
    m = int(N_GROUND_POINTS * 1.6)
    u = rng.uniform(LOT_CORNER_UV[0] - r, LOT_CORNER_UV[0] + LOT_SIZE[0] + r, m)
    v = rng.uniform(LOT_CORNER_UV[1] - r, LOT_CORNER_UV[1] + LOT_SIZE[1] + r, m)
    x, y = u - LOT_CORNER_UV[0], v - LOT_CORNER_UV[1]  # IFC local
    under = ((x >= BUILDING_OFFSET[0]) & (x <= BUILDING_OFFSET[0] + BUILDING_SIZE[0])
             & (y >= BUILDING_OFFSET[1]) & (y <= BUILDING_OFFSET[1] + BUILDING_SIZE[1]))
    ok = (lot_distance_uv(u, v) <= r) & ~under
    u, v = u[ok][:N_GROUND_POINTS], v[ok][:N_GROUND_POINTS]
    if len(u) < N_GROUND_POINTS:
        raise RuntimeError("not enough ground samples")
    e, n = uv_to_en(site.geo.origin_en, u, v)
    h = site.terrain.height_at(e, n)
    g_xyz = np.stack([e, n, h], 1) + _noise(rng, len(e))
    # ground colour: the terrain's colouring, bilinearly interpolated, with scanner noise
    t = site.terrain
    fx = np.clip((e - t.e[0]) / t.spacing, 0, len(t.e) - 1.001)
    fy = np.clip((n - t.n[0]) / t.spacing, 0, len(t.n) - 1.001)
    i, j = fx.astype(int), fy.astype(int)
    ax, ay = (fx - i)[:, None], (fy - j)[:, None]
    c = t.colours
    g_rgb = ((c[j, i] * (1 - ax) + c[j, i + 1] * ax) * (1 - ay) + (c[j + 1, i] * (1 - ax) + c[j + 1, i + 1] * ax) * ay)
    g_rgb = np.clip(g_rgb + rng.normal(0, 0.03, g_rgb.shape), 0, 1)
    g_int = rng.normal(17000, 4000, len(e))

    xyz = np.concatenate([g_xyz, b_xyz])
    cls = np.concatenate([np.full(len(g_xyz), CLASS_GROUND), np.full(len(b_xyz), CLASS_BUILDING)]).astype(np.uint8)
    rgb = np.concatenate([g_rgb, b_rgb])
    inten = np.clip(np.concatenate([g_int, b_int]), 0, 65535)
    # a terrestrial scanner at the lot's south-east corner sweeping in azimuth: gps time grows with azimuth
    se_e, se_n = uv_to_en(site.geo.origin_en, LOT_CORNER_UV[0] + LOT_SIZE[0] + 6.0, LOT_CORNER_UV[1] - 6.0)
    az = np.arctan2(xyz[:, 0] - se_e, xyz[:, 1] - se_n) % (2 * math.pi)
    order = np.argsort(az, kind="stable")
    gps = GPS_T0 + np.linspace(0.0, SCAN_DURATION, len(order))
    return {
        "xyz": xyz[order], "classification": cls[order], "rgb": rgb[order], "intensity": inten[order],
        "gps_time": gps, "element": np.concatenate([np.full(len(g_xyz), -1), idx])[order],
    }


def write_laz(site: Site, path: Path, rng: np.random.Generator) -> dict:
    import laspy
    from pyproj import CRS

    scan = sample_scan(site, rng)
    xyz = scan["xyz"]
    header = laspy.LasHeader(point_format=7, version="1.4")
    header.scales = np.array([0.001, 0.001, 0.001])
    header.offsets = np.array([round(site.lot_corner_en[0]), round(site.lot_corner_en[1]), 0.0])
    header.add_crs(CRS(DEMO_CRS))
    header.creation_date = SCAN_DATE
    header.system_identifier = "Twinscape demo TLS"
    header.generating_software = "twinscape demo generator"
    header.global_encoding.gps_time_type = laspy.header.GpsTimeType.STANDARD
    las = laspy.LasData(header)
    las.x, las.y, las.z = xyz[:, 0], xyz[:, 1], xyz[:, 2]
    n = len(xyz)
    las.intensity = np.round(scan["intensity"]).astype(np.uint16)
    las.return_number = np.ones(n, np.uint8)
    las.number_of_returns = np.ones(n, np.uint8)
    las.classification = scan["classification"]
    las.gps_time = scan["gps_time"]
    rgb16 = np.round(scan["rgb"] * 65535).astype(np.uint16)
    las.red, las.green, las.blue = rgb16[:, 0], rgb16[:, 1], rgb16[:, 2]
    las.point_source_id = np.ones(n, np.uint16)
    las.write(str(path), do_compress=True, laz_backend=laspy.LazBackend.Lazrs)
    return {"points": n, "ground": int((scan["classification"] == CLASS_GROUND).sum()),
            "building": int((scan["classification"] == CLASS_BUILDING).sum())}
