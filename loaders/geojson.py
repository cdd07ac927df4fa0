"""GeoJSON building footprints extruded into block models.

Heights are metres, so lon/lat footprints (RFC 7946) are first projected into their local UTM zone;
the layer is then georeferenced in that zone. Caps are triangulated with earcut (holes included),
walls are one quad per ring edge with their own vertices, coloured like CityJSON roofs and walls.
"""
from __future__ import annotations

import json
import math
import os
import re
from typing import Any

import numpy as np

from loaders.base import Cancel, ElementInfo, Georef, LayerData, LoadCancelled, LoadError, MeshData, Progress
from loaders.registry import register_loader

HEIGHT_KEYS = ("height", "measuredHeight", "building:height", "HEIGHT", "h")
LEVEL_KEYS = ("building:levels", "levels")
BASE_KEYS = ("base_height", "min_height")
LEVEL_HEIGHT = 3.0
DEFAULT_HEIGHT = 10.0
ROOF_RGB, WALL_RGB, GROUND_RGB = (170, 80, 60), (230, 226, 215), (120, 120, 120)
BUILDING_KEYS = ("building", "building:levels", "building:height", "building:use", "roof:shape", "measuredHeight")
NUMBER_RE = re.compile(r"[-+]?\d+(?:[.,]\d+)?")


def _sniff(head: bytes) -> bool:
    """A FeatureCollection/Feature in the first bytes; a whole (short) file without features or geometry is
    not ours, so a stray `tileset.json` still reaches the tileset loader by its extension."""
    from loaders.registry import SNIFF_BYTES

    if b'"FeatureCollection"' in head:
        return len(head) >= SNIFF_BYTES or b'"features"' in head
    if b'"Feature"' in head:
        return len(head) >= SNIFF_BYTES or b'"geometry"' in head
    return False


def _number(value: Any) -> float | None:
    """12, "12", "12.5 m", "12,5" -> float; anything else (or not finite) -> None."""
    if isinstance(value, bool) or value is None:
        return None
    if isinstance(value, (int, float)):
        v = float(value)
    else:
        m = NUMBER_RE.search(str(value))
        if not m:
            return None
        v = float(m.group().replace(",", "."))
    return v if math.isfinite(v) else None


def _heights(props: dict) -> tuple[float, float, bool]:
    """(base z, top z, defaulted) from OSM/3D BAG-style attributes."""
    base = next((b for b in (_number(props.get(k)) for k in BASE_KEYS) if b is not None), 0.0)
    top = next((h for h in (_number(props.get(k)) for k in HEIGHT_KEYS) if h is not None and h > 0), None)
    if top is None:
        levels = next((v for v in (_number(props.get(k)) for k in LEVEL_KEYS) if v is not None and v > 0), None)
        if levels is not None:
            return base, base + levels * LEVEL_HEIGHT, False
        return base, base + DEFAULT_HEIGHT, True
    return base, top if top > base else base + top, False


def _source_crs(doc: dict, warnings: list[str]):
    """The legacy 'crs' member, or WGS84 lon/lat (RFC 7946)."""
    import pyproj

    name = None
    crs = doc.get("crs")
    if isinstance(crs, dict) and isinstance(crs.get("properties"), dict):
        name = crs["properties"].get("name")
    if not name:
        return pyproj.CRS.from_epsg(4326), True
    text = str(name)
    m = re.search(r"EPSG:{1,2}(\d+)$", text, re.IGNORECASE)
    if "CRS84" in text.upper():
        return pyproj.CRS.from_epsg(4326), True
    try:
        src = pyproj.CRS.from_epsg(int(m.group(1))) if m else pyproj.CRS.from_user_input(text)
    except (pyproj.exceptions.CRSError, ValueError):
        warnings.append(f"unknown 'crs' {text[:80]}; read as WGS84 longitude/latitude")
        return pyproj.CRS.from_epsg(4326), True
    return src, src.is_geographic


def _rings(geometry: Any) -> list[list[np.ndarray]] | None:
    """Polygon / MultiPolygon -> list of polygons, each a list of (n,2) float rings; None if not polygonal."""
    if not isinstance(geometry, dict):
        return None
    kind, coords = geometry.get("type"), geometry.get("coordinates")
    if kind == "Polygon":
        polys = [coords]
    elif kind == "MultiPolygon":
        polys = coords
    else:
        return None
    if not isinstance(polys, list):
        raise ValueError("coordinates are not a list")
    out = []
    for poly in polys:
        if not isinstance(poly, list) or not poly:
            raise ValueError("empty polygon")
        rings = []
        for ring in poly:
            arr = np.asarray(ring, dtype=np.float64)
            if arr.ndim != 2 or arr.shape[1] < 2 or len(arr) < 3:
                raise ValueError("a ring is not a list of at least 3 positions")
            arr = arr[:, :2]
            if not np.isfinite(arr).all():
                raise ValueError("NaN or infinite coordinates")
            rings.append(arr)
        out.append(rings)
    return out


def _utm_epsg(lon: float, lat: float) -> int:
    zone = min(60, max(1, int(math.floor((lon + 180.0) / 6.0)) + 1))
    return (32600 if lat >= 0 else 32700) + zone


def _polygons(rings: list[np.ndarray]):
    """Rings -> valid, oriented shapely polygons (exterior CCW, holes CW); self-intersections repaired."""
    import shapely
    from shapely.geometry import Polygon
    from shapely.geometry.polygon import orient

    poly = Polygon(rings[0], rings[1:])
    if not poly.is_valid:
        poly = shapely.make_valid(poly)
    parts = [g for g in getattr(poly, "geoms", [poly]) if g.geom_type == "Polygon"]
    parts += [p for g in getattr(poly, "geoms", []) if g.geom_type == "MultiPolygon" for p in g.geoms]
    return [orient(p, 1.0) for p in parts if not p.is_empty and p.area > 0]


def _extrude(poly, base: float, top: float) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """One polygon -> (points, triangles, rgb per point): earcut caps plus one quad per edge."""
    import mapbox_earcut

    rings = [np.asarray(poly.exterior.coords)[:-1, :2]] + [np.asarray(r.coords)[:-1, :2] for r in poly.interiors]
    flat = np.concatenate(rings)
    ends = np.cumsum([len(r) for r in rings])
    cap = mapbox_earcut.triangulate_float64(flat, ends.astype(np.uint32)).astype(np.int64).reshape(-1, 3)
    a, b, c = flat[cap[:, 0]], flat[cap[:, 1]], flat[cap[:, 2]]
    cw = (b[:, 0] - a[:, 0]) * (c[:, 1] - a[:, 1]) - (b[:, 1] - a[:, 1]) * (c[:, 0] - a[:, 0]) < 0
    cap[cw] = cap[cw][:, ::-1]  # roof faces up
    n = len(flat)
    nxt = np.arange(1, n + 1)  # each point's successor along its own ring
    nxt[ends - 1] = np.r_[0, ends[:-1]]
    points = np.empty((6 * n, 3))
    points[:n, :2] = points[n:2 * n, :2] = flat
    points[:n, 2], points[n:2 * n, 2] = top, base
    # walls: exterior CCW, holes CW, so (p, q, q', p') winds outward from the solid
    quad = points[2 * n:].reshape(n, 4, 3)
    quad[:, 0, :2] = quad[:, 3, :2] = flat
    quad[:, 1, :2] = quad[:, 2, :2] = flat[nxt]
    quad[:, :2, 2], quad[:, 2:, 2] = base, top
    o = 2 * n + 4 * np.arange(n)[:, None]
    tris = np.concatenate([cap, cap[:, ::-1] + n, o + [0, 1, 2], o + [0, 2, 3]])  # floor faces down
    colors = np.empty((6 * n, 3), np.uint8)
    colors[:n], colors[n:2 * n], colors[2 * n:] = ROOF_RGB, GROUND_RGB, WALL_RGB
    return points, tris, colors


def _plain(value: Any) -> Any:
    return value if value is None or isinstance(value, (bool, int, float, str)) else json.dumps(value)[:200]


@register_loader(".geojson", sniff=_sniff, priority=15, name="GeoJSON")
def read_geojson(path: str, *, progress: Progress | None = None, cancel: Cancel | None = None) -> list[LayerData]:
    """Read Polygon/MultiPolygon features into one 'citymodel' MeshData of extruded blocks, one element per feature."""
    import pyproj

    try:
        with open(path, encoding="utf-8-sig") as fh:
            doc = json.load(fh)
    except (OSError, UnicodeDecodeError) as exc:
        raise LoadError(path, f"cannot read as UTF-8 text: {getattr(exc, 'strerror', None) or exc}") from None
    except ValueError as exc:
        raise LoadError(path, f"invalid JSON: {getattr(exc, 'msg', exc)}") from None
    if not isinstance(doc, dict):
        raise LoadError(path, "not GeoJSON (the document is not an object)")
    if doc.get("type") == "FeatureCollection":
        features = doc.get("features")
    elif doc.get("type") == "Feature":
        features = [doc]
    elif doc.get("type") in ("Polygon", "MultiPolygon"):
        features = [{"type": "Feature", "geometry": doc, "properties": {}}]
    else:
        raise LoadError(path, f"not GeoJSON (type '{str(doc.get('type'))[:40]}')")
    if not isinstance(features, list):
        raise LoadError(path, "not GeoJSON: 'features' is not a list")
    warnings: list[str] = []
    src, geographic = _source_crs(doc, warnings)

    parsed: list[tuple[int, dict, list[list[np.ndarray]]]] = []
    invalid = other = 0
    for i, feature in enumerate(features):
        if cancel is not None and i % 500 == 0 and cancel():
            raise LoadCancelled()
        try:
            polys = _rings(feature.get("geometry") if isinstance(feature, dict) else None)
        except (ValueError, TypeError):
            invalid += 1
            continue
        if polys is None:
            other += 1
            continue
        if geographic and any((np.abs(r[:, 0]) > 180).any() or (np.abs(r[:, 1]) > 90).any() for p in polys for r in p):
            invalid += 1
            continue
        parsed.append((i, feature, polys))
    if invalid:
        warnings.append(f"{invalid} feature(s) with invalid coordinates skipped")
    if other:
        warnings.append(f"{other} feature(s) without polygon geometry ignored")
    if not parsed:
        raise LoadError(path, "no polygon features to extrude")

    everything = np.concatenate([r for _, _, polys in parsed for p in polys for r in p])
    if geographic:
        lon, lat = everything[:, 0].mean(), everything[:, 1].mean()
        if src.to_epsg() != 4326:  # a legacy geographic CRS (lat/lon order, other datum): lon/lat as in GeoJSON
            src = pyproj.CRS.from_epsg(4326)
        target = f"EPSG:{_utm_epsg(lon, lat)}"
        transformer = pyproj.Transformer.from_crs(src, target, always_xy=True)
    else:
        target = f"EPSG:{src.to_epsg()}" if src.to_epsg() else src.to_wkt()
        transformer = None
    if transformer is not None:  # one call for all coordinates, then split back into rings
        everything = np.c_[transformer.transform(everything[:, 0], everything[:, 1])]
    origin = np.zeros(3)
    ok = np.isfinite(everything).all(1)
    origin[:2] = np.round(everything[ok].mean(0)) if ok.any() else 0.0
    sizes = [len(r) for _, _, polys in parsed for p in polys for r in p]
    projected = iter(np.split(everything - origin[:2], np.cumsum(sizes)[:-1]))

    points, tris, colors, face_element, elements = [], [], [], [], []
    count = defaulted = unprojectable = 0
    for n, (i, feature, polys) in enumerate(parsed):
        if cancel is not None and n % 200 == 0 and cancel():
            raise LoadCancelled()
        props = feature.get("properties") if isinstance(feature.get("properties"), dict) else {}
        base, top, default = _heights(props)
        defaulted += default
        index = len(elements)
        for rings in polys:
            rings = [next(projected) for _ in rings]
            if not all(np.isfinite(r).all() for r in rings):  # outside the projection's domain
                unprojectable += 1
                continue
            for poly in _polygons(rings):
                pts, tri, rgb = _extrude(poly, base, top)
                points.append(pts)
                tris.append(tri + count)
                colors.append(rgb)
                face_element.append(np.full(len(tri), index, np.int32))
                count += len(pts)
        building = any(str(k).startswith("building") or k in BUILDING_KEYS for k in props)
        fid = feature.get("id", props.get("id", i))
        elements.append(ElementInfo(id=str(fid), ifc_class="Building" if building else "Feature", name=str(props.get("name") or ""),
                                    properties={str(k): _plain(v) for k, v in props.items()}))
        if progress is not None and n % 200 == 0:
            progress(n / len(parsed), f"{n:,} of {len(parsed):,} footprints")
    if unprojectable:
        warnings.append(f"{unprojectable} polygon(s) cannot be projected to {target}; skipped")
    if defaulted:
        warnings.append(f"{defaulted} feature(s) have no height or levels attribute; extruded to {DEFAULT_HEIGHT:g} m")
    if not tris:
        raise LoadError(path, "no polygon features to extrude (all footprints are degenerate)")
    move = np.eye(4)
    move[:3, 3] = origin
    return [MeshData(
        name=os.path.basename(path), kind="citymodel", format="GeoJSON", georef=Georef(kind="crs", crs=target, matrix=move),
        source=path, warnings=warnings, metadata={"features": len(elements), "skipped": invalid, "default_height": defaulted},
        vertices=np.concatenate(points), faces=np.concatenate(tris), vertex_colors=np.concatenate(colors),
        face_element=np.concatenate(face_element), elements=elements)]
