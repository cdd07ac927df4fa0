"""Derived layers in project files: their heavy arrays in sidecar files next to the project.

Why sidecars: a deviation array of 10 M points does not belong in JSON (projects are capped at
16 MiB and read whole). `write_project` writes each derived layer's arrays to
`<project stem>.derived/<layer>.npz` (np.savez, allow_pickle=False on reading: never pickle) and
lists it as an ordinary layer entry whose source is that file and whose loader says how to read
it back:
- loader "comparison": an app.model.comparison.ComparisonLayer; its sidecar holds the per-point
  deviations and the element table. Without its sidecar (deleted, or a project that asks for a
  comparison without results, like the demo) it comes back pending: the GUI computes it again.
- loader "derived": any point cloud or mesh layer whose `info["derived"]` (or its LayerData's
  `metadata["derived"]`) is `{"analysis": str, "params": dict}` and that has no file source
  (change layers, ...). It comes back as the same kind, in the project's frame, with the same
  `info["derived"]`; without its sidecar it is a MissingLayer, saved back untouched.
No Qt, no VTK.
"""
from __future__ import annotations

import json
import os
import re
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from app.model.comparison import ComparisonData, ComparisonLayer
from app.model.layers import Layer, MeshLayer, PointCloudLayer
from loaders.base import Georef, LoadError, MeshData, PointCloudData

if TYPE_CHECKING:
    from app.model.project import LayerSpec
    from app.model.scene import Scene

COMPARISON_LOADER = "comparison"
DERIVED_LOADER = "derived"
RESULT_LOADER = "results"  # an app.model.results.ResultLayer an analysis made (a flood series): arrays per time step
LOADERS = (COMPARISON_LOADER, DERIVED_LOADER, RESULT_LOADER)
SIDECAR_SUFFIX = ".derived"
MAX_TABLE_ROWS = 10_000_000


def derived_info(layer: Layer) -> dict[str, Any] | None:
    info = layer.info.get("derived")
    return info if isinstance(info, dict) and isinstance(info.get("analysis"), str) else None


def is_derived(layer: Layer) -> bool:
    """Saved through a sidecar: comparisons, and point clouds or meshes an analysis made."""
    if isinstance(layer, ComparisonLayer):
        return True
    return derived_info(layer) is not None and not layer.source and (isinstance(layer, (PointCloudLayer, MeshLayer))
                                                                      or layer.kind == "result")


def sidecar_dir(project: str | os.PathLike) -> Path:
    p = Path(project)
    return p.parent / (p.stem + SIDECAR_SUFFIX)


def _file_name(layer: Layer, used: set[str]) -> str:
    base = re.sub(r"[^A-Za-z0-9._-]+", "_", layer.name).strip("._") or layer.kind
    name, n = f"{base[:60]}.npz", 2
    while name.lower() in used:
        name, n = f"{base[:60]}_{n}.npz", n + 1
    used.add(name.lower())
    return name


def _arrays(layer: Layer) -> dict[str, np.ndarray]:
    if layer.kind == "result":
        from app.model.results import result_arrays

        return result_arrays(layer)  # type: ignore[arg-type]
    if isinstance(layer, ComparisonLayer):
        d: ComparisonData = layer.data
        out = {"distance": d.distance, "element": d.element, "edges": d.edges, "counts": d.counts,
               "summary": np.array(json.dumps(d.summary))}
        out.update({f"table.{k}": v for k, v in d.table.items()})
        return out
    if isinstance(layer, PointCloudLayer):
        out = {"positions": np.asarray(layer.positions, dtype=np.float64)}
        if layer.data.get("colors") is not None:
            out["colors"] = np.asarray(layer.data["colors"])
        for key, value in layer.data.get("attributes", {}).items():
            out[f"attr.{key}"] = np.asarray(value)
        return out
    d = layer.data
    out = {"vertices": np.asarray(d["vertices"], dtype=np.float64), "faces": np.asarray(d["faces"], dtype=np.int64)}
    for key in ("face_element", "vertex_colors"):
        if d.get(key) is not None:
            out[key] = np.asarray(d[key])
    return out


def write_sidecars(layers: list[Layer], project: str | os.PathLike) -> dict[int, dict[str, Any]]:
    """Write the derived layers' arrays; returns {id(layer): project entry}. Files of earlier
    saves that no layer wrote this time are removed (the folder is ours)."""
    folder = sidecar_dir(project)
    entries: dict[int, dict[str, Any]] = {}
    used: set[str] = set()
    todo = [layer for layer in layers if is_derived(layer)
            and (not isinstance(layer, ComparisonLayer) or layer.computed)]
    if todo:
        folder.mkdir(parents=True, exist_ok=True)
    for layer in [layer for layer in layers if is_derived(layer)]:
        loader = COMPARISON_LOADER if isinstance(layer, ComparisonLayer) else RESULT_LOADER if layer.kind == "result" else DERIVED_LOADER
        name = _file_name(layer, used)
        options: dict[str, Any] = {}
        if loader in (DERIVED_LOADER, RESULT_LOADER):
            options["derived"] = {**derived_info(layer), "kind": layer.kind}  # type: ignore[dict-item]
        if any(layer is t for t in todo):
            tmp = folder / (name + ".tmp.npz")
            np.savez(tmp, **_arrays(layer))
            os.replace(tmp, folder / name)
        entries[id(layer)] = {"source": {"path": str(folder / name), "loader": loader, "options": options},
                              "state": layer.get_state()}
    if folder.is_dir():
        for stale in folder.glob("*.npz"):
            if stale.name.lower() not in used:
                stale.unlink(missing_ok=True)
    return entries


def _load(path: str) -> dict[str, np.ndarray]:
    try:
        with np.load(path, allow_pickle=False) as f:
            return {k: f[k] for k in f.files}
    except (OSError, ValueError, KeyError) as exc:  # a damaged or foreign file: never a traceback
        raise LoadError(path, f"not a Twinscape sidecar file ({exc})") from None


def read_comparison(path: str, state: dict[str, Any], missing: bool) -> ComparisonLayer:
    """The comparison as saved; pending (data None) when its sidecar is not there."""
    known = {k: v for k, v in state.items() if k in ("name", "visible", "opacity", "scan", "design", "tolerance", "max_distance", "stations")}
    layer = ComparisonLayer(**known)
    if not 0 < layer.tolerance < layer.max_distance:  # a hand-edited project: say so, never colour with it
        raise LoadError(path, f"comparison settings out of range: tolerance {layer.tolerance:g} m must be more than 0 "
                              f"and less than the far cut-off {layer.max_distance:g} m")
    if missing:
        layer.info["pending"] = "results not saved: computed again once its layers are loaded"
        return layer
    a = _load(path)
    try:
        table = {k[len("table."):]: a[k] for k in a if k.startswith("table.")}
        n = len(table["guid"])
        if n > MAX_TABLE_ROWS or any(len(v) != n for v in table.values()) or len(a["distance"]) != len(a["element"]):
            raise ValueError("arrays of different lengths")
        summary = json.loads(str(a["summary"]))
        layer.data = ComparisonData(a["distance"].astype(np.float32), a["element"].astype(np.int32),
                                    a["edges"].astype(np.float64), a["counts"].astype(np.int64), table,
                                    summary if isinstance(summary, dict) else {})
    except (KeyError, ValueError, TypeError) as exc:
        raise LoadError(path, f"damaged comparison results ({exc})") from None
    layer.attached_before = True  # the project's saved colour modes stand
    return layer


def read_derived(scene: "Scene", path: str, options: dict[str, Any], name: str,
                 origin: tuple[float, float, float] | None) -> list[Layer]:
    """A derived point cloud or mesh, in the frame of the project it was saved with."""
    info = dict(options.get("derived") or {})
    kind = info.pop("kind", "pointcloud")
    a = _load(path)
    georef = Georef(kind="enu", origin_lla=tuple(origin)) if origin else Georef()
    meta = {"derived": info, "loader": DERIVED_LOADER}
    try:
        if kind == "pointcloud":
            attrs = {k[len("attr."):]: v for k, v in a.items() if k.startswith("attr.")}
            data: Any = PointCloudData(name=name, kind="pointcloud", format="derived", georef=georef, source=path,
                                       positions=a["positions"], colors=a.get("colors"), attributes=attrs, metadata=meta)
        else:
            data = MeshData(name=name, kind=kind if kind in ("mesh", "bim", "citymodel") else "mesh", format="derived",
                            georef=georef, source=path, vertices=a["vertices"], faces=a["faces"],
                            face_element=a.get("face_element"), vertex_colors=a.get("vertex_colors"), metadata=meta)
        layers = scene.make_layers(data)
    except (KeyError, ValueError) as exc:
        raise LoadError(path, f"damaged derived layer ({exc})") from None
    for layer in layers:
        layer.info["derived"] = info
    return layers


def build_derived_layers(scene: "Scene", entry: "LayerSpec", origin: tuple[float, float, float] | None) -> list[Layer]:
    """One project entry whose loader is "comparison" or "derived" (app.model.opening)."""
    name = entry.state.get("name") if isinstance(entry.state.get("name"), str) else Path(entry.path).stem
    if entry.loader == COMPARISON_LOADER:
        layer = read_comparison(entry.path, entry.state, not os.path.isfile(entry.path))
        layer.info["frame_origin"] = scene.frame.origin_lla
        return [layer]
    if entry.loader == RESULT_LOADER:
        return read_results(scene, entry.path, entry.options, name, origin)
    return read_derived(scene, entry.path, entry.options, name, origin)


def read_results(scene: "Scene", path: str, options: dict[str, Any], name: str,
                 origin: tuple[float, float, float] | None) -> list[Layer]:
    """A result layer an analysis made, in the frame of the project it was saved with."""
    from app.model.results import result_data_from_arrays

    info = dict(options.get("derived") or {})
    info.pop("kind", None)
    a = _load(path)
    georef = Georef(kind="enu", origin_lla=tuple(origin)) if origin else Georef()
    try:
        data = result_data_from_arrays(a, name, georef, path, {"derived": info, "loader": RESULT_LOADER})
        layers = scene.make_layers(data)
    except (KeyError, ValueError, TypeError, IndexError) as exc:
        raise LoadError(path, f"damaged result layer ({exc})") from None
    for layer in layers:
        layer.info["derived"] = info
    return layers
