"""Measuring in the view: an interaction mode that picks points (snapped to vertices, edges and
cloud points), draws a rubber band with the running value and adds a Measurement to the scene.

Clicks: each adds a point (a drag still orbits); distance and angle finish by themselves, a
polyline or polygon finishes with Enter or a double-click; Esc cancels. While measuring, clicks do
not select objects (the window's own pick is skipped). "Add label" uses the same picking for the
anchor of an Annotation. The menu actions live in app/ui/measure_menu.py.
"""
from __future__ import annotations

from typing import TYPE_CHECKING, Any, Callable

import numpy as np
import vtk
from PySide6.QtCore import QEvent, QObject, Qt, QTimer
from PySide6.QtWidgets import QInputDialog

from app.analysis import measure
from app.model.annotations import Annotation, Measurement
from app.model.layers import PointCloudLayer
from app.ui.i18n import QT_TR_NOOP, tr
from viewers.section import actor_triangles, drawn_triangle_actors

if TYPE_CHECKING:
    from app.ui.main_window import MainWindow

CLICK_SLOP_PX = 4
SNAP_PX = 10.0
TITLES = {"distance": QT_TR_NOOP("Distance"), "height": QT_TR_NOOP("Height above ground"),
          "polyline": QT_TR_NOOP("Polyline length"), "polygon": QT_TR_NOOP("Polygon area"), "angle": QT_TR_NOOP("Angle"),
          "point": QT_TR_NOOP("Point coordinates"), "label": QT_TR_NOOP("Add label")}
HINTS = {"distance": QT_TR_NOOP("click two points"), "height": QT_TR_NOOP("click a point (a roof, a crane's tip)"),
         "polyline": QT_TR_NOOP("click points; Enter or double-click finishes"),
         "polygon": QT_TR_NOOP("click corners; Enter or double-click finishes"),
         "angle": QT_TR_NOOP("click a point, the vertex, another point"), "point": QT_TR_NOOP("click a point"),
         "label": QT_TR_NOOP("click where the label goes")}


class MeasureTool(QObject):
    """One mode at a time ("" when off). `points` are the picked ENU points of the measurement under way."""

    def __init__(self, win: "MainWindow", on_mode: Callable[[str], None] | None = None) -> None:
        super().__init__(win)
        self.win = win
        self.mode = ""
        self.points: list[np.ndarray] = []
        self.last_snap = ""
        self.on_mode = on_mode  # the menu's checked action follows
        self._press: tuple[float, float] | None = None
        self._swallow_release = False
        self._hover: tuple[int, int] | None = None
        self._hover_timer = QTimer(self, interval=60, timeout=self._update_rubber_band)
        self._hover_timer.setSingleShot(True)
        win.view.installEventFilter(self)  # installed last: called before the window's own pick

    # --- mode ------------------------------------------------------------------------------------
    def start(self, mode: str) -> None:
        if mode not in TITLES:
            raise ValueError(f"unknown measuring mode {mode!r}")
        self.points = []
        self.mode = mode
        self.win.view.setCursor(Qt.CursorShape.CrossCursor)
        self.win.statusBar().showMessage(tr("{tool}: {hint}; Esc cancels").format(tool=tr(TITLES[mode]), hint=tr(HINTS[mode])), 0)
        self.win.canvas.annotations.set_pending(mode, [])
        if self.on_mode:
            self.on_mode(mode)

    def cancel(self) -> None:
        """Esc: the measurement under way is dropped and the mode ends."""
        self.points = []
        self.mode = ""
        self.win.view.unsetCursor()
        self.win.statusBar().clearMessage()
        self.win.canvas.annotations.set_pending("", [])
        if self.on_mode:
            self.on_mode("")

    def finish(self) -> Measurement | None:
        """Enter: a polyline or polygon with enough points becomes a measurement; the mode stays on."""
        need = 3 if self.mode == "polygon" else 2
        if self.mode not in ("polyline", "polygon") or len(self.points) < need:
            return None
        return self._add(Measurement(self.mode, [tuple(p) for p in self.points]))

    def _add(self, item: Measurement) -> Measurement:
        self.win.scene.annotations.append(item)
        self.points = []
        self.win.canvas.annotations.set_pending(self.mode, [])
        self.win.statusBar().showMessage(f"{tr(TITLES[item.kind])}: {item.label()}", 8000)
        return item

    # --- picking ---------------------------------------------------------------------------------
    def pick(self, x: int, y: int) -> np.ndarray | None:
        """The ENU point under display (x, y), snapped to the picked cell's vertex or edge (or the
        cloud point) when one is within SNAP_PX on screen; None over the sky."""
        canvas = self.win.canvas
        renderer = canvas.side_by_side.renderer_at(x, y)
        picker = vtk.vtkCellPicker()
        picker.SetTolerance(0.004)
        if not picker.Pick(x, y, 0, renderer) or picker.GetActor() is None:
            return None
        hit = np.array(picker.GetPickPosition(), dtype=np.float64)
        cell_points = self._cell_points(picker)

        def to_screen(p: np.ndarray) -> np.ndarray:
            renderer.SetWorldPoint(float(p[0]), float(p[1]), float(p[2]), 1.0)
            renderer.WorldToDisplay()
            return np.array(renderer.GetDisplayPoint()[:2])

        point, self.last_snap = measure.snap(hit, cell_points, to_screen, SNAP_PX)
        return point

    @staticmethod
    def _cell_points(picker: Any) -> np.ndarray:
        data, cell_id, actor = picker.GetDataSet(), picker.GetCellId(), picker.GetActor()
        if data is None or cell_id < 0:
            return np.zeros((0, 3))
        cell = data.GetCell(cell_id)
        pts = cell.GetPoints()
        local = np.array([pts.GetPoint(i) for i in range(pts.GetNumberOfPoints())], dtype=np.float64).reshape(-1, 3)
        m = actor.GetMatrix()  # position and user matrix: far layers and tiles draw relative to a centre
        mat = np.array([[m.GetElement(r, c) for c in range(4)] for r in range(4)])
        return local @ mat[:3, :3].T + mat[:3, 3]

    def ground_under(self, point: np.ndarray) -> measure.Height | None:
        """Height over the lowest surface under the point: the triangles the view draws there (meshes,
        BIM, each streamed tile), ground-classified cloud points, else the ground grid's level."""
        b = self.win.scene.local_bounds()
        clouds = []
        for layer in self.win.scene.layers:
            if layer.visible and isinstance(layer, PointCloudLayer) and isinstance(layer.data, dict) and len(layer.positions):
                cls = layer.data.get("attributes", {}).get("classification")
                clouds.append((layer.positions, None if cls is None else np.asarray(cls) == 2))
        return measure.height_above_ground(point, self._drawn_surfaces(point), clouds,
                                           None if b is None else float(b[0][2]))

    def _drawn_surfaces(self, point: np.ndarray) -> list[tuple[np.ndarray, np.ndarray]]:
        """(vertices in ENU, triangles) of every visible, pickable mesh actor over the point's x, y."""
        actors = drawn_triangle_actors(self.win.canvas.plotter.renderer, point[:2])
        return [t for a in actors for t in [actor_triangles(a)] if t is not None]

    # --- clicks ----------------------------------------------------------------------------------
    def click(self, x: int, y: int) -> None:
        """A click at display (x, y; VTK convention) while measuring."""
        point = self.pick(x, y)
        if point is None:
            self.win.statusBar().showMessage(tr("{tool}: nothing under the cursor; {hint}").format(
                tool=tr(TITLES[self.mode]), hint=tr(HINTS[self.mode])), 0)
            return
        if self.mode == "label":
            self._add_label(point)
            return
        if self.mode == "height":
            h = self.ground_under(point)
            if h is None:
                self.win.statusBar().showMessage(tr("Height above ground: no ground found under that point"), 8000)
                return
            self._add(Measurement("height", [tuple(point), (point[0], point[1], h.ground_z)]))
            return
        self.points.append(point)
        need = measure.POINTS_NEEDED.get(self.mode)
        if need is not None and len(self.points) >= need:
            try:
                self._add(Measurement(self.mode, [tuple(p) for p in self.points]))
            except ValueError as exc:  # an angle with two equal points
                self.points = []
                self.win.statusBar().showMessage(f"{tr(TITLES[self.mode])}: {exc}", 8000)
            return
        self._show_pending(None)

    def _add_label(self, point: np.ndarray) -> None:
        text, ok = QInputDialog.getText(self.win, tr("Add label"), tr("Label text:"))
        if ok and text.strip():
            self.win.scene.annotations.append(Annotation(text.strip(), tuple(point)))
        self.cancel()

    def _show_pending(self, cursor: np.ndarray | None) -> None:
        pts = [tuple(p) for p in self.points] + ([tuple(cursor)] if cursor is not None else [])
        label = ""
        if len(pts) >= 2:
            try:
                label = Measurement(self.mode, pts).label()
            except ValueError:
                label = ""
        self.win.canvas.annotations.set_pending(self.mode, pts, label)

    def _update_rubber_band(self) -> None:
        if not self.mode or not self.points or self._hover is None:
            return
        cursor = self.pick(*self._hover)
        if cursor is not None:
            self._show_pending(cursor)

    def eventFilter(self, obj: QObject, event: QEvent) -> bool:  # noqa: N802 - Qt override
        if not self.mode or obj is not self.win.view:
            return False
        kind = event.type()
        if kind == QEvent.Type.KeyPress and event.key() in (Qt.Key.Key_Return, Qt.Key.Key_Enter, Qt.Key.Key_Escape):
            self.cancel() if event.key() == Qt.Key.Key_Escape else self.finish()  # the menu's keys, when the view has them
            return True
        if kind == QEvent.Type.MouseButtonPress and event.button() == Qt.MouseButton.LeftButton:
            self._press = (event.position().x(), event.position().y())
            self._swallow_release = False  # a new click: only the release right after a double-click is eaten
        elif kind == QEvent.Type.MouseButtonDblClick and event.button() == Qt.MouseButton.LeftButton:
            self._swallow_release = True
            self.finish()
        elif kind == QEvent.Type.MouseButtonRelease and event.button() == Qt.MouseButton.LeftButton:
            self.win._press_pos = None  # noqa: SLF001 - the window's own filter then picks nothing
            if self._swallow_release:
                self._swallow_release = False
            elif self._press is not None:
                dx, dy = event.position().x() - self._press[0], event.position().y() - self._press[1]
                if abs(dx) + abs(dy) <= CLICK_SLOP_PX:
                    self.click(*self.win._vtk_xy(event.position()))  # noqa: SLF001
            self._press = None
        elif kind == QEvent.Type.MouseMove and self.points:
            self._hover = self.win._vtk_xy(event.position())  # noqa: SLF001
            if not self._hover_timer.isActive():
                self._hover_timer.start()
        return False  # the view still orbits, pans and zooms
