"""Properties dock: what was picked (element class, name, GlobalId, property sets; point attributes).

IFC property sets arrive as flat "Pset.Name" keys; shown flat they are cut off by the dock and
hard to scan. Here they are a tree (Pset > Name | Value with unit), the element's own fields on
top; every value is copyable (Ctrl+C, or the context menu) and its tooltip holds it in full.
"""
from __future__ import annotations

from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtGui import QGuiApplication, QKeyEvent, QKeySequence
from PySide6.QtWidgets import QDockWidget, QHeaderView, QLabel, QMenu, QTreeWidget, QTreeWidgetItem, QVBoxLayout, QWidget

from app.model.scene import Scene, Selection
from app.ui.i18n import QT_TR_NOOP, tr

KEY_ROLE = Qt.ItemDataRole.UserRole  # the full key ("Pset_WallCommon.IsExternal") of a value row
GROUPED_KINDS = ("bim",)  # layers whose "A.B" keys are property sets (IFC); others keep their keys whole
MAX_TEXT = 300  # a cell shows this much; the tooltip and a copy have everything
# Row names the app itself makes (keys of a pick's properties, kept in English: copies, colour-by and
# filters use them); the name column shows them translated. Property sets and data keys stay as written.
ROW_LABELS = frozenset((
    QT_TR_NOOP("layer"), QT_TR_NOOP("point"), QT_TR_NOOP("class"), QT_TR_NOOP("name"), QT_TR_NOOP("id"), QT_TR_NOOP("storey"),
    QT_TR_NOOP("material"), QT_TR_NOOP("x (m, ENU)"), QT_TR_NOOP("y (m, ENU)"), QT_TR_NOOP("z (m, ENU)"),
    QT_TR_NOOP("lat (deg)"), QT_TR_NOOP("lon (deg)"), QT_TR_NOOP("h (m)"), QT_TR_NOOP("time step"), QT_TR_NOOP("time (UTC)"),
    QT_TR_NOOP("tile"), QT_TR_NOOP("feature"), QT_TR_NOOP("schema"), QT_TR_NOOP("group"), QT_TR_NOOP("class name"),
    QT_TR_NOOP("tileset class"), QT_TR_NOOP("tile class"), QT_TR_NOOP("content class"), QT_TR_NOOP("group class"),
))
METADATA_LEVELS = (QT_TR_NOOP("tileset"), QT_TR_NOOP("tile"), QT_TR_NOOP("content"), QT_TR_NOOP("group"))  # "tile: <property>"


def row_label(name: str) -> str:
    """The name column's text for an app-made key: "time step" -> its translation, "tile: Year
    built" -> the level translated, the schema's property name as written; other keys unchanged."""
    if name in ROW_LABELS:
        return tr(name)
    level, sep, rest = name.partition(": ")
    if sep and level in METADATA_LEVELS:
        return f"{tr(level)}: {rest}"
    return name


def format_value(value: Any, digits: int = 10) -> str:
    """A value as the dock shows it: numbers without float noise (29.9999999999 -> 30); measures
    with their unit and 6 significant digits (the tooltip and a copy have `digits`)."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        unit = getattr(value, "unit", "")
        if not unit:
            return f"{value:.10g}"
        return f"{value:.{digits}g}{'' if unit == '°' else ' '}{unit}"
    if isinstance(value, (list, tuple)):
        return ", ".join(format_value(v, digits) for v in value)
    return str(value)


class _PropertyTree(QTreeWidget):
    """Ctrl+C copies what the dock says (values, "name<TAB>value" lines), not the view's default
    (the current cell's text, which is the name column when a row is clicked on its name)."""

    def __init__(self, copy) -> None:
        super().__init__()
        self._copy = copy

    def keyPressEvent(self, event: QKeyEvent) -> None:  # noqa: N802 - Qt's name
        if event.matches(QKeySequence.StandardKey.Copy):
            self._copy()
            event.accept()
            return
        super().keyPressEvent(event)


class PropertiesDock(QDockWidget):
    def __init__(self, scene: Scene, parent: QWidget | None = None) -> None:
        super().__init__(tr("Properties"), parent)
        self.setObjectName("PropertiesDock")
        self.title = QLabel(tr("Click an object in the view to see its properties."))
        self.title.setWordWrap(True)
        self.title.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.tree = _PropertyTree(self.copy_selection)
        self.tree.setHeaderLabels([tr("Property"), tr("Value")])
        self.tree.setColumnCount(2)
        header = self.tree.header()
        header.setSectionResizeMode(0, QHeaderView.ResizeMode.Interactive)
        header.setStretchLastSection(True)
        self.tree.setColumnWidth(0, 150)
        self.tree.setWordWrap(False)
        self.tree.setTextElideMode(Qt.TextElideMode.ElideRight)
        self.tree.setUniformRowHeights(True)
        self.tree.setSelectionMode(QTreeWidget.SelectionMode.ExtendedSelection)
        self.tree.setContextMenuPolicy(Qt.ContextMenuPolicy.CustomContextMenu)
        self.tree.customContextMenuRequested.connect(self._on_context_menu)
        self.setMinimumWidth(220)  # the 3D view keeps its room in a small window
        body = QWidget()
        layout = QVBoxLayout(body)
        layout.setContentsMargins(4, 4, 4, 4)
        layout.addWidget(self.title)
        layout.addWidget(self.tree, 1)
        self.setWidget(body)
        self._rows: dict[str, QTreeWidgetItem] = {}
        scene.selection_changed.connect(self.show_selection)

    # --- showing -------------------------------------------------------------------------------
    def show_selection(self, sel: Selection) -> None:
        props = sel.properties
        self.tree.clear()
        self._rows = {}
        if sel.layer is None:
            self.title.setText(tr("Nothing picked. Click an object in the view to see its properties."))
            return
        head = props.get("class") or (tr("Point") if "point" in props else sel.layer.kind)
        self.title.setText(f"<b>{head}</b> {props.get('name', '')} — {sel.layer.name}")
        grouped = sel.layer.kind in GROUPED_KINDS
        groups: dict[str, QTreeWidgetItem] = {}
        for key, value in props.items():
            key = str(key)
            group, _, name = key.partition(".") if grouped and "." in key.strip(".") else ("", "", key)
            parent = None
            if group:
                parent = groups.get(group)
                if parent is None:
                    parent = groups[group] = QTreeWidgetItem([group, ""])
                    parent.setToolTip(0, group)
                    font = parent.font(0)
                    font.setBold(True)
                    parent.setFont(0, font)
            self._add_row(key, name, value, parent)
        for name, group in groups.items():  # a set's row spans both columns: its name is never cut
            group.setText(0, f"{name} ({group.childCount()})")
            self.tree.addTopLevelItem(group)
            group.setFirstColumnSpanned(True)
            group.setExpanded(True)

    def _add_row(self, key: str, name: str, value: Any, parent: QTreeWidgetItem | None) -> None:
        full, shown = format_value(value), format_value(value, digits=6)
        if parent is None and key == "class name" and isinstance(value, str):
            shown = tr(value)  # an ASPRS class name (viewers.text.MODEL_WORDS); a copy keeps the English
        item = QTreeWidgetItem([row_label(name) if parent is None else name, shown if len(shown) <= MAX_TEXT else shown[:MAX_TEXT] + "\u2026"])
        item.setData(0, KEY_ROLE, key)
        item.setData(1, KEY_ROLE, full)  # what a copy gives: every digit, the whole text
        item.setToolTip(0, key)
        note = getattr(value, "note", "")
        item.setToolTip(1, f"{full}\n{note}" if note else full)
        if note:
            item.setText(1, item.text(1) + tr(" (corrected)"))  # the tooltip says how
        if parent is None:
            self.tree.addTopLevelItem(item)
        else:
            parent.addChild(item)
        self._rows[key] = item

    # --- reading (tests, copy) -----------------------------------------------------------------
    def keys(self) -> list[str]:
        return list(self._rows)

    def value(self, key: str) -> str | None:
        """The full text shown for `key` ("GlobalId", "Pset_WallCommon.IsExternal"), or None."""
        item = self._rows.get(key)
        return None if item is None else item.data(1, KEY_ROLE)

    def item(self, key: str) -> QTreeWidgetItem | None:
        return self._rows.get(key)

    # --- copying -------------------------------------------------------------------------------
    def copy_selection(self) -> str:
        """Ctrl+C: one value row copies its value; several rows, or a property set, copy
        "name<TAB>value" lines. Returns what went to the clipboard."""
        selected = self.tree.selectedItems() or ([self.tree.currentItem()] if self.tree.currentItem() else [])
        if not selected:
            return ""
        if len(selected) == 1 and selected[0].childCount() == 0:
            text = selected[0].data(1, KEY_ROLE) or ""
        else:
            rows: list[QTreeWidgetItem] = []
            for item in selected:
                children = [item.child(i) for i in range(item.childCount())]
                rows.extend(c for c in (children or [item]) if c not in rows)
            text = "\n".join(f"{r.data(0, KEY_ROLE)}\t{r.data(1, KEY_ROLE) or ''}" for r in rows)
        QGuiApplication.clipboard().setText(text)
        return text

    def copy_value(self, item: QTreeWidgetItem) -> str:
        text = item.data(1, KEY_ROLE) or ""
        QGuiApplication.clipboard().setText(text)
        return text

    def context_menu(self, item: QTreeWidgetItem) -> QMenu:
        """Right-click a row: copy its value, or its name and value; a set: copy the whole set."""
        menu = QMenu(self.tree)
        if item.childCount() == 0:
            menu.addAction(tr("Copy value"), lambda: self.copy_value(item))
            menu.addAction(tr("Copy name and value"),
                           lambda: QGuiApplication.clipboard().setText(f"{item.data(0, KEY_ROLE)}\t{item.data(1, KEY_ROLE)}"))
        else:
            self.tree.clearSelection()
            item.setSelected(True)
            menu.addAction(tr("Copy property set"), self.copy_selection)
        return menu

    def _on_context_menu(self, pos) -> None:
        item = self.tree.itemAt(pos)
        if item is not None:
            self.context_menu(item).exec(self.tree.viewport().mapToGlobal(pos))
