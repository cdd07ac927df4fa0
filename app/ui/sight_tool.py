"""Line of sight (pick two points) and viewshed (pick the observer) in the 3D view.

While a pick is pending, a click on the view (not a drag) gives a point on whatever is under the
cursor instead of selecting; Escape ends it. The eye stands EYE_HEIGHT_M above the first point
(a person on the ground); the target is the point as picked. The sight line is drawn green up to
where it is blocked and red beyond, with a marker at the hit; the status bar says visible or
blocked and where. The viewshed runs as a task and adds a layer (seen green, unseen grey).
"""
from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np
from PySide6.QtCore import QEvent, QObject, Qt

from app.tasks import Task
from app.ui.i18n import tr

if TYPE_CHECKING:
    from app.ui.main_window import MainWindow

EYE_HEIGHT_M = 1.7
VIEWSHED_RADIUS_M = 150.0
VIEWSHED_GRID_M = 2.0
CLICK_SLOP_PX = 4
SEEN_RGB, BLOCKED_RGB = (46, 160, 67), (214, 39, 40)


def scene_place(scene: Any) -> tuple[float, float]:
    """The scene's latitude and longitude (its frame origin); an unplaced scene: the demo's (Wuhan)."""
    from viewers.sun_light import DEFAULT_LAT_LON

    frame = scene.frame
    if frame.is_set and frame.origin_lla is not None:
        return float(frame.origin_lla[0]), float(frame.origin_lla[1])
    return DEFAULT_LAT_LON


class SightTool(QObject):
    def __init__(self, win: "MainWindow") -> None:
        super().__init__(win)
        self.win = win
        self.mode: str | None = None  # "line" | "viewshed" | None
        self.points: list[np.ndarray] = []
        self.result: Any = None  # the last SightLine
        self.viewshed_summary: dict | None = None
        self._actors: list[Any] = []
        self._press: tuple[float, float] | None = None
        self._rays: Any = None
        win.view.installEventFilter(self)
        win.scene.layers.inserted.connect(self._forget)
        win.scene.layers.removed.connect(self._forget)

    def _forget(self, *_: object) -> None:
        self._rays = None

    # --- modes ----------------------------------------------------------------------------------
    def start_line(self) -> None:
        self._begin("line", tr("Line of sight: click the observer's point, then the target (Esc cancels)"))

    def start_viewshed(self) -> None:
        self._begin("viewshed", tr("Viewshed: click where the observer stands ({radius:g} m around, Esc cancels)").format(
            radius=VIEWSHED_RADIUS_M))

    def _begin(self, mode: str, message: str) -> None:
        self.mode, self.points = mode, []
        self.win.view.setCursor(Qt.CursorShape.CrossCursor)
        self.win.statusBar().showMessage(message)

    def stop(self) -> None:
        self.mode, self.points = None, []
        self.win.view.unsetCursor()

    def eventFilter(self, obj: QObject, event: QEvent) -> bool:  # noqa: N802 - Qt override
        if self.mode is None or obj is not self.win.view:
            return False
        kind = event.type()
        if kind == QEvent.Type.KeyPress and event.key() == Qt.Key.Key_Escape:
            self.stop()
            self.win.statusBar().showMessage(tr("Cancelled"), 3000)
            return True
        if kind == QEvent.Type.MouseButtonPress and event.button() == Qt.MouseButton.LeftButton:
            self._press = (event.position().x(), event.position().y())
        elif kind == QEvent.Type.MouseButtonRelease and event.button() == Qt.MouseButton.LeftButton and self._press:
            dx, dy = event.position().x() - self._press[0], event.position().y() - self._press[1]
            self._press = None
            if abs(dx) + abs(dy) <= CLICK_SLOP_PX:
                world = self.win.canvas.world_position(*self.win._vtk_xy(event.position()))
                if world is None:
                    self.win.statusBar().showMessage(tr("Nothing under the cursor there: click on a building or the ground"), 5000)
                else:
                    self.add_point(np.asarray(world, dtype=np.float64))
                return True  # a click here is a pick for the tool, not a selection
        return False

    def add_point(self, world: np.ndarray) -> None:
        """A picked point in scene ENU (what a click gives)."""
        if self.mode is None:
            return
        self.points.append(world)
        if self.mode == "line" and len(self.points) == 2:
            eye, target = self.points[0] + np.array([0.0, 0.0, EYE_HEIGHT_M]), self.points[1]
            self.stop()
            self.show_line(eye, target)
        elif self.mode == "line":
            self.win.statusBar().showMessage(tr("Line of sight: now click the target"))
        elif self.mode == "viewshed":
            eye = self.points[0] + np.array([0.0, 0.0, EYE_HEIGHT_M])
            self.stop()
            self.run_viewshed(eye)

    # --- line of sight --------------------------------------------------------------------------
    def ray_scene(self) -> Any:
        from app.analysis.rays import ray_scene_for

        if self._rays is None:
            self._rays = ray_scene_for(self.win.scene)
        return self._rays

    def show_line(self, eye: np.ndarray, target: np.ndarray) -> Any:
        from app.analysis.sight import SightError, line_of_sight

        try:
            r = line_of_sight(self.ray_scene(), eye, target)
        except SightError as exc:
            self.win.statusBar().showMessage(tr("Line of sight: {exc}").format(exc=exc), 8000)
            return None
        self.result = r
        self.clear_drawing()
        end = r.hit if r.hit is not None else target
        self._line(eye, end, SEEN_RGB)
        if r.hit is not None:
            self._line(r.hit, target, BLOCKED_RGB)
            self._marker(r.hit, BLOCKED_RGB)
        self._marker(eye, SEEN_RGB)
        self._marker(target, SEEN_RGB if r.visible else BLOCKED_RGB)
        if r.visible:
            text = tr("Line of sight: visible, {distance:.1f} m").format(distance=r.distance)
        else:
            h = r.hit
            text = tr("Line of sight: blocked {blocked:.1f} m from the eye (of {distance:.1f} m) at E {e:.1f} N {n:.1f} U {u:.1f} m").format(
                blocked=r.blocked_at, distance=r.distance, e=h[0], n=h[1], u=h[2])
        self.win.statusBar().showMessage(text, 20000)
        self.win.canvas.request_render()
        return r

    def _line(self, a: np.ndarray, b: np.ndarray, rgb: tuple[int, int, int]) -> None:
        import pyvista as pv

        self._actors.append(self.win.canvas.plotter.add_mesh(pv.Line(a, b), color=rgb, line_width=4, lighting=False,
                                                             pickable=False, reset_camera=False, render=False))

    def _marker(self, p: np.ndarray, rgb: tuple[int, int, int]) -> None:
        import pyvista as pv

        self._actors.append(self.win.canvas.plotter.add_mesh(pv.PolyData(np.asarray(p, dtype=np.float32).reshape(1, 3)),
                                                             color=rgb, point_size=12, render_points_as_spheres=True,
                                                             pickable=False, reset_camera=False, render=False))

    def clear_drawing(self) -> None:
        for actor in self._actors:
            self.win.canvas.plotter.remove_actor(actor, render=False)
        self._actors = []

    # --- viewshed -------------------------------------------------------------------------------
    def run_viewshed(self, eye: np.ndarray, radius: float = VIEWSHED_RADIUS_M, grid_m: float = VIEWSHED_GRID_M) -> Task:
        from app.analysis.rays import scene_parts
        from app.analysis.sight import viewshed

        scene = self.win.scene

        def work(task: Task) -> Any:
            parts = scene_parts(scene, cancel=task.cancelled)
            return viewshed(parts, eye, radius, grid_m, progress=task.report, cancel=task.cancelled)

        task = self.win.tasks.submit(tr("Viewshed"), work)
        task.on_done = self._viewshed_done  # type: ignore[attr-defined]
        self.win.progress.setValue(0)
        self.win.progress.setFormat(tr("Viewshed %p%"))
        self.win.progress.show()
        self.win.cancel_button.show()
        self.win.statusBar().showMessage(tr("Viewshed: casting rays\u2026"))
        return task

    def _viewshed_done(self, task: Task) -> None:
        from app.analysis.sun_layers import viewshed_layer_data
        from app.ui.sunlight_dialog import add_result_layers, scene_georef, task_error

        error = task_error(task)
        if error is not None:
            self.win.statusBar().showMessage(tr("Viewshed: {message}").format(message=error or tr("cancelled, nothing was added")), 10000)
            return
        v = task.future.result()  # type: ignore[union-attr]
        add_result_layers(self.win, [viewshed_layer_data(v, scene_georef(self.win.scene))])
        s = self.viewshed_summary = v.summary
        self.win.statusBar().showMessage(
            tr("Viewshed: {seen:,.0f} of {ground:,.0f} m\u00b2 of ground and {facades:,} facade points seen within {radius:g} m").format(
                seen=s["ground_visible_m2"], ground=s["ground_m2"], facades=s["facade_points_visible"], radius=s["radius_m"]), 20000)

    def close(self) -> None:
        self.clear_drawing()
        self.win.scene.layers.inserted.disconnect(self._forget)
        self.win.scene.layers.removed.disconnect(self._forget)
