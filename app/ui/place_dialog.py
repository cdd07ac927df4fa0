"""Dialog to place a model that has no georeference: lat/lon/height of its origin and its rotation."""
from __future__ import annotations

from PySide6.QtWidgets import QDialog, QDialogButtonBox, QDoubleSpinBox, QFormLayout, QLabel, QWidget


def _spin(lo: float, hi: float, decimals: int, value: float, suffix: str) -> QDoubleSpinBox:
    box = QDoubleSpinBox()
    box.setRange(lo, hi)
    box.setDecimals(decimals)
    box.setValue(value)
    box.setSuffix(suffix)
    return box


class PlaceDialog(QDialog):
    def __init__(self, layer_name: str, origin_lla: tuple[float, float, float], parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle(f"Place {layer_name}")
        form = QFormLayout(self)
        form.addRow(QLabel("This layer has no georeference. Where is its local origin (0, 0, 0)?"))
        self.lat = _spin(-90, 90, 7, origin_lla[0], " \u00b0")
        self.lon = _spin(-180, 180, 7, origin_lla[1], " \u00b0")
        self.height = _spin(-1000, 9000, 3, origin_lla[2], " m")
        self.rotation = _spin(-360, 360, 3, 0.0, " \u00b0")
        self.rotation.setToolTip("Direction of the model's +y axis, clockwise from north")
        form.addRow("Latitude (WGS84)", self.lat)
        form.addRow("Longitude (WGS84)", self.lon)
        form.addRow("Ellipsoidal height", self.height)
        form.addRow("Rotation (+y from north, clockwise)", self.rotation)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel)
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        form.addRow(buttons)

    def values(self) -> tuple[tuple[float, float, float], float]:
        return (self.lat.value(), self.lon.value(), self.height.value()), self.rotation.value()
