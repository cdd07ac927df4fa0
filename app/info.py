"""`twinscape info`: what a file holds and where it is, without drawing it."""
from __future__ import annotations

from typing import Any

import numpy as np

from app.model.frame import SceneFrame, _transformer
from app.model.project import is_project, read_project
from loaders.base import LayerData
from loaders.registry import load

COUNT_KEYS = ("points", "triangles", "elements", "tiles", "tasks", "bookmarks")


def _corners(b: np.ndarray) -> np.ndarray:
    return np.array([[b[i][0], b[j][1], b[k][2]] for i in (0, 1) for j in (0, 1) for k in (0, 1)])


def _native_bounds(data: LayerData) -> np.ndarray | None:
    """Bounds in the data's georeferenced coordinates (the CRS's, ECEF, or local metres)."""
    b = data.local_bounds()
    if b is None:
        return None
    pts = _corners(b) @ data.georef.matrix[:3, :3].T + data.georef.matrix[:3, 3]
    return np.array([pts.min(0), pts.max(0)])


def _lla_bounds(data: LayerData) -> np.ndarray | None:
    b = data.local_bounds()
    if b is None or data.georef.kind == "none":
        return None
    ecef = SceneFrame().georef_to_ecef(_corners(b), data.georef)
    lon, lat, h = _transformer("EPSG:4978", "EPSG:4979").transform(ecef[:, 0], ecef[:, 1], ecef[:, 2])
    lla = np.stack([lat, lon, h], -1)
    return np.array([lla.min(0), lla.max(0)])


def describe(path: str) -> dict[str, Any]:
    if is_project(path):
        spec = read_project(path)
        return {"path": path, "kind": "project", "format": "Twinscape project v1", "crs": spec.frame.display_crs,
                "bounds": None, "origin_lla": list(spec.frame.origin_lla) if spec.frame.origin_lla else None,
                "name": spec.name, "layers": len(spec.layers), "bookmarks": len(spec.bookmarks)}
    datas = load(path)
    first = datas[0]
    out: dict[str, Any] = {"path": path, "kind": first.kind, "format": first.format, "crs": first.georef.crs_label()}
    if first.georef.kind == "enu" and first.georef.origin_lla is not None:
        out["origin_lla"] = list(first.georef.origin_lla)
    natives = [b for b in (_native_bounds(d) for d in datas) if b is not None]
    out["bounds"] = [np.min([b[0] for b in natives], 0), np.max([b[1] for b in natives], 0)] if natives else None
    llas = [b for b in (_lla_bounds(d) for d in datas) if b is not None]
    out["bounds_lla"] = [np.min([b[0] for b in llas], 0), np.max([b[1] for b in llas], 0)] if llas else None
    counts: dict[str, int] = {}
    for d in datas:
        for key, value in d.counts().items():
            counts[key] = counts.get(key, 0) + int(value)
    out.update(counts)
    for key in ("schema", "storeys", "skipped", "point_format", "version"):
        for d in datas:
            if key in d.metadata:
                out[key] = d.metadata[key]
                break
    if getattr(first, "contents", None) is not None and first.kind in ("tileset", "tile"):
        out["contents"] = getattr(first, "contents")
        out["geometric_error"] = getattr(first, "geometric_error", None)
    warnings = [w for d in datas for w in d.warnings]
    if warnings:
        out["warnings"] = warnings[:20]
    return out
