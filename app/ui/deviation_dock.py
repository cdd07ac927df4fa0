"""The deviation dock: a histogram of a comparison's signed deviations with the tolerance marked,
the counts within / beyond / far, and the scan's deviation filter and colour range.

Drawn with QPainter (pyqtgraph is not installed): bars in the same colours as the points (white
within tolerance, blue negative, red positive), dashed lines at +/- tolerance, axis in metres;
log heights when the tails would not show.
"""
from __future__ import annotations

import numpy as np
from PySide6.QtCore import QRectF, Qt
from PySide6.QtGui import QColor, QFont, QPainter, QPen
from PySide6.QtWidgets import (
    QCheckBox, QDockWidget, QDoubleSpinBox, QHBoxLayout, QLabel, QSizePolicy, QVBoxLayout, QWidget,
)

from app.model.comparison import ComparisonLayer, find_layer
from app.model.layers import PointCloudLayer
from app.model.scene import Scene
from viewers.style import deviation_colors
from app.ui.i18n import tr

AXIS_RGB = "#37414b"


class HistogramWidget(QWidget):
    """Counts per bin over [-range, range]; empty until `set_data`."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.edges = np.zeros(0)
        self.counts = np.zeros(0)
        self.tolerance = 0.05
        self.setMinimumSize(220, 140)
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Expanding)

    def set_data(self, edges: np.ndarray, counts: np.ndarray, tolerance: float) -> None:
        self.edges, self.counts, self.tolerance = np.asarray(edges, float), np.asarray(counts, float), float(tolerance)
        self.update()

    def log_scale(self) -> bool:
        """Log heights when the smallest bar would be under 1% of the tallest (the report does the same)."""
        used = self.counts[self.counts > 0]
        return bool(len(used)) and float(used.max()) > 100 * float(used.min())

    def view_range(self) -> tuple[float, float]:
        """Symmetric about 0, out to the outermost bin holding points (at least 4x the tolerance,
        at most the histogram's own range): a scan within centimetres is not one spike in 2 m."""
        full = float(max(abs(self.edges[0]), abs(self.edges[-1])))
        total = float(self.counts.sum())
        if total <= 0:
            return -full, full
        # out to where 99.5% of the points are: a thin tail of a few hundred points out to the cut-off
        # would otherwise squeeze the scan's centimetres into one bar (the tail is still counted below)
        outer = np.maximum(np.abs(self.edges[:-1]), np.abs(self.edges[1:]))
        order = np.argsort(outer, kind="stable")
        within = np.cumsum(self.counts[order]) / total
        k = int(np.searchsorted(within, 0.995))
        reach_995 = float(outer[order][min(k, len(order) - 1)])
        reach = float(min(full, max(reach_995, 4 * self.tolerance)))
        return -reach, reach

    def bar_colors(self) -> np.ndarray:
        """(bins,3) uint8: each bar in the colour its points have in the view."""
        if len(self.edges) < 2:
            return np.zeros((0, 3), dtype=np.uint8)
        centres = (self.edges[:-1] + self.edges[1:]) / 2
        reach = float(max(abs(self.edges[0]), abs(self.edges[-1])))
        return deviation_colors(centres, self.tolerance, reach)

    def paintEvent(self, _event) -> None:  # noqa: N802 - Qt override
        p = QPainter(self)
        p.setRenderHint(QPainter.RenderHint.Antialiasing)
        p.fillRect(self.rect(), QColor("#f8f9fa"))
        font = QFont(self.font())
        font.setPointSizeF(max(7.5, font.pointSizeF() * 0.9))
        p.setFont(font)
        metrics = p.fontMetrics()
        left, right, top, bottom = 8, 8, 8, metrics.height() * 2 + 6
        plot = QRectF(left, top, max(10, self.width() - left - right), max(10, self.height() - top - bottom))
        if len(self.edges) < 2 or not self.counts.sum():
            p.setPen(QColor(AXIS_RGB))
            p.drawText(plot, Qt.AlignmentFlag.AlignCenter, tr("No comparison yet\nAnalysis \u203a Compare scan with design\u2026"))
            p.end()
            return
        lo, hi = self.view_range()
        peak = float(self.counts.max())

        def x_of(v: float) -> float:
            return plot.left() + plot.width() * (v - lo) / (hi - lo)

        colors = self.bar_colors()
        p.setPen(QPen(QColor(120, 120, 120), 0.5))
        for i, count in enumerate(self.counts):
            if count <= 0 or self.edges[i + 1] <= lo or self.edges[i] >= hi:
                continue
            h = plot.height() * (np.log1p(count) / np.log1p(peak) if self.log_scale() else count / peak)
            x0, x1 = x_of(self.edges[i]), x_of(self.edges[i + 1])
            p.setBrush(QColor(*(int(c) for c in colors[i])))
            p.drawRect(QRectF(x0, plot.bottom() - h, max(1.0, x1 - x0), h))
        pen = QPen(QColor(AXIS_RGB), 1.5, Qt.PenStyle.DashLine)
        p.setPen(pen)
        for v in (-self.tolerance, self.tolerance):
            p.drawLine(int(x_of(v)), int(plot.top()), int(x_of(v)), int(plot.bottom()))
        p.setPen(QPen(QColor(AXIS_RGB), 1))
        p.drawLine(int(plot.left()), int(plot.bottom()), int(plot.right()), int(plot.bottom()))
        y = plot.bottom() + 2
        for v, align in ((lo, Qt.AlignmentFlag.AlignLeft), (0.0, Qt.AlignmentFlag.AlignHCenter), (hi, Qt.AlignmentFlag.AlignRight)):
            text = f"{v:+.2f}" if v else "0"
            w = metrics.horizontalAdvance(text) + 4
            x = {Qt.AlignmentFlag.AlignLeft: x_of(v), Qt.AlignmentFlag.AlignRight: x_of(v) - w}.get(align, x_of(v) - w / 2)
            p.drawText(QRectF(x, y, w, metrics.height()), align, text)
        p.drawText(QRectF(plot.left(), y + metrics.height(), plot.width(), metrics.height()), Qt.AlignmentFlag.AlignHCenter,
                   tr('deviation (m), dashed: ±{v0:g} m').format(v0=self.tolerance) + (tr(", log counts") if self.log_scale() else ""))
        p.end()


class DeviationDock(QDockWidget):
    """The current comparison's histogram and counts, and its scan's filter and colour range."""

    def __init__(self, scene: Scene, parent: QWidget | None = None) -> None:
        super().__init__(tr("Deviation histogram"), parent)
        self.setObjectName("DeviationDock")
        self.scene = scene
        self.layer: ComparisonLayer | None = None
        self.histogram = HistogramWidget()
        self.counts_label = QLabel()
        self.counts_label.setWordWrap(True)
        self.counts_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.beyond_only = QCheckBox(tr("Only beyond tolerance"))
        self.beyond_only.setToolTip(tr("Hide the scan's points within \u00b1 tolerance and the far points"))
        self.beyond_only.toggled.connect(self._on_beyond_only)
        self.reach = QDoubleSpinBox()
        self.reach.setRange(0.01, 100.0)
        self.reach.setDecimals(2)
        self.reach.setSingleStep(0.05)
        self.reach.setPrefix("\u00b1 ")
        self.reach.setSuffix(tr(" m"))
        self.reach.setToolTip(tr("Colour range of the deviations: the ramp is clipped beyond \u00b1 this"))
        self.reach.editingFinished.connect(self._on_reach)
        body = QWidget()
        layout = QVBoxLayout(body)
        layout.setContentsMargins(4, 4, 4, 4)
        layout.addWidget(self.histogram, 1)
        layout.addWidget(self.counts_label)
        row = QHBoxLayout()
        row.addWidget(self.beyond_only)
        row.addStretch(1)
        row.addWidget(QLabel(tr("Colours")))
        row.addWidget(self.reach)
        layout.addLayout(row)
        self.setWidget(body)
        self.show_layer(None)

    def scan_layer(self) -> PointCloudLayer | None:
        if self.layer is None:
            return None
        return find_layer(self.scene.layers, self.layer.scan, PointCloudLayer)  # type: ignore[return-value]

    def show_layer(self, layer: ComparisonLayer | None) -> None:
        """Show a comparison's results (None or not computed yet: the empty state)."""
        self.layer = layer if layer is not None and layer.computed else None
        scan = self.scan_layer()
        for widget in (self.beyond_only, self.reach):
            widget.setEnabled(scan is not None)
        if self.layer is None:
            self.histogram.set_data(np.zeros(0), np.zeros(0), 0.05)
            self.counts_label.setText("")
            return
        d, tol = self.layer.data, self.layer.tolerance
        self.histogram.set_data(d.edges, d.counts, tol)
        c = d.point_counts(tol)
        total = max(1, sum(c.values()))
        self.counts_label.setText(
            tr('<b>{v0}</b><br>within ±{tol:g} m: {v2:,} ({v3:.1f}%) &nbsp; beyond: {v4:,} ({v5:,} −, {v6:,} +) &nbsp; far (&gt; {v7:g} m): {v8:,}').format(v0=self.layer.name, tol=tol, v2=c['within'], v3=100 * c['within'] / total, v4=c['below'] + c['above'], v5=c['below'], v6=c['above'], v7=self.layer.max_distance, v8=c['far']))
        if scan is not None:
            self.beyond_only.blockSignals(True)
            self.beyond_only.setChecked(scan.only_beyond_tolerance)
            self.beyond_only.blockSignals(False)
            limits = scan.color_limits.get("deviation")
            default = scan.data_range("deviation") or (-self.layer.max_distance, self.layer.max_distance)
            self.reach.setValue(max(abs(limits[0]), abs(limits[1])) if limits else default[1])

    def _on_beyond_only(self, on: bool) -> None:
        scan = self.scan_layer()
        if scan is not None and scan.only_beyond_tolerance != on:
            scan.only_beyond_tolerance = on

    def _on_reach(self) -> None:
        scan, value = self.scan_layer(), float(self.reach.value())
        if scan is None or self.layer is None:
            return
        default = scan.data_range("deviation") or (-self.layer.max_distance, self.layer.max_distance)
        scan.set_color_limits("deviation", None if abs(value - default[1]) < 5e-3 else (-value, value))
