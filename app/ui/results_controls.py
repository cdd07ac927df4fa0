"""The Layers dock's rows for a result layer: colour map, display (surface, points, iso-surface,
contours, slice), iso value, slice axis and position, the array that lifts it (a water surface),
the time step shown, and Export (GeoTIFF, CSV, VTK). The array itself is the dock's "Colour by",
its range the dock's range row."""
from __future__ import annotations

import os
from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QComboBox, QDoubleSpinBox, QFileDialog, QFormLayout, QHBoxLayout, QLabel, QMessageBox, QPushButton, QSlider, QWidget,
)

from app.model.results import COLORMAPS, REPRESENTATIONS, SLICE_AXES, ResultLayer
from app.ui.i18n import QT_TR_NOOP, tr
from app.ui.layer_controls import register_layer_controls
from viewers.results_visual import step_text

# representation (the key saved in the project) -> its label, translated where shown
DISPLAY_LABELS = {"surface": QT_TR_NOOP("Surface"), "points": QT_TR_NOOP("Points"), "iso": QT_TR_NOOP("Iso-surface"),
                  "contour": QT_TR_NOOP("Contours"), "slice": QT_TR_NOOP("Slice")}


@register_layer_controls(ResultLayer)
class ResultControls(QWidget):
    def __init__(self, scene: Any, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.scene = scene
        self.layer: ResultLayer | None = None
        self._filling = False
        self.cmap = QComboBox()
        self.cmap.addItems(list(COLORMAPS))  # matplotlib names: keys, the same in every language
        self.display = QComboBox()
        for rep in REPRESENTATIONS:
            self.display.addItem(tr(DISPLAY_LABELS[rep]), rep)
        self.iso = QDoubleSpinBox()
        self.iso.setRange(-1e12, 1e12)
        self.iso.setDecimals(3)
        self.iso.setKeyboardTracking(False)
        self.axis = QComboBox()
        self.axis.addItems([a.upper() for a in SLICE_AXES])
        self.position = QSlider(Qt.Orientation.Horizontal)
        self.position.setRange(0, 100)
        self.height_by = QComboBox()
        self.step = QLabel()
        self.export = QPushButton(tr("Export\u2026"))
        self.export.setToolTip(tr("Save this result as GeoTIFF (rasters), CSV (values at points, at the clock's time) or VTK"))
        form = QFormLayout(self)
        form.setContentsMargins(0, 0, 0, 0)
        form.addRow(tr("Colour map"), self.cmap)
        form.addRow(tr("Display"), self.display)
        self.iso_row = QLabel(tr("Iso value"))
        form.addRow(self.iso_row, self.iso)
        slice_row = QWidget()
        row = QHBoxLayout(slice_row)
        row.setContentsMargins(0, 0, 0, 0)
        row.addWidget(self.axis)
        row.addWidget(self.position, 1)
        self.slice_label = QLabel(tr("Slice"))
        self.slice_row = slice_row
        form.addRow(self.slice_label, slice_row)
        form.addRow(tr("Height by"), self.height_by)
        form.addRow(tr("Time"), self.step)
        form.addRow("", self.export)
        self.cmap.currentTextChanged.connect(lambda v: self._set("cmap", v))
        self.display.currentIndexChanged.connect(lambda _i: self._set("representation", self.display.currentData()))
        self.iso.valueChanged.connect(lambda v: self._set("iso_value", float(v)))
        self.axis.currentTextChanged.connect(lambda v: self._set("slice_axis", v.lower()))
        self.position.valueChanged.connect(lambda v: self._set("slice_position", v / 100.0))
        self.height_by.currentIndexChanged.connect(lambda _i: self._set("height_by", self.height_by.currentData() or ""))
        self.export.clicked.connect(self.export_dialog)
        scene.clock.time_changed.connect(self._show_step)

    def set_layer(self, layer: Any) -> None:
        if self.layer is not None:
            self.layer.events.all.disconnect(self._fill)
        self.layer = layer if isinstance(layer, ResultLayer) else None
        if self.layer is not None:
            self.layer.events.all.connect(self._fill)
            self._fill()

    def _fill(self, *_: Any) -> None:
        layer = self.layer
        if layer is None or self._filling:
            return
        self._filling = True
        try:
            self.cmap.setCurrentText(layer.cmap)
            self.display.setCurrentIndex(REPRESENTATIONS.index(layer.representation))
            rng = layer.data_range(layer.color_mode) or (0.0, 1.0)
            self.iso.setValue(layer.iso_value if layer.iso_value is not None else (rng[0] + rng[1]) / 2)
            self.axis.setCurrentText(layer.slice_axis.upper())
            self.position.setValue(round(layer.slice_position * 100))
            self.height_by.clear()
            self.height_by.addItem(tr("(flat)"), "")
            for name in layer.available_color_modes():
                self.height_by.addItem(tr(name), name)  # the array's name (a key) as data
            self.height_by.setCurrentIndex(max(0, self.height_by.findData(layer.height_by)))
            for widget in (self.iso_row, self.iso):
                widget.setVisible(layer.representation in ("iso",))
            for widget in (self.slice_label, self.slice_row):
                widget.setVisible(layer.representation == "slice")
        finally:
            self._filling = False
        self._show_step()

    def _show_step(self, *_: Any) -> None:
        if self.layer is None:
            return
        try:
            self.step.setText(step_text(self.layer, self.scene.clock.time) or tr("one state"))
        except RuntimeError:  # the dock was closed while the scene's clock lives on
            self.scene.clock.time_changed.disconnect(self._show_step)

    def _set(self, name: str, value: Any) -> None:
        if self.layer is not None and not self._filling and getattr(self.layer, name) != value:
            setattr(self.layer, name, value)

    def export_dialog(self) -> str | None:
        layer = self.layer
        if layer is None:
            return None
        kinds = ["CSV (*.csv)", "VTK (*.vtu *.vtk *.vts)"]  # i18n: not shown (file filters: names and patterns)
        if layer.data.get("grid_shape") is not None and layer.data["grid_shape"][2] == 1:
            kinds.insert(0, "GeoTIFF (*.tif)")  # i18n: not shown (a file filter)
        path, _ = QFileDialog.getSaveFileName(self, tr("Export {layer}").format(layer=layer.name), layer.name, ";;".join(kinds))
        return self.export_to(path) if path else None

    def export_to(self, path: str) -> str | None:
        """Write the layer to `path` (format by extension); a message box says what went wrong."""
        from app.analysis.results_export import ExportError, export_result

        try:
            export_result(self.layer, path, self.scene)  # type: ignore[arg-type]
        except ExportError as exc:
            box = QMessageBox(QMessageBox.Icon.Warning, tr("Export"), f"{os.path.basename(path)}: {exc}",
                              QMessageBox.StandardButton.Ok, self)
            box.setModal(False)
            box.show()
            self.message_box = box
            return None
        return path
