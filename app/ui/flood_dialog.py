"""Analysis > Planning > Flood...: flood a terrain layer to a level, or to a level-over-time curve, from
a seed point (the view's centre by default) or everywhere below it. Runs as a task (progress and
Cancel in the status bar); the result is a layer (depth coloured, at the water's surface, on the
timeline for a curve) and the buildings the water reaches are highlighted.

`install_planning(win)` builds the Planning submenu (shared with SUN: found by title) and makes
result layers fit the clock."""
from __future__ import annotations

from datetime import datetime

import numpy as np
from typing import TYPE_CHECKING, Any

from PySide6.QtWidgets import (
    QCheckBox, QComboBox, QDialog, QDialogButtonBox, QDoubleSpinBox, QFormLayout, QHBoxLayout, QLabel, QMenu,
    QPlainTextEdit, QWidget,
)

from app.analysis.footprints import element_indices
from app.model.color_range import height_datum
from app.model.layers import BimLayer, Layer, MeshLayer, PointCloudLayer, TilesetLayer
from app.model.results import ResultLayer
from app.ui.i18n import QT_TR_NOOP, tr
from app.ui.planning_menu import PLANNING_MENU, planning_menu  # noqa: F401 - shared submenu

if TYPE_CHECKING:
    from app.ui.main_window import MainWindow

# height_datum()'s labels (kept in English in the run's parameters), translated where shown
DATUM_WORDS = {"local": QT_TR_NOOP("local"), "ellipsoidal": QT_TR_NOOP("ellipsoidal")}


def datum_label(datum: str) -> str:
    """"m, local" -> "m, <local in the interface's language>"; a named datum stays as written."""
    unit, sep, word = datum.partition(", ")
    return f"{unit}, {tr(DATUM_WORDS[word])}" if sep and word in DATUM_WORDS else datum


def install_planning(win: "MainWindow") -> None:
    """Flood..., Height limits..., result-layer controls, the clock following result series."""
    from app.ui import results_controls  # noqa: F401 - registers the result layer's dock rows

    menu = planning_menu(win)
    win.flood_action = menu.addAction(tr("&Flood\u2026"), lambda: open_flood_dialog(win))
    win.height_limits_action = menu.addAction(tr("&Height limits\u2026"), lambda: open_height_limits(win))
    win.scene.layers.inserted.connect(lambda _i, layer: fit_clock(win.scene, layer))


def open_height_limits(win: "MainWindow") -> None:
    from app.ui.height_limit_dialog import open_height_limit_dialog

    open_height_limit_dialog(win)


def fit_clock(scene: Any, layer: Layer) -> None:
    """A result series on the timeline: relative times start at the clock's start; the clock's
    range becomes the series' when it does not cover it (a saved clock that does stays)."""
    if not isinstance(layer, ResultLayer) or not layer.time_aware:
        return
    clock = scene.clock
    if layer.epochs() is None and not layer.data.get("times_absolute"):
        layer.time_origin = clock.start.isoformat()
    span = layer.span()
    if span is not None and not (clock.start <= span[0] and span[1] <= clock.end):
        clock.set_range(span[0], span[1])
        clock.set_time(span[0])


def terrain_candidates(scene: Any) -> list[Layer]:
    """Layers that can be the ground: rasters (a DEM) first, then terrain meshes, then point clouds
    (their ground class). Not IFC models, streamed tilesets or earlier flood results."""
    rasters, meshes, clouds = [], [], []
    for layer in scene.layers:
        if isinstance(layer, ResultLayer) and layer.data.get("grid_shape") is not None:
            if (layer.info.get("derived") or {}).get("analysis") != "flood" and "depth" not in layer.available_color_modes():
                rasters.append(layer)
        elif isinstance(layer, PointCloudLayer) and len(layer.positions):
            clouds.append(layer)
        elif (isinstance(layer, MeshLayer) and not isinstance(layer, BimLayer) and len(layer.data["faces"])
              and not (isinstance(layer, TilesetLayer) and layer.streamed)):
            meshes.append(layer)
    return rasters + meshes + clouds


def parse_curve(text: str, day: datetime) -> list[tuple[float, float]]:
    """Lines "HH:MM level" (on the clock's day) or "ISO-time level" -> [(epoch, level)], in time
    order. ValueError names the line that is not one."""
    from app.model.clock import parse_time

    out = []
    for number, line in enumerate(text.splitlines(), start=1):
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        parts = line.replace(",", " ").split()
        if len(parts) != 2:
            raise ValueError(tr("line {number}: expected a time and a level, e.g. 09:30 19.4").format(number=number))
        when, level = parts
        try:
            if len(when) <= 5 and ":" in when:
                hh, mm = (int(v) for v in when.split(":"))
                t = day.replace(hour=hh, minute=mm, second=0, microsecond=0)
            else:
                t = parse_time(when, day.tzinfo)  # type: ignore[arg-type]
            out.append((t.timestamp(), float(level)))
        except (ValueError, TypeError):
            raise ValueError(tr("line {number}: '{line}' is not a time and a level").format(number=number, line=line)) from None
    out.sort()
    if any(b[0] <= a[0] for a, b in zip(out, out[1:])):
        raise ValueError(tr("two levels at the same time"))
    return out


class FloodDialog(QDialog):
    def __init__(self, win: "MainWindow") -> None:
        super().__init__(win)
        self.win = win
        self.setWindowTitle(tr("Flood"))
        scene = win.scene
        self.offset, self.datum = height_datum(scene.frame)
        self.terrain = QComboBox()
        self.layers = terrain_candidates(scene)
        for layer in self.layers:
            self.terrain.addItem(layer.name)
        self.level = QDoubleSpinBox()
        self.level.setRange(-1e4, 1e5)
        self.level.setDecimals(2)
        self.level.setSuffix(" m")
        self.curve = QPlainTextEdit()
        self.curve.setPlaceholderText(tr("Level over time (optional), one per line on the clock's day:\n09:00 19.0\n"
                                         "11:30 19.6\n15:00 19.0"))
        self.curve.setMaximumHeight(90)
        self.use_seed = QCheckBox(tr("Only water connected to"))
        self.use_seed.setChecked(True)
        self.seed_e, self.seed_n = QDoubleSpinBox(), QDoubleSpinBox()
        for box, label in ((self.seed_e, tr("E ")), (self.seed_n, tr("N "))):
            box.setRange(-1e7, 1e7)
            box.setDecimals(1)
            box.setPrefix(label)
            box.setSuffix(" m")
        focal = win.canvas.plotter.camera.focal_point
        self.seed_e.setValue(float(focal[0]))
        self.seed_n.setValue(float(focal[1]))
        self.cell = QDoubleSpinBox()
        self.cell.setRange(0.1, 100.0)
        self.cell.setValue(1.0)
        self.cell.setSuffix(" m")
        self.problem = QLabel()
        self.problem.setStyleSheet("color: #c62828;")
        self.problem.setWordWrap(True)
        seed_row = QWidget()
        row = QHBoxLayout(seed_row)
        row.setContentsMargins(0, 0, 0, 0)
        row.addWidget(self.use_seed)
        row.addWidget(self.seed_e)
        row.addWidget(self.seed_n)
        form = QFormLayout(self)
        form.addRow(tr("Terrain"), self.terrain)
        form.addRow(tr("Water level ({datum})").format(datum=datum_label(self.datum)), self.level)
        form.addRow(tr("Level over time"), self.curve)
        form.addRow(tr("Seed (scene)"), seed_row)
        form.addRow(tr("Grid cell"), self.cell)
        form.addRow(self.problem)
        self.buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel)
        self.buttons.button(QDialogButtonBox.StandardButton.Ok).setText(tr("Compute"))
        self.buttons.accepted.connect(self.compute)
        self.buttons.rejected.connect(self.reject)
        form.addRow(self.buttons)
        self.terrain.currentIndexChanged.connect(self._suggest_level)
        self._suggest_level()
        if not self.layers:
            self.problem.setText(tr("Open a terrain first: a DEM (GeoTIFF), a terrain mesh or a point cloud with ground points."))
            self.buttons.button(QDialogButtonBox.StandardButton.Ok).setEnabled(False)

    def _suggest_level(self) -> None:
        """A level a little above the terrain's lowest point: something floods at once."""
        layer = self.current_terrain()
        b = layer.bounds() if layer is not None else None
        if isinstance(layer, ResultLayer):
            from app.analysis.flood_scene import raster_dem

            try:  # the raster's own pixel size: no finer than the data, no coarser
                self.cell.setValue(raster_dem(layer).transform[0])
            except ValueError:
                pass
            rng = layer.data_range(layer.height_by or layer.color_mode)
            if rng is not None:
                self.level.setValue(rng[0] + 0.15 * (rng[1] - rng[0]))
                return
        if b is not None:
            self.level.setValue(float(b[0][2] + 0.15 * (b[1][2] - b[0][2])) + self.offset)

    def current_terrain(self) -> Layer | None:
        i = self.terrain.currentIndex()
        return self.layers[i] if 0 <= i < len(self.layers) else None

    def run_spec(self) -> Any:
        """The FloodRun the form describes; ValueError says what is wrong."""
        from app.analysis.flood_scene import FloodRun, raster_dem, terrain_points

        layer = self.current_terrain()
        if layer is None:
            raise ValueError(tr("no terrain layer"))
        curve = parse_curve(self.curve.toPlainText(), self.win.scene.clock.time)
        if curve:  # levels are typed as heights (display datum); the terrain's points are scene z
            levels = [lv - self.offset for _, lv in curve]
            epochs: list[float] | None = [t for t, _ in curve]
        else:
            levels, epochs = [self.level.value() - self.offset], None
        from app.ui.height_limit_dialog import building_layers, layer_footprints

        buildings = [(id(other), layer_footprints(self.win.scene, other)) for other in building_layers(self.win.scene)
                     if other is not layer]  # a streamed tileset's too (read merged): counted and named
        seed = (self.seed_e.value(), self.seed_n.value()) if self.use_seed.isChecked() else None
        shown = [round(lv + self.offset, 3) for lv in levels]
        raster = isinstance(layer, ResultLayer)
        return FloodRun(np.zeros((0, 3)) if raster else terrain_points(layer), levels, epochs, seed, self.cell.value(),
                        tr("Flood {level} m").format(level=f"{shown[0]:g}") if len(shown) == 1
                        else tr("Flood {low}-{high} m").format(low=f"{min(shown):g}", high=f"{max(shown):g}"),
                        buildings, {"terrain": layer.name, "levels_display_m": shown, "datum": self.datum},
                        raster_dem(layer, self.cell.value()) if raster else None)

    def compute(self) -> None:
        try:
            spec = self.run_spec()
        except ValueError as exc:
            self.problem.setText(str(exc))
            return
        self.task = start_flood(self.win, spec, self.problem)
        if self.task is not None:
            self.accept()


def start_flood(win: "MainWindow", spec: Any, problem: QLabel | None = None) -> Any:
    """Run the flood in a worker; on the GUI thread afterwards: the layer, the highlights."""
    from app.analysis.flood import FloodCancelled, FloodError
    from app.analysis.flood_scene import run_flood

    def work(task: Any) -> Any:
        try:
            return run_flood(spec, progress=task.report, cancel=task.cancelled)
        except (FloodError, FloodCancelled) as exc:
            return exc

    task = win.tasks.submit(spec.name, work)
    task.on_done = lambda t: finish_flood(win, t)  # type: ignore[attr-defined]
    win.progress.setValue(0)
    win.progress.setFormat(f"{spec.name} %p%")
    win.progress.show()
    win.cancel_button.show()
    return task


def finish_flood(win: "MainWindow", task: Any) -> None:
    from app.analysis.flood import FloodCancelled, FloodError

    try:
        outcome = task.future.result()
    except Exception as exc:  # noqa: BLE001 - a bug in the worker must not take the window down
        outcome = FloodError(tr("internal error: {kind}: {error}").format(kind=type(exc).__name__, error=exc))
    if isinstance(outcome, FloodCancelled) or task.cancelled():
        win.statusBar().showMessage(tr("Cancelled {task}").format(task=task.label), 5000)
        return
    if isinstance(outcome, FloodError):
        from loaders.base import LoadError

        win.show_errors([LoadError(task.label, str(outcome))])
        return
    layers = win.scene.make_layers(in_scene_frame(win.scene, outcome.data))
    for layer in layers:
        layer.info.update({k.replace("_", " "): v for k, v in outcome.summary.items()})
        layer.info["buildings touched"] = sum(len(v) for v in outcome.touched.values())
        if outcome.names:
            layer.info["buildings reached"] = ", ".join(outcome.names[:12]) + (" ..." if len(outcome.names) > 12 else "")
        win.scene.layers.append(layer)
    highlight_touched(win, outcome.touched)
    s = outcome.summary
    win.statusBar().showMessage(tr("{task}: {area} m2 flooded, {volume} m3 at the peak; {buildings} building(s) reached").format(
        task=task.label, area=f"{s['peak_area_m2']:,.0f}", volume=f"{s['peak_volume_m3']:,.0f}",
        buildings=sum(len(v) for v in outcome.touched.values())), 15000)


def in_scene_frame(scene: Any, data: Any) -> Any:
    """Data an analysis made in scene ENU is georeferenced there (ENU at the scene's origin), so it
    is never taken for unplaced data and stays put when the origin moves or the project reopens."""
    from loaders.base import Georef

    if scene.frame.is_set and data.georef.kind == "none":
        data.georef = Georef(kind="enu", origin_lla=tuple(scene.frame.origin_lla))
    return data


def highlight_touched(win: "MainWindow", touched: dict[int, list[int]]) -> None:
    for layer in win.scene.layers:
        indices = touched.get(id(layer))
        visual = win.canvas.visuals.get(id(layer))
        if indices and visual is not None and hasattr(visual, "set_highlight_elements") and len(layer.data["faces"]):
            n = len(getattr(layer, "elements", ()))
            visual.set_highlight_elements([k for i in indices for k in element_indices(i, n)])
    win.canvas.request_render()


def open_flood_dialog(win: "MainWindow") -> FloodDialog:
    dialog = FloodDialog(win)
    win.flood_dialog = dialog
    dialog.setModal(False)
    dialog.show()
    return dialog
