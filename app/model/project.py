"""Project files (.twin): versioned JSON. Sources are paths relative to the project file.

`${demo}` in a source path stands for the demo data cache, generated on first use.
Never pickle; never store secrets.
"""
from __future__ import annotations

import json
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable

from app.model.frame import SceneFrame
from app.model.scene import Bookmark, Camera, Scene
from loaders.base import LoadError

SCHEMA_VERSION = 1
PROJECT_EXTENSIONS = (".twin",)
MAX_PROJECT_BYTES = 16 * 1024 * 1024


@dataclass
class LayerSpec:
    path: str  # absolute after expansion
    loader: str | None = None
    options: dict[str, Any] = field(default_factory=dict)
    state: dict[str, Any] = field(default_factory=dict)


@dataclass
class ProjectSpec:
    path: str
    name: str
    frame: SceneFrame
    camera: Camera | None
    layers: list[LayerSpec]
    bookmarks: list[Bookmark]


def is_project(path: str | os.PathLike) -> bool:
    return str(path).lower().endswith(PROJECT_EXTENSIONS)


def migrate_v0_to_v1(doc: dict[str, Any]) -> dict[str, Any]:
    """v0 (pre-release) listed layers as plain paths and had no frame: wrap them in v1 specs."""
    doc = dict(doc)
    doc["layers"] = [{"source": {"path": p}, "state": {}} if isinstance(p, str) else p for p in doc.get("layers", [])]
    doc.setdefault("frame", {"origin_lla": None})
    doc["schema_version"] = 1
    return doc


MIGRATIONS: dict[int, Callable[[dict[str, Any]], dict[str, Any]]] = {0: migrate_v0_to_v1}


def _expand(source: str, base: Path, variables: dict[str, Callable[[], Path]]) -> str:
    for key, resolve in variables.items():
        token = "${" + key + "}"
        if token in source:
            source = source.replace(token, str(resolve()))
    if "${" in source:
        raise ValueError(f"unknown variable in source path '{source}'")
    p = Path(source)
    return str(p if p.is_absolute() else (base / p).resolve())


def _demo_dir() -> Path:
    from assets.demo.generate import ensure_demo_data  # generator of the embedded demo: no Qt, no VTK

    return ensure_demo_data()


def read_project(path: str | os.PathLike) -> ProjectSpec:
    """Parse and validate a project file; raise LoadError with a readable reason."""
    p = Path(path)
    if not p.is_file():
        raise LoadError(path, "no such file" if not p.exists() else "not a file")
    if p.stat().st_size > MAX_PROJECT_BYTES:
        raise LoadError(path, "project file is larger than 16 MiB; heavy data belongs in sidecar files")
    try:
        doc = json.loads(p.read_text(encoding="utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise LoadError(path, f"not a Twinscape project (invalid JSON: {exc})") from None
    if not isinstance(doc, dict) or "schema_version" not in doc:
        raise LoadError(path, "not a Twinscape project (no schema_version)")
    version = doc.get("schema_version")
    if not isinstance(version, int) or version > SCHEMA_VERSION or version < 0:
        raise LoadError(path, f"unsupported project schema_version {version!r} (this version reads up to {SCHEMA_VERSION})")
    while version < SCHEMA_VERSION:
        doc = MIGRATIONS[version](doc)
        version = doc["schema_version"]
    try:
        return _parse(p, doc)
    except (KeyError, TypeError, ValueError) as exc:
        raise LoadError(path, f"malformed project: {exc}") from None


def _parse(p: Path, doc: dict[str, Any]) -> ProjectSpec:
    variables = {"demo": _demo_dir}
    frame_doc = doc.get("frame") or {}
    origin = frame_doc.get("origin_lla")
    frame = SceneFrame(tuple(float(v) for v in origin) if origin else None, frame_doc.get("display_crs"))
    layers = []
    for entry in doc.get("layers", []):
        src = entry["source"]
        layers.append(
            LayerSpec(
                path=_expand(src["path"], p.parent, variables),
                loader=src.get("loader"),
                options=dict(src.get("options", {})),
                state=dict(entry.get("state", {})),
            )
        )
    bookmarks = [Bookmark(b["name"], Camera.from_dict(b["camera"])) for b in doc.get("bookmarks", [])]
    camera = Camera.from_dict(doc["camera"]) if doc.get("camera") else None
    return ProjectSpec(str(p), str(doc.get("name", p.stem)), frame, camera, layers, bookmarks)


def write_project(scene: Scene, path: str | os.PathLike, name: str = "") -> None:
    """Save layers that came from files (derived layers without a source are not saved yet)."""
    p = Path(path)
    layers = []
    for layer in scene.layers:
        if not layer.source:
            continue
        src = dict(layer.source)
        try:
            src["path"] = os.path.relpath(src["path"], p.parent)
        except ValueError:  # another drive on Windows: keep it absolute
            pass
        layers.append({"source": src, "state": layer.get_state()})
    doc = {
        "schema_version": SCHEMA_VERSION,
        "name": name or p.stem,
        "frame": scene.frame.get_state(),
        "camera": scene.camera.to_dict(),
        "layers": layers,
        "bookmarks": [{"name": b.name, "camera": b.camera.to_dict()} for b in scene.bookmarks],
    }
    tmp = p.with_suffix(p.suffix + ".tmp")
    tmp.write_text(json.dumps(doc, indent=2), encoding="utf-8")
    os.replace(tmp, p)
