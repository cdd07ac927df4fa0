"""Properties dock: what was picked (element class, name, GlobalId, property sets; point attributes)."""
from __future__ import annotations

from PySide6.QtWidgets import QDockWidget, QHeaderView, QLabel, QTableWidget, QTableWidgetItem, QVBoxLayout, QWidget

from app.model.scene import Scene, Selection


class PropertiesDock(QDockWidget):
    def __init__(self, scene: Scene, parent: QWidget | None = None) -> None:
        super().__init__("Properties", parent)
        self.setObjectName("PropertiesDock")
        self.title = QLabel("Click an object in the view to see its properties.")
        self.title.setWordWrap(True)
        self.table = QTableWidget(0, 2)
        self.table.setHorizontalHeaderLabels(["Property", "Value"])
        self.table.horizontalHeader().setSectionResizeMode(0, QHeaderView.ResizeMode.Interactive)
        self.table.setColumnWidth(0, 170)
        self.table.setWordWrap(False)
        self.setMinimumWidth(300)
        self.table.horizontalHeader().setStretchLastSection(True)
        self.table.verticalHeader().setVisible(False)
        self.table.setEditTriggers(QTableWidget.EditTrigger.NoEditTriggers)
        body = QWidget()
        layout = QVBoxLayout(body)
        layout.setContentsMargins(4, 4, 4, 4)
        layout.addWidget(self.title)
        layout.addWidget(self.table, 1)
        self.setWidget(body)
        scene.selection_changed.connect(self.show_selection)

    def show_selection(self, sel: Selection) -> None:
        props = sel.properties
        self.table.setRowCount(0)
        if sel.layer is None:
            self.title.setText("Nothing picked. Click an object in the view to see its properties.")
            return
        head = props.get("class") or ("Point" if "point" in props else sel.layer.kind)
        self.title.setText(f"<b>{head}</b> {props.get('name', '')} \u2014 {sel.layer.name}")
        self.table.setRowCount(len(props))
        for row, (key, value) in enumerate(props.items()):
            key_item, value_item = QTableWidgetItem(str(key)), QTableWidgetItem("" if value is None else str(value))
            key_item.setToolTip(str(key))
            value_item.setToolTip(value_item.text())
            self.table.setItem(row, 0, key_item)
            self.table.setItem(row, 1, value_item)

    def value(self, key: str) -> str | None:
        for row in range(self.table.rowCount()):
            if self.table.item(row, 0).text() == key:
                return self.table.item(row, 1).text()
        return None
