"""The "Colour by" chooser: a button that opens a searchable, grouped list of colour modes.

A BIM model offers dozens of modes ("property:Pset_WallCommon.IsExternal"...); one flat combo box
of raw keys was unreadable. Here they are grouped (Class, Storey, Material, Properties > Pset >
name) under readable names, and a search box narrows them. The internal keys do not change:
the widget speaks QComboBox's text API in keys (`setCurrentText`, `currentText`, `itemText`,
`count`, `currentTextChanged`), so the layer dock and scripts use it as they used the combo box.
"""
from __future__ import annotations

from PySide6.QtCore import QPoint, Qt, Signal
from PySide6.QtWidgets import (
    QFrame, QLabel, QLineEdit, QPushButton, QSizePolicy, QTreeWidget, QTreeWidgetItem, QTreeWidgetItemIterator, QVBoxLayout,
    QWidget,
)
from app.ui.i18n import QT_TR_NOOP, tr

KEY_ROLE = Qt.ItemDataRole.UserRole
PROPERTY_PREFIX = "property:"
LABELS = {
    "default": QT_TR_NOOP("Default colours"), "elevation": QT_TR_NOOP("Elevation"), "rgb": QT_TR_NOOP("RGB (true colour)"), "intensity": QT_TR_NOOP("Intensity"),
    "classification": QT_TR_NOOP("Classification (ASPRS)"), "class": QT_TR_NOOP("Class"), "storey": QT_TR_NOOP("Storey"), "material": QT_TR_NOOP("Material"),
    "deviation": QT_TR_NOOP("Deviation from design (m)"), "status": QT_TR_NOOP("Comparison status"),
    "schedule_status": QT_TR_NOOP("Schedule status (planned vs actual)"), "value": QT_TR_NOOP("Value"),
}
PROPERTIES_GROUP = QT_TR_NOOP("Properties")


def mode_label(key: str) -> str:
    """A readable name for a colour-mode key: "property:Pset_WallCommon.IsExternal" ->
    "Pset_WallCommon \u203a IsExternal", "return_number" -> "Return number"."""
    if key in LABELS:
        return tr(LABELS[key])
    if key.startswith(PROPERTY_PREFIX):
        return " \u203a ".join(_property_path(key))
    text = key.replace("_", " ").strip()
    return text[:1].upper() + text[1:] if text.islower() or "_" in key else text


def _property_path(key: str) -> tuple[str, ...]:
    """("Pset_WallCommon", "IsExternal") for an IFC property, ("use",) for a tile attribute."""
    name = key[len(PROPERTY_PREFIX):]
    group, dot, prop = name.partition(".")
    return (group, prop) if dot and group and prop else (name,)


class _Popup(QFrame):
    """The drop-down: a search box over a tree of modes; Enter or a click chooses."""

    def __init__(self, owner: "ColourByBox") -> None:
        super().__init__(owner, Qt.WindowType.Popup)
        self.owner = owner
        self.setFrameShape(QFrame.Shape.StyledPanel)
        self.search = QLineEdit(placeholderText=tr("Search colour modes"))
        self.search.setClearButtonEnabled(True)
        self.search.textChanged.connect(self.filter)
        self.search.returnPressed.connect(self.choose_first)
        self.tree = QTreeWidget()
        self.tree.setHeaderHidden(True)
        self.tree.setUniformRowHeights(True)
        self.tree.itemClicked.connect(self._on_clicked)
        self.tree.itemActivated.connect(self._on_clicked)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(4, 4, 4, 4)
        self.empty = QLabel()
        self.empty.setWordWrap(True)
        self.empty.hide()
        layout.addWidget(self.search)
        layout.addWidget(self.empty)
        layout.addWidget(self.tree)
        self._leaves: dict[str, QTreeWidgetItem] = {}
        self._keys: list[str] = []
        self._dirty = False

    def fill(self, keys: list[str]) -> None:
        """Remember the keys; the tree is rebuilt when it is next needed (the popup opens, a search,
        a test reads `leaves`), not inside the model-event cascades that change the modes (a
        streamed IFC's snapshots, a comparison's results). Rebuilding there crashed in QTreeWidget
        (segfaults while deleting items, PySide6 6.11.3, seen in about half the runs of one test)."""
        self._keys = list(keys)
        self._dirty = True

    @property
    def leaves(self) -> dict[str, QTreeWidgetItem]:
        self._build()
        return self._leaves

    def _build(self) -> None:
        if not self._dirty:
            return
        self._dirty = False
        keys = self._keys
        self._leaves = {}
        self.tree.setCurrentItem(None)
        while self.tree.topLevelItemCount():
            self.tree.takeTopLevelItem(self.tree.topLevelItemCount() - 1)
        groups: dict[tuple[str, ...], QTreeWidgetItem] = {}
        for key in keys:
            path = (tr(PROPERTIES_GROUP), *_property_path(key)) if key.startswith(PROPERTY_PREFIX) else (mode_label(key),)
            parent: QTreeWidgetItem | None = None
            for depth in range(len(path) - 1):
                node = groups.get(path[: depth + 1])
                if node is None:
                    node = groups[path[: depth + 1]] = QTreeWidgetItem([path[depth]])
                    node.setFlags(Qt.ItemFlag.ItemIsEnabled)  # a heading, not a choice
                    (parent.addChild(node) if parent is not None else self.tree.addTopLevelItem(node))
                parent = node
            leaf = QTreeWidgetItem([path[-1]])
            leaf.setData(0, KEY_ROLE, key)
            leaf.setToolTip(0, key)
            (parent.addChild(leaf) if parent is not None else self.tree.addTopLevelItem(leaf))
            self._leaves[key] = leaf
        for key, node in groups.items():
            node.setText(0, tr('{v0} ({v1})').format(v0=key[-1], v1=_count_leaves(node)))
            node.setExpanded(len(key) == 1)

    def filter(self, text: str) -> None:
        """Show the modes whose name, group or key contains every word typed."""
        words = text.lower().split()
        for key, leaf in self.leaves.items():
            haystack = f"{key} {mode_label(key)}".lower()
            leaf.setHidden(not all(w in haystack for w in words))
        it = QTreeWidgetItemIterator(self.tree)
        while it.value():
            item = it.value()
            if item.childCount():
                shown = _count_leaves(item, visible_only=True) > 0
                item.setHidden(not shown)
                item.setExpanded(shown and (bool(words) or item.parent() is None))
            it += 1
        first = self._first_visible()
        if first is not None:
            self.tree.setCurrentItem(first)
        self.empty.setText(tr("No colour mode matches \u201c{text}\u201d").format(text=text.strip()) if first is None and words else "")
        self.empty.setVisible(first is None and bool(words))

    def _first_visible(self) -> QTreeWidgetItem | None:
        self._build()
        it = QTreeWidgetItemIterator(self.tree)
        while it.value():
            item = it.value()
            if item.data(0, KEY_ROLE) and not _hidden(item):
                return item
            it += 1
        return None

    def choose_first(self) -> None:
        self._build()
        item = self.tree.currentItem()
        if item is None or not item.data(0, KEY_ROLE) or _hidden(item):
            item = self._first_visible()
        if item is not None:
            self._on_clicked(item)

    def _on_clicked(self, item: QTreeWidgetItem, _column: int = 0) -> None:
        key = item.data(0, KEY_ROLE)
        if key:
            self.hide()
            self.owner.setCurrentText(key)


def _hidden(item: QTreeWidgetItem) -> bool:
    while item is not None:
        if item.isHidden():
            return True
        item = item.parent()
    return False


def _count_leaves(item: QTreeWidgetItem, visible_only: bool = False) -> int:
    n, stack = 0, [item]
    while stack:
        node = stack.pop()
        for i in range(node.childCount()):
            child = node.child(i)
            if visible_only and child.isHidden():
                continue
            if child.childCount():
                stack.append(child)
            else:
                n += 1
    return n


class ColourByBox(QWidget):
    """Choose a colour mode; emits `currentTextChanged(key)` like QComboBox, with keys as texts."""

    currentTextChanged = Signal(str)  # noqa: N815 - QComboBox's name, so callers need not change

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._keys: list[str] = []
        self._current = ""
        self.button = QPushButton()
        self.button.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Fixed)
        self.button.setStyleSheet("QPushButton { text-align: left; padding: 3px 8px; }")
        self.button.clicked.connect(self.show_popup)
        self.popup = _Popup(self)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.button)
        self._show_current()

    # --- QComboBox's text API, in keys ----------------------------------------------------------------
    def clear(self) -> None:
        self._keys = []
        self._current = ""
        self.popup.fill([])
        self._show_current()

    def addItems(self, keys: list[str]) -> None:  # noqa: N802 - QComboBox's name
        was_empty = not self._keys
        self._keys.extend(k for k in keys if k not in self._keys)
        self.popup.fill(self._keys)
        if was_empty and self._keys:  # as a combo box: the first item becomes current
            self.setCurrentText(self._keys[0])
        self._show_current()

    def count(self) -> int:
        return len(self._keys)

    def itemText(self, index: int) -> str:  # noqa: N802
        return self._keys[index] if 0 <= index < len(self._keys) else ""

    def findText(self, key: str) -> int:  # noqa: N802
        return self._keys.index(key) if key in self._keys else -1

    def currentText(self) -> str:  # noqa: N802
        return self._current

    def setCurrentText(self, key: str) -> None:  # noqa: N802
        """Like a non-editable QComboBox: a key that is not offered is ignored."""
        if key not in self._keys or key == self._current:
            return
        self._current = key
        self._show_current()
        self.currentTextChanged.emit(key)

    # --- the button and its popup ---------------------------------------------------------------------
    def current_label(self) -> str:
        return mode_label(self._current) if self._current else ""

    def _show_current(self) -> None:
        label = self.current_label()
        self.button.setText(f"{label}  \u25be" if label else "\u25be")
        self.button.setToolTip(self._current + "\n" + tr("Click to choose; type to search") if self._current else "")
        self.button.setEnabled(bool(self._keys))

    def show_popup(self) -> None:
        if not self._keys:
            return
        self.popup.search.clear()
        self.popup.filter("")
        leaf = self.popup.leaves.get(self._current)
        if leaf is not None:
            self.popup.tree.setCurrentItem(leaf)
        width = max(self.width(), 280)
        self.popup.resize(width, 320)
        self.popup.move(self.mapToGlobal(QPoint(0, self.height())))
        self.popup.show()
        self.popup.search.setFocus(Qt.FocusReason.PopupFocusReason)
