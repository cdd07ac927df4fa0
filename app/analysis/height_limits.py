"""Height limits: one maximum height everywhere (a limit plane over the ground), or polygon zones each
with its own maximum (drawn, or read from GeoJSON with a `max_height` property). Buildings (city
model objects, IFC elements, tile features with a height property, whole meshes) that rise above
the limit of the zone they stand in are listed with the excess in metres.

Heights are above the building's own ground: the feature's height attribute where it has one, else
its top minus its lowest point. A building in several zones takes the strictest (lowest) limit of
the zones that hold its footprint's centre. No Qt, no VTK.
"""
from __future__ import annotations

import csv
import json
from dataclasses import dataclass
from typing import Any, Sequence

import numpy as np

from app.analysis.footprints import Footprint
from loaders.base import Georef, LoadError
from loaders.results_base import ResultData

LIMIT_KEYS = ("max_height", "height_limit", "limit", "max_height_m", "maxHeight")


class LimitError(ValueError):
    """Zones or limits that cannot be used; the message says which and why."""


@dataclass
class Zone:
    name: str
    max_height: float  # metres above ground
    polygon: Any = None  # shapely Polygon in scene ENU (x, y); None: everywhere (a limit plane)


@dataclass
class Breach:
    layer: str
    layer_key: int  # id() of the layer, to highlight its elements
    index: int  # element index (-1: the whole mesh)
    name: str
    height: float
    limit: float
    zone: str
    centre: tuple[float, float, float]  # scene ENU of the roof's centre

    @property
    def excess(self) -> float:
        return self.height - self.limit


def _limit(props: dict[str, Any], where: str) -> float:
    for key in LIMIT_KEYS:
        if key in props:
            try:
                value = float(props[key])
            except (TypeError, ValueError):
                raise LimitError(f"{where}: {key} is not a number ({props[key]!r})") from None
            if not np.isfinite(value) or value < 0:
                raise LimitError(f"{where}: {key} must be a height of 0 m or more, not {value}")
            return value
    raise LimitError(f"{where}: no maximum height (a property named {', '.join(LIMIT_KEYS[:3])})")


def zones_from_geojson(path: str, to_scene: Any) -> list[Zone]:
    """Polygon features with a maximum height; `to_scene(points (N,3), georef) -> ENU (N,3)` places
    them (lon/lat per RFC 7946 unless the file names a projected CRS)."""
    import shapely

    try:
        doc = json.loads(open(path, encoding="utf-8").read())
    except (OSError, UnicodeDecodeError, ValueError) as exc:
        raise LoadError(path, f"not a GeoJSON file ({exc})") from None
    features = doc.get("features") if isinstance(doc, dict) else None
    if not isinstance(features, list) or not features:
        raise LoadError(path, "no features: expected a FeatureCollection of polygons with max_height")
    crs = ((doc.get("crs") or {}).get("properties") or {}).get("name") if isinstance(doc.get("crs"), dict) else None
    georef = Georef(kind="crs", crs=crs or "EPSG:4326")
    zones = []
    for i, feature in enumerate(features):
        geometry = (feature or {}).get("geometry") or {}
        props = (feature or {}).get("properties") or {}
        name = str(props.get("name") or props.get("id") or f"zone {i + 1}")
        if geometry.get("type") not in ("Polygon", "MultiPolygon"):
            raise LoadError(path, f"{name}: a {geometry.get('type')} is not a zone (use Polygon or MultiPolygon)")
        try:
            limit = _limit(props, name)
        except LimitError as exc:
            raise LoadError(path, str(exc)) from None
        polys = [geometry["coordinates"]] if geometry["type"] == "Polygon" else geometry["coordinates"]
        parts = []
        for rings in polys:
            placed = []
            for ring in rings:
                xy = np.asarray(ring, dtype=np.float64)[:, :2]
                pts = np.column_stack([xy, np.zeros(len(xy))])
                placed.append(to_scene(pts, georef)[:, :2])
            parts.append(shapely.Polygon(placed[0], placed[1:]))
        zones.append(Zone(name, limit, shapely.MultiPolygon(parts) if len(parts) > 1 else parts[0]))
    return zones


def check_heights(buildings: Sequence[tuple[str, int, Sequence[Footprint]]], zones: Sequence[Zone]) -> list[Breach]:
    """Every building above its limit, the largest excess first."""
    import shapely

    if not zones:
        raise LimitError("no limit given: a maximum height, or zones")
    out = []
    for layer_name, key, prints in buildings:
        for fp in prints:
            c = fp.polygon.centroid
            holding = [z for z in zones if z.polygon is None or z.polygon.contains(shapely.Point(c.x, c.y))]
            if not holding:
                continue
            zone = min(holding, key=lambda z: z.max_height)
            if fp.height > zone.max_height + 1e-6:
                out.append(Breach(layer_name, key, fp.index, fp.name, round(fp.height, 3), zone.max_height, zone.name,
                                  (float(c.x), float(c.y), fp.top)))
    out.sort(key=lambda b: -b.excess)
    return out


def write_csv(breaches: Sequence[Breach], path: str) -> None:
    with open(path, "w", newline="", encoding="utf-8") as fh:
        out = csv.writer(fh)
        out.writerow(["layer", "building", "height_m", "limit_m", "excess_m", "zone", "e_m", "n_m"])
        for b in breaches:
            out.writerow([b.layer, b.name, f"{b.height:.2f}", f"{b.limit:.2f}", f"{b.excess:.2f}", b.zone,
                          f"{b.centre[0]:.2f}", f"{b.centre[1]:.2f}"])


def breach_data(breaches: Sequence[Breach], zones: Sequence[Zone]) -> ResultData:
    """The breaches as a result layer (a point on each roof, coloured by excess): saved with the
    project, exported like any result."""
    pts = np.array([b.centre for b in breaches], dtype=np.float64).reshape(-1, 3)
    steps = [{"excess": np.array([b.excess for b in breaches]), "height": np.array([b.height for b in breaches]),
              "limit": np.array([b.limit for b in breaches])}]
    params = {"zones": [{"name": z.name, "max_height": z.max_height,
                         "polygon": None if z.polygon is None else np.asarray(z.polygon.exterior.coords).round(3).tolist()
                         if z.polygon.geom_type == "Polygon" else "multipolygon"} for z in zones],
              "buildings": [b.name for b in breaches]}
    limits = sorted({z.max_height for z in zones})
    name = f"Above {limits[0]:g} m" if len(limits) == 1 else f"Above height limits ({len(zones)} zones)"
    return ResultData(name=name, kind="simulation", format="height limits (Twinscape)", georef=Georef(), points=pts,
                      steps=steps, units={"excess": "m", "height": "m", "limit": "m"},
                      metadata={"derived": {"analysis": "height_limits", "params": params},
                                "style": {"color_mode": "excess", "cmap": "inferno"}})
