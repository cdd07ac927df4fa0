"""IFC georeferencing: IfcMapConversion (IFC4) or ePSet_MapConversion (IFC2x3) to a projected CRS,
else IfcSite RefLatitude/RefLongitude/RefElevation with true north, else none."""
from __future__ import annotations

import math

import numpy as np

from loaders.base import Georef


def _compound_degrees(parts) -> float | None:
    """IfcCompoundPlaneAngleMeasure (deg, min, sec[, millionths]) -> decimal degrees."""
    if not parts or len(parts) < 3:
        return None
    vals = [float(p) for p in parts] + [0.0]
    return vals[0] + vals[1] / 60.0 + vals[2] / 3600.0 + vals[3] / 3.6e9


def _scale_or_units(f, crs_info, scale: float, unit_scale: float) -> float:
    """IfcMapConversion.Scale, or, when the file leaves it out (common: a model in millimetres with a
    map in metres, exported without Scale), the factor from the project's length unit to the
    IfcProjectedCRS MapUnit, so the model is not placed 1000 times too large."""
    ops = f.by_type("IfcMapConversion") if f.schema != "IFC2X3" else []
    unit = crs_info.get("MapUnit") if isinstance(crs_info, dict) else None
    if not ops or ops[0].Scale is not None or unit is None:
        return scale
    import ifcopenshell.util.unit

    try:
        map_scale = float(ifcopenshell.util.unit.get_named_unit_scale(unit))
    except Exception:  # noqa: BLE001 - an unusable MapUnit: keep the stated (default) Scale
        return scale
    return unit_scale / map_scale if map_scale > 0 else scale


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
    k = _scale_or_units(f, crs_info, float(params.scale), unit_scale) / unit_scale
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
