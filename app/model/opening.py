"""Files and projects -> layers in a scene. Runs in workers; only `scene.layers.append` touches
the live scene, and callers do that on the GUI thread."""
from __future__ import annotations

from typing import Callable

from app.model.layers import Layer
from app.model.project import LayerSpec, ProjectSpec, read_project
from app.model.scene import Scene
from loaders.base import Cancel, LoadCancelled, LoadError, Progress
from loaders.registry import load


def build_layers(scene: Scene, path: str, *, progress: Progress | None = None, cancel: Cancel | None = None,
                 loader: str | None = None) -> list[Layer]:
    """Load one file and place it in the scene frame, without adding it to the scene yet."""
    datas = load(path, progress=progress, cancel=cancel, loader=loader)
    layers: list[Layer] = []
    for data in datas:
        if cancel and cancel():
            raise LoadCancelled()
        try:
            made = scene.make_layers(data)
        except ValueError as exc:  # e.g. coordinates outside the CRS's area of use
            raise LoadError(path, str(exc)) from None
        for layer in made:
            layer.source = {"path": path, "loader": loader or data.metadata.get("loader"), "options": {}}
        layers.extend(made)
    if not layers:
        raise LoadError(path, "the file holds no points, triangles or tiles to show")
    return layers


def build_project_layers(scene: Scene, spec: ProjectSpec, *, progress: Progress | None = None,
                         cancel: Cancel | None = None, on_error: Callable[[LoadError], None] | None = None) -> list[Layer]:
    """Every layer of a project; a layer that fails is reported and skipped, the rest still open."""
    if spec.frame.is_set and not scene.frame.is_set:
        scene.frame.origin_lla = spec.frame.origin_lla
    if spec.frame.display_crs and not scene.frame.display_crs:
        scene.frame.display_crs = spec.frame.display_crs
    out: list[Layer] = []
    n = max(1, len(spec.layers))
    for i, entry in enumerate(spec.layers):
        def sub(fraction: float, message: str = "", i: int = i) -> None:
            if progress:
                progress((i + fraction) / n, message)
        try:
            layers = build_layers(scene, entry.path, progress=sub, cancel=cancel, loader=entry.loader)
        except LoadError as exc:
            if on_error is None:
                raise
            on_error(exc)
            continue
        _apply_state(layers, entry)
        out.extend(layers)
    return out


def _apply_state(layers: list[Layer], entry: LayerSpec) -> None:
    for layer in layers:
        for key, value in entry.state.items():
            if key == "name" and len(layers) > 1:
                continue
            if hasattr(layer, key):
                setattr(layer, key, value)


def open_project_spec(path: str) -> ProjectSpec:
    return read_project(path)


def open_paths(scene: Scene, paths: list[str], *, on_error: Callable[[LoadError], None],
               progress: Progress | None = None, cancel: Cancel | None = None) -> list[Layer]:
    """Files and projects into layers (not yet added). Projects also bring bookmarks and camera."""
    from app.model.project import is_project

    out: list[Layer] = []
    for path in paths:
        try:
            if is_project(path):
                spec = read_project(path)
                scene.bookmarks.extend(spec.bookmarks)
                if spec.camera is not None:
                    scene.camera = spec.camera
                    scene.camera_from_project = True
                out.extend(build_project_layers(scene, spec, progress=progress, cancel=cancel, on_error=on_error))
            else:
                out.extend(build_layers(scene, path, progress=progress, cancel=cancel))
        except LoadError as exc:
            on_error(exc)
    return out
