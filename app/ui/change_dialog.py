"""Analysis > Change between scans...: pick the earlier and the later point-cloud layer and the M3C2
parameters; app.analysis.change.m3c2_change (the engine `twinscape change` runs) works on the
layers' scene-frame arrays in a worker (app/tasks.py) with progress and Cancel; the GUI thread adds
the result layers: the M3C2 distance cloud (coloured by m3c2_m), new material (green) and removed
material (red). They are derived layers: a project saves their arrays as sidecar files.

Bad input (one layer twice, too few points, no overlap, a radius of 0...) is said in the dialog in
the engine's words and changes nothing.
"""
from __future__ import annotations

from typing import Any

from PySide6.QtCore import QTimer
import numpy as np
from PySide6.QtWidgets import (
    QComboBox, QDialog, QDialogButtonBox, QDoubleSpinBox, QFormLayout, QLabel, QLineEdit, QProgressBar, QVBoxLayout,
)

from app.model.layers import Layer, PointCloudLayer
from app.tasks import Task
from app.ui.stations import parse_stations
from loaders.base import Georef
from app.ui.i18n import tr
from app.ui.task_dialog import cancel_running, end_task, show_task_progress, start_task

ERROR_RGB = "#c62828"


def point_layers(layers: Any) -> list[PointCloudLayer]:
    """Point clouds held whole in memory (a streamed COPC cloud only has what the view asked for)."""
    return [layer for layer in layers if isinstance(layer, PointCloudLayer) and len(layer.positions)
            and not layer.info.get("copc")]


def _spin(value: float, low: float, high: float, tip: str) -> QDoubleSpinBox:
    spin = QDoubleSpinBox()
    spin.setRange(low, high)
    spin.setDecimals(3)
    spin.setSingleStep(0.01)
    spin.setSuffix(tr(" m"))
    spin.setValue(value)
    spin.setToolTip(tip)
    return spin


class ChangeDialog(QDialog):
    """Stays open while the change is computed (progress, Cancel); closes once the layers are added."""

    def __init__(self, window: Any) -> None:
        super().__init__(window)
        self.window = window
        self.setWindowTitle(tr("Change between scans"))
        self.layers = point_layers(window.scene.layers)
        self.before, self.after = QComboBox(), QComboBox()
        for box in (self.before, self.after):
            for layer in self.layers:
                box.addItem(tr('{v0}  ({v1:,} points)').format(v0=layer.name, v1=len(layer.positions)))
        if len(self.layers) > 1:
            self.after.setCurrentIndex(1)
        self.cylinder = _spin(0.1, 0.0, 10.0, tr("M3C2 cylinder radius: the points of each scan within it are averaged"))
        self.normal = _spin(0.3, 0.0, 20.0, tr("Radius of the neighbourhood the surface normal is fitted to"))
        self.max_distance = _spin(1.0, 0.0, 100.0, tr("How far along the normal a change is looked for (cylinder half-length)"))
        self.registration = _spin(0.01, 0.0, 10.0, tr("Alignment uncertainty of the two scans, added to the level of detection"))
        crs = window.scene.frame.display_crs
        self.stations = QLineEdit()
        self.stations.setPlaceholderText(tr('optional: x, y, z; x, y, z … ({v0})').format(v0=crs or tr('scene metres')))
        self.stations.setToolTip(tr("Where the scanner stood (both scans), in the coordinates the status bar shows: "
                                 "normals then face the scanner, and what a scan could not see is not called change"))
        self.message = QLabel()
        self.message.setWordWrap(True)
        self.message.setStyleSheet(f"color: {ERROR_RGB};")
        self.message.hide()
        self.status = QLabel()
        self.bar = QProgressBar()
        self.bar.setRange(0, 100)
        self.bar.hide()
        form = QFormLayout()
        form.addRow(tr("Earlier scan"), self.before)
        form.addRow(tr("Later scan"), self.after)
        form.addRow(tr("Cylinder radius"), self.cylinder)
        form.addRow(tr("Normal radius"), self.normal)
        form.addRow(tr("Max distance"), self.max_distance)
        form.addRow(tr("Registration error"), self.registration)
        form.addRow(tr("Scanner stations"), self.stations)
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
        if len(self.layers) < 2:
            self.show_message(tr("Open two point cloud scans of the same place first (an earlier and a later one)."))
            self.run_button.setEnabled(False)

    def show_message(self, text: str) -> None:
        self.message.setText(text)
        self.message.setVisible(bool(text))

    def settings(self):
        from app.analysis.change import ChangeSettings

        return ChangeSettings(cylinder_radius=self.cylinder.value(), normal_radius=self.normal.value(),
                              max_distance=self.max_distance.value(), registration_error=self.registration.value())

    def station_positions(self) -> np.ndarray | None:
        """The stations typed ("x, y, z; x, y, z") in the coordinates the status bar shows, as scene
        metres; None when empty. ValueError says why (the compare dialog's rule: app/ui/stations.py)."""
        return parse_stations(self.stations.text(), self.window.scene.frame)

    def start(self) -> None:
        """Check the choice here (a message, nothing changes), then run the engine in a worker."""
        from app.analysis.c2m import C2MError
        from app.analysis.change import m3c2_change

        if self.task is not None:
            return
        if self.before.currentIndex() == self.after.currentIndex():
            self.show_message(tr("Choose two different scans: the earlier and the later one."))
            return
        settings = self.settings()
        try:
            settings.validate()
        except C2MError as exc:
            self.show_message(str(exc))
            return
        try:
            stations = self.station_positions()
        except ValueError as exc:
            self.show_message(str(exc))
            return
        before, after = self.layers[self.before.currentIndex()], self.layers[self.after.currentIndex()]
        a, b = before.positions, after.positions

        def work(task: Task) -> Any:
            return m3c2_change(a, b, settings, stations_before=stations, stations_after=stations,
                               progress=task.report, cancel=task.cancelled)

        self.show_message("")
        task = start_task(self, self.window, tr('Change {v0} → {v1}').format(v0=before.name, v1=after.name), work,
                          self.status, tr("Computing the change\u2026"), tr("Change %p%"))
        task.change_names = (before.name, after.name)  # type: ignore[attr-defined]

    def _show_progress(self) -> None:
        show_task_progress(self, self.status)

    def cancel(self) -> None:
        """Cancel stops a running computation (nothing is added), else closes the dialog."""
        if not cancel_running(self, self.status):
            self.reject()

    def _finish(self, task: Task) -> None:
        """GUI thread (the window's task timer): add the result layers, or say why not."""
        end_task(self)
        try:
            result = task.future.result()  # type: ignore[union-attr]
        except Exception as exc:  # noqa: BLE001 - bad input (C2MError) or a bug: a message, never a traceback
            if task.cancelled():
                self.status.setText(tr("Cancelled: nothing was added."))
            elif isinstance(exc, ValueError):
                self.status.setText("")
                self.show_message(str(exc))
            else:
                self.status.setText("")
                self.show_message(tr('internal error: {v0}: {exc}').format(v0=type(exc).__name__, exc=exc))
            return
        if task.cancelled():
            self.status.setText(tr("Cancelled: nothing was added."))
            return
        self.added = add_change_layers(self.window, result, "{} \u2192 {}".format(*task.change_names))  # type: ignore[attr-defined]
        s = result.summary()
        self.summary = s
        self.window.statusBar().showMessage(
            tr('Change: {v0:,} significant of {v1:,} compared, {v2:,} new and {v3:,} removed points').format(v0=s['significant'], v1=s['compared'], v2=s['new_points'], v3=s['removed_points'])
            + "".join(f"; {w}" for w in result.warnings), 15000)
        self.accept()


def add_change_layers(window: Any, result: Any, name: str) -> list[Layer]:
    """The change result as scene layers (derived: no file source; saved as sidecar arrays)."""
    scene = window.scene
    added: list[Layer] = []
    # in the scene frame already: ENU at its origin (as app.model.derived restores them), so nothing
    # takes them for unplaced data and moves them to the view centre
    georef = Georef(kind="enu", origin_lla=scene.frame.origin_lla) if scene.frame.is_set else Georef()
    for data in result.layers(georef=georef, name=name):
        if not len(data.positions):
            continue
        for layer in scene.make_layers(data):
            layer.source = None
            layer.info["derived"] = data.metadata["derived"]
            if not scene.frame.is_set:
                layer.info["crs"] = tr("scene frame")
            if "m3c2_m" in data.attributes:
                layer.color_mode = "m3c2_m"
                layer.set_color_limits("m3c2_m", (-0.5, 0.5))
            scene.layers.append(layer)
            added.append(layer)
    window.undo.set_dirty(True)
    return added


def open_change_dialog(window: Any) -> None:
    """Analysis > Change between scans... (app/ui/menus.py calls this)."""
    dialog = ChangeDialog(window)
    dialog.setModal(False)
    window.change_dialog = dialog
    dialog.show()
