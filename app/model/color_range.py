"""Colour ramp ranges that do not move while the user navigates, and heights users can read.

Why here (no VTK, no Qt): the visuals colour with these ranges and the layer dock shows and
edits them; both must agree. Values are in display units: elevations are absolute heights
(scene z + the origin's height, or heights in the display CRS's vertical datum), so a range
the user typed stays right when the scene origin moves.
"""
from __future__ import annotations

from functools import lru_cache

import numpy as np

from app.model.frame import SceneFrame
from app.model.layers import Layer, MeshLayer, PointCloudLayer, TilesetLayer


@lru_cache(maxsize=32)
def _vertical_datum(crs_text: str) -> str | None:
    import pyproj

    try:
        crs = pyproj.CRS.from_user_input(crs_text)
    except Exception:  # noqa: BLE001 - an unknown CRS has no datum to name
        return None
    for sub in crs.sub_crs_list if crs.is_compound else []:
        if sub.is_vertical:
            return sub.name
    return None


def height_datum(frame: SceneFrame) -> tuple[float, str]:
    """(offset added to scene z, unit label): the display CRS's vertical datum when it has one,
    else ellipsoidal heights; local heights when the scene is not georeferenced."""
    if not frame.is_set:
        return 0.0, "m, local"
    if frame.display_crs and (datum := _vertical_datum(frame.display_crs)):
        try:
            z = float(frame.enu_to_crs(np.zeros((1, 3)), frame.display_crs)[0, 2])
            if np.isfinite(z):
                return z, f"m, {datum}"
        except Exception:  # noqa: BLE001 - no geoid grid here: fall back to the ellipsoid
            pass
    return float(frame.origin_lla[2]), "m, ellipsoidal"


def value_offset(mode: str, frame: SceneFrame) -> float:
    return height_datum(frame)[0] if mode == "elevation" else 0.0


def overview_ranges(contents: list, names: list[str]) -> dict[str, tuple[float, float]]:
    """2nd-98th percentile of each numeric property over tile contents that sample the whole
    dataset (a COPC root node), so that colours do not change as finer tiles stream in."""
    out: dict[str, tuple[float, float]] = {}
    for name in names:
        arrays = [np.asarray(props[name]) for c in contents
                  if isinstance(props := (getattr(c, "properties", None) or {}), dict) and name in props]
        arrays = [a for a in arrays if a.ndim == 1 and len(a) and np.issubdtype(a.dtype, np.number) and a.dtype != bool]
        if arrays:
            lo, hi = (float(v) for v in np.percentile(np.concatenate(arrays).astype(np.float64), [2, 98]))
            out[name] = (lo, hi if hi > lo else lo + 1.0)
    return out


def tileset_ranges(layer: TilesetLayer) -> dict[str, tuple[float, float]]:
    """A streamed tileset's property ranges: tileset.json's declared minimum/maximum, else the
    overview read at open (the root tile). Computed once per layer."""
    cache = layer.data.setdefault("value_ranges", {})
    if "properties" not in cache:
        declared = dict(getattr(layer.data.get("tree"), "properties", None) or {})
        root = (layer.data.get("preloaded") or {}).get(0) or []
        undeclared = [k for k, v in declared.items() if v is None]
        cache["properties"] = {**overview_ranges(root, undeclared),
                               **{k: (float(v[0]), float(v[1])) for k, v in declared.items() if v is not None}}
    return cache["properties"]


def data_range(layer: Layer, mode: str) -> tuple[float, float] | None:
    """The whole layer's range for a mode, in scene units (None: not a numeric mode, or not
    known before the tiles that carry it load)."""
    if isinstance(layer, PointCloudLayer):
        return layer.data_range(mode)
    if getattr(layer, "kind", "") == "result":  # app.model.results: any array, over every time step
        return layer.data_range(mode)  # type: ignore[attr-defined]
    if isinstance(layer, TilesetLayer) and layer.streamed:
        if mode == "elevation":
            b = layer.bounds()
            return None if b is None else (float(b[0][2]), float(max(b[1][2], b[0][2] + 1e-6)))
        return tileset_ranges(layer).get(mode[len("property:"):]) if mode.startswith("property:") else None
    if isinstance(layer, MeshLayer):
        if mode == "elevation":
            b = layer.bounds()
            return None if b is None else (float(b[0][2]), float(max(b[1][2], b[0][2] + 1e-6)))
        if mode.startswith("property:") and layer.elements:
            values = layer.element_values(mode)
            if any(isinstance(v, bool) or not isinstance(v, (int, float, np.integer, np.floating))
                   for v in values if v is not None):
                return None  # categories: no ramp
            numbers = np.array([np.nan if v is None else float(v) for v in values])
            finite = numbers[np.isfinite(numbers)]
            if len(finite):
                lo, hi = float(finite.min()), float(finite.max())
                return lo, (hi if hi > lo else lo + 1.0)
    return None


def shown_range(layer: Layer, mode: str, frame: SceneFrame) -> tuple[float, float] | None:
    """The range the ramp spans, in display units: the user's limits, else the data's."""
    if mode in layer.color_limits:
        return layer.color_limits[mode]
    rng = data_range(layer, mode)
    if rng is None:
        return None
    off = value_offset(mode, frame)
    return rng[0] + off, rng[1] + off
