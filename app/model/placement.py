"""Placing a layer that has no georeference: the user gives the lat/lon/height of its local origin
and a rotation (the direction of its +y axis, clockwise from north). Saved as a source option,
so a project reopens it in the same place."""
from __future__ import annotations

from typing import Any, Callable

import numpy as np

from app.model.layers import Layer, MeshLayer, PointCloudLayer, TilesetLayer
from app.model.scene import Scene
from loaders.base import Georef, LayerData


def placement_georef(origin_lla: tuple[float, float, float], rotation_deg: float = 0.0,
                     shift: tuple[float, float] | None = None) -> Georef:
    """Georef for local metres whose +y points `rotation_deg` clockwise from north."""
    a = np.radians(-rotation_deg)
    m = np.eye(4)
    m[:2, :2] = [[np.cos(a), -np.sin(a)], [np.sin(a), np.cos(a)]]
    if shift is not None:
        t = np.eye(4)
        t[:2, 3] = shift
        m = m @ t
    return Georef(kind="enu", origin_lla=tuple(float(v) for v in origin_lla), matrix=m)


def _key(layer: Layer) -> str:
    return "positions" if isinstance(layer, PointCloudLayer) else "vertices"


def can_place(layer: Layer) -> bool:
    placeable = isinstance(layer, (MeshLayer, PointCloudLayer)) or layer.kind == "result"  # a raster without CRS too
    return placeable and (layer.info.get("crs") is None or "placement" in layer.info)


def needs_placement(layer: Layer) -> bool:
    """Not georeferenced and never placed: where it lands in the scene is a guess."""
    return can_place(layer) and layer.info.get("crs") is None and "placement" not in layer.info


def current_placement(layer: Layer) -> dict[str, Any]:
    """What a placement set ({"crs"} or {"origin_lla", "rotation_deg"}), so a dialog reopens on it."""
    option = layer.info.get("placement") or (layer.source or {}).get("options", {}).get("placement") or {}
    return dict(option)


def _streamed(layer: Layer) -> bool:
    return isinstance(layer, TilesetLayer) and layer.streamed


def _affine(fn: Callable[[np.ndarray], np.ndarray]) -> np.ndarray:
    """4x4 of a mapping that is affine (local ENU at one place -> scene ENU), from four points."""
    basis = np.array([[0.0, 0.0, 0.0], [1.0, 0.0, 0.0], [0.0, 1.0, 0.0], [0.0, 0.0, 1.0]])
    out = fn(basis)
    m = np.eye(4)
    m[:3, 3] = out[0]
    m[:3, :3] = (out[1:] - out[0]).T
    return m


def _place_streamed(scene: Scene, layer: Layer, georef: Georef) -> None:
    """A streamed tileset has no vertex array: its tileset -> scene matrix takes the placement."""
    data = layer.data
    local = layer.info.setdefault("local_matrix", np.asarray(data["matrix"], dtype=np.float64).copy())
    data["matrix"] = _affine(lambda p: scene.frame.to_local(p, georef)) @ local
    corners = data["tree"].world_bounds() @ data["matrix"][:3, :3].T + data["matrix"][:3, 3]
    data["bounds"] = np.array([corners.min(0), corners.max(0)])


def place_at_view(scene: Scene, layer: Layer, centre: np.ndarray) -> tuple[float, float, float] | None:
    """An ungeoreferenced layer joining others: its footprint's centre goes to `centre` (the
    view centre, scene ENU), its own z kept, instead of on top of whatever sits at the origin.
    Recorded as a placement (origin lat/lon), so a project reopens it there. Returns the origin
    given, or None when the scene has no georeference yet (then it is only shifted)."""
    b = layer.bounds()
    if b is None:
        return None
    b = np.asarray(b, dtype=np.float64)
    target = np.asarray(centre, dtype=np.float64).reshape(3)
    if not scene.frame.is_set:
        shift = np.array([target[0] - (b[0][0] + b[1][0]) / 2, target[1] - (b[0][1] + b[1][1]) / 2, 0.0])
        if _streamed(layer):
            layer.data["matrix"] = np.asarray(layer.data["matrix"], dtype=np.float64).copy()
            layer.data["matrix"][:3, 3] += shift
            layer.data["bounds"] = layer.data["bounds"] + shift
        else:
            layer.data[_key(layer)] = layer.data[_key(layer)] + shift
        layer.data_changed.emit()
        return None
    mid = np.array([(b[0][0] + b[1][0]) / 2, (b[0][1] + b[1][1]) / 2, 0.0])  # its own local coordinates
    lat, lon, h = scene.frame.enu_to_lla(target - mid)[0]
    origin = (float(lat), float(lon), float(h))
    place_layer(scene, layer, origin, 0.0)
    return origin


def place_layer(scene: Scene, layer: Layer, origin_lla: tuple[float, float, float], rotation_deg: float = 0.0) -> None:
    """Move an ungeoreferenced layer to a place on Earth (again, if it was placed before)."""
    if not can_place(layer):
        raise ValueError(f"{layer.name} is georeferenced already")
    georef = placement_georef(origin_lla, rotation_deg)
    if _streamed(layer):
        _place_streamed(scene, layer, georef)
    else:
        key = _key(layer)
        local = layer.info.setdefault("local_coords", layer.data[key].copy())  # its own coordinates, once
        layer.data[key] = scene.frame.to_local(local, georef)
        _refit_octree(layer, lambda p: scene.frame.to_local(p, georef))
    layer.info["frame_origin"] = scene.frame.origin_lla  # its coordinates are in today's frame
    option = {"origin_lla": [float(v) for v in origin_lla], "rotation_deg": float(rotation_deg)}
    if layer.info.get("recentre_shift"):
        option["shift"] = layer.info["recentre_shift"]
    layer.info["placement"] = option
    layer.info["crs"] = "EPSG:4979"
    _drop_refinement(layer)
    if layer.source is not None:
        layer.source.setdefault("options", {})["placement"] = option
    layer.data_changed.emit()


def _drop_refinement(layer: Layer) -> None:
    """A new placement starts from the file's own coordinates: an ICP refinement made on the old
    one (app/model/refinement.py) no longer holds and is not re-applied on reopening."""
    layer.info.pop("refine", None)
    if layer.source is not None:
        layer.source.get("options", {}).pop("refine", None)


def _refit_octree(layer: Layer, to_scene: Callable[[np.ndarray], np.ndarray]) -> None:
    """A cloud's octree was built on its load-time coordinates: move its cells with the points.
    Each cell's half size grows by the mapping's largest local scale, so the bounding spheres
    the LOD selection culls with still enclose their points (exact for a placement's rotation)."""
    tree = layer.data.get("octree") if isinstance(layer, PointCloudLayer) else None
    if tree is None:
        return
    centre, half = layer.info.setdefault("octree_local", (tree.center.copy(), tree.half_size.copy()))
    moved = to_scene(centre)
    step = np.maximum(half, 1e-9)
    scale = np.ones(len(half))
    for axis in range(3):
        probe = centre.copy()
        probe[:, axis] += step
        scale = np.maximum(scale, np.linalg.norm(to_scene(probe) - moved, axis=1) / step)
    tree.center, tree.half_size = moved, half * scale


def _original_coords(layer: Layer) -> np.ndarray:
    """The file's own coordinates: before any placement, and before far data was recentred."""
    local = layer.info.setdefault("local_coords", layer.data[_key(layer)].copy())
    shift = layer.info.get("recentre_shift")
    if not shift:
        return local
    original = local.copy()
    original[:, :2] -= np.asarray(shift, dtype=np.float64)
    return original


def check_crs(text: str) -> str:
    """A CRS the user typed ("4547", "EPSG:4547", WKT, PROJ) -> canonical text; ValueError says why not."""
    import pyproj

    from loaders.crs_names import normalise_crs_text

    text = text.strip()
    if text.isdigit():
        text = f"EPSG:{text}"
    text = normalise_crs_text(text)  # "CGCS2000 3度带 中央经线114°" -> EPSG:4547, as Chinese tools write it
    try:
        crs = pyproj.CRS.from_user_input(text)
    except pyproj.exceptions.CRSError:
        raise ValueError(f"'{text[:60]}' is not a coordinate reference system pyproj knows") from None
    if crs.is_geocentric:
        raise ValueError("a geocentric CRS cannot be assigned to a scan; give a projected or geographic one")
    code = crs.to_epsg(min_confidence=90)
    return f"EPSG:{code}" if code else crs.to_wkt()


def assign_crs(scene: Scene, layer: Layer, crs_text: str) -> None:
    """Declare the CRS of a layer whose file had none (or a wrong one was dropped): its own
    coordinates are re-read in that CRS. Raises ValueError (readable) when the CRS is unknown or
    the coordinates make no sense in it; the layer is then left as it was."""
    from app.model.scene import _checked

    if not can_place(layer):
        raise ValueError(f"{layer.name} is georeferenced already")
    if _streamed(layer):
        raise ValueError("a streamed tileset is placed by latitude/longitude: leave the coordinate system empty")
    crs = check_crs(crs_text)
    original = _original_coords(layer)
    georef = Georef(kind="crs", crs=crs)
    try:
        placed = _checked(scene.frame.to_local(original, georef))
    except Exception as exc:  # noqa: BLE001 - pyproj/inf: the coordinates are not in this CRS
        raise ValueError(f"the layer's coordinates do not fit {crs[:40]}: {exc}") from None
    layer.data[_key(layer)] = placed
    shift = np.zeros(3)
    if layer.info.get("recentre_shift"):
        shift[:2] = layer.info["recentre_shift"]
    _refit_octree(layer, lambda p: scene.frame.to_local(p - shift, georef))
    layer.info["placement"] = {"crs": crs}
    _drop_refinement(layer)
    layer.info["frame_origin"] = scene.frame.origin_lla
    layer.info["crs"] = georef.crs_label() or crs
    if layer.source is not None:
        layer.source.setdefault("options", {})["placement"] = {"crs": crs}
    layer.data_changed.emit()


def apply_placement_option(data: LayerData, options: dict[str, Any]) -> None:
    """On reopening a project: a placement saved for ungeoreferenced data places it again."""
    option = options.get("placement")
    if not option or data.georef.kind != "none":
        return
    if "crs" in option:
        data.georef = Georef(kind="crs", crs=str(option["crs"]))
    else:
        data.georef = placement_georef(tuple(option["origin_lla"]), option.get("rotation_deg", 0.0), option.get("shift"))
