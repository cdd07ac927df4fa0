"""Analysis > Planning > Sunlight hours...: hours of direct sun on the ground and facades over a day.

The day is a GB 50180 reference day (winter solstice, Great Cold) or the clock's date; the window
follows the day as the standard sets it (Great Cold 8:00-16:00, winter solstice 9:00-15:00, both
true solar time) and can be changed, also to clock time. The analysis runs as a
task (progress, Cancel); the GUI thread adds the result layers (heat map with an hours legend,
failing facades in red), which are saved with the project and exported from here.

`install_sun(win)` builds SUN's part of Analysis > Planning (shared with FLOOD, found by object name):
Sunlight hours..., Line of sight, Viewshed..., Export result..., and the Shadows toggle (also in View).
"""
from __future__ import annotations

from datetime import date, time
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QTimer
from PySide6.QtGui import QAction
from PySide6.QtWidgets import (
    QCheckBox, QComboBox, QDialog, QDialogButtonBox, QDoubleSpinBox, QFileDialog, QFormLayout, QLabel, QMenu,
    QProgressBar, QSpinBox, QVBoxLayout,
)

from app.model.layers import Layer
from app.tasks import Task
from app.ui.i18n import QT_TR_NOOP, tr
from app.ui.task_dialog import cancel_running, end_task, show_task_progress, start_task
from app.ui.planning_menu import PLANNING_MENU, planning_menu  # noqa: F401 - shared submenu
from loaders.base import Georef

if TYPE_CHECKING:
    from app.ui.main_window import MainWindow

# (key, label): the key names the day for reference_day/GB_WINDOWS and stays English; the label is shown as tr(label)
DAYS = (("winter solstice", QT_TR_NOOP("Winter solstice (\u51ac\u81f3)")),  # i18n: not shown (the key)
        ("great cold", QT_TR_NOOP("Great Cold (\u5927\u5bd2)")),  # i18n: not shown (the key)
        ("clock", QT_TR_NOOP("The clock's date")))
WINDOWS = ((time(8), time(16)), (time(9), time(15)))
ERROR_RGB = "#b00020"
UI_STATE_KEY = "sun"  # scene.ui_state entry saved with the project: {"shadows": bool}


def install_sun(win: "MainWindow") -> None:
    from app.ui.sight_tool import SightTool

    menu = planning_menu(win)
    menu.addSeparator()
    win.sunlight_action = menu.addAction(tr("&Sunlight hours\u2026"), lambda: open_sunlight_dialog(win))
    win.sight_tool = SightTool(win)
    win.line_of_sight_action = menu.addAction(tr("&Line of sight (pick two points)"), win.sight_tool.start_line)
    win.viewshed_action = menu.addAction(tr("&Viewshed (pick the observer)\u2026"), win.sight_tool.start_viewshed)
    win.export_result_action = menu.addAction(tr("E&xport sunlight or viewshed layer\u2026"), lambda: export_current(win))
    shadows = QAction(tr("S&hadows (sun follows the clock)"), win, checkable=True)
    shadows.setToolTip(tr("Light from the sun at the clock's time and place; ground and roofs in shadow darkened"))
    shadows.toggled.connect(lambda on: set_shadows(win, on))
    menu.addAction(shadows)
    for action in win.menuBar().actions():  # the same toggle in View
        if action.menu() is not None and action.text() in ("&View", tr("&View")):
            action.menu().addAction(shadows)
            break
    win.shadows_action = shadows

    def follow_project(*_: object) -> None:
        """A project saved with shadows on opens with them on (its ui state arrives with its clock)."""
        saved = win.scene.ui_state.get(UI_STATE_KEY)
        try:
            if isinstance(saved, dict) and isinstance(saved.get("shadows"), bool) and saved["shadows"] != shadows.isChecked():
                shadows.setChecked(saved["shadows"])
        except RuntimeError:  # the window is gone; its scene lives on (tests, recovery)
            pass

    win.scene.clock.range_changed.connect(follow_project)
    win.scene.layers.inserted.connect(follow_project)


def set_shadows(win: "MainWindow", on: bool) -> None:
    sun = win.canvas.sun_light
    win.scene.ui_state[UI_STATE_KEY] = {"shadows": bool(on)}  # saved with the project
    sun.set_enabled(on)
    if on:
        win.statusBar().showMessage(tr("Shadows at {time}: {sun}").format(time=win.scene.clock.label(), sun=sun.describe()), 8000)
        if not win.timeline.isVisible():
            win.timeline.show()  # the sun follows the clock: show the clock


class SunlightDialog(QDialog):
    """Stays open while it computes (progress, Cancel); closes once the layers are added."""

    def __init__(self, win: "MainWindow") -> None:
        super().__init__(win)
        self.win = win
        self.setWindowTitle(tr("Sunlight hours"))
        clock = win.scene.clock
        self.day = QComboBox()
        for key, label in DAYS:
            self.day.addItem(tr(label), key)
        self.year = QSpinBox()
        self.year.setRange(1900, 2200)
        self.year.setValue(clock.time.year)
        self.window_box = QComboBox()
        for a, b in WINDOWS:
            self.window_box.addItem(f"{a:%H:%M}\u2013{b:%H:%M}")
        self.day.currentIndexChanged.connect(self._standard_window)
        self._standard_window(0)
        self.basis = QComboBox()
        self.basis.addItems([tr("True solar time (GB 50180)"), tr("Clock time ({zone})").format(zone=clock.zone)])
        self.step = _spin(15, 1, 120, " min", tr("Sun positions every this many minutes"))
        self.grid = _spin(1.0, 0.25, 50, " m", tr("Ground grid cell and facade sample spacing"))
        self.min_hours = _spin(2.0, 0, 12, " h", tr("Facades with less direct sun than this are highlighted"))
        self.ground = QCheckBox(tr("Ground and roofs"))
        self.ground.setChecked(True)
        self.facades = QCheckBox(tr("Facades"))
        self.facades.setChecked(True)
        form = QFormLayout()
        form.addRow(tr("Day"), self.day)
        form.addRow(tr("Year"), self.year)
        form.addRow(tr("Window"), self.window_box)
        form.addRow(tr("Window in"), self.basis)
        form.addRow(tr("Step"), self.step)
        form.addRow(tr("Grid"), self.grid)
        form.addRow(tr("Minimum"), self.min_hours)
        form.addRow(tr("Surfaces"), self.ground)
        form.addRow("", self.facades)
        self.message = QLabel()
        self.message.setWordWrap(True)
        self.message.setStyleSheet(f"color: {ERROR_RGB};")
        self.message.hide()
        self.status = QLabel()
        self.bar = QProgressBar()
        self.bar.setRange(0, 100)
        self.bar.hide()
        self.buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel)
        self.run_button = self.buttons.button(QDialogButtonBox.StandardButton.Ok)
        self.run_button.setText(tr("Compute"))
        self.buttons.accepted.connect(self.start)
        self.buttons.rejected.connect(self.cancel)
        layout = QVBoxLayout(self)
        layout.addLayout(form)
        layout.addWidget(self.message)
        layout.addWidget(self.status)
        layout.addWidget(self.bar)
        layout.addWidget(self.buttons)
        self.task: Task | None = None
        self.added: list[Layer] = []
        self.summary: dict | None = None
        self._timer = QTimer(self, interval=100, timeout=self._show_progress)

    def show_message(self, text: str) -> None:
        self.message.setText(text)
        self.message.setVisible(bool(text))

    def _standard_window(self, index: int) -> None:
        """GB 50180's window for the chosen day (Great Cold 8-16, winter solstice 9-15)."""
        from app.analysis.sunlight import GB_WINDOWS

        window = GB_WINDOWS.get(DAYS[index][0])
        if window in WINDOWS:
            self.window_box.setCurrentIndex(WINDOWS.index(window))

    def params(self) -> Any:
        from app.analysis.sun import reference_day
        from app.analysis.sunlight import SunlightParams
        from app.ui.sight_tool import scene_place

        scene = self.win.scene
        key = DAYS[self.day.currentIndex()][0]
        day: date = scene.clock.time.date() if key == "clock" else reference_day(key, self.year.value(), scene.clock.zone)
        start, end = WINDOWS[self.window_box.currentIndex()]
        lat, lon = scene_place(scene)
        return SunlightParams(day=day, zone=scene.clock.zone, lat=lat, lon=lon, start=start, end=end,
                              solar_time=self.basis.currentIndex() == 0, step_minutes=self.step.value(),
                              grid_m=self.grid.value(), min_hours=self.min_hours.value(),
                              ground=self.ground.isChecked(), facades=self.facades.isChecked())

    def start(self) -> None:
        from app.analysis.rays import scene_parts
        from app.analysis.sunlight import SunlightError, compute_sunlight

        if self.task is not None:
            return
        p = self.params()
        try:
            p.check()
        except SunlightError as exc:
            self.show_message(str(exc))
            return
        scene = self.win.scene

        def work(task: Task) -> Any:
            parts = scene_parts(scene, cancel=task.cancelled)
            return compute_sunlight(parts, p, progress=task.report, cancel=task.cancelled)

        self.show_message("")
        start_task(self, self.win, tr("Sunlight hours {day}").format(day=p.day.isoformat()), work, self.status,
                   tr("Casting rays towards the sun\u2026"), tr("Sunlight %p%"))

    def _show_progress(self) -> None:
        show_task_progress(self, self.status)

    def cancel(self) -> None:
        if not cancel_running(self, self.status):
            self.reject()

    def _finish(self, task: Task) -> None:
        from app.analysis.sun_layers import sunlight_layer_data

        end_task(self)
        error = task_error(task)
        if error is not None:
            self.status.setText("" if error else tr("Cancelled: nothing was added."))
            self.show_message(error)
            return
        result = task.future.result()  # type: ignore[union-attr]
        self.added = add_result_layers(self.win, sunlight_layer_data(result, scene_georef(self.win.scene)))
        s = self.summary = result.summary
        ground, facades = s["ground"], s["facades"]
        text = tr("Sunlight hours ({steps} steps, {window:g} h window): ").format(steps=s["steps"], window=s["window_h"])
        if ground["points"]:
            text += tr("ground {low:g}\u2013{high:g} h; ").format(low=ground["min_h"], high=ground["max_h"])
        if facades["points"]:
            text += tr("{below:,} of {points:,} facade points under {hours:g} h; ").format(
                below=s["facade_points_below_min"], points=facades["points"], hours=result.params.min_hours)
        text += tr("{rays:,} rays in {seconds:.1f} s").format(rays=s["rays"], seconds=s["seconds"])
        self.win.statusBar().showMessage(text, 20000)
        self.accept()


def task_error(task: Task) -> str | None:
    """None: the task gave a result; "": cancelled; else the message to show (never a traceback)."""
    from app.analysis.rays import RaysCancelled

    if task.cancelled():
        return ""
    try:
        task.future.result()  # type: ignore[union-attr]
    except RaysCancelled:
        return ""
    except ValueError as exc:
        return str(exc)
    except MemoryError:
        return tr("not enough memory: use a coarser grid or a smaller area")
    except Exception as exc:  # noqa: BLE001 - a bug must not take the window down
        return tr("internal error: {kind}: {exc}").format(kind=type(exc).__name__, exc=exc)
    return None


def scene_georef(scene: Any) -> Georef:
    return Georef(kind="enu", origin_lla=scene.frame.origin_lla) if scene.frame.is_set else Georef()


def add_result_layers(win: "MainWindow", datas: list) -> list[Layer]:
    """Result data -> layers in the scene (GUI thread), styled, marked unsaved."""
    from app.analysis.sun_layers import style_layer

    scene, added = win.scene, []
    for data in datas:
        for layer in scene.make_layers(data):
            layer.source = None
            layer.info["derived"] = data.metadata["derived"]
            if not scene.frame.is_set:
                layer.info["crs"] = tr("scene frame")
            style_layer(layer)
            scene.layers.append(layer)
            added.append(layer)
    win.undo.set_dirty(True)
    return added


def export_current(win: "MainWindow", path: str | None = None) -> str | None:
    """Export the selected sunlight-hours or viewshed layer as CSV, VTK (.vtp) or GeoTIFF."""
    import numpy as np

    from app.analysis.sun_layers import ExportError, export_points, ground_grid
    from app.analysis.sunlight import HOURS_ATTR

    layer = win.layer_tree.current_layer()
    info = (layer.info.get("derived") or {}) if layer is not None else {}
    if info.get("analysis") not in ("sunlight_hours", "sunlight_below_min", "viewshed"):
        win.statusBar().showMessage(tr("Select a sunlight-hours or viewshed layer in the Layers dock first."), 8000)
        return None
    if path is None:
        grid_words = tr("GeoTIFF, ground grid")  # outside the f-string: lupdate does not see tr() inside one
        filters = f"CSV (*.csv);;VTK PolyData (*.vtp);;{grid_words} (*.tif)"  # i18n: not shown (file patterns)
        path, _ = QFileDialog.getSaveFileName(win, tr("Export result"), f"{layer.name}.csv", filters)
        if not path:
            return None
    attrs = {k: np.asarray(v) for k, v in layer.data.get("attributes", {}).items() if getattr(v, "ndim", 0) == 1}
    grid = None
    if path.lower().endswith((".tif", ".tiff")) and HOURS_ATTR in attrs and "facade" in attrs:
        grid_m = float((info.get("params") or {}).get("grid_m") or 1.0)
        grid = ground_grid(layer.positions, attrs[HOURS_ATTR], attrs["facade"], grid_m)
    try:
        export_points(path, layer.positions, attrs, grid=grid)
    except ExportError as exc:
        win.statusBar().showMessage(tr("Export failed: {exc}").format(exc=exc), 10000)
        return None
    win.statusBar().showMessage(tr("Exported {name} to {path}").format(name=layer.name, path=path), 8000)
    return path


def open_sunlight_dialog(win: "MainWindow") -> SunlightDialog:
    dialog = SunlightDialog(win)
    win.sunlight_dialog = dialog
    dialog.show()
    return dialog


def _spin(value: float, low: float, high: float, suffix: str, tip: str) -> QDoubleSpinBox:
    spin = QDoubleSpinBox()
    spin.setRange(low, high)
    spin.setDecimals(2)
    spin.setSuffix(suffix)
    spin.setValue(value)
    spin.setToolTip(tip)
    return spin
