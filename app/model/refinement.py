"""A refined alignment (ICP) applied to a layer and saved with the project. No Qt, no VTK.

Why ECEF: the refinement is a rigid 4x4 found in the scene's ENU frame, but the scene's origin can
move (View > Scene origin) and a project may reopen with another origin. Stored as the same motion
expressed in ECEF (T_ecef = E T E^-1, E = ENU -> ECEF of the frame it was found in) it is exact in
any frame: on reopening, `apply_refine_option` turns it back into the frame of the day. Without a
georeferenced frame (everything local) it is stored as the local matrix.

The option lives beside the placement in the layer's source options ("refine"), so the project
file keeps it; successive refinements compose. Applying it replaces the coordinate array and the
octree's cell centres (never edits them in place), so `app.model.undo.placement_step` can undo it.
"""
from __future__ import annotations

from typing import Any

import numpy as np

from app.model.frame import enu_to_ecef_matrix
from app.model.layers import Layer, MeshLayer, PointCloudLayer, TilesetLayer
from app.model.scene import Scene

OPTION = "refine"


def can_refine(layer: Layer) -> bool:
    """Point clouds and meshes whose coordinates are held (a streamed tileset or COPC has none)."""
    if isinstance(layer, TilesetLayer) and layer.streamed:
        return False
    if isinstance(layer, PointCloudLayer):
        return len(layer.positions) > 0 and not layer.info.get("copc")
    return isinstance(layer, MeshLayer) and len(layer.data.get("vertices", ())) > 0


def _key(layer: Layer) -> str:
    return "positions" if isinstance(layer, PointCloudLayer) else "vertices"


def _check_rigid(t: np.ndarray) -> np.ndarray:
    t = np.asarray(t, dtype=np.float64)
    if t.shape != (4, 4) or not np.isfinite(t).all():
        raise ValueError("a refinement is a finite 4x4 matrix")
    r = t[:3, :3]
    if not np.allclose(r @ r.T, np.eye(3), atol=1e-6) or np.linalg.det(r) < 0 or not np.allclose(t[3], [0, 0, 0, 1]):
        raise ValueError("a refinement must be a rigid motion (rotation and translation)")
    return t


def _move(layer: Layer, t: np.ndarray) -> None:
    key = _key(layer)
    pts = np.asarray(layer.data[key], dtype=np.float64)
    layer.data[key] = pts @ t[:3, :3].T + t[:3, 3]           # a new array: undo keeps the old one
    tree = layer.data.get("octree") if isinstance(layer, PointCloudLayer) else None
    if tree is not None:                                      # rigid: cells move, their spheres keep their size
        tree.center = np.asarray(tree.center) @ t[:3, :3].T + t[:3, 3]
    layer.data.pop("value_ranges", None)                      # elevation ramps follow the new heights


def _to_option(scene: Scene, t: np.ndarray) -> dict[str, Any]:
    if scene.frame.is_set:
        e = enu_to_ecef_matrix(*scene.frame.origin_lla)      # type: ignore[misc]
        return {"ecef": (e @ t @ np.linalg.inv(e)).tolist()}
    return {"local": t.tolist()}


def _from_option(scene: Scene, option: dict[str, Any]) -> np.ndarray:
    if "ecef" in option:
        if not scene.frame.is_set:
            raise ValueError("the refinement was saved in a georeferenced scene, but the scene has no origin")
        e = enu_to_ecef_matrix(*scene.frame.origin_lla)      # type: ignore[misc]
        return _check_rigid(np.linalg.inv(e) @ np.asarray(option["ecef"], dtype=np.float64) @ e)
    return _check_rigid(np.asarray(option.get("local"), dtype=np.float64))


def _compose(scene: Scene, earlier: dict[str, Any] | None, t: np.ndarray) -> dict[str, Any]:
    if not earlier:
        return _to_option(scene, t)
    return _to_option(scene, t @ _from_option(scene, earlier))


def refine_layer(scene: Scene, layer: Layer, transform: np.ndarray) -> None:
    """Move the layer by a rigid 4x4 (scene ENU) and record it as its "refine" source option.
    Wrap in `app.model.undo.placement_step` to make it one undoable step."""
    if not can_refine(layer):
        raise ValueError(f"{layer.name} has no coordinates to refine here")
    t = _check_rigid(transform)
    option = _compose(scene, layer.info.get(OPTION), t)
    _move(layer, t)
    layer.info[OPTION] = option
    if layer.source is not None:
        layer.source.setdefault("options", {})[OPTION] = option
    layer.data_changed.emit()


def apply_refine_option(scene: Scene, layer: Layer, option: dict[str, Any] | None) -> None:
    """On reopening a project: the saved refinement moves the freshly loaded layer again."""
    if not option or not can_refine(layer):
        return
    _move(layer, _from_option(scene, option))
    layer.info[OPTION] = dict(option)


def current_refinement(scene: Scene, layer: Layer) -> np.ndarray | None:
    """The refinement applied so far (scene ENU 4x4), or None."""
    option = layer.info.get(OPTION)
    return _from_option(scene, option) if option else None
