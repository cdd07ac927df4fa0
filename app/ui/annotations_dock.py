"""The Measurements dock: measurements and annotations (two tabs), both from `scene.annotations`.

Rows follow the model (`annotations_changed`); nothing is kept here. A measurement row copies as
text with units (Ctrl+C while the dock has the focus, or Copy); annotations are edited in place
(text, marker, colour) and every edit replaces the item in the scene's list, so the view and the
project follow.
"""
from __future__ import annotations

from typing import TYPE_CHECKING, Any

from PySide6.QtCore import Qt
from PySide6.QtGui import QAction, QColor, QGuiApplication, QKeySequence
from PySide6.QtWidgets import (
    QAbstractItemView, QColorDialog, QComboBox, QDockWidget, QHBoxLayout, QHeaderView, QPushButton, QTableWidget,
    QTableWidgetItem, QTabWidget, QVBoxLayout, QWidget,
)

from app.model.annotations import MARKERS, Annotation, Measurement
from app.ui.i18n import QT_TR_NOOP, tr

if TYPE_CHECKING:
    from app.ui.main_window import MainWindow

KIND_NAMES = {"distance": QT_TR_NOOP("Distance"), "height": QT_TR_NOOP("Height"), "polyline": QT_TR_NOOP("Length"),
              "polygon": QT_TR_NOOP("Area"), "angle": QT_TR_NOOP("Angle"), "point": QT_TR_NOOP("Point")}
VALUE_NAMES = {n: n for n in (  # the model's value names (app.model.annotations.Measurement.values), shown translated
    QT_TR_NOOP("distance"), QT_TR_NOOP("horizontal"), QT_TR_NOOP("vertical"), QT_TR_NOOP("height above ground"),
    QT_TR_NOOP("length"), QT_TR_NOOP("horizontal length"), QT_TR_NOOP("area (horizontal)"), QT_TR_NOOP("area (surface)"),
    QT_TR_NOOP("perimeter"), QT_TR_NOOP("angle"))}


def _number(value: float, unit: str) -> str:
    digits = 1 if unit in ("m\u00b2", "\u00b0") else 2
    return f"{value:.{digits}f} {unit}"


def measurement_text(item: Measurement, describe: Any = None) -> str:
    """One line with units, as copied: 'Distance: 20.00 m; horizontal 20.00 m; vertical +0.00 m'."""
    rows = item.values()
    head = tr(KIND_NAMES.get(item.kind, item.kind)) + (f" ({item.name})" if item.name else "")
    if item.kind == "point" and describe is not None:
        d = describe(item.points[0])
        parts = [f"E {d['x (m, ENU)']:.3f} m", f"N {d['y (m, ENU)']:.3f} m", f"U {d['z (m, ENU)']:.3f} m"]
        crs = [k[:-2] for k in d if k.endswith(" x") and not k.startswith("x")]
        for name in crs:
            parts.append(f"{name} {d[name + ' x']:.3f}, {d[name + ' y']:.3f} m")
        if "lat (deg)" in d:
            parts.append(tr("lat {lat}\u00b0, lon {lon}\u00b0, h {h} m").format(
                lat=f"{d['lat (deg)']:.7f}", lon=f"{d['lon (deg)']:.7f}", h=f"{d['h (m)']:.3f}"))
        return f"{head}: " + "; ".join(parts)
    if not rows:
        return head
    first = f"{head}: {_number(rows[0][1], rows[0][2])}"
    rest = [f"{tr(VALUE_NAMES.get(name, name))} {('%+.2f m' % v) if name == 'vertical' else _number(v, u)}"
            for name, v, u in rows[1:]]
    return "; ".join([first] + rest)


class AnnotationsDock(QDockWidget):
    def __init__(self, win: "MainWindow") -> None:
        super().__init__(tr("Measurements"), win)
        self.setObjectName("measurements_dock")
        self.win = win
        self.scene = win.scene
        self.tabs = QTabWidget()
        self.measurements = self._table([tr("Measurement"), tr("Value"), tr("Details")])
        self.labels = self._table([tr("Label"), tr("Marker"), tr("Colour")])
        self.labels.setEditTriggers(QAbstractItemView.EditTrigger.DoubleClicked | QAbstractItemView.EditTrigger.EditKeyPressed)
        self.labels.itemChanged.connect(self._label_edited)
        self.tabs.addTab(self._page(self.measurements, copy=True), tr("Measurements"))
        self.tabs.addTab(self._page(self.labels, copy=False), tr("Annotations"))
        self.setWidget(self.tabs)
        self.copy_action = QAction(tr("&Copy measurement"), self, shortcut=QKeySequence(QKeySequence.StandardKey.Copy),
                                   triggered=self.copy_selected)
        self.copy_action.setShortcutContext(Qt.ShortcutContext.WidgetWithChildrenShortcut)  # only while the dock has focus
        self.addAction(self.copy_action)
        self._measure_items: list[Measurement] = []
        self._label_items: list[Annotation] = []
        self._filling = False
        self.scene.annotations_changed.connect(self.refresh)
        self.refresh()

    def _table(self, headers: list[str]) -> QTableWidget:
        t = QTableWidget(0, len(headers))
        t.setHorizontalHeaderLabels(headers)
        t.verticalHeader().hide()
        t.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        t.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        t.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        t.horizontalHeader().setStretchLastSection(True)
        return t

    def _page(self, table: QTableWidget, copy: bool) -> QWidget:
        page = QWidget()
        layout = QVBoxLayout(page)
        layout.setContentsMargins(2, 2, 2, 2)
        layout.addWidget(table)
        buttons = QHBoxLayout()
        if copy:
            self.copy_button = QPushButton(tr("Copy"))
            self.copy_button.clicked.connect(self.copy_selected)
            buttons.addWidget(self.copy_button)
        delete = QPushButton(tr("Delete"))
        delete.clicked.connect(lambda: self.delete_selected(table))
        buttons.addWidget(delete)
        buttons.addStretch(1)
        layout.addLayout(buttons)
        return page

    # --- model -> rows -----------------------------------------------------------------------------
    def refresh(self) -> None:
        self._filling = True
        try:
            self._measure_items = [i for i in self.scene.annotations if isinstance(i, Measurement)]
            self._label_items = [i for i in self.scene.annotations if isinstance(i, Annotation)]
            t = self.measurements
            t.setRowCount(len(self._measure_items))
            for r, item in enumerate(self._measure_items):
                rows = item.values()
                text = measurement_text(item, self.win.canvas.describe_position)
                value = _number(rows[0][1], rows[0][2]) if rows and item.kind != "point" else item.label()
                details = text.split("; ", 1)[1] if "; " in text else ""
                for c, cell in enumerate((tr(KIND_NAMES.get(item.kind, item.kind)), value, details)):
                    widget_item = QTableWidgetItem(cell)
                    widget_item.setToolTip(text)
                    t.setItem(r, c, widget_item)
            t = self.labels
            t.setRowCount(len(self._label_items))
            for r, item in enumerate(self._label_items):
                t.setItem(r, 0, QTableWidgetItem(item.text))
                combo = QComboBox()
                combo.addItems(list(MARKERS))
                combo.setCurrentText(item.marker)
                combo.currentTextChanged.connect(lambda m, a=item: self._replace(a, marker=m))
                t.setCellWidget(r, 1, combo)
                swatch = QPushButton(item.color)
                swatch.setStyleSheet(f"background-color: {item.color}; color: black;")
                swatch.clicked.connect(lambda _=False, a=item: self._pick_colour(a))
                t.setCellWidget(r, 2, swatch)
            if self._label_items and not self._measure_items:
                self.tabs.setCurrentIndex(1)
        finally:
            self._filling = False

    def _replace(self, item: Annotation, **changes: Any) -> None:
        items = list(self.scene.annotations)
        index = next((i for i, other in enumerate(items) if other is item), None)
        if index is None:
            return
        new = Annotation(changes.get("text", item.text), item.anchor, changes.get("color", item.color),
                         changes.get("marker", item.marker))
        self.scene.annotations[index] = new

    def _label_edited(self, cell: QTableWidgetItem) -> None:
        if self._filling or cell.column() != 0 or not 0 <= cell.row() < len(self._label_items):
            return
        text = cell.text().strip()
        if text:
            self._replace(self._label_items[cell.row()], text=text)

    def _pick_colour(self, item: Annotation) -> None:
        colour = QColorDialog.getColor(QColor(item.color), self, tr("Label colour"))
        if colour.isValid():
            self._replace(item, color=colour.name())

    # --- actions -----------------------------------------------------------------------------------
    def selected_text(self) -> str:
        rows = sorted({i.row() for i in self.measurements.selectedIndexes()})
        if not rows and self.measurements.currentRow() >= 0:
            rows = [self.measurements.currentRow()]
        return "\n".join(measurement_text(self._measure_items[r], self.win.canvas.describe_position) for r in rows
                         if 0 <= r < len(self._measure_items))

    def copy_selected(self) -> None:
        text = self.selected_text()
        if text:
            QGuiApplication.clipboard().setText(text)

    def delete_selected(self, table: QTableWidget) -> None:
        source = self._measure_items if table is self.measurements else self._label_items
        rows = sorted({i.row() for i in table.selectedIndexes()} or ({table.currentRow()} - {-1}))
        doomed = [source[r] for r in rows if 0 <= r < len(source)]
        for item in doomed:
            index = next((i for i, other in enumerate(self.scene.annotations) if other is item), None)
            if index is not None:
                del self.scene.annotations[index]

    def detach(self) -> None:
        self.scene.annotations_changed.disconnect(self.refresh)
