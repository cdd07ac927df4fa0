"""Model tree dock: BIM and city-model structure (project > site > building > storey > element).

Check boxes show and hide elements, Isolate/Hide/Show all act on the selected nodes, search finds
names and GlobalIds, double-click zooms to a node, and the selection follows the 3D view both ways.

A streamed IFC grows in snapshots (the same elements plus new ones): the tree adds only the new
elements' rows, so rows the user has expanded, selected or scrolled to stay as they are, and a
large model costs one row per element over the whole load, not one per element per snapshot.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Callable

from PySide6.QtCore import Qt, QTimer
from PySide6.QtWidgets import (
    QComboBox, QDockWidget, QHBoxLayout, QLineEdit, QPushButton, QTreeWidget, QTreeWidgetItem, QTreeWidgetItemIterator,
    QVBoxLayout, QWidget,
)

from app.model.layers import Layer, MeshLayer, element_bounds
from app.model.scene import Scene, Selection
from loaders.base import ElementInfo
from app.ui.i18n import QT_TR_NOOP, tr

INDEX_ROLE = Qt.ItemDataRole.UserRole
LAYER_ROLE = Qt.ItemDataRole.UserRole + 1
LABEL_ROLE = Qt.ItemDataRole.UserRole + 2  # a group's label without its count
STRUCTURED_KINDS = ("bim", "citymodel")
GROUPINGS = (QT_TR_NOOP("Spatial structure"), QT_TR_NOOP("Class"), QT_TR_NOOP("Storey"))
UI_STATE_KEY = "model_tree"  # scene.ui_state entry saved with the project
CHECKABLE = Qt.ItemFlag.ItemIsUserCheckable
GROUP_FLAGS = Qt.ItemFlag.ItemIsUserCheckable | Qt.ItemFlag.ItemIsAutoTristate


@dataclass(eq=False)
class _LayerRows:
    """One layer's rows: its root, groups by path, element rows in element order."""

    layer: MeshLayer
    root: QTreeWidgetItem
    groups: dict[tuple[str, ...], QTreeWidgetItem] = field(default_factory=dict)
    counts: dict[tuple[str, ...], int] = field(default_factory=dict)
    leaves: list[QTreeWidgetItem] = field(default_factory=list)
    first: ElementInfo | None = None  # elements[0] and elements[-1] when rows were last added:
    last: ElementInfo | None = None  # a snapshot that keeps them only appended elements


def _structured(layer: object) -> bool:
    return isinstance(layer, MeshLayer) and layer.kind in STRUCTURED_KINDS


class ModelTreeDock(QDockWidget):
    def __init__(self, scene: Scene, zoom_to: Callable, parent: QWidget | None = None) -> None:
        super().__init__(tr("Model"), parent)
        self.setObjectName("ModelTreeDock")
        self.scene = scene
        self._zoom_to = zoom_to
        self._updating = False
        self._pending_checks: dict[tuple[int, int], bool] = {}
        self._rows: dict[int, _LayerRows] = {}  # id(layer) -> its rows
        self._slots: dict[int, tuple[MeshLayer, Callable, Callable, Callable]] = {}  # id(layer) -> (layer, handlers)
        self._grown: set[int] = set()  # layers with a snapshot not yet shown (one update per event-loop turn)
        self.items_created = 0  # rows made since the dock was built (tests check snapshots add only new rows)

        self.search = QLineEdit(placeholderText=tr("Search name or GlobalId (Enter selects)"))
        self.search.textChanged.connect(self._filter)
        self.search.returnPressed.connect(self._select_first_match)
        self.group_by = QComboBox()
        self.group_by.addItems([tr(g) for g in GROUPINGS])  # shown translated; saved by their English key
        self.group_by.currentIndexChanged.connect(self._on_group_by)
        self.tree = QTreeWidget()
        self.tree.setHeaderLabels([tr("Element"), tr("Class")])
        self.tree.setColumnWidth(0, 230)
        self.tree.setSelectionMode(QTreeWidget.SelectionMode.ExtendedSelection)
        self.tree.itemChanged.connect(self._on_item_changed)
        self.tree.itemSelectionChanged.connect(self._on_tree_selection)
        self.tree.itemDoubleClicked.connect(lambda item, _c: self._zoom_items([item]))
        buttons = QHBoxLayout()
        for label, slot in ((tr("Isolate"), self.isolate_selected), (tr("Hide"), self.hide_selected), (tr("Show all"), self.show_all)):
            button = QPushButton(label)
            button.clicked.connect(slot)
            buttons.addWidget(button)
            setattr(self, f"{label.lower().replace(' ', '_')}_button", button)
        body = QWidget()
        layout = QVBoxLayout(body)
        layout.setContentsMargins(4, 4, 4, 4)
        layout.addWidget(self.search)
        layout.addWidget(self.group_by)
        layout.addWidget(self.tree, 1)
        layout.addLayout(buttons)
        self.setWidget(body)
        scene.layers.inserted.connect(self._on_inserted)
        scene.layers.removed.connect(self._on_removed)
        scene.layers.moved.connect(lambda *_: self._order_roots())
        scene.selection_changed.connect(self._on_scene_selection)
        for layer in scene.layers:
            self._on_inserted(0, layer)

    # --- grouping, saved with the project ---------------------------------------------------------
    @property
    def grouping(self) -> str:
        return GROUPINGS[max(0, self.group_by.currentIndex())]

    def set_grouping(self, name: str) -> None:
        if name in GROUPINGS and name != self.grouping:
            self.group_by.setCurrentIndex(GROUPINGS.index(name))

    def _on_group_by(self, _index: int) -> None:
        self._ui_state()["group_by"] = self.grouping
        self.rebuild()

    def _ui_state(self) -> dict:
        if not isinstance(self.scene.ui_state.get(UI_STATE_KEY), dict):
            self.scene.ui_state[UI_STATE_KEY] = {}
        return self.scene.ui_state[UI_STATE_KEY]

    def _apply_saved_grouping(self) -> None:
        """A project opened in a worker left its grouping in scene.ui_state: show it."""
        state = self.scene.ui_state.get(UI_STATE_KEY)
        saved = state.get("group_by") if isinstance(state, dict) else None
        if isinstance(saved, str):
            self.set_grouping(saved)

    # --- layers come and go -------------------------------------------------------------------------
    def structured_layers(self) -> list[MeshLayer]:
        return [layer for layer in self.scene.layers if _structured(layer) and layer.elements]

    def _on_inserted(self, _index: int, layer: Layer) -> None:
        self._apply_saved_grouping()
        if not _structured(layer) or id(layer) in self._slots:
            return
        key = id(layer)

        def on_data() -> None:
            self._grown.add(key)
            if len(self._grown) == 1:
                QTimer.singleShot(0, self._show_snapshots)

        def on_hidden(*_args) -> None:
            self._sync_checks(layer)

        def on_renamed(*_args) -> None:  # a finished load or a project may rename a streamed layer
            rows = self._rows.get(key)
            if rows is not None:
                rows.root.setText(0, tr('{v0} ({v1})').format(v0=layer.name, v1=len(rows.leaves)))

        layer.data_changed.connect(on_data)
        layer.events.hidden.connect(on_hidden)
        layer.events.name.connect(on_renamed)
        self._slots[key] = (layer, on_data, on_hidden, on_renamed)
        self._add_rows(layer)

    def _on_removed(self, _index: int, layer: Layer) -> None:
        key = id(layer)
        slots = self._slots.pop(key, None)
        if slots is not None:
            layer.data_changed.disconnect(slots[1])
            layer.events.hidden.disconnect(slots[2])
            layer.events.name.disconnect(slots[3])
        self._grown.discard(key)
        self._drop_rows(key)

    def _drop_rows(self, key: int) -> None:
        rows = self._rows.pop(key, None)
        if rows is not None:
            self._updating = True
            self.tree.takeTopLevelItem(self.tree.indexOfTopLevelItem(rows.root))
            self._updating = False

    def _order_roots(self) -> None:
        """Roots in scene order (a finished load puts its layers back in the order it read them)."""
        wanted = [self._rows[id(layer)].root for layer in self.scene.layers if id(layer) in self._rows]
        current = [self.tree.topLevelItem(i) for i in range(self.tree.topLevelItemCount())]
        if current == wanted:
            return
        self._updating = True
        for position, root in enumerate(wanted):
            self.tree.takeTopLevelItem(self.tree.indexOfTopLevelItem(root))
            self.tree.insertTopLevelItem(position, root)
        self._updating = False

    def _show_snapshots(self) -> None:
        grown, self._grown = self._grown, set()
        for key in grown:
            slots = self._slots.get(key)
            if slots is not None:
                self._update_rows(slots[0])

    # --- building rows --------------------------------------------------------------------------------
    def rebuild(self) -> None:
        """Every layer's rows from scratch (a new grouping); snapshots use _update_rows."""
        for key in list(self._rows):
            self._drop_rows(key)
        for layer, *_handlers in list(self._slots.values()):
            self._add_rows(layer)
        self._filter(self.search.text())

    def _update_rows(self, layer: MeshLayer) -> None:
        """A snapshot: append rows for new elements; rebuild this layer only if its elements were replaced."""
        rows = self._rows.get(id(layer))
        els = layer.elements
        if rows is not None and rows.leaves:
            n = len(rows.leaves)
            if len(els) < n or els[0] is not rows.first or els[n - 1] is not rows.last:
                self._drop_rows(id(layer))
                rows = None
        if rows is None:
            self._add_rows(layer)
        elif len(els) > len(rows.leaves):
            start = len(rows.leaves)
            self._append(rows, start)
            self._filter_rows(rows.leaves[start:])

    def _add_rows(self, layer: MeshLayer) -> None:
        if not layer.elements:
            return
        root = self._item([layer.name, layer.kind.upper()], layer, -1, GROUP_FLAGS)
        rows = _LayerRows(layer, root)
        self._rows[id(layer)] = rows
        self._updating = True
        self.tree.addTopLevelItem(root)
        self._updating = False
        self._order_roots()
        self._append(rows, 0)
        root.setExpanded(True)
        if self.search.text().strip():
            self._filter(self.search.text())

    def _item(self, texts: list[str], layer: MeshLayer, index: int, flags: Qt.ItemFlag) -> QTreeWidgetItem:
        item = QTreeWidgetItem(texts)
        item.setData(0, INDEX_ROLE, index)
        item.setData(0, LAYER_ROLE, id(layer))
        item.setFlags(item.flags() | flags)
        self.items_created += 1
        return item

    def _path(self, element: ElementInfo) -> tuple[str, ...]:
        mode = self.group_by.currentIndex()
        if mode == 0:
            return element.spatial
        return (element.ifc_class or tr("(none)"),) if mode == 1 else (element.storey or tr("(no storey)"),)

    def _append(self, rows: _LayerRows, start: int) -> None:
        """Rows for elements[start:], under their groups (new groups as needed); counts follow."""
        layer, els = rows.layer, rows.layer.elements
        hidden = layer.hidden_mask()
        self._updating = True
        new_groups: list[tuple[tuple[str, ...], QTreeWidgetItem]] = []
        for index in range(start, len(els)):
            element = els[index]
            path = self._path(element)
            parent = rows.root
            for depth in range(len(path)):
                key = path[: depth + 1]
                group = rows.groups.get(key)
                if group is None:
                    group = rows.groups[key] = self._item([path[depth], ""], layer, -1, GROUP_FLAGS)
                    group.setData(0, LABEL_ROLE, path[depth])
                    parent.addChild(group)
                    new_groups.append((key, group))
                rows.counts[key] = rows.counts.get(key, 0) + 1
                parent = group
            leaf = self._item([element.name or element.id, element.ifc_class], layer, index, CHECKABLE)
            leaf.setToolTip(0, element.id)
            # always set: an item without check-state data draws no box (a hidden space would have none)
            leaf.setCheckState(0, Qt.CheckState.Unchecked if hidden[index] else Qt.CheckState.Checked)
            parent.addChild(leaf)
            rows.leaves.append(leaf)
        rows.first, rows.last = (els[0], els[-1]) if els else (None, None)
        rows.root.setText(0, tr('{v0} ({v1})').format(v0=layer.name, v1=len(rows.leaves)))
        for key, group in rows.groups.items():
            group.setText(0, tr('{v0} ({v1})').format(v0=group.data(0, LABEL_ROLE), v1=rows.counts.get(key, 0)))
        for key, group in new_groups:
            group.setExpanded(len(key) < 4)
        self._updating = False

    def _sync_checks(self, layer: MeshLayer, start: int = 0) -> None:
        rows = self._rows.get(id(layer))
        if rows is None:
            return
        was, self._updating = self._updating, True
        hidden = layer.hidden_mask()
        for index in range(start, min(len(rows.leaves), len(hidden))):
            state = Qt.CheckState.Unchecked if hidden[index] else Qt.CheckState.Checked
            leaf = rows.leaves[index]
            if leaf.checkState(0) != state:
                leaf.setCheckState(0, state)
        self._updating = was

    # --- helpers ---------------------------------------------------------------------------------------
    def _layer(self, item: QTreeWidgetItem) -> MeshLayer | None:
        rows = self._rows.get(item.data(0, LAYER_ROLE))
        return rows.layer if rows is not None else None

    def leaf(self, layer: Layer, index: int) -> QTreeWidgetItem | None:
        rows = self._rows.get(id(layer))
        return rows.leaves[index] if rows is not None and 0 <= index < len(rows.leaves) else None

    @staticmethod
    def _indices(item: QTreeWidgetItem) -> list[int]:
        """Element indices under an item (itself when a leaf), iteratively."""
        out, stack = [], [item]
        while stack:
            node = stack.pop()
            index = node.data(0, INDEX_ROLE)
            if index is not None and index >= 0:
                out.append(int(index))
            stack.extend(node.child(i) for i in range(node.childCount()))
        return out

    def _selected_by_layer(self) -> dict[int, tuple[MeshLayer, list[int]]]:
        out: dict[int, tuple[MeshLayer, list[int]]] = {}
        for item in self.tree.selectedItems():
            layer = self._layer(item)
            if layer is not None:
                out.setdefault(id(layer), (layer, []))[1].extend(self._indices(item))
        return out

    # --- actions ---------------------------------------------------------------------------------------
    def isolate_selected(self) -> None:
        chosen = self._selected_by_layer()
        for layer in self.structured_layers():
            if id(layer) in chosen:
                layer.isolate(chosen[id(layer)][1])

    def hide_selected(self) -> None:
        for layer, indices in self._selected_by_layer().values():
            layer.set_elements_hidden(indices, True)

    def show_all(self) -> None:
        for layer in self.structured_layers():
            layer.show_all()

    def _zoom_items(self, items: list[QTreeWidgetItem]) -> None:
        for item in items:
            layer = self._layer(item)
            if layer is not None:
                bounds = element_bounds(layer, self._indices(item))
                if bounds is not None:
                    self._zoom_to(bounds)

    def _on_item_changed(self, item: QTreeWidgetItem, column: int) -> None:
        """Ticking a group ticks every element below it: collect the changes and apply them once,
        so a class of 1,000 walls costs one mesh rebuild, not 1,000."""
        if self._updating or column != 0 or item.data(0, INDEX_ROLE) in (None, -1):
            return
        key = (item.data(0, LAYER_ROLE), int(item.data(0, INDEX_ROLE)))
        self._pending_checks[key] = item.checkState(0) == Qt.CheckState.Unchecked
        if len(self._pending_checks) == 1:
            QTimer.singleShot(0, self.apply_pending_checks)

    def apply_pending_checks(self) -> None:
        pending, self._pending_checks = self._pending_checks, {}
        for layer in self.structured_layers():
            mine = {index: hidden for (layer_id, index), hidden in pending.items() if layer_id == id(layer)}
            if mine:
                layer.set_hidden_states(mine)

    def _on_tree_selection(self) -> None:
        if self._updating:
            return
        items = self.tree.selectedItems()
        if len(items) != 1 or items[0].data(0, INDEX_ROLE) in (None, -1):
            return
        layer = self._layer(items[0])
        if layer is not None:
            index = int(items[0].data(0, INDEX_ROLE))
            self.scene.select(Selection(layer, index, layer.describe_element(index)))

    def _on_scene_selection(self, sel: Selection) -> None:
        leaf = self.leaf(sel.layer, sel.index) if sel.layer is not None else None
        if leaf is not None and self.tree.selectedItems() == [leaf]:
            return  # picked in this tree: scrolling now would move the row from under a double-click
        self._updating = True
        self.tree.clearSelection()
        if leaf is not None:
            leaf.setSelected(True)
            self.tree.scrollToItem(leaf)
        self._updating = False

    # --- search -----------------------------------------------------------------------------------------
    def _matches(self, item: QTreeWidgetItem, needle: str) -> bool:
        return not needle or needle in item.text(0).lower() or needle in item.toolTip(0).lower()

    def _filter(self, text: str) -> None:
        needle = text.strip().lower()
        it = QTreeWidgetItemIterator(self.tree)
        while it.value():
            item = it.value()
            item.setHidden(item.data(0, INDEX_ROLE) not in (None, -1) and not self._matches(item, needle))
            it += 1
        if needle:  # a group stays visible while any element below it matches
            for i in range(self.tree.topLevelItemCount()):
                self._hide_empty_groups(self.tree.topLevelItem(i))

    def _filter_rows(self, items: list[QTreeWidgetItem]) -> None:
        """New rows during a search: only they and their groups are looked at again."""
        needle = self.search.text().strip().lower()
        if not needle:
            return
        for item in items:
            if item.data(0, INDEX_ROLE) not in (None, -1):
                item.setHidden(not self._matches(item, needle))
        for rows in self._rows.values():
            self._hide_empty_groups(rows.root)

    def _hide_empty_groups(self, item: QTreeWidgetItem) -> bool:
        if item.data(0, INDEX_ROLE) not in (None, -1):
            return not item.isHidden()
        visible = [self._hide_empty_groups(item.child(i)) for i in range(item.childCount())]
        item.setHidden(not any(visible))
        if any(visible):
            item.setExpanded(True)
        return any(visible)

    def _select_first_match(self) -> None:
        for rows in self._rows.values():
            for item in rows.leaves:
                if not item.isHidden():
                    self.tree.clearSelection()
                    item.setSelected(True)
                    self.tree.scrollToItem(item)
                    return
