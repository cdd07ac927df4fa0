"""Analysis > Planning > Height limits...: one maximum height everywhere, or zones from GeoJSON; the
buildings above their limit are highlighted in the view and listed with the excess (m), the list
exports as CSV, and the breaches become a result layer (saved with the project)."""
from __future__ import annotations

from typing import TYPE_CHECKING, Any

from PySide6.QtWidgets import (
    QAbstractItemView, QButtonGroup, QDialog, QDoubleSpinBox, QFileDialog, QFormLayout, QHBoxLayout, QLabel, QLineEdit, QPushButton,
    QRadioButton, QTableWidget, QTableWidgetItem, QVBoxLayout, QWidget,
)

from app.analysis.footprints import element_indices
from app.model.layers import BimLayer, MeshLayer, TilesetLayer
from app.ui.i18n import QT_TR_NOOP, tr

if TYPE_CHECKING:
    from app.ui.main_window import MainWindow

COLUMNS = (QT_TR_NOOP("Building"), QT_TR_NOOP("Layer"), QT_TR_NOOP("Height (m)"), QT_TR_NOOP("Limit (m)"), QT_TR_NOOP("Excess (m)"),
           QT_TR_NOOP("Zone"))


MAX_STREAMED_TILES = 2000  # a streamed tileset's features are read merged up to this many tiles


def building_layers(scene: Any) -> list[MeshLayer]:
    return [layer for layer in scene.layers if isinstance(layer, MeshLayer)
            and (len(layer.data["faces"]) or (isinstance(layer, TilesetLayer) and layer.streamed))]


def layer_footprints(scene: Any, layer: MeshLayer) -> list[Any]:
    """Its buildings: an IFC model as one, a city model's or tileset's features each; a streamed
    tileset is read merged at its finest level for this (its features' heights and places)."""
    from app.analysis.footprints import mesh_footprints
    from loaders.registry import load

    if isinstance(layer, TilesetLayer) and layer.streamed:
        tiles = len(layer.data["tree"].nodes)
        path = (layer.source or {}).get("path")
        if tiles > MAX_STREAMED_TILES or not path:
            raise ValueError(tr("{layer}: {tiles} tiles are too many to read at once; open a smaller tileset").format(
                layer=layer.name, tiles=f"{tiles:,}"))
        merged = [m for data in load(path, loader="3D Tiles tileset")  # i18n: not shown (a loader name)
                  for m in scene.make_layers(data) if isinstance(m, MeshLayer)]
        return [fp for m in merged for fp in mesh_footprints(m.data)]
    return mesh_footprints(layer.data, whole=isinstance(layer, BimLayer), name=layer.name)


class HeightLimitDialog(QDialog):
    def __init__(self, win: "MainWindow") -> None:
        super().__init__(win)
        self.win = win
        self.setWindowTitle(tr("Height limits"))
        self.breaches: list[Any] = []
        self.zones: list[Any] = []
        self.everywhere = QRadioButton(tr("Everywhere"))
        self.everywhere.setChecked(True)
        self.max_height = QDoubleSpinBox()
        self.max_height.setRange(0.0, 2000.0)
        self.max_height.setValue(60.0)
        self.max_height.setSuffix(tr(" m above ground"))
        self.from_file = QRadioButton(tr("Zones (GeoJSON polygons with max_height)"))
        self.path = QLineEdit()
        self.path.setPlaceholderText("zones.geojson")
        browse = QPushButton(tr("Browse\u2026"))
        browse.clicked.connect(self._browse)
        self.drawn = QRadioButton(tr("A zone drawn in the view"))
        self.draw_button = QPushButton(tr("Draw…"))
        self.draw_button.setToolTip(tr("Click the zone's corners in the view, then press Enter (Escape cancels)"))
        self.draw_button.clicked.connect(self.start_drawing)
        self.drawn_polygon: Any = None
        self.drawer: Any = None
        self.limit_kind = QButtonGroup(self)  # one choice, though the buttons sit in different rows
        for button in (self.everywhere, self.from_file, self.drawn):
            self.limit_kind.addButton(button)
        self.check_button = QPushButton(tr("Check"))
        self.check_button.clicked.connect(self.check)
        self.export_button = QPushButton(tr("Export CSV\u2026"))
        self.export_button.setEnabled(False)
        self.export_button.clicked.connect(self._export_dialog)
        self.status = QLabel()
        self.status.setWordWrap(True)
        self.table = QTableWidget(0, len(COLUMNS))
        self.table.setHorizontalHeaderLabels([tr(c) for c in COLUMNS])
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.itemSelectionChanged.connect(self._zoom_to_selected)
        form = QFormLayout()
        row = QHBoxLayout()
        row.addWidget(self.everywhere)
        row.addWidget(self.max_height, 1)
        form.addRow(tr("Limit"), row)
        zones = QWidget()
        zrow = QHBoxLayout(zones)
        zrow.setContentsMargins(0, 0, 0, 0)
        zrow.addWidget(self.from_file)
        zrow.addWidget(self.path, 1)
        zrow.addWidget(browse)
        form.addRow("", zones)
        drawn = QWidget()
        drow = QHBoxLayout(drawn)
        drow.setContentsMargins(0, 0, 0, 0)
        drow.addWidget(self.drawn)
        drow.addWidget(self.draw_button)
        drow.addStretch(1)
        form.addRow("", drawn)
        layout = QVBoxLayout(self)
        layout.addLayout(form)
        buttons = QHBoxLayout()
        buttons.addWidget(self.check_button)
        buttons.addWidget(self.export_button)
        buttons.addStretch(1)
        layout.addLayout(buttons)
        layout.addWidget(self.status)
        layout.addWidget(self.table, 1)
        self.resize(620, 360)

    def start_drawing(self) -> Any:
        """Corners from clicks in the view (app/ui/zone_drawing.py) until Enter."""
        from app.ui.zone_drawing import ZoneDrawer

        if self.drawer is not None:
            self.drawer.cancel()
        self.drawn.setChecked(True)
        self.status.setText(tr("Click the zone's corners in the view; Enter closes it, Escape cancels"))
        self.drawer = ZoneDrawer(self.win, self._drawn)
        self.win.view.setFocus()
        return self.drawer

    def _drawn(self, points: Any) -> None:
        import shapely

        self.drawer = None
        if points is None:
            self.status.setText(tr("No zone drawn (a zone needs three corners or more)"))
            return
        polygon = shapely.Polygon(points[:, :2])
        self.drawn_polygon = polygon if polygon.is_valid and polygon.area > 0 else polygon.buffer(0)
        self.status.setText(tr("Zone drawn: {corners} corners, {area} m2").format(corners=len(points), area=f"{self.drawn_polygon.area:,.0f}"))

    def _browse(self) -> None:
        path, _ = QFileDialog.getOpenFileName(self, tr("Height limit zones"), "", tr("GeoJSON (*.geojson *.json);;All files (*)"))
        if path:
            self.path.setText(path)
            self.from_file.setChecked(True)

    def _zones(self) -> list[Any]:
        from app.analysis.height_limits import Zone, zones_from_geojson

        if self.everywhere.isChecked():
            return [Zone(tr("everywhere"), float(self.max_height.value()))]
        if self.drawn.isChecked():
            if self.drawn_polygon is None:
                raise ValueError(tr("draw the zone first: Draw..., click its corners in the view, Enter"))
            return [Zone(tr("drawn zone"), float(self.max_height.value()), self.drawn_polygon)]
        frame = self.win.scene.frame
        if not frame.is_set:
            raise ValueError(tr("the scene is not georeferenced: zones on the map cannot be placed"))
        return zones_from_geojson(self.path.text().strip(), frame.to_local)

    def check(self) -> list[Any]:
        """Find the buildings above their limit; highlight, list and add them as a layer."""
        from app.analysis.height_limits import LimitError, breach_data, check_heights
        from loaders.base import LoadError

        layers = building_layers(self.win.scene)
        try:
            self.zones = self._zones()
            buildings = [(layer.name, id(layer), layer_footprints(self.win.scene, layer)) for layer in layers]
            self.breaches = check_heights(buildings, self.zones)
        except (LimitError, ValueError) as exc:
            self.status.setText(f"\u26a0 {exc}")
            return []
        except LoadError as exc:
            self.status.setText(f"\u26a0 {exc.reason}")
            return []
        count = sum(len(b[2]) for b in buildings)
        self.status.setText(tr("{breaches} of {count} buildings above their limit").format(breaches=len(self.breaches), count=count)
                            if count else tr("No buildings to check: open a city model, a merged tileset, meshes or an IFC model"))
        self._fill()
        self._highlight(layers)
        self.export_button.setEnabled(bool(self.breaches))
        if self.breaches:
            from app.ui.flood_dialog import in_scene_frame

            for layer in self.win.scene.make_layers(in_scene_frame(self.win.scene, breach_data(self.breaches, self.zones))):
                layer.info["buildings above"] = len(self.breaches)
                self.win.scene.layers.append(layer)
        return self.breaches

    def _fill(self) -> None:
        self.table.setRowCount(len(self.breaches))
        for r, b in enumerate(self.breaches):
            values = (b.name, b.layer, f"{b.height:.1f}", f"{b.limit:.1f}", f"{b.excess:.1f}", b.zone)
            for c, text in enumerate(values):
                self.table.setItem(r, c, QTableWidgetItem(text))
        self.table.resizeColumnsToContents()

    def _highlight(self, layers: list[MeshLayer]) -> None:
        for layer in layers:
            visual = self.win.canvas.visuals.get(id(layer))
            if visual is not None and hasattr(visual, "set_highlight_elements") and len(layer.data["faces"]):
                visual.set_highlight_elements([i for b in self.breaches if b.layer_key == id(layer)
                                               for i in element_indices(b.index, len(layer.elements))])
        self.win.canvas.request_render()

    def _zoom_to_selected(self) -> None:
        rows = {i.row() for i in self.table.selectedIndexes()}
        if len(rows) == 1:
            b = self.breaches[rows.pop()]
            import numpy as np

            c = np.asarray(b.centre)
            self.win.canvas.zoom_to(np.array([c - 40.0, c + 40.0]))

    def _export_dialog(self) -> None:
        path, _ = QFileDialog.getSaveFileName(self, tr("Export height-limit breaches"), "height_limits.csv", "CSV (*.csv)")  # i18n: not shown (file filter)
        if path:
            self.export_csv(path)

    def export_csv(self, path: str) -> None:
        from app.analysis.height_limits import write_csv

        try:
            write_csv(self.breaches, path)
        except OSError as exc:
            self.status.setText(tr("\u26a0 cannot write {path}: {error}").format(path=path, error=exc.strerror or exc))


def open_height_limit_dialog(win: "MainWindow") -> HeightLimitDialog:
    dialog = HeightLimitDialog(win)
    win.height_limit_dialog = dialog
    dialog.setModal(False)
    dialog.show()
    return dialog

