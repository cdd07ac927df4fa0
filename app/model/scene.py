"""The scene: layers, the georeferenced frame, camera, selection and bookmarks. No Qt, no VTK."""
from __future__ import annotations

import threading
from dataclasses import asdict, dataclass, field
from typing import Any, Callable

import numpy as np
from psygnal import Signal
from psygnal.containers import EventedList
from pyproj.exceptions import ProjError

from app.model.clock import SceneClock
from app.model.frame import SceneFrame
from app.model.layer_list import LayerList
from app.model.layers import Layer, PointCloudLayer, layer_class_for
from loaders.gltf_materials import material_payload
from loaders.base import Georef, LayerData, MeshData, PointCloudData, TilesetData


@dataclass
class Camera:
    position: tuple[float, float, float] = (300.0, -300.0, 250.0)
    focal_point: tuple[float, float, float] = (0.0, 0.0, 0.0)
    view_up: tuple[float, float, float] = (0.0, 0.0, 1.0)
    view_angle: float = 30.0

    def to_dict(self) -> dict[str, Any]:
        return {k: list(v) if isinstance(v, tuple) else v for k, v in asdict(self).items()}

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> "Camera":
        return cls(
            position=tuple(d.get("position", cls.position)),
            focal_point=tuple(d.get("focal_point", cls.focal_point)),
            view_up=tuple(d.get("view_up", cls.view_up)),
            view_angle=float(d.get("view_angle", 30.0)),
        )


@dataclass
class Bookmark:
    name: str
    camera: Camera
    thumbnail: bytes | None = field(default=None, repr=False, compare=False)  # small PNG (app/model/tours.py)


@dataclass
class Selection:
    """What the user picked: a layer plus an element or point, and what is known about it."""

    layer: Layer | None = None
    index: int = -1
    properties: dict[str, Any] = field(default_factory=dict)


class Scene:
    """Evented like its layers: setting the camera emits `camera_changed`, any change to the
    bookmark list emits `bookmarks_changed`, the clock has its own events. Only the GUI thread
    writes them; workers return what a project brings (app.model.opening.Opened)."""

    selection_changed = Signal(object)
    camera_requested = Signal(object)  # a Camera the view should move to
    camera_changed = Signal(object)  # scene.camera was set (the saved view, not every frame's camera)
    bookmarks_changed = Signal()
    tours_changed = Signal()  # scene.tours changed (app/model/tours.py: Tour, TourStop)
    origin_moved = Signal(object)  # the 4x4 float64 matrix from the old scene ENU to the new one
    annotations_changed = Signal()  # scene.annotations (measurements and labels) changed
    section_changed = Signal(object)  # scene.section was set (an app.model.annotations.Section or None)

    def __init__(self, frame: SceneFrame | None = None) -> None:
        self.layers = LayerList()
        self.frame = frame or SceneFrame()
        self._camera = Camera()
        self._bookmarks: EventedList = EventedList()
        for event in ("inserted", "removed", "changed", "reordered"):
            getattr(self._bookmarks.events, event).connect(lambda *_: self.bookmarks_changed.emit())
        self._tours: EventedList = EventedList()
        for event in ("inserted", "removed", "changed", "reordered"):
            getattr(self._tours.events, event).connect(lambda *_: self.tours_changed.emit())
        self.clock = SceneClock()  # the one current time (app/model/clock.py)
        self.selection = Selection()
        self._frame_lock = threading.Lock()
        self.camera_from_project = False
        self.dirty = False  # unsaved changes (app/model/undo.py keeps it)
        self.layers.inserted.connect(self._conform_inserted)  # first, before any visual is built
        self.ui_state: dict[str, Any] = {}  # view settings saved with the project (the model tree's grouping...)
        self.annotations: EventedList = EventedList()  # app.model.annotations Measurement / Annotation
        for event in ("inserted", "removed", "changed", "reordered"):
            getattr(self.annotations.events, event).connect(lambda *_: self.annotations_changed.emit())
        self._section: Any = None

    @property
    def camera(self) -> Camera:
        return self._camera

    @camera.setter
    def camera(self, camera: Camera) -> None:
        self._camera = camera
        self.camera_changed.emit(camera)

    @property
    def bookmarks(self) -> EventedList:
        """Bookmark objects; a list that emits `bookmarks_changed` on every change."""
        return self._bookmarks

    @bookmarks.setter
    def bookmarks(self, marks: list[Bookmark]) -> None:
        self._bookmarks.clear()
        self._bookmarks.extend(marks)

    @property
    def tours(self) -> EventedList:
        """Tour objects (app.model.tours.Tour); emits `tours_changed` on every change."""
        return self._tours

    @tours.setter
    def tours(self, tours: list[Any]) -> None:
        self._tours.clear()
        self._tours.extend(tours)

    @property
    def section(self) -> Any:
        """The clipping plane or section box (app.model.annotations.Section), or None."""
        return self._section

    @section.setter
    def section(self, section: Any) -> None:
        self._section = section
        self.section_changed.emit(section)

    def select(self, selection: Selection) -> None:
        self.selection = selection
        self.selection_changed.emit(selection)

    def bounds(self, visible_only: bool = True) -> np.ndarray | None:
        boxes = [b for layer in self.layers if (layer.visible or not visible_only) for b in [layer.bounds()] if b is not None]
        if not boxes:
            return None
        return np.array([np.min([b[0] for b in boxes], 0), np.max([b[1] for b in boxes], 0)])

    def local_bounds(self, visible_only: bool = True) -> np.ndarray | None:
        """Bounds of the layers near the origin (within FAR_LAYER_M of it, else of the layer
        nearest to it): what "zoom to all" and the ground grid size to. The union with a layer
        12,000 km away would be a continent-wide box in which nothing can be seen."""
        from app.model.reorigin import FAR_LAYER_M

        boxes = [np.asarray(b, dtype=np.float64) for layer in self.layers if (layer.visible or not visible_only)
                 for b in [layer.bounds()] if b is not None]
        if not boxes:
            return None
        gaps = np.array([np.linalg.norm(np.clip(0.0, b[0], b[1])) for b in boxes])  # origin to each box
        nearest = boxes[int(np.argmin(gaps))]
        near = [b for b in boxes if np.linalg.norm(np.clip((nearest[0] + nearest[1]) / 2, b[0], b[1])
                                                   - (nearest[0] + nearest[1]) / 2) <= FAR_LAYER_M]
        return np.array([np.min([b[0] for b in near], 0), np.max([b[1] for b in near], 0)])

    def make_layers(self, data: LayerData, progress: Callable[[float, str], None] | None = None,
                    cancel: Callable[[], bool] | None = None) -> list[Layer]:
        """Loader output -> layers placed in the scene frame. Safe to call from worker threads.
        `progress`/`cancel` reach the slow step, a large cloud's octree build."""
        with self._frame_lock:  # the first georeferenced layer sets the origin: do it once
            layers = _make_layers(self.frame, data, progress, cancel)
            for layer in layers:  # which frame its coordinates are in: the origin may move meanwhile
                layer.info["frame_origin"] = self.frame.origin_lla
                if isinstance(data.metadata.get("derived"), dict):  # an analysis result: saved as a sidecar
                    layer.info["derived"] = data.metadata["derived"]
            return layers

    # --- far layers and the scene origin ----------------------------------------------------------
    def distance_m(self, layer: Layer) -> float:
        """How far a layer's centre is from the scene origin along the ellipsoid (0 when unknown)."""
        b = layer.bounds()
        if b is None or not self.frame.is_set:
            return 0.0
        return self.frame.distance_m((np.asarray(b[0]) + np.asarray(b[1])) / 2)

    def is_far(self, layer: Layer) -> bool:
        from app.model.reorigin import FAR_LAYER_M

        return self.distance_m(layer) > FAR_LAYER_M

    @staticmethod
    def display_crs_of(layer: Layer) -> str | None:
        """The CRS a layer's file is in, for the status bar; None for ECEF/lat-lon data."""
        crs = layer.info.get("crs")
        return crs if isinstance(crs, str) and crs not in ("EPSG:4978", "EPSG:4979", "EPSG:4326") else None

    def origin_for(self, layer: Layer) -> tuple[float, float, float] | None:
        """The origin that makes a layer local: its centre's lat/lon, at its lowest point."""
        from app.model.reorigin import layer_sample, transform_points

        b = layer.bounds()
        if b is None or not self.frame.is_set:
            return None
        lat, lon, h = self.frame.enu_to_lla((np.asarray(b[0]) + np.asarray(b[1])) / 2)[0]
        sample = layer_sample(layer)
        if sample is not None and len(sample):
            h += float(transform_points(self.frame.matrix_to((lat, lon, h)), sample)[:, 2].min())
        return float(lat), float(lon), float(h)

    def move_origin(self, origin_lla: tuple[float, float, float], display_crs: str | None = None) -> np.ndarray:
        """Re-express every layer, the camera and the bookmarks at a new origin; returns the
        old -> new matrix. Everything keeps its place on Earth; `origin_moved` lets the view
        follow. Layers made in the old frame and not yet added are conformed when added.
        `display_crs` (the status bar's CRS) follows: a Wuhan Gauss-Kruger zone means nothing
        in Philadelphia; None shows lat/lon only."""
        from app.model.reorigin import transform_camera, transform_layer

        origin = (float(origin_lla[0]), float(origin_lla[1]), float(origin_lla[2]))
        with self._frame_lock:
            matrix = self.frame.matrix_to(origin)
            self.frame.origin_lla = origin
            self.frame.display_crs = display_crs
            for layer in self.layers:
                transform_layer(layer, matrix)
                layer.info["frame_origin"] = origin
        self.camera = transform_camera(matrix, self.camera)
        for bookmark in self.bookmarks:
            bookmark.camera = transform_camera(matrix, bookmark.camera)
        if len(self.bookmarks):
            self.bookmarks_changed.emit()  # their cameras moved with the origin
        if len(self.annotations):  # measurements and labels keep their place on Earth
            self.annotations[:] = [item.transformed(matrix) for item in self.annotations]
        if self.section is not None:
            self.section = self.section.transformed(matrix)
        self.select(Selection())
        for layer in self.layers:
            layer.data_changed.emit()
        self.origin_moved.emit(matrix)
        return matrix

    def conform(self, layer: Layer) -> bool:
        """A layer made in an earlier frame (its load began before the origin moved) is
        re-expressed in the current one; True when it was."""
        from app.model.reorigin import transform_layer

        made_in = layer.info.get("frame_origin")
        now = self.frame.origin_lla
        if made_in is None or now is None or tuple(made_in) == tuple(now):
            return False
        transform_layer(layer, SceneFrame(tuple(made_in)).matrix_to(now))
        layer.info["frame_origin"] = now
        return True

    def _conform_inserted(self, index: int, layer: Layer) -> None:
        self.conform(layer)


def _info(data: LayerData) -> dict[str, Any]:
    return {"format": data.format, "crs": data.georef.crs_label(), "kind": data.kind, **data.counts()}


OCTREE_MIN_POINTS = 500_000  # above this a cloud gets an octree, so frames cost the budget, not the file


def _placed(frame: SceneFrame, data: PointCloudData) -> np.ndarray:
    """A CRS that cannot place the points (outside its area of use, unusable definition) is
    dropped with a warning: the cloud loads unreferenced and can be placed by hand, never refused."""
    before = (frame.origin_lla, frame.display_crs)
    try:
        return frame.to_local(data.positions, data.georef)
    except (ValueError, ProjError) as exc:
        if data.georef.kind != "crs":
            raise
        frame.origin_lla, frame.display_crs = before  # the origin this cloud set cannot stay
        data.warnings.append(f"CRS {data.georef.crs_label()} cannot place these points ({exc}); placed unreferenced")
        data.georef = Georef(kind="none", matrix=data.georef.matrix)
        _recentre_if_far(data)
        return frame.to_local(data.positions, data.georef)


def _point_layer(frame: SceneFrame, data: PointCloudData, name: str, progress: Any = None,
                 cancel: Any = None) -> PointCloudLayer:
    positions = _checked(_placed(frame, data))
    payload = {"positions": positions, "colors": data.colors, "attributes": data.attributes}
    if data.metadata.get("hierarchy") is not None:  # COPC: the file's own octree, nothing to build
        from app.model.octree import PointOctree

        payload["octree"] = PointOctree.from_hierarchy(**data.metadata["hierarchy"],
                                                       transform=lambda p: frame.to_local(p, data.georef))
    elif len(positions) > OCTREE_MIN_POINTS:
        from app.model.octree_cache import build_or_load  # built here, in the loading worker

        payload["octree"] = build_or_load(data.source, positions, progress=progress, cancel=cancel)
    layer = PointCloudLayer(name=name, data=payload)
    layer.info = _info(data)
    layer.info["recentre_shift"] = data.metadata.get("recentre_shift")
    layer.warnings = list(data.warnings)
    return layer


MAX_SCENE_DISTANCE_M = 1e7  # farther than a quarter of the Earth's circumference from the origin: not data
FAR_LOCAL_M = 5e4  # ungeoreferenced data farther than this sits in some unknown CRS: recentre it


def _checked(pts: np.ndarray) -> np.ndarray:
    if len(pts) and (not np.isfinite(pts).all() or np.abs(pts).max() > MAX_SCENE_DISTANCE_M):
        raise ValueError(f"implausible coordinates: the data lies up to {np.abs(pts).max():.3g} m from the scene origin")
    return pts


def _recentre_if_far(data: LayerData) -> None:
    """Ungeoreferenced data in, say, projected metres would float 500 km away and jitter in
    float32: place its centre at the scene origin (ground level kept) and say so."""
    b = data.local_bounds()
    if data.georef.kind != "none" or b is None:
        return
    centre = (b[0] + b[1]) / 2
    if np.linalg.norm(centre[:2]) > FAR_LOCAL_M and np.abs(b).max() <= MAX_SCENE_DISTANCE_M:
        shift = np.eye(4)
        shift[:2, 3] = -centre[:2]
        data.georef.matrix = shift @ data.georef.matrix
        data.metadata["recentre_shift"] = [float(-centre[0]), float(-centre[1])]
        data.warnings.append(f"not georeferenced and {np.linalg.norm(centre[:2]) / 1000:.0f} km from its origin: recentred")


def _streamed_tileset_layer(frame: SceneFrame, data: TilesetData) -> Layer:
    """A streamed tileset: no vertices move; the layer keeps the tile tree and the one 4x4 that
    takes tileset world coordinates (ECEF on the globe) into the scene's ENU frame."""
    from app.model.frame import enu_rotation, lla_to_ecef
    from app.model.layers import TilesetLayer

    tree = data.tree
    corners = tree.world_bounds()
    matrix = np.eye(4)
    if data.georef.kind == "ecef":
        if not frame.is_set:
            root = tree.nodes[0]  # origin: the root volume's centre moved down to its bottom
            up = root.center / np.linalg.norm(root.center)
            reach = float(np.abs(up @ root.half_axes).sum()) if root.half_axes is not None else root.radius
            frame.adopt_origin((root.center - up * reach).reshape(1, 3), data.georef)
        lat, lon, h = frame.origin_lla  # type: ignore[misc]
        rot = enu_rotation(lat, lon)
        matrix[:3, :3] = rot
        matrix[:3, 3] = -rot @ lla_to_ecef(np.array(lat), np.array(lon), np.array(h))
    else:
        centre = tree.nodes[0].center
        if np.linalg.norm(centre[:2]) > FAR_LOCAL_M:
            matrix[:2, 3] = -centre[:2]
            data.warnings.append(f"not georeferenced and {np.linalg.norm(centre[:2]) / 1000:.0f} km from its origin: recentred")
    local = _checked(corners @ matrix[:3, :3].T + matrix[:3, 3])
    payload = {"vertices": np.zeros((0, 3)), "faces": np.zeros((0, 3), np.int64), "elements": [], "tree": tree,
               "matrix": matrix, "bounds": np.array([local.min(0), local.max(0)]),
               "preloaded": getattr(tree, "preloaded", {}), "tiles": len(tree.nodes),
               "triangles": sum(len(c.geometry.faces) for cs in getattr(tree, "preloaded", {}).values() for c in cs)}
    layer = TilesetLayer(name=data.name, data=payload)
    layer.info = _info(data)
    layer.info["streamed"] = True
    layer.warnings = list(data.warnings)
    return layer


def _make_layers(frame: SceneFrame, data: LayerData, progress: Any = None, cancel: Any = None) -> list[Layer]:
    if isinstance(data, TilesetData) and data.tree is not None:
        return [_streamed_tileset_layer(frame, data)]
    if data.kind == "schedule":  # no geometry: a time-aware layer whose tasks link to a model's elements
        from app.model.schedule_layer import schedule_layer_from

        return [schedule_layer_from(data)]  # type: ignore[arg-type]
    if data.georef.kind == "crs":  # 1985 heights without a geoid model: said on the layer, never swapped silently
        from loaders.crs_names import height_datum_note

        note = height_datum_note(data.georef.crs)
        if note and note not in data.warnings:
            data.warnings.append(note)
    _recentre_if_far(data)
    if data.kind == "simulation":  # results: VTK, NetCDF, rasters, flood series (app/model/results.py)
        from app.model.results import result_layer_from

        return [result_layer_from(frame, data)]  # type: ignore[arg-type]
    if isinstance(data, PointCloudData):  # an empty cloud is no layer: the caller says "holds no points"
        return [_point_layer(frame, data, data.name, progress, cancel)] if len(data.positions) else []
    out: list[Layer] = []
    if isinstance(data, MeshData) and len(data.faces):
        cls = layer_class_for(data)
        vertices = _checked(frame.to_local(data.vertices, data.georef))
        payload = {
            "vertices": vertices,
            "faces": np.asarray(data.faces, dtype=np.int64),
            "vertex_colors": data.vertex_colors,
            "face_element": data.face_element,
            "elements": data.elements,
            "tiles": getattr(data, "contents", 0) or getattr(data, "tiles", 0),
            **material_payload(data, lambda p: frame.to_local(p, data.georef)),  # textures, normals (viewers/textures.py)
        }
        layer = cls(name=data.name, data=payload)
        layer.info = _info(data)
        layer.info["recentre_shift"] = data.metadata.get("recentre_shift")
        layer.warnings = list(data.warnings)
        out.append(layer)
    if isinstance(data, TilesetData) and data.points is not None and len(data.points.positions):
        pts = data.points
        if pts.georef.kind == "none" and data.georef.kind != "none":
            pts.georef = data.georef
        out.append(_point_layer(frame, pts, f"{data.name} (points)" if out else data.name, progress, cancel))
    return out
