"""Measurements and annotations drawn over the scene: lines, vertices, markers and labels.

All of it is 2D (vtkActor2D with world-coordinate positions): drawn on top of the scene at a
constant pixel size, never hidden inside a building, never cut by the section, never written to
the depth buffer (navigation reads the scene's depth under the cursor). Labels have a dark
background and a coloured frame so they read over sky, roofs and point clouds alike. An item whose
anchor is behind the camera is hidden (a 2D projection of it would be mirrored).
"""
from __future__ import annotations

from typing import TYPE_CHECKING, Any, Sequence

import numpy as np
import vtk

from app.model.annotations import Annotation, Measurement
from viewers.fonts import apply_font

if TYPE_CHECKING:
    from viewers.canvas import Canvas

LINE_RGB = (1.0, 0.84, 0.2)  # measurements: amber over a dark halo
PENDING_RGB = (0.3, 0.9, 1.0)  # the measurement being taken: cyan
HALO_RGB = (0.08, 0.09, 0.12)
LABEL_BG = (0.08, 0.09, 0.12)
FONT_SIZE = 15


def _rgb(hex_color: str) -> tuple[float, float, float]:
    h = hex_color.lstrip("#")
    return tuple(int(h[i:i + 2], 16) / 255 for i in (0, 2, 4))  # type: ignore[return-value]


def _world_coordinate() -> vtk.vtkCoordinate:
    c = vtk.vtkCoordinate()
    c.SetCoordinateSystemToWorld()
    return c


def _lines_actor(points: np.ndarray, closed: bool, rgb: Sequence[float], width: float) -> vtk.vtkActor2D:
    """A polyline through world points, drawn in 2D (on top, constant width)."""
    pts = vtk.vtkPoints()
    for p in points:
        pts.InsertNextPoint(*(float(v) for v in p))
    poly = vtk.vtkPolyData()
    poly.SetPoints(pts)
    lines = vtk.vtkCellArray()
    n = len(points)
    if n >= 2:
        ids = list(range(n)) + ([0] if closed and n >= 3 else [])
        lines.InsertNextCell(len(ids))
        for i in ids:
            lines.InsertCellPoint(i)
    poly.SetLines(lines)
    verts = vtk.vtkCellArray()
    for i in range(n):
        verts.InsertNextCell(1)
        verts.InsertCellPoint(i)
    poly.SetVerts(verts)
    mapper = vtk.vtkPolyDataMapper2D()
    mapper.SetInputData(poly)
    mapper.SetTransformCoordinate(_world_coordinate())
    actor = vtk.vtkActor2D()
    actor.SetMapper(mapper)
    prop = actor.GetProperty()
    prop.SetColor(*rgb)
    prop.SetLineWidth(width)
    prop.SetPointSize(width + 5)
    actor.SetPickable(False)
    return actor


def _marker_actor(anchor: Sequence[float], kind: str, rgb: Sequence[float], size: float = 9.0) -> list[vtk.vtkActor2D]:
    """A marker glyph in pixels at a world point (pin: a downward triangle whose tip is the point)."""
    shape = {"pin": 5, "flag": 8, "dot": 7, "info": 7, "warning": 5}.get(kind, 7)  # triangle, diamond, circle
    out = []
    for colour, scale in ((HALO_RGB, 1.35), (rgb, 1.0)):
        g = vtk.vtkGlyphSource2D()
        g.SetGlyphType(shape)
        g.SetFilled(True)
        g.SetScale(2 * size * scale)
        g.SetResolution(24)
        g.SetRotationAngle(180.0 if kind == "pin" else 0.0)
        g.SetCenter(0.0, size if kind == "pin" else 0.0, 0.0)
        mapper = vtk.vtkPolyDataMapper2D()
        mapper.SetInputConnection(g.GetOutputPort())
        mapper.ScalarVisibilityOff()  # the glyph source's own white colours would win over the property's
        actor = vtk.vtkActor2D()
        actor.SetMapper(mapper)
        actor.GetPositionCoordinate().SetCoordinateSystemToWorld()
        actor.GetPositionCoordinate().SetValue(*(float(v) for v in anchor))
        actor.GetProperty().SetColor(*colour)
        actor.SetPickable(False)
        out.append(actor)
    return out


def _label_actor(text: str, anchor: Sequence[float], frame_rgb: Sequence[float], dy: float = 0.0,
                 scale: float = 1.0) -> vtk.vtkTextActor:
    """A label at a world point, offset `dy` pixels up, on a dark background with a coloured frame;
    `scale`: the canvas's font scale (briefing mode, hi-res exports)."""
    actor = vtk.vtkTextActor()
    actor.SetInput(text)
    tp = actor.GetTextProperty()
    tp.SetFontSize(max(1, round(FONT_SIZE * scale)))
    tp.SetColor(1.0, 1.0, 1.0)
    tp.SetBackgroundColor(*LABEL_BG)
    tp.SetBackgroundOpacity(0.78)
    tp.SetFrame(True)
    tp.SetFrameColor(*frame_rgb)
    tp.SetFrameWidth(2)
    tp.SetJustificationToCentered()
    tp.SetVerticalJustificationToBottom()
    apply_font(tp)  # CJK labels ("入口") and symbols: the one scene font that has them
    ref = _world_coordinate()
    ref.SetValue(*(float(v) for v in anchor))
    pos = actor.GetPositionCoordinate()
    pos.SetCoordinateSystemToDisplay()
    pos.SetReferenceCoordinate(ref)
    pos.SetValue(0.0, dy)
    actor.SetPickable(False)
    return actor


class AnnotationOverlay:
    """Draws `scene.annotations` and the measurement being taken (`set_pending`)."""

    def __init__(self, canvas: "Canvas") -> None:
        self.canvas = canvas
        self.items: list[tuple[np.ndarray, list[Any]]] = []  # (anchor, actors) per drawn item
        self.pending: list[Any] = []
        self.labels: list[str] = []  # the label texts drawn, in order (for checks)
        canvas.scene.annotations_changed.connect(self.rebuild)
        self._tag = canvas.plotter.render_window.AddObserver("StartEvent", self._cull_behind)
        self.rebuild()

    @property
    def renderer(self) -> Any:
        return self.canvas.plotter.renderer

    def _add(self, actors: list[Any]) -> list[Any]:
        for a in actors:
            self.renderer.AddViewProp(a)
        return actors

    def _remove(self, actors: list[Any]) -> None:
        for a in actors:
            self.renderer.RemoveViewProp(a)

    def rebuild(self) -> None:
        for _, actors in self.items:
            self._remove(actors)
        self.items, self.labels = [], []
        for item in list(self.canvas.scene.annotations):
            if isinstance(item, Measurement):
                actors = self._measurement_actors(item.kind, np.asarray(item.points), item.label(), LINE_RGB)
                anchor = np.asarray(item.anchor())
            else:
                actors = self._annotation_actors(item)
                anchor = np.asarray(item.anchor)
            self.items.append((anchor, self._add(actors)))
        self.canvas.request_render()

    def _measurement_actors(self, kind: str, pts: np.ndarray, label: str, rgb: Sequence[float]) -> list[Any]:
        actors: list[Any] = []
        if len(pts) >= 1:
            if kind == "angle" and len(pts) >= 3:
                pts = pts[:3]
            closed = kind == "polygon"
            actors += [_lines_actor(pts, closed, HALO_RGB, 5.0), _lines_actor(pts, closed, rgb, 2.5)]
        if label and len(pts):
            m = Measurement(kind, [tuple(p) for p in pts]) if kind else None
            anchor = m.anchor() if m is not None else tuple(pts[-1])
            actors.append(_label_actor(label, anchor, rgb, dy=8.0, scale=self.canvas.font_scale))
            self.labels.append(label)
        return actors

    def _annotation_actors(self, item: Annotation) -> list[Any]:
        rgb = _rgb(item.color)
        actors: list[Any] = []
        if item.marker != "none":
            actors += _marker_actor(item.anchor, item.marker, rgb)
        actors.append(_label_actor(item.text, item.anchor, rgb, dy=24.0 if item.marker != "none" else 0.0,
                                   scale=self.canvas.font_scale))
        self.labels.append(item.text)
        return actors

    def set_pending(self, kind: str, points: list[Sequence[float]], label: str = "") -> None:
        """The measurement being taken: its points so far plus the cursor (rubber band), with its value."""
        self._remove(self.pending)
        self.pending = []
        if points:
            self.pending = self._add(self._measurement_actors(kind, np.asarray(points, dtype=np.float64), label,
                                                              PENDING_RGB))
        self.canvas.request_render()

    def _cull_behind(self, *_: Any) -> None:
        cam = self.canvas.plotter.camera
        pos = np.asarray(cam.GetPosition())
        view = np.asarray(cam.GetFocalPoint()) - pos
        for anchor, actors in self.items:
            ahead = float(np.dot(anchor - pos, view)) > 0
            for a in actors:
                a.SetVisibility(ahead)

    def close(self) -> None:
        """Idempotent: a window closed twice (closeEvent, then the test's or Qt's own close) must not fail."""
        if self._tag is None:
            return
        self.canvas.scene.annotations_changed.disconnect(self.rebuild)
        window = self.canvas.plotter.render_window
        if window is not None:  # the plotter may already be closed
            window.RemoveObserver(self._tag)
        self._tag = None
        self._remove(self.pending)
        for _, actors in self.items:
            self._remove(actors)
        self.items, self.pending = [], []
