"""Constants, georeferencing and the seeded layout of the demo district (terrain, buildings, lot).

Everything is defined in EPSG:4547 (CGCS2000 / 3-degree Gauss-Kruger CM 114E, x = easting,
y = northing) with z = ellipsoidal height in metres. The street grid is rotated by
STREET_ROTATION_DEG counter-clockwise from grid east; (u, v) are coordinates along / across it,
relative to the district centre.
"""
from __future__ import annotations

import functools
import math
from dataclasses import dataclass, field

import numpy as np

DEMO_VERSION = 5  # 2: district_lod/ (LOD tileset for streaming); 3: its tileset.json lists property ranges; 4: flood/ (DEM, flood series); 5: sunlight/ (solstice study)
DEMO_SEED = 2026
DEMO_ORIGIN_LLA = (30.5928, 114.3055, 22.0)  # lat (deg N), lon (deg E), ellipsoidal height (m)
DEMO_CRS = "EPSG:4547"

STREET_ROTATION_DEG = 12.0
TERRAIN_HALF = 300.0  # terrain tile covers centre +- 300 m in E and N
TERRAIN_CELLS = 60  # 10 m grid
LOT_CORNER_UV = (22.0, 18.0)  # south-west corner of the empty lot, street frame
LOT_SIZE = (40.0, 30.0)  # along u (IFC x), along v (IFC y)
PAD_MARGIN = 16.0  # flat pad extends this far beyond the lot (> one grid cell diagonal)
PAD_BLEND = 30.0  # then blends into the hills over this distance
SCAN_GROUND_RADIUS = 60.0

USES = ("residential", "office", "retail", "school")
USE_PROBS = (0.5, 0.25, 0.15, 0.10)
USE_FLOOR_HEIGHT = {"residential": 3.0, "office": 3.9, "retail": 4.5, "school": 3.9}
USE_FLOORS = {"residential": (6, 30), "office": (8, 23), "retail": (2, 4), "school": (3, 5)}
USE_COLOUR = {
    "residential": (0.86, 0.80, 0.70),
    "office": (0.60, 0.68, 0.78),
    "retail": (0.82, 0.62, 0.50),
    "school": (0.78, 0.56, 0.46),
}
N_BUILDINGS = 40
STREETS_UV = ({"axis": "v", "at": 0.0, "width": 24.0}, {"axis": "u", "at": 0.0, "width": 24.0},
              {"axis": "v", "at": -140.0, "width": 14.0})  # axis "v": street along u at v = at


def _rng_streams(n: int) -> list[np.random.Generator]:
    """Independent seeded streams (terrain, buildings, scan, ids) derived from DEMO_SEED."""
    root = np.random.default_rng(DEMO_SEED)
    return [np.random.default_rng(s) for s in root.bit_generator.seed_seq.spawn(n)]


class GeoFrame:
    """EPSG:4547 <-> ECEF <-> local ENU (the tileset root frame at the district centre)."""

    def __init__(self, origin_lla: tuple[float, float, float] = DEMO_ORIGIN_LLA) -> None:
        from pyproj import CRS, Transformer

        from pyproj.enums import TransformDirection

        self._inverse = TransformDirection.INVERSE
        lat, lon, h = origin_lla
        crs3d = CRS(DEMO_CRS).to_3d()  # z = ellipsoidal height, never dropped by a 2D->3D promotion
        # one (slow to create, ~0.4 s) transformer, used both ways; ECEF <-> lon/lat/h is cheap
        self._to_ecef = Transformer.from_crs(crs3d, "EPSG:4978", always_xy=True)
        self._ecef_to_geo = Transformer.from_crs("EPSG:4978", "EPSG:4979", always_xy=True)
        self._geo_to_ecef = Transformer.from_crs("EPSG:4979", "EPSG:4978", always_xy=True)
        e0, n0, _ = self._to_ecef.transform(*self._geo_to_ecef.transform(lon, lat, h), direction=self._inverse)
        self.origin_en = (float(e0), float(n0))
        self.origin_h = float(h)
        x0 = np.array(self._to_ecef.transform(e0, n0, h), dtype=np.float64)
        # pyproj must give back the height we pass (EPSG:4547 is 2D; to_3d() makes z ellipsoidal height)
        back = self._to_ecef.transform(*x0, direction=self._inverse)
        if abs(back[2] - h) > 1e-3 or abs(back[0] - e0) > 1e-3 or abs(back[1] - n0) > 1e-3:
            raise RuntimeError(f"pyproj round trip EPSG:4547 <-> ECEF lost precision: {back} vs {(e0, n0, h)}")
        phi, lam = math.radians(lat), math.radians(lon)
        east = np.array([-math.sin(lam), math.cos(lam), 0.0])
        north = np.array([-math.sin(phi) * math.cos(lam), -math.sin(phi) * math.sin(lam), math.cos(phi)])
        up = np.array([math.cos(phi) * math.cos(lam), math.cos(phi) * math.sin(lam), math.sin(phi)])
        self.ecef_origin = x0
        self.rotation = np.stack([east, north, up], axis=1)  # columns: ENU axes in ECEF
        m = np.eye(4)
        m[:3, :3] = self.rotation
        m[:3, 3] = x0
        self.enu_to_ecef = m
        self.transform_column_major = [float(v) for v in m.T.reshape(-1)]

    def proj_to_ecef(self, e, n, h) -> np.ndarray:
        x, y, z = self._to_ecef.transform(np.asarray(e, float), np.asarray(n, float), np.asarray(h, float))
        return np.stack([np.asarray(x), np.asarray(y), np.asarray(z)], axis=-1)

    def ecef_to_proj(self, xyz: np.ndarray) -> np.ndarray:
        xyz = np.asarray(xyz, float)
        e, n, h = self._to_ecef.transform(xyz[..., 0], xyz[..., 1], xyz[..., 2], direction=self._inverse)
        return np.stack([np.asarray(e), np.asarray(n), np.asarray(h)], axis=-1)

    def ecef_to_enu(self, xyz: np.ndarray) -> np.ndarray:
        return (np.asarray(xyz, float) - self.ecef_origin) @ self.rotation

    def enu_to_ecef_points(self, enu: np.ndarray) -> np.ndarray:
        return np.asarray(enu, float) @ self.rotation.T + self.ecef_origin

    def proj_to_enu(self, e, n, h) -> np.ndarray:
        return self.ecef_to_enu(self.proj_to_ecef(e, n, h))

    def proj_to_lonlat(self, e, n) -> tuple[float, float]:
        lon, lat, _ = self._ecef_to_geo.transform(*self._to_ecef.transform(e, n, 0.0))
        return float(lon), float(lat)


@dataclass
class Terrain:
    e: np.ndarray  # (nx,) eastings of grid columns
    n: np.ndarray  # (ny,) northings of grid rows
    h: np.ndarray  # (ny, nx) ellipsoidal heights
    pad_height: float
    colours: np.ndarray  # (ny, nx, 3) float 0..1

    @property
    def spacing(self) -> float:
        return float(self.e[1] - self.e[0])

    def triangles(self) -> np.ndarray:
        """(M, 3) vertex indices (row-major j*nx+i), CCW seen from above, diagonal (i,j)-(i+1,j+1)."""
        ny, nx = self.h.shape
        j, i = np.mgrid[0 : ny - 1, 0 : nx - 1]
        k00 = (j * nx + i).ravel()
        k10, k01, k11 = k00 + 1, k00 + nx, k00 + nx + 1
        return np.concatenate([np.stack([k00, k10, k11], 1), np.stack([k00, k11, k01], 1)]).astype(np.uint32)

    def height_at(self, e, n) -> np.ndarray:
        """Height of the triangulated terrain surface (exactly what the terrain tile shows)."""
        ny, nx = self.h.shape
        s = self.spacing
        fx = (np.asarray(e, float) - self.e[0]) / s
        fy = (np.asarray(n, float) - self.n[0]) / s
        i = np.clip(np.floor(fx).astype(int), 0, nx - 2)
        j = np.clip(np.floor(fy).astype(int), 0, ny - 2)
        tx, ty = fx - i, fy - j
        h00, h10 = self.h[j, i], self.h[j, i + 1]
        h01, h11 = self.h[j + 1, i], self.h[j + 1, i + 1]
        lower = tx >= ty
        return np.where(lower, h00 + tx * (h10 - h00) + ty * (h11 - h10), h00 + ty * (h01 - h00) + tx * (h11 - h01))


@dataclass
class Building:
    name: str
    quadrant: str
    use: str
    floors: int
    height: float
    year: int
    footprint_uv: np.ndarray  # (k, 2) CCW polygon in the street frame
    footprint_en: np.ndarray  # (k, 2) CCW polygon in EPSG:4547
    ground: float  # lowest terrain height under the footprint
    base: float  # ground - 1 m (sunk into the terrain)
    top: float  # ground + height (flat roof)
    colour: tuple[float, float, float]

    @property
    def centroid_en(self) -> tuple[float, float]:
        p = self.footprint_en
        x, y = p[:, 0], p[:, 1]
        x1, y1 = np.roll(x, -1), np.roll(y, -1)
        cross = x * y1 - x1 * y
        a = cross.sum() / 2
        return float(((x + x1) * cross).sum() / (6 * a)), float(((y + y1) * cross).sum() / (6 * a))


@dataclass
class Site:
    geo: GeoFrame
    terrain: Terrain
    buildings: list[Building]
    lot_corner_en: tuple[float, float]
    lot_polygon_en: np.ndarray
    rotation_deg: float = STREET_ROTATION_DEG
    rngs: list[np.random.Generator] = field(default_factory=list)

    @property
    def pad_height(self) -> float:
        return self.terrain.pad_height

    def uv_to_en(self, u, v) -> tuple[np.ndarray, np.ndarray]:
        return uv_to_en(self.geo.origin_en, u, v)

    def ifc_to_proj(self, xyz: np.ndarray) -> np.ndarray:
        """IFC local (x, y, z) -> EPSG:4547 (E, N, h), exactly the IfcMapConversion written into the IFC."""
        c, s = math.cos(math.radians(self.rotation_deg)), math.sin(math.radians(self.rotation_deg))
        xyz = np.asarray(xyz, float)
        e = self.lot_corner_en[0] + c * xyz[..., 0] - s * xyz[..., 1]
        n = self.lot_corner_en[1] + s * xyz[..., 0] + c * xyz[..., 1]
        return np.stack([e, n, self.pad_height + xyz[..., 2]], axis=-1)


def uv_to_en(origin_en, u, v):
    c, s = math.cos(math.radians(STREET_ROTATION_DEG)), math.sin(math.radians(STREET_ROTATION_DEG))
    u, v = np.asarray(u, float), np.asarray(v, float)
    return origin_en[0] + c * u - s * v, origin_en[1] + s * u + c * v


def en_to_uv(origin_en, e, n):
    c, s = math.cos(math.radians(STREET_ROTATION_DEG)), math.sin(math.radians(STREET_ROTATION_DEG))
    de, dn = np.asarray(e, float) - origin_en[0], np.asarray(n, float) - origin_en[1]
    return c * de + s * dn, -s * de + c * dn


def lot_distance_uv(u, v, margin: float = 0.0) -> np.ndarray:
    """Euclidean distance (m) from (u, v) to the lot rectangle grown by `margin` (0 inside)."""
    u0, v0 = LOT_CORNER_UV[0] - margin, LOT_CORNER_UV[1] - margin
    u1, v1 = LOT_CORNER_UV[0] + LOT_SIZE[0] + margin, LOT_CORNER_UV[1] + LOT_SIZE[1] + margin
    du = np.maximum(np.maximum(u0 - u, u - u1), 0.0)
    dv = np.maximum(np.maximum(v0 - v, v - v1), 0.0)
    return np.hypot(du, dv)


def _smoothstep(x):
    x = np.clip(x, 0.0, 1.0)
    return x * x * (3 - 2 * x)


def _street_distance(u, v) -> np.ndarray:
    d = np.full(np.shape(u), np.inf)
    for st in STREETS_UV:
        coord = v if st["axis"] == "v" else u
        d = np.minimum(d, np.abs(coord - st["at"]) - st["width"] / 2)
    return d


def _make_terrain(geo: GeoFrame, rng: np.random.Generator) -> Terrain:
    e0, n0 = geo.origin_en
    ticks = np.linspace(-TERRAIN_HALF, TERRAIN_HALF, TERRAIN_CELLS + 1)
    de, dn = np.meshgrid(ticks, ticks)  # (ny, nx), row j = northing index
    k = 6
    centres = rng.uniform(-TERRAIN_HALF, TERRAIN_HALF, (k, 2))
    amps = rng.uniform(-2.5, 3.5, k)
    sigmas = rng.uniform(60.0, 140.0, k)

    def hills(x, y):
        x, y = np.asarray(x, float)[..., None], np.asarray(y, float)[..., None]
        return (amps * np.exp(-((x - centres[:, 0]) ** 2 + (y - centres[:, 1]) ** 2) / (2 * sigmas**2))).sum(-1)

    base = geo.origin_h + hills(de, dn) - hills(0.0, 0.0)  # ground at the centre = origin height
    lot_cu = LOT_CORNER_UV[0] + LOT_SIZE[0] / 2
    lot_cv = LOT_CORNER_UV[1] + LOT_SIZE[1] / 2
    lc_e, lc_n = uv_to_en((0.0, 0.0), lot_cu, lot_cv)
    pad_h = round(float(geo.origin_h + hills(lc_e, lc_n) - hills(0.0, 0.0)), 2)
    u, v = en_to_uv((0.0, 0.0), de, dn)
    w = 1.0 - _smoothstep(lot_distance_uv(u, v, PAD_MARGIN) / PAD_BLEND)
    h = base * (1 - w) + pad_h * w
    h[lot_distance_uv(u, v, PAD_MARGIN) == 0.0] = pad_h  # exactly flat
    # colours: grass with earthy patches, bare earth on the pad, grey along the streets
    grass = np.array([0.40, 0.54, 0.29])
    dry = np.array([0.56, 0.58, 0.36])
    earth = np.array([0.55, 0.45, 0.33])
    asphalt = np.array([0.46, 0.46, 0.47])
    patch = 0.5 + 0.5 * np.sin(de / 37.0 + rng.uniform(0, 6.28)) * np.cos(dn / 29.0 + rng.uniform(0, 6.28))
    col = grass * (1 - patch[..., None]) + dry * patch[..., None]
    col = col * (1 - w[..., None]) + earth * w[..., None]
    road = 1.0 - _smoothstep(_street_distance(u, v) / 6.0 + 0.5)
    col = col * (1 - road[..., None]) + asphalt * road[..., None]
    col = np.clip(col + rng.normal(0, 0.015, col.shape), 0, 1)
    return Terrain(e=e0 + ticks, n=n0 + ticks, h=h, pad_height=pad_h, colours=col)


def _footprint(rng: np.random.Generator, w: float, d: float, l_shape: bool) -> np.ndarray:
    if not l_shape:
        p = np.array([[0, 0], [w, 0], [w, d], [0, d]], float)
    else:
        b = w * rng.uniform(0.4, 0.65)  # width of the vertical leg
        a = d * rng.uniform(0.4, 0.65)  # depth of the horizontal leg
        p = np.array([[0, 0], [w, 0], [w, a], [b, a], [b, d], [0, d]], float)
    p -= [w / 2, d / 2]
    flip = rng.integers(0, 2, 2) * 2 - 1  # which corner the notch is in
    p = p * flip
    x, y = p[:, 0], p[:, 1]
    if (x * np.roll(y, -1) - np.roll(x, -1) * y).sum() < 0:
        p = p[::-1].copy()
    # keep the star-shaped fan apex (the corner opposite the notch) first: fan from vertex 0 stays valid
    if l_shape:
        corner = np.argmax((p * flip * -1).sum(1))  # the original (0, 0) corner
        p = np.roll(p, -corner, axis=0)
    return p


def _make_buildings(geo: GeoFrame, terrain: Terrain, rng: np.random.Generator) -> list[Building]:
    u_plots = [-225.0, -165.0, -105.0, -45.0, 45.0, 105.0, 165.0, 225.0]
    v_plots = [-240.0, -180.0, -105.0, -45.0, 45.0, 105.0, 165.0, 225.0]
    cands = []
    for pu in u_plots:
        for pv in v_plots:
            use = USES[int(rng.choice(len(USES), p=USE_PROBS))]
            lo, hi = USE_FLOORS[use]
            floors = int(rng.integers(lo, hi + 1))
            w = float(rng.uniform(18.0, 44.0))
            d = float(rng.uniform(16.0, 40.0))
            if use == "retail":
                w, d = max(w, 30.0), max(d, 24.0)
            l_shape = bool(rng.random() < 0.35)
            fp = _footprint(rng, w, d, l_shape)
            cu, cv = pu + rng.uniform(-4, 4), pv + rng.uniform(-4, 4)
            year = int(rng.integers(1980, 2023))
            tint = rng.uniform(-0.04, 0.04, 3)
            cands.append((pu, pv, use, floors, fp + [cu, cv], year, tint))
    ok = []
    for idx, (pu, pv, use, floors, fp_uv, year, tint) in enumerate(cands):
        e, n = uv_to_en(geo.origin_en, fp_uv[:, 0], fp_uv[:, 1])
        inside = (np.abs(e - geo.origin_en[0]) < TERRAIN_HALF - 15).all() and (
            np.abs(n - geo.origin_en[1]) < TERRAIN_HALF - 15
        ).all()
        clear_of_lot = (lot_distance_uv(fp_uv[:, 0], fp_uv[:, 1], 0.0) > 12.0).all() and not (
            (pu - 30 < LOT_CORNER_UV[0] + LOT_SIZE[0]) and (pu + 30 > LOT_CORNER_UV[0])
            and (pv - 30 < LOT_CORNER_UV[1] + LOT_SIZE[1]) and (pv + 30 > LOT_CORNER_UV[1])
        )
        if inside and clear_of_lot:
            ok.append(idx)
    if len(ok) < N_BUILDINGS:
        raise RuntimeError(f"only {len(ok)} plots available for {N_BUILDINGS} buildings")
    chosen = sorted(int(i) for i in rng.choice(ok, N_BUILDINGS, replace=False))
    buildings = []
    counters: dict[str, int] = {}
    for idx in chosen:
        pu, pv, use, floors, fp_uv, year, tint = cands[idx]
        quad = ("N" if pv > 0 else "S") + ("E" if pu > 0 else "W")
        counters[quad] = counters.get(quad, 0) + 1
        e, n = uv_to_en(geo.origin_en, fp_uv[:, 0], fp_uv[:, 1])
        # ground = lowest terrain under the footprint (its bounding box, sampled every 2.5 m + corners)
        lo, hi = fp_uv.min(0), fp_uv.max(0)
        gu, gv = np.meshgrid(np.linspace(lo[0], hi[0], int((hi[0] - lo[0]) / 2.5) + 2),
                             np.linspace(lo[1], hi[1], int((hi[1] - lo[1]) / 2.5) + 2))
        se, sn = uv_to_en(geo.origin_en, gu.ravel(), gv.ravel())
        ground = float(min(terrain.height_at(se, sn).min(), terrain.height_at(e, n).min()))
        height = round(floors * USE_FLOOR_HEIGHT[use], 1)
        colour = tuple(float(c) for c in np.clip(np.array(USE_COLOUR[use]) + tint, 0, 1))
        buildings.append(
            Building(
                name=f"{quad}-{counters[quad]:02d}", quadrant=quad, use=use, floors=floors, height=height,
                year=year, footprint_uv=fp_uv, footprint_en=np.stack([e, n], 1), ground=round(ground, 3),
                base=round(ground - 1.0, 3), top=round(ground + height, 3), colour=colour,
            )
        )
    return buildings


@functools.lru_cache(maxsize=1)
def geo_frame() -> GeoFrame:
    return GeoFrame()


def build_site() -> Site:
    rngs = _rng_streams(4)  # terrain, buildings, scan, ifc ids
    geo = geo_frame()
    terrain = _make_terrain(geo, rngs[0])
    buildings = _make_buildings(geo, terrain, rngs[1])
    ce, cn = uv_to_en(geo.origin_en, *LOT_CORNER_UV)
    lot_corner = (round(float(ce), 3), round(float(cn), 3))
    lu = np.array([0, LOT_SIZE[0], LOT_SIZE[0], 0]) + LOT_CORNER_UV[0]
    lv = np.array([0, 0, LOT_SIZE[1], LOT_SIZE[1]]) + LOT_CORNER_UV[1]
    le, ln = uv_to_en(geo.origin_en, lu, lv)
    return Site(geo=geo, terrain=terrain, buildings=buildings, lot_corner_en=lot_corner,
                lot_polygon_en=np.stack([le, ln], 1), rngs=rngs)
