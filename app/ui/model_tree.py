"""Model tree dock: BIM and city-model structure (project > site > building > storey > element).

Check boxes show and hide elements, Isolate/Hide/Show all act on the selected nodes, search finds
names and GlobalIds, and the selection follows the 3D view both ways.
"""
from __future__ import annotations

from PySide6.QtCore import Qt, QTimer
from PySide6.QtWidgets import (
    QComboBox, QDockWidget, QHBoxLayout, QLineEdit, QPushButton, QTreeWidget, QTreeWidgetItem, QTreeWidgetItemIterator,
    QVBoxLayout, QWidget,
)

from app.model.layers import MeshLayer, element_bounds
from app.model.scene import Scene, Selection

INDEX_ROLE = Qt.ItemDataRole.UserRole
LAYER_ROLE = Qt.ItemDataRole.UserRole + 1
STRUCTURED_KINDS = ("bim", "citymodel")


class ModelTreeDock(QDockWidget):
    def __init__(self, scene: Scene, zoom_to, parent: QWidget | None = None) -> None:
        super().__init__("Model", parent)
        self.setObjectName("ModelTreeDock")
        self.scene = scene
        self._zoom_to = zoom_to
        self._updating = False
        self._rebuild_pending = False
        self._pending_checks: dict[tuple[int, int], bool] = {}
        self._leaves: dict[tuple[int, int], QTreeWidgetItem] = {}

        self.search = QLineEdit(placeholderText="Search name or GlobalId (Enter selects)")
        self.search.textChanged.connect(self._filter)
        self.search.returnPressed.connect(self._select_first_match)
        self.group_by = QComboBox()
        self.group_by.addItems(["Spatial structure", "Class", "Storey"])
        self.group_by.currentIndexChanged.connect(lambda _i: self.rebuild())
        self.tree = QTreeWidget()
        self.tree.setHeaderLabels(["Element", "Class"])
        self.tree.setColumnWidth(0, 230)
        self.tree.setSelectionMode(QTreeWidget.SelectionMode.ExtendedSelection)
        self.tree.itemChanged.connect(self._on_item_changed)
        self.tree.itemSelectionChanged.connect(self._on_tree_selection)
        self.tree.itemDoubleClicked.connect(lambda item, _c: self._zoom_items([item]))
        buttons = QHBoxLayout()
        for label, slot in (("Isolate", self.isolate_selected), ("Hide", self.hide_selected), ("Show all", self.show_all)):
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
        scene.layers.inserted.connect(lambda *_: self.rebuild())
        scene.layers.removed.connect(lambda *_: self.rebuild())
        scene.selection_changed.connect(self._on_scene_selection)

    # --- building the tree --------------------------------------------------------------------
    def structured_layers(self) -> list[MeshLayer]:
        return [layer for layer in self.scene.layers if isinstance(layer, MeshLayer) and layer.kind in STRUCTURED_KINDS and layer.elements]

    def rebuild(self) -> None:
        self._updating = True
        self.tree.clear()
        self._leaves.clear()
        for layer in self.structured_layers():
            root = QTreeWidgetItem([layer.name, layer.kind.upper()])
            root.setData(0, LAYER_ROLE, id(layer))
            root.setData(0, INDEX_ROLE, -1)
            root.setFlags(root.flags() | Qt.ItemFlag.ItemIsUserCheckable | Qt.ItemFlag.ItemIsAutoTristate)
            self.tree.addTopLevelItem(root)
            groups: dict[tuple[str, ...], QTreeWidgetItem] = {}
            mode = self.group_by.currentIndex()
            for index, element in enumerate(layer.elements):
                path = (element.spatial if mode == 0 else (element.ifc_class or "(none)",) if mode == 1 else (element.storey or "(no storey)",))
                parent = root
                for depth in range(len(path)):
                    key = path[: depth + 1]
                    if key not in groups:
                        group = QTreeWidgetItem([path[depth], ""])
                        group.setData(0, INDEX_ROLE, -1)
                        group.setData(0, LAYER_ROLE, id(layer))
                        group.setFlags(group.flags() | Qt.ItemFlag.ItemIsUserCheckable | Qt.ItemFlag.ItemIsAutoTristate)
                        parent.addChild(group)
                        groups[key] = group
                    parent = groups[key]
                leaf = QTreeWidgetItem([element.name or element.id, element.ifc_class])
                leaf.setData(0, INDEX_ROLE, index)
                leaf.setData(0, LAYER_ROLE, id(layer))
                leaf.setToolTip(0, element.id)
                leaf.setFlags(leaf.flags() | Qt.ItemFlag.ItemIsUserCheckable)
                parent.addChild(leaf)
                self._leaves[(id(layer), index)] = leaf
            for group in [root, *groups.values()]:
                group.setText(0, f"{group.text(0)} ({len(self._indices(group))})")
            root.setExpanded(True)
            for key, group in groups.items():
                group.setExpanded(len(key) < 4)
            self._sync_checks(layer)
            layer.events.hidden.disconnect(self._on_hidden_changed)
            layer.events.hidden.connect(self._on_hidden_changed)
            layer.data_changed.disconnect(self._schedule_rebuild)
            layer.data_changed.connect(self._schedule_rebuild)
        self._updating = False
        self._filter(self.search.text())

    def _schedule_rebuild(self) -> None:
        """A streamed model grows in snapshots: rebuild once per event-loop turn, not per snapshot."""
        if not self._rebuild_pending:
            self._rebuild_pending = True
            QTimer.singleShot(0, self._rebuild_now)

    def _rebuild_now(self) -> None:
        self._rebuild_pending = False
        self.rebuild()

    def _on_hidden_changed(self, *_args) -> None:
        for layer in self.structured_layers():
            self._sync_checks(layer)

    def _sync_checks(self, layer: MeshLayer) -> None:
        was, self._updating = self._updating, True
        hidden = layer.hidden_mask()
        for (layer_id, index), leaf in self._leaves.items():
            if layer_id == id(layer):
                leaf.setCheckState(0, Qt.CheckState.Unchecked if hidden[index] else Qt.CheckState.Checked)
        self._updating = was

    # --- helpers -------------------------------------------------------------------------------
    def _layer(self, item: QTreeWidgetItem) -> MeshLayer | None:
        key = item.data(0, LAYER_ROLE)
        return next((layer for layer in self.structured_layers() if id(layer) == key), None)

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

    # --- actions -------------------------------------------------------------------------------
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
        leaf = self._leaves.get((id(sel.layer), sel.index)) if sel.layer is not None else None
        self._updating = True
        self.tree.clearSelection()
        if leaf is not None:
            leaf.setSelected(True)
            self.tree.scrollToItem(leaf)
        self._updating = False

    def _filter(self, text: str) -> None:
        needle = text.strip().lower()
        it = QTreeWidgetItemIterator(self.tree)
        while it.value():
            item = it.value()
            if item.data(0, INDEX_ROLE) not in (None, -1):
                item.setHidden(bool(needle) and needle not in item.text(0).lower() and needle not in item.toolTip(0).lower())
            it += 1
        if needle:  # a group stays visible while any element below it matches
            for i in range(self.tree.topLevelItemCount()):
                self._hide_empty_groups(self.tree.topLevelItem(i))
        else:
            it = QTreeWidgetItemIterator(self.tree)
            while it.value():
                it.value().setHidden(False)
                it += 1

    def _hide_empty_groups(self, item: QTreeWidgetItem) -> bool:
        if item.data(0, INDEX_ROLE) not in (None, -1):
            return not item.isHidden()
        visible = [self._hide_empty_groups(item.child(i)) for i in range(item.childCount())]
        item.setHidden(not any(visible))
        if any(visible):
            item.setExpanded(True)
        return any(visible)

    def _select_first_match(self) -> None:
        for item in self._leaves.values():
            if not item.isHidden():
                self.tree.clearSelection()
                item.setSelected(True)
                self.tree.scrollToItem(item)
                return
