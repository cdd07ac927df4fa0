"""Dialog to georeference a layer that has none, in either of the two ways users know:
its coordinates are in a CRS they can name (an EPSG code, as CloudCompare and QGIS ask), or
its local origin stands at a latitude/longitude with a rotation (a BIM model's project base point)."""
from __future__ import annotations

from typing import Any, Callable

from PySide6.QtWidgets import (
    QDialog, QDialogButtonBox, QDoubleSpinBox, QFormLayout, QLabel, QLineEdit, QWidget,
)
from app.ui.i18n import tr

# apply(crs or None, origin_lla, rotation) -> None when done, else a readable reason
Apply = Callable[[str | None, tuple[float, float, float], float], str | None]


def _spin(lo: float, hi: float, decimals: int, value: float, suffix: str) -> QDoubleSpinBox:
    box = QDoubleSpinBox()
    box.setRange(lo, hi)
    box.setDecimals(decimals)
    box.setValue(value)
    box.setSuffix(suffix)
    return box


class PlaceDialog(QDialog):
    """Opens on the layer's current placement (`placement`: {"crs"} or {"origin_lla",
    "rotation_deg"}), so OK without edits keeps it: nothing is silently reset."""

    def __init__(self, layer_name: str, origin_lla: tuple[float, float, float], parent: QWidget | None = None,
                 apply: Apply | None = None, placement: dict[str, Any] | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle(tr('Place {layer_name}').format(layer_name=layer_name))
        self._apply = apply
        form = QFormLayout(self)
        form.addRow(QLabel(tr("This layer has no georeference. Either name the CRS its coordinates are in:")))
        self.crs = QLineEdit()
        self.crs.setPlaceholderText(tr("e.g. 4547 or EPSG:32650; leave empty to place by latitude/longitude"))
        self.crs.setClearButtonEnabled(True)
        self.crs.textChanged.connect(self._on_crs_text)
        form.addRow(tr("Coordinate system"), self.crs)
        form.addRow(QLabel(tr("or say where its local origin (0, 0, 0) stands:")))
        self.lat = _spin(-90, 90, 7, origin_lla[0], " \u00b0")
        self.lon = _spin(-180, 180, 7, origin_lla[1], " \u00b0")
        self.height = _spin(-1000, 9000, 3, origin_lla[2], " m")
        placement = placement or {}
        if placement.get("origin_lla"):
            origin_lla = tuple(float(v) for v in placement["origin_lla"])  # type: ignore[assignment]
            self.lat.setValue(origin_lla[0])
            self.lon.setValue(origin_lla[1])
            self.height.setValue(origin_lla[2])
        self.rotation = _spin(-360, 360, 3, float(placement.get("rotation_deg", 0.0)), " \u00b0")
        self.rotation.setToolTip(tr("Direction of the model's +y axis, clockwise from north"))
        form.addRow(tr("Latitude (WGS84)"), self.lat)
        form.addRow(tr("Longitude (WGS84)"), self.lon)
        form.addRow(tr("Ellipsoidal height"), self.height)
        form.addRow(tr("Rotation (+y from north, clockwise)"), self.rotation)
        self.error = QLabel("")
        self.error.setStyleSheet("color: #c0392b;")
        self.error.setWordWrap(True)
        form.addRow(self.error)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel)
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        form.addRow(buttons)
        if placement.get("crs"):
            self.crs.setText(str(placement["crs"]))

    def _on_crs_text(self, text: str) -> None:
        self.error.setText("")
        for box in (self.lat, self.lon, self.height, self.rotation):
            box.setEnabled(not text.strip())

    def crs_text(self) -> str | None:
        return self.crs.text().strip() or None

    def values(self) -> tuple[tuple[float, float, float], float]:
        return (self.lat.value(), self.lon.value(), self.height.value()), self.rotation.value()

    def accept(self) -> None:
        """Apply before closing, so a CRS that does not fit is said here and the user can fix it."""
        if self._apply is not None:
            origin, rotation = self.values()
            reason = self._apply(self.crs_text(), origin, rotation)
            if reason:
                self.error.setText(reason)
                return
        super().accept()
