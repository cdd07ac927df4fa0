"""The comparison dock: progress % by storey and by IFC class, and the elements by status.

Progress counts built and deviating elements as done, a partial one by its coverage and a
missing one as 0 (the engine's `progress_summary`); the tables show what the report shows.
Clicking an element row selects the element (model tree, properties and the 3D highlight follow).
"""
from __future__ import annotations

from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtGui import QBrush, QColor, QPainter
from PySide6.QtWidgets import (QDockWidget, QLabel, QStyledItemDelegate, QStyleOptionViewItem, QTableWidget,
                               QTableWidgetItem, QTabWidget, QVBoxLayout, QWidget)

from app.model.comparison import STATUSES, ComparisonLayer, find_layer
from app.model.layers import MeshLayer
from app.model.scene import Scene, Selection
from viewers.style import STATUS_RGB
from app.ui.i18n import QT_TR_NOOP, tr

GROUP_COLUMNS = ["elements", *STATUSES, "progress %"]
ELEMENT_COLUMNS = ["status", "class", "name", "storey", "coverage %", "mean (m)", "max (m)", "points", "GlobalId"]
_HEADER_WORDS = (QT_TR_NOOP("elements"), QT_TR_NOOP("progress %"), QT_TR_NOOP("status"), QT_TR_NOOP("class"),  # shown translated
                 QT_TR_NOOP("name"), QT_TR_NOOP("storey"), QT_TR_NOOP("coverage %"), QT_TR_NOOP("mean (m)"),
                 QT_TR_NOOP("max (m)"), QT_TR_NOOP("points"))


class _NumberItem(QTableWidgetItem):
    """Shows a formatted number, sorts by its value (empty cells last)."""

    def __lt__(self, other: QTableWidgetItem) -> bool:
        a, b = self.data(SORT_ROLE), other.data(SORT_ROLE)
        if a is None or b is None:
            return b is None and a is not None
        return float(a) < float(b)


SORT_ROLE = Qt.ItemDataRole.UserRole + 1


def _item(value: Any, number: bool = False, digits: int = 0) -> QTableWidgetItem:
    if number:
        item: QTableWidgetItem = _NumberItem("" if value is None else f"{round(value, digits) + 0.0:,.{digits}f}")  # never "-0.000"
        item.setData(SORT_ROLE, value)
        item.setTextAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
    else:
        item = QTableWidgetItem("" if value is None else str(value))
    item.setFlags(item.flags() & ~Qt.ItemFlag.ItemIsEditable)
    return item


class _ProgressBarDelegate(QStyledItemDelegate):
    """The progress % cell as a bar filled to its value with the number on it: a column of bars
    reads at a glance across storeys, a right-aligned number in a wide column does not."""

    def paint(self, painter: QPainter, option: QStyleOptionViewItem, index: Any) -> None:
        super().paint(painter, option, index)
        value = index.data(SORT_ROLE)
        if value is None:
            return
        r = option.rect.adjusted(3, 3, -3, -3)
        painter.save()
        painter.setPen(Qt.PenStyle.NoPen)
        painter.setBrush(QColor(225, 229, 235))
        painter.drawRect(r)
        filled = r.adjusted(0, 0, -int(round(r.width() * (1.0 - min(max(float(value), 0.0), 100.0) / 100.0))), 0)
        painter.setBrush(QColor(*(int(v) for v in STATUS_RGB["built"])))
        painter.drawRect(filled)
        painter.setPen(QColor(20, 24, 30))
        painter.drawText(r.adjusted(6, 0, 0, 0), int(Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter),
                         f"{float(value):.1f} %")
        painter.restore()


def _table(headers: list[str]) -> QTableWidget:
    table = QTableWidget(0, len(headers))
    table.setHorizontalHeaderLabels([tr(h) for h in headers])  # the keys stay English
    table.verticalHeader().hide()
    table.setSelectionBehavior(QTableWidget.SelectionBehavior.SelectRows)
    table.setAlternatingRowColors(True)
    table.horizontalHeader().setStretchLastSection(True)
    return table


class ComparisonDock(QDockWidget):
    """Progress by storey and class, and every judged element, for the current comparison."""

    def __init__(self, scene: Scene, parent: QWidget | None = None) -> None:
        super().__init__(tr("Construction progress"), parent)
        self.setObjectName("ComparisonDock")
        self.scene = scene
        self.layer: ComparisonLayer | None = None
        self.overall = QLabel()
        self.overall.setWordWrap(True)
        self.by_storey = _table(["storey", *GROUP_COLUMNS])
        self.by_class = _table([tr("IFC class"), *GROUP_COLUMNS])
        self._bars = _ProgressBarDelegate(self)
        for table in (self.by_storey, self.by_class):
            table.setItemDelegateForColumn(len(GROUP_COLUMNS), self._bars)
        self.elements = _table(ELEMENT_COLUMNS)
        self.elements.cellClicked.connect(self._on_element_clicked)
        self.tabs = QTabWidget()
        self.tabs.addTab(self.by_storey, tr("By storey"))
        self.tabs.addTab(self.by_class, tr("By class"))
        self.tabs.addTab(self.elements, tr("Elements"))
        from app.ui.schedule_status_tab import ScheduleStatusTab  # here: that module borrows this one's table helpers

        self.schedule_tab = ScheduleStatusTab(scene)  # planned versus actual at the clock's time
        self.tabs.addTab(self.schedule_tab, tr("Schedule"))
        body = QWidget()
        layout = QVBoxLayout(body)
        layout.setContentsMargins(4, 4, 4, 4)
        layout.addWidget(self.overall)
        layout.addWidget(self.tabs, 1)
        self.setWidget(body)
        self.show_layer(None)

    def show_layer(self, layer: ComparisonLayer | None) -> None:
        self.layer = layer if layer is not None and layer.computed else None
        for table in (self.by_storey, self.by_class, self.elements):
            table.setSortingEnabled(False)
            table.setRowCount(0)
        if self.layer is None:
            pending = layer is not None and not layer.computed
            self.overall.setText(tr("Comparing\u2026") if pending else tr("No comparison yet: Analysis \u203a Compare scan with design\u2026"))
            return
        summary = self.layer.data.summary
        summary = summary.get("progress") or summary  # the report's summary keeps progress_summary() there
        overall = summary.get("overall") or {}
        counts = ", ".join(f"{overall.get(s, 0)} " + tr(s) for s in STATUSES)
        self.overall.setText(tr('<b>{v0}</b>: progress {v1:.1f}% of {v2} elements ({counts}); tolerance ±{v4:g} m').format(v0=self.layer.name, v1=float(overall.get('progress_pct', 0.0)), v2=overall.get('elements', self.layer.data.n_elements), counts=counts, v4=self.layer.tolerance))
        self._fill_groups(self.by_storey, summary.get("by_storey") or {})
        self._fill_groups(self.by_class, summary.get("by_class") or {})
        self._fill_elements()

    @staticmethod
    def _fill_groups(table: QTableWidget, groups: dict[str, dict]) -> None:
        table.setRowCount(len(groups))
        for r, (name, g) in enumerate(groups.items()):
            table.setItem(r, 0, _item(name or tr("(none)")))
            for c, key in enumerate(GROUP_COLUMNS, start=1):
                value = g.get("progress_pct" if key == "progress %" else key)
                table.setItem(r, c, _item(None if value is None else float(value), True, 1 if key == "progress %" else 0))
        table.resizeColumnsToContents()
        table.setSortingEnabled(True)

    def _fill_elements(self) -> None:
        rows = self.layer.data.rows()  # type: ignore[union-attr]
        self.elements.setRowCount(len(rows))
        for r, row in enumerate(rows):
            status = _item(row["status"])
            status.setData(Qt.ItemDataRole.UserRole, r)
            rgb = STATUS_RGB.get(row["status"])
            if rgb is not None:
                status.setBackground(QBrush(QColor(*rgb)))
                status.setForeground(QBrush(QColor("white" if row["status"] in ("missing", "deviating", "built") else "black")))
            values = [None, row["ifc_class"], row["name"], row["storey"], 100 * float(row["coverage"] or 0),
                      row["mean_distance"], row["max_distance"], row["points"], row["guid"]]
            self.elements.setItem(r, 0, status)
            digits = {4: 1, 5: 3, 6: 3, 7: 0}
            for c, value in enumerate(values[1:], start=1):
                self.elements.setItem(r, c, _item(value, c in digits, digits.get(c, 0)))
        self.elements.resizeColumnsToContents()
        self.elements.setSortingEnabled(True)

    def _on_element_clicked(self, row: int, _column: int) -> None:
        """Select the element in the scene: the model tree, properties and the 3D view follow."""
        item = self.elements.item(row, 0)
        if self.layer is None or item is None:
            return
        data = self.layer.data.rows()[int(item.data(Qt.ItemDataRole.UserRole))]
        names = self.layer.design
        if not 0 <= data["layer"] < len(names):
            return
        mesh = find_layer(self.scene.layers, names[data["layer"]], MeshLayer)
        if not isinstance(mesh, MeshLayer):
            return
        index = next((i for i, e in enumerate(mesh.elements) if e.id == data["guid"]), None)
        if index is not None:
            self.scene.select(Selection(mesh, index, mesh.describe_element(index)))
