"""Placing a layer that has no georeference: the user gives the lat/lon/height of its local origin
and a rotation (the direction of its +y axis, clockwise from north). Saved as a source option,
so a project reopens it in the same place."""
from __future__ import annotations

from typing import Any

import numpy as np

from app.model.layers import Layer, MeshLayer, PointCloudLayer
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
    return isinstance(layer, (MeshLayer, PointCloudLayer)) and (layer.info.get("crs") is None or "placement" in layer.info)


def place_layer(scene: Scene, layer: Layer, origin_lla: tuple[float, float, float], rotation_deg: float = 0.0) -> None:
    """Move an ungeoreferenced layer to a place on Earth (again, if it was placed before)."""
    if not can_place(layer):
        raise ValueError(f"{layer.name} is georeferenced already")
    key = _key(layer)
    local = layer.info.setdefault("local_coords", layer.data[key].copy())  # its own coordinates, once
    layer.data[key] = scene.frame.to_local(local, placement_georef(origin_lla, rotation_deg))
    option = {"origin_lla": [float(v) for v in origin_lla], "rotation_deg": float(rotation_deg)}
    if layer.info.get("recentre_shift"):
        option["shift"] = layer.info["recentre_shift"]
    layer.info["placement"] = option
    layer.info["crs"] = "EPSG:4979"
    if layer.source is not None:
        layer.source.setdefault("options", {})["placement"] = option
    layer.data_changed.emit()


def apply_placement_option(data: LayerData, options: dict[str, Any]) -> None:
    """On reopening a project: a placement saved for ungeoreferenced data places it again."""
    option = options.get("placement")
    if option and data.georef.kind == "none":
        data.georef = placement_georef(tuple(option["origin_lla"]), option.get("rotation_deg", 0.0), option.get("shift"))
