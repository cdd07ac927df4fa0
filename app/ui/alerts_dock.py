"""Alerts dock: every sensor layer's alerts nobody acknowledged yet (time, layer, sensor, value),
newest first; Acknowledge stops the glyph pulsing and takes the row away.

It follows the layers' alert logs by their events (a layer added or removed connects or
disconnects); it never polls. A new alert brings the dock up once, without taking the focus.
"""
from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QAbstractItemView, QDockWidget, QHBoxLayout, QHeaderView, QLabel, QPushButton, QTableWidget, QTableWidgetItem,
    QVBoxLayout, QWidget,
)

from app.ui.i18n import QT_TR_NOOP, tr
from app.model.layers import Layer
from app.model.scene import Scene
from app.model.sensor_alerts import Alert
from app.model.sensors import SensorLayer
from viewers.legends import format_number

COLUMNS = (QT_TR_NOOP("Time (UTC)"), QT_TR_NOOP("Layer"), QT_TR_NOOP("Sensor"), QT_TR_NOOP("Quantity"),
           QT_TR_NOOP("Value"), QT_TR_NOOP("Alert level"))


class AlertsDock(QDockWidget):
    def __init__(self, scene: Scene, parent: QWidget | None = None) -> None:
        super().__init__(tr("Alerts"), parent)
        self.setObjectName("AlertsDock")
        self.scene = scene
        self.rows: list[tuple[SensorLayer, Alert]] = []
        self._layers: list[SensorLayer] = []
        self._shown_once = False
        self.table = QTableWidget(0, len(COLUMNS))
        self.table.setHorizontalHeaderLabels([tr(c) for c in COLUMNS])
        self.table.verticalHeader().hide()
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        self.table.horizontalHeader().setStretchLastSection(True)
        self.empty = QLabel(tr("No alerts. Set alert levels for a sensor layer in the Layers dock."))
        self.empty.setWordWrap(True)
        self.ack_button = QPushButton(tr("Acknowledge"))
        self.ack_button.setToolTip(tr("The selected alerts are seen: their sensors stop pulsing"))
        self.ack_button.clicked.connect(self.acknowledge_selected)
        self.ack_all_button = QPushButton(tr("Acknowledge all"))
        self.ack_all_button.clicked.connect(self.acknowledge_all)
        body = QWidget()
        layout = QVBoxLayout(body)
        layout.setContentsMargins(4, 4, 4, 4)
        layout.addWidget(self.empty)
        layout.addWidget(self.table, 1)
        row = QHBoxLayout()
        row.addWidget(self.ack_button)
        row.addWidget(self.ack_all_button)
        row.addStretch(1)
        layout.addLayout(row)
        self.setWidget(body)
        scene.layers.inserted.connect(self._on_inserted)
        scene.layers.removed.connect(self._on_removed)
        for layer in scene.layers:
            self._on_inserted(0, layer)
        self.refresh()

    def _on_inserted(self, _index: int, layer: Layer) -> None:
        if isinstance(layer, SensorLayer) and not any(layer is other for other in self._layers):
            self._layers.append(layer)
            layer.alerts.changed.connect(self._on_changed)

    def _on_removed(self, _index: int, layer: Layer) -> None:
        if isinstance(layer, SensorLayer) and any(layer is other for other in self._layers):
            self._layers = [other for other in self._layers if other is not layer]
            layer.alerts.changed.disconnect(self._on_changed)
            self.refresh()

    def _on_changed(self) -> None:
        self.refresh()
        if self.rows and not self._shown_once:
            self._shown_once = True
            self.show()

    def refresh(self) -> None:
        self.rows = sorted(((layer, a) for layer in self._layers for a in layer.alerts.active()),
                           key=lambda pair: -pair[1].time)
        self.table.setRowCount(len(self.rows))
        for i, (layer, a) in enumerate(self.rows):
            unit = f" {a.unit}" if a.unit else ""
            cells = (a.time_label(), layer.name, a.name, a.quantity, f"{format_number(a.value, a.level)}{unit}",
                     f"\u2265 {format_number(a.level, a.level)}{unit}")
            for j, text in enumerate(cells):
                item = QTableWidgetItem(text)
                if j == 4:
                    item.setForeground(Qt.GlobalColor.darkRed)
                self.table.setItem(i, j, item)
        self.empty.setVisible(not self.rows)
        self.ack_button.setEnabled(bool(self.rows))
        self.ack_all_button.setEnabled(bool(self.rows))

    def acknowledge_selected(self) -> None:
        picked = sorted({index.row() for index in self.table.selectedIndexes()})
        if not picked and self.table.currentRow() >= 0:
            picked = [self.table.currentRow()]
        for layer, alert in [self.rows[i] for i in picked if i < len(self.rows)]:
            layer.alerts.acknowledge(alert)
        self.refresh()

    def acknowledge_all(self) -> None:
        for layer in list(self._layers):
            layer.alerts.acknowledge_all()
        self.refresh()

    def detach(self) -> None:
        self.scene.layers.inserted.disconnect(self._on_inserted)
        self.scene.layers.removed.disconnect(self._on_removed)
        for layer in self._layers:
            layer.alerts.changed.disconnect(self._on_changed)
        self._layers = []
