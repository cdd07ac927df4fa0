"""Main window: the 3D view in the centre, layer tree and properties docks, status bar, File menu.

Loads run in `TaskRunner` workers; a GUI timer polls them, shows progress and adds finished
layers on the GUI thread (VTK objects on screen are touched only here).
"""
from __future__ import annotations

import queue
import warnings
from pathlib import Path

from PySide6.QtCore import QEvent, QObject, QSettings, Qt, QTimer
from PySide6.QtGui import QAction
from PySide6.QtWidgets import (
    QFileDialog, QInputDialog, QLabel, QMainWindow, QMessageBox, QProgressBar, QPushButton,
)

from app.model.layers import Layer
from app.model.opening import apply_opened, open_paths
from app.model.project import is_project
from app.model.scene import Scene
from app.model.undo import UndoStack
from app.tasks import Task, TaskRunner
from app.ui.gantt import install_gantt
from app.ui.layer_tree import LayerTreeDock
from app.ui.menus import (
    add_navigation_menu, build_analysis_menu, build_edit_menu, build_file_menu, build_help_menu, build_time_menu,
)
from app.ui.model_tree import ModelTreeDock
from app.ui.notices import add_scene_origin_menu, install_notices
from app.ui.point_budget import PointBudgetControl
from app.ui.project_files import ProjectFiles
from app.ui.properties import PropertiesDock
from app.ui.split_controls import SplitControls
from app.ui.timeline import TimelineDock
from loaders.base import LoadCancelled, LoadError
from loaders.registry import supported_extensions
from app.ui.i18n import tr

MAX_RECENT = 8
CLICK_SLOP_PX = 4
VIEW_MIN_SIZE = (240, 180)  # the 3D view always keeps this much of a small window; docks give way


class MainWindow(QMainWindow):
    def __init__(self, scene: Scene | None = None, settings: QSettings | None = None) -> None:
        super().__init__()
        from pyvistaqt import QtInteractor

        from viewers.canvas import Canvas

        self.setWindowTitle(tr("Twinscape"))
        self.resize(1400, 900)
        self.setAcceptDrops(True)
        self.scene = scene or Scene()
        self.settings = settings or QSettings("Twinscape", "Twinscape")  # native, user scope (tests redirect it)
        self.undo = UndoStack(self.scene)
        self.tasks = TaskRunner()
        self._partials: queue.Queue = queue.Queue(maxsize=64)  # streamed partial layers, drained by the poll timer
        self.errors: list[str] = []  # readable messages shown to the user, newest last
        self.message_box: QMessageBox | None = None

        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            self.view = QtInteractor(self, auto_update=False)
        self.view.setAcceptDrops(False)  # drops go to the window's own loader, not pyvista.read
        self.view.setMinimumSize(*VIEW_MIN_SIZE)
        self.setCentralWidget(self.view)
        self.canvas = Canvas(self.view, self.scene, schedule=lambda fn: QTimer.singleShot(0, fn))
        self.layer_tree = LayerTreeDock(self.scene, self.zoom_to_layer, self)
        self.layer_tree.relink = self.relink_layers
        self.layer_tree.undo = self.undo
        self.properties = PropertiesDock(self.scene, self)
        self.model_tree = ModelTreeDock(self.scene, self.canvas.zoom_to, self)
        self.addDockWidget(Qt.DockWidgetArea.LeftDockWidgetArea, self.layer_tree)
        self.addDockWidget(Qt.DockWidgetArea.LeftDockWidgetArea, self.model_tree)
        self.tabifyDockWidget(self.layer_tree, self.model_tree)
        self.layer_tree.raise_()
        self.addDockWidget(Qt.DockWidgetArea.RightDockWidgetArea, self.properties)
        self.timeline = TimelineDock(self.scene.clock, self)  # the scene clock; shown from View > Timeline
        self.addDockWidget(Qt.DockWidgetArea.BottomDockWidgetArea, self.timeline)
        self.timeline.hide()  # until something in the scene is time-aware (a schedule...)
        self.scene.layers.inserted.connect(self._show_timeline_for)
        self._build_status_bar()
        self.notices = install_notices(self)  # far or unplaced layers: non-blocking notices above the view
        self.project_files = ProjectFiles(self)
        self._build_menus()
        self.gantt = install_gantt(self)  # schedule tasks, linked both ways with the view (app/ui/gantt.py)
        from app.ui.bookmarks_dock import install_tours

        install_tours(self)  # Present: Bookmarks and tours dock, next/previous bookmark, play tour (app/ui/bookmarks_dock.py)
        from app.ui.briefing import install_briefing

        self.briefing = install_briefing(self)  # Present > Briefing mode (F11), File > Export image..., autosave
        from app.ui.sensor_live import install_sensors

        self.live = install_sensors(self)  # Live menu, feed timer, alerts dock, sensor chart (app/ui/sensor_live.py)
        from app.ui.flood_dialog import install_planning

        install_planning(self)  # Analysis > Planning: Flood..., Height limits...; result layers on the clock (FLOOD)

        self._press_pos: tuple[int, int] | None = None
        self._hover_pos: tuple[int, int] | None = None
        self.view.installEventFilter(self)
        self.view.installEventFilter(self.split_controls)  # moved in front: dragging the swipe line is not a pick
        self.view.setMouseTracking(True)
        self._poll = QTimer(self, interval=100, timeout=self._poll_tasks)
        self._poll.start()
        self._hover_timer = QTimer(self, interval=150, timeout=self._update_cursor_position)
        self._hover_timer.start()
        self._stats_timer = QTimer(self, interval=500, timeout=self._update_stats)
        self._stats_timer.start()
        self.scene.layers.inserted.connect(lambda *_: self._update_stats())
        self.scene.layers.removed.connect(lambda *_: self._update_stats())
        self.scene.bookmarks_changed.connect(self._refresh_bookmarks)  # the menu follows the model
        from app.ui.measure_menu import install_measure

        install_measure(self)  # Tools: measure, section box/plane, labels; Measurements dock (after the view's filters)
        from app.ui.sunlight_dialog import install_sun

        install_sun(self)  # Analysis > Planning: Sunlight hours, Line of sight, Viewshed; View > Shadows (SUN)

    # --- construction -------------------------------------------------------------------------
    def _build_status_bar(self) -> None:
        bar = self.statusBar()
        self.frame_label = QLabel(tr("frame \u2013 ms"))
        self.drawn_label = QLabel(tr("0 points, 0 triangles"))
        self.cursor_label = QLabel("")
        self.drawn_label.setMinimumWidth(300)
        self.frame_label.setMinimumWidth(110)
        for label in (self.drawn_label, self.frame_label):
            label.setAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        self.progress = QProgressBar()
        self.progress.setMaximumWidth(220)
        self.progress.setRange(0, 100)
        self.cancel_button = QPushButton(tr("Cancel"))
        self.cancel_button.clicked.connect(self.cancel_loads)
        bar.addWidget(self.cursor_label, 1)
        bar.addPermanentWidget(self.progress)
        bar.addPermanentWidget(self.cancel_button)
        bar.addPermanentWidget(self.drawn_label)
        bar.addPermanentWidget(self.frame_label)
        self.progress.hide()
        self.cancel_button.hide()

    def _build_menus(self) -> None:
        build_file_menu(self)  # New, Open, Recent, Save, Save As, Close Project, Quit (app/ui/menus.py)
        build_edit_menu(self)  # Undo, Redo
        view_menu = self.menuBar().addMenu(tr("&View"))
        view_menu.setObjectName("view_menu")  # found by name, whatever the interface's language
        self.view_menu = view_menu
        view_menu.addAction(QAction(tr("Zoom to &all"), self, shortcut="F", triggered=lambda: self.canvas.zoom_to()))
        view_menu.addAction(QAction(tr("&Top view"), self, shortcut="T", triggered=lambda: self.canvas.zoom_to(view="top")))
        self.edl_action = QAction(tr("&Eye-dome lighting"), self, checkable=True, shortcut="E",
                                  toggled=self.canvas.set_eye_dome_lighting)
        view_menu.addAction(self.edl_action)
        self.point_budget = PointBudgetControl(self, self.canvas, self.settings, view_menu)
        self.stats_action = QAction(tr("&Statistics overlay"), self, checkable=True, shortcut="F3",
                                    toggled=self.canvas.show_stats_overlay)
        view_menu.addAction(self.stats_action)
        add_navigation_menu(self, view_menu)
        add_scene_origin_menu(self, view_menu, self.notices)  # View > Scene origin > Move to this layer
        self.split_controls = SplitControls(self, view_menu)  # View > Side by side (split, swipe), Full screen
        self.bookmark_menu = view_menu.addMenu(tr("&Bookmarks"))
        view_menu.addAction(self.layer_tree.toggleViewAction())
        view_menu.addAction(self.properties.toggleViewAction())
        view_menu.addAction(self.model_tree.toggleViewAction())
        view_menu.addAction(self.timeline.toggleViewAction())
        build_time_menu(self, view_menu)  # View > Time: Play/Pause, steps, Set time (app/ui/timeline.py)
        build_analysis_menu(self)  # Compare scan with design, report, change, ICP (app/ui/menus.py)
        build_help_menu(self)  # Keyboard shortcuts (read from the menus above), About

    def _show_timeline_for(self, _index: int, layer: Layer) -> None:
        """A time-aware layer (its class says `time_aware = True`, e.g. a schedule) brings the timeline."""
        if getattr(layer, "time_aware", False) and not self.timeline.isVisible():  # a result layer: with >1 step
            self.timeline.show()

    def _refresh_bookmarks(self) -> None:
        from app.ui.bookmarks_dock import refresh_bookmark_menu

        refresh_bookmark_menu(self)  # View > Bookmarks: each flies there, like the Bookmarks dock

    # --- opening ------------------------------------------------------------------------------
    def open_dialog(self) -> None:
        exts = " ".join(f"*{e}" for e in supported_extensions() + [".twin"])
        paths, _ = QFileDialog.getOpenFileNames(self, tr("Open data"), self.project_files.start_dir(),
                                                tr('Twinscape data ({exts});;All files (*)').format(exts=exts))
        if paths:
            self.project_files.remember_dir(paths[0])  # only a folder the user can write to
            self.open_paths(paths)

    def open_url_dialog(self) -> None:
        url, ok = QInputDialog.getText(self, tr("Open URL"), tr("Tileset or file URL (http or https):"))
        if ok and url.strip():
            self.open_paths([url.strip()])

    def open_paths(self, paths: list[str]) -> Task:
        """Load in a worker; the window stays responsive and layers already open are untouched."""
        paths = [str(p) for p in paths]
        label = (Path(paths[0]).name or paths[0]) if len(paths) == 1 else f"{len(paths)} files"

        def work(task: Task) -> tuple[list[Layer], list[LoadError]]:
            errors: list[LoadError] = []

            def on_partial(path: str, layers: list[Layer]) -> None:
                try:  # the GUI timer shows them; snapshots are cumulative, so a full queue may drop one
                    self._partials.put_nowait((task, path, layers))
                except queue.Full:
                    pass

            layers = open_paths(self.scene, paths, on_error=errors.append, progress=task.report, cancel=task.cancelled,
                                on_partial=on_partial, keep_missing=True)
            return layers, errors

        task = self.tasks.submit(label, work)
        task.shown = {}  # type: ignore[attr-defined]  # path -> partial layers already in the scene
        task.into_empty = not len(self.scene.layers)  # type: ignore[attr-defined]  # a project opened alone is clean
        task.paths = paths  # type: ignore[attr-defined]
        self.progress.setValue(0)
        self.progress.setFormat(tr('{label} %p%').format(label=label))
        self.progress.show()
        self.cancel_button.show()
        return task

    def relink_layers(self, pairs: list) -> Task:
        """Locate...: load each missing layer's file from its new path in a worker; on the GUI
        thread the loaded layers take the missing entry's place in the list."""
        from app.model.opening import relink_layers

        def work(task: Task) -> list:
            out = []
            for i, (missing, path) in enumerate(pairs):
                try:
                    out.append((missing, relink_layers(self.scene, missing, path, cancel=task.cancelled,
                                                       progress=lambda f, m="", i=i: task.report((i + f) / len(pairs), m)), None))
                except LoadError as exc:
                    out.append((missing, [], exc))
            return out

        task = self.tasks.submit(tr('Re-link {v0} layer(s)').format(v0=len(pairs)), work)
        task.on_done = self._finish_relink  # type: ignore[attr-defined]
        self.progress.setValue(0)
        self.progress.show()
        self.cancel_button.show()
        return task

    def _finish_relink(self, task: Task) -> None:
        try:
            results = task.future.result()  # type: ignore[union-attr]
        except Exception as exc:  # noqa: BLE001 - LoadCancelled or a bug: the missing entries stay
            if not isinstance(exc, LoadCancelled):
                self.show_errors([LoadError(task.label, tr('internal error: {v0}: {exc}').format(v0=type(exc).__name__, exc=exc))])
            return
        from app.model.opening import adopt_frame_of

        errors = [exc for _, _, exc in results if exc is not None]
        for missing, layers, exc in results:
            if exc is not None or task.cancelled() or not any(missing is other for other in self.scene.layers):
                continue
            adopt_frame_of(self.scene, layers)
            index = self.scene.layers.index(missing)
            self.scene.layers.remove(missing)
            for offset, layer in enumerate(layers):
                self.scene.layers.insert(index + offset, layer)
        if errors:
            self.show_errors(errors)

    def cancel_loads(self) -> None:
        for task in self.tasks.tasks:
            task.cancel()

    def _show_partials(self) -> None:
        """Streamed layers: the first batch is added, later snapshots replace its arrays in place."""
        while True:
            try:
                task, path, layers = self._partials.get_nowait()
            except queue.Empty:
                return
            if task.cancelled():
                continue
            shown = task.shown.get(path)
            if shown is None:
                self.notices.batch = task  # ungeoreferenced models opened together share one placement
                for layer in layers:
                    self.scene.layers.append(layer)
                task.shown[path] = layers
                if len(self.scene.layers) == len(layers) and not self.scene.camera_from_project:
                    self.canvas.zoom_to()
            else:
                self._replace_data(shown, layers)

    def _restore_order(self, ordered: list[Layer]) -> None:
        """Streamed layers arrive early; put this task's layers back in the order it loaded them."""
        positions = sorted(self.scene.layers.index(layer) for layer in ordered)
        for target, layer in zip(positions, ordered):
            current = self.scene.layers.index(layer)
            if current != target:
                self.scene.layers.move(current, target)

    @staticmethod
    def _replace_data(shown: list[Layer], fresh: list[Layer]) -> None:
        for old, new in zip(shown, fresh):
            old.data, old.info, old.warnings = new.data, new.info, new.warnings
            old.data_changed.emit()

    def _poll_tasks(self) -> None:
        self._show_partials()
        self.canvas.tick()  # streamed tilesets: attach tiles the workers finished, follow the camera
        if self.tasks.tasks:
            current = self.tasks.tasks[0]
            self.progress.setValue(int(current.progress * 100))
            if current.message:
                self.progress.setToolTip(current.message)
        for task in self.tasks.pop_finished():
            with self.undo.paused():  # applying a project's saved state is not an undoable change
                self._finish(task)
            self._after_load(task)
        if not self.tasks.tasks:
            self.progress.hide()
            self.cancel_button.hide()

    def _finish(self, task: Task) -> None:
        if getattr(task, "on_done", None) is not None:
            task.on_done(task)  # type: ignore[attr-defined]
            return
        try:
            layers, errors = task.future.result()  # type: ignore[union-attr]
            if task.cancelled():  # the user said stop: even work that just finished is not added
                raise LoadCancelled()
        except LoadCancelled:
            for partial in getattr(task, "shown", {}).values():  # the user said stop: nothing stays half-loaded
                for layer in partial:
                    if any(layer is other for other in self.scene.layers):
                        self.scene.layers.remove(layer)
            self.statusBar().showMessage(tr('Cancelled loading {v0}').format(v0=task.label), 5000)
            return
        except Exception as exc:  # noqa: BLE001 - a bug in a worker must not take the window down
            layers, errors = [], [LoadError(task.label, tr('internal error: {v0}: {exc}').format(v0=type(exc).__name__, exc=exc))]
        self._show_partials()
        if getattr(layers, "projects", None):  # camera, bookmarks, frame, clock: applied here, never by the worker
            apply_opened(self.scene, layers.projects)
            self.model_tree._apply_saved_grouping()  # streamed layers may already be in the tree
        shown: dict[str, list[Layer]] = getattr(task, "shown", {})
        first = len(self.scene.layers) == sum(len(v) for v in shown.values())
        for exc in errors:  # a stream that failed half-way leaves nothing behind
            for layer in shown.pop(exc.path, []):
                self.scene.layers.remove(layer)
        by_path: dict[str, list[Layer]] = {}
        for layer in layers:
            by_path.setdefault((layer.source or {}).get("path", ""), []).append(layer)
        for path, fresh in by_path.items():
            if path in shown and len(shown[path]) == len(fresh):
                for old, new in zip(shown[path], fresh):
                    old.source = new.source
                    for key, value in new.get_state().items():  # project state (name, opacity...) applies to the final layer
                        if key not in ("name",) and getattr(old, key) != value:
                            setattr(old, key, value)
                    if new.name != old.name and "[" not in old.name:
                        old.name = new.name
                self._replace_data(shown[path], fresh)
            else:
                self.notices.batch = task
                for layer in fresh:
                    self.scene.layers.append(layer)
        self._restore_order([layer for path, fresh in by_path.items() for layer in (shown.get(path) or fresh)])
        for path in getattr(task, "paths", []):
            if not any(e.path == path for e in errors):
                self._add_recent(path)
        self._refresh_bookmarks()
        if layers and first:
            if self.scene.camera_from_project:
                self.canvas.set_camera(self.scene.camera)
            else:
                self.canvas.zoom_to()
        if errors:
            self.show_errors(errors)

    def _after_load(self, task: Task) -> None:
        """A project opened into an empty window is that project, unchanged; anything else
        loaded is an unsaved change."""
        paths = getattr(task, "paths", None)
        if task.cancelled() or getattr(task, "keeps_clean", False):  # e.g. a comparison the project asked for
            return
        if paths is None:  # a re-link: the project's paths changed
            self.undo.set_dirty(True)
            return
        if getattr(task, "into_empty", False) and len(paths) == 1 and is_project(paths[0]):
            self.project_files.opened(paths[0])
        elif len(self.scene.layers):
            self.undo.set_dirty(True)

    def show_errors(self, errors: list[LoadError]) -> None:
        """A readable, non-blocking message: other work goes on while it is shown."""
        text = "\n".join(f"{Path(e.path).name}: {e.reason}" for e in errors)
        self.errors.append(text)
        if self.briefing.divert(text):  # briefing mode: a count on a small indicator, never a box over the audience
            return
        self.message_box = QMessageBox(QMessageBox.Icon.Warning, tr("Could not open"), text, QMessageBox.StandardButton.Ok, self)
        self.message_box.setModal(False)
        self.message_box.show()

    def _add_recent(self, path: str) -> None:
        recent = [p for p in self.recent_files() if p != path]
        self.settings.setValue("recent", [path] + recent[: MAX_RECENT - 1])
        self._refresh_recent()

    def recent_files(self) -> list[str]:
        value = self.settings.value("recent", [])
        return [value] if isinstance(value, str) else list(value or [])

    def _refresh_recent(self) -> None:
        self.recent_menu.clear()
        for path in self.recent_files():
            self.recent_menu.addAction(QAction(path, self, triggered=lambda _=False, p=path: self.open_paths([p])))
        self.recent_menu.setEnabled(bool(self.recent_files()))

    def save_project_dialog(self) -> bool:
        return self.project_files.save_as()

    # --- drag and drop ------------------------------------------------------------------------
    def dragEnterEvent(self, event) -> None:  # noqa: N802 - Qt override
        if event.mimeData().hasUrls():
            event.acceptProposedAction()

    def dropEvent(self, event) -> None:  # noqa: N802
        paths = [u.toLocalFile() for u in event.mimeData().urls() if u.isLocalFile()]
        if paths:
            self.open_paths(paths)
            event.acceptProposedAction()

    # --- picking and status -------------------------------------------------------------------
    def zoom_to_layer(self, layer: Layer | None) -> None:
        if layer is not None and layer.bounds() is not None:
            self.canvas.zoom_to(layer.bounds())

    def _vtk_xy(self, pos) -> tuple[int, int]:
        ratio = self.view.devicePixelRatioF()
        return int(pos.x() * ratio), int((self.view.height() - pos.y()) * ratio)

    def eventFilter(self, obj: QObject, event: QEvent) -> bool:  # noqa: N802
        if obj is self.view:
            kind = event.type()
            if kind == QEvent.Type.MouseButtonPress and event.button() == Qt.MouseButton.LeftButton:
                self._press_pos = (event.position().x(), event.position().y())
            elif kind == QEvent.Type.MouseButtonRelease and event.button() == Qt.MouseButton.LeftButton and self._press_pos:
                dx, dy = event.position().x() - self._press_pos[0], event.position().y() - self._press_pos[1]
                if abs(dx) + abs(dy) <= CLICK_SLOP_PX:
                    self.pick_at(*self._vtk_xy(event.position()))
                self._press_pos = None
            elif kind == QEvent.Type.MouseMove:
                self._hover_pos = self._vtk_xy(event.position())
        return super().eventFilter(obj, event)

    def pick_at(self, x: int, y: int) -> None:
        self.scene.select(self.canvas.pick(x, y))

    def _update_cursor_position(self) -> None:
        if self._hover_pos is None:
            return
        pos, self._hover_pos = self._hover_pos, None
        world = self.canvas.world_position(*pos)
        if world is None:
            self.cursor_label.setText("")
            return
        d = self.canvas.describe_position(world)
        text = f"E {d['x (m, ENU)']:.2f} N {d['y (m, ENU)']:.2f} U {d['z (m, ENU)']:.2f} m"
        crs = self.scene.frame.display_crs
        if crs and f"{crs} x" in d:
            text = f"{crs}: {d[f'{crs} x']:.2f}, {d[f'{crs} y']:.2f} m"
        if "lat (deg)" in d:
            text += f"   |   {d['lat (deg)']:.6f}\u00b0, {d['lon (deg)']:.6f}\u00b0, h {d['h (m)']:.2f} m"
        self.cursor_label.setText(text)

    def _update_stats(self) -> None:
        s = self.canvas.stats()
        self.drawn_label.setText(tr('{v0:,} points, {v1:,} triangles').format(v0=s['points_drawn'], v1=s['triangles_drawn']))
        self.drawn_label.setToolTip(tr('point budget {v0:,} per frame (View > Point budget)').format(v0=self.canvas.point_budget))
        if "tiles_selected" in s:  # streamed 3D Tiles, CesiumJS-like counters; failed tiles keep their parent
            extra = tr(', {v0} tiles ({v1} loaded').format(v0=s['tiles_selected'], v1=s['tiles_loaded'])
            extra += f", {s['tiles_pending']} loading" if s.get("tiles_pending") else ""
            extra += f", {s['tiles_failed']} failed" if s.get("tiles_failed") else ""
            self.drawn_label.setText(self.drawn_label.text() + extra + ")")
            self.drawn_label.setToolTip(tr('tiles visited {v0}, culled {v1}, geometry {v2:.1f} MiB, evicted {v3}').format(v0=s['tiles_visited'], v1=s.get('tiles_culled', 0), v2=s['tiles_geometry_bytes'] / 2 ** 20, v3=s.get('tiles_evicted', 0)))
        self.frame_label.setText(tr('frame {v0:.0f} ms').format(v0=self.canvas.frame_ms))
        self.canvas.refresh_stats_overlay()

    def closeEvent(self, event) -> None:  # noqa: N802
        if not self.project_files.maybe_save():  # Cancel: the window stays open
            event.ignore()
            return
        self._poll.stop()
        self._hover_timer.stop()
        self._stats_timer.stop()
        self.tasks.shutdown()
        self.comparisons.close()
        self.timeline.detach()  # the scene's clock may outlive the window
        self.gantt.detach()
        self.bookmarks_dock.detach()
        self.scene.bookmarks_changed.disconnect(self._refresh_bookmarks)
        self.notices.close()
        self.canvas.close()
        self.view.close()
        super().closeEvent(event)
