"""Analysis > Refine alignment (ICP)... and the layer context menu: refine where a scan sits against
a reference (a BIM/mesh layer or another point cloud), starting from where it is now.

ICP (app.analysis.registration.register: small_gicp, scipy fallback) runs in a worker (app/tasks.py)
with progress and Cancel; the dialog shows the RMS residual before and after. Apply moves the layer
on the GUI thread as one undoable step (app.model.undo.placement_step) and records the motion as the
layer's "refine" placement option (app/model/refinement.py), so the project reopens it refined.
"""
from __future__ import annotations

from typing import Any

import numpy as np
from PySide6.QtCore import QTimer
from PySide6.QtWidgets import (
    QComboBox, QDialog, QDialogButtonBox, QDoubleSpinBox, QFormLayout, QLabel, QProgressBar, QPushButton, QVBoxLayout,
)

from app.model.layers import Layer, MeshLayer, PointCloudLayer
from app.model.refinement import can_refine, refine_layer
from app.model.undo import placement_step
from app.tasks import Task
from app.ui.i18n import tr
from app.ui.task_dialog import cancel_running, end_task, show_task_progress, start_task

ERROR_RGB = "#c62828"


def reference_layers(layers: Any, moving: Layer) -> list[Layer]:
    """Everything the layer can be fitted to: meshes with triangles (BIM, city models) and clouds."""
    out = []
    for layer in layers:
        if layer is moving or not can_refine(layer):
            continue
        if isinstance(layer, MeshLayer) and not len(layer.data.get("faces", ())):
            continue
        out.append(layer)
    return out


def shown_faces(layer: MeshLayer) -> np.ndarray:
    """The triangles drawn: spaces and openings (hidden by default) and elements the user hid or
    filtered out are no surfaces a scan can hold, so ICP must not fit to them."""
    faces = np.asarray(layer.data["faces"])
    fe = layer.data.get("face_element")
    if fe is None or not layer.elements:
        return faces
    fe = np.asarray(fe)
    hidden = layer.not_drawn_mask()
    keep = (fe < 0) | (fe >= len(hidden)) | ~hidden[np.clip(fe, 0, len(hidden) - 1)]
    return faces[keep]


def _angle_deg(t: np.ndarray) -> float:
    return float(np.degrees(np.arccos(np.clip((np.trace(t[:3, :3]) - 1) / 2, -1.0, 1.0))))


class RegistrationDialog(QDialog):
    """Run shows the residual before and after; Apply (enabled once a run succeeded) moves the layer."""

    def __init__(self, window: Any, layer: Layer) -> None:
        super().__init__(window)
        self.window = window
        self.layer = layer
        self.setWindowTitle(tr('Refine alignment of {v0}').format(v0=layer.name))
        self.references = reference_layers(window.scene.layers, layer)
        self.reference = QComboBox()
        for ref in self.references:
            kind = "points" if isinstance(ref, PointCloudLayer) else "triangles"
            count = len(ref.positions) if isinstance(ref, PointCloudLayer) else len(ref.data["faces"])
            self.reference.addItem(tr('{v0}  ({count:,} {kind})').format(v0=ref.name, count=count, kind=kind))
        self.max_distance = QDoubleSpinBox()
        self.max_distance.setRange(0.01, 100.0)
        self.max_distance.setDecimals(2)
        self.max_distance.setValue(1.0)
        self.max_distance.setSuffix(tr(" m"))
        self.max_distance.setToolTip(tr("Points farther than this from the reference (clutter) are left out of the residual"))
        self.result_label = QLabel(tr("Run ICP to see the residual before and after."))
        self.result_label.setWordWrap(True)
        self.message = QLabel()
        self.message.setWordWrap(True)
        self.message.setStyleSheet(f"color: {ERROR_RGB};")
        self.message.hide()
        self.bar = QProgressBar()
        self.bar.setRange(0, 100)
        self.bar.hide()
        form = QFormLayout()
        form.addRow(tr("Layer to move"), QLabel(layer.name))
        form.addRow(tr("Reference"), self.reference)
        form.addRow(tr("Residual cut-off"), self.max_distance)
        self.buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Apply | QDialogButtonBox.StandardButton.Close)
        self.apply_button = self.buttons.button(QDialogButtonBox.StandardButton.Apply)
        self.apply_button.setEnabled(False)
        self.apply_button.clicked.connect(self.apply)
        self.run_button = QPushButton(tr("Run ICP"))
        self.buttons.addButton(self.run_button, QDialogButtonBox.ButtonRole.ActionRole)
        self.run_button.clicked.connect(self.run)
        self.buttons.rejected.connect(self.close_or_cancel)
        layout = QVBoxLayout(self)
        layout.addLayout(form)
        layout.addWidget(self.result_label)
        layout.addWidget(self.message)
        layout.addWidget(self.bar)
        layout.addWidget(self.buttons)
        self.task: Task | None = None
        self.result: Any = None
        self._timer = QTimer(self, interval=100, timeout=self._show_progress)
        if not can_refine(layer):
            self.show_message(tr('{v0} has no coordinates that can be moved here (a streamed layer?).').format(v0=layer.name))
            self.run_button.setEnabled(False)
        elif not self.references:
            self.show_message(tr("Open a reference first: a BIM model, a mesh or another point cloud of the same place."))
            self.run_button.setEnabled(False)

    def show_message(self, text: str) -> None:
        self.message.setText(text)
        self.message.setVisible(bool(text))

    def run(self) -> None:
        from app.analysis.registration import register

        if self.task is not None or not self.references:
            return
        ref = self.references[self.reference.currentIndex()]
        moving = self.layer.positions if isinstance(self.layer, PointCloudLayer) else self.layer.data["vertices"]
        kwargs: dict[str, Any] = {"max_distance": float(self.max_distance.value())}
        if isinstance(ref, PointCloudLayer):
            kwargs["reference_points"] = ref.positions
        else:
            kwargs["reference_mesh"] = (ref.data["vertices"], shown_faces(ref))

        def work(task: Task) -> Any:
            return register(moving, progress=task.report, cancel=task.cancelled, **kwargs)

        self.show_message("")
        self.result = None
        self.apply_button.setEnabled(False)
        task = start_task(self, self.window, tr('Refine {v0}').format(v0=self.layer.name), work, self.result_label,
                          tr('Refining against {v0}…').format(v0=ref.name), tr("ICP %p%"))
        task.moving_positions = moving  # type: ignore[attr-defined]

    def _show_progress(self) -> None:
        show_task_progress(self)

    def close_or_cancel(self) -> None:
        if not cancel_running(self, self.result_label):
            self.reject()

    def _finish(self, task: Task) -> None:
        end_task(self)
        try:
            result = task.future.result()  # type: ignore[union-attr]
        except Exception as exc:  # noqa: BLE001 - bad input (C2MError) or a bug: a message, never a traceback
            self.result_label.setText(tr("Cancelled: nothing changed.") if task.cancelled() else "")
            if not task.cancelled():
                self.show_message(str(exc) if isinstance(exc, ValueError) else tr('internal error: {v0}: {exc}').format(v0=type(exc).__name__, exc=exc))
            return
        if task.cancelled():
            self.result_label.setText(tr("Cancelled: nothing changed."))
            return
        if task.moving_positions is not (self.layer.positions if isinstance(self.layer, PointCloudLayer)  # type: ignore[attr-defined]
                                         else self.layer.data["vertices"]):
            self.show_message(tr("The layer moved while ICP ran: run it again."))
            return
        self.result = result
        t = result.transform
        shift = float(np.linalg.norm(t[:3, 3] + t[:3, :3] @ self._centre() - self._centre()))
        self.result_label.setText(
            tr("RMS residual {before:.1f} mm \u2192 {after:.1f} mm over {n:,} points; moves {shift:.3f} m and "
               "{angle:.2f}\u00b0 ({method}{converged}, {seconds:.1f} s).").format(
                before=result.rms_before * 1000, after=result.rms_after * 1000, n=result.correspondences, shift=shift,
                angle=_angle_deg(t), method=result.method, converged="" if result.converged else tr(", not converged"),
                seconds=result.seconds)
            + ("".join(f"\n{w}" for w in result.warnings)))
        self.apply_button.setEnabled(True)

    def _centre(self) -> np.ndarray:
        b = self.layer.bounds()
        return np.zeros(3) if b is None else (np.asarray(b[0]) + np.asarray(b[1])) / 2

    def apply(self) -> None:
        """Move the layer (one undoable step) and keep the refinement with the project."""
        if self.result is None:
            return
        transform = self.result.transform
        scene = self.window.scene
        try:
            placement_step(self.window.undo, self.layer, lambda: refine_layer(scene, self.layer, transform),
                           tr('Refine alignment of {v0}').format(v0=self.layer.name))
        except ValueError as exc:
            self.show_message(str(exc))
            return
        self.result = None
        self.apply_button.setEnabled(False)
        self.result_label.setText(self.result_label.text() + tr("\nApplied (Edit \u203a Undo to go back)."))
        self.window.canvas.request_render()


def open_registration_dialog(window: Any, layer: Layer) -> None:
    """Analysis > Refine alignment (ICP)... and the layer context menu (app/ui/menus.py calls this)."""
    dialog = RegistrationDialog(window, layer)
    dialog.setModal(False)
    window.registration_dialog = dialog
    dialog.show()
