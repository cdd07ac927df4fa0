"""Layer tree dock: visibility checkbox, opacity, colour mode, feature filter, zoom-to, remove."""
from __future__ import annotations

import os
from typing import Callable

from PySide6.QtCore import Qt
from PySide6.QtGui import QBrush, QColor
from PySide6.QtWidgets import (
    QDockWidget, QDoubleSpinBox, QFileDialog, QHBoxLayout, QLabel, QLineEdit, QMenu, QMessageBox,
    QPushButton, QScrollArea, QSlider, QToolButton, QTreeWidget, QTreeWidgetItem, QVBoxLayout, QWidget,
)

from app.model.layers import ASPRS_CLASSES, Layer, MeshLayer, MissingLayer, PointCloudLayer
from app.model.placement import assign_crs, can_place, current_placement, place_layer
from app.model.scene import Scene
from app.model.undo import UndoStack, placement_step
from app.ui.colour_by import ColourByBox
from app.ui.place_dialog import PlaceDialog
from app.ui.color_range_controls import ColorRangeControls
from app.ui.layer_controls import KindControls
from app.ui.tileset_controls import TilesetControls
from app.ui.i18n import QT_TR_NOOP, tr

DOCK_MIN_WIDTH = 240  # docks may shrink this far (their controls scroll) so that the 3D view keeps its room


def scrolling(body: QWidget) -> QScrollArea:
    """A dock's contents in a frameless scroll area: the dock's minimum width stops being the
    width of its widest row of controls."""
    area = QScrollArea()
    area.setWidget(body)
    area.setWidgetResizable(True)
    area.setFrameShape(QScrollArea.Shape.NoFrame)
    return area


KIND_LABELS = {"pointcloud": QT_TR_NOOP("Point cloud"), "bim": "BIM", "tileset": "3D Tiles", "mesh": QT_TR_NOOP("Mesh"), "tile": "3D Tiles",
               "missing": QT_TR_NOOP("Missing"), "comparison": QT_TR_NOOP("Comparison"), "result": QT_TR_NOOP("Result"), "sensors": QT_TR_NOOP("Live sensors")}
MISSING_RGB = "#9e9e9e"
Relink = Callable[[list[tuple[MissingLayer, str]]], None]
ERROR_RGB, WARN_RGB = "#c62828", "#b26a00"
FILTER_HELP = (
    QT_TR_NOOP("Show only the features that match; Enter applies, an empty box shows all.\n"
    'height > 30 and use == "office"\n'
    'use in ("office", "retail")    name contains "Tower"    not (year < 2000)\n'
    "${roof type} == \"flat\"    [Pset_WallCommon.IsExternal] == true    class == \"IfcWall\"\n"
    "Features without the property, or with a value of another type, do not match.")
)


COUNT_TEXT = {"points": QT_TR_NOOP("{n:,} points"), "triangles": QT_TR_NOOP("{n:,} triangles"),  # a layer's counts, shown
              "elements": QT_TR_NOOP("{n:,} elements"), "tiles": QT_TR_NOOP("{n:,} tiles"),
              "time steps": QT_TR_NOOP("{n:,} time steps"), "sensors": QT_TR_NOOP("{n:,} sensors"),
              "tasks": QT_TR_NOOP("{n:,} tasks"), "linked elements": QT_TR_NOOP("{n:,} linked elements")}


def _summary(layer: Layer) -> str:
    parts = [tr(COUNT_TEXT[k]).format(n=v) if k in COUNT_TEXT else f"{v:,} " + tr(k)
             for k, v in layer.counts().items() if v]
    return ", ".join(parts)


def _show_missing(item: QTreeWidgetItem, layer: MissingLayer) -> None:
    """Greyed, not checkable, and the tooltip says where the file was looked for."""
    item.setFlags(item.flags() & ~Qt.ItemFlag.ItemIsUserCheckable)
    item.setData(0, Qt.ItemDataRole.CheckStateRole, None)
    for column in range(3):
        item.setForeground(column, QBrush(QColor(MISSING_RGB)))
    item.setText(2, tr("file not found"))
    tried = "\n".join(f"  {p}" for p in layer.tried)
    item.setToolTip(0, tr('File not found. Tried:\n{tried}\nRight-click > Locate… to re-link it.').format(tried=tried))


def _filterable(layer: Layer | None) -> bool:
    """Mesh layers whose elements carry properties (tile features, city objects, IFC elements),
    and streamed tilesets, whose tiles bring their features as they load."""
    if not isinstance(layer, MeshLayer):
        return False
    return bool(getattr(layer, "streamed", False)) or any(e.ifc_class or e.properties for e in layer.elements)


def _filter_status(layer: MeshLayer) -> tuple[str, str]:
    """(text, colour) under the filter box: "12 of 40 features", or the error in red."""
    if not layer.feature_filter.strip():
        return "", ""
    result = layer.filter_result()
    if result.error:
        return f"\u26a0 {result.error}", ERROR_RGB
    matched, total = layer.filter_counts()
    if not layer.elements and getattr(layer, "streamed", False):
        return tr("Applied to each tile as it loads"), ""
    text = tr('{matched:,} of {total:,} features').format(matched=matched, total=total)
    if result.unknown:  # most likely a typo: say so rather than silently match nothing
        missing = tr("No feature has ") + ", ".join(repr(n) for n in result.unknown)
        return (f"{text} \u2014 {missing[0].lower()}{missing[1:]}" if total else missing), WARN_RGB
    return text, ""


class LayerTreeDock(QDockWidget):
    def __init__(self, scene: Scene, zoom_to: Callable[[Layer], None], parent: QWidget | None = None) -> None:
        super().__init__(tr("Layers"), parent)
        self.setObjectName("LayerTreeDock")
        self.scene = scene
        self._zoom_to = zoom_to
        self._items: dict[int, QTreeWidgetItem] = {}
        self._updating = False
        self.relink: Relink | None = None  # set by the main window: loads re-linked files in a worker
        self.undo: UndoStack | None = None  # set by the main window: a placement is one undo step
        self.move_origin: Callable[[Layer], None] | None = None  # set by the main window: View > Scene origin
        self.refine_alignment: Callable[[Layer], None] | None = None  # set by the Analysis menu: ICP for a point cloud
        self._field_handlers: dict[int, Callable] = {}

        self.tree = QTreeWidget()
        self.tree.setHeaderLabels([tr("Layer"), tr("Kind"), tr("Contents")])
        self.tree.setRootIsDecorated(False)
        self.tree.setColumnWidth(0, 150)
        self.tree.setColumnWidth(1, 80)
        self.setMinimumWidth(DOCK_MIN_WIDTH)
        self.tree.itemChanged.connect(self._on_item_changed)
        self.tree.currentItemChanged.connect(lambda *_: self._sync_controls())
        self.tree.itemDoubleClicked.connect(lambda item, _c: self._zoom_to(self._layer(item)))
        self.tree.setContextMenuPolicy(Qt.ContextMenuPolicy.CustomContextMenu)
        self.tree.customContextMenuRequested.connect(self._on_context_menu)

        self.opacity = QSlider(Qt.Orientation.Horizontal)
        self.opacity.setRange(0, 100)
        self.opacity.valueChanged.connect(self._on_opacity)
        self.color_mode = ColourByBox()  # grouped, searchable, readable names; QComboBox's text API in mode keys
        self.color_mode.currentTextChanged.connect(self._on_color_mode)
        self.point_size = QDoubleSpinBox()
        self.point_size.setRange(1.0, 20.0)
        self.point_size.setSingleStep(0.5)
        self.point_size.setSuffix(tr(" px"))
        self.point_size.valueChanged.connect(self._on_point_size)
        self.classes_button = QToolButton()
        self.classes_button.setText(tr("Classes"))
        self.classes_button.setToolTip(tr("Show or hide ASPRS classes"))
        self.classes_button.setPopupMode(QToolButton.ToolButtonPopupMode.InstantPopup)
        self.classes_menu = QMenu(self.classes_button)
        self.classes_button.setMenu(self.classes_menu)
        self.zoom_button = QPushButton(tr("Zoom to"))
        self.zoom_button.clicked.connect(lambda: self.current_layer() and self._zoom_to(self.current_layer()))
        self.remove_button = QPushButton(tr("Remove"))
        self.remove_button.clicked.connect(self._on_remove)
        self.place_button = QPushButton(tr("Place\u2026"))
        self.place_button.setToolTip(tr("Georeference a layer that has none: name its CRS (EPSG code) or put its origin at a latitude/longitude"))
        self.place_button.clicked.connect(self.place_current)
        self.filter_edit = QLineEdit()
        self.filter_edit.setPlaceholderText(tr('e.g. height > 30 and use == "office"'))
        self.filter_edit.setClearButtonEnabled(True)
        self.filter_edit.setToolTip(tr(FILTER_HELP))
        self.filter_edit.returnPressed.connect(self.apply_filter)
        self.filter_edit.textChanged.connect(self._on_filter_text)
        self.filter_status = QLabel()
        self.filter_status.setWordWrap(True)
        self.filter_status.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)

        controls = QWidget()
        form = QVBoxLayout(controls)
        row = QHBoxLayout()
        row.addWidget(QLabel(tr("Opacity")))
        row.addWidget(self.opacity)
        form.addLayout(row)
        row = QHBoxLayout()
        row.addWidget(QLabel(tr("Colour by")))
        row.addWidget(self.color_mode, 1)
        form.addLayout(row)
        self.range_row = ColorRangeControls(scene)  # min/max of a numeric colour ramp
        form.addWidget(self.range_row)
        self.points_row = QWidget()
        row = QHBoxLayout(self.points_row)
        row.setContentsMargins(0, 0, 0, 0)
        row.addWidget(QLabel(tr("Point size")))
        row.addWidget(self.point_size)
        row.addWidget(self.classes_button)
        form.addWidget(self.points_row)
        self.tiles_row = TilesetControls()
        form.addWidget(self.tiles_row)
        self.kind_controls = KindControls(scene, lambda w: form.insertWidget(form.count() - 1, w))  # above Zoom to; layer_controls.py
        self.filter_row = QWidget()
        column = QVBoxLayout(self.filter_row)
        column.setContentsMargins(0, 0, 0, 0)
        column.setSpacing(2)
        row = QHBoxLayout()
        row.addWidget(QLabel(tr("Filter")))
        row.addWidget(self.filter_edit, 1)
        column.addLayout(row)
        column.addWidget(self.filter_status)
        form.addWidget(self.filter_row)
        row = QHBoxLayout()
        row.addWidget(self.zoom_button)
        row.addWidget(self.place_button)
        row.addWidget(self.remove_button)
        form.addLayout(row)
        body = QWidget()
        layout = QVBoxLayout(body)
        layout.setContentsMargins(4, 4, 4, 4)
        layout.addWidget(self.tree, 1)
        layout.addWidget(controls)
        self.setWidget(scrolling(body))  # a small window scrolls the controls, never covers the view

        scene.layers.inserted.connect(self._on_inserted)
        scene.layers.removed.connect(self._on_removed)
        scene.layers.moved.connect(self._on_moved)
        self._sync_controls()

    # --- model -> view ----------------------------------------------------------------------
    def _on_inserted(self, index: int, layer: Layer) -> None:
        item = QTreeWidgetItem([layer.name, tr(KIND_LABELS.get(layer.kind, layer.kind)), _summary(layer)])
        item.setFlags(item.flags() | Qt.ItemFlag.ItemIsUserCheckable)
        item.setCheckState(0, Qt.CheckState.Checked if layer.visible else Qt.CheckState.Unchecked)
        item.setData(0, Qt.ItemDataRole.UserRole, id(layer))
        tip = [f"{k}: {v}" for k, v in layer.info.items() if v is not None]
        if layer.source:
            tip.insert(0, layer.source["path"])
        tip += [f"warning: {w}" for w in layer.warnings]
        item.setToolTip(0, "\n".join(tip))
        if layer.warnings:
            item.setText(0, tr('{v0}  ⚠').format(v0=layer.name))
        if isinstance(layer, MissingLayer):
            _show_missing(item, layer)
        self._items[id(layer)] = item
        self.tree.insertTopLevelItem(index, item)

        def on_visible(visible: bool) -> None:  # one-argument closure: psygnal passes (new, old) otherwise
            self._set_check(item, visible)

        layer.events.visible.connect(on_visible)

        def on_renamed(name: str) -> None:
            item.setText(0, f"{name}  \u26a0" if layer.warnings else name)

        def on_data() -> None:  # a streamed layer grows while it loads; a comparison adds colour modes
            item.setText(2, _summary(layer))
            if self.current_layer() is layer and not self._updating:
                self._refresh_modes(layer)

        def on_color_mode(mode: str) -> None:  # set elsewhere (a project, a script): the combo follows
            if self.current_layer() is layer and self.color_mode.currentText() != mode:
                self._updating = True
                self.color_mode.setCurrentText(mode)
                self._updating = False

        def on_field(_info) -> None:  # set elsewhere (a project reopened, undo, a script): the controls follow
            if self.current_layer() is layer and not self._updating:
                self._sync_values(layer)

        layer.events.all.connect(on_field)
        self._field_handlers[id(layer)] = on_field
        layer.events.name.connect(on_renamed)
        layer.events.color_mode.connect(on_color_mode)
        layer.data_changed.connect(on_data)
        if isinstance(layer, MeshLayer):  # a filter set elsewhere (project), or elements streaming in
            def on_filter(*_args) -> None:
                if self.current_layer() is layer:
                    self._show_filter(layer)

            def on_filter_set(*_args) -> None:  # undo, a project, a script: the box shows the filter in force
                if self.current_layer() is layer and self.filter_edit.text().strip() != layer.feature_filter:
                    was, self._updating = self._updating, True
                    self.filter_edit.setText(layer.feature_filter)
                    self._updating = was

            layer.events.feature_filter.connect(on_filter_set)
            layer.events.feature_filter.connect(on_filter)
            layer.data_changed.connect(on_filter)
        self.tree.setCurrentItem(item)

    def _on_removed(self, index: int, layer: Layer) -> None:
        handler = self._field_handlers.pop(id(layer), None)
        if handler is not None:
            layer.events.all.disconnect(handler)
        item = self._items.pop(id(layer), None)
        if item is not None:
            self.tree.takeTopLevelItem(self.tree.indexOfTopLevelItem(item))
        self._sync_controls()

    def _on_moved(self, src: int, dst: int) -> None:
        item = self.tree.takeTopLevelItem(src)
        if item is not None:
            self.tree.insertTopLevelItem(dst, item)

    def _set_check(self, item: QTreeWidgetItem, visible: bool) -> None:
        self._updating = True
        item.setCheckState(0, Qt.CheckState.Checked if visible else Qt.CheckState.Unchecked)
        self._updating = False

    # --- view -> model ----------------------------------------------------------------------
    def _layer(self, item: QTreeWidgetItem | None) -> Layer | None:
        if item is None:
            return None
        key = item.data(0, Qt.ItemDataRole.UserRole)
        return next((layer for layer in self.scene.layers if id(layer) == key), None)

    def current_layer(self) -> Layer | None:
        return self._layer(self.tree.currentItem())

    def item_for(self, layer: Layer) -> QTreeWidgetItem | None:
        return self._items.get(id(layer))

    def _on_item_changed(self, item: QTreeWidgetItem, column: int) -> None:
        layer = self._layer(item)
        if self._updating or layer is None or column != 0:
            return
        layer.visible = item.checkState(0) == Qt.CheckState.Checked

    def _sync_values(self, layer: Layer) -> None:
        """Every control shows the value of the layer it controls, whoever changed it."""
        self._updating = True
        try:
            if self.opacity.value() != round(layer.opacity * 100):
                self.opacity.setValue(round(layer.opacity * 100))
            if self.color_mode.currentText() != layer.color_mode:
                self.color_mode.setCurrentText(layer.color_mode)
            if isinstance(layer, PointCloudLayer):
                self.point_size.setValue(layer.point_size)
                for action in self.classes_menu.actions():  # in place: a toggled action must not be deleted
                    shown = int(action.text().split()[0]) not in layer.hidden_classes
                    if action.isChecked() != shown:
                        action.blockSignals(True)
                        action.setChecked(shown)
                        action.blockSignals(False)
            self.tiles_row.set_layer(layer)
        finally:
            self._updating = False

    def _sync_controls(self) -> None:
        layer = self.current_layer()
        enabled = layer is not None and not isinstance(layer, MissingLayer)  # nothing to style until re-linked
        for widget in (self.opacity, self.color_mode, self.zoom_button):
            widget.setEnabled(enabled)
        self.remove_button.setEnabled(layer is not None)
        self.place_button.setEnabled(layer is not None and can_place(layer))
        self.points_row.setVisible(isinstance(layer, PointCloudLayer))
        self.filter_row.setVisible(_filterable(layer))
        self.tiles_row.set_layer(layer)
        self.kind_controls.show_for(layer if enabled else None)
        self.range_row.set_layer(layer if enabled else None)
        if layer is None:
            return
        self._updating = True
        self.opacity.setValue(round(layer.opacity * 100))
        self.color_mode.clear()
        modes = layer.available_color_modes() if hasattr(layer, "available_color_modes") else list(layer.color_modes)
        self.color_mode.addItems(modes)
        self.color_mode.setCurrentText(layer.color_mode)
        if isinstance(layer, PointCloudLayer):
            self.point_size.setValue(layer.point_size)
            self._fill_classes(layer)
        if isinstance(layer, MeshLayer):
            self.filter_edit.setText(layer.feature_filter)
            self._show_filter(layer)
        self._updating = False

    def _refresh_modes(self, layer: Layer) -> None:
        """The colour modes offered, when the layer's data brought new ones (a comparison's deviations)."""
        modes = layer.available_color_modes() if hasattr(layer, "available_color_modes") else list(layer.color_modes)
        if [self.color_mode.itemText(i) for i in range(self.color_mode.count())] == list(modes):
            return
        self._updating = True
        try:
            self.color_mode.clear()
            self.color_mode.addItems(modes)
            self.color_mode.setCurrentText(layer.color_mode)
        finally:
            self._updating = False

    def context_menu(self, item: QTreeWidgetItem) -> QMenu:
        """Right-click on a layer: zoom to it, filter its features, remove it."""
        self.tree.setCurrentItem(item)
        layer = self._layer(item)
        menu = QMenu(self.tree)
        if isinstance(layer, MissingLayer):
            menu.addAction(tr("Locate\u2026"), lambda: self.locate(layer))
        menu.addAction(tr("Zoom to"), lambda: layer is not None and self._zoom_to(layer))
        menu.addAction(tr("Filter\u2026"), self.focus_filter).setEnabled(_filterable(layer))
        menu.addAction(tr("Place\u2026"), self.place_current).setEnabled(layer is not None and can_place(layer))
        if self.move_origin is not None:
            move = self.move_origin
            menu.addAction(tr("Move scene origin to this layer"), lambda: layer is not None and move(layer)).setEnabled(
                layer is not None and layer.bounds() is not None)
        if isinstance(layer, PointCloudLayer) and self.refine_alignment is not None:
            refine = self.refine_alignment
            menu.addAction(tr("Refine alignment (ICP)\u2026"), lambda: refine(layer))
        menu.addSeparator()
        menu.addAction(tr("Remove"), self._on_remove)
        return menu

    def locate(self, layer: MissingLayer) -> None:
        """Ask where a missing layer's file is now; other missing layers whose file has the same
        name in that folder are offered too (a data folder that moved as a whole)."""
        start = next((os.path.dirname(p) for p in layer.tried if os.path.isdir(os.path.dirname(p))), "")
        name = os.path.basename(layer.tried[0]) if layer.tried else layer.name
        path, _ = QFileDialog.getOpenFileName(self, tr('Locate {name}').format(name=name), start, tr('{name} ({name});;All files (*)').format(name=name))
        if not path:
            return
        pairs = [(layer, path)]
        folder = os.path.dirname(path)
        others = [(other, os.path.join(folder, os.path.basename(other.tried[0])))
                  for other in self.scene.layers if isinstance(other, MissingLayer) and other is not layer and other.tried]
        others = [(other, p) for other, p in others if os.path.exists(p)]
        if others:
            names = "\n".join(os.path.basename(p) for _, p in others[:10])
            answer = QMessageBox.question(self, tr("Re-link missing layers"),
                                          tr('{v0} other missing layer(s) are in {folder}:\n{names}\n\nRe-link them too?').format(v0=len(others), folder=folder, names=names))
            if answer == QMessageBox.StandardButton.Yes:
                pairs += others
        if self.relink is not None:
            self.relink(pairs)

    def _on_context_menu(self, pos) -> None:
        item = self.tree.itemAt(pos)
        if item is not None:
            self.context_menu(item).exec(self.tree.viewport().mapToGlobal(pos))

    # --- feature filter ---------------------------------------------------------------------
    def focus_filter(self) -> None:
        self.filter_edit.setFocus(Qt.FocusReason.OtherFocusReason)
        self.filter_edit.selectAll()

    def apply_filter(self) -> None:
        """Enter in the filter box: the layer takes the expression; an invalid one keeps every
        feature shown and its error appears in red below the box (no dialog)."""
        layer = self.current_layer()
        if isinstance(layer, MeshLayer):
            text = self.filter_edit.text().strip()
            if text != layer.feature_filter:
                layer.feature_filter = text
            self._show_filter(layer)

    def _on_filter_text(self, text: str) -> None:
        if not self._updating and not text.strip():  # the clear button: show everything again
            self.apply_filter()

    def _show_filter(self, layer: MeshLayer) -> None:
        text, color = _filter_status(layer)
        self.filter_status.setText(text)
        self.filter_status.setVisible(bool(text))
        self.filter_status.setStyleSheet(f"color: {color};" if color else "")
        error = bool(layer.feature_filter) and color == ERROR_RGB
        self.filter_edit.setStyleSheet(f"QLineEdit {{ border: 1px solid {ERROR_RGB}; }}" if error else "")

    def _fill_classes(self, layer: PointCloudLayer) -> None:
        self.classes_menu.clear()
        present = layer.classes_present()
        self.classes_button.setEnabled(bool(present))
        for code in present:
            action = self.classes_menu.addAction(f"{code} {ASPRS_CLASSES.get(code, 'User defined')}")
            action.setCheckable(True)
            action.setChecked(code not in layer.hidden_classes)
            action.toggled.connect(lambda shown, code=code: self._on_class_toggled(code, shown))

    def _on_class_toggled(self, code: int, shown: bool) -> None:
        layer = self.current_layer()
        if isinstance(layer, PointCloudLayer):
            hidden = set(layer.hidden_classes)
            hidden.discard(code) if shown else hidden.add(code)
            layer.hidden_classes = tuple(sorted(hidden))

    def _on_point_size(self, value: float) -> None:
        layer = self.current_layer()
        if isinstance(layer, PointCloudLayer) and not self._updating:
            layer.point_size = float(value)

    def _on_opacity(self, value: int) -> None:
        layer = self.current_layer()
        if layer is not None and not self._updating:
            layer.opacity = value / 100.0

    def _on_color_mode(self, mode: str) -> None:
        layer = self.current_layer()
        if layer is not None and mode and not self._updating and mode != layer.color_mode:
            layer.color_mode = mode

    def place_current(self, dialog: "PlaceDialog | None" = None) -> None:
        """Ask where an ungeoreferenced layer stands, then move it there (the dialog is injectable for tests)."""
        layer = self.current_layer()
        if layer is None or not can_place(layer):
            return
        placement = current_placement(layer)  # the dialog opens on what is set, and OK keeps it
        origin = placement.get("origin_lla") or self.scene.frame.origin_lla or (0.0, 0.0, 0.0)

        def apply(crs: str | None, origin_lla: tuple[float, float, float], rotation: float) -> str | None:
            try:
                if crs:
                    assign_crs(self.scene, layer, crs)
                else:
                    place_layer(self.scene, layer, origin_lla, rotation)
            except ValueError as exc:
                return str(exc)
            return None

        dialog = dialog or PlaceDialog(layer.name, tuple(origin), self, placement=placement)
        dialog._apply = self._undoable(layer, apply)
        if dialog.exec() == PlaceDialog.DialogCode.Accepted:
            self._sync_controls()
            self._zoom_to(layer)

    def _undoable(self, layer: Layer, apply: Callable) -> Callable:
        """The dialog's apply as one undo step (Ctrl+Z puts the layer back where it was)."""
        if self.undo is None:
            return apply
        stack = self.undo

        def run(*args):
            result: list = []
            placement_step(stack, layer, lambda: result.append(apply(*args)))
            return result[0] if result else None

        return run

    def _on_remove(self) -> None:
        layer = self.current_layer()
        if layer is not None:
            self.scene.layers.remove(layer)
