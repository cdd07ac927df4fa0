"""IFC 2x3 / 4 / 4x3 building models via ifcopenshell.

All products are triangulated by ifcopenshell's multi-threaded geometry iterator in world
coordinates (metres) and merged into one MeshData whose `face_element` maps every triangle
back to its IfcProduct, so picking and property panels work on one VTK actor.
"""
from __future__ import annotations

import math
import multiprocessing
import os
from typing import Any

import numpy as np

from loaders.base import Cancel, ElementInfo, Georef, LayerData, LoadCancelled, LoadError, MeshData, Progress
from loaders.registry import register_loader

SKIP_CLASSES = ("IfcOpeningElement", "IfcSpace")
CLASS_COLORS: dict[str, tuple[float, float, float, float]] = {
    "IfcWall": (0.85, 0.85, 0.80, 1.0),
    "IfcSlab": (0.70, 0.70, 0.70, 1.0),
    "IfcRoof": (0.65, 0.30, 0.25, 1.0),
    "IfcWindow": (0.60, 0.80, 0.95, 0.4),
    "IfcDoor": (0.60, 0.45, 0.30, 1.0),
    "IfcColumn": (0.75, 0.75, 0.75, 1.0),
    "IfcBeam": (0.75, 0.70, 0.60, 1.0),
    "IfcStair": (0.70, 0.65, 0.60, 1.0),
    "IfcRailing": (0.40, 0.40, 0.40, 1.0),
    "IfcSite": (0.45, 0.60, 0.35, 1.0),
    "IfcFurnishingElement": (0.80, 0.60, 0.40, 1.0),
}
DEFAULT_COLOR = (0.80, 0.80, 0.80, 1.0)
NON_3D_IDS = {"Axis", "FootPrint", "Annotation", "Profile", "Lighting", "Reference2D"}
NON_3D_TYPES = {"Annotation2D", "Curve2D", "Point", "GeometricCurveSet", "Curve", "Curve3D"}


def _sniff(head: bytes) -> bool:
    return head.lstrip(b"\xef\xbb\xbf \r\n\t").startswith(b"ISO-10303-21")


def _default_color(product) -> tuple[float, float, float, float]:
    for cls, color in CLASS_COLORS.items():
        if product.is_a(cls):
            return color
    return DEFAULT_COLOR


def _has_3d(product) -> bool:
    """A product with a body-like representation (plan annotations and axes are not 3D geometry)."""
    rep = getattr(product, "Representation", None)
    if rep is None:
        return False
    for r in rep.Representations or ():
        if (r.RepresentationIdentifier or "Body") not in NON_3D_IDS and (r.RepresentationType or "") not in NON_3D_TYPES:
            return True
    return False


def _plain(value: Any) -> Any:
    """Property values for the UI: scalars as they are, anything else as a short string."""
    if value is None or isinstance(value, (bool, int, float, str)):
        return value
    return str(value)[:200]


def _properties(product) -> dict[str, Any]:
    import ifcopenshell.util.element

    try:
        psets = ifcopenshell.util.element.get_psets(product)
    except Exception:  # noqa: BLE001 - a malformed pset must not lose the element
        return {}
    out: dict[str, Any] = {}
    for pset, props in psets.items():
        for key, value in props.items():
            if key != "id":
                out[f"{pset}.{key}"] = _plain(value)
    return out


def _compound_degrees(parts) -> float | None:
    """IfcCompoundPlaneAngleMeasure (deg, min, sec[, millionths]) -> decimal degrees."""
    if not parts or len(parts) < 3:
        return None
    vals = [float(p) for p in parts] + [0.0]
    return vals[0] + vals[1] / 60.0 + vals[2] / 3600.0 + vals[3] / 3.6e9


def _map_conversion(f, unit_scale: float) -> Georef | None:
    """IfcMapConversion (IFC4+) or ePSet_MapConversion (IFC2x3) -> 'crs' georef."""
    import ifcopenshell.util.geolocation as geo

    params = geo.get_helmert_transformation_parameters(f)
    if params is None:
        return None
    crs_info = geo.get_crs(f) or {}
    name = crs_info.get("Name") if isinstance(crs_info, dict) else None
    if not name:
        return None
    crs = str(name).strip()
    if crs.upper().startswith("EPSG") and ":" not in crs:
        crs = "EPSG:" + crs[4:].lstrip(" :")
    elif crs.isdigit():
        crs = f"EPSG:{crs}"
    norm = math.hypot(params.xaa, params.xao) or 1.0
    c, s = params.xaa / norm, params.xao / norm
    # Vertices are in metres; Scale maps project units to map units.
    k = float(params.scale) / unit_scale
    m = np.eye(4)
    m[:2, :2] = np.array([[c, -s], [s, c]]) * k
    m[0, 0] *= params.factor_x
    m[1, 1] *= params.factor_y
    m[2, 2] = k * params.factor_z
    m[:3, 3] = [params.e, params.n, params.h]
    return Georef(kind="crs", crs=crs, matrix=m)


def _site_georef(f, unit_scale: float) -> Georef | None:
    """IfcSite RefLatitude/RefLongitude -> 'enu' georef rotated so TrueNorth is +y."""
    sites = f.by_type("IfcSite")
    site = next((s for s in sites if s.RefLatitude and s.RefLongitude), None)
    if site is None:
        return None
    lat, lon = _compound_degrees(site.RefLatitude), _compound_degrees(site.RefLongitude)
    if lat is None or lon is None or abs(lat) > 90 or abs(lon) > 180:
        return None
    elev = float(site.RefElevation or 0.0) * unit_scale
    north = (0.0, 1.0)
    for ctx in f.by_type("IfcGeometricRepresentationContext", include_subtypes=False):
        tn = getattr(ctx, "TrueNorth", None)
        if tn is not None and len(tn.DirectionRatios) >= 2:
            north = (float(tn.DirectionRatios[0]), float(tn.DirectionRatios[1]))
            break
    # Rotate by a so that the TrueNorth direction lands on +y.
    a = math.pi / 2 - math.atan2(north[1], north[0]) if any(north) else 0.0
    rot = np.eye(4)
    rot[:2, :2] = [[math.cos(a), -math.sin(a)], [math.sin(a), math.cos(a)]]
    origin = np.zeros(3)
    try:
        import ifcopenshell.util.placement

        if site.ObjectPlacement is not None:
            origin = ifcopenshell.util.placement.get_local_placement(site.ObjectPlacement)[:3, 3] * unit_scale
    except Exception:  # noqa: BLE001 - fall back to the world origin
        pass
    shift = np.eye(4)
    shift[:3, 3] = -origin
    return Georef(kind="enu", origin_lla=(lat, lon, elev), matrix=rot @ shift)


def _georef(f, warnings: list[str]) -> Georef:
    import ifcopenshell.util.unit

    try:
        unit_scale = float(ifcopenshell.util.unit.calculate_unit_scale(f)) or 1.0
    except Exception:  # noqa: BLE001
        unit_scale = 1.0
    for finder in (_map_conversion, _site_georef):
        try:
            g = finder(f, unit_scale)
        except Exception as exc:  # noqa: BLE001 - broken georeferencing: say so and go on
            warnings.append(f"georeferencing data is unreadable ({type(exc).__name__}); ignored")
            g = None
        if g is not None:
            return g
    warnings.append("no georeferencing (no IfcMapConversion, no IfcSite latitude/longitude); placed at the scene origin")
    return Georef(kind="none")


def _open(path: str):
    import ifcopenshell

    try:
        return ifcopenshell.open(path)
    except Exception as exc:  # noqa: BLE001 - ifcopenshell.Error, SchemaError, RuntimeError...
        reason = str(exc).strip().splitlines()[0][:200] if str(exc).strip() else type(exc).__name__
        raise LoadError(path, f"not a readable IFC file: {reason}") from None


@register_loader(".ifc", sniff=_sniff, priority=10, name="IFC")
def read_ifc(path: str, *, progress: Progress | None = None, cancel: Cancel | None = None) -> list[LayerData]:
    """Read an IFC file into one 'bim' MeshData with one ElementInfo per product."""
    import ifcopenshell.geom

    f = _open(path)
    warnings: list[str] = []
    with open(path, "rb") as fh:
        fh.seek(max(0, os.path.getsize(path) - 256))
        if b"END-ISO-10303-21" not in fh.read():
            warnings.append("file is truncated (no END-ISO-10303-21 trailer); loaded what was readable")
    try:
        products = [p for p in f.by_type("IfcProduct") if not any(p.is_a(c) for c in SKIP_CLASSES)]
    except Exception as exc:  # noqa: BLE001
        raise LoadError(path, f"not a readable IFC file: {exc}") from None
    with_repr = [p for p in products if _has_3d(p)]
    if not with_repr:
        raise LoadError(path, "no geometry: the file has no products with a 3D representation")

    settings = ifcopenshell.geom.settings()
    settings.set("use-world-coords", True)
    try:
        it = ifcopenshell.geom.iterator(settings, f, max(1, multiprocessing.cpu_count()), include=with_repr)
        started = it.initialize()
    except Exception as exc:  # noqa: BLE001
        raise LoadError(path, f"geometry could not be computed: {exc}") from None
    if not started:
        raise LoadError(path, "no geometry: the file has no products with a 3D representation")

    verts: list[np.ndarray] = []
    faces: list[np.ndarray] = []
    face_el: list[np.ndarray] = []
    elements: list[ElementInfo] = []
    n_verts = 0
    while True:
        if cancel is not None and cancel():
            raise LoadCancelled()
        shape = it.get()
        geom = shape.geometry
        v = np.frombuffer(geom.verts_buffer, dtype=np.float64).reshape(-1, 3)
        tri = np.frombuffer(geom.faces_buffer, dtype=np.int32).reshape(-1, 3)
        if len(tri) and len(v) and int(tri.max()) < len(v):
            product = f.by_id(shape.id)
            color = _default_color(product)
            mats = geom.materials
            if len(mats):
                ids = np.frombuffer(geom.material_ids_buffer, dtype=np.int32)
                pick = int(np.bincount(ids[ids >= 0]).argmax()) if (ids >= 0).any() else 0
                style = mats[min(pick, len(mats) - 1)]
                rgb = style.get_color()
                alpha = 1.0 - float(style.transparency) if style.has_transparency() else 1.0
                color = (float(rgb.r()), float(rgb.g()), float(rgb.b()), max(0.0, min(1.0, alpha)))
            idx = len(elements)
            elements.append(
                ElementInfo(
                    id=str(product.GlobalId),
                    ifc_class=product.is_a(),
                    name=str(getattr(product, "Name", None) or ""),
                    properties=_properties(product),
                    color=color,
                )
            )
            verts.append(v.copy())
            faces.append(tri.astype(np.int64) + n_verts)
            face_el.append(np.full(len(tri), idx, dtype=np.int32))
            n_verts += len(v)
        if progress is not None:
            progress(min(1.0, it.progress() / 100.0), f"{len(elements)} elements")
        if not it.next():
            break

    if not elements:
        raise LoadError(path, "no geometry: the file has no products with a 3D representation")
    skipped = len(with_repr) - len(elements)
    if skipped:
        warnings.append(f"{skipped} products have no usable geometry and were skipped")
    georef = _georef(f, warnings)
    metadata = {"schema": f.schema, "storeys": len(f.by_type("IfcBuildingStorey")), "skipped": skipped}
    if progress is not None:
        progress(1.0, f"{len(elements)} elements")
    return [
        MeshData(
            name=os.path.basename(path),
            kind="bim",
            format=str(f.schema),
            georef=georef,
            source=path,
            warnings=warnings,
            metadata=metadata,
            vertices=np.concatenate(verts),
            faces=np.concatenate(faces),
            face_element=np.concatenate(face_el),
            elements=elements,
        )
    ]
