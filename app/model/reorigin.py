"""Moving the scene origin: every layer, the camera and the bookmarks re-expressed in a new
local east-north-up frame, in float64, with one exact rigid matrix per move.

Why: the scene frame is a tangent plane at one place. Data 12,000 km away sits thousands of
km below that plane, tilted, and beyond float32 precision; moving the origin to it makes it
local again, while everything else keeps its place on Earth (so bookmarks still show the
same place)."""
from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np

from app.model.layers import Layer, PointCloudLayer, TilesetLayer

if TYPE_CHECKING:
    from app.model.scene import Camera

FAR_LAYER_M = 100_000.0  # a layer farther than this from the origin gets a notice: move the origin


def transform_points(matrix: np.ndarray, pts: np.ndarray) -> np.ndarray:
    pts = np.asarray(pts, dtype=np.float64)
    return pts @ matrix[:3, :3].T + matrix[:3, 3]


def transform_camera(matrix: np.ndarray, cam: "Camera") -> "Camera":
    from app.model.scene import Camera

    pos, focal = transform_points(matrix, np.array([cam.position, cam.focal_point]))
    up = matrix[:3, :3] @ np.asarray(cam.view_up, dtype=np.float64)
    return Camera(tuple(float(v) for v in pos), tuple(float(v) for v in focal), tuple(float(v) for v in up),
                  cam.view_angle)


def _box_corners(bounds: np.ndarray) -> np.ndarray:
    lo, hi = np.asarray(bounds, dtype=np.float64)
    return np.array([[x, y, z] for x in (lo[0], hi[0]) for y in (lo[1], hi[1]) for z in (lo[2], hi[2])])


def transform_layer(layer: Layer, matrix: np.ndarray) -> None:
    """Re-express a layer's scene coordinates with a rigid matrix (no event: callers emit).

    Point clouds and meshes move their float64 arrays; a cloud's octree moves its cell centres
    (culling uses bounding spheres, which a rotation keeps); a streamed tileset only composes
    its tileset -> scene matrix, its tiles stay relative to their own centres."""
    data: dict[str, Any] = layer.data if isinstance(layer.data, dict) else {}
    if isinstance(layer, TilesetLayer) and layer.streamed:
        data["matrix"] = matrix @ np.asarray(data["matrix"], dtype=np.float64)
        corners = data["tree"].world_bounds()
        local = transform_points(data["matrix"], corners)
        data["bounds"] = np.array([local.min(0), local.max(0)])
        return
    key = "positions" if isinstance(layer, PointCloudLayer) else "vertices"
    if key in data and len(data[key]):
        data[key] = transform_points(matrix, data[key])
    tree = data.get("octree")
    if tree is not None:
        tree.center = transform_points(matrix, tree.center)


def layer_sample(layer: Layer, max_points: int = 100_000) -> np.ndarray | None:
    """Scene points that outline a layer (a strided sample of its vertices, or its tileset's
    root box), for finding its ground level in another frame; None when it has no extent."""
    data = layer.data if isinstance(layer.data, dict) else {}
    if isinstance(layer, TilesetLayer) and layer.streamed:
        return transform_points(np.asarray(data["matrix"], dtype=np.float64), data["tree"].world_bounds())
    key = "positions" if isinstance(layer, PointCloudLayer) else "vertices"
    pts = data.get(key)
    if pts is None or not len(pts):
        b = layer.bounds()
        return None if b is None else _box_corners(b)
    return np.asarray(pts[:: max(1, len(pts) // max_points)], dtype=np.float64)


def far_message(name: str, distance_m: float) -> str:
    """The one wording of the far-layer notice, shared by the status bar and the notice area."""
    return (f"{name}: {distance_m / 1000:,.0f} km from the scene origin: "
            "View > Scene origin > Move to this layer")
