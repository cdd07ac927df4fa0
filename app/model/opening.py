"""Files and projects -> layers in a scene. Runs in workers, which never write the live scene's
camera, bookmarks, clock or project frame: `open_paths` returns them (`Opened.projects`) and the
GUI thread applies them with `apply_opened` before it appends the layers. (The first
georeferenced layer still adopts the scene origin under the frame lock, in `Scene.make_layers`.)"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Callable

from app.model.derived import LOADERS as DERIVED_LOADERS, build_derived_layers
from app.model.frame import SceneFrame
from app.model.layers import Layer, MissingLayer
from app.model.placement import apply_placement_option
from app.model.project import LayerSpec, ProjectSpec, read_project
from app.model.scene import Bookmark, Camera, Scene
from app.model.sensors import FEED_LOADER, sensor_layer_from_project
from loaders.base import Cancel, LoadCancelled, LoadError, Progress, check_input
from loaders.registry import load, loader_errors


PARTIAL_EVERY_S = 0.5  # a streamed model is re-shown at most twice a second while it loads,
PARTIAL_BACKOFF = 0.5  # and then less often as it grows: each snapshot re-merges all batches so far

PartialCallback = Callable[[str, list[Layer]], None]


def _stream_ifc(scene: Scene, path: str, progress: Progress | None, cancel: Cancel | None,
                on_partial: PartialCallback) -> list:
    """IFC elements reach the screen as the geometry iterator produces them: the first batch at
    once, then a growing snapshot at most every PARTIAL_EVERY_S. Returns the loader data."""
    import time

    from loaders.ifc import iter_ifc, merge_meshes

    batches: list = []
    start = last = time.perf_counter()
    stream = iter_ifc(path, progress=progress, cancel=cancel)
    while True:
        with loader_errors(path, "IFC"):  # iter_ifc raises "no geometry" itself when nothing comes
            batch = next(stream, None)
        if batch is None:
            break
        batches.append(batch)
        now = time.perf_counter()
        if len(batches) == 1 or now - last >= max(PARTIAL_EVERY_S, PARTIAL_BACKOFF * (now - start)):
            last = now
            snapshot = merge_meshes(batches)
            snapshot.source = path
            on_partial(path, scene.make_layers(snapshot))
    merged = merge_meshes(batches)
    merged.source = path
    merged.metadata.setdefault("loader", "IFC")
    return [merged]


def _streams_tiles(path: str, loader: str | None, stream: bool) -> bool:
    from loaders.tile_tree import STREAMED_LOADER, is_tileset_location

    return stream and loader in (None, "3D Tiles tileset", STREAMED_LOADER) and is_tileset_location(path)


COPC_STREAM_MIN_POINTS = 5_000_000  # a larger COPC file streams node by node as the view asks


def _streams_copc(path: str, loader: str | None, stream: bool) -> bool:
    """Big COPC files stream (in the GUI and `render`); smaller ones load whole, which gives
    every point-cloud colour mode. A project saved while streaming reopens streamed."""
    from loaders.copc_tree import STREAMED_LOADER as COPC_STREAMED, copc_point_count

    if not stream or loader not in (None, "COPC", COPC_STREAMED) or path.lower().startswith(("http://", "https://")):
        return False
    if loader is None and not path.lower().endswith(".copc.laz"):
        return False
    count = copc_point_count(path)
    return count is not None and (loader == COPC_STREAMED or count > COPC_STREAM_MIN_POINTS)


def _placed_by(option: dict | None, data) -> bool:
    """Did a saved placement put this data where it is (latitude/longitude, or a CRS the user named)?"""
    if not option:
        return False
    return data.georef.kind == "enu" or (data.georef.kind == "crs" and data.georef.crs == option.get("crs"))


def _apply_refinement(scene: Scene, layer: Layer, option: dict) -> None:
    """app/model/refinement.py; a refinement that cannot be applied is said, the layer still loads."""
    from app.model.refinement import apply_refine_option

    try:
        apply_refine_option(scene, layer, option)
    except (ValueError, TypeError) as exc:
        layer.warnings.append(f"saved alignment refinement not applied: {exc}")


def build_layers(scene: Scene, path: str, *, progress: Progress | None = None, cancel: Cancel | None = None,
                 loader: str | None = None, on_partial: PartialCallback | None = None,
                 options: dict | None = None, stream_tiles: bool | None = None) -> list[Layer]:
    """Load one file and place it in the scene frame, without adding it to the scene yet.

    With `on_partial`, formats that can stream (IFC) report partial layers while loading, and
    3D Tiles tilesets stream per view (`stream_tiles` overrides; headless callers merge them)."""
    from loaders.tile_tree import STREAMED_LOADER

    from loaders.copc_tree import STREAMED_LOADER as COPC_STREAMED

    if "://" not in path:
        check_input(path)  # a named pipe or a device is refused before anything opens it (it would block)
    stream = on_partial is not None if stream_tiles is None else stream_tiles
    if _streams_copc(path, loader, stream):
        from loaders.copc_tree import read_copc_streamed

        with loader_errors(path, COPC_STREAMED):
            datas = read_copc_streamed(path, progress=progress, cancel=cancel)
    elif _streams_tiles(path, loader, stream):
        from loaders.tile_tree import read_tileset_streamed

        with loader_errors(path, STREAMED_LOADER):
            datas = read_tileset_streamed(path, progress=progress, cancel=cancel, only_if_worth=loader != STREAMED_LOADER)
        if datas is None:  # small and flat: merged, so filters and colouring see every feature
            datas = load(path, progress=progress, cancel=cancel, loader=loader)
    elif on_partial is not None and loader in (None, "IFC") and path.lower().endswith(".ifc"):
        datas = _stream_ifc(scene, path, progress, cancel, on_partial)
    else:
        if loader == STREAMED_LOADER:  # a project saved while streaming, opened headless: merge it
            loader = "3D Tiles tileset"
        elif loader == COPC_STREAMED:  # likewise: the whole COPC file (coarse levels past its cap)
            loader = "COPC"
        datas = load(path, progress=progress, cancel=cancel, loader=loader)
    layers: list[Layer] = []
    for data in datas:
        if cancel and cancel():
            raise LoadCancelled()
        apply_placement_option(data, options or {})
        try:
            made = scene.make_layers(data, progress=progress, cancel=cancel)
        except ValueError as exc:  # e.g. coordinates outside the CRS's area of use
            raise LoadError(path, str(exc)) from None
        for layer in made:
            layer.source = {"path": path, "loader": loader or data.metadata.get("loader"), "options": dict(options or {})}
            if options and _placed_by(options.get("placement"), data):  # still a placement: Place... can change it
                layer.info["placement"] = options["placement"]
            if options and options.get("refine"):  # an ICP refinement saved with the project
                _apply_refinement(scene, layer, options["refine"])
            if data.metadata.get("loader") == COPC_STREAMED:  # a COPC point cloud, drawn by the tile streamer
                layer.info.update({"kind": "pointcloud", "points": data.metadata["copc_points"], "copc": True,
                                   "crs": data.tree.georef.crs_label() or layer.info.get("crs")})
                if scene.frame.display_crs is None and data.tree.georef.kind == "crs":  # status bar in the file's CRS
                    scene.frame.display_crs = layer.info["crs"] or data.tree.georef.crs
        layers.extend(made)
    if not layers:
        raise LoadError(path, "the file holds no points, triangles or tiles to show")
    return layers


def missing_layer(entry: LayerSpec, frame_origin: tuple[float, float, float] | None = None) -> MissingLayer:
    """The stand-in for a project layer whose file is at none of its paths."""
    import os

    state = dict(entry.state)
    name = state.get("name") if isinstance(state.get("name"), str) else os.path.basename(entry.path)
    layer = MissingLayer(name=name or entry.path)
    layer.saved_state = state
    layer.tried = list(entry.tried or [entry.path])
    layer.source = entry.source()
    layer.info = {"missing": "not found at " + " or ".join(layer.tried)}
    if frame_origin is not None:  # re-linked later into an empty scene: the project's own origin
        layer.info["project_origin_lla"] = tuple(frame_origin)
    return layer


def missing_reason(entry: LayerSpec) -> str:
    return "no such file or directory; tried " + ", ".join(entry.tried or [entry.path])


def relink_layers(scene: Scene, layer: MissingLayer, path: str, *, progress: Progress | None = None,
                  cancel: Cancel | None = None) -> list[Layer]:
    """Load a missing layer's data from where the user found it, with its loader, options and
    saved state. Runs in a worker; the caller swaps the layers in on the GUI thread (and adopts
    the project's origin there, `adopt_frame_of`, when the scene has none yet: the layers were
    then built in a staging scene in the project's frame, as the project would have been)."""
    source = layer.source or {}
    origin = layer.info.get("project_origin_lla")
    target = scene
    if origin is not None and not scene.frame.is_set:
        target = Scene(SceneFrame(tuple(origin), None))
    entry = LayerSpec(path=path, loader=source.get("loader"), options=dict(source.get("options") or {}),
                      state=dict(layer.saved_state))
    layers = build_layers(target, path, progress=progress, cancel=cancel, loader=entry.loader, options=entry.options)
    _apply_state(layers, entry)
    return layers


def adopt_frame_of(scene: Scene, layers: list[Layer]) -> None:
    """On the GUI thread, before adding layers built in a staging scene: a scene without an
    origin takes the one they were made in (later layers are conformed to it when added)."""
    made_in = next((layer.info.get("frame_origin") for layer in layers if layer.info.get("frame_origin")), None)
    with scene._frame_lock:
        if made_in is not None and not scene.frame.is_set:
            scene.frame.origin_lla = tuple(made_in)


def build_project_layers(scene: Scene, spec: ProjectSpec, *, progress: Progress | None = None,
                         cancel: Cancel | None = None, on_error: Callable[[LoadError], None] | None = None,
                         on_partial: PartialCallback | None = None, stream_tiles: bool | None = None,
                         keep_missing: bool = False) -> list[Layer]:
    """Every layer of a project; a layer that fails is reported and skipped, the rest still open.
    A layer whose file is missing is reported with the paths tried; with `keep_missing` (the GUI)
    it also comes back as a MissingLayer, so the scene shows it and saving keeps it.
    A project with an origin, opened into a scene without one, is built in a staging scene in the
    project's frame (`staging_scene`): the live frame is set on the GUI thread by `apply_opened`."""
    scene = staging_scene(scene, spec)
    out: list[Layer] = []
    n = max(1, len(spec.layers))
    for i, entry in enumerate(spec.layers):
        def sub(fraction: float, message: str = "", i: int = i) -> None:
            if progress:
                progress((i + fraction) / n, message)
        try:
            if entry.loader == FEED_LOADER:  # a live feed (app.model.sensors): nothing to read now
                out.append(sensor_layer_from_project(entry.path, entry.options, entry.state))
                continue
            if entry.loader in DERIVED_LOADERS and not entry.missing:
                layers = build_derived_layers(scene, entry, spec.frame.origin_lla)  # sidecar arrays (app.model.derived)
                if entry.loader != "comparison":  # a comparison is built from its state already
                    _apply_state(layers, entry)
                out.extend(layers)
                continue
            if entry.missing:
                if keep_missing:
                    out.append(missing_layer(entry, spec.frame.origin_lla))
                raise LoadError(entry.path, missing_reason(entry))
            layers = build_layers(scene, entry.path, progress=sub, cancel=cancel, loader=entry.loader, on_partial=on_partial,
                                  options=entry.options, stream_tiles=stream_tiles)
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


def staging_scene(scene: Scene, spec: ProjectSpec) -> Scene:
    """The scene to build a project's layers in: the live one when it already has an origin (or
    the project has none), else a private scene in the project's frame. Layers remember the frame
    they were made in, so the live scene conforms them if its origin was set meanwhile."""
    if spec.frame.is_set and not scene.frame.is_set:
        return Scene(SceneFrame(spec.frame.origin_lla, spec.frame.display_crs))
    return scene


@dataclass
class OpenedProject:
    """What a project brings to the scene besides its layers; `apply_opened` puts it there."""

    path: str
    frame: SceneFrame  # the frame its layers were built in (origin and display CRS)
    camera: Camera | None
    bookmarks: list[Bookmark]
    ui: dict[str, Any] = field(default_factory=dict)
    clock: dict[str, Any] | None = None
    tours: list[Any] = field(default_factory=list)  # app.model.tours.Tour
    annotations: list[Any] = field(default_factory=list)  # app.model.annotations Measurement / Annotation
    section: Any = None  # app.model.annotations.Section or None


class Opened(list):
    """`open_paths`' answer: the layers (a list, as before) and `projects`, what each project
    that opened brings (camera, bookmarks, frame, view settings, clock) for the GUI thread."""

    def __init__(self, layers: Any = (), projects: Any = ()) -> None:
        super().__init__(layers)
        self.projects: list[OpenedProject] = list(projects)

    @property
    def camera(self) -> Camera | None:
        """The saved view of the last project that has one."""
        return next((p.camera for p in reversed(self.projects) if p.camera is not None), None)


def apply_opened(scene: Scene, projects: list[OpenedProject]) -> None:
    """On the GUI thread (or a headless caller's one thread), before the layers are added:
    the frame when the scene has none yet, bookmarks, view settings, clock and camera."""
    for project in projects:
        with scene._frame_lock:
            if project.frame.is_set and not scene.frame.is_set:
                scene.frame.origin_lla = project.frame.origin_lla
            if project.frame.display_crs and not scene.frame.display_crs:
                scene.frame.display_crs = project.frame.display_crs
        scene.bookmarks.extend(project.bookmarks)
        scene.tours.extend(project.tours)
        scene.annotations.extend(project.annotations)
        if project.section is not None:
            scene.section = project.section
        scene.ui_state.update(project.ui)
        if project.clock is not None:
            scene.clock.set_state(project.clock)
        if project.camera is not None:
            scene.camera_from_project = True  # first, so camera_changed listeners see where it came from
            scene.camera = project.camera


def _open_project(scene: Scene, path: str, on_error: Callable[[LoadError], None], keep_missing: bool,
                  **kwargs) -> tuple[list[Layer], OpenedProject | None]:
    """A project brings its frame, camera and bookmarks only when at least one of its layers
    opens: a project that failed leaves no dead view or origin behind (the Place dialog and the
    camera would otherwise keep them)."""
    spec = read_project(path)
    target = staging_scene(scene, spec)
    layers = build_project_layers(target, spec, on_error=on_error, keep_missing=keep_missing, **kwargs)
    if spec.layers and not any(not isinstance(layer, MissingLayer) for layer in layers):
        return layers, None
    frame = target.frame if target is not scene else spec.frame
    return layers, OpenedProject(path, SceneFrame(frame.origin_lla, frame.display_crs), spec.camera,
                                 list(spec.bookmarks), dict(spec.ui), spec.clock, list(spec.tours),
                                 list(spec.annotations), spec.section)


def open_paths(scene: Scene, paths: list[str], *, on_error: Callable[[LoadError], None],
               progress: Progress | None = None, cancel: Cancel | None = None,
               on_partial: PartialCallback | None = None, stream_tiles: bool | None = None,
               keep_missing: bool = False) -> Opened:
    """Files and projects into layers (not yet added); what projects bring besides (camera,
    bookmarks, frame, clock) is in the answer's `projects`, for `apply_opened` on the GUI thread.
    `stream_tiles` as in build_layers (None: stream when `on_partial` is given, i.e. in the GUI);
    `keep_missing` as in build_project_layers."""
    from app.model.project import is_project

    out = Opened()
    for path in paths:
        try:
            if is_project(path):
                layers, project = _open_project(scene, path, on_error, keep_missing, progress=progress, cancel=cancel,
                                                on_partial=on_partial, stream_tiles=stream_tiles)
                out.extend(layers)
                if project is not None:
                    out.projects.append(project)
            else:
                out.extend(build_layers(scene, path, progress=progress, cancel=cancel, on_partial=on_partial,
                                        stream_tiles=stream_tiles))
        except LoadError as exc:
            on_error(exc)
    return out
