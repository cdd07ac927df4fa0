"""The demo's flood: a DEM of the district's ground (buildings raised, so water runs in the streets)
and a six-hour flood over the low west end of the main street, rising then falling, as one
multi-band GeoTIFF whose bands carry their times (the GeoTIFF loader reads it as a time series).

    flood/ground_dem.tif     2 m DEM, EPSG:4547, ellipsoidal heights (try: twinscape flood ... --level 19.8)
    flood/flood_depth.tif    depth (m) at 25 times, 2026-12-21 09:00-15:00 +08:00, nodata where dry

The times sit inside the demo clock's day (the winter-solstice shadow study's). No Qt, no VTK.
"""
from __future__ import annotations

import math
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from assets.demo._site import TERRAIN_HALF, uv_to_en

if TYPE_CHECKING:
    from assets.demo._site import Site

CELL_M = 2.0
SEED_UV = (-250.0, 0.0)  # the main street's low west end, in the street frame
START = datetime(2026, 12, 21, 9, 0, tzinfo=timezone(timedelta(hours=8)))
HOURS, STEPS = 6.0, 25
LOW, PEAK = 18.95, 19.6  # water level (m, ellipsoidal) before the event and at its crest (hour 2.5)
DEM_FILE, SERIES_FILE = "ground_dem.tif", "flood_depth.tif"


def levels() -> list[float]:
    """Rising for 2.5 hours, then falling more slowly (a river's flood wave)."""
    out = []
    for i in range(STEPS):
        t = HOURS * i / (STEPS - 1)
        rise = 2.5
        s = t / rise if t <= rise else 1.0 - (t - rise) / (HOURS - rise)
        out.append(round(LOW + (PEAK - LOW) * math.sin(math.pi / 2 * max(0.0, s)) ** 2, 3))
    return out


def times() -> list[str]:
    return [(START + timedelta(hours=HOURS * i / (STEPS - 1))).isoformat() for i in range(STEPS)]


def ground_dem(site: "Site"):
    """The terrain surface on a 2 m grid, building footprints raised to their roofs."""
    import shapely

    from app.analysis.flood import Dem

    e0, n0 = site.geo.origin_en
    half = TERRAIN_HALF - CELL_M
    n = int(round(2 * half / CELL_M))
    dem = Dem(np.zeros((n, n)), (CELL_M, 0.0, e0 - half, 0.0, -CELL_M, n0 + half), "EPSG:4547")
    x, y = dem.centres()
    z = site.terrain.height_at(x.ravel(), y.ravel()).reshape(x.shape)
    for b in site.buildings:
        inside = shapely.contains_xy(shapely.Polygon(b.footprint_en), x, y)
        z[inside] = b.top
    dem.z = np.round(z, 3)
    return dem


def write_flood(site: "Site", folder: Path) -> dict:
    """Write the DEM and the depth series; returns what the manifest says about them."""
    import rasterio
    from rasterio.transform import Affine

    from app.analysis.flood import flood_series, write_depth_geotiff

    folder.mkdir(parents=True, exist_ok=True)
    dem = ground_dem(site)
    rows, cols = dem.z.shape
    with rasterio.open(folder / DEM_FILE, "w", driver="GTiff", width=cols, height=rows, count=1, dtype="float32",
                       crs=dem.crs, transform=Affine(*dem.transform), compress="deflate") as dst:
        dst.update_tags(RESULT_NAME="ground", RESULT_UNITS="m", RESULT_STYLE="dem")
        dst.write(dem.z.astype(np.float32), 1)
    seed = tuple(float(v) for v in uv_to_en(site.geo.origin_en, *SEED_UV))
    floods = flood_series(dem, levels(), seed)
    write_depth_geotiff(str(folder / SERIES_FILE), dem, floods, times())
    peak = max(floods, key=lambda f: f.volume_m3)
    return {"dem": f"flood/{DEM_FILE}", "series": f"flood/{SERIES_FILE}", "seed_en": [round(v, 3) for v in seed],
            "levels": levels(), "times": times(), "peak_area_m2": round(peak.area_m2, 1),
            "peak_volume_m3": round(peak.volume_m3, 1)}
