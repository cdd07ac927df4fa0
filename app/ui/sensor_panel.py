"""The Layers dock's panel for a sensor layer: the feed's status (state, received, malformed,
dropped, its last problem in words), the quantity shown, labels, size by value, density for
movers, the stale timeout and the shown quantity's warning and alert levels.

Shown only while a sensor layer is the current layer. It follows the layer's status by its
`status_changed` event (the GUI timer sets it at most ten times a second).
"""
from __future__ import annotations

from typing import TYPE_CHECKING, Any

from PySide6.QtWidgets import (
    QCheckBox, QComboBox, QDoubleSpinBox, QFormLayout, QHBoxLayout, QLabel, QPushButton, QSpinBox, QWidget,
)

from app.model.sensors import SensorLayer

from app.ui.i18n import QT_TR_NOOP, tr

if TYPE_CHECKING:
    from app.ui.main_window import MainWindow
    from app.ui.sensor_live import LiveController

# A feed's states (app.sources.readings.FeedStats.state): keys compared in code, shown as tr(state)
FEED_STATES = (QT_TR_NOOP("idle"), QT_TR_NOOP("connecting"), QT_TR_NOOP("connected"), QT_TR_NOOP("reconnecting"),
               QT_TR_NOOP("refused"), QT_TR_NOOP("stopped"), QT_TR_NOOP("error"))
NO_LEVEL = -1.0  # a spin box at its minimum (tr("none")): no level (levels are not negative here)


class SensorPanel(QWidget):
    def __init__(self, live: "LiveController", parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.live = live
        self.layer: SensorLayer | None = None
        self._filling = False
        self.status = QLabel()
        self.status.setWordWrap(True)
        self.quantity = QComboBox()
        self.quantity.setToolTip(tr("The quantity that colours and sizes the glyphs (legend and labels follow)"))
        self.labels = QCheckBox(tr("Labels"))
        self.size_by_value = QCheckBox(tr("Size by value"))
        self.density = QCheckBox(tr("Movers as density"))
        self.density.setToolTip(tr("People and vehicles as counts per grid cell (at least the minimum count per cell), "
                                "not as positions and tracks"))
        self.min_count = QSpinBox()
        self.min_count.setRange(1, 1000)
        self.min_count.setPrefix(tr("min "))
        self.stale = QSpinBox()
        self.stale.setRange(1, 7 * 86400)
        self.stale.setSuffix(" s")
        self.stale.setToolTip(tr("A sensor silent for longer is drawn grey"))
        self.warn, self.alert = self._level_box(), self._level_box()
        self.reconnect = QPushButton(tr("Connect with login\u2026"))
        self.reconnect.clicked.connect(self._ask_login)
        form = QFormLayout(self)
        form.setContentsMargins(0, 0, 0, 0)
        form.addRow(tr("Feed"), self.status)
        form.addRow(tr("Show"), self.quantity)
        row = QHBoxLayout()
        for w in (self.labels, self.size_by_value):
            row.addWidget(w)
        form.addRow(row)
        row = QHBoxLayout()
        row.addWidget(self.density)
        row.addWidget(self.min_count)
        form.addRow(row)
        form.addRow(tr("Stale after"), self.stale)
        form.addRow(tr("Warning at"), self.warn)
        form.addRow(tr("Alert at"), self.alert)
        form.addRow(self.reconnect)
        self.quantity.currentTextChanged.connect(lambda t: self._set("quantity", t))
        self.labels.toggled.connect(lambda on: self._set("show_labels", on))
        self.size_by_value.toggled.connect(lambda on: self._set("size_by_value", on))
        self.density.toggled.connect(lambda on: self._set("density", on))
        self.min_count.valueChanged.connect(lambda v: self._set("density_min_count", int(v)))
        self.stale.valueChanged.connect(lambda v: self._set("stale_after_s", float(v)))
        self.warn.valueChanged.connect(self._levels)
        self.alert.valueChanged.connect(self._levels)
        self.setVisible(False)

    @staticmethod
    def _level_box() -> QDoubleSpinBox:
        box = QDoubleSpinBox()
        box.setRange(NO_LEVEL, 999_999.0)
        box.setDecimals(2)
        box.setSpecialValueText(tr("none"))
        box.setKeyboardTracking(False)
        return box

    def set_layer(self, layer: Any) -> None:
        if self.layer is not None:
            self.layer.status_changed.disconnect(self._show_status)
            self.layer.readings_added.disconnect(self._fill_quantities)
        self.layer = layer if isinstance(layer, SensorLayer) else None
        self.setVisible(self.layer is not None)
        if self.layer is None:
            return
        self.layer.status_changed.connect(self._show_status)
        self.layer.readings_added.connect(self._fill_quantities)
        self._fill()

    def _fill(self) -> None:
        layer = self.layer
        self._filling = True
        try:
            self._fill_quantities()
            self.labels.setChecked(layer.show_labels)
            self.size_by_value.setChecked(layer.size_by_value)
            self.density.setChecked(layer.density)
            self.min_count.setValue(layer.density_min_count)
            self.stale.setValue(int(layer.stale_after_s))
            levels = layer.thresholds.get(layer.shown_quantity(), {})
            self.warn.setValue(levels.get("warn", NO_LEVEL))
            self.alert.setValue(levels.get("alert", NO_LEVEL))
        finally:
            self._filling = False
        self._show_status()

    def _fill_quantities(self) -> None:
        layer = self.layer
        if layer is None:
            return
        names = list(layer.store.quantities)
        if [self.quantity.itemText(i) for i in range(self.quantity.count())] == names:
            return
        was = self._filling
        self._filling = True
        self.quantity.clear()
        self.quantity.addItems(names)
        self.quantity.setCurrentText(layer.shown_quantity())
        self._filling = was

    def _show_status(self) -> None:
        s = self.layer.status if self.layer is not None else {}
        state = str(s.get("state") or "")
        text = tr("{state} \u2014 received {received:,}, malformed {malformed:,}, dropped {dropped:,}").format(
            state=tr(state) if state else "", received=int(s.get("received") or 0), malformed=int(s.get("malformed") or 0),
            dropped=int(s.get("dropped") or 0))
        if s.get("refused"):
            text += tr(", refused {n:,}").format(n=int(s["refused"]))
        if s.get("message"):
            text += f"\n{s['message']}"
        self.status.setText(text)
        self.reconnect.setVisible(s.get("state") in ("refused", "error", "reconnecting"))

    def _set(self, name: str, value: Any) -> None:
        if self._filling or self.layer is None or not value and name == "quantity":
            return
        if getattr(self.layer, name) != value:
            setattr(self.layer, name, value)
        if name == "quantity":
            self._fill()

    def _levels(self, *_: Any) -> None:
        if self._filling or self.layer is None:
            return
        warn, alert = self.warn.value(), self.alert.value()
        self.layer.set_threshold(self.layer.shown_quantity(), None if warn <= NO_LEVEL else warn,
                                 None if alert <= NO_LEVEL else alert)

    def _ask_login(self) -> None:
        from app.ui.feed_dialog import FeedDialog

        layer = self.layer
        if layer is None:
            return
        dialog = FeedDialog(self.window(), url=layer.url, mapping=layer.mapping, name=layer.name, login_only=True)
        dialog.accepted_feed.connect(lambda spec: self.live.reconnect(layer, spec.get("credentials")))
        self.dialog = dialog
        dialog.show()


def install_sensor_panel(win: "MainWindow", live: "LiveController") -> SensorPanel:
    """Put the panel in the Layers dock's controls (under the streaming controls) and follow the current layer."""
    dock = win.layer_tree
    panel = SensorPanel(live)
    anchor = dock.tiles_row
    layout = anchor.parentWidget().layout()
    layout.insertWidget(layout.indexOf(anchor) + 1, panel)
    dock.tree.currentItemChanged.connect(lambda *_: panel.set_layer(dock.current_layer()))
    return panel
