"""Sensor dock: picking a sensor shows its metadata and a chart of its recent values (pyqtgraph).

The chart follows the picked sensor's layer: new readings redraw it at most CHART_HZ times a second
(one setData on the same curve, no new items), the scene clock's time is a vertical line, and the
quantity box switches between the sensor's quantities. Alert and warning levels are dashed lines.
"""
from __future__ import annotations

import math
import time
from typing import Any

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QComboBox, QDockWidget, QLabel, QVBoxLayout, QWidget

from app.model.scene import Scene, Selection
from app.model.sensors import SensorLayer

from app.ui.i18n import tr

CHART_HZ = 4
LINE_RGB = (31, 119, 180)


class SensorChartDock(QDockWidget):
    def __init__(self, scene: Scene, parent: QWidget | None = None) -> None:
        super().__init__(tr("Sensor"), parent)
        self.setObjectName("SensorChartDock")
        self.scene = scene
        self.layer: SensorLayer | None = None
        self.row = -1
        self._drawn_at = 0.0
        self.title = QLabel()
        self.title.setWordWrap(True)
        self.title.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.meta = QLabel()  # id, kind, type, latest values with units, time: one small table
        self.meta.setTextFormat(Qt.TextFormat.RichText)
        self.meta.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.quantity = QComboBox()
        self.quantity.currentTextChanged.connect(lambda _t: self.redraw(force=True))
        pg.setConfigOptions(antialias=True, background="w", foreground=(40, 40, 40))
        self.plot = pg.PlotWidget(axisItems={"bottom": pg.DateAxisItem(utcOffset=0)})
        self.plot.setMinimumHeight(160)
        self.plot.showGrid(x=True, y=True, alpha=0.25)
        self.curve = self.plot.plot([], [], pen=pg.mkPen(LINE_RGB, width=2), symbol="o", symbolSize=4,
                                    symbolBrush=LINE_RGB, symbolPen=None)
        self.now_line = pg.InfiniteLine(angle=90, pen=pg.mkPen((90, 90, 90), style=Qt.PenStyle.DotLine))
        self.plot.addItem(self.now_line)
        self.level_lines = {name: pg.InfiniteLine(angle=0, pen=pg.mkPen(rgb, width=1, style=Qt.PenStyle.DashLine))
                            for name, rgb in (("warn", (245, 150, 30)), ("alert", (220, 30, 30)))}
        for line in self.level_lines.values():
            self.plot.addItem(line)
        body = QWidget()
        layout = QVBoxLayout(body)
        layout.setContentsMargins(4, 4, 4, 4)
        layout.addWidget(self.title)
        layout.addWidget(self.meta)
        layout.addWidget(self.quantity)
        layout.addWidget(self.plot, 1)
        self.setWidget(body)
        scene.selection_changed.connect(self._on_selection)

    def _on_selection(self, sel: Selection) -> None:
        if self.layer is not None:
            self.layer.readings_added.disconnect(self._on_readings)
            self.layer.view_time_changed.disconnect(self._on_readings)
        layer = sel.layer if isinstance(sel.layer, SensorLayer) and sel.index >= 0 else None
        self.layer, self.row = layer, (sel.index if layer is not None else -1)
        if layer is None:
            return
        layer.readings_added.connect(self._on_readings)
        layer.view_time_changed.connect(self._on_readings)
        store = layer.store
        self.quantity.blockSignals(True)
        self.quantity.clear()
        own = [q for q in store.quantities if len(store.series(self.row, q)[0])]
        self.quantity.addItems(own)
        shown = layer.shown_quantity()
        self.quantity.setCurrentText(shown if shown in own else (own[0] if own else ""))
        self.quantity.blockSignals(False)
        self._fill_meta()
        self.show()
        self.raise_()
        self.redraw(force=True)

    def _fill_meta(self) -> None:
        from html import escape

        info = self.layer.describe(self.row) if self.layer is not None else {}
        self.title.setText(f"<b>{escape(str(info.get('name', info.get('sensor', ''))))}</b> \u2014 "
                           f"{escape(str(info.get('layer', '')))}")
        rows = "".join(f"<tr><td>{escape(str(k))}:&nbsp;</td><td>{escape(str(v))}</td></tr>"
                       for k, v in info.items() if k not in ("layer", "name"))
        self.meta.setText(f"<table>{rows}</table>")

    def _on_readings(self, *_: Any) -> None:
        if time.monotonic() - self._drawn_at >= 1.0 / CHART_HZ:
            self.redraw()

    def series(self) -> tuple[np.ndarray, np.ndarray]:
        """The picked sensor's (times, values) of the chosen quantity, oldest first."""
        if self.layer is None or self.row < 0:
            return np.zeros(0), np.zeros(0)
        return self.layer.store.series(self.row, self.quantity.currentText())

    def redraw(self, force: bool = False) -> None:
        self._drawn_at = time.monotonic()
        if self.layer is None or not self.isVisible() and not force:
            return
        t, v = self.series()
        self.curve.setData(t, v)
        name = self.quantity.currentText()
        unit = self.layer.store.units.get(name, "")
        self.plot.setLabel("left", f"{name} ({unit})" if unit else name)
        levels = self.layer.thresholds.get(name, {})
        for key, line in self.level_lines.items():
            line.setVisible(key in levels)
            if key in levels:
                line.setValue(levels[key])
        when = self.layer.view_time if self.layer.view_time is not None else time.time()
        self.now_line.setValue(when)
        if len(t) and not math.isnan(float(t[-1])):
            self._fill_meta()

    def detach(self) -> None:
        self.scene.selection_changed.disconnect(self._on_selection)
        self._on_selection(Selection())
