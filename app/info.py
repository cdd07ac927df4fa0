"""`twinscape info`: what a file holds and where it is, without drawing it.

For a 3D Tiles tileset, `bounds` is the root bounding volume's axis-aligned box in the tileset's
world frame (`bounds_frame`: "ecef" = EPSG:4978 metres when the tileset is on the globe, else
"tileset" = its own local units), computed from tileset.json alone; contents are only read with
`deep` (then `points`, `triangles`, `features` are added).

For LAS/LAZ (COPC included) `info` reads the header, VLRs and LAZ chunk table only: count,
bounds and CRS cost the same for 1,000 or 20M points (`bounds_from`: "header"). `deep` decodes
every point once in bounded runs (count checked, true bounds: `bounds_from`: "points"), as does
a header whose bounds cannot be right.
"""
from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import numpy as np
from pyproj.exceptions import ProjError

from app.model.frame import SceneFrame, _transformer
from app.model.project import is_project, read_project
from app.model.tours import missing_message
from loaders.base import LayerData
from loaders.registry import load

COUNT_KEYS = ("points", "triangles", "elements", "tiles", "tasks")


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
    try:
        ecef = SceneFrame().georef_to_ecef(_corners(b), data.georef)
    except (ValueError, ProjError) as exc:  # bounds the CRS cannot place (a point 20,000 km out): say so
        data.warnings.append(f"no lat/lon bounds: {exc}")
        return None
    lon, lat, h = _transformer("EPSG:4978", "EPSG:4979").transform(ecef[:, 0], ecef[:, 1], ecef[:, 2])
    lla = np.stack([lat, lon, h], -1)
    return np.array([lla.min(0), lla.max(0)])


def _loader_name(path: str) -> str | None:
    """The registry's choice (so a GeoJSON or CityJSON .json is never mistaken for a tileset), or
    None for a URL or a path the loader itself should explain."""
    from loaders.base import LoadError
    from loaders.registry import find_loader

    if "://" in path:
        return None
    try:
        return find_loader(path).name
    except LoadError:
        return None


def describe_tileset(path: str, deep: bool = False) -> dict[str, Any]:
    """Tile tree summary from the JSON (plus subtree files); with `deep`, every content parsed."""
    from loaders._binary import read_file
    from loaders.base import LoadError
    from loaders.bounding_volume import on_globe
    from loaders.tiles3d import parse_content, walk_tileset

    if os.path.isdir(path):
        path = os.path.join(path, "tileset.json")
    walk = walk_tileset(path, every_level=True)
    pts = walk.bounds_points
    globe = on_globe(pts)
    out: dict[str, Any] = {"path": path, "kind": "tileset", "format": "3D Tiles 1.1" if walk.version.startswith("1.1") else "3D Tiles 1.0",
                           "crs": "EPSG:4978" if globe else None, "tiles": walk.tiles, "contents": len(walk.contents),
                           "geometric_error": walk.geometric_error,
                           "bounds": [pts.min(0), pts.max(0)] if pts is not None else None, "bounds_frame": "ecef" if globe else "tileset"}
    if globe:
        lon, lat, h = _transformer("EPSG:4978", "EPSG:4979").transform(pts[:, 0], pts[:, 1], pts[:, 2])
        lla = np.stack([lat, lon, h], -1)
        out["bounds_lla"] = [lla.min(0), lla.max(0)]
    warnings = list(walk.warnings)
    if deep:
        counts = {"points": 0, "triangles": 0, "features": 0}
        root = os.path.dirname(path) or "."
        for ref in walk.contents:
            try:
                parts = parse_content(read_file(ref.path), ref.transform, y_up=ref.y_up, base_dir=os.path.dirname(ref.path), root_dir=root)
            except (ValueError, MemoryError) as exc:
                warnings.append(f"content '{ref.uri}' skipped: {exc}")
                continue
            for part in parts:
                counts["points"] += len(part.geometry.points)
                counts["triangles"] += len(part.geometry.faces)
                counts["features"] += int(part.batch_length or 0)
        out.update(counts)
    if not walk.tiles:
        raise LoadError(path, "the tileset has no tiles" + (f" ({warnings[0]})" if warnings else ""))
    if warnings:
        out["warnings"] = warnings[:20]
    return out


def describe(path: str, deep: bool = False) -> dict[str, Any]:
    """One JSON-able summary of a file; `deep` reads every content of a tileset and every point
    of a LAS/LAZ file (in bounded runs). Without it a LAS/LAZ answer costs one header read."""
    loader = _loader_name(path)
    if loader == "3D Tiles tileset":
        from loaders.registry import loader_errors

        with loader_errors(path, "3D Tiles tileset"):
            return describe_tileset(path, deep)
    if is_project(path):
        spec = read_project(path)
        out = {"path": path, "kind": "project", "format": "Twinscape project v1", "crs": spec.frame.display_crs,
               "bounds": None, "origin_lla": list(spec.frame.origin_lla) if spec.frame.origin_lla else None,
               "name": spec.name, "layers": len(spec.layers), "bookmarks": [b.name for b in spec.bookmarks],
               "tours": [t.name for t in spec.tours]}
        tour_problems = [m for m in (missing_message(t, spec.bookmarks) for t in spec.tours) if m]
        missing = [layer for layer in spec.layers if layer.missing]
        if missing:  # a moved project says which files it could not find, and where it looked
            out["missing"] = [{"path": layer.path, "tried": layer.tried} for layer in missing]
            out["warnings"] = [f"{len(missing)} of {len(spec.layers)} layers are missing: "
                               + "; ".join(f"{Path(m.path).name} (tried {', '.join(m.tried)})" for m in missing[:5])]
        if tour_problems:
            out["warnings"] = out.get("warnings", []) + tour_problems
        return out
    if loader == "LAS/LAZ":
        from loaders.las import summarize_las
        from loaders.registry import loader_errors

        with loader_errors(path, "LAS/LAZ"):
            summary = summarize_las(path, deep=deep)
        return {**_describe_datas(path, [summary]), "bounds_from": summary.bounds_from}
    datas = load(path)
    if datas and datas[0].kind == "schedule":  # no geometry: tasks and dates instead of bounds
        from loaders.schedule import describe_schedule

        return describe_schedule(path, datas[0])  # type: ignore[arg-type]
    return _describe_datas(path, datas)


def _describe_datas(path: str, datas: list[LayerData]) -> dict[str, Any]:
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
        if first.kind == "tile":
            out["features"] = sum(1 for e in first.elements if "#" in e.id)
    warnings = [w for d in datas for w in d.warnings]
    if warnings:
        out["warnings"] = warnings[:20]
    return out
