"""Analysis > Compare scan with design...: choose a scan and BIM layers, a tolerance and a far
cut-off; the engine (app.analysis.compare.compare_arrays, the same one `twinscape compare` runs)
works on the layers' scene-frame arrays in a worker with progress and Cancel, and the GUI thread
applies its answer as a ComparisonLayer (app.model.comparison).

Bad input (no scan, no BIM layer, a tolerance <= 0, a cut-off not beyond it, scan and design
without overlap...) is said in the dialog, in the engine's words (C2MError), and changes nothing.
"""
from __future__ import annotations

from typing import TYPE_CHECKING, Any

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QComboBox, QDialog, QDialogButtonBox, QDoubleSpinBox, QFormLayout, QLabel, QLineEdit, QListWidget, QListWidgetItem,
    QVBoxLayout,
)

from app.model.layers import Layer, MeshLayer, PointCloudLayer
from app.ui.i18n import tr

if TYPE_CHECKING:
    from app.ui.comparison_controller import ComparisonController

ERROR_RGB = "#c62828"


def scan_layers(layers: Any) -> list[PointCloudLayer]:
    """Point clouds held whole in memory (a streamed COPC cloud only has what the view asked for)."""
    return [layer for layer in layers if isinstance(layer, PointCloudLayer) and len(layer.positions)
            and not layer.info.get("copc")]


def design_layers(layers: Any) -> list[MeshLayer]:
    """Meshes whose triangles name their elements (IFC models, city models)."""
    return [layer for layer in layers if isinstance(layer, MeshLayer) and not getattr(layer, "streamed", False)
            and layer.elements and layer.data.get("face_element") is not None and len(layer.data["faces"])]


class CompareDialog(QDialog):
    """The choices; OK asks the controller to start, and stays open with the reason if it cannot."""

    def __init__(self, controller: "ComparisonController", parent=None) -> None:
        super().__init__(parent)
        self.controller = controller
        self.setWindowTitle(tr("Compare scan with design"))
        self.setMinimumWidth(460)  # the stations' hint stays readable
        layers = list(controller.scene.layers)
        self.scans = [layer for layer in scan_layers(layers) if not layer.info.get("derived")]  # no analysis results
        self.designs = design_layers(layers)
        self.scan_box = QComboBox()
        for layer in self.scans:
            self.scan_box.addItem(tr('{v0}  ({v1:,} points)').format(v0=layer.name, v1=len(layer.positions)))
        self.design_list = QListWidget()
        self.design_list.setMaximumHeight(110)
        for layer in self.designs:
            item = QListWidgetItem(tr('{v0}  ({v1:,} elements)').format(v0=layer.name, v1=len(layer.elements)))
            item.setFlags(item.flags() | Qt.ItemFlag.ItemIsUserCheckable)
            item.setCheckState(Qt.CheckState.Checked)
            self.design_list.addItem(item)
        self.tolerance = _spin(0.0, 10.0, 0.05, tr("Deviations within \u00b1 this are \u201cas designed\u201d (white)"))
        self.max_distance = _spin(0.0, 100.0, 1.0, tr("Points farther than this from every design surface are far "
                                  "(clutter, scaffolding, people): grey, and not averaged in"))
        crs = controller.scene.frame.display_crs
        self.stations = QLineEdit()
        self.stations.setPlaceholderText(tr('optional: x, y, z; x, y, z … ({v0})').format(v0=crs or tr('scene metres')))
        self.stations.setToolTip(tr("Where the scanner stood, in the coordinates the status bar shows: faces no station "
                                 "could see are not held against an element (see the README's verdict rules)"))
        self.message = QLabel()
        self.message.setWordWrap(True)
        self.message.setStyleSheet(f"color: {ERROR_RGB};")
        self.message.hide()
        form = QFormLayout()
        form.addRow(tr("Scan"), self.scan_box)
        form.addRow(tr("Design"), self.design_list)
        form.addRow(tr("Tolerance"), self.tolerance)
        form.addRow(tr("Far cut-off"), self.max_distance)
        form.addRow(tr("Scanner stations"), self.stations)
        self.buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel)
        self.buttons.button(QDialogButtonBox.StandardButton.Ok).setText(tr("Compare"))
        self.buttons.accepted.connect(self.start)
        self.buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addLayout(form)
        layout.addWidget(self.message)
        layout.addWidget(self.buttons)
        streamed = [layer.name for layer in layers if isinstance(layer, PointCloudLayer) and layer.info.get("copc")]
        if not self.scans and streamed:
            self.show_message(tr('{v0} streams from a COPC file too large to hold in memory: compare it with `twinscape compare --scan FILE --design MODEL.ifc -o report.html`, which reads it in chunks.').format(v0=streamed[0]))
        elif not self.scans or not self.designs:
            self.show_message(tr("Open a point cloud scan and an IFC model first: ") + (
                tr("no point cloud layer is open.") if not self.scans else tr("no BIM layer with elements is open.")))

    def chosen(self) -> tuple[PointCloudLayer | None, list[MeshLayer]]:
        scan = self.scans[self.scan_box.currentIndex()] if self.scans and self.scan_box.currentIndex() >= 0 else None
        designs = [layer for i, layer in enumerate(self.designs)
                   if self.design_list.item(i).checkState() == Qt.CheckState.Checked]
        return scan, designs

    def show_message(self, text: str) -> None:
        self.message.setText(text)
        self.message.setVisible(bool(text))

    def start(self) -> None:
        scan, designs = self.chosen()
        error = self.controller.start(scan, designs, float(self.tolerance.value()), float(self.max_distance.value()),
                                      stations=self.stations.text().strip())
        if error:
            self.show_message(error)
            return
        self.accept()


def _spin(low: float, high: float, value: float, tip: str) -> QDoubleSpinBox:
    spin = QDoubleSpinBox()
    spin.setRange(low, high)
    spin.setDecimals(3)
    spin.setSingleStep(0.01)
    spin.setSuffix(tr(" m"))
    spin.setValue(value)
    spin.setToolTip(tip)
    return spin


def open_compare_dialog(window: Any) -> CompareDialog:
    dialog = CompareDialog(window.comparisons, window)
    dialog.setModal(False)
    window.compare_dialog = dialog
    dialog.show()
    return dialog


def comparison_name(scan: Layer, designs: list[MeshLayer]) -> str:
    return f"{scan.name} vs {', '.join(d.name for d in designs)}"
