"""Min/max of the current colour ramp in the layer dock, with "Reset to data range".

Why: the ramp is fixed to the whole layer's range (app.model.color_range) so colours do not move
while navigating; a user comparing two scans, or reading a narrow band of intensity, sets it.
The limits are layer state, so they are saved with the project.
"""
from __future__ import annotations

from typing import Any

from PySide6.QtWidgets import QDoubleSpinBox, QHBoxLayout, QLabel, QPushButton, QWidget

from app.model.color_range import height_datum, shown_range
from app.model.layers import Layer
from app.model.scene import Scene
from app.ui.i18n import tr


def _box(tip: str) -> QDoubleSpinBox:
    box = QDoubleSpinBox()
    box.setRange(-1e9, 1e9)
    box.setDecimals(2)
    box.setKeyboardTracking(False)  # typing "120" is one change, not three
    box.setToolTip(tip)
    return box


class ColorRangeControls(QWidget):
    def __init__(self, scene: Scene, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.scene = scene
        self.layer: Layer | None = None
        self._filling = False
        self.minimum = _box(tr("Value at the low end of the colour ramp"))
        self.maximum = _box(tr("Value at the high end of the colour ramp"))
        self.unit = QLabel()
        self.reset = QPushButton(tr("Reset to data range"))
        self.reset.setToolTip(tr("Use the range of the whole layer (not only what is drawn)"))
        row = QHBoxLayout(self)
        row.setContentsMargins(0, 0, 0, 0)
        row.addWidget(QLabel(tr("Range")))
        row.addWidget(self.minimum, 1)
        row.addWidget(QLabel("\u2013"))
        row.addWidget(self.maximum, 1)
        row.addWidget(self.unit)
        row.addWidget(self.reset)
        self.minimum.valueChanged.connect(self._on_edit)
        self.maximum.valueChanged.connect(self._on_edit)
        self.reset.clicked.connect(self._on_reset)

    def set_layer(self, layer: Layer | None) -> None:
        """Follow the dock's current layer: shown for numeric colour modes only."""
        if self.layer is not None:
            for signal in (self.layer.events.color_mode, self.layer.events.color_limits):
                signal.disconnect(self._refresh)
        self.layer = layer
        if layer is not None:
            layer.events.color_mode.connect(self._refresh)
            layer.events.color_limits.connect(self._refresh)
        self._refresh()

    def _refresh(self, *_: Any) -> None:
        layer = self.layer
        shown = shown_range(layer, layer.color_mode, self.scene.frame) if layer is not None else None
        self.setVisible(shown is not None)
        if shown is None:
            return
        self._filling = True
        span = shown[1] - shown[0]
        decimals = 0 if span >= 50 else 1 if span >= 5 else 2 if span >= 0.5 else 3
        for box, value in ((self.minimum, shown[0]), (self.maximum, shown[1])):
            box.setDecimals(decimals)
            box.setSingleStep(10 ** -decimals if decimals else max(1.0, round(span / 50)))
            box.setValue(value)
        self.unit.setText("m" if layer.color_mode == "elevation" else "")
        self.unit.setToolTip(tr('Heights ({v0})').format(v0=height_datum(self.scene.frame)[1]) if layer.color_mode == "elevation" else "")
        self.reset.setEnabled(layer.color_mode in layer.color_limits)
        self._filling = False

    def _on_edit(self, _value: float) -> None:
        layer = self.layer
        if self._filling or layer is None:
            return
        lo, hi = self.minimum.value(), self.maximum.value()
        if lo >= hi:  # the other end moves out of the way rather than refusing the edit
            step = 10 ** -self.minimum.decimals()
            if self.sender() is self.minimum:
                hi = lo + step
            else:
                lo = hi - step
        layer.set_color_limits(layer.color_mode, (lo, hi))

    def _on_reset(self) -> None:
        if self.layer is not None:
            self.layer.set_color_limits(self.layer.color_mode, None)
